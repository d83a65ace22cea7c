"""In-process measurements for notebook 02: no sockets, the kernels driven directly.

- `batch_sweep`: a sans-IO Core fed as the server feeds it (tools/kernel_profile.py):
  requests spread over some connections, one `Core.run` per turn, and the
  time inside `Core.run` (the batch kernel and its Python wrapper) divided by
  the requests it answered, median over the turns.  The feeding and the
  discarding of replies are not timed.
- Measurements on a shared machine: each figure is the best (or the
  median) of several, so a pass the scheduler interrupted does not set it.
- `parser_rate`: one connection holding a big buffer of pipelined RESP,
  parsed by protocol.parse_conn as run_batch calls it, until every byte is
  consumed: bytes and requests per second of wall time, including the
  Python call per 16,384 requests (the batch queue's size) that drives it.
- `table_vs_dict`: the jitted hash table driven by a small jitted loop the
  way the SET and GET paths drive it (the inlined lookup and store; lookups
  also with the executor's prefetching), so no Python runs per key, beside
  Python's dict with the same keys as bytes, both from a Python loop and
  from C-level bulk calls.  The table copies each key and value into its arena and hashes
  with SipHash every time; the dict stores references and bytes objects
  cache their hash, so the dict does less work per operation.
"""
import time

import numba
import numpy as np

import nbsupport  # noqa: F401  (puts the repository root on sys.path)
from bench import wire
from mako_numba.config import settings as config
from mako_numba.protocol import parser as protocol
from mako_numba.store import arena, index, table
from mako_numba.base.jit import unowned
from mako_numba.engine.core import Core
from mako_numba.base.layout import B_AN, B_QN, B_SN, C_FLAGS, C_RD, C_WR, F_PENDING, F_SLOW

KEY_LEN = wire.KEY_LEN


def requests(kind, keys, value_size=8):
    """GETs or SETs of key:%012d for each of `keys`, as one uint8 array, and their offsets."""
    ops = np.full(len(keys), wire.GET if kind == "get" else wire.SET, np.int8)
    return wire.build(ops, keys, value_size)


# --- batch size and kernel cost -------------------------------------------------------------
def _drain(core, slots):
    again = core.run(slots)
    while again:
        again = core.run(again)
    for s in slots:
        core.sent(s, core.pending_output(s))


def loaded_core(keyspace, value_size=8, connections=1):
    """A Core with key:0 .. key:keyspace-1 set, and `connections` open slots."""
    core = Core(seed=1, maxclients=max(16, connections + 1))
    slots = [core.open() for _ in range(connections)]
    for lo in range(0, keyspace, 10_000):
        hi = min(keyspace, lo + 10_000)
        core.feed(slots[0], wire.sets(lo, hi, value_size))
        _drain(core, slots[:1])
    return core, slots


