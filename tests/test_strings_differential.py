"""Differential tests for the string and expiry commands: Redis 7.0.15 vs mako_numba.

Each case is a list of commands (lists of byte arguments) sent as one pipeline
on a fresh connection, to a real redis-server and to mako_numba, after
FLUSHALL on both.  Every case runs twice: over RESP2, and after `HELLO 3`
(the client id inside the HELLO reply is masked).  Replies are split one per
command with a RESP parser and compared byte for byte, except where a case
marks a command with `Near(...)`: TTL-like replies that depend on the clock
are then checked to be integers within a window on both servers.  `Sleep(ms)`
splits a case: what precedes it is sent and answered on both servers, then
the test sleeps, then it sends the rest on the same connections.

Covered: SET (NX XX GET KEEPTTL EX PX EXAT PXAT), SETNX, SETEX, PSETEX,
GETSET, GETDEL, MGET, MSET, MSETNX, APPEND, STRLEN, INCR, DECR, INCRBY,
DECRBY, GETRANGE, SUBSTR, SETRANGE, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT
(NX XX GT LT), TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST; their arity and
syntax errors, integer parsing and overflow, range edge cases, and lazy
expiry (a key past its TTL reads as missing).

The expected replies are never written down here: each case asks the
reference Redis.  Only the windows of `Near` cases are ours, and those were
checked against Redis too (a case whose Near window Redis itself misses
fails with a message saying so).
"""
import socket
import subprocess
import time

import pytest

from test_differential import flushall, mako_box, mask_ids, mk  # noqa: F401 (fixtures)

TIMEOUT = 10.0        # seconds mako may take for one pipeline (first call may compile)


# --------------------------------------------------------------------------------------
# RESP reply splitting (RESP2 and RESP3), shared with tests/test_model_differential.py
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


NOW = int(time.time())
PAST = str(NOW - 1000)
FUTURE = str(NOW + 100000)            # EXPIREAT target (seconds), far enough in the future
FUTURE_MS = str((NOW + 100000) * 1000 + 123)
I64MAX = "9223372036854775807"
I64MIN = "-9223372036854775808"

