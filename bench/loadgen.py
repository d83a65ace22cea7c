"""Our own load generator: a GET/SET mix over Zipf-skewed keys (or any given requests), fast
enough to keep a server busy.

How it stays fast:
- Nothing is built per request.  Each worker draws a stream of STREAM
  requests once (seeded: 90% GET, keys Zipf-skewed over the key space,
  rank r -> key r * KEY_MIX mod keyspace so hot keys are scattered) and
  wire.build turns it into one numpy byte array.  A pipeline of P requests
  is one slice of it, sent with one send() call.
- Many non-blocking connections on one epoll per worker, driven by one
  compiled loop (bench/drive.py: libc's epoll_wait, recv and send called
  from Numba); closed loop as in redis-benchmark: each connection has one
  pipeline in flight, and when wire.count_replies has counted its P
  replies, the round trip is recorded and the next pipeline goes out.
- `workers` forked processes (each dies with the bench) split the
  connections; they connect first, then all start at one instant and stop
  at one deadline.

Its own ceiling is measured on every run: each worker reports the CPU
seconds it used in the window.  `ceiling_ops_per_sec` is the requests per
CPU-second of the generator times its workers (what it could drive with a
core per worker), `client_cpu_share` how busy it was over its measured window (1.0 = a whole core
per worker: then the generator, not the server, may have set the pace).

Bounds: every loop ends at the deadline; the parent waits at most `seconds` + JOIN_GRACE and then kills the workers.
Latency is per pipeline round trip (as redis-benchmark's with -P).
"""
import multiprocessing as mp
import resource
import select
import socket
import time

import numpy as np

from . import drive, wire
from .servers import die_with_parent

STREAM = 1 << 17           # requests drawn per worker (then reused, from other offsets)
KEY_MIX = 2654435761       # a prime: rank -> key is a bijection mod 10**k
RECV_BUF = 1 << 18         # bytes of unparsed replies a connection may hold
JOIN_GRACE = 30.0          # seconds a worker may take to connect and report
LAT_CAP = 4_000_000        # round trips recorded per worker (later ones are counted only)


def zipf_cdf(keyspace, s):
    w = np.arange(1, keyspace + 1, dtype=np.float64) ** -s
    cdf = np.cumsum(w)
    return cdf / cdf[-1]


def draw(cdf, n, get_share, rng):
    """n (op, key) pairs: GET with probability get_share, keys Zipf-ranked then scattered."""
    ranks = np.minimum(np.searchsorted(cdf, rng.random(n)), len(cdf) - 1)
    keys = (ranks.astype(np.int64) * KEY_MIX) % len(cdf)
    ops = np.where(rng.random(n) < get_share, wire.GET, wire.SET).astype(np.int8)
    return ops, keys


def _stream(cdf, pipeline, value_size, get_share, seed):
    """The worker's requests as bytes; the first `pipeline` repeated at the end so
    every window of `pipeline` requests from a start below STREAM is contiguous."""
    ops, keys = draw(cdf, STREAM, get_share, np.random.default_rng(seed))
    ops = np.concatenate([ops, ops[:pipeline]])
    keys = np.concatenate([keys, keys[:pipeline]])
    return wire.build(ops, keys, value_size)


def _cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _drive(socks, buf, offsets, pipeline, start_at, seconds):
    """One worker's run (bench/drive.py's compiled loop); its counts and round trips (ns)."""
    ep = select.epoll()
    try:
        fds = np.array([s.fileno() for s in socks], np.int32)
        fd2c = np.zeros(int(fds.max()) + 1, np.int64)
        for c, fd in enumerate(fds):
            fd2c[fd] = c
            ep.register(int(fd), select.EPOLLIN)
        rbuf = np.empty((len(socks), RECV_BUF), np.uint8)
        lat = np.empty(LAT_CAP, np.int64)
        res = np.zeros(4, np.int64)
        while time.monotonic() < start_at:
            time.sleep(min(0.001, max(0.0, start_at - time.monotonic())))
        cpu0 = _cpu()
        t0 = time.monotonic_ns()
        drive.drive(ep.fileno(), fds, fd2c, buf, offsets, pipeline, STREAM, rbuf,
                    t0 + int(seconds * 1e9), lat, res)
        cpu = _cpu() - cpu0
        wall = (time.monotonic_ns() - t0) / 1e9   # (a little past `seconds`: the last replies)
    finally:
        ep.close()
    if res[3] == drive.CLOSED:
        raise RuntimeError("the server closed a connection")
    if res[3] == drive.BAD_REPLY:
        raise RuntimeError("unexpected reply bytes")
    return {"ops": int(res[0]), "errors": int(res[1]), "cpu": cpu, "wall": wall,
            "lat": lat[:res[2]].copy()}


