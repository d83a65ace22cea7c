"""WATCH: which clients watch which keys, and which were touched.

Redis marks a watching client "dirty" when a key it watches is written,
deleted, expired or flushed after WATCH, and then EXEC answers a null array.
Here the kernels do the noticing and Python the bookkeeping:

- Python keeps the registry: (database number, key) -> watching slots.  From
  it, it builds the watch table the kernels read (an open-addressing table of
  (SipHash of the key, physical database) entries, layout.W_*), and hands it
  to the key space.  While nobody watches, the kernels skip the check.  The
  hash seed and the database map outlive FLUSHALL, so the table stays true.
- Every kernel change to a key marks its entry (index.touch_hash and
  touch_record), exactly: the entry holds the key's full 64-bit hash and its
  database, and the mark says written (WS_WRITTEN) or deleted (WS_DELETED).
  SWAPDB moves entries to their new physical database and marks them
  "swapped" (dirty only when the key exists in one of the two databases, as
  in Redis's touchAllWatchedKeysInDb).
- `settle()` turns marks into dirty clients.  It runs before the registry
  changes (so a mark is charged to the watchers of its time) and before EXEC
  decides.  Slow-path commands run after the batch's kernel work, so a
  WATCH or EXEC sees every write queued before it in the same batch.
- The table grows one key at a time (a key nobody watches any more stays
  as a dead entry until a rebuild).  Blocked clients wait in a table of
  their own, kept by the kernels (blockq.py).
- Expiry as Redis 7.0's watchedKey.expired: WATCH and EXEC only look, they
  delete nothing.  A key that is already expired when watched is flagged;
  its deletion (lazy or active expiry, a flush) is then no change, and it
  clears the flag.  EXEC fails when an unflagged watched key has expired.
"""
import time

import numpy as np

from mako_numba.base.layout import (
    C_FLAGS, F_TX_CAS, T_TOUCHED, T_WATCHING, W_HASH, W_OTHER, W_PDB, W_SIZE, W_STATE,
    WS_CLEAN, WS_DELETED, WS_SWAPPED, WS_WRITTEN,
)
from mako_numba.base.jit import addr_of
from mako_numba.store.index import key_sip
from mako_numba.store.table import expire_of, peek


