"""EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|KILL|HELP (eval.c).

A mixin of Admin.  A script runs to its end inside the command, so nothing else runs
meanwhile (the event loop is in this call).  Its `redis.call`s run through a client
slot of the Core opened for the script (replies on, blocking denied, the caller's
database, the protocol of redis.setresp) by Core.run_queued, the path EXEC's queued
commands take: the kernels' own commands with a private queue, so the batch that runs
the script keeps its rows, and replies, errors, WRONGTYPE, OOM and statistics are
those of the command run directly.  The script's effects reach the propagation
stream wrapped in MULTI ... EXEC when there is more than one, as Redis 7.0 sends
them (inside EXEC, the transaction's own wrapping holds them).

Checks before a command runs, in scriptCall's order: at least one argument, each a
string or a number (a number as "%.17g"); the command exists (a container's
subcommand too) with a fitting arity; it is not flagged `noscript`; a read-only run
(EVAL_RO, or the `no-writes` shebang flag) refuses `write` commands.

Not yet (see the issue's notes): busy scripts and SCRIPT KILL of a running script,
functions (FUNCTION, FCALL), cjson,
cmsgpack, bit and struct, SCRIPT DEBUG, MONITOR lines for the script's commands.
"""
import hashlib
import logging

from mako_numba.base.layout import C_DB, C_FLAGS, C_PROTO, C_RD, C_WR, F_DENY_BLOCK, F_NOAUTH
from mako_numba.commands import registry as commands
from mako_numba.commands.slowpath import int_or_none, lower_arg
from mako_numba.protocol import errors, resp
from mako_numba.scripting import convert
from mako_numba.scripting.lua import Lua

log = logging.getLogger("mako_numba")

SHEBANG_FLAGS = {b"no-writes": 1, b"allow-oom": 2, b"allow-stale": 4, b"no-cluster": 8,
                 b"allow-cross-slot-keys": 32}
FLAG_NO_WRITES = 1
LOG_LEVELS = (logging.DEBUG, logging.DEBUG, logging.INFO, logging.WARNING)


def shebang(body):
    """evalExtractShebangFlags: (flags or None when there is no shebang, Lua source, error)."""
    if not body.startswith(b"#!"):
        return None, body, None
    end = body.find(b"\n")
    if end < 0:
        return None, body, errors.SHEBANG_INVALID
    parts = body[:end].split()
    if not parts:
        return None, body, errors.SHEBANG_NO_ENGINE
    if parts[0] != b"#!lua":
        return None, body, errors.SHEBANG_ENGINE % parts[0].decode("latin-1")
    flags = 0
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            return None, body, errors.SHEBANG_OPTION % part.decode("latin-1")
        for name in part[6:].split(b","):
            if name not in SHEBANG_FLAGS:
                return None, body, errors.SHEBANG_FLAG % name.decode("latin-1")
            flags |= SHEBANG_FLAGS[name]
    return flags, body[end:], None      # the line feed stays: line numbers are the user's


