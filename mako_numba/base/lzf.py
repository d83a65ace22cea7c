"""LZF, as Redis compresses RDB strings with it (liblzf 3.6, src/lzf_c.c, lzf_d.c).

The format is a sequence of runs:
  000LLLLL <L+1 bytes>            a literal run of 1..32 bytes
  LLLooooo oooooooo               copy L+2 bytes (L = 1..6) from o+1 bytes back
  111ooooo LLLLLLLL oooooooo      copy L+9 bytes from o+1 bytes back
Back references may overlap what they produce (a run of one byte repeated).

Rules:
- The compressor is Redis's, step for step, with its build settings (HLOG
  16, VERY_FAST, not ULTRA_FAST), so the same input gives the same bytes and
  an RDB record we write matches Redis's.  It gives up (-1) exactly where
  Redis's would: Redis asks for at most len-4 output bytes and stores the
  string raw when that does not fit.
- One difference: liblzf leaves its 64K-slot hash table uninitialised (stack
  memory), so in Redis a slot left over from an earlier string can, rarely,
  offer a match inside the current one.  Ours behaves as if the table were
  zeroed for every string, without the cost of zeroing it: a slot holds
  `base + position`, `base` grows by len+1 per string, and a slot below the
  current base is empty.  Both outputs are valid LZF; ours is repeatable.
- Kernels take numpy uint8 arrays and return lengths or negative codes; they
  never raise.  The Python functions below convert and check.
"""
import numpy as np

from mako_numba.base.jit import kernel

HSIZE = 1 << 16
MAX_LIT = 32
MAX_OFF = 1 << 13
MAX_REF = (1 << 8) + (1 << 3)

TOO_SMALL = -1          # decompress: the output would exceed out_len (liblzf's E2BIG)
CORRUPT = -2            # decompress: truncated input or a reference before the start (EINVAL)


@kernel(inline=True)
def _idx(h):
    """liblzf's IDX for VERY_FAST with HLOG 16: a slot from the last three bytes."""
    return ((h >> 8) - h * 5) & (HSIZE - 1)


@kernel(entry=True)
def lzf_compress(src, n, dst, out_len, htab, base):
    """Compress src[:n] into dst (room for out_len + 1 bytes); htab holds HSIZE int64.

    Returns the compressed length, 0 for empty input, or -1 when the result
    would not fit in out_len bytes.  The caller adds n + 1 to base after
    each call (see the module rules).
    """
    if n == 0:
        return 0
    if out_len == 0:
        return -1
    ip = 0
    op = 1                  # dst[0] is the header of the first literal run
    lit = 0
    hval = 0
    if n >= 2:
        hval = (np.int64(src[0]) << 8) | np.int64(src[1])
    while ip < n - 2:
        hval = ((hval << 8) | np.int64(src[ip + 2])) & 0xFFFFFF
        slot = _idx(hval)
        ref = htab[slot] - base         # <= 0: empty (or position 0, never a match)
        htab[slot] = base + ip
        off = ip - ref - 1
        if (ref > 0 and off >= 0 and off < MAX_OFF and src[ref + 2] == src[ip + 2]
                and src[ref] == src[ip] and src[ref + 1] == src[ip + 1]):
            length = 2
            maxlen = n - ip - length
            if maxlen > MAX_REF:
                maxlen = MAX_REF
            if op - (1 if lit == 0 else 0) + 4 >= out_len:
                return -1
            dst[op - lit - 1] = (lit - 1) & 0xFF         # close the literal run
            if lit == 0:
                op -= 1                                  # ... or drop its empty header
            stopped = False
            if maxlen > 16:                 # liblzf's unrolled first 16 compares
                for _ in range(16):
                    length += 1
                    if src[ref + length] != src[ip + length]:
                        stopped = True
                        break
            if not stopped:
                length += 1
                while length < maxlen and src[ref + length] == src[ip + length]:
                    length += 1
            length -= 2                     # bytes matched - 2
            ip += 1
            if length < 7:
                dst[op] = (off >> 8) + (length << 5)
                op += 1
            else:
                dst[op] = (off >> 8) + (7 << 5)
                dst[op + 1] = length - 7
                op += 2
            dst[op] = off & 0xFF
            op += 2                         # and open a new literal run
            lit = 0
            ip += length + 1
            if ip >= n - 2:
                break
            ip -= 2                         # VERY_FAST: hash the match's last two bytes
            hval = (np.int64(src[ip]) << 8) | np.int64(src[ip + 1])
            hval = ((hval << 8) | np.int64(src[ip + 2])) & 0xFFFFFF
            htab[_idx(hval)] = base + ip
            ip += 1
            hval = ((hval << 8) | np.int64(src[ip + 2])) & 0xFFFFFF
            htab[_idx(hval)] = base + ip
            ip += 1
        else:
            if op >= out_len:
                return -1
            lit += 1
            dst[op] = src[ip]
            op += 1
            ip += 1
            if lit == MAX_LIT:
                dst[op - lit - 1] = lit - 1
                lit = 0
                op += 1
    if op + 3 > out_len:
        return -1
    while ip < n:
        lit += 1
        dst[op] = src[ip]
        op += 1
        ip += 1
        if lit == MAX_LIT:
            dst[op - lit - 1] = lit - 1
            lit = 0
            op += 1
    dst[op - lit - 1] = (lit - 1) & 0xFF
    if lit == 0:
        op -= 1
    return op


