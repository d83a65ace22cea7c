"""The sort family's declaration: SORT and SORT_RO, both run by the slow path (slow.py).

SORT reads a whole list, set or sorted set and, with BY and GET, other keys
by pattern; its work is Python's sort of the elements, as Redis's is qsort,
so it has no kernel ops and no entry kernel (commands/family.py).
"""
from mako_numba.commands.family import CF_READONLY, CF_WRITE
from mako_numba.protocol.parsebase import OP_SLOW

NAME = "sort"
ID = 12
LITERALS = []
dispatch = None         # no kernel ops

#        name           arity  op              flags
ROWS = [
    ("sort",            -2,    OP_SLOW,        CF_WRITE),
    ("sort_ro",         -2,    OP_SLOW,        CF_READONLY),
]


def slow_handlers(admin):
    return {"sort": admin.sort, "sort_ro": admin.sort_ro}


def subcommands(admin):
    return {}
