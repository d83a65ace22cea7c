"""The dashboard's panels: each a function of the Model giving (title, renderable, height).

`height` is the panel's natural number of lines, borders included, which
frame.py uses to share the screen; a panel given fewer lines is cropped
at the bottom (tables list the busiest commands first, so what is cropped is
the least interesting).  A panel whose data the server does not report
returns None and is not shown: Redis has no `# Mako` section, older servers
no latencystats, and a server that has not answered yet has nothing.

Every value that may be missing is shown as "-" (widgets.DASH), so a
field being added to or dropped from INFO never breaks a frame.
"""
import time

from rich.bar import Bar
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .widgets import DASH, Sparkline, Tail, count, duration, human_bytes, percent, rate, short

LABEL = "bold"


def _grid(*widths):
    g = Table.grid(padding=(0, 1), expand=True)
    for i, w in enumerate(widths):
        if w:
            g.add_column(ratio=w, no_wrap=True, overflow="ellipsis")
        else:
            g.add_column(no_wrap=True, overflow="ellipsis", style=LABEL if i == 0 else None)
    return g


def _line(*parts):
    """One line of text, cut with an ellipsis rather than wrapped when the panel is narrow."""
    return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")


def _window(model):
    end = model.now or 0.0
    return end - model.window, end


def throughput(model):
    if not model.last:
        return None
    total = model.number("stats", "total_commands_processed")
    inst = model.number("stats", "instantaneous_ops_per_sec")
    ops = model.rate("stats", "total_commands_processed")
    head = _line(("ops/s ", LABEL), (DASH if ops is None else short(ops), "bold green"),
                 f"   instantaneous {short(inst)}", f"   total {count(total)}")
    start, end = _window(model)
    points = model.points("ops")
    peak = max((p[2] for p in points), default=None)
    net = _line(("net ", LABEL), f"in {_bytes_rate(model.rate('stats', 'total_net_input_bytes'))}",
                f"   out {_bytes_rate(model.rate('stats', 'total_net_output_bytes'))}",
                (f"   last {int(model.window)} s, peak {rate(peak)}", "dim"))
    body = Group(head, Sparkline(points, start, end, rows=3, style="green"), net)
    return "Throughput", body, 7


def _bytes_rate(r):
    return DASH if r is None else human_bytes(r) + "/s"


def keyspace(model):
    if not model.last:
        return None
    g = _grid(0, 1, 1, 1)
    g.add_row(Text("db", LABEL), Text("keys", LABEL), Text("expires", LABEL), Text("avg ttl", LABEL))
    rows = model.keyspace()
    for db, keys, expires, ttl in rows:
        g.add_row(db, count(keys), count(expires), duration(ttl / 1000) if ttl else DASH)
    if not rows:
        g.add_row("-", "no keys", "", "")
    now, overall = model.hit_ratio()
    hits = _line(("hits ", LABEL), (percent(now), "bold green"), " now  ", percent(overall), " overall")
    expired = _line(("expired ", LABEL), count(model.number("stats", "expired_keys")),
                    f" ({rate(model.rate('stats', 'expired_keys'))})",
                    ("  evicted ", LABEL), count(model.number("stats", "evicted_keys")),
                    f" ({rate(model.rate('stats', 'evicted_keys'))})")
    return "Keyspace", Group(g, hits, expired), len(rows) + 1 + (not rows) + 2 + 2


def memory(model):
    mem = model.section("memory")
    if not mem:
        return None
    used, rss = model.number("memory", "used_memory"), model.number("memory", "used_memory_rss")
    peak = model.number("memory", "used_memory_peak")
    maxmem = model.number("memory", "maxmemory")
    g = _grid(0, 1)
    g.add_row("used", f"{mem.get('used_memory_human') or human_bytes(used)} ({count(used)} bytes)")
    g.add_row("peak", mem.get("used_memory_peak_human") or human_bytes(peak))
    g.add_row("rss", f"{mem.get('used_memory_rss_human') or human_bytes(rss)}"
                     f" (fragmentation {mem.get('mem_fragmentation_ratio', DASH)})")
    limit = "none" if not maxmem else mem.get("maxmemory_human") or human_bytes(maxmem)
    g.add_row("max", f"{limit} ({mem.get('maxmemory_policy', DASH)})")
    start, end = _window(model)
    return "Memory", Group(g, Sparkline(model.points("used_memory"), start, end, style="magenta")), 7


