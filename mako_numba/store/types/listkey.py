"""List values in the key space: create a list key, make room in its value, give room back.

listblob.py works inside a value; this module resizes the value
(table.resize_value: in place or in a new block) before a write changes
anything, and after removals gives bytes back once a list uses less than a
quarter of its room (Redis frees a quicklist's emptied nodes as it goes).

Rules (coll.py's): `create` and `make_room` come before the change and
return NEED_* (the command defers, nothing visible changed) or the value's
address, valid until the next call that may move a record.
"""
from mako_numba.base.jit import kernel
from mako_numba.config import settings as config
from mako_numba.base.layout import T_NEED
from mako_numba.store.arena import OK
from mako_numba.store.types import OBJ_LIST, listblob
from mako_numba.store.types.coll import create
from mako_numba.store.table import resize_value, value_of
from mako_numba.store.types.listblob import HDR

SHRINK_FROM = 1024      # data sizes at or below this are never shrunk


@kernel
def create_list(T, lim, db, h, pos, kaddr, klen, need, left):
    """A new list key with room for `need` bytes of entries written at the head (left) or the
    tail: (OK, which, pos, value) or (NEED_*, 0, 0, 0)."""
    cap = need
    st, which, pos, b = create(T, lim, db, h, pos, kaddr, klen, OBJ_LIST, HDR + cap)
    if st != OK:
        return st, 0, 0, 0
    listblob.init(b, cap, cap if left else 0)
    return OK, which, pos, b


@kernel
def make_room(T, lim, which, pos, need, left, inside):
    """Room for `need` more bytes at the head (left) or the tail, or (inside) at either end for
    a write inside the list: (OK, value) or (NEED_*, 0)."""
    b, vlen = value_of(T, which, pos)
    # a large value grows at its tail where it is (no copy): by a fine step, entries unmoved
    fine = not (left or inside) and vlen > lim[config.L_LARGE_BLOCK]
    r = listblob.room_inside(b, need) if inside else listblob.room_needed(b, need, left, fine)
    if r == 0:
        return OK, b
    if r < 0:
        listblob.arrange(b, listblob.hdr(b)[listblob.F_CAP], need, left or inside)
        return OK, b
    st, b = resize_value(T, lim, which, pos, HDR + r)
    if st != OK:
        return st, 0
    h = listblob.hdr(b)
    if fine and r - h[listblob.F_TAIL] >= need:
        h[listblob.F_CAP] = r
    else:
        listblob.arrange(b, r, need, left or inside)
    return OK, b


@kernel
def give_back(T, lim, which, pos):
    """After removals: a list using under a quarter of a large room is cut to twice its use
    (best effort: kept when no smaller block is at hand)."""
    b = value_of(T, which, pos)[0]
    h = listblob.hdr(b)
    cap = h[listblob.F_CAP]
    u = h[listblob.F_TAIL] - h[listblob.F_HEAD]
    if cap <= SHRINK_FROM or u * 4 >= cap:
        return
    new_cap = max(u * 2, SHRINK_FROM // 2)
    listblob.arrange(b, new_cap, 0, True)       # the entries within the first new_cap bytes
    tm = T[0]
    need = tm[T_NEED]
    st, b2 = resize_value(T, lim, which, pos, HDR + new_cap)
    if st != OK:
        tm[T_NEED] = need
        listblob.hdr(b)[listblob.F_CAP] = cap
