"""The connection family's declaration: PING, ECHO and QUIT run in the kernel; AUTH (auth.py),
CLIENT (client.py), HELLO, SELECT and RESET (admin.py) on the slow path.

See commands/family.py for what a family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_FLAGS, F_CLOSE_AFTER
from mako_numba.commands.family import CF_FAST, CF_NO_QUEUE, family_literal, op_numbers
from mako_numba.protocol.parsebase import CF_LAST_PARSED, OP_SLOW
from mako_numba.commands.respond import X_DONE, X_SLOW, reply_arity, reply_bulk, reply_lit
from mako_numba.protocol.errors import LIT_OK

NAME = "connection"
ID = 4
_op = op_numbers(ID)
OP_PING = _op()
OP_ECHO = _op()
OP_QUIT = _op()

LIT_PONG = family_literal(ID, 0)
LITERALS = [
    ("LIT_PONG", LIT_PONG, b"+PONG\r\n"),
]

#        name           arity  op              flags
ROWS = [
    ("ping",            -1,    OP_PING,        CF_FAST),
    ("echo",            2,     OP_ECHO,        CF_FAST),
    ("quit",            -1,    OP_QUIT,        CF_FAST | CF_NO_QUEUE | CF_LAST_PARSED),
    ("select",          2,     OP_SLOW,        CF_FAST),
    ("hello",           -1,    OP_SLOW,        CF_FAST),
    ("client",          -2,    OP_SLOW,        0),
    ("reset",           1,     OP_SLOW,        CF_FAST | CF_NO_QUEUE),
    ("auth",            -2,    OP_SLOW,        CF_FAST),
]


@kernel(inline=True)
def dispatch(o, R, args, a0, argc, ci, cmdt):
    """PING [message], ECHO message, QUIT; X_DONE, X_DEFER or X_SLOW."""
    conn, c, lim, lits = R
    if o == OP_PING:
        if argc > 2:
            return reply_arity(conn, c, lim, lits, cmdt, ci)
        if argc == 1:
            return reply_lit(conn, c, lim, lits, LIT_PONG)
        return reply_bulk(conn, c, lim, args[a0 + 1, 0], args[a0 + 1, 1])
    if o == OP_ECHO:
        return reply_bulk(conn, c, lim, args[a0 + 1, 0], args[a0 + 1, 1])
    if o == OP_QUIT:
        st = reply_lit(conn, c, lim, lits, LIT_OK)
        if st == X_DONE:
            conn[c, C_FLAGS] |= F_CLOSE_AFTER
        return st
    return X_SLOW


def slow_handlers(admin):
    return {"select": admin.select, "hello": admin.hello, "client": admin.client,
            "reset": admin.reset, "auth": admin.auth}


def subcommands(admin):
    return {
        "client": {"help": admin.help, "id": admin.client_id, "setname": admin.client_setname,
                   "getname": admin.client_getname, "setinfo": admin.client_setinfo,
                   "list": admin.client_list, "info": admin.client_info,
                   "kill": admin.client_kill, "no-evict": admin.client_no_evict,
                   "reply": admin.client_reply, "unblock": admin.client_unblock},
    }
