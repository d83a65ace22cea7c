"""`python -m bench collections`: hashes and sets beside redis-server: throughput, big replies, SINTER, memory.

One mako_numba and one redis-server (fresh for each part), the same data
loaded into both with redis-py pipelines, then:

- throughput: redis-benchmark running a custom command at 50 clients, P=1
  and P=16, over 100,000 keys (`-r 100000`, `__rand_int__` in key and
  member): HSET h:N fN v, HGET h:N f3 (100,000 hashes of 10 fields
  preloaded), SADD s:N N, SISMEMBER s:N 3 (100,000 sets of 10 integers
  preloaded), and SET/GET k:N beside them for reference (what a command
  costs when the type does not matter); runs alternate between the servers
  (who goes first swaps).
- big replies at P=16: HGETALL of a 100-field hash, SMEMBERS of a 100-member
  set (strings).
- SINTER of two 100,000-member sets (half in common): wall time per call
  over one connection, median of `--sinter-calls`.
- memory: used_memory and RSS after loading, less an empty server's, per
  field or member: 100,000 hashes of 10 fields, one hash of 1,000,000
  fields, 100,000 sets of 10 small integers, one set of 1,000,000 strings.
- stall: one hash grown to 1,000,000 fields by single-field HSETs, 1,000 to
  a pipeline over one connection: the median and worst round trips of a
  pipeline (a table that grows by rebuilding shows its rebuilds there), then
  the time DEL of the whole hash takes.

Prints one table per part with medians (min-max over `--runs`) and the
mako/redis ratio, and writes them to bench/results/<stamp>-collections/.
`--quick` is a short look (1 run, fewer requests, memory at a tenth of the
sizes); `--parts` picks parts.
"""
import os
import statistics
import subprocess
import time

import redis

from . import report
from .servers import die_with_parent, info_fields, start_mako, start_redis

PARTS = ("throughput", "big", "sinter", "memory", "stall")
KEYS = 100_000
THROUGHPUT = [
    ("HSET", ["HSET", "h:__rand_int__", "f__rand_int__", "v"]),
    ("HGET", ["HGET", "h:__rand_int__", "f3"]),
    ("SADD", ["SADD", "s:__rand_int__", "__rand_int__"]),
    ("SISMEMBER", ["SISMEMBER", "s:__rand_int__", "3"]),
    ("SET (strings, for reference)", ["SET", "k:__rand_int__", "v"]),
    ("GET (strings, for reference)", ["GET", "k:__rand_int__"]),
]
BIG = [("HGETALL 100 fields", ["HGETALL", "big:h"]), ("SMEMBERS 100 members", ["SMEMBERS", "big:s"])]


