"""Sorted sets through RDB files and AOF rewrites, between mako_numba and a real Redis 7.0, over sockets.

The same commands (test_zset_rdb.commands: sorted sets built by ZADD, changed
by ZREM, ZINCRBY and ZREMRANGEBYRANK; integer, fractional, extreme and
infinite scores, -0; members that are integers of every listpack width,
empty, binary, 64 and 65 bytes, 4095, 5000 and 70000 bytes, LZF and
incompressible; 128 and 129 members; expiry; two databases) build the same
data on both servers.  Then, comparing every key's pairs (ZRANGE ...
WITHSCORES, the scores as Redis prints them), TTL and OBJECT ENCODING:
(a) mako's SAVE, loaded into a fresh redis-server (and into mako again),
    holds what the reference Redis holds, and redis-check-rdb accepts the
    file; DEBUG OBJECT's serializedlength there is the reference's, and the
    reference's own SAVE holds the same records byte for byte; a sorted set
    of 100,000 members goes both ways and through DEBUG RELOAD;
(b) mako started on a dump of the reference Redis (default settings,
    zset-max-listpack-entries 0 so that every sorted set is RDB_TYPE_ZSET_2,
    rdbcompression no) holds what a redis-server started on it holds;
(c) files of the types Redis 7.0 only reads (RDB_TYPE_ZSET with text scores,
    RDB_TYPE_ZSET_ZIPLIST) and ZSET_2 in any order load in both alike, also
    under other zset-max-listpack-* settings; a NaN score or a duplicated
    member stops both;
(d) DEBUG RELOAD keeps the data;
(e) BGREWRITEAOF with and without the RDB preamble, then a restart, keep the
    data in mako and in a redis-server started on the same AOF files;
(f) DEBUG OBJECT's serializedlength is Redis's.
"""
import math
import shutil
import struct
import subprocess

import numpy as np
import pytest
import redis

from conftest import need_tool, start_mako, start_pair, start_redis
from drive import wait_info
from mako_numba.engine.core import Core
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.rdb import RdbError, field_bytes
from mako_numba.persistence.rdbscan import (
    K_KEY, NCOLS, R_DB, R_END, R_KEY, R_KIND, R_START, R_TYPE, S_EOF, S_FULL, scan_records,
)
from test_aof_preamble import check_manifest, parse_commands
from test_rdb_format import start_redis as start_redis_in
from test_zset_rdb import commands, file_of, lp, model, pairs3, pairs5, string, zl

DEBUG = ("--enable-debug-command", "yes")
ZSETS = [b"z:small", b"z:one", b"z:edge", b"z:edge-sl", b"z:64", b"z:65", b"z:128", b"z:129",
         b"z:ties", b"z:ties-sl", b"z:long", b"z:neg0", b"z:bin", b"z:ttl", b"z:big", b"z:changed",
         b"z:lp-changed"]


def fill(port, extra=()):
    r = redis.Redis(port=port, single_connection_client=True)
    for c in [*commands(), *extra]:
        r.execute_command(*c)
    r.close()


def contents(port):
    """{(db, key): (type, value, pexpiretime, OBJECT ENCODING)} of every database; a sorted
    set's value its pairs with the scores as the server prints them."""
    out = {}
    for db in range(16):
        r = redis.Redis(port=port, db=db)
        for k in r.scan_iter(count=1000):
            kind = r.type(k)
            if kind == b"zset":
                value = r.zrange(k, 0, -1, withscores=True, score_cast_func=bytes)
            else:
                value = {b"list": lambda k: r.lrange(k, 0, -1), b"hash": r.hgetall,
                         b"set": r.smembers, b"string": r.get}[kind](k)
            out[(db, k)] = (kind, value, r.pexpiretime(k), r.object("encoding", k))
        r.close()
    return out


def lengths(port, keys=ZSETS):
    """{key: (encoding, serializedlength)} of database 0, from DEBUG OBJECT."""
    r = redis.Redis(port=port)
    out = {}
    for k in keys:
        d = r.debug_object(k)
        out[k] = (d["encoding"], d["serializedlength"])
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
        assert contents(m.port) == want and len(want) == 2 * (len(ZSETS) + 4)
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


