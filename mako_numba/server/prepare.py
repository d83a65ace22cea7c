"""Kernel preparation at start: load every kernel from the cache, or compile the missing ones in parallel.

The kernels come in *units*, each compiled and cached on its own (each unit's
modules import none of the others' kernels; base/cachekey.py keys a cache on
what its module imports):
- "batch": the batch kernel (parser, shared checks, the call of a family's
  entry by address) and its companions;
- "store": what Python calls every turn or tick (the event loop's reads and
  sends, active expiry, rehashing, the query buffers' trimming);
- "slowpath": the slow path's key-space kernels (OBJECT, WATCH, FLUSHALL,
  LCS, eviction for EXEC; a first start does not wait for them);
- "persistence": the RDB file's (scanning, loading, encoding, LZF, CRC-64)
  and the command-form AOF base's;
- one per command family with kernel ops: its entry kernel (commands/frame.py).
A new family adds one unit: the work grows with what was added, never with
everything.

`prepare` reads the cache's indexes once (`cache_index`), loads what is
there (nothing is compiled or run for that), and compiles the rest in
worker processes, as many as there are CPUs, which take the units in
chains (`chains`, `_Pool`).  Each unit is loaded here as its worker reports
it; `report(unit, done, total, seconds)` hears of each, for a progress
display (first with unit None: the start, and the number of workers as
`seconds`).

A first start does not wait for everything (`first`, warmup.start_up): it
returns once the units of FIRST are loaded (the core, the families a
client needs to connect and configure, and the strings), so the server
answers in the time of the longer of the first two chains, whatever the
number of families.
The others go on compiling (`Background`): the event loop loads each as it
ends, a request of a family not loaded yet parks its connection until then
(engine/core.py), and what cannot go on without a unit waits for it (EXEC,
loading a file, a Python call of one of its kernels).

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
import tempfile
import threading
import time

import numpy as np
from numba import typeof

from mako_numba.base.jit import CACHE_DIR, JIT_DISABLED
from mako_numba.base import linking
from mako_numba.base.linking import entry_of
from mako_numba.engine import kernels

# a rough share of the compile time of each unit, to start the largest first
_WEIGHT = {"batch": 12, "store": 3, "slowpath": 7, "persistence": 3, "string": 14, "keys": 6,
           "bitops": 2.5}
# what a start waits for: the core, the families a client needs to connect, pick its
# protocol and database, authenticate, configure and inspect (PING, HELLO, AUTH, SELECT,
# CONFIG, INFO, MULTI), and the strings; the rest compile while the server answers
# (Background).  The two chains are of about equal length on two CPUs.
FIRST = ("batch", "store", "connection", "server", "transactions", "string")
_CHAINS = (("batch", "store", "connection", "server", "transactions"), ("string",))


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
    return [(batch.run_batch, lambda c: (c.haddr, 0)),
            (batch.compact_input, lambda c: (c.conn, 0)),
            (batch.finish_traced, lambda c: (c.h, 0))]


def _store_kernels():
    """(kernel, sample arguments from a probe Core) of the store unit: what the loop calls every turn or tick."""
    from mako_numba.observe import latency
    from mako_numba.protocol import querybuf
    from mako_numba.store import expire, index
    from mako_numba.server import netio
    i64 = np.zeros(1, np.int64)
    rows = np.zeros((1, netio.D_NFIELDS), np.int64)
    calls = kernels.call_kernels()
    return [(netio.read_events, lambda c: (c.conn, rows, i64, netio.event_buffer(1), 0, -1, 0, 0,
                                           i64, 0, rows)),
            (netio.send_replies, lambda c: (c.conn, rows, c.ready, c.res, 0, 0, rows)),
            (netio.serve_turn, lambda c: (i64, 0, 0, 0, 0, 0)),
            (index.migrate, lambda c: (c.ks.T, 0)),
            (calls["store"], lambda c: (0, 0)),
            (index.resize_due, lambda c: (c.ks.T,)),
            (expire.active_expire, lambda c: (c.ks.T, c.lim, 0, 0)),
            (expire.clear_tx_stamps, lambda c: (c.ks.T,)),
            (querybuf.cron_trim, lambda c: (c.conn, i64, i64)),
            (latency.read_cycles, lambda c: ())]


def _slowpath_kernels():
    """(kernel, sample arguments from a probe Core) of the slowpath unit: the slow path's key-space kernels."""
    from mako_numba.commands.hash import slowcalls as hash_calls
    from mako_numba.commands.string import lcs
    from mako_numba.store import evict, expire, index, table
    rows = np.zeros((2, 3), np.int64)
    ro = np.frombuffer(b"ab", np.uint8)             # the slow path passes read-only views of bytes
    dp = np.zeros((3, 3), np.uint32)
    calls = kernels.call_kernels()
    return [(evict.evict_now, lambda c: (c.ks.T, c.lim, 0)),
            (calls["slowpath"], lambda c: (0, 0)),
            (table.flush_db, lambda c: (c.ks.T, c.lim, 0)),
            (expire.set_keep_ttl, lambda c: (c.ks.T, c.lim, 0, 0, 0, 0, 0, 0)),
            (table.peek, lambda c: (c.ks.T, c.lim, 0, 0, 0, 0)),
            (table.lookup, lambda c: (c.ks.T, c.lim, 0, 0, 0, 0)),
            (table.lru_of, lambda c: (c.ks.T, 0, 0)),
            (table.value_of, lambda c: (c.ks.T, 0, 0)),
            (table.expire_of, lambda c: (c.ks.T, 0, 0)),
            (table.enc_flags, lambda c: (c.ks.T, 0, 0)),
            (index.key_sip, lambda c: (c.ks.tm, 0, 0)),
            (hash_calls.field_of, lambda c: (c.ks.T, c.lim, 0, rows, 0)),
            (hash_calls.set_field, lambda c: (c.ks.T, c.lim, 0, rows, 0, 0, 0)),
            (lcs.lcs_table, lambda c: (ro, ro, dp)),
            (lcs.lcs_walk, lambda c: (ro, ro, dp, 0, False, np.zeros(1, np.uint8), lcs.empty_ranges(1)))]


