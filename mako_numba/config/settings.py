"""Every tunable, limit and compile flag of mako_numba, in one place.

Rules:
- Nothing else in the package hard-codes a size, a limit or a Numba flag: it
  imports it from here.  Kernels receive limits as arguments (through the
  `limits` array built by `limits_array`), never as mutable globals, so one
  compiled kernel serves every configuration and the on-disk cache stays valid.
- Names follow redis.conf where Redis has the same knob
  (`proto-max-bulk-len` -> PROTO_MAX_BULK_LEN).
"""
import os

import numpy as np

# --- what we are -------------------------------------------------------------
VERSION = "0.1.0"
REDIS_VERSION = "7.0.15"          # the Redis whose behaviour we match (INFO redis_version)

# --- network defaults (redis-server names) -----------------------------------
DEFAULT_BIND = "127.0.0.1"
DEFAULT_PORT = 6380
DEFAULT_DATABASES = 16
DEFAULT_MAXCLIENTS = 10000
LISTEN_BACKLOG = 511              # Redis's tcp-backlog

# --- protocol limits (Redis 7 defaults) --------------------------------------
PROTO_MAX_BULK_LEN = 512 * 1024 * 1024     # proto-max-bulk-len
PROTO_INLINE_MAX_SIZE = 64 * 1024          # inline request / header line limit
CLIENT_QUERY_BUFFER_LIMIT = 1024 * 1024 * 1024   # client-query-buffer-limit
MAX_MULTIBULK_LEN = 2**31 - 1              # Redis 7: ll > INT_MAX is invalid

# --- per-connection buffers ---------------------------------------------------
IN_BUF_SIZE = 16 * 1024           # PROTO_IOBUF_LEN: first input buffer
OUT_BUF_SIZE = 16 * 1024          # PROTO_REPLY_CHUNK_BYTES: first output buffer
IN_BUF_READ_GROWTH = 4            # a read that fills the input buffer doubles it, up to this
                                  # many times the first size (kept while the client is busy;
                                  # more would be shrunk back as soon as it is empty)
OUT_BATCH_SOFT_LIMIT = 8 * 1024 * 1024   # stop executing a client's requests once
                                  # this much reply is pending; the rest waits
READ_PAUSE_OUTPUT = 8 * 1024 * 1024      # stop reading a client whose unsent
                                  # replies exceed this (it is not reading)

# --- request queue per batch ---------------------------------------------------
QUEUE_SIZE = 16 * 1024            # requests per batch
ARGS_SIZE = 64 * 1024             # arguments per batch (grows for huge commands)
SCRATCH_SIZE = 1024 * 1024        # decoded inline/seed arguments per batch

# --- hash table and arena ------------------------------------------------------
TABLE_INITIAL_LOGCAP = 12         # 4096 slots to start
TABLE_GROW_LOAD = 0.7             # start an incremental rehash above this fill
TABLE_TARGET_LOAD = 0.4           # a new index is sized to hold the keys at this fill
TABLE_HARD_LOAD = 0.85            # never fill the index beyond this
TABLE_SHRINK_LOAD = 1.0 / 16      # shrink when live keys fall below this
TABLE_GROW_PPM = round(TABLE_GROW_LOAD * 1_000_000)       # the same two, for the kernels
TABLE_SHRINK_PPM = round(TABLE_SHRINK_LOAD * 1_000_000)
REHASH_STEPS_PER_WRITE = 8        # old slots moved per insert while rehashing
REHASH_STEPS_PER_BATCH = 4096     # old slots moved per loop turn while rehashing
REHASH_STEPS_IDLE = 65536         # old slots moved per idle tick
CHUNK_SIZE = 64 * 1024 * 1024     # arena chunk (virtual; pages are touched lazily)
LARGE_BLOCK = 1024 * 1024         # blocks above this get a chunk of their own

# --- collections' compact encodings (Redis 7.0's defaults) ------------------------
HASH_MAX_LISTPACK_ENTRIES = 512              # the default compiled in (redis.conf says 128)
HASH_MAX_LISTPACK_VALUE = 64
SET_MAX_INTSET_ENTRIES = 512
ZSET_MAX_LISTPACK_ENTRIES = 128
ZSET_MAX_LISTPACK_VALUE = 64
LIST_MAX_LISTPACK_SIZE = -2                  # a quicklist node of at most 8 KB (the RDB file's nodes)
LIST_COMPRESS_DEPTH = 0                      # accepted and shown; lists are never compressed

# --- expiry ---------------------------------------------------------------------
ACTIVE_EXPIRE_SLOTS = 65536       # index slots the background sweep visits per cron tick

# --- event loop -----------------------------------------------------------------
IDLE_TICK = 0.1                   # seconds the loop sleeps with nothing to do
TURNS_PER_CALL = 8                # turns one call of the turn kernel may run back to back
                                  # (server/netio.py serve_turn; Python's own work waits that long)
CRON_HZ = 10                      # housekeeping per second (Redis's hz)


CACHE_KEEP_DAYS = 30              # kernel caches of other source versions live this long


def cache_dir_base():
    """Where compiled kernels are cached: a user directory, never the package.

    The package may be installed read-only, so the cache always lives in a
    user-writable place: $MAKO_NUMBA_CACHE_DIR, else $XDG_CACHE_HOME/mako_numba,
    else ~/.cache/mako_numba.
    """
    explicit = os.environ.get("MAKO_NUMBA_CACHE_DIR")
    if explicit:
        return explicit
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(xdg, "mako_numba")


