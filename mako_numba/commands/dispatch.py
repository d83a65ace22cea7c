"""Per-request dispatch: one queued request checked, then run by its command's handler.

`execute` runs one row of the request queue: protocol errors, arity,
NOAUTH and MONITOR checks, eviction, then the handler for the command's op.
engine.exec_rows calls it through `execute_logged`, which adds the
append-only log's part; inside MULTI, `queue_request` answers +QUEUED
instead.  Handlers return X_DONE, X_DEFER or X_SLOW (see engine.py for what
the batch does with each).

Rules and theory:
- Every branch is a thin wrapper over the table's generic operations; the
  arity check and the error writers are shared by all commands.
- maxmemory (evict.py): while tm[T_MAXMEM] is set, every command first
  evicts what the policy allows; a denyoom command that finds nothing to
  evict is answered -OOM.  With no limit this is one load and branch.
"""
from mako_numba.commands.registry import (
    OP_APPEND, OP_DBSIZE, OP_DECR, OP_DECRBY, OP_DEL, OP_ECHO, OP_EXISTS, OP_EXPIRE, OP_EXPIREAT,
    OP_EXPIRETIME, OP_GET, OP_GETDEL, OP_GETEX, OP_GETRANGE, OP_GETSET, OP_INCR, OP_INCRBY, OP_MGET,
    OP_MSET, OP_MSETNX, OP_PERSIST, OP_PEXPIRE, OP_PEXPIREAT, OP_PEXPIRETIME, OP_PING,
    OP_PSETEX, OP_PTTL, OP_QUIT, OP_SET, OP_SETEX, OP_SETNX, OP_SETRANGE, OP_SLOW, OP_STRLEN,
    OP_COPY, OP_KEYS, OP_MOVE, OP_RANDOMKEY, OP_RENAME, OP_RENAMENX, OP_SCAN, OP_SWAPDB, OP_TIME,
    OP_TOUCH, OP_TTL, OP_TYPE, OP_MULTI, OP_SETBIT, OP_GETBIT, OP_BITCOUNT, CF_NO_MULTI,
    CF_READONLY, CF_WRITE,
    CF_NO_QUEUE, CF_NO_AUTH, CF_DENYOOM, CF_CONTAINER,
)
from mako_numba.commands.bitops import x_bitcount, x_getbit, x_setbit
from mako_numba.protocol.errors import (
    LIT_MULTI_NESTED, LIT_NO_MULTI, LIT_NOAUTH, LIT_OK, LIT_OOM, LIT_PONG, LIT_QUEUED,
    LIT_REPLICA_KEYSPACE,
)
from mako_numba.base.jit import kernel, u8view
from mako_numba.commands.keys.generic import (
    x_copy, x_del_exists, x_expire, x_move, x_persist, x_rename, x_swapdb, x_time, x_touch,
    x_ttl, x_type,
)
from mako_numba.base.layout import (
    C_DB, C_FLAGS, C_OUT_WR, CMD_PROTO_ERR, CMD_UNKNOWN, F_CLOSE_AFTER, F_MULTI, F_TX_CAS, F_TX_DENYOOM, F_TX_DIRTY,
    C_TX_N, C_TX_START, Q_ARG0, Q_ARGC, Q_CMD, Q_CONN, Q_ERR, Q_ERRARG, Q_HASH, Q_START,
    S_COMMANDS, S_ERRORS, S_NFIELDS, S_PROTO_ERRORS, C_OUT_ADDR, Q_NS, F_MONITOR,
    T_PROP_HELD, T_DIRTY, F_NOAUTH, S_NOAUTH, T_MAXMEM, S_OOM, T_TX_SERIAL, T_TX_STAMP, T_TX_STAMPED,
)
from mako_numba.store.effects import effect_room, propagating
from mako_numba.store.evict import EVICT_FAIL, EVICT_NO_LOG, EVICT_OK, perform_evictions
from mako_numba.commands.propagate import propagate_request
from mako_numba.commands.keys.scan import x_keys, x_randomkey, x_scan
from mako_numba.commands.respond import (
    X_DEFER, X_DONE, X_SLOW, reply_arity, reply_bulk, reply_int, reply_lit, reply_proto_error,
)
from mako_numba.commands.string.kernels import (
    SET_EX, SET_GET, SET_NX, SET_PX, incr_generic, set_generic, x_get, x_getdel, x_getex,
    x_incrby, x_mget, x_mset, x_set,
)
from mako_numba.commands.string.ranges import x_append, x_getrange, x_setrange, x_strlen
from mako_numba.store.table import db_of


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


