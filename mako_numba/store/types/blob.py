"""Hash and set values: one blob in the record's value, compact or indexed.

A hash (pairs=True: field then value) or a set (pairs=False: members) of
strings lives in its record's value as one blob, so the key space's
operations that copy, move, save or free "the record" (COPY, RENAME, MOVE,
DEL, expiry, eviction) need no case of their own, and freeing even a
million members is one block:

  header, 7 u32 (HDR bytes): kind, count, used, ecap, log, fill, dead
  entries: `ecap` bytes, of which the first `used` are written
  index (KIND_TABLE only): 2**log int64 slots, after the entries

An entry is a length (1 byte below 128, else 0x80 and 4 bytes), the bytes,
and for a hash the value's length and bytes.

- KIND_COMPACT is Redis's listpack: no index, entries in insertion order
  with no gaps (a replaced value keeps its place, a deletion closes the gap),
  found by a scan.  Used while the collection is small (hash-max-listpack-*).
- KIND_TABLE is Redis's hashtable: O(1) access through an open-addressing
  index of `tag << 32 | (offset + 1)` slots (0 empty, TOMB deleted; the tag
  is the top of the member's SipHash).  A replaced value of another length
  and a deleted entry leave dead bytes (`dead`) until the next rebuild,
  which compacts the entries and sizes the index again.  An entry is live
  exactly when a slot points at it.

Rules:
- Every function takes the blob's address `b` (any alignment: the value
  follows the key) and works in place; none allocates.  Growing the value
  is the caller's (table.resize_value), through `need_bytes` / `rebuild`,
  before anything changes, so a command that defers changed nothing.
- Order: a compact blob keeps Redis's listpack order (HGETALL, SMEMBERS of
  a small collection answer as Redis does); a table's order is its own.
"""
import numpy as np

from mako_numba.base.jit import copy_bytes, i64uview, kernel, move_bytes, u32uview, u8view
from mako_numba.base.siphash import siphash13

KIND_COMPACT = 16
KIND_TABLE = 17
HDR = 28
F_KIND = 0
F_COUNT = 1
F_USED = 2
F_ECAP = 3
F_LOG = 4
F_FILL = 5      # slots not empty (live + tombstones)
F_DEAD = 6      # bytes of dead entries
TOMB = 0xFFFFFFFF
OFF_MASK = 0xFFFFFFFF
MAX_LOAD_NUM = 3        # a table's fill stays at most 3/4 of its slots
MAX_LOAD_DEN = 4
MIN_LOG = 2


@kernel(inline=True)
def hdr(b):
    return u32uview(b, 7)


@kernel(inline=True)
def count(b):
    return np.int64(u32uview(b, 7)[F_COUNT])


@kernel(inline=True)
def is_table(b):
    return u32uview(b, 7)[F_KIND] == KIND_TABLE


@kernel(inline=True)
def blob_size(kind, ecap, log):
    """The value length of a blob with this shape."""
    if kind == KIND_TABLE:
        return HDR + ecap + 8 * (1 << log)
    return HDR + ecap


@kernel(inline=True)
def len_size(n):
    return 1 if n < 128 else 5


@kernel(inline=True)
def entry_size(n1, n2, pairs):
    s = len_size(n1) + n1
    if pairs:
        s += len_size(n2) + n2
    return s


@kernel(inline=True)
def read_len(b, off):
    """(length, bytes of the length) at entry-area offset off."""
    p = u8view(b + HDR + off, 5)
    if p[0] < 128:
        return np.int64(p[0]), 1
    return np.int64(p[1]) | (np.int64(p[2]) << 8) | (np.int64(p[3]) << 16) | (np.int64(p[4]) << 24), 5


@kernel(inline=True)
def write_len(b, off, n):
    p = u8view(b + HDR + off, 5)
    if n < 128:
        p[0] = n
        return off + 1
    p[0] = 128
    p[1] = n & 255
    p[2] = (n >> 8) & 255
    p[3] = (n >> 16) & 255
    p[4] = (n >> 24) & 255
    return off + 5


