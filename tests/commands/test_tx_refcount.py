"""OBJECT REFCOUNT and DEBUG OBJECT inside a transaction, against a real Redis 7.0.15.

In Redis a command that stores its own argument object (SET, SETNX, SETEX,
PSETEX, GETSET, MSET, MSETNX, APPEND of a new key; INCRBYFLOAT's value,
put in its rewritten argv) leaves that object held by the transaction until
EXEC ends: refcount 2, or 3 with the AOF on (the pending propagation holds
it too).  Shared integers keep theirs; a command that makes a new object
(INCR, APPEND or SETRANGE of an existing key, COPY) ends it; RENAME and MOVE
keep it.
"""
import re

import pytest

from conftest import start_pair, start_redis
from drive import cmd_bytes, roundtrip
from test_slowpath_args import Conn
from mako_numba.store.arena import ENC_TX_MAX
from mako_numba.base.layout import T_TX_SERIAL, T_TX_STAMPED

SEQUENCES = [
    [["SETNX", "b", "abc"], ["DEBUG", "OBJECT", "b"], ["OBJECT", "REFCOUNT", "b"]],
    [["SET", "b", "5"], ["OBJECT", "REFCOUNT", "b"], ["DEBUG", "OBJECT", "b"]],
    [["SET", "b", "12345"], ["OBJECT", "REFCOUNT", "b"], ["OBJECT", "ENCODING", "b"]],
    [["APPEND", "b", "xyz"], ["OBJECT", "REFCOUNT", "b"], ["APPEND", "b", "q"],
     ["OBJECT", "REFCOUNT", "b"]],
    [["SET", "b", "xyz"], ["APPEND", "b", ""], ["OBJECT", "REFCOUNT", "b"]],
    [["INCRBYFLOAT", "b", "1.5"], ["OBJECT", "REFCOUNT", "b"], ["DEBUG", "OBJECT", "b"]],
    [["SET", "b", "xyz"], ["RENAME", "b", "c"], ["OBJECT", "REFCOUNT", "c"], ["COPY", "c", "d"],
     ["OBJECT", "REFCOUNT", "d"], ["MOVE", "c", "1"], ["SELECT", "1"], ["OBJECT", "REFCOUNT", "c"],
     ["FLUSHDB"], ["SELECT", "0"]],
    [["MSET", "b", "x", "c", "y", "b", "z"], ["OBJECT", "REFCOUNT", "b"],
     ["OBJECT", "REFCOUNT", "c"]],
    [["SET", "b", "12345"], ["INCR", "b"], ["OBJECT", "REFCOUNT", "b"]],
    [["SET", "b", "xyz"], ["SETRANGE", "b", "0", "a"], ["OBJECT", "REFCOUNT", "b"]],
    [["SET", "b", "xyz"], ["SETBIT", "b", "0", "1"], ["DEBUG", "OBJECT", "b"]],
    [["GETSET", "b", "xyz"], ["OBJECT", "REFCOUNT", "b"], ["SETEX", "c", "100", "v"],
     ["OBJECT", "REFCOUNT", "c"], ["PSETEX", "d", "100000", "v"], ["OBJECT", "REFCOUNT", "d"],
     ["MSETNX", "e", "1000000", "f", "g"], ["OBJECT", "REFCOUNT", "e"],
     ["OBJECT", "REFCOUNT", "f"]],
    [["SET", "b", "xyz", "EX", "100"], ["EXPIRE", "b", "50"], ["PERSIST", "b"],
     ["GETEX", "b", "EX", "10"], ["GET", "b"], ["OBJECT", "REFCOUNT", "b"]],
    [["SET", "b", "x" * 50], ["DEBUG", "OBJECT", "b"], ["SET", "b", "y", "GET"],
     ["DEBUG", "OBJECT", "b"]],
    [["SETNX", "b", "x"], ["SETNX", "b", "y"], ["OBJECT", "REFCOUNT", "b"], ["SET", "b", "z", "NX"],
     ["OBJECT", "REFCOUNT", "b"], ["SET", "nope", "z", "XX"], ["OBJECT", "REFCOUNT", "nope"]],
    [["SET", "b", "abc"], ["DEL", "b"], ["SET", "b", "abc"], ["OBJECT", "REFCOUNT", "b"]],
]


def _tx(conn, cmds):
    conn("MULTI")
    for c in cmds:
        conn(*c)
    return conn("EXEC")


