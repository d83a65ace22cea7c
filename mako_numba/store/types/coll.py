"""Hash and set values in the key space: create, grow, convert and shrink their blobs.

blob.py (strings, compact or table) and intset.py (integers) work inside a
value; this module is where a value meets the key space: it creates the
key, resizes the value (table.resize_value: in place or in a new block)
before a write changes anything, converts between encodings as Redis does
(listpack -> hashtable, intset -> hashtable, never back), and gives the
bytes back when a collection shrinks.

Rules:
- `make_room` / `create` come before the change: they return NEED_* (the
  command defers, nothing visible changed) or the blob's address, valid
  until the next call that may move the record.  A table's compaction in
  make_room is invisible (same members), so a deferred request may see it.
- After a change, `changed` marks the key written (WATCH) and sets the
  dirty count the command adds (Redis counts members, not commands).
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import T_DIRTY, T_NEED, T_SEED0, T_SEED1, WS_WRITTEN
from mako_numba.protocol.replies import digits
from mako_numba.store.arena import OK, TYPE_SHIFT
from mako_numba.store.index import touch_record
from mako_numba.store.lfu import rand63
from mako_numba.store.table import (
    lookup, resize_value, set_enc_flags, slot_record, store, unlink_found, value_of,
)
from mako_numba.store.types import blob, intset
from mako_numba.store.types.blob import HDR, KIND_COMPACT, KIND_TABLE


@kernel(inline=True)
def seeds_of(T):
    tm = T[0]
    return (tm[T_SEED0], tm[T_SEED1])


@kernel(inline=True)
def blob_of(T, which, pos):
    return value_of(T, which, pos)[0]


@kernel
def create(T, lim, db, h, pos, kaddr, klen, obj, vlen):
    """A new key of type obj with a zeroed value of vlen bytes, at a lookup result that found
    nothing: (OK, which, pos, value address) or (NEED_*, 0, 0, 0)."""
    st = store(T, lim, db, h, 0, pos, kaddr, klen, 0, vlen, 0)
    if st != OK:
        return st, 0, 0, 0
    h2, which, pos2 = lookup(T, lim, db, kaddr, klen, 0)
    set_enc_flags(T, which, pos2, obj << TYPE_SHIFT)
    return OK, which, pos2, value_of(T, which, pos2)[0]


@kernel
def reshape(T, lim, which, pos, kind, ecap, log, pairs, rebuild):
    """Give the blob of the key at (which, pos) the shape (kind, ecap, log): compact a table's
    entries, size the value, rebuild the index (also with the same shape when `rebuild`).
    (OK, address) or (NEED_*, 0)."""
    b, vlen = value_of(T, which, pos)
    h = blob.hdr(b)
    if (not rebuild and np.int64(h[blob.F_KIND]) == kind and np.int64(h[blob.F_ECAP]) == ecap
            and np.int64(h[blob.F_LOG]) == log):
        return OK, b
    seeds = seeds_of(T)
    table = blob.is_table(b)
    if table:
        blob.compact_entries(b, seeds, pairs)
    new_len = blob.blob_size(kind, ecap, log)
    if new_len > vlen:
        st, b = resize_value(T, lim, which, pos, new_len)
        if st != OK:
            return st, 0
        blob.reindex(b, seeds, kind, ecap, log, pairs, table)
        return OK, b
    blob.reindex(b, seeds, kind, ecap, log, pairs, table)
    if new_len < vlen:
        shrink(T, lim, which, pos, new_len)
    return OK, value_of(T, which, pos)[0]


@kernel
def shrink(T, lim, which, pos, new_len):
    """Best effort: give back the bytes past new_len (kept when no smaller block is at hand)."""
    tm = T[0]
    need = tm[T_NEED]
    st, b = resize_value(T, lim, which, pos, new_len)
    if st != OK:
        tm[T_NEED] = need


@kernel
def make_room(T, lim, which, pos, add_bytes, add_entries, pairs, to_table):
    """Room in the blob for add_entries more entries of add_bytes in all; to_table: convert a
    compact blob to a table first (Redis's hashTypeConvert).  (OK, address) or (NEED_*, 0)."""
    b = blob_of(T, which, pos)
    kind, ecap, log, rebuild = blob.need_shape(b, add_bytes, add_entries)
    if kind == KIND_COMPACT and to_table:
        kind = KIND_TABLE
        ecap, log = blob.table_shape(np.int64(blob.hdr(b)[blob.F_USED]) + add_bytes,
                                     blob.count(b) + add_entries)
    return reshape(T, lim, which, pos, kind, ecap, log, pairs, rebuild)


@kernel
def fit_compact(T, lim, which, pos):
    """A compact blob's value cut to what it uses (after a write that reserved more)."""
    b, vlen = value_of(T, which, pos)
    h = blob.hdr(b)
    if h[blob.F_KIND] != KIND_COMPACT:
        return
    used = np.int64(h[blob.F_USED])
    if HDR + used < vlen:
        h[blob.F_ECAP] = used
        shrink(T, lim, which, pos, HDR + used)
        b2, vlen2 = value_of(T, which, pos)
        blob.hdr(b2)[blob.F_ECAP] = vlen2 - HDR


@kernel
def fit_value(T, lim, which, pos):
    """After a write: an intset's value cut to its length, a compact blob's to what it uses
    (best effort: kept when no smaller block is at hand); a table keeps its room."""
    b, vlen = value_of(T, which, pos)
    if intset.is_intset(b):
        size = intset.size_of(intset.width(b), intset.length(b))
        if size < vlen:
            shrink(T, lim, which, pos, size)
        return
    fit_compact(T, lim, which, pos)


@kernel
def after_removal(T, lim, which, pos, d0, removed, left):
    """A command removed `removed` members (d0: the dirty count before it), `left` remain: an
    empty collection's key is deleted (Redis deletes it), else the value is fitted and marked
    written."""
    tm = T[0]
    if left == 0:
        unlink_found(T, lim, which, pos)
        tm[T_DIRTY] = d0 + removed
        return
    fit_value(T, lim, which, pos)
    changed(T, which, pos, d0, removed)


@kernel
def changed(T, which, pos, d0, n):
    """The key at (which, pos) was written: WATCH marks it, and the data set counts n changes
    from d0 (its dirty count before the command)."""
    tm = T[0]
    touch_record(tm, T[3], slot_record(T, which, pos), WS_WRITTEN)
    tm[T_DIRTY] = d0 + n


# --- intset -> table ---------------------------------------------------------------------
@kernel
def intset_text_bytes(b):
    """The entries' bytes an intset's members take as strings in a table."""
    n = intset.length(b)
    total = 0
    for i in range(n):
        v = intset.get(b, i)
        d = digits(-v if v < 0 else v) + (1 if v < 0 else 0) if v != -9223372036854775808 else 20
        total += blob.len_size(d) + d
    return total


@kernel
def intset_to_table(T, lim, which, pos, add_bytes, add_entries):
    """Convert the intset at (which, pos) to a table of its members as decimal strings, with
    room for add_entries more of add_bytes (setTypeConvert).  (OK, address) or (NEED_*, 0)."""
    b, vlen = value_of(T, which, pos)
    n = intset.length(b)
    text = intset_text_bytes(b)
    ecap, log = blob.table_shape(text + add_bytes, n + add_entries)
    new_len = blob.blob_size(KIND_TABLE, ecap, log)
    if new_len > vlen:
        st, b = resize_value(T, lim, which, pos, new_len)
        if st != OK:
            return st, 0
    enc = intset.width(b)
    # park the elements in the index's place (it is larger), then write the entries
    park = b + HDR + ecap
    u8view(park, enc * n)[:] = u8view(b + intset.IHDR, enc * n)
    blob.init_header(b, KIND_TABLE, ecap, log)
    off = 0
    for i in range(n):
        v = _parked(park, enc, i)
        off = _write_int_entry(b, off, v)
    h = blob.hdr(b)
    h[blob.F_USED] = off
    h[blob.F_COUNT] = n
    blob.reindex(b, seeds_of(T), KIND_TABLE, ecap, log, False, False)
    if new_len < vlen:
        shrink(T, lim, which, pos, new_len)
        b = value_of(T, which, pos)[0]
    return OK, b


@kernel(inline=True)
def _parked(park, enc, i):
    p = u8view(park + enc * i, enc)
    v = np.int64(0)
    for j in range(enc):
        v |= np.int64(p[j]) << (8 * j)
    if enc < 8:
        sh = 64 - 8 * enc
        v = (v << sh) >> sh
    return v


@kernel
def _write_int_entry(b, off, v):
    """An entry holding v's decimal text at entry offset off; the offset after it."""
    neg = v < 0
    d = 20 if v == -9223372036854775808 else digits(-v if neg else v) + (1 if neg else 0)
    off = blob.write_len(b, off, d)
    p = u8view(b + HDR + off, d)
    if v == -9223372036854775808:
        s = "-9223372036854775808"
        for i in range(20):
            p[i] = ord(s[i])
        return off + d
    x = -v if neg else v
    for i in range(d - 1, -1, -1):
        if neg and i == 0:
            p[0] = 45
            break
        p[i] = 48 + x % 10
        x //= 10
    return off + d


# --- random members (SRANDMEMBER, SPOP, HRANDFIELD) --------------------------------------
RANDOM_TRIES = 64
SUB_STRATEGY_MUL = 3        # Redis's SRANDMEMBER_SUB_STRATEGY_MUL / HRANDFIELD_SUB_STRATEGY_MUL


@kernel
def walk_position(b, cur, pairs):
    """(position, next cur) of a set or hash value, whichever its encoding; position -1 at the
    end.  An intset's positions are its indices, a blob's its entry offsets."""
    if not pairs and intset.is_intset(b):
        if cur >= intset.length(b):
            return -1, cur
        return cur, cur + 1
    return blob.walk_next(b, cur, pairs)


@kernel
def random_position(tm, b, pairs):
    """A random member's position in a non-empty set or hash value."""
    if not pairs and intset.is_intset(b):
        return rand63(tm) % intset.length(b)
    return random_entry(tm, b, pairs)


@kernel(allocates=True)
def distinct_random(tm, b, count, size, pairs):
    """count (< size) distinct random positions: a partial shuffle of every position when many
    are wanted (count * SUB_STRATEGY_MUL > size, as Redis switches strategy), else random
    picks deduplicated through a small open-addressing table."""
    out = np.empty(count, np.int64)
    if count * SUB_STRATEGY_MUL > size:
        every = np.empty(size, np.int64)
        cur = 0
        n = 0
        while True:
            at, cur = walk_position(b, cur, pairs)
            if at < 0:
                break
            every[n] = at
            n += 1
        for i in range(count):
            j = i + rand63(tm) % (size - i)
            t = every[i]
            every[i] = every[j]
            every[j] = t
            out[i] = every[i]
        return out
    m = 4
    while m < 2 * count:
        m <<= 1
    seen = np.zeros(m, np.int64)
    n = 0
    while n < count:
        at = random_position(tm, b, pairs)
        p = ((at * 0x9E3779B97F4A7C15) >> 17) & (m - 1)
        dup = False
        while seen[p] != 0:
            if seen[p] == at + 1:
                dup = True
                break
            p = (p + 1) & (m - 1)
        if dup:
            continue
        seen[p] = at + 1
        out[n] = at
        n += 1
    return out


@kernel
def random_entry(tm, b, pairs):
    """The offset of a random live entry of a non-empty blob (Redis's dictGetFairRandomKey's
    aim: each member about as likely): a compact blob by a random index; a table by random
    slots, falling back to the next live slot after RANDOM_TRIES empty ones."""
    h = blob.hdr(b)
    if h[blob.F_KIND] != KIND_TABLE:
        k = rand63(tm) % blob.count(b)
        off = 0
        for i in range(k):
            off = blob.entry_at(b, off, pairs)[4]
        return off
    cur = 0
    n = np.int64(1) << np.int64(h[blob.F_LOG])
    for t in range(RANDOM_TRIES):
        cur = rand63(tm) % n
        off, nxt = blob.walk_next(b, cur, pairs)
        if nxt == cur + 1 and off >= 0:
            return off
    off, nxt = blob.walk_next(b, cur, pairs)
    if off < 0:
        off, nxt = blob.walk_next(b, 0, pairs)
    return off
