"""mako_numba: a Redis-compatible key-value server whose hot path is compiled with Numba.

Layout (one concept per module; see docs/architecture.md):
  config    every tunable and limit          errors    Redis's error strings, verbatim
  commands  the command table, as data       layout    field numbers of the shared arrays
  jit       the kernel decorator and cache   siphash   the keyed hash
  protocol  RESP / inline / seed parser      replies   reply writers
  inline    inline and seed requests         parsebase what the parsers share
  table     the hash index and key operations  store   Python owner of the table's memory
  index     slots, hashing, probes, rehash   expire    active expiry, the TTL-keeping write
  arena     size-classed blocks in chunks
  engine    the batch executor               core      sans-IO driver of one batch
  dispatch  per-request checks and handlers
  respond   check-then-reply helpers         strings   string commands (t_string.c)
  strrange  APPEND, STRLEN, GETRANGE, SETRANGE
  keys      key and expiry commands          scan      KEYS, SCAN, RANDOMKEY, glob
  admin     slow-path dispatch and commands  stats     INFO
  memstats  used_memory, RSS                 cmdstats  INFO's command, error, batch counters
  clientcmds, configcmds, inspectcmds        the slow path's CLIENT, CONFIG, OBJECT/MEMORY/DEBUG
  commandcmds, authcmds                      COMMAND; AUTH, requirepass, protected mode
  slowpath  what the slow-path modules share
  resp      RESP encoding for the slow path  glob      Redis glob matching (Python)
  server    the selectors event loop         warmup    compile before serving
  netlimits idle timeout, TCP keepalive, output buffer limits (the event loop's)
  rdb, rdbscan, lzf, crc64                   Redis's RDB file format (sans-IO codec, kernels)
  snapshot  key-space walk and fill (kernels) persist  SAVE/BGSAVE/load, save points
  rdbdump   RDB records encoded by a kernel
  persistcmds                                SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF, SHUTDOWN
  forkchild a forked child: timed, its copy-on-write reported
  effects, propagation  the stream of effects (kernels; its Python owner and consumers)
  propagate the forms commands propagate in    aof, aofrewrite  the append-only file, a consumer
  latency   per-command latency histograms (HdrHistogram layout)
  observe   SLOWLOG, LATENCY, MONITOR        humanize  numbers for people (bytesToHuman)
  dashboard/  the live dashboard (top, --dashboard): polls INFO, draws with rich
"""
from mako_numba.config.settings import REDIS_VERSION, VERSION

__version__ = VERSION
__all__ = ["VERSION", "REDIS_VERSION", "__version__"]
