"""`python -m bench churn`: memory after a long churn of overwrites and deletes, beside redis-server.

Each server in turn (mako first) is filled with `--keys` keys whose values
have random sizes (16 B to 2 KiB), then churned for `--rounds` rounds: every
round overwrites each key with a value of a new random size and deletes a
fifth of the keys, writing them back the next round.  After the fill and
after each few rounds it prints used_memory, RSS and the fragmentation
fields: for mako `allocator_frag_ratio` is the arena's chunks (live or free)
over its live blocks, for Redis jemalloc's active over allocated, and
`mem_fragmentation_ratio` is RSS over used_memory (for mako dominated by
the ~150 MB of the Python and Numba runtime, so the arena's own figure is
the one to compare).  Results go to bench/results/<stamp>-churn/runs.csv.
"""
import os
import random
import time

import redis

from . import report
from .servers import start_mako, start_redis

FIELDS = ["used_memory", "used_memory_rss", "allocator_allocated", "allocator_active",
          "allocator_frag_ratio", "mem_fragmentation_ratio"]


def add_arguments(p):
    p.add_argument("--keys", type=int, default=200_000, help="keys (default 200,000)")
    p.add_argument("--rounds", type=int, default=10, help="churn rounds (default 10)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))


def _values(rng, n):
    return [b"v" * rng.randint(16, 2048) for _ in range(n)]


def _write(r, keys, values):
    with r.pipeline(transaction=False) as p:
        for i in range(0, len(keys), 1000):
            for k, v in zip(keys[i:i + 1000], values[i:i + 1000]):
                p.set(k, v)
            p.execute()


def _delete(r, keys):
    with r.pipeline(transaction=False) as p:
        for i in range(0, len(keys), 1000):
            p.delete(*keys[i:i + 1000])
        p.execute()


def _row(name, phase, r):
    info = r.info("memory")
    row = {"server": name, "phase": phase, "keys": r.dbsize()}
    row.update({f: info.get(f, "") for f in FIELDS})
    print(f"  {name:5} {phase:10} keys {row['keys']:>8,}  used {row['used_memory']:>12,}  "
          f"rss {row['used_memory_rss']:>12,}  allocator_frag {row['allocator_frag_ratio']}  "
          f"mem_frag {row['mem_fragmentation_ratio']}", flush=True)
    return row


def churn(name, server, keys, rounds, seed=1):
    rng = random.Random(seed)
    r = redis.Redis(host=server.host, port=server.port)
    rows = []
    _write(r, keys, _values(rng, len(keys)))
    rows.append(_row(name, "filled", r))
    gone = []
    for i in range(1, rounds + 1):
        _write(r, keys, _values(rng, len(keys)))            # overwrites, and the deleted come back
        gone = rng.sample(keys, len(keys) // 5)
        _delete(r, gone)
        if i % max(1, rounds // 5) == 0 or i == rounds:
            rows.append(_row(name, f"round {i}", r))
    _write(r, gone, _values(rng, len(gone)))
    rows.append(_row(name, "refilled", r))
    r.close()
    return rows


def main(opts):
    keys = [b"churn:%09d" % i for i in range(opts.keys)]
    rows = []
    with start_mako() as mako:
        rows += churn("mako", mako, keys, opts.rounds)
    with start_redis() as red:
        rows += churn("redis", red, keys, opts.rounds)
    out = os.path.join(opts.out, time.strftime("%Y%m%d-%H%M%S-churn"))
    os.makedirs(out, exist_ok=True)
    report.write_csv(os.path.join(out, "runs.csv"), rows, ["server", "phase", "keys"] + FIELDS)
    print(f"\nwrote {out}/runs.csv")
    return 0
