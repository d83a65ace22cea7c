"""Transactions (MULTI, EXEC, DISCARD, WATCH, UNWATCH): Redis 7.0.15 vs mako_numba.

Two kinds of differential case, both answered by a real redis-server and by
mako_numba over raw sockets, replies compared byte for byte:

- one connection (`SINGLE`): a pipeline per case, using the harness of
  tests/commands/test_strings_differential.py, over RESP2 and RESP3;
- several connections (`MULTI_CLIENT`): steps `(client, command)` sent one at
  a time, each reply read before the next step, so the interleaving is the
  same on both servers.  This is how WATCH is exercised: another client (or
  the watcher itself) changes, deletes, expires, flushes, swaps or only reads
  a watched key between WATCH and EXEC.

Then checks that need the sans-IO core: byte-by-byte input, transactions too
big for one turn's queue and output (deferral inside EXEC), and atomicity
against another client's requests in the same batches.
"""
import time

import pytest

from drive import roundtrip
from difftest import C, Conn, Sleep, check_case, cmds, flushall, mask_ids

SINGLE = [
    ("basic", cmds("MULTI", "SET a 1", "INCR a", "GET a", "EXEC", "GET a")),
    ("empty", cmds("MULTI", "EXEC")),
    ("nested_multi_and_watch", cmds("MULTI", "SET a 1", "MULTI", "WATCH x", "GET a", "EXEC")),
    ("unknown_aborts", cmds("MULTI", "SET a 1", "NOSUCH x", "EXEC", "GET a")),
    ("arity_aborts", cmds("MULTI", "SET a 1", "SET", "GET a", "EXEC", "GET a")),
    ("runtime_errors_do_not_abort", cmds("SET s x", "MULTI", "INCR s", "SET k v XX NX", "SET b 2",
                                         "EXPIRE b abc", "EXEC", "GET b")),
    ("without_multi", cmds("EXEC", "DISCARD", "UNWATCH", "WATCH")),
    ("discard", cmds("MULTI", "SET a 1", "DISCARD", "GET a", "EXEC", "DISCARD")),
    ("select_inside", cmds("MULTI", "SELECT 2", "SET q 1", "SELECT 0", "EXEC", "GET q", "SELECT 2",
                           "GET q", "SELECT 0")),
    ("slow_commands_inside", cmds("MULTI", "CLIENT SETNAME txname", "CLIENT GETNAME",
                                  "CONFIG GET maxmemory", "DBSIZE", "PING", "ECHO hi", "EXEC")),
    ("select_error_inside", cmds("MULTI", "SELECT 99", "SET a 1", "EXEC", "GET a")),
    ("flushdb_inside", cmds("SET a 1", "MULTI", "FLUSHDB", "GET a", "SET a 2", "EXEC", "GET a")),
    ("keys_commands_inside", cmds("MSET a 1 b 2", "MULTI", "RENAME a c", "EXISTS a c", "COPY c d",
                                  "MOVE d 1", "DEL b", "DBSIZE", "EXEC")),
    ("reset_inside", cmds("MULTI", "SET a 1", "RESET", "EXEC", "GET a")),
    ("watch_own_write", cmds("SET a 1", "WATCH a", "SET a 2", "MULTI", "GET a", "EXEC", "GET a")),
    ("watch_read_only", cmds("SET a 1", "WATCH a", "GET a", "MULTI", "GET a", "EXEC")),
    ("unwatch_then_write", cmds("SET a 1", "WATCH a", "UNWATCH", "SET a 2", "MULTI", "GET a", "EXEC")),
    ("exec_unwatches", cmds("WATCH a", "MULTI", "EXEC", "SET a 1", "MULTI", "GET a", "EXEC")),
    ("discard_unwatches", cmds("WATCH a", "MULTI", "DISCARD", "SET a 1", "MULTI", "GET a", "EXEC")),
    ("watch_many", cmds("WATCH a b c a", "SET c 1", "MULTI", "PING", "EXEC")),
    ("watch_arity", cmds("WATCH", "MULTI", "WATCH", "EXEC")),
    ("expired_after_watch", cmds("SET a 1 PX 100", "WATCH a", Sleep(250), "MULTI", "PING", "EXEC")),
    ("stale_at_watch", cmds("SET a 1 PX 50", Sleep(150), "WATCH a", "MULTI", "PING", "EXEC")),
    ("big_values", cmds("MULTI", ["SET", "a", "x" * 100000], "STRLEN a", ["APPEND", "a", "y" * 70000],
                        "STRLEN a", "EXEC")),
    ("many_queued", cmds(*(["MULTI"] + ["INCR n"] * 300 + ["EXEC", "GET n"]))),
]

