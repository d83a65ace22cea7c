"""EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT against Redis 7.0.15, byte for byte over RESP2
and RESP3.

Each case runs the same scripts on both servers: Lua values into replies (numbers
truncated, false as nil, tables stopping at the first nil, {ok=}, {err=}, doubles,
maps and sets under redis.setresp(3)), replies into Lua values (what redis.call gives
a script, returned back as it is), redis.call and redis.pcall errors with the
script's line ("script: f_<sha>, on @user_script:N."), the checks before a command
runs in a script (unknown, arity, noscript, writes from read-only runs), the sandbox
(globals locked, library tables read-only, no os/io/loadfile/dofile/print), compile
errors, shebang flags, numkeys errors, NOSCRIPT, SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP,
blocking commands inside a script answering at once, scripts queued in MULTI and run
by EXEC, and a script's write seen by WATCH.
"""
from difftest import cmds, differential


def ev(body, *rest):
    """EVAL body numkeys=len(keys) keys... args...: ev(body, [keys], args...)."""
    keys = list(rest[0]) if rest and isinstance(rest[0], (list, tuple)) else []
    args = list(rest[1:]) if rest and isinstance(rest[0], (list, tuple)) else list(rest)
    return ["EVAL", body, str(len(keys))] + keys + [str(a) for a in args]


