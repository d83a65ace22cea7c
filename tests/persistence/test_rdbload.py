"""The kernel loader (persistence/loadfile.py, rdbload.insert_records) against the references.

A file loads into a Core exactly as tests/naive_rdb.py's plain-Python walker
reads it (keys already expired dropped), whatever the read size and the rows
per kernel call; a file cut anywhere or with a byte flipped is refused with
the message RdbReader (rdb.parse) gives for it; RESIZEDB sizes the index.
"""
import io
import random
import struct
import time

import pytest

from mako_numba.base.crc64 import crc64
from mako_numba.base.layout import T_LOGCAP, T_MIG
from mako_numba.engine.core import Core
from mako_numba.persistence import loadfile
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.rdb import RdbError, RdbWriter, parse
from mako_numba.persistence.snapshots import write_rdb
from naive_rdb import ref_records

FAR = 4102444800000             # 2100-01-01


def contents(core):
    """{(db, key): (value, expire_ms or -1)} of what a Core holds (written, then parsed)."""
    f = io.BytesIO()
    write_rdb(core, f)
    return {(db, k): (v, e) for db, k, v, e in parse(f.getvalue()).records}


def expected(blob, keep_expired=False):
    """What loading blob should give, by the plain-Python walker."""
    now = int(time.time() * 1000)
    return {(db, k): (v, e if e > 0 else -1) for db, k, v, e, _ in ref_records(blob)[2]
            if keep_expired or not 0 <= e < now}


def load(tmp_path, blob, databases=16, **kw):
    path = tmp_path / "load.rdb"
    path.write_bytes(blob)
    core = Core(maxclients=4, databases=databases, seed=3)
    return core, load_file(core, str(path), **kw)


def refusal(fn, *args, **kw):
    with pytest.raises(RdbError) as e:
        fn(*args, **kw)
    return str(e.value)


def every_encoding(compress=True):
    """An RDB file with raw, INT8/16/32 and LZF keys and values, expiry (past, future, none),
    AUX fields and four databases; and the number of keys with an expiry in the past."""
    rng = random.Random(5)
    now = int(time.time() * 1000)
    values = [b"", b"0", b"-1", b"127", b"128", b"-129", b"32768", b"-32769", b"2147483647",
              b"-2147483648", b"2147483648", b"007", b"1.0", b"x" * 20, b"a" * 21,
              b"abc" * 400, rng.randbytes(3000), b"0123456789abcdef" * 9000]
    values += [b"".join(rng.choice([b"ab", b"cde", b"fghi"]) for _ in range(rng.randint(8, 40)))
               for _ in range(40)]
    keys = [b"12345", b"-7", b"007", b"", b"\x00\xff", b"long-key-" * 5] + [
        b"k:%d" % i for i in range(len(values))]
    w = RdbWriter(compress=compress)
    parts, past = [w.header({"ctime": 0})], 0
    for db in (0, 1, 5, 15):
        mine = [i for i in range(len(values)) if i % 4 == (0, 1, 5, 15).index(db)]
        parts.append(w.select_db(db, len(mine), len(mine)))
        for i in mine:
            expire = (-1, FAR, now + 3600_000, now - 5000)[i % 4]
            past += expire == now - 5000
            parts.append(w.string(keys[i], values[i], expire))
    parts.append(w.footer())
    return b"".join(parts), past


@pytest.mark.parametrize("compress", [True, False])
def test_every_encoding_loads_as_the_reference_reads_it(tmp_path, compress):
    blob, past = every_encoding(compress)
    want = expected(blob)
    core, (loaded, expired) = load(tmp_path, blob)
    assert (loaded, expired) == (len(want), past) and past > 0
    assert contents(core) == want
    core, (loaded, expired) = load(tmp_path, blob, keep_expired=True)
    assert (loaded, expired) == (len(want) + past, 0)
    assert contents(core) == expected(blob, keep_expired=True)


@pytest.mark.parametrize("chunk, rows", [(1, 1), (7, 2), (64, 3), (1000, 1), (4096, 64)])
def test_any_read_size_and_rows_per_call(tmp_path, monkeypatch, chunk, rows):
    monkeypatch.setattr(loadfile, "READ_CHUNK", chunk)
    monkeypatch.setattr(loadfile, "ROWS", rows)
    blob, _ = every_encoding()
    core, _ = load(tmp_path, blob)
    assert contents(core) == expected(blob)


