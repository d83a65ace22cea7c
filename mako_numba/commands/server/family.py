"""The server family's declaration: DBSIZE, TIME and SWAPDB run in the kernel (keys/generic.py
holds the last two); CONFIG (config.py), COMMAND (command.py), OBJECT, MEMORY and DEBUG
(inspect.py), INFO, FLUSHDB and FLUSHALL (admin.py), SLOWLOG, LATENCY and MONITOR
(observe/tracing.py) on the slow path.

See commands/family.py for what a family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.family import (
    CF_ADMIN, CF_FAST, CF_READONLY, CF_REMAPS_DBS, CF_WRITE, op_numbers,
)
from mako_numba.protocol.parsebase import OP_SLOW
from mako_numba.commands.server.kernels import x_swapdb, x_time
from mako_numba.commands.respond import X_SLOW, reply_int

NAME = "server"
ID = 6
_op = op_numbers(ID)
OP_DBSIZE = _op()
OP_TIME = _op()
OP_SWAPDB = _op()

#        name           arity  op              flags
ROWS = [
    ("dbsize",          1,     OP_DBSIZE,      CF_READONLY | CF_FAST),
    ("time",            1,     OP_TIME,        CF_FAST),
    ("swapdb",          3,     OP_SWAPDB,      CF_WRITE | CF_FAST | CF_REMAPS_DBS),
    ("object",          -2,    OP_SLOW,        0),
    ("memory",          -2,    OP_SLOW,        0),
    ("debug",           -2,    OP_SLOW,        CF_ADMIN),
    ("flushdb",         -1,    OP_SLOW,        CF_WRITE),
    ("flushall",        -1,    OP_SLOW,        CF_WRITE),
    ("command",         -1,    OP_SLOW,        0),
    ("config",          -2,    OP_SLOW,        CF_ADMIN),
    ("info",            -1,    OP_SLOW,        0),
    ("slowlog",         -2,    OP_SLOW,        0),
    ("latency",         -2,    OP_SLOW,        0),
    ("monitor",         1,     OP_SLOW,        CF_ADMIN),
]

LITERALS = []


@kernel(inline=True)
def dispatch(o, K, R, args, a0, now_us):
    """DBSIZE, TIME, SWAPDB; X_DONE, X_DEFER or X_SLOW."""
    if o == OP_DBSIZE:
        T, lim, db, now = K
        conn, c, lim, lits = R
        return reply_int(conn, c, lim, T[5][db, 0])
    if o == OP_TIME:
        return x_time(R, now_us)
    if o == OP_SWAPDB:
        return x_swapdb(K[0], R, args, a0)
    return X_SLOW


def slow_handlers(admin):
    return {"object": admin.object_, "memory": admin.memory, "debug": admin.debug,
            "flushdb": admin.flushdb, "flushall": admin.flushall, "command": admin.command,
            "config": admin.config, "info": admin.info, "slowlog": admin.slowlog,
            "latency": admin.latency, "monitor": admin.monitor}


def subcommands(admin):
    return {
        "config": {"help": admin.help, "get": admin.config_get, "set": admin.config_set,
                   "resetstat": admin.config_resetstat, "rewrite": admin.config_rewrite},
        "command": {"help": admin.help, "count": admin.command_count,
                    "info": admin.command_info, "docs": admin.command_docs,
                    "list": admin.command_list, "getkeys": admin.command_getkeys,
                    "getkeysandflags": admin.command_getkeysandflags},
        "object": {"help": admin.help, "encoding": admin.object_encoding,
                   "refcount": admin.object_refcount, "idletime": admin.object_idletime,
                   "freq": admin.object_freq},
        "memory": {"help": admin.help, "usage": admin.memory_usage,
                   "purge": admin.memory_purge, "malloc-stats": admin.memory_malloc_stats},
        "slowlog": {"help": admin.help, "get": admin.slowlog_get, "len": admin.slowlog_len,
                    "reset": admin.slowlog_reset},
        "latency": {"help": admin.help, "histogram": admin.latency_histogram,
                    "latest": admin.latency_latest, "history": admin.latency_history,
                    "reset": admin.latency_reset, "graph": admin.latency_graph,
                    "doctor": admin.latency_doctor},
    }
