"""Random command streams against Redis 7.0.15 and mako_numba at once (hypothesis).

A RuleBasedStateMachine keeps one raw connection to each server (RESP2),
starts every run from FLUSHALL on both, and issues random string, bit,
expiry and transaction commands (MULTI/EXEC/DISCARD, WATCH/UNWATCH, with a
second connection that writes to watched keys) over five keys, with small values (integers, negative numbers,
int64 edges, non-numbers, empty), options (NX XX GT LT GET KEEPTTL EX PX EXAT
PXAT, valid and not) and sometimes a short PX (1..50 ms).  Every reply must
be byte for byte Redis's, except clock-dependent ones: TTL/PTTL/EXPIRETIME/
PEXPIRETIME must be equal when negative (-1, -2), else both non-negative and
within a small tolerance.

MAKO_MODEL_EXAMPLES (default 60) sets how many streams a run tries;
MAKO_MODEL_HISTORY (default 15) how many earlier commands a failure shows.

Keeping the comparison exact under real time:
- Redis evaluates a key's expiry when a command touches it, so a command that
  runs on one server just before a key's deadline and on the other just after
  would differ for no fault of mako.  After a short expiry is set on a key,
  the machine does not touch that key in a window around its deadline (it
  waits the few ms until the deadline has surely passed on both servers).
- Inside MULTI, commands run at EXEC: timing-dependent ones (TTL family,
  short expiries) are not queued, and EXEC first waits past the short
  deadlines of every key the transaction touches.
- GT and LT compare two deadlines; two relative deadlines set a millisecond
  apart on each server could compare differently.  So GT/LT are only sent
  with absolute times (EXPIREAT/PEXPIREAT), chosen far from every relative
  deadline the machine can set.
"""
import os
import subprocess
import time

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conftest import start_mako
from difftest import Conn, as_int

KEYS = [b"k0", b"k1", b"k2", b"k3", b"k4"]
I64MAX = 9223372036854775807
I64MIN = -9223372036854775808

keys = st.sampled_from(KEYS)
small_ints = st.integers(-20, 20)
values = st.one_of(
    small_ints.map(lambda i: b"%d" % i),
    st.sampled_from([b"0", b"-1", b"100", b"-100", b"9223372036854775806", b"9223372036854775807",
                     b"-9223372036854775807", b"-9223372036854775808", b"01", b" 1", b"1 ", b"+1",
                     b"1.5", b"abc", b"", b"hello world", b"x" * 30, b"\x00\xff"]),
)
increments = st.one_of(
    st.integers(-50, 50).map(lambda i: b"%d" % i),
    st.sampled_from([b"9223372036854775807", b"-9223372036854775808", b"-9223372036854775807",
                     b"4611686018427387904", b"abc", b"1.0", b"", b"9223372036854775808"]),
)
indexes = st.one_of(st.integers(-12, 12).map(lambda i: b"%d" % i),
                    st.sampled_from([b"9223372036854775807", b"-9223372036854775808", b"x"]))
offsets = st.one_of(st.integers(0, 24).map(lambda i: b"%d" % i),
                  st.sampled_from([b"-1", b"x", b"536870912", b"9223372036854775807"]))
short_ms = st.integers(1, 50)

MARGIN_BEFORE = 0.05   # s: stay this far from a short deadline's earliest moment...
MARGIN_AFTER = 0.015   # s: ...and wait until this long after its latest


def _expiry_tokens(base):
    """Strategy for the expiry part of SET: (tokens, short ms or None)."""
    return st.one_of(
        st.just(([], None)),
        st.sampled_from([b"10", b"1000"]).map(lambda s: ([b"EX", s], None)),
        st.sampled_from([b"10000", b"1000000"]).map(lambda s: ([b"PX", s], None)),
        short_ms.map(lambda ms: ([b"PX", b"%d" % ms], ms)),
        st.sampled_from([50, 500, 5000, -10]).map(lambda d: ([b"EXAT", b"%d" % (base + d)], None)),
        st.sampled_from([50, 500, 5000]).map(lambda d: ([b"PXAT", b"%d" % ((base + d) * 1000 + 7)], None)),
        st.just(([b"KEEPTTL"], None)),
        st.sampled_from([[b"EX", b"0"], [b"PX", b"-3"], [b"EX", b"abc"], [b"EX", b"%d" % I64MAX],
                         [b"KEEPTTL", b"EX", b"10"], [b"EX", b"10", b"PX", b"10"]]).map(lambda t: (t, None)),
    )


def _dead(proc):
    if proc.popen.poll() is not None:
        return True
    try:
        Conn(proc.port).close()
        return False
    except OSError:
        return True


