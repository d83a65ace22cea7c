"""The typed key space: the type tag in each record's header and the typed lookups.

- Kernel level (a Core, sans-IO): a record whose tag `retype` sets to another
  type is refused with WRONGTYPE by every command that reads or writes a
  string value, answered nil by MGET (as Redis), and left alone by the
  commands that overwrite any value (SET) or only ask whether the key exists;
  the generic key commands (DEL, EXISTS, TYPE, RENAME, COPY, MOVE, EXPIRE,
  TTL, TOUCH, SCAN ... TYPE) work on it whatever its type, and keep its type.
  Keyspace hits and misses count as Redis's lookups do.
- The header's fields do not overlap, and the EXEC stamps' sweep leaves the
  type alone.
- Against a real Redis 7.0 (the `pair` fixture): TYPE and SCAN ... TYPE,
  including type names in any case, TYPE none and a name no type has.
"""
import ctypes

import numpy as np
import pytest

from drive import cmd_bytes, roundtrip
from difftest import Conn, value
from mako_numba.base.jit import addr_of
from mako_numba.base.layout import S_HITS, S_MISSES
from mako_numba.protocol import errors
from mako_numba.store.arena import (
    C_ADDR, CID_SHIFT, ENC_KIND, ENC_TX, ENC_TX_MAX, OFF_MASK, TYPE_BITS, TYPE_SHIFT,
)
from mako_numba.store.expire import clear_tx_stamps
from mako_numba.store.table import enc_flags, peek
from mako_numba.store.types import OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_STRING, OBJ_ZSET, TYPE_NAMES

WRONGTYPE = errors.reply(errors.WRONGTYPE)


def _found(core, key, db=0):
    buf = np.frombuffer(key + b"\0", np.uint8)
    T = core.ks.T
    h, which, pos = peek(T, core.lim, int(core.ks.dbk[db, 2]), addr_of(buf), len(key), 0)
    return which, pos


def _word1(core, key, db=0):
    """Header word 1 of key's record, as a ctypes int64 over the arena."""
    which, pos = _found(core, key, db)
    assert which != 0, key
    T = core.ks.T
    ix = T[1] if which == 1 else T[2]
    ref = (int(ix[pos]) & ((1 << 37) - 1)) << 3         # index.slot_ref
    addr = int(T[3][ref >> CID_SHIFT, C_ADDR]) + (ref & OFF_MASK)
    return ctypes.c_int64.from_address(addr + 8)


def retype(core, key, t, db=0):
    """Tag key's record as a value of type t (only strings can be made by commands so far)."""
    w1 = _word1(core, key, db)
    w1.value = (w1.value & ~TYPE_BITS) | (t << TYPE_SHIFT)


def type_tag(core, key, db=0):
    which, pos = _found(core, key, db)
    return (int(enc_flags(core.ks.T, which, pos)) & TYPE_BITS) >> TYPE_SHIFT


def run(core, *args):
    return roundtrip(core, core.slot, cmd_bytes(*args))


@pytest.fixture
def hcore(core):
    """A Core with key h (tagged a hash, holding b"12"), string s = b"abc", no other key."""
    core.slot = core.open()
    assert run(core, "SET", "h", "12") == b"+OK\r\n"
    assert run(core, "SET", "s", "abc") == b"+OK\r\n"
    retype(core, b"h", OBJ_HASH)
    return core


@pytest.mark.parametrize("cmd", [
    ("GET", "h"), ("SET", "h", "v", "GET"), ("GETSET", "h", "v"), ("GETDEL", "h"), ("GETEX", "h"),
    ("GETEX", "h", "EX", "10"), ("APPEND", "h", "x"), ("INCR", "h"), ("DECR", "h"), ("INCRBY", "h", "2"),
    ("DECRBY", "h", "2"), ("INCRBYFLOAT", "h", "1.5"), ("SETRANGE", "h", "0", "x"),
    ("SETRANGE", "h", "1", ""),
    ("GETRANGE", "h", "0", "-1"), ("SUBSTR", "h", "0", "1"), ("STRLEN", "h"), ("SETBIT", "h", "3", "1"),
    ("GETBIT", "h", "3"), ("BITCOUNT", "h"), ("BITCOUNT", "h", "0", "1"),
])
def test_wrongtype_from_string_commands(hcore, cmd):
    assert run(hcore, *cmd) == WRONGTYPE
    assert type_tag(hcore, b"h") == OBJ_HASH         # refused: nothing changed
    retype(hcore, b"h", OBJ_STRING)
    assert run(hcore, "GET", "h") == b"$2\r\n12\r\n"


