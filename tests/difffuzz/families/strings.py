"""The string family: GET/SET and their options, counters, ranges, bits, LCS."""


def _set(at):
    args = [at.key(), at.value()]
    for _ in range(at.rng.randint(0, 3)):
        w = at.pick([b"NX", b"XX", b"GET", b"KEEPTTL", b"EX", b"PX", b"EXAT", b"PXAT"])
        args.append(at.case(w))
        if w in (b"EX", b"PX"):
            args.append(at.ttl_rel())
        elif w in (b"EXAT", b"PXAT"):
            args.append(at.ttl_abs())
    return args


def _getex(at):
    args = [at.key()]
    if at.chance(0.7):
        w = at.pick([b"EX", b"PX", b"EXAT", b"PXAT", b"PERSIST"])
        args.append(at.case(w))
        if w in (b"EX", b"PX"):
            args.append(at.ttl_rel())
        elif w != b"PERSIST":
            args.append(at.ttl_abs())
    return args


def _pairs(at):
    out = []
    for _ in range(at.rng.randint(1, 3)):
        out += [at.key(), at.value()]
    return out


def _bitcount(at):
    args = [at.key()]
    if at.chance(0.6):
        args += [at.int(), at.int()]
        if at.chance(0.4):
            args.append(at.case(at.pick([b"BYTE", b"BIT"])))
    return args


def _lcs(at):
    args = [at.key(), at.key()]
    for _ in range(at.rng.randint(0, 3)):
        w = at.pick([b"LEN", b"IDX", b"MINMATCHLEN", b"WITHMATCHLEN"])
        args.append(at.case(w))
        if w == b"MINMATCHLEN":
            args.append(at.int())
    return args


COMMANDS = {
    b"GET": lambda at: [at.key()],
    b"SET": _set,
    b"SETNX": lambda at: [at.key(), at.value()],
    b"SETEX": lambda at: [at.key(), at.ttl_rel(), at.value()],
    b"PSETEX": lambda at: [at.key(), at.ttl_rel(), at.value()],
    b"GETSET": lambda at: [at.key(), at.value()],
    b"GETDEL": lambda at: [at.key()],
    b"GETEX": _getex,
    b"MGET": lambda at: at.keys(),
    b"MSET": _pairs,
    b"MSETNX": _pairs,
    b"APPEND": lambda at: [at.key(), at.value()],
    b"STRLEN": lambda at: [at.key()],
    b"INCR": lambda at: [at.key()],
    b"DECR": lambda at: [at.key()],
    b"INCRBY": lambda at: [at.key(), at.int()],
    b"DECRBY": lambda at: [at.key(), at.int()],
    b"INCRBYFLOAT": lambda at: [at.key(), at.float()],
    b"GETRANGE": lambda at: [at.key(), at.int(), at.int()],
    b"SUBSTR": lambda at: [at.key(), at.int(), at.int()],
    b"SETRANGE": lambda at: [at.key(), at.pick([b"0", b"1", b"5", b"-1", b"100"]) if at.chance(0.8)
                             else at.offset(), at.value()],
    b"SETBIT": lambda at: [at.key(), at.pick([b"0", b"7", b"8", b"100"]) if at.chance(0.7)
                           else at.offset(), at.pick([b"0", b"1"]) if at.chance(0.8) else at.int()],
    b"GETBIT": lambda at: [at.key(), at.int()],
    b"BITCOUNT": _bitcount,
    b"LCS": _lcs,
}
WEIGHT = 40
