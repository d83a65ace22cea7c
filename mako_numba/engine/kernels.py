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
  (server/prepare.py, `defer`) stay 0 until `load_unit` sets them; the
  batch kernel parks a request of such a family until then.
- After the families come the store kernels the batch calls by address
  (engine/storecalls.py): eviction (the slowpath unit) and the rehash step
  (the store unit).
"""
import importlib

import numpy as np

from mako_numba.base.jit import entry_address
from mako_numba.commands import registry
from mako_numba.commands.frame import ENTRY_ARGS
from mako_numba.commands.family import FN_EVICT, FN_MIGRATE, FN_SLOTS
from mako_numba.protocol.parsebase import OP_SLOW

_TABLE = []             # the one table of this process, once made
_DEFERRED = set()       # units compiling in the background (families, store units): not loaded here
_CALLS = {"store": (FN_MIGRATE, "migrate_run"), "slowpath": (FN_EVICT, "evict_run")}   # storecalls.py

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
        _TABLE.append(np.zeros(FN_SLOTS, np.int64))
    return _TABLE[0]


def family_table(load=True):
    """int64[FN_SLOTS]: each family's entry address by id (0: none, or not loaded yet), then the
    store kernels the batch calls by address (commands/family.py FN_*).

    The process's one table, with everything loaded (compiled or read from
    the cache) except the units `defer`red.  load=False: a table of zeros of
    its own, nothing compiled (the probe cores of server/prepare.py).
    """
    if not load:
        return np.zeros(FN_SLOTS, np.int64)
    table = _shared()
    for family, name in entries():
        if table[family.ID] == 0 and family.NAME not in _DEFERRED:
            table[family.ID] = load_entry(name)
    for unit, (slot, _) in _CALLS.items():
        if table[slot] == 0 and unit not in _DEFERRED:
            table[slot] = _call_address(unit)
    return table


def _call_address(unit):
    from mako_numba.engine import storecalls
    return entry_address(getattr(storecalls, _CALLS[unit][1]), ENTRY_ARGS)


def call_kernels():
    """{unit: the storecalls.py entry kernel it holds}."""
    from mako_numba.engine import storecalls
    return {unit: getattr(storecalls, fn) for unit, (_, fn) in _CALLS.items()}


def defer(names):
    """These units compile in the background: family_table leaves their slots 0 until load_unit."""
    _DEFERRED.update(names)


def load_unit(name):
    """Put unit `name`'s addresses into the table (its cache entries must be there by now)."""
    for family, module in entries():
        if family.NAME == name:
            _shared()[family.ID] = load_entry(module)
    if name in _CALLS:
        _shared()[_CALLS[name][0]] = _call_address(name)
    _DEFERRED.discard(name)
