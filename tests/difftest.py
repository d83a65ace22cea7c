"""The differential harness: the same commands to a real Redis 7.0 and to mako_numba.

A case is a list of commands (`cmds("SET k v", "GET k")`, or lists of byte
arguments); `check_case` sends it as one pipeline on fresh connections to
both servers after FLUSHALL on each (with `resp3=True`, after `HELLO 3`),
splits the replies one per command and asserts them equal byte for byte
(client ids in HELLO replies masked).  `Near(cmd, lo, hi)` accepts any
integer in a window on both servers (TTLs), `Unordered(cmd)` accepts the
same elements in any order (a hashtable's members), `Sleep(ms)` pauses
between the parts of a case.  A new family's differential test is a few lines:

    from difftest import cmds, differential

    CASES = [("hset-basic", cmds("HSET h a 1", "HGET h a", "HGET h b"))]
    test_same_replies = differential(CASES)

which runs every case over RESP2 and RESP3 against the `redis_ref` and `mk`
fixtures (tests/conftest.py: the module's reference Redis, and its
mako_numba restarted if a case killed it).  The expected replies are never
written down: each case asks the reference Redis.

`exchange_both` is the raw-bytes form: the same bytes in one sendall to both
servers, the reply bytes and whether each closed the connection back.
"""
import re
import socket
import subprocess
import time

import pytest

TIMEOUT = 10.0        # seconds mako may take for one pipeline (first call may compile)
QUIET = 0.15          # seconds of silence after which an open connection has said all
SHORT_WAIT = 2.0      # how long mako may lag behind Redis when its reply is shorter


class _Reader:
    """One fresh connection that has sent its bytes and collects the reply."""

    def __init__(self, port, data):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = bytearray()
        self.closed = False
        self.last = time.time()
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True
        self.sock.setblocking(False)

    def poll(self):
        """Read what is there; True if something happened."""
        if self.closed:
            return False
        got = False
        while True:
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                return got
            except ConnectionResetError:
                self.closed = True
                return True
            if not chunk:
                self.closed = True
                return True
            self.buf += chunk
            self.last = time.time()
            got = True

    def quiet(self):
        return time.time() - self.last >= QUIET

    def close(self):
        self.sock.close()


def exchange_both(ref_port, mako_port, data, timeout=10.0):
    """Send `data` to both servers at once; return ((ref reply, closed), (mako reply, closed)).

    Redis's reply is complete when it closes or stays quiet for QUIET seconds;
    mako's when it closes, or has sent at least as many bytes as Redis and then
    stays quiet for QUIET seconds (so a slow first reply is waited for).
    """
    ref = _Reader(ref_port, data)
    mk = _Reader(mako_port, data)
    deadline = time.time() + timeout
    ref_done_at = None
    try:
        while time.time() < deadline:
            ref.poll()
            mk.poll()
            ref_done = ref.closed or ref.quiet()
            if ref_done and ref_done_at is None:
                ref_done_at = time.time()
            mk_done = mk.closed or (ref_done and mk.quiet() and (
                len(mask_ids(mk.buf)) >= len(mask_ids(ref.buf))
                or time.time() - ref_done_at > SHORT_WAIT))
            if ref_done and mk_done:
                break
            time.sleep(0.01)
        return (bytes(ref.buf), ref.closed), (bytes(mk.buf), mk.closed)
    finally:
        ref.close()
        mk.close()


def exchange(port, data):
    """Send `data` on a fresh connection; (reply, closed?) after a quiet spell or close."""
    r = _Reader(port, data)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and not r.closed and not r.quiet():
            r.poll()
            time.sleep(0.01)
        return bytes(r.buf), r.closed
    finally:
        r.close()


def mask_ids(reply):
    """Replace the client id inside HELLO replies (RESP2 array or RESP3 map)."""
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:<ID>\r\n", reply)


