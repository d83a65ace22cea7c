"""A set value, whichever its encoding: membership, adding and removing, walking.

A set is an intset (store/types/intset.py) while every member is an integer
and it holds at most set-max-intset-entries of them, else a table blob
(store/types/blob.py, pairs=False); Redis 7.0's setTypeCreate / setTypeAdd
rules, applied for a whole command at once: `prepare_add` sizes (or
converts) the value for every member a command may add, then `add_member`
adds each without allocating.

Rules: as the hash kernels': nothing changes before the last possible NEED.
"""
from mako_numba.base.jit import kernel
from mako_numba.config import settings as config
from mako_numba.base.layout import C_OUT_WR
from mako_numba.commands.respond import X_DEFER, X_DONE, out_of, reserve
from mako_numba.protocol.replies import bulk_size, int_size, w_agg_hdr, w_bulk_int, w_bulk_short
from mako_numba.store.arena import OK
from mako_numba.store.table import resize_value, value_of
from mako_numba.store.types import OBJ_SET, blob, intset
from mako_numba.store.types.blob import KIND_TABLE
from mako_numba.store.types.coll import (
    create, intset_to_table, make_room, walk_position,
)


@kernel
def contains(b, seeds, a, n):
    """Is (a, n) a member of the set value at b?"""
    if intset.is_intset(b):
        ok, v = intset.as_int(a, n)
        return ok and intset.search(b, v)[0]
    return blob.find(b, seeds, a, n, False)[0] >= 0


@kernel
def card(b):
    return intset.length(b) if intset.is_intset(b) else blob.count(b)


@kernel
def _int_members(args, first, end, step):
    """(all integers?, widest width) of the members args[first:end:step]."""
    width = 2
    for i in range(first, end, step):
        ok, v = intset.as_int(args[i, 0], args[i, 1])
        if not ok:
            return False, 0
        width = max(width, intset.value_width(v))
    return True, width


@kernel
def _new_ints(b, args, first, end, step, cap):
    """How many distinct integers of args[first:end:step] the intset b (0: none) lacks; stops
    past cap."""
    n = 0
    for i in range(first, end, step):
        v = intset.as_int(args[i, 0], args[i, 1])[1]
        if b != 0 and intset.search(b, v)[0]:
            continue
        dup = False
        for j in range(first, i, step):
            if intset.as_int(args[j, 0], args[j, 1])[1] == v:
                dup = True
                break
        if not dup:
            n += 1
            if n > cap:
                return n
    return n


@kernel
def _text_bytes(args, first, end, step):
    add = 0
    for i in range(first, end, step):
        add += blob.entry_size(args[i, 1], 0, False)
    return add


@kernel
def prepare_add(K, h, which, pos, args, k, first, end, step):
    """Room in the set at (which, pos) (created when which is 0) for every member
    args[first:end:step]: (OK, which, pos, value address) or (NEED_*, 0, 0, 0)."""
    T, lim, db, now = K
    maxi = lim[config.L_SET_INTSET]
    n = (end - first + step - 1) // step
    ints, width = _int_members(args, first, end, step)
    add = _text_bytes(args, first, end, step)
    if which == 0:
        if ints and _new_ints(0, args, first, end, step, maxi) <= maxi:
            size = intset.size_of(width, _new_ints(0, args, first, end, step, maxi))
            st, which, pos, b = create(T, lim, db, h, pos, args[k, 0], args[k, 1], OBJ_SET, size)
            if st != OK:
                return st, 0, 0, 0
            intset.init(b)
            return OK, which, pos, b
        ecap, log = blob.table_shape(add, n)
        st, which, pos, b = create(T, lim, db, h, pos, args[k, 0], args[k, 1], OBJ_SET,
                                   blob.blob_size(KIND_TABLE, ecap, log))
        if st != OK:
            return st, 0, 0, 0
        blob.init(b, KIND_TABLE, ecap, log)
        return OK, which, pos, b
    b, vlen = value_of(T, which, pos)
    if intset.is_intset(b):
        if ints:
            nd = _new_ints(b, args, first, end, step, maxi)
            if intset.length(b) + nd <= maxi:
                size = intset.size_of(max(width, intset.width(b)), intset.length(b) + nd)
                if size > vlen:
                    st, b = resize_value(T, lim, which, pos, size)
                    if st != OK:
                        return st, 0, 0, 0
                return OK, which, pos, b
        st, b = intset_to_table(T, lim, which, pos, add, n)
        return st, which, pos, b
    st, b = make_room(T, lim, which, pos, add, n, False, False)
    return st, which, pos, b


@kernel
def add_member(b, seeds, a, n):
    """Add (a, n) to a set value prepared by prepare_add; 1 if it was new."""
    if intset.is_intset(b):
        v = intset.as_int(a, n)[1]
        if intset.search(b, v)[0]:
            return 0
        intset.insert(b, v)
        return 1
    if blob.find(b, seeds, a, n, False)[0] >= 0:
        return 0
    blob.add(b, seeds, a, n, 0, 0, False)
    return 1


@kernel
def remove_member(b, seeds, a, n):
    """Remove (a, n) from the set value at b; 1 if it was there.  An intset is left longer than
    it needs (coll.fit_value cuts it)."""
    if intset.is_intset(b):
        ok, v = intset.as_int(a, n)
        if not ok:
            return 0
        found, p = intset.search(b, v)
        if not found:
            return 0
        intset.delete_at(b, p)
        return 1
    off, slot = blob.find(b, seeds, a, n, False)
    if off < 0:
        return 0
    blob.remove(b, off, slot, False)
    return 1


# --- walking: a position per member, whichever the encoding ---------------------------
@kernel
def walk(b, cur):
    """(member index or entry offset, next position) from position cur (0 to start); -1 at the
    end.  An intset is walked by index, a table by blob.walk_next."""
    return walk_position(b, cur, False)


@kernel
def member_reply_size(b, at):
    """The bulk reply's size of the member at a walk position's result."""
    if intset.is_intset(b):
        return bulk_size(int_size(intset.get(b, at)) - 3)
    return bulk_size(blob.entry_at(b, at, False)[1])


@kernel(inline=True)
def w_member(out, p, b, at):
    """Write the member at a walk position's result as a bulk string."""
    if intset.is_intset(b):
        return w_bulk_int(out, p, intset.get(b, at))
    a1, n1, a2, n2, nxt = blob.entry_at(b, at, False)
    return w_bulk_short(out, p, a1, n1)


@kernel
def members_bound(b):
    """At most how many bytes every member takes as bulk strings in a reply."""
    if intset.is_intset(b):
        return 27 * intset.length(b)
    return blob.reply_bound(b, False)


@kernel
def reply_all(conn, c, rl, b, ch):
    """Every member of the set value b as one aggregate reply (ch: '*' or RESP3's '~'), in one
    pass with room for the most they can take; X_DONE or X_DEFER."""
    n = card(b)
    if not reserve(conn, c, rl, int_size(n) + members_bound(b)):
        return X_DEFER
    out = out_of(conn, c)
    p = w_agg_hdr(out, conn[c, C_OUT_WR], ch, n)
    cur = 0
    while True:
        at, cur = walk(b, cur)
        if at < 0:
            break
        p = w_member(out, p, b, at)
    conn[c, C_OUT_WR] = p
    return X_DONE
