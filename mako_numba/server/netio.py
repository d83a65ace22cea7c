"""The event loop's reads and sends, for every ready connection of a turn in one kernel call each.

At one request per round trip a request is a readable event, a read and a
send; done from Python each costs a method call, a memoryview slice and,
for a socket with nothing to give, an exception, about as much as the
request's execution.  These kernels do the common case of a whole turn:

- `read_events` waits on the epoll set (syscalls.py; or takes the events
  Python put in the buffer, for other selectors), maps each event's fd to
  its slot (`fdslot`), and reads what each readable socket has into its
  input buffer, exactly as loop.py's rules say (at most C_RD_MAX bytes,
  into the buffer's free tail).  It returns the readable slots and, for
  whatever is not the common case, rows for Python (`defer`): an event of a
  listener or of a connection waiting to write (D_EVENT), a closed or
  failed socket (D_DROP), a read that filled the buffer (D_FULL).
- `send_replies` sends each slot's new replies after the batch ran; a slot
  that needs attention, waits to write, or did not take everything is a
  row for Python (D_AFTER, D_FLUSH, D_DROP).
- `serve_turn` is a whole common turn in one call: the reads, then the
  batch (engine/batch.py's run_batch, called by address as the batch calls
  a family, so it is not compiled in here), then the sends; and then
  another turn, without waiting, up to a number of turns.  It stops and
  returns to Python where Python has something to do: rows after the
  reads (ST_READ), work after the batch (ST_BATCH, run_batch's mask or a
  touched watched key); else everything is sent (ST_DONE).  Its results
  are in the turn row `tr` (TR_*), for the last turn (TR_GOT, TR_PUT and
  TR_NEV: over all of them).

Rules: no byte of a buffer is looked at; what Python decides (accepting,
flushing, dropping, output limits, pausing) stays in Python.  The server's
per-slot table `nt` (N_* columns) holds what the kernels need besides the
connection table: the socket's fd, its registered interest (W_READ,
W_WRITE: the selectors module's EVENT_READ / EVENT_WRITE bits) and the
monotonic microsecond of its last read or write (the idle timeout's clock).
"""
import platform

import numpy as np

from mako_numba.base.jit import call_entry, i64view, i64view2, kernel, u8view
from mako_numba.base.layout import C_IN_ADDR, C_IN_CAP, C_OUT_ADDR, C_OUT_SENT, C_RD_MAX, C_WR
from mako_numba.base.layout import B_FRAME, B_NOW_US, B_NREADY, H_BM, H_CONN, H_NFIELDS, H_READY, H_RES
from mako_numba.base.layout import R_ATT, R_SENT, R_WR, T_BLOCK_READY, T_TOUCHED
from mako_numba.server.syscalls import (CLOCK_MONOTONIC, CLOCK_REALTIME, EAGAIN, EINTR,
                                        EWOULDBLOCK, MSG_NOSIGNAL, clock_us, errno_now,
                                        sys_epoll_wait, sys_recv, sys_send)

N_FD = 0            # the socket's file descriptor
N_WANT = 1          # registered interest: W_READ | W_WRITE
N_LAST_US = 2       # monotonic microseconds of the last read or write
N_NFIELDS = 3

W_READ = 1          # selectors.EVENT_READ
W_WRITE = 2         # selectors.EVENT_WRITE
EP_IN = 0x001       # select.EPOLLIN
EP_OUT = 0x004      # select.EPOLLOUT

FD_NONE = -1        # fdslot: not ours (closed earlier this turn)
FD_LISTENER = -2    # fdslot: a listening socket

D_EVENT = 1         # (fd, events): Python handles this event
D_DROP = 2          # (slot, 0): the peer closed, or the socket failed: close it
D_FULL = 3          # (slot, bound left): the read filled the input buffer
D_AFTER = 4         # (slot, 0): the batch asked for attention, or the slot waits to write
D_FLUSH = 5         # (slot, 0): the socket did not take all the replies
D_NFIELDS = 3

ST_READ = 1         # serve_turn stopped after the reads: Python handles the rows, runs the batch
ST_BATCH = 2        # ... after the batch: Python finishes it (Core.finish), then the sends
ST_DONE = 3         # ... at the end: the replies are sent (rows for Python after the sends)

