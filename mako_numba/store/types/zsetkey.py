"""Sorted-set values in the key space: create, grow, convert and fit them, or build one apart.

zsetlp.py and zsl.py work inside a value; this module is where a value
meets the key space (as coll.py for hashes and sets, listkey.py for lists):

- `create_listpack` / `create_skiplist` make a new key of the right size;
  `lp_room` / `zsl_room` grow a value (table.resize_value: in place or in
  a new block) before a write; `to_skiplist` converts a listpack as
  zsetConvert does, with room for the members the write adds.  Redis
  converts when a listpack would pass zset-max-listpack-entries members or
  get a member longer than zset-max-listpack-value bytes, and never back
  (only a new value, ZRANGESTORE's or ZUNIONSTORE's, starts small again).
- `fit` cuts a listpack's value to its length after a write;
  `after_removal` deletes a key left empty, as Redis does.  A skiplist's
  nodes never move, so removals leave its value as large as it grew; a
  command about to remove members first rebuilds one that has become
  LOOSE times larger than its members need (`compact_loose`), so memory
  follows the set down, as Redis's frees its nodes.
- A value built apart (a STORE command's result) lives in a scratch block
  of the arena (`scratch`; `free_scratch` when done, `unalloc_scratch` when
  the command defers) and is copied into its key by `store_value`.

Rules: (coll.py's) everything that may need memory comes before the change
and returns NEED_* (the command defers, nothing visible changed) or the
value's address, valid until the next call that may move a record.  Only
`to_skiplist` allocates (a copy of the small listpack it converts).
"""
import numpy as np

from mako_numba.base.jit import copy_bytes, kernel, u8view
from mako_numba.base.layout import T_DIRTY, T_NEED
from mako_numba.protocol.replies import w_num
from mako_numba.store.arena import OK, TYPE_SHIFT, alloc, free_block, ref_addr, unalloc
from mako_numba.store.table import lookup, resize_value, set_enc_flags, store, unlink_found, value_of
from mako_numba.store.types import OBJ_ZSET, blob, lp, zsetlp, zsl
from mako_numba.store.types.coll import changed, create, shrink
from mako_numba.store.types.zscore import stack_bytes

LISTPACK_SAFETY = 1 << 30       # lpSafeToAdd's LISTPACK_MAX_SAFETY_SIZE
LOOSE_MIN = 1 << 16             # a skiplist value at most this long is never rebuilt smaller
LOOSE = 4                       # ... nor one at most this many times what its members need


@kernel
def create_listpack(T, lim, db, h, pos, kaddr, klen, room):
    """A new sorted-set key holding an empty listpack with `room` bytes to grow into:
    (OK, which, pos, value) or (NEED_*, 0, 0, 0)."""
    st, which, pos, b = create(T, lim, db, h, pos, kaddr, klen, OBJ_ZSET, lp.EMPTY_SIZE + room)
    if st != OK:
        return st, 0, 0, 0
    lp.init(b)
    return OK, which, pos, b


@kernel
def create_skiplist(T, lim, db, h, pos, kaddr, klen, nodes, members, entries):
    """A new sorted-set key holding an empty skiplist sized for `entries` members whose nodes
    take `nodes` bytes and entries `members` bytes: (OK, which, pos, value) or (NEED_*, ...)."""
    ncap, mcap, log = zsl.shape(zsl.HEAD + nodes, members, entries)
    st, which, pos, b = create(T, lim, db, h, pos, kaddr, klen, OBJ_ZSET,
                               zsl.value_size(ncap, mcap, log))
    if st != OK:
        return st, 0, 0, 0
    zsl.init(b, ncap, mcap, log)
    return OK, which, pos, b


@kernel
def lp_room(T, lim, which, pos, add):
    """Room for `add` more bytes in the listpack at (which, pos): (OK, value) or (NEED_*, 0)."""
    b, vlen = value_of(T, which, pos)
    need = lp.total_bytes(b) + add
    if need <= vlen:
        return OK, b
    return resize_value(T, lim, which, pos, need)


@kernel
def zsl_room(T, lim, which, pos, new_members, entry_bytes):
    """Room in the skiplist at (which, pos) for new_members members whose levels were tallied
    (zsl.tally_add) and whose entries take entry_bytes: (OK, value) or (NEED_*, 0)."""
    b, vlen = value_of(T, which, pos)
    ok, nodes, members = zsl.room(b, new_members, entry_bytes)
    if ok:
        return OK, b
    ncap, mcap, log = zsl.grown_shape(b, nodes, members, new_members)
    size = zsl.value_size(ncap, mcap, log)
    if size > vlen:
        st, b = resize_value(T, lim, which, pos, size)
        if st != OK:
            return st, 0
    zsl.reshape(b, ncap, mcap, log)
    return OK, b


@kernel
def member_text(a, n, isint, v, buf):
    """A member as bytes: (address, length), an integer's digits written at buf (24 bytes)."""
    if isint:
        return buf, w_num(u8view(buf, 24), 0, v)
    return a, n


@kernel
def listpack_shape(b, seeds):
    """(node bytes, member bytes) the members of the listpack at b take in a skiplist."""
    buf = stack_bytes()
    nodes = 0
    members = 0
    e = zsetlp.first(b)
    while e >= 0:
        a, n, isint, v = zsetlp.member_at(b, e)
        s, m = member_text(a, n, isint, v, buf)
        nodes += zsl.node_size(zsl.level_of(blob.member_hash(seeds, s, m)))
        members += zsl.entry_size(m)
        e = zsetlp.next_pos(b, e)
    return nodes, members


