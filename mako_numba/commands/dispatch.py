"""Per-request dispatch: one queued request checked, then run by its command's handler.

`execute` runs one row of the request queue: protocol errors, arity,
NOAUTH and MONITOR checks, eviction, then the dispatch function of the
command's family (commands/family.py), which runs the handler for its op.
engine.exec_rows calls it through `execute_logged`, which adds the
append-only log's part; inside MULTI, `queue_request` answers +QUEUED
instead.  Handlers return X_DONE, X_DEFER or X_SLOW (see engine.py for what
the batch does with each).

Rules and theory:
- The checks, the arity check and the error writers are shared by all
  commands; what a command does is its family's, run by the family's entry
  kernel, which is compiled apart and called by address (commands/frame.py):
  this module imports no family, so adding one recompiles nothing here.
- maxmemory (evict.py): while tm[T_MAXMEM] is set, every command first
  evicts what the policy allows; a denyoom command that finds nothing to
  evict is answered -OOM.  With no limit this is one load and branch.
"""
from mako_numba.commands.family import (
    CF_CONTAINER, CF_DENYOOM, CF_NO_AUTH, CF_NO_MULTI, CF_NO_QUEUE, CF_READONLY, CF_STORES_ARG, CF_WRITE,
    family_of, FN_EVICT,
)
from mako_numba.protocol.parsebase import OP_SLOW
from mako_numba.protocol.errors import LIT_NO_MULTI, LIT_NOAUTH, LIT_OOM, LIT_QUEUED, LIT_REPLICA_KEYSPACE
from mako_numba.base.jit import call_entry, kernel, u8view
from mako_numba.base.layout import (
    C_FLAGS, C_OUT_WR, CMD_PROTO_ERR, CMD_UNKNOWN, F_CLOSE_AFTER, F_MULTI, F_TX_CAS, F_TX_DENYOOM, F_TX_DIRTY,
    C_TX_N, C_TX_START, Q_ARGC, Q_CMD, Q_CONN, Q_ERR, Q_ERRARG, Q_START,
    S_COMMANDS, S_ERR_UNBLOCKED, S_ERR_WRONGTYPE, S_ERRORS, S_NFIELDS, S_PROTO_ERRORS, C_OUT_ADDR, Q_NS, F_MONITOR,
    T_PROP_HELD, F_NOAUTH, S_NOAUTH, T_MAXMEM, S_OOM, T_TX_SERIAL, T_TX_STAMP, T_TX_STAMPED,
    F_WAITS_KERNELS, C_DB, C_HQ, C_HQ_AT, Q_ARG0, Q_HASH,
)
from mako_numba.store.effects import effect_room, propagating
from mako_numba.store.table import db_of
from mako_numba.store.evict import EVICT_FAIL, EVICT_NO_LOG, EVICT_OK
from mako_numba.commands.respond import X_DEFER, X_DONE, X_SLOW, reply_arity, reply_lit, reply_proto_error


@kernel(inline=True)
def count_error(stats, ncmd, ci, rejected):
    """An error reply: the total, and the command's failed or rejected calls."""
    stats[S_ERRORS] += 1
    if ci >= 0:
        stats[S_NFIELDS + (2 if rejected else 1) * ncmd + ci] += 1


@kernel
def reject(conn, c, lim, lits, stats, ncmd, ci, lit, counter):
    """Refuse command ci before it runs, as Redis's rejectCommand: reply lit (NOAUTH, OOM),
    count it in stats[counter] and as a rejected call, and flag an open transaction."""
    st = reply_lit(conn, c, lim, lits, lit)
    if st == X_DONE:
        stats[counter] += 1
        stats[S_NFIELDS + 2 * ncmd + ci] += 1
        if conn[c, C_FLAGS] & F_MULTI:
            conn[c, C_FLAGS] |= F_TX_DIRTY
    return st


@kernel(inline=True)
def bad_arity(arity, ci, argc):
    ar = arity[ci]
    return (ar > 0 and argc != ar) or argc < -ar


EVICT_WAIT = -1         # the eviction kernel is still compiling (a first start)


@kernel(inline=True)
def evict(fams, h, now):
    """store/evict.py's perform_evictions, called by address (engine/storecalls.py); EVICT_WAIT if not loaded."""
    addr = fams[FN_EVICT]
    if addr == 0:
        return EVICT_WAIT
    return call_entry(addr, h.ctypes.data, now)


