"""Commands that walk the key space: KEYS, SCAN, RANDOMKEY; and Redis's glob.

SCAN's cursor guarantee (every key present for the whole scan is returned
at least once, even while the table grows or shrinks) comes from scanning
in *hash* order, not slot order.  A key's place in that order is the top 26
bits of its hash (the tag every slot keeps), which no resize changes.  A
cursor is a point on that 62-bit line; one call returns the keys whose point
lies in [cursor, cursor + COUNT slot widths).  To find them it visits the
slots from the first home slot of the range on, and past the range's end
until an empty slot, since linear probing only ever moves a key forward of
its home (wrapping at the end).  Both indexes are visited while a rehash
runs.  The same key is never in two ranges, so a key is returned once.

The glob and the cursor's parsing are commands/cursor.py's (HSCAN and SSCAN
use them too).
"""
import numpy as np

from mako_numba.protocol.errors import LIT_INVALID_CURSOR
from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import C_OUT_WR, S_HITS, S_MISSES
from mako_numba.protocol.replies import bulk_size, int_size, w_arr_hdr, w_bulk, w_bulk_int
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, arg_word, out_of, reply_bulk_or_nil, reply_lit, reserve, word,
)
from mako_numba.base.layout import T_LOGCAP, T_MIG, T_OLOGCAP
from mako_numba.store.arena import REC_HDR, rec_db, rec_hdr, rec_klen, rec_type, ref_addr
from mako_numba.store.index import TOMB, key_hash, slot_ref
from mako_numba.store.table import expire_slot
from mako_numba.store.types import type_named
from mako_numba.commands.cursor import glob_match, parse_cursor, pattern, scan_options

W_NONE = word("none")
LINE_BITS = 62                      # cursors are points on [0, 2**62)
LINE_END = 1 << 62
SMALL_LOGCAP = 16                   # a database of few keys in an index this small or
                                    # smaller is scanned in one call
SCAN_COUNT_CAP = 1 << 32            # COUNT above this scans as much (keeps the sums in int64)

# What a walk collects (SCAN's TYPE filter, as scanGenericCommand applies it):
MODE_ALL = 0        # no TYPE: live keys (KEYS, SCAN)
MODE_NONE = 2       # TYPE none: the *expired* keys (Redis's type check deletes them, then
                    # "none" matches), reaped after the reply; live keys only count hits
MODE_OTHER = 3      # a TYPE no type has: nothing, but hits and misses count
MODE_TYPE = 16      # MODE_TYPE + t, TYPE naming type t (store/types): the live keys whose record
                    # is tagged t; each key looked at is a keyspace hit or miss


WANT_NO = 0
WANT_YES = 1
WANT_EXPIRED = 2        # a key of db matching the pattern, but its time is up


@kernel
def _wanted(T, s, db, now, pat, plen, use_pat):
    """Is the record in slot value s a live key of db matching the pattern?  (WANT_*)"""
    chunks = T[3]
    ref = slot_ref(s)
    hdr = rec_hdr(chunks, ref)
    if rec_db(hdr) != db:
        return WANT_NO
    if use_pat and not glob_match(pat, plen, u8view(ref_addr(chunks, ref) + REC_HDR, rec_klen(hdr)),
                                  rec_klen(hdr)):
        return WANT_NO
    if hdr[2] != 0 and hdr[2] <= now:
        return WANT_EXPIRED
    return WANT_YES


@kernel
def _key_of(T, s):
    chunks = T[3]
    ref = slot_ref(s)
    return ref_addr(chunks, ref) + REC_HDR, rec_klen(rec_hdr(chunks, ref))


@kernel(allocates=True)
def x_keys(K, R, args, a0):
    """KEYS pattern: SCAN's collector over the whole hash line, in one call."""
    T, lim, db, now = K
    conn, c, lim, lits = R
    plen = args[a0 + 1, 1]
    pat = u8view(args[a0 + 1, 0], plen)
    use_pat = not (plen == 1 and pat[0] == 42)
    keys = np.empty(T[5][db, 0] + 1, np.int64)      # the database's keys bound the result
    hm = np.zeros(2, np.int64)
    n = _collect(T, lim, 0, LINE_END, db, now, pat, plen, use_pat, MODE_ALL, False, keys, 0, hm)
    return _reply_keys(conn, c, lim, T, keys, n, -1)


