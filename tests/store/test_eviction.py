"""maxmemory and eviction, against a real Redis 7.0 where replies are deterministic.

Byte-compared with redis-server: CONFIG SET/GET of maxmemory, maxmemory-policy
and maxmemory-samples (and their errors), the -OOM refusal of denyoom
commands while reads and DEL still run, OBJECT FREQ / IDLETIME under LFU.
Each policy is then checked on mako for what it promises: used_memory stays
near the limit, evicted_keys grows, and the keys it keeps (recently or
frequently read ones, keys without a TTL, the latest-expiring ones).  The
kernels are checked against plain-Python references (the eviction pool's
merge; evict_now against a dict of what was stored).
"""
import random
import socket
import time

import numpy as np
import pytest

from conftest import need_tool, start_mako, start_redis
from drive import cmd_bytes
from mako_numba.config import settings as config
from mako_numba.store import evict
from mako_numba.store import table
from mako_numba.base.jit import addr_of
from mako_numba.base.layout import POOL_SIZE, POOL_W, T_EVICTED, T_MAXMEM, T_POLICY, T_POOL, T_POOL_N, T_SAMPLES
from mako_numba.store.lfu import POLICIES
from mako_numba.store.keyspace import KeySpace
from naive import RefTable

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


class Raw:
    """One connection; send commands, read exactly the reply bytes (one reply each)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def _read(self):
        line = self.f.readline()
        t = line[:1]
        if t in b"+-:_":
            return line
        if t == b"$":
            n = int(line[1:-2])
            return line + (self.f.read(n + 2) if n >= 0 else b"")
        if t in b"*%":
            n = int(line[1:-2]) * (2 if t == b"%" else 1)
            return line + b"".join(self._read() for _ in range(max(n, 0)))
        raise AssertionError(line)

    def __call__(self, *args):
        self.s.sendall(cmd_bytes(*args))
        return self._read()

    def pipeline(self, cmds):
        self.s.sendall(b"".join(cmd_bytes(*c) for c in cmds))
        return [self._read() for _ in cmds]

    def info(self, field):
        text = self("INFO", "everything").decode()
        for line in text.split("\r\n"):
            if line.startswith(field + ":"):
                return line.split(":", 1)[1]
        raise KeyError(field)

    def close(self):
        self.s.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    need_tool("redis-server")
    m = start_mako(tmp_path_factory, "--save", "")
    r = start_redis(tmp_path_factory)
    yield m.port, r.port
    m.stop()
    r.stop()


@pytest.fixture
def both(servers):
    conns = [Raw(servers[0]), Raw(servers[1])]
    for c in conns:
        c("FLUSHALL")
    yield conns
    for c in conns:
        c.close()
    for port in servers:                        # fresh connections: a failed test may leave MULTI open
        c = Raw(port)
        c("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction", "maxmemory-samples", "5")
        c("FLUSHALL")
        c.close()


def _pairs(reply):
    items = [x for x in reply.split(b"\r\n")[1:] if x and not x.startswith(b"$")]
    return {items[i].decode(): items[i + 1].decode() for i in range(0, len(items), 2)}


def same(both, *args):
    m, r = (c(*args) for c in both)
    assert m == r, (args, m, r)
    return m


# --- against Redis -----------------------------------------------------------------------------
def test_config_set_get_bytes(both):
    assert [_pairs(c("CONFIG", "GET", "maxmemory*")) for c in both] == [
        {"maxmemory": "0", "maxmemory-policy": "noeviction", "maxmemory-samples": "5",
         "maxmemory-eviction-tenacity": "10", "maxmemory-clients": "0"}] * 2
    for args in [
        ("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
        ("CONFIG", "GET", "maxmemory-policy"),
        ("CONFIG", "SET", "maxmemory-policy", "VOLATILE-TTL"),
        ("CONFIG", "GET", "maxmemory-policy"),
        ("CONFIG", "SET", "maxmemory-policy", "lru"),
        ("CONFIG", "SET", "maxmemory-samples", "0"),
        ("CONFIG", "SET", "maxmemory-samples", "65"),
        ("CONFIG", "SET", "maxmemory-samples", "x"),
        ("CONFIG", "SET", "maxmemory-samples", "10"),
        ("CONFIG", "GET", "maxmemory-samples"),
        ("CONFIG", "SET", "maxmemory", "100mb"),
        ("CONFIG", "GET", "maxmemory"),
        ("CONFIG", "SET", "maxmemory", "1gb"),
        ("CONFIG", "GET", "maxmemory"),
        ("CONFIG", "SET", "maxmemory", "12zb"),
        ("CONFIG", "SET", "maxmemory", "0"),
        ("CONFIG", "SET", "maxmemory", "-1"),
        ("CONFIG", "SET", "maxmemory-eviction-tenacity", "101"),
        ("CONFIG", "SET", "maxmemory-eviction-tenacity", "0"),
        ("CONFIG", "GET", "maxmemory-eviction-tenacity"),
        ("CONFIG", "SET", "maxmemory-eviction-tenacity", "10"),
        ("CONFIG", "SET", "lfu-log-factor", "-1"),
        ("CONFIG", "SET", "lfu-log-factor", "x"),
        ("CONFIG", "SET", "lfu-log-factor", "0"),
        ("CONFIG", "GET", "lfu-log-factor"),
        ("CONFIG", "SET", "lfu-decay-time", "2147483648"),
        ("CONFIG", "SET", "lfu-decay-time", "0"),
        ("CONFIG", "GET", "lfu-decay-time"),
        ("CONFIG", "SET", "lfu-log-factor", "10", "lfu-decay-time", "1"),
    ]:
        same(both, *args)
    for c in both:
        c("CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru")
    assert [c.info("maxmemory") for c in both] == ["104857600"] * 2
    assert [c.info("maxmemory_human") for c in both] == ["100.00M"] * 2
    assert [c.info("maxmemory_policy") for c in both] == ["allkeys-lru"] * 2
    for field in ("evicted_keys", "total_eviction_exceeded_time", "current_eviction_exceeded_time"):
        for c in both:
            assert c.info(field).isdigit()


def test_noeviction_refuses_denyoom_commands(both):
    for c in both:
        c("SET", "a", "1")
        c("SET", "b", "hello")
        c("SETEX", "v", "1000", "x")
        c("CONFIG", "SET", "maxmemory", "1")
    for args in [
        ("SET", "c", "1"), ("SET", "a", "2"), ("INCR", "a"), ("APPEND", "b", "x"),
        ("SETNX", "d", "1"), ("MSET", "e", "1", "f", "2"), ("SETRANGE", "b", "0", "x"),
        ("SETBIT", "g", "1", "1"), ("GETSET", "a", "3"), ("INCRBY", "a", "2"),
        ("GET", "a"), ("GET", "b"), ("MGET", "a", "b", "c"), ("STRLEN", "b"), ("EXISTS", "a"),
        ("EXPIRE", "b", "100"), ("PERSIST", "b"), ("TTL", "b"), ("GETDEL", "b"), ("DEL", "a"),
        ("DEL", "a"), ("DBSIZE",), ("PING",), ("SET", "a", "1"), ("INCRBYFLOAT", "a", "1.5"),
    ]:
        same(both, *args)
    got = [c.info("errorstat_OOM") for c in both]
    assert got[0] == got[1]
    same(both, "CONFIG", "SET", "maxmemory", "0")
    same(both, "SET", "c", "1")


def test_oom_while_queuing_aborts_the_transaction(both):
    for c in both:
        c("SET", "a", "1")
        c("CONFIG", "SET", "maxmemory", "1")
    for args in [("MULTI",), ("SET", "b", "1"), ("GET", "a"), ("INCR", "a"), ("EXEC",),
                 ("GET", "b"), ("MULTI",), ("GET", "a"), ("DISCARD",), ("DEL", "a"), ("EXISTS", "a")]:
        same(both, *args)
    same(both, "CONFIG", "SET", "maxmemory", "0")
    for args in [("MULTI",), ("SET", "b", "2"), ("GET", "b"), ("EXEC",)]:
        same(both, *args)


def test_exec_is_refused_when_a_queued_write_meets_full_memory(servers, both):
    """Memory filled up after queuing: EXEC with a denyoom command is EXECABORT (rejected), a
    read-only one runs; the counters agree with Redis's."""
    others = [Raw(port) for port in servers]
    for c in both:
        c("CONFIG", "RESETSTAT")
        c("SET", "x", "y")
    for args in [("MULTI",), ("SET", "a", "b"), ("GET", "x")]:
        same(both, *args)
    for o in others:
        o("CONFIG", "SET", "maxmemory", "1")
    for args in [("EXEC",), ("EXEC",), ("GET", "a"), ("MULTI",), ("GET", "x"), ("EXEC",),
                 ("INCRBYFLOAT", "f", "1.5"), ("GET", "f")]:
        same(both, *args)
    for o in others:
        o("CONFIG", "SET", "maxmemory", "0")
    for args in [("MULTI",), ("GET", "x"), ("INCRBYFLOAT", "f", "1.5")]:
        same(both, *args)
    for o in others:
        o("CONFIG", "SET", "maxmemory", "1")
    same(both, "EXEC")
    stats = [(c.info("errorstat_EXECABORT"), c.info("errorstat_OOM"), c.info("cmdstat_exec").split(",usec=")[0],
              c.info("cmdstat_exec").split("rejected_calls=")[1], c.info("cmdstat_incrbyfloat").split("rejected_")[1])
             for c in both]
    assert stats[0] == stats[1]
    for o in others:
        o.close()


