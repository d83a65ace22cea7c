"""`python -m bench durability`: SET throughput with the append-only file on, beside redis-server.

Both servers run with `appendonly yes` and the same `appendfsync` (always,
then everysec), in directories of their own, no snapshots.  redis-benchmark
sends SET of 8-byte values over 1,000,000 keys from 50 clients at P=1 and
P=16; runs alternate between the servers (who goes first swaps each round),
and the medians, spreads and the mako/redis ratio are printed and written
to bench/results/<stamp>-durability/runs.csv.  `--runs` and `--seconds` set
the effort; `--quick` is a short look (1 run, small -n).
"""
import os
import time

from . import report, runs
from .profiles import REDIS_BENCHMARK, Case
from .servers import start_mako, start_redis

POLICIES = ("always", "everysec")
CASES = [Case(REDIS_BENCHMARK, "set", 50, p, 8) for p in (1, 16)]


def add_arguments(p):
    p.add_argument("--runs", type=int, default=3, help="runs per server, policy and case (default 3)")
    p.add_argument("--seconds", type=float, default=2.0, help="about how long one run lasts")
    p.add_argument("--quick", action="store_true", help="one short run each")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))


def main(opts):
    nruns, seconds = (1, 0.5) if opts.quick else (opts.runs, opts.seconds)
    rows = []
    for policy in POLICIES:
        aof = ["--appendonly", "yes", "--appendfsync", policy]
        with start_mako(aof) as mako, start_redis(extra=aof) as redis:
            servers = [mako, redis]
            for case in CASES:
                n = runs.calibrate(servers, case, seconds)
                for i in range(nruns):
                    for server in (servers if i % 2 == 0 else servers[::-1]):
                        row = runs.measure(server, case, n, run=i + 1)
                        row["appendfsync"] = policy
                        rows.append(row)
                        print(f"  {policy:8} {server.name:5} {case.label:16} "
                              f"{row['ops_per_sec']:>12,.0f} ops/s  p99 {row['p99_us']:>8,.0f} us  "
                              f"cpu {row['server_cpu_us_per_op']:.2f} us/op", flush=True)
    out = os.path.join(opts.out, time.strftime("%Y%m%d-%H%M%S-durability"))
    os.makedirs(out, exist_ok=True)
    report.write_csv(os.path.join(out, "runs.csv"), rows,
                     ["appendfsync"] + runs.SEED_COLUMNS + ["clients", "pipeline", "run",
                                                            "server_cpu_us_per_op"])
    print()
    print(summary(rows))
    print(f"\nwrote {out}/runs.csv")
    return 0


def summary(rows):
    """The table: per policy and case, medians (min-max) and the mako/redis ratio."""
    lines = ["| appendfsync | case | mako ops/s | redis ops/s | mako/redis | mako p99 us | redis p99 us |",
             "|---|---|---|---|---|---|---|"]
    keys = []
    for r in rows:
        k = (r["appendfsync"], r["_case"])
        if k not in keys:
            keys.append(k)
    for policy, case in keys:
        pick = [r for r in rows if r["appendfsync"] == policy and r["_case"] == case]
        m = [r for r in pick if r["server"] == "mako"]
        d = [r for r in pick if r["server"] == "redis"]
        ratio = [a["ops_per_sec"] / b["ops_per_sec"] for a, b in zip(m, d)]
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            policy, case.label, report.spread([r["ops_per_sec"] for r in m]).fmt(),
            report.spread([r["ops_per_sec"] for r in d]).fmt(), report.spread(ratio).fmt("{:.2f}"),
            report.spread([r["p99_us"] for r in m]).fmt(), report.spread([r["p99_us"] for r in d]).fmt()))
    return "\n".join(lines)
