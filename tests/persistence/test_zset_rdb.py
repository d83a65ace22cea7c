"""Sorted sets in RDB files and the command-form AOF base, in process: kernels against the Python codec.

- What the kernels save for sorted sets built by commands is what RdbWriter
  (rdb.py, rdbcoll.py) writes for the same pairs, byte for byte: a listpack
  as RDB_TYPE_ZSET_LISTPACK, a skiplist as RDB_TYPE_ZSET_2 from the highest
  score down, with or without compression, under any zset-max-listpack-*.
- The loader gives the same sorted sets back, whatever the read size, the
  rows per call and the arena (tiny chunks: records defer for memory); it
  chooses the encoding as rdbLoadObject does (entries and value length for
  ZSET / ZSET_2, the count alone for ZSET_LISTPACK / ZSET_ZIPLIST), and a
  loaded sorted set answers and takes writes as the one it was saved from.
- Every sorted-set encoding Redis 7.0 loads (RDB_TYPE_ZSET with text scores,
  _ZSET_2, _ZSET_ZIPLIST, _ZSET_LISTPACK, LZF members and listpacks) loads
  as the reader reads it; empty ones are skipped; NaN scores, duplicated
  members, corrupt listpacks and ziplists are refused with Redis's words,
  and every flipped byte is refused (or read) as the reader does.
- aof-use-rdb-preamble no: ZADD of at most 64 pairs, scores as "%.17g", then
  PEXPIREAT.
(test_zset_rdb_redis.py does the same against a real Redis, over sockets.)
"""
import io
import math
import random
import re
import struct

import pytest

from drive import cmd_bytes, roundtrip
from mako_numba.engine.core import Core
from mako_numba.persistence import aofbase, loadfile
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.rdb import RdbError, RdbWriter, encode_length, parse
from mako_numba.persistence.rdbcoll import Hash, List, Set, Zset, listpack, zset_listpack
from mako_numba.persistence.snapshots import write_rdb
from mako_numba.store.types import zset as zset_type
from mako_numba.store.types.zscore import format_score
from naive_rdb import ziplist
from test_list_rdb import commands_of, noise, refusal

FAR = 4102444800000             # 2100-01-01
CHUNK = 2000                    # pairs per ZADD when a set is big

# integers of every listpack width at their edges, strings that look like integers but are
# not canonical, an empty member, binary ones
MEMBERS = [b"0", b"127", b"128", b"-1", b"-4096", b"4095", b"-4097", b"32767", b"-32768",
           b"8388607", b"-8388609", b"2147483647", b"-2147483649", b"9223372036854775807",
           b"-9223372036854775808", b"9223372036854775808", b"007", b"-0", b"+1", b"1.5", b" 1",
           b"", b"\x00\xff", b"\r\n", b"m" * 20]
# scores as ZADD takes them: integers (listpack integer entries up to 2^62), fractions,
# extremes, infinities, negative zero
SCORES = [b"0", b"1", b"-1", b"0.5", b"-2.5", b"1e-300", b"5e-324", b"1e308",
          b"-1.7976931348623157e308", b"9007199254740993", b"4611686018427387904",
          b"4611686018427387905", b"9223372036854775807", b"1e17", b"0.1", b"0.3333333333333333",
          b"3.0e-5", b"123.456", b"inf", b"-inf", b"+inf", b"-0", b"12345678901234567890",
          b"-4611686018427387904", b"2.5"]


def zadd_chunks(key, pairs):
    """ZADD commands for [(score text, member)], CHUNK pairs each."""
    return [("ZADD", key, *[x for p in pairs[i:i + CHUNK] for x in p])
            for i in range(0, len(pairs), CHUNK)]


def sets(big=1000):
    """{key: [(score text, member)]}: what each sorted set is ZADDed from, in order."""
    edge = list(zip(SCORES, MEMBERS))
    return {
        b"z:small": [(b"1", b"a"), (b"2.5", b"b"), (b"-3", b"c")],
        b"z:one": [(b"7", b"only")],
        b"z:edge": edge,                                    # a listpack
        b"z:edge-sl": edge + [(b"1", b"L" * 65)],           # a skiplist (a 65-byte member)
        b"z:64": [(b"%d" % i, bytes([97 + i]) * 64) for i in range(3)],
        b"z:65": [(b"1", b"x" * 65), (b"2", b"y")],
        b"z:128": [(b"%d" % (i % 7), b"e%d" % i) for i in range(128)],
        b"z:129": [(b"%d" % (i % 7), b"e%d" % i) for i in range(129)],
        b"z:ties": [(b"5", b"t%03d" % i) for i in range(100, 0, -1)] + [(b"5", b"")],
        b"z:ties-sl": [(b"-0.5", b"s%04d" % i) for i in range(300, 0, -1)],
        b"z:long": [(b"1", b"x" * 63), (b"2", b"y" * 64), (b"3", b"z" * 4095),
                    (b"4", noise(20)), (b"5", noise(100)), (b"6", noise(5000)),
                    (b"7", b"abc" * 3000), (b"8", b"q" * 70000)],
        b"z:neg0": [(b"-0", b"N" * 65), (b"-0", b"m"), (b"0", b"z"), (b"-inf", b"a")],
        b"z:bin": [(b"1", b"\x00\xff"), (b"1", b"\r\n"), (b"2", b"\x80" * 60)],
        b"z:ttl": [(b"1", b"a"), (b"2", b"1")],
        b"z:big": [(b"%d.25" % (i % 1000), b"member:%d" % i) for i in range(big)],
    }


