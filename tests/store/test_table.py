"""The hash table kernels against a dict (tests/naive.py RefTable).

Random operation sequences with binary keys, several databases, values that
cross the large-block threshold, and a tiny first index and small chunks, so
that growth through several incremental rehashes, chunk hand-over and large
block release all happen many times.  Whenever a kernel asks for memory
(NEED_*), the test does what the engine does: supply it, then retry.
"""
import random

import numpy as np
import pytest

from mako_numba.config import settings as config
from mako_numba.store import arena, table
from mako_numba.base.jit import addr_of
from mako_numba.base.siphash import siphash_cd
from mako_numba.store.keyspace import KeySpace
from naive import RefTable


class Keys:
    """Keeps byte strings alive as numpy arrays and gives (address, length)."""

    def __init__(self):
        self.keep = []

    def __call__(self, b):
        arr = np.frombuffer(b + b"\0", np.uint8).copy()   # never a zero-length buffer
        self.keep.append(arr)
        return addr_of(arr), len(b)


def make(logcap=2, chunk=4096, large=512, databases=4, seed=7):
    ks = KeySpace(databases=databases, logcap=logcap, chunk_size=chunk, seed=seed)
    lim = config.limits_array(chunk_size=chunk, large_block=large)
    return ks, lim


def t_set(ks, lim, addr, db, k, v):
    for _ in range(4):
        st = table.set_(ks.T, lim, db, *addr(k), *addr(v))
        if st == table.OK:
            return
        ks.after_batch()
    raise AssertionError("set never got its memory")


def t_get(ks, addr, db, k):
    vaddr, vlen = table.get(ks.T, db, *addr(k))
    if vlen < 0:
        return None
    import ctypes
    return ctypes.string_at(vaddr, vlen)


def check_all(ks, ref, addr):
    for (db, k), v in ref.d.items():
        assert t_get(ks, addr, db, k) == v
    for db in range(ks.databases):
        assert ks.keys(db) == ref.dbsize(db)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_operations_match_a_dict(seed):
    rnd = random.Random(seed)
    ks, lim = make()
    ref = RefTable()
    addr = Keys()
    keys = [bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 12))) for _ in range(300)]
    for step in range(6000):
        db = rnd.randrange(4)
        k = rnd.choice(keys)
        op = rnd.random()
        if op < 0.5:
            size = rnd.choice([0, 1, 7, 8, 100, 600, 3000])
            v = bytes(rnd.randrange(256) for _ in range(size))
            t_set(ks, lim, addr, db, k, v)
            ref.set(db, k, v)
        elif op < 0.75:
            assert table.delete(ks.T, lim, db, *addr(k)) == ref.delete(db, k)
        else:
            assert t_get(ks, addr, db, k) == ref.get(db, k)
            assert table.exists(ks.T, db, *addr(k)) == (ref.get(db, k) is not None)
        if step % 50 == 0:
            ks.after_batch()            # the loop's turn: spare chunks, rehash start
        if step % 1000 == 0:
            check_all(ks, ref, addr)
    check_all(ks, ref, addr)


def test_growth_through_many_rehashes():
    ks, lim = make(logcap=2, chunk=1 << 16)
    ref = RefTable()
    addr = Keys()
    sizes = set()
    for i in range(50_000):
        k = b"key:%d" % i
        t_set(ks, lim, addr, 0, k, b"v%d" % i)
        ref.set(0, k, b"v%d" % i)
        if i % 100 == 0:
            ks.after_batch()
            sizes.add(ks.stats()["logcap"])
    while ks.idle_step():
        pass
    assert len(sizes) >= 6                # grew through several index sizes
    assert ks.stats()["logcap"] >= 17
    check_all(ks, ref, addr)
    assert ks.keys() == 50_000


def test_overwrites_reuse_memory():
    ks, lim = make(logcap=10, chunk=1 << 20, large=1 << 16)
    addr = Keys()
    rnd = random.Random(5)
    for i in range(2000):
        t_set(ks, lim, addr, 0, b"k%d" % i, b"x" * rnd.randrange(1, 300))
    ks.after_batch()
    mem_after_fill = ks.stats()["mem"]
    arena_after_fill = ks.arena_bytes()
    for _ in range(20):
        for i in range(2000):
            t_set(ks, lim, addr, 0, b"k%d" % i, b"y" * rnd.randrange(1, 300))
        ks.after_batch()
    # live bytes stay the same order, and the arena did not keep growing
    assert ks.stats()["mem"] < 2 * mem_after_fill
    assert ks.arena_bytes() <= 2 * arena_after_fill


