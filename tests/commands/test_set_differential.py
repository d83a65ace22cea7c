"""Differential tests for the set commands: Redis 7.0.15 vs mako_numba.

Covered: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SMOVE, SINTER,
SINTERCARD (numkeys and LIMIT errors), SINTERSTORE, SUNION, SUNIONSTORE,
SDIFF, SDIFFSTORE, SSCAN of an intset (whole in one call), and SRANDMEMBER
and SPOP (their defined replies here, the random ones by their properties in
`test_random_members`); arity errors, WRONGTYPE both ways (set commands on a
string or a hash, string and hash commands on a set), the deletion of a set
left empty (SREM, SPOP, SMOVE of its last member, a *STORE whose result is
empty), the intset -> hashtable conversion (a member that is not an integer
as Redis's string2ll reads one: "-0", "01", "+1", " 1"; more than set-max-
intset-entries, 512; integers of every intset width, 16, 32 and 64 bits, and
their limits; and with the limit changed by CONFIG SET) seen through OBJECT
ENCODING, the encoding Redis's SDIFF leaves by the algorithm it picks,
SMOVE's cases (the same key, a missing source, wrong types, a member the
destination has), *STORE replacing a destination of any type and its TTL,
the key-space commands on a set (TYPE EXISTS DEL RENAME COPY MOVE EXPIRE TTL
PERSIST), MULTI/EXEC, WATCH (a change aborts EXEC; SADD of a present member,
SREM of an absent one and SMOVE's untouched destination do not) and the
keyspace_hits/keyspace_misses counters.

Harness: tests/difftest.py's (a pipeline per case on fresh connections after
FLUSHALL, over RESP2 and RESP3, replies compared byte for byte).  An intset
is sorted, and a result Redis builds as an intset (SUNION, SDIFF, SINTER of
intsets) is sorted too: those replies are compared exactly; a hashtable's
order is its own, so those are `Unordered`.  `Keyspace()` (tests/colltest.py)
compares the keyspace counters of INFO stats after a CONFIG RESETSTAT.

SRANDMEMBER and SPOP choose at random, so `test_random_members` runs a setup
on both servers, then the command on each, and checks the properties of each
reply: its type and length, every member one of the set's, distinct for a
positive count, each member drawn when many are, what is left in the set
(and its encoding: SPOP of most of a set makes a new one of what stays, an
intset when it can be) afterwards, the key gone when it is emptied, and an
intset's order where Redis keeps it; where Redis's whole reply is defined
(the whole set), the cases above compare it byte for byte.

`test_random_streams_match_redis` is a hypothesis state machine: random set,
string, key-space and transaction commands over four keys, each sent to both
servers and compared (as the same elements where Redis's order is not
defined), with OBJECT ENCODING compared after every write.  SPOP is checked
by its properties there too, then mako's set is brought to Redis's members.
"""

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from colltest import (
    I64MAX, I64MIN, Keyspace, compare, multiset, run_machine, with_key_space_rules,
)
from conftest import start_mako
from difftest import C, Conn, Near, Sleep, Unordered, cmds, differential, flushall, value

U = Unordered
I64MAX_S = str(I64MAX)
I64MIN_S = str(I64MIN)


def ints(n, start=0):
    return [str(i) for i in range(start, start + n)]


def sadd(key, *members):
    return ["SADD", key] + list(members)


