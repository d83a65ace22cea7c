"""The key space's index: slots, hashing, probing, WATCH marks and incremental rehash.

The low-level half of the key space (table.py has the state tuple `T`, the
slot format and the operations built on these kernels).  table.py re-exports
the names here, so the table's users still import from one place.

Rules and theory:
- Lookup hashes (db, key) with SipHash-1-3 under a random per-process seed,
  probes linearly from the top `logcap` bits of the hash, and compares keys
  only when the 26-bit tag matches.
- Growth is incremental, as Redis rehashes: Python allocates a larger zeroed
  index (calloc: no pause), and every write plus every loop turn moves a few
  old slots across.  Lookups look in the new index, then the old one; moved
  slots become tombstones so old probe chains stay intact.
- WATCH: every change to a key (write, TTL change, delete, expiry) marks
  its entry in the watch table, when some client watches anything (one
  load and branch otherwise).  The table is built by Python (watch.py) and
  holds exact (SipHash, database) pairs, so there are no false alarms.
"""
import numpy as np

from mako_numba.config import settings as config
from mako_numba.base.jit import i64view, kernel, prefetch, u8view
from mako_numba.base.siphash import siphash13
from mako_numba.store.arena import REC_HDR, rec_db, rec_hdr, rec_klen, ref_addr
from mako_numba.store.blockq import bq_mark, bq_swapdb
from mako_numba.base.layout import (
    T_BQ_KEYS, T_DIRTY, T_FILLED, T_INITLOG, T_LIVE, T_LOGCAP, T_MIG, T_MIGPOS, T_NEED, T_OLOGCAP, T_RELEASE,
    T_SEED0, T_SEED1, T_SPARE, T_TOUCHED, T_WATCH_ADDR, T_WATCH_MASK, T_WATCHING,
    W_HASH, W_OTHER, W_PDB, W_SIZE, W_STATE, WS_CLEAN, WS_EMPTY, WS_SWAPPED, WS_WRITTEN,
)


EMPTY = 0
TOMB = 1
REF_MASK = (1 << 37) - 1
LRU_BITS = 0xFFFFFF << 16           # the access clock's place in header word 1
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@kernel(inline=True)
def slot_ref(s):
    return (s & REF_MASK) << 3


@kernel(inline=True)
def make_slot(tag, ref):
    return (tag << 37) | (ref >> 3)


# --- hashing ------------------------------------------------------------------------
@kernel(inline=True)
def key_hash(tm, db, kaddr, klen):
    h = siphash13(tm[T_SEED0], tm[T_SEED1], kaddr, klen)
    return h ^ (np.uint64(db + 1) * GOLDEN)


@kernel(inline=True)
def hash_tag(h):
    return np.int64(h >> np.uint64(38))


@kernel(inline=True)
def hash_pos(h, logcap):
    return np.int64(h >> np.uint64(64 - logcap))


# --- WATCH: mark watched keys as they change -------------------------------------
@kernel
def _watch_mark(tm, s, db, mark):
    n = tm[T_WATCH_MASK] + 1
    wt = i64view(tm[T_WATCH_ADDR], n * W_SIZE)
    pos = s & (n - 1)
    while True:
        e = pos * W_SIZE
        st = wt[e + W_STATE]
        if st == WS_EMPTY:
            return
        if wt[e + W_HASH] == s and wt[e + W_PDB] == db:
            if st == WS_CLEAN:
                tm[T_TOUCHED] += 1
            wt[e + W_STATE] = st | mark
            return
        pos = (pos + 1) & (n - 1)


@kernel(inline=True)
def touch_hash(tm, db, h):
    """Key (db, hash h) changed."""
    tm[T_DIRTY] += 1
    if tm[T_WATCHING] != 0:
        _watch_mark(tm, np.int64(h ^ (np.uint64(db + 1) * GOLDEN)), db, WS_WRITTEN)
    if tm[T_BQ_KEYS] != 0:          # clients wait on some keys: this one may be ready (blockq.py)
        bq_mark(tm, np.int64(h ^ (np.uint64(db + 1) * GOLDEN)), db)


@kernel
def key_sip(tm, kaddr, klen):
    """The database-free part of a key's hash (the watch table's key)."""
    return np.int64(siphash13(tm[T_SEED0], tm[T_SEED1], kaddr, klen))


@kernel(inline=True)
def touch_record(tm, chunks, ref, mark):
    """The key of record ref changed: WS_WRITTEN, or WS_DELETED when it is going away."""
    tm[T_DIRTY] += 1
    if tm[T_WATCHING] != 0 or (tm[T_BQ_KEYS] != 0 and mark == WS_WRITTEN):
        hdr = rec_hdr(chunks, ref)
        s = key_sip(tm, ref_addr(chunks, ref) + REC_HDR, rec_klen(hdr))
        if tm[T_WATCHING] != 0:
            _watch_mark(tm, s, rec_db(hdr), mark)
        if tm[T_BQ_KEYS] != 0 and mark == WS_WRITTEN:
            bq_mark(tm, s, rec_db(hdr))


