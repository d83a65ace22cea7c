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
- Inside MULTI a valid request is only answered +QUEUED (`queue_request`);
  its bytes stay in the input buffer from C_TX_START on (compact_input keeps
  them), and EXEC re-parses and runs them in one go (run_batch with nready -1), called
  from the slow path after the batch, so nothing interleaves.
- dispatch.py runs each request (the handlers, arity and error replies,
  maxmemory's evictions).
"""
import numpy as np

from mako_numba.config import settings as config
from mako_numba.commands.family import CF_KEY1, CF_NO_QUEUE, CF_REMAPS_DBS, FN_MIGRATE
from mako_numba.base.jit import call_entry, cycles, i64view, i64view2, kernel, move_bytes, u8view
from mako_numba.observe.latency import NS_SHIFT, record
from mako_numba.base.layout import (
    A_BIG_OUT, A_GROW_IN, A_SHRINK_IN, B_AN, B_BATCHES, B_NEED_ARGS, B_NOW_MS, B_NOW_US, B_NSLOW, B_QN,
    B_SN, C_DB, C_FLAGS, C_IN_ADDR, C_IN_CAP, C_IN_NEED, C_NEXEC, C_OUT_CAP, C_OUT_NEED,
    C_OUT_SENT, C_OUT_WR, C_PS_ARGC, C_PS_POS, C_RD, C_WR,
    F_CLOSE_AFTER, F_CLOSE_NOW, F_DEFERRED, F_UNBLOCKED, F_MULTI, F_PENDING, F_SLOW, C_TX_N, F_WAITS_KERNELS,
    C_TX_START, C_PS_ARGI, C_PS_BULK, Q_END, Q_ARG0, Q_ARGC, Q_CMD, Q_CONN,
    Q_HASH, Q_START, Q_STATUS, QS_DEFERRED, QS_DONE, QS_SLOW, R_ATT, R_SENT, R_WR, S_DEFERRALS, S_NFIELDS,
    F_REPLY_OFF, S_BATCH_CYCLES, S_BATCH_HIST, S_BATCH_REQS, B_TRACED, M_TRACE, Q_NS, H_LAT, F_MONITOR,
    F_REPLY_SKIP, F_REPLY_SKIP_NEXT, LRU_CLOCK_MAX, M_PROP, M_ARGS, M_ATTEND, M_KEYSPACE, M_SLOW,
    T_PROP_NEED, T_PROP_WR, T_POLICY, C_LASTCMD, CMD_PROTO_ERR,
    H_BM, H_CONN, H_FAMS, H_LIM, H_Q, H_READY, H_RES, H_SCRATCH, H_SLOWQ, H_STATS,
)
from mako_numba.store.lfu import FLAG_LFU, LFU_INIT_VAL
from mako_numba.protocol.parser import parse_conn
from mako_numba.protocol.querybuf import next_read, note_read
from mako_numba.commands.respond import X_DEFER, X_DONE, X_SLOW
from mako_numba.base.layout import (
    B_NREADY, C_BATCH_STAMP, C_BLOCK_KEY0, C_BLOCK_MS, C_BLOCK_NKEYS, C_BLOCK_NODE, C_BLOCK_ROW, F_BLOCKED, F_BLOCK_NOW,
    F_BLOCK_TIMED, F_UNBLOCK_ERROR, F_UNBLOCK_TIMEOUT, H_NFIELDS, QS_NEW, T_BLOCK_READY, T_LRU, T_MIG,
)
from mako_numba.store.blockq import bq_add, bq_first, bq_pop, bq_room, bq_unlink
from mako_numba.store.index import key_sip
from mako_numba.store.index import keyspace_wants, prefetch_record, prefetch_slot
from mako_numba.store.table import db_of
from mako_numba.commands.dispatch import X_RUN, execute_logged, queue_request
from mako_numba.commands.frame import frame_arrays, tables


@kernel
def _replay_open(conn, c, pos, end, keep):
    """EXEC: point connection c's parser at its queued bytes [pos, end); its state goes to keep (8)."""
    keep[0] = conn[c, C_RD]
    keep[1] = conn[c, C_WR]
    keep[2] = conn[c, C_PS_ARGC]
    keep[3] = conn[c, C_PS_ARGI]
    keep[4] = conn[c, C_PS_POS]
    keep[5] = conn[c, C_PS_BULK]
    keep[6] = conn[c, C_IN_NEED]
    keep[7] = conn[c, C_FLAGS]
    conn[c, C_RD] = pos
    conn[c, C_WR] = end
    conn[c, C_PS_ARGC] = 0
    conn[c, C_FLAGS] = keep[7] & ~(F_MULTI | F_SLOW | F_PENDING | F_DEFERRED)


@kernel
def _replay_close(conn, c, q, nq, k, res):
    """EXEC: after one parse-and-run step; restores c's parser and says what Python must do.

    Returns 0 when every parsed request ran (continue at res[0, 1]); 1 when
    q row res[0, 0] is a slow-path command for Python, to resume after it;
    2 when a request (row res[0, 0], or none parsed) needs memory (argument
    rows, output room), to resume at res[0, 1] once Python supplied it.
    """
    keep = res[0, 2:]               # what _replay_open saved
    status = 0
    nxt = conn[c, C_RD]
    if nq == 0:
        status = 2                  # more argument rows (B_NEED_ARGS); nothing was parsed
    elif k >= 0 and q[k, Q_STATUS] == QS_SLOW:
        status = 1
        nxt = q[k, Q_END]
    elif k >= 0:
        status = 2
        nxt = q[k, Q_START]
    conn[c, C_RD] = keep[0]
    conn[c, C_WR] = keep[1]
    conn[c, C_PS_ARGC] = keep[2]
    conn[c, C_PS_ARGI] = keep[3]
    conn[c, C_PS_POS] = keep[4]
    conn[c, C_PS_BULK] = keep[5]
    conn[c, C_IN_NEED] = keep[6]
    conn[c, C_FLAGS] = keep[7] | (conn[c, C_FLAGS] & (F_CLOSE_AFTER | F_CLOSE_NOW | F_WAITS_KERNELS))
    res[0, 0] = k                   # the slow or deferred row; -1: all ran
    res[0, 1] = nxt
    return status


@kernel(inline=True)
def _reply_mode(conn, c, fl, wr0):
    """After a request: drop its reply under CLIENT REPLY OFF|SKIP; a SKIP lasts one request."""
    if fl & (F_REPLY_OFF | F_REPLY_SKIP):
        conn[c, C_OUT_WR] = wr0
    f = conn[c, C_FLAGS]
    if f & (F_REPLY_SKIP | F_REPLY_SKIP_NEXT):         # rare: leave the flags alone otherwise
        f &= ~F_REPLY_SKIP
        if f & F_REPLY_SKIP_NEXT:
            f = (f | F_REPLY_SKIP) & ~F_REPLY_SKIP_NEXT
        conn[c, C_FLAGS] = f


@kernel
def _defer(conn, c, q, k, stats):
    conn[c, C_FLAGS] = (conn[c, C_FLAGS] | F_DEFERRED | F_PENDING) & ~F_SLOW
    conn[c, C_RD] = q[k, Q_START]
    conn[c, C_PS_ARGC] = 0
    q[k, Q_STATUS] = QS_DEFERRED
    stats[S_DEFERRALS] += 1


@kernel
def compact_input(conn, c):
    """Move an unfinished request (and a transaction's queued ones) to the front."""
    rd = conn[c, C_RD]
    wr = conn[c, C_WR]
    keep = rd
    if conn[c, C_FLAGS] & F_MULTI and conn[c, C_TX_N] > 0:
        keep = min(rd, conn[c, C_TX_START])
    if keep == 0:
        return
    if keep >= wr:
        conn[c, C_RD] = 0
        conn[c, C_WR] = 0
        return
    move_bytes(conn[c, C_IN_ADDR], conn[c, C_IN_ADDR] + keep, wr - keep)
    conn[c, C_RD] = rd - keep
    conn[c, C_WR] = wr - keep
    if conn[c, C_FLAGS] & F_MULTI and conn[c, C_TX_N] > 0:
        conn[c, C_TX_START] -= keep
    if conn[c, C_PS_ARGC] > 0:
        conn[c, C_PS_POS] -= keep


@kernel
def _result_row(conn, c, lim, res, i):
    """Tell Python what slot c needs: bytes to send, and anything unusual."""
    fl = conn[c, C_FLAGS]
    att = fl & (F_PENDING | F_SLOW | F_CLOSE_AFTER | F_CLOSE_NOW | F_DEFERRED | F_BLOCK_TIMED)
    if fl & F_BLOCK_NOW and conn[c, C_BLOCK_NODE] != 0:
        att &= ~(F_PENDING | F_DEFERRED)        # it waits in line (store/blockq.py): nothing to do
    next_read(conn, c)              # Redis's next read: how much it may bring (querybuf.py)
    if conn[c, C_IN_NEED] > conn[c, C_IN_CAP] - conn[c, C_RD]:
        att |= A_GROW_IN
    elif conn[c, C_WR] == conn[c, C_IN_CAP] and conn[c, C_RD] == conn[c, C_WR]:
        conn[c, C_IN_NEED] = 1        # full of a transaction's queued requests
        att |= A_GROW_IN
    elif conn[c, C_WR] == 0 and conn[c, C_IN_CAP] > 4 * lim[config.L_IN_DEFAULT]:
        att |= A_SHRINK_IN
    if conn[c, C_OUT_CAP] > 4 * lim[config.L_OUT_DEFAULT]:
        att |= A_BIG_OUT
    res[i, R_SENT] = conn[c, C_OUT_SENT]
    res[i, R_WR] = conn[c, C_OUT_WR]
    res[i, R_ATT] = att


@kernel(inline=True)
def _prefetch_slot(T, conn, q, args, flags, k):
    """Hash row k's key (argument 1) into Q_HASH and start loading its index slot."""
    ci = q[k, Q_CMD]
    if ci >= 0 and flags[ci] & CF_KEY1 and q[k, Q_ARGC] >= 2:
        a = q[k, Q_ARG0] + 1
        db = db_of(T, conn[q[k, Q_CONN], C_DB])
        q[k, Q_HASH] = np.int64(prefetch_slot(T, db, args[a, 0], args[a, 1]))


@kernel(inline=True)
def _timed(lim, q, k, lat, stats, mult, t_prev):
    """Row k's time since t_prev, if it ran: into Q_NS, commandstats and its histogram; returns now."""
    t = cycles()
    if q[k, Q_NS]:
        ns = ((t - t_prev) * mult) >> NS_SHIFT
        ci = q[k, Q_CMD]
        q[k, Q_NS] = ns + 1
        stats[S_NFIELDS + 3 * lat.shape[0] + ci] += ns
        if lim[config.L_LATENCY]:
            record(lat, ci, ns)
    return t


@kernel
def _register(T, conn, c, args):
    """The blocked request of c waits on its keys (store/blockq.py); False when the table has
    no room (Python gives a bigger one, and the request is tried again)."""
    tm = T[0]
    if conn[c, C_BLOCK_NODE] != 0:
        return True                 # tried again and blocked on: it keeps its place in line
    k0 = conn[c, C_BLOCK_KEY0]
    n = conn[c, C_BLOCK_NKEYS]
    if not bq_room(tm, n):
        return False
    pdb = db_of(T, conn[c, C_DB])
    for r in range(k0, k0 + n):
        bq_add(tm, conn, c, key_sip(tm, args[r, 0], args[r, 1]), pdb)
    if conn[c, C_BLOCK_MS] > 0:
        conn[c, C_FLAGS] |= F_BLOCK_TIMED
    return True


@kernel
def _unregister(T, conn, c):
    """c's blocked request was answered: out of line."""
    bq_unlink(T[0], conn, c, True)
    conn[c, C_FLAGS] &= ~(F_BLOCKED | F_UNBLOCK_TIMEOUT | F_UNBLOCK_ERROR | F_UNBLOCKED | F_BLOCK_TIMED
                          | F_BLOCK_NOW)


@kernel(inline=True)
def _enter_batch(conn, c):
    """Connection c takes part in this batch: its per-batch state starts afresh."""
    fl = conn[c, C_FLAGS]
    conn[c, C_FLAGS] = fl & ~(F_SLOW | F_PENDING | F_DEFERRED | F_BLOCK_NOW)
    conn[c, C_NEXEC] = 0
    conn[c, C_OUT_NEED] = 0
    if conn[c, C_OUT_SENT] == conn[c, C_OUT_WR]:
        conn[c, C_OUT_SENT] = 0
        conn[c, C_OUT_WR] = 0
    return fl


@kernel
def _parse_into(conn, c, q, bm, args, scratch, lim, cmdt, stamp):
    """Queue c's buffered requests; note the row of its blocked request, if it is blocked."""
    r0 = bm[B_QN]
    note_read(conn, c)
    parse_conn(conn, c, q, bm, args, scratch, lim, cmdt)
    conn[c, C_BATCH_STAMP] = stamp
    conn[c, C_BLOCK_ROW] = r0 if conn[c, C_BLOCK_NODE] != 0 and bm[B_QN] > r0 else -1


@kernel
def _wake(T, conn, q, bm, args, scratch, lim, cmdt, ready, stamp):
    """A key clients wait on was written: the row of the first in line, to run next
    (Redis serves blocked clients before the next command); -1 when none is left.
    -2: it cannot run in this batch (no queue room for its request): the rest of the
    batch waits, and Python runs it first next turn."""
    tm = T[0]
    while tm[T_BLOCK_READY]:
        c = bq_first(tm)
        if c < 0:
            return -1
        if conn[c, C_FLAGS] & (F_CLOSE_AFTER | F_CLOSE_NOW):
            _unregister(T, conn, c)         # going: the next in line
            continue
        if conn[c, C_BATCH_STAMP] == stamp:
            r = conn[c, C_BLOCK_ROW]        # its requests are rows of this batch already
            if r < 0:
                return -2
        else:
            _enter_batch(conn, c)
            r = bm[B_QN]
            _parse_into(conn, c, q, bm, args, scratch, lim, cmdt, stamp)
            if conn[c, C_BLOCK_ROW] != r:
                return -2
            ready[bm[B_NREADY]] = c         # its reply is sent with the batch's
            bm[B_NREADY] += 1
        bq_pop(tm)
        conn[c, C_FLAGS] &= ~(F_DEFERRED | F_PENDING | F_BLOCK_NOW)
        q[r, Q_STATUS] = QS_NEW
        return r
    return -1


@kernel(inline=True)
def _after_woken(conn, c, q, k):
    """A woken client's request was answered: what follows it is parsed anew next turn."""
    conn[c, C_RD] = q[k, Q_END]
    conn[c, C_PS_ARGC] = 0
    if conn[c, C_RD] < conn[c, C_WR]:
        conn[c, C_FLAGS] |= F_DEFERRED | F_PENDING


@kernel(inline=True)
def exec_rows(T, lim, conn, q, nq, args, bm, cmdt, lits, stats, lat, slowq, replay, h, fams,
              scratch, ready):
    """Execute queue rows 0..nq-1, the only place `execute` (in execute_logged) is inlined.

    A batch (replay False) marks each row done, slow (queued for Python in
    slowq) or deferred, and returns -1.  EXEC's replay (True) skips the
    commands a transaction does not queue, has no per-turn output bound,
    and stops at the first slow or deferred row, returning its index
    (-1 when all ran).  Rows to trace (MONITOR, SLOWLOG: lim[L_MONITOR],
    lim[L_TRACE_NS]) are counted in bm[B_TRACED].

    Blocked clients (a batch only): a blocking command that blocks is
    registered in the blocked-keys table (store/blockq.py), and after a row
    that wrote a key someone waits on, the first in line runs next (`_wake`:
    its blocked request, parsed into rows after the batch's if it was not
    in the batch); served, it writes the key again while elements remain,
    which wakes the next.  Rows run out of order are skipped when their
    turn comes (Q_STATUS no longer QS_NEW).

    Timing (lim[L_NS_MULT] set: latency-tracking or a slow log): one read of
    the cycle counter per row, so a row's time runs from the end of the row
    before to the end of its own (its share of the loop, prefetches
    included); it goes to q[k, Q_NS] (1 + ns) and, with latency-tracking,
    to its command's histogram.
    """
    flags = cmdt[5]
    now = bm[B_NOW_MS]
    tm = T[0]
    stamp = bm[B_BATCHES] + 1
    # Over a large key space each GET or SET waits on two cache misses: its
    # index slot, then its record.  While row k runs, the slot of row
    # k + d_slot and the record of row k + d_rec are already on their way
    # (config.PREFETCH_*), so the misses overlap.  Only hints: rows are
    # looked up as usual (GET and SET reuse the hash, Q_HASH).
    d_slot = 0 if replay else lim[config.L_PREFETCH_SLOT]
    d_rec = lim[config.L_PREFETCH_RECORD]
    for j in range(min(nq, d_slot)):
        _prefetch_slot(T, conn, q, args, flags, j)
    trace_ns = lim[config.L_TRACE_NS]
    if lim[config.L_MONITOR]:
        trace_ns = 0
    mult = lim[config.L_NS_MULT]
    t_prev = cycles() if mult else 0
    prio = -1                       # a woken client's row, to run next
    stuck = False                   # ... that could not be queued: the rest waits
    if not replay and tm[T_BLOCK_READY]:
        prio = _wake(T, conn, q, bm, args, scratch, lim, cmdt, ready, stamp)
        stuck = prio == -2
    seq = 0
    while True:
        woken = prio >= 0
        if woken:
            k = prio
            prio = -1
        elif seq < bm[B_QN]:
            k = seq
            seq += 1
            if q[k, Q_STATUS] != QS_NEW:
                continue            # a woken client's, run already
        else:
            break
        q[k, Q_NS] = 0
        if d_slot:
            if seq - 1 + d_slot < nq:
                _prefetch_slot(T, conn, q, args, flags, seq - 1 + d_slot)
            j = seq - 1 + d_rec
            if j < nq and q[j, Q_HASH] != 0:
                prefetch_record(T, np.uint64(q[j, Q_HASH]))
        c = q[k, Q_CONN]
        if replay:
            ci = q[k, Q_CMD]
            if ci >= 0 and flags[ci] & CF_NO_QUEUE:
                continue
            conn[c, C_NEXEC] = 0        # EXEC's reply is one piece
            st = execute_logged(T, lim, conn, q, k, cmdt, lits, stats, now, replay, h, fams)
            if mult:
                t_prev = _timed(lim, q, k, lat, stats, mult, t_prev)
            if trace_ns >= 0 and q[k, Q_NS] > trace_ns:
                bm[B_TRACED] += 1
            if st == X_DEFER or st == X_SLOW:
                q[k, Q_STATUS] = QS_SLOW if st == X_SLOW else QS_DEFERRED
                return k
            continue
        if conn[c, C_FLAGS] & F_DEFERRED:
            q[k, Q_STATUS] = QS_DEFERRED
            continue
        if stuck:
            # a woken client could not be queued: Redis serves it before the next command,
            # so the rest of the batch waits for Python to run it first
            _defer(conn, c, q, k, stats)
            stats[S_DEFERRALS] -= 1
            continue
        st = X_RUN
        fl = conn[c, C_FLAGS]
        if fl & F_MONITOR and conn[c, C_NEXEC] > 0:
            _defer(conn, c, q, k, stats)    # one request a batch: its MONITOR line follows its reply
            stats[S_DEFERRALS] -= 1
            continue
        wr0 = conn[c, C_OUT_WR]
        if fl & F_MULTI:
            st = queue_request(T, conn, c, lim, q, k, cmdt, lits, stats, now, h, fams)
        if st == X_RUN:
            st = execute_logged(T, lim, conn, q, k, cmdt, lits, stats, now, replay, h, fams)
        if mult:
            t_prev = _timed(lim, q, k, lat, stats, mult, t_prev)
        if trace_ns >= 0 and q[k, Q_NS] > trace_ns:
            bm[B_TRACED] += 1
        if st == X_DONE and q[k, Q_CMD] >= 0 and cmdt[5][q[k, Q_CMD]] & CF_REMAPS_DBS:
            q[k + 1:bm[B_QN], Q_HASH] = 0     # the prefetched hashes were for the old databases
        if st == X_DONE and (fl | conn[c, C_FLAGS]) & (F_REPLY_OFF | F_REPLY_SKIP | F_REPLY_SKIP_NEXT):
            _reply_mode(conn, c, fl, wr0)
        if st == X_DEFER:
            _defer(conn, c, q, k, stats)
            if conn[c, C_FLAGS] & F_BLOCK_NOW:     # blocked (else deferred for memory: Python
                conn[c, C_LASTCMD] = q[k, Q_CMD]    # gives it, and it runs again); a blocked
                conn[c, C_BLOCK_ROW] = k            # client's cmd= is its command
                if not _register(T, conn, c, args):
                    conn[c, C_FLAGS] &= ~(F_BLOCKED | F_BLOCK_NOW)  # an ordinary deferral until there is room
        else:
            if conn[c, C_BLOCK_NODE] != 0:
                _unregister(T, conn, c)     # its blocked request was answered
            elif conn[c, C_FLAGS] & F_UNBLOCKED:
                conn[c, C_FLAGS] &= ~(F_BLOCKED | F_UNBLOCKED | F_UNBLOCK_TIMEOUT | F_UNBLOCK_ERROR)
            if woken:
                _after_woken(conn, c, q, k)
            if st == X_SLOW:
                q[k, Q_STATUS] = QS_SLOW
                slowq[bm[B_NSLOW]] = k
                bm[B_NSLOW] += 1
            else:
                q[k, Q_STATUS] = QS_DONE
                conn[c, C_NEXEC] += 1
                ci = q[k, Q_CMD]
                if ci != CMD_PROTO_ERR:
                    conn[c, C_LASTCMD] = ci     # CLIENT LIST's cmd= (Redis's lastcmd); slow path: admin.py
        if tm[T_BLOCK_READY] and not stuck:
            prio = _wake(T, conn, q, bm, args, scratch, lim, cmdt, ready, stamp)
            stuck = prio == -2
    return -1


@kernel(entry=True)
def run_batch(haddr, nready):
    """Parse, execute and tidy one batch; returns the M_* work left for Python (0: none).

    `haddr` is the address of the handle array of the arrays that never move
    (jit.handles: lim, conn, ready, q, bm, scratch, the command tables, the
    literals, stats, slowq, res, the families' entry addresses); T (the key
    space) and args may be replaced between calls, and Python writes where
    they are into bm's frame (commands/frame.py).  bm[B_NOW_US] is the
    batch's clock.  Row i of `res` describes ready[i] afterwards (R_*
    columns).  Two int64s in, one out: the server's turn kernel
    (server/netio.py) calls it by address, as the batch calls a family.

    With nready -1 it is one step of EXEC's replay instead (in the same
    kernel, so the executor is compiled and inlined once): the requests
    queued in connection ready[0]'s bytes [ready[1], ready[2]) are parsed
    into q, args and scratch private to EXEC, and run until one needs
    Python; returns _replay_close's status.  `res` is then a (1, 10) array.
    """
    h = i64view(haddr, H_NFIELDS)
    lim = i64view(h[H_LIM], h[H_LIM + 1])
    conn = i64view2(h[H_CONN], h[H_CONN + 1], h[H_CONN + 2])
    ready = i64view(h[H_READY], h[H_READY + 1])
    q = i64view2(h[H_Q], h[H_Q + 1], h[H_Q + 2])
    bm = i64view(h[H_BM], h[H_BM + 1])
    scratch = u8view(h[H_SCRATCH], h[H_SCRATCH + 1])
    cmdt, lits = tables(h)
    stats = i64view(h[H_STATS], h[H_STATS + 1])
    slowq = i64view(h[H_SLOWQ], h[H_SLOWQ + 1])
    res = i64view2(h[H_RES], h[H_RES + 1], h[H_RES + 2])
    lat = i64view2(h[H_LAT], h[H_LAT + 1], h[H_LAT + 2])
    fams = i64view(h[H_FAMS], h[H_FAMS + 1])
    T, args = frame_arrays(bm)
    t_batch = cycles()
    bm[B_TRACED] = 0
    bm[B_NOW_MS] = bm[B_NOW_US] // 1000
    if T[0][T_POLICY] & FLAG_LFU:       # new keys' access field: LFU minutes and initial count
        T[0][T_LRU] = (((bm[B_NOW_US] // 60_000_000) & 0xFFFF) << 8) | LFU_INIT_VAL
    else:
        T[0][T_LRU] = (bm[B_NOW_US] // 1_000_000) & LRU_CLOCK_MAX
    bm[B_QN] = 0
    bm[B_AN] = 0
    bm[B_SN] = 0
    if nready < 0:
        c = ready[0]
        _replay_open(conn, c, ready[1], ready[2], res[0, 2:])
        parse_conn(conn, c, q, bm, args, scratch, lim, cmdt)
    else:
        bm[B_NSLOW] = 0
        bm[B_NEED_ARGS] = 0
        bm[B_NREADY] = nready
        stamp = bm[B_BATCHES] + 1
        for i in range(nready):
            c = ready[i]
            fl = _enter_batch(conn, c)
            if fl & (F_CLOSE_AFTER | F_CLOSE_NOW):
                conn[c, C_BATCH_STAMP] = stamp
                conn[c, C_BLOCK_ROW] = -1
                continue
            _parse_into(conn, c, q, bm, args, scratch, lim, cmdt, stamp)
    nq = bm[B_QN]
    k = exec_rows(T, lim, conn, q, nq, args, bm, cmdt, lits, stats, lat, slowq, nready < 0, h, fams,
                  scratch, ready)
    nq = bm[B_QN]                       # (with the requests of woken clients)
    if nready < 0:
        return _replay_close(conn, ready[0], q, nq, k, res)
    tm = T[0]
    if tm[T_MIG] and fams[FN_MIGRATE] != 0:     # (engine/storecalls.py; 0 while compiling)
        call_entry(fams[FN_MIGRATE], haddr, lim[config.L_REHASH_PER_BATCH])
    nready = bm[B_NREADY]
    if bm[B_TRACED]:
        mask = M_TRACE                  # Python reads the rows' arguments, then finish_traced
    else:
        mask = _finish(conn, lim, ready, nready, res)
    bm[B_BATCHES] += 1
    if nq:
        stats[S_BATCH_REQS] += nq
        b = 0
        while (1 << b) < nq:
            b += 1
        stats[S_BATCH_HIST + b] += 1
    if bm[B_NSLOW]:
        mask |= M_SLOW
    if bm[B_NEED_ARGS]:
        mask |= M_ARGS
    if keyspace_wants(T):
        mask |= M_KEYSPACE
    if tm[T_PROP_WR] or tm[T_PROP_NEED]:
        mask |= M_PROP
    stats[S_BATCH_CYCLES] += cycles() - t_batch
    return mask


@kernel
def _finish(conn, lim, ready, nready, res):
    """Tidy each ready connection's input and fill its result row; M_ATTEND or 0."""
    mask = 0
    for i in range(nready):
        c = ready[i]
        if not (conn[c, C_FLAGS] & F_SLOW):
            compact_input(conn, c)
        _result_row(conn, c, lim, res, i)
        if res[i, R_ATT]:
            mask = M_ATTEND
    return mask


@kernel(entry=True)
def finish_traced(h, nready):
    """The end of a batch that returned M_TRACE, once Python has read its rows."""
    lim = i64view(h[H_LIM], h[H_LIM + 1])
    conn = i64view2(h[H_CONN], h[H_CONN + 1], h[H_CONN + 2])
    ready = i64view(h[H_READY], h[H_READY + 1])
    res = i64view2(h[H_RES], h[H_RES + 1], h[H_RES + 2])
    return _finish(conn, lim, ready, nready, res)
