"""The propagation stream, Python side: its buffer, its consumers, and the slow path's effects.

effects.py has the kernels that write effects into the stream and states its
rules; this module owns the buffer they write to and hands what they wrote to
every attached consumer, once:

    prop.attach(consumer)     # consumer.feed(view) gets each drain's bytes
    prop.drain()              # after a batch, an EXEC's deferral, before a rewrite or shutdown
    prop.detach(consumer)     # the last one out turns the stream off

It lives in the store because the stream is the store's: it needs only the
key space's meta array (tm[T_PROP_*], which the store's kernels write) and
RESP; the AOF (persistence/) and later replicas and notifications sit above
it as consumers, and nothing below them knows they exist.

Rules:
- The stream is on while a consumer is attached (tm[T_PROP_ADDR] set); off,
  it costs one load and branch per request.  Attaching (or `reselect`)
  makes the next effect begin with a SELECT, so a consumer, or an AOF file,
  that starts mid-stream knows its database; what was pending goes to the
  consumers attached before.
- A consumer's `feed(view)` gets a memoryview of the bytes, valid during the
  call only.  Consumers are fed in the order they attached; one that raises
  (an AOF write error) stops the drain with the bytes still pending.
- `drain` grows the buffer when a deferred request asked for more room than
  it has (tm[T_PROP_NEED]), so the request fits on its next turn.
- Slow-path writes (FLUSHALL, INCRBYFLOAT ...) go in through `command`, with
  the MULTI and SELECT bookkeeping the kernels keep in tm; EXEC's closing
  EXEC through `exec_end`, which also shapes the transaction as Redis 7.0's
  propagatePendingCommands does: one effect goes unwrapped (no MULTI, no
  EXEC), and a SELECT the first effect needed goes before the MULTI.
- Replaying the AOF propagates nothing (`paused`), as Redis's loading.
"""
import contextlib

import numpy as np

from mako_numba.base.jit import addr_of
from mako_numba.base.layout import (
    T_PROP_ADDR, T_PROP_CAP, T_PROP_DB, T_PROP_NEED, T_PROP_SKIPPED, T_PROP_TX, T_PROP_WR,
)
from mako_numba.protocol import resp

BUFFER = 1 << 20                # the buffer's first size


