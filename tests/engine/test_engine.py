"""The executor through the sans-IO Core: bytes in, exact reply bytes out.

Covers every kernel command, the ordering of fast and slow-path replies on
one connection, batches over many connections, and the deferral paths
(output buffer, arena chunk, index, argument rows, queue) that make Python
supply memory between turns.  A random command stream is checked against a
plain-Python model that writes the replies Redis would.
"""
import random

import pytest

from mako_numba.engine.core import Core
from drive import roundtrip
from naive import RefTable


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def test_commands(core):
    s = core.open()
    assert roundtrip(core, s, resp(b"SET", b"k", b"v")) == b"+OK\r\n"
    assert roundtrip(core, s, resp(b"GET", b"k")) == b"$1\r\nv\r\n"
    assert roundtrip(core, s, resp(b"get", b"nope")) == b"$-1\r\n"
    assert roundtrip(core, s, resp(b"EXISTS", b"k", b"k", b"nope")) == b":2\r\n"
    assert roundtrip(core, s, resp(b"DBSIZE")) == b":1\r\n"
    assert roundtrip(core, s, resp(b"DEL", b"k", b"k", b"nope")) == b":1\r\n"
    assert roundtrip(core, s, resp(b"PING")) == b"+PONG\r\n"
    assert roundtrip(core, s, resp(b"PING", b"x y")) == b"$3\r\nx y\r\n"
    assert roundtrip(core, s, resp(b"PING", b"a", b"b")) == b"-ERR wrong number of arguments for 'ping' command\r\n"
    assert roundtrip(core, s, resp(b"ECHO", b"")) == b"$0\r\n\r\n"
    assert roundtrip(core, s, resp(b"SET", b"k", b"v", b"XX")) == b"$-1\r\n"        # k was deleted
    assert roundtrip(core, s, resp(b"SET", b"k", b"v", b"FOO")) == b"-ERR syntax error\r\n"
    assert roundtrip(core, s, resp(b"SET", b"k")) == b"-ERR wrong number of arguments for 'set' command\r\n"
    assert roundtrip(core, s, b"FLUSHALL\r\nDBSIZE\r\n") == b"+OK\r\n:0\r\n"
    assert roundtrip(core, s, resp(b"QUIT")) == b"+OK\r\n"
    assert core.closing(s) == "after"


def test_resp3_null_after_hello(core):
    s = core.open()
    out = roundtrip(core, s, b"HELLO 3\r\nGET nothing\r\n")
    assert out.startswith(b"%7\r\n") and out.endswith(b"_\r\n")
    assert roundtrip(core, s, b"HELLO 2\r\nGET nothing\r\n").endswith(b"*0\r\n$-1\r\n")


def test_select_and_flushdb_per_database(core):
    s = core.open()
    assert roundtrip(core, s, b"SET a 1\r\nSELECT 3\r\nSET a 3\r\nSET b 3\r\nDBSIZE\r\n") == \
        b"+OK\r\n+OK\r\n+OK\r\n+OK\r\n:2\r\n"
    assert roundtrip(core, s, b"FLUSHDB\r\nDBSIZE\r\nSELECT 0\r\nGET a\r\n") == \
        b"+OK\r\n:0\r\n+OK\r\n$1\r\n1\r\n"
    assert roundtrip(core, s, b"SELECT 16\r\nSELECT x\r\n") == \
        b"-ERR DB index is out of range\r\n-ERR value is not an integer or out of range\r\n"


def test_fast_and_slow_replies_stay_in_order(core):
    s = core.open()
    data = b"".join([b"SET k%d %d\r\nCLIENT ID\r\nGET k%d\r\nfoo %d\r\n" % (i, i, i, i) for i in range(50)])
    out = roundtrip(core, s, data)
    expected = b"".join(b"+OK\r\n:1\r\n$%d\r\n%d\r\n-ERR unknown command 'foo', with args beginning with: '%d' \r\n"
                        % (len(str(i)), i, i) for i in range(50))
    assert out == expected


