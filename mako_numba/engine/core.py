"""The sans-IO core: connections' bytes in, their replies out, no sockets.

`Core` owns every array the kernels use (connection table, request queue,
argument rows, scratch, statistics, key space) and the per-connection numpy
buffers whose addresses sit in the connection table.  The event loop in
server.py, or a test, drives it:

    slot = core.open()
    core.feed(slot, b"*1\\r\\n$4\\r\\nPING\\r\\n")    # or recv_into(core.in_space(slot))
    core.run([slot])                                 # one batch, any number of slots
    core.output(slot) -> b"+PONG\\r\\n";  core.sent(slot, n)

Rules:
- `run` is one kernel call plus the Python chores it asked for: the slow-path
  commands (admin.py) in queue order, then memory the kernels lacked (bigger
  connection buffers, argument rows, arena chunks, a larger index).  It
  returns the slots that must be run again without waiting for new bytes.
- Buffers grow only when a request needs it and shrink back when idle.
- Server-wide state is declared by its owner and created here, never bolted
  on from outside: `net` (server/netlimits.NetStats: bytes in and out,
  rejected and denied connections), `memory` (observe/memstats.MemoryStats:
  the peak), `forks` (persistence/forkchild.ForkStats), `eviction`
  (store/evict.EvictionStats: time over maxmemory), `compile_seconds`; the
  owners' objects: `ks` (key space), `admin` (slow path), `watches`,
  `snapshots`, `aof`, `observe` (SLOWLOG, MONITOR, latency), `instant`
  (INFO's rates), `info` (INFO's sections, registered by their owners).
- After each batch the propagation stream's effects go to its consumers (the
  AOF; store/propagation.py) before any reply of the batch is sent.
"""
import time
from ctypes import string_at

import numpy as np

from mako_numba.commands import registry as commands
from mako_numba.config import params
from mako_numba.config import settings as config
from mako_numba.store import evict
from mako_numba.protocol import querybuf
from mako_numba.commands.admin import Admin
from mako_numba.engine.batch import compact_input, finish_traced, run_batch
from mako_numba.commands.frame import write_frame
from mako_numba.engine.kernels import family_table
from mako_numba.base.jit import addr_of, handles
from mako_numba.server.maxclients import grow_table, info_clients
from mako_numba.base.layout import (
    A_GROW_IN, A_SHRINK_IN, B_NEED_ARGS, B_NEXT_ID, B_NFIELDS, B_NOW_US, B_NREADY, B_NSLOW, LRU_CLOCK_MAX,
    F_BLOCK_TIMED, T_BLOCK_READY, T_BQ_GROW,
    M_ARGS, M_KEYSPACE, M_SLOW, M_TRACE, B_QN, B_TRACED, S_COMMANDS,
    B_SCRATCH_ADDR, C_RD, Q_ARG0, Q_ARGC, Q_CMD, Q_START,
    C_DB, C_FLAGS, C_ID, C_IN_ADDR, C_IN_CAP, C_IN_NEED, C_NFIELDS, C_OUT_ADDR, C_OUT_CAP,
    C_LASTCMD, CMD_UNKNOWN, C_QB_ALLOC, C_RD_MAX,
    C_OUT_NEED, C_OUT_SENT, C_OUT_WR, C_PROTO, C_WR, F_CLOSE_AFTER, F_CLOSE_NOW,
    F_DENY_BLOCK, F_DEFERRED, F_PENDING, F_SLOW, F_WAITS_KERNELS,
    Q_NFIELDS, R_ATT, R_NFIELDS, S_NFIELDS, T_EVICT_OVER, T_MAXMEM,
    T_TOUCHED,
)
from mako_numba.persistence.aof import Aof
from mako_numba.persistence.forkchild import ForkStats
from mako_numba.observe.memstats import MemoryStats, info_memory
from mako_numba.server.netlimits import NetStats
from mako_numba.store.evict import EvictionStats
from mako_numba.observe.latency import HDR_LEN
from mako_numba.observe.tracing import Observer
from mako_numba.observe.info import Instant, InfoSections, register_info
from mako_numba.persistence.snapshots import Snapshots
from mako_numba.store.keyspace import KeySpace, info_keyspace
from mako_numba.store.propagation import Propagation
from mako_numba.store.watch import Watches
from mako_numba.engine.blocking import Blocking
from mako_numba.store.expire import active_expire, set_keep_ttl
from mako_numba.base.layout import T_LRU
from mako_numba.store.arena import OK, REC_HDR, TYPE_SHIFT, class_size, size_class
from mako_numba.store.table import delete, enc_flags, expire_of, lookup, lru_of, peek, set_enc_flags, value_of
from mako_numba.store.types import OBJ_LIST, pyview


