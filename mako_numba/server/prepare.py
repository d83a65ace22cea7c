"""Kernel preparation at start: load every kernel from the cache, or compile the missing ones in parallel.

The kernels come in *units*, each compiled and cached on its own (each unit's
modules import none of the others' kernels; base/cachekey.py keys a cache on
what its module imports):
- "batch": the batch kernel (parser, shared checks, the call of a family's
  entry by address) and its companions;
- "store": what Python calls between batches (expiry, eviction, rehashing,
  the slow path's key-space kernels);
- "persistence": the RDB file's (scanning, loading, encoding, LZF, CRC-64);
- one per command family with kernel ops: its entry kernel (commands/frame.py).
So the cost of a first start is the sum of the units, spread over the CPUs,
and a new family adds one unit: the work grows with what was added, never
with everything.

`prepare` reads the cache's indexes once (`cache_index`), compiles the units
whose kernels are not there in worker processes (as many as there are
CPUs, each a group of units, `groups`), then loads every cached signature
in this process (nothing is compiled or run for that); warmup.py then runs
one batch.  `report(unit, done, total, seconds)` hears of each unit as it
finishes, for a progress display (first with unit None: the start, and the
number of workers as `seconds`).

Rules:
- A unit compiles its kernels from sample arguments of the types Python
  passes at run time, without running them: `compile_for`.  If a call's
  types ever differ, that call compiles in the server (slowly, but
  correctly); tests check that after `prepare` the warm-up compiles nothing.
- With no writable cache, or only one CPU, the units compile in this process.
"""
import os
import queue
import subprocess
import sys
import threading
import time

import numpy as np
from numba import typeof

from mako_numba.base.jit import CACHE_DIR, JIT_DISABLED
from mako_numba.base.linking import entry_of
from mako_numba.engine import kernels

# a rough share of the compile time of each unit, to start the largest first
_WEIGHT = {"batch": 12, "store": 4, "persistence": 3, "string": 14, "keys": 6, "bitops": 2.5}
_CORE_UNITS = ("batch", "store", "persistence")


def probe_core():
    """A small Core whose arrays have the run-time types (its families are not loaded)."""
    from mako_numba.engine.core import Core
    return Core(maxclients=4, queue_size=64, args_size=256, scratch_size=4096, seed=1,
                families=False)


def compile_for(disp, *sample):
    """Compile disp (or load it from the cache) for the types of `sample`, without running it."""
    entry_of(disp).compile(tuple(typeof(a) for a in sample))


def _batch_kernels():
    """(kernel, sample arguments from a probe Core) of the batch unit."""
    from mako_numba.engine import batch
    return [(batch.run_batch, lambda c: (c.h, c.ks.T, c.args, 0)),
            (batch.compact_input, lambda c: (c.conn, 0)),
            (batch.finish_traced, lambda c: (c.h, 0))]


def _store_kernels():
    """(kernel, sample arguments from a probe Core) of the store unit."""
    from mako_numba.commands.string import lcs
    from mako_numba.observe import latency
    from mako_numba.protocol import querybuf
    from mako_numba.store import evict, expire, index, table
    ro = np.frombuffer(b"ab", np.uint8)             # the slow path passes read-only views of bytes
    dp = np.zeros((3, 3), np.uint32)
    i64 = np.zeros(1, np.int64)
    return [(evict.evict_now, lambda c: (c.ks.T, c.lim, 0)),
            (index.migrate, lambda c: (c.ks.T, 0)),
            (index.resize_due, lambda c: (c.ks.T,)),
            (table.flush_db, lambda c: (c.ks.T, c.lim, 0)),
            (expire.active_expire, lambda c: (c.ks.T, c.lim, 0, 0)),
            (expire.clear_tx_stamps, lambda c: (c.ks.T,)),
            (expire.set_keep_ttl, lambda c: (c.ks.T, c.lim, 0, 0, 0, 0, 0, 0)),
            (table.peek, lambda c: (c.ks.T, c.lim, 0, 0, 0, 0)),
            (table.lookup, lambda c: (c.ks.T, c.lim, 0, 0, 0, 0)),
            (table.lru_of, lambda c: (c.ks.T, 0, 0)),
            (table.value_of, lambda c: (c.ks.T, 0, 0)),
            (table.expire_of, lambda c: (c.ks.T, 0, 0)),
            (table.enc_flags, lambda c: (c.ks.T, 0, 0)),
            (index.key_sip, lambda c: (c.ks.tm, 0, 0)),
            (querybuf.cron_trim, lambda c: (c.conn, i64, i64)),
            (latency.read_cycles, lambda c: ()),
            (lcs.lcs_table, lambda c: (ro, ro, dp)),
            (lcs.lcs_walk, lambda c: (ro, ro, dp, 0, False, np.zeros(1, np.uint8), lcs.empty_ranges(1)))]


def _persistence_kernels():
    from mako_numba.base import crc64, lzf
    from mako_numba.persistence import rdbdump, rdbload, rdbscan, snapkernels
    return [rdbscan.scan_records, rdbload.insert_records, crc64.crc64_update, rdbdump.encode_records,
            snapkernels.dump_rows, lzf.lzf_compress, lzf.lzf_decompress]


def _compile_samples(kernels_and_samples):
    core = probe_core()
    for disp, sample in kernels_and_samples:
        compile_for(disp, *sample(core))


def _persistence_unit():
    """The RDB file's kernels, by saving a few keys of every string encoding and loading them back."""
    import tempfile
    from mako_numba.persistence import loadfile, snapshots
    core = probe_core()
    for i, value in enumerate([b"1", b"-70000", b"12345678901", b"abc", b"x" * 64]):  # INT, raw, LZF
        core.store_value(0, b"k%d" % i, value)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "probe.rdb")
        snapshots.save_file(core, path)
        loadfile.load_file(probe_core(), path)


