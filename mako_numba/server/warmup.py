"""Compile (or load from the cache) every kernel before the first client arrives.

prepare.py compiles what the cache lacks (in parallel processes) and loads
every kernel; then a throwaway Core runs one batch that touches every
kernel entry point, so a client never waits for the compiler.  At a first
start the server does not wait for all of it (`start_up`): it answers once
the core, the connection-level families and the strings are loaded, and
the families still compiling are loaded as they end (their commands wait
until then).  The time it
took, and whether the kernels came from the on-disk cache, go into the
server's ready line: compile cost is reported, never hidden.
"""
import time

import numpy as np

from mako_numba.server import prepare
from mako_numba.store import evict
from mako_numba.store import expire
from mako_numba.protocol import querybuf
from mako_numba.store import keyspace as store
from mako_numba.store import table
from mako_numba.base.layout import T_MAXMEM
from mako_numba.engine.core import Core

WARM_INPUT = (
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    b"PING\r\nECHO \"a\\x41\" 'b'\r\nset:s:v\nget:s:\nEXISTS k s\r\nDEL k\r\nDBSIZE\r\n"
    b"GET\r\nINFO\r\nWATCH k\r\nMULTI\r\nINCR n\r\nSELECT 0\r\nEXEC\r\nOBJECT IDLETIME s\r\n"
    b"INCRBYFLOAT f 1.5\r\nLCS s f\r\nSETBIT b 1 1\r\nCLIENT REPLY SKIP\r\nGET b\r\n*1\r\n$4\r\nQUIT\r\n"
)


def warm_up(report=None):
    """Prepare every kernel and run each once; returns (seconds, loaded_from_cache).

    report(unit, done, total, seconds) hears of each unit compiled (prepare.py).
    """
    t0 = time.perf_counter()
    _, compiled, _ = prepare.prepare(report)
    run_once()
    return time.perf_counter() - t0, not compiled


def start_up(report=None, on_done=None):
    """The server's start: returns once the kernels a client needs first are loaded (prepare.FIRST).

    Returns (seconds, loaded_from_cache, background): loaded_from_cache says
    whether what the start waited for came from the cache; background (or
    None) has the units still compiling, which the event loop loads as they end;
    the warm-up batch runs once all are loaded, then on_done().
    """
    t0 = time.perf_counter()
    _, compiled, background = prepare.prepare(report, first=prepare.FIRST)
    waited = [u for u in compiled if u in prepare.FIRST]       # what the start compiled, not loaded

    def done():
        run_once()
        if on_done:
            on_done()
    if background is None:
        run_once()
    else:
        background.on_done = done
    return time.perf_counter() - t0, not waited, background


def run_once():
    """One batch and one call of everything the server runs (all of it already prepared)."""
    core = Core(maxclients=4, queue_size=64, args_size=256, scratch_size=4096, seed=1)
    slot = core.open()
    core.feed(slot, WARM_INPUT)
    again = core.run([slot])
    while again:
        again = core.run(again)
    bad = core.open()
    core.feed(bad, b"*1\r\n$x\r\n")
    core.run([bad])
    core.settings["slowlog-log-slower-than"] = "0"      # a traced batch (SLOWLOG, MONITOR)
    core.observe.configure()
    traced = core.open()
    core.feed(traced, b"GET k\r\n")
    core.run([traced])
    core.ks.tm[T_MAXMEM] = 1 << 60                       # evict_now (EXEC under maxmemory)
    evict.evict_now(core.ks.T, core.lim, 0)
    core.ks.tm[T_MAXMEM] = 0
    core.ks.start_rehash(core.ks.initial_logcap + 1)
    core.ks.idle_step()
    table.flush_db(core.ks.T, core.lim, 0)
    expire.clear_tx_stamps(core.ks.T)
    core.cron()
    querybuf.cron_trim(core.conn, np.array([slot], np.int64), np.ones(1, np.int64))


__all__ = ["warm_up", "start_up", "store"]
