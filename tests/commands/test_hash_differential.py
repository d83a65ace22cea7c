"""Differential tests for the hash commands: Redis 7.0.15 vs mako_numba.

Covered: HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS,
HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HSCAN of a listpack (whole in
one call), HRANDFIELD (its defined replies here, its random ones by their
properties in `test_hrandfield`); their arity errors, WRONGTYPE both ways
(hash commands on a string or a set, string and set commands on a hash), the
deletion of a hash left empty, HINCRBY's errors (a field value that is not
an integer, overflow, an increment that is not one), the listpack ->
hashtable conversion (past hash-max-listpack-entries, 512 by default, or a
field or value longer than hash-max-listpack-value, 64; HSETNX and HINCRBY
included; never back; and with the limits changed by CONFIG SET) seen
through OBJECT ENCODING, the key-space commands on a hash (TYPE EXISTS DEL
RENAME COPY MOVE EXPIRE TTL PERSIST), MULTI/EXEC, WATCH (a change aborts
EXEC, a no-op HSETNX or HDEL does not) and the keyspace_hits/keyspace_misses
counters.

Harness: tests/difftest.py's (each case a pipeline on fresh connections to a
real redis-server and to mako_numba after FLUSHALL on both, over RESP2 and
after HELLO 3, replies compared byte for byte).  A listpack hash keeps
insertion order, so its HGETALL/HKEYS/HVALS are compared exactly; a
hashtable's order is its own, so those are `Unordered`.  `Keyspace()`
(tests/colltest.py) compares the keyspace counters of INFO stats after a
CONFIG RESETSTAT.

`test_hrandfield` runs a setup on both servers, then HRANDFIELD on each, and
checks each reply: its type and length, fields and values the hash's,
distinct for a positive count, each field drawn when many are, and a few
fields of a listpack in its order (as Redis's lpRandomPairsUnique).

`test_random_streams_match_redis` is a hypothesis state machine: random hash,
string, key-space and transaction commands over four keys, each sent to both
servers and compared (as the same elements where a hashtable answers), with
OBJECT ENCODING compared after every write.
"""

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from colltest import (
    I64MAX, I64MIN, Keyspace, compare, multiset, pairset, run_machine, with_key_space_rules,
)
from conftest import start_mako
from difftest import C, Conn, Near, Sleep, Unordered, cmds, differential, flushall, value

I64MAX_S = str(I64MAX)
I64MIN_S = str(I64MIN)
V64 = "v" * 64              # the longest value a listpack hash keeps
V65 = "v" * 65              # one byte more: a hashtable
F65 = "f" * 65


def fields(n, start=0, prefix="f"):
    """HSET's arguments for n fields: prefix<i> <i>."""
    out = []
    for i in range(start, start + n):
        out += [prefix + str(i), str(i)]
    return out


def hset(key, *args):
    return ["HSET", key] + list(args)


def HGETALL(key="h"):
    return Unordered("HGETALL " + key, pairs=True)


