"""HRANDFIELD key [count [WITHVALUES]] (t_hash.c): random fields, with or without repetition.

As SRANDMEMBER (commands/set/random.py): positions are chosen first
(store/types/coll.py), then the reply is sized and written.  With
WITHVALUES a RESP2 reply is flat (field, value, ...), a RESP3 reply an
array of [field, value] pairs, as Redis's.  This kernel allocates its
temporary arrays.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import C_OUT_WR, C_PROTO
from mako_numba.commands.respond import (
    INT64_MAX, X_DEFER, X_DONE, arg_int, count_lookup, out_of, read_or_reply, reply_lit, reply_nothing,
    reserve,
)
from mako_numba.protocol.errors import LIT_NOT_INT, LIT_SYNTAX
from mako_numba.protocol.replies import bulk_size, int_size, w_agg_hdr, w_bulk
from mako_numba.store.types import OBJ_HASH, WRONGTYPE, blob
from mako_numba.store.types.coll import blob_of, distinct_random, random_position, walk_position

_WITHVALUES = np.frombuffer(b"withvalues", np.uint8)
LONG_MAX = INT64_MAX


@kernel
def withvalues_arg(args, i):
    """1 if argument i is WITHVALUES (any case), else -1 (a syntax error)."""
    if args[i, 1] != _WITHVALUES.shape[0]:
        return -1
    b = u8view(args[i, 0], args[i, 1])
    for j in range(b.shape[0]):
        ch = b[j]
        if 65 <= ch <= 90:
            ch += 32
        if ch != _WITHVALUES[j]:
            return -1
    return 1


@kernel
def _pair_size(b, at, withvalues, resp3):
    a1, n1, a2, n2, nxt = blob.entry_at(b, at, True)
    s = bulk_size(n1)
    if withvalues:
        s += bulk_size(n2) + (4 if resp3 else 0)
    return s


@kernel
def _w_pair(out, p, b, at, withvalues, resp3):
    a1, n1, a2, n2, nxt = blob.entry_at(b, at, True)
    if withvalues and resp3:
        p = w_agg_hdr(out, p, 42, 2)
    p = w_bulk(out, p, a1, n1)
    if withvalues:
        p = w_bulk(out, p, a2, n2)
    return p


@kernel(allocates=True)
def x_hrandfield(K, R, args, a0, argc, stats, lit_rand_range, lit_out_of_range, withvalues):
    """HRANDFIELD key [count [WITHVALUES]]; withvalues: argument 3 said WITHVALUES (the caller
    checked its spelling; any other fourth argument is a syntax error, given here as -1)."""
    T = K[0]
    tm = T[0]
    conn, c, rl, lits = R
    count = 1
    uniq = True
    if argc >= 3:
        ok, v = arg_int(args, a0 + 2)
        if not ok:
            return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
        if v < -LONG_MAX:
            return reply_lit(conn, c, rl, lits, lit_rand_range)
        if argc > 4 or withvalues < 0:
            return reply_lit(conn, c, rl, lits, LIT_SYNTAX)
        if withvalues and (v < -(LONG_MAX // 2) or v > LONG_MAX // 2):       # C's -LONG_MAX/2
            return reply_lit(conn, c, rl, lits, lit_out_of_range)
        uniq = v >= 0
        count = v if uniq else -v
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_HASH, 0)
    if which == WRONGTYPE:
        return st
    resp3 = conn[c, C_PROTO] == 3
    if which == 0 or (argc >= 3 and count == 0):
        st = reply_nothing(conn, c, rl, lits, argc >= 3, 42)
        if st == X_DONE:
            count_lookup(stats, which)
        return st
    b = blob_of(T, which, pos)
    size = blob.count(b)
    wv = withvalues > 0
    if argc == 2:
        at = random_position(tm, b, True)
        if not reserve(conn, c, rl, _pair_size(b, at, False, resp3)):
            return X_DEFER
        count_lookup(stats, which)
        conn[c, C_OUT_WR] = _w_pair(out_of(conn, c), conn[c, C_OUT_WR], b, at, False, resp3)
        return X_DONE
    if uniq and count >= size:
        picks = np.empty(size, np.int64)
        cur = 0
        n = 0
        while True:
            at, cur = walk_position(b, cur, True)
            if at < 0:
                break
            picks[n] = at
            n += 1
    elif not uniq or count == 1:
        picks = np.empty(count, np.int64)
        for i in range(count):
            picks[i] = random_position(tm, b, True)
    else:
        picks = distinct_random(tm, b, count, size, True)
        if not blob.is_table(b) and count * 3 <= size:
            # a few fields of a listpack come in its order (t_hash.c's lpRandomPairsUnique)
            picks = np.sort(picks)
    n = picks.shape[0]
    flat = n * 2 if wv and not resp3 else n
    need = int_size(flat)
    for i in range(n):
        need += _pair_size(b, picks[i], wv, resp3)
    if not reserve(conn, c, rl, need):
        return X_DEFER
    count_lookup(stats, which)
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], 42, flat)
    for i in range(n):
        p = _w_pair(out, p, b, picks[i], wv, resp3)
    conn[c, C_OUT_WR] = p
    return X_DONE
