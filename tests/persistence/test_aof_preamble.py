"""aof-use-rdb-preamble no: an AOF base in command form, as Redis 7.0 writes and loads it.

With the setting off, a rewrite's base is `appendonly.aof.N.base.aof`, the
commands of rewriteAppendOnlyFileRio (SELECT, SET, HMSET and SADD of at
most 64 items, PEXPIREAT) in Redis's framing.  The base mako_numba writes
is parsed and replayed here on its own, loaded by mako_numba again and by a
real redis-server 7.0, and accepted by redis-check-aof; the base Redis
writes loads into mako_numba; CONFIG GET and SET answer Redis's bytes, and a
change of the setting applies from the next rewrite.
"""
import contextlib
import os
import shutil
import signal
import subprocess

import redis

from conftest import need_tool, start_mako, start_redis
from difftest import Conn
from drive import cmd_bytes, wait_info
from test_rdb_format import start_redis as start_redis_in

NO_PREAMBLE = ("--appendonly", "yes", "--aof-use-rdb-preamble", "no")
ITEMS = 64                      # AOF_REWRITE_ITEMS_PER_CMD
MANIFEST = "appendonly.aof.manifest"


@contextlib.contextmanager
def mako_on(tmp_path_factory, d, *extra):
    """mako_numba with its files in d (no snapshots); stopped on leaving the block."""
    proc = start_mako(tmp_path_factory, "--dir", str(d), "--save", "", *extra)
    try:
        yield proc
    finally:
        proc.stop()


def write_data(port):
    """Strings, hashes and sets of every encoding, keys with TTLs, in databases 0, 2 and 15."""
    r = redis.Redis(port=port)
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.set("s:%d" % i, "v%d" % i * (i % 4))             # every fourth one empty
    p.set("s:bin", b"\x00\r\n$3\r\n*\xff")
    p.set("s:int", "-12345")
    p.set("s:ttl", "x", px=3_600_000)
    p.hset("h:small", mapping={"f1": "1", "f2": "two", "f3": ""})
    p.hset("h:big", mapping={"field:%d" % i: "value:%d" % i for i in range(600)})  # a hashtable
    p.hset("h:long", mapping={"a": "1", "b": "y" * 65})    # a value over 64 bytes: a hashtable
    p.hset("h:ttl", mapping={"f": "v"})
    p.expire("h:ttl", 7200)
    p.sadd("set:ints", *range(-5, 95))                      # an intset of 100
    p.sadd("set:words", *("word%d" % i for i in range(150)))
    p.sadd("set:bigints", *range(700))                      # integers past 512: a hashtable
    p.sadd("set:ttl", "a", "b", 3)
    p.expire("set:ttl", 9000)
    p.execute()
    for db in (2, 15):
        r2 = redis.Redis(port=port, db=db)
        r2.set("in%d" % db, "x", ex=5000)
        r2.hset("h%d" % db, "f", "v")
        r2.sadd("set%d" % db, "1", "2")
        r2.close()
    r.close()


def typed_contents(port):
    """{(db, key): (type, value, pexpiretime, encoding)} of every database of the server on port."""
    got = {}
    for db in range(16):
        r = redis.Redis(port=port, db=db)
        for key in r.scan_iter(count=1000):
            t = r.type(key)
            value = {b"string": r.get, b"hash": r.hgetall, b"set": r.smembers}[t](key)
            got[(db, key)] = (t, value, r.pexpiretime(key), r.object("encoding", key))
        r.close()
    return got


def parse_commands(data):
    """The commands of a RESP file; their re-encoding must be the file's bytes (Redis's framing)."""
    cmds, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 1] == b"*"
        end = data.index(b"\r\n", pos)
        n, pos, args = int(data[pos + 1:end]), end + 2, []
        for _ in range(n):
            assert data[pos:pos + 1] == b"$"
            end = data.index(b"\r\n", pos)
            size, pos = int(data[pos + 1:end]), end + 2
            args.append(data[pos:pos + size])
            pos += size + 2
        cmds.append(args)
    assert b"".join(cmd_bytes(*c) for c in cmds) == data
    return cmds


