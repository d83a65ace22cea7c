"""The loop's read and send kernels (server/netio.py) over real socket pairs, and the loop
with another selector than epoll.

The kernels are fed events the way epoll writes them (netio.put_event) and
real non-blocking sockets, so every outcome the loop relies on is seen for
real: bytes read into the slot's buffer at its write position, nothing to
read (EAGAIN: neither readable nor a row), a peer that closed (D_DROP), a
read that fills the buffer (D_FULL, with the bound left), a listener's or a
write-waiting connection's event left to Python (D_EVENT), replies taken in
full, in part (D_FLUSH) or refused by a closed peer (D_DROP).
"""
import selectors
import socket

import numpy as np
import pytest
import redis

from mako_numba.base.layout import (C_IN_ADDR, C_IN_CAP, C_NFIELDS, C_OUT_ADDR, C_OUT_SENT,
                                    C_RD_MAX, C_WR, R_NFIELDS)
from mako_numba.server import netio
from mako_numba.server.netio import (D_AFTER, D_DROP, D_EVENT, D_FLUSH, D_FULL, EP_IN, EP_OUT,
                                     FD_LISTENER, FD_NONE, N_LAST_US, N_NFIELDS, N_WANT,
                                     W_READ, W_WRITE)


class Pairs:
    """n connected socket pairs: our end (non-blocking) in slot i, the peer's end in peer[i]."""

    def __init__(self, n, in_cap=64):
        self.ours, self.peer = [], []
        self.conn = np.zeros((n, C_NFIELDS), np.int64)
        self.nt = np.zeros((n, N_NFIELDS), np.int64)
        self.fdslot = np.full(4096, FD_NONE, np.int64)
        self.inb = [np.zeros(in_cap, np.uint8) for _ in range(n)]
        self.outb = [np.zeros(1 << 20, np.uint8) for _ in range(n)]
        for slot in range(n):
            a, b = socket.socketpair()
            a.setblocking(False)
            self.ours.append(a)
            self.peer.append(b)
            self.conn[slot, C_IN_ADDR] = self.inb[slot].ctypes.data
            self.conn[slot, C_IN_CAP] = in_cap
            self.conn[slot, C_OUT_ADDR] = self.outb[slot].ctypes.data
            self.nt[slot] = (a.fileno(), W_READ, 0)
            self.fdslot[a.fileno()] = slot
        self.evbuf = netio.event_buffer(n + 4)
        self.ready = np.zeros(n + 4, np.int64)
        self.defer = np.zeros((n + 4, netio.D_NFIELDS), np.int64)

    def read(self, events, now_us=7):
        for i, (fd, ev) in enumerate(events):
            netio.put_event(self.evbuf, i, fd, ev)
        nready, nd, got, nev = netio.read_events(self.conn, self.nt, self.fdslot, self.evbuf,
                                                 len(events), -1, 0, now_us, self.ready, 0,
                                                 self.defer)
        assert nev == len(events)
        return self.ready[:nready].tolist(), self.defer[:nd].tolist(), got

    def fd(self, slot):
        return self.ours[slot].fileno()

    def close(self):
        for s in self.ours + self.peer:
            s.close()


@pytest.fixture
def pairs():
    p = Pairs(3)
    yield p
    p.close()


def test_reads_land_at_the_write_position(pairs):
    pairs.peer[0].sendall(b"PING\r\n")
    pairs.peer[2].sendall(b"GET k\r\n")
    pairs.conn[2, C_WR] = 3                     # three bytes already there
    ready, rows, got = pairs.read([(pairs.fd(0), EP_IN), (pairs.fd(1), EP_IN), (pairs.fd(2), EP_IN)],
                                  now_us=1234)
    assert ready == [0, 2]                      # slot 1 had nothing: EAGAIN is no row
    assert rows == []
    assert got == 6 + 7
    assert bytes(pairs.inb[0][:6]) == b"PING\r\n" and pairs.conn[0, C_WR] == 6
    assert bytes(pairs.inb[2][3:10]) == b"GET k\r\n" and pairs.conn[2, C_WR] == 10
    assert pairs.nt[0, N_LAST_US] == 1234 and pairs.nt[1, N_LAST_US] == 0


