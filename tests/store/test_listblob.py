"""The list value's kernels (store/types/listblob.py) against a plain Python list.

Each step runs one operation on a value held in a numpy buffer and on the model, then decodes
the value entry by entry, forwards and backwards, and compares.  Growth is done as the key
space does it: a new buffer of the new size that receives only the old value's bytes
(table.resize_value), so an entry written past the value's end is lost and caught here.
"""
import random

import numpy as np
from hypothesis import given, settings, strategies as st

from mako_numba.store.types import listblob as lb, lp
from mako_numba.store.types.listblob import HDR

VALUES = [b"a", b"", b"1", b"-7", b"300", b"99999999999", b"x" * 70, b"y" * 5000, b"3.5",
          b"12345678901234567890123", b"-4096", b"65536"]
LARGE = 2000        # the model's large-block threshold: above it, growth at the tail is fine


class Value:
    """A list value in a numpy buffer, resized as the key space resizes values."""

    def __init__(self, cap, left):
        self.buf = np.zeros(HDR + cap, np.uint8)
        lb.init(self.addr, cap, cap if left else 0)

    @property
    def addr(self):
        return self.buf.ctypes.data

    def resize(self, cap):
        assert cap >= lb.tail(self.addr), "the value is cut before its entries move"
        new = np.zeros(HDR + cap, np.uint8)
        keep = min(len(self.buf), len(new))
        new[:keep] = self.buf[:keep]
        self.buf = new

    def room(self, need, left, inside):
        """As listkey.make_room does it; a value over LARGE grows at its tail by the fine
        step with its entries left where they are."""
        b = self.addr
        fine = not (left or inside) and len(self.buf) > LARGE
        r = lb.room_inside(b, need) if inside else lb.room_needed(b, need, left, fine)
        if r < 0:
            lb.arrange(b, lb.hdr(b)[lb.F_CAP], need, left or inside)
        elif r > 0:
            self.resize(r)
            h = lb.hdr(self.addr)
            if fine and r - h[lb.F_TAIL] >= need:
                h[lb.F_CAP] = r
            else:
                lb.arrange(self.addr, r, need, left or inside)

    def give_back(self):
        b = self.addr
        h = lb.hdr(b)
        cap = int(h[lb.F_CAP])
        u = int(h[lb.F_TAIL] - h[lb.F_HEAD])
        if cap > 64 and u * 4 < cap:
            new_cap = max(u * 2, 32)
            lb.arrange(b, new_cap, 0, True)
            self.resize(new_cap)

    def items(self):
        b = self.addr
        h = lb.hdr(b)
        assert 0 <= h[lb.F_HEAD] <= h[lb.F_TAIL] <= h[lb.F_CAP] == len(self.buf) - HDR
        out, off = [], int(h[lb.F_HEAD])
        while off < h[lb.F_TAIL]:
            nxt, a, n, isint, v = lb.element(b, off)
            out.append(str(v).encode() if isint else bytes(self.buf[a - b:a - b + n]))
            off = nxt
        assert off == h[lb.F_TAIL] and len(out) == h[lb.F_COUNT]
        back, off = [], int(h[lb.F_TAIL])
        while off > h[lb.F_HEAD]:
            off = lb.before(b, off)
            back.append(off)
        assert len(back) == len(out)
        return out


def _arg(v):
    a = np.frombuffer(v + b"\0", np.uint8)
    return a, a.ctypes.data, len(v)


