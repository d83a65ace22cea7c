"""Sorted-set commands on one key (Redis 7.0's t_zset.c): ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE,
ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, ZPOPMIN, ZPOPMAX, ZMPOP.

Same calling convention and rule as the other families: arguments checked
in Redis's order, the key found, the whole reply reserved, room made
(store/types/zsetkey.py) and only then the set changed, so a request that
defers changed nothing.  The value is either encoding (zsetval.py).

ZADD works out first what each score-member pair will do (zsetAdd's rules:
NX, XX, GT, LT, INCR, a member repeated in the command), so it knows
before changing anything whether anything changes, how many members it
adds (and so whether the listpack converts) and the room that takes; then
it applies them.  Its per-pair outcome and new score are kept in the
argument rows' spare column.

Dirty counts are Redis's: ZADD's added + updated members, one per member
removed or popped.  A sorted set left empty is deleted.
"""
import numpy as np

from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_DB, C_OUT_WR, C_PROTO, T_DIRTY, T_PROP_WR
from mako_numba.commands.mpop import mpop_args
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, W_NX, W_XX, arg_int, arg_word, count_lookup, out_of, read_or_reply,
    reply_int, reply_lit, reserve, word, write_or_reply,
)
from mako_numba.commands.zset.common import (
    LIT_COUNT_POS, LIT_GT_LT_NX, LIT_INCR_PAIR, LIT_MINMAX_FLOAT, LIT_MINMAX_LEX, LIT_MUST_POSITIVE,
    LIT_NAN, LIT_NUMKEYS, LIT_XX_NX, elem_size, lex_range,
    score_range, w_elem,
)
from mako_numba.config import settings as config
from mako_numba.protocol.errors import (
    LIT_NOT_FLOAT, LIT_NIL3, LIT_SYNTAX, LIT_WRONGTYPE, LIT_ZERO,
)
from mako_numba.protocol.replies import int_size, w_agg_hdr, w_bulk, w_bulk_int, w_nil
from mako_numba.store.arena import OK
from mako_numba.store.effects import effect_begin, propagating
from mako_numba.store.table import value_of
from mako_numba.store.types import OBJ_ZSET, WRONGTYPE, blob, lookup_write, lp, zsetval, zsl
from mako_numba.store.types.coll import changed, seeds_of
from mako_numba.store.types.zscore import SCORE_REPLY, bits_of_f64, f64_of_bits, string2d, w_double
from mako_numba.store.types.zsetkey import (
    LISTPACK_SAFETY, after_removal, compact_loose, create_listpack, create_skiplist, fit, lp_room,
    to_skiplist, zsl_room,
)
from mako_numba.store.types.zsetlp import pair_size

WC_MIN = word("min")     # (arg_word codes, for mpop_args)
WC_MAX = word("max")

ZADD_INCR = 1
ZADD_NX = 2
ZADD_XX = 4
ZADD_GT = 8
ZADD_LT = 16

# a pair's outcome (zsetAdd's out flags)
O_NOP = 0           # nothing done (NX, XX, GT, LT said no): not "processed"
O_ADD = 1
O_UPD = 2
O_SAME = 3          # processed, the score unchanged
NEG_ZERO_BITS = -9223372036854775808      # the bits of -0.0

W_CH = word("ch")
W_INCR = word("incr")
W_GT = word("gt")
W_LT = word("lt")
W_ZPOPMIN = np.frombuffer(b"ZPOPMIN", np.uint8)
W_ZPOPMAX = np.frombuffer(b"ZPOPMAX", np.uint8)


@kernel
def reply_score(R, v):
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, SCORE_REPLY):
        return X_DEFER
    conn[c, C_OUT_WR] = w_double(out_of(conn, c), conn[c, C_OUT_WR], v, conn[c, C_PROTO] == 3)
    return X_DONE


@kernel
def reply_nil(R):
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 5):
        return X_DEFER
    conn[c, C_OUT_WR] = w_nil(out_of(conn, c), conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
    return X_DONE


@kernel
def reply_empty(R):
    """*0 (shared.emptyarray)."""
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 4):
        return X_DEFER
    conn[c, C_OUT_WR] = w_agg_hdr(out_of(conn, c), conn[c, C_OUT_WR], 42, 0)
    return X_DONE


