"""The sorted-set commands under tiny memory limits, against a plain Python model (sans-IO Core).

The Core's arena chunks (4 KiB), large-block threshold (1 KiB, so every
skiplist is a block of its own), index and output buffer are tiny, so a
sorted set outgrows its value again and again, converts from listpack to
skiplist, a write defers for memory (nothing changed) and re-runs after the
engine supplied it, and replies defer for output room.  Every reply must be
exactly the model's (t_zset.c's rules, scores printed as "%.17g"), every
key's contents too (ZRANGE, and the value decoded: store/types/zset.items)
and its encoding (listpack up to 128 members of at most 64 bytes, skiplist
past that and never back; a STORE command's result built small again),
and the engine must have deferred (the streams did exercise the re-run).
"""
import bisect
import math
import random

import pytest

from difftest import parse
from drive import cmd_bytes, roundtrip
from mako_numba.base.layout import S_DEFERRALS
from mako_numba.engine.core import Core
from mako_numba.store.types import zset as zset_py
from mako_numba.store.types.zscore import format_score

WRONGTYPE = ("ERR", b"WRONGTYPE Operation against a key holding the wrong kind of value")
MAX_ENTRIES = 128
MAX_VALUE = 64


def tiny_core(seed):
    return Core(maxclients=4, seed=seed, out_buf=256, chunk_size=4096, table_logcap=2, large_block=1024,
                queue_size=64, args_size=512)


class ZSet:
    def __init__(self):
        self.items = []         # sorted (score, member)
        self.scores = {}
        self.skiplist = False

    def add(self, m, v):
        if m in self.scores:
            self.items.remove((self.scores[m], m))
        self.scores[m] = v
        bisect.insort(self.items, (v, m))
        if len(self.items) > MAX_ENTRIES or len(m) > MAX_VALUE:
            self.skiplist = True

    def delete(self, m):
        self.items.remove((self.scores.pop(m), m))


def flat(pairs):
    out = []
    for s, m in pairs:
        out += [m, format_score(s)]
    return out


