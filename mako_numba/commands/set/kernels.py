"""Set commands (Redis's t_set.c) that read or change one set: SADD, SREM, SCARD, SISMEMBER,
SMISMEMBER, SMEMBERS.  The commands over several sets are in multi.py, the random ones in
random.py.

Same calling convention and rule as the string kernels: check, reserve the
reply, make room (members.prepare_add) and only then change the set.  A set
left empty is deleted, as Redis deletes it.
"""
from mako_numba.base.layout import C_OUT_WR, C_PROTO, T_DIRTY
from mako_numba.base.jit import kernel
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, arg_int, arg_word, count_lookup, out_of, read_or_reply, reply_int,
    reply_lit, reserve, word, write_or_reply,
)
from mako_numba.commands.set.members import (
    add_member, card, contains, prepare_add, remove_member, reply_all,
)
from mako_numba.protocol.errors import LIT_ONE, LIT_SYNTAX, LIT_WRONGTYPE, LIT_ZERO
from mako_numba.protocol.replies import int_size, w_agg_hdr, w_int
from mako_numba.store.arena import OK
from mako_numba.store.table import lookup, unlink_found, value_of
from mako_numba.store.types import OBJ_SET, WRONGTYPE, blob, lookup_write
from mako_numba.store.types.coll import after_removal, changed, fit_value, seeds_of

W_LIMIT = word("limit")


@kernel
def x_sadd(K, R, args, a0, argc):
    """SADD key member [member ...]"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, int_size(argc)):
        return X_DEFER
    k = a0 + 1
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_SET)
    if which == WRONGTYPE:
        return st
    tm = T[0]
    d0 = tm[T_DIRTY]
    st, which, pos, b = prepare_add(K, h, which, pos, args, k, a0 + 2, a0 + argc, 1)
    if st != OK:
        tm[T_DIRTY] = d0
        return X_DEFER
    seeds = seeds_of(T)
    added = 0
    for i in range(a0 + 2, a0 + argc):
        added += add_member(b, seeds, args[i, 0], args[i, 1])
    fit_value(T, lim, which, pos)
    if added == 0:
        tm[T_DIRTY] = d0
    else:
        changed(T, which, pos, d0, added)
    return reply_int(conn, c, rl, added)


@kernel
def x_srem(K, R, args, a0, argc):
    """SREM key member [member ...]"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, int_size(argc)):
        return X_DEFER
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_SET)
    if which == WRONGTYPE:
        return st
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    tm = T[0]
    d0 = tm[T_DIRTY]
    seeds = seeds_of(T)
    b = value_of(T, which, pos)[0]
    deleted = 0
    for i in range(a0 + 2, a0 + argc):
        deleted += remove_member(b, seeds, args[i, 0], args[i, 1])
        if card(b) == 0:
            break
    if deleted == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    after_removal(T, lim, which, pos, d0, deleted, card(b))
    return reply_int(conn, c, rl, deleted)


@kernel
def x_scard_like(K, R, args, a0, stats, what):
    """SCARD key (what 0), SISMEMBER key member (1)"""
    T = K[0]
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_SET, 0)
    if which == WRONGTYPE:
        return st
    count_lookup(stats, which)
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    b = value_of(T, which, pos)[0]
    if what == 0:
        return reply_int(conn, c, rl, card(b))
    if contains(b, seeds_of(T), args[a0 + 2, 0], args[a0 + 2, 1]):
        return reply_lit(conn, c, rl, lits, LIT_ONE)
    return reply_lit(conn, c, rl, lits, LIT_ZERO)


@kernel
def x_smismember(K, R, args, a0, argc, stats):
    """SMISMEMBER key member [member ...]"""
    T = K[0]
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, int_size(argc) + 4 * argc):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_SET, 0)
    if which == WRONGTYPE:
        return st
    count_lookup(stats, which)
    b = value_of(T, which, pos)[0] if which != 0 else 0
    seeds = seeds_of(T)
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], 42, argc - 2)
    for i in range(a0 + 2, a0 + argc):
        p = w_int(out, p, 1 if b != 0 and contains(b, seeds, args[i, 0], args[i, 1]) else 0)
    conn[c, C_OUT_WR] = p
    return X_DONE


