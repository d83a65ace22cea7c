"""What a script's writes send to the append-only file, as Redis 7.0 replicates effects: the
commands it ran, wrapped in MULTI ... EXEC when there are several, a single write alone,
nothing for a script that only reads; the file read back by mako_numba and by
redis-server.
"""
import redis

from drive import cmd_bytes
from test_aof import aof_server, both_load, incr_file


def _data(port):
    r = redis.Redis(port=port)
    out = {}
    for key in r.scan_iter():
        t = r.type(key)
        out[key] = r.lrange(key, 0, -1) if t == b"list" else r.get(key)
    return out


def test_script_effects_in_the_aof(tmp_path_factory):
    d = tmp_path_factory.mktemp("aof-scripts")
    with aof_server(tmp_path_factory, d) as proc:
        r = redis.Redis(port=proc.port)
        r.eval("redis.call('set', 'a', '1'); redis.call('incr', 'a'); return redis.call('rpush', 'l', 'x', 'y')", 0)
        r.eval("return redis.call('set', 'single', 'v')", 0)
        r.eval("return redis.call('get', 'a')", 0)             # reads only: nothing logged
        r.execute_command("EVAL_RO", "return redis.call('get', 'single')", "0")
        log = incr_file(d)
    multi = b"*1\r\n$5\r\nMULTI\r\n"
    exec_ = b"*1\r\n$4\r\nEXEC\r\n"
    assert log.count(multi) == 1 and log.count(exec_) == 1
    body = log[log.index(multi) + len(multi):log.index(exec_)]
    assert cmd_bytes("set", "a", "1") in body and cmd_bytes("incr", "a") in body
    assert cmd_bytes("rpush", "l", "x", "y") in body
    assert cmd_bytes("set", "single", "v") in log[log.index(exec_):]
    assert b"get" not in log.lower().replace(b"$3\r\nset", b"")
    both_load(tmp_path_factory, d, {b"a": b"2", b"l": [b"x", b"y"], b"single": b"v"}, read=_data)