@kernel
def _reply_keys(conn, c, lim, T, keys, n, cursor):
    """The keys of collected slots as an array; with cursor >= 0, SCAN's [cursor, keys]."""
    need = int_size(n)
    if cursor >= 0:
        need += 4 + bulk_size(19)
    for i in range(n):
        need += bulk_size(_key_of(T, keys[i])[1])
    if not reserve(conn, c, lim, need):
        return X_DEFER
    out = out_of(conn, c)
    p = conn[c, C_OUT_WR]
    if cursor >= 0:
        p = w_bulk_int(out, w_arr_hdr(out, p, 2), cursor)
    p = w_arr_hdr(out, p, n)
    for i in range(n):
        kaddr, klen = _key_of(T, keys[i])
        p = w_bulk(out, p, kaddr, klen)
    conn[c, C_OUT_WR] = p
    return X_DONE


@kernel
def _point(T, s):
    """A slot's key on the hash line: its 26-bit tag as the top of 62 bits.

    Indexes beyond 2**26 slots need the full hash; there it is recomputed.
    """
    tm = T[0]
    if tm[T_LOGCAP] > 26:
        chunks = T[3]
        ref = slot_ref(s)
        hdr = rec_hdr(chunks, ref)
        h = key_hash(tm, rec_db(hdr), ref_addr(chunks, ref) + REC_HDR, rec_klen(hdr))
        return np.int64(h >> np.uint64(2))
    return (s >> 37) << 36


@kernel
def _scan_range(T, lim, ix, is_new, lo, hi, db, now, pat, plen, use_pat, mode, reap, keys, nkeys, hm):
    """Collect slots of ix whose keys lie in [lo, hi) on the hash line.

    Visits the home slots of the range, then goes on (wrapping) until an
    empty slot, where no key displaced from the range can lie beyond.  With
    `reap` (SCAN, as Redis's scanGenericCommand) an expired key that passes
    the pattern is deleted (Redis's type check looks the key up); KEYS only
    skips it.  A deleted slot becomes a tombstone, or empty when the next one
    is, so the walk is not disturbed.  `mode` (MODE_*) says what is collected;
    with a TYPE, hm[0] counts the live keys looked at (hits) and hm[1] the
    expired ones (misses).
    """
    logcap = T[0][T_LOGCAP] if is_new else T[0][T_OLOGCAP]
    size = ix.shape[0]
    mask = size - 1
    shift = LINE_BITS - logcap
    pos = lo >> shift
    last = (hi - 1) >> shift
    past = False
    for _ in range(size):
        s = ix[pos]
        if past and s == 0:
            break
        if s > TOMB:
            pt = _point(T, s)
            if lo <= pt < hi:
                want = _wanted(T, s, db, now, pat, plen, use_pat)
                if want != WANT_NO and mode != MODE_ALL:
                    hm[0 if want == WANT_YES else 1] += 1
                if want == WANT_EXPIRED:
                    collect = mode == MODE_NONE
                else:
                    collect = mode == MODE_ALL or (mode >= MODE_TYPE and
                                                   rec_type(rec_hdr(T[3], slot_ref(s))) == mode - MODE_TYPE)
                if want != WANT_NO and collect:
                    if nkeys < keys.shape[0]:
                        keys[nkeys] = s
                    nkeys += 1
                elif want == WANT_EXPIRED and reap:
                    expire_slot(T, lim, ix, logcap, is_new, pos)
        if pos == last:
            past = True
        pos = (pos + 1) & mask
    return nkeys


@kernel
def _collect(T, lim, lo, hi, db, now, pat, plen, use_pat, mode, reap, keys, n, hm):
    """Keys in [lo, hi) on the hash line, from both indexes while rehashing."""
    tm = T[0]
    if lo >= LINE_END:
        return n
    n = _scan_range(T, lim, T[1], True, lo, hi, db, now, pat, plen, use_pat, mode, reap, keys, n, hm)
    if tm[T_MIG]:
        n = _scan_range(T, lim, T[2], False, lo, hi, db, now, pat, plen, use_pat, mode, reap, keys, n, hm)
    return n


