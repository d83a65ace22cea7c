"""Sorted-set scores (store/types/zscore.py) against the C library Redis uses.

Reading: `string2d` (ZADD's scores) must accept exactly what util.c's
string2d accepts and give the same double (base/cnum.string2d, libc strtod
through ctypes, is the reference); `range_item` is zslParseRange's bound
(leading spaces and overflow to infinity allowed, "(" exclusive).  Printing:
`w_g17` must be glibc's "%.17g" byte for byte, `w_double` Redis's
addReplyDouble in RESP2 and RESP3, `score_text` what zzlInsertAt stores.
The fast paths (plain decimals, integral doubles, exact short fractions such as 1.5 or
0.0625) are crossed with random
doubles of every magnitude, so both sides of each are exercised.
"""
import math
import random
import struct

import numpy as np
import pytest

from mako_numba.base.cnum import string2d as c_string2d, strtod as c_strtod
from mako_numba.store.types import zscore

SPELLINGS = [b"1", b"1.5", b"-0", b"-0.0", b"+5", b" 1", b"1 ", b"\t1", b"inf", b"-inf", b"+inf", b"INF",
             b"Infinity", b"nan", b"-nan", b"NaN(123)", b"1e400", b"-1e400", b"1e-400", b"0x10", b"0x1p-3",
             b"1e5", b".5", b"5.", b".", b"", b"-", b"+", b"abc", b"1\x002", b"1.5.5", b"1e", b"1e+",
             b"4.9406564584124654e-324", b"1e-320", b"0.1", b"123456789012345678", b"1234567890123456",
             b"123456789012345", b"12345678901234.5", b"9223372036854775808", b"-9223372036854775808",
             b"00001", b"0.000000000000000000001", b"1" * 300, b"0." + b"0" * 300 + b"1",
             b"17976931348623157e292", b"2.2250738585072014e-308", b"  -3.25e2"]


def buf(b):
    return np.frombuffer(b + b"\0", np.uint8).copy()


def bits(v):
    return struct.pack("<d", v)


@pytest.mark.parametrize("text", SPELLINGS, ids=[repr(s)[:30] for s in SPELLINGS])
def test_string2d_is_utils(text):
    b = buf(text)
    ok, v = zscore.string2d(b.ctypes.data, len(text))
    want = c_string2d(text)
    assert ok == (want is not None)
    if ok:
        assert bits(v) == bits(want)


@pytest.mark.parametrize("text", SPELLINGS, ids=[repr(s)[:30] for s in SPELLINGS])
def test_range_item_is_zslparserange(text):
    for prefix in (b"", b"("):
        t = prefix + text
        b = buf(t)
        ok, v, ex = zscore.range_item(b.ctypes.data, len(t))
        body = t[1:] if prefix else t
        c = body.split(b"\0")[0]
        value, used, err = c_strtod(c)
        want_ok = used == len(c) and not math.isnan(value)
        assert ok == want_ok, t
        assert ex == bool(prefix)
        if ok:
            assert bits(v) == bits(value), t


def _random_doubles(n, seed=7):
    rng = random.Random(seed)
    out = [0.0, -0.0, 1.0, -1.0, 0.1, 1e17, 1e16, -1e17, 99999999999999999.0, 2.0 ** 62, 2.0 ** 62 + 1024,
           2.0 ** 63, math.inf, -math.inf, 5e-324, 1.7976931348623157e308,
           # the short-fraction path's edges: 17 digits and 18, fixed notation and not
           1.5, -0.25, 2.0 ** -13, -(2.0 ** -13), 2.0 ** -14, 1e-4, 0.5, 99999999999999.5,
           9999999999999999.5, 999999999999999.75, 0.0001220703125, 7.62939453125e-06,
           (2.0 ** 53 - 1) / 2 ** 17, 1.0000000000000002, 2.0 ** 60 + 0.5]
    while len(out) < n:
        k = rng.random()
        if k < 0.15:                    # dyadic fractions (exact short decimals, most of them)
            v = rng.randint(-10 ** rng.randint(1, 17), 10 ** rng.randint(1, 17)) / 2 ** rng.randint(1, 24)
        elif k < 0.3:
            v = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            if math.isnan(v):
                continue
        elif k < 0.55:
            v = rng.uniform(-1e6, 1e6)
        elif k < 0.75:
            v = float(rng.randint(-10 ** 18, 10 ** 18))
        else:
            v = round(rng.uniform(-1000, 1000), rng.randint(0, 6))
        out.append(v)
    return out


def test_printing_is_glibcs_and_reading_it_back_is_exact():
    out = np.zeros(64, np.uint8)
    for v in _random_doubles(20000):
        n = zscore.w_g17(out, 0, v)
        text = bytes(out[:n])
        assert text == (b"%.17g" % v if not math.isinf(v) else (b"inf" if v > 0 else b"-inf")), v
        assert text == zscore.format_score(v)
        b = buf(text)
        ok, back = zscore.string2d(b.ctypes.data, n)
        assert ok and bits(back) == bits(v), text
        short = repr(v).encode()
        b = buf(short)
        ok, back = zscore.string2d(b.ctypes.data, len(short))
        assert ok and bits(back) == bits(v), short


def test_replies_are_adddreplydouble():
    out = np.zeros(64, np.uint8)
    for v in _random_doubles(2000, seed=3):
        text = zscore.format_score(v)
        n = zscore.w_double(out, 0, v, False)
        assert bytes(out[:n]) == b"$%d\r\n%s\r\n" % (len(text), text)
        assert n <= zscore.SCORE_REPLY
        n = zscore.w_double(out, 0, v, True)
        assert bytes(out[:n]) == b",%s\r\n" % text


def test_listpack_scores_are_zzlinsertats():
    """An integer within +-2^62 is stored as its digits (an integer entry), anything else as
    "%.17g"; -0 is the integer 0 (double2ll takes it)."""
    b = np.zeros(64, np.uint8)
    for v in _random_doubles(5000, seed=5):
        n = zscore.score_text(b.ctypes.data, v)
        if v == int(v) if not math.isinf(v) else False:
            if abs(v) <= 2.0 ** 62:
                assert bytes(b[:n]) == b"%d" % int(v)
                continue
        assert bytes(b[:n]) == zscore.format_score(v)
        assert zscore.lp_score(b.ctypes.data, n) == v
