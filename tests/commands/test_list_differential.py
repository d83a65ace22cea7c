"""Differential tests for the list commands: Redis 7.0.15 vs mako_numba.

Covered: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP and RPOP (with and without a
count), LLEN, LINDEX, LSET, LRANGE, LTRIM, LREM, LINSERT, LPOS (RANK, COUNT,
MAXLEN), LMOVE, RPOPLPUSH and LMPOP: every error text and option combination
(wrong arity, counts that are not integers or are negative, LPOS RANK 0 and
negative ranks, COUNT 0, MAXLEN; LMPOP's numkeys 0, too large, a bad
direction, COUNT twice; LINSERT's bad BEFORE/AFTER; LSET out of range and on
a missing key), LMOVE and RPOPLPUSH of a list onto itself (a rotation), the
deletion of a list that a pop, LTRIM, LREM, LMOVE or LMPOP empties, WRONGTYPE
both ways (list commands on a string, hash or set; string, hash and set
commands on a list), integers of every listpack width (7-bit, 13-bit,
16/24/32/64-bit and their limits) stored, read back and compared by LREM,
LPOS and LINSERT's pivot, with the strings that look like integers and are
not ("-0", "007", "+1", " 1", 20+ digits, 9223372036854775808), empty
strings and strings of 63/64/4095/4096/100000 bytes; lists of 100,000
elements (LINDEX from both ends, LRANGE slices, LTRIM, LREM from the tail
with counts, LPOS with COUNT 0 and MAXLEN); the key-space commands on a list
(TYPE, SCAN TYPE list, OBJECT ENCODING, which Redis 7.0 always answers
"quicklist", RENAME, COPY, MOVE, EXPIRE/TTL/PERSIST), MULTI/EXEC, WATCH (each
write that changes a list aborts EXEC; reads, a failed LINSERT, an LREM or
LPUSHX that does nothing, LPOP count 0 do not; LTRIM always does, as Redis
signals it even when nothing goes) and the keyspace_hits/keyspace_misses
counters after list reads.

Harness: tests/difftest.py's (a pipeline per case on fresh connections after
FLUSHALL, over RESP2 and RESP3, replies compared byte for byte); a list's
order is defined, so every reply is compared exactly.  `Keyspace()`
(tests/colltest.py) compares the keyspace counters of INFO stats after a
CONFIG RESETSTAT.

`test_random_streams_match_redis` is a hypothesis state machine: random list,
string, key-space and transaction commands over four keys, each sent to both
servers and compared byte for byte.
"""

from hypothesis import strategies as st
from hypothesis.stateful import rule

from colltest import I64MAX, I64MIN, Keyspace, compare, run_machine, with_key_space_rules
from conftest import start_mako
from difftest import Near, Sleep, cmds, differential

I64MAX_S = str(I64MAX)
I64MIN_S = str(I64MIN)

# integers at both ends of every listpack integer encoding, and just past them
INT_WIDTHS = ["0", "1", "127", "128", "-1", "4095", "-4096", "4096", "-4097", "32767", "-32768",
              "32768", "-32769", "8388607", "-8388608", "8388608", "-8388609", "2147483647",
              "-2147483648", "2147483648", "-2147483649", I64MAX_S, I64MIN_S, "-9223372036854775807"]
# strings that read like integers but are not integers to Redis's lpStringToInt64
NOT_INTS = ["-0", "007", "+1", " 1", "1 ", "00", "0x10", "1.0", "1e3", "-", "9223372036854775808",
            "-9223372036854775809", "18446744073709551615", "12345678901234567890123",
            "00000000000000000001", ""]
SIZES = [63, 64, 4095, 4096, 100000]


def rpush(key, *els):
    return ["RPUSH", key] + list(els)


def lpush(key, *els):
    return ["LPUSH", key] + list(els)


def ints(n, start=0):
    return [str(i) for i in range(start, start + n)]


BIG = 100000
# pushed 2,000 at a time (difftest encodes a command by repeated concatenation)
BIG_PUSH = [rpush("big", *ints(2000, i)) for i in range(0, BIG, 2000)]
DUPS_PUSH = [rpush("d", *[str(j % 10) for j in range(i, i + 2000)]) for i in range(0, BIG, 2000)]

