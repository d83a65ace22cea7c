"""`python -m bench lists`: lists and blocking pops beside redis-server: throughput, a job queue, 10,000 blocked clients, memory.

One mako_numba and one redis-server, both started with `--maxclients 20000`
(this process raises its own open-file limit first; the servers inherit it
and raise theirs), serve the throughput, queue and blocked parts; the memory
part starts fresh servers for each case.  Runs alternate between the
servers, who goes first swapping every round.

- throughput: redis-benchmark at 50 clients, P=1 and P=16: its own tests
  `-t lpush`, `-t rpop` (pops what the LPUSH run pushed) and `-t lrange_100`
  (which first LPUSHes -n elements itself; its LRANGE row is measured, and
  the server CPU is split between the two phases at the line redis-benchmark
  prints between them), `mylist` deleted before each round; then custom
  commands over preloaded sorted sets: `ZADD z:N S mN` and `ZSCORE z:N m3`
  (`-r 100000`, 100,000 sets of 10 members) and `ZRANGE z 0 99 WITHSCORES`
  (one set of 200 members).  The sorted-set rows are skipped, with a note,
  when a server answers ZADD with "unknown command".  Targets (the issue's):
  mako/redis >= 1.0 at P=1, >= 1.5 at P=16.
- generator: the cases again at P=1 and P=16 from our own load generator
  (bench/listgen.py), since redis-benchmark, one process, sets the pace of
  both servers at both depths; its busy share and ceiling are shown beside
  each row.
- queue: a job queue.  One process drives 50 consumer connections, each
  looping `BRPOP jobs 0`, and one producer connection that pipelines
  `LPUSH jobs job:<send time in ns>`, as many as fit in a window of jobs in
  flight (pushed, not yet delivered), on one epoll.  Two windows: 25 (fewer
  jobs than consumers: most consumers are blocked and every job wakes one)
  and 1,000 (a backlog: a BRPOP finds a job at once).  Reported over
  `--queue-seconds` after a warm-up: jobs delivered per second, the p50 and
  p99 delivery latency (LPUSH sent to the BRPOP reply read), the server's CPU
  per job and the client's busy share (1.0 = a whole core: the client, not
  the server, may have set the pace).  Every job pushed must be delivered.
  Targets: jobs/s >= Redis's, p99 <= Redis's.
- blocked: redis-benchmark `-t set` and `-t get` (`-r 100000`, 50 clients,
  P=1 and P=16) without and with `--blocked` (10,000) idle clients each
  blocked in `BLPOP bl:N 0` on its own key; with/without per server, and
  who goes first swapping.  Then, each time, one pipeline of 10,000 LPUSHes
  wakes them all: the milliseconds until every blocked client has its reply
  (each checked), and the RSS a blocked client costs.  Target: the blocked
  clients do not slow the loop.
- memory: used_memory and RSS after loading, less the empty server's, per
  list element or sorted-set member: 100,000 lists of 10 short strings, one
  list of 10,000,000 small items (integers and short strings, RPUSH of 1,000
  a command), 100,000 sorted sets of 10 members, one sorted set of 1,000,000
  members.  Target: at most Redis's bytes per item.

Prints one table per part with medians (min-max over `--runs`) and the
mako/redis ratio, and writes them to bench/results/<stamp>-lists/summary.md.
`--quick`: 1 run, a quarter of the requests, 2-second queue runs, memory at a
tenth.  `--smoke`: the machinery on tiny sizes (tests/test_bench_lists.py).
`--parts` picks parts.  A part that fails (a wrong reply, a request never
answered, a server gone) leaves its error in the summary in place of its
table; the other parts still run, and the exit status is 1.
"""
import collections
import os
import resource
import select
import socket
import subprocess
import sys
import threading
import time

import numpy as np

from . import listgen, machine, report
from .wire import resp as _resp
from .servers import command, die_with_parent, info_fields, start_mako, start_redis

PARTS = ("throughput", "generator", "queue", "blocked", "memory")
MAXCLIENTS = 20_000
ZKEYS = 100_000                 # sorted sets z:N preloaded for ZADD/ZSCORE (-r)
ZBIG = 200                      # members of z, read by ZRANGE z 0 99 WITHSCORES
TARGET_P1, TARGET_P16 = 1.0, 1.5
ZSET_CASES = [
    ("ZADD z:N S mN", ["ZADD", "z:__rand_int__", "__rand_int__", "m__rand_int__"], 1),
    ("ZSCORE z:N m3", ["ZSCORE", "z:__rand_int__", "m3"], 1),
    (f"ZRANGE z 0 99 WITHSCORES ({ZBIG} members)", ["ZRANGE", "z", "0", "99", "WITHSCORES"], 4),
]
CONSUMERS = 50
WINDOWS = (25, 1000)
MAX_BATCH = 500                 # LPUSHes per producer send
BENCH_TIMEOUT = 600             # seconds a redis-benchmark run may take


