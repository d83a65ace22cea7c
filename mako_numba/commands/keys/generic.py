"""Key-space and expiry commands (Redis's db.c and expire.c), as kernels.

Same calling convention as string/kernels.py: `K, R, args, a0` (respond.py
says what each is), then only what else each uses, returning X_DONE or
X_DEFER.  COPY and MOVE also take the client's database number (`sel`), SWAPDB
the whole table instead of `K`, TIME only the clock.

Expiry is kept in milliseconds in each record's header.  Every lookup
deletes a key whose time has come (lazy expiry, table.lookup); the loop also
sweeps the index in the background (expire.active_expire), so keys nobody
reads are reclaimed too.
"""
from mako_numba.protocol.errors import (
    LIT_ARITY_SUF, LIT_DB_RANGE, LIT_INT_RANGE, LIT_EXP_GT_LT, LIT_EXP_NX_COMBO, LIT_EXPIRE_PRE, LIT_MINUS1,
    LIT_MINUS2, LIT_NO_SUCH_KEY, LIT_NOT_INT, LIT_OK, LIT_ONE, LIT_SAME_OBJECT, LIT_SYNTAX, LIT_TYPE_NONE, LIT_UNSUPPORTED_PRE, LIT_ZERO,
)
from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import C_OUT_WR, T_LOADING
from mako_numba.commands.respond import (
    INT64_MAX, W_NX, W_XX, X_DEFER, X_DONE, arg_int, arg_word, count_lookup, out_of,
    reply_error_arg, reply_int, reply_lit, reply_named, reserve, word,
)
from mako_numba.store.arena import ENC_TX, ENC_UNSHARED, OK
from mako_numba.store.table import (
    db_of, enc_flags, expire_of, lookup, peek, set_expire_at, unlink_found,
)
from mako_numba.store.types import TYPE_LENS, TYPE_WORDS, copy_record, type_of

EXP_NX = 1
EXP_XX = 2
EXP_GT = 4
EXP_LT = 8
W_GT = word("gt")
W_LT = word("lt")
W_REPLACE = word("replace")
W_DB = word("db")


@kernel
def x_del_exists(K, R, args, a0, argc, stats, is_del):
    """DEL / EXISTS / TOUCH key [key ...] (repeats count): one loop, three verbs.

    is_del: 1 DEL, 0 EXISTS (a read that leaves the access time alone), 2
    TOUCH (a read that sets it).  Reads count keyspace hits and misses.
    """
    T, lim, db, now = K
    conn, c, lim, lits = R
    if not reserve(conn, c, lim, 24):
        return X_DEFER
    n = 0
    for i in range(a0 + 1, a0 + argc):
        if is_del == 0:
            h, which, pos = peek(T, lim, db, args[i, 0], args[i, 1], now)
        else:
            h, which, pos = lookup(T, lim, db, args[i, 0], args[i, 1], now)
        if is_del != 1:
            count_lookup(stats, which)
        if which != 0:
            n += 1
            if is_del == 1:
                unlink_found(T, lim, which, pos)
    return reply_int(conn, c, lim, n)


