"""The slow path: administrative commands run in Python, in request order.

The kernel leaves a request here (QS_SLOW) when its command's `op` is
OP_SLOW or the command is unknown.  Such a request is always the last one of
its connection in the batch, so writing its reply now keeps the
connection's replies in order.

Layout: Admin (this module) dispatches, through the handlers and subcommand
tables the families declare (commands/family.py: slow_handlers, subcommands),
and answers HELLO, SELECT, RESET, FLUSHDB, FLUSHALL and INFO; its mixins
answer CLIENT (connection/client.py), OBJECT, MEMORY and DEBUG
(server/inspect.py; DEBUG RELOAD and LOADAOF are persistence/reload.py's),
CONFIG (server/config.py), COMMAND (server/command.py) and AUTH
(connection/auth.py, which also refuses commands before AUTH); what they
share is in slowpath.py.

Rules:
- A handler gets a `Call` (slot, protocol, argument bytes) and returns the
  reply bytes; it never touches sockets.  Errors come from errors.py.
- Transactions (EXEC, DISCARD, WATCH, UNWATCH) are txcmds.py's; EXEC runs
  the queued commands through `run`, like any other slow-path request.
- Before anything else (AUTH, MULTI's queuing), `_check` does Redis's
  existence and arity checks of a slow-path command: container commands
  (every command with subcommands in the generated Redis metadata: CONFIG,
  CLIENT, OBJECT ...) dispatch on a table of subcommands, whose arities come
  from the metadata, so `CONFIG GET` alone gets `wrong number of arguments
  for 'config|get'`, in MULTI too (the kernel leaves container commands to
  the slow path to check and queue).  It also records the client's last
  command (conn[C_LASTCMD]: the kernels record theirs) as a subcommand.
- Commands Redis 7.0 lacks but clients send (CLIENT SETINFO, from 7.2) are
  answered as the Redis release that added them does.
- Handlers never touch sockets, with one exception: CLIENT KILL shuts down
  the killed connection's socket (see _wake) so the event loop notices it at
  once, even when that client is idle, as Redis frees it at once.
- Per-subcommand statistics (`cmdstat_client|list`) and slow-path timings are
  kept here in `cmdstats`; cmdstats.py merges them with the kernels' counters.
"""
import time

from mako_numba.commands import registry as commands
from mako_numba.config import settings as config
from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.base.layout import (
    C_DB, C_FLAGS, C_ID, C_LASTCMD, C_OUT_SENT, C_OUT_WR, C_PROTO, CMD_UNKNOWN, F_CLOSE_NOW,
    F_MONITOR, F_MULTI, F_NOAUTH, F_REPLY_OFF, F_REPLY_SKIP, F_REPLY_SKIP_NEXT, F_TX_DIRTY, Q_ARG0,
    Q_ARGC, Q_CMD, Q_CONN, Q_START, S_COMMANDS, S_NFIELDS, S_SLOW, T_DIRTY, T_MAXMEM,
)
from mako_numba.commands.family import CF_CONTAINER, CF_DENYOOM, CF_NO_QUEUE, CF_READONLY, CF_WRITE
from mako_numba.store.evict import EVICT_FAIL, evict_for_slow_path
from mako_numba.observe.info import info_text
from mako_numba.commands.connection.client import ClientCommands
from mako_numba.commands.server.config import ConfigCommands
from mako_numba.commands.server.inspect import InspectCommands
from mako_numba.commands.transactions.slow import TransactionCommands
from mako_numba.commands.string.slow import StringCommands
from mako_numba.commands.hash.slow import HashCommands
from mako_numba.commands.sort.slow import SortCommands
from mako_numba.commands.scripting.slow import ScriptCommands
from mako_numba.commands.persistence.slow import PersistCommands
from mako_numba.observe.tracing import ObserveCommands
from mako_numba.commands.connection.auth import AuthCommands
from mako_numba.commands.server.command import CommandCommands
from mako_numba.persistence.reload import ReloadCommands
from mako_numba.commands.slowpath import (
    Call, ClientInfo, cstr, int_or_none, lower_arg, safe_name, last_cmd_code, sub_arity,
)

try:  # ctypes.string_at reads an argument straight from its address
    from ctypes import string_at
except ImportError:  # pragma: no cover
    string_at = None


# commands whose effects are the commands they ran, each propagated as it ran (Redis 7.0
# replicates scripts by their effects): the command itself is not
EFFECTS_PROPAGATED = frozenset({"exec", "eval", "evalsha", "eval_ro", "evalsha_ro"})


