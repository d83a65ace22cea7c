"""SCAN's guarantee, RANDOMKEY and KEYS on a running mako_numba server.

- SCAN: every key present for the whole scan is returned at least once,
  while the table grows (keys inserted between calls) and while it shrinks
  (most keys deleted between calls), with small COUNTs so the scan spans
  many calls and the resizes happen mid-scan.
- RANDOMKEY returns only keys of the selected database, nil when it is empty.
- KEYS agrees with `mako_numba.glob.match` (the Python port of Redis's
  stringmatchlen) over 200 random patterns on a small alphabet: a cross-check
  of the jitted matcher.  KEYS `*` is special in Redis (it lists every key,
  even the empty one, which the glob `*` does not match).
"""
import random
import time

import pytest

from mako_numba.base.glob import match as glob_match
from difftest import value
from difftest import C, Conn
from test_tx_refcount import debug_redis  # noqa: F401  (a fixture: DEBUG allowed)


def _conn(mako):
    c = Conn(mako.port)
    assert c.call(b"FLUSHALL") == b"+OK\r\n"
    return c


def _mset(conn, keys, chunk=500):
    for i in range(0, len(keys), chunk):
        part = keys[i:i + chunk]
        assert conn.pipeline([[b"MSET"] + [x for k in part for x in (k, b"v")]]) == [b"+OK\r\n"]


def _scan_step(conn, cursor, count, before=()):
    """Send `before` commands then SCAN in one pipeline; (next cursor, keys)."""
    r = conn.pipeline(list(before) + [[b"SCAN", cursor, b"COUNT", str(count).encode()]])
    assert len(r) == len(before) + 1, r
    for x in r[:-1]:
        assert not x.startswith(b"-"), x
    v = value(r[-1])
    assert isinstance(v, list) and len(v) == 2 and v[0].isdigit(), r[-1]
    return v[0], v[1]


def _dbsize(conn):
    return int(conn.call(b"DBSIZE")[1:-2])


def test_scan_while_growing(mako):
    conn = _conn(mako)
    try:
        original = [b"orig:%d" % i for i in range(2000)]
        _mset(conn, original)
        seen = set()
        cursor, n, new = b"0", 0, 0
        start_size = _dbsize(conn)
        while True:
            before = [[b"SET", b"new:%d" % new, b"v"], [b"SET", b"new:%d" % (new + 1), b"v"],
                      [b"DEL", b"new:%d" % new]] if n else []
            new += 2
            cursor, keys = _scan_step(conn, cursor, 5, before)
            seen.update(keys)
            n += 1
            if cursor == b"0":
                break
            assert n < 60000, "SCAN did not finish in %d calls" % n
        grown = _dbsize(conn)
        print("growing: calls", n, "db", start_size, "->", grown)
        missing = [k for k in original if k not in seen]
        assert not missing, "%d original keys never returned (of %d; %d calls; db grew %d -> %d), e.g. %r" % (
            len(missing), len(original), n, start_size, grown, missing[:10])
        assert grown >= start_size + n - 1
        assert all(k.startswith((b"orig:", b"new:")) for k in seen)
    finally:
        conn.close()


@pytest.mark.parametrize("count", [5, 50])
def test_scan_while_shrinking(mako, count):
    conn = _conn(mako)
    try:
        rnd = random.Random(count)
        allkeys = [b"k:%d" % i for i in range(20000)]
        _mset(conn, allkeys)
        kept = set(allkeys[::20])                      # 1,000 keys never deleted
        doomed = [k for k in allkeys if k not in kept]
        rnd.shuffle(doomed)
        seen = set()
        cursor, n = b"0", 0
        while True:
            before = []
            if n and doomed:
                chunk, doomed = doomed[:400], doomed[400:]
                before = [[b"DEL"] + chunk]
            cursor, keys = _scan_step(conn, cursor, count, before)
            seen.update(keys)
            n += 1
            if cursor == b"0":
                break
            assert n < 60000, "SCAN did not finish in %d calls" % n
        print("shrinking: calls", n, "count", count)
        assert not doomed, "the scan finished (%d calls) before the deletes did: make COUNT smaller" % n
        missing = sorted(kept - seen)
        assert not missing, "%d kept keys never returned (of %d; %d calls), e.g. %r" % (
            len(missing), len(kept), n, missing[:10])
        assert _dbsize(conn) == len(kept)
        assert seen <= set(allkeys)
    finally:
        conn.close()


