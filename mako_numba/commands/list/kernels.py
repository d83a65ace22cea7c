"""List commands (Redis's t_list.c) over the list value (store/types/listblob.py).

Same calling convention and rule as the other families: check arguments in
Redis's order, find the key, reserve the whole reply, make room
(store/types/listkey.py) and only then change the list, so a request that
defers changed nothing.  A list left empty is deleted, as Redis deletes it.
Dirty counts are Redis's: one per element pushed or removed, one per LSET,
LINSERT and LMOVE.
"""
from mako_numba.base.jit import kernel
import numpy as np

from mako_numba.base.layout import C_DB, C_OUT_WR, C_PROTO, T_DIRTY, T_PROP_WR
from mako_numba.commands.mpop import mpop_args
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, arg_int, arg_word, count_lookup, out_of, read_or_reply, reply_int,
    reply_lit, reserve, word, write_or_reply,
)
from mako_numba.protocol.errors import (
    LIT_MINUS1, LIT_NIL3, LIT_NO_SUCH_KEY, LIT_NOT_INT, LIT_OK, LIT_SYNTAX, LIT_WRONGTYPE, LIT_ZERO,
)
from mako_numba.protocol.replies import (
    bulk_size, int_size, w_agg_hdr, w_bulk, w_bulk_int, w_int, w_nil,
)
from mako_numba.store.arena import OK
from mako_numba.store.effects import effect_begin, propagating
from mako_numba.store.table import lookup, unlink_found, value_of
from mako_numba.store.types import OBJ_LIST, WRONGTYPE, blob, listblob, lookup_write, lp
from mako_numba.store.types.coll import changed
from mako_numba.store.types.listkey import create_list, give_back, make_room

W_BEFORE = word("before")
W_AFTER = word("after")
W_LEFT = word("left")
W_RIGHT = word("right")
W_RANK = word("rank")
W_COUNT = word("count")
W_MAXLEN = word("maxlen")
W_LPOP = np.frombuffer(b"LPOP", np.uint8)
W_RPOP = np.frombuffer(b"RPOP", np.uint8)

# the list family's literals, from its first (lit0, family.py declares their bytes)
LIT_NULL_ARRAY = 0
LIT_EMPTY_ARRAY = 1
LIT_INDEX_RANGE = 2
LIT_MUST_POSITIVE = 3
LIT_RANK_ZERO = 4
LIT_COUNT_NEG = 5
LIT_MAXLEN_NEG = 6
LIT_NUMKEYS = 7
LIT_COUNT_POS = 8


# --- replies of elements ---------------------------------------------------------------------
@kernel
def elem_size(b, off):
    """Reply bytes of the element at off, and the next offset."""
    nxt, a, n, isint, v = listblob.element(b, off)
    if isint:
        return bulk_size(int_size(v) - 3), nxt
    return bulk_size(n), nxt


@kernel
def w_elem(out, p, b, off):
    nxt, a, n, isint, v = listblob.element(b, off)
    if isint:
        return w_bulk_int(out, p, v)
    return w_bulk(out, p, a, n)


@kernel
def range_size(b, start, n, reverse):
    """Reply bytes of n elements from index start, walking forwards or (reverse) backwards."""
    size = 0
    off = listblob.offset_of(b, start)
    for i in range(n):
        s, nxt = elem_size(b, off)
        size += s
        if i + 1 < n:
            off = listblob.before(b, off) if reverse else nxt
    return size


@kernel
def w_range(out, p, b, start, n, reverse):
    off = listblob.offset_of(b, start)
    for i in range(n):
        p = w_elem(out, p, b, off)
        if i + 1 < n:
            off = listblob.before(b, off) if reverse else listblob.element(b, off)[0]
    return p


@kernel
def removed_elements(T, lim, which, pos, d0, n):
    """n elements went from the list at (which, pos): its key goes when it is empty."""
    tm = T[0]
    b = value_of(T, which, pos)[0]
    if listblob.count(b) == 0:
        unlink_found(T, lim, which, pos)
        tm[T_DIRTY] = d0 + n
        return
    give_back(T, lim, which, pos)
    changed(T, which, pos, d0, n)