class ScriptCommands:
    _lua = None
    _script_flags = {}          # sha -> shebang flags (None: no shebang)

    def lua(self):
        if self._lua is None:
            self._lua = Lua(self._lua_call, self._lua_log)
            self._script_flags = {}
            self._run = None
        return self._lua

    # --- the commands ----------------------------------------------------------
    def eval(self, call):
        return self._eval(call, False, False)

    def evalsha(self, call):
        return self._eval(call, True, False)

    def eval_ro(self, call):
        return self._eval(call, False, True)

    def evalsha_ro(self, call):
        return self._eval(call, True, True)

    def _eval(self, call, by_sha, ro):
        args = call.args
        if by_sha and len(args[1]) != 40:
            return resp.error(errors.NOSCRIPT)
        numkeys = int_or_none(args[2])
        if numkeys is None:
            return resp.error(errors.NOT_INTEGER)
        if numkeys > len(args) - 3:
            return resp.error(errors.NUMKEYS_TOO_BIG)
        if numkeys < 0:
            return resp.error(errors.NUMKEYS_NEGATIVE)
        lua = self.lua()
        if by_sha:
            sha = args[1].lower()
            if sha not in lua.scripts:
                return resp.error(errors.NOSCRIPT)
        else:
            sha, err = self._create(args[1])
            if sha is None:
                return resp.error(err)
        flags = self._script_flags.get(sha)
        if ro and flags is not None and not flags & FLAG_NO_WRITES:
            return resp.error(errors.SCRIPT_RO_WRITE)
        read_only = ro or (flags is not None and flags & FLAG_NO_WRITES)
        return self._run_script(call, sha, args[3:3 + numkeys], args[3 + numkeys:], read_only)

    def _create(self, body):
        """luaCreateFunction: (sha, None) or (None, the error text)."""
        lua = self.lua()
        flags, source, err = shebang(body)
        if err:
            return None, err
        sha = hashlib.sha1(body).hexdigest().encode()
        if sha in lua.scripts:
            return sha, None
        got, cerr = lua.load(source, sha)
        if got is None:
            return None, errors.SCRIPT_COMPILE % cerr.decode("latin-1")
        self._script_flags[sha] = flags
        return sha, None

    def _run_script(self, call, sha, keys, argv, read_only):
        core = self.core
        lua = self.lua()
        slot = core.open(peer=("lua", 0))
        if slot is None:
            return resp.error(errors.MAX_CLIENTS_REACHED)
        conn = core.conn
        conn[slot, C_DB] = conn[call.slot, C_DB]
        conn[slot, C_FLAGS] = (conn[slot, C_FLAGS] & ~F_NOAUTH) | F_DENY_BLOCK
        self._run = (slot, read_only)
        nested = self.in_exec           # EVAL inside EXEC: the transaction wraps the effects
        if not nested:
            core.propagation.exec_begin()   # effects go out as MULTI ... EXEC (Redis 7.0)
        try:
            ok, result = lua.run(sha, keys, argv)
        finally:
            self._run = None
            if not nested:
                core.propagation.exec_end()
            core.close(slot)
        proto = call.proto
        if ok:
            return convert.lua_to_reply(result, proto, lua.resp, lua.lua_type)
        if lua.lua_type(result) != "table":
            msg = result if isinstance(result, bytes) else b"execution failure"
            return resp.error(errors.SCRIPT_RUN_FAILED.encode() % (sha, msg[:100]))
        err = result[b"err"]
        text = err if isinstance(err, bytes) else b""
        source, line = result[b"source"], result[b"line"]
        if source is not None and line is not None:
            text += errors.SCRIPT_ERROR_AT.encode() % (
                sha, _lua_str(source), _lua_str(line))
        return resp.error(text)

    # --- redis.call / redis.pcall -------------------------------------------------
    def _lua_call(self, raise_error, args):
        """Run one command for the running script: (raise it, Lua value)."""
        lua = self._lua
        if not args:
            return True, convert.error_table(lua.runtime, errors.LUA_NO_ARGS.encode())
        argv = []
        for a in args:
            if isinstance(a, bytes):
                argv.append(a)
            elif isinstance(a, (int, float)) and not isinstance(a, bool):
                argv.append(b"%.17g" % a)
            else:
                return True, convert.error_table(lua.runtime, errors.LUA_BAD_ARG.encode())
        err = self._script_call_check(argv)
        if err is not None:
            return raise_error, convert.error_table(lua.runtime, err.encode(), True)
        slot, _ = self._run
        core = self.core
        conn = core.conn
        conn[slot, C_PROTO] = lua.resp
        data = resp.bulk_array(argv)
        conn[slot, C_RD] = conn[slot, C_WR] = 0
        core.feed(slot, data)
        # EXEC's path: a private queue, so the batch that runs this script keeps its rows
        core.run_queued(slot, 0, len(data))
        conn[slot, C_RD] = conn[slot, C_WR] = 0
        out = bytes(core.output(slot))
        core.sent(slot, len(out))
        value, is_error = convert.reply_to_lua(lua.runtime, out)
        return is_error and raise_error, value

    def _script_call_check(self, argv):
        """scriptCall's checks before the command runs: None, or the error text."""
        meta = commands.redis_metadata()["commands"]
        name = argv[0].decode("latin-1").lower()
        entry = meta.get(name) if name in commands.INDEX else None
        if entry is not None and name in commands.containers() and len(argv) > 1:
            entry = meta.get(name + "|" + argv[1].decode("latin-1").lower())
        if entry is None:
            return errors.LUA_UNKNOWN_COMMAND
        arity = entry["arity"]
        if (arity > 0 and arity != len(argv)) or len(argv) < -arity:
            return errors.LUA_WRONG_ARITY
        flags = entry["flags"]
        if "noscript" in flags:
            return errors.LUA_NOT_ALLOWED
        if self._run[1] and "write" in flags:
            return errors.LUA_WRITE_IN_RO
        return None

    def _lua_log(self, level, message):
        log.log(LOG_LEVELS[int(level)], message.decode("latin-1"))

    # --- SCRIPT ----------------------------------------------------------------
    def script(self, call):
        return self._subcommand(call, "script")

    def script_load(self, call):
        sha, err = self._create(call.args[2])
        if sha is None:
            return resp.error(err)
        return resp.bulk(sha)

    def script_exists(self, call):
        scripts = self.lua().scripts
        return resp.array([resp.integer(1 if a.lower() in scripts else 0) for a in call.args[2:]])

    def script_flush(self, call):
        args = call.args
        if len(args) > 3 or (len(args) == 3 and lower_arg(args[2]) not in ("sync", "async")):
            return resp.error(errors.SCRIPT_FLUSH_ARGS)
        self._lua = None            # a fresh interpreter, as scriptingReset
        return resp.simple("OK")

    def script_kill(self, call):
        return resp.error(errors.NOTBUSY)

    def script_memory(self):
        """INFO memory's (Lua VM bytes, script cache bytes, cached scripts), as Redis counts
        them: the interpreter's own count (collectgarbage), each script's body and SHA."""
        lua = self.lua()
        scripts = lua.scripts
        return (lua.memory(), sum(len(body) + 40 for body, _ in scripts.values()), len(scripts))


def _lua_str(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).encode()
