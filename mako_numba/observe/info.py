"""INFO: the server's counters rendered in Redis's format.

Counters live in the int64 `stats` array (kernels update it in place; see
layout.S_*), in the key space's meta array, on the Core and in the slow
path's `Admin.cmdstats`.  This module only reads them.

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
from mako_numba.store.table import T_EXPIRED, T_MEM
from mako_numba.observe import latency
from mako_numba.base.humanize import bytes_to_human
from mako_numba.store.evict import exceeded_ms
from mako_numba.base.layout import (
    T_EVICTED,
    B_BATCHES, C_IN_CAP, C_OUT_SENT, C_OUT_WR, S_COMMANDS, S_DEFERRALS, S_HITS, S_MISSES,
    S_SLOW,
)
from mako_numba.observe.cmdstats import batch_fields, commandstats, errorstats, total_errors
from mako_numba.observe.memstats import _ratio, _rss_bytes, _system_memory, client_memory, fixed_memory, used_memory

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
_STARTED = time.time()


def lru_clock():
    """Redis's LRU clock: seconds, 24 bits (LRU_CLOCK_RESOLUTION 1000 ms)."""
    return int(time.time()) & ((1 << 24) - 1)


def sections(core):
    now = time.time()
    st = core.stats
    settings = core.settings
    ks = core.ks
    dataset = ks.used_bytes()
    used = used_memory(core)
    startup = fixed_memory(core)
    peak = max(getattr(core, "used_memory_peak", 0), used)
    core.used_memory_peak = peak
    rss = _rss_bytes()
    sysmem = _system_memory()
    maxmem = int(settings.get("maxmemory", "0"))
    exceeded = exceeded_ms(core)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    ru_c = resource.getrusage(resource.RUSAGE_CHILDREN)
    ru_t = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    started = getattr(core, "started", _STARTED)
    uptime = int(now - started)
    hz = settings.get("hz", config.CRON_HZ)
    nclients = len(core.clients)
    conn = core.conn
    slots = list(core.clients)
    max_in = max((int(conn[s, C_IN_CAP]) for s in slots), default=0)
    max_out = max((int(conn[s, C_OUT_WR] - conn[s, C_OUT_SENT]) for s in slots), default=0)
    out = {}
    out["server"] = [
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
    out["clients"] = [
        ("connected_clients", nclients),
        ("cluster_connections", 0),
        ("maxclients", core.maxclients),
        ("client_recent_max_input_buffer", max_in),
        ("client_recent_max_output_buffer", max_out),
        ("blocked_clients", 0),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", 0),
    ]
    overhead = used - dataset
    net = max(used - startup, 1)
    # "active": what the arena has handed out, live or freed (Redis: jemalloc's active pages)
    active = used - int(ks.tm[T_MEM]) + ks.arena_active()
    out["memory"] = [
        ("used_memory", used),
        ("used_memory_human", bytes_to_human(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", bytes_to_human(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", bytes_to_human(peak)),
        ("used_memory_peak_perc", f"{used * 100 / peak:.2f}%" if peak else "0.00%"),
        ("used_memory_overhead", overhead),
        ("used_memory_startup", startup),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc", f"{dataset * 100 / net:.2f}%"),
        ("allocator_allocated", used),
        ("allocator_active", active),
        ("allocator_resident", rss),
        ("total_system_memory", sysmem),
        ("total_system_memory_human", bytes_to_human(sysmem)),
        ("used_memory_lua", 0),
        ("used_memory_vm_eval", 0),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", 0),
        ("number_of_cached_scripts", 0),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", 0),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", 0),
        ("used_memory_scripts", 0),
        ("used_memory_scripts_human", "0B"),
        ("maxmemory", maxmem),
        ("maxmemory_human", bytes_to_human(maxmem)),
        ("maxmemory_policy", settings.get("maxmemory-policy", "noeviction")),
        ("allocator_frag_ratio", _ratio(active, used)),
        ("allocator_frag_bytes", active - used),
        ("allocator_rss_ratio", _ratio(rss, active)),
        ("allocator_rss_bytes", rss - active),
        ("rss_overhead_ratio", "1.00"),
        ("rss_overhead_bytes", 0),
        ("mem_fragmentation_ratio", _ratio(rss, used)),
        ("mem_fragmentation_bytes", rss - used),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", client_memory(core)),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "numpy"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]
    snap = core.snapshots.info_fields()
    aof = core.aof.info_fields()
    out["persistence"] = [
        ("loading", 0),
        ("async_loading", 0),
        ("current_cow_peak", snap["current_cow_peak"]),
        ("current_cow_size", snap["current_cow_size"]),
        ("current_cow_size_age", snap["current_cow_size_age"]),
        ("current_fork_perc", snap["current_fork_perc"]),
        ("current_save_keys_processed", snap["current_save_keys_processed"]),
        ("current_save_keys_total", snap["current_save_keys_total"]),
        ("rdb_changes_since_last_save", snap["rdb_changes_since_last_save"]),
        ("rdb_bgsave_in_progress", snap["rdb_bgsave_in_progress"]),
        ("rdb_last_save_time", snap["rdb_last_save_time"]),
        ("rdb_last_bgsave_status", snap["rdb_last_bgsave_status"]),
        ("rdb_last_bgsave_time_sec", snap["rdb_last_bgsave_time_sec"]),
        ("rdb_current_bgsave_time_sec", snap["rdb_current_bgsave_time_sec"]),
        ("rdb_saves", snap["rdb_saves"]),
        ("rdb_last_cow_size", snap["rdb_last_cow_size"]),
        ("rdb_last_load_keys_expired", snap["rdb_last_load_keys_expired"]),
        ("rdb_last_load_keys_loaded", snap["rdb_last_load_keys_loaded"]),
        ("aof_enabled", aof["aof_enabled"]),
        ("aof_rewrite_in_progress", aof["aof_rewrite_in_progress"]),
        ("aof_rewrite_scheduled", aof["aof_rewrite_scheduled"]),
        ("aof_last_rewrite_time_sec", aof["aof_last_rewrite_time_sec"]),
        ("aof_current_rewrite_time_sec", aof["aof_current_rewrite_time_sec"]),
        ("aof_last_bgrewrite_status", aof["aof_last_bgrewrite_status"]),
        ("aof_rewrites", aof["aof_rewrites"]),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", aof["aof_last_write_status"]),
        ("aof_last_cow_size", aof["aof_last_cow_size"]),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ] + [(k, v) for k, v in aof.items() if k not in _AOF_ALWAYS]
    out["stats"] = [
        ("total_connections_received", core.next_client_id - 1 - getattr(core, "denied", 0)),
        ("total_commands_processed", int(st[S_COMMANDS])),
        ("instantaneous_ops_per_sec", int(core.instant.value("ops"))),
        ("total_net_input_bytes", getattr(core, "net_in", 0)),
        ("total_net_output_bytes", getattr(core, "net_out", 0)),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", "%.2f" % (core.instant.value("in") / 1024)),
        ("instantaneous_output_kbps", "%.2f" % (core.instant.value("out") / 1024)),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", getattr(core, "rejected", 0)),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", int(ks.tm[T_EXPIRED])),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", 0),
        ("evicted_keys", int(ks.tm[T_EVICTED])),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", exceeded[0]),
        ("current_eviction_exceeded_time", exceeded[1]),
        ("keyspace_hits", int(st[S_HITS])),
        ("keyspace_misses", int(st[S_MISSES])),
        ("pubsub_channels", 0),
        ("pubsub_patterns", 0),
        ("pubsubshard_channels", 0),
        ("latest_fork_usec", getattr(core, "latest_fork_usec", 0)),
        ("total_forks", getattr(core, "total_forks", 0)),
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
    out["replication"] = [
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
    out["cpu"] = [
        ("used_cpu_sys", f"{ru.ru_stime:.6f}"),
        ("used_cpu_user", f"{ru.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{ru_c.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{ru_c.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{ru_t.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{ru_t.ru_utime:.6f}"),
    ]
    out["modules"] = []
    out["commandstats"] = commandstats(core)
    out["errorstats"] = errorstats(core)
    pct = [float(p) for p in settings.get("latency-tracking-info-percentiles",
                                          config.LATENCY_PERCENTILES).split()]
    out["latencystats"] = [(f"latency_percentiles_usec_{name}", latency.info_line(counts, pct))
                           for name, counts in core.observe.histograms()]
    out["cluster"] = [("cluster_enabled", 0)]
    out["keyspace"] = [
        (f"db{db}", f"keys={ks.keys(db)},expires={ks.volatile(db)},avg_ttl=0")
        for db in range(ks.databases) if ks.keys(db)
    ]
    tstats = ks.stats()
    out["mako"] = [
        ("python_version", platform.python_version()),
        ("batches", int(core.bm[B_BATCHES])),
    ] + batch_fields(core) + [
        ("slow_path_requests", int(st[S_SLOW])),
        ("slow_path_share", "%.6f" % (int(st[S_SLOW]) / int(st[S_COMMANDS]) if st[S_COMMANDS] else 0.0)),
        ("deferred_requests", int(st[S_DEFERRALS])),
        ("table_slots", 1 << tstats["logcap"]),
        ("table_rehashing", int(tstats["rehashing"])),
        ("arena_chunks", tstats["chunks"]),
        ("kernel_compile_seconds", f"{getattr(core, 'compile_seconds', 0.0):.3f}"),
    ]
    return out


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


_AOF_ALWAYS = ("aof_enabled", "aof_rewrite_in_progress", "aof_rewrite_scheduled",
               "aof_last_rewrite_time_sec", "aof_current_rewrite_time_sec",
               "aof_last_bgrewrite_status", "aof_rewrites", "aof_last_write_status",
               "aof_last_cow_size")


def info_text(core, wanted):
    """INFO's text for the requested section names (none = default); "" when none is known."""
    names = wanted_sections(wanted)
    if not names:
        return ""
    data = sections(core)
    parts = []
    for name in names:
        lines = ["# " + TITLES[name]]
        lines += [f"{k}:{v}" for k, v in data[name]]
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)
