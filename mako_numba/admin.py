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
- Handlers never touch sockets, with one exception: CLIENT KILL shuts down
  the killed connection's socket (see _wake) so the event loop notices it at
  once, even when that client is idle, as Redis frees it at once.
- Per-subcommand statistics (`cmdstat_client|list`) and slow-path timings are
  kept here in `cmdstats`; stats.py merges them with the kernels' counters.
"""
import math
import os
import re
import socket
import time
from dataclasses import dataclass, field

from . import commands, config, errors, resp
from .glob import match
from .layout import (
    C_DB, C_FLAGS, C_ID, C_IN_CAP, C_OUT_CAP, C_OUT_SENT, C_OUT_WR, C_PROTO, C_RD, C_WR,
    CMD_UNKNOWN, F_CLOSE_AFTER, F_CLOSE_NOW, Q_ARG0, Q_ARGC, Q_CMD, Q_CONN, S_COMMANDS,
    S_NFIELDS, S_SLOW,
)
from .stats import info_text, lru_clock

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
    no_evict: bool = False
    laddr: str = ""             # local address, looked up once (CLIENT LIST)


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
            "object": self.object_, "memory": self.memory, "debug": self.debug,
        }
        self.sub = {
            "client": {"help": self.help, "id": self.client_id, "setname": self.client_setname,
                       "getname": self.client_getname, "setinfo": self.client_setinfo,
                       "list": self.client_list, "info": self.client_info,
                       "kill": self.client_kill, "no-evict": self.client_no_evict,
                       "reply": self.client_reply},
            "config": {"help": self.help, "get": self.config_get, "set": self.config_set,
                       "resetstat": self.config_resetstat},
            "command": {"help": self.help, "count": self.command_count, "info": self.command_info,
                        "docs": self.command_docs, "list": self.command_list},
            "object": {"help": self.help, "encoding": self.object_encoding,
                       "refcount": self.object_refcount, "idletime": self.object_idletime,
                       "freq": self.object_freq},
            "memory": {"help": self.help, "usage": self.memory_usage,
                       "purge": self.memory_purge, "malloc-stats": self.memory_malloc_stats},
        }
        # "name" or "container|sub" -> [calls, usec, rejected_calls, failed_calls]
        self.cmdstats = {}
        self._stat_name = None      # what the running handler counts as (set by _subcommand)
        self._rejected = False

    # --- plumbing ------------------------------------------------------------------
    def connected(self, slot, peer, fd):
        self.core.clients[slot] = ClientInfo(peer=peer, fd=fd)

    def disconnected(self, slot):
        self.core.clients.pop(slot, None)

    def execute(self, k):
        core = self.core
        q = core.q
        slot = int(q[k, Q_CONN])
        if int(core.conn[slot, C_FLAGS]) & F_CLOSE_NOW:
            return                  # killed earlier in this batch: Redis freed it already
        a0, argc = int(q[k, Q_ARG0]), int(q[k, Q_ARGC])
        args = [string_at(int(core.args[i, 0]), int(core.args[i, 1])) for i in range(a0, a0 + argc)]
        call = Call(slot, int(core.conn[slot, C_PROTO]), args)
        ci = int(q[k, Q_CMD])
        core.stats[S_SLOW] += 1
        info = core.clients.get(slot)
        if info is not None:
            info.last_active = time.time()
        if ci == CMD_UNKNOWN:
            if info is not None:
                info.last_cmd = "NULL"      # Redis: lastcmd is the failed lookup, NULL
            core.write(slot, self.unknown(args))
            return
        name = commands.NAMES[ci]
        self._stat_name = name
        self._rejected = False
        if info is not None:
            info.last_cmd = name        # Redis sets it before running (CLIENT LIST shows itself)
        t0 = time.perf_counter()
        reply = self.handlers[name](call)
        usec = int((time.perf_counter() - t0) * 1e6)
        stat_name = self._stat_name
        if stat_name is not None:
            row = self.cmdstats.setdefault(stat_name, [0, 0, 0, 0])
            if self._rejected:
                row[2] += 1
            else:
                row[0] += 1
                row[1] += usec
                if reply[:1] == b"-":
                    row[3] += 1
                core.stats[S_COMMANDS] += 1
                if stat_name == name:
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
        """Dispatch `container sub ...`; counts statistics under `container|sub` like Redis."""
        args = call.args
        sub = _lower(args[1])
        fn = self.sub[container].get(sub)
        info = self.core.clients.get(call.slot)
        if fn is None:
            self._stat_name = None          # Redis: no command found, nothing counted
            if info is not None:
                info.last_cmd = "NULL"
            return resp.error(errors.UNKNOWN_SUBCOMMAND % (_cstr(args[1])[:128].decode("latin-1"),
                                                          container.upper()))
        full = container + "|" + sub
        self._stat_name = full
        if info is not None:
            info.last_cmd = full
        meta = commands.redis_metadata()["commands"].get(full)
        arity = meta["arity"] if meta else SUB_ARITY.get(full, -2)
        n = len(args)
        if (arity > 0 and n != arity) or n < -arity:
            self._rejected = True
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
        info = core.clients[call.slot]
        info.name = b""
        info.no_evict = False
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

    def _laddr(self, info):
        """The connection's local address, as getsockname() gives it (cached)."""
        if not info.laddr:
            addr = None
            if info.fd >= 0:
                try:
                    with socket.fromfd(info.fd, socket.AF_INET6 if ":" in info.peer[0]
                                       else socket.AF_INET, socket.SOCK_STREAM) as sk:
                        addr = sk.getsockname()[:2]
                except OSError:
                    addr = None
            if addr is None:
                addr = (self.core.settings.get("bind", config.DEFAULT_BIND),
                        self.core.settings.get("port", config.DEFAULT_PORT))
            info.laddr = _format_addr(addr[0], addr[1])
        return info.laddr

    def _live_slots(self):
        """Connected clients in connection order, without those killed this batch."""
        conn = self.core.conn
        return [s for s in sorted(self.core.clients, key=lambda s: int(conn[s, C_ID]))
                if not int(conn[s, C_FLAGS]) & F_CLOSE_NOW]

    def _client_line(self, slot, call=None):
        """One CLIENT LIST line, fields as Redis 7.0's catClientInfoString prints them.

        Buffer fields come from the connection table: qbuf = bytes in the
        input buffer, qbuf-free = its free tail, rbs = output buffer size,
        obl = reply bytes not sent yet; oll/omem are 0 (one flat output
        buffer, no reply list).  `cmd` is the last slow-path command: commands
        the kernels run do not update it.  `idle` counts from the last
        slow-path command or the connection's start.
        """
        core = self.core
        info = core.clients[slot]
        row = core.conn[slot]
        now = time.time()
        fl = int(row[C_FLAGS])
        flags = ""
        if fl & F_CLOSE_AFTER:
            flags += "c"
        if fl & F_CLOSE_NOW:
            flags += "A"
        if info.no_evict:
            flags += "e"
        argv_mem = sum(len(a) for a in call.args) if call is not None and call.slot == slot else 0
        qbuf = int(row[C_WR])
        pending = int(row[C_OUT_WR] - row[C_OUT_SENT])
        events = "r" + ("w" if pending and (call is None or call.slot != slot) else "")
        tot = int(row[C_IN_CAP]) + int(row[C_OUT_CAP]) + argv_mem
        return (
            f"id={int(row[C_ID])} addr={_format_addr(info.peer[0], info.peer[1])} "
            f"laddr={self._laddr(info)} fd={info.fd} name={info.name.decode('latin-1')} "
            f"age={int(now - info.created)} idle={int(now - info.last_active)} "
            f"flags={flags or 'N'} db={int(row[C_DB])} sub=0 psub=0 ssub=0 multi=-1 "
            f"qbuf={qbuf} qbuf-free={int(row[C_IN_CAP]) - qbuf} argv-mem={argv_mem} multi-mem=0 "
            f"rbs={int(row[C_OUT_CAP])} rbp={int(row[C_OUT_CAP])} obl={pending} oll=0 omem=0 "
            f"tot-mem={tot} events={events} cmd={info.last_cmd} user=default redir=-1 "
            f"resp={int(row[C_PROTO])}"
        )

    def client_list(self, call):
        """CLIENT LIST [TYPE normal|replica|slave|master|pubsub] | [ID id ...]."""
        args = call.args
        slots = None
        if len(args) == 4 and _lower(args[2]) == "type":
            kind = _lower(args[3])
            if kind not in CLIENT_TYPES:
                return resp.error(errors.CLIENT_UNKNOWN_TYPE % _cstr(args[3]).decode("latin-1"))
            slots = self._live_slots() if kind == "normal" else []
        elif len(args) > 3 and _lower(args[2]) == "id":
            by_id = {int(self.core.conn[s, C_ID]): s for s in self._live_slots()}
            slots = []
            for a in args[3:]:
                cid = _int_or_none(a)
                if cid is None:
                    return resp.error(errors.INVALID_CLIENT_ID)
                if cid in by_id:
                    slots.append(by_id[cid])
        elif len(args) != 2:
            return resp.error(errors.SYNTAX)
        if slots is None:
            slots = self._live_slots()
        text = "".join(self._client_line(s, call) + "\n" for s in slots)
        return resp.verbatim(text, call.proto)

    def client_info(self, call):
        return resp.verbatim(self._client_line(call.slot, call) + "\n", call.proto)

    def client_kill(self, call):
        """CLIENT KILL addr (old form) or CLIENT KILL <filter> <value> ... (new form).

        A killed client is flagged F_CLOSE_NOW (dropped without further
        replies) and its socket is shut down so the loop drops it even if it
        is idle; the caller killing itself gets F_CLOSE_AFTER, so its reply
        goes out first, as in Redis.
        """
        args = call.args
        addr = laddr = None
        kind = None
        cid = 0
        skipme = True
        if len(args) == 3:
            addr = _cstr(args[2])
            skipme = False
        else:
            i = 2
            while i < len(args):
                opt = _lower(args[i])
                more = i + 1 < len(args)
                if opt == "id" and more:
                    v = _int_or_none(args[i + 1])
                    if v is None or v < 1:
                        return resp.error(errors.CLIENT_ID_POSITIVE)
                    cid = v
                elif opt == "type" and more:
                    kind = _lower(args[i + 1])
                    if kind not in CLIENT_TYPES:
                        return resp.error(errors.CLIENT_UNKNOWN_TYPE
                                          % _cstr(args[i + 1]).decode("latin-1"))
                elif opt == "addr" and more:
                    addr = _cstr(args[i + 1])
                elif opt == "laddr" and more:
                    laddr = _cstr(args[i + 1])
                elif opt == "user" and more:
                    if _cstr(args[i + 1]) != b"default":
                        return resp.error(errors.NO_SUCH_USER % _cstr(args[i + 1]).decode("latin-1"))
                elif opt == "skipme" and more:
                    yn = _lower(args[i + 1])
                    if yn not in ("yes", "no"):
                        return resp.error(errors.SYNTAX)
                    skipme = yn == "yes"
                else:
                    return resp.error(errors.SYNTAX)
                i += 2
        core = self.core
        killed = 0
        close_self = False
        for slot in self._live_slots():
            info = core.clients[slot]
            if addr is not None and _format_addr(info.peer[0], info.peer[1]).encode() != addr:
                continue
            if laddr is not None and self._laddr(info).encode() != laddr:
                continue
            if kind is not None and kind != "normal":
                continue
            if cid and int(core.conn[slot, C_ID]) != cid:
                continue
            if slot == call.slot and skipme:
                continue
            if slot == call.slot:
                close_self = True
            else:
                core.conn[slot, C_FLAGS] |= F_CLOSE_NOW
                _wake(info.fd)
            killed += 1
        if close_self:
            core.conn[call.slot, C_FLAGS] |= F_CLOSE_AFTER
        if len(args) == 3:
            return resp.error(errors.NO_SUCH_CLIENT) if killed == 0 else resp.simple("OK")
        return resp.integer(killed)

    def client_no_evict(self, call):
        """CLIENT NO-EVICT on|off: recorded (flag `e` in CLIENT LIST); we never evict clients."""
        v = _lower(call.args[2])
        if v not in ("on", "off"):
            return resp.error(errors.SYNTAX)
        self.core.clients[call.slot].no_evict = v == "on"
        return resp.simple("OK")

    def client_reply(self, call):
        """CLIENT REPLY ON as Redis.  OFF and SKIP are not supported yet.

        Kernels write replies straight into the connection's output buffer
        and the loop sends them right after the batch, so suppressing a later
        command's reply would need the kernels' cooperation.  Rather than
        pretend, OFF and SKIP get an error (Redis sends no reply to them).
        """
        v = _lower(call.args[2])
        if v == "on":
            return resp.simple("OK")
        if v in ("off", "skip"):
            return resp.error(errors.NOT_SUPPORTED % ("CLIENT REPLY " + v.upper()))
        return resp.error(errors.SYNTAX)

    # --- OBJECT, MEMORY, DEBUG ----------------------------------------------------------
    def _key(self, call, key):
        return self.core.key_info(int(self.core.conn[call.slot, C_DB]), key)

    def object_(self, call):
        return self._subcommand(call, "object")

    def object_encoding(self, call):
        """int, embstr or raw, decided from the value as SET would encode it.

        We keep no per-key encoding, so a value built by APPEND or SETRANGE
        (always "raw" in Redis) reports what SET of the same bytes would.
        """
        found = self._key(call, call.args[2])
        if found is None:
            return resp.null(call.proto)
        return resp.bulk(string_encoding(found[0]))

    def object_refcount(self, call):
        """1, or 2147483647 (OBJ_SHARED_REFCOUNT) for Redis's shared integers 0..9999."""
        found = self._key(call, call.args[2])
        if found is None:
            return resp.null(call.proto)
        return resp.integer(SHARED_REFCOUNT if _is_shared_int(found[0]) else 1)

    def object_idletime(self, call):
        """Always 0: keys carry no access (or write) time in our table, so idleness is unknown."""
        found = self._key(call, call.args[2])
        if found is None:
            return resp.null(call.proto)
        return resp.integer(0)

    def object_freq(self, call):
        """maxmemory-policy is always noeviction, so Redis's not-LFU error (after the key check)."""
        found = self._key(call, call.args[2])
        if found is None:
            return resp.null(call.proto)
        return resp.error(errors.OBJECT_FREQ_NOT_LFU)

    def memory(self, call):
        return self._subcommand(call, "memory")

    def memory_usage(self, call):
        """MEMORY USAGE key [SAMPLES n]: our own accounting, not Redis's.

        The record's allocated block (header, key and value in the arena,
        rounded to its size class) plus 8 bytes for its slot in the hash
        index.  Redis counts robj + sds + dictEntry, so numbers differ.
        SAMPLES is validated like Redis and otherwise unused (strings only).
        """
        args = call.args
        j = 3
        while j < len(args):
            if _lower(args[j]) == "samples" and j + 1 < len(args):
                n = _int_or_none(args[j + 1])
                if n is None:
                    return resp.error(errors.NOT_INTEGER)
                if n < 0:
                    return resp.error(errors.SYNTAX)
                j += 2
            else:
                return resp.error(errors.SYNTAX)
        found = self._key(call, args[2])
        if found is None:
            return resp.null(call.proto)
        return resp.integer(found[2] + INDEX_SLOT_BYTES)

    def memory_purge(self, call):
        return resp.simple("OK")

    def memory_malloc_stats(self, call):
        """What Redis built without jemalloc replies (we allocate through numpy)."""
        return resp.bulk("Stats not supported for the current allocator")

    def debug(self, call):
        """DEBUG OBJECT | SLEEP | SET-ACTIVE-EXPIRE | HELP; the rest is Redis's syntax error.

        Allowed as Redis's `enable-debug-command local` allows it: from
        loopback clients only (CONFIG GET enable-debug-command says so).
        """
        args = call.args
        info = self.core.clients.get(call.slot)
        mode = self.core.settings.get("enable-debug-command", DEBUG_DEFAULT)
        if mode == "no" or (mode == "local" and info is not None and not _is_local(info.peer[0])):
            return resp.error(errors.DEBUG_NOT_ALLOWED)
        sub = _lower(args[1])
        n = len(args)
        if sub == "help" and n == 2:
            lines = [b"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"]
            lines += DEBUG_HELP + [b"HELP", b"    Prints this help."]
            return resp.array([resp.simple(x) for x in lines])
        if sub == "object" and n == 3:
            return self.debug_object(call)
        if sub == "sleep" and n == 3:
            secs = _strtod(args[2])
            if secs > 0 and math.isfinite(secs):
                time.sleep(secs)
            return resp.simple("OK")
        if sub == "set-active-expire" and n == 3:
            self.core.settings["active-expire"] = "1" if _atoi(args[2]) else "0"
            return resp.simple("OK")
        return resp.error(errors.DEBUG_SUBCOMMAND % (_cstr(args[1])[:128].decode("latin-1"),
                                                      _cstr(args[0]).decode("latin-1").upper()))

    def debug_object(self, call):
        """Redis's line; `Value at` is a Python id and idleness is unknown (0), see OBJECT IDLETIME."""
        found = self._key(call, call.args[2])
        if found is None:
            return resp.error(errors.NO_SUCH_KEY)
        value = found[0]
        enc = string_encoding(value)
        refcount = SHARED_REFCOUNT if _is_shared_int(value) else 1
        return resp.simple(
            f"Value at:0x{id(value):x} refcount:{refcount} encoding:{enc} "
            f"serializedlength:{rdb_string_length(value, enc == 'int')} "
            f"lru:{lru_clock()} lru_seconds_idle:0")

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
        self.cmdstats.clear()
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
CLIENT_TYPES = ("normal", "slave", "replica", "pubsub", "master")
SHARED_REFCOUNT = 2147483647        # OBJ_SHARED_REFCOUNT (INT_MAX)
SHARED_INTEGERS = 10000             # OBJ_SHARED_INTEGERS: 0..9999 are shared objects
EMBSTR_LIMIT = 44                   # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
INDEX_SLOT_BYTES = 8                # one int64 slot of the hash index per key
DEBUG_DEFAULT = "local"             # enable-debug-command
DEBUG_HELP = [                      # Redis's lines for the DEBUG subcommands we have
    b"OBJECT <key>",
    b"    Show low level info about `key` and associated value.",
    b"SET-ACTIVE-EXPIRE <0|1>",
    b"    Setting it to 0 disables expiring keys in background when they are not",
    b"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    b"    default.",
    b"SLEEP <seconds>",
    b"    Stop the server for <seconds>. Decimals allowed.",
]


