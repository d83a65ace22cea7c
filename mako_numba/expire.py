"""Entry kernels over the table's expire times: the active expiry sweep and a TTL-keeping write.

Python calls both (core.py): `active_expire` from the cron, walking the
index from a rolling cursor and deleting keys whose time has passed, and
`set_keep_ttl` for INCRBYFLOAT's write (Core.store_value), which keeps the
key's expire time.  They use only table.py's operations; table.py does not
import this module (that would be circular), so their users import them
from here.
"""
from .jit import kernel
from .table import (
    ENC_NOINT, OK, T_AE_POS, T_LOGCAP, T_VOLATILE, TOMB, expire_of, expire_slot, lookup, rec_hdr,
    set_enc_flags, slot_ref, store,
)


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
    """INCRBYFLOAT's write: key = value, keeping the expire time, never int-encoded; OK or NEED_*."""
    h, which, pos = lookup(T, lim, db, kaddr, klen, now)
    exp = expire_of(T, which, pos) if which != 0 else 0
    st = store(T, lim, db, h, which, pos, kaddr, klen, vaddr, vlen, exp)
    if st == OK:
        h, which, pos = lookup(T, lim, db, kaddr, klen, now)
        set_enc_flags(T, which, pos, ENC_NOINT)     # INCRBYFLOAT's result: never int-encoded
    return st
