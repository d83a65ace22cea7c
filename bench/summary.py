"""The suite's final summary: each target of the issue with the measured median, spread and verdict.

Rules:
- Every target is a ratio mako/redis (or, for start-up, seconds); the
  verdict reads the median and the spread: `met` when the whole spread
  meets the target, `not met` when none of it does, otherwise which side
  the median falls on and that the spread crosses the target.
- A target whose case the profile did not run says `not measured`.
- After the targets: every load case, memory, scale, start-up, what the
  load generators could do, and the warnings about the machine.
"""
from . import machine
from .profiles import LOADGEN, REDIS_BENCHMARK
from .report import cases_table, spread, table

BOTH = ("get", "set")
# (target, [(workload, clients, pipeline, value size)], [(ratio, op, bound)])
LOAD_TARGETS = [
    ("GET and SET, 50 clients, P=1", [(w, 50, 1, 8) for w in BOTH],
     [("ops_per_sec", ">=", 1.0), ("cpu_per_op", "<=", 1.0)]),
    ("GET and SET, 1 client, P=1", [(w, 1, 1, 8) for w in BOTH], [("ops_per_sec", ">=", 1.0)]),
    ("GET and SET, 50 clients, P=16", [(w, 50, 16, 8) for w in BOTH], [("ops_per_sec", ">=", 1.5)]),
    ("GET and SET, 50 clients, P=64", [(w, 50, 64, 8) for w in BOTH], [("ops_per_sec", ">=", 2.0)]),
    ("1,024-byte values, 50 clients, P=16", [(w, 50, 16, 1024) for w in BOTH],
     [("ops_per_sec", ">=", 1.3)]),
    ("p99 latency, 50 clients, P=1", [(w, 50, 1, 8) for w in BOTH], [("p99", "<=", 1.0)]),
]
NAMES = {"ops_per_sec": "throughput (ops/s)", "cpu_per_op": "server CPU per request (us)",
         "p99": "p99 latency (us)"}
FIELDS = {"ops_per_sec": ("ops_per_sec", "{:,.0f}"), "cpu_per_op": ("server_cpu_us_per_op", "{:.2f}"),
          "p99": ("p99_us", "{:,.0f}")}
CEILING_WARN = 0.8   # a run above this share of our generator's ceiling may be the generator's pace
FLAT = 1.5     # the bench's own bar for "flat": cost at the largest count / at the smallest


def verdict(sp, op, bound):
    if sp.n == 0:
        return "not measured"
    ok = (lambda v: v >= bound) if op == ">=" else (lambda v: v <= bound)
    if ok(sp.lo) and ok(sp.hi):
        return "met"
    if not ok(sp.lo) and not ok(sp.hi):
        return "not met"
    return ("met by the median; spread crosses" if ok(sp.median)
            else "not met by the median; spread crosses")


def target_of(case, name):
    """The bound a target sets on this case's ratio `name`, or None."""
    key = (case.workload, case.clients, case.pipeline, case.value_size)
    if case.generator != REDIS_BENCHMARK:
        return None
    for _, cases, checks in LOAD_TARGETS:
        for check, _, bound in checks:
            if check == name and key in cases:
                return bound
    return None


def _find(agg, workload, clients, pipeline, value_size):
    for case, a in agg.items():
        if (case.generator, case.workload, case.clients, case.pipeline, case.value_size) == (
                REDIS_BENCHMARK, workload, clients, pipeline, value_size):
            return a
    return None


def target_rows(agg, scale_rows, startup):
    rows = []
    for title, cases, checks in LOAD_TARGETS:
        for workload, c, p, v in cases:
            a = _find(agg, workload, c, p, v)
            for name, op, bound in checks:
                col, f = FIELDS[name]
                sp = a["ratio"][name] if a else spread([])
                mako, redis = (a["mako"][col].fmt(f), a["redis"][col].fmt(f)) if a else ("-", "-")
                rows.append([title, f"{workload.upper()} {NAMES[name]}", mako, redis,
                             sp.fmt("{:.2f}"), f"{op} {bound}", verdict(sp, op, bound)])
    rows += memory_targets(scale_rows)
    rows += scale_rows_summary(scale_rows)
    for kind, bound in (("warm", 1.0), ("cold", 15.0)):
        vals = startup.get(kind) if startup else None
        sp = spread(vals if isinstance(vals, list) else [vals] if vals else [])
        rows.append(["start to first PONG (mako)", f"{kind} kernel cache (s)", sp.fmt("{:.2f}"), "",
                     "", f"<= {bound:g} s", verdict(sp, "<=", bound)])
    return rows


