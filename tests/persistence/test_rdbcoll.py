"""Hashes and sets in RDB files, in process: the kernels against the plain-Python codec.

- What the kernels save for hashes and sets built by commands is what RdbWriter
  (rdb.py, rdbcoll.py) writes for the same values, byte for byte.
- The loader gives the same values and encodings back, whatever the read size,
  the rows per call and the arena (tiny chunks: records defer for memory), and
  chooses encodings from the limits as rdbLoadObject does.
- Listpacks, ziplists, zipmaps and intsets cut or flipped anywhere are refused with
  the reader's message; duplicates where Redis refuses them; empty values skipped.
(test_rdb_collections.py does the same against a real Redis, over sockets.)
"""
import io
import struct

import pytest

from drive import cmd_bytes, roundtrip
from mako_numba.engine.core import Core
from mako_numba.persistence import loadfile
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.rdb import RdbError, RdbWriter, parse
from mako_numba.persistence.rdbcoll import Hash, Set, listpack
from mako_numba.persistence.snapshots import write_rdb
from naive_rdb import ziplist, zipmap

FAR = 4102444800000             # 2100-01-01
EDGE = ["0", "127", "128", "-4096", "4095", "-4097", "32767", "-32769", "8388608", "-2147483648",
        "2147483648", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "007",
        "-0", "+1", "1.5", ""]


def commands():
    out = []
    for db in (0, 3):
        out += [("SELECT", db),
                ("HSET", "h:small", "f", "v", "n", "12", "empty", "", "rep", "abc" * 20),
                ("HSET", "h:edge", *[x for i, e in enumerate(EDGE) for x in (e, "%d%s" % (i, e))]),
                ("HSET", "h:large", *[x for i in range(900) for x in ("field:%d" % i, "v%d" % i)]),
                ("HDEL", "h:large", *["field:%d" % i for i in range(0, 900, 3)]),
                ("HSET", "h:long", "a", "b", "long", "x" * 100),
                ("HSET", "h:lzf", "big", "abc" * 3000, "n", "1"),
                ("HSET", "h:bin", b"\x00\xff", b"\x80" * 60), ("HDEL", "h:bin", "nope"),
                ("HSET", "h:ttl", "f", "v"), ("PEXPIREAT", "h:ttl", FAR),
                ("SADD", "s:ints", 1, 2, 3, -70000, 2**40, -2**63),
                ("SADD", "s:one", 7),
                ("SADD", "s:strs", "a", "b", "12", ""),
                ("SADD", "s:many", *range(700)), ("SREM", "s:many", *range(0, 700, 7)),
                ("SADD", "s:long", *["m" * 30 + str(i) for i in range(50)]),
                ("SADD", "s:ttl", 5, 6), ("PEXPIREAT", "s:ttl", FAR),
                ("SET", "plain", "v")]
    return out


ENCODINGS = {b"h:small": "listpack", b"h:edge": "listpack", b"h:large": "hashtable",
             b"h:long": "hashtable", b"h:lzf": "hashtable", b"h:bin": "listpack",
             b"h:ttl": "listpack", b"s:ints": "intset", b"s:one": "intset",
             b"s:strs": "hashtable", b"s:many": "hashtable", b"s:long": "hashtable",
             b"s:ttl": "intset", b"plain": None}


def built(**kw):
    core = Core(maxclients=4, seed=11, **kw)
    s = core.open()
    replies = roundtrip(core, s, b"".join(cmd_bytes(*c) for c in commands()))
    assert b"\r\n-" not in b"\r\n" + replies
    return core


def saved(core):
    f = io.BytesIO()
    write_rdb(core, f)
    return f.getvalue()


def python_encoded(contents):
    """The file RdbWriter writes for parsed contents, key by key in their order."""
    w = RdbWriter()
    parts = [w.header(contents.aux)]
    by_db = {}
    for db, k, v, e in contents.records:
        by_db.setdefault(db, []).append((k, v, e))
    for db, recs in by_db.items():
        parts.append(w.select_db(db, len(recs), sum(1 for r in recs if r[2] >= 0)))
        parts += [w.key(k, v, e) for k, v, e in recs]
    parts.append(w.footer())
    return b"".join(parts)


def normal(data):
    """{(db, key): (value, expire, encoding)}, a listpack hash's fields in their order."""
    out = {}
    for db, k, v, e in parse(data).records:
        enc = getattr(v, "encoding", None)
        value = list(v.items()) if enc == "listpack" else dict(v) if isinstance(v, dict) else v
        out[(db, k)] = (value, e, enc)
    return out


