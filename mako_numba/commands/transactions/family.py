"""The transactions family's declaration: MULTI runs in the kernel; EXEC, DISCARD, WATCH and
UNWATCH on the slow path (slow.py); queuing is dispatch.queue_request's.

See commands/family.py for what a family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_FLAGS, C_TX_N, F_MULTI, F_TX_DENYOOM, F_TX_DIRTY
from mako_numba.commands.family import CF_FAST, CF_NO_QUEUE, family_literal, op_numbers
from mako_numba.protocol.parsebase import OP_SLOW
from mako_numba.commands.respond import X_DONE, X_SLOW, reply_lit
from mako_numba.protocol.errors import LIT_OK, MULTI_NESTED

NAME = "transactions"
ID = 5
_op = op_numbers(ID)
OP_MULTI = _op()

LIT_MULTI_NESTED = family_literal(ID, 0)
LITERALS = [
    ("LIT_MULTI_NESTED", LIT_MULTI_NESTED, ("-" + MULTI_NESTED + "\r\n").encode()),
]

#        name           arity  op              flags
ROWS = [
    ("multi",           1,     OP_MULTI,       CF_FAST | CF_NO_QUEUE),
    ("exec",            1,     OP_SLOW,        CF_NO_QUEUE),
    ("discard",         1,     OP_SLOW,        CF_FAST | CF_NO_QUEUE),
    ("watch",           -2,    OP_SLOW,        CF_FAST | CF_NO_QUEUE),
    ("unwatch",         1,     OP_SLOW,        CF_FAST),
]


@kernel(inline=True)
def dispatch(o, R):
    """MULTI: opens a transaction (F_MULTI), or refuses a nested one."""
    conn, c, lim, lits = R
    if o == OP_MULTI:
        if conn[c, C_FLAGS] & F_MULTI:
            st = reply_lit(conn, c, lim, lits, LIT_MULTI_NESTED)
        else:
            st = reply_lit(conn, c, lim, lits, LIT_OK)
        if st == X_DONE and not conn[c, C_FLAGS] & F_MULTI:
            conn[c, C_FLAGS] = (conn[c, C_FLAGS] | F_MULTI) & ~(F_TX_DIRTY | F_TX_DENYOOM)
            conn[c, C_TX_N] = 0
        return st
    return X_SLOW


def slow_handlers(admin):
    return {"exec": admin.exec_, "discard": admin.discard, "watch": admin.watch,
            "unwatch": admin.unwatch}


def subcommands(admin):
    return {}
