"""CRC-64 as Redis computes it: the checksum that ends every RDB file.

Redis's src/crc64.c: the Jones polynomial 0xad93d23594c935a9, reflected
(bits enter least-significant first), initial value 0, no final xor.  Check
value: crc64(b"123456789") == 0xe9c6d914c4b8d9ca.

Rules:
- The kernel is slicing-by-8 (eight 256-entry tables, eight bytes a step),
  as Redis's crcspeed is: about 1.5 GB/s here, where a byte at a time
  managed a third of that.  The tables are built once here, in Python, and passed
  to the kernel as an argument (Numba would freeze a global array).
- The running value is an int in Python; `crc64(data, crc)` continues a
  checksum, so a stream can be checksummed in pieces.
- All arithmetic is uint64.  tests/persistence/test_rdb_format.py checks the kernel
  against a bit-at-a-time reference.
"""
import numpy as np

from mako_numba.base.jit import kernel

POLY_REFLECTED = 0x95AC9329AC4BC9B5      # 0xad93d23594c935a9, bits reversed


def _tables():
    t = np.zeros((8, 256), np.uint64)
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ POLY_REFLECTED if c & 1 else c >> 1
        t[0, b] = c
    for k in range(1, 8):
        for b in range(256):
            prev = int(t[k - 1, b])
            t[k, b] = (prev >> 8) ^ int(t[0, prev & 0xFF])
    return t.ravel().copy()


TABLES = _tables()


@kernel(entry=True)
def crc64_update(crc, data, start, end, t):
    """The CRC-64 of data[start:end] continued from crc (uint64); returns uint64.

    data must be C-contiguous; t is TABLES (table k at t[256 * k:]).  The
    eight-byte steps read data as little-endian uint64 words (every target
    Numba runs on is little-endian).
    """
    c = np.uint64(crc)
    m = np.uint64(0xFF)
    nw = (end - start) >> 3
    words = data[start:start + nw * 8].view(np.uint64)
    for k in range(nw):
        c ^= words[k]
        c = (t[1792 + np.int64(c & m)] ^ t[1536 + np.int64((c >> np.uint64(8)) & m)]
             ^ t[1280 + np.int64((c >> np.uint64(16)) & m)]
             ^ t[1024 + np.int64((c >> np.uint64(24)) & m)]
             ^ t[768 + np.int64((c >> np.uint64(32)) & m)]
             ^ t[512 + np.int64((c >> np.uint64(40)) & m)]
             ^ t[256 + np.int64((c >> np.uint64(48)) & m)]
             ^ t[np.int64(c >> np.uint64(56))])
    for i in range(start + nw * 8, end):
        c = t[np.int64((c ^ np.uint64(data[i])) & m)] ^ (c >> np.uint64(8))
    return c


def crc64(data, crc=0):
    """CRC-64 (Redis's) of a bytes-like object, continuing from crc; an int."""
    arr = np.frombuffer(data, np.uint8) if not isinstance(data, np.ndarray) else data
    return int(crc64_update(np.uint64(crc), arr, 0, arr.shape[0], TABLES))