def add_arguments(p):
    p.add_argument("--runs", type=int, default=3, help="runs per server and case (default 3)")
    p.add_argument("--requests", type=int, default=200_000, help="redis-benchmark -n per run")
    p.add_argument("--queue-seconds", type=float, default=5.0,
                   help="measured seconds of each queue run (after a warm-up)")
    p.add_argument("--blocked", type=int, default=10_000, help="clients blocked in BLPOP")
    p.add_argument("--quick", action="store_true",
                   help="1 run, a quarter of the requests, 2 s queue runs, memory at 1/10")
    p.add_argument("--smoke", action="store_true",
                   help="the machinery on tiny sizes (a few seconds of measuring)")
    p.add_argument("--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS))
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))


# ---------------------------------------------------------------- helpers

def _call(server, *args):
    """One command's raw reply; an error reply raises."""
    got = command(server, *args)
    if got.startswith(b"-"):
        raise RuntimeError(f"{server.name} answered {' '.join(map(str, args))[:60]} with "
                           f"{got.strip().decode('utf-8', 'replace')}")
    return got


def _integer(server, *args):
    got = _call(server, *args)
    if not got.startswith(b":"):
        raise RuntimeError(f"{server.name}: {args[0]} answered {got[:60]!r}, not an integer")
    return int(got[1:].strip())


def _has_zsets(servers):
    """True if every server knows ZADD; else print which does not."""
    ok = True
    for s in servers:
        got = command(s, "ZADD", "zprobe", "1", "a")
        if got.lower().startswith(b"-err unknown command"):
            print(f"note: {s.name} has no sorted sets (ZADD: {got.strip().decode()}); "
                  "their cases are skipped", flush=True)
            ok = False
        else:
            command(s, "DEL", "zprobe")
    return ok


def _pump(server, chunks, what):
    """Send `chunks` (bytes of commands each answered by one non-negative integer, e.g.
    RPUSH or ZADD) over one connection, two chunks in flight, and read every reply.
    Returns the commands sent; an error reply raises."""
    sent = answered = expected = 0
    with socket.create_connection((server.host, server.port), timeout=300) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        inflight = collections.deque()
        it = iter(chunks)
        more = True
        while True:
            while more and len(inflight) < 2:
                item = next(it, None)
                if item is None:
                    more = False
                    break
                s.sendall(item[0])
                inflight.append(item[1])
                sent += item[1]
            if not inflight:
                return sent
            expected += inflight.popleft()
            while answered < expected:
                data = s.recv(1 << 20)
                if not data:
                    raise RuntimeError(f"{server.name} closed the connection while loading {what}")
                if b"-" in data:
                    raise RuntimeError(f"{server.name} answered an error while loading {what}: "
                                       f"{data[data.index(b'-'):][:120]!r}")
                answered += data.count(b"\n")   # ":N\r\n": one newline per reply


def _chunks(cmds, per_chunk):
    """Group an iterable of command bytes into (bytes, count) chunks."""
    buf, n = [], 0
    for c in cmds:
        buf.append(c)
        n += 1
        if n == per_chunk:
            yield b"".join(buf), n
            buf, n = [], 0
    if n:
        yield b"".join(buf), n


def _rows_csv(text):
    """redis-benchmark --csv output: {test name: requests per second}."""
    rows = {}
    for line in text.splitlines():
        cells = line.strip().split('","')
        if len(cells) >= 2 and cells[0].strip('"') != "test":
            rows[cells[0].strip('"')] = float(cells[1].strip('"'))
    return rows


def _benchmark(server, args, clients, pipeline, n, keyspace=None):
    """One redis-benchmark run: ({test: rps}, [(test, server CPU seconds during it)]).
    Its stdout is line-buffered (stdbuf), so the CPU is read as each test's line appears:
    the split between the tests of one run (LPUSH, then LRANGE_100)."""
    cmd = ["stdbuf", "-oL", "redis-benchmark", "-h", server.host, "-p", str(server.port),
           "-c", str(clients), "-P", str(pipeline), "-n", str(n), "--csv"]
    if keyspace:
        cmd += ["-r", str(keyspace)]
    cpu = [server.cpu_seconds()]
    lines = []
    proc = subprocess.Popen(cmd + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, preexec_fn=die_with_parent)
    watchdog = threading.Timer(BENCH_TIMEOUT, proc.kill)   # a request never answered
    watchdog.start()
    try:
        for line in proc.stdout:
            if line.strip() and not line.startswith('"test"'):
                cpu.append(server.cpu_seconds())
                lines.append(line)
        err = proc.stderr.read()
        proc.wait(timeout=BENCH_TIMEOUT)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"redis-benchmark {' '.join(args)} -c {clients} -P {pipeline} -n {n} "
                           f"failed against {server.name} (status {proc.returncode}; killed "
                           f"after {BENCH_TIMEOUT} s if negative): {err.strip()[-500:]}")
    rows = _rows_csv("".join(lines))
    names = list(rows)
    return rows, [(names[i], cpu[i + 1] - cpu[i]) for i in range(len(names))]