class StringsMachine(RuleBasedStateMachine):
    ref_port = None
    box = None             # {"proc": the mako server, "restart": start a new one, "extra": [...]}

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
        self.ref2 = Conn(self.ref_port)     # the "other client" of WATCH
        self.mk2 = Conn(self.proc.port)
        self.in_multi = False
        self.tx_touched = set()
        self.watched = set()        # WATCH checks expiry at EXEC: keep its keys clear of deadlines
        self.base = int(time.time())
        self.windows = {}          # key -> (earliest, latest) wall time of a short deadline
        self.history = []
        assert self.ref.call(b"FLUSHALL") == b"+OK\r\n"
        assert self.mk.call(b"FLUSHALL") == b"+OK\r\n"

    def teardown(self):
        for c in (self.ref, self.mk, self.ref2, self.mk2):
            c.close()

    # ---- plumbing ----------------------------------------------------------------

    def _keep_clear(self, touched):
        """Sleep past any short deadline of a touched key that is about to fire."""
        now = time.time()
        until = 0.0
        for k in touched:
            w = self.windows.get(k)
            if w is None:
                continue
            lo, hi = w
            if now > hi + MARGIN_AFTER:
                del self.windows[k]
            elif now >= lo - MARGIN_BEFORE:
                until = max(until, hi + MARGIN_AFTER)
        if until > now:
            time.sleep(until - now)
            for k in touched:
                self.windows.pop(k, None)

    def both(self, args, touched, kind="exact", short=None, other=False):
        """Send one command to Redis then mako; compare; return Redis's reply."""
        if self.in_multi and not other:
            if short is not None or kind != "exact":
                return None         # its outcome would depend on when EXEC runs
            self.tx_touched.update(touched)
        self._keep_clear(touched)
        t0 = time.time()
        ref, mk = (self.ref2, self.mk2) if other else (self.ref, self.mk)
        want = ref.call(*args)
        got = mk.call(*args)
        t1 = time.time()
        self.history.append(b" ".join(args))
        if short is not None:
            for k in touched:
                self.windows[k] = (t0 + short / 1000, t1 + short / 1000)
        assert want is not None, "Redis did not answer %r" % args
        ctx = "\nafter: " + "\n       ".join(h.decode("latin-1") for h in self.history[-int(os.environ.get("MAKO_MODEL_HISTORY", "15")):])
        if got is None:
            try:
                self.proc.popen.wait(2)
            except subprocess.TimeoutExpired:
                pass
            assert self.proc.popen.poll() is None, "mako_numba died (exit %s) on %r%s" % (
                self.proc.popen.poll(), b" ".join(args), ctx)
        if kind == "exact":
            assert got == want, "%r: Redis %r, mako %r%s" % (b" ".join(args), want, got, ctx)
        else:
            tol = {"s": 1, "ms": 100}[kind]
            w, g = as_int(want), as_int(got)
            assert w is not None and g is not None, "%r: Redis %r, mako %r%s" % (b" ".join(args), want, got, ctx)
            if w < 0 or g < 0:
                assert w == g, "%r: Redis %r, mako %r%s" % (b" ".join(args), want, got, ctx)
            else:
                assert abs(w - g) <= tol, "%r: Redis %r, mako %r (tolerance %d)%s" % (
                    b" ".join(args), want, got, tol, ctx)
        return want

    # ---- SET family ----------------------------------------------------------------

    @rule(data=st.data(), key=keys, value=values,
          cond=st.sampled_from([[], [], [b"NX"], [b"XX"], [b"NX", b"XX"]]), get=st.booleans())
    def set(self, data, key, value, cond, get):
        exp, short = data.draw(_expiry_tokens(self.base))
        opts = cond + ([b"GET"] if get else []) + exp
        opts = data.draw(st.permutations(opts)) if len(opts) > 1 and data.draw(st.booleans()) else opts
        if opts and data.draw(st.integers(0, 5)) == 0:
            opts = [o.lower() for o in opts]
        self.both([b"SET", key, value, *opts], [key], short=short)

    @rule(key=keys, value=values)
    def setnx(self, key, value):
        self.both([b"SETNX", key, value], [key])

    @rule(key=keys, value=values, secs=st.sampled_from([b"10", b"1000", b"0", b"-1", b"x"]))
    def setex(self, key, value, secs):
        self.both([b"SETEX", key, secs, value], [key])

    @rule(key=keys, value=values, ms=st.one_of(short_ms, st.sampled_from([100000, 0, -5])))
    def psetex(self, key, value, ms):
        self.both([b"PSETEX", key, b"%d" % ms, value], [key], short=ms if 0 < ms <= 50 else None)

    @rule(key=keys, value=values)
    def getset(self, key, value):
        self.both([b"GETSET", key, value], [key])

    @rule(key=keys)
    def get(self, key):
        self.both([b"GET", key], [key])

    @rule(key=keys)
    def getdel(self, key):
        self.both([b"GETDEL", key], [key])

    @rule(ks=st.lists(keys, min_size=1, max_size=4))
    def mget(self, ks):
        self.both([b"MGET", *ks], ks)

    @rule(pairs=st.lists(st.tuples(keys, values), min_size=1, max_size=3), odd=st.integers(0, 9))
    def mset(self, pairs, odd):
        args = [x for p in pairs for x in p]
        if odd == 0:
            args = args[:-1]
        self.both([b"MSET", *args], [p[0] for p in pairs])

    @rule(pairs=st.lists(st.tuples(keys, values), min_size=1, max_size=3))
    def msetnx(self, pairs):
        self.both([b"MSETNX", *[x for p in pairs for x in p]], [p[0] for p in pairs])

    @rule(key=keys, value=values)
    def append(self, key, value):
        self.both([b"APPEND", key, value], [key])

    @rule(key=keys)
    def strlen(self, key):
        self.both([b"STRLEN", key], [key])

    # ---- counters ----------------------------------------------------------------

    @rule(key=keys, cmd=st.sampled_from([b"INCR", b"DECR"]))
    def incr(self, key, cmd):
        self.both([cmd, key], [key])

    @rule(key=keys, cmd=st.sampled_from([b"INCRBY", b"DECRBY"]), by=increments)
    def incrby(self, key, cmd, by):
        self.both([cmd, key, by], [key])

    # ---- ranges ------------------------------------------------------------------

    @rule(key=keys, cmd=st.sampled_from([b"GETRANGE", b"SUBSTR"]), start=indexes, end=indexes)
    def getrange(self, key, cmd, start, end):
        self.both([cmd, key, start, end], [key])

    @rule(key=keys, offset=offsets, value=values)
    def setrange(self, key, offset, value):
        self.both([b"SETRANGE", key, offset, value], [key])

    # ---- expiry --------------------------------------------------------------------

    @rule(key=keys, secs=st.sampled_from([b"10", b"1000", b"0", b"-1", b"abc", b"%d" % I64MAX]),
          opts=st.sampled_from([[], [], [b"NX"], [b"XX"], [b"NX", b"XX"], [b"GT", b"LT"], [b"FOO"]]))
    def expire(self, key, secs, opts):
        self.both([b"EXPIRE", key, secs, *opts], [key])

    @rule(key=keys, ms=st.one_of(short_ms, st.sampled_from([10000, 1000000, 0, -100])),
          opts=st.sampled_from([[], [], [b"NX"], [b"XX"]]))
    def pexpire(self, key, ms, opts):
        self.both([b"PEXPIRE", key, b"%d" % ms, *opts], [key], short=ms if 0 < ms <= 50 else None)

    @rule(key=keys, delta=st.sampled_from([50, 500, 5000, -10]),
          opts=st.sampled_from([[], [b"NX"], [b"XX"], [b"GT"], [b"LT"], [b"XX", b"GT"], [b"XX", b"LT"],
                                [b"NX", b"GT"]]),
          millis=st.booleans())
    def expireat(self, key, delta, opts, millis):
        if millis:
            args = [b"PEXPIREAT", key, b"%d" % ((self.base + delta) * 1000 + 7), *opts]
        else:
            args = [b"EXPIREAT", key, b"%d" % (self.base + delta), *opts]
        self.both(args, [key])

    @rule(key=keys, cmd=st.sampled_from([b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"]))
    def ttl(self, key, cmd):
        if self.in_multi:
            return
        self.both([cmd, key], [key], kind="ms" if cmd.startswith(b"P") else "s")

    @rule(key=keys)
    def persist(self, key):
        self.both([b"PERSIST", key], [key])

    @rule(ks=st.lists(keys, min_size=1, max_size=3), cmd=st.sampled_from([b"EXISTS", b"DEL"]))
    def exists_del(self, ks, cmd):
        self.both([cmd, *ks], ks)

    # ---- bits, floats, LCS -----------------------------------------------------------

    @rule(key=keys, offset=st.one_of(st.integers(0, 40).map(lambda i: b"%d" % i),
                                     st.sampled_from([b"-1", b"x", b"4294967296"])),
          bit=st.sampled_from([b"0", b"1", b"1", b"2", b"x"]))
    def setbit(self, key, offset, bit):
        self.both([b"SETBIT", key, offset, bit], [key])

    @rule(key=keys, offset=st.one_of(st.integers(0, 40).map(lambda i: b"%d" % i), st.just(b"-1")))
    def getbit(self, key, offset):
        self.both([b"GETBIT", key, offset], [key])

    @rule(key=keys, rng=st.one_of(st.just([]), st.tuples(indexes, indexes).map(list)),
          mode=st.sampled_from([[], [], [b"BIT"], [b"BYTE"], [b"bit"], [b"NOPE"]]))
    def bitcount(self, key, rng, mode):
        self.both([b"BITCOUNT", key, *rng, *(mode if rng else [])], [key])

    @rule(key=keys, by=st.one_of(st.sampled_from([b"0.1", b"-0.1", b"1.5", b"1e3", b"-2.5e-3", b"3",
                                                   b"1e400", b"abc", b"", b"0x10", b"inf", b"5."]),
                                  st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: repr(f).encode())))
    def incrbyfloat(self, key, by):
        self.both([b"INCRBYFLOAT", key, by], [key])

    @rule(a=keys, b=keys, opts=st.sampled_from([[], [b"LEN"], [b"IDX"], [b"IDX", b"WITHMATCHLEN"],
                                                [b"IDX", b"MINMATCHLEN", b"2"], [b"LEN", b"IDX"]]))
    def lcs(self, a, b, opts):
        self.both([b"LCS", a, b, *opts], [a, b])

    # ---- transactions --------------------------------------------------------------

    @rule()
    def multi(self):
        was = self.in_multi
        want = self.both([b"MULTI"], [])
        if not was and want == b"+OK\r\n":
            self.in_multi = True
            self.tx_touched = set()

    @precondition(lambda self: self.in_multi)
    @rule(data=st.data())
    def exec_or_discard(self, data):
        cmd = data.draw(st.sampled_from([b"EXEC", b"EXEC", b"DISCARD"]))
        touched = sorted(self.tx_touched | self.watched)
        self.in_multi = False
        self.both([cmd], touched)
        self.tx_touched = set()
        self.watched = set()

    @precondition(lambda self: not self.in_multi)
    @rule(key=keys, other=keys, touch=st.sampled_from([None, b"SET", b"GET", b"DEL", b"EXPIRE"]),
          queued=st.lists(st.tuples(st.sampled_from([b"INCR", b"GET", b"APPEND", b"SETBIT"]), keys),
                          min_size=0, max_size=4))
    def watched_transaction(self, key, other, touch, queued):
        """WATCH, maybe a change by the other client, MULTI, a few commands, EXEC."""
        self.both([b"WATCH", key], [key])
        if not self.in_multi:
            self.watched.add(key)
        if touch == b"SET":
            self.both([b"SET", other, b"7"], [other], other=True)
        elif touch == b"EXPIRE":
            self.both([b"EXPIRE", other, b"100"], [other], other=True)
        elif touch is not None:
            self.both([touch, other], [other], other=True)
        self.multi()
        extra = {b"APPEND": [b"x"], b"SETBIT": [b"3", b"1"]}
        for cmd, k in queued:
            self.both([cmd, k, *extra.get(cmd, [])], [k])
        touched = sorted(self.tx_touched | self.watched)
        self.in_multi = False
        self.both([b"EXEC"], touched)
        self.tx_touched = set()
        self.watched = set()

    @rule(ks=st.lists(keys, min_size=1, max_size=3))
    def watch(self, ks):
        self.both([b"WATCH", *ks], ks)
        if not self.in_multi:
            self.watched.update(ks)

    @rule()
    def unwatch(self):
        self.both([b"UNWATCH"], [])
        if not self.in_multi:
            self.watched = set()

    @rule(key=keys, value=values, cmd=st.sampled_from([b"SET", b"APPEND", b"GET", b"DEL"]))
    def other_client(self, key, value, cmd):
        """Another connection reads or writes a key (a watched one, sometimes)."""
        args = [cmd, key] if cmd in (b"GET", b"DEL") else [cmd, key, value]
        self.both(args, [key], other=True)

    @rule(ms=st.integers(20, 60))
    def pause(self, ms):
        time.sleep(ms / 1000)


def test_random_streams_match_redis(redis_ref, mako, tmp_path_factory):
    StringsMachine.ref_port = redis_ref.port
    StringsMachine.box = box = {"proc": mako, "restart": lambda: start_mako(tmp_path_factory), "extra": []}
    try:
        run_state_machine_as_test(StringsMachine, settings=settings(
            max_examples=int(os.environ.get("MAKO_MODEL_EXAMPLES", "60")), stateful_step_count=40, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        for proc in box["extra"]:
            proc.stop()
