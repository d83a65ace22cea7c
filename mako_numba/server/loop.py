"""The event loop: sockets in, sockets out, one batch per turn.

Theory of operation (the Mako flow, in one process):
1. One kernel call (netio.read_events) waits on the epoll set and reads
   every readable socket once, with recv, straight into its connection's
   numpy input buffer: at most the bytes the core allows (C_RD_MAX: Redis's
   read size, see querybuf.py).  No byte is looked at.  What is not that
   common case (a listener's event, a connection waiting to write, a closed
   socket, a read that filled the buffer) comes back as rows Python handles.
   Doing the reads from Python cost a few microseconds per request at 50
   clients, P=1 (a bound method, a memoryview slice, an exception for
   EAGAIN): as much as executing the request.
2. The readable slots, plus slots with unparsed input left from the previous
   turn, go to `Core.run`: one kernel call parses them all into the request
   queue, executes it and writes every reply; Python then runs the few
   slow-path commands and supplies memory the kernels asked for.
3. One kernel call (netio.send_replies) sends each touched connection's
   new replies.  What the socket does not take stays in its output buffer
   and is sent when writable (Python's `_flush`), so a slow reader never
   blocks the others; a client that stops reading while its replies pile
   up is not read from until it catches up.

Rules: this module owns sockets, the selector and signals, and never
interprets protocol bytes.  What it enforces per connection (idle timeout,
TCP keepalive, output buffer limits) is netlimits.py's; how it listens
(the bind addresses, CONFIG SET port and bind: `relisten`) is
listeners.py's.  It never blocks: every socket is non-blocking.
Per-connection state the kernels read is in the server's table `nt`
(netio.N_*: fd, registered interest, last I/O time) and `fdslot` (fd ->
slot), not in Python objects.
"""
import errno
import logging
import math
import selectors
import signal
import socket
import time

import numpy as np

from mako_numba.config import settings as config
from mako_numba.protocol import errors
from mako_numba.server.listeners import bind_words, listen_to_port
from mako_numba.server.netlimits import NetLimits
from mako_numba.server.netio import (D_AFTER, D_DROP, D_EVENT, D_NFIELDS, EP_IN, EP_OUT,
                                     FD_LISTENER, FD_NONE, N_LAST_US, N_NFIELDS, N_WANT, ST_BATCH,
                                     ST_DONE, TR_NFIELDS, event_buffer, put_event, read_events,
                                     send_replies, serve_turn)
from mako_numba.base.jit import entry_address, handles
from mako_numba.base.layout import B_NREADY, C_WR, T_MIG
from mako_numba.commands.frame import ENTRY_ARGS
from mako_numba.engine.batch import run_batch

log = logging.getLogger("mako_numba")

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE
MAXCLIENTS_REPLY = b"-ERR max number of clients reached\r\n"
_SPARE_EVENTS = 16                  # event rows beyond one per slot (the listeners)


def now_us():
    """The loop's clock (nt's N_LAST_US): monotonic microseconds."""
    return int(time.monotonic() * 1e6)