def memory_targets(scale_rows):
    """Bytes per key with 8-byte values at 1 million keys (or the largest count measured)."""
    eight = [r for r in scale_rows if r["value_size"] == 8]
    counts = sorted({r["keys"] for r in eight})
    at = 1_000_000 if 1_000_000 in counts else (max(counts) if counts else None)
    by = {r["server"]: r for r in eight if r["keys"] == at}
    out = []
    for col, what in (("bytes_per_key_used", "used_memory"), ("bytes_per_key_rss", "RSS")):
        if "mako" in by and "redis" in by:
            m, r = by["mako"][col], by["redis"][col]
            sp = spread([m / r]) if r else spread([])
            out.append([f"bytes per key, {at:,} keys of 8 bytes", f"{what} growth / keys",
                        f"{m:.1f}", f"{r:.1f}", sp.fmt("{:.2f}"), "<= 1.0", verdict(sp, "<=", 1.0)])
        else:
            out.append(["bytes per key, 1,000,000 keys of 8 bytes", f"{what} growth / keys", "-", "-",
                        "-", "<= 1.0", "not measured"])
    return out


def memory_table(scale_rows):
    pairs = _pairs(scale_rows)
    rows = []
    for (v, keys), (m, r) in pairs.items():
        rows.append([f"{keys:,} x {v} B", f"{m['used_memory'] / 2**20:,.1f}", f"{r['used_memory'] / 2**20:,.1f}",
                     _ratio(m["used_memory"], r["used_memory"]), f"{m['rss'] / 2**20:,.1f}",
                     f"{r['rss'] / 2**20:,.1f}", _ratio(m["rss"], r["rss"]),
                     f"{m['bytes_per_key_used']:.1f} / {r['bytes_per_key_used']:.1f}",
                     f"{m['bytes_per_key_rss']:.1f} / {r['bytes_per_key_rss']:.1f}",
                     f"{m['worst_pause_ms']:.1f} / {r['worst_pause_ms']:.1f}"])
    return table(["keys x value", "mako used_memory MiB", "redis used_memory MiB", "ratio",
                  "mako RSS MiB", "redis RSS MiB", "ratio", "B/key used_memory mako / redis",
                  "B/key RSS mako / redis", "worst PING growing to here, ms, mako / redis"], rows)


def scale_table(scale_rows):
    rows = []
    for (v, keys), (m, r) in _pairs(scale_rows).items():
        if v != 8:
            continue
        probe = [f"{m[k]:.2f} / {r[k]:.2f}" if k in m else "-"
                 for k in ("get_cpu_us_per_op", "set_cpu_us_per_op")]
        ops = [f"{m[k]:,.0f} / {r[k]:,.0f}" if k in m else "-"
               for k in ("get_ops_per_sec", "set_ops_per_sec")]
        rows.append([f"{keys:,}", *probe, *ops, f"{m['worst_pause_ms']:.1f} / {r['worst_pause_ms']:.1f}",
                     f"{m['load_sets_per_sec']:,} / {r['load_sets_per_sec']:,}"])
    lines = table(["keys", "GET CPU us/req mako / redis", "SET CPU us/req mako / redis",
                   "GET ops/s mako / redis", "SET ops/s mako / redis",
                   "worst PING while growing to here, ms, mako / redis", "load SET/s mako / redis"], rows)
    for server in ("mako", "redis"):
        f = flatness(scale_rows, server)
        if f:
            lo, hi, growth = f
            lines.append(f"\n{server}: CPU per request at {hi:,} keys / at {lo:,}: GET {growth[0]:.2f}x, "
                         f"SET {growth[1]:.2f}x")
    return lines


def flatness(scale_rows, server):
    """(fewest keys, most keys, [GET, SET] CPU per request at most / at fewest) or None."""
    probed = [r for r in scale_rows if r["server"] == server and "get_cpu_us_per_op" in r]
    if len(probed) < 2:
        return None
    lo, hi = probed[0], probed[-1]
    return lo["keys"], hi["keys"], [hi[k] / lo[k] for k in ("get_cpu_us_per_op", "set_cpu_us_per_op")]


