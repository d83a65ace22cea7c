"""The set commands over several sets (t_set.c's sinterGenericCommand and
sunionDiffGenericCommand): SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF,
SDIFFSTORE.

The keys are looked up first (a key of another type answers WRONGTYPE, a
missing one is an empty set) and their values' addresses kept in the
argument rows' spare column.  SINTER and SINTERCARD walk the smallest set
and answer as they go, as Redis does.  The others build their result in a
scratch block of the arena (a table blob sized for the worst case, so
nothing needs memory midway), then, as Redis's temporary set would end up:
an intset when every member is an integer and there are at most
set-max-intset-entries of them (its reply is then sorted, as Redis's), else
a table.  A STORE form then copies the result into the destination key
(any type replaced, its TTL gone: Redis's setKey), or deletes it when the
result is empty.  Scratch blocks are given back before returning; when one
cannot be had, the request defers having changed nothing.
"""
import numpy as np

from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_OUT_WR, C_PROTO, S_HITS, S_MISSES, T_DIRTY
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, out_of, reply_int, reply_lit, reserve,
)
from mako_numba.commands.set.members import card, contains, member_reply_size, reply_all, walk, w_member
from mako_numba.config import settings as config
from mako_numba.protocol.errors import LIT_WRONGTYPE, LIT_ZERO
from mako_numba.protocol.replies import int_size, w_agg_hdr, w_num
from mako_numba.store.arena import OK, alloc, free_block, ref_addr
from mako_numba.store.table import lookup, set_enc_flags, store, unlink_found, value_of
from mako_numba.store.arena import TYPE_SHIFT
from mako_numba.store.types import OBJ_ANY, OBJ_SET, WRONGTYPE, blob, intset, lookup_read, lookup_write
from mako_numba.store.types.blob import KIND_TABLE
from mako_numba.store.types.coll import intset_text_bytes, seeds_of

SETOP_INTER = 0
SETOP_UNION = 1
SETOP_DIFF = 2