@kernel(allocates=True)
def x_scan(K, R, args, a0, argc, stats):
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]"""
    T, lim, db, now = K
    conn, c, lim, lits = R
    tm = T[0]
    ok, cur = parse_cursor(args, a0 + 1)
    if not ok:
        return reply_lit(conn, c, lim, lits, LIT_INVALID_CURSOR)
    err, count, pi, ti = scan_options(args, a0 + 2, a0 + argc, SCAN_COUNT_CAP, True)
    if err >= 0:
        return reply_lit(conn, c, lim, lits, err)
    mode = MODE_ALL
    if ti >= 0:
        tw = arg_word(args, ti)
        t = type_named(tw)
        mode = MODE_TYPE + t if t >= 0 else MODE_NONE if tw == W_NONE else MODE_OTHER
    lo = LINE_END
    if cur < np.uint64(LINE_END):
        lo = (np.int64(cur) >> 36) << 36
    logcap = tm[T_LOGCAP]
    pat, plen, use_pat = pattern(args, pi)
    keys = np.empty(min(4 * count + 64, 1 << 20), np.int64)
    hm = np.zeros(2, np.int64)
    if T[5][db, 0] == 0 or (T[5][db, 0] <= count and logcap <= SMALL_LOGCAP):
        # a small database is scanned to its end in one call, as Redis's
        # small tables are (it then answers cursor 0)
        hi = LINE_END
        n = _collect(T, lim, lo, hi, db, now, pat, plen, use_pat, mode, True, keys, 0, hm)
    else:
        # like Redis: go on until COUNT keys are found or 10 x COUNT slots seen
        width = min(count, 1 << logcap) << (LINE_BITS - logcap)
        hi = lo
        n = 0
        seen = 0
        while hi < LINE_END and n < count and seen < 10 * count:
            nhi = LINE_END if hi >= LINE_END - width else hi + width
            n = _collect(T, lim, hi, nhi, db, now, pat, plen, use_pat, mode, True, keys, n, hm)
            hi = nhi
            seen += count
    if n > keys.shape[0]:
        keys = np.empty(n, np.int64)     # more keys than room was made for: again
        hm[0] = 0                        # hits again; the reaped expired were counted once
        if mode == MODE_NONE:
            hm[1] = 0                    # (TYPE none reaps only after its reply)
        n = _collect(T, lim, lo, hi, db, now, pat, plen, use_pat, mode, True, keys, 0, hm)
    if mode != MODE_NONE:
        stats[S_MISSES] += hm[1]         # counted as they were reaped, even if the reply defers
    st = _reply_keys(conn, c, lim, T, keys, n, 0 if hi >= LINE_END else hi)
    if st == X_DONE:
        stats[S_HITS] += hm[0]
        if mode == MODE_NONE:            # the expired keys just answered go now
            stats[S_MISSES] += hm[1]
            _collect(T, lim, lo, hi, db, now, pat, plen, use_pat, MODE_ALL, True, keys[:0], 0, hm)
    return st


RANDOM_PROBES = 1024     # random slots RANDOMKEY tries before it walks from one


@kernel
def x_randomkey(K, R):
    """RANDOMKEY: a live key of the selected database, or nil."""
    T, lim, db, now = K
    conn, c, lim, lits = R
    if T[5][db, 0] > 0 and not T[0][T_MIG]:
        # uniform, as Redis's fair random key: probe random slots (a bounded number of times)
        ix = T[1]
        size = ix.shape[0]
        for _ in range(RANDOM_PROBES):
            pos = np.random.randint(0, size)
            s = ix[pos]
            if s <= TOMB or rec_db(rec_hdr(T[3], slot_ref(s))) != db:
                continue
            exp = rec_hdr(T[3], slot_ref(s))[2]
            if exp != 0 and exp <= now:
                expire_slot(T, lim, ix, T[0][T_LOGCAP], True, pos)
                continue
            kaddr, klen = _key_of(T, s)
            return reply_bulk_or_nil(conn, c, lim, lits, kaddr, klen)
    if T[5][db, 0] > 0:
        # a sparse database (or a rehash running): the first key from a random slot on
        for t in range(2):
            if t == 1 and not T[0][T_MIG]:
                break
            ix = T[1] if t == 0 else T[2]
            size = ix.shape[0]
            start = np.random.randint(0, size)
            for k in range(size):
                pos = (start + k) & (size - 1)
                s = ix[pos]
                if s <= TOMB or rec_db(rec_hdr(T[3], slot_ref(s))) != db:
                    continue
                exp = rec_hdr(T[3], slot_ref(s))[2]
                if exp != 0 and exp <= now:
                    # as Redis's dbRandomKey: an expired key met is deleted
                    expire_slot(T, lim, ix, T[0][T_LOGCAP] if t == 0 else T[0][T_OLOGCAP], t == 0, pos)
                    continue
                kaddr, klen = _key_of(T, s)
                return reply_bulk_or_nil(conn, c, lim, lits, kaddr, klen)
    return reply_bulk_or_nil(conn, c, lim, lits, 0, -1)
