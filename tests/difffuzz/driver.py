"""Replays a sequence on a real Redis and on mako_numba in lockstep, reply by reply.

- `Side`: one server, its connections "A" and "B" (raw sockets), opened on
  first use and reopened after EOF (both sides alike, so a QUIT, a protocol
  error or a CLIENT KILL leaves them in step).
- `Pair.reset()`: the full reset before every sequence and every replay
  while minimising: new connections, leftover clients killed, FLUSHALL,
  every parameter CONFIG SET may touch back to Redis's default, active
  expiry off (DEBUG SET-ACTIVE-EXPIRE 0: only lazy expiry deletes keys).
- `Pair.run(steps)`: sends each step to both servers before reading either
  (they work in parallel); after protocol garbage a QUIT follows (the one
  request answered at once even inside MULTI) and replies are read up to
  EOF, so the garbage's replies, whatever their number, are all compared.
  It normalises every reply (normalise.py) and stops at the first
  difference, returned as a `Diff`; None when all agree.  A SCAN with
  cursor 0 outside MULTI is a full walk: its keys, sorted, are the reply
  compared.
- A server that refuses connections has died: ServerDied, at the next
  reset() or reconnection; `Pair.last` is the sequence run before it.
"""
import socket
import time

from . import resp
from .families.server import RESET
from .normalise import normalise

REPLY_WAIT = 5.0          # seconds a well-formed request's reply may take
GARBAGE_WAIT = 1.0        # after garbage and QUIT: EOF, or a timeout


class ServerDied(Exception):
    """A server stopped accepting connections (it crashed): args[0] names which."""


class Diff:
    def __init__(self, index, request, ref, mako):
        self.index, self.request, self.ref, self.mako = index, request, ref, mako