def test_many_connections_in_one_batch(core):
    slots = [core.open() for _ in range(10)]
    for i, s in enumerate(slots):
        core.feed(s, resp(b"SET", b"key%d" % i, b"val%d" % i) + resp(b"GET", b"key%d" % i))
    again = core.run(slots)
    assert again == []
    for i, s in enumerate(slots):
        assert bytes(core.output(s)) == b"+OK\r\n$4\r\nval%d\r\n" % i


def test_swapdb_mid_batch_redirects_later_requests(core):
    """Keys are hashed (and prefetched) for the whole batch before it runs; a
    SWAPDB earlier in the same batch must still send later GETs and SETs to
    the swapped databases, on its own connection and on others."""
    a, b = core.open(), core.open()
    roundtrip(core, a, resp(b"SET", b"k", b"zero") + resp(b"SELECT", b"1") + resp(b"SET", b"k", b"one")
              + resp(b"SELECT", b"0"))
    core.feed(a, resp(b"GET", b"k") + resp(b"SWAPDB", b"0", b"1") + resp(b"GET", b"k")
              + resp(b"SET", b"k", b"new") + resp(b"GET", b"k"))
    core.feed(b, resp(b"GET", b"k") + resp(b"GET", b"k"))
    assert core.run([a, b]) == []
    assert bytes(core.output(a)) == b"$4\r\nzero\r\n+OK\r\n$3\r\none\r\n+OK\r\n$3\r\nnew\r\n"
    assert bytes(core.output(b)) == b"$3\r\nnew\r\n$3\r\nnew\r\n"
    core.sent(a, core.pending_output(a))
    assert roundtrip(core, a, resp(b"SELECT", b"1") + resp(b"GET", b"k")) == b"+OK\r\n$4\r\nzero\r\n"



def test_the_batchs_key_hash_serves_every_family_and_only_its_own_key(core):
    """Families reuse the first key's hash the batch computed (respond.known_hash): a list, a
    set and a sorted set written and read in one batch, around a SWAPDB that makes the
    prefetched hashes wrong, and commands whose later keys must be hashed on their own."""
    a = core.open()
    roundtrip(core, a, resp(b"SELECT", b"1") + resp(b"RPUSH", b"l", b"one") + resp(b"SELECT", b"0"))
    core.feed(a, resp(b"RPUSH", b"l", b"zero") + resp(b"SADD", b"s", b"x") + resp(b"ZADD", b"z", b"1", b"m")
              + resp(b"LRANGE", b"l", b"0", b"-1") + resp(b"SWAPDB", b"0", b"1")
              + resp(b"LRANGE", b"l", b"0", b"-1") + resp(b"SCARD", b"s") + resp(b"ZSCORE", b"z", b"m")
              + resp(b"LMOVE", b"l", b"l2", b"LEFT", b"RIGHT") + resp(b"LLEN", b"l2")
              + resp(b"RPOPLPUSH", b"l2", b"l") + resp(b"LRANGE", b"l", b"0", b"-1"))
    assert core.run([a]) == []
    assert bytes(core.output(a)) == (
        b":1\r\n:1\r\n:1\r\n*1\r\n$4\r\nzero\r\n+OK\r\n"
        b"*1\r\n$3\r\none\r\n:0\r\n$-1\r\n"
        b"$3\r\none\r\n:1\r\n$3\r\none\r\n*1\r\n$3\r\none\r\n")

def test_full_reads_widen_the_input_buffer_up_to_its_limit():
    """A read that fills the input buffer doubles it (16 -> 32 -> 64 KiB, then no more), bytes kept."""
    from mako_numba.config import settings as config
    from mako_numba.base.layout import C_IN_CAP
    core = Core()
    s = core.open()
    data = resp(b"SET", b"k", b"v" * 100_000) + resp(b"STRLEN", b"k")
    caps = []
    pos = 0
    while pos < len(data):
        space = core.in_space(s)
        if len(space) == 0:             # 64 KiB and full: the incomplete request asks for more
            assert core.run([s]) == []
            continue
        n = min(len(space), len(data) - pos)
        space[:n] = data[pos:pos + n]
        core.received(s, n)
        pos += n
        if n == len(space):
            core.widen_input(s)
        caps.append(int(core.conn[s, C_IN_CAP]))
    assert caps[:3] == [32768, 65536, 65536]       # then the request itself grows it
    assert caps[2] == config.IN_BUF_READ_GROWTH * config.IN_BUF_SIZE
    assert roundtrip(core, s, b"") == b"+OK\r\n:100000\r\n"


