"""Per-command latency histograms, laid out as Redis's HdrHistogram.

Redis 7 keeps one HdrHistogram per command (lowest 1 ns, highest 1 s, two
significant figures) and records each call's duration, clamped to that
range.  INFO latencystats prints percentiles of it and LATENCY HISTOGRAM a
cumulative distribution in power-of-two microsecond buckets.  We keep the
same histogram as one row of counts per command in an int64 array
(`hist[NCOMMANDS, HDR_LEN]`, the kernels' `lat`), so every number we print
is computed as Redis computes it from the same buckets.

Rules:
- `hdr_index` and `record` are kernels (the executor records every command
  it runs); everything else here is plain Python over a row of counts and
  runs only when someone asks (INFO, LATENCY HISTOGRAM).
- Durations are nanoseconds.  Redis measures in whole microseconds (a fast
  command is 0 us, printed as 0.001); the kernels time each command with
  the cycle counter, so ours carry real nanoseconds.
- The cycle counter's rate is measured once per process (`ns_per_cycle`);
  kernels convert with a fixed-point factor, `lim[L_NS_MULT] / 2**NS_SHIFT`.
"""
import time

import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros

from mako_numba.base.jit import cycles, kernel

HDR_LOWEST = 1
HDR_HIGHEST = 1_000_000_000
SUB_BUCKET_HALF_MAG = 7             # 2 significant figures: 256 sub-buckets
SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_MAG
SUB_BUCKET_MASK = (2 << SUB_BUCKET_HALF_MAG) - 1
BUCKETS = 23                        # 256 << 22 > 1e9
HDR_LEN = (BUCKETS + 1) * SUB_BUCKET_HALF
NS_SHIFT = 20


@kernel(inline=True)
def hdr_index(v):
    """Counts index of value v (1 <= v <= HDR_HIGHEST), as hdr_histogram's counts_index_for."""
    top = 64 - np.int64(leading_zeros(np.uint64(v | SUB_BUCKET_MASK)))
    bucket = top - (SUB_BUCKET_HALF_MAG + 1)
    sub = v >> bucket
    return ((bucket + 1) << SUB_BUCKET_HALF_MAG) + sub - SUB_BUCKET_HALF


@kernel(inline=True)
def record(hist, ci, ns):
    """One call of command ci that took ns nanoseconds (clamped to [1 ns, 1 s] as Redis)."""
    v = ns
    if v < HDR_LOWEST:
        v = HDR_LOWEST
    elif v > HDR_HIGHEST:
        v = HDR_HIGHEST
    hist[ci, hdr_index(v)] += 1


# --- reading a row of counts (Python) -------------------------------------------------
def index_of(v):
    v = min(max(int(v), HDR_LOWEST), HDR_HIGHEST)
    bucket = (v | SUB_BUCKET_MASK).bit_length() - (SUB_BUCKET_HALF_MAG + 1)
    return ((bucket + 1) << SUB_BUCKET_HALF_MAG) + (v >> bucket) - SUB_BUCKET_HALF


def value_at(i):
    """The lowest value counted at index i."""
    bucket = (i >> SUB_BUCKET_HALF_MAG) - 1
    sub = (i & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF
    if bucket < 0:
        sub -= SUB_BUCKET_HALF
        bucket = 0
    return sub << bucket


def highest_equivalent(v):
    """The largest value that shares v's bucket (hdr's highest_equivalent_value)."""
    bucket = (v | SUB_BUCKET_MASK).bit_length() - (SUB_BUCKET_HALF_MAG + 1)
    lowest = (v >> bucket) << bucket
    return lowest + (1 << bucket) - 1


def value_at_percentile(counts, p):
    """hdr_value_at_percentile: the highest equivalent value at percentile p (0..100)."""
    total = int(counts.sum())
    want = max(int(min(p, 100.0) / 100 * total + 0.5), 1)
    run = np.cumsum(counts)
    i = int(np.searchsorted(run, want))
    if i >= len(counts):
        return 0
    v = value_at(i)
    return v if p == 0 else highest_equivalent(v)


def percentile_name(p):
    """Redis's trimDoubleString of "%f": 50 -> "50", 99.9 -> "99.9"."""
    text = "%f" % p
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def info_line(counts, percentiles):
    """The value of latency_percentiles_usec_<cmd>: p50=1.003,p99=...,p99.9=..."""
    return ",".join("p%s=%.3f" % (percentile_name(p), value_at_percentile(counts, p) / 1000.0)
                    for p in percentiles)


def cdf(counts):
    """LATENCY HISTOGRAM's buckets: [(usec, cumulative calls)], Redis's log iteration.

    Levels 1024 ns, 2048 ns, ... (each reported as its highest equivalent
    value in whole microseconds); a level is listed when its cumulative
    count grew, and the walk ends once every call is counted.
    """
    total = int(counts.sum())
    out = []
    if not total:
        return out
    run = np.cumsum(counts)
    level = 1024
    prev = 0
    seen = 0
    while seen < total:
        top = highest_equivalent(level)
        i = index_of(top)
        seen = int(run[min(i, len(run) - 1)])
        if seen > prev:
            out.append((top // 1000, seen))
        prev = seen
        level *= 2
    return out


# --- the cycle counter's rate ---------------------------------------------------------
@kernel(entry=True)
def read_cycles():
    return cycles()


_NS_PER_CYCLE = []


def ns_per_cycle():
    """Nanoseconds per cycle-counter tick, measured once (20 ms) per process; 0.0 if it stands still."""
    if not _NS_PER_CYCLE:
        c0, t0 = read_cycles(), time.perf_counter_ns()
        time.sleep(0.02)
        c1, t1 = read_cycles(), time.perf_counter_ns()
        _NS_PER_CYCLE.append((t1 - t0) / (c1 - c0) if c1 > c0 else 0.0)
    return _NS_PER_CYCLE[0]


def ns_mult():
    """The kernels' fixed-point factor: ns = cycles * mult >> NS_SHIFT."""
    return int(round(ns_per_cycle() * (1 << NS_SHIFT)))


def info_latencystats(core):
    """INFO latencystats (the Observer registers it): latency-tracking-info-percentiles of each
    command's histogram."""
    settings = core.settings
    pct = [float(p) for p in settings["latency-tracking-info-percentiles"].split()]
    return [(f"latency_percentiles_usec_{name}", info_line(counts, pct))
           for name, counts in core.observe.histograms()]