def test_eviction_tenacity(both):
    """Tenacity 0: a command stops after 16 keys (each command of a pipeline evicts again, the
    slow-path INFO too, and the cron while memory stays over); 100: no time limit, every key goes and the write is refused."""
    m = both[0]
    for c in both:
        _fill(c, "t", 3000)
        c("CONFIG", "SET", "maxmemory-policy", "allkeys-random", "maxmemory-eviction-tenacity", "0")
    m("CONFIG", "SET", "maxmemory", "1")
    got = m.pipeline([("SET", "x", "1"), ("SET", "y", "1"), ("INFO", "stats")])
    assert got[:2] == [b"+OK\r\n"] * 2
    evicted = int(got[2].split(b"evicted_keys:")[1].split(b"\r\n")[0])
    assert evicted % 16 == 0 and 48 <= evicted < 500      # 16 per command (and per cron tick)
    for c in both:
        c("CONFIG", "SET", "maxmemory", "1", "maxmemory-eviction-tenacity", "100")
    same(both, "SET", "z", "1")
    same(both, "DBSIZE")
    for c in both:
        c("CONFIG", "SET", "maxmemory", "0", "maxmemory-eviction-tenacity", "10")
        c("CONFIG", "RESETSTAT")


def test_noeviction_just_above_usage(both):
    """A limit a little above what is used: writes go on, then fail exactly; reads and DEL still work."""
    m = both[0]
    for i in range(200):
        m("SET", f"k{i}", "x" * 100)
    used = int(m.info("used_memory"))
    limit = used + 200_000
    m("CONFIG", "SET", "maxmemory", str(limit))
    replies = m.pipeline([("SET", f"n{i}", "y" * 100) for i in range(5000)])
    assert replies[0] == b"+OK\r\n"
    assert OOM in replies
    first = replies.index(OOM)
    assert all(r == OOM for r in replies[first:])
    assert int(m.info("used_memory")) <= limit + 512 * 1024    # the client's output buffer grew
    assert m("GET", "k1") == b"$100\r\n" + b"x" * 100 + b"\r\n"
    assert m("DEL", "k1", "n0") == b":2\r\n"
    assert m("INFO", "stats").count(b"evicted_keys:0\r\n") == 1