def _persistence_kernels():
    from mako_numba.base import crc64, lzf
    from mako_numba.persistence import aofbase, rdbdump, rdbload, rdbscan, snapkernels
    return [rdbscan.scan_records, rdbload.insert_records, crc64.crc64_update, rdbdump.encode_records,
            rdbdump.worst_case, snapkernels.dump_rows, lzf.lzf_compress, lzf.lzf_decompress,
            aofbase.encode_commands]


def _compile_samples(kernels_and_samples):
    core = probe_core()
    for disp, sample in kernels_and_samples:
        compile_for(disp, *sample(core))


def _persistence_unit():
    """The RDB file's kernels, by saving a few keys of every string encoding and loading them back,
    and the command-form AOF base's, by writing one."""
    import io
    import tempfile
    from mako_numba.persistence import aofbase, loadfile, snapshots
    core = probe_core()
    for i, value in enumerate([b"1", b"-70000", b"12345678901", b"abc", b"x" * 64]):  # INT, raw, LZF
        core.store_value(0, b"k%d" % i, value)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "probe.rdb")
        snapshots.save_file(core, path)
        loadfile.load_file(probe_core(), path)
    aofbase.write_commands(core, io.BytesIO())


def units():
    """{name: function compiling that unit}, the largest first."""
    found = {"batch": lambda: _compile_samples(_batch_kernels()),
             "store": lambda: _compile_samples(_store_kernels()),
             "slowpath": lambda: _compile_samples(_slowpath_kernels()),
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
    if name == "slowpath":
        return [disp for disp, _ in _slowpath_kernels()]
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


def chains(names, n):
    """The units to compile as chains, in order: a worker takes a whole chain, then the next.

    Units in one chain share much code, compiled once in their worker (the
    batch kernel, the store's and the small families' kernels all use the
    key space's lookups and the reply writers); the string family, the
    largest, is a chain of its own.  Those two chains, what a start waits
    for (FIRST), come first; the other units follow one by one, the
    heaviest first.  With a worker per unit there are no chains.
    """
    if n >= len(names):
        return [[u] for u in order(names)]
    out = []
    for chain in _CHAINS:
        part = [u for u in chain if u in names]
        if part:
            out.append(part)
    taken = {u for c in out for u in c}
    out.sort(key=lambda c: c[0] not in FIRST)
    return out + [[u] for u in order(names) if u not in taken]


def order(names):
    """What a start waits for (FIRST) first, then the rest; the heaviest first within each."""
    def key(u):
        return (u not in FIRST, -_WEIGHT.get(u, 1))
    return sorted(names, key=key)


class _Pool:
    """n worker processes taking chains of units from one ordered list; their (unit, seconds) in `results`.

    A worker is `python -m mako_numba.server.prepare -` with this package
    first on its path: a fresh interpreter, so nothing of this process (its
    compiler state, its main module) is inherited.  It reads unit names from
    its standard input, one a line, and prints "<unit> <seconds>" as it
    finishes each.  A worker is given a whole chain (`chains`), and the next
    one when it has reported all of it, so the workers share the list as
    they go.  An empty list closes its input and it exits.  A worker that
    fails puts a CompileError in `results`.
    """

    def __init__(self, names, n):
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
        self.todo = chains(names, n)
        self.lock = threading.Lock()
        self.results = queue.Queue()
        self.procs = []
        self.left = {}          # worker -> units of its chain not reported yet
        for _ in range(n):
            err = tempfile.TemporaryFile()
            p = subprocess.Popen([sys.executable, "-m", "mako_numba.server.prepare", "-"], env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
            self.procs.append(p)
            self._give(p)
            threading.Thread(target=self._relay, args=(p, err), daemon=True).start()

    def _give(self, p):
        with self.lock:
            chain = self.todo.pop(0) if self.todo else []
            self.left[p] = len(chain)
        try:
            if not chain:
                p.stdin.close()
            else:
                p.stdin.write(b"".join(u.encode() + b"\n" for u in chain))
                p.stdin.flush()
        except OSError:             # it has died: _relay reports it
            pass

    def first(self, unit):
        """Compile `unit` next (a client waits for it), if no worker has it yet."""
        with self.lock:
            for chain in self.todo:
                if unit in chain:
                    self.todo.remove(chain)
                    self.todo.insert(0, chain)
                    break

    def _relay(self, p, err):
        for line in p.stdout:
            name, seconds = line.decode().split()
            self.left[p] -= 1
            if self.left[p] == 0:
                self._give(p)
            self.results.put((name, float(seconds)))
        if p.wait() != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")[-4000:]
            self.results.put(CompileError("compiling the kernels failed:\n" + text))
        err.close()

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()


def _load(name, found):
    """Load unit `name`'s kernels from the cache into this process (nothing is compiled or run)."""
    for disp, sigs in found:
        for sig in sigs:
            disp.compile(sig)
    kernels.load_unit(name)


class Background:
    """The units still compiling after a start returned; each is loaded here as it ends.

    The event loop calls `poll` every turn (it never blocks); `wait` blocks
    for one unit or for all, for what cannot go on without them (EXEC's
    replay, loading a file, a Python call of one of their kernels: linking.py
    calls `demand` before compiling an entry kernel here).  `on_done` runs
    once everything is loaded.
    """

    def __init__(self, pool, pending, report):
        self.pool = pool
        self.pending = set(pending)
        self.report = report
        self.done = 0
        self.total = len(self.pending)
        self.on_done = None
        self.owner = {d.py_func: u for u in pending for d in _unit_kernels(u)}
        linking.DEMAND[:] = [self.demand]

    def poll(self):
        """Load the units that have finished; their names (none: nothing new)."""
        loaded = []
        while self.pending:
            try:
                item = self.pool.results.get_nowait()
            except queue.Empty:
                break
            loaded.append(self._loaded(item))
        return loaded

    def wait(self, unit=None):
        """Block until `unit` (None: every unit) is loaded."""
        while (unit in self.pending) if unit else self.pending:
            if unit:
                self.pool.first(unit)
            self._loaded(self.pool.results.get())

    def demand(self, disp):
        unit = self.owner.get(getattr(disp, "py_func", None))
        if unit in self.pending:
            self.wait(unit)

    def _loaded(self, item):
        if isinstance(item, CompileError):
            self.pending.clear()
            self.pool.close()
            linking.DEMAND[:] = []
            raise item
        name, seconds = item
        self.pending.discard(name)          # first: loading must not wait for itself
        _load(name, cache_index([name])[name])
        self.done += 1
        if self.report:
            self.report(name, self.done, self.total, seconds)
        if not self.pending:
            self.pool.close()
            linking.DEMAND[:] = []
            if self.on_done:
                self.on_done()
        return name


def prepare(report=None, workers=None, first=None):
    """Compile what the cache lacks, then load the kernels here.

    Returns (seconds, compiled, background): compiled is the list of units
    that were compiled (empty: all came from the cache).  With `first` (a
    set of unit names) it returns as soon as those are loaded, and the
    units still compiling are `background`'s (their families are left out
    of the family table until loaded); otherwise, or when nothing is left,
    background is None.
    """
    t0 = time.perf_counter()
    index = cache_index(units())
    todo = order(missing(index))
    n = workers_for(len(todo)) if workers is None else min(workers, len(todo))
    if todo and report:
        report(None, 0, len(todo), float(n))       # the start: how many units, on how many workers
    for name, found in index.items():              # load from the cache what is there
        if name not in todo:
            _load(name, found)
    if not n:
        for done, name in enumerate(todo, 1):
            seconds = run_unit(name)
            _load(name, cache_index([name])[name])
            if report:
                report(name, done, len(todo), seconds)
        return time.perf_counter() - t0, todo, None
    kernels.defer(todo)
    bg = Background(_Pool(todo, n), todo, report)
    waits = None if first is None else set(first) & set(todo)
    if waits is None:
        bg.wait()
    else:
        for unit in waits:
            bg.wait(unit)
    return time.perf_counter() - t0, todo, (bg if bg.pending else None)


if __name__ == "__main__":          # a worker: compile units, printing each one's seconds
    for unit in (line.strip() for line in sys.stdin) if sys.argv[1:] == ["-"] else sys.argv[1:]:
        print(unit, "%.3f" % run_unit(unit), flush=True)
