"""The hash encodings of older RDB files, read by kernels: ziplist (Redis 3.2 .. 6.2), zipmap (2.x).

Redis 7.0 no longer writes them but loads them (rdb.c converts each to a
listpack, then to a table past hash-max-listpack-entries), so a file from
an older Redis loads here too.

  ziplist: u32 total bytes, u32 offset of the last entry, u16 count (65535:
           "count them"), entries, 0xFF.  An entry: the previous entry's
           size (1 byte below 254, else 0xFE and a u32), an encoding, the
           data: 00llllll / 01llllll llllllll / 10000000 + big-endian u32
           strings, 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8,
           0xF1..0xFD the integers 0..12 in the byte itself.
  zipmap:  u8 count (254: "count them"), then field and value, each a length
           (1 byte below 254, else 0xFE and a u32, host order) and its bytes;
           a value has a "free" byte after its length and that many unused
           bytes after it; 0xFF.

`check_*` validates a whole encoded value before any of it is used, as
Redis's deep integrity checks do (ziplistValidateIntegrity,
zipmapValidateIntegrity), and returns its number of strings (-1: corrupt);
`*_element` then walks it without checks: (next offset, string address,
string length, is an integer, the integer).

Rules: as listpack.py's: kernels over addresses, no allocation, no raising.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view

ZL_HDR = 10
ZM_HDR = 1
END = 0xFF
BIG = 254


@kernel(inline=True)
def _u32(p, at):
    return (np.int64(p[at]) | (np.int64(p[at + 1]) << 8) | (np.int64(p[at + 2]) << 16)
            | (np.int64(p[at + 3]) << 24))


@kernel(inline=True)
def _zl_encoding(p, at, last):
    """(header bytes of the encoding, data bytes) of the ziplist encoding at p[at]; (0, 0) when
    it is unknown or its header passes last."""
    e = np.int64(p[at])
    kind = e >> 6
    if kind == 0:
        return 1, e & 0x3F
    if kind == 1:
        if at + 1 >= last:
            return 0, 0
        return 2, ((e & 0x3F) << 8) | np.int64(p[at + 1])
    if kind == 2:
        if e != 0x80 or at + 4 >= last:
            return 0, 0
        return 5, ((np.int64(p[at + 1]) << 24) | (np.int64(p[at + 2]) << 16)
                   | (np.int64(p[at + 3]) << 8) | np.int64(p[at + 4]))
    if e == 0xC0:
        return 1, 2
    if e == 0xD0:
        return 1, 4
    if e == 0xE0:
        return 1, 8
    if e == 0xF0:
        return 1, 3
    if e == 0xFE:
        return 1, 1
    if 0xF1 <= e <= 0xFD:
        return 1, 0
    return 0, 0


@kernel
def check_ziplist(a, n):
    """Validate the ziplist of n bytes at a; its number of strings, or -1."""
    if n < ZL_HDR + 1:
        return -1
    p = u8view(a, n)
    last = n - 1
    if _u32(p, 0) != n or p[last] != END or _u32(p, 4) > last:
        return -1
    at = ZL_HDR
    prev_size = 0
    prev_at = -1
    count = 0
    while at < last:
        if p[at] < BIG:
            prevlen = np.int64(p[at])
            head = 1
        else:
            if at + 5 > last:
                return -1
            prevlen = _u32(p, at + 1)
            head = 5
        if prevlen != prev_size or at + head >= last:
            return -1
        hlen, dlen = _zl_encoding(p, at + head, last)
        if hlen == 0 or at + head + hlen + dlen > last:
            return -1
        prev_size = head + hlen + dlen
        prev_at = at
        at += prev_size
        count += 1
    if at != last or (prev_at >= 0 and prev_at != _u32(p, 4)):
        return -1
    numele = np.int64(p[8]) | (np.int64(p[9]) << 8)
    if numele != 65535 and numele != count:
        return -1
    return count


@kernel
def ziplist_element(a, at):
    """The entry at offset at of a checked ziplist at a."""
    p = u8view(a + at, 16)
    head = 1 if p[0] < BIG else 5
    e = np.int64(p[head])
    hlen, dlen = _zl_encoding(p, head, 16)      # (a header is at most 10 bytes)
    start = at + head + hlen
    if e >> 6 != 3:
        return start + dlen, a + start, dlen, False, 0
    if dlen == 0:
        return start, 0, 0, True, (e & 0x0F) - 1
    q = u8view(a + start, dlen)
    v = np.int64(0)
    for j in range(dlen):
        v |= np.int64(q[j]) << (8 * j)
    if dlen < 8:
        sh = 64 - 8 * dlen
        v = (v << sh) >> sh
    return start + dlen, 0, 0, True, v


@kernel(inline=True)
def _zm_length(p, at, last):
    """(length, header bytes) of the zipmap length at p[at]; header 0 when it passes last."""
    if at >= last:
        return 0, 0
    if p[at] < BIG:
        return np.int64(p[at]), 1
    if at + 5 > last:
        return 0, 0
    return _u32(p, at + 1), 5


@kernel
def check_zipmap(a, n):
    """Validate the zipmap of n bytes at a; its number of strings (two per field), or -1."""
    if n < 2:
        return -1
    p = u8view(a, n)
    last = n - 1
    if p[last] != END:
        return -1
    at = ZM_HDR
    fields = 0
    while at < last:
        ln, h = _zm_length(p, at, last)
        if h == 0 or at + h + ln > last:
            return -1
        at += h + ln
        ln, h = _zm_length(p, at, last)
        if h == 0 or at + h >= last:
            return -1
        at += h + 1 + ln + np.int64(p[at + h])
        if at > last:
            return -1
        fields += 1
    if fields == 0 or (p[0] != BIG and np.int64(p[0]) != fields):
        return -1
    return 2 * fields


@kernel
def zipmap_element(a, at, value):
    """The field (value False) or value at offset at of a checked zipmap at a."""
    p = u8view(a + at, 6)
    if p[0] < BIG:
        ln = np.int64(p[0])
        h = 1
    else:
        ln = _u32(p, 1)
        h = 5
    if not value:
        return at + h + ln, a + at + h, ln, False, 0
    free = np.int64(p[h])
    return at + h + 1 + ln + free, a + at + h + 1, ln, False, 0
