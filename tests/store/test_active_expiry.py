"""Active and lazy expiry on a running mako_numba server (raw sockets, no reference).

Redis removes keys past their TTL in two ways: lazily, when a command touches
one, and actively, from a background cycle that samples keys with a TTL.
DBSIZE does not touch keys, so it only falls when the active cycle runs:
that is what these tests watch.  Each removal counts in INFO stats
`expired_keys`, either way.
"""
import re
import time

import pytest

from difftest import Conn, as_int, flushall

N = 1000
DEADLINE = 2.0        # seconds after the keys' expiry by which the active cycle must have removed them


def info_stat(conn, field):
    reply = conn.call(b"INFO", b"stats")
    assert reply is not None and reply.startswith(b"$"), reply
    m = re.search(rb"\r\n%s:(\d+)\r\n" % field.encode(), reply)
    assert m, "no %s in INFO stats: %r" % (field, reply[:500])
    return int(m.group(1))


def dbsize(conn):
    n = as_int(conn.call(b"DBSIZE"))
    assert n is not None
    return n


def wait_dbsize(conn, want, deadline):
    """Poll DBSIZE until it is `want` or the deadline passes; the last value seen."""
    n = dbsize(conn)
    while n != want and time.time() < deadline:
        time.sleep(0.02)
        n = dbsize(conn)
    return n


def set_many(conn, prefix, n, *opts):
    cmds = [[b"SET", b"%s:%d" % (prefix, i), b"v%d" % i, *opts] for i in range(n)]
    replies = conn.pipeline(cmds)
    assert replies == [b"+OK\r\n"] * n, set(replies)


@pytest.fixture
def conn(mako):
    flushall(mako.port)
    c = Conn(mako.port)
    yield c
    c.close()


def test_untouched_keys_expire_actively(conn):
    """1000 keys with PX 100, never read: DBSIZE falls to 0 and expired_keys rises by 1000."""
    before = info_stat(conn, "expired_keys")
    set_many(conn, b"short", N, b"PX", b"100")
    expire_at = time.time() + 0.1
    assert dbsize(conn) == N
    n = wait_dbsize(conn, 0, expire_at + DEADLINE)
    assert n == 0, "%d of %d expired keys still counted %.1f s after their expiry" % (
        n, N, time.time() - expire_at)
    assert info_stat(conn, "expired_keys") - before == N


def test_long_ttl_and_persistent_keys_stay(conn):
    """Only the short-lived keys go; keys with a long TTL or none keep their values and TTLs."""
    before = info_stat(conn, "expired_keys")
    set_many(conn, b"long", 100, b"EX", b"1000")
    set_many(conn, b"keep", 100)
    set_many(conn, b"short", N, b"PX", b"100")
    expire_at = time.time() + 0.1
    n = wait_dbsize(conn, 200, expire_at + DEADLINE)
    assert n == 200, "DBSIZE %d, want the 200 long-lived keys" % n
    # the cycle keeps running: nothing more goes
    time.sleep(0.3)
    assert dbsize(conn) == 200
    assert info_stat(conn, "expired_keys") - before == N
    got = conn.pipeline([[b"GET", b"long:%d" % i] for i in range(100)]
                        + [[b"GET", b"keep:%d" % i] for i in range(100)])
    want = [b"$%d\r\nv%d\r\n" % (len(b"v%d" % i), i) for i in range(100)] * 2
    assert got == want
    ttls = [as_int(r) for r in conn.pipeline([[b"TTL", b"long:%d" % i] for i in range(100)])]
    assert all(t is not None and 990 <= t <= 1000 for t in ttls), ttls
    assert conn.pipeline([[b"TTL", b"keep:%d" % i] for i in range(100)]) == [b":-1\r\n"] * 100
    assert conn.pipeline([[b"GET", b"short:%d" % i] for i in range(0, N, 97)]) == [b"$-1\r\n"] * len(range(0, N, 97))


def test_active_expiry_in_other_databases(conn):
    """The cycle visits every database, not just the current one."""
    before = info_stat(conn, "expired_keys")
    assert conn.call(b"SELECT", b"3") == b"+OK\r\n"
    set_many(conn, b"db3", 200, b"PX", b"100")
    assert conn.call(b"SELECT", b"0") == b"+OK\r\n"
    set_many(conn, b"db0", 10)
    expire_at = time.time() + 0.1
    assert conn.call(b"SELECT", b"3") == b"+OK\r\n"
    n = wait_dbsize(conn, 0, expire_at + DEADLINE)
    assert n == 0, "%d keys left in db 3" % n
    assert conn.call(b"SELECT", b"0") == b"+OK\r\n"
    assert dbsize(conn) == 10
    assert info_stat(conn, "expired_keys") - before == 200


def test_read_after_expiry_is_nil_and_counted(conn):
    """A key set with PX 100 reads as nil after 200 ms, and counts once in expired_keys."""
    before = info_stat(conn, "expired_keys")
    assert conn.call(b"SET", b"k", b"v", b"PX", b"100") == b"+OK\r\n"
    assert conn.call(b"GET", b"k") == b"$1\r\nv\r\n"
    time.sleep(0.2)
    assert conn.call(b"GET", b"k") == b"$-1\r\n"
    assert conn.call(b"EXISTS", b"k") == b":0\r\n"
    assert conn.call(b"PTTL", b"k") == b":-2\r\n"
    assert dbsize(conn) == 0
    assert info_stat(conn, "expired_keys") - before == 1


def test_lazy_expiry_without_waiting_for_the_cycle(conn):
    """Keys read right after their TTL passes are gone at once (lazy path), each counted once."""
    before = info_stat(conn, "expired_keys")
    set_many(conn, b"lazy", 50, b"PX", b"20")
    time.sleep(0.04)
    got = conn.pipeline([[b"GET", b"lazy:%d" % i] for i in range(50)])
    assert got == [b"$-1\r\n"] * 50
    assert dbsize(conn) == 0
    assert info_stat(conn, "expired_keys") - before == 50
