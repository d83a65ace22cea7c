"""INCRBYFLOAT and LCS: the two string commands the slow path runs.

INCRBYFLOAT: Redis does its arithmetic in C `long double` (80-bit extended
precision on x86-64): it parses both numbers with strtold, adds them, and
prints the sum with "%.17Lf" before trimming zeros (util.c ld2string,
LD_STR_HUMAN).  Numba has no long double type, and doubles give different
digits (10.5 + 0.1 is "10.6" in Redis, 10.59999999999999964 in doubles), so
this runs in Python, calling the C library itself: strtold validates and
sscanf("%Lf") reads the exact 80-bit value, numpy's longdouble adds, snprintf
formats.  The key keeps its expire time, as Redis's dbOverwrite does.

LCS: the argument parsing and reply shapes are here; the O(n*m) table and the
walk back are kernels (lcs.py) over arrays allocated here.  The table's size
is bounded by proto-max-bulk-len, with Redis's error.
"""
import ctypes

import numpy as np

from mako_numba.config import settings as config
from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.base.layout import C_DB, S_HITS, S_MISSES, T_PROP_ADDR, T_TX_SERIAL, T_TX_STAMP, T_TX_STAMPED
from mako_numba.commands.string.lcs import empty_ranges, lcs_table, lcs_walk
from mako_numba.store.types import OBJ_STRING, type_number
from mako_numba.commands.slowpath import lower_arg, int_or_none

_libc = ctypes.CDLL(None, use_errno=True)
_libc.strtold.restype = ctypes.c_longdouble
_libc.strtold.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
MAX_LONG_DOUBLE_CHARS = 5 * 1024
_ERANGE = 34


def string2ld(b):
    """Redis's string2ld: the exact long double (numpy longdouble) or None."""
    if not b or len(b) >= MAX_LONG_DOUBLE_CHARS or b[:1] in b" \t\n\v\f\r":
        return None
    buf = ctypes.create_string_buffer(bytes(b))
    end = ctypes.c_char_p()
    ctypes.set_errno(0)
    _libc.strtold(buf, ctypes.byref(end))
    err = ctypes.get_errno()
    used = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)
    if used != len(b):
        return None
    raw = (ctypes.c_char * 16)()
    if _libc.sscanf(buf, b"%Lf", raw) != 1:
        return None
    value = np.frombuffer(bytes(raw), np.longdouble)[0]
    if np.isnan(value) or (err == _ERANGE and (np.isinf(value) or value == 0)):
        return None
    return value


def ld2string_human(value):
    """"%.17Lf", trailing zeros (and a bare '.') removed, "-0" shown as "0"."""
    buf = ctypes.create_string_buffer(MAX_LONG_DOUBLE_CHARS)
    ld = ctypes.c_longdouble.from_buffer_copy(np.array([value], np.longdouble).tobytes())
    n = _libc.snprintf(buf, MAX_LONG_DOUBLE_CHARS, b"%.17Lf", ld)
    s = buf.raw[:n]
    if b"." in s:
        s = s.rstrip(b"0")
        if s.endswith(b"."):
            s = s[:-1]
    return b"0" if s == b"-0" else s


class StringCommands:
    def incrbyfloat(self, call):
        core = self.core
        db = int(core.conn[call.slot, C_DB])
        key = call.args[1]
        found = core.key_info(db, key)
        if found is not None and type_number(found[4]) != OBJ_STRING:
            return resp.error(errors.WRONGTYPE)
        current = string2ld(found[0]) if found is not None else np.longdouble(0)
        incr = string2ld(call.args[2])
        if current is None or incr is None:
            return resp.error(errors.NOT_FLOAT)
        total = current + incr
        if np.isnan(total) or np.isinf(total):
            return resp.error(errors.FLOAT_NAN_INF)
        text = ld2string_human(total)
        tm = core.ks.tm
        if self.in_exec:                    # Redis's argv holds the new value (expire.set_keep_ttl)
            tm[T_TX_STAMP] = int(tm[T_TX_SERIAL]) << 1 | int(tm[T_PROP_ADDR] != 0)
            tm[T_TX_STAMPED] = 1
        try:
            core.store_value(db, key, text)
        finally:
            tm[T_TX_STAMP] = 0
        return resp.bulk(text)

    def lcs(self, call):
        core = self.core
        db = int(core.conn[call.slot, C_DB])
        values = []
        strings = True
        for key in call.args[1:3]:
            found = core.key_info(db, key, touch=True)
            core.stats[S_HITS if found is not None else S_MISSES] += 1
            values.append(found[0] if found is not None else b"")
            strings = strings and (found is None or type_number(found[4]) == OBJ_STRING)
        if not strings:
            return resp.error(errors.LCS_NOT_STRINGS)
        a, b = values
        getidx = getlen = withmatchlen = False
        minmatchlen = 0
        args = call.args
        j = 3
        while j < len(args):
            opt = lower_arg(args[j])
            more = len(args) - 1 - j
            if opt == "idx":
                getidx = True
            elif opt == "len":
                getlen = True
            elif opt == "withmatchlen":
                withmatchlen = True
            elif opt == "minmatchlen" and more:
                v = int_or_none(args[j + 1])
                if v is None:
                    return resp.error(errors.NOT_INTEGER)
                minmatchlen = max(v, 0)
                j += 1
            else:
                return resp.error(errors.SYNTAX)
            j += 1
        if getidx and getlen:
            return resp.error(errors.LCS_LEN_AND_IDX)
        if len(a) >= (1 << 32) - 1 or len(b) >= (1 << 32) - 1:
            return resp.error(errors.LCS_TOO_LONG)
        if (len(a) + 1) * (len(b) + 1) * 4 > int(core.lim[config.L_MAX_BULK]):
            return resp.error(errors.LCS_MEMORY)
        av = np.frombuffer(a, np.uint8)
        bv = np.frombuffer(b, np.uint8)
        dp = np.zeros((len(a) + 1, len(b) + 1), np.uint32)
        lcs_table(av, bv, dp)
        length = int(dp[len(a), len(b)])
        if getlen:
            return resp.integer(length)
        result = np.zeros(length, np.uint8)
        ranges = empty_ranges(min(len(a), len(b)))
        nr = lcs_walk(av, bv, dp, minmatchlen, getidx, result, ranges)
        if not getidx:
            return resp.bulk(result.tobytes())
        items = []
        for r in ranges[:nr].tolist():
            item = [resp.array([resp.integer(r[0]), resp.integer(r[1])]),
                    resp.array([resp.integer(r[2]), resp.integer(r[3])])]
            if withmatchlen:
                item.append(resp.integer(r[4]))
            items.append(resp.array(item))
        return resp.map_([(resp.bulk("matches"), resp.array(items)),
                          (resp.bulk("len"), resp.integer(length))], call.proto)


__all__ = ["StringCommands", "string2ld", "ld2string_human"]