class Server:
    def __init__(self, core, host=config.DEFAULT_BIND, port=config.DEFAULT_PORT):
        self.core = core
        self.sel = selectors.DefaultSelector()
        self.listeners = {}                               # fd -> listening socket
        self.fdslot = np.full(1024, FD_NONE, np.int64)    # fd -> slot (netio.FD_*: none, listener)
        self.tr = np.zeros(TR_NFIELDS, np.int64)          # the turn row (netio.TR_*)
        n = len(core.inmv)
        self.nt = np.zeros((n, N_NFIELDS), np.int64)      # slot -> fd, interest, last I/O (netio.py)
        self._size_events(n)
        words = bind_words(host)
        if isinstance(words, str):
            raise OSError(errno.EINVAL, words)
        self._listen(words, port, pick=True)
        if not self.listeners:
            raise OSError(errno.EADDRNOTAVAIL, "no address to listen on")
        self.host, self.port = next(iter(self.listeners.values())).getsockname()[:2]
        core.settings["port"] = self.port
        core.settings.setdefault("bind", host)
        core.relisten = self.relisten
        self.socks = {}                                   # slot -> socket
        ep = getattr(self.sel, "_selector", None)
        self._epfd = ep.fileno() if isinstance(self.sel, getattr(selectors, "EpollSelector", ())) else -1
        self._idle_ms = int(math.ceil(config.IDLE_TICK * 1000))
        self._batch = entry_address(run_batch, ENTRY_ARGS)  # what serve_turn calls
        self.stopping = False
        self._pending = []          # slots with unparsed input: run without new bytes
        self._paused = set()        # slots not run until their replies drain
        self._next_cron = 0.0
        self.limits = NetLimits(self)                     # timeout, keepalive, output limits
        self.net = core.net                               # counters (netlimits.NetStats)
        self.net.input = self.net.output = self.net.rejected = self.net.denied = 0
        core.on_grow = self._grown

    def _size_events(self, n):
        """Room for a turn's events and their rows: one per slot, and the listeners'."""
        cap = n + _SPARE_EVENTS
        old = getattr(self, "rd", None), getattr(self, "defer", None)
        self.evbuf = event_buffer(cap)
        self.rd = np.zeros(cap, np.int64)                 # the turn's readable slots
        self.defer = np.zeros((cap, D_NFIELDS), np.int64)   # rows for Python (netio.D_*)
        if old[0] is not None:      # grown mid-turn (an accept): the turn's rows so far stay
            self.rd[:len(old[0])] = old[0]
            self.defer[:len(old[1])] = old[1]
        self._handles()

    def _handles(self):
        """serve_turn's handle array (netio.NH_*), after any of its arrays was replaced."""
        self.nh = handles([self.nt, self.fdslot, self.evbuf, self.rd, self.defer, self.tr])

    def _grown(self, n):
        """The connection table has n rows now (maxclients.py): the per-slot table follows."""
        nt = np.zeros((n, N_NFIELDS), np.int64)
        nt[:len(self.nt)] = self.nt
        self.nt = nt
        self._size_events(n)

    def _map_fd(self, fd, slot):
        """fdslot[fd] = slot (FD_LISTENER for a listener, FD_NONE once closed)."""
        if fd >= len(self.fdslot):
            grown = np.full(max(2 * len(self.fdslot), fd + 1), FD_NONE, np.int64)
            grown[:len(self.fdslot)] = self.fdslot
            self.fdslot = grown
            self._handles()
        self.fdslot[fd] = slot

    def _listen(self, addrs, port, pick=False):
        """Listen on every address of addrs (listeners.py); OSError with none open.

        With `pick` (the command line), port 0 is a free port, the first
        address's; at run time it means no listener at all, as in Redis.
        """
        self._close_listeners()
        if port == 0 and not pick:
            return
        socks = listen_to_port(addrs[:1], port)
        if socks and port == 0:
            port = socks[0].getsockname()[1]
        try:
            socks += listen_to_port(addrs[1:], port)
        except OSError:
            for s in socks:
                s.close()
            raise
        for s in socks:
            self.sel.register(s, _READ, None)
            self.listeners[s.fileno()] = s
            self._map_fd(s.fileno(), FD_LISTENER)

    def _close_listeners(self):
        for fd, s in self.listeners.items():
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            self.fdslot[fd] = FD_NONE
            s.close()
        self.listeners = {}

    def relisten(self, bind_changed):
        """CONFIG SET port or bind (changeListenPort, changeBindAddr): listen on the settings'
        addresses and port instead; False (nothing listening) if that fails.  A port set to
        the one it has changes nothing (Redis applies only a new value; bind always)."""
        s = self.core.settings
        port = int(s["port"])
        if not bind_changed and port == self.port:
            return True
        self.port = port
        try:
            self._listen(bind_words(s.get("bind", config.DEFAULT_BIND)), port)
        except OSError:
            return False
        return True

    # --- lifecycle ---------------------------------------------------------------
    on_stop = None

    def stop(self, *_):
        if not self.stopping and self.on_stop is not None:
            self.on_stop()
        self.stopping = True

    def install_signals(self):
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    on_shutdown = None      # after a signal: returns False to keep serving (the final save failed)

    def serve_forever(self):
        core = self.core
        try:
            while True:
                while not self.stopping and not core.shutdown_requested:
                    self.turn()
                if core.shutdown_requested or self.on_shutdown is None or self.on_shutdown():
                    break
                self.stopping = False
        finally:
            self.close_all()

    def close_all(self):
        for slot in list(self.socks):
            self._drop(slot)
        self._close_listeners()
        self.sel.close()

    # --- one turn ------------------------------------------------------------------------
    def turn(self):
        core = self.core
        now = time.monotonic()
        if now >= self._next_cron:
            self._next_cron = now + 1.0 / config.CRON_HZ
            core.cron()
            self.limits.cron(now)
        if core.background is not None or core.parked:     # kernels compiling at a first start
            woken = core.poll_kernels()
            if woken:
                self._pending = list(self._pending) + woken
        blocking = core.blocking
        if blocking.deadlines:                          # blocked clients whose time is up
            expired = blocking.expire(int(time.time() * 1000))
            if expired:
                self._pending = list(self._pending) + expired
        busy = self._pending or core.ks.tm[T_MIG]       # rehashing continues while idle
        timeout = 0 if busy else self._idle_ms
        if blocking.deadlines and timeout:
            due = blocking.next_deadline()
            if due is not None:
                timeout = max(0, min(timeout, due - int(time.time() * 1000)))
        if self._pending or self._epfd < 0:
            self._turn_in_steps(timeout, int(now * 1e6))
            return
        core.frame()
        rounds = 1 if core.background is not None else config.TURNS_PER_CALL
        st = serve_turn(self.nh, core.haddr, self._batch, self._epfd, timeout, rounds)
        nready, nd, got, nev, mask, put, t_us = self.tr.tolist()
        self.net.input += got
        if st == ST_DONE:               # the common turn, all in the kernels
            self.net.output += put
            if nd:
                self._deferred_sends(nd)
        elif st == ST_BATCH:
            self._after_batch(core.finish(mask), t_us)
        else:
            self._after_reads(nready, nd, nev, t_us)

    def _turn_in_steps(self, timeout, t_us):
        """The same turn, one kernel call per step: with input left from the turn before
        (those slots run first), or another selector than epoll."""
        if self._epfd >= 0:
            nev = 0
        else:
            nev, timeout = self._select(timeout), 0
        nready, nd, got, nev = read_events(self.core.conn, self.nt, self.fdslot, self.evbuf, nev,
                                           self._epfd, timeout, t_us, self.rd, 0, self.defer)
        self.net.input += got
        self._after_reads(nready, nd, nev, t_us)

    def _after_reads(self, nready, nd, nev, t_us):
        """Python's rows from the reads, then the batch and the sends."""
        if nd:
            nready, more = self._deferred_reads(nd, nready, t_us)
            self.net.input += more
        if self._pending:
            ready = self._with_pending(self.rd[:nready].tolist())
        else:
            ready = self.rd[:nready]
        if not len(ready):
            self._pending = []
            if not nev:
                self.core.ks.idle_step()
            return
        self._after_batch(self.core.run(ready), t_us)

    def _after_batch(self, again, t_us):
        """A batch ran (`again`: slots with work left): send its replies."""
        core = self.core
        self._pending = again
        if core.observe.woken:              # MONITOR lines: buffers moved under the rows
            self._wake_monitors(core.batch_slots().tolist())
            return
        nd, put = send_replies(core.conn, self.nt, core.ready, core.res, int(core.bm[B_NREADY]), t_us,
                               self.defer)
        self.net.output += put
        if nd:
            self._deferred_sends(nd)

    def _deferred_sends(self, nd):
        """The rows send_replies left: attention, a failed socket, replies left to send."""
        for kind, slot, _ in self.defer[:nd].tolist():
            if slot not in self.socks:
                continue
            if kind == D_AFTER:
                self._after(slot)
            elif kind == D_DROP:
                self._drop(slot)
            else:                       # D_FLUSH
                self._flush(slot)

    def _select(self, timeout_ms):
        """Another selector than epoll: its events into the event buffer as epoll puts them."""
        n = 0
        for key, ev in self.sel.select(timeout_ms / 1000):
            if n >= len(self.rd):
                break
            put_event(self.evbuf, n, key.fd, (EP_IN if ev & _READ else 0) | (EP_OUT if ev & _WRITE else 0))
            n += 1
        return n

    def _deferred_reads(self, nd, nready, t_us):
        """The rows read_events left: accept, flush (then read), close, a full buffer."""
        got = 0
        retry = []
        for kind, a, b in self.defer[:nd].tolist():
            if kind == D_EVENT:
                slot = int(self.fdslot[a])
                if slot == FD_LISTENER:
                    self._accept(self.listeners[a])
                elif slot >= 0:
                    self._flush(slot)       # writable, or an error/hang-up
                    if slot in self.socks and b & ~EP_OUT:
                        retry.append(a)     # then read, if it still wants to
            elif kind == D_DROP:
                self._drop(a)
            elif b > 0:                     # D_FULL: the buffer, not the bound, ended the read
                got += self._read_rest(a, b)
            else:
                self.core.widen_input(a)
        if retry:
            for i, fd in enumerate(retry):
                put_event(self.evbuf, i, fd, EP_IN)
            nready, nd, more, _ = read_events(self.core.conn, self.nt, self.fdslot, self.evbuf,
                                              len(retry), -1, 0, t_us, self.rd, nready, self.defer)
            got += more
            if nd:                          # (no D_EVENT: these events are reads only)
                nready, more = self._deferred_reads(nd, nready, t_us)
                got += more
        return nready, got

    def _with_pending(self, readable):
        """This turn's slots: those with unparsed input first (unless paused), then the readable."""
        core = self.core
        ready = []
        seen = set()
        for slot in self._pending:
            if slot in self.socks and slot not in seen:
                if core.pending_output(slot) > config.READ_PAUSE_OUTPUT:
                    self._paused.add(slot)      # resumes when its replies drain
                else:
                    seen.add(slot)
                    ready.append(slot)
        for slot in readable:
            if slot not in seen:
                seen.add(slot)
                ready.append(slot)
        return ready

    def _read_rest(self, slot, m):
        """Grow the input buffer and read up to m more: one read of Redis's size, as Redis's."""
        core = self.core
        core.fit_read(slot)
        wr = int(core.conn[slot, C_WR])
        try:
            n = self.socks[slot].recv_into(core.inmv[slot][wr:wr + m])
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError:
            return 0                        # the next read meets the error again
        core.received(slot, n)
        return n

    def _wake_monitors(self, ready):
        """Send this turn's replies and MONITOR lines from the live connection table."""
        woken = self.core.observe.woken
        for slot in ready + [s for s in woken if s not in ready]:
            if slot in self.socks:
                self._after(slot)
        woken.clear()

    def _accept(self, listener):
        while True:
            try:
                sock, peer = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # EMFILE and friends: try again next turn
                if e.errno in (errno.EMFILE, errno.ENFILE):
                    log.warning("Error accepting a client connection: %s", e.strerror)
                return
            if self.core.admin.refused_by_protected_mode(peer[0]):
                self.core.next_client_id += 1   # Redis made it a client (an id), not a connection
                self.net.denied += 1
                try:                        # blocking for this one short write, as Redis's
                    sock.sendall(errors.reply(errors.DENIED_PROTECTED))
                except OSError:
                    pass
                sock.close()
                continue
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            slot = self.core.open(peer, sock.fileno())
            if slot is None:
                self.net.rejected += 1
                try:
                    sock.send(MAXCLIENTS_REPLY)
                except OSError:
                    pass
                sock.close()
                continue
            self.socks[slot] = sock
            self.nt[slot] = (sock.fileno(), _READ, now_us())
            self._map_fd(sock.fileno(), slot)
            self.sel.register(sock, _READ, slot)
            self.limits.accepted(slot, sock)
            log.debug("Accepted %s:%s", peer[0], peer[1])

    def _after(self, slot):
        how = self.core.closing(slot)
        if how == "now":
            self._drop(slot)
            return
        self._flush(slot)

    def _flush(self, slot):
        core = self.core
        sock = self.socks[slot]
        out = core.output(slot)
        if len(out):
            try:
                n = sock.send(out)
            except (BlockingIOError, InterruptedError):
                n = 0
            except OSError:
                self._drop(slot)
                return
            core.sent(slot, n)
            self.net.output += n
            if n:
                self.nt[slot, N_LAST_US] = now_us()
        left = core.pending_output(slot)
        if left and self.limits.output_over(slot, left):
            self._drop(slot)
            return
        if slot in self._paused and left <= config.READ_PAUSE_OUTPUT:
            self._paused.discard(slot)
            self._pending.append(slot)
        if left == 0 and core.closing(slot):
            self._drop(slot)
            return
        want = _READ
        if left:
            want = _WRITE if left > config.READ_PAUSE_OUTPUT else _READ | _WRITE
        if core.closing(slot):
            want = _WRITE
        if want != self.nt[slot, N_WANT]:
            self.nt[slot, N_WANT] = want
            self.sel.modify(sock, want, slot)

    def _drop(self, slot):
        sock = self.socks.pop(slot, None)
        if sock is None:
            return
        self.nt[slot] = 0
        self.fdslot[sock.fileno()] = FD_NONE
        try:
            self.sel.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()
        self.core.close(slot)
        self.limits.closed(slot)
        self._paused.discard(slot)
        self._pending = [s for s in self._pending if s != slot]