def _alternate(servers, runs, fn):
    """{name: [results]} of fn(server) run `runs` times on each, who goes first swapping."""
    got = {s.name: [] for s in servers}
    for i in range(runs):
        for s in (servers if i % 2 == 0 else servers[::-1]):
            got[s.name].append(fn(s))
    return got


def _verdict(sp, target, higher_better=True):
    """'met' if the whole spread meets the target, 'not met' if none of it does."""
    if sp.n == 0:
        return "-"
    if higher_better:
        good, bad, mid = sp.lo >= target, sp.hi < target, sp.median >= target
    else:
        good, bad, mid = sp.hi <= target, sp.lo > target, sp.median <= target
    if good:
        return "met"
    if bad:
        return "not met"
    return "median %s, spread crosses" % ("meets" if mid else "misses")


def _cmp(name, op, target):
    return f"{name} {op} {target:g}"


def _raise_nofile(need):
    """Raise this process's open-file limit to at least `need` if it can; return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    for lim in ((need, max(hard, need)), (min(hard, need), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, lim)
            break
        except (OSError, ValueError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# ---------------------------------------------------------------- throughput

def _preload_zsets(server):
    def cmds():
        for i in range(ZKEYS):
            args = ["ZADD", f"z:{i:012d}"]
            for j in range(10):
                args += [str(j), f"m{j}"]
            yield _resp(*args)
        args = ["ZADD", "z"]
        for j in range(ZBIG):
            args += [repr(j * 1.5), f"member:{j}"]
        yield _resp(*args)
    _pump(server, _chunks(cmds(), 1000), "sorted sets")


def _list_round(n, pipeline):
    """One round of the list tests on one server: {case: (rps, server CPU us/request)}."""
    def run(s):
        _call(s, "DEL", "mylist")
        out = {}
        rows, cpu = _benchmark(s, ["-t", "lpush"], 50, pipeline, n)
        out["LPUSH"] = (rows["LPUSH"], cpu[-1][1] * 1e6 / n)
        rows, cpu = _benchmark(s, ["-t", "rpop"], 50, pipeline, n)
        out["RPOP"] = (rows["RPOP"], cpu[-1][1] * 1e6 / n)
        left = _integer(s, "LLEN", "mylist")
        if left != 0:
            raise RuntimeError(f"{s.name}: {n} LPUSH then {n} RPOP left LLEN mylist = {left}")
        m = n // 4
        rows, cpu = _benchmark(s, ["-t", "lrange_100"], 50, pipeline, m)
        name = [k for k in rows if k.startswith("LRANGE_100")][0]
        out["LRANGE_100"] = (rows[name], dict(cpu)[name] * 1e6 / m)
        got = command(s, "LRANGE", "mylist", "0", "0")
        if not got.startswith(b"*1\r\n"):
            raise RuntimeError(f"{s.name}: after lrange_100, LRANGE mylist 0 0 = {got[:60]!r}")
        return out
    return run


def part_throughput(opts, servers, n):
    lines = ["| case | mako ops/s | redis ops/s | mako/redis | target | verdict | mako CPU us/op "
             "| redis CPU us/op | CPU redis/mako |", "|---|---|---|---|---|---|---|---|---|"]
    zsets = _has_zsets(servers)
    if zsets:
        for s in servers:
            _preload_zsets(s)
    for pipeline in (1, 16):
        target = TARGET_P1 if pipeline == 1 else TARGET_P16
        got = _alternate(servers, opts.runs, _list_round(n, pipeline))
        cases = [(f"{c} (-t {c.lower()})", {k: [r[c] for r in v] for k, v in got.items()})
                 for c in ("LPUSH", "RPOP", "LRANGE_100")]
        if zsets:
            for name, cmd, div in ZSET_CASES:
                cases.append((name, _alternate(servers, opts.runs, lambda s: _zset_run(
                    s, cmd, pipeline, max(1, n // div)))))
        for name, per in cases:
            lines.append(_rb_row(f"{name} c50 P{pipeline}", per, target))
            print(lines[-1], flush=True)
    if not zsets:
        lines += ["", "Sorted-set cases skipped: a server answered ZADD with unknown command."]
    return lines


def _zset_run(s, cmd, pipeline, n):
    rows, cpu = _benchmark(s, cmd, 50, pipeline, n, keyspace=ZKEYS)
    name = list(rows)[-1]
    return rows[name], cpu[-1][1] * 1e6 / n


def _rb_row(label, got, target):
    """A redis-benchmark case: throughput and its ratio against the target, then the servers'
    CPU per request and redis's over mako's."""
    rps = {k: [x[0] for x in v] for k, v in got.items()}
    cpu = {k: [x[1] for x in v] for k, v in got.items()}
    ratio = report.spread([a / b for a, b in zip(rps["mako"], rps["redis"])])
    cpu_ratio = report.spread([b / a for a, b in zip(cpu["mako"], cpu["redis"]) if a > 0])
    return "| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        label, report.spread(rps["mako"]).fmt(), report.spread(rps["redis"]).fmt(),
        ratio.fmt("{:.2f}"), f">= {target:g}", _verdict(ratio, target),
        report.spread(cpu["mako"]).fmt("{:.2f}"), report.spread(cpu["redis"]).fmt("{:.2f}"),
        cpu_ratio.fmt("{:.2f}"))


# ---------------------------------------------------------------- queue

JOB_DIGITS = 20
JOB_LEN = 4 + JOB_DIGITS                            # b"job:" + the send time in ns
BRPOP = _resp("BRPOP", "jobs", "0")
LPUSH_HEAD = b"*3\r\n$5\r\nLPUSH\r\n$4\r\njobs\r\n$%d\r\njob:" % JOB_LEN
REPLY_HEAD = b"*2\r\n$4\r\njobs\r\n$%d\r\njob:" % JOB_LEN
REPLY_LEN = len(REPLY_HEAD) + JOB_DIGITS + 2


def _cpu_self():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def queue_run(server, window, seconds, warmup):
    """One producer/consumer run; a dict of the measured window's figures."""
    host, port = server.host, server.port
    _call(server, "DEL", "jobs")
    cons = []
    prod = None
    ep = select.epoll()
    try:
        for _ in range(CONSUMERS):
            c = socket.create_connection((host, port), timeout=10)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c.setblocking(False)
            cons.append(c)
        prod = socket.create_connection((host, port), timeout=30)
        prod.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        by_fd = {c.fileno(): c for c in cons}
        bufs = {fd: b"" for fd in by_fd}
        pfd = prod.fileno()
        for fd in by_fd:
            ep.register(fd, select.EPOLLIN)
        ep.register(pfd, select.EPOLLIN)
        for c in cons:
            c.send(BRPOP)
        # let every consumer block before the clock starts
        deadline = time.monotonic() + 10
        while int(info_fields(server, "clients").get("blocked_clients", 0)) < CONSUMERS:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name}: the {CONSUMERS} BRPOP consumers did not block")
            time.sleep(0.01)

        clock = time.perf_counter_ns
        t0 = clock()
        t_warm = t0 + int(warmup * 1e9)
        t_end = t_warm + int(seconds * 1e9)
        t_drain = t_end + 10 * 10**9
        lat = []
        record = lat.append
        pushed = delivered = 0
        prod_wait = 0               # LPUSH replies still to read
        phase = 0                   # 0 warm-up, 1 measuring, 2 draining
        cpu0 = ccpu0 = 0.0
        now = t0
        delivered_at_warm = 0
        while True:
            if phase == 0 and now >= t_warm:
                phase = 1
                delivered_at_warm = delivered
                cpu0, ccpu0 = server.cpu_seconds(), _cpu_self()
                t_warm = now
            if now >= t_end:
                if phase == 1:
                    cpu1, ccpu1 = server.cpu_seconds(), _cpu_self()
                    delivered_in = delivered - delivered_at_warm
                    t_end_real = now
                    phase = 2
                if delivered == pushed and prod_wait == 0:
                    break
                if now >= t_drain:
                    if prod_wait:
                        raise RuntimeError(f"{server.name}: {prod_wait} LPUSH replies missing")
                    break           # jobs left in the list: reported as undelivered
            elif prod_wait == 0:
                room = window - (pushed - delivered)
                if room > 0:
                    k = min(room, MAX_BATCH)
                    prod.sendall((LPUSH_HEAD + b"%020d\r\n" % clock()) * k)
                    pushed += k
                    prod_wait = k
            for fd, _ in ep.poll(0.2):
                if fd == pfd:
                    data = prod.recv(1 << 16)
                    if not data:
                        raise RuntimeError(f"{server.name} closed the producer's connection")
                    if b"-" in data:
                        raise RuntimeError(f"{server.name}: LPUSH answered {data[:80]!r}")
                    prod_wait -= data.count(b"\n")      # ":N\r\n": one newline a reply
                    continue
                c = by_fd[fd]
                data = c.recv(4096)
                if not data:
                    raise RuntimeError(f"{server.name} closed a consumer's connection")
                buf = bufs[fd] + data
                if len(buf) < REPLY_LEN:
                    bufs[fd] = buf
                    continue
                if len(buf) != REPLY_LEN or not buf.startswith(REPLY_HEAD):
                    raise RuntimeError(f"{server.name}: BRPOP answered {buf[:100]!r}")
                t = clock()
                if phase == 1:
                    record(t - int(buf[len(REPLY_HEAD):len(REPLY_HEAD) + JOB_DIGITS]))
                delivered += 1
                bufs[fd] = b""
                c.send(BRPOP)
            now = clock()
        left = _integer(server, "LLEN", "jobs")
        if left != pushed - delivered:
            raise RuntimeError(f"{server.name}: {pushed} jobs pushed, {delivered} delivered, "
                               f"but {left} in the list")
        if left:
            print(f"note: {server.name}: {left} of {pushed} jobs still in the list 10 s after the "
                  f"producer stopped, with {CONSUMERS} consumers in BRPOP on it "
                  f"(INFO blocked_clients: "
                  f"{info_fields(server, 'clients')['blocked_clients']})", flush=True)
    finally:
        ep.close()
        for c in cons:
            c.close()
        if prod is not None:
            prod.close()
    wall = (t_end_real - t_warm) / 1e9
    arr = np.array(lat, dtype=np.int64) / 1e6
    return {"jobs_per_sec": delivered_in / wall, "p50_ms": float(np.percentile(arr, 50)),
            "p99_ms": float(np.percentile(arr, 99)), "cpu_us_per_job": (cpu1 - cpu0) * 1e6 / max(1, delivered_in),
            "client_busy": (ccpu1 - ccpu0) / wall, "undelivered": left}