CASES = [
    # ---------------- HSET / HMSET / HSETNX ----------------
    ("hset_basic", cmds("HSET h a 1", "HSET h a 2 b 3", "HGET h a", "HGET h b", "HLEN h", "HGETALL h")),
    ("hset_count_new_only", cmds("HSET h a 1 b 2 c 3", "HSET h a 9 d 4 b 8", "HGETALL h")),
    ("hset_repeated_field", cmds("HSET h a 1 a 2 a 3", "HGET h a", "HLEN h", "HSET h b 1 b 1", "HLEN h")),
    ("hset_same_value", cmds("HSET h a 1", "HSET h a 1", "HGET h a")),
    ("hset_keeps_place", cmds("HSET h a 1 b 2 c 3", "HSET h b longer-value", "HSET h a x",
                              "HGETALL h", "HKEYS h", "HVALS h")),
    ("hset_empty_field_value", cmds(["HSET", "h", "", ""], ["HGET", "h", ""], "HLEN h", "HGETALL h",
                                    ["HSTRLEN", "h", ""], ["HEXISTS", "h", ""])),
    ("hset_binary", cmds(["HSET", "h", "a\x00b", "\r\n", "\xff", "x\r\ny"], ["HGET", "h", "a\x00b"],
                         ["HGET", "h", "\xff"], "HGETALL h")),
    ("hset_integer_values", cmds(["HSET", "h", "a", "123", "b", "-7", "c", I64MAX_S, "d", I64MIN_S, "e", "01",
                                  "f", "-0", "g", "1.5", "i", "9223372036854775808"],
                                 "HGETALL h", "HSTRLEN h c", "HSTRLEN h d", "HSTRLEN h e", "HSTRLEN h i")),
    ("hset_lowercase", cmds("hset h a 1", "hget h a", "HsEtNx h b 2", "hgetall h")),
    ("hset_arity", cmds("HSET", "HSET h", "HSET h a", "HSET h a 1 b", "EXISTS h")),
    ("hmset_basic", cmds("HMSET h a 1 b 2", "HMSET h a 3", "HGETALL h")),
    ("hmset_arity", cmds("HMSET h", "HMSET h a", "HMSET h a 1 b", "EXISTS h")),
    ("hsetnx_basic", cmds("HSETNX h a 1", "HSETNX h a 2", "HGET h a", "HSETNX h b 3", "HGETALL h")),
    ("hsetnx_arity", cmds("HSETNX h", "HSETNX h a", "HSETNX h a 1 2", "EXISTS h")),
    # ---------------- HGET / HMGET ----------------
    ("hget_missing", cmds("HGET h a", "HSET h a 1", "HGET h b", "HGET missing a")),
    ("hget_arity", cmds("HGET", "HGET h", "HGET h a b")),
    ("hmget_basic", cmds("HSET h a 1 b 2", "HMGET h a b c a", "HMGET h c", "HMGET missing a b")),
    ("hmget_arity", cmds("HMGET", "HMGET h")),
    # ---------------- HDEL ----------------
    ("hdel_basic", cmds("HSET h a 1 b 2 c 3", "HDEL h a", "HDEL h a", "HDEL h x y", "HGETALL h", "HLEN h")),
    ("hdel_many", cmds("HSET h a 1 b 2 c 3 d 4", "HDEL h a c a zz", "HGETALL h")),
    ("hdel_last_deletes_key", cmds("HSET h a 1 b 2", "HDEL h a b c", "EXISTS h", "TYPE h", "HLEN h",
                                   "HGETALL h", "HDEL h a")),
    ("hdel_last_one_by_one", cmds("HSET h a 1", "HDEL h a", "EXISTS h", "HSET h a 2", "HGET h a")),
    ("hdel_closes_gap", cmds("HSET h a 1 b 2 c 3 d 4", "HDEL h b", "HSET h e 5", "HGETALL h")),
    ("hdel_missing_key", cmds("HDEL missing a", "EXISTS missing")),
    ("hdel_arity", cmds("HDEL", "HDEL h")),
    # ---------------- HLEN / HSTRLEN / HEXISTS ----------------
    ("hlen", cmds("HLEN h", "HSET h a 1 b 2", "HLEN h")),
    ("hstrlen", cmds("HSET h a hello b 12345 c -1", "HSTRLEN h a", "HSTRLEN h b", "HSTRLEN h c", "HSTRLEN h x",
                     "HSTRLEN missing a")),
    ("hexists", cmds("HSET h a 1", "HEXISTS h a", "HEXISTS h b", "HEXISTS missing a")),
    ("hlen_hstrlen_hexists_arity", cmds("HLEN", "HLEN h x", "HSTRLEN h", "HSTRLEN h a b", "HEXISTS h",
                                        "HEXISTS h a b")),
    # ---------------- HKEYS / HVALS / HGETALL ----------------
    ("hgetall_missing", cmds("HGETALL missing", "HKEYS missing", "HVALS missing")),
    ("hgetall_order", cmds("HSET h z 1 a 2 m 3", "HSET h b 4", "HGETALL h", "HKEYS h", "HVALS h")),
    ("hgetall_arity", cmds("HGETALL", "HGETALL h x", "HKEYS", "HKEYS h x", "HVALS", "HVALS h x")),
    ("hgetall_hashtable", cmds(hset("h", *fields(600)), HGETALL(), Unordered("HKEYS h"), Unordered("HVALS h"),
                               "HLEN h")),
    ("hgetall_hashtable_long_value", cmds(hset("h", "a", "1", "b", V65, "c", "3"), HGETALL(),
                                          Unordered("HKEYS h"), Unordered("HVALS h"))),
    # ---------------- HINCRBY ----------------
    ("hincrby_basic", cmds("HINCRBY h a 5", "HINCRBY h a -7", "HINCRBY h a 0", "HGET h a", "HINCRBY h b -1",
                           "HGETALL h")),
    ("hincrby_existing_value", cmds("HSET h a 10 b -10", "HINCRBY h a 1", "HINCRBY h b -1", "HGETALL h")),
    ("hincrby_not_integer_value", cmds(["HSET", "h", "a", "abc", "b", "1.5", "c", "01", "d", "-0", "e", "+1",
                                        "f", ""],
                                       "HINCRBY h a 1", "HINCRBY h b 1", "HINCRBY h c 1", "HINCRBY h d 1",
                                       "HINCRBY h e 1", ["HINCRBY", "h", "f", "1"], "HGETALL h")),
    ("hincrby_value_spaces", cmds(["HSET", "h", "a", " 1", "b", "1 ", "c", "9223372036854775808",
                                   "d", "-9223372036854775809", "e", "00"],
                                  "HINCRBY h a 1", "HINCRBY h b 1", "HINCRBY h c 1", "HINCRBY h d 1",
                                  "HINCRBY h e 1")),
    ("hincrby_empty_value", cmds(["HSET", "h", "a", ""], "HINCRBY h a 1", "HGET h a")),
    ("hincrby_bad_increment", cmds("HSET h a 1", "HINCRBY h a x", "HINCRBY h a 1.5", ["HINCRBY", "h", "a", ""],
                                   "HINCRBY h a 9223372036854775808", "HINCRBY h a -9223372036854775809",
                                   "HINCRBY h a 01", "HINCRBY h a -0", "HINCRBY h a +1", "HGET h a")),
    ("hincrby_bad_increment_missing_key", cmds("HINCRBY h a x", "EXISTS h")),
    ("hincrby_overflow", cmds("HSET h a " + I64MAX_S + " b " + I64MIN_S,
                              "HINCRBY h a 1", "HINCRBY h a 0", "HINCRBY h a " + I64MIN_S, "HINCRBY h a 1",
                              "HINCRBY h b -1", "HINCRBY h b " + I64MAX_S, "HINCRBY h b -1", "HGETALL h")),
    ("hincrby_overflow_from_zero", cmds("HINCRBY h a " + I64MAX_S, "HINCRBY h a 1", "HINCRBY h b " + I64MIN_S,
                                        "HINCRBY h b -1", "HGETALL h")),
    ("hincrby_max_magnitudes", cmds("HSET h a -1", "HINCRBY h a " + I64MIN_S, "HINCRBY h a " + I64MIN_S,
                                    "HGET h a", "HSET h b 1", "HINCRBY h b " + I64MAX_S)),
    ("hincrby_keeps_place", cmds("HSET h a 1 b 2 c 3", "HINCRBY h b 1000000", "HINCRBY h z 1", "HGETALL h")),
    ("hincrby_arity", cmds("HINCRBY", "HINCRBY h a", "HINCRBY h a 1 2")),
    # ---------------- HINCRBYFLOAT ----------------
    ("hincrbyfloat", cmds("HINCRBYFLOAT h a 1.5", "HINCRBYFLOAT h a 10.50", "HINCRBYFLOAT h a -12", "HGET h a",
                          "HINCRBYFLOAT h b 5.0e3", "HINCRBYFLOAT h c 0x10", "HINCRBYFLOAT h d 1e-20",
                          "HINCRBYFLOAT h d 1", "HSET h e 3", "HINCRBYFLOAT h e 0.1", "HGETALL h")),
    ("hincrbyfloat_errors", cmds(["HSET", "h", "a", "x", "b", " 1", "c", "1e400"], "HINCRBYFLOAT h a 1",
                                 "HINCRBYFLOAT h b 1", "HINCRBYFLOAT h c 1", "HINCRBYFLOAT h d x",
                                 "HINCRBYFLOAT h d inf", "HINCRBYFLOAT h d nan", ["HINCRBYFLOAT", "h", "d", ""],
                                 "HINCRBYFLOAT h d", "HINCRBYFLOAT h d 1 2", "SET s x", "HINCRBYFLOAT s a 1",
                                 "HINCRBYFLOAT s a x", "EXISTS h d")),
    ("hincrbyfloat_huge", cmds("HINCRBYFLOAT h a 1e400", "HGET h a", "OBJECT ENCODING h", "HINCRBYFLOAT g a 1e308",
                               "HINCRBYFLOAT g a 1e308", "HGET g a")),
    ("hincrbyfloat_long_field", cmds("HSET h a 1", ["HINCRBYFLOAT", "h", F65, "1.5"], "OBJECT ENCODING h",
                                     HGETALL())),
    # ---------------- HSCAN (listpack: whole in one call) ----------------
    ("hscan_listpack", cmds("HSET h z 1 a 2 m 3 ab 4", "HSCAN h 0", "HSCAN h 0 COUNT 1", "HSCAN h 0 MATCH a*",
                            "HSCAN h 0 match *b count 100", "HSCAN missing 0", "HSCAN h -1")),
    ("hscan_errors", cmds("HSET h a 1", "HSCAN h x", "HSCAN h 0 COUNT 0", "HSCAN h 0 COUNT x", "HSCAN h 0 MATCH",
                          "HSCAN h 0 FOO 1", "HSCAN h", "HSCAN missing 0 MATCH", "HSCAN missing x", "SET s x",
                          "HSCAN s 0", "HSCAN s x", "HSCAN h 18446744073709551616")),
    # ---------------- HRANDFIELD: what is defined (the rest: test_hrandfield) ----------------
    ("hrandfield_missing", cmds("HRANDFIELD h", "HRANDFIELD h 3", "HRANDFIELD h -3 WITHVALUES", "HRANDFIELD h 0")),
    ("hrandfield_whole_listpack", cmds("HSET h z 1 a 2 m 3", "HRANDFIELD h 3", "HRANDFIELD h 10 WITHVALUES",
                                       "HRANDFIELD h 0", "HRANDFIELD h 0 WITHVALUES", "HSET g k v",
                                       "HRANDFIELD g", "HRANDFIELD g -3 WITHVALUES", "HRANDFIELD g 1 withvalues")),
    ("hrandfield_whole_table", cmds(hset("h", *fields(600)), Unordered("HRANDFIELD h 600"),
                                    Unordered("HRANDFIELD h 1000 WITHVALUES"))),
    ("hrandfield_errors", cmds("HSET h a 1", "HRANDFIELD h x", "HRANDFIELD h 1.5", "HRANDFIELD h 1 FOO",
                               "HRANDFIELD h 1 WITHVALUES x", "HRANDFIELD h " + I64MIN_S,
                               "HRANDFIELD h 9223372036854775808", "HRANDFIELD h 4611686018427387904 WITHVALUES",
                               "HRANDFIELD h -4611686018427387904 WITHVALUES", "HRANDFIELD h 4611686018427387903",
                               "HRANDFIELD", "HRANDFIELD missing x", "HRANDFIELD missing 1 FOO")),
    ("hrandfield_wrongtype", cmds("SET s x", "HRANDFIELD s", "HRANDFIELD s 2", "HRANDFIELD s x",
                                  "HRANDFIELD s 1 WITHVALUES")),
    # ---------------- WRONGTYPE ----------------
    ("hash_cmds_on_string", cmds("SET s x", "HSET s a 1", "HSETNX s a 1", "HMSET s a 1", "HGET s a", "HMGET s a",
                                 "HDEL s a", "HLEN s", "HSTRLEN s a", "HEXISTS s a", "HKEYS s", "HVALS s",
                                 "HGETALL s", "HINCRBY s a 1", "GET s")),
    ("hash_cmds_on_set", cmds("SADD s x", "HSET s a 1", "HGET s a", "HMGET s a b", "HDEL s x", "HLEN s",
                              "HGETALL s", "HINCRBY s a 1", "HSETNX s a 1", "SMEMBERS s")),
    ("string_cmds_on_hash", cmds("HSET h a 1", "GET h", "APPEND h x", "INCR h", "INCRBY h 2", "STRLEN h",
                                 "GETRANGE h 0 1", "SETRANGE h 0 x", "GETSET h x", "GETDEL h", "SETNX h x",
                                 "MGET h", "HGETALL h")),
    ("set_cmds_on_hash", cmds("HSET h a 1", "SADD h a", "SREM h a", "SCARD h", "SISMEMBER h a", "SMEMBERS h",
                              "SPOP h", "SRANDMEMBER h", "SMOVE h t a", "SINTER h", "SUNION h", "SDIFF h",
                              "HGETALL h")),
    ("set_overwrites_hash", cmds("HSET h a 1", "SET h x", "TYPE h", "GET h", "HGET h a")),
    ("arity_before_wrongtype", cmds("SET s x", "HSET s a", "HINCRBY s a", "HGET s")),
    ("hincrby_increment_before_wrongtype", cmds("SET s x", "HINCRBY s a x", "HINCRBY s a 1")),
    # ---------------- encodings: listpack -> hashtable ----------------
    ("enc_small", cmds("HSET h a 1", "OBJECT ENCODING h", "HINCRBY n a 1", "OBJECT ENCODING n",
                       "HSETNX x a 1", "OBJECT ENCODING x")),
    ("enc_129_fields", cmds(hset("h", *fields(129)), "OBJECT ENCODING h", "HGETALL h")),
    ("enc_512_fields", cmds(hset("h", *fields(512)), "OBJECT ENCODING h", "HGETALL h", "HLEN h")),
    ("enc_513_fields", cmds(hset("h", *fields(513)), "OBJECT ENCODING h", HGETALL(), "HLEN h")),
    ("enc_512_then_one_more", cmds(hset("h", *fields(512)), "HSET h f0 x", "OBJECT ENCODING h",
                                   "HSET h new 1", "OBJECT ENCODING h", "HLEN h", "HGET h new")),
    ("enc_512_then_hsetnx", cmds(hset("h", *fields(512)), "HSETNX h f1 x", "OBJECT ENCODING h",
                                 "HSETNX h new 1", "OBJECT ENCODING h", "HLEN h")),
    ("enc_512_then_hincrby", cmds(hset("h", *fields(512)), "HINCRBY h f1 5", "OBJECT ENCODING h",
                                  "HINCRBY h new 1", "OBJECT ENCODING h", "HGET h f1", "HGET h new")),
    ("enc_513_same_field", cmds(hset("h", *(["a", "1"] * 513)), "OBJECT ENCODING h", "HGETALL h")),
    ("enc_513_across_calls", cmds(hset("h", *fields(300)), hset("h", *fields(213, 300)), "OBJECT ENCODING h",
                                  "HLEN h")),
    ("enc_value_64", cmds(hset("h", "a", V64), "OBJECT ENCODING h", "HGETALL h")),
    ("enc_value_65", cmds(hset("h", "a", "1", "b", "2"), hset("h", "c", V65), "OBJECT ENCODING h", HGETALL(),
                          "HSTRLEN h c")),
    ("enc_value_65_new_key", cmds(hset("h", "a", V65), "OBJECT ENCODING h", "HGETALL h")),
    ("enc_field_65", cmds(hset("h", "a", "1"), hset("h", F65, "1"), "OBJECT ENCODING h", HGETALL())),
    ("enc_long_value_existing_field", cmds(hset("h", "a", "1", "b", "2"), hset("h", "a", V65),
                                           "OBJECT ENCODING h", HGETALL())),
    ("enc_hmset_long", cmds(["HMSET", "h", "a", "1", "b", V65], "OBJECT ENCODING h", HGETALL())),
    ("enc_hsetnx_long_value", cmds("HSET h a 1", ["HSETNX", "h", "b", V65], "OBJECT ENCODING h", HGETALL())),
    ("enc_hsetnx_long_value_existing", cmds("HSET h a 1", ["HSETNX", "h", "a", V65], "OBJECT ENCODING h",
                                            "HGETALL h")),
    ("enc_hsetnx_long_field", cmds("HSET h a 1", ["HSETNX", "h", F65, "1"], "OBJECT ENCODING h", HGETALL())),
    ("enc_hsetnx_new_key_long", cmds(["HSETNX", "h", "a", V65], "OBJECT ENCODING h", "HGETALL h")),
    ("enc_hincrby_long_field", cmds("HSET h a 1", ["HINCRBY", "h", F65, "1"], "OBJECT ENCODING h", HGETALL(),
                                    ["HINCRBY", "n", F65, "1"], "OBJECT ENCODING n")),
    ("enc_never_back", cmds(hset("h", "a", "1", "b", V65), "HDEL h b", "OBJECT ENCODING h", "HGETALL h",
                            hset("g", *fields(513)), ["HDEL", "g"] + ["f%d" % i for i in range(510)],
                            "OBJECT ENCODING g", "HLEN g", HGETALL("g"))),
    ("enc_hashtable_ops", cmds(hset("h", *fields(520)), "HSET h f5 x f600 y", "HDEL h f6 f7 zz", "HGET h f5",
                               "HGET h f6", "HMGET h f5 f6 f600 f519", "HINCRBY h f8 2", "HSETNX h f9 n",
                               "HSETNX h f1000 n", "HSTRLEN h f600", "HEXISTS h f7", "HLEN h", HGETALL())),
    ("enc_hashtable_empties", cmds(hset("h", "a", V65), "HDEL h a", "EXISTS h", "HSET h a 1",
                                   "OBJECT ENCODING h")),
    ("enc_hashtable_replace_lengths", cmds(hset("h", "a", V65, "b", "1"), "HSET h a short", "HSET h b " + V65,
                                           "HSET h a " + V65 + V65, HGETALL(), "HSTRLEN h a")),
    ("big_values", cmds(hset("h", "a", "x" * 200, "b" * 300, "y", "c", "z" * 100000), "HSTRLEN h a",
                        "HSTRLEN h c", ["HGET", "h", "b" * 300], "HGET h c", HGETALL(), "HDEL h a",
                        "HLEN h")),
    ("hashtable_churn", cmds(hset("h", *fields(2000)),
                             hset("h", *[x for i in range(1500) for x in ("f%d" % i, "%d-longer" % i)]),
                             ["HDEL", "h"] + ["f%d" % i for i in range(0, 2000, 2)],
                             hset("h", *fields(700, prefix="g")), "HLEN h", "HMGET h f0 f1 f2 f1999 g0 g699",
                             HGETALL())),
    # the limits changed (each case sets them back)
    ("enc_limits_raised", cmds("CONFIG SET hash-max-listpack-value 300",
                               hset("h", "a", "a" * 127, "b", "b" * 128, "c", "c" * 200, "d", "1"),
                               hset("h", "a", "A" * 128, "b", "x", "d", "D" * 300), "OBJECT ENCODING h",
                               "HGETALL h",
                               "HDEL h a", "HINCRBY h e 5", "HGETALL h", hset("h", "f", "F" * 301),
                               "OBJECT ENCODING h", "CONFIG SET hash-max-listpack-value 64")),
    ("enc_limits_lowered", cmds("CONFIG SET hash-max-listpack-entries 2", "HSET h a 1 b 2", "OBJECT ENCODING h",
                                "HSET h c 3", "OBJECT ENCODING h", "HINCRBY g a 1", "HINCRBY g b 1",
                                "OBJECT ENCODING g", "HINCRBY g c 1", "OBJECT ENCODING g",
                                "CONFIG SET hash-max-listpack-entries 0", "HSET z a 1", "OBJECT ENCODING z",
                                "HSETNX y a 1", "OBJECT ENCODING y", "HINCRBY x a 1", "OBJECT ENCODING x",
                                "CONFIG SET hash-max-listpack-entries 512")),
    # ---------------- key space ----------------
    ("expired_key_is_new", cmds("HSET h a 1", "PEXPIRE h 1", Sleep(20), "HSET h b 2", "HGETALL h", "TTL h",
                                "HSET g a 1", "PEXPIRE g 1", Sleep(20), "HLEN g", "HINCRBY g a 1", "HGETALL g")),
    ("type_exists_del", cmds("HSET h a 1", "TYPE h", "EXISTS h", "DEL h", "EXISTS h", "TYPE h", "HGET h a")),
    ("rename", cmds("HSET h a 1 b 2", "RENAME h h2", "EXISTS h", "HGETALL h2", "OBJECT ENCODING h2",
                    "SET s x", "RENAME h2 s", "TYPE s", "HGETALL s", "RENAMENX s h", "HGET h b")),
    ("rename_hashtable", cmds(hset("h", *fields(600)), "RENAME h h2", "HLEN h2", "HGET h2 f599",
                              "OBJECT ENCODING h2")),
    ("copy", cmds("HSET h a 1 b 2", "COPY h h2", "HSET h2 c 3", "HDEL h2 a", "HGETALL h", "HGETALL h2",
                  "COPY h h2", "COPY h h2 REPLACE", "HGETALL h2", "OBJECT ENCODING h2")),
    ("copy_hashtable", cmds(hset("h", *fields(600)), "COPY h h2", "HDEL h f1", "HLEN h", "HLEN h2",
                            "HGET h2 f1", "OBJECT ENCODING h2", "COPY h h3 DB 1", "SELECT 1", "HLEN h3")),
    ("move", cmds("HSET h a 1", "MOVE h 1", "EXISTS h", "SELECT 1", "HGETALL h", "TYPE h", "HSET h b 2",
                  "MOVE h 0", "SELECT 0", "HSET h z 9", "SELECT 1", "MOVE h 0", "HGETALL h")),
    ("expire_ttl_persist", cmds("HSET h a 1", "EXPIRE h 100", Near("TTL h", 99, 100), "HSET h b 2",
                                Near("TTL h", 99, 100), "HDEL h a", Near("TTL h", 99, 100), "HINCRBY h c 1",
                                Near("TTL h", 99, 100), "PERSIST h", "TTL h", "PERSIST h")),
    ("expire_zero_deletes", cmds("HSET h a 1", "EXPIRE h 0", "EXISTS h", "HGET h a", "HLEN h")),
    ("empty_hash_loses_ttl", cmds("HSET h a 1", "EXPIRE h 100", "HDEL h a", "HSET h a 1", "TTL h")),
    ("hsetnx_creates_no_ttl", cmds("HSETNX h a 1", "TTL h", "HSETNX missing a 1", "TYPE missing")),
    ("dbsize_keys", cmds("HSET h a 1", "HSET g a 1", "SET s x", "DBSIZE", "HDEL h a", "DBSIZE",
                         Unordered("KEYS *"))),
    # ---------------- MULTI / EXEC ----------------
    ("multi_exec", cmds("MULTI", "HSET h a 1 b 2", "HGET h a", "HINCRBY h a 5", "HINCRBY h b x", "HGETALL h",
                        "HDEL h a b", "EXISTS h", "EXEC")),
    ("multi_wrongtype_inside", cmds("SET s x", "MULTI", "HSET s a 1", "HGET s a", "GET s", "EXEC")),
    ("multi_arity_aborts", cmds("MULTI", "HSET h a 1", "HSET h a", "EXEC", "EXISTS h")),
    ("multi_not_integer_inside", cmds("HSET h a x", "MULTI", "HINCRBY h a 1", "HSET h b 2", "EXEC",
                                      "HGETALL h")),
    # ---------------- WATCH ----------------
    ("watch_hset_aborts", cmds("HSET h a 1", "WATCH h", "HSET h a 1", "MULTI", "HGET h a", "EXEC")),
    ("watch_hset_new_key_aborts", cmds("WATCH h", "HSET h a 1", "MULTI", "HGET h a", "EXEC")),
    ("watch_hsetnx_noop_runs", cmds("HSET h a 1", "WATCH h", "HSETNX h a 2", "MULTI", "HGET h a", "EXEC")),
    ("watch_hsetnx_set_aborts", cmds("HSET h a 1", "WATCH h", "HSETNX h b 2", "MULTI", "HGET h a", "EXEC")),
    ("watch_hdel_absent_runs", cmds("HSET h a 1", "WATCH h", "HDEL h zz", "HDEL missing a", "MULTI",
                                    "HGET h a", "EXEC")),
    ("watch_hdel_aborts", cmds("HSET h a 1 b 2", "WATCH h", "HDEL h a", "MULTI", "HLEN h", "EXEC")),
    ("watch_hdel_last_aborts", cmds("HSET h a 1", "WATCH h", "HDEL h a", "MULTI", "HLEN h", "EXEC")),
    ("watch_hincrby_zero_aborts", cmds("HSET h a 1", "WATCH h", "HINCRBY h a 0", "MULTI", "HGET h a", "EXEC")),
    ("watch_hincrby_error_runs", cmds("HSET h a x", "WATCH h", "HINCRBY h a 1", "HINCRBY h a y", "MULTI",
                                      "HGET h a", "EXEC")),
    ("watch_reads_run", cmds("HSET h a 1", "WATCH h", "HGET h a", "HGETALL h", "HLEN h", "HMGET h a b",
                             "HEXISTS h a", "HSTRLEN h a", "HKEYS h", "HVALS h", "MULTI", "HGET h a", "EXEC")),
    ("watch_hashtable_change_aborts", cmds(hset("h", *fields(600)), "WATCH h", "HSET h f1 x", "MULTI",
                                           "HGET h f1", "EXEC")),
    ("watch_hmset_aborts", cmds("WATCH h", "HMSET h a 1", "MULTI", "HGET h a", "EXEC")),
    # ---------------- keyspace counters ----------------
    ("stats_reads", cmds("HSET h a 1", "CONFIG RESETSTAT", "HGET h a", "HGET h b", "HGET missing a",
                         "HMGET h a b", "HMGET missing a", "HLEN h", "HLEN missing", "HSTRLEN h a",
                         "HSTRLEN missing a", "HEXISTS h a", "HEXISTS missing a", Keyspace())),
    ("stats_all_reads", cmds("HSET h a 1", "CONFIG RESETSTAT", "HKEYS h", "HVALS h", "HGETALL h",
                             "HKEYS missing", "HVALS missing", "HGETALL missing", Keyspace())),
    ("stats_writes_count_nothing", cmds("HSET h a 1", "CONFIG RESETSTAT", "HSET h b 2", "HSET n a 1",
                                        "HSETNX h a 3", "HSETNX m a 3", "HMSET h c 3", "HDEL h c",
                                        "HDEL missing a", "HINCRBY h a 1", "HINCRBY o a 1", Keyspace())),
    ("stats_wrongtype", cmds("SET s x", "CONFIG RESETSTAT", "HGET s a", "HGETALL s", "HLEN s", "HSET s a 1",
                             "HINCRBY s a 1", Keyspace())),
]

