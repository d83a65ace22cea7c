"""`python -m bench stats`: what the statistics cost, measured with them on and off.

The kernels time every command for the latency histograms (`latency-tracking
yes`, Redis's default) and count every batch.  This runs redis-benchmark GET
and SET from 50 clients at P=1 and P=16 against one mako_numba and one
redis-server, switching `latency-tracking` between yes and no with CONFIG
SET before each run (same processes, the order swapped every round), and
prints the medians and the on/off ratio of each.  A third mako mode, `dash`,
is tracking on while this process polls `INFO everything` four times a
second, as the live dashboard does.  `--baseline REV` also
starts mako_numba as of a git revision from before the statistics existed
(e.g. 91fac22) in a temporary worktree, for the cost of the counters that
cannot be switched off.  Rows go to bench/results/<stamp>-stats/runs.csv.
"""
import os
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager

import redis

from . import report, runs
from .profiles import REDIS_BENCHMARK, Case
from .servers import ROOT, start_mako, start_redis

CASES = [Case(REDIS_BENCHMARK, t, 50, p, 8) for p in (1, 16) for t in ("get", "set")]


def add_arguments(p):
    p.add_argument("--runs", type=int, default=5, help="runs per server, mode and case (default 5)")
    p.add_argument("--seconds", type=float, default=2.0, help="about how long one run lasts")
    p.add_argument("--quick", action="store_true", help="one short run each")
    p.add_argument("--baseline", metavar="REV", help="also run mako_numba at this git revision")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))


def _tracking(server, on):
    r = redis.Redis(host=server.host, port=server.port)
    r.config_set("latency-tracking", "yes" if on else "no")
    r.close()


@contextmanager
def _polling(server, hz=4.0):
    """INFO everything every 1/hz s from a thread, as `python -m mako_numba top` polls."""
    stop = threading.Event()

    def poll():
        r = redis.Redis(host=server.host, port=server.port)
        while not stop.wait(1.0 / hz):
            r.execute_command("INFO", "everything")
        r.close()
    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()


MODES = {"mako": ("on", "off", "dash"), "redis": ("on", "off"), "base": ("-",)}


def main(opts):
    nruns, seconds = (1, 0.5) if opts.quick else (opts.runs, opts.seconds)
    rows = []
    tree = None
    servers = []
    try:
        servers.append(start_mako())
        servers.append(start_redis())
        if opts.baseline:
            tree = tempfile.mkdtemp(prefix="bench-baseline-")
            subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, opts.baseline],
                           check=True, stdout=subprocess.DEVNULL)
            print(f"starting mako_numba {opts.baseline} (a cold kernel cache compiles first)")
            base = start_mako(env=dict(os.environ, PYTHONPATH=tree))
            base.name = "base"
            servers.append(base)
        for case in CASES:
            n = runs.calibrate(servers, case, seconds)
            for i in range(nruns):
                plan = [(s, mode) for s in servers for mode in MODES[s.name]]
                for server, mode in (plan if i % 2 == 0 else plan[::-1]):
                    if mode != "-":
                        _tracking(server, mode != "off")
                    if mode == "dash":
                        with _polling(server):
                            row = runs.measure(server, case, n, run=i + 1)
                    else:
                        row = runs.measure(server, case, n, run=i + 1)
                    row["tracking"] = mode
                    rows.append(row)
                    print(f"  {server.name:5} {row['tracking']:3} {case.label:16} "
                          f"{row['ops_per_sec']:>12,.0f} ops/s  cpu {row['server_cpu_us_per_op']:.2f} us/op",
                          flush=True)
    finally:
        for s in servers:
            s.stop()
        if tree:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = os.path.join(opts.out, time.strftime("%Y%m%d-%H%M%S-stats"))
    os.makedirs(out, exist_ok=True)
    report.write_csv(os.path.join(out, "runs.csv"), rows,
                     ["tracking"] + runs.SEED_COLUMNS + ["clients", "pipeline", "run",
                                                         "server_cpu_us_per_op"])
    print()
    print(summary(rows))
    print(f"\nwrote {out}/runs.csv")
    return 0


def _pick(rows, case, server, tracking):
    return [r for r in rows if r["_case"] == case and r["server"] == server and r["tracking"] == tracking]


def _ratio(a, b):
    return report.spread([x["ops_per_sec"] / y["ops_per_sec"] for x, y in zip(a, b)]).fmt("{:.3f}")


def summary(rows):
    """Per case: ops/s with tracking on and off for both servers, the on/off ratios, the baseline."""
    lines = ["| case | mako on | mako off | mako on/off | mako dash/on | redis on | redis off "
             "| redis on/off | baseline | mako on/baseline |", "|---|---|---|---|---|---|---|---|---|---|"]
    cases = []
    for r in rows:
        if r["_case"] not in cases:
            cases.append(r["_case"])
    for case in cases:
        mon, moff = _pick(rows, case, "mako", "on"), _pick(rows, case, "mako", "off")
        mdash = _pick(rows, case, "mako", "dash")
        ron, roff = _pick(rows, case, "redis", "on"), _pick(rows, case, "redis", "off")
        base = _pick(rows, case, "base", "-")
        ops = lambda rs: report.spread([r["ops_per_sec"] for r in rs]).fmt() if rs else "-"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            case.label, ops(mon), ops(moff), _ratio(mon, moff), _ratio(mdash, mon) if mdash else "-",
            ops(ron), ops(roff), _ratio(ron, roff),
            ops(base), _ratio(mon, base) if base else "-"))
    return "\n".join(lines)