CASES = [
    # ---------------- LPUSH / RPUSH / LPUSHX / RPUSHX ----------------
    ("push_basic", cmds("LPUSH l a b c", "RPUSH l d e", "LRANGE l 0 -1", "LLEN l", "TYPE l",
                        "OBJECT ENCODING l")),
    ("push_lowercase", cmds("lpush l 1 2", "Rpush l 3", "lrange l 0 -1")),
    ("push_arity", cmds("LPUSH", "LPUSH l", "RPUSH l", "LPUSHX l", "RPUSHX", "EXISTS l")),
    ("pushx", cmds("LPUSHX l a", "RPUSHX l a", "EXISTS l", "RPUSH l x", "LPUSHX l a b", "RPUSHX l c d",
                   "LRANGE l 0 -1")),
    ("pushx_wrongtype", cmds("SET s v", "LPUSHX s a", "RPUSHX s a", "HSET h f v", "LPUSHX h a",
                             "SADD t m", "RPUSHX t a")),
    ("push_empty_and_binary", cmds(["RPUSH", "l", "", "a\x00b", "\r\n", "\xff", ""], "LLEN l",
                                   "LRANGE l 0 -1", ["LPOS", "l", ""], ["LPOS", "l", "", "COUNT", "0"],
                                   ["LREM", "l", "1", ""], "LRANGE l 0 -1")),
    ("push_many_args", cmds(rpush("l", *ints(1000)), lpush("l", *ints(1000, 5000)), "LLEN l",
                            "LRANGE l 995 1005", "LINDEX l 0", "LINDEX l -1")),
    # ---------------- integers of every width, and strings that are not integers ----------------
    ("int_widths_roundtrip", cmds(rpush("l", *INT_WIDTHS), "LRANGE l 0 -1", "LLEN l",
                                  *[["LINDEX", "l", str(i)] for i in range(len(INT_WIDTHS))],
                                  "RPOP l 3", "LPOP l 3", "LRANGE l 0 -1")),
    ("int_widths_lpush", cmds(lpush("l", *INT_WIDTHS), "LRANGE l 0 -1", "LRANGE l -5 -1")),
    ("int_widths_compare", cmds(rpush("l", *INT_WIDTHS, *INT_WIDTHS),
                                *[["LPOS", "l", v, "COUNT", "0"] for v in INT_WIDTHS],
                                *[["LPOS", "l", v, "RANK", "-1"] for v in INT_WIDTHS[::3]])),
    ("int_widths_lrem", cmds(rpush("l", *INT_WIDTHS, *INT_WIDTHS),
                             *[["LREM", "l", "1", v] for v in INT_WIDTHS[::2]], "LRANGE l 0 -1",
                             *[["LREM", "l", "-5", v] for v in INT_WIDTHS[1::2]], "LRANGE l 0 -1", "LLEN l")),
    ("int_widths_pivots", cmds(rpush("l", *INT_WIDTHS),
                               *[["LINSERT", "l", "BEFORE", v, "b" + v] for v in INT_WIDTHS[::2]],
                               *[["LINSERT", "l", "AFTER", v, v] for v in INT_WIDTHS[1::2]],
                               "LRANGE l 0 -1")),
    ("not_ints_roundtrip", cmds(rpush("l", *NOT_INTS), "LRANGE l 0 -1",
                                *[["LINDEX", "l", str(i)] for i in range(len(NOT_INTS))])),
    ("not_ints_compare", cmds(rpush("l", "0", "7", "1", "-9223372036854775808", "12", *NOT_INTS),
                              "LPOS l -0", "LPOS l 007", "LPOS l +1", "LPOS l 0", "LPOS l 7", "LPOS l 1",
                              ["LPOS", "l", " 1"], "LPOS l 9223372036854775808", "LPOS l 00",
                              "LPOS l -9223372036854775808", "LPOS l 12", "LPOS l 1.0",
                              "LREM l 0 07", "LREM l 0 7", "LREM l 0 -0", "LRANGE l 0 -1")),
    ("not_ints_pivots", cmds(rpush("l", "7", "-0", "007", "+1", "1"), "LINSERT l BEFORE 07 x",
                             "LINSERT l AFTER 007 y", "LINSERT l BEFORE -0 z", "LINSERT l AFTER 0 w",
                             "LINSERT l BEFORE +1 v", "LINSERT l AFTER 1 u", "LRANGE l 0 -1")),
    ("int_lset", cmds(rpush("l", "a", "b", "c"), "LSET l 0 127", "LSET l 1 -4096", "LSET l 2 " + I64MIN_S,
                      "LRANGE l 0 -1", "LSET l 0 007", "LSET l 2 " + I64MAX_S, "LSET l 1 -0", "LRANGE l 0 -1",
                      "LPOS l 7", "LPOS l 007")),
    ("big_strings", cmds(*[rpush("l", "s" * n) for n in SIZES], *[lpush("l", "p" * n) for n in SIZES],
                         "LLEN l", *[["LINDEX", "l", str(i)] for i in range(10)],
                         ["LPOS", "l", "s" * 4096], ["LPOS", "l", "s" * 4095], ["LPOS", "l", "p" * 100000],
                         ["LREM", "l", "0", "s" * 64], ["LINSERT", "l", "AFTER", "s" * 4095, "x" * 4096],
                         "LRANGE l 0 -1")),
    ("big_strings_lset", cmds(rpush("l", "a", "b", "c"), ["LSET", "l", "1", "x" * 100000],
                              ["LSET", "l", "0", "y" * 4096], "LRANGE l 0 -1", ["LSET", "l", "1", "z"],
                              ["LSET", "l", "0", "w" * 63], "LRANGE l 0 -1", "RPOPLPUSH l l",
                              "LMOVE l l LEFT RIGHT", "LRANGE l 0 -1")),
    ("big_strings_pops", cmds(*[rpush("l", "s" * n) for n in SIZES], "LPOP l 2", "RPOP l", "LMOVE l m LEFT LEFT",
                              "LMPOP 2 x l RIGHT COUNT 5", "EXISTS l", "LRANGE m 0 -1")),
    # ---------------- LPOP / RPOP ----------------
    ("pop_basic", cmds(rpush("l", "a", "b", "c", "d"), "LPOP l", "RPOP l", "LRANGE l 0 -1", "LPOP l", "RPOP l",
                       "EXISTS l", "LPOP l", "RPOP l")),
    ("pop_count", cmds(rpush("l", *ints(10)), "LPOP l 3", "RPOP l 3", "LPOP l 1", "RPOP l 1", "LPOP l 0",
                       "RPOP l 0", "LRANGE l 0 -1", "RPOP l 100", "EXISTS l")),
    ("pop_count_missing", cmds("LPOP missing 1", "RPOP missing 5", "LPOP missing 0", "RPOP missing 0",
                               "LPOP missing", "RPOP missing")),
    ("pop_count_errors", cmds(rpush("l", "a", "b"), "LPOP l -1", "RPOP l -1", "LPOP l x", "RPOP l 1.5",
                              ["LPOP", "l", ""], "LPOP l 9223372036854775808", "LPOP l " + I64MIN_S,
                              "LPOP missing -1", "LPOP missing x", "LPOP l 01", "LPOP l +1",
                              "LPOP l " + I64MAX_S, "EXISTS l")),
    ("pop_count_errors_wrongtype", cmds("SET s v", "LPOP s -1", "LPOP s x", "LPOP s 0", "RPOP s 1",
                                        "LPOP s")),
    ("pop_arity", cmds(rpush("l", "a"), "LPOP", "RPOP", "LPOP l 1 2", "RPOP l 1 2 3", "LLEN l")),
    ("pop_count_all_deletes", cmds(rpush("l", "a", "b"), "LPOP l 2", "EXISTS l", rpush("l", "a"), "RPOP l 1",
                                   "TYPE l")),
    ("int_arg_spellings", cmds(rpush("l", *ints(5)), "LINDEX l -0", "LINDEX l +1", "LINDEX l 01", ["LINDEX", "l", " 1"],
                               ["LINDEX", "l", "1 "], "LRANGE l -0 1", "LRANGE l 0 +1", "LPOP l -0", "LPOP l 00",
                               "LSET l -0 x", "LREM l -0 1", "LTRIM l 0 1_0", "LPOS l 1 RANK +1",
                               "LPOS l 1 COUNT 01", "LMPOP +1 l LEFT", "LRANGE l 0 -1")),
    # ---------------- LLEN / LINDEX ----------------
    ("llen", cmds("LLEN missing", rpush("l", "a", "b"), "LLEN l", "LLEN", "LLEN l x")),
    ("lindex", cmds(rpush("l", "a", "b", "c"), "LINDEX l 0", "LINDEX l 2", "LINDEX l 3", "LINDEX l -1",
                    "LINDEX l -3", "LINDEX l -4", "LINDEX l " + I64MAX_S, "LINDEX l " + I64MIN_S,
                    "LINDEX missing 0", "LINDEX missing x")),
    ("lindex_errors", cmds(rpush("l", "a"), "LINDEX l x", "LINDEX l 1.5", ["LINDEX", "l", ""],
                           "LINDEX l 9223372036854775808", "LINDEX l 01", "LINDEX l +0", "LINDEX", "LINDEX l",
                           "LINDEX l 0 1")),
    # ---------------- LSET ----------------
    ("lset", cmds(rpush("l", "a", "b", "c"), "LSET l 0 x", "LSET l -1 z", "LSET l 1 yy", "LRANGE l 0 -1",
                  "LSET l 3 q", "LSET l -4 q", "LSET l " + I64MIN_S + " q", "LSET l " + I64MAX_S + " q",
                  ["LSET", "l", "1", ""], "LRANGE l 0 -1")),
    ("lset_errors", cmds("LSET missing 0 x", "LSET missing x x", rpush("l", "a"), "LSET l x y", "LSET l 1.5 y",
                         "LSET l 9223372036854775808 y", "LSET", "LSET l 0", "LSET l 0 a b", "SET s v",
                         "LSET s 0 x", "LSET s x x")),
    # ---------------- LRANGE ----------------
    ("lrange", cmds(rpush("l", *ints(10)), "LRANGE l 0 -1", "LRANGE l 0 0", "LRANGE l -3 -1", "LRANGE l 5 2",
                    "LRANGE l 9 100", "LRANGE l 10 100", "LRANGE l -100 2", "LRANGE l -100 -50",
                    "LRANGE l 2 -8", "LRANGE l 2 -9", "LRANGE l " + I64MIN_S + " " + I64MAX_S,
                    "LRANGE l " + I64MAX_S + " " + I64MIN_S, "LRANGE l -1 -1", "LRANGE l 0 -11")),
    ("lrange_errors", cmds(rpush("l", "a"), "LRANGE l x 1", "LRANGE l 0 y", "LRANGE missing x 1",
                           "LRANGE l 0 9223372036854775808", "LRANGE l 1.0 2", "LRANGE", "LRANGE l 0",
                           "LRANGE l 0 1 2", "LRANGE missing 0 -1", "SET s v", "LRANGE s 0 -1", "LRANGE s x 0")),
    # ---------------- LTRIM ----------------
    ("ltrim", cmds(rpush("l", *ints(10)), "LTRIM l 1 -2", "LRANGE l 0 -1", "LTRIM l 0 -1", "LLEN l",
                   "LTRIM l -3 100", "LRANGE l 0 -1", "LTRIM l 1 1", "LRANGE l 0 -1")),
    ("ltrim_empties", cmds(rpush("l", "a", "b"), "LTRIM l 2 5", "EXISTS l", rpush("l", "a", "b"), "LTRIM l 1 0",
                           "EXISTS l", rpush("l", "a", "b"), "LTRIM l -1 -2", "EXISTS l", rpush("l", "a"),
                           "LTRIM l " + I64MAX_S + " " + I64MIN_S, "EXISTS l", rpush("l", "a", "b"),
                           "LTRIM l " + I64MIN_S + " " + I64MAX_S, "LRANGE l 0 -1")),
    ("ltrim_errors", cmds("LTRIM missing 0 1", "LTRIM missing x 1", rpush("l", "a"), "LTRIM l x 1",
                          "LTRIM l 0 y", "LTRIM", "LTRIM l 0", "LTRIM l 0 1 2", "SET s v", "LTRIM s 0 1",
                          "LTRIM s x 1", "EXISTS missing")),
    # ---------------- LREM ----------------
    ("lrem", cmds(rpush("l", "a", "b", "a", "c", "a", "b", "a"), "LREM l 1 a", "LRANGE l 0 -1",
                  "LREM l -1 a", "LRANGE l 0 -1", "LREM l 0 b", "LRANGE l 0 -1", "LREM l 5 zz", "LREM l 0 a",
                  "LRANGE l 0 -1", "LREM l 0 c", "EXISTS l")),
    ("lrem_counts", cmds(rpush("l", *(["x", "y"] * 10)), "LREM l 3 x", "LREM l -3 y", "LRANGE l 0 -1",
                         "LREM l 100 x", "LREM l -100 y", "EXISTS l")),
    ("lrem_extreme_counts", cmds(rpush("l", *(["x", "y"] * 5)), "LREM l " + I64MIN_S + " x", "LRANGE l 0 -1",
                                 "LREM l " + I64MAX_S + " y", "EXISTS l", rpush("m", "x", "x"),
                                 "LREM m -9223372036854775807 x", "EXISTS m")),
    ("lrem_errors", cmds("LREM missing 0 a", "LREM missing x a", rpush("l", "a"), "LREM l x a", "LREM l 1.5 a",
                         "LREM l 9223372036854775808 a", "LREM", "LREM l 0", "LREM l 0 a b", "SET s v",
                         "LREM s 0 a", "LREM s x a", "LRANGE l 0 -1")),
    # ---------------- LINSERT ----------------
    ("linsert", cmds(rpush("l", "a", "b", "c"), "LINSERT l BEFORE b x", "LINSERT l AFTER b y",
                     "LINSERT l before a h", "LINSERT l after c t", "LINSERT l AFTER zz q", "LRANGE l 0 -1",
                     "LINSERT l BEFORE b b", "LINSERT l AFTER b b", "LRANGE l 0 -1", "LLEN l")),
    ("linsert_first_pivot", cmds(rpush("l", "p", "x", "p"), "LINSERT l AFTER p 1", "LINSERT l BEFORE p 0",
                                 "LRANGE l 0 -1")),
    ("linsert_errors", cmds("LINSERT missing BEFORE a b", "LINSERT missing MIDDLE a b", rpush("l", "a"),
                            "LINSERT l MIDDLE a b", ["LINSERT", "l", "", "a", "b"], "LINSERT l BEFOREX a b",
                            "LINSERT", "LINSERT l BEFORE a", "LINSERT l BEFORE a b c", "SET s v",
                            "LINSERT s BEFORE a b", "LINSERT s MIDDLE a b", "LRANGE l 0 -1")),
    ("linsert_empty_pivot", cmds(["RPUSH", "l", "", "a"], ["LINSERT", "l", "AFTER", "", "z"],
                                 ["LINSERT", "l", "BEFORE", "", ""], "LRANGE l 0 -1")),
    # ---------------- LPOS ----------------
    ("lpos", cmds(rpush("l", "a", "b", "c", "1", "2", "3", "c", "c"), "LPOS l c", "LPOS l zz", "LPOS l c RANK 1",
                  "LPOS l c RANK 2", "LPOS l c RANK 3", "LPOS l c RANK 4", "LPOS l c RANK -1",
                  "LPOS l c RANK -3", "LPOS l c RANK -4", "LPOS l c COUNT 2", "LPOS l c COUNT 0",
                  "LPOS l c COUNT 0 RANK -1", "LPOS l c RANK 2 COUNT 5", "LPOS l zz COUNT 0",
                  "LPOS l c MAXLEN 3", "LPOS l c MAXLEN 4", "LPOS l c MAXLEN 0", "LPOS l c RANK -1 MAXLEN 1",
                  "LPOS l c RANK -1 MAXLEN 3 COUNT 0", "LPOS l a RANK -1 MAXLEN 7", "LPOS l a RANK -1 MAXLEN 8",
                  "LPOS l c COUNT 1 MAXLEN 8 RANK 1", "lpos l c rank -2 count 1 maxlen 0")),
    ("lpos_repeated_options", cmds(rpush("l", "a", "b", "a", "a"), "LPOS l a RANK 1 RANK 2",
                                   "LPOS l a COUNT 1 COUNT 0", "LPOS l a MAXLEN 1 MAXLEN 0",
                                   "LPOS l a RANK 0 RANK 1", "LPOS l a RANK 1 RANK 0")),
    ("lpos_extreme", cmds(rpush("l", "a", "b", "a"), "LPOS l a RANK " + I64MAX_S, "LPOS l a RANK " + I64MIN_S,
                          "LPOS l a RANK -9223372036854775807", "LPOS l a COUNT " + I64MAX_S,
                          "LPOS l a MAXLEN " + I64MAX_S, "LPOS l a RANK " + I64MIN_S + " COUNT 0")),
    ("lpos_errors", cmds(rpush("l", "a"), "LPOS l a RANK 0", "LPOS l a RANK x", "LPOS l a RANK 1.5",
                         "LPOS l a COUNT -1", "LPOS l a COUNT x", "LPOS l a MAXLEN -1", "LPOS l a MAXLEN x",
                         "LPOS l a COUNT 9223372036854775808", "LPOS l a RANK 9223372036854775808",
                         "LPOS l a MAXLEN 9223372036854775808", "LPOS l a RANK", "LPOS l a COUNT",
                         "LPOS l a MAXLEN", "LPOS l a FOO", "LPOS l a FOO 1", "LPOS l a RANK 1 FOO", "LPOS",
                         "LPOS l", "LPOS l a COUNT " + I64MIN_S)),
    ("lpos_errors_missing_key", cmds("LPOS missing a", "LPOS missing a COUNT 0", "LPOS missing a RANK 0",
                                     "LPOS missing a COUNT -1", "LPOS missing a FOO", "LPOS missing a RANK -1",
                                     "LPOS missing a MAXLEN 1 COUNT 2")),
    ("lpos_wrongtype", cmds("SET s v", "LPOS s a", "LPOS s a COUNT 0", "LPOS s a RANK 0", "LPOS s a FOO")),
    # ---------------- LMOVE / RPOPLPUSH ----------------
    ("lmove", cmds(rpush("a", "1", "2", "3"), "LMOVE a b LEFT RIGHT", "LMOVE a b RIGHT LEFT",
                   "LMOVE a b left left", "LRANGE a 0 -1", "LRANGE b 0 -1", "EXISTS a", "LMOVE b a RIGHT RIGHT",
                   "LRANGE a 0 -1", "LRANGE b 0 -1")),
    ("lmove_same_key", cmds(rpush("l", "1", "2", "3"), "LMOVE l l LEFT RIGHT", "LRANGE l 0 -1",
                            "LMOVE l l RIGHT LEFT", "LRANGE l 0 -1", "LMOVE l l LEFT LEFT", "LRANGE l 0 -1",
                            "LMOVE l l RIGHT RIGHT", "LRANGE l 0 -1", rpush("one", "x"), "LMOVE one one LEFT RIGHT",
                            "LRANGE one 0 -1")),
    ("rpoplpush", cmds(rpush("a", "1", "2", "3"), "RPOPLPUSH a b", "RPOPLPUSH a b", "LRANGE a 0 -1",
                       "LRANGE b 0 -1", "RPOPLPUSH a a", "RPOPLPUSH b b", "LRANGE b 0 -1", "RPOPLPUSH a b",
                       "EXISTS a", "RPOPLPUSH missing b", "RPOPLPUSH missing missing", "EXISTS missing")),
    ("lmove_errors", cmds(rpush("a", "1"), "LMOVE a b UP LEFT", "LMOVE a b LEFT DOWN", "LMOVE missing b UP DOWN",
                          "LMOVE a b", "LMOVE a b LEFT", "LMOVE a b LEFT RIGHT x", "RPOPLPUSH a",
                          "RPOPLPUSH a b c", "LMOVE missing b LEFT RIGHT", "EXISTS b", "LRANGE a 0 -1")),
    ("lmove_wrongtype", cmds("SET s v", rpush("a", "1"), "LMOVE s a LEFT RIGHT", "LMOVE a s LEFT RIGHT",
                             "RPOPLPUSH a s", "RPOPLPUSH s a", "LRANGE a 0 -1", "GET s", "LMOVE missing s LEFT LEFT",
                             "LMOVE s missing UP LEFT", "HSET h f v", "RPOPLPUSH a h", "SADD t m",
                             "LMOVE a t RIGHT LEFT", "LRANGE a 0 -1")),
    ("lmove_last_element", cmds(rpush("a", "x"), "LMOVE a b LEFT LEFT", "EXISTS a", "TYPE b", "LRANGE b 0 -1")),
    ("lmove_keeps_ttls", cmds(rpush("a", "1", "2"), "EXPIRE a 100", rpush("b", "3"), "EXPIRE b 200",
                              "LMOVE a b LEFT LEFT", Near("TTL a", 99, 100), Near("TTL b", 199, 200),
                              "LMOVE a c LEFT LEFT", "TTL c", "EXISTS a")),
    # ---------------- LMPOP ----------------
    ("lmpop", cmds(rpush("a", "1", "2", "3"), rpush("b", "x", "y"), "LMPOP 2 a b LEFT", "LMPOP 2 a b RIGHT",
                   "LMPOP 2 b a LEFT COUNT 10", "EXISTS b", "LMPOP 1 a RIGHT COUNT 1", "LMPOP 2 a b LEFT",
                   "LMPOP 3 missing a b LEFT", "EXISTS a")),
    ("lmpop_counts", cmds(rpush("a", *ints(10)), "LMPOP 1 a LEFT COUNT 3", "LMPOP 1 a RIGHT COUNT 3",
                          "lmpop 1 a left count 1", "LMPOP 1 a RIGHT COUNT " + I64MAX_S, "EXISTS a")),
    ("lmpop_skips_missing", cmds(rpush("c", "z"), "LMPOP 3 a b c LEFT", "LMPOP 3 a b c LEFT", "LMPOP 1 a RIGHT")),
    ("lmpop_same_key_twice", cmds(rpush("a", "1", "2"), "LMPOP 2 a a LEFT COUNT 5", "EXISTS a")),
    ("lmpop_numkeys_errors", cmds(rpush("a", "1"), "LMPOP 0 a LEFT", "LMPOP -1 a LEFT", "LMPOP x a LEFT",
                                  "LMPOP 1.5 a LEFT", "LMPOP 2 a LEFT", "LMPOP 3 a LEFT", "LMPOP 5 a b c LEFT",
                                  "LMPOP 9223372036854775808 a LEFT", "LMPOP 01 a LEFT",
                                  "LMPOP 9223372036854775807 a LEFT", "LMPOP 9223372036854775806 a LEFT",
                                  "LMPOP 9223372036854775805 a LEFT", "LMPOP 4611686018427387904 a LEFT",
                                  "LRANGE a 0 -1")),
    ("lmpop_direction_errors", cmds(rpush("a", "1"), "LMPOP 1 a UP", "LMPOP 1 a a", "LMPOP 2 a LEFT RIGHT",
                                    ["LMPOP", "1", "a", ""], "LMPOP 1 a LEFTX", "LRANGE a 0 -1")),
    ("lmpop_count_errors", cmds(rpush("a", "1", "2"), "LMPOP 1 a LEFT COUNT 0", "LMPOP 1 a LEFT COUNT -1",
                                "LMPOP 1 a LEFT COUNT x", "LMPOP 1 a LEFT COUNT", "LMPOP 1 a LEFT COUNT 1 COUNT 1",
                                "LMPOP 1 a LEFT COUNT 1 COUNT 2", "LMPOP 1 a LEFT FOO", "LMPOP 1 a LEFT FOO 1",
                                "LMPOP 1 a LEFT COUNT 1 FOO", "LMPOP 1 a LEFT COUNT 9223372036854775808",
                                "LMPOP 1 missing LEFT COUNT 0", "LMPOP 1 a LEFT 1", "LRANGE a 0 -1")),
    ("lmpop_arity", cmds("LMPOP", "LMPOP 1", "LMPOP 1 a")),
    ("lmpop_wrongtype", cmds("SET s v", rpush("a", "1"), "LMPOP 2 s a LEFT", "LMPOP 2 missing s LEFT",
                             "LMPOP 2 a s LEFT", "LMPOP 1 s LEFT COUNT 0", "LMPOP 1 s UP", "LRANGE a 0 -1")),
    ("lmpop_missing", cmds("LMPOP 1 missing LEFT", "LMPOP 2 missing other RIGHT COUNT 3")),
    # ---------------- big lists ----------------
    ("big_list_reads", cmds(*BIG_PUSH, "LLEN big", "LINDEX big 0", "LINDEX big -1", "LINDEX big 50000",
                            "LINDEX big -50000", "LINDEX big 99999", "LINDEX big -100000", "LINDEX big 100000",
                            "LINDEX big -100001", "LRANGE big 0 10", "LRANGE big -10 -1", "LRANGE big 49995 50005",
                            "LRANGE big -50005 -49995", "LRANGE big 99990 200000", "LPOS big 99999",
                            "LPOS big 0 RANK -1", "LPOS big 5 MAXLEN 5", "LPOS big 5 MAXLEN 6",
                            "LPOS big 99990 RANK -1 MAXLEN 10", "LPOS big 99989 RANK -1 MAXLEN 10",
                            "LRANGE big 0 1999", "LRANGE big -2000 -1")),
    ("big_list_trim", cmds(*BIG_PUSH, "LTRIM big 10 -10", "LLEN big", "LINDEX big 0", "LINDEX big -1",
                           "LTRIM big 40000 40100", "LRANGE big 0 -1", "LTRIM big 50 49", "EXISTS big")),
    ("big_list_pops", cmds(*BIG_PUSH, "LPOP big 1000", "RPOP big 1000", "LLEN big", "LMPOP 1 big RIGHT COUNT 5",
                           "LINDEX big 0", "LINDEX big -1", "LTRIM big 0 2999", "RPOP big 100000", "EXISTS big")),
    ("big_list_lrem", cmds(*DUPS_PUSH, "LREM d -3 7", "LREM d 5 3", "LLEN d", "LRANGE d -30 -1", "LRANGE d 0 30",
                           "LREM d -10000 9", "LLEN d", "LPOS d 9", "LREM d 0 1", "LLEN d", "LRANGE d -12 -1",
                           "LPOS d 7 RANK -1", "LPOS d 7 COUNT 3 RANK -2", "LREM d -1 0", "LINDEX d -1")),
    ("big_list_lpos_count", cmds(*DUPS_PUSH, "LPOS d 7 COUNT 0", "LPOS d 7 COUNT 0 RANK -1",
                                 "LPOS d 7 COUNT 0 MAXLEN 1000", "LPOS d 7 COUNT 10 RANK 9990")),
    ("big_list_inside", cmds(*BIG_PUSH, "LINSERT big BEFORE 50000 x", "LINSERT big AFTER 99999 y",
                             "LSET big 50001 z", "LSET big -1 w", "LRANGE big 49998 50003", "LRANGE big -3 -1",
                             "LLEN big", "LMOVE big big LEFT RIGHT", "LINDEX big -1", "LINDEX big 0")),
    ("big_list_grows_by_pushes", cmds(*[rpush("g", *ints(500, i * 500)) for i in range(40)],
                                      *[lpush("g", *ints(500, -i * 500 - 500)) for i in range(40)],
                                      "LLEN g", "LINDEX g 0", "LINDEX g 20000", "LINDEX g -1", "LRANGE g 19998 20001")),
    # ---------------- WRONGTYPE ----------------
    ("list_cmds_on_string", cmds("SET k x", "LPUSH k a", "RPUSH k a", "LPOP k", "RPOP k", "LPOP k 2", "LLEN k",
                                 "LINDEX k 0", "LSET k 0 a", "LRANGE k 0 -1", "LTRIM k 0 1", "LREM k 0 a",
                                 "LINSERT k BEFORE a b", "LPOS k a", "LMOVE k k LEFT LEFT", "RPOPLPUSH k k",
                                 "LMPOP 1 k LEFT", "GET k")),
    ("list_cmds_on_hash", cmds("HSET k a 1", "LPUSH k a", "RPUSHX k a", "LPOP k", "LLEN k", "LINDEX k 0",
                               "LSET k 0 a", "LRANGE k 0 -1", "LTRIM k 0 1", "LREM k 0 a", "LINSERT k AFTER a b",
                               "LPOS k a", "RPOPLPUSH k x", "LMPOP 1 k RIGHT", "HGETALL k")),
    ("list_cmds_on_set", cmds("SADD k a", "RPUSH k a", "LPUSHX k a", "RPOP k 1", "LLEN k", "LINDEX k -1",
                              "LSET k 0 a", "LRANGE k 0 0", "LTRIM k 1 0", "LREM k -1 a", "LINSERT k BEFORE a b",
                              "LPOS k a COUNT 0", "LMOVE k x RIGHT RIGHT", "LMPOP 1 k LEFT COUNT 2",
                              "SMEMBERS k")),
    ("string_cmds_on_list", cmds(rpush("k", "1"), "GET k", "APPEND k x", "INCR k", "DECRBY k 2", "STRLEN k",
                                 "GETRANGE k 0 1", "SETRANGE k 0 x", "GETSET k x", "GETDEL k", "SETNX k x",
                                 "GETEX k", "SETBIT k 0 1", "GETBIT k 0", "BITCOUNT k", "INCRBYFLOAT k 1",
                                 "MGET k", "LRANGE k 0 -1")),
    ("hash_cmds_on_list", cmds(rpush("k", "a"), "HSET k a 1", "HGET k a", "HDEL k a", "HLEN k", "HGETALL k",
                               "HINCRBY k a 1", "HKEYS k", "HEXISTS k a", "LRANGE k 0 -1")),
    ("set_cmds_on_list", cmds(rpush("k", "a"), "SADD k a", "SREM k a", "SCARD k", "SISMEMBER k a",
                              "SMEMBERS k", "SMOVE k t a", "SINTER k", "SUNIONSTORE d k", "EXISTS d",
                              "LRANGE k 0 -1")),
    ("set_overwrites_list", cmds(rpush("k", "a"), "SET k x", "TYPE k", "GET k", "LLEN k", rpush("k", "b"))),
    ("store_overwrites_list", cmds(rpush("k", "a"), "SADD s 1", "SUNIONSTORE k s", "TYPE k", rpush("k", "b"),
                                   rpush("j", "a"), "SINTERSTORE j s missing", "EXISTS j")),
    ("arity_before_wrongtype", cmds("SET k x", "LPUSH k", "LINDEX k", "LSET k 0", "LINSERT k BEFORE a",
                                    "LMOVE k k LEFT")),
    # ---------------- key space ----------------
    ("type_encoding", cmds(rpush("l", "a"), "TYPE l", "OBJECT ENCODING l", rpush("m", *ints(1000)),
                           "OBJECT ENCODING m", ["RPUSH", "n", "x" * 100000], "OBJECT ENCODING n",
                           rpush("i", "1", "2"), "OBJECT ENCODING i", "OBJECT ENCODING missing")),
    # one key per type: SCAN's order is each server's hash order
    ("scan_type_list", cmds(rpush("l1", "a"), "SET s v", "HSET h f v", "SADD t m",
                            "SCAN 0 TYPE list COUNT 100", "SCAN 0 TYPE LIST COUNT 100", "SCAN 0 TYPE string",
                            "SCAN 0 TYPE quicklist", "DBSIZE")),
    ("expired_key_is_new", cmds(rpush("l", "a"), "PEXPIRE l 1", Sleep(20), rpush("l", "b"), "LRANGE l 0 -1",
                                "TTL l", rpush("a", "1"), rpush("d", "5"), "PEXPIRE d 1", Sleep(20),
                                "LMOVE a d LEFT LEFT", "LRANGE d 0 -1", "TTL d", rpush("e", "5"), "PEXPIRE e 1",
                                Sleep(20), "LLEN e", "LPUSHX e x", "EXISTS e", rpush("f", "5"), "PEXPIRE f 1",
                                Sleep(20), "LMPOP 1 f LEFT", "LPOS f 5", "LINDEX f 0")),
    ("list_config", cmds("CONFIG GET list-max-listpack-size", "CONFIG GET list-max-ziplist-size",
                         "CONFIG GET list-compress-depth", "CONFIG SET list-max-listpack-size 4",
                         rpush("l", *ints(20)), "OBJECT ENCODING l", "LRANGE l 0 -1",
                         "CONFIG GET list-max-ziplist-size", "CONFIG SET list-max-ziplist-size -2",
                         "CONFIG GET list-max-listpack-size", "CONFIG SET list-compress-depth 1",
                         rpush("m", *ints(20)), "LRANGE m 5 8", "CONFIG SET list-compress-depth 0")),
    ("type_exists_del", cmds(rpush("l", "a"), "TYPE l", "EXISTS l", "DEL l", "EXISTS l", "TYPE l", "LLEN l")),
    ("rename", cmds(rpush("l", "1", "2"), "RENAME l t", "EXISTS l", "LRANGE t 0 -1", "OBJECT ENCODING t",
                    "SET x str", "RENAME t x", "TYPE x", "LRANGE x 0 -1", "RENAMENX x l", "LRANGE l 0 -1",
                    rpush("m", "z"), "RENAMENX l m", "LRANGE m 0 -1")),
    ("copy", cmds(rpush("l", "1", "2"), "COPY l t", rpush("t", "3"), "LPOP t", "LRANGE l 0 -1", "LRANGE t 0 -1",
                  "COPY l t", "COPY l t REPLACE", "LRANGE t 0 -1", "OBJECT ENCODING t", "COPY l u DB 1",
                  "SELECT 1", "LRANGE u 0 -1", "TYPE u")),
    ("copy_big", cmds(*BIG_PUSH, "COPY big c", "LTRIM big 0 0", "LLEN c", "LINDEX c -1", "LLEN big")),
    ("move", cmds(rpush("l", "a"), "MOVE l 1", "EXISTS l", "SELECT 1", "LRANGE l 0 -1", "TYPE l", rpush("l", "b"),
                  "SELECT 0", rpush("l", "z"), "SELECT 1", "MOVE l 0", "LRANGE l 0 -1")),
    ("expire_ttl_persist", cmds(rpush("l", "a"), "EXPIRE l 100", Near("TTL l", 99, 100), rpush("l", "b"),
                                Near("TTL l", 99, 100), "LPOP l", Near("TTL l", 99, 100), "LSET l 0 q",
                                "LINSERT l AFTER q r", Near("TTL l", 99, 100), "PERSIST l", "TTL l", "PERSIST l")),
    ("expire_zero_deletes", cmds(rpush("l", "a"), "EXPIRE l 0", "EXISTS l", "LLEN l")),
    ("empty_list_loses_ttl", cmds(rpush("l", "a"), "EXPIRE l 100", "LPOP l", rpush("l", "a"), "TTL l",
                                  rpush("m", "1"), "EXPIRE m 100", "LREM m 0 1", rpush("m", "1"), "TTL m",
                                  rpush("n", "1"), "EXPIRE n 100", "LTRIM n 1 0", rpush("n", "1"), "TTL n")),
    # ---------------- MULTI / EXEC ----------------
    ("multi_exec", cmds("MULTI", rpush("l", "1", "2", "3"), lpush("l", "0"), "LLEN l", "LRANGE l 0 -1",
                        "LINDEX l 1", "LSET l 0 z", "LINSERT l AFTER z y", "LREM l 1 2", "LPOS l 3", "LTRIM l 0 2",
                        "LMOVE l m LEFT RIGHT", "RPOPLPUSH l m", "LMPOP 2 l m LEFT COUNT 2", "LPOP l 5",
                        "RPOP m", "EXISTS l m", "EXEC")),
    ("multi_wrongtype_inside", cmds("SET k x", "MULTI", "LPUSH k a", "LLEN k", "GET k", "EXEC")),
    ("multi_arity_aborts", cmds("MULTI", rpush("l", "a"), "LPUSH l", "EXEC", "EXISTS l")),
    ("multi_errors_inside", cmds(rpush("a", "1"), "MULTI", "LMPOP 0 a LEFT", "LPOS a 1 RANK 0", "LSET a 5 x",
                                 "LPOP a -1", "LINSERT a MIDDLE 1 2", "LMOVE a a UP DOWN", "LLEN a", "EXEC")),
    # ---------------- WATCH ----------------
    *[("watch_" + name + "_aborts", cmds(*setup, "WATCH l", *write, "MULTI", "LLEN l", "EXEC"))
      for name, setup, write in [
          ("lpush", [rpush("l", "a")], [lpush("l", "b")]),
          ("rpush_new_key", [], [rpush("l", "b")]),
          ("lpushx", [rpush("l", "a")], ["LPUSHX l b"]),
          ("rpushx", [rpush("l", "a")], ["RPUSHX l b"]),
          ("lpop", [rpush("l", "a", "b")], ["LPOP l"]),
          ("rpop_count", [rpush("l", "a", "b")], ["RPOP l 1"]),
          ("lpop_last", [rpush("l", "a")], ["LPOP l"]),
          ("lset", [rpush("l", "a")], ["LSET l 0 a"]),
          ("ltrim", [rpush("l", "a", "b")], ["LTRIM l 0 0"]),
          ("ltrim_nothing", [rpush("l", "a", "b")], ["LTRIM l 0 -1"]),
          ("ltrim_all", [rpush("l", "a", "b")], ["LTRIM l 5 6"]),
          ("lrem", [rpush("l", "a", "b")], ["LREM l 0 a"]),
          ("linsert", [rpush("l", "a")], ["LINSERT l BEFORE a x"]),
          ("lmove_source", [rpush("l", "a", "b")], ["LMOVE l m LEFT LEFT"]),
          ("lmove_dest", [rpush("m", "a")], ["LMOVE m l LEFT LEFT"]),
          ("lmove_same", [rpush("l", "a")], ["LMOVE l l LEFT LEFT"]),
          ("rpoplpush_same", [rpush("l", "a", "b")], ["RPOPLPUSH l l"]),
          ("lmpop", [rpush("l", "a", "b")], ["LMPOP 2 missing l LEFT"]),
      ]],
    *[("watch_" + name + "_runs", cmds(*setup, "WATCH l", *write, "MULTI", "LLEN l", "EXEC"))
      for name, setup, write in [
          ("reads", [rpush("l", "a", "b")], ["LLEN l", "LINDEX l 0", "LRANGE l 0 -1", "LPOS l a",
                                              "LPOS l a COUNT 0"]),
          ("linsert_no_pivot", [rpush("l", "a")], ["LINSERT l BEFORE zz x"]),
          ("linsert_missing_key", [], ["LINSERT l BEFORE a x"]),
          ("lrem_nothing", [rpush("l", "a")], ["LREM l 0 zz"]),
          ("lpushx_missing", [], ["LPUSHX l a", "RPUSHX l a"]),
          ("lpop_count_zero", [rpush("l", "a")], ["LPOP l 0", "RPOP l 0"]),
          ("lpop_missing", [], ["LPOP l", "RPOP l 2"]),
          ("lset_out_of_range", [rpush("l", "a")], ["LSET l 5 x"]),
          ("lset_missing", [], ["LSET l 0 x"]),
          ("ltrim_missing", [], ["LTRIM l 0 1"]),
          ("lmove_missing_source", [], ["LMOVE missing l LEFT LEFT", "RPOPLPUSH missing l"]),
          ("lmove_wrongtype_dest", [rpush("l", "a"), "SET s v"], ["LMOVE l s LEFT LEFT"]),
          ("lmpop_other_key", [rpush("l", "a"), rpush("m", "b")], ["LMPOP 2 m l LEFT"]),
          ("lmpop_nothing", [], ["LMPOP 1 l LEFT"]),
          ("errors", [rpush("l", "a")], ["LPOS l a RANK 0", "LPOP l -1", "LMPOP 0 l LEFT", "LINSERT l UP a b"]),
      ]],
    # ---------------- keyspace counters ----------------
    ("stats_reads", cmds(rpush("l", "a", "b"), "CONFIG RESETSTAT", "LLEN l", "LLEN missing", "LINDEX l 0",
                         "LINDEX l 5", "LINDEX missing 0", "LRANGE l 0 -1", "LRANGE l 5 6", "LRANGE missing 0 -1",
                         "LPOS l a", "LPOS l zz", "LPOS missing a", "LPOS l a COUNT 0", "LPOS missing a COUNT 0",
                         Keyspace())),
    ("stats_errors", cmds(rpush("l", "a"), "SET s v", "CONFIG RESETSTAT", "LINDEX l x", "LINDEX missing x",
                          "LRANGE l x 0", "LRANGE missing x 0", "LPOS l a RANK 0", "LPOS missing a RANK 0",
                          "LLEN s", "LINDEX s 0", "LRANGE s 0 1", "LPOS s a", Keyspace())),
    ("stats_scan_type_and_type", cmds(rpush("l1", "a"), "SET s v", "CONFIG RESETSTAT",
                                      "SCAN 0 TYPE list COUNT 100", "SCAN 0 TYPE string COUNT 100", "TYPE l1",
                                      "TYPE missing", "OBJECT ENCODING l1", "EXISTS l1 s missing", Keyspace())),
    ("stats_writes_count_nothing", cmds(rpush("l", "a", "b", "c", "d", "e"), "CONFIG RESETSTAT", rpush("l", "x"),
                                        "LPUSHX missing a", "LPOP l", "RPOP l 1", "LPOP missing", "LSET l 0 q",
                                        "LTRIM l 0 -1", "LREM l 0 zz", "LINSERT l BEFORE q r",
                                        "LMOVE l m LEFT LEFT", "RPOPLPUSH missing m", "LMPOP 2 missing l LEFT",
                                        "LMPOP 1 missing RIGHT", "LSET missing 0 x", Keyspace())),
]