def scale_rows_summary(scale_rows):
    """Rows for the targets table on scale.  The issue sets no number here, so the bars are
    ours: CPU per request may grow by FLAT from the fewest keys to the most, or by no more
    than Redis's own does on the same machine (caches and TLB cost both servers alike)."""
    out = []
    f, other = flatness(scale_rows, "mako"), flatness(scale_rows, "redis")
    if f:
        lo, hi, growth = f
        bar = max(FLAT, max(other[2])) if other else FLAT
        out.append([f"time per request, {lo:,} -> {hi:,} keys", "CPU/req growth, worse of GET, SET",
                    f"{max(growth):.2f}x", f"{max(other[2]):.2f}x" if other else "-", "",
                    f"<= {FLAT}x or <= redis's (our bar)", verdict(spread([max(growth)]), "<=", bar)])
    pairs = _pairs(scale_rows)
    if pairs:
        at_m = max(pairs, key=lambda k: pairs[k][0]["worst_pause_ms"])
        at_r = max(pairs, key=lambda k: pairs[k][1]["worst_pause_ms"])
        m, r = pairs[at_m][0]["worst_pause_ms"], pairs[at_r][1]["worst_pause_ms"]
        out.append(["worst pause while the table grows", "worst PING of any step (ms)",
                    f"{m:.1f} (to {at_m[1]:,} x {at_m[0]} B)", f"{r:.1f} (to {at_r[1]:,} x {at_r[0]} B)",
                    _ratio(m, r), "no target", "-"])
    return out


def _pairs(scale_rows):
    by = {}
    for r in scale_rows:
        by.setdefault((r["value_size"], r["keys"]), {})[r["server"]] = r
    return {k: (v["mako"], v["redis"]) for k, v in by.items() if len(v) == 2}


def _ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def generator_lines(rows, agg):
    """What the load generators could do: ours per case against its measured ceiling."""
    out = []
    head = ["case", "server", "achieved ops/s", "generator ceiling ops/s",
            "achieved / ceiling (= share of the time it was busy)"]
    lines = []
    for case, a in agg.items():
        if case.generator != LOADGEN:
            continue
        for server in ("mako", "redis"):
            s = a[server]
            share = s["ops_per_sec"].median / s["client_ceiling_ops_per_sec"].median
            lines.append([case.label, server, s["ops_per_sec"].fmt(), s["client_ceiling_ops_per_sec"].fmt(),
                          f"{share:.0%}"])
            if share > CEILING_WARN:
                out.append(f"- warning: {case.label} on {server} ran at {share:.0%} of our generator's "
                           f"ceiling: the generator may have set the pace")
    if lines:
        out = ["Our generator (bench/loadgen.py): its ceiling is the requests it sends per CPU-second "
               "of its own, times its worker processes, measured in every run.", ""] + table(head, lines) + (
               [""] + out if out else [])
    busy = sorted({r["_case"].label for r in rows
                   if r["generator"] == REDIS_BENCHMARK and r["client_cpu_share"] >= 0.9})
    if busy:
        out.append(f"\nredis-benchmark used 90% or more of its one core in: {', '.join(busy)} "
                   f"(there the client, not the server, may have set the pace)")
    return out


def machine_notes(rows, load_warnings):
    noisy = [r for r in rows if r["other_cpu_share"] > machine.OTHER_WARN]
    out = list(load_warnings)
    if noisy:
        worst = max(r["other_cpu_share"] for r in noisy)
        out.append(f"warning: other processes used more than {machine.OTHER_WARN:.0%} of a core in "
                   f"{len(noisy)} of {len(rows)} runs (up to {worst:.0%}); compare ratios, not "
                   f"absolute numbers")
    return out


def compose(profile, agg, rows, scale_rows, startup, notes):
    """The whole summary as markdown lines."""
    md = [f"# mako_numba vs redis-server: `{profile.name}` profile", ""]
    md += [f"Medians of {profile.runs} run(s) per server and case; (min-max) spreads; ratios are "
           f"mako/redis, run by run.", "", "## Targets", ""]
    md += table(["target", "measure", "mako", "redis", "mako/redis", "target", "verdict"],
                target_rows(agg, scale_rows, startup))
    if agg:
        md += ["", "## Every load case", ""] + cases_table(agg)
    if scale_rows:
        md += ["", "## Memory", ""] + memory_table(scale_rows)
        md += ["", "## Scale (50 clients, P=16, 8-byte values)", ""] + scale_table(scale_rows)
    if startup:
        warm = spread(startup["warm"])
        cold = f"{startup['cold']:.2f} s" if startup.get("cold") else "not measured"
        md += ["", "## Start-up (launch to first PONG)", "",
               f"cold kernel cache: {cold}; warm: {warm.fmt('{:.2f}')} s over {warm.n} start(s)"]
    gen = generator_lines(rows, agg)
    if gen:
        md += ["", "## Load generators", ""] + gen
    if notes:
        md += ["", "## Warnings", ""] + [f"- {n}" for n in notes]
    return md
