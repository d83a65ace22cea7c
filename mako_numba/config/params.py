"""The server's parameters, once each: name, type, default, bounds, mutability, how it applies.

One row per parameter, as redis.conf names it.  The rows drive the command
line (__main__.py builds its options from them), CONFIG GET and CONFIG SET
(commands/server/config.py) and the INFO fields that echo a setting.

Rules:
- `kind` is Redis's config type: int, memory, bool (yes/no), enum, string,
  or special (a `check` of its own).  `check(text)` gives None or Redis's
  reason text; `shown(text)` is the value CONFIG GET shows afterwards.
- `default` is Redis 7.0's unless we differ on purpose (`ours` says why);
  `embedded` is the value a Core started without a command line uses.
- `mutable` False: CONFIG SET answers `refuse` (Redis's "can't set
  immutable config" or "can't set protected config").
- `apply` names the owner's hook that makes the server follow a change
  (commands/server/config.py runs the hooks, in a fixed order); None: the
  owner reads the setting where it uses it.  `value` reads a parameter whose
  value lives outside core.settings (the key space, the limits array).
- `cli` False: not a command-line option (set by other means).
Values are kept as latin-1 text of their bytes, as CONFIG SET receives them.
"""
from dataclasses import dataclass, field

from mako_numba.base.cnum import c_int, memtoull, string2d, string2ll, strtoll
from mako_numba.config import settings as config

INT_MAX = 2**31 - 1
INT_MIN = -2**31
LLONG_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: str                           # int, memory, bool, enum, string, special
    default: str
    lo: int = None
    hi: int = None
    choices: tuple = ()
    mutable: bool = True
    refuse: str = None                  # CONFIG SET's reason when not mutable
    hidden: bool = False                # CONFIG GET * does not list it (testing knobs)
    apply: str = None                   # the owner's hook (config.py's APPLY_ORDER)
    special: object = None              # kind special: check(text) -> None or reason
    show: object = None                 # kind special: text -> the value CONFIG GET shows
    value: object = None                # core -> the current value, when not in core.settings
    embedded: str = None                # a Core's value without a command line (else default)
    aliases: tuple = ()
    cli: bool = True
    ours: str = ""                      # why our default is not Redis's
    help: str = field(default="", compare=False)

    def check(self, text):
        """None if `text` is a valid value, else Redis's reason (CONFIG SET's error)."""
        if self.kind == "int":
            n = string2ll(text.encode("latin-1"))
            if n is None:
                return "argument couldn't be parsed into an integer"
            return self._bounds(n)
        if self.kind == "memory":
            n = memtoull(text)
            if n is None:
                return "argument must be a memory value"
            if self.hi < 2**64 - 1 and n >= 1 << 63:        # a signed C type
                n -= 1 << 64
            return self._bounds(n)
        if self.kind == "bool":
            return None if text.lower() in ("yes", "no") else "argument must be 'yes' or 'no'"
        if self.kind == "enum":
            if text.lower() not in self.choices:
                return "argument(s) must be one of the following: " + ", ".join(self.choices)
            return None
        if self.kind == "special":
            return self.special(text)
        return None

    def _bounds(self, n):
        if not self.lo <= n <= self.hi:
            return f"argument must be between {self.lo} and {self.hi} inclusive"
        return None

    def shown(self, text):
        """A checked value as CONFIG GET shows it."""
        if self.kind in ("bool", "enum"):
            return text.lower()
        if self.kind == "memory":
            return str(memtoull(text))
        if self.kind == "int":
            return str(string2ll(text.encode("latin-1")))
        if self.show is not None:
            return self.show(text)
        return text

    def current(self, core):
        """The value CONFIG GET shows now."""
        if self.value is not None:
            return self.value(core)
        return core.settings.get(self.name, self.start_value())

    def start_value(self):
        return self.default if self.embedded is None else self.embedded