CASES = [
    # ---------------- SET and its options ----------------
    ("set_basic", cmds("SET k v", "GET k", "SET k w", "GET k", "STRLEN k")),
    ("set_arity", cmds("SET", "SET k")),
    ("set_nx_xx_syntax", cmds("SET k v NX XX", "GET k")),
    ("set_xx_nx_syntax", cmds("SET k v XX NX")),
    ("set_nx", cmds("SET k v NX", "SET k w NX", "GET k")),
    ("set_xx", cmds("SET k v XX", "GET k", "SET k v", "SET k w XX", "GET k")),
    ("set_lowercase_options", cmds("set k v nx", "set k w xx ex 100", "Get k", Near("ttl k", 99, 100))),
    ("set_repeated_nx", cmds("SET k v NX NX", "GET k")),
    ("set_ex_zero", cmds("SET k v EX 0", "GET k")),
    ("set_ex_negative", cmds("SET k v EX -1", "GET k")),
    ("set_ex_not_integer", cmds("SET k v EX abc", "GET k")),
    ("set_ex_float", cmds("SET k v EX 1.5")),
    ("set_ex_missing_value", cmds("SET k v EX")),
    ("set_px_zero", cmds("SET k v PX 0")),
    ("set_px_negative", cmds("SET k v PX -5")),
    ("set_exat_zero", cmds("SET k v EXAT 0")),
    ("set_pxat_zero", cmds("SET k v PXAT 0")),
    ("set_ex_px_syntax", cmds("SET k v EX 10 PX 100", "GET k")),
    ("set_ex_ex_syntax", cmds("SET k v EX 10 EX 20")),
    ("set_ex_exat_syntax", cmds("SET k v EX 10 EXAT " + FUTURE)),
    ("set_ex_overflow", cmds("SET k v EX " + I64MAX, "GET k")),
    ("set_ex_big_overflow", cmds("SET k v EX 9223372036854775", "GET k")),
    ("set_px_overflow", cmds("SET k v PX " + I64MAX, "GET k")),
    ("set_exat_overflow", cmds("SET k v EXAT " + I64MAX)),
    ("set_pxat_max", cmds("SET k v PXAT " + I64MAX, "GET k", "PEXPIRETIME k", "EXPIRETIME k")),
    ("set_ex_ttl", cmds("SET k v EX 100", Near("TTL k", 99, 100), Near("PTTL k", 99950, 100000))),
    ("set_px_ttl", cmds("SET k v PX 5000", Near("PTTL k", 4950, 5000), Near("TTL k", 5, 5))),
    ("set_exat", cmds("SET k v EXAT " + FUTURE, "EXPIRETIME k", "PEXPIRETIME k", "GET k")),
    ("set_pxat", cmds("SET k v PXAT " + FUTURE_MS, "PEXPIRETIME k", "EXPIRETIME k")),
    ("set_exat_past_deletes", cmds("SET k v EXAT " + PAST, "GET k", "EXISTS k", "TTL k")),
    ("set_pxat_past_deletes", cmds("SET k old", "SET k v PXAT 1", "GET k", "EXISTS k")),
    ("set_clears_ttl", cmds("SET k v EX 100", "SET k w", "TTL k")),
    ("set_keepttl", cmds("SET k v EX 100", "SET k w KEEPTTL", Near("TTL k", 99, 100), "GET k")),
    ("set_keepttl_no_ttl", cmds("SET k v", "SET k w KEEPTTL", "TTL k", "SET n v KEEPTTL", "TTL n")),
    ("set_keepttl_ex_syntax", cmds("SET k v KEEPTTL EX 100", "SET k v EX 100 KEEPTTL", "GET k")),
    ("set_keepttl_px_syntax", cmds("SET k v PX 100 KEEPTTL")),
    ("set_get_missing", cmds("SET k v GET", "GET k")),
    ("set_get_existing", cmds("SET k v1", "SET k v2 GET", "GET k")),
    ("set_get_nx_missing", cmds("SET k v NX GET", "GET k")),
    ("set_get_nx_existing", cmds("SET k v1", "SET k v2 NX GET", "GET k")),
    ("set_get_xx_missing", cmds("SET k v XX GET", "EXISTS k")),
    ("set_get_xx_existing", cmds("SET k v1", "SET k v2 XX GET", "GET k")),
    ("set_get_ex", cmds("SET k v1", "SET k v2 GET EX 100", Near("TTL k", 99, 100))),
    ("set_get_keepttl", cmds("SET k v1 PX 100000", "SET k v2 KEEPTTL GET", Near("PTTL k", 99950, 100000))),
    ("set_get_twice", cmds("SET k v GET GET")),
    ("set_unknown_option", cmds("SET k v FOO", "SET k v EX 10 FOO")),
    ("set_empty_and_binary", cmds(["SET", "", ""], [b"SET", b"b\x00\r\n", b"\x00\xff"],
                                  [b"GET", b"b\x00\r\n"], [b"STRLEN", b"b\x00\r\n"], [b"GET", b""])),
    ("set_nx_ex_missing", cmds("SET k v NX EX 100", Near("TTL k", 99, 100))),
    ("set_xx_keeps_ttl_off", cmds("SET k v EX 100", "SET k w XX", "TTL k")),
    # ---------------- SETNX / SETEX / PSETEX ----------------
    ("setnx", cmds("SETNX k v", "SETNX k w", "GET k")),
    ("setnx_arity", cmds("SETNX k", "SETNX k v x")),
    ("setnx_keeps_ttl", cmds("SET k v EX 100", "SETNX k w", Near("TTL k", 99, 100), "GET k")),
    ("setex", cmds("SETEX k 100 v", "GET k", Near("TTL k", 99, 100))),
    ("setex_overwrites", cmds("SET k v", "SETEX k 50 w", "GET k", Near("TTL k", 49, 50))),
    ("setex_zero", cmds("SETEX k 0 v", "GET k")),
    ("setex_negative", cmds("SETEX k -1 v", "EXISTS k")),
    ("setex_not_integer", cmds("SETEX k abc v", "SETEX k 1.5 v")),
    ("setex_overflow", cmds("SETEX k " + I64MAX + " v", "SETEX k 9223372036854776 v", "EXISTS k")),
    ("setex_arity", cmds("SETEX k 10", "SETEX k")),
    ("psetex", cmds("PSETEX k 100000 v", "GET k", Near("PTTL k", 99950, 100000))),
    ("psetex_zero_neg", cmds("PSETEX k 0 v", "PSETEX k -10 v", "EXISTS k")),
    ("psetex_overflow", cmds("PSETEX k " + I64MAX + " v", "EXISTS k")),
    ("psetex_arity", cmds("PSETEX k 10")),
    # ---------------- GETSET / GETDEL ----------------
    ("getset_missing", cmds("GETSET k v", "GET k")),
    ("getset_existing", cmds("SET k a", "GETSET k b", "GET k")),
    ("getset_clears_ttl", cmds("SET k a EX 100", "GETSET k b", "TTL k")),
    ("getset_arity", cmds("GETSET k")),
    ("getdel", cmds("SET k v", "GETDEL k", "GETDEL k", "EXISTS k")),
    ("getdel_with_ttl", cmds("SET k v EX 100", "GETDEL k", "TTL k")),
    ("getdel_arity", cmds("GETDEL", "GETDEL a b")),
    # ---------------- GETEX ----------------
    ("getex_plain", cmds("SET k v EX 100", "GETEX k", Near("TTL k", 99, 100), "GETEX nokey")),
    ("getex_ex_px", cmds("SET k v", "GETEX k EX 50", Near("TTL k", 49, 50),
                         "GETEX k PX 20000", Near("PTTL k", 19900, 20000))),
    ("getex_exat_pxat", cmds("SET k v", "GETEX k EXAT " + FUTURE, "EXPIRETIME k",
                             "GETEX k PXAT " + FUTURE_MS, "PEXPIRETIME k")),
    ("getex_persist", cmds("SET k v EX 100", "GETEX k PERSIST", "TTL k")),
    ("getex_past_deletes", cmds("SET k v", "GETEX k EXAT " + PAST, "EXISTS k", "SET j v", "GETEX j PXAT 1", "GET j")),
    ("getex_errors", cmds("SET k v", "GETEX k EX 0", "GETEX k EX -1", "GETEX k EX abc", "GETEX k PX",
                          "GETEX k EX 10 PX 10", "GETEX k PERSIST EX 10", "GETEX k NX", "GETEX k KEEPTTL",
                          "GETEX k GET", "GETEX nokey EX abc", "GETEX k EX " + I64MAX, "GETEX", "TTL k")),
    # ---------------- MGET / MSET / MSETNX ----------------
    ("mget_mixed", cmds("SET a 1", "SET c 3", "MGET a b c a d")),
    ("mget_all_missing", cmds("MGET x y")),
    ("mget_arity", cmds("MGET")),
    ("mset", cmds("MSET a 1 b 2 c 3", "MGET a b c", "DBSIZE")),
    ("mset_repeated_key", cmds("MSET a 1 a 2", "GET a")),
    ("mset_odd", cmds("MSET a 1 b", "EXISTS a b")),
    ("mset_one_arg", cmds("MSET a", "MSET")),
    ("mset_clears_ttl", cmds("SET a 1 EX 100", "MSET a 2", "TTL a")),
    ("msetnx_all_new", cmds("MSETNX a 1 b 2", "MGET a b")),
    ("msetnx_one_exists", cmds("SET b old", "MSETNX a 1 b 2 c 3", "MGET a b c")),
    ("msetnx_repeated_new_key", cmds("MSETNX a 1 a 2", "GET a")),
    ("msetnx_odd", cmds("MSETNX a 1 b", "MSETNX a")),
    # ---------------- APPEND / STRLEN ----------------
    ("append_missing", cmds("APPEND k abc", "GET k", "APPEND k def", "GET k", "STRLEN k")),
    ("append_empty", cmds("APPEND k", "APPEND k x y", ["APPEND", "e", ""], "EXISTS e", "GET e")),
    ("append_to_int", cmds("SET k 10", "APPEND k 5", "INCR k", "GET k")),
    ("append_keeps_ttl", cmds("SET k v EX 100", "APPEND k w", Near("TTL k", 99, 100))),
    ("append_grows", cmds(["APPEND", "k", "x" * 100], ["APPEND", "k", "y" * 1000], "STRLEN k")),
    ("append_big", cmds(["APPEND", "k", "x" * 70000], ["APPEND", "k", "y" * 70000], "STRLEN k",
                        "GETRANGE k 69998 70001", ["APPEND", "k", "z"], "GETRANGE k -3 -1")),
    ("append_many_small", cmds(*(["APPEND k ab"] * 40), "STRLEN k", "GETRANGE k 0 5")),
    ("append_binary", cmds([b"APPEND", b"k", b"\x00\r\n"], [b"APPEND", b"k", b"\xff"], "GET k", "STRLEN k")),
    ("strlen", cmds("STRLEN missing", "SET k hello", "STRLEN k", ["SET", "e", ""], "STRLEN e", "STRLEN")),
    ("strlen_int", cmds("SET k 12345", "INCR k", "STRLEN k", "SET n -1", "STRLEN n")),
    # ---------------- INCR family ----------------
    ("incr_missing", cmds("INCR k", "INCR k", "GET k", "DECR d", "DECR d", "GET d")),
    ("incr_existing", cmds("SET k 41", "INCR k", "SET n -5", "INCR n", "DECR n", "GET n")),
    ("incr_not_integer", cmds("SET k abc", "INCR k", "DECR k", "INCRBY k 1", "DECRBY k 1", "GET k")),
    ("incr_leading_space", cmds("SET k \t1", ["SET", "s", "  1"], "INCR s", "INCR k", ["SET", "t", "1 "], "INCR t")),
    ("incr_leading_zero", cmds("SET k 01", "INCR k", "SET z 0", "INCR z", "SET m -0", "INCR m", "GET m")),
    ("incr_plus_sign", cmds("SET k +1", "INCR k")),
    ("incr_empty", cmds(["SET", "k", ""], "INCR k")),
    ("incr_float", cmds("SET k 1.0", "INCR k", "SET e 1e3", "INCR e")),
    ("incr_max", cmds("SET k " + I64MAX, "INCR k", "GET k", "DECR k")),
    ("decr_min", cmds("SET k " + I64MIN, "DECR k", "GET k", "INCR k")),
    ("incr_too_long", cmds("SET k 92233720368547758070", "INCR k", "SET j 00000000000000000000001", "INCR j")),
    ("incrby", cmds("INCRBY k 10", "INCRBY k -25", "INCRBY k 0", "GET k")),
    ("incrby_not_integer", cmds("SET k 1", "INCRBY k abc", "INCRBY k 1.5", "INCRBY k ''", "DECRBY k x", "GET k")),
    ("incrby_empty_increment", cmds(["INCRBY", "k", ""], "EXISTS k")),
    ("incrby_overflow", cmds("SET k 10", "INCRBY k " + I64MAX, "INCRBY k -" + I64MAX, "GET k")),
    ("incrby_min", cmds("INCRBY k " + I64MIN, "GET k", "INCRBY k -1", "INCRBY k 1")),
    ("incrby_increment_overflow", cmds("INCRBY k 9223372036854775808", "DECRBY k -9223372036854775809")),
    ("decrby", cmds("DECRBY k 5", "DECRBY k -15", "GET k")),
    ("decrby_min", cmds("SET k 0", "DECRBY k " + I64MIN, "GET k", "DECRBY x " + I64MIN, "EXISTS x")),
    ("decrby_max", cmds("DECRBY k " + I64MAX, "GET k", "DECRBY k 1", "DECRBY k 1", "GET k")),
    ("incr_keeps_ttl", cmds("SET k 1 EX 100", "INCR k", "INCRBY k 5", "DECR k", "DECRBY k 2",
                            Near("TTL k", 99, 100), "GET k")),
    ("incr_arity", cmds("INCR", "INCR a b", "DECR", "INCRBY k", "INCRBY k 1 2", "DECRBY k")),
    ("incr_result_reads_back", cmds("SET k 9", "INCR k", "APPEND k 0", "GET k", "INCRBY k -1000", "GET k", "STRLEN k")),
    # ---------------- GETRANGE / SUBSTR ----------------
    ("getrange_basic", cmds("SET k Hello", "GETRANGE k 0 3", "GETRANGE k 1 1", "GETRANGE k 0 -1", "GETRANGE k -3 -1")),
    ("getrange_negative", cmds("SET k Hello", "GETRANGE k -100 2", "GETRANGE k -2 100", "GETRANGE k -1 -2",
                               "GETRANGE k -100 -100", "GETRANGE k 0 -100")),
    ("getrange_reversed", cmds("SET k Hello", "GETRANGE k 3 1", "GETRANGE k -1 0", "GETRANGE k 4 4")),
    ("getrange_out_of_range", cmds("SET k Hello", "GETRANGE k 5 10", "GETRANGE k 100 200", "GETRANGE k 4 100",
                                   "GETRANGE k 0 " + I64MAX, "GETRANGE k " + I64MIN + " " + I64MAX)),
    ("getrange_missing", cmds("GETRANGE nokey 0 -1", "GETRANGE nokey 0 10")),
    ("getrange_empty_value", cmds(["SET", "k", ""], "GETRANGE k 0 -1", "GETRANGE k 0 0", "GETRANGE k -1 -1")),
    ("getrange_not_integer", cmds("SET k Hello", "GETRANGE k a 1", "GETRANGE k 0 b", "GETRANGE k 1.0 2",
                                  "GETRANGE k 0 99999999999999999999")),
    ("getrange_int_value", cmds("SET k 123456", "GETRANGE k 1 3", "INCR k", "GETRANGE k -2 -1")),
    ("getrange_arity", cmds("GETRANGE k 0", "GETRANGE k 0 1 2")),
    ("substr", cmds("SET k Hello", "SUBSTR k 1 3", "SUBSTR k -3 -1", "SUBSTR k 4 1", "SUBSTR x 0 1", "SUBSTR k 0")),
    # ---------------- SETRANGE ----------------
    ("setrange_basic", cmds(["SET", "k", "Hello World"], "SETRANGE k 6 Redis", "GET k")),
    ("setrange_padding", cmds("SET k ab", "SETRANGE k 5 z", "GET k", "STRLEN k")),
    ("setrange_missing", cmds("SETRANGE k 3 xy", "GET k", "SETRANGE m 0 abc", "GET m")),
    ("setrange_negative", cmds("SET k abc", "SETRANGE k -1 x", "SETRANGE n -1 x", "GET k", "EXISTS n")),
    ("setrange_empty_missing", cmds(["SETRANGE", "k", "0", ""], "EXISTS k", ["SETRANGE", "k", "10", ""], "EXISTS k",
                                    ["SETRANGE", "k", I64MAX, ""], "EXISTS k")),
    ("setrange_empty_existing", cmds("SET k abc", ["SETRANGE", "k", "10", ""], "GET k", ["SETRANGE", "k", "1", ""],
                                     ["SETRANGE", "k", I64MAX, ""], "GET k")),
    ("setrange_not_integer", cmds("SETRANGE k x v", "SETRANGE k 1.5 v", "EXISTS k")),
    ("setrange_too_big", cmds("SETRANGE k 536870912 x", "EXISTS k", "SET k v", "SETRANGE k " + I64MAX + " x",
                              ["SETRANGE", "k", "536870911", ""], "GET k")),
    ("setrange_huge_offsets", cmds("SETRANGE n " + I64MAX + " x", "SETRANGE n 9223372036854775806 x",
                                   "SETRANGE n 4611686018427387904 x", "SETRANGE n 536870911 xy",
                                   "EXISTS n")),
    ("setrange_huge_offsets_existing", cmds("SET k abc", "SETRANGE k " + I64MAX + " x",
                                            "SETRANGE k 9223372036854775806 x", "SETRANGE k 4611686018427387904 x",
                                            "SETRANGE k 536870911 xy", "GET k")),
    ("setrange_big_growth", cmds("SETRANGE k 100000 z", "STRLEN k", "GETRANGE k 99998 -1", "SETRANGE k 0 a",
                                 "GETRANGE k 0 1", "SETRANGE k 100001 tail", "STRLEN k", "GETRANGE k -6 -1")),
    ("setrange_patches", cmds("SET k 0123456789", "SETRANGE k 2 ab", "SETRANGE k 8 XYZ", "SETRANGE k 0 -",
                              "GET k", "SETRANGE k 11 !", "GET k")),
    ("setrange_binary", cmds("SET k abc", [b"SETRANGE", b"k", b"1", b"\x00\r\n"], "GET k", "STRLEN k")),
    ("setrange_int_value", cmds("SET k 100", "SETRANGE k 0 2", "INCR k", "GET k")),
    ("setrange_keeps_ttl", cmds("SET k abc EX 100", "SETRANGE k 1 X", Near("TTL k", 99, 100), "GET k")),
    ("setrange_arity", cmds("SETRANGE k 0", "SETRANGE k")),
    # ---------------- EXPIRE family ----------------
    ("expire_missing", cmds("EXPIRE k 100", "PEXPIRE k 100", "EXPIREAT k " + FUTURE, "PEXPIREAT k " + FUTURE_MS,
                            "EXISTS k")),
    ("expire_basic", cmds("SET k v", "EXPIRE k 100", Near("TTL k", 99, 100), Near("PTTL k", 99950, 100000))),
    ("pexpire_basic", cmds("SET k v", "PEXPIRE k 100000", Near("PTTL k", 99950, 100000), Near("TTL k", 99, 100))),
    ("expireat_basic", cmds("SET k v", "EXPIREAT k " + FUTURE, "EXPIRETIME k", "PEXPIRETIME k",
                            Near("TTL k", int(FUTURE) - NOW - 3600, int(FUTURE) - NOW))),
    ("pexpireat_basic", cmds("SET k v", "PEXPIREAT k " + FUTURE_MS, "PEXPIRETIME k", "EXPIRETIME k")),
    ("expiretime_relative", cmds("SET k v EX 100", Near("EXPIRETIME k", 99, 101, clock="s"),
                                 Near("PEXPIRETIME k", 99950, 100100, clock="ms"))),
    ("expiretime_missing_persistent", cmds("EXPIRETIME k", "PEXPIRETIME k", "SET k v", "EXPIRETIME k",
                                           "PEXPIRETIME k")),
    ("ttl_missing_persistent", cmds("TTL k", "PTTL k", "SET k v", "TTL k", "PTTL k")),
    ("ttl_arity", cmds("TTL", "PTTL", "TTL a b", "EXPIRETIME", "PEXPIRETIME a b", "PERSIST", "PERSIST a b")),
    ("expire_arity", cmds("EXPIRE k", "PEXPIRE", "EXPIREAT k", "PEXPIREAT k")),
    ("expire_not_integer", cmds("SET k v", "EXPIRE k abc", "EXPIRE k 1.5", "PEXPIRE k x", "EXPIREAT k 1e9",
                                "PEXPIREAT k z", "EXPIRE missing abc", "TTL k")),
    ("expire_negative_deletes", cmds("SET k v", "EXPIRE k -1", "EXISTS k", "GET k", "TTL k")),
    ("expire_zero_deletes", cmds("SET k v", "EXPIRE k 0", "EXISTS k")),
    ("pexpire_negative_deletes", cmds("SET k v", "PEXPIRE k -100", "EXISTS k", "PTTL k")),
    ("expireat_past_deletes", cmds("SET k v", "EXPIREAT k " + PAST, "EXISTS k", "GET k")),
    ("expireat_zero_deletes", cmds("SET k v", "EXPIREAT k 0", "EXISTS k")),
    ("pexpireat_past_deletes", cmds("SET k v", "PEXPIREAT k 1", "EXISTS k", "TTL k")),
    ("expire_overflow", cmds("SET k v", "EXPIRE k " + I64MAX, "EXPIRE k 9223372036854775", "TTL k",
                             "EXPIRE k " + I64MIN, "EXISTS k")),
    ("expire_overflow_missing", cmds("EXPIRE k " + I64MAX, "EXPIRE k 9223372036854776")),
    ("pexpire_overflow", cmds("SET k v", "PEXPIRE k " + I64MAX, "PEXPIRE k 9223372036854775000", "TTL k",
                              "PEXPIRE k " + I64MIN, "EXISTS k")),
    ("expireat_overflow", cmds("SET k v", "EXPIREAT k " + I64MAX, "EXPIREAT k 9223372036854776", "TTL k",
                               "EXPIREAT k " + I64MIN, "EXISTS k")),
    ("pexpireat_max", cmds("SET k v", "PEXPIREAT k " + I64MAX, "PEXPIRETIME k", "EXPIRETIME k",
                           "PEXPIREAT k " + I64MIN, "EXISTS k")),
    ("expire_big_ok", cmds("SET k v", "EXPIRE k 9223372036854", "EXISTS k", "PEXPIRE k 9223372036854000",
                           "EXISTS k")),
    ("expire_nx", cmds("SET k v", "EXPIRE k 100 NX", "EXPIRE k 200 NX", Near("TTL k", 99, 100))),
    ("expire_xx", cmds("SET k v", "EXPIRE k 100 XX", "TTL k", "EXPIRE k 100", "EXPIRE k 200 XX",
                       Near("TTL k", 199, 200))),
    ("expire_gt_no_ttl", cmds("SET k v", "EXPIRE k 100 GT", "TTL k")),
    ("expire_lt_no_ttl", cmds("SET k v", "EXPIRE k 100 LT", Near("TTL k", 99, 100))),
    ("expire_gt", cmds("SET k v EX 100", "EXPIRE k 50 GT", "EXPIRE k 200 GT", Near("TTL k", 199, 200))),
    ("expire_lt", cmds("SET k v EX 100", "EXPIRE k 200 LT", "EXPIRE k 50 LT", Near("TTL k", 49, 50))),
    ("expire_gt_lt_equal", cmds("SET k v", "PEXPIREAT k " + FUTURE_MS, "PEXPIREAT k " + FUTURE_MS + " GT",
                                "PEXPIREAT k " + FUTURE_MS + " LT", "PEXPIREAT k " + FUTURE_MS + " XX")),
    ("expire_nx_xx_error", cmds("SET k v", "EXPIRE k 100 NX XX", "TTL k")),
    ("expire_option_errors", cmds("SET k v", "EXPIRE k 100 GT LT", "EXPIRE k 100 NX GT", "EXPIRE k 100 NX LT",
                                  "EXPIRE k 100 FOO", "PEXPIRE k 100 NX XX", "EXPIREAT k " + FUTURE + " GT LT",
                                  "TTL k")),
    ("expire_option_errors_missing", cmds("EXPIRE k 100 NX XX", "EXPIRE k 100 BAR", "EXPIRE k 100 GT LT")),
    ("expire_options_ok_combos", cmds("SET k v", "EXPIRE k 100 XX GT", "EXPIRE k 100 NX NX", "EXPIRE k 200 XX GT",
                                      "EXPIRE k 50 XX LT", Near("TTL k", 49, 50), "EXPIRE k 300 gt xx",
                                      Near("TTL k", 299, 300))),
    ("expire_lowercase_options", cmds("SET k v", "expire k 100 nx", "pexpire k 50000 lt", Near("pttl k", 49950, 50000))),
    ("expire_gt_negative_on_no_ttl", cmds("SET k v", "EXPIRE k -1 GT", "EXISTS k", "EXPIRE k -1 LT", "EXISTS k")),
    ("expire_nx_negative", cmds("SET k v EX 100", "EXPIRE k -1 NX", "EXISTS k", "EXPIRE k -1 XX", "EXISTS k")),
    ("expireat_gt_lt", cmds("SET k v", "EXPIREAT k " + FUTURE + " LT", "EXPIREAT k " + str(int(FUTURE) + 10) + " GT",
                            "EXPIREAT k " + str(int(FUTURE) + 5) + " GT", "EXPIREAT k " + str(int(FUTURE) - 5) + " LT",
                            "EXPIRETIME k")),
    ("pexpireat_nx_xx", cmds("SET k v", "PEXPIREAT k " + FUTURE_MS + " XX", "PEXPIREAT k " + FUTURE_MS + " NX",
                             "PEXPIREAT k 1 NX", "EXISTS k", "PEXPIRETIME k")),
    ("persist", cmds("SET k v EX 100", "PERSIST k", "TTL k", "PERSIST k", "PERSIST missing", "GET k")),
    ("persist_then_gt", cmds("SET k v PX 100000", "PERSIST k", "PEXPIRE k 10 GT", "PTTL k")),
    ("expire_then_set_clears", cmds("SET k v", "EXPIRE k 100", "SET k w", "TTL k", "EXPIRE k 100",
                                    "SET k x NX", Near("TTL k", 99, 100))),
    ("ttl_rounding", cmds("SET a v", "PEXPIRE a 1600", Near("TTL a", 2, 2), "SET b v", "PEXPIRE b 1400",
                          Near("TTL b", 1, 1), "SET c v PX 400", Near("TTL c", 0, 0), Near("PTTL c", 350, 400))),
    ("expiretime_rounding", cmds("SET k v", "PEXPIREAT k " + str(int(FUTURE) * 1000 + 499), "EXPIRETIME k",
                                 "PEXPIREAT k " + str(int(FUTURE) * 1000 + 500), "EXPIRETIME k",
                                 "PEXPIREAT k " + str(int(FUTURE) * 1000 + 999), "EXPIRETIME k")),
    ("expire_extra_args", cmds("SET k v", "EXPIRE k 100 NX 5", "EXPIRE k 100 XX XX", "PEXPIRE k 100 GT GT",
                               "EXPIRE k 100 ''", "TTL k")),
    ("ttl_per_database", cmds("SELECT 1", "SET k v EX 100", "SELECT 0", "TTL k", "SET k w", "TTL k", "SELECT 1",
                              Near("TTL k", 99, 100), "PERSIST k", "SELECT 0", "EXPIRE k 50", "SELECT 1", "TTL k",
                              "FLUSHDB", "SELECT 0")),
    ("flushall_clears_ttls", cmds("SET k v EX 100", "FLUSHALL", "TTL k", "SET k v", "TTL k", "PEXPIRETIME k")),
    ("del_clears_ttl", cmds("SET k v EX 100", "DEL k", "SET k v", "TTL k", "SET k v PX 100000", "GETDEL k",
                            "APPEND k x", "TTL k")),
    ("overwrite_many_ttls", cmds(*["SET k%d v EX %d" % (i, 100 + i) for i in range(20)],
                                 *["SET k%d w" % i for i in range(0, 20, 2)],
                                 *["TTL k%d" % i for i in range(0, 20, 2)],
                                 *[Near("TTL k%d" % i, 99 + i, 100 + i) for i in range(1, 20, 2)])),
    # ---------------- lazy expiry ----------------
    ("px1_then_get_nil", cmds("SET k v PX 1", Sleep(20), "GET k", "EXISTS k", "TTL k", "PTTL k")),
    ("px_expired_other_commands", cmds("SET a 1 PX 1", "SET b x PX 1", "SET c 5 PX 1", "SET d abc PX 1",
                                       "SET e v PX 1", "SET f v PX 1", Sleep(20),
                                       "INCR a", "APPEND b y", "STRLEN c", "GETRANGE d 0 -1", "SETNX e new",
                                       "EXPIRE f 100", "GET a", "GET b", "GET e", "EXISTS f")),
    ("px_expired_more", cmds("SET a 1 PX 1", "SET b x PX 1", "SET c 5 PX 1", "SET d abc PX 1", "SET e v PX 1",
                             "SET f v PX 1", "SET g v PX 1", Sleep(20),
                             "MGET a b", "GETSET c new", "GETDEL d", "SET e w XX", "PERSIST f", "SET g w GET",
                             "EXPIRETIME c", "TTL e", "SETRANGE a 2 z", "GET a", "MSETNX b 1 x 2", "MGET b x")),
    ("px_not_yet_expired", cmds("SET k v PX 10000", Sleep(20), "GET k", Near("PTTL k", 9900, 9980))),
    ("expire_then_lazy", cmds("SET k v", "PEXPIRE k 5", Sleep(20), "GET k", "DEL k")),
    ("setex_keeps_value_until", cmds("PSETEX k 5 v", "GET k", Sleep(20), "GET k")),
    ("incr_after_expired", cmds("SET k 100 PX 1", Sleep(20), "INCR k", "TTL k")),
    # ---------------- a mixed pipeline ----------------
    # ---------------- SETBIT / GETBIT / BITCOUNT ----------------
    ("setbit_basic", cmds("SETBIT b 7 1", "SETBIT b 7 1", "GETBIT b 7", "GETBIT b 100", "GETBIT nokey 1",
                          "GET b", "SETBIT b 20 1", "GET b", "STRLEN b", "SETBIT b 7 0", "GET b")),
    ("setbit_errors", cmds("SETBIT b -1 1", "SETBIT b 4294967296 1", "SETBIT b 1 2", "SETBIT b x 1",
                           "SETBIT b 1 x", "SETBIT b 0 -1", "GETBIT b x", "GETBIT b 4294967296",
                           "GETBIT b -1", "SETBIT b", "GETBIT b", "EXISTS b")),
    ("setbit_int_value", cmds("SET i 12", "BITCOUNT i", "SETBIT i 1 0", "GET i", "SETBIT i 0 1", "GET i",
                              "INCR i")),
    ("setbit_keeps_ttl", cmds("SET b x EX 100", "SETBIT b 100 1", Near("TTL b", 99, 100), "STRLEN b")),
    ("bitcount_ranges", cmds("SET s foobar", "BITCOUNT s", "BITCOUNT s 0 0", "BITCOUNT s 1 1",
                             "BITCOUNT s 1 1 BIT", "BITCOUNT s 5 30 bit", "BITCOUNT s -5 -1 bit",
                             "BITCOUNT s 0 -1 byte", "BITCOUNT s -1 -2", "BITCOUNT s 2 1", "BITCOUNT s -100 100",
                             "BITCOUNT s 0 1000 BIT", "BITCOUNT s 7 7 bit", "BITCOUNT s 0 -1 foo",
                             "BITCOUNT s 1", "BITCOUNT s 0 -1 bit extra", "BITCOUNT s a b",
                             "BITCOUNT nokey a b", "BITCOUNT nokey 1", "BITCOUNT")),
    # ---------------- INCRBYFLOAT (long double arithmetic and formatting) ----------------
    ("incrbyfloat_basic", cmds("INCRBYFLOAT f 10.5", "INCRBYFLOAT f 0.1", "INCRBYFLOAT f -5.0e3",
                               "GET f", "INCRBYFLOAT g 3", "INCRBYFLOAT h 0.000000000000000001",
                               "INCRBYFLOAT h2 -0.0", "INCRBYFLOAT h4 3.0000000000000000001",
                               "INCRBYFLOAT h5 .5", "INCRBYFLOAT h6 5.", "INCRBYFLOAT h7 +5",
                               "INCRBYFLOAT h8 0x10", "INCRBYFLOAT h9 1e-5", "INCRBYFLOAT h9 123456789.123456789")),
    ("incrbyfloat_errors", cmds("INCRBYFLOAT f abc", ["INCRBYFLOAT", "f", " 1"], ["INCRBYFLOAT", "f", "1 "],
                                "INCRBYFLOAT f 1e", "INCRBYFLOAT f nan", "INCRBYFLOAT f inf",
                                "INCRBYFLOAT f -inf", "INCRBYFLOAT f 1e99999", "INCRBYFLOAT f 1e-99999",
                                ["INCRBYFLOAT", "f", "1\x002"], ["INCRBYFLOAT", "f", ""], "SET s foobar",
                                "INCRBYFLOAT s 1", "INCRBYFLOAT f", "EXISTS f")),
    ("incrbyfloat_huge", cmds("INCRBYFLOAT f 1e400", "INCRBYFLOAT f 1.7976931348623157e308",
                              "INCRBYFLOAT g 1.7976931348623157e308", "INCRBYFLOAT g 1.7976931348623157e308")),
    ("incrbyfloat_existing", cmds("SET g 3.0", "INCRBYFLOAT g 0", "SET g 1.5e3", "INCRBYFLOAT g 0",
                                  "SET g 5 EX 100", "INCRBYFLOAT g 2.5", Near("TTL g", 99, 100), "GET g")),
    # ---------------- LCS ----------------
    ("lcs_basic", cmds("SET x ohmytext", "SET y mynewtext", "LCS x y", "LCS x y LEN", "LCS x y IDX",
                       "LCS x y IDX MINMATCHLEN 4", "LCS x y IDX WITHMATCHLEN", "LCS x y idx minmatchlen -3",
                       "LCS x nokey", "LCS nokey nokey2 LEN", "LCS x x IDX WITHMATCHLEN")),
    ("lcs_errors", cmds("SET x ohmytext", "SET y mynewtext", "LCS x y IDX LEN", "LCS x y FOO",
                        "LCS x y MINMATCHLEN", "LCS x y MINMATCHLEN x", "LCS x", [
                            "SET", "big", "a" * 20000], ["SET", "big2", "b" * 20000], "LCS big big2")),
    ("lcs_longer", cmds(["SET", "p", "the quick brown fox jumps over the lazy dog" * 3],
                        ["SET", "q", "a quick brown dog jumps over the lazy fox!" * 3],
                        "LCS p q", "LCS p q LEN", "LCS p q IDX WITHMATCHLEN MINMATCHLEN 3")),
    ("pipeline_mixed", cmds("MSET a 1 b 2", "INCR a", "APPEND b 0", "INCRBY b 5", "MGET a b nokey",
                            "SETRANGE a 3 x", "GET a", "INCR a", "GETRANGE b 0 0", "EXPIRE a 100 XX",
                            "PERSIST a", "TTL a", "GETDEL b", "STRLEN b", "DBSIZE")),
]

IDS = [c[0] for c in CASES]
assert len(set(IDS)) == len(IDS)


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


def compare(results, t0):
    """List of readable mismatches."""
    bad = []
    for item, want, got in results:
        if isinstance(item, Near):
            lo, hi = item.window(t0)
            w, g = as_int(want), as_int(got)
            if w is None or not lo <= w <= hi:
                bad.append("%s: Redis itself is outside [%d, %d]: %r (fix the case)" % (describe(item), lo, hi, want))
            elif g is None or not lo <= g <= hi:
                bad.append("%s: want an integer in [%d, %d] (Redis %r), mako %r" % (describe(item), lo, hi, want, got))
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


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("body", [c[1] for c in CASES], ids=IDS)
def test_same_replies(redis_ref, mk, body, resp3):
    """`mk`: the module's mako server, restarted if an earlier case killed it."""
    check_case(redis_ref, mk, body, resp3)