def units():
    """{name: function compiling that unit}, the largest first."""
    found = {"batch": lambda: _compile_samples(_batch_kernels()),
             "store": lambda: _compile_samples(_store_kernels()),
             "persistence": _persistence_unit}
    for family, module in kernels.entries():
        found[family.NAME] = (lambda m=module: kernels.load_entry(m))
    return dict(sorted(found.items(), key=lambda kv: -_WEIGHT.get(kv[0], 1)))


def run_unit(name):
    """Compile one unit (in a worker process); its wall time."""
    t0 = time.perf_counter()
    units()[name]()
    return time.perf_counter() - t0


def _unit_kernels(name):
    if name == "batch":
        return [disp for disp, _ in _batch_kernels()]
    if name == "store":
        return [disp for disp, _ in _store_kernels()]
    if name == "persistence":
        return _persistence_kernels()
    module = dict((f.NAME, m) for f, m in kernels.entries())[name]
    return [kernels.entry_kernel(module)]


def cached_signatures(disp):
    """The signatures the cache holds compiled for disp on this machine (Numba's index)."""
    cache_file = getattr(getattr(disp, "_cache", None), "_cache_file", None)
    if cache_file is None:
        return []
    magic = disp.targetctx.codegen().magic_tuple()
    return [key[0] for key in cache_file._load_index() if key[1] == magic]


def cache_index(names):
    """{unit: [(kernel Python calls, its cached signatures), ...]}: one reading of the cache's indexes."""
    return {name: [(d, cached_signatures(d)) for d in map(entry_of, _unit_kernels(name))]
            for name in names}


def missing(index=None):
    """The units with a kernel the cache lacks, largest first."""
    index = cache_index(units()) if index is None else index
    return [name for name, found in index.items() if not all(sigs for _, sigs in found)]


def workers_for(n):
    """How many worker processes to compile n units with (0: compile here)."""
    if JIT_DISABLED or CACHE_DIR is None or n == 0:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(n, cpus) if cpus > 1 else 0


class CompileError(RuntimeError):
    """A unit failed to compile in its worker process (the message has its output)."""


def groups(names, n):
    """Split the units into at most n groups of about equal weight, kin kept together.

    A worker compiles a group in one process, so what its units share is
    compiled once per group: the families share the key space's helpers and
    the reply writers, the batch and store units the expiry and eviction
    code.  So the families start as one group and the rest as another; the
    heaviest group is halved while there are more workers than groups,
    then groups go to workers largest first, each to the lightest.
    """
    def weight(group):
        return sum(_WEIGHT.get(u, 1) for u in group)

    fams = [u for u in names if u not in _CORE_UNITS]
    items = [g for g in ([u for u in names if u in _CORE_UNITS], fams) if g]
    while len(items) < n and any(len(g) > 1 for g in items):
        big = max((g for g in items if len(g) > 1), key=weight)
        items.remove(big)
        halves = [[], []]
        for u in sorted(big, key=lambda u: -_WEIGHT.get(u, 1)):
            min(halves, key=weight).append(u)
        items += halves
    bins = [[] for _ in range(n)]
    for g in sorted(items, key=lambda g: -weight(g)):
        min(bins, key=weight).extend(g)
    return [b for b in bins if b]


def _in_workers(names, n):
    """Compile the units in n worker processes; yields (name, seconds) as each ends.

    A worker is `python -m mako_numba.server.prepare <unit>...` with this
    package first on its path: a fresh interpreter, so nothing of this
    process (its compiler state, its main module) is inherited.  It prints
    "<unit> <seconds>" as it finishes each unit.
    """
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    lines = queue.Queue()
    procs = []
    for group in groups(names, n):
        p = subprocess.Popen([sys.executable, "-m", "mako_numba.server.prepare"] + group, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(p)
        threading.Thread(target=_relay, args=(p, lines), daemon=True).start()
    try:
        for _ in range(len(names)):
            item = lines.get()
            if isinstance(item, CompileError):
                raise item
            yield item
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()


def _relay(p, lines):
    """A worker's "<unit> <seconds>" lines into `lines`; a CompileError if it fails."""
    for line in p.stdout:
        name, seconds = line.decode().split()
        lines.put((name, float(seconds)))
    err = p.stderr.read()
    if p.wait() != 0:
        lines.put(CompileError("compiling the kernels failed:\n" + err.decode(errors="replace")[-4000:]))


def prepare(report=None, workers=None):
    """Compile what the cache lacks, then load every kernel here.

    Returns (seconds, compiled): compiled is the list of units that were
    compiled (empty: all came from the cache).
    """
    t0 = time.perf_counter()
    index = cache_index(units())
    todo = missing(index)
    n = workers_for(len(todo)) if workers is None else min(workers, len(todo))
    if todo and report:
        report(None, 0, len(todo), float(n))       # the start: how many units, on how many workers
    if n:
        for done, (name, seconds) in enumerate(_in_workers(todo, n), 1):
            if report:
                report(name, done, len(todo), seconds)
    else:
        for done, name in enumerate(todo, 1):
            seconds = run_unit(name)
            if report:
                report(name, done, len(todo), seconds)
    if n:
        index.update(cache_index(todo))                 # what the workers wrote
    for name, found in index.items():                   # load from the cache what is not loaded yet
        if n or name not in todo:
            for disp, sigs in found:
                for sig in sigs:
                    disp.compile(sig)
    kernels.family_table()
    return time.perf_counter() - t0, todo


if __name__ == "__main__":          # a worker: compile these units, printing each one's seconds
    for unit in sys.argv[1:]:
        print(unit, "%.3f" % run_unit(unit), flush=True)
