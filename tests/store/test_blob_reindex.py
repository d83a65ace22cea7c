"""A table's index rebuilt from its slots' hash tags (blob.reindex with from_slots) against
the same index built by hashing every member again.

Growing a table keeps each slot's tag (the member hash's top 32 bits) and moves the slot
to the home the tag gives under the new size; no member is hashed again.  Both ways must
give the same slots (as a set: collisions may settle in other orders) and find every
member, with the fill and header the same; and members added afterwards are found too.
"""
import numpy as np

from mako_numba.store.types import blob
from mako_numba.store.types.blob import KIND_TABLE

SEEDS = np.array([0x0123456789ABCDEF, 0x0FEDCBA987654321], np.uint64)


def member(i):
    return np.frombuffer(b"member:%d" % i, np.uint8).copy()


def table(n, ecap, log, room_ecap, room_log):
    """A table of n members in a buffer with room for the shape (room_ecap, room_log)."""
    buf = np.zeros(blob.blob_size(KIND_TABLE, room_ecap, room_log), np.uint8)
    b = buf.ctypes.data
    blob.init(b, KIND_TABLE, ecap, log)
    keep = []
    for i in range(n):
        m = member(i)
        keep.append(m)
        blob.add(b, SEEDS, m.ctypes.data, len(m), 0, 0, False)
    return buf, b, keep


def slots(b):
    h = blob.hdr(b)
    return blob.slots_of(b).copy(), int(h[blob.F_FILL]), int(h[blob.F_COUNT])


def test_growth_from_tags_matches_rehashing():
    n = 3000
    ecap, log = blob.table_shape(n * 12, n)
    e2, l2 = blob.table_shape(n * 24, 4 * n)
    assert l2 > log
    buf1, b1, keep = table(n, ecap, log, e2 + ecap, l2)
    buf2, b2, _ = table(n, ecap, log, e2 + ecap, l2)
    blob.reindex(b1, SEEDS, KIND_TABLE, e2, l2, False, True)       # from the tags
    blob.reindex(b2, SEEDS, KIND_TABLE, e2, l2, False, False)      # hashing every member
    s1, fill1, count1 = slots(b1)
    s2, fill2, count2 = slots(b2)
    assert (fill1, count1) == (fill2, count2) == (n, n)
    assert sorted(s1[s1 != 0].tolist()) == sorted(s2[s2 != 0].tolist())
    for i, m in enumerate(keep):
        off, slot = blob.find(b1, SEEDS, m.ctypes.data, len(m), False)
        assert off >= 0 and slot >= 0
    more = member(n + 1)
    blob.add(b1, SEEDS, more.ctypes.data, len(more), 0, 0, False)
    assert blob.find(b1, SEEDS, more.ctypes.data, len(more), False)[0] >= 0
    missing = member(n + 2)
    assert blob.find(b1, SEEDS, missing.ctypes.data, len(missing), False) == (-1, -1)


def test_tombstones_are_left_behind():
    n = 500
    ecap, log = blob.table_shape(n * 12, n)
    buf, b, keep = table(n, ecap, log, ecap, log + 1)
    for m in keep[::3]:
        off, slot = blob.find(b, SEEDS, m.ctypes.data, len(m), False)
        blob.remove(b, off, slot, False)
    blob.compact_entries(b, SEEDS, False)
    blob.reindex(b, SEEDS, KIND_TABLE, ecap, log + 1, False, True)
    s, fill, count = slots(b)
    assert fill == count == n - len(keep[::3])
    assert not ((s & 0xFFFFFFFF) == blob.TOMB).any()
    for i, m in enumerate(keep):
        got = blob.find(b, SEEDS, m.ctypes.data, len(m), False)[0]
        assert (got >= 0) == (i % 3 != 0)