def test_the_kernels_save_what_the_python_writer_writes():
    data = saved(built())
    contents = parse(data)
    assert python_encoded(contents) == data
    assert {k: getattr(v, "encoding", None) for db, k, v, e in contents.records} == ENCODINGS
    got = normal(data)
    assert got[(3, b"h:small")][0][:2] == [(b"f", b"v"), (b"n", b"12")]
    assert len(got[(0, b"h:large")][0]) == 600 and len(got[(0, b"s:many")][0]) == 600
    assert got[(0, b"s:ttl")][1] == FAR


@pytest.mark.parametrize("read, rows", [(7, 2), (1 << 20, 4096)])
def test_loaded_back_with_deferrals_at_any_read_size(tmp_path, monkeypatch, read, rows):
    data = saved(built())
    monkeypatch.setattr(loadfile, "READ_CHUNK", read)
    monkeypatch.setattr(loadfile, "ROWS", rows)
    path = tmp_path / "c.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=5, chunk_size=4096, table_logcap=2, large_block=1024)
    assert load_file(core, str(path)) == (len(ENCODINGS) * 2, 0)
    assert normal(saved(core)) == normal(data)
    s = core.open()
    assert roundtrip(core, s, cmd_bytes("SELECT", 3) + cmd_bytes("HGET", "h:lzf", "big")
                     + cmd_bytes("SISMEMBER", "s:ints", -2**63) + cmd_bytes("HLEN", "h:large")) == \
        b"+OK\r\n$9000\r\n" + b"abc" * 3000 + b"\r\n:1\r\n:600\r\n"


def file_of(*records):
    """An RDB file of (key, value) records in database 0: values as RdbWriter.key takes them,
    or (RDB type, the value's bytes: as they go in the file for RDB_TYPE_HASH and _SET, else
    the one string they are)."""
    w = RdbWriter()
    parts = [w.header({"ctime": 0}), w.select_db(0, len(records), 0)]
    for k, v in records:
        if isinstance(v, tuple):
            raw = v[0] in (2, 4)                # a count and strings, not one string
            parts.append(w.encoded(v[0], k, v[1] if raw else RdbWriter(compress=False).encode_string(v[1])))
        else:
            parts.append(w.key(k, v))
    return b"".join(parts) + w.footer()


def load(tmp_path, data, **limits):
    path = tmp_path / "l.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=2, **limits)
    loaded = load_file(core, str(path))
    return loaded, normal(saved(core))


LIMITS = {"hash_max_listpack_entries": 4, "hash_max_listpack_value": 8, "set_max_intset_entries": 3}
PAIRS5 = {b"f%d" % i: b"%d" % i for i in range(5)}


def limits_file():
    """Values on each side of LIMITS, in every encoding the loader takes; and the encodings
    rdbLoadObject gives them under LIMITS."""
    data = file_of(
        (b"lp5", Hash(PAIRS5, "listpack")),                         # 16: count over: table
        (b"lp-long", Hash({b"a": b"x" * 20}, "listpack")),          # 16: value length not checked
        (b"ht-small", Hash({b"a": b"b"}, "hashtable")),             # 4: fits: listpack
        (b"ht-long", Hash({b"a": b"x" * 9}, "hashtable")),          # 4: a value too long
        (b"ht5", Hash(PAIRS5, "hashtable")),
        (b"zl5", (13, ziplist([x for kv in PAIRS5.items() for x in kv]))),
        (b"zl", (13, ziplist([b"a", b"x" * 300, b"n", b"-70000"]))),
        (b"zm-long", (9, zipmap([(b"a", b"x" * 9)]))),
        (b"zm", (9, zipmap([(b"a", b"1"), (b"b", b"-2")]))),
        (b"is3", Set([b"1", b"2", b"3"], "intset")),
        (b"is4", Set([b"1", b"2", b"3", b"4"], "intset")),           # 11: over: table
        (b"st3", Set([b"3", b"-1", b"2"], "hashtable")),             # 2: all integers: intset
        (b"st4", Set([b"1", b"2", b"3", b"4"], "hashtable")),
        (b"st-str", Set([b"1", b"x"], "hashtable")),
        (b"st-007", Set([b"007"], "hashtable")),
        (b"empty", (4, b"\x00")), (b"empty-lp", (16, listpack([]))))
    return data, {
        b"lp5": "hashtable", b"lp-long": "listpack", b"ht-small": "listpack",
        b"ht-long": "hashtable", b"ht5": "hashtable", b"zl5": "hashtable", b"zl": "listpack",
        b"zm-long": "hashtable", b"zm": "listpack", b"is3": "intset", b"is4": "hashtable",
        b"st3": "intset", b"st4": "hashtable", b"st-str": "hashtable", b"st-007": "hashtable"}


