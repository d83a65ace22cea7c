"""CLIENT REPLY OFF|SKIP|ON, error statistics, and key access times: Redis 7.0.15 vs mako_numba.

- CLIENT REPLY: the same bytes on the wire from both servers for pipelines
  that switch replies off, skip one, and switch them on again, including
  errors, transactions and slow-path commands under each mode.
- INFO errorstats must match exactly; INFO commandstats must agree on
  calls, rejected_calls and failed_calls of every command (`usec` is a
  measurement, and Redis lists commands in its dict order, so the lines are
  compared as a mapping).  keyspace_hits/misses and total_error_replies too.
- OBJECT IDLETIME / DEBUG OBJECT: seconds since the last access; commands
  that Redis runs with LOOKUP_NOTOUCH (TYPE, TTL, EXISTS, OBJECT) leave it
  alone, every other access resets it.
"""
import re
import time

import pytest

from difftest import Conn, Near, Sleep, check_case, cmds, compare, exchange_both, flushall, run_case

REPLY_CASES = [
    ("off_on", b"SET a 1\r\nCLIENT REPLY OFF\r\nSET b 2\r\nGET a\r\nNOSUCH\r\nSET\r\nCLIENT REPLY ON\r\nGET b\r\n"),
    ("skip", b"CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\nCLIENT REPLY SKIP\r\nINCR a\r\nINCR a\r\n"),
    ("skip_error", b"CLIENT REPLY SKIP\r\nINCR a b\r\nCLIENT REPLY SKIP\r\nNOSUCH\r\nPING\r\n"),
    ("skip_slow", b"CLIENT REPLY SKIP\r\nCONFIG GET maxmemory\r\nCLIENT REPLY SKIP\r\nSELECT 1\r\nSET a 1\r\n"
                  b"SELECT 0\r\nGET a\r\n"),
    ("skip_while_off", b"CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\nPING\r\n"),
    ("skip_then_on", b"CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n"),
    ("off_transaction", b"CLIENT REPLY OFF\r\nMULTI\r\nSET a 1\r\nGET a\r\nEXEC\r\nCLIENT REPLY ON\r\nGET a\r\n"),
    ("skip_exec", b"MULTI\r\nSET a 1\r\nCLIENT REPLY SKIP\r\nEXEC\r\nGET a\r\n"),
    ("skip_queued", b"MULTI\r\nCLIENT REPLY SKIP\r\nSET a 1\r\nEXEC\r\nGET a\r\n"),
    ("bad_mode", b"CLIENT REPLY MAYBE\r\nCLIENT REPLY\r\nPING\r\n"),
]


@pytest.mark.parametrize("data", [c[1] for c in REPLY_CASES], ids=[c[0] for c in REPLY_CASES])
def test_client_reply_modes(redis_ref, mk, data):
    flushall(redis_ref.port)
    flushall(mk.port)
    (want, want_closed), (got, got_closed) = exchange_both(redis_ref.port, mk.port, data)
    assert got == want
    assert got_closed == want_closed


def _info(port, section):
    c = Conn(port)
    try:
        text = c.call(b"INFO", section.encode())
    finally:
        c.close()
    body = text.split(b"\r\n", 1)[1].decode()
    return dict(line.split(":", 1) for line in body.splitlines() if ":" in line)


def _calls(value):
    fields = dict(kv.split("=") for kv in value.split(","))
    return fields["calls"], fields["rejected_calls"], fields["failed_calls"]


ERROR_SEQUENCE = cmds(
    "SET a 1", "SET", "GET", "INCR a b", "SET s foo", "INCR s", "INCRBY s x", "GET a", "GET nokey",
    "GETEX a", "GETEX nokey", "GETEX a EX abc", "NOSUCH x", "MULTI", "SET", "EXEC", "EXEC", "DISCARD",
    "MULTI", "MULTI", "INCR s", "EXEC", "SETBIT a x 1", "BITCOUNT a 0", "INCRBYFLOAT s 1",
    "LCS a s IDX LEN", "EXPIRE a abc", "TTL a", "SELECT 99", "CONFIG GET", "OBJECT ENCODING",
    "WATCH", "PING a b", "ECHO", "MSET a", "SCAN x", "RENAME nokey x", "COPY a a",
)


