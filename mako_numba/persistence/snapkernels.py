"""Kernels that walk the key space for a snapshot and fill it from one.

`dump_rows` lists the live records of one database, a slice of the index
at a time, as (address, key length, value length, expire ms) rows; Python
(persist.py) reads the bytes at those addresses and encodes them.
`load_rows` inserts keys described by rows over one byte buffer.

Rules:
- While a rehash runs, every live record sits in exactly one of the two
  indexes (moved slots leave tombstones), so walking both lists each key
  once.
- Neither kernel allocates: `load_rows` stops at the first row that needs
  memory (NEED_*, as every write) and says where, and Python supplies it
  and calls again from that row.
- A key met twice while loading is refused (LOAD_DUPLICATE), as Redis
  refuses an RDB file with a duplicated key, unless `replace` (DEBUG RELOAD
  MERGE, Redis's RDBFLAGS_ALLOW_DUP): then the loaded key replaces it.
"""
from mako_numba.base.jit import kernel
from mako_numba.store.arena import OK, REC_HDR, rec_db, rec_hdr, rec_klen, rec_vlen, ref_addr
from mako_numba.store.index import TOMB, slot_ref
from mako_numba.store.table import lookup, store, unlink_found

LOAD_DONE = 0
LOAD_NEED = 1           # memory: tm[T_NEED] says which
LOAD_DUPLICATE = 2      # the row's key exists already

# load_rows's row columns
L_DB = 0                # physical database
L_KOFF = 1              # key offset in the buffer
L_KLEN = 2
L_VOFF = 3
L_VLEN = 4
L_EXPIRE = 5            # ms since the epoch, 0 none
L_NCOLS = 6


@kernel(entry=True)
def dump_rows(T, which, pos, pdb, rows):
    """Records of physical database pdb in idx (which 1) or oidx (2), from slot pos.

    Fills rows with (record address, key length, value length, expire ms or
    0) until rows is full or the index ends; returns (rows filled, next slot),
    the next slot being the index's size at the end.
    """
    ix = T[1] if which == 1 else T[2]
    chunks = T[3]
    size = ix.shape[0]
    n = 0
    while pos < size and n < rows.shape[0]:
        s = ix[pos]
        if s > TOMB:
            ref = slot_ref(s)
            hdr = rec_hdr(chunks, ref)
            if rec_db(hdr) == pdb:
                rows[n, 0] = ref_addr(chunks, ref)
                rows[n, 1] = rec_klen(hdr)
                rows[n, 2] = rec_vlen(hdr)
                rows[n, 3] = hdr[2]
                n += 1
        pos += 1
    return n, pos


@kernel(entry=True)
def load_rows(T, lim, buf, rows, start, n, now, replace):
    """Insert rows[start:n] (L_* columns, bytes in buf); returns (next row, LOAD_*).

    The next row is n when all went in; otherwise the row that needs memory
    or whose key exists already.
    """
    base = buf.ctypes.data
    for i in range(start, n):
        db = rows[i, L_DB]
        kaddr = base + rows[i, L_KOFF]
        klen = rows[i, L_KLEN]
        h, which, pos = lookup(T, lim, db, kaddr, klen, now)
        if which != 0:
            if not replace:
                return i, LOAD_DUPLICATE
            unlink_found(T, lim, which, pos)
            h, which, pos = lookup(T, lim, db, kaddr, klen, now)
        st = store(T, lim, db, h, which, pos, kaddr, klen, base + rows[i, L_VOFF], rows[i, L_VLEN],
                   rows[i, L_EXPIRE])
        if st != OK:
            return i, LOAD_NEED
    return n, LOAD_DONE


__all__ = ["dump_rows", "load_rows", "REC_HDR"]
