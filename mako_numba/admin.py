"""The slow path: administrative commands run in Python, in request order.

The kernel leaves a request here (QS_SLOW) when its command's `op` is
OP_SLOW or the command is unknown.  Such a request is always the last one of
its connection in the batch, so writing its reply now keeps the
connection's replies in order.

Rules:
- A handler gets a `Call` (slot, protocol, argument bytes) and returns the
  reply bytes; it never touches sockets.  Errors come from errors.py.
- Container commands (CLIENT, CONFIG, COMMAND) dispatch on a table of
  subcommands; arity of a subcommand comes from the generated Redis metadata,
  so `CONFIG GET` alone gets `wrong number of arguments for 'config|get'`.
- Commands Redis 7.0 lacks but clients send (CLIENT SETINFO, from 7.2) are
  answered as the Redis release that added them does.
"""
import time
from dataclasses import dataclass, field

from . import commands, config, errors, resp
from .glob import match
from .layout import (
    C_DB, C_ID, C_PROTO, Q_ARG0, Q_ARGC, Q_CMD, Q_CONN, CMD_UNKNOWN, S_COMMANDS,
    S_NFIELDS, S_SLOW,
)
from .stats import info_text

try:  # ctypes.string_at reads an argument straight from its address
    from ctypes import string_at
except ImportError:  # pragma: no cover
    string_at = None


@dataclass
class ClientInfo:
    peer: tuple
    fd: int
    created: float = field(default_factory=time.time)
    name: bytes = b""
    lib_name: bytes = b""
    lib_ver: bytes = b""
    last_cmd: str = "NULL"
    last_active: float = field(default_factory=time.time)


@dataclass
class Call:
    slot: int
    proto: int
    args: list


def _lower(b):
    return b.decode("latin-1").lower()


def _int_or_none(b):
    """Redis's string2ll acceptance: strict decimal, no spaces or '+'."""
    s = b.decode("latin-1")
    if not s or len(s) > 20 or s != s.strip() or s.startswith("+"):
        return None
    if s != "0" and (s.startswith("0") or s.startswith("-0")):
        return None
    try:
        v = int(s)
    except ValueError:
        return None
    return v if -(1 << 63) <= v < (1 << 63) else None


def _cstr(b):
    """What C's %s prints of a byte string: everything before the first NUL."""
    return b.split(b"\0", 1)[0]


def _safe_name(b):
    """Client names and lib-* values: printable ASCII without spaces."""
    return all(33 <= ch <= 126 for ch in b)


