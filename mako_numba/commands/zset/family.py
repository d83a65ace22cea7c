"""The sorted-set family's declaration: its commands and its kernel dispatch.

Sorted sets live in the key space as one value each, a listpack or a
skiplist with its member index (store/types/zsetval.py); the commands are
Redis 7.0's t_zset.c: one key (kernels.py), ranges (ranges.py), several keys
(multi.py), random members (random.py), ZSCAN (scan.py).  BZPOPMIN,
BZPOPMAX and BZMPOP are blocking.py's.  See
commands/family.py for what a family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.family import CF_FAST, CF_READONLY, CF_WRITE, family_literal, op_numbers
from mako_numba.commands.respond import X_SLOW
from mako_numba.commands.zset import common as zc
from mako_numba.commands.zset.kernels import (
    ZADD_INCR, x_zadd, x_zcard, x_zcount, x_zmpop, x_zmscore, x_zpop, x_zrank, x_zrem, x_zscore,
)
from mako_numba.commands.zset.blocking import x_bzmpop, x_bzpop
from mako_numba.commands.zset.multi import SETOP_DIFF, SETOP_INTER, SETOP_UNION, x_zsetop
from mako_numba.commands.zset.random import x_zrandmember
from mako_numba.commands.zset.ranges import (
    DIR_AUTO, DIR_FWD, DIR_REV, RT_AUTO, RT_LEX, RT_RANK, RT_SCORE, x_zrange, x_zremrange,
)
from mako_numba.commands.zset.scan import x_zscan
from mako_numba.protocol import errors

NAME = "zset"
ID = 11
_op = op_numbers(ID)
OP_ZADD = _op()
OP_ZINCRBY = _op()
OP_ZREM = _op()
OP_ZCARD = _op()
OP_ZSCORE = _op()
OP_ZMSCORE = _op()
OP_ZRANK = _op()
OP_ZREVRANK = _op()
OP_ZCOUNT = _op()
OP_ZLEXCOUNT = _op()
OP_ZRANGE = _op()
OP_ZRANGESTORE = _op()
OP_ZREVRANGE = _op()
OP_ZRANGEBYSCORE = _op()
OP_ZREVRANGEBYSCORE = _op()
OP_ZRANGEBYLEX = _op()
OP_ZREVRANGEBYLEX = _op()
OP_ZREMRANGEBYRANK = _op()
OP_ZREMRANGEBYSCORE = _op()
OP_ZREMRANGEBYLEX = _op()
OP_ZPOPMIN = _op()
OP_ZPOPMAX = _op()
OP_ZMPOP = _op()
OP_ZUNION = _op()
OP_ZINTER = _op()
OP_ZDIFF = _op()
OP_ZUNIONSTORE = _op()
OP_ZINTERSTORE = _op()
OP_ZDIFFSTORE = _op()
OP_ZINTERCARD = _op()
OP_ZRANDMEMBER = _op()
OP_ZSCAN = _op()
OP_BZPOPMIN = _op()
OP_BZPOPMAX = _op()
OP_BZMPOP = _op()

# the kernels take the first literal's id (LIT0) and add their offsets (common.LIT_*)
LIT0 = family_literal(ID, 0)
LIT_ZADD_NAN = LIT0 + zc.LIT_NAN
LIT_ZADD_XX_NX = LIT0 + zc.LIT_XX_NX
LIT_ZADD_GT_LT_NX = LIT0 + zc.LIT_GT_LT_NX
LIT_ZADD_INCR_PAIR = LIT0 + zc.LIT_INCR_PAIR
LIT_MINMAX_FLOAT = LIT0 + zc.LIT_MINMAX_FLOAT
LIT_MINMAX_LEX = LIT0 + zc.LIT_MINMAX_LEX
LIT_LIMIT_RANK = LIT0 + zc.LIT_LIMIT_RANK
LIT_WITHSCORES_LEX = LIT0 + zc.LIT_WITHSCORES_LEX
LIT_WEIGHT_FLOAT = LIT0 + zc.LIT_WEIGHT_FLOAT
LIT_AT_LEAST_PRE = LIT0 + zc.LIT_AT_LEAST_PRE
LIT_ZPOP_POSITIVE = LIT0 + zc.LIT_MUST_POSITIVE
LIT_LIMIT_NEG = LIT0 + zc.LIT_LIMIT_NEG
LIT_ZMPOP_NUMKEYS = LIT0 + zc.LIT_NUMKEYS
LIT_ZMPOP_COUNT = LIT0 + zc.LIT_COUNT_POS
LIT_ZRAND_RANGE = LIT0 + zc.LIT_RAND_RANGE
LIT_ZRAND_OUT_OF_RANGE = LIT0 + zc.LIT_OUT_OF_RANGE


def _err(text):
    return ("-" + text + "\r\n").encode()


LITERALS = [
    ("LIT_ZADD_NAN", LIT_ZADD_NAN, _err(errors.ZADD_NAN)),
    ("LIT_ZADD_XX_NX", LIT_ZADD_XX_NX, _err(errors.ZADD_XX_NX)),
    ("LIT_ZADD_GT_LT_NX", LIT_ZADD_GT_LT_NX, _err(errors.ZADD_GT_LT_NX)),
    ("LIT_ZADD_INCR_PAIR", LIT_ZADD_INCR_PAIR, _err(errors.ZADD_INCR_PAIR)),
    ("LIT_MINMAX_FLOAT", LIT_MINMAX_FLOAT, _err(errors.MINMAX_NOT_FLOAT)),
    ("LIT_MINMAX_LEX", LIT_MINMAX_LEX, _err(errors.MINMAX_NOT_LEX)),
    ("LIT_LIMIT_RANK", LIT_LIMIT_RANK, _err(errors.ZRANGE_LIMIT_RANK)),
    ("LIT_WITHSCORES_LEX", LIT_WITHSCORES_LEX, _err(errors.ZRANGE_WITHSCORES_LEX)),
    ("LIT_WEIGHT_FLOAT", LIT_WEIGHT_FLOAT, _err(errors.WEIGHT_NOT_FLOAT)),
    ("LIT_AT_LEAST_PRE", LIT_AT_LEAST_PRE, b"-ERR at least 1 input key is needed for '"),
    ("LIT_ZPOP_POSITIVE", LIT_ZPOP_POSITIVE, _err(errors.MUST_BE_POSITIVE)),
    ("LIT_LIMIT_NEG", LIT_LIMIT_NEG, _err(errors.LIMIT_NEGATIVE)),
    ("LIT_ZMPOP_NUMKEYS", LIT_ZMPOP_NUMKEYS, _err(errors.NUMKEYS_POSITIVE)),
    ("LIT_ZMPOP_COUNT", LIT_ZMPOP_COUNT, _err(errors.COUNT_POSITIVE)),
    ("LIT_ZRAND_RANGE", LIT_ZRAND_RANGE, _err(errors.SRANDMEMBER_RANGE)),
    ("LIT_ZRAND_OUT_OF_RANGE", LIT_ZRAND_OUT_OF_RANGE, _err(errors.OUT_OF_RANGE)),
]

#        name                arity  op                    flags
ROWS = [
    ("zadd",                 -4,    OP_ZADD,              CF_WRITE | CF_FAST),
    ("zincrby",              4,     OP_ZINCRBY,           CF_WRITE | CF_FAST),
    ("zrem",                 -3,    OP_ZREM,              CF_WRITE | CF_FAST),
    ("zcard",                2,     OP_ZCARD,             CF_READONLY | CF_FAST),
    ("zscore",               3,     OP_ZSCORE,            CF_READONLY | CF_FAST),
    ("zmscore",              -3,    OP_ZMSCORE,           CF_READONLY | CF_FAST),
    ("zrank",                3,     OP_ZRANK,             CF_READONLY | CF_FAST),
    ("zrevrank",             3,     OP_ZREVRANK,          CF_READONLY | CF_FAST),
    ("zcount",               4,     OP_ZCOUNT,            CF_READONLY | CF_FAST),
    ("zlexcount",            4,     OP_ZLEXCOUNT,         CF_READONLY | CF_FAST),
    ("zrange",               -4,    OP_ZRANGE,            CF_READONLY),
    ("zrangestore",          -5,    OP_ZRANGESTORE,       CF_WRITE),
    ("zrevrange",            -4,    OP_ZREVRANGE,         CF_READONLY),
    ("zrangebyscore",        -4,    OP_ZRANGEBYSCORE,     CF_READONLY),
    ("zrevrangebyscore",     -4,    OP_ZREVRANGEBYSCORE,  CF_READONLY),
    ("zrangebylex",          -4,    OP_ZRANGEBYLEX,       CF_READONLY),
    ("zrevrangebylex",       -4,    OP_ZREVRANGEBYLEX,    CF_READONLY),
    ("zremrangebyrank",      4,     OP_ZREMRANGEBYRANK,   CF_WRITE),
    ("zremrangebyscore",     4,     OP_ZREMRANGEBYSCORE,  CF_WRITE),
    ("zremrangebylex",       4,     OP_ZREMRANGEBYLEX,    CF_WRITE),
    ("zpopmin",              -2,    OP_ZPOPMIN,           CF_WRITE | CF_FAST),
    ("zpopmax",              -2,    OP_ZPOPMAX,           CF_WRITE | CF_FAST),
    ("zmpop",                -4,    OP_ZMPOP,             CF_WRITE),
    ("zunion",               -3,    OP_ZUNION,            CF_READONLY),
    ("zinter",               -3,    OP_ZINTER,            CF_READONLY),
    ("zdiff",                -3,    OP_ZDIFF,             CF_READONLY),
    ("zunionstore",          -4,    OP_ZUNIONSTORE,       CF_WRITE),
    ("zinterstore",          -4,    OP_ZINTERSTORE,       CF_WRITE),
    ("zdiffstore",           -4,    OP_ZDIFFSTORE,        CF_WRITE),
    ("zintercard",           -3,    OP_ZINTERCARD,        CF_READONLY),
    ("zrandmember",          -2,    OP_ZRANDMEMBER,       CF_READONLY),
    ("zscan",                -3,    OP_ZSCAN,             CF_READONLY),
    ("bzpopmin",             -3,    OP_BZPOPMIN,          CF_WRITE | CF_FAST),
    ("bzpopmax",             -3,    OP_BZPOPMAX,          CF_WRITE | CF_FAST),
    ("bzmpop",               -5,    OP_BZMPOP,            CF_WRITE),
]


@kernel(inline=True)
def dispatch(o, K, R, args, a0, argc, ci, cmdt, stats):
    """Run sorted-set op `o`; X_DONE, X_DEFER or X_SLOW."""
    if o == OP_ZADD:
        return x_zadd(K, R, args, a0, argc, 0, LIT0)
    if o == OP_ZSCORE:
        return x_zscore(K, R, args, a0, stats)
    if o == OP_ZRANGE or o == OP_ZRANGESTORE:
        return x_zrange(K, R, args, a0, argc, stats, o == OP_ZRANGESTORE, RT_AUTO, DIR_AUTO, LIT0)
    if o == OP_ZREVRANGE:
        return x_zrange(K, R, args, a0, argc, stats, False, RT_RANK, DIR_REV, LIT0)
    if o == OP_ZRANGEBYSCORE or o == OP_ZREVRANGEBYSCORE:
        return x_zrange(K, R, args, a0, argc, stats, False, RT_SCORE,
                        DIR_REV if o == OP_ZREVRANGEBYSCORE else DIR_FWD, LIT0)
    if o == OP_ZRANGEBYLEX or o == OP_ZREVRANGEBYLEX:
        return x_zrange(K, R, args, a0, argc, stats, False, RT_LEX,
                        DIR_REV if o == OP_ZREVRANGEBYLEX else DIR_FWD, LIT0)
    if o == OP_ZINCRBY:
        return x_zadd(K, R, args, a0, argc, ZADD_INCR, LIT0)
    if o == OP_ZREM:
        return x_zrem(K, R, args, a0, argc)
    if o == OP_ZCARD:
        return x_zcard(K, R, args, a0, stats)
    if o == OP_ZMSCORE:
        return x_zmscore(K, R, args, a0, argc, stats)
    if o == OP_ZRANK or o == OP_ZREVRANK:
        return x_zrank(K, R, args, a0, stats, o == OP_ZREVRANK)
    if o == OP_ZCOUNT or o == OP_ZLEXCOUNT:
        return x_zcount(K, R, args, a0, stats, o == OP_ZLEXCOUNT, LIT0)
    if o == OP_ZREMRANGEBYRANK:
        return x_zremrange(K, R, args, a0, RT_RANK, LIT0)
    if o == OP_ZREMRANGEBYSCORE:
        return x_zremrange(K, R, args, a0, RT_SCORE, LIT0)
    if o == OP_ZREMRANGEBYLEX:
        return x_zremrange(K, R, args, a0, RT_LEX, LIT0)
    if o == OP_ZPOPMIN or o == OP_ZPOPMAX:
        return x_zpop(K, R, args, a0, argc, o == OP_ZPOPMAX, LIT0)
    if o == OP_ZMPOP:
        return x_zmpop(K, R, args, a0, argc, LIT0)
    if o == OP_BZPOPMIN or o == OP_BZPOPMAX:
        return x_bzpop(K, R, args, a0, argc, o == OP_BZPOPMAX)
    if o == OP_BZMPOP:
        return x_bzmpop(K, R, args, a0, argc, LIT0)
    if o == OP_ZUNION:
        return x_zsetop(K, R, args, a0, argc, ci, cmdt, stats, SETOP_UNION, False, False, LIT0)
    if o == OP_ZINTER:
        return x_zsetop(K, R, args, a0, argc, ci, cmdt, stats, SETOP_INTER, False, False, LIT0)
    if o == OP_ZDIFF:
        return x_zsetop(K, R, args, a0, argc, ci, cmdt, stats, SETOP_DIFF, False, False, LIT0)
    if o == OP_ZUNIONSTORE:
        return x_zsetop(K, R, args, a0, argc, ci, cmdt, stats, SETOP_UNION, True, False, LIT0)
    if o == OP_ZINTERSTORE:
        return x_zsetop(K, R, args, a0, argc, ci, cmdt, stats, SETOP_INTER, True, False, LIT0)
    if o == OP_ZDIFFSTORE:
        return x_zsetop(K, R, args, a0, argc, ci, cmdt, stats, SETOP_DIFF, True, False, LIT0)
    if o == OP_ZINTERCARD:
        return x_zsetop(K, R, args, a0, argc, ci, cmdt, stats, SETOP_INTER, False, True, LIT0)
    if o == OP_ZRANDMEMBER:
        return x_zrandmember(K, R, args, a0, argc, stats, LIT0)
    if o == OP_ZSCAN:
        return x_zscan(K, R, args, a0, argc, stats)
    return X_SLOW


def slow_handlers(admin):
    return {}


def subcommands(admin):
    return {}