def test_volatile_policies_oom_without_volatile_keys(both):
    for policy in ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"):
        for c in both:
            c("FLUSHALL")
            c("SET", "a", "1")
            c("CONFIG", "SET", "maxmemory-policy", policy, "maxmemory", "1")
        same(both, "SET", "b", "1")
        same(both, "GET", "a")
        for c in both:
            c("CONFIG", "SET", "maxmemory", "0")


def test_object_freq_and_idletime_under_lfu(both):
    same(both, "SET", "k", "v")
    same(both, "OBJECT", "FREQ", "k")           # not LFU: the error
    for c in both:
        c("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    same(both, "SET", "n", "v")
    same(both, "OBJECT", "FREQ", "n")           # a new key: LFU_INIT_VAL
    same(both, "GET", "n")
    same(both, "OBJECT", "FREQ", "n")           # the first access always counts
    same(both, "OBJECT", "IDLETIME", "n")
    for value in ("w", "x" * 5000):               # rewritten in place, then in a new block
        same(both, "SET", "n", value)
        # an overwrite keeps the counter (6), which SET's own lookup may raise (p = 1/11)
        assert {int(c("OBJECT", "FREQ", "n")[1:-2]) for c in both} <= {6, 7, 8}
    for c in both:
        c("CONFIG", "SET", "lfu-log-factor", "0")     # every access counts: 1 / (base * 0 + 1)
    before = [int(c("OBJECT", "FREQ", "n")[1:-2]) for c in both]
    for _ in range(10):
        same(both, "GET", "n")
    assert [int(c("OBJECT", "FREQ", "n")[1:-2]) for c in both] == [f + 10 for f in before]
    for c in both:
        c("CONFIG", "SET", "lfu-log-factor", "10")
    same(both, "OBJECT", "FREQ", "missing")
    same(both, "OBJECT", "IDLETIME", "missing")
    for c in both:
        c("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    same(both, "OBJECT", "FREQ", "n")


# --- each policy on mako: memory near the limit, and the right keys kept -------------------------
def _fill(m, prefix, n, ttl=None, start=0):
    cmds = [("SET", f"{prefix}{i}", "v" * 100) + (("EX", str(ttl + i)) if ttl else ())
            for i in range(start, start + n)]
    for i in range(0, len(cmds), 1000):
        m.pipeline(cmds[i:i + 1000])


def _alive(m, prefix, n):
    replies = m.pipeline([("EXISTS", f"{prefix}{i}") for i in range(n)])
    return sum(r == b":1\r\n" for r in replies)


def _limit_after(m, extra):
    limit = int(m.info("used_memory")) + extra
    m("CONFIG", "SET", "maxmemory", str(limit))
    return limit


def _near(m, limit):
    used = int(m.info("used_memory"))
    assert used <= limit + 256 * 1024, (used, limit)
    assert int(m.info("evicted_keys")) > 0


def test_allkeys_lru_keeps_recently_read_keys(both):
    m = both[0]
    m("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    _fill(m, "old", 20000)
    time.sleep(2.1)                             # the LRU clock counts seconds
    m.pipeline([("GET", f"old{i}") for i in range(2000)])   # the hot ones: read just now
    limit = _limit_after(m, 300_000)
    _fill(m, "new", 12000)
    _near(m, limit)
    hot = _alive(m, "old", 2000)
    cold = _alive(m, "old", 20000) - hot
    assert hot >= 1900, (hot, cold)             # sampling, so approximately (as Redis's)
    assert cold < 18000 * 0.7, (hot, cold)


def test_allkeys_lfu_keeps_frequently_read_keys(both):
    m = both[0]
    m("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    _fill(m, "k", 20000)
    for _ in range(10):
        m.pipeline([("GET", f"k{i}") for i in range(2000)])
    limit = _limit_after(m, 300_000)
    _fill(m, "new", 15000)
    _near(m, limit)
    hot = _alive(m, "k", 2000)
    cold = _alive(m, "k", 20000) - hot
    assert hot >= 1800, hot
    assert cold < 18000 * 0.8, cold


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random"])
def test_volatile_policies_evict_only_keys_with_a_ttl(both, policy):
    m = both[0]
    m("CONFIG", "SET", "maxmemory-policy", policy)
    _fill(m, "keep", 5000)
    _fill(m, "vol", 10000, ttl=10000)
    limit = _limit_after(m, 200_000)
    _fill(m, "more", 6000, ttl=10000)
    _near(m, limit)
    assert _alive(m, "keep", 5000) == 5000
    assert _alive(m, "vol", 10000) < 10000
    # the volatile keys run out: then writes fail
    replies = m.pipeline([("SET", f"x{i}", "v" * 100) for i in range(20000)])
    assert replies[-1] == OOM
    assert _alive(m, "keep", 5000) == 5000


def test_volatile_ttl_evicts_the_soonest_expiring_first(both):
    m = both[0]
    m("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
    _fill(m, "t", 15000, ttl=1000)              # t{i} expires in 1000 + i seconds
    limit = _limit_after(m, 200_000)
    _fill(m, "plain", 5000)
    _near(m, limit)
    soon = _alive(m, "t", 5000)
    late = sum(r == b":1\r\n" for r in m.pipeline([("EXISTS", f"t{i}") for i in range(10000, 15000)]))
    assert late > 4500 and soon < late * 0.5, (soon, late)


def test_allkeys_random_stays_near_the_limit(both):
    m = both[0]
    m("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    _fill(m, "k", 10000)
    limit = _limit_after(m, 200_000)
    _fill(m, "new", 10000)
    _near(m, limit)
    assert 0 < _alive(m, "k", 10000) < 10000
    assert int(m.info("evicted_keys")) >= 5000 * 0.5
    m("CONFIG", "RESETSTAT")
    assert m.info("evicted_keys") == "0"


# --- kernels against plain-Python references ---------------------------------------------------
def _pool_ref(pool, score, which, pos, s):
    """Redis's evictionPoolPopulate insertion, on a sorted list of entries."""
    if any(e[1] == which and e[2] == pos for e in pool):
        return
    k = 0
    while k < len(pool) and pool[k][0] < score:
        k += 1
    if k == 0 and len(pool) == POOL_SIZE:
        return
    if len(pool) < POOL_SIZE:
        pool.insert(k, (score, which, pos, s))
    else:
        pool.pop(0)
        pool.insert(k - 1, (score, which, pos, s))


def test_pool_insert_matches_redis():
    rnd = random.Random(5)
    tm = np.zeros(T_POOL + POOL_SIZE * POOL_W, np.int64)
    pool = []
    for _ in range(2000):
        score, which, pos = rnd.randrange(50), rnd.choice((1, 2)), rnd.randrange(64)
        evict._pool_insert(tm, score, which, pos, pos + 7)
        _pool_ref(pool, score, which, pos, pos + 7)
        n = int(tm[T_POOL_N])
        got = [tuple(int(x) for x in tm[T_POOL + i * POOL_W:T_POOL + (i + 1) * POOL_W]) for i in range(n)]
        assert got == pool
        if rnd.random() < 0.05:
            tm[T_POOL_N] = 0
            pool = []


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-random", "volatile-ttl", "volatile-lru"])
def test_evict_now_against_a_dict(policy):
    rnd = random.Random(policy)
    ks = KeySpace(databases=4, logcap=4, chunk_size=1 << 16, seed=3)
    lim = config.limits_array(chunk_size=1 << 16, large_block=512)
    keep = []
    ref, expires = RefTable(), {}
    now = int(time.time() * 1000)
    for i in range(3000):
        db, k, v = rnd.randrange(4), b"key%d" % i, bytes(rnd.randrange(256) for _ in range(rnd.randrange(40)))
        exp = now + 10_000_000 + rnd.randrange(1000) if rnd.random() < 0.5 else 0
        kb = np.frombuffer(k + b"\0", np.uint8).copy()
        vb = np.frombuffer(v + b"\0", np.uint8).copy()
        keep += [kb, vb]
        while True:
            h, which, pos = table.lookup(ks.T, lim, db, addr_of(kb), len(k), now)
            if table.store(ks.T, lim, db, np.uint64(h), which, pos, addr_of(kb), len(k), addr_of(vb), len(v), exp) == 0:
                break
            ks.after_batch()
        ref.set(db, k, v)
        expires[(db, k)] = exp
    tm = ks.tm
    tm[T_POLICY] = POLICIES[policy]
    tm[T_SAMPLES] = 5
    tm[T_MAXMEM] = ks.used_bytes() * 3 // 4
    for _ in range(100):
        if evict.evict_now(ks.T, lim, now) == evict.EVICT_OK:
            break
    assert ks.used_bytes() <= tm[T_MAXMEM]
    alive = {key for key in ref.d if table.get(ks.T, key[0], *_addr(keep, key[1]))[1] >= 0}
    gone = set(ref.d) - alive
    assert len(gone) == int(tm[T_EVICTED]) > 0
    assert ks.keys() == len(alive)
    for db in range(4):
        assert ks.keys(db) == sum(1 for d, _ in alive if d == db)
        assert ks.volatile(db) == sum(1 for d, k in alive if d == db and expires[(d, k)])
    if policy.startswith("volatile"):
        assert all(expires[key] for key in gone)
    if policy == "volatile-ttl":
        worst_gone = max(expires[key] for key in gone)
        kept = sorted(expires[key] for key in alive if expires[key])
        assert kept[len(kept) // 2] > worst_gone - 500     # mostly the soonest went


def _addr(keep, k):
    b = np.frombuffer(k + b"\0", np.uint8).copy()
    keep.append(b)
    return addr_of(b), len(k)


def test_options_and_aof_logs_evictions_as_del(tmp_path_factory):
    """--maxmemory* on the command line; each evicted key is a DEL in the append-only file."""
    proc = start_mako(tmp_path_factory, "--save", "", "--appendonly", "yes",
                      "--maxmemory", "100mb", "--maxmemory-policy", "allkeys-random",
                      "--maxmemory-samples", "7")
    try:
        m = Raw(proc.port)
        assert _pairs(m("CONFIG", "GET", "maxmemory*")) == {
            "maxmemory": str(100 * 1024 * 1024), "maxmemory-policy": "allkeys-random",
            "maxmemory-samples": "7", "maxmemory-eviction-tenacity": "10", "maxmemory-clients": "0"}
        m("CONFIG", "SET", "maxmemory", str(int(m.info("used_memory")) + 1024 * 1024))
        _fill(m, "k", 30000)
        evicted = int(m.info("evicted_keys"))
        assert evicted > 0
        assert int(m.info("used_memory")) <= int(m.info("maxmemory")) + 256 * 1024
        time.sleep(1.5)
        logdir = proc.log_path.parent / "appendonlydir"
        data = b"".join(p.read_bytes() for p in logdir.glob("*.incr.aof"))
        assert data.count(b"*2\r\n$3\r\nDEL\r\n") == evicted
        m.close()
    finally:
        proc.stop()


def test_evictions_reach_the_aof_when_its_buffer_fills(tmp_path_factory):
    """Each request evicts 16 long keys (tenacity 0) while the limit is far below usage: one
    pipelined batch logs megabytes of DELs, more than the AOF buffer holds.  No DEL may be dropped (the request
    waits for the buffer to be written out), so a restart holds exactly the keys left."""
    d = tmp_path_factory.mktemp("evaof")
    proc = start_mako(tmp_path_factory, "--save", "", "--appendonly", "yes", "--dir", str(d),
                      "--maxmemory-policy", "allkeys-random", "--maxmemory-eviction-tenacity", "0")
    try:
        m = Raw(proc.port)
        pad = "p" * 200
        for start in range(0, 60000, 5000):
            m.pipeline([("SET", f"{pad}:{i}", "v") for i in range(start, start + 5000)])
        m("CONFIG", "SET", "maxmemory", "1")
        replies = m.pipeline([("SET", f"n{i}", "v") for i in range(600)])
        assert set(replies) == {b"+OK\r\n"}
        m("CONFIG", "SET", "maxmemory", "0")
        evicted = int(m.info("evicted_keys"))
        assert evicted >= 600 * 16                   # 2 MB of DELs: past one buffer's worth
        left = int(m("DBSIZE")[1:-2])
        keys = set(m("KEYS", "*").split(b"\r\n")[2::2])
        m.close()
        proc.stop()
        data = b"".join(p.read_bytes() for p in (d / "appendonlydir").glob("*.incr.aof"))
        assert data.count(b"*2\r\n$3\r\nDEL\r\n") == evicted
        proc = start_mako(tmp_path_factory, "--save", "", "--appendonly", "yes", "--dir", str(d))
        m = Raw(proc.port)
        assert int(m("DBSIZE")[1:-2]) == left
        assert set(m("KEYS", "*").split(b"\r\n")[2::2]) == keys
        m.close()
    finally:
        proc.stop()


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
                                    "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_hashes_and_sets_are_evicted_under_every_policy(both, policy):
    """Collections are records like strings: sampled, scored and freed whole, so used_memory
    stays near the limit, and a volatile policy takes only the ones with a TTL."""
    m = both[0]
    m("CONFIG", "SET", "maxmemory-policy", policy)

    def fill(prefix, n, ttl):
        cmds = []
        for i in range(n):
            if i % 2:
                cmds.append(("HSET", f"{prefix}{i}") + tuple(x for j in range(8) for x in (f"f{j}", "v" * 20)))
            else:
                cmds.append(("SADD", f"{prefix}{i}") + tuple(f"member{j}" for j in range(8)))
            if ttl:
                cmds.append(("EXPIRE", f"{prefix}{i}", str(100000 + i)))
        for i in range(0, len(cmds), 1000):
            m.pipeline(cmds[i:i + 1000])
    fill("keep", 2000, ttl=False)
    fill("old", 4000, ttl=True)
    limit = _limit_after(m, 300_000)
    fill("new", 4000, ttl=True)
    _near(m, limit)
    if policy.startswith("volatile"):
        assert _alive(m, "keep", 2000) == 2000     # no TTL: never a volatile policy's victim
    assert m("TYPE", "new3999") == b"+hash\r\n" and m("HLEN", "new3999") == b":8\r\n"


def test_a_full_memory_refuses_hset_and_sadd_but_not_hdel(both):
    m, r = both
    for c in both:
        c.pipeline([("HSET", f"h{i}", "f", "v" * 100) for i in range(2000)])
        c("CONFIG", "SET", "maxmemory", "1")
    same(both, "HSET", "h1", "g", "x")
    same(both, "SADD", "s", "x")
    same(both, "HINCRBY", "h1", "n", "1")
    same(both, "HDEL", "h1", "f")
    same(both, "SREM", "s", "x")
    same(both, "HGET", "h2", "f")