def add_arguments(p):
    p.add_argument("--runs", type=int, default=3, help="runs per server and case (default 3)")
    p.add_argument("--requests", type=int, default=200_000, help="redis-benchmark -n per run")
    p.add_argument("--sinter-calls", type=int, default=20)
    p.add_argument("--quick", action="store_true", help="1 run, fewer requests, memory at 1/10")
    p.add_argument("--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))


def _client(server):
    return redis.Redis(host=server.host, port=server.port, socket_timeout=300)


def _preload(r, quick=False):
    """100,000 hashes of 10 fields, 100,000 sets of 10 integers, the two big values."""
    pipe = r.pipeline(transaction=False)
    for i in range(KEYS):
        pipe.hset(f"h:{i:012d}", mapping={f"f{j}": f"value{j}" for j in range(10)})
        pipe.sadd(f"s:{i:012d}", *range(10))
        if i % 5000 == 4999:
            pipe.execute()
    pipe.hset("big:h", mapping={f"field:{j}": f"value:{j}" for j in range(100)})
    pipe.sadd("big:s", *(f"member:{j}" for j in range(100)))
    pipe.execute()


def _benchmark(server, cmd, clients, pipeline, n):
    """One redis-benchmark run of a custom command: (requests per second, the server's CPU
    microseconds per request)."""
    cpu0 = server.cpu_seconds()
    out = subprocess.run(["redis-benchmark", "-h", server.host, "-p", str(server.port),
                          "-c", str(clients), "-P", str(pipeline), "-n", str(n),
                          "-r", str(KEYS), "--csv", *cmd],
                         capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
                         preexec_fn=die_with_parent)
    if out.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed against {server.name}: {out.stderr.strip()}")
    cpu = server.cpu_seconds() - cpu0
    rows = [line for line in out.stdout.splitlines() if line.strip()]
    return float(rows[-1].split('","')[1].strip('"')), cpu * 1e6 / n


def _alternate(servers, runs, fn):
    """{name: [results]} of fn(server) run `runs` times on each, who goes first swapping."""
    got = {s.name: [] for s in servers}
    for i in range(runs):
        for s in (servers if i % 2 == 0 else servers[::-1]):
            got[s.name].append(fn(s))
    return got


def _row(label, got, fmt="{:,.0f}", higher_better=True):
    m, d = got["mako"], got["redis"]
    ratio = [a / b for a, b in zip(m, d)] if higher_better else [b / a for a, b in zip(m, d)]
    return "| %s | %s | %s | %s |" % (label, report.spread(m).fmt(fmt), report.spread(d).fmt(fmt),
                                      report.spread(ratio).fmt("{:.2f}"))


def _rb_row(label, got):
    """A redis-benchmark case: throughput and its ratio, then the servers' CPU per request
    and redis's over mako's (the client shares the machine's cores: when both servers are held
    to the client's pace, the CPU ratio is the servers' own)."""
    rps = {k: [x[0] for x in v] for k, v in got.items()}
    cpu = {k: [x[1] for x in v] for k, v in got.items()}
    return _row(label, rps) + " %s | %s | %s |" % (
        report.spread(cpu["mako"]).fmt("{:.2f}"), report.spread(cpu["redis"]).fmt("{:.2f}"),
        report.spread([b / a for a, b in zip(cpu["mako"], cpu["redis"])]).fmt("{:.2f}"))


def part_throughput(opts, servers):
    lines = ["| case | mako ops/s | redis ops/s | mako/redis | mako CPU us/op | redis CPU us/op "
             "| CPU redis/mako |", "|---|---|---|---|---|---|---|"]
    n = opts.requests // (4 if opts.quick else 1)
    for pipeline in (1, 16):
        for name, cmd in THROUGHPUT:
            got = _alternate(servers, opts.runs, lambda s: _benchmark(s, cmd, 50, pipeline, n))
            lines.append(_rb_row(f"{name} c50 P{pipeline}", got))
            print(lines[-1], flush=True)
    for name, cmd in BIG:
        got = _alternate(servers, opts.runs, lambda s: _benchmark(s, cmd, 50, 16, n // 4))
        lines.append(_rb_row(f"{name} c50 P16", got))
        print(lines[-1], flush=True)
    return lines


def part_sinter(opts, servers):
    lines = ["| case | mako ms/call | redis ms/call | redis/mako (speed) |", "|---|---|---|---|"]
    for s in servers:
        r = _client(s)
        pipe = r.pipeline(transaction=False)
        for lo in range(0, KEYS, 10_000):
            pipe.sadd("si:a", *(f"m{j}" for j in range(lo, lo + 10_000)))
            pipe.sadd("si:b", *(f"m{j}" for j in range(lo + KEYS // 2, lo + KEYS // 2 + 10_000)))
        pipe.execute()

    def sinter(s):
        r = _client(s)
        times = []
        for _ in range(opts.sinter_calls):
            t0 = time.perf_counter()
            n = len(r.execute_command("SINTER", "si:a", "si:b"))
            times.append((time.perf_counter() - t0) * 1000)
        assert n == KEYS // 2, n
        return statistics.median(times)
    got = _alternate(servers, opts.runs, sinter)
    lines.append(_row("SINTER 100k x 100k (50k common)", got, "{:.1f}", higher_better=False))
    print(lines[-1], flush=True)
    return lines


MEMORY = [
    ("100,000 hashes x 10 fields", lambda r, k: _many(r, k, lambda p, i: p.hset(
        f"mh:{i:09d}", mapping={f"field{j}": f"value{j}" for j in range(10)})), 10),
    ("1 hash x 1,000,000 fields", lambda r, k: _one(r, k, lambda p, lo, hi: p.hset(
        "mh:one", mapping={f"field:{j}": f"v{j}" for j in range(lo, hi)})), 1),
    ("100,000 sets x 10 small ints", lambda r, k: _many(r, k, lambda p, i: p.sadd(
        f"ms:{i:09d}", *range(10))), 10),
    ("1 set x 1,000,000 strings", lambda r, k: _one(r, k, lambda p, lo, hi: p.sadd(
        "ms:one", *(f"member:{j}" for j in range(lo, hi)))), 1),
]


def _many(r, n, add):
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        add(pipe, i)
        if i % 5000 == 4999:
            pipe.execute()
    pipe.execute()


def _one(r, n, add):
    pipe = r.pipeline(transaction=False)
    for lo in range(0, n, 10_000):
        add(pipe, lo, min(n, lo + 10_000))
        pipe.execute()


def part_memory(opts):
    scale = 10 if opts.quick else 1
    lines = ["| data | mako used B/field | redis used B/field | mako RSS B/field | redis RSS B/field "
             "| used redis/mako |", "|---|---|---|---|---|---|"]
    for label, load, per_key in MEMORY:
        count = (100_000 if per_key == 10 else 1_000_000) // scale
        fields = count * per_key
        res = {}
        for start in (start_mako, start_redis):
            with start() as s:
                r = _client(s)
                used0, rss0 = int(info_fields(s, "memory")["used_memory"]), s.rss_bytes()
                load(r, count)
                used1, rss1 = int(info_fields(s, "memory")["used_memory"]), s.rss_bytes()
                res[s.name] = ((used1 - used0) / fields, (rss1 - rss0) / fields)
        m, d = res["mako"], res["redis"]
        lines.append("| %s | %.1f | %.1f | %.1f | %.1f | %.2f |" % (
            label if scale == 1 else label + f" (/{scale})", m[0], d[0], m[1], d[1], d[0] / m[0]))
        print(lines[-1], flush=True)
    return lines


def part_stall(opts):
    n = 1_000_000 // (10 if opts.quick else 1)
    lines = ["| server | median ms per 1,000 HSETs | worst 3 (ms) | DEL of the hash (ms) |",
             "|---|---|---|---|"]
    for start in (start_mako, start_redis):
        with start() as s:
            r = _client(s)
            times = []
            for lo in range(0, n, 1000):
                pipe = r.pipeline(transaction=False)
                for i in range(lo, lo + 1000):
                    pipe.hset("stall", f"field:{i}", f"v{i}")
                t0 = time.perf_counter()
                pipe.execute()
                times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            r.delete("stall")
            dele = (time.perf_counter() - t0) * 1000
            worst = ", ".join("%.1f" % t for t in sorted(times)[-3:])
            lines.append("| %s | %.2f | %s | %.1f |" % (s.name, statistics.median(times), worst, dele))
            print(lines[-1], flush=True)
    return lines


def main(opts):
    if opts.quick:
        opts.runs = 1
    parts = [p for p in opts.parts.split(",") if p]
    out_lines = []
    if "throughput" in parts or "big" in parts or "sinter" in parts:
        with start_mako() as mako, start_redis() as rds:
            servers = [mako, rds]
            for s in servers:
                _preload(_client(s), opts.quick)
            if "throughput" in parts or "big" in parts:
                out_lines += ["## Throughput (redis-benchmark, custom commands)", ""]
                out_lines += part_throughput(opts, servers) + [""]
            if "sinter" in parts:
                out_lines += ["## SINTER", ""] + part_sinter(opts, servers) + [""]
    if "memory" in parts:
        out_lines += ["## Memory per field or member (after loading, less the empty server)", ""]
        out_lines += part_memory(opts) + [""]
    if "stall" in parts:
        out_lines += ["## Growing one hash to a million fields, then DEL", ""] + part_stall(opts) + [""]
    out = os.path.join(opts.out, time.strftime("%Y%m%d-%H%M%S-collections"))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(out_lines) + "\n")
    print()
    print("\n".join(out_lines))
    print(f"wrote {out}/summary.md")
    return 0
