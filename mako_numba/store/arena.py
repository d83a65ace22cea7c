"""The byte arena: where records live, in size-classed blocks of numpy chunks.

A record is 8-aligned: three int64 words, then the key bytes, then the value:
  w0 = klen | vlen << 32,  w1 = db | flags << 16,  w2 = expire time (ms, 0 none).
Word 1 holds, from bit 0: the physical database (16 bits), the access clock
(LRU or LFU, 24 bits), the string encoding flags (ENC_*, bits 40-42), the
EXEC stamp (ENC_TX, bits 43-58) and the value's type (bits 59-62: Redis's
OBJ_* number, store/types; 0 is a string, so every record written with
word 1 built from scratch is a string).
A ref is `cid << 26 | offset`; chunk ids start at 1, so no ref is 0.

Rules:
- Python (store.py) allocates every chunk and keeps it alive; the chunk
  table holds its address, capacity and state (CS_*).  Kernels only carve
  blocks out of chunks they are given.
- Blocks come in size classes (8-byte steps to 512, then four per doubling);
  freed blocks go on per-class free lists and are reused.  Blocks above
  LARGE_BLOCK get a chunk of their own (a mapping, base/vmem.py), handed
  back to Python when freed; such a block grows where it is (`grow_large`:
  Python remaps its chunk), so its ref stays and no byte is copied.
- `alloc` never waits: without room it returns 0 and records what it needed
  (tm[T_NEED], NEED_*), and the engine defers the request.
"""

from mako_numba.config import settings as config
from mako_numba.base.jit import copy_bytes, i64view, kernel, u8view
from mako_numba.base.layout import (
    T_BUMP, T_CUR, T_MEM, T_NEED, T_NEED_BYTES, T_NEED_CID, T_RELEASE, T_SPARE, T_WASTE,
)

# chunk table columns and states
C_ADDR = 0
C_CAP = 1
C_STATE = 2
CS_FREE = 0
CS_GENERAL = 1      # bump-allocated or full
CS_SPARE = 2        # general chunk ready for use
CS_LARGE_READY = 3  # one-block chunk supplied for a pending large block
CS_LARGE_USED = 4
CS_RELEASE = 5      # freed large chunk, Python hands it back

# results of calls that may need memory
OK = 0
NEED_CHUNK = 1
NEED_LARGE = 2
NEED_INDEX = 3
NEED_GROW = 4        # a large block's own chunk to grow in place (tm[T_NEED_CID] to T_NEED_BYTES)

REC_HDR = 24
CID_SHIFT = 26
OFF_MASK = (1 << CID_SHIFT) - 1
NCLASSES = 160


# --- size classes -------------------------------------------------------------
@kernel(entry=True, inline=True)
def size_class(n):
    """Class index of an n-byte block: 8-byte steps to 512, then 4 per doubling."""
    if n <= 512:
        return (n + 7) >> 3
    p = 63
    v = n - 1
    while (v >> p) == 0:
        p -= 1
    k = v >> (p - 2)
    return 65 + (p - 9) * 4 + (k - 4)


@kernel(entry=True, inline=True)
def class_size(ci):
    if ci <= 64:
        return ci * 8
    j = ci - 65
    p = 9 + j // 4
    k = 4 + j % 4
    return (k + 1) << (p - 2)


# --- refs and records -----------------------------------------------------------
@kernel(inline=True)
def ref_addr(chunks, ref):
    return chunks[ref >> CID_SHIFT, C_ADDR] + (ref & OFF_MASK)


@kernel(inline=True)
def rec_hdr(chunks, ref):
    return i64view(ref_addr(chunks, ref), 3)


@kernel(inline=True)
def rec_klen(hdr):
    return hdr[0] & 0xFFFFFFFF


@kernel(inline=True)
def rec_vlen(hdr):
    return hdr[0] >> 32


@kernel(inline=True)
def rec_db(hdr):
    return hdr[1] & 0xFFFF


# encoding flags in header word 1 (bits 40+): what Redis's object encoding would be
ENC_RAW = 1 << 40       # built in place (APPEND, SETRANGE, SETBIT): "raw" whatever it holds
ENC_NOINT = 1 << 41     # made by INCRBYFLOAT (createStringObject): embstr or raw, never int
ENC_UNSHARED = 1 << 42  # never one of Redis's shared integers (OBJECT REFCOUNT 1): made by COPY
                        # (dupStringObject) or written under an LRU/LFU maxmemory policy
ENC_KIND = ENC_RAW | ENC_NOINT | ENC_UNSHARED
ENC_TX_SHIFT = 43       # bits 43..58: the EXEC (tm[T_TX_SERIAL]) whose queued command stored this
ENC_TX_MAX = (1 << 16) - 1      # value from its own argument: Redis's object, still held by the
ENC_TX = ENC_TX_MAX << ENC_TX_SHIFT     # transaction's argv until EXEC ends (OBJECT REFCOUNT 2)
ENC_MASK = ENC_KIND | ENC_TX
TYPE_SHIFT = 59         # bits 59..62: the value's type, Redis's OBJ_* number (store/types)
TYPE_MAX = 15
TYPE_BITS = TYPE_MAX << TYPE_SHIFT
OBJ_BITS = TYPE_BITS | ENC_MASK     # what Redis's robj header says of the value: type, encoding


