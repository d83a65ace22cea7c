"""Administrative commands against a real Redis 7.0.15: OBJECT, MEMORY, DEBUG, INFO,
CLIENT and CONFIG GET.

Deterministic replies are compared byte for byte with redis-server (started
here with `--enable-debug-command local`, which is what mako does by
default); replies that embed addresses, times or memory sizes are checked
for format, or compared by field name.

Known, intended differences (see admin.py / stats.py docstrings):
- MEMORY USAGE counts our own allocation (size-class block + index slot);
- DEBUG has only OBJECT, SLEEP, SET-ACTIVE-EXPIRE, RELOAD, LOADAOF (tests/persistence/test_debug_reload.py)
  and HELP;
- INFO values (and the extra mako_numba_version field and # Mako section).
"""
import random
import re
import socket
import subprocess
import time

import pytest

from conftest import Proc, free_port, need_tool
from drive import cmd_bytes


@pytest.fixture(scope="module")
def rdb(tmp_path_factory):
    """redis-server 7.0 with DEBUG allowed from local connections, like mako."""
    exe = need_tool("redis-server")
    port = free_port()
    d = tmp_path_factory.mktemp("redis_admin")
    popen = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(d), "--daemonize", "no",
                              "--enable-debug-command", "local", "--logfile", str(d / "redis.log")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    proc = Proc(popen, port, d / "redis.log")
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            time.sleep(0.05)
    else:
        proc.stop()
        raise RuntimeError("redis-server did not start")
    yield proc
    proc.stop()


# --- a tiny RESP client that returns raw reply bytes ---------------------------------------
class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _skip(self, pos):
        """End position of the reply starting at pos."""
        end = self._line(pos)
        t = self.buf[pos:pos + 1]
        head = self.buf[pos + 1:end]
        if t in b"+-:_#,(":
            return end + 2
        if t in b"$=!":
            n = int(head)
            if n < 0:
                return end + 2
            while len(self.buf) < end + 2 + n + 2:
                self._fill()
            return end + 2 + n + 2
        if t in b"*~>%|":
            n = int(head)
            n = n * 2 if t in b"%|" else n
            p = end + 2
            for _ in range(max(n, 0)):
                p = self._skip(p)
            return p
        raise AssertionError(f"bad reply byte {t!r} in {self.buf!r}")

    def reply(self):
        end = self._skip(0)
        r, self.buf = self.buf[:end], self.buf[end:]
        return r

    def __call__(self, *args):
        self.sock.sendall(cmd_bytes(*args))
        return self.reply()

    def raw(self, data, n):
        self.sock.sendall(data)
        return [self.reply() for _ in range(n)]

    def closed(self, wait=2.0):
        """True once the server has closed the connection (after any pending bytes)."""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


def both(rdb, mako, *cmds, proto=2, flush=True):
    """Run cmds on a fresh connection to each server; the two lists of replies."""
    out = []
    for port in (rdb.port, mako.port):
        c = Conn(port)
        try:
            if flush:
                assert c("FLUSHALL") == b"+OK\r\n"
            if proto == 3:
                c("HELLO", "3")
            out.append([c(*cmd) for cmd in cmds])
        finally:
            c.close()
    return out


def same(rdb, mako, *cmds, proto=2):
    want, got = both(rdb, mako, *cmds, proto=proto)
    for cmd, w, g in zip(cmds, want, got):
        assert g == w, f"{cmd}: redis {w!r} mako {g!r}"


# --- OBJECT -------------------------------------------------------------------------------
VALUES = [b"0", b"9999", b"10000", b"-1", b"123", b"-0", b"007", b" 1", b"1 ", b"+1",
          b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808",
          b"12345678901234567890", b"1" * 21, b"abc", b"", b"x" * 44, b"x" * 45, b"x" * 300,
          b"1.5", b"\x00\x01"]


