"""What the notebooks share: servers on free ports, redis-benchmark sweeps, INFO, results.

Rules:
- Importing this module puts the repository root first on sys.path, and the
  mako_numba servers it starts import the package from this tree
  (PYTHONPATH), never from an installed copy elsewhere.
- Servers live only inside `servers()`, a context manager: they stop when
  the block ends, whatever happened in it (and bench/servers.py asks the
  kernel to stop them if the notebook's kernel dies).  A notebook measures in
  one cell, inside that block, and plots from the rows afterwards.
- redis-server is optional: without it `servers()` yields mako alone and
  `redis_note()` says so.  redis-benchmark is the load for the throughput
  and batch notebooks; `need_benchmark()` fails with a clear message when
  it is missing.
- Runs go through bench.runs.measure, as `./dev bench` does: ops/s and
  latency from redis-benchmark's CSV, server CPU from /proc, the client's
  busy share, other processes' CPU.  -n is sized from the rate of the
  previous run on the same server, so each run lasts about `run_sec`.
- `result(name, data)` prints one line `NB_RESULT {json}`; the tests read
  it from the executed notebook.
"""
import contextlib
import json
import os
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path[0] != ROOT:
    sys.path.insert(0, ROOT)

from bench import servers as _servers  # noqa: E402
from bench.profiles import REDIS_BENCHMARK, Case  # noqa: E402
from bench.runs import measure  # noqa: E402

info_fields = _servers.info_fields
command = _servers.command
load_keys = _servers.load_keys


def long_run():
    """True when MAKO_NB_LONG=1 asks for the thorough parameters."""
    return os.environ.get("MAKO_NB_LONG") == "1"


def have_redis():
    return shutil.which("redis-server") is not None


def redis_note():
    if have_redis():
        return "redis-server found: both servers are measured."
    return "redis-server is not installed: mako_numba is measured alone (no ratios)."


