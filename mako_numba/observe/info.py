"""INFO: the server's counters rendered in Redis's format.

Each section's fields come from a function its owner registers with the
Core's `InfoSections` (core.info): clients (server/maxclients.py), memory
(observe/memstats.py), persistence (persistence/info.py, by Snapshots),
keyspace (store/keyspace.py), commandstats, errorstats and latencystats
(observe/cmdstats.py and latency.py, by the Observer); this module renders
them in Redis's order and owns server, stats, cpu, modules, cluster, mako
and a stand-in replication section (a master without replicas) that a
replication subsystem replaces.  Counters live in the int64 `stats` array
(kernels update it in place; see layout.S_*), in the key space's meta
array, in the Core's declared state objects and in the slow path's
`Admin.cmdstats`; sections only read them.

Sections, their order and field names follow Redis 7.0.15 (`INFO`, `INFO
default`, `INFO all`, `INFO everything`, several names at once, unknown
names print nothing).  `redis_version` is the Redis release whose behaviour
we match; `mako_numba_version` (Server) and the `# Mako` section (only with
`all`, `everything` or `mako`) are ours.

Fields whose values cannot match Redis's have the same name and format with
our closest value: memory fields come from our own accounting (arena, index
and buffers; no allocator statistics, no Lua), replication/persistence fields
describe a master, and fields for features we lack (pubsub, tracking,
defrag, io threads) are 0.  Forks are BGSAVE's: `latest_fork_usec`,
`total_forks`, `rdb_last_cow_size` and the `current_*` copy-on-write fields
come from forkchild.py's reports, measured as Redis measures them.  Memory
figures are memstats.py's; commandstats, errorstats and the batch counters
are cmdstats.py's.  Latencystats prints the percentiles of latency.py's
histograms (`latency-tracking`, `latency-tracking-info-percentiles`).  The
instantaneous_* fields are Redis's: 16 samples taken every 100 ms (`Instant`).

The `# Mako` section shows what only a batched server has: `batches`,
`requests_in_batches`, `batch_sizes` (batches by request count, in
power-of-two buckets: `4=N` counts batches of 3 or 4 requests),
`kernel_usec` (time inside the batch kernel), its per-batch and
per-request averages, and the slow path's share of requests.
"""
import os
import platform
import resource
import secrets
import sys
import time

from mako_numba.config import settings as config
from mako_numba.store.evict import exceeded_ms
from mako_numba.base.layout import (
    B_BATCHES, S_COMMANDS, S_DEFERRALS, S_HITS, S_MISSES, S_SLOW, T_EVICTED, T_EXPIRED,
)
from mako_numba.observe.cmdstats import batch_fields, total_errors

# Redis 7.0's genRedisInfoString order
ORDER = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
         "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace", "mako"]
DEFAULT_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication",
                    "cpu", "modules", "errorstats", "cluster", "keyspace"]
TITLES = {"server": "Server", "clients": "Clients", "memory": "Memory",
          "persistence": "Persistence", "stats": "Stats", "replication": "Replication",
          "cpu": "CPU", "modules": "Modules", "commandstats": "Commandstats",
          "errorstats": "Errorstats", "latencystats": "Latencystats", "cluster": "Cluster",
          "keyspace": "Keyspace", "mako": "Mako"}
ALIASES = {"module_list": "modules"}

RUN_ID = secrets.token_hex(20)          # per process, like Redis's run_id
REPL_ID = secrets.token_hex(20)


def lru_clock():
    """Redis's LRU clock: seconds, 24 bits (LRU_CLOCK_RESOLUTION 1000 ms)."""
    return int(time.time()) & ((1 << 24) - 1)


class InfoSections:
    """INFO's sections: each one's fields come from a function its owner registers.

    `register(name, fields)`: `fields(core)` returns the section's (name,
    value) pairs, in Redis's order.  A section nobody registered prints its
    title alone (Redis's `# Modules` with no modules).  `replace=True` lets a
    subsystem take over a section registered with a stand-in (replication:
    `standalone_replication` until a replication subsystem provides one).
    """

    def __init__(self):
        self.fields = {}

    def register(self, name, fields, replace=False):
        if name not in TITLES:
            raise ValueError(f"INFO has no section {name!r}")
        if name in self.fields and not replace:
            raise ValueError(f"INFO {name}: registered twice")
        self.fields[name] = fields

    def section(self, core, name):
        fields = self.fields.get(name)
        return fields(core) if fields is not None else []


def register_info(info):
    """The sections this module owns: the process (server, cpu), the counters (stats), the
    features we do not have (modules, cluster), a master without replicas (replication, a
    stand-in) and the batch engine's figures (mako)."""
    info.register("server", server_fields)
    info.register("stats", stats_fields)
    info.register("replication", standalone_replication)
    info.register("cpu", cpu_fields)
    info.register("modules", lambda core: [])
    info.register("cluster", lambda core: [("cluster_enabled", 0)])
    info.register("mako", mako_fields)