@kernel
def fill_from_listpack(z, src, seeds):
    """Append the members of the listpack at src, in order, to the empty skiplist at z."""
    buf = stack_bytes()
    zsl.build_begin(z)
    e = zsetlp.first(src)
    while e >= 0:
        a, n, isint, v = zsetlp.member_at(src, e)
        s, m = member_text(a, n, isint, v, buf)
        zsl.append(z, blob.member_hash(seeds, s, m), zsetlp.score_at(src, e), s, m)
        e = zsetlp.next_pos(src, e)
    zsl.build_end(z)


@kernel(allocates=True)
def to_skiplist(T, lim, which, pos, seeds, add_nodes, add_members, add_entries):
    """zsetConvert of the listpack at (which, pos) to a skiplist with room for add_entries more
    members (their nodes add_nodes bytes, their entries add_members): (OK, value) or (NEED_*, 0)."""
    b, vlen = value_of(T, which, pos)
    total = lp.total_bytes(b)
    nodes, members = listpack_shape(b, seeds)
    n = zsetlp.length(b)
    ncap, mcap, log = zsl.shape(zsl.HEAD + nodes + add_nodes, members + add_members, n + add_entries)
    size = zsl.value_size(ncap, mcap, log)
    copy = np.empty(total, np.uint8)
    src = copy.ctypes.data
    copy_bytes(src, b, total)
    if size > vlen:
        st, b = resize_value(T, lim, which, pos, size)
        if st != OK:
            return st, 0
    zsl.init(b, ncap, mcap, log)
    fill_from_listpack(b, src, seeds)
    if size < vlen:
        shrink(T, lim, which, pos, size)
        b = value_of(T, which, pos)[0]
    return OK, b


@kernel
def live_shape(b):
    """The shape (ncap, mcap, log) a skiplist's members would take built afresh."""
    h = zsl.hdr(b)
    free = 0
    for i in range(zsl.MAXLEVEL):
        free += h[zsl.F_NFREE + i] * zsl.node_size(i + 1)
    return zsl.shape(h[zsl.F_NUSED] - free, h[zsl.F_MUSED] - h[zsl.F_MDEAD], h[zsl.F_COUNT])


@kernel
def compact_loose(T, lim, which, pos, seeds):
    """Before a command removes members from a skiplist: when its value is more than LOOSE
    times what its members need (deletions leave nodes on free lists and dead member bytes;
    nodes never move), build it afresh in a scratch block and take that size.  The members are
    the same, so a request that defers after this changed nothing; OK or NEED_* (nothing done
    then: the scratch block's chunk stays ready for the retry)."""
    b, vlen = value_of(T, which, pos)
    if not zsl.is_zsl(b) or vlen <= LOOSE_MIN:
        return OK
    ncap, mcap, log = live_shape(b)
    size = zsl.value_size(ncap, mcap, log)
    if vlen <= LOOSE * size:
        return OK
    tm = T[0]
    ref, z = scratch(T, lim, size)
    if ref == 0:
        return tm[T_NEED]
    zsl.init(z, ncap, mcap, log)
    zsl.build_begin(z)
    x = zsl.first(b)
    while x != zsl.NONE:
        a, n = zsl.member(b, x)
        zsl.append(z, blob.member_hash(seeds, a, n), zsl.score(b, x), a, n)
        x = zsl.forward(b, x, 0)
    zsl.build_end(z)
    st, nb = resize_value(T, lim, which, pos, size)
    if st != OK:
        unalloc_scratch(T, lim, ref, size)
        return st
    copy_bytes(nb, z, size)
    free_scratch(T, lim, ref, size)
    return OK


@kernel
def fit(T, lim, which, pos):
    """A listpack's value cut to the listpack's length (best effort: kept when no smaller block
    is at hand); a skiplist keeps its room."""
    b, vlen = value_of(T, which, pos)
    if zsl.is_zsl(b):
        return
    total = lp.total_bytes(b)
    if total < vlen:
        shrink(T, lim, which, pos, total)


@kernel
def after_removal(T, lim, which, pos, d0, removed, left):
    """A command removed `removed` members (d0: the dirty count before it), `left` remain: an
    empty sorted set's key is deleted, else the value is fitted and marked written."""
    tm = T[0]
    if left == 0:
        unlink_found(T, lim, which, pos)
        tm[T_DIRTY] = d0 + removed
        return
    fit(T, lim, which, pos)
    changed(T, which, pos, d0, removed)


# --- values built apart ----------------------------------------------------------------------
@kernel
def scratch(T, lim, size):
    """A scratch block of `size` bytes: (ref, address); ref 0 when memory must come first."""
    ref = alloc(T, lim, size)
    if ref == 0:
        return 0, 0
    return ref, ref_addr(T[3], ref)


@kernel
def free_scratch(T, lim, ref, size):
    """A scratch block's end, the command done."""
    if ref != 0:
        free_block(T, lim, ref, size)


@kernel
def unalloc_scratch(T, lim, ref, size):
    """A scratch block given back by a command that defers: a chunk of its own stays ready for
    the retry (arena.unalloc), so a command needing two never loses the first while it waits
    for the second."""
    if ref != 0:
        unalloc(T, lim, ref, size)


@kernel
def store_value(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen):
    """The sorted set (vaddr, vlen) as key (kaddr, klen) at a lookup result (any type there is
    replaced, its time to live gone: Redis's setKey): OK or NEED_*."""
    st = store(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen, 0)
    if st != OK:
        return st
    h2, which2, pos2 = lookup(T, lim, db, kaddr, klen, 0)
    set_enc_flags(T, which2, pos2, OBJ_ZSET << TYPE_SHIFT)
    return OK
