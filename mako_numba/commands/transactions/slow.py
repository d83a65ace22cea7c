"""Transactions: EXEC, DISCARD, WATCH and UNWATCH (MULTI and queuing are kernel work).

How a transaction runs (see engine.py and dispatch.py for the kernel half):
- MULTI sets F_MULTI; from then on the executor answers each valid request
  +QUEUED without running it and leaves its bytes in the input buffer from
  C_TX_START on.  A request rejected while queuing (unknown command or
  subcommand, wrong arity) sets F_TX_DIRTY, as Redis's flagTransaction does,
  and nothing more is counted in C_TX_N (Redis's mstate.count, CLIENT LIST's
  multi=); a denyoom one sets F_TX_DENYOOM.  Container commands (CONFIG,
  CLIENT ...) are checked and queued here (`queue`), as their subcommand
  decides.
- `EXEC x` is refused with EXECABORT and ends the transaction, in MULTI or
  not (Redis's execCommandAbort; Admin._check).
- Under maxmemory, EXEC evicts once before it runs (Admin.run, as for every
  slow-path command; never between its commands).  If that cannot bring memory under the limit and a queued
  command is denyoom, EXEC itself is refused: EXECABORT naming the OOM
  error, the transaction discarded, counted as a rejected call.
- EXEC runs here, on the slow path, after the batch's kernel work: it
  settles WATCH marks, answers EXECABORT or a null array when it must, and
  otherwise writes the array header and lets Core.run_queued re-parse and
  run the queued requests (kernel commands in the kernel, administrative
  ones here), supplying memory between its steps; no other client's request
  runs in between, so the transaction is atomic.
- Each EXEC that runs gets a number (tm[T_TX_SERIAL], a new one after an
  EXEC that ran a command storing its own argument, dispatch._tx_stamp).
  Such commands stamp it on what they store (arena.ENC_TX): in Redis that
  value is the queued argument object itself, held by the transaction until
  EXEC ends, so OBJECT REFCOUNT and DEBUG OBJECT answer 2 (3 with the AOF
  on: the pending propagation holds it too) for a stamp of the running EXEC
  and ignore older ones.  When the numbers wrap around every stamp is
  cleared (expire.clear_tx_stamps).
"""

from mako_numba.commands import registry as commands
from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.store.evict import EVICT_FAIL
from mako_numba.store.arena import ENC_TX_MAX
from mako_numba.store.expire import clear_tx_stamps
from mako_numba.base.layout import (
    C_DB, C_FLAGS, C_TX_N, C_TX_START, F_MULTI, F_TX_CAS, F_TX_DENYOOM, F_TX_DIRTY, T_MAXMEM, T_TX_SERIAL,
    T_TX_STAMPED,
)
from mako_numba.commands.slowpath import lower_arg


class TransactionCommands:
    exec_slot = -1              # while EXEC runs its commands: its client and their number
    exec_n = 0                  # (CLIENT LIST shows it still in MULTI, as Redis does)

    def queue(self, call, ci):
        """Inside MULTI, a container command that passed Admin._check: dispatch.queue_request's
        rules (the -OOM refusal, the counts), then +QUEUED."""
        core = self.core
        conn = core.conn
        slot = call.slot
        full = commands.NAMES[ci]
        if len(call.args) >= 2 and full in commands.containers():
            full += "|" + lower_arg(call.args[1])
        if core.ks.tm[T_MAXMEM] and self.evicted == EVICT_FAIL:     # Admin.run evicted just now
            self._count_rejected(full)
            conn[slot, C_FLAGS] |= F_TX_DIRTY
            return resp.error(errors.OOM)
        if not int(conn[slot, C_FLAGS]) & (F_TX_DIRTY | F_TX_CAS):
            if "denyoom" in commands.redis_metadata()["commands"].get(full, {}).get("flags", ()):
                conn[slot, C_FLAGS] |= F_TX_DENYOOM
            if int(conn[slot, C_TX_N]) == 0:
                conn[slot, C_TX_START] = call.start
            conn[slot, C_TX_N] += 1
        return resp.simple("QUEUED")

    def _end_transaction(self, slot):
        """Redis's discardTransaction plus unwatchAllKeys."""
        conn = self.core.conn
        conn[slot, C_FLAGS] &= ~(F_MULTI | F_TX_DIRTY | F_TX_DENYOOM)
        conn[slot, C_TX_N] = 0
        self.core.watches.unwatch(slot)

    def exec_(self, call):
        core = self.core
        slot = call.slot
        flags = int(core.conn[slot, C_FLAGS])
        if not flags & F_MULTI:
            return resp.error(errors.EXEC_WITHOUT_MULTI)
        if core.ks.tm[T_MAXMEM]:            # Admin.run evicted once before EXEC; none inside it
            core.watches.settle()
            if self.evicted == EVICT_FAIL and flags & F_TX_DENYOOM:
                self._end_transaction(slot)
                self._rejected = True
                return resp.error(errors.EXECABORT_BECAUSE % errors.OOM)
        cas_dirty = core.watches.exec_dirty(slot)
        n = int(core.conn[slot, C_TX_N])
        start = int(core.conn[slot, C_TX_START])
        self._end_transaction(slot)
        if flags & F_TX_DIRTY:
            return resp.error(errors.EXECABORT)
        if cas_dirty:
            return resp.null_array(call.proto)
        core.write(slot, b"*%d\r\n" % n)
        if n:
            tm = core.ks.tm                 # a new number for the records this EXEC stamps
            if tm[T_TX_STAMPED] or not tm[T_TX_SERIAL]:
                tm[T_TX_STAMPED] = 0
                tm[T_TX_SERIAL] += 1
                if tm[T_TX_SERIAL] > ENC_TX_MAX >> 1:
                    clear_tx_stamps(core.ks.T)
                    tm[T_TX_SERIAL] = 1
            self.in_exec = True
            self.exec_slot, self.exec_n = slot, n
            core.propagation.exec_begin()   # its effects are propagated inside MULTI ... EXEC
            try:
                core.run_queued(slot, start, call.start)
            finally:
                self.in_exec = False
                self.exec_slot = -1
                core.propagation.exec_end()
        return b""

    def discard(self, call):
        if not int(self.core.conn[call.slot, C_FLAGS]) & F_MULTI:
            return resp.error(errors.DISCARD_WITHOUT_MULTI)
        self._end_transaction(call.slot)
        return resp.simple("OK")

    def watch(self, call):
        core = self.core
        if int(core.conn[call.slot, C_FLAGS]) & F_MULTI:
            return resp.error(errors.WATCH_IN_MULTI)
        core.watches.watch(call.slot, int(core.conn[call.slot, C_DB]), call.args[1:])
        return resp.simple("OK")

    def unwatch(self, call):
        self.core.watches.unwatch(call.slot)
        return resp.simple("OK")
