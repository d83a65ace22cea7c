"""CONFIG GET/SET/RESETSTAT: the parameters the server has, as Redis names them.

A mixin of Admin.  CONFIG SET validates each value the way Redis's config.c
does (numbers through cnum.py) and answers with its error texts; only the
parameters in MUTABLE_PARAMS can be set, those in FIXED_PARAMS are refused
with Redis's reason (immutable, protected), any other name is unknown.
maxmemory-clients is validated and recorded only (no client eviction).
Values are kept as the latin-1 text of their bytes and sent back as those
bytes; the file names are kept as the file system's text.
"""
import os

from mako_numba.config import settings as config
from mako_numba.protocol import errors
from mako_numba.store import evict
from mako_numba.observe import latency
from mako_numba.protocol import resp
from mako_numba.server.netlimits import OBUF_DEFAULT, merge_obuf, parse_obuf
from mako_numba.base.glob import match
from mako_numba.commands.server.inspect import DEBUG_DEFAULT
from mako_numba.base.cnum import c_int, memtoull, string2d, string2ll, strtoll
from mako_numba.server.listeners import bind_words
from mako_numba.server.maxclients import adjust_open_files
from mako_numba.commands.slowpath import _cstr, _int_or_none, _lower


class ConfigCommands:
    # --- CONFIG ----------------------------------------------------------------------------
    def config(self, call):
        return self._subcommand(call, "config")

    def config_get(self, call):
        """CONFIG GET name-or-pattern ...: a name without [*? is looked up and answered as the
        client wrote it; a pattern answers the canonical names it matches (not hidden ones).
        A parameter is answered once (names compare case-insensitively, as C strings)."""
        found = {}
        params = config_params(self.core)
        for pat in call.args[2:]:
            if not any(ch in _cstr(pat) for ch in b"[*?"):
                name = _lower(pat)
                if name in params and _lower(_cstr(pat)) not in found:
                    found[_lower(_cstr(pat))] = (pat, params[name])
                continue
            for name, value in params.items():
                if name in HIDDEN_PARAMS or name in found:
                    continue
                if match(_cstr(pat), name.encode(), nocase=True):
                    found[name] = (name.encode(), value)
        return resp.map_([(resp.bulk(k), resp.bulk(_wire(k, v))) for k, v in found.values()],
                         call.proto)

    def config_set(self, call):
        """CONFIG SET name value [name value ...], as Redis 7.0's configSetCommand.

        Names are looked up first (unknown, immutable, protected, duplicate:
        the first problem is the answer, naming the argument as written),
        then every value is parsed (the first bad one is the answer, naming
        the parameter); only then is anything applied.  If applying fails
        (appendonly yes cannot start the AOF), every parameter gets its old
        value back and is applied again.
        """
        args = call.args
        if len(args) % 2:
            return resp.error(errors.SYNTAX)
        names = []
        unknown = bad = None
        for i in range(2, len(args), 2):
            name = _lower(args[i])
            if name not in MUTABLE_PARAMS and name not in FIXED_PARAMS:
                if bad is None and unknown is None:
                    unknown = args[i]
                continue
            if bad is not None or unknown is not None:
                continue
            if name in FIXED_PARAMS:
                bad = (args[i], FIXED_PARAMS[name])
            elif name in names:
                bad = (args[i], "duplicate parameter")
            names.append(name)
        if unknown is not None:
            return resp.error(errors.CONFIG_UNKNOWN_PARAM % _cstr(unknown).decode("latin-1"))
        if bad is not None:
            return resp.error(errors.CONFIG_SET_FAILED % (_cstr(bad[0]).decode("latin-1"), bad[1]))
        settings = self.core.settings
        updates = {}
        for name, i in zip(names, range(3, len(args), 2)):
            value = args[i].decode("latin-1")
            problem = MUTABLE_PARAMS[name](value)
            if problem:
                return resp.error(errors.CONFIG_SET_FAILED % (name, problem))
            if name == "client-output-buffer-limit":    # the classes not named keep their limits
                value = merge_obuf(settings.get(name), value)
            updates[name] = _normalise(name, value)
        old = {name: settings[name] for name in updates if name in settings}
        old_lim = self.core.lim.copy()
        settings.update(updates)
        failed = self._apply_config(updates)
        if failed:                          # Redis's restoreBackupConfig
            for name in updates:
                if name in old:
                    settings[name] = old[name]
                else:
                    settings.pop(name, None)
            self.core.lim[:] = old_lim
            self._apply_config(updates)
            return resp.error(errors.CONFIG_SET_FAILED % failed)
        return resp.simple("OK")

    def _apply_config(self, changed):
        """Make the server follow the settings just changed; (name, reason) if one cannot be."""
        core = self.core
        aof = core.aof
        failed = None
        on = core.settings.get("appendonly") == "yes"
        if "appendonly" in changed and on != (aof.fd >= 0):
            if on:
                try:
                    aof.start()             # a base written now (blocking), then the log
                except OSError:
                    failed = ("appendonly", errors.AOF_START_FAILED)
            else:
                aof.stop()
        core.observe.configure()
        if "requirepass" in changed:
            self.auth_refresh()             # who must AUTH now (authcmds.py)
        for name, field in (("proto-max-bulk-len", config.L_MAX_BULK),
                            ("client-query-buffer-limit", config.L_QUERY_LIMIT)):
            if name in changed and name in core.settings:   # the kernels read these from lim
                core.lim[field] = int(core.settings[name])
        evict.apply_settings(core)
        if "maxclients" in changed:         # updateMaxclients
            n = int(core.settings.get("maxclients", core.maxclients))
            allowed = adjust_open_files(n)
            if allowed != n:
                failed = failed or ("maxclients", errors.MAXCLIENTS_OS % c_int(allowed))
            else:
                core.maxclients = n
        moved = [name for name in changed if name in ("port", "bind")]
        if moved and core.relisten is not None and not core.relisten("bind" in changed):
            failed = failed or (moved[0], errors.LISTEN_PORT_FAILED if moved[0] == "port"
                                else errors.BIND_FAILED)
        return failed

    def config_rewrite(self, call):
        """There is never a config file to rewrite (options come from the command line)."""
        return resp.error(errors.NO_CONFIG_FILE)

    def config_resetstat(self, call):
        self.core.stats[:] = 0
        evict.reset_stats(self.core)
        self.core.observe.reset_stats()
        self.cmdstats.clear()
        self.errorstats.clear()
        return resp.simple("OK")


