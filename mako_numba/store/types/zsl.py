"""A large sorted set: Redis's skiplist and its member index, inside one value (t_zset.c's zsl*).

Redis keeps a sorted set past zset-max-listpack-* as a skiplist (order,
rank and range in O(log n)) beside a dict (member -> score in O(1)).  Here
both live in the record's value, so everything the key space does to "the
record" (COPY, RENAME, MOVE, DEL, expiry, eviction, the RDB dump rows)
needs no case of its own:

  header   HDR bytes of int64 fields (F_*), including the free lists and
           the scratch arrays a write uses (Redis's update[] and rank[])
  nodes    `ncap` bytes: the skiplist's nodes, the head node first
  members  `mcap` bytes: each member's entry
  index    2**log int64 slots: tag << 32 | node offset (0 empty, TOMB deleted)

A node: score (f64), member entry offset (u32), backward node (u32), level
(u32), then per level its forward node and span (u32 each); offsets are
from the node area's start, 0 (the head node) meaning none.  Nodes never
move: a deleted node goes on the free list of its level, and a new node of
that level takes it back.  A member entry: its node's offset (u32), its
length (1 byte under 128, else 0x80 and 4 bytes), its bytes.  A deleted
member's entry is dead until the member area is compacted (`reshape`),
which moves live entries down and tells their nodes.

A node's level comes from its member's hash (the low 32 bits: one more
level per two zero bits, so 1/4 of the nodes reach each next level, as
Redis's ZSKIPLIST_P), not from a random draw: a write knows the exact room
its new nodes need before it changes anything, and a request that defers
and runs again builds the same skiplist.  The index's tag is the hash's
top 32 bits, whose top `log` bits are the home slot, so a bigger index is
rebuilt from the tags without hashing a member again (as blob.py's).

The skiplist algorithms are Redis's, line for line: insert, delete,
update of a score, rank, element by rank, first/last in a score or lex
range, deletion of a range; spans and ranks are 1-based as there.

Rules: kernels over the value's address `b` (any alignment); nothing
allocates except `reshape` (a temporary copy of the index's live slots).
A write needs its room made first (`room_needed`, then the caller grows the
value and `reshape`s it), so a request that defers changed nothing.
"""
import numpy as np

from mako_numba.base.jit import copy_bytes, i64uview, kernel, move_bytes, u32uview, u8view
from mako_numba.store.types import blob
from mako_numba.store.types.zscore import load_f64, store_f64
from mako_numba.store.types.zsetlp import cmp_bytes

MAXLEVEL = 32           # ZSKIPLIST_MAXLEVEL
NODE_FIXED = 20         # score, member, backward, level
HEAD = NODE_FIXED + 8 * MAXLEVEL        # the head node, at node offset 0
NONE = 0                # no node (the head node is never a forward or backward target)
FREE_MEMBER = 0xFFFFFFFF                # a free node's member offset
TOMB = 0xFFFFFFFF                       # a deleted index slot's low half
LOW = 0xFFFFFFFF
MAX_LOAD_NUM = 3
MAX_LOAD_DEN = 4
MIN_LOG = 4

F_MAGIC = 0             # 0 (a listpack value starts with its length, never 0)
F_COUNT = 1
F_LEVEL = 2
F_TAIL = 3
F_NCAP = 4
F_NUSED = 5
F_MCAP = 6
F_MUSED = 7
F_MDEAD = 8
F_LOG = 9
F_FILL = 10
F_FREE = 16             # free list heads, by level - 1
F_NFREE = F_FREE + MAXLEVEL     # free list lengths
F_UPD = F_NFREE + MAXLEVEL      # scratch: update[i] (zslInsert / zslDelete)
F_RANK = F_UPD + MAXLEVEL       # scratch: rank[i]; while sizing a write, new nodes per level
HDR_WORDS = F_RANK + MAXLEVEL
HDR = 8 * HDR_WORDS


@kernel(inline=True)
def hdr(b):
    return i64uview(b, HDR_WORDS)


@kernel(inline=True)
def is_zsl(b):
    return i64uview(b, 1)[0] == 0


