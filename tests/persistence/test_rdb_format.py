"""The RDB codec (mako_numba/persistence/rdb.py, rdbscan.py, lzf.py, crc64.py) against
plain-Python references (naive_rdb.py) and against a real Redis 7: Redis
loads what we write, we read what Redis writes, and for the same data our
records are Redis's byte for byte."""
import io
import os
import random
import socket
import struct
import subprocess
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Proc, free_port, need_tool
from mako_numba.base import lzf
from mako_numba.base.crc64 import crc64
from mako_numba.engine.core import Core
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.rdb import RdbError, RdbReader, RdbWriter, encode_integer, encode_length, parse
from mako_numba.persistence.snapshots import write_rdb
from naive_rdb import crc64_ref, lzf_compress_ref, lzf_decompress_ref, ref_records

FAR = 4102444800123                 # 2100-01-01, in ms


# --- CRC-64 and LZF kernels ------------------------------------------------------------
def test_crc64_check_value_and_reference():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA == crc64_ref(b"123456789")
    rng = random.Random(1)
    for n in [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4099]:
        data = rng.randbytes(n)
        assert crc64(data) == crc64_ref(data), n
    data = rng.randbytes(5000)
    assert crc64(data[1234:], crc64(data[:1234])) == crc64(data)    # in pieces
    assert crc64(b"\0" * 100) == crc64_ref(b"\0" * 100)


def _lzf_inputs():
    rng = random.Random(2)
    yield b""
    yield b"a"
    yield b"ab"
    yield b"abc"
    yield b"a" * 21
    yield b"a" * 100000                                    # one long run: overlapping copies
    yield b"ab" * 5000
    yield rng.randbytes(10000)                             # incompressible
    yield bytes(range(256)) * 40                           # matches 256 back
    yield rng.randbytes(9000) + rng.randbytes(100) * 3     # matches near the 8 KB window
    for n in [17, 18, 19, 20, 21, 22, 23, 36, 264, 265, 266, 300]:
        yield b"x" * n                                     # around the unrolled compares and MAX_REF
        yield b"q" + b"xy" * (n // 2)
    for _ in range(300):
        n = rng.choice([3, 5, 21, 22, 40, 100, 1000, 20000])
        alphabet = rng.randint(1, 40)
        yield bytes(97 + rng.randrange(alphabet) for _ in range(n))


def test_lzf_kernels_against_reference():
    for data in _lzf_inputs():
        for limit in {len(data), max(len(data) - 4, 0), len(data) + 64, len(data) // 3}:
            packed = lzf.compress(data, limit)
            assert packed == lzf_compress_ref(data, limit), (len(data), limit)
            if packed is not None:
                assert len(packed) <= limit
                assert lzf.decompress(packed, len(data)) == data
                assert lzf_decompress_ref(packed, len(data)) == (data, 0)


def _decompress_code(data, out_len):
    out = np.zeros(out_len + 1, np.uint8)
    src = np.frombuffer(data, np.uint8)
    return int(lzf.lzf_decompress(src, src.shape[0], out, out_len))


def test_lzf_decompress_refuses_bad_input_as_liblzf_does():
    good = lzf.compress(b"hello hello hello hello", 100)
    cases = [(good, 5), (good, 23), (good[:-1], 23), (good[:5], 23), (b"\x05ab", 10),
             (b"\x20\x00", 10), (b"\x00a\x20\x01", 10), (b"\xe0", 10), (b"\xe0\x01", 10),
             (b"\x00a\x20\x00", 3), (b"", 0), (b"\x1fabc", 40)]
    for data, out_len in cases:
        _, code = lzf_decompress_ref(data, out_len)
        got = _decompress_code(data, out_len)
        assert (got if got < 0 else 0) == code, (data, out_len)
        assert (lzf.decompress(data, out_len) is None) == (code != 0 or got != out_len)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 8))
def test_lzf_property(data, alphabet):
    data = bytes(97 + b % alphabet for b in data)
    packed = lzf.compress(data, len(data) + 40)
    assert packed == lzf_compress_ref(data, len(data) + 40)
    assert lzf.decompress(packed, len(data)) == data


