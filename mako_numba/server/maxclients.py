"""maxclients: the open file limit it needs, and the connection table that grows up to it.

Rules (Redis 7.0's server.c adjustOpenFilesLimit and config.c updateMaxclients):
- maxclients N needs N + 32 file descriptors (CONFIG_MIN_RESERVED_FDS; the
  sum is an unsigned int in C, so it wraps).  When RLIMIT_NOFILE is lower,
  the limit is raised (soft and hard) to that, or to the highest value
  reachable by steps of 16 below it; short of N + 32, the maxclients the
  limit allows is the answer (startup uses it, CONFIG SET refuses with it).
- A client is refused ("max number of clients reached") when as many are
  connected as maxclients says; lowering it closes nobody.
- The connection table (Core.conn and the per-slot lists) starts with
  --maxclients rows, at most config.DEFAULT_MAXCLIENTS; a connection that finds no free row while fewer than
  maxclients are connected doubles it (up to maxclients), between batches
  (Server._accept), and the event loop is told (Core.on_grow).
"""
import os
import resource

import numpy as np

from mako_numba.base.layout import C_IN_CAP, C_OUT_SENT, C_OUT_WR

RESERVED_FDS = 32               # CONFIG_MIN_RESERVED_FDS
_STEP = 16                      # adjustOpenFilesLimit's decrement
_CAP_SYS_RESOURCE = 24         # the capability that may raise a hard limit


def _may_raise_hard():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> _CAP_SYS_RESOURCE & 1)
    except (OSError, ValueError, IndexError):
        pass
    return os.geteuid() == 0


def _ceiling(hard):
    """The highest limit setrlimit can grant (None: unknown): the hard limit, or with
    CAP_SYS_RESOURCE fs.nr_open.  Only saves the steps that would fail anyway."""
    if _may_raise_hard():
        try:
            with open("/proc/sys/fs/nr_open") as f:
                return int(f.read())
        except (OSError, ValueError):
            return None
    return None if hard == resource.RLIM_INFINITY else hard


def adjust_open_files(maxclients):
    """adjustOpenFilesLimit: raise RLIMIT_NOFILE for maxclients; the maxclients it allows."""
    need = (maxclients + RESERVED_FDS) & 0xFFFFFFFF
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return 1024 - RESERVED_FDS
    if soft == resource.RLIM_INFINITY or soft >= need:
        return maxclients
    best = need
    ceiling = _ceiling(hard)
    while best > soft:
        if ceiling is not None and best > ceiling:      # would fail: skip those steps at once
            best -= -(-(best - ceiling) // _STEP) * _STEP
            if best <= soft:
                break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (best, best))
            break
        except (OSError, ValueError):
            if best < _STEP:
                best = soft
                break
            best -= _STEP
    best = max(best, soft)
    return maxclients if best >= need else best - RESERVED_FDS


def grow_table(core):
    """Double the connection table (at most to core.maxclients); False if it cannot grow."""
    old = core.conn.shape[0]
    n = min(core.maxclients, 2 * old)
    if n <= old:
        return False
    conn = np.zeros((n,) + core.conn.shape[1:], np.int64)
    conn[:old] = core.conn
    core.conn = conn
    core.ready = np.zeros(n, np.int64)
    res = np.zeros((n,) + core.res.shape[1:], np.int64)
    res[:old] = core.res
    core.res = res
    for lst in (core.inbufs, core.outbufs, core.inmv, core.outmv):
        lst.extend([None] * (n - old))
    core._free[:0] = range(n - 1, old - 1, -1)
    core.h = core._handles(core.ready, core.q, core.bm, core.scratch, core.res)
    core._tx = []                       # EXEC's handles name the old table: rebuilt when needed
    if core.on_grow is not None:
        core.on_grow(n)
    return True


def info_clients(core):
    """INFO clients (registered by Core)."""
    conn = core.conn
    slots = list(core.clients)
    nclients = len(slots)
    max_in = max((int(conn[s, C_IN_CAP]) for s in slots), default=0)
    max_out = max((int(conn[s, C_OUT_WR] - conn[s, C_OUT_SENT]) for s in slots), default=0)
    return [
        ("connected_clients", nclients),
        ("cluster_connections", 0),
        ("maxclients", core.maxclients),
        ("client_recent_max_input_buffer", max_in),
        ("client_recent_max_output_buffer", max_out),
        ("blocked_clients", len(core.blocking)),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", core.blocking.timed()),
    ]
