"""Lists in RDB files and in the command-form AOF base, in process: kernels against the Python codec.

- What the kernels save for lists built by commands is what RdbWriter (rdb.py,
  rdbcoll.py) writes for the same elements, byte for byte, under any
  list-max-listpack-size (nodes cut as store/types/list.nodes cuts them) and
  with or without compression.
- The loader gives the same lists back, whatever the read size, the rows per
  call and the arena (tiny chunks: records defer for memory), and a loaded
  list takes pushes at both ends.
- Every list encoding Redis 7.0 loads (RDB_TYPE_LIST, _ZIPLIST, _QUICKLIST and
  _QUICKLIST_2 with PLAIN, PACKED and LZF nodes) loads as the reader reads it;
  empty lists and nodes are skipped as Redis skips them; list values cut or
  flipped anywhere are refused with the reader's message.
- aof-use-rdb-preamble no: RPUSH of at most 64 elements, then PEXPIREAT.
(test_list_rdb_redis.py does the same against a real Redis, over sockets.)
"""
import hashlib
import io
import struct

import pytest

from drive import cmd_bytes, roundtrip
from mako_numba.engine.core import Core
from mako_numba.persistence import aofbase, loadfile
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.rdb import RdbError, RdbWriter, encode_length, parse
from mako_numba.persistence.rdbcoll import Hash, List, Set, listpack
from mako_numba.persistence.snapshots import write_rdb
from mako_numba.store.types import list as list_type
from mako_numba.store.types.pyview import list_items
from naive_rdb import ziplist

