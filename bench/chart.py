"""The suite's PNG: the ratios per load case, cost and pauses as keys grow, bytes per key.

Panels (matplotlib, Agg backend, no display needed):
- throughput, server CPU per request and p99 latency, mako/redis per load
  case: the median as a bar, the min-max of the run-by-run ratios as a
  whisker, 1.0 (parity) as a line, the summary's target as a red mark;
- server CPU per request against key count (log scale), GET and SET, both
  servers; the worst PING while growing to each count; bytes per key.
An empty panel says so rather than failing.
"""
import matplotlib

from . import summary

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"mako": "tab:blue", "redis": "tab:red"}


def _ratio_panel(ax, agg, name, title):
    cases = list(agg)
    if not cases:
        ax.set_title(f"{title}: not measured")
        return
    med = [agg[c]["ratio"][name].median for c in cases]
    lo = [m - agg[c]["ratio"][name].lo for c, m in zip(cases, med)]
    hi = [agg[c]["ratio"][name].hi - m for c, m in zip(cases, med)]
    y = range(len(cases))
    ax.barh(y, med, xerr=[lo, hi], color="tab:blue", alpha=0.7, capsize=2)
    ax.axvline(1.0, color="black", linewidth=0.8)
    marks = [(summary.target_of(c, name), i) for i, c in enumerate(cases)]
    marks = [(b, i) for b, i in marks if b is not None]
    if marks:
        ax.plot([b for b, _ in marks], [i for _, i in marks], "r|", markersize=14, mew=2,
                label="target")
        ax.legend(fontsize=7, loc="lower right")
    ax.set_yticks(list(y), [c.label for c in cases], fontsize=7)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)


def _scale_panel(ax, rows):
    probed = [r for r in rows if "get_cpu_us_per_op" in r]
    if not probed:
        ax.set_title("CPU per request vs keys: not measured")
        return
    for server in ("mako", "redis"):
        pts = [r for r in probed if r["server"] == server]
        keys = [r["keys"] for r in pts]
        ax.plot(keys, [r["get_cpu_us_per_op"] for r in pts], "o-", color=COLORS[server],
                label=f"{server} GET")
        ax.plot(keys, [r["set_cpu_us_per_op"] for r in pts], "s--", color=COLORS[server],
                label=f"{server} SET")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("keys")
    ax.set_ylabel("server CPU us per request")
    ax.set_title("cost per request as keys grow (c50 P16)", fontsize=9)
    ax.legend(fontsize=7)


def _pause_panel(ax, rows):
    eight = [r for r in rows if r["value_size"] == 8]
    if not eight:
        ax.set_title("worst pause: not measured")
        return
    for server in ("mako", "redis"):
        pts = [r for r in eight if r["server"] == server]
        ax.plot([r["keys"] for r in pts], [r["worst_pause_ms"] for r in pts], "o-",
                color=COLORS[server], label=server)
    ax.set_xscale("log")
    ax.set_xlabel("keys")
    ax.set_ylabel("ms")
    ax.set_title("worst PING while growing to each count", fontsize=9)
    ax.legend(fontsize=7)


def _memory_panel(ax, rows):
    pairs = {}
    for r in rows:
        pairs.setdefault((r["value_size"], r["keys"]), {})[r["server"]] = r
    pairs = {k: v for k, v in sorted(pairs.items()) if len(v) == 2}
    if not pairs:
        ax.set_title("bytes per key: not measured")
        return
    labels = [f"{k:,}\nx {v} B" for v, k in pairs]
    x = range(len(labels))
    for i, (server, col) in enumerate([("mako", "bytes_per_key_used"), ("redis", "bytes_per_key_used"),
                                       ("mako", "bytes_per_key_rss"), ("redis", "bytes_per_key_rss")]):
        ax.bar([j + (i - 1.5) * 0.2 for j in x], [p[server][col] for p in pairs.values()], 0.2,
               color=COLORS[server], alpha=1.0 if "used" in col else 0.45,
               label=f"{server} {'used_memory' if 'used' in col else 'RSS'}")
    ax.set_xticks(list(x), labels, fontsize=7)
    ax.set_ylabel("bytes per key")
    ax.set_title("memory per key", fontsize=9)
    ax.legend(fontsize=7)


def draw(path, agg, scale_rows, title):
    fig, axes = plt.subplots(2, 3, figsize=(18, 11))
    _ratio_panel(axes[0][0], agg, "ops_per_sec", "throughput mako/redis (higher is better)")
    _ratio_panel(axes[0][1], agg, "cpu_per_op", "server CPU per request mako/redis (lower is better)")
    _ratio_panel(axes[0][2], agg, "p99", "p99 latency mako/redis (lower is better)")
    _scale_panel(axes[1][0], scale_rows)
    _pause_panel(axes[1][1], scale_rows)
    _memory_panel(axes[1][2], scale_rows)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