def _int_param(lo, hi):
    def int_check(v):
        n = _int_or_none(v.encode("latin-1"))
        if n is None:
            return "argument couldn't be parsed into an integer"
        if not lo <= n <= hi:
            return f"argument must be between {lo} and {hi} inclusive"
        return None
    return int_check


def _enum_param(*choices):
    def check(v):
        if v.lower() not in choices:
            return "argument(s) must be one of the following: " + ", ".join(choices)
        return None
    return check


def _memory_value(lo, hi, signed=False):
    """A memory parameter (memtoull, then the bounds of its C type)."""
    def check(v):
        n = memtoull(v)
        if n is None:
            return "argument must be a memory value"
        if signed and n >= 1 << 63:
            n -= 1 << 64
        if not lo <= n <= hi:
            return f"argument must be between {lo} and {hi} inclusive"
        return None
    return check


_memory_param = _memory_value(0, 2**64 - 1)                 # maxmemory: unsigned long long
buffer_size_param = _memory_value(1024 * 1024, 2**63 - 1, True)     # proto-max-bulk-len,
                                                            # client-query-buffer-limit: at least 1mb
_min_size_param = _memory_value(0, 2**63 - 1, True)         # auto-aof-rewrite-min-size: off_t


def _client_memory(v):
    """maxmemory-clients, a ssize_t MEMORY_CONFIG | PERCENT_CONFIG: bytes, -percent, or the error."""
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


def _client_memory_param(v):
    n = _client_memory(v)
    return n if isinstance(n, str) else None


def _save_pairs(v):
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


def _bind_param(v):
    words = bind_words(v)
    return words if isinstance(words, str) else None


def _save_param(v):
    return "Invalid save parameters" if _save_pairs(v) is None else None


def _obuf_param(v):
    problem = parse_obuf(v)
    return problem if isinstance(problem, str) else None


def _bool_param(v):
    if v.lower() not in ("yes", "no"):
        return "argument must be 'yes' or 'no'"
    return None


def _percentiles(v):
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


def _percentiles_param(v):
    problem = _percentiles(v)
    return problem if isinstance(problem, str) else None


def _normalise(name, value):
    """A checked value as CONFIG GET shows it."""
    if name == "latency-tracking-info-percentiles":
        return " ".join(latency.percentile_name(p) for p in _percentiles(value))
    if name == "save":
        return " ".join(str(n) for n in _save_pairs(value))
    if name in ("loglevel", "appendonly", "appendfsync", "rdbcompression",
                "latency-tracking", "protected-mode", "maxmemory-policy"):
        return value.lower()
    if name == "maxmemory-clients":             # numericConfigGet: a percentage as "N%"
        n = _client_memory(value)
        return "%d%%" % -n if n < 0 else str(n)
    if name in ("maxmemory", "auto-aof-rewrite-min-size", "proto-max-bulk-len",
                "client-query-buffer-limit"):
        return str(memtoull(value))
    if name in _INT_PARAMS:
        return str(_int_or_none(value))
    return value


HIDDEN_PARAMS = {"rdb-key-save-delay"}      # testing knobs CONFIG GET * does not list

