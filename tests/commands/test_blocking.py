"""Blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) against a real Redis.

Each scenario drives several raw connections to mako_numba and to redis-server
in the same order, waiting (INFO blocked_clients) until a client is blocked
before the write that should wake it, and compares every reply byte for
byte: who is served, in what order, with what reply, and what stays in the
lists.
"""
import socket
import time

import pytest

from tests.drive import cmd_bytes


def _conn(port):
    s = socket.create_connection(("127.0.0.1", port))
    return s


def _read(s, wait=0.5):
    """Everything that arrives within `wait` s (then 0.15 s of quiet ends it)."""
    s.settimeout(wait)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
            s.settimeout(0.15)
    except socket.timeout:
        pass
    return out


class Clients:
    """Named connections to one server and the log of what they received."""

    def __init__(self, port, n=4):
        self.port = port
        self.c = [_conn(port) for _ in range(n)]
        self.log = []

    def send(self, i, *args):
        self.c[i].sendall(cmd_bytes(*args))

    def blocked(self, n, timeout=10.0):
        """Wait until n clients are blocked (INFO's blocked_clients), on a connection of its own."""
        s = _conn(self.port)
        deadline = time.monotonic() + timeout
        try:
            while True:
                s.sendall(cmd_bytes("info", "clients"))
                if b"blocked_clients:%d\r\n" % n in _read(s, 2.0):
                    return
                assert time.monotonic() < deadline, "clients never blocked"
                time.sleep(0.02)
        finally:
            s.close()

    def got(self, i, wait=1.0):
        self.log.append((i, _read(self.c[i], wait)))

    def close(self):
        for s in self.c:
            s.close()


def both(pair, scenario):
    logs = []
    for proc in pair:
        cl = Clients(proc.port)
        try:
            cl.send(0, "flushall")
            cl.got(0)
            scenario(cl)
        finally:
            cl.close()
        logs.append(cl.log)
    mako, redis = logs
    assert mako == redis
    return mako


def test_timeout_then_wake_in_the_order_they_blocked(pair):
    def s(cl):
        t0 = time.monotonic()
        cl.send(1, "blpop", "k", "0.3")
        cl.got(1, 1.5)
        cl.log.append(("timed out within a second", time.monotonic() - t0 < 1.2))
        for i in (1, 2, 3):
            cl.send(i, "blpop", "k", "0")
            cl.blocked(i)
        cl.send(0, "info", "clients")
        cl.log.append([ln for ln in _read(cl.c[0]).split(b"\r\n") if b"blocked" in ln])
        cl.send(0, "rpush", "k", "a", "b")
        for i in (0, 1, 2):
            cl.got(i)
        cl.got(3, 0.2)
        cl.send(0, "rpush", "k", "c", "d")
        cl.got(0)
        cl.got(3)
        cl.send(0, "lrange", "k", 0, -1)
        cl.got(0)
    log = both(pair, s)
    assert log[1] == (1, b"*-1\r\n")


def test_several_keys_and_each_blocking_command(pair):
    def s(cl):
        cl.send(1, "brpop", "k1", "k2", "0")
        cl.blocked(1)
        cl.send(0, "lpush", "k2", "v", "w")
        cl.got(0)
        cl.got(1)
        cl.send(1, "blmove", "src", "dst", "right", "LEFT", "0")
        cl.blocked(1)
        cl.send(0, "rpush", "src", "1", "2")
        cl.got(0)
        cl.got(1)
        cl.send(1, "brpoplpush", "s2", "d2", "0")
        cl.blocked(1)
        cl.send(0, "rpush", "s2", "q")
        cl.got(0)
        cl.got(1)
        cl.send(1, "blmpop", "0", "2", "e1", "e2", "right", "count", "5")
        cl.blocked(1)
        cl.send(0, "rpush", "e2", "a", "b", "c")
        cl.got(0)
        cl.got(1)
        for key in ("k2", "src", "dst", "s2", "d2", "e2"):
            cl.send(0, "lrange", key, 0, -1)
            cl.got(0)
    both(pair, s)


