"""Differential tests for the sorted-set commands: Redis 7.0.15 vs mako_numba.

Covered: ZADD (NX, XX, GT, LT, CH, INCR and their conflicts, repeated
members, every score spelling: integers, decimals, exponents, hex, inf,
-0, spaces, NaN), ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK,
ZCOUNT, ZLEXCOUNT, ZRANGE with BYSCORE / BYLEX / REV / LIMIT / WITHSCORES
and the older ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, ZRANGESTORE,
ZREMRANGEBYRANK / SCORE / LEX, ZPOPMIN, ZPOPMAX, ZMPOP, ZUNION, ZINTER,
ZDIFF and their STORE forms (WEIGHTS, AGGREGATE, sets as inputs),
ZINTERCARD, ZRANDMEMBER's defined replies, ZSCAN; score printing
(addReplyDouble: "%.17g", "inf", "-0"; RESP3 doubles); their errors in
Redis's order; WRONGTYPE both ways; the deletion of a sorted set left
empty; the listpack -> skiplist conversion (past zset-max-listpack-entries,
128, or a member longer than zset-max-listpack-value, 64; never back; the
STORE commands' results built small again) through OBJECT ENCODING; the
key-space commands on a sorted set; MULTI/EXEC; WATCH; keyspace counters.

Harness: tests/difftest.py's (each case a pipeline on fresh connections to
a real redis-server and to mako_numba after FLUSHALL on both, over RESP2
and after HELLO 3, replies compared byte for byte).  A sorted set's order is
defined in both encodings, so almost everything compares exactly; a
skiplist's ZSCAN order is its index's, so a whole scan is `Unordered`.
"""
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from colltest import Keyspace, compare, run_machine, with_key_space_rules
from conftest import start_mako
from difftest import C, Conn, Near, Sleep, Unordered, cmds, describe, differential, flushall, value
from difftest import parse as difftest_parse

M64 = "m" * 64              # the longest member a listpack keeps
M65 = "m" * 65


def pairs(n, start=0, prefix="m", score=lambda i: i):
    """ZADD's arguments for n members: <score(i)> prefix<i>."""
    out = []
    for i in range(start, start + n):
        out += [str(score(i)), prefix + str(i)]
    return out


def zadd(key, *args):
    return ["ZADD", key] + list(args)


class WholeScan(Unordered):
    """A ZSCAN reply holding a whole skiplist: the same cursor and member-score pairs, in any
    order (a skiplist is scanned in its index's order)."""

    def __init__(self, cmd):
        super().__init__(cmd)

    def key(self, reply):
        v = value(reply)
        if not isinstance(v, list) or len(v) != 2 or not isinstance(v[1], list):
            return (reply[:1], v)
        return (v[0], sorted(zip(v[1][0::2], v[1][1::2])))


BIG = zadd("z", *pairs(200, score=lambda i: i % 37))        # a skiplist, with ties
LEX = zadd("l", *[x for w in ["a", "b", "c", "d", "e", "f", "g", "aa", "ab", "", "zz", "123", "-5", "1e3"]
                  for x in ("0", w)])
LEXBIG = zadd("l", *[x for i in range(300) for x in ("0", "w%03d" % i)])

