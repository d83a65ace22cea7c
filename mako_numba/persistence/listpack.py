"""Listpacks in the RDB file: a compact hash or set written as one, one from a file checked.

A listpack is how Redis 7.0 keeps a small hash, and what RDB_TYPE_HASH_LISTPACK
saves, byte for byte; its format and entry kernels (`put`, `element`, ...)
are store/types/lp.py's, re-exported here.  `write_blob` writes a compact
hash blob (store/types/blob.py) as the listpack Redis would hold for the
same fields in the same order.

`check` serves the loader: it validates a whole listpack from a file before
any of it is used, as Redis's deep integrity check does (every entry inside
the bounds, each backlen matching its entry, the count in the header right
unless 65535, 0xFF at the end), so `element` can then walk it without
checks.

Rules: kernels over addresses and numpy arrays; no allocation, no raising;
`bound` gives the room `write_blob` may take, read from the blob's header
alone.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.store.types import blob
from mako_numba.store.types.lp import (  # noqa: F401  (the format's kernels, re-exported)
    LP_EOF, LP_HDR, NUMELE_UNKNOWN, as_int, backlen_size, element, put, put_int, put_le,
)

MAX_GROWTH = 8      # an element's listpack entry exceeds its blob entry by at most this


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
    put_le(dst, 0, p, 4)
    elements = blob.count(b) * (2 if pairs else 1)
    put_le(dst, 4, min(elements, NUMELE_UNKNOWN), 2)
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
