"""The request parser: bytes of one connection in, queued requests out.

Three request forms share one input stream, told apart as Redis does by the
first byte of each request:
- `*`: a RESP multibulk array of bulk strings (what clients send);
- anything else: an inline command, split with Redis's sdssplitargs rules
  (quotes, \\xHH and backslash escapes, "unbalanced quotes" on error);
- an inline line starting `get:` or `set:` (any case) is the Mako seed
  format `op:key:value`.  The key ends at the first ':' not escaped by '\\';
  `\\:` and `\\\\` stand for ':' and '\\' in a key; the value is the rest of
  the line, verbatim, so values may hold ':' freely.

Rules and theory (after Redis's processMultibulkBuffer/processInlineBuffer):
- Sans-IO: the parser sees a buffer address, a read and a write position, and
  writes queue rows.  It never allocates and never raises.
- Incomplete input is a normal outcome: the connection keeps its bytes, and
  for a multibulk request the parser remembers how far it validated
  (C_PS_*), so a huge request arriving in many reads is scanned once, plus
  one quick re-walk over the argument headers when it completes.
- Arguments are (address, length) pairs.  They point into the input buffer,
  or into the batch's scratch area when quotes or escapes had to be decoded
  (decoding never writes to the input, so a deferred request can be parsed
  again unchanged).
- Malformed input becomes a CMD_PROTO_ERR request queued after the
  connection's good requests; the executor replies Redis's exact error and
  the connection closes, as Redis does.  C string quirks are kept: a NUL byte
  ends the search for a line end, as strchr() does in Redis.
- client-query-buffer-limit counts what Redis's query buffer would hold:
  Redis moves each finished argument out of it, so only the unfinished
  argument's bytes count, and an argument longer than the limit (Redis reads
  a big one whole into the buffer) closes the connection even once complete.
  A request of many small arguments is never closed, however long.
- A connection stops being parsed for this batch after a slow-path command,
  after QUIT or an error, or when the queue, argument rows or scratch run
  out; it is then marked and parsed again next turn, so replies stay in
  request order.
"""
import numpy as np

from . import config
from .commands import HASH_SIZE, HTAB_SHIFT, OP_QUIT, OP_SLOW
from .jit import kernel, u8view
from .layout import (
    B_AN, B_NEED_ARGS, B_NEXT_ID, B_QN, B_SCRATCH_ADDR, B_SN, C_FLAGS, C_IN_ADDR,
    C_IN_CAP, C_IN_NEED, C_PS_ARGC, C_PS_ARGI, C_PS_BULK, C_PS_POS, C_RD, C_WR,
    CMD_PROTO_ERR, CMD_UNKNOWN, F_CLOSE_AFTER, F_CLOSE_NOW, F_PENDING, F_SLOW,
    PE_BIG_BULK, PE_BIG_INLINE, PE_BIG_MBULK, PE_BULK, PE_DOLLAR, PE_MULTIBULK,
    PE_UNBALANCED, Q_ARG0, Q_ARGC, Q_CMD, Q_CONN, Q_END, Q_ERR, Q_ERRARG, Q_HASH, Q_ID,
    Q_START, Q_STATUS, QS_NEW,
)

# parse outcomes for one request
P_DONE = 0          # a request (or an empty one) was consumed
P_INCOMPLETE = 1    # wait for more bytes
P_FULL = 2          # out of queue rows, argument rows or scratch: next turn
P_ERROR = 3         # a protocol error request was queued


@kernel(inline=True)
def _lower(b):
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
        h ^= np.uint64(_lower(name[i]))
        h *= np.uint64(0x100000001B3)
    p = np.int64(h & np.uint64(HASH_SIZE - 1))
    while htab[p] >= 0:
        ci = htab[p] & ((1 << HTAB_SHIFT) - 1)
        e = htab[p] >> HTAB_SHIFT       # the names row to compare: its own, or its rename's
        if nlen[e] == n:
            o = noff[e]
            same = True
            for i in range(n):
                if _lower(name[i]) != names[o + i]:
                    same = False
                    break
            if same:
                return ci
        p = (p + 1) & (HASH_SIZE - 1)
    return CMD_UNKNOWN


# --- queue helpers -------------------------------------------------------------------
@kernel(inline=True)
def _push_arg(args, bm, addr, n):
    a = bm[B_AN]
    if a >= args.shape[0]:
        return False
    args[a, 0] = addr
    args[a, 1] = n
    bm[B_AN] = a + 1
    return True