def commands(big=1000):
    out = []
    for db in (0, 3):
        out.append(("SELECT", db))
        for key, pairs in sets(big).items():
            out += zadd_chunks(key, pairs)
        out += [("PEXPIREAT", "z:ttl", FAR),
                # a skiplist with dead member entries and free nodes, and scores changed
                *zadd_chunks("z:changed", [(b"%d" % i, b"c%d" % i) for i in range(400)]),
                ("ZREM", "z:changed", *("c%d" % i for i in range(0, 400, 3))),
                ("ZINCRBY", "z:changed", "0.5", "c1"), ("ZINCRBY", "z:changed", "-1000", "c2"),
                ("ZREMRANGEBYRANK", "z:changed", 10, 19),
                ("ZADD", "z:changed", "3.5", "new", "-inf", "c5"),
                ("ZADD", "z:lp-changed", 1, "a", 2, "b", 3, "c"), ("ZREM", "z:lp-changed", "b"),
                ("ZINCRBY", "z:lp-changed", "0.25", "a"),
                ("SET", "plain", "v"), ("HSET", "h", "f", "v"), ("SADD", "s", 1, 2),
                ("RPUSH", "l", "a", "b")]
    return out


def simulate(chunks, entries, value, d=None, enc=None):
    """({member: score}, encoding) after ZADDs of these [(score text, member)] chunks, as Redis
    holds them: a new key is a listpack when the first ZADD has at most `entries` pairs and its
    first member at most `value` bytes (zsetTypeCreate), converted before the add that would
    pass either limit (zsetAdd); a listpack stores -0 as the integer 0 (zzlInsertAt)."""
    d = {} if d is None else d
    for chunk in chunks:
        if enc is None:
            enc = "listpack" if len(chunk) <= entries and len(chunk[0][1]) <= value else "skiplist"
        for score, m in chunk:
            if enc == "listpack" and ((m not in d and len(d) + 1 > entries) or len(m) > value):
                enc = "skiplist"
            v = float(score)
            d[m] = 0.0 if enc == "listpack" and v == 0 else v
    return d, enc


def model(big=1000, entries=128, value=64):
    """{key: ({member: score}, encoding)} the commands build."""
    out = {}
    for key, pairs in sets(big).items():
        out[key] = simulate([pairs[i:i + CHUNK] for i in range(0, len(pairs), CHUNK)],
                            entries, value)
    changed, enc = simulate([[(b"%d" % i, b"c%d" % i) for i in range(400)]], entries, value)
    for i in range(0, 400, 3):
        del changed[b"c%d" % i]
    changed[b"c1"] += 0.5
    changed[b"c2"] -= 1000
    for m, v in order(changed)[10:20]:
        del changed[m]
    out[b"z:changed"] = simulate([[(b"3.5", b"new"), (b"-inf", b"c5")]], entries, value,
                                 changed, enc)
    d, enc = simulate([[(b"1", b"a"), (b"2", b"b"), (b"3", b"c")]], entries, value)
    out[b"z:lp-changed"] = ({b"a": 1.25, b"c": 3.0}, enc)
    return out


def order(d):
    return sorted(d.items(), key=lambda p: (p[1], p[0]))


def run(core, cmds):
    s = core.open()
    replies = roundtrip(core, s, b"".join(cmd_bytes(*c) for c in cmds))
    assert not re.search(rb"(^|\r\n)-[A-Z]", replies), replies[:2000]     # no error reply
    return s


def built(big=1000, **limits):
    core = Core(maxclients=4, seed=11, **limits)
    run(core, commands(big))
    return core


def saved(core, compress=True):
    f = io.BytesIO()
    write_rdb(core, f, compress)
    return f.getvalue()


def exact(pairs):
    """Pairs with their scores' bits, so that -0.0 is not 0.0."""
    return [(m, struct.pack("<d", v)) for m, v in pairs]


def normal(data):
    """{(db, key): (value, expire)}: a sorted set as its pairs (scores' bits) and encoding."""
    out = {}
    for db, k, v, e in parse(data).records:
        if isinstance(v, Zset):
            v = (exact(v), v.encoding)
        elif isinstance(v, list):
            v = list(v)
        elif isinstance(v, dict):
            v = dict(v)
        elif isinstance(v, frozenset):
            v = set(v)
        out[(db, k)] = (v, e)
    return out


