"""Hashes and sets through RDB files, between mako_numba and a real Redis 7.0, over sockets.

The same commands (test_rdbcoll.commands: listpack and hashtable hashes, over
512 fields, a value over 64 bytes, LZF-compressed values, intsets of every
width, string sets, holes left by HDEL and SREM, expiry, two databases) build
the same data on both servers.  Then, comparing every key, field, member,
TTL and OBJECT ENCODING (sets as sets, a listpack's fields in order):
(a) mako's SAVE, loaded into a fresh redis-server, holds what the reference
    Redis holds, and (c) redis-check-rdb accepts the file;
(b) mako started on the reference Redis's dump holds the same;
(d) DEBUG RELOAD keeps the data, (e) so do BGREWRITEAOF and a restart.
A file with every encoding Redis 7.0 loads (ziplist and zipmap hashes too),
on each side of small limits, loads into both servers alike.
"""
import shutil
import subprocess

import pytest
import redis

from conftest import need_tool, start_mako, start_redis
from drive import wait_info
from test_rdb_format import start_redis as start_redis_in
from test_rdbcoll import LIMITS, commands, limits_file


def fill(port, extra=()):
    r = redis.Redis(port=port, single_connection_client=True)
    for c in [*commands(), *extra]:
        r.execute_command(*c)
    r.close()


def contents(port):
    """{(db, key): (type, value, pexpiretime, OBJECT ENCODING)} of every database."""
    out = {}
    for db in range(16):
        r = redis.Redis(port=port, db=db)
        for k in r.scan_iter(count=1000):
            kind, enc = r.type(k), r.object("encoding", k)
            if kind == b"hash":
                value = r.hgetall(k)
                value = list(value.items()) if enc == b"listpack" else value
            elif kind == b"set":
                value = r.smembers(k)
            else:
                value = r.get(k)
            out[(db, k)] = (kind, value, r.pexpiretime(k), enc)
        r.close()
    return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """mako_numba and a reference Redis holding the same data, built by the same commands."""
    m = start_mako(tmp_path_factory, "--save", "")
    r = start_redis(tmp_path_factory)
    try:
        fill(m.port)
        fill(r.port)
        want = contents(r.port)
        assert contents(m.port) == want and len(want) == 28
        yield m, r, want
    finally:
        m.stop()
        r.stop()


def test_redis_loads_what_mako_saves(filled, tmp_path):
    m, r, want = filled
    assert redis.Redis(port=m.port).save()
    path = m.log_path.parent / "dump.rdb"
    check = subprocess.run([need_tool("redis-check-rdb"), str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "RDB looks OK" in check.stdout, check.stdout + check.stderr
    shutil.copy(path, tmp_path / "dump.rdb")
    fresh = start_redis_in(tmp_path)
    try:
        assert contents(fresh.port) == want
    finally:
        fresh.stop()


def test_mako_loads_what_redis_saves(filled, tmp_path_factory):
    m, r, want = filled
    assert redis.Redis(port=r.port).save()
    d = tmp_path_factory.mktemp("from_redis")
    shutil.copy(r.log_path.parent / "dump.rdb", d / "dump.rdb")
    again = start_mako(tmp_path_factory, "--dir", str(d), "--save", "")
    try:
        assert contents(again.port) == want
    finally:
        again.stop()


def test_debug_reload_keeps_the_data(filled):
    m, r, want = filled
    assert redis.Redis(port=m.port).execute_command("DEBUG", "RELOAD") in (True, b"OK")
    assert contents(m.port) == want


def test_bgrewriteaof_and_a_restart_keep_the_data(tmp_path_factory):
    d = tmp_path_factory.mktemp("aof")
    m = start_mako(tmp_path_factory, "--dir", str(d), "--save", "", "--appendonly", "yes")
    try:
        fill(m.port)
        r = redis.Redis(port=m.port)
        assert r.bgrewriteaof()
        wait_info(r, "aof_rewrite_in_progress", 0)
        assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"
        fill(m.port, [("HSET", "h:small", "after", "1"), ("SADD", "s:ints", 99), ("SREM", "s:strs", "a")])
        want = contents(m.port)
    finally:
        m.stop()
    assert (d / "appendonlydir" / "appendonly.aof.2.base.rdb").exists()
    again = start_mako(tmp_path_factory, "--dir", str(d), "--save", "", "--appendonly", "yes")
    try:
        assert contents(again.port) == want
    finally:
        again.stop()


def test_every_encoding_loads_as_redis_loads_it(tmp_path_factory):
    data, encodings = limits_file()
    options = [x for name, v in LIMITS.items() for x in ("--" + name.replace("_", "-"), str(v))]
    got = []
    for start in (lambda d: start_redis_in(d, "dump.rdb", *options),
                  lambda d: start_mako(tmp_path_factory, "--dir", str(d), "--save", "", *options)):
        d = tmp_path_factory.mktemp("every")
        (d / "dump.rdb").write_bytes(data)
        proc = start(d)
        try:
            got.append(contents(proc.port))
        finally:
            proc.stop()
    assert got[0] == got[1]
    assert {k: v[3].decode() for (db, k), v in got[0].items()} == encodings
