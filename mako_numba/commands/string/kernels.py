"""String commands (Redis's t_string.c), as thin kernels over the table.

Every handler takes the key context `K`, the client `R` and the request's
arguments `args, a0` (and `argc`), then only what else it uses (`ci, cmdt`,
`stats`; respond.py says what each is), and returns X_DONE or X_DEFER.  Like
t_string.c, variants share one generic function: SET, SETNX, SETEX, PSETEX
and GETSET are `set_generic` with flag bits; INCR, DECR, INCRBY and DECRBY
are `incr_generic`.  APPEND, STRLEN,
GETRANGE and SETRANGE are in ranges.py.  Keys are found wanting a string
(respond.read_or_reply / write_or_reply): another type gets WRONGTYPE; SET
and MSET replace a value of any type, SETNX and MSETNX only ask whether the
key exists, and MGET answers nil for a key of another type, as Redis does.

Check, then act: arguments are validated and the whole reply reserved before
the key space changes; a write that lacks memory (NEED_* from the table)
undoes any reply bytes it wrote and defers.
"""
import numpy as np

from mako_numba.protocol.errors import (
    LIT_ARITY_SUF, LIT_DECR_OVERFLOW, LIT_EXPIRE_PRE, LIT_INCR_OVERFLOW,
    LIT_NOT_INT, LIT_OK, LIT_ONE, LIT_SYNTAX, LIT_ZERO,
)
from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import C_OUT_WR, C_PROTO, S_HITS, S_MISSES, T_LOADING
from mako_numba.protocol.parsebase import string2ll
from mako_numba.protocol.replies import bulk_size, int_size, w_arr_hdr, w_bulk, w_nil, w_num
from mako_numba.commands.respond import (
    INT64_MAX, INT64_MIN, W_NX, W_XX, X_DEFER, X_DONE, arg_int, arg_word, count_lookup,
    out_of, read_or_reply, reply_arity, reply_bulk, reply_int, reply_lit, reply_named, reply_nil, reserve,
    word, write_or_reply,
)
from mako_numba.base.layout import T_NEED
from mako_numba.store.arena import NEED_INDEX, OK, REC_HDR, alloc, unalloc
from mako_numba.store.table import (
    expire_of, index_room, install, lookup, store_inline, set_expire_at, store, unlink_found,
    value_of,
)
from mako_numba.store.types import OBJ_ANY, OBJ_STRING, WRONGTYPE, lookup_read, lookup_write

# SET flags (object.h OBJ_SET_* / OBJ_*)
SET_NX = 1
SET_XX = 2
SET_GET = 4
SET_KEEPTTL = 8
SET_EX = 16
SET_PX = 32
SET_EXAT = 64
SET_PXAT = 128
SET_PERSIST = 256                   # GETEX only
_ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT

W_GET = word("get")
W_KEEPTTL = word("keepttl")
W_EX = word("ex")
W_PX = word("px")
W_EXAT = word("exat")
W_PXAT = word("pxat")
W_PERSIST = word("persist")


@kernel(inline=True)
def parse_set_options(args, a0, argc, getex):
    """parseExtendedStringArgumentsOrReply for SET (from argument 3) or GETEX
    (from argument 2): (flags, index of the time argument), or (-1, 0)."""
    flags = 0
    ei = 0
    j = 2 if getex else 3
    while j < argc:
        w = arg_word(args, a0 + j)
        more = j + 1 < argc
        if w == W_NX and not getex and not flags & SET_XX:
            flags |= SET_NX
        elif w == W_XX and not getex and not flags & SET_NX:
            flags |= SET_XX
        elif w == W_GET and not getex:
            flags |= SET_GET
        elif w == W_KEEPTTL and not getex and not flags & _ANY_EXPIRE:
            flags |= SET_KEEPTTL
        elif w == W_PERSIST and getex and not flags & (_ANY_EXPIRE | SET_KEEPTTL):
            flags |= SET_PERSIST
        elif w == W_EX and more and not flags & (SET_KEEPTTL | SET_PERSIST | SET_EXAT | SET_PX | SET_PXAT):
            flags |= SET_EX
            j += 1
            ei = j
        elif w == W_PX and more and not flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_EXAT | SET_PXAT):
            flags |= SET_PX
            j += 1
            ei = j
        elif w == W_EXAT and more and not flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_PX | SET_PXAT):
            flags |= SET_EXAT
            j += 1
            ei = j
        elif w == W_PXAT and more and not flags & (SET_KEEPTTL | SET_PERSIST | SET_EX | SET_EXAT | SET_PX):
            flags |= SET_PXAT
            j += 1
            ei = j
        else:
            return -1, 0
        j += 1
    return flags, ei


