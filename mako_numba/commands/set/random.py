"""SRANDMEMBER and SPOP (t_set.c): random members, with or without repetition, popped or not.

Members are chosen first, as positions (an intset's index, a table's entry
offset: store/types/coll.py `random_position`, `distinct_random`); the
reply's and the effect's sizes are then known exactly, so the room is
reserved before anything is removed.  These kernels allocate their
temporary arrays.

SPOP's effect is Redis's: `SREM key member ...` for what it popped (Redis
sends one SREM per member; one SREM with them all has the same effect), or
`DEL key` when it took the whole set.  The entry kernel leaves SPOP's effect
to this module.
"""
import numpy as np

from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_DB, C_OUT_WR, C_PROTO, T_DIRTY, T_PROP_NEED, T_PROP_WR
from mako_numba.commands.respond import (
    INT64_MAX, X_DEFER, X_DONE, arg_int, count_lookup, out_of, read_or_reply, reply_lit,
    reply_nothing, reserve, write_or_reply,
)
from mako_numba.commands.set.members import card, member_reply_size, members_bound, reply_all, w_member
from mako_numba.protocol.errors import LIT_NOT_INT
from mako_numba.config import settings as config
from mako_numba.protocol.replies import int_size, w_agg_hdr, w_bulk, w_bulk_int
from mako_numba.store.effects import (
    EFFECT_SLACK, W_DEL, W_SREM, effect_begin, effect_free, effect_key, propagating,
)
from mako_numba.store.table import unlink_found, value_of
from mako_numba.store.types import OBJ_SET, WRONGTYPE, blob, intset
from mako_numba.store.types.coll import after_removal, distinct_random, random_position, seeds_of

LONG_MAX = INT64_MAX


@kernel
def random_at(tm, b):
    """A random member's position."""
    return random_position(tm, b, False)


@kernel(allocates=True)
def table_ints(b, maxi):
    """(True, the members sorted) when every member of the table b is an integer and there are
    at most maxi of them (a set Redis makes of them is then an intset), else (False, ...)."""
    n = blob.count(b)
    vals = np.empty(n, np.int64)
    if n > maxi:
        return False, vals
    cur = 0
    i = 0
    while True:
        off, cur = blob.walk_next(b, cur, False)
        if off < 0:
            break
        a1, n1, a2, n2, nxt = blob.entry_at(b, off, False)
        ok, v = intset.as_int(a1, n1)
        if not ok:
            return False, vals
        vals[i] = v
        i += 1
    vals.sort()
    return True, vals


@kernel(allocates=True)
def reply_as_union(conn, c, rl, b, ch, maxi):
    """Every member of the set value b as SUNION of b alone answers: sorted when they can make
    an intset (SUNION's temporary set is one then), else in b's own order."""
    if intset.is_intset(b):
        return reply_all(conn, c, rl, b, ch)
    ok, vals = table_ints(b, maxi)
    if not ok:
        return reply_all(conn, c, rl, b, ch)
    n = vals.shape[0]
    if not reserve(conn, c, rl, int_size(n) + members_bound(b)):
        return X_DEFER
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], ch, n)
    for i in range(n):
        p = w_bulk_int(out, p, vals[i])
    conn[c, C_OUT_WR] = p
    return X_DONE


@kernel(allocates=True)
def table_to_intset(b, vlen, maxi):
    """The table b (in a value of vlen bytes) rewritten as the intset of its members when they
    can make one: the set t_set.c's SPOP makes of what stays when it pops most of a set."""
    ok, vals = table_ints(b, maxi)
    n = vals.shape[0]
    if not ok or n == 0:
        return
    width = 2
    for i in range(n):
        width = max(width, intset.value_width(vals[i]))
    if intset.size_of(width, n) > vlen:
        return
    intset.init(b)
    for i in range(n):
        intset.insert(b, vals[i])


