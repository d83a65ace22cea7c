"""Command checks around transactions, and what CLIENT LIST says of them: Redis 7.0.15 vs mako_numba.

- Subcommands: an unknown subcommand or a subcommand's wrong arity is
  refused before anything else, inside MULTI too (the transaction aborts),
  for every container command of the generated metadata.
- `EXEC x` is refused with EXECABORT and ends the transaction (and its
  WATCHes) in MULTI or not; `DISCARD x` and `MULTI x` only flag it.
- A client killing itself (CLIENT KILL) gets no reply after the kill's, inside
  EXEC too, where the rest of the transaction still runs.
- CLIENT LIST / CLIENT INFO: `cmd=` is the last command looked up (kernel
  commands included, subcommands as `config|get`), `flags=x multi=N` inside
  MULTI and inside EXEC, and the count stops at the first queuing error.

Each case runs on both servers over raw sockets and the replies (or the
CLIENT LIST fields that do not depend on timing or buffers) are compared;
a few replies are also checked against their exact bytes.
"""
import re
import socket

import pytest

from conftest import start_pair
from drive import raw
from mako_numba.commands import registry as commands
from difftest import C, Conn, check_case, cmds, flushall, mask_ids

CONTAINERS = sorted(commands.containers())


def _container_case(name):
    up, low = name.upper(), name.lower()
    alone = commands.TABLE[commands.INDEX[name]][1] != -1     # COMMAND alone lists every command
    return cmds("MULTI", "SET a 1", f"{up} nope x", "GET a", "EXEC", "GET a",
                "MULTI", f"{low} HELP x", "EXEC",
                *(["MULTI", up, "EXEC", up] if alone else []),
                f"{up} nope", f"{low} HELP x", f"{up} {'y' * 200}",
                [up, "a\r\nb"], [up, "a\x00b"], [low.capitalize(), "\xe9t\xe9"])


SUBCOMMAND_CASES = [("container_" + n, _container_case(n)) for n in CONTAINERS] + [
    ("config_get_alone", cmds("MULTI", "CONFIG GET", "SET a 1", "EXEC", "GET a", "CONFIG GET")),
    ("client_getname_arity", cmds("MULTI", "CLIENT GETNAME x", "EXEC", "CLIENT GETNAME x")),
    ("object_nope", cmds("SET k v", "MULTI", "OBJECT nope a", "EXEC", "OBJECT nope a")),
    ("valid_subcommands_queue", cmds("SET k 12", "MULTI", "OBJECT ENCODING k", "CONFIG GET maxmemory",
                                     "CLIENT GETNAME", "COMMAND INFO get", "SLOWLOG LEN", "EXEC")),
    ("slow_arity_inside", cmds("MULTI", "SELECT", "INFO", "EXEC", "SELECT", "FLUSHALL x y")),
]

EXEC_CASES = [
    ("exec_arity_in_multi", cmds("MULTI", "SET a 1", "EXEC x", "EXEC", "GET a")),
    ("exec_arity_outside", cmds("EXEC x", "EXEC x y", "EXEC")),
    ("exec_arity_unwatches", cmds("SET w 1", "WATCH w", "EXEC x", "SET w 2", "MULTI", "GET w", "EXEC")),
    ("discard_multi_arity", cmds("DISCARD x", "MULTI x", "MULTI", "SET a 1", "DISCARD x", "MULTI x",
                                 "EXEC", "GET a", "MULTI", "SET a 2", "DISCARD x", "DISCARD", "GET a")),
    ("exec_arity_then_multi", cmds("MULTI", "EXEC x", "MULTI", "SET a 3", "EXEC", "GET a")),
]

