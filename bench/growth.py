"""`python -m bench growth`: the worst stall while the key space grows.

Loading N keys makes the server's index double many times (4096 slots to
tens of millions).  mako_numba rehashes incrementally, so no single request
should wait for a whole table copy; this measures whether that holds.

Method:
- A loader connection SETs `key:%012d` = 8 bytes, N times, 10,000 commands
  per send with two sends in flight (servers.load_keys).
- Meanwhile a second process (not a thread: no shared GIL with the loader)
  sends PING one at a time on its own connection, in a tight loop, and
  records every round-trip time.  It keeps going for SETTLE seconds after
  the load so the end of a rehash is seen too, and it stops by itself after
  a time bound even if the loader hangs.
- Reported: load time and rate, PING round trips during the load (p50,
  p99, p99.9, worst, and how many keys were loaded when the worst came),
  INFO memory's used_memory, the server's RSS, and bytes per key.

`--compare` runs the same against redis-server afterwards.  The machine has
two cores and three busy processes here (server, loader, pinger), so some
of every pause is the scheduler; compare with Redis on the same machine.
"""
import bisect
import multiprocessing as mp
import os
import shutil
import socket
import tempfile
import time
from array import array

import numpy as np

from . import machine
from .servers import command, die_with_parent, info_fields, load_keys, start_mako, start_redis

SETTLE = 1.0            # seconds of pinging after the load
PING = b"*1\r\n$4\r\nPING\r\n"
PONG = b"+PONG\r\n"


def _pinger(host, port, stop, ready, path, max_seconds):
    """Child process: PING in a loop until `stop`; save (send time, rtt) pairs."""
    die_with_parent()
    sent = array("d")
    rtt = array("d")
    clock = time.perf_counter
    with socket.create_connection((host, port), timeout=60) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ready.set()
        deadline = clock() + max_seconds
        while not stop.is_set():
            t0 = clock()
            if t0 > deadline:
                break
            s.sendall(PING)
            got = b""
            while len(got) < len(PONG):
                chunk = s.recv(64)
                if not chunk:
                    raise SystemExit(1)
                got += chunk
            sent.append(t0)
            rtt.append(clock() - t0)
    np.save(path, np.stack([np.frombuffer(sent), np.frombuffer(rtt)]))


class Prober:
    """PINGs `server` one at a time from a separate process while the `with` block runs.

    Afterwards `stats(t0, t1)` describes the round trips of the PINGs sent
    in [t0, t1) (perf_counter times).  The prober stops by itself after
    max_seconds even if the block hangs.
    """

    def __init__(self, server, max_seconds):
        self.server = server
        self.max_seconds = max_seconds
        self.sent = self.rtt = None

    def __enter__(self):
        self.tmp = tempfile.mkdtemp(prefix="bench-probe-")
        self.path = os.path.join(self.tmp, "pings.npy")
        ctx = mp.get_context("fork")
        self.stop, ready = ctx.Event(), ctx.Event()
        self.proc = ctx.Process(target=_pinger, daemon=True,
                                args=(self.server.host, self.server.port, self.stop, ready,
                                      self.path, self.max_seconds))
        self.proc.start()
        if not ready.wait(30):
            self.__exit__()
            raise RuntimeError("the PING prober could not connect")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.proc.join(30)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()
        try:
            if self.proc.exitcode == 0:
                self.sent, self.rtt = np.load(self.path)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self.sent is None and (not exc or exc[0] is None):
            raise RuntimeError(f"the PING prober failed (exit {self.proc.exitcode})")

    def stats(self, t0, t1=float("inf")):
        """pings, p50/p99/p99.9/worst (us) and the send time of the worst, in [t0, t1)."""
        inside = (self.sent >= t0) & (self.sent < t1)
        d = self.rtt[inside] * 1e6
        if not d.size:
            return {"pings": 0}
        worst = int(np.argmax(d))
        p50, p99, p999 = np.percentile(d, [50, 99, 99.9])
        return {"pings": int(d.size), "p50": float(p50), "p99": float(p99), "p999": float(p999),
                "worst": float(d[worst]), "worst_t": float(self.sent[inside][worst]),
                "over_1ms": int((d > 1000).sum()), "over_10ms": int((d > 10_000).sum())}