def test_large_blocks_are_handed_back():
    ks, lim = make(chunk=1 << 16, large=4096)
    addr = Keys()
    for i in range(20):
        t_set(ks, lim, addr, 0, b"big%d" % i, bytes([i]) * 50_000)
    ks.after_batch()
    chunks_with_big = ks.stats()["chunks"]
    for i in range(20):
        assert t_get(ks, addr, 0, b"big%d" % i) == bytes([i]) * 50_000
        assert table.delete(ks.T, lim, 0, *addr(b"big%d" % i)) == 1
    ks.after_batch()
    assert ks.stats()["chunks"] <= chunks_with_big - 20


def test_a_large_block_grows_where_it_is():
    """A large value resized past its chunk asks for that chunk to grow (NEED_GROW): its ref
    stays, its bytes stay, no chunk is added, and the live bytes count the new size."""
    ks, lim = make(chunk=1 << 16, large=4096)
    addr = Keys()
    t_set(ks, lim, addr, 0, b"big", bytes(range(256)) * 200)
    ks.after_batch()
    h, which, pos = table.lookup(ks.T, lim, 0, *addr(b"big"), 0)
    ref = table.slot_record(ks.T, which, pos)
    chunks, mem = ks.stats()["chunks"], ks.stats()["mem"]
    for new_vlen in (200_000, 1_000_000, 3_000_000):
        st, vaddr = table.resize_value(ks.T, lim, which, pos, new_vlen)
        assert st == arena.NEED_GROW and vaddr == 0
        ks.after_batch()
        st, vaddr = table.resize_value(ks.T, lim, which, pos, new_vlen)
        assert st == table.OK
        assert table.slot_record(ks.T, which, pos) == ref      # the same block
        got = t_get(ks, addr, 0, b"big")
        assert len(got) == new_vlen
        assert got[:51_200] == bytes(range(256)) * 200 and got[51_200:].count(0) == new_vlen - 51_200
    assert ks.stats()["chunks"] == chunks
    assert ks.stats()["mem"] - mem >= 3_000_000 - 51_200
    assert ks.stats()["mem"] - mem < 3_000_000 - 51_200 + 2 * 4096 + 64      # page rounding
    assert table.delete(ks.T, lim, 0, *addr(b"big")) == 1
    ks.after_batch()
    assert ks.stats()["chunks"] == chunks - 1


def test_flush_db_only_touches_that_db():
    ks, lim = make()
    addr = Keys()
    for i in range(500):
        t_set(ks, lim, addr, i % 3, b"k%d" % i, b"v")
        if i % 50 == 0:
            ks.after_batch()
    table.flush_db(ks.T, lim, 1)
    assert ks.keys(1) == 0
    assert ks.keys(0) == 167 and ks.keys(2) == 166
    assert t_get(ks, addr, 0, b"k0") == b"v" and t_get(ks, addr, 1, b"k1") is None


def test_size_classes_cover_every_size():
    classes = []
    for n in list(range(1, 5000)) + [2**k + d for k in range(12, 31) for d in (-1, 0, 1)]:
        ci = arena.size_class(n)
        cs = arena.class_size(ci)
        assert cs >= n and ci < arena.NCLASSES
        assert cs <= max(n * 1.25 + 8, 16), (n, cs)
        classes.append(ci)
    assert classes[:4999] == sorted(classes[:4999])


def _siphash_py(k0, k1, data, c=2, d=4):
    mask = (1 << 64) - 1

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & mask

    def rnd(v0, v1, v2, v3):
        v0 = (v0 + v1) & mask; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
        v2 = (v2 + v3) & mask; v3 = rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & mask; v3 = rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & mask; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        return v0, v1, v2, v3

    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573]
    n = len(data)
    for i in range(0, n - n % 8, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v[3] ^= m
        for _ in range(c):
            v = list(rnd(*v))
        v[0] ^= m
    m = ((n & 0xFF) << 56) | int.from_bytes(data[n - n % 8:], "little")
    v[3] ^= m
    for _ in range(c):
        v = list(rnd(*v))
    v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(d):
        v = list(rnd(*v))
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def test_siphash_matches_reference_vectors():
    # SipHash-2-4 reference: key 00..0f, message 00..0e -> a129ca6149be45e5
    k0 = int.from_bytes(bytes(range(8)), "little")
    k1 = int.from_bytes(bytes(range(8, 16)), "little")
    msg = bytes(range(15))
    addr = Keys()
    assert _siphash_py(k0, k1, msg) == 0xA129CA6149BE45E5
    for n in range(0, 40):
        data = bytes(range(n))
        a, ln = addr(data)
        s0, s1 = np.int64(np.uint64(k0).view(np.int64)), np.int64(np.uint64(k1).view(np.int64))
        assert int(siphash_cd(s0, s1, a, ln, 2, 4)) == _siphash_py(k0, k1, data)
        assert int(siphash_cd(s0, s1, a, ln, 1, 3)) == _siphash_py(k0, k1, data, 1, 3)