@kernel(inline=True)
def _queue(q, bm, c, cmd, argc, arg0, start, end, err, errarg):
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
def _proto_error(q, bm, conn, c, start, err, errarg):
    _queue(q, bm, c, CMD_PROTO_ERR, 0, bm[B_AN], start, start, err, errarg)
    conn[c, C_FLAGS] |= F_CLOSE_AFTER
    return P_ERROR


@kernel
def _args_exhausted(bm, an0, wanted):
    """Args ran out: roll back; ask for more rows if even an empty batch lacks them."""
    if an0 == 0:
        bm[B_NEED_ARGS] = max(bm[B_NEED_ARGS], wanted)
    bm[B_AN] = an0
    return P_FULL


# --- multibulk -------------------------------------------------------------------------
@kernel
def _rewalk(buf, base, start, argc, args, bm):
    """Push the arguments of a validated multibulk request starting at `start`."""
    pos = start + 1
    while buf[pos] != 13:
        pos += 1
    pos += 2
    for _ in range(argc):
        r = pos + 1
        n = 0
        while buf[r] != 13:
            n = n * 10 + (buf[r] - 48)
            r += 1
        pos = r + 2
        _push_arg(args, bm, base + pos, n)
        pos += n + 2


@kernel(inline=True)
def _parse_multibulk(conn, c, buf, base, q, bm, args, lim):
    rd = conn[c, C_RD]
    wr = conn[c, C_WR]
    an0 = bm[B_AN]
    if conn[c, C_PS_ARGC] == 0:
        r = find_byte(buf, rd, wr, 13)
        if r < 0:
            if wr - rd > lim[config.L_INLINE_MAX]:
                return _proto_error(q, bm, conn, c, rd, PE_BIG_MBULK, 0)
            conn[c, C_IN_NEED] = wr - rd + 1
            return P_INCOMPLETE
        if r + 1 >= wr:
            conn[c, C_IN_NEED] = wr - rd + 1
            return P_INCOMPLETE
        ok, ll = string2ll(buf, rd + 1, r)
        if not ok or ll > lim[config.L_MAX_MULTIBULK]:
            return _proto_error(q, bm, conn, c, rd, PE_MULTIBULK, 0)
        pos = r + 2
        if ll <= 0:
            conn[c, C_RD] = pos
            return P_DONE
        argc = ll
        argi = 0
        bulk = -1
        store = True
    else:
        argc = conn[c, C_PS_ARGC]
        argi = conn[c, C_PS_ARGI]
        pos = conn[c, C_PS_POS]
        bulk = conn[c, C_PS_BULK]
        store = False
    while argi < argc:
        if bulk < 0:
            r = find_byte(buf, pos, wr, 13)
            if r < 0 or r + 1 >= wr:
                if r < 0 and wr - pos > lim[config.L_INLINE_MAX]:
                    bm[B_AN] = an0
                    return _proto_error(q, bm, conn, c, rd, PE_BIG_BULK, 0)
                need = wr - rd + 1
                break
            if buf[pos] != 36:
                bm[B_AN] = an0
                return _proto_error(q, bm, conn, c, rd, PE_DOLLAR, buf[pos])
            ok, ll = string2ll(buf, pos + 1, r)
            if not ok or ll < 0 or ll > lim[config.L_MAX_BULK]:
                bm[B_AN] = an0
                return _proto_error(q, bm, conn, c, rd, PE_BULK, 0)
            pos = r + 2
            bulk = ll
        if wr - pos < bulk + 2:
            need = pos - rd + bulk + 2
            break
        if bulk + 2 > lim[config.L_QUERY_LIMIT]:    # Redis held this whole argument in its buffer
            bm[B_AN] = an0
            conn[c, C_PS_ARGC] = 0
            conn[c, C_FLAGS] |= F_CLOSE_NOW
            return P_ERROR
        if store and not _push_arg(args, bm, base + pos, bulk):
            store = False       # out of rows: validate only, re-walk at the end
            bm[B_AN] = an0
        pos += bulk + 2
        bulk = -1
        argi += 1
    if argi < argc:
        # incomplete: remember progress, forget this attempt's argument rows
        bm[B_AN] = an0
        conn[c, C_PS_ARGC] = argc
        conn[c, C_PS_ARGI] = argi
        conn[c, C_PS_POS] = pos
        conn[c, C_PS_BULK] = bulk
        conn[c, C_IN_NEED] = need
        if wr - pos > lim[config.L_QUERY_LIMIT]:    # the unfinished argument's bytes (see above)
            conn[c, C_FLAGS] |= F_CLOSE_NOW
            return P_ERROR
        return P_INCOMPLETE
    if not store:
        if argc > args.shape[0] - an0:
            conn[c, C_PS_ARGC] = 0
            return _args_exhausted(bm, an0, argc)
        _rewalk(buf, base, rd, argc, args, bm)
    conn[c, C_PS_ARGC] = 0
    _queue(q, bm, c, CMD_UNKNOWN, argc, an0, rd, pos, 0, 0)
    conn[c, C_RD] = pos
    return P_DONE