FAR = 4102444800000             # 2100-01-01
# an integer of every listpack width (7, 13, 16, 24, 32, 64 bits) at both of its edges, the
# strings just past them, and strings that look like integers but are not canonical
EDGE = ["0", "127", "128", "-1", "-4096", "4095", "-4097", "4096", "32767", "-32768", "32768",
        "-32769", "8388607", "-8388608", "8388608", "-8388609", "2147483647", "-2147483648",
        "2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "007", "-0", "+1", "1.5", " 1", ""]


def noise(n, seed=b"x"):
    """n bytes LZF cannot shrink."""
    out = b""
    while len(out) < n:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return out[:n]


LONG = ["x" * 63, "y" * 64, "z" * 4095, "w" * 4096, noise(20), noise(100), noise(5000),
        "abc" * 3000, "q" * 70000]


def commands(big=1000):
    out = []
    for db in (0, 3):
        out += [("SELECT", db),
                ("RPUSH", "l:small", "a", "b", "c"),
                ("RPUSH", "l:one", "only"),
                ("RPUSH", "l:edge", *EDGE),
                ("RPUSH", "l:long", *LONG),
                ("LPUSH", "l:lpush", *range(1000)),
                ("RPUSH", "l:mixed", *range(2000)),
                ("LPOP", "l:mixed", 5), ("RPOP", "l:mixed", 7),
                ("LREM", "l:mixed", 0, 100), ("LINSERT", "l:mixed", "BEFORE", 500, "in"),
                ("LSET", "l:mixed", 3, "x" * 300), ("LPUSH", "l:mixed", "head"),
                ("RPUSH", "l:bin", b"\x00\xff", b"\r\n", b"\x80" * 60),
                ("RPUSH", "l:ttl", "a", 1), ("PEXPIREAT", "l:ttl", FAR),
                ("RPUSH", "l:big", *("e%d" % i for i in range(big))),
                ("SET", "plain", "v"), ("HSET", "h", "f", "v"), ("SADD", "s", 1, 2)]
    return out


def run(core, cmds):
    s = core.open()
    replies = roundtrip(core, s, b"".join(cmd_bytes(*c) for c in cmds))
    assert b"\r\n-" not in b"\r\n" + replies
    return s


def built(settings=None, big=1000, **kw):
    core = Core(maxclients=4, seed=11, settings=settings, **kw)
    run(core, commands(big))
    return core


def saved(core, compress=True):
    f = io.BytesIO()
    write_rdb(core, f, compress)
    return f.getvalue()


def python_encoded(contents, fill=-2, compress=True):
    """The file RdbWriter writes for parsed contents, key by key in their order."""
    w = RdbWriter(compress=compress)
    parts = [w.header(contents.aux)]
    by_db = {}
    for db, k, v, e in contents.records:
        by_db.setdefault(db, []).append((k, v, e))
    for db, recs in by_db.items():
        parts.append(w.select_db(db, len(recs), sum(1 for r in recs if r[2] >= 0)))
        parts += [w.list(k, v, e, fill) if isinstance(v, list) else w.key(k, v, e)
                  for k, v, e in recs]
    parts.append(w.footer())
    return b"".join(parts)


def normal(data):
    """{(db, key): (value, expire)}: a list as a list, a hash as a dict, a set as a set."""
    out = {}
    for db, k, v, e in parse(data).records:
        value = list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else \
            set(v) if isinstance(v, frozenset) else v
        out[(db, k)] = (value, e)
    return out


def expected(big=1000):
    """The lists commands() builds, as Python lists of bytes."""
    def b(x):
        return x if isinstance(x, bytes) else str(x).encode()
    mixed = list(range(2000))[5:-7]
    mixed = [x for x in mixed if x != 100]
    mixed.insert(mixed.index(500), "in")
    mixed[3] = "x" * 300
    lists = {b"l:small": [b"a", b"b", b"c"], b"l:one": [b"only"], b"l:edge": [b(e) for e in EDGE],
             b"l:long": [b(e) for e in LONG], b"l:lpush": [b(i) for i in range(999, -1, -1)],
             b"l:mixed": [b"head"] + [b(x) for x in mixed],
             b"l:bin": [b"\x00\xff", b"\r\n", b"\x80" * 60], b"l:ttl": [b"a", b"1"],
             b"l:big": [b"e%d" % i for i in range(big)]}
    out = {}
    for db in (0, 3):
        for k, v in lists.items():
            out[(db, k)] = (v, FAR if k == b"l:ttl" else -1)
        out[(db, b"plain")] = (b"v", -1)
        out[(db, b"h")] = ({b"f": b"v"}, -1)
        out[(db, b"s")] = ({b"1", b"2"}, -1)
    return out


# --- saving --------------------------------------------------------------------------------
@pytest.mark.parametrize("fill", [-2, -1, -5, -9, 0, 1, 5, 128, 40000])
def test_the_kernels_save_what_the_python_writer_writes(fill):
    core = built({"list-max-listpack-size": str(fill)})
    for compress in (True, False):
        data = saved(core, compress)
        contents = parse(data)
        assert python_encoded(contents, fill, compress) == data
        assert all(v.encoding == "quicklist" for db, k, v, e in contents.records if isinstance(v, list))
        assert normal(data) == expected()


def test_nodes_are_cut_as_a_quicklist_cuts_them():
    """_quicklistNodeAllowInsert: the listpack's bytes plus the new string's length plus 8
    within the byte limit (fill < 0); fewer than fill entries and within 8 KB (fill > 0); an
    element of 1 GB or more alone; fill clamped to -5..32767."""
    def cut(items, fill):
        return [len(n) for n in list_type.nodes([(listpack([i])[6:-1], i) for i in items], fill)]
    # 100-byte strings take 102 bytes of listpack: 7 + 102k + 100 + 8 <= 8192 up to k = 78
    assert cut([b"x" * 100] * 200, -2) == [79, 79, 42]
    assert cut([b"x" * 100] * 200, -1) == [39] * 5 + [5]
    assert cut([b"x" * 100] * 200, -9) == cut([b"x" * 100] * 200, -5) == [200]
    assert cut([b"1"] * 12, 5) == [5, 5, 2]
    assert cut([b"1"] * 3, 0) == cut([b"1"] * 3, 1) == [1, 1, 1]
    assert cut([b"x" * 3000] * 5, 100) == [2, 2, 1]            # 8 KB bounds a positive fill too
    assert cut([b"x" * 9000, b"a", b"b"], 100) == [1, 2]
    assert list_type.clamp_fill(40000) == 32767 and list_type.clamp_fill(-9) == -5
    assert cut([b"a"] * 6000, 40000) == cut([b"a"] * 6000, 32767) == [2726, 2726, 548]
    assert len(list_type.nodes([(b"", b"")] * 3, -2)) == 1
    class Huge:                                             # an element of 1 GB, unmade
        def __len__(self):
            return list_type.PACKED_THRESHOLD
    huge = [(b"", b"a"), (b"", Huge()), (b"", b"b")]
    assert [len(n) for n in list_type.nodes(huge, -2)] == [1, 1, 1]


def test_serialized_length_is_what_the_file_holds():
    """DEBUG OBJECT's serializedlength (store/types/list.py) is the value's bytes in the file."""
    core = built()
    for fill in (-2, -5, 5, 1):
        for key in (b"l:small", b"l:edge", b"l:long", b"l:mixed", b"l:big"):
            value, exp, size, lru, flags = core.key_info(0, key)
            w = RdbWriter()
            w.header()
            record = w.list(key, list_items(value), -1, fill)
            head = 1 + len(w.encode_string(key))
            assert list_type.serialized_length(value, flags, fill) == len(record) - head, (key, fill)


# --- loading ---------------------------------------------------------------------------------
@pytest.mark.parametrize("read, rows", [(7, 2), (1 << 20, 4096)])
def test_loaded_back_with_deferrals_at_any_read_size(tmp_path, monkeypatch, read, rows):
    data = saved(built({"list-max-listpack-size": "5"}))
    monkeypatch.setattr(loadfile, "READ_CHUNK", read)
    monkeypatch.setattr(loadfile, "ROWS", rows)
    path = tmp_path / "l.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=5, chunk_size=4096, table_logcap=2, large_block=1024)
    assert load_file(core, str(path)) == (len(expected()), 0)
    assert normal(saved(core)) == expected()


def test_a_loaded_list_takes_every_write(tmp_path):
    path = tmp_path / "l.rdb"
    path.write_bytes(saved(built()))
    core = Core(maxclients=4, seed=5)
    load_file(core, str(path))
    s = core.open()
    got = roundtrip(core, s, b"".join(cmd_bytes(*c) for c in [
        ("LPUSH", "l:small", "h"), ("RPUSH", "l:small", "t"), ("LINSERT", "l:small", "AFTER", "b", "i"),
        ("LSET", "l:one", 0, "changed"), ("LRANGE", "l:small", 0, -1), ("LINDEX", "l:big", 999),
        ("LPOS", "l:edge", "-9223372036854775808"), ("LLEN", "l:long"), ("LRANGE", "l:one", 0, -1),
        ("RPOPLPUSH", "l:edge", "l:one"), ("LRANGE", "l:one", 0, -1)]))
    assert got == (b":4\r\n:5\r\n:6\r\n+OK\r\n*6\r\n$1\r\nh\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\ni\r\n$1\r\nc\r\n"
                   b"$1\r\nt\r\n$4\r\ne999\r\n:21\r\n:9\r\n*1\r\n$7\r\nchanged\r\n$0\r\n\r\n"
                   b"*2\r\n$0\r\n\r\n$7\r\nchanged\r\n")


def test_a_list_of_100k_elements_and_one_of_every_width(tmp_path):
    core = built(big=100_000)
    data = saved(core)
    assert normal(data) == expected(100_000)
    path = tmp_path / "big.rdb"
    path.write_bytes(data)
    again = Core(maxclients=4, seed=5)
    assert load_file(again, str(path)) == (len(expected()), 0)
    assert normal(saved(again)) == normal(data)


def test_expired_lists_are_skipped_but_checked(tmp_path):
    w = RdbWriter()
    data = b"".join([w.header(), w.select_db(0, 2, 2), w.list(b"gone", [b"a"], 1000),
                     w.list(b"kept", [b"b"], FAR), w.footer()])
    path = tmp_path / "e.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=5)
    assert load_file(core, str(path)) == (1, 1)
    assert normal(saved(core)) == {(0, b"kept"): ([b"b"], FAR)}
    w = RdbWriter()
    data = b"".join([w.header(), w.select_db(0, 1, 1), w.encoded(18, b"gone", b"\x01\x07\x01a", 1000),
                     w.footer()])
    path.write_bytes(data)
    with pytest.raises(RdbError, match="Quicklist integrity check failed"):
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


def quicklist(nodes, containers=None, compress=False):
    """RDB_TYPE_LIST_QUICKLIST(_2)'s value: a count, then each node (container first)."""
    out = [encode_length(len(nodes))]
    for i, node in enumerate(nodes):
        if containers is not None:
            out.append(encode_length(containers[i]))
        out.append(string(node, compress))
    return b"".join(out)


def elements(items, compress=False):
    return encode_length(len(items)) + b"".join(string(i, compress) for i in items)


def lp(items, count=None):
    data = listpack(items)
    return data if count is None else data[:4] + struct.pack("<H", count) + data[6:]


ITEMS = [b"a", b"12", b"-70000", b"", b"007", b"x" * 300, b"9223372036854775807"]


def old_encodings():
    """Every list encoding Redis 7.0 loads; the elements each gives."""
    return [
        (b"t1", (1, elements(ITEMS)), ITEMS),
        (b"t1-lzf", (1, elements([b"abc" * 30, b"1", b"-200"], True)), [b"abc" * 30, b"1", b"-200"]),
        (b"t10", (10, string(ziplist(ITEMS))), ITEMS),
        (b"t10-lzf", (10, string(ziplist([b"q" * 100] * 3), True)), [b"q" * 100] * 3),
        (b"t14", (14, quicklist([ziplist(ITEMS[:3]), ziplist([]), ziplist(ITEMS[3:])])), ITEMS),
        (b"t14-lzf", (14, quicklist([ziplist([b"r" * 50] * 4)], None, True)), [b"r" * 50] * 4),
        (b"t18", (18, quicklist([lp(ITEMS[:2]), b"plain element", lp([]), lp(ITEMS[2:], 65535)],
                                [2, 1, 2, 2])), ITEMS[:2] + [b"plain element"] + ITEMS[2:]),
        (b"t18-lzf", (18, quicklist([lp([b"s" * 40] * 5), b"p" * 100], [2, 1], True)),
         [b"s" * 40] * 5 + [b"p" * 100]),
        (b"t18-int-plain", (18, quicklist([b"12345"], [1])), [b"12345"]),
    ]


def load(tmp_path, data, **limits):
    path = tmp_path / "l.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=2, **limits)
    loaded = load_file(core, str(path))
    return loaded, normal(saved(core))


def test_every_list_encoding_redis_loads(tmp_path):
    cases = old_encodings()
    data = file_of(*[(k, v) for k, v, items in cases])
    assert string(b"12345") == b"\xc1\x39\x30"          # the PLAIN node above is INT-encoded
    want = {(0, k): (items, -1) for k, v, items in cases}
    assert {(db, k): (list(v), e) for db, k, v, e in parse(data).records} == want
    assert all(v.encoding == "quicklist" for db, k, v, e in parse(data).records)
    assert load(tmp_path, data) == ((len(cases), 0), want)


def test_empty_lists_and_nodes_are_skipped(tmp_path):
    data = file_of((b"a", (1, b"\x00")), (b"b", (14, b"\x00")), (b"c", (18, b"\x00")),
                   (b"d", (10, string(ziplist([])))), (b"e", (14, quicklist([ziplist([])]))),
                   (b"f", (18, quicklist([lp([]), lp([])], [2, 2]))),
                   (b"g", (18, quicklist([lp([]), lp([b"v"])], [2, 2]))))
    assert load(tmp_path, data) == ((1, 0), {(0, b"g"): ([b"v"], -1)})
    assert [(r[1], list(r[2])) for r in parse(data).records] == [(b"g", [b"v"])]


def refusal(fn, *args):
    with pytest.raises(RdbError) as e:
        fn(*args)
    return str(e.value)


def test_corrupt_lists_are_refused_as_redis_refuses_them(tmp_path):
    cases = [
        ((18, quicklist([lp([b"a"])], [3])), "Quicklist integrity check failed", 0),
        ((18, quicklist([lp([b"a"]), b""], [2, 1])), "Quicklist integrity check failed", 1),
        ((18, quicklist([lp([b"a"]), b""], [2, 2])), "Listpack integrity check failed", 1),
        ((18, quicklist([lp([b"a", b"b"], 3)], [2])), "Listpack integrity check failed", 0),
        ((18, quicklist([lp([b"a"])[:-1] + b"\x00"], [2])), "Listpack integrity check failed", 0),
        ((14, quicklist([ziplist([b"a"]), ziplist([b"b"])[:-2] + b"\xff"])),
         "Ziplist integrity check failed", 1),
        ((10, string(ziplist([b"a"])[:-1] + b"\x00")), "List ziplist integrity check failed", 0),
    ]
    for value, text, node in cases:
        data = file_of((b"k", value))
        got = refusal(load, tmp_path, data)
        assert got == refusal(parse, data), value
        assert got.startswith("corrupt RDB file at offset ") and got.endswith(": " + text), got
    # the offset names the faulty node: here the second, its bytes after the header
    data = file_of((b"k", (18, quicklist([lp([b"a"]), lp([b"b"])[:-1] + b"\x00"], [2, 2]))))
    at = data.index(lp([b"b"])[:-1] + b"\x00")
    assert refusal(load, tmp_path, data) == \
        "corrupt RDB file at offset %d: Listpack integrity check failed" % at
    # bad LZF inside a node or an element
    good = string(b"abc" * 40, True)
    assert good[:4] == b"\xc3\x0b\x40\x78"             # LZF, 11 bytes, 120 once expanded
    bad = good[:3] + b"\x79" + good[4:]
    for value in ((18, b"\x01\x02" + bad), (1, b"\x01" + bad), (14, b"\x01" + bad)):
        data = file_of((b"k", value))
        got = refusal(load, tmp_path, data)
        assert got == refusal(parse, data) == "corrupt RDB file at offset %d: LZF data that " \
            "does not expand to 121 bytes" % (data.index(bad) + 4)
    # the half-made key is not left behind, the keys before it stay
    w = RdbWriter()
    data = b"".join([w.header(), w.select_db(0, 2, 0), w.string(b"s", b"v"),
                     w.encoded(18, b"k", quicklist([lp([b"a"]), b"x"], [2, 7])), w.footer()])
    path = tmp_path / "h.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=1)
    with pytest.raises(RdbError, match="Quicklist integrity check failed"):
        load_file(core, str(path))
    assert core.ks.keys() == 1


def flipped_file():
    """A list of every encoding (keys of unlike lengths: no flipped bit makes one key another's)."""
    return file_of((b"Q", (18, quicklist([lp([b"a", b"-300"]), b"plain", lp([b"y" * 70])],
                                         [2, 1, 2]))),
                   (b"ZZ", (14, quicklist([ziplist([b"a", b"1"]), ziplist([b"bb", b"x" * 30])]))),
                   (b"LLL", (10, string(ziplist([b"k", b"500"])))),
                   (b"EEEE", (1, elements([b"e", b"70000", b"f" * 30]))),
                   (b"CCCCC", (18, quicklist([lp([b"c" * 40, b"d" * 40])], [2], True))))


def test_every_flipped_byte_of_list_values_is_refused_as_the_reader_refuses_it(tmp_path):
    data = flipped_file()
    assert load(tmp_path, data)[0] == (5, 0)
    start = data.index(b"\x12\x01Q")
    for i in range(start, len(data) - 9):
        for mask in (0x01, 0x80):
            bad = bytearray(data)
            bad[i] ^= mask
            want = refusal(parse, bytes(bad))
            assert refusal(load, tmp_path, bytes(bad)) == want, (i, mask, want)


def test_writer_reader_round_trip_of_python_values():
    w = RdbWriter()
    data = b"".join([w.header(), w.select_db(0, 3, 0), w.key(b"l", List([b"1", b"x" * 9000, b""])),
                     w.key(b"h", Hash({b"f": b"v"})), w.key(b"s", Set([b"1"])), w.footer()])
    got = {k: v for db, k, v, e in parse(data).records}
    assert got[b"l"] == [b"1", b"x" * 9000, b""] and got[b"l"].encoding == "quicklist"


# --- the command-form AOF base --------------------------------------------------------------
def commands_of(data):
    cmds, pos = [], 0
    while pos < len(data):
        end = data.index(b"\r\n", pos)
        n, pos, args = int(data[pos + 1:end]), end + 2, []
        for _ in range(n):
            end = data.index(b"\r\n", pos)
            size, pos = int(data[pos + 1:end]), end + 2
            args.append(data[pos:pos + size])
            pos += size + 2
        cmds.append(args)
    return cmds


def test_the_command_form_base_rpushes_at_most_64_elements_a_command():
    core = built()
    f = io.BytesIO()
    assert aofbase.write_commands(core, f) == len(expected())
    cmds = commands_of(f.getvalue())
    pushes = {}
    db = 0
    for c in cmds:
        if c[0] == b"SELECT":
            db = int(c[1])
        elif c[0] == b"RPUSH":
            assert 3 <= len(c) <= 2 + aofbase.ITEMS_PER_CMD
            pushes.setdefault((db, c[1]), []).append(len(c) - 2)
        elif c[0] == b"PEXPIREAT":
            assert c[1] in (b"l:ttl",) and c[2] == b"%d" % FAR
    for key, sizes in pushes.items():
        assert sizes[:-1] == [64] * (len(sizes) - 1) and 0 < sizes[-1] <= 64, key
    again = Core(maxclients=4, seed=3)
    run(again, [tuple(c) for c in cmds])
    assert normal(saved(again)) == expected()


def test_mixed_types_after_lists_in_one_batch():
    """Writers of the command form stop their string kernel at a list and go on after it."""
    core = Core(maxclients=4, seed=3)
    run(core, [("SET", "a", "1"), ("RPUSH", "b", "x"), ("SET", "c", "2"),
               ("HSET", "d", "f", "v"), ("RPUSH", "e", *range(130))])
    f = io.BytesIO()
    aofbase.write_commands(core, f)
    again = Core(maxclients=4, seed=4)
    run(again, [tuple(c) for c in commands_of(f.getvalue())])
    assert normal(saved(again)) == normal(saved(core))
    assert normal(saved(core))[(0, b"e")] == ([b"%d" % i for i in range(130)], -1)
