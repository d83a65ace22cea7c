"""The list and sorted-set cases at P=1 and P=16 driven by our own load generator
(bench/loadgen.py).

redis-benchmark, one process, is busy all the time on this kind of machine at both
depths: it sets the pace for both servers, and the ratio it shows is its own limit, not
the servers'.  This part sends the same requests as redis-benchmark's cases (`LPUSH
mylist xxx`, `RPOP mylist`, `LRANGE mylist 0 99`, and the sorted-set cases of
bench/lists.py) from our generator, whose ceiling (requests per CPU-second of its own)
is measured in every run and shown beside the result.  Targets as the issue's: >= 1.0 at
P=1, >= 1.5 at P=16.

RPOP needs elements for the whole run: mylist is filled with more than the
generator's ceiling can pop in the run first, and a run that emptied it
anyway is an error.  The sorted sets are those the throughput part loaded
(z:N of 10 members, z of 200).
"""
import random

from . import loadgen, report
from .wire import resp as _resp
from .profiles import LOADGEN_WORKERS

CLIENTS = 50
DEPTHS = ((1, 1.0), (16, 1.5))     # (pipeline depth, target ratio)


def _zadds(keys):
    rnd = random.Random(7)
    return [_resp("ZADD", f"z:{rnd.randrange(keys):012d}", rnd.randrange(1000), f"m{rnd.randrange(1000)}")
            for _ in range(4096)]


def _zscores(keys):
    rnd = random.Random(8)
    return [_resp("ZSCORE", f"z:{rnd.randrange(keys):012d}", "m3") for _ in range(4096)]


def cases(zsets, zkeys):
    """(label, requests, elements mylist must hold first or 0)."""
    out = [("LPUSH mylist xxx", [_resp("LPUSH", "mylist", "xxx")], 0),
           ("RPOP mylist", [_resp("RPOP", "mylist")], 1),
           ("LRANGE mylist 0 99", [_resp("LRANGE", "mylist", "0", "99")], 100)]
    if zsets:
        out += [("ZADD z:N S mN", _zadds(zkeys), 0),
                ("ZSCORE z:N m3", _zscores(zkeys), 0),
                ("ZRANGE z 0 99 WITHSCORES", [_resp("ZRANGE", "z", "0", "99", "WITHSCORES")], 0)]
    return out


def _fill(server, call, pump, count):
    """mylist holds at least `count` elements."""
    have = call(server, "LLEN", "mylist")
    if have >= count:
        return
    per = 1000
    need = count - have
    cmd = _resp("RPUSH", "mylist", *(["xxx"] * per))
    chunks = [(cmd * 50, 50)] * (need // (per * 50) + 1)
    pump(server, chunks, "mylist")


def part(opts, servers, seconds, zsets, zkeys, call, pump, alternate):
    """The table; `call` answers an integer command, `pump` loads chunks, `alternate` runs a
    function on each server `opts.runs` times (bench/lists.py's helpers)."""
    lines = [f"| case (c{CLIENTS}) | P | mako ops/s | redis ops/s | mako/redis | target "
             "| verdict | generator busy (max) | generator ceiling ops/s (min) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for pipeline, target in DEPTHS:
        for label, reqs, need in cases(zsets, zkeys):
            def one(s):
                if need:
                    # more than the generator could pop at its fastest, 3M a second
                    _fill(s, call, pump, max(need, int(3_000_000 * seconds)) if need == 1 else need)
                r = loadgen.run(s.host, s.port, clients=CLIENTS, pipeline=pipeline, seconds=seconds,
                                workers=LOADGEN_WORKERS, requests=reqs)
                if r["errors"]:
                    raise RuntimeError(f"{s.name}: {label} answered {r['errors']} errors")
                if need == 1 and call(s, "LLEN", "mylist") == 0:
                    raise RuntimeError(f"{s.name}: RPOP emptied mylist before the run ended")
                return r
            got = alternate(servers, opts.runs, one)
            m, d = got["mako"], got["redis"]
            ratio = report.spread([a["ops_per_sec"] / b["ops_per_sec"] for a, b in zip(m, d)])
            verdict = "met" if ratio.median >= target else "not met"
            lines.append("| %s | %d | %s | %s | %s | >= %g | %s | %.0f%% | %s |" % (
                label, pipeline, report.spread([r["ops_per_sec"] for r in m]).fmt(),
                report.spread([r["ops_per_sec"] for r in d]).fmt(), ratio.fmt("{:.2f}"), target,
                verdict, 100 * max(r["client_cpu_share"] for r in m + d),
                f"{min(r['ceiling_ops_per_sec'] for r in m + d):,.0f}"))
            print(lines[-1], flush=True)
    lines += ["", "generator busy: the share of its time our generator's worker was on the CPU "
              "(near 100%: it, not the server, may have set the pace)."]
    return lines
