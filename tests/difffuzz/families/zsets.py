"""The sorted-set family: ZADD and its options, scores read and printed, ranks, score ranges,
range deletions, pops, ZMPOP, the set operations and their STORE forms.

Members are the shared values (integers in every spelling, floats, binary,
sometimes 16-70 KiB: a skiplist) or a few short ones that repeat; scores
are floats in every spelling (inf, exponents, hex, junk); bounds add the
"(" of an exclusive one.  Left out: ZRANDMEMBER (random), ZSCAN (a
skiplist's order is its index's), the lex-range commands (on a skiplist of
different scores Redis's answer depends on its random levels) and the
blocking BZPOPMIN, BZPOPMAX, BZMPOP (a blocked request breaks the
one-request-one-reply lockstep).
"""

SHORT = [b"a", b"b", b"c", b"1", b"0", b"", b"-5"]


def _member(at):
    return at.pick(SHORT) if at.chance(0.6) else at.value()


def _score(at):
    return at.float() if at.chance(0.85) else at.pick([b"inf", b"-inf", b"+inf", b"nan", b"-0", b"1e400"])


def _bound(at):
    s = _score(at)
    return b"(" + s if at.chance(0.25) else s


def _zadd(at):
    args = [at.key()]
    for _ in range(at.rng.randint(0, 2)):
        args.append(at.case(at.pick([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR"])))
    for _ in range(1 if at.chance(0.4) else at.rng.randint(1, 5)):
        args += [_score(at), _member(at)]
    return args


def _index(at):
    return b"%d" % at.rng.randint(-6, 6) if at.chance(0.8) else at.int()


def _zrange(at):
    args = [at.key()]
    if at.chance(0.5):
        args += [_index(at), _index(at)]
    else:
        args += [_bound(at), _bound(at), at.case(b"BYSCORE")]
    if at.chance(0.3):
        args.append(at.case(b"REV"))
    if at.chance(0.4):
        args.append(at.case(b"WITHSCORES"))
    if at.chance(0.2):
        args += [at.case(b"LIMIT"), _index(at), _index(at)]
    return args


def _byscore(at):
    args = [at.key(), _bound(at), _bound(at)]
    if at.chance(0.4):
        args.append(at.case(b"WITHSCORES"))
    if at.chance(0.3):
        args += [at.case(b"LIMIT"), _index(at), _index(at)]
    return args


def _pop(at):
    return [at.key()] + ([b"%d" % at.rng.randint(0, 4) if at.chance(0.8) else at.int()]
                         if at.chance(0.5) else [])


def _zmpop(at):
    keys = at.keys(1, 3)
    n = b"%d" % len(keys) if at.chance(0.85) else at.int()
    args = [n] + keys + [at.case(at.pick([b"MIN", b"MAX"])) if at.chance(0.92) else at.junk()]
    if at.chance(0.5):
        args += [at.case(b"COUNT"), b"%d" % at.rng.randint(0, 4) if at.chance(0.8) else at.int()]
    return args


def _setop(store, options):
    def gen(at):
        keys = at.keys(1, 3)
        n = b"%d" % len(keys) if at.chance(0.85) else at.int()
        args = ([at.key()] if store else []) + [n] + keys
        if options and at.chance(0.3):
            args += [at.case(b"WEIGHTS")] + [_score(at) for _ in keys]
        if options and at.chance(0.3):
            args += [at.case(b"AGGREGATE"), at.case(at.pick([b"SUM", b"MIN", b"MAX"]))]
        if not store and at.chance(0.4):
            args.append(at.case(b"WITHSCORES"))
        return args
    return gen


COMMANDS = {
    b"ZADD": _zadd,
    b"ZINCRBY": lambda at: [at.key(), _score(at), _member(at)],
    b"ZREM": lambda at: [at.key()] + [_member(at) for _ in range(at.rng.randint(1, 3))],
    b"ZCARD": lambda at: [at.key()],
    b"ZSCORE": lambda at: [at.key(), _member(at)],
    b"ZMSCORE": lambda at: [at.key()] + [_member(at) for _ in range(at.rng.randint(1, 3))],
    b"ZRANK": lambda at: [at.key(), _member(at)],
    b"ZREVRANK": lambda at: [at.key(), _member(at)],
    b"ZCOUNT": lambda at: [at.key(), _bound(at), _bound(at)],
    b"ZRANGE": _zrange,
    b"ZREVRANGE": lambda at: [at.key(), _index(at), _index(at)] + ([at.case(b"WITHSCORES")]
                                                                  if at.chance(0.4) else []),
    b"ZRANGEBYSCORE": _byscore,
    b"ZREVRANGEBYSCORE": _byscore,
    b"ZRANGESTORE": lambda at: [at.key()] + _zrange(at)[:4],
    b"ZREMRANGEBYRANK": lambda at: [at.key(), _index(at), _index(at)],
    b"ZREMRANGEBYSCORE": lambda at: [at.key(), _bound(at), _bound(at)],
    b"ZPOPMIN": _pop,
    b"ZPOPMAX": _pop,
    b"ZMPOP": _zmpop,
    b"ZUNION": _setop(False, True),
    b"ZINTER": _setop(False, True),
    b"ZDIFF": _setop(False, False),
    b"ZUNIONSTORE": _setop(True, True),
    b"ZINTERSTORE": _setop(True, True),
    b"ZDIFFSTORE": _setop(True, False),
    b"ZINTERCARD": lambda at: [b"%d" % 2] + at.keys(2, 2) + ([at.case(b"LIMIT"), _index(at)]
                                                            if at.chance(0.3) else []),
}
WEIGHT = 25
