"""The Python owner of the key space's memory (the kernels live in table.py and index.py).

Rules:
- Kernels never allocate: this class allocates every arena chunk and index
  (numpy arrays; a large block's chunk is a mapping, base/vmem.py, that
  grows in place when its block does), keeps them alive while their
  addresses sit in the chunk table, and hands memory back when the kernels
  release it.
- `after_batch()` runs once per loop turn: it answers the NEED_* request of a
  deferred write, keeps one spare chunk ready so the steady state never
  defers, and starts an incremental rehash when the index fills (or empties).
  Indexes are allocated with np.zeros, which maps zero pages lazily, so
  starting a rehash of a huge table costs no pause; the moving happens a few
  slots at a time inside the kernels.
"""
import os

import numpy as np

from mako_numba.config import settings as config
from mako_numba.base.jit import addr_of
from mako_numba.base.layout import (
    T_EVICT_LIMIT, T_LFU_DECAY, T_LFU_LOG, T_LOADING, T_MAXMEM, T_PROP_ADDR, T_PROP_SKIPPED, T_RAND,
)
from mako_numba.store.lfu import LFU_DECAY_TIME, LFU_LOG_FACTOR
from mako_numba.base.layout import (
    T_BUMP, T_DIRTY, T_EXPIRED, T_CUR, T_FILLED, T_LIVE, T_LOGCAP, T_MEM, T_MIG, T_MIGPOS, T_NEED,
    T_NEED_BYTES, T_NEED_CID, T_NFIELDS, T_OLOGCAP, T_RELEASE, T_INITLOG, T_SEED0, T_SEED1, T_LRU, T_SPARE,
    T_TOUCHED, T_WATCH_ADDR, T_WATCH_MASK, T_WATCHING, W_SIZE,
)
from mako_numba.store.arena import (
    C_ADDR, C_CAP, C_STATE, CS_FREE, CS_GENERAL, CS_LARGE_READY, CS_LARGE_USED, CS_RELEASE,
    CS_SPARE, NCLASSES, NEED_CHUNK, NEED_GROW, NEED_INDEX, NEED_LARGE,
)
from mako_numba.base.vmem import Mapping
from mako_numba.store.index import migrate, resize_due

MAX_CHUNKS = 1 << 14

try:
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # numpy 1.x
    from numpy.core.multiarray import _set_madvise_hugepage


def lazy_array(n, dtype, zero):
    """A big array whose pages are touched (and zeroed) only as they are used.

    numpy asks for transparent huge pages on arrays of 4 MiB and more.  With
    THP in `madvise` mode the first write into each 2 MiB page may then stall
    for compaction and zeroing, and the first writes after a rehash land all
    over a new index: the server froze for over a second growing past 8M
    keys.  Plain 4 KiB pages, faulted one at a time, spread that cost out.
    """
    previous = _set_madvise_hugepage(False)
    try:
        return np.zeros(n, dtype) if zero else np.empty(n, dtype)
    finally:
        _set_madvise_hugepage(previous)


