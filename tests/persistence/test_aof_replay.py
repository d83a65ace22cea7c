"""Any sequence of writes, logged to the append-only file and replayed, gives the same data set.

Sans-IO: a Core with appendonly on runs random commands (hypothesis); a
fresh Core loads the files it wrote; both key spaces, written out as RDB
records (keys, values, absolute expire times, databases), must be equal.
Also after a BGREWRITEAOF-style base swap (the log then continues).
MAKO_AOF_EXAMPLES sets the number of sequences (40 in CI).
"""
import io
import os

from hypothesis import HealthCheck, given, settings, strategies as st

from drive import roundtrip
from mako_numba.engine.core import Core
from mako_numba.persistence.snapshots import write_rdb
from mako_numba.persistence.rdb import parse

KEYS = [b"a", b"b", b"c", b"n", b"k:1"]
K = st.sampled_from(KEYS)
SMALL = st.integers(-5, 50).map(lambda n: b"%d" % n)
VAL = st.one_of(st.binary(max_size=12), SMALL)
FAR = 4_000_000_000_000          # an absolute time in ms, far ahead

COMMAND = st.one_of(
    st.tuples(st.just(b"SET"), K, VAL),
    st.tuples(st.just(b"SET"), K, VAL, st.sampled_from([b"EX", b"PX"]), st.integers(100, 10**6).map(b"%d".__mod__)),
    st.tuples(st.just(b"SET"), K, VAL, st.sampled_from([b"NX", b"XX", b"KEEPTTL", b"GET"])),
    st.tuples(st.just(b"SETEX"), K, st.integers(100, 10**5).map(b"%d".__mod__), VAL),
    st.tuples(st.just(b"DEL"), K, K),
    st.tuples(st.just(b"INCR"), K),
    st.tuples(st.just(b"INCRBY"), K, SMALL),
    st.tuples(st.just(b"INCRBYFLOAT"), K, st.sampled_from([b"1.5", b"-0.25", b"3"])),
    st.tuples(st.just(b"APPEND"), K, VAL),
    st.tuples(st.just(b"MSET"), K, VAL, K, VAL),
    st.tuples(st.just(b"EXPIRE"), K, st.integers(-5, 10**5).map(b"%d".__mod__)),
    st.tuples(st.just(b"PEXPIREAT"), K, st.just(b"%d" % FAR)),
    st.tuples(st.just(b"PERSIST"), K),
    st.tuples(st.just(b"GETEX"), K, st.sampled_from([b"PERSIST", b"EX"]), st.just(b"500")),
    st.tuples(st.just(b"GETDEL"), K),
    st.tuples(st.just(b"GETSET"), K, VAL),
    st.tuples(st.just(b"SETRANGE"), K, st.integers(0, 5).map(b"%d".__mod__), VAL),
    st.tuples(st.just(b"SETBIT"), K, st.integers(0, 20).map(b"%d".__mod__), st.sampled_from([b"0", b"1"])),
    st.tuples(st.just(b"RENAME"), K, K),
    st.tuples(st.just(b"COPY"), K, K, st.just(b"REPLACE")),
    st.tuples(st.just(b"MOVE"), K, st.sampled_from([b"1", b"2"])),
    st.tuples(st.just(b"SELECT"), st.sampled_from([b"0", b"1", b"2"])),
    st.tuples(st.just(b"SWAPDB"), st.sampled_from([b"0", b"1"]), st.sampled_from([b"1", b"2"])),
    st.tuples(st.just(b"FLUSHDB")),
    st.just((b"MULTI",)), st.just((b"EXEC",)),
)


def resp(cmd):
    return b"*%d\r\n" % len(cmd) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in cmd)


def data_set(core):
    f = io.BytesIO()
    write_rdb(core, f)
    return sorted((db, k, v, e) for db, k, v, e in parse(f.getvalue()).records)


def new_core(d):
    return Core(maxclients=8, databases=4, seed=5,
                settings={"dir": str(d), "appendonly": "yes", "appendfsync": "no"})


@settings(max_examples=int(os.environ.get("MAKO_AOF_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                              HealthCheck.function_scoped_fixture])
@given(st.lists(COMMAND, max_size=40), st.integers(0, 40))
def test_replay_gives_the_same_data_set(tmp_path_factory, cmds, rewrite_at):
    d = tmp_path_factory.mktemp("replay")
    core = new_core(d)
    core.aof.load()                                   # creates base, incr and manifest
    slot = core.open()
    for i, cmd in enumerate(cmds):
        if i == rewrite_at:
            pid = core.aof.bgrewrite() and core.aof.child[0]
            core.aof.reap(block=True)
            assert pid and core.aof.last_rewrite_ok
        roundtrip(core, slot, resp(cmd))
    roundtrip(core, slot, resp((b"EXEC",)))          # close a transaction left open (or an error)
    core.aof.flush()
    want = data_set(core)
    other = new_core(d)
    other.aof.load()
    assert data_set(other) == want
