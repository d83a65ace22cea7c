"""The blocking sorted-set pops (t_zset.c): BZPOPMIN, BZPOPMAX, BZMPOP.

Each tries its keys as ZPOPMIN/ZPOPMAX or ZMPOP would and, when none can
serve it, blocks (commands/blocking.py says how a block works); a timeout,
or a transaction, answers a null array.  They propagate as Redis rewrites
them: `ZPOPMIN key` for BZPOPMIN, `ZPOPMIN key count` for BZMPOP with the
count popped (blockingGenericZpopCommand and serveClientsBlockedOnSortedSetKey).
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.blocking import answered, block, cannot_block, retrying, timeout_or_reply
from mako_numba.commands.respond import X_DEFER
from mako_numba.commands.zset.kernels import zmpop_args, zpop_first


@kernel
def x_bzpop(K, R, args, a0, argc, top):
    """BZPOPMIN / BZPOPMAX key [key ...] timeout"""
    conn, c, rl, lits = R
    ok, ms, st = timeout_or_reply(R, args, a0 + argc - 1)
    if not ok:
        return st
    served, st = zpop_first(K, R, args, a0 + 1, argc - 2, top, 1, True, retrying(conn, c))
    if served:
        if st != X_DEFER:
            answered(conn, c)
        return st
    done, st = cannot_block(R, True)
    if done:
        return st
    return block(conn, c, a0 + 1, argc - 2, ms)


@kernel
def x_bzmpop(K, R, args, a0, argc, lit0):
    """BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]"""
    conn, c, rl, lits = R
    ok, numkeys, top, count, st = zmpop_args(R, args, a0, argc, 2, lit0)
    if not ok:
        return st
    ok, ms, st = timeout_or_reply(R, args, a0 + 1)
    if not ok:
        return st
    served, st = zpop_first(K, R, args, a0 + 3, numkeys, top, count, False, retrying(conn, c))
    if served:
        if st != X_DEFER:
            answered(conn, c)
        return st
    done, st = cannot_block(R, True)
    if done:
        return st
    return block(conn, c, a0 + 3, numkeys, ms)
