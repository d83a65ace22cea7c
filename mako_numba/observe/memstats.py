"""Memory accounting for INFO and maxmemory: what the process holds, in Redis's terms.

`used_memory` is the key space's bytes (`KeySpace.used_bytes`) plus the
connections' buffers plus the arrays a Core allocates once at start
(Redis's used_memory_startup); evict.py counts maxmemory against the same
number.  No allocator statistics: RSS and the machine's memory come from
/proc and sysconf, 0 where those are unavailable.
"""
import os
from dataclasses import dataclass

from mako_numba.base.humanize import bytes_to_human
from mako_numba.base.layout import T_MEM


@dataclass(slots=True)
class MemoryStats:
    """What INFO memory remembers between calls: core.memory."""
    peak: int = 0               # used_memory_peak


def _rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _system_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def fixed_memory(core):
    """Bytes of the arrays a Core allocates at start (Redis's used_memory_startup)."""
    return core.conn.nbytes + core.q.nbytes + core.args.nbytes + core.scratch.nbytes


def client_memory(core):
    buffers = sum(a.nbytes for a in core.inbufs if a is not None)
    return buffers + sum(a.nbytes for a in core.outbufs if a is not None)


def used_memory(core):
    return core.ks.used_bytes() + client_memory(core) + fixed_memory(core)


def _ratio(a, b):
    return f"{a / b:.2f}" if b else "0.00"


def info_memory(core):
    """INFO memory (registered by Core); used_memory_peak is the highest INFO has seen."""
    settings = core.settings
    ks = core.ks
    dataset = ks.used_bytes()
    used = used_memory(core)
    startup = fixed_memory(core)
    peak = core.memory.peak = max(core.memory.peak, used)
    rss = _rss_bytes()
    sysmem = _system_memory()
    maxmem = int(settings["maxmemory"])
    overhead = used - dataset
    net = max(used - startup, 1)
    # "active": what the arena has handed out, live or freed (Redis: jemalloc's active pages)
    active = used - int(ks.tm[T_MEM]) + ks.arena_active()
    lua_vm, scripts_mem, nscripts = core.admin.script_memory()
    return [
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
        ("used_memory_lua", lua_vm),
        ("used_memory_vm_eval", lua_vm),
        ("used_memory_lua_human", bytes_to_human(lua_vm)),
        ("used_memory_scripts_eval", scripts_mem),
        ("number_of_cached_scripts", nscripts),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", lua_vm),
        ("used_memory_vm_total_human", bytes_to_human(lua_vm)),
        ("used_memory_functions", 0),
        ("used_memory_scripts", scripts_mem),
        ("used_memory_scripts_human", bytes_to_human(scripts_mem)),
        ("maxmemory", maxmem),
        ("maxmemory_human", bytes_to_human(maxmem)),
        ("maxmemory_policy", settings["maxmemory-policy"]),
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