class Side:
    def __init__(self, port, name):
        self.port, self.name = port, name
        self.conns = {}

    def _connect(self):
        for attempt in range(5):        # a refusal can be a passing thing (a port in TIME_WAIT)
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=REPLY_WAIT)
                break
            except ConnectionRefusedError:
                time.sleep(0.1 * attempt)
        else:
            raise ServerDied(self.name)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def conn(self, name):
        r = self.conns.get(name)
        if r is None or r.dead:
            if r is not None:
                r.sock.close()
            r = self.conns[name] = resp.Reader(self._connect())
        return r

    def send(self, name, data):
        r = self.conn(name)
        try:
            r.sock.settimeout(REPLY_WAIT)
            r.sock.sendall(data)
        except OSError:
            pass            # the server closed it: reading says EOF

    def close(self):
        for r in self.conns.values():
            r.sock.close()
        self.conns = {}

    def alive(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
            return True
        except OSError:
            return False

    def admin(self, requests):
        """Run requests on a fresh connection; their replies as bytes."""
        with self._connect() as s:
            s.sendall(b"".join(resp.multibulk(a) for a in requests))
            rd = resp.Reader(s)
            deadline = time.monotonic() + 30
            got = [resp.dump(rd.reply(deadline)) for _ in requests]
        if b"<EOF>" in got or b"<TIMEOUT>" in got:
            for _ in range(20):             # dying while it answered?
                if not self.alive():
                    raise ServerDied(self.name)
                time.sleep(0.1)
        return got


def encode(enc, args):
    data = resp.inline(args) if enc == "i" else None
    return data if data is not None else resp.multibulk(args)


class Pair:
    """Both servers.  revive: None, or a function that restarts the dead servers and
    returns (redis port, mako port, text about the death); see runner.Servers."""

    def __init__(self, ref_port, mako_port, revive=None):
        self.ref, self.mako = Side(ref_port, "redis"), Side(mako_port, "mako_numba")
        self.revive, self.last = revive, []
        got = self.ref.admin([[b"CONFIG", b"GET", name] for name in RESET])
        self.defaults = {}
        for name, raw in zip(RESET, got):
            parts = raw.split(b"\r\n")
            self.defaults[name] = parts[-2] if parts[-3].startswith(b"$") and parts[-3] != b"$0" else b""
        self.commands = 0

    def reset(self):
        reqs = [[b"CLIENT", b"KILL", b"TYPE", b"normal", b"SKIPME", b"yes"], [b"FLUSHALL"],
                [b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"]]
        reqs += [[b"CONFIG", b"SET", k, v] for k, v in self.defaults.items()]
        for side in (self.ref, self.mako):
            side.close()
            got = side.admin(reqs)
            if any(not g.startswith((b"+OK", b":")) for g in got):
                raise RuntimeError(f"reset failed on port {side.port}: {got}")
        self.queued = {"A": None, "B": None}

    def _track(self, conn, args, tree):
        """MULTI bookkeeping from the reference's replies: which requests EXEC ran."""
        name = args[0].lower() if args else b""
        q = self.queued[conn]
        if tree[0] == "EOF" or name == b"reset":
            self.queued[conn] = None
        elif name == b"multi" and tree == (ord("+"), b"OK"):
            self.queued[conn] = []
        elif q is not None and name in (b"exec", b"discard"):
            if not (tree[0] == ord("-") and tree[1].startswith(b"ERR wrong number")):
                self.queued[conn] = None
        elif q is not None and tree == (ord("+"), b"QUEUED"):
            q.append(args)
        return q

    def _walk(self, side, conn, args, first):
        keys, tree, n = set(), first, 0
        while tree[0] == ord("*") and tree[1] and len(tree[1]) == 2 and tree[1][0][0] == ord("$"):
            keys.update(x[1] for x in tree[1][1][1] or [])
            if tree[1][0][1] == b"0" or n > 1000:
                return (ord("*"), [(ord("+"), b"<full walk>")] +
                        [(ord("$"), k) for k in sorted(keys)])
            side.send(conn, resp.multibulk([args[0], tree[1][0][1]] + args[2:]))
            tree = side.conn(conn).reply(time.monotonic() + REPLY_WAIT)
            n += 1
        return tree

    def _fresh(self, conn):
        """A connection about to be (re)opened starts outside MULTI."""
        r = self.ref.conns.get(conn)
        if r is None or r.dead:
            self.queued[conn] = None

    def _cmd(self, i, conn, enc, args):
        self._fresh(conn)
        data = encode(enc, args)
        for side in (self.ref, self.mako):
            side.send(conn, data)
        deadline = time.monotonic() + REPLY_WAIT
        trees = [side.conn(conn).reply(deadline) for side in (self.ref, self.mako)]
        if args[0].lower() == b"scan" and len(args) > 1 and args[1] == b"0" \
                and self.queued[conn] is None:
            trees = [self._walk(s, conn, args, t) for s, t in zip((self.ref, self.mako), trees)]
        queued = self._track(conn, args, trees[0])
        self.commands += 1
        a, b = (resp.dump(normalise(args, t, queued)) for t in trees)
        return None if a == b else Diff(i, args, a, b)

    def _pipe(self, i, conn, cmds, garbage):
        self._fresh(conn)
        data = b"".join(encode(e, a) for e, a in cmds) + garbage
        if garbage:
            data += resp.multibulk([b"QUIT"])
        for side in (self.ref, self.mako):
            side.send(conn, data)
        deadline = time.monotonic() + (GARBAGE_WAIT if garbage else REPLY_WAIT) + len(data) / 1e6
        out = [[], []]
        for s, side in enumerate((self.ref, self.mako)):
            rd = side.conn(conn)
            for k in range(len(cmds) + (200 if garbage else 0)):
                t = rd.reply(deadline)
                out[s].append(t)
                if t[0] in ("EOF", "TIMEOUT"):
                    break
        self.commands += len(cmds) + bool(garbage)
        for k in range(max(len(out[0]), len(out[1]))):
            ta = out[0][k] if k < len(out[0]) else ("NOTHING", None)
            tb = out[1][k] if k < len(out[1]) else ("NOTHING", None)
            args = cmds[k][1] if k < len(cmds) else [b"<garbage>"]
            queued = self._track(conn, args, ta) if k < len(cmds) else None
            a, b = (resp.dump(normalise(args, t, queued)) for t in (ta, tb))
            if a != b:
                return Diff(i, args, a, b)
        return None

    def run(self, steps):
        """Replay steps (after reset()); the first difference, or None."""
        self.last = steps
        for i, st in enumerate(steps):
            if st[0] == "sleep":
                time.sleep(st[1] / 1000)
                continue
            d = self._cmd(i, *st[1:]) if st[0] == "cmd" else self._pipe(i, *st[1:])
            if d is not None:
                return d
        return None

    def alive(self):
        """(redis, mako): does each still accept connections?"""
        return self.ref.alive(), self.mako.alive()

    def revive_servers(self):
        """Restart whichever server died; what its log said about it."""
        self.close()
        ref_port, mako_port, text = self.revive()
        self.ref, self.mako = Side(ref_port, "redis"), Side(mako_port, "mako_numba")
        return text

    def close(self):
        self.ref.close()
        self.mako.close()