# --- string and length encodings -----------------------------------------------------
def test_integer_encoding_is_redis_rule():
    ints = {b"0": 2, b"-1": 2, b"127": 2, b"-128": 2, b"128": 3, b"-129": 3, b"32767": 3,
            b"-32768": 3, b"32768": 5, b"-32769": 5, b"2147483647": 5, b"-2147483648": 5,
            b"-1234567890": 5}
    for s, size in ints.items():
        enc = encode_integer(s)
        assert len(enc) == size and parse_string(enc) == s, s
    for s in [b"", b"007", b"1.0", b"-0", b"+1", b" 1", b"1 ", b"1_0", b"0x1", b"2147483648",
              b"-2147483649", b"12345678901", b"9223372036854775807", b"\xd9\xa1", b"-"]:
        assert encode_integer(s) is None, s


def parse_string(enc):
    w = RdbWriter()
    body = w.header({"ctime": 0}) + b"\x00" + w.encode_string(b"k") + enc + b"\xff"
    return parse(body + struct.pack("<Q", crc64(body))).records[0][2]


def test_length_encoding_boundaries():
    assert encode_length(63) == b"\x3f"
    assert encode_length(64) == b"\x40\x40"
    assert encode_length(16383) == b"\x7f\xff"
    assert encode_length(16384) == b"\x80\x00\x00\x40\x00"
    assert encode_length(2**32 - 1) == b"\x80\xff\xff\xff\xff"
    assert encode_length(2**32) == b"\x81" + (2**32).to_bytes(8, "big")


def test_writer_guards_its_order():
    w = RdbWriter()
    with pytest.raises(ValueError):
        w.string(b"k", b"v")
    w.header()
    w.footer()
    with pytest.raises(ValueError):
        w.string(b"k", b"v")


# --- a data set with every encoding ---------------------------------------------------
DBS = [0, 1, 5, 15]


def data_set():
    """{(db, key): (value, expire_ms)} with values of every encoding and size."""
    rng = random.Random(7)
    now = int(time.time() * 1000)
    values = [b"", b"0", b"1", b"-1", b"127", b"128", b"-128", b"-129", b"32767", b"32768",
              b"-32768", b"-32769", b"2147483647", b"2147483648", b"-2147483648",
              b"-2147483649", b"-1234567890", b"12345678901", b"9223372036854775807", b"007",
              b"1.0", b"-0", b"+1", b" 1", b"0x10", b"\x00\xff\r\n binary \x80", b"x" * 20,
              b"a" * 21, b"abc" * 1000, rng.randbytes(5000), b"y" * 16384, rng.randbytes(16384),
              rng.randbytes(1 << 20), b"0123456789abcdef" * 65536]
    for _ in range(150):            # text that LZF shrinks by about 0..60 bytes: many near
        words = [bytes(97 + rng.randrange(26) for _ in range(rng.randint(2, 6)))   # Redis's
                 for _ in range(rng.randint(3, 12))]                                # 4-byte line
        values.append(b"".join(rng.choice(words) for _ in range(60))[:rng.randint(21, 120)])
    keys = [b"12345", b"-7", b"007", b"", b"\x00\x01\xff", b"long-key-" * 5, rng.randbytes(30)]
    keys += [b"k:%d" % i for i in range(len(values))]
    data = {}
    for i, value in enumerate(values):
        db = DBS[i % len(DBS)]
        expire = -1
        if i % 3 == 1:
            expire = now + rng.randint(3600_000, 10 * 86400_000)
        elif i % 7 == 2:
            expire = FAR
        data[(db, keys[i])] = (value, expire)
    data[(1, b"12345")] = (b"-5", FAR)
    return data


def write_file(data, writer=None, aux=None, order=None):
    """The bytes of an RDB file of data; each key's record bytes in records."""
    w = writer or RdbWriter()
    parts = [w.header(aux or {})]
    records = []
    for db in sorted({db for db, _ in data}):
        keys = [k for d, k in (order or data) if d == db]
        parts.append(w.select_db(db, len(keys), sum(data[(db, k)][1] >= 0 for k in keys)))
        for k in keys:
            value, expire = data[(db, k)]
            records.append(w.string(k, value, expire))
            parts.append(records[-1])
    parts.append(w.footer())
    return b"".join(parts), records


def as_data(records):
    return {(db, k): (v, e) for db, k, v, e in records}


