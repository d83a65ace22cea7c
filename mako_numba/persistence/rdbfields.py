"""The strings of the RDB scanner's rows, decoded for the loaders' kernels.

A string in a file is raw (its bytes are used where they lie in the
buffer), an integer (written out in decimal) or LZF (expanded); the last
two go into a scratch array the caller sizes (`room`).  rdbload.py decodes
keys and string values with these, rdbbuild.py the strings of hashes and
sets.

Rules: kernels; no allocation; bad LZF data is a length of -1, reported by
the caller (where it lies: the compressed bytes' offset, and the length
they promised).
"""
import numpy as np

from mako_numba.base.jit import kernel
from mako_numba.base.lzf import lzf_decompress
from mako_numba.persistence.rdbscan import F_INT, F_LZF

INT_MAX_DIGITS = 24     # room for an int64 in decimal, with its sign


@kernel(inline=True)
def decimal(v, tmp, at):
    """Write v in decimal at tmp[at:]; its length (tmp holds INT_MAX_DIGITS there)."""
    neg = v < 0
    u = np.uint64(-(v + 1)) + np.uint64(1) if neg else np.uint64(v)
    n = 0
    while True:
        tmp[at + INT_MAX_DIGITS - 1 - n] = 48 + np.int64(u % np.uint64(10))
        u //= np.uint64(10)
        n += 1
        if u == 0:
            break
    if neg:
        tmp[at + INT_MAX_DIGITS - 1 - n] = 45
        n += 1
    for j in range(n):
        tmp[at + j] = tmp[at + INT_MAX_DIGITS - n + j]
    return n


@kernel(inline=True)
def decimal_len(v):
    """The length of v in decimal."""
    if v == -9223372036854775808:
        return 20
    n = 2 if v < 0 else 1
    u = -v if v < 0 else v
    while u >= 10:
        u //= 10
        n += 1
    return n


@kernel(inline=True)
def room(rows, i, col):
    """Scratch bytes the string in rows[i, col:col + 4] takes when decoded."""
    enc = rows[i, col]
    if enc == F_INT:
        return INT_MAX_DIGITS
    if enc == F_LZF:
        return rows[i, col + 3]
    return 0


@kernel(inline=True)
def decode(buf, enc, a, b, c, tmp, at):
    """(address, length) of the string (enc, a, b, c) over buf, decoded into tmp[at:] if need
    be; length -1 when its LZF data (buf[a:a + b], c bytes once expanded) is bad."""
    if enc == F_INT:
        return tmp.ctypes.data + at, decimal(a, tmp, at)
    if enc == F_LZF:
        if lzf_decompress(buf[a:a + b], b, tmp[at:], c) != c:
            return 0, -1
        return tmp.ctypes.data + at, c
    return buf.ctypes.data + a, b


@kernel(inline=True)
def field(buf, rows, i, col, tmp, at):
    """decode for the string in rows[i, col:col + 4]."""
    return decode(buf, rows[i, col], rows[i, col + 1], rows[i, col + 2], rows[i, col + 3], tmp, at)
