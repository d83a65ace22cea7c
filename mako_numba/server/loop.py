"""The event loop: sockets in, sockets out, one batch per turn.

Theory of operation (the Mako flow, in one process):
1. `selectors` reports readable sockets; each is read once with recv_into
   straight into its connection's numpy input buffer, at most the bytes
   the core allows (C_RD_MAX: Redis's read size, see querybuf.py).  No byte
   is looked at.
   The selector registers the sockets; the turn reads its epoll's raw
   (fd, mask) pairs (`_Events`): building a SelectorKey pair per event cost
   0.35 us of the ~3 us of Python a request costs at 50 clients, P=1.
2. The readable slots, plus slots with unparsed input left from the previous
   turn, go to `Core.run`: one kernel call parses them all into the request
   queue, executes it and writes every reply; Python then runs the few
   slow-path commands and supplies memory the kernels asked for.
3. Each touched connection's unsent replies are sent.  What the socket does
   not take stays in its output buffer and is sent when writable, so a slow
   reader never blocks the others; a client that stops reading while its
   replies pile up is not read from until it catches up.

Rules: this module owns sockets, the selector and signals, and never
interprets protocol bytes.  What it enforces per connection (idle timeout,
TCP keepalive, output buffer limits) is netlimits.py's; how it listens
(the bind addresses, CONFIG SET port and bind: `relisten`) is
listeners.py's.  It never blocks: every socket is non-blocking.
Per-connection state the turn reads is in lists indexed by slot (the bound
recv_into/send methods, the registered interest), not dicts of objects.
"""
import errno
import logging
import select
import selectors
import signal
import socket
import time

from mako_numba.config import settings as config
from mako_numba.protocol import errors
from mako_numba.server.listeners import bind_words, listen_to_port
from mako_numba.server.netlimits import NetLimits
from mako_numba.base.layout import C_NFIELDS, C_OUT_SENT, C_RD_MAX, C_WR
from mako_numba.base.layout import T_MIG

log = logging.getLogger("mako_numba")

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE
_EP_IN = getattr(select, "EPOLLIN", 1)
_EP_OUT = getattr(select, "EPOLLOUT", 4)
MAXCLIENTS_REPLY = b"-ERR max number of clients reached\r\n"
_RD_MAX = C_RD_MAX - C_WR


class _Events:
    """The selector's ready events as (fd, epoll mask) pairs.

    With an EpollSelector, its epoll object's poll() as it is; other
    selectors' (key, events) are translated, so the turn has one shape.
    """

    def __init__(self, sel):
        self.sel = sel
        ep = getattr(sel, "_selector", None) if isinstance(sel, getattr(selectors, "EpollSelector", ())) else None
        self.poll = ep.poll if ep is not None else self._translated

    def _translated(self, timeout, maxevents):
        return [(key.fd, (_EP_IN if ev & _READ else 0) | (_EP_OUT if ev & _WRITE else 0))
                for key, ev in self.sel.select(timeout)]


