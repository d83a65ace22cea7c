"""The sorted-set family's entry kernel (commands/frame.py): its dispatch, then its effect as
sent, except ZMPOP's and the blocking pops', which write their own (ZPOPMIN or ZPOPMAX key
[count])."""
from mako_numba.base.jit import kernel
from mako_numba.commands.frame import changed, dirty, request
from mako_numba.commands.propagate import as_sent
from mako_numba.commands.zset.family import OP_BZMPOP, OP_BZPOPMAX, OP_BZPOPMIN, OP_ZMPOP, dispatch


@kernel(entry=True)
def run(h, k):
    """Run queue row k (h: the batch's handle array); X_DONE, X_DEFER or X_SLOW."""
    o, K, R, args, a0, argc, ci, cmdt, stats, bm, q = request(h, k)
    d0 = dirty(K)
    st = dispatch(o, K, R, args, a0, argc, ci, cmdt, stats)
    if changed(K, st, d0) and o != OP_ZMPOP and o != OP_BZPOPMIN and o != OP_BZPOPMAX and o != OP_BZMPOP:
        as_sent(K, R, args, a0, argc)
    return st
