"""Sorted-set operations over several keys (t_zset.c zunionInterDiffGenericCommand): ZUNION,
ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZINTERCARD.

The inputs may be sorted sets or sets (a set's members score 1), as in
Redis.  The keys are looked up first (a key of another type answers
WRONGTYPE, a missing one is empty); each source is kept in its argument
row's spare column: 0 missing, a sorted set's value address, or minus a
set's.  Then the options (WEIGHTS, AGGREGATE, WITHSCORES, LIMIT), in
Redis's order and with its errors.

Union and intersection take the sources from the smallest (a stable sort,
as glibc's qsort is for these sizes), so a member's aggregate is summed in
Redis's order.  The result is built in a scratch skiplist (zsl.py), sized
first for the most it can hold, then replied from, or stored as Redis's
zsetConvertToListpackIfNeeded leaves it: a listpack when it has at most
zset-max-listpack-entries members none longer than
zset-max-listpack-value, else a skiplist (built again to its exact size);
an empty result deletes the destination.  ZINTERCARD only counts.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import C_OUT_WR, C_PROTO, S_HITS, S_MISSES, T_DIRTY
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, arg_int, out_of, reply_int, reply_lit, reply_named, reserve,
)
from mako_numba.commands.zset.common import (
    LIT_AT_LEAST_PRE, LIT_LIMIT_NEG, LIT_WEIGHT_FLOAT, W_AGGREGATE, W_LIMIT, W_MAX, W_MIN, W_SUM,
    W_WEIGHTS, W_WITHSCORES, arg_is, run_size, w_run,
)
from mako_numba.config import settings as config
from mako_numba.protocol.errors import (
    LIT_ARITY_SUF, LIT_NOT_INT, LIT_SYNTAX, LIT_WRONGTYPE, LIT_ZERO,
)
from mako_numba.protocol.replies import int_size, w_agg_hdr, w_num
from mako_numba.store.arena import OK
from mako_numba.store.table import unlink_found, value_of
from mako_numba.store.types import (
    OBJ_ANY, OBJ_SET, OBJ_ZSET, blob, intset, lookup_read, lookup_write, lp, type_of,
    zsetval, zsl,
)
from mako_numba.store.types.coll import seeds_of
from mako_numba.store.types.zscore import bits_of_f64, stack_bytes, string2d
from mako_numba.store.types.zsetkey import (
    free_scratch, member_text, scratch, store_value, unalloc_scratch,
)
from mako_numba.commands.zset.ranges import build_run, run_shape

SETOP_UNION = 0
SETOP_INTER = 1
SETOP_DIFF = 2
AGG_SUM = 0
AGG_MIN = 1
AGG_MAX = 2


# --- a source: a sorted set, a set, or nothing -----------------------------------------------
@kernel
def src_len(x):
    if x == 0:
        return 0
    if x > 0:
        return zsetval.length(x)
    b = -x
    return intset.length(b) if intset.is_intset(b) else blob.count(b)


@kernel
def src_begin(x):
    if x > 0:
        return zsetval.first(x)
    return 0


@kernel
def src_step(x, cur):
    """(element, next cursor); element -1 at the end."""
    if x == 0:
        return -1, cur
    if x > 0:
        if cur < 0:
            return -1, cur
        return cur, zsetval.next_pos(x, cur)
    b = -x
    if intset.is_intset(b):
        if cur >= intset.length(b):
            return -1, cur
        return cur, cur + 1
    return blob.walk_next(b, cur, False)


@kernel
def src_member(x, e, buf):
    """(address, length) of element e's member (an integer's digits written at buf)."""
    if x > 0:
        a, n, isint, v = zsetval.member_at(x, e)
        return member_text(a, n, isint, v, buf)
    b = -x
    if intset.is_intset(b):
        return buf, w_num(u8view(buf, 24), 0, intset.get(b, e))
    a1, n1, a2, n2, nxt = blob.entry_at(b, e, False)
    return a1, n1


@kernel
def src_score(x, e):
    if x > 0:
        return zsetval.score_at(x, e)
    return 1.0


@kernel
def src_find(x, seeds, a, n):
    """(found, score) of member (a, n) in the source."""
    if x == 0:
        return False, 0.0
    if x > 0:
        p, v = zsetval.find(x, seeds, a, n)
        return p >= 0, v
    b = -x
    if intset.is_intset(b):
        ok, v = intset.as_int(a, n)
        return ok and intset.search(b, v)[0], 1.0
    return blob.find(b, seeds, a, n, False)[0] >= 0, 1.0


@kernel(inline=True)
def aggregate(t, v, mode):
    """zunionInterAggregate."""
    if mode == AGG_SUM:
        t = t + v
        return 0.0 if t != t else t
    if mode == AGG_MIN:
        return v if v < t else t
    return v if v > t else t


@kernel
def sources(K, R, args, first, end):
    """Look up the keys args[first:end] as sorted sets or sets into their spare column (0
    missing, a sorted set's address, minus a set's): (end, X_DONE), or (i, status) when key i
    has another type and WRONGTYPE was answered (its spare column then says "found")."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    for i in range(first, end):
        h, which, pos = lookup_read(T, lim, db, args[i, 0], args[i, 1], now, -1, 0)
        x = 0
        if which != 0:
            t = type_of(T, which, pos)
            if t != OBJ_ZSET and t != OBJ_SET:
                args[i, 2] = 1
                return i, reply_lit(conn, c, rl, lits, LIT_WRONGTYPE)
            x = value_of(T, which, pos)[0]
            if t == OBJ_SET:
                x = -x
        args[i, 2] = x
    return end, X_DONE


