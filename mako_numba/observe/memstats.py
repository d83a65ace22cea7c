"""Memory accounting for INFO and maxmemory: what the process holds, in Redis's terms.

`used_memory` is the key space's bytes (`KeySpace.used_bytes`) plus the
connections' buffers plus the arrays a Core allocates once at start
(Redis's used_memory_startup); evict.py counts maxmemory against the same
number.  No allocator statistics: RSS and the machine's memory come from
/proc and sysconf, 0 where those are unavailable.
"""
import os


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
