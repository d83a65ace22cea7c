"""The dashboard's state: successive INFO samples in, rates and histories out (sans-IO).

`Model.add(info, t)` takes a parsed INFO reply (infoparse.parse_info) and the
wall-clock time it was taken; everything the dashboard shows is computed from
the last two samples and from short histories of rates:

- A rate is a counter's increase between the last two samples divided by the
  seconds between them.  A counter that went down (the server restarted, or
  CONFIG RESETSTAT) or a changed `run_id` gives no rate for that interval
  rather than a negative one, and the next sample starts afresh.
- Histories (`series`) hold `(t0, t1, value)` spans: total ops/s, each
  command's calls/s, used memory and clients, for the last `window` seconds
  (60 by default).  A span covers the interval its rate was measured over, so
  a sparkline can ask "what was the rate at moment m" at any width.
- When the server cannot be reached, `down(kind, text, t)` records the
  problem for the banner; samples and histories are kept, and the next
  successful `add` clears it.  Kinds: unreachable, auth, error, starting,
  exited.
- `log` holds the last lines a launched server printed (dashboard mode).

No I/O, no clock: callers pass `t`, so tests drive it with canned INFO text.
"""
from collections import deque

from .infoparse import fields, num

WINDOW = 60.0
LOG_LINES = 200


class Model:
    def __init__(self, target="", window=WINDOW, interval=None):
        self.target = target            # "host:port" the samples come from
        self.window = window
        self.interval = interval        # seconds between polls, for the status line
        self.prev = None                # (t, info) before the latest, None when no rate
        self.last = None                # (t, info)
        self.series = {}                # name -> deque of (t0, t1, value)
        self.problem = None             # (kind, text, since, t) while something is wrong
        self.log = deque(maxlen=LOG_LINES)

    # --- input ------------------------------------------------------------------------------
    def add(self, info, t):
        """A successful poll: `info` as parse_info returns it, taken at wall time t."""
        self.prev, self.last = self.last, (t, info)
        self.problem = None
        if self.prev is not None and self._restarted():
            self.prev = None
        if self.prev is not None:
            t0 = self.prev[0]
            self._push("ops", t0, t, self.rate("stats", "total_commands_processed"))
            for name in self.commands():
                self._push("cmd:" + name, t0, t, self.cmd_rate(name))
        start = self.prev[0] if self.prev is not None else t
        self._push("used_memory", start, t, num(self.value("memory", "used_memory")))
        self._push("clients", start, t, num(self.value("clients", "connected_clients")))
        for points in self.series.values():
            while points and points[0][1] < t - self.window:
                points.popleft()

    def down(self, kind, text, t):
        """The server could not be polled: unreachable, auth, error, starting or exited."""
        since = self.problem[2] if self.problem and self.problem[0] == kind else t
        self.problem = (kind, text, since, t)

    def add_log(self, line):
        self.log.append(line.rstrip("\r\n"))

    def _push(self, name, t0, t1, value):
        if value is not None:
            self.series.setdefault(name, deque()).append((t0, t1, value))

    def _restarted(self):
        a = self.prev[1].get("server", {}).get("run_id")
        b = self.last[1].get("server", {}).get("run_id")
        return a is not None and b is not None and a != b

    # --- reading the latest sample ----------------------------------------------------------
    @property
    def info(self):
        return self.last[1] if self.last else {}

    @property
    def now(self):
        return self.last[0] if self.last else None

    @property
    def dt(self):
        """Seconds between the last two samples, or None."""
        if self.prev is None:
            return None
        d = self.last[0] - self.prev[0]
        return d if d > 0 else None

    def section(self, name):
        return self.info.get(name, {})

    def value(self, section, field):
        return self.section(section).get(field)

    def number(self, section, field):
        return num(self.value(section, field))

    @property
    def is_mako(self):
        return "mako_numba_version" in self.section("server")

    def delta(self, section, field):
        """A counter's increase over the last interval; None when unknown or it went down."""
        if self.prev is None:
            return None
        a = num(self.prev[1].get(section, {}).get(field))
        b = num(self.value(section, field))
        if a is None or b is None or b < a:
            return None
        return b - a

    def rate(self, section, field):
        d, dt = self.delta(section, field), self.dt
        return None if d is None or dt is None else d / dt

    # --- derived views ----------------------------------------------------------------------
    def commands(self):
        """Names in commandstats (`get`, `client|setinfo`), as the server lists them."""
        return [k[len("cmdstat_"):] for k in self.section("commandstats") if k.startswith("cmdstat_")]

    def cmd_fields(self, name, info=None):
        info = self.info if info is None else info
        return fields(info.get("commandstats", {}).get("cmdstat_" + name, ""))

    def cmd_rate(self, name):
        if self.prev is None or self.dt is None:
            return None
        a = num(self.cmd_fields(name, self.prev[1]).get("calls"), 0)
        b = num(self.cmd_fields(name).get("calls"), 0)
        return (b - a) / self.dt if b >= a else None

    def command_rows(self):
        """[(name, calls, calls/s or None, usec/call or None)], busiest first."""
        rows = []
        for name in self.commands():
            f = self.cmd_fields(name)
            rows.append((name, num(f.get("calls"), 0), self.cmd_rate(name), num(f.get("usec_per_call"))))
        rows.sort(key=lambda r: (-(r[2] or 0), -r[1], r[0]))
        return rows

    def hit_ratio(self):
        """(ratio over the last interval, ratio since start); each None without lookups."""
        dh, dm = self.delta("stats", "keyspace_hits"), self.delta("stats", "keyspace_misses")
        h, m = self.number("stats", "keyspace_hits"), self.number("stats", "keyspace_misses")
        interval = dh / (dh + dm) if dh is not None and dm is not None and dh + dm else None
        overall = h / (h + m) if h is not None and m is not None and h + m else None
        return interval, overall

    def keyspace(self):
        """[(db, keys, expires, avg_ttl ms)] of the databases INFO lists."""
        rows = []
        for db, value in self.section("keyspace").items():
            f = fields(value)
            rows.append((db, num(f.get("keys"), 0), num(f.get("expires"), 0), num(f.get("avg_ttl"), 0)))
        return rows

    def latency(self):
        """[(command, {p50: usec, ...})], the busiest commands first."""
        calls = {name: c for name, c, _, _ in self.command_rows()}
        prefix = "latency_percentiles_usec_"
        rows = [(k[len(prefix):], {p: num(v) for p, v in fields(v).items()})
                for k, v in self.section("latencystats").items() if k.startswith(prefix)]
        rows.sort(key=lambda r: (-calls.get(r[0], 0), r[0]))
        return rows

    def batch_sizes(self):
        """[(upper bound, batches in total, batches in the last interval or None)] from Mako."""
        now = fields(self.value("mako", "batch_sizes") or "")
        before = fields(self.prev[1].get("mako", {}).get("batch_sizes", "")) if self.prev else {}
        rows = []
        for bound, n in now.items():
            n = num(n, 0)
            old = num(before.get(bound)) if self.prev else None
            rows.append((num(bound, 0), n, n - old if old is not None and n >= old else None))
        rows.sort()
        return rows

    def kernel_times(self):
        """(kernel usec per batch, kernel ns per request) over the last interval; None unknown."""
        du = self.delta("mako", "kernel_usec")
        db = self.delta("mako", "batches")
        dr = self.delta("mako", "requests_in_batches")
        per_batch = du / db if du is not None and db else None
        per_request = du * 1000 / dr if du is not None and dr else None
        return per_batch, per_request

    def points(self, name):
        """The history of a series: [(t0, t1, value)] within the window."""
        return list(self.series.get(name, ()))