def test_a_read_takes_at_most_the_bound_and_a_full_buffer_is_a_row(pairs):
    pairs.peer[0].sendall(b"x" * 100)
    pairs.conn[0, C_RD_MAX] = 10
    ready, rows, got = pairs.read([(pairs.fd(0), EP_IN)])
    assert (ready, rows, got) == ([0], [], 10)
    pairs.conn[0, C_RD_MAX] = 80                # more than the 54 bytes of room left
    ready, rows, got = pairs.read([(pairs.fd(0), EP_IN)])
    assert ready == [0] and got == 54
    assert rows == [[D_FULL, 0, 80 - 54]]       # Python reads the rest into a grown buffer
    assert pairs.conn[0, C_WR] == 64
    ready, rows, got = pairs.read([(pairs.fd(0), EP_IN)])
    assert (ready, rows, got) == ([0], [], 0)   # full: no read, the core grows it


def test_closed_peers_listeners_and_writers_are_rows(pairs):
    pairs.peer[1].close()
    pairs.nt[2, N_WANT] = W_READ | W_WRITE
    pairs.fdslot[1000] = FD_LISTENER
    events = [(pairs.fd(1), EP_IN), (1000, EP_IN), (pairs.fd(2), EP_IN | EP_OUT),
              (pairs.fd(0), EP_OUT), (999, EP_IN)]
    ready, rows, got = pairs.read(events)
    assert ready == [] and got == 0
    assert rows == [[D_DROP, 1, 0], [D_EVENT, 1000, EP_IN], [D_EVENT, pairs.fd(2), EP_IN | EP_OUT]]


def send(pairs, slots, res):
    nd, put = netio.send_replies(pairs.conn, pairs.nt, np.array(slots + [0], np.int64),
                                 np.array(res, np.int64).reshape(-1, R_NFIELDS), len(slots), 99,
                                 pairs.defer)
    return pairs.defer[:nd].tolist(), put


def test_sends_whole_partial_refused_and_attention(pairs):
    for slot in range(3):
        pairs.outb[slot][:5] = np.frombuffer(b"+OK\r\n", np.uint8)
    rows, put = send(pairs, [0, 1], [[0, 5, 0], [0, 5, 1]])
    assert rows == [[D_AFTER, 1, 0]] and put == 5          # attention: Python looks
    assert pairs.peer[0].recv(10) == b"+OK\r\n"
    assert pairs.conn[0, C_OUT_SENT] == 5 and pairs.nt[0, N_LAST_US] == 99
    pairs.peer[2].close()
    rows, put = send(pairs, [2], [[0, 5, 0]])
    assert rows == [[D_DROP, 2, 0]] and put == 0           # EPIPE (no SIGPIPE)
    pairs.nt[0, N_WANT] = W_READ | W_WRITE
    rows, put = send(pairs, [0], [[0, 5, 0]])
    assert rows == [[D_AFTER, 0, 0]]                       # waiting to write: Python flushes
    pairs.nt[0, N_WANT] = W_READ
    big = 1 << 20                                           # more than the socket takes at once
    rows, put = send(pairs, [0], [[0, big, 0]])
    assert rows == [[D_FLUSH, 0, 0]] and 0 < put < big
    assert pairs.conn[0, C_OUT_SENT] == put


def test_the_loop_with_another_selector_than_epoll(monkeypatch, tmp_path):
    """The loop's events from selectors' select() (put_event) instead of the epoll kernel."""
    import threading
    from mako_numba.engine.core import Core
    from mako_numba.server.loop import Server
    monkeypatch.setattr(selectors, "DefaultSelector", selectors.PollSelector)
    srv = Server(Core(), "127.0.0.1", 0)
    assert srv._epfd == -1
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        r = redis.Redis(host="127.0.0.1", port=srv.port, socket_timeout=30)
        assert r.set("k", "v" * 100_000) is True
        pipe = r.pipeline(transaction=False)
        for i in range(200):
            pipe.incr("n")
            pipe.get("k")
        got = pipe.execute()
        assert got[-2] == 200 and got[-1] == b"v" * 100_000
        assert [r.ping() for _ in range(5)] == [True] * 5
        r.close()
    finally:
        srv.stop()
        t.join(30)
