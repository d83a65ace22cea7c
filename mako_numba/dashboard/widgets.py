"""Small pieces the dashboard is drawn with: a sparkline that fits any width, number formats.

`Sparkline(points, start, end)` draws a history of `(t0, t1, value)` spans
(the model's series) over the moments start..end, one cell per column of
whatever width it is given when drawn, so it redraws correctly after a
resize.  A cell shows the span covering its middle moment; no span (before
the first sample, while the server was unreachable) leaves it blank, and a
zero rate is the lowest bar, so "idle" and "no data" look different.  With
`rows` > 1 the chart is that many lines tall (8 levels per line).

The formats return short strings for narrow columns: counts with thousands
separators, rates with k/M suffixes, durations as `1h 02m`, and "-" for
anything unknown (None).  `Tail(lines)` shows the end of a log, as much as
fits.
"""
from rich.measure import Measurement
from rich.text import Text

from mako_numba.base.humanize import bytes_to_human

BLOCKS = " ▁▂▃▄▅▆▇█"
DASH = "-"


class Sparkline:
    def __init__(self, points, start, end, rows=1, style="cyan", top=None):
        self.points = points
        self.start = start
        self.end = end
        self.rows = rows
        self.style = style
        self.top = top

    def __rich_measure__(self, console, options):
        return Measurement(1, options.max_width)

    def __rich_console__(self, console, options):
        for line in spark_lines(self.points, self.start, self.end, options.max_width,
                                self.rows, self.top):
            yield Text(line, style=self.style, no_wrap=True, overflow="crop", end="\n")


class Tail:
    """The last lines of a text that fit the height it is drawn at, each cropped to the width."""

    def __init__(self, lines):
        self.lines = lines

    def __rich_console__(self, console, options):
        n = options.height or len(self.lines)
        for line in list(self.lines)[-n:] if n > 0 else []:
            yield Text(line, no_wrap=True, overflow="ellipsis", end="\n")


def cell_values(points, start, end, cells):
    """The value at the middle moment of each of `cells` equal slices of start..end, or None."""
    out = [None] * cells
    if cells <= 0 or end <= start:
        return out
    step = (end - start) / cells
    i = 0
    points = sorted(points, key=lambda p: p[1])
    for c in range(cells):
        m = start + (c + 0.5) * step
        while i < len(points) and points[i][1] < m:
            i += 1
        if i < len(points) and points[i][0] <= m:
            out[c] = points[i][2]
    return out


def spark_lines(points, start, end, width, rows=1, top=None):
    """`rows` strings of `width` characters drawing the history, top line first."""
    values = cell_values(points, start, end, width)
    known = [v for v in values if v is not None]
    peak = top if top is not None else max(known, default=0)
    levels = 8 * rows
    lines = []
    for r in range(rows - 1, -1, -1):
        chars = []
        for v in values:
            if v is None:
                chars.append(" ")
                continue
            level = int(round(v / peak * levels)) if peak > 0 else 0
            level = max(level, 1) if r == 0 else level      # zero is the lowest bar
            part = min(max(level - 8 * r, 0), 8)
            chars.append(BLOCKS[part])
        lines.append("".join(chars))
    return lines


def count(n):
    """1234567 -> '1,234,567'; floats keep one decimal; None -> '-'."""
    if n is None:
        return DASH
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.1f}"
    return f"{int(n):,}"


def short(n):
    """A number in at most ~6 characters: 950, 12.3k, 4.56M, 1.2G."""
    if n is None:
        return DASH
    a = abs(n)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= limit:
            v = n / limit
            return f"{v:.1f}{suffix}" if abs(v) >= 10 else f"{v:.2f}{suffix}"
    if isinstance(n, float) and not n.is_integer():
        return f"{n:.1f}" if a >= 10 else f"{n:.2f}"
    return str(int(n))


def rate(r):
    return DASH if r is None else short(r) + "/s"


def percent(fraction, digits=1):
    return DASH if fraction is None else f"{fraction * 100:.{digits}f}%"


def duration(seconds):
    """Seconds as '42s', '5m 03s', '1h 02m', '3d 04h'."""
    if seconds is None:
        return DASH
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600:02d}h"


def human_bytes(n):
    """Bytes as Redis's bytesToHuman: 1023B, 1.50K, 12.00M."""
    return DASH if n is None else bytes_to_human(n)