@kernel(inline=True)
def wait_for_kernels(conn, c):
    """Defer the request until the kernels it needs are loaded: Python parks the connection."""
    conn[c, C_FLAGS] |= F_WAITS_KERNELS
    return X_DEFER


@kernel(inline=True)
def execute(T, lim, conn, q, k, cmdt, lits, stats, now, replay, h, fams):
    """Run queued request k; X_DONE, X_DEFER or X_SLOW.  Counts its error reply, if any.

    After the checks, the request's family runs it: the entry kernel at
    fams[family] is called with (h's address, k) (commands/frame.py); a
    family whose entry is not loaded yet (0: it is still compiling at a first
    start, server/prepare.py) defers the request with F_WAITS_KERNELS set, and
    Python parks the connection until it is loaded.  A command that ran gets
    q[k, Q_NS] = 1 (exec_rows replaces it with its time).
    """
    names, noff, nlen, arity, op, flags, htab = cmdt
    c = q[k, Q_CONN]
    ci = q[k, Q_CMD]
    wr0 = conn[c, C_OUT_WR]
    if ci == CMD_PROTO_ERR:
        st = reply_proto_error(conn, c, lim, lits, q[k, Q_ERR], q[k, Q_ERRARG])
        if st == X_DONE:
            conn[c, C_FLAGS] |= F_CLOSE_AFTER
            stats[S_PROTO_ERRORS] += 1
            count_error(stats, arity.shape[0], ci, False)
        return st
    if ci == CMD_UNKNOWN:
        return X_SLOW
    argc = q[k, Q_ARGC]
    o = op[ci]
    if o == OP_SLOW:
        return X_SLOW               # the slow path checks its own arity (EXEC's is an EXECABORT)
    if bad_arity(arity, ci, argc):
        st = reply_arity(conn, c, lim, lits, cmdt, ci)
        if st == X_DONE:
            count_error(stats, arity.shape[0], ci, True)
        return st
    fl = conn[c, C_FLAGS]
    if fl & (F_MONITOR | F_NOAUTH):       # one test for both on the common path
        if fl & F_NOAUTH and not flags[ci] & CF_NO_AUTH:
            return reject(conn, c, lim, lits, stats, arity.shape[0], ci, LIT_NOAUTH, S_NOAUTH)
        if fl & F_MONITOR and flags[ci] & (CF_WRITE | CF_READONLY):
            st = reply_lit(conn, c, lim, lits, LIT_REPLICA_KEYSPACE)
            if st == X_DONE:
                count_error(stats, arity.shape[0], ci, True)
            return st
    # maxmemory: evict before the command, refuse a denyoom one if that fails.  Not
    # inside EXEC (replay): Redis evicts once before EXEC, never between its commands.
    if T[0][T_MAXMEM] != 0 and not replay:
        ev = evict(fams, h, now)
        if ev == EVICT_WAIT:
            return wait_for_kernels(conn, c)
        if ev == EVICT_NO_LOG:
            return X_DEFER
        if ev == EVICT_FAIL and flags[ci] & CF_DENYOOM:
            return reject(conn, c, lim, lits, stats, arity.shape[0], ci, LIT_OOM, S_OOM)
    addr = fams[family_of(o)]
    if addr == 0:                   # its family is still compiling: the connection waits for it
        return wait_for_kernels(conn, c)
    # the first key's hash the batch computed (Q_HASH) saves its lookup a SipHash (respond.known_hash)
    conn[c, C_HQ] = q[k, Q_HASH]
    conn[c, C_HQ_AT] = (q[k, Q_ARG0] + 1) | (db_of(T, conn[c, C_DB]) << 32)
    st = call_entry(addr, h.ctypes.data, k)
    conn[c, C_HQ] = 0
    if st == X_DONE:
        stats[S_COMMANDS] += 1
        stats[S_NFIELDS + ci] += 1
        if conn[c, C_OUT_WR] > wr0 and u8view(conn[c, C_OUT_ADDR] + wr0, 1)[0] == 45:   # '-'
            count_error(stats, arity.shape[0], ci, False)
            code = u8view(conn[c, C_OUT_ADDR] + wr0 + 1, 1)[0]     # errorstats by the code
            if code == 87:                                          # 'W': WRONGTYPE
                stats[S_ERR_WRONGTYPE] += 1
            elif code == 85:                                        # 'U': UNBLOCKED
                stats[S_ERR_UNBLOCKED] += 1
        q[k, Q_NS] = 1
    return st