class Model:
    """t_zset.c's replies (as difftest.parse gives them over RESP2) over Python sorted lists."""

    def __init__(self):
        self.keys = {}

    def run(self, args):
        return getattr(self, "c_" + args[0].decode().lower())(*args[1:])

    def z(self, k):
        v = self.keys.get(k)
        return None if isinstance(v, bytes) else v

    def wrong(self, *ks):
        return any(isinstance(self.keys.get(k), bytes) for k in ks)

    def gone(self, k):
        if isinstance(self.keys.get(k), ZSet) and not self.keys[k].items:
            del self.keys[k]

    def c_set(self, k, v):
        self.keys[k] = v
        return b"OK"

    def c_zadd(self, k, *rest):
        flags = set()
        i = 0
        while rest[i].upper() in (b"NX", b"XX", b"CH", b"INCR", b"GT", b"LT"):
            flags.add(rest[i].upper())
            i += 1
        pairs = [(float(rest[j]), rest[j + 1]) for j in range(i, len(rest), 2)]
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        incr = b"INCR" in flags
        if z is None:
            if b"XX" in flags:
                return None if incr else 0
            z = ZSet()
            if len(pairs[0][1]) > MAX_VALUE:
                z.skiplist = True
        added = updated = processed = 0
        last = None
        for v, m in pairs:
            if m in z.scores:
                if b"NX" in flags:
                    continue
                cur = z.scores[m]
                new = cur + v if incr else v
                if math.isnan(new):
                    return ("ERR", b"ERR resulting score is not a number (NaN)")
                if (b"LT" in flags and new >= cur) or (b"GT" in flags and new <= cur):
                    continue
                processed += 1
                last = new
                if new != cur:
                    z.add(m, new)
                    updated += 1
            elif b"XX" not in flags:
                z.add(m, v)
                added += 1
                processed += 1
                last = v
        if z.items:
            self.keys[k] = z
        if incr:
            return format_score(last) if processed else None
        return added + updated if b"CH" in flags else added

    def c_zincrby(self, k, v, m):
        return self.c_zadd(k, b"INCR", v, m)

    def c_zrem(self, k, *ms):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        n = 0
        for m in ms:
            if z is not None and m in z.scores:
                z.delete(m)
                n += 1
                if not z.items:
                    break
        self.gone(k)
        return n

    def c_zcard(self, k):
        return WRONGTYPE if self.wrong(k) else len(self.z(k).items) if self.z(k) else 0

    def c_zscore(self, k, m):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        return format_score(z.scores[m]) if z and m in z.scores else None

    def c_zrank(self, k, m):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        return z.items.index((z.scores[m], m)) if z and m in z.scores else None

    def _rank_range(self, n, a, b):
        a, b = int(a), int(b)
        a = a + n if a < 0 else a
        b = b + n if b < 0 else b
        a = max(a, 0)
        if a > b or a >= n:
            return 0, 0
        return a, min(b, n - 1) - a + 1

    def c_zrange(self, k, a, b, *opts):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        ws = b"WITHSCORES" in opts
        rev = b"REV" in opts
        if z is None:
            return []
        items = z.items[::-1] if rev else z.items
        first, n = self._rank_range(len(items), a, b)
        got = items[first:first + n]
        return flat(got) if ws else [m for s, m in got]

    def c_zrangebyscore(self, k, lo, hi, *opts):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        if z is None:
            return []
        lo, hi = float(lo), float(hi)
        got = [(s, m) for s, m in z.items if lo <= s <= hi]
        if b"LIMIT" in opts:
            i = opts.index(b"LIMIT")
            off, cnt = int(opts[i + 1]), int(opts[i + 2])
            got = got[off:] if off >= 0 else []
            if cnt >= 0:
                got = got[:cnt]
        return flat(got) if b"WITHSCORES" in opts else [m for s, m in got]

    def _pop(self, z, count, top):
        m = min(count, len(z.items))
        got = z.items[::-1][:m] if top else z.items[:m]
        for s, mem in got:
            z.delete(mem)
        return got

    def c_zpopmin(self, k, count=None):
        return self._zpop(k, count, False)

    def c_zpopmax(self, k, count=None):
        return self._zpop(k, count, True)

    def _zpop(self, k, count, top):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        if z is None or count == b"0":
            return []
        got = self._pop(z, 1 if count is None else int(count), top)
        self.gone(k)
        return flat(got)

    def c_zmpop(self, n, *rest):
        n = int(n)
        ks, where, opts = rest[:n], rest[n], rest[n + 1:]
        count = int(opts[1]) if opts else 1
        for k in ks:
            if k not in self.keys:
                continue
            if self.wrong(k):
                return WRONGTYPE
            got = self._pop(self.keys[k], count, where.upper() == b"MAX")
            self.gone(k)
            return [k, [[m, format_score(s)] for s, m in got]]
        return None

    def c_zremrangebyrank(self, k, a, b):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        if z is None:
            return 0
        first, n = self._rank_range(len(z.items), a, b)
        for s, m in z.items[first:first + n]:
            z.delete(m)
        self.gone(k)
        return n

    def c_zremrangebyscore(self, k, lo, hi):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        if z is None:
            return 0
        gone = [m for s, m in z.items if float(lo) <= s <= float(hi)]
        for m in gone:
            z.delete(m)
        self.gone(k)
        return len(gone)

    def _store(self, d, pairs):
        """A STORE command's result: a new sorted set (small again when it fits), or d deleted."""
        if not pairs:
            self.keys.pop(d, None)
            return 0
        z = ZSet()
        for s, m in pairs:
            z.add(m, s)
        self.keys[d] = z
        return len(pairs)

    def c_zunionstore(self, d, n, *ks):
        if self.wrong(*ks):
            return WRONGTYPE
        acc = {}
        for k in sorted(ks, key=lambda k: len(self.z(k).items) if self.z(k) else 0):
            z = self.z(k)
            for s, m in (z.items if z else []):
                acc[m] = acc[m] + s if m in acc else s
                if math.isnan(acc[m]):
                    acc[m] = 0.0
        return self._store(d, [(s, m) for m, s in acc.items()])

    def c_zinterstore(self, d, n, *ks):
        if self.wrong(*ks):
            return WRONGTYPE
        zs = [self.z(k) for k in ks]
        if any(z is None for z in zs):
            return self._store(d, [])
        zs.sort(key=lambda z: len(z.items))
        out = []
        for s, m in zs[0].items:
            if all(m in z.scores for z in zs[1:]):
                t = s
                for z in zs[1:]:
                    t += z.scores[m]
                    if math.isnan(t):
                        t = 0.0
                out.append((t, m))
        return self._store(d, out)

    def c_zrangestore(self, d, k, a, b):
        if self.wrong(k):
            return WRONGTYPE
        z = self.z(k)
        if z is None:
            return self._store(d, [])
        first, n = self._rank_range(len(z.items), a, b)
        return self._store(d, z.items[first:first + n])


