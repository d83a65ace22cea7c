"""How arguments are read and echoed, against a real Redis 7.0.15, byte for byte.

Integers as util.c's string2ll reads them (no "1_0", "+1", "01"), floats as
string2d, memory values as memtoull; error texts echo the client's bytes as
they are (no re-encoding), trimmed of CR/LF at their ends as
addReplyErrorFormat does; CONFIG SET/GET as configSetCommand and
configGetCommand; HELLO applying its options in order; SELECT's range
error; OBJECT REFCOUNT of shared integers.
"""
import os
import socket

import pytest

from drive import cmd_bytes


class Conn:
    """One connection; each call sends a command and returns its raw reply."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self, pos):
        while (i := self.buf.find(b"\r\n", pos)) < 0:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        return i

    def _skip(self, pos):
        end = self._line(pos)
        t = self.buf[pos:pos + 1]
        if t in b"+-:_#,(":
            return end + 2
        n = int(self.buf[pos + 1:end])
        if t in b"$=!":
            if n < 0:
                return end + 2
            while len(self.buf) < end + 4 + n:
                self.buf += self.sock.recv(65536)
            return end + 4 + n
        p = end + 2
        for _ in range(max(n * 2 if t == b"%" else n, 0)):
            p = self._skip(p)
        return p

    def __call__(self, *args):
        self.sock.sendall(cmd_bytes(*args))
        end = self._skip(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply


@pytest.fixture
def pair(mako, redis_ref):
    a, b = Conn(mako.port), Conn(redis_ref.port)
    a("FLUSHALL")
    b("FLUSHALL")
    yield a, b
    a.close()
    b.close()


def same(pair, *args):
    """Send one command to both servers; the replies must be the same bytes."""
    ours, theirs = pair[0](*args), pair[1](*args)
    assert ours == theirs, (args, ours, theirs)
    return ours


def test_integers_follow_string2ll(pair):
    """Item: "1_0" and friends are not integers anywhere the slow path reads one."""
    err = b"-ERR value is not an integer or out of range\r\n"
    for bad in (b"1_0", b"+1", b"01", b" 1", b"1 ", b"-0", b"\xb2"):
        assert same(pair, "SELECT", bad) == err
    assert same(pair, "SELECT", "0") == b"+OK\r\n"
    assert same(pair, "HELLO", "1_000") == b"-ERR Protocol version is not an integer or out of range\r\n"
    assert same(pair, "CLIENT", "LIST", "ID", "1_000") == b"-ERR Invalid client ID\r\n"
    assert same(pair, "CLIENT", "KILL", "ID", "1_000") == b"-ERR client-id should be greater than 0\r\n"
    same(pair, "SET", "a", "ohmytext")
    same(pair, "SET", "b", "mynewtext")
    assert same(pair, "LCS", "a", "b", "MINMATCHLEN", "1_0") == err
    assert same(pair, "MEMORY", "USAGE", "a", "SAMPLES", "1_0") == err
    same(pair, "SET", "k", "1_000")
    assert same(pair, "OBJECT", "ENCODING", "k") == b"$6\r\nembstr\r\n"
    for name in ("slowlog-max-len", "timeout", "hz", "maxmemory-samples", "lfu-log-factor"):
        for bad in (b"1_000", b"+5", b"05", b"1e3"):
            assert same(pair, "CONFIG", "SET", name, bad).startswith(b"-ERR CONFIG SET failed")
    for bad in (b"1_0", b"+1mb", b"1 mb", b"0x10", b"\xb2"):
        assert same(pair, "CONFIG", "SET", "maxmemory", bad) == (
            b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - "
            b"argument must be a memory value\r\n")
    for bad in (b"1_0", b"nan", b"infinity", b" 5", b"5 ", b"50  99"):
        same(pair, "CONFIG", "SET", "latency-tracking-info-percentiles", bad)
    for bad in (b"normal 1_0 0 0", b"normal 0 0 1_0", b"normal 0 0 +5", b"normal  0 0 0"):
        same(pair, "CONFIG", "SET", "client-output-buffer-limit", bad)
    assert same(pair, "CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9") == b"+OK\r\n"


def test_error_echoes_keep_the_clients_bytes(pair):
    """Item: a byte like \\xcd is echoed as itself, not re-encoded as UTF-8."""
    assert same(pair, "CLIENT", b"getnam\xcd") == (
        b"-ERR unknown subcommand 'getnam\xcd'. Try CLIENT HELP.\r\n")
    same(pair, "CONFIG", b"g\xe9t")
    same(pair, "OBJECT", b"\xcd\xff", "k")
    assert same(pair, "CONFIG", "SET", b"\xcd", "1") == (
        b"-ERR Unknown option or number of arguments for CONFIG SET - '\xcd'\r\n")
    same(pair, "HELLO", "2", b"\xe9")
    same(pair, b"N\xe9", b"\xcd")


def test_cr_and_lf_in_echoed_arguments(pair):
    """Item: CR/LF at the end of an error text are trimmed, inside it they become spaces."""
    same(pair, "SET", "k", "v")
    for cmd in ("PEXPIRE", "EXPIRE"):
        assert same(pair, cmd, "k", "100000", b"x\r") == b"-ERR Unsupported option x\r\n"
        assert same(pair, cmd, "k", "100000", b"x\r\n\n") == b"-ERR Unsupported option x\r\n"
        assert same(pair, cmd, "k", "100000", b"\r\nx") == b"-ERR Unsupported option   x\r\n"
        same(pair, cmd, "k", "100000", b"\r")
        same(pair, cmd, "k", "100000", b"a\rb\x00c\n")
    same(pair, "HELLO", "2", b"x\r\n")
    same(pair, "CONFIG", "SET", b"x\r", "1")
    same(pair, "CLIENT", b"\nx\r")


def test_config_set_arguments(pair):
    """Item: odd counts, duplicates, immutable parameters, memory values."""
    assert same(pair, "CONFIG", "SET", "maxmemory", "1", "timeout") == b"-ERR syntax error\r\n"
    assert same(pair, "CONFIG", "SET", "maxmemory", "1", "MaxMemory", "2") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'MaxMemory') - duplicate parameter\r\n")
    assert same(pair, "CONFIG", "SET", "Databases", "1") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'Databases') - "
        b"can't set immutable config\r\n")
    for name in ("tcp-backlog", "enable-debug-command", "appendfilename", "appenddirname", "DIR",
                 "dbfilename"):
        same(pair, "CONFIG", "SET", name, "x")
    same(pair, "CONFIG", "SET", "nosuch", "1", "databases", "1")
    same(pair, "CONFIG", "SET", "databases", "1", "nosuch", "1")
    same(pair, "CONFIG", "SET", "databases", "1", "timeout", "1", "timeout", "2")
    same(pair, "CONFIG", "SET", "timeout", "x", "databases", "1")
    for value in (b"", b"00", b"01", b"1kb", b"1GB", b"99999999999999999999", b"0"):
        assert same(pair, "CONFIG", "SET", "maxmemory", value) == b"+OK\r\n"
        same(pair, "CONFIG", "GET", "maxmemory")
    for name in ("proto-max-bulk-len", "client-query-buffer-limit", "auto-aof-rewrite-min-size"):
        for value in (b"", b"00", b"-1", b"1_0", b"99999999999999999999", b"18446744073709551615"):
            same(pair, "CONFIG", "SET", name, value)
    assert same(pair, "CONFIG", "SET", "auto-aof-rewrite-min-size", "64mb") == b"+OK\r\n"
    # every parameter both have, with values Redis refuses (or takes, then restored below)
    names = [b"loglevel", b"timeout", b"tcp-keepalive", b"client-output-buffer-limit", b"hz",
             b"maxmemory-policy", b"maxmemory-samples", b"maxmemory-eviction-tenacity",
             b"lfu-log-factor", b"lfu-decay-time", b"save", b"appendonly", b"appendfsync",
             b"auto-aof-rewrite-percentage", b"rdbcompression", b"rdbchecksum",
             b"slowlog-log-slower-than", b"slowlog-max-len", b"latency-tracking",
             b"latency-tracking-info-percentiles", b"protected-mode", b"rdb-key-save-delay"]
    for name in names:
        for value in (b"abc", b"-1", b"-2", b"1_0", b"101", b"2147483648", b"99999999999999999999",
                      b"1 2 3", b"0 1", b"yes ", b"\xcd"):
            same(pair, "CONFIG", "SET", name, value)
    same(pair, "CONFIG", "SET", "save", "", "slowlog-log-slower-than", "10000",
         "latency-tracking-info-percentiles", "50 99 99.9", "rdb-key-save-delay", "0", "hz", "10",
         "lfu-decay-time", "1", "maxmemory-eviction-tenacity", "10", "timeout", "0",
         "tcp-keepalive", "300", "auto-aof-rewrite-percentage", "100", "lfu-log-factor", "10",
         "maxmemory-samples", "5")
    for name in names:
        assert pair[0]("CONFIG", "GET", name) == pair[1]("CONFIG", "GET", name), name


def test_config_set_validates_all_before_applying(pair):
    """Item: a bad value leaves every other parameter of the call as it was."""
    assert same(pair, "CONFIG", "SET", "timeout", "5", "maxmemory-samples", "0").startswith(b"-ERR")
    assert same(pair, "CONFIG", "GET", "timeout") == b"*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"


def test_config_set_rolls_back_when_applying_fails(pair):
    """Item: appendonly yes cannot start the AOF (its directory is a file): nothing changes."""
    for c in pair:
        d = c("CONFIG", "GET", "dir").split(b"\r\n")[-2].decode()
        with open(os.path.join(d, "appendonlydir"), "w"):
            pass
    try:
        assert same(pair, "CONFIG", "SET", "timeout", "7", "appendonly", "yes") == (
            b"-ERR CONFIG SET failed (possibly related to argument 'appendonly') - "
            b"Unable to turn on AOF. Check server logs.\r\n")
        assert same(pair, "CONFIG", "GET", "timeout") == b"*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
        same(pair, "CONFIG", "GET", "appendonly")
    finally:
        for c in pair:
            d = c("CONFIG", "GET", "dir").split(b"\r\n")[-2].decode()
            os.unlink(os.path.join(d, "appendonlydir"))


def test_config_get_echoes_names(pair):
    """Item: a plain name comes back as written, once; patterns give canonical names."""
    assert same(pair, "CONFIG", "GET", "MAXMEMORY") == b"*2\r\n$9\r\nMAXMEMORY\r\n$1\r\n0\r\n"
    assert same(pair, "CONFIG", "GET", "MaxMemory", "maxmemory") == (
        b"*2\r\n$9\r\nMaxMemory\r\n$1\r\n0\r\n")
    same(pair, "CONFIG", "GET", "TIMEOUT", "timeout", "Timeout")
    same(pair, "CONFIG", "GET", "rdb-key-save-delay")

    def pairs(reply):
        items = reply.split(b"\r\n")[1:-1][1::2]
        return dict(zip(items[0::2], items[1::2]))
    for args in (("MAXMEMORY", "maxmem*"), ("maxmem*", "MAXMEMORY"), ("TIME*",)):
        ours, theirs = pair[0]("CONFIG", "GET", *args), pair[1]("CONFIG", "GET", *args)
        assert pairs(ours) == pairs(theirs), args


def test_select_range(pair):
    """Item: beyond a C int is getIntFromObjectOrReply's range error, not the DB index error."""
    rng = b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
    assert same(pair, "SELECT", "2147483648") == rng
    assert same(pair, "SELECT", "-2147483649") == rng
    assert same(pair, "SELECT", "9223372036854775808") == b"-ERR value is not an integer or out of range\r\n"
    for db in ("2147483647", "-1", "16"):
        assert same(pair, "SELECT", db) == b"-ERR DB index is out of range\r\n"


