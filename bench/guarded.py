"""Throughput with a password and with eviction, against neither, beside Redis.

    ./dev bench guarded [--runs 3] [--maxmemory 20mb] [--requests 300000]

Starts three mako_numba and three redis-server: plain, `--requirepass`
(redis-benchmark authenticates with `-a`), and `--maxmemory M
--maxmemory-policy allkeys-lru` (a warm-up fills it to the limit, so every
measured SET of a new key evicts).  Each run is redis-benchmark `-t set` or
`-t get`, `-r 1000000 -c 50`, at pipeline 16 and 1.  Runs alternate: every
round measures every case on every server, in an order that rotates from
round to round, so drift on a shared machine hits all of them.  Prints the
median requests per second of each, each condition against plain on the
same server, and mako against Redis under each condition.
"""
import csv
import shutil
import statistics
import subprocess

from .servers import info_fields, start_mako, start_redis

PASSWORD = "bench-password"
CONDITIONS = ("plain", "requirepass", "eviction")
CASES = [("set", 16), ("get", 16), ("set", 1), ("get", 1)]


def add_arguments(p):
    p.add_argument("--runs", type=int, default=3, help="rounds (default 3)")
    p.add_argument("--maxmemory", default="20mb", help="the eviction servers' limit (default 20mb)")
    p.add_argument("--requests", type=int, default=300_000,
                   help="requests per run at pipeline 16 (a sixth of it at pipeline 1; default 300,000)")


def _options(cond, maxmemory):
    if cond == "requirepass":
        return ("--requirepass", PASSWORD)
    if cond == "eviction":
        return ("--maxmemory", maxmemory, "--maxmemory-policy", "allkeys-lru")
    return ()


def _benchmark(server, cond, workload, pipeline, n):
    exe = shutil.which("redis-benchmark")
    if exe is None:
        raise RuntimeError("redis-benchmark not found (./dev bench installs redis-tools as root)")
    argv = [exe, "-h", server.host, "-p", str(server.port), "-t", workload, "-r", "1000000",
            "-c", "50", "-P", str(pipeline), "-n", str(n), "--csv"]
    if cond == "requirepass":
        argv += ["-a", PASSWORD]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    rows = [r for r in csv.reader(out.stdout.splitlines()) if r and r[0] == workload.upper()]
    if out.returncode != 0 or not rows:
        raise RuntimeError(f"redis-benchmark failed against {server.name} ({cond}): {out.stderr.strip()}")
    return float(rows[0][1])


def _evicted(server):
    return int(info_fields(server, "stats").get("evicted_keys", 0))


def main(opts):
    servers = {}
    try:
        for cond in CONDITIONS:
            servers[("mako", cond)] = start_mako(extra=_options(cond, opts.maxmemory))
            servers[("redis", cond)] = start_redis(extra=_options(cond, opts.maxmemory))
        for (kind, cond), server in servers.items():     # warm-up; fills the eviction servers
            for _ in range(20):
                _benchmark(server, cond, "set", 16, opts.requests)
                if cond != "eviction" or _evicted(server):
                    break
            else:
                raise RuntimeError(f"{kind} never reached --maxmemory {opts.maxmemory}")
        before = {kind: _evicted(servers[(kind, "eviction")]) for kind in ("mako", "redis")}
        results = {}
        order = [(kind, cond, w, p) for w, p in CASES for cond in CONDITIONS for kind in ("mako", "redis")]
        for run in range(opts.runs):
            shift = run * 5 % len(order)
            for kind, cond, w, p in order[shift:] + order[:shift]:
                n = opts.requests if p > 1 else opts.requests // 6
                rps = _benchmark(servers[(kind, cond)], cond, w, p, n)
                results.setdefault((kind, cond, w, p), []).append(rps)
                print(f"run {run + 1}: {kind:5} {cond:11} {w.upper():3} P={p:<2} {rps:10.0f} req/s", flush=True)
        evicted = {kind: _evicted(servers[(kind, "eviction")]) - before[kind] for kind in ("mako", "redis")}
    finally:
        for server in servers.values():
            server.stop()
    med = {k: statistics.median(v) for k, v in results.items()}
    sets = opts.runs * (opts.requests + opts.requests // 6)
    print(f"\nmedians of {opts.runs} runs (req/s); keys evicted per measured SET: "
          f"mako {evicted['mako'] / sets:.2f}, redis {evicted['redis'] / sets:.2f}\n")
    print("| case | condition | mako | redis | mako/redis | mako vs plain | redis vs plain |")
    print("|---|---|---|---|---|---|---|")
    for w, p in CASES:
        for cond in CONDITIONS:
            m, r = med[("mako", cond, w, p)], med[("redis", cond, w, p)]
            mp, rp = med[("mako", "plain", w, p)], med[("redis", "plain", w, p)]
            print(f"| {w.upper()} P={p} | {cond} | {m:.0f} | {r:.0f} | {m / r:.2f} | {m / mp:.2f} | {r / rp:.2f} |")
    return 0
