"""Connection limits over real sockets, side by side with a real Redis 7 started with the same options.

maxclients, proto-max-bulk-len, client-query-buffer-limit, timeout,
tcp-keepalive and client-output-buffer-limit (mako_numba/server/netlimits.py).
Each test runs the same bytes against both servers and compares what comes
back; waits are generous polls, never timed assertions.
"""
import re
import socket
import subprocess
import time

import pytest

from conftest import need_tool, start_pair
from test_server_raw import bulk, cmd, connect, expect, read_exact, roundtrip

MB = 1024 * 1024
OPTS = {"--timeout": "2", "--tcp-keepalive": "60", "--proto-max-bulk-len": str(2 * MB),
        "--client-query-buffer-limit": str(MB)}


def _args(opts):
    return [w for k, v in opts.items() for w in (k, v)]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(mako_numba, redis-server), both with OPTS."""
    m, r = start_pair(tmp_path_factory, *_args(OPTS))
    yield m, r
    m.stop()
    r.stop()


def both(pair, fn):
    """fn(server) for mako_numba and Redis; the two results must be equal."""
    got = [fn(s) for s in pair]
    assert got[0] == got[1], got
    return got[0]


def read_until_closed(s, limit=1 << 30, timeout=30.0):
    """Every byte until EOF (or a reset), polling for up to `timeout` seconds."""
    s.settimeout(timeout)
    out = bytearray()
    try:
        while len(out) < limit:
            chunk = s.recv(1 << 20)
            if not chunk:
                return bytes(out), True
            out += chunk
    except ConnectionResetError:
        return bytes(out), True
    except socket.timeout:
        return bytes(out), False
    return bytes(out), False


def config(s, *args):
    return roundtrip_any(s, cmd("CONFIG", *args))


def roundtrip_any(s, data):
    """Send, then read one reply of any length (simple, error, bulk or a short array)."""
    s.sendall(data)
    s.settimeout(10)
    buf = b""
    while True:
        buf += s.recv(65536)
        if _complete(buf):
            return buf


def _complete(buf):
    try:
        return _parse(buf, 0) == len(buf)
    except IndexError:
        return False


def _parse(b, i):
    end = b.index(b"\r\n", i)
    t, head = b[i:i + 1], b[i + 1:end]
    if t in b"+-:":
        return end + 2
    if t == b"$":
        n = int(head)
        if n < 0:
            return end + 2
        if len(b) < end + 4 + n:
            raise IndexError("incomplete bulk")
        return end + 4 + n
    j = end + 2
    for _ in range(int(head)):
        j = _parse(b, j)
    return j


# --- maxclients ------------------------------------------------------------------------
def test_maxclients_reply_and_close(tmp_path_factory):
    servers = start_pair(tmp_path_factory, "--maxclients", "1")
    try:
        def over(srv):
            with connect(srv) as first:
                roundtrip(first, b"PING\r\n", b"+PONG\r\n")
                with connect(srv) as second:
                    got, closed = read_until_closed(second, timeout=10)
                roundtrip(first, b"PING\r\n", b"+PONG\r\n")     # the first one is unaffected
            return got, closed
        got = both(servers, over)
        assert got == (b"-ERR max number of clients reached\r\n", True)
    finally:
        for s in servers:
            s.stop()


# --- request size limits -------------------------------------------------------------------
def test_proto_max_bulk_len(pair):
    def over(srv):
        with connect(srv) as s:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (2 * MB + 1))
            return read_until_closed(s, timeout=10)
    assert both(pair, over) == (b"-ERR Protocol error: invalid bulk length\r\n", True)

    def at_limit(srv):
        with connect(srv) as s:                  # exactly the limit is accepted (and fits the query buffer
            value = b"v" * (512 * 1024)          # limit only once read in pieces; a smaller one is stored)
            s.sendall(cmd(b"SET", b"k", value))
            expect(s, b"+OK\r\n")
            roundtrip(s, cmd("STRLEN", "k"), b":524288\r\n")
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (2 * MB))
            s.settimeout(0.5)
            try:
                return s.recv(100)
            except socket.timeout:
                return "waiting"
    assert both(pair, at_limit) == "waiting"


def test_client_query_buffer_limit(pair):
    """A 1.5 MB argument against a 1 MB query buffer: closed without a reply; others are served."""
    def over(srv):
        with connect(srv) as s:
            value = b"x" * (1536 * 1024)
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$%d\r\n" % len(value))
            try:
                for i in range(0, len(value), 100_000):
                    s.sendall(value[i:i + 100_000])
                s.sendall(b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            got = read_until_closed(s, timeout=10)
        with connect(srv) as other:         # (connected now: the servers run with --timeout 2)
            roundtrip(other, cmd("EXISTS", "q"), b":0\r\n")
        return got
    assert both(pair, over) == (b"", True)


def _send_and_wait(srv, data, chunk=None):
    """Send data (in chunks when given) and a PING; then (closed?, the replies' first 40 bytes,
    their length), read until the PONG or the close."""
    data += b"PING\r\n"
    with connect(srv) as s:
        try:
            for i in range(0, len(data), chunk or len(data)):
                s.sendall(data[i:i + (chunk or len(data))])
                if chunk:
                    time.sleep(0.005)
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(60)
        got, closed = b"", False
        try:
            while not got.endswith(b"+PONG\r\n"):
                more = s.recv(1 << 20)
                if not more:
                    closed = True
                    break
                got += more
        except ConnectionResetError:
            closed = True
        return closed, got[:40], len(got)


def test_query_buffer_limit_counts_the_unfinished_argument(pair):
    """Redis's query buffer drops each finished argument: a 1.5 MB MSET of small arguments and a
    1.5 MB transaction pass a 1 MB limit; one argument of the limit's size does not."""
    pairs = [w for i in range(60000) for w in (b"k%d" % i, b"v" * 8)]
    mset = cmd("MSET", *pairs)
    tx = cmd("MULTI") + b"".join(cmd("SET", "t%d" % i, "v" * 100) for i in range(12000)) + cmd("EXEC")
    near = cmd("SET", "a", b"x" * (MB - 100))
    at = cmd("SET", "a", b"y" * MB)
    assert len(mset) > 1.4 * MB and len(tx) > 1.4 * MB
    for data, chunk in ((mset, None), (mset, 64 * 1024), (tx, None), (near, None), (at, 100_000)):
        both(pair, lambda srv: _send_and_wait(srv, data, chunk))


