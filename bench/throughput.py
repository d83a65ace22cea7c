"""`python -m bench throughput`: redis-benchmark against mako_numba and Redis, side by side.

Method:
- One mako_numba (`python -m mako_numba --port 0`) and one redis-server
  (no persistence) run for the whole command; the 100,000 keys
  redis-benchmark draws from (`key:%012d`, `-r 100000`) are SET in both
  first, with redis-benchmark's 8-byte value, so every GET hits.
- Cases: pipeline 1 and 16, each `-t set` then `-t get` (what `-t get,set`
  runs, as two invocations so each workload gets its own CPU reading), with
  `-r 100000 -d 8 -c 50 --csv`.
- `-n` is sized per pipeline by a short calibration run against both
  servers, so that a run on the slower of them takes about TARGET seconds;
  both servers then get the same `-n`.  The calibration doubles as warm-up.
- Runs alternate between the servers (mako, redis, then redis, mako, ...)
  so drift in the machine hits both alike.  The table shows medians.
- Server CPU is user+system seconds from /proc/PID/stat before and after a
  run, divided by the requests it served.  CPU used by other processes
  during each run is measured too, and a warning is printed when it was
  significant.

Each run is one CSV row in bench/results/ (or --out): see COLUMNS.  `threads`
is redis-benchmark's client threads (1; the 50 connections share one), and
latencies are redis-benchmark's, per request (with -P 16, per pipeline).
"""
import csv
import os
import shutil
import statistics
import subprocess
import time

from . import machine
from .servers import command, die_with_parent, load_keys, start_mako, start_redis

COLUMNS = ["server", "host", "port", "workload", "key_dist", "threads", "value_size",
           "pipeline", "duration_sec", "total_ops", "ops_per_sec", "ops_per_sec_per_thread",
           "p50_us", "p95_us", "p99_us", "cpu_us_per_op"]