@pytest.mark.parametrize("proto", [2, 3])
def test_object_encoding_refcount(rdb, mako, proto):
    cmds = []
    for i, v in enumerate(VALUES):
        k = b"k%d" % i
        cmds += [("SET", k, v), ("OBJECT", "ENCODING", k), ("OBJECT", "REFCOUNT", k),
                 ("OBJECT", "FREQ", k)]
    cmds += [("OBJECT", "ENCODING", "nokey"), ("OBJECT", "REFCOUNT", "nokey"),
             ("OBJECT", "IDLETIME", "nokey"), ("OBJECT", "FREQ", "nokey"),
             ("OBJECT", "encoding", "k1", "x"), ("OBJECT", "ENCODING"), ("OBJECT", "FOO", "k1"),
             ("OBJECT", "HELP"), ("OBJECT", "HELP", "x"), ("OBJECT",)]
    same(rdb, mako, *cmds, proto=proto)


def test_object_encoding_of_built_values(rdb, mako):
    """Values built in place are raw; INCRBYFLOAT's are never int; COPY/RENAME/MOVE keep it."""
    enc = ("OBJECT", "ENCODING")
    same(rdb, mako, ("APPEND", "a", "12"), (*enc, "a"), ("APPEND", "a", "3"), (*enc, "a"),
         ("SETRANGE", "r", "0", "5"), (*enc, "r"), ("SET", "s", "77"), ("SETRANGE", "s", "0", "8"),
         (*enc, "s"), ("SETRANGE", "s", "0", ""), ("SETBIT", "b", "1", "1"), (*enc, "b"),
         ("SET", "i", "12"), ("SETBIT", "i", "60", "0"), (*enc, "i"), ("SET", "j", "12"),
         ("GETBIT", "j", "1"), (*enc, "j"), ("INCRBYFLOAT", "f", "12"), (*enc, "f"),
         ("INCRBYFLOAT", "g", "1" * 50), (*enc, "g"), ("INCR", "f2"), (*enc, "f2"),
         ("COPY", "a", "ca"), (*enc, "ca"), ("COPY", "f", "cf"), (*enc, "cf"), ("RENAME", "a", "ra"),
         ("GET", "ra"), (*enc, "ra"), ("MOVE", "ra", "1"), ("SELECT", "1"), (*enc, "ra"), ("SELECT", "0"),
         ("SET", "a", "5"), (*enc, "a"), ("COPY", "s", "a", "REPLACE"), (*enc, "a"),
         ("APPEND", "s", "x"), ("SET", "s", "9"), (*enc, "s"), ("GETSET", "b", "3"), (*enc, "b"))


def test_object_idletime_is_an_integer(mako):
    c = Conn(mako.port)
    c("SET", "idle", "v")
    assert c("OBJECT", "IDLETIME", "idle") == b":0\r\n"
    c.close()


# --- MEMORY -------------------------------------------------------------------------------
def test_memory_errors_and_help(rdb, mako):
    same(rdb, mako, ("SET", "a", "1"),
         ("MEMORY", "USAGE", "nokey"), ("MEMORY", "USAGE", "a", "SAMPLES", "x"),
         ("MEMORY", "USAGE", "a", "SAMPLES"), ("MEMORY", "USAGE", "a", "FOO", "1"),
         ("MEMORY", "USAGE", "a", "samples", "-1"), ("MEMORY", "USAGE", "nokey", "SAMPLES", "x"),
         ("MEMORY", "USAGE", "nokey", "SAMPLES", "0"), ("MEMORY", "USAGE"), ("MEMORY",),
         ("MEMORY", "FOO"), ("MEMORY", "HELP"), ("MEMORY", "PURGE"), ("MEMORY", "help", "x"))
    same(rdb, mako, ("MEMORY", "USAGE", "nokey"), ("MEMORY", "HELP"), proto=3)


def test_memory_usage_grows_with_value(mako):
    c = Conn(mako.port)
    c("SET", "small", "x")
    c("SET", "big", "x" * 10000)
    small = int(c("MEMORY", "USAGE", "small")[1:-2])
    big = int(c("MEMORY", "USAGE", "big", "SAMPLES", "0")[1:-2])
    assert 8 < small < 100 and 10000 < big < 12000
    c.close()


