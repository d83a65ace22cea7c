"""The key space family: DEL/EXISTS/TYPE, renames, copies, expiry, SCAN/KEYS, databases, flushes."""


def _expire(at, absolute):
    args = [at.key(), at.ttl_abs() if absolute else at.ttl_rel()]
    for _ in range(at.rng.randint(0, 2) if at.chance(0.4) else 0):
        args.append(at.case(at.pick([b"NX", b"XX", b"GT", b"LT"])))
    return args


def _copy(at):
    args = [at.key(), at.key()]
    for _ in range(at.rng.randint(0, 2)):
        if at.chance(0.5):
            args += [at.case(b"DB"), at.db()]
        else:
            args.append(at.case(b"REPLACE"))
    return args


def _scan(at):
    args = [b"0" if at.chance(0.8) else at.int()]
    for _ in range(at.rng.randint(0, 3)):
        w = at.pick([b"MATCH", b"COUNT", b"TYPE"])
        args.append(at.case(w))
        if w == b"MATCH":
            args.append(at.pattern())
        elif w == b"COUNT":
            args.append(at.pick([b"1", b"2", b"10", b"1000"]) if at.chance(0.7) else at.int())
        else:
            args.append(at.case(at.pick([b"string", b"list", b"none", b"hash"])))
    return args


def _flush(at):
    r = at.rng.random()
    if r < 0.5:
        return []
    if r < 0.9:
        return [at.case(at.pick([b"ASYNC", b"SYNC"]))]
    return [at.junk()] + ([at.junk()] if at.chance(0.5) else [])


COMMANDS = {
    b"DEL": lambda at: at.keys(),
    b"UNLINK": lambda at: at.keys(),
    b"EXISTS": lambda at: at.keys(),
    b"TOUCH": lambda at: at.keys(),
    b"TYPE": lambda at: [at.key()],
    b"RENAME": lambda at: [at.key(), at.key()],
    b"RENAMENX": lambda at: [at.key(), at.key()],
    b"COPY": _copy,
    b"MOVE": lambda at: [at.key(), at.db()],
    b"KEYS": lambda at: [at.pattern()],
    b"SCAN": _scan,
    b"RANDOMKEY": lambda at: [],
    b"DBSIZE": lambda at: [],
    b"EXPIRE": lambda at: _expire(at, False),
    b"PEXPIRE": lambda at: _expire(at, False),
    b"EXPIREAT": lambda at: _expire(at, True),
    b"PEXPIREAT": lambda at: _expire(at, True),
    b"TTL": lambda at: [at.key()],
    b"PTTL": lambda at: [at.key()],
    b"EXPIRETIME": lambda at: [at.key()],
    b"PEXPIRETIME": lambda at: [at.key()],
    b"PERSIST": lambda at: [at.key()],
    b"SELECT": lambda at: [at.db()],
    b"SWAPDB": lambda at: [at.db(), at.db()],
    b"FLUSHDB": _flush,
    b"FLUSHALL": _flush,
}
WEIGHT = 30
