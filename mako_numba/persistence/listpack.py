"""Redis's listpack (listpack.c), written from a compact hash and read back, as kernels.

A listpack is how Redis 7.0 keeps a small hash, and what RDB_TYPE_HASH_LISTPACK
saves, byte for byte:

  u32 total bytes, u16 elements (65535: "count them"), entries, 0xFF
  entry: encoding and data, then backlen (the entry's size, 1..5 bytes,
         7 bits a byte, read backwards)
  0xxxxxxx            7-bit unsigned integer
  10llllll + data     string shorter than 64 bytes
  110xxxxx xxxxxxxx   13-bit signed integer
  1110llll llllllll   string shorter than 4096 bytes
  11110000 + u32 len  longer string
  0xF1 / F2 / F3 / F4 16, 24, 32 and 64-bit signed integers, little-endian

`put` writes one element as lpAppend does: a string that is a canonical
integer of at most 20 bytes (lpStringToInt64, Redis's string2ll) goes in the
smallest integer encoding, anything else as a string.  `write_blob` writes
a compact hash blob (store/types/blob.py) as the listpack Redis would hold
for the same fields in the same order.

Reading (`check`, `element`) serves the loader: `check` validates a whole
listpack from a file before any of it is used, as Redis's deep integrity
check does (every entry inside the bounds, each backlen matching its entry,
the count in the header right unless 65535, 0xFF at the end), so `element`
can then walk it without checks.

Rules: kernels over addresses and numpy arrays; no allocation, no raising;
`bound` gives the room `write_blob` may take, read from the blob's header
alone.
"""
import numpy as np

from mako_numba.base.jit import copy_bytes, kernel, u8view
from mako_numba.protocol.parsebase import string2ll
from mako_numba.store.types import blob

LP_HDR = 6
LP_EOF = 0xFF
NUMELE_UNKNOWN = 65535
MAX_GROWTH = 8      # an element's listpack entry exceeds its blob entry by at most this


@kernel(inline=True)
def as_int(a, n):
    """lpStringToInt64: (ok, value) of the n bytes at a."""
    if n == 0 or n > 20:
        return False, 0
    return string2ll(u8view(a, n), 0, n)


@kernel(inline=True)
def backlen_size(n):
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


@kernel(inline=True)
def _le(dst, p, v, nbytes):
    for j in range(nbytes):
        dst[p + j] = (v >> (8 * j)) & 0xFF


@kernel
def put_int(dst, p, v):
    """The integer v as lpAppend encodes it at dst[p:], with its backlen; the offset after."""
    if 0 <= v <= 127:
        dst[p] = v
        dst[p + 1] = 1
        return p + 2
    if -4096 <= v <= 4095:
        u = v if v >= 0 else (1 << 13) + v
        dst[p] = (u >> 8) | 0xC0
        dst[p + 1] = u & 0xFF
        dst[p + 2] = 2
        return p + 3
    if -32768 <= v <= 32767:
        dst[p] = 0xF1
        k = 2
    elif -8388608 <= v <= 8388607:
        dst[p] = 0xF2
        k = 3
    elif -2147483648 <= v <= 2147483647:
        dst[p] = 0xF3
        k = 4
    else:
        dst[p] = 0xF4
        k = 8
    _le(dst, p + 1, v, k)
    dst[p + 1 + k] = 1 + k
    return p + 2 + k


@kernel
def put(dst, p, a, n):
    """The string (a, n) as lpAppend writes it at dst[p:]; the offset after it."""
    ok, v = as_int(a, n)
    if ok:
        return put_int(dst, p, v)
    start = p
    if n < 64:
        dst[p] = 0x80 | n
        p += 1
    elif n < 4096:
        dst[p] = 0xE0 | (n >> 8)
        dst[p + 1] = n & 0xFF
        p += 2
    else:
        dst[p] = 0xF0
        _le(dst, p + 1, n, 4)
        p += 5
    copy_bytes(dst.ctypes.data + p, a, n)
    p += n
    size = p - start
    k = backlen_size(size)
    for j in range(k):        # most significant 7 bits first; all but the first byte flagged
        dst[p + j] = ((size >> (7 * (k - 1 - j))) & 127) | (128 if j > 0 else 0)
    return p + k


@kernel
def bound(b, pairs):
    """Bytes write_blob may need for the compact blob at b (from its header alone)."""
    elements = blob.count(b) * (2 if pairs else 1)
    return LP_HDR + 1 + blob.live_bytes(b) + MAX_GROWTH * elements


