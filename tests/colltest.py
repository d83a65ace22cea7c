"""What the hash and set differential tests share (tests/commands/test_hash_differential.py and
test_set_differential.py), on top of tests/difftest.py.

- `Keyspace()`: a case item (`INFO stats`) compared by its keyspace_hits and keyspace_misses
  alone; a case using it starts with `CONFIG RESETSTAT`, and `compare` (difftest's, knowing
  Keyspace) is the one to pass to `differential`.
- `Model`: the plumbing of a hypothesis state machine that sends every command to Redis and to
  mako, one at a time over raw connections, and compares the replies: byte for byte, or (where
  Redis's order is not defined) as the same elements in any order; `encodings(keys)` compares
  OBJECT ENCODING of keys on both.  A machine starts from FLUSHALL and runs over RESP2 or, after
  `HELLO 3`, RESP3 (chosen by hypothesis).
"""
import os
import re
import subprocess

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test,
)

import difftest
from difftest import C, Conn, as_int, describe, value

I64MAX = 9223372036854775807
I64MIN = -9223372036854775808


# --------------------------------------------------------------------------------------
# Keyspace counters in a differential case
# --------------------------------------------------------------------------------------

class Keyspace:
    """INFO stats, compared by its keyspace_hits and keyspace_misses."""

    def __init__(self):
        self.cmd = C("INFO stats")

    @staticmethod
    def counters(reply):
        text = reply or b""
        return tuple(int(m.group(1)) if (m := re.search(rb"\r\n%s:(\d+)\r\n" % name, text)) else None
                     for name in (b"keyspace_hits", b"keyspace_misses"))


def compare(results, t0):
    """difftest.compare, with Keyspace items compared by their two counters."""
    plain = [r for r in results if not isinstance(r[0], Keyspace)]
    bad = difftest.compare(plain, t0)
    for item, want, got in results:
        if isinstance(item, Keyspace):
            w, g = Keyspace.counters(want), Keyspace.counters(got)
            if None in w or w != g:
                bad.append("keyspace (hits, misses) after the commands before: Redis %r, mako %r" % (w, g))
    return bad


# --------------------------------------------------------------------------------------
# State machines
# --------------------------------------------------------------------------------------

def multiset(v):
    """An array reply's elements as a sorted list (a map's as sorted pairs)."""
    if not isinstance(v, list):
        return v
    return sorted(v, key=repr)


def pairset(v):
    if not isinstance(v, list):
        return v
    return sorted(zip(v[0::2], v[1::2]), key=repr)


def _dead(proc):
    if proc.popen.poll() is not None:
        return True
    try:
        Conn(proc.port).close()
        return False
    except OSError:
        return True


