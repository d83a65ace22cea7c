"""A list value: listpack entries in a double-ended run of bytes, inside the record's value.

Redis 7.0 keeps every list as a quicklist: a chain of listpacks of about
8 KB (list-max-listpack-size -2).  mako_numba keeps the same entries, byte
for byte as listpack.c writes them (store/types/lp.py), in one run with
free room at both ends, so LPUSH and RPUSH write in O(1), LPOP and RPOP
move an offset, and everything the key space does to "the record" (COPY,
RENAME, MOVE, DEL, expiry, eviction, the RDB dump rows) needs no case of
its own.  An RDB file gets the run cut into nodes of list-max-listpack-size
(persistence/rdbdump.py), as Redis would have them.

  value = header (HDR bytes, four int64: head, tail, count, cap), then cap bytes of data;
  the entries are data[head:tail], in list order.

Walking: forwards by each entry's encoding (lp.element), backwards by its
backlen; an index is reached from the nearer end.

Rules: kernels over a value's address; no allocation.  The caller makes
room first (`room_needed`, then commands/list/room.py grows the value and
`arrange`s it) and writes after, so a request that defers changed nothing.
"""
import numpy as np

from mako_numba.base.jit import i64uview, kernel, move_bytes, u8view
from mako_numba.store.types import lp

HDR = 32
F_HEAD = 0
F_TAIL = 1
F_COUNT = 2
F_CAP = 3
SMALL = 16          # the least room a value grows by
FINE = 1 << 16      # the least room a large value grows by at its tail


@kernel(inline=True)
def hdr(b):
    return i64uview(b, 4)


@kernel(inline=True)
def count(b):
    return hdr(b)[F_COUNT]


@kernel(inline=True)
def head(b):
    return hdr(b)[F_HEAD]


@kernel(inline=True)
def tail(b):
    return hdr(b)[F_TAIL]


@kernel(inline=True)
def used(b):
    h = hdr(b)
    return h[F_TAIL] - h[F_HEAD]


@kernel(inline=True)
def data(b):
    return b + HDR


@kernel
def init(b, cap, at):
    """An empty list in a value of HDR + cap bytes, its entries to start at offset at."""
    h = hdr(b)
    h[F_HEAD] = at
    h[F_TAIL] = at
    h[F_COUNT] = 0
    h[F_CAP] = cap


@kernel(inline=True)
def element(b, off):
    """The entry at data offset off: (next offset, string address, length, is int, int)."""
    return lp.element(b + HDR, off)


@kernel
def before(b, off):
    """The offset of the entry that ends at data offset off (off > head)."""
    p = u8view(b + HDR, off)
    q = off - 1
    size = 0
    shift = 0
    while True:
        size |= (np.int64(p[q]) & 127) << shift
        if p[q] & 128 == 0:
            break
        shift += 7
        q -= 1
    return q - size


@kernel
def offset_of(b, index):
    """The data offset of element `index` (0 <= index < count), walked from the nearer end."""
    h = hdr(b)
    n = h[F_COUNT]
    if index <= n // 2:
        off = h[F_HEAD]
        for i in range(index):
            off = element(b, off)[0]
        return off
    off = h[F_TAIL]
    for i in range(n - index):
        off = before(b, off)
    return off


@kernel
def entry_equals(b, off, s, n):
    """listTypeEqual (lpCompare): is the entry at off the string (s, n)?"""
    nxt, a, ln, isint, v = element(b, off)
    if isint:
        ok, w = lp.as_int(s, n)
        return ok and w == v
    if ln != n:
        return False
    x = u8view(a, n)
    y = u8view(s, n)
    for i in range(n):
        if x[i] != y[i]:
            return False
    return True


# --- room ----------------------------------------------------------------------------------
@kernel
def room_needed(b, need, left, fine):
    """What writing `need` more bytes at one end (left: the head) takes: 0, room is there;
    -1, room is there once the entries are re-centred; else the data size to grow to
    (`grown`, by the fine step when `fine`)."""
    h = hdr(b)
    free_side = h[F_HEAD] if left else h[F_CAP] - h[F_TAIL]
    if free_side >= need:
        return 0
    want = h[F_TAIL] - h[F_HEAD] + need
    if want * 4 <= h[F_CAP] * 3:
        return -1
    # never less than the room there is: the value is resized before the entries move
    return grown(max(want, h[F_CAP]), fine)


@kernel
def room_inside(b, need):
    """room_needed for `need` bytes written inside the list (LINSERT, LSET): room at either
    end will do; -1 and a grown size put it at the head."""
    h = hdr(b)
    if h[F_HEAD] >= need or h[F_CAP] - h[F_TAIL] >= need:
        return 0
    return room_needed(b, need, True, False)


