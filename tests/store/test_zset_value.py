"""The sorted-set value kernels (store/types/zsl.py, zsetlp.py, zsetval.py) against a Python model.

A value lives in a numpy buffer with room to spare; random operations (add,
update a score, delete, delete a range by rank, score or lex, the room
checks and the growth a write needs) run through the kernels and through a
plain sorted list of (score, member), and after each:

- the value decodes (store/types/zset.items) to the model, in order;
- a skiplist keeps Redis's invariants: every level's forward links go
  forward in (score, member) order and its spans are the rank distances
  (to the end for a last node), the backward links and the tail are
  right, the set's level is its highest node's, each node's level is its
  member's hash's (zsl.level_of), every member is found through the index
  at its node, the free lists hold exactly the freed nodes;
- the reads agree with the model: find, rank, element by rank, the first
  and last element of score and lex ranges, the counts of a range.

A listpack is checked the same way (its reads), and converted to a skiplist
(zsetkey.fill_from_listpack) to check that a converted value is the same
set.  Members include integers (a listpack stores them as integer
entries), empty strings, long strings and ties of scores.
"""
import bisect
import math
import random
import struct

import numpy as np
import pytest

from mako_numba.store.types import blob, lp, zset as zset_py, zsetlp, zsetval, zsl
from mako_numba.store.types.zsetkey import fill_from_listpack, listpack_shape

SEEDS = (0x0706050403020100, 0x0F0E0D0C0B0A0908)
NONE_RANGE = (0.0, False, 0.0, False)


def addr_of(b):
    return np.frombuffer(b + b"\0", np.uint8).copy()


class Model:
    """The set as a sorted list of (score, member)."""

    def __init__(self):
        self.items = []
        self.scores = {}

    def add(self, m, v):
        if m in self.scores:
            self.items.remove((self.scores[m], m))
        self.scores[m] = v
        bisect.insort(self.items, (v, m))

    def delete(self, m):
        self.items.remove((self.scores.pop(m), m))

    def rank(self, m):
        return self.items.index((self.scores[m], m))


class Value:
    """A sorted-set value in a numpy buffer: a skiplist (grown by reshape in place) or a
    listpack (room to spare)."""

    def __init__(self, skiplist, cap=1 << 22):
        self.buf = np.zeros(cap, np.uint8)
        self.b = self.buf.ctypes.data
        self.keep = []
        if skiplist:
            ncap, mcap, log = zsl.shape(zsl.HEAD + 64, 64, 2)
            zsl.init(self.b, ncap, mcap, log)
        else:
            lp.init(self.b)

    def arg(self, m):
        a = addr_of(m)
        self.keep.append(a)
        return a.ctypes.data, len(m)

    def room_for(self, members):
        """What a write adding these members does first (zsetkey.zsl_room, in place)."""
        if not zsl.is_zsl(self.b):
            return
        zsl.tally_reset(self.b)
        entry = 0
        for m in members:
            a, n = self.arg(m)
            zsl.tally_add(self.b, zsl.level_of(np.uint64(blob.member_hash(SEEDS, a, n))))
            entry += zsl.entry_size(n)
        ok, nodes, mem = zsl.room(self.b, len(members), entry)
        if not ok:
            ncap, mcap, log = zsl.grown_shape(self.b, nodes, mem, len(members))
            assert zsl.value_size(ncap, mcap, log) <= self.buf.shape[0]
            zsl.reshape(self.b, ncap, mcap, log)
            ok, nodes, mem = zsl.room(self.b, len(members), entry)
            assert ok

    def items(self):
        return zset_py.items(bytes(self.buf[:self.size()]))

    def size(self):
        if zsl.is_zsl(self.b):
            h = struct.unpack_from("<%dq" % zsl.HDR_WORDS, self.buf, 0)
            return zsl.value_size(h[zsl.F_NCAP], h[zsl.F_MCAP], h[zsl.F_LOG])
        return lp.total_bytes(self.b)


