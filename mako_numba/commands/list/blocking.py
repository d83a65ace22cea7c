"""The blocking list commands (t_list.c): BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.

Each tries its keys as its non-blocking twin would and, when none can serve
it, blocks (commands/blocking.py says how a block works).  What they
propagate is that twin's effect, as Redis rewrites them: BLPOP key ... as
`LPOP key`, BLMPOP as `LPOP key count`, BLMOVE as `LMOVE ...` (with the
words the client sent, or `left`/`right` when served after blocking, as
serveClientBlockedOnList writes it), BRPOPLPUSH as `RPOPLPUSH`; so each
writes its own.
"""
import numpy as np

from mako_numba.base.layout import C_DB, T_DIRTY, T_PROP_WR
from mako_numba.base.jit import kernel
from mako_numba.commands.blocking import answered, block, cannot_block, retrying, timeout_or_reply
from mako_numba.commands.list.kernels import lmpop_args, pop_first, x_lmove
from mako_numba.commands.respond import X_DEFER, reply_lit
from mako_numba.protocol.errors import LIT_WRONGTYPE
from mako_numba.protocol.replies import w_bulk, w_bulk_hdr, w_crlf
from mako_numba.store.effects import effect_begin, propagating
from mako_numba.store.types import OBJ_LIST, WRONGTYPE, lookup_write

W_LMOVE = np.frombuffer(b"LMOVE", np.uint8)
W_RPOPLPUSH = np.frombuffer(b"RPOPLPUSH", np.uint8)
W_LEFT = np.frombuffer(b"left", np.uint8)       # shared.left, shared.right
W_RIGHT = np.frombuffer(b"right", np.uint8)


@kernel
def w_side(out, p, left):
    w = W_LEFT if left else W_RIGHT
    p = w_bulk_hdr(out, p, w.shape[0])
    for i in range(w.shape[0]):
        out[p + i] = w[i]
    return w_crlf(out, p + w.shape[0])


@kernel
def x_blpop(K, R, args, a0, argc, left):
    """BLPOP / BRPOP key [key ...] timeout"""
    conn, c, rl, lits = R
    ok, ms, st = timeout_or_reply(R, args, a0 + argc - 1)
    if not ok:
        return st
    served, st = pop_first(K, R, args, a0 + 1, argc - 2, left, 1, True, retrying(conn, c))
    if served:
        if st != X_DEFER:
            answered(conn, c)
        return st
    done, st = cannot_block(R, True)
    if done:
        return st
    return block(conn, c, a0 + 1, argc - 2, ms)


@kernel
def x_blmpop(K, R, args, a0, argc, lit0):
    """BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]"""
    conn, c, rl, lits = R
    ok, numkeys, left, count, st = lmpop_args(R, args, a0, argc, 2, lit0)
    if not ok:
        return st
    ok, ms, st = timeout_or_reply(R, args, a0 + 1)
    if not ok:
        return st
    served, st = pop_first(K, R, args, a0 + 3, numkeys, left, count, False, retrying(conn, c))
    if served:
        if st != X_DEFER:
            answered(conn, c)
        return st
    done, st = cannot_block(R, True)
    if done:
        return st
    return block(conn, c, a0 + 3, numkeys, ms)


@kernel
def x_blmove(K, R, args, a0, from_left, to_left, tidx, rpoplpush):
    """BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout (timeout argument tidx 5),
    BRPOPLPUSH source destination timeout (3)"""
    T, lim, db, now = K
    conn, c, rl, lits = R
    ok, ms, st = timeout_or_reply(R, args, a0 + tidx)
    if not ok:
        return st
    src = a0 + 1
    h, which, pos = lookup_write(T, lim, db, args[src, 0], args[src, 1], now, OBJ_LIST, 0)
    if which == WRONGTYPE and not retrying(conn, c):
        st = reply_lit(conn, c, rl, lits, LIT_WRONGTYPE)
        if st != X_DEFER:
            answered(conn, c)
        return st
    if which != 0 and which != WRONGTYPE:
        tm = T[0]
        d0 = tm[T_DIRTY]
        was_blocked = retrying(conn, c)
        st = x_lmove(K, R, args, a0, from_left, to_left)
        if st == X_DEFER:
            return st
        answered(conn, c)
        if propagating(tm) and tm[T_DIRTY] != d0:     # moved (not a WRONGTYPE destination)
            out, p = effect_begin(tm, conn[c, C_DB], 3 if rpoplpush else 5,
                                  W_RPOPLPUSH if rpoplpush else W_LMOVE)
            for i in range(a0 + 1, a0 + 3):
                p = w_bulk(out, p, args[i, 0], args[i, 1])
            if not rpoplpush:
                if was_blocked:         # serveClientBlockedOnList writes its own words
                    p = w_side(out, p, from_left)
                    p = w_side(out, p, to_left)
                else:                   # the client's, as rewriteClientCommandVector keeps them
                    p = w_bulk(out, p, args[a0 + 3, 0], args[a0 + 3, 1])
                    p = w_bulk(out, p, args[a0 + 4, 0], args[a0 + 4, 1])
            tm[T_PROP_WR] = p
        return st
    done, st = cannot_block(R, False)
    if done:
        return st
    return block(conn, c, src, 1, ms)
