"""The hash kernels the slow path calls (HINCRBYFLOAT): read one field, write one field.

HINCRBYFLOAT does its arithmetic in C long double, in Python (slow.py); these
two entry kernels are its access to the hash, so it never decodes a whole
hash in Python.  They are compiled with the slowpath unit (server/prepare.py).
Arguments are rows of (address, length) as the batch's: row 0 the key, row 1
the field.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.hash.kernels import write_pair
from mako_numba.store.types import OBJ_HASH, WRONGTYPE, blob, lookup_read, lookup_write
from mako_numba.store.types.coll import blob_of, seeds_of


@kernel(entry=True)
def field_of(T, lim, db, args, now):
    """(status, value address, value length) of field args[1] of hash args[0] in physical db:
    status 1 found, 0 absent (the key or the field), WRONGTYPE for a key of another type."""
    h, which, pos = lookup_read(T, lim, db, args[0, 0], args[0, 1], now, OBJ_HASH, 0)
    if which == WRONGTYPE:
        return WRONGTYPE, 0, 0
    if which == 0:
        return 0, 0, 0
    b = blob_of(T, which, pos)
    off, slot = blob.find(b, seeds_of(T), args[1, 0], args[1, 1], True)
    if off < 0:
        return 0, 0, 0
    a1, n1, va, vn, nxt = blob.entry_at(b, off, True)
    return 1, va, vn


@kernel(entry=True)
def set_field(T, lim, db, args, vaddr, vlen, now):
    """Field args[1] of hash args[0] = (vaddr, vlen): OK, NEED_* (supply memory, call again) or
    WRONGTYPE."""
    K = (T, lim, db, now)
    h, which, pos = lookup_write(T, lim, db, args[0, 0], args[0, 1], now, OBJ_HASH, 0)
    if which == WRONGTYPE:
        return WRONGTYPE
    return write_pair(K, h, which, pos, args, 0, 1, vaddr, vlen)
