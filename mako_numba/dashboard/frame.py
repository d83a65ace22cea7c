"""The live dashboard's frame: `render(model, width, height)` -> a rich renderable.

A pure function of the Model (model.py) and the screen size: no sockets,
no terminal, no clock, so tests print frames to a recording Console and read
them as text.  The outer loops (top.py, launch.py) call it every frame
with the console's current size, which is all a resize needs.

The frame is a title line (server, address, role, uptime, clients), a banner
while something is wrong (unreachable, authentication, the server starting
or gone), and rows of panels (panels.py).  Screen space is shared by
each row's natural height: rows shrink, one line at a time from the tallest,
down to a border and one line, and what is left goes to the last flexible
row (the log when there is one, else the commands).  Width decides the
arrangement: three columns from 140 characters, two below.  A Layout
renders every region at exactly its size, so no line is ever wider than the
screen and nothing scrolls.
"""
import time

from rich.console import Group
from rich.layout import Layout
from rich.panel import Panel
from rich.text import Text

from . import panels as P
from .widgets import count, duration

WIDE = 140
MIN_ROW = 3                         # a border and one line


def render(model, width, height):
    """The whole screen for the model at width x height characters."""
    head = [title(model, width)]
    if model.problem:
        head.append(banner(model, width))
    root = Layout(name="root")
    rows = _rows(model, width)
    body = max(height - len(head), 0)
    sizes = allocate([r[0] for r in rows], body, [r[2] for r in rows])
    parts = [Layout(Group(*head), size=len(head))]
    for (natural, cells, _), size in zip(rows, sizes):
        if size >= MIN_ROW:
            parts.append(_row(cells, size))
    if len(parts) == 1 and body:
        parts.append(Layout(Text("waiting for the first sample…", "dim")))
    root.split_column(*parts)
    return root


def title(model, width):
    s = model.section("server")
    if not s:
        name = "mako_numba"
    elif model.is_mako:
        name = f"mako_numba {s['mako_numba_version']} (Redis {s.get('redis_version', '?')})"
    else:
        name = f"Redis {s.get('redis_version', '?')}"
    left = [name, model.target]
    if s:
        left.append(model.value("replication", "role") or "?")
        left.append("up " + duration(model.number("server", "uptime_in_seconds")))
        left.append(f"pid {s.get('process_id', '?')}")
        clients = f"{count(model.number('clients', 'connected_clients'))} clients"
        blocked = model.number("clients", "blocked_clients")
        if blocked:                         # BLPOP and friends waiting for their keys
            clients += f" ({count(blocked)} blocked)"
        left.append(clients)
    right = "q quit"
    if model.now:
        right = time.strftime("%H:%M:%S", time.localtime(model.now)) + "  " + right
    text = " " + left[0]
    for part in left[1:]:                   # as many as fit beside the clock
        if part and len(text) + 3 + len(part) + len(right) + 2 <= width:
            text += " · " + part
    line = text + " " * max(width - len(text) - len(right) - 1, 1) + right + " "
    return Text(line, style="reverse", no_wrap=True, overflow="ellipsis")


def banner(model, width):
    kind, text, since, t = model.problem
    if t - since >= 1:
        text += f" ({duration(t - since)})"
    style = "bold black on yellow" if kind == "starting" else "bold white on red"
    return Text((" " + text).ljust(width), style=style, no_wrap=True, overflow="ellipsis")


def _rows(model, width):
    """[(natural height, cells, flexible)], a cell being the panels stacked in one column."""
    have = {f.__name__: f(model) for f in (P.throughput, P.keyspace, P.memory, P.persistence,
                                           P.commands, P.latency, P.mako, P.log)}
    if width >= WIDE:
        plan = [([["throughput", 2], ["keyspace", 1], ["memory", 1]], False),
                ([["commands", 2], ["persistence+latency", 1], ["mako", 1]], True)]
        if not have["mako"]:
            plan[1] = ([["commands", 2], ["persistence", 1], ["latency", 1]], True)
    else:
        plan = [([["throughput", 1], ["keyspace", 1]], False),
                ([["memory", 1], ["persistence", 1]], False),
                ([["commands", 1]], True),
                ([["mako", 1], ["latency", 1]], False)]
    plan.append(([["log", 1]], True))
    rows = []
    for spec, flexible in plan:
        cells = []
        for names, ratio in spec:
            stack = [(n, have[n]) for n in names.split("+") if have[n]]
            if stack:
                cells.append((stack, ratio))
        if not cells:
            continue
        if len(cells) < len(spec) and len(spec) > 1 and flexible is False:
            cells = [(stack, 1) for stack, _ in cells]
        natural = max(sum(p[2] for _, p in stack) for stack, _ in cells)
        rows.append((natural, cells, flexible))
    return rows


def allocate(naturals, total, flexible):
    """Row heights summing to at most `total`: natural heights, shrunk from the tallest, the
    surplus to the last flexible row; a row that cannot have MIN_ROW lines gets 0."""
    sizes = list(naturals)
    while sum(sizes) > total:
        i = max(range(len(sizes)), key=lambda k: (sizes[k], k))
        if sizes[i] > MIN_ROW:
            sizes[i] -= 1
        else:                                   # too small for every row: drop the last
            last = max(k for k, s in enumerate(sizes) if s)
            sizes[last] = 0
    grow = [i for i, f in enumerate(flexible) if f and sizes[i]]
    if grow:
        sizes[grow[-1]] += total - sum(sizes)
    return sizes


def _row(cells, size):
    row = Layout(size=size)
    columns = []
    for stack, ratio in cells:
        col = Layout(ratio=ratio)
        if len(stack) == 1:
            col.update(_panel(stack[0]))
        else:
            parts = [Layout(_panel(p), size=p[1][2]) for p in stack[:-1]]
            parts.append(Layout(_panel(stack[-1])))
            col.split_column(*parts)
        columns.append(col)
    row.split_row(*columns)
    return row


def _panel(entry):
    heading, body, _ = entry[1]
    return Panel(body, title=heading, title_align="left", border_style="blue", padding=(0, 1))