def flushall(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
        buf = b""
        while not buf.endswith(b"\r\n"):
            chunk = s.recv(64)
            assert chunk, "server closed during FLUSHALL"
            buf += chunk
        assert buf == b"+OK\r\n"


# --------------------------------------------------------------------------------------
# RESP reply splitting (RESP2 and RESP3), shared with tests/commands/test_model_differential.py
# --------------------------------------------------------------------------------------

def _line_end(buf, pos):
    i = buf.find(b"\r\n", pos)
    return None if i < 0 else i


def reply_end(buf, pos=0):
    """End offset of the complete reply starting at `pos`, or None if incomplete."""
    if pos >= len(buf):
        return None
    t = buf[pos:pos + 1]
    e = _line_end(buf, pos)
    if e is None:
        return None
    head = buf[pos + 1:e]
    nxt = e + 2
    if t in b"+-:_,#(":
        return nxt
    if t in b"$=!":
        n = int(head)
        if n < 0:
            return nxt
        if len(buf) < nxt + n + 2:
            return None
        return nxt + n + 2
    if t in b"*~>%|":
        n = int(head)
        if n < 0:
            return nxt
        if t in b"%|":
            n *= 2
        for _ in range(n):
            nxt = reply_end(buf, nxt)
            if nxt is None:
                return None
        return nxt
    raise ValueError("not a RESP reply at %d: %r" % (pos, bytes(buf[pos:pos + 40])))


def split_replies(buf):
    """(list of complete replies, leftover bytes)."""
    out = []
    pos = 0
    while True:
        end = reply_end(buf, pos)
        if end is None:
            return out, bytes(buf[pos:])
        out.append(bytes(buf[pos:end]))
        pos = end


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Conn:
    """A raw connection that sends pipelines and collects a given number of replies."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""

    def pipeline(self, cmds, timeout=TIMEOUT):
        """Send all commands at once; return their replies (fewer on timeout or close)."""
        self.sock.sendall(b"".join(encode(c) for c in cmds))
        replies = []
        deadline = time.time() + timeout
        while len(replies) < len(cmds):
            got, self.buf = split_replies(self.buf)
            replies += got
            if len(replies) >= len(cmds):
                break
            left = deadline - time.time()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            self.buf += chunk
        return replies

    def call(self, *args):
        r = self.pipeline([list(args)])
        return r[0] if r else None

    def close(self):
        self.sock.close()


def as_int(reply):
    """The integer of a `:n` reply, else None."""
    if reply is not None and reply.startswith(b":") and reply.endswith(b"\r\n"):
        try:
            return int(reply[1:-2])
        except ValueError:
            return None
    return None


# --------------------------------------------------------------------------------------
# A small RESP parser (RESP2 and RESP3): replies as Python values
# --------------------------------------------------------------------------------------

def parse(buf, pos=0):
    """(value, next position).  Bulk/simple strings -> bytes, integers -> int,
    errors -> ('ERR', text), nil -> None, arrays/sets -> list, maps -> list of pairs."""
    t = buf[pos:pos + 1]
    e = buf.index(b"\r\n", pos)
    head = buf[pos + 1:e]
    nxt = e + 2
    if t in b"+":
        return bytes(head), nxt
    if t == b"-":
        return ("ERR", bytes(head)), nxt
    if t == b":":
        return int(head), nxt
    if t == b"_":
        return None, nxt
    if t in b"$=":
        n = int(head)
        if n < 0:
            return None, nxt
        return bytes(buf[nxt:nxt + n]), nxt + n + 2
    if t in b"*~>%":
        n = int(head)
        if n < 0:
            return None, nxt
        if t == b"%":
            n *= 2
        out = []
        for _ in range(n):
            v, nxt = parse(buf, nxt)
            out.append(v)
        return out, nxt
    raise ValueError("unexpected reply %r" % bytes(buf[pos:pos + 40]))


def value(reply):
    if reply is None:
        return None
    v, end = parse(reply)
    assert end == len(reply)
    return v


# --------------------------------------------------------------------------------------
# Case language
# --------------------------------------------------------------------------------------

class Sleep:
    def __init__(self, ms):
        self.ms = ms


class Near:
    """A command whose integer reply must lie in [lo, hi] on both servers.

    With `clock="s"` or `"ms"`, lo and hi are offsets from the wall clock (in
    that unit) read just before the case is sent (for EXPIRETIME and friends).
    """

    def __init__(self, cmd, lo, hi, clock=None):
        self.cmd = C(cmd) if isinstance(cmd, str) else cmd
        self.lo, self.hi, self.clock = lo, hi, clock

    def window(self, t0):
        base = 0
        if self.clock == "s":
            base = int(t0)
        elif self.clock == "ms":
            base = int(t0 * 1000)
        return base + self.lo, base + self.hi


class Unordered:
    """A command whose reply's order is not defined (members of a hashtable set or hash):
    both servers' replies must hold the same elements (an array, a set, or the pairs of a map
    or of a flat field-value array when `pairs`)."""

    def __init__(self, cmd, pairs=False):
        self.cmd = C(cmd) if isinstance(cmd, str) else cmd
        self.pairs = pairs

    def key(self, reply):
        v = value(reply)
        if not isinstance(v, list):
            return (reply[:1], v)
        if self.pairs:
            return (reply[:1], sorted(zip(v[0::2], v[1::2]), key=repr))
        return (reply[:1], sorted(v, key=repr))


def C(text):
    """'SET k v' -> [b'SET', b'k', b'v'] (split on single spaces; no quoting)."""
    return [w.encode() for w in text.split(" ")]


def cmds(*items):
    """Case body: strings are commands, lists are commands with raw byte args."""
    out = []
    for it in items:
        if isinstance(it, str):
            out.append(C(it))
        elif isinstance(it, list):
            out.append([a.encode() if isinstance(a, str) else a for a in it])
        else:
            out.append(it)
    return out


def _segments(body):
    """Split a case at Sleep markers: [(commands, sleep_ms_after)]."""
    segs = []
    cur = []
    for it in body:
        if isinstance(it, Sleep):
            segs.append((cur, it.ms))
            cur = []
        else:
            cur.append(it)
    segs.append((cur, 0))
    return segs


def _cmd(it):
    """The command of a case item: itself, or the `.cmd` of a reply-kind wrapper (Near ...)."""
    return getattr(it, "cmd", it)


def run_case(port_ref, port_mako, body, resp3):
    """Run one case on both servers; [(item, redis reply, mako reply)] and t0."""
    ref = Conn(port_ref)
    mk = Conn(port_mako)
    results = []
    try:
        if resp3:
            body = [C("HELLO 3")] + list(body)
        t0 = time.time()
        for items, sleep_ms in _segments(body):
            if items:
                cmd_list = [_cmd(it) for it in items]
                # send to both before reading either, so the clocks differ little
                r_ref = ref.pipeline(cmd_list)
                r_mk = mk.pipeline(cmd_list)
                for i, it in enumerate(items):
                    results.append((it, r_ref[i] if i < len(r_ref) else None,
                                    r_mk[i] if i < len(r_mk) else None))
            if sleep_ms:
                time.sleep(sleep_ms / 1000)
        return results, t0
    finally:
        ref.close()
        mk.close()


def describe(item):
    return b" ".join(_cmd(item)).decode("latin-1")


def near_mismatch(item, want, got, t0):
    """What is wrong with a `Near` item's replies (None: both in its window)."""
    lo, hi = item.window(t0)
    w, g = as_int(want), as_int(got)
    if w is None or not lo <= w <= hi:
        return "%s: Redis itself is outside [%d, %d]: %r (fix the case)" % (describe(item), lo, hi, want)
    if g is None or not lo <= g <= hi:
        return "%s: want an integer in [%d, %d] (Redis %r), mako %r" % (describe(item), lo, hi, want, got)
    return None