@kernel
def watch_swapdb(tm, p1, p2, d1, d2):
    """SWAPDB d1 d2 (physical p1, p2): watched and waited-on keys follow their database number."""
    bq_swapdb(tm, p1, p2)
    if tm[T_WATCHING] == 0:
        return
    n = tm[T_WATCH_MASK] + 1
    wt = i64view(tm[T_WATCH_ADDR], n * W_SIZE)
    for i in range(n):
        e = i * W_SIZE
        pdb = wt[e + W_PDB]
        if wt[e + W_STATE] == WS_EMPTY or (pdb != p1 and pdb != p2):
            continue
        wt[e + W_PDB] = p2 if pdb == p1 else p1
        wt[e + W_OTHER] = d2 if pdb == p1 else d1
        if wt[e + W_STATE] == WS_CLEAN:
            tm[T_TOUCHED] += 1
        wt[e + W_STATE] |= WS_SWAPPED


@kernel
def _key_eq(chunks, ref, db, kaddr, klen):
    hdr = rec_hdr(chunks, ref)
    if rec_klen(hdr) != klen or rec_db(hdr) != db:
        return False
    a = u8view(ref_addr(chunks, ref) + REC_HDR, klen)
    b = u8view(kaddr, klen)
    for i in range(klen):
        if a[i] != b[i]:
            return False
    return True


@kernel(inline=True)
def _probe(ix, logcap, chunks, h, db, kaddr, klen):
    """Slot index holding (db, key) in one index, or -1."""
    mask = (1 << logcap) - 1
    tag = hash_tag(h)
    pos = hash_pos(h, logcap)
    while True:
        s = ix[pos]
        if s == EMPTY:
            return -1
        if s != TOMB and (s >> 37) == tag and _key_eq(chunks, slot_ref(s), db, kaddr, klen):
            return pos
        pos = (pos + 1) & mask


@kernel(inline=True)
def prefetch_slot(T, db, kaddr, klen):
    """Start loading the index slot where (db, key) lives; returns the key's hash."""
    tm, idx = T[0], T[1]
    h = key_hash(tm, db, kaddr, klen)
    prefetch(idx.ctypes.data + 8 * hash_pos(h, tm[T_LOGCAP]))
    return h


@kernel(inline=True)
def prefetch_record(T, h):
    """Start loading the record that the key's home slot points at, if its tag matches."""
    tm, idx, chunks = T[0], T[1], T[3]
    s = idx[hash_pos(h, tm[T_LOGCAP])]
    if s > TOMB and (s >> 37) == hash_tag(h):
        prefetch(ref_addr(chunks, slot_ref(s)))


@kernel(inline=True)
def find(T, h, db, kaddr, klen):
    """(which, slot): which is 1 for idx, 2 for oidx, 0 when absent."""
    tm, idx, oidx, chunks, free, dbk = T
    p = _probe(idx, tm[T_LOGCAP], chunks, h, db, kaddr, klen)
    if p >= 0:
        return 1, p
    if tm[T_MIG]:
        p = _probe(oidx, tm[T_OLOGCAP], chunks, h, db, kaddr, klen)
        if p >= 0:
            return 2, p
    return 0, -1


@kernel
def _slot_hash(tm, chunks, s):
    """Full hash of the record a slot points at (for indexes beyond 2**26)."""
    ref = slot_ref(s)
    hdr = rec_hdr(chunks, ref)
    return key_hash(tm, rec_db(hdr), ref_addr(chunks, ref) + REC_HDR, rec_klen(hdr))


@kernel
def place_slot(tm, ix, logcap, chunks, s):
    """Put live slot value s into index ix (key known absent); True if it took an empty slot."""
    mask = (1 << logcap) - 1
    if logcap <= 26:
        pos = (s >> 37) >> (26 - logcap)
    else:
        pos = hash_pos(_slot_hash(tm, chunks, s), logcap)
    while ix[pos] > TOMB:
        pos = (pos + 1) & mask
    was_empty = ix[pos] == EMPTY
    ix[pos] = s
    return was_empty


@kernel(entry=True, inline=True)
def resize_due(T):
    """Should the index grow (fill above TABLE_GROW_LOAD) or shrink (live keys below TABLE_SHRINK_LOAD)?"""
    tm = T[0]
    cap = 1 << tm[T_LOGCAP]
    return tm[T_FILLED] * 1_000_000 > cap * config.TABLE_GROW_PPM or (
        tm[T_LOGCAP] > tm[T_INITLOG] and tm[T_LIVE] * 1_000_000 < cap * config.TABLE_SHRINK_PPM)


@kernel(inline=True)
def keyspace_wants(T):
    """Has store.KeySpace.after_batch anything to do (memory asked for, a resize due)?"""
    tm, idx, oidx, chunks, free, dbk = T
    if tm[T_NEED] or tm[T_SPARE] == 0 or tm[T_RELEASE]:
        return True
    if tm[T_MIG]:
        return False
    return oidx.shape[0] > 1 or resize_due(T)


@kernel
def migrate(T, steps):
    """Move up to `steps` slots of the old index into the new one."""
    tm, idx, oidx, chunks, free, dbk = T
    if tm[T_MIG] == 0:
        return 0
    n = oidx.shape[0]
    p = tm[T_MIGPOS]
    end = min(n, p + steps)
    for j in range(p, end):
        s = oidx[j]
        if s > TOMB:
            if place_slot(tm, idx, tm[T_LOGCAP], chunks, s):
                tm[T_FILLED] += 1
            oidx[j] = TOMB
    tm[T_MIGPOS] = end
    if end == n:
        tm[T_MIG] = 0
    return end - p
