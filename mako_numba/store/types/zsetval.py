"""A sorted set's value, whichever its encoding: what the commands read and change through.

The value is a listpack (zsetlp.py, Redis's small encoding) or a skiplist
with its member index (zsl.py, Redis's skiplist encoding); its first
machine word says which (a skiplist's is 0, a listpack's starts with its
length).  The commands (commands/zset/) see one interface over both:

- a position is an element's place: a listpack entry's offset or a
  skiplist node's offset; -1 is none.  first/last/next/prev walk in score
  order; `member_at` gives the element's bytes (a listpack's integer
  entries as an integer), `score_at` its score.
- finding: `find` (member -> position and score), `rank_of`, `at_rank`,
  the first and last positions in a score range (rng = (min, min
  exclusive, max, max exclusive)) or a lex range (lo / hi = (kind,
  address, length, exclusive), kind -1 for "-" and +1 for "+").
- changing, in room the caller made (zsetkey.py): `add`, `delete_at`,
  `set_score`, and the three range deletions.

A listpack position is no longer valid after a change; a skiplist node's
is, until it is deleted.  Rules: kernels over the value's address `b`;
none allocates.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.protocol.replies import w_num
from mako_numba.store.types import blob, zsetlp, zsl
from mako_numba.store.types.zscore import stack_bytes

NOPOS = -1


@kernel(inline=True)
def is_skiplist(b):
    return zsl.is_zsl(b)


@kernel
def length(b):
    if zsl.is_zsl(b):
        return zsl.count(b)
    return zsetlp.length(b)


@kernel(inline=True)
def _pos(x):
    return NOPOS if x == zsl.NONE else x


@kernel
def first(b):
    if zsl.is_zsl(b):
        return _pos(zsl.first(b))
    return zsetlp.first(b)


@kernel
def last(b):
    if zsl.is_zsl(b):
        return _pos(zsl.last(b))
    return zsetlp.last(b)


@kernel
def next_pos(b, p):
    if zsl.is_zsl(b):
        return _pos(zsl.forward(b, p, 0))
    return zsetlp.next_pos(b, p)


@kernel
def prev_pos(b, p):
    if zsl.is_zsl(b):
        return _pos(zsl.backward(b, p))
    return zsetlp.prev_pos(b, p)


@kernel
def member_at(b, p):
    """(address, length, is an integer, the integer) of the element at p."""
    if zsl.is_zsl(b):
        a, n = zsl.member(b, p)
        return a, n, False, 0
    return zsetlp.member_at(b, p)


@kernel
def score_at(b, p):
    if zsl.is_zsl(b):
        return zsl.score(b, p)
    return zsetlp.score_at(b, p)


@kernel
def member_len(b, p):
    """Bytes of the element's member as a string (an integer's digits)."""
    a, n, isint, v = member_at(b, p)
    if isint:
        return len_of_int(v)
    return n


@kernel(inline=True)
def len_of_int(v):
    if v < 0:
        if v == -9223372036854775808:
            return 20
        v = -v
        k = 2
    else:
        k = 1
    while v >= 10:
        v //= 10
        k += 1
    return k


@kernel
def find(b, seeds, s, n):
    """(position, score) of member (s, n), or (-1, 0.0)."""
    if zsl.is_zsl(b):
        x, slot = zsl.find(b, seeds, s, n)
        if x == zsl.NONE:
            return NOPOS, 0.0
        return x, zsl.score(b, x)
    return zsetlp.find(b, s, n)


@kernel
def rank_of(b, seeds, s, n):
    """zsetRank: the 0-based rank of member (s, n) from the lowest score, or -1."""
    if zsl.is_zsl(b):
        x, slot = zsl.find(b, seeds, s, n)
        if x == zsl.NONE:
            return -1
        return zsl.rank_of(b, x) - 1
    return zsetlp.rank_of(b, s, n)


@kernel
def at_rank(b, r):
    """The position of the element of 0-based rank r (0 <= r < length)."""
    if zsl.is_zsl(b):
        return zsl.at_rank(b, r + 1)
    return zsetlp.at_rank(b, r, zsetlp.length(b))


# --- ranges ----------------------------------------------------------------------------------
@kernel
def first_in_range(b, rng):
    """zslFirstInRange / zzlFirstInRange."""
    if zsl.is_zsl(b):
        return _pos(zsl.first_in_range(b, rng))
    if zsl.empty_range(rng):
        return NOPOS
    e = zsetlp.last(b)
    if e < 0 or not zsl.gte_min(zsetlp.score_at(b, e), rng):
        return NOPOS
    e = zsetlp.first(b)
    if not zsl.lte_max(zsetlp.score_at(b, e), rng):
        return NOPOS
    while e >= 0:
        v = zsetlp.score_at(b, e)
        if zsl.gte_min(v, rng):
            return e if zsl.lte_max(v, rng) else NOPOS
        e = zsetlp.next_pos(b, e)
    return NOPOS


@kernel
def last_in_range(b, rng):
    if zsl.is_zsl(b):
        return _pos(zsl.last_in_range(b, rng))
    if zsl.empty_range(rng):
        return NOPOS
    e = zsetlp.last(b)
    if e < 0 or not zsl.gte_min(zsetlp.score_at(b, e), rng):
        return NOPOS
    if not zsl.lte_max(zsetlp.score_at(b, zsetlp.first(b)), rng):
        return NOPOS
    while e >= 0:
        v = zsetlp.score_at(b, e)
        if zsl.lte_max(v, rng):
            return e if zsl.gte_min(v, rng) else NOPOS
        e = zsetlp.prev_pos(b, e)
    return NOPOS


@kernel
def lex_gte_at(b, p, lo):
    """Is the element at p at or past the lex bound lo (zslLexValueGteMin)?"""
    a, n, isint, v = member_at(b, p)
    if isint:
        buf = stack_bytes()
        n = w_num(u8view(buf, 24), 0, v)
        return zsl.lex_gte(buf, n, lo)
    return zsl.lex_gte(a, n, lo)


@kernel
def lex_lte_at(b, p, hi):
    a, n, isint, v = member_at(b, p)
    if isint:
        buf = stack_bytes()
        n = w_num(u8view(buf, 24), 0, v)
        return zsl.lex_lte(buf, n, hi)
    return zsl.lex_lte(a, n, hi)


@kernel
def first_in_lex(b, lo, hi):
    if zsl.is_zsl(b):
        return _pos(zsl.first_in_lex(b, lo, hi))
    if zsl.empty_lex(lo, hi):
        return NOPOS
    e = zsetlp.last(b)
    if e < 0 or not lex_gte_at(b, e, lo):
        return NOPOS
    e = zsetlp.first(b)
    if not lex_lte_at(b, e, hi):
        return NOPOS
    while e >= 0:
        if lex_gte_at(b, e, lo):
            return e if lex_lte_at(b, e, hi) else NOPOS
        e = zsetlp.next_pos(b, e)
    return NOPOS


@kernel
def last_in_lex(b, lo, hi):
    if zsl.is_zsl(b):
        return _pos(zsl.last_in_lex(b, lo, hi))
    if zsl.empty_lex(lo, hi):
        return NOPOS
    e = zsetlp.last(b)
    if e < 0 or not lex_gte_at(b, e, lo):
        return NOPOS
    if not lex_lte_at(b, zsetlp.first(b), hi):
        return NOPOS
    while e >= 0:
        if lex_lte_at(b, e, hi):
            return e if lex_gte_at(b, e, lo) else NOPOS
        e = zsetlp.prev_pos(b, e)
    return NOPOS


@kernel
def rank_at(b, p):
    """The 0-based rank of the element at position p."""
    if zsl.is_zsl(b):
        return zsl.rank_of(b, p) - 1
    r = 0
    e = zsetlp.first(b)
    while e != p:
        e = zsetlp.next_pos(b, e)
        r += 1
    return r


@kernel
def count_in_range(b, rng):
    """ZCOUNT's count."""
    e = first_in_range(b, rng)
    if e < 0:
        return 0
    if zsl.is_zsl(b):
        total = zsl.count(b)
        c = total - (zsl.rank_of(b, e) - 1)
        x = zsl.last_in_range(b, rng)
        if x != zsl.NONE:
            c -= total - zsl.rank_of(b, x)
        return c
    c = 0
    while e >= 0 and zsl.lte_max(zsetlp.score_at(b, e), rng):
        c += 1
        e = zsetlp.next_pos(b, e)
    return c


