"""Hash commands (Redis's t_hash.c) over the hash blob (store/types/blob.py, pairs=True).

Same calling convention and rule as the string kernels: check, reserve the
reply, make room (store/types/coll.py) and only then change the hash, so a
request that defers changed nothing.  Encodings follow Redis 7.0: a new
hash is a listpack (KIND_COMPACT) and becomes a hashtable (KIND_TABLE) when
a field or value is longer than hash-max-listpack-value or it holds more
than hash-max-listpack-entries fields; never back.  A hash left empty is
deleted, as Redis deletes it.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import C_OUT_WR, C_PROTO, T_DIRTY
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, arg_int, count_lookup, out_of, read_or_reply, reply_arity, reply_int,
    reply_lit, reserve, write_or_reply,
)
from mako_numba.config import settings as config
from mako_numba.protocol.errors import LIT_INCR_OVERFLOW, LIT_NOT_INT, LIT_OK, LIT_ONE, LIT_ZERO
from mako_numba.protocol.parsebase import string2ll
from mako_numba.protocol.replies import (
    bulk_size, int_size, w_agg_hdr, w_bulk, w_bulk_short, w_int, w_nil,
)
from mako_numba.store.arena import OK
from mako_numba.store.types import OBJ_HASH, WRONGTYPE, blob
from mako_numba.store.types.blob import KIND_COMPACT, KIND_TABLE
from mako_numba.store.types.coll import (
    after_removal, blob_of, changed, create, fit_compact, make_room, seeds_of,
)

HSET_COUNT = 0      # HSET: the number of new fields
HSET_OK = 1         # HMSET: +OK
HSET_NX = 2         # HSETNX: 1 if set, 0 if the field was there

# what HKEYS, HVALS and HGETALL write of each entry
WANT_FIELDS = 1
WANT_VALUES = 2


@kernel
def new_distinct(b, seeds, args, first, end, step, cap):
    """How many of args[first:end:step] are absent from blob b (0: no blob) and not repeated
    earlier in that list; counting stops past cap."""
    n = 0
    for i in range(first, end, step):
        a = args[i, 0]
        ln = args[i, 1]
        if b != 0 and blob.find(b, seeds, a, ln, True)[0] >= 0:
            continue
        dup = False
        for j in range(first, i, step):
            if blob.same(args[j, 0], args[j, 1], a, ln):
                dup = True
                break
        if not dup:
            n += 1
            if n > cap:
                return n
    return n


@kernel
def long_args(lim, args, first, end):
    """Is any of args[first:end] longer than hash-max-listpack-value (hashTypeTryConversion)?"""
    for i in range(first, end):
        if args[i, 1] > lim[config.L_HASH_LP_VALUE]:
            return True
    return False


@kernel
def prepare_write(K, h, which, pos, args, k, first, end, add_bytes, add_entries, long_arg):
    """Make room for writing the fields args[first:end:2] (add_entries of them at most, add_bytes
    of entries), creating the hash when absent, converting it as Redis would (long_arg: a field
    or value is longer than hash-max-listpack-value): (OK, which, pos, blob) or (NEED_*, ...)."""
    T, lim, db, now = K
    seeds = seeds_of(T)
    maxe = lim[config.L_HASH_LP_ENTRIES]
    if which == 0:
        nd = new_distinct(0, seeds, args, first, end, 2, maxe)
        if long_arg or nd > maxe:
            ecap, log = blob.table_shape(add_bytes, add_entries)
            kind = KIND_TABLE
        else:
            ecap = add_bytes
            log = 0
            kind = KIND_COMPACT
        st, which, pos, b = create(T, lim, db, h, pos, args[k, 0], args[k, 1], OBJ_HASH,
                                   blob.blob_size(kind, ecap, log))
        if st != OK:
            return st, 0, 0, 0
        blob.init(b, kind, ecap, log)
        return OK, which, pos, b
    b = blob_of(T, which, pos)
    to_table = False
    if not blob.is_table(b):
        cnt = blob.count(b)
        to_table = long_arg or cnt + new_distinct(b, seeds, args, first, end, 2, maxe - cnt) > maxe
    st, b = make_room(T, lim, which, pos, add_bytes, add_entries, True, to_table)
    return st, which, pos, b


@kernel
def hset_generic(K, R, args, a0, argc, ci, cmdt, mode):
    """HSET key field value [field value ...] / HMSET / HSETNX key field value"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if (argc - 2) % 2 != 0:
        return reply_arity(conn, c, rl, lits, cmdt, ci)
    npairs = (argc - 2) // 2
    if not reserve(conn, c, rl, int_size(npairs) + 5):
        return X_DEFER
    k = a0 + 1
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_HASH)
    if which == WRONGTYPE:
        return st
    tm = T[0]
    seeds = seeds_of(T)
    if mode == HSET_NX and which != 0:
        b = blob_of(T, which, pos)
        if blob.find(b, seeds, args[a0 + 2, 0], args[a0 + 2, 1], True)[0] >= 0:
            return reply_lit(conn, c, rl, lits, LIT_ZERO)
    add = 0
    for i in range(a0 + 2, a0 + argc, 2):
        add += blob.entry_size(args[i, 1], args[i + 1, 1], True)
    d0 = tm[T_DIRTY]
    st, which, pos, b = prepare_write(K, h, which, pos, args, k, a0 + 2, a0 + argc, add, npairs,
                                      long_args(lim, args, a0 + 2, a0 + argc))
    if st != OK:
        tm[T_DIRTY] = d0
        return X_DEFER
    created = 0
    for i in range(a0 + 2, a0 + argc, 2):
        off, slot = blob.find(b, seeds, args[i, 0], args[i, 1], True)
        if off < 0:
            blob.add(b, seeds, args[i, 0], args[i, 1], args[i + 1, 0], args[i + 1, 1], True)
            created += 1
        else:
            blob.set_value(b, seeds, off, slot, args[i + 1, 0], args[i + 1, 1])
    fit_compact(T, lim, which, pos)
    changed(T, which, pos, d0, npairs if mode != HSET_NX else 1)
    if mode == HSET_OK:
        return reply_lit(conn, c, rl, lits, LIT_OK)
    if mode == HSET_NX:
        return reply_lit(conn, c, rl, lits, LIT_ONE)
    return reply_int(conn, c, rl, created)


