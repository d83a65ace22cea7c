"""What each profile of `./dev bench all` measures: the cases, the runs, the sizes.

- smoke: the machinery on tiny settings (tests/test_bench.py runs it; ~20 s).
- quick: a representative subset, for a look while working (~4 minutes here,
         100 s of it the cold start).
- long:  the full matrix and more runs, for the record (~20 minutes here).

A Case is one load: which generator sends it, the workload (`get`, `set`
or `mix`: 90% GET / 10% SET over Zipf-skewed keys), clients, pipeline
depth, value size and the key space it draws from (every key preloaded
with the case's value size, so GETs hit).
"""
import os
from dataclasses import dataclass
from itertools import product

REDIS_BENCHMARK = "redis-benchmark"
LOADGEN = "loadgen"
KEYSPACE = 1_000_000
ZIPF_S = 0.99
GET_SHARE = 0.9
# Our generator's worker processes: one per two cores, at most 4 (the server
# under test needs a core of its own; on 2 cores, one worker).
LOADGEN_WORKERS = max(1, min(4, (os.cpu_count() or 2) // 2))


@dataclass(frozen=True)
class Case:
    generator: str
    workload: str
    clients: int
    pipeline: int
    value_size: int
    keyspace: int = KEYSPACE

    @property
    def key_dist(self):
        if self.workload == "mix":
            return f"zipf{ZIPF_S}:{self.keyspace}"
        return f"uniform:{self.keyspace}"

    @property
    def label(self):
        return f"{self.workload} c{self.clients} P{self.pipeline} {self.value_size}B"


def rb(tests, clients, pipelines, values, keyspace=KEYSPACE):
    return [Case(REDIS_BENCHMARK, t, c, p, v, keyspace)
            for v, c, p, t in product(values, clients, pipelines, tests)]


def mix(clients, pipelines, values, keyspace=KEYSPACE):
    return [Case(LOADGEN, "mix", c, p, v, keyspace) for v, c, p in product(values, clients, pipelines)]


# The cases the summary's targets read (all must be in quick and long).
TARGET_CASES = (rb(("get", "set"), (50,), (1, 16, 64), (8,)) + rb(("get", "set"), (1,), (1,), (8,))
                + rb(("get", "set"), (50,), (16,), (1024,)))


@dataclass(frozen=True)
class Profile:
    name: str
    cases: list
    runs: int                  # runs per server and case (median and min-max over them)
    run_sec: float             # target length of one run
    scale_checkpoints: tuple   # key counts where GET/SET cost is measured (8-byte values)
    memory_checkpoints: tuple  # key counts where memory is read (8- and 100-byte values)
    scale_probe_sec: float     # length of each GET/SET probe at a checkpoint
    warm_starts: int
    cold_start: bool
    loadgen_workers: int = LOADGEN_WORKERS
    memory_values: tuple = (8, 100)


def _sorted(cases):
    """Grouped by value size (each size needs its own preload), then as listed."""
    seen = list(dict.fromkeys(cases))
    return sorted(seen, key=lambda c: c.value_size)


SMOKE = Profile(
    "smoke", _sorted(rb(("get", "set"), (50,), (16,), (8,), keyspace=20_000)
                     + mix((50,), (16,), (8,), keyspace=20_000)),
    runs=1, run_sec=1.0, scale_checkpoints=(2_000, 20_000), memory_checkpoints=(20_000,),
    scale_probe_sec=0.2, warm_starts=1, cold_start=False)

QUICK = Profile(
    "quick", _sorted(TARGET_CASES + mix((50,), (1, 16), (8,))),
    runs=3, run_sec=1.0, scale_checkpoints=(10_000, 100_000, 1_000_000),
    memory_checkpoints=(1_000_000,), scale_probe_sec=0.5, warm_starts=3, cold_start=True)

LONG = Profile(
    "long", _sorted(rb(("get", "set"), (1, 16, 50), (1, 16, 64), (8, 1024))
                    + mix((50,), (1, 16, 64), (8, 1024)) + mix((16,), (16,), (8,))),
    runs=5, run_sec=2.0, scale_checkpoints=(10_000, 100_000, 1_000_000, 10_000_000),
    memory_checkpoints=(1_000_000, 10_000_000), scale_probe_sec=1.0, warm_starts=5,
    cold_start=True)

PROFILES = {p.name: p for p in (SMOKE, QUICK, LONG)}