def compare(results, t0):
    """List of readable mismatches."""
    bad = []
    for item, want, got in results:
        if isinstance(item, Near):
            if (why := near_mismatch(item, want, got, t0)) is not None:
                bad.append(why)
        elif isinstance(item, Unordered):
            if got is None or item.key(want) != item.key(got):
                bad.append("%s (any order): Redis %r, mako %r" % (describe(item), want, got))
        else:
            if got is None or mask_ids(want) != mask_ids(got):
                bad.append("%s: Redis %r, mako %r" % (describe(item), want, got))
    return bad


def check_case(redis_ref, mk, body, resp3=False, compare=compare):
    """Run a case on both servers after FLUSHALL on each; assert mako answered as Redis did.

    `compare` judges the replies (test_keys_differential.py passes one that
    knows more reply kinds)."""
    flushall(redis_ref.port)
    flushall(mk.port)
    results, t0 = run_case(redis_ref.port, mk.port, body, resp3)
    if any(got is None for _, _, got in results):
        try:                # no reply: a crash may still be on its way
            mk.popen.wait(2)
        except subprocess.TimeoutExpired:
            pass
    assert mk.popen.poll() is None, "mako_numba died on this case:\n" + mk.log()[-3000:]
    assert all(want is not None for _, want, _ in results), "Redis did not answer every command"
    bad = compare(results, t0)
    assert not bad, "\n".join(bad)


def differential(cases, compare=compare):
    """A test function running each (id, body) case on both servers, over RESP2 and RESP3."""
    @pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
    @pytest.mark.parametrize("body", [c[1] for c in cases], ids=[c[0] for c in cases])
    def test_same_replies(redis_ref, mk, body, resp3):
        check_case(redis_ref, mk, body, resp3, compare)
    return test_same_replies