def test_scan_after_shrink_then_grow_between_calls(mako):
    """Delete almost everything, then refill past the old size, each mid-scan."""
    conn = _conn(mako)
    try:
        base = [b"b:%d" % i for i in range(5000)]
        _mset(conn, base)
        kept = set(base[::50])
        seen = set()
        cursor, n = b"0", 0
        while True:
            before = []
            if n == 3:
                before = [[b"DEL"] + [k for k in base if k not in kept]]
            elif n == 20:
                before = [[b"MSET"] + [x for i in range(8000) for x in (b"f:%d" % i, b"v")]]
            cursor, keys = _scan_step(conn, cursor, 7, before)
            seen.update(keys)
            n += 1
            if cursor == b"0":
                break
            assert n < 60000
        assert n > 20, "scan finished before the refill (%d calls)" % n
        missing = sorted(kept - seen)
        assert not missing, "%d kept keys never returned, e.g. %r" % (len(missing), missing[:10])
    finally:
        conn.close()


def test_randomkey(mako):
    conn = _conn(mako)
    try:
        db0 = {b"a", b"b", b"c"}
        db1 = {b"x%d" % i for i in range(50)}
        _mset(conn, sorted(db0))
        assert conn.call(b"SELECT", b"1") == b"+OK\r\n"
        _mset(conn, sorted(db1))
        r = conn.pipeline([[b"RANDOMKEY"]] * 300)
        got1 = {value(x) for x in r}
        assert got1 <= db1, got1 - db1
        assert len(got1) > 10, "RANDOMKEY hardly random: %r" % got1
        assert conn.call(b"SELECT", b"0") == b"+OK\r\n"
        got0 = {value(x) for x in conn.pipeline([[b"RANDOMKEY"]] * 200)}
        assert got0 == db0, got0
        # an empty database: nil in RESP2 and RESP3
        assert conn.call(b"SELECT", b"2") == b"+OK\r\n"
        assert conn.call(b"RANDOMKEY") == b"$-1\r\n"
        conn.call(b"HELLO", b"3")
        assert conn.call(b"RANDOMKEY") == b"_\r\n"
        conn.call(b"HELLO", b"2")
        # after deleting every key of db 1
        assert conn.call(b"SELECT", b"1") == b"+OK\r\n"
        assert conn.pipeline([[b"DEL"] + sorted(db1)]) == [b":50\r\n"]
        assert conn.call(b"RANDOMKEY") == b"$-1\r\n"
        # one key left
        conn.call(b"SET", b"last", b"v")
        assert {value(x) for x in conn.pipeline([[b"RANDOMKEY"]] * 20)} == {b"last"}
        # SWAPDB moves what RANDOMKEY sees
        assert conn.call(b"SWAPDB", b"1", b"0") == b"+OK\r\n"
        assert {value(x) for x in conn.pipeline([[b"RANDOMKEY"]] * 100)} == db0
        assert conn.call(b"SELECT", b"0") == b"+OK\r\n"
        assert conn.call(b"RANDOMKEY") == b"$4\r\nlast\r\n"
    finally:
        conn.close()


def test_randomkey_skips_expired(mako):
    conn = _conn(mako)
    try:
        conn.pipeline([[b"SET", b"e%d" % i, b"v", b"PX", b"1"] for i in range(20)] + [C("SET live v")])
        time.sleep(0.03)
        got = {value(x) for x in conn.pipeline([[b"RANDOMKEY"]] * 50)}
        assert got == {b"live"}, got
        conn.call(b"DEL", b"live")
        conn.pipeline([[b"SET", b"f%d" % i, b"v", b"PX", b"1"] for i in range(5)])
        time.sleep(0.03)
        assert conn.call(b"RANDOMKEY") == b"$-1\r\n"
    finally:
        conn.close()


