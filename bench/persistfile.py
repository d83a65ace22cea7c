"""`python -m bench persistence --case file|hashes`: one RDB file loaded by both servers, then saved.

redis-server writes the file: N keys `key:%d` set by a Lua script (GEN_SCRIPT)
in batches of GEN_BATCH, values of 3 to 10 bytes ("vvv" ...), every third an
integer (stored INT-encoded), every 101st a 40-odd-byte string (LZF), every
fifth with an expiry a day ahead; then SAVE.  With `--case hashes`, N hashes
`hash:%d` of 10 fields each instead (GEN_HASHES: short strings and integers,
a listpack each, saved as RDB_TYPE_HASH_LISTPACK).  Each server in turn (mako
first), alone on the machine, is started on its own copy of that file:
- load: the "DB loaded from disk: X seconds" line both servers log (the
  load itself: mako's kernel warm-up comes before it), and launch to first
  PONG;
- SAVE: the command's round trip, the file written in the foreground;
- BGSAVE on a quiet server: from sending it until INFO says it ended
  (both servers reap their child in a 10 Hz cron), and the child's own
  writing time from its log lines (persistence.child_seconds).
Printed: a table with both servers and the ratio mako/redis per figure.
Written: OUT/persistence-file-YYYYMMDD-HHMMSS-N.csv.
"""
import os
import shutil
import tempfile
import time

from . import machine
from .persistence import LOADED_RE, SAVE_TIMEOUT, _fmt, bgsave, rows_of, show_and_save, start_on
from .servers import command, info_fields, start_redis

GEN_BATCH = 1_000_000       # keys per EVAL while redis-server writes the file
GEN_SCRIPT = """
local n, first = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = first, first + n - 1 do
  local v
  if i % 3 == 0 then v = tostring(i % 100000)
  elseif i % 101 == 0 then v = string.rep('abcd', 10) .. tostring(i)
  else v = string.rep('v', 3 + i % 8) end
  if i % 5 == 0 then redis.call('SET', 'key:' .. i, v, 'PX', 86400000 + i % 1000)
  else redis.call('SET', 'key:' .. i, v) end
end
return n
"""
GEN_HASHES = """
local n, first = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = first, first + n - 1 do
  redis.call('HSET', 'hash:' .. i, 'name', 'user' .. i, 'age', tostring(i % 90),
             'city', 'city' .. (i % 1000), 'score', tostring(i * 7 % 100000),
             'email', 'user' .. i .. '@example.com', 'plan', 'free', 'visits', tostring(i),
             'tag', 'abcdefgh', 'flag', 'x', 'delta', tostring(-(i % 5000)))
end
return n
"""

# (name, unit, what), in print order
FIGURES = [
    ("keys", "", "keys in the file"),
    ("rdb_mb", "MiB", "RDB file size (written by redis-server)"),
    ("load_log_sec", "s", "load at start (DB loaded from disk)"),
    ("start_file_sec", "s", "launch to first PONG, with the file"),
    ("save_sec", "s", "SAVE"),
    ("bgsave_sec", "s", "BGSAVE to its end seen in INFO, quiet"),
    ("child_sec", "s", "BGSAVE child writing (log), quiet"),
]


def make_file(n, data, script=GEN_SCRIPT):
    """Have redis-server write n keys to data/dump.rdb (by `script`); returns its path."""
    with start_redis(extra=("--dir", data)) as server:
        for first in range(0, n, GEN_BATCH):
            reply = command(server, "EVAL", script, "0", str(min(GEN_BATCH, n - first)),
                            str(first), timeout=SAVE_TIMEOUT)
            if not reply.startswith(b":"):
                raise RuntimeError(f"redis-server: EVAL answered {reply[:200]!r}")
        if command(server, "SAVE", timeout=SAVE_TIMEOUT) != b"+OK\r\n":
            raise RuntimeError("redis-server: SAVE failed")
    return os.path.join(data, "dump.rdb")


def measure(name, n, path):
    """Start one server on a copy of the file, save it twice; its figures."""
    data = tempfile.mkdtemp(prefix=f"bench-{name}-file-")
    try:
        shutil.copyfile(path, os.path.join(data, "dump.rdb"))
        server, start_sec = start_on(name, data)
        with server:
            log = server.log()
            m = LOADED_RE.search(log)
            keys = int(info_fields(server, "keyspace").get("db0", "keys=0").split(",")[0][5:])
            if not m or keys != n:
                raise RuntimeError(f"{name} did not load the file ({keys} keys):\n{log[-2000:]}")
            res = {"keys": n, "rdb_mb": os.path.getsize(path) / 2**20,
                   "load_log_sec": float(m.group(1)), "start_file_sec": start_sec}
            t0 = time.perf_counter()
            reply = command(server, "SAVE", timeout=SAVE_TIMEOUT)
            res["save_sec"] = time.perf_counter() - t0
            if reply != b"+OK\r\n":
                raise RuntimeError(f"{name}: SAVE answered {reply!r}")
            quiet = bgsave(server, n, writing=False)
            res["bgsave_sec"], res["child_sec"] = quiet["bgsave_sec"], quiet["child_sec"]
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(f"  {name}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in res.items()), flush=True)
    return res


def run(n, out_dir, hashes=False):
    warn = machine.load_warning()
    if warn:
        print(warn, flush=True)
    gen = tempfile.mkdtemp(prefix="bench-rdbfile-")
    try:
        print(f"redis-server writes {n:,} {'hashes' if hashes else 'keys'} ...", flush=True)
        path = make_file(n, gen, GEN_HASHES if hashes else GEN_SCRIPT)
        results = {name: measure(name, n, path) for name in ("mako", "redis")}
    finally:
        shutil.rmtree(gen, ignore_errors=True)
    show_and_save(rows_of(results, FIGURES), out_dir,
                  "persistence-hashes-" if hashes else "persistence-file-", n)
    return 0