def test_hello_applies_options_in_order(pair):
    """Item: HELLO's SETNAME acts at once; a later bad option does not undo it."""
    same(pair, "HELLO", "3", "SETNAME", "n1", "foo")
    assert same(pair, "CLIENT", "GETNAME") == b"$2\r\nn1\r\n"
    assert same(pair, "HELLO", "2", "SETNAME", "n2", "AUTH", "nobody", "x") == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
    assert same(pair, "CLIENT", "GETNAME") == b"$2\r\nn2\r\n"
    same(pair, "HELLO", "2", "SETNAME", "n3", "SETNAME", "bad name")
    assert same(pair, "CLIENT", "GETNAME") == b"$2\r\nn3\r\n"
    same(pair, "HELLO", "2", "SETNAME", "", "SETNAME")
    same(pair, "CLIENT", "GETNAME")


def test_object_refcount_follows_the_object(pair):
    """Item: only Redis's shared integers (SET, INCR, ... of 0..9999) have the shared refcount."""
    same(pair, "SET", "e", "5")
    same(pair, "COPY", "e", "f")
    same(pair, "INCRBYFLOAT", "g", "5")
    same(pair, "INCR", "h")
    same(pair, "SET", "big", "10000")
    same(pair, "APPEND", "ap", "7")
    same(pair, "SETRANGE", "sr", "0", "7")
    same(pair, "SET", "r", "9")
    same(pair, "RENAME", "r", "r2")
    same(pair, "SET", "m", "3")
    same(pair, "MOVE", "m", "1")
    same(pair, "GETSET", "gs", "8")
    same(pair, "MSET", "m1", "1", "m2", "2")
    same(pair, "SET", "c", "6")
    same(pair, "COPY", "c", "c2")
    same(pair, "INCR", "c2")
    assert same(pair, "OBJECT", "REFCOUNT", "f") == b":1\r\n"
    assert same(pair, "OBJECT", "REFCOUNT", "e") == b":2147483647\r\n"
    assert same(pair, "OBJECT", "REFCOUNT", "g") == b":1\r\n"
    for key in ("f", "g", "h", "big", "ap", "sr", "r2", "gs", "m1", "c2"):
        same(pair, "OBJECT", "REFCOUNT", key)
        same(pair, "OBJECT", "ENCODING", key)
    same(pair, "SELECT", "1")
    same(pair, "OBJECT", "REFCOUNT", "m")
    same(pair, "FLUSHDB")
    same(pair, "SELECT", "0")


def test_object_refcount_under_an_lru_policy(pair):
    """Item: with maxmemory and an LRU/LFU policy Redis shares no integers; the values keep it."""
    try:
        same(pair, "CONFIG", "SET", "maxmemory", "1gb", "maxmemory-policy", "allkeys-lru")
        same(pair, "SET", "p", "5")
        same(pair, "INCR", "q")
        same(pair, "CONFIG", "SET", "maxmemory-policy", "noeviction")
        same(pair, "SET", "s", "5")
        for key in ("p", "q", "s"):
            same(pair, "OBJECT", "REFCOUNT", key)
            same(pair, "OBJECT", "ENCODING", key)
        assert pair[0]("OBJECT", "REFCOUNT", "p") == b":1\r\n"
    finally:
        for c in pair:
            c("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction")