# members: integers (a listpack's integer entries), short and long strings (past 64 bytes: a skiplist)
POOL = [b"0", b"7", b"-1", b"127", b"128", b"4096", b"-70000", b"9223372036854775807", b"007", b"-0", b"",
        b"a", b"b", b"x" * 63, b"y" * 64, b"z" * 65, b"w" * 300, b"v" * 1500]
SCORES = [b"0", b"1", b"-1", b"1.5", b"-2.25", b"3", b"0.1", b"1e17", b"100", b"4611686018427387904",
          b"inf", b"-inf", b"7"]


def _member(rnd):
    if rnd.random() < 0.3:
        return rnd.choice(POOL)
    return b"m%d" % rnd.randrange(400)


def _score(rnd):
    return rnd.choice(SCORES) if rnd.random() < 0.6 else b"%d" % rnd.randrange(-50, 50)


def _command(rnd, keys):
    k = rnd.choice(keys)
    r = rnd.random()
    if r < 0.35:
        opts = rnd.choice([[], [], [b"NX"], [b"XX"], [b"CH"], [b"GT"], [b"LT"], [b"XX", b"GT"], [b"CH", b"LT"]])
        if rnd.random() < 0.1:
            return [b"ZADD", k] + opts + [b"INCR", _score(rnd), _member(rnd)]
        pairs = []
        for _ in range(rnd.choice([1, 1, 2, 5, 30, 150])):
            pairs += [_score(rnd), _member(rnd)]
        return [b"ZADD", k] + opts + pairs
    if r < 0.42:
        return [b"ZINCRBY", k, _score(rnd), _member(rnd)]
    if r < 0.50:
        return [b"ZREM", k] + [_member(rnd) for _ in range(rnd.randrange(1, 20))]
    if r < 0.60:
        return rnd.choice([[b"ZSCORE", k, _member(rnd)], [b"ZRANK", k, _member(rnd)], [b"ZCARD", k]])
    if r < 0.70:
        a, b = b"%d" % rnd.randrange(-20, 20), b"%d" % rnd.randrange(-20, 200)
        opts = [o for o in (b"REV", b"WITHSCORES") if rnd.random() < 0.5]
        return [b"ZRANGE", k, a, b] + opts
    if r < 0.74:
        lo = rnd.randrange(-50, 50)
        opts = [b"WITHSCORES"] if rnd.random() < 0.5 else []
        if rnd.random() < 0.3:
            opts += [b"LIMIT", b"%d" % rnd.randrange(0, 10), b"%d" % rnd.choice([-1, 0, 3, 50])]
        return [b"ZRANGEBYSCORE", k, b"%d" % lo, b"%d" % (lo + rnd.randrange(0, 40))] + opts
    if r < 0.80:
        return [rnd.choice([b"ZPOPMIN", b"ZPOPMAX"]), k] + \
            ([b"%d" % rnd.choice([0, 1, 3, 70])] if rnd.random() < 0.6 else [])
    if r < 0.83:
        ks = [rnd.choice(keys) for _ in range(rnd.randrange(1, 4))]
        return [b"ZMPOP", b"%d" % len(ks)] + ks + [rnd.choice([b"MIN", b"MAX"])] + \
            ([b"COUNT", b"%d" % rnd.choice([1, 5, 90])] if rnd.random() < 0.5 else [])
    if r < 0.87:
        if rnd.random() < 0.5:
            return [b"ZREMRANGEBYRANK", k, b"%d" % rnd.randrange(-10, 10), b"%d" % rnd.randrange(-10, 60)]
        lo = rnd.randrange(-50, 50)
        return [b"ZREMRANGEBYSCORE", k, b"%d" % lo, b"%d" % (lo + rnd.randrange(0, 20))]
    if r < 0.94:
        ks = [rnd.choice(keys) for _ in range(rnd.randrange(1, 4))]
        return [rnd.choice([b"ZUNIONSTORE", b"ZINTERSTORE"]), rnd.choice(keys), b"%d" % len(ks)] + ks
    return [b"ZRANGESTORE", rnd.choice(keys), k, b"%d" % rnd.randrange(-5, 5), b"%d" % rnd.randrange(-5, 150)]


