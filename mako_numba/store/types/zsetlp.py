"""A small sorted set: Redis's own listpack (t_zset.c's zzl* functions) as kernels.

A sorted set of at most zset-max-listpack-entries members, none longer than
zset-max-listpack-value bytes, is one listpack (store/types/lp.py), byte for
byte what Redis 7.0 holds: member, score, member, score ... in score order,
members of one score in byte order.  A member is stored as lpAppend stores
a string (an integer entry when it is a canonical integer); a score as
zzlInsertAt stores it (zscore.score_text: an integer entry when the double
is an integer within +-2^62, else its "%.17g" text).  The value may be
longer than the listpack (room left by a write); the listpack's header says
how long it is.

A position is the offset of a member's entry from the listpack's first
byte; its score is the entry after it.  Finding a member, a rank or a range
walks the listpack, as Redis does.

Rules: kernels over the listpack's address `a`; no allocation; a write
(`insert`, `delete`, `delete_range`) needs the room `pair_size` says after
the listpack's end, made by the caller first (store/types/zsetkey.py).
"""
import numpy as np

from mako_numba.base.jit import kernel, move_bytes, u8view
from mako_numba.protocol.replies import w_num
from mako_numba.store.types import lp
from mako_numba.store.types.zscore import lp_score, score_text, stack_bytes

LP_HDR = lp.LP_HDR


@kernel(inline=True)
def end_of(a):
    """The offset of the listpack's end byte (where an append goes)."""
    return lp.total_bytes(a) - 1


@kernel
def length(a):
    """zzlLength: the number of members."""
    c = lp.count(a)
    if c != lp.NUMELE_UNKNOWN:
        return c // 2
    n = 0
    at = LP_HDR
    end = end_of(a)
    while at < end:
        at = lp.next_at(a, at)
        n += 1
    return n // 2


@kernel(inline=True)
def first(a):
    return LP_HDR if end_of(a) > LP_HDR else -1


@kernel
def last(a):
    s = lp.prev_at(a, end_of(a))
    if s < 0:
        return -1
    return lp.prev_at(a, s)


@kernel(inline=True)
def next_pos(a, e):
    """The member after the one at e, or -1."""
    nxt = lp.next_at(a, lp.next_at(a, e))
    return nxt if nxt < end_of(a) else -1


@kernel(inline=True)
def prev_pos(a, e):
    if e <= LP_HDR:
        return -1
    return lp.prev_at(a, lp.prev_at(a, e))


@kernel(inline=True)
def member_at(a, e):
    """(string address, length, is an integer, the integer) of the member at e."""
    nxt, s, n, isint, v = lp.element(a, e)
    return s, n, isint, v


@kernel
def score_at(a, e):
    """The score of the member at e (zzlGetScore)."""
    nxt, s, n, isint, v = lp.element(a, lp.next_at(a, e))
    if isint:
        return np.float64(v)
    return lp_score(s, n)


@kernel
def score_entry_size(v):
    """Bytes the score v takes as an entry."""
    buf = stack_bytes()
    return lp.entry_size(buf, score_text(buf, v))


@kernel
def pair_size(s, n, v):
    """Bytes member (s, n) with score v take in a listpack."""
    return lp.entry_size(s, n) + score_entry_size(v)


@kernel
def pair_bytes(a, e):
    """Bytes the member at e and its score take."""
    return lp.next_at(a, lp.next_at(a, e)) - e


# --- comparing members -----------------------------------------------------------------------
@kernel
def cmp_bytes(a, n, b, m):
    """sdscmp: memcmp of the common length, then the shorter first."""
    k = min(n, m)
    x = u8view(a, k)
    y = u8view(b, k)
    for i in range(k):
        if x[i] != y[i]:
            return -1 if x[i] < y[i] else 1
    return -1 if n < m else (1 if n > m else 0)


@kernel
def cmp_member(a, e, s, n):
    """zzlCompareElements: the member at e against (s, n): <0, 0 or >0."""
    ms, mn, isint, v = member_at(a, e)
    if isint:
        buf = stack_bytes()
        mn = w_num(u8view(buf, 24), 0, v)
        return cmp_bytes(buf, mn, s, n)
    return cmp_bytes(ms, mn, s, n)


@kernel
def member_equals(a, e, s, n, sint, sv):
    """Is the member at e the string (s, n)?  (sint, sv): lp.as_int of it, computed once."""
    ms, mn, isint, v = member_at(a, e)
    if isint:
        return sint and v == sv
    if mn != n:
        return False
    return cmp_bytes(ms, mn, s, n) == 0


# --- finding ---------------------------------------------------------------------------------
@kernel
def find(a, s, n):
    """zzlFind: (position, score) of member (s, n), or (-1, 0.0)."""
    sint, sv = lp.as_int(s, n)
    e = first(a)
    end = end_of(a)
    while 0 <= e < end:
        sc = lp.next_at(a, e)
        if member_equals(a, e, s, n, sint, sv):
            return e, score_at(a, e)
        e = lp.next_at(a, sc)
    return -1, 0.0


@kernel
def rank_of(a, s, n):
    """The 0-based rank of member (s, n), or -1."""
    sint, sv = lp.as_int(s, n)
    e = first(a)
    end = end_of(a)
    r = 0
    while 0 <= e < end:
        if member_equals(a, e, s, n, sint, sv):
            return r
        e = lp.next_at(a, lp.next_at(a, e))
        r += 1
    return -1


@kernel
def at_rank(a, r, total):
    """The position of the member of 0-based rank r (< total), walked from the nearer end."""
    if r <= total // 2:
        e = LP_HDR
        for i in range(r):
            e = lp.next_at(a, lp.next_at(a, e))
        return e
    e = end_of(a)
    for i in range(total - r):
        e = lp.prev_at(a, lp.prev_at(a, e))
    return e


@kernel
def insert_pos(a, s, n, v):
    """Where zzlInsert puts member (s, n) with score v: the position of the first member
    with a greater score, or the same score and a greater member (the end when none)."""
    e = first(a)
    end = end_of(a)
    while 0 <= e < end:
        sc = score_at(a, e)
        if sc > v or (sc == v and cmp_member(a, e, s, n) > 0):
            return e
        e = lp.next_at(a, lp.next_at(a, e))
    return end


# --- changing --------------------------------------------------------------------------------
@kernel
def insert(a, s, n, v):
    """zzlInsert: add member (s, n) (absent) with score v, in its place; pair_size(s, n, v)
    bytes of room after the end are the caller's."""
    at = insert_pos(a, s, n, v)
    insert_at(a, at, s, n, v)


@kernel
def insert_at(a, at, s, n, v):
    """zzlInsertAt: member (s, n) and score v before the entry at `at` (end_of: appended)."""
    lp.insert(a, at, s, n)
    buf = stack_bytes()
    tl = score_text(buf, v)
    lp.insert(a, lp.next_at(a, at), buf, tl)


@kernel
def delete(a, e):
    """zzlDelete: remove the member at e and its score."""
    lp.delete(a, e)
    lp.delete(a, e)


@kernel
def delete_run(a, e, k):
    """Remove k members from position e on (lpDeleteRange of 2k entries)."""
    end = e
    for i in range(2 * k):
        end = lp.next_at(a, end)
    total = lp.total_bytes(a)
    gone = end - e
    move_bytes(a + e, a + end, total - end)
    c = lp.count(a)
    p = u8view(a, LP_HDR)
    lp.put_le(p, 0, total - gone, 4)
    if c != lp.NUMELE_UNKNOWN:
        lp.put_le(p, 4, c - 2 * k, 2)