CASES = [
    # ---------------- ZADD ----------------
    ("zadd_basic", cmds("ZADD z 1 a 2 b 3 c", "ZADD z 4 a", "ZRANGE z 0 -1 WITHSCORES", "ZCARD z")),
    ("zadd_ties_order", cmds("ZADD z 1 c 1 a 1 b 0 z 2 y", "ZRANGE z 0 -1", "ZADD z 1 aa 1 A",
                             "ZRANGE z 0 -1 WITHSCORES")),
    ("zadd_repeated_member", cmds("ZADD z 1 a 2 a 3 a", "ZRANGE z 0 -1 WITHSCORES", "ZADD z CH 5 b 5 b 6 a",
                                  "ZADD z CH 6 a 1 a", "ZRANGE z 0 -1 WITHSCORES")),
    ("zadd_ch", cmds("ZADD z 1 a 2 b", "ZADD z CH 1 a 3 b 4 c", "ZADD z ch 1 a", "ZRANGE z 0 -1 WITHSCORES")),
    ("zadd_nx_xx", cmds("ZADD z 1 a", "ZADD z NX 2 a 3 b", "ZADD z XX 4 a 5 c", "ZADD z XX CH 7 a",
                        "ZRANGE z 0 -1 WITHSCORES", "ZADD missing XX 1 a", "EXISTS missing",
                        "ZADD missing XX INCR 1 a", "EXISTS missing")),
    ("zadd_gt_lt", cmds("ZADD z 5 a 5 b", "ZADD z GT 4 a 6 b 1 c", "ZADD z LT 4 a 7 b 9 d",
                        "ZADD z GT CH 100 a 1 b", "ZADD z LT CH 0 a 200 b", "ZADD z XX GT 300 a 1 new",
                        "ZRANGE z 0 -1 WITHSCORES", "ZADD z GT LT 1 a", "ZADD z NX GT 1 a", "ZADD z NX LT 1 a")),
    ("zadd_incr", cmds("ZADD z INCR 1.5 a", "ZADD z INCR 1.5 a", "ZADD z INCR -5 a", "ZADD z NX INCR 1 a",
                       "ZADD z XX INCR 1 b", "ZADD z GT INCR -1 a", "ZADD z LT INCR -1 a", "ZADD z INCR 0 a",
                       "ZADD z INCR 1 a 2 b", "ZSCORE z a", "ZRANGE z 0 -1 WITHSCORES")),
    ("zadd_incr_nan", cmds("ZADD z inf a", "ZADD z INCR -inf a", "ZSCORE z a", "ZINCRBY z -inf a",
                           "ZINCRBY z +inf a", "ZSCORE z a", "ZADD z INCR inf new", "ZSCORE z new")),
    ("zadd_options_order", cmds("ZADD z nx xx 1 a", "ZADD z CH NX INCR 1 a", "ZADD z INCR CH 2 a", "ZADD z gt 1",
                                "ZADD z 1", "ZADD z 1 a 2", "ZADD z NX", "ZADD z CH CH 1 b",
                                "ZRANGE z 0 -1 WITHSCORES")),
    ("zadd_bad_scores", cmds("ZADD z x a", "ZADD z 1 a x b", "ZADD z nan a", "ZADD z 1e400 a",
                             "ZADD z -1e400 a", "ZADD z 1e-400 a", ["ZADD", "z", " 1", "a"],
                             ["ZADD", "z", "1 ", "a"], ["ZADD", "z", "", "a"], ["ZADD", "z", "1\x002", "a"],
                             "ZADD z 1.5.5 a", "ZADD z -nan a", "EXISTS z")),
    ("zadd_score_spellings", cmds("ZADD z 0x10 a +5 b .5 c 5. d 1e3 e -0 f 0.1 g 1e-320 h 00012 i Infinity j",
                                  "ZADD z -INF k 1.0000000000000001 l 123456789012345678 m 0.30000000000000004 n",
                                  "ZRANGE z 0 -1 WITHSCORES", "ZSCORE z f", "ZSCORE z h", "ZMSCORE z a b c d")),
    ("zadd_scores_printed", cmds("ZADD z 3.14159265358979 a 1e17 b 1e16 c -1e16 d 4611686018427387904 e",
                                 "ZADD z 4611686018427387905 f 9.2233720368547758e18 g 1e300 h 2.5e-300 i",
                                 "ZADD z 99999999999999999 j 0.1 k 1.1 l 100.5 m -7 n",
                                 "ZRANGE z 0 -1 WITHSCORES", "ZSCAN z 0", "ZINCRBY z 0.2 k", "ZINCRBY z 1e17 b")),
    ("zadd_negative_zero", cmds("ZADD z -0 a", "ZSCORE z a", "ZADD z 0 b", "ZRANGE z 0 -1 WITHSCORES",
                                "ZADD s -0 a", "ZINCRBY s -0 a", "ZSCORE s a",
                                zadd("big", *pairs(130)), "ZADD big -0 neg", "ZSCORE big neg",
                                "ZINCRBY big 0 neg", "ZSCORE big neg")),
    ("zadd_negative_zero_converting", cmds("CONFIG SET zset-max-listpack-entries 2", "ZADD y -0 a 1 b 2 c",
                                           "ZRANGE y 0 -1 WITHSCORES", "ZADD x -0 a", "ZADD x 1 b 2 c -0 d",
                                           "ZRANGE x 0 -1 WITHSCORES", "ZADD w 5 a", "ZADD w -0 a 1 b 2 c -0 d",
                                           "ZRANGE w 0 -1 WITHSCORES", "ZADD v INCR -0 a", "ZSCORE v a",
                                           "CONFIG SET zset-max-listpack-entries 128")),
    ("zadd_arity", cmds("ZADD", "ZADD z", "ZADD z 1", "ZINCRBY z 1", "ZINCRBY z 1 a b")),
    ("zadd_member_binary", cmds(["ZADD", "z", "1", "a\x00b", "2", "\r\n", "3", "\xff", "4", ""],
                                "ZRANGE z 0 -1 WITHSCORES", ["ZSCORE", "z", "a\x00b"], ["ZSCORE", "z", ""],
                                ["ZRANK", "z", "\xff"])),
    ("zadd_integer_members", cmds("ZADD z 1 123 2 -5 3 0 4 007 5 -0 6 9223372036854775807 7 99999999999999999999",
                                  "ZRANGE z 0 -1 WITHSCORES", "ZSCORE z 123", "ZSCORE z 007", "ZRANK z -0",
                                  "ZRANGEBYLEX z - +", "ZREM z 0 123", "ZRANGE z 0 -1")),
    ("zincrby", cmds("ZINCRBY z 1 a", "ZINCRBY z 2.5 a", "ZINCRBY z -3.5 a", "ZINCRBY z x a", "ZINCRBY z nan a",
                     "ZSCORE z a", "ZINCRBY z 1e400 a", "ZINCRBY z 0.1 b", "ZINCRBY z 0.2 b")),
    ("zincrby_nx_literal", cmds("ZINCRBY z nx a", "ZINCRBY z incr a", "ZINCRBY z 1 nx", "ZRANGE z 0 -1")),
    # ---------------- ZREM ----------------
    ("zrem", cmds("ZADD z 1 a 2 b 3 c", "ZREM z a", "ZREM z a x", "ZREM z b c d", "EXISTS z", "ZREM z a",
                  "ZREM missing a")),
    ("zrem_repeats", cmds("ZADD z 1 a 2 b", "ZREM z a a a", "ZRANGE z 0 -1", "ZREM z b b", "EXISTS z")),
    ("zrem_arity", cmds("ZREM", "ZREM z")),
    # ---------------- reads ----------------
    ("zcard_zscore", cmds("ZCARD z", "ZSCORE z a", "ZADD z 1 a", "ZCARD z", "ZSCORE z a", "ZSCORE z b",
                          "ZCARD z x", "ZSCORE z")),
    ("zmscore", cmds("ZMSCORE z a", "ZADD z 1 a 2.5 b", "ZMSCORE z a b c a", "ZMSCORE z", "ZMSCORE")),
    ("zrank", cmds("ZADD z 1 a 2 b 3 c 3 d", "ZRANK z a", "ZRANK z d", "ZREVRANK z a", "ZREVRANK z d",
                   "ZRANK z x", "ZREVRANK z x", "ZRANK missing a", "ZRANK z", "ZRANK z a b")),
    ("zcount", cmds("ZADD z 1 a 2 b 3 c 4 d 5 e", "ZCOUNT z 2 4", "ZCOUNT z (2 4", "ZCOUNT z 2 (4",
                    "ZCOUNT z (2 (4", "ZCOUNT z -inf +inf", "ZCOUNT z 5 1", "ZCOUNT z 3 3", "ZCOUNT z (3 3",
                    "ZCOUNT z x 1", "ZCOUNT z 1 (x", "ZCOUNT z nan 1", ["ZCOUNT", "z", "", ""],
                    "ZCOUNT z ( (", ["ZCOUNT", "z", " 2", "4 "], ["ZCOUNT", "z", " 2", " 4"], "ZCOUNT z 1e400 inf",
                    "ZCOUNT z -1e400 0x3", "ZCOUNT missing 0 1", "ZCOUNT missing x 1", "ZCOUNT z 1")),
    ("zlexcount", cmds(LEX, "ZLEXCOUNT l - +", "ZLEXCOUNT l [a [c", "ZLEXCOUNT l (a (c", "ZLEXCOUNT l [ [",
                                  "ZLEXCOUNT l ( [a", "ZLEXCOUNT l + -", "ZLEXCOUNT l - -", "ZLEXCOUNT l a c",
                                  "ZLEXCOUNT l [a", "ZLEXCOUNT l -x +", "ZLEXCOUNT l [1 [2", "ZLEXCOUNT missing - +",
                                  "ZLEXCOUNT missing a b", ["ZLEXCOUNT", "l", "", "+"])),
    # ---------------- ZRANGE ----------------
    ("zrange_rank", cmds(zadd("z", *pairs(10)), "ZRANGE z 0 3", "ZRANGE z -3 -1", "ZRANGE z 5 2", "ZRANGE z 20 30",
                         "ZRANGE z -100 1", "ZRANGE z 0 -1 WITHSCORES", "ZRANGE z 1 2 withscores", "ZRANGE z 0 -11",
                         "ZRANGE z 0 -10", "ZRANGE z x 1", "ZRANGE z 0 1 REV", "ZRANGE z 0 1 REV WITHSCORES",
                         "ZRANGE missing 0 -1", "ZRANGE z 0 1 LIMIT 0 1", "ZRANGE z 0 1 LIMIT 0 -1",
                         "ZRANGE z 0 1 FOO", "ZRANGE z 0", "ZREVRANGE z 0 2", "ZREVRANGE z 0 2 WITHSCORES",
                         "ZREVRANGE z 0 2 REV", "ZREVRANGE z 0 2 LIMIT 0 1", "ZREVRANGE z 0 2 BYSCORE")),
    ("zrange_byscore", cmds(zadd("z", *pairs(10)), "ZRANGE z 2 5 BYSCORE", "ZRANGE z (2 (5 BYSCORE WITHSCORES",
                            "ZRANGE z 5 2 BYSCORE REV", "ZRANGE z -inf +inf BYSCORE LIMIT 2 3",
                            "ZRANGE z -inf +inf BYSCORE LIMIT 2 -1", "ZRANGE z -inf +inf BYSCORE LIMIT -1 3",
                            "ZRANGE z -inf +inf BYSCORE LIMIT 9 3", "ZRANGE z -inf +inf BYSCORE LIMIT 10 3",
                            "ZRANGE z -inf +inf BYSCORE LIMIT 0 0", "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2",
                            "ZRANGE z x 1 BYSCORE", "ZRANGE z 1 2 BYSCORE LIMIT x 1", "ZRANGE z 1 2 BYSCORE LIMIT 1",
                            "ZRANGE z 1 2 BYSCORE BYSCORE", "ZRANGE z 1 2 BYSCORE BYLEX", "ZRANGE z 1 2 REV REV",
                            "ZRANGEBYSCORE z 2 5", "ZRANGEBYSCORE z 2 5 WITHSCORES LIMIT 1 2",
                            "ZRANGEBYSCORE z 2 5 LIMIT 1 2 WITHSCORES", "ZREVRANGEBYSCORE z 5 2",
                            "ZREVRANGEBYSCORE z 5 2 WITHSCORES LIMIT 1 1", "ZRANGEBYSCORE z 2 5 REV",
                            "ZRANGEBYSCORE z 2 5 BYSCORE", "ZRANGEBYSCORE z 5 2", "ZREVRANGEBYSCORE z 2 5",
                            "ZRANGEBYSCORE missing 0 1", "ZRANGEBYSCORE z a b", "ZRANGEBYSCORE z 1")),
    ("zrange_bylex", cmds(LEX, "ZRANGE l - + BYLEX", "ZRANGE l [a (c BYLEX", "ZRANGE l + - BYLEX REV",
                                     "ZRANGE l (c [a BYLEX REV", "ZRANGE l - + BYLEX LIMIT 2 3",
                                     "ZRANGE l - + BYLEX LIMIT -1 3", "ZRANGE l - + BYLEX LIMIT 100 3",
                                     "ZRANGE l - + BYLEX WITHSCORES", "ZRANGE l a c BYLEX", "ZRANGEBYLEX l - +",
                                     "ZRANGEBYLEX l [b [d LIMIT 1 1", "ZREVRANGEBYLEX l + -",
                                     "ZREVRANGEBYLEX l [d [b", "ZRANGEBYLEX l [d [b", "ZRANGEBYLEX l - + WITHSCORES",
                                     "ZRANGEBYLEX missing - +", "ZRANGEBYLEX l [1 +", "ZRANGEBYLEX l (-5 (a")),
    ("zrange_bylex_mixed_scores", cmds("ZADD z 1 a 2 b 0 c 0 d", "ZRANGEBYLEX z - +", "ZRANGEBYLEX z [b [d",
                                       "ZLEXCOUNT z [a [z")),
    ("zrangestore", cmds(zadd("z", *pairs(10)), "ZRANGESTORE d z 2 5", "ZRANGE d 0 -1 WITHSCORES",
                         "ZRANGESTORE d z 5 2", "EXISTS d", "ZRANGESTORE d z 0 -1 BYSCORE LIMIT 1 2",
                         "ZRANGE d 0 -1 WITHSCORES", "ZRANGESTORE d z (5 +inf BYSCORE REV", "ZRANGESTORE d z 8 3 BYSCORE REV",
                         "ZRANGE d 0 -1 WITHSCORES", "ZRANGESTORE d z 0 1 WITHSCORES", "ZRANGESTORE d missing 0 -1",
                         "EXISTS d", "SET s x", "ZRANGESTORE s z 0 0", "TYPE s", "ZRANGESTORE d s 0 0",
                         "EXPIRE s 100", "ZRANGESTORE s z 1 1", "TTL s", "ZRANGESTORE z z 1 2", "ZRANGE z 0 -1",
                         "ZRANGESTORE d z 0", "ZRANGESTORE d z x 1")),
    ("zrangestore_bylex", cmds(LEX, "ZRANGESTORE d l [b [e BYLEX", "ZRANGE d 0 -1 WITHSCORES",
                                          "ZRANGESTORE d l [e [b BYLEX REV LIMIT 0 2", "ZRANGE d 0 -1")),
    # ---------------- ZREMRANGEBY* ----------------
    ("zremrangebyrank", cmds(zadd("z", *pairs(10)), "ZREMRANGEBYRANK z 0 1", "ZREMRANGEBYRANK z -2 -1",
                             "ZREMRANGEBYRANK z 5 2", "ZREMRANGEBYRANK z 10 20", "ZRANGE z 0 -1",
                             "ZREMRANGEBYRANK z x 1", "ZREMRANGEBYRANK z 0 -1", "EXISTS z",
                             "ZREMRANGEBYRANK missing 0 -1", "ZREMRANGEBYRANK z 0")),
    ("zremrangebyscore", cmds(zadd("z", *pairs(10)), "ZREMRANGEBYSCORE z 2 4", "ZREMRANGEBYSCORE z (5 (7",
                              "ZREMRANGEBYSCORE z 100 200", "ZRANGE z 0 -1", "ZREMRANGEBYSCORE z x 1",
                              "ZREMRANGEBYSCORE z -inf +inf", "EXISTS z", "ZREMRANGEBYSCORE missing x 1")),
    ("zremrangebylex", cmds(LEX, "ZREMRANGEBYLEX l [b [d", "ZREMRANGEBYLEX l (e +", "ZRANGE l 0 -1",
                                       "ZREMRANGEBYLEX l a b", "ZREMRANGEBYLEX l - +", "EXISTS l",
                                       "ZREMRANGEBYLEX missing - +", "ZREMRANGEBYLEX missing a b")),
    # ---------------- pops ----------------
    ("zpopmin_max", cmds(zadd("z", *pairs(6)), "ZPOPMIN z", "ZPOPMAX z", "ZPOPMIN z 2", "ZPOPMAX z 0",
                         "ZPOPMAX z 10", "EXISTS z", "ZPOPMIN z", "ZPOPMIN z 3", "ZPOPMIN z -1", "ZPOPMIN z x",
                         "ZPOPMIN z 1 2", "ZPOPMIN")),
    ("zmpop", cmds(zadd("a", *pairs(4)), zadd("b", *pairs(2)), "ZMPOP 2 x a MIN", "ZMPOP 2 x a MAX COUNT 2",
                   "ZMPOP 3 x a b MIN COUNT 10", "ZMPOP 2 x b MIN", "ZMPOP 1 x MIN", "ZMPOP 0 a MIN",
                   "ZMPOP -1 a MIN", "ZMPOP x a MIN", "ZMPOP 1 a FOO", "ZMPOP 2 a MIN", "ZMPOP 1 a MIN COUNT 0",
                   "ZMPOP 1 a MIN COUNT x", "ZMPOP 1 a MIN COUNT 1 COUNT 1", "ZMPOP 1 a MIN COUNT",
                   "ZMPOP 5 a MIN", "SET s x", "ZMPOP 2 x s MIN", "ZMPOP 2 s x MIN", "ZMPOP 1 a min count 1",
                   "ZMPOP")),
    # ---------------- several keys ----------------
    ("zunion", cmds("ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 w", "ZUNION 2 a b", "ZUNION 2 a b WITHSCORES",
                    "ZUNION 2 a b WEIGHTS 2 3 WITHSCORES", "ZUNION 2 a b AGGREGATE MIN WITHSCORES",
                    "ZUNION 2 a b AGGREGATE max WITHSCORES", "ZUNION 3 a b missing WITHSCORES",
                    "ZUNION 1 missing", "ZUNION 2 a a WITHSCORES", "ZUNION 2 a b WEIGHTS 1",
                    "ZUNION 2 a b WEIGHTS 1 x", "ZUNION 2 a b AGGREGATE foo", "ZUNION 2 a b AGGREGATE",
                    "ZUNION 0 a", "ZUNION -1 a", "ZUNION x a", "ZUNION 3 a b", "ZUNION 2 a b LIMIT 1",
                    "ZUNION 2 a b WITHSCORES WITHSCORES", "ZUNION")),
    ("zunion_inf_nan", cmds("ZADD a inf x -inf y 0 z", "ZADD b -inf x inf y 1 z",
                            "ZUNION 2 a b WITHSCORES", "ZUNION 2 a b WEIGHTS 0 1 WITHSCORES",
                            "ZINTER 2 a b WITHSCORES", "ZINTER 2 a b WEIGHTS 0 0 WITHSCORES",
                            "ZUNION 2 a b AGGREGATE MIN WEIGHTS 0 1 WITHSCORES")),
    ("zinter", cmds("ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 z 5 w", "ZINTER 2 a b WITHSCORES",
                    "ZINTER 2 a b WEIGHTS 1 -1 WITHSCORES", "ZINTER 2 a b AGGREGATE MAX", "ZINTER 2 a missing",
                    "ZINTER 2 a a WITHSCORES", "ZINTER 2 a a WEIGHTS 1 2 AGGREGATE SUM WITHSCORES")),
    ("zdiff", cmds("ZADD a 1 x 2 y 3 z", "ZADD b 10 y", "ZDIFF 2 a b", "ZDIFF 2 a b WITHSCORES", "ZDIFF 1 a",
                   "ZDIFF 2 a a", "ZDIFF 2 missing a", "ZDIFF 2 a missing WITHSCORES", "ZDIFF 2 a b WEIGHTS 1 1",
                   "ZDIFF 2 a b AGGREGATE SUM")),
    ("zsetops_with_sets", cmds("ZADD a 1 x 2 y 5 3", "SADD s y z 3", "SADD i 1 2 3", "ZUNION 3 a s i WITHSCORES",
                               "ZINTER 2 a s WITHSCORES", "ZINTER 2 s i WITHSCORES", "ZDIFF 2 a s WITHSCORES",
                               "ZDIFF 2 s a WITHSCORES", "ZUNION 2 s i WEIGHTS 2 3 WITHSCORES",
                               "ZINTERCARD 2 a s", "ZUNIONSTORE d 2 s i", "ZRANGE d 0 -1 WITHSCORES",
                               "OBJECT ENCODING d")),
    ("zsetops_store", cmds("ZADD a 1 x 2 y 3 z", "ZADD b 10 y 20 w", "ZUNIONSTORE d 2 a b",
                           "ZRANGE d 0 -1 WITHSCORES", "OBJECT ENCODING d", "ZINTERSTORE d 2 a b WEIGHTS 2 2",
                           "ZRANGE d 0 -1 WITHSCORES", "ZDIFFSTORE d 2 a b", "ZRANGE d 0 -1 WITHSCORES",
                           "ZINTERSTORE d 2 a missing", "EXISTS d", "ZINTERSTORE d 2 a missing",
                           "SET s x", "EXPIRE s 100", "ZUNIONSTORE s 1 a", "TYPE s", "TTL s", "ZUNIONSTORE a 2 a b",
                           "ZRANGE a 0 -1 WITHSCORES", "ZUNIONSTORE d 2 a b WITHSCORES", "ZUNIONSTORE d 0 a",
                           "ZDIFFSTORE d 0 a", "ZINTERSTORE d 1", "ZUNIONSTORE d", "ZDIFFSTORE d 2 a b WEIGHTS 1 2")),
    ("zintercard", cmds("ZADD a 1 x 2 y 3 z", "ZADD b 1 y 1 z 1 w", "ZINTERCARD 2 a b", "ZINTERCARD 2 a b LIMIT 1",
                        "ZINTERCARD 2 a b LIMIT 0", "ZINTERCARD 2 a b LIMIT -1", "ZINTERCARD 2 a b LIMIT x",
                        "ZINTERCARD 1 a", "ZINTERCARD 2 a missing", "ZINTERCARD 0 a", "ZINTERCARD 2 a",
                        "ZINTERCARD 2 a b WITHSCORES", "ZINTERCARD 2 a b WEIGHTS 1 1", "ZINTERCARD 2 a a")),
    ("zsetops_wrongtype", cmds("ZADD a 1 x", "SET s x", "ZUNION 2 a s", "ZUNION 2 s a FOO", "ZINTERSTORE d 2 a s",
                               "HSET h a 1", "ZDIFF 2 a h", "ZINTERCARD 2 h a", "LPUSH li a", "ZUNION 1 li")),
    ("zsetops_big", cmds(zadd("a", *pairs(300)), zadd("b", *pairs(200, 100, score=lambda i: i * 0.5)),
                         "ZUNIONSTORE u 2 a b", "OBJECT ENCODING u", "ZRANGE u 0 9 WITHSCORES",
                         "ZRANGE u -5 -1 WITHSCORES", "ZINTERSTORE i 2 a b AGGREGATE MAX", "OBJECT ENCODING i",
                         "ZCARD i", "ZRANGE i 0 4 WITHSCORES", "ZDIFFSTORE df 2 a b", "OBJECT ENCODING df",
                         "ZRANGE df 0 -1 WITHSCORES", "ZINTERSTORE small 2 a b WEIGHTS 1 0 AGGREGATE MIN",
                         "ZREMRANGEBYRANK small 10 -1", "OBJECT ENCODING small",
                         "ZUNIONSTORE small2 1 small", "OBJECT ENCODING small2", "ZINTERCARD 2 a b",
                         "ZINTERCARD 2 a b LIMIT 7")),
    # ---------------- ZRANDMEMBER (what is defined) ----------------
    ("zrandmember_defined", cmds("ZRANDMEMBER z", "ZRANDMEMBER z 5", "ZRANDMEMBER z -5 WITHSCORES",
                                 "ZADD z 1 a 2 b 3 c", "ZRANDMEMBER z 3", "ZRANDMEMBER z 10 WITHSCORES",
                                 "ZRANDMEMBER z 0", "ZRANDMEMBER z 0 WITHSCORES", "ZADD one 1.5 x", "ZRANDMEMBER one",
                                 "ZRANDMEMBER one -3 WITHSCORES", "ZRANDMEMBER one 1 withscores",
                                 "ZRANDMEMBER z x", "ZRANDMEMBER z 1 FOO", "ZRANDMEMBER z 1 WITHSCORES x",
                                 "ZRANDMEMBER z -9223372036854775808", "ZRANDMEMBER z 4611686018427387904 WITHSCORES",
                                 "ZRANDMEMBER z -4611686018427387904 WITHSCORES",
                                 "ZRANDMEMBER z 4611686018427387903 WITHSCORES", "ZRANDMEMBER",
                                 "ZRANDMEMBER missing x", "ZRANDMEMBER missing 1 FOO")),
    ("zrandmember_whole_skiplist", cmds(BIG, "ZRANDMEMBER z 200", "ZRANDMEMBER z 1000 WITHSCORES")),
    # ---------------- ZSCAN ----------------
    ("zscan_listpack", cmds("ZADD z 1 a 2.5 b 3 ab 1e20 c -inf d 7 123", "ZSCAN z 0", "ZSCAN z 0 COUNT 1",
                            "ZSCAN z 0 MATCH a*", "ZSCAN z 5 match *b count 100", "ZSCAN missing 0",
                            "ZSCAN z x", "ZSCAN z 0 COUNT 0", "ZSCAN z 0 MATCH", "ZSCAN z 0 TYPE zset",
                            "ZSCAN missing 0 FOO", "ZSCAN z")),
    ("zscan_skiplist", cmds(zadd("z", *pairs(300, score=lambda i: i / 4)),
                            WholeScan("ZSCAN z 0 COUNT 1000"), "ZSCAN z x")),
    # ---------------- WRONGTYPE ----------------
    ("zset_cmds_on_string", cmds("SET s x", "ZADD s 1 a", "ZINCRBY s 1 a", "ZREM s a", "ZCARD s", "ZSCORE s a",
                                 "ZMSCORE s a", "ZRANK s a", "ZREVRANK s a", "ZCOUNT s 0 1", "ZLEXCOUNT s - +",
                                 "ZRANGE s 0 1", "ZRANGEBYSCORE s 0 1", "ZRANGEBYLEX s - +", "ZREVRANGE s 0 1",
                                 "ZRANGESTORE d s 0 1", "ZREMRANGEBYRANK s 0 1", "ZREMRANGEBYSCORE s 0 1",
                                 "ZREMRANGEBYLEX s - +", "ZPOPMIN s", "ZPOPMAX s 2", "ZRANDMEMBER s",
                                 "ZRANDMEMBER s 2", "ZSCAN s 0", "ZADD s XX 1 a", "GET s")),
    ("zset_cmds_on_hash", cmds("HSET h a 1", "ZADD h 1 a", "ZSCORE h a", "ZRANGE h 0 -1", "ZCARD h")),
    ("other_cmds_on_zset", cmds("ZADD z 1 a", "GET z", "INCR z", "APPEND z x", "HGET z a", "SADD z a",
                                "SMEMBERS z", "LPUSH z a", "LLEN z", "HSET z a 1", "TYPE z", "ZRANGE z 0 -1")),
    ("errors_before_wrongtype", cmds("SET s x", "ZADD s x a", "ZADD s NX XX 1 a", "ZCOUNT s x 1",
                                     "ZLEXCOUNT s x y", "ZRANGE s x 1", "ZRANGEBYSCORE s x 1", "ZREMRANGEBYRANK s x 1",
                                     "ZPOPMIN s x", "ZRANDMEMBER s x", "ZSCAN s x")),
    ("set_overwrites_zset", cmds("ZADD z 1 a", "SET z x", "TYPE z", "GET z")),
    # ---------------- encodings ----------------
    ("enc_small", cmds("ZADD z 1 a", "OBJECT ENCODING z", "ZINCRBY y 1 a", "OBJECT ENCODING y")),
    ("enc_128", cmds(zadd("z", *pairs(128)), "OBJECT ENCODING z", "ZADD z 1 m1", "OBJECT ENCODING z",
                     "ZADD z 1 new", "OBJECT ENCODING z", "ZCARD z", "ZRANGE z 0 3 WITHSCORES")),
    ("enc_129", cmds(zadd("z", *pairs(129)), "OBJECT ENCODING z", "ZRANGE z 0 -1 WITHSCORES")),
    ("enc_129_same_member", cmds(zadd("z", *(["1", "a"] * 200)), "OBJECT ENCODING z", "ZRANGE z 0 -1")),
    ("enc_across_calls", cmds(zadd("z", *pairs(100)), zadd("z", *pairs(40, 90)), "OBJECT ENCODING z",
                              "ZCARD z")),
    ("enc_member_64_65", cmds(zadd("z", "1", M64), "OBJECT ENCODING z", zadd("y", "1", "a"), zadd("y", "2", M65),
                              "OBJECT ENCODING y", "ZRANGE y 0 -1", zadd("x", "1", M65, "2", "b"),
                              "OBJECT ENCODING x", zadd("w", "1", "a", "2", M65), "OBJECT ENCODING w",
                              zadd("v", "1", M65), "ZREM v " + M65, "EXISTS v")),
    ("enc_long_member_update_only", cmds(zadd("z", "1", "a"), zadd("z", "XX", "2", M65), "OBJECT ENCODING z",
                                         zadd("z", "NX", "2", "a"), "OBJECT ENCODING z")),
    ("enc_never_back", cmds(zadd("z", *pairs(130)), "ZREMRANGEBYRANK z 5 -1", "OBJECT ENCODING z",
                            "ZRANGE z 0 -1 WITHSCORES", zadd("y", "1", M65, "2", "a"), "ZREM y " + M65,
                            "OBJECT ENCODING y")),
    ("enc_limits_changed", cmds("CONFIG SET zset-max-listpack-entries 2", "ZADD z 1 a 2 b", "OBJECT ENCODING z",
                                "ZADD z 3 c", "OBJECT ENCODING z", "CONFIG SET zset-max-listpack-entries 0",
                                "ZADD y 1 a", "OBJECT ENCODING y", "ZINCRBY x 1 a", "OBJECT ENCODING x",
                                "CONFIG SET zset-max-ziplist-entries 128", "CONFIG GET zset-max-listpack-entries",
                                "CONFIG SET zset-max-listpack-value 3", "ZADD w 1 abcd", "OBJECT ENCODING w",
                                "ZADD v 1 abc 2 abcd", "OBJECT ENCODING v", "CONFIG SET zset-max-ziplist-value 64",
                                "CONFIG GET zset-max-ziplist-value", "CONFIG GET zset-max-listpack-value")),
    ("enc_store_results", cmds(zadd("z", *pairs(200)), "ZRANGESTORE d z 0 127", "OBJECT ENCODING d",
                               "ZRANGESTORE d z 0 128", "OBJECT ENCODING d", "ZRANGESTORE d z 0 150 BYSCORE LIMIT 0 128",
                               "OBJECT ENCODING d", "ZRANGESTORE d z 0 150 BYSCORE LIMIT 0 129", "OBJECT ENCODING d",
                               "ZADD long 1 " + M65, "ZRANGESTORE d long 0 -1", "OBJECT ENCODING d",
                               "ZUNIONSTORE d 1 long", "OBJECT ENCODING d")),
    # ---------------- skiplist behaviour ----------------
    ("skiplist_reads", cmds(BIG, "ZCARD z", "ZSCORE z m77", "ZMSCORE z m1 m2 nope", "ZRANK z m77", "ZREVRANK z m77",
                            "ZRANK z nope", "ZCOUNT z 3 (10", "ZCOUNT z -inf +inf", "ZRANGE z 10 20 WITHSCORES",
                            "ZRANGE z -20 -10", "ZREVRANGE z 5 15 WITHSCORES", "ZRANGEBYSCORE z (5 7 LIMIT 3 20",
                            "ZREVRANGEBYSCORE z 7 (5 WITHSCORES LIMIT 2 5", "ZRANGE z 36 +inf BYSCORE",
                            "ZRANGE z -1 0 BYSCORE", "ZRANGE z +inf 36 BYSCORE REV WITHSCORES")),
    ("skiplist_writes", cmds(BIG, "ZADD z 100 m1 -1 m2 5.5 m3", "ZADD z CH GT 0 m4 200 m5", "ZINCRBY z 0.25 m6",
                             "ZREM z m7 m8 nope", "ZRANGE z 0 5 WITHSCORES", "ZRANGE z -3 -1 WITHSCORES",
                             "ZREMRANGEBYSCORE z 10 12", "ZREMRANGEBYRANK z 0 9", "ZCARD z",
                             "ZPOPMIN z 3", "ZPOPMAX z 2", "ZMPOP 1 z MAX COUNT 2", "ZRANGE z 0 -1 WITHSCORES",
                             "OBJECT ENCODING z")),
    ("skiplist_lex", cmds(LEXBIG, "ZLEXCOUNT l [w010 (w020", "ZRANGEBYLEX l [w295 +", "ZREVRANGEBYLEX l (w005 -",
                          "ZRANGEBYLEX l - + LIMIT 100 5", "ZREMRANGEBYLEX l [w100 [w199", "ZCARD l",
                          "ZRANGEBYLEX l (w098 [w202", "ZLEXCOUNT l - +")),
    ("skiplist_empties", cmds(BIG, "ZREMRANGEBYSCORE z -inf +inf", "EXISTS z", BIG, "ZPOPMIN z 1000",
                              "EXISTS z", BIG, "ZREMRANGEBYLEX z - +", "EXISTS z")),
    ("skiplist_churn", cmds(zadd("z", *pairs(500)), ["ZREM", "z"] + ["m%d" % i for i in range(0, 500, 2)],
                            zadd("z", *pairs(400, 1000, prefix="n", score=lambda i: -i)),
                            zadd("z", *pairs(300, score=lambda i: i * 2.5)),
                            "ZCARD z", "ZRANGE z 0 9 WITHSCORES", "ZRANGE z 300 310 WITHSCORES",
                            "ZRANGE z -10 -1 WITHSCORES", "ZRANK z m299", "ZRANK z n1001", "ZSCORE z m298")),
    ("big_members", cmds(zadd("z", "1", "x" * 200, "2", "y" * 5000, "3", "a"), "OBJECT ENCODING z",
                         "ZRANGE z 0 -1", "ZSCORE z " + "x" * 200, "ZREM z " + "y" * 5000, "ZRANGE z 0 -1")),
    # ---------------- key space ----------------
    ("keyspace", cmds("ZADD z 1 a", "TYPE z", "EXISTS z", "RENAME z y", "ZRANGE y 0 -1", "COPY y x",
                      "ZADD x 2 b", "ZRANGE y 0 -1", "ZRANGE x 0 -1", "MOVE x 1", "SELECT 1", "ZRANGE x 0 -1",
                      "SELECT 0", "DEL y", "EXISTS y", "OBJECT ENCODING x")),
    ("keyspace_skiplist", cmds(BIG, "COPY z c", "RENAME z r", "ZCARD r", "ZCARD c", "ZADD c 1 new", "ZCARD r",
                               "OBJECT ENCODING c", "ZRANGE c 0 3", "DEL c r", "DBSIZE")),
    ("expire", cmds("ZADD z 1 a", "EXPIRE z 100", Near("TTL z", 99, 100), "ZADD z 2 b", Near("TTL z", 99, 100),
                    "ZREM z a b", "EXISTS z", "ZADD z 1 a", "TTL z", "PEXPIRE z 1", Sleep(20), "ZCARD z",
                    "ZADD z 5 c", "ZRANGE z 0 -1 WITHSCORES")),
    # ---------------- MULTI / EXEC ----------------
    ("multi_exec", cmds("MULTI", "ZADD z 1 a 2 b", "ZINCRBY z 1 a", "ZADD z x a", "ZRANGE z 0 -1 WITHSCORES",
                        "ZPOPMIN z", "ZMPOP 1 z MAX", "EXISTS z", "EXEC")),
    ("multi_wrongtype_inside", cmds("SET s x", "MULTI", "ZADD s 1 a", "GET s", "EXEC")),
    ("multi_arity_aborts", cmds("MULTI", "ZADD z 1 a", "ZADD z", "EXEC", "EXISTS z")),
    # ---------------- WATCH ----------------
    ("watch_zadd_aborts", cmds("ZADD z 1 a", "WATCH z", "ZADD z 2 a", "MULTI", "ZSCORE z a", "EXEC")),
    ("watch_zadd_same_runs", cmds("ZADD z 1 a", "WATCH z", "ZADD z 1 a", "ZADD z NX 5 a", "ZADD z XX 1 b",
                                  "ZADD z GT 0 a", "ZINCRBY z 0 a", "MULTI", "ZSCORE z a", "EXEC")),
    ("watch_zrem_absent_runs", cmds("ZADD z 1 a", "WATCH z", "ZREM z x", "ZREMRANGEBYSCORE z 5 6",
                                    "ZPOPMIN missing", "MULTI", "ZCARD z", "EXEC")),
    ("watch_zrem_aborts", cmds("ZADD z 1 a 2 b", "WATCH z", "ZREM z a", "MULTI", "ZCARD z", "EXEC")),
    ("watch_zpop_aborts", cmds("ZADD z 1 a", "WATCH z", "ZPOPMAX z", "MULTI", "ZCARD z", "EXEC")),
    ("watch_store_aborts", cmds("ZADD a 1 x", "WATCH d", "ZUNIONSTORE d 1 a", "MULTI", "ZCARD d", "EXEC")),
    ("watch_store_empty_absent_runs", cmds("WATCH d", "ZINTERSTORE d 1 missing", "ZRANGESTORE d missing 0 -1",
                                           "MULTI", "EXISTS d", "EXEC")),
    ("watch_reads_run", cmds("ZADD z 1 a", "WATCH z", "ZSCORE z a", "ZRANGE z 0 -1", "ZCARD z", "ZRANK z a",
                             "ZSCAN z 0", "ZRANDMEMBER z", "ZUNION 1 z", "MULTI", "ZCARD z", "EXEC")),
    # ---------------- keyspace counters ----------------
    ("stats_reads", cmds("ZADD z 1 a", "CONFIG RESETSTAT", "ZSCORE z a", "ZSCORE missing a", "ZCARD z",
                         "ZCARD missing", "ZMSCORE z a", "ZMSCORE missing a", "ZRANK z a", "ZRANK missing a",
                         "ZCOUNT z 0 1", "ZCOUNT missing 0 1", "ZRANGE z 0 -1", "ZRANGE missing 0 -1",
                         "ZRANGEBYLEX z - +", "ZRANDMEMBER z", "ZRANDMEMBER missing 2", "ZSCAN z 0",
                         "ZSCAN missing 0", "ZUNION 2 z missing", "ZINTERCARD 2 z missing", "ZRANGESTORE d z 0 -1",
                         "ZRANGESTORE d missing 0 -1", "ZUNION 2 z missing FOO", Keyspace())),
    ("stats_writes_count_nothing", cmds("ZADD z 1 a", "CONFIG RESETSTAT", "ZADD z 2 b", "ZADD n 1 a", "ZREM z b",
                                        "ZREM missing a", "ZINCRBY z 1 a", "ZPOPMIN z", "ZPOPMIN missing",
                                        "ZREMRANGEBYRANK missing 0 1", Keyspace())),
    ("stats_wrongtype", cmds("SET s x", "CONFIG RESETSTAT", "ZSCORE s a", "ZRANGE s 0 1", "ZUNION 2 missing s",
                             "ZADD s 1 a", Keyspace())),
]

