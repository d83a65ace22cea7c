"""Key-space and expiry commands (Redis's db.c and expire.c), as kernels.

Same calling convention as strings.py: context `X = (T, lim, conn, args,
lits, cmdt, stats)` and `(c, a0, argc, ci, now)`, returning X_DONE or X_DEFER.

Expiry is kept in milliseconds in each record's header.  Every lookup
deletes a key whose time has come (lazy expiry, table.lookup); the loop also
sweeps the index in the background (table.active_expire), so keys nobody
reads are reclaimed too.
"""
from .errors import (
    LIT_ARITY_SUF, LIT_EXP_GT_LT, LIT_EXP_NX_COMBO, LIT_EXPIRE_PRE, LIT_MINUS1, LIT_MINUS2,
    LIT_NOT_INT, LIT_ONE, LIT_UNSUPPORTED_PRE, LIT_ZERO,
)
from .jit import kernel
from .layout import C_DB
from .respond import (
    X_DEFER, arg_int, arg_word, reply_error_arg, reply_int, reply_lit, reply_named, reserve, word,
)
from .table import expire_of, lookup, set_expire_at, unlink_found

EXP_NX = 1
EXP_XX = 2
EXP_GT = 4
EXP_LT = 8
W_NX = word("nx")
W_XX = word("xx")
W_GT = word("gt")
W_LT = word("lt")
INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808


@kernel
def x_del_exists(X, c, a0, argc, ci, now, is_del):
    """DEL key [key ...] / EXISTS key [key ...] (repeats count): one loop, two verbs."""
    T, lim, conn, args, lits, cmdt, stats = X
    if not reserve(conn, c, lim, 24):
        return X_DEFER
    db = conn[c, C_DB]
    n = 0
    for i in range(a0 + 1, a0 + argc):
        h, which, pos = lookup(T, lim, db, args[i, 0], args[i, 1], now)
        if which != 0:
            n += 1
            if is_del:
                unlink_found(T, lim, which, pos)
    return reply_int(conn, c, lim, n)


@kernel
def x_expire(X, c, a0, argc, ci, now, seconds, relative):
    """EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT]"""
    T, lim, conn, args, lits, cmdt, stats = X
    flags = 0
    for j in range(a0 + 3, a0 + argc):
        w = arg_word(args, j)
        if w == W_NX:
            flags |= EXP_NX
        elif w == W_XX:
            flags |= EXP_XX
        elif w == W_GT:
            flags |= EXP_GT
        elif w == W_LT:
            flags |= EXP_LT
        else:
            return reply_error_arg(conn, c, lim, lits, LIT_UNSUPPORTED_PRE, args, j)
    if flags & EXP_NX and flags & (EXP_XX | EXP_GT | EXP_LT):
        return reply_lit(conn, c, lim, lits, LIT_EXP_NX_COMBO)
    if flags & EXP_GT and flags & EXP_LT:
        return reply_lit(conn, c, lim, lits, LIT_EXP_GT_LT)
    ok, when = arg_int(args, a0 + 2)
    if not ok:
        return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
    if seconds:
        if when > INT64_MAX // 1000 or when < -(INT64_MAX // 1000) - 1:
            return reply_named(conn, c, lim, lits, cmdt, ci, LIT_EXPIRE_PRE, LIT_ARITY_SUF)
        when *= 1000
    base = now if relative else 0
    if when > INT64_MAX - base:
        return reply_named(conn, c, lim, lits, cmdt, ci, LIT_EXPIRE_PRE, LIT_ARITY_SUF)
    when += base
    if not reserve(conn, c, lim, 4):
        return X_DEFER
    h, which, pos = lookup(T, lim, conn[c, C_DB], args[a0 + 1, 0], args[a0 + 1, 1], now)
    if which == 0:
        return reply_lit(conn, c, lim, lits, LIT_ZERO)
    if flags:
        cur = expire_of(T, which, pos)
        cur = -1 if cur == 0 else cur
        if flags & EXP_NX and cur != -1:
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
        if flags & EXP_XX and cur == -1:
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
        if flags & EXP_GT and (when <= cur or cur == -1):
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
        if flags & EXP_LT and cur != -1 and when >= cur:
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
    if when <= now:
        unlink_found(T, lim, which, pos)
    else:
        set_expire_at(T, which, pos, when)
    return reply_lit(conn, c, lim, lits, LIT_ONE)


@kernel
def x_ttl(X, c, a0, argc, ci, now, ms, absolute):
    """TTL / PTTL / EXPIRETIME / PEXPIRETIME key"""
    T, lim, conn, args, lits, cmdt, stats = X
    h, which, pos = lookup(T, lim, conn[c, C_DB], args[a0 + 1, 0], args[a0 + 1, 1], now)
    if which == 0:
        return reply_lit(conn, c, lim, lits, LIT_MINUS2)
    exp = expire_of(T, which, pos)
    if exp == 0:
        return reply_lit(conn, c, lim, lits, LIT_MINUS1)
    ttl = exp if absolute else exp - now
    if ttl < 0:
        ttl = 0
    return reply_int(conn, c, lim, ttl if ms else (ttl + 500) // 1000)


@kernel
def x_persist(X, c, a0, argc, ci, now):
    """PERSIST key"""
    T, lim, conn, args, lits, cmdt, stats = X
    if not reserve(conn, c, lim, 4):
        return X_DEFER
    h, which, pos = lookup(T, lim, conn[c, C_DB], args[a0 + 1, 0], args[a0 + 1, 1], now)
    if which == 0 or expire_of(T, which, pos) == 0:
        return reply_lit(conn, c, lim, lits, LIT_ZERO)
    set_expire_at(T, which, pos, 0)
    return reply_lit(conn, c, lim, lits, LIT_ONE)