def _format_addr(host, port):
    """Redis's formatSocketAddr: IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _is_local(host):
    return host.startswith("127.") or host in ("::1", "localhost") or host.startswith("::ffff:127.")


def _wake(fd):
    """Shut a killed client's socket down so the event loop sees EOF and drops its slot.

    The loop only looks at connections that have something to read or send;
    an idle killed client would otherwise stay connected until it spoke.
    shutdown() acts on the socket shared by every descriptor of it, so the
    duplicate made here is enough; the loop still owns (and closes) its own.
    """
    if fd < 0:
        return
    try:
        with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as sk:
            sk.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _strtod(b):
    """C strtod of a byte string: the longest decimal prefix, 0.0 when there is none."""
    m = re.match(rb"\s*[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)",
                 _cstr(b), re.IGNORECASE)
    return float(m.group(0)) if m else 0.0


def _atoi(b):
    m = re.match(rb"\s*[+-]?\d+", _cstr(b))
    return int(m.group(0)) if m else 0


def _is_shared_int(value):
    n = _int_or_none(value)
    return n is not None and 0 <= n < SHARED_INTEGERS


def string_encoding(value):
    """The encoding Redis's tryObjectEncoding gives a string value SET stores."""
    if len(value) <= 20 and _int_or_none(value) is not None:
        return "int"
    return "embstr" if len(value) <= EMBSTR_LIMIT else "raw"