class Propagation:
    """The stream of effects of one key space and the consumers it feeds."""

    def __init__(self, ks):
        self.ks = ks                # its tm is replaced by FLUSHALL: always reached through ks
        self.consumers = []
        self.buf = None
        self.tx_from = 0            # where the running EXEC's effects begin in the buffer

    def on(self):
        return bool(self.consumers)

    def pending(self):
        """Bytes written to the stream, not yet handed to the consumers."""
        return int(self.ks.tm[T_PROP_WR])

    # --- consumers ---------------------------------------------------------------------
    def attach(self, consumer):
        """Feed `consumer` from the next effect on, which begins with a SELECT (idempotent)."""
        tm = self.ks.tm
        if consumer not in self.consumers:
            self.drain_due()
            self.consumers.append(consumer)
        if not tm[T_PROP_ADDR]:
            if self.buf is None:
                self.buf = np.zeros(BUFFER, np.uint8)
            tm[T_PROP_ADDR] = addr_of(self.buf)
            tm[T_PROP_CAP] = self.buf.shape[0]
            tm[T_PROP_WR] = 0
            tm[T_PROP_TX] = 0
        self.reselect()

    def detach(self, consumer):
        """Feed `consumer` no more (it gets what is pending first); none left: the stream is off."""
        self.drain_due()
        if consumer in self.consumers:
            self.consumers.remove(consumer)
        if not self.consumers:
            tm = self.ks.tm
            tm[T_PROP_ADDR] = tm[T_PROP_WR] = tm[T_PROP_NEED] = 0

    def reselect(self):
        """The next effect begins with a SELECT (a new AOF file must name its database)."""
        self.ks.tm[T_PROP_DB] = -1

    # --- draining ------------------------------------------------------------------------
    def drain(self):
        """Hand the pending bytes to each consumer; grow the buffer if a request wants more."""
        tm = self.ks.tm
        n = int(tm[T_PROP_WR])
        if n and self.buf is not None:
            view = memoryview(self.buf)[:n]
            for consumer in self.consumers:
                consumer.feed(view)
        tm[T_PROP_WR] = 0
        self.tx_from = 0                # a running EXEC's effects now start at the buffer's start
        need = int(tm[T_PROP_NEED])
        if self.buf is not None and need > self.buf.shape[0]:
            self.buf = np.zeros(1 << (need - 1).bit_length(), np.uint8)
            if tm[T_PROP_ADDR]:
                tm[T_PROP_ADDR] = addr_of(self.buf)
                tm[T_PROP_CAP] = self.buf.shape[0]
        tm[T_PROP_NEED] = 0

    def drain_due(self):
        """drain, if the kernels wrote anything or asked for a bigger buffer."""
        tm = self.ks.tm
        if tm[T_PROP_WR] or tm[T_PROP_NEED]:
            self.drain()

    def drain_before_tx(self):
        """drain_due, but inside EXEC the transaction's effects so far stay pending:
        Redis propagates them when EXEC ends (DEBUG LOADAOF in a transaction)."""
        tm = self.ks.tm
        if not (tm[T_PROP_TX] and tm[T_PROP_ADDR]):
            self.drain_due()
            return
        keep = self.buf[self.tx_from:int(tm[T_PROP_WR])].copy()
        tm[T_PROP_WR] = self.tx_from
        self.drain()
        self.buf[:len(keep)] = keep
        tm[T_PROP_WR] = len(keep)

    @contextlib.contextmanager
    def paused(self):
        """Nothing is propagated inside the block (an AOF replayed); the stream's state is kept."""
        saved = self.ks.tm[T_PROP_ADDR:T_PROP_SKIPPED + 1].copy()
        self.ks.tm[T_PROP_ADDR:T_PROP_SKIPPED + 1] = 0
        try:
            yield
        finally:
            self.ks.tm[T_PROP_ADDR:T_PROP_SKIPPED + 1] = saved     # a FLUSHALL replaced tm

    # --- the slow path's effects ---------------------------------------------------------
    def command(self, db, args):
        """A slow-path write in database db, as Redis propagates it (args: its words)."""
        tm = self.ks.tm
        if not tm[T_PROP_ADDR]:
            return
        data = b""
        if tm[T_PROP_TX] == 1:
            data += resp.bulk_array([b"MULTI"])
            tm[T_PROP_TX] = 2
        if tm[T_PROP_DB] != db:
            data += resp.bulk_array([b"SELECT", b"%d" % db])
            tm[T_PROP_DB] = db
        self.append(data + resp.bulk_array(args))

    def append(self, data):
        """Raw bytes into the stream (drained first, or the buffer grown, when they do not fit)."""
        tm = self.ks.tm
        wr = int(tm[T_PROP_WR])
        if wr + len(data) > self.buf.shape[0]:
            tm[T_PROP_NEED] = wr + len(data)
            self.drain()
            wr = 0
            if len(data) > self.buf.shape[0]:
                tm[T_PROP_NEED] = len(data)
                self.drain()
        self.buf[wr:wr + len(data)] = np.frombuffer(data, np.uint8)
        tm[T_PROP_WR] = wr + len(data)

    def exec_begin(self):
        """EXEC starts: its first effect opens with MULTI."""
        tm = self.ks.tm
        if tm[T_PROP_ADDR]:
            tm[T_PROP_TX] = 1
            self.tx_from = int(tm[T_PROP_WR])

    def exec_end(self):
        """EXEC ends: EXEC closes its effects, if it had more than one (a single effect is
        atomic: Redis does not wrap it); a SELECT right after the MULTI goes before it."""
        tm = self.ks.tm
        if tm[T_PROP_TX] == 2:
            start, end = self.tx_from, int(tm[T_PROP_WR])
            body = bytes(self.buf[start:end])
            if body.startswith(_MULTI):
                ops = _commands(body, len(_MULTI))
                writes = [op for op in ops if not op[2]]
                if len(writes) <= 1:
                    self._put_back(start, body[len(_MULTI):])
                    tm[T_PROP_TX] = 0
                    return
                if ops and ops[0][2]:
                    a, b = ops[0][0], ops[0][1]
                    self._put_back(start, body[a:b] + _MULTI + body[b:])
            self.append(resp.bulk_array([b"EXEC"]))
        tm[T_PROP_TX] = 0

    def _put_back(self, start, data):
        self.buf[start:start + len(data)] = np.frombuffer(data, np.uint8)
        self.ks.tm[T_PROP_WR] = start + len(data)


_MULTI = resp.bulk_array([b"MULTI"])


def _commands(data, pos):
    """[(start, end, is SELECT)] of the RESP arrays of bulk strings in data from pos."""
    out = []
    while pos < len(data):
        start = pos
        eol = data.index(b"\r\n", pos)
        n = int(data[pos + 1:eol])
        pos = eol + 2
        first = None
        for i in range(n):
            eol = data.index(b"\r\n", pos)
            size = int(data[pos + 1:eol])
            word = data[eol + 2:eol + 2 + size]
            if i == 0:
                first = word
            pos = eol + 2 + size + 2
        out.append((start, pos, first is not None and first.upper() == b"SELECT"))
    return out