CASES = [
    # ---------------- SADD / SREM / SCARD ----------------
    ("sadd_basic", cmds("SADD s a b c", "SADD s a d", "SCARD s", "SISMEMBER s d", U("SMEMBERS s"))),
    ("sadd_repeated", cmds("SADD s a a a", "SADD s 1 1 2", "SCARD s")),
    ("sadd_empty_member", cmds(["SADD", "s", ""], ["SISMEMBER", "s", ""], "SCARD s", "SMEMBERS s")),
    ("sadd_binary", cmds(["SADD", "s", "a\x00b", "\r\n", "\xff"], ["SISMEMBER", "s", "a\x00b"],
                         ["SMISMEMBER", "s", "\r\n", "\xff", "a"], U("SMEMBERS s"))),
    ("sadd_lowercase", cmds("sadd s 1 2", "Scard s", "smembers s")),
    ("sadd_arity", cmds("SADD", "SADD s", "EXISTS s")),
    ("srem_basic", cmds("SADD s a b c", "SREM s a", "SREM s a", "SREM s x y", "SCARD s", U("SMEMBERS s"))),
    ("srem_many", cmds("SADD s 1 2 3 4 5", "SREM s 1 3 1 99 x", "SMEMBERS s")),
    ("srem_last_deletes_key", cmds("SADD s a b", "SREM s a b c", "EXISTS s", "TYPE s", "SCARD s", "SREM s a")),
    ("srem_last_intset", cmds("SADD s 1", "SREM s 1", "EXISTS s", "SADD s x", "OBJECT ENCODING s")),
    ("srem_missing_key", cmds("SREM missing a", "EXISTS missing")),
    ("srem_arity", cmds("SREM", "SREM s")),
    ("scard_arity", cmds("SCARD", "SCARD s x", "SCARD missing")),
    # ---------------- SISMEMBER / SMISMEMBER ----------------
    ("sismember", cmds("SADD s a 1", "SISMEMBER s a", "SISMEMBER s b", "SISMEMBER s 1", "SISMEMBER missing a")),
    ("sismember_intset_not_ints", cmds("SADD s 1 -1 0", "SISMEMBER s 01", "SISMEMBER s +1", "SISMEMBER s -0",
                                       "SISMEMBER s 1.0", ["SISMEMBER", "s", " 1"], ["SISMEMBER", "s", ""],
                                       "SISMEMBER s 0", "SISMEMBER s -1")),
    ("sismember_hashtable_ints", cmds("SADD s x 1 -1", "SISMEMBER s 01", "SISMEMBER s 1", "SISMEMBER s -1")),
    ("smismember", cmds("SADD s a b 3", "SMISMEMBER s a x b 3 03", "SMISMEMBER missing a b", "SMISMEMBER s a")),
    ("sismember_arity", cmds("SISMEMBER", "SISMEMBER s", "SISMEMBER s a b", "SMISMEMBER", "SMISMEMBER s")),
    # ---------------- SMEMBERS ----------------
    ("smembers_intset_sorted", cmds("SADD s 5 -3 100 0 70000 -70000", "SMEMBERS s", "SADD t 3 2 1", "SMEMBERS t")),
    ("smembers_missing", cmds("SMEMBERS missing")),
    ("smembers_arity", cmds("SMEMBERS", "SMEMBERS s x")),
    ("smembers_hashtable", cmds(sadd("s", *ints(100), "x"), U("SMEMBERS s"), "SCARD s")),
    # ---------------- intset widths and conversion ----------------
    ("intset_widths", cmds("SADD s 1", "SADD s 32767 -32768", "OBJECT ENCODING s", "SMEMBERS s",
                           "SADD s 32768", "SADD s -32769", "SMEMBERS s", "SADD s 2147483647 -2147483648",
                           "SADD s 2147483648", "SADD s -2147483649", "SMEMBERS s", "OBJECT ENCODING s")),
    ("intset_64_limits", cmds(sadd("s", I64MAX_S, I64MIN_S, "0"), "SMEMBERS s", "OBJECT ENCODING s",
                              ["SISMEMBER", "s", I64MIN_S], ["SISMEMBER", "s", I64MAX_S],
                              "SADD s 9223372036854775808", "OBJECT ENCODING s", U("SMEMBERS s"))),
    ("intset_upgrade_negative", cmds("SADD s 1 2 3", "SADD s -5000000000", "SMEMBERS s", "SREM s -5000000000",
                                     "SMEMBERS s", "SADD s 5000000000", "SMEMBERS s", "SCARD s")),
    ("intset_upgrade_16_to_32", cmds("SADD s 10 -10", "SADD s -100000", "SMEMBERS s", "SADD s 100000",
                                     "SMEMBERS s", "SREM s 10 -10", "SMEMBERS s")),
    ("intset_not_integers", cmds("SADD a 1 -0", "OBJECT ENCODING a", U("SMEMBERS a"),
                                 "SADD b 1 01", "OBJECT ENCODING b", "SADD c 1 +1", "OBJECT ENCODING c",
                                 ["SADD", "d", "1", " 1"], "OBJECT ENCODING d", "SADD e 1 1.0",
                                 "OBJECT ENCODING e", ["SADD", "f", "1", ""], "OBJECT ENCODING f",
                                 "SADD g 0 -1", "OBJECT ENCODING g")),
    ("intset_first_not_integer", cmds("SADD s x 1 2", "OBJECT ENCODING s", "SADD t 1 2 x", "OBJECT ENCODING t",
                                      U("SMEMBERS t"))),
    ("intset_converts_on_string", cmds("SADD s 3 1 2", "OBJECT ENCODING s", "SADD s abc", "OBJECT ENCODING s",
                                       U("SMEMBERS s"), "SREM s abc", "OBJECT ENCODING s", U("SMEMBERS s"))),
    ("intset_512", cmds(sadd("s", *ints(512)), "OBJECT ENCODING s", "SMEMBERS s", "SADD s 5",
                        "OBJECT ENCODING s")),
    ("intset_513", cmds(sadd("s", *ints(513)), "OBJECT ENCODING s", U("SMEMBERS s"), "SCARD s")),
    ("intset_512_then_one", cmds(sadd("s", *ints(512)), "SADD s 512", "OBJECT ENCODING s", "SCARD s",
                                 "SREM s 512 511", "OBJECT ENCODING s")),
    ("intset_513_repeated", cmds(sadd("s", *(["7"] * 513)), "OBJECT ENCODING s", "SMEMBERS s")),
    ("intset_513_across_calls", cmds(sadd("s", *ints(300)), sadd("s", *ints(300, 213)), "OBJECT ENCODING s",
                                     "SCARD s")),
    # the limit changed (each case sets it back)
    ("intset_limit_lowered", cmds("CONFIG SET set-max-intset-entries 2", "SADD s 1 2", "OBJECT ENCODING s",
                                  "SADD s 3", "OBJECT ENCODING s", "SADD t 1 2 3", "OBJECT ENCODING t",
                                  "SADD a 1 2", "SADD b 2 3", "SUNIONSTORE d a b", "OBJECT ENCODING d",
                                  U("SUNION a b"),
                                  "SINTERSTORE e a b", "OBJECT ENCODING e", "SMOVE b a 3", "OBJECT ENCODING a",
                                  "CONFIG SET set-max-intset-entries 0", "SADD z 1", "OBJECT ENCODING z",
                                  "CONFIG SET set-max-intset-entries 512")),
    ("hashtable_ops", cmds(sadd("s", *ints(520)), "SADD s x 5", "SREM s 6 7 zz", "SISMEMBER s 5",
                           "SISMEMBER s 6", "SMISMEMBER s 5 6 x 519 05", "SCARD s", U("SMEMBERS s"))),
    ("big_members", cmds(sadd("s", "x" * 200, "y" * 100000, "1"), ["SISMEMBER", "s", "y" * 100000],
                         ["SISMEMBER", "s", "y" * 99999], "SCARD s", ["SREM", "s", "x" * 200], "SCARD s",
                         U("SMEMBERS s"))),
    ("hashtable_churn", cmds(sadd("s", *["m%d" % i for i in range(5000)]),
                             ["SREM", "s"] + ["m%d" % i for i in range(0, 5000, 2)],
                             sadd("s", *["n%d" % i for i in range(3000)]), "SCARD s", "SMISMEMBER s m0 m1 n0 n2999",
                             U("SMEMBERS s"), "SUNIONSTORE d s", "SCARD d", "SDIFFSTORE e s d", "EXISTS e")),
    # ---------------- SMOVE ----------------
    ("smove_basic", cmds("SADD a 1 2", "SADD b 3", "SMOVE a b 1", "SMEMBERS a", "SMEMBERS b", "SMOVE a b 9")),
    ("smove_last_member", cmds("SADD a x", "SMOVE a b x", "EXISTS a", "SMEMBERS b", "TYPE b")),
    ("smove_creates_intset", cmds("SADD a 1 x", "SMOVE a b 1", "OBJECT ENCODING b", "SMOVE a c x",
                                  "OBJECT ENCODING c", "EXISTS a")),
    ("smove_dest_has_it", cmds("SADD a 1 2", "SADD b 1", "SMOVE a b 1", "SMEMBERS a", "SMEMBERS b")),
    ("smove_same_key", cmds("SADD a 1 2", "SMOVE a a 1", "SMOVE a a 9", "SMEMBERS a", "SMOVE x x 1",
                            "EXISTS x")),
    ("smove_missing_source", cmds("SMOVE missing b x", "EXISTS b", "SET s str", "SMOVE missing s x",
                                  "HSET h a 1", "SMOVE missing h x")),
    ("smove_wrongtype", cmds("SET s str", "SADD a 1", "SMOVE s a 1", "SMOVE a s 1", "SMOVE a s 9",
                             "SMEMBERS a", "SMOVE s s 1", "HSET h f v", "SMOVE a h 1", "SMOVE h a f")),
    ("smove_converts_dest", cmds("SADD a x y", "SADD b 1 2", "SMOVE a b x", "OBJECT ENCODING b",
                                 U("SMEMBERS b"))),
    ("smove_513th", cmds(sadd("b", *ints(512)), "SADD a 1000", "SMOVE a b 1000", "OBJECT ENCODING b",
                         "SCARD b", "EXISTS a")),
    ("smove_not_integer_from_intset", cmds("SADD a 1 2", "SMOVE a b 01", "SMOVE a b +1", "SMEMBERS a")),
    ("smove_arity", cmds("SMOVE a b", "SMOVE a b c d")),
    # ---------------- SINTER / SINTERCARD / SINTERSTORE ----------------
    ("sinter_intsets", cmds("SADD a 1 2 3 4", "SADD b 4 3 9 2", "SINTER a b", "SINTER b a", "SINTER a",
                            "SINTER a a")),
    ("sinter_missing", cmds("SADD a 1 2", "SINTER a missing", "SINTER missing a", "SINTER missing")),
    ("sinter_wrongtype", cmds("SADD a 1", "SET s x", "SINTER a s", "SINTER s a", "SINTER missing s",
                              "HSET h a 1", "SINTER a h")),
    ("sinter_mixed", cmds("SADD a 1 2 x", "SADD b 2 x 5", "SADD c 01 1 2", U("SINTER a b"), U("SINTER a c"),
                          U("SINTER b c"), U("SINTER c a"), "SADD d 2 1", "SINTER d a", "SINTER c d")),
    ("sinter_hashtable", cmds("SADD a x y z w 1", "SADD b y w z q", U("SINTER a b"), U("SINTER b a"))),
    ("sinter_empty_result", cmds("SADD a 1", "SADD b 2", "SINTER a b")),
    ("sinter_arity", cmds("SINTER", "SINTERSTORE", "SINTERSTORE d")),
    ("sintercard", cmds("SADD a 1 2 3 x", "SADD b 2 3 x y", "SINTERCARD 2 a b", "SINTERCARD 1 a",
                        "SINTERCARD 2 a missing", "SINTERCARD 2 a b LIMIT 0", "SINTERCARD 2 a b LIMIT 1",
                        "SINTERCARD 2 a b LIMIT 2", "SINTERCARD 2 a b LIMIT 100", "SINTERCARD 2 a b limit 1",
                        "SINTERCARD 2 a b LIMIT 5 LIMIT 1")),
    ("sintercard_numkeys_errors", cmds("SADD a 1", "SINTERCARD 0 a", "SINTERCARD -1 a", "SINTERCARD x a",
                                       "SINTERCARD 2 a", "SINTERCARD 3 a b", "SINTERCARD 01 a",
                                       "SINTERCARD 9223372036854775808 a", "SINTERCARD 1.5 a")),
    ("sintercard_limit_errors", cmds("SADD a 1", "SINTERCARD 1 a LIMIT", "SINTERCARD 1 a LIMIT -1",
                                     "SINTERCARD 1 a LIMIT x", "SINTERCARD 1 a LIMIT 1.5", "SINTERCARD 1 a FOO 1",
                                     "SINTERCARD 1 a b", "SINTERCARD 1 a LIMIT 1 FOO",
                                     "SINTERCARD 1 a LIMIT 9223372036854775808")),
    ("sintercard_wrongtype", cmds("SET s x", "SADD a 1", "SINTERCARD 2 a s", "SINTERCARD 1 s",
                                  "SINTERCARD 2 missing s", "SINTERCARD 1 s LIMIT -1")),
    ("sintercard_arity", cmds("SINTERCARD", "SINTERCARD 1")),
    ("sinterstore", cmds("SADD a 1 2 3", "SADD b 2 3 4", "SINTERSTORE d a b", "SMEMBERS d", "OBJECT ENCODING d",
                         "SINTERSTORE d a", "SMEMBERS d")),
    ("sinterstore_strings", cmds("SADD a x y 1", "SADD b y 1 z", "SINTERSTORE d a b", "OBJECT ENCODING d",
                                 U("SMEMBERS d"), "SADD c x y", "SADD e y x", "SINTERSTORE d c e",
                                 "OBJECT ENCODING d", "SCARD d")),
    ("sinterstore_overwrites_string", cmds("SET d str EX 100", "SADD a 1 2", "SINTERSTORE d a a", "TYPE d",
                                           "TTL d", "SMEMBERS d")),
    ("sinterstore_empty_deletes", cmds("SADD d 9", "SADD a 1", "SADD b 2", "SINTERSTORE d a b", "EXISTS d",
                                       "SET d str", "SINTERSTORE d a missing", "EXISTS d",
                                       "SINTERSTORE d missing", "EXISTS d")),
    ("sinterstore_wrongtype", cmds("SET s x", "SADD d 1", "SADD a 1", "SINTERSTORE d a s", "SMEMBERS d",
                                   "SINTERSTORE s a", "TYPE s")),
    ("sinterstore_onto_source", cmds("SADD a 1 2 3", "SADD b 2 3", "SINTERSTORE a a b", "SMEMBERS a")),
    ("sinterstore_hashtable", cmds(sadd("a", *ints(600)), sadd("b", *ints(600, 50)), "SINTERSTORE d a b",
                                   "OBJECT ENCODING d", "SCARD d", sadd("c", *ints(100)), "SINTERSTORE e a c",
                                   "OBJECT ENCODING e", "SMEMBERS e")),
    # ---------------- SUNION / SUNIONSTORE ----------------
    ("sunion_intsets", cmds("SADD a 3 1", "SADD b 2 1 -5", "SUNION a b", "SUNION a missing", "SUNION missing",
                            "SUNION a a b")),
    ("sunion_mixed", cmds("SADD a 1 x", "SADD b 2", U("SUNION a b"))),
    ("sunion_hashtable_of_ints", cmds("SADD a 3 x 1 2", "SREM a x", "OBJECT ENCODING a", "SUNION a",
                                      "SUNIONSTORE d a", "OBJECT ENCODING d", "SMEMBERS d")),
    ("sunion_513", cmds(sadd("a", *ints(300)), sadd("b", *ints(300, 213)), U("SUNION a b"),
                        "SUNIONSTORE d a b", "OBJECT ENCODING d", "SCARD d")),
    ("sunion_wrongtype", cmds("SADD a 1", "SET s x", "SUNION a s", "SUNION s", "SUNIONSTORE d a s", "EXISTS d",
                              "SUNIONSTORE s a", "TYPE s")),
    ("sunionstore", cmds("SADD a 1 2", "SADD b x", "SUNIONSTORE d a b", "OBJECT ENCODING d", U("SMEMBERS d"),
                         "SUNIONSTORE d missing", "EXISTS d", "SUNIONSTORE a a b", "SCARD a")),
    ("sunionstore_overwrites", cmds("HSET d f v", "EXPIRE d 100", "SADD a 1", "SUNIONSTORE d a", "TYPE d",
                                    "TTL d", "SMEMBERS d")),
    ("sunion_arity", cmds("SUNION", "SUNIONSTORE", "SUNIONSTORE d")),
    # ---------------- SDIFF / SDIFFSTORE ----------------
    ("sdiff_intsets", cmds("SADD a 1 2 3 4", "SADD b 2", "SADD c 4 9", "SDIFF a b c", "SDIFF a", "SDIFF b a",
                           "SDIFF a missing", "SDIFF missing a", "SDIFF a a", "SDIFF a b a")),
    ("sdiff_mixed", cmds("SADD a 1 x y", "SADD b y", U("SDIFF a b"), "SADD c x", "SDIFF a b c")),
    ("sdiff_wrongtype", cmds("SADD a 1", "SET s x", "SDIFF a s", "SDIFF s a", "SDIFF missing s",
                             "SDIFFSTORE d a s", "SDIFFSTORE s a", "TYPE s")),
    ("sdiffstore", cmds("SADD a 1 2 3", "SADD b 2", "SDIFFSTORE d a b", "SMEMBERS d", "SDIFFSTORE d a a",
                        "EXISTS d", "SDIFFSTORE d b a", "EXISTS d", "SDIFFSTORE d missing a", "EXISTS d")),
    ("sdiffstore_overwrites", cmds("SET d str PX 100000", "SADD a x", "SDIFFSTORE d a", "TYPE d", "PTTL d",
                                   "SMEMBERS d")),
    # Redis's second diff algorithm (chosen when the first set is large next to the sum of the
    # others) adds the whole first set, then removes: the result is a hashtable when the first set
    # could not be an intset, even if what is left could
    ("sdiffstore_second_algorithm", cmds(sadd("a", *ints(600)), sadd("b", *ints(50)), sadd("c", *ints(50, 50)),
                                         "SDIFFSTORE d a b c", "OBJECT ENCODING d", "SCARD d", U("SDIFF a b c"))),
    ("sdiffstore_second_algorithm_string", cmds(sadd("a", "x", *ints(9)), "SADD b x", "SADD c y",
                                                "SDIFFSTORE d a b c", "OBJECT ENCODING d", U("SDIFF a b c"))),
    ("sdiffstore_first_algorithm", cmds(sadd("a", *ints(600)), sadd("b", *ints(100)), "SDIFFSTORE d a b",
                                        "OBJECT ENCODING d", "SDIFF a b", "SADD e x 1 2 3", "SADD f x",
                                        "SDIFFSTORE g e f", "OBJECT ENCODING g", "SMEMBERS g")),
    ("sdiff_arity", cmds("SDIFF", "SDIFFSTORE", "SDIFFSTORE d")),
    # ---------------- SRANDMEMBER / SPOP: what is defined ----------------
    ("srandmember_missing", cmds("SRANDMEMBER missing", "SRANDMEMBER missing 5", "SRANDMEMBER missing -5",
                                 "SRANDMEMBER missing 0")),
    ("srandmember_whole_intset", cmds("SADD s 3 1 2", "SRANDMEMBER s 3", "SRANDMEMBER s 100", "SRANDMEMBER s 0",
                                      "SADD t 5", "SRANDMEMBER t", "SRANDMEMBER t -3", "SRANDMEMBER t 1")),
    ("srandmember_errors", cmds("SADD s 1", "SRANDMEMBER s x", "SRANDMEMBER s 1.5", "SRANDMEMBER s 1 2",
                                "SRANDMEMBER s " + I64MIN_S, "SRANDMEMBER s " + I64MAX_S,
                                "SRANDMEMBER s 9223372036854775808", "SRANDMEMBER", "SRANDMEMBER missing x")),
    ("spop_missing", cmds("SPOP missing", "SPOP missing 5", "SPOP missing 0", "EXISTS missing")),
    ("spop_whole_intset", cmds("SADD s 3 1 2", "SPOP s 3", "EXISTS s", "SADD s 5 -1", "SPOP s 100", "EXISTS s",
                               "SADD s 7", "SPOP s", "EXISTS s", "SADD s 9", "SPOP s 1", "EXISTS s")),
    ("spop_whole_hashtable_of_ints", cmds("SADD s x 30 10 20", "SREM s x", "SPOP s 10", "EXISTS s")),
    ("spop_zero", cmds("SADD s 1 2", "SPOP s 0", "SCARD s")),
    ("spop_errors", cmds("SADD s 1", "SPOP s -1", "SPOP s x", "SPOP s 1.5", "SPOP s 1 2",
                         "SPOP s 9223372036854775808", "SPOP", "SCARD s", "SPOP missing -1")),
    ("random_wrongtype", cmds("SET k x", "SRANDMEMBER k", "SRANDMEMBER k 2", "SPOP k", "SPOP k 2", "SPOP k -1",
                              "SRANDMEMBER k x")),
    # ---------------- SSCAN (intset: whole in one call) ----------------
    ("sscan_intset", cmds("SADD s 5 -3 100 12", "SSCAN s 0", "SSCAN s 0 COUNT 1", "SSCAN s 0 MATCH 1*",
                          "SSCAN missing 0", "SSCAN s -1")),
    ("sscan_errors", cmds("SADD s 1", "SSCAN s x", "SSCAN s 0 COUNT 0", "SSCAN s 0 COUNT x", "SSCAN s 0 MATCH",
                          "SSCAN s 0 FOO 1", "SSCAN s", "SSCAN missing 0 MATCH", "SSCAN missing x", "SET k x",
                          "SSCAN k 0", "SSCAN k x")),
    # ---------------- WRONGTYPE ----------------
    ("set_cmds_on_string", cmds("SET k x", "SADD k a", "SREM k a", "SCARD k", "SISMEMBER k a",
                                "SMISMEMBER k a", "SMEMBERS k", "SMOVE k t a", "GET k")),
    ("set_cmds_on_hash", cmds("HSET k a 1", "SADD k a", "SREM k a", "SCARD k", "SISMEMBER k a",
                              "SMISMEMBER k a b", "SMEMBERS k", "HGETALL k")),
    ("string_cmds_on_set", cmds("SADD k 1", "GET k", "APPEND k x", "INCR k", "DECRBY k 2", "STRLEN k",
                                "GETRANGE k 0 1", "SETRANGE k 0 x", "GETSET k x", "GETDEL k", "SETNX k x",
                                "MGET k", "SMEMBERS k")),
    ("hash_cmds_on_set", cmds("SADD k a", "HSET k a 1", "HGET k a", "HDEL k a", "HLEN k", "HGETALL k",
                              "HINCRBY k a 1", "SMEMBERS k")),
    ("set_overwrites_set", cmds("SADD k 1", "SET k x", "TYPE k", "GET k", "SCARD k")),
    ("arity_before_wrongtype", cmds("SET k x", "SADD k", "SMOVE k t", "SISMEMBER k")),
    # ---------------- key space ----------------
    ("expired_key_is_new", cmds("SADD s a", "PEXPIRE s 1", Sleep(20), "SADD s 1", "SMEMBERS s", "TTL s",
                                "OBJECT ENCODING s", "SADD a 1", "SADD d 5", "PEXPIRE d 1", Sleep(20),
                                "SMOVE a d 1", "SMEMBERS d", "TTL d", "SADD e 5", "PEXPIRE e 1", Sleep(20),
                                "SINTER a e", "SUNIONSTORE e d", "SMEMBERS e")),
    ("type_exists_del", cmds("SADD s a", "TYPE s", "EXISTS s", "DEL s", "EXISTS s", "TYPE s", "SCARD s")),
    ("rename", cmds("SADD s 1 2", "RENAME s t", "EXISTS s", "SMEMBERS t", "OBJECT ENCODING t", "SET x str",
                    "RENAME t x", "TYPE x", "SMEMBERS x", "RENAMENX x s", "SMEMBERS s")),
    ("rename_hashtable", cmds("SADD s a b c", "RENAME s t", "SCARD t", "SISMEMBER t b", "OBJECT ENCODING t")),
    ("copy", cmds("SADD s 1 2", "COPY s t", "SADD t 3", "SREM t 1", "SMEMBERS s", "SMEMBERS t", "COPY s t",
                  "COPY s t REPLACE", "SMEMBERS t", "OBJECT ENCODING t")),
    ("copy_hashtable", cmds("SADD s a b c", "COPY s t", "SREM s a", "SCARD s", "SCARD t", "SISMEMBER t a",
                            "OBJECT ENCODING t", "COPY s u DB 1", "SELECT 1", "SCARD u")),
    ("move", cmds("SADD s a", "MOVE s 1", "EXISTS s", "SELECT 1", "SMEMBERS s", "TYPE s", "SADD s b",
                  "SELECT 0", "SADD s z", "SELECT 1", "MOVE s 0", U("SMEMBERS s"))),
    ("expire_ttl_persist", cmds("SADD s a", "EXPIRE s 100", Near("TTL s", 99, 100), "SADD s b",
                                Near("TTL s", 99, 100), "SREM s a", Near("TTL s", 99, 100), "PERSIST s", "TTL s",
                                "PERSIST s")),
    ("expire_zero_deletes", cmds("SADD s a", "EXPIRE s 0", "EXISTS s", "SCARD s")),
    ("empty_set_loses_ttl", cmds("SADD s a", "EXPIRE s 100", "SREM s a", "SADD s a", "TTL s",
                                 "SADD t 1", "EXPIRE t 100", "SPOP t", "SADD t 1", "TTL t")),
    ("smove_keeps_ttls", cmds("SADD a 1 2", "EXPIRE a 100", "SADD b 3", "EXPIRE b 200", "SMOVE a b 1",
                              Near("TTL a", 99, 100), Near("TTL b", 199, 200))),
    # ---------------- MULTI / EXEC ----------------
    ("multi_exec", cmds("MULTI", "SADD s 1 2 3", "SREM s 2", "SCARD s", "SMEMBERS s", "SISMEMBER s 1",
                        "SMOVE s t 1", "SINTERSTORE d s t", "SUNIONSTORE e s t", "SPOP s 5", "EXISTS s", "EXEC")),
    ("multi_wrongtype_inside", cmds("SET k x", "MULTI", "SADD k a", "SCARD k", "GET k", "EXEC")),
    ("multi_arity_aborts", cmds("MULTI", "SADD s a", "SADD s", "EXEC", "EXISTS s")),
    ("multi_sintercard_error_inside", cmds("SADD a 1", "MULTI", "SINTERCARD 0 a", "SINTERCARD 1 a", "EXEC")),
    # ---------------- WATCH ----------------
    ("watch_sadd_new_aborts", cmds("SADD s a", "WATCH s", "SADD s b", "MULTI", "SCARD s", "EXEC")),
    ("watch_sadd_present_runs", cmds("SADD s a 1", "WATCH s", "SADD s a", "SADD s 1", "MULTI", "SCARD s", "EXEC")),
    ("watch_sadd_new_key_aborts", cmds("WATCH s", "SADD s a", "MULTI", "SCARD s", "EXEC")),
    ("watch_srem_absent_runs", cmds("SADD s a", "WATCH s", "SREM s b", "SREM missing a", "MULTI", "SCARD s",
                                    "EXEC")),
    ("watch_srem_aborts", cmds("SADD s a b", "WATCH s", "SREM s a", "MULTI", "SCARD s", "EXEC")),
    ("watch_srem_last_aborts", cmds("SADD s 1", "WATCH s", "SREM s 1", "MULTI", "SCARD s", "EXEC")),
    ("watch_spop_last_aborts", cmds("SADD s a", "WATCH s", "SPOP s", "MULTI", "SCARD s", "EXEC")),
    ("watch_spop_whole_aborts", cmds("SADD s 1 2", "WATCH s", "SPOP s 5", "MULTI", "SCARD s", "EXEC")),
    ("watch_spop_missing_runs", cmds("WATCH s", "SPOP s", "SPOP s 3", "MULTI", "SCARD s", "EXEC")),
    ("watch_spop_zero_runs", cmds("SADD s a", "WATCH s", "SPOP s 0", "MULTI", "SCARD s", "EXEC")),
    ("watch_smove_source_aborts", cmds("SADD a 1", "SADD b 1", "WATCH a", "SMOVE a b 1", "MULTI", "SCARD b",
                                       "EXEC")),
    ("watch_smove_dest_had_it_runs", cmds("SADD a 1 2", "SADD b 1", "WATCH b", "SMOVE a b 1", "MULTI",
                                          "SCARD b", "EXEC")),
    ("watch_smove_dest_aborts", cmds("SADD a 1 2", "SADD b 3", "WATCH b", "SMOVE a b 1", "MULTI", "SCARD b",
                                     "EXEC")),
    ("watch_smove_same_key_runs", cmds("SADD a 1", "WATCH a", "SMOVE a a 1", "MULTI", "SCARD a", "EXEC")),
    ("watch_smove_absent_runs", cmds("SADD a 1", "SADD b 2", "WATCH a b", "SMOVE a b 9", "MULTI", "SCARD a",
                                     "EXEC")),
    ("watch_store_aborts", cmds("SADD a 1", "SADD d 5", "WATCH d", "SUNIONSTORE d a", "MULTI", "SCARD d",
                                "EXEC")),
    ("watch_store_empty_deletes_aborts", cmds("SADD d 5", "WATCH d", "SINTERSTORE d missing", "MULTI",
                                              "EXISTS d", "EXEC")),
    ("watch_store_empty_nothing_runs", cmds("WATCH d", "SINTERSTORE d missing", "SDIFFSTORE d missing",
                                            "SUNIONSTORE d missing", "MULTI", "EXISTS d", "EXEC")),
    ("watch_reads_run", cmds("SADD s 1 x", "WATCH s", "SCARD s", "SISMEMBER s 1", "SMISMEMBER s 1 2",
                             U("SMEMBERS s"), U("SRANDMEMBER s 2"), U("SINTER s"), "SINTERCARD 1 s",
                             U("SUNION s"), U("SDIFF s"), "MULTI", "SCARD s", "EXEC")),
    # ---------------- keyspace counters ----------------
    ("stats_reads", cmds("SADD s 1 2", "CONFIG RESETSTAT", "SCARD s", "SCARD missing", "SISMEMBER s 1",
                         "SISMEMBER missing 1", "SMISMEMBER s 1 3", "SMISMEMBER missing 1", "SMEMBERS s",
                         "SMEMBERS missing", Keyspace())),
    ("stats_random", cmds("SADD s 1", "CONFIG RESETSTAT", "SRANDMEMBER s", "SRANDMEMBER s 5",
                          "SRANDMEMBER s -3", "SRANDMEMBER s 0", "SRANDMEMBER missing", "SRANDMEMBER missing 2",
                          Keyspace())),
    ("stats_spop", cmds("SADD s 1", "SADD t 2", "CONFIG RESETSTAT", "SPOP s", "SPOP t 1", "SPOP missing",
                        "SPOP missing 2", "SPOP s 0", Keyspace())),
    ("stats_spop_whole", cmds("SADD s 1 2", "CONFIG RESETSTAT", "SPOP s 5", Keyspace())),
    ("stats_multi_key", cmds("SADD a 1 2", "SADD b 2", "CONFIG RESETSTAT", "SINTER a b", "SINTER a missing b",
                             "SINTERCARD 2 a b", "SINTERSTORE d a b", "SINTERSTORE d missing a",
                             "SUNION a missing", "SUNIONSTORE d a b", "SDIFF a b missing", "SDIFFSTORE d b a",
                             Keyspace())),
    ("stats_wrongtype", cmds("SET k x", "SADD a 1", "CONFIG RESETSTAT", "SCARD k", "SMEMBERS k",
                             "SINTER a missing k a", "SUNION missing k a", "SDIFF a k", "SINTERCARD 2 missing k",
                             "SADD k 1", "SREM k 1", Keyspace())),
    ("stats_writes_count_nothing", cmds("SADD a 1", "CONFIG RESETSTAT", "SADD a 2", "SADD n 1", "SREM a 2",
                                        "SREM missing 1", "SMOVE a b 1", "SMOVE missing b 1", Keyspace())),
]