def _rdb_len_size(n):
    """Bytes rdbSaveLen writes for a length."""
    if n < 64:
        return 1
    if n < 16384:
        return 2
    return 5 if n <= 0xFFFFFFFF else 9


def _rdb_int_size(v):
    """Bytes rdbEncodeInteger writes, 0 when the value needs more than 32 bits."""
    if -(1 << 7) <= v < (1 << 7):
        return 2
    if -(1 << 15) <= v < (1 << 15):
        return 3
    if -(1 << 31) <= v < (1 << 31):
        return 5
    return 0


def rdb_string_length(value, int_encoded):
    """DEBUG OBJECT's serializedlength of a string: what rdbSaveStringObject writes.

    Integers as 1-, 2- or 4-byte RDB integers when they fit, strings over 20
    bytes LZF-compressed when that saves at least 4 bytes (rdbcompression yes).
    """
    n = len(value)
    if int_encoded or n <= 11:
        v = _int_or_none(value)
        if v is not None and str(v).encode() == value:
            size = _rdb_int_size(v)
            if size:
                return size
            if int_encoded:
                return _rdb_len_size(n) + n
    if n > 20:
        comp = lzf_compress_len(value, n - 4)
        if comp:
            return 1 + _rdb_len_size(comp) + _rdb_len_size(n) + comp
    return _rdb_len_size(n) + n


