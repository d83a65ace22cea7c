"""The bit family's declaration (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT; kernels in bitops.py.

See commands/family.py for what a family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.bitops.kernels import x_bitcount, x_getbit, x_setbit
from mako_numba.commands.family import CF_FAST, CF_READONLY, CF_WRITE, op_numbers
from mako_numba.commands.respond import X_SLOW

NAME = "bitops"
ID = 2
_op = op_numbers(ID)
OP_SETBIT = _op()
OP_GETBIT = _op()
OP_BITCOUNT = _op()

#        name           arity  op              flags
ROWS = [
    ("setbit",          4,     OP_SETBIT,      CF_WRITE),
    ("getbit",          3,     OP_GETBIT,      CF_READONLY | CF_FAST),
    ("bitcount",        -2,    OP_BITCOUNT,    CF_READONLY),
]

LITERALS = []


@kernel(inline=True)
def dispatch(o, K, R, args, a0, argc, stats):
    """Run bit op `o`; X_DONE, X_DEFER or X_SLOW."""
    if o == OP_SETBIT:
        return x_setbit(K, R, args, a0)
    if o == OP_GETBIT:
        return x_getbit(K, R, args, a0, stats)
    if o == OP_BITCOUNT:
        return x_bitcount(K, R, args, a0, argc, stats)
    return X_SLOW


def slow_handlers(admin):
    return {}


def subcommands(admin):
    return {}