CASES = [
    ("lua_to_reply", cmds(
        ev("return 1"), ev("return 3.99"), ev("return -3.99"), ev("return 'x'"), ev("return true"),
        ev("return false"), ev("return nil"), ev("return {}"), ev("return {1, 2, {3, 'x'}, false, 'y'}"),
        ev("return {1, nil, 3}"), ev("return {ok='FINE'}"), ev("return {err='My Error'}"),
        ev("return {err='no code'}"), ev("return redis.status_reply('OK')"),
        ev("return redis.error_reply('-CODE with text')"), ev("return redis.error_reply('plain')"),
        ev("return redis.error_reply(1)"), ev("return redis.status_reply()"), ev("return {ok=1}"),
        ev("return 1e300"), ev("return -0.5"), ev("return {1, {ok='in'}, {err='ERR nested'}}"),
        ev("return {x=1, y=2}"), ev("return ARGV", [], "a", "b"), ev("return KEYS", ["k1", "k2"], "a"),
        ev("return {double=3.5}"), ev("return {map={a=1}}"), ev("return {set={a=true}}"),
        ev("return {big_number='123'}"), ev("return 'a\\0b'"),
    )),
    ("reply_to_lua", cmds(
        ev("return redis.call('set', KEYS[1], ARGV[1])", ["k"], "v"),
        ev("return redis.call('get', KEYS[1])", ["k"]), ev("return redis.call('get', 'missing')"),
        ev("return type(redis.call('get', 'missing'))"), "RPUSH l a b c",
        ev("return redis.call('lrange', 'l', 0, -1)"), ev("return redis.call('llen', 'l')"),
        ev("return redis.call('ping')"), ev("return type(redis.call('ping'))"),
        ev("local r = redis.call('ping'); return r.ok"), ev("return redis.call('incrbyfloat', 'f', 1.5)"),
        ev("return redis.call('lpop', 'missing', 2)"), ev("return redis.call('set', 'n', 3.0)"),
        ev("return redis.call('get', 'n')"), ev("return redis.call('set', 'n', 0.1)"),
        ev("return redis.call('get', 'n')"), "HSET h a 1 b 2", ev("return redis.call('hgetall', 'h')"),
        "ZADD z 1.5 m", ev("return redis.call('zscore', 'z', 'm')"),
        ev("return redis.call('zrange', 'z', 0, -1, 'withscores')"),
    )),
    ("resp3_inside", cmds(
        "HSET h a 1", "SADD s x", "ZADD z 2.5 m", "SET k v",
        ev("redis.setresp(3); return redis.call('hgetall', 'h')"),
        ev("redis.setresp(3); local r = redis.call('hgetall', 'h'); return r.map.a"),
        ev("redis.setresp(3); return redis.call('smembers', 's')"),
        ev("redis.setresp(3); return redis.call('zscore', 'z', 'm')"),
        ev("redis.setresp(3); local r = redis.call('zscore', 'z', 'm'); return r.double"),
        ev("redis.setresp(3); return redis.call('get', 'missing')"),
        ev("redis.setresp(3); return type(redis.call('get', 'missing'))"),
        ev("redis.setresp(3); return redis.call('exists', 'k') == 1"),
        ev("redis.setresp(3); return true"), ev("redis.setresp(3); return false"),
        ev("redis.setresp(4)"), ev("redis.setresp()"),
    )),
    ("errors_with_place", cmds(
        "SET k v", ev("return redis.call('incr', KEYS[1])", ["k"]),
        ev("local a = 1\nreturn redis.call('incr', 'k')"),
        ev("return redis.pcall('incr', 'k')"), ev("local r = redis.pcall('incr', 'k'); return r.err"),
        ev("return redis.call('nosuch')"), ev("return redis.call('get')"), ev("return redis.call('multi')"),
        ev("return redis.call('eval', 'return 1', 0)"), ev("return redis.call()"),
        ev("return redis.call('get', {})"), ev("return redis.call('get', true)"),
        ev("return redis.call('client', 'nosuch')"), ev("return error('boom')"),
        ev("error({err='CUSTOM failure'})"), ev("return x"), ev("x = 1"), ev("local t = nil; return t.x"),
        ev("return pcall(function() redis.call('incr', 'k') end)"),
        ev("local ok, e = pcall(function() error('inner') end); return e"),
        ev("return redis.call('lpush', 'k', 'x')"),
        ev("local function f()\n  return redis.call('incr', 'k')\nend\nreturn f()"),
    )),
    ("read_only", cmds(
        ["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"],
        ["EVAL_RO", "return redis.call('get', 'a')", "0"],
        ev("#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')"),
        ev("#!lua flags=no-writes\nreturn redis.call('get', 'a')"),
        ["EVAL_RO", "#!lua\nreturn 1", "0"], ["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
        ev("#!lua\nreturn redis.call('set', 'a', 'c')"), "GET a",
    )),
    ("shebang", cmds(
        ev("#!lua"), ev("#!lua\nreturn 2"), ev("#!luaX\nreturn 1"), ev("#!lua flags=bogus\nreturn 1"),
        ev("#!lua opt=1\nreturn 1"), ev("#!lua flags=no-writes,allow-oom\nreturn 3"),
        ev("#!lua\nreturn error('line')"), ev("#! \nreturn 1"),
    )),
    ("sandbox", cmds(
        ev("return type(os)"), ev("return type(io)"), ev("return type(loadfile)"), ev("return type(dofile)"),
        ev("return type(print)"), ev("return type(debug)"), ev("return type(string.format)"),
        ev("string.len = 1"), ev("math.x = 1"), ev("redis.call = 1"), ev("return type(_G)"),
        ev("_G.y = 1"), ev("KEYS = {}"), ev("return tostring(1/0)"), ev("return string.format('%5.2f', 3.14159)"),
        ev("return math.floor(-3.5)"), ev("return #ARGV", [], "a", "b", "c"), ev("return _VERSION"),
        ev("return type(loadstring)"), ev("return type(coroutine.create)"), ev("return unpack({1, 2})"),
        ev("return select('#', 1, 2, 3)"), ev("return tonumber('0x10')"), ev("return tostring(nil)"),
        ev("return redis.REDIS_VERSION"), ev("return redis.REDIS_VERSION_NUM"),
        ev("return redis.sha1hex('abc')"), ev("return redis.sha1hex(12)"), ev("return redis.sha1hex()"),
        ev("return redis.LOG_WARNING"), ev("redis.log(redis.LOG_WARNING, 'from', 'a script')"),
        ev("redis.log(9, 'x')"), ev("redis.log('x')"), ev("return redis.replicate_commands()"),
        ev("return redis.breakpoint()"), ev("redis.set_repl(redis.REPL_ALL)"),
    )),
    ("compile_errors", cmds(
        ev("retur 1"), ev("return 'unfinished"), ev("end"), ev("return (1"), ev(""),
    )),
    ("numkeys_and_sha", cmds(
        ["EVAL", "return 1", "2", "k"], ["EVAL", "return 1", "-1"], ["EVAL", "return 1", "x"],
        ["EVAL", "return 1"], ["EVALSHA", "abc", "0"], ["EVALSHA", "f" * 40, "0"],
        ["EVALSHA", "abc", "x"], ["SCRIPT", "LOAD", "return 'loaded'"],
        ["EVALSHA", "9f4a9d75fa46d6cab1b7a1b0c2c3e0d4f2dfa0f6", "0"],
        ["SCRIPT", "EXISTS", "9f4a9d75fa46d6cab1b7a1b0c2c3e0d4f2dfa0f6", "f" * 40],
        ["SCRIPT", "LOAD", "return 'x"], ["SCRIPT", "LOAD"], ["SCRIPT", "EXISTS"],
        ["SCRIPT", "FLUSH", "bogus"], ["SCRIPT", "KILL"], ["SCRIPT", "HELP"], ["SCRIPT", "NOSUCH"],
        ["EVAL", "return redis.sha1hex('return 9')", "0"], ["SCRIPT", "LOAD", "return 9"],
        ["EVALSHA", "ebd1d4fb1a5b7deb08ad1c2dc76cb5de83a57a9d", "0"],
        ["EVALSHA", "EBD1D4FB1A5B7DEB08AD1C2DC76CB5DE83A57A9D", "0"],
        ["SCRIPT", "FLUSH"], ["SCRIPT", "EXISTS", "ebd1d4fb1a5b7deb08ad1c2dc76cb5de83a57a9d"],
        ["SCRIPT", "FLUSH", "ASYNC"], ["EVALSHA_RO", "ebd1d4fb1a5b7deb08ad1c2dc76cb5de83a57a9d", "0"],
    )),
    ("blocking_inside", cmds(
        ev("return redis.call('blpop', 'nolist', 0)"), ev("return redis.call('brpoplpush', 'a', 'b', 0)"),
        "RPUSH q job", ev("return redis.call('brpop', 'q', 0)"),
        ev("return redis.call('bzpopmin', 'nozset', 1)"),
    )),
    ("inside_multi", cmds(
        "MULTI", ev("redis.call('set', 'a', '1'); return redis.call('incr', 'a')"), "INCR a",
        ev("return {redis.call('get', 'a'), redis.call('rpush', 'l', 'x', 'y')}"),
        ev("return redis.call('lpush', 'a', 'x')"), ev("return redis.call('blpop', 'none', 0)"),
        ["EVALSHA", "f" * 40, "0"], "EXEC", "GET a", "LRANGE l 0 -1",
        "WATCH w", ev("return redis.call('set', 'w', 'changed')"), "MULTI", "PING", "EXEC",
    )),
    ("databases_and_state", cmds(
        "SET k db0", ev("redis.call('select', 1); return redis.call('get', 'k')"), "GET k",
        "SELECT 1", "SET k db1", ev("return redis.call('get', 'k')"), "SELECT 0",
        ev("redis.call('set', 'cnt', 0); for i = 1, 100 do redis.call('incr', 'cnt') end; "
           "return redis.call('get', 'cnt')"),
        ev("local t = {}; for i = 1, 5 do t[i] = redis.call('rpush', 'lst', i) end; return t"),
    )),
]

test_same_replies = differential(CASES)