def replay(cmds):
    """The data set the commands build, checked as rewriteAppendOnlyFileRio writes them:
    {(db, key): (type, value, pexpiretime)}."""
    db, data, selected, batches = 0, {}, [], {}
    for c in cmds:
        name = c[0]
        if name == b"SELECT":
            assert len(c) == 2
            db = int(c[1])
            selected.append(db)
            continue
        key = (db, c[1])
        if name == b"SET":
            assert len(c) == 3 and key not in data
            data[key] = [b"string", c[2], -1]
        elif name == b"HMSET":
            assert 4 <= len(c) <= 2 + 2 * ITEMS and len(c) % 2 == 0
            data.setdefault(key, [b"hash", {}, -1])[1].update(zip(c[2::2], c[3::2]))
            batches.setdefault(key, []).append((len(c) - 2) // 2)
        elif name == b"SADD":
            assert 3 <= len(c) <= 2 + ITEMS
            data.setdefault(key, [b"set", set(), -1])[1].update(c[2:])
            batches.setdefault(key, []).append(len(c) - 2)
        else:
            assert name == b"PEXPIREAT" and len(c) == 3 and data[key][2] == -1
            data[key][2] = int(c[2])
    assert selected == sorted(set(selected))                # each database once, in order
    for key, sizes in batches.items():                      # full commands, the rest last
        assert sizes[:-1] == [ITEMS] * (len(sizes) - 1) and 0 < sizes[-1] <= ITEMS, key
    return {k: tuple(v) for k, v in data.items()}, selected


def without_encoding(contents):
    return {k: v[:3] for k, v in contents.items()}


def check_manifest(d):
    manifest = d / "appendonlydir" / MANIFEST
    check = subprocess.run([need_tool("redis-check-aof"), str(manifest)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    return check.stdout


def test_the_command_form_base_loads_in_mako_and_in_redis(tmp_path_factory):
    d = tmp_path_factory.mktemp("cmdbase")
    with mako_on(tmp_path_factory, d, *NO_PREAMBLE) as mako:
        assert sorted(os.listdir(d / "appendonlydir")) == [
            "appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof", MANIFEST]
        assert (d / "appendonlydir" / "appendonly.aof.1.base.aof").read_bytes() == b""
        write_data(mako.port)
        r = redis.Redis(port=mako.port)
        assert r.bgrewriteaof() is True
        wait_info(r, "aof_rewrites", 1)
        assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"
        want = typed_contents(mako.port)
        base = (d / "appendonlydir" / "appendonly.aof.2.base.aof").read_bytes()
        r.set("after", "1")                                 # in the new incr file
        assert r.execute_command("DEBUG", "LOADAOF") == b"OK"
        after = typed_contents(mako.port)
        mako.popen.send_signal(signal.SIGTERM)
        assert mako.popen.wait(30) == 0
    assert after.pop((0, b"after"))[:3] == (b"string", b"1", -1)
    assert after == want
    assert sorted(os.listdir(d / "appendonlydir")) == [
        "appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof", MANIFEST]
    assert (d / "appendonlydir" / MANIFEST).read_text() == (
        "file appendonly.aof.2.base.aof seq 2 type b\n"
        "file appendonly.aof.2.incr.aof seq 2 type i\n")
    built, selected = replay(parse_commands(base))
    assert built == without_encoding(want) and selected == [0, 2, 15]
    assert {len(s) for s in (built[(0, b"h:big")][1], built[(0, b"set:bigints")][1])} == {600, 700}
    check_manifest(d)

    want[(0, b"after")] = (b"string", b"1", -1, b"int")
    with mako_on(tmp_path_factory, d, "--appendonly", "yes") as again:
        assert typed_contents(again.port) == want
        assert "DB loaded from append only file" in again.log()
    copy = tmp_path_factory.mktemp("cmdbase-redis")
    shutil.copytree(d / "appendonlydir", copy / "appendonlydir")
    ref = start_redis_in(copy, "dump.rdb", "--appendonly", "yes")
    try:
        assert typed_contents(ref.port) == want
    finally:
        ref.stop()


def test_mako_loads_the_command_form_base_redis_writes(tmp_path_factory):
    d = tmp_path_factory.mktemp("redisbase")
    ref = start_redis_in(d, "dump.rdb", *NO_PREAMBLE)
    try:
        write_data(ref.port)
        r = redis.Redis(port=ref.port)
        r.bgrewriteaof()
        wait_info(r, "aof_rewrites", 1)
        want = typed_contents(ref.port)
    finally:
        ref.stop()
    base = (d / "appendonlydir" / "appendonly.aof.2.base.aof").read_bytes()
    built, selected = replay(parse_commands(base))
    assert built == without_encoding(want) and selected == [0, 2, 15]
    with mako_on(tmp_path_factory, d, "--appendonly", "yes") as mako:
        assert typed_contents(mako.port) == want


def test_config_replies_are_redis_s_and_a_change_applies_at_the_next_rewrite(tmp_path_factory):
    d = tmp_path_factory.mktemp("switch")
    ref = start_redis(tmp_path_factory)
    try:
        with mako_on(tmp_path_factory, d, "--appendonly", "yes") as mako:
            ours, theirs = Conn(mako.port), Conn(ref.port)
            for args in [("CONFIG", "GET", "aof-use-rdb-preamble"),
                         ("CONFIG", "SET", "aof-use-rdb-preamble", "maybe"),
                         ("CONFIG", "SET", "aof-use-rdb-preamble", "NO"),
                         ("CONFIG", "GET", "aof-use-rdb-*"),
                         ("CONFIG", "SET", "aof-use-rdb-preamble", "yes", "aof-use-rdb-preamble", "no"),
                         ("CONFIG", "SET", "aof-use-rdb-preamble", "Yes"),
                         ("CONFIG", "GET", "aof-use-rdb-preamble"),
                         ("CONFIG", "SET", "aof-use-rdb-preamble", "no")]:
                args = [a.encode() for a in args]
                assert ours.call(*args) == theirs.call(*args), args
            assert theirs.call(b"CONFIG", b"GET", b"aof-use-rdb-preamble") == \
                b"*2\r\n$20\r\naof-use-rdb-preamble\r\n$2\r\nno\r\n"
            ours.close()
            theirs.close()
            r = redis.Redis(port=mako.port)
            r.set("k", "v", px=10_000_000)
            r.set("n", 7)
            r.bgrewriteaof()
            wait_info(r, "aof_rewrites", 1)
            assert (d / "appendonlydir" / "appendonly.aof.2.base.aof").exists()
            r.config_set("aof-use-rdb-preamble", "yes")
            r.bgrewriteaof()
            wait_info(r, "aof_rewrites", 2)
            assert sorted(os.listdir(d / "appendonlydir")) == [
                "appendonly.aof.3.base.rdb", "appendonly.aof.3.incr.aof", MANIFEST]
            want = typed_contents(mako.port)
        with mako_on(tmp_path_factory, d, "--appendonly", "yes") as again:
            assert typed_contents(again.port) == want and len(want) == 2
    finally:
        ref.stop()
