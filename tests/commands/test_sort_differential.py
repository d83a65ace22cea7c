"""SORT and SORT_RO against Redis 7.0.15, byte for byte over RESP2 and RESP3.

Lists, sets (their numeric and ALPHA sorts; a set in its own order only where
Redis's order is defined: sorted, or stored, which forces ALPHA), sorted sets
(by score with a constant BY, and sorted), BY patterns (string keys, hash
fields with `->`, missing keys weighing 0, a constant BY), LIMIT in every
corner (negative, past the end, counts of -1 and 0), GET (`#`, strings, hash
fields, missing keys as nil, a pattern without `*`), ASC/DESC, ALPHA, STORE
(the destination replaced whatever its type and time to live, an empty
result deleting it, WATCH and the keyspace counters), SORT_RO refusing
STORE, the errors (syntax, LIMIT not integers, WRONGTYPE, scores that are not
numbers) and the keyspace hit/miss counts of the keys SORT reads.
"""
from colltest import Keyspace, compare
from difftest import Unordered, cmds, differential

U = Unordered

CASES = [
    ("list_numeric", cmds("RPUSH l 3 1 2 10 -5 2.5 1e2", "SORT l", "SORT l DESC", "SORT l ASC",
                          "SORT_RO l", "SORT l LIMIT 1 3", "SORT l LIMIT 0 0", "SORT l LIMIT -1 2",
                          "SORT l LIMIT 5 100", "SORT l LIMIT 100 1", "SORT l LIMIT 2 -1",
                          "SORT l DESC LIMIT 0 2")),
    ("list_not_numbers", cmds("RPUSH l 3 a 1", "SORT l", "SORT l ALPHA", "SORT l ALPHA DESC",
                              "RPUSH m 1 nan", "SORT m", "RPUSH n 1 inf -inf 0x10", "SORT n",
                              ["RPUSH", "o", "1", " 2", "3 "], "SORT o")),
    ("alpha_ties_and_binary", cmds("RPUSH l b a c a B 10 9", "SORT l ALPHA", "SORT l ALPHA DESC",
                                   "SORT l ALPHA LIMIT 1 2", ["RPUSH", "z", "a\x00b", "a", "a\x00a"],
                                   "SORT z ALPHA", "SORT z ALPHA STORE zs", "LRANGE zs 0 -1")),
    ("equal_scores_by_string", cmds("RPUSH l 1.0 1 01 +1 2", "SORT l", "SORT l DESC")),
    ("set_sorted", cmds("SADD s 5 3 9 1", "SORT s", "SORT s DESC", "SADD t b a c", "SORT t ALPHA",
                        "SORT t ALPHA DESC LIMIT 0 2", "SORT s BY nosort STORE d", "LRANGE d 0 -1",
                        "SORT t BY nosort STORE e", "LRANGE e 0 -1")),
    ("zset", cmds("ZADD z 3 c 1 a 2 b 2 bb", "SORT z BY nosort", "SORT z BY nosort DESC",
                  "SORT z BY nosort LIMIT 1 2", "SORT z BY nosort DESC LIMIT 1 2", "SORT z ALPHA",
                  "ZADD n 1 10 2 9 3 8", "SORT n", "SORT n BY nosort")),
    ("by_strings", cmds("RPUSH l a b c d", "MSET w_a 3 w_b 1 w_c 2", "SORT l BY w_*", "SORT l BY w_* DESC",
                        "SORT l BY w_* ALPHA", "SORT l BY w_* LIMIT 0 2", "SET w_d x", "SORT l BY w_*",
                        "SORT l BY w_* ALPHA DESC")),
    ("by_hash_field", cmds("RPUSH l 1 2 3", "HSET h_1 f 30 g x", "HSET h_2 f 10", "HSET h_3 f 20",
                           "SORT l BY h_*->f", "SORT l BY h_*->f DESC GET # GET h_*->g",
                           "SORT l BY h_*->missing", "SORT l BY h_*->", "SORT l BY h_*->f ALPHA")),
    ("by_wrong_types", cmds("RPUSH l 1 2", "SADD w_1 9", "SET w_2 5", "SORT l BY w_*",
                            "SET h_1 x", "SORT l BY h_*->f")),
    ("by_constant", cmds("RPUSH l 3 1 2", "SORT l BY nosort", "SORT l BY nosort DESC",
                         "SORT l BY nosort LIMIT 1 1", "SORT l BY nosort DESC LIMIT 0 2",
                         "SORT l BY nosort GET #")),
    ("get", cmds("RPUSH l 2 1 3", "MSET o_1 one o_2 two", "HSET h_2 n deux", "SORT l GET o_*",
                 "SORT l GET # GET o_* GET h_*->n", "SORT l GET nostar", "SORT l DESC GET # GET #",
                 "SORT l LIMIT 0 1 GET o_*")),
    ("store", cmds("RPUSH l 3 1 2", "SET d x EX 100", "SORT l STORE d", "TYPE d", "TTL d", "LRANGE d 0 -1",
                   "OBJECT ENCODING d", "SORT l GET # GET nope STORE d", "LRANGE d 0 -1",
                   "SORT missing STORE d", "EXISTS d", "SORT missing STORE d", "SORT l LIMIT 5 5 STORE d",
                   "EXISTS d", "SORT l STORE l", "LRANGE l 0 -1")),
    ("sort_ro", cmds("RPUSH l 2 1", "SORT_RO l STORE d", "SORT_RO l", "SORT_RO l BY nosort DESC",
                     "SORT_RO", "EXISTS d")),
    ("errors", cmds("SORT", "SET s v", "SORT s", "HSET h a 1", "SORT h", "RPUSH l 1", "SORT l BOGUS",
                    "SORT l LIMIT 1", "SORT l LIMIT a 1", "SORT l LIMIT 1 b", "SORT l BY", "SORT l GET",
                    "SORT l STORE", "SORT missing", "SORT missing BY x GET #", "RPUSH m a",
                    "SORT m", "SORT m BY nosort", "SORT m LIMIT 0 1 ALPHA")),
    ("options_twice_and_case", cmds("RPUSH l 1 3 2", "sort l desc asc", "SoRt l LiMiT 0 1 LIMIT 1 1",
                                    "SORT l BY nosort BY x_*", "SORT l alpha ALPHA")),
    ("big_list", cmds(["RPUSH", "l"] + [str((i * 7919) % 1000) for i in range(1000)], "SORT l LIMIT 0 10",
                      "SORT l DESC LIMIT 995 10", "SORT l ALPHA LIMIT 500 5")),
    ("keyspace_counts", cmds("CONFIG RESETSTAT", "RPUSH l 1 2", "SET w_1 1", "SORT l BY w_* GET o_* GET #",
                             "SORT missing", Keyspace())),
    ("watch", cmds("RPUSH l 2 1", "WATCH d", "SORT l STORE d", "MULTI", "PING", "EXEC",
                   "WATCH l", "SORT l", "MULTI", "PING", "EXEC")),
]

test_same_replies = differential(CASES, compare=compare)
