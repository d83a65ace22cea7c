"""The families' entry kernels: which there are, and the table of their addresses.

Every family with kernel ops has an entry kernel, `run` in entry.py next to
its family.py (commands/frame.py).  The batch kernel calls them by address
from `family_table()`: an int64 array indexed by family id, 0 for a family
with no kernel ops.  Getting an address compiles that family's entry, or
loads it from the cache (base/cachekey.py keys each on what it imports),
once per process.

Rules:
- The list of families comes from commands/registry.py; this module only
  finds each one's entry module by name, so adding a family changes nothing
  here.
- The table is made once per process and never changes: Cores share it, and
  the addresses stay valid as long as the process lives.
"""
import importlib

import numpy as np

from mako_numba.base.jit import entry_address
from mako_numba.commands import registry
from mako_numba.commands.frame import ENTRY_ARGS
from mako_numba.commands.family import MAX_FAMILY
from mako_numba.protocol.parsebase import OP_SLOW

_TABLE = []             # the one table of this process, once made


def entry_module_name(family):
    """The module holding family's entry kernel, or None if it has no kernel ops."""
    if all(row[2] == OP_SLOW for row in family.ROWS):
        return None
    return family.__name__.rsplit(".", 1)[0] + ".entry"


def entries():
    """(family module, entry module name) of each family with kernel ops, in table order."""
    return [(f, entry_module_name(f)) for f in registry.FAMILIES if entry_module_name(f)]


def entry_kernel(module_name):
    return importlib.import_module(module_name).run


def load_entry(module_name):
    """The address of a family's entry kernel, compiling it or loading it from the cache."""
    return entry_address(entry_kernel(module_name), ENTRY_ARGS)


def family_table(load=True):
    """int64[MAX_FAMILY + 1]: each family's entry address by id (0: none).

    load=False: only the table's shape, nothing compiled (server/prepare.py).
    """
    if not load:
        return np.zeros(MAX_FAMILY + 1, np.int64)
    if not _TABLE:
        table = np.zeros(MAX_FAMILY + 1, np.int64)
        for family, name in entries():
            table[family.ID] = load_entry(name)
        _TABLE.append(table)
    return _TABLE[0]
