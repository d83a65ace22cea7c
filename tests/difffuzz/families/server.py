"""The server family: CONFIG, INFO, COMMAND, TIME, LASTSAVE, OBJECT, MEMORY, DEBUG OBJECT.

CONFIG SET only sets, with valid values, the parameters in SETTABLE; the
others (NOT_SET) get values from INVALID only, so dir, port, appendonly,
timeout and the memory limits that would make either server refuse or
evict never change (the driver still puts everything in RESET back to its
default before every replay, in case one server accepts what Redis does
not).  requirepass and bind are never set at all.
CONFIG GET asks for names both servers know (mako_numba has a subset, so
a pattern would list different parameters by design).
"""
SETTABLE = {
    b"hz": [b"10", b"1", b"500", b"100"],
    b"maxmemory-samples": [b"5", b"1", b"10"],
    b"lfu-log-factor": [b"10", b"0", b"100"],
    b"lfu-decay-time": [b"1", b"0", b"60"],
    b"slowlog-log-slower-than": [b"10000", b"-1", b"0"],
    b"slowlog-max-len": [b"128", b"0", b"1"],
    b"maxmemory-policy": [b"noeviction", b"allkeys-lfu", b"volatile-lru", b"allkeys-random",
                          b"ALLKEYS-LRU"],
    b"loglevel": [b"notice", b"warning", b"verbose"],
    b"latency-tracking": [b"yes", b"no"],
    b"appendfsync": [b"everysec", b"always", b"no"],
    b"rdbcompression": [b"yes", b"no"],
    b"maxmemory-eviction-tenacity": [b"10", b"0", b"100"],
    b"auto-aof-rewrite-percentage": [b"100", b"0"],
    b"proto-max-bulk-len": [b"536870912", b"1mb", b"2097152", b"1048576"],
    b"client-query-buffer-limit": [b"1gb", b"1048576", b"2mb"],
    b"tcp-keepalive": [b"300", b"0", b"60"],
    b"auto-aof-rewrite-min-size": [b"64mb", b"1kb", b"0"],
    b"latency-tracking-info-percentiles": [b"50 99 99.9", b"", b"0 100", b"99.99"],
    b"save": [b"", b"3600 1"],
}
NOT_SET = [b"timeout", b"maxmemory", b"client-output-buffer-limit", b"protected-mode",
           b"maxclients", b"maxmemory-clients", b"rdbchecksum", b"dir", b"dbfilename",
           b"port", b"appendonly", b"databases", b"appendfilename", b"appenddirname",
           b"enable-debug-command", b"tcp-backlog", b"no-such-param"]
RESET = list(SETTABLE) + NOT_SET[:4]       # what the driver puts back before every replay
INVALID = [b"", b"abc", b"-5", b"1_000", b"\xff", b"yes no", b"1e3", b"+-1", b"0x10"]
GETTABLE = [n for n in list(SETTABLE) + NOT_SET[:-1] + [b"requirepass"]
            if n not in (b"port", b"dir")]         # these differ between any two servers
# no containers (config, client): Redis lists their subcommands in its hash table's order
COMMAND_NAMES = [b"get", b"set", b"ping", b"exec", b"scan", b"GET",
                 b"nosuch", b"", b"config|get", b"client|list"]


def _bad_value(at):
    return at.junk() if at.chance(0.5) else at.number()


def _config(at):
    r = at.rng.random()
    if r < 0.35:
        return [at.case(b"GET")] + [at.case(at.pick(GETTABLE)) if at.chance(0.95) else b"nosuch*"
                                    for _ in range(at.rng.randint(1, 3 if at.chance(0.3) else 1))]
    if r < 0.9:
        args = [at.case(b"SET")]
        for _ in range(at.rng.randint(1, 3) if at.chance(0.3) else 1):
            if at.chance(0.7):
                name = at.pick(list(SETTABLE))
                val = at.pick(SETTABLE[name]) if at.chance(0.6) else _bad_value(at)
            else:
                name = at.pick(NOT_SET)
                val = at.pick(INVALID)
            args += [at.case(name), val]
        if at.chance(0.08):
            args.append(at.junk())
        return args
    return [at.case(at.pick([b"RESETSTAT", b"HELP", b"BOGUS", b"REWRITE"]))]


def _object(at):
    sub = at.pick([b"ENCODING", b"REFCOUNT", b"IDLETIME", b"FREQ", b"HELP", b"NOPE"])
    return [at.case(sub)] + ([] if sub == b"HELP" else [at.key()])


def _command(at):
    sub = at.pick([b"INFO", b"DOCS", b"COUNT", b"HELP", b"NOPE"])
    args = [at.case(sub)]
    if sub in (b"INFO", b"DOCS"):
        args += [at.pick(COMMAND_NAMES) for _ in range(at.rng.randint(1, 2))]
    return args


COMMANDS = {
    b"CONFIG": _config,
    b"INFO": lambda at: [] if at.chance(0.5) else [at.case(at.pick([b"server", b"keyspace", b"all",
                                                                     b"nosuch", b"stats"]))],
    b"COMMAND": _command,
    b"TIME": lambda at: [],
    b"LASTSAVE": lambda at: [],
    b"OBJECT": _object,
    b"MEMORY": lambda at: ([at.case(b"USAGE"), at.key()] + ([at.case(b"SAMPLES"), at.int()]
                           if at.chance(0.3) else [])) if at.chance(0.8)
                          else [at.case(at.pick([b"HELP", b"NOPE"]))],
    b"DEBUG": lambda at: [at.case(b"OBJECT"), at.key()],
}
WEIGHT = 10
