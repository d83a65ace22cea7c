"""The scripting family's declaration: EVAL, EVALSHA, their _RO forms and SCRIPT, all on the
slow path (slow.py; the interpreter is mako_numba/scripting).

See commands/family.py for what a family declares.
"""
from mako_numba.commands.family import CF_READONLY
from mako_numba.protocol.parsebase import OP_SLOW

NAME = "scripting"
ID = 13

#        name           arity  op              flags
ROWS = [
    ("eval",            -3,    OP_SLOW,        0),
    ("evalsha",         -3,    OP_SLOW,        0),
    ("eval_ro",         -3,    OP_SLOW,        CF_READONLY),
    ("evalsha_ro",      -3,    OP_SLOW,        CF_READONLY),
    ("script",          -2,    OP_SLOW,        0),
]

LITERALS = []
dispatch = None         # no kernel ops


def slow_handlers(admin):
    return {"eval": admin.eval, "evalsha": admin.evalsha, "eval_ro": admin.eval_ro,
            "evalsha_ro": admin.evalsha_ro, "script": admin.script}


def subcommands(admin):
    return {"script": {"help": admin.help, "load": admin.script_load, "exists": admin.script_exists,
                       "flush": admin.script_flush, "kill": admin.script_kill}}