def test_protocol_error_after_good_requests(core):
    s = core.open()
    out = roundtrip(core, s, b"PING\r\n*1\r\n$x\r\nPING\r\n")
    assert out == b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n"
    assert core.closing(s) == "after"


def test_small_output_buffer_grows_by_deferral():
    core = Core(maxclients=4, out_buf=16, seed=1)
    s = core.open()
    value = b"v" * 5000
    out = roundtrip(core, s, resp(b"SET", b"k", value) + resp(b"GET", b"k") * 5 + b"PING\r\n")
    assert out == b"+OK\r\n" + (b"$5000\r\n" + value + b"\r\n") * 5 + b"+PONG\r\n"


def test_room_given_to_a_deferred_request_survives_the_send_before_it():
    """The event loop sends between turns; emptying the grown buffer must not shrink it
    back before the deferred request that asked for the room runs (it would defer again)."""
    core = Core(maxclients=4, out_buf=64, seed=1)
    s = core.open()
    core.feed(s, resp(b"SET", b"k", b"v") + resp(b"ECHO", b"e" * 300) + b"PING\r\n")
    out = b""
    again = [s]
    for _ in range(4):
        again = core.run(again)
        view = core.output(s)
        out += view
        core.sent(s, len(view))
        if not again:
            break
    assert not again
    assert out == b"+OK\r\n$300\r\n" + b"e" * 300 + b"\r\n+PONG\r\n"


def test_unsent_output_is_kept_while_new_replies_append():
    core = Core(maxclients=4, out_buf=64, seed=1)
    s = core.open()
    core.feed(s, b"ECHO " + b"a" * 40 + b"\r\n")
    core.run([s])
    core.sent(s, 10)                                     # the socket took 10 bytes only
    core.feed(s, b"ECHO " + b"b" * 40 + b"\r\n")
    again = core.run([s])
    while again:
        again = core.run(again)
    rest = bytes(core.output(s))
    assert rest == (b"$40\r\n" + b"a" * 40 + b"\r\n")[10:] + b"$40\r\n" + b"b" * 40 + b"\r\n"


def test_soft_output_limit_spreads_huge_replies_over_turns():
    core = Core(maxclients=4, seed=1, out_batch_soft_limit=100_000)
    s = core.open()
    value = b"x" * 60_000
    reply = b"$60000\r\n" + value + b"\r\n"
    roundtrip(core, s, resp(b"SET", b"k", value))
    core.feed(s, resp(b"GET", b"k") * 10)
    total = b""
    per_turn = []
    again = [s]
    while again:
        again = core.run(again)
        chunk = bytes(core.output(s))
        core.sent(s, len(chunk))
        per_turn.append(len(chunk))
        total += chunk
    assert total == reply * 10
    # no turn piles up much more than the soft limit (one reply may cross it)
    assert max(per_turn) <= 100_000 + 2 * len(reply)
    assert len([n for n in per_turn if n]) >= 3


def test_arena_chunks_and_index_supplied_between_turns():
    core = Core(maxclients=4, seed=1, chunk_size=4096, table_logcap=2, large_block=1024)
    s = core.open()
    data = b"".join(resp(b"SET", b"key%d" % i, b"v" * (i % 50)) for i in range(3000))
    data += resp(b"SET", b"big", b"B" * 100_000)
    out = roundtrip(core, s, data)
    assert out == b"+OK\r\n" * 3001
    assert core.ks.keys() == 3001
    check = b"".join(resp(b"GET", b"key%d" % i) for i in range(0, 3000, 7)) + resp(b"GET", b"big")
    expected = b"".join(b"$%d\r\n%s\r\n" % (i % 50, b"v" * (i % 50)) for i in range(0, 3000, 7))
    assert roundtrip(core, s, check) == expected + b"$100000\r\n" + b"B" * 100_000 + b"\r\n"


