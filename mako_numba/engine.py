"""The batch executor: one kernel call per loop turn, bytes in, replies out.

`run_batch` is the whole hot path.  For every ready connection it parses the
buffered bytes into the request queue (protocol.py), then runs the queue in
order against the key space (table.py), writing replies into each
connection's output buffer (replies.py), and finally tidies the input buffers.

Rules and theory:
- Check, then act.  A handler first reserves room for its whole reply and
  whatever memory it needs; if anything is missing it changes nothing and
  returns X_DEFER.  The connection is then rewound to the start of that
  request (its bytes are still in the input buffer), its later requests are
  skipped, and Python supplies the memory (a bigger output buffer, an arena
  chunk, a larger index) before the next turn re-parses it.  So kernels
  never allocate, and no request is half-done.
- Replies on a connection are in request order: requests of one connection
  are queued contiguously, a slow-path request (X_SLOW, run by admin.py after
  the kernel) is always the connection's last in the batch, and a deferral
  skips everything after it.
- Every branch is a thin wrapper over the table's generic operations; the
  arity check and the error writers are shared by all commands.
"""
from . import config
from .commands import (
    OP_DBSIZE, OP_DEL, OP_ECHO, OP_EXISTS, OP_GET, OP_PING, OP_QUIT, OP_SET, OP_SLOW,
)
from .errors import (
    LIT_ARITY_PRE, LIT_ARITY_SUF, LIT_OK, LIT_P_BIG_BULK, LIT_P_BIG_INLINE,
    LIT_P_BIG_MBULK, LIT_P_BULK, LIT_P_DOLLAR_PRE, LIT_P_DOLLAR_SUF, LIT_P_MULTIBULK,
    LIT_P_UNBALANCED, LIT_PONG, LIT_SYNTAX,
)
from .jit import kernel, u8view
from .layout import (
    A_BIG_OUT, A_GROW_IN, A_SHRINK_IN, B_AN, B_BATCHES, B_NEED_ARGS, B_NSLOW, B_QN, B_SN,
    C_DB, C_FLAGS, C_IN_ADDR, C_IN_CAP, C_IN_NEED, C_NEXEC, C_OUT_ADDR, C_OUT_CAP,
    C_OUT_NEED, C_OUT_SENT, C_OUT_WR, C_PROTO, C_PS_ARGC, C_PS_POS, C_RD, C_WR,
    CMD_PROTO_ERR, CMD_UNKNOWN, F_CLOSE_AFTER, F_CLOSE_NOW, F_DEFERRED, F_PENDING, F_SLOW,
    PE_BIG_BULK, PE_BIG_INLINE, PE_BIG_MBULK, PE_BULK, PE_DOLLAR, PE_MULTIBULK, Q_ARG0,
    Q_ARGC, Q_CMD, Q_CONN, Q_ERR, Q_ERRARG, Q_START, Q_STATUS, QS_DEFERRED, QS_DONE,
    QS_SLOW, R_ATT, R_SENT, R_WR, S_COMMANDS, S_DEFERRALS, S_HITS, S_MISSES, S_NFIELDS,
    S_PROTO_ERRORS,
)
from .protocol import parse_conn
from .replies import bulk_size, int_size, lit_len, w_bulk, w_int, w_lit, w_nil
from .table import OK, T_MIG, delete, exists, get, migrate, set_

X_DONE = 0
X_DEFER = 1
X_SLOW = 2


@kernel(inline=True)
def reserve(conn, c, lim, need):
    """Room for `need` reply bytes?  If not, record what is missing."""
    wr = conn[c, C_OUT_WR]
    pending = wr - conn[c, C_OUT_SENT]
    if conn[c, C_NEXEC] > 0 and pending > lim[config.L_OUT_SOFT]:
        return False
    if conn[c, C_OUT_CAP] - wr < need:
        conn[c, C_OUT_NEED] = pending + need
        return False
    return True


@kernel(inline=True)
def out_of(conn, c):
    return u8view(conn[c, C_OUT_ADDR], conn[c, C_OUT_CAP])


@kernel
def reply_lit(conn, c, lim, lits, which):
    if not reserve(conn, c, lim, lit_len(lits, which)):
        return X_DEFER
    conn[c, C_OUT_WR] = w_lit(out_of(conn, c), conn[c, C_OUT_WR], lits, which)
    return X_DONE


@kernel
def reply_int(conn, c, lim, v):
    if not reserve(conn, c, lim, int_size(v)):
        return X_DEFER
    conn[c, C_OUT_WR] = w_int(out_of(conn, c), conn[c, C_OUT_WR], v)
    return X_DONE


@kernel
def reply_bulk(conn, c, lim, addr, n):
    if not reserve(conn, c, lim, bulk_size(n)):
        return X_DEFER
    conn[c, C_OUT_WR] = w_bulk(out_of(conn, c), conn[c, C_OUT_WR], addr, n)
    return X_DONE