def test_the_model_is_what_redis_holds(filled):
    """test_zset_rdb's model of the commands (its -0 and its encodings) against Redis."""
    m, r, want = filled
    for key, (d, enc) in model().items():
        kind, pairs, expire, encoding = want[(0, key)]
        assert encoding == enc.encode(), key
        assert [(k, float(v)) for k, v in pairs] == sorted(d.items(), key=lambda p: (p[1], p[0]))
        assert [math.copysign(1, float(v)) for k, v in pairs] == \
            [math.copysign(1, v) for k, v in sorted(d.items(), key=lambda p: (p[1], p[0]))], key


def test_redis_loads_what_mako_saves(filled, tmp_path, tmp_path_factory):
    m, r, want = filled
    assert redis.Redis(port=m.port).save()
    path = m.log_path.parent / "dump.rdb"
    check_rdb(path)
    fresh = redis_on(path, tmp_path)
    try:
        assert contents(fresh.port) == want
        assert lengths(fresh.port) == lengths(r.port)       # the values' bytes are Redis's
    finally:
        fresh.stop()
    d = tmp_path_factory.mktemp("restart")       # and mako restarts on its own file
    shutil.copy(path, d / "dump.rdb")
    again = start_mako(tmp_path_factory, "--dir", str(d), "--save", "")
    try:
        assert contents(again.port) == want
    finally:
        again.stop()


def test_100k_members_both_ways(tmp_path_factory):
    """A sorted set of 100,000 members: mako's SAVE into Redis, Redis's into mako, DEBUG
    RELOAD."""
    big = [("ZADD", "huge", *[x for i in range(j, j + 5000)
                              for x in ("%d.%d" % (i % 977, i % 10), "member:%d" % i)])
           for j in range(0, 100_000, 5000)]
    d = tmp_path_factory.mktemp("huge")
    m = start_mako(tmp_path_factory, "--dir", str(d), "--save", "")
    r = start_redis(tmp_path_factory, *DEBUG)
    try:
        for port in (m.port, r.port):
            c = redis.Redis(port=port)
            for cmd in big:
                c.execute_command(*cmd)
            c.pexpireat("huge", 4102444800000)
        want = contents(r.port)
        assert contents(m.port) == want and len(want[(0, b"huge")][1]) == 100_000
        assert redis.Redis(port=m.port).execute_command("DEBUG", "RELOAD") in (True, b"OK")
        assert contents(m.port) == want
        assert redis.Redis(port=m.port).save() and redis.Redis(port=r.port).save()
        check_rdb(d / "dump.rdb")
        fresh = redis_on(d / "dump.rdb", tmp_path_factory.mktemp("huge-redis"))
        try:
            assert contents(fresh.port) == want
        finally:
            fresh.stop()
        d2 = tmp_path_factory.mktemp("huge-mako")
        shutil.copy(r.log_path.parent / "dump.rdb", d2 / "dump.rdb")
        again = start_mako(tmp_path_factory, "--dir", str(d2), "--save", "")
        try:
            assert contents(again.port) == want
        finally:
            again.stop()
    finally:
        m.stop()
        r.stop()


def test_mako_and_redis_files_are_alike(filled, tmp_path_factory):
    """The reference's own SAVE and mako's hold the same sorted-set records, byte for byte
    (the keys in each server's own order): Redis's listpacks, its skiplists walked from the
    tail, the same LZF."""
    m, r, want = filled
    d = tmp_path_factory.mktemp("alike")
    ref = start_redis_in(d, "dump.rdb", *DEBUG)
    try:
        fill(ref.port)
        assert redis.Redis(port=ref.port).save()
    finally:
        ref.stop()
    assert redis.Redis(port=m.port).save()
    ours = records((m.log_path.parent / "dump.rdb").read_bytes())
    theirs = records((d / "dump.rdb").read_bytes())
    assert len(ours) == 2 * len(ZSETS) and ours == theirs