@kernel
def write_blob(dst, b, pairs):
    """The listpack of the compact blob at b (entries in its order) into dst; its length."""
    p = LP_HDR
    off, cur = blob.walk_next(b, 0, pairs)
    while off >= 0:
        a1, n1, a2, n2, nxt = blob.entry_at(b, off, pairs)
        p = put(dst, p, a1, n1)
        if pairs:
            p = put(dst, p, a2, n2)
        off, cur = blob.walk_next(b, cur, pairs)
    dst[p] = LP_EOF
    p += 1
    _le(dst, 0, p, 4)
    elements = blob.count(b) * (2 if pairs else 1)
    _le(dst, 4, min(elements, NUMELE_UNKNOWN), 2)
    return p


# --- reading a listpack from a file ---------------------------------------------------------
@kernel(inline=True)
def _entry_size(p, at, end):
    """(encoding and data bytes, header bytes) of the entry at p[at]; 0 when it is malformed or
    its header passes end."""
    e = np.int64(p[at])
    if e < 0x80:
        return 1, 1
    if e & 0xC0 == 0x80:
        return 1 + (e & 0x3F), 1
    if e & 0xE0 == 0xC0:
        return 2, 1
    if e & 0xF0 == 0xE0:
        if at + 1 >= end:
            return 0, 0
        return 2 + (((e & 0xF) << 8) | np.int64(p[at + 1])), 2
    if e == 0xF1:
        return 3, 1
    if e == 0xF2:
        return 4, 1
    if e == 0xF3:
        return 5, 1
    if e == 0xF4:
        return 9, 1
    if e == 0xF0:
        if at + 4 >= end:
            return 0, 0
        n = (np.int64(p[at + 1]) | (np.int64(p[at + 2]) << 8) | (np.int64(p[at + 3]) << 16)
             | (np.int64(p[at + 4]) << 24))
        return 5 + n, 5
    return 0, 0


@kernel
def check(a, n):
    """Validate the listpack of n bytes at a (lpValidateIntegrity, deep): its element count,
    or -1 when it is corrupt."""
    if n < LP_HDR + 1:
        return -1
    p = u8view(a, n)
    total = np.int64(p[0]) | (np.int64(p[1]) << 8) | (np.int64(p[2]) << 16) | (np.int64(p[3]) << 24)
    if total != n or p[n - 1] != LP_EOF:
        return -1
    last = n - 1                        # the EOF byte
    at = LP_HDR
    count = 0
    while at < last:
        size, hdr = _entry_size(p, at, last)
        if size == 0:
            return -1
        k = backlen_size(size)
        if at + size + k > last:
            return -1
        # the backlen, read backwards from its last byte, must give the entry's size
        v = 0
        shift = 0
        q = at + size + k - 1
        while True:
            v |= (np.int64(p[q]) & 127) << shift
            if p[q] & 128 == 0:
                break
            shift += 7
            q -= 1
            if shift > 28 or q < at + size:
                return -1
        if v != size or q != at + size:
            return -1
        at += size + k
        count += 1
    numele = np.int64(p[4]) | (np.int64(p[5]) << 8)
    if numele != NUMELE_UNKNOWN and numele != count:
        return -1
    return count


@kernel
def element(a, at):
    """The element at offset at of a checked listpack at a: (next offset, string address,
    string length, is an integer, the integer)."""
    p = u8view(a + at, 10)
    e = np.int64(p[0])
    if e < 0x80:
        return at + 2, 0, 0, True, e
    if e & 0xC0 == 0x80:
        n = e & 0x3F
        return at + 1 + n + backlen_size(1 + n), a + at + 1, n, False, 0
    if e & 0xF0 == 0xE0:
        n = ((e & 0xF) << 8) | np.int64(p[1])
        return at + 2 + n + backlen_size(2 + n), a + at + 2, n, False, 0
    if e == 0xF0:
        n = np.int64(p[1]) | (np.int64(p[2]) << 8) | (np.int64(p[3]) << 16) | (np.int64(p[4]) << 24)
        return at + 5 + n + backlen_size(5 + n), a + at + 5, n, False, 0
    if e & 0xE0 == 0xC0:
        u = ((e & 0x1F) << 8) | np.int64(p[1])
        return at + 3, 0, 0, True, u - (1 << 13) if u >= 1 << 12 else u
    k = 2 if e == 0xF1 else 3 if e == 0xF2 else 4 if e == 0xF3 else 8
    v = np.int64(0)
    for j in range(k):
        v |= np.int64(p[1 + j]) << (8 * j)
    if k < 8:
        sh = 64 - 8 * k
        v = (v << sh) >> sh
    return at + 2 + k, 0, 0, True, v