@kernel
def count_in_lex(b, lo, hi):
    """ZLEXCOUNT's count."""
    e = first_in_lex(b, lo, hi)
    if e < 0:
        return 0
    if zsl.is_zsl(b):
        total = zsl.count(b)
        c = total - (zsl.rank_of(b, e) - 1)
        x = zsl.last_in_lex(b, lo, hi)
        if x != zsl.NONE:
            c -= total - zsl.rank_of(b, x)
        return c
    c = 0
    while e >= 0 and lex_lte_at(b, e, hi):
        c += 1
        e = zsetlp.next_pos(b, e)
    return c


# --- changing (room made by the caller) ------------------------------------------------------
@kernel
def add(b, seeds, s, n, v):
    """Add member (s, n), absent, with score v."""
    if zsl.is_zsl(b):
        zsl.insert(b, blob.member_hash(seeds, s, n), v, s, n)
    else:
        zsetlp.insert(b, s, n, v)


@kernel
def delete_at(b, seeds, p):
    """Remove the element at p."""
    if zsl.is_zsl(b):
        zsl.delete(b, p, zsl.slot_of_node(b, seeds, p))
    else:
        zsetlp.delete(b, p)


@kernel
def set_score(b, seeds, s, n, v):
    """Member (s, n), present, gets score v (moved to its place)."""
    if zsl.is_zsl(b):
        x, slot = zsl.find(b, seeds, s, n)
        zsl.update_score(b, x, v)
        return
    e, cur = zsetlp.find(b, s, n)
    zsetlp.delete(b, e)
    zsetlp.insert(b, s, n, v)


@kernel
def delete_rank_range(b, seeds, start, end):
    """Remove the elements of 0-based ranks start..end (valid, inclusive); how many."""
    if zsl.is_zsl(b):
        return zsl.delete_range_rank(b, seeds, start + 1, end + 1)
    zsetlp.delete_run(b, zsetlp.at_rank(b, start, zsetlp.length(b)), end - start + 1)
    return end - start + 1


@kernel
def delete_score_range(b, seeds, rng):
    if zsl.is_zsl(b):
        return zsl.delete_range_score(b, seeds, rng)
    e = first_in_range(b, rng)
    if e < 0:
        return 0
    k = 0
    x = e
    while x >= 0 and zsl.lte_max(zsetlp.score_at(b, x), rng):
        k += 1
        x = zsetlp.next_pos(b, x)
    zsetlp.delete_run(b, e, k)
    return k


@kernel
def delete_lex_range(b, seeds, lo, hi):
    if zsl.is_zsl(b):
        return zsl.delete_range_lex(b, seeds, lo, hi)
    e = first_in_lex(b, lo, hi)
    if e < 0:
        return 0
    k = 0
    x = e
    while x >= 0 and lex_lte_at(b, x, hi):
        k += 1
        x = zsetlp.next_pos(b, x)
    zsetlp.delete_run(b, e, k)
    return k
