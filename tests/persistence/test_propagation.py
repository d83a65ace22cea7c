"""The propagation stream: the exact effects a consumer sees, with no AOF and beside it.

Sans-IO: a Core with a test consumer attached (store/propagation.py) runs
requests; the bytes handed to the consumer must be Redis 7.0's propagated
forms (SET ... PXAT, PEXPIREAT, DEL for GETDEL and for keys that expired or
were evicted, SELECT when the database changes, MULTI ... EXEC around a
transaction), nothing for a write that changed nothing, and the same bytes
the AOF writes when both are attached.  Replayed into a real redis-server,
the consumer's bytes must give the Core's data set.
"""
import os
import time

import pytest
import redis
from hypothesis import HealthCheck, given, settings, strategies as st

from drive import cmd_bytes, contents, roundtrip
from mako_numba.base.layout import T_PROP_ADDR
from mako_numba.engine.core import Core
from mako_numba.store.expire import active_expire
from test_aof_replay import COMMAND, data_set, resp


class Consumer:
    """Collects what the stream hands it, and how many times it was fed."""

    def __init__(self):
        self.data = bytearray()
        self.feeds = 0

    def feed(self, view):
        self.data += view
        self.feeds += 1


def parse_stream(data):
    """The stream's bytes as a list of commands (lists of bytes); every byte must be used."""
    cmds, pos = [], 0
    while pos < len(data):
        assert data[pos:pos + 1] == b"*", data[pos:]
        end = data.index(b"\r\n", pos)
        n, pos = int(data[pos + 1:end]), end + 2
        words = []
        for _ in range(n):
            assert data[pos:pos + 1] == b"$"
            end = data.index(b"\r\n", pos)
            ln, pos = int(data[pos + 1:end]), end + 2
            words.append(bytes(data[pos:pos + ln]))
            assert data[pos + ln:pos + ln + 2] == b"\r\n"
            pos += ln + 2
        cmds.append(words)
    return cmds


@pytest.fixture
def streamed(core):
    """(core, slot, consumer): a Core with no AOF and a test consumer attached."""
    consumer = Consumer()
    core.propagation.attach(consumer)
    return core, core.open(), consumer


def run(core, slot, *cmds):
    return roundtrip(core, slot, b"".join(cmd_bytes(*c) for c in cmds))


def take(consumer):
    """The commands fed since the last take."""
    cmds = parse_stream(bytes(consumer.data))
    consumer.data.clear()
    return cmds


def near(when, secs):
    """An absolute ms time `secs` from now, as propagated (within 5 s of the clock)."""
    return abs(int(when) - (time.time() + secs) * 1000) < 5000


def test_no_consumer_no_stream(core):
    slot = core.open()
    assert not core.propagation.on() and core.ks.tm[T_PROP_ADDR] == 0
    run(core, slot, ("SET", "a", "1"), ("INCR", "n"))
    assert core.propagation.pending() == 0
    consumer = Consumer()
    core.propagation.attach(consumer)
    assert core.ks.tm[T_PROP_ADDR] != 0
    run(core, slot, ("SET", "a", "2"))
    assert take(consumer) == [[b"SELECT", b"0"], [b"SET", b"a", b"2"]]
    core.propagation.detach(consumer)
    assert core.ks.tm[T_PROP_ADDR] == 0
    run(core, slot, ("SET", "a", "3"))
    assert consumer.data == b"" and core.propagation.pending() == 0


def test_writes_take_their_propagated_forms(streamed):
    core, slot, c = streamed
    run(core, slot, ("SET", "a", "1"), ("SET", "b", "2", "EX", "100"), ("SETEX", "c", "100", "v"),
        ("PSETEX", "d", "100000", "w"), ("EXPIRE", "a", "200"), ("GETDEL", "c"), ("GETSET", "a", "x"),
        ("GETEX", "b", "PERSIST"), ("GETEX", "d", "EX", "300"), ("INCR", "n"), ("MSET", "e", "1", "f", "2"),
        ("EXPIRE", "e", "-1"), ("APPEND", "f", "z"))
    got = take(c)
    times = {i: got[i].pop() for i in (2, 3, 4, 5, 9) if i < len(got)}
    assert got == [
        [b"SELECT", b"0"], [b"SET", b"a", b"1"],
        [b"SET", b"b", b"2", b"PXAT"], [b"SET", b"c", b"v", b"PXAT"], [b"SET", b"d", b"w", b"PXAT"],
        [b"PEXPIREAT", b"a"], [b"DEL", b"c"], [b"SET", b"a", b"x"], [b"PERSIST", b"b"],
        [b"PEXPIREAT", b"d"], [b"INCR", b"n"], [b"MSET", b"e", b"1", b"f", b"2"], [b"DEL", b"e"],
        [b"APPEND", b"f", b"z"],
    ]
    assert near(times[2], 100) and near(times[3], 100) and near(times[4], 100)
    assert near(times[5], 200) and near(times[9], 300)


