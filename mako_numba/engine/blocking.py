"""Blocked clients: who waits on which keys until when, and what wakes them.

A blocking command that finds nothing to serve it blocks in the kernels
(commands/blocking.py): the request stays at the front of the client's input,
F_BLOCKED is set, and the connection row says which argument rows are its
keys and how long it waits.  After the batch, Core.finish hands such a slot
to `register`, which notes the block once (a blocked client tried again stays
where it was in line) and has store/watch.py flag its keys.  Then:

- a write to one of the keys makes it ready: watch.py's `settle` gives the
  first slot blocked on it (the next follows when it is served and elements
  are left), and Core runs it again before anything else; the request, tried
  anew, serves it or blocks on.  A key already there when the block is noted
  (written later in the same batch, before its flag existed) runs it again too;
- a timeout (`expire`, each turn of the event loop) or CLIENT UNBLOCK
  (`unblock`) sets F_UNBLOCK_TIMEOUT or F_UNBLOCK_ERROR and runs the slot:
  the command answers its timeout reply or -UNBLOCKED;
- whatever answers the request sets F_UNBLOCKED, and `release` forgets the
  block; so does a disconnect.

A blocked client costs nothing while it waits: no work per turn but a look at
the earliest deadline (a heap), and a key written wakes only its own waiters.
"""
import heapq
import time

from ctypes import string_at
from mako_numba.base.layout import (
    C_BLOCK_KEY0, C_BLOCK_MS, C_BLOCK_NKEYS, C_DB, C_FLAGS, F_BLOCKED, F_UNBLOCK_ERROR,
    F_UNBLOCK_TIMEOUT, F_UNBLOCKED,
)


class Blocking:
    def __init__(self, core):
        self.core = core
        self.by_slot = {}       # slot -> (db, keys, deadline ms or 0, block number)
        self.deadlines = []     # heap of (deadline ms, block number, slot)
        self.to_run = []        # slots to run again (CLIENT UNBLOCK)
        self.serial = 0

    def __len__(self):
        return len(self.by_slot)

    def timed(self):
        """Blocked clients with a deadline (INFO's clients_in_timeout_table)."""
        return sum(1 for b in self.by_slot.values() if b[2])

    def register(self, slot):
        """A request of slot blocked (F_BLOCKED, deferred); note it unless it already is."""
        if slot in self.by_slot:
            return
        core = self.core
        row = core.conn[slot]
        args = core.args
        k0, n = int(row[C_BLOCK_KEY0]), int(row[C_BLOCK_NKEYS])
        keys = [string_at(int(args[r, 0]), int(args[r, 1])) for r in range(k0, k0 + n)]
        db = int(row[C_DB])
        ms = int(row[C_BLOCK_MS])
        deadline = int(time.time() * 1000) + ms if ms > 0 else 0
        self.serial += 1
        self.by_slot[slot] = (db, keys, deadline, self.serial)
        core.watches.block(slot, db, keys)
        if deadline:
            heapq.heappush(self.deadlines, (deadline, self.serial, slot))
        # a key written later in the batch that blocked it was not flagged yet: try again
        if any(core.key_info(db, key) is not None for key in keys):
            self.to_run.append(slot)

    def release(self, slot, keep_blocked=False):
        """The slot's request was answered, or the client went: forget its block.
        keep_blocked: a later request of the same batch blocked anew (F_BLOCKED stays)."""
        b = self.by_slot.pop(slot, None)
        conn = self.core.conn
        drop = F_UNBLOCKED if keep_blocked else F_BLOCKED | F_UNBLOCK_TIMEOUT | F_UNBLOCK_ERROR | F_UNBLOCKED
        conn[slot, C_FLAGS] &= ~drop
        if b is not None:
            watches = self.core.watches
            watches.unblock(slot, b[0], b[1])
            for key in b[1]:            # what it left (or did not take) goes to the next in line
                waiting = watches.blocked.get((b[0], key))
                if waiting and self.core.key_info(b[0], key) is not None:
                    self.to_run.append(waiting[0])

    def expire(self, now_ms):
        """Slots whose deadline passed, flagged to answer their timeout reply."""
        out = []
        heap = self.deadlines
        while heap and heap[0][0] <= now_ms:
            deadline, serial, slot = heapq.heappop(heap)
            b = self.by_slot.get(slot)
            if b is not None and b[3] == serial:
                self.core.conn[slot, C_FLAGS] |= F_UNBLOCK_TIMEOUT
                out.append(slot)
        return out

    def next_deadline(self):
        """The earliest deadline still standing (ms), or None."""
        heap = self.deadlines
        while heap:
            deadline, serial, slot = heap[0]
            b = self.by_slot.get(slot)
            if b is not None and b[3] == serial:
                return deadline
            heapq.heappop(heap)
        return None

    def unblock(self, slot, error):
        """CLIENT UNBLOCK: True if the slot was blocked (it answers on its next run)."""
        if slot not in self.by_slot:
            return False
        self.core.conn[slot, C_FLAGS] |= F_UNBLOCK_ERROR if error else F_UNBLOCK_TIMEOUT
        self.to_run.append(slot)
        return True

    def take_runs(self):
        runs = self.to_run
        self.to_run = []
        return runs