def test_wrongtype_is_a_keyspace_hit(hcore):
    """Redis's lookupKeyReadOrReply counts the hit before checkType refuses."""
    stats = hcore.stats
    hits, misses = int(stats[S_HITS]), int(stats[S_MISSES])
    for cmd in (("GET", "h"), ("STRLEN", "h"), ("GETBIT", "h", "0"), ("MGET", "h", "s", "nokey")):
        run(hcore, *cmd)
    assert int(stats[S_HITS]) - hits == 5 and int(stats[S_MISSES]) - misses == 1


def test_mget_answers_nil_for_another_type(hcore):
    assert run(hcore, "MGET", "s", "h", "nokey") == b"*3\r\n$3\r\nabc\r\n$-1\r\n$-1\r\n"


def test_lcs_refuses_other_types(hcore):
    assert run(hcore, "LCS", "s", "h") == errors.reply(errors.LCS_NOT_STRINGS)
    assert run(hcore, "LCS", "h", "nokey") == errors.reply(errors.LCS_NOT_STRINGS)


@pytest.mark.parametrize("cmd", [("SET", "h", "v"), ("SET", "h", "v", "XX"), ("MSET", "h", "v"),
                                 ("SETEX", "h", "100", "v"), ("PSETEX", "h", "100000", "v")])
def test_writes_that_replace_any_value_make_a_string(hcore, cmd):
    assert run(hcore, *cmd) == b"+OK\r\n"
    assert type_tag(hcore, b"h") == OBJ_STRING
    assert run(hcore, "TYPE", "h") == b"+string\r\n"
    assert run(hcore, "GET", "h") == b"$1\r\nv\r\n"


def test_writes_that_only_ask_for_existence(hcore):
    assert run(hcore, "SETNX", "h", "v") == b":0\r\n"
    assert run(hcore, "SET", "h", "v", "NX") == b"$-1\r\n"
    assert run(hcore, "MSETNX", "h", "v", "new", "v") == b":0\r\n"
    assert type_tag(hcore, b"h") == OBJ_HASH


@pytest.mark.parametrize("t", [OBJ_STRING, OBJ_LIST, OBJ_SET, OBJ_ZSET, OBJ_HASH])
def test_type_answers_from_the_tag(hcore, t):
    retype(hcore, b"h", t)
    assert run(hcore, "TYPE", "h") == b"+%s\r\n" % TYPE_NAMES[t].encode()
    assert run(hcore, "TYPE", "nokey") == b"+none\r\n"


def test_generic_commands_work_on_any_type(hcore):
    assert run(hcore, "EXISTS", "h", "s", "nokey") == b":2\r\n"
    assert run(hcore, "TOUCH", "h") == b":1\r\n"
    assert run(hcore, "EXPIRE", "h", "100") == b":1\r\n"
    assert run(hcore, "TTL", "h") == b":100\r\n"
    assert run(hcore, "PERSIST", "h") == b":1\r\n"
    assert run(hcore, "RENAME", "h", "h2") == b"+OK\r\n"
    assert type_tag(hcore, b"h2") == OBJ_HASH
    assert run(hcore, "COPY", "h2", "h3") == b":1\r\n"
    assert type_tag(hcore, b"h3") == OBJ_HASH and type_tag(hcore, b"h2") == OBJ_HASH
    assert run(hcore, "MOVE", "h3", "1") == b":1\r\n"
    assert type_tag(hcore, b"h3", db=1) == OBJ_HASH
    assert run(hcore, "RENAMENX", "h2", "s") == b":0\r\n"
    assert run(hcore, "COPY", "s", "h2", "REPLACE") == b":1\r\n"   # a string over a hash
    assert type_tag(hcore, b"h2") == OBJ_STRING
    retype(hcore, b"h2", OBJ_SET)
    assert run(hcore, "DEL", "h2", "nokey") == b":1\r\n"
    assert run(hcore, "EXISTS", "h2") == b":0\r\n"
    assert run(hcore, "DBSIZE") == b":1\r\n"


def test_scan_type_filters_by_the_tag(hcore):
    retype(hcore, b"h", OBJ_ZSET)
    assert run(hcore, "SCAN", "0", "TYPE", "zset") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\nh\r\n"
    assert run(hcore, "SCAN", "0", "TYPE", "ZSet") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\nh\r\n"
    assert run(hcore, "SCAN", "0", "TYPE", "string") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\ns\r\n"
    for name in ("hash", "list", "set", "stream", "none", "foo", "strings"):
        assert run(hcore, "SCAN", "0", "TYPE", name) == b"*2\r\n$1\r\n0\r\n*0\r\n", name
    keys = run(hcore, "KEYS", "*")
    assert keys in (b"*2\r\n$1\r\nh\r\n$1\r\ns\r\n", b"*2\r\n$1\r\ns\r\n$1\r\nh\r\n")