@kernel(inline=True)
def count(b):
    return i64uview(b + 8 * F_COUNT, 1)[0]


@kernel(inline=True)
def value_size(ncap, mcap, log):
    return HDR + ncap + mcap + (np.int64(8) << log)


@kernel(inline=True)
def node_size(level):
    return NODE_FIXED + 8 * level


@kernel(inline=True)
def level_of(hv):
    """A node's level from its member's hash: 1, plus one per pair of zero low bits."""
    x = np.int64(hv & np.uint64(LOW))
    level = 1
    while x & 3 == 0 and level < MAXLEVEL:
        level += 1
        x >>= 2
        if x == 0:
            break
    return level


# --- nodes -----------------------------------------------------------------------------------
@kernel(inline=True)
def _u32(addr):
    return u32uview(addr, 1)


@kernel(inline=True)
def node_addr(b, x):
    return b + HDR + x


@kernel(inline=True)
def score(b, x):
    return load_f64(b + HDR + x)


@kernel(inline=True)
def set_score(b, x, v):
    store_f64(b + HDR + x, v)


@kernel(inline=True)
def moff(b, x):
    return np.int64(_u32(b + HDR + x + 8)[0])


@kernel(inline=True)
def backward(b, x):
    return np.int64(_u32(b + HDR + x + 12)[0])


@kernel(inline=True)
def set_backward(b, x, y):
    _u32(b + HDR + x + 12)[0] = y


@kernel(inline=True)
def level(b, x):
    return np.int64(_u32(b + HDR + x + 16)[0])


@kernel(inline=True)
def forward(b, x, i):
    return np.int64(_u32(b + HDR + x + 20 + 8 * i)[0])


@kernel(inline=True)
def set_forward(b, x, i, y):
    _u32(b + HDR + x + 20 + 8 * i)[0] = y


@kernel(inline=True)
def span(b, x, i):
    return np.int64(_u32(b + HDR + x + 24 + 8 * i)[0])


@kernel(inline=True)
def set_span(b, x, i, v):
    _u32(b + HDR + x + 24 + 8 * i)[0] = v


@kernel(inline=True)
def first(b):
    return forward(b, 0, 0)


@kernel(inline=True)
def last(b):
    return i64uview(b + 8 * F_TAIL, 1)[0]


# --- members ---------------------------------------------------------------------------------
@kernel(inline=True)
def members_at(b):
    return b + HDR + i64uview(b + 8 * F_NCAP, 1)[0]


@kernel(inline=True)
def entry_size(n):
    return 4 + (1 if n < 128 else 5) + n


@kernel(inline=True)
def entry_at(ma, off):
    """(node, member address, member length, next offset) of the member entry at off."""
    p = u8view(ma + off, 9)
    node = np.int64(_u32(ma + off)[0])
    n = np.int64(p[4])
    if n < 128:
        return node, ma + off + 5, n, off + 5 + n
    n = np.int64(_u32(ma + off + 5)[0])
    return node, ma + off + 9, n, off + 9 + n


@kernel(inline=True)
def member(b, x):
    """(address, length) of node x's member."""
    node, a, n, nxt = entry_at(members_at(b), moff(b, x))
    return a, n


@kernel
def write_entry(b, x, s, n):
    """Append member (s, n) of node x to the member area (it has room); its offset."""
    h = hdr(b)
    ma = b + HDR + h[F_NCAP]
    off = h[F_MUSED]
    _u32(ma + off)[0] = x
    if n < 128:
        u8view(ma + off + 4, 1)[0] = n
        copy_bytes(ma + off + 5, s, n)
    else:
        u8view(ma + off + 4, 1)[0] = 128
        _u32(ma + off + 5)[0] = n
        copy_bytes(ma + off + 9, s, n)
    h[F_MUSED] = off + entry_size(n)
    return off


@kernel(inline=True)
def cmp_node(b, x, s, n):
    """sdscmp of node x's member against (s, n)."""
    a, m = member(b, x)
    return cmp_bytes(a, m, s, n)


