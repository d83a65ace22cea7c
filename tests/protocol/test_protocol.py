"""The parser kernel against the plain-Python reference (tests/naive.py).

Each input is parsed three ways, as h11's tests do: whole, one byte at a
time (nothing may be queued before a request is complete), and followed by
the first bytes of another request (which must stay buffered).  Hypothesis
then generates valid, truncated, mutated and garbage streams in random
chunkings, asserting the kernel and the reference agree.
"""
import ctypes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mako_numba.protocol import parser as protocol
from mako_numba.engine.core import Core
from mako_numba.engine.batch import compact_input
from mako_numba.base.layout import (
    B_AN, B_QN, B_SN, C_FLAGS, C_IN_CAP, C_IN_NEED, C_RD, C_WR, CMD_PROTO_ERR, F_CLOSE_NOW,
    F_PENDING, F_SLOW, PE_BIG_BULK, PE_BIG_INLINE, PE_BIG_MBULK, PE_BULK, PE_DOLLAR, PE_MULTIBULK,
    PE_UNBALANCED, Q_ARG0, Q_ARGC, Q_CMD, Q_ERR, Q_ERRARG,
)
from naive import ref_parse


class KernelParser:
    """Feeds a connection's bytes to protocol.parse_conn as the engine would."""

    def __init__(self, **kw):
        self.core = Core(maxclients=2, seed=1, **kw)
        self.slot = self.core.open()
        self.events = []
        self.failed = False

    def feed(self, data):
        core, slot = self.core, self.slot
        if self.failed:
            return
        core.feed(slot, data)
        while True:
            bm = core.bm
            bm[B_QN] = bm[B_AN] = bm[B_SN] = 0
            n = self.parse_conn(core.conn, slot, core.q, bm, core.args, core.scratch,
                                core.lim, core.cmdt)
            for k in range(int(bm[B_QN])):
                row = core.q[k]
                if row[Q_CMD] == CMD_PROTO_ERR:
                    self.events.append(("err", int(row[Q_ERR]), int(row[Q_ERRARG])))
                    self.failed = True
                    return
                a0, argc = int(row[Q_ARG0]), int(row[Q_ARGC])
                self.events.append(("req", [ctypes.string_at(int(core.args[i, 0]), int(core.args[i, 1]))
                                            for i in range(a0, a0 + argc)]))
            flags = int(core.conn[slot, C_FLAGS])
            core.conn[slot, C_FLAGS] = flags & ~(F_SLOW | F_PENDING)
            compact_input(core.conn, slot)
            core.grow_args()
            need = int(core.conn[slot, C_IN_NEED])
            if need > int(core.conn[slot, C_IN_CAP]):
                core._grow_in(slot, need)
            if n == 0 and not flags & (F_SLOW | F_PENDING):
                return

    parse_conn = staticmethod(protocol.parse_conn)

    def buffered(self):
        c = self.core.conn[self.slot]
        return int(c[C_WR] - c[C_RD])


def kernel_parse(data, chunk=None, **kw):
    p = KernelParser(**kw)
    if chunk is None:
        p.feed(data)
    else:
        for i in range(0, len(data), chunk):
            p.feed(data[i:i + chunk])
    return p


def check_three_ways(data, expected=None):
    """Whole, byte by byte, and with trailing bytes: all agree with the reference."""
    ref_events, consumed = ref_parse(data)
    if expected is not None:
        assert ref_events == expected
    whole = kernel_parse(data)
    assert whole.events == ref_events
    if not whole.failed:
        assert whole.buffered() == len(data) - consumed
    bytewise = kernel_parse(data, chunk=1)
    assert bytewise.events == ref_events
    if consumed == len(data):
        trailing = data + b"*2\r\n$3\r\nGET\r\n$1"
        t = kernel_parse(trailing)
        assert t.events == ref_events
        assert t.buffered() == len(trailing) - consumed


