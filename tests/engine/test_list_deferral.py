"""The list commands under tiny memory limits, against a plain Python list model (sans-IO Core).

The Core's arena chunks (4 KiB), large-block threshold (1 KiB), index and
output buffer are tiny, so a list outgrows its block again and again, a
write defers for memory (nothing changed) and re-runs after the engine
supplied it, and replies defer for output room.  Every reply must be exactly
the model's, every list's contents too (through LRANGE and by decoding the
value itself), and the engine must have deferred (INFO's deferred_requests:
the streams did exercise the re-run).

- `test_random_list_streams_match_the_model`: random pushes, pops (with
  counts), LSET, LTRIM, LREM, LINSERT, LPOS, LRANGE, LINDEX, LMOVE,
  RPOPLPUSH and LMPOP over a few keys (one a string: WRONGTYPE), elements
  of every listpack integer width and strings of 0 to 3000 bytes.
- `test_one_list_grows_through_many_blocks`: a list pushed at both ends to
  about 300 KiB one element at a time and in batches, then emptied by pops.
- `test_lmove_between_two_lists`: elements moved back and forth (every pair
  of sides, RPOPLPUSH, a list onto itself) between two lists that grow and
  shrink across many blocks, small and large elements alike.
"""
import random

import pytest

from difftest import parse
from drive import cmd_bytes, roundtrip
from mako_numba.base.layout import S_DEFERRALS
from mako_numba.engine.core import Core
from mako_numba.store.types import pyview

WRONGTYPE = ("ERR", b"WRONGTYPE Operation against a key holding the wrong kind of value")
NO_SUCH_KEY = ("ERR", b"ERR no such key")
OUT_OF_RANGE = ("ERR", b"ERR index out of range")


def tiny_core(seed):
    return Core(maxclients=4, seed=seed, out_buf=256, chunk_size=4096, table_logcap=2, large_block=1024,
                queue_size=64, args_size=256)


def _range(start, end, n):
    """addListRangeReply's indexes: (first, how many)."""
    if start < 0:
        start += n
    if end < 0:
        end += n
    start = max(start, 0)
    if start > end or start >= n:
        return 0, 0
    return start, min(end, n - 1) - start + 1


class Model:
    """t_list.c's replies over Python lists (parsed as difftest.parse gives them)."""

    def __init__(self):
        self.keys = {}

    def _gone(self, k):
        if not self.keys.get(k):
            self.keys.pop(k, None)

    def run(self, args):
        cmd = args[0].upper()
        fn = getattr(self, "c_" + cmd.decode().lower())
        return fn(*args[1:])

    def wrong(self, *ks):
        return any(isinstance(self.keys.get(k), bytes) for k in ks)

    def _push(self, k, els, left, xx):
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k)
        if lst is None:
            if xx:
                return 0
            lst = self.keys[k] = []
        for e in els:
            if left:
                lst.insert(0, e)
            else:
                lst.append(e)
        return len(lst)

    def c_lpush(self, k, *els):
        return self._push(k, els, True, False)

    def c_rpush(self, k, *els):
        return self._push(k, els, False, False)

    def c_lpushx(self, k, *els):
        return self._push(k, els, True, True)

    def c_rpushx(self, k, *els):
        return self._push(k, els, False, True)

    def _pop(self, k, count, left):
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k)
        if lst is None:
            return None
        if count is None:
            v = lst.pop(0 if left else -1)
            self._gone(k)
            return v
        n = int(count)
        if n == 0:
            return []
        m = min(n, len(lst))
        out = lst[:m] if left else lst[::-1][:m]
        if left:
            del lst[:m]
        else:
            del lst[len(lst) - m:]
        self._gone(k)
        return out

    def c_lpop(self, k, count=None):
        return self._pop(k, count, True)

    def c_rpop(self, k, count=None):
        return self._pop(k, count, False)

    def c_llen(self, k):
        return WRONGTYPE if self.wrong(k) else len(self.keys.get(k, []))

    def c_lindex(self, k, i):
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k, [])
        i = int(i)
        i = i + len(lst) if i < 0 else i
        return lst[i] if 0 <= i < len(lst) else None

    def c_lset(self, k, i, e):
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k)
        if lst is None:
            return NO_SUCH_KEY
        i = int(i)
        i = i + len(lst) if i < 0 else i
        if not 0 <= i < len(lst):
            return OUT_OF_RANGE
        lst[i] = e
        return b"OK"

    def c_lrange(self, k, a, b):
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k, [])
        first, m = _range(int(a), int(b), len(lst))
        return lst[first:first + m]

    def c_ltrim(self, k, a, b):
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k)
        if lst is not None:
            first, m = _range(int(a), int(b), len(lst))
            lst[:] = lst[first:first + m]
            self._gone(k)
        return b"OK"

    def c_lrem(self, k, count, e):
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k)
        if lst is None:
            return 0
        count = int(count)
        order = range(len(lst) - 1, -1, -1) if count < 0 else range(len(lst))
        limit = abs(count)
        gone = []
        for i in order:
            if lst[i] == e and (limit == 0 or len(gone) < limit):
                gone.append(i)
        for i in sorted(gone, reverse=True):
            del lst[i]
        self._gone(k)
        return len(gone)

    def c_linsert(self, k, where, pivot, e):
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k)
        if lst is None:
            return 0
        if pivot not in lst:
            return -1
        i = lst.index(pivot)
        lst.insert(i + (where.upper() == b"AFTER"), e)
        return len(lst)

    def c_lpos(self, k, e, *opts):
        rank, count, maxlen = 1, None, 0
        for w, v in zip(opts[0::2], opts[1::2]):
            if w.upper() == b"RANK":
                rank = int(v)
            elif w.upper() == b"COUNT":
                count = int(v)
            else:
                maxlen = int(v)
        if self.wrong(k):
            return WRONGTYPE
        lst = self.keys.get(k)
        if lst is None:
            return None if count is None else []
        idx = list(range(len(lst)))
        if rank < 0:
            idx.reverse()
        if maxlen:
            idx = idx[:maxlen]
        found = [i for i in idx if lst[i] == e][abs(rank) - 1:]
        if count is None:
            return found[0] if found else None
        return found[:count] if count else found

    def _move(self, src, dst, from_left, to_left):
        if self.wrong(src):
            return WRONGTYPE
        s = self.keys.get(src)
        if s is None:
            return None
        if self.wrong(dst):
            return WRONGTYPE
        v = s.pop(0 if from_left else -1)
        d = self.keys.setdefault(dst, [])
        if to_left:
            d.insert(0, v)
        else:
            d.append(v)
        self._gone(src)
        return v

    def c_lmove(self, src, dst, wf, wt):
        return self._move(src, dst, wf.upper() == b"LEFT", wt.upper() == b"LEFT")

    def c_rpoplpush(self, src, dst):
        return self._move(src, dst, False, True)

    def c_lmpop(self, n, *rest):
        n = int(n)
        ks, side, opts = rest[:n], rest[n], rest[n + 1:]
        count = int(opts[1]) if opts else 1
        for k in ks:
            if k not in self.keys:
                continue
            if self.wrong(k):
                return WRONGTYPE
            return [k, self._pop(k, count, side.upper() == b"LEFT")]
        return None

    def c_set(self, k, v):
        self.keys[k] = v
        return b"OK"


