"""APPEND, STRLEN, GETRANGE (and SUBSTR) and SETRANGE: the string commands
that read or edit a value's bytes and length (Redis's t_string.c).

Same calling convention as kernels.py, and the same rule: check, then act.
A value grows through `table.resize_value` (its first bytes kept, the rest
zeroed) and, as in Redis, never past proto-max-bulk-len.
"""
from mako_numba.protocol.errors import LIT_EMPTY_BULK, LIT_NOT_INT, LIT_OFFSET_RANGE, LIT_STRING_TOO_BIG
from mako_numba.config import settings as config
from mako_numba.base.jit import copy_bytes, kernel
from mako_numba.base.layout import S_HITS, S_MISSES
from mako_numba.protocol.replies import bulk_size, int_size
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, arg_int, clamp_range, count_lookup, read_or_reply, reply_bulk, reply_int, reply_lit,
    reserve, write_or_reply,
)
from mako_numba.store.arena import OK, ENC_RAW
from mako_numba.store.table import lookup, resize_value, set_enc_flags, store, value_of
from mako_numba.store.types import OBJ_STRING, WRONGTYPE


@kernel
def x_append(K, R, args, a0):
    """APPEND key value"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    k = a0 + 1
    v = a0 + 2
    n = args[v, 1]
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_STRING)
    if which == WRONGTYPE:
        return st
    if which == 0:
        if not reserve(conn, c, lim, int_size(n)):
            return X_DEFER
        if store(T, lim, db, h, which, pos, args[k, 0], args[k, 1], args[v, 0], n, 0) != OK:
            return X_DEFER
        return reply_int(conn, c, lim, n)
    old = value_of(T, which, pos)[1]
    if old + n > lim[config.L_MAX_BULK]:
        return reply_lit(conn, c, lim, lits, LIT_STRING_TOO_BIG)
    if not reserve(conn, c, lim, int_size(old + n)):
        return X_DEFER
    st, vaddr = resize_value(T, lim, which, pos, old + n)
    if st != OK:
        return X_DEFER
    if n > 0:
        copy_bytes(vaddr + old, args[v, 0], n)
    return reply_int(conn, c, lim, old + n)


@kernel
def x_strlen(K, R, args, a0, stats):
    """STRLEN key"""
    T = K[0]
    conn, c, lim, lits = R
    if not reserve(conn, c, lim, 24):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_STRING, 0)
    if which == WRONGTYPE:
        return st
    count_lookup(stats, which)
    return reply_int(conn, c, lim, 0 if which == 0 else value_of(T, which, pos)[1])


@kernel
def x_getrange(K, R, args, a0, stats):
    """GETRANGE key start end (and SUBSTR)"""
    T = K[0]
    conn, c, lim, lits = R
    ok1, start = arg_int(args, a0 + 2)
    if not ok1:
        return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
    ok2, end = arg_int(args, a0 + 3)
    if not ok2:
        return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_STRING, 0)
    if which == WRONGTYPE:
        return st
    if which == 0:
        st = reply_lit(conn, c, lim, lits, LIT_EMPTY_BULK)
        if st == X_DONE:
            stats[S_MISSES] += 1
        return st
    vaddr, n = value_of(T, which, pos)
    if not reserve(conn, c, lim, bulk_size(n)):        # the replies below cannot defer now
        return X_DEFER
    stats[S_HITS] += 1
    if start < 0 and end < 0 and start > end:
        return reply_lit(conn, c, lim, lits, LIT_EMPTY_BULK)
    start, end = clamp_range(start, end, n)
    if start > end or n == 0:
        return reply_lit(conn, c, lim, lits, LIT_EMPTY_BULK)
    return reply_bulk(conn, c, lim, vaddr + start, end - start + 1)


@kernel
def x_setrange(K, R, args, a0):
    """SETRANGE key offset value"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    ok, offset = arg_int(args, a0 + 2)
    if not ok:
        return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
    if offset < 0:
        return reply_lit(conn, c, lim, lits, LIT_OFFSET_RANGE)
    k = a0 + 1
    v = a0 + 3
    n = args[v, 1]
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_STRING)
    if which == WRONGTYPE:
        return st
    old = 0 if which == 0 else value_of(T, which, pos)[1]
    if n == 0:
        return reply_int(conn, c, lim, old)
    # compare without computing offset + n first: signed overflow is not
    # something LLVM lets a check rely on
    if offset > lim[config.L_MAX_BULK] - n:
        return reply_lit(conn, c, lim, lits, LIT_STRING_TOO_BIG)
    total = offset + n
    new_len = max(old, total)
    if not reserve(conn, c, lim, int_size(new_len)):
        return X_DEFER
    if which == 0:
        if store(T, lim, db, h, which, pos, args[k, 0], args[k, 1], 0, new_len, 0) != OK:
            return X_DEFER
        h, which, pos = lookup(T, lim, db, args[k, 0], args[k, 1], now)
        vaddr = value_of(T, which, pos)[0]
        set_enc_flags(T, which, pos, ENC_RAW)       # Redis builds it with sdsnewlen: raw
    else:
        st, vaddr = resize_value(T, lim, which, pos, new_len)
        if st != OK:
            return X_DEFER
    copy_bytes(vaddr + offset, args[v, 0], n)
    return reply_int(conn, c, lim, new_len)
