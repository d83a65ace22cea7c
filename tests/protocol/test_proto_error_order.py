"""A protocol error after requests that had to wait: all of them run and are answered first.

Redis runs every request before a malformed one, answers each, then sends
the protocol error and closes (CLIENT_CLOSE_AFTER_REPLY).  Here a request
may be deferred (output room, an arena block, AOF buffer room, the batch's
soft output limit) and re-parsed next turn; the malformed request after it
must wait too, not close the connection early.  Every test sends the same
bytes to mako_numba and to a real Redis 7.0.15, reads everything until EOF
from both, compares, and checks with a second connection that the requests
before the bad one took effect.

Over sockets, reads split the bytes as the kernel likes, so a request that
waits and the malformed one after it are not always parsed in the same
batch.  The second half feeds the same bytes whole to a sans-IO Core (with
small buffers, chunks, queues, so that every kind of deferral happens in the
batch that meets the error) and compares its replies with Redis's.
"""
import socket
import time

import pytest

from conftest import start_pair, start_redis
from drive import cmd_bytes as cmd, roundtrip
from mako_numba.engine.core import Core

KIB = 1024
MIB = 1024 * KIB
TIMEOUT = 20.0

BAD = {     # a malformed request and Redis's reply to it
    "bulk": (b"*1\r\n$x\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    "multibulk": (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    "dollar": (b"*1\r\nx\r\n", b"-ERR Protocol error: expected '$', got 'x'\r\n"),
    "quotes": (b'SET "a"b c\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    "big_inline": (b"a" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
    "big_mbulk": (b"*" + b"1" * 70000, b"-ERR Protocol error: too big mbulk count string\r\n"),
    "big_bulk": (b"*1\r\n" + b"1" * 70000, b"-ERR Protocol error: too big bulk count string\r\n"),
}


def bulk(v):
    return b"$%d\r\n%s\r\n" % (len(v), v)


@pytest.fixture(scope="module")
def aof_pair(tmp_path_factory):
    m, r = start_pair(tmp_path_factory, "--appendonly", "yes", "--appendfsync", "no")
    yield m, r
    m.stop()
    r.stop()


def connect(srv):
    s = socket.create_connection((srv.host, srv.port), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def call(srv, data, n):
    """Send data on a fresh connection and read exactly n reply bytes."""
    with connect(srv) as s:
        s.sendall(data)
        buf = bytearray()
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            assert chunk, f"closed after {bytes(buf)!r}"
            buf += chunk
        return bytes(buf)


def until_eof(srv, data, pause=0.0):
    """Send data in one write, optionally wait before reading, then read everything until EOF."""
    with connect(srv) as s:
        s.sendall(data)
        if pause:
            time.sleep(pause)           # the client does not read meanwhile
        buf = bytearray()
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                chunk = s.recv(1 << 20)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
        else:
            raise AssertionError(f"no close after {len(buf)} bytes: {bytes(buf[-200:])!r}")
        return bytes(buf)


def set_value(srv, key, value):
    assert call(srv, cmd("SET", key, value), 5) == b"+OK\r\n"


def markers(srv):
    """GET m1, GET m2 on a second connection, after a DEL of both before the test."""
    return call(srv, cmd("MGET", "m1", "m2"), 4 + 2 * 7)


def reset(srv):
    assert call(srv, cmd("DEL", "m1", "m2"), 4) in (b":0\r\n", b":1\r\n", b":2\r\n")


def same_on_both(servers, data, want, pause=0.0):
    """The bytes until EOF equal `want` on Redis and mako_numba; m1 and m2 were set on both."""
    got = []
    for srv in servers:
        reset(srv)
        got.append(until_eof(srv, data, pause))
        assert markers(srv) == b"*2\r\n$1\r\n1\r\n$1\r\n1\r\n"
    mako, redis = got
    assert redis == want, "the reference Redis disagrees with the expected bytes"
    assert len(mako) == len(redis)
    assert mako == redis


def around(v, bad=b"*1\r\n$x\r\n"):
    """SET m1 1, the request v (bytes), SET m2 1, then the bad request, in one write."""
    return cmd("SET", "m1", "1") + v + cmd("SET", "m2", "1") + bad


# The replies: +OK, the GET's bulk of n bytes, +OK, the 42-byte error.  With n = 16322
# they fill the first 16 KiB output buffer exactly (5 + 16332 + 5 + 42 = 16384); one
# more byte and the error (with n = 16365 the last +OK, past it the GET) waits for room.
@pytest.mark.parametrize("n", [100, 16322, 16323, 16364, 16365, 16366, 20000,
                               64 * KIB, 64 * KIB + 1, MIB, 9 * MIB])
def test_pending_reply_sizes_then_bad_bulk_length(pair, n):
    value = bytes(range(256)) * (n // 256) + b"v" * (n % 256)
    for srv in pair:
        set_value(srv, "v", value)
    want = b"+OK\r\n" + bulk(value) + b"+OK\r\n" + BAD["bulk"][1]
    same_on_both(pair, around(cmd("GET", "v")), want)


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("n", [16365, MIB])
def test_every_error_kind_after_a_deferred_reply(pair, kind, n):
    value = b"x" * n
    for srv in pair:
        set_value(srv, "v", value)
    bad, err = BAD[kind]
    want = b"+OK\r\n" + bulk(value) + b"+OK\r\n" + err
    same_on_both(pair, around(cmd("GET", "v"), bad), want)


@pytest.mark.parametrize("kind", ["bulk", "quotes", "big_inline"])
def test_inline_requests_then_error(pair, kind):
    value = b"i" * 40000
    for srv in pair:
        set_value(srv, "v", value)
    bad, err = BAD[kind]
    data = b"SET m1 1\r\nGET v\r\nGET v\r\nSET m2 1\r\n" + bad
    want = b"+OK\r\n" + bulk(value) * 2 + b"+OK\r\n" + err
    same_on_both(pair, data, want)


def test_pipeline_past_the_batch_soft_output_limit(pair):
    value = b"p" * MIB
    for srv in pair:
        set_value(srv, "v", value)
    data = around(cmd("GET", "v") * 12 + cmd("ECHO", "e"), b'"open\r\n')
    want = b"+OK\r\n" + bulk(value) * 12 + bulk(b"e") + b"+OK\r\n" + BAD["quotes"][1]
    same_on_both(pair, data, want)


def test_many_small_replies_past_16k(pair):
    data = around(cmd("PING") * 5000 + cmd("ECHO", "z" * 3000) * 10, b"*1\r\n$-5\r\n")
    want = (b"+OK\r\n" + b"+PONG\r\n" * 5000 + bulk(b"z" * 3000) * 10 + b"+OK\r\n"
            + BAD["bulk"][1])
    same_on_both(pair, data, want)


@pytest.mark.parametrize("size", [2 * MIB, 9 * MIB])
def test_value_needing_its_own_arena_block(pair, size):
    """A value over 1 MiB waits for a one-block chunk of its own; the error waits with it."""
    value = b"a" * size
    want = b"+OK\r\n+OK\r\n+OK\r\n" + BAD["multibulk"][1]
    same_on_both(pair, around(cmd("SET", "big", value), BAD["multibulk"][0]), want)
    for srv in pair:
        assert call(srv, cmd("STRLEN", "big"), len(b":%d\r\n" % size)) == b":%d\r\n" % size


def test_many_arguments_then_error(pair):
    keys = ["k%d" % i for i in range(70000)]
    want = b"+OK\r\n:0\r\n+OK\r\n" + BAD["dollar"][1]
    same_on_both(pair, around(cmd("DEL", *keys), BAD["dollar"][0]), want)


@pytest.mark.parametrize("size,count", [(3 * MIB, 1), (600 * KIB, 3)])
def test_aof_buffer_room_then_error(aof_pair, size, count):
    """Writes whose log does not fit the AOF buffer wait for room; the error waits with them."""
    value = b"f" * size
    sets = b"".join(cmd("SET", "big%d" % i, value) for i in range(count))
    want = b"+OK\r\n" * (count + 2) + BAD["bulk"][1]
    same_on_both(aof_pair, around(sets), want)


@pytest.mark.parametrize("n", [16365, 9 * MIB])
def test_client_reading_late_gets_everything_then_the_close(pair, n):
    """The client reads only after a while: replies, error, then EOF, nothing dropped."""
    value = b"r" * n
    for srv in pair:
        set_value(srv, "v", value)
    want = b"+OK\r\n" + bulk(value) + b"+OK\r\n" + BAD["bulk"][1]
    same_on_both(pair, around(cmd("GET", "v")), want, pause=1.0)


# --- the same bytes in one piece to a sans-IO Core --------------------------------------------
@pytest.fixture(scope="module")
def redis_only(tmp_path_factory):
    r = start_redis(tmp_path_factory)
    yield r
    r.stop()


def core_until_close(core, data, read=True):
    """Feed data whole, run until nothing is left, collect the replies (read: as they come)."""
    s = core.open()
    core.feed(s, data)
    out = bytearray()
    again = [s]
    while again:
        again = core.run(again)
        if read:
            view = core.output(s)
            out += view
            core.sent(s, len(view))
    out += core.output(s)
    assert core.closing(s) == "after"
    t = core.open()
    assert roundtrip(core, t, cmd("MGET", "m1", "m2")) == b"*2\r\n$1\r\n1\r\n$1\r\n1\r\n"
    return bytes(out)


def redis_until_eof(redis, data):
    assert call(redis, cmd("FLUSHALL"), 5) == b"+OK\r\n"
    got = until_eof(redis, data)
    assert markers(redis) == b"*2\r\n$1\r\n1\r\n$1\r\n1\r\n"
    return got


def _keys(n, size):
    return b"".join(cmd("SET", "k%d" % i, b"v" * size) for i in range(n))


# why the request before the error waits: (Core options, the requests, their replies)
WAITS = {
    "output": ({}, cmd("ECHO", b"e" * 16365), bulk(b"e" * 16365)),
    "output_grown_twice": ({"out_buf": 64}, cmd("ECHO", b"e" * 300) * 3, bulk(b"e" * 300) * 3),
    "soft_limit": ({"out_batch_soft_limit": 100_000}, cmd("ECHO", b"s" * 60_000) * 5,
                   bulk(b"s" * 60_000) * 5),
    "arena_chunk": ({"chunk_size": 4096, "large_block": 1024}, _keys(8, 900), b"+OK\r\n" * 8),
    "arena_large": ({"chunk_size": 4096, "large_block": 1024}, cmd("SET", "big", b"b" * 100_000),
                    b"+OK\r\n"),
    "index": ({"table_logcap": 2}, _keys(40, 1), b"+OK\r\n" * 40),
    "arg_rows": ({"args_size": 16}, cmd("DEL", *["d%d" % i for i in range(40)]), b":0\r\n"),
    "queue": ({"queue_size": 4}, cmd("PING") * 9, b"+PONG\r\n" * 9),
    "scratch": ({"scratch_size": 64}, (b'ECHO "q\\x41' + b"q" * 30 + b'"\r\n') * 3,
                bulk(b"qA" + b"q" * 30) * 3),
}


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("wait", sorted(WAITS))
def test_core_error_after_a_waiting_request(redis_only, wait, kind):
    opts, reqs, replies = WAITS[wait]
    bad, err = BAD[kind]
    data = around(reqs, bad)
    want = b"+OK\r\n" + replies + b"+OK\r\n" + err
    assert redis_until_eof(redis_only, data) == want
    assert core_until_close(Core(maxclients=4, seed=1, **opts), data) == want


@pytest.mark.parametrize("wait", ["output", "soft_limit", "arena_large"])
def test_core_error_after_a_waiting_request_unread(redis_only, wait):
    """Nothing is sent until the end: the replies pile up in order, the error last."""
    opts, reqs, replies = WAITS[wait]
    data = around(reqs, BAD["quotes"][0])
    want = b"+OK\r\n" + replies + b"+OK\r\n" + BAD["quotes"][1]
    assert redis_until_eof(redis_only, data) == want
    assert core_until_close(Core(maxclients=4, seed=1, **opts), data, read=False) == want


@pytest.mark.parametrize("size,count", [(2 * MIB, 1), (600 * KIB, 3)])
def test_core_error_after_aof_buffer_room(redis_only, tmp_path, size, count):
    sets = b"".join(cmd("SET", "big%d" % i, b"f" * size) for i in range(count))
    data = around(sets, BAD["dollar"][0])
    want = b"+OK\r\n" * (count + 2) + BAD["dollar"][1]
    assert redis_until_eof(redis_only, data) == want
    core = Core(maxclients=4, seed=1,
                settings={"dir": str(tmp_path), "appendonly": "yes", "appendfsync": "no"})
    core.aof.load()
    assert core_until_close(core, data) == want
    core.aof.flush()
