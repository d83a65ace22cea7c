"""A set of integers as Redis's intset, byte for byte: the value of a small all-integer set.

  u32 encoding (2, 4 or 8: the width of every element), u32 length,
  then the elements, sorted, little-endian, all of that width.

The blob is the record's value (any alignment), exactly 8 + enc * length
bytes, so RDB_TYPE_SET_INTSET saves it as it is.  A set starts as an intset
when its first member is an integer (Redis's setTypeCreate) and becomes a
table (blob.py) at the first member that is not, or past
set-max-intset-entries (setTypeAdd); never back.

Rules: as blob.py's: in place, no allocation; the caller sizes the value
(`size_after_add`) before `insert`.
"""
import numpy as np

from mako_numba.base.jit import kernel, move_bytes, u32uview, u8view
from mako_numba.protocol.parsebase import string2ll

IHDR = 8


@kernel(inline=True)
def is_intset(b):
    e = u32uview(b, 2)[0]
    return e == 2 or e == 4 or e == 8


@kernel(inline=True)
def length(b):
    return np.int64(u32uview(b, 2)[1])


@kernel(inline=True)
def width(b):
    return np.int64(u32uview(b, 2)[0])


@kernel(inline=True)
def value_width(v):
    if -32768 <= v <= 32767:
        return 2
    if -2147483648 <= v <= 2147483647:
        return 4
    return 8


@kernel(inline=True)
def _get(b, enc, i):
    p = u8view(b + IHDR + enc * i, enc)
    v = np.int64(0)
    for j in range(enc):
        v |= np.int64(p[j]) << (8 * j)
    if enc < 8:
        sh = 64 - 8 * enc
        v = (v << sh) >> sh          # sign-extend
    return v


@kernel(inline=True)
def _put(b, enc, i, v):
    p = u8view(b + IHDR + enc * i, enc)
    for j in range(enc):
        p[j] = (v >> (8 * j)) & 255


@kernel
def get(b, i):
    return _get(b, width(b), i)


@kernel
def search(b, v):
    """(found, position): where v is, or where it would go."""
    enc = width(b)
    lo = 0
    hi = length(b) - 1
    while lo <= hi:
        mid = (lo + hi) >> 1
        x = _get(b, enc, mid)
        if x < v:
            lo = mid + 1
        elif x > v:
            hi = mid - 1
        else:
            return True, mid
    return False, lo


@kernel
def init(b):
    h = u32uview(b, 2)
    h[0] = 2
    h[1] = 0


@kernel(inline=True)
def size_of(enc, n):
    return IHDR + enc * n


@kernel
def size_after_add(b, v):
    """The blob's length once v is added (it is absent)."""
    return size_of(max(width(b), value_width(v)), length(b) + 1)


@kernel
def insert(b, v):
    """Add v (absent) into a value already sized size_after_add (intsetAdd, with its upgrade)."""
    enc = width(b)
    n = length(b)
    h = u32uview(b, 2)
    ve = value_width(v)
    if ve > enc:
        # intsetUpgradeAndAdd: widen from the end; v is below or above every element
        first = 1 if v < 0 else 0
        for i in range(n - 1, -1, -1):
            _put(b, ve, i + first, _get(b, enc, i))
        _put(b, ve, 0 if v < 0 else n, v)
        h[0] = ve
        h[1] = n + 1
        return
    found, pos = search(b, v)
    move_bytes(b + IHDR + enc * (pos + 1), b + IHDR + enc * pos, enc * (n - pos))
    _put(b, enc, pos, v)
    h[1] = n + 1


@kernel
def delete_at(b, pos):
    """Remove element pos; the blob is then size_of(width, length) bytes (the caller shrinks it)."""
    enc = width(b)
    n = length(b)
    move_bytes(b + IHDR + enc * pos, b + IHDR + enc * (pos + 1), enc * (n - pos - 1))
    u32uview(b, 2)[1] = n - 1


@kernel
def as_int(a, n):
    """(ok, value): is (a, n) a string Redis stores in an intset (string2ll, strictly)?"""
    if n == 0 or n > 20:
        return False, 0
    return string2ll(u8view(a, n), 0, n)
