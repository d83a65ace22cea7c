"""`python -m bench startup`: launch to first PONG, with and without the kernel cache.

- cold: MAKO_NUMBA_CACHE_DIR points at an empty temporary directory, so
  every kernel is compiled (what the first `./dev serve` after an edit of
  the package costs).
- warm: the same directory again, now holding the cache the cold start
  wrote (what every later start costs).  Repeated --runs times; the median
  is reported.

The clock starts just before the process is spawned and stops when a PING
on a fresh connection gets +PONG.  The server's own ready line says how
long its kernels took (compiled or loaded); the rest is interpreter, import
and socket set-up.
"""
import os
import shutil
import socket
import statistics
import tempfile
import time

from . import machine
from .servers import HOST, KERNELS_RE, Server, launch_mako, wait_all_kernels, wait_ready

COLD_TIMEOUT = 900      # seconds a cold compile may take on a slow, shared machine


def first_pong(env, timeout):
    """Seconds from spawn to the first PONG, the kernel seconds of the ready line, and the
    seconds until every kernel was loaded (a first start answers before; None: at once)."""
    t0 = time.perf_counter()
    popen, workdir = launch_mako(env=env)
    server = Server("mako", popen, 0, workdir)
    try:
        port, rest = wait_ready(popen, workdir, timeout)
        with socket.create_connection((HOST, port), timeout=10) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = s.recv(16)
        t = time.perf_counter() - t0
        if not reply.startswith(b"+PONG"):
            raise RuntimeError(f"PING answered {reply!r}")
        m = KERNELS_RE.search(rest.encode())
        kernels = (m.group(1).decode(), float(m.group(2))) if m else ("?", float("nan"))
        every = None
        if "still compiling" in rest:       # the cache must be whole before the warm starts
            wait_all_kernels(popen, workdir, timeout)
            every = time.perf_counter() - t0
        return t, kernels, every
    finally:
        server.stop()


def measure(runs, cold=True):
    """{'cold': seconds or None, 'warm': [seconds, ...]} to first PONG, printing each.

    Without `cold`, the warm starts use the bench's own kernel cache (which
    the servers started before have filled) instead of a fresh one.
    """
    cache = tempfile.mkdtemp(prefix="bench-cache-")
    out = {"cold": None, "warm": []}
    try:
        env = dict(os.environ, MAKO_NUMBA_CACHE_DIR=cache) if cold else None
        if cold:
            print(f"cold start (empty cache in {cache}) ...", flush=True)
            t, (how, ksec), every = first_pong(env, COLD_TIMEOUT)
            out["cold"] = t
            later = f"; every kernel after {every:.2f} s" if every else ""
            print(f"  cold: {t:7.2f} s to first PONG (kernels {how} in {ksec:.2f} s{later})", flush=True)
        for _ in range(runs):
            t, (how, ksec), _ = first_pong(env, 120)
            out["warm"].append(t)
            print(f"  warm: {t:7.2f} s to first PONG (kernels {how} in {ksec:.2f} s)", flush=True)
            if how != "loaded from cache":
                print("  warning: the warm start did not load its kernels from the cache")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


def run(runs):
    warn = machine.load_warning()
    if warn:
        print(warn, flush=True)
    res = measure(runs)
    print()
    print(f"startup to first PONG: cold {res['cold']:.2f} s, warm {statistics.median(res['warm']):.2f} s "
          f"(median of {len(res['warm'])})")
    return 0


def add_arguments(p):
    p.add_argument("--runs", type=int, default=3, help="warm starts to time (default 3)")


def main(opts):
    if opts.runs < 1:
        raise SystemExit("--runs must be at least 1")
    return run(opts.runs)
