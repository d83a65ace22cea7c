"""The inline request forms: Redis inline commands and the Mako seed format.

A request that does not start with `*` is one line (protocol.parse_conn
sends it here):
- an inline command, split with Redis's sdssplitargs rules (quotes, \\xHH
  and backslash escapes, "unbalanced quotes" on error);
- a line starting `get:` or `set:` (any case) is the Mako seed format
  `op:key:value`.  The key ends at the first ':' not escaped by '\\';
  `\\:` and `\\\\` stand for ':' and '\\' in a key; the value is the rest of
  the line, verbatim, so values may hold ':' freely.

Rules (after Redis's processInlineBuffer): a token or key without quotes or
escapes is a slice of the input; one with them is decoded into the batch's
scratch area, never in place, so a deferred request can be parsed again
unchanged.  Out of argument rows or scratch, the request is rolled back and
waits for the next turn.
"""
from mako_numba.config import settings as config
from mako_numba.base.jit import copy_bytes, kernel
from mako_numba.base.layout import (
    B_AN, B_SCRATCH_ADDR, B_SN, C_IN_NEED, C_RD, C_WR, CMD_UNKNOWN, PE_BIG_INLINE, PE_UNBALANCED,
)
from mako_numba.protocol.parsebase import (
    P_DONE, P_INCOMPLETE, args_exhausted, lower_byte, proto_error, push_arg, queue_row, find_byte,
)


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
                    copy_bytes(scratch.ctypes.data + d0, buf.ctypes.data + tok, n)
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
            ok = push_arg(args, bm, sbase + d0, bm[B_SN] - d0)
        else:
            ok = push_arg(args, bm, base + tok, tend - tok)
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
        if not push_arg(args, bm, base + s, p - s):
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
    if not push_arg(args, bm, sbase + d0, bm[B_SN] - d0):
        return -1
    return p


@kernel
def _is_seed_line(buf, s, e):
    if e - s < 4 or buf[s + 3] != 58:
        return False
    a = lower_byte(buf[s])
    return (a == 103 or a == 115) and lower_byte(buf[s + 1]) == 101 and lower_byte(buf[s + 2]) == 116


@kernel
def parse_inline(conn, c, buf, base, q, bm, args, scratch, lim):
    rd = conn[c, C_RD]
    wr = conn[c, C_WR]
    nl = find_byte(buf, rd, wr, 10)
    if nl < 0:
        if wr - rd > lim[config.L_INLINE_MAX]:
            return proto_error(q, bm, c, rd, PE_BIG_INLINE, 0)
        conn[c, C_IN_NEED] = wr - rd + 1
        return P_INCOMPLETE
    e = nl - 1 if nl > rd and buf[nl - 1] == 13 else nl
    an0 = bm[B_AN]
    sn0 = bm[B_SN]
    if _is_seed_line(buf, rd, e):
        ok = push_arg(args, bm, base + rd, 3)
        p = _seed_key(buf, base, rd + 4, e, scratch, bm, args) if ok else -1
        if p >= 0 and p < e:
            # after the key's ':' comes the value (set) or must come nothing (get)
            if lower_byte(buf[rd]) == 115 or p + 1 < e:
                ok = push_arg(args, bm, base + p + 1, e - p - 1)
                p = p if ok else -1
        res = 1 if p >= 0 else -1
    else:
        res = _split_inline(buf, base, rd, e, scratch, bm, args)
    if res == 0:
        bm[B_AN] = an0
        bm[B_SN] = sn0
        return proto_error(q, bm, c, rd, PE_UNBALANCED, 0)
    if res < 0:
        bm[B_SN] = sn0
        return args_exhausted(bm, an0, 2 * args.shape[0])
    argc = bm[B_AN] - an0
    if argc > 0:
        queue_row(q, bm, c, CMD_UNKNOWN, argc, an0, rd, nl + 1, 0, 0)
    conn[c, C_RD] = nl + 1
    return P_DONE
