"""The Lua 5.1 interpreter scripts run in, and what a script sees there.

The runtime is lupa's `lua51` module: the reference Lua 5.1 (the version Redis
embeds), built into lupa's wheels, so scripts get Lua 5.1's numbers, strings and
error texts without an interpreter of our own.  lupa runs with encoding=None: Lua
strings are Python bytes both ways.

What a script sees, as Redis 7.0's scriptingInit sets it up:
- the base library without dofile, loadfile and print; table, string, math;
  coroutine; no os, io, package or debug (the error handler keeps a private
  reference to debug.getinfo);
- the `redis` table: call, pcall, error_reply, status_reply, sha1hex, log and
  LOG_*, setresp, set_repl and REPL_*, replicate_commands, breakpoint, debug,
  REDIS_VERSION, REDIS_VERSION_NUM;
- `pcall` returning an error table's `err` string, as luaRedisPcall does;
- globals locked: reading a missing one raises "Script attempted to access
  nonexistent global variable", assigning any raises "Attempt to modify a
  readonly table", and so do writes into the library tables.  Redis does this in
  its patched Lua VM (readonly tables); here each script runs with an environment
  table (setfenv) whose metatable refuses writes, and `_G` and the libraries are
  read-only proxies.  Differences: rawset on them is not refused, and pairs() over
  a library proxy sees nothing;
- KEYS and ARGV, set before each run.

The error handler is Redis's __redis__err__handler, extended to skip the frames of
our own Lua glue (chunk "=[redis]"), so an error raised by redis.call is placed on
the script's line as Redis places it.

Rules: no I/O here.  `Lua` calls `call(raise_error, args)` (commands/scripting) to
run a command and get back (is_error, Lua value).  redis.call and redis.pcall are
Python functions, which Lua sees as C functions, as Redis's are (`return
redis.call(...)` is then no tail call that would lose the script's line); redis.call
raises its error as a ScriptError, which the error handler and pcall unwrap into the
error table.  Everything else is in Lua.
"""
import hashlib

from lupa import lua51

from mako_numba.protocol import errors
from mako_numba.scripting import convert

REDIS_VERSION = b"7.0.15"
REDIS_VERSION_NUM = 0x07000F
GLUE = "=[redis]"       # chunk name of our Lua code: the error handler looks past it

BOOT = r"""
local py_call, py_pcall, py_unwrap, py_log, py_setresp, py_sha1hex, py_error_reply, version,
      version_num, msgs = ...
local G = _G
local dbg = debug
local error, type, tostring, select, rawget, rawset, setmetatable, setfenv, loadstring, xpcall,
      unpack, pairs, next =
      error, type, tostring, select, rawget, rawset, setmetatable, setfenv, loadstring, xpcall,
      unpack, pairs, next
local lua_pcall = pcall

os, io, package, require, module, dofile, loadfile, print, debug, python = nil

local function err_table(msg) return {err = 'ERR ' .. msg} end

local redis = {}
-- Python functions, so C functions to Lua, as Redis's are: `return redis.call(...)` keeps the
-- script's frame (no tail call), and an error is raised from them (a ScriptError, unwrapped
-- by the handler and by pcall below)
redis.call = py_call
redis.pcall = py_pcall
local function single_field(field, ...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return err_table(msgs.error_reply_args)
  end
  return {[field] = s}
end
function redis.status_reply(...) return single_field('ok', ...) end
redis.error_reply = py_error_reply
-- these raise errors, so they are Python (C) functions too: see redis.call above
redis.sha1hex = py_sha1hex
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.log = py_log
redis.setresp = py_setresp
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
function redis.set_repl(...) end
function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end
redis.REDIS_VERSION = version
redis.REDIS_VERSION_NUM = version_num

local function unwrap(err)
  if type(err) == 'userdata' then
    local t = py_unwrap(err)
    if t then return t end
  end
  return err
end

pcall = function(...)
  local res = {lua_pcall(...)}
  if not res[1] then
    res[2] = unwrap(res[2])
    if type(res[2]) == 'table' and type(res[2].err) == 'string' then res[2] = res[2].err end
  end
  return unpack(res, 1, table.maxn(res))
end

local glue = msgs.glue
local function handler(err)
  err = unwrap(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source == glue) do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

-- read-only views of the library tables and of the globals
local function readonly(t)
  return setmetatable({}, {
    __index = t,
    __newindex = function() error(msgs.readonly, 2) end,
    __metatable = false,
  })
end
G.redis = redis
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'redis'}) do
  G[name] = readonly(G[name])
end
local env = setmetatable({}, {
  __index = function(_, k)
    local v = rawget(G, k)
    if v == nil then error(string.format(msgs.no_global, tostring(k)), 2) end
    return v
  end,
  __newindex = function() error(msgs.readonly, 2) end,
  __metatable = false,
})
rawset(G, '_G', env)

local function compile(body)
  local f, err = loadstring(body, '@user_script')
  if not f then return false, err end
  setfenv(f, env)
  return f, false
end

local function run(f, keys, argv)
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', argv)
  local res = {xpcall(f, handler)}
  return res[1], res[2]      -- one result, as lua_pcall(lua, 0, 1, ...)
end

return compile, run
"""