def server_fields(core):
    now = time.time()
    settings = core.settings
    uptime = int(now - core.started)
    hz = settings["hz"]
    return [
        ("redis_version", config.REDIS_VERSION),
        ("mako_numba_version", config.VERSION),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", "0"),
        ("redis_mode", "standalone"),
        ("os", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("arch_bits", "64" if sys.maxsize > 2**32 else "32"),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "epoll"),
        ("atomicvar_api", "none"),
        ("gcc_version", "0.0.0"),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", RUN_ID),
        ("tcp_port", settings.get("port", config.DEFAULT_PORT)),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", hz),
        ("configured_hz", hz),
        ("lru_clock", lru_clock()),
        ("executable", sys.executable),
        ("config_file", settings.get("config_file", "")),
        ("io_threads_active", 0),
    ]


def stats_fields(core):
    st = core.stats
    ks = core.ks
    return [
        ("total_connections_received", core.next_client_id - 1 - core.net.denied),
        ("total_commands_processed", int(st[S_COMMANDS])),
        ("instantaneous_ops_per_sec", int(core.instant.value("ops"))),
        ("total_net_input_bytes", core.net.input),
        ("total_net_output_bytes", core.net.output),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", "%.2f" % (core.instant.value("in") / 1024)),
        ("instantaneous_output_kbps", "%.2f" % (core.instant.value("out") / 1024)),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", core.net.rejected),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", int(ks.tm[T_EXPIRED])),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", 0),
        ("evicted_keys", int(ks.tm[T_EVICTED])),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", exceeded_ms(core)[0]),
        ("current_eviction_exceeded_time", exceeded_ms(core)[1]),
        ("keyspace_hits", int(st[S_HITS])),
        ("keyspace_misses", int(st[S_MISSES])),
        ("pubsub_channels", 0),
        ("pubsub_patterns", 0),
        ("pubsubshard_channels", 0),
        ("latest_fork_usec", core.forks.latest_usec),
        ("total_forks", core.forks.total),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        ("tracking_total_keys", 0),
        ("tracking_total_items", 0),
        ("tracking_total_prefixes", 0),
        ("unexpected_error_replies", 0),
        ("total_error_replies", total_errors(core)),
        ("dump_payload_sanitizations", 0),
        ("total_reads_processed", 0),
        ("total_writes_processed", 0),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", 0),
        ("reply_buffer_expands", 0),
    ]


def standalone_replication(core):
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", REPL_ID),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", 1048576),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def cpu_fields(core):
    ru = resource.getrusage(resource.RUSAGE_SELF)
    ru_c = resource.getrusage(resource.RUSAGE_CHILDREN)
    ru_t = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return [
        ("used_cpu_sys", f"{ru.ru_stime:.6f}"),
        ("used_cpu_user", f"{ru.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{ru_c.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{ru_c.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{ru_t.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{ru_t.ru_utime:.6f}"),
    ]


def mako_fields(core):
    st = core.stats
    ks = core.ks
    tstats = ks.stats()
    return [
        ("python_version", platform.python_version()),
        ("batches", int(core.bm[B_BATCHES])),
    ] + batch_fields(core) + [
        ("slow_path_requests", int(st[S_SLOW])),
        ("slow_path_share", "%.6f" % (int(st[S_SLOW]) / int(st[S_COMMANDS]) if st[S_COMMANDS] else 0.0)),
        ("deferred_requests", int(st[S_DEFERRALS])),
        ("table_slots", 1 << tstats["logcap"]),
        ("table_rehashing", int(tstats["rehashing"])),
        ("arena_chunks", tstats["chunks"]),
        ("kernel_compile_seconds", f"{core.compile_seconds:.3f}"),
    ]


class Instant:
    """Redis's instantaneous metrics: the rate of a counter over its last 16 samples, 100 ms apart."""
    SAMPLES = 16
    PERIOD = 0.1

    def __init__(self):
        self.last = {}          # metric -> (time, counter)
        self.rates = {}         # metric -> list of per-second rates
        self.next = 0.0

    def sample(self, now, counters):
        if now < self.next:
            return
        self.next = now + self.PERIOD
        for name, value in counters.items():
            t, v = self.last.get(name, (None, None))
            self.last[name] = (now, value)
            if t is None or now <= t:
                continue
            rates = self.rates.setdefault(name, [])
            rates.append((value - v) / (now - t))
            del rates[:-self.SAMPLES]

    def value(self, name):
        rates = self.rates.get(name)
        return sum(rates) / len(rates) if rates else 0.0


def wanted_sections(args):
    """Redis 7.0's genInfoSectionDict: section names, in print order, for INFO's arguments.

    `all` and `everything` both include our `mako` section (Redis's
    `everything` adds module sections, which we have none of).
    """
    if not args:
        return list(DEFAULT_SECTIONS)
    chosen = set()
    for a in args:
        a = a.lower()
        if a == "default":
            chosen.update(DEFAULT_SECTIONS)
        elif a in ("all", "everything"):
            chosen.update(ORDER)
        else:
            chosen.add(ALIASES.get(a, a))
    return [n for n in ORDER if n in chosen]


def info_text(core, wanted):
    """INFO's text for the requested section names (none = default); "" when none is known."""
    names = wanted_sections(wanted)
    if not names:
        return ""
    parts = []
    for name in names:
        lines = ["# " + TITLES[name]]
        lines += [f"{k}:{v}" for k, v in core.info.section(core, name)]
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)
