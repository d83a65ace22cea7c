"""The key space: an open-addressing hash index over records in a byte arena.

State is a tuple of arrays, `T = (tm, idx, oidx, chunks, free, dbk)`:
- `tm`     int64 meta fields (layout.T_*): sizes, seeds, counters, requests.
- `idx`    int64 slots of the index (2**logcap).  0 = empty, 1 = tombstone,
           otherwise `tag << 37 | ref >> 3`, where tag is the top 26 bits of
           the key's hash and ref the record's place in the arena.
- `oidx`   the previous index while an incremental rehash runs, else 1 slot.
- `chunks` int64 [n, 3]: address, capacity and state (CS_*) of arena chunks.
           Python allocates every chunk (numpy, pages touched lazily) and
           keeps it alive; kernels only read and write through the address.
- `free`   int64 heads of the free lists, one per size class.
- `dbk`    int64 [databases, 3]: per physical database its keys and its keys
           with an expire time; column 2 maps a database number as clients
           see it to the physical one (SWAPDB swaps two entries, O(1)).

Records and their blocks are arena.py's; a ref is `cid << 26 | offset` with
chunk ids from 1, so no live slot can look like a tombstone.  Names of the
arena, the index and the layouts are imported from their own modules.

Rules and theory:
- Lookup, growth (an incremental rehash) and WATCH marking are index.py's.
- No kernel allocates.  When a chunk or a larger index is needed, the call
  fails cleanly with a NEED_* code, changing nothing; the engine defers that
  request and Python supplies the memory before the next turn.
"""
from mako_numba.config import settings as config
from mako_numba.base.jit import copy_bytes, i64view, kernel, u8view
from mako_numba.store.effects import propagate_del, propagating
from mako_numba.store.lfu import FLAG_LFU, FLAG_LRU, lfu_touched
from mako_numba.store.arena import (
    OK, NEED_INDEX, REC_HDR, ref_addr, rec_hdr, rec_klen, rec_vlen, rec_db, rec_lru, alloc,
    free_block, fits_in_place, write_record, ENC_RAW, ENC_UNSHARED, ENC_TX, ENC_TX_SHIFT,
    OBJ_BITS, rec_type, C_CAP, CID_SHIFT, grow_large,
)
from mako_numba.base.layout import (
    T_LOGCAP, T_LIVE, T_FILLED, T_MIG, T_OLOGCAP, T_NEED, T_EXPIRED, T_VOLATILE, T_LOADING,
    T_LRU, T_DIRTY, T_POLICY, T_MAXMEM, T_TX_STAMP, WS_DELETED, WS_WRITTEN,
)
from mako_numba.store.index import (
    EMPTY, LRU_BITS, TOMB, place_slot, find, hash_tag, key_hash, make_slot, migrate, slot_ref,
    touch_hash, touch_record,
)


# --- the operations -----------------------------------------------------------------
@kernel
def get(T, db, kaddr, klen):
    """(value address, value length) of a key, or (0, -1) when absent."""
    tm, idx, oidx, chunks, free, dbk = T
    h = key_hash(tm, db, kaddr, klen)
    which, pos = find(T, h, db, kaddr, klen)
    if which == 0:
        return 0, -1
    s = idx[pos] if which == 1 else oidx[pos]
    ref = slot_ref(s)
    hdr = rec_hdr(chunks, ref)
    return ref_addr(chunks, ref) + REC_HDR + rec_klen(hdr), rec_vlen(hdr)


@kernel
def set_(T, lim, db, kaddr, klen, vaddr, vlen):
    """Store key = value with no expire time.  Returns OK or a NEED_* code (then nothing changed)."""
    h, which, pos = lookup(T, lim, db, kaddr, klen, 0)
    return store(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen, 0)


@kernel
def unlink_slot(T, lim, ix, logcap, is_new, pos):
    """Free the record in slot `pos` of `ix` and mark the slot deleted."""
    tm, idx, oidx, chunks, free, dbk = T
    s = ix[pos]
    ref = slot_ref(s)
    hdr = rec_hdr(chunks, ref)
    db = rec_db(hdr)
    volatile = hdr[2] != 0
    touch_record(tm, chunks, ref, WS_DELETED)
    free_block(T, lim, ref, REC_HDR + rec_klen(hdr) + rec_vlen(hdr))
    mask = (1 << logcap) - 1
    if ix[(pos + 1) & mask] == EMPTY:
        ix[pos] = EMPTY
        if is_new:
            tm[T_FILLED] -= 1
    else:
        ix[pos] = TOMB
    tm[T_LIVE] -= 1
    dbk[db, 0] -= 1
    if volatile:
        dbk[db, 1] -= 1
        tm[T_VOLATILE] -= 1


