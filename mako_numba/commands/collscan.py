"""HSCAN and SSCAN (db.c scanGenericCommand over a hash or a set).

A compact hash (listpack) or an intset is returned whole in one call, with
cursor 0, as Redis does.  A table is scanned in *hash* order, as SCAN scans
the key space (commands/keys/scan.py): every index slot keeps the top 32
bits of its member's hash (blob.py), and a cursor is a point on that 32-bit
line.  A call visits home buckets from the cursor's on; a bucket's members
are the run of slots from it to the next empty one whose home it is (linear
probing only moves a member forward, wrapping at the end).  Rebuilding the
index (growth, compaction) never changes a member's point, so a member
present for the whole scan is returned at least once, and never twice.  As
Redis's: up to COUNT members, or 10 x COUNT buckets, per call; MATCH
filters afterwards.  The kernel allocates the list of what it found.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import C_OUT_WR
from mako_numba.commands.cursor import glob_match, parse_cursor, pattern, scan_options
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, count_lookup, out_of, read_or_reply, reply_lit, reserve,
)
from mako_numba.protocol.errors import LIT_INVALID_CURSOR
from mako_numba.protocol.replies import (
    bulk_size, int_size, w_agg_hdr, w_bulk, w_bulk_int, w_num,
)
from mako_numba.store.types import WRONGTYPE, blob, intset
from mako_numba.store.types.blob import OFF_MASK, TOMB
from mako_numba.store.types.coll import blob_of

LINE_END = np.int64(1) << 32
COUNT_CAP = 1 << 30


@kernel(allocates=True)
def _bucket(b, log, home, found, n, from_point):
    """Append to found the entry offsets whose home bucket is `home` (and whose point is at
    least from_point); the new n."""
    slots = blob.slots_of(b)
    mask = (np.int64(1) << log) - 1
    p = home
    shift = 32 - log
    while True:
        s = slots[p]
        if s == 0:
            break
        off = s & OFF_MASK
        point = (s >> 32) & OFF_MASK
        if off != TOMB and (point >> shift) == home and point >= from_point:
            if n >= found.shape[0]:
                grown = np.empty(2 * found.shape[0], np.int64)
                grown[:n] = found[:n]
                found = grown
            found[n] = off - 1
            n += 1
        p = (p + 1) & mask
        if p == home:
            break
    return found, n


@kernel(allocates=True)
def x_collscan(K, R, args, a0, argc, stats, want, pairs):
    """HSCAN key cursor [MATCH pattern] [COUNT count] (pairs) / SSCAN ... (a set)."""
    T = K[0]
    conn, c, rl, lits = R
    ok, cur = parse_cursor(args, a0 + 2)
    if not ok:
        return reply_lit(conn, c, rl, lits, LIT_INVALID_CURSOR)
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, want, 0)
    if which == WRONGTYPE:
        return st
    if which == 0:
        if not reserve(conn, c, rl, 16):
            return X_DEFER
        count_lookup(stats, which)
        out = out_of(conn, c)
        p = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 2)
        p = w_bulk_int(out, p, 0)
        conn[c, C_OUT_WR] = w_agg_hdr(out, p, 42, 0)
        return X_DONE
    err, count, pi, ti = scan_options(args, a0 + 3, a0 + argc, COUNT_CAP, False)
    if err >= 0:
        return reply_lit(conn, c, rl, lits, err)
    b = blob_of(T, which, pos)
    pat, plen, use_pat = pattern(args, pi)
    is_int = not pairs and intset.is_intset(b)
    nxt_cursor = np.int64(0)
    if is_int or not blob.is_table(b):
        total = intset.length(b) if is_int else blob.count(b)
        found = np.empty(max(total, 1), np.int64)
        n = 0
        walk = 0
        while n < total:
            if is_int:
                found[n] = n
                n += 1
            else:
                off, walk = blob.walk_next(b, walk, pairs)
                found[n] = off
                n += 1
    else:
        log = np.int64(blob.hdr(b)[blob.F_LOG])
        shift = 32 - log
        found = np.empty(min(4 * count + 16, 1 << 16), np.int64)
        n = 0
        point = np.int64(cur) if cur < np.uint64(LINE_END) else LINE_END
        home = point >> shift
        first = point
        visited = 0
        while home < (np.int64(1) << log) and n < count and visited < 10 * count:
            found, n = _bucket(b, log, home, found, n, first)
            first = 0
            home += 1
            visited += 1
        nxt_cursor = 0 if home >= (np.int64(1) << log) else home << shift
    tmp = np.empty(24, np.uint8)
    # keep what MATCH lets through, and size the reply
    kept = 0
    need = 0
    for i in range(n):
        at = found[i]
        if is_int:
            v = intset.get(b, at)
            ln = w_num(tmp, 0, v)
            ma = np.int64(tmp.ctypes.data)
            size = bulk_size(ln)
        else:
            ma, ln, va, vn, nx = blob.entry_at(b, at, pairs)
            size = bulk_size(ln) + (bulk_size(vn) if pairs else 0)
        if use_pat and not glob_match(pat, plen, u8view(ma, ln), ln):
            continue
        found[kept] = at
        kept += 1
        need += size
    items = kept * 2 if pairs else kept
    need += 2 * int_size(items) + bulk_size(20)
    if not reserve(conn, c, rl, need):
        return X_DEFER
    count_lookup(stats, which)
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 2)
    p = w_bulk_int(out, p, nxt_cursor)
    p = w_agg_hdr(out, p, 42, items)
    for i in range(kept):
        at = found[i]
        if is_int:
            p = w_bulk_int(out, p, intset.get(b, at))
        else:
            ma, ln, va, vn, nx = blob.entry_at(b, at, pairs)
            p = w_bulk(out, p, ma, ln)
            if pairs:
                p = w_bulk(out, p, va, vn)
    conn[c, C_OUT_WR] = p
    return X_DONE