@kernel(inline=True)
def entry_at(b, off, pairs):
    """(member address, length, value address, value length, next offset) of the entry at off."""
    n1, s1 = read_len(b, off)
    a1 = b + HDR + off + s1
    nxt = off + s1 + n1
    if not pairs:
        return a1, n1, 0, 0, nxt
    n2, s2 = read_len(b, nxt)
    return a1, n1, b + HDR + nxt + s2, n2, nxt + s2 + n2


@kernel(inline=True)
def write_entry(b, off, a1, n1, a2, n2, pairs):
    """Write an entry at off; the offset after it."""
    off = write_len(b, off, n1)
    copy_bytes(b + HDR + off, a1, n1)
    off += n1
    if pairs:
        off = write_len(b, off, n2)
        copy_bytes(b + HDR + off, a2, n2)
        off += n2
    return off


@kernel(inline=True)
def same(a, n, a2, n2):
    if n != n2:
        return False
    x = u8view(a, n)
    y = u8view(a2, n)
    for i in range(n):
        if x[i] != y[i]:
            return False
    return True


@kernel(inline=True)
def member_hash(seeds, a, n):
    return siphash13(seeds[0], seeds[1], a, n)


@kernel(inline=True)
def slots_of(b):
    h = u32uview(b, 7)
    return i64uview(b + HDR + np.int64(h[F_ECAP]), np.int64(1) << np.int64(h[F_LOG]))


# --- finding ------------------------------------------------------------------------
@kernel
def find(b, seeds, a, n, pairs):
    """(entry offset, slot) of member (a, n); (-1, -1) when absent (slot -1 for a compact blob)."""
    h = u32uview(b, 7)
    if h[F_KIND] != KIND_TABLE:
        off = 0
        used = np.int64(h[F_USED])
        while off < used:
            a1, n1, a2, n2, nxt = entry_at(b, off, pairs)
            if same(a1, n1, a, n):
                return off, -1
            off = nxt
        return -1, -1
    log = np.int64(h[F_LOG])
    slots = slots_of(b)
    mask = (np.int64(1) << log) - 1
    hv = member_hash(seeds, a, n)
    tag = np.int64(hv >> np.uint64(32))
    pos = np.int64(hv >> np.uint64(64 - log))
    while True:
        s = slots[pos]
        if s == 0:
            return -1, -1
        off = s & OFF_MASK
        if off != TOMB and (s >> 32) & OFF_MASK == tag:
            a1, n1, a2, n2, nxt = entry_at(b, off - 1, pairs)
            if same(a1, n1, a, n):
                return off - 1, pos
        pos = (pos + 1) & mask


@kernel(inline=True)
def _place(b, seeds, slots, log, a, n, off):
    """Put a slot for the entry at off (member a, n) into the index (it has room)."""
    mask = (np.int64(1) << log) - 1
    hv = member_hash(seeds, a, n)
    pos = np.int64(hv >> np.uint64(64 - log))
    while slots[pos] != 0 and slots[pos] & OFF_MASK != TOMB:
        pos = (pos + 1) & mask
    fresh = slots[pos] == 0
    slots[pos] = (np.int64(hv >> np.uint64(32)) << 32) | (off + 1)
    return fresh


# --- making and growing ---------------------------------------------------------------
@kernel
def init(b, kind, ecap, log):
    """Write an empty blob's header (and zero its index) in a value of blob_size bytes."""
    init_header(b, kind, ecap, log)
    if kind == KIND_TABLE:
        slots_of(b)[:] = 0


@kernel
def init_header(b, kind, ecap, log):
    """An empty blob's header alone (the index's bytes are left as they are)."""
    h = u32uview(b, 7)
    h[F_KIND] = kind
    h[F_COUNT] = 0
    h[F_USED] = 0
    h[F_ECAP] = ecap
    h[F_LOG] = log if kind == KIND_TABLE else 0
    h[F_FILL] = 0
    h[F_DEAD] = 0


