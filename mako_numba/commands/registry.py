"""The command table: one row per command, as data.

Rules:
- This table is the only place a command is declared.  Its order gives the
  command indices the parser stores in the queue; arity drives the
  "wrong number of arguments" check (the kernels' for their commands, the
  slow path's for OP_SLOW ones, whose subcommands' arities come from the
  metadata); `op` says which kernel branch runs it (OP_SLOW: the Python
  slow path in admin.py).
- Arity follows Redis: n > 0 means exactly n arguments (the name included),
  -n means at least n.  tests/commands/test_commands.py checks every row against the
  metadata generated from a real Redis (mako_numba/data/redis_commands.json),
  which also supplies the exact bytes of COMMAND INFO and COMMAND DOCS.
- Commands of data types we do not implement are absent, so they get Redis's
  unknown-command error and COMMAND does not list them.
"""
import functools
import json
import os

import numpy as np

# kernel operations (dispatch.py dispatches on these)
OP_SLOW = 0
OP_GET = 1
OP_SET = 2
OP_PING = 3
OP_ECHO = 4
OP_QUIT = 5
OP_DEL = 6
OP_EXISTS = 7
OP_DBSIZE = 8
OP_SETNX = 9
OP_SETEX = 10
OP_PSETEX = 11
OP_GETSET = 12
OP_GETDEL = 13
OP_MGET = 14
OP_MSET = 15
OP_MSETNX = 16
OP_APPEND = 17
OP_STRLEN = 18
OP_INCR = 19
OP_DECR = 20
OP_INCRBY = 21
OP_DECRBY = 22
OP_GETRANGE = 23
OP_SETRANGE = 24
OP_EXPIRE = 25
OP_PEXPIRE = 26
OP_EXPIREAT = 27
OP_PEXPIREAT = 28
OP_TTL = 29
OP_PTTL = 30
OP_EXPIRETIME = 31
OP_PEXPIRETIME = 32
OP_PERSIST = 33
OP_TYPE = 34
OP_TOUCH = 35
OP_RENAME = 36
OP_RENAMENX = 37
OP_COPY = 38
OP_MOVE = 39
OP_KEYS = 40
OP_SCAN = 41
OP_RANDOMKEY = 42
OP_TIME = 43
OP_SWAPDB = 44
OP_GETEX = 45
OP_MULTI = 46
OP_SETBIT = 47
OP_GETBIT = 48
OP_BITCOUNT = 49

# flag bits
CF_WRITE = 1
CF_READONLY = 2
CF_FAST = 4
CF_ADMIN = 8
CF_NO_QUEUE = 16    # runs at once inside MULTI (Redis: exec, discard, multi, watch, quit, reset)
CF_KEY1 = 32        # argument 1 is a key (Redis's first_key 1): the batch prefetches it
CF_NO_MULTI = 64    # refused inside MULTI, and the transaction aborts (Redis's no-multi)
CF_NO_AUTH = 128    # runs before AUTH (Redis's no-auth: auth, hello, quit, reset); from the metadata
CF_DENYOOM = 256    # refused with -OOM when maxmemory is reached (Redis's denyoom)
CF_CONTAINER = 512  # has subcommands in the metadata (CONFIG, CLIENT ...): the slow path checks them

