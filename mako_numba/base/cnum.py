"""Numbers in arguments, read exactly as Redis 7.0's C code reads them.

Every integer or float the slow path takes from a client (or from a
CONFIG SET value) goes through one of these, never through Python's
int() or float(), which accept what Redis refuses ("1_0", " 7", "+5",
"infinity" spellings of their own, Unicode digits).

- `string2ll` is util.c's string2ll: an optional '-', then "0" alone or a
  digit 1-9 and more digits, at most 20 bytes, within int64.
- `string2d` is util.c's string2d (libc strtod on the whole argument, no
  leading space, no NaN, no overflow or underflow to zero).
- `strtoll` and `strtod` are libc's, prefix rules and all (what Redis's
  CONFIG save and DEBUG SLEEP call); `atoi` likewise.
- `memtoull` is util.c's memtoull: ASCII digits and an optional unit
  (b, k, kb, m, mb, g, gb, any case), wrapping at 2**64 as C does.
Arguments are bytes; a str is taken as latin-1 (how the slow path decodes
arguments).
"""
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_libc.strtod.restype = ctypes.c_double
_libc.strtod.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
_libc.strtoll.restype = ctypes.c_longlong
_libc.strtoll.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]
_libc.strtoull.restype = ctypes.c_ulonglong
_libc.strtoull.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]
_ERANGE = 34
LONG_STR_SIZE = 21
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
_UNITS = {b"": 1, b"b": 1, b"k": 1000, b"kb": 1024, b"m": 1000**2, b"mb": 1024**2,
          b"g": 1000**3, b"gb": 1024**3}


def _bytes(b):
    return b.encode("latin-1") if isinstance(b, str) else bytes(b)


def _cstr(b):
    return b.split(b"\0", 1)[0]


def string2ll(b):
    """util.c string2ll: the int64 value of the whole argument, or None."""
    b = _bytes(b)
    n = len(b)
    if n == 0 or n >= LONG_STR_SIZE:
        return None
    if b == b"0":
        return 0
    p = 1 if b[0] == 0x2D else 0        # '-'
    if p == n or not 0x31 <= b[p] <= 0x39:
        return None
    for ch in b[p + 1:]:
        if not 0x30 <= ch <= 0x39:
            return None
    v = int(b[p:])
    if p:
        v = -v
    return v if INT64_MIN <= v <= INT64_MAX else None


def _end(buf, end):
    return ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)


def strtod(b):
    """libc strtod of a C string (up to a NUL): (value, bytes used, errno)."""
    buf = ctypes.create_string_buffer(_cstr(_bytes(b)))
    end = ctypes.c_char_p()
    ctypes.set_errno(0)
    v = _libc.strtod(buf, ctypes.byref(end))
    return v, _end(buf, end), ctypes.get_errno()


def string2d(b):
    """util.c string2d: the double the whole argument spells, or None."""
    b = _bytes(b)
    if not b or b[:1] in b" \t\n\v\f\r" or b"\0" in b:
        return None
    v, used, err = strtod(b)
    if used != len(b) or v != v or (err == _ERANGE and (v in (float("inf"), float("-inf")) or v == 0)):
        return None
    return v


def strtoll(b):
    """libc strtoll(s, &end, 10) of a C string: (value, the rest after the number)."""
    s = _cstr(_bytes(b))
    buf = ctypes.create_string_buffer(s)
    end = ctypes.c_char_p()
    v = _libc.strtoll(buf, ctypes.byref(end), 10)
    return v, s[_end(buf, end):]


def c_int(v):
    """A long long stored into a C int (wraps modulo 2**32)."""
    return ((v + (1 << 31)) % (1 << 32)) - (1 << 31)


def atoi(b):
    """libc atoi: strtol's prefix, truncated to a C int."""
    return c_int(strtoll(b)[0])


def memtoull(b):
    """util.c memtoull: a memory value ("100mb", "1gb", "4096", "") in bytes, or None."""
    s = _cstr(_bytes(b))
    if s[:1] == b"-":
        return None
    i = 0
    while i < len(s) and 0x30 <= s[i] <= 0x39:
        i += 1
    mul = _UNITS.get(s[i:].lower())
    if mul is None or i >= 128:
        return None
    val = int(s[:i]) if i else 0
    if val > (1 << 64) - 1:
        val = (1 << 64) - 1             # strtoull saturates (ERANGE is not checked)
    return (val * mul) % (1 << 64)