SINGLE_IDS = [c[0] for c in SINGLE]


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("body", [c[1] for c in SINGLE], ids=SINGLE_IDS)
def test_single_connection(redis_ref, mk, body, resp3):
    check_case(redis_ref, mk, body, resp3)


def W(*steps):
    """Steps: (client, 'command') or Sleep(ms)."""
    return list(steps)


MULTI_CLIENT = [
    ("other_writes", W((0, "SET a 1"), (0, "WATCH a"), (1, "SET a 2"), (0, "MULTI"), (0, "GET a"),
                       (0, "EXEC"))),
    ("other_writes_same_value", W((0, "SET a 1"), (0, "WATCH a"), (1, "SET a 1"), (0, "MULTI"),
                                  (0, "GET a"), (0, "EXEC"))),
    ("other_reads", W((0, "SET a 1"), (0, "WATCH a"), (1, "GET a"), (1, "TTL a"), (1, "EXISTS a"),
                      (0, "MULTI"), (0, "GET a"), (0, "EXEC"))),
    ("other_creates", W((0, "WATCH a"), (1, "SET a 2"), (0, "MULTI"), (0, "PING"), (0, "EXEC"))),
    ("write_after_multi", W((0, "WATCH a"), (0, "MULTI"), (0, "SET b 1"), (1, "SET a 2"),
                            (0, "EXEC"), (0, "GET b"))),
    ("failed_writes_do_not_touch", W((0, "SET a 1"), (0, "WATCH a"), (1, "SET a 9 NX"),
                                     (1, "INCR nosuch"), (1, "DEL nosuch"), (1, "PERSIST a"),
                                     (1, "EXPIRE a 100 XX"), (0, "MULTI"), (0, "GET a"), (0, "EXEC"))),
    ("del", W((0, "SET a 1"), (0, "WATCH a"), (1, "DEL a"), (0, "MULTI"), (0, "PING"), (0, "EXEC"))),
    ("del_missing", W((0, "WATCH a"), (1, "DEL a"), (0, "MULTI"), (0, "PING"), (0, "EXEC"))),
    ("expire", W((0, "SET a 1"), (0, "WATCH a"), (1, "EXPIRE a 100"), (0, "MULTI"), (0, "PING"),
                 (0, "EXEC"))),
    ("persist", W((0, "SET a 1 EX 100"), (0, "WATCH a"), (1, "PERSIST a"), (0, "MULTI"),
                  (0, "PING"), (0, "EXEC"))),
    ("append", W((0, "SET a 1"), (0, "WATCH a"), (1, "APPEND a x"), (0, "MULTI"), (0, "GET a"),
                 (0, "EXEC"))),
    ("setrange", W((0, "SET a hello"), (0, "WATCH a"), (1, "SETRANGE a 1 E"), (0, "MULTI"),
                   (0, "GET a"), (0, "EXEC"))),
    ("incr", W((0, "SET a 1"), (0, "WATCH a"), (1, "INCR a"), (0, "MULTI"), (0, "GET a"),
               (0, "EXEC"))),
    ("getex_ttl", W((0, "SET a 1"), (0, "WATCH a"), (1, "GETEX a EX 100"), (0, "MULTI"),
                    (0, "GET a"), (0, "EXEC"))),
    ("getex_plain", W((0, "SET a 1"), (0, "WATCH a"), (1, "GETEX a"), (0, "MULTI"), (0, "GET a"),
                      (0, "EXEC"))),
    ("getdel", W((0, "SET a 1"), (0, "WATCH a"), (1, "GETDEL a"), (0, "MULTI"), (0, "PING"),
                 (0, "EXEC"))),
    ("mset_other_key", W((0, "WATCH a b"), (1, "MSET c 1 b 2"), (0, "MULTI"), (0, "PING"),
                         (0, "EXEC"))),
    ("rename_onto", W((0, "SET x 1"), (0, "WATCH a"), (1, "RENAME x a"), (0, "MULTI"), (0, "PING"),
                      (0, "EXEC"))),
    ("rename_away", W((0, "SET a 1"), (0, "WATCH a"), (1, "RENAME a z"), (0, "MULTI"), (0, "PING"),
                      (0, "EXEC"))),
    ("copy_onto", W((0, "SET x 1"), (0, "WATCH a"), (1, "COPY x a"), (0, "MULTI"), (0, "PING"),
                    (0, "EXEC"))),
    ("move_away", W((0, "SET a 1"), (0, "WATCH a"), (1, "MOVE a 1"), (0, "MULTI"), (0, "PING"),
                    (0, "EXEC"))),
    ("other_database", W((0, "SELECT 1"), (0, "WATCH a"), (1, "SET a 1"), (0, "MULTI"),
                         (0, "PING"), (0, "EXEC"), (0, "WATCH a"), (1, "SELECT 1"), (1, "SET a 1"),
                         (0, "MULTI"), (0, "PING"), (0, "EXEC"))),
    ("flushall_existing", W((0, "SET a 1"), (0, "WATCH a"), (1, "FLUSHALL"), (0, "MULTI"),
                            (0, "PING"), (0, "EXEC"))),
    ("flushall_missing", W((0, "WATCH a"), (1, "FLUSHALL"), (0, "MULTI"), (0, "PING"), (0, "EXEC"))),
    ("flushdb_other_db", W((0, "SET a 1"), (0, "WATCH a"), (1, "SELECT 3"), (1, "FLUSHDB"),
                           (0, "MULTI"), (0, "PING"), (0, "EXEC"))),
    ("flushdb_existing", W((0, "SET a 1"), (0, "WATCH a"), (1, "FLUSHDB"), (0, "MULTI"),
                           (0, "PING"), (0, "EXEC"))),
    ("swapdb_existing", W((0, "SET a 1"), (0, "WATCH a"), (1, "SWAPDB 0 1"), (0, "MULTI"),
                          (0, "GET a"), (0, "EXEC"))),
    ("swapdb_into", W((1, "SELECT 1"), (1, "SET a 1"), (0, "WATCH a"), (1, "SWAPDB 0 1"),
                      (0, "MULTI"), (0, "GET a"), (0, "EXEC"))),
    ("swapdb_missing", W((0, "WATCH a"), (1, "SWAPDB 0 1"), (0, "MULTI"), (0, "PING"),
                         (0, "EXEC"))),
    ("swapdb_then_write", W((0, "WATCH a"), (1, "SWAPDB 0 1"), (1, "SET a 1"), (0, "MULTI"),
                            (0, "PING"), (0, "EXEC"))),
    ("swapdb_then_write_moved", W((0, "WATCH a"), (1, "SWAPDB 0 1"), (1, "SELECT 1"),
                                  (1, "SET a 1"), (0, "MULTI"), (0, "PING"), (0, "EXEC"))),
    ("two_watchers", W((0, "WATCH a"), (1, "WATCH a"), (0, "MULTI"), (0, "SET a 1"), (0, "EXEC"),
                       (1, "MULTI"), (1, "GET a"), (1, "EXEC"))),
    ("watcher_disconnect_keeps_other", W((0, "WATCH a"), (1, "WATCH a"), (0, "QUIT"),
                                         (2, "SET a 5"), (1, "MULTI"), (1, "GET a"), (1, "EXEC"))),
    ("reset_unwatches", W((0, "WATCH a"), (0, "RESET"), (1, "SET a 1"), (0, "MULTI"), (0, "PING"),
                          (0, "EXEC"))),
    ("setbit_same_value", W((0, "SETBIT a 1 1"), (0, "WATCH a"), (1, "SETBIT a 1 1"), (0, "MULTI"),
                            (0, "PING"), (0, "EXEC"))),
    ("setbit_change", W((0, "SETBIT a 1 1"), (0, "WATCH a"), (1, "SETBIT a 1 0"), (0, "MULTI"),
                        (0, "PING"), (0, "EXEC"))),
    ("setbit_grows", W((0, "SETBIT a 1 0"), (0, "WATCH a"), (1, "SETBIT a 100 0"), (0, "MULTI"),
                       (0, "PING"), (0, "EXEC"))),
    ("incrbyfloat", W((0, "SET a 1"), (0, "WATCH a"), (1, "INCRBYFLOAT a 0.5"), (0, "MULTI"),
                      (0, "GET a"), (0, "EXEC"))),
    ("incrbyfloat_in_exec", W((0, "MULTI"), (0, "INCRBYFLOAT a 1.5"), (0, "LCS a a"),
                              (0, "SETBIT b 3 1"), (0, "BITCOUNT b"), (0, "EXEC"))),
    ("expire_by_other_px", W((0, "SET a 1"), (0, "WATCH a"), (1, "PEXPIRE a 100"), Sleep(250),
                             (0, "MULTI"), (0, "PING"), (0, "EXEC"))),
]