@kernel
def x_hincrby(K, R, args, a0, lit_not_int):
    """HINCRBY key field increment"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    ok, incr = arg_int(args, a0 + 3)
    if not ok:
        return reply_lit(conn, c, rl, lits, LIT_NOT_INT)
    k = a0 + 1
    f = a0 + 2
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_HASH)
    if which == WRONGTYPE:
        return st
    seeds = seeds_of(T)
    old = 0
    if which != 0:
        b = blob_of(T, which, pos)
        off, slot = blob.find(b, seeds, args[f, 0], args[f, 1], True)
        if off >= 0:
            a1, n1, va, vn, nxt = blob.entry_at(b, off, True)
            ok = vn > 0 and vn < 21
            if ok:
                ok, old = string2ll(u8view(va, vn), 0, vn)
            if not ok:
                return reply_lit(conn, c, rl, lits, lit_not_int)
    if (incr < 0 and old < 0 and incr < -9223372036854775808 - old) or \
            (incr > 0 and old > 0 and incr > 9223372036854775807 - old):
        return reply_lit(conn, c, rl, lits, LIT_INCR_OVERFLOW)
    new = old + incr
    # the reply ":<new>\r\n" is written (not yet sent) first: its digits are the new value
    if not reserve(conn, c, rl, int_size(new)):
        return X_DEFER
    out = out_of(conn, c)
    p0 = conn[c, C_OUT_WR]
    end = w_int(out, p0, new)
    vaddr = np.int64(out.ctypes.data) + p0 + 1
    vlen = end - p0 - 3
    if write_pair(K, h, which, pos, args, k, f, vaddr, vlen) != OK:
        return X_DEFER
    conn[c, C_OUT_WR] = end
    return X_DONE


@kernel
def write_pair(K, h, which, pos, args, k, f, vaddr, vlen):
    """Field args[f] of hash args[k] (at its lookup result) = (vaddr, vlen), creating or
    converting the hash as Redis's hashTypeSet does; one change counted.  OK or NEED_* (then
    nothing changed)."""
    T, lim, db, now = K
    tm = T[0]
    d0 = tm[T_DIRTY]
    long_arg = long_args(lim, args, f, f + 1) or vlen > lim[config.L_HASH_LP_VALUE]
    st, which, pos, b = prepare_write(K, h, which, pos, args, k, f, f + 1,
                                      blob.entry_size(args[f, 1], vlen, True), 1, long_arg)
    if st != OK:
        tm[T_DIRTY] = d0
        return st
    seeds = seeds_of(T)
    off, slot = blob.find(b, seeds, args[f, 0], args[f, 1], True)
    if off < 0:
        blob.add(b, seeds, args[f, 0], args[f, 1], vaddr, vlen, True)
    else:
        blob.set_value(b, seeds, off, slot, vaddr, vlen)
    fit_compact(T, lim, which, pos)
    changed(T, which, pos, d0, 1)
    return OK


@kernel
def x_hget(K, R, args, a0, stats):
    """HGET key field"""
    T = K[0]
    conn, c, rl, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_HASH, 0)
    if which == WRONGTYPE:
        return st
    off = -1
    if which != 0:
        b = blob_of(T, which, pos)
        off, slot = blob.find(b, seeds_of(T), args[a0 + 2, 0], args[a0 + 2, 1], True)
    if off < 0:
        if not reserve(conn, c, rl, 5):
            return X_DEFER
        count_lookup(stats, which)
        conn[c, C_OUT_WR] = w_nil(out_of(conn, c), conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
        return X_DONE
    a1, n1, va, vn, nxt = blob.entry_at(b, off, True)
    if not reserve(conn, c, rl, bulk_size(vn)):
        return X_DEFER
    count_lookup(stats, which)
    conn[c, C_OUT_WR] = w_bulk(out_of(conn, c), conn[c, C_OUT_WR], va, vn)
    return X_DONE


@kernel
def x_hmget(K, R, args, a0, argc, stats):
    """HMGET key field [field ...]"""
    T = K[0]
    conn, c, rl, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_HASH, 0)
    if which == WRONGTYPE:
        return st
    seeds = seeds_of(T)
    b = blob_of(T, which, pos) if which != 0 else 0
    need = int_size(argc - 2)
    for i in range(a0 + 2, a0 + argc):
        off = -1
        if b != 0:
            off = blob.find(b, seeds, args[i, 0], args[i, 1], True)[0]
        if off < 0:
            need += 5
        else:
            need += bulk_size(blob.entry_at(b, off, True)[3])
    if not reserve(conn, c, rl, need):
        return X_DEFER
    count_lookup(stats, which)
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], 42, argc - 2)
    for i in range(a0 + 2, a0 + argc):
        off = -1
        if b != 0:
            off = blob.find(b, seeds, args[i, 0], args[i, 1], True)[0]
        if off < 0:
            p = w_nil(out, p, lits, conn[c, C_PROTO])
        else:
            a1, n1, va, vn, nxt = blob.entry_at(b, off, True)
            p = w_bulk(out, p, va, vn)
    conn[c, C_OUT_WR] = p
    return X_DONE


@kernel
def x_hdel(K, R, args, a0, argc):
    """HDEL key field [field ...]"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, int_size(argc)):
        return X_DEFER
    st, h, which, pos = write_or_reply(K, R, args, a0 + 1, OBJ_HASH)
    if which == WRONGTYPE:
        return st
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    tm = T[0]
    d0 = tm[T_DIRTY]
    seeds = seeds_of(T)
    b = blob_of(T, which, pos)
    deleted = 0
    for i in range(a0 + 2, a0 + argc):
        off, slot = blob.find(b, seeds, args[i, 0], args[i, 1], True)
        if off >= 0:
            blob.remove(b, off, slot, True)
            deleted += 1
            if blob.count(b) == 0:
                break
    if deleted == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    after_removal(T, lim, which, pos, d0, deleted, blob.count(b))
    return reply_int(conn, c, rl, deleted)