def expected(big=1000, **limits):
    """normal()'s view of what commands() builds, under these zset-max-listpack-* limits."""
    sizes = model(big, limits.get("zset_max_listpack_entries", 128),
                  limits.get("zset_max_listpack_value", 64))
    out = {}
    for db in (0, 3):
        for key, (d, enc) in sizes.items():
            out[(db, key)] = ((exact(order(d)), enc), FAR if key == b"z:ttl" else -1)
        out[(db, b"plain")] = (b"v", -1)
        out[(db, b"h")] = ({b"f": b"v"}, -1)
        out[(db, b"s")] = ({b"1", b"2"}, -1)
        out[(db, b"l")] = ([b"a", b"b"], -1)
    return out


def python_encoded(contents, compress=True):
    """The file RdbWriter writes for parsed contents, key by key in their order."""
    w = RdbWriter(compress=compress)
    parts = [w.header(contents.aux)]
    by_db = {}
    for db, k, v, e in contents.records:
        by_db.setdefault(db, []).append((k, v, e))
    for db, recs in by_db.items():
        parts.append(w.select_db(db, len(recs), sum(1 for r in recs if r[2] >= 0)))
        parts += [w.key(k, v, e) for k, v, e in recs]
    parts.append(w.footer())
    return b"".join(parts)


# --- saving --------------------------------------------------------------------------------
LIMITS = [{}, {"zset_max_listpack_entries": 0}, {"zset_max_listpack_value": 0},
          {"zset_max_listpack_entries": 1000, "zset_max_listpack_value": 100000}]


@pytest.mark.parametrize("limits", LIMITS, ids=["default", "entries0", "value0", "large"])
def test_the_kernels_save_what_the_python_writer_writes(limits):
    core = built(**limits)
    for compress in (True, False):
        data = saved(core, compress)
        contents = parse(data)
        assert python_encoded(contents, compress) == data
        assert normal(data) == expected(**limits)
    types = {k: data[data.index(b"%s%s" % (encode_length(len(k)), k)) - 1]
             for k in (b"z:small", b"z:big")}
    if not limits:
        assert types == {b"z:small": 17, b"z:big": 5}


def test_a_skiplist_is_saved_from_its_highest_score_down():
    core = Core(maxclients=4, seed=1, zset_max_listpack_entries=0)
    run(core, [("ZADD", "z", 2, "b", 1, "a", 3, "c", -0.0, "z", "-inf", "m")])
    w = RdbWriter()
    w.header()
    record = w.encoded(5, b"z", b"\x05" + b"".join(
        w.encode_string(m) + struct.pack("<d", v)
        for m, v in [(b"c", 3.0), (b"b", 2.0), (b"a", 1.0), (b"z", -0.0), (b"m", -math.inf)]))
    assert record in saved(core)


def test_serialized_length_is_what_the_file_holds():
    """DEBUG OBJECT's serializedlength (store/types/zset.py) is the value's bytes in the file."""
    core = built()
    for key in sets():
        value, exp, size, lru, flags = core.key_info(0, key)
        w = RdbWriter()
        w.header()
        record = w.zset(key, Zset(zset_type.items(value), zset_type.encoding(value)))
        head = 1 + len(w.encode_string(key))
        assert zset_type.serialized_length(value, flags) == len(record) - head, key


# --- loading ---------------------------------------------------------------------------------
@pytest.mark.parametrize("read, rows", [(7, 2), (1 << 20, 4096)])
def test_loaded_back_with_deferrals_at_any_read_size(tmp_path, monkeypatch, read, rows):
    data = saved(built())
    monkeypatch.setattr(loadfile, "READ_CHUNK", read)
    monkeypatch.setattr(loadfile, "ROWS", rows)
    path = tmp_path / "z.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=5, chunk_size=4096, table_logcap=2, large_block=1024)
    assert load_file(core, str(path)) == (len(expected()), 0)
    assert normal(saved(core)) == expected()


READS = [("ZRANGE", "z:edge", 0, -1, "WITHSCORES"), ("ZRANGE", "z:edge-sl", 0, -1, "WITHSCORES"),
         ("ZSCORE", "z:neg0", "m"), ("ZSCORE", "z:neg0", "z"), ("ZRANK", "z:129", "e77"),
         ("ZREVRANK", "z:big", "member:500"), ("ZRANGEBYSCORE", "z:changed", "-inf", 20),
         ("ZRANGEBYLEX", "z:ties-sl", "[s0100", "(s0110"), ("ZCARD", "z:long"),
         ("ZCOUNT", "z:big", 100, 200), ("ZRANGE", "z:ties", 0, 5), ("ZSCORE", "z:long", b"q" * 70000),
         ("ZRANGE", "z:changed", 0, -1, "WITHSCORES"), ("ZRANGE", "z:lp-changed", 0, -1, "WITHSCORES"),
         ("OBJECT", "ENCODING", "z:128"), ("OBJECT", "ENCODING", "z:129"),
         ("OBJECT", "ENCODING", "z:64"), ("OBJECT", "ENCODING", "z:65"),
         ("ZRANGE", "z:bin", 0, -1, "WITHSCORES")]
