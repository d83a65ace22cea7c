"""RESP on the fuzzer's side: encoding requests, reading and re-serialising replies.

- `multibulk(args)` / `inline(args)`: one request as bytes.  Inline quotes an
  argument ("...", with \\xHH escapes) only when it must; it is None when the
  request cannot be written inline at all (nothing can be: an empty command).
- `Reader`: a buffered socket reader; `reply(deadline)` parses exactly one
  RESP2/RESP3 reply into a tree, or returns EOF / TIMEOUT.
- A reply tree is (type byte, payload): payload is the line's bytes for
  + - : , # ( _, the content (None for a null) for $ ! =, a list of trees
  (None for a null) for * ~ > and a flat key, value, key, value list for % |.
  `dump(tree)` writes it back as bytes, so normalised trees compare as bytes.
"""
import socket
import time

EOF = ("EOF", None)
TIMEOUT = ("TIMEOUT", None)
LINE_TYPES = b"+-:,#(_"
BULK_TYPES = b"$!="
AGG_TYPES = b"*~>"
MAP_TYPES = b"%|"


def multibulk(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


_PLAIN = set(range(0x21, 0x7f)) - {ord('"'), ord("'"), ord("\\")}


def _quote(a):
    if a and all(c in _PLAIN for c in a):
        return a
    out = bytearray(b'"')
    for c in a:
        if c == 0x22 or c == 0x5c:
            out += b"\\" + bytes([c])
        elif 0x20 <= c < 0x7f:
            out.append(c)
        else:
            out += b"\\x%02x" % c
    return bytes(out + b'"')


def inline(args):
    if not args:
        return None
    return b" ".join(_quote(a) for a in args) + b"\r\n"


class Reader:
    """Reads replies from one socket; after EOF or TIMEOUT the socket is dead."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0
        self.dead = False

    def _fill(self, deadline):
        # past the deadline one short wait still reads what already arrived
        self.sock.settimeout(max(deadline - time.monotonic(), 0.02))
        try:
            chunk = self.sock.recv(1 << 18)
        except socket.timeout:
            raise TimeoutError from None
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            raise EOFError
        if self.pos:
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += chunk

    def _line(self, deadline):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            self._fill(deadline)

    def _exact(self, n, deadline):
        while len(self.buf) - self.pos < n + 2:
            self._fill(deadline)
        data = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n + 2
        return data

    def _tree(self, deadline):
        line = self._line(deadline)
        if not line:
            return (ord("?"), line)
        t, rest = line[0], line[1:]
        if t in LINE_TYPES:
            return (t, rest)
        try:
            n = int(rest)
        except ValueError:
            return (ord("?"), line)
        if t in BULK_TYPES:
            return (t, None if n < 0 else self._exact(n, deadline))
        if t in AGG_TYPES:
            return (t, None if n < 0 else [self._tree(deadline) for _ in range(n)])
        if t in MAP_TYPES:
            return (t, [self._tree(deadline) for _ in range(2 * n)])
        return (ord("?"), line)

    def reply(self, deadline):
        """One reply tree, or EOF / TIMEOUT (the reader is dead after either)."""
        if self.dead:
            return EOF
        try:
            return self._tree(deadline)
        except EOFError:
            self.dead = True
            return EOF
        except TimeoutError:
            self.dead = True
            return TIMEOUT


def dump(tree):
    """The bytes of a reply tree (EOF and TIMEOUT as markers)."""
    t, p = tree
    if isinstance(t, str):
        return b"<%s>" % t.encode()
    if t == ord("?"):
        return b"?" + p + b"\r\n"
    if t in LINE_TYPES:
        return bytes([t]) + p + b"\r\n"
    if t in BULK_TYPES:
        return b"%c-1\r\n" % t if p is None else b"%c%d\r\n%s\r\n" % (t, len(p), p)
    if t in AGG_TYPES:
        if p is None:
            return b"%c-1\r\n" % t
        return b"%c%d\r\n" % (t, len(p)) + b"".join(dump(x) for x in p)
    return b"%c%d\r\n" % (t, len(p) // 2) + b"".join(dump(x) for x in p)
