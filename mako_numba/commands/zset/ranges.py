"""Ranges of a sorted set (t_zset.c zrangeGenericCommand and zremrangeGenericCommand): ZRANGE,
ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZRANGESTORE,
ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX.

A range is found once (`_range`: its first position in the walk's
direction and how many elements it has), then sized and written.
ZRANGESTORE builds its result apart (a scratch block, zsetkey.py) in the
encoding Redis's would end with: a skiplist when a rank range is longer than
zset-max-listpack-entries, or when the result has more members than that or
a member longer than zset-max-listpack-value; else a listpack.  Then it
replaces the destination (any type, its TTL gone), or deletes it when the
range is empty.
"""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_OUT_WR, C_PROTO, T_DIRTY
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, arg_int, count_lookup, out_of, read_or_reply, reply_int, reply_lit, reserve,
    write_or_reply,
)
from mako_numba.commands.zset.common import (
    LIT_LIMIT_RANK, LIT_MINMAX_FLOAT, LIT_MINMAX_LEX, LIT_WITHSCORES_LEX, W_BYLEX, W_BYSCORE,
    W_LIMIT, W_REV, W_WITHSCORES, arg_is, lex_range, run_size, score_range, step, w_run,
)
from mako_numba.config import settings as config
from mako_numba.protocol.errors import LIT_NOT_INT, LIT_SYNTAX, LIT_ZERO
from mako_numba.protocol.replies import int_size, w_agg_hdr
from mako_numba.store.arena import OK
from mako_numba.store.table import unlink_found, value_of
from mako_numba.store.types import OBJ_ANY, OBJ_ZSET, WRONGTYPE, blob, lookup_write, lp, zsetlp, zsetval, zsl
from mako_numba.store.types.coll import seeds_of
from mako_numba.store.types.zscore import stack_bytes
from mako_numba.store.types.zsetkey import (
    LISTPACK_SAFETY, after_removal, compact_loose, free_scratch, member_text, scratch, store_value,
    unalloc_scratch,
)

RT_AUTO = 0
RT_RANK = 1
RT_SCORE = 2
RT_LEX = 3
DIR_AUTO = 0
DIR_FWD = 1
DIR_REV = 2


@kernel
def _range(b, rt, reverse, start, end, rng, lo, hi, offset, limit):
    """The range's first position in the walk's direction and its length: (position, count)."""
    llen = zsetval.length(b)
    if rt == RT_RANK:
        if start < 0:
            start = llen + start
        if end < 0:
            end = llen + end
        if start < 0:
            start = 0
        if start > end or start >= llen:
            return -1, 0
        if end >= llen:
            end = llen - 1
        p = zsetval.at_rank(b, llen - 1 - start if reverse else start)
        return p, end - start + 1
    if rt == RT_SCORE and offset > 0 and offset >= llen:
        return -1, 0
    if offset < 0:                      # `while (ln && offset--)` walks off the end
        return -1, 0
    if rt == RT_SCORE:
        p = zsetval.last_in_range(b, rng) if reverse else zsetval.first_in_range(b, rng)
    else:
        p = zsetval.last_in_lex(b, lo, hi) if reverse else zsetval.first_in_lex(b, lo, hi)
    while p >= 0 and offset > 0:
        p = step(b, p, reverse)
        offset -= 1
    first = p
    n = 0
    while p >= 0 and limit != 0:
        limit -= 1
        if rt == RT_SCORE:
            v = zsetval.score_at(b, p)
            inside = zsl.gte_min(v, rng) if reverse else zsl.lte_max(v, rng)
        else:
            inside = zsetval.lex_gte_at(b, p, lo) if reverse else zsetval.lex_lte_at(b, p, hi)
        if not inside:
            break
        n += 1
        p = step(b, p, reverse)
    return first, n