@kernel
def table_shape(live_bytes, entries):
    """(ecap, log) of a table for `entries` members in `live_bytes` of entries, with room to grow."""
    ecap = max(64, live_bytes + live_bytes // 2)
    log = MIN_LOG
    while (np.int64(1) << log) * MAX_LOAD_NUM < (entries + 1) * MAX_LOAD_DEN * 3 // 2:
        log += 1
    return ecap, log


@kernel
def need_shape(b, add_bytes, add_entries):
    """(kind, ecap, log, rebuild): the shape the blob needs so that add_entries entries of
    add_bytes can be written, and whether a table must be rebuilt (compacted, re-indexed) to
    get it; the blob's own shape and False when it has room already."""
    h = u32uview(b, 7)
    kind = np.int64(h[F_KIND])
    used = np.int64(h[F_USED])
    ecap = np.int64(h[F_ECAP])
    log = np.int64(h[F_LOG])
    if kind != KIND_TABLE:
        return kind, max(ecap, used + add_bytes), 0, False
    fill = np.int64(h[F_FILL])
    if used + add_bytes <= ecap and (fill + add_entries) * MAX_LOAD_DEN <= (np.int64(1) << log) * MAX_LOAD_NUM:
        return kind, ecap, log, False
    live = used - np.int64(h[F_DEAD])
    e2, l2 = table_shape(live + add_bytes, np.int64(h[F_COUNT]) + add_entries)
    return kind, max(e2, live + add_bytes), l2, True


@kernel
def compact_entries(b, seeds, pairs):
    """A table's live entries moved to the front of the entry area, in order, with their slots
    following them; dead bytes are gone.  Tombstones stay (the index is rebuilt by reindex)."""
    h = u32uview(b, 7)
    if np.int64(h[F_DEAD]) == 0:
        return
    slots = slots_of(b)
    log = np.int64(h[F_LOG])
    mask = (np.int64(1) << log) - 1
    used = np.int64(h[F_USED])
    off = 0
    wr = 0
    while off < used:
        a1, n1, a2, n2, nxt = entry_at(b, off, pairs)
        hv = member_hash(seeds, a1, n1)
        pos = np.int64(hv >> np.uint64(64 - log))
        found = -1
        while slots[pos] != 0:
            if slots[pos] & OFF_MASK == off + 1:
                found = pos
                break
            pos = (pos + 1) & mask
        if found >= 0:
            if wr != off:
                move_bytes(b + HDR + wr, b + HDR + off, nxt - off)
            slots[found] = (slots[found] & ~np.int64(OFF_MASK)) | (wr + 1)
            wr += nxt - off
        off = nxt
    h[F_USED] = wr
    h[F_DEAD] = 0


@kernel(allocates=True)
def reindex(b, seeds, kind, ecap, log, pairs, from_slots):
    """Give a blob with no dead bytes (compact, or a table after compact_entries) the shape
    (kind, ecap, log), in a value already sized blob_size(kind, ecap, log) (the entries written
    are kept; a compact blob becomes a table here: Redis's conversion).

    With `from_slots` (a table whose header and index are still its old shape's, entries
    and slots agreeing), a table that stays one keeps its slots' hash tags: each slot moves
    to the home its tag gives under the new size (the tag is the hash's top 32 bits, the
    home its top `log`), in the old index's order, so no member is hashed again and the
    writes go mostly forwards.  Growing a million-field hash that way takes a fraction of
    re-hashing every field."""
    h = u32uview(b, 7)
    was_table = from_slots and h[F_KIND] == KIND_TABLE and kind == KIND_TABLE and log <= 32
    if was_table:
        old = slots_of(b)               # still where the old shape put them
        kept = np.empty(np.int64(h[F_COUNT]), np.int64)
        n = 0
        for p in range(old.shape[0]):
            s = old[p]
            if s != 0 and s & OFF_MASK != TOMB and n < kept.shape[0]:
                kept[n] = s
                n += 1
    h[F_KIND] = kind
    h[F_ECAP] = ecap
    h[F_DEAD] = 0
    if kind != KIND_TABLE:
        h[F_LOG] = 0
        h[F_FILL] = 0
        return
    h[F_LOG] = log
    slots = slots_of(b)
    slots[:] = 0
    if was_table:
        mask = (np.int64(1) << log) - 1
        for i in range(n):
            s = kept[i]
            pos = ((s >> 32) & OFF_MASK) >> (32 - log)
            while slots[pos] != 0:
                pos = (pos + 1) & mask
            slots[pos] = s
        h[F_FILL] = n
        return
    used = np.int64(h[F_USED])
    off = 0
    n = 0
    while off < used:
        a1, n1, a2, n2, nxt = entry_at(b, off, pairs)
        _place(b, seeds, slots, log, a1, n1, off)
        n += 1
        off = nxt
    h[F_FILL] = n


# --- changing -------------------------------------------------------------------------
@kernel
def add(b, seeds, a1, n1, a2, n2, pairs):
    """Append a new member (absent: the caller found it so) into room the blob has."""
    h = u32uview(b, 7)
    off = np.int64(h[F_USED])
    h[F_USED] = write_entry(b, off, a1, n1, a2, n2, pairs)
    h[F_COUNT] += 1
    if h[F_KIND] == KIND_TABLE:
        if _place(b, seeds, slots_of(b), np.int64(h[F_LOG]), a1, n1, off):
            h[F_FILL] += 1


@kernel
def set_value(b, seeds, off, slot, a2, n2):
    """Give the hash entry at off (its slot, for a table) the value (a2, n2), in room the blob has.

    A compact blob keeps the entry's place (the bytes after it move); a table
    rewrites it in place when the length is the same, else appends a new
    entry and leaves the old one dead."""
    h = u32uview(b, 7)
    a1, n1, v, vn, nxt = entry_at(b, off, True)
    if vn == n2:
        copy_bytes(v, a2, n2)
        return
    if h[F_KIND] != KIND_TABLE:
        used = np.int64(h[F_USED])
        voff = v - b - HDR - len_size(vn)
        new_end = voff + len_size(n2) + n2
        move_bytes(b + HDR + new_end, b + HDR + nxt, used - nxt)
        write_len(b, voff, n2)
        copy_bytes(b + HDR + voff + len_size(n2), a2, n2)
        h[F_USED] = used + new_end - nxt
        return
    end = np.int64(h[F_USED])
    h[F_USED] = write_entry(b, end, a1, n1, a2, n2, True)
    h[F_DEAD] += nxt - off
    slots = slots_of(b)
    slots[slot] = (slots[slot] & ~np.int64(OFF_MASK)) | (end + 1)


@kernel
def remove(b, off, slot, pairs):
    """Delete the entry at off (its slot, for a table)."""
    h = u32uview(b, 7)
    a1, n1, a2, n2, nxt = entry_at(b, off, pairs)
    h[F_COUNT] -= 1
    if h[F_KIND] != KIND_TABLE:
        used = np.int64(h[F_USED])
        move_bytes(b + HDR + off, b + HDR + nxt, used - nxt)
        h[F_USED] = used - (nxt - off)
        return
    slots_of(b)[slot] = TOMB
    h[F_DEAD] += nxt - off


# --- walking --------------------------------------------------------------------------
@kernel
def walk_next(b, cur, pairs):
    """(offset of the next live entry, the walk's next position) from position cur (0 to
    start); offset -1 at the end.  A compact blob is walked in its order, a table by its index."""
    h = u32uview(b, 7)
    if h[F_KIND] != KIND_TABLE:
        if cur >= np.int64(h[F_USED]):
            return -1, cur
        return cur, entry_at(b, cur, pairs)[4]
    slots = slots_of(b)
    n = slots.shape[0]
    while cur < n:
        s = slots[cur]
        cur += 1
        if s != 0 and s & OFF_MASK != TOMB:
            return (s & OFF_MASK) - 1, cur
    return -1, cur


@kernel
def reply_bound(b, pairs):
    """At most how many bytes the bulk strings of every entry take in a reply: each element's
    bytes (no more than its entry's) and at most 15 of header and CRLFs."""
    return live_bytes(b) + 15 * count(b) * (2 if pairs else 1)


@kernel
def live_bytes(b):
    h = u32uview(b, 7)
    return np.int64(h[F_USED]) - np.int64(h[F_DEAD])