def part_queue(opts, servers, seconds):
    lines = ["| jobs in flight | mako jobs/s | redis jobs/s | mako/redis (>= 1) | mako p50 ms "
             "| redis p50 ms | mako p99 ms | redis p99 ms | p99 mako/redis (<= 1) "
             "| mako CPU us/job | redis CPU us/job | client busy (max) | undelivered mako, redis |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    warmup = min(1.0, seconds / 4)
    for window in WINDOWS:
        got = _alternate(servers, opts.runs, lambda s: queue_run(s, window, seconds, warmup))
        m, d = got["mako"], got["redis"]

        def sp(rows, k):
            return report.spread([r[k] for r in rows])
        jobs = report.spread([a["jobs_per_sec"] / b["jobs_per_sec"] for a, b in zip(m, d)])
        p99 = report.spread([a["p99_ms"] / b["p99_ms"] for a, b in zip(m, d)])
        label = f"{window:,} ({'consumers mostly blocked' if window < CONSUMERS else 'a backlog'})"
        lines.append("| %s | %s | %s | %s %s | %s | %s | %s | %s | %s %s | %s | %s | %.0f%% | %d, %d |" % (
            label, sp(m, "jobs_per_sec").fmt(), sp(d, "jobs_per_sec").fmt(), jobs.fmt("{:.2f}"),
            _verdict(jobs, 1.0), sp(m, "p50_ms").fmt("{:.2f}"), sp(d, "p50_ms").fmt("{:.2f}"),
            sp(m, "p99_ms").fmt("{:.2f}"), sp(d, "p99_ms").fmt("{:.2f}"), p99.fmt("{:.2f}"),
            _verdict(p99, 1.0, higher_better=False), sp(m, "cpu_us_per_job").fmt("{:.2f}"),
            sp(d, "cpu_us_per_job").fmt("{:.2f}"),
            100 * max(r["client_busy"] for r in m + d),
            sum(r["undelivered"] for r in m), sum(r["undelivered"] for r in d)))
        print(lines[-1], flush=True)
    lines += ["", "undelivered: jobs still in the list 10 s after the producer stopped, "
              "summed over the runs (each should be 0)."]
    return lines


# ---------------------------------------------------------------- blocked

def _block_clients(server, count):
    """`count` connections, each blocked in BLPOP bl:N 0; returns the sockets."""
    base = int(info_fields(server, "clients")["blocked_clients"])
    socks = []
    try:
        for lo in range(0, count, 500):
            hi = min(count, lo + 500)
            for i in range(lo, hi):
                s = socket.create_connection((server.host, server.port), timeout=30)
                s.sendall(_resp("BLPOP", f"bl:{i:06d}", "0"))
                socks.append(s)
            deadline = time.monotonic() + 60
            while int(info_fields(server, "clients")["blocked_clients"]) < base + hi:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{server.name}: {hi} clients sent BLPOP but INFO says "
                                       f"{info_fields(server, 'clients')['blocked_clients']} "
                                       f"blocked after 60 s; {_not_blocked(server, socks)}")
                time.sleep(0.005)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def _not_blocked(server, socks):
    """What the server and the sockets say about clients that should be blocked and are not."""
    lines = command(server, "CLIENT", "LIST").decode("utf-8", "replace").splitlines()
    odd = [ln for ln in lines if "flags=b" not in ln and "cmd=client|list" not in ln]
    poll = select.poll()
    for s in socks:
        poll.register(s, select.POLLIN)
    ready = {fd for fd, _ in poll.poll(0)}
    got = []
    for i, s in enumerate(socks):
        if s.fileno() in ready:
            try:
                got.append((i, s.getsockname()[1], s.recv(200)))
            except OSError as e:
                got.append((i, None, repr(e)))
    return (f"CLIENT LIST: {len(lines)} clients, not blocked: {odd[:3]}; "
            f"our sockets with something to read (index, local port, bytes): {got[:3]}")


