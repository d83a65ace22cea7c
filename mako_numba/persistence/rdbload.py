"""The kernel that loads an RDB file's records into the key space, with no Python per key.

`insert_records` takes the rows rdbscan.scan_records fills (where each key
and value lie in the buffer and how they are encoded) and stores the keys:
raw strings straight from the buffer, INT encodings written out as decimal
and LZF expanded into a scratch array, then lookup and store as any write.

Rules:
- No allocation: a row that needs memory stops the call with a LOAD_* code
  and the row's number, having changed nothing for that row.  LOAD_NEED: the
  key space asks (tm[T_NEED]); LOAD_TMP: the scratch array must hold
  out[O_DETAIL] bytes; LOAD_RESIZE: the row is a RESIZEDB hint (K_RESIZE)
  for Python to size the index by.  Python acts and calls again from that
  row (after a hint, from the next).
- Refusals are codes too, with the row's number: LOAD_DUPLICATE (the key is
  there already, unless F_MERGE: then the file's key replaces it, Redis's
  RDBFLAGS_ALLOW_DUP), LOAD_BAD_DB (a database the server lacks), LOAD_BAD_LZF
  (out[O_AT]: the buffer offset of the data, out[O_DETAIL]: its promised
  length).  An AUX field is not stored, but its LZF is checked as the
  reader checks it.
- A key whose time is up (0 <= expiry < now) is counted and skipped, unless
  F_KEEP_EXPIRED (an AOF's base, where a later PERSIST may save it).
  out[O_LOADED] and out[O_EXPIRED] count across calls.
- A hash, set, list or sorted set (rdbbuild.py) is checked and measured
  first, then its record is made at its final size and written in place:
  an empty one is skipped (out[O_EMPTY]); a refused one stops the load
  (LOAD_BAD_VALUE, or LOAD_BAD_LZF for bad LZF data inside it), after
  deleting the key if it was half made.
- The arguments are re-wrapped without their owners (jit.unowned), as
  run_batch does: otherwise every helper call counts references atomically,
  which took 40% of a load.
- While row i is stored, row i + L_PREFETCH_SLOT's key is hashed (into
  hashes[i + L_PREFETCH_SLOT]) and its index slot fetched, as the batch
  kernel does for queued requests: the slot is a cache miss per key, most
  of a load's time.  Only raw keys are hashed ahead; the rest at their turn.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view, unowned
from mako_numba.persistence import rdbbuild
from mako_numba.persistence.rdbbuild import B_BAD_LZF, B_EMPTY, B_OK
from mako_numba.persistence.rdbfields import field, room
from mako_numba.persistence.rdbscan import (
    F_INT, F_RAW, K_AUX, K_KEY, R_DB, R_EXPIRE, R_KEY, R_KIND, R_START, R_TYPE, R_VAL,
    TYPE_STRING,
)
from mako_numba.config import settings as config
from mako_numba.store.arena import OK, TYPE_SHIFT
from mako_numba.store.index import prefetch_slot
from mako_numba.store.table import (
    lookup_hashed, set_enc_flags, store_inline, unlink_found, value_of,
)
from mako_numba.store.types.coll import seeds_of

LOAD_DONE = 0
LOAD_NEED = 1           # memory: tm[T_NEED] says which
LOAD_DUPLICATE = 2      # the row's key exists already
LOAD_RESIZE = 3         # the row is a RESIZEDB hint
LOAD_BAD_DB = 4         # the row's database is not one of the server's
LOAD_BAD_LZF = 5        # a string's LZF data does not expand to its length
LOAD_TMP = 6            # the scratch array is too small
LOAD_BAD_VALUE = 7      # a value refused (rdbbuild.B_* in out[O_DETAIL], the fault's offset in out[O_AT])

F_KEEP_EXPIRED = 1
F_MERGE = 2

O_LOADED = 0            # the counters of out
O_EXPIRED = 1
O_AT = 2
O_DETAIL = 3
O_EMPTY = 4             # empty hashes, sets, lists and sorted sets skipped
O_NFIELDS = 5

@kernel(inline=True)
def _bad_lzf(rows, i, col, out):
    """LOAD_BAD_LZF for the string in rows[i, col:col + 4]: where its data lies, its length."""
    out[O_AT] = rows[i, col + 1]
    out[O_DETAIL] = rows[i, col + 3]
    return LOAD_BAD_LZF


@kernel(inline=True)
def _bad_value(rows, i, st, out):
    """LOAD_BAD_VALUE: why (rdbbuild.B_*) and where the value lies."""
    out[O_AT] = rows[i, R_START] if rows[i, R_VAL] == F_INT else rows[i, R_VAL + 1]
    out[O_DETAIL] = st
    return LOAD_BAD_VALUE


@kernel(inline=True)
def _refused(rows, i, st, at, detail, out):
    """The LOAD_* code of a value rdbbuild refused (st: B_*), the fault at buffer offset at
    (-1: the value as a whole) with detail (B_BAD_LZF: the length its data promised)."""
    if st == B_BAD_LZF:
        out[O_AT] = at
        out[O_DETAIL] = detail
        return LOAD_BAD_LZF
    _bad_value(rows, i, st, out)
    if at >= 0:
        out[O_AT] = at
    return LOAD_BAD_VALUE


@kernel(inline=True)
def _hash_ahead(T, buf, rows, j, hashes):
    """Hash row j's key and prefetch its index slot, if it is a raw key of a database we have."""
    dbk = T[5]
    logical = rows[j, R_DB]
    hashes[j] = 0
    if rows[j, R_KIND] == K_KEY and rows[j, R_KEY] == F_RAW and 0 <= logical < dbk.shape[0]:
        hashes[j] = np.int64(prefetch_slot(T, dbk[logical, 2], buf.ctypes.data + rows[j, R_KEY + 1],
                                           rows[j, R_KEY + 2]))