def test_failed_and_no_op_writes_propagate_nothing(streamed):
    core, slot, c = streamed
    run(core, slot, ("SET", "a", "1"), ("SET", "s", "text"))
    take(c)
    run(core, slot, ("SET", "a", "2", "NX"), ("SET", "zz", "2", "XX"), ("DEL", "missing"),
        ("EXPIRE", "missing", "10"), ("PERSIST", "a"), ("GETDEL", "missing"), ("INCR", "s"),
        ("GET", "a"), ("GETEX", "a"), ("SET", "a"), ("SETNX", "a", "3"), ("MSETNX", "a", "1", "q", "2"),
        ("INCRBYFLOAT", "s", "1"), ("FOO", "bar"), ("EXISTS", "a"), ("TTL", "a"))
    assert c.data == b""
    run(core, slot, ("FLUSHDB",))            # Redis propagates FLUSHDB even on an empty database
    run(core, slot, ("FLUSHDB",))
    assert take(c) == [[b"FLUSHDB"], [b"FLUSHDB"]]


def test_select_goes_in_when_the_database_changes(streamed):
    core, slot, c = streamed
    other = core.open()
    run(core, slot, ("SELECT", "3"), ("SET", "x", "1"), ("SET", "y", "1"))
    run(core, other, ("SET", "z", "1"))
    run(core, slot, ("SELECT", "0"), ("SET", "w", "1"), ("SELECT", "5"), ("GET", "x"))
    assert take(c) == [[b"SELECT", b"3"], [b"SET", b"x", b"1"], [b"SET", b"y", b"1"],
                       [b"SELECT", b"0"], [b"SET", b"z", b"1"], [b"SET", b"w", b"1"]]
    run(core, slot, ("FLUSHALL",))           # a slow-path write: in the client's database
    assert take(c) == [[b"SELECT", b"5"], [b"FLUSHALL"]]


def test_a_transaction_is_wrapped_in_multi_exec(streamed):
    core, slot, c = streamed
    run(core, slot, ("SET", "n", "1"))
    take(c)
    run(core, slot, ("MULTI",), ("SET", "a", "1"), ("INCR", "n"), ("SELECT", "2"),
        ("INCRBYFLOAT", "f", "1.5"), ("GET", "a"), ("EXEC",))
    assert take(c) == [[b"MULTI"], [b"SET", b"a", b"1"], [b"INCR", b"n"], [b"SELECT", b"2"],
                       [b"SET", b"f", b"1.5", b"KEEPTTL"], [b"EXEC"]]
    run(core, slot, ("MULTI",), ("GET", "a"), ("SET", "f", "1", "NX"), ("EXEC",))
    run(core, slot, ("MULTI",), ("SET", "a", "1"), ("DISCARD",))
    assert c.data == b""                     # no effect: no MULTI, no EXEC


def test_lazy_and_active_expiry_propagate_del(streamed):
    core, slot, c = streamed
    run(core, slot, ("SET", "lazy", "v", "PX", "30"), ("SET", "active", "v", "PX", "30"),
        ("SET", "keep", "v"))
    assert [cmd[:3] for cmd in take(c)] == [[b"SELECT", b"0"], [b"SET", b"lazy", b"v"],
                                           [b"SET", b"active", b"v"], [b"SET", b"keep", b"v"]]
    time.sleep(0.1)
    assert run(core, slot, ("GET", "lazy")) == b"$-1\r\n"
    assert take(c) == [[b"DEL", b"lazy"]]
    assert active_expire(core.ks.T, core.lim, int(time.time() * 1000), 1 << 16) == 1
    core.propagation.drain_due()
    assert take(c) == [[b"DEL", b"active"]]
    run(core, slot, ("SELECT", "1"), ("SET", "t", "v", "PX", "30"))
    take(c)
    time.sleep(0.1)
    run(core, slot, ("SELECT", "0"), ("EXISTS", "t"), ("SELECT", "1"), ("EXISTS", "t"))
    assert take(c) == [[b"DEL", b"t"]]       # in database 1, where the stream already is


