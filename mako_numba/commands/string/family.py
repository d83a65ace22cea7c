"""The string family's declaration: its commands, its kernel dispatch, its slow-path handlers.

Kernels are in kernels.py and ranges.py, INCRBYFLOAT and LCS run on the slow
path (slow.py, lcs.py).  GET and SET are the first ops and the first branches:
execute() tries this family first, so they stay on the shortest path.
See commands/family.py for what a family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.family import CF_FAST, CF_READONLY, CF_STORES_ARG, CF_WRITE, op_numbers
from mako_numba.protocol.parsebase import OP_SLOW
from mako_numba.commands.respond import X_SLOW
from mako_numba.commands.string.kernels import (
    SET_EX, SET_GET, SET_NX, SET_PX, incr_generic, set_generic, x_get, x_getdel, x_getex,
    x_incrby, x_mget, x_mset, x_set,
)
from mako_numba.commands.string.ranges import x_append, x_getrange, x_setrange, x_strlen

NAME = "string"
ID = 1
_op = op_numbers(ID)
OP_GET = _op()
OP_SET = _op()
OP_SETNX = _op()
OP_SETEX = _op()
OP_PSETEX = _op()
OP_GETSET = _op()
OP_GETDEL = _op()
OP_GETEX = _op()
OP_MGET = _op()
OP_MSET = _op()
OP_MSETNX = _op()
OP_APPEND = _op()
OP_STRLEN = _op()
OP_INCR = _op()
OP_DECR = _op()
OP_INCRBY = _op()
OP_DECRBY = _op()
OP_GETRANGE = _op()
OP_SETRANGE = _op()

#        name           arity  op              flags
ROWS = [
    ("get",             2,     OP_GET,         CF_READONLY | CF_FAST),
    ("set",             -3,    OP_SET,         CF_WRITE | CF_STORES_ARG),
    ("setnx",           3,     OP_SETNX,       CF_WRITE | CF_FAST | CF_STORES_ARG),
    ("setex",           4,     OP_SETEX,       CF_WRITE | CF_STORES_ARG),
    ("psetex",          4,     OP_PSETEX,      CF_WRITE | CF_STORES_ARG),
    ("getset",          3,     OP_GETSET,      CF_WRITE | CF_FAST | CF_STORES_ARG),
    ("getdel",          2,     OP_GETDEL,      CF_WRITE | CF_FAST),
    ("getex",           -2,    OP_GETEX,       CF_WRITE | CF_FAST),
    ("mget",            -2,    OP_MGET,        CF_READONLY | CF_FAST),
    ("mset",            -3,    OP_MSET,        CF_WRITE | CF_STORES_ARG),
    ("msetnx",          -3,    OP_MSETNX,      CF_WRITE | CF_STORES_ARG),
    ("append",          3,     OP_APPEND,      CF_WRITE | CF_STORES_ARG),
    ("strlen",          2,     OP_STRLEN,      CF_READONLY | CF_FAST),
    ("incr",            2,     OP_INCR,        CF_WRITE | CF_FAST),
    ("decr",            2,     OP_DECR,        CF_WRITE | CF_FAST),
    ("incrby",          3,     OP_INCRBY,      CF_WRITE | CF_FAST),
    ("decrby",          3,     OP_DECRBY,      CF_WRITE | CF_FAST),
    ("getrange",        4,     OP_GETRANGE,    CF_READONLY),
    ("substr",          4,     OP_GETRANGE,    CF_READONLY),
    ("setrange",        4,     OP_SETRANGE,    CF_WRITE),
    ("incrbyfloat",     3,     OP_SLOW,        CF_WRITE | CF_FAST),
    ("lcs",             -3,    OP_SLOW,        CF_READONLY),
]

LITERALS = []


@kernel(inline=True)
def dispatch(o, K, R, args, a0, argc, ci, cmdt, stats, hsh):
    """Run string op `o`; X_DONE, X_DEFER or X_SLOW.  hsh: the key's hash (GET, SET) or 0."""
    if o == OP_GET:
        return x_get(K, R, args, a0, stats, hsh)
    if o == OP_SET:
        return x_set(K, R, args, a0, argc, ci, cmdt, stats, hsh)
    if o == OP_SETNX:
        return set_generic(K, R, args, a0, ci, cmdt, stats, SET_NX, 0, 2, True)
    if o == OP_SETEX:
        return set_generic(K, R, args, a0, ci, cmdt, stats, SET_EX, 2, 3, False)
    if o == OP_PSETEX:
        return set_generic(K, R, args, a0, ci, cmdt, stats, SET_PX, 2, 3, False)
    if o == OP_GETSET:
        return set_generic(K, R, args, a0, ci, cmdt, stats, SET_GET, 0, 2, False)
    if o == OP_GETDEL:
        return x_getdel(K, R, args, a0, stats)
    if o == OP_GETEX:
        return x_getex(K, R, args, a0, argc, ci, cmdt, stats)
    if o == OP_MGET:
        return x_mget(K, R, args, a0, argc, stats)
    if o == OP_MSET or o == OP_MSETNX:
        return x_mset(K, R, args, a0, argc, ci, cmdt, o == OP_MSETNX)
    if o == OP_APPEND:
        return x_append(K, R, args, a0)
    if o == OP_STRLEN:
        return x_strlen(K, R, args, a0, stats)
    if o == OP_INCR or o == OP_DECR:
        return incr_generic(K, R, args, a0, 1 if o == OP_INCR else -1)
    if o == OP_INCRBY or o == OP_DECRBY:
        return x_incrby(K, R, args, a0, 1 if o == OP_INCRBY else -1)
    if o == OP_GETRANGE:
        return x_getrange(K, R, args, a0, stats)
    if o == OP_SETRANGE:
        return x_setrange(K, R, args, a0)
    return X_SLOW


def slow_handlers(admin):
    """The slow-path handlers of its OP_SLOW rows (slow.py)."""
    return {"incrbyfloat": admin.incrbyfloat, "lcs": admin.lcs}


def subcommands(admin):
    return {}