@kernel(inline=True)
def execute_logged(T, lim, conn, q, k, cmdt, lits, stats, now, replay, h, fams):
    """execute, and the propagation stream's part when it is on (a consumer attached).

    First the room check (no room: X_DEFER, and Python hands the stream to its
    consumers or grows it before the next turn); if the request changes the
    data set (tm[T_DIRTY] moves), its family's entry kernel puts its effect
    into the stream (commands/frame.py).
    """
    tm = T[0]
    streaming = propagating(tm) and q[k, Q_CMD] >= 0
    if streaming and not effect_room(tm, q, k):
        return X_DEFER
    if replay:
        _tx_stamp(tm, cmdt[5], q[k, Q_CMD])
    st = execute(T, lim, conn, q, k, cmdt, lits, stats, now, replay, h, fams)
    if replay:
        tm[T_TX_STAMP] = 0
    if streaming:
        tm[T_PROP_HELD] = 0
    return st


@kernel(inline=True)
def _tx_stamp(tm, flags, ci):
    """In EXEC, a command that stores its own argument object (CF_STORES_ARG) stamps what it
    stores: the transaction (its argv) holds that object until EXEC ends, and so does the
    pending propagation when the stream is on (OBJECT REFCOUNT 2 or 3)."""
    if ci >= 0 and flags[ci] & CF_STORES_ARG:
        tm[T_TX_STAMP] = (tm[T_TX_SERIAL] << 1) | (1 if propagating(tm) else 0)
        tm[T_TX_STAMPED] = 1


X_RUN = -1     # queue_request: not queued, run it now


@kernel
def queue_request(T, conn, c, lim, q, k, cmdt, lits, stats, now, h, fams):
    """Inside MULTI: answer +QUEUED, or reject (EXEC will abort), or X_RUN; or X_SLOW for
    what admin.py checks and queues (unknown and container commands, slow-path arity errors).

    When maxmemory is reached and nothing can be evicted, every command that
    would be queued is refused with -OOM, as Redis 7.0 does (queuing itself
    takes memory).
    """
    names, noff, nlen, arity, op, flags, htab = cmdt
    ci = q[k, Q_CMD]
    if ci == CMD_PROTO_ERR:
        return X_RUN
    if ci == CMD_UNKNOWN:
        return X_SLOW               # the slow path answers and flags the transaction
    if op[ci] == OP_SLOW and (flags[ci] & CF_CONTAINER or bad_arity(arity, ci, q[k, Q_ARGC])):
        return X_SLOW               # the slow path checks the subcommand or the arity, then queues
    if bad_arity(arity, ci, q[k, Q_ARGC]):
        st = reply_arity(conn, c, lim, lits, cmdt, ci)
        if st == X_DONE:
            conn[c, C_FLAGS] |= F_TX_DIRTY
            count_error(stats, arity.shape[0], ci, True)
        return st
    if conn[c, C_FLAGS] & F_NOAUTH and not flags[ci] & CF_NO_AUTH:
        if op[ci] == OP_SLOW:
            return X_SLOW           # the slow path refuses it (EXEC answers EXECABORT)
        return reject(conn, c, lim, lits, stats, arity.shape[0], ci, LIT_NOAUTH, S_NOAUTH)
    if flags[ci] & CF_NO_QUEUE:
        return X_RUN
    if flags[ci] & CF_NO_MULTI:
        st = reply_lit(conn, c, lim, lits, LIT_NO_MULTI)
        if st == X_DONE:
            conn[c, C_FLAGS] |= F_TX_DIRTY
            count_error(stats, arity.shape[0], ci, True)
        return st
    ev = evict(fams, h, now) if T[0][T_MAXMEM] != 0 else EVICT_OK
    if ev == EVICT_WAIT:
        return wait_for_kernels(conn, c)
    if ev == EVICT_NO_LOG:
        return X_DEFER
    if ev == EVICT_FAIL:
        return reject(conn, c, lim, lits, stats, arity.shape[0], ci, LIT_OOM, S_OOM)
    st = reply_lit(conn, c, lim, lits, LIT_QUEUED)
    if st == X_DONE and not conn[c, C_FLAGS] & (F_TX_DIRTY | F_TX_CAS):   # Redis queues no more once dirty
        if flags[ci] & CF_DENYOOM:
            conn[c, C_FLAGS] |= F_TX_DENYOOM     # Redis's mstate.cmd_flags, for EXEC's OOM check
        if conn[c, C_TX_N] == 0:
            conn[c, C_TX_START] = q[k, Q_START]
        conn[c, C_TX_N] += 1
    return st