@kernel(inline=True)
def grown(want, fine):
    """The data size a list that needs `want` bytes grows to: a quarter more (O(1) amortized
    when growing copies the value), or with `fine` (a large value growing at its tail, which
    neither copies nor moves a byte: store/arena.py's grow_large) 1/256 more, at least FINE."""
    if fine:
        return want + max(want // 256, FINE)
    return max(want + want // 4, want + SMALL)


@kernel
def arrange(b, cap, need, left):
    """Place the entries in a data area of cap bytes (the value already that large) with the
    free room split between both ends, and `need` more of it on the `left` (or right) end."""
    h = hdr(b)
    u = h[F_TAIL] - h[F_HEAD]
    spare = cap - u - need
    at = spare // 2 + (need if left else 0)
    if at != h[F_HEAD]:
        move_bytes(b + HDR + at, b + HDR + h[F_HEAD], u)
    h[F_HEAD] = at
    h[F_TAIL] = at + u
    h[F_CAP] = cap


# --- writes (room made first) ----------------------------------------------------------------
@kernel
def push(b, s, n, left):
    """Add the string (s, n) at the head (left) or the tail; the room is there."""
    h = hdr(b)
    d = u8view(b + HDR, h[F_CAP])
    if left:
        at = h[F_HEAD] - lp.entry_size(s, n)
        lp.put(d, at, s, n)
        h[F_HEAD] = at
    else:
        h[F_TAIL] = lp.put(d, h[F_TAIL], s, n)
    h[F_COUNT] += 1


@kernel
def push_entry(b, src, off, left):
    """Add a copy of the entry at offset off of list src (LMOVE), at the head or the tail."""
    nxt, a, ln, isint, v = element(src, off)
    size = nxt - off
    h = hdr(b)
    at = h[F_HEAD] - size if left else h[F_TAIL]
    move_bytes(b + HDR + at, src + HDR + off, size)
    if left:
        h[F_HEAD] = at
    else:
        h[F_TAIL] = at + size
    h[F_COUNT] += 1


@kernel
def drop_ends(b, nleft, nright):
    """Remove nleft elements at the head and nright at the tail."""
    h = hdr(b)
    off = h[F_HEAD]
    for i in range(nleft):
        off = element(b, off)[0]
    h[F_HEAD] = off
    off = h[F_TAIL]
    for i in range(nright):
        off = before(b, off)
    h[F_TAIL] = off
    h[F_COUNT] -= nleft + nright
    if h[F_COUNT] == 0:
        h[F_HEAD] = h[F_CAP] // 2
        h[F_TAIL] = h[F_HEAD]


@kernel
def remove_at(b, off):
    """Remove the entry at offset off, moving the shorter side over it."""
    h = hdr(b)
    nxt = element(b, off)[0]
    size = nxt - off
    if off - h[F_HEAD] <= h[F_TAIL] - nxt:
        move_bytes(b + HDR + h[F_HEAD] + size, b + HDR + h[F_HEAD], off - h[F_HEAD])
        h[F_HEAD] += size
    else:
        move_bytes(b + HDR + off, b + HDR + nxt, h[F_TAIL] - nxt)
        h[F_TAIL] -= size
    h[F_COUNT] -= 1


@kernel
def open_gap(b, off, size):
    """Make `size` bytes of room before offset off (an entry's, or tail), moving the shorter
    side; the room is there on that side (`gap_room`).  Returns the gap's offset."""
    h = hdr(b)
    right_ok = h[F_CAP] - h[F_TAIL] >= size
    if h[F_HEAD] >= size and (not right_ok or off - h[F_HEAD] <= h[F_TAIL] - off):
        move_bytes(b + HDR + h[F_HEAD] - size, b + HDR + h[F_HEAD], off - h[F_HEAD])
        h[F_HEAD] -= size
        return off - size
    move_bytes(b + HDR + off + size, b + HDR + off, h[F_TAIL] - off)
    h[F_TAIL] += size
    return off


@kernel
def insert_at(b, off, s, n):
    """Insert the string (s, n) before offset off; room for it is at one end at least."""
    at = open_gap(b, off, lp.entry_size(s, n))
    lp.put(u8view(b + HDR, hdr(b)[F_CAP]), at, s, n)
    hdr(b)[F_COUNT] += 1


@kernel
def replace_at(b, off, s, n):
    """Replace the entry at offset off with the string (s, n) (LSET); the room a longer one
    needs is at one end at least."""
    nxt = element(b, off)[0]
    old = nxt - off
    size = lp.entry_size(s, n)
    h = hdr(b)
    if size > old:
        at = open_gap(b, nxt, size - old)
        # the entry moved with the side that moved
        off = at - old if at < nxt else off
    elif size < old:
        # close the gap from the side after the new entry
        move_bytes(b + HDR + off + size, b + HDR + nxt, h[F_TAIL] - nxt)
        h[F_TAIL] -= old - size
    lp.put(u8view(b + HDR, h[F_CAP]), off, s, n)


@kernel
def keep_matching(b, s, n, limit, from_tail):
    """LREM: remove up to `limit` (0: all) entries equal to (s, n), scanning from the head or
    the tail; returns how many went."""
    h = hdr(b)
    removed = 0
    if not from_tail:
        rd = h[F_HEAD]
        wr = h[F_HEAD]
        end = h[F_TAIL]
        while rd < end:
            nxt = element(b, rd)[0]
            if (limit == 0 or removed < limit) and entry_equals(b, rd, s, n):
                removed += 1
            else:
                if wr != rd:
                    move_bytes(b + HDR + wr, b + HDR + rd, nxt - rd)
                wr += nxt - rd
            rd = nxt
        h[F_TAIL] = wr
    else:
        rd = h[F_TAIL]
        wr = h[F_TAIL]
        start = h[F_HEAD]
        while rd > start:
            prv = before(b, rd)
            if (limit == 0 or removed < limit) and entry_equals(b, prv, s, n):
                removed += 1
            else:
                if wr != rd:
                    move_bytes(b + HDR + wr - (rd - prv), b + HDR + prv, rd - prv)
                wr -= rd - prv
            rd = prv
        h[F_HEAD] = wr
    h[F_COUNT] -= removed
    return removed