@kernel
def delete(T, lim, db, kaddr, klen):
    """Remove a key; 1 if it existed."""
    tm, idx, oidx, chunks, free, dbk = T
    h = key_hash(tm, db, kaddr, klen)
    which, pos = find(T, h, db, kaddr, klen)
    if which == 0:
        return 0
    if which == 1:
        unlink_slot(T, lim, idx, tm[T_LOGCAP], True, pos)
    else:
        unlink_slot(T, lim, oidx, tm[T_OLOGCAP], False, pos)
    return 1


@kernel
def exists(T, db, kaddr, klen):
    tm = T[0]
    which, pos = find(T, key_hash(tm, db, kaddr, klen), db, kaddr, klen)
    return 1 if which != 0 else 0


@kernel(inline=True)
def db_of(T, logical):
    """The physical database behind a database number (SWAPDB remaps them)."""
    return T[5][logical, 2]


@kernel
def expire_slot(T, lim, ix, logcap, is_new, pos):
    """Delete a key whose time is up: counted as expired, not as a change (Redis's dirty).

    The propagation stream gets a DEL for it, as Redis propagates one.
    """
    tm = T[0]
    if propagating(tm):
        chunks = T[3]
        ref = slot_ref(ix[pos])
        hdr = rec_hdr(chunks, ref)
        propagate_del(T, rec_db(hdr), ref_addr(chunks, ref) + REC_HDR, rec_klen(hdr))
    unlink_slot(T, lim, ix, logcap, is_new, pos)
    tm[T_EXPIRED] += 1
    tm[T_DIRTY] -= 1


@kernel
def flush_db(T, lim, logical):
    """Delete every key of one database (O(slots), as FLUSHDB SYNC is)."""
    tm, idx, oidx, chunks, free, dbk = T
    db = dbk[logical, 2]
    if dbk[db, 0] == 0:
        return
    for pass_ in range(2):
        if pass_ == 1 and not tm[T_MIG]:
            break
        ix = idx if pass_ == 0 else oidx
        logcap = tm[T_LOGCAP] if pass_ == 0 else tm[T_OLOGCAP]
        # walk backwards so clearing a slot to EMPTY never hides a later one
        for pos in range(ix.shape[0] - 1, -1, -1):
            s = ix[pos]
            if s > TOMB and rec_db(rec_hdr(chunks, slot_ref(s))) == db:
                unlink_slot(T, lim, ix, logcap, pass_ == 0, pos)


# --- expiry-aware operations (the engine's commands use these) ---------------------
@kernel(inline=True)
def _lookup(T, lim, db, kaddr, klen, now, touch):
    return lookup_hashed(T, lim, db, kaddr, klen, now, touch, key_hash(T[0], db, kaddr, klen), -1)


@kernel(inline=True)
def lookup_hashed(T, lim, db, kaddr, klen, now, touch, h, want):
    """_lookup with the key's hash known (0: compute it).  want >= 0: a live key of another
    type (arena.rec_type) gives which -1 (store/types.WRONGTYPE, checked here where the header
    is at hand); -1: any type."""
    tm, idx, oidx, chunks, free, dbk = T
    if h == 0:
        h = key_hash(tm, db, kaddr, klen)
    which, pos = find(T, h, db, kaddr, klen)
    if which != 0:
        ix = idx if which == 1 else oidx
        hdr = rec_hdr(chunks, slot_ref(ix[pos]))
        exp = hdr[2]
        if exp != 0 and exp <= now and tm[T_LOADING] == 0:     # nothing expires while loading
            expire_slot(T, lim, ix, tm[T_LOGCAP] if which == 1 else tm[T_OLOGCAP], which == 1, pos)
            return h, 0, -1
        if touch:
            if tm[T_POLICY] & FLAG_LFU:     # Redis's updateLFU instead of the LRU clock
                hdr[1] = (hdr[1] & ~LRU_BITS) | (lfu_touched(tm, rec_lru(hdr)) << 16)
            else:
                hdr[1] = (hdr[1] & ~LRU_BITS) | (tm[T_LRU] << 16)
        if want >= 0 and rec_type(hdr) != want:
            return h, -1, pos
    return h, which, pos


@kernel
def lookup(T, lim, db, kaddr, klen, now):
    """(hash, which, slot) of a live key; an expired key is deleted on the way.

    which is 1 (idx), 2 (oidx) or 0 (absent).  The result stays valid until
    the next operation that may move slots (an insert's rehash step).  The
    key's access time (LRU clock) is updated, as Redis's lookupKey does.
    """
    return _lookup(T, lim, db, kaddr, klen, now, True)


