"""Lists through RDB files and AOF rewrites, between mako_numba and a real Redis 7.0, over sockets.

The same commands (test_list_rdb.commands: lists built by RPUSH and LPUSH,
changed by LPOP, RPOP, LREM, LINSERT and LSET, integers of every listpack
width, empty strings, strings of 63, 64, 4095, 4096 and 70000 bytes, LZF
and incompressible ones, expiry, two databases) build the same data on both
servers.  Then, comparing every key's elements (LRANGE), TTL and OBJECT
ENCODING:
(a) mako's SAVE, loaded into a fresh redis-server, holds what the reference
    Redis holds, and redis-check-rdb accepts the file; the lists RPUSH built
    have Redis's own nodes there (DEBUG OBJECT ql_nodes, serializedlength),
    also under list-max-listpack-size 5;
(b) mako started on the reference Redis's dump holds the same, also when
    Redis wrote it with list-compress-depth 1 and 2 (LZF-compressed nodes,
    with and without rdbcompression) or list-max-listpack-size 5;
(c) DEBUG RELOAD keeps the data;
(d) BGREWRITEAOF with and without the RDB preamble, then a restart, keep the
    data in mako and in a redis-server started on the same AOF files;
(e) DEBUG OBJECT's serializedlength is Redis's.
"""
import shutil
import subprocess

import pytest
import redis

from conftest import need_tool, start_mako, start_pair, start_redis
from drive import wait_info
from mako_numba.engine.core import Core
from mako_numba.store.types import list as list_type
from test_aof_preamble import check_manifest, parse_commands
from test_list_rdb import commands, expected, run
from test_rdb_format import start_redis as start_redis_in

DEBUG = ("--enable-debug-command", "yes")
RPUSHED = [b"l:small", b"l:one", b"l:edge", b"l:long", b"l:bin", b"l:ttl", b"l:big"]


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
            kind = r.type(k)
            value = {b"list": lambda k: r.lrange(k, 0, -1), b"hash": r.hgetall,
                     b"set": r.smembers, b"string": r.get}[kind](k)
            out[(db, k)] = (kind, value, r.pexpiretime(k), r.object("encoding", k))
        r.close()
    return out


def nodes(port, keys=RPUSHED):
    """{key: (ql_nodes, serializedlength)} of database 0, from DEBUG OBJECT."""
    r = redis.Redis(port=port)
    out = {}
    for k in keys:
        d = r.debug_object(k)
        out[k] = (d.get("ql_nodes"), d["serializedlength"])
    r.close()
    return out


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """mako_numba and a reference Redis holding the same data, built by the same commands."""
    m = start_mako(tmp_path_factory, "--save", "")
    r = start_redis(tmp_path_factory, *DEBUG)
    try:
        fill(m.port)
        fill(r.port)
        want = contents(r.port)
        assert contents(m.port) == want and len(want) == 24
        yield m, r, want
    finally:
        m.stop()
        r.stop()


def redis_on(path, tmp_path, *opts):
    """A fresh redis-server started on a copy of the RDB file at path."""
    shutil.copy(path, tmp_path / "dump.rdb")
    return start_redis_in(tmp_path, "dump.rdb", *DEBUG, *opts)