def _random_world(seed):
    rnd = random.Random(seed)
    alpha = b"ab*?[]^-\\"
    keys = {bytes(rnd.choice(alpha) for _ in range(rnd.randint(0, 5))) for _ in range(400)}
    pats = [bytes(rnd.choice(alpha) for _ in range(rnd.randint(0, 7))) for _ in range(200)]
    pats += [b"*", b"**", b"?*", b"", b"\\", b"[", b"[^", b"[a-", b"a\\", b"*\\", b"[\\"]
    return sorted(keys), pats


@pytest.mark.parametrize("seed", [7, 8])
def test_keys_matches_python_glob(mako, seed):
    keys, pats = _random_world(seed)
    conn = _conn(mako)
    try:
        _mset(conn, keys)
        replies = conn.pipeline([[b"KEYS", p] for p in pats])
        assert len(replies) == len(pats)
        bad = []
        for p, r in zip(pats, replies):
            got = sorted(value(r))
            want = sorted(keys) if p == b"*" else sorted(k for k in keys if glob_match(p, k))
            if got != want:
                bad.append("KEYS %r: glob.match %r, mako %r" % (p, want, got))
        assert not bad, "\n".join(bad[:20])
    finally:
        conn.close()


def test_scan_with_a_huge_count(mako, redis_ref):
    """A COUNT up to 2**63 - 1 scans as any large one does, as Redis (its buffer size
    overflowed and the server died)."""
    conns = [Conn(mako.port), Conn(redis_ref.port)]
    try:
        for c in conns:
            assert c.call(b"FLUSHALL") == b"+OK\r\n"
            _mset(c, [b"k%d" % i for i in range(50)])
        for count in (b"2831208898252746385", b"9223372036854775807", b"4611686018427387904"):
            got = [value(c.call(b"SCAN", b"0", b"COUNT", count)) for c in conns]
            assert got[0][0] == got[1][0] == b"0", got
            assert sorted(got[0][1]) == sorted(got[1][1]) == sorted(b"k%d" % i for i in range(50))
            assert conns[0].call(b"scAn", b"0", b"CoUnt", count, b"TYPE", b"string").startswith(
                b"*2\r\n$1\r\n0\r\n*50\r\n")
    finally:
        for c in conns:
            c.call(b"FLUSHALL")
            c.close()


def test_scan_type_none_returns_expired_keys(mako, debug_redis):
    """Fuzzer finding: Redis's TYPE check looks each key up (deleting an expired one) and
    finds type "none", so TYPE none returns the expired keys not deleted yet, then they are
    gone; MATCH still applies first."""
    conns = [Conn(mako.port), Conn(debug_redis.port)]
    try:
        for c in conns:
            assert c.call(b"FLUSHALL") == b"+OK\r\n"
            assert c.call(b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0") == b"+OK\r\n"   # no sweep
            _mset(c, [b"live%d" % i for i in range(5)])
            for k in (b"gone1", b"gone2", b"other"):
                assert c.call(b"SET", k, b"v", b"PX", b"1") == b"+OK\r\n"
        time.sleep(0.05)
        for args in ([b"MATCH", b"gone*", b"TYPE", b"NONE"], [b"TYPE", b"string"],
                     [b"TYPE", b"none"], [b"TYPE", b"none"]):
            got = [value(c.call(b"SCAN", b"0", b"COUNT", b"1000", *args)) for c in conns]
            assert got[0][0] == got[1][0] == b"0", (args, got)
            assert sorted(got[0][1]) == sorted(got[1][1]), (args, got)
            assert [c.call(b"DBSIZE") for c in conns[:1]] == [c.call(b"DBSIZE") for c in conns[1:]]
        assert conns[0].call(b"DBSIZE") == b":5\r\n"
    finally:
        for c in conns:
            c.call(b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1")
            c.call(b"FLUSHALL")
            c.close()