@kernel
def x_zrange(K, R, args, a0, argc, stats, store, rt, direction, lit0):
    """ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] and the
    older forms (rt / direction fixed); ZRANGESTORE dst src ... (store)."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    src = a0 + 2 if store else a0 + 1
    imin = src + 1
    imax = src + 2
    withscores = False
    offset = 0
    limit = -1
    j = src + 3
    end = a0 + argc
    while j < end:
        left = end - j - 1
        if not store and arg_is(args, j, W_WITHSCORES):
            withscores = True
        elif arg_is(args, j, W_LIMIT) and left >= 2:
            ok, offset = arg_int(args, j + 1)
            if not ok:
                return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
            ok, limit = arg_int(args, j + 2)
            if not ok:
                return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
            j += 2
        elif direction == DIR_AUTO and arg_is(args, j, W_REV):
            direction = DIR_REV
        elif rt == RT_AUTO and arg_is(args, j, W_BYLEX):
            rt = RT_LEX
        elif rt == RT_AUTO and arg_is(args, j, W_BYSCORE):
            rt = RT_SCORE
        else:
            return reply_lit(conn, c, rl, lits, LIT_SYNTAX)
        j += 1
    if direction == DIR_AUTO:
        direction = DIR_FWD
    if rt == RT_AUTO:
        rt = RT_RANK
    if limit != -1 and rt == RT_RANK:
        return reply_lit(conn, c, rl, lits, lit0 + LIT_LIMIT_RANK)
    if withscores and rt == RT_LEX:
        return reply_lit(conn, c, rl, lits, lit0 + LIT_WITHSCORES_LEX)
    reverse = direction == DIR_REV
    if reverse and rt != RT_RANK:
        imin, imax = imax, imin
    start = 0
    stop = 0
    rng = (0.0, False, 0.0, False)
    lo = (0, 0, 0, False)
    hi = lo
    if rt == RT_RANK:
        ok, start = arg_int(args, imin)
        if ok:
            ok, stop = arg_int(args, imax)
        if not ok:
            return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
    elif rt == RT_SCORE:
        ok, rng = score_range(args, imin, imax)
        if not ok:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_MINMAX_FLOAT)
    else:
        ok, lo, hi = lex_range(args, imin, imax)
        if not ok:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_MINMAX_LEX)
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, src, OBJ_ZSET, 0)
    if which == WRONGTYPE:
        return st
    b = 0
    p = -1
    n = 0
    if which != 0:
        b = value_of(T, which, pos)[0]
        p, n = _range(b, rt, reverse, start, stop, rng, lo, hi, offset, limit)
    if store:
        st = _store(K, R, args, a0 + 1, b, p, n, reverse, rt == RT_RANK)
    elif n == 0:
        conn[c, C_OUT_WR] = w_agg_hdr(out_of(conn, c), conn[c, C_OUT_WR], 42, 0)
        st = X_DONE
    else:
        resp3 = conn[c, C_PROTO] == 3
        nested = withscores and resp3
        if not reserve(conn, c, rl, int_size(2 * n) + run_size(b, p, n, withscores, nested, reverse)):
            return X_DEFER
        out = out_of(conn, c)
        q = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 2 * n if withscores and not resp3 else n)
        conn[c, C_OUT_WR] = w_run(out, q, b, p, n, withscores, nested, resp3, reverse)
        st = X_DONE
    if st == X_DONE:
        count_lookup(stats, which)
    return st


# --- ZRANGESTORE -----------------------------------------------------------------------------
@kernel
def run_shape(b, p, n, seeds):
    """The n elements from p upwards: (listpack bytes, skiplist node bytes, member entry
    bytes, longest member)."""
    buf = stack_bytes()
    lpb = 0
    nodes = 0
    members = 0
    longest = 0
    for i in range(n):
        a, m, isint, v = zsetval.member_at(b, p)
        s, k = member_text(a, m, isint, v, buf)
        lpb += zsetlp.pair_size(s, k, zsetval.score_at(b, p))
        nodes += zsl.node_size(zsl.level_of(blob.member_hash(seeds, s, k)))
        members += zsl.entry_size(k)
        longest = max(longest, k)
        p = zsetval.next_pos(b, p)
    return lpb, nodes, members, longest


@kernel
def build_run(z, skiplist, b, p, n, seeds):
    """Write n elements of the value at b from p upwards into the empty value at z (a listpack
    or a skiplist, made for them)."""
    buf = stack_bytes()
    if skiplist:
        zsl.build_begin(z)
    for i in range(n):
        a, m, isint, v = zsetval.member_at(b, p)
        s, k = member_text(a, m, isint, v, buf)
        sc = zsetval.score_at(b, p)
        if skiplist:
            zsl.append(z, blob.member_hash(seeds, s, k), sc, s, k)
        else:
            zsetlp.insert_at(z, zsetlp.end_of(z), s, k, sc)
        p = zsetval.next_pos(b, p)
    if skiplist:
        zsl.build_end(z)


@kernel
def _store(K, R, args, dst, b, p, n, reverse, by_rank):
    """ZRANGESTORE's end: the n elements from p (walked in the command's direction) as the
    sorted set at args[dst], or dst deleted when n is 0; replies the count."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    tm = T[0]
    d0 = tm[T_DIRTY]
    h, which, pos = lookup_write(T, lim, db, args[dst, 0], args[dst, 1], now, OBJ_ANY, 0)
    if n == 0:
        if which != 0:
            unlink_found(T, lim, which, pos)
            tm[T_DIRTY] = d0 + 1
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    seeds = seeds_of(T)
    if reverse:
        x = p
        for i in range(n - 1):
            x = zsetval.prev_pos(b, x)
        p = x
    lpb, nodes, members, longest = run_shape(b, p, n, seeds)
    maxe = lim[config.L_ZSET_LP_ENTRIES]
    skiplist = (by_rank and n > maxe) or n > maxe or longest > lim[config.L_ZSET_LP_VALUE] \
        or lp.EMPTY_SIZE + lpb > LISTPACK_SAFETY
    if skiplist:
        ncap, mcap, log = zsl.shape(zsl.HEAD + nodes, members, n)
        size = zsl.value_size(ncap, mcap, log)
    else:
        size = lp.EMPTY_SIZE + lpb
    ref, z = scratch(T, lim, size)
    if ref == 0:
        return X_DEFER
    if skiplist:
        zsl.init(z, ncap, mcap, log)
    else:
        lp.init(z)
    build_run(z, skiplist, b, p, n, seeds)
    st = store_value(T, lim, db, h, which, pos, args[dst, 0], args[dst, 1], z, size)
    if st != OK:
        unalloc_scratch(T, lim, ref, size)
        tm[T_DIRTY] = d0
        return X_DEFER
    free_scratch(T, lim, ref, size)
    tm[T_DIRTY] = d0 + 1
    return reply_int(conn, c, rl, n)