class Admin(ClientCommands, InspectCommands, ConfigCommands, TransactionCommands,
            StringCommands, HashCommands, PersistCommands, ObserveCommands, AuthCommands,
            CommandCommands, ReloadCommands, SortCommands, ScriptCommands):
    def __init__(self, core):
        self.core = core
        # each family declares its slow-path handlers and subcommand tables (commands/family.py)
        self.handlers = {}
        self.sub = {}
        for family in commands.FAMILIES:
            self.handlers.update(family.slow_handlers(self))
            self.sub.update(family.subcommands(self))
        # "name" or "container|sub" -> [calls, usec, rejected_calls, failed_calls]
        self.cmdstats = {}
        self.errorstats = {}        # slow-path error replies by code; the kernels' are S_ERRORS
        self._stat_name = None      # what the running handler counts as (set by _subcommand)
        self.last_unknown = None    # name of the last unknown command run
        self._rejected = False
        self._inner = False         # the running command is one of EXEC's
        self.evicted = 0            # what evicting before the running slow-path command gave

    # --- plumbing ------------------------------------------------------------------
    def connected(self, slot, peer, fd):
        self.core.clients[slot] = ClientInfo(peer=peer, fd=fd)
        self.auth_connected(slot)

    def disconnected(self, slot):
        self.core.observe.stop_monitor(slot)
        self.core.clients.pop(slot, None)
        self.core.watches.unwatch(slot)

    def execute(self, k):
        """Run slow-path request k of the batch's queue and write its reply."""
        core = self.core
        q = core.q
        slot = int(q[k, Q_CONN])
        if int(core.conn[slot, C_FLAGS]) & F_CLOSE_NOW:
            return                  # killed earlier in this batch: Redis freed it already
        a0, argc = int(q[k, Q_ARG0]), int(q[k, Q_ARGC])
        args = [string_at(int(core.args[i, 0]), int(core.args[i, 1])) for i in range(a0, a0 + argc)]
        self.run(slot, int(q[k, Q_CMD]), args, int(q[k, Q_START]))

    def run(self, slot, ci, args, start=0, inner=False):
        """Run one command (ci: its table index, or CMD_UNKNOWN) for a slot; write the reply.

        `inner`: a command of a transaction, run by EXEC (which itself keeps
        to CLIENT REPLY OFF|SKIP and counts as the one request).
        """
        core = self.core
        conn = core.conn
        call = Call(slot, int(conn[slot, C_PROTO]), args, start)
        core.stats[S_SLOW] += 1
        info = core.clients.get(slot)
        if info is not None:
            info.last_active = time.time()
        quiet_before = int(conn[slot, C_FLAGS]) & (F_REPLY_OFF | F_REPLY_SKIP)
        pending = core.pending_output(slot)
        if ci == CMD_UNKNOWN:
            self.last_unknown = args[0]     # the AOF loader refuses a file holding one
            if not inner:
                conn[slot, C_LASTCMD] = CMD_UNKNOWN     # Redis: lastcmd is the failed lookup, NULL
            self._flag_transaction(slot)    # EXEC will abort
            reply = self.unknown(args)
        elif (refused := self._check(call, ci, inner)) is not None:
            reply = refused
        elif (refused := self.noauth_blocks(slot, ci, args)) is not None:
            reply = refused
        elif int(conn[slot, C_FLAGS]) & F_MONITOR and commands.TABLE[ci][3] & (CF_WRITE | CF_READONLY):
            self._count_rejected(commands.NAMES[ci])
            reply = resp.error(errors.REPLICA_KEYSPACE)
        elif not inner and core.ks.tm[T_MAXMEM] and self._out_of_memory(ci):
            self._count_rejected(commands.NAMES[ci])
            reply = resp.error(errors.OOM)
        elif not inner and int(conn[slot, C_FLAGS]) & F_MULTI and not core.cmdt[5][ci] & CF_NO_QUEUE:
            reply = self.queue(call, ci)    # a container command (txcmds.py)
        else:
            dirty = int(core.ks.tm[T_DIRTY])
            self._inner = inner
            reply = self._call(call, ci)
            self._inner = False
            if core.propagation.on() and reply[:1] != b"-":
                self._propagate(slot, ci, args, reply, dirty)
        if reply[:1] == b"-":
            self.count_error(reply)
        if inner:
            core.write(slot, reply)
            return
        if quiet_before:        # what the handler wrote itself (EXEC's array) is dropped too
            conn[slot, C_OUT_WR] = conn[slot, C_OUT_SENT] + pending
        if not int(conn[slot, C_FLAGS]) & (F_REPLY_OFF | F_REPLY_SKIP):
            core.write(slot, reply)
        fl = int(conn[slot, C_FLAGS]) & ~F_REPLY_SKIP
        if fl & F_REPLY_SKIP_NEXT:
            fl = (fl | F_REPLY_SKIP) & ~F_REPLY_SKIP_NEXT
        conn[slot, C_FLAGS] = fl

    def _propagate(self, slot, ci, args, reply, dirty):
        """Propagate a slow-path command that changed the data set, as Redis does."""
        core = self.core
        name = commands.NAMES[ci]
        if name in EFFECTS_PROPAGATED or (int(core.ks.tm[T_DIRTY]) == dirty
                                          and name not in ("flushall", "flushdb")):
            return                          # EXEC's and a script's commands went one by one
        if name == "incrbyfloat":           # the result, so a replay gives the same digits
            args = [b"SET", args[1], reply.split(b"\r\n")[1], b"KEEPTTL"]
        elif name == "hincrbyfloat":
            args = [b"HSET", args[1], args[2], reply.split(b"\r\n")[1]]
        core.propagation.command(int(core.conn[slot, C_DB]), args)

    def _call(self, call, ci):
        """Run a known command's handler; keep its statistics; return its reply."""
        core = self.core
        name = commands.NAMES[ci]
        outer = self._stat_name, self._rejected         # EXEC runs commands inside itself
        self._stat_name = name
        self._rejected = False
        t0 = time.perf_counter_ns()
        reply = self.handlers[name](call)
        ns = time.perf_counter_ns() - t0
        stat_name = self._stat_name
        if stat_name is not None:
            row = self.cmdstats.setdefault(stat_name, [0, 0, 0, 0])
            if self._rejected:
                row[2] += 1
            else:
                row[0] += 1
                row[1] += ns // 1000
                core.observe.record_slow_path(ci, stat_name, ns)
                core.observe.ran(call.slot, stat_name, call.shown(), ns)
                if reply[:1] == b"-":
                    row[3] += 1
                core.stats[S_COMMANDS] += 1
                if stat_name == name:
                    core.stats[S_NFIELDS + ci] += 1
        self._stat_name, self._rejected = outer
        return reply

    def _out_of_memory(self, ci):
        """Evict before a slow-path command, as Redis does before every command: must ci be
        refused with -OOM?  The outcome stays in self.evicted for EXEC's own check."""
        self.evicted = evict_for_slow_path(self.core)
        return self.evicted == EVICT_FAIL and self.core.cmdt[5][ci] & CF_DENYOOM

    def _count_rejected(self, name):
        """Refused before running (Redis's rejectCommand): a rejected call of name (or container|sub)."""
        self.cmdstats.setdefault(name, [0, 0, 0, 0])[2] += 1

    def count_error(self, reply):
        """INFO errorstats: error replies by their first word (ERR, EXECABORT, NOPROTO ...)."""
        code = reply[1:].split(b" ", 1)[0].split(b"\r", 1)[0].decode("latin-1")
        self.errorstats[code] = self.errorstats.get(code, 0) + 1

    @staticmethod
    def unknown(args):
        """Redis's unknown-command error: name cut at 128, args while under 128 chars.

        Redis formats with printf's %.*s, which also stops at a NUL byte.
        """
        text = b""
        for a in args[1:]:
            if len(text) >= 128:
                break
            text += b"'" + cstr(a)[:128 - len(text)] + b"' "
        name = cstr(args[0])[:128]
        return resp.error(b"ERR unknown command '" + name + b"', with args beginning with: " + text)

    def _check(self, call, ci, inner):
        """Redis's commandCheckExistence and commandCheckArity for a slow-path command: None
        when it may go on, else the error reply (a rejected call; an open transaction is
        flagged, and EXEC's own is an EXECABORT that ends it).  Records the client's last
        command (CLIENT LIST's cmd=): the subcommand, or NULL for an unknown one."""
        args = call.args
        conn = self.core.conn
        full = commands.NAMES[ci]
        arity = commands.TABLE[ci][1]
        if self.core.cmdt[5][ci] & CF_CONTAINER and len(args) >= 2:
            if lower_arg(args[1]) not in self.sub[full]:
                if not inner:
                    conn[call.slot, C_LASTCMD] = CMD_UNKNOWN
                self._flag_transaction(call.slot)
                return resp.error(errors.UNKNOWN_SUBCOMMAND.encode() % (
                    cstr(args[1])[:128], cstr(args[0]).upper()))
            full += "|" + lower_arg(args[1])
            arity = sub_arity(full)
        if not inner:
            conn[call.slot, C_LASTCMD] = last_cmd_code(full)
        if (arity > 0 and len(args) != arity) or len(args) < -arity:
            self._count_rejected(full)
            if full == "exec":              # Redis's execCommandAbort: the transaction ends
                self._end_transaction(call.slot)
                return resp.error(errors.EXECABORT_BECAUSE % errors.ARITY_TEXT % "exec")
            self._flag_transaction(call.slot)
            return resp.error(errors.WRONG_ARITY % full)
        return None

    def _flag_transaction(self, slot):
        """Redis's flagTransaction: an error while queuing makes EXEC abort."""
        if int(self.core.conn[slot, C_FLAGS]) & F_MULTI:
            self.core.conn[slot, C_FLAGS] |= F_TX_DIRTY

    def _subcommand(self, call, container):
        """Dispatch `container sub ...` (_check found it); counts under `container|sub` like Redis."""
        sub = lower_arg(call.args[1])
        self._stat_name = container + "|" + sub
        return self.sub[container][sub](call)

    def help(self, call):
        """CONFIG|CLIENT|COMMAND HELP: Redis's own help text, as it sends it."""
        meta = commands.redis_metadata()["commands"][lower_arg(call.args[0])]
        return meta["help_resp3" if call.proto == 3 else "help_resp2"].encode("latin-1")

    # --- connection ------------------------------------------------------------------
    def hello(self, call):
        """HELLO [protover [AUTH username password] [SETNAME clientname]], as helloCommand.

        Options are taken in order and each acts at once: a login or a name
        stays when a later option fails (or NOAUTH comes at the end).
        """
        args = call.args
        ver = 0
        j = 1
        core = self.core
        if len(args) >= 2:
            ver = int_or_none(args[1])
            if ver is None:
                return resp.error(errors.PROTOCOL_VERSION_INVALID)
            if ver < 2 or ver > 3:
                return resp.error(errors.NOPROTO)
            j = 2
        while j < len(args):
            opt = lower_arg(args[j])
            more = len(args) - 1 - j
            if opt == "auth" and more >= 2:         # Redis logs in here, before later options
                call.redact(j + 1)
                call.redact(j + 2)
                if not self.credentials_ok(args[j + 1], args[j + 2]):
                    return resp.error(errors.WRONGPASS)
                self.set_authenticated(call.slot, True)
                j += 3
            elif opt == "setname" and more >= 1:
                if not safe_name(args[j + 1]):
                    return resp.error(errors.CLIENT_NAME_SPACES)
                core.clients[call.slot].name = args[j + 1]
                j += 2
            else:
                return resp.error(errors.HELLO_SYNTAX % cstr(args[j]).decode("latin-1"))
        if int(core.conn[call.slot, C_FLAGS]) & F_NOAUTH:
            return resp.error(errors.NOAUTH_HELLO)
        if ver:
            core.conn[call.slot, C_PROTO] = ver
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
        """SELECT index: getIntFromObjectOrReply's two errors, then selectDb's."""
        db = int_or_none(call.args[1])
        if db is None:
            return resp.error(errors.NOT_INTEGER)
        if not -2**31 <= db < 2**31:
            return resp.error(errors.INT_RANGE)
        if db < 0 or db >= self.core.ks.databases:
            return resp.error(errors.OUT_OF_RANGE_DB)
        self.core.conn[call.slot, C_DB] = db
        return resp.simple("OK")

    def reset(self, call):
        core = self.core
        self._end_transaction(call.slot)
        core.conn[call.slot, C_DB] = 0
        core.conn[call.slot, C_PROTO] = 2
        core.observe.stop_monitor(call.slot)
        core.clients[call.slot].name = b""         # CLIENT NO-EVICT stays, as in Redis
        core.conn[call.slot, C_FLAGS] &= ~(F_REPLY_OFF | F_REPLY_SKIP_NEXT)
        self.auth_connected(call.slot)
        return resp.simple("RESET")

    # --- keyspace ------------------------------------------------------------------------
    def _flush_mode_ok(self, call):
        if len(call.args) > 2:
            return False
        return len(call.args) == 1 or lower_arg(call.args[1]) in ("async", "sync")

    def flushall(self, call):
        if not self._flush_mode_ok(call):
            return resp.error(errors.SYNTAX)
        self.core.watches.flushing()
        self.core.ks.reset()
        self.core.watches.flushed()
        self.after_flushall()
        return resp.simple("OK")

    def flushdb(self, call):
        if not self._flush_mode_ok(call):
            return resp.error(errors.SYNTAX)
        ks = self.core.ks
        db = int(self.core.conn[call.slot, C_DB])
        self.core.watches.flushing(db)
        if ks.keys(db) == ks.keys():
            ks.reset()
        else:
            from mako_numba.store.table import flush_db
            flush_db(ks.T, self.core.lim, db)
        self.core.watches.flushed()
        return resp.simple("OK")

    def info(self, call):
        sections = [lower_arg(a) for a in call.args[1:]]
        return resp.verbatim(info_text(self.core, sections), call.proto)
