"""The hash family's declaration: its commands and its kernel dispatch (kernels.py).

Hashes live in the key space as blobs (store/types/blob.py); the commands
are Redis 7.0's t_hash.c.  See commands/family.py for what a family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.family import CF_FAST, CF_READONLY, CF_WRITE, family_literal, op_numbers
from mako_numba.commands.hash.kernels import (
    HSET_COUNT, HSET_NX, HSET_OK, WANT_FIELDS, WANT_VALUES, hset_generic, x_hdel, x_hget,
    x_hgetall, x_hincrby, x_hlen_like, x_hmget,
)
from mako_numba.commands.respond import X_SLOW
from mako_numba.protocol.parsebase import OP_SLOW
from mako_numba.protocol.errors import HASH_NOT_INTEGER, OUT_OF_RANGE, SRANDMEMBER_RANGE
from mako_numba.commands.collscan import x_collscan
from mako_numba.store.types import OBJ_HASH
from mako_numba.commands.hash.random import withvalues_arg, x_hrandfield

NAME = "hash"
ID = 8
_op = op_numbers(ID)
OP_HSET = _op()
OP_HSETNX = _op()
OP_HMSET = _op()
OP_HGET = _op()
OP_HMGET = _op()
OP_HDEL = _op()
OP_HLEN = _op()
OP_HSTRLEN = _op()
OP_HEXISTS = _op()
OP_HKEYS = _op()
OP_HVALS = _op()
OP_HGETALL = _op()
OP_HINCRBY = _op()
OP_HRANDFIELD = _op()
OP_HSCAN = _op()

LIT_HASH_NOT_INT = family_literal(ID, 0)
LIT_RAND_RANGE = family_literal(ID, 1)
LIT_OUT_OF_RANGE = family_literal(ID, 2)
LITERALS = [
    ("LIT_HASH_NOT_INT", LIT_HASH_NOT_INT, ("-" + HASH_NOT_INTEGER + "\r\n").encode()),
    ("LIT_RAND_RANGE", LIT_RAND_RANGE, ("-" + SRANDMEMBER_RANGE + "\r\n").encode()),
    ("LIT_OUT_OF_RANGE", LIT_OUT_OF_RANGE, ("-" + OUT_OF_RANGE + "\r\n").encode()),
]

#        name           arity  op              flags
ROWS = [
    ("hset",            -4,    OP_HSET,        CF_WRITE | CF_FAST),
    ("hsetnx",          4,     OP_HSETNX,      CF_WRITE | CF_FAST),
    ("hmset",           -4,    OP_HMSET,       CF_WRITE | CF_FAST),
    ("hget",            3,     OP_HGET,        CF_READONLY | CF_FAST),
    ("hmget",           -3,    OP_HMGET,       CF_READONLY | CF_FAST),
    ("hdel",            -3,    OP_HDEL,        CF_WRITE | CF_FAST),
    ("hlen",            2,     OP_HLEN,        CF_READONLY | CF_FAST),
    ("hstrlen",         3,     OP_HSTRLEN,     CF_READONLY | CF_FAST),
    ("hexists",         3,     OP_HEXISTS,     CF_READONLY | CF_FAST),
    ("hkeys",           2,     OP_HKEYS,       CF_READONLY),
    ("hvals",           2,     OP_HVALS,       CF_READONLY),
    ("hgetall",         2,     OP_HGETALL,     CF_READONLY),
    ("hincrby",         4,     OP_HINCRBY,     CF_WRITE | CF_FAST),
    ("hincrbyfloat",    4,     OP_SLOW,        CF_WRITE | CF_FAST),
    ("hrandfield",      -2,    OP_HRANDFIELD,  CF_READONLY),
    ("hscan",           -3,    OP_HSCAN,       CF_READONLY),
]


@kernel(inline=True)
def dispatch(o, K, R, args, a0, argc, ci, cmdt, stats):
    """Run hash op `o`; X_DONE, X_DEFER or X_SLOW."""
    if o == OP_HGET:
        return x_hget(K, R, args, a0, stats)
    if o == OP_HSET:
        return hset_generic(K, R, args, a0, argc, ci, cmdt, HSET_COUNT)
    if o == OP_HMSET:
        return hset_generic(K, R, args, a0, argc, ci, cmdt, HSET_OK)
    if o == OP_HSETNX:
        return hset_generic(K, R, args, a0, argc, ci, cmdt, HSET_NX)
    if o == OP_HMGET:
        return x_hmget(K, R, args, a0, argc, stats)
    if o == OP_HDEL:
        return x_hdel(K, R, args, a0, argc)
    if o == OP_HLEN:
        return x_hlen_like(K, R, args, a0, stats, 0)
    if o == OP_HSTRLEN:
        return x_hlen_like(K, R, args, a0, stats, 1)
    if o == OP_HEXISTS:
        return x_hlen_like(K, R, args, a0, stats, 2)
    if o == OP_HKEYS:
        return x_hgetall(K, R, args, a0, stats, WANT_FIELDS)
    if o == OP_HVALS:
        return x_hgetall(K, R, args, a0, stats, WANT_VALUES)
    if o == OP_HGETALL:
        return x_hgetall(K, R, args, a0, stats, WANT_FIELDS | WANT_VALUES)
    if o == OP_HINCRBY:
        return x_hincrby(K, R, args, a0, LIT_HASH_NOT_INT)
    if o == OP_HSCAN:
        return x_collscan(K, R, args, a0, argc, stats, OBJ_HASH, True)
    if o == OP_HRANDFIELD:
        wv = withvalues_arg(args, a0 + 3) if argc == 4 else 0
        return x_hrandfield(K, R, args, a0, argc, stats, LIT_RAND_RANGE, LIT_OUT_OF_RANGE, wv)
    return X_SLOW


def slow_handlers(admin):
    """HINCRBYFLOAT runs on the slow path (slow.py): C long double arithmetic."""
    return {"hincrbyfloat": admin.hincrbyfloat}


def subcommands(admin):
    return {}