@kernel(inline=True)
def rec_type(hdr):
    """The value's type (OBJ_*, store/types): header word 1, bits 59..62."""
    return (hdr[1] >> TYPE_SHIFT) & TYPE_MAX


@kernel(inline=True)
def rec_lru(hdr):
    """The LRU clock (seconds, 24 bits) when the key was last accessed; header word 1 above the db."""
    return (hdr[1] >> 16) & 0xFFFFFF


# --- allocation -------------------------------------------------------------------
@kernel
def alloc(T, lim, size):
    """A block of at least `size` bytes: its ref, or 0 with tm[T_NEED] set."""
    tm, idx, oidx, chunks, free, dbk = T
    if size > lim[config.L_LARGE_BLOCK]:
        for cid in range(1, chunks.shape[0]):
            if chunks[cid, C_STATE] == CS_LARGE_READY and chunks[cid, C_CAP] >= size:
                chunks[cid, C_STATE] = CS_LARGE_USED
                tm[T_MEM] += chunks[cid, C_CAP]
                return cid << CID_SHIFT
        tm[T_NEED] = NEED_LARGE
        tm[T_NEED_BYTES] = size
        return 0
    ci = size_class(size)
    cs = class_size(ci)
    head = free[ci]
    if head != 0:
        free[ci] = i64view(ref_addr(chunks, head), 1)[0]
        tm[T_MEM] += cs
        return head
    cur = tm[T_CUR]
    if cur == 0 or tm[T_BUMP] + cs > chunks[cur, C_CAP]:
        spare = tm[T_SPARE]
        if spare == 0:
            tm[T_NEED] = NEED_CHUNK
            return 0
        if cur != 0:
            tm[T_WASTE] += chunks[cur, C_CAP] - tm[T_BUMP]
        chunks[spare, C_STATE] = CS_GENERAL
        tm[T_SPARE] = 0
        tm[T_CUR] = spare
        tm[T_BUMP] = 0
        cur = spare
    ref = (cur << CID_SHIFT) | tm[T_BUMP]
    tm[T_BUMP] += cs
    tm[T_MEM] += cs
    return ref


@kernel
def free_block(T, lim, ref, size):
    tm, idx, oidx, chunks, free, dbk = T
    if size > lim[config.L_LARGE_BLOCK]:
        cid = ref >> CID_SHIFT
        chunks[cid, C_STATE] = CS_RELEASE
        tm[T_MEM] -= chunks[cid, C_CAP]
        tm[T_RELEASE] += 1
        return
    ci = size_class(size)
    i64view(ref_addr(chunks, ref), 1)[0] = free[ci]
    free[ci] = ref
    tm[T_MEM] -= class_size(ci)


@kernel
def unalloc(T, lim, ref, size):
    """Give back a block just allocated and never used (a request that defers).

    Unlike free_block, a large block's chunk stays ready for the retry
    instead of going back to Python.
    """
    tm, idx, oidx, chunks, free, dbk = T
    if size > lim[config.L_LARGE_BLOCK]:
        cid = ref >> CID_SHIFT
        chunks[cid, C_STATE] = CS_LARGE_READY
        tm[T_MEM] -= chunks[cid, C_CAP]
        return
    free_block(T, lim, ref, size)


@kernel
def grow_large(T, ref, size):
    """Ask for the large block `ref` (a chunk of its own) to hold `size` bytes: NEED_GROW, and
    Python remaps the chunk (keyspace.py); the ref and the bytes stay."""
    tm = T[0]
    tm[T_NEED] = NEED_GROW
    tm[T_NEED_BYTES] = size
    tm[T_NEED_CID] = ref >> CID_SHIFT
    return NEED_GROW


@kernel(inline=True)
def fits_in_place(lim, chunks, ref, old_size, new_size):
    large = lim[config.L_LARGE_BLOCK]
    if old_size <= large:
        return new_size <= large and size_class(new_size) == size_class(old_size)
    cap = chunks[ref >> CID_SHIFT, C_CAP]
    return new_size > large and new_size <= cap and 2 * new_size >= cap


@kernel(inline=True)
def write_record(chunks, ref, db, kaddr, klen, vaddr, vlen, expire):
    addr = ref_addr(chunks, ref)
    hdr = i64view(addr, 3)
    hdr[0] = klen | (vlen << 32)
    hdr[1] = db
    hdr[2] = expire
    copy_bytes(addr + REC_HDR, kaddr, klen)
    if vaddr == 0:
        u8view(addr + REC_HDR + klen, vlen)[:] = 0
    else:
        copy_bytes(addr + REC_HDR + klen, vaddr, vlen)
