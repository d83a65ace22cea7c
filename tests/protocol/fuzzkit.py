"""What the parser fuzzers share: a tight-buffer harness and the input builders.

- `TightParser` feeds bytes to protocol.parse_conn as test_protocol's
  KernelParser does, but before every parse it moves the unparsed bytes into
  an input buffer exactly as long as they are, followed by `pad` poison bytes
  (CRLFs, digits, '$', '*', NUL: whatever would change a result if the parser
  looked past its write position).  Under NUMBA_BOUNDSCHECK=1 with pad=0 any
  read past the data raises IndexError instead of reading the heap.
- `check(data, cuts)`: feeds data cut at `cuts`, compares with ref_parse
  (tests/naive.py), whole and chunked, and returns the reference's events.
- `build(rng_bytes)`: turns an arbitrary byte string into a request stream
  (valid RESP / inline / quoted / seed lines, then truncation, mutation and
  garbage), so a coverage-guided fuzzer mutating plain bytes still reaches
  deep parser states.  Hypothesis draws its own structure (test_fuzz.py).
"""
import numpy as np

from mako_numba.protocol import parser as protocol
from mako_numba.engine.batch import compact_input
from mako_numba.base.layout import C_WR
from naive import ref_parse
from test_protocol import KernelParser

POISON = b"\r\n*1\r\n$1\r\n0\r\n\x00\n:$9"


class TightParser(KernelParser):
    def __init__(self, pad=len(POISON), **kw):
        super().__init__(**kw)
        self.pad = pad
        self._parse = protocol.parse_conn

    def _tighten(self):
        core, slot = self.core, self.slot
        compact_input(core.conn, slot)
        wr = int(core.conn[slot, C_WR])
        tail = (POISON * (1 + self.pad // len(POISON)))[:self.pad]
        data = bytes(core.inbufs[slot][:wr]) + tail
        arr = np.frombuffer(data or b"\0", np.uint8).copy()    # never empty: feed() doubles it
        core._set_in(slot, arr)

    def parse_conn(self, conn, c, *rest):
        """protocol.parse_conn on a buffer holding exactly the unparsed bytes (+ poison)."""
        self._tighten()
        return self._parse(conn, c, *rest)


def tight_parse(data, cuts=(), pad=len(POISON), **kw):
    """Parse data fed in pieces ending at each cut, every pass on a tight buffer."""
    p = TightParser(pad=pad, **kw)
    prev = 0
    for cut in sorted(set(cuts)) + [len(data)]:
        if prev < cut <= len(data):
            p.feed(data[prev:cut])
            prev = cut
    return p


def check(data, cuts=(), pad=len(POISON), **kw):
    """The kernel, fed data in pieces on tight buffers, agrees with the reference."""
    ref_events, consumed = ref_parse(data)
    p = tight_parse(data, cuts, pad, **kw)
    assert p.events == ref_events, (data, cuts)
    if not p.failed:
        assert p.buffered() == len(data) - consumed, (data, cuts)
    return ref_events


# --- streams from plain bytes (the coverage-guided fuzzer's input) --------------------------
_PIECES = [b"GET", b"SET", b"get:", b"set:", b"PING", b"ECHO", b"\\:", b"\\\\", b"\\x41", b"\\x",
           b'"', b"'", b"\\", b" ", b"\t", b"\r\n", b"\n", b"\r", b"\x00", b"*", b"$", b"-1", b"0",
           b"536870912", b"2147483648", b"9223372036854775808", b"65536", b":"]


def build(raw):
    """A request stream steered by raw's bytes: the first byte picks the shape."""
    if not raw:
        return b""
    mode, body = raw[0] % 4, raw[1:]
    if mode == 0:
        return body                                     # garbage as it is
    out = []
    i = 0
    while i < len(body):
        b = body[i]
        kind, n = b % 6, b >> 3
        chunk = body[i + 1:i + 1 + (n % 9)]
        i += 1 + (n % 9)
        if kind == 0:                                   # RESP array of the chunk's pieces
            args = [chunk[:k] for k in range(0, len(chunk) + 1, 3)][:4] or [b""]
            out.append(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        elif kind == 1:                                 # inline words
            out.append(b"GET " + chunk.replace(b"\n", b" ") + b"\r\n")
        elif kind == 2:                                 # seed lines
            out.append((b"set:" if n & 1 else b"get:") + chunk.replace(b"\n", b"") + b"\n")
        elif kind == 3:                                 # a token the parser branches on
            out.append(_PIECES[n % len(_PIECES)])
        elif kind == 4:                                 # a header with a chosen number
            out.append(b"*$"[n & 1:(n & 1) + 1] + b"%d\r\n" % int.from_bytes(chunk[:4] or b"\0", "little", signed=True))
        else:
            out.append(chunk)
    data = b"".join(out)
    if mode == 2 and data:                              # truncated
        data = data[:body[-1] * len(data) // 256] if body else data
    elif mode == 3 and data and body:                   # one byte mutated
        k = body[0] * len(data) // 256
        data = data[:k] + bytes([body[-1]]) + data[k + 1:]
    return data


def cuts_of(raw, n):
    """Chunk boundaries for an n-byte stream, drawn from raw's last bytes."""
    return sorted({(b * n) // 256 for b in raw[-3:]}) if n else []