def check_rdb(path):
    check = subprocess.run([need_tool("redis-check-rdb"), str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "RDB looks OK" in check.stdout, check.stdout + check.stderr


def test_redis_loads_what_mako_saves(filled, tmp_path):
    m, r, want = filled
    assert redis.Redis(port=m.port).save()
    path = m.log_path.parent / "dump.rdb"
    check_rdb(path)
    fresh = redis_on(path, tmp_path)
    try:
        assert contents(fresh.port) == want
        assert nodes(fresh.port) == nodes(r.port)       # Redis's own nodes, had RPUSH built them
    finally:
        fresh.stop()


def test_under_list_max_listpack_size_5_both_ways(tmp_path_factory):
    opts = ("--list-max-listpack-size", "5")
    d = tmp_path_factory.mktemp("fill5")
    m = start_mako(tmp_path_factory, "--save", "", "--dir", str(d), *opts)
    r = start_redis(tmp_path_factory, *DEBUG, *opts)
    try:
        fill(m.port)
        fill(r.port)
        want = contents(r.port)
        assert redis.Redis(port=m.port).config_get("list-max-ziplist-size") == \
            {"list-max-ziplist-size": "5"}
        assert redis.Redis(port=m.port).save() and redis.Redis(port=r.port).save()
        check_rdb(d / "dump.rdb")
        fresh = redis_on(d / "dump.rdb", tmp_path_factory.mktemp("fill5-redis"), *opts)
        try:
            assert contents(fresh.port) == want
            assert nodes(fresh.port) == nodes(r.port)
            assert nodes(r.port)[b"l:big"][0] == "200"
        finally:
            fresh.stop()
        d2 = tmp_path_factory.mktemp("fill5-mako")
        shutil.copy(r.log_path.parent / "dump.rdb", d2 / "dump.rdb")
        again = start_mako(tmp_path_factory, "--dir", str(d2), "--save", "")
        try:
            assert contents(again.port) == want
        finally:
            again.stop()
    finally:
        m.stop()
        r.stop()


@pytest.mark.parametrize("opts", [(), ("--list-compress-depth", "1"),
                                  ("--list-compress-depth", "2", "--rdbcompression", "no"),
                                  ("--list-max-listpack-size", "5", "--list-compress-depth", "1")],
                         ids=["plain", "depth1", "depth2-rdbcompression-no", "fill5-depth1"])
def test_mako_loads_what_redis_saves(filled, tmp_path_factory, opts):
    m, r, want = filled
    d = tmp_path_factory.mktemp("from_redis")
    ref = start_redis_in(d, "dump.rdb", *DEBUG, *opts)
    try:
        fill(ref.port)
        assert contents(ref.port) == want
        if "--list-compress-depth" in opts:
            assert redis.Redis(port=ref.port).debug_object("l:long")["ql_compressed"] == "1"
        assert redis.Redis(port=ref.port).save()
    finally:
        ref.stop()
    again = start_mako(tmp_path_factory, "--dir", str(d), "--save", "")
    try:
        assert contents(again.port) == want
    finally:
        again.stop()


def test_compressed_nodes_are_in_the_file(tmp_path_factory):
    """list-compress-depth 1 with rdbcompression no: Redis writes its compressed nodes as they
    are (rdbSaveLzfBlob), so the file shrinks, and mako loads it (the case above)."""
    sizes = []
    for depth in ("0", "1"):
        d = tmp_path_factory.mktemp("depth" + depth)
        ref = start_redis_in(d, "dump.rdb", "--rdbcompression", "no", "--list-compress-depth", depth)
        try:
            fill(ref.port)
            assert redis.Redis(port=ref.port).save()
        finally:
            ref.stop()
        sizes.append((d / "dump.rdb").stat().st_size)
    assert sizes[1] < sizes[0]


def test_debug_reload_keeps_the_data(filled):
    m, r, want = filled
    assert redis.Redis(port=m.port).execute_command("DEBUG", "RELOAD") in (True, b"OK")
    assert contents(m.port) == want


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_bgrewriteaof_and_a_restart_keep_the_data_here_and_in_redis(tmp_path_factory, preamble):
    d = tmp_path_factory.mktemp("aof-" + preamble)
    opts = ("--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    m = start_mako(tmp_path_factory, "--dir", str(d), "--save", "", *opts)
    try:
        fill(m.port)
        r = redis.Redis(port=m.port)
        assert r.bgrewriteaof()
        wait_info(r, "aof_rewrites", 1)
        assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"
        fill(m.port, [("RPUSH", "l:small", "after"), ("LPOP", "l:one"), ("LSET", "l:edge", 0, "z")])
        want = contents(m.port)
    finally:
        m.stop()
    base = d / "appendonlydir" / ("appendonly.aof.2.base." + ("rdb" if preamble == "yes" else "aof"))
    if preamble == "no":                # rewriteListObject: RPUSH of 64 elements, the rest last
        cmds = parse_commands(base.read_bytes())
        pushes = [len(c) - 2 for c in cmds if c[0] == b"RPUSH"]
        lists = [v for v, e in expected().values() if isinstance(v, list)]
        want_pushes = []
        for v in lists:
            want_pushes += [64] * (len(v) // 64) + ([len(v) % 64] if len(v) % 64 else [])
        assert sorted(pushes) == sorted(want_pushes)
        assert [c[1] for c in cmds if c[0] == b"PEXPIREAT"] == [b"l:ttl", b"l:ttl"]
    check_manifest(d)
    again = start_mako(tmp_path_factory, "--dir", str(d), "--save", "", "--appendonly", "yes")
    try:
        assert contents(again.port) == want
    finally:
        again.stop()
    copy = tmp_path_factory.mktemp("aof-redis-" + preamble)
    shutil.copytree(d / "appendonlydir", copy / "appendonlydir")
    ref = start_redis_in(copy, "dump.rdb", "--appendonly", "yes")
    try:
        assert contents(ref.port) == want
    finally:
        ref.stop()


# --- DEBUG OBJECT serializedlength ---------------------------------------------------------------
SIZED = [("RPUSH", "small", "a", "b", "c"),
         ("RPUSH", "ints", *range(-300, 300, 7), 2**40, -2**63),
         ("RPUSH", "thousand", *("element:%d" % i for i in range(1000))),
         ("RPUSH", "bigstrings", "x" * 5000, "y" * 9000, "z" * 100, "abc" * 10000, "w" * 64)]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    m, r = start_pair(tmp_path_factory, redis_opts=DEBUG)
    yield m, r
    m.stop()
    r.stop()


def test_serializedlength_is_redis_s(pair):
    m, r = pair
    for proc in (m, r):
        c = redis.Redis(port=proc.port)
        c.flushall()
        for cmd in SIZED:
            c.execute_command(*cmd)
    for key in ("small", "ints", "thousand", "bigstrings"):
        ours = redis.Redis(port=m.port).debug_object(key)
        theirs = redis.Redis(port=r.port).debug_object(key)
        assert (ours["encoding"], ours["serializedlength"]) == \
            (theirs["encoding"], theirs["serializedlength"]), key


@pytest.mark.parametrize("size", ["5", "-1", "-5", "1"])
def test_serialized_length_under_another_fill_is_redis_s(tmp_path_factory, size):
    """store/types/list.serialized_length(value, flags, fill) against a Redis started with that
    list-max-listpack-size (DEBUG OBJECT over the socket answers for the default only: it
    does not hand the setting to the type's module)."""
    ref = start_redis(tmp_path_factory, *DEBUG, "--list-max-listpack-size", size)
    core = Core(maxclients=4, seed=1)
    try:
        run(core, SIZED)
        c = redis.Redis(port=ref.port)
        for cmd in SIZED:
            c.execute_command(*cmd)
        for key in (b"small", b"ints", b"thousand", b"bigstrings"):
            value, flags = core.key_info(0, key)[0::4]
            assert list_type.serialized_length(value, flags, int(size)) == \
                c.debug_object(key)["serializedlength"], key
    finally:
        ref.stop()