# --- inline and seed format ---------------------------------------------------------------
@kernel(inline=True)
def _isspace(b):
    return b == 32 or (9 <= b <= 13)


@kernel(inline=True)
def _hexval(b):
    if 48 <= b <= 57:
        return b - 48
    if 97 <= b <= 102:
        return b - 87
    if 65 <= b <= 70:
        return b - 55
    return -1


@kernel
def _split_inline(buf, base, s, e, scratch, bm, args):
    """sdssplitargs over buf[s:e]: 1 ok, 0 unbalanced quotes, -1 out of room.

    A token without quotes is a slice of the input; one with quotes is
    decoded into the scratch area (prefix first, then the decoded rest).
    """
    sbase = bm[B_SCRATCH_ADDR]
    p = s
    while True:
        while p < e and _isspace(buf[p]):
            p += 1
        if p >= e:
            return 1
        tok = p
        tend = p
        decoded = False
        d0 = 0
        inq = False
        insq = False
        done = False
        while not done:
            ch = buf[p] if p < e else 0
            out = -1
            if inq:
                if ch == 92 and p + 3 < e and buf[p + 1] == 120 and \
                        _hexval(buf[p + 2]) >= 0 and _hexval(buf[p + 3]) >= 0:
                    out = _hexval(buf[p + 2]) * 16 + _hexval(buf[p + 3])
                    p += 3
                elif ch == 92 and p + 1 < e:
                    p += 1
                    x = buf[p]
                    if x == 110:
                        out = 10
                    elif x == 114:
                        out = 13
                    elif x == 116:
                        out = 9
                    elif x == 98:
                        out = 8
                    elif x == 97:
                        out = 7
                    else:
                        out = x
                elif ch == 34:
                    if p + 1 < e and not _isspace(buf[p + 1]):
                        return 0
                    done = True
                elif p >= e:
                    return 0
                else:
                    out = ch
            elif insq:
                if ch == 92 and p + 1 < e and buf[p + 1] == 39:
                    p += 1
                    out = 39
                elif ch == 39:
                    if p + 1 < e and not _isspace(buf[p + 1]):
                        return 0
                    done = True
                elif p >= e:
                    return 0
                else:
                    out = ch
            elif p >= e or ch == 32 or ch == 10 or ch == 13 or ch == 9:
                done = True
                tend = p
            elif ch == 34 or ch == 39:
                inq = ch == 34
                insq = ch == 39
                if not decoded:
                    # from here on the token is decoded into the scratch area
                    if bm[B_SN] + (e - tok) > scratch.shape[0]:
                        return -1
                    d0 = bm[B_SN]
                    n = p - tok
                    scratch[d0:d0 + n] = buf[tok:p]
                    bm[B_SN] = d0 + n
                    decoded = True
            else:
                out = ch
            if out >= 0 and decoded:
                scratch[bm[B_SN]] = out
                bm[B_SN] += 1
            if p < e:
                p += 1
        if decoded:
            ok = _push_arg(args, bm, sbase + d0, bm[B_SN] - d0)
        else:
            ok = _push_arg(args, bm, base + tok, tend - tok)
        if not ok:
            return -1


@kernel
def _seed_key(buf, base, s, e, scratch, bm, args):
    """Push the key of a seed line starting at s; return where it ended (-1: no room)."""
    sbase = bm[B_SCRATCH_ADDR]
    p = s
    escaped = False
    while p < e and buf[p] != 58:
        if buf[p] == 92:
            escaped = True
            p += 1
        p += 1
    if p > e:
        p = e
    if not escaped:
        if not _push_arg(args, bm, base + s, p - s):
            return -1
        return p
    if bm[B_SN] + (p - s) > scratch.shape[0]:
        return -1
    d0 = bm[B_SN]
    i = s
    while i < p:
        if buf[i] == 92 and i + 1 < p:
            i += 1
        scratch[bm[B_SN]] = buf[i]
        bm[B_SN] += 1
        i += 1
    if not _push_arg(args, bm, sbase + d0, bm[B_SN] - d0):
        return -1
    return p