IDS = [c[0] for c in CASES]
assert len(set(IDS)) == len(IDS)

test_same_replies = differential(CASES, compare=compare)


# --------------------------------------------------------------------------------------
# Random command streams (hypothesis)
# --------------------------------------------------------------------------------------

KEYS = [b"l0", b"l1", b"l2", b"k"]
keys = st.sampled_from(KEYS)
elements = st.one_of(
    st.integers(-3, 12).map(lambda i: b"%d" % i),
    st.sampled_from([b"a", b"b", b"", b"x" * 64, b"y" * 4096, b"-0", b"007", b"+1", b"127", b"128",
                     b"-4096", b"4096", b"32768", b"8388608", b"2147483648", b"%d" % I64MAX, b"%d" % I64MIN,
                     b"9223372036854775808"]),
)
indexes = st.one_of(st.integers(-8, 8).map(lambda i: b"%d" % i),
                    st.sampled_from([b"%d" % I64MAX, b"%d" % I64MIN, b"x"]))
counts = st.one_of(st.integers(-3, 6).map(lambda i: b"%d" % i), st.sampled_from([b"100", b"x"]))
sides = st.sampled_from([b"LEFT", b"RIGHT", b"left", b"UP"])


class ListMachine(with_key_space_rules(keys, KEYS[:2])):
    KEYS = KEYS

    @rule(key=keys, els=st.lists(elements, min_size=1, max_size=5),
          cmd=st.sampled_from([b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX"]))
    def push(self, key, els, cmd):
        self.both([cmd, key, *els])

    @rule(key=keys, n=st.sampled_from([100, 600, 3000]), cmd=st.sampled_from([b"LPUSH", b"RPUSH"]))
    def push_many(self, key, n, cmd):
        self.both([cmd, key, *[b"%d" % (i % 17) for i in range(n)]])

    @rule(key=keys, cmd=st.sampled_from([b"LPOP", b"RPOP"]), count=st.one_of(st.none(), counts))
    def pop(self, key, cmd, count):
        self.both([cmd, key] + ([] if count is None else [count]))

    @rule(key=keys, cmd=st.sampled_from([b"LLEN", b"LINDEX"]), i=indexes)
    def llen_lindex(self, key, cmd, i):
        self.both([cmd, key] if cmd == b"LLEN" else [cmd, key, i])

    @rule(key=keys, i=indexes, e=elements)
    def lset(self, key, i, e):
        self.both([b"LSET", key, i, e])

    @rule(key=keys, cmd=st.sampled_from([b"LRANGE", b"LTRIM"]), a=indexes, b=indexes)
    def lrange_ltrim(self, key, cmd, a, b):
        self.both([cmd, key, a, b])

    @rule(key=keys, count=counts, e=elements)
    def lrem(self, key, count, e):
        self.both([b"LREM", key, count, e])

    @rule(key=keys, where=st.sampled_from([b"BEFORE", b"AFTER", b"after", b"MIDDLE"]), pivot=elements,
          e=elements)
    def linsert(self, key, where, pivot, e):
        self.both([b"LINSERT", key, where, pivot, e])

    @rule(key=keys, e=elements, opts=st.lists(st.sampled_from([
        [b"RANK", b"1"], [b"RANK", b"2"], [b"RANK", b"-1"], [b"RANK", b"-3"], [b"RANK", b"0"],
        [b"COUNT", b"0"], [b"COUNT", b"2"], [b"COUNT", b"-1"], [b"MAXLEN", b"0"], [b"MAXLEN", b"3"],
        [b"MAXLEN", b"-2"], [b"FOO"]]), max_size=3))
    def lpos(self, key, e, opts):
        self.both([b"LPOS", key, e, *[w for o in opts for w in o]])

    @rule(a=keys, b=keys, f=sides, t=sides)
    def lmove(self, a, b, f, t):
        self.both([b"LMOVE", a, b, f, t])

    @rule(a=keys, b=keys)
    def rpoplpush(self, a, b):
        self.both([b"RPOPLPUSH", a, b])

    @rule(ks=st.lists(keys, min_size=1, max_size=3), side=sides, numkeys=st.sampled_from([None, None, 0, 5]),
          count=st.one_of(st.none(), counts))
    def lmpop(self, ks, side, numkeys, count):
        n = len(ks) if numkeys is None else numkeys
        self.both([b"LMPOP", b"%d" % n, *ks, side] + ([] if count is None else [b"COUNT", count]))

    @rule(key=keys, cmd=st.sampled_from([b"SET", b"GET", b"SADD", b"HSET", b"TYPE", b"EXISTS", b"DEL",
                                         b"OBJECT"]))
    def other(self, key, cmd):
        extra = {b"SET": [b"x"], b"SADD": [b"m"], b"HSET": [b"f", b"v"]}
        if cmd == b"OBJECT":
            self.both([cmd, b"ENCODING", key])
        else:
            self.both([cmd, key, *extra.get(cmd, [])])


def test_random_streams_match_redis(redis_ref, mako, tmp_path_factory):
    run_machine(ListMachine, redis_ref, mako, lambda: start_mako(tmp_path_factory))
