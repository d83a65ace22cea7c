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
from mako_numba.base.lzf import lzf_decompress
from mako_numba.persistence.rdbscan import (
    F_INT, F_LZF, F_RAW, K_AUX, K_KEY, R_DB, R_EXPIRE, R_KEY, R_KIND, R_VAL,
)
from mako_numba.config import settings as config
from mako_numba.store.arena import OK
from mako_numba.store.index import prefetch_slot
from mako_numba.store.table import lookup_hashed, store_inline, unlink_found

LOAD_DONE = 0
LOAD_NEED = 1           # memory: tm[T_NEED] says which
LOAD_DUPLICATE = 2      # the row's key exists already
LOAD_RESIZE = 3         # the row is a RESIZEDB hint
LOAD_BAD_DB = 4         # the row's database is not one of the server's
LOAD_BAD_LZF = 5        # a string's LZF data does not expand to its length
LOAD_TMP = 6            # the scratch array is too small

F_KEEP_EXPIRED = 1
F_MERGE = 2

O_LOADED = 0            # the counters of out
O_EXPIRED = 1
O_AT = 2
O_DETAIL = 3
O_NFIELDS = 4

INT_MAX_DIGITS = 24     # room for an int64 in decimal, with its sign


@kernel(inline=True)
def _decimal(v, tmp, at):
    """Write v in decimal at tmp[at:]; its length (tmp holds INT_MAX_DIGITS there)."""
    neg = v < 0
    u = np.uint64(-(v + 1)) + np.uint64(1) if neg else np.uint64(v)
    n = 0
    while True:
        tmp[at + INT_MAX_DIGITS - 1 - n] = 48 + np.int64(u % np.uint64(10))
        u //= np.uint64(10)
        n += 1
        if u == 0:
            break
    if neg:
        tmp[at + INT_MAX_DIGITS - 1 - n] = 45
        n += 1
    for j in range(n):
        tmp[at + j] = tmp[at + INT_MAX_DIGITS - n + j]
    return n


@kernel(inline=True)
def _room(rows, i, col):
    """Scratch bytes the string in rows[i, col:col + 4] takes when decoded."""
    enc = rows[i, col]
    if enc == F_INT:
        return INT_MAX_DIGITS
    if enc == F_LZF:
        return rows[i, col + 3]
    return 0


@kernel
def _expand(buf, off, clen, tmp, at, ulen, out):
    """LZF data buf[off:off + clen] into tmp[at:at + ulen]; False (out says where) if it is bad."""
    if lzf_decompress(buf[off:off + clen], clen, tmp[at:], ulen) == ulen:
        return True
    out[O_AT] = off
    out[O_DETAIL] = ulen
    return False


@kernel(inline=True)
def _field(buf, rows, i, col, tmp, at, out):
    """(address, length) of the string in rows[i, col:col + 4], decoded into tmp[at:] if need
    be; length -1 when its LZF data is bad (out[O_AT], out[O_DETAIL] say where)."""
    enc = rows[i, col]
    if enc == F_INT:
        return tmp.ctypes.data + at, _decimal(rows[i, col + 1], tmp, at)
    if enc == F_LZF:
        ulen = rows[i, col + 3]
        if not _expand(buf, rows[i, col + 1], rows[i, col + 2], tmp, at, ulen, out):
            return 0, -1
        return tmp.ctypes.data + at, ulen
    return buf.ctypes.data + rows[i, col + 1], rows[i, col + 2]


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
            kroom = _room(rows, i, R_KEY)
            need = kroom + _room(rows, i, R_VAL)
            if need > tmp.shape[0]:
                out[O_DETAIL] = need
                return i, LOAD_TMP
            kaddr, klen = _field(buf, rows, i, R_KEY, tmp, 0, out)
            if klen < 0:
                return i, LOAD_BAD_LZF
            vaddr, vlen = _field(buf, rows, i, R_VAL, tmp, kroom, out)
            if vlen < 0:
                return i, LOAD_BAD_LZF
            if kind == K_AUX:
                continue
            logical = rows[i, R_DB]
            if logical < 0 or logical >= dbk.shape[0]:
                return i, LOAD_BAD_DB
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
            if store_inline(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen,
                            expire if expire > 0 else 0) != OK:
                return i, LOAD_NEED
            out[O_LOADED] += 1
        else:
            return i, LOAD_RESIZE
    return n, LOAD_DONE