@kernel
def _is_seed_line(buf, s, e):
    if e - s < 4 or buf[s + 3] != 58:
        return False
    a = _lower(buf[s])
    return (a == 103 or a == 115) and _lower(buf[s + 1]) == 101 and _lower(buf[s + 2]) == 116


@kernel
def _parse_inline(conn, c, buf, base, q, bm, args, scratch, lim):
    rd = conn[c, C_RD]
    wr = conn[c, C_WR]
    nl = find_byte(buf, rd, wr, 10)
    if nl < 0:
        if wr - rd > lim[config.L_INLINE_MAX]:
            return _proto_error(q, bm, conn, c, rd, PE_BIG_INLINE, 0)
        conn[c, C_IN_NEED] = wr - rd + 1
        return P_INCOMPLETE
    e = nl - 1 if nl > rd and buf[nl - 1] == 13 else nl
    an0 = bm[B_AN]
    sn0 = bm[B_SN]
    if _is_seed_line(buf, rd, e):
        ok = _push_arg(args, bm, base + rd, 3)
        p = _seed_key(buf, base, rd + 4, e, scratch, bm, args) if ok else -1
        if p >= 0 and p < e:
            # after the key's ':' comes the value (set) or must come nothing (get)
            if _lower(buf[rd]) == 115 or p + 1 < e:
                ok = _push_arg(args, bm, base + p + 1, e - p - 1)
                p = p if ok else -1
        res = 1 if p >= 0 else -1
    else:
        res = _split_inline(buf, base, rd, e, scratch, bm, args)
    if res == 0:
        bm[B_AN] = an0
        bm[B_SN] = sn0
        return _proto_error(q, bm, conn, c, rd, PE_UNBALANCED, 0)
    if res < 0:
        bm[B_SN] = sn0
        return _args_exhausted(bm, an0, 2 * args.shape[0])
    argc = bm[B_AN] - an0
    if argc > 0:
        _queue(q, bm, c, CMD_UNKNOWN, argc, an0, rd, nl + 1, 0, 0)
    conn[c, C_RD] = nl + 1
    return P_DONE


# --- one connection -----------------------------------------------------------------------------
@kernel(inline=True)
def parse_conn(conn, c, q, bm, args, scratch, lim, cmdt):
    """Queue the complete requests buffered for connection c.

    Returns the number queued.  Sets F_SLOW / F_PENDING in the connection's
    flags when it stopped early (see the module notes).
    """
    names, noff, nlen, arity, op, flags, htab = cmdt
    buf = u8view(conn[c, C_IN_ADDR], conn[c, C_IN_CAP])
    base = conn[c, C_IN_ADDR]
    queued = 0
    conn[c, C_IN_NEED] = 0
    while conn[c, C_RD] < conn[c, C_WR]:
        if bm[B_QN] >= q.shape[0]:
            conn[c, C_FLAGS] |= F_PENDING
            break
        rd = conn[c, C_RD]
        if conn[c, C_PS_ARGC] > 0 or buf[rd] == 42:
            res = _parse_multibulk(conn, c, buf, base, q, bm, args, lim)
        else:
            res = _parse_inline(conn, c, buf, base, q, bm, args, scratch, lim)
        if res == P_INCOMPLETE:
            break
        if res == P_FULL:
            conn[c, C_FLAGS] |= F_PENDING
            break
        if res == P_ERROR:
            queued += 1
            break
        k = bm[B_QN] - 1
        if k < 0 or q[k, Q_CONN] != c or q[k, Q_START] != rd:
            continue            # an empty request (blank line, *0)
        queued += 1
        a0 = q[k, Q_ARG0]
        ci = lookup_command(cmdt, args[a0, 0], args[a0, 1])
        q[k, Q_CMD] = ci
        if ci == CMD_UNKNOWN or op[ci] == OP_SLOW:
            conn[c, C_FLAGS] |= F_SLOW
            break
        if op[ci] == OP_QUIT:
            break
    return queued