@kernel
def reply_null_array(R):
    """addReplyNullArray: *-1 in RESP2, _ in RESP3."""
    conn, c, rl, lits = R
    if conn[c, C_PROTO] == 3:
        return reply_lit(conn, c, rl, lits, LIT_NIL3)
    if not reserve(conn, c, rl, 5):
        return X_DEFER
    conn[c, C_OUT_WR] = w_agg_hdr(out_of(conn, c), conn[c, C_OUT_WR], 42, -1)
    return X_DONE


# --- ZADD / ZINCRBY --------------------------------------------------------------------------
@kernel(allocates=True)
def _previous(args, m0, k, seeds):
    """For each of the k members args[m0], args[m0 + 2] ...: the index of the last pair before
    it with the same member, or -1."""
    prev = np.full(k, -1, np.int64)
    if k < 2:
        return prev
    size = 4
    while size < 2 * k:
        size <<= 1
    table = np.full(size, -1, np.int64)
    for j in range(k):
        a = args[m0 + 2 * j, 0]
        n = args[m0 + 2 * j, 1]
        p = np.int64(blob.member_hash(seeds, a, n) >> np.uint64(40)) & (size - 1)
        while table[p] >= 0:
            i = table[p]
            if blob.same(args[m0 + 2 * i, 0], args[m0 + 2 * i, 1], a, n):
                prev[j] = i
                break
            p = (p + 1) & (size - 1)
        table[p] = j
    return prev


@kernel(allocates=True)
def _plan(b, seeds, args, s0, k, flags):
    """zsetAdd's outcome for each of the k pairs from row s0 on, applied in order: writes each
    pair's outcome (O_*) in its member row's spare column and its new score's bits in its score
    row's; the parsed score was there.  Returns (added, updated, processed, NaN met, new score
    of the last processed pair)."""
    incr = flags & ZADD_INCR != 0
    nx = flags & ZADD_NX != 0
    xx = flags & ZADD_XX != 0
    gt = flags & ZADD_GT != 0
    lt = flags & ZADD_LT != 0
    prev = _previous(args, s0 + 1, k, seeds)
    present = np.zeros(k, np.bool_)
    after = np.zeros(k, np.float64)
    added = 0
    updated = 0
    processed = 0
    last = 0.0
    for j in range(k):
        sr = s0 + 2 * j
        mr = sr + 1
        v = f64_of_bits(args[sr, 2])
        if prev[j] >= 0:
            i = prev[j]
            here = present[i]
            cur = after[i]
        elif b != 0:
            p, cur = zsetval.find(b, seeds, args[mr, 0], args[mr, 1])
            here = p >= 0
        else:
            here = False
            cur = 0.0
        out = O_NOP
        new = cur
        cand = cur
        if here:
            if not nx:
                cand = v + cur if incr else v
                if cand != cand:
                    return added, updated, processed, True, last
                if not ((lt and cand >= cur) or (gt and cand <= cur)):
                    out = O_UPD if cand != cur else O_SAME
                    if out == O_UPD:
                        new = cand
        elif not xx:
            new = v
            cand = v
            out = O_ADD
        present[j] = here or out == O_ADD
        after[j] = new
        args[mr, 2] = out
        args[sr, 2] = bits_of_f64(new)
        if out != O_NOP:
            processed += 1
            last = cand
        if out == O_ADD:
            added += 1
        elif out == O_UPD:
            updated += 1
    return added, updated, processed, False, last


@kernel
def _listpack_first(args, s0, k, count, maxe, maxv):
    """The pairs zsetAdd applies while the set is still a listpack (those before the add that
    converts it) store their score as a listpack does: -0 as the integer 0.  So a set converted
    in the middle of a ZADD holds 0 where Redis's holds 0, and -0 where it does."""
    for j in range(k):
        sr = s0 + 2 * j
        mr = sr + 1
        out = args[mr, 2]
        if out == O_ADD:
            if count + 1 > maxe or args[mr, 1] > maxv:
                return
            count += 1
        if (out == O_ADD or out == O_UPD) and args[sr, 2] == NEG_ZERO_BITS:
            args[sr, 2] = 0