@kernel
def count_sources(stats, args, first, end):
    for i in range(first, end):
        stats[S_HITS if args[i, 2] != 0 else S_MISSES] += 1


# --- the command -----------------------------------------------------------------------------
@kernel(allocates=True)
def x_zsetop(K, R, args, a0, argc, ci, cmdt, stats, op, dst, card_only, lit0):
    """ZUNION/ZINTER/ZDIFF numkeys key ... [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]; with dst
    the STORE forms (destination first); card_only ZINTERCARD numkeys key ... [LIMIT limit]."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    ni = a0 + (2 if dst else 1)
    ok, setnum = arg_int(args, ni)
    if not ok:
        return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
    if setnum < 1:
        return reply_named(conn, c, rl, lits, cmdt, ci, lit0 + LIT_AT_LEAST_PRE, LIT_ARITY_SUF)
    end = a0 + argc
    if setnum > end - (ni + 1):
        return reply_lit(conn, c, rl, lits, LIT_SYNTAX)
    first = ni + 1
    last = first + setnum
    if not reserve(conn, c, rl, 64):
        return X_DEFER
    upto, st = sources(K, R, args, first, last)
    if upto < last:
        if st == X_DONE:
            count_sources(stats, args, first, upto + 1)
        return st
    weights = np.ones(setnum, np.float64)
    mode = AGG_SUM
    withscores = False
    limit = 0
    j = last
    err = -1
    while j < end and err < 0:
        remaining = end - j
        if op != SETOP_DIFF and not card_only and remaining >= setnum + 1 and arg_is(args, j, W_WEIGHTS):
            j += 1
            for i in range(setnum):
                ok, w = string2d(args[j, 0], args[j, 1])
                if not ok:
                    err = lit0 + LIT_WEIGHT_FLOAT
                    break
                weights[i] = w
                j += 1
        elif op != SETOP_DIFF and not card_only and remaining >= 2 and arg_is(args, j, W_AGGREGATE):
            j += 1
            if arg_is(args, j, W_SUM):
                mode = AGG_SUM
            elif arg_is(args, j, W_MIN):
                mode = AGG_MIN
            elif arg_is(args, j, W_MAX):
                mode = AGG_MAX
            else:
                err = LIT_SYNTAX
            j += 1
        elif remaining >= 1 and not dst and not card_only and arg_is(args, j, W_WITHSCORES):
            j += 1
            withscores = True
        elif card_only and remaining >= 2 and arg_is(args, j, W_LIMIT):
            j += 1
            ok, limit = arg_int(args, j)
            if not ok or limit < 0:
                err = lit0 + LIT_LIMIT_NEG
            j += 1
        else:
            err = LIT_SYNTAX
    if err >= 0:
        st = reply_lit(conn, c, rl, lits, err)
        if st == X_DONE:
            count_sources(stats, args, first, last)
        return st
    # the sources' order: by size for union and intersection (a stable sort), as given for diff
    order = np.arange(setnum)
    if op != SETOP_DIFF:
        for i in range(1, setnum):
            k = order[i]
            kl = src_len(args[first + k, 2])
            p = i
            while p > 0 and src_len(args[first + order[p - 1], 2]) > kl:
                order[p] = order[p - 1]
                p -= 1
            order[p] = k
    xs = np.empty(setnum, np.int64)
    ws = np.empty(setnum, np.float64)
    for i in range(setnum):
        xs[i] = args[first + order[i], 2]
        ws[i] = weights[order[i]]
    seeds = seeds_of(T)
    if card_only:
        n = _intercard(xs, seeds, limit)
        if not reserve(conn, c, rl, int_size(n)):
            return X_DEFER
        count_sources(stats, args, first, last)
        return reply_int(conn, c, rl, n)
    # the accumulator: a skiplist sized for every member that can be in the result
    nodes, members, entries = _worst(xs, op, seeds)
    ncap, mcap, log = zsl.shape(zsl.HEAD + nodes, members, entries)
    asize = zsl.value_size(ncap, mcap, log)
    aref, acc = scratch(T, lim, asize)
    if aref == 0:
        return X_DEFER
    zsl.init(acc, ncap, mcap, log)
    if op == SETOP_UNION:
        _union(acc, xs, ws, mode, seeds)
    elif op == SETOP_INTER:
        _inter(acc, xs, ws, mode, seeds)
    else:
        _diff(acc, xs, seeds)
    n = zsl.count(acc)
    if not dst:
        resp3 = conn[c, C_PROTO] == 3
        nested = withscores and resp3
        p = zsl.first(acc)
        need = int_size(2 * n) + (run_size(acc, p, n, withscores, nested, False) if n > 0 else 0)
        if not reserve(conn, c, rl, need):
            unalloc_scratch(T, lim, aref, asize)
            return X_DEFER
        out = out_of(conn, c)
        q = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 2 * n if withscores and not resp3 else n)
        if n > 0:
            q = w_run(out, q, acc, p, n, withscores, nested, resp3, False)
        conn[c, C_OUT_WR] = q
        free_scratch(T, lim, aref, asize)
        count_sources(stats, args, first, last)
        return X_DONE
    k = a0 + 1
    tm = T[0]
    d0 = tm[T_DIRTY]
    h, which, pos = lookup_write(T, lim, db, args[k, 0], args[k, 1], now, OBJ_ANY, 0)
    if n == 0:
        free_scratch(T, lim, aref, asize)
        count_sources(stats, args, first, last)
        if which != 0:
            unlink_found(T, lim, which, pos)
            tm[T_DIRTY] = d0 + 1
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    p = zsl.first(acc)
    lpb, nodes, members, longest = run_shape(acc, p, n, seeds)
    skiplist = n > lim[config.L_ZSET_LP_ENTRIES] or longest > lim[config.L_ZSET_LP_VALUE]
    if skiplist:
        ncap, mcap, log = zsl.shape(zsl.HEAD + nodes, members, n)
        size = zsl.value_size(ncap, mcap, log)
    else:
        size = lp.EMPTY_SIZE + lpb
    ref, z = scratch(T, lim, size)
    if ref == 0:
        unalloc_scratch(T, lim, aref, asize)
        return X_DEFER
    if skiplist:
        zsl.init(z, ncap, mcap, log)
    else:
        lp.init(z)
    build_run(z, skiplist, acc, p, n, seeds)
    st = store_value(T, lim, db, h, which, pos, args[k, 0], args[k, 1], z, size)
    if st != OK:
        unalloc_scratch(T, lim, ref, size)
        unalloc_scratch(T, lim, aref, asize)
        tm[T_DIRTY] = d0
        return X_DEFER
    free_scratch(T, lim, ref, size)
    free_scratch(T, lim, aref, asize)
    count_sources(stats, args, first, last)
    tm[T_DIRTY] = d0 + 1
    return reply_int(conn, c, rl, n)


@kernel
def _worst(xs, op, seeds):
    """(node bytes, member entry bytes, members) of everything that can be in the result."""
    buf = stack_bytes()
    nodes = 0
    members = 0
    entries = 0
    for i in range(xs.shape[0] if op == SETOP_UNION else 1):
        x = xs[i]
        cur = src_begin(x)
        while True:
            e, cur = src_step(x, cur)
            if e < 0:
                break
            a, n = src_member(x, e, buf)
            nodes += zsl.node_size(zsl.level_of(blob.member_hash(seeds, a, n)))
            members += zsl.entry_size(n)
            entries += 1
    return nodes, members, entries


@kernel
def _union(acc, xs, ws, mode, seeds):
    buf = stack_bytes()
    for i in range(xs.shape[0]):
        x = xs[i]
        if src_len(x) == 0:
            continue
        cur = src_begin(x)
        while True:
            e, cur = src_step(x, cur)
            if e < 0:
                break
            a, n = src_member(x, e, buf)
            v = ws[i] * src_score(x, e)
            if v != v:
                v = 0.0
            hv = blob.member_hash(seeds, a, n)
            node, slot = zsl.find_hashed(acc, hv, a, n)
            if node == zsl.NONE:
                zsl.insert(acc, hv, v, a, n)
            else:
                t = zsl.score(acc, node)
                nv = aggregate(t, v, mode)
                if bits_of_f64(nv) != bits_of_f64(t):
                    zsl.update_score(acc, node, nv)


@kernel
def _inter(acc, xs, ws, mode, seeds):
    buf = stack_bytes()
    x0 = xs[0]
    if src_len(x0) == 0:
        return
    cur = src_begin(x0)
    while True:
        e, cur = src_step(x0, cur)
        if e < 0:
            break
        a, n = src_member(x0, e, buf)
        s0 = src_score(x0, e)
        v = ws[0] * s0
        if v != v:
            v = 0.0
        inall = True
        for j in range(1, xs.shape[0]):
            if xs[j] == x0:
                v = aggregate(v, s0 * ws[j], mode)
                continue
            found, sj = src_find(xs[j], seeds, a, n)
            if not found:
                inall = False
                break
            v = aggregate(v, sj * ws[j], mode)
        if inall:
            zsl.insert(acc, blob.member_hash(seeds, a, n), v, a, n)


@kernel
def _diff(acc, xs, seeds):
    buf = stack_bytes()
    x0 = xs[0]
    if src_len(x0) == 0:
        return
    for j in range(1, xs.shape[0]):
        if xs[j] == x0:
            return
    cur = src_begin(x0)
    while True:
        e, cur = src_step(x0, cur)
        if e < 0:
            break
        a, n = src_member(x0, e, buf)
        gone = False
        for j in range(1, xs.shape[0]):
            if src_find(xs[j], seeds, a, n)[0]:
                gone = True
                break
        if not gone:
            zsl.insert(acc, blob.member_hash(seeds, a, n), src_score(x0, e), a, n)


@kernel
def _intercard(xs, seeds, limit):
    """ZINTERCARD's count (stopping at limit, 0: none)."""
    buf = stack_bytes()
    x0 = xs[0]
    if src_len(x0) == 0:
        return 0
    n = 0
    cur = src_begin(x0)
    while True:
        e, cur = src_step(x0, cur)
        if e < 0:
            break
        a, m = src_member(x0, e, buf)
        inall = True
        for j in range(1, xs.shape[0]):
            if xs[j] == x0:
                continue
            if not src_find(xs[j], seeds, a, m)[0]:
                inall = False
                break
        if inall:
            n += 1
            if limit and n >= limit:
                break
    return n
