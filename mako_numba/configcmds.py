"""CONFIG GET/SET/RESETSTAT: the parameters the server has, as Redis names them.

A mixin of Admin.  CONFIG SET validates each value the way Redis's config.c
does and answers with its error texts; only the parameters in
MUTABLE_PARAMS can be set.
"""
from . import config, errors, evict, latency, resp
from .netlimits import OBUF_DEFAULT, merge_obuf, parse_obuf
from .glob import match
from .inspectcmds import DEBUG_DEFAULT
from .slowpath import _cstr, _int_or_none, _lower


class ConfigCommands:
    # --- CONFIG ----------------------------------------------------------------------------
    def config(self, call):
        return self._subcommand(call, "config")

    def config_get(self, call):
        found = {}
        params = config_params(self.core)
        for pat in call.args[2:]:
            for name, value in params.items():
                if name in HIDDEN_PARAMS and pat.lower() != name.encode():
                    continue                # Redis's hidden configs: by exact name only
                if name not in found and match(pat.lower(), name.encode(), nocase=True):
                    found[name] = value
        return resp.map_([(resp.bulk(k), resp.bulk(v)) for k, v in found.items()], call.proto)

    def config_set(self, call):
        args = call.args
        if len(args) % 2:
            return resp.error(errors.WRONG_ARITY % "config|set")
        updates = {}
        for i in range(2, len(args), 2):
            name = _lower(args[i])
            check = MUTABLE_PARAMS.get(name)
            if check is None:
                return resp.error(errors.CONFIG_UNKNOWN_PARAM % _cstr(args[i]).decode("latin-1"))
            value = args[i + 1].decode("latin-1")
            problem = check(value)
            if problem:
                return resp.error(errors.CONFIG_SET_FAILED % (name, problem))
            if name == "client-output-buffer-limit":    # the classes not named keep their limits
                value = merge_obuf(updates.get(name, self.core.settings.get(name)), value)
            updates[name] = _normalise(name, value)
        aof = self.core.aof
        was = aof.fd >= 0
        self.core.settings.update(updates)
        if updates.get("appendonly") == "yes" and not was:
            aof.start()                     # a base written now (blocking), then the log
        elif updates.get("appendonly") == "no" and was:
            aof.stop()
        self.core.observe.configure()
        if "requirepass" in updates:
            self.auth_refresh()             # who must AUTH now (authcmds.py)
        for name, field in (("proto-max-bulk-len", config.L_MAX_BULK),
                            ("client-query-buffer-limit", config.L_QUERY_LIMIT)):
            if name in updates:             # the kernels read these from lim
                self.core.lim[field] = int(updates[name])
        evict.apply_settings(self.core)
        return resp.simple("OK")

    def config_resetstat(self, call):
        self.core.stats[:] = 0
        evict.reset_stats(self.core)
        self.core.observe.reset_stats()
        self.cmdstats.clear()
        self.errorstats.clear()
        return resp.simple("OK")


def _int_param(lo, hi):
    def check(v):
        n = _int_or_none(v.encode("latin-1"))
        if n is None:
            return "argument couldn't be parsed into an integer"
        if not lo <= n <= hi:
            return f"argument must be between {lo} and {hi} inclusive"
        return None
    return check


def _enum_param(*choices):
    def check(v):
        if v.lower() not in choices:
            return "argument(s) must be one of the following: " + ", ".join(choices)
        return None
    return check


def _memory_param(v):
    units = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
             "g": 1000**3, "gb": 1024**3}
    num = v.rstrip("bkmgBKMG")
    unit = v[len(num):].lower()
    if unit not in units or not num.isdigit() or _int_or_none(num.encode("latin-1")) is None:
        return "argument must be a memory value"
    return None


def buffer_size_param(v):
    """proto-max-bulk-len and client-query-buffer-limit: memory values of at least 1mb."""
    problem = _memory_param(v)
    if problem is None and int(_normalise("maxmemory", v)) < 1024 * 1024:
        problem = "argument must be between 1048576 and 9223372036854775807 inclusive"
    return problem


def _save_param(v):
    parts = v.split()
    if len(parts) % 2 or any(_int_or_none(p.encode("latin-1")) is None for p in parts):
        return "Invalid save parameters"
    return None


def _obuf_param(v):
    problem = parse_obuf(v)
    return problem if isinstance(problem, str) else None


def _bool_param(v):
    if v.lower() not in ("yes", "no"):
        return "argument must be 'yes' or 'no'"
    return None


def _percentiles_param(v):
    for p in v.split():
        try:
            x = float(p)
        except ValueError:
            return "Invalid latency-tracking-info-percentiles parameters"
        if not 0.0 <= x <= 100.0:
            return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
    return None


def _protected(v):
    """Redis 7.0's protected configs (dir, dbfilename): not settable at run time by default."""
    return "can't set protected config"


def _normalise(name, value):
    if name == "latency-tracking-info-percentiles":
        return " ".join(latency.percentile_name(float(p)) for p in value.split())
    if name in ("loglevel", "appendonly", "appendfsync", "rdbcompression", "rdbchecksum",
                "latency-tracking", "protected-mode", "maxmemory-policy"):
        return value.lower()
    if name in ("maxmemory", "auto-aof-rewrite-min-size", "proto-max-bulk-len",
                "client-query-buffer-limit"):
        num = value.rstrip("bkmgBKMG")
        unit = value[len(num):].lower()
        mult = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
                "g": 1000**3, "gb": 1024**3}[unit]
        return str(int(num) * mult)
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
    "appendfilename": lambda v: "can't set immutable config",
    "appenddirname": lambda v: "can't set immutable config",
    "auto-aof-rewrite-percentage": _int_param(0, 2**31 - 1),
    "rdb-key-save-delay": _int_param(-2**31, 2**31 - 1),
    "auto-aof-rewrite-min-size": _memory_param,
    "dir": _protected,
    "dbfilename": _protected,
    "rdbcompression": _bool_param,
    "rdbchecksum": _bool_param,
    "slowlog-log-slower-than": _int_param(-1, 2**63 - 1),
    "slowlog-max-len": _int_param(0, 2**63 - 1),
    "latency-tracking": _bool_param,
    "latency-tracking-info-percentiles": _percentiles_param,
    "requirepass": lambda v: None,
    "protected-mode": _bool_param,
    "proto-max-bulk-len": buffer_size_param,
    "client-query-buffer-limit": buffer_size_param,
}


def config_params(core):
    """Every parameter CONFIG GET knows, as strings, like Redis prints them."""
    s = core.settings
    lim = core.lim
    return {
        "bind": s.get("bind", config.DEFAULT_BIND),
        "port": str(s.get("port", config.DEFAULT_PORT)),
        "databases": str(core.ks.databases),
        "maxclients": str(core.conn.shape[0]),
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
        "maxmemory-clients": "0",
        "enable-debug-command": s.get("enable-debug-command", DEBUG_DEFAULT),
        "slowlog-log-slower-than": s.get("slowlog-log-slower-than", str(config.SLOWLOG_LOG_SLOWER_THAN)),
        "slowlog-max-len": s.get("slowlog-max-len", str(config.SLOWLOG_MAX_LEN)),
        "latency-tracking": s.get("latency-tracking", "yes"),
        "latency-tracking-info-percentiles": s.get("latency-tracking-info-percentiles",
                                                   config.LATENCY_PERCENTILES),
        "requirepass": s.get("requirepass", ""),
        "protected-mode": s.get("protected-mode", "yes"),
    }
