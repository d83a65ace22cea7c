"""Scale and memory: cost per request and bytes per key as the key count grows, and the
worst pause a client sees meanwhile.

Method:
- Fresh servers, one mako_numba and one redis-server, grown in lockstep
  (mako to the next checkpoint, then redis, ...), each segment loaded by
  servers.load_keys (`key:%012d`, 10,000 SETs per send, two in flight)
  while a growth.Prober PINGs it from another process: the worst PING
  round trip of a segment is the longest a client waited while the table
  grew (rehashes, page faults; on two shared cores some of it is the
  scheduler's, so compare with Redis).
- At each scale checkpoint (8-byte values): redis-benchmark GET then SET,
  50 clients, -P 16, `-r` over the keys loaded, the same -n at every
  checkpoint: ops/s and server CPU per request.  Flat means the table's
  cost does not grow with it.
- At each memory checkpoint: INFO used_memory and the process RSS, and
  bytes per key above what the empty server used.
- 8-byte values grow through the scale and memory checkpoints; then fresh
  servers grow with 100-byte values through the memory checkpoints.
"""
import time

from .growth import Prober
from .profiles import REDIS_BENCHMARK, Case
from .runs import calibrate, measure
from .servers import command, info_fields, load_keys, start_mako, start_redis

COLUMNS = ["server", "value_size", "keys", "load_sec", "load_sets_per_sec", "load_cpu_us_per_set",
           "pings", "ping_p99_us", "worst_pause_ms", "used_memory", "rss",
           "bytes_per_key_used", "bytes_per_key_rss",
           "get_ops_per_sec", "get_cpu_us_per_op", "set_ops_per_sec", "set_cpu_us_per_op"]
PROBE_CLIENTS, PROBE_PIPELINE = 50, 16


def _memory(server):
    return int(info_fields(server, "memory").get("used_memory", 0)), server.rss_bytes()


def _segment(server, lo, hi, value_size):
    """Grow server from lo to hi keys under the prober: the load's figures."""
    cpu0 = server.cpu_seconds()
    with Prober(server, 120 + (hi - lo) / 10_000) as probe:
        t0 = time.perf_counter()
        secs = load_keys(server, hi, value_size, lo=lo)
        t1 = time.perf_counter()
    cpu = server.cpu_seconds() - cpu0
    st = probe.stats(t0, t1)
    got = command(server, "DBSIZE")
    if got != b":%d\r\n" % hi:
        raise RuntimeError(f"{server.name}: DBSIZE gave {got!r} after loading {hi} keys")
    return {"load_sec": round(secs, 3), "load_sets_per_sec": round((hi - lo) / secs),
            "load_cpu_us_per_set": round(cpu * 1e6 / (hi - lo), 3), "pings": st["pings"],
            "ping_p99_us": round(st.get("p99", float("nan")), 1),
            "worst_pause_ms": round(st.get("worst", float("nan")) / 1000, 2)}


def grow(value_size, checkpoints, probe_at=(), probe_sec=0.5):
    """Rows (one per server and checkpoint) for fresh servers grown in lockstep."""
    rows = []
    with start_mako() as mako, start_redis() as redis:
        servers = (mako, redis)
        empty = {s.name: _memory(s) for s in servers}
        have = 0
        n_probe = None
        for keys in checkpoints:
            for server in servers:
                row = {"server": server.name, "value_size": value_size, "keys": keys}
                row.update(_segment(server, have, keys, value_size))
                used, rss = _memory(server)
                used0, rss0 = empty[server.name]
                row.update(used_memory=used, rss=rss,
                           bytes_per_key_used=round((used - used0) / keys, 1),
                           bytes_per_key_rss=round((rss - rss0) / keys, 1))
                rows.append(row)
            if keys in probe_at:
                cases = [Case(REDIS_BENCHMARK, t, PROBE_CLIENTS, PROBE_PIPELINE, value_size, keys)
                         for t in ("get", "set")]
                if n_probe is None:
                    n_probe = {c.workload: calibrate(servers, c, probe_sec) for c in cases}
                for row in rows[-2:]:
                    server = mako if row["server"] == "mako" else redis
                    for case in cases:
                        r = measure(server, case, n_probe[case.workload], timeout=60 + 20 * probe_sec)
                        row[f"{case.workload}_ops_per_sec"] = r["ops_per_sec"]
                        row[f"{case.workload}_cpu_us_per_op"] = r["server_cpu_us_per_op"]
            for row in rows[-2:]:
                print(line(row), flush=True)
            have = keys
    return rows


def line(row):
    text = (f"  {row['server']:5s} {row['keys']:>11,} keys of {row['value_size']:>3} B: "
            f"loaded at {row['load_sets_per_sec']:>9,} SET/s, worst PING {row['worst_pause_ms']:7.2f} ms; "
            f"{row['bytes_per_key_used']:6.1f} B/key used_memory, {row['bytes_per_key_rss']:6.1f} B/key RSS")
    if "get_ops_per_sec" in row:
        text += (f"; GET {row['get_ops_per_sec']:>10,.0f}/s {row['get_cpu_us_per_op']:.2f} us cpu, "
                 f"SET {row['set_ops_per_sec']:>10,.0f}/s {row['set_cpu_us_per_op']:.2f} us cpu")
    return text


def run(profile):
    """Both passes of the profile; the rows of both."""
    small = tuple(sorted(set(profile.scale_checkpoints) | set(profile.memory_checkpoints)))
    print(f"scale: growing both servers through {', '.join(f'{k:,}' for k in small)} keys "
          f"of 8 bytes", flush=True)
    rows = grow(8, small, probe_at=profile.scale_checkpoints, probe_sec=profile.scale_probe_sec)
    for value_size in profile.memory_values:
        if value_size == 8:
            continue
        print(f"memory: growing both servers through "
              f"{', '.join(f'{k:,}' for k in profile.memory_checkpoints)} keys of {value_size} bytes",
              flush=True)
        rows += grow(value_size, profile.memory_checkpoints)
    return rows
