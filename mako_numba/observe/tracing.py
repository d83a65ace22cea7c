"""Watching commands run: SLOWLOG, LATENCY HISTOGRAM, MONITOR.

The kernels time every command they run (engine.exec_rows: the cycle counter,
into the per-command histograms of latency.py and the queue's Q_NS column)
and count the rows this module must see in bm[B_TRACED]: slower than
`slowlog-log-slower-than`, or every row while a MONITOR client is attached.
Such a batch returns M_TRACE with its input buffers not yet compacted, so
`Observer.rows` can still read the arguments; then `finish_traced` ends the
batch.  The slow path reports each command it runs to `Observer.ran`.  So
nothing here costs anything until someone sets a threshold or monitors.

Rules, as Redis's call() has them:
- Only commands that ran are seen (not unknown, rejected or queued ones);
  a transaction's commands are seen as EXEC runs them, before EXEC itself.
- MONITOR shows neither `admin` nor `skip_monitor` commands, SLOWLOG skips
  `skip_slowlog` ones (EXEC), and secrets (AUTH, HELLO ... AUTH, CONFIG SET
  requirepass) are redacted.
- A MONITOR client answers keyspace commands with Redis's replica error.
"""
import time
from ctypes import string_at

import numpy as np

from mako_numba.commands import registry as commands
from mako_numba.config import settings as config
from mako_numba.protocol import errors
from mako_numba.observe import latency
from mako_numba.observe.cmdstats import commandstats, errorstats
from mako_numba.observe.latency import info_latencystats
from mako_numba.protocol import resp
from mako_numba.base.layout import C_DB, C_FLAGS, F_MONITOR, Q_ARG0, Q_ARGC, Q_CMD, Q_CONN, Q_NS
from mako_numba.commands.slowpath import int_or_none, lower_arg, format_addr

SLOWLOG_MAX_ARGC = 32
SLOWLOG_MAX_STRING = 128


def _flags(name):
    meta = commands.redis_metadata()["commands"].get(name)
    return set(meta["flags"]) if meta else set()


def _redacted(args):
    """CONFIG SET's values of secret parameters, as Redis's redactClientCommandArgument
    (AUTH and HELLO mark their own secrets: slowpath.Call.redact)."""
    if len(args) < 2:
        return args
    name = lower_arg(args[0])
    if name == "config" and lower_arg(args[1]) == "set" and len(args) >= 4 and not len(args) % 2:
        out = list(args)
        for i in range(2, len(args) - 1, 2):
            if lower_arg(args[i]) in SECRET_PARAMS:
                out[i + 1] = b"(redacted)"
        return out
    return args


SECRET_PARAMS = ("requirepass", "masterauth", "masteruser")


def repr_bytes(b):
    """Redis's sdscatrepr: a quoted string with C escapes and \\xHH."""
    out = ['"']
    for ch in b:
        c = chr(ch)
        if c in '\\"':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\a":
            out.append("\\a")
        elif c == "\b":
            out.append("\\b")
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % ch)
    out.append('"')
    return "".join(out)