CASES = [
    (b"*1\r\n$4\r\nPING\r\n", [("req", [b"PING"])]),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", [("req", [b"SET", b"k", b""])]),
    (b"*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n", [("req", [b"GET", b"a\r\nb"])]),
    (b"*2\r\n$3\r\nGET\r\n$3\r\n\x00\x01\x02\r\n", [("req", [b"GET", b"\x00\x01\x02"])]),
    (b"*1\r\n$4\r\nPINGxx", [("req", [b"PING"])]),          # CRLF after a bulk is not checked
    (b"*0\r\n*-1\r\nPING\r\n", [("req", [b"PING"])]),
    (b"\r\n \r\nPING\n", [("req", [b"PING"])]),
    (b"  set  a   b  \r\n", [("req", [b"set", b"a", b"b"])]),
    (b'SET "a\\x41" "b c"\r\n', [("req", [b"SET", b"aA", b"b c"])]),
    (b"SET 'it\\'s' \"q\\\"\\n\"\r\n", [("req", [b"SET", b"it's", b'q"\n'])]),
    (b'ECHO a"b c"d\r\n', [("err", PE_UNBALANCED, 0)]),
    (b'ECHO a"b c" d\r\n', [("req", [b"ECHO", b"ab c", b"d"])]),
    (b"ECHO \"\\xZZ\"\r\n", [("req", [b"ECHO", b"xZZ"])]),
    (b"set:user\\:1:hello:world\n", [("req", [b"set", b"user:1", b"hello:world"])]),
    (b"GET:key:\r\n", [("req", [b"GET", b"key"])]),
    (b"get:key\n", [("req", [b"get", b"key"])]),
    (b"get:a:b\n", [("req", [b"get", b"a", b"b"])]),
    (b"set:k:\n", [("req", [b"set", b"k", b""])]),
    (b"set:k\n", [("req", [b"set", b"k"])]),
    (b"set:a\\\\b:v\n", [("req", [b"set", b"a\\b", b"v"])]),
    (b"*abc\r\n", [("err", PE_MULTIBULK, 0)]),
    (b"*1\n$4\r\nPING\r\n", [("err", PE_MULTIBULK, 0)]),
    (b"*2147483648\r\n", [("err", PE_MULTIBULK, 0)]),
    (b"*3\r\nx\r\n", [("err", PE_DOLLAR, ord("x"))]),
    (b"*1\r\n$abc\r\n", [("err", PE_BULK, 0)]),
    (b"*1\r\n$-1\r\n", [("err", PE_BULK, 0)]),
    (b"*1\r\n$536870913\r\n", [("err", PE_BULK, 0)]),
    (b'"foo\r\n', [("err", PE_UNBALANCED, 0)]),
    (b'set "a"b c\r\n', [("err", PE_UNBALANCED, 0)]),
    (b"set 'a\r\n", [("err", PE_UNBALANCED, 0)]),
    (b"PING\r\n*1\r\n$x\r\n", [("req", [b"PING"]), ("err", PE_BULK, 0)]),
    (b"*2000000000\r\n$4\r\nPING\r\n", []),                 # waits for the other args
    (b"*1\r\n$536870912\r\n", []),                           # accepted, waits
]