class KeySpace:
    def __init__(self, databases=config.DEFAULT_DATABASES, logcap=config.TABLE_INITIAL_LOGCAP,
                 chunk_size=config.CHUNK_SIZE, seed=None):
        if chunk_size > config.CHUNK_SIZE or chunk_size % 8:
            raise ValueError("chunk size must be a multiple of 8 and at most 64 MiB")
        self.databases = databases
        self.initial_logcap = logcap
        self.chunk_size = chunk_size
        self.seed = seed
        self.reset()

    def reset(self):
        """Drop every key (FLUSHALL): fresh arrays, the old ones are freed.

        The hash seed and the database map (SWAPDB's) stay: they name keys and
        databases in the watch table, which outlives the keys.
        """
        tm = np.zeros(T_NFIELDS, np.int64)
        old = getattr(self, "tm", None)
        if old is not None:         # counters outlive the keys; each dropped key is a change
            tm[T_DIRTY] = old[T_DIRTY] + old[T_LIVE]
            tm[T_EXPIRED] = old[T_EXPIRED]
            tm[T_PROP_ADDR:T_PROP_SKIPPED + 1] = old[T_PROP_ADDR:T_PROP_SKIPPED + 1]  # the stream goes on
            tm[T_MAXMEM:T_EVICT_LIMIT + 1] = old[T_MAXMEM:T_EVICT_LIMIT + 1]    # maxmemory settings, evicted
            tm[T_LRU] = old[T_LRU]
            tm[T_LOADING] = old[T_LOADING]                              # a FLUSHALL in the AOF
            tm[T_LFU_LOG:T_NFIELDS] = old[T_LFU_LOG:T_NFIELDS]          # LFU settings, loading, EXEC's stamp
        else:
            tm[T_LFU_LOG] = LFU_LOG_FACTOR
            tm[T_LFU_DECAY] = LFU_DECAY_TIME
            tm[T_EVICT_LIMIT] = 1 << 62                                 # until cron sets it
        if old is not None:
            # the hash seed is per process, as Redis's: the watch table's
            # entries are keyed by it, and WATCH outlives a FLUSHALL
            tm[T_SEED0:T_SEED1 + 1] = old[T_SEED0:T_SEED1 + 1]
            tm[T_RAND] = old[T_RAND]
        else:
            raw = os.urandom(16) if self.seed is None else int(self.seed).to_bytes(16, "little")
            tm[T_SEED0] = int.from_bytes(raw[:8], "little", signed=True)
            tm[T_SEED1] = int.from_bytes(raw[8:], "little", signed=True)
            tm[T_RAND] = tm[T_SEED0] | 1
        tm[T_LOGCAP] = self.initial_logcap
        tm[T_INITLOG] = self.initial_logcap
        self.tm = tm
        self.set_watch_table(getattr(self, "watch_table", None), getattr(self, "watching", 0))
        self.idx = np.zeros(1 << self.initial_logcap, np.int64)
        self.oidx = np.zeros(1, np.int64)
        self.chunks = np.zeros((MAX_CHUNKS, 3), np.int64)
        self.free = np.zeros(NCLASSES, np.int64)
        dbk = np.zeros((self.databases, 3), np.int64)
        # the database map survives the keys (the watch table names physical databases)
        dbk[:, 2] = self.dbk[:, 2] if old is not None else np.arange(self.databases)
        self.dbk = dbk
        self._arrays = {}
        self._rebuild()
        self._add_spare()

    def set_watch_table(self, table, watching):
        """Hand the kernels a new watch table (watch.py builds it); None: nobody watches."""
        self.watch_table = table
        self.watching = watching
        tm = self.tm
        tm[T_WATCH_ADDR] = addr_of(table) if table is not None else 0
        tm[T_WATCH_MASK] = table.shape[0] // W_SIZE - 1 if table is not None else 0
        tm[T_WATCHING] = watching if table is not None else 0
        tm[T_TOUCHED] = 0

    def _rebuild(self):
        self.T = (self.tm, self.idx, self.oidx, self.chunks, self.free, self.dbk)

    # --- chunks ---------------------------------------------------------------
    def _new_chunk(self, size, state):
        free_ids = np.flatnonzero(self.chunks[1:, C_STATE] == CS_FREE)
        if free_ids.size == 0:
            raise MemoryError("arena chunk table is full")
        cid = int(free_ids[0]) + 1
        if state == CS_LARGE_READY:
            arr = Mapping(size)
            addr = arr.addr
        else:
            arr = lazy_array((size + 7) // 8, np.int64, zero=False)
            addr = addr_of(arr)
        self._arrays[cid] = arr
        self.chunks[cid, C_ADDR] = addr
        self.chunks[cid, C_CAP] = arr.nbytes
        self.chunks[cid, C_STATE] = state
        return cid

    def _grow_chunk(self, cid, size):
        """NEED_GROW: the large block in chunk `cid` (its own mapping) to `size` bytes, where
        it is; its ref is unchanged, its address may not be."""
        m = self._arrays[cid]
        old = m.nbytes
        self.chunks[cid, C_ADDR] = m.resize(size)
        self.chunks[cid, C_CAP] = m.nbytes
        self.tm[T_MEM] += m.nbytes - old

    def _add_spare(self):
        self.tm[T_SPARE] = self._new_chunk(self.chunk_size, CS_SPARE)

    def _release_chunks(self):
        for cid in np.flatnonzero(self.chunks[:, C_STATE] == CS_RELEASE):
            self._arrays.pop(int(cid), None)
            self.chunks[cid] = 0
        self.tm[T_RELEASE] = 0

    # --- the index --------------------------------------------------------------
    def _target_logcap(self, live=None):
        """Smallest index that holds the live keys (or `live`) at TABLE_TARGET_LOAD or less."""
        live = int(self.tm[T_LIVE]) if live is None else live
        logcap = self.initial_logcap
        while (1 << logcap) * config.TABLE_TARGET_LOAD < live:
            logcap += 1
        return logcap

    def start_rehash(self, logcap):
        """Begin moving every slot into a new index of 2**logcap slots."""
        if self.tm[T_MIG]:
            migrate(self.T, self.oidx.shape[0])          # finish the current one first
        self.oidx = self.idx
        self.idx = lazy_array(1 << logcap, np.int64, zero=True)
        tm = self.tm
        tm[T_OLOGCAP] = tm[T_LOGCAP]
        tm[T_LOGCAP] = logcap
        tm[T_FILLED] = 0
        tm[T_MIGPOS] = 0
        tm[T_MIG] = 1
        self._rebuild()

    def _maybe_resize(self):
        tm = self.tm
        if tm[T_MIG]:
            return
        if self.oidx.shape[0] > 1:
            self.oidx = np.zeros(1, np.int64)
            self._rebuild()
        if resize_due(self.T):
            self.start_rehash(self._target_logcap())

    def after_batch(self):
        """Supply what the kernels asked for; grow or shrink the index.

        run_batch reports (M_KEYSPACE) when this has anything to do.
        """
        self.supply()
        self._maybe_resize()

    def supply(self):
        """Answer the NEED_* request of a write that stopped, keep a spare chunk, free chunks
        released: after_batch without the resize checks (a loader calls it between rows)."""
        tm = self.tm
        need = tm[T_NEED]
        if need:
            tm[T_NEED] = 0
            if need == NEED_LARGE:
                self._new_chunk(int(tm[T_NEED_BYTES]), CS_LARGE_READY)
            elif need == NEED_GROW:
                self._grow_chunk(int(tm[T_NEED_CID]), int(tm[T_NEED_BYTES]))
            elif need == NEED_INDEX:
                self.start_rehash(max(self._target_logcap(), int(tm[T_LOGCAP]) + 1))
        if tm[T_SPARE] == 0:
            self._add_spare()
        if tm[T_RELEASE]:
            self._release_chunks()

    def reserve(self, n):
        """Size the index for n more keys now (an RDB file's RESIZEDB hint, Redis's
        dictExpand), so inserting them starts no rehash of its own."""
        logcap = self._target_logcap(int(self.tm[T_LIVE]) + n)
        if logcap > self.tm[T_LOGCAP]:
            self.start_rehash(logcap)

    def idle_step(self):
        """Move a larger share of a running rehash while the loop is idle."""
        if self.tm[T_MIG]:
            migrate(self.T, config.REHASH_STEPS_IDLE)
            self._maybe_resize()
            return True
        return False

    # --- numbers for INFO --------------------------------------------------------
    def used_bytes(self):
        return int(self.tm[T_MEM]) + self.idx.nbytes + self.oidx.nbytes

    def arena_bytes(self):
        return sum(a.nbytes for a in self._arrays.values())

    def arena_active(self):
        """Arena bytes handed out so far, live or freed: used chunks, less the current chunk's untouched tail.

        Spare and ready chunks, and the part of the current chunk past its
        bump pointer, were never written (calloc: no resident pages), so
        they are not counted: what is left is what fragmentation can waste.
        """
        ch = self.chunks
        state = ch[1:, C_STATE]
        used = ch[1:, C_CAP][(state == CS_GENERAL) | (state == CS_LARGE_USED)].sum()
        cur = int(self.tm[T_CUR])
        if cur:
            used -= int(ch[cur, C_CAP]) - int(self.tm[T_BUMP])
        return int(used)

    def keys(self, db=None):
        return int(self.tm[T_LIVE]) if db is None else int(self.dbk[self.dbk[db, 2], 0])

    def volatile(self, db):
        return int(self.dbk[self.dbk[db, 2], 1])

    def stats(self):
        tm = self.tm
        return {
            "logcap": int(tm[T_LOGCAP]), "live": int(tm[T_LIVE]), "filled": int(tm[T_FILLED]),
            "rehashing": bool(tm[T_MIG]), "chunks": len(self._arrays),
            "cur_chunk": int(tm[T_CUR]), "bump": int(tm[T_BUMP]), "mem": int(tm[T_MEM]),
        }


__all__ = ["KeySpace", "NEED_CHUNK"]


def info_keyspace(core):
    """INFO keyspace (registered by Core): the databases that have keys."""
    ks = core.ks
    return [
        (f"db{db}", f"keys={ks.keys(db)},expires={ks.volatile(db)},avg_ttl=0")
        for db in range(ks.databases) if ks.keys(db)
    ]