TR_NREADY = 0       # the turn row: readable slots (in `rd`)
TR_NDEFER = 1       # rows in `defer` (after the reads, or after the sends with ST_DONE)
TR_GOT = 2          # bytes read
TR_NEV = 3          # events seen
TR_MASK = 4         # run_batch's mask (ST_BATCH)
TR_PUT = 5          # bytes sent
TR_NOW_US = 6       # the turn's monotonic clock
TR_NFIELDS = 7

# serve_turn's arrays, in its handle array (jit.handles), as loop.Server._handles makes it
NH_NT, NH_FDSLOT, NH_EVBUF, NH_RD, NH_DEFER, NH_TR = 0, 3, 6, 9, 12, 15

# struct epoll_event: uint32 events, then a uint64 of user data (the fd, as Python's
# select.epoll registers it); packed (12 bytes) on x86-64, naturally aligned elsewhere
EV_SIZE = 12 if platform.machine() in ("x86_64", "AMD64", "i686", "i386") else 16
EV_DATA = EV_SIZE - 8


def event_buffer(n):
    """Room for n epoll events."""
    return np.zeros(n * EV_SIZE, np.uint8)


def put_event(buf, i, fd, events):
    """Write event i as epoll would (for selectors other than epoll)."""
    o = i * EV_SIZE
    buf[o:o + 4] = np.frombuffer(int(events).to_bytes(4, "little"), np.uint8)
    buf[o + EV_DATA:o + EV_DATA + 8] = np.frombuffer(int(fd).to_bytes(8, "little"), np.uint8)


@kernel(inline=True)
def _u32(b, o):
    return np.int64(b[o]) | (np.int64(b[o + 1]) << 8) | (np.int64(b[o + 2]) << 16) | (np.int64(b[o + 3]) << 24)


@kernel(inline=True)
def _row(defer, nd, kind, a, b):
    defer[nd, 0] = kind
    defer[nd, 1] = a
    defer[nd, 2] = b
    return nd + 1