WRITES = [("ZADD", "z:small", 0, "new", 2.5, "a"), ("ZREM", "z:edge", "", "127", "-0"),
          ("ZADD", "z:128", 1, "e128"), ("ZINCRBY", "z:129", 100, "e3"),
          ("ZREM", "z:big", *("member:%d" % i for i in range(0, 1000, 2))),
          ("ZADD", "z:neg0", "-0", "q"), ("ZPOPMIN", "z:changed", 3), ("ZPOPMAX", "z:ties-sl", 2),
          ("ZREMRANGEBYSCORE", "z:edge-sl", "-inf", 0), ("ZADD", "z:one", "INCR", 2, "only")]


def test_a_loaded_zset_answers_and_takes_writes_as_the_one_saved(tmp_path):
    path = tmp_path / "z.rdb"
    original = built()
    path.write_bytes(saved(original))
    core = Core(maxclients=4, seed=5)
    load_file(core, str(path))
    script = b"".join(cmd_bytes(*c) for c in READS + WRITES + READS)
    got = roundtrip(core, core.open(), script)
    assert got == roundtrip(original, original.open(), script)
    assert b"$2\r\n-0\r\n" in got and b"-inf" in got
    assert normal(saved(core)) == normal(saved(original))


def test_100k_members(tmp_path):
    core = built(big=100_000)
    data = saved(core)
    assert normal(data) == expected(100_000)
    path = tmp_path / "big.rdb"
    path.write_bytes(data)
    again = Core(maxclients=4, seed=5)
    assert load_file(again, str(path)) == (len(expected()), 0)
    assert normal(saved(again)) == normal(data)
    s = again.open()
    assert roundtrip(again, s, cmd_bytes("ZRANK", "z:big", "member:99999")) == \
        roundtrip(core, core.open(), cmd_bytes("ZRANK", "z:big", "member:99999"))


def test_expired_zsets_are_skipped_but_checked(tmp_path):
    w = RdbWriter()
    data = b"".join([w.header(), w.select_db(0, 2, 2), w.zset(b"gone", {b"a": 1.0}, 1000),
                     w.zset(b"kept", {b"b": 2.0}, FAR), w.footer()])
    path = tmp_path / "e.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=5)
    assert load_file(core, str(path)) == (1, 1)
    assert normal(saved(core)) == {(0, b"kept"): ((exact([(b"b", 2.0)]), "listpack"), FAR)}
    w = RdbWriter()
    data = b"".join([w.header(), w.select_db(0, 1, 1),
                     w.encoded(5, b"gone", b"\x01\x01a" + struct.pack("<d", math.nan), 1000),
                     w.footer()])
    path.write_bytes(data)
    with pytest.raises(RdbError, match="Zset with NAN score detected"):
        load_file(Core(maxclients=4, seed=5), str(path))


# --- what Redis 7.0 loads ----------------------------------------------------------------------
def file_of(*records):
    """An RDB file of (key, (RDB type, value bytes as they follow the key)) in database 0."""
    w = RdbWriter()
    parts = [w.header({"ctime": 0}), w.select_db(0, len(records), 0)]
    parts += [w.encoded(t, k, v) for k, (t, v) in records]
    return b"".join(parts) + w.footer()


def string(data, compress=False):
    return RdbWriter(compress=compress).encode_string(data)


def text_score(v):
    """rdbSaveDoubleValue (RDB_TYPE_ZSET, Redis before 2.6): 255 -inf, 254 inf, 253 NaN, else a
    length byte and the text."""
    if v == -math.inf:
        return b"\xff"
    if v == math.inf:
        return b"\xfe"
    if math.isnan(v):
        return b"\xfd"
    text = b"%.17g" % v
    return bytes((len(text),)) + text


def pairs3(pairs, compress=False):
    return encode_length(len(pairs)) + b"".join(string(m, compress) + text_score(v)
                                                for m, v in pairs)


def pairs5(pairs, compress=False):
    return encode_length(len(pairs)) + b"".join(string(m, compress) + struct.pack("<d", v)
                                                for m, v in pairs)


def zl(pairs):
    """A sorted set's ziplist as Redis 6.2 held it (d2string's scores, ziplist integers)."""
    return ziplist([x for m, v in pairs for x in (m, b"%d" % v if math.isfinite(v) and v == int(v)
                                                  and abs(v) < 2**52 else format_score(v))])


def lp(pairs, count=None):
    data = zset_listpack(pairs)
    return data if count is None else data[:4] + struct.pack("<H", count) + data[6:]


PAIRS = [(b"a", 1.0), (b"12", -2.5), (b"-70000", 1e20), (b"", 0.0), (b"007", math.inf),
         (b"x" * 300, -math.inf), (b"9223372036854775807", 3.0)]
SORTED = sorted(PAIRS, key=lambda p: (p[1], p[0]))