# --- pushes ----------------------------------------------------------------------------------
@kernel
def x_push(K, R, args, a0, argc, left, xx):
    """LPUSH / RPUSH key element [element ...]; LPUSHX / RPUSHX (xx)."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    k = a0 + 1
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_LIST)
    if which == WRONGTYPE:
        return st
    if which == 0 and xx:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    need = 0
    for i in range(a0 + 2, a0 + argc):
        need += lp.entry_size(args[i, 0], args[i, 1])
    tm = T[0]
    d0 = tm[T_DIRTY]
    if which == 0:
        st, which, pos, b = create_list(T, lim, db, h, pos, args[k, 0], args[k, 1], need, left)
    else:
        st, b = make_room(T, lim, which, pos, need, left, False)
    if st != OK:
        tm[T_DIRTY] = d0
        return X_DEFER
    for i in range(a0 + 2, a0 + argc):
        listblob.push(b, args[i, 0], args[i, 1], left)
    changed(T, which, pos, d0, argc - 2)
    return reply_int(conn, c, rl, listblob.count(b))


# --- pops ------------------------------------------------------------------------------------
@kernel
def pop_reply(R, b, m, left, with_key, flat, args, k):
    """Reply with m elements popped from one end: as an array, or with_key as
    [key, [elements]] (LMPOP), or flat as [key, element] (BLPOP, m 1)."""
    conn, c, rl, lits = R
    start = 0 if left else listblob.count(b) - 1
    need = int_size(m) + range_size(b, start, m, not left)
    if with_key or flat:
        need += 4 + bulk_size(args[k, 1])
    if not reserve(conn, c, rl, need):
        return X_DEFER
    out = out_of(conn, c)
    p = conn[c, C_OUT_WR]
    if with_key or flat:
        p = w_agg_hdr(out, p, 42, 2)
        p = w_bulk(out, p, args[k, 0], args[k, 1])
    if not flat:
        p = w_agg_hdr(out, p, 42, m)
    conn[c, C_OUT_WR] = w_range(out, p, b, start, m, not left)
    return X_DONE


@kernel
def x_pop(K, R, args, a0, argc, left, lit0):
    """LPOP / RPOP key [count]"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    counted = argc == 3
    count = 0
    if counted:
        ok, count = arg_int(args, a0 + 2)
        if not ok or count < 0:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_MUST_POSITIVE)
    k = a0 + 1
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_LIST)
    if which == WRONGTYPE:
        return st
    if which == 0:
        if counted and conn[c, C_PROTO] != 3:
            return reply_lit(conn, c, rl, lits, lit0 + LIT_NULL_ARRAY)
        if not reserve(conn, c, rl, 5):
            return X_DEFER
        conn[c, C_OUT_WR] = w_nil(out_of(conn, c), conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
        return X_DONE
    if counted and count == 0:
        return reply_lit(conn, c, rl, lits, lit0 + LIT_EMPTY_ARRAY)
    b = value_of(T, which, pos)[0]
    n = listblob.count(b)
    tm = T[0]
    d0 = tm[T_DIRTY]
    if not counted:
        off = listblob.head(b) if left else listblob.before(b, listblob.tail(b))
        size, nxt = elem_size(b, off)
        if not reserve(conn, c, rl, size):
            return X_DEFER
        conn[c, C_OUT_WR] = w_elem(out_of(conn, c), conn[c, C_OUT_WR], b, off)
        m = 1
    else:
        m = min(count, n)
        st = pop_reply(R, b, m, left, False, False, args, k)
        if st != X_DONE:
            return st
    listblob.drop_ends(b, m if left else 0, 0 if left else m)
    removed_elements(T, lim, which, pos, d0, m)
    return X_DONE


@kernel
def lmpop_args(R, args, a0, argc, ni, lit0):
    """[B]LMPOP's numkeys (argument ni), LEFT|RIGHT and [COUNT count] (commands/mpop.py):
    (ok, numkeys, left, count, status); the error is written when not ok."""
    return mpop_args(R, args, a0, argc, ni, W_LEFT, W_RIGHT, lit0 + LIT_NUMKEYS, lit0 + LIT_COUNT_POS)


@kernel
def x_lmpop(K, R, args, a0, argc, lit0):
    """LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]; propagated as LPOP/RPOP key count."""
    conn, c, rl, lits = R
    ok, numkeys, left, count, st = lmpop_args(R, args, a0, argc, 1, lit0)
    if not ok:
        return st
    served, st = pop_first(K, R, args, a0 + 2, numkeys, left, count, False, False)
    if served:
        return st
    if conn[c, C_PROTO] == 3:
        return reply_lit(conn, c, rl, lits, LIT_NIL3)
    return reply_lit(conn, c, rl, lits, lit0 + LIT_NULL_ARRAY)


@kernel
def pop_first(K, R, args, k0, numkeys, left, count, flat, retry):
    """Pop up to count elements from the first non-empty list of the keys args[k0:k0+numkeys],
    replying [key, [elements]] (flat: [key, element]) and propagating LPOP/RPOP key count
    (flat: LPOP/RPOP key).  (served, status): not served when every list is empty; a key of
    another type answers WRONGTYPE, unless `retry` (a blocked command trying again: Redis
    serves it only from a list, and it waits on)."""
    T, lim, db, now = K
    conn, c, rl, lits = R
    for k in range(k0, k0 + numkeys):
        h, which, pos = lookup_write(T, lim, db, args[k, 0], args[k, 1], now, OBJ_LIST, 0)
        if which == 0:
            continue
        if which == WRONGTYPE:
            if retry:
                continue
            return True, reply_lit(conn, c, rl, lits, LIT_WRONGTYPE)
        b = value_of(T, which, pos)[0]
        m = min(count, listblob.count(b))
        st = pop_reply(R, b, m, left, not flat, flat, args, k)
        if st != X_DONE:
            return True, st
        tm = T[0]
        d0 = tm[T_DIRTY]
        listblob.drop_ends(b, m if left else 0, 0 if left else m)
        removed_elements(T, lim, which, pos, d0, m)
        if propagating(tm):
            out, p = effect_begin(tm, conn[c, C_DB], 2 if flat else 3, W_LPOP if left else W_RPOP)
            p = w_bulk(out, p, args[k, 0], args[k, 1])
            if not flat:
                p = w_bulk_int(out, p, m)
            tm[T_PROP_WR] = p
        return True, X_DONE
    return False, X_DONE


# --- reads -----------------------------------------------------------------------------------
@kernel
def x_llen(K, R, args, a0, stats):
    """LLEN key"""
    T = K[0]
    conn, c, rl, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_LIST, 0)
    if which == WRONGTYPE:
        return st
    if which == 0:
        st = reply_lit(conn, c, rl, lits, LIT_ZERO)
    else:
        st = reply_int(conn, c, rl, listblob.count(value_of(T, which, pos)[0]))
    if st == X_DONE:
        count_lookup(stats, which)
    return st