IDS = [c[0] for c in CASES]
assert len(set(IDS)) == len(IDS)

test_same_replies = differential(CASES, compare=compare)


# --------------------------------------------------------------------------------------
# ZRANDMEMBER: properties of each server's reply
# --------------------------------------------------------------------------------------

def value3(reply):
    """difftest.value, with RESP3 doubles (",1.5") read as their text."""
    def parse(buf, pos):
        if buf[pos:pos + 1] == b",":
            e = buf.index(b"\r\n", pos)
            return bytes(buf[pos + 1:e]), e + 2
        if buf[pos:pos + 1] in (b"*", b"~"):
            e = buf.index(b"\r\n", pos)
            n = int(buf[pos + 1:e])
            pos = e + 2
            if n < 0:
                return None, pos
            out = []
            for _ in range(n):
                v, pos = parse(buf, pos)
                out.append(v)
            return out, pos
        return difftest_parse(buf, pos)
    if reply is None:
        return None
    v, end = parse(reply, 0)
    assert end == len(reply)
    return v


def zset_of(conn, key):
    """({member: score text}, [members in order], encoding) of a sorted set on one server."""
    flat = value3(conn.call(b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"))
    flat = [x for p in flat for x in p] if flat and isinstance(flat[0], list) else flat
    enc = value3(conn.call(b"OBJECT", b"ENCODING", key))
    return dict(zip(flat[0::2], flat[1::2])), flat[0::2], enc


def zrandmember_problems(cmd, scores, order, enc, reply, resp3):
    """What is wrong with one server's reply (raw) to ZRANDMEMBER cmd on a set of `scores`."""
    v = value3(reply)
    if len(cmd) == 2:
        if not scores:
            return [] if v is None else ["a missing key answers nil, got %r" % reply]
        return [] if v in scores else ["%r is not one member" % reply]
    count = int(cmd[2])
    ws = len(cmd) == 4
    if not isinstance(v, list):
        return ["%r is not an array" % reply]
    if ws and resp3:
        if not all(isinstance(p, list) and len(p) == 2 for p in v):
            return ["RESP3 WITHSCORES answers [member, score] pairs, got %r" % reply]
        got = [tuple(p) for p in v]
    elif ws:
        got = list(zip(v[0::2], v[1::2]))
    else:
        got = [(m, scores.get(m)) for m in v]
    ms = [m for m, _ in got]
    n = min(count, len(scores)) if count >= 0 else (-count if scores else 0)
    bad = []
    if len(got) != n:
        bad.append("%d members, want %d" % (len(got), n))
    if any(m not in scores for m in ms):
        bad.append("not the set's members")
    if ws and any(scores.get(m) != s for m, s in got):
        bad.append("scores not the members'")
    if count >= 0 and len(set(ms)) != len(ms):
        bad.append("repeated members in a positive count's reply")
    if count <= -10 * len(scores) and scores and set(ms) != set(scores):
        bad.append("%d draws never chose %r" % (-count, set(scores) - set(ms)))
    if count >= len(scores) > 0 and ms != order[::-1]:
        bad.append("the whole set: want it from the highest score down")
    if enc == b"listpack" and 1 < count < len(scores) and count * 3 <= len(scores):
        at = {m: i for i, m in enumerate(order)}
        if [at.get(m) for m in ms] != sorted(at.get(m, -1) for m in ms):
            bad.append("a few members of a listpack: want them in its order")
    return bad


SMALL_Z = zadd("z", "1", "a", "2", "b", "3", "c", "4", "d", "5.5", "e")
LP_100 = zadd("z", *pairs(100, score=lambda i: i / 3))
SL_300 = zadd("z", *pairs(300, score=lambda i: i % 17))

RANDOM_CASES = [
    ("one", [SMALL_Z], "ZRANDMEMBER z"),
    ("one_missing", [], "ZRANDMEMBER z"),
    ("one_skiplist", [SL_300], "ZRANDMEMBER z"),
    ("count_1", [SMALL_Z], "ZRANDMEMBER z 1 WITHSCORES"),
    ("count_few", [SMALL_Z], "ZRANDMEMBER z 2"),
    ("count_most", [SMALL_Z], "ZRANDMEMBER z 4 WITHSCORES"),
    ("count_all", [SMALL_Z], "ZRANDMEMBER z 5 WITHSCORES"),
    ("count_listpack_few", [LP_100], "ZRANDMEMBER z 10 WITHSCORES"),
    ("count_listpack_many", [LP_100], "ZRANDMEMBER z 60"),
    ("count_skiplist_few", [SL_300], "ZRANDMEMBER z 10 WITHSCORES"),
    ("count_skiplist_most", [SL_300], "ZRANDMEMBER z 250"),
    ("count_skiplist_all", [SL_300], "ZRANDMEMBER z 300 WITHSCORES"),
    ("negative", [SMALL_Z], "ZRANDMEMBER z -3 WITHSCORES"),
    ("negative_many", [SMALL_Z], "ZRANDMEMBER z -200"),
    ("negative_many_skiplist", [SL_300], "ZRANDMEMBER z -20000 WITHSCORES"),
    ("negative_missing", [], "ZRANDMEMBER z -3"),
]


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("setup,cmd", [(c[1], c[2]) for c in RANDOM_CASES], ids=[c[0] for c in RANDOM_CASES])
def test_zrandmember(redis_ref, mk, setup, cmd, resp3):
    setup = [[a.encode() for a in c] for c in setup]
    cmd = C(cmd)
    flushall(redis_ref.port)
    flushall(mk.port)
    ref, mko = Conn(redis_ref.port), Conn(mk.port)
    try:
        for conn in (ref, mko):
            conn.pipeline([C("HELLO 3")] if resp3 else [])
        assert ref.pipeline(setup) == mko.pipeline(setup)
        state = zset_of(ref, cmd[1])
        assert zset_of(mko, cmd[1]) == state
        want = ref.call(*cmd)
        got = mko.call(*cmd)
        assert got is not None, "mako did not answer"
        assert not zrandmember_problems(cmd, *state, want, resp3), "Redis itself: fix the case"
        bad = zrandmember_problems(cmd, *state, got, resp3)
        assert not bad, "%s: mako %r: %s" % (b" ".join(cmd), got[:200], "; ".join(bad))
        assert got[:1] == want[:1]
    finally:
        ref.close()
        mko.close()


# --------------------------------------------------------------------------------------
# Random command streams (hypothesis)
# --------------------------------------------------------------------------------------

KEYS = [b"z0", b"z1", b"z2", b"s"]
keys = st.sampled_from(KEYS)
members = st.one_of(st.sampled_from([b"a", b"b", b"c", b"", b"1", b"-7", b"007", b"m" * 65, b"x\x00y"]),
                    st.integers(0, 40).map(lambda i: b"m%d" % i))
scores = st.one_of(st.integers(-10, 10).map(lambda i: b"%d" % i),
                   st.sampled_from([b"1.5", b"-0", b"0.1", b"inf", b"-inf", b"1e17", b"x", b"nan",
                                    b"4611686018427387904", b"(1", b"1e400"]))
bounds = st.one_of(scores, st.sampled_from([b"(1", b"(-inf", b"+inf", b"(0.1"]))
lexes = st.sampled_from([b"-", b"+", b"[a", b"(a", b"[m1", b"(m3", b"[", b"(", b"a", b"[m" * 3])
ranks = st.integers(-8, 8).map(lambda i: b"%d" % i)


class ZSetMachine(with_key_space_rules(keys, KEYS[:2])):
    KEYS = KEYS

    def both(self, args, order=None):
        """Send and compare byte for byte (a sorted set's replies have one order); Redis's reply
        parsed, RESP3 doubles as their text."""
        want, got = self.send(args)
        assert got == want, "%s: Redis %r, mako %r%s" % (describe(args), want, got, self.context())
        return value3(want)

    def ref_value(self, *args):
        return value3(self.ref.call(*args))

    @rule(key=keys, ps=st.lists(st.tuples(scores, members), min_size=1, max_size=5),
          opts=st.sampled_from([[], [], [b"NX"], [b"XX"], [b"CH"], [b"GT"], [b"LT"], [b"XX", b"LT", b"CH"],
                                [b"INCR"], [b"NX", b"XX"], [b"GT", b"LT"]]))
    def zadd(self, key, ps, opts):
        self.both([b"ZADD", key, *opts, *[x for p in ps for x in p]])
        self.encodings([key])

    @rule(key=keys, n=st.sampled_from([10, 127, 128, 129, 200]), step=st.sampled_from([1, 3]))
    def zadd_many(self, key, n, step):
        args = []
        for i in range(0, n * step, step):
            args += [b"%d" % (i % 7), b"m%d" % i]
        self.both([b"ZADD", key, *args])
        self.encodings([key])

    @rule(key=keys, by=scores, m=members)
    def zincrby(self, key, by, m):
        self.both([b"ZINCRBY", key, by, m])

    @rule(key=keys, ms=st.lists(members, min_size=1, max_size=4))
    def zrem(self, key, ms):
        self.both([b"ZREM", key, *ms])
        self.encodings([key])

    @rule(key=keys, m=members, cmd=st.sampled_from([b"ZSCORE", b"ZRANK", b"ZREVRANK", b"ZCARD", b"ZMSCORE"]))
    def reads(self, key, m, cmd):
        self.both([cmd, key] if cmd == b"ZCARD" else [cmd, key, m])

    @rule(key=keys, a=ranks, b=ranks, opts=st.sampled_from([[], [b"WITHSCORES"], [b"REV"], [b"REV", b"WITHSCORES"]]))
    def zrange(self, key, a, b, opts):
        self.both([b"ZRANGE", key, a, b, *opts])

    @rule(key=keys, lo=bounds, hi=bounds, rev=st.booleans(), ws=st.booleans(),
          limit=st.sampled_from([None, (b"0", b"2"), (b"1", b"-1"), (b"-1", b"3")]))
    def zrangebyscore(self, key, lo, hi, rev, ws, limit):
        args = [b"ZRANGE", key, lo, hi, b"BYSCORE"] + ([b"REV"] if rev else []) + ([b"WITHSCORES"] if ws else [])
        if limit:
            args += [b"LIMIT", *limit]
        self.both(args)
        self.both([b"ZCOUNT", key, lo, hi])

    def lex_defined(self, key):
        """Is a lex range of key the same on any server?  On a skiplist whose members have
        different scores Redis's answer depends on its nodes' random levels."""
        if self.ref_value(b"OBJECT", b"ENCODING", key) != b"skiplist":
            return True
        flat = self.ref_value(b"ZRANGE", key, b"0", b"-1", b"WITHSCORES")
        flat = [x for p in flat for x in p] if flat and isinstance(flat[0], list) else flat
        return len(set(flat[1::2])) <= 1

    @precondition(lambda self: not self.in_multi)
    @rule(key=keys, lo=lexes, hi=lexes, rev=st.booleans())
    def zrangebylex(self, key, lo, hi, rev):
        if self.lex_defined(key):
            self.both([b"ZREVRANGEBYLEX" if rev else b"ZRANGEBYLEX", key, lo, hi])
            self.both([b"ZLEXCOUNT", key, lo, hi])

    @rule(key=keys, cmd=st.sampled_from([b"ZREMRANGEBYRANK", b"ZREMRANGEBYSCORE", b"ZREMRANGEBYLEX"]),
          a=ranks, b=ranks, lo=lexes, hi=lexes)
    def zremrange(self, key, cmd, a, b, lo, hi):
        if cmd == b"ZREMRANGEBYLEX":
            if self.in_multi or not self.lex_defined(key):
                return
            self.both([cmd, key, lo, hi])
        else:
            self.both([cmd, key, a, b])
        self.encodings([key])

    @rule(key=keys, cmd=st.sampled_from([b"ZPOPMIN", b"ZPOPMAX"]), count=st.sampled_from([None, b"0", b"2", b"50"]))
    def zpop(self, key, cmd, count):
        self.both([cmd, key] + ([count] if count else []))

    @rule(ks=st.lists(keys, min_size=1, max_size=3), where=st.sampled_from([b"MIN", b"MAX"]),
          count=st.sampled_from([None, b"1", b"3"]))
    def zmpop(self, ks, where, count):
        self.both([b"ZMPOP", b"%d" % len(ks), *ks, where] + ([b"COUNT", count] if count else []))

    @rule(dst=keys, ks=st.lists(keys, min_size=1, max_size=3),
          cmd=st.sampled_from([b"ZUNIONSTORE", b"ZINTERSTORE", b"ZDIFFSTORE", b"ZUNION", b"ZINTER", b"ZDIFF",
                               b"ZINTERCARD"]),
          agg=st.sampled_from([None, b"MIN", b"MAX", b"SUM"]), weights=st.booleans())
    def setops(self, dst, ks, cmd, agg, weights):
        args = [cmd] + ([dst] if cmd.endswith(b"STORE") else []) + [b"%d" % len(ks), *ks]
        if cmd not in (b"ZDIFF", b"ZDIFFSTORE", b"ZINTERCARD"):
            if weights:
                args += [b"WEIGHTS"] + [b"%d" % (i + 1) for i in range(len(ks))]
            if agg:
                args += [b"AGGREGATE", agg]
        if cmd in (b"ZUNION", b"ZINTER", b"ZDIFF"):
            args.append(b"WITHSCORES")
        self.both(args)
        self.encodings([dst])

    @rule(dst=keys, src=keys, a=ranks, b=ranks)
    def zrangestore(self, dst, src, a, b):
        self.both([b"ZRANGESTORE", dst, src, a, b])
        self.encodings([dst])

    @precondition(lambda self: not self.in_multi)
    @rule(key=keys)
    def zscan(self, key):
        if self.ref_value(b"OBJECT", b"ENCODING", key) == b"skiplist":
            want, got = self.send([b"ZSCAN", key, b"0", b"COUNT", b"1000"])
            w, g = WholeScan(C("ZSCAN")), WholeScan(C("ZSCAN"))
            assert w.key(want) == g.key(got), "ZSCAN %r: Redis %r, mako %r%s" % (key, want, got, self.context())
        else:
            self.both([b"ZSCAN", key, b"0"])

    @rule(key=keys, cmd=st.sampled_from([b"SET", b"GET", b"SADD", b"TYPE", b"EXISTS", b"DEL"]))
    def other(self, key, cmd):
        self.both([cmd, key] + ([b"x"] if cmd in (b"SET", b"SADD") else []))


def test_random_streams_match_redis(redis_ref, mako, tmp_path_factory):
    run_machine(ZSetMachine, redis_ref, mako, lambda: start_mako(tmp_path_factory))
