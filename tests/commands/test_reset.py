"""RESET clears the connection's state as Redis 7.0's clearClientConnectionState does.

Name, database, protocol, transaction and watched keys, MONITOR, CLIENT
REPLY OFF and authentication go back to a new connection's; CLIENT NO-EVICT
stays.  Each test sends the same bytes to mako_numba and a real Redis and
compares the replies; CLIENT INFO is compared on the fields that do not
depend on the process (ids, addresses, times, memory).
"""
import re
import socket
import time

import pytest

from conftest import start_pair
from drive import cmd_bytes as cmd, raw

PW = "s3cret"


@pytest.fixture(scope="module")
def pw_pair(tmp_path_factory):
    m, r = start_pair(tmp_path_factory, "--requirepass", PW)
    yield m, r
    m.stop()
    r.stop()


STATE = ("name", "flags", "db", "multi", "resp", "user", "cmd")


def _norm_info(m):
    kv = dict(p.split("=", 1) for p in m.group(2).decode().split(" "))
    return b"<CLIENT INFO " + " ".join("%s=%s" % (k, kv[k]) for k in STATE).encode() + b">"


def normalized(reply):
    """HELLO's client id blanked; CLIENT INFO replaced by its process-independent fields."""
    reply = re.sub(rb"(\$2\r\nid\r\n):\d+", rb"\1:ID", reply)
    return re.sub(rb"([$=])\d+\r\n(?:txt:)?(id=[^\r\n]*)\n\r\n", _norm_info, reply)


def same(pair, data):
    ours, theirs = (normalized(raw("127.0.0.1", p.port, data)[0]) for p in pair)
    assert ours == theirs, data
    return ours


SCRIPTS = [
    cmd("CLIENT", "SETNAME", "foo") + cmd("SELECT", "3") + cmd("CLIENT", "NO-EVICT", "on")
    + cmd("CLIENT", "INFO") + cmd("RESET") + cmd("CLIENT", "INFO"),
    cmd("CLIENT", "REPLY", "OFF") + cmd("PING") + cmd("RESET") + cmd("PING"),
    cmd("CLIENT", "REPLY", "SKIP") + cmd("RESET") + cmd("PING"),
    cmd("MULTI") + cmd("SET", "a", "1") + cmd("RESET") + cmd("EXEC") + cmd("GET", "a"),
    cmd("HELLO", "3") + cmd("RESET") + cmd("CLIENT", "INFO") + cmd("GET", "nokey"),
    cmd("SELECT", "5") + cmd("SET", "r5", "1") + cmd("RESET") + cmd("GET", "r5") + cmd("FLUSHALL"),
    cmd("MONITOR") + cmd("RESET") + cmd("CLIENT", "INFO"),
    cmd("RESET", "x"),
]


@pytest.mark.parametrize("i", range(len(SCRIPTS)))
def test_reset_like_redis(pair, i):
    got = same(pair, SCRIPTS[i])
    if i == 0:
        assert got.endswith(b"<CLIENT INFO name=foo flags=e db=3 multi=-1 resp=2 user=default cmd=client|info>"
                            b"+RESET\r\n<CLIENT INFO name= flags=e db=0 multi=-1 resp=2 user=default "
                            b"cmd=client|info>")
    if i == 2:
        assert got == b"+PONG\r\n"


def test_reset_forgets_watched_keys(pair):
    for p in pair:
        s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
        s.sendall(cmd("WATCH", "w") + cmd("RESET"))
        time.sleep(0.2)
        assert s.recv(100) == b"+OK\r\n+RESET\r\n"
        raw("127.0.0.1", p.port, cmd("SET", "w", "changed"))
        s.sendall(cmd("MULTI") + cmd("GET", "w") + cmd("EXEC") + cmd("DEL", "w"))
        time.sleep(0.2)
        assert s.recv(100) == b"+OK\r\n+QUEUED\r\n*1\r\n$7\r\nchanged\r\n:1\r\n"
        s.close()


def test_reset_logs_out(pw_pair):
    got = same(pw_pair, cmd("AUTH", PW) + cmd("CLIENT", "SETNAME", "n") + cmd("RESET") + cmd("GET", "k")
               + cmd("HELLO", "3", "AUTH", "default", PW) + cmd("RESET") + cmd("PING"))
    assert got.endswith(b"+RESET\r\n-NOAUTH Authentication required.\r\n")
