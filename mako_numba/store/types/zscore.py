"""Sorted-set scores in kernels: doubles read and printed exactly as Redis 7.0 reads and prints them.

Redis parses a score with the C library's strtod and prints one with
snprintf("%.17g"), so the bytes a client sees are glibc's.  These kernels
call the same two functions (LLVM declarations of the C symbols, resolved
when a kernel is loaded, so kernels calling them stay cacheable: as
server/syscalls.py does), behind fast paths that give the same answer
without them:

- reading: a plain decimal of at most 15 digits and no exponent is m / 10^k
  with m and 10^k exact doubles, so IEEE division rounds it exactly as
  strtod does (Clinger's fast path); an integer of at most 18 digits is
  exact the same way.  Anything else (exponents, hex, "inf", long
  mantissas, spaces) goes to strtod, on a NUL-terminated copy: on the
  stack when short, else in a temporary array.
- printing: an integral double below 1e17 prints as its integer (what
  "%.17g" prints for it), "-0" for negative zero; anything else is
  snprintf's.

The rules of each caller are Redis's:
- `string2d` (util.c): ZADD's and ZINCRBY's scores, WEIGHTS: the whole
  argument, no leading space, no overflow to infinity, no underflow to 0,
  no NaN ("value is not a valid float").
- `range_item` (t_zset.c zslParseRange): a ZRANGEBYSCORE-style bound: an
  optional "(" (exclusive), then strtod, which may skip leading spaces, must
  stop at the end of the C string, and may overflow to infinity; only NaN
  is refused.  An empty bound is 0, as strtod("") is.
- `lp_score` (zzlStrtod): a score a listpack holds as a string.
- `double2ll` / `score_text` (util.c double2ll, t_zset.c zzlInsertAt): how a
  listpack stores a score: an integer entry when the double is an integer
  within +-2^62, else its "%.17g" text ("inf", "-inf").
- `w_double` (networking.c addReplyDouble): a bulk string in RESP2, a RESP3
  double (",...") in RESP3, at most SCORE_REPLY bytes.

Rules: kernels over addresses; only `_strtod_heap` allocates (a score
argument of STACK_PARSE bytes or more).
"""
import ctypes
import math

import numpy as np

from mako_numba.base.jit import JIT_DISABLED, copy_bytes, i64uview, kernel, u8view
from mako_numba.protocol.parsebase import string2ll
from mako_numba.protocol.replies import w_crlf, w_num

G17_MAX = 24            # the longest "%.17g" of a double: -1.2345678901234567e-308
SCORE_REPLY = 31        # "$24\r\n" + 24 + "\r\n" (RESP2) or "," + 24 + "\r\n" (RESP3), and snprintf's NUL
STACK_PARSE = 256       # a number shorter than this is copied onto the stack for strtod
LP_STRTOD_MAX = 127     # zzlStrtod reads at most this many bytes of a listpack's score
ERANGE = 34
TWO_62 = 4611686018427387904.0      # (double)(LLONG_MAX / 2): double2ll's bound
INF = np.inf
POW10 = np.array([10.0 ** k for k in range(23)], np.float64)

if JIT_DISABLED:
    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.strtod.restype = ctypes.c_double
    _libc.strtod.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]

    def _c_strtod(addr):
        end = ctypes.c_void_p()
        ctypes.set_errno(0)
        v = _libc.strtod(int(addr), ctypes.byref(end))
        return v, end.value or int(addr), ctypes.get_errno()

    def _c_fmt17(addr, cap, v):
        text = b"%.17g" % v
        ctypes.memmove(int(addr), text + b"\0", min(len(text) + 1, int(cap)))
        return len(text)

    def f64_of_bits(i):
        return float(np.int64(i).view(np.float64))

    def bits_of_f64(v):
        return int(np.float64(v).view(np.int64))

    _STACK = {}

    def stack_bytes():
        buf = _STACK.setdefault("buf", np.zeros(STACK_PARSE + 8, np.uint8))
        return buf.ctypes.data