@kernel(entry=True)
def lzf_decompress(src, n, dst, out_len):
    """Decompress src[:n] into dst[:out_len]; returns the bytes written, TOO_SMALL or CORRUPT."""
    ip = 0
    op = 0
    while ip < n:
        ctrl = np.int64(src[ip])
        ip += 1
        if ctrl < 32:
            ctrl += 1
            if op + ctrl > out_len:
                return TOO_SMALL
            if ip + ctrl > n:
                return CORRUPT
            for k in range(ctrl):
                dst[op + k] = src[ip + k]
            op += ctrl
            ip += ctrl
        else:
            length = ctrl >> 5
            ref = op - ((ctrl & 0x1F) << 8) - 1
            if ip >= n:
                return CORRUPT
            if length == 7:
                length += np.int64(src[ip])
                ip += 1
                if ip >= n:
                    return CORRUPT
            ref -= np.int64(src[ip])
            ip += 1
            if op + length + 2 > out_len:
                return TOO_SMALL
            if ref < 0:
                return CORRUPT
            for k in range(length + 2):     # byte by byte: the source may overlap
                dst[op + k] = dst[ref + k]
            op += length + 2
    return op


class Compressor:
    """LZF compression with a hash table kept between calls (see the module rules)."""

    def __init__(self):
        self.htab = np.zeros(HSIZE, np.int64)
        self.base = 1
        self._out = np.zeros(64, np.uint8)

    def compress(self, data, out_limit):
        """data compressed into at most out_limit bytes, or None if it does not fit."""
        src = np.frombuffer(data, np.uint8)
        n = src.shape[0]
        if out_limit + 1 > self._out.shape[0]:
            self._out = np.zeros(max(out_limit + 1, 2 * self._out.shape[0]), np.uint8)
        k = lzf_compress(src, n, self._out, out_limit, self.htab, self.base)
        self.base += n + 1
        return self._out[:k].tobytes() if k >= 0 else None


def compress(data, out_limit=None):
    """data LZF-compressed into at most out_limit bytes (default len(data)), or None."""
    return Compressor().compress(data, len(data) if out_limit is None else out_limit)


def decompress(data, out_len):
    """The out_len bytes that LZF data expands to, or None if it is not exactly that."""
    src = np.frombuffer(data, np.uint8)
    out = np.empty(out_len, np.uint8)
    k = lzf_decompress(src, src.shape[0], out, out_len)
    return out.tobytes() if k == out_len else None
