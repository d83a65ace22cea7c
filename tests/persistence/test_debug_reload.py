"""DEBUG RELOAD [MERGE|NOFLUSH|NOSAVE] and DEBUG LOADAOF, against Redis 7.0.15.

Both servers get the same bytes and must answer the same bytes; the data set
after each step is compared too (drive.contents).  Redis runs with
`--enable-debug-command local`, as mako allows DEBUG by default.
"""
import os
import socket
import time

import pytest

from conftest import start_pair
from drive import cmd_bytes as cmd, contents, raw

DEBUG_OK = ("--enable-debug-command", "local")


def _pair(tmp_path_factory, *opts):
    return start_pair(tmp_path_factory, *opts, redis_opts=DEBUG_OK)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    m, r = _pair(tmp_path_factory)
    yield m, r
    m.stop()
    r.stop()


@pytest.fixture(scope="module")
def aof_pair(tmp_path_factory):
    m, r = _pair(tmp_path_factory, "--appendonly", "yes", "--appendfsync", "always")
    yield m, r
    m.stop()
    r.stop()


def same(pair, data):
    """Redis's reply, and ours read until it is as long: the first save or load of a
    process may compile the snapshot kernels (they are not part of the warm-up)."""
    m, r = pair
    theirs = raw("127.0.0.1", r.port, data, timeout=10)[0]
    ours = raw("127.0.0.1", m.port, data, timeout=120, want=len(theirs))[0]
    assert ours == theirs, data
    return ours


def same_data(pair):
    ours, theirs = (contents(p.port) for p in pair)
    assert ours == theirs
    return ours


def changes(port):
    out, _ = raw("127.0.0.1", port, cmd("INFO", "persistence"))
    return int(out.split(b"rdb_changes_since_last_save:")[1].split(b"\r\n")[0])


SEED = (cmd("FLUSHALL") + cmd("SET", "a", "1") + cmd("SET", "t", "x", "PXAT", "4102444800000")
        + cmd("SELECT", "2") + cmd("SET", "b", "2") + cmd("SELECT", "0") + cmd("INCRBYFLOAT", "f", "1.5"))


def test_reload_keeps_the_data_set(pair):
    same(pair, SEED)
    before = same_data(pair)
    assert same(pair, cmd("DEBUG", "RELOAD")) == b"+OK\r\n"
    assert same_data(pair) == before
    assert [changes(p.port) for p in pair] == [0, 0]


def test_reload_options(pair):
    same(pair, SEED + cmd("SAVE") + cmd("SET", "a", "changed") + cmd("SET", "new", "1"))
    assert [changes(p.port) for p in pair] == [2, 2]
    assert same(pair, cmd("DEBUG", "RELOAD", "NOSAVE")) == b"+OK\r\n"
    data = same_data(pair)
    assert data[(0, b"a")][0] == b"1" and (0, b"new") not in data
    assert [changes(p.port) for p in pair] == [2, 2]
    same(pair, cmd("SET", "a", "mine") + cmd("SET", "other", "o"))
    assert same(pair, cmd("DEBUG", "RELOAD", "nosave", "noflush", "MERGE")) == b"+OK\r\n"
    data = same_data(pair)
    assert data[(0, b"a")][0] == b"1" and data[(0, b"other")][0] == b"o"
    assert same(pair, cmd("DEBUG", "RELOAD", "FOO")) == (
        b"-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n")
    assert same(pair, cmd("DEBUG", "RELOAD", "NOSAVE", "BAR")) == (
        b"-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n")


def test_reload_touches_watched_keys(pair):
    same(pair, SEED)
    for p in pair:
        s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
        s.sendall(cmd("WATCH", "a"))
        time.sleep(0.1)
        s.recv(100)
        raw("127.0.0.1", p.port, cmd("DEBUG", "RELOAD"), timeout=120, want=5)
        s.sendall(cmd("MULTI") + cmd("GET", "a") + cmd("EXEC"))
        time.sleep(0.2)
        assert s.recv(100) == b"+OK\r\n+QUEUED\r\n*-1\r\n"
        s.close()


def test_reload_without_a_file_fails_after_emptying(pair):
    same(pair, SEED + cmd("SAVE"))
    m, r = pair
    for proc in pair:
        d = proc.log_path.parent
        os.remove(d / "dump.rdb")
    assert same(pair, cmd("DEBUG", "RELOAD", "NOSAVE") + cmd("DBSIZE")) == (
        b"-ERR Error trying to load the RDB dump\r\n:0\r\n")


def test_reload_inside_multi(pair):
    got = same(pair, SEED + cmd("MULTI") + cmd("SET", "a", "in-tx") + cmd("DEBUG", "RELOAD")
               + cmd("GET", "a") + cmd("EXEC"))
    assert got.endswith(b"*3\r\n+OK\r\n+OK\r\n$5\r\nin-tx\r\n")


def test_loadaof_replays_the_log(aof_pair):
    same(aof_pair, SEED + cmd("SET", "c", "3") + cmd("DEL", "a") + cmd("PEXPIREAT", "c", "4102444800000"))
    before = same_data(aof_pair)
    assert same(aof_pair, cmd("DEBUG", "LOADAOF")) == b"+OK\r\n"
    assert same_data(aof_pair) == before
    assert [changes(p.port) for p in aof_pair] == [0, 0]
    # inside EXEC the transaction's writes reach the log only when EXEC ends: the replay
    # inside it lacks the first INCR, the log has both
    got = same(aof_pair, cmd("SET", "after", "1") + cmd("INCR", "n") + cmd("MULTI") + cmd("INCR", "n")
               + cmd("DEBUG", "LOADAOF") + cmd("INCR", "n") + cmd("EXEC") + cmd("GET", "n"))
    assert got.endswith(b"*3\r\n:2\r\n+OK\r\n:2\r\n$1\r\n2\r\n")
    assert same(aof_pair, cmd("DEBUG", "LOADAOF") + cmd("GET", "n")) == b"+OK\r\n$1\r\n3\r\n"
    same_data(aof_pair)
    for p in aof_pair:
        d = p.log_path.parent / "appendonlydir"
        log = b"".join(open(d / n, "rb").read() for n in sorted(os.listdir(d)) if n.endswith(".incr.aof"))
        assert b"LOADAOF" not in log and b"after" in log


def test_loadaof_without_an_aof_exits_like_redis(tmp_path_factory):
    m, r = _pair(tmp_path_factory)
    try:
        for p in (m, r):
            assert raw("127.0.0.1", p.port, cmd("SET", "k", "v"))[0] == b"+OK\r\n"
            out, closed = raw("127.0.0.1", p.port, cmd("DEBUG", "LOADAOF"), expect_close=True, timeout=10)
            assert (out, closed) == (b"", True)
            assert p.popen.wait(30) == 1
    finally:
        m.stop()
        r.stop()


def test_keys_expire_after_replaying_a_flushall(aof_pair):
    """A FLUSHALL in the log replaces the key space's counters while loading; expiry
    must still come back on once the log is in."""
    same(aof_pair, cmd("FLUSHALL") + cmd("SET", "k", "v", "PX", "300") + cmd("SET", "keep", "1"))
    assert same(aof_pair, cmd("DEBUG", "LOADAOF")) == b"+OK\r\n"
    time.sleep(0.6)
    assert same(aof_pair, cmd("GET", "k") + cmd("DBSIZE")) == b"$-1\r\n:1\r\n"
