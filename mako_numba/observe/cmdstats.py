"""INFO's counters of commands, errors and batches: the kernels' `stats` array plus the slow path's.

Commandstats: calls, `rejected_calls` (arity and queuing errors) and
`failed_calls` (error replies) of every command; `usec` sums the kernels'
per-command times (nanoseconds, kept while commands are timed:
latency-tracking or a slow log) and the slow path's, which `Admin.cmdstats`
keeps per subcommand.  Errorstats counts error replies by their first word,
as Redis does (a kernel error is an `ERR` unless the batch counted its
code apart: WRONGTYPE, UNBLOCKED, NOAUTH, OOM).  `batch_fields` is the
`# Mako` section's part about the batch kernel.
"""
from mako_numba.commands import registry as commands
from mako_numba.observe import latency
from mako_numba.base.layout import (
    B_BATCHES, S_BATCH_CYCLES, S_BATCH_HIST, S_BATCH_HIST_N, S_BATCH_REQS, S_ERR_UNBLOCKED,
    S_ERR_WRONGTYPE, S_ERRORS, S_NFIELDS, S_NOAUTH, S_OOM,
)


def _cmdstat(calls, usec, rejected, failed):
    per = usec / calls if calls else 0.0
    return (f"calls={calls},usec={usec},usec_per_call={per:.2f},"
            f"rejected_calls={rejected},failed_calls={failed}")


def commandstats(core):
    """(name, value) pairs: kernel counters per command, slow-path rows per subcommand."""
    st = core.stats
    extra = getattr(getattr(core, "admin", None), "cmdstats", {})
    out = []
    n = commands.NCOMMANDS
    for i, name in enumerate(commands.NAMES):
        calls = int(st[S_NFIELDS + i])
        _, usec, rejected, failed = extra.get(name, (0, 0, 0, 0))
        failed += int(st[S_NFIELDS + n + i])
        rejected += int(st[S_NFIELDS + 2 * n + i])
        usec += int(st[S_NFIELDS + 3 * n + i]) // 1000
        if calls or rejected or failed:
            out.append((f"cmdstat_{name}", _cmdstat(calls, usec, rejected, failed)))
        for full in sorted(k for k in extra if k.startswith(name + "|")):
            row = extra[full]
            if row[0] or row[2] or row[3]:
                out.append((f"cmdstat_{full}", _cmdstat(*row)))
    return out


def errorstats(core):
    """(errorstat_CODE, count=N) pairs: the kernels' errors are ERR, but for NOAUTH, OOM,
    WRONGTYPE and UNBLOCKED, counted apart."""
    counts = dict(getattr(getattr(core, "admin", None), "errorstats", {}))
    st = core.stats
    wrongtype, unblocked = int(st[S_ERR_WRONGTYPE]), int(st[S_ERR_UNBLOCKED])
    for code, kernel in (("ERR", int(st[S_ERRORS]) - wrongtype - unblocked), ("NOAUTH", int(st[S_NOAUTH])),
                         ("WRONGTYPE", wrongtype), ("UNBLOCKED", unblocked)):
        if kernel:
            counts[code] = counts.get(code, 0) + kernel
    if core.stats[S_OOM]:
        counts["OOM"] = counts.get("OOM", 0) + int(core.stats[S_OOM])
    return [(f"errorstat_{code}", f"count={n}") for code, n in sorted(counts.items())]


def total_errors(core):
    slow = getattr(getattr(core, "admin", None), "errorstats", {})
    return int(core.stats[S_ERRORS]) + int(core.stats[S_NOAUTH]) + int(core.stats[S_OOM]) + sum(slow.values())


def batch_fields(core):
    """The batch kernel's own counters: how many requests a batch holds and what it costs."""
    st = core.stats
    batches = int(core.bm[B_BATCHES])
    reqs = int(st[S_BATCH_REQS])
    ns = int(st[S_BATCH_CYCLES]) * latency.ns_per_cycle()
    hist = ",".join(f"{1 << i}={int(st[S_BATCH_HIST + i])}" for i in range(S_BATCH_HIST_N))
    return [
        ("requests_in_batches", reqs),
        ("batch_sizes", hist),
        ("kernel_usec", int(ns // 1000)),
        ("kernel_usec_per_batch", "%.2f" % (ns / 1000 / batches if batches else 0.0)),
        ("kernel_nsec_per_request", "%.1f" % (ns / reqs if reqs else 0.0)),
    ]
