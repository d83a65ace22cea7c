"""A minimal blocking client for the dashboard: connect, AUTH, `INFO everything`.

It speaks just enough RESP2 over a plain socket to poll one server, any
Redis-compatible one: commands go out as arrays of bulk strings; replies are
simple strings, errors, integers and bulk strings.

- `info()` connects on first use (and after any failure), sends `AUTH
  password` (or `AUTH user password`) when given one, then `INFO everything`.
  A server that refuses `everything` with an error, or answers it with
  nothing, is asked `INFO all` from then on.
- Failures are three exceptions, so the caller can say what happened:
  `OSError` (refused, reset, timed out, closed: the server is unreachable),
  `AuthError` (AUTH was refused, or the server answered `-NOAUTH`) and
  `ServerError` (any other error reply).  After any of them the connection
  is closed and the next `info()` starts afresh.
"""
import socket

TIMEOUT = 2.0


class ServerError(Exception):
    """The server answered with an error reply (its text, without the '-')."""


class AuthError(ServerError):
    """AUTH was refused, or the server wants one (NOAUTH)."""


class InfoClient:
    def __init__(self, host, port, password=None, user=None, timeout=TIMEOUT):
        self.host, self.port = host, port
        self.password, self.user = password, user
        self.timeout = timeout
        self.sock = None
        self.buf = b""
        self.section = "everything"

    @property
    def target(self):
        return f"{self.host}:{self.port}"

    def info(self):
        """The text of INFO (everything, else all); connects and authenticates as needed."""
        try:
            if self.sock is None:
                self._connect()
            text = self._info()
        except BaseException:
            self.close()
            raise
        return text

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buf = None, b""

    def _connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.password is not None:
            args = ["AUTH"] + ([self.user] if self.user else []) + [self.password]
            try:
                self.call(*args)
            except ServerError as e:
                raise AuthError(str(e)) from None

    def _info(self):
        try:
            text = self.call("INFO", self.section)
            if self.section == "everything" and not text:
                raise ServerError("empty INFO everything")
        except AuthError:
            raise
        except ServerError:
            if self.section != "everything":
                raise
            self.section = "all"
            text = self.call("INFO", "all")
        return text if isinstance(text, str) else str(text)

    def call(self, *args):
        """Send one command; its reply (str, int, list or None); error replies raise."""
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a.encode() if isinstance(a, str) else bytes(a)
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            text = rest.decode("utf-8", "replace")
            if text.startswith(("NOAUTH", "WRONGPASS")):
                raise AuthError(text)
            raise ServerError(text)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exactly(n + 2)[:-2].decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError(f"unexpected reply {line[:40]!r}")

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buf += chunk
