"""Raw bytes over real sockets to a running mako_numba server; exact reply bytes.

The server is the real thing (`python -m mako_numba --port 0`, the `mako`
fixture).  Every expected byte string below is what Redis 7.0.15 sends for
the same input (see /tmp/research/errors.md), except the seed line format
(`set:key:value\\n`), which is a mako extension answered in RESP.
"""
import os
import socket
import threading
import time

import pytest

from drive import cmd_bytes as cmd, raw

TIMEOUT = 10.0


def connect(mako):
    s = socket.create_connection((mako.host, mako.port), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_exact(s, n):
    """Exactly n bytes (fails if the server closes first)."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = s.recv_into(view[got:], n - got)
        if k == 0:
            raise AssertionError(f"server closed after {got} of {n} bytes: {bytes(buf[:got])[-200:]!r}")
        got += k
    return bytes(buf)


def expect(s, want):
    got = read_exact(s, len(want))
    assert got == want
    return got


def assert_closed(s, timeout=5.0):
    """The server closes: recv gives EOF (or a reset) with no further bytes."""
    s.settimeout(timeout)
    try:
        extra = s.recv(65536)
    except ConnectionResetError:
        return
    assert extra == b"", f"expected a close, got more bytes: {extra[:200]!r}"


def assert_quiet(s, wait=0.3):
    """No bytes and no close within `wait` seconds: the server is waiting."""
    s.settimeout(wait)
    try:
        data = s.recv(65536)
    except socket.timeout:
        return
    raise AssertionError(f"expected silence, got {data[:200]!r} (b'' = closed)")


def bulk(v):
    return b"$%d\r\n%s\r\n" % (len(v), v)


def roundtrip(s, data, want):
    s.sendall(data)
    return expect(s, want)


def ping_ok(mako):
    with connect(mako) as s:
        roundtrip(s, b"PING\r\n", b"+PONG\r\n")


@pytest.fixture
def c(mako):
    s = connect(mako)
    yield s
    s.close()


# --- basic commands -----------------------------------------------------------------------
def test_set_get_del_exists_dbsize(c):
    roundtrip(c, cmd("SELECT", "5"), b"+OK\r\n")
    roundtrip(c, cmd("FLUSHDB"), b"+OK\r\n")
    roundtrip(c, cmd("DBSIZE"), b":0\r\n")
    roundtrip(c, cmd("GET", "a"), b"$-1\r\n")
    roundtrip(c, cmd("SET", "a", "hello"), b"+OK\r\n")
    roundtrip(c, cmd("GET", "a"), b"$5\r\nhello\r\n")
    roundtrip(c, cmd("SET", "a", "a much longer value than before" * 10), b"+OK\r\n")
    roundtrip(c, cmd("GET", "a"), bulk(b"a much longer value than before" * 10))
    roundtrip(c, cmd("SET", "b", ""), b"+OK\r\n")
    roundtrip(c, cmd("GET", "b"), b"$0\r\n\r\n")
    roundtrip(c, cmd("EXISTS", "a", "b", "c", "a"), b":3\r\n")
    roundtrip(c, cmd("DBSIZE"), b":2\r\n")
    roundtrip(c, cmd("DEL", "a", "c", "a"), b":1\r\n")
    roundtrip(c, cmd("EXISTS", "a"), b":0\r\n")
    roundtrip(c, cmd("GET", "a"), b"$-1\r\n")
    roundtrip(c, cmd("DBSIZE"), b":1\r\n")
    roundtrip(c, cmd("DEL", "b"), b":1\r\n")
    roundtrip(c, cmd("DBSIZE"), b":0\r\n")
    roundtrip(c, cmd("SELECT", "0"), b"+OK\r\n")


def test_ping_echo(c):
    roundtrip(c, b"PING\r\n", b"+PONG\r\n")
    roundtrip(c, cmd("PING"), b"+PONG\r\n")
    roundtrip(c, cmd("ping", "hi there"), b"$8\r\nhi there\r\n")
    roundtrip(c, cmd("ECHO", ""), b"$0\r\n\r\n")
    roundtrip(c, cmd("echo", "x\r\ny"), b"$4\r\nx\r\ny\r\n")
    roundtrip(c, b"ECHO hello\n", b"$5\r\nhello\r\n")


def test_quit_replies_ok_and_closes(c):
    c.sendall(b"QUIT\r\n")
    expect(c, b"+OK\r\n")
    assert_closed(c)


def test_quit_in_pipeline_drops_the_rest(c):
    c.sendall(cmd("PING") + cmd("QUIT") + cmd("PING") + cmd("SET", "after-quit", "1"))
    expect(c, b"+PONG\r\n+OK\r\n")
    assert_closed(c)
    with connect_like(c) as s:
        roundtrip(s, cmd("EXISTS", "after-quit"), b":0\r\n")


def connect_like(sock):
    host, port = sock.getpeername()[:2]
    return socket.create_connection((host, port), timeout=TIMEOUT)


def test_unknown_command_and_arity(c):
    roundtrip(c, cmd("FOO"), b"-ERR unknown command 'FOO', with args beginning with: \r\n")
    roundtrip(c, cmd("nosuch", "a", "b c"),
              b"-ERR unknown command 'nosuch', with args beginning with: 'a' 'b c' \r\n")
    roundtrip(c, b"fOo 1 2 3\r\n", b"-ERR unknown command 'fOo', with args beginning with: '1' '2' '3' \r\n")
    roundtrip(c, cmd("GET"), b"-ERR wrong number of arguments for 'get' command\r\n")
    roundtrip(c, cmd("GET", "a", "b"), b"-ERR wrong number of arguments for 'get' command\r\n")
    roundtrip(c, cmd("Set", "a"), b"-ERR wrong number of arguments for 'set' command\r\n")
    roundtrip(c, cmd("ECHO"), b"-ERR wrong number of arguments for 'echo' command\r\n")
    roundtrip(c, cmd("DEL"), b"-ERR wrong number of arguments for 'del' command\r\n")
    roundtrip(c, cmd("EXISTS"), b"-ERR wrong number of arguments for 'exists' command\r\n")
    roundtrip(c, cmd("DBSIZE", "x"), b"-ERR wrong number of arguments for 'dbsize' command\r\n")
    roundtrip(c, cmd("PING", "a", "b"), b"-ERR wrong number of arguments for 'ping' command\r\n")
    roundtrip(c, cmd("SET", "k", "v", "FOO"), b"-ERR syntax error\r\n")
    # errors do not close the connection
    roundtrip(c, cmd("PING"), b"+PONG\r\n")


# --- pipelining ----------------------------------------------------------------------------
def _pipeline(n=1000):
    """n mixed requests (RESP and inline) and the exact replies, in order."""
    req = bytearray()
    rep = bytearray()
    model = {}
    for i in range(n):
        k = b"pipe:%d" % (i % 97)
        kind = i % 8
        if kind == 0:
            v = b"value-%d" % i
            req += cmd(b"SET", k, v)
            rep += b"+OK\r\n"
            model[k] = v
        elif kind == 1:
            req += cmd(b"GET", k)
            rep += bulk(model[k]) if k in model else b"$-1\r\n"
        elif kind == 2:
            req += b"GET " + k + b"\r\n"
            rep += bulk(model[k]) if k in model else b"$-1\r\n"
        elif kind == 3:
            req += b"PING\r\n"
            rep += b"+PONG\r\n"
        elif kind == 4:
            req += cmd(b"ECHO", b"e%d" % i)
            rep += bulk(b"e%d" % i)
        elif kind == 5:
            k2 = b"pipe:%d" % ((i + 1) % 97)
            req += cmd(b"EXISTS", k, k2)
            rep += b":%d\r\n" % ((k in model) + (k2 in model))
        elif kind == 6:
            req += b"SET " + k + b" inline-" + b"%d" % i + b"\r\n"
            rep += b"+OK\r\n"
            model[k] = b"inline-%d" % i
        else:
            if i % 24 == 7:
                req += cmd(b"DEL", k)
                rep += b":%d\r\n" % (k in model)
                model.pop(k, None)
            else:
                req += cmd(b"GET", k)
                rep += bulk(model[k]) if k in model else b"$-1\r\n"
    return bytes(req), bytes(rep), model


def _flush(s):
    roundtrip(s, cmd("FLUSHALL"), b"+OK\r\n")


def test_pipeline_1000_in_one_send(c):
    _flush(c)
    req, rep, model = _pipeline()
    c.sendall(req)
    expect(c, rep)
    roundtrip(c, cmd("DBSIZE"), b":%d\r\n" % len(model))
    assert_quiet(c, 0.1)


def test_pipeline_1000_one_byte_sends(c):
    _flush(c)
    req, rep, model = _pipeline()
    got = bytearray()

    def reader():
        try:
            got.extend(read_exact(c, len(rep)))
        except Exception as e:  # reported by the assertion below
            got.extend(repr(e).encode())

    t = threading.Thread(target=reader)
    t.start()
    for i in range(len(req)):
        c.send(req[i:i + 1])
    t.join(60)
    assert not t.is_alive(), "replies did not arrive"
    assert bytes(got) == rep
    roundtrip(c, cmd("DBSIZE"), b":%d\r\n" % len(model))


def test_pipeline_split_everywhere(mako):
    """A short pipeline cut at every position into two sends gives the same replies."""
    req = (cmd("SET", "split", "v:1") + b"GET split\r\n" + b"set:split2:x:y\n" + cmd("GET", "split2")
           + b'ECHO "a b"\r\n' + b"*0\r\n" + b"\r\n" + cmd("DEL", "split", "split2"))
    rep = b"+OK\r\n$3\r\nv:1\r\n+OK\r\n$3\r\nx:y\r\n$3\r\na b\r\n:2\r\n"
    for cut in range(1, len(req)):
        with connect(mako) as s:
            s.sendall(req[:cut])
            time.sleep(0.002)
            s.sendall(req[cut:])
            expect(s, rep)


# --- inline and seed lines ------------------------------------------------------------------
def test_inline_quotes_and_escapes(c):
    roundtrip(c, b'SET "inline key" \'single quoted\'\r\n', b"+OK\r\n")
    roundtrip(c, b'GET "inline key"\r\n', b"$13\r\nsingle quoted\r\n")
    roundtrip(c, b"SET \"a\\x41\" \"b c\"\r\nGET aA\r\n", b"+OK\r\n$3\r\nb c\r\n")
    roundtrip(c, b'ECHO "\\n\\r\\t\\b\\a\\\\\\"\\x00\\xff"\r\n', b"$9\r\n\n\r\t\x08\x07\\\"\x00\xff\r\n")
    roundtrip(c, b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n")
    roundtrip(c, b"ECHO 'no \\n escape'\r\n", b"$12\r\nno \\n escape\r\n")
    roundtrip(c, b'ECHO ""\r\n', b"$0\r\n\r\n")
    roundtrip(c, b"   ECHO    spaced\t \r\n", b"$6\r\nspaced\r\n")
    roundtrip(c, b"\r\n\n \r\nPING\n", b"+PONG\r\n")
    roundtrip(c, b"DEL \"inline key\" aA\r\n", b":2\r\n")


def test_seed_lines(c):
    _flush(c)
    roundtrip(c, b"set:key:value\n", b"+OK\r\n")
    roundtrip(c, b"get:key:\n", b"$5\r\nvalue\r\n")
    roundtrip(c, b"get:key\n", b"$5\r\nvalue\r\n")
    roundtrip(c, cmd("GET", "key"), b"$5\r\nvalue\r\n")
    # values may hold ':' freely; the key ends at the first unescaped ':'
    roundtrip(c, b"set:url:http://example.com:8080/a:b\n", b"+OK\r\n")
    roundtrip(c, cmd("GET", "url"), bulk(b"http://example.com:8080/a:b"))
    roundtrip(c, b"get:url:\n", bulk(b"http://example.com:8080/a:b"))
    # '\:' and '\\' in a key
    roundtrip(c, b"set:a\\:b:v1\n", b"+OK\r\n")
    roundtrip(c, cmd("GET", "a:b"), b"$2\r\nv1\r\n")
    roundtrip(c, b"get:a\\:b:\n", b"$2\r\nv1\r\n")
    roundtrip(c, b"set:back\\\\slash:v2\n", b"+OK\r\n")
    roundtrip(c, cmd("GET", "back\\slash"), b"$2\r\nv2\r\n")
    roundtrip(c, b"set:x\\:y\\:z:1:2:3\n", b"+OK\r\n")
    roundtrip(c, cmd("GET", "x:y:z"), b"$5\r\n1:2:3\r\n")
    # any case, CRLF accepted, empty value, missing key, value kept verbatim
    roundtrip(c, b"SET:Upper:V\r\n", b"+OK\r\n")
    roundtrip(c, b"Get:Upper:\r\n", b"$1\r\nV\r\n")
    roundtrip(c, b"set:empty:\n", b"+OK\r\n")
    roundtrip(c, b"get:empty:\n", b"$0\r\n\r\n")
    roundtrip(c, b"get:missing:\n", b"$-1\r\n")
    roundtrip(c, b'set:q:"quoted"  spaced \n', b"+OK\r\n")
    roundtrip(c, cmd("GET", "q"), b'$17\r\n"quoted"  spaced \r\n')
    # replies are RESP, and seed lines mix with everything else in one pipeline
    c.sendall(b"set:p1:a\nset:p2:b:c\n" + cmd("GET", "p1") + b"get:p2:\nGET p1\r\n" + cmd("DBSIZE"))
    expect(c, b"+OK\r\n+OK\r\n$1\r\na\r\n$3\r\nb:c\r\n$1\r\na\r\n:10\r\n")


# --- binary safety ----------------------------------------------------------------------------
def test_binary_keys_and_values(c):
    key = b"bin\x00key\r\n\r\nend"
    value = bytes(range(256)) * 4 + b"\r\n$5\r\n*1\r\n\x00"
    roundtrip(c, cmd(b"SET", key, value), b"+OK\r\n")
    roundtrip(c, cmd(b"GET", key), bulk(value))
    roundtrip(c, cmd(b"GET", b"bin\x00key"), b"$-1\r\n")
    roundtrip(c, cmd(b"GET", b"bin"), b"$-1\r\n")
    roundtrip(c, cmd(b"EXISTS", key, b"bin\x00key\r\n\r\nenD"), b":1\r\n")
    roundtrip(c, cmd(b"SET", b"\x00", b"\x00"), b"+OK\r\n")
    roundtrip(c, cmd(b"GET", b"\x00"), b"$1\r\n\x00\r\n")
    roundtrip(c, cmd(b"ECHO", b"\r\n"), b"$2\r\n\r\n\r\n")
    roundtrip(c, cmd(b"DEL", key, b"\x00"), b":2\r\n")


# --- protocol errors -------------------------------------------------------------------------
PROTO_ERRORS = [
    (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*3\r\nx\r\n", b"-ERR Protocol error: expected '$', got 'x'\r\n"),
    (b"*1\r\n$abc\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$-1\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
    (b'"foo\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b'set "a"b c\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    (b"*1\n$4\r\nPING\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"*2147483648\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"a" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
    (b"*1\r\n" + b"1" * 70000, b"-ERR Protocol error: too big bulk count string\r\n"),
    (cmd("SET", "k", "v") + b"PING\r\n*1\r\n$x\r\nPING\r\n",
     b"+OK\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"),
]


@pytest.mark.parametrize("data,want", PROTO_ERRORS, ids=[repr(d[:20]) for d, _ in PROTO_ERRORS])
def test_protocol_error_replies_then_closes(mako, data, want):
    got, closed = raw(mako.host, mako.port, data, expect_close=True, want=len(want), timeout=5.0)
    assert got == want
    assert closed
    ping_ok(mako)


def test_protocol_error_does_not_disturb_another_client(mako):
    with connect(mako) as good, connect(mako) as bad:
        roundtrip(good, cmd("SET", "neighbour", "1"), b"+OK\r\n")
        # the good client has half a request in flight while the other one errs
        half = cmd("SET", "neighbour", "22")
        good.sendall(half[:11])
        bad.sendall(cmd("PING") + b"*1\r\n$-7\r\n" + cmd("PING"))
        expect(bad, b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n")
        assert_closed(bad)
        good.sendall(half[11:])
        expect(good, b"+OK\r\n")
        roundtrip(good, cmd("GET", "neighbour"), b"$2\r\n22\r\n")
        for i in range(20):
            roundtrip(good, cmd("ECHO", str(i)), bulk(str(i).encode()))


def test_bulk_length_limit(mako):
    with connect(mako) as s:
        s.sendall(b"*1\r\n$536870913\r\n")
        expect(s, b"-ERR Protocol error: invalid bulk length\r\n")
        assert_closed(s)
    with connect(mako) as s:
        s.sendall(b"*1\r\n$536870912\r\n")
        assert_quiet(s, 0.5)            # accepted: the server waits for 512 MiB
    ping_ok(mako)


def test_multibulk_count_waits(mako):
    with connect(mako) as s:
        s.sendall(b"*2000000000\r\n$4\r\nPING\r\n")
        assert_quiet(s, 0.3)
    with connect(mako) as s:
        roundtrip(s, b"*0\r\n*-1\r\n*-5\r\n\r\n \r\nPING\r\n", b"+PONG\r\n")
        roundtrip(s, b"*1\r\n$4\r\nPINGxx", b"+PONG\r\n")   # the bulk terminator is not checked


# --- many clients, big values, slow readers ---------------------------------------------------
def test_fifty_concurrent_clients(mako):
    socks = [connect(mako) for _ in range(50)]
    try:
        for rnd in range(10):
            for i, s in enumerate(socks):
                s.sendall(cmd("SET", f"cc:{i}:{rnd}", f"v{i}.{rnd}") + cmd("GET", f"cc:{i}:{rnd - 1}"))
            for i, s in enumerate(socks):
                prev = b"$-1\r\n" if rnd == 0 else bulk(f"v{i}.{rnd - 1}".encode())
                expect(s, b"+OK\r\n" + prev)
        for i, s in enumerate(socks):
            keys = [f"cc:{i}:{r}" for r in range(10)]
            s.sendall(cmd("EXISTS", *keys) + cmd("DEL", *keys))
        for s in socks:
            expect(s, b":10\r\n:10\r\n")
    finally:
        for s in socks:
            s.close()


def test_fifty_clients_from_threads(mako):
    errors = []

    def worker(i):
        try:
            with connect(mako) as s:
                for j in range(50):
                    roundtrip(s, cmd("SET", f"th:{i}:{j}", f"{i}*{j}"), b"+OK\r\n")
                    roundtrip(s, cmd("GET", f"th:{i}:{j}"), bulk(f"{i}*{j}".encode()))
                roundtrip(s, cmd("DEL", *[f"th:{i}:{j}" for j in range(50)]), b":50\r\n")
        except Exception as e:
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert not any(t.is_alive() for t in threads)


def test_64_mib_value_in_many_sends(mako):
    size = 64 * 1024 * 1024
    block = os.urandom(1 << 16)
    value = block * (size // len(block))
    with connect(mako) as s:
        s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % size)
        view = memoryview(value)
        step = 1 << 20
        for i in range(0, size, step):
            s.sendall(view[i:i + step])
        s.sendall(b"\r\n")
        expect(s, b"+OK\r\n")
        s.sendall(cmd("GET", "big"))
        header = b"$%d\r\n" % size
        got = read_exact(s, len(header) + size + 2)
        assert got[:len(header)] == header
        assert got[len(header):-2] == value
        assert got[-2:] == b"\r\n"
        roundtrip(s, cmd("DEL", "big"), b":1\r\n")


def test_slow_reader_gets_everything_while_others_are_served(mako):
    mib = 1024 * 1024
    va = os.urandom(mib)
    vb = os.urandom(mib)
    with connect(mako) as setup:
        roundtrip(setup, cmd(b"SET", b"slow:a", va) + cmd(b"SET", b"slow:b", vb), b"+OK\r\n+OK\r\n")
    n = 96
    want = bytearray()
    req = bytearray()
    for i in range(n):
        k, v = (b"slow:a", va) if i % 2 == 0 else (b"slow:b", vb)
        req += cmd(b"GET", k)
        want += bulk(v)
    want = bytes(want)
    with connect(mako) as slow, connect(mako) as other:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        slow.sendall(bytes(req))
        got = bytearray()
        # the slow client does not read at all for a while; the other is served
        for i in range(20):
            roundtrip(other, cmd("SET", f"fast:{i}", str(i)) + cmd("GET", f"fast:{i}"),
                      b"+OK\r\n" + bulk(str(i).encode()))
        # then it reads a little at a time, still interleaved with the other client
        for i in range(60):
            chunk = slow.recv(16 * 1024)
            assert chunk, "slow client was disconnected"
            got += chunk
            time.sleep(0.005)
            if i % 3 == 0:
                roundtrip(other, b"PING\r\n", b"+PONG\r\n")
        # finally it drains the rest
        got += read_exact(slow, len(want) - len(got))
        assert len(got) == len(want)
        assert bytes(got) == want
        roundtrip(slow, b"PING\r\n", b"+PONG\r\n")
        roundtrip(other, cmd("DEL", "slow:a", "slow:b"), b":2\r\n")