# --- the skiplist's own invariants, read from its bytes ---------------------------------------
def check_skiplist(v, model):
    buf = v.buf
    h = struct.unpack_from("<%dq" % zsl.HDR_WORDS, buf, 0)
    base = zsl.HDR
    ncap, mcap, log = h[zsl.F_NCAP], h[zsl.F_MCAP], h[zsl.F_LOG]

    def node(x):
        score, moff, back, level = struct.unpack_from("<dIII", buf, base + x)
        links = struct.unpack_from("<%dI" % (2 * level), buf, base + x + 20)
        return score, moff, back, level, links[0::2], links[1::2]

    def member(moff):
        at = base + ncap + moff
        owner = struct.unpack_from("<I", buf, at)[0]
        n = int(buf[at + 4])
        if n < 128:
            return owner, bytes(buf[at + 5:at + 5 + n])
        n = struct.unpack_from("<I", buf, at + 5)[0]
        return owner, bytes(buf[at + 9:at + 9 + n])

    order = []
    x = node(0)[4][0]
    while x:
        order.append(x)
        x = node(x)[4][0]
    assert h[zsl.F_COUNT] == len(order) == len(model.items)
    rank = {x: i + 1 for i, x in enumerate(order)}
    rank[0] = 0
    prev = 0
    top = 1
    for x in order:
        score, moff, back, level, fwd, spans = node(x)
        owner, m = member(moff)
        assert owner == x
        assert (score, m) == model.items[rank[x] - 1]
        assert back == prev
        a, n = v.arg(m)
        assert level == zsl.level_of(np.uint64(blob.member_hash(SEEDS, a, n)))
        found, slot = zsl.find(v.b, SEEDS, a, n)
        assert found == x
        top = max(top, level)
        prev = x
    assert h[zsl.F_TAIL] == (order[-1] if order else 0)
    assert h[zsl.F_LEVEL] == top
    for x in [0] + order:
        score, moff, back, level, fwd, spans = node(x)
        for i in range(min(level, h[zsl.F_LEVEL])):
            f = fwd[i]
            if f:
                assert rank[f] > rank[x] and node(f)[3] > i
                assert spans[i] == rank[f] - rank[x]
                between = [y for y in order if rank[x] < rank[y] < rank[f]]
                assert all(node(y)[3] <= i for y in between)
            else:
                assert spans[i] == len(order) - rank[x]
                assert all(node(y)[3] <= i for y in order if rank[y] > rank[x])
    freed = 0
    for lvl in range(1, zsl.MAXLEVEL + 1):
        x = h[zsl.F_FREE + lvl - 1]
        k = 0
        while x:
            score, moff, back, level, fwd, spans = node(x)
            assert level == lvl and moff == zsl.FREE_MEMBER and x not in rank
            k += 1
            x = fwd[0]
        assert k == h[zsl.F_NFREE + lvl - 1]
        freed += k
    slots = struct.unpack_from("<%dq" % (1 << log), buf, base + ncap + mcap)
    live = [s & 0xFFFFFFFF for s in slots if s and s & 0xFFFFFFFF != 0xFFFFFFFF]
    assert sorted(live) == sorted(order)
    assert h[zsl.F_FILL] == sum(1 for s in slots if s)


# --- reads against the model ------------------------------------------------------------------
def check_reads(v, model, rng):
    b = v.b
    items = model.items
    assert v.items() == [(m, s) for s, m in items]
    assert zsetval.length(b) == len(items)
    for _ in range(4):
        if not items:
            break
        i = rng.randrange(len(items))
        s, m = items[i]
        a, n = v.arg(m)
        pos, score = zsetval.find(b, SEEDS, a, n)
        assert pos >= 0 and score == s
        assert zsetval.rank_of(b, SEEDS, a, n) == i
        p = zsetval.at_rank(b, i)
        assert zsetval.score_at(b, p) == s and zsetval.rank_at(b, p) == i
    a, n = v.arg(b"no such member")
    assert zsetval.find(b, SEEDS, a, n)[0] < 0 and zsetval.rank_of(b, SEEDS, a, n) == -1
    scores = sorted({s for s, m in items}) or [0.0]
    for _ in range(3):
        lo, hi = sorted(rng.choice(scores + [-math.inf, math.inf, 0.5]) for _ in range(2))
        minex, maxex = rng.random() < 0.3, rng.random() < 0.3
        inside = [k for k, (s, m) in enumerate(items)
                  if (s > lo if minex else s >= lo) and (s < hi if maxex else s <= hi)]
        rng_ = (lo, minex, hi, maxex)
        f = zsetval.first_in_range(b, rng_)
        la = zsetval.last_in_range(b, rng_)
        if inside:
            assert zsetval.rank_at(b, f) == inside[0] and zsetval.rank_at(b, la) == inside[-1]
        else:
            assert f < 0 and la < 0
        assert zsetval.count_in_range(b, rng_) == len(inside)
    members = sorted(m for s, m in items) + [b"", b"m", b"zzz"]
    for _ in range(3):
        lo_m, hi_m = sorted(rng.choice(members) for _ in range(2))
        lo = (0,) + v.arg(lo_m) + (rng.random() < 0.3,)
        hi = (0,) + v.arg(hi_m) + (rng.random() < 0.3,)
        if rng.random() < 0.2:
            lo = (-1, 0, 0, True)
        if rng.random() < 0.2:
            hi = (1, 0, 0, True)

        def gte(m):
            return True if lo[0] < 0 else (m > lo_m if lo[3] else m >= lo_m)

        def lte(m):
            return True if hi[0] > 0 else (m < hi_m if hi[3] else m <= hi_m)
        # a lex range means something over members of one score (Redis walks as if sorted)
        if len({s for s, m in items}) <= 1:
            inside = [k for k, (s, m) in enumerate(items) if gte(m) and lte(m)]
            assert zsetval.count_in_lex(b, lo, hi) == len(inside)
            f = zsetval.first_in_lex(b, lo, hi)
            assert (zsetval.rank_at(b, f) if f >= 0 else None) == (inside[0] if inside else None)