def value(reply):
    v, end = parse(reply)
    assert end == len(reply), reply
    return v


def run_batch(core, s, model, batch):
    out = roundtrip(core, s, b"".join(cmd_bytes(*c) for c in batch))
    pos = 0
    for c in batch:
        got, pos = parse(out, pos)
        want = model.run(c)
        assert got == want, (c[:6], got if not isinstance(got, list) else got[:8],
                             want if not isinstance(want, list) else want[:8])
    assert pos == len(out)


def check_contents(core, s, model, keys):
    for k in keys:
        z = model.keys.get(k)
        if isinstance(z, bytes):
            continue
        info = core.key_info(0, k)
        if z is None:
            assert info is None, k
            continue
        assert value(roundtrip(core, s, cmd_bytes("ZRANGE", k, 0, -1, "WITHSCORES"))) == flat(z.items)
        assert zset_py.items(bytes(info[0])) == [(m, v) for v, m in z.items]
        assert zset_py.encoding(bytes(info[0])) == ("skiplist" if z.skiplist else "listpack"), k


def deferrals(core):
    return int(core.stats[S_DEFERRALS])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_zset_streams_match_the_model(seed):
    rnd = random.Random(seed)
    core = tiny_core(seed)
    s = core.open()
    model = Model()
    keys = [b"z%d" % i for i in range(4)] + [b"s"]
    run_batch(core, s, model, [[b"SET", b"s", b"str"]])
    for step in range(60):
        run_batch(core, s, model, [_command(rnd, keys) for _ in range(rnd.randrange(1, 12))])
        if step % 10 == 0:
            check_contents(core, s, model, keys)
    check_contents(core, s, model, keys)
    assert deferrals(core) > 0


def test_one_sorted_set_grows_and_empties():
    """One key grown to 3000 members one ZADD at a time and in batches (through conversion and
    many regrowths of its skiplist), updated, then emptied by pops and range deletions, its
    value rebuilt smaller on the way down."""
    rnd = random.Random(5)
    core = tiny_core(5)
    s = core.open()
    model = Model()
    for i in range(3000):
        batch = [[b"ZADD", b"g", b"%d" % rnd.randrange(1000), b"m%d" % i]]
        if i % 100 == 0:
            batch.append([b"ZADD", b"g"] + [x for j in range(20) for x in (_score(rnd), _member(rnd))])
            batch.append([b"ZRANGE", b"g", b"%d" % rnd.randrange(i + 1), b"%d" % (i + 5), b"WITHSCORES"])
        run_batch(core, s, model, batch)
    check_contents(core, s, model, [b"g"])
    peak = len(core.key_info(0, b"g")[0])
    for i in range(0, 3000, 7):
        run_batch(core, s, model, [[b"ZINCRBY", b"g", b"0.5", b"m%d" % i], [b"ZRANK", b"g", b"m%d" % i]])
    check_contents(core, s, model, [b"g"])
    shrunk = False
    while model.keys.get(b"g"):
        if len(model.keys[b"g"].items) < 300 and not shrunk:
            # removals rebuilt the skiplist smaller on the way (zsetkey.compact_loose)
            assert len(core.key_info(0, b"g")[0]) < peak // 4
            check_contents(core, s, model, [b"g"])
            shrunk = True
        r = rnd.random()
        if r < 0.4:
            c = [rnd.choice([b"ZPOPMIN", b"ZPOPMAX"]), b"g", b"%d" % rnd.choice([1, 10, 100])]
        elif r < 0.7:
            c = [b"ZREMRANGEBYRANK", b"g", b"%d" % rnd.randrange(50), b"%d" % rnd.randrange(50, 150)]
        else:
            lo = rnd.randrange(1000)
            c = [b"ZREMRANGEBYSCORE", b"g", b"%d" % lo, b"%d" % (lo + 40)]
        run_batch(core, s, model, [c, [b"ZCARD", b"g"]])
    check_contents(core, s, model, [b"g"])
    assert deferrals(core) > 0