CASES = SUBCOMMAND_CASES + EXEC_CASES


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("body", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_same_replies(redis_ref, mk, body, resp3):
    check_case(redis_ref, mk, body, resp3)


def test_exact_bytes(mk):
    m = Conn(mk.port)
    got = m.pipeline([C("MULTI"), C("OBJECT nope a"), C("EXEC"),
                      C("MULTI"), C("CONFIG GET"), C("CLIENT GETNAME x"), C("EXEC"),
                      [b"config", b"a\r\nb"],
                      C("MULTI"), C("SET a 1"), C("EXEC x"), C("EXEC"), C("DISCARD x")])
    m.close()
    assert got == [
        b"+OK\r\n", b"-ERR unknown subcommand 'nope'. Try OBJECT HELP.\r\n",
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
        b"+OK\r\n", b"-ERR wrong number of arguments for 'config|get' command\r\n",
        b"-ERR wrong number of arguments for 'client|getname' command\r\n",
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
        b"-ERR unknown subcommand 'a  b'. Try CONFIG HELP.\r\n",
        b"+OK\r\n", b"+QUEUED\r\n",
        b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n",
        b"-ERR EXEC without MULTI\r\n",
        b"-ERR wrong number of arguments for 'discard' command\r\n",
    ]


def _oom_replies(port):
    c = Conn(port)
    try:
        return c.pipeline([C("SET a 1"), C("CONFIG SET maxmemory 1"), C("MULTI"), C("CONFIG GET x"),
                           C("CLIENT ID"), C("OBJECT nope"), C("EXEC"), C("MULTI"), C("EXEC x")])
    finally:
        c.pipeline([C("CONFIG SET maxmemory 0")])
        c.close()


def test_container_commands_refused_when_out_of_memory(redis_ref, mk):
    """Inside MULTI every command Redis would queue is refused with -OOM when nothing can be
    evicted; container commands too, after their subcommand checks."""
    flushall(redis_ref.port)
    flushall(mk.port)
    want = _oom_replies(redis_ref.port)
    assert _oom_replies(mk.port) == want
    assert want[3] == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


STAT = re.compile(rb"(cmdstat_\S+|errorstat_\S+):(?:calls=(\d+),usec=\d+,usec_per_call=[\d.]+,"
                  rb"rejected_calls=(\d+),failed_calls=(\d+)|count=(\d+))")


def _stats(port, body):
    c = Conn(port)
    c.pipeline([C("CONFIG RESETSTAT")] + body)
    info = c.pipeline([C("INFO commandstats"), C("INFO errorstats")])
    c.close()
    return sorted(m.groups() for m in STAT.finditer(b"".join(info)))


def test_rejections_are_counted_alike(redis_ref, mk):
    """Rejected calls (container|sub, exec) and error codes (ERR, EXECABORT) as Redis counts them."""
    body = cmds("MULTI", "CONFIG GET", "OBJECT nope", "EXEC", "EXEC x", "MULTI", "EXEC x",
                "CONFIG", "CLIENT GETNAME x", "SELECT", "CLIENT ID")
    assert _stats(mk.port, body) == _stats(redis_ref.port, body)


# --- CLIENT LIST / CLIENT INFO -----------------------------------------------------------------
FIELDS = ("name", "flags", "db", "sub", "psub", "ssub", "multi", "cmd", "user", "redir", "resp")


def _fields(line):
    kv = dict(f.split("=", 1) for f in line.strip().split(" "))
    return {k: kv[k] for k in FIELDS}


def _bulk_text(reply):
    """A CLIENT LIST / INFO reply (bulk or verbatim) as its text."""
    body = reply.split(b"\r\n", 1)[1][:-2]
    if reply[:1] == b"=":
        body = body[4:]
    return body.decode("latin-1")


def _watch(port, steps):
    """Client 1 runs the steps; after each, client 0 reads client 1's CLIENT LIST line."""
    watcher, c = Conn(port), Conn(port)
    cid = int(c.call(b"CLIENT", b"ID")[1:-2])
    out = []
    for step in steps:
        reply = c.pipeline([C(step)])[0]
        line = _bulk_text(watcher.call(b"CLIENT", b"LIST", b"ID", b"%d" % cid))
        out.append((step, mask_ids(reply) if not step.startswith("CLIENT") else reply[:1],
                    _fields(line)))
    watcher.close()
    c.close()
    return out


STEPS = ["SET a 1", "GET a", "INCR a", "PING", "CONFIG GET maxmemory", "CONFIG", "CONFIG nope", "SET",
         "NOPE x", "MULTI", "SET a b", "CLIENT INFO", "GET", "GET a", "CONFIG GET x", "DISCARD",
         "MULTI", "SET x y", "OBJECT nope", "GET x", "EXEC", "MULTI", "EXEC x", "WATCH a", "DISCARD x",
         "MULTI", "DISCARD x", "DISCARD", "MULTI", "MULTI x", "GET a", "EXEC", "MULTI", "INCR n",
         "EXEC", "SELECT 2", "HELLO 3", "CLIENT SETNAME bob", "UNWATCH", "EXEC x"]


def test_client_list_fields_follow_commands(redis_ref, mk):
    flushall(redis_ref.port)
    flushall(mk.port)
    want = _watch(redis_ref.port, STEPS)
    got = _watch(mk.port, STEPS)
    bad = ["%s: Redis %r, mako %r" % (w[0], w[1:], g[1:]) for w, g in zip(want, got) if w != g]
    assert not bad, "\n".join(bad)
    first = {}
    for s, _, f in got:
        first.setdefault(s, f)
    assert first["INCR a"]["cmd"] == "incr" and first["CONFIG GET maxmemory"]["cmd"] == "config|get"
    assert (first["CLIENT INFO"]["flags"], first["CLIENT INFO"]["multi"]) == ("x", "2")
    assert first["CONFIG GET x"]["multi"] == "2"    # nothing counted after the queuing error


def _own(port, body):
    """CLIENT INFO / LIST replies a client gets about itself inside EXEC and after."""
    c = Conn(port)
    replies = c.pipeline(body)
    c.close()
    out = []
    for r in replies:
        for part in re.findall(rb"[$=]\d+\r\n(?:txt:)?(id=[^\r]*)\r\n", r):
            out.append(_fields(part.decode("latin-1").split("\n")[0]))
    return out


SELF_BODY = cmds("SET a 1", "MULTI", "INCR a", "CLIENT INFO", "EXEC",
                 "CLIENT INFO", "MULTI", "CLIENT INFO", "SET", "EXEC", "CLIENT INFO",
                 "MULTI", "SET b 1", "CLIENT INFO", "DISCARD", "CLIENT INFO")


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_client_info_about_itself(redis_ref, mk, resp3):
    body = ([C("HELLO 3")] if resp3 else []) + SELF_BODY
    want, got = _own(redis_ref.port, body), _own(mk.port, body)
    assert got == want
    assert got[0]["flags"] == "x" and got[0]["multi"] == "2" and got[0]["cmd"] == "exec"


def test_checks_come_before_auth(tmp_path_factory):
    """Existence and arity come before AUTH (processCommand's order), subcommands included;
    and a queuing error of an unauthenticated client still aborts its transaction."""
    m, r = start_pair(tmp_path_factory, "--requirepass", "pw")
    try:
        body = cmds("CONFIG GET", "CONFIG nope", "OBJECT", "CLIENT GETNAME x", "EXEC x", "SELECT",
                    "CLIENT INFO", "CONFIG GET maxmemory", "MULTI", "CONFIG GET", "EXEC", "AUTH pw",
                    "MULTI", "OBJECT nope", "EXEC")
        cr, cm = Conn(r.port), Conn(m.port)
        want, got = cr.pipeline(body), cm.pipeline(body)
        cr.close()
        cm.close()
        assert got == want
        assert got[0] == b"-ERR wrong number of arguments for 'config|get' command\r\n"
        assert got[6] == b"-NOAUTH Authentication required.\r\n"
    finally:
        m.stop()
        r.stop()


KILL_SELF = [
    # inside EXEC: the kill's own reply is the last one (Redis's CLIENT_CLOSE_AFTER_REPLY drops
    # every later reply), the rest of the transaction still runs, then the connection closes
    ("in_exec", b"MULTI\r\nCLIENT KILL SKIPME no\r\nGETSET kv hello\r\nEXEC\r\n",
     b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n"),
    ("in_exec_old_form", b"MULTI\r\nSET kv x\r\nCLIENT KILL %s\r\nSET kv hello\r\nEXEC\r\n",
     b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n+OK\r\n"),
    # outside: its reply, then nothing more is read
    ("outside", b"CLIENT KILL SKIPME no\r\nSET kv hello\r\n", b":1\r\n"),
]


@pytest.mark.parametrize("case", KILL_SELF, ids=[c[0] for c in KILL_SELF])
def test_client_killing_itself(redis_ref, mk, case):
    """A client that kills itself gets no reply after the kill's, and is closed after it."""
    _, data, want = case
    for port in (redis_ref.port, mk.port):
        flushall(port)
        if b"%s" in data:       # the old form names the client's own address
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(data.replace(b"%s", b"127.0.0.1:%d" % s.getsockname()[1]))
                got, closed = _read_to_eof(s)
        else:
            got, closed = raw("127.0.0.1", port, data, expect_close=True, timeout=5, want=len(want))
        assert (got, closed) == (want, True), port
        after = Conn(port)
        try:
            assert after.pipeline([C("GET kv")]) == [b"$-1\r\n" if case[0] == "outside"
                                                     else b"$5\r\nhello\r\n"]
        finally:
            after.close()


def _read_to_eof(s, timeout=5):
    s.settimeout(timeout)
    buf = bytearray()
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return bytes(buf), False
        if not chunk:
            return bytes(buf), True
        buf += chunk


def _multi_after_watched_change(port):
    """multi= of a client whose watched key another client changes in the middle of its MULTI."""
    flushall(port)
    a, b = Conn(port), Conn(port)
    try:
        aid = int(a.call(b"CLIENT", b"ID")[1:-2])
        seen = []
        for who, step in [(a, "WATCH n"), (a, "MULTI"), (a, "PING"), (b, "SET n 1"), (a, "PING"),
                          (a, "GET n"), (a, "EXEC"), (a, "WATCH n"), (b, "SET n 2"), (a, "MULTI"),
                          (a, "PING"), (a, "DISCARD"), (a, "MULTI"), (a, "PING")]:
            reply = who.pipeline([C(step)])[0]
            line = _bulk_text(b.call(b"CLIENT", b"LIST", b"ID", b"%d" % aid))
            seen.append((step, reply, _fields(line)["multi"]))
        return seen
    finally:
        a.close()
        b.close()


def test_multi_count_stops_when_a_watched_key_changes(redis_ref, mk):
    """Redis's queueMultiCommand counts nothing once the client is CLIENT_DIRTY_CAS."""
    want = _multi_after_watched_change(redis_ref.port)
    assert want == _multi_after_watched_change(mk.port)
    assert [m for _, _, m in want] == ["-1", "0", "1", "1", "1", "1", "-1", "-1", "-1", "0", "0", "-1",
                                       "0", "1"]
