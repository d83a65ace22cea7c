"""The connection family: PING/ECHO, HELLO, CLIENT, AUTH, RESET, QUIT.

CLIENT KILL only uses filters that match no client or TYPE filters (the
driver reconnects a killed connection on both servers alike); CLIENT REPLY,
PAUSE and TRACKING are left out: they break the one-request-one-reply
lockstep or stop the server.
"""


def _hello(at):
    if at.chance(0.25):     # valid options, then a stray word: nothing may take effect
        return [at.pick([b"2", b"3"]), at.case(b"SETNAME"), at.pick([b"n1", b"foo"]),
                at.pick([b"foo", b"SETNAME", b"AUTH", b"3"])]
    args = []
    if at.chance(0.85):
        args.append(at.pick([b"2", b"3"]) if at.chance(0.8) else at.int())
        for _ in range(at.rng.randint(0, 2)):
            if at.chance(0.5):
                args += [at.case(b"SETNAME"), at.pick([b"n1", b"foo", b"a b", b"", b"x\n"])]
            else:
                args += [at.case(b"AUTH"), at.pick([b"default", b"u"]), at.pick([b"", b"pw"])]
    return args


def _client(at):
    sub = at.pick([b"ID", b"GETNAME", b"SETNAME", b"LIST", b"INFO", b"KILL", b"NO-EVICT",
                   b"HELP", b"BOGUS"])
    args = [at.case(sub)]
    if sub == b"SETNAME":
        args.append(at.pick([b"n1", b"conn-b", b"", b"a b", b"x\n", b"\xff", b"ok-name"]))
    elif sub == b"LIST" and at.chance(0.4):
        if at.chance(0.5):
            args += [at.case(b"TYPE"), at.case(at.pick([b"normal", b"pubsub", b"master", b"x"]))]
        else:
            args += [at.case(b"ID")] + [at.int() for _ in range(at.rng.randint(1, 2))]
    elif sub == b"KILL":
        r = at.rng.random()
        if r < 0.2:
            args.append(at.pick([b"1.2.3.4:5", b"nosuch"]))
        elif r < 0.9:
            f = at.pick([b"ID", b"ADDR", b"LADDR", b"USER", b"TYPE", b"SKIPME", b"MAXAGE"])
            val = {b"ID": at.pick([b"999999", b"0", b"abc", b"-1"]), b"ADDR": b"1.2.3.4:5",
                   b"LADDR": b"9.9.9.9:1", b"USER": b"nobody", b"SKIPME": at.pick([b"yes", b"no", b"x"]),
                   b"TYPE": at.pick([b"pubsub", b"master", b"replica", b"x", b"normal"]),
                   b"MAXAGE": at.pick([b"1000000", b"x"])}[f]
            args += [at.case(f), val]
            if f == b"TYPE" and val == b"normal":
                args += [at.case(b"SKIPME"), b"yes"]
        else:
            args += [at.case(b"ID")]
    elif sub == b"NO-EVICT":
        args.append(at.case(at.pick([b"on", b"off", b"maybe"])))
    return args


COMMANDS = {
    b"PING": lambda at: [] if at.chance(0.6) else [at.value() if at.chance(0.8) else at.junk()],
    b"ECHO": lambda at: [at.value()],
    b"HELLO": _hello,
    b"CLIENT": _client,
    b"AUTH": lambda at: [at.pick([b"pw", b"default"])] + ([b"x"] if at.chance(0.3) else []),
    b"RESET": lambda at: [],
    b"QUIT": lambda at: [],
}
WEIGHT = 10
# what shows a command's effect on its connection: the generator often sends it next
OBSERVERS = {b"HELLO": [b"CLIENT", b"GETNAME"], b"CLIENT": [b"CLIENT", b"GETNAME"]}