# The batch's prefetch distances, in queue rows (engine.exec_rows): while row k
# runs, row k+SLOT's index slot and row k+RECORD's record are being loaded.
# Tuned with bench/ over a million keys at pipeline 16 and 64 (runtime
# values: MAKO_PREFETCH_SLOT_AHEAD / MAKO_PREFETCH_RECORD_AHEAD override them).
PREFETCH_SLOT_AHEAD = int(os.environ.get("MAKO_PREFETCH_SLOT_AHEAD", 12))
PREFETCH_RECORD_AHEAD = int(os.environ.get("MAKO_PREFETCH_RECORD_AHEAD", 6))


# Indices into the int64 `limits` array handed to kernels.
L_MAX_BULK = 0
L_INLINE_MAX = 1
L_QUERY_LIMIT = 2
L_MAX_MULTIBULK = 3
L_OUT_SOFT = 4
L_REHASH_PER_WRITE = 5
L_LARGE_BLOCK = 6
L_CHUNK_SIZE = 7
L_HARD_LOAD_PPM = 8               # TABLE_HARD_LOAD in parts per million
L_REHASH_PER_BATCH = 9
L_IN_DEFAULT = 10                 # first input / output buffer sizes
L_OUT_DEFAULT = 11
L_PREFETCH_SLOT = 12              # rows ahead whose key's index slot the batch loads
L_PREFETCH_RECORD = 13            # rows ahead whose record it loads (fewer: needs the slot)
L_NS_MULT = 14                    # latency-tracking: cycles -> ns factor (latency.py), 0: off
L_TRACE_NS = 15                   # a run at least this long is traced (slowlog, latency
                                  # monitor): M_TRACE; -1: none
L_MONITOR = 16                    # 1: MONITOR clients attached, every run row is traced
L_LATENCY = 17                    # latency-tracking yes: run times go to the histograms
L_HASH_LP_ENTRIES = 18           # hash-max-listpack-entries: a hash above this is a table
L_HASH_LP_VALUE = 19             # hash-max-listpack-value: ... or with a longer field or value
L_SET_INTSET = 20                # set-max-intset-entries: an integer set above this is a table
L_ZSET_LP_ENTRIES = 21           # zset-max-listpack-entries: a sorted set above this is a skiplist
L_ZSET_LP_VALUE = 22             # zset-max-listpack-value: ... or with a longer member
L_NFIELDS = 24

SLOWLOG_LOG_SLOWER_THAN = 10000   # us; Redis's defaults
SLOWLOG_MAX_LEN = 128
LATENCY_PERCENTILES = "50 99 99.9"


def limits_array(**overrides):
    """The limits as the int64 array kernels read; overrides use lower-case names."""
    lim = np.zeros(L_NFIELDS, np.int64)
    lim[L_MAX_BULK] = overrides.get("proto_max_bulk_len", PROTO_MAX_BULK_LEN)
    lim[L_INLINE_MAX] = overrides.get("inline_max_size", PROTO_INLINE_MAX_SIZE)
    lim[L_QUERY_LIMIT] = overrides.get("client_query_buffer_limit", CLIENT_QUERY_BUFFER_LIMIT)
    lim[L_MAX_MULTIBULK] = overrides.get("max_multibulk_len", MAX_MULTIBULK_LEN)
    lim[L_OUT_SOFT] = overrides.get("out_batch_soft_limit", OUT_BATCH_SOFT_LIMIT)
    lim[L_REHASH_PER_WRITE] = overrides.get("rehash_steps_per_write", REHASH_STEPS_PER_WRITE)
    lim[L_LARGE_BLOCK] = overrides.get("large_block", LARGE_BLOCK)
    lim[L_CHUNK_SIZE] = overrides.get("chunk_size", CHUNK_SIZE)
    lim[L_HARD_LOAD_PPM] = int(overrides.get("table_hard_load", TABLE_HARD_LOAD) * 1_000_000)
    lim[L_REHASH_PER_BATCH] = overrides.get("rehash_steps_per_batch", REHASH_STEPS_PER_BATCH)
    lim[L_IN_DEFAULT] = overrides.get("in_buf", IN_BUF_SIZE)
    lim[L_PREFETCH_SLOT] = overrides.get("prefetch_slot_ahead", PREFETCH_SLOT_AHEAD)
    lim[L_PREFETCH_RECORD] = overrides.get("prefetch_record_ahead", PREFETCH_RECORD_AHEAD)
    lim[L_OUT_DEFAULT] = overrides.get("out_buf", OUT_BUF_SIZE)
    lim[L_TRACE_NS] = -1
    lim[L_HASH_LP_ENTRIES] = overrides.get("hash_max_listpack_entries", HASH_MAX_LISTPACK_ENTRIES)
    lim[L_HASH_LP_VALUE] = overrides.get("hash_max_listpack_value", HASH_MAX_LISTPACK_VALUE)
    lim[L_SET_INTSET] = overrides.get("set_max_intset_entries", SET_MAX_INTSET_ENTRIES)
    lim[L_ZSET_LP_ENTRIES] = overrides.get("zset_max_listpack_entries", ZSET_MAX_LISTPACK_ENTRIES)
    lim[L_ZSET_LP_VALUE] = overrides.get("zset_max_listpack_value", ZSET_MAX_LISTPACK_VALUE)
    return lim
