"""Lua scripts beside redis-server: EVALSHA throughput, and the cost of one redis.call.

- throughput: EVALSHA of a script doing one GET and one SET (`redis.call('get',
  KEYS[1])`, `redis.call('set', KEYS[1], ARGV[1])`, over 10,000 keys) from our load
  generator at 50 clients, P=1 and P=16; ops/s per server and the ratio (target at P=1:
  mako >= Redis).
- one call: one client, one EVALSHA at a time, of a script looping n redis.call('get',
  'k') for n = 0 and n = 5,000; the difference of their times per script (wall clock:
  one client waits for each, and the server does nothing else), over n, is what one
  redis.call costs, in microseconds, for each server.

Both servers run for the whole part; runs alternate between them (`--runs`, default
3) and the medians are printed with their spread.

    .venv/bin/python -m bench scripts [--runs 3] [--seconds 2]
"""
import hashlib
import time

from . import loadgen, report
from .servers import command, start_mako, start_redis
from .wire import resp

GETSET = b"local v = redis.call('get', KEYS[1]); redis.call('set', KEYS[1], ARGV[1]); return v"
LOOP = b"for i = 1, tonumber(ARGV[1]) do redis.call('get', 'k') end; return 1"
KEYS = 10_000
CLIENTS = 50
CALLS = 5000        # redis.call per script when measuring one call's cost


def _sha(body):
    return hashlib.sha1(body).hexdigest().encode()


def _getsets():
    sha = _sha(GETSET)
    return [resp("EVALSHA", sha, "1", f"key:{i:06d}", "v") for i in range(0, KEYS, 7)]


def _calls_cost(server, n, count):
    """Seconds per script of n calls: one client, `count` scripts one after another (the
    round trip is in every one; the caller subtracts a script of no calls)."""
    import socket
    req = resp("EVALSHA", _sha(LOOP), "0", str(n))
    with socket.create_connection((server.host, server.port)) as s:
        t0 = time.perf_counter()
        for _ in range(count):
            s.sendall(req)
            buf = b""
            while not buf.endswith(b"\r\n"):
                buf += s.recv(256)
            if not buf.startswith(b":1"):
                raise RuntimeError(f"{server.name}: the loop script answered {buf!r}")
        return (time.perf_counter() - t0) / count


def part(opts, servers):
    lines = ["| case (c50) | mako ops/s | redis ops/s | mako/redis | target |",
             "|---|---|---|---|---|"]
    for depth, target in ((1, "1.0"), (16, "")):
        got = {s.name: [] for s in servers}
        for r in range(opts.runs):
            order = servers if r % 2 == 0 else servers[::-1]
            for s in order:
                res = loadgen.run(s.host, s.port, clients=CLIENTS, pipeline=depth, seconds=opts.seconds,
                                  requests=_getsets())
                if res["errors"]:
                    raise RuntimeError(f"{s.name}: EVALSHA answered {res['errors']} errors")
                got[s.name].append(res["ops_per_sec"])
        ratio = report.spread([a / b for a, b in zip(got["mako"], got["redis"])])
        lines.append("| EVALSHA get+set P%d | %s | %s | %s | %s |" % (
            depth, report.spread(got["mako"]).fmt(), report.spread(got["redis"]).fmt(),
            ratio.fmt("{:.2f}"), (">= " + target) if target else "(reported)"))
        print(lines[-1], flush=True)
    lines += ["", "| one redis.call('get') inside a script | mako us | redis us | mako/redis |",
              "|---|---|---|---|"]
    per = {s.name: [] for s in servers}
    for r in range(opts.runs):
        for s in (servers if r % 2 == 0 else servers[::-1]):
            c0 = _calls_cost(s, 0, 500)
            c1 = _calls_cost(s, CALLS, 20)
            per[s.name].append((c1 - c0) / CALLS * 1e6)
    lines.append("| cost per call | %s | %s | %s |" % (
        report.spread(per["mako"]).fmt("{:.2f}"), report.spread(per["redis"]).fmt("{:.2f}"),
        report.spread([a / b for a, b in zip(per["mako"], per["redis"])]).fmt("{:.2f}")))
    print(lines[-1], flush=True)
    return lines


def add_arguments(p):
    p.add_argument("--runs", type=int, default=3, help="runs per server and case (default 3)")
    p.add_argument("--seconds", type=float, default=2.0, help="seconds of each throughput run")


def main(opts):
    with start_mako() as mako, start_redis() as rds:
        servers = [mako, rds]
        for s in servers:
            for body in (GETSET, LOOP):
                if command(s, "SCRIPT", "LOAD", body).strip() != b"$40\r\n" + _sha(body):
                    raise RuntimeError(f"{s.name}: SCRIPT LOAD failed")
            command(s, "SET", "k", "v")
        t0 = time.time()
        lines = part(opts, servers)
        print(f"\n{time.time() - t0:.0f} s", flush=True)
        return 0 if lines else 1