def run_ops(ops):
    val = Value(0, True)
    model = []
    for op, x, y in ops:
        v = VALUES[x % len(VALUES)]
        keep, a, n = _arg(v)
        if op == "push":
            left = y % 2 == 0
            val.room(lp.entry_size(a, n), left, False)
            lb.push(val.addr, a, n, left)
            model.insert(0, v) if left else model.append(v)
        elif op == "pop" and model:
            k = min(len(model), 1 + y % 3)
            if x % 2:
                lb.drop_ends(val.addr, k, 0)
                del model[:k]
            else:
                lb.drop_ends(val.addr, 0, k)
                del model[len(model) - k:]
            val.give_back()
        elif op == "set" and model:
            i = y % len(model)
            b = val.addr
            off = lb.offset_of(b, i)
            grow = lp.entry_size(a, n) - (lb.element(b, off)[0] - off)
            if grow > 0:
                val.room(grow, True, True)
                off = lb.offset_of(val.addr, i)
            lb.replace_at(val.addr, off, a, n)
            model[i] = v
        elif op == "insert" and model:
            i = y % (len(model) + 1)
            val.room(lp.entry_size(a, n), True, True)
            b = val.addr
            off = lb.tail(b) if i == len(model) else lb.offset_of(b, i)
            lb.insert_at(b, off, a, n)
            model.insert(i, v)
        elif op == "rem" and model:
            limit = y % 3
            from_tail = x % 2 == 1
            gone = lb.keep_matching(val.addr, a, n, limit, from_tail)
            want = [i for i, e in enumerate(model) if e == v]
            if from_tail:
                want = want[::-1]
            want = want[:limit] if limit else want
            assert gone == len(want)
            for i in sorted(want, reverse=True):
                del model[i]
        elif op == "rotate" and model:
            # LMOVE key key LEFT RIGHT (x odd) or RIGHT LEFT: the end's entry copied to the other
            from_left = x % 2 == 1
            b = val.addr
            off = lb.head(b) if from_left else lb.before(b, lb.tail(b))
            size = lb.element(b, off)[0] - off
            val.room(size, not from_left, False)
            b = val.addr
            off = lb.head(b) if from_left else lb.before(b, lb.tail(b))
            lb.push_entry(b, b, off, not from_left)
            lb.drop_ends(b, 1 if from_left else 0, 0 if from_left else 1)
            model[:] = model[1:] + model[:1] if from_left else model[-1:] + model[:-1]
        elif op == "move" and model:
            # LMOVE between two lists: the entry copied into another value, then dropped here
            other = Value(0, True)
            from_left = x % 2 == 1
            b = val.addr
            off = lb.head(b) if from_left else lb.before(b, lb.tail(b))
            size = lb.element(b, off)[0] - off
            other.room(size, y % 2 == 0, False)
            lb.push_entry(other.addr, val.addr, off, y % 2 == 0)
            assert other.items() == [model[0] if from_left else model[-1]]
            lb.drop_ends(val.addr, 1 if from_left else 0, 0 if from_left else 1)
            model[:] = model[1:] if from_left else model[:-1]
        elif op == "remove_at" and model:
            i = y % len(model)
            lb.remove_at(val.addr, lb.offset_of(val.addr, i))
            del model[i]
        assert val.items() == [lp_canon(e) for e in model], (op, x, y)


def lp_canon(v):
    """What reading an element back gives: integers in their canonical decimal form."""
    return v


OPS = st.lists(st.tuples(st.sampled_from(["push", "pop", "set", "insert", "rem", "remove_at", "rotate", "move"]),
                         st.integers(0, 50), st.integers(0, 1000)), max_size=120)


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_list_value_matches_a_python_list(ops):
    run_ops(ops)


def test_queue_pattern_recentres_without_growing_forever():
    rng = random.Random(3)
    ops = []
    for i in range(3000):
        ops.append(("push", rng.randrange(6), 0))
        if i > 50:
            ops.append(("pop", 0, 0))
    run_ops(ops)


def test_growth_never_cuts_the_entries():
    """Room at the far end short, the list using more than 3/4 of its room: the value grows
    (Value.resize asserts it is never cut below the entries' end)."""
    for popped in range(1, 12):
        ops = [("push", 6, 1)] * 40 + [("pop", 1, 0)] * popped + [("push", 6, 1)] * 12
        run_ops(ops)


def test_a_large_list_grows_at_its_tail_by_a_fine_step_without_moving():
    """Past LARGE, pushes at the tail grow the value by 1/256 (at least FINE) with the entries
    where they were; pushes at the head still grow by a quarter and re-centre."""
    val = Value(0, False)
    v = b"x" * 1000
    keep, a, n = _arg(v)
    heads, caps = set(), []
    for i in range(20_000):
        val.room(lp.entry_size(a, n), False, False)
        lb.push(val.addr, a, n, False)
        h = lb.hdr(val.addr)
        if len(val.buf) > LARGE + HDR + lb.FINE:
            heads.add(int(h[lb.F_HEAD]))
        if not caps or caps[-1] != h[lb.F_CAP]:
            caps.append(int(h[lb.F_CAP]))
    assert len(heads) == 1                  # never moved once fine
    h = lb.hdr(val.addr)
    used = int(h[lb.F_TAIL])
    assert used <= h[lb.F_CAP] <= used + max(used // 256, lb.FINE) + 1010
    big = [c for c in caps if c > lb.FINE * 256]
    assert len(big) > 5 and all(b <= a + a // 256 + 1010 for a, b in zip(big, big[1:]))
    assert val.items() == [v] * 20_000
    # the head: a quarter more, entries re-centred
    cap0 = int(h[lb.F_CAP])
    val.room(lp.entry_size(a, n), True, False)
    h = lb.hdr(val.addr)
    assert h[lb.F_CAP] >= cap0 + cap0 // 4 - 1 and h[lb.F_HEAD] > 1000