def _keys_at(progress, t):
    """Keys loaded when time t was reached (from the loader's progress marks)."""
    times = [p[0] for p in progress]
    i = bisect.bisect_right(times, t)
    return progress[i - 1][1] if i > 0 else 0


def measure(server, n):
    rss0 = server.rss_bytes()
    progress = []
    with Prober(server, 120 + n / 10_000) as probe:
        cpu0 = server.cpu_seconds()
        t_start = time.perf_counter()
        progress.append((t_start, 0))
        secs = load_keys(server, n, progress=lambda done: progress.append((time.perf_counter(), done)))
        t_end = time.perf_counter()
        cpu = server.cpu_seconds() - cpu0
        time.sleep(SETTLE)
    dbsize = command(server, "DBSIZE")
    if dbsize != b":%d\r\n" % n:
        raise RuntimeError(f"{server.name}: DBSIZE gave {dbsize!r} after loading {n} keys")
    mem = info_fields(server, "memory")
    res = {
        "server": server.name, "n": n, "load_sec": secs, "cpu_sec": cpu,
        "used_memory": int(mem.get("used_memory", 0)),
        "rss": server.rss_bytes(), "rss0": rss0,
    }
    res.update(probe.stats(t_start, t_end))
    if "worst_t" in res:
        res["worst_keys"] = _keys_at(progress, res["worst_t"])
    after = probe.stats(t_end)
    res["pings_after"] = after["pings"]
    res["worst_after"] = after.get("worst", float("nan"))
    if server.name == "mako":
        res["mako"] = info_fields(server, "mako")
    return res


def report(r):
    n = r["n"]
    print(f"{r['server']}: loaded {n:,} keys in {r['load_sec']:.2f} s "
          f"({n / r['load_sec']:,.0f} SET/s; server CPU {r['cpu_sec']:.2f} s, "
          f"{r['cpu_sec'] * 1e6 / n:.2f} us per SET)")
    if "worst" in r:
        print(f"  PING round trips during the load ({r['pings']:,} pings): "
              f"p50 {r['p50']:,.0f} us, p99 {r['p99']:,.0f} us, p99.9 {r['p999']:,.0f} us, "
              f"worst {r['worst'] / 1000:,.1f} ms (at ~{r['worst_keys']:,} keys); "
              f"{r['over_1ms']} over 1 ms, {r['over_10ms']} over 10 ms")
    else:
        print("  no PING completed during the load")
    print(f"  worst PING in the {SETTLE:.0f} s after the load: {r['worst_after'] / 1000:,.1f} ms "
          f"({r['pings_after']:,} pings)")
    used, rss, rss0 = r["used_memory"], r["rss"], r["rss0"]
    print(f"  INFO used_memory {used / 2**20:,.1f} MiB ({used / n:.1f} bytes/key); "
          f"RSS {rss / 2**20:,.1f} MiB ({(rss - rss0) / n:.1f} bytes/key above the "
          f"{rss0 / 2**20:,.1f} MiB before loading)")
    if "mako" in r:
        m = r["mako"]
        print(f"  table_slots {int(m.get('table_slots', 0)):,}, rehashing {m.get('table_rehashing')}, "
              f"arena_chunks {m.get('arena_chunks')}, deferred_requests {m.get('deferred_requests')}")


def run(n, compare):
    warn = machine.load_warning()
    if warn:
        print(warn, flush=True)
    results = []
    with start_mako() as mako:
        print(f"mako_numba pid {mako.pid} on {mako.host}:{mako.port}: loading {n:,} keys ...",
              flush=True)
        results.append(measure(mako, n))
    report(results[-1])
    if compare:
        with start_redis() as redis:
            print(f"\nredis-server pid {redis.pid} on {redis.host}:{redis.port}: "
                  f"loading {n:,} keys ...", flush=True)
            results.append(measure(redis, n))
        report(results[-1])
    warn = machine.load_warning()
    if warn:
        print(warn)
    return 0


def add_arguments(p):
    p.add_argument("--keys", type=int, default=10_000_000,
                   help="keys to load (default 10,000,000; 1000000 for a quick look)")
    p.add_argument("--compare", action="store_true", help="also load redis-server the same way")


def main(opts):
    if opts.keys < 1000:
        raise SystemExit("--keys must be at least 1000")
    return run(opts.keys, opts.compare)