def test_a_chain_of_moves_wakes_the_next_waiter(pair):
    def s(cl):
        cl.send(1, "blmove", "a", "b", "left", "left", "0")
        cl.blocked(1)
        cl.send(2, "blpop", "b", "0")
        cl.blocked(2)
        cl.send(0, "rpush", "a", "x")
        cl.got(0)
        cl.got(1)
        cl.got(2)
        cl.send(0, "exists", "a", "b")
        cl.got(0)
    both(pair, s)


def test_a_push_in_a_pipeline_or_a_transaction_serves_the_blocked_first(pair):
    def s(cl):
        cl.send(1, "blpop", "pk", "0")
        cl.blocked(1)
        cl.c[0].sendall(cmd_bytes("rpush", "pk", "a") + cmd_bytes("lpop", "pk"))
        cl.got(0)
        cl.got(1)
        cl.send(1, "blpop", "tk", "0")
        cl.blocked(1)
        cl.c[0].sendall(cmd_bytes("multi") + cmd_bytes("rpush", "tk", "a", "b")
                        + cmd_bytes("lpop", "tk") + cmd_bytes("exec"))
        cl.got(0)
        cl.got(1)
        cl.send(0, "lrange", "tk", 0, -1)
        cl.got(0)
    both(pair, s)


def test_inside_multi_blocking_commands_answer_at_once(pair):
    def s(cl):
        cl.c[1].sendall(cmd_bytes("multi") + cmd_bytes("blpop", "none", "0")
                        + cmd_bytes("blmove", "none", "x", "left", "left", "0")
                        + cmd_bytes("blmpop", "0", "1", "none", "left") + cmd_bytes("exec"))
        cl.got(1)
        cl.send(1, "hello", "3")
        _read(cl.c[1])
        cl.send(1, "blpop", "none", "0.05")
        cl.got(1, 1.0)
        cl.send(1, "blmove", "none", "x", "left", "left", "0.05")
        cl.got(1, 1.0)
    both(pair, s)


def test_client_unblock_timeout_and_error(pair):
    def s(cl):
        cl.send(1, "client", "id")
        cid = int(_read(cl.c[1])[1:-2])
        cl.send(1, "blpop", "none", "0")
        cl.blocked(1)
        cl.send(0, "client", "unblock", cid)
        cl.got(0)
        cl.got(1)
        cl.send(1, "blmove", "none", "x", "left", "left", "0")
        cl.blocked(1)
        cl.send(0, "client", "unblock", cid, "timeout")
        cl.got(0)
        cl.got(1)
        cl.send(1, "blpop", "none", "0")
        cl.blocked(1)
        cl.send(0, "client", "unblock", cid, "error")
        cl.got(0)
        cl.got(1)
        cl.send(0, "client", "unblock", cid)
        cl.got(0)
        cl.send(0, "client", "unblock", cid, "nope")
        cl.got(0)
    both(pair, s)


def test_errors_wrong_types_and_timeouts(pair):
    def s(cl):
        cl.send(0, "set", "str", "v")
        cl.got(0)
        for t in ("-1", "abc", "1e", " 1", "inf", "9.3e15", "0x1p-30", "-0.0001", ".01", "1e-5"):
            cl.send(1, "blpop", "str", "k", t)
            cl.got(1, 0.3)
        cl.send(1, "blpop", "k", "str", "0")
        cl.got(1)
        cl.send(1, "blmove", "str", "x", "left", "left", "0")
        cl.got(1)
        cl.send(1, "blmove", "k", "x", "up", "left", "0")
        cl.got(1)
        cl.send(1, "blmpop", "0", "0", "k", "left")
        cl.got(1)
        cl.send(1, "blmpop", "x", "1", "k", "left")
        cl.got(1)
        cl.send(1, "blmpop", "0", "1", "k", "left", "count", "0")
        cl.got(1)
        cl.send(1, "blpop", "k")
        cl.got(1)
        # a string made where a client waits does not wake it: it times out
        cl.send(2, "blpop", "sk", "0.3")
        cl.blocked(1)
        cl.send(0, "set", "sk", "v")
        cl.got(0)
        cl.got(2, 1.0)
    both(pair, s)