def test_round_trip_whole_bytewise_and_with_trailing_bytes():
    data = data_set()
    blob, _ = write_file(data)
    assert as_data(parse(blob).records) == data
    assert as_data([r[:4] for r in ref_records(blob)[2]]) == data
    reader = RdbReader()
    got = []
    for i in range(0, len(blob), 7919):     # odd-sized chunks, values split anywhere
        assert not reader.done
        got += reader.feed(blob[i:i + 7919] + (b"trailing" if i + 7919 >= len(blob) else b""))
    reader.close()
    assert as_data(got) == data and reader.unused == b"trailing"


def small_file():
    data = {(0, b"a"): (b"1", -1), (0, b"bb"): (b"hello" * 9, FAR), (2, b"c"): (b"-300", 5)}
    return write_file(data, aux={"ctime": 1700000000})[0], data


def test_one_byte_at_a_time():
    blob, data = small_file()
    reader = RdbReader()
    got = []
    for i in range(len(blob)):
        assert not reader.done
        got += reader.feed(blob[i:i + 1])
    assert reader.done and as_data(got) == data and reader.unused == b""
    assert reader.aux["ctime"] == "1700000000" and reader.aux["redis-bits"] == "64"
    assert reader.feed(b"xyz") == [] and reader.unused == b"xyz"


def test_every_truncation_and_every_flipped_byte_is_refused():
    blob, _ = small_file()
    for n in range(len(blob)):
        with pytest.raises(RdbError, match="truncated"):
            parse(blob[:n])
    for i in range(len(blob)):
        for mask in (0x01, 0xFF):
            bad = bytearray(blob)
            bad[i] ^= mask
            with pytest.raises(RdbError):
                parse(bytes(bad))


def with_crc(body):
    body += b"\xff"
    return body + struct.pack("<Q", crc64(body))


def test_corruption_messages_name_the_offset():
    blob, _ = small_file()
    at = blob.index(b"\x00\x01a")               # the type byte of key 'a'
    bad = bytearray(blob)
    bad[blob.index(b"\x02bb") + 2] = ord("c")      # a key changed: only the checksum sees it
    with pytest.raises(RdbError, match="checksum mismatch"):
        parse(bytes(bad))
    bad = bytearray(blob)
    bad[at] = 0x14
    with pytest.raises(RdbError, match="offset %d: unknown opcode or type 0x14" % at):
        parse(with_crc(bytes(bad[:-9])))
    bad[at] = 0
    bad[at + 1] = 0xBF                           # a length byte of no known form
    with pytest.raises(RdbError, match="offset %d: invalid length encoding" % (at + 1)):
        parse(with_crc(bytes(bad[:-9])))
    head = RdbWriter().header({"ctime": 0})
    lzf_bad = head + b"\x00\x01k\xc3\x03\x32\x01ab"  # LZF that expands to 2 bytes, not 50
    with pytest.raises(RdbError, match="offset %d: LZF data" % (len(head) + 6)):
        parse(with_crc(lzf_bad))
    with pytest.raises(RdbError, match="above the limit of 100"):
        parse(write_file({(0, b"k"): (os.urandom(1000), -1)})[0], max_string=100)


def test_versions_modules_and_old_expiry():
    blob, data = small_file()
    with pytest.raises(RdbError, match="version 11 is newer than mako_numba reads"):
        parse(b"REDIS0011" + blob[9:])
    with pytest.raises(RdbError, match="not an RDB file"):
        parse(b"RADIS" + blob[5:])
    assert as_data(parse(blob[:-8] + b"\0" * 8).records) == data       # zero: not computed
    head = RdbWriter().header({"ctime": 0})
    with pytest.raises(RdbError, match=r"module data \(MODULE_AUX at offset %d\)" % len(head)):
        parse(with_crc(head + b"\xf7\x81" + b"\0" * 20))
    with pytest.raises(RdbError, match="functions"):
        parse(with_crc(head + b"\xf5\x00"))
    old = with_crc(head + b"\xfe\x00\xfd" + struct.pack("<i", 2000000000) + b"\x00\x01k\x01v")
    assert parse(old).records == [(0, b"k", b"v", 2000000000000)]
    lru = with_crc(head + b"\xf8\x40\x80\xf9\x07\xfc" + struct.pack("<q", 5) + b"\x00\x01k\x01v")
    assert parse(lru).records == [(0, b"k", b"v", 5)]