KEYSPACE = 100_000
VALUE_SIZE = 8
CLIENTS = 50
PIPELINES = (1, 16)
TESTS = ("set", "get")
TARGET_SEC = 3.0
TARGET_SEC_QUICK = 1.5
MIN_N, MAX_N = 10_000, 20_000_000
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def redis_benchmark(server, test, pipeline, n):
    """One redis-benchmark run; a dict of its CSV row (rps, latencies in ms)."""
    exe = shutil.which("redis-benchmark")
    if exe is None:
        raise RuntimeError("redis-benchmark not found (./dev bench installs redis-tools as root)")
    cmd = [exe, "-h", server.host, "-p", str(server.port), "-t", test, "-r", str(KEYSPACE),
           "-d", str(VALUE_SIZE), "-c", str(CLIENTS), "-P", str(pipeline), "-n", str(n), "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120 + n / 5000,
                         stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
    if out.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed against {server.name}: {out.stderr.strip()}")
    return parse_csv(out.stdout, test)


def parse_csv(text, test):
    """The row of `test` in redis-benchmark --csv output, as floats."""
    rows = list(csv.reader(line for line in text.splitlines() if line.strip()))
    header = rows[0]
    for row in rows[1:]:
        if row and row[0].lower() == test:
            return {h: float(v) for h, v in zip(header[1:], row[1:])}
    raise RuntimeError(f"redis-benchmark printed no {test.upper()} row:\n{text}")


def measure(server, test, pipeline, n):
    """A run plus the server's CPU and other processes' CPU: one result dict."""
    watch = machine.CpuWatch(server.cpu_seconds).start()
    cpu0 = server.cpu_seconds()
    t0 = time.perf_counter()
    r = redis_benchmark(server, test, pipeline, n)
    wall = time.perf_counter() - t0
    cpu = server.cpu_seconds() - cpu0
    watch.stop()
    if not server.alive():
        raise RuntimeError(f"{server.name} died during the run:\n{server.log()[-2000:]}")
    return {
        "server": server.name, "host": server.host, "port": server.port, "workload": test,
        "key_dist": f"uniform:{KEYSPACE}", "threads": 1, "value_size": VALUE_SIZE,
        "pipeline": pipeline, "duration_sec": round(wall, 3), "total_ops": n,
        "ops_per_sec": r["rps"], "ops_per_sec_per_thread": r["rps"],
        "p50_us": round(r["p50_latency_ms"] * 1000, 1),
        "p95_us": round(r["p95_latency_ms"] * 1000, 1),
        "p99_us": round(r["p99_latency_ms"] * 1000, 1),
        "cpu_us_per_op": round(cpu * 1e6 / n, 3),
        "_other": watch.other_share(),
    }


def calibrate(servers, pipeline, target):
    """-n so that the slower server's slower workload takes about `target` seconds."""
    trial = 5_000 * pipeline
    slowest = None
    for server in servers:
        for test in TESTS:
            rps = redis_benchmark(server, test, pipeline, trial)["rps"]
            slowest = rps if slowest is None else min(slowest, rps)
    n = int(target * slowest)
    n = max(MIN_N, min(MAX_N, n))
    return int(round(n, -3))


def check_values(server):
    """After the runs: every key is still there, and a value has redis-benchmark's size.

    (redis-benchmark 7 fills values with random letters, so only the size is known.)
    """
    got = command(server, "GET", "key:000000000001")
    if not (got.startswith(b"$%d\r\n" % VALUE_SIZE) and len(got) == VALUE_SIZE + 6):
        return f"{server.name}: GET key:000000000001 gave {got[:60]!r}"
    got = command(server, "DBSIZE")
    if got != b":%d\r\n" % KEYSPACE:
        return f"{server.name}: DBSIZE gave {got!r}, expected {KEYSPACE}"
    return None


def run(runs, quick, out_dir):
    target = TARGET_SEC_QUICK if quick else TARGET_SEC
    warn = machine.load_warning()
    if warn:
        print(warn, flush=True)
    rows = []
    with start_mako() as mako, start_redis() as redis:
        print(f"mako_numba pid {mako.pid} on {mako.host}:{mako.port} {mako.info}")
        print(f"redis-server pid {redis.pid} on {redis.host}:{redis.port} ({redis.info})")
        for server in (mako, redis):
            secs = load_keys(server, KEYSPACE, fmt=b"key:%012d", value=b"x" * VALUE_SIZE)
            print(f"preloaded {KEYSPACE} keys into {server.name} in {secs:.2f} s")
        for pipeline in PIPELINES:
            n = calibrate((mako, redis), pipeline, target)
            print(f"-P {pipeline}: -n {n} per run, {runs} run(s) per server", flush=True)
            for r in range(runs):
                order = (mako, redis) if r % 2 == 0 else (redis, mako)
                for server in order:
                    for test in TESTS:
                        row = measure(server, test, pipeline, n)
                        rows.append(row)
                        print(f"  run {r + 1} {server.name:5s} {test:3s} P={pipeline:<2d} "
                              f"{row['ops_per_sec']:>12,.0f} ops/s  "
                              f"{row['cpu_us_per_op']:6.2f} us cpu/op  "
                              f"p50 {row['p50_us']:.0f} us", flush=True)
        problems = [p for p in (check_values(mako), check_values(redis)) if p]
    path = write_csv(rows, out_dir)
    print()
    print_table(rows)
    noisy = [r for r in rows if r["_other"] > machine.OTHER_WARN]
    if noisy:
        worst = max(r["_other"] for r in noisy)
        print(f"\nwarning: other processes used up to {worst:.0%} of a core during "
              f"{len(noisy)} of {len(rows)} runs; compare ratios, not absolute numbers")
    warn = machine.load_warning()
    if warn:
        print(warn)
    print(f"\nwrote {path}")
    for p in problems:
        print(f"error: {p}")
    return 1 if problems else 0


def write_csv(rows, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, time.strftime("throughput-%Y%m%d-%H%M%S.csv"))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def _median(rows, server, test, pipeline, field):
    vals = [r[field] for r in rows
            if r["server"] == server and r["workload"] == test and r["pipeline"] == pipeline]
    return statistics.median(vals) if vals else float("nan")


def print_table(rows):
    head = (f"{'workload':8s} {'P':>3s} {'mako ops/s':>12s} {'redis ops/s':>12s} {'ratio':>6s} "
            f"{'mako cpu/op':>12s} {'redis cpu/op':>12s} {'ratio':>6s} "
            f"{'mako p50':>9s} {'redis p50':>9s}")
    print("medians (ratio = mako/redis; cpu in us per request; p50 in us)")
    print(head)
    print("-" * len(head))
    for pipeline in PIPELINES:
        for test in TESTS:
            m = {f: _median(rows, "mako", test, pipeline, f)
                 for f in ("ops_per_sec", "cpu_us_per_op", "p50_us")}
            r = {f: _median(rows, "redis", test, pipeline, f)
                 for f in ("ops_per_sec", "cpu_us_per_op", "p50_us")}
            ratio = m["ops_per_sec"] / r["ops_per_sec"] if r["ops_per_sec"] else float("nan")
            cratio = m["cpu_us_per_op"] / r["cpu_us_per_op"] if r["cpu_us_per_op"] else float("nan")
            print(f"{test:8s} {pipeline:>3d} {m['ops_per_sec']:>12,.0f} {r['ops_per_sec']:>12,.0f} "
                  f"{ratio:>6.2f} {m['cpu_us_per_op']:>12.2f} {r['cpu_us_per_op']:>12.2f} "
                  f"{cratio:>6.2f} {m['p50_us']:>9.0f} {r['p50_us']:>9.0f}")


def add_arguments(p):
    p.add_argument("--quick", action="store_true",
                   help="one run per server, shorter runs (about 1.5 s each)")
    p.add_argument("--runs", type=int, default=None,
                   help="runs per server and case (default 3; 1 with --quick)")
    p.add_argument("--out", default=RESULTS_DIR, help="directory for the CSV (default bench/results)")


def main(opts):
    runs = opts.runs if opts.runs is not None else (1 if opts.quick else 3)
    if runs < 1:
        raise SystemExit("--runs must be at least 1")
    return run(runs, opts.quick, opts.out)
