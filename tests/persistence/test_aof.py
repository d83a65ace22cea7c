"""The append-only file over real processes, beside a real Redis 7.

The same commands sent to mako_numba and to redis-server (both appendonly
yes) must leave the same incremental log, byte for byte, once absolute times
computed from "now" are blanked; each server must load the other's files;
a kill -9 loses nothing that was acknowledged under appendfsync always.
"""
import contextlib
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import redis

from conftest import need_tool, start_mako
from drive import cmd_bytes, contents, raw as quiet_raw, wait_info
from test_rdb_format import start_redis as start_redis_in

SERVER = [sys.executable, "-m", "mako_numba"]
SOON = int(time.time()) + 86_400


@contextlib.contextmanager
def aof_server(tmp_path_factory, d, *extra):
    """mako_numba logging to d/appendonlydir (no snapshots); stopped on leaving the block."""
    proc = start_mako(tmp_path_factory, "--dir", str(d), "--save", "", "--appendonly", "yes", *extra)
    try:
        yield proc
    finally:
        proc.stop()


def both_load(tmp_path_factory, d, want, *extra, read=contents):
    """mako_numba, then redis-server, started on d's append-only files, each hold `want`."""
    with aof_server(tmp_path_factory, d, *extra) as again:
        assert read(again.port) == want
    ref = start_redis_in(d, "dump.rdb", "--appendonly", "yes", *extra)
    try:
        assert read(ref.port) == want
    finally:
        ref.stop()