def records(data):
    """{(db, key): the bytes of its record, type byte to the value's end} of the sorted sets."""
    buf = np.frombuffer(data, np.uint8)
    rows = np.zeros((4097, NCOLS), np.int64)
    state = np.array([0, -1], np.int64)
    pos, out = 9, {}
    while True:
        n = scan_records(buf, pos, buf.shape[0], state, 1 << 40, rows)
        for row in rows[:n].tolist():
            if row[R_KIND] == K_KEY and row[R_TYPE] in (5, 17):
                key = field_bytes(buf, 0, *row[R_KEY:R_KEY + 4])
                out[(row[R_DB], key)] = data[row[R_START]:row[R_END]]
        stop = rows[n].tolist()
        if stop[R_KIND] == S_EOF:
            return out
        assert stop[R_KIND] == S_FULL
        pos = stop[R_END]


@pytest.mark.parametrize("opts", [(), ("--zset-max-listpack-entries", "0"),
                                  ("--rdbcompression", "no"),
                                  ("--zset-max-listpack-entries", "1000",
                                   "--zset-max-listpack-value", "100000")],
                         ids=["default", "entries0-zset2", "rdbcompression-no", "large"])
def test_mako_loads_what_redis_saves(tmp_path_factory, opts):
    d = tmp_path_factory.mktemp("from_redis")
    ref = start_redis_in(d, "dump.rdb", *DEBUG, *opts)
    try:
        fill(ref.port)
        assert redis.Redis(port=ref.port).save()
    finally:
        ref.stop()
    data = (d / "dump.rdb").read_bytes()
    if opts[:2] == ("--zset-max-listpack-entries", "0"):
        assert b"\x11" + string(b"z:small") not in data and b"\x05" + string(b"z:small") in data
    fresh = redis_on(d / "dump.rdb", tmp_path_factory.mktemp("fresh"))
    try:
        want = contents(fresh.port)
    finally:
        fresh.stop()
    again = start_mako(tmp_path_factory, "--dir", str(d), "--save", "")
    try:
        assert contents(again.port) == want
    finally:
        again.stop()


def old_files():
    """Files of the sorted-set types Redis 7.0 only reads, and ZSET_2 in any order."""
    pairs = [(b"a", 1.0), (b"12", -2.5), (b"-70000", 1e20), (b"", 0.0), (b"007", math.inf),
             (b"x" * 70, -math.inf), (b"9223372036854775807", 3.0), (b"h", -0.0),
             (b"q", 0.1), (b"r", 1e-300)]
    few = [p for p in pairs if len(p[0]) <= 64]
    text = (3, b"\x04" + string(b"s1") + b"\x04 1e3" + string(b"s2") + b"\x031x!" + string(b"s3")
            + b"\x05-0.0 " + string(b"s4") + b"\x030x.")
    return file_of((b"t3", (3, pairs3(pairs))), (b"t3-few", (3, pairs3(few[::-1]))),
                   (b"t3-text", text),
                   (b"t5-up", (5, pairs5(sorted(pairs, key=lambda p: (p[1], p[0]))))),
                   (b"t5-few", (5, pairs5(few))),
                   (b"t12", (12, string(zl(sorted(few, key=lambda p: (p[1], p[0])))))),
                   (b"t12-long", (12, string(zl([(b"y" * 100, 1.0), (b"z", 2.0)])))),
                   (b"t12-many", (12, string(zl([(b"m%d" % i, i * 0.5) for i in range(200)])))),
                   (b"t17-long", (17, string(lp([(b"y" * 100, 1.0), (b"z", 2.0)])))),
                   (b"t17-many", (17, string(lp([(b"m%d" % i, float(i)) for i in range(300)])))))


@pytest.mark.parametrize("opts", [(), ("--zset-max-listpack-entries", "2"),
                                  ("--zset-max-listpack-value", "1")],
                         ids=["default", "entries2", "value1"])
def test_old_types_load_alike(tmp_path_factory, opts):
    d = tmp_path_factory.mktemp("old")
    (d / "dump.rdb").write_bytes(old_files())
    fresh = start_redis_in(d, "dump.rdb", *DEBUG, *opts)
    try:
        want = contents(fresh.port)
        assert len(want) == 10
    finally:
        fresh.stop()
    again = start_mako(tmp_path_factory, "--dir", str(d), "--save", "", *opts)
    try:
        assert contents(again.port) == want
    finally:
        again.stop()


