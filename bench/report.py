"""Medians, spreads and mako/redis ratios of the load runs; CSV files; markdown tables.

Rules:
- A server's figure for a case is the median of its runs; the spread is
  their min-max.
- A ratio (always mako / redis) is taken run by run: run i of mako against
  run i of redis, which ran back to back.  The case's ratio is the median
  of those, its spread their min-max.  It is written into every row of the
  case (the ratio_* columns of the CSV).
- Tables are markdown, printed as they are and written to summary.md.
"""
import csv
import math
import statistics
from dataclasses import dataclass

METRICS = ("ops_per_sec", "server_cpu_us_per_op", "server_cpu_user_us_per_op",
           "server_cpu_sys_us_per_op", "p50_us", "p99_us", "client_cpu_share",
           "client_ceiling_ops_per_sec", "other_cpu_share")
RATIOS = {"ops_per_sec": "ops_per_sec", "cpu_per_op": "server_cpu_us_per_op", "p99": "p99_us"}


@dataclass
class Spread:
    median: float
    lo: float
    hi: float
    n: int

    def fmt(self, f="{:,.0f}"):
        if self.n == 0:
            return "-"
        if self.n == 1 or f.format(self.lo) == f.format(self.hi):
            return f.format(self.median)
        return f"{f.format(self.median)} ({f.format(self.lo)}-{f.format(self.hi)})"


def spread(values):
    vals = [float(v) for v in values if v != "" and v is not None and not math.isnan(float(v))]
    if not vals:
        return Spread(math.nan, math.nan, math.nan, 0)
    return Spread(statistics.median(vals), min(vals), max(vals), len(vals))


def aggregate(rows):
    """{case: {'mako': {metric: Spread}, 'redis': {...}, 'ratio': {name: Spread}}}, in run order."""
    groups = {}
    for row in rows:
        groups.setdefault(row["_case"], {"mako": [], "redis": []})[row["server"]].append(row)
    out = {}
    for case, per in groups.items():
        agg = {s: {m: spread(r[m] for r in rs) for m in METRICS} for s, rs in per.items()}
        mako = {r["run"]: r for r in per["mako"]}
        redis = {r["run"]: r for r in per["redis"]}
        both = sorted(set(mako) & set(redis))
        agg["ratio"] = {}
        for name, col in RATIOS.items():
            sp = spread(mako[i][col] / redis[i][col] for i in both if redis[i][col])
            agg["ratio"][name] = sp
            for r in per["mako"] + per["redis"]:
                r[f"ratio_{name}"] = round(sp.median, 4) if sp.n else ""
        out[case] = agg
    return out


def write_csv(path, rows, columns):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def table(head, rows):
    """Markdown table lines."""
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def cases_table(agg):
    """Every load case: medians (min-max) of both servers and the ratios."""
    head = ["case", "generator", "mako ops/s", "redis ops/s", "ops/s ratio",
            "mako CPU us/req (user+sys)", "redis CPU us/req (user+sys)", "CPU ratio",
            "mako p99 us", "redis p99 us", "p99 ratio", "client busy (max)", "others (max)"]
    rows = []
    for case, a in agg.items():
        m, r, q = a["mako"], a["redis"], a["ratio"]
        rows.append([
            case.label, case.generator, m["ops_per_sec"].fmt(), r["ops_per_sec"].fmt(),
            q["ops_per_sec"].fmt("{:.2f}"),
            _cpu(m), _cpu(r), q["cpu_per_op"].fmt("{:.2f}"),
            m["p99_us"].fmt(), r["p99_us"].fmt(), q["p99"].fmt("{:.2f}"),
            f"{max(m['client_cpu_share'].hi, r['client_cpu_share'].hi):.0%}",
            f"{max(m['other_cpu_share'].hi, r['other_cpu_share'].hi):.0%} of a core"])
    return table(head, rows)


def _cpu(s):
    return (f"{s['server_cpu_us_per_op'].fmt('{:.2f}')} "
            f"({s['server_cpu_user_us_per_op'].median:.2f}+{s['server_cpu_sys_us_per_op'].median:.2f})")
