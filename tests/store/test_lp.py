"""The listpack kernels (store/types/lp.py) against the plain-Python listpack.

A listpack changed in place by `insert` and `delete` must be, after every
step, byte for byte the listpack lpAppend would build from the same
elements (store/types/pyview.listpack: what Redis holds, and what its RDB
file saves), decode to them (persistence/rdbcoll.listpack_items), and walk
the same both ways (`next_at` from the first entry, `prev_at` from the end).
Elements cover every encoding: the integer widths, strings that look like
integers but are not canonical, and strings whose entries need backlens of
one, two and three bytes.
"""
import numpy as np
from hypothesis import given, settings, strategies as st

from mako_numba.persistence.rdbcoll import listpack_items
from mako_numba.store.types import lp
from mako_numba.store.types.pyview import listpack

CAP = 1 << 21                   # room for 40 of the largest element

INTS = [0, 1, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8388607, -8388608,
        8388608, 2147483647, -2147483648, 2147483648, 9223372036854775807, -9223372036854775808]
ODD = [b"", b"007", b"-0", b"+1", b" 1", b"1 ", b"9223372036854775808", b"1.5", b"x" * 63,
       b"y" * 64, b"z" * 127, b"w" * 4095, b"v" * 4096, b"u" * 20000]
ELEMENTS = [b"%d" % v for v in INTS] + ODD


class Node:
    """A listpack in a numpy buffer with room to change, and the elements it should hold."""

    def __init__(self):
        self.buf = np.zeros(CAP, np.uint8)
        self.a = self.buf.ctypes.data
        lp.init(self.a)
        self.model = []

    def offsets(self):
        """Entry offsets, first to last, by the forward walk."""
        out, at, end = [], lp.LP_HDR, lp.total_bytes(self.a) - 1
        while at < end:
            out.append(at)
            at = lp.next_at(self.a, at)
        assert at == end
        return out

    def insert(self, i, s):
        offs = self.offsets()
        at = offs[i] if i < len(offs) else lp.total_bytes(self.a) - 1
        src = np.frombuffer(s, np.uint8).copy() if s else np.zeros(1, np.uint8)
        size = lp.entry_size(src.ctypes.data, len(s))
        before = lp.total_bytes(self.a)
        total = lp.insert(self.a, at, src.ctypes.data, len(s))
        self.model.insert(i, s)
        assert total == lp.total_bytes(self.a) == before + size

    def delete(self, i):
        total = lp.delete(self.a, self.offsets()[i])
        del self.model[i]
        assert total == lp.total_bytes(self.a)

    def check(self):
        data = self.buf[:lp.total_bytes(self.a)].tobytes()
        assert data == listpack(self.model)
        assert listpack_items(data) == self.model
        assert lp.count(self.a) == len(self.model)
        offs = self.offsets()
        back, at = [], lp.last_at(self.a)
        while at >= 0:
            back.append(at)
            at = lp.prev_at(self.a, at)
        assert back == offs[::-1]
        for at, s in zip(offs, self.model):
            nxt, addr, n, isint, v = lp.element(self.a, at)
            got = (b"%d" % v) if isint else self.buf[addr - self.a:addr - self.a + n].tobytes()
            assert got == s


def test_every_encoding_appended_prepended_and_removed():
    node = Node()
    node.check()
    assert lp.last_at(node.a) == -1 and lp.prev_at(node.a, lp.LP_HDR) == -1
    for s in ELEMENTS:
        node.insert(len(node.model), s)
        node.check()
    for s in ELEMENTS:
        node.insert(0, s)
        node.check()
    while node.model:
        node.delete(len(node.model) // 2)
        node.check()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 1 << 30), st.sampled_from(ELEMENTS)),
                max_size=40))
def test_random_inserts_and_deletes_match_the_reference(steps):
    node = Node()
    for add, where, s in steps:
        if add or not node.model:
            node.insert(where % (len(node.model) + 1), s)
        else:
            node.delete(where % len(node.model))
        node.check()