@kernel
def _added_shape(args, s0, k, seeds, tally_b):
    """The members the plan adds and updates: (node bytes and member entry bytes of those added
    in a skiplist, the longest added, listpack bytes of all); the added nodes' levels are
    tallied in the skiplist at tally_b when it is not 0."""
    nodes = 0
    members = 0
    longest = 0
    lpbytes = 0
    for j in range(k):
        sr = s0 + 2 * j
        mr = sr + 1
        out = args[mr, 2]
        a = args[mr, 0]
        n = args[mr, 1]
        if out == O_ADD or out == O_UPD:
            lpbytes += pair_size(a, n, f64_of_bits(args[sr, 2]))
        if out != O_ADD:
            continue
        lvl = zsl.level_of(blob.member_hash(seeds, a, n))
        nodes += zsl.node_size(lvl)
        members += zsl.entry_size(n)
        longest = max(longest, n)
        if tally_b != 0:
            zsl.tally_add(tally_b, lvl)
    return nodes, members, longest, lpbytes


@kernel
def x_zadd(K, R, args, a0, argc, flags, lit0):
    """ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]; ZINCRBY key
    increment member (flags ZADD_INCR)."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    ch = False
    si = 2
    while si < argc:
        w = arg_word(args, a0 + si)
        if w == W_NX:
            flags |= ZADD_NX
        elif w == W_XX:
            flags |= ZADD_XX
        elif w == W_CH:
            ch = True
        elif w == W_INCR:
            flags |= ZADD_INCR
        elif w == W_GT:
            flags |= ZADD_GT
        elif w == W_LT:
            flags |= ZADD_LT
        else:
            break
        si += 1
    elements = argc - si
    if elements % 2 != 0 or elements == 0:
        return reply_lit(conn, c, rl, lits, LIT_SYNTAX)
    k = elements // 2
    incr = flags & ZADD_INCR != 0
    nx = flags & ZADD_NX != 0
    xx = flags & ZADD_XX != 0
    gt = flags & ZADD_GT != 0
    lt = flags & ZADD_LT != 0
    if nx and xx:
        return reply_lit(conn, c, rl, lits, lit0 + LIT_XX_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        return reply_lit(conn, c, rl, lits, lit0 + LIT_GT_LT_NX)
    if incr and k > 1:
        return reply_lit(conn, c, rl, lits, lit0 + LIT_INCR_PAIR)
    s0 = a0 + si
    for j in range(k):
        r = s0 + 2 * j
        ok, v = string2d(args[r, 0], args[r, 1])
        if not ok:
            return reply_lit(conn, c, rl, lits, LIT_NOT_FLOAT)
        args[r, 2] = bits_of_f64(v)
    if not reserve(conn, c, rl, SCORE_REPLY):
        return X_DEFER
    key = a0 + 1
    st, h, which, pos = write_or_reply(K, R, args, key, OBJ_ZSET)
    if which == WRONGTYPE:
        return st
    if which == 0 and xx:
        if incr:
            return reply_nil(R)
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    seeds = seeds_of(T)
    b = value_of(T, which, pos)[0] if which != 0 else 0
    added, updated, processed, nan, last = _plan(b, seeds, args, s0, k, flags)
    if nan:
        return reply_lit(conn, c, rl, lits, lit0 + LIT_NAN)
    if added + updated > 0:
        maxe = lim[config.L_ZSET_LP_ENTRIES]
        maxv = lim[config.L_ZSET_LP_VALUE]
        if which == 0:
            if maxe != 0 and args[s0 + 1, 1] <= maxv:
                _listpack_first(args, s0, k, 0, maxe, maxv)
        elif not zsl.is_zsl(b):
            _listpack_first(args, s0, k, zsetval.length(b), maxe, maxv)
        tm = T[0]
        d0 = tm[T_DIRTY]
        st, which, pos, b = _make_room(K, h, which, pos, args, key, s0, k, added, seeds)
        if st != OK:
            tm[T_DIRTY] = d0
            return X_DEFER
        for j in range(k):
            sr = s0 + 2 * j
            mr = sr + 1
            out = args[mr, 2]
            v = f64_of_bits(args[sr, 2])
            if out == O_ADD:
                zsetval.add(b, seeds, args[mr, 0], args[mr, 1], v)
            elif out == O_UPD:
                zsetval.set_score(b, seeds, args[mr, 0], args[mr, 1], v)
        fit(T, lim, which, pos)
        changed(T, which, pos, d0, added + updated)
    if incr:
        if processed == 0:
            return reply_nil(R)
        return reply_score(R, last)
    return reply_int(conn, c, rl, added + updated if ch else added)


@kernel
def _make_room(K, h, which, pos, args, key, s0, k, added, seeds):
    """Room for the plan's changes, creating the key when absent and converting a listpack as
    zsetAdd would: (OK, which, pos, value) or (NEED_*, ...)."""
    T, lim, db, now = K
    maxe = lim[config.L_ZSET_LP_ENTRIES]
    maxv = lim[config.L_ZSET_LP_VALUE]
    if which == 0:
        nodes, members, longest, lpbytes = _added_shape(args, s0, k, seeds, 0)
        big = maxe == 0 or args[s0 + 1, 1] > maxv or added > maxe or longest > maxv \
            or lp.EMPTY_SIZE + lpbytes > LISTPACK_SAFETY
        if big:
            st, which, pos, b = create_skiplist(T, lim, db, h, pos, args[key, 0], args[key, 1],
                                                nodes, members, added)
        else:
            st, which, pos, b = create_listpack(T, lim, db, h, pos, args[key, 0], args[key, 1],
                                                lpbytes)
        return st, which, pos, b
    b = value_of(T, which, pos)[0]
    if zsl.is_zsl(b):
        zsl.tally_reset(b)
        nodes, members, longest, lpbytes = _added_shape(args, s0, k, seeds, b)
        st, b = zsl_room(T, lim, which, pos, added, members)
        return st, which, pos, b
    nodes, members, longest, lpbytes = _added_shape(args, s0, k, seeds, 0)
    if zsetval.length(b) + added > maxe or longest > maxv \
            or lp.total_bytes(b) + lpbytes > LISTPACK_SAFETY:
        st, b = to_skiplist(T, lim, which, pos, seeds, nodes, members, added)
    else:
        st, b = lp_room(T, lim, which, pos, lpbytes)
    return st, which, pos, b


# --- ZREM ------------------------------------------------------------------------------------
@kernel
def x_zrem(K, R, args, a0, argc):
    """ZREM key member [member ...]"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, int_size(argc)):
        return X_DEFER
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_ZSET)
    if which == WRONGTYPE:
        return st
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    tm = T[0]
    d0 = tm[T_DIRTY]
    seeds = seeds_of(T)
    b = value_of(T, which, pos)[0]
    if zsl.is_zsl(b):
        for i in range(a0 + 2, a0 + argc):
            if zsetval.find(b, seeds, args[i, 0], args[i, 1])[0] >= 0:
                if compact_loose(T, lim, which, pos, seeds) != OK:
                    return X_DEFER
                b = value_of(T, which, pos)[0]
                break
    deleted = 0
    left = zsetval.length(b)
    for i in range(a0 + 2, a0 + argc):
        p, v = zsetval.find(b, seeds, args[i, 0], args[i, 1])
        if p >= 0:
            zsetval.delete_at(b, seeds, p)
            deleted += 1
            left -= 1
            if left == 0:
                break
    if deleted > 0:
        after_removal(T, lim, which, pos, d0, deleted, left)
    return reply_int(conn, c, rl, deleted)


