"""The request parser: bytes of one connection in, queued requests out.

Three request forms share one input stream, told apart as Redis does by the
first byte of each request:
- `*`: a RESP multibulk array of bulk strings (what clients send), parsed here;
- anything else: an inline command, or an inline line in the Mako seed format
  (`get:` or `set:`); inline.py parses both and states their rules.
The scanners, command lookup and queue-row helpers the parsers share are in
parsebase.py.

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
  marks the connection to close after its replies, as Redis does.  Until
  that row runs the connection is not closing, so a deferred request before
  it is parsed again next turn, the error after it.
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
from mako_numba.config import settings as config
from mako_numba.protocol.parsebase import CF_LAST_PARSED, OP_SLOW
from mako_numba.protocol.inline import parse_inline
from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import (
    B_AN, B_QN, C_FLAGS, C_IN_ADDR, C_IN_CAP, C_IN_NEED, C_PS_ARGC, C_PS_ARGI, C_PS_BULK, C_PS_POS,
    C_RD, C_WR, CMD_UNKNOWN, F_CLOSE_NOW, F_PENDING, F_SLOW, PE_BIG_BULK, PE_BIG_MBULK, PE_BULK,
    PE_DOLLAR, PE_MULTIBULK, Q_ARG0, Q_CMD, Q_CONN, Q_START,
)
from mako_numba.protocol.parsebase import (
    P_DONE, P_ERROR, P_FULL, P_INCOMPLETE, args_exhausted, proto_error, push_arg, queue_row, find_byte,
    lookup_command, string2ll,
)


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
        push_arg(args, bm, base + pos, n)
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
                return proto_error(q, bm, c, rd, PE_BIG_MBULK, 0)
            conn[c, C_IN_NEED] = wr - rd + 1
            return P_INCOMPLETE
        if r + 1 >= wr:
            conn[c, C_IN_NEED] = wr - rd + 1
            return P_INCOMPLETE
        ok, ll = string2ll(buf, rd + 1, r)
        if not ok or ll > lim[config.L_MAX_MULTIBULK]:
            return proto_error(q, bm, c, rd, PE_MULTIBULK, 0)
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
                    return proto_error(q, bm, c, rd, PE_BIG_BULK, 0)
                need = wr - rd + 1
                break
            if buf[pos] != 36:
                bm[B_AN] = an0
                return proto_error(q, bm, c, rd, PE_DOLLAR, buf[pos])
            ok, ll = string2ll(buf, pos + 1, r)
            if not ok or ll < 0 or ll > lim[config.L_MAX_BULK]:
                bm[B_AN] = an0
                return proto_error(q, bm, c, rd, PE_BULK, 0)
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
        if store and not push_arg(args, bm, base + pos, bulk):
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
            return args_exhausted(bm, an0, argc)
        _rewalk(buf, base, rd, argc, args, bm)
    conn[c, C_PS_ARGC] = 0
    queue_row(q, bm, c, CMD_UNKNOWN, argc, an0, rd, pos, 0, 0)
    conn[c, C_RD] = pos
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
            res = parse_inline(conn, c, buf, base, q, bm, args, scratch, lim)
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
        if flags[ci] & CF_LAST_PARSED:
            break
    return queued