def old_encodings():
    """Every sorted-set encoding Redis 7.0 loads; the pairs each gives, lowest first."""
    shuffled = PAIRS[3:] + PAIRS[:3]
    return [
        (b"t3", (3, pairs3(shuffled)), SORTED),
        (b"t3-lzf", (3, pairs3([(b"abc" * 30, 1.5), (b"1", -0.0)], True)),
         [(b"1", -0.0), (b"abc" * 30, 1.5)]),
        (b"t3-text", (3, encode_length(2) + string(b"a") + b"\x04 1e3" + string(b"b") + b"\x031x!"),
         [(b"b", 1.0), (b"a", 1000.0)]),
        (b"t5", (5, pairs5(SORTED[::-1])), SORTED),
        (b"t5-up", (5, pairs5(SORTED)), SORTED),
        (b"t5-lzf", (5, pairs5([(b"q" * 100, 2.0), (b"r" * 50, 1.0)], True)),
         [(b"r" * 50, 1.0), (b"q" * 100, 2.0)]),
        (b"t12", (12, string(zl(SORTED))), SORTED),
        (b"t12-lzf", (12, string(zl([(b"s" * 40, 1.0), (b"t" * 40, 2.5)]), True)),
         [(b"s" * 40, 1.0), (b"t" * 40, 2.5)]),
        (b"t17", (17, string(lp(SORTED))), SORTED),
        (b"t17-lzf", (17, string(lp([(b"u" * 40, -1.0), (b"v" * 40, 1e-7)], 65535), True)),
         [(b"u" * 40, -1.0), (b"v" * 40, 1e-7)]),
    ]


def load(tmp_path, data, **limits):
    path = tmp_path / "z.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=2, **limits)
    loaded = load_file(core, str(path))
    return loaded, normal(saved(core))


def test_every_zset_encoding_redis_loads(tmp_path):
    cases = old_encodings()
    data = file_of(*[(k, v) for k, v, pairs in cases])
    read = {k: (exact(v), e) for db, k, v, e in parse(data).records}
    assert read == {k: (exact(pairs), -1) for k, v, pairs in cases}
    (n, expired), got = load(tmp_path, data)
    assert (n, expired) == (len(cases), 0)
    # the small ones become listpacks (x * 300 is longer than zset-max-listpack-value: a
    # ZSET / ZSET_2 with it is a skiplist; a ziplist or listpack is judged by its count alone)
    for k, v, pairs in cases:
        enc = "skiplist" if v[0] in (3, 5) and any(len(m) > 64 for m, s in pairs) else "listpack"
        if enc == "listpack":       # a listpack holds -0 as the integer 0
            pairs = [(m, 0.0 if s == 0 else s) for m, s in pairs]
        assert got[(0, k)] == ((exact(pairs), enc), -1), k


def test_the_encoding_is_chosen_as_rdbLoadObject_chooses_it(tmp_path):
    small = [(b"m%d" % i, float(i)) for i in range(10)]
    data = file_of((b"z5", (5, pairs5(small[::-1]))), (b"z3", (3, pairs3(small))),
                   (b"z12", (12, string(zl(small)))), (b"z17", (17, string(lp(small)))))
    listpacks = {(0, k): ((exact(small), "listpack"), -1) for k in (b"z5", b"z3", b"z12", b"z17")}
    assert load(tmp_path, data) == ((4, 0), listpacks)
    # a ZSET_2 written as a listpack is zsetConvert's listpack: Redis's bytes
    assert string(lp(small)) in saved_of(tmp_path, data)
    skiplists = {(0, k): ((exact(small), "skiplist"), -1) for k in (b"z5", b"z3", b"z12", b"z17")}
    assert load(tmp_path, data, zset_max_listpack_entries=9) == ((4, 0), skiplists)
    assert load(tmp_path, data, zset_max_listpack_entries=0) == ((4, 0), skiplists)
    # the value limit: ZSET and ZSET_2 only
    value2 = {(0, k): ((exact(small), "skiplist" if k in (b"z5", b"z3") else "listpack"), -1)
              for k in (b"z5", b"z3", b"z12", b"z17")}
    assert load(tmp_path, data, zset_max_listpack_value=1) == ((4, 0), value2)
    # a listpack or ziplist out of order is put in order (Redis keeps it as it is; a skiplist
    # made of it later by the commands would need it sorted), made a skiplist it is sorted too
    ties = [(b"b", 1.0), (b"a", 1.0), (b"c", 0.5)]
    for pairs in (small[::-1], small[:3] + small[4:] + small[3:4], ties):
        data = file_of((b"z17", (17, string(lp(pairs)))), (b"z12", (12, string(zl(pairs)))))
        ordered = exact(sorted(pairs, key=lambda p: (p[1], p[0])))
        assert {k: list(v) for db, k, v, e in parse(data).records} == \
            {b"z17": sorted(pairs, key=lambda p: (p[1], p[0])),
             b"z12": sorted(pairs, key=lambda p: (p[1], p[0]))}
        assert load(tmp_path, data)[1] == {(0, k): ((ordered, "listpack"), -1)
                                           for k in (b"z17", b"z12")}
        assert string(zset_listpack(sorted(pairs, key=lambda p: (p[1], p[0])))) in \
            saved_of(tmp_path, data)
        assert load(tmp_path, data, zset_max_listpack_entries=2)[1] == \
            {(0, k): ((ordered, "skiplist"), -1) for k in (b"z17", b"z12")}
    # and then takes the writes that convert it and unlink its nodes
    data = file_of((b"z17", (17, string(lp(small[::-1])))))
    path = tmp_path / "w.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=2)
    load_file(core, str(path))
    got = roundtrip(core, core.open(), b"".join(cmd_bytes(*c) for c in [
        ("ZADD", "z17", 4.5, "x" * 100), ("ZREM", "z17", "m0", "m9", "m5"),
        ("ZRANGE", "z17", 0, -1)]))
    assert got == b":1\r\n:3\r\n*8\r\n" + b"".join(
        b"$%d\r\n%s\r\n" % (len(m), m) for m in
        [b"m1", b"m2", b"m3", b"m4", b"x" * 100, b"m6", b"m7", b"m8"])