# --- reads of one member ---------------------------------------------------------------------
@kernel
def x_zcard(K, R, args, a0, stats):
    """ZCARD key"""
    T = K[0]
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_ZSET, 0)
    if which == WRONGTYPE:
        return st
    count_lookup(stats, which)
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    return reply_int(conn, c, rl, zsetval.length(value_of(T, which, pos)[0]))


@kernel
def x_zscore(K, R, args, a0, stats):
    """ZSCORE key member"""
    T = K[0]
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, SCORE_REPLY):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_ZSET, 0)
    if which == WRONGTYPE:
        return st
    count_lookup(stats, which)
    if which == 0:
        return reply_nil(R)
    p, v = zsetval.find(value_of(T, which, pos)[0], seeds_of(T), args[a0 + 2, 0], args[a0 + 2, 1])
    if p < 0:
        return reply_nil(R)
    return reply_score(R, v)


@kernel
def x_zmscore(K, R, args, a0, argc, stats):
    """ZMSCORE key member [member ...]"""
    T = K[0]
    conn, c, rl, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_ZSET, 0)
    if which == WRONGTYPE:
        return st
    if not reserve(conn, c, rl, int_size(argc) + SCORE_REPLY * (argc - 2)):
        return X_DEFER
    count_lookup(stats, which)
    seeds = seeds_of(T)
    b = value_of(T, which, pos)[0] if which != 0 else 0
    out = out_of(conn, c)
    resp3 = conn[c, C_PROTO] == 3
    q = w_agg_hdr(out, conn[c, C_OUT_WR], 42, argc - 2)
    for i in range(a0 + 2, a0 + argc):
        p = -1
        v = 0.0
        if b != 0:
            p, v = zsetval.find(b, seeds, args[i, 0], args[i, 1])
        if p < 0:
            q = w_nil(out, q, lits, conn[c, C_PROTO])
        else:
            q = w_double(out, q, v, resp3)
    conn[c, C_OUT_WR] = q
    return X_DONE