@kernel
def x_expire(K, R, args, a0, argc, ci, cmdt, seconds, relative):
    """EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT]"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    flags = 0
    for j in range(a0 + 3, a0 + argc):
        w = arg_word(args, j)
        if w == W_NX:
            flags |= EXP_NX
        elif w == W_XX:
            flags |= EXP_XX
        elif w == W_GT:
            flags |= EXP_GT
        elif w == W_LT:
            flags |= EXP_LT
        else:
            return reply_error_arg(conn, c, lim, lits, LIT_UNSUPPORTED_PRE, args, j)
    if flags & EXP_NX and flags & (EXP_XX | EXP_GT | EXP_LT):
        return reply_lit(conn, c, lim, lits, LIT_EXP_NX_COMBO)
    if flags & EXP_GT and flags & EXP_LT:
        return reply_lit(conn, c, lim, lits, LIT_EXP_GT_LT)
    ok, when = arg_int(args, a0 + 2)
    if not ok:
        return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
    if seconds:
        if when > INT64_MAX // 1000 or when < -(INT64_MAX // 1000) - 1:
            return reply_named(conn, c, lim, lits, cmdt, ci, LIT_EXPIRE_PRE, LIT_ARITY_SUF)
        when *= 1000
    base = now if relative else 0
    if when > INT64_MAX - base:
        return reply_named(conn, c, lim, lits, cmdt, ci, LIT_EXPIRE_PRE, LIT_ARITY_SUF)
    when += base
    if not reserve(conn, c, lim, 4):
        return X_DEFER
    h, which, pos = lookup(T, lim, db, args[a0 + 1, 0], args[a0 + 1, 1], now)
    if which == 0:
        return reply_lit(conn, c, lim, lits, LIT_ZERO)
    if flags:
        cur = expire_of(T, which, pos)
        cur = -1 if cur == 0 else cur
        if flags & EXP_NX and cur != -1:
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
        if flags & EXP_XX and cur == -1:
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
        if flags & EXP_GT and (when <= cur or cur == -1):
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
        if flags & EXP_LT and cur != -1 and when >= cur:
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
    if when <= now and T[0][T_LOADING] == 0:     # Redis's checkAlreadyExpired: not while loading
        unlink_found(T, lim, which, pos)
    else:
        set_expire_at(T, which, pos, when)
    return reply_lit(conn, c, lim, lits, LIT_ONE)


@kernel
def x_ttl(K, R, args, a0, stats, ms, absolute):
    """TTL / PTTL / EXPIRETIME / PEXPIRETIME key"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    if not reserve(conn, c, lim, 24):
        return X_DEFER
    h, which, pos = peek(T, lim, db, args[a0 + 1, 0], args[a0 + 1, 1], now)
    count_lookup(stats, which)
    if which == 0:
        return reply_lit(conn, c, lim, lits, LIT_MINUS2)
    exp = expire_of(T, which, pos)
    if exp == 0:
        return reply_lit(conn, c, lim, lits, LIT_MINUS1)
    ttl = exp if absolute else exp - now
    if ttl < 0:
        ttl = 0
    return reply_int(conn, c, lim, ttl if ms else (ttl + 500) // 1000)


@kernel
def x_persist(K, R, args, a0):
    """PERSIST key"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    if not reserve(conn, c, lim, 4):
        return X_DEFER
    h, which, pos = lookup(T, lim, db, args[a0 + 1, 0], args[a0 + 1, 1], now)
    if which == 0 or expire_of(T, which, pos) == 0:
        return reply_lit(conn, c, lim, lits, LIT_ZERO)
    set_expire_at(T, which, pos, 0)
    return reply_lit(conn, c, lim, lits, LIT_ONE)



@kernel
def x_type(K, R, args, a0, stats):
    """TYPE key: the name of its type, from the record's type tag (store/types), or none"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    if not reserve(conn, c, lim, 10):
        return X_DEFER
    h, which, pos = peek(T, lim, db, args[a0 + 1, 0], args[a0 + 1, 1], now)
    count_lookup(stats, which)
    if which == 0:
        return reply_lit(conn, c, lim, lits, LIT_TYPE_NONE)
    t = type_of(T, which, pos)
    out = out_of(conn, c)
    p = conn[c, C_OUT_WR]
    out[p] = 43                                 # '+', then the name's bytes
    w = TYPE_WORDS[t]
    for i in range(TYPE_LENS[t]):
        out[p + 1 + i] = (w >> (8 * i)) & 0xFF
    p += 1 + TYPE_LENS[t]
    out[p] = 13
    out[p + 1] = 10
    conn[c, C_OUT_WR] = p + 2
    return X_DONE


@kernel
def x_touch(K, R, args, a0, argc, stats):
    """TOUCH key [key ...]: how many exist; their access times are set."""
    return x_del_exists(K, R, args, a0, argc, stats, 2)


@kernel
def arg_db(args, i, ndb):
    """getIntFromObjectOrReply + selectDb: (0, db), (1, 0) not an integer,
    (2, 0) no such database, (3, 0) beyond a C int."""
    ok, v = arg_int(args, i)
    if not ok:
        return 1, 0
    if v < -2147483648 or v > 2147483647:
        return 3, 0
    if v < 0 or v >= ndb:
        return 2, 0
    return 0, v


@kernel
def _args_equal(args, i, j):
    n = args[i, 1]
    if args[j, 1] != n:
        return False
    a = u8view(args[i, 0], n)
    b = u8view(args[j, 0], n)
    for k in range(n):
        if a[k] != b[k]:
            return False
    return True


@kernel
def copy_key(K, args, si, dst_db, di, replace, move):
    """The shared body of RENAME, COPY and MOVE: 1 copied, 0 refused, -1 no source.

    From K's database to dst_db (physical).  Returns (status, X_*) where
    X_DEFER means nothing changed.
    """
    T, lim, src_db, now = K
    h, which, pos = lookup(T, lim, src_db, args[si, 0], args[si, 1], now)
    if which == 0:
        return -1, X_DONE
    dh, dwhich, dpos = lookup(T, lim, dst_db, args[di, 0], args[di, 1], now)
    if dwhich != 0 and not replace:
        return 0, X_DONE
    obj = enc_flags(T, which, pos)          # type and encoding: RENAME and MOVE keep the object
    if not move:                # COPY's dup (dupStringObject): the same encoding, never a shared integer
        obj = (obj & ~ENC_TX) | ENC_UNSHARED    # a new object: no transaction holds it
    if copy_record(T, lim, which, pos, dst_db, dh, dwhich, dpos, args[di, 0], args[di, 1], obj) != OK:
        return 0, X_DEFER
    if move:
        h, which, pos = lookup(T, lim, src_db, args[si, 0], args[si, 1], now)
        unlink_found(T, lim, which, pos)
    return 1, X_DONE


@kernel
def reply_db_error(conn, c, lim, lits, st):
    """The error for an arg_db status: not an integer, beyond a C int, no such database."""
    which = LIT_DB_RANGE
    if st == 1:
        which = LIT_NOT_INT
    elif st == 3:
        which = LIT_INT_RANGE
    return reply_lit(conn, c, lim, lits, which)


@kernel
def copy_and_reply(K, R, args, stats, si, dst, di, replace, move):
    """COPY's and MOVE's common end: copy from K's database to database number dst,
    reply :1 or :0."""
    conn, c, lim, lits = R
    if not reserve(conn, c, lim, 4):
        return X_DEFER
    st, x = copy_key(K, args, si, db_of(K[0], dst), di, replace, move)
    if x == X_DEFER:
        return X_DEFER
    if not move:
        count_lookup(stats, 0 if st == -1 else 1)       # COPY reads its source
    return reply_lit(conn, c, lim, lits, LIT_ONE if st == 1 else LIT_ZERO)


@kernel
def x_rename(K, R, args, a0, nx):
    """RENAME / RENAMENX key newkey"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    if not reserve(conn, c, lim, 20):
        return X_DEFER
    if _args_equal(args, a0 + 1, a0 + 2):
        h, which, pos = lookup(T, lim, db, args[a0 + 1, 0], args[a0 + 1, 1], now)
        if which == 0:
            return reply_lit(conn, c, lim, lits, LIT_NO_SUCH_KEY)
        return reply_lit(conn, c, lim, lits, LIT_ZERO if nx else LIT_OK)
    st, x = copy_key(K, args, a0 + 1, db, a0 + 2, not nx, True)
    if x == X_DEFER:
        return X_DEFER
    if st < 0:
        return reply_lit(conn, c, lim, lits, LIT_NO_SUCH_KEY)
    if nx:
        return reply_lit(conn, c, lim, lits, LIT_ONE if st == 1 else LIT_ZERO)
    return reply_lit(conn, c, lim, lits, LIT_OK)


@kernel
def x_copy(K, R, args, a0, argc, stats, sel):
    """COPY source destination [DB destination-db] [REPLACE]; sel: the client's database number"""
    conn, c, lim, lits = R
    ndb = K[0][5].shape[0]
    src = sel
    dst = src
    replace = False
    j = 3
    while j < argc:
        w = arg_word(args, a0 + j)
        if w == W_REPLACE:
            replace = True
        elif w == W_DB and j + 1 < argc:
            st, dst = arg_db(args, a0 + j + 1, ndb)
            if st:
                return reply_db_error(conn, c, lim, lits, st)
            j += 1
        else:
            return reply_lit(conn, c, lim, lits, LIT_SYNTAX)
        j += 1
    if src == dst and _args_equal(args, a0 + 1, a0 + 2):
        return reply_lit(conn, c, lim, lits, LIT_SAME_OBJECT)
    return copy_and_reply(K, R, args, stats, a0 + 1, dst, a0 + 2, replace, False)


@kernel
def x_move(K, R, args, a0, stats, sel):
    """MOVE key db; sel: the client's database number"""
    conn, c, lim, lits = R
    st, dst = arg_db(args, a0 + 2, K[0][5].shape[0])
    if st:
        return reply_db_error(conn, c, lim, lits, st)
    if sel == dst:
        return reply_lit(conn, c, lim, lits, LIT_SAME_OBJECT)
    return copy_and_reply(K, R, args, stats, a0 + 1, dst, a0 + 1, False, True)