def _wake_all(server, socks):
    """One pipeline of LPUSH bl:N x to every blocked client's key: the milliseconds until
    every client has its own reply (each is checked)."""
    want = {s.fileno(): _resp("bl:%06d" % i, "x")[4:] for i, s in enumerate(socks)}
    want = {fd: b"*2\r\n" + body for fd, body in want.items()}
    by_fd = {s.fileno(): s for s in socks}
    bufs = dict.fromkeys(by_fd, b"")
    ep = select.epoll(len(socks) + 1)
    for fd in by_fd:
        by_fd[fd].setblocking(False)
        ep.register(fd, select.EPOLLIN)
    push = b"".join(_resp("LPUSH", "bl:%06d" % i, "x") for i in range(len(socks)))
    try:
        with socket.create_connection((server.host, server.port), timeout=60) as p:
            t0 = time.perf_counter()
            p.sendall(push)
            left = len(socks)
            deadline = time.monotonic() + 60
            while left:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{server.name}: {left} of {len(socks)} blocked clients "
                                       "had no reply 60 s after their keys were pushed")
                for fd, _ in ep.poll(1.0):
                    data = by_fd[fd].recv(4096)
                    if not data:
                        raise RuntimeError(f"{server.name} closed a blocked client's connection")
                    buf = bufs[fd] + data
                    bufs[fd] = buf
                    if len(buf) >= len(want[fd]):
                        if buf != want[fd]:
                            raise RuntimeError(f"{server.name}: a client blocked on "
                                               f"{want[fd][8:17]!r} got {buf[:80]!r}")
                        ep.unregister(fd)
                        left -= 1
            ms = (time.perf_counter() - t0) * 1000
            replies = 0
            while replies < len(socks):
                data = p.recv(1 << 20)
                if not data:
                    raise RuntimeError(f"{server.name} closed the LPUSH connection")
                if b"-" in data:
                    raise RuntimeError(f"{server.name}: LPUSH answered {data[:80]!r}")
                replies += data.count(b"\n")
    finally:
        ep.close()
    return ms