SHORT_READ = "Short read or OOM loading DB"
NAN = "Zset with NAN score detected"


@pytest.mark.parametrize("value, words, ours", [
    ((5, pairs5([(b"a", 1.0)])[:-8] + struct.pack("<d", math.nan)), NAN, NAN),
    ((3, pairs3([(b"a", 1.0), (b"b", math.nan)])), NAN, NAN),
    ((3, pairs3([(b"a", 1.0)])[:-2] + b"\x03nan"), NAN, NAN),
    ((3, pairs3([(b"a", 1.0)])[:-2] + b"\x020x"), SHORT_READ, "Zset score that is not a number"),
    ((3, pairs3([(b"a", 1.0)])[:-2] + b"\x02  "), SHORT_READ, "Zset score that is not a number"),
    ((5, pairs5([(b"a", 1.0), (b"b", 2.0), (b"a", 3.0)])), "Duplicate zset fields detected", None),
    ((5, pairs5([(b"a" * 70, 1.0), (b"a" * 70, 3.0)])), "Duplicate zset fields detected", None),
    ((12, string(zl([(b"a", 1.0), (b"a", 2.0)]))), "Zset ziplist integrity check failed", None),
    ((12, string(zl([(b"a", 1.0)]) + b"\x00")), "Zset ziplist integrity check failed", None),
    ((17, string(lp([(b"a", 1.0)])[:-1] + b"\x00")), "Zset listpack integrity check failed",
     None)])
def test_corrupt_zsets_stop_both(tmp_path, value, words, ours):
    (tmp_path / "dump.rdb").write_bytes(file_of((b"k", value)))
    with pytest.raises(RuntimeError, match=words):
        start_redis_in(tmp_path, "dump.rdb").stop()
    with pytest.raises(RdbError, match=ours or words):
        load_file(Core(maxclients=4, seed=1), str(tmp_path / "dump.rdb"))


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
        fill(m.port, [("ZADD", "z:small", 9, "after"), ("ZREM", "z:one", "only"),
                      ("ZINCRBY", "z:edge", 1, "")])
        want = contents(m.port)
    finally:
        m.stop()
    base = d / "appendonlydir" / ("appendonly.aof.2.base." + ("rdb" if preamble == "yes" else "aof"))
    if preamble == "no":                # rewriteSortedSetObject: ZADD of 64 pairs, the rest last
        cmds = parse_commands(base.read_bytes())
        adds = sorted((len(c) - 2) // 2 for c in cmds if c[0] == b"ZADD")
        want_adds = []
        for dd, enc in model().values():
            n = len(dd)
            want_adds += [64] * (n // 64) + ([n % 64] if n % 64 else [])
        assert adds == sorted(want_adds * 2)
        assert [c[1] for c in cmds if c[0] == b"PEXPIREAT"] == [b"z:ttl", b"z:ttl"]
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
SIZED = [("ZADD", "small", 1, "a", 2.5, "b", "-inf", "c"),
         ("ZADD", "ints", *[x for i in range(-300, 300, 7) for x in (i, i)]),
         ("ZADD", "thousand", *[x for i in range(1000) for x in (i / 7, "element:%d" % i)]),
         ("ZADD", "bigstrings", 1, "x" * 5000, 2, "y" * 9000, 3, "z" * 100, 4, "abc" * 10000,
          5, "w" * 64),
         ("ZADD", "neg0", "-0", "n" * 65, "inf", "i", 1e300, "e")]


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
    keys = [c[1].encode() for c in SIZED]
    assert lengths(m.port, keys) == lengths(r.port, keys)
    assert {enc for enc, n in lengths(r.port, keys).values()} == {"listpack", "skiplist"}


def test_serializedlength_of_every_filled_set_is_redis_s(filled):
    m, r, want = filled
    assert lengths(m.port) == lengths(r.port)
