"""The list family's entry kernel (commands/frame.py): its dispatch, then its effect as sent,
except LMPOP's and the blocking commands', which they write themselves (OWN_EFFECT_FIRST on)."""
from mako_numba.base.jit import kernel
from mako_numba.commands.frame import changed, dirty, request
from mako_numba.commands.list.family import OWN_EFFECT_FIRST, dispatch
from mako_numba.commands.propagate import as_sent


@kernel(entry=True)
def run(h, k):
    """Run queue row k (h: the batch's handle array); X_DONE, X_DEFER or X_SLOW."""
    o, K, R, args, a0, argc, ci, cmdt, stats, bm, q = request(h, k)
    d0 = dirty(K)
    st = dispatch(o, K, R, args, a0, argc, ci, cmdt, stats)
    if changed(K, st, d0) and o < OWN_EFFECT_FIRST:
        as_sent(K, R, args, a0, argc)
    return st
