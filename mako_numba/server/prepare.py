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

`prepare` finds the units whose kernels are not in the cache, compiles them
in worker processes (as many as there are CPUs, each a group of units,
`groups`), then loads everything in this process; warmup.py then runs one
batch.  `report(unit, done, total, seconds)` hears of each unit as it
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
from mako_numba.engine import kernels

# a rough share of the compile time of each unit, to start the largest first
_WEIGHT = {"batch": 12, "store": 4, "persistence": 3, "string": 14, "keys": 6, "bitops": 2.5, "server": 1}
_CORE_UNITS = ("batch", "store", "persistence")


def probe_core():
    """A small Core whose arrays have the run-time types (its families are not loaded)."""
    from mako_numba.engine.core import Core
    return Core(maxclients=4, queue_size=64, args_size=256, scratch_size=4096, seed=1,
                families=False)


def compile_for(disp, *sample):
    """Compile disp (or load it from the cache) for the types of `sample`, without running it."""
    twin = getattr(disp, "_mako_make_twin", None)
    if twin is not None:                    # an internal kernel Python calls: its entry twin
        disp = disp.__dict__.get("_mako_twin") or disp.__dict__.setdefault("_mako_twin", twin())
    disp.compile(tuple(typeof(a) for a in sample))


def _batch_unit():
    from mako_numba.engine import batch
    core = probe_core()
    compile_for(batch.run_batch, core.h, core.ks.T, core.args, 0)
    compile_for(batch.compact_input, core.conn, 0)
    compile_for(batch.finish_traced, core.h, 0)


def _store_unit():
    from mako_numba.commands.string import lcs
    from mako_numba.observe import latency
    from mako_numba.protocol import querybuf
    from mako_numba.store import evict, expire, index, table
    core = probe_core()
    T, lim, i64 = core.ks.T, core.lim, np.zeros(1, np.int64)
    compile_for(evict.evict_now, T, lim, 0)
    compile_for(index.migrate, T, 0)
    compile_for(index.resize_due, T)
    compile_for(table.flush_db, T, lim, 0)
    compile_for(expire.active_expire, T, lim, 0, 0)
    compile_for(expire.clear_tx_stamps, T)
    compile_for(expire.set_keep_ttl, T, lim, 0, 0, 0, 0, 0, 0)
    compile_for(table.peek, T, lim, 0, 0, 0, 0)
    compile_for(table.lookup, T, lim, 0, 0, 0, 0)
    for reader in (table.lru_of, table.value_of, table.expire_of, table.enc_flags):
        compile_for(reader, T, 0, 0)
    compile_for(index.key_sip, core.ks.tm, 0, 0)
    compile_for(querybuf.cron_trim, core.conn, i64, i64)
    compile_for(latency.read_cycles)
    ro = np.frombuffer(b"ab", np.uint8)             # the slow path passes read-only views of bytes
    dp = np.zeros((3, 3), np.uint32)
    compile_for(lcs.lcs_table, ro, ro, dp)
    compile_for(lcs.lcs_walk, ro, ro, dp, 0, False, np.zeros(1, np.uint8), lcs.empty_ranges(1))


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
    found = {"batch": _batch_unit, "store": _store_unit, "persistence": _persistence_unit}
    for family, module in kernels.entries():
        found[family.NAME] = (lambda m=module: kernels.load_entry(m))
    return dict(sorted(found.items(), key=lambda kv: -_WEIGHT.get(kv[0], 1)))


def run_unit(name):
    """Compile one unit (in a worker process); its wall time."""
    t0 = time.perf_counter()
    units()[name]()
    return time.perf_counter() - t0


def _cached(disp):
    """Has the cache a compiled version of disp for this machine (any signature)?"""
    twin = getattr(disp, "_mako_make_twin", None)
    if twin is not None:
        disp = disp.__dict__.get("_mako_twin") or disp.__dict__.setdefault("_mako_twin", twin())
    cache = getattr(disp, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    if cache_file is None:
        return False
    magic = disp.targetctx.codegen().magic_tuple()
    return any(key[1] == magic for key in cache_file._load_index())


def _unit_kernels(name):
    from mako_numba.commands.string import lcs
    from mako_numba.engine import batch
    from mako_numba.observe import latency
    from mako_numba.protocol import querybuf
    from mako_numba.store import evict, expire, index, table
    if name == "batch":
        return [batch.run_batch, batch.compact_input, batch.finish_traced]
    if name == "store":
        return [evict.evict_now, index.migrate, index.resize_due, table.flush_db, expire.active_expire,
                expire.clear_tx_stamps, expire.set_keep_ttl, table.peek, table.lookup, table.lru_of,
                table.value_of, table.expire_of, table.enc_flags, index.key_sip,
                querybuf.cron_trim, latency.read_cycles, lcs.lcs_table, lcs.lcs_walk]
    if name == "persistence":
        from mako_numba.base import crc64, lzf
        from mako_numba.persistence import rdbdump, rdbload, rdbscan, snapkernels
        return [rdbscan.scan_records, rdbload.insert_records, crc64.crc64_update, rdbdump.encode_records,
                snapkernels.dump_rows, lzf.lzf_compress, lzf.lzf_decompress]
    module = dict((f.NAME, m) for f, m in kernels.entries())[name]
    return [kernels.entry_kernel(module)]


def missing():
    """The units with a kernel the cache lacks, largest first."""
    return [name for name in units() if not all(_cached(d) for d in _unit_kernels(name))]


def workers_for(n):
    """How many worker processes to compile n units with (0: compile here)."""
    if JIT_DISABLED or CACHE_DIR is None or n == 0:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(n, cpus) if cpus > 1 else 0


CPU_SECONDS = {}        # unit -> CPU seconds its worker spent on it (the last prepare's)


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
        name, seconds, cpu = line.decode().split()
        lines.put((name, float(seconds)))
        CPU_SECONDS[name] = float(cpu)
    err = p.stderr.read()
    if p.wait() != 0:
        lines.put(CompileError("compiling the kernels failed:\n" + err.decode(errors="replace")[-4000:]))


def prepare(report=None, workers=None):
    """Compile what the cache lacks, then load every kernel here.

    Returns (seconds, compiled): compiled is the list of units that were
    compiled (empty: all came from the cache).
    """
    t0 = time.perf_counter()
    todo = missing()
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
    for name, compile_unit in units().items():         # from the cache now
        if name not in todo or n:
            compile_unit()
    kernels.family_table()
    return time.perf_counter() - t0, todo


if __name__ == "__main__":          # a worker: compile these units, printing each one's seconds
    for unit in sys.argv[1:]:
        cpu = time.process_time()
        print(unit, "%.3f" % run_unit(unit), "%.3f" % (time.process_time() - cpu), flush=True)