def _wait_clients(server, at_most):
    deadline = time.monotonic() + 60
    while int(info_fields(server, "clients")["connected_clients"]) > at_most:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.name}: closed connections still counted after 60 s")
        time.sleep(0.02)


BLOCKED_CASES = [("SET", "set", 1), ("GET", "get", 1), ("SET", "set", 16), ("GET", "get", 16)]


def part_blocked(opts, servers, n, count):
    soft = _raise_nofile(count + 256)
    if soft < count + 64:
        print(f"note: the open-file limit is {soft}: {soft - 256} blocked clients, not {count}")
        count = max(1, soft - 256)
    for s in servers:   # the keys GET reads (and a warm-up)
        _benchmark(s, ["-t", "set"], 50, 16, 100_000, keyspace=100_000)
    res = {s.name: {"idle": [], "blocked": [], "wake_ms": [], "rss_per": []} for s in servers}

    def measure(s):
        out = {}
        for name, test, pipeline in BLOCKED_CASES:
            rows, _ = _benchmark(s, ["-t", test], 50, pipeline, n, keyspace=100_000)
            out[(name, pipeline)] = rows[name]
        return out

    for i in range(opts.runs):
        for k, s in enumerate(servers if i % 2 == 0 else servers[::-1]):
            conds = ("idle", "blocked") if (i + k) % 2 == 0 else ("blocked", "idle")
            for cond in conds:
                if cond == "idle":
                    res[s.name]["idle"].append(measure(s))
                    continue
                base = int(info_fields(s, "clients")["connected_clients"])
                rss0 = s.rss_bytes()
                socks = _block_clients(s, count)
                try:
                    res[s.name]["rss_per"].append((s.rss_bytes() - rss0) / count)
                    res[s.name]["blocked"].append(measure(s))
                    res[s.name]["wake_ms"].append(_wake_all(s, socks))
                finally:
                    for sock in socks:
                        sock.close()
                _wait_clients(s, base)
    lines = [f"| case | mako ops/s | mako with {count:,} blocked | mako blocked/idle "
             f"| redis ops/s | redis with {count:,} blocked | redis blocked/idle "
             "| mako/redis idle | mako/redis blocked |", "|---|---|---|---|---|---|---|---|---|"]
    for name, _, pipeline in BLOCKED_CASES:
        key = (name, pipeline)
        cells = []
        for srv in ("mako", "redis"):
            idle = [r[key] for r in res[srv]["idle"]]
            blk = [r[key] for r in res[srv]["blocked"]]
            cells += [report.spread(idle).fmt(), report.spread(blk).fmt(),
                      report.spread([b / a for a, b in zip(idle, blk)]).fmt("{:.2f}")]
        for cond in ("idle", "blocked"):
            cells.append(report.spread([a[key] / b[key] for a, b in zip(
                res["mako"][cond], res["redis"][cond])]).fmt("{:.2f}"))
        lines.append(f"| {name} c50 P{pipeline} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    lines += ["", "| | mako | redis | mako/redis |", "|---|---|---|---|"]
    m, d = res["mako"], res["redis"]
    lines.append("| wake all %s: one pipeline of LPUSHes to every reply read (ms) | %s | %s | %s |" % (
        f"{count:,}", report.spread(m["wake_ms"]).fmt("{:.1f}"), report.spread(d["wake_ms"]).fmt("{:.1f}"),
        report.spread([a / b for a, b in zip(m["wake_ms"], d["wake_ms"])]).fmt("{:.2f}")))
    lines.append("| RSS per blocked client (bytes) | %s | %s | %s |" % (
        report.spread(m["rss_per"]).fmt(), report.spread(d["rss_per"]).fmt(),
        report.spread([a / b for a, b in zip(m["rss_per"], d["rss_per"]) if b]).fmt("{:.2f}")))
    print("\n".join(lines[-4:]), flush=True)
    return lines


# ---------------------------------------------------------------- memory

def _many_lists(count):
    for i in range(count):
        yield _resp("RPUSH", f"ml:{i:09d}", *(f"item:{(i * 10 + j) % 10000}" for j in range(10)))


def _big_list(count):
    for lo in range(0, count, 1000):
        yield _resp("RPUSH", "ml:one", *(str(j) if j % 2 == 0 else f"item:{j % 100000}"
                                         for j in range(lo, min(count, lo + 1000))))


def _many_zsets(count):
    for i in range(count):
        args = ["ZADD", f"mz:{i:09d}"]
        for j in range(10):
            args += [str((i + j * 7919) % 1000), f"member:{j}"]
        yield _resp(*args)


def _big_zset(count):
    for lo in range(0, count, 1000):
        args = ["ZADD", "mz:one"]
        for j in range(lo, min(count, lo + 1000)):
            args += [str((j * 7919) % 1000003), f"member:{j}"]
        yield _resp(*args)


# label, commands, items per key (10: many keys; 1: one key), full count, check (command, expected)
MEMORY = [
    ("lists x 10 short strings", _many_lists, 10, 100_000, False),
    ("list x small items (integers, short strings)", _big_list, 1, 10_000_000, False),
    ("sorted sets x 10 members", _many_zsets, 10, 100_000, True),
    ("sorted set x members", _big_zset, 1, 1_000_000, True),
]


def _check_loaded(server, per_key, count, zset):
    if per_key == 10:
        got = _integer(server, "DBSIZE")
        first = _integer(server, "ZCARD" if zset else "LLEN",
                         "mz:000000000" if zset else "ml:000000000")
        if got != count or first != 10:
            raise RuntimeError(f"{server.name}: loaded {got} keys (want {count}), the first "
                               f"holds {first} items (want 10)")
    else:
        got = _integer(server, "ZCARD" if zset else "LLEN", "mz:one" if zset else "ml:one")
        if got != count:
            raise RuntimeError(f"{server.name}: the one key holds {got} items, want {count}")


def part_memory(opts, shared=None):
    """Fresh servers for each case; with `shared` (the smoke run), those servers, flushed."""
    scale = 1000 if opts.smoke else 10 if opts.quick else 1
    lines = ["| data | mako used B/item | redis used B/item | used mako/redis (<= 1) "
             "| mako RSS B/item | redis RSS B/item | RSS mako/redis |",
             "|---|---|---|---|---|---|---|"]
    zsets = None
    for label, gen, per_key, full, zset in MEMORY:
        count = full // scale
        items = count * per_key
        if per_key == 10:
            label = f"{count:,} {label}"
        else:
            label = f"1 {label.split(' x ')[0]} x {count:,} {label.split(' x ')[1]}"
        chunks = list(_chunks(gen(count), 1000 if per_key == 10 else 10))
        res = {}
        for start in (start_mako, start_redis):
            ctx = _Shared(shared[start is start_redis]) if shared else start()
            with ctx as s:
                if zset and zsets is None:
                    zsets = _has_zsets([s])
                if zset and not zsets:
                    break
                _call(s, "FLUSHALL")
                used0, rss0 = int(info_fields(s, "memory")["used_memory"]), s.rss_bytes()
                _pump(s, chunks, label)
                used1, rss1 = int(info_fields(s, "memory")["used_memory"]), s.rss_bytes()
                _check_loaded(s, per_key, count, zset)
                res[s.name] = ((used1 - used0) / items, (rss1 - rss0) / items)
                if shared:
                    _call(s, "FLUSHALL")
        if zset and not zsets:
            lines.append(f"| {label} | skipped: no sorted sets | | | | | |")
            print(lines[-1], flush=True)
            continue
        m, d = res["mako"], res["redis"]
        ratio = report.spread([m[0] / d[0]])
        lines.append("| %s | %.2f | %.2f | %.3f %s | %.2f | %.2f | %.2f |" % (
            label, m[0], d[0], m[0] / d[0], _verdict(ratio, 1.0, higher_better=False),
            m[1], d[1], m[1] / d[1] if d[1] else float("nan")))
        print(lines[-1], flush=True)
        del chunks
    return lines


class _Shared:
    """A server used by a `with` block that does not stop it."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        return self.server

    def __exit__(self, *exc):
        return False


# ---------------------------------------------------------------- main

def main(opts):
    if opts.smoke:
        opts.runs, opts.requests, opts.queue_seconds = 1, 4_000, 0.5
        opts.blocked = min(opts.blocked, 200)
    elif opts.quick:
        opts.runs = 1
        opts.requests //= 4
        opts.queue_seconds = min(opts.queue_seconds, 2.0)
    parts = [p for p in opts.parts.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise RuntimeError(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    warn = machine.load_warning()
    if warn:
        print(warn, flush=True)
    # the servers inherit this limit; they raise their own for --maxclients
    _raise_nofile(MAXCLIENTS + 64)
    extra = ("--maxclients", str(MAXCLIENTS))
    out_lines = [f"# lists beside redis-server ({'smoke' if opts.smoke else 'quick' if opts.quick else 'full'}, "
                 f"{opts.runs} run{'s' if opts.runs > 1 else ''}; medians (min-max))", ""]
    if warn:
        out_lines += [warn, ""]
    failed = []

    def run_part(title, fn, *args):
        """A part's heading and table; a part that fails leaves its error in their place."""
        out_lines.extend([title, ""])
        try:
            out_lines.extend(fn(*args) + [""])
        except (RuntimeError, OSError) as e:     # a wrong reply, a hang, a server gone
            print(f"part failed: {e!r}" if isinstance(e, OSError) else f"part failed: {e}",
                  flush=True)
            out_lines.extend([f"**failed**: {e}", ""])
            failed.append(title)

    shared_parts = {"throughput", "generator", "queue", "blocked"} | ({"memory"} if opts.smoke else set())
    memory_title = "## Memory per item (after loading, less the empty server)"
    if shared_parts & set(parts):
        with start_mako(extra=extra) as mako, start_redis(extra=extra) as rds:
            servers = [mako, rds]
            out_lines += [f"mako: {mako.info}; redis: {rds.info}", ""]
            if "throughput" in parts:
                run_part("## Throughput (redis-benchmark, 50 clients)", part_throughput, opts,
                         servers, opts.requests)
            if "generator" in parts:
                zsets = _has_zsets(servers)
                if zsets and "throughput" not in parts:
                    for s in servers:
                        _preload_zsets(s)
                seconds = 0.2 if opts.smoke else 1.0 if opts.quick else 2.0
                run_part(f"## P=1 and P=16 from our load generator ({seconds:g} s a run; "
                         "redis-benchmark sets the pace above)", listgen.part, opts, servers, seconds, zsets, ZKEYS,
                         _integer, _pump, _alternate)
            if "queue" in parts:
                run_part(f"## Job queue: {CONSUMERS} consumers in BRPOP, one producer pipelining "
                         f"LPUSH ({opts.queue_seconds:g} s a run)", part_queue, opts, servers,
                         opts.queue_seconds)
            if "blocked" in parts:
                run_part(f"## GET/SET beside {opts.blocked:,} clients blocked in BLPOP "
                         "(redis-benchmark, 50 clients)", part_blocked, opts, servers,
                         opts.requests, opts.blocked)
            if "memory" in parts and opts.smoke:
                run_part(memory_title, part_memory, opts, servers)
    if "memory" in parts and not opts.smoke:
        run_part(memory_title, part_memory, opts)
    out = os.path.join(opts.out, time.strftime("%Y%m%d-%H%M%S-lists"))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(out_lines) + "\n")
    print()
    print("\n".join(out_lines))
    print(f"wrote {out}/summary.md")
    if failed:
        print("failed: " + "; ".join(t.lstrip("# ") for t in failed), file=sys.stderr)
        return 1
    return 0
