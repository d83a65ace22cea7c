"""Snapshots over real processes: SAVE, BGSAVE, save points, SHUTDOWN, loading at start.

Every file mako_numba writes is checked by redis-check-rdb and by a real
redis-server 7 loading it; files written by real Redis are loaded by
mako_numba.  Replies are compared with Redis's byte for byte.
"""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import redis

from conftest import need_tool, start_mako
from drive import contents, raw as quiet_raw, wait_info
from test_rdb_format import start_redis as start_redis_in

SERVER = [sys.executable, "-m", "mako_numba"]


def raw(port, data, timeout=10):
    """Send raw bytes, return what arrives until the reply looks complete."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        return s.recv(65536)


def start_in(tmp_path_factory, d, *extra):
    return start_mako(tmp_path_factory, "--dir", str(d), *extra)


def fill(r):
    """A data set over several databases: ints, long compressible values, binary, expiry."""
    want = {}
    for db in (0, 3, 15):
        r.execute_command("SELECT", db)
        pipe = r.pipeline(transaction=False)
        for i in range(300):
            key = b"k%d:%d" % (db, i)
            value = [b"%d" % (i * 7919 - 1000), b"v" * (30 + i), bytes(range(i % 256)) * 2,
                     b"007", b""][i % 5]
            pipe.set(key, value)
            want[(db, key)] = [value, -1]
        for i in range(0, 300, 3):
            at = int(time.time() * 1000) + 3_600_000 + i
            pipe.pexpireat(b"k%d:%d" % (db, i), at)
            want[(db, b"k%d:%d" % (db, i))][1] = at
        pipe.execute()
    r.execute_command("SELECT", 0)
    return want


# --- SAVE and the file it writes -------------------------------------------------------
def test_save_writes_a_file_redis_loads_with_the_same_data(tmp_path_factory):
    d = tmp_path_factory.mktemp("save")
    mako = start_in(tmp_path_factory, d, "--save", "")
    try:
        r = redis.Redis(port=mako.port)
        want = fill(r)
        r.swapdb(3, 4)                                  # logical numbers are what is saved
        want = {((4 if db == 3 else db), k): v for (db, k), v in want.items()}
        before = r.lastsave()
        assert raw(mako.port, b"SAVE\r\n") == b"+OK\r\n"
        assert r.lastsave() >= before
        assert not [p for p in os.listdir(d) if p.startswith("temp-")]
    finally:
        mako.stop()
    check = subprocess.run([need_tool("redis-check-rdb"), str(d / "dump.rdb")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    ref = start_redis_in(d)
    try:
        assert contents(ref.port) == want
    finally:
        ref.stop()


def test_restart_loads_what_shutdown_saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("restart")
    mako = start_in(tmp_path_factory, d)                # Redis's default save points
    r = redis.Redis(port=mako.port)
    want = fill(r)
    soon = int(time.time() * 1000) + 300
    r.set("gone", "x")
    r.pexpireat("gone", soon)
    r.shutdown()                                        # saves: save points are set
    assert mako.popen.wait(30) == 0
    log = mako.log()
    assert "Saving the final RDB snapshot before exiting." in log and "DB saved on disk" in log
    time.sleep(max(0, soon / 1000 - time.time()) + 0.05)
    again = start_in(tmp_path_factory, d)
    try:
        assert contents(again.port) == want
        info = redis.Redis(port=again.port).info("persistence")
        assert info["rdb_last_load_keys_loaded"] == len(want)
        assert info["rdb_last_load_keys_expired"] == 1
        assert info["rdb_changes_since_last_save"] == 0
        assert f"Done loading RDB, keys loaded: {len(want)}, keys expired: 1." in again.log()
    finally:
        again.stop()


def test_loads_a_file_written_by_redis(tmp_path_factory):
    d = tmp_path_factory.mktemp("fromredis")
    ref = start_redis_in(d)
    try:
        want = fill(redis.Redis(port=ref.port))
        redis.Redis(port=ref.port).save()
    finally:
        ref.stop()
    mako = start_in(tmp_path_factory, d, "--save", "")
    try:
        assert contents(mako.port) == want
        assert redis.Redis(port=mako.port).object("encoding", "k0:0") == b"int"
    finally:
        mako.stop()


@pytest.mark.parametrize("damage", ["stream", "truncated", "flipped"])
def test_a_refused_file_stops_the_start_and_is_left_alone(tmp_path_factory, damage):
    d = tmp_path_factory.mktemp("refuse")
    ref = start_redis_in(d)
    try:
        r = redis.Redis(port=ref.port)
        r.set("a", "1")
        r.set("b" * 40, "x" * 100)
        if damage == "stream":
            r.xadd("mystream", {"f": "v"})
        r.save()
    finally:
        ref.stop()
    path = d / "dump.rdb"
    data = path.read_bytes()
    if damage == "truncated":
        data = data[:len(data) - 12]
    elif damage == "flipped":
        data = data[:30] + bytes([data[30] ^ 0x40]) + data[31:]
    path.write_bytes(data)
    res = subprocess.run([*SERVER, "--port", "0", "--dir", str(d)], capture_output=True,
                         text=True, timeout=300, cwd=d)
    assert res.returncode == 1
    assert "Fatal error loading the DB" in res.stdout
    if damage == "stream":
        assert "key 'mystream' has type stream" in res.stdout
    assert "Ready to accept" not in res.stdout
    assert path.read_bytes() == data


# --- BGSAVE, LASTSAVE, save points ------------------------------------------------------
def test_bgsave_forks_a_child_that_writes_the_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("bgsave")
    mako = start_in(tmp_path_factory, d, "--save", "")
    try:
        r = redis.Redis(port=mako.port)
        want = fill(r)
        r.set("counter", 1)
        want[(0, b"counter")] = [b"1", -1]
        assert raw(mako.port, b"BGSAVE\r\n") == b"+Background saving started\r\n"
        r.incr("counter")                               # after the fork: not in the file
        wait_info(r, "rdb_bgsave_in_progress", 0)
        info = r.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok" and info["rdb_saves"] == 1
        assert info["rdb_changes_since_last_save"] == 1
        assert "Background saving terminated with success" in mako.log()
        assert raw(mako.port, b"BGSAVE now\r\n") == b"-ERR syntax error\r\n"
    finally:
        mako.stop()
    ref = start_redis_in(d)
    try:
        assert contents(ref.port) == want
    finally:
        ref.stop()


def test_a_save_point_starts_a_bgsave(tmp_path_factory):
    d = tmp_path_factory.mktemp("savepoint")
    mako = start_in(tmp_path_factory, d, "--save", "1 2")
    try:
        r = redis.Redis(port=mako.port)
        r.set("one", 1)
        time.sleep(1.5)
        assert r.info("persistence")["rdb_saves"] == 0      # 1 change < 2
        r.set("two", 2)
        wait_info(r, "rdb_saves", 1, timeout=10)
        wait_info(r, "rdb_bgsave_in_progress", 0)
        assert "2 changes in 1 seconds. Saving..." in mako.log()
        assert r.config_get("save") == {"save": "1 2"}
    finally:
        mako.stop()
    assert (d / "dump.rdb").exists()


# --- SHUTDOWN and signals -----------------------------------------------------------------
def test_shutdown_variants_reply_as_redis(tmp_path_factory, redis_ref):
    mako = start_in(tmp_path_factory, tmp_path_factory.mktemp("sd"), "--save", "")
    try:
        for cmd in (b"SHUTDOWN ABORT\r\n", b"SHUTDOWN SAVE NOSAVE\r\n", b"SHUTDOWN ABORT NOW\r\n",
                    b"SHUTDOWN BLAH\r\n", b"LASTSAVE x\r\n", b"SAVE x\r\n"):
            assert raw(mako.port, cmd) == raw(redis_ref.port, cmd), cmd
    finally:
        mako.stop()


def test_shutdown_nosave_writes_nothing_and_save_writes_without_save_points(tmp_path_factory):
    d = tmp_path_factory.mktemp("nosave")
    mako = start_in(tmp_path_factory, d)
    redis.Redis(port=mako.port).set("a", "1")
    assert raw(mako.port, b"SHUTDOWN NOSAVE\r\n") == b""
    assert mako.popen.wait(30) == 0
    assert not (d / "dump.rdb").exists()
    mako = start_in(tmp_path_factory, d, "--save", "")
    redis.Redis(port=mako.port).set("a", "1")
    assert raw(mako.port, b"SHUTDOWN SAVE\r\n") == b""
    assert mako.popen.wait(30) == 0
    assert (d / "dump.rdb").exists()


def test_a_failed_final_save_keeps_the_server_running(tmp_path_factory):
    d = tmp_path_factory.mktemp("fail")
    mako = start_in(tmp_path_factory, d)
    try:
        r = redis.Redis(port=mako.port)
        r.set("a", "1")
        d.rmdir()                                       # the save has nowhere to go (even as root)
        assert raw(mako.port, b"SHUTDOWN\r\n") == b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        assert r.get("a") == b"1"
        assert raw(mako.port, b"SAVE\r\n") == b"-ERR\r\n"
        mako.popen.send_signal(signal.SIGTERM)          # the same for a signal: it keeps serving
        time.sleep(0.5)
        assert r.get("a") == b"1"
        assert "errors trying to shut down the server" in mako.log()
        assert raw(mako.port, b"SHUTDOWN FORCE\r\n") == b""
        assert mako.popen.wait(30) == 0
        assert "Error trying to save the DB. Exit anyway." in mako.log()
    finally:
        mako.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_then_exits_0(tmp_path_factory, sig):
    d = tmp_path_factory.mktemp("sig")
    mako = start_in(tmp_path_factory, d)
    r = redis.Redis(port=mako.port)
    r.set("kept", "yes")
    mako.popen.send_signal(sig)
    assert mako.popen.wait(30) == 0
    assert (d / "dump.rdb").exists()
    again = start_in(tmp_path_factory, d, "--save", "")
    try:
        assert redis.Redis(port=again.port).get("kept") == b"yes"
    finally:
        again.stop()


# --- the change counter, beside Redis ---------------------------------------------------------
CHANGES = [
    ("SET", "a", "1"), ("SETNX", "a", "2"), ("MSET", "b", "1", "c", "2"), ("DEL", "zz"),
    ("DEL", "b", "c"), ("INCR", "a"), ("EXPIRE", "a", "100"), ("PERSIST", "a"), ("PERSIST", "a"),
    ("APPEND", "a", "x"), ("GET", "a"), ("SETRANGE", "d", "3", "x"), ("GETDEL", "d"),
    ("SET", "e", "1", "PX", "1"),
]


def test_changes_since_last_save_count_as_redis(tmp_path_factory, redis_ref):
    mako = start_in(tmp_path_factory, tmp_path_factory.mktemp("dirty"), "--save", "")
    try:
        servers = [redis.Redis(port=mako.port), redis.Redis(port=redis_ref.port)]
        for r in servers:
            r.flushall()
            r.save()
        for cmd in CHANGES:
            counts = []
            for r in servers:
                r.execute_command(*cmd)
                counts.append(r.info("persistence")["rdb_changes_since_last_save"])
            assert counts[0] == counts[1], (cmd, counts)
        time.sleep(0.05)                                    # e expires: not a change
        for r in servers:
            assert r.get("e") is None
        counts = [r.info("persistence")["rdb_changes_since_last_save"] for r in servers]
        assert counts[0] == counts[1]
    finally:
        mako.stop()


# --- CONFIG --------------------------------------------------------------------------------
def test_config_of_the_rdb_file_matches_redis(tmp_path_factory, redis_ref):
    d = tmp_path_factory.mktemp("cfg")
    mako = start_in(tmp_path_factory, d, "--save", "")
    try:
        r = redis.Redis(port=mako.port)
        assert r.config_get("dir") == {"dir": str(d)}
        assert r.config_get("dbfilename") == {"dbfilename": "dump.rdb"}
        for cmd in (b"CONFIG SET dbfilename a/b.rdb\r\n", b"CONFIG SET dir /tmp\r\n",
                    b"CONFIG SET rdbcompression maybe\r\n", b"CONFIG SET save 1\r\n",
                    b"CONFIG SET appendonly maybe\r\n", b"CONFIG GET rdb-key-save-delay\r\n",
                    b"CONFIG GET rdb-key*\r\n"):
            assert raw(mako.port, cmd) == raw(redis_ref.port, cmd), cmd
        r.config_set("rdbcompression", "no")
        r.set("x", "y" * 100)
        r.save()
    finally:
        mako.stop()
    assert b"y" * 100 in (d / "dump.rdb").read_bytes()         # stored raw, not LZF


def test_dbfilename_option_names_the_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("fname")
    mako = start_in(tmp_path_factory, d, "--save", "", "--dbfilename", "other.rdb")
    try:
        r = redis.Redis(port=mako.port)
        assert r.config_get("dbfilename") == {"dbfilename": "other.rdb"}
        r.set("x", "y")
        r.save()
    finally:
        mako.stop()
    assert (d / "other.rdb").exists() and not (d / "dump.rdb").exists()


def test_bad_persistence_options_are_one_line_errors(tmp_path):
    for args, text in ((["--save", "10"], "Invalid save parameters"),
                       (["--dir", str(tmp_path / "none")], "Can't chdir to"),
                       (["--dbfilename", "a/b"], "dbfilename can't be a path")):
        res = subprocess.run([*SERVER, "--port", "0", *args], capture_output=True, text=True,
                             timeout=300, cwd=tmp_path)
        assert res.returncode == 1 and text in res.stderr, res.stderr


def test_transactions_refuse_save_and_schedule_bgsave_as_redis(tmp_path_factory, redis_ref):
    d = tmp_path_factory.mktemp("multi")
    mako = start_in(tmp_path_factory, d, "--save", "")
    try:
        for seq in (b"FLUSHALL\r\nMULTI\r\nSAVE\r\nSET a 1\r\nEXEC\r\nGET a\r\n",
                    b"MULTI\r\nSHUTDOWN NOSAVE\r\nEXEC\r\n",
                    b"MULTI\r\nLASTSAVE x\r\nEXEC\r\n"):
            assert exchange(mako.port, seq) == exchange(redis_ref.port, seq), seq
        got = exchange(mako.port, b"MULTI\r\nBGSAVE\r\nEXEC\r\n")
        assert got == b"+OK\r\n+QUEUED\r\n*1\r\n+Background saving scheduled\r\n"
        r = redis.Redis(port=mako.port)
        wait_info(r, "rdb_saves", 1, timeout=10)        # cron starts it
        assert (d / "dump.rdb").exists()
        assert r.info("commandstats")["cmdstat_save"]["rejected_calls"] == 1
    finally:
        mako.stop()


def exchange(port, data):
    """Every reply byte to data, read until the connection goes quiet."""
    return quiet_raw("127.0.0.1", port, data, timeout=5.0)[0]
