"""`python -m bench persistence`: RDB snapshots, mako_numba beside redis-server.

Each server in turn, alone on the machine (mako first): started with no save
points (`--save ""`) and a data directory of its own, filled with N keys
(`key:%012d` = 8 bytes, servers.load_keys), then:
- SAVE: the command's round trip (the file written in the foreground);
- BGSAVE on a quiet server: `latest_fork_usec` (INFO stats: the parent's
  time in fork()), the time from sending BGSAVE until INFO says it ended
  (polled every POLL s; both servers reap their child in a 10 Hz cron, so
  this includes up to 0.1 s of waiting), the child's own writing time (from
  its "Background saving started" and "DB saved on disk" log lines, ms
  stamps), and `rdb_last_cow_size` (INFO persistence: the child's private
  dirty memory at its end);
- BGSAVE while a writer keeps writing: another process overwrites random
  keys, SETs pipelined WRITE_BATCH at a time, flat out, from before the
  BGSAVE to its end; the same figures and the writes done meanwhile.  The
  copy-on-write grows with the pages the writes touch, so it depends on how
  long the save lasts as much as on the write rate;
- the RDB file's size;
- load at start: the server restarted on its file, the "DB loaded from
  disk: X seconds" line both servers log, and launch to first PONG minus
  the median of EMPTY_STARTS launches on an empty directory (mako's start
  includes loading its kernels from the cache, about a second, so at small
  N the difference is noise).

Printed: a table with both servers and the ratio mako/redis per figure.
Written: OUT/persistence-YYYYMMDD-HHMMSS-N.csv, one row per figure.

`--case file` instead loads one file that redis-server wrote into both
servers, then saves it (bench/persistfile.py); `--case hashes` the same with
hashes of 10 fields.
"""
import contextlib
import multiprocessing as mp
import os
import re
import shutil
import socket
import statistics
import tempfile
import time
from datetime import datetime

import numpy as np

from . import machine, report, wire
from .servers import (
    HOST, Server, command, die_with_parent, info_fields, launch_mako, launch_redis, load_keys,
    ping, start_mako, start_redis, wait_ready,
)

POLL = 0.01             # seconds between INFO polls while a BGSAVE runs
WRITE_BATCH = 1000      # SETs per send of the writer
EMPTY_STARTS = 3        # empty starts timed; their median is subtracted
SAVE_TIMEOUT = 1800     # seconds a SAVE or BGSAVE may take (10 million keys in Python)
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
LOG_RE = re.compile(r"^(\d+):[MC] (\d+ \w+ \d+ [\d:.]+) . (.*)$")
LOADED_RE = re.compile(r"DB loaded from disk: ([\d.]+) seconds")

# (name, unit, what), in print order
FIGURES = [
    ("keys", "", "keys"),
    ("rss_mb", "MiB", "RSS before the snapshots"),
    ("save_sec", "s", "SAVE"),
    ("fork_usec", "us", "BGSAVE fork (latest_fork_usec), quiet"),
    ("bgsave_sec", "s", "BGSAVE to its end seen in INFO, quiet"),
    ("child_sec", "s", "BGSAVE child writing (log), quiet"),
    ("cow_mb", "MiB", "rdb_last_cow_size, quiet"),
    ("fork_usec_w", "us", "BGSAVE fork, while writing"),
    ("bgsave_sec_w", "s", "BGSAVE to its end, while writing"),
    ("writes_w", "", "SETs done during that BGSAVE"),
    ("write_rate_w", "SET/s", "their rate"),
    ("cow_mb_w", "MiB", "rdb_last_cow_size, while writing"),
    ("rdb_mb", "MiB", "RDB file size"),
    ("load_log_sec", "s", "load at start (DB loaded from disk)"),
    ("start_file_sec", "s", "launch to first PONG, with the file"),
    ("start_empty_sec", "s", f"launch to first PONG, empty (median of {EMPTY_STARTS})"),
    ("load_pong_sec", "s", "load by PONG (with file - empty)"),
]


def _writer(host, port, n, stop, ready, done, max_seconds):
    """Child process: overwrite random keys of n, WRITE_BATCH SETs per send, until `stop`.

    Every batch draws new keys over the whole key space (built while the
    server answers the previous one).
    """
    die_with_parent()
    rng = np.random.default_rng(7)
    ops = np.full(WRITE_BATCH, wire.SET, np.int8)

    def batch():
        return wire.build(ops, rng.integers(0, n, WRITE_BATCH), 8)[0].tobytes()
    ok = b"+OK\r\n" * WRITE_BATCH
    with socket.create_connection((host, port), timeout=60) as s:
        deadline = time.monotonic() + max_seconds
        i = 0
        nxt = batch()
        while not stop.is_set() and time.monotonic() < deadline:
            s.sendall(nxt)
            nxt = batch()
            got = b""
            while len(got) < len(ok):
                chunk = s.recv(1 << 16)
                if not chunk:
                    raise SystemExit(1)
                got += chunk
            if got != ok:
                raise SystemExit(f"a SET was answered {got[:80]!r}")
            i += 1
            done.value = i * WRITE_BATCH
            if i == 2:
                ready.set()


