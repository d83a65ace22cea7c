"""The kernel that walks the key space for a snapshot (rdbload.py's kernel fills it from one).

`dump_rows` lists the live records of one database, a slice of the index
at a time, as (address, key length, value length, expire ms) rows;
rdbdump.encode_records encodes them.

Rules:
- While a rehash runs, every live record sits in exactly one of the two
  indexes (moved slots leave tombstones), so walking both lists each key
  once.
- It does not allocate: it stops when its rows are full and says where to
  go on.
"""
from mako_numba.base.jit import kernel
from mako_numba.store.arena import REC_HDR, rec_db, rec_hdr, rec_klen, rec_vlen, ref_addr
from mako_numba.store.index import TOMB, slot_ref


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


__all__ = ["dump_rows", "REC_HDR"]