def load_note():
    """The machine's load average, for the record beside a measurement."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def need_benchmark():
    if shutil.which("redis-benchmark") is None:
        raise RuntimeError("redis-benchmark is not installed (Debian: apt-get install redis-tools)")


def mako_env():
    """The environment for a mako_numba child: this tree first on PYTHONPATH."""
    env = dict(os.environ)
    rest = env.get("PYTHONPATH")
    env["PYTHONPATH"] = ROOT + (os.pathsep + rest if rest else "")
    return env


@contextlib.contextmanager
def servers(redis=True, mako_args=()):
    """{'mako': Server, 'redis': Server (when wanted and installed)}; all stopped at the end."""
    with contextlib.ExitStack() as stack:
        found = {}
        t0 = time.perf_counter()
        found["mako"] = stack.enter_context(_servers.start_mako(extra=mako_args, env=mako_env()))
        print(f"mako_numba on port {found['mako'].port} in {time.perf_counter() - t0:.1f} s "
              f"{found['mako'].info}")
        if redis and have_redis():
            found["redis"] = stack.enter_context(_servers.start_redis())
            print(f"redis-server on port {found['redis'].port} ({found['redis'].info.split()[2]})")
        yield found


# --- redis-benchmark --------------------------------------------------------------------
def bench_once(server, test, clients, pipeline, n, value_size=8, keyspace=100_000):
    """One redis-benchmark run (bench.runs.measure's row: ops_per_sec, p99_us, CPU ...)."""
    case = Case(REDIS_BENCHMARK, test, clients, pipeline, value_size, keyspace)
    return measure(server, case, n, timeout=120)


def size_n(rate, clients, pipeline, run_sec):
    """-n for a run of about run_sec at `rate` ops/s (at least 4 pipelines per client)."""
    n = int(run_sec * rate)
    return max(2_000, 4 * clients * pipeline, min(n, 50_000_000))


def sweep(found, tests, clients, pipelines, run_sec, value_size=8, keyspace=100_000,
          rounds=1, first_rate=20_000):
    """Every (pipeline, clients, test) on every server, `rounds` times; returns rows.

    Servers alternate which goes first, point by point, so a disturbance on
    the shared machine falls on both.  Each row is bench.runs.measure's plus
    `round`.
    """
    rows, rate = [], {}
    names = list(found)
    k = 0
    for r in range(rounds):
        for p in pipelines:
            line = []
            for c in clients:
                for test in tests:
                    order = names if k % 2 == 0 else names[::-1]
                    k += 1
                    for name in order:
                        key = (name, test)
                        n = size_n(rate.get((key, p), rate.get(key, first_rate)), c, p, run_sec)
                        row = bench_once(found[name], test, c, p, n, value_size, keyspace)
                        row["round"] = r + 1
                        rate[key] = rate[(key, p)] = row["ops_per_sec"]
                        rows.append(row)
                last = {(rr["server"], rr["workload"]): rr["ops_per_sec"]
                        for rr in rows[-len(tests) * len(names):]}
                line.append(f"c{c} " + " ".join(
                    "/".join(f"{last[(name, t)] / 1000:.0f}k" for name in names) for t in tests))
            print(f"round {r + 1} P={p:<3d} {'/'.join(names)} {'|'.join(tests)}:", "  ".join(line),
                  flush=True)
    return rows


def ratio(a, b):
    """a / b, or None when either is missing or b is not positive."""
    return a / b if a is not None and b else None


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def medians(rows, keys, fields):
    """{key tuple: {field: median over the rows with that key}}."""
    groups = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    return {g: {f: median([r[f] for r in rs]) for f in fields} for g, rs in groups.items()}


# --- INFO ---------------------------------------------------------------------------------
def histogram(text):
    """`1=N,2=N,4=N` -> {1: N, 2: N, 4: N}; None if the text is not in that form."""
    out = {}
    try:
        for part in text.split(","):
            if part:
                k, _, v = part.partition("=")
                out[int(k)] = int(v)
    except ValueError:
        return None
    return out


def batch_counters(server):
    """mako's batch counters from INFO mako and INFO stats.

    Always `batches` and `commands`; `batch_sizes` ({power of two: batches}),
    `kernel_usec` and `requests_in_batches` when the server reports them.
    """
    mako = info_fields(server, "mako")
    stats = info_fields(server, "stats")
    out = {"batches": int(mako["batches"]), "commands": int(stats["total_commands_processed"])}
    sizes = histogram(mako.get("batch_sizes", "x"))
    if sizes is not None:
        out["batch_sizes"] = sizes
    for name in ("kernel_usec", "requests_in_batches"):
        if mako.get(name, "").isdigit():
            out[name] = int(mako[name])
    return out


def batch_delta(before, after):
    """What happened between two batch_counters readings.

    avg_batch: requests per batch, from requests_in_batches when reported,
    else total_commands_processed (which also counts the INFO calls).
    kernel_ns_per_request and histogram only when the server reports them.
    """
    batches = after["batches"] - before["batches"]
    out = {"batches": batches, "commands": after["commands"] - before["commands"]}
    if "requests_in_batches" in after and "requests_in_batches" in before:
        out["requests"] = after["requests_in_batches"] - before["requests_in_batches"]
    else:
        out["requests"] = out["commands"]
    out["avg_batch"] = out["requests"] / batches if batches else 0.0
    if all(k in c for k in ("kernel_usec", "requests_in_batches") for c in (before, after)):
        usec = after["kernel_usec"] - before["kernel_usec"]
        out["kernel_ns_per_request"] = usec * 1000 / out["requests"] if out["requests"] else 0.0
    if "batch_sizes" in after and "batch_sizes" in before:
        b0 = before["batch_sizes"]
        out["histogram"] = {k: v - b0.get(k, 0) for k, v in sorted(after["batch_sizes"].items())}
    return out


def used_memory(server):
    """(used_memory from INFO memory, the process's RSS now from /proc), in bytes.

    RSS is read from /proc rather than INFO's used_memory_rss because Redis
    refreshes that field only in its cron (every 100 ms): read right after
    a load it is stale.
    """
    f = info_fields(server, "memory")
    return int(f["used_memory"]), server.rss_bytes()


# --- output ----------------------------------------------------------------------------------
def table(rows, columns, formats=None):
    """Print rows (dicts) as an aligned text table of `columns`."""
    formats = formats or {}
    cells = [[formats.get(c, "{}").format(r[c]) if r.get(c) is not None else "-" for c in columns]
             for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths)))


def result(name, data):
    """The line the tests read: NB_RESULT {"notebook": name, ...}."""
    print("NB_RESULT " + json.dumps({"notebook": name, **data}, sort_keys=True))