# --- ZREMRANGEBY* ----------------------------------------------------------------------------
@kernel
def x_zremrange(K, R, args, a0, rt, lit0):
    """ZREMRANGEBYRANK key start stop, ZREMRANGEBYSCORE key min max, ZREMRANGEBYLEX key min max"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    start = 0
    stop = 0
    rng = (0.0, False, 0.0, False)
    lo = (0, 0, 0, False)
    hi = lo
    if rt == RT_RANK:
        ok, start = arg_int(args, a0 + 2)
        if ok:
            ok, stop = arg_int(args, a0 + 3)
        if not ok:
            return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
    elif rt == RT_SCORE:
        ok, rng = score_range(args, a0 + 2, a0 + 3)
        if not ok:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_MINMAX_FLOAT)
    else:
        ok, lo, hi = lex_range(args, a0 + 2, a0 + 3)
        if not ok:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_MINMAX_LEX)
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_ZSET)
    if which == WRONGTYPE:
        return st
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    b = value_of(T, which, pos)[0]
    seeds = seeds_of(T)
    llen = zsetval.length(b)
    if rt == RT_RANK:
        if start < 0:
            start = llen + start
        if stop < 0:
            stop = llen + stop
        if start < 0:
            start = 0
        if start > stop or start >= llen:
            return reply_lit(conn, c, rl, lits, LIT_ZERO)
        if stop >= llen:
            stop = llen - 1
    if zsl.is_zsl(b) and (rt != RT_SCORE or zsetval.first_in_range(b, rng) >= 0):
        if compact_loose(T, lim, which, pos, seeds) != OK:
            return X_DEFER
        b = value_of(T, which, pos)[0]
    tm = T[0]
    d0 = tm[T_DIRTY]
    if rt == RT_RANK:
        deleted = zsetval.delete_rank_range(b, seeds, start, stop)
    elif rt == RT_SCORE:
        deleted = zsetval.delete_score_range(b, seeds, rng)
    else:
        deleted = zsetval.delete_lex_range(b, seeds, lo, hi)
    if deleted > 0:
        after_removal(T, lim, which, pos, d0, deleted, llen - deleted)
    return reply_int(conn, c, rl, deleted)