@kernel
def x_zrank(K, R, args, a0, stats, reverse):
    """ZRANK / ZREVRANK key member"""
    T = K[0]
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_ZSET, 0)
    if which == WRONGTYPE:
        return st
    count_lookup(stats, which)
    if which == 0:
        return reply_nil(R)
    b = value_of(T, which, pos)[0]
    r = zsetval.rank_of(b, seeds_of(T), args[a0 + 2, 0], args[a0 + 2, 1])
    if r < 0:
        return reply_nil(R)
    if reverse:
        r = zsetval.length(b) - 1 - r
    return reply_int(conn, c, rl, r)


@kernel
def x_zcount(K, R, args, a0, stats, lex, lit0):
    """ZCOUNT key min max; ZLEXCOUNT key min max (lex)"""
    T = K[0]
    conn, c, rl, lits = R
    if lex:
        ok, lo, hi = lex_range(args, a0 + 2, a0 + 3)
        if not ok:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_MINMAX_LEX)
    else:
        ok, rng = score_range(args, a0 + 2, a0 + 3)
        if not ok:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_MINMAX_FLOAT)
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_ZSET, 0)
    if which == WRONGTYPE:
        return st
    count_lookup(stats, which)
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    b = value_of(T, which, pos)[0]
    if lex:
        n = zsetval.count_in_lex(b, lo, hi)
    else:
        n = zsetval.count_in_range(b, rng)
    return reply_int(conn, c, rl, n)


# --- ZPOPMIN / ZPOPMAX / ZMPOP ---------------------------------------------------------------
@kernel
def pop_reply(R, b, m, top, with_key, args, k, nested):
    """genericZpopCommand's reply for m elements from the lowest (not top) or highest end:
    flat member, score ... (nested: [member, score] each), with_key: [key, [...]]."""
    conn, c, rl, lits = R
    resp3 = conn[c, C_PROTO] == 3
    p = zsetval.last(b) if top else zsetval.first(b)
    need = 2 * int_size(2 * m) + 4
    if with_key:
        need += w_key_size(args, k)
    x = p
    for i in range(m):
        need += elem_size(b, x, True, nested)
        x = zsetval.prev_pos(b, x) if top else zsetval.next_pos(b, x)
    if not reserve(conn, c, rl, need):
        return X_DEFER
    out = out_of(conn, c)
    q = conn[c, C_OUT_WR]
    if with_key:
        q = w_agg_hdr(out, q, 42, 2)
        q = w_bulk(out, q, args[k, 0], args[k, 1])
    q = w_agg_hdr(out, q, 42, m if nested else 2 * m)
    x = p
    for i in range(m):
        q = w_elem(out, q, b, x, True, nested, resp3)
        x = zsetval.prev_pos(b, x) if top else zsetval.next_pos(b, x)
    conn[c, C_OUT_WR] = q
    return X_DONE


@kernel(inline=True)
def w_key_size(args, k):
    return int_size(args[k, 1]) + args[k, 1] + 2


@kernel
def pop_n(T, lim, which, pos, b, m, top):
    """Remove m elements from one end (dirty + m; the key goes when empty)."""
    tm = T[0]
    d0 = tm[T_DIRTY]
    n = zsetval.length(b)
    seeds = seeds_of(T)
    if top:
        zsetval.delete_rank_range(b, seeds, n - m, n - 1)
    else:
        zsetval.delete_rank_range(b, seeds, 0, m - 1)
    after_removal(T, lim, which, pos, d0, m, n - m)


