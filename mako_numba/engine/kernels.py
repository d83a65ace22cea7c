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
- The table is made once per process, Cores share it, and an address never
  changes once set (it stays valid as long as the process lives).  At a
  first start the families still compiling in the background
  (server/prepare.py, `defer`) stay 0 until `load_family` sets them; the
  batch kernel parks a request of such a family until then.
"""
import importlib

import numpy as np

from mako_numba.base.jit import entry_address
from mako_numba.commands import registry
from mako_numba.commands.frame import ENTRY_ARGS
from mako_numba.commands.family import MAX_FAMILY
from mako_numba.protocol.parsebase import OP_SLOW

_TABLE = []             # the one table of this process, once made
_DEFERRED = set()       # names of families compiling in the background: not loaded by family_table

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


def _shared():
    if not _TABLE:
        _TABLE.append(np.zeros(MAX_FAMILY + 1, np.int64))
    return _TABLE[0]


def family_table(load=True):
    """int64[MAX_FAMILY + 1]: each family's entry address by id (0: none, or not loaded yet).

    The process's one table, with every family loaded (compiled or read from
    the cache) except those `defer`red.  load=False: a table of zeros of its
    own, nothing compiled (the probe cores of server/prepare.py).
    """
    if not load:
        return np.zeros(MAX_FAMILY + 1, np.int64)
    table = _shared()
    for family, name in entries():
        if table[family.ID] == 0 and family.NAME not in _DEFERRED:
            table[family.ID] = load_entry(name)
    return table


def defer(names):
    """These families compile in the background: family_table leaves them 0 until load_family."""
    _DEFERRED.update(names)


def load_family(name):
    """Load the family called `name` into the table (its cache entry must be there by now)."""
    for family, module in entries():
        if family.NAME == name:
            _shared()[family.ID] = load_entry(module)
    _DEFERRED.discard(name)