@kernel
def x_lindex(K, R, args, a0, stats):
    """LINDEX key index"""
    T = K[0]
    conn, c, rl, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_LIST, 0)
    if which == WRONGTYPE:
        return st
    if which == 0:
        st = reply_nil_of(R)
    else:
        ok, index = arg_int(args, a0 + 2)
        if not ok:
            st = reply_lit(conn, c, rl, lits, LIT_NOT_INT)
        else:
            b = value_of(T, which, pos)[0]
            n = listblob.count(b)
            if index < 0:
                index += n
            if index < 0 or index >= n:
                st = reply_nil_of(R)
            else:
                off = listblob.offset_of(b, index)
                size, nxt = elem_size(b, off)
                if not reserve(conn, c, rl, size):
                    return X_DEFER
                conn[c, C_OUT_WR] = w_elem(out_of(conn, c), conn[c, C_OUT_WR], b, off)
                st = X_DONE
    if st == X_DONE:
        count_lookup(stats, which)
    return st


@kernel
def reply_nil_of(R):
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 5):
        return X_DEFER
    conn[c, C_OUT_WR] = w_nil(out_of(conn, c), conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
    return X_DONE


@kernel(inline=True)
def list_range(start, end, n):
    """addListRangeReply's index rules: (first index, how many), how many 0 for an empty range."""
    if start < 0:
        start = n + start
    if end < 0:
        end = n + end
    if start < 0:
        start = 0
    if start > end or start >= n:
        return 0, 0
    if end >= n:
        end = n - 1
    return start, end - start + 1


@kernel
def x_lrange(K, R, args, a0, stats, lit0):
    """LRANGE key start stop"""
    T = K[0]
    conn, c, rl, lits = R
    ok1, start = arg_int(args, a0 + 2)
    ok2, end = arg_int(args, a0 + 3)
    if not ok1 or not ok2:
        return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_LIST, 0)
    if which == WRONGTYPE:
        return st
    m = 0
    b = 0
    first = 0
    if which != 0:
        b = value_of(T, which, pos)[0]
        first, m = list_range(start, end, listblob.count(b))
    if m == 0:
        st = reply_lit(conn, c, rl, lits, lit0 + LIT_EMPTY_ARRAY)
    else:
        if not reserve(conn, c, rl, int_size(m) + range_size(b, first, m, False)):
            return X_DEFER
        out = out_of(conn, c)
        p = w_agg_hdr(out, conn[c, C_OUT_WR], 42, m)
        conn[c, C_OUT_WR] = w_range(out, p, b, first, m, False)
        st = X_DONE
    if st == X_DONE:
        count_lookup(stats, which)
    return st