# --- the special parameters' checks (Redis's config.c set functions) -----------------------
def client_memory(v):
    """maxmemory-clients, a ssize_t MEMORY_CONFIG | PERCENT_CONFIG: bytes, -percent, or the error."""
    from mako_numba.protocol import errors
    n = memtoull(v)
    if n is not None:
        n = n - (1 << 64) if n >= 1 << 63 else n
    else:
        b = v.encode("latin-1")
        n = string2ll(b[:-1]) if len(b) > 1 and b.endswith(b"%") else None
        if n is None or n < 0:
            return errors.MEMORY_OR_PERCENT
        n = -n
    return errors.PERCENT_ABOVE_100 if n < -100 else n


def _client_memory_check(v):
    n = client_memory(v)
    return n if isinstance(n, str) else None


def _client_memory_shown(v):             # numericConfigGet: a percentage as "N%"
    n = client_memory(v)
    return "%d%%" % -n if n < 0 else str(n)


def save_pairs(v):
    """setConfigSaveOption: [seconds, changes, ...] (strtoll each, split on single spaces) or None.

    Each part is read as the C string it is there (up to a NUL): a lone
    "\0" is the empty setting, and "10\0x" is 10.
    """
    parts = [p.split("\0", 1)[0] for p in v.split(" ")] if v else []
    if parts == [""]:
        parts = []
    if len(parts) % 2:
        return None
    out = []
    for j, p in enumerate(parts):
        n, rest = strtoll(p)
        if rest or n < (1 if j % 2 == 0 else 0):
            return None
        out.append(n if j % 2 == 0 else c_int(n))      # changes are a C int
    return out


def _save_check(v):
    return "Invalid save parameters" if save_pairs(v) is None else None


def _save_shown(v):
    return " ".join(str(n) for n in save_pairs(v))


def percentiles(v):
    """The percentiles (string2d each, split on single spaces), or Redis's error text."""
    out = []
    for p in (v.split(" ") if v else []):
        x = string2d(p)
        if x is None:
            return "Invalid latency-tracking-info-percentiles parameters"
        if not 0.0 <= x <= 100.0:
            return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
        out.append(x)
    return out


def _percentiles_check(v):
    problem = percentiles(v)
    return problem if isinstance(problem, str) else None


def _percentiles_shown(v):
    from mako_numba.observe.latency import percentile_name
    return " ".join(percentile_name(p) for p in percentiles(v))


def _bind_check(v):
    from mako_numba.server.listeners import bind_words
    words = bind_words(v)
    return words if isinstance(words, str) else None


def _obuf_check(v):
    from mako_numba.server.netlimits import parse_obuf
    problem = parse_obuf(v)
    return problem if isinstance(problem, str) else None


def _lim(field):
    return lambda core: str(int(core.lim[field]))


IMMUTABLE = "can't set immutable config"
PROTECTED = "can't set protected config"        # enable-protected-configs is "no"
POLICIES = ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
            "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")
OBUF_DEFAULT = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
REDIS_DEFAULT_SAVE = "3600 1 300 100 60 10000"