def test_a_client_gone_while_blocked_takes_nothing(pair):
    def s(cl):
        d = _conn(cl.port)
        d.sendall(cmd_bytes("blpop", "gone", "0"))
        cl.blocked(1)
        d.close()
        cl.blocked(0)
        cl.send(0, "rpush", "gone", "kept")
        cl.got(0)
        cl.send(0, "lrange", "gone", 0, -1)
        cl.got(0)
        cl.send(0, "info", "clients")
        cl.log.append([ln for ln in _read(cl.c[0]).split(b"\r\n") if b"blocked" in ln])
    both(pair, s)


def test_client_list_shows_the_blocked_flag(pair):
    def s(cl):
        cl.send(1, "client", "id")
        cid = int(_read(cl.c[1])[1:-2])
        cl.send(1, "blpop", "cl", "5")
        cl.blocked(1)
        cl.send(0, "client", "list")
        lines = _read(cl.c[0]).decode().split("\n")
        line = next(ln for ln in lines if "id=%d " % cid in ln)
        cl.log.append((line.split(" flags=")[1].split(" ")[0], line.split(" cmd=")[1].split(" ")[0]))
        cl.send(0, "rpush", "cl", "z")
        cl.got(0)
        cl.got(1)
    log = both(pair, s)
    assert ("b", "blpop") in log


def test_sorted_set_pops_block_and_wake(pair):
    def s(cl):
        cl.send(0, "zadd", "z", "1", "a", "2", "b", "3", "c")
        cl.got(0)
        cl.send(1, "bzpopmin", "none", "z", "0")
        cl.got(1)
        cl.send(1, "bzpopmax", "z", "0")
        cl.got(1)
        cl.send(1, "bzmpop", "0", "2", "none", "z", "min", "count", "5")
        cl.got(1)
        cl.send(1, "bzpopmin", "z", "0")
        cl.blocked(1)
        cl.send(2, "bzmpop", "0", "1", "z", "max", "count", "2")
        cl.blocked(2)
        cl.send(0, "zadd", "z", "5", "x", "6", "y", "7", "w")
        cl.got(0)
        cl.got(1)
        cl.got(2)
        cl.send(0, "zrange", "z", "0", "-1", "withscores")
        cl.got(0)
        cl.send(3, "hello", "3")
        _read(cl.c[3])
        cl.send(3, "bzpopmax", "r3", "0")
        cl.blocked(1)
        cl.send(0, "zadd", "r3", "1.5", "m")
        cl.got(0)
        cl.got(3)
        cl.send(3, "bzmpop", "0.05", "1", "none", "min")
        cl.got(3, 1.0)
        cl.c[1].sendall(cmd_bytes("multi") + cmd_bytes("bzpopmin", "none", "0")
                        + cmd_bytes("bzmpop", "0", "1", "none", "max") + cmd_bytes("exec"))
        cl.got(1)
        cl.send(0, "set", "str", "v")
        cl.got(0)
        for cmd in (("bzpopmin", "str", "0"), ("bzpopmin", "z", "-1"), ("bzpopmin", "z", "x"),
                    ("bzmpop", "0", "0", "z", "min"), ("bzmpop", "0", "1", "z", "up"),
                    ("bzmpop", "x", "1", "z", "min"), ("bzmpop", "0", "1", "z", "min", "count", "0"),
                    ("bzpopmin", "z")):
            cl.send(1, *cmd)
            cl.got(1)
        cl.send(1, "bzpopmin", "none", "0.1")
        cl.got(1, 1.0)
    both(pair, s)