@kernel
def peek(T, lim, db, kaddr, klen, now):
    """lookup without updating the access time (Redis's LOOKUP_NOTOUCH: TYPE, TTL, EXISTS, OBJECT)."""
    return _lookup(T, lim, db, kaddr, klen, now, False)


@kernel(inline=True)
def slot_record(T, which, pos):
    """The ref of the record in a slot found by lookup."""
    tm, idx, oidx, chunks, free, dbk = T
    return slot_ref(idx[pos] if which == 1 else oidx[pos])


@kernel(entry=True, inline=True)
def value_of(T, which, pos):
    """(address, length) of the value in a slot found by lookup."""
    chunks = T[3]
    ref = slot_record(T, which, pos)
    hdr = rec_hdr(chunks, ref)
    return ref_addr(chunks, ref) + REC_HDR + rec_klen(hdr), rec_vlen(hdr)


@kernel
def expire_of(T, which, pos):
    return rec_hdr(T[3], slot_record(T, which, pos))[2]


@kernel
def enc_flags(T, which, pos):
    """The object bits of a key found by lookup: its type (arena.TYPE_BITS) and ENC_* flags."""
    return rec_hdr(T[3], slot_record(T, which, pos))[1] & OBJ_BITS


@kernel
def set_enc_flags(T, which, pos, flags):
    """Make flags the object bits (type and ENC_* flags) of a key found by lookup; a string's
    flags are its ENC_* alone, as its type is 0 (each implies ENC_UNSHARED's meaning)."""
    hdr = rec_hdr(T[3], slot_record(T, which, pos))
    hdr[1] = (hdr[1] & ~OBJ_BITS) | flags


@kernel(entry=True)
def lru_of(T, which, pos):
    """The access time (LRU clock) of a key found by lookup."""
    return rec_lru(rec_hdr(T[3], slot_record(T, which, pos)))


@kernel(inline=True)
def set_expire_at(T, which, pos, when):
    """Set (when > 0) or clear (0) the expire time of a live key."""
    tm, idx, oidx, chunks, free, dbk = T
    ref = slot_record(T, which, pos)
    touch_record(tm, chunks, ref, WS_WRITTEN)
    hdr = rec_hdr(chunks, ref)
    db = rec_db(hdr)
    was = 1 if hdr[2] != 0 else 0
    now = 1 if when != 0 else 0
    hdr[2] = when
    dbk[db, 1] += now - was
    tm[T_VOLATILE] += now - was


@kernel(inline=True)
def _new_lru(tm, chunks, ref):
    """The access bits of a value replacing record ref: the clock, or under LFU the old
    counter (Redis's dbSetValue keeps an overwritten key's LFU data)."""
    if tm[T_POLICY] & FLAG_LFU:
        return rec_lru(rec_hdr(chunks, ref))
    return tm[T_LRU]


@kernel(inline=True)
def _unshared(tm):
    """The ENC_* flags of a value stored now: ENC_UNSHARED unless maxmemory is off or its policy
    is neither LRU nor LFU (tryObjectEncoding), and the running EXEC's stamp (T_TX_STAMP)."""
    enc = tm[T_TX_STAMP] << ENC_TX_SHIFT
    if tm[T_MAXMEM] != 0 and tm[T_POLICY] & (FLAG_LRU | FLAG_LFU):
        return enc | ENC_UNSHARED
    return enc


@kernel(inline=True)
def store_inline(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen, expire):
    """Write key = value (vaddr 0: zeros) at a lookup result; OK or NEED_*.

    `expire` is the new expire time (0: none); nothing changes on NEED_*.
    An existing record is rewritten in place when the new size keeps its
    size class.
    """
    tm, idx, oidx, chunks, free, dbk = T
    new_size = REC_HDR + klen + vlen
    if which != 0:
        ref = slot_record(T, which, pos)
        old_size = REC_HDR + klen + rec_vlen(rec_hdr(chunks, ref))
        if fits_in_place(lim, chunks, ref, old_size, new_size):
            write_record(chunks, ref, db | (_new_lru(tm, chunks, ref) << 16) | _unshared(tm), kaddr,
                          klen, vaddr, vlen, rec_hdr(chunks, ref)[2])
            set_expire_at(T, which, pos, expire)
            return OK
    elif not index_room(T, lim, 1):
        tm[T_NEED] = NEED_INDEX
        return NEED_INDEX
    nref = alloc(T, lim, new_size)
    if nref == 0:
        return tm[T_NEED]
    install(T, lim, db, h, which, pos, nref, kaddr, klen, vaddr, vlen, expire)
    return OK


