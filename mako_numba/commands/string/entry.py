"""The string family's entry kernel (commands/frame.py): its dispatch, then its own propagation rules (string/propagate.py)."""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import Q_HASH
from mako_numba.commands.frame import changed, dirty, request
from mako_numba.commands.string.family import dispatch
from mako_numba.commands.string.propagate import propagate


@kernel(entry=True)
def run(h, k):
    """Run queue row k (h: the batch's handle array); X_DONE, X_DEFER or X_SLOW."""
    o, K, R, args, a0, argc, ci, cmdt, stats, bm, q = request(h, k)
    d0 = dirty(K)
    st = dispatch(o, K, R, args, a0, argc, ci, cmdt, stats, q[k, Q_HASH])
    if changed(K, st, d0):
        propagate(o, K, R, args, a0, argc)
    return st