IDS = [c[0] for c in CASES]
assert len(set(IDS)) == len(IDS)

test_same_replies = differential(CASES, compare=compare)


# --------------------------------------------------------------------------------------
# SRANDMEMBER and SPOP: properties of each server's reply
# --------------------------------------------------------------------------------------

def members_of(conn, key):
    """(members as a set, encoding or None) of a set key, by SMEMBERS and OBJECT ENCODING."""
    got = value(conn.call(b"SMEMBERS", key))
    enc = value(conn.call(b"OBJECT", b"ENCODING", key))
    return set(got), (enc if isinstance(enc, bytes) else None)


def pops_most(cmd, before):
    """Is cmd an SPOP with a count that t_set.c serves by building a new set of what stays (its
    case 3: it then answers what it pops in the set's own order, sorted for an intset)?"""
    if cmd[0].upper() != b"SPOP" or len(cmd) != 3:
        return False
    count = int(cmd[2])
    return 0 < count < len(before) and (len(before) - count) * 5 <= count


def random_reply_problems(cmd, before, reply, after, enc=None):
    """What is wrong with one server's reply `reply` (raw) to cmd (SRANDMEMBER or SPOP, with or
    without a count) on a set that held `before` (encoded `enc`) and holds `after` afterwards."""
    name = cmd[0].upper()
    pop = name == b"SPOP"
    v = value(reply)
    bad = []
    if len(cmd) == 2:
        if not before:
            return [] if v is None else ["a missing key answers nil, got %r" % reply]
        if not isinstance(v, bytes) or v not in before:
            return ["%r is not one member" % reply]
        want_after = before - {v} if pop else before
    else:
        count = int(cmd[2])
        if not isinstance(v, list):
            return ["%r is not an array" % reply]
        n = min(count, len(before)) if count >= 0 else (-count if before else 0)
        if len(v) != n:
            bad.append("%d members, want %d" % (len(v), n))
        if not set(v) <= before:
            bad.append("not members: %r" % (set(v) - before))
        if count >= 0 and len(set(v)) != len(v):
            bad.append("repeated members in a positive count's reply")
        if count <= -10 * len(before) and before and set(v) != before:
            bad.append("%d draws never chose %r" % (-count, before - set(v)))
        if enc == b"intset" and pops_most(cmd, before) and v != sorted(v, key=int):
            bad.append("most of an intset popped: want its order (sorted)")
        want_after = before - set(v) if pop else before
    if after != want_after:
        bad.append("left %r, want %r" % (sorted(after), sorted(want_after)))
    return bad


