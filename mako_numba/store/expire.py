"""Entry kernels Python calls over the table: the active expiry sweep, a TTL-keeping write,
and the sweep that clears EXEC stamps.

Python calls them (core.py, txcmds.py): `active_expire` from the cron,
walking the index from a rolling cursor and deleting keys whose time has
passed; `set_keep_ttl` for INCRBYFLOAT's write (Core.store_value), which
keeps the key's expire time; `clear_tx_stamps` when the transaction numbers
stamped on records (arena.ENC_TX) wrap around.  They use only table.py's
operations; table.py does not import this module (that would be
circular), so their users import them from here.
"""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import T_MIG, T_AE_POS, T_LOGCAP, T_TX_STAMP, T_VOLATILE
from mako_numba.store.arena import ENC_NOINT, ENC_TX, ENC_TX_SHIFT, OK, rec_hdr
from mako_numba.store.index import TOMB, slot_ref
from mako_numba.store.table import expire_of, expire_slot, lookup, set_enc_flags, store


@kernel(entry=True)
def active_expire(T, lim, now, budget):
    """Look at up to `budget` index slots from a rolling cursor; delete expired keys."""
    tm, idx, oidx, chunks, free, dbk = T
    if tm[T_VOLATILE] == 0:
        return 0
    n = idx.shape[0]
    mask = n - 1
    pos = tm[T_AE_POS] & mask
    removed = 0
    for _ in range(min(budget, n)):
        s = idx[pos]
        if s > TOMB:
            exp = rec_hdr(chunks, slot_ref(s))[2]
            if exp != 0 and exp <= now:
                expire_slot(T, lim, idx, tm[T_LOGCAP], True, pos)
                removed += 1
        pos = (pos + 1) & mask
    tm[T_AE_POS] = pos
    return removed


@kernel(entry=True)
def set_keep_ttl(T, lim, db, kaddr, klen, vaddr, vlen, now):
    """INCRBYFLOAT's write: key = value, keeping the expire time, never int-encoded; OK or NEED_*.

    In EXEC, Python sets tm[T_TX_STAMP] around it: Redis puts the new value in the command's
    argv (rewritten as SET), so the transaction holds it too (see dispatch._tx_stamp)."""
    h, which, pos = lookup(T, lim, db, kaddr, klen, now)
    exp = expire_of(T, which, pos) if which != 0 else 0
    st = store(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen, exp)
    if st == OK:
        h, which, pos = lookup(T, lim, db, kaddr, klen, now)
        set_enc_flags(T, which, pos, ENC_NOINT | (T[0][T_TX_STAMP] << ENC_TX_SHIFT))   # never int
    return st


@kernel(inline=True)
def _clear_stamps(ix, chunks):
    for i in range(ix.shape[0]):
        s = ix[i]
        if s > TOMB:
            hdr = rec_hdr(chunks, slot_ref(s))
            hdr[1] &= ~ENC_TX


@kernel
def clear_tx_stamps(T):
    """Clear every record's EXEC stamp (before the transaction numbers start again)."""
    tm, idx, oidx, chunks, free, dbk = T
    _clear_stamps(idx, chunks)
    if tm[T_MIG]:
        _clear_stamps(oidx, chunks)