# elements: integers at the limits of every listpack width, strings of every length class
POOL = [b"0", b"7", b"127", b"128", b"-1", b"4095", b"-4096", b"32767", b"-32769", b"8388607",
        b"-8388609", b"2147483647", b"-2147483649", b"9223372036854775807", b"-9223372036854775808",
        b"9223372036854775808", b"-0", b"007", b"", b"a", b"b", b"x" * 63, b"y" * 64, b"z" * 200,
        b"w" * 1500, b"v" * 3000, b"u" * 4095, b"t" * 4096]


def _element(rnd):
    if rnd.random() < 0.7:
        return rnd.choice(POOL)
    if rnd.random() < 0.5:
        return b"%d" % rnd.choice([rnd.randrange(-5000, 5000), rnd.randrange(-2**40, 2**40)])
    return bytes(rnd.randrange(97, 123) for _ in range(rnd.choice([1, 10, 100, 700, 2500])))


def _index(rnd):
    return b"%d" % rnd.choice([rnd.randrange(-8, 8), rnd.randrange(-200, 200), 2**63 - 1, -2**63])


def _command(rnd, keys):
    k = rnd.choice(keys)
    r = rnd.random()
    if r < 0.30:
        return [rnd.choice([b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX", b"RPUSH"]), k] + \
            [_element(rnd) for _ in range(rnd.randrange(1, 8))]
    if r < 0.40:
        return [rnd.choice([b"LPOP", b"RPOP"]), k] + \
            ([b"%d" % rnd.choice([0, 1, 2, 5, 40])] if rnd.random() < 0.5 else [])
    if r < 0.45:
        return [b"LSET", k, _index(rnd), _element(rnd)]
    if r < 0.48:
        return [b"LTRIM", k, _index(rnd), _index(rnd)]
    if r < 0.53:
        return [b"LREM", k, b"%d" % rnd.randrange(-3, 4), _element(rnd)]
    if r < 0.60:
        return [b"LINSERT", k, rnd.choice([b"BEFORE", b"AFTER"]), _element(rnd), _element(rnd)]
    if r < 0.65:
        opts = []
        for w, vals in ((b"RANK", [1, 2, -1, -2]), (b"COUNT", [0, 1, 3]), (b"MAXLEN", [0, 5, 50])):
            if rnd.random() < 0.4:
                opts += [w, b"%d" % rnd.choice(vals)]
        return [b"LPOS", k, _element(rnd)] + opts
    if r < 0.72:
        return _read(rnd, k)
    if r < 0.85:
        if rnd.random() < 0.3:
            return [b"RPOPLPUSH", k, rnd.choice(keys)]
        return [b"LMOVE", k, rnd.choice(keys), rnd.choice([b"LEFT", b"RIGHT"]), rnd.choice([b"LEFT", b"RIGHT"])]
    if r < 0.95:
        ks = [rnd.choice(keys) for _ in range(rnd.randrange(1, 4))]
        return [b"LMPOP", b"%d" % len(ks)] + ks + [rnd.choice([b"LEFT", b"RIGHT"])] + \
            ([b"COUNT", b"%d" % rnd.choice([1, 3, 50])] if rnd.random() < 0.5 else [])
    return _read(rnd, k)


def _read(rnd, k):
    c = rnd.choice([b"LRANGE", b"LINDEX", b"LLEN"])
    if c == b"LRANGE":
        return [c, k, _index(rnd), _index(rnd)] if rnd.random() < 0.7 else [c, k, b"0", b"-1"]
    if c == b"LINDEX":
        return [c, k, _index(rnd)]
    return [c, k]


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
        assert got == want, (c[:6], got if not isinstance(got, list) else got[:6], want)
    assert pos == len(out)


def check_contents(core, s, model, keys):
    for k in keys:
        want = model.keys.get(k)
        if isinstance(want, bytes):
            continue
        assert value(roundtrip(core, s, cmd_bytes("LRANGE", k, 0, -1))) == (want or [])
        info = core.key_info(0, k)
        if want is None:
            assert info is None, k
        else:
            assert pyview.list_items(bytes(info[0])) == want


def deferrals(core):
    return int(core.stats[S_DEFERRALS])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_list_streams_match_the_model(seed):
    rnd = random.Random(seed)
    core = tiny_core(seed)
    s = core.open()
    model = Model()
    keys = [b"l%d" % i for i in range(4)] + [b"s"]
    run_batch(core, s, model, [[b"SET", b"s", b"str"]])
    for _ in range(80):
        run_batch(core, s, model, [_command(rnd, keys) for _ in range(rnd.randrange(1, 25))])
    check_contents(core, s, model, keys)
    assert deferrals(core) > 0


def test_one_list_grows_through_many_blocks():
    rnd = random.Random(7)
    core = tiny_core(7)
    s = core.open()
    model = Model()
    size = 0
    i = 0
    while size < 300_000:
        el = rnd.choice(POOL[:20]) if i % 3 else b"%d-" % i + b"e" * rnd.choice([5, 90, 900, 2000])
        batch = [[b"LPUSH" if i % 2 else b"RPUSH", b"g", el]]
        if i % 50 == 0:
            batch.append([b"RPUSH", b"g"] + [rnd.choice(POOL) for _ in range(20)])
        if i % 97 == 0:
            batch += [[b"LLEN", b"g"], [b"LINDEX", b"g", b"-1"], [b"LINDEX", b"g", b"0"]]
        run_batch(core, s, model, batch)
        size = sum(len(e) + 2 for e in model.keys[b"g"])
        i += 1
    check_contents(core, s, model, [b"g"])
    n = len(model.keys[b"g"])
    run_batch(core, s, model, [[b"LRANGE", b"g", b"%d" % (n // 2 - 5), b"%d" % (n // 2 + 5)],
                               [b"LINSERT", b"g", b"BEFORE", model.keys[b"g"][n // 2], b"mid" * 1000],
                               [b"LSET", b"g", b"%d" % (n // 3), b"q" * 3000], [b"LREM", b"g", b"-5", b"7"],
                               [b"LPOS", b"g", b"127", b"COUNT", b"0", b"RANK", b"-1"]])
    while model.keys.get(b"g"):
        run_batch(core, s, model, [[rnd.choice([b"LPOP", b"RPOP"]), b"g", b"%d" % rnd.choice([1, 7, 60])]])
    check_contents(core, s, model, [b"g"])
    assert deferrals(core) > 0


def test_lmove_between_two_lists():
    rnd = random.Random(11)
    core = tiny_core(11)
    s = core.open()
    model = Model()
    run_batch(core, s, model, [[b"RPUSH", b"a"] + [b"%d" % i for i in range(50)],
                               [b"RPUSH", b"a"] + [b"big%d" % i + b"B" * 1500 for i in range(20)],
                               [b"RPUSH", b"a"] + [rnd.choice(POOL) for _ in range(60)]])
    sides = [b"LEFT", b"RIGHT"]
    for step in range(300):
        src, dst = (b"a", b"b") if rnd.random() < 0.55 else (b"b", b"a")
        if rnd.random() < 0.1:
            dst = src
        batch = []
        for _ in range(rnd.randrange(1, 12)):
            if rnd.random() < 0.2:
                batch.append([b"RPOPLPUSH", src, dst])
            else:
                batch.append([b"LMOVE", src, dst, rnd.choice(sides), rnd.choice(sides)])
        if step % 20 == 0:
            batch += [[b"LLEN", b"a"], [b"LLEN", b"b"], [b"LRANGE", b"b", b"0", b"3"]]
        run_batch(core, s, model, batch)
    run_batch(core, s, model, [[b"LMOVE", b"a", b"b", b"LEFT", b"RIGHT"]] * 200)
    check_contents(core, s, model, [b"a", b"b"])
    run_batch(core, s, model, [[b"LMOVE", b"b", b"a", b"RIGHT", b"LEFT"]] * 200)
    check_contents(core, s, model, [b"a", b"b"])
    assert deferrals(core) > 0