def check_random(redis_ref, mk, setup, cmd, resp3):
    """Run setup on both (replies equal), then cmd on each; check each reply's properties, the
    reply types equal, and the encodings left equal."""
    flushall(redis_ref.port)
    flushall(mk.port)
    ref, mko = Conn(redis_ref.port), Conn(mk.port)
    try:
        pre = [C("HELLO 3")] if resp3 else []
        for conn in (ref, mko):
            conn.pipeline(pre)
        assert ref.pipeline(setup) == mko.pipeline(setup)
        key = cmd[1]
        before, enc = members_of(ref, key)
        assert members_of(mko, key) == (before, enc)
        want = ref.call(*cmd)
        got = mko.call(*cmd)
        assert got is not None, "mako did not answer"
        after_ref, enc_ref = members_of(ref, key)
        after_mk, enc_mk = members_of(mko, key)
        assert not random_reply_problems(cmd, before, want, after_ref, enc), "Redis itself: fix the case"
        bad = random_reply_problems(cmd, before, got, after_mk, enc)
        assert not bad, "%s: mako %r: %s" % (b" ".join(cmd), got[:200], "; ".join(bad))
        assert got[:1] == want[:1], "reply type: Redis %r, mako %r" % (want[:40], got[:40])
        assert enc_mk == enc_ref, "encoding left: Redis %r, mako %r" % (enc_ref, enc_mk)
        assert value(mko.call(b"EXISTS", key)) == value(ref.call(b"EXISTS", key))
    finally:
        ref.close()
        mko.close()


