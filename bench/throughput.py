"""The load part of the suite: every case of a profile on both servers, runs alternating.

Method:
- One mako_numba and one redis-server (no persistence) serve the whole
  part.  Cases are grouped by value size; before each group both servers
  get the whole key space (`key:%012d`, 0 .. keyspace-1) SET to values of
  that size, so every GET hits and SETs only overwrite.
- redis-benchmark cases get their -n from a calibration run on each server
  (runs.calibrate), which doubles as warm-up; load generator cases get a
  short warm-up run on each server.
- Then `runs` rounds; in each, every case runs on both servers back to
  back, mako first in one round and redis first in the next (and case by
  case in turn), so drift on a shared machine hits both alike.
- Afterwards both servers must still hold exactly the key space.
"""
from .profiles import LOADGEN
from .runs import calibrate, measure
from .servers import command, load_keys

WARMUP_SEC = 0.3


def preload(servers, keyspace, value_size):
    for server in servers:
        secs = load_keys(server, keyspace, value_size)
        print(f"preloaded {keyspace:,} keys of {value_size} bytes into {server.name} in {secs:.2f} s",
              flush=True)


def prepare(servers, case, profile):
    """The amount one run of `case` gets: -n for redis-benchmark, seconds for the generator."""
    if case.generator == LOADGEN:
        for server in servers:
            measure(server, case, min(WARMUP_SEC, profile.run_sec), workers=profile.loadgen_workers)
        return profile.run_sec
    return calibrate(servers, case, profile.run_sec)


def check_keys(server, keyspace, value_size):
    """A problem string if the server lost keys or holds values of the wrong size, else None."""
    got = command(server, "DBSIZE")
    if got != b":%d\r\n" % keyspace:
        return f"{server.name}: DBSIZE gave {got!r}, expected {keyspace}"
    got = command(server, "GET", "key:%012d" % (keyspace - 1))
    if not (got.startswith(b"$%d\r\n" % value_size) and len(got) == value_size + 5 + len(str(value_size))):
        return f"{server.name}: GET of the last key gave {got[:60]!r}"
    return None


def line(row):
    other = row["other_cpu_share"]
    note = f"  [others used {other:.0%} of a core]" if other > 0.15 else ""
    return (f"  run {row['run']} {row['server']:5s} {row['_case'].label:22s} "
            f"{row['ops_per_sec']:>12,.0f} ops/s  cpu {row['server_cpu_us_per_op']:6.2f} us/op "
            f"(user {row['server_cpu_user_us_per_op']:.2f} sys {row['server_cpu_sys_us_per_op']:.2f})"
            f"  p99 {row['p99_us']:,.0f} us  client busy {row['client_cpu_share']:.0%}{note}")


def run_cases(mako, redis, profile):
    """All the profile's cases on both servers; returns (rows, problems)."""
    rows, problems = [], []
    sizes = list(dict.fromkeys(c.value_size for c in profile.cases))
    for value_size in sizes:
        cases = [c for c in profile.cases if c.value_size == value_size]
        keyspace = max(c.keyspace for c in cases)
        preload((mako, redis), keyspace, value_size)
        amounts = {}
        for case in cases:
            amounts[case] = prepare((mako, redis), case, profile)
            unit = "s" if case.generator == LOADGEN else "requests"
            print(f"{case.label} ({case.generator}): {amounts[case]:,} {unit} per run", flush=True)
        for r in range(profile.runs):
            for i, case in enumerate(cases):
                order = (mako, redis) if (r + i) % 2 == 0 else (redis, mako)
                for server in order:
                    row = measure(server, case, amounts[case], run=r + 1,
                                  workers=profile.loadgen_workers,
                                  timeout=60 + 20 * profile.run_sec)
                    rows.append(row)
                    print(line(row), flush=True)
        problems += [p for p in (check_keys(s, keyspace, value_size) for s in (mako, redis)) if p]
    return rows, problems