# --- the member index ------------------------------------------------------------------------
@kernel(inline=True)
def slots_of(b):
    h = hdr(b)
    return i64uview(b + HDR + h[F_NCAP] + h[F_MCAP], np.int64(1) << h[F_LOG])


@kernel
def find_hashed(b, hv, s, n):
    """(node, slot) of member (s, n) whose hash is hv; (NONE, -1) when absent."""
    log = hdr(b)[F_LOG]
    slots = slots_of(b)
    mask = (np.int64(1) << log) - 1
    tag = np.int64(hv >> np.uint64(32))
    pos = np.int64(hv >> np.uint64(64 - log))
    while True:
        v = slots[pos]
        if v == 0:
            return NONE, -1
        x = v & LOW
        if x != TOMB and (v >> 32) & LOW == tag:
            a, m = member(b, x)
            if m == n and cmp_bytes(a, m, s, n) == 0:
                return x, pos
        pos = (pos + 1) & mask


@kernel
def find(b, seeds, s, n):
    """(node, slot) of member (s, n); (NONE, -1) when absent."""
    return find_hashed(b, blob.member_hash(seeds, s, n), s, n)


@kernel
def _place(slots, log, tag, x):
    """Put slot tag << 32 | x at its home or after (the index has room); True if it took an
    empty slot (not a tombstone)."""
    mask = (np.int64(1) << log) - 1
    pos = tag >> (32 - log)
    while slots[pos] != 0 and slots[pos] & LOW != TOMB:
        pos = (pos + 1) & mask
    fresh = slots[pos] == 0
    slots[pos] = (tag << 32) | x
    return fresh


@kernel
def slot_of_node(b, seeds, x):
    """The index slot holding node x."""
    a, n = member(b, x)
    hv = blob.member_hash(seeds, a, n)
    log = hdr(b)[F_LOG]
    slots = slots_of(b)
    mask = (np.int64(1) << log) - 1
    pos = np.int64(hv >> np.uint64(64 - log))
    while slots[pos] & LOW != x:
        pos = (pos + 1) & mask
    return pos


# --- making, sizing, growing -----------------------------------------------------------------
@kernel
def shape(nodes, members, entries):
    """(ncap, mcap, log) for `entries` members whose nodes take `nodes` bytes (the head node
    included) and whose entries `members` bytes, with room to grow."""
    ncap = nodes + nodes // 2 + 64
    mcap = members + members // 2 + 64
    log = MIN_LOG
    while (np.int64(1) << log) * MAX_LOAD_NUM < (entries + 1) * MAX_LOAD_DEN * 3 // 2:
        log += 1
    return ncap, mcap, log


@kernel
def init(b, ncap, mcap, log):
    """An empty skiplist in a value of value_size(ncap, mcap, log) bytes."""
    h = hdr(b)
    h[:] = 0
    h[F_LEVEL] = 1
    h[F_NCAP] = ncap
    h[F_MCAP] = mcap
    h[F_LOG] = log
    h[F_NUSED] = HEAD
    u8view(b + HDR, HEAD)[:] = 0
    _u32(b + HDR + 16)[0] = MAXLEVEL
    slots_of(b)[:] = 0


@kernel
def tally_reset(b):
    """Start sizing a write: no new nodes counted (the rank scratch holds them per level)."""
    hdr(b)[F_RANK:F_RANK + MAXLEVEL] = 0


@kernel(inline=True)
def tally_add(b, lvl):
    hdr(b)[F_RANK + lvl - 1] += 1


@kernel
def room(b, new_members, add):
    """After tallying the new nodes' levels: (has room, node bytes needed, live member bytes
    needed) for a write adding new_members members whose entries take `add` bytes.  Free nodes
    of a level serve new nodes of that level first."""
    h = hdr(b)
    bump = 0
    for i in range(MAXLEVEL):
        extra = h[F_RANK + i] - h[F_NFREE + i]
        if extra > 0:
            bump += extra * node_size(i + 1)
    nodes = h[F_NUSED] + bump
    ok = (nodes <= h[F_NCAP] and h[F_MUSED] + add <= h[F_MCAP]
          and (h[F_FILL] + new_members) * MAX_LOAD_DEN <= (np.int64(1) << h[F_LOG]) * MAX_LOAD_NUM)
    return ok, nodes, h[F_MUSED] - h[F_MDEAD] + add


