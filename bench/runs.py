"""One measured run: one case against one server, by redis-benchmark or by bench.loadgen.

Rules:
- `measure` returns one CSV row (a dict with the COLUMNS; keys starting
  with `_` are not written).  The seed's columns come first.
- Server CPU is user and system seconds from /proc/PID/stat before and
  after the run, divided by the requests served.  The client's own CPU
  (redis-benchmark's from RUSAGE_CHILDREN, the load generator's from its
  workers) gives its busy share and its ceiling (requests per CPU-second
  per client thread, times the threads); machine.CpuWatch gives the CPU
  other processes used meanwhile.
- redis-benchmark runs a fixed -n (sized by `calibrate` so that a run on
  the slower server takes about run_sec); the load generator runs run_sec.
  Both are bounded: a redis-benchmark that overruns its timeout is killed.
- threads: redis-benchmark's client threads (1: its connections share one
  event loop); for the load generator, its worker processes.  With -P, a
  latency is the round trip of a whole pipeline.
"""
import csv
import shutil
import subprocess
import time

from . import loadgen, machine
from .profiles import GET_SHARE, LOADGEN, ZIPF_S
from .servers import die_with_parent

SEED_COLUMNS = ["server", "host", "port", "workload", "key_dist", "threads", "value_size",
                "duration_sec", "total_ops", "ops_per_sec", "ops_per_sec_per_thread",
                "p50_us", "p95_us", "p99_us"]
COLUMNS = SEED_COLUMNS + [
    "clients", "pipeline", "generator", "run",
    "server_cpu_user_us_per_op", "server_cpu_sys_us_per_op", "server_cpu_us_per_op",
    "client_cpu_share", "client_ceiling_ops_per_sec", "other_cpu_share",
    "ratio_ops_per_sec", "ratio_cpu_per_op", "ratio_p99"]
MIN_N, MAX_N = 2_000, 50_000_000


def redis_benchmark(server, case, n, timeout):
    """One redis-benchmark run; its CSV row as floats (rps, latencies in ms)."""
    exe = shutil.which("redis-benchmark")
    if exe is None:
        raise RuntimeError("redis-benchmark not found (./dev bench installs redis-tools as root)")
    cmd = [exe, "-h", server.host, "-p", str(server.port), "-t", case.workload,
           "-r", str(case.keyspace), "-d", str(case.value_size), "-c", str(case.clients),
           "-P", str(case.pipeline), "-n", str(n), "--csv"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"redis-benchmark ran over {timeout:.0f} s against {server.name}")
    if out.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed against {server.name}: {out.stderr.strip()}")
    rows = list(csv.reader(line for line in out.stdout.splitlines() if line.strip()))
    for row in rows[1:]:
        if row and row[0].lower() == case.workload:
            return {h: float(v) for h, v in zip(rows[0][1:], row[1:])}
    raise RuntimeError(f"redis-benchmark printed no {case.workload.upper()} row:\n{out.stdout}")


def _rb_load(server, case, n, timeout):
    """redis-benchmark as a load: the row fields it gives, and its own CPU seconds."""
    c0 = machine.children_cpu()
    r = redis_benchmark(server, case, n, timeout)
    client_cpu = machine.children_cpu() - c0
    return {"total_ops": n, "ops_per_sec": r["rps"], "threads": 1,
            "p50_us": r["p50_latency_ms"] * 1000, "p95_us": r["p95_latency_ms"] * 1000,
            "p99_us": r["p99_latency_ms"] * 1000}, client_cpu


def _lg_load(server, case, seconds, workers):
    r = loadgen.run(server.host, server.port, clients=case.clients, pipeline=case.pipeline,
                    value_size=case.value_size, seconds=seconds, workers=workers,
                    get_share=GET_SHARE, keyspace=case.keyspace, zipf=ZIPF_S)
    if r["errors"]:
        raise RuntimeError(f"{server.name} answered {r['errors']} requests with errors")
    return {k: r[k] for k in ("total_ops", "ops_per_sec", "p50_us", "p95_us", "p99_us")} | {
        "threads": r["workers"]}, r["client_cpu_sec"]


def measure(server, case, amount, run=1, workers=1, timeout=120):
    """Run `case` once on `server` (amount: -n for redis-benchmark, seconds for loadgen)."""
    watch = machine.CpuWatch(server.cpu_seconds).start()
    user0, sys0 = server.cpu_times()
    t0 = time.perf_counter()
    if case.generator == LOADGEN:
        row, client_cpu = _lg_load(server, case, amount, workers)
    else:
        row, client_cpu = _rb_load(server, case, amount, timeout)
    wall = time.perf_counter() - t0
    user1, sys1 = server.cpu_times()
    watch.stop()
    if not server.alive():
        raise RuntimeError(f"{server.name} died during the run:\n{server.log()[-2000:]}")
    n, threads = row["total_ops"], row["threads"]
    duration = amount if case.generator == LOADGEN else wall
    row.update({
        "server": server.name, "host": server.host, "port": server.port,
        "workload": case.workload, "key_dist": case.key_dist, "value_size": case.value_size,
        "duration_sec": round(duration, 3), "ops_per_sec": round(row["ops_per_sec"], 1),
        "ops_per_sec_per_thread": round(row["ops_per_sec"] / threads, 1),
        "p50_us": round(row["p50_us"], 1), "p95_us": round(row["p95_us"], 1),
        "p99_us": round(row["p99_us"], 1),
        "clients": case.clients, "pipeline": case.pipeline, "generator": case.generator,
        "run": run,
        "server_cpu_user_us_per_op": round((user1 - user0) * 1e6 / n, 3),
        "server_cpu_sys_us_per_op": round((sys1 - sys0) * 1e6 / n, 3),
        "server_cpu_us_per_op": round((user1 - user0 + sys1 - sys0) * 1e6 / n, 3),
        "client_cpu_share": round(client_cpu / duration / threads, 3),
        "client_ceiling_ops_per_sec": round(n / client_cpu * threads) if client_cpu > 0 else "",
        "other_cpu_share": round(watch.other_share(), 3),
        "_case": case,
    })
    return row


def trial_n(case):
    """-n of a short calibration run (a few tenths of a second on either server)."""
    return max(MIN_N, 3_000 * case.pipeline * (3 if case.clients > 1 else 1))


def calibrate(servers, case, run_sec):
    """-n so that a run of `case` on the slower server takes about run_sec (also a warm-up)."""
    slowest = None
    for server in servers:
        rps = redis_benchmark(server, case, trial_n(case), 60)["rps"]
        slowest = rps if slowest is None else min(slowest, rps)
    n = max(MIN_N, min(MAX_N, int(run_sec * slowest)))
    return int(round(n, -3)) if n >= 10_000 else n