def test_eviction_propagates_del(streamed):
    core, slot, c = streamed
    run(core, slot, ("SELECT", "2"), *[("SET", "k%d" % i, "v") for i in range(20)])
    take(c)
    assert b"-OOM" in run(core, slot, ("CONFIG", "SET", "maxmemory-policy", "allkeys-random"),
                          ("CONFIG", "SET", "maxmemory", "1"), ("SET", "new", "v"))
    run(core, slot, ("CONFIG", "SET", "maxmemory", "0"))
    assert sorted(take(c)) == sorted([b"DEL", b"k%d" % i] for i in range(20))   # in database 2 still
    assert run(core, slot, ("DBSIZE",)) == b":0\r\n"


def test_room_deferral_grows_and_drains_the_stream(streamed):
    core, slot, c = streamed
    big = b"x" * (3 << 20)                   # more than the stream's first buffer
    run(core, slot, ("SET", "big", big))
    assert take(c) == [[b"SELECT", b"0"], [b"SET", b"big", big]]
    many = [("SET", "k%d" % i, "v" * 300) for i in range(20000)]      # one pipeline, ~7 MB of effects
    run(core, slot, *many)
    assert take(c) == [[b"SET", b"k%d" % i, b"v" * 300] for i in range(20000)]


def test_aof_and_a_consumer_see_the_same_bytes(tmp_path):
    core = Core(maxclients=8, databases=4, seed=5,
                settings={"dir": str(tmp_path), "appendonly": "yes", "appendfsync": "no"})
    core.aof.load()
    c = Consumer()
    core.propagation.attach(c)
    slot = core.open()
    run(core, slot, ("SET", "a", "1", "EX", "100"), ("SELECT", "1"), ("INCR", "n"), ("MULTI",),
        ("GETDEL", "n"), ("INCRBYFLOAT", "f", "2"), ("EXEC",), ("SET", "e", "v", "PX", "20"))
    time.sleep(0.05)
    run(core, slot, ("GET", "e"), ("FLUSHDB",))
    core.aof.flush()
    incr = (tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes()
    assert incr == bytes(c.data) and len(incr) > 100
    assert [b"DEL", b"e"] in parse_stream(incr)
    core.aof.stop()                          # the AOF leaves; the consumer still gets effects
    assert core.propagation.on()
    run(core, slot, ("SET", "b", "2"))
    assert parse_stream(bytes(c.data))[-1] == [b"SET", b"b", b"2"]
    assert (tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes() == incr


# no PX of a few ms: a key could expire between reading one data set and the other
SLOW_TTL = COMMAND.map(lambda cmd: tuple(b"EX" if a == b"PX" else a for a in cmd))


def _as_contents(core):
    """The Core's data set as drive.contents gives a server's: {(db, key): [value, pexpiretime]}."""
    got = {}
    for db, key, value, expire in data_set(core):
        got[(db, key)] = [value if isinstance(value, bytes) else b"%d" % value, expire or -1]
    return got


def _replay(r, data):
    """Run the stream's commands on one connection of a real Redis."""
    for cmd in parse_stream(data):
        r.execute_command(*cmd)


@settings(max_examples=int(os.environ.get("MAKO_PROP_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(SLOW_TTL, max_size=40))
def test_redis_replaying_the_stream_holds_the_same_data_set(redis_ref, cmds):
    core = Core(maxclients=8, databases=4, seed=5)
    c = Consumer()
    core.propagation.attach(c)
    slot = core.open()
    for cmd in cmds:
        roundtrip(core, slot, resp(cmd))
    roundtrip(core, slot, resp((b"EXEC",)))          # close a transaction left open (or an error)
    r = redis.Redis(port=redis_ref.port, single_connection_client=True)
    try:
        r.flushall()
        _replay(r, bytes(c.data))
        assert contents(redis_ref.port) == _as_contents(core)
    finally:
        r.close()