@kernel
def x_lpos(K, R, args, a0, argc, stats, lit0):
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]"""
    T = K[0]
    conn, c, rl, lits = R
    rank = 1
    count = -1
    maxlen = 0
    j = 3
    while j < argc:
        w = arg_word(args, a0 + j)
        more = j + 1 < argc
        if w == W_RANK and more:
            j += 1
            ok, rank = arg_int(args, a0 + j)
            if not ok:
                return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
            if rank == 0:
                return reply_lit(conn, c, rl, lits, lit0 + LIT_RANK_ZERO)
        elif w == W_COUNT and more:
            j += 1
            ok, count = arg_int(args, a0 + j)
            if not ok or count < 0:
                return reply_lit(conn, c, rl, lits, lit0 + LIT_COUNT_NEG)
        elif w == W_MAXLEN and more:
            j += 1
            ok, maxlen = arg_int(args, a0 + j)
            if not ok or maxlen < 0:
                return reply_lit(conn, c, rl, lits, lit0 + LIT_MAXLEN_NEG)
        else:
            return reply_lit(conn, c, rl, lits, LIT_SYNTAX)
        j += 1
    backwards = rank < 0
    if backwards:
        rank = -rank
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_LIST, 0)
    if which == WRONGTYPE:
        return st
    if which == 0:
        if count != -1:
            st = reply_lit(conn, c, rl, lits, lit0 + LIT_EMPTY_ARRAY)
        else:
            st = reply_nil_of(R)
        if st == X_DONE:
            count_lookup(stats, which)
        return st
    b = value_of(T, which, pos)[0]
    s = args[a0 + 2, 0]
    n = args[a0 + 2, 1]
    # pass 1 sizes the reply, pass 2 writes it
    out = out_of(conn, c)
    p = 0
    size = 0
    found = 0
    last = -1
    for rnd in range(2):
        if rnd == 1:
            if count == -1:
                if last < 0:
                    st = reply_nil_of(R)
                else:
                    st = reply_int(conn, c, rl, last)
                break
            if not reserve(conn, c, rl, int_size(found) + size):
                return X_DEFER
            out = out_of(conn, c)
            p = w_agg_hdr(out, conn[c, C_OUT_WR], 42, found)
        total = listblob.count(b)
        off = listblob.tail(b) if backwards else listblob.head(b)
        matches = 0
        got = 0
        index = 0
        while index < total and (maxlen == 0 or index < maxlen):
            if backwards:
                off = listblob.before(b, off)
                at = off
            else:
                at = off
                off = listblob.element(b, off)[0]
            if listblob.entry_equals(b, at, s, n):
                matches += 1
                mi = total - index - 1 if backwards else index
                if matches >= rank:
                    if count == -1:
                        last = mi
                        break
                    got += 1
                    if rnd == 0:
                        size += int_size(mi)
                    else:
                        p = w_int(out, p, mi)
                    if count != 0 and matches - rank + 1 >= count:
                        break
            index += 1
        found = got
        if rnd == 1:
            conn[c, C_OUT_WR] = p
            st = X_DONE
    if st == X_DONE:
        count_lookup(stats, which)
    return st


# --- writes inside the list ------------------------------------------------------------------
@kernel
def x_lset(K, R, args, a0, lit0):
    """LSET key index element"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 32):
        return X_DEFER
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_LIST)
    if which == WRONGTYPE:
        return st
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_NO_SUCH_KEY)
    ok, index = arg_int(args, a0 + 2)
    if not ok:
        return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
    b = value_of(T, which, pos)[0]
    n = listblob.count(b)
    if index < 0:
        index += n
    if index < 0 or index >= n:
        return reply_lit(conn, c, rl, lits, lit0 + LIT_INDEX_RANGE)
    s = args[a0 + 3, 0]
    ln = args[a0 + 3, 1]
    off = listblob.offset_of(b, index)
    grow = lp.entry_size(s, ln) - (listblob.element(b, off)[0] - off)
    tm = T[0]
    d0 = tm[T_DIRTY]
    if grow > 0:
        st, b = make_room(T, lim, which, pos, grow, True, True)
        if st != OK:
            tm[T_DIRTY] = d0
            return X_DEFER
        off = listblob.offset_of(b, index)
    listblob.replace_at(b, off, s, ln)
    changed(T, which, pos, d0, 1)
    return reply_lit(conn, c, rl, lits, LIT_OK)