def _worker(host, port, nconn, stream, pipeline, seconds, pipe):
    die_with_parent()
    socks = []
    try:
        for _ in range(nconn):
            s = socket.create_connection((host, port), timeout=10)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.setblocking(False)
            socks.append(s)
        pipe.send("ready")
        if not pipe.poll(JOIN_GRACE):
            return
        start_at = pipe.recv()
        pipe.send(_drive(socks, *stream, pipeline, start_at, seconds))
    except Exception as e:          # reported to the parent, which raises it
        pipe.send({"error": f"{type(e).__name__}: {e}"})
    finally:
        for s in socks:
            s.close()


def run(host, port, *, clients=50, pipeline=16, value_size=8, seconds=2.0, workers=1,
        get_share=0.9, keyspace=1_000_000, zipf=0.99, seed=1, requests=None):
    """One timed run; a dict of ops/s, latency percentiles (us) and the generator's own cost.

    `requests`: a list of requests (bytes) to send over and over instead of the GET/SET mix."""
    workers = max(1, min(workers, clients))
    wire.warm_up()
    drive.warm_up()
    if requests is not None:
        streams = [wire.requests(requests, STREAM + pipeline)] * workers
    else:
        cdf = zipf_cdf(keyspace, zipf)
        streams = [_stream(cdf, pipeline, value_size, get_share, seed * 1000 + w) for w in range(workers)]
    ctx = mp.get_context("fork")
    procs, pipes = [], []
    try:
        for w in range(workers):
            nconn = clients // workers + (1 if w < clients % workers else 0)
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=_worker, daemon=True,
                            args=(host, port, nconn, streams[w], pipeline, seconds, theirs))
            p.start()
            procs.append(p)
            pipes.append(mine)
        for pipe in pipes:
            said = pipe.recv() if pipe.poll(JOIN_GRACE) else "no answer"
            if said != "ready":
                raise RuntimeError(f"a load generator worker could not start: {said}")
        start_at = time.monotonic() + 0.05
        for pipe in pipes:
            pipe.send(start_at)
        results = []
        for pipe in pipes:
            if not pipe.poll(seconds + JOIN_GRACE):
                raise RuntimeError("a load generator worker did not report")
            r = pipe.recv()
            if "error" in r:
                raise RuntimeError(f"load generator worker: {r['error']}")
            results.append(r)
    finally:
        for p in procs:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join()
    return summarize(results, seconds, workers)


def summarize(results, seconds, workers):
    ops = sum(r["ops"] for r in results)
    cpu = sum(r["cpu"] for r in results)
    lat = np.concatenate([r["lat"] for r in results]) / 1000.0
    pct = np.percentile(lat, [50, 95, 99]) if lat.size else [float("nan")] * 3
    ceiling = sum(r["ops"] / r["cpu"] for r in results if r["cpu"] > 0)
    return {
        "total_ops": ops, "duration_sec": seconds, "ops_per_sec": ops / seconds,
        "errors": sum(r["errors"] for r in results),
        "p50_us": float(pct[0]), "p95_us": float(pct[1]), "p99_us": float(pct[2]),
        "client_cpu_sec": cpu, "client_cpu_share": cpu / sum(r["wall"] for r in results),
        "ceiling_ops_per_sec": ceiling, "workers": workers,
    }