@kernel
def reply_arity(conn, c, lim, lits, cmdt, ci):
    """-ERR wrong number of arguments for '<name>' command"""
    names, noff, nlen, arity, op, flags, htab = cmdt
    n = nlen[ci]
    if not reserve(conn, c, lim, lit_len(lits, LIT_ARITY_PRE) + n + lit_len(lits, LIT_ARITY_SUF)):
        return X_DEFER
    out = out_of(conn, c)
    pos = w_lit(out, conn[c, C_OUT_WR], lits, LIT_ARITY_PRE)
    out[pos:pos + n] = names[noff[ci]:noff[ci] + n]
    conn[c, C_OUT_WR] = w_lit(out, pos + n, lits, LIT_ARITY_SUF)
    return X_DONE


@kernel
def reply_proto_error(conn, c, lim, lits, err, errarg):
    if err == PE_DOLLAR:
        if not reserve(conn, c, lim, lit_len(lits, LIT_P_DOLLAR_PRE) + 1 + lit_len(lits, LIT_P_DOLLAR_SUF)):
            return X_DEFER
        out = out_of(conn, c)
        pos = w_lit(out, conn[c, C_OUT_WR], lits, LIT_P_DOLLAR_PRE)
        # addReplyErrorFormat turns CR and LF into spaces
        out[pos] = 32 if errarg == 13 or errarg == 10 else errarg
        conn[c, C_OUT_WR] = w_lit(out, pos + 1, lits, LIT_P_DOLLAR_SUF)
        return X_DONE
    which = LIT_P_MULTIBULK
    if err == PE_BULK:
        which = LIT_P_BULK
    elif err == PE_BIG_INLINE:
        which = LIT_P_BIG_INLINE
    elif err == PE_BIG_MBULK:
        which = LIT_P_BIG_MBULK
    elif err == PE_BIG_BULK:
        which = LIT_P_BIG_BULK
    elif err != PE_MULTIBULK:
        which = LIT_P_UNBALANCED
    return reply_lit(conn, c, lim, lits, which)


