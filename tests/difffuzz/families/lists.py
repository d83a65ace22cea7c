"""The list family: pushes, pops, indexes and ranges, LREM/LINSERT/LPOS, LMOVE and LMPOP.

Elements are the shared values (integers in every spelling, floats, binary,
sometimes 16-70 KiB); indexes and counts mostly small, sometimes any integer
spelling.  The blocking commands (BLPOP ...) are left out: a blocked request
breaks the one-request-one-reply lockstep.
"""


def _elements(at, lo=1, hi=4):
    return [at.value() if at.chance(0.7) else at.pick([b"a", b"b", b"1", b"0", b""])
            for _ in range(at.rng.randint(lo, hi))]


def _index(at):
    return b"%d" % at.rng.randint(-6, 6) if at.chance(0.7) else at.int()


def _count(at):
    return b"%d" % at.rng.randint(0, 5) if at.chance(0.75) else at.int()


def _pop(at):
    return [at.key()] + ([_count(at)] if at.chance(0.5) else [])


def _side(at):
    return at.case(at.pick([b"LEFT", b"RIGHT"])) if at.chance(0.92) else at.junk()


def _linsert(at):
    where = at.case(at.pick([b"BEFORE", b"AFTER"])) if at.chance(0.9) else at.junk()
    return [at.key(), where, at.pick([b"a", b"b", b"1", b"0", b""]) if at.chance(0.6) else at.value(),
            at.value()]


def _lpos(at):
    args = [at.key(), at.pick([b"a", b"b", b"1", b"0"]) if at.chance(0.6) else at.value()]
    for _ in range(at.rng.randint(0, 3)):
        w = at.pick([b"RANK", b"COUNT", b"MAXLEN"])
        args.append(at.case(w))
        if w == b"RANK":
            args.append(at.pick([b"1", b"2", b"-1", b"-2", b"0"]) if at.chance(0.7) else at.int())
        else:
            args.append(_count(at))
    return args


def _lmpop(at):
    keys = at.keys(1, 3)
    n = b"%d" % len(keys) if at.chance(0.85) else at.int()
    args = [n] + keys + [_side(at)]
    if at.chance(0.5):
        args += [at.case(b"COUNT"), _count(at)]
    return args


COMMANDS = {
    b"LPUSH": lambda at: [at.key()] + _elements(at),
    b"RPUSH": lambda at: [at.key()] + _elements(at),
    b"LPUSHX": lambda at: [at.key()] + _elements(at),
    b"RPUSHX": lambda at: [at.key()] + _elements(at),
    b"LPOP": _pop,
    b"RPOP": _pop,
    b"LLEN": lambda at: [at.key()],
    b"LINDEX": lambda at: [at.key(), _index(at)],
    b"LSET": lambda at: [at.key(), _index(at), at.value()],
    b"LRANGE": lambda at: [at.key(), _index(at), _index(at)],
    b"LTRIM": lambda at: [at.key(), _index(at), _index(at)],
    b"LREM": lambda at: [at.key(), b"%d" % at.rng.randint(-3, 3) if at.chance(0.8) else at.int(),
                         at.pick([b"a", b"b", b"1", b"0", b""]) if at.chance(0.6) else at.value()],
    b"LINSERT": _linsert,
    b"LPOS": _lpos,
    b"LMOVE": lambda at: [at.key(), at.key(), _side(at), _side(at)],
    b"RPOPLPUSH": lambda at: [at.key(), at.key()],
    b"LMPOP": _lmpop,
}
WEIGHT = 25