@pytest.mark.parametrize("data,expected", CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_cases_three_ways(data, expected):
    check_three_ways(data, expected)


def test_too_big_inline_and_headers():
    assert kernel_parse(b"a" * 66000).events == [("err", PE_BIG_INLINE, 0)]
    assert kernel_parse(b"*1\r\n" + b"1" * 66000).events == [("err", PE_BIG_BULK, 0)]
    assert kernel_parse(b"*" + b"1" * 66000).events == [("err", PE_BIG_MBULK, 0)]
    # exactly at the limit is still waiting, one byte more is the error
    assert kernel_parse(b"a" * (64 * 1024)).events == []


def test_nul_ends_the_line_search_like_strchr():
    # Redis's strchr() never finds the LF behind a NUL: the request waits
    p = kernel_parse(b"PI\x00NG\r\n")
    assert p.events == [] and p.buffered() == 7


def test_big_request_in_many_reads_is_scanned_once():
    value = bytes(range(256)) * 4000
    data = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n%s\r\n" % (len(value), value)
    p = kernel_parse(data, chunk=7000)
    assert p.events == [("req", [b"SET", b"k", value])]
    assert p.buffered() == 0


def test_many_arguments_grow_the_argument_rows():
    n = 100_000
    data = b"*%d\r\n" % (n + 1) + b"$3\r\nDEL\r\n" + b"".join(b"$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(n))
    p = kernel_parse(data, chunk=65536, args_size=1024)
    assert len(p.events) == 1 and len(p.events[0][1]) == n + 1
    assert p.events[0][1][-1] == str(n - 1).encode()


def test_queue_full_continues_next_batch():
    data = b"PING\r\n" * 100
    p = kernel_parse(data, queue_size=8)
    assert p.events == [("req", [b"PING"])] * 100


def test_scratch_full_continues_next_batch():
    data = b'ECHO "%s"\r\n' % (b"x" * 100) * 50
    p = kernel_parse(data, scratch_size=512)
    assert p.events == [("req", [b"ECHO", b"x" * 100])] * 50


# --- generated input -------------------------------------------------------------------
_word = st.binary(min_size=0, max_size=12)
_plain = st.binary(min_size=1, max_size=8).filter(
    lambda b: not any(c in b for c in b" \t\r\n\x0b\x0c\"'\x00"))


def _resp(args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _inline_quoted(args):
    out = []
    for a in args:
        body = "".join("\\x%02x" % ch for ch in a)
        out.append(b'"' + body.encode() + b'"')
    return b" ".join(out) + b"\r\n"


@st.composite
def streams(draw):
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["resp", "inline", "quoted", "seed", "empty"]))
        if kind == "resp":
            parts.append(_resp([b"GET"] + draw(st.lists(_word, max_size=4))))
        elif kind == "inline":
            parts.append(b" ".join([b"GET"] + draw(st.lists(_plain, max_size=4))) + b"\r\n")
        elif kind == "quoted":
            parts.append(_inline_quoted([b"GET"] + draw(st.lists(_word, max_size=3))))
        elif kind == "seed":
            key = draw(_plain).replace(b":", b"")
            parts.append(b"set:" + key + b":" + draw(_plain) + b"\n")
        else:
            parts.append(draw(st.sampled_from([b"\r\n", b"*0\r\n", b"*-1\r\n", b"   \n"])))
    return b"".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.integers(1, 40))
def test_generated_valid_streams_any_chunking(data, chunk):
    ref_events, consumed = ref_parse(data)
    assert consumed == len(data)
    assert kernel_parse(data, chunk=chunk).events == ref_events


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.data())
def test_truncated_and_mutated_streams(data, draw):
    cut = draw.draw(st.integers(0, len(data)))
    truncated = data[:cut]
    ref_events, consumed = ref_parse(truncated)
    p = kernel_parse(truncated, chunk=draw.draw(st.integers(1, 16)))
    assert p.events == ref_events
    if data:
        i = draw.draw(st.integers(0, len(data) - 1))
        mutated = data[:i] + bytes([draw.draw(st.integers(0, 255))]) + data[i + 1:]
        assert kernel_parse(mutated).events == ref_parse(mutated)[0]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.integers(1, 8))
def test_garbage_agrees_with_reference(data, chunk):
    assert kernel_parse(data, chunk=chunk).events == ref_parse(data)[0]


def _parse_once(data, **kw):
    """One parse pass over data: (requests queued, connection marked to close at once)."""
    p = KernelParser(**kw)
    core = p.core
    core.feed(p.slot, data)
    bm = core.bm
    bm[B_QN] = bm[B_AN] = bm[B_SN] = 0
    protocol.parse_conn(core.conn, p.slot, core.q, bm, core.args, core.scratch, core.lim, core.cmdt)
    return int(bm[B_QN]), bool(int(core.conn[p.slot, C_FLAGS]) & F_CLOSE_NOW)