@kernel(inline=True)
def expire_time(args, i, flags, now):
    """getExpireMillisecondsOrReply: (0, ms) ok, (1, 0) not an integer, (2, 0) invalid."""
    ok, v = arg_int(args, i)
    if not ok:
        return 1, 0
    seconds = flags & (SET_EX | SET_EXAT)
    if v <= 0 or (seconds and v > INT64_MAX // 1000):
        return 2, 0
    if seconds:
        v *= 1000
    if flags & (SET_EX | SET_PX):
        if v > INT64_MAX - now:       # Redis sees this as a wrap to <= 0
            return 2, 0
        v += now
    return 0, v


@kernel(inline=True)
def _set_generic(K, R, args, a0, ci, cmdt, stats, flags, ei, vi, counted, hq):
    """SET and friends.  `counted`: reply :1/:0 (SETNX) instead of OK/nil."""
    T, lim, db, now = K
    conn, c, lim, lits = R
    when = 0
    if ei:
        st, when = expire_time(args, a0 + ei, flags, now)
        if st == 1:
            return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
        if st == 2:
            return reply_named(conn, c, lim, lits, cmdt, ci, LIT_EXPIRE_PRE, LIT_ARITY_SUF)
    k = a0 + 1
    v = a0 + vi
    # with GET, getGenericCommand reads first: the old value must be a string; SET alone
    # replaces a value of any type (one lookup either way: the hot path inlines it once)
    st, h, which, pos = read_or_reply(K, R, stats, args, k, OBJ_STRING if flags & SET_GET else OBJ_ANY, hq)
    if which == WRONGTYPE:
        return st
    found = which != 0
    old_addr = 0
    old_len = -1
    if found:
        old_addr, old_len = value_of(T, which, pos)
    need = 5
    if flags & SET_GET:
        need = bulk_size(old_len) if found else 5
    if not reserve(conn, c, lim, need + 5):
        return X_DEFER
    saved = conn[c, C_OUT_WR]
    out = out_of(conn, c)
    if flags & SET_GET:
        if found:
            conn[c, C_OUT_WR] = w_bulk(out, saved, old_addr, old_len)
        else:
            conn[c, C_OUT_WR] = w_nil(out, saved, lits, conn[c, C_PROTO])
    if (flags & SET_NX and found) or (flags & SET_XX and not found):
        if flags & SET_GET:
            count_lookup(stats, which)
            return X_DONE
        if counted:
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
        return reply_nil(conn, c, lim, lits)
    if when == 0 and flags & SET_KEEPTTL and found:
        when = expire_of(T, which, pos)
    st = store_inline(T, lim, db, h, which, pos, args[k, 0], args[k, 1], args[v, 0], args[v, 1], when)
    if st != OK:
        conn[c, C_OUT_WR] = saved
        return X_DEFER
    if flags & SET_GET:
        count_lookup(stats, 1 if found else 0)
        return X_DONE
    return reply_lit(conn, c, lim, lits, LIT_ONE if counted else LIT_OK)


@kernel
def set_generic(K, R, args, a0, ci, cmdt, stats, flags, ei, vi, counted):
    """_set_generic as a call, for SET's variants (SET itself inlines it)."""
    return _set_generic(K, R, args, a0, ci, cmdt, stats, flags, ei, vi, counted, 0)


@kernel(inline=True)
def x_set(K, R, args, a0, argc, ci, cmdt, stats, hq):
    """SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]; hq: the key's hash or 0"""
    flags, ei = parse_set_options(args, a0, argc, False)
    if flags < 0:
        conn, c, lim, lits = R
        return reply_lit(conn, c, lim, lits, LIT_SYNTAX)
    return _set_generic(K, R, args, a0, ci, cmdt, stats, flags, ei, 2, False, hq)


@kernel
def x_getex(K, R, args, a0, argc, ci, cmdt, stats):
    """GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    flags, ei = parse_set_options(args, a0, argc, True)
    if flags < 0:
        return reply_lit(conn, c, lim, lits, LIT_SYNTAX)
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_STRING, 0)
    if which == WRONGTYPE:
        return st
    if which == 0:
        st = reply_nil(conn, c, lim, lits)
        if st == X_DONE:
            stats[S_MISSES] += 1
        return st
    when = 0
    st = X_DONE
    if ei:
        est, when = expire_time(args, a0 + ei, flags, now)
        if est == 1:
            st = reply_lit(conn, c, lim, lits, LIT_NOT_INT)
        elif est == 2:
            st = reply_named(conn, c, lim, lits, cmdt, ci, LIT_EXPIRE_PRE, LIT_ARITY_SUF)
        if est != 0:
            if st == X_DONE:
                stats[S_HITS] += 1
            return st
    vaddr, vlen = value_of(T, which, pos)
    st = reply_bulk(conn, c, lim, vaddr, vlen)
    if st != X_DONE:
        return st
    stats[S_HITS] += 1
    if flags & (SET_EXAT | SET_PXAT) and when <= now and T[0][T_LOADING] == 0:
        unlink_found(T, lim, which, pos)
    elif ei:
        set_expire_at(T, which, pos, when)
    elif flags & SET_PERSIST and expire_of(T, which, pos) != 0:
        set_expire_at(T, which, pos, 0)
    return X_DONE


@kernel(inline=True)
def get_generic(K, R, args, a0, stats, hq):
    """Reply with key's value or nil, counting hits and misses: (X_*, which, slot); which
    WRONGTYPE when the key holds another type (its error written)."""
    T = K[0]
    conn, c, lim, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_STRING, hq)
    if which == WRONGTYPE:
        return st, which, pos
    if which == 0:
        st = reply_nil(conn, c, lim, lits)
        if st == X_DONE:
            stats[S_MISSES] += 1
        return st, which, pos
    vaddr, vlen = value_of(T, which, pos)
    st = reply_bulk(conn, c, lim, vaddr, vlen)
    if st == X_DONE:
        stats[S_HITS] += 1
    return st, which, pos


@kernel(inline=True)
def x_get(K, R, args, a0, stats, hq):
    """GET key; hq: the key's hash or 0"""
    return get_generic(K, R, args, a0, stats, hq)[0]


@kernel
def x_getdel(K, R, args, a0, stats):
    """GETDEL key"""
    st, which, pos = get_generic(K, R, args, a0, stats, 0)
    if st == X_DONE and which > 0:
        unlink_found(K[0], K[1], which, pos)
    return st


@kernel
def x_mget(K, R, args, a0, argc, stats):
    """MGET key [key ...]"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    need = int_size(argc - 1)
    for i in range(a0 + 1, a0 + argc):
        h, which, pos = lookup_read(T, lim, db, args[i, 0], args[i, 1], now, OBJ_STRING, 0)
        if which <= 0:              # absent, or not a string: nil (a hit all the same)
            need += 5
        else:
            need += bulk_size(value_of(T, which, pos)[1])
    if not reserve(conn, c, lim, need):
        return X_DEFER
    out = out_of(conn, c)
    p = conn[c, C_OUT_WR]
    p = w_arr_hdr(out, p, argc - 1)
    for i in range(a0 + 1, a0 + argc):
        h, which, pos = lookup_read(T, lim, db, args[i, 0], args[i, 1], now, OBJ_STRING, 0)
        count_lookup(stats, which)
        if which <= 0:
            p = w_nil(out, p, lits, conn[c, C_PROTO])
        else:
            vaddr, vlen = value_of(T, which, pos)
            p = w_bulk(out, p, vaddr, vlen)
    conn[c, C_OUT_WR] = p
    return X_DONE


@kernel
def x_mset(K, R, args, a0, argc, ci, cmdt, nx):
    """MSET key value [key value ...] / MSETNX: all pairs or none.

    Atomic also when memory runs short: every block is allocated first
    (kept in the argument rows' spare column); if one allocation fails, the
    others are freed and the request defers with nothing changed.
    """
    T, lim, db, now = K
    conn, c, lim, lits = R
    if argc % 2 == 0:
        return reply_arity(conn, c, lim, lits, cmdt, ci)
    if nx:
        for i in range(a0 + 1, a0 + argc, 2):
            if lookup(T, lim, db, args[i, 0], args[i, 1], now)[1] != 0:
                return reply_lit(conn, c, lim, lits, LIT_ZERO)
    if not reserve(conn, c, lim, 5):
        return X_DEFER
    if not index_room(T, lim, (argc - 1) // 2):
        T[0][T_NEED] = NEED_INDEX
        return X_DEFER
    for i in range(a0 + 1, a0 + argc, 2):
        nref = alloc(T, lim, REC_HDR + args[i, 1] + args[i + 1, 1])
        if nref == 0:
            for j in range(a0 + 1, i, 2):
                unalloc(T, lim, args[j, 2], REC_HDR + args[j, 1] + args[j + 1, 1])
            return X_DEFER
        args[i, 2] = nref
    for i in range(a0 + 1, a0 + argc, 2):
        h, which, pos = lookup_write(T, lim, db, args[i, 0], args[i, 1], now, OBJ_ANY, 0)
        install(T, lim, db, h, which, pos, args[i, 2], args[i, 0], args[i, 1],
                args[i + 1, 0], args[i + 1, 1], 0)
    return reply_lit(conn, c, lim, lits, LIT_ONE if nx else LIT_OK)


@kernel(allocates=True)
def incr_generic(K, R, args, a0, incr):
    """INCR, DECR, INCRBY, DECRBY: add `incr` to the integer stored at key."""
    T, lim, db, now = K
    conn, c, lim, lits = R
    k = a0 + 1
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_STRING)
    if which == WRONGTYPE:
        return st
    value = 0
    keep = 0
    if which != 0:
        vaddr, vlen = value_of(T, which, pos)
        ok, value = string2ll(u8view(vaddr, vlen), 0, vlen)
        if not ok:
            return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
        keep = expire_of(T, which, pos)
    if (incr < 0 and value < 0 and incr < INT64_MIN - value) or \
            (incr > 0 and value > 0 and incr > INT64_MAX - value):
        return reply_lit(conn, c, lim, lits, LIT_INCR_OVERFLOW)
    value += incr
    if not reserve(conn, c, lim, int_size(value)):
        return X_DEFER
    digits = np.empty(24, np.uint8)
    n = w_num(digits, 0, value)
    if store(T, lim, db, h, which, pos, args[k, 0], args[k, 1], digits.ctypes.data, n, keep) != OK:
        return X_DEFER
    return reply_int(conn, c, lim, value)


@kernel
def x_incrby(K, R, args, a0, sign):
    """INCRBY / DECRBY key increment (sign +1 / -1)"""
    conn, c, lim, lits = R
    ok, v = arg_int(args, a0 + 2)
    if not ok:
        return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
    if sign < 0:
        if v == INT64_MIN:
            return reply_lit(conn, c, lim, lits, LIT_DECR_OVERFLOW)
        v = -v
    return incr_generic(K, R, args, a0, v)