# --- DEBUG --------------------------------------------------------------------------------
def test_debug_replies(rdb, mako):
    same(rdb, mako, ("SET", "a", "1"),
         ("DEBUG", "OBJECT", "nokey"), ("DEBUG", "FOO"), ("DEBUG", "jmap"), ("DEBUG",),
         ("DEBUG", "SLEEP"), ("DEBUG", "SLEEP", "0"), ("DEBUG", "SLEEP", "x"),
         ("DEBUG", "sleep", "-1"), ("DEBUG", "SLEEP", "0", "1"),
         ("DEBUG", "SET-ACTIVE-EXPIRE"), ("DEBUG", "SET-ACTIVE-EXPIRE", "1"),
         ("DEBUG", "set-active-expire", "x"), ("DEBUG", "SET-ACTIVE-EXPIRE", "1", "2"),
         ("DEBUG", "OBJECT"), ("DEBUG", "OBJECT", "a", "b"), ("DEBUG", "HELP", "x"),
         ("debug", "foo\x00bar"))


def _debug_fields(reply):
    m = re.fullmatch(rb"\+Value at:0x[0-9a-f]+ refcount:(\d+) encoding:(\w+) serializedlength:(\d+) "
                     rb"lru:(\d+) lru_seconds_idle:(\d+)\r\n", reply)
    assert m, reply
    return m.group(1), m.group(2), m.group(3)