def test_encodings_follow_the_limits_as_rdb_load_object_chooses(tmp_path):
    data, encodings = limits_file()
    loaded, got = load(tmp_path, data, **LIMITS)
    assert loaded == (len(encodings), 0)
    assert {k: v[2] for (db, k), v in got.items()} == encodings
    assert got[(0, b"st3")][0] == {b"-1", b"2", b"3"}
    assert got[(0, b"zm")][0] == [(b"a", b"1"), (b"b", b"-2")]
    assert dict(got[(0, b"zl5")][0]) == PAIRS5 == dict(parse(data).records[5][2])


def refusal(fn, *args):
    with pytest.raises(RdbError) as e:
        fn(*args)
    return str(e.value)


def packed_file():
    """A listpack, an intset, a ziplist and a zipmap (keys of unlike lengths: no flipped bit
    makes one key another's)."""
    return file_of((b"L", (16, listpack([b"f", b"v", b"n", b"-300", b"long", b"y" * 70]))),
                   (b"II", (11, struct.pack("<IIhhh", 2, 3, -5, 1, 300))),
                   (b"ZZZ", (13, ziplist([b"a", b"1", b"bb", b"x" * 300]))),
                   (b"MMMM", (9, zipmap([(b"k", b"v"), (b"k2", b"")]))))


def test_every_flipped_byte_of_packed_values_is_refused_as_the_reader_refuses_it(tmp_path):
    data = packed_file()
    assert load(tmp_path, data)[0] == (4, 0)
    start = data.index(b"\x10\x01L")
    for i in range(start, len(data) - 9):
        for mask in (0x01, 0x80):
            bad = bytearray(data)
            bad[i] ^= mask
            want = refusal(parse, bytes(bad))
            assert refusal(load, tmp_path, bytes(bad)) == want, (i, mask, want)


def test_corrupt_duplicated_and_empty_values(tmp_path):
    bad_lp = listpack([b"a", b"b"])[:-1] + b"\x00"                  # no end byte
    data = file_of((b"k", (16, bad_lp)))
    text = refusal(load, tmp_path, data)
    assert text == refusal(parse, data)
    assert text == "corrupt RDB file at offset %d: Hash listpack integrity check failed" % (
        data.index(bad_lp))
    for rdb_type, value, text in [(16, listpack([b"a", b"b", b"c"]), "Hash listpack integrity"),
                                  (11, struct.pack("<II", 2, 0), "Intset integrity"),
                                  (13, ziplist([b"a"]), "Hash ziplist integrity"),
                                  (9, zipmap([(b"a", b"1"), (b"a", b"2")]), "Hash zipmap with dup")]:
        data = file_of((b"k", (rdb_type, value)))
        assert text in refusal(load, tmp_path, data) == refusal(parse, data)
    # duplicates where Redis refuses them: a hash table (here past a limit of 1), an intset or
    # a table built from a set; the half-made key is not left behind
    path = tmp_path / "d.rdb"
    path.write_bytes(file_of((b"s", b"v"), (b"k", (4, b"\x02\x01a\x01b\x01a\x01c"))))
    core = Core(maxclients=4, seed=1, hash_max_listpack_entries=1)
    with pytest.raises(RdbError, match="Duplicate hash fields detected"):
        load_file(core, str(path))
    assert core.ks.keys() == 1 and normal(saved(core)) == {(0, b"s"): (b"v", -1, None)}
    for members in (b"\x02\x01\x31\xc0\x01", b"\x02\x01x\x01x"):      # "1" and INT8 1; "x" twice
        assert "Duplicate set members detected" in refusal(load, tmp_path, file_of((b"k", (2, members))))
    # empty hashes and sets are skipped, as Redis skips them
    empty = file_of((b"a", (4, b"\x00")), (b"b", (2, b"\x00")), (b"c", (16, listpack([]))),
                    (b"d", (13, ziplist([]))), (b"e", b"v"))
    assert load(tmp_path, empty) == ((1, 0), {(0, b"e"): (b"v", -1, None)})
    assert [r[1] for r in parse(empty).records] == [b"e"]