class Writer:
    """Overwrites random keys of `server` from another process while the `with` block runs."""

    def __init__(self, server, n, max_seconds):
        ctx = mp.get_context("fork")
        self.stop, self.ready = ctx.Event(), ctx.Event()
        self.done = ctx.Value("q", 0, lock=False)
        self.proc = ctx.Process(target=_writer, daemon=True,
                                args=(server.host, server.port, n, self.stop, self.ready,
                                      self.done, max_seconds))

    def __enter__(self):
        wire.warm_up()
        self.proc.start()
        if not self.ready.wait(60):
            self.proc.kill()
            raise RuntimeError("the writer did not start")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.proc.join(30)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        elif self.proc.exitcode != 0 and exc[0] is None:
            raise RuntimeError(f"the writer failed (exit {self.proc.exitcode})")


def _stamp(text):
    return datetime.strptime(text, "%d %b %Y %H:%M:%S.%f").timestamp()


def child_seconds(log, since):
    """Seconds between the last "Background saving started" and its child's "DB saved on disk"."""
    started = saved = None
    for line in log.splitlines()[since:]:
        m = LOG_RE.match(line)
        if not m:
            continue
        if m.group(3).startswith("Background saving started"):
            started, saved = _stamp(m.group(2)), None
        elif m.group(3) == "DB saved on disk" and started is not None:
            saved = _stamp(m.group(2))
    return saved - started if started is not None and saved is not None else float("nan")


def bgsave(server, n, writing):
    """One BGSAVE, quiet or with the writer going; its figures."""
    since = len(server.log().splitlines())
    res = {}
    with Writer(server, n, SAVE_TIMEOUT) if writing else contextlib.nullcontext() as writer:
        w0 = writer.done.value if writing else 0
        t0 = time.perf_counter()
        reply = command(server, "BGSAVE")
        if not reply.startswith(b"+Background saving started"):
            raise RuntimeError(f"{server.name}: BGSAVE answered {reply!r}")
        while info_fields(server, "persistence")["rdb_bgsave_in_progress"] != "0":
            if time.perf_counter() - t0 > SAVE_TIMEOUT:
                raise RuntimeError(f"{server.name}: BGSAVE did not end")
            time.sleep(POLL)
        secs = time.perf_counter() - t0
        writes = writer.done.value - w0 if writing else 0
    pers, stats = info_fields(server, "persistence"), info_fields(server, "stats")
    if pers["rdb_last_bgsave_status"] != "ok":
        raise RuntimeError(f"{server.name}: BGSAVE failed:\n{server.log()[-2000:]}")
    sfx = "_w" if writing else ""
    res["fork_usec" + sfx] = int(stats["latest_fork_usec"])
    res["bgsave_sec" + sfx] = secs
    res["cow_mb" + sfx] = int(pers["rdb_last_cow_size"]) / 2**20
    if writing:
        res["writes_w"] = writes
        res["write_rate_w"] = writes / secs
    else:
        res["child_sec"] = child_seconds(server.log(), since)
    return res


def settle(server, timeout=60):
    """Wait for mako's table to finish growing (a rehash running in the parent copies pages)."""
    deadline = time.monotonic() + timeout
    while server.name == "mako" and time.monotonic() < deadline:
        if info_fields(server, "mako").get("table_rehashing", "0") == "0":
            return
        time.sleep(0.1)