@kernel
def sources(K, R, stats, args, first, end):
    """Look up the keys args[first:end] as sets: each value's address in args[i, 2] (0: no such
    key).  X_DONE, or the status of the WRONGTYPE reply written (-1 when none was: check
    `bad`).  Returns (bad, status)."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    for i in range(first, end):
        h, which, pos = lookup_read(T, lim, db, args[i, 0], args[i, 1], now, OBJ_SET, 0)
        if which == WRONGTYPE:
            st = reply_lit(conn, c, rl, lits, LIT_WRONGTYPE)
            if st == X_DONE:
                for j in range(first, i + 1):
                    stats[S_HITS if j == i or args[j, 2] != 0 else S_MISSES] += 1
            return True, st
        args[i, 2] = value_of(T, which, pos)[0] if which != 0 else 0
    return False, X_DONE


@kernel
def count_sources(stats, args, first, end):
    for i in range(first, end):
        stats[S_HITS if args[i, 2] != 0 else S_MISSES] += 1


@kernel(inline=True)
def member_at(b, at, tmp):
    """(address, length) of the member at a walk result; an integer is written into tmp."""
    if intset.is_intset(b):
        n = w_num(tmp, 0, intset.get(b, at))
        return np.int64(tmp.ctypes.data), n
    a1, n1, a2, n2, nxt = blob.entry_at(b, at, False)
    return a1, n1


@kernel
def _in_all(args, first, end, skip, b0, seeds, a, n):
    for j in range(first, end):
        if j == skip:
            continue
        bj = args[j, 2]
        if bj == b0:
            continue
        if not contains(bj, seeds, a, n):
            return False
    return True


@kernel
def _smallest(args, first, end):
    best = first
    for j in range(first, end):
        if card(args[j, 2]) < card(args[best, 2]):
            best = j
    return best


@kernel(allocates=True)
def x_sinter(K, R, args, a0, argc, stats, limit, card_only):
    """SINTER key [key ...] (a set in RESP3) and SINTERCARD's count (card_only, limit 0: none);
    the keys are args[a0 + 1:a0 + argc]."""
    T = K[0]
    conn, c, rl, lits = R
    first = a0 + 1
    end = a0 + argc
    bad, st = sources(K, R, stats, args, first, end)
    if bad:
        return st
    seeds = seeds_of(T)
    tmp = np.empty(24, np.uint8)
    empty = False
    for j in range(first, end):
        if args[j, 2] == 0:
            empty = True
    ch = 126 if conn[c, C_PROTO] == 3 else 42
    if empty:
        if not reserve(conn, c, rl, 4):
            return X_DEFER
        count_sources(stats, args, first, end)
        if card_only:
            return reply_int(conn, c, rl, 0)
        conn[c, C_OUT_WR] = w_agg_hdr(out_of(conn, c), conn[c, C_OUT_WR], ch, 0)
        return X_DONE
    s = _smallest(args, first, end)
    b0 = args[s, 2]
    n = 0
    need = 0
    cur = 0
    while True:
        at, cur = walk(b0, cur)
        if at < 0:
            break
        a, ln = member_at(b0, at, tmp)
        if _in_all(args, first, end, s, b0, seeds, a, ln):
            n += 1
            need += member_reply_size(b0, at)
            if card_only and limit and n >= limit:
                break
    if card_only:
        if not reserve(conn, c, rl, int_size(n)):
            return X_DEFER
        count_sources(stats, args, first, end)
        return reply_int(conn, c, rl, n)
    if not reserve(conn, c, rl, need + int_size(n)):
        return X_DEFER
    count_sources(stats, args, first, end)
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], ch, n)
    cur = 0
    while True:
        at, cur = walk(b0, cur)
        if at < 0:
            break
        a, ln = member_at(b0, at, tmp)
        if _in_all(args, first, end, s, b0, seeds, a, ln):
            p = w_member(out, p, b0, at)
    conn[c, C_OUT_WR] = p
    return X_DONE


@kernel
def _text_size(b):
    if b == 0:
        return 0
    if intset.is_intset(b):
        return intset_text_bytes(b)
    return blob.live_bytes(b)


@kernel(allocates=True)
def _build(T, args, first, end, op, rb, seeds):
    """Fill the scratch table rb with the result of op over the sets args[first:end]; returns
    (all members integers?, widest integer width)."""
    tmp = np.empty(24, np.uint8)
    ints = True
    width = 2
    b0 = args[first, 2]
    if op == SETOP_UNION:
        for j in range(first, end):
            bj = args[j, 2]
            if bj == 0:
                continue
            cur = 0
            while True:
                at, cur = walk(bj, cur)
                if at < 0:
                    break
                a, ln = member_at(bj, at, tmp)
                if blob.find(rb, seeds, a, ln, False)[0] < 0:
                    blob.add(rb, seeds, a, ln, 0, 0, False)
                    ints, width = _track(a, ln, ints, width)
        return ints, width
    if b0 == 0:
        return ints, width
    if op == SETOP_DIFF:
        for j in range(first + 1, end):
            if args[j, 2] == b0:        # SDIFF of a set with itself: empty
                return ints, width
    cur = 0
    while True:
        at, cur = walk(b0, cur)
        if at < 0:
            break
        a, ln = member_at(b0, at, tmp)
        keep = True
        if op == SETOP_INTER:
            keep = _in_all(args, first, end, first, b0, seeds, a, ln)
        else:
            for j in range(first + 1, end):
                bj = args[j, 2]
                if bj != 0 and contains(bj, seeds, a, ln):
                    keep = False
                    break
        if keep:
            blob.add(rb, seeds, a, ln, 0, 0, False)
            ints, width = _track(a, ln, ints, width)
    return ints, width


@kernel(inline=True)
def _track(a, ln, ints, width):
    if not ints:
        return False, width
    ok, v = intset.as_int(a, ln)
    if not ok:
        return False, width
    return True, max(width, intset.value_width(v))


@kernel
def _scratch(T, lim, size):
    """A scratch block of size bytes: (ref, address), ref 0 when memory must come first."""
    ref = alloc(T, lim, size)
    if ref == 0:
        return 0, 0
    return ref, ref_addr(T[3], ref)


@kernel
def _fill_intset(rb, ib, width):
    """The intset at ib (size_of(width, count) bytes) made of the integer members of table rb."""
    iset = ib
    intset.init(iset)
    cur = 0
    while True:
        off, cur = blob.walk_next(rb, cur, False)
        if off < 0:
            break
        a1, n1, a2, n2, nxt = blob.entry_at(rb, off, False)
        intset.insert(iset, intset.as_int(a1, n1)[1])


@kernel
def _diff_fills_first(args, first, end, maxi):
    """Does t_set.c's SDIFF leave a hashtable whatever is left: its second algorithm (chosen when
    the first set's size times the sets there are, halved, exceeds the sum of their sizes) adds
    the whole first set to its temporary set before removing, and that set became a hashtable
    if the first set cannot be an intset."""
    b0 = args[first, 2]
    if b0 == 0:
        return False
    n0 = card(b0)
    sets = 0
    total = 0
    for j in range(first, end):
        bj = args[j, 2]
        if bj == 0:
            continue
        if j > first and bj == b0:
            return False            # the first set again: an empty result
        sets += 1
        total += card(bj)
    if (n0 * sets) // 2 <= total:
        return False                # the first algorithm adds only what is left
    if n0 > maxi:
        return True
    if intset.is_intset(b0):
        return False
    cur = 0
    while True:
        off, cur = blob.walk_next(b0, cur, False)
        if off < 0:
            return False
        a1, n1, a2, n2, nxt = blob.entry_at(b0, off, False)
        if not intset.as_int(a1, n1)[0]:
            return True


@kernel
def x_setop(K, R, args, a0, argc, stats, op, dst):
    """SUNION / SDIFF / SINTERSTORE / SUNIONSTORE / SDIFFSTORE: op over the keys after the
    command (and after the destination when dst)."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    tm = T[0]
    first = a0 + 2 if dst else a0 + 1
    end = a0 + argc
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    bad, st = sources(K, R, stats, args, first, end)
    if bad:
        return st
    seeds = seeds_of(T)
    # the worst case: every member of the sets that can be in the result
    nbytes = 0
    nmem = 0
    for j in range(first, end if op == SETOP_UNION else first + 1):
        bj = args[j, 2]
        if bj != 0:
            nbytes += _text_size(bj)
            nmem += card(bj)
    if op == SETOP_INTER:
        for j in range(first, end):
            if args[j, 2] == 0:
                nbytes = 0
                nmem = 0
    ecap, log = blob.table_shape(nbytes, nmem)
    rsize = blob.blob_size(KIND_TABLE, ecap, log)
    rref, rb = _scratch(T, lim, rsize)
    if rref == 0:
        return X_DEFER
    blob.init(rb, KIND_TABLE, ecap, log)
    if nmem > 0:
        ints, width = _build(T, args, first, end, op, rb, seeds)
    else:
        ints = True
        width = 2
    n = blob.count(rb)
    maxi = lim[config.L_SET_INTSET]
    as_intset = ints and n <= maxi and not (op == SETOP_DIFF and _diff_fills_first(args, first, end, maxi))
    iref = 0
    isize = 0
    ib = 0
    if n > 0 and as_intset:
        isize = intset.size_of(width, n)
        iref, ib = _scratch(T, lim, isize)
        if iref == 0:
            free_block(T, lim, rref, rsize)
            return X_DEFER
        _fill_intset(rb, ib, width)
    if not dst:
        st = reply_all(conn, c, rl, ib if n > 0 and as_intset else rb, 126 if conn[c, C_PROTO] == 3 else 42)
        if st == X_DONE:
            count_sources(stats, args, first, end)
        _give_back(T, lim, rref, rsize, iref, isize)
        return st
    k = a0 + 1
    d0 = tm[T_DIRTY]
    h, which, pos = lookup_write(T, lim, db, args[k, 0], args[k, 1], now, OBJ_ANY, 0)
    if n == 0:
        _give_back(T, lim, rref, rsize, iref, isize)
        count_sources(stats, args, first, end)
        if which != 0:
            unlink_found(T, lim, which, pos)
            tm[T_DIRTY] = d0 + 1
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    if as_intset:
        va = ib
        vl = isize
    else:
        # a table as tight as a fresh one: compact the index to the result's size
        e2, l2 = blob.table_shape(blob.live_bytes(rb), n)
        e2 = max(blob.live_bytes(rb), min(e2, ecap))
        if blob.blob_size(KIND_TABLE, e2, l2) <= rsize:
            blob.reindex(rb, seeds, KIND_TABLE, e2, l2, False, True)
        va = rb
        vl = blob.blob_size(KIND_TABLE, np.int64(blob.hdr(rb)[blob.F_ECAP]), np.int64(blob.hdr(rb)[blob.F_LOG]))
    st = store(T, lim, db, h, which, pos, args[k, 0], args[k, 1], va, vl, 0)
    if st != OK:
        _give_back(T, lim, rref, rsize, iref, isize)
        tm[T_DIRTY] = d0
        return X_DEFER
    h2, which2, pos2 = lookup(T, lim, db, args[k, 0], args[k, 1], 0)
    set_enc_flags(T, which2, pos2, OBJ_SET << TYPE_SHIFT)
    _give_back(T, lim, rref, rsize, iref, isize)
    count_sources(stats, args, first, end)
    tm[T_DIRTY] = d0 + 1
    return reply_int(conn, c, rl, n)


@kernel
def _give_back(T, lim, rref, rsize, iref, isize):
    free_block(T, lim, rref, rsize)
    if iref != 0:
        free_block(T, lim, iref, isize)
