"""What blocking commands and transactions leave in the append-only file, beside Redis 7.0.

Served at once or after blocking, inside MULTI or not, BLPOP, BRPOP, BLMPOP,
BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX and BZMPOP go to the log as their
non-blocking effect (LPOP key, LPOP key count, LMOVE with the client's words
or with "left"/"right" after blocking, RPOPLPUSH, ZPOPMIN/ZPOPMAX key [count]
with the count popped), as Redis rewrites them; the two logs must be equal byte
for byte, and each server loads the other's.
"""
import socket
import time

import redis

from drive import cmd_bytes
from test_aof import aof_server, incr_file
from test_rdb_format import start_redis as start_redis_in


def _blocked(port, n):
    r = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while r.info("clients")["blocked_clients"] != n:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    r.close()


def _block_then_push(port, blocking, push):
    """A second connection sends `blocking`; once it is blocked, `push` is sent here."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(cmd_bytes(*blocking))
    _blocked(port, 1)
    r = redis.Redis(port=port)
    r.execute_command(*push)
    s.settimeout(5)
    got = s.recv(65536)
    s.close()
    r.close()
    return got


def run(port):
    r = redis.Redis(port=port)
    r.rpush("a", 1, 2, 3, 4, 5)
    out = [r.blpop(["none", "a"], 0), r.brpop(["a"], 0),
           r.execute_command("BLMPOP", "0", "2", "none", "a", "LEFT", "COUNT", "2"),
           r.execute_command("BLMOVE", "a", "b", "Right", "LEFT", "0"),
           r.execute_command("BRPOPLPUSH", "b", "c", "0")]
    tx = r.pipeline(transaction=True)
    tx.blpop(["c"], 0)
    tx.blpop(["none"], 0)
    out.append(tx.execute())
    out.append(_block_then_push(port, ("BLPOP", "k", "0"), ("RPUSH", "k", "x", "y")))
    out.append(_block_then_push(port, ("BLMPOP", "0", "1", "m", "RIGHT", "COUNT", "5"), ("RPUSH", "m", "1", "2")))
    out.append(_block_then_push(port, ("BLMOVE", "s", "d", "RIGHT", "LEFT", "0"), ("RPUSH", "s", "v")))
    out.append(_block_then_push(port, ("BRPOPLPUSH", "s2", "d2", "0"), ("RPUSH", "s2", "w")))
    r.zadd("zs", {"a": 1, "b": 2, "c": 3, "d": 4})
    out += [r.bzpopmin(["none", "zs"], 0),
            r.execute_command("BZMPOP", "0", "1", "zs", "MAX", "COUNT", "5")]
    out.append(_block_then_push(port, ("BZPOPMAX", "zb", "0"), ("ZADD", "zb", "1", "m")))
    out.append(_block_then_push(port, ("BZMPOP", "0", "1", "zm", "MIN", "COUNT", "3"),
                                ("ZADD", "zm", "1", "a", "2", "b")))
    r.close()
    return out


def test_blocking_commands_are_logged_as_redis_logs_them(tmp_path_factory):
    dm, dr = tmp_path_factory.mktemp("mlog"), tmp_path_factory.mktemp("rlog")
    ref = start_redis_in(dr, "dump.rdb", "--appendonly", "yes", "--appendfsync", "always")
    try:
        with aof_server(tmp_path_factory, dm, "--appendfsync", "always") as mako:
            assert run(mako.port) == run(ref.port)
            assert incr_file(dm).split(b"\r\n") == incr_file(dr).split(b"\r\n")
    finally:
        ref.stop()


def run_transactions(port):
    r = redis.Redis(port=port, single_connection_client=True)
    for db, writes in ((0, 1), (2, 2), (2, 1), (5, 3), (0, 0)):
        r.execute_command("SELECT", db)
        tx = r.pipeline(transaction=True)
        for i in range(writes):
            tx.set("t%d" % i, i)
        tx.get("t0")
        tx.execute()
    r.close()


def test_a_transaction_is_wrapped_only_around_several_effects(tmp_path_factory):
    """propagatePendingCommands: one effect goes alone; the SELECT goes before the MULTI."""
    dm, dr = tmp_path_factory.mktemp("mlog"), tmp_path_factory.mktemp("rlog")
    ref = start_redis_in(dr, "dump.rdb", "--appendonly", "yes", "--appendfsync", "always")
    try:
        with aof_server(tmp_path_factory, dm, "--appendfsync", "always") as mako:
            run_transactions(mako.port)
            run_transactions(ref.port)
            assert incr_file(dm).split(b"\r\n") == incr_file(dr).split(b"\r\n")
    finally:
        ref.stop()
