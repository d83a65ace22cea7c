"""Store kernels the batch kernel calls by address: eviction and the incremental rehash step.

Inlined into run_batch they were a fifth of its compile time, compiled a
second time there besides their own units.  Like a family's entry
(commands/frame.py), each is an entry kernel taking two integers, the
batch's handle array's address and one argument, and rebuilding the key
space from the batch's frame; its address sits in the table at h[H_FAMS]
(commands/family.py FN_*, engine/kernels.py).  `evict_run` belongs to the
slowpath unit, `migrate_run` to the store unit (server/prepare.py); while
one is not loaded its slot is 0 and the batch waits for it (eviction) or
leaves the step to later turns (rehashing).
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.frame import key_space
from mako_numba.store.evict import perform_evictions
from mako_numba.store.index import migrate


@kernel(entry=True)
def evict_run(haddr, now_ms):
    """perform_evictions on the calling batch's key space: an EVICT_* status."""
    T, lim = key_space(haddr)
    return perform_evictions(T, lim, now_ms)


@kernel(entry=True)
def migrate_run(haddr, steps):
    """Move up to `steps` buckets of the calling batch's key space's rehash; 0."""
    T, lim = key_space(haddr)
    migrate(T, steps)
    return 0