def test_debug_object_matches_redis(rdb, mako):
    rng = random.Random(7)
    values = list(VALUES) + [b"-2147483649", b"2147483647", b"-129", b"32768", b"12345678901"]
    for n in (21, 25, 40, 64, 100, 1000, 20000):
        values.append(bytes(rng.choice(b"ab") for _ in range(n)))          # compressible
        values.append(bytes(rng.randrange(256) for _ in range(n)))         # not
        values.append((b"hello world %d " % n) * (n // 10 + 1))
    cmds = []
    for i, v in enumerate(values):
        cmds += [("SET", b"k%d" % i, v), ("DEBUG", "OBJECT", b"k%d" % i)]
    want, got = both(rdb, mako, *cmds)
    for i in range(1, len(cmds), 2):
        assert _debug_fields(got[i]) == _debug_fields(want[i]), cmds[i - 1][2][:60]


def test_debug_sleep_blocks_and_active_expire_flag(mako):
    c = Conn(mako.port)
    t0 = time.monotonic()
    assert c("DEBUG", "SLEEP", "0.3") == b"+OK\r\n"
    assert time.monotonic() - t0 >= 0.29
    assert c("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
    assert c("DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"+OK\r\n"
    help_ = c("DEBUG", "HELP")
    assert help_.startswith(b"*") and b"+SLEEP <seconds>\r\n" in help_
    c.close()


# --- INFO ---------------------------------------------------------------------------------
def _info(conn, *sections):
    r = conn("INFO", *sections)
    if r.startswith(b"="):
        head, rest = r.split(b"\r\n", 1)
        assert rest[:4] == b"txt:"
        return rest[4:-2].decode()
    head, rest = r.split(b"\r\n", 1)
    assert len(rest) - 2 == int(head[1:])
    return rest[:-2].decode()


def _parse(text):
    """[(title, [field names])] of an INFO text."""
    out = []
    for block in text.split("\r\n\r\n") if text else []:
        lines = [ln for ln in block.split("\r\n") if ln]
        assert lines[0].startswith("# ")
        names = []
        for ln in lines[1:]:
            k, sep, v = ln.partition(":")
            assert sep and k, ln
            names.append(k)
        out.append((lines[0][2:], names))
    return out


SECTION_ARGS = [(), ("default",), ("all",), ("everything",), ("server", "clients"),
                ("SERVER",), ("commandstats",), ("errorstats",), ("keyspace", "foo"),
                ("default", "commandstats"), ("everything", "server"), ("server", "server"),
                ("modules",), ("module_list",), ("cluster",), ("latencystats",), ("memory",),
                ("persistence",), ("stats",), ("replication",), ("cpu",), ("clients",)]


@pytest.mark.parametrize("args", SECTION_ARGS, ids=[" ".join(a) or "none" for a in SECTION_ARGS])
def test_info_sections_and_fields(rdb, mako, args):
    r, m = Conn(rdb.port), Conn(mako.port)
    for c in (r, m):
        c("SET", "x", "1")
        c("GET", "x")
    want = _parse(_info(r, *args))
    got = [(t, [f for f in names if f != "mako_numba_version"])
           for t, names in _parse(_info(m, *args)) if t != "Mako"]
    assert [t for t, _ in got] == [t for t, _ in want]
    for (t, g), (_, w) in zip(got, want):
        if t in ("Commandstats", "Errorstats", "Latencystats", "Keyspace"):
            continue            # contents depend on history: checked below
        assert g == w, t
    r.close()
    m.close()


def test_info_unknown_section_is_empty(rdb, mako):
    same(rdb, mako, ("INFO", "foo"), ("INFO", "foo", "bar"))
    same(rdb, mako, ("INFO", "foo"), proto=3)


def test_info_mako_section_only_when_asked(mako):
    c = Conn(mako.port)
    assert "# Mako" not in _info(c)
    assert "# Mako" not in _info(c, "server")
    for args in (("all",), ("everything",), ("mako",), ("MAKO",)):
        assert "# Mako\r\n" in _info(c, *args)
    assert "mako_numba_version:" in _info(c, "server")
    c.close()


def test_info_formats(mako):
    c = Conn(mako.port)
    c("SET", "k", "v")
    c("GET", "k")
    c("CLIENT", "ID")
    c("OBJECT", "ENCODING")      # rejected: wrong arity
    c("SELECT", "0")
    text = _info(c, "everything")
    fields = dict(ln.split(":", 1) for ln in text.split("\r\n") if ln and not ln.startswith("#"))
    assert re.fullmatch(r"[0-9a-f]{40}", fields["run_id"])
    assert re.fullmatch(r"\d+B|\d+\.\d\d[KMGTP]", fields["used_memory_human"])
    assert re.fullmatch(r"\d+\.\d\d%", fields["used_memory_peak_perc"])
    assert re.fullmatch(r"\d+\.\d{6}", fields["used_cpu_sys_main_thread"])
    assert fields["cluster_enabled"] == "0" and fields["role"] == "master"
    stat = r"calls=(\d+),usec=(\d+),usec_per_call=\d+\.\d\d,rejected_calls=(\d+),failed_calls=(\d+)"
    assert re.fullmatch(stat, fields["cmdstat_get"])
    assert re.fullmatch(stat, fields["cmdstat_client|id"])
    assert re.fullmatch(stat, fields["cmdstat_object|encoding"]).group(3) != "0"
    assert "cmdstat_client" not in fields       # containers count under container|sub
    assert re.fullmatch(r"keys=\d+,expires=\d+,avg_ttl=\d+", fields["db0"])
    assert "# Errorstats\r\n" in text
    c.close()


# --- CLIENT -------------------------------------------------------------------------------
LINE = re.compile(
    r"id=(\d+) addr=([\d.]+:\d+) laddr=([\d.]+:\d+) fd=\d+ name=(\S*) age=\d+ idle=\d+ "
    r"flags=([A-Za-z]+) db=(\d+) sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ "
    r"argv-mem=\d+ multi-mem=0 rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ "
    r"events=rw? cmd=(\S+) user=default redir=-1 resp=([23])")


def _keys_of(line):
    return [f.split("=", 1)[0] for f in line.split(" ")]


def test_client_list_format(rdb, mako):
    r, m = Conn(rdb.port), Conn(mako.port)
    want = r("CLIENT", "LIST").split(b"\r\n")[1].decode().rstrip("\n")
    got_reply = m("CLIENT", "LIST")
    got = got_reply.split(b"\r\n")[1].decode()
    assert got.endswith("\n")
    lines = got.rstrip("\n").split("\n")
    mid = int(m("CLIENT", "ID")[1:-2])
    mine = [ln for ln in lines if ln.startswith(f"id={mid} ")]
    assert len(mine) == 1 and _keys_of(mine[0]) == _keys_of(want.split("\n")[0])
    mt = LINE.fullmatch(mine[0])
    assert mt and mt.group(5) == "N" and mt.group(7) == "client|list"
    assert mt.group(2) == "%s:%d" % m.sock.getsockname()[:2]
    assert mt.group(3) == "127.0.0.1:%d" % mako.port
    m("HELLO", "3")
    m("CLIENT", "SETNAME", "bob")
    m("SELECT", "2")
    m("CLIENT", "NO-EVICT", "on")
    info = m("CLIENT", "INFO")
    assert info.startswith(b"=") and info.endswith(b"\n\r\n")
    mt = LINE.fullmatch(info.split(b"txt:", 1)[1][:-3].decode())
    assert mt.group(4) == "bob" and mt.group(5) == "e" and mt.group(6) == "2"
    assert mt.group(7) == "client|info" and mt.group(8) == "3"
    r.close()
    m.close()


def test_client_replies(rdb, mako):
    same(rdb, mako,
         ("CLIENT", "NO-EVICT", "on"), ("CLIENT", "NO-EVICT", "OFF"), ("CLIENT", "NO-EVICT", "foo"),
         ("CLIENT", "NO-EVICT"), ("CLIENT", "REPLY", "foo"), ("CLIENT", "REPLY", "on"),
         ("CLIENT", "REPLY"), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", ""),
         ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "x", "y"),
         ("CLIENT", "SETNAME"), ("CLIENT", "GETNAME", "x"), ("CLIENT", "SETNAME", "\xe9"),
         ("CLIENT", "SETNAME", "a\nb"), ("CLIENT", "SETNAME", "ab"), ("CLIENT", "GETNAME"),
         ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"),
         ("CLIENT", "LIST", "ID", "-1"), ("CLIENT", "LIST", "ID", "1", "x"),
         ("CLIENT", "LIST", "ID", "99999999999999999999"), ("CLIENT", "LIST", "ID"),
         ("CLIENT", "LIST", "TYPE", "foo"), ("CLIENT", "LIST", "TYPE"),
         ("CLIENT", "LIST", "TYPE", "replica"), ("CLIENT", "LIST", "TYPE", "pubsub"),
         ("CLIENT", "LIST", "TYPE", "Master"), ("CLIENT", "LIST", "foo"),
         ("CLIENT", "INFO", "x"), ("CLIENT", "ID", "x"),
         ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "ID", "0"),
         ("CLIENT", "KILL", "ID", "x"), ("CLIENT", "KILL", "ID", "-1"),
         ("CLIENT", "KILL", "ID", "99999"), ("CLIENT", "KILL", "ID"),
         ("CLIENT", "KILL", "ID", "1", "SKIPME"), ("CLIENT", "KILL", "SKIPME", "maybe"),
         ("CLIENT", "KILL", "TYPE", "foo"), ("CLIENT", "KILL", "USER", "bob"),
         ("CLIENT", "KILL", "USER", "default", "SKIPME", "yes", "ID", "99999"),
         ("CLIENT", "KILL", "FOO", "bar"), ("CLIENT", "KILL", "ADDR", "1.2.3.4:5"),
         ("CLIENT", "KILL", "LADDR", "1.2.3.4:5"), ("CLIENT", "KILL", "MAXAGE", "10"),
         ("CLIENT", "KILL"), ("CLIENT", "KILL", "TYPE", "pubsub"),
         ("CLIENT", "KILL", "TYPE", "normal", "ID", "99999", "ID", "99998"),
         ("CLIENT", "KILL", "ID", "99999", "SKIPME", "no"))
    same(rdb, mako, ("CLIENT", "LIST", "ID", "-1"), ("CLIENT", "GETNAME"), proto=3)


def test_client_reply_off_then_on(mako):
    """OFF answers nothing and silences PING; ON answers +OK (tests/commands/test_reply_modes_and_stats.py
    compares every mode with Redis byte for byte)."""
    c = Conn(mako.port)
    assert c.raw(b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n", 2) == [
        b"+OK\r\n", b"+PONG\r\n"]
    c.close()


@pytest.mark.parametrize("how", ["id", "addr", "old", "laddr"])
def test_client_kill_other(rdb, mako, how):
    for port, name in ((rdb.port, "redis"), (mako.port, "mako")):
        killer, victim = Conn(port), Conn(port)
        vid = int(victim("CLIENT", "ID")[1:-2])
        kid = int(killer("CLIENT", "ID")[1:-2])
        vaddr = "%s:%d" % victim.sock.getsockname()[:2]
        if how == "id":
            assert killer("CLIENT", "KILL", "ID", vid) == b":1\r\n", name
        elif how == "addr":
            assert killer("CLIENT", "KILL", "ADDR", vaddr, "SKIPME", "yes") == b":1\r\n", name
        elif how == "old":
            assert killer("CLIENT", "KILL", vaddr) == b"+OK\r\n", name
        else:
            n = int(killer("CLIENT", "KILL", "LADDR", "127.0.0.1:%d" % port)[1:-2])
            assert n >= 1, name
        assert victim.closed(), name
        listed = killer("CLIENT", "LIST")
        assert b"id=%d " % vid not in listed and b"id=%d " % kid in listed, name
        assert killer("PING") == b"+PONG\r\n", name
        killer.close()


def test_client_kill_type_counts_a_monitor_as_normal(rdb, mako):
    """Redis shows MONITOR clients as type normal (getClientType); no replicas or pubsub here."""
    got = []
    for port in (rdb.port, mako.port):
        mon, plain, killer = Conn(port), Conn(port), Conn(port)
        assert mon("MONITOR") == b"+OK\r\n"
        ids = {int(c("CLIENT", "ID")[1:-2]) for c in (plain, killer)}
        listed = killer("CLIENT", "LIST", "TYPE", "normal")
        out = [b"flags=O" in listed, len(ids & {int(i) for i in re.findall(rb"id=(\d+) ", listed)})]
        out += [killer("CLIENT", "KILL", "TYPE", t) for t in ("replica", "slave", "master", "pubsub")]
        n = int(killer("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")[1:-2])
        out += [n >= 2, mon.closed(), plain.closed(), killer("PING")]
        got.append(out)
        killer.close()
    assert got[0] == got[1]
    assert got[1][:2] == [True, 2] and got[1][-3:] == [True, True, b"+PONG\r\n"]


def test_client_kill_self(rdb, mako):
    for port in (rdb.port, mako.port):
        c = Conn(port)
        me = "%s:%d" % c.sock.getsockname()[:2]
        assert c.raw(cmd_bytes("CLIENT", "KILL", me) + cmd_bytes("PING"), 1) == [b"+OK\r\n"]
        assert c.closed() and c.buf == b""
        c = Conn(port)
        cid = int(c("CLIENT", "ID")[1:-2])
        assert c("CLIENT", "KILL", "ID", cid) == b":0\r\n"          # SKIPME yes by default
        assert c("CLIENT", "KILL", "ID", cid, "SKIPME", "no") == b":1\r\n"
        assert c.closed() and c.buf == b""


# --- CONFIG GET ---------------------------------------------------------------------------
def _pairs(reply):
    items = re.findall(rb"\$\d+\r\n(.*?)\r\n", reply)
    return dict(zip(items[::2], items[1::2]))


def test_config_get_globs(rdb, mako):
    r, m = Conn(rdb.port), Conn(mako.port)
    ours = _pairs(m("CONFIG", "GET", "*"))
    assert b"maxmemory-policy" in ours and b"port" in ours
    patterns = [("*",), ("*max*",), ("port", "PORT", "p?rt"), ("bind", "hz", "save"),
                ("*memory*", "tcp-*"), ("[a-d]*",), ("maxmemory", "maxmemory-policy"),
                ("nosuch",), ("nosuch", "timeout"), ("*-debug-*",), ("*-len",), ("?z",),
                ("appendonly", "loglevel", "databases", "maxclients")]
    for pats in patterns:
        want = {k: v for k, v in _pairs(r("CONFIG", "GET", *pats)).items() if k in ours}
        got = _pairs(m("CONFIG", "GET", *pats))
        for d in (want, got):
            d.pop(b"port", None)
            d.pop(b"dir", None)             # each server runs in a directory of its own
        assert got == want, pats
    assert r("CONFIG", "GET", "nosuch") == m("CONFIG", "GET", "nosuch") == b"*0\r\n"
    r("HELLO", "3")
    m("HELLO", "3")
    assert r("CONFIG", "GET", "nosuch") == m("CONFIG", "GET", "nosuch") == b"%0\r\n"
    want, got = r("CONFIG", "GET", "hz", "databases"), m("CONFIG", "GET", "hz", "databases")
    assert got.startswith(b"%2\r\n") and _pairs(got) == _pairs(want)
    r.close()
    m.close()