def saved_of(tmp_path, data, **limits):
    path = tmp_path / "s.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=2, **limits)
    load_file(core, str(path))
    return saved(core, compress=False)


def test_random_orders_and_sizes_load_sorted(tmp_path):
    rng = random.Random(7)
    records, want = [], {}
    for i in range(40):
        n = rng.choice([1, 2, 5, 127, 128, 129, 300])
        pairs = {}
        while len(pairs) < n:
            pairs[b"%x" % rng.getrandbits(rng.choice([4, 20, 70]))] = \
                rng.choice([float(rng.randint(-5, 5)), rng.uniform(-1e6, 1e6), math.inf, -math.inf])
        items = list(pairs.items())
        rng.shuffle(items)
        t = rng.choice([3, 5])
        records.append((b"k%d" % i, (t, pairs3(items) if t == 3 else pairs5(items))))
        small = n <= 128 and all(len(m) <= 64 for m in pairs)
        want[(0, b"k%d" % i)] = ((exact(sorted(items, key=lambda p: (p[1], p[0]))),
                                  "listpack" if small else "skiplist"), -1)
    assert load(tmp_path, file_of(*records)) == ((40, 0), want)


TEXTS = [b"0x", b"0xg", b"0x ", b"-0x", b" +0X", b"0x.", b"0x.p1", b"0x.1", b"0xp1", b"0x1p",
         b"0x1.8", b"00x", b"0x0", b"1x!", b" 1e3", b"-0.0 ", b"infinity", b"-INF", b"0x1p3", b"1e",
         b"1e+", b".", b"-", b"+.5", b"1.5e-", b"\t7", b"inf x", b"1e400", b"1e-400", b"7\x008",
         b"\x007", b"nan(1)", b"1" * 252, b"0." + b"1" * 250, b"0x" + b"f" * 250]


def test_text_scores_are_read_as_sscanf_reads_them(tmp_path):
    """rdbLoadDoubleValue: glibc's sscanf("%lg") (the reader calls it) against the loader's
    strtod and its "0x" rule."""
    for text in TEXTS:
        data = file_of((b"k", (3, encode_length(1) + string(b"m") + bytes((len(text),)) + text)))
        try:
            pairs = [(m, 0.0 if v == 0 else v) for m, v in parse(data).records[0][2]]
            want = {(0, b"k"): ((exact(pairs), "listpack"), -1)}     # (a listpack's -0 is 0)
        except RdbError as e:
            assert refusal(load, tmp_path, data) == str(e), text
            continue
        assert load(tmp_path, data) == ((1, 0), want), text


def test_empty_zsets_are_skipped(tmp_path):
    data = file_of((b"a", (3, b"\x00")), (b"b", (5, b"\x00")), (b"c", (12, string(ziplist([])))),
                   (b"d", (17, string(listpack([])))), (b"e", (5, pairs5([(b"v", 1.0)]))))
    assert load(tmp_path, data) == ((1, 0), {(0, b"e"): ((exact([(b"v", 1.0)]), "listpack"), -1)})
    assert [r[1] for r in parse(data).records] == [b"e"]