@kernel
def store(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen, expire):
    """store_inline, as a call (the hot SET path inlines store_inline itself)."""
    return store_inline(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen, expire)


@kernel(inline=True)
def index_room(T, lim, n):
    """Can n more keys be inserted without passing the hard load limit?"""
    tm = T[0]
    cap = 1 << tm[T_LOGCAP]
    pending = tm[T_LIVE] if tm[T_MIG] else 0      # slots a running rehash still moves in
    return (tm[T_FILLED] + n + pending) * 1_000_000 <= cap * lim[config.L_HARD_LOAD_PPM]


@kernel
def install(T, lim, db, h, which, pos, nref, kaddr, klen, vaddr, vlen, expire):
    """Write a record into the allocated block nref and link it at a lookup result.

    Replaces (and frees) the old record when the key exists; inserts otherwise.
    The caller has checked index room.
    """
    tm, idx, oidx, chunks, free, dbk = T
    touch_hash(tm, db, h)
    vol = 1 if expire != 0 else 0
    if which != 0:
        ix = idx if which == 1 else oidx
        ref = slot_ref(ix[pos])
        write_record(chunks, nref, db | (_new_lru(tm, chunks, ref) << 16) | _unshared(tm), kaddr, klen,
                      vaddr, vlen, expire)
        hdr = rec_hdr(chunks, ref)
        was = 1 if hdr[2] != 0 else 0
        old_size = REC_HDR + rec_klen(hdr) + rec_vlen(hdr)
        ix[pos] = make_slot(ix[pos] >> 37, nref)
        free_block(T, lim, ref, old_size)
        dbk[db, 1] += vol - was
        tm[T_VOLATILE] += vol - was
        return
    write_record(chunks, nref, db | (tm[T_LRU] << 16) | _unshared(tm), kaddr, klen, vaddr, vlen, expire)
    if place_slot(tm, idx, tm[T_LOGCAP], chunks, make_slot(hash_tag(h), nref)):
        tm[T_FILLED] += 1
    tm[T_LIVE] += 1
    dbk[db, 0] += 1
    dbk[db, 1] += vol
    tm[T_VOLATILE] += vol
    if tm[T_MIG]:
        migrate(T, lim[config.L_REHASH_PER_WRITE])


@kernel
def unlink_found(T, lim, which, pos):
    """Delete the key at a lookup result."""
    tm = T[0]
    if which == 1:
        unlink_slot(T, lim, T[1], tm[T_LOGCAP], True, pos)
    else:
        unlink_slot(T, lim, T[2], tm[T_OLOGCAP], False, pos)


@kernel
def resize_value(T, lim, which, pos, new_vlen):
    """Give a live key's value a new length, keeping its first bytes.

    Bytes past the old length are zeroed.  Returns (OK, value address) or
    (NEED_*, 0) with nothing changed.  The expire time is kept.
    """
    tm, idx, oidx, chunks, free, dbk = T
    ix = idx if which == 1 else oidx
    ref = slot_ref(ix[pos])
    hdr = rec_hdr(chunks, ref)
    klen = rec_klen(hdr)
    vlen = rec_vlen(hdr)
    old_size = REC_HDR + klen + vlen
    new_size = REC_HDR + klen + new_vlen
    keep = min(vlen, new_vlen)
    if fits_in_place(lim, chunks, ref, old_size, new_size):
        touch_record(tm, chunks, ref, WS_WRITTEN)
        nref = ref
    elif old_size > lim[config.L_LARGE_BLOCK] and new_size > chunks[ref >> CID_SHIFT, C_CAP]:
        return grow_large(T, ref, new_size), 0      # its own chunk grows, in place
    else:
        nref = alloc(T, lim, new_size)
        if nref == 0:
            return tm[T_NEED], 0
        touch_record(tm, chunks, ref, WS_WRITTEN)
        copy_bytes(ref_addr(chunks, nref), ref_addr(chunks, ref), REC_HDR + klen + keep)
        ix[pos] = make_slot(ix[pos] >> 37, nref)
        free_block(T, lim, ref, old_size)
    addr = ref_addr(chunks, nref)
    nhdr = i64view(addr, 3)
    nhdr[0] = klen | (new_vlen << 32)
    nhdr[1] = (nhdr[1] & ~ENC_TX) | ENC_RAW     # Redis unshares the value: a new raw string
    vaddr = addr + REC_HDR + klen
    if new_vlen > keep:
        u8view(vaddr + keep, new_vlen - keep)[:] = 0
    return OK, vaddr