def test_object_encoding_of_a_string_comes_from_its_type(hcore):
    assert run(hcore, "OBJECT", "ENCODING", "s") == b"$6\r\nembstr\r\n"
    assert run(hcore, "SET", "n", "12") == b"+OK\r\n"
    assert run(hcore, "OBJECT", "ENCODING", "n") == b"$3\r\nint\r\n"
    assert run(hcore, "OBJECT", "REFCOUNT", "n") == b":2147483647\r\n"


def test_header_fields_do_not_overlap():
    assert ENC_TX_MAX == (1 << 16) - 1
    assert not ENC_TX & TYPE_BITS and not ENC_KIND & TYPE_BITS
    assert TYPE_BITS >> TYPE_SHIFT == 15 and TYPE_BITS < 1 << 63
    assert ENC_TX >> 43 == ENC_TX_MAX


def test_clearing_exec_stamps_keeps_the_type(hcore):
    w1 = _word1(hcore, b"h")
    w1.value |= ENC_TX                   # the largest stamp
    clear_tx_stamps(hcore.ks.T)
    assert not _word1(hcore, b"h").value & ENC_TX
    assert type_tag(hcore, b"h") == OBJ_HASH


def test_the_stamp_survives_its_widest_value_in_exec(core):
    """The EXEC serial wraps within the 16-bit stamp: the last serial before the wrap still
    gives the stored value refcount 2 inside EXEC (test_tx_refcount covers the wrap itself)."""
    from mako_numba.base.layout import T_TX_SERIAL
    core.slot = core.open()
    core.ks.tm[T_TX_SERIAL] = (ENC_TX_MAX >> 1) - 1
    out = run(core, "MULTI") + run(core, "SET", "k", "somevalue") + run(core, "OBJECT", "REFCOUNT", "k") + \
        run(core, "EXEC")
    assert out.endswith(b"*2\r\n+OK\r\n:2\r\n"), out
    assert type_tag(core, b"k") == OBJ_STRING


# --- against a real Redis ------------------------------------------------------------------
def _unordered(cmd, reply):
    """A SCAN reply with its keys sorted (the two servers' hash orders differ)."""
    if cmd[0].upper() != b"SCAN" or reply.startswith(b"-"):
        return reply
    cursor, keys = value(reply)
    return cursor, sorted(keys)


def _same(pair, cmds):
    m, r = pair
    cm, cr = Conn(m.port), Conn(r.port)
    try:
        got_m = cm.pipeline(cmds)
        got_r = cr.pipeline(cmds)
        assert len(got_m) == len(cmds)
        assert [_unordered(c, g) for c, g in zip(cmds, got_m)] == \
            [_unordered(c, g) for c, g in zip(cmds, got_r)], list(zip(cmds, got_m, got_r))
        return got_m
    finally:
        cm.sock.close()
        cr.sock.close()


def test_type_against_redis(pair):
    _same(pair, [[b"FLUSHALL"], [b"SET", b"a", b"1"], [b"SET", b"b", b"x" * 100], [b"TYPE", b"a"],
                 [b"TYPE", b"b"], [b"TYPE", b"nokey"], [b"type", b"a", b"extra"], [b"DBSIZE"]])


@pytest.mark.parametrize("name", [b"string", b"STRING", b"String", b"hash", b"list", b"set", b"zset",
                                  b"stream", b"foo", b"", b"strings", b"none", b"averyverylongtypename"])
def test_scan_type_against_redis(pair, name):
    cmds = [[b"FLUSHALL"]] + [[b"SET", b"k%d" % i, b"v"] for i in range(5)]
    cmds += [[b"SCAN", b"0", b"TYPE", name], [b"SCAN", b"0", b"TYPE", name, b"MATCH", b"k1"],
             [b"SCAN", b"0", b"COUNT", b"100", b"TYPE", name]]
    got = _same(pair, cmds)
    assert not any(g.startswith(b"-") for g in got)


def test_scan_type_keyspace_stats_against_redis(pair):
    """Both count each key SCAN's TYPE filter looks at as a keyspace hit."""
    cmds = [[b"FLUSHALL"], [b"CONFIG", b"RESETSTAT"]] + [[b"SET", b"k%d" % i, b"v"] for i in range(5)]
    cmds += [[b"SCAN", b"0", b"TYPE", b"hash"], [b"SCAN", b"0", b"TYPE", b"string"], [b"TYPE", b"k1"]]
    m, r = pair
    _same(pair, cmds)
    cm, cr = Conn(m.port), Conn(r.port)
    try:
        def stats(c):
            info = c.pipeline([[b"INFO", b"stats"]])[0]
            return [line for line in info.split(b"\r\n")
                    if line.startswith((b"keyspace_hits", b"keyspace_misses"))]
        assert stats(cm) == stats(cr)
    finally:
        cm.sock.close()
        cr.sock.close()
