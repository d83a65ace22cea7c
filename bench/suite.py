"""`./dev bench all [--smoke|--quick|--long]`: the whole suite in one command.

Parts, in this order (`--parts` picks some; `./dev bench throughput` is
`all --parts load`):
- load:    every load case of the profile on a mako_numba and a
           redis-server, runs alternating (throughput.py);
- scale:   cost per request and bytes per key as keys grow, worst pause
           meanwhile (scale.py), on fresh servers;
- startup: launch to first PONG, cold and warm kernel cache (startup.py).

Everything goes into one new directory, OUT/YYYYMMDD-HHMMSS-PROFILE/:
runs.csv (one row per load run, runs.COLUMNS), scale.csv (scale.COLUMNS),
summary.md (also printed) and chart.png.  The files are written even when
a part fails; the failure is reported and the exit status is 1.
"""
import dataclasses
import os
import time
import traceback

from . import chart, machine, report, runs, scale, startup, summary, throughput
from .profiles import PROFILES
from .servers import start_mako, start_redis

PARTS = ("load", "scale", "startup")
RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def _load(profile, problems):
    with start_mako() as mako, start_redis() as redis:
        print(f"mako_numba pid {mako.pid} on {mako.host}:{mako.port} {mako.info}")
        print(f"redis-server pid {redis.pid} on {redis.host}:{redis.port} ({redis.info})", flush=True)
        rows, bad = throughput.run_cases(mako, redis, profile)
    problems += bad
    return rows


def run(profile, parts, out_dir):
    started = time.monotonic()
    path = os.path.join(out_dir, time.strftime("%Y%m%d-%H%M%S-") + profile.name)
    os.makedirs(path, exist_ok=True)
    print(f"profile {profile.name}: {len(profile.cases)} load cases x {profile.runs} run(s) per "
          f"server; parts {', '.join(parts)}; results in {path}", flush=True)
    load_notes = [f"before the runs: {w}" for w in [machine.load_warning()] if w]
    for w in load_notes:
        print(w, flush=True)
    rows, scale_rows, boot, problems = [], [], None, []
    try:
        if "load" in parts:
            print("\n== load ==", flush=True)
            rows = _load(profile, problems)
        if "scale" in parts:
            print("\n== scale and memory ==", flush=True)
            scale_rows = scale.run(profile)
        if "startup" in parts:
            print("\n== start-up ==", flush=True)
            boot = startup.measure(profile.warm_starts, cold=profile.cold_start)
    except RuntimeError as e:
        problems.append(f"stopped early: {e}")
    except Exception:
        problems.append("stopped early:\n" + traceback.format_exc())
    after = machine.load_warning()
    if after:
        load_notes.append(f"after the runs: {after}")
    agg = report.aggregate(rows)        # also fills the rows' ratio columns
    report.write_csv(os.path.join(path, "runs.csv"), rows, runs.COLUMNS)
    report.write_csv(os.path.join(path, "scale.csv"), scale_rows, scale.COLUMNS)
    notes = summary.machine_notes(rows, load_notes) + [f"error: {p}" for p in problems]
    md = summary.compose(profile, agg, rows, scale_rows, boot, notes)
    md += ["", f"Took {time.monotonic() - started:,.0f} s."]
    with open(os.path.join(path, "summary.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    chart.draw(os.path.join(path, "chart.png"), agg, scale_rows,
               f"mako_numba / redis-server ({profile.name})")
    print("\n" + "\n".join(md))
    print(f"\nwrote {path}/runs.csv, scale.csv, summary.md, chart.png")
    return 1 if problems else 0


def add_arguments(p, parts=PARTS):
    g = p.add_mutually_exclusive_group()
    for name in PROFILES:
        g.add_argument(f"--{name}", dest="profile", action="store_const", const=name,
                       help=f"the {name} profile (see bench/profiles.py)")
    p.add_argument("--runs", type=int, default=None, help="runs per server and case (overrides the profile)")
    p.add_argument("--parts", default=",".join(parts),
                   help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: {','.join(parts)})")
    p.add_argument("--out", default=RESULTS_DIR, help="parent directory of the results (default bench/results)")


def main(opts):
    profile = PROFILES[opts.profile or "quick"]
    if opts.runs is not None:
        if opts.runs < 1:
            raise SystemExit("--runs must be at least 1")
        profile = dataclasses.replace(profile, runs=opts.runs)
    parts = [p.strip() for p in opts.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown or not parts:
        raise SystemExit(f"--parts takes some of {', '.join(PARTS)}")
    return run(profile, parts, opts.out)
