"""A family's entry kernel: how the batch calls it, and what it rebuilds from the call.

Each family with kernel ops has one entry kernel, `run(h, k)`, compiled and
cached on its own (engine/kernels.py prepares them, in parallel at a first
start).  The batch kernel holds only their addresses, in the table at
h[H_FAMS] indexed by family id, and after the checks every request passes
(commands/dispatch.py) calls the one of the request's family through
jit.call_entry.  So the batch kernel is compiled without any family in it,
a family is compiled without the others, and adding a family adds the
compile cost of that family alone.

The call carries two integers: `h`, the address of the batch's handle array
(base/layout.py H_*), and `k`, the queue row.  `request` rebuilds from them
what a family's dispatch takes (commands/family.py): views over the same
memory, made without allocation or reference counting.  The key space's
arrays and the argument rows may be replaced between batches, so Python
writes their handles into bm[B_FRAME] before a batch when they were
(`write_frame`); run_batch reads them from there too (`frame_arrays`).

Rules:
- An entry kernel runs its family's dispatch and then, if the request
  changed the data set while the propagation stream is on, puts its effect
  in the stream (`changed`, then commands/propagate.py or the family's own
  rewrite rules); everything before (arity, auth, eviction, the stream's
  room) was done by the batch.
- It returns X_DONE, X_DEFER or X_SLOW, like a handler.
- It never raises: an exception cannot cross the C call (Numba would print
  it and return 0).
"""
from numba import types

from mako_numba.base.jit import addr_of, i64view, i64view2, kernel, u8view
from mako_numba.base.layout import (
    B_FRAME, B_NOW_MS, C_DB, H_BM, H_CMDT, H_CONN, H_LIM, H_LITS, H_NFIELDS, H_Q, H_STATS,
    Q_ARG0, Q_ARGC, Q_CMD, Q_CONN, T_DIRTY, T_PROP_HELD,
)
from mako_numba.commands.respond import X_DONE
from mako_numba.store.effects import propagating
from mako_numba.store.table import db_of

ENTRY_ARGS = (types.int64, types.int64)        # run(h, k): the entry kernels' one signature


def write_frame(bm, T, args):
    """Where the key space's arrays and the argument rows are, for the batch and the entry
    kernels: Python writes it before a batch whenever either was replaced (Core.run)."""
    for i, a in enumerate((*T, args)):
        bm[B_FRAME + 3 * i] = addr_of(a)
        bm[B_FRAME + 3 * i + 1] = a.shape[0]
        bm[B_FRAME + 3 * i + 2] = a.shape[-1]


@kernel(inline=True)
def _v1(bm, i):
    return i64view(bm[B_FRAME + 3 * i], bm[B_FRAME + 3 * i + 1])


@kernel(inline=True)
def _v2(bm, i):
    return i64view2(bm[B_FRAME + 3 * i], bm[B_FRAME + 3 * i + 1], bm[B_FRAME + 3 * i + 2])


@kernel(inline=True)
def frame_arrays(bm):
    """(T, args): the key space's six arrays and the argument rows, from the frame."""
    T = (_v1(bm, 0), _v1(bm, 1), _v1(bm, 2), _v2(bm, 3), _v1(bm, 4), _v2(bm, 5))
    return T, _v2(bm, 6)


@kernel(inline=True)
def key_space(haddr):
    """(T, lim) of the batch that made this call (its frame), from its handle array's address."""
    h = i64view(haddr, H_NFIELDS)
    T, _ = frame_arrays(i64view(h[H_BM], h[H_BM + 1]))
    return T, i64view(h[H_LIM], h[H_LIM + 1])


@kernel(inline=True)
def tables(h):
    """The command table's seven arrays and the literal replies' two, from the handle array."""
    t = H_CMDT
    cmdt = (u8view(h[t], h[t + 1]), i64view(h[t + 3], h[t + 4]), i64view(h[t + 6], h[t + 7]),
            i64view(h[t + 9], h[t + 10]), i64view(h[t + 12], h[t + 13]),
            i64view(h[t + 15], h[t + 16]), i64view(h[t + 18], h[t + 19]))
    lits = (u8view(h[H_LITS], h[H_LITS + 1]), i64view(h[H_LITS + 3], h[H_LITS + 4]))
    return cmdt, lits


@kernel(inline=True)
def request(haddr, k):
    """Row k's context: (o, K, R, args, a0, argc, ci, cmdt, stats, bm, q).

    K = (T, lim, db, now) and R = (conn, c, lim, lits) as commands/family.py
    describes them; `bm` has the clock (B_NOW_US), q[k, Q_HASH] the first
    key's hash, for the families that use them.
    """
    h = i64view(haddr, H_NFIELDS)
    bm = i64view(h[H_BM], h[H_BM + 1])
    lim = i64view(h[H_LIM], h[H_LIM + 1])
    conn = i64view2(h[H_CONN], h[H_CONN + 1], h[H_CONN + 2])
    q = i64view2(h[H_Q], h[H_Q + 1], h[H_Q + 2])
    cmdt, lits = tables(h)
    stats = i64view(h[H_STATS], h[H_STATS + 1])
    T, args = frame_arrays(bm)
    c = q[k, Q_CONN]
    ci = q[k, Q_CMD]
    K = (T, lim, db_of(T, conn[c, C_DB]), bm[B_NOW_MS])
    R = (conn, c, lim, lits)
    return cmdt[4][ci], K, R, args, q[k, Q_ARG0], q[k, Q_ARGC], ci, cmdt, stats, bm, q


@kernel(inline=True)
def dirty(K):
    """The data set's change counter before the request (for `changed`)."""
    return K[0][0][T_DIRTY]


@kernel(inline=True)
def changed(K, st, d0):
    """Did the request run and change the data set while the stream is on?  Then its effect is due."""
    tm = K[0][0]
    if st == X_DONE and tm[T_DIRTY] != d0 and propagating(tm):
        tm[T_PROP_HELD] = 0
        return True
    return False