def _normal(reply):
    """DEBUG OBJECT's address and access clock differ between any two servers."""
    reply = re.sub(rb"Value at:0x[0-9a-f]+ ", b"", reply)
    return re.sub(rb" lru:\d+ lru_seconds_idle:\d+", b"", reply)


@pytest.fixture(scope="module")
def debug_redis(tmp_path_factory):
    proc = start_redis(tmp_path_factory, "--enable-debug-command", "local")
    yield proc
    proc.stop()


@pytest.fixture
def pair(mako, debug_redis):
    a, b = Conn(mako.port), Conn(debug_redis.port)
    a("FLUSHALL")
    b("FLUSHALL")
    yield a, b
    a.close()
    b.close()


def test_the_transaction_holds_stored_arguments(pair):
    """Item: refcount 2 for the rest of the EXEC, 1 after it."""
    a, b = pair
    ours = _tx(a, [["SETNX", "b", "abc"], ["DEBUG", "OBJECT", "b"], ["OBJECT", "REFCOUNT", "b"]])
    assert b"refcount:2 encoding:embstr" in ours and ours.endswith(b":2\r\n")
    for cmds in SEQUENCES:
        a("FLUSHALL")
        b("FLUSHALL")
        assert _normal(_tx(a, cmds)) == _normal(_tx(b, cmds)), cmds
        for key in ("b", "c", "d", "e", "f"):
            assert a("OBJECT", "REFCOUNT", key) == b("OBJECT", "REFCOUNT", key), (cmds, key)


def test_a_later_transaction_does_not_hold_them(pair):
    """Item: a value stored by an earlier EXEC is not held by the next one."""
    for c in pair:
        _tx(c, [["SET", "b", "abc"]])
    cmds = [["OBJECT", "REFCOUNT", "b"], ["SET", "c", "d"], ["OBJECT", "REFCOUNT", "b"]]
    assert _tx(pair[0], cmds) == _tx(pair[1], cmds) == b"*3\r\n:1\r\n+OK\r\n:1\r\n"


def test_with_the_aof_on_the_propagation_holds_them_too(tmp_path_factory):
    """Item: with appendonly yes Redis says 3 (the transaction and the pending propagation)."""
    servers = start_pair(tmp_path_factory, "--appendonly", "yes")
    try:
        conns = [Conn(p.port) for p in servers]
        for cmds in ([["SET", "b", "abc"], ["OBJECT", "REFCOUNT", "b"]],
                     [["INCRBYFLOAT", "f", "2.5"], ["OBJECT", "REFCOUNT", "f"],
                      ["MSET", "x", "1", "y", "20000", "x", "3"], ["OBJECT", "REFCOUNT", "x"],
                      ["OBJECT", "REFCOUNT", "y"], ["SETNX", "y", "z"], ["OBJECT", "REFCOUNT", "y"]],
                     [["SET", "c", "abc"], ["CONFIG", "SET", "appendonly", "no"],
                      ["SET", "d", "abc"], ["OBJECT", "REFCOUNT", "c"], ["OBJECT", "REFCOUNT", "d"]]):
            ours, theirs = _tx(conns[0], cmds), _tx(conns[1], cmds)
            assert ours == theirs, cmds
        assert ours == b"*5\r\n+OK\r\n+OK\r\n+OK\r\n:3\r\n:2\r\n"
    finally:
        for p in servers:
            p.stop()


def _exec(core, slot, *cmds):
    data = cmd_bytes("MULTI") + b"".join(cmd_bytes(*c) for c in cmds) + cmd_bytes("EXEC")
    return roundtrip(core, slot, data).rsplit(b"+QUEUED\r\n", 1)[1]


def test_stamps_are_cleared_when_the_numbers_wrap(core):
    """Item: when the transaction numbers start again, no old stamp can pass for a new one."""
    slot = core.open()
    assert _exec(core, slot, ("SET", "a", "abc"), ("OBJECT", "REFCOUNT", "a")) == (
        b"*2\r\n+OK\r\n:2\r\n")
    assert core.ks.tm[T_TX_SERIAL] == 1
    core.ks.tm[T_TX_SERIAL] = ENC_TX_MAX >> 1
    core.ks.tm[T_TX_STAMPED] = 1
    assert _exec(core, slot, ("OBJECT", "REFCOUNT", "a")) == b"*1\r\n:1\r\n"
    assert core.ks.tm[T_TX_SERIAL] == 1
