"""What the request parsers share: scanners, the command lookup and queue rows.

protocol.py (multibulk, and the per-connection loop) and inline.py (inline
commands and the seed format) both build on these.

Rules:
- Never allocate, never raise: running out of room or meeting bad input is
  a result (False, -1, P_FULL, P_ERROR), as in the parsers that call these.
- C string quirks are kept: a NUL byte ends the search for a line end, as
  strchr() does in Redis (`find_byte`).
- A protocol error is a CMD_PROTO_ERR row queued after the connection's good
  requests (`proto_error`).  Parsing it does not mark the connection
  closing: the executor does, when it writes the error reply.  A good
  request before it may still be deferred (the connection is rewound to it
  and parsed again next turn, the error with it), and every one of them must
  run and be answered before the error and the close, as in Redis.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import (
    B_AN, B_NEED_ARGS, B_NEXT_ID, B_QN, CMD_PROTO_ERR, CMD_UNKNOWN,
    Q_ARG0, Q_ARGC, Q_CMD, Q_CONN, Q_END, Q_ERR, Q_ERRARG, Q_HASH, Q_ID, Q_START, Q_STATUS, QS_NEW,
)


# --- the command table, as the parser reads it (commands/registry.py builds it) ---
OP_SLOW = 0             # the op of a command run by the Python slow path: parsing stops after it
CF_LAST_PARSED = 2048   # a command flag: the parser stops after it, nothing later is read (QUIT)
HASH_SIZE = 1024        # the name lookup table: open-addressing slots
HTAB_SHIFT = 16         #   a slot holds `ci | entry << HTAB_SHIFT`


# parse outcomes for one request
P_DONE = 0          # a request (or an empty one) was consumed
P_INCOMPLETE = 1    # wait for more bytes
P_FULL = 2          # out of queue rows, argument rows or scratch: next turn
P_ERROR = 3         # a protocol error request was queued


@kernel(inline=True)
def lower_byte(b):
    return b + 32 if 65 <= b <= 90 else b


@kernel(inline=True)
def find_byte(buf, start, end, ch):
    """Index of ch in buf[start:end], or -1; a NUL first also gives -1 (strchr)."""
    for i in range(start, end):
        b = buf[i]
        if b == ch:
            return i
        if b == 0:
            return -1
    return -1


@kernel(inline=True)
def string2ll(buf, start, end):
    """Redis's string2ll: (ok, value) for a strict decimal in buf[start:end]."""
    n = end - start
    if n <= 0 or n >= 21:
        return False, 0
    if n == 1 and buf[start] == 48:
        return True, 0
    i = start
    neg = False
    if buf[i] == 45:
        neg = True
        i += 1
        if i == end:
            return False, 0
    if not (49 <= buf[i] <= 57):
        return False, 0
    v = np.uint64(buf[i] - 48)
    i += 1
    while i < end:
        d = buf[i]
        if d < 48 or d > 57:
            return False, 0
        if v > np.uint64(1844674407370955161):
            return False, 0
        v = v * np.uint64(10)
        if v > np.uint64(18446744073709551615) - np.uint64(d - 48):
            return False, 0
        v = v + np.uint64(d - 48)
        i += 1
    if neg:
        if v > np.uint64(9223372036854775808):
            return False, 0
        return True, -np.int64(v - np.uint64(1)) - 1
    if v > np.uint64(9223372036854775807):
        return False, 0
    return True, np.int64(v)


@kernel(inline=True)
def lookup_command(cmdt, addr, n):
    """Index of the command named by the n bytes at addr (any case), or CMD_UNKNOWN."""
    names, noff, nlen, arity, op, flags, htab = cmdt
    name = u8view(addr, n)
    h = np.uint64(0xCBF29CE484222325)
    for i in range(n):
        h ^= np.uint64(lower_byte(name[i]))
        h *= np.uint64(0x100000001B3)
    p = np.int64(h & np.uint64(HASH_SIZE - 1))
    while htab[p] >= 0:
        ci = htab[p] & ((1 << HTAB_SHIFT) - 1)
        e = htab[p] >> HTAB_SHIFT       # the names row to compare: its own, or its rename's
        if nlen[e] == n:
            o = noff[e]
            same = True
            for i in range(n):
                if lower_byte(name[i]) != names[o + i]:
                    same = False
                    break
            if same:
                return ci
        p = (p + 1) & (HASH_SIZE - 1)
    return CMD_UNKNOWN


# --- queue helpers -------------------------------------------------------------------
@kernel(inline=True)
def push_arg(args, bm, addr, n):
    a = bm[B_AN]
    if a >= args.shape[0]:
        return False
    args[a, 0] = addr
    args[a, 1] = n
    bm[B_AN] = a + 1
    return True


@kernel(inline=True)
def queue_row(q, bm, c, cmd, argc, arg0, start, end, err, errarg):
    k = bm[B_QN]
    q[k, Q_ID] = bm[B_NEXT_ID]
    bm[B_NEXT_ID] += 1
    q[k, Q_CONN] = c
    q[k, Q_CMD] = cmd
    q[k, Q_ARGC] = argc
    q[k, Q_ARG0] = arg0
    q[k, Q_START] = start
    q[k, Q_END] = end
    q[k, Q_STATUS] = QS_NEW
    q[k, Q_ERR] = err
    q[k, Q_ERRARG] = errarg
    q[k, Q_HASH] = 0
    bm[B_QN] = k + 1


@kernel
def proto_error(q, bm, c, start, err, errarg):
    """Queue the error row; the close comes from running it (see the module notes)."""
    queue_row(q, bm, c, CMD_PROTO_ERR, 0, bm[B_AN], start, start, err, errarg)
    return P_ERROR


@kernel
def args_exhausted(bm, an0, wanted):
    """Args ran out: roll back; ask for more rows if even an empty batch lacks them."""
    if an0 == 0:
        bm[B_NEED_ARGS] = max(bm[B_NEED_ARGS], wanted)
    bm[B_AN] = an0
    return P_FULL
