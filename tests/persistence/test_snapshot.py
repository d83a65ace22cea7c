"""Snapshots without sockets: a Core's key space written as RDB bytes and loaded into another.

The data set each test builds is also kept in a plain dict (the reference);
what comes back must equal it: keys, values, expire times, databases, also
while an incremental rehash is half done and after SWAPDB.
"""
import io
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from drive import roundtrip
from mako_numba.engine.core import Core
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.snapshots import save_file, write_rdb
from mako_numba.persistence.rdb import RdbError, RdbWriter, parse
from mako_numba.base.layout import T_LOGCAP, T_MIG
from mako_numba.store.index import migrate


def run_cmds(core, slot, cmds):
    data = b"".join(b"*%d\r\n" % len(c) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in c)
                    for c in cmds)
    out = roundtrip(core, slot, data)
    assert b"-" not in out[:1], out


def dump(core):
    """{(db, key): (value, expire_ms or -1)} of the RDB bytes a Core writes."""
    f = io.BytesIO()
    write_rdb(core, f)
    return {(db, k): (v, e) for db, k, v, e in parse(f.getvalue()).records}


def build(ops, databases=4, rehash_at=None):
    core = Core(maxclients=4, databases=databases, seed=7)
    ref = {}
    slot = core.open()
    later = int(time.time() * 1000) + 3_600_000
    for i, (db, key, value, ttl) in enumerate(ops):
        if rehash_at is not None and i == rehash_at:
            core.ks.start_rehash(core.ks.tm[0] + 1)
        cmds = [[b"SELECT", b"%d" % db], [b"SET", key, value]]
        if ttl:
            cmds.append([b"PEXPIREAT", key, b"%d" % (later + ttl)])
        run_cmds(core, slot, cmds)
        ref[(db, key)] = (value, later + ttl if ttl else -1)
    return core, ref


KEYS = st.binary(min_size=1, max_size=24)
VALUES = st.one_of(st.binary(max_size=80), st.integers(-2**40, 2**40).map(lambda n: b"%d" % n))
OPS = st.lists(st.tuples(st.integers(0, 3), KEYS, VALUES, st.integers(0, 5)), max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS, st.one_of(st.none(), st.integers(0, 60)))
def test_written_then_loaded_gives_the_same_data(ops, rehash_at):
    core, ref = build(ops, rehash_at=rehash_at)
    assert dump(core) == ref
    f = io.BytesIO()
    write_rdb(core, f)
    other = Core(maxclients=4, databases=4, seed=99)
    path = _tmpfile(f.getvalue())
    assert load_file(other, path)[0] == len(ref)
    assert dump(other) == ref


def test_a_rehash_in_progress_lists_each_key_once():
    ops = [(0, b"key%d" % i, b"v%d" % i, i % 3) for i in range(3000)]
    core, ref = build(ops, databases=1)
    ks = core.ks
    ks.start_rehash(int(ks.tm[T_LOGCAP]) + 1)
    migrate(ks.T, ks.oidx.shape[0] // 2)          # half the old index moved
    assert ks.tm[T_MIG] == 1
    assert dump(core) == ref


def test_swapdb_saves_logical_numbers():
    core, ref = build([(1, b"a", b"1", 0), (2, b"b", b"2", 0)])
    run_cmds(core, core.open(), [[b"SWAPDB", b"1", b"2"]])
    assert dump(core) == {(2, b"a"): (b"1", -1), (1, b"b"): (b"2", -1)}


def test_expired_keys_are_skipped_on_load(tmp_path):
    w = RdbWriter()
    past = int(time.time() * 1000) - 1000
    data = w.header() + w.select_db(0, 2, 1) + w.string(b"old", b"x", past) + \
        w.string(b"new", b"y") + w.footer()
    path = tmp_path / "d.rdb"
    path.write_bytes(data)
    core = Core(maxclients=4, seed=1)
    assert load_file(core, str(path)) == (1, 1)
    assert dump(core) == {(0, b"new"): (b"y", -1)}


@pytest.mark.parametrize("db, text", [(0, "duplicated key 'k' in database 0"),
                                      (20, "the file has database 20")])
def test_duplicates_and_missing_databases_are_refused(tmp_path, db, text):
    w = RdbWriter()
    data = w.header() + w.select_db(db, 2, 0) + w.string(b"k", b"1") + w.string(b"k", b"2") + w.footer()
    path = tmp_path / "d.rdb"
    path.write_bytes(data)
    with pytest.raises(RdbError, match=text):
        load_file(Core(maxclients=4, seed=1), str(path))


def test_save_file_replaces_the_target_whole(tmp_path):
    core, ref = build([(0, b"a", b"1", 0)])
    path = tmp_path / "dump.rdb"
    path.write_bytes(b"the previous snapshot")
    assert save_file(core, str(path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dump.rdb"]
    assert {(db, k): (v, e) for db, k, v, e in parse(path.read_bytes()).records} == ref


def _tmpfile(data, _n=[0]):
    import tempfile
    _n[0] += 1
    f = tempfile.NamedTemporaryFile(delete=False, suffix=".rdb")
    f.write(data)
    f.close()
    return f.name


def python_encoded(data):
    """The file RdbWriter writes record by record (the plain-Python path) for parsed contents."""
    w = RdbWriter()
    parts = [w.header(data.aux)]
    by_db = {}
    for db, k, v, e in data.records:
        by_db.setdefault(db, []).append((k, v, e))
    for db, recs in by_db.items():
        parts.append(w.select_db(db, len(recs), sum(1 for r in recs if r[2] >= 0)))
        parts += [w.string(k, v, e) for k, v, e in recs]
    parts.append(w.footer())
    return b"".join(parts)


LONG = st.one_of(st.binary(min_size=15, max_size=300),
                 st.builds(lambda a, n: a * n, st.binary(min_size=1, max_size=5), st.integers(5, 200)))
EDGE = st.sampled_from([b"0", b"-0", b"007", b"-1", b"127", b"128", b"-128", b"-129", b"32767",
                        b"32768", b"-32768", b"-32769", b"2147483647", b"2147483648",
                        b"-2147483648", b"-2147483649", b"12345678901", b"1.0", b" 1", b"+1", b""])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 3), st.one_of(KEYS, EDGE.filter(bool)),
                          st.one_of(VALUES, LONG, EDGE), st.integers(0, 5)), max_size=80))
def test_the_kernel_encodes_as_the_python_writer(ops):
    core, ref = build(ops)
    f = io.BytesIO()
    write_rdb(core, f)
    data = parse(f.getvalue())
    assert f.getvalue() == python_encoded(data)


def test_long_keys_and_values_of_one_batch_fit_the_encoder_s_arrays():
    """Keys count in the room the encoder takes (an incompressible key longer than every value
    of its batch once overran the scratch array LZF wrote into)."""
    import random
    rng = random.Random(3)
    ops = [(0, rng.randbytes(5000 + i), b"v", 0) for i in range(3)] + [
        (1, b"k", rng.randbytes(70000), 0), (1, b"x" * 40, b"y" * 100000, 1)]
    core, ref = build(ops)
    assert dump(core) == ref
