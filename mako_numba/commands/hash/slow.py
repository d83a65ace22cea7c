"""HINCRBYFLOAT: the hash command the slow path runs.

As INCRBYFLOAT (commands/string/slow.py says why): C long double arithmetic
and Redis's "%.17Lf" human formatting, in Python; the field is read and
written by two kernels (slowcalls.py).  It propagates as `HSET key field
<result>` (admin.py), as Redis 7.0 rewrites it.
"""
import ctypes
import time

import numpy as np

from mako_numba.base.jit import addr_of
from mako_numba.base.layout import C_DB
from mako_numba.commands.hash.slowcalls import field_of, set_field
from mako_numba.commands.string.slow import ld2string_human, string2ld
from mako_numba.protocol import errors, resp
from mako_numba.store.arena import OK
from mako_numba.store.types import WRONGTYPE


def _rows(*items):
    """Argument rows over these byte strings (kept alive by the caller)."""
    bufs = [np.frombuffer(bytes(x) + b"\0", np.uint8) for x in items]
    rows = np.zeros((len(items), 3), np.int64)
    for i, (x, b) in enumerate(zip(items, bufs)):
        rows[i, 0] = addr_of(b)
        rows[i, 1] = len(x)
    return rows, bufs


class HashCommands:
    def hincrbyfloat(self, call):
        core = self.core
        db = int(core.ks.dbk[int(core.conn[call.slot, C_DB]), 2])
        key, field, incr_text = call.args[1], call.args[2], call.args[3]
        incr = string2ld(incr_text)
        if incr is None:
            return resp.error(errors.NOT_FLOAT)
        if np.isnan(incr) or np.isinf(incr):
            return resp.error(errors.NAN_OR_INFINITY)
        rows, keep = _rows(key, field)
        now = int(time.time() * 1000)
        st, vaddr, vlen = field_of(core.ks.T, core.lim, db, rows, now)
        if st == WRONGTYPE:
            return resp.error(errors.WRONGTYPE)
        current = np.longdouble(0)
        if st == 1:
            current = string2ld(ctypes.string_at(int(vaddr), int(vlen)))
            if current is None:
                return resp.error(errors.HASH_NOT_FLOAT)
        total = current + incr
        if np.isnan(total) or np.isinf(total):
            return resp.error(errors.FLOAT_NAN_INF)
        text = ld2string_human(total)
        vbuf = np.frombuffer(text + b"\0", np.uint8)
        while True:
            st = set_field(core.ks.T, core.lim, db, rows, addr_of(vbuf), len(text), now)
            if st == OK:
                break
            core.ks.after_batch()           # the arena or the index lacked room: supply it
        return resp.bulk(text)