class Observer:
    """The slow log, the MONITOR clients and the slow path's latency histograms."""

    def __init__(self, core):
        self.core = core
        core.info.register("commandstats", commandstats)
        core.info.register("errorstats", errorstats)
        core.info.register("latencystats", info_latencystats)
        self.slowlog = []               # newest first: [id, time, usec, argv, peer, name]
        self.slowlog_next_id = 0
        self.monitors = []              # slots, in the order they started monitoring
        self.sub_hist = {}              # "config|get" -> counts (latency.HDR_LEN)
        self.woken = set()              # slots with monitor output to send
        meta = commands.redis_metadata()["commands"]     # subcommands have their own flags
        self._hidden = {n for n in meta if {"admin", "skip_monitor"} & _flags(n)}
        self._no_slowlog = {n for n in meta if "skip_slowlog" in _flags(n)}
        self.configure()

    # --- settings ----------------------------------------------------------------------
    def configure(self):
        """Push slowlog-log-slower-than, latency-tracking and the monitors into lim."""
        s = self.core.settings
        lim = self.core.lim
        slower = int(s["slowlog-log-slower-than"])
        tracking = s["latency-tracking"] == "yes"
        lim[config.L_LATENCY] = int(tracking)
        # in ns for the kernels; past 2**63 ns (292 years) nothing can be that slow
        lim[config.L_TRACE_NS] = min(slower * 1000, (1 << 63) - 1) if slower >= 0 else -1
        lim[config.L_MONITOR] = int(bool(self.monitors))
        timed = tracking or slower >= 0
        lim[config.L_NS_MULT] = latency.ns_mult() if timed else 0
        del self.slowlog[self.max_len():]

    def max_len(self):
        return int(self.core.settings["slowlog-max-len"])

    # --- what ran ------------------------------------------------------------------------
    def rows(self, q, lo, hi, args):
        """Queue rows [lo, hi) of a batch (or of EXEC's replay) that the kernels ran."""
        for k in range(lo, hi):
            ns = int(q[k, Q_NS])
            if ns:
                a0, argc = int(q[k, Q_ARG0]), int(q[k, Q_ARGC])
                argv = [string_at(int(args[i, 0]), int(args[i, 1])) for i in range(a0, a0 + argc)]
                self.ran(int(q[k, Q_CONN]), commands.NAMES[int(q[k, Q_CMD])], argv, ns - 1)

    def ran(self, slot, name, argv, ns):
        """A command (name: "get" or "config|get") ran for slot and took ns: the slow log and the monitors may want it."""
        core = self.core
        if core.aof.loading:            # Redis's AOF loader runs commands without call()
            return
        slower = int(core.lim[config.L_TRACE_NS])
        log = slower >= 0 and ns >= slower and name not in self._no_slowlog
        feed = self.monitors and name not in self._hidden
        if log or feed:
            argv = _redacted(argv)
            if log:
                self._log_slow(slot, argv, ns // 1000)
            if feed:
                self._feed(slot, argv)

    def record_slow_path(self, ci, full, ns):
        """A slow-path command's latency: its own row, or its subcommand's histogram."""
        core = self.core
        if not core.lim[config.L_LATENCY]:
            return
        if full == commands.NAMES[ci]:
            core.lat[ci, latency.index_of(ns)] += 1
        else:
            h = self.sub_hist.get(full)
            if h is None:
                h = self.sub_hist[full] = np.zeros(latency.HDR_LEN, np.int64)
            h[latency.index_of(ns)] += 1

    def histograms(self):
        """(name, counts) of every command that has latency samples, as commandstats orders them."""
        out = []
        for i, name in enumerate(commands.NAMES):
            row = self.core.lat[i]
            if row.any():
                out.append((name, row))
            for full in sorted(k for k in self.sub_hist if k.startswith(name + "|")):
                out.append((full, self.sub_hist[full]))
        return out

    def reset_stats(self):
        self.core.lat[:] = 0
        self.sub_hist.clear()

    # --- SLOWLOG -------------------------------------------------------------------------
    def _log_slow(self, slot, argv, usec):
        info = self.core.clients.get(slot)
        argc = len(argv)
        n = min(argc, SLOWLOG_MAX_ARGC)
        kept = []
        for j in range(n):
            a = argv[j]
            if n != argc and j == n - 1:
                a = b"... (%d more arguments)" % (argc - n + 1)
            elif len(a) > SLOWLOG_MAX_STRING:
                a = a[:SLOWLOG_MAX_STRING] + b"... (%d more bytes)" % (len(a) - SLOWLOG_MAX_STRING)
            kept.append(a)
        peer = format_addr(*info.peer[:2]) if info is not None else ""
        name = info.name if info is not None else b""
        self.slowlog.insert(0, (self.slowlog_next_id, int(time.time()), usec, kept, peer, name))
        self.slowlog_next_id += 1
        del self.slowlog[self.max_len():]

    # --- MONITOR -------------------------------------------------------------------------
    def _feed(self, slot, argv):
        core = self.core
        info = core.clients.get(slot)
        now = time.time()
        sec = int(now)
        where = format_addr(*info.peer[:2]) if info is not None else "?"
        line = "+%d.%06d [%d %s] %s\r\n" % (sec, int((now - sec) * 1e6), int(core.conn[slot, C_DB]),
                                            where, " ".join(repr_bytes(a) for a in argv))
        data = line.encode("latin-1")
        for m in self.monitors:
            core.write(m, data)
            self.woken.add(m)

    def start_monitor(self, slot):
        self.monitors.append(slot)
        self.core.conn[slot, C_FLAGS] |= F_MONITOR
        self.configure()

    def stop_monitor(self, slot):
        if slot in self.monitors:
            self.monitors.remove(slot)
            self.core.conn[slot, C_FLAGS] &= ~F_MONITOR
            self.woken.discard(slot)
            self.configure()


class ObserveCommands:
    """SLOWLOG, LATENCY and MONITOR: a mixin of Admin."""

    def slowlog(self, call):
        return self._subcommand(call, "slowlog")

    def slowlog_get(self, call):
        obs = self.core.observe
        count = 10
        if len(call.args) > 3:
            return resp.error(errors.DEBUG_SUBCOMMAND % (call.args[1].decode("latin-1"), "SLOWLOG"))
        if len(call.args) == 3:
            n = int_or_none(call.args[2])
            if n is None or n < -1:
                return resp.error(errors.SLOWLOG_COUNT)
            count = len(obs.slowlog) if n == -1 else n
        items = []
        for eid, when, usec, argv, peer, name in obs.slowlog[:count]:
            items.append(resp.array([resp.integer(eid), resp.integer(when), resp.integer(usec),
                                     resp.bulk_array(argv),
                                     resp.bulk(peer), resp.bulk(name)]))
        return resp.array(items)

    def slowlog_len(self, call):
        return resp.integer(len(self.core.observe.slowlog))

    def slowlog_reset(self, call):
        self.core.observe.slowlog.clear()
        return resp.simple("OK")

    def latency(self, call):
        return self._subcommand(call, "latency")

    def latency_histogram(self, call):
        obs = self.core.observe
        hists = dict(obs.histograms())
        names = list(hists)
        if len(call.args) > 2:
            names = []
            for a in call.args[2:]:
                n = lower_arg(a)
                if n in hists and n not in names:
                    names.append(n)
        proto = call.proto
        pairs = []
        for n in names:
            counts = hists[n]
            cdf = latency.cdf(counts)
            body = resp.map_([(resp.bulk("calls"), resp.integer(int(counts.sum()))),
                              (resp.bulk("histogram_usec"),
                               resp.map_([(resp.integer(u), resp.integer(c)) for u, c in cdf], proto))],
                             proto)
            pairs.append((resp.bulk(n), body))
        return resp.map_(pairs, proto)

    # The latency monitor (latency-monitor-threshold) is not implemented: these
    # answer as Redis does with it off, its default.
    def latency_latest(self, call):
        return resp.array([])

    def latency_history(self, call):
        return resp.array([])

    def latency_reset(self, call):
        return resp.integer(0)

    def latency_graph(self, call):
        return resp.error("ERR No samples available for event '%s'" % call.args[2].decode("latin-1"))

    def latency_doctor(self, call):
        return resp.verbatim(LATENCY_DOCTOR_OFF, call.proto)

    def monitor(self, call):
        core = self.core
        if self._inner:              # EXEC runs it: Redis's clients there expect one reply each
            return resp.error(errors.MONITOR_DENY_BLOCKING)
        if int(core.conn[call.slot, C_FLAGS]) & F_MONITOR:
            return b""                      # already monitoring: Redis ignores it
        core.observe.start_monitor(call.slot)
        return resp.simple("OK")


LATENCY_DOCTOR_OFF = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. "
    "You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. "
    "If we weren't in a deep space mission I'd suggest to take a look at "
    "https://redis.io/topics/latency-monitor.\n")