def test_buffer_limits_config(pair):
    def run(srv):
        with connect(srv) as s:
            out = []
            for name in ("proto-max-bulk-len", "client-query-buffer-limit"):
                for v in ("512kb", "abc", "-1", "1.5mb", "3gb", "1048576", "2mb"):
                    out.append(config(s, "SET", name, v))
                    out.append(config(s, "GET", name))
            config(s, "SET", "proto-max-bulk-len", str(2 * MB), "client-query-buffer-limit", str(MB))
            return out
    both(pair, run)


# --- timeout ---------------------------------------------------------------------------------
def _closed_within(s, seconds):
    """Poll s for EOF for up to `seconds`; True once the server has closed it."""
    t = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t < seconds:
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            return True
        except socket.timeout:
            continue
        if data == b"":
            return True
    return False


def test_timeout_closes_idle_clients_only(pair):
    def run(srv):
        with connect(srv) as idle, connect(srv) as mon:
            roundtrip(idle, b"PING\r\n", b"+PONG\r\n")
            roundtrip(mon, b"MONITOR\r\n", b"+OK\r\n")
            idle_closed = _closed_within(idle, 30)      # timeout is 2 s; Redis closes after 3-4
            # the monitor, as idle as long, is still there and sees the next command
            with connect(srv) as other:
                roundtrip(other, cmd("ECHO", "still"), bulk(b"still"))
            seen = b""
            mon.settimeout(10)
            while b'"ECHO" "still"' not in seen:
                chunk = mon.recv(4096)
                if not chunk:
                    break
                seen += chunk
            # a client active more often than the timeout stays, however long it lives
            with connect(srv) as busy:
                for _ in range(20):
                    roundtrip(busy, b"PING\r\n", b"+PONG\r\n")
                    time.sleep(0.2)
            return idle_closed, b'"ECHO" "still"' in seen
    assert both(pair, run) == (True, True)


def test_timeout_config(pair):
    def run(srv):
        with connect(srv) as s:
            out = [config(s, "GET", "timeout"), config(s, "SET", "timeout", "-1"),
                   config(s, "SET", "timeout", "x")]
            return out
    got = both(pair, run)
    assert got[0] == b"*2\r\n$7\r\ntimeout\r\n$1\r\n2\r\n"


# --- tcp-keepalive -----------------------------------------------------------------------------
def _keepalive_timer(port, polls=20):
    """Seconds left on a keepalive timer of the server's side of our connections (ss), or None.

    While a reply is unacknowledged ss shows the retransmit timer instead, so it polls a little.
    """
    for _ in range(polls):
        out = subprocess.run(["ss", "-tno", "state", "established", "( sport = :%d )" % port],
                             capture_output=True, text=True).stdout
        m = re.search(r"timer:\(keepalive,(?:(\d+)min)?(\d+)(?:\.\d+)?sec", out)
        if m:
            return int(m.group(1) or 0) * 60 + int(m.group(2))
        time.sleep(0.1)
    return None


def test_tcp_keepalive(pair):
    need_tool("ss")

    def run(srv):
        with connect(srv) as s:
            roundtrip(s, b"PING\r\n", b"+PONG\r\n")
            first = _keepalive_timer(srv.port)
            got = [config(s, "GET", "tcp-keepalive"), config(s, "SET", "tcp-keepalive", "-1"),
                   config(s, "SET", "tcp-keepalive", "abc"), config(s, "SET", "tcp-keepalive", "0")]
            with connect(srv) as s2:            # a change applies to the next connections
                roundtrip(s2, b"PING\r\n", b"+PONG\r\n")
                off = _keepalive_timer(srv.port, polls=1)
            config(s, "SET", "tcp-keepalive", "60")
        return got, first is not None and 30 < first <= 60, off
    got, first_ok, off = both(pair, run)
    assert got[0] == b"*2\r\n$13\r\ntcp-keepalive\r\n$2\r\n60\r\n" and got[3] == b"+OK\r\n"
    assert first_ok
    assert off is None or off <= 60             # only the first connection's timer remains