MULTI_IDS = [c[0] for c in MULTI_CLIENT]


def run_steps(port, steps, resp3=False):
    """Send (client, command) steps one at a time; [(step, reply)].  With resp3 each
    connection says HELLO 3 first (that reply is not kept: it names the server)."""
    conns = {}
    out = []
    try:
        for st in steps:
            if isinstance(st, Sleep):
                time.sleep(st.ms / 1000)
                continue
            who, text = st
            if who not in conns:
                conns[who] = Conn(port)
                if resp3:
                    conns[who].pipeline([C("HELLO 3")])
            r = conns[who].pipeline([C(text)])
            out.append(((who, text), r[0] if r else None))
    finally:
        for c in conns.values():
            c.close()
    return out


@pytest.mark.parametrize("steps", [c[1] for c in MULTI_CLIENT], ids=MULTI_IDS)
def test_watch_between_clients(redis_ref, mk, steps):
    flushall(redis_ref.port)
    flushall(mk.port)
    want = run_steps(redis_ref.port, steps)
    got = run_steps(mk.port, steps)
    assert mk.popen.poll() is None, "mako_numba died:\n" + mk.log()[-3000:]
    bad = ["%s: Redis %r, mako %r" % (step, w, g) for (step, w), (_, g) in zip(want, got)
           if w is None or mask_ids(w) != mask_ids(g or b"")]
    assert not bad, "\n".join(bad)


