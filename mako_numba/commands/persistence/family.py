"""The persistence family's declaration: SAVE, BGSAVE, LASTSAVE, SHUTDOWN and BGREWRITEAOF, all
on the slow path (persistence.py).

See commands/family.py for what a family declares.
"""
from mako_numba.commands.family import CF_ADMIN, CF_FAST, CF_NO_MULTI
from mako_numba.protocol.parsebase import OP_SLOW

NAME = "persistence"
ID = 7

#        name           arity  op              flags
ROWS = [
    ("save",            1,     OP_SLOW,        CF_ADMIN | CF_NO_MULTI),
    ("bgsave",          -1,    OP_SLOW,        CF_ADMIN),
    ("lastsave",        1,     OP_SLOW,        CF_FAST),
    ("shutdown",        -1,    OP_SLOW,        CF_ADMIN | CF_NO_MULTI),
    ("bgrewriteaof",    1,     OP_SLOW,        CF_ADMIN),
]

LITERALS = []
dispatch = None         # no kernel ops


def slow_handlers(admin):
    return {"save": admin.save, "bgsave": admin.bgsave, "lastsave": admin.lastsave,
            "shutdown": admin.shutdown, "bgrewriteaof": admin.bgrewriteaof}


def subcommands(admin):
    return {}