class Model(RuleBasedStateMachine):
    """Send each command to both servers and compare.  Subclasses add rules."""
    ref_port = None
    box = None          # {"proc": the mako server, "restart": start a new one, "extra": [...]}

    def __init__(self):
        super().__init__()
        box = self.box
        if _dead(box["proc"]):         # an earlier run crashed it: that run failed; start afresh
            box["proc"].stop()
            box["proc"] = box["restart"]()
            box["extra"].append(box["proc"])
        self.proc = box["proc"]
        self.ref = Conn(self.ref_port)
        self.mk = Conn(self.proc.port)
        self.history = []
        self.in_multi = False
        self.resp3 = False
        assert self.ref.call(b"FLUSHALL") == b"+OK\r\n"
        assert self.mk.call(b"FLUSHALL") == b"+OK\r\n"

    def teardown(self):
        self.ref.close()
        self.mk.close()

    @initialize(resp3=st.booleans())
    def protocol(self, resp3):
        self.resp3 = resp3
        if resp3:
            self.send([b"HELLO", b"3"], compare=False)

    def context(self):
        n = int(os.environ.get("MAKO_MODEL_HISTORY", "15"))
        return "\nafter: " + "\n       ".join(h.decode("latin-1") for h in self.history[-n:])

    def send(self, args, compare=True):
        """One command to Redis then mako: (Redis's reply, mako's reply), both present."""
        want = self.ref.call(*args)
        got = self.mk.call(*args)
        self.history.append(b" ".join(a if len(a) <= 40 else a[:37] + b"..." for a in args[:12])
                            + (b" ..." if len(args) > 12 else b""))
        assert want is not None, "Redis did not answer %r" % describe(args)
        if got is None:
            try:
                self.proc.popen.wait(2)
            except subprocess.TimeoutExpired:
                pass
            assert self.proc.popen.poll() is None, "mako_numba died (exit %s) on %s%s" % (
                self.proc.popen.poll(), describe(args), self.context())
            raise AssertionError("mako did not answer %s%s" % (describe(args), self.context()))
        return want, got

    def both(self, args, order=None):
        """Send and compare: exactly, or with `order` (multiset or pairset) applied to the
        parsed replies when Redis's order is not defined; Redis's parsed reply."""
        want, got = self.send(args)
        if order is None or self.in_multi or want[:1] == b"-":
            assert got == want, "%s: Redis %r, mako %r%s" % (describe(args), want, got, self.context())
        else:
            assert want[:1] == got[:1] and order(value(want)) == order(value(got)), \
                "%s (any order): Redis %r, mako %r%s" % (describe(args), want, got, self.context())
        return value(want)

    def ttl(self, key):
        """TTL on both: equal when negative, else within a second."""
        want, got = self.send([b"TTL", key])
        w, g = as_int(want), as_int(got)
        assert w is not None and g is not None and (w == g if min(w, g) < 0 else abs(w - g) <= 1), \
            "TTL %r: Redis %r, mako %r%s" % (key, want, got, self.context())

    def ref_value(self, *args):
        """A read on Redis alone (to learn what order its next reply has)."""
        return value(self.ref.call(*args))

    def encodings(self, keys):
        """OBJECT ENCODING of each key, the same on both (outside MULTI)."""
        if self.in_multi:
            return
        for k in sorted(set(keys)):
            self.both([b"OBJECT", b"ENCODING", k])


def with_key_space_rules(keys, watched):
    """Model plus the rules every type's machine has: RENAME/RENAMENX/COPY, EXPIRE, PERSIST,
    and MULTI (WATCH-ing `watched` or not) then EXEC/DISCARD; `keys` the machine's strategy."""
    class KeySpaceRules(Model):
        @rule(a=keys, b=keys, cmd=st.sampled_from([b"RENAME", b"RENAMENX", b"COPY"]))
        def rename_copy(self, a, b, cmd):
            self.both([cmd, a, b])
            self.encodings([a, b])

        @rule(key=keys, secs=st.sampled_from([b"100", b"1000", b"0", b"-1"]))
        def expire(self, key, secs):
            self.both([b"EXPIRE", key, secs])
            if not self.in_multi:
                self.ttl(key)

        @rule(key=keys)
        def persist(self, key):
            self.both([b"PERSIST", key])

        @precondition(lambda self: not self.in_multi)
        @rule(watch=st.booleans())
        def multi(self, watch):
            if watch:
                self.both([b"WATCH", *watched])
            self.both([b"MULTI"])
            self.in_multi = True

        @precondition(lambda self: self.in_multi)
        @rule(cmd=st.sampled_from([b"EXEC", b"EXEC", b"DISCARD"]))
        def exec_(self, cmd):
            self.in_multi = False
            self.both([cmd])
            self.encodings(self.KEYS)
    return KeySpaceRules


def run_machine(machine, redis_ref, mako, restart):
    """Run a machine against the module's servers (mako restarted if a run crashed it)."""
    machine.ref_port = redis_ref.port
    machine.box = box = {"proc": mako, "restart": restart, "extra": []}
    try:
        run_state_machine_as_test(machine, settings=settings(
            max_examples=int(os.environ.get("MAKO_MODEL_EXAMPLES", "30")), stateful_step_count=30,
            deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        for proc in box["extra"]:
            proc.stop()
