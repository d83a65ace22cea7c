"""mako_numba: a Redis-compatible key-value server whose hot path is compiled with Numba.

Layout (one subpackage per concern; imports go down this list, which
tests/test_layers.py checks; docs/architecture.md has the details):
  config       settings.py (every constant and limit), params.py (the server parameters)
  base         Numba set-up and linking, array layouts by owner, SipHash, CRC-64, LZF, glob
  protocol     the sans-IO parser (RESP, inline, seed lines), reply writers, error texts
  store        arena, index, table, types/ (typed records), expiry, eviction, WATCH,
               keyspace.py (the memory's Python owner), the propagation stream
  observe      INFO sections, memory, command statistics, latency, SLOWLOG, MONITOR
  commands     registry, dispatch, the slow path, and a subpackage per family: string,
               bitops, keys, connection, transactions, server, persistence
  engine       the batch kernel (batch.py), the sans-IO Core (core.py), warm-up
  persistence  RDB codec and snapshots, fork, the AOF (a consumer of the stream), reload
  server       the selectors event loop, listening sockets, maxclients, network limits
  dashboard    the live dashboard (top, --dashboard): polls INFO, draws with rich
"""
from mako_numba.config.settings import REDIS_VERSION, VERSION

__version__ = VERSION
__all__ = ["VERSION", "REDIS_VERSION", "__version__"]