def test_corrupt_zsets_are_refused_as_redis_refuses_them(tmp_path):
    """(value, Redis's words, where the fault lies from the value's first byte: a score's
    offset, or the value's strings' for a duplicate or a corrupt listpack or ziplist)."""
    nan = struct.pack("<d", math.nan)
    one = encode_length(1) + string(b"a")
    cases = [
        ((5, pairs5([(b"a", 1.0)])[:-8] + nan), "Zset with NAN score detected", 3),
        ((3, pairs3([(b"a", 1.0), (b"b", math.nan)])), "Zset with NAN score detected", 7),
        ((3, one + b"\x03nan"), "Zset with NAN score detected", 3),
        ((3, one + b"\x03abc"), "Zset score that is not a number", 3),
        ((3, one + b"\x00"), "Zset score that is not a number", 3),
        ((3, one + b"\x02  "), "Zset score that is not a number", 3),
        ((3, one + b"\x03\x001x"), "Zset score that is not a number", 3),
        ((5, pairs5([(b"a", 1.0), (b"b", 2.0), (b"a", 3.0)])), "Duplicate zset fields detected", 1),
        ((5, pairs5([(b"x" * 100, 1.0), (b"x" * 100, 3.0)])), "Duplicate zset fields detected", 1),
        ((3, pairs3([(b"1", 1.0), (b"1", 1.0)])), "Duplicate zset fields detected", 1),
        ((17, string(lp([(b"a", 1.0), (b"a", 2.0)]))), "Zset listpack integrity check failed", 1),
        ((17, string(listpack([b"7", b"1", b"b", b"2", b"7", b"3"]))),
         "Zset listpack integrity check failed", 1),
        ((17, string(listpack([b"a", b"1", b"b"]))), "Zset listpack integrity check failed", 1),
        ((17, string(lp([(b"a", 1.0)], 3))), "Zset listpack integrity check failed", 1),
        ((17, string(lp([(b"a", 1.0)])[:-1] + b"\x00")), "Zset listpack integrity check failed", 1),
        ((12, string(zl([(b"a", 1.0), (b"7", 2.0), (b"7", 3.0)]))),
         "Zset ziplist integrity check failed", 1),
        ((12, string(ziplist([b"a", b"1", b"b"]))), "Zset ziplist integrity check failed", 1),
        ((12, string(zl([(b"a", 1.0)])[:-1] + b"\x00")), "Zset ziplist integrity check failed", 1),
        ((17, string(listpack([b"a", b"1", b"b", b"nan"]))), "Zset with NAN score detected", 1),
        ((12, string(ziplist([b"a", b"-nan", b"b", b"1"]))), "Zset with NAN score detected", 1),
        ((17, string(listpack([b"a", b"1", b"a", b"nan"]))), "Zset with NAN score detected", 1),
        ((17, string(listpack([b"b", b"1", b"a", b"1", b"b", b"2"]))),
         "Zset listpack integrity check failed", 1),
    ]
    for value, text, rel in cases:
        data = file_of((b"k", value))
        start = data.index(bytes((value[0],)) + b"\x01k") + 3
        for limits in ({}, {"zset_max_listpack_entries": 0}):
            got = refusal(lambda: load(tmp_path, data, **limits))
            assert got == refusal(parse, data), (value, got)
            assert got == "corrupt RDB file at offset %d: %s" % (start + rel, text), (value, got)
    # a NaN names its score's offset, a duplicate its value's
    data = file_of((b"k", (5, pairs5([(b"a", 1.0), (b"bb", math.nan)]))))
    assert refusal(load, tmp_path, data) == \
        "corrupt RDB file at offset %d: Zset with NAN score detected" % data.index(nan)
    # bad LZF in a member or the listpack
    good = string(b"abc" * 40, True)
    assert good[:4] == b"\xc3\x0b\x40\x78"             # LZF, 11 bytes, 120 once expanded
    bad = good[:3] + b"\x79" + good[4:]
    for value in ((5, b"\x01" + bad + struct.pack("<d", 1.0)), (3, b"\x01" + bad + b"\x011"),
                  (17, bad)):
        data = file_of((b"k", value))
        got = refusal(load, tmp_path, data)
        assert got == refusal(parse, data) == "corrupt RDB file at offset %d: LZF data that " \
            "does not expand to 121 bytes" % (data.index(bad) + 4)
    # the half-made key is not left behind, the keys before it stay
    w = RdbWriter()
    data = b"".join([w.header(), w.select_db(0, 2, 0), w.string(b"s", b"v"),
                     w.encoded(5, b"k", pairs5([(b"a", 1.0), (b"a", 2.0)])), w.footer()])
    path = tmp_path / "h.rdb"
    path.write_bytes(data)
    for limits in ({}, {"zset_max_listpack_entries": 0}):
        core = Core(maxclients=4, seed=1, **limits)
        with pytest.raises(RdbError, match="Duplicate zset fields detected"):
            load_file(core, str(path))
        assert core.ks.keys() == 1


def flipped_file():
    """A sorted set of every encoding (keys of unlike lengths: no flipped bit makes one key
    another's)."""
    return file_of((b"Q", (17, string(lp([(b"a", 1.0), (b"-300", 2.5), (b"y" * 70, math.inf)])))),
                   (b"ZZ", (12, string(zl([(b"a", 1.0), (b"bb", -3.0), (b"x" * 30, 0.5)])))),
                   (b"LLL", (5, pairs5([(b"k", 3.0), (b"500", 2.0), (b"f" * 30, -1.0)]))),
                   (b"EEEE", (3, pairs3([(b"e", 1.0), (b"70000", -math.inf), (b"f" * 30, 0.25)]))),
                   (b"CCCCC", (17, string(lp([(b"c" * 40, 1.0), (b"d" * 40, 2.0)]), True))))