def persistence(model):
    p = model.section("persistence")
    if not p:
        return None
    g = _grid(0, 1)
    saving = p.get("rdb_bgsave_in_progress")
    g.add_row("rdb", Text("saving (BGSAVE in progress)", "bold yellow") if saving == "1"
              else "idle" if saving == "0" else DASH)
    changes = model.number("persistence", "rdb_changes_since_last_save")
    g.add_row("changes", f"{count(changes)} since last save")
    g.add_row("last save", _last_save(model))
    g.add_row("last bgsave", _status(p.get("rdb_last_bgsave_status")))
    aof = p.get("aof_enabled")
    parts = ["on" if aof == "1" else "off" if aof == "0" else DASH]
    if p.get("aof_rewrite_in_progress") == "1":
        parts.append(", rewriting")
    if aof == "1":
        parts += [", last write ", _status(p.get("aof_last_write_status"))]
    g.add_row("aof", _line(*parts))
    return "Persistence", g, 7


def _status(value):
    if value is None:
        return Text(DASH)
    return Text(value, "green" if value == "ok" else "bold red")


def _last_save(model):
    t = model.number("persistence", "rdb_last_save_time")
    if not t:
        return DASH
    stamp = time.strftime("%H:%M:%S", time.localtime(t))
    return stamp + (f" ({duration(max(0, model.now - t))} ago)" if model.now else "")


def commands(model):
    rows = model.command_rows()
    if not model.last or not rows:
        return None
    start, end = _window(model)
    t = Table(expand=True, box=None, padding=(0, 1), show_edge=False, header_style=LABEL)
    t.add_column("command", no_wrap=True, overflow="ellipsis", max_width=24)
    t.add_column("calls", justify="right", no_wrap=True)
    t.add_column("ops/s", justify="right", no_wrap=True)
    t.add_column(f"last {int(model.window)} s", ratio=1, no_wrap=True)
    t.add_column("µs/call", justify="right", no_wrap=True)
    for name, calls, r, usec in rows:
        spark = Sparkline(model.points("cmd:" + name), start, end, style="cyan")
        t.add_row(name, count(calls), short(r) if r is not None else DASH, spark,
                  DASH if usec is None else f"{usec:.2f}")
    return "Commands", t, len(rows) + 3


def latency(model):
    rows = model.latency()
    if not rows:
        return None
    names = list(rows[0][1])
    t = Table(expand=True, box=None, padding=(0, 1), show_edge=False, header_style=LABEL)
    t.add_column("µs", no_wrap=True, overflow="ellipsis")
    for n in names:
        t.add_column(n, justify="right", no_wrap=True)
    for cmd, pct in rows:
        t.add_row(cmd, *(_usec(pct.get(n)) for n in names))
    return "Latency percentiles", t, len(rows) + 3


def _usec(v):
    if v is None:
        return DASH
    return f"{v:.1f}" if v < 1000 else short(v)


def mako(model):
    if not model.is_mako or not model.section("mako"):
        return None
    g = _grid(0, 1)
    batches = model.number("mako", "batches")
    g.add_row("batches", f"{count(batches)}   {rate(model.rate('mako', 'batches'))}")
    db, dr = model.delta("mako", "batches"), model.delta("mako", "requests_in_batches")
    per_batch, per_request = model.kernel_times()
    size = short(dr / db) if db and dr is not None else DASH
    g.add_row("kernel/batch", f"{_usec(per_batch)} µs ({size} requests)")
    g.add_row("kernel/req", f"{short(per_request)} ns")
    share = model.number("mako", "slow_path_share")
    g.add_row("slow path", f"{count(model.number('mako', 'slow_path_requests'))} ({percent(share, 2)})")
    g.add_row("deferred", count(model.number("mako", "deferred_requests")))
    secs = model.number("mako", "kernel_compile_seconds")
    g.add_row("compile", DASH if secs is None else f"{secs:.2f} s")
    parts, height = [g], 6
    sizes = model.batch_sizes()
    last = max((i for i, (_, n, _) in enumerate(sizes) if n), default=-1)
    if sizes:
        parts.append(_line(("batches by size (requests)", LABEL), ("  +last interval", "dim")))
        height += 1
        bars = _grid(0, 1, 0, 0)
        top = max((n for _, n, _ in sizes), default=0) or 1
        for bound, n, recent in sizes[:max(last + 1, 1)]:
            bars.add_row(f"≤{bound}", Bar(top, 0, n, color="blue"), count(n),
                         Text(f"+{count(recent)}" if recent else "", "dim"))
        parts.append(bars)
        height += max(last + 1, 1)
    return "Mako", Group(*parts), height + 2


def log(model):
    if not model.log:
        return None
    return "Server log", Tail(model.log), min(len(model.log), 10) + 2