@kernel
def x_zpop(K, R, args, a0, argc, top, lit0):
    """ZPOPMIN / ZPOPMAX key [count]"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if argc > 3:
        return reply_lit(conn, c, rl, lits, LIT_SYNTAX)
    count = -1
    if argc == 3:
        ok, count = arg_int(args, a0 + 2)
        if not ok or count < 0:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_MUST_POSITIVE)
    nested = conn[c, C_PROTO] == 3 and count != -1
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_ZSET)
    if which == WRONGTYPE:
        return st
    if which == 0 or count == 0:
        return reply_empty(R)
    if count == -1:
        count = 1
    if compact_loose(T, lim, which, pos, seeds_of(T)) != OK:
        return X_DEFER
    b = value_of(T, which, pos)[0]
    m = min(count, zsetval.length(b))
    st = pop_reply(R, b, m, top, False, args, 0, nested)
    if st != X_DONE:
        return st
    pop_n(T, lim, which, pos, b, m, top)
    return X_DONE


@kernel
def zmpop_args(R, args, a0, argc, ni, lit0):
    """[B]ZMPOP's numkeys (argument ni), MIN|MAX and [COUNT count] (commands/mpop.py):
    (ok, numkeys, top, count, status); the error is written when not ok."""
    return mpop_args(R, args, a0, argc, ni, WC_MAX, WC_MIN, lit0 + LIT_NUMKEYS, lit0 + LIT_COUNT_POS)


@kernel
def x_zmpop(K, R, args, a0, argc, lit0):
    """ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]; propagated as ZPOPMIN/ZPOPMAX key count."""
    ok, numkeys, top, count, st = zmpop_args(R, args, a0, argc, 1, lit0)
    if not ok:
        return st
    served, st = zpop_first(K, R, args, a0 + 2, numkeys, top, count, False, False)
    if served:
        return st
    return reply_null_array(R)


@kernel
def zpop_first(K, R, args, k0, numkeys, top, count, flat, retry):
    """Pop up to count elements from the first non-empty sorted set of the keys
    args[k0:k0+numkeys], replying [key, [[member, score] ...]] (flat: [key, member, score],
    BZPOPMIN's), and propagating ZPOPMIN/ZPOPMAX key count (the count popped; no count when
    flat).  (served, status): not served when every set is empty; a key of
    another type answers WRONGTYPE, unless `retry` (a blocked command trying again)."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    for k in range(k0, k0 + numkeys):
        h, which, pos = lookup_write(T, lim, db, args[k, 0], args[k, 1], now, OBJ_ZSET, 0)
        if which == 0:
            continue
        if which == WRONGTYPE:
            if retry:
                continue
            return True, reply_lit(conn, c, rl, lits, LIT_WRONGTYPE)
        if compact_loose(T, lim, which, pos, seeds_of(T)) != OK:
            return True, X_DEFER
        b = value_of(T, which, pos)[0]
        m = min(count, zsetval.length(b))
        if flat:
            st = pop_reply_flat(R, b, top, args, k)
        else:
            st = pop_reply(R, b, m, top, True, args, k, True)
        if st != X_DONE:
            return True, st
        pop_n(T, lim, which, pos, b, m, top)
        tm = T[0]
        if propagating(tm):
            out, p = effect_begin(tm, conn[c, C_DB], 2 if flat else 3, W_ZPOPMAX if top else W_ZPOPMIN)
            p = w_bulk(out, p, args[k, 0], args[k, 1])
            if not flat:
                p = w_bulk_int(out, p, m)
            tm[T_PROP_WR] = p
        return True, X_DONE
    return False, X_DONE


@kernel
def pop_reply_flat(R, b, top, args, k):
    """BZPOPMIN's reply: [key, member, score] of the lowest (not top) or highest element."""
    conn, c, rl, lits = R
    resp3 = conn[c, C_PROTO] == 3
    p = zsetval.last(b) if top else zsetval.first(b)
    if not reserve(conn, c, rl, 4 + w_key_size(args, k) + elem_size(b, p, True, False)):
        return X_DEFER
    out = out_of(conn, c)
    q = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 3)
    q = w_bulk(out, q, args[k, 0], args[k, 1])
    conn[c, C_OUT_WR] = w_elem(out, q, b, p, True, False, resp3)
    return X_DONE