# --- client-output-buffer-limit ------------------------------------------------------------------
def test_output_buffer_limit_config(pair):
    def run(srv):
        with connect(srv) as s:
            out = [config(s, "GET", "client-output-buffer-limit")]
            for v in ("normal 1mb 512kb", "foo 1 1 1", "normal x 1 1", "normal 1 1 -1",
                      "normal 1mb 512kb 10", "replica 1 2 3"):
                out.append(config(s, "SET", "client-output-buffer-limit", v))
            out.append(config(s, "GET", "client-output-buffer-limit"))
            config(s, "SET", "client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60")
            out.append(config(s, "GET", "client-output-buffer-limit"))
            return out
    got = both(pair, run)
    assert b"normal 1048576 524288 10 slave 1 2 3 pubsub 33554432 8388608 60" in got[-2]


def test_output_buffer_limit_option(tmp_path_factory):
    servers = start_pair(tmp_path_factory, "--client-output-buffer-limit", "normal 2mb 1mb 5")
    try:
        def get(srv):
            with connect(srv) as s:
                return config(s, "GET", "client-output-buffer-limit")
        assert b"normal 2097152 1048576 5 slave" in both(servers, get)
    finally:
        for s in servers:
            s.stop()


def test_output_buffer_hard_limit_disconnects_a_non_reader(pair):
    """Pipelined GETs of a 100 KB value, never read: closed once the hard limit is passed."""
    value = b"o" * 100_000
    n = 300                                      # 30 MB of replies

    def run(srv):
        with connect(srv) as s, connect(srv) as other:
            roundtrip(other, cmd(b"SET", b"big", value), b"+OK\r\n")
            config(other, "SET", "client-output-buffer-limit", "normal 1mb 512kb 10")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            try:
                s.sendall(cmd("GET", "big") * n)
            except (BrokenPipeError, ConnectionResetError):
                pass
            # the other client is served meanwhile; then the non-reader finds itself closed
            for i in range(10):
                roundtrip(other, cmd("ECHO", i), bulk(str(i).encode()))
            time.sleep(0.5)
            got, closed = read_until_closed(s, timeout=30)
            config(other, "SET", "client-output-buffer-limit", "normal 0 0 0")
            one = len(bulk(value))
            whole = len(got) // one
            return closed, len(got) < n * one, got[:whole * one] == bulk(value) * whole
    assert both(pair, run) == (True, True, True)
    m, _ = pair
    assert "scheduled to be closed ASAP for overcoming of output buffer limits." in m.log()


def test_output_buffer_soft_limit_closes_after_its_seconds(pair):
    """Over the soft limit (no hard one): still served at 1 s, closed once over it for 2 s
    (Redis counts whole seconds: between 2 and 3).

    Both servers look at the limits when a reply is added, so the non-reader
    keeps sending a GET every 0.25 s."""
    value = b"s" * 100_000

    def clients(srv):                           # a new connection: the pair's OPTS close idle ones
        with connect(srv) as c:
            return roundtrip_any(c, cmd("CLIENT", "LIST")).count(b"id=") - 1

    def run(srv):
        with connect(srv) as other:
            roundtrip(other, cmd(b"SET", b"big3", value), b"+OK\r\n")
            config(other, "SET", "client-output-buffer-limit", "normal 0 1mb 2")
        with connect(srv) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            s.sendall(cmd("GET", "big3") * 80)     # 8 MB of replies, never read: more than the
            seen = {}                               # kernel's socket buffers take
            t0 = time.monotonic()
            for i in range(1, 21):
                time.sleep(max(0.0, t0 + 0.25 * i - time.monotonic()))
                try:
                    s.sendall(cmd("GET", "big3"))
                except OSError:
                    pass
                if i in (4, 20):
                    seen[i] = clients(srv)
            got, closed = read_until_closed(s, timeout=30)
            with connect(srv) as c:
                config(c, "SET", "client-output-buffer-limit", "normal 0 0 0")
            return seen, closed, len(got) < 80 * len(bulk(value))
    assert both(pair, run) == ({4: 1, 20: 0}, True, True)


def test_output_buffer_unlimited_by_default_delivers_everything(pair):
    value = b"u" * 100_000
    n = 100

    def run(srv):
        with connect(srv) as s:
            roundtrip(s, cmd(b"SET", b"big2", value), b"+OK\r\n")
            s.sendall(cmd("GET", "big2") * n)
            time.sleep(0.5)                      # replies pile up before the first read
            return read_exact(s, n * len(bulk(value))) == bulk(value) * n
    assert both(pair, run) is True
