"""The server family's kernels: SWAPDB and TIME."""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_OUT_WR, T_DIRTY
from mako_numba.commands.respond import X_DEFER, X_DONE, arg_int32, out_of, reply_lit, reserve
from mako_numba.protocol.errors import LIT_DB_RANGE, LIT_OK, LIT_SWAPDB_FIRST, LIT_SWAPDB_SECOND
from mako_numba.protocol.replies import w_arr_hdr, w_bulk_int
from mako_numba.store.index import watch_swapdb


@kernel
def x_swapdb(T, R, args, a0):
    """SWAPDB index1 index2: O(1), by swapping two entries of the database map."""
    conn, c, lim, lits = R
    ok1, d1 = arg_int32(args, a0 + 1)
    if not ok1:
        return reply_lit(conn, c, lim, lits, LIT_SWAPDB_FIRST)
    ok2, d2 = arg_int32(args, a0 + 2)
    if not ok2:
        return reply_lit(conn, c, lim, lits, LIT_SWAPDB_SECOND)
    dbk = T[5]
    if d1 < 0 or d2 < 0 or d1 >= dbk.shape[0] or d2 >= dbk.shape[0]:
        return reply_lit(conn, c, lim, lits, LIT_DB_RANGE)
    if not reserve(conn, c, lim, 5):
        return X_DEFER
    p = dbk[d1, 2]
    if d1 != d2:
        watch_swapdb(T[0], p, dbk[d2, 2], d1, d2)
    dbk[d1, 2] = dbk[d2, 2]
    dbk[d2, 2] = p
    T[0][T_DIRTY] += 1              # a change, even of a database with itself (Redis)
    return reply_lit(conn, c, lim, lits, LIT_OK)


@kernel
def x_time(R, now_us):
    """TIME: [seconds, microseconds] as bulk strings."""
    conn, c, lim, lits = R
    sec = now_us // 1_000_000
    usec = now_us % 1_000_000
    if not reserve(conn, c, lim, 64):
        return X_DEFER
    out = out_of(conn, c)
    p = conn[c, C_OUT_WR]
    p = w_bulk_int(out, w_arr_hdr(out, p, 2), sec)
    conn[c, C_OUT_WR] = w_bulk_int(out, p, usec)
    return X_DONE