MEMBERS = [b"%d" % i for i in (0, 1, -1, 127, 128, 4096, -70000, 2 ** 40)] + \
    [b"", b"a", b"b", b"ab", b"x" * 63, b"y" * 64, b"z" * 200, b"007", b"-0", b"1.5"] + \
    [b"m%03d" % i for i in range(300)]
SCORES = [0.0, -0.0, 1.0, 1.5, -2.25, 3.0, 1e17, -1e300, math.inf, -math.inf, 0.1, 2.0 ** 62, 7.0]


def run(skiplist, steps, seed, pool):
    rng = random.Random(seed)
    v = Value(skiplist)
    model = Model()
    for step in range(steps):
        op = rng.random()
        b = v.b
        if op < 0.45:
            m = rng.choice(pool)
            s = rng.choice(SCORES) if rng.random() < 0.5 else float(rng.randint(-20, 20))
            a, n = v.arg(m)
            pos, cur = zsetval.find(b, SEEDS, a, n)
            if pos < 0:
                if skiplist:
                    v.room_for([m])
                zsetval.add(v.b, SEEDS, a, n, s)
            elif cur != s:
                zsetval.set_score(v.b, SEEDS, a, n, s)
            if pos < 0 or cur != s:
                model.add(m, s)
        elif op < 0.75 and model.items:
            s, m = rng.choice(model.items)
            a, n = v.arg(m)
            pos, cur = zsetval.find(b, SEEDS, a, n)
            zsetval.delete_at(b, SEEDS, pos)
            model.delete(m)
        elif op < 0.8 and model.items:
            i = rng.randrange(len(model.items))
            j = min(len(model.items) - 1, i + rng.randrange(4))
            assert zsetval.delete_rank_range(b, SEEDS, i, j) == j - i + 1
            for s, m in model.items[i:j + 1]:
                model.delete(m)
        elif op < 0.85 and model.items:
            lo = rng.choice(SCORES)
            hi = lo + rng.choice([0.0, 1.0, 5.0])
            gone = [m for s, m in model.items if lo <= s <= hi]
            assert zsetval.delete_score_range(b, SEEDS, (lo, False, hi, False)) == len(gone)
            for m in gone:
                model.delete(m)
        elif op < 0.9:
            # a batch of new members at once: room for all, then the adds
            batch = [m for m in rng.sample(pool, 8) if m not in model.scores]
            if skiplist:
                v.room_for(batch)
            for m in batch:
                s = float(rng.randint(0, 3))
                a, n = v.arg(m)
                zsetval.add(v.b, SEEDS, a, n, s)
                model.add(m, s)
        if skiplist:
            check_skiplist(v, model)
        if step % 5 == 0:
            check_reads(v, model, rng)
    return v, model


@pytest.mark.parametrize("seed", range(4))
def test_skiplist_against_the_model(seed):
    run(True, 700, seed, MEMBERS)


@pytest.mark.parametrize("seed", range(2))
def test_listpack_against_the_model(seed):
    v, model = run(False, 400, seed, MEMBERS[:60])
    # the same set converted (zsetConvert), read back and checked as a skiplist
    nodes, members = listpack_shape(v.b, SEEDS)
    z = Value(True)
    ncap, mcap, log = zsl.shape(zsl.HEAD + nodes, members, len(model.items))
    zsl.init(z.b, ncap, mcap, log)
    fill_from_listpack(z.b, v.b, SEEDS)
    check_skiplist(z, model)
    check_reads(z, model, random.Random(seed))


def test_one_score_lex_ranges():
    """Members of one score: the lex range reads of both encodings against the model."""
    for skiplist in (False, True):
        rng = random.Random(11)
        v = Value(skiplist)
        model = Model()
        pool = [b"", b"a", b"aa", b"ab", b"b", b"ba", b"c", b"123", b"-5", b"z" * 70]
        if skiplist:
            v.room_for(pool)
        for m in pool:
            a, n = v.arg(m)
            zsetval.add(v.b, SEEDS, a, n, 0.0)
            model.add(m, 0.0)
        for _ in range(60):
            check_reads(v, model, rng)
        lo = (0,) + v.arg(b"a") + (False,)
        hi = (0,) + v.arg(b"b") + (True,)
        gone = [m for s, m in model.items if b"a" <= m < b"b"]
        assert zsetval.delete_lex_range(v.b, SEEDS, lo, hi) == len(gone)
        for m in gone:
            model.delete(m)
        assert v.items() == [(m, s) for s, m in model.items]
        if skiplist:
            check_skiplist(v, model)


def test_levels_follow_redis_distribution():
    """A quarter of the nodes reach each next level, as ZSKIPLIST_P = 0.25 makes them."""
    levels = []
    for i in range(40000):
        m = addr_of(b"member:%d" % i)
        levels.append(zsl.level_of(np.uint64(blob.member_hash(SEEDS, m.ctypes.data, m.shape[0] - 1))))
    counts = np.bincount(levels)
    for k in (1, 2, 3):
        reach_next = counts[k + 1:].sum() / counts[k:].sum()
        assert 0.22 < reach_next < 0.28, (k, reach_next)
