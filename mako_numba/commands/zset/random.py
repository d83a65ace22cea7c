"""ZRANDMEMBER key [count [WITHSCORES]] (t_zset.c zrandmemberWithCountCommand).

Elements are picked as ranks (uniform: a random rank is a random member),
then the reply is sized and written, as Redis's four cases do:
- no count: one member; a negative count (or 1): that many, repeats allowed;
- a count at least the set's size: the whole set, in zuiNext's order
  (from the highest score down, as Redis's iterator walks a sorted set);
- a count close to the size (count * 3 > size): the whole set less random
  members, in no particular order (Redis's is its dict's);
- else distinct random members; a listpack's come in its order (Redis's
  lpRandomPairsUnique), a skiplist's as drawn.
With WITHSCORES a RESP2 reply is flat (member, score, ...), a RESP3 reply an
array of [member, score] pairs.  This kernel allocates its temporary arrays.
"""
import numpy as np

from mako_numba.base.layout import C_OUT_WR, C_PROTO
from mako_numba.base.jit import kernel
from mako_numba.commands.respond import (
    INT64_MAX, X_DEFER, X_DONE, arg_int, count_lookup, out_of, read_or_reply, reply_lit, reserve,
)
from mako_numba.commands.zset.common import (
    LIT_OUT_OF_RANGE, LIT_RAND_RANGE, W_WITHSCORES, arg_is, elem_size, w_elem,
)
from mako_numba.protocol.errors import LIT_NOT_INT, LIT_SYNTAX
from mako_numba.protocol.replies import int_size, w_agg_hdr, w_nil
from mako_numba.store.lfu import rand63
from mako_numba.store.table import value_of
from mako_numba.store.types import OBJ_ZSET, WRONGTYPE, zsetval, zsl

LONG_MAX = INT64_MAX
SUB_STRATEGY_MUL = 3        # ZRANDMEMBER_SUB_STRATEGY_MUL


@kernel(allocates=True)
def _picks(tm, b, size, count, uniq):
    """The ranks to reply with, in reply order."""
    if not uniq or count == 1:
        picks = np.empty(count, np.int64)
        for i in range(count):
            picks[i] = rand63(tm) % size
        return picks
    if count >= size:
        picks = np.empty(size, np.int64)
        for i in range(size):
            picks[i] = size - 1 - i
        return picks
    if count * SUB_STRATEGY_MUL > size:
        every = np.arange(size)
        for i in range(count):
            j = i + rand63(tm) % (size - i)
            t = every[i]
            every[i] = every[j]
            every[j] = t
        return every[:count].copy()
    m = 4
    while m < 2 * count:
        m <<= 1
    seen = np.zeros(m, np.int64)
    picks = np.empty(count, np.int64)
    n = 0
    while n < count:
        r = rand63(tm) % size
        p = ((r * 0x9E3779B97F4A7C15) >> 17) & (m - 1)
        dup = False
        while seen[p] != 0:
            if seen[p] == r + 1:
                dup = True
                break
            p = (p + 1) & (m - 1)
        if dup:
            continue
        seen[p] = r + 1
        picks[n] = r
        n += 1
    if not zsl.is_zsl(b):
        picks = np.sort(picks)
    return picks


@kernel(allocates=True)
def x_zrandmember(K, R, args, a0, argc, stats, lit0):
    """ZRANDMEMBER key [count [WITHSCORES]]"""
    T = K[0]
    tm = T[0]
    conn, c, rl, lits = R
    count = 1
    uniq = True
    withscores = False
    if argc >= 3:
        ok, v = arg_int(args, a0 + 2)
        if not ok:
            return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
        if v < -LONG_MAX:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_RAND_RANGE)
        if argc > 4 or (argc == 4 and not arg_is(args, a0 + 3, W_WITHSCORES)):
            return reply_lit(conn, c, rl, lits, LIT_SYNTAX)
        if argc == 4:
            withscores = True
            if v < -(LONG_MAX // 2) or v > LONG_MAX // 2:
                return reply_lit(conn, c, rl, lits, lit0 + LIT_OUT_OF_RANGE)
        uniq = v >= 0
        count = v if uniq else -v
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_ZSET, 0)
    if which == WRONGTYPE:
        return st
    resp3 = conn[c, C_PROTO] == 3
    if which == 0 or (argc >= 3 and count == 0):
        if not reserve(conn, c, rl, 5):
            return X_DEFER
        count_lookup(stats, which)
        out = out_of(conn, c)
        if argc >= 3:
            conn[c, C_OUT_WR] = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 0)
        else:
            conn[c, C_OUT_WR] = w_nil(out, conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
        return X_DONE
    b = value_of(T, which, pos)[0]
    size = zsetval.length(b)
    if argc == 2:
        p = zsetval.at_rank(b, rand63(tm) % size)
        if not reserve(conn, c, rl, elem_size(b, p, False, False)):
            return X_DEFER
        count_lookup(stats, which)
        conn[c, C_OUT_WR] = w_elem(out_of(conn, c), conn[c, C_OUT_WR], b, p, False, False, resp3)
        return X_DONE
    picks = _picks(tm, b, size, count, uniq)
    n = picks.shape[0]
    nested = withscores and resp3
    need = int_size(2 * n)
    for i in range(n):
        need += elem_size(b, zsetval.at_rank(b, picks[i]), withscores, nested)
    if not reserve(conn, c, rl, need):
        return X_DEFER
    count_lookup(stats, which)
    out = out_of(conn, c)
    q = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 2 * n if withscores and not resp3 else n)
    for i in range(n):
        q = w_elem(out, q, b, zsetval.at_rank(b, picks[i]), withscores, nested, resp3)
    conn[c, C_OUT_WR] = q
    return X_DONE