def test_error_and_command_statistics(redis_ref, mk):
    for port in (redis_ref.port, mk.port):
        flushall(port)
        Conn(port).call(b"CONFIG", b"RESETSTAT")
    results, _ = run_case(redis_ref.port, mk.port, ERROR_SEQUENCE, False)
    assert not compare(results, 0)
    want, got = _info(redis_ref.port, "errorstats"), _info(mk.port, "errorstats")
    assert got == want
    want, got = _info(redis_ref.port, "commandstats"), _info(mk.port, "commandstats")
    for d in (want, got):
        d.pop("cmdstat_info", None)
        d.pop("cmdstat_config|resetstat", None)
        d.pop("cmdstat_flushall", None)
    assert {k: _calls(v) for k, v in got.items()} == {k: _calls(v) for k, v in want.items()}
    want, got = _info(redis_ref.port, "stats"), _info(mk.port, "stats")
    for field in ("keyspace_hits", "keyspace_misses", "total_error_replies"):
        assert got[field] == want[field], field


IDLE_CASES = [
    ("idle_grows", cmds("SET k v", Sleep(2100), Near("OBJECT IDLETIME k", 2, 3))),
    ("notouch_commands", cmds("SET k v EX 100", Sleep(2100), "TYPE k", Near("TTL k", 97, 98),
                              "EXISTS k", "OBJECT ENCODING k", Near("OBJECT IDLETIME k", 2, 3))),
    ("get_touches", cmds("SET k v", Sleep(2100), "GET k", Near("OBJECT IDLETIME k", 0, 0))),
    ("strlen_touches", cmds("SET k v", Sleep(2100), "STRLEN k", Near("OBJECT IDLETIME k", 0, 0))),
    ("write_touches", cmds("SET k v", Sleep(2100), "APPEND k x", Near("OBJECT IDLETIME k", 0, 0),
                           Sleep(1100), "EXPIRE k 100", Near("OBJECT IDLETIME k", 0, 0))),
    ("rename_touches", cmds("SET k v", Sleep(2100), "RENAME k j", Near("OBJECT IDLETIME j", 0, 0))),
    ("missing", cmds("OBJECT IDLETIME nokey")),
]


@pytest.mark.parametrize("body", [c[1] for c in IDLE_CASES], ids=[c[0] for c in IDLE_CASES])
def test_idle_time(redis_ref, mk, body):
    check_case(redis_ref, mk, body)


def test_debug_object_reports_idle_time(mk):
    c = Conn(mk.port)
    try:
        c.call(b"SET", b"k", b"hello")
        time.sleep(1.1)
        line = c.call(b"DEBUG", b"OBJECT", b"k").decode()
    finally:
        c.close()
    m = re.search(r"lru:(\d+) lru_seconds_idle:(\d+)", line)
    assert m, line
    assert 1 <= int(m.group(2)) <= 2
    assert abs(int(m.group(1)) - (int(time.time()) & 0xFFFFFF)) <= 3



HIT_CASES = [
    "GET a", "GET nokey", "EXISTS a nokey", "TYPE a", "TYPE nokey", "TTL a", "PTTL nokey", "EXPIRETIME a",
    "TOUCH a nokey", "COPY a b", "COPY nokey b", "OBJECT ENCODING a", "OBJECT IDLETIME nokey",
    "SET a 2 GET", "SET nokey 2 GET", "SET a 2 NX GET", "GETSET a 3", "MGET a nokey", "GETRANGE a 0 1",
    "GETRANGE nokey 0 1", "STRLEN a", "STRLEN nokey", "GETDEL nokey", "GETEX a PERSIST",
    "GETEX a EX abc", "GETBIT a 1", "BITCOUNT nokey", "LCS a nokey", "MOVE a 1", "RENAME a c",
    "APPEND a x", "INCR n", "EXPIRE a 100", "PERSIST a", "DEBUG OBJECT a", "MEMORY USAGE a",
    "SETRANGE a 1 x", "SETBIT a 1 1", "RANDOMKEY", "SCAN 0", "KEYS *", "DEL a", "MSETNX a 1 q 2",
    "SETNX a 5", "RENAMENX a q", "INCRBYFLOAT a 1",
]


def _hits_after(port, text):
    c = Conn(port)
    try:
        c.pipeline([[b"FLUSHALL"], [b"SET", b"a", b"1"], [b"CONFIG", b"RESETSTAT"], text.encode().split()])
        info = _info(port, "stats")
    finally:
        c.close()
    return info["keyspace_hits"], info["keyspace_misses"]


@pytest.mark.parametrize("text", HIT_CASES)
def test_keyspace_hits_and_misses(redis_ref, mk, text):
    """Which commands count a keyspace hit or miss (Redis: the read lookups, TTL and TYPE included)."""
    assert _hits_after(mk.port, text) == _hits_after(redis_ref.port, text)