def test_big_value_over_many_reads():
    core = Core(maxclients=4, seed=1)
    s = core.open()
    value = bytes(range(256)) * 40_000                  # 10 MB
    out = roundtrip(core, s, resp(b"SET", b"k", value), chunks=65536)
    assert out == b"+OK\r\n"
    got = roundtrip(core, s, resp(b"GET", b"k"))
    assert got == b"$%d\r\n" % len(value) + value + b"\r\n"
    assert core.conn[s, 1] == core.in_default          # the input buffer shrank back


# --- random streams against a model -------------------------------------------------------
def model_reply(ref, db, args):
    cmd = args[0].lower()
    if cmd == b"set":
        ref.set(db, args[1], args[2])
        return b"+OK\r\n"
    if cmd == b"get":
        v = ref.get(db, args[1])
        return b"$-1\r\n" if v is None else b"$%d\r\n%s\r\n" % (len(v), v)
    if cmd == b"del":
        return b":%d\r\n" % sum(ref.delete(db, k) for k in args[1:])
    if cmd == b"exists":
        return b":%d\r\n" % sum(ref.get(db, k) is not None for k in args[1:])
    if cmd == b"dbsize":
        return b":%d\r\n" % ref.dbsize(db)
    raise AssertionError(cmd)


@pytest.mark.parametrize("seed", [11, 12])
def test_random_streams_match_model(seed):
    rnd = random.Random(seed)
    core = Core(maxclients=8, seed=seed, out_buf=256, chunk_size=8192, table_logcap=3,
                large_block=2048, queue_size=64, args_size=128)
    ref = RefTable()
    slots = [core.open() for _ in range(4)]
    # each connection works in its own database, so the model's order across
    # connections does not matter (a deferral may reorder them within a turn)
    expected = {s: bytearray(b"+OK\r\n") for s in slots}
    got = {s: bytearray() for s in slots}
    for s in slots:
        core.feed(s, resp(b"SELECT", b"%d" % s))
    keys = [bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 6))) for _ in range(80)]
    for turn in range(300):
        active = rnd.sample(slots, rnd.randrange(1, 5))
        for s in active:
            for _ in range(rnd.randrange(1, 30)):
                kind = rnd.random()
                if kind < 0.4:
                    args = [b"SET", rnd.choice(keys), bytes(rnd.randrange(256) for _ in range(rnd.choice([0, 3, 40, 3000])))]
                elif kind < 0.7:
                    args = [b"GET", rnd.choice(keys)]
                elif kind < 0.85:
                    args = [b"DEL"] + rnd.sample(keys, rnd.randrange(1, 4))
                elif kind < 0.95:
                    args = [b"EXISTS"] + [rnd.choice(keys) for _ in range(rnd.randrange(1, 4))]
                else:
                    args = [b"DBSIZE"]
                core.feed(s, resp(*args))
                expected[s] += model_reply(ref, s, args)
        again = core.run(active)
        while again:
            again = core.run(again)
        for s in slots:
            out = core.output(s)
            take = rnd.randrange(0, len(out) + 1) if turn % 3 else len(out)
            got[s] += bytes(out[:take])
            core.sent(s, take)
    for s in slots:
        got[s] += bytes(core.output(s))
        assert bytes(got[s]) == bytes(expected[s])


def test_overwriting_100k_keys_does_not_grow_memory():
    core = Core(maxclients=4, seed=3)
    s = core.open()
    rnd = random.Random(9)
    keys = 100_000

    def round_(tag):
        batch = []
        for i in range(keys):
            batch.append(resp(b"SET", b"key:%d" % i, tag * rnd.randrange(1, 200)))
            if len(batch) == 5000:
                assert roundtrip(core, s, b"".join(batch)) == b"+OK\r\n" * len(batch)
                batch = []

    round_(b"a")
    first_arena = core.ks.arena_bytes()
    first_used = core.ks.used_bytes()
    for tag in (b"b", b"c", b"d", b"e"):
        round_(tag)
    assert core.ks.keys() == keys
    # same number of keys, values of the same size distribution: the arena and
    # the live bytes stay where the first round left them (size-class slack aside)
    assert core.ks.arena_bytes() <= first_arena + 64 * 1024 * 1024
    assert core.ks.used_bytes() < 1.3 * first_used
