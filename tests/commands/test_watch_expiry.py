"""WATCH across flushes, and what lazy expiry deletes: Redis 7.0.15 vs mako_numba.

Steps `(client, command)` are sent one at a time to a real redis-server and
to mako_numba, each reply read before the next step, and the replies are
compared byte for byte, over RESP2 and over RESP3 (each connection says
HELLO 3 first; that reply is not compared, it names the server).  Active
expiry is off on both during a case, so an expired key goes only when a
command deletes it.

- A flush (FLUSHDB, FLUSHALL, SYNC or ASYNC, by the watcher or another
  client, of its database or another, alone or with SWAPDB) must not stop
  WATCH from seeing later writes: in Redis the watch outlives the keys.
- Which commands delete an expired key: SCAN does (every key it passes that
  matches the pattern, whatever TYPE asks for; `TYPE none` answers the
  expired keys it deletes), as do RANDOMKEY and the lookups of EXISTS, TYPE,
  TTL, GET and OBJECT; KEYS only skips it; DEBUG OBJECT and MEMORY USAGE
  see it; WATCH and EXEC only look (Redis 7.0's watchedKey.expired flag: an
  already expired key's deletion is no change for its watcher).
"""
import re

import pytest

from conftest import start_pair
from difftest import C, Conn, Sleep, flushall, mask_ids
from test_transactions import run_steps


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(mako_numba, redis-server); Redis allows DEBUG from loopback, as mako does by default."""
    m, r = start_pair(tmp_path_factory, redis_opts=("--enable-debug-command", "local"))
    yield m, r
    m.stop()
    r.stop()


def W(*steps):
    return list(steps)


TX = [(0, "MULTI"), (0, "PING"), (0, "EXEC")]

FLUSH_CASES = [
    ("flushdb_then_create", W((0, "WATCH a"), (1, "FLUSHDB"), (1, "SET a 1"), *TX)),
    ("flushall_then_create", W((0, "WATCH a"), (1, "FLUSHALL"), (1, "SET a 1"), *TX)),
    ("flushdb_async_then_create", W((0, "WATCH a"), (1, "FLUSHDB ASYNC"), (1, "SET a 1"), *TX)),
    ("flushall_async_then_create", W((0, "WATCH a"), (1, "FLUSHALL ASYNC"), (1, "SET a 1"), *TX)),
    ("flushall_sync_then_create", W((0, "WATCH a"), (1, "FLUSHALL SYNC"), (1, "SET a 1"), *TX)),
    ("own_flushall_then_create", W((0, "WATCH a"), (0, "FLUSHALL"), (1, "SET a 1"), *TX)),
    ("own_flushdb_then_own_create", W((0, "WATCH a"), (0, "FLUSHDB"), (0, "SET a 1"), *TX)),
    ("flush_other_db_then_create", W((0, "WATCH a"), (1, "SELECT 3"), (1, "SET x 1"), (1, "FLUSHDB"),
                                     (1, "SELECT 0"), (1, "SET a 1"), *TX)),
    ("flushdb_among_others_then_create", W((1, "SELECT 2"), (1, "SET z 1"), (1, "SELECT 0"),
                                           (1, "SET y 1"), (0, "WATCH a"), (1, "FLUSHDB"),
                                           (1, "SET a 1"), *TX, (1, "SELECT 2"), (1, "DBSIZE"))),
    ("flushall_twice_then_create", W((0, "WATCH a"), (1, "FLUSHALL"), (1, "FLUSHALL ASYNC"),
                                     (1, "SET a 1"), *TX)),
    ("flushall_then_other_key", W((0, "WATCH a"), (1, "FLUSHALL"), (1, "SET b 1"), *TX)),
    ("flushall_then_create_in_other_db", W((0, "WATCH a"), (1, "FLUSHALL"), (1, "SELECT 1"),
                                           (1, "SET a 1"), *TX)),
    ("existing_flushdb_async", W((0, "SET a 1"), (0, "WATCH a"), (1, "FLUSHDB ASYNC"), *TX)),
    ("watch_after_flush", W((1, "SET a 1"), (1, "FLUSHALL"), (0, "WATCH a"), (1, "SET a 2"), *TX)),
    ("swapdb_flushall_create", W((0, "WATCH a"), (1, "SWAPDB 0 1"), (1, "FLUSHALL"), (1, "SET a 1"),
                                 *TX)),
    ("swapdb_flushall_create_elsewhere", W((0, "WATCH a"), (1, "SWAPDB 0 1"), (1, "FLUSHALL"),
                                           (1, "SELECT 1"), (1, "SET a 1"), *TX)),
    ("swapdb_flushdb_create", W((1, "SELECT 1"), (1, "SET q 1"), (0, "WATCH a"), (1, "SWAPDB 0 1"),
                                (1, "SELECT 0"), (1, "FLUSHDB"), (1, "SET a 1"), *TX)),
    ("flushall_swapdb_brings_key", W((0, "WATCH a"), (1, "FLUSHALL"), (1, "SELECT 1"), (1, "SET a 1"),
                                     (1, "SWAPDB 0 1"), *TX)),
    ("flushall_swapdb_then_create", W((0, "WATCH a"), (1, "FLUSHALL"), (1, "SWAPDB 0 1"),
                                      (1, "SET a 1"), *TX)),
    ("swapdb_twice_flushall_create", W((0, "WATCH a"), (1, "SWAPDB 0 1"), (1, "SWAPDB 1 2"),
                                       (1, "FLUSHALL"), (1, "SET a 1"), *TX)),
    ("two_watchers_flush", W((0, "WATCH a"), (2, "WATCH b"), (1, "FLUSHALL"), (1, "SET b 1"), *TX,
                             (2, "MULTI"), (2, "PING"), (2, "EXEC"))),
]

PAST = "PXAT 1000"
EXPIRY_CASES = [
    ("scan_deletes_expired", W((0, "SET x v " + PAST), (0, "SCAN 0"), (0, "DBSIZE"))),
    ("scan_keeps_live", W((0, "SET x v " + PAST), (0, "SET y v"), (0, "SCAN 0"), (0, "DBSIZE"))),
    ("scan_match_spares_others", W((0, "SET x v " + PAST), (0, "SET y v " + PAST),
                                   (0, "SCAN 0 MATCH x"), (0, "DBSIZE"), (0, "SCAN 0 MATCH z*"),
                                   (0, "DBSIZE"))),
    ("scan_type_deletes", W((0, "SET x v " + PAST), (0, "SET y v"), (0, "SCAN 0 TYPE list"),
                            (0, "DBSIZE"), (0, "SET x v " + PAST), (0, "SCAN 0 TYPE string"),
                            (0, "DBSIZE"))),
    ("scan_type_none_answers_expired", W((0, "SET x v " + PAST), (0, "SET y v"), (0, "SCAN 0 TYPE none"),
                                         (0, "DBSIZE"), (0, "SCAN 0 TYPE NONE"), (0, "DBSIZE"))),
    ("scan_type_none_match", W((0, "SET x v " + PAST), (0, "SET z v " + PAST),
                               (0, "SCAN 0 MATCH x TYPE none"), (0, "DBSIZE"))),
    ("scan_huge_count", W((0, "SET x v"), (0, "SET y v " + PAST), (0, "SCAN 0 COUNT 2455314159053799099"),
                          (0, "SCAN 0 COUNT 9223372036854775807 TYPE string"), (0, "DBSIZE"))),
    ("object_deletes_expired", W((0, "SET v 19 " + PAST), (0, "DEBUG OBJECT nokey"),
                                 (0, "OBJECT ENCODING v"), (0, "DBSIZE"))),
    ("scan_other_db", W((0, "SELECT 1"), (0, "SET x v " + PAST), (0, "SELECT 0"), (0, "SCAN 0"),
                        (0, "SELECT 1"), (0, "DBSIZE"), (0, "SCAN 0"), (0, "DBSIZE"))),
    ("keys_skips_keeps", W((0, "SET x v " + PAST), (0, "SET y v"), (0, "KEYS *"), (0, "DBSIZE"),
                           (0, "KEYS x"), (0, "DBSIZE"))),
    ("randomkey_deletes", W((0, "SET x v " + PAST), (0, "RANDOMKEY"), (0, "DBSIZE"))),
    ("reads_delete", W((0, "SET x v " + PAST), (0, "EXISTS x"), (0, "DBSIZE"), (0, "SET x v " + PAST),
                       (0, "TYPE x"), (0, "DBSIZE"), (0, "SET x v " + PAST), (0, "TTL x"),
                       (0, "DBSIZE"), (0, "SET x v " + PAST), (0, "GET x"), (0, "DBSIZE"))),
    ("watch_does_not_delete", W((0, "SET c v " + PAST), (0, "WATCH c"), (0, "DBSIZE"), *TX,
                                (0, "DBSIZE"))),
    ("exec_does_not_delete", W((0, "WATCH a"), (0, "SET a v EXAT 852327"), (0, "MULTI"), (0, "EXEC"),
                               (0, "DBSIZE"))),
    ("expired_since_watch_not_deleted", W((0, "SET a v PX 100"), (0, "WATCH a"), Sleep(250), *TX,
                                          (0, "DBSIZE"))),
    ("expired_since_watch_scanned", W((0, "SET a v PX 100"), (0, "WATCH a"), Sleep(250),
                                      (1, "SCAN 0"), *TX, (0, "DBSIZE"))),
    ("stale_watch_then_read", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "GET c"), *TX,
                                (0, "DBSIZE"))),
    ("stale_watch_then_scan", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "SCAN 0"), *TX)),
    ("stale_watch_then_keys", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "KEYS *"), *TX,
                                (0, "DBSIZE"))),
    ("stale_watch_then_del", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "DEL c"), *TX)),
    ("stale_watch_then_set", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "SET c w"), *TX)),
    ("stale_watch_then_read_then_set", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "GET c"),
                                         (1, "SET c w"), *TX)),
    ("stale_watch_then_flushall", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "FLUSHALL"), *TX)),
    ("stale_watch_flushdb_then_set", W((0, "SET c v " + PAST), (0, "SET d v"), (0, "WATCH c"),
                                       (1, "FLUSHDB ASYNC"), (1, "SET c w"), *TX)),
    ("stale_watch_beside_live", W((0, "SET c v " + PAST), (0, "SET d v"), (0, "WATCH c d"),
                                  (1, "GET c"), (1, "SET d w"), *TX)),
    ("stale_watch_second_watcher", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "WATCH c"),
                                     (2, "GET c"), *TX, (1, "MULTI"), (1, "PING"), (1, "EXEC"))),
    ("swapdb_brings_expired", W((0, "WATCH a"), (1, "SELECT 1"), (1, "SET a v " + PAST),
                                (1, "SWAPDB 0 1"), *TX, (0, "DBSIZE"))),
    ("swapdb_brings_expired_then_read", W((0, "WATCH a"), (1, "SELECT 1"), (1, "SET a v " + PAST),
                                          (1, "SWAPDB 0 1"), (1, "SELECT 0"), (1, "GET a"), *TX)),
    ("stale_watch_swapdb_takes_it", W((0, "SET c v " + PAST), (0, "WATCH c"), (1, "SWAPDB 0 1"),
                                      *TX)),
    ("stale_watch_swapdb_live", W((0, "SET c v " + PAST), (1, "SELECT 1"), (1, "SET c w"),
                                  (0, "WATCH c"), (1, "SWAPDB 0 1"), *TX)),
]

CASES = FLUSH_CASES + EXPIRY_CASES


def _active_expire(port, on):
    c = Conn(port)
    try:
        assert c.pipeline([C("DEBUG SET-ACTIVE-EXPIRE %d" % on)]) == [b"+OK\r\n"]
    finally:
        c.close()


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("steps", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_same_replies(pair, steps, resp3):
    mk, redis_ref = pair
    results = []
    for port in (redis_ref.port, mk.port):
        flushall(port)
        _active_expire(port, 0)
        try:
            results.append(run_steps(port, steps, resp3))
        finally:
            _active_expire(port, 1)
    want, got = results
    assert mk.popen.poll() is None, "mako_numba died:\n" + mk.log()[-3000:]
    bad = ["%s: Redis %r, mako %r" % (step, w, g) for (step, w), (_, g) in zip(want, got)
           if w is None or mask_ids(w) != mask_ids(g or b"")]
    assert not bad, "\n".join(bad)


NULL = {False: b"*-1\r\n", True: b"_\r\n"}


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("flush", ["FLUSHDB", "FLUSHALL", "FLUSHDB ASYNC", "FLUSHALL ASYNC"])
def test_write_after_flush_aborts(pair, flush, resp3):
    """The reported case, with its expected bytes: EXEC answers a null array on both."""
    steps = W((0, "WATCH a"), (1, flush), (1, "SET a 1"), *TX)
    for port in (p.port for p in pair):
        flushall(port)
        replies = [r for _, r in run_steps(port, steps, resp3)]
        assert replies == [b"+OK\r\n", b"+OK\r\n", b"+OK\r\n", b"+OK\r\n", b"+QUEUED\r\n", NULL[resp3]]


def test_expiry_deletions_expected_bytes(pair):
    """The reported lazy-expiry cases, with their expected DBSIZE on both."""
    for port in (p.port for p in pair):
        for steps, size in [
            (W((0, "SET x v " + PAST), (0, "SCAN 0"), (0, "DBSIZE")), b":0\r\n"),
            (W((0, "SET c v " + PAST), (0, "WATCH c"), (0, "DBSIZE")), b":1\r\n"),
            (W((0, "WATCH a"), (0, "SET a v EXAT 852327"), (0, "MULTI"), (0, "EXEC"), (0, "DBSIZE")),
             b":1\r\n"),
        ]:
            flushall(port)
            _active_expire(port, 0)
            try:
                replies = [r for _, r in run_steps(port, steps, False)]
            finally:
                _active_expire(port, 1)
            assert replies[-1] == size, (port, steps, replies)


def _stats(port, *names):
    c = Conn(port)
    try:
        info = c.pipeline([C("INFO stats")])[0]
    finally:
        c.close()
    fields = dict(ln.split(b":", 1) for ln in info.split(b"\r\n") if b":" in ln)
    return [int(fields[n.encode()]) for n in names]


def test_scan_and_keys_count_expired_keys(pair):
    """SCAN's deletions count in expired_keys as any lazy expiry does; KEYS deletes none."""
    steps = W((0, "SET x v " + PAST), (0, "SET y v " + PAST), (0, "SET z v"), (0, "KEYS *"),
              (0, "SCAN 0 MATCH x"), (0, "SCAN 0 COUNT 100"), (0, "DBSIZE"))
    counted = []
    for port in (p.port for p in pair):
        flushall(port)
        _active_expire(port, 0)
        try:
            before, = _stats(port, "expired_keys")
            replies = [r for _, r in run_steps(port, steps, False)]
            counted.append(_stats(port, "expired_keys")[0] - before)
        finally:
            _active_expire(port, 1)
        assert replies[-1] == b":1\r\n"
    assert counted == [2, 2]


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_stale_watch_survives_active_expiry(pair, resp3):
    """Active expiry deleting a key that was already expired at WATCH is no change either."""
    steps = W((0, "SET c v " + PAST), (0, "WATCH c"), Sleep(300), *TX)
    got = []
    for p in pair:
        flushall(p.port)
        got.append([r for _, r in run_steps(p.port, steps, resp3)])
    assert got[0] == got[1]
    assert got[0][-1] == b"*1\r\n+PONG\r\n"


