"""SipHash-c-d over bytes in memory: the keyed hash of the key space.

Why SipHash: the table is open-addressed, so an attacker who can predict the
hash can make every key land in one probe chain (hash flooding).  Redis keys
its dict hash with SipHash and a random per-process seed; so do we.  The
kernel variant is SipHash-1-3 (one compression round, three finalisation
rounds), the trade-off Rust and Python chose for hash tables; the test suite
checks the generic c-d code against the published SipHash-2-4 vectors.

All arithmetic is uint64 and wraps, in jitted and in plain Python mode alike.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view

_C0 = np.uint64(0x736F6D6570736575)
_C1 = np.uint64(0x646F72616E646F6D)
_C2 = np.uint64(0x6C7967656E657261)
_C3 = np.uint64(0x7465646279746573)


@kernel(inline=True)
def _rotl(x, b):
    return (x << np.uint64(b)) | (x >> np.uint64(64 - b))


@kernel(inline=True)
def _round(v0, v1, v2, v3):
    v0 += v1
    v1 = _rotl(v1, 13)
    v1 ^= v0
    v0 = _rotl(v0, 32)
    v2 += v3
    v3 = _rotl(v3, 16)
    v3 ^= v2
    v0 += v3
    v3 = _rotl(v3, 21)
    v3 ^= v0
    v2 += v1
    v1 = _rotl(v1, 17)
    v1 ^= v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


@kernel(inline=True)
def siphash_cd(k0, k1, addr, n, crounds, drounds):
    """SipHash-c-d of the n bytes at addr with key (k0, k1), as uint64."""
    buf = u8view(addr, n)
    v0 = np.uint64(k0) ^ _C0
    v1 = np.uint64(k1) ^ _C1
    v2 = np.uint64(k0) ^ _C2
    v3 = np.uint64(k1) ^ _C3
    nblocks = n >> 3
    for b in range(nblocks):
        i = b * 8
        m = np.uint64(0)
        for j in range(8):
            m |= np.uint64(buf[i + j]) << np.uint64(8 * j)
        v3 ^= m
        for _ in range(crounds):
            v0, v1, v2, v3 = _round(v0, v1, v2, v3)
        v0 ^= m
    m = np.uint64(n & 0xFF) << np.uint64(56)
    i = nblocks * 8
    for j in range(n - i):
        m |= np.uint64(buf[i + j]) << np.uint64(8 * j)
    v3 ^= m
    for _ in range(crounds):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0 ^= m
    v2 ^= np.uint64(0xFF)
    for _ in range(drounds):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


@kernel(inline=True)
def siphash13(k0, k1, addr, n):
    return siphash_cd(k0, k1, addr, n, 1, 3)