@kernel(entry=True)
def insert_records(T, lim, buf, rows, start, n, now, flags, tmp, out, hashes):
    """Store the keys of rows[start:n] (scan_records' rows over buf); returns (row, LOAD_*).

    The row is n with LOAD_DONE when every row went in; otherwise the row
    the code is about (see the module rules).  hashes has a place per row.
    """
    T = (unowned(T[0]), unowned(T[1]), unowned(T[2]), unowned(T[3]), unowned(T[4]), unowned(T[5]))
    lim, rows, out, hashes = unowned(lim), unowned(rows), unowned(out), unowned(hashes)
    buf, tmp = u8view(buf.ctypes.data, buf.shape[0]), u8view(tmp.ctypes.data, tmp.shape[0])
    dbk = T[5]
    ahead = lim[config.L_PREFETCH_SLOT]
    for j in range(start, min(n, start + ahead)):
        _hash_ahead(T, buf, rows, j, hashes)
    for i in range(start, n):
        if i + ahead < n:
            _hash_ahead(T, buf, rows, i + ahead, hashes)
        kind = rows[i, R_KIND]
        if kind == K_KEY or kind == K_AUX:
            t = rows[i, R_TYPE] if kind == K_KEY else TYPE_STRING
            kroom = room(rows, i, R_KEY)
            vroom = room(rows, i, R_VAL)
            eroom = rdbbuild.slot_room(rows, i) if t != TYPE_STRING else 0
            need = kroom + vroom + 2 * eroom
            if need > tmp.shape[0]:
                out[O_DETAIL] = need
                return i, LOAD_TMP
            kaddr, klen = field(buf, rows, i, R_KEY, tmp, 0)
            if klen < 0:
                return i, _bad_lzf(rows, i, R_KEY, out)
            vaddr, vlen = field(buf, rows, i, R_VAL, tmp, kroom)
            if vlen < 0:
                return i, _bad_lzf(rows, i, R_VAL, out)
            if kind == K_AUX:
                continue
            logical = rows[i, R_DB]
            if logical < 0 or logical >= dbk.shape[0]:
                return i, LOAD_BAD_DB
            slot = kroom + vroom
            if t != TYPE_STRING:
                st, form, csize, count, nbytes, log = rdbbuild.plan(lim, t, buf, rows, i, vaddr, vlen,
                                                                    tmp, slot, seeds_of(T))
                if st == B_EMPTY:
                    out[O_EMPTY] += 1
                    continue
                if st != B_OK:
                    return i, _refused(rows, i, st, count, nbytes, out)
            expire = rows[i, R_EXPIRE]
            if 0 <= expire < now and not flags & F_KEEP_EXPIRED:
                out[O_EXPIRED] += 1
                continue
            db = dbk[logical, 2]
            h, which, pos = lookup_hashed(T, lim, db, kaddr, klen, now, True, np.uint64(hashes[i]), -1)
            if which != 0:
                if not flags & F_MERGE:
                    return i, LOAD_DUPLICATE
                unlink_found(T, lim, which, pos)
                h, which, pos = lookup_hashed(T, lim, db, kaddr, klen, now, True, h, -1)
            if t == TYPE_STRING:
                if store_inline(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen,
                                expire if expire > 0 else 0) != OK:
                    return i, LOAD_NEED
            else:
                if store_inline(T, lim, db, h, which, pos, kaddr, klen, 0, csize,
                                expire if expire > 0 else 0) != OK:
                    return i, LOAD_NEED
                h, which, pos = lookup_hashed(T, lim, db, kaddr, klen, now, False, h, -1)
                set_enc_flags(T, which, pos, rdbbuild.object_type(t) << TYPE_SHIFT)
                st, at, detail = rdbbuild.fill(T, value_of(T, which, pos)[0], t, form, count, nbytes,
                                               log, buf, rows, i, vaddr, tmp, slot, eroom)
                if st != B_OK:
                    unlink_found(T, lim, which, pos)
                    return i, _refused(rows, i, st, at if st == B_BAD_LZF else -1, detail, out)
            out[O_LOADED] += 1
        else:
            return i, LOAD_RESIZE
    return n, LOAD_DONE