SMALL = sadd("s", "a", "b", "c", "d", "e")
SMALL_INTS = sadd("s", "5", "-1", "3", "100", "70000")
TABLE_OF_INTS = [sadd("s", "x", *ints(60)), C("SREM s x")]        # a hashtable of integers

RANDOM_CASES = [
    # SRANDMEMBER
    ("srandmember_one", [SMALL], "SRANDMEMBER s"),
    ("srandmember_one_intset", [SMALL_INTS], "SRANDMEMBER s"),
    ("srandmember_missing", [], "SRANDMEMBER s"),
    ("srandmember_count_1", [SMALL], "SRANDMEMBER s 1"),
    ("srandmember_count_few", [SMALL], "SRANDMEMBER s 2"),
    ("srandmember_count_most", [SMALL], "SRANDMEMBER s 4"),
    ("srandmember_count_all", [SMALL], "SRANDMEMBER s 5"),
    ("srandmember_count_more", [SMALL], "SRANDMEMBER s 50"),
    ("srandmember_count_intset", [SMALL_INTS], "SRANDMEMBER s 3"),
    ("srandmember_count_big_set", [sadd("s", *["m%d" % i for i in range(1000)])], "SRANDMEMBER s 10"),
    ("srandmember_count_big_intset", [sadd("s", *ints(500))], "SRANDMEMBER s 100"),
    ("srandmember_count_big_table", [sadd("s", *ints(2000))], "SRANDMEMBER s 1500"),
    ("srandmember_negative", [SMALL], "SRANDMEMBER s -3"),
    ("srandmember_negative_many", [SMALL], "SRANDMEMBER s -200"),
    ("srandmember_negative_many_intset", [SMALL_INTS], "SRANDMEMBER s -200"),
    ("srandmember_negative_table_of_ints", TABLE_OF_INTS, "SRANDMEMBER s -2000"),
    ("srandmember_negative_one_member", [C("SADD s only")], "SRANDMEMBER s -4"),
    ("srandmember_negative_missing", [], "SRANDMEMBER s -4"),
    # SPOP
    ("spop_one", [SMALL], "SPOP s"),
    ("spop_one_intset", [SMALL_INTS], "SPOP s"),
    ("spop_last", [C("SADD s only")], "SPOP s"),
    ("spop_missing", [], "SPOP s"),
    ("spop_count_1", [SMALL], "SPOP s 1"),
    ("spop_count_few", [SMALL], "SPOP s 2"),
    ("spop_count_most", [SMALL], "SPOP s 4"),
    ("spop_count_all", [SMALL], "SPOP s 5"),
    ("spop_count_more", [SMALL], "SPOP s 50"),
    ("spop_count_intset", [SMALL_INTS], "SPOP s 3"),
    ("spop_count_big_set", [sadd("s", *["m%d" % i for i in range(1000)])], "SPOP s 10"),
    ("spop_count_big_intset", [sadd("s", *ints(500))], "SPOP s 450"),
    ("spop_count_intset_most", [sadd("s", "9", "-4", "70000", "3", "-5000000000", "12")], "SPOP s 5"),
    ("spop_count_table_of_ints_few", TABLE_OF_INTS, "SPOP s 5"),
    # Redis pops most of a set by building a new one of what stays (t_set.c's case 3): an
    # intset when those are all integers
    ("spop_count_table_of_ints_most", TABLE_OF_INTS, "SPOP s 55"),
    ("spop_count_big_table_most", [sadd("s", *ints(3000))], "SPOP s 2600"),
    ("spop_count_strings_most", [sadd("s", *["m%d" % i for i in range(100)])], "SPOP s 90"),
]


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("setup,cmd", [(c[1], c[2]) for c in RANDOM_CASES], ids=[c[0] for c in RANDOM_CASES])
def test_random_members(redis_ref, mk, setup, cmd, resp3):
    setup = [[a.encode() if isinstance(a, str) else a for a in c] for c in setup]
    check_random(redis_ref, mk, setup, C(cmd), resp3)