IDS = [c[0] for c in CASES]
assert len(set(IDS)) == len(IDS)

test_same_replies = differential(CASES, compare=compare)


# --------------------------------------------------------------------------------------
# HRANDFIELD: properties of each server's reply
# --------------------------------------------------------------------------------------

def hash_of(conn, key):
    """(fields in HKEYS order, {field: value}, encoding or None) of a hash key."""
    order = value(conn.call(b"HKEYS", key))
    flat = value(conn.call(b"HGETALL", key))
    enc = value(conn.call(b"OBJECT", b"ENCODING", key))
    return order, dict(zip(flat[0::2], flat[1::2])), (enc if isinstance(enc, bytes) else None)


def hrandfield_problems(cmd, order, pairs, enc, reply, resp3):
    """What is wrong with one server's reply (raw) to an HRANDFIELD cmd on a hash of `pairs`
    (fields in `order`, encoded `enc`)."""
    v = value(reply)
    if len(cmd) == 2:
        if not pairs:
            return [] if v is None else ["a missing key answers nil, got %r" % reply]
        return [] if isinstance(v, bytes) and v in pairs else ["%r is not one field" % reply]
    count = int(cmd[2])
    withvalues = len(cmd) == 4
    if not isinstance(v, list):
        return ["%r is not an array" % reply]
    if withvalues and resp3:
        if not all(isinstance(p, list) and len(p) == 2 for p in v):
            return ["RESP3 WITHVALUES answers [field, value] pairs, got %r" % reply]
        got = [tuple(p) for p in v]
    elif withvalues:
        got = list(zip(v[0::2], v[1::2]))
    else:
        got = [(f, pairs.get(f)) for f in v]
    fs = [f for f, _ in got]
    n = min(count, len(pairs)) if count >= 0 else (-count if pairs else 0)
    bad = []
    if len(got) != n or (withvalues and not resp3 and len(v) != 2 * n):
        bad.append("%d fields, want %d" % (len(got), n))
    if any(f not in pairs or pairs[f] != val for f, val in got):
        bad.append("not the hash's fields and values")
    if count >= 0 and len(set(fs)) != len(fs):
        bad.append("repeated fields in a positive count's reply")
    if count <= -10 * len(pairs) and pairs and set(fs) != set(pairs):
        bad.append("%d draws never chose %r" % (-count, set(pairs) - set(fs)))
    if enc == b"listpack" and 1 < count < len(pairs) and count * 3 <= len(pairs):
        # t_hash.c's case 4 on a listpack (lpRandomPairsUnique) keeps the listpack's order
        at = {f: i for i, f in enumerate(order)}
        if [at.get(f) for f in fs] != sorted(at.get(f, -1) for f in fs):
            bad.append("a few fields of a listpack: want them in its order")
    return bad


