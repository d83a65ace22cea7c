"""Redis's listpack (listpack.c) as kernels: its entries, and a listpack changed in place.

A listpack is one run of bytes, byte for byte what Redis keeps for a small
hash, list node or sorted set and what its RDB file saves:

  u32 total bytes, u16 elements (65535: "count them"), entries, 0xFF
  entry: encoding and data, then backlen (the entry's size, 1..5 bytes,
         7 bits a byte, read backwards)
  0xxxxxxx            7-bit unsigned integer
  10llllll + data     string shorter than 64 bytes
  110xxxxx xxxxxxxx   13-bit signed integer
  1110llll llllllll   string shorter than 4096 bytes
  11110000 + u32 len  longer string
  0xF1 / F2 / F3 / F4 16, 24, 32 and 64-bit signed integers, little-endian

Writing (`put`, `put_int`) is lpAppend's: a string that is a canonical
integer of at most 20 bytes (lpStringToInt64, Redis's string2ll) takes the
smallest integer encoding, anything else is a string.  `element` reads the
entry at an offset; `next_at` / `prev_at` walk forwards and backwards (the
backlen is what makes the backward walk O(1) an entry).  `insert` and
`delete` change a listpack in place as lpInsert / lpDelete do, moving the
bytes after the change; the caller has made room (`entry_size` says how
much an element takes).  Offsets are from the listpack's first byte:
LP_HDR is the first entry, `total - 1` the 0xFF end.

Rules: kernels over addresses (the listpack at `a`); no allocation, no
raising; a listpack given to them is well formed (persistence/listpack.py
checks one from a file first).
"""
import numpy as np

from mako_numba.base.jit import copy_bytes, kernel, move_bytes, u8view
from mako_numba.protocol.parsebase import string2ll

LP_HDR = 6
LP_EOF = 0xFF
NUMELE_UNKNOWN = 65535
EMPTY_SIZE = LP_HDR + 1


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
def put_le(dst, p, v, nbytes):
    """v as nbytes little-endian bytes at dst[p:] (the header's fields, integer data)."""
    for j in range(nbytes):
        dst[p + j] = (v >> (8 * j)) & 0xFF


@kernel(inline=True)
def _int_size(v):
    """Bytes of the integer v's entry, backlen included."""
    if 0 <= v <= 127:
        return 2
    if -4096 <= v <= 4095:
        return 3
    if -32768 <= v <= 32767:
        return 4
    if -8388608 <= v <= 8388607:
        return 5
    if -2147483648 <= v <= 2147483647:
        return 6
    return 10


@kernel
def entry_size(a, n):
    """Bytes the string (a, n) takes as an entry, backlen included (what `put` writes)."""
    ok, v = as_int(a, n)
    if ok:
        return _int_size(v)
    size = n + (1 if n < 64 else 2 if n < 4096 else 5)
    return size + backlen_size(size)


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
    put_le(dst, p + 1, v, k)
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
        put_le(dst, p + 1, n, 4)
        p += 5
    copy_bytes(dst.ctypes.data + p, a, n)
    p += n
    size = p - start
    k = backlen_size(size)
    for j in range(k):        # most significant 7 bits first; all but the first byte flagged
        dst[p + j] = ((size >> (7 * (k - 1 - j))) & 127) | (128 if j > 0 else 0)
    return p + k


@kernel
def element(a, at):
    """The element at offset at of the listpack at a: (next offset, string address,
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


# --- a listpack as a whole -------------------------------------------------------------------
@kernel(inline=True)
def total_bytes(a):
    p = u8view(a, 4)
    return np.int64(p[0]) | (np.int64(p[1]) << 8) | (np.int64(p[2]) << 16) | (np.int64(p[3]) << 24)


@kernel(inline=True)
def count(a):
    """The element count in the header (NUMELE_UNKNOWN past 65534)."""
    p = u8view(a + 4, 2)
    return np.int64(p[0]) | (np.int64(p[1]) << 8)


@kernel
def init(a):
    """An empty listpack at a (EMPTY_SIZE bytes)."""
    p = u8view(a, EMPTY_SIZE)
    put_le(p, 0, EMPTY_SIZE, 4)
    put_le(p, 4, 0, 2)
    p[LP_HDR] = LP_EOF


@kernel(inline=True)
def next_at(a, at):
    """The offset of the entry after the one at `at` (the end's offset total - 1 after the last)."""
    return element(a, at)[0]


@kernel
def prev_at(a, at):
    """The offset of the entry before offset `at` (an entry's or the end's); -1 before the first."""
    if at <= LP_HDR:
        return -1
    p = u8view(a, at)
    q = at - 1
    size = 0
    shift = 0
    while True:                 # the backlen, read backwards: 7 bits a byte, flagged but the first
        size |= (np.int64(p[q]) & 127) << shift
        if p[q] & 128 == 0:
            break
        shift += 7
        q -= 1
    return q - size


@kernel(inline=True)
def last_at(a):
    """The offset of the last entry; -1 when empty."""
    return prev_at(a, total_bytes(a) - 1)


@kernel(inline=True)
def _set_header(a, total, n):
    p = u8view(a, LP_HDR)
    put_le(p, 0, total, 4)
    put_le(p, 4, min(n, NUMELE_UNKNOWN), 2)


@kernel
def insert(a, at, s, n):
    """Insert the string (s, n) before the entry at offset `at` (total - 1: at the end);
    the listpack must have entry_size(s, n) bytes of room after its end.  Returns the new
    total."""
    total = total_bytes(a)
    size = entry_size(s, n)
    move_bytes(a + at + size, a + at, total - at)
    put(u8view(a, total + size), at, s, n)
    c = count(a)
    _set_header(a, total + size, c + 1 if c != NUMELE_UNKNOWN else c)
    return total + size


@kernel
def delete(a, at):
    """Remove the entry at offset `at`; returns the new total."""
    total = total_bytes(a)
    nxt = next_at(a, at)
    move_bytes(a + at, a + nxt, total - nxt)
    c = count(a)
    _set_header(a, total - (nxt - at), c - 1 if c != NUMELE_UNKNOWN else c)
    return total - (nxt - at)
