"""The load generator's event loop, compiled: epoll, recv, reply counting and send in one Numba
call per run, with no Python per request or per pipeline.

Written in Python, the loop cost its worker about 0.6 us of CPU per request at P=16 (a
poll result, a recv_into, a count, a slice and a send per pipeline): about 1.6M requests
a second from one core, less than what mako_numba serves on the list cases, so the
generator and not the server set the pace.  Here the system calls are libc's, called
through ctypes function pointers that Numba compiles in (pointers passed as int64),
and the worker's cost is little more than the system calls themselves.

Rules:
- Python opens the sockets (non-blocking, TCP_NODELAY) and the epoll (each fd registered
  for EPOLLIN with its fd as data, as select.epoll does), waits for the start instant, and
  reads its own CPU time around the call (loadgen.py).
- Closed loop as redis-benchmark's: each connection has one pipeline in flight; when
  wire.count_replies has counted its replies, the round trip is recorded and the next
  pipeline goes out.  A send the socket takes only in part is finished by later loop turns
  (epoll then waits no longer than 1 ms).
- The loop ends at the deadline (CLOCK_MONOTONIC ns, what time.monotonic_ns reads), or at
  the first closed connection or unknown reply byte, which `status` reports.
- Numba cannot cache code that holds ctypes pointers: the loop compiles once per process
  (about a second), in `warm_up`, before the workers fork.
"""
import ctypes
import platform

import numpy as np
from numba import njit

from .wire import count_replies

_libc = ctypes.CDLL(None, use_errno=True)


def _fn(name, restype, *argtypes):
    f = getattr(_libc, name)
    f.restype = restype
    f.argtypes = argtypes
    return f


_I64, _I32 = ctypes.c_int64, ctypes.c_int32
c_send = _fn("send", _I64, _I32, _I64, _I64, _I32)
c_recv = _fn("recv", _I64, _I32, _I64, _I64, _I32)
c_epoll_wait = _fn("epoll_wait", _I32, _I32, _I64, _I32, _I32)
c_clock_gettime = _fn("clock_gettime", _I32, _I32, _I64)

CLOCK_MONOTONIC = 1
MSG_DONTWAIT = 0x40
MSG_NOSIGNAL = 0x4000
EPOLLIN, EPOLLERR, EPOLLHUP = 0x1, 0x8, 0x10
# struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16)
EV_SIZE, EV_DATA = (12, 4) if platform.machine() in ("x86_64", "AMD64") else (16, 8)
MAX_EVENTS = 256

OK, CLOSED, BAD_REPLY = 0, 1, 2


@njit(nogil=True)
def _now(ts):
    c_clock_gettime(CLOCK_MONOTONIC, ts.ctypes.data)
    return ts[0] * 1_000_000_000 + ts[1]


@njit(nogil=True)
def _send_next(c, fds, data, offsets, pipeline, stream, pos, sent_at, pend_a, pend_b, ts):
    p = pos[c]
    a = offsets[p]
    b = offsets[p + pipeline]
    pos[c] = (p + pipeline) % stream
    sent_at[c] = _now(ts)
    k = c_send(fds[c], data.ctypes.data + a, b - a, MSG_DONTWAIT | MSG_NOSIGNAL)
    if k < 0:
        k = 0
    pend_a[c] = a + k
    pend_b[c] = b
    return 1 if a + k < b else 0


@njit(nogil=True)
def drive(epfd, fds, fd2c, data, offsets, pipeline, stream, rbuf, deadline, lat, res):
    """Run until `deadline`: res = [requests answered, error replies, round trips recorded
    in lat, status (OK, CLOSED, BAD_REPLY)]."""
    n = fds.shape[0]
    cap = rbuf.shape[1]
    have = np.zeros(n, np.int64)
    got = np.zeros(n, np.int64)
    pos = np.empty(n, np.int64)
    sent_at = np.zeros(n, np.int64)
    pend_a = np.zeros(n, np.int64)
    pend_b = np.zeros(n, np.int64)
    ev = np.zeros(MAX_EVENTS * EV_SIZE, np.uint8)
    ts = np.zeros(2, np.int64)
    nlat = 0
    ops = 0
    errors = 0
    status = OK
    pending = 0
    for c in range(n):
        pos[c] = (c * stream // n) // pipeline * pipeline
    for c in range(n):
        pending += _send_next(c, fds, data, offsets, pipeline, stream, pos, sent_at, pend_a, pend_b, ts)
    while status == OK:
        now = _now(ts)
        if now >= deadline:
            break
        if pending:
            for c in range(n):
                if pend_a[c] < pend_b[c]:
                    k = c_send(fds[c], data.ctypes.data + pend_a[c], pend_b[c] - pend_a[c],
                               MSG_DONTWAIT | MSG_NOSIGNAL)
                    if k > 0:
                        pend_a[c] += k
                        if pend_a[c] >= pend_b[c]:
                            pending -= 1
        wait = (deadline - now) // 1_000_000 + 1
        if pending or wait > 10:
            wait = 1 if pending else 10
        k = c_epoll_wait(epfd, ev.ctypes.data, MAX_EVENTS, wait)
        for e in range(max(k, 0)):
            o = e * EV_SIZE
            events = ev[o] | (ev[o + 1] << 8)
            fd = ev[o + EV_DATA] | (ev[o + EV_DATA + 1] << 8) | (ev[o + EV_DATA + 2] << 16)
            if not events & (EPOLLIN | EPOLLERR | EPOLLHUP):
                continue
            c = fd2c[fd]
            h = have[c]
            r = c_recv(fds[c], rbuf.ctypes.data + c * cap + h, cap - h, MSG_DONTWAIT)
            if r == 0 or (r < 0 and events & (EPOLLERR | EPOLLHUP)):
                status = CLOSED
                break
            if r < 0:
                continue
            h += r
            cnt, err, used = count_replies(rbuf[c], 0, h)
            if cnt < 0:
                status = BAD_REPLY
                break
            if used:
                rest = h - used
                for i in range(rest):
                    rbuf[c, i] = rbuf[c, used + i]
                h = rest
            have[c] = h
            ops += cnt
            errors += err
            got[c] += cnt
            if got[c] >= pipeline:
                if nlat < lat.shape[0]:
                    lat[nlat] = _now(ts) - sent_at[c]
                    nlat += 1
                got[c] -= pipeline
                pending += _send_next(c, fds, data, offsets, pipeline, stream, pos, sent_at,
                                      pend_a, pend_b, ts)
    res[0] = ops
    res[1] = errors
    res[2] = nlat
    res[3] = status


def warm_up():
    """Compile (or load) the loop now, before worker processes fork: a run with no
    connections and a deadline already past."""
    res = np.zeros(4, np.int64)
    z = np.zeros(1, np.int64)
    drive(-1, np.zeros(0, np.int32), z, np.zeros(1, np.uint8), np.zeros(2, np.int64), 1, 1,
          np.zeros((0, 1), np.uint8), 0, z, res)
    assert res[3] == OK and res[0] == 0