def _grown_args(bm, args):
    """`args`, or a bigger zeroed one if a request asked for more rows (bm[B_NEED_ARGS])."""
    need = int(bm[B_NEED_ARGS])
    bm[B_NEED_ARGS] = 0
    if need > args.shape[0]:
        return np.zeros((_pow2_at_least(need), 3), np.int64)
    return args


def _pow2_at_least(n):
    p = 1
    while p < n:
        p <<= 1
    return p


class Core:
    def __init__(self, databases=config.DEFAULT_DATABASES, maxclients=config.DEFAULT_MAXCLIENTS,
                 queue_size=config.QUEUE_SIZE, args_size=config.ARGS_SIZE,
                 scratch_size=config.SCRATCH_SIZE, in_buf=config.IN_BUF_SIZE,
                 out_buf=config.OUT_BUF_SIZE, table_logcap=config.TABLE_INITIAL_LOGCAP,
                 chunk_size=config.CHUNK_SIZE, seed=None, settings=None, renames=None, families=True,
                 **limits):
        self.ks = KeySpace(databases, table_logcap, chunk_size, seed)
        self.net = NetStats()                   # the event loop's counters
        self.memory = MemoryStats()             # used_memory_peak
        self.forks = ForkStats()                # latest_fork_usec, total_forks
        self.eviction = EvictionStats()         # time over maxmemory
        self.compile_seconds = 0.0              # the kernels' warm-up (__main__ sets it)
        self.info = InfoSections()              # INFO's sections, each registered by its owner:
        register_info(self.info)                # the process, stats, mako (observe/info.py)
        self.info.register("clients", info_clients)     # server/maxclients.py
        self.info.register("memory", info_memory)       # observe/memstats.py
        self.info.register("keyspace", info_keyspace)   # store/keyspace.py
        self.lim = config.limits_array(chunk_size=chunk_size, **limits)
        self.in_default = in_buf
        self.out_default = out_buf
        slots = min(maxclients, config.DEFAULT_MAXCLIENTS)     # the table grows past this
        self.conn = np.zeros((slots, C_NFIELDS), np.int64)
        self.q = np.zeros((queue_size, Q_NFIELDS), np.int64)
        self.args = np.zeros((args_size, 3), np.int64)   # address, length, spare
        self.bm = np.zeros(B_NFIELDS, np.int64)
        self.scratch = np.zeros(scratch_size, np.uint8)
        self.bm[B_SCRATCH_ADDR] = addr_of(self.scratch)
        self.renames = dict(renames or {})     # rename-command: {name: new name}
        self.cmdt = commands.kernel_tables(self.renames)
        self.lits = commands.lit_tables()
        self.stats = np.zeros(S_NFIELDS + 4 * commands.NCOMMANDS, np.int64)
        self.slowq = np.zeros(queue_size, np.int64)
        self.ready = np.zeros(slots, np.int64)
        self.res = np.zeros((slots, R_NFIELDS), np.int64)
        self.lat = np.zeros((commands.NCOMMANDS, HDR_LEN), np.int64)   # latency.py's histograms
        # the families' entry kernels (engine/kernels.py); families=False only for server/prepare.py,
        # which compiles the batch kernel from a Core's types and never runs it
        self.fams = family_table(load=families)
        self.background = None                  # kernels still compiling at a first start (prepare.py)
        self.parked = set()                     # slots waiting for one of them (F_WAITS_KERNELS)
        self.h = self._handles(self.ready, self.q, self.bm, self.scratch, self.res)
        self._framed = None                     # (T, args, bm) as the frame last told the kernels
        self.inbufs = [None] * slots           # numpy buffers, and memoryviews of them
        self.outbufs = [None] * slots
        self.inmv = [None] * slots
        self.outmv = [None] * slots
        self.clients = {}                      # slot -> admin.ClientInfo
        self._free = list(range(slots - 1, -1, -1))
        self.next_client_id = 1
        self.settings = settings if settings is not None else {}
        for name, value in params.SETTINGS_DEFAULTS.items():   # every parameter's default, once
            self.settings.setdefault(name, value)
        self.maxclients = maxclients            # CONFIG SET maxclients may change it
        self.on_grow = None                     # the event loop's hook when the table grows
        self.relisten = None                    # its hook for CONFIG SET port / bind
        self.admin = Admin(self)
        self.watches = Watches(self)
        self.blocking = Blocking(self)
        self._tx = []           # EXEC's own queue, argument rows, scratch: one set per nesting level
        self._tx_depth = 0      # (a script inside EXEC runs its commands one level deeper)
        self.started = time.time()
        self.snapshots = Snapshots(self)        # the RDB file: SAVE, BGSAVE, save points
        self.propagation = Propagation(self.ks)     # the stream of effects and its consumers
        self.aof = Aof(self)                    # the append-only file (appendonly yes): one consumer
        self.shutdown_requested = False         # SHUTDOWN succeeded: the loop stops after this turn
        self.observe = Observer(self)           # SLOWLOG, MONITOR, latency histograms
        self.instant = Instant()                # INFO's instantaneous_* rates
        evict.apply_settings(self)              # maxmemory and its policy into the key space

    def _handles(self, ready, q, bm, scratch, res):
        """run_batch's fixed arrays (layout.H_*); the batch's or EXEC's own ready/q/bm/scratch/res."""
        return handles([self.lim, self.conn, ready, q, bm, scratch, *self.cmdt, *self.lits,
                        self.stats, self.slowq, res, self.lat, self.fams])

    # --- connections ---------------------------------------------------------------
    def open(self, peer=("127.0.0.1", 0), fd=-1):
        """Give a new connection a slot (None with maxclients connected; maxclients.py)."""
        if len(self.clients) >= self.maxclients or not (self._free or grow_table(self)):
            return None
        slot = self._free.pop()
        row = self.conn[slot]
        row[:] = 0
        self._set_in(slot, np.empty(self.in_default, np.uint8))
        self._set_out(slot, np.empty(self.out_default, np.uint8))
        row[C_PROTO] = 2
        row[C_LASTCMD] = CMD_UNKNOWN        # no command yet: CLIENT LIST says cmd=NULL
        row[C_QB_ALLOC], row[C_RD_MAX] = querybuf.NEW_CLIENT_ALLOC, querybuf.NEW_CLIENT_READ
        row[C_ID] = self.next_client_id
        self.next_client_id += 1
        self.admin.connected(slot, peer, fd)
        return slot

    def close(self, slot):
        self.admin.disconnected(slot)
        self.parked.discard(slot)
        self.blocking.release(slot)
        self.inbufs[slot] = self.outbufs[slot] = self.inmv[slot] = self.outmv[slot] = None
        self.conn[slot] = 0
        self._free.append(slot)

    def _set_in(self, slot, arr):
        self.inbufs[slot] = arr
        self.inmv[slot] = memoryview(arr)
        self.conn[slot, C_IN_ADDR] = addr_of(arr)
        self.conn[slot, C_IN_CAP] = arr.shape[0]

    def _set_out(self, slot, arr):
        self.outbufs[slot] = arr
        self.outmv[slot] = memoryview(arr)
        self.conn[slot, C_OUT_ADDR] = addr_of(arr)
        self.conn[slot, C_OUT_CAP] = arr.shape[0]

    # --- input -------------------------------------------------------------------------
    def in_space(self, slot):
        """Writable memoryview of the input buffer's free tail, as long as a read may fill (C_RD_MAX)."""
        m = self.fit_read(slot)
        wr = int(self.conn[slot, C_WR])
        return self.inmv[slot][wr:wr + m] if m else self.inmv[slot][wr:]

    def fit_read(self, slot):
        """Grow the input buffer if the next read (C_RD_MAX bytes, querybuf.py) would not fit."""
        c = self.conn[slot]
        m = int(c[C_RD_MAX])
        if m and c[C_WR] + m > c[C_IN_CAP]:
            self._grow_in(slot, int(c[C_WR] - c[C_RD]) + m)
        return m

    def received(self, slot, n):
        self.conn[slot, C_WR] += n

    def feed(self, slot, data):
        """Append bytes to a connection's input (tests, and anything not a socket)."""
        data = bytes(data)
        while data:
            space = self.in_space(slot)
            if len(space) == 0:
                self._grow_in(slot, 2 * int(self.conn[slot, C_IN_CAP]))
                continue
            n = min(len(space), len(data))
            space[:n] = data[:n]
            self.received(slot, n)
            data = data[n:]

    def widen_input(self, slot):
        """A read filled the input buffer: double it (up to IN_BUF_READ_GROWTH x the first size).

        A pipeline of 16 SETs of 1 KiB does not fit in 16 KiB: each would take
        two reads and two batches.
        """
        cap = int(self.conn[slot, C_IN_CAP])
        if cap < config.IN_BUF_READ_GROWTH * self.in_default:
            self._grow_in(slot, 2 * cap)

    def _grow_in(self, slot, need):
        compact_input(self.conn, slot)
        cap = int(self.conn[slot, C_IN_CAP])
        need += int(self.conn[slot, C_RD])      # a transaction's queued requests stay in front
        if need <= cap:
            return
        # Doubling up to 1 MiB; past it, the exact need when that is a big jump (one huge
        # argument announced whole) but at least half as much again, so a request of many
        # small arguments, whose need grows a few bytes at a time, is not copied per read.
        new_cap = max(need, cap + cap // 2) if need > (1 << 20) else max(2 * cap, _pow2_at_least(need))
        arr = np.empty(new_cap, np.uint8)
        wr = int(self.conn[slot, C_WR])
        arr[:wr] = self.inbufs[slot][:wr]
        self._set_in(slot, arr)

    # --- output ------------------------------------------------------------------------------
    def output(self, slot):
        """Memoryview of the replies not sent yet."""
        c = self.conn[slot]
        return self.outmv[slot][int(c[C_OUT_SENT]):int(c[C_OUT_WR])]

    def pending_output(self, slot):
        c = self.conn[slot]
        return int(c[C_OUT_WR] - c[C_OUT_SENT])

    def sent(self, slot, n):
        """The socket took n bytes; an emptied big buffer shrinks back, unless a deferred
        request was just given that room (C_OUT_NEED) and would defer again."""
        c = self.conn[slot]
        c[C_OUT_SENT] += n
        if c[C_OUT_SENT] == c[C_OUT_WR]:
            c[C_OUT_SENT] = c[C_OUT_WR] = 0
            if c[C_OUT_CAP] > 4 * self.out_default and not c[C_OUT_NEED]:
                self._set_out(slot, np.empty(self.out_default, np.uint8))

    def ensure_out(self, slot, need):
        """Room for `need` more reply bytes: move unsent bytes to the front, grow."""
        c = self.conn[slot]
        sent, wr, cap = int(c[C_OUT_SENT]), int(c[C_OUT_WR]), int(c[C_OUT_CAP])
        out = self.outbufs[slot]
        if cap - wr >= need:
            return
        unsent = wr - sent
        if unsent + need > cap:
            arr = np.empty(max(2 * cap, _pow2_at_least(unsent + need)), np.uint8)
            arr[:unsent] = out[sent:wr]
            self._set_out(slot, arr)
        else:
            out[:unsent] = out[sent:wr].copy()
        c[C_OUT_SENT] = 0
        c[C_OUT_WR] = unsent

    def write(self, slot, data):
        """Append reply bytes from Python (the slow path)."""
        n = len(data)
        self.ensure_out(slot, n)
        wr = int(self.conn[slot, C_OUT_WR])
        self.outbufs[slot][wr:wr + n] = np.frombuffer(data, np.uint8)
        self.conn[slot, C_OUT_WR] = wr + n

    # --- a batch -------------------------------------------------------------------------------
    def run(self, slots):
        """Parse and execute everything buffered for `slots` (a list or int64 array); return
        slots to run again.

        Afterwards row i of `self.res` is (sent, written, attention) for
        batch_slots()[i] (layout R_*): `slots`, then any blocked client the
        batch served (engine/batch.py); the replies to send are
        outmv[slot][sent:written], and a non-zero attention means "look at
        the connection table" (closing, partial state); the event loop's
        fast path needs nothing else.
        """
        n = len(slots)
        self.ready[:n] = slots
        self.bm[B_NOW_US] = time.time_ns() // 1000
        self.frame()
        return self.finish(run_batch(self.haddr, n))

    def batch_slots(self):
        """The connections of the last batch's result rows (an int64 array)."""
        return self.ready[:int(self.bm[B_NREADY])]

    @property
    def h(self):
        """The batch's handle array (jit.handles; layout H_*); `haddr` is its address."""
        return self._h

    @h.setter
    def h(self, h):
        self._h = h
        self.haddr = addr_of(h)

    def frame(self):
        """Tell the kernels where the key space and the argument rows are, if they moved."""
        T, args, bm = self.ks.T, self.args, self.bm
        f = self._framed
        if f is None or f[0] is not T or f[1] is not args or f[2] is not bm:
            write_frame(bm, T, args)
            self._framed = (T, args, bm)

    def finish(self, mask):
        """What Python does after run_batch returned `mask` (for batch_slots()); the slots to run again."""
        n = int(self.bm[B_NREADY])
        if mask & M_TRACE:              # rows for MONITOR or SLOWLOG, their input still in place
            self.observe.rows(self.q, 0, int(self.bm[B_QN]), self.args)
            mask |= finish_traced(self.h, n)
        watches = self.watches
        tm = self.ks.tm
        if tm[T_TOUCHED]:               # a watched key changed: its watchers are dirty at once
            watches.settle()            # (they queue no more, as Redis), before any WATCH or EXEC
        if not mask:                    # the common turn: replies to send, nothing else, unless
            return self.blocking.take_runs() if tm[T_BLOCK_READY] else []   # blocked clients wait
        slots = self.ready[:n].tolist()
        if mask & M_SLOW:
            for i in range(int(self.bm[B_NSLOW])):
                self.admin.execute(int(self.slowq[i]))
        if mask & (M_SLOW | M_KEYSPACE):
            self.ks.after_batch()
        if mask & M_ARGS:
            self.grow_args()
        if tm[T_BQ_GROW]:
            self.blocking.grow()        # a block found no room; its client runs again
        self.propagation.drain_due()    # to the consumers (the AOF) before any reply of the batch is sent
        again = []
        for slot, row in zip(slots, self.res[:n].tolist()):
            att = row[R_ATT]
            if att:
                self._attend(slot, att)
                if att & F_BLOCK_TIMED:
                    self.blocking.timed_block(slot)
                fl = self.conn[slot, C_FLAGS]
                if att & F_DEFERRED and fl & F_WAITS_KERNELS:
                    self.parked.add(slot)       # until its command's family is loaded
                elif att & (F_PENDING | F_SLOW) and not att & (F_CLOSE_AFTER | F_CLOSE_NOW):
                    again.append(slot)
        if tm[T_TOUCHED]:               # marks of the slow path's writes (EXEC)
            watches.settle()
        woken = self.blocking.take_runs()
        if woken:                       # Redis serves blocked clients before the next command
            first = set(woken)
            again = woken + [s for s in again if s not in first]
        return again

    # --- kernels still compiling (a first start) -------------------------------------------
    def poll_kernels(self):
        """Load the kernel units that finished compiling; the parked slots to run again."""
        bg = self.background
        if bg is not None:
            if not bg.poll():
                return []
            if not bg.pending:
                self.background = None
        return self._unpark()

    def await_kernels(self):
        """Block until every kernel is loaded (EXEC's replay, loading a file)."""
        if self.background is not None:
            self.background.wait()
            self.background = None

    def _unpark(self):
        slots = sorted(self.parked)
        self.parked.clear()
        for slot in slots:
            self.conn[slot, C_FLAGS] &= ~F_WAITS_KERNELS
        return slots

    def run_queued(self, slot, pos, end):
        """EXEC: run the queued requests in slot's input bytes [pos, end), replies appended.

        Steps through run_batch's replay mode, running slow-path commands and
        supplying memory between its calls; nothing else runs meanwhile.  It
        nests: a script run by EXEC runs its commands here too, on a set of
        arrays of its own, so the EXEC's rows stay as they were.
        """
        depth = self._tx_depth
        if depth == len(self._tx):
            bm = np.zeros(B_NFIELDS, np.int64)
            scratch = np.zeros(config.SCRATCH_SIZE, np.uint8)
            bm[B_SCRATCH_ADDR] = addr_of(scratch)
            tq = np.zeros((1024, Q_NFIELDS), np.int64)
            where = np.zeros(3, np.int64)               # slot, start, end
            tres = np.zeros((1, 10), np.int64)          # row, next, the parser's saved state
            self._tx.append([tq, np.zeros((1024, 3), np.int64), bm, where, tres,
                             self._handles(where, tq, bm, scratch, tres), scratch,  # kept alive
                             None])         # (T, args) the frame names
        tq, targs, tbm, where, tres, th, _, _ = self._tx[depth]
        outer = self._tx[depth - 1][2] if depth else self.bm
        tbm[B_NOW_US] = outer[B_NOW_US]
        tbm[B_NEXT_ID] = outer[B_NEXT_ID]
        cut = -1        # a CLIENT KILL of this client: Redis adds no reply after it (CLOSE_AFTER_REPLY)
        denied = self.conn[slot, C_FLAGS] & F_DENY_BLOCK
        self.conn[slot, C_FLAGS] |= F_DENY_BLOCK        # blocking commands answer at once
        self._tx_depth = depth + 1
        try:
            self._run_queued(slot, pos, end, cut, tq, targs, tbm, where, tres, th, outer)
        finally:
            self._tx_depth = depth
            if not denied:
                self.conn[slot, C_FLAGS] &= ~F_DENY_BLOCK

    def _run_queued(self, slot, pos, end, cut, tq, targs, tbm, where, tres, th, outer):
        ctx = self._tx[self._tx_depth - 1]
        haddr = addr_of(th)
        while pos < end:
            where[0], where[1], where[2] = slot, pos, end
            T = self.ks.T
            framed = ctx[-1]
            if framed is None or framed[0] is not T or framed[1] is not targs:
                write_frame(tbm, T, targs)          # the frame, when its arrays were replaced
                ctx[-1] = (T, targs)
            st = run_batch(haddr, -1)
            k, nxt = int(tres[0, 0]), int(tres[0, 1])
            if tbm[B_TRACED]:
                self.observe.rows(tq, 0, k if k >= 0 else int(tbm[B_QN]), targs)
            if st == 1:
                a0, argc = int(tq[k, Q_ARG0]), int(tq[k, Q_ARGC])
                args = [string_at(int(targs[i, 0]), int(targs[i, 1])) for i in range(a0, a0 + argc)]
                closing = self.conn[slot, C_FLAGS] & F_CLOSE_AFTER
                self.admin.run(slot, int(tq[k, Q_CMD]), args, int(tq[k, Q_START]), inner=True)
                if self.conn[slot, C_FLAGS] & F_CLOSE_NOW:
                    break
                if cut < 0 and not closing and self.conn[slot, C_FLAGS] & F_CLOSE_AFTER:
                    cut = int(self.conn[slot, C_OUT_WR])
            elif st == 2:
                if self.conn[slot, C_FLAGS] & F_WAITS_KERNELS:     # a family still compiling
                    self.conn[slot, C_FLAGS] &= ~F_WAITS_KERNELS
                    if self.background is None:
                        raise RuntimeError("a queued command's family is not loaded, nor compiling")
                    self.await_kernels()
                self.propagation.drain_due()
                self._supply_out(slot)
                self.conn[slot, C_OUT_NEED] = 0
                self.ks.after_batch()
                targs = self._tx[self._tx_depth - 1][1] = _grown_args(tbm, targs)
            pos = nxt
        outer[B_NEXT_ID] = tbm[B_NEXT_ID]
        if cut >= 0:                    # the rest ran, but its replies are dropped
            self.conn[slot, C_OUT_WR] = cut

    def _attend(self, slot, att):
        conn = self.conn
        if att & F_DEFERRED:
            self._supply_out(slot)
        if att & A_GROW_IN:
            self._grow_in(slot, int(conn[slot, C_IN_NEED]))
        elif att & A_SHRINK_IN and conn[slot, C_WR] == 0:
            self._set_in(slot, np.empty(self.in_default, np.uint8))

    def _supply_out(self, slot):
        """Output room a deferred request asked for (C_OUT_NEED), if any."""
        need = int(self.conn[slot, C_OUT_NEED])
        if need:
            self.ensure_out(slot, need - self.pending_output(slot))

    def key_info(self, db, key, touch=False, expire=True):
        """(value, expire ms or 0, allocated bytes, LRU clock, ENC_* flags) of a live key, or None.

        For slow-path commands that inspect one key (OBJECT, MEMORY USAGE,
        DEBUG OBJECT, LCS); an expired key is deleted on the way, as on any
        access, unless `expire` is off (DEBUG OBJECT and MEMORY USAGE read
        Redis's dict directly and see a key whose time is up); the access
        time is updated only with `touch` (LCS reads as Redis's
        lookupKeyRead; the inspecting commands use LOOKUP_NOTOUCH).
        """
        buf = np.frombuffer(bytes(key) + b"\0", np.uint8)
        T = self.ks.T
        find = lookup if touch else peek
        now = int(time.time() * 1000) if expire else 0      # 0: no expire time has passed
        h, which, pos = find(T, self.lim, int(self.ks.dbk[db, 2]), addr_of(buf), len(key), now)
        if which == 0:
            return None
        vaddr, vlen = value_of(T, which, pos)
        value = string_at(int(vaddr), int(vlen))
        size = class_size(size_class(REC_HDR + len(key) + int(vlen)))
        lru = int(lru_of(T, which, pos))
        return value, int(expire_of(T, which, pos)), int(size), lru, int(enc_flags(T, which, pos))

    def store_value(self, db, key, value):
        """key = value in database db, keeping its expire time (slow-path writes)."""
        kbuf = np.frombuffer(bytes(key) + b"\0", np.uint8)
        vbuf = np.frombuffer(bytes(value) + b"\0", np.uint8)
        while set_keep_ttl(self.ks.T, self.lim, int(self.ks.dbk[db, 2]), addr_of(kbuf), len(key),
                           addr_of(vbuf), len(value), int(time.time() * 1000)) != OK:
            self.ks.after_batch()           # the arena or the index lacked room: supply it

    def delete_key(self, db, key):
        """Delete key from database db (whatever its type); True if it was there (dbDelete)."""
        kbuf = np.frombuffer(bytes(key) + b"\0", np.uint8)
        return bool(delete(self.ks.T, self.lim, int(self.ks.dbk[db, 2]), addr_of(kbuf), len(key)))

    def store_list(self, db, key, items):
        """key = a new list of these elements in database db, replacing any value and its
        time to live (Redis's setKey of a new quicklist: SORT ... STORE)."""
        self.delete_key(db, key)
        self.store_value(db, key, pyview.list_value(items))
        kbuf = np.frombuffer(bytes(key) + b"\0", np.uint8)
        h, which, pos = lookup(self.ks.T, self.lim, int(self.ks.dbk[db, 2]), addr_of(kbuf), len(key), 0)
        set_enc_flags(self.ks.T, which, pos, OBJ_LIST << TYPE_SHIFT)

    def cron(self):
        """Housekeeping between batches: the LRU clock, snapshots due, and a sweep for expired keys (Redis's active expiry).

        DEBUG SET-ACTIVE-EXPIRE 0 switches the sweep off, as in Redis.
        """
        self.ks.tm[T_LRU] = int(time.time()) & LRU_CLOCK_MAX
        evict.refresh(self)                     # the LFU clock, used_memory beyond the key space
        if self.ks.tm[T_MAXMEM] and self.ks.tm[T_EVICT_OVER]:
            evict.evict_for_slow_path(self)     # still over after a cut-short call: Redis's evictionTimeProc
        self.instant.sample(time.monotonic(), {"ops": int(self.stats[S_COMMANDS]),
                                               "in": self.net.input,
                                               "out": self.net.output})
        self.snapshots.cron()
        self.propagation.drain_due()            # before the AOF's everysec fsync
        self.aof.cron()
        if self.settings.get("active-expire", "1") == "0":
            return 0
        return active_expire(self.ks.T, self.lim, int(time.time() * 1000), config.ACTIVE_EXPIRE_SLOTS)

    def grow_args(self):
        """More argument rows, when a request had more arguments than a batch holds."""
        self.args = _grown_args(self.bm, self.args)

    def flags(self, slot):
        return int(self.conn[slot, C_FLAGS])

    def closing(self, slot):
        """'now' (drop at once), 'after' (close once replies are sent) or None."""
        fl = int(self.conn[slot, C_FLAGS])
        if fl & F_CLOSE_NOW:
            return "now"
        if fl & F_CLOSE_AFTER:
            return "after"
        return None

    def db_of(self, slot):
        return int(self.conn[slot, C_DB])