else:
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def _c_strtod(typingctx, addr):
        """strtod(addr, &end) with errno cleared first: (value, end address, errno)."""
        if not isinstance(addr, types.Integer):
            return None

        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            i32 = ir.IntType(32)
            i8p = ir.IntType(8).as_pointer()
            p = builder.inttoptr(context.cast(builder, args[0], signature.args[0], types.int64), i8p)
            endp = cgutils.alloca_once(builder, i8p)
            errno_at = builder.call(cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(i32.as_pointer(), []), "__errno_location"), [])
            builder.store(i32(0), errno_at)
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.DoubleType(), [i8p, i8p.as_pointer()]), "strtod")
            v = builder.call(fn, [p, endp])
            end = builder.ptrtoint(builder.load(endp), i64)
            err = builder.sext(builder.load(errno_at), i64)
            return context.make_tuple(builder, signature.return_type, [v, end, err])
        return types.Tuple((types.float64, types.int64, types.int64))(addr), codegen

    @intrinsic
    def _c_fmt17(typingctx, addr, cap, value):
        """snprintf(addr, cap, "%.17g", value): the text's length."""
        if not (isinstance(addr, types.Integer) and isinstance(cap, types.Integer)
                and isinstance(value, types.Float)):
            return None

        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            i8p = ir.IntType(8).as_pointer()
            fmt = context.insert_const_string(builder.module, "%.17g")
            fnty = ir.FunctionType(ir.IntType(32), [i8p, i64, i8p], var_arg=True)
            fn = cgutils.get_or_insert_function(builder.module, fnty, "snprintf")
            dst = builder.inttoptr(context.cast(builder, args[0], signature.args[0], types.int64), i8p)
            n = context.cast(builder, args[1], signature.args[1], types.int64)
            v = context.cast(builder, args[2], signature.args[2], types.float64)
            return builder.sext(builder.call(fn, [dst, n, fmt, v]), i64)
        return types.int64(addr, cap, value), codegen

    @intrinsic
    def f64_of_bits(typingctx, i):
        """The double whose IEEE bits are the int64 i."""
        if not isinstance(i, types.Integer):
            return None

        def codegen(context, builder, signature, args):
            v = context.cast(builder, args[0], signature.args[0], types.int64)
            return builder.bitcast(v, ir.DoubleType())
        return types.float64(i), codegen

    @intrinsic
    def bits_of_f64(typingctx, v):
        """The IEEE bits of the double v, as an int64."""
        if not isinstance(v, types.Float):
            return None

        def codegen(context, builder, signature, args):
            d = context.cast(builder, args[0], signature.args[0], types.float64)
            return builder.bitcast(d, ir.IntType(64))
        return types.int64(v), codegen

    @intrinsic
    def stack_bytes(typingctx):
        """The address of STACK_PARSE + 8 bytes on the stack of the calling kernel: valid until
        that kernel returns (never return it, never keep it)."""
        def codegen(context, builder, signature, args):
            arr = cgutils.alloca_once(builder, ir.ArrayType(ir.IntType(8), STACK_PARSE + 8))
            return builder.ptrtoint(arr, ir.IntType(64))
        return types.int64(), codegen


# --- reading ---------------------------------------------------------------------------------
@kernel(inline=True)
def load_f64(addr):
    """The double stored (little-endian, any alignment) at addr."""
    return f64_of_bits(i64uview(addr, 1)[0])


@kernel(inline=True)
def store_f64(addr, v):
    i64uview(addr, 1)[0] = bits_of_f64(v)


@kernel
def _fast_decimal(a, n):
    """(ok, value) of a plain decimal (sign, digits, one optional point, at most 15 digits, no
    exponent) that covers all n bytes: exactly what strtod gives for it."""
    if n == 0 or n > 17:
        return False, 0.0
    p = u8view(a, n)
    i = 0
    neg = False
    if p[0] == 45 or p[0] == 43:
        neg = p[0] == 45
        i = 1
    m = np.int64(0)
    digits = 0
    frac = 0
    point = False
    while i < n:
        ch = p[i]
        if 48 <= ch <= 57:
            m = m * 10 + (ch - 48)
            digits += 1
            if point:
                frac += 1
        elif ch == 46 and not point:
            point = True
        else:
            return False, 0.0
        i += 1
    if digits == 0 or digits > 15:
        return False, 0.0
    v = np.float64(m) / POW10[frac]
    return True, -v if neg else v


@kernel
def strtod_n(a, n):
    """libc strtod over the n bytes at a read as a C string (as Redis's sds: an embedded NUL
    ends it): (value, bytes consumed, errno)."""
    if n >= STACK_PARSE:
        return _strtod_heap(a, n)
    buf = stack_bytes()
    copy_bytes(buf, a, n)
    u8view(buf + n, 1)[0] = 0
    v, end, err = _c_strtod(buf)
    return v, end - buf, err


@kernel(allocates=True)
def _strtod_heap(a, n):
    tmp = np.empty(n + 1, np.uint8)
    copy_bytes(tmp.ctypes.data, a, n)
    tmp[n] = 0
    v, end, err = _c_strtod(tmp.ctypes.data)
    return v, end - tmp.ctypes.data, err


@kernel
def string2d(a, n):
    """util.c string2d: (ok, value) of the whole argument as a double."""
    if n == 0:
        return False, 0.0
    ok, v = _fast_decimal(a, n)
    if ok:
        return True, v
    ok, iv = string2ll(u8view(a, n), 0, n)
    if ok:
        return True, np.float64(iv)
    c0 = u8view(a, 1)[0]
    if c0 == 32 or 9 <= c0 <= 13:
        return False, 0.0
    v, used, err = strtod_n(a, n)
    if used != n or v != v:
        return False, 0.0
    if err == ERANGE and (v == INF or v == -INF or v == 0.0):
        return False, 0.0
    return True, v