# --- commands ------------------------------------------------------------------------
@kernel
def x_get(T, lim, conn, c, args, a0, lits, stats):
    """GET key"""
    vaddr, vlen = get(T, conn[c, C_DB], args[a0 + 1, 0], args[a0 + 1, 1])
    if vlen < 0:
        if not reserve(conn, c, lim, 5):
            return X_DEFER
        conn[c, C_OUT_WR] = w_nil(out_of(conn, c), conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
        stats[S_MISSES] += 1
        return X_DONE
    st = reply_bulk(conn, c, lim, vaddr, vlen)
    if st == X_DONE:
        stats[S_HITS] += 1
    return st


@kernel
def x_set(T, lim, conn, c, args, a0, argc, lits):
    """SET key value (options arrive with the string commands)"""
    if argc != 3:
        return reply_lit(conn, c, lim, lits, LIT_SYNTAX)
    if not reserve(conn, c, lim, 5):
        return X_DEFER
    st = set_(T, lim, conn[c, C_DB], args[a0 + 1, 0], args[a0 + 1, 1], args[a0 + 2, 0], args[a0 + 2, 1])
    if st != OK:
        return X_DEFER
    return reply_lit(conn, c, lim, lits, LIT_OK)


@kernel
def x_del_exists(T, lim, conn, c, args, a0, argc, is_del):
    """DEL key [key ...] / EXISTS key [key ...]: one loop, two verbs."""
    if not reserve(conn, c, lim, 24):
        return X_DEFER
    db = conn[c, C_DB]
    n = 0
    for i in range(a0 + 1, a0 + argc):
        if is_del:
            n += delete(T, lim, db, args[i, 0], args[i, 1])
        else:
            n += exists(T, db, args[i, 0], args[i, 1])
    return reply_int(conn, c, lim, n)


@kernel
def execute(T, lim, conn, q, k, args, cmdt, lits, stats):
    """Run queued request k; X_DONE, X_DEFER or X_SLOW."""
    names, noff, nlen, arity, op, flags, htab = cmdt
    c = q[k, Q_CONN]
    ci = q[k, Q_CMD]
    if ci == CMD_PROTO_ERR:
        st = reply_proto_error(conn, c, lim, lits, q[k, Q_ERR], q[k, Q_ERRARG])
        if st == X_DONE:
            conn[c, C_FLAGS] |= F_CLOSE_AFTER
            stats[S_PROTO_ERRORS] += 1
        return st
    if ci == CMD_UNKNOWN:
        return X_SLOW
    argc = q[k, Q_ARGC]
    a0 = q[k, Q_ARG0]
    ar = arity[ci]
    if (ar > 0 and argc != ar) or argc < -ar:
        return reply_arity(conn, c, lim, lits, cmdt, ci)
    o = op[ci]
    if o == OP_SLOW:
        return X_SLOW
    if o == OP_GET:
        st = x_get(T, lim, conn, c, args, a0, lits, stats)
    elif o == OP_SET:
        st = x_set(T, lim, conn, c, args, a0, argc, lits)
    elif o == OP_PING:
        if argc > 2:
            return reply_arity(conn, c, lim, lits, cmdt, ci)
        if argc == 1:
            st = reply_lit(conn, c, lim, lits, LIT_PONG)
        else:
            st = reply_bulk(conn, c, lim, args[a0 + 1, 0], args[a0 + 1, 1])
    elif o == OP_ECHO:
        st = reply_bulk(conn, c, lim, args[a0 + 1, 0], args[a0 + 1, 1])
    elif o == OP_QUIT:
        st = reply_lit(conn, c, lim, lits, LIT_OK)
        if st == X_DONE:
            conn[c, C_FLAGS] |= F_CLOSE_AFTER
    elif o == OP_DEL:
        st = x_del_exists(T, lim, conn, c, args, a0, argc, True)
    elif o == OP_EXISTS:
        st = x_del_exists(T, lim, conn, c, args, a0, argc, False)
    elif o == OP_DBSIZE:
        st = reply_int(conn, c, lim, T[5][conn[c, C_DB]])
    else:
        return X_SLOW
    if st == X_DONE:
        stats[S_COMMANDS] += 1
        stats[S_NFIELDS + ci] += 1
    return st


@kernel
def _defer(conn, c, q, k, stats):
    conn[c, C_FLAGS] = (conn[c, C_FLAGS] | F_DEFERRED | F_PENDING) & ~F_SLOW
    conn[c, C_RD] = q[k, Q_START]
    conn[c, C_PS_ARGC] = 0
    q[k, Q_STATUS] = QS_DEFERRED
    stats[S_DEFERRALS] += 1


@kernel
def compact_input(conn, c):
    """Move an unfinished request to the front of its buffer."""
    rd = conn[c, C_RD]
    wr = conn[c, C_WR]
    if rd == 0:
        return
    if rd >= wr:
        conn[c, C_RD] = 0
        conn[c, C_WR] = 0
        return
    buf = u8view(conn[c, C_IN_ADDR], wr)
    for i in range(wr - rd):
        buf[i] = buf[rd + i]
    conn[c, C_RD] = 0
    conn[c, C_WR] = wr - rd
    if conn[c, C_PS_ARGC] > 0:
        conn[c, C_PS_POS] -= rd


@kernel
def _result_row(conn, c, lim, res, i):
    """Tell Python what slot c needs: bytes to send, and anything unusual."""
    fl = conn[c, C_FLAGS]
    att = fl & (F_PENDING | F_SLOW | F_CLOSE_AFTER | F_CLOSE_NOW | F_DEFERRED)
    if conn[c, C_IN_NEED] > conn[c, C_IN_CAP] - conn[c, C_RD]:
        att |= A_GROW_IN
    elif conn[c, C_WR] == 0 and conn[c, C_IN_CAP] > 4 * lim[config.L_IN_DEFAULT]:
        att |= A_SHRINK_IN
    if conn[c, C_OUT_CAP] > 4 * lim[config.L_OUT_DEFAULT]:
        att |= A_BIG_OUT
    res[i, R_SENT] = conn[c, C_OUT_SENT]
    res[i, R_WR] = conn[c, C_OUT_WR]
    res[i, R_ATT] = att


@kernel
def run_batch(T, lim, conn, ready, nready, q, args, bm, scratch, cmdt, lits, stats, slowq, res):
    """Parse, execute and tidy one batch; returns the number of requests queued.

    Row i of `res` describes ready[i] afterwards (R_* columns).
    """
    bm[B_QN] = 0
    bm[B_AN] = 0
    bm[B_SN] = 0
    bm[B_NSLOW] = 0
    bm[B_NEED_ARGS] = 0
    for i in range(nready):
        c = ready[i]
        fl = conn[c, C_FLAGS]
        conn[c, C_FLAGS] = fl & ~(F_SLOW | F_PENDING | F_DEFERRED)
        conn[c, C_NEXEC] = 0
        conn[c, C_OUT_NEED] = 0
        if conn[c, C_OUT_SENT] == conn[c, C_OUT_WR]:
            conn[c, C_OUT_SENT] = 0
            conn[c, C_OUT_WR] = 0
        if fl & (F_CLOSE_AFTER | F_CLOSE_NOW):
            continue
        parse_conn(conn, c, q, bm, args, scratch, lim, cmdt)
    nq = bm[B_QN]
    for k in range(nq):
        c = q[k, Q_CONN]
        if conn[c, C_FLAGS] & F_DEFERRED:
            q[k, Q_STATUS] = QS_DEFERRED
            continue
        st = execute(T, lim, conn, q, k, args, cmdt, lits, stats)
        if st == X_DEFER:
            _defer(conn, c, q, k, stats)
        elif st == X_SLOW:
            q[k, Q_STATUS] = QS_SLOW
            slowq[bm[B_NSLOW]] = k
            bm[B_NSLOW] += 1
        else:
            q[k, Q_STATUS] = QS_DONE
            conn[c, C_NEXEC] += 1
    tm = T[0]
    if tm[T_MIG]:
        migrate(T, lim[config.L_REHASH_PER_BATCH])
    for i in range(nready):
        c = ready[i]
        if not (conn[c, C_FLAGS] & F_SLOW):
            compact_input(conn, c)
        _result_row(conn, c, lim, res, i)
    bm[B_BATCHES] += 1
    return nq
