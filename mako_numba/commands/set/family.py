"""The set family's declaration: its commands and its kernel dispatch.

Sets live in the key space as intsets or table blobs (store/types/intset.py,
blob.py); the commands are Redis 7.0's t_set.c: one set (kernels.py), several
(multi.py), random members (random.py).  See commands/family.py for what a
family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.family import CF_FAST, CF_READONLY, CF_WRITE, family_literal, op_numbers
from mako_numba.commands.collscan import x_collscan
from mako_numba.commands.respond import X_SLOW, reply_lit
from mako_numba.store.types import OBJ_SET
from mako_numba.commands.set.kernels import (
    sintercard_args, x_sadd, x_scard_like, x_smembers, x_smismember, x_smove, x_srem,
)
from mako_numba.commands.set.multi import SETOP_DIFF, SETOP_INTER, SETOP_UNION, x_setop, x_sinter
from mako_numba.commands.set.random import x_spop, x_srandmember
from mako_numba.protocol.errors import (
    LIT_SYNTAX, LIMIT_NEGATIVE, MUST_BE_POSITIVE, NUMKEYS_POSITIVE, NUMKEYS_TOO_MANY, SRANDMEMBER_RANGE,
)

NAME = "set"
ID = 9
_op = op_numbers(ID)
OP_SADD = _op()
OP_SREM = _op()
OP_SCARD = _op()
OP_SISMEMBER = _op()
OP_SMISMEMBER = _op()
OP_SMEMBERS = _op()
OP_SRANDMEMBER = _op()
OP_SPOP = _op()
OP_SMOVE = _op()
OP_SINTER = _op()
OP_SINTERCARD = _op()
OP_SINTERSTORE = _op()
OP_SUNION = _op()
OP_SUNIONSTORE = _op()
OP_SDIFF = _op()
OP_SDIFFSTORE = _op()
OP_SSCAN = _op()

LIT_POSITIVE = family_literal(ID, 0)
LIT_NUMKEYS = family_literal(ID, 1)
LIT_TOO_MANY = family_literal(ID, 2)
LIT_LIMIT = family_literal(ID, 3)
LIT_RAND_RANGE = family_literal(ID, 4)
LITERALS = [
    ("LIT_POSITIVE", LIT_POSITIVE, ("-" + MUST_BE_POSITIVE + "\r\n").encode()),
    ("LIT_NUMKEYS", LIT_NUMKEYS, ("-" + NUMKEYS_POSITIVE + "\r\n").encode()),
    ("LIT_TOO_MANY", LIT_TOO_MANY, ("-" + NUMKEYS_TOO_MANY + "\r\n").encode()),
    ("LIT_LIMIT", LIT_LIMIT, ("-" + LIMIT_NEGATIVE + "\r\n").encode()),
    ("LIT_RAND_RANGE", LIT_RAND_RANGE, ("-" + SRANDMEMBER_RANGE + "\r\n").encode()),
]

#        name           arity  op              flags
ROWS = [
    ("sadd",            -3,    OP_SADD,        CF_WRITE | CF_FAST),
    ("srem",            -3,    OP_SREM,        CF_WRITE | CF_FAST),
    ("scard",           2,     OP_SCARD,       CF_READONLY | CF_FAST),
    ("sismember",       3,     OP_SISMEMBER,   CF_READONLY | CF_FAST),
    ("smismember",      -3,    OP_SMISMEMBER,  CF_READONLY | CF_FAST),
    ("smembers",        2,     OP_SMEMBERS,    CF_READONLY),
    ("srandmember",     -2,    OP_SRANDMEMBER, CF_READONLY),
    ("spop",            -2,    OP_SPOP,        CF_WRITE | CF_FAST),
    ("smove",           4,     OP_SMOVE,       CF_WRITE | CF_FAST),
    ("sinter",          -2,    OP_SINTER,      CF_READONLY),
    ("sintercard",      -3,    OP_SINTERCARD,  CF_READONLY),
    ("sinterstore",     -3,    OP_SINTERSTORE, CF_WRITE),
    ("sunion",          -2,    OP_SUNION,      CF_READONLY),
    ("sunionstore",     -3,    OP_SUNIONSTORE, CF_WRITE),
    ("sdiff",           -2,    OP_SDIFF,       CF_READONLY),
    ("sdiffstore",      -3,    OP_SDIFFSTORE,  CF_WRITE),
    ("sscan",           -3,    OP_SSCAN,       CF_READONLY),
]


@kernel(inline=True)
def dispatch(o, K, R, args, a0, argc, ci, cmdt, stats):
    """Run set op `o`; X_DONE, X_DEFER or X_SLOW."""
    if o == OP_SADD:
        return x_sadd(K, R, args, a0, argc)
    if o == OP_SISMEMBER:
        return x_scard_like(K, R, args, a0, stats, 1)
    if o == OP_SREM:
        return x_srem(K, R, args, a0, argc)
    if o == OP_SCARD:
        return x_scard_like(K, R, args, a0, stats, 0)
    if o == OP_SMISMEMBER:
        return x_smismember(K, R, args, a0, argc, stats)
    if o == OP_SMEMBERS:
        return x_smembers(K, R, args, a0, stats)
    if o == OP_SRANDMEMBER:
        if argc > 3:
            return _syntax(R)
        return x_srandmember(K, R, args, a0, argc, stats, LIT_RAND_RANGE)
    if o == OP_SPOP:
        if argc > 3:
            return _syntax(R)
        return x_spop(K, R, args, a0, argc, stats, LIT_POSITIVE)
    if o == OP_SMOVE:
        return x_smove(K, R, args, a0)
    if o == OP_SINTER:
        return x_sinter(K, R, args, a0, argc, stats, 0, False)
    if o == OP_SINTERCARD:
        numkeys, limit = sintercard_args(R, args, a0, argc, LIT_NUMKEYS, LIT_TOO_MANY, LIT_LIMIT)
        if numkeys < 0:
            return limit
        return x_sinter(K, R, args, a0 + 1, numkeys + 1, stats, limit, True)
    if o == OP_SINTERSTORE:
        return x_setop(K, R, args, a0, argc, stats, SETOP_INTER, True)
    if o == OP_SUNION:
        return x_setop(K, R, args, a0, argc, stats, SETOP_UNION, False)
    if o == OP_SUNIONSTORE:
        return x_setop(K, R, args, a0, argc, stats, SETOP_UNION, True)
    if o == OP_SDIFF:
        return x_setop(K, R, args, a0, argc, stats, SETOP_DIFF, False)
    if o == OP_SDIFFSTORE:
        return x_setop(K, R, args, a0, argc, stats, SETOP_DIFF, True)
    if o == OP_SSCAN:
        return x_collscan(K, R, args, a0, argc, stats, OBJ_SET, False)
    return X_SLOW


@kernel
def _syntax(R):
    conn, c, rl, lits = R
    return reply_lit(conn, c, rl, lits, LIT_SYNTAX)


def slow_handlers(admin):
    return {}


def subcommands(admin):
    return {}