# --------------------------------------------------------------------------------------
# Random command streams (hypothesis)
# --------------------------------------------------------------------------------------

KEYS = [b"s0", b"s1", b"s2", b"k"]
keys = st.sampled_from(KEYS)
members = st.one_of(
    st.integers(-5, 20).map(lambda i: b"%d" % i),
    st.sampled_from([b"a", b"b", b"c", b"", b"x" * 65, b"-0", b"01", b"+1", b"1.0", b"32767", b"32768",
                     b"-32769", b"2147483648", b"-2147483649", b"%d" % I64MAX, b"%d" % I64MIN,
                     b"9223372036854775808"]),
)


def as_int(m):
    """Redis's string2ll: the integer of m, or None."""
    if m == b"0":
        return 0
    s = m[1:] if m[:1] == b"-" else m
    if not s or not s.isdigit() or s[:1] == b"0" or not (I64MIN <= int(m) <= I64MAX):
        return None
    return int(m)


def intset_able(ms):
    return len(ms) <= 512 and all(as_int(m) is not None for m in ms)


class SetMachine(with_key_space_rules(keys, KEYS[:2])):
    KEYS = KEYS

    def state(self, key):
        """(members, encoding) of key on Redis (a set; else (None, None))."""
        if self.ref_value(b"TYPE", key) != b"set":
            return None, None
        return set(self.ref_value(b"SMEMBERS", key)), self.ref_value(b"OBJECT", b"ENCODING", key)

    def defined_order(self, cmd, ks):
        """Does Redis answer cmd over the keys ks in a defined (sorted) order: an intset walked,
        or a result it builds as an intset?"""
        states = [self.state(k) for k in ks]
        if any(m is None and self.ref_value(b"TYPE", k) != b"none" for k, (m, e) in zip(ks, states)):
            return True         # WRONGTYPE
        sets = [m or set() for m, e in states]
        if cmd == b"SINTER":
            if not all(m for m, e in states):
                return True     # empty
            small = min(len(s) for s in sets)
            return all(e == b"intset" for (m, e), s in zip(states, sets) if len(s) == small)
        if cmd == b"SUNION":
            return intset_able(set().union(*sets))
        # SDIFF: t_set.c's second algorithm first adds the whole first set
        first = sets[0]
        others = [s for (m, e), s in zip(states[1:], sets[1:]) if m is not None]
        result = first.difference(*others)
        if states[0][0] is not None and ks[0] not in ks[1:]:
            one = len(first) * (1 + len(others)) // 2
            two = len(first) + sum(len(s) for s in others)
            if one > two and not intset_able(first):
                return False
        return intset_able(result)

    # ---- one set ----
    @rule(key=keys, ms=st.lists(members, min_size=1, max_size=5))
    def sadd(self, key, ms):
        self.both([b"SADD", key, *ms])
        self.encodings([key])

    @rule(key=keys, n=st.sampled_from([10, 300, 511, 512, 513, 600]), start=st.sampled_from([0, 100, -50]))
    def sadd_many(self, key, n, start):
        self.both([b"SADD", key, *[b"%d" % i for i in range(start, start + n)]])
        self.encodings([key])

    @rule(key=keys, ms=st.lists(members, min_size=1, max_size=5))
    def srem(self, key, ms):
        self.both([b"SREM", key, *ms])
        self.encodings([key])

    @rule(key=keys, m=members, cmd=st.sampled_from([b"SCARD", b"SISMEMBER"]))
    def scard_sismember(self, key, m, cmd):
        self.both([cmd, key] if cmd == b"SCARD" else [cmd, key, m])

    @rule(key=keys, ms=st.lists(members, min_size=1, max_size=4))
    def smismember(self, key, ms):
        self.both([b"SMISMEMBER", key, *ms])

    @precondition(lambda self: not self.in_multi)       # inside EXEC a hashtable's order would show
    @rule(key=keys)
    def smembers(self, key):
        m, enc = self.state(key)
        self.both([b"SMEMBERS", key], order=None if m is None or enc == b"intset" else multiset)

    @rule(a=keys, b=keys, m=members)
    def smove(self, a, b, m):
        self.both([b"SMOVE", a, b, m])
        self.encodings([a, b])

    # ---- several sets ----
    @precondition(lambda self: not self.in_multi)
    @rule(cmd=st.sampled_from([b"SINTER", b"SUNION", b"SDIFF"]), ks=st.lists(keys, min_size=1, max_size=3))
    def setop(self, cmd, ks):
        self.both([cmd, *ks], order=None if self.defined_order(cmd, ks) else multiset)

    @rule(cmd=st.sampled_from([b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE"]), dst=keys,
          ks=st.lists(keys, min_size=1, max_size=3))
    def setop_store(self, cmd, dst, ks):
        self.both([cmd, dst, *ks])
        self.encodings([dst])

    @rule(ks=st.lists(keys, min_size=1, max_size=3), limit=st.sampled_from([[], [b"LIMIT", b"0"], [b"LIMIT", b"1"],
                                                                         [b"LIMIT", b"2"], [b"LIMIT", b"-1"]]))
    def sintercard(self, ks, limit):
        self.both([b"SINTERCARD", b"%d" % len(ks), *ks, *limit])

    # ---- random members ----
    @precondition(lambda self: not self.in_multi)
    @rule(key=keys, count=st.sampled_from([None, 0, 1, 2, 5, 100, -1, -5]))
    def srandmember(self, key, count):
        before, enc = self.state(key)
        cmd = [b"SRANDMEMBER", key] + ([] if count is None else [b"%d" % count])
        if before is None or (count is not None and count >= len(before)):
            # a missing key, a type error or the whole set: defined
            self.both(cmd, order=None if before is None or enc == b"intset" else multiset)
            return
        want, got = self.send(cmd)
        for who, reply in (("Redis", want), ("mako", got)):
            bad = random_reply_problems(cmd, before, reply, before)
            assert not bad, "%s: %s %r: %s%s" % (b" ".join(cmd), who, reply, "; ".join(bad), self.context())
        assert want[:1] == got[:1], "%s: Redis %r, mako %r" % (b" ".join(cmd), want, got)

    @precondition(lambda self: not self.in_multi)
    @rule(key=keys, count=st.sampled_from([None, 0, 1, 2, 5, 100]))
    def spop(self, key, count):
        before, enc = self.state(key)
        cmd = [b"SPOP", key] + ([] if count is None else [b"%d" % count])
        if before is None or count == 0 or (count is not None and count >= len(before)):
            # a missing key, a type error, nothing or the whole set: defined
            self.both(cmd, order=None if before is None or intset_able(before) else multiset)
            self.encodings([key])
            return
        want, got = self.send(cmd)
        after_ref = set(self.ref_value(b"SMEMBERS", key))
        after_mk = set(value(self.mk.call(b"SMEMBERS", key)))
        for who, reply, after in (("Redis", want, after_ref), ("mako", got, after_mk)):
            bad = random_reply_problems(cmd, before, reply, after, enc)
            assert not bad, "%s: %s %r: %s%s" % (b" ".join(cmd), who, reply, "; ".join(bad), self.context())
        assert want[:1] == got[:1], "%s: Redis %r, mako %r" % (b" ".join(cmd), want, got)
        self.encodings([key])
        # mako's set made Redis's again: put back what only mako popped, pop what only Redis did
        back = sorted(after_ref - after_mk)
        gone = sorted(after_mk - after_ref)
        if back:
            self.mk.call(b"SADD", key, *back)
        if gone:
            self.mk.call(b"SREM", key, *gone)
        self.encodings([key])

    # ---- other types and the key space ----
    @rule(key=keys, cmd=st.sampled_from([b"SET", b"GET", b"HSET", b"HGETALL", b"TYPE", b"EXISTS", b"DEL"]))
    def other(self, key, cmd):
        extra = {b"SET": [b"x"], b"HSET": [b"f", b"v"]}
        self.both([cmd, key, *extra.get(cmd, [])])


def test_random_streams_match_redis(redis_ref, mako, tmp_path_factory):
    run_machine(SetMachine, redis_ref, mako, lambda: start_mako(tmp_path_factory))