# In CONFIG GET *'s order.
PARAMS = [
    Param("bind", "special", config.DEFAULT_BIND, special=_bind_check, apply="listeners",
          ours="one loopback address", help="address to listen on"),
    Param("port", "int", str(config.DEFAULT_PORT), 0, 65535, apply="listeners",
          value=lambda core: str(core.settings.get("port", config.DEFAULT_PORT)),
          ours="beside a Redis on 6379", help="TCP port to listen on (0 picks a free one)"),
    Param("databases", "int", str(config.DEFAULT_DATABASES), 1, INT_MAX, mutable=False,
          refuse=IMMUTABLE, value=lambda core: str(core.ks.databases), help="number of databases"),
    Param("maxclients", "int", str(config.DEFAULT_MAXCLIENTS), 1, 2**32 - 1, apply="maxclients",
          value=lambda core: str(core.maxclients), help="most simultaneous clients"),
    Param("save", "special", REDIS_DEFAULT_SAVE, special=_save_check, show=_save_shown,
          embedded="", help='snapshot after SECONDS if at least CHANGES writes happened; pairs, '
          'repeatable; --save "" disables snapshots'),
    Param("appendonly", "bool", "no", apply="aof",
          help="log every write to the append-only file"),
    Param("appendfsync", "enum", "everysec", choices=("everysec", "always", "no"),
          help="fsync the append-only file after every batch, every second, or never"),
    Param("appendfilename", "string", "appendonly.aof", mutable=False, refuse=IMMUTABLE,
          help="base name of the append-only files"),
    Param("appenddirname", "string", "appendonlydir", mutable=False, refuse=IMMUTABLE,
          help="directory of the append-only files, inside --dir"),
    Param("auto-aof-rewrite-percentage", "int", "100", 0, INT_MAX,
          help="rewrite the AOF when it grew by this percentage"),
    Param("rdb-key-save-delay", "int", "0", -2**31, INT_MAX, hidden=True,
          help="microseconds to sleep per key saved (testing)"),
    Param("auto-aof-rewrite-min-size", "memory", str(64 << 20), 0, LLONG_MAX,
          help="smallest AOF an automatic rewrite considers"),
    Param("aof-use-rdb-preamble", "bool", "yes",
          help="write an AOF rewrite's base as an RDB file (no: as the commands that rebuild "
               "the data set)"),
    Param("dir", "string", ".", mutable=False, refuse=PROTECTED,
          help="directory of the RDB file"),
    Param("dbfilename", "string", "dump.rdb", mutable=False, refuse=PROTECTED,
          help="name of the RDB file"),
    Param("rdbcompression", "bool", "yes", help="LZF-compress long strings in snapshots"),
    Param("rdbchecksum", "bool", "yes", mutable=False, refuse=IMMUTABLE,
          help="end snapshots with a CRC-64 checksum"),
    Param("loglevel", "enum", "notice", choices=("debug", "verbose", "notice", "warning"),
          help="debug, verbose, notice, warning or nothing"),
    Param("timeout", "int", "0", 0, INT_MAX, help="close a client idle for more than N seconds (0: never)"),
    Param("tcp-keepalive", "int", "300", 0, INT_MAX,
          help="TCP keepalive probes after N idle seconds (0: off)"),
    Param("client-output-buffer-limit", "special", OBUF_DEFAULT, special=_obuf_check,
          help="close a client whose unsent replies pass HARD bytes, or SOFT for SECONDS "
               "('normal HARD SOFT SECONDS')"),
    Param("maxmemory", "memory", "0", 0, 2**64 - 1, apply="eviction",
          help="memory limit in bytes or with a unit (100mb, 1gb); 0: none"),
    Param("hz", "int", str(config.CRON_HZ), 0, INT_MAX, help="housekeeping per second"),
    Param("proto-max-bulk-len", "memory", str(config.PROTO_MAX_BULK_LEN), 1024 * 1024, LLONG_MAX,
          apply="limits", value=_lim(config.L_MAX_BULK),
          help="largest bulk string a client may send (at least 1mb)"),
    Param("hash-max-listpack-entries", "int", str(config.HASH_MAX_LISTPACK_ENTRIES), 0, LLONG_MAX,
          apply="limits", value=_lim(config.L_HASH_LP_ENTRIES),
          aliases=("hash-max-ziplist-entries",),
          help="a hash of more fields is a hashtable, not a listpack"),
    Param("hash-max-listpack-value", "memory", str(config.HASH_MAX_LISTPACK_VALUE), 0, LLONG_MAX,
          apply="limits", value=_lim(config.L_HASH_LP_VALUE),
          aliases=("hash-max-ziplist-value",),
          help="a hash with a longer field or value is a hashtable, not a listpack"),
    Param("set-max-intset-entries", "int", str(config.SET_MAX_INTSET_ENTRIES), 0, LLONG_MAX,
          apply="limits", value=_lim(config.L_SET_INTSET),
          help="a set of more integers is a hashtable, not an intset"),
    Param("zset-max-listpack-entries", "int", str(config.ZSET_MAX_LISTPACK_ENTRIES), 0, LLONG_MAX,
          apply="limits", value=_lim(config.L_ZSET_LP_ENTRIES),
          aliases=("zset-max-ziplist-entries",),
          help="a sorted set of more members is a skiplist, not a listpack"),
    Param("zset-max-listpack-value", "memory", str(config.ZSET_MAX_LISTPACK_VALUE), 0, LLONG_MAX,
          apply="limits", value=_lim(config.L_ZSET_LP_VALUE),
          aliases=("zset-max-ziplist-value",),
          help="a sorted set with a longer member is a skiplist, not a listpack"),
    Param("list-max-listpack-size", "int", str(config.LIST_MAX_LISTPACK_SIZE), INT_MIN, INT_MAX,
          aliases=("list-max-ziplist-size",),
          help="a list's quicklist nodes (as an RDB file holds them): at most N elements, or "
               "-1..-5: at most 4, 8, 16, 32, 64 KB"),
    Param("list-compress-depth", "int", str(config.LIST_COMPRESS_DEPTH), 0, INT_MAX,
          help="recorded only: lists are never compressed"),
    Param("client-query-buffer-limit", "memory", str(config.CLIENT_QUERY_BUFFER_LIMIT),
          1024 * 1024, LLONG_MAX, apply="limits", value=_lim(config.L_QUERY_LIMIT),
          help="largest unfinished argument of one client (at least 1mb)"),
    Param("tcp-backlog", "int", str(config.LISTEN_BACKLOG), 0, INT_MAX, mutable=False,
          refuse=IMMUTABLE, value=lambda core: str(config.LISTEN_BACKLOG), cli=False),
    Param("maxmemory-policy", "enum", "noeviction", choices=POLICIES, apply="eviction",
          help="what goes when maxmemory is reached (noeviction: writes fail)"),
    Param("maxmemory-samples", "int", "5", 1, INT_MAX, apply="eviction",
          help="keys sampled per eviction round"),
    Param("maxmemory-eviction-tenacity", "int", "10", 0, 100, apply="eviction",
          help="how long one command may spend evicting: 0-100 (10: 500 us)"),
    Param("lfu-log-factor", "int", "10", 0, INT_MAX, apply="eviction",
          help="LFU counter's logarithm factor"),
    Param("lfu-decay-time", "int", "1", 0, INT_MAX, apply="eviction",
          help="minutes for the LFU counter to decay by one (0: never)"),
    Param("maxmemory-clients", "special", "0", special=_client_memory_check,
          show=_client_memory_shown, help="recorded only: no client eviction"),
    Param("enable-debug-command", "enum", "local", choices=("no", "yes", "local"), mutable=False,
          refuse=IMMUTABLE, ours="DEBUG serves the tests",
          help="DEBUG from any client (yes), loopback only (local) or none"),
    Param("slowlog-log-slower-than", "int", str(config.SLOWLOG_LOG_SLOWER_THAN), -1, LLONG_MAX,
          apply="observe", help="log commands slower than N microseconds (-1: none)"),
    Param("slowlog-max-len", "int", str(config.SLOWLOG_MAX_LEN), 0, LLONG_MAX, apply="observe",
          help="entries the slow log keeps"),
    Param("latency-tracking", "bool", "yes", apply="observe",
          help="keep per-command latency histograms"),
    Param("latency-tracking-info-percentiles", "special", config.LATENCY_PERCENTILES,
          special=_percentiles_check, show=_percentiles_shown, apply="observe",
          help="the percentiles INFO latencystats shows"),
    Param("requirepass", "string", "", apply="auth",
          help="password of the default user: clients must AUTH before other commands"),
    Param("protected-mode", "bool", "yes",
          help="without a password, refuse clients that do not come from loopback"),
]

BY_NAME = {p.name: p for p in PARAMS}
for _p in PARAMS:
    for _alias in _p.aliases:
        BY_NAME[_alias] = _p


def default(name):
    """The value a Core uses for `name` when nothing set it."""
    return BY_NAME[name].start_value()


# The ones whose value lives in core.settings and that a Core starts with (bind, port and dir
# are the listener's and the snapshots' to fill in).
SETTINGS_DEFAULTS = {p.name: p.start_value() for p in PARAMS
                     if p.value is None and p.name not in ("bind", "dir")}
