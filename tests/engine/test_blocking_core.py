"""Blocked clients in a Core (sans-IO): who is served when, batch by batch.

The server tests (tests/commands/test_blocking.py) compare with Redis over
sockets; here the batches are chosen exactly: a block and the push that
serves it in one batch, a push of one element among several waiters (only
the first in line runs again), a push of several (served in order), and a
waiter on two keys served from the other one (the next in line still gets
what is left).
"""
from mako_numba.engine.core import Core
from tests.drive import cmd_bytes


def _drain(core, slots):
    again = core.run(slots)
    runs = 1
    while again:
        again = core.run(again)
        runs += 1
    return runs


def _out(core, slot):
    view = bytes(core.output(slot))
    core.sent(slot, len(view))
    return view


def test_a_push_later_in_the_batch_that_blocked_serves_it(core):
    a, b = core.open(), core.open()
    core.feed(a, cmd_bytes("BRPOP", "q", "0"))
    core.feed(b, cmd_bytes("LPUSH", "q", "x"))
    _drain(core, [a, b])
    assert _out(core, a) == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
    assert _out(core, b) == b":1\r\n"
    assert len(core.blocking) == 0


def test_one_element_wakes_only_the_first_in_line(core):
    waiters = [core.open() for _ in range(5)]
    for w in waiters:
        core.feed(w, cmd_bytes("BLPOP", "q", "0"))
        _drain(core, [w])
    assert len(core.blocking) == 5
    p = core.open()
    core.feed(p, cmd_bytes("RPUSH", "q", "a"))
    _drain(core, [p])
    assert _out(core, waiters[0]) == b"*2\r\n$1\r\nq\r\n$1\r\na\r\n"
    assert [_out(core, w) for w in waiters[1:]] == [b""] * 4
    assert len(core.blocking) == 4
    core.feed(p, cmd_bytes("RPUSH", "q", "b", "c", "d"))
    _drain(core, [p])
    assert [_out(core, w) for w in waiters[1:]] == [
        b"*2\r\n$1\r\nq\r\n$1\r\n%s\r\n" % e for e in (b"b", b"c", b"d")] + [b""]
    assert len(core.blocking) == 1


def test_a_waiter_served_from_another_key_leaves_the_rest_to_the_next(core):
    """A transaction fills both keys of A (blocked on k1 and k2) and B's (k2): A, woken, pops
    from its first key that has an element; what it leaves on k2 goes to B.  (Redis serves A
    from the key that woke it, k2, and keeps k1's element: either way no element stays on a
    key while someone waits on it, which is what is checked.)"""
    a, b, p = core.open(), core.open(), core.open()
    core.feed(a, cmd_bytes("BLPOP", "k1", "k2", "0"))
    _drain(core, [a])
    core.feed(b, cmd_bytes("BLPOP", "k2", "0"))
    _drain(core, [b])
    core.feed(p, cmd_bytes("MULTI") + cmd_bytes("RPUSH", "k2", "x") + cmd_bytes("RPUSH", "k1", "y")
              + cmd_bytes("EXEC"))
    _drain(core, [p])
    served = [_out(core, a), _out(core, b)]
    assert served[0].startswith(b"*2\r\n")
    # b waits on k2 alone: it is served, or k2 is empty
    assert served[1].startswith(b"*2\r\n") or core.key_info(0, b"k2") is None
    _out(core, p)
    core.feed(p, cmd_bytes("LLEN", "k1") + cmd_bytes("LLEN", "k2"))
    _drain(core, [p])
    left = sum(int(line[1:]) for line in _out(core, p).split(b"\r\n") if line.startswith(b":"))
    assert 2 - served.count(b"") + left == 2                # each pushed element once, somewhere


def test_a_waiters_pipelined_requests_follow_its_reply(core):
    """A request sent behind a blocked one waits; served, the client answers both in order,
    whether its bytes came with the block or later, in the batch of the push."""
    a, b, p = core.open(), core.open(), core.open()
    core.feed(a, cmd_bytes("BLPOP", "q", "0") + cmd_bytes("PING"))
    core.feed(b, cmd_bytes("BLPOP", "q", "0"))
    _drain(core, [a, b])
    assert _out(core, a) == b"" and len(core.blocking) == 2
    core.feed(b, cmd_bytes("ECHO", "later"))
    core.feed(p, cmd_bytes("RPUSH", "q", "x", "y") + cmd_bytes("LLEN", "q"))
    _drain(core, [b, p])
    assert _out(core, a) == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n+PONG\r\n"
    assert _out(core, b) == b"*2\r\n$1\r\nq\r\n$1\r\ny\r\n$5\r\nlater\r\n"
    assert _out(core, p) == b":2\r\n:0\r\n"
    assert len(core.blocking) == 0


def test_many_keys_and_clients_grow_the_table_and_keep_the_order():
    """300 clients on 120 keys (the table starts with room for 32 keys and 63 waits): every
    push serves its key's first in line."""
    core = Core(maxclients=400, seed=12345)
    clients = [core.open() for _ in range(300)]
    for i, c in enumerate(clients):
        core.feed(c, cmd_bytes("BRPOP", "k%d" % (i % 120), "k%d" % ((i + 1) % 120), "0"))
    _drain(core, clients)
    assert len(core.blocking) == 300
    p = core.open()
    served = []
    for key in range(120):
        core.feed(p, cmd_bytes("LPUSH", "k%d" % key, "v%d" % key))
        _drain(core, [p])
        _out(core, p)
        got = [(i, _out(core, c)) for i, c in enumerate(clients) if i not in served]
        hit = [(i, r) for i, r in got if r]
        assert len(hit) == 1, key
        i, reply = hit[0]
        # the first still waiting on this key: it blocked on k(i%120) and k(i%120+1)
        want = min(j for j in range(300) if j not in served and key in (j % 120, (j + 1) % 120))
        assert i == want and reply.endswith(b"$%d\r\nv%d\r\n" % (len(str(key)) + 1, key))
        served.append(i)
    assert len(core.blocking) == 300 - 120


def test_a_waiter_whose_reply_needs_more_room_is_served_once_it_has_it(core):
    """A waiter woken by an element bigger than its output buffer defers for memory (not a
    block): Python gives the room and it is served; it does not wait on for ever."""
    a, b, p = core.open(), core.open(), core.open()
    core.feed(a, cmd_bytes("BLPOP", "k", "0"))
    core.feed(b, cmd_bytes("BLPOP", "k", "0"))
    _drain(core, [a, b])
    big = b"x" * 40000
    core.feed(p, cmd_bytes("RPUSH", "k", big, "small"))
    _drain(core, [p])
    assert _out(core, a) == b"*2\r\n$1\r\nk\r\n$40000\r\n" + big + b"\r\n"
    assert _out(core, b) == b"*2\r\n$1\r\nk\r\n$5\r\nsmall\r\n"
    assert len(core.blocking) == 0
