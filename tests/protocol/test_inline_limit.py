"""Long inline lines: where Redis's "too big inline request" falls.

Redis checks an unfinished inline line after each read: more than 64 KiB
pending without a newline is a protocol error.  Its reads are sized by its
query buffer (mako_numba/protocol/querybuf.py): a line sent at once on a new client
is read as 16384 bytes, then 65526, so it runs if its newline comes within
81910 bytes and is refused past that; after a pipelined PING in the same
write the pieces are 16384 (PING's 6 in it), 49152 and 98300, and the line
runs up to 163830 bytes.  A line trickled in small pieces is refused once
more than 64 KiB of it are pending.

Every case sends the same bytes to mako_numba and to a real Redis 7.0.15,
reads everything until EOF (or a reset: the server closed with the rest of
the line unread) from both, compares, and checks on a second connection
whether the line's SET ran.
"""
import socket
import time

import pytest

from drive import cmd_bytes as cmd

TIMEOUT = 20.0
ERR = b"-ERR Protocol error: too big inline request\r\n"
PING = b"PING\r\n"
FRESH_LIMIT = 81910         # a new client's reads: 16384, then 65526
AFTER_PING_LIMIT = 163830   # ... with PING first: 16384, 49152, 98300


def _line(key, size):
    """`SET key xxx...\\r\\n`, exactly `size` bytes."""
    head = b"SET " + key + b" "
    return head + b"x" * (size - len(head) - 2) + b"\r\n"


def _read_all(s, want_close):
    """Every byte until EOF or a reset, or (want_close False) until a quiet spell."""
    out = bytearray()
    s.settimeout(TIMEOUT if want_close else 0.5)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return bytes(out), False
        except ConnectionResetError:
            return bytes(out), True
        if not chunk:
            return bytes(out), True
        out += chunk
    return bytes(out), False


def _exchange(port, pieces, want_close, pause=0.0):
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        try:
            for p in pieces:
                s.sendall(p)
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass                            # closed on the error: what it sent is still readable
        return _read_all(s, want_close)


def _exists(port, key):
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(cmd("EXISTS", key))
        return s.recv(100)


def _both(mako, redis_ref, key, pieces, want_close, pause=0.0):
    got = {}
    for name, port in (("redis", redis_ref.port), ("mako", mako.port)):
        got[name] = _exchange(port, pieces, want_close, pause) + (_exists(port, key),)
    assert got["mako"] == got["redis"]
    return got["redis"]


SIZES = [60000, 65535, 65536, 65537, 70000, 81910, 81911, 81919, 81920, 87000, 163830, 163831, 200000]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("before", [b"", PING], ids=["alone", "after_ping"])
def test_line_sent_at_once(mako, redis_ref, size, before):
    key = b"inl:%d:%d" % (size, len(before))
    limit = AFTER_PING_LIMIT if before else FRESH_LIMIT
    ok = size <= limit
    data = before + _line(key, size)
    out, closed, exists = _both(mako, redis_ref, key, [data], want_close=not ok)
    pong = b"+PONG\r\n" if before else b""
    if ok:
        assert (out, closed, exists) == (pong + b"+OK\r\n", False, b":1\r\n")
    else:
        assert (out, closed, exists) == (pong + ERR, True, b":0\r\n")


@pytest.mark.parametrize("before", [b"", PING], ids=["alone", "after_ping"])
@pytest.mark.parametrize("size", [70000, 200000])
def test_line_trickled_is_refused_past_64k(mako, redis_ref, size, before):
    # 66000 bytes without a newline in 2 KiB pieces: whatever the reads, more
    # than 64 KiB end up pending without the line's end
    key = b"trickle:%d:%d" % (size, len(before))
    data = _line(key, size)
    pieces = [before] + [data[i:i + 2048] for i in range(0, 66000, 2048)]
    out, closed, exists = _both(mako, redis_ref, key, pieces, want_close=True, pause=0.002)
    assert (out, closed, exists) == ((b"+PONG\r\n" if before else b"") + ERR, True, b":0\r\n")


def test_line_under_64k_in_pieces_runs(mako, redis_ref):
    key = b"pieces:60000"
    data = _line(key, 60000)
    pieces = [data[i:i + 4096] for i in range(0, len(data), 4096)]
    out, closed, exists = _both(mako, redis_ref, key, pieces, want_close=False, pause=0.002)
    assert (out, closed, exists) == (b"+OK\r\n", False, b":1\r\n")


def test_msetnx_inline_over_the_limit(mako, redis_ref):
    # the fuzzer's finding: two big values on one inline line of ~87 KB
    line = b"MSETNX b " + b"v" * 25000 + b" c " + b"w" * 62000 + b"\r\n"
    out, closed, exists = _both(mako, redis_ref, b"c", [line], want_close=True)
    assert (out, closed, exists) == (ERR, True, b":0\r\n")


BEFORE = {  # a request before the line in the same write; Redis reads an argument of 32 KiB
    # or more exactly to its end and then holds a buffer of its size, which sizes the reads after
    "inline_1k": b"SET p " + b"v" * 1000 + b"\r\n",
    "multibulk_3k": cmd("SET", "p", "v" * 3000),
    "multibulk_40k": cmd("SET", "p", "v" * 40000),
    "multibulk_100k": cmd("SET", "p", "v" * 100000),
}


@pytest.mark.parametrize("size", [81911, 100000, 140000, 163831])
@pytest.mark.parametrize("before", list(BEFORE))
def test_line_after_another_request_in_the_same_write(mako, redis_ref, size, before):
    key = b"after:%s:%d" % (before.encode(), size)
    out, closed, exists = _both(mako, redis_ref, key, [BEFORE[before] + _line(key, size)],
                                want_close=size > 163830)
    assert (out, closed, exists) in [(b"+OK\r\n+OK\r\n", False, b":1\r\n"), (b"+OK\r\n" + ERR, True, b":0\r\n")]