entries = st.tuples(
    st.integers(0, 15), st.binary(max_size=25),
    st.one_of(st.binary(max_size=80), st.integers(-2**40, 2**40).map(lambda i: b"%d" % i),
              st.sampled_from([b"007", b"1.0", b"-0", b"", b"ab" * 30]),
              st.binary(min_size=1, max_size=4).map(lambda b: b * 20)),
    st.one_of(st.just(-1), st.integers(0, 2**62)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entries, max_size=30), st.booleans(), st.lists(st.integers(1, 64), max_size=8))
def test_property_written_then_read_is_the_same(items, compress, cuts):
    data = {(db, k): (v, e) for db, k, v, e in items}
    blob, _ = write_file(data, RdbWriter(compress=compress))
    assert as_data(parse(blob).records) == data
    reader, got, i = RdbReader(), [], 0
    for c in cuts:
        got += reader.feed(blob[i:i + c])
        i += c
    got += reader.feed(blob[i:])
    reader.close()
    assert as_data(got) == data


# --- against a real Redis 7 ---------------------------------------------------------------
def start_redis(d, dbfilename="dump.rdb", *extra):
    """redis-server on a free port loading d/dbfilename if it exists."""
    exe = need_tool("redis-server")
    port = free_port()
    popen = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(d), "--dbfilename", dbfilename,
                              "--daemonize", "no", "--logfile", str(d / "redis.log"), *extra],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    proc = Proc(popen, port, d / "redis.log")
    deadline = time.time() + 30
    while time.time() < deadline:
        if popen.poll() is not None:
            raise RuntimeError("redis-server exited:\n" + proc.log())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):        # not -LOADING
                    return proc
        except OSError:
            pass
        time.sleep(0.05)
    proc.stop()
    raise RuntimeError("redis-server did not start")


def client(proc, db=0):
    import redis
    return redis.Redis(host="127.0.0.1", port=proc.port, db=db)


def redis_contents(proc):
    out = {}
    for db in range(16):
        r = client(proc, db)
        for k in r.scan_iter(count=1000):
            out[(db, k)] = (r.get(k), r.execute_command("PEXPIRETIME", k))
    return out