@kernel
def x_smembers(K, R, args, a0, stats):
    """SMEMBERS key (a set in RESP3)"""
    T = K[0]
    conn, c, rl, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_SET, 0)
    if which == WRONGTYPE:
        return st
    ch = 126 if conn[c, C_PROTO] == 3 else 42
    if which == 0:
        if not reserve(conn, c, rl, 4):
            return X_DEFER
        count_lookup(stats, which)
        conn[c, C_OUT_WR] = w_agg_hdr(out_of(conn, c), conn[c, C_OUT_WR], ch, 0)
        return X_DONE
    st = reply_all(conn, c, rl, value_of(T, which, pos)[0], ch)
    if st == X_DONE:
        count_lookup(stats, which)
    return st


@kernel
def x_smove(K, R, args, a0):
    """SMOVE source destination member"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 80):
        return X_DEFER
    src = a0 + 1
    dst = a0 + 2
    m = a0 + 3
    h1, w1, p1 = lookup_write(T, lim, db, args[src, 0], args[src, 1], now, OBJ_SET, 0)
    h2, w2, p2 = lookup_write(T, lim, db, args[dst, 0], args[dst, 1], now, OBJ_SET, 0)
    if w1 == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    if w1 == WRONGTYPE or w2 == WRONGTYPE:
        return reply_lit(conn, c, rl, lits, LIT_WRONGTYPE)
    seeds = seeds_of(T)
    b1 = value_of(T, w1, p1)[0]
    member = contains(b1, seeds, args[m, 0], args[m, 1])
    if blob.same(args[src, 0], args[src, 1], args[dst, 0], args[dst, 1]) or not member:
        return reply_lit(conn, c, rl, lits, LIT_ONE if member else LIT_ZERO)
    tm = T[0]
    d0 = tm[T_DIRTY]
    st, w2, p2, b2 = prepare_add(K, h2, w2, p2, args, dst, m, m + 1, 1)
    if st != OK:
        tm[T_DIRTY] = d0
        return X_DEFER
    h1, w1, p1 = lookup(T, lim, db, args[src, 0], args[src, 1], 0)
    b1 = value_of(T, w1, p1)[0]
    remove_member(b1, seeds, args[m, 0], args[m, 1])
    if card(b1) == 0:
        unlink_found(T, lim, w1, p1)
    else:
        fit_value(T, lim, w1, p1)
        changed(T, w1, p1, d0, 0)
    h2, w2, p2 = lookup(T, lim, db, args[dst, 0], args[dst, 1], 0)
    b2 = value_of(T, w2, p2)[0]
    added = add_member(b2, seeds, args[m, 0], args[m, 1])
    fit_value(T, lim, w2, p2)
    if added:
        changed(T, w2, p2, d0, 0)
    tm[T_DIRTY] = d0 + 1 + added
    return reply_lit(conn, c, rl, lits, LIT_ONE)


@kernel
def sintercard_args(R, args, a0, argc, lit_numkeys, lit_toomany, lit_limit):
    """SINTERCARD numkeys key [key ...] [LIMIT limit]: (numkeys, limit), or (-1, status) after
    an error reply."""
    conn, c, rl, lits = R
    ok, numkeys = arg_int(args, a0 + 1)
    if not ok or numkeys < 1:
        return -1, reply_lit(conn, c, rl, lits, lit_numkeys)
    if numkeys > argc - 2:
        return -1, reply_lit(conn, c, rl, lits, lit_toomany)
    limit = 0
    j = 2 + numkeys
    while j < argc:
        if arg_word(args, a0 + j) == W_LIMIT and j + 1 < argc:
            j += 1
            ok, limit = arg_int(args, a0 + j)
            if not ok or limit < 0:
                return -1, reply_lit(conn, c, rl, lits, lit_limit)
        else:
            return -1, reply_lit(conn, c, rl, lits, LIT_SYNTAX)
        j += 1
    return numkeys, limit
