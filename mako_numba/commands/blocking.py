"""What every blocking command (BLPOP, BLMOVE, BLMPOP, BZPOPMIN ...) does the same way.

A blocking command runs in the kernels like any other: when one of its keys
can serve it, it answers and propagates its non-blocking effect.  When none
can, it blocks: `block` sets F_BLOCKED, notes its keys and timeout in the
connection row (C_BLOCK_*) and defers the request, which stays unconsumed at
the front of the client's input.  The batch registers the block once in the
blocked-keys table (store/blockq.py); a write that creates or changes one of
those keys makes it ready, and the batch runs the client again right after
that write: the same request, tried anew.  A timeout or CLIENT UNBLOCK
(engine/blocking.py) sets F_UNBLOCK_TIMEOUT or F_UNBLOCK_ERROR and runs it
again too; `cannot_block` then answers as Redis does.

Rules:
- A command checks its arguments in Redis's order, the timeout with
  `timeout_or_reply` (getTimeoutFromObjectOrReply), and answers their errors at once.
- `cannot_block` comes after the keys were tried and found wanting: inside
  EXEC (F_DENY_BLOCK) it answers the timeout reply at once, as Redis's
  CLIENT_DENY_BLOCKING does; otherwise the command calls `block`.
- Whatever answers a blocked request calls `answered`; the batch then takes it out of line.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import (
    C_BLOCK_KEY0, C_BLOCK_MS, C_BLOCK_NKEYS, C_FLAGS, C_PROTO, F_BLOCK_NOW, F_BLOCKED, F_DENY_BLOCK,
    F_UNBLOCK_ERROR, F_UNBLOCK_TIMEOUT, F_UNBLOCKED,
)
from mako_numba.commands.respond import X_DEFER, reply_lit
from mako_numba.protocol.errors import (
    LIT_NIL2, LIT_NIL3, LIT_NULL_ARRAY2, LIT_TIMEOUT_NEGATIVE, LIT_TIMEOUT_NOT_FLOAT, LIT_UNBLOCKED,
)

T_OK = 0
T_NOT_FLOAT = 1
T_NEGATIVE = 2
MAX_LONG_DOUBLE_CHARS = 5 * 1024
LLONG_MAX = 9223372036854775807


@kernel(inline=True)
def _lower(ch):
    return ch + 32 if 65 <= ch <= 90 else ch


@kernel
def _word_at(b, i, n, w):
    """Does b[i:] start with the lower-case ASCII word w (case-insensitive)?"""
    if i + len(w) > n:
        return False
    for j in range(len(w)):
        if _lower(b[i + j]) != ord(w[j]):
            return False
    return True


@kernel
def _ms_of(neg, mant, exp10, inexact):
    """ceil(+-mant * 10^exp10 * 1000) as (status, ms), Redis's (long long) ceill(x * 1000.0):
    a result past LLONG_MAX converts to LLONG_MIN on x86-64, which Redis calls negative."""
    e = exp10 + 3
    if mant == 0:
        return T_OK, 0
    if e >= 0:
        if e > 18:
            return T_NEGATIVE, 0
        p = np.int64(1)
        for i in range(e):
            p *= 10
        if mant > LLONG_MAX // p:
            return T_NEGATIVE, 0
        v = mant * p
        return (T_NEGATIVE, 0) if neg else (T_OK, v)
    d = -e
    if d > 18:
        whole = 0
        frac = True
    else:
        p = np.int64(1)
        for i in range(d):
            p *= 10
        whole = mant // p
        frac = mant % p != 0 or inexact
    if neg:
        # ceil(-x) = -floor(x): negative unless x < 1 (then -0, which is 0: no timeout)
        return (T_NEGATIVE, 0) if whole >= 1 else (T_OK, 0)
    return T_OK, whole + (1 if frac else 0)


@kernel
def parse_timeout(args, i):
    """A timeout in seconds as Redis reads it (strtold, then (long long) ceill(x * 1000)):
    (T_OK, ms) with ms 0 for "wait forever", or (T_NOT_FLOAT | T_NEGATIVE, 0)."""
    n = args[i, 1]
    if n == 0 or n >= MAX_LONG_DOUBLE_CHARS:
        return T_NOT_FLOAT, 0
    b = u8view(args[i, 0], n)
    j = 0
    neg = False
    if b[0] == 43 or b[0] == 45:
        neg = b[0] == 45
        j = 1
    if _word_at(b, j, n, "infinity") and j + 8 == n or _word_at(b, j, n, "inf") and j + 3 == n:
        return T_NEGATIVE, 0                    # ceill(inf) as a long long: LLONG_MIN
    if j + 1 < n and b[j] == 48 and (b[j + 1] == 120 or b[j + 1] == 88):
        return _hex_timeout(b, j + 2, n, neg)
    mant = np.int64(0)
    exp10 = 0
    digits = 0
    inexact = False
    seen_dot = False
    while j < n:
        ch = b[j]
        if 48 <= ch <= 57:
            digits += 1
            if mant < 100000000000000000:       # 17 digits kept exactly; the rest only counted
                mant = mant * 10 + (ch - 48)
                if seen_dot:
                    exp10 -= 1
            else:
                if ch != 48:
                    inexact = True
                if not seen_dot:
                    exp10 += 1
        elif ch == 46 and not seen_dot:
            seen_dot = True
        else:
            break
        j += 1
    if digits == 0:
        return T_NOT_FLOAT, 0
    if j < n and (b[j] == 101 or b[j] == 69):
        k = j + 1
        eneg = False
        if k < n and (b[k] == 43 or b[k] == 45):
            eneg = b[k] == 45
            k += 1
        if k >= n or not 48 <= b[k] <= 57:
            return T_NOT_FLOAT, 0               # strtold stops before the 'e': trailing bytes
        ev = 0
        while k < n and 48 <= b[k] <= 57:
            if ev < 100000:
                ev = ev * 10 + (b[k] - 48)
            k += 1
        j = k
        exp10 += -ev if eneg else ev
    if j != n:
        return T_NOT_FLOAT, 0
    return _ms_of(neg, mant, exp10, inexact)


@kernel
def _hex_timeout(b, j, n, neg):
    """A C99 hex float after its 0x: digits [. digits] [p [+-] digits]."""
    v = 0.0
    digits = 0
    scale = 0
    seen_dot = False
    while j < n:
        ch = _lower(b[j])
        if 48 <= ch <= 57 or 97 <= ch <= 102:
            d = ch - 48 if ch <= 57 else ch - 87
            v = v * 16.0 + d
            digits += 1
            if seen_dot:
                scale -= 4
        elif ch == 46 and not seen_dot:
            seen_dot = True
        else:
            break
        j += 1
    if digits == 0:
        return T_NOT_FLOAT, 0
    if j < n and _lower(b[j]) == 112:
        k = j + 1
        eneg = False
        if k < n and (b[k] == 43 or b[k] == 45):
            eneg = b[k] == 45
            k += 1
        if k >= n or not 48 <= b[k] <= 57:
            return T_NOT_FLOAT, 0
        ev = 0
        while k < n and 48 <= b[k] <= 57:
            if ev < 100000:
                ev = ev * 10 + (b[k] - 48)
            k += 1
        j = k
        scale += -ev if eneg else ev
    if j != n:
        return T_NOT_FLOAT, 0
    x = v * 2.0 ** scale * 1000.0
    if neg:
        return (T_NEGATIVE, 0) if x >= 1.0 else (T_OK, 0)
    if x >= 9.2e18:
        return T_NEGATIVE, 0
    return T_OK, np.int64(np.ceil(x))


@kernel
def timeout_or_reply(R, args, i):
    """(ok, ms, status): the timeout at argument i (parse_timeout), or its error written."""
    conn, c, rl, lits = R
    ts, ms = parse_timeout(args, i)
    if ts == T_OK:
        return True, ms, 0
    return False, 0, reply_lit(conn, c, rl, lits,
                               LIT_TIMEOUT_NEGATIVE if ts == T_NEGATIVE else LIT_TIMEOUT_NOT_FLOAT)


@kernel
def cannot_block(R, array):
    """No key could serve the command: (answered, status).  Answered with the timeout reply
    (a null array; inside EXEC a null bulk when not `array`) after a timeout or inside EXEC, or with
    -UNBLOCKED after CLIENT UNBLOCK ... ERROR; else not answered: the caller blocks."""
    conn, c, rl, lits = R
    fl = conn[c, C_FLAGS]
    if fl & F_UNBLOCK_ERROR:
        st = reply_lit(conn, c, rl, lits, LIT_UNBLOCKED)
        if st != X_DEFER:
            answered(conn, c)
        return True, st
    if fl & (F_UNBLOCK_TIMEOUT | F_DENY_BLOCK):
        # replyToBlockedClientTimedOut answers a null array for every list command; inside
        # EXEC BLMOVE and BRPOPLPUSH answer as their non-blocking twins, a null bulk
        if conn[c, C_PROTO] == 3:
            st = reply_lit(conn, c, rl, lits, LIT_NIL3)
        elif array or fl & F_UNBLOCK_TIMEOUT:
            st = reply_lit(conn, c, rl, lits, LIT_NULL_ARRAY2)
        else:
            st = reply_lit(conn, c, rl, lits, LIT_NIL2)
        if st != X_DEFER:
            answered(conn, c)
        return True, st
    return False, 0


@kernel
def block(conn, c, key0, nkeys, ms):
    """Block on args[key0:key0+nkeys] for ms (0: forever): the request waits (X_DEFER)."""
    conn[c, C_FLAGS] |= F_BLOCKED | F_BLOCK_NOW
    conn[c, C_BLOCK_KEY0] = key0
    conn[c, C_BLOCK_NKEYS] = nkeys
    conn[c, C_BLOCK_MS] = ms
    return X_DEFER


@kernel(inline=True)
def retrying(conn, c):
    """Is this a blocked command tried again (its keys were written)?"""
    return conn[c, C_FLAGS] & F_BLOCKED != 0


@kernel(inline=True)
def answered(conn, c):
    """The request has its reply: a blocked client is blocked no more (the batch unlinks it)."""
    fl = conn[c, C_FLAGS]
    if fl & (F_BLOCKED | F_UNBLOCK_TIMEOUT | F_UNBLOCK_ERROR):
        conn[c, C_FLAGS] = (fl & ~(F_BLOCKED | F_UNBLOCK_TIMEOUT | F_UNBLOCK_ERROR)) | F_UNBLOCKED