@kernel
def x_hlen_like(K, R, args, a0, stats, what):
    """HLEN key (what 0), HSTRLEN key field (1), HEXISTS key field (2)"""
    T = K[0]
    conn, c, rl, lits = R
    if not reserve(conn, c, rl, 24):
        return X_DEFER
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_HASH, 0)
    if which == WRONGTYPE:
        return st
    count_lookup(stats, which)
    if which == 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    b = blob_of(T, which, pos)
    if what == 0:
        return reply_int(conn, c, rl, blob.count(b))
    off, slot = blob.find(b, seeds_of(T), args[a0 + 2, 0], args[a0 + 2, 1], True)
    if off < 0:
        return reply_lit(conn, c, rl, lits, LIT_ZERO)
    if what == 2:
        return reply_lit(conn, c, rl, lits, LIT_ONE)
    return reply_int(conn, c, rl, blob.entry_at(b, off, True)[3])


@kernel
def x_hgetall(K, R, args, a0, stats, want):
    """HKEYS key (WANT_FIELDS), HVALS key (WANT_VALUES), HGETALL key (both: a map in RESP3)"""
    T = K[0]
    conn, c, rl, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_HASH, 0)
    if which == WRONGTYPE:
        return st
    both = want == WANT_FIELDS | WANT_VALUES
    map3 = both and conn[c, C_PROTO] == 3
    if which == 0:
        if not reserve(conn, c, rl, 4):
            return X_DEFER
        count_lookup(stats, which)
        conn[c, C_OUT_WR] = w_agg_hdr(out_of(conn, c), conn[c, C_OUT_WR], 37 if map3 else 42, 0)
        return X_DONE
    b = blob_of(T, which, pos)
    n = blob.count(b)
    # one pass: room for the most the entries can take (blob.reply_bound), not their exact size
    if not reserve(conn, c, rl, int_size(2 * n) + blob.reply_bound(b, True)):
        return X_DEFER
    count_lookup(stats, which)
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], 37 if map3 else 42, n if map3 or not both else 2 * n)
    cur = 0
    while True:
        off, cur = blob.walk_next(b, cur, True)
        if off < 0:
            break
        a1, n1, va, vn, nxt = blob.entry_at(b, off, True)
        if want & WANT_FIELDS:
            p = w_bulk_short(out, p, a1, n1)
        if want & WANT_VALUES:
            p = w_bulk_short(out, p, va, vn)
    conn[c, C_OUT_WR] = p
    return X_DONE
