"""ZSCAN key cursor [MATCH pattern] [COUNT count] (db.c scanGenericCommand over a sorted set).

A listpack is returned whole in one call, with cursor 0, each score as the
listpack holds it (an integer's digits, or its stored text), as Redis's
lpGet gives them.  A skiplist is scanned through its member index in hash
order, as HSCAN scans a table (commands/collscan.py says how: every slot
keeps the top 32 bits of its member's hash, a cursor is a point on that
line, a rebuilt index keeps every member's point); each score is printed
as Redis's ld2string("%.17Lg") prints a double, which is "%.17g".  MATCH
filters on the member.  The kernel allocates the list of what it found.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import C_OUT_WR
from mako_numba.commands.cursor import glob_match, parse_cursor, pattern, scan_options
from mako_numba.commands.respond import X_DEFER, X_DONE, count_lookup, out_of, read_or_reply, reply_lit, reserve
from mako_numba.protocol.errors import LIT_INVALID_CURSOR
from mako_numba.protocol.replies import bulk_size, int_size, w_agg_hdr, w_bulk, w_bulk_int
from mako_numba.store.table import value_of
from mako_numba.store.types import OBJ_ZSET, WRONGTYPE, lp, zsetval, zsl
from mako_numba.store.types.zscore import G17_MAX, stack_bytes, w_g17
from mako_numba.store.types.zsetkey import member_text

LINE_END = np.int64(1) << 32
COUNT_CAP = 1 << 30


@kernel(allocates=True)
def _bucket(b, log, home, found, n, from_point):
    """Append to found the nodes whose home slot is `home` (and whose point is at least
    from_point); the new n."""
    slots = zsl.slots_of(b)
    mask = (np.int64(1) << log) - 1
    p = home
    shift = 32 - log
    while True:
        s = slots[p]
        if s == 0:
            break
        x = s & zsl.LOW
        point = (s >> 32) & zsl.LOW
        if x != zsl.TOMB and (point >> shift) == home and point >= from_point:
            if n >= found.shape[0]:
                grown = np.empty(2 * found.shape[0], np.int64)
                grown[:n] = found[:n]
                found = grown
            found[n] = x
            n += 1
        p = (p + 1) & mask
        if p == home:
            break
    return found, n


@kernel
def _score_text_size(b, p):
    """Bulk bytes of the element's score as ZSCAN gives it."""
    if zsl.is_zsl(b):
        return 5 + G17_MAX + 2
    nxt, s, n, isint, v = lp.element(b, lp.next_at(b, p))
    if isint:
        return bulk_size(int_size(v) - 3)
    return bulk_size(n)


@kernel
def _w_score_text(out, q, b, p):
    if zsl.is_zsl(b):
        buf = stack_bytes()
        n = w_g17(u8view(buf, 32), 0, zsl.score(b, p))
        return w_bulk(out, q, buf, n)
    nxt, s, n, isint, v = lp.element(b, lp.next_at(b, p))
    if isint:
        return w_bulk_int(out, q, v)
    return w_bulk(out, q, s, n)


@kernel(allocates=True)
def x_zscan(K, R, args, a0, argc, stats):
    """ZSCAN key cursor [MATCH pattern] [COUNT count]"""
    T = K[0]
    conn, c, rl, lits = R
    ok, cur = parse_cursor(args, a0 + 2)
    if not ok:
        return reply_lit(conn, c, rl, lits, LIT_INVALID_CURSOR)
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_ZSET, 0)
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
        st = reply_lit(conn, c, rl, lits, err)
        if st == X_DONE:
            count_lookup(stats, which)
        return st
    b = value_of(T, which, pos)[0]
    pat, plen, use_pat = pattern(args, pi)
    nxt_cursor = np.int64(0)
    if not zsl.is_zsl(b):
        total = zsetval.length(b)
        found = np.empty(max(total, 1), np.int64)
        n = 0
        p = zsetval.first(b)
        while p >= 0:
            found[n] = p
            n += 1
            p = zsetval.next_pos(b, p)
    else:
        log = zsl.hdr(b)[zsl.F_LOG]
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
    buf = stack_bytes()
    kept = 0
    need = 0
    for i in range(n):
        p = found[i]
        a, m, isint, v = zsetval.member_at(b, p)
        s, k = member_text(a, m, isint, v, buf)
        if use_pat and not glob_match(pat, plen, u8view(s, k), k):
            continue
        found[kept] = p
        kept += 1
        need += bulk_size(k) + _score_text_size(b, p)
    need += 2 * int_size(2 * kept) + bulk_size(20)
    if not reserve(conn, c, rl, need):
        return X_DEFER
    count_lookup(stats, which)
    out = out_of(conn, c)
    q = w_agg_hdr(out, conn[c, C_OUT_WR], 42, 2)
    q = w_bulk_int(out, q, nxt_cursor)
    q = w_agg_hdr(out, q, 42, 2 * kept)
    for i in range(kept):
        p = found[i]
        a, m, isint, v = zsetval.member_at(b, p)
        if isint:
            q = w_bulk_int(out, q, v)
        else:
            q = w_bulk(out, q, a, m)
        q = _w_score_text(out, q, b, p)
    conn[c, C_OUT_WR] = q
    return X_DONE