class Admin:
    def __init__(self, core):
        self.core = core
        self.handlers = {
            "hello": self.hello, "select": self.select, "flushdb": self.flushdb,
            "flushall": self.flushall, "info": self.info, "reset": self.reset,
            "command": self.command, "config": self.config, "client": self.client,
        }
        self.sub = {
            "client": {"help": self.help, "id": self.client_id, "setname": self.client_setname,
                       "getname": self.client_getname, "setinfo": self.client_setinfo,
                       "list": self.client_list, "info": self.client_info},
            "config": {"help": self.help, "get": self.config_get, "set": self.config_set,
                       "resetstat": self.config_resetstat},
            "command": {"help": self.help, "count": self.command_count, "info": self.command_info,
                        "docs": self.command_docs, "list": self.command_list},
        }

    # --- plumbing ------------------------------------------------------------------
    def connected(self, slot, peer, fd):
        self.core.clients[slot] = ClientInfo(peer=peer, fd=fd)

    def disconnected(self, slot):
        self.core.clients.pop(slot, None)

    def execute(self, k):
        core = self.core
        q = core.q
        slot = int(q[k, Q_CONN])
        a0, argc = int(q[k, Q_ARG0]), int(q[k, Q_ARGC])
        args = [string_at(int(core.args[i, 0]), int(core.args[i, 1])) for i in range(a0, a0 + argc)]
        call = Call(slot, int(core.conn[slot, C_PROTO]), args)
        ci = int(q[k, Q_CMD])
        core.stats[S_SLOW] += 1
        if ci == CMD_UNKNOWN:
            core.write(slot, self.unknown(args))
            return
        name = commands.NAMES[ci]
        info = core.clients.get(slot)
        if info is not None:
            info.last_cmd = name
            info.last_active = time.time()
        reply = self.handlers[name](call)
        core.stats[S_COMMANDS] += 1
        core.stats[S_NFIELDS + ci] += 1
        core.write(slot, reply)

    @staticmethod
    def unknown(args):
        """Redis's unknown-command error: name cut at 128, args while under 128 chars.

        Redis formats with printf's %.*s, which also stops at a NUL byte.
        """
        text = b""
        for a in args[1:]:
            if len(text) >= 128:
                break
            text += b"'" + _cstr(a)[:128 - len(text)] + b"' "
        name = _cstr(args[0])[:128]
        return resp.error(b"ERR unknown command '" + name + b"', with args beginning with: " + text)

    def _subcommand(self, call, container):
        args = call.args
        sub = _lower(args[1])
        fn = self.sub[container].get(sub)
        if fn is None:
            return resp.error(errors.UNKNOWN_SUBCOMMAND % (_cstr(args[1])[:128].decode("latin-1"),
                                                          container.upper()))
        full = container + "|" + sub
        meta = commands.redis_metadata()["commands"].get(full)
        arity = meta["arity"] if meta else SUB_ARITY.get(full, -2)
        n = len(args)
        if (arity > 0 and n != arity) or n < -arity:
            return resp.error(errors.WRONG_ARITY % full)
        return fn(call)

    def help(self, call):
        """CONFIG|CLIENT|COMMAND HELP: Redis's own help text, as it sends it."""
        meta = commands.redis_metadata()["commands"][_lower(call.args[0])]
        return meta["help_resp3" if call.proto == 3 else "help_resp2"].encode("latin-1")

    # --- connection ------------------------------------------------------------------
    def hello(self, call):
        args = call.args
        ver = 0
        j = 1
        if len(args) >= 2:
            ver = _int_or_none(args[1])
            if ver is None:
                return resp.error(errors.PROTOCOL_VERSION_INVALID)
            if ver < 2 or ver > 3:
                return resp.error(errors.NOPROTO)
            j = 2
        name = None
        while j < len(args):
            opt = _lower(args[j])
            more = len(args) - 1 - j
            if opt == "auth" and more >= 2:
                j += 3              # no password configured: the default user takes any
            elif opt == "setname" and more >= 1:
                if not _safe_name(args[j + 1]):
                    return resp.error(errors.CLIENT_NAME_SPACES)
                name = args[j + 1]
                j += 2
            else:
                return resp.error("ERR Syntax error in HELLO option '%s'" % args[j].decode("latin-1"))
        core = self.core
        if ver:
            core.conn[call.slot, C_PROTO] = ver
        if name is not None:
            core.clients[call.slot].name = name
        proto = int(core.conn[call.slot, C_PROTO])
        pairs = [
            (resp.bulk("server"), resp.bulk("redis")),
            (resp.bulk("version"), resp.bulk(config.REDIS_VERSION)),
            (resp.bulk("proto"), resp.integer(proto)),
            (resp.bulk("id"), resp.integer(int(core.conn[call.slot, C_ID]))),
            (resp.bulk("mode"), resp.bulk("standalone")),
            (resp.bulk("role"), resp.bulk("master")),
            (resp.bulk("modules"), resp.array([])),
        ]
        return resp.map_(pairs, proto)

    def select(self, call):
        db = _int_or_none(call.args[1])
        if db is None:
            return resp.error(errors.NOT_INTEGER)
        if db < 0 or db >= self.core.ks.databases:
            return resp.error(errors.OUT_OF_RANGE_DB)
        self.core.conn[call.slot, C_DB] = db
        return resp.simple("OK")

    def reset(self, call):
        core = self.core
        core.conn[call.slot, C_DB] = 0
        core.conn[call.slot, C_PROTO] = 2
        core.clients[call.slot].name = b""
        return resp.simple("RESET")

    # --- keyspace ------------------------------------------------------------------------
    def _flush_mode_ok(self, call):
        if len(call.args) > 2:
            return False
        return len(call.args) == 1 or _lower(call.args[1]) in ("async", "sync")

    def flushall(self, call):
        if not self._flush_mode_ok(call):
            return resp.error(errors.SYNTAX)
        self.core.ks.reset()
        return resp.simple("OK")

    def flushdb(self, call):
        if not self._flush_mode_ok(call):
            return resp.error(errors.SYNTAX)
        ks = self.core.ks
        db = int(self.core.conn[call.slot, C_DB])
        if ks.keys(db) == ks.keys():
            ks.reset()
        else:
            from .table import flush_db
            flush_db(ks.T, self.core.lim, db)
        return resp.simple("OK")

    def info(self, call):
        sections = [_lower(a) for a in call.args[1:]]
        return resp.verbatim(info_text(self.core, sections), call.proto)

    # --- CLIENT ---------------------------------------------------------------------------
    def client(self, call):
        return self._subcommand(call, "client")

    def client_id(self, call):
        return resp.integer(int(self.core.conn[call.slot, C_ID]))

    def client_setname(self, call):
        name = call.args[2]
        if not _safe_name(name):
            return resp.error(errors.CLIENT_NAME_SPACES)
        self.core.clients[call.slot].name = name
        return resp.simple("OK")

    def client_getname(self, call):
        name = self.core.clients[call.slot].name
        return resp.bulk(name) if name else resp.null(call.proto)

    def client_setinfo(self, call):
        attr = _lower(call.args[2])
        if attr not in ("lib-name", "lib-ver"):
            return resp.error(errors.CLIENT_SETINFO_BAD_ATTR % call.args[2].decode("latin-1"))
        value = call.args[3]
        if not _safe_name(value) and value:
            return resp.error(errors.CLIENT_SETINFO_SPACES % attr)
        info = self.core.clients[call.slot]
        if attr == "lib-name":
            info.lib_name = value
        else:
            info.lib_ver = value
        return resp.simple("OK")

    def _client_line(self, slot):
        core = self.core
        info = core.clients[slot]
        row = core.conn[slot]
        now = time.time()
        host, port = info.peer[0], info.peer[1]
        return (
            f"id={int(row[C_ID])} addr={host}:{port} laddr={core.settings.get('bind', '127.0.0.1')}:"
            f"{core.settings.get('port', config.DEFAULT_PORT)} fd={info.fd} "
            f"name={info.name.decode('latin-1')} age={int(now - info.created)} "
            f"idle={int(now - info.last_active)} flags=N db={int(row[C_DB])} sub=0 psub=0 "
            f"ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 "
            f"rbs={int(row[1])} rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r "
            f"cmd={info.last_cmd} user=default redir=-1 resp={int(row[C_PROTO])} "
            f"lib-name={info.lib_name.decode('latin-1')} lib-ver={info.lib_ver.decode('latin-1')}\n"
        )

    def client_list(self, call):
        return resp.verbatim("".join(self._client_line(s) for s in sorted(self.core.clients)), call.proto)

    def client_info(self, call):
        return resp.verbatim(self._client_line(call.slot), call.proto)

    # --- CONFIG ----------------------------------------------------------------------------
    def config(self, call):
        return self._subcommand(call, "config")

    def config_get(self, call):
        found = {}
        params = config_params(self.core)
        for pat in call.args[2:]:
            for name, value in params.items():
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
            updates[name] = _normalise(name, value)
        self.core.settings.update(updates)
        return resp.simple("OK")

    def config_resetstat(self, call):
        self.core.stats[:] = 0
        return resp.simple("OK")

    # --- COMMAND ------------------------------------------------------------------------------
    def command(self, call):
        if len(call.args) == 1:
            return self._infos(commands.NAMES, call.proto)
        return self._subcommand(call, "command")

    @staticmethod
    def _infos(names, proto):
        meta = commands.redis_metadata()["commands"]
        key = "info_resp3" if proto == 3 else "info_resp2"
        items = []
        for n in names:
            m = meta.get(n)
            items.append(m[key].encode("latin-1") if m and n in commands.INDEX else resp.null(proto))
        return resp.array(items)

    def command_count(self, call):
        return resp.integer(commands.NCOMMANDS)

    def command_info(self, call):
        names = [_lower(a) for a in call.args[2:]] or commands.NAMES
        return self._infos(names, call.proto)

    def command_docs(self, call):
        meta = commands.redis_metadata()["commands"]
        key = "docs_resp3" if call.proto == 3 else "docs_resp2"
        names = [_lower(a) for a in call.args[2:]] or commands.NAMES
        pairs = [(resp.bulk(n), meta[n][key].encode("latin-1"))
                 for n in names if n in commands.INDEX and n in meta]
        return resp.map_(pairs, call.proto)

    def command_list(self, call):
        return resp.array([resp.bulk(n) for n in commands.NAMES])


