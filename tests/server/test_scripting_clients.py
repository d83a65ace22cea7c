"""Scripts over real sockets: redis-py's Lock and registered scripts, scripts pipelined among
other commands and clients.

- redis-py's `Lock` (its acquire, extend, reacquire and release are Lua scripts run by
  EVALSHA, falling back to EVAL on NOSCRIPT) against a second client contending for
  the lock.
- `register_script` objects: NOSCRIPT, then EVAL, then EVALSHA from the cache.
- A pipeline mixing scripts with plain commands from two clients: a script runs
  inside a batch of the event loop, on a private queue (Core.run_queued), so the
  batch's other requests keep their order and replies.
(What a script's writes send to the append-only file: tests/persistence/test_scripting_aof.py.)
"""
import pytest
import redis

from conftest import start_mako
from drive import cmd_bytes, raw


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = start_mako(tmp_path_factory, "--save", "")
    yield proc
    proc.stop()


def test_redis_py_lock(server):
    a = redis.Redis(port=server.port)
    b = redis.Redis(port=server.port)
    a.flushall()
    lock = a.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    assert a.get("resource") == lock.local.token
    other = b.lock("resource", timeout=10)
    assert not other.acquire(blocking=False)        # held
    assert lock.extend(5)
    assert 10 < a.pttl("resource") <= 15_000
    assert lock.reacquire()
    lock.release()
    assert a.exists("resource") == 0
    assert other.acquire(blocking=False)
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.do_release(b"a stale token")           # the release script answers 0
    other.release()
    assert a.exists("resource") == 0


def test_registered_script_falls_back_to_eval_once(server):
    r = redis.Redis(port=server.port)
    r.script_flush()
    incr_by = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert r.script_exists(incr_by.sha) == [False]
    assert incr_by(keys=["n"], args=[5]) == 5       # NOSCRIPT, then EVAL
    assert r.script_exists(incr_by.sha) == [True]
    assert incr_by(keys=["n"], args=[2]) == 7       # EVALSHA
    assert r.evalsha(incr_by.sha, 1, "n", 1) == 8
    mem = r.info("memory")
    assert mem["number_of_cached_scripts"] == 1
    assert mem["used_memory_scripts_eval"] == len(incr_by.script) + 40
    assert mem["used_memory_lua"] == mem["used_memory_vm_eval"] == mem["used_memory_vm_total"] > 0
    r.script_flush()
    assert r.info("memory")["number_of_cached_scripts"] == 0


def test_scripts_pipelined_among_other_commands(server):
    r = redis.Redis(port=server.port)
    r.flushall()
    script = "redis.call('rpush', KEYS[1], ARGV[1]); return redis.call('llen', KEYS[1])"
    data = b"".join([
        cmd_bytes("SET", "a", "1"),
        cmd_bytes("EVAL", "return redis.call('incr', KEYS[1])", "1", "a"),
        cmd_bytes("GET", "a"),
        cmd_bytes("EVAL", script, "1", "l", "x"),
        cmd_bytes("EVAL", script, "1", "l", "y"),
        cmd_bytes("LRANGE", "l", "0", "-1"),
        cmd_bytes("EVAL", "return redis.call('get', 'nokey')", "0"),
        cmd_bytes("PING"),
    ] * 3)
    one = (b"+OK\r\n:2\r\n$1\r\n2\r\n:%d\r\n:%d\r\n*%d\r\n%s$-1\r\n+PONG\r\n")
    want = b""
    items = []
    n = 0
    for rnd in range(3):
        for v in (b"x", b"y"):
            items.append(v)
        want += one % (n + 1, n + 2, n + 2, b"".join(b"$1\r\n%s\r\n" % v for v in items))
        n += 2
    assert raw("127.0.0.1", server.port, data, timeout=10, want=len(want)) == (want, False)


def test_two_clients_interleave_with_scripts(server):
    a = redis.Redis(port=server.port)
    b = redis.Redis(port=server.port)
    a.flushall()
    pa, pb = a.pipeline(transaction=False), b.pipeline(transaction=False)
    for i in range(200):
        pa.eval("return redis.call('incr', KEYS[1])", 1, "counter")
        pb.incr("counter")
    ra, rb = pa.execute(), pb.execute()
    assert sorted(ra + rb) == list(range(1, 401))
    assert a.get("counter") == b"400"