def _lua_number(v):
    """lua_isnumber/lua_tonumber: a number, or a string Lua reads as one; else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, bytes):
        try:
            return float(v.strip()) if v.strip() else None
        except ValueError:
            try:
                return float(int(v.strip(), 16)) if v.strip().lower().startswith((b"0x", b"-0x")) else None
            except ValueError:
                return None
    return None


class ScriptError(Exception):
    """redis.call's error: raised through Lua as a Lua error, carrying its {err=...} table."""

    def __init__(self, table):
        super().__init__("script error")
        self.table = table


class Lua:
    """One interpreter and its script cache (sha1 hex -> (body, compiled function))."""

    def __init__(self, call, log):
        """call(raise_error, args) -> (is_error, Lua value); log(level, bytes)."""
        self.runtime = lua51.LuaRuntime(encoding=None, register_eval=False,
                                        register_builtins=False, unpack_returned_tuples=True)
        self.resp = 2
        msgs = self.runtime.table_from({
            b"error_reply_args": errors.LUA_ERROR_REPLY_ARGS.encode(),
            b"readonly": errors.LUA_READONLY_TABLE.encode(),
            b"no_global": errors.LUA_NO_GLOBAL.encode(),
            b"glue": GLUE.encode(),
        })
        loader = self.runtime.eval("function(src) return loadstring(src, %r) end" % GLUE)
        chunk = loader(BOOT.encode())
        def py_call(*args):
            bad, value = call(True, args)
            if bad:
                raise ScriptError(value)
            return value

        def py_unwrap(e):
            return e.table if isinstance(e, ScriptError) else None

        def fail(text):
            t = self.runtime.table()
            t[b"err"] = b"ERR " + text.encode()
            raise ScriptError(t)

        def py_sha1hex(*args):
            """luaRedisSha1hexCommand: lua_tolstring of its one argument (a number as Lua
            prints it, anything else as nothing)."""
            if len(args) != 1:
                fail(errors.LUA_SHA1HEX_ARGS)
            s = args[0]
            if isinstance(s, (int, float)) and not isinstance(s, bool):
                s = self._tostring(s)
            elif not isinstance(s, bytes):
                s = b""
            return hashlib.sha1(s).hexdigest().encode()

        def py_log(*args):
            """luaLogCommand: redis.log(level, message ...)."""
            if len(args) < 2:
                fail(errors.LUA_LOG_ARGS)
            level = _lua_number(args[0])
            if level is None:
                fail(errors.LUA_LOG_LEVEL)
            level = int(level)
            if level < 0 or level > 3:
                fail(errors.LUA_LOG_LEVEL_RANGE)
            parts = [self._tostring(a) if isinstance(a, (int, float)) and not isinstance(a, bool)
                     else a for a in args[1:] if isinstance(a, (bytes, int, float))
                     and not isinstance(a, bool)]
            log(level, b" ".join(parts))

        def py_setresp(*args):
            """luaSetResp: redis.setresp(2 or 3)."""
            if len(args) != 1:
                fail(errors.LUA_SETRESP_ARGS)
            v = _lua_number(args[0])
            if v is None or int(v) not in (2, 3):
                fail(errors.LUA_SETRESP_VALUE)
            self.resp = int(v)

        def py_error_reply(*args):
            """luaRedisErrorReplyCommand: {err=...} from one string, "-" added when missing."""
            if len(args) != 1 or not isinstance(args[0], bytes):
                return convert.error_table(self.runtime, errors.LUA_ERROR_REPLY_ARGS.encode())
            s = args[0]
            return convert.error_table(self.runtime, s if s[:1] == b"-" else b"-" + s)

        self._compile, self._run = chunk(
            py_call, lambda *args: call(False, args)[1], py_unwrap, py_log, py_setresp,
            py_sha1hex, py_error_reply, REDIS_VERSION, REDIS_VERSION_NUM, msgs)
        self._tostring = self.runtime.eval("tostring")
        self._gccount = self.runtime.eval("function() return collectgarbage('count') end")
        self.scripts = {}
        self.lua_type = lua51.lua_type

    def load(self, source, sha):
        """Compile `source` (a script's body less its shebang line) and cache it under `sha`
        (the whole body's SHA1 hex): (sha, None), or (None, Lua's compile error)."""
        if sha in self.scripts:
            return sha, None
        f, err = self._compile(source)
        if f is False:
            return None, err
        self.scripts[sha] = (source, f)
        return sha, None

    def run(self, sha, keys, argv):
        """Run a cached script: (True, result) or (False, error value)."""
        self.resp = 2
        f = self.scripts[sha][1]
        return self._run(f, self.runtime.table_from(list(keys)), self.runtime.table_from(list(argv)))

    def memory(self):
        """Bytes the interpreter holds (lua_gc(LUA_GCCOUNT) * 1024, as Redis reports it)."""
        return int(self._gccount() * 1024)

    def table(self):
        return self.runtime.table()

    def flush(self):
        self.scripts.clear()