@kernel
def grown_shape(b, nodes, members, new_members):
    """The shape (ncap, mcap, log) a skiplist short of room takes for a write needing `nodes`
    node bytes and `members` live member bytes (room): the node area grown by half when short
    (it never shrinks: nodes do not move), the member area compacted and grown by half when
    short, the index sized for the members there will be (tombstones go)."""
    h = hdr(b)
    ncap = h[F_NCAP]
    if nodes > ncap:
        ncap = max(nodes, ncap + ncap // 2) + 64
    mcap = h[F_MCAP]
    if members > mcap * 3 // 4:
        mcap = max(members, mcap + mcap // 2) + 64
    e, m, log = shape(0, 0, h[F_COUNT] + new_members)
    return ncap, mcap, max(log, h[F_LOG])


@kernel(allocates=True)
def reshape(b, ncap2, mcap2, log2):
    """Give the skiplist at b the shape (ncap2 >= ncap, mcap2 >= its live member bytes, log2),
    in a value already at least as long as both shapes: the member area compacted and moved
    after the node area, the index rebuilt from its slots' tags (tombstones gone)."""
    h = hdr(b)
    compact_members(b)
    n = h[F_COUNT]
    old = slots_of(b)
    kept = np.empty(max(n, 1), np.int64)
    k = 0
    for p in range(old.shape[0]):
        v = old[p]
        if v != 0 and v & LOW != TOMB and k < n:
            kept[k] = v
            k += 1
    move_bytes(b + HDR + ncap2, b + HDR + h[F_NCAP], h[F_MUSED])
    h[F_NCAP] = ncap2
    h[F_MCAP] = mcap2
    h[F_LOG] = log2
    slots = slots_of(b)
    slots[:] = 0
    for i in range(k):
        v = kept[i]
        _place(slots, log2, (v >> 32) & LOW, v & LOW)
    h[F_FILL] = k


@kernel
def compact_members(b):
    """Move the live member entries down over the dead ones, telling each its node."""
    h = hdr(b)
    if h[F_MDEAD] == 0:
        return
    ma = members_at(b)
    used = h[F_MUSED]
    off = 0
    wr = 0
    while off < used:
        node, a, n, nxt = entry_at(ma, off)
        if moff(b, node) == off:
            if wr != off:
                move_bytes(ma + wr, ma + off, nxt - off)
                _u32(b + HDR + node + 8)[0] = wr
            wr += nxt - off
        off = nxt
    h[F_MUSED] = wr
    h[F_MDEAD] = 0


# --- nodes in and out ------------------------------------------------------------------------
@kernel
def new_node(b, lvl, v, s, n):
    """A node of level lvl with score v and member (s, n) (room made), not yet linked."""
    h = hdr(b)
    x = h[F_FREE + lvl - 1]
    if x != 0:
        h[F_FREE + lvl - 1] = forward(b, x, 0)
        h[F_NFREE + lvl - 1] -= 1
    else:
        x = h[F_NUSED]
        h[F_NUSED] = x + node_size(lvl)
    u8view(b + HDR + x, node_size(lvl))[:] = 0
    set_score(b, x, v)
    _u32(b + HDR + x + 16)[0] = lvl
    _u32(b + HDR + x + 8)[0] = write_entry(b, x, s, n)
    return x


@kernel
def free_node(b, x):
    """Node x (unlinked, out of the index) goes back to its free list; its member is dead."""
    h = hdr(b)
    node, a, n, nxt = entry_at(members_at(b), moff(b, x))
    h[F_MDEAD] += entry_size(n)
    lvl = level(b, x)
    _u32(b + HDR + x + 8)[0] = FREE_MEMBER
    set_forward(b, x, 0, h[F_FREE + lvl - 1])
    h[F_FREE + lvl - 1] = x
    h[F_NFREE + lvl - 1] += 1


@kernel(inline=True)
def _lt(b, f, v, s, n):
    """Is node f before (v, member (s, n)) in the skiplist's order?"""
    fs = score(b, f)
    return fs < v or (fs == v and cmp_node(b, f, s, n) < 0)


@kernel
def link(b, x):
    """zslInsert of the unlinked node x (its score, member and level set)."""
    h = hdr(b)
    v = score(b, x)
    s, n = member(b, x)
    y = 0
    top = h[F_LEVEL]
    for i in range(top - 1, -1, -1):
        h[F_RANK + i] = 0 if i == top - 1 else h[F_RANK + i + 1]
        while True:
            f = forward(b, y, i)
            if f == NONE or not _lt(b, f, v, s, n):
                break
            h[F_RANK + i] += span(b, y, i)
            y = f
        h[F_UPD + i] = y
    lvl = level(b, x)
    if lvl > top:
        for i in range(top, lvl):
            h[F_RANK + i] = 0
            h[F_UPD + i] = 0
            set_span(b, 0, i, h[F_COUNT])
        h[F_LEVEL] = lvl
    r0 = h[F_RANK]
    for i in range(lvl):
        u = h[F_UPD + i]
        set_forward(b, x, i, forward(b, u, i))
        set_forward(b, u, i, x)
        set_span(b, x, i, span(b, u, i) - (r0 - h[F_RANK + i]))
        set_span(b, u, i, r0 - h[F_RANK + i] + 1)
    for i in range(lvl, h[F_LEVEL]):
        u = h[F_UPD + i]
        set_span(b, u, i, span(b, u, i) + 1)
    u0 = h[F_UPD]
    set_backward(b, x, u0)
    f0 = forward(b, x, 0)
    if f0 != NONE:
        set_backward(b, f0, x)
    else:
        h[F_TAIL] = x
    h[F_COUNT] += 1


@kernel
def _delete_node(b, x):
    """zslDeleteNode: unlink x, with update[] in the scratch."""
    h = hdr(b)
    for i in range(h[F_LEVEL]):
        u = h[F_UPD + i]
        if forward(b, u, i) == x:
            set_span(b, u, i, span(b, u, i) + span(b, x, i) - 1)
            set_forward(b, u, i, forward(b, x, i))
        else:
            set_span(b, u, i, span(b, u, i) - 1)
    f0 = forward(b, x, 0)
    if f0 != NONE:
        set_backward(b, f0, backward(b, x))
    else:
        h[F_TAIL] = backward(b, x)
    while h[F_LEVEL] > 1 and forward(b, 0, h[F_LEVEL] - 1) == NONE:
        h[F_LEVEL] -= 1
    h[F_COUNT] -= 1


@kernel
def unlink(b, x):
    """zslDelete of node x (found by its score and member); it stays allocated."""
    h = hdr(b)
    v = score(b, x)
    s, n = member(b, x)
    y = 0
    for i in range(h[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or not _lt(b, f, v, s, n):
                break
            y = f
        h[F_UPD + i] = y
    _delete_node(b, x)


@kernel
def insert(b, hv, v, s, n):
    """Add member (s, n), absent, with score v (its hash hv), in room made: its node."""
    x = new_node(b, level_of(hv), v, s, n)
    link(b, x)
    h = hdr(b)
    if _place(slots_of(b), h[F_LOG], np.int64(hv >> np.uint64(32)), x):
        h[F_FILL] += 1
    return x


@kernel
def delete(b, x, slot):
    """Remove node x (at index slot `slot`) from the set."""
    unlink(b, x)
    slots_of(b)[slot] = (slots_of(b)[slot] & ~np.int64(LOW)) | TOMB
    free_node(b, x)


@kernel
def update_score(b, x, v):
    """zslUpdateScore: node x gets score v, moved to its new place when its neighbours say so
    (the node itself is moved, where Redis makes a new one)."""
    back = backward(b, x)
    f0 = forward(b, x, 0)
    if (back == NONE or score(b, back) < v) and (f0 == NONE or score(b, f0) > v):
        set_score(b, x, v)
        return
    unlink(b, x)
    set_score(b, x, v)
    link(b, x)


# --- ranks and ranges ------------------------------------------------------------------------
@kernel
def rank_of(b, x):
    """zslGetRank: the 1-based rank of node x."""
    v = score(b, x)
    s, n = member(b, x)
    y = 0
    rank = 0
    for i in range(hdr(b)[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE:
                break
            fs = score(b, f)
            if fs < v or (fs == v and cmp_node(b, f, s, n) <= 0):
                rank += span(b, y, i)
                y = f
            else:
                break
        if y == x:
            return rank
    return 0


@kernel
def at_rank(b, rank):
    """zslGetElementByRank: the node of 1-based rank `rank`, NONE past the end."""
    y = 0
    traversed = 0
    for i in range(hdr(b)[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or traversed + span(b, y, i) > rank:
                break
            traversed += span(b, y, i)
            y = f
        if traversed == rank:
            return y
    return NONE


@kernel(inline=True)
def gte_min(v, rng):
    mn, minex, mx, maxex = rng
    return v > mn if minex else v >= mn


@kernel(inline=True)
def lte_max(v, rng):
    mn, minex, mx, maxex = rng
    return v < mx if maxex else v <= mx


@kernel(inline=True)
def empty_range(rng):
    mn, minex, mx, maxex = rng
    return mn > mx or (mn == mx and (minex or maxex))


@kernel
def first_in_range(b, rng):
    """zslFirstInRange: the first node whose score is in rng, or NONE."""
    if empty_range(rng) or count(b) == 0:
        return NONE
    if not gte_min(score(b, last(b)), rng) or not lte_max(score(b, first(b)), rng):
        return NONE
    y = 0
    for i in range(hdr(b)[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or gte_min(score(b, f), rng):
                break
            y = f
    y = forward(b, y, 0)
    if not lte_max(score(b, y), rng):
        return NONE
    return y


@kernel
def last_in_range(b, rng):
    """zslLastInRange: the last node whose score is in rng, or NONE."""
    if empty_range(rng) or count(b) == 0:
        return NONE
    if not gte_min(score(b, last(b)), rng) or not lte_max(score(b, first(b)), rng):
        return NONE
    y = 0
    for i in range(hdr(b)[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or not lte_max(score(b, f), rng):
                break
            y = f
    if not gte_min(score(b, y), rng):
        return NONE
    return y


@kernel
def lex_cmp(a, n, bound):
    """sdscmplex of the string (a, n) against a lex bound (kind, address, length, ex): kind -1
    is "-" (below everything), +1 is "+" (above everything)."""
    kind, s, m, ex = bound
    if kind < 0:
        return 1
    if kind > 0:
        return -1
    return cmp_bytes(a, n, s, m)


@kernel(inline=True)
def lex_gte(a, n, lo):
    c = lex_cmp(a, n, lo)
    return c > 0 if lo[3] else c >= 0


@kernel(inline=True)
def lex_lte(a, n, hi):
    c = lex_cmp(a, n, hi)
    return c < 0 if hi[3] else c <= 0


@kernel
def empty_lex(lo, hi):
    """zslIsInLexRange's test for a range that is always empty."""
    k1, s1, n1, ex1 = lo
    k2, s2, n2, ex2 = hi
    if k1 == k2 and k1 != 0:
        c = 0
    elif k1 < 0 or k2 > 0:
        c = -1
    elif k1 > 0 or k2 < 0:
        c = 1
    else:
        c = cmp_bytes(s1, n1, s2, n2)
    return c > 0 or (c == 0 and (ex1 or ex2))


@kernel(inline=True)
def node_gte(b, x, lo):
    a, n = member(b, x)
    return lex_gte(a, n, lo)


@kernel(inline=True)
def node_lte(b, x, hi):
    a, n = member(b, x)
    return lex_lte(a, n, hi)


@kernel
def first_in_lex(b, lo, hi):
    if empty_lex(lo, hi) or count(b) == 0:
        return NONE
    if not node_gte(b, last(b), lo) or not node_lte(b, first(b), hi):
        return NONE
    y = 0
    for i in range(hdr(b)[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or node_gte(b, f, lo):
                break
            y = f
    y = forward(b, y, 0)
    if not node_lte(b, y, hi):
        return NONE
    return y


@kernel
def last_in_lex(b, lo, hi):
    if empty_lex(lo, hi) or count(b) == 0:
        return NONE
    if not node_gte(b, last(b), lo) or not node_lte(b, first(b), hi):
        return NONE
    y = 0
    for i in range(hdr(b)[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or not node_lte(b, f, hi):
                break
            y = f
    if not node_gte(b, y, lo):
        return NONE
    return y


@kernel
def _drop(b, seeds, x):
    """A node of a range deletion: out of the skiplist (update[] set), the index, to the free list."""
    _delete_node(b, x)
    slots = slots_of(b)
    p = slot_of_node(b, seeds, x)
    slots[p] = (slots[p] & ~np.int64(LOW)) | TOMB
    free_node(b, x)


@kernel
def delete_range_score(b, seeds, rng):
    """zslDeleteRangeByScore: the number deleted."""
    h = hdr(b)
    y = 0
    for i in range(h[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or gte_min(score(b, f), rng):
                break
            y = f
        h[F_UPD + i] = y
    x = forward(b, y, 0)
    removed = 0
    while x != NONE and lte_max(score(b, x), rng):
        nxt = forward(b, x, 0)
        _drop(b, seeds, x)
        removed += 1
        x = nxt
    return removed


@kernel
def delete_range_lex(b, seeds, lo, hi):
    """zslDeleteRangeByLex: the number deleted."""
    h = hdr(b)
    y = 0
    for i in range(h[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or node_gte(b, f, lo):
                break
            y = f
        h[F_UPD + i] = y
    x = forward(b, y, 0)
    removed = 0
    while x != NONE and node_lte(b, x, hi):
        nxt = forward(b, x, 0)
        _drop(b, seeds, x)
        removed += 1
        x = nxt
    return removed


@kernel
def delete_range_rank(b, seeds, start, end):
    """zslDeleteRangeByRank (1-based, inclusive): the number deleted."""
    h = hdr(b)
    y = 0
    traversed = 0
    for i in range(h[F_LEVEL] - 1, -1, -1):
        while True:
            f = forward(b, y, i)
            if f == NONE or traversed + span(b, y, i) >= start:
                break
            traversed += span(b, y, i)
            y = f
        h[F_UPD + i] = y
    traversed += 1
    x = forward(b, y, 0)
    removed = 0
    while x != NONE and traversed <= end:
        nxt = forward(b, x, 0)
        _drop(b, seeds, x)
        removed += 1
        traversed += 1
        x = nxt
    return removed


# --- building from members in order ----------------------------------------------------------
@kernel
def append(b, hv, v, s, n):
    """Add member (s, n) with score v after every member there (the caller adds in order; room
    made), in O(1): the last node of each level is kept in update[] by `build_begin`."""
    h = hdr(b)
    lvl = level_of(hv)
    x = new_node(b, lvl, v, s, n)
    c = h[F_COUNT] + 1          # x's rank
    if lvl > h[F_LEVEL]:
        h[F_LEVEL] = lvl
    for i in range(lvl):
        u = h[F_UPD + i]
        set_forward(b, u, i, x)
        set_span(b, u, i, c - h[F_RANK + i])
        h[F_UPD + i] = x
        h[F_RANK + i] = c
    set_backward(b, x, h[F_TAIL])
    h[F_TAIL] = x
    h[F_COUNT] = c
    if _place(slots_of(b), h[F_LOG], np.int64(hv >> np.uint64(32)), x):
        h[F_FILL] += 1
    return x


@kernel
def build_begin(b):
    """Before appending to an empty skiplist."""
    h = hdr(b)
    for i in range(MAXLEVEL):
        h[F_UPD + i] = 0
        h[F_RANK + i] = 0


@kernel
def build_end(b):
    """After the last append: each level's last node spans to the end, as Redis keeps them."""
    h = hdr(b)
    c = h[F_COUNT]
    for i in range(MAXLEVEL):
        u = h[F_UPD + i]
        set_forward(b, u, i, NONE)
        set_span(b, u, i, c - h[F_RANK + i] if u != 0 else 0)
