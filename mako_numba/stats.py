"""INFO: the server's counters rendered in Redis's format.

Counters live in the int64 `stats` array (kernels update it in place; see
layout.S_*), in the key space's meta array and on the Core.  This module only
reads them.  Sections and field names follow Redis 7.0; `redis_version` is
the Redis release whose behaviour we match, and `mako_numba_version` is ours.
"""
import os
import platform
import resource
import sys
import time

from . import commands, config
from .table import T_EXPIRED
from .layout import B_BATCHES, S_COMMANDS, S_DEFERRALS, S_HITS, S_MISSES, S_NFIELDS, S_PROTO_ERRORS, S_SLOW

DEFAULT_SECTIONS = ["server", "clients", "memory", "persistence", "stats", "replication",
                    "cpu", "keyspace"]
ALL_SECTIONS = DEFAULT_SECTIONS + ["commandstats", "errorstats", "mako"]
TITLES = {"server": "Server", "clients": "Clients", "memory": "Memory",
          "persistence": "Persistence", "stats": "Stats", "replication": "Replication",
          "cpu": "CPU", "keyspace": "Keyspace", "commandstats": "Commandstats",
          "errorstats": "Errorstats", "mako": "Mako"}


def _rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _human(n):
    for unit in ("B", "K", "M", "G", "T"):
        if n < 1024 or unit == "T":
            return f"{n}{unit}" if unit == "B" else f"{n:.2f}{unit}"
        n /= 1024
    return str(n)


def used_memory(core):
    buffers = sum(a.nbytes for a in core.inbufs if a is not None)
    buffers += sum(a.nbytes for a in core.outbufs if a is not None)
    fixed = core.conn.nbytes + core.q.nbytes + core.args.nbytes + core.scratch.nbytes
    return core.ks.used_bytes() + buffers + fixed


def sections(core):
    now = time.time()
    st = core.stats
    settings = core.settings
    used = used_memory(core)
    rss = _rss_bytes()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    uptime = int(now - core.started)
    out = {}
    out["server"] = [
        ("redis_version", config.REDIS_VERSION),
        ("mako_numba_version", config.VERSION),
        ("redis_mode", "standalone"),
        ("os", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("arch_bits", "64" if sys.maxsize > 2**32 else "32"),
        ("multiplexing_api", "epoll"),
        ("python_version", platform.python_version()),
        ("process_id", os.getpid()),
        ("tcp_port", settings.get("port", config.DEFAULT_PORT)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", settings.get("hz", config.CRON_HZ)),
        ("executable", sys.executable),
    ]
    out["clients"] = [
        ("connected_clients", len(core.clients)),
        ("maxclients", core.conn.shape[0]),
        ("blocked_clients", 0),
    ]
    out["memory"] = [
        ("used_memory", used),
        ("used_memory_human", _human(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", _human(rss)),
        ("used_memory_dataset", core.ks.used_bytes()),
        ("maxmemory", settings.get("maxmemory", "0")),
        ("maxmemory_policy", "noeviction"),
        ("mem_fragmentation_ratio", f"{rss / used:.2f}" if used else "0.00"),
        ("mem_allocator", "numpy"),
    ]
    out["persistence"] = [
        ("loading", 0),
        ("rdb_changes_since_last_save", 0),
        ("rdb_bgsave_in_progress", 0),
        ("aof_enabled", 0),
    ]
    out["stats"] = [
        ("total_connections_received", core.next_client_id - 1),
        ("total_commands_processed", int(st[S_COMMANDS])),
        ("total_net_input_bytes", getattr(core, "net_in", 0)),
        ("total_net_output_bytes", getattr(core, "net_out", 0)),
        ("rejected_connections", getattr(core, "rejected", 0)),
        ("expired_keys", int(core.ks.tm[T_EXPIRED])),
        ("evicted_keys", 0),
        ("keyspace_hits", int(st[S_HITS])),
        ("keyspace_misses", int(st[S_MISSES])),
        ("total_error_replies", int(st[S_PROTO_ERRORS])),
    ]
    out["replication"] = [("role", "master"), ("connected_slaves", 0)]
    out["cpu"] = [
        ("used_cpu_sys", f"{ru.ru_stime:.6f}"),
        ("used_cpu_user", f"{ru.ru_utime:.6f}"),
    ]
    out["commandstats"] = [
        (f"cmdstat_{name}", f"calls={int(st[S_NFIELDS + i])},usec=0,usec_per_call=0.00,"
                            f"rejected_calls=0,failed_calls=0")
        for i, name in enumerate(commands.NAMES) if st[S_NFIELDS + i]
    ]
    out["errorstats"] = []
    ks = core.ks
    out["keyspace"] = [
        (f"db{db}", f"keys={ks.keys(db)},expires={ks.volatile(db)},avg_ttl=0")
        for db in range(ks.databases) if ks.keys(db)
    ]
    tstats = ks.stats()
    out["mako"] = [
        ("batches", int(core.bm[B_BATCHES])),
        ("slow_path_requests", int(st[S_SLOW])),
        ("deferred_requests", int(st[S_DEFERRALS])),
        ("table_slots", 1 << tstats["logcap"]),
        ("table_rehashing", int(tstats["rehashing"])),
        ("arena_chunks", tstats["chunks"]),
        ("kernel_compile_seconds", f"{getattr(core, 'compile_seconds', 0.0):.3f}"),
    ]
    return out


def info_text(core, wanted):
    """INFO's text for the requested section names (default, all, everything)."""
    data = sections(core)
    if not wanted or wanted == ["default"]:
        names = DEFAULT_SECTIONS
    elif "all" in wanted or "everything" in wanted:
        names = ALL_SECTIONS
    else:
        names = [n for n in ALL_SECTIONS if n in wanted]
    parts = []
    for name in names:
        lines = ["# " + TITLES[name]]
        lines += [f"{k}:{v}" for k, v in data[name]]
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)
