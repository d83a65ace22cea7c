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
    INT64_MAX, X_DEFER, X_DONE, arg_int, count_lookup, out_of, read_or_reply, reply_lit, reserve,
    write_or_reply,
)
from mako_numba.commands.set.members import card, member_reply_size, reply_all, walk, w_member
from mako_numba.protocol.errors import LIT_NOT_INT
from mako_numba.protocol.replies import int_size, w_agg_hdr, w_bulk, w_nil
from mako_numba.store.effects import (
    EFFECT_SLACK, W_DEL, W_SREM, effect_begin, effect_free, effect_key, propagating,
)
from mako_numba.store.table import unlink_found, value_of
from mako_numba.store.types import OBJ_SET, WRONGTYPE, blob, intset
from mako_numba.store.types.coll import changed, distinct_random, random_position, seeds_of
from mako_numba.commands.set.members import fit_set

LONG_MAX = INT64_MAX


@kernel
def random_at(tm, b):
    """A random member's position."""
    return random_position(tm, b, False)


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
        if not reserve(conn, c, rl, 5):
            return X_DEFER
        count_lookup(stats, which)
        out = out_of(conn, c)
        if argc == 2:
            conn[c, C_OUT_WR] = w_nil(out, conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
        else:
            conn[c, C_OUT_WR] = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 0)
        return X_DONE
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
        if not ok:
            return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
        if count < 0:
            return reply_lit(conn, c, rl, lits, lit_positive)
    k = a0 + 1
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_SET)
    if which == WRONGTYPE:
        return st
    ch = 126 if conn[c, C_PROTO] == 3 else 42
    if which == 0 or count == 0:
        if not reserve(conn, c, rl, 5):
            return X_DEFER
        out = out_of(conn, c)
        if argc == 2:
            conn[c, C_OUT_WR] = w_nil(out, conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
        else:
            conn[c, C_OUT_WR] = w_agg_hdr(out, conn[c, C_OUT_WR], ch, 0)
        return X_DONE
    b = value_of(T, which, pos)[0]
    size = card(b)
    d0 = tm[T_DIRTY]
    prop = propagating(tm)
    cdb = conn[c, C_DB]
    if argc == 3 and count >= size:
        if prop and effect_free(tm) < args[k, 1] + EFFECT_SLACK:
            tm[T_PROP_NEED] = args[k, 1] + EFFECT_SLACK
            return X_DEFER
        st = reply_all(conn, c, rl, b, ch)
        if st != X_DONE:
            return st
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
    picks = np.sort(picks)[::-1]            # intset indices: remove from the back
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
    for i in range(picks.shape[0]):
        if intset.is_intset(b):
            intset.delete_at(b, picks[i])
        else:
            a1, n1, a2, n2, nxt = blob.entry_at(b, picks[i], False)
            off, slot = blob.find(b, seeds, a1, n1, False)
            blob.remove(b, off, slot, False)
    if card(b) == 0:
        unlink_found(T, lim, which, pos)
        tm[T_DIRTY] = d0 + picks.shape[0]
    else:
        fit_set(T, lim, which, pos)
        changed(T, which, pos, d0, picks.shape[0])
    return X_DONE