@kernel
def range_item(a, n):
    """One bound of zslParseRange: (ok, value, exclusive)."""
    ex = False
    if n > 0 and u8view(a, 1)[0] == 40:
        a += 1
        n -= 1
        ex = True
    ok, v = _fast_decimal(a, n)
    if ok:
        return True, v, ex
    if n > 0:
        ok, iv = string2ll(u8view(a, n), 0, n)
        if ok:
            return True, np.float64(iv), ex
    v, used, err = strtod_n(a, n)
    if used < n and u8view(a + used, 1)[0] != 0:
        return False, 0.0, ex
    if v != v:
        return False, 0.0, ex
    return True, v, ex


@kernel
def lp_score(a, n):
    """zzlStrtod: the double a listpack's score string spells (its first 127 bytes)."""
    if n > LP_STRTOD_MAX:
        n = LP_STRTOD_MAX
    ok, v = _fast_decimal(a, n)
    if ok:
        return v
    return strtod_n(a, n)[0]


# --- storing and printing --------------------------------------------------------------------
@kernel(inline=True)
def double2ll(d):
    """util.c double2ll: (ok, integer) when d is an integer within +-2^62."""
    if d != d or d < -TWO_62 or d > TWO_62:
        return False, 0
    ll = np.int64(d)
    if np.float64(ll) == d:
        return True, ll
    return False, 0


@kernel(inline=True)
def is_neg_zero(v):
    return v == 0.0 and bits_of_f64(v) < 0


@kernel
def w_g17(out, p, v):
    """"%.17g" of v at out[p:] (room for G17_MAX + 1 bytes: snprintf's NUL); the end."""
    if v == np.floor(v) and -1e17 < v < 1e17:
        if is_neg_zero(v):
            out[p] = 45
            out[p + 1] = 48
            return p + 2
        return w_num(out, p, np.int64(v))
    q = w_short_fraction(out, p, v)
    if q >= 0:
        return q
    return p + _c_fmt17(out.ctypes.data + p, G17_MAX + 1, v)


POW10_17 = 10 ** 17


@kernel(inline=True)
def w_short_fraction(out, p, v):
    """"%.17g" of a v that is not an integer, when its exact decimal value has at most 17
    significant digits and %g prints it in fixed notation (1e-4 <= |v| < 1e17): 1.5, 0.25,
    -3.0625.  The end, or -1 (snprintf's turn).

    v * 2^k is an integer for the least such k (at most 17 here) iff v * 10^k is: the
    integer m * 5^k, m odd, so its last digit is 5 and %g strips no zero.  Those digits,
    with the point k places from the right, are exactly what %.17g prints.
    """
    a = abs(v)
    if not (1e-4 <= a < 1e17):
        return -1
    s = a
    for k in range(1, 18):
        s = s * 2.0                 # exact
        if s >= 4611686018427387904.0:
            return -1
        if s == np.floor(s):
            d = np.int64(s)
            scale = np.int64(1)
            for _ in range(k):
                d *= 5
                scale *= 10
                if d >= POW10_17:
                    return -1
            if v < 0:
                out[p] = 45
                p += 1
            p = w_num(out, p, d // scale)
            out[p] = 46
            f = d % scale
            for i in range(k):      # the k fraction digits, zero-padded on the left
                scale //= 10
                out[p + 1 + i] = 48 + (f // scale) % 10
            return p + 1 + k
    return -1


@kernel
def score_text(addr, v):
    """The text a listpack stores for score v (zzlInsertAt: an integer's digits, which the
    listpack then encodes as an integer, or "%.17g") at addr (32 bytes); its length."""
    out = u8view(addr, 32)
    ok, ll = double2ll(v)
    if ok:
        return w_num(out, 0, ll)
    return w_g17(out, 0, v)


@kernel
def w_double(out, p, v, resp3):
    """addReplyDouble: v as a bulk string (RESP2) or a RESP3 double; room for SCORE_REPLY bytes."""
    if resp3:
        out[p] = 44
        return w_crlf(out, w_g17(out, p + 1, v))
    q = w_g17(out, p + 5, v)
    n = q - (p + 5)
    out[p] = 36
    if n < 10:
        out[p + 1] = 48 + n
        start = p + 2
    else:
        out[p + 1] = 48 + n // 10
        out[p + 2] = 48 + n % 10
        start = p + 3
    out[start] = 13
    out[start + 1] = 10
    start += 2
    for i in range(n):          # left, over the gap the header did not fill
        out[start + i] = out[p + 5 + i]
    return w_crlf(out, start + n)


def format_score(v):
    """Python's view: "%.17g" as Redis prints a score (tests, OBJECT-like readers)."""
    if math.isinf(v):
        return b"inf" if v > 0 else b"-inf"
    return b"%.17g" % v