class Watches:
    def __init__(self, core):
        self.core = core
        self.by_key = {}        # (db, key) -> set of slots
        self.by_slot = {}       # slot -> set of (db, key)
        self.sip = {}           # key -> its SipHash (while watched)
        self.dirty = set()      # slots whose EXEC must fail
        self.expired = set()    # (slot, db, key): the key was already expired when watched
        self.entries = []       # watch-table entry i -> (db, key), or None
        self.where = {}         # (db, key) -> its entry in the table
        self.dead = {}          # (db, key) -> its entry, for keys nobody watches now

    def watching(self, slot):
        return slot in self.by_slot

    def _dirty(self, slot):
        """EXEC must fail; the kernels stop counting queued commands (F_TX_CAS), as Redis."""
        self.dirty.add(slot)
        self.core.conn[slot, C_FLAGS] |= F_TX_CAS

    def _clean(self, slot):
        self.dirty.discard(slot)
        self.core.conn[slot, C_FLAGS] &= ~F_TX_CAS

    def _expire_time(self, db, key):
        """The key's expire time (0: none), -1 when it is not there; an expired key is left alone."""
        buf = np.frombuffer(bytes(key) + b"\0", np.uint8)
        T = self.core.ks.T
        _, which, pos = peek(T, self.core.lim, int(self.core.ks.dbk[db, 2]), addr_of(buf), len(key), 0)
        return int(expire_of(T, which, pos)) if which != 0 else -1

    def _is_expired(self, db, key, now):
        """Redis's keyIsExpired: the key is there, but its time is up."""
        exp = self._expire_time(db, key)
        return 0 < exp <= now

    # --- marks from the kernels --------------------------------------------------------
    def settle(self):
        """Charge the kernels' marks to the watching clients (touchWatchedKey and SWAPDB's rules)."""
        ks = self.core.ks
        table = ks.watch_table
        if table is None or not ks.tm[T_TOUCHED]:
            return
        now = int(time.time() * 1000)
        states = table[W_STATE::W_SIZE]
        for i in np.flatnonzero(states > WS_CLEAN):
            i = int(i)
            dk = self.entries[i]
            st = int(states[i])
            states[i] = WS_CLEAN
            db, key = dk
            for slot in self.by_key.get(dk, ()):
                wk = (slot, db, key)
                if st & WS_WRITTEN or (st & WS_DELETED and wk not in self.expired):
                    self._dirty(slot)
                    continue
                if st & WS_DELETED:             # an already expired key went: no change
                    self.expired.discard(wk)
                if st & WS_SWAPPED:
                    self._swapped(wk, int(table[i * W_SIZE + W_OTHER]), now)
        ks.tm[T_TOUCHED] = 0

    def _swapped(self, wk, other, now):
        """touchAllWatchedKeysInDb(emptied, replaced_with) for SWAPDB: the key's old
        contents now sit in database `other`, its new ones in its own."""
        slot, db, key = wk
        in_emptied = self._expire_time(other, key) >= 0
        in_replaced = self._expire_time(db, key) >= 0
        if not (in_emptied or in_replaced):
            return
        if wk in self.expired:
            if not in_replaced:
                self.expired.discard(wk)
                return
            if self._is_expired(db, key, now):
                return
        elif not in_emptied and self._is_expired(db, key, now):
            self.expired.add(wk)
            return
        self._dirty(slot)

    def flushing(self, db=None):
        """FLUSHDB (db) or FLUSHALL (None) is about to run: watchers of keys there get dirty.

        A key counts while it is stored, expired or not; for a watcher that
        found it already expired its going is no change (the flag clears).
        """
        self.settle()
        for (wdb, key), slots in self.by_key.items():
            if (db is None or wdb == db) and self._expire_time(wdb, key) >= 0:
                for slot in slots:
                    if (slot, wdb, key) in self.expired:
                        self.expired.discard((slot, wdb, key))
                    else:
                        self._dirty(slot)

    def flushed(self):
        """The flush is done: its deletions were charged by flushing(), forget their marks."""
        ks = self.core.ks
        if ks.watch_table is not None:
            states = ks.watch_table[W_STATE::W_SIZE]
            states[states > WS_CLEAN] = WS_CLEAN
        ks.tm[T_TOUCHED] = 0

    # --- the registry ---------------------------------------------------------------------
    def watch(self, slot, db, keys):
        self.settle()
        now = int(time.time() * 1000)
        mine = self.by_slot.setdefault(slot, set())
        for key in keys:
            if (db, key) in mine:
                continue
            mine.add((db, key))
            if self._is_expired(db, key, now):
                self.expired.add((slot, db, key))
            self.by_key.setdefault((db, key), set()).add(slot)
            self._enter(db, key)

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
                    self._leave(*wk)
                self.expired.discard((slot,) + wk)
        self._clean(slot)           # ...so the mark goes last

    def exec_dirty(self, slot):
        """Must this client's EXEC fail?  Also when a watched key expired since WATCH
        (Redis's isWatchedKeyExpired, which deletes nothing)."""
        self.settle()
        if slot in self.dirty:
            return True
        now = int(time.time() * 1000)
        return any((slot, db, key) not in self.expired and self._is_expired(db, key, now)
                   for db, key in self.by_slot.get(slot, ()))

    # --- the table ------------------------------------------------------------------------
    def _enter(self, db, key):
        """Give (db, key) an entry in the kernels' table."""
        dk = (db, key)
        e = self.where.get(dk)
        if e is None and dk in self.dead:
            e = self.where[dk] = self.dead.pop(dk)     # its old entry lives again
            self._count()
        if e is None:
            live = len(self.where) + 1
            table = self.core.ks.watch_table
            if table is None or 2 * (live + len(self.dead)) > table.shape[0] // W_SIZE:
                self.where[dk] = -1
                self._rebuild()
                return
            if key not in self.sip:
                self.sip[key] = self._sip(key)
            mask = table.shape[0] // W_SIZE - 1
            pos = self.sip[key] & mask
            while self.entries[pos] is not None:
                pos = (pos + 1) & mask
            self._fill(table, pos, db, key)
            self.where[dk] = pos
            self._count()

    def _leave(self, db, key):
        """Nobody watches (db, key) any more: its entry goes dead."""
        dk = (db, key)
        if dk in self.by_key:
            return
        e = self.where.pop(dk, None)
        if e is None:
            return
        self.dead[dk] = e
        if not self.where or len(self.dead) > max(16, len(self.where)):
            self._rebuild()

    def _count(self):
        ks = self.core.ks
        ks.watching = ks.tm[T_WATCHING] = len(self.where)

    def _sip(self, key):
        buf = np.frombuffer(bytes(key) + b"\0", np.uint8)
        return int(key_sip(self.core.ks.tm, addr_of(buf), len(key)))

    def _fill(self, table, pos, db, key):
        e = pos * W_SIZE
        table[e + W_HASH] = self.sip[key]
        table[e + W_PDB] = self.core.ks.dbk[db, 2]
        table[e + W_STATE] = WS_CLEAN
        self.entries[pos] = (db, key)

    def _rebuild(self):
        """A new table of the live keys (marks are settled first by the callers)."""
        ks = self.core.ks
        self.dead = {}
        keys = list(self.where)
        live_keys = {key for _, key in keys}
        for key in [k for k in self.sip if k not in live_keys]:
            del self.sip[key]
        n = len(keys)
        if n == 0:
            self.entries = []
            ks.set_watch_table(None, 0)
            return
        cap = 16
        while cap < 4 * n:
            cap *= 2
        table = np.zeros(cap * W_SIZE, np.int64)
        self.entries = [None] * cap
        mask = cap - 1
        for db, key in keys:
            if key not in self.sip:
                self.sip[key] = self._sip(key)
            pos = self.sip[key] & mask
            while self.entries[pos] is not None:
                pos = (pos + 1) & mask
            self._fill(table, pos, db, key)
            self.where[(db, key)] = pos
        ks.set_watch_table(table, n)