def incr_file(d):
    return (d / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes()


def blank_times(data):
    """Absolute millisecond times (13 digits) computed by the server from its clock."""
    return re.sub(rb"\$13\r\n1\d{12}\r\n", b"$13\r\n<ms>\r\n", data)


SEQUENCE = [
    ("SET", "a", "1"), ("SET", "a", "1", "NX"), ("SET", "b", "2", "EX", "100"),
    ("SETEX", "c", "100", "v"), ("PSETEX", "d", "100000", "v"), ("INCR", "a"), ("APPEND", "a", "x"),
    ("MSET", "e", "1", "f", "2"), ("DEL", "e", "zz"), ("DEL", "zz"), ("EXPIRE", "f", "100"),
    ("PEXPIRE", "f", "100000"), ("EXPIREAT", "f", str(SOON)), ("PERSIST", "f"), ("PERSIST", "f"),
    ("GETEX", "b", "PERSIST"), ("GETEX", "f", "EX", "50"), ("GETEX", "f"), ("GETDEL", "f"),
    ("GETSET", "a", "z"), ("SET", "p", "v", "PXAT", str(SOON * 1000)), ("SET", "k", "v", "KEEPTTL"),
    ("SELECT", "3"), ("SET", "x", "y"), ("SWAPDB", "3", "4"), ("SELECT", "4"), ("DEL", "x"),
    ("INCRBYFLOAT", "n", "1.5"), ("SETRANGE", "s", "2", "ab"), ("SETBIT", "bits", "3", "1"),
    ("SETBIT", "bits", "3", "1"), ("SET", "r", "1"), ("RENAME", "r", "r2"), ("COPY", "r2", "r3"),
    ("MOVE", "r3", "5"), ("EXPIRE", "r2", "-1"), ("MSETNX", "m1", "1", "m2", "2"),
    ("SET", "g", "v", "PX", "1"), ("SLEEP",), ("GET", "g"), ("INCRBY", "i", "5"), ("DECR", "i"),
    ("FLUSHDB",), ("SELECT", "0"), ("FLUSHALL",),
]


def run_sequence(port):
    r = redis.Redis(port=port, single_connection_client=True)
    for cmd in SEQUENCE:
        if cmd == ("SLEEP",):
            time.sleep(0.05)
            continue
        r.execute_command(*cmd)
    tx = r.pipeline(transaction=True)
    tx.set("t", 1)
    tx.incr("t")
    tx.get("t")
    tx.execute()
    tx = r.pipeline(transaction=True)          # reads only: no MULTI/EXEC in the log
    tx.get("t")
    tx.execute()
    r.close()


def test_the_log_is_redis_s_byte_for_byte(tmp_path_factory):
    dm, dr = tmp_path_factory.mktemp("mlog"), tmp_path_factory.mktemp("rlog")
    ref = start_redis_in(dr, "dump.rdb", "--appendonly", "yes", "--appendfsync", "always")
    try:
        with aof_server(tmp_path_factory, dm, "--appendfsync", "always") as mako:
            run_sequence(mako.port)
            run_sequence(ref.port)
            ours, theirs = blank_times(incr_file(dm)), blank_times(incr_file(dr))
            assert ours.split(b"\r\n") == theirs.split(b"\r\n")
    finally:
        ref.stop()
    manifest = dm / "appendonlydir" / "appendonly.aof.manifest"
    assert manifest.read_text() == (dr / "appendonlydir" / "appendonly.aof.manifest").read_text()
    check = subprocess.run([need_tool("redis-check-aof"), str(manifest)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def fill(r, n=500):
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.set("key:%d" % i, "v%d" % i * (i % 7))
        if i % 5 == 0:
            pipe.expire("key:%d" % i, 3600)
    pipe.incr("counter")
    pipe.execute()


def test_restart_and_both_ways_with_redis(tmp_path_factory):
    d = tmp_path_factory.mktemp("both")
    with aof_server(tmp_path_factory, d) as mako:
        r = redis.Redis(port=mako.port)
        fill(r)
        r.select(2)
        r.set("in2", "x")
        want = contents(mako.port)
        mako.popen.send_signal(signal.SIGTERM)
        assert mako.popen.wait(30) == 0
    with aof_server(tmp_path_factory, d) as again:
        assert contents(again.port) == want
        assert "DB loaded from append only file" in again.log()
        redis.Redis(port=again.port).set("later", "1")       # appended to the same incr file
        want[(0, b"later")] = [b"1", -1]
    ref = start_redis_in(d, "dump.rdb", "--appendonly", "yes")      # Redis reads our files
    try:
        assert contents(ref.port) == want
        redis.Redis(port=ref.port).set("from-redis", "2")
        want[(0, b"from-redis")] = [b"2", -1]
    finally:
        ref.stop()
    with aof_server(tmp_path_factory, d) as back:
        assert contents(back.port) == want                     # and we read Redis's


def test_kill_9_loses_no_acknowledged_write_under_always(tmp_path_factory):
    d = tmp_path_factory.mktemp("kill")
    with aof_server(tmp_path_factory, d, "--appendfsync", "always") as mako:
        r = redis.Redis(port=mako.port)
        acked = 0
        for i in range(2000):
            r.set("k%d" % i, i)
            acked = i + 1
        os.kill(mako.popen.pid, signal.SIGKILL)
        mako.popen.wait(30)
    with aof_server(tmp_path_factory, d) as again:
        r = redis.Redis(port=again.port)
        assert r.dbsize() == acked
        assert all(r.get("k%d" % i) == b"%d" % i for i in range(0, acked, 97))


def test_a_cut_off_last_command_is_dropped_and_the_file_trimmed(tmp_path_factory):
    d = tmp_path_factory.mktemp("cut")
    with aof_server(tmp_path_factory, d, "--appendfsync", "always") as mako:
        r = redis.Redis(port=mako.port)
        r.set("a", "1")
        r.set("b", "2")
    path = d / "appendonlydir" / "appendonly.aof.1.incr.aof"
    good = path.read_bytes()
    path.write_bytes(good + b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1")          # a crash mid-write
    with aof_server(tmp_path_factory, d) as again:
        r = redis.Redis(port=again.port)
        assert r.mget("a", "b", "c") == [b"1", b"2", None]
        assert "loaded anyway because aof-load-truncated is enabled" in again.log()
    assert path.read_bytes() == good


def test_a_corrupt_log_stops_the_start_and_names_the_offset(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    with aof_server(tmp_path_factory, d) as mako:
        redis.Redis(port=mako.port).set("a", "1")
    path = d / "appendonlydir" / "appendonly.aof.1.incr.aof"
    data = path.read_bytes() + b"*2\r\n$3\r\nGET\r\nxx\r\n*1\r\n$4\r\nPING\r\n"
    path.write_bytes(data)
    res = subprocess.run([*SERVER, "--port", "0", "--dir", str(d), "--appendonly", "yes"],
                         capture_output=True, text=True, timeout=300, cwd=d)
    assert res.returncode == 1
    assert "Bad file format reading the append only file" in res.stdout and "offset" in res.stdout
    assert path.read_bytes() == data


def test_a_log_with_another_data_type_is_refused(tmp_path_factory):
    d = tmp_path_factory.mktemp("types")
    ref = start_redis_in(d, "dump.rdb", "--appendonly", "yes")
    try:
        r = redis.Redis(port=ref.port)
        r.set("a", "1")
        r.xadd("mystream", {"f": "v"})
    finally:
        ref.stop()
    res = subprocess.run([*SERVER, "--port", "0", "--dir", str(d), "--appendonly", "yes"],
                         capture_output=True, text=True, timeout=300, cwd=d)
    assert res.returncode == 1
    assert "unknown command 'xadd' reading the append only file" in res.stdout.lower()


def test_config_set_appendonly_starts_the_log(tmp_path_factory):
    d = tmp_path_factory.mktemp("cfg")
    mako = start_mako(tmp_path_factory, "--dir", str(d), "--save", "")
    try:
        r = redis.Redis(port=mako.port)
        r.set("before", "1")
        assert r.info("persistence")["aof_enabled"] == 0
        r.config_set("appendonly", "yes")
        r.set("after", "2")
        info = r.info("persistence")
        assert info["aof_enabled"] == 1 and info["aof_last_write_status"] == "ok"
        assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
    finally:
        mako.stop()
    with aof_server(tmp_path_factory, d) as again:
        assert redis.Redis(port=again.port).mget("before", "after") == [b"1", b"2"]


def test_bgrewriteaof_installs_a_new_base_and_keeps_later_writes(tmp_path_factory):
    d = tmp_path_factory.mktemp("rewrite")
    with aof_server(tmp_path_factory, d) as mako:
        r = redis.Redis(port=mako.port)
        fill(r, 3000)
        for i in range(200):
            r.set("over", i)                            # history the rewrite folds away
        assert quiet_raw("127.0.0.1", mako.port, b"BGREWRITEAOF\r\n")[0] == \
            b"+Background append only file rewriting started\r\n"
        r.set("during", "1")                            # lands in the new incr file
        wait_info(r, "aof_rewrite_in_progress", 0)
        info = r.info("persistence")
        assert info["aof_rewrites"] == 1 and info["aof_last_bgrewrite_status"] == "ok"
        assert r.info("stats")["total_forks"] == 1 and info["aof_last_cow_size"] >= 0
        r.set("after", "2")
        want = contents(mako.port)
    files = sorted(os.listdir(d / "appendonlydir"))
    assert files == ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof",
                     "appendonly.aof.manifest"]
    manifest = d / "appendonlydir" / "appendonly.aof.manifest"
    assert manifest.read_text() == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                                    "file appendonly.aof.2.incr.aof seq 2 type i\n")
    check = subprocess.run([need_tool("redis-check-aof"), str(manifest)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    both_load(tmp_path_factory, d, want)


def test_the_log_grown_past_its_limit_is_rewritten(tmp_path_factory):
    d = tmp_path_factory.mktemp("auto")
    with aof_server(tmp_path_factory, d) as mako:
        r = redis.Redis(port=mako.port)
        r.config_set("auto-aof-rewrite-min-size", "4kb")
        assert r.config_get("auto-aof-rewrite-min-size") == {"auto-aof-rewrite-min-size": "4096"}
        for i in range(300):
            r.set("k", "v" * 50)
        wait_info(r, "aof_rewrites", 1)
        assert "Starting automatic rewriting of AOF on" in mako.log()



def _write_log_with_persisted_keys(d, past, flush=False):
    """An AOF directory (a base RDB and an incr file) in which keys got an expire time that is
    long past by now, then PERSIST; two other keys were left to expire.  flush: the incr file
    starts with FLUSHALL (the base's keys go)."""
    from mako_numba.persistence.rdb import RdbWriter
    w = RdbWriter()
    base = b"".join([w.header({"aof-base": 1}), w.select_db(0, 2, 2),
                     w.string(b"in-base", b"1", past), w.string(b"gone-base", b"5", past), w.footer()])
    incr = b"".join(cmd_bytes(*c) for c in [("SELECT", "0")] + [("FLUSHALL",)] * flush + [
        ("PERSIST", "in-base"), ("SET", "in-incr", "2", "PXAT", str(past)),
        ("PERSIST", "in-incr"), ("SET", "later", "3"), ("PEXPIREAT", "later", str(past)),
        ("PERSIST", "later"), ("SET", "gone", "4", "PXAT", str(past))])
    logdir = d / "appendonlydir"
    logdir.mkdir()
    (logdir / "appendonly.aof.1.base.rdb").write_bytes(base)
    (logdir / "appendonly.aof.1.incr.aof").write_bytes(incr)
    (logdir / "appendonly.aof.manifest").write_text(
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")


@pytest.mark.parametrize("flush", [False, True])
def test_persisted_keys_outlive_their_old_expire_time_on_reload(tmp_path_factory, flush):
    """Nothing expires until the whole log is in, as in Redis's loader (the soak test found that
    a key set with a short PX and then PERSISTed was lost by a restart), also after a FLUSHALL."""
    want = {(0, b"in-base"): [b"1", -1], (0, b"in-incr"): [b"2", -1], (0, b"later"): [b"3", -1]}
    if flush:
        del want[(0, b"in-base")]
    past = int(time.time() * 1000) - 60_000
    d = tmp_path_factory.mktemp("pm")
    _write_log_with_persisted_keys(d, past, flush)
    both_load(tmp_path_factory, d, want)


RENAMED = ("--rename-command", "FLUSHALL", "myflush", "--rename-command", "DEL", "mydel",
           "--rename-command", "CONFIG", "")


def _values(port):
    return {k: v[0] for k, v in contents(port).items()}


def test_renamed_commands_reload(tmp_path_factory):
    """Commands logged under their new names (as Redis logs them) load again with the same
    renames, on both servers and across them."""
    dm, dr = tmp_path_factory.mktemp("rnm"), tmp_path_factory.mktemp("rnr")
    ref = start_redis_in(dr, "dump.rdb", "--appendonly", "yes", *RENAMED)
    try:
        with aof_server(tmp_path_factory, dm, *RENAMED) as mako:
            for port in (mako.port, ref.port):
                r = redis.Redis(port=port)
                r.set("gone", "1")
                r.execute_command("myflush")
                r.mset({"a": "1", "b": "2", "c": "3"})
                r.execute_command("mydel", "a", "zz")
                r.set("t", "v", ex=1000)
                r.close()
            want = _values(mako.port)
            assert _values(ref.port) == want
            assert want == {(0, b"b"): b"2", (0, b"c"): b"3", (0, b"t"): b"v"}
    finally:
        ref.stop()
    for d in (dm, dr):
        assert b"myflush" in incr_file(d) and b"mydel" in incr_file(d)
        both_load(tmp_path_factory, d, want, *RENAMED, read=_values)