# --- the sans-IO core ------------------------------------------------------------------------

def enc(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


TX = (enc(b"MULTI") + enc(b"SET", b"a", b"1") + enc(b"MULTI") + enc(b"WATCH", b"x")
      + enc(b"INCR", b"a") + enc(b"GET", b"a") + enc(b"EXEC") + enc(b"GET", b"a"))
TX_REPLY = (b"+OK\r\n+QUEUED\r\n-ERR MULTI calls can not be nested\r\n"
            b"-ERR WATCH inside MULTI is not allowed\r\n+QUEUED\r\n+QUEUED\r\n"
            b"*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n$1\r\n2\r\n")


@pytest.mark.parametrize("chunk", [None, 1, 3, 7])
def test_core_any_chunking(core, chunk):
    slot = core.open()
    assert roundtrip(core, slot, TX, chunks=chunk) == TX_REPLY


def test_core_seed_and_inline_format_inside_transaction(core):
    slot = core.open()
    out = roundtrip(core, slot, b"MULTI\r\nset:k:v\nget:k:\nincr n\r\nEXEC\r\n")
    assert out == b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n$1\r\nv\r\n:1\r\n"


def test_core_big_transaction_defers_inside_exec(core):
    """More requests than a turn queues and more output than a turn writes, in one EXEC."""
    slot = core.open()
    n = 20000
    value = b"v" * 300
    data = enc(b"MULTI") + b"".join(enc(b"SET", b"k%d" % i, value) for i in range(n)) + enc(b"EXEC")
    out = roundtrip(core, slot, data, chunks=65536)
    assert out == b"+OK\r\n" + b"+QUEUED\r\n" * n + b"*%d\r\n" % n + b"+OK\r\n" * n
    data = enc(b"MULTI") + b"".join(enc(b"GET", b"k%d" % i) for i in range(n)) + enc(b"EXEC")
    out = roundtrip(core, slot, data)
    assert out == b"+OK\r\n" + b"+QUEUED\r\n" * n + b"*%d\r\n" % n + (b"$300\r\n" + value + b"\r\n") * n
    assert roundtrip(core, slot, enc(b"DBSIZE")) == b":%d\r\n" % n


def test_core_exec_is_atomic_against_other_clients(core):
    """Another client's INCRs, in the same batches, never land inside the transaction."""
    a, b = core.open(), core.open()
    n = 2000
    core.feed(a, enc(b"MULTI") + enc(b"INCR", b"x") * n + enc(b"EXEC"))
    core.feed(b, enc(b"INCR", b"x") * n)
    again = core.run([a, b])
    while again:
        again = core.run(again)
    out = bytes(core.output(a))
    head = b"+OK\r\n" + b"+QUEUED\r\n" * n + b"*%d\r\n" % n
    assert out.startswith(head)
    values = [int(line[1:]) for line in out[len(head):].split(b"\r\n") if line]
    assert len(values) == n
    assert values == list(range(values[0], values[0] + n))
    core.sent(b, len(core.output(b)))
    assert roundtrip(core, b, enc(b"GET", b"x")) == b"$4\r\n%d\r\n" % (2 * n)


def test_core_watch_sees_write_earlier_in_same_batch(core):
    """Slow-path EXEC runs after the batch's kernel work: a write queued before it counts."""
    a, b = core.open(), core.open()
    assert roundtrip(core, a, enc(b"WATCH", b"k")) == b"+OK\r\n"
    core.feed(a, enc(b"MULTI") + enc(b"GET", b"k"))
    core.feed(b, enc(b"SET", b"k", b"1"))
    core.run([a, b])
    core.feed(a, enc(b"EXEC"))
    again = core.run([a])
    while again:
        again = core.run(again)
    assert bytes(core.output(a)).endswith(b"*-1\r\n")


def test_core_watch_table_is_dropped_when_nobody_watches(core):
    slot = core.open()
    roundtrip(core, slot, enc(b"WATCH", b"a", b"b"))
    assert core.ks.watching == 2
    roundtrip(core, slot, enc(b"UNWATCH"))
    assert core.ks.watching == 0 and core.ks.watch_table is None
    roundtrip(core, slot, enc(b"WATCH", b"a"))
    core.close(slot)
    assert core.ks.watching == 0


def test_redis_py_transaction_helpers(mk):
    """redis-py's pipeline(transaction=True) and its WATCH retry loop."""
    import redis
    r = redis.Redis(port=mk.port)
    r.flushall()
    with r.pipeline() as p:
        p.set("a", 1).incr("a").get("a")
        assert p.execute() == [True, 2, b"2"]

    def bump(pipe):
        v = int(pipe.get("a"))
        pipe.multi()
        pipe.set("a", v + 1)
    assert r.transaction(bump, "a") == [True]
    assert r.get("a") == b"3"
    other = redis.Redis(port=mk.port)
    with r.pipeline() as p:
        p.watch("a")
        other.set("a", 10)
        p.multi()
        p.set("a", 11)
        with pytest.raises(redis.WatchError):
            p.execute()
    assert r.get("a") == b"10"
    with r.pipeline() as p:
        p.set("a", 1).execute_command("NOSUCH")
        with pytest.raises(redis.ResponseError, match="unknown command 'NOSUCH'"):
            p.execute()             # redis-py reports the queuing error behind EXECABORT
    assert r.get("a") == b"10"      # and nothing ran


def test_core_closed_dirty_watcher_leaves_no_mark_on_its_slot(core):
    """A client dirtied and then closed must not hand its dirty mark to the next client of the slot."""
    a, b = core.open(), core.open()
    assert roundtrip(core, a, enc(b"WATCH", b"k")) == b"+OK\r\n"
    assert roundtrip(core, b, enc(b"SET", b"k", b"1")) == b"+OK\r\n"     # marks k, not settled yet
    core.close(a)
    c = core.open()
    assert c == a                       # the slot is reused
    out = roundtrip(core, c, enc(b"MULTI") + enc(b"PING") + enc(b"EXEC"))
    assert out == b"+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n"
