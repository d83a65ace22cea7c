"""WATCH: which clients watch which keys, and which of them were touched.

Redis marks a watching client "dirty" when a key it watches is written,
deleted, expired or flushed after WATCH, and then EXEC answers a null array.
Here the kernels do the noticing and Python the bookkeeping:

- Python keeps the registry: (database number, key) -> watching slots.  From
  it, it builds the watch table the kernels read (an open-addressing table of
  (SipHash of the key, physical database) entries, layout.W_*), and hands it
  to the key space.  While nobody watches, the kernels skip the check.
- Every kernel change to a key marks its entry (index.touch_hash and
  touch_record), exactly: the entry holds the key's full 64-bit hash and its
  database.  SWAPDB moves entries to their new physical database and marks
  them "swapped" (dirty only when the key exists in one of the two
  databases, as in Redis's touchAllWatchedKeysInDb).
- `settle()` turns marks into dirty clients.  It runs before the registry
  changes (so a mark is charged to the watchers of its time) and before EXEC
  decides.  Slow-path commands run after the batch's kernel work, so a
  WATCH or EXEC sees every write queued before it in the same batch.
- An expired key counts as changed once it is gone: WATCH deletes a key that
  is already expired (Redis would treat its later deletion as no change), and
  EXEC looks each watched key up, which deletes it if it expired since.
"""
import numpy as np

from .layout import (
    T_TOUCHED, W_HASH, W_OTHER, W_PDB, W_SIZE, W_STATE, WS_CLEAN, WS_SWAPPED, WS_TOUCHED,
)
from .jit import addr_of
from .table import key_sip


class Watches:
    def __init__(self, core):
        self.core = core
        self.by_key = {}        # (db, key) -> set of slots
        self.by_slot = {}       # slot -> set of (db, key)
        self.sip = {}           # key -> its SipHash (while watched)
        self.dirty = set()      # slots whose EXEC must fail
        self.entries = []       # watch-table entry i -> (db, key), or None

    def watching(self, slot):
        return slot in self.by_slot

    # --- marks from the kernels --------------------------------------------------------
    def settle(self):
        """Charge the kernels' marks to the watching clients."""
        ks = self.core.ks
        table = ks.watch_table
        if table is None or not ks.tm[T_TOUCHED]:
            return
        states = table[W_STATE::W_SIZE]
        for i in np.flatnonzero(states >= WS_TOUCHED):
            i = int(i)
            db, key = self.entries[i]
            st = int(states[i])
            if st == WS_TOUCHED or (st == WS_SWAPPED and (
                    self.core.key_info(db, key) is not None
                    or self.core.key_info(int(table[i * W_SIZE + W_OTHER]), key) is not None)):
                self.dirty.update(self.by_key.get((db, key), ()))
            states[i] = WS_CLEAN
        ks.tm[T_TOUCHED] = 0

    def flushing(self, db=None):
        """FLUSHDB (db) or FLUSHALL (None) is about to run: watchers of existing keys get dirty."""
        self.settle()
        for (wdb, key), slots in self.by_key.items():
            if (db is None or wdb == db) and self.core.key_info(wdb, key) is not None:
                self.dirty.update(slots)

    # --- the registry ---------------------------------------------------------------------
    def watch(self, slot, db, keys):
        core = self.core
        for key in keys:
            core.key_info(db, key)          # deletes it if already expired
        self.settle()
        mine = self.by_slot.setdefault(slot, set())
        for key in keys:
            if (db, key) in mine:
                continue
            mine.add((db, key))
            self.by_key.setdefault((db, key), set()).add(slot)
            if key not in self.sip:
                buf = np.frombuffer(bytes(key) + b"\0", np.uint8)
                self.sip[key] = int(key_sip(core.ks.tm, addr_of(buf), len(key)))
        self._rebuild()

    def unwatch(self, slot):
        """Forget the slot's watches and its dirty mark (the slot may serve a new client next)."""
        mine = self.by_slot.pop(slot, None)
        if mine:
            self.settle()           # marks due to other watchers; may mark this slot too...
            for wk in mine:
                slots = self.by_key.get(wk)
                slots.discard(slot)
                if not slots:
                    del self.by_key[wk]
            live = {key for _, key in self.by_key}
            for key in [k for k in self.sip if k not in live]:
                del self.sip[key]
            self._rebuild()
        self.dirty.discard(slot)    # ...so the mark goes last

    def exec_dirty(self, slot):
        """Must this client's EXEC fail?  (Looks up each watched key: expiry counts.)"""
        for db, key in self.by_slot.get(slot, ()):
            self.core.key_info(db, key)
        self.settle()
        return slot in self.dirty

    def _rebuild(self):
        ks = self.core.ks
        n = len(self.by_key)
        if n == 0:
            self.entries = []
            ks.set_watch_table(None, 0)
            return
        cap = 16
        while cap < 2 * n:
            cap *= 2
        table = np.zeros(cap * W_SIZE, np.int64)
        entries = [None] * cap
        mask = cap - 1
        for db, key in self.by_key:
            s = self.sip[key]
            pos = s & mask
            while entries[pos] is not None:
                pos = (pos + 1) & mask
            entries[pos] = (db, key)
            e = pos * W_SIZE
            table[e + W_HASH] = s
            table[e + W_PDB] = ks.dbk[db, 2]
            table[e + W_STATE] = WS_CLEAN
        self.entries = entries
        ks.set_watch_table(table, n)