@kernel
def _wait(epfd, evbuf, timeout_ms):
    n = sys_epoll_wait(epfd, evbuf.ctypes.data, evbuf.shape[0] // EV_SIZE, timeout_ms)
    return n if n > 0 else 0            # -1 is EINTR: a signal; Python's handler runs after the call


@kernel
def _read_all(conn, nt, fdslot, evbuf, nev, now_us, ready, nready, defer):
    """Read each readable socket of the nev events; (slots in ready, rows in defer, bytes read)."""
    nd = 0
    got = 0
    for e in range(nev):
        o = e * EV_SIZE
        ev = _u32(evbuf, o)
        fd = _u32(evbuf, o + EV_DATA)
        slot = fdslot[fd] if fd < fdslot.shape[0] else FD_NONE
        if slot == FD_NONE:
            continue
        if slot == FD_LISTENER or (ev & ~EP_IN and nt[slot, N_WANT] & W_WRITE):
            nd = _row(defer, nd, D_EVENT, fd, ev)
            continue
        if not (ev & ~EP_OUT and nt[slot, N_WANT] & W_READ):
            continue
        wr = conn[slot, C_WR]
        cap = conn[slot, C_IN_CAP]
        if wr < cap:                    # else full: the core grows it
            m = conn[slot, C_RD_MAX]    # the core's bound on this read (Redis's read size)
            n = sys_recv(fd, conn[slot, C_IN_ADDR] + wr, m if m and wr + m < cap else cap - wr, 0)
            if n < 0:
                err = errno_now()
                if err == EAGAIN or err == EWOULDBLOCK or err == EINTR:
                    continue
            if n <= 0:
                nd = _row(defer, nd, D_DROP, slot, 0)
                continue
            conn[slot, C_WR] = wr + n
            nt[slot, N_LAST_US] = now_us
            got += n
            if wr + n == cap:           # Python reads the rest, or widens the buffer
                nd = _row(defer, nd, D_FULL, slot, m - n)
        ready[nready] = slot
        nready += 1
    return nready, nd, got


@kernel
def _send_all(conn, nt, ready, res, n, now_us, defer):
    """Send each of ready[:n]'s new replies (res rows); (rows in defer, bytes sent)."""
    nd = 0
    put = 0
    for i in range(n):
        slot = ready[i]
        sent = res[i, R_SENT]
        wr = res[i, R_WR]
        if res[i, R_ATT] or nt[slot, N_WANT] != W_READ:
            nd = _row(defer, nd, D_AFTER, slot, 0)
            continue
        if wr <= sent:
            continue
        k = sys_send(nt[slot, N_FD], conn[slot, C_OUT_ADDR] + sent, wr - sent, MSG_NOSIGNAL)
        if k < 0:
            err = errno_now()
            if err != EAGAIN and err != EWOULDBLOCK and err != EINTR:
                nd = _row(defer, nd, D_DROP, slot, 0)
                continue
            k = 0
        conn[slot, C_OUT_SENT] = sent + k
        if k:
            nt[slot, N_LAST_US] = now_us
        put += k
        if sent + k < wr:
            nd = _row(defer, nd, D_FLUSH, slot, 0)
    return nd, put


@kernel(entry=True)
def read_events(conn, nt, fdslot, evbuf, nev, epfd, timeout_ms, now_us, ready, nready, defer):
    """Wait for events (epfd >= 0; else take the nev in evbuf), read the readable sockets.

    Readable slots go to ready[nready:]; returns (slots in ready, rows in defer, bytes read,
    events seen).
    """
    if epfd >= 0:
        nev = _wait(epfd, evbuf, timeout_ms)
    nready, nd, got = _read_all(conn, nt, fdslot, evbuf, nev, now_us, ready, nready, defer)
    return nready, nd, got, nev


@kernel(entry=True)
def send_replies(conn, nt, ready, res, n, now_us, defer):
    """Send each of ready[:n]'s new replies (res rows: sent, written, attention).

    Returns (rows in defer, bytes sent).
    """
    return _send_all(conn, nt, ready, res, n, now_us, defer)


@kernel(entry=True)
def serve_turn(nh, haddr, batch, epfd, timeout_ms, rounds):
    """Up to `rounds` turns: wait, read, run the batch (run_batch at address `batch`, on the
    batch's handle array at haddr), send; ST_* where it stopped, its results in the turn row.

    After a turn of two or more connections that needed nothing of Python,
    the next waits for nothing (timeout 0): while clients keep the server
    busy, Python is entered once per `rounds` turns, not once per turn.
    Counts add up over the turns.
    """
    nt = i64view2(nh[NH_NT], nh[NH_NT + 1], nh[NH_NT + 2])
    fdslot = i64view(nh[NH_FDSLOT], nh[NH_FDSLOT + 1])
    evbuf = u8view(nh[NH_EVBUF], nh[NH_EVBUF + 1])
    rd = i64view(nh[NH_RD], nh[NH_RD + 1])
    defer = i64view2(nh[NH_DEFER], nh[NH_DEFER + 1], nh[NH_DEFER + 2])
    tr = i64view(nh[NH_TR], nh[NH_TR + 1])
    h = i64view(haddr, H_NFIELDS)
    conn = i64view2(h[H_CONN], h[H_CONN + 1], h[H_CONN + 2])
    ready = i64view(h[H_READY], h[H_READY + 1])
    res = i64view2(h[H_RES], h[H_RES + 1], h[H_RES + 2])
    bm = i64view(h[H_BM], h[H_BM + 1])
    tm = i64view(bm[B_FRAME], bm[B_FRAME + 1])      # the key space's first array (frame.py)
    tr[TR_GOT] = 0
    tr[TR_PUT] = 0
    tr[TR_NEV] = 0
    for r in range(rounds):
        nev = _wait(epfd, evbuf, timeout_ms if r == 0 else 0)
        now_us = clock_us(CLOCK_MONOTONIC)
        nready, nd, got = _read_all(conn, nt, fdslot, evbuf, nev, now_us, rd, 0, defer)
        tr[TR_NREADY] = nready
        tr[TR_NDEFER] = nd
        tr[TR_GOT] += got
        tr[TR_NEV] += nev
        tr[TR_MASK] = 0
        tr[TR_NOW_US] = now_us
        if nd or not nready:
            if r and not nd:
                return ST_DONE          # a later turn found nothing: the turns before were done
            return ST_READ
        for i in range(nready):
            ready[i] = rd[i]
        bm[B_NOW_US] = clock_us(CLOCK_REALTIME)
        mask = call_entry(batch, haddr, nready)
        tr[TR_MASK] = mask
        if mask or tm[T_TOUCHED] or tm[T_BLOCK_READY]:
            return ST_BATCH
        nd, put = _send_all(conn, nt, ready, res, bm[B_NREADY], now_us, defer)
        tr[TR_NDEFER] = nd
        tr[TR_PUT] += put
        if nd or nready < 2:
            break                       # (one client at a time: no empty poll before waiting)
    return ST_DONE