def check_hrandfield(redis_ref, mk, setup, cmd, resp3):
    """Run setup on both (replies equal), then cmd on each; check each reply's properties and
    that both replies are of the same type."""
    flushall(redis_ref.port)
    flushall(mk.port)
    ref, mko = Conn(redis_ref.port), Conn(mk.port)
    try:
        for conn in (ref, mko):
            conn.pipeline([C("HELLO 3")] if resp3 else [])
        assert ref.pipeline(setup) == mko.pipeline(setup)
        state = hash_of(ref, cmd[1])
        theirs = hash_of(mko, cmd[1])
        assert (set(theirs[0]),) + theirs[1:] == (set(state[0]),) + state[1:]
        want = ref.call(*cmd)
        got = mko.call(*cmd)
        assert got is not None, "mako did not answer"
        assert not hrandfield_problems(cmd, *state, want, resp3), "Redis itself: fix the case"
        bad = hrandfield_problems(cmd, *state, got, resp3)
        assert not bad, "%s: mako %r: %s" % (b" ".join(cmd), got[:200], "; ".join(bad))
        assert got[:1] == want[:1], "reply type: Redis %r, mako %r" % (want[:40], got[:40])
    finally:
        ref.close()
        mko.close()


SMALL = hset("h", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
LISTPACK_100 = hset("h", *fields(100))
TABLE_600 = hset("h", *fields(600))

RANDOM_CASES = [
    ("one", [SMALL], "HRANDFIELD h"),
    ("one_missing", [], "HRANDFIELD h"),
    ("one_table", [TABLE_600], "HRANDFIELD h"),
    ("count_1", [SMALL], "HRANDFIELD h 1"),
    ("count_1_values", [SMALL], "HRANDFIELD h 1 WITHVALUES"),
    ("count_few", [SMALL], "HRANDFIELD h 2"),
    ("count_most", [SMALL], "HRANDFIELD h 4 WITHVALUES"),
    ("count_listpack_few", [LISTPACK_100], "HRANDFIELD h 10"),
    ("count_listpack_few_values", [LISTPACK_100], "HRANDFIELD h 30 WITHVALUES"),
    ("count_listpack_many", [LISTPACK_100], "HRANDFIELD h 60 WITHVALUES"),
    ("count_table_few", [TABLE_600], "HRANDFIELD h 10 WITHVALUES"),
    ("count_table_most", [TABLE_600], "HRANDFIELD h 500"),
    ("count_table_all", [TABLE_600], "HRANDFIELD h 600 WITHVALUES"),
    ("negative", [SMALL], "HRANDFIELD h -3"),
    ("negative_values", [SMALL], "HRANDFIELD h -3 WITHVALUES"),
    ("negative_many", [SMALL], "HRANDFIELD h -200 WITHVALUES"),
    ("negative_many_listpack", [LISTPACK_100], "HRANDFIELD h -2000"),
    ("negative_many_table", [TABLE_600], "HRANDFIELD h -20000 WITHVALUES"),   # every field: all but surely
    ("negative_missing", [], "HRANDFIELD h -3"),
]


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("setup,cmd", [(c[1], c[2]) for c in RANDOM_CASES], ids=[c[0] for c in RANDOM_CASES])
def test_hrandfield(redis_ref, mk, setup, cmd, resp3):
    setup = [[a.encode() for a in c] for c in setup]
    check_hrandfield(redis_ref, mk, setup, C(cmd), resp3)


# --------------------------------------------------------------------------------------
# Random command streams (hypothesis)
# --------------------------------------------------------------------------------------

KEYS = [b"h0", b"h1", b"h2", b"s"]
keys = st.sampled_from(KEYS)
field_names = st.sampled_from([b"a", b"b", b"c", b"d", b"", b"1", b"f" * 65, b"x\x00y"])
field_values = st.one_of(
    st.integers(-20, 20).map(lambda i: b"%d" % i),
    st.sampled_from([b"0", b"01", b"-0", b"+1", b" 1", b"1.5", b"abc", b"", b"v" * 64, b"v" * 65,
                     b"%d" % I64MAX, b"%d" % I64MIN, b"%d" % (I64MAX - 1), b"9223372036854775808"]),
)
increments = st.one_of(st.integers(-5, 5).map(lambda i: b"%d" % i),
                       st.sampled_from([b"%d" % I64MAX, b"%d" % I64MIN, b"x", b"1.0", b"-0"]))


class HashMachine(with_key_space_rules(keys, KEYS[:2])):
    KEYS = KEYS

    def hash_order(self, key):
        """Is key a hashtable on Redis (its order its own)?"""
        return self.ref_value(b"OBJECT", b"ENCODING", key) == b"hashtable"

    @rule(key=keys, pairs=st.lists(st.tuples(field_names, field_values), min_size=1, max_size=4),
          cmd=st.sampled_from([b"HSET", b"HMSET"]), odd=st.integers(0, 12))
    def hset(self, key, pairs, cmd, odd):
        args = [x for p in pairs for x in p]
        if odd == 0:
            args = args[:-1]
        self.both([cmd, key, *args])
        self.encodings([key])

    @rule(key=keys, n=st.sampled_from([10, 200, 511, 512, 513, 600]), prefix=st.sampled_from([b"f", b"g"]))
    def hset_many(self, key, n, prefix):
        args = []
        for i in range(n):
            args += [prefix + b"%d" % i, b"%d" % i]
        self.both([b"HSET", key, *args])
        self.encodings([key])

    @rule(key=keys, f=field_names, v=field_values)
    def hsetnx(self, key, f, v):
        self.both([b"HSETNX", key, f, v])
        self.encodings([key])

    @rule(key=keys, f=field_names)
    def hget(self, key, f):
        self.both([b"HGET", key, f])

    @rule(key=keys, fs=st.lists(field_names, min_size=1, max_size=4))
    def hmget(self, key, fs):
        self.both([b"HMGET", key, *fs])

    @rule(key=keys, fs=st.lists(st.one_of(field_names, st.sampled_from([b"f1", b"f511", b"g3"])),
                                min_size=1, max_size=4))
    def hdel(self, key, fs):
        self.both([b"HDEL", key, *fs])
        self.encodings([key])

    @rule(key=keys, cmd=st.sampled_from([b"HLEN", b"HSTRLEN", b"HEXISTS"]), f=field_names)
    def hlen_like(self, key, cmd, f):
        self.both([cmd, key] if cmd == b"HLEN" else [cmd, key, f])

    @precondition(lambda self: not self.in_multi)       # inside EXEC a hashtable's order would show
    @rule(key=keys, cmd=st.sampled_from([b"HKEYS", b"HVALS", b"HGETALL"]))
    def hgetall(self, key, cmd):
        table = self.hash_order(key)
        self.both([cmd, key], order=(pairset if cmd == b"HGETALL" else multiset) if table else None)

    @rule(key=keys, f=field_names, by=increments)
    def hincrby(self, key, f, by):
        self.both([b"HINCRBY", key, f, by])
        self.encodings([key])

    @rule(key=keys, f=field_names, by=st.sampled_from([b"1.5", b"-0.25", b"1e3", b"0.1", b"3", b"x", b"inf"]))
    def hincrbyfloat(self, key, f, by):
        self.both([b"HINCRBYFLOAT", key, f, by])
        self.encodings([key])

    @precondition(lambda self: not self.in_multi)
    @rule(key=keys, count=st.sampled_from([None, 0, 1, 3, 100, 1000, -1, -4]), wv=st.booleans())
    def hrandfield(self, key, count, wv):
        cmd = [b"HRANDFIELD", key]
        if count is not None:
            cmd += [b"%d" % count] + ([b"WITHVALUES"] if wv else [])
        if self.ref_value(b"TYPE", key) != b"hash":
            self.both(cmd)
            return
        order, pairs, enc = hash_of(self.ref, key)
        if count is not None and count >= len(pairs):       # the whole hash, in its order
            self.both(cmd, order=None if enc == b"listpack" else pairset if wv and not self.resp3 else multiset)
            return
        want, got = self.send(cmd)
        for who, reply in (("Redis", want), ("mako", got)):
            bad = hrandfield_problems(cmd, order, pairs, enc, reply, self.resp3)
            assert not bad, "%s: %s %r: %s%s" % (b" ".join(cmd), who, reply, "; ".join(bad), self.context())
        assert want[:1] == got[:1], "%s: Redis %r, mako %r" % (b" ".join(cmd), want, got)

    # ---- other types and the key space ----
    @rule(key=keys, cmd=st.sampled_from([b"SET", b"GET", b"APPEND", b"SADD", b"SMEMBERS", b"TYPE", b"EXISTS",
                                         b"DEL"]))
    def other(self, key, cmd):
        args = [cmd, key] + ([b"x"] if cmd in (b"SET", b"APPEND", b"SADD") else [])
        self.both(args)


def test_random_streams_match_redis(redis_ref, mako, tmp_path_factory):
    run_machine(HashMachine, redis_ref, mako, lambda: start_mako(tmp_path_factory))
