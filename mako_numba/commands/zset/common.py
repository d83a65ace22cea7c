"""What the sorted-set commands share: option words, range arguments, element replies.

Element replies follow t_zset.c: a member is a bulk string (a listpack's
integer member as its digits), a score addReplyDouble's (zscore.w_double);
WITHSCORES pairs are flat in RESP2 and [member, score] arrays in RESP3
(`nested`), except where a command says otherwise (ZPOPMIN without a count
is flat in both, ZMPOP nested in both).  Sizes are upper bounds (a score
counts zscore.SCORE_REPLY bytes): `reserve` asks for that much, the writers
use what they need.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.protocol.replies import bulk_size, int_size, w_agg_hdr, w_bulk, w_bulk_int
from mako_numba.store.types import zsetval
from mako_numba.store.types.zscore import SCORE_REPLY, range_item, w_double

# the family's literals, as offsets from its first (family.py declares their bytes)
LIT_NAN = 0
LIT_XX_NX = 1
LIT_GT_LT_NX = 2
LIT_INCR_PAIR = 3
LIT_MINMAX_FLOAT = 4
LIT_MINMAX_LEX = 5
LIT_LIMIT_RANK = 6
LIT_WITHSCORES_LEX = 7
LIT_WEIGHT_FLOAT = 8
LIT_AT_LEAST_PRE = 9
LIT_MUST_POSITIVE = 10
LIT_LIMIT_NEG = 11
LIT_NUMKEYS = 12
LIT_COUNT_POS = 13
LIT_RAND_RANGE = 14
LIT_OUT_OF_RANGE = 15

W_WITHSCORES = np.frombuffer(b"withscores", np.uint8)
W_AGGREGATE = np.frombuffer(b"aggregate", np.uint8)
W_WEIGHTS = np.frombuffer(b"weights", np.uint8)
W_BYSCORE = np.frombuffer(b"byscore", np.uint8)
W_BYLEX = np.frombuffer(b"bylex", np.uint8)
W_LIMIT = np.frombuffer(b"limit", np.uint8)
W_REV = np.frombuffer(b"rev", np.uint8)
W_COUNT = np.frombuffer(b"count", np.uint8)
W_MIN = np.frombuffer(b"min", np.uint8)
W_MAX = np.frombuffer(b"max", np.uint8)
W_SUM = np.frombuffer(b"sum", np.uint8)


@kernel
def arg_is(args, i, w):
    """Is argument i the word w (lower-case bytes), in any case (strcasecmp)?"""
    n = args[i, 1]
    if n != w.shape[0]:
        return False
    b = u8view(args[i, 0], n)
    for j in range(n):
        ch = b[j]
        if 65 <= ch <= 90:
            ch += 32
        if ch != w[j]:
            return False
    return True


# --- ranges ----------------------------------------------------------------------------------
@kernel
def score_range(args, i_min, i_max):
    """zslParseRange of two arguments: (ok, (min, min exclusive, max, max exclusive))."""
    ok1, mn, minex = range_item(args[i_min, 0], args[i_min, 1])
    ok2, mx, maxex = range_item(args[i_max, 0], args[i_max, 1])
    return ok1 and ok2, (mn, minex, mx, maxex)


@kernel
def lex_item(args, i):
    """zslParseLexRangeItem: (ok, (kind, address, length, exclusive)); kind -1 "-", +1 "+"."""
    n = args[i, 1]
    a = args[i, 0]
    if n == 0:
        return False, (0, a, 0, False)
    p = u8view(a, n)
    c0 = p[0]
    if c0 == 43 or c0 == 45:
        if n > 1 and p[1] != 0:
            return False, (0, a, 0, False)
        return True, (1 if c0 == 43 else -1, a, 0, True)
    if c0 == 40:
        return True, (0, a + 1, n - 1, True)
    if c0 == 91:
        return True, (0, a + 1, n - 1, False)
    return False, (0, a, 0, False)


@kernel
def lex_range(args, i_min, i_max):
    """zslParseLexRange: (ok, lo, hi)."""
    ok1, lo = lex_item(args, i_min)
    ok2, hi = lex_item(args, i_max)
    return ok1 and ok2, lo, hi


# --- element replies -------------------------------------------------------------------------
@kernel
def member_size(b, p):
    a, n, isint, v = zsetval.member_at(b, p)
    if isint:
        return bulk_size(int_size(v) - 3)
    return bulk_size(n)


@kernel
def elem_size(b, p, withscores, nested):
    """At most how many bytes the element at p takes in a reply."""
    s = member_size(b, p)
    if withscores:
        s += SCORE_REPLY
        if nested:
            s += 4
    return s


@kernel
def w_member(out, q, b, p):
    a, n, isint, v = zsetval.member_at(b, p)
    if isint:
        return w_bulk_int(out, q, v)
    return w_bulk(out, q, a, n)


@kernel
def w_elem(out, q, b, p, withscores, nested, resp3):
    """The element at p: its member, and with scores its score ([member, score] when nested)."""
    if withscores and nested:
        q = w_agg_hdr(out, q, 42, 2)
    q = w_member(out, q, b, p)
    if withscores:
        q = w_double(out, q, zsetval.score_at(b, p), resp3)
    return q


@kernel
def step(b, p, reverse):
    """The next position in the walk's direction."""
    return zsetval.prev_pos(b, p) if reverse else zsetval.next_pos(b, p)


@kernel
def run_size(b, p, k, withscores, nested, reverse):
    """Reply bytes (a bound) of k elements walked from p."""
    size = 0
    for i in range(k):
        size += elem_size(b, p, withscores, nested)
        p = step(b, p, reverse)
    return size


@kernel
def w_run(out, q, b, p, k, withscores, nested, resp3, reverse):
    for i in range(k):
        q = w_elem(out, q, b, p, withscores, nested, resp3)
        p = step(b, p, reverse)
    return q