SUB_ARITY = {"client|setinfo": 4}


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
    if unit not in units or _int_or_none(num.encode("latin-1")) is None:
        return "argument must be a memory value"
    return None


def _save_param(v):
    parts = v.split()
    if len(parts) % 2 or any(_int_or_none(p.encode("latin-1")) is None for p in parts):
        return "Invalid save parameters"
    return None


def _normalise(name, value):
    if name in ("loglevel", "appendonly"):
        return value.lower()
    if name == "maxmemory":
        num = value.rstrip("bkmgBKMG")
        unit = value[len(num):].lower()
        mult = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
                "g": 1000**3, "gb": 1024**3}[unit]
        return str(int(num) * mult)
    return value


# CONFIG SET: parameter -> validator returning None or Redis's reason text
MUTABLE_PARAMS = {
    "loglevel": _enum_param("debug", "verbose", "notice", "warning"),
    "timeout": _int_param(0, 2**31 - 1),
    "hz": _int_param(0, 2**31 - 1),
    "maxmemory": _memory_param,
    "save": _save_param,
    "appendonly": _enum_param("yes", "no"),
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
        "loglevel": s.get("loglevel", "notice"),
        "timeout": s.get("timeout", "0"),
        "maxmemory": s.get("maxmemory", "0"),
        "hz": s.get("hz", str(config.CRON_HZ)),
        "proto-max-bulk-len": str(int(lim[config.L_MAX_BULK])),
        "client-query-buffer-limit": str(int(lim[config.L_QUERY_LIMIT])),
        "tcp-backlog": str(config.LISTEN_BACKLOG),
    }