def batch_sweep(core, slots, batch_sizes, connections, kind="get", keyspace=100_000,
                value_size=8, min_requests=100_000, max_seconds=1.0, seed=1):
    """ns per request inside Core.run for each batch size.

    `connections(b)` says over how many connections a batch of b requests is
    spread (each gets b // connections of them).  Each turn is timed on its
    own; ns_per_request is the median turn over the requests in it (a turn
    the scheduler interrupted does not count more than any other), and
    mean_ns_per_request the plain mean.  Returns rows: batch, connections,
    pipeline, turns, ns_per_request, mean_ns_per_request, run_us_per_turn
    (the median turn).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for b in batch_sizes:
        nconn = max(1, min(connections(b), b, len(slots)))
        per = b // nconn
        use = slots[:nconn]
        buf, off = requests(kind, rng.integers(0, keyspace, 64 * nconn * per + 1), value_size)
        parts = [buf[off[i * per]:off[(i + 1) * per]].tobytes() for i in range(64 * nconn)]
        _drain(core, use)                      # nothing left over from the previous size
        times, t_end = [], time.perf_counter() + max_seconds
        while len(times) * nconn * per < min_requests or len(times) < 5:
            for j, s in enumerate(use):
                core.feed(s, parts[(len(times) * nconn + j) % len(parts)])
            t0 = time.perf_counter()
            again = core.run(use)
            times.append(time.perf_counter() - t0)
            if again:
                raise RuntimeError(f"a batch of {b} did not finish in one turn")
            for s in use:
                core.sent(s, core.pending_output(s))
            if time.perf_counter() > t_end and len(times) >= 5:
                break
        b = nconn * per
        mid = float(np.median(times))
        rows.append({"batch": b, "connections": nconn, "pipeline": per, "turns": len(times),
                     "ns_per_request": mid / b * 1e9, "mean_ns_per_request": sum(times) / len(times) / b * 1e9,
                     "run_us_per_turn": mid * 1e6})
    return rows


# --- the parser ----------------------------------------------------------------------------------
def parser_rate(kind, value_size, total_bytes, repeats=3, seed=1):
    """Parse about total_bytes of pipelined GETs or SETs; the best of `repeats` passes.

    Returns bytes, requests, seconds, gb_per_s (1e9 bytes/s), requests_per_s,
    bytes_per_request and warm_s (the first, untimed call: loading or
    compiling the parser's Python entry).
    """
    one = len(requests(kind, [0], value_size)[0])
    n = max(1, total_bytes // one)
    buf, _ = requests(kind, np.random.default_rng(seed).integers(0, 10**6, n), value_size)
    core = Core(maxclients=2, seed=1)
    slot = core.open()
    core.feed(slot, buf.tobytes())
    conn, bm = core.conn, core.bm

    def one_call():
        bm[B_QN] = bm[B_AN] = bm[B_SN] = 0
        conn[slot, C_FLAGS] &= ~(F_SLOW | F_PENDING)
        return protocol.parse_conn(conn, slot, core.q, bm, core.args, core.scratch, core.lim,
                                   core.cmdt)

    t0 = time.perf_counter()
    one_call()
    warm = time.perf_counter() - t0
    best = None
    for _ in range(repeats):
        conn[slot, C_RD] = 0
        queued = 0
        t0 = time.perf_counter()
        while conn[slot, C_RD] < conn[slot, C_WR]:
            got = one_call()
            if got == 0:
                raise RuntimeError("the parser stopped before the end of the buffer")
            queued += got
        dt = time.perf_counter() - t0
        if queued != n:
            raise RuntimeError(f"parsed {queued} requests, expected {n}")
        best = dt if best is None else min(best, dt)
    return {"kind": kind, "value_size": value_size, "bytes": len(buf), "requests": n,
            "seconds": best, "gb_per_s": len(buf) / best / 1e9, "requests_per_s": n / best,
            "bytes_per_request": one, "warm_s": warm}


# --- the hash table against a dict ---------------------------------------------------------------
@numba.njit(inline="always")
def _bare(T):
    """T's arrays without their owners, as run_batch re-wraps them (jit.unowned: no
    reference counting on every call into the table)."""
    return (unowned(T[0]), unowned(T[1]), unowned(T[2]), unowned(T[3]), unowned(T[4]),
            unowned(T[5]))


@numba.njit(cache=True)
def _table_insert(T, lim, keys, value, start, stop):
    """SET keys[start:stop] (rows of fixed width) to value as the SET path does (an inlined
    lookup then store); returns where it stopped (a NEED_* asked Python for memory)."""
    T = _bare(T)
    width = keys.shape[1]
    kbase = keys.ctypes.data
    vaddr = value.ctypes.data
    vlen = value.shape[0]
    for i in range(start, stop):
        kaddr = kbase + i * width
        h, which, pos = table.lookup_hashed(T, lim, 0, kaddr, width, 0, True, np.uint64(0), -1)
        if table.store_inline(T, lim, 0, h, which, pos, kaddr, width, vaddr, vlen, 0) != arena.OK:
            return i
    return stop


@numba.njit(cache=True)
def _table_lookup(T, lim, keys, order, hashes, d_slot, d_rec):
    """Look up every keys[order[j]] as GET does; returns how many were found.

    With d_slot > 0, as the batch executor does: the index slots of keys
    d_slot ahead and the records of keys d_rec ahead are requested early
    (prefetch), so the cache misses overlap.
    """
    T = _bare(T)
    width = keys.shape[1]
    kbase = keys.ctypes.data
    n = order.shape[0]
    for j in range(min(n, d_slot)):
        hashes[j] = index.prefetch_slot(T, 0, kbase + order[j] * width, width)
    found = 0
    for k in range(n):
        h = np.uint64(0)
        if d_slot > 0:
            if k + d_slot < n:
                hashes[k + d_slot] = index.prefetch_slot(T, 0, kbase + order[k + d_slot] * width,
                                                         width)
            if k + d_rec < n:
                index.prefetch_record(T, hashes[k + d_rec])
            h = hashes[k]
        h, which, pos = table.lookup_hashed(T, lim, 0, kbase + order[k] * width, width, 0, True, h, -1)
        if which != 0:
            vaddr, vlen = table.value_of(T, which, pos)
            if vlen >= 0:
                found += 1
    return found


def key_rows(n):
    """key:%012d for 0 .. n-1 as an (n, 16) uint8 array (wire's keys)."""
    digits = ((np.arange(n)[:, None] // wire._POW10) % 10 + ord("0")).astype(np.uint8)
    prefix = np.frombuffer(wire.KEY_PREFIX, np.uint8)
    return np.ascontiguousarray(np.hstack([np.broadcast_to(prefix, (n, len(prefix))), digits]))


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def table_vs_dict(n, value_size=8, turn=4096, seed=1, repeats=1):
    """Inserts then lookups in random order of n keys: the table, and a dict two ways.

    The table's inserts stop every `turn` keys (and whenever it needs
    memory) so Python can run the key space's between-batch step, as the
    server does once per loop turn; that time is counted.  Its lookups run
    twice: one key after another, and with the batch executor's
    prefetching.  The dict: a Python for loop, and C-level bulk calls
    (dict(zip(...)), map(d.__getitem__, ...)).  Each figure is the best of
    `repeats` passes (inserts into a new, empty table or dict each time).
    Returns rows: keys, what, inserts_per_s, lookups_per_s (and warm_s, the
    table's first calls: load or compile).
    """
    keys = key_rows(n)
    value = np.frombuffer(wire.value_bytes(value_size) + b"\0", np.uint8)[:value_size].copy()
    order = np.random.default_rng(seed).permutation(n).astype(np.int64)
    hashes = np.zeros(n, np.uint64)
    best = {}

    def keep(what, seconds):
        best[what] = min(best.get(what, seconds), seconds)

    warm = None
    for _ in range(repeats):
        core = Core(seed=1, maxclients=2)
        ks, lim = core.ks, core.lim
        d_slot, d_rec = int(lim[config.L_PREFETCH_SLOT]), int(lim[config.L_PREFETCH_RECORD])
        if warm is None:
            t0 = time.perf_counter()
            _table_insert(ks.T, lim, keys, value, 0, 0)
            _table_lookup(ks.T, lim, keys, order[:0], hashes, 0, 0)
            warm = time.perf_counter() - t0

        def insert_all():
            i = 0
            while i < n:
                i = _table_insert(ks.T, lim, keys, value, i, min(n, i + turn))
                ks.after_batch()
        keep("table insert", _timed(insert_all)[0])
        while ks.idle_step():
            pass
        t, found = _timed(lambda: _table_lookup(ks.T, lim, keys, order, hashes, 0, 0))
        keep("table lookup", t)
        t, found2 = _timed(lambda: _table_lookup(ks.T, lim, keys, order, hashes, d_slot, d_rec))
        keep("table+prefetch lookup", t)
        if found != n or found2 != n or ks.keys() != n:
            raise RuntimeError(f"table found {found} and {found2} of {n} keys")
        del core, ks

    bkeys = [bytes(row) for row in keys]
    bval = wire.value_bytes(value_size)
    border = [bkeys[i] for i in order]

    def dict_insert():
        d = {}
        for k in bkeys:
            d[k] = bval
        return d

    def dict_lookup(d):
        found = 0
        for k in border:
            if d[k] is not None:
                found += 1
        return found
    for _ in range(repeats):
        t, d = _timed(dict_insert)
        keep("dict loop insert", t)
        keep("dict loop lookup", _timed(lambda: dict_lookup(d))[0])
        del d
        t, d = _timed(lambda: dict(zip(bkeys, [bval] * n)))
        keep("dict bulk insert", t)
        keep("dict bulk lookup", _timed(lambda: list(map(d.__getitem__, border)))[0])
        del d
    return [
        {"keys": n, "what": what, "warm_s": warm if what == "table" else None,
         "inserts_per_s": n / best[what + " insert"] if what + " insert" in best else None,
         "lookups_per_s": n / best[what + " lookup"]}
        for what in ("table", "table+prefetch", "dict loop", "dict bulk")]