def lzf_compress_len(data, out_len):
    """Length of liblzf's lzf_compress output (as Redis builds it), 0 if over out_len.

    A transcription of lzf_c.c with Redis's lzfP.h settings (HLOG 16,
    VERY_FAST, a hash table starting empty); only the length is kept.
    """
    in_len = len(data)
    if not in_len or not out_len:
        return 0
    hsize = 1 << 16
    htab = {}
    ip = 0
    op = 1                      # start run
    lit = 0
    in_end = in_len
    hval = (data[0] << 8) | data[1] if in_len > 1 else data[0] << 8
    while ip < in_end - 2:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
        slot = (((hval >> 8) - hval * 5) & (hsize - 1))
        ref = htab.get(slot, 0)
        htab[slot] = ip
        off = ip - ref - 1
        if (ref < ip and off < 8192 and ref > 0 and data[ref + 2] == data[ip + 2]
                and data[ref] == data[ip] and data[ref + 1] == data[ip + 1]):
            length = 2
            maxlen = min(in_end - ip - length, 264)
            if op + 4 >= out_len and op - (0 if lit else 1) + 4 >= out_len:
                return 0
            op -= 0 if lit else 1     # undo run if length is zero
            stop = False
            if maxlen > 16:
                for _ in range(16):
                    length += 1
                    if data[ref + length] != data[ip + length]:
                        stop = True
                        break
            if not stop:
                while True:
                    length += 1
                    if not (length < maxlen and data[ref + length] == data[ip + length]):
                        break
            length -= 2
            ip += 1
            op += 2 if length < 7 else 3
            lit = 0
            op += 1                 # start run
            ip += length + 1
            if ip >= in_end - 2:
                break
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[(((hval >> 8) - hval * 5) & (hsize - 1))] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[(((hval >> 8) - hval * 5) & (hsize - 1))] = ip
            ip += 1
        else:
            if op >= out_len:
                return 0
            lit += 1
            op += 1
            ip += 1
            if lit == 32:
                lit = 0
                op += 1
    if op + 3 > out_len:
        return 0
    while ip < in_end:
        lit += 1
        op += 1
        ip += 1
        if lit == 32:
            lit = 0
            op += 1
    op -= 0 if lit else 1
    return op



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
        "maxmemory-policy": "noeviction",
        "enable-debug-command": s.get("enable-debug-command", DEBUG_DEFAULT),
    }