def test_redis_loads_what_we_write(tmp_path):
    need_tool("redis-check-rdb")
    data = data_set()
    encodings = [RdbWriter().encode_string(v)[0] for v, _ in data.values()]
    assert all(encodings.count(e) >= 3 for e in [0xC0, 0xC1, 0xC2, 0xC3])   # INT8/16/32, LZF
    for name, writer in [("ours.rdb", RdbWriter()), ("nocrc.rdb", RdbWriter(checksum=False))]:
        blob, _ = write_file(data, writer)
        (tmp_path / name).write_bytes(blob)
        check = subprocess.run(["redis-check-rdb", str(tmp_path / name)], capture_output=True)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
        proc = start_redis(tmp_path, name)
        try:
            assert redis_contents(proc) == data
        finally:
            proc.stop()


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A real Redis holding data_set(), and the dump it saved."""
    d = tmp_path_factory.mktemp("redis_rdb")
    proc = start_redis(d)
    data = data_set()
    for db in DBS:
        pipe = client(proc, db).pipeline(transaction=False)
        for (kdb, k), (v, e) in data.items():
            if kdb == db:
                pipe.set(k, v)
                if e >= 0:
                    pipe.execute_command("PEXPIREAT", k, e)
        pipe.execute()
    client(proc).save()
    yield proc, data, (d / "dump.rdb").read_bytes(), d
    proc.stop()


def test_we_read_what_redis_writes_and_write_the_same_bytes(filled):
    _, data, blob, d = filled
    contents = parse(blob)
    assert contents.version == 10 and contents.aux["redis-ver"].startswith("7.0")
    assert as_data(contents.records) == data == kernel_load(d, blob)
    ref = ref_records(blob)[2]
    assert [r[:4] for r in ref] == contents.records
    # each key's record bytes are Redis's
    _, ours = write_file(data)
    assert sorted(ours) == sorted(r[4] for r in ref)
    # and the whole file, given Redis's AUX values and key order
    order = [(db, k) for db, k, _, _ in contents.records]
    again, _ = write_file(data, aux=dict(contents.aux), order=order)
    assert again == blob


def kernel_load(d, blob):
    """What the server's loader (loadfile.py's kernels) makes of blob, as parse() reads it back."""
    (d / "kernel.rdb").write_bytes(blob)
    core = Core(maxclients=4, seed=3)
    load_file(core, str(d / "kernel.rdb"))
    f = io.BytesIO()
    write_rdb(core, f)
    return as_data(parse(f.getvalue()).records)


def redis_dump(proc, d, *commands):
    r = client(proc)
    r.flushall()
    for cmd in commands:
        r.execute_command(*cmd)
    r.save()
    return (d / "dump.rdb").read_bytes()


@pytest.mark.parametrize("cmd, kind", [
    (("XADD", "bigstream", "*", *[x for i in range(200) for x in ("f%d" % i, "v%d" % i)]),
     "stream"),
    (("XADD", "mystream", "*", "f", "v"), "stream")])
def test_other_types_are_refused_by_name(filled, cmd, kind):
    proc, _, _, d = filled
    blob = redis_dump(proc, d, ("SET", "plain", "1"), cmd)
    for read in (parse, lambda b: kernel_load(d, b)):
        with pytest.raises(RdbError, match="key .%s. has type %s, which mako_numba does not "
                           "support" % (cmd[1], kind)):
            read(blob)


def test_redis_zero_checksum_is_accepted(tmp_path):
    proc = start_redis(tmp_path, "dump.rdb", "--rdbchecksum", "no")
    try:
        blob = redis_dump(proc, tmp_path, ("SET", "k", "v"))
    finally:
        proc.stop()
    assert blob.endswith(b"\xff" + b"\0" * 8)
    contents = parse(blob)
    assert contents.checksum == 0 and contents.records == [(0, b"k", b"v", -1)]


def test_redis_functions_refused_lru_data_accepted(filled):
    proc, _, _, d = filled
    r = client(proc)
    lib = "#!lua name=mylib\nredis.register_function('f', function(k, a) return 1 end)"
    try:
        blob = redis_dump(proc, d, ("FUNCTION", "LOAD", lib), ("SET", "k", "v"))
        with pytest.raises(RdbError, match="functions"):
            parse(blob)
    finally:
        r.execute_command("FUNCTION", "FLUSH")
    for policy in ("allkeys-lfu", "allkeys-lru"):
        try:
            r.config_set("maxmemory-policy", policy)
            blob = redis_dump(proc, d, ("SET", "k", "v"), ("PEXPIREAT", "k", FAR))
            assert bytes([0xF9 if policy.endswith("lfu") else 0xF8]) in blob
            assert parse(blob).records == [(0, b"k", b"v", FAR)]
            assert kernel_load(d, blob) == {(0, b"k"): (b"v", FAR)}
        finally:
            r.config_set("maxmemory-policy", "noeviction")


def test_redis_file_truncated_or_flipped(filled):
    _, data, blob, d = filled
    for n in [5, 9, 100, len(blob) // 2, len(blob) - 9, len(blob) - 1]:
        with pytest.raises(RdbError, match="truncated"):
            parse(blob[:n])
    big = next(v for v, _ in data.values() if len(v) == 1 << 20 and v[:4] != b"0123")
    bad = bytearray(blob)
    bad[blob.index(big) + 1000] ^= 0x20          # inside the raw 1 MB value
    with pytest.raises(RdbError, match="checksum mismatch"):
        parse(bytes(bad))
    with pytest.raises(RdbError, match="checksum mismatch"):
        kernel_load(d, bytes(bad))


def test_redis_loads_old_seconds_expiry(tmp_path):
    head = RdbWriter().header({"ctime": 0})
    blob = with_crc(head + b"\xfe\x03\xfd" + struct.pack("<i", 2000000000) + b"\x00\x01k\x01v")
    (tmp_path / "old.rdb").write_bytes(blob)
    proc = start_redis(tmp_path, "old.rdb")
    try:
        assert redis_contents(proc) == {(3, b"k"): (b"v", 2000000000000)} == as_data(
            parse(blob).records)
    finally:
        proc.stop()