# CONFIG SET: parameter -> validator returning None or Redis's reason text
MUTABLE_PARAMS = {
    "loglevel": _enum_param("debug", "verbose", "notice", "warning"),
    "timeout": _int_param(0, 2**31 - 1),
    "tcp-keepalive": _int_param(0, 2**31 - 1),
    "client-output-buffer-limit": _obuf_param,
    "hz": _int_param(0, 2**31 - 1),
    "maxmemory": _memory_param,
    "maxmemory-policy": _enum_param("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                                    "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
    "maxmemory-samples": _int_param(1, 2**31 - 1),
    "maxmemory-eviction-tenacity": _int_param(0, 100),
    "lfu-log-factor": _int_param(0, 2**31 - 1),
    "lfu-decay-time": _int_param(0, 2**31 - 1),
    "save": _save_param,
    "appendonly": _bool_param,
    "appendfsync": _enum_param("everysec", "always", "no"),
    "auto-aof-rewrite-percentage": _int_param(0, 2**31 - 1),
    "rdb-key-save-delay": _int_param(-2**31, 2**31 - 1),
    "auto-aof-rewrite-min-size": _min_size_param,
    "rdbcompression": _bool_param,
    "slowlog-log-slower-than": _int_param(-1, 2**63 - 1),
    "slowlog-max-len": _int_param(0, 2**63 - 1),
    "latency-tracking": _bool_param,
    "latency-tracking-info-percentiles": _percentiles_param,
    "requirepass": lambda v: None,
    "maxclients": _int_param(1, 2**32 - 1),
    "port": _int_param(0, 65535),
    "bind": _bind_param,
    "maxmemory-clients": _client_memory_param,
    "protected-mode": _bool_param,
    "proto-max-bulk-len": buffer_size_param,
    "client-query-buffer-limit": buffer_size_param,
}
_INT_PARAMS = {name for name, check in MUTABLE_PARAMS.items() if check.__name__ == "int_check"}

# Parameters CONFIG GET shows that CONFIG SET refuses, with Redis's reason (flags in config.c)
FIXED_PARAMS = {
    "databases": "can't set immutable config",
    "tcp-backlog": "can't set immutable config",
    "rdbchecksum": "can't set immutable config",
    "enable-debug-command": "can't set immutable config",
    "appendfilename": "can't set immutable config",
    "appenddirname": "can't set immutable config",
    "dir": "can't set protected config",             # enable-protected-configs is "no"
    "dbfilename": "can't set protected config",
}


_PATHS = ("dir", "dbfilename", "appendfilename", "appenddirname")


def _wire(name, value):
    """A value's bytes: settings hold the bytes as latin-1 text (CONFIG SET's and the command
    line's alike), except the file names, which are the file system's (os.fsencode)."""
    if name.decode("latin-1").lower() in _PATHS:
        return os.fsencode(value)
    return value.encode("latin-1")


def config_params(core):
    """Every parameter CONFIG GET knows, as strings, like Redis prints them."""
    s = core.settings
    lim = core.lim
    return {
        "bind": s.get("bind", config.DEFAULT_BIND),
        "port": str(s.get("port", config.DEFAULT_PORT)),
        "databases": str(core.ks.databases),
        "maxclients": str(core.maxclients),
        "save": s.get("save", ""),
        "appendonly": s.get("appendonly", "no"),
        "appendfsync": s["appendfsync"],
        "appendfilename": s["appendfilename"],
        "appenddirname": s["appenddirname"],
        "auto-aof-rewrite-percentage": s["auto-aof-rewrite-percentage"],
        "rdb-key-save-delay": s.get("rdb-key-save-delay", "0"),
        "auto-aof-rewrite-min-size": s["auto-aof-rewrite-min-size"],
        "dir": s["dir"],
        "dbfilename": s["dbfilename"],
        "rdbcompression": s["rdbcompression"],
        "rdbchecksum": s["rdbchecksum"],
        "loglevel": s.get("loglevel", "notice"),
        "timeout": s.get("timeout", "0"),
        "tcp-keepalive": s.get("tcp-keepalive", "300"),
        "client-output-buffer-limit": s.get("client-output-buffer-limit", OBUF_DEFAULT),
        "maxmemory": s.get("maxmemory", "0"),
        "hz": s.get("hz", str(config.CRON_HZ)),
        "proto-max-bulk-len": str(int(lim[config.L_MAX_BULK])),
        "client-query-buffer-limit": str(int(lim[config.L_QUERY_LIMIT])),
        "tcp-backlog": str(config.LISTEN_BACKLOG),
        "maxmemory-policy": s.get("maxmemory-policy", "noeviction"),
        "maxmemory-samples": s.get("maxmemory-samples", "5"),
        "maxmemory-eviction-tenacity": s.get("maxmemory-eviction-tenacity", "10"),
        "lfu-log-factor": s.get("lfu-log-factor", "10"),
        "lfu-decay-time": s.get("lfu-decay-time", "1"),
        "maxmemory-clients": s.get("maxmemory-clients", "0"),     # recorded; no client eviction
        "enable-debug-command": s.get("enable-debug-command", DEBUG_DEFAULT),
        "slowlog-log-slower-than": s.get("slowlog-log-slower-than", str(config.SLOWLOG_LOG_SLOWER_THAN)),
        "slowlog-max-len": s.get("slowlog-max-len", str(config.SLOWLOG_MAX_LEN)),
        "latency-tracking": s.get("latency-tracking", "yes"),
        "latency-tracking-info-percentiles": s.get("latency-tracking-info-percentiles",
                                                   config.LATENCY_PERCENTILES),
        "requirepass": s.get("requirepass", ""),
        "protected-mode": s.get("protected-mode", "yes"),
    }