def test_query_buffer_limit_counts_bytes_buffered():
    """Redis closes a client (no reply) once its query buffer holds more than the limit; finished
    arguments leave that buffer, so only the unfinished one, or one longer than the limit, counts."""
    big = b"*2\r\n$4\r\nECHO\r\n$3000\r\n" + b"x" * 3000 + b"\r\n"
    small = b"*2\r\n$4\r\nECHO\r\n$1000\r\n" + b"x" * 1000 + b"\r\n"
    many = b"*101\r\n$4\r\nMSET\r\n" + (b"$3\r\nkey\r\n$100\r\n" + b"v" * 100 + b"\r\n") * 50
    lim = {"client_query_buffer_limit": 2048}
    assert _parse_once(big, **lim) == (0, True)                 # whole in one read: still over
    assert _parse_once(big[:1000], **lim) == (0, False)         # announced, not yet buffered
    assert _parse_once(big[:2500], **lim) == (0, True)          # buffered past the limit
    assert _parse_once(small, **lim) == (1, False)
    assert len(many) > 2 * 2048
    assert _parse_once(many, **lim) == (1, False)               # 6 KB of small arguments
    assert _parse_once(many[:-9], **lim) == (0, False)          # and while they arrive


def _socket_like(data):
    """A new Core connection reading `data` (all there at once) as the event loop does:
    each read takes what Core.in_space allows, then a batch runs.  Replies and whether
    the connection is closing."""
    core = Core(maxclients=2, seed=1)
    slot = core.open()
    out = bytearray()
    while data and not core.closing(slot):
        space = core.in_space(slot)
        n = min(len(space), len(data))
        space[:n] = data[:n]
        core.received(slot, n)
        data = data[n:]
        again = core.run([slot])
        while again:
            again = core.run(again)
        view = core.output(slot)
        out += view
        core.sent(slot, len(view))
    return bytes(out), core.closing(slot)


def test_long_inline_line_follows_redis_reads():
    """Redis reads a new client 16384 bytes, then 65526 (its query buffer's growth,
    querybuf.py), and refuses a line with no newline in more than 64 KiB pending after
    a read; a PING before it in the same read moves the boundaries to 65530, 163830."""
    def line(n):
        return b"SET k " + b"x" * (n - 8) + b"\r\n"
    err = b"-ERR Protocol error: too big inline request\r\n"
    for size, before, want in [(60000, b"", b"+OK\r\n"), (81910, b"", b"+OK\r\n"), (81911, b"", err),
                               (87000, b"", err), (87000, b"PING\r\n", b"+PONG\r\n+OK\r\n"),
                               (163830, b"PING\r\n", b"+PONG\r\n+OK\r\n"),
                               (163831, b"PING\r\n", b"+PONG\r\n" + err)]:
        out, closing = _socket_like(before + line(size))
        assert (out, closing) == (want, "after" if want.endswith(err) else None), (size, before)


def test_query_buffer_model_after_a_long_line_and_the_cron():
    """Redis's clientsCron trims a query buffer past 32 KiB once its peak since the last
    visit is under half of it: the next read is a new client's again (16384 bytes)."""
    import numpy as np
    from mako_numba.base.layout import C_QB_ALLOC, C_RD_MAX
    from mako_numba.protocol.querybuf import cron_trim
    core = Core(maxclients=2, seed=1)
    slot = core.open()
    assert int(core.conn[slot, C_RD_MAX]) == 16384
    data = b"SET k " + b"x" * 69992 + b"\r\n"
    while data:
        space = core.in_space(slot)
        n = min(len(space), len(data))
        space[:n] = data[:n]
        core.received(slot, n)
        data = data[n:]
        core.run([slot])
    assert bytes(core.output(slot)) == b"+OK\r\n"
    core.sent(slot, 5)
    assert int(core.conn[slot, C_QB_ALLOC]) == 81910      # 16384, then 65526 more
    assert int(core.conn[slot, C_RD_MAX]) == 81910
    slots, busy = np.array([slot], np.int64), np.zeros(1, np.int64)
    cron_trim(core.conn, slots, busy)                     # its peak (70000) is over half of it
    assert int(core.conn[slot, C_QB_ALLOC]) == 81910
    cron_trim(core.conn, slots, busy)                     # the peak restarted from 0
    assert (int(core.conn[slot, C_QB_ALLOC]), int(core.conn[slot, C_RD_MAX])) == (0, 16384)