def measure(name, n, data):
    """Fill one server in data/, take the snapshots; its figures."""
    extra = ("--dir", data)
    with (start_mako(extra=extra) if name == "mako" else start_redis(extra=extra)) as server:
        print(f"{name}: pid {server.pid} on {server.host}:{server.port}; loading {n:,} keys ...",
              flush=True)
        load_keys(server, n)
        settle(server)
        res = {"keys": n, "rss_mb": server.rss_bytes() / 2**20}
        t0 = time.perf_counter()
        reply = command(server, "SAVE", timeout=SAVE_TIMEOUT)
        res["save_sec"] = time.perf_counter() - t0
        if reply != b"+OK\r\n":
            raise RuntimeError(f"{name}: SAVE answered {reply!r}")
        res.update(bgsave(server, n, writing=False))
        res.update(bgsave(server, n, writing=True))
        dbsize = command(server, "DBSIZE")
        if dbsize != b":%d\r\n" % n:
            raise RuntimeError(f"{name}: DBSIZE gave {dbsize!r} after the snapshots")
    res["rdb_mb"] = os.path.getsize(os.path.join(data, "dump.rdb")) / 2**20
    res["start_file_sec"], log = first_pong(name, data)
    m = LOADED_RE.search(log)
    if not m or f"keys loaded: {n}," not in log:
        raise RuntimeError(f"{name} did not load its file:\n{log[-2000:]}")
    res["load_log_sec"] = float(m.group(1))
    empty = tempfile.mkdtemp(prefix="bench-empty-")
    try:
        res["start_empty_sec"] = statistics.median(first_pong(name, empty)[0]
                                                   for _ in range(EMPTY_STARTS))
    finally:
        shutil.rmtree(empty, ignore_errors=True)
    res["load_pong_sec"] = res["start_file_sec"] - res["start_empty_sec"]
    print("  " + ", ".join(f"{k} {_fmt(v)}" for k, v in res.items()), flush=True)
    return res


def start_on(name, data, timeout=SAVE_TIMEOUT):
    """A server started on data/dump.rdb, and the seconds from launch to its first PONG."""
    t0 = time.perf_counter()
    if name == "mako":
        popen, workdir = launch_mako(extra=("--dir", data))
        server = Server(name, popen, 0, workdir)
    else:
        popen, port, workdir = launch_redis(extra=("--dir", data))
        server = Server(name, popen, port, workdir)
    try:
        if name == "mako":
            server.port, _ = wait_ready(popen, workdir, timeout)
        while not ping(HOST, server.port, 1.0):
            if popen.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{server.log()}")
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"{name} did not answer PING")
            time.sleep(0.002)
        return server, time.perf_counter() - t0
    except BaseException:
        server.stop()
        raise


def first_pong(name, data, timeout=SAVE_TIMEOUT):
    """Seconds from spawning the server on data/ to its first +PONG, and its log."""
    server, seconds = start_on(name, data, timeout)
    with server:
        return seconds, server.log()


def _fmt(v):
    if isinstance(v, int):
        return f"{v:,}"
    if v != v:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


def show_and_save(rows, out_dir, prefix, n):
    """Print the rows as a table and write them to out_dir/<prefix><time>-<n>.csv."""
    print()
    for line in report.table(["figure", "unit", "mako", "redis", "mako/redis"],
                             [[r["what"], r["unit"], _fmt(r["mako"]), _fmt(r["redis"]),
                               "-" if r["ratio_mako_redis"] != r["ratio_mako_redis"]
                               else f"{r['ratio_mako_redis']:.2f}"] for r in rows]):
        print(line)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, time.strftime(prefix + "%Y%m%d-%H%M%S-") + f"{n}.csv")
    report.write_csv(path, rows, ["figure", "what", "unit", "mako", "redis", "ratio_mako_redis"])
    print(f"\nwrote {path}")


def rows_of(results, figures=FIGURES):
    rows = []
    for key, unit, what in figures:
        m, r = results["mako"].get(key), results["redis"].get(key)
        ratio = m / r if m is not None and r and r == r and m == m else float("nan")
        rows.append({"figure": key, "what": what, "unit": unit, "mako": m, "redis": r,
                     "ratio_mako_redis": ratio})
    return rows


def run(n, out_dir):
    warn = machine.load_warning()
    if warn:
        print(warn, flush=True)
    results = {}
    for name in ("mako", "redis"):
        data = tempfile.mkdtemp(prefix=f"bench-{name}-data-")
        try:
            results[name] = measure(name, n, data)
        finally:
            shutil.rmtree(data, ignore_errors=True)
    show_and_save(rows_of(results), out_dir, "persistence-", n)
    warn = machine.load_warning()
    if warn:
        print(warn)
    return 0


def add_arguments(p):
    p.add_argument("--case", choices=("snapshots", "file", "hashes"), default="snapshots",
                   help="snapshots: each server filled over the network, saved, restarted "
                        "(default); file: one file written by redis-server loaded by both, "
                        "then saved (bench/persistfile.py); hashes: the same with hashes of "
                        "10 fields")
    p.add_argument("--keys", type=int, default=1_000_000,
                   help="keys in each server (default 1,000,000; 20000 for a smoke "
                        "run; 10000000 for the long one)")
    p.add_argument("--out", default=RESULTS_DIR, help="directory of the CSV (default bench/results)")


def main(opts):
    if opts.keys < 1000:
        raise SystemExit("--keys must be at least 1000")
    if opts.case in ("file", "hashes"):
        from . import persistfile       # it builds on this module's figures and BGSAVE
        return persistfile.run(opts.keys, opts.out, hashes=opts.case == "hashes")
    return run(opts.keys, opts.out)