@pytest.mark.parametrize("typ", ["string", "none", "list", None])
def test_scan_type_counts_hits_and_misses(pair, typ):
    """SCAN's TYPE check is a lookup: a hit for each live key it looks at, a miss for each expired one."""
    scan = "SCAN 0 MATCH k*" + (" TYPE " + typ if typ else "")
    steps = W((0, "SET k1 v " + PAST), (0, "SET k2 v"), (0, "SET k3 v"), (0, "SET x v"), (0, scan),
              (0, "DBSIZE"))
    seen = []
    for port in (p.port for p in pair):
        flushall(port)
        _active_expire(port, 0)
        try:
            before = _stats(port, "keyspace_hits", "keyspace_misses", "expired_keys")
            replies = [r for _, r in run_steps(port, steps, False)]
            after = _stats(port, "keyspace_hits", "keyspace_misses", "expired_keys")
        finally:
            _active_expire(port, 1)
        seen.append(([a - b for a, b in zip(after, before)], replies[-1]))
    assert seen[0] == seen[1]
    assert seen[0] == ([2, 1, 1] if typ else [0, 0, 1], b":3\r\n")


def test_inspecting_an_expired_key(pair):
    """DEBUG OBJECT and MEMORY USAGE read the dict directly (no expiry): an expired key is
    still described and stays (the byte count is our own accounting, so only its kind is compared)."""
    want = (rb"\+Value at:0x[0-9a-f]+ refcount:2147483647 encoding:int serializedlength:2 "
            rb"lru:\d+ lru_seconds_idle:\d+\r\n")
    steps = W((0, "SET v 19 " + PAST), (0, "DEBUG OBJECT v"), (0, "MEMORY USAGE v SAMPLES 12"),
              (0, "DBSIZE"))
    for port in (p.port for p in pair):
        flushall(port)
        _active_expire(port, 0)
        try:
            replies = [r for _, r in run_steps(port, steps, False)]
        finally:
            _active_expire(port, 1)
        assert re.fullmatch(want, replies[1]), (port, replies)
        assert re.fullmatch(rb":\d+\r\n", replies[2]), (port, replies)
        assert replies[3] == b":1\r\n"
