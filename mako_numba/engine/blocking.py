"""Blocked clients, Python's side: the table's room, the deadlines, CLIENT UNBLOCK, a disconnect.

A blocking command that finds nothing to serve it blocks in the kernels
(commands/blocking.py): the request stays at the front of the client's input,
F_BLOCKED is set, and the batch registers it in the blocked-keys table
(store/blockq.py), where a write to one of its keys has the batch run it
again, first in line first.  Blocking and being served need no Python.
Python only:

- gives the table room: a block that found none (tm[T_BQ_GROW]) was an
  ordinary deferral, tried again once `grow` made a bigger table;
- keeps the deadlines of blocks with a timeout (a heap, read each turn of the
  event loop; a result row with F_BLOCK_TIMED is a new one), and
  `expire` sets F_UNBLOCK_TIMEOUT on those whose time is up, to run again:
  the command answers its timeout reply;
- CLIENT UNBLOCK (`unblock`) sets F_UNBLOCK_TIMEOUT or F_UNBLOCK_ERROR and
  runs the client again;
- a disconnect takes the client out of line (`release`);
- keys made ready outside a batch's rows (EXEC, a slow-path write) leave
  their first waiters to `take_runs`: Python runs them first next turn.

A blocked client costs nothing while it waits: no work per turn but a look at
the earliest deadline, and a key written wakes only its own waiters.
"""
import heapq
import time

import numpy as np

from mako_numba.base.jit import addr_of
from mako_numba.base.layout import (
    C_BLOCK_MS, C_BLOCK_NODE, C_BLOCK_SERIAL, C_FLAGS, F_BLOCK_NOW, F_BLOCK_TIMED, F_BLOCKED, F_UNBLOCK_ERROR,
    F_UNBLOCK_TIMEOUT, F_UNBLOCKED, T_BLOCK_READY, T_BQ_ADDR, T_BQ_GROW, T_BQ_KEYS, T_BQ_LEN,
)
from mako_numba.store.blockq import (
    BQ_CLIENTS, BQ_KCAP, BQ_NCAP, BQ_NFREE, bq_heads, bq_move, bq_unlink, new_table,
)

KCAP0, NCAP0 = 64, 64       # the first table: 32 keys, 63 (client, key) nodes


class Blocking:
    def __init__(self, core):
        self.core = core
        self.bq = None
        self.deadlines = []     # heap of (deadline ms, block serial, slot)
        self.to_run = []        # slots to run again (CLIENT UNBLOCK)
        self._heads = np.zeros(64, np.int64)
        self.attach()

    def attach(self):
        """Hand the key space's meta the table (a new one at start, or a FLUSHALL's new tm)."""
        if self.bq is None:
            self.bq = new_table(KCAP0, NCAP0)
        tm = self.core.ks.tm
        tm[T_BQ_ADDR] = addr_of(self.bq)
        tm[T_BQ_LEN] = len(self.bq)

    def __len__(self):
        """Blocked clients (INFO's blocked_clients)."""
        return int(self.bq[BQ_CLIENTS])

    def is_blocked(self, slot):
        return self.core.conn[slot, C_BLOCK_NODE] != 0

    def timed(self):
        """Blocked clients with a deadline (INFO's clients_in_timeout_table)."""
        conn = self.core.conn
        return int(np.count_nonzero((conn[:, C_BLOCK_NODE] != 0) & (conn[:, C_BLOCK_MS] > 0)))

    # --- after a batch ---------------------------------------------------------------------
    def grow(self):
        """A block found no room: a bigger table (its client runs again)."""
        tm = self.core.ks.tm
        need = int(tm[T_BQ_GROW])       # keys of the block that found no room
        tm[T_BQ_GROW] = 0
        old = self.bq
        kcap, ncap = int(old[BQ_KCAP]), int(old[BQ_NCAP])
        live = int(tm[T_BQ_KEYS])
        while 4 * (live + need + 16) > kcap:
            kcap *= 2
        while ncap - int(old[BQ_NCAP]) + int(old[BQ_NFREE]) < need + ncap // 4:
            ncap *= 2
        new = new_table(kcap, ncap)
        bq_move(old, new)
        self.bq = new
        self.attach()

    def timed_block(self, slot):
        """A result row with F_BLOCK_TIMED: the block's deadline goes in the heap."""
        conn = self.core.conn
        conn[slot, C_FLAGS] &= ~F_BLOCK_TIMED
        if conn[slot, C_BLOCK_NODE] == 0:
            return
        deadline = int(time.time() * 1000) + int(conn[slot, C_BLOCK_MS])
        heapq.heappush(self.deadlines, (deadline, int(conn[slot, C_BLOCK_SERIAL]), slot))

    def take_runs(self):
        """Slots to run first next turn: CLIENT UNBLOCK's, and the first in line on keys made
        ready outside a batch's rows."""
        runs = self.to_run
        self.to_run = []
        tm = self.core.ks.tm
        if tm[T_BLOCK_READY]:
            if len(self._heads) < tm[T_BLOCK_READY]:
                self._heads = np.zeros(2 * int(tm[T_BLOCK_READY]), np.int64)
            n = bq_heads(tm, self._heads)
            runs = list(dict.fromkeys(self._heads[:n].tolist() + runs))
        return runs

    # --- the ways out but a write ------------------------------------------------------------
    def _live(self, slot, serial):
        conn = self.core.conn
        return conn[slot, C_BLOCK_NODE] != 0 and conn[slot, C_BLOCK_SERIAL] == serial

    def expire(self, now_ms):
        """Slots whose deadline passed, flagged to answer their timeout reply."""
        out = []
        heap = self.deadlines
        while heap and heap[0][0] <= now_ms:
            deadline, serial, slot = heapq.heappop(heap)
            if self._live(slot, serial):
                self.core.conn[slot, C_FLAGS] |= F_UNBLOCK_TIMEOUT
                out.append(slot)
        return out

    def next_deadline(self):
        """The earliest deadline still standing (ms), or None."""
        heap = self.deadlines
        while heap:
            deadline, serial, slot = heap[0]
            if self._live(slot, serial):
                return deadline
            heapq.heappop(heap)
        return None

    def unblock(self, slot, error):
        """CLIENT UNBLOCK: True if the slot was blocked (it answers on its next run)."""
        if not self.is_blocked(slot):
            return False
        self.core.conn[slot, C_FLAGS] |= F_UNBLOCK_ERROR if error else F_UNBLOCK_TIMEOUT
        self.to_run.append(slot)
        return True

    def release(self, slot):
        """The client went: out of line."""
        conn = self.core.conn
        bq_unlink(self.core.ks.tm, conn, slot, False)
        conn[slot, C_FLAGS] &= ~(F_BLOCKED | F_UNBLOCK_TIMEOUT | F_UNBLOCK_ERROR | F_UNBLOCKED | F_BLOCK_TIMED
                                 | F_BLOCK_NOW)