@kernel
def x_linsert(K, R, args, a0):
    """LINSERT key BEFORE|AFTER pivot element"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    w = arg_word(args, a0 + 2)
    if w != W_BEFORE and w != W_AFTER:
        return reply_lit(conn, c, rl, lits, LIT_SYNTAX)
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_LIST)
    if which == WRONGTYPE:
        return st
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    b = value_of(T, which, pos)[0]
    ps = args[a0 + 3, 0]
    pn = args[a0 + 3, 1]
    off = listblob.head(b)
    end = listblob.tail(b)
    index = 0
    while off < end:
        if listblob.entry_equals(b, off, ps, pn):
            break
        off = listblob.element(b, off)[0]
        index += 1
    if off >= end:
        return reply_lit(conn, c, rl, lits, LIT_MINUS1)
    s = args[a0 + 4, 0]
    ln = args[a0 + 4, 1]
    tm = T[0]
    d0 = tm[T_DIRTY]
    st, b = make_room(T, lim, which, pos, lp.entry_size(s, ln), True, True)
    if st != OK:
        tm[T_DIRTY] = d0
        return X_DEFER
    at = index + (1 if w == W_AFTER else 0)
    off = listblob.tail(b) if at == listblob.count(b) else listblob.offset_of(b, at)
    listblob.insert_at(b, off, s, ln)
    changed(T, which, pos, d0, 1)
    return reply_int(conn, c, rl, listblob.count(b))


@kernel
def x_ltrim(K, R, args, a0):
    """LTRIM key start stop"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    ok1, start = arg_int(args, a0 + 2)
    ok2, end = arg_int(args, a0 + 3)
    if not ok1 or not ok2:
        return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
    if not reserve(conn, c, rl, 5):
        return X_DEFER
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_LIST)
    if which == WRONGTYPE:
        return st
    if which != 0:
        b = value_of(T, which, pos)[0]
        n = listblob.count(b)
        first, m = list_range(start, end, n)
        tm = T[0]
        d0 = tm[T_DIRTY]
        if m == 0:
            listblob.drop_ends(b, n, 0)
        else:
            listblob.drop_ends(b, first, n - first - m)
        removed_elements(T, lim, which, pos, d0, n - m)
    return reply_lit(conn, c, rl, lits, LIT_OK)


