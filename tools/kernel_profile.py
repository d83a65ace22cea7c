"""Kernel time per request, without sockets, and a perf map for the kernels.

    .venv/bin/python tools/kernel_profile.py [get|set|ping|hget|hset|sadd|sismember|hgetall|smembers]
        [--pipeline 16] [--keys 100000]
        [--clients 50] [--rounds 2000] [--perf-map] [--latency-tracking yes|no]
        [--slowlog-log-slower-than us]

Drives a sans-IO Core as the server would: `--clients` connections, each fed
`--pipeline` requests per turn, one `Core.run` per turn, over `--keys`
preloaded keys (`key:%012d`, 8-byte values) drawn at random.  Prints the
time inside `Core.run` per request (kernel plus its Python wrapper) and the
whole loop's time per request (with this script's own feeding).

`--perf-map` writes /tmp/perf-PID.map naming the machine code of the
run_batch entry (and every function LLVM did not inline into it), so
`perf record -p PID` / `perf report` can show symbols; it works with a
warm or cold kernel cache.  Typical use:

    .venv/bin/python tools/kernel_profile.py get --keys 1000000 --rounds 20000 --perf-map &
    perf record -p $! -o /tmp/k.data -- sleep 10; perf report -i /tmp/k.data --sort symbol
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from numba.core import codegen

_OBJECTS = {}
_set_compiled_object = codegen.CodeLibrary._set_compiled_object


def _remember_object(self, value):
    _OBJECTS[id(self)] = value          # Numba keeps no copy after loading it
    return _set_compiled_object(self, value)


codegen.CodeLibrary._set_compiled_object = _remember_object

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mako_numba.engine import batch as engine
from mako_numba.server import warmup  # noqa: E402
from mako_numba.engine.core import Core  # noqa: E402


def write_perf_map():
    """Symbols of run_batch's machine code, for perf (JIT code has none of its own)."""
    lines = []
    for cres in engine.run_batch.overloads.values():
        lib = cres.library
        obj = _OBJECTS.get(id(lib)) or lib._get_compiled_object()
        with tempfile.NamedTemporaryFile(suffix=".o") as f:
            f.write(obj)
            f.flush()
            out = subprocess.run(["nm", "-S", "--defined-only", f.name],
                                 capture_output=True, text=True, check=True).stdout
        syms = [(int(a, 16), int(n, 16), name) for a, n, kind, name in
                (ln.split() for ln in out.splitlines() if len(ln.split()) == 4) if kind in "tTwW"]
        # the C wrapper's name is unique to this library: it anchors the offsets
        anchor = next(s for s in syms if s[2].startswith("cfunc."))
        base = lib._codegen._engine.get_function_address(anchor[2]) - anchor[0]
        lines += ["%x %x %s\n" % (base + off, size, name) for off, size, name in syms]
    path = "/tmp/perf-%d.map" % os.getpid()
    with open(path, "w") as f:
        f.writelines(lines)
    print("wrote %s (%d symbols)" % (path, len(lines)))


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


KINDS = ["get", "set", "ping", "hget", "hset", "sadd", "sismember", "hgetall", "smembers"]


def preload(kind, j):
    """The request that loads key j for this kind."""
    if kind in ("hget", "hset"):
        return resp(b"HSET", b"h:%012d" % j, *[x for f in range(10) for x in (b"f%d" % f, b"value%d" % f)])
    if kind in ("sadd", "sismember"):
        return resp(b"SADD", b"s:%012d" % j, *[b"%d" % f for f in range(10)])
    return resp(b"SET", b"key:%012d" % j, b"xxxxxxxx")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kind", nargs="?", default="get", choices=KINDS)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2000)
    ap.add_argument("--perf-map", action="store_true")
    ap.add_argument("--latency-tracking", choices=["yes", "no"], default="yes",
                    help="time each command for the latency histograms (default yes, as the server)")
    ap.add_argument("--slowlog-log-slower-than", default="10000",
                    help="us; with --latency-tracking no, -1 leaves the commands untimed")
    opts = ap.parse_args()
    seconds, cached = warmup.warm_up()
    print("kernels %s in %.1f s" % ("loaded" if cached else "compiled", seconds))
    if opts.perf_map:
        write_perf_map()
    core = Core(seed=1, settings={"latency-tracking": opts.latency_tracking,
                                  "slowlog-log-slower-than": opts.slowlog_log_slower_than})
    slots = [core.open() for _ in range(opts.clients)]
    for i in range(0, opts.keys, 1000):
        core.feed(slots[0], b"".join(preload(opts.kind, j) for j in range(i, min(i + 1000, opts.keys))))
        while core.run([slots[0]]):
            pass
        core.sent(slots[0], core.pending_output(slots[0]))
    core.feed(slots[0], resp(b"HSET", b"big:h", *[x for f in range(100) for x in (b"field:%d" % f, b"value:%d" % f)])
              + resp(b"SADD", b"big:s", *[b"member:%d" % f for f in range(100)]))
    while core.run([slots[0]]):
        pass
    core.sent(slots[0], core.pending_output(slots[0]))
    keys = np.random.default_rng(1).integers(0, opts.keys, 200_000)

    def request(i):
        key = b"key:%012d" % keys[i % len(keys)]
        if opts.kind == "get":
            return resp(b"GET", key)
        if opts.kind == "set":
            return resp(b"SET", key, b"xxxxxxxx")
        n = b"%012d" % keys[i % len(keys)]
        if opts.kind == "hget":
            return resp(b"HGET", b"h:" + n, b"f3")
        if opts.kind == "hset":
            return resp(b"HSET", b"h:" + n, b"f%d" % (i % 13), b"value")
        if opts.kind == "sadd":
            return resp(b"SADD", b"s:" + n, b"%d" % (i % 13))
        if opts.kind == "sismember":
            return resp(b"SISMEMBER", b"s:" + n, b"3")
        if opts.kind == "hgetall":
            return resp(b"HGETALL", b"big:h")
        if opts.kind == "smembers":
            return resp(b"SMEMBERS", b"big:s")
        return resp(b"PING")
    batches = [b"".join(request(s * opts.pipeline + j) for j in range(opts.pipeline))
               for s in range(opts.clients)]
    in_run = 0.0
    t0 = time.perf_counter()
    for _ in range(opts.rounds):
        for slot, data in zip(slots, batches):
            core.feed(slot, data)
        t1 = time.perf_counter()
        core.run(slots)
        in_run += time.perf_counter() - t1
        for slot in slots:
            core.sent(slot, core.pending_output(slot))
    n = opts.rounds * opts.clients * opts.pipeline
    print("%s, %d clients x P=%d, %d keys: Core.run %.0f ns/request, whole loop %.0f ns/request"
          % (opts.kind.upper(), opts.clients, opts.pipeline, opts.keys, in_run / n * 1e9,
             (time.perf_counter() - t0) / n * 1e9))


if __name__ == "__main__":
    main()