#        name           arity  op              flags
TABLE = [
    ("get",             2,     OP_GET,         CF_READONLY | CF_FAST),
    ("set",             -3,    OP_SET,         CF_WRITE),
    ("ping",            -1,    OP_PING,        CF_FAST),
    ("echo",            2,     OP_ECHO,        CF_FAST),
    ("quit",            -1,    OP_QUIT,        CF_FAST | CF_NO_QUEUE),
    ("del",             -2,    OP_DEL,         CF_WRITE),
    ("exists",          -2,    OP_EXISTS,      CF_READONLY | CF_FAST),
    ("dbsize",          1,     OP_DBSIZE,      CF_READONLY | CF_FAST),
    ("setnx",           3,     OP_SETNX,       CF_WRITE | CF_FAST),
    ("setex",           4,     OP_SETEX,       CF_WRITE),
    ("psetex",          4,     OP_PSETEX,      CF_WRITE),
    ("getset",          3,     OP_GETSET,      CF_WRITE | CF_FAST),
    ("getdel",          2,     OP_GETDEL,      CF_WRITE | CF_FAST),
    ("getex",           -2,    OP_GETEX,       CF_WRITE | CF_FAST),
    ("mget",            -2,    OP_MGET,        CF_READONLY | CF_FAST),
    ("mset",            -3,    OP_MSET,        CF_WRITE),
    ("msetnx",          -3,    OP_MSETNX,      CF_WRITE),
    ("append",          3,     OP_APPEND,      CF_WRITE),
    ("strlen",          2,     OP_STRLEN,      CF_READONLY | CF_FAST),
    ("incr",            2,     OP_INCR,        CF_WRITE | CF_FAST),
    ("decr",            2,     OP_DECR,        CF_WRITE | CF_FAST),
    ("incrby",          3,     OP_INCRBY,      CF_WRITE | CF_FAST),
    ("decrby",          3,     OP_DECRBY,      CF_WRITE | CF_FAST),
    ("getrange",        4,     OP_GETRANGE,    CF_READONLY),
    ("substr",          4,     OP_GETRANGE,    CF_READONLY),
    ("setrange",        4,     OP_SETRANGE,    CF_WRITE),
    ("expire",          -3,    OP_EXPIRE,      CF_WRITE | CF_FAST),
    ("pexpire",         -3,    OP_PEXPIRE,     CF_WRITE | CF_FAST),
    ("expireat",        -3,    OP_EXPIREAT,    CF_WRITE | CF_FAST),
    ("pexpireat",       -3,    OP_PEXPIREAT,   CF_WRITE | CF_FAST),
    ("ttl",             2,     OP_TTL,         CF_READONLY | CF_FAST),
    ("pttl",            2,     OP_PTTL,        CF_READONLY | CF_FAST),
    ("expiretime",      2,     OP_EXPIRETIME,  CF_READONLY | CF_FAST),
    ("pexpiretime",     2,     OP_PEXPIRETIME, CF_READONLY | CF_FAST),
    ("persist",         2,     OP_PERSIST,     CF_WRITE | CF_FAST),
    ("unlink",          -2,    OP_DEL,         CF_WRITE | CF_FAST),
    ("type",            2,     OP_TYPE,        CF_READONLY | CF_FAST),
    ("touch",           -2,    OP_TOUCH,       CF_READONLY | CF_FAST),
    ("rename",          3,     OP_RENAME,      CF_WRITE),
    ("renamenx",        3,     OP_RENAMENX,    CF_WRITE | CF_FAST),
    ("copy",            -3,    OP_COPY,        CF_WRITE),
    ("move",            3,     OP_MOVE,        CF_WRITE | CF_FAST),
    ("keys",            2,     OP_KEYS,        CF_READONLY),
    ("scan",            -2,    OP_SCAN,        CF_READONLY),
    ("randomkey",       1,     OP_RANDOMKEY,   CF_READONLY),
    ("time",            1,     OP_TIME,        CF_FAST),
    ("swapdb",          3,     OP_SWAPDB,      CF_WRITE | CF_FAST),
    ("object",          -2,    OP_SLOW,        0),
    ("memory",          -2,    OP_SLOW,        0),
    ("debug",           -2,    OP_SLOW,        CF_ADMIN),
    ("flushdb",         -1,    OP_SLOW,        CF_WRITE),
    ("flushall",        -1,    OP_SLOW,        CF_WRITE),
    ("select",          2,     OP_SLOW,        CF_FAST),
    ("hello",           -1,    OP_SLOW,        CF_FAST),
    ("command",         -1,    OP_SLOW,        0),
    ("config",          -2,    OP_SLOW,        CF_ADMIN),
    ("client",          -2,    OP_SLOW,        0),
    ("info",            -1,    OP_SLOW,        0),
    ("reset",           1,     OP_SLOW,        CF_FAST | CF_NO_QUEUE),
    ("setbit",          4,     OP_SETBIT,      CF_WRITE),
    ("getbit",          3,     OP_GETBIT,      CF_READONLY | CF_FAST),
    ("bitcount",        -2,    OP_BITCOUNT,    CF_READONLY),
    ("incrbyfloat",     3,     OP_SLOW,        CF_WRITE | CF_FAST),
    ("lcs",             -3,    OP_SLOW,        CF_READONLY),
    ("multi",           1,     OP_MULTI,       CF_FAST | CF_NO_QUEUE),
    ("exec",            1,     OP_SLOW,        CF_NO_QUEUE),
    ("discard",         1,     OP_SLOW,        CF_FAST | CF_NO_QUEUE),
    ("watch",           -2,    OP_SLOW,        CF_FAST | CF_NO_QUEUE),
    ("unwatch",         1,     OP_SLOW,        CF_FAST),
    ("save",            1,     OP_SLOW,        CF_ADMIN | CF_NO_MULTI),
    ("bgsave",          -1,    OP_SLOW,        CF_ADMIN),
    ("lastsave",        1,     OP_SLOW,        CF_FAST),
    ("shutdown",        -1,    OP_SLOW,        CF_ADMIN | CF_NO_MULTI),
    ("bgrewriteaof",    1,     OP_SLOW,        CF_ADMIN),
    ("slowlog",         -2,    OP_SLOW,        0),
    ("latency",         -2,    OP_SLOW,        0),
    ("monitor",         1,     OP_SLOW,        CF_ADMIN),
    ("auth",            -2,    OP_SLOW,        CF_FAST),
]