@kernel
def x_lrem(K, R, args, a0):
    """LREM key count element"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    ok, count = arg_int(args, a0 + 2)
    if not ok:
        return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_LIST)
    if which == WRONGTYPE:
        return st
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    b = value_of(T, which, pos)[0]
    tm = T[0]
    d0 = tm[T_DIRTY]
    limit = -count if count < 0 else count
    if limit < 0:       # count -2**63: Redis's toremove stays negative, no count reaches it, all go
        limit = 0
    removed = listblob.keep_matching(b, args[a0 + 3, 0], args[a0 + 3, 1], limit, count < 0)
    if removed:
        removed_elements(T, lim, which, pos, d0, removed)
    return reply_int(conn, c, rl, removed)


# --- LMOVE -----------------------------------------------------------------------------------
@kernel
def x_lmove_args(R, args, a0):
    """LMOVE's LEFT|RIGHT LEFT|RIGHT: (ok, wherefrom left, whereto left, status); the syntax
    error is written when not ok."""
    conn, c, rl, lits = R
    w1 = arg_word(args, a0 + 3)
    w2 = arg_word(args, a0 + 4)
    if (w1 != W_LEFT and w1 != W_RIGHT) or (w2 != W_LEFT and w2 != W_RIGHT):
        return False, False, False, reply_lit(conn, c, rl, lits, LIT_SYNTAX)
    return True, w1 == W_LEFT, w2 == W_LEFT, X_DONE


@kernel
def x_lmove(K, R, args, a0, from_left, to_left):
    """LMOVE source destination LEFT|RIGHT LEFT|RIGHT, RPOPLPUSH source destination"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    src = a0 + 1
    dst = a0 + 2
    h1, w1, p1 = lookup_write(T, lim, db, args[src, 0], args[src, 1], now, OBJ_LIST, 0)
    if w1 == WRONGTYPE:
        return reply_lit(conn, c, rl, lits, LIT_WRONGTYPE)
    if w1 == 0:
        return reply_nil_of(R)
    h2, w2, p2 = lookup_write(T, lim, db, args[dst, 0], args[dst, 1], now, OBJ_LIST, 0)
    if w2 == WRONGTYPE:
        return reply_lit(conn, c, rl, lits, LIT_WRONGTYPE)
    b1 = value_of(T, w1, p1)[0]
    off = listblob.head(b1) if from_left else listblob.before(b1, listblob.tail(b1))
    size, nxt = elem_size(b1, off)
    esize = nxt - off
    if not reserve(conn, c, rl, size):
        return X_DEFER
    tm = T[0]
    d0 = tm[T_DIRTY]
    same = blob.same(args[src, 0], args[src, 1], args[dst, 0], args[dst, 1])
    if same:
        st, b1 = make_room(T, lim, w1, p1, esize, to_left, False)
        if st != OK:
            tm[T_DIRTY] = d0
            return X_DEFER
        off = listblob.head(b1) if from_left else listblob.before(b1, listblob.tail(b1))
        conn[c, C_OUT_WR] = w_elem(out_of(conn, c), conn[c, C_OUT_WR], b1, off)
        if from_left != to_left:
            listblob.push_entry(b1, b1, off, to_left)
            listblob.drop_ends(b1, 1 if from_left else 0, 0 if from_left else 1)
        changed(T, w1, p1, d0, 1)
        return X_DONE
    if w2 == 0:
        st, w2, p2, b2 = create_list(T, lim, db, h2, p2, args[dst, 0], args[dst, 1], esize, to_left)
    else:
        st, b2 = make_room(T, lim, w2, p2, esize, to_left, False)
    if st != OK:
        tm[T_DIRTY] = d0
        return X_DEFER
    h1, w1, p1 = lookup(T, lim, db, args[src, 0], args[src, 1], 0)
    b1 = value_of(T, w1, p1)[0]
    off = listblob.head(b1) if from_left else listblob.before(b1, listblob.tail(b1))
    conn[c, C_OUT_WR] = w_elem(out_of(conn, c), conn[c, C_OUT_WR], b1, off)
    listblob.push_entry(b2, b1, off, to_left)
    h2, w2, p2 = lookup(T, lim, db, args[dst, 0], args[dst, 1], 0)
    changed(T, w2, p2, d0, 0)
    listblob.drop_ends(b1, 1 if from_left else 0, 0 if from_left else 1)
    removed_elements(T, lim, w1, p1, d0, 1)
    return X_DONE
