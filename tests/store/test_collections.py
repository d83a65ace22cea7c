"""Hashes and sets in the kernels, against plain Python models, through a sans-IO Core.

Random streams of hash and set commands run on a Core whose arena chunks,
index and output buffers are tiny and whose listpack/intset limits are low,
so nearly every write grows a value, converts an encoding or defers for
memory and re-runs; every reply is checked against a dict/set model (as
sets where Redis's order is not defined).  Then the encodings' conversion
points, exactly at the limits, and the memory a big collection gives back.
"""
import random

import pytest

from difftest import parse
from drive import roundtrip
from mako_numba.base.cnum import string2ll
from mako_numba.base.layout import T_MEM
from mako_numba.engine.core import Core
from mako_numba.store.types import pyview

WRONGTYPE = ("ERR", b"WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_INT = ("ERR", b"ERR hash value is not an integer")


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def value(reply):
    v, end = parse(reply)
    assert end == len(reply), reply
    return v


class Model:
    """Redis's semantics for the commands the streams use, in Python: (reply, unordered?)."""

    def __init__(self):
        self.keys = {}

    def kind(self, k):
        v = self.keys.get(k)
        return None if v is None else "hash" if isinstance(v, dict) else "set"

    def run(self, args):
        cmd, k = args[0].upper(), args[1]
        if cmd.startswith(b"H"):
            return (WRONGTYPE, False) if self.kind(k) == "set" else self._hash(cmd, k, args)
        return (WRONGTYPE, False) if self.kind(k) == "hash" else self._set(cmd, k, args)

    def _hash(self, cmd, k, args):
        h = self.keys.get(k, {})
        if cmd == b"HSET":
            new = 0
            for f, v in zip(args[2::2], args[3::2]):
                new += f not in h
                h[f] = v
            self.keys[k] = h
            return new, False
        if cmd == b"HDEL":
            n = sum(h.pop(f, None) is not None for f in dict.fromkeys(args[2:]))
            if not h:
                self.keys.pop(k, None)
            return n, False
        if cmd == b"HGET":
            return h.get(args[2]), False
        if cmd == b"HLEN":
            return len(h), False
        if cmd == b"HINCRBY":
            cur = string2ll(h.get(args[2], b"0"))
            if cur is None:
                return NOT_INT, False
            h[args[2]] = str(cur + int(args[3])).encode()
            self.keys[k] = h
            return cur + int(args[3]), False
        assert cmd == b"HGETALL"
        return sorted(h.items()), True

    def _set(self, cmd, k, args):
        s = self.keys.get(k, set())
        if cmd == b"SADD":
            n = len(set(args[2:]) - s)
            self.keys[k] = s | set(args[2:])
            return n, False
        if cmd == b"SREM":
            n = len(set(args[2:]) & s)
            s = s - set(args[2:])
            if s:
                self.keys[k] = s
            else:
                self.keys.pop(k, None)
            return n, False
        if cmd == b"SISMEMBER":
            return int(args[2] in s), False
        if cmd == b"SCARD":
            return len(s), False
        assert cmd == b"SMEMBERS"
        return sorted(s), True


def _member(rnd):
    if rnd.random() < 0.5:
        return b"%d" % rnd.choice([rnd.randrange(20), rnd.randrange(-40000, 40000), 1 << 40])
    return bytes(rnd.randrange(97, 123) for _ in range(rnd.choice([1, 3, 20, 200])))


def _command(rnd, keys):
    k = rnd.choice(keys)
    r = rnd.random()
    if r < 0.25:
        return [b"HSET", k] + [x for _ in range(rnd.randrange(1, 4)) for x in (_member(rnd), _member(rnd))]
    if r < 0.35:
        return [b"HDEL", k] + [_member(rnd) for _ in range(rnd.randrange(1, 4))]
    if r < 0.4:
        return [b"HGET", k, _member(rnd)]
    if r < 0.45:
        return [b"HINCRBY", k, rnd.choice([b"n1", b"n2", _member(rnd)]), b"%d" % rnd.randrange(-5, 6)]
    if r < 0.5:
        return [rnd.choice([b"HLEN", b"HGETALL"]), k]
    if r < 0.75:
        return [b"SADD", k] + [_member(rnd) for _ in range(rnd.randrange(1, 5))]
    if r < 0.85:
        return [b"SREM", k] + [_member(rnd) for _ in range(rnd.randrange(1, 4))]
    if r < 0.9:
        return [b"SISMEMBER", k, _member(rnd)]
    return [rnd.choice([b"SCARD", b"SMEMBERS"]), k]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_hash_and_set_streams_match_the_model(seed):
    rnd = random.Random(seed)
    core = Core(maxclients=4, seed=seed, out_buf=256, chunk_size=8192, table_logcap=3,
                large_block=2048, queue_size=64, args_size=256, hash_max_listpack_entries=6,
                hash_max_listpack_value=16, set_max_intset_entries=6)
    s = core.open()
    model = Model()
    keys = [b"k%d" % i for i in range(6)]
    for _ in range(60):
        batch = [_command(rnd, keys) for _ in range(rnd.randrange(1, 25))]
        out = roundtrip(core, s, b"".join(resp(*c) for c in batch))
        pos = 0
        for c in batch:
            got, pos = parse(out, pos)
            want, unordered = model.run(c)
            if unordered and c[0] == b"HGETALL":
                got = sorted(zip(got[0::2], got[1::2]))
            elif unordered:
                got = sorted(got)
            assert got == want, (c, got, want)
        assert pos == len(out)
    for k, v in model.keys.items():                     # every value decodes to the model's
        raw = core.key_info(0, k)[0]
        if isinstance(v, dict):
            assert dict(pyview.hash_items(raw)) == v
        else:
            assert set(pyview.set_members(raw)) == v


def _encoding(core, key):
    raw = core.key_info(0, key)[0]
    if pyview.is_intset(raw):
        return "intset"
    return "listpack" if pyview.kind(raw) == pyview.KIND_COMPACT else "hashtable"


def test_conversion_points_are_redis_limits():
    core = Core(maxclients=4, seed=1, hash_max_listpack_entries=4, hash_max_listpack_value=8,
                set_max_intset_entries=4)
    s = core.open()

    def run(*a):
        return roundtrip(core, s, resp(*a))
    run("HSET", "h", "a", 1, "b", 2, "c", 3, "d", 4)
    assert _encoding(core, b"h") == "listpack"        # at the limit
    run("HSET", "h", "d", 5)
    assert _encoding(core, b"h") == "listpack"        # an update adds nothing
    run("HSET", "h", "e", 5)
    assert _encoding(core, b"h") == "hashtable"       # one past it
    run("HSET", "v", "f", "x" * 8)
    assert _encoding(core, b"v") == "listpack"
    run("HSET", "v", "f", "x" * 9)
    assert _encoding(core, b"v") == "hashtable"       # a value one byte too long
    run("HDEL", "h", "a", "b", "c")
    assert _encoding(core, b"h") == "hashtable"       # never back
    run("SADD", "s", 1, 2, 3, 4)
    assert _encoding(core, b"s") == "intset"
    run("SADD", "s", 5)
    assert _encoding(core, b"s") == "hashtable"
    run("SADD", "t", 1, 2)
    run("SADD", "t", "01")                            # not an integer as Redis reads one
    assert _encoding(core, b"t") == "hashtable"
    assert sorted(value(run("SMEMBERS", "t"))) == [b"01", b"1", b"2"]
    run("SADD", "w", -9223372036854775808, 9223372036854775807, 0)
    assert _encoding(core, b"w") == "intset"
    assert value(run("SMEMBERS", "w")) == [b"-9223372036854775808", b"0", b"9223372036854775807"]


def test_a_big_collection_is_one_block_given_back_by_del():
    core = Core(maxclients=4, seed=1)
    s = core.open()
    roundtrip(core, s, resp("SET", "x", "y"))
    base = int(core.ks.tm[T_MEM])
    for lo in range(0, 200_000, 5000):
        roundtrip(core, s, resp("HSET", "big", *[x for i in range(lo, lo + 5000)
                                                 for x in (b"field:%d" % i, b"v%d" % i)]))
        roundtrip(core, s, resp("SADD", "bigs", *[b"member:%d" % i for i in range(lo, lo + 5000)]))
    assert value(roundtrip(core, s, resp("HLEN", "big"))) == 200_000
    assert value(roundtrip(core, s, resp("SCARD", "bigs"))) == 200_000
    assert int(core.ks.tm[T_MEM]) > base + 4_000_000
    assert roundtrip(core, s, resp("DEL", "big", "bigs")) == b":2\r\n"
    assert int(core.ks.tm[T_MEM]) == base


@pytest.mark.parametrize("cmd", ["HSCAN", "SSCAN"])
def test_scan_of_a_table_returns_every_member_present_throughout(cmd):
    """The cursor guarantee across index rebuilds: members added (the index grows) and
    deleted (dead entries, then a compacting rebuild) while the scan runs; every member that
    stays from start to end is returned, and none twice."""
    core = Core(maxclients=4, seed=7)
    s = core.open()
    n = 4000

    def add(lo, hi):
        if cmd == "HSCAN":
            return resp("HSET", "c", *[x for i in range(lo, hi) for x in (b"m%d" % i, b"v")])
        return resp("SADD", "c", *[b"m%d" % i for i in range(lo, hi)])

    def remove(lo, hi):
        return resp("HDEL" if cmd == "HSCAN" else "SREM", "c", *[b"m%d" % i for i in range(lo, hi)])
    roundtrip(core, s, add(0, n))
    seen = []
    cursor = b"0"
    calls = 0
    while True:
        cursor, items = value(roundtrip(core, s, resp(cmd, "c", cursor, "COUNT", 25)))
        seen += items[0::2] if cmd == "HSCAN" else items
        calls += 1
        if calls == 5:
            roundtrip(core, s, remove(0, 1500))           # dead entries
            roundtrip(core, s, add(n, 3 * n))             # the index grows (rebuilds)
        if cursor == b"0":
            break
    stayed = {b"m%d" % i for i in range(1500, n)}
    assert stayed <= set(seen)
    assert len(seen) == len(set(seen))
    assert calls > 10