def small_file():
    w = RdbWriter()
    return (w.header({"ctime": 1700000000}) + w.select_db(0, 2, 1) + w.string(b"a", b"1")
            + w.string(b"bb", b"hello" * 9, FAR) + w.select_db(2, 1, 1)
            + w.string(b"c", b"-300", FAR) + w.string(b"12", b"x" * 30) + w.footer())


@pytest.mark.parametrize("chunk", [16, 1 << 20])
def test_every_cut_is_refused_as_the_reader_refuses_it(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(loadfile, "READ_CHUNK", chunk)
    blob = small_file()
    for n in range(len(blob)):
        want = refusal(parse, blob[:n])
        assert "truncated" in want
        assert refusal(load, tmp_path, blob[:n]) == want, n


def test_every_flipped_byte_is_refused_as_the_reader_refuses_it(tmp_path):
    blob = small_file()
    for i in range(len(blob)):
        for mask in (0x01, 0x80, 0xFF):
            bad = bytearray(blob)
            bad[i] ^= mask
            assert refusal(load, tmp_path, bytes(bad)) == refusal(parse, bytes(bad)), (i, mask)


def with_crc(body):
    body += b"\xff"
    return body + struct.pack("<Q", crc64(body))


def test_corrupt_strings_and_opcodes_name_the_offset(tmp_path):
    head = RdbWriter().header({"ctime": 0})
    for tail, at in [(b"\x00\x01k\xc3\x03\x32\x01ab", 6),   # LZF that expands to 2, not 50
                     (b"\x00\xc3\x03\x32\x01ab\x01v", 4),   # ... as a key
                     (b"\xfa\x01n\xc3\x03\x32\x01ab", 6),   # ... in an AUX field
                     (b"\x00\x01k\xc4", 3),                 # no such string encoding
                     (b"\x00\xbf", 1),                      # no such length form
                     (b"\x14", 0),                          # no such opcode
                     (b"\xf7\x81" + b"\0" * 20, 0),         # module data
                     (b"\xf5\x00", 0)]:                     # functions
        body = head + tail
        want = refusal(parse, with_crc(body))
        assert "offset %d" % (len(head) + at) in want
        assert refusal(load, tmp_path, with_crc(body)) == want
    assert "checksum mismatch" in refusal(load, tmp_path, small_file()[:-1] + b"\x01")
    blob = small_file()
    assert load(tmp_path, blob[:-8] + b"\0" * 8)[1] == (4, 0)       # zero: not computed


def test_databases_duplicates_and_merge(tmp_path):
    w = RdbWriter()
    twice = w.header() + w.select_db(0, 2, 0) + w.string(b"k", b"1") + w.string(b"k", b"2") \
        + w.footer()
    assert refusal(load, tmp_path, twice) == "duplicated key 'k' in database 0"
    w = RdbWriter()
    lzf_key = b"key-" * 10
    twice = w.header() + w.select_db(3, 2, 0) + w.string(lzf_key, b"1") \
        + w.string(lzf_key, b"2") + w.footer()
    assert refusal(load, tmp_path, twice) == "duplicated key '%s' in database 3" % lzf_key.decode()
    w = RdbWriter()
    far = w.header() + w.select_db(4, 1, 0) + w.string(b"k", b"1") + w.footer()
    assert refusal(load, tmp_path, far, databases=4) == \
        "the file has database 4, but the server has 4 databases (--databases)"
    path = tmp_path / "m.rdb"
    path.write_bytes(twice)
    core = Core(maxclients=4, databases=4, seed=3)
    assert load_file(core, str(path), merge=True) == (2, 0)
    assert contents(core) == {(3, lzf_key): (b"2", -1)}


def test_resizedb_sizes_the_index_before_the_keys(tmp_path):
    w = RdbWriter()
    n = 50_000
    blob = w.header() + w.select_db(0, n, 0) + b"".join(
        w.string(b"key:%d" % i, b"v") for i in range(n)) + w.footer()
    core = Core(maxclients=4, seed=3)
    hinted = core.ks._target_logcap(n)
    path = tmp_path / "r.rdb"
    path.write_bytes(blob)
    assert load_file(core, str(path)) == (n, 0)
    assert core.ks.tm[T_LOGCAP] == hinted and core.ks.tm[T_MIG] == 0
    # a hint far above what the file can hold is capped by the file's size
    head = RdbWriter().header({"ctime": 0})
    lie = with_crc(head + b"\xfe\x00\xfb\x81" + struct.pack(">Q", 1 << 40) + b"\x00"
                   + b"\x00\x01k\x01v")
    core, got = load(tmp_path, lie)
    assert got == (1, 0) and core.ks.tm[T_LOGCAP] == core.ks.initial_logcap