@pytest.mark.parametrize("limits", [{}, {"zset_max_listpack_entries": 1}], ids=["lp", "sl"])
def test_every_flipped_byte_of_zset_values_is_refused_as_the_reader_refuses_it(tmp_path, limits):
    data = flipped_file()
    assert load(tmp_path, data, **limits)[0] == (5, 0)
    start = data.index(b"\x11\x01Q")
    for i in range(start, len(data) - 9):
        for mask in (0x01, 0x80):
            bad = bytearray(data)
            bad[i] ^= mask
            try:
                want = parse(bytes(bad))
            except RdbError as e:
                got = refusal(lambda: load(tmp_path, bytes(bad), **limits))
                # (a key made twice, by bytes read as records of their own, is the loader's to
                # see first: the reader does not look for it)
                assert got == str(e) or got.startswith("duplicated key"), (i, mask, got, str(e))
                continue
            # the reader reads it: the loader does too, and keeps what the reader gives
            (n, expired), got = load(tmp_path, bytes(bad), **limits)
            assert n == len(want.records), (i, mask)
            for db, k, v, e in want.records:
                if isinstance(v, Zset):
                    assert {m: s for m, s in got[(db, k)][0][0]} == dict(exact(v)), (i, mask)


def test_writer_reader_round_trip_of_python_values():
    w = RdbWriter()
    z = Zset([(b"1", -0.0), (b"x" * 9000, 2.0)])
    data = b"".join([w.header(), w.select_db(0, 5, 0), w.key(b"z", z),
                     w.key(b"zl", Zset([(b"a", 1.0), (b"b", 1.5)])),
                     w.zset(b"zd", {b"b": 2.0, b"a": 2.0, b"c": -math.inf}),
                     w.key(b"l", List([b"1"])), w.key(b"h", Hash({b"f": b"v"})), w.footer()])
    got = {k: v for db, k, v, e in parse(data).records}
    assert exact(got[b"z"]) == exact(z) and got[b"z"].encoding == "skiplist"
    assert got[b"zl"] == [(b"a", 1.0), (b"b", 1.5)] and got[b"zl"].encoding == "listpack"
    assert got[b"zd"] == [(b"c", -math.inf), (b"a", 2.0), (b"b", 2.0)]
    assert isinstance(got[b"l"], List) and not isinstance(got[b"l"], Zset)
    assert Set([b"1"]).encoding == "intset"


# --- the command-form AOF base --------------------------------------------------------------
def test_the_command_form_base_zadds_at_most_64_pairs_a_command():
    core = built()
    f = io.BytesIO()
    assert aofbase.write_commands(core, f) == len(expected())
    cmds = commands_of(f.getvalue())
    adds = {}
    db = 0
    for c in cmds:
        if c[0] == b"SELECT":
            db = int(c[1])
        elif c[0] == b"ZADD":
            assert 4 <= len(c) <= 2 + 2 * aofbase.ITEMS_PER_CMD and len(c) % 2 == 0
            adds.setdefault((db, c[1]), []).append((len(c) - 2) // 2)
            for score in c[2::2]:               # rioWriteBulkDouble: "%.17g"
                v = float(score)
                assert score == (b"inf" if v == math.inf else b"-inf" if v == -math.inf
                                 else b"%.17g" % v), score
        elif c[0] == b"PEXPIREAT":
            assert c[1] == b"z:ttl" and c[2] == b"%d" % FAR
    for key, sizes in adds.items():
        assert sizes[:-1] == [64] * (len(sizes) - 1) and 0 < sizes[-1] <= 64, key
    assert sum(adds[(0, b"z:big")]) == 1000
    assert [b"ZADD", b"z:neg0", b"-inf", b"a", b"-0", b"N" * 65, b"-0", b"m", b"0", b"z"] in cmds
    again = Core(maxclients=4, seed=3)
    run(again, [tuple(c) for c in cmds])
    assert normal(saved(again)) == expected()


def test_mixed_types_after_zsets_in_one_batch():
    """Writers of the command form stop their string kernel at a sorted set and go on after it."""
    core = Core(maxclients=4, seed=3)
    run(core, [("SET", "a", "1"), ("ZADD", "b", 1, "x"), ("SET", "c", "2"),
               ("RPUSH", "d", "f"), *zadd_chunks("e", [(b"%d" % i, b"%d" % i) for i in range(130)])])
    f = io.BytesIO()
    aofbase.write_commands(core, f)
    again = Core(maxclients=4, seed=4)
    run(again, [tuple(c) for c in commands_of(f.getvalue())])
    assert normal(saved(again)) == normal(saved(core))
    assert normal(saved(core))[(0, b"e")][0][1] == "skiplist"