@kernel(allocates=True)
def x_srandmember(K, R, args, a0, argc, stats, lit_range):
    """SRANDMEMBER key [count]"""
    T = K[0]
    tm = T[0]
    conn, c, rl, lits = R
    uniq = True
    count = 1
    if argc == 3:
        ok, v = arg_int(args, a0 + 2)
        if not ok:
            return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
        if v < -LONG_MAX:
            return reply_lit(conn, c, rl, lits, lit_range)
        uniq = v >= 0
        count = v if uniq else -v
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_SET, 0)
    if which == WRONGTYPE:
        return st
    if which == 0 or (argc == 3 and count == 0):
        st = reply_nothing(conn, c, rl, lits, argc == 3, 42)
        if st == X_DONE:
            count_lookup(stats, which)
        return st
    b = value_of(T, which, pos)[0]
    size = card(b)
    if argc == 2:
        at = random_at(tm, b)
        if not reserve(conn, c, rl, member_reply_size(b, at)):
            return X_DEFER
        count_lookup(stats, which)
        conn[c, C_OUT_WR] = w_member(out_of(conn, c), conn[c, C_OUT_WR], b, at)
        return X_DONE
    if uniq and count >= size:
        st = reply_all(conn, c, rl, b, 42)
        if st == X_DONE:
            count_lookup(stats, which)
        return st
    if not uniq or count == 1:
        picks = np.empty(count, np.int64)
        for i in range(count):
            picks[i] = random_at(tm, b)
    else:
        picks = distinct_random(tm, b, count, size, False)
    need = int_size(count)
    for i in range(count):
        need += member_reply_size(b, picks[i])
    if not reserve(conn, c, rl, need):
        return X_DEFER
    count_lookup(stats, which)
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], 42, count)
    for i in range(count):
        p = w_member(out, p, b, picks[i])
    conn[c, C_OUT_WR] = p
    return X_DONE


@kernel(allocates=True)
def x_spop(K, R, args, a0, argc, stats, lit_positive):
    """SPOP key [count]"""
    T, lim, db, now = K
    tm = T[0]
    conn, c, rl, lits = R
    count = 1
    if argc == 3:
        ok, count = arg_int(args, a0 + 2)
        if not ok or count < 0:         # getPositiveLongFromObjectOrReply: one message for both
            return reply_lit(conn, c, rl, lits, lit_positive)
    k = a0 + 1
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_SET)
    if which == WRONGTYPE:
        return st
    ch = 126 if conn[c, C_PROTO] == 3 else 42
    if which == 0 or count == 0:
        return reply_nothing(conn, c, rl, lits, argc == 3, ch)
    b = value_of(T, which, pos)[0]
    size = card(b)
    d0 = tm[T_DIRTY]
    prop = propagating(tm)
    cdb = conn[c, C_DB]
    if argc == 3 and count >= size:
        if prop and effect_free(tm) < args[k, 1] + EFFECT_SLACK:
            tm[T_PROP_NEED] = args[k, 1] + EFFECT_SLACK
            return X_DEFER
        # t_set.c answers with SUNION's code: its lookup counts a keyspace hit, and its
        # temporary set sorts the members when they can make an intset
        st = reply_as_union(conn, c, rl, b, ch, lim[config.L_SET_INTSET])
        if st != X_DONE:
            return st
        count_lookup(stats, which)
        unlink_found(T, lim, which, pos)
        tm[T_DIRTY] = d0 + size
        if prop:
            effect_key(tm, cdb, W_DEL, args[k, 0], args[k, 1])
        return X_DONE
    if argc == 2:
        picks = np.empty(1, np.int64)
        picks[0] = random_at(tm, b)
    else:
        picks = distinct_random(tm, b, count, size, False)
    # t_set.c's case 3 (what stays is at most a fifth of what goes) keeps what stays as a new
    # set and answers the rest in the set's own order
    most = argc == 3 and (size - count) * 5 <= count
    if most:
        picks = np.sort(picks)
    need = int_size(count) if argc == 3 else 0
    eneed = args[k, 1] + EFFECT_SLACK
    for i in range(picks.shape[0]):
        m = member_reply_size(b, picks[i])
        need += m
        eneed += m
    if not reserve(conn, c, rl, need):
        return X_DEFER
    if prop and effect_free(tm) < eneed:
        tm[T_PROP_NEED] = eneed
        return X_DEFER
    out = out_of(conn, c)
    p = conn[c, C_OUT_WR]
    if argc == 3:
        p = w_agg_hdr(out, p, ch, count)
    for i in range(picks.shape[0]):
        p = w_member(out, p, b, picks[i])
    conn[c, C_OUT_WR] = p
    if prop:
        eout, ep = effect_begin(tm, cdb, 2 + picks.shape[0], W_SREM)
        ep = w_bulk(eout, ep, args[k, 0], args[k, 1])
        for i in range(picks.shape[0]):
            ep = w_member(eout, ep, b, picks[i])
        tm[T_PROP_WR] = ep
    seeds = seeds_of(T)
    gone = np.sort(picks)[::-1]             # intset indices: remove from the back
    for i in range(gone.shape[0]):
        if intset.is_intset(b):
            intset.delete_at(b, gone[i])
        else:
            a1, n1, a2, n2, nxt = blob.entry_at(b, gone[i], False)
            off, slot = blob.find(b, seeds, a1, n1, False)
            blob.remove(b, off, slot, False)
    if most and not intset.is_intset(b):
        table_to_intset(b, value_of(T, which, pos)[1], lim[config.L_SET_INTSET])
    after_removal(T, lim, which, pos, d0, picks.shape[0], card(b))
    return X_DONE