class Server:
    def __init__(self, core, host=config.DEFAULT_BIND, port=config.DEFAULT_PORT):
        self.core = core
        self.sel = selectors.DefaultSelector()
        self.listeners = {}                               # fd -> listening socket
        self._slot_of = {}                                # fd -> slot (-1: a listener)
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
        n = len(core.inmv)
        self.want = [0] * n                               # slot -> registered _READ/_WRITE
        self._recv_into = [None] * n                      # slot -> sock.recv_into
        self._send = [None] * n                           # slot -> sock.send
        self._poll = _Events(self.sel).poll
        self.stopping = False
        self._pending = []          # slots with unparsed input: run without new bytes
        self._paused = set()        # slots not run until their replies drain
        self._next_cron = 0.0
        self.limits = NetLimits(self)                     # timeout, keepalive, output limits
        self._cv = memoryview(core.conn).cast("B").cast("q")   # the connection table, flat:
        self.net = core.net                               # counters (netlimits.NetStats)
        self.net.input = self.net.output = self.net.rejected = self.net.denied = 0
        core.on_grow = self._grown

    def _grown(self, n):
        """The connection table has n rows now (maxclients.py): the per-slot lists follow."""
        more = n - len(self.want)
        for lst, blank in ((self.want, 0), (self._recv_into, None), (self._send, None),
                           (self.limits.last, 0.0)):
            lst.extend([blank] * more)
        self._cv = memoryview(self.core.conn).cast("B").cast("q")

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
            self._slot_of[s.fileno()] = -1

    def _close_listeners(self):
        for fd, s in self.listeners.items():
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            del self._slot_of[fd]
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
        busy = self._pending or core.ks.tm[T_MIG]       # rehashing continues while idle
        try:
            events = self._poll(0 if busy else config.IDLE_TICK, len(self.socks) + 1)
        except InterruptedError:
            events = []
        socks = self.socks
        slot_of = self._slot_of
        want = self.want
        recv_into = self._recv_into
        inmv = core.inmv
        cv = self._cv
        last = self.limits.last
        readable = []
        got = 0
        for fd, ev in events:
            slot = slot_of.get(fd)
            if slot is None:
                continue                    # closed earlier this turn
            if slot < 0:
                self._accept(self.listeners[fd])
                cv = self._cv               # a new table if it grew
                continue
            w = want[slot]
            if ev & ~_EP_IN and w & _WRITE:     # writable, or an error/hang-up: flush
                self._flush(slot)
                if recv_into[slot] is None:
                    continue
                w = want[slot]
            if not (ev & ~_EP_OUT and w & _READ):
                continue
            # read what the socket has into the slot's input buffer (no byte is looked at)
            i = slot * C_NFIELDS + C_WR
            wr = cv[i]
            mv = inmv[slot]
            if wr < len(mv):                # else full: the core grows it
                m = cv[i + _RD_MAX]         # the core's bound on this read (Redis's read size)
                try:
                    n = recv_into[slot](mv[wr:wr + m] if m and wr + m < len(mv) else mv[wr:] if wr else mv)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    self._drop(slot)
                    continue
                if n == 0:
                    self._drop(slot)
                    continue
                cv[i] = wr + n
                last[slot] = now
                got += n
                if wr + n == len(mv):
                    if m > n:                   # the buffer, not the bound, ended the read
                        got += self._read_rest(slot, m - n)
                    else:
                        core.widen_input(slot)
            readable.append(slot)
        self.net.input += got
        ready = readable
        if self._pending:
            ready = []
            seen = set()
            for slot in self._pending:
                if slot in socks and slot not in seen:
                    if core.pending_output(slot) > config.READ_PAUSE_OUTPUT:
                        self._paused.add(slot)      # resumes when its replies drain
                    else:
                        seen.add(slot)
                        ready.append(slot)
            for slot in readable:
                if slot not in seen:
                    seen.add(slot)
                    ready.append(slot)
        if not ready:
            self._pending = []
            if not events:
                core.ks.idle_step()
            return
        self._pending = core.run(ready)
        if core.observe.woken:              # MONITOR lines: buffers moved under the rows
            self._wake_monitors(ready)
            return
        send = self._send
        outmv = core.outmv
        put = 0
        for slot, (sent, wr, att) in zip(ready, core.rows):
            if att or want[slot] != _READ:
                if slot in self.socks:
                    self._after(slot)
            elif wr > sent:
                # the common case: send this turn's replies, nothing else to do
                try:
                    n = send[slot](outmv[slot][sent:wr])
                except (BlockingIOError, InterruptedError):
                    n = 0
                except OSError:
                    self._drop(slot)
                    continue
                cv[slot * C_NFIELDS + C_OUT_SENT] = sent + n
                if n:
                    last[slot] = now
                put += n
                if sent + n < wr:
                    self._flush(slot)
        self.net.output += put

    def _read_rest(self, slot, m):
        """Grow the input buffer and read up to m more: one read of Redis's size, as Redis's."""
        core = self.core
        core.fit_read(slot)
        wr = int(core.conn[slot, C_WR])
        try:
            n = self._recv_into[slot](core.inmv[slot][wr:wr + m])
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
            self.want[slot] = _READ
            self._recv_into[slot] = sock.recv_into
            self._send[slot] = sock.send
            self._slot_of[sock.fileno()] = slot
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
                self.limits.last[slot] = time.monotonic()
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
        if want != self.want[slot]:
            self.want[slot] = want
            self.sel.modify(sock, want, slot)

    def _drop(self, slot):
        sock = self.socks.pop(slot, None)
        if sock is None:
            return
        self.want[slot] = 0
        self._recv_into[slot] = self._send[slot] = None
        self._slot_of.pop(sock.fileno(), None)
        try:
            self.sel.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()
        self.core.close(slot)
        self.limits.closed(slot)
        self._paused.discard(slot)
        self._pending = [s for s in self._pending if s != slot]