NAMES = [row[0] for row in TABLE]
INDEX = {name: i for i, name in enumerate(NAMES)}
NCOMMANDS = len(TABLE)
HASH_SIZE = 1024          # open-addressing table for name lookup in kernels


def name_hash(lower_name: bytes) -> int:
    """FNV-1a of a lower-case name, as the parser computes it."""
    h = 0xCBF29CE484222325
    for b in lower_name:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def kernel_tables(renames=None):
    """The table as the arrays the parser and executor receive (a tuple).

    names/noff/nlen hold each command's own name (error replies print it);
    htab maps a name hash to `ci | entry << HTAB_SHIFT`, where entry is the
    names/noff/nlen row the parser compares with.  `renames` (redis.conf's
    rename-command, {name: new name}) appends rows for the new names, so the
    parser knows a renamed command by its new name only; a new name "" leaves
    it unreachable.  The command keeps its index (statistics, handlers) and
    its own name in replies, as Redis's does.
    """
    renames = renames or {}
    wire = list(NAMES) + [renames[n] for n in NAMES if renames.get(n, n) not in ("", n)]
    blob = b"".join(n.encode() for n in wire)
    noff = np.zeros(len(wire), np.int64)
    nlen = np.zeros(len(wire), np.int64)
    pos = 0
    for i, n in enumerate(wire):
        noff[i], nlen[i] = pos, len(n)
        pos += len(n)
    arity = np.array([r[1] for r in TABLE], np.int64)
    op = np.array([r[2] for r in TABLE], np.int64)
    flags = np.array([r[3] for r in TABLE], np.int64)
    meta = redis_metadata()["commands"]
    for i, n in enumerate(NAMES):
        if n in containers():
            flags[i] |= CF_CONTAINER
        if meta.get(n, {}).get("first_key") == 1:
            flags[i] |= CF_KEY1
        if "no_auth" in meta.get(n, {}).get("flags", ()):
            flags[i] |= CF_NO_AUTH
        if "denyoom" in meta.get(n, {}).get("flags", ()):
            flags[i] |= CF_DENYOOM
    htab = np.full(HASH_SIZE, -1, np.int64)
    extra = NCOMMANDS
    for i, n in enumerate(NAMES):
        w = renames.get(n, n)
        if not w:
            continue
        entry = i
        if w != n:
            entry = extra
            extra += 1
        p = name_hash(w.encode()) & (HASH_SIZE - 1)
        while htab[p] >= 0:
            p = (p + 1) & (HASH_SIZE - 1)
        htab[p] = i | (entry << HTAB_SHIFT)
    names = np.frombuffer(blob, np.uint8).copy()
    return names, noff, nlen, arity, op, flags, htab


HTAB_SHIFT = 16


@functools.lru_cache(maxsize=1)
def redis_metadata():
    """The metadata generated from a real Redis (COMMAND INFO/DOCS/HELP bytes)."""
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "redis_commands.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@functools.lru_cache(maxsize=1)
def containers():
    """The commands of ours that Redis gives subcommands (`name|sub` rows in the metadata)."""
    return frozenset(n.split("|")[0] for n in redis_metadata()["commands"] if "|" in n) & set(NAMES)