@kernel(inline=True)
def execute(T, lim, conn, q, k, args, cmdt, lits, stats, now, now_us, replay):
    """Run queued request k; X_DONE, X_DEFER or X_SLOW.  Counts its error reply, if any.

    A command that ran gets q[k, Q_NS] = 1 (exec_rows replaces it with its time).
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
    a0 = q[k, Q_ARG0]
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
        ev = perform_evictions(T, lim, now)
        if ev == EVICT_NO_LOG:
            return X_DEFER
        if ev == EVICT_FAIL and flags[ci] & CF_DENYOOM:
            return reject(conn, c, lim, lits, stats, arity.shape[0], ci, LIT_OOM, S_OOM)
    X = (T, lim, conn, args, lits, cmdt, stats)
    if o == OP_GET:
        st = x_get(X, c, a0, argc, ci, now, q[k, Q_HASH])
    elif o == OP_SET:
        st = x_set(X, c, a0, argc, ci, now, q[k, Q_HASH])
    elif o == OP_PING:
        if argc > 2:
            st = reply_arity(conn, c, lim, lits, cmdt, ci)
        elif argc == 1:
            st = reply_lit(conn, c, lim, lits, LIT_PONG)
        else:
            st = reply_bulk(conn, c, lim, args[a0 + 1, 0], args[a0 + 1, 1])
    elif o == OP_ECHO:
        st = reply_bulk(conn, c, lim, args[a0 + 1, 0], args[a0 + 1, 1])
    elif o == OP_QUIT:
        st = reply_lit(conn, c, lim, lits, LIT_OK)
        if st == X_DONE:
            conn[c, C_FLAGS] |= F_CLOSE_AFTER
    elif o == OP_DEL or o == OP_EXISTS:
        st = x_del_exists(X, c, a0, argc, ci, now, 1 if o == OP_DEL else 0)
    elif o == OP_DBSIZE:
        st = reply_int(conn, c, lim, T[5][db_of(T, conn[c, C_DB]), 0])
    elif o == OP_SETNX:
        st = set_generic(X, c, a0, argc, ci, now, SET_NX, 0, 2, True)
    elif o == OP_SETEX:
        st = set_generic(X, c, a0, argc, ci, now, SET_EX, 2, 3, False)
    elif o == OP_PSETEX:
        st = set_generic(X, c, a0, argc, ci, now, SET_PX, 2, 3, False)
    elif o == OP_GETSET:
        st = set_generic(X, c, a0, argc, ci, now, SET_GET, 0, 2, False)
    elif o == OP_GETDEL:
        st = x_getdel(X, c, a0, argc, ci, now)
    elif o == OP_GETEX:
        st = x_getex(X, c, a0, argc, ci, now)
    elif o == OP_MGET:
        st = x_mget(X, c, a0, argc, ci, now)
    elif o == OP_MSET or o == OP_MSETNX:
        st = x_mset(X, c, a0, argc, ci, now, o == OP_MSETNX)
    elif o == OP_APPEND:
        st = x_append(X, c, a0, argc, ci, now)
    elif o == OP_STRLEN:
        st = x_strlen(X, c, a0, argc, ci, now)
    elif o == OP_INCR or o == OP_DECR:
        st = incr_generic(X, c, a0, argc, ci, now, 1 if o == OP_INCR else -1)
    elif o == OP_INCRBY or o == OP_DECRBY:
        st = x_incrby(X, c, a0, argc, ci, now, 1 if o == OP_INCRBY else -1)
    elif o == OP_GETRANGE:
        st = x_getrange(X, c, a0, argc, ci, now)
    elif o == OP_SETRANGE:
        st = x_setrange(X, c, a0, argc, ci, now)
    elif o == OP_EXPIRE or o == OP_PEXPIRE or o == OP_EXPIREAT or o == OP_PEXPIREAT:
        st = x_expire(X, c, a0, argc, ci, now, o == OP_EXPIRE or o == OP_EXPIREAT,
                      o == OP_EXPIRE or o == OP_PEXPIRE)
    elif o == OP_TTL or o == OP_PTTL or o == OP_EXPIRETIME or o == OP_PEXPIRETIME:
        st = x_ttl(X, c, a0, argc, ci, now, o == OP_PTTL or o == OP_PEXPIRETIME,
                   o == OP_EXPIRETIME or o == OP_PEXPIRETIME)
    elif o == OP_PERSIST:
        st = x_persist(X, c, a0, argc, ci, now)
    elif o == OP_TYPE:
        st = x_type(X, c, a0, argc, ci, now)
    elif o == OP_TOUCH:
        st = x_touch(X, c, a0, argc, ci, now)
    elif o == OP_RENAME or o == OP_RENAMENX:
        st = x_rename(X, c, a0, argc, ci, now, o == OP_RENAMENX)
    elif o == OP_COPY:
        st = x_copy(X, c, a0, argc, ci, now)
    elif o == OP_MOVE:
        st = x_move(X, c, a0, argc, ci, now)
    elif o == OP_KEYS:
        st = x_keys(X, c, a0, argc, ci, now)
    elif o == OP_SCAN:
        st = x_scan(X, c, a0, argc, ci, now)
    elif o == OP_RANDOMKEY:
        st = x_randomkey(X, c, a0, argc, ci, now)
    elif o == OP_SWAPDB:
        st = x_swapdb(X, c, a0, argc, ci, now)
    elif o == OP_TIME:
        st = x_time(X, c, now_us)
    elif o == OP_SETBIT:
        st = x_setbit(X, c, a0, argc, ci, now)
    elif o == OP_GETBIT:
        st = x_getbit(X, c, a0, argc, ci, now)
    elif o == OP_BITCOUNT:
        st = x_bitcount(X, c, a0, argc, ci, now)
    elif o == OP_MULTI:
        if conn[c, C_FLAGS] & F_MULTI:
            st = reply_lit(conn, c, lim, lits, LIT_MULTI_NESTED)
        else:
            st = reply_lit(conn, c, lim, lits, LIT_OK)
        if st == X_DONE and not conn[c, C_FLAGS] & F_MULTI:
            conn[c, C_FLAGS] = (conn[c, C_FLAGS] | F_MULTI) & ~(F_TX_DIRTY | F_TX_DENYOOM)
            conn[c, C_TX_N] = 0
    else:
        return X_SLOW
    if st == X_DONE:
        stats[S_COMMANDS] += 1
        stats[S_NFIELDS + ci] += 1
        if conn[c, C_OUT_WR] > wr0 and u8view(conn[c, C_OUT_ADDR] + wr0, 1)[0] == 45:   # '-'
            count_error(stats, arity.shape[0], ci, False)
        q[k, Q_NS] = 1
    return st


@kernel(inline=True)
def execute_logged(T, lim, conn, q, k, args, cmdt, lits, stats, now, now_us, replay):
    """execute, and the propagation stream's part when it is on (a consumer attached).

    First the room check (no room: X_DEFER, and Python hands the stream to its
    consumers or grows it before the next turn), then, if the request changed
    the data set (tm[T_DIRTY] moved), its effect goes into the stream.
    """
    tm = T[0]
    streaming = propagating(tm) and q[k, Q_CMD] >= 0
    if streaming and not effect_room(tm, q, k):
        return X_DEFER
    d0 = tm[T_DIRTY]
    if replay:
        _tx_stamp(tm, cmdt[4], q[k, Q_CMD])
    st = execute(T, lim, conn, q, k, args, cmdt, lits, stats, now, now_us, replay)
    if replay:
        tm[T_TX_STAMP] = 0
    if streaming:
        tm[T_PROP_HELD] = 0
        if st == X_DONE and tm[T_DIRTY] != d0:
            propagate_request(T, conn, q, k, args, cmdt[4])
    return st


@kernel(inline=True)
def _tx_stamp(tm, op, ci):
    """In EXEC, a command that stores its own argument object (t_string.c: setKey or dbAdd of
    c->argv[i]) stamps what it stores: the transaction (its argv) holds that object until EXEC
    ends, and so does the pending propagation when the stream is on (OBJECT REFCOUNT 2 or 3)."""
    if ci < 0:
        return
    o = op[ci]
    if (o == OP_SET or o == OP_SETNX or o == OP_SETEX or o == OP_PSETEX or o == OP_GETSET
            or o == OP_MSET or o == OP_MSETNX or o == OP_APPEND):
        tm[T_TX_STAMP] = (tm[T_TX_SERIAL] << 1) | (1 if propagating(tm) else 0)
        tm[T_TX_STAMPED] = 1


X_RUN = -1     # queue_request: not queued, run it now


@kernel
def queue_request(T, conn, c, lim, q, k, cmdt, lits, stats, now):
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
    ev = perform_evictions(T, lim, now) if T[0][T_MAXMEM] != 0 else EVICT_OK
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
