"""Random command sequences: the steps the driver replays on both servers.

A sequence is a list of steps, plain tuples so they print and replay as is:
- ("cmd", conn, enc, args): one request on connection "A" or "B", encoded
  multibulk (enc "m") or inline ("i"), and its one reply awaited;
- ("pipe", conn, [(enc, args), ...], garbage): the requests (and protocol
  garbage, maybe b"") in one write; without garbage exactly one reply per
  request is read, with garbage the driver appends a sentinel ECHO and reads
  until its reply, EOF or a timeout;
- ("sleep", ms): lets keys given a few milliseconds of TTL expire (both
  servers run with active expiry off, so only lazy expiry deletes them).
Commands come from the families (families/), mutated generically: the name
in random case, a dropped, added or repeated argument.  Transaction scenarios
put WATCH, flushes and writes of the other connection, MULTI and EXEC in
one sequence.
"""
import random

from .atoms import Atoms
from .families import observers, table
from .families.server import COMMAND_NAMES
from .resp import inline

KNOWN_NAMES = {n.lower() for n in COMMAND_NAMES}

GARBAGE = [b"*1\r\n$x\r\n", b"*x\r\n", b"*1\r\nfoo\r\n", b"*1\r\n$-5\r\n", b"*2\r\n$3\r\nGET\r\n:1\r\n",
           b'SET "a\r\n', b"GET 'a\r\n", b'GET "a"b\r\n', b"*1\r\n$536870913\r\n", b"*3000000000\r\n",
           b"*1\r\n$4\r\nPINGxx\r\n", b"\x01\xff junk\r\n", b"*-1\r\n", b"*0\r\n", b"\r\n",
           b"  \r\n", b"\n", b"get a\n", b"*1\r\n$1\r\nab\r\n", b"$4\r\nPING\r\n", b"*1\r\n$0\r\n\r\n",
           b"*2\r\n$4\r\nECHO\r\n$3\r\n\xe9\xff\x00\r\n", b"*1\r\n$-1\r\n", b"*+1\r\n", b"*1_0\r\n",
           b"*1\r\n$ 4\r\nPING\r\n", b"*1\r\n$4 \r\nPING\r\n", b"*01\r\n$04\r\nPING\r\n"]
INLINE_SAFE = 60000      # longest inline request generated
INCOMPLETE = [b"*2\r\n$3\r\nGET\r\n", b"*", b"$", b"*1\r\n$10\r\nabc"]


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.at = Atoms(self.rng)
        rows = table()
        self.weights = [w for w, _, _ in rows]
        self.rows = [(n, f) for _, n, f in rows]
        self.observers = observers()
        self.expiring = False       # has this sequence let keys expire (expire_soon)?

    # --- single commands ----------------------------------------------------------------
    def command(self, name=None):
        at = self.at
        if name is None:
            name, fn = self.rng.choices(self.rows, self.weights)[0]
        else:
            fn = dict(self.rows)[name]
        if name == b"RANDOMKEY" and self.expiring:
            # which expired keys RANDOMKEY deletes on its way depends on its random
            # choice, so the key spaces would part by chance, not by a difference
            return self.command()
        args = list(fn(at))
        if name == b"SCAN" and self.expiring and args[:1] != [b"0"]:
            # a cursor not from a walk visits a part of the table that depends on its layout
            # (an accepted difference), and the expired keys it deletes there with it
            return self.command()
        r = self.rng.random()
        if r < 0.04 and args:
            args.pop()
        elif r < 0.08:
            args.insert(self.rng.randint(0, len(args)), at.junk())
        elif r < 0.10 and args:
            i = self.rng.randrange(len(args))
            args.insert(i, args[i])
        elif r < 0.11:
            name = at.pick([b"NOSUCH", b"GETT", b"\xffcmd", b"client|list", b"SET\x00"])
        args = [at.case(name) if self.rng.random() < 0.3 else name] + args
        return args if self.acceptable(args) else self.command()

    @staticmethod
    def acceptable(args):
        """False for requests whose replies differ by design: COMMAND listing every command,
        or COMMAND INFO/DOCS naming one beyond COMMAND_NAMES (a mutation's junk word may
        name a command mako_numba does not have yet: it implements a subset of Redis's)."""
        if args[0].upper() != b"COMMAND":
            return True
        sub = args[1].upper() if len(args) > 1 else b""
        if sub in (b"INFO", b"DOCS"):
            return len(args) > 2 and all(a.lower() in KNOWN_NAMES for a in args[2:])
        return sub not in (b"", b"LIST")

    def enc(self, args):
        # Inline lines stay under 64 KiB: where Redis refuses a longer one depends on its query
        # buffer's history (sds and allocator growth, cron trims), which mako_numba's querybuf.py
        # models only in part; tests/protocol/test_inline_limit.py checks the cases it does model, and
        # the garbage below still sends lines past the limit.
        if sum(len(a) for a in args) > INLINE_SAFE // 4 and len(inline(args)) > INLINE_SAFE:
            return "m"
        return "i" if self.rng.random() < 0.2 and b"\n" not in args[0] else "m"

    def conn(self):
        return "A" if self.rng.random() < 0.6 else "B"

    def one(self, conn=None, name=None):
        args = self.command(name)
        return ("cmd", conn or self.conn(), self.enc(args), args)

    def garbage(self):
        r = self.rng.random()
        if r < 0.75:
            return self.at.pick(GARBAGE)
        if r < 0.85:
            # not NUL first: an inline line starting with NUL stalls both servers (a slow timeout)
            return bytes(self.rng.randint(1, 255) for _ in range(self.rng.randint(1, 12))) + b"\r\n"
        if r < 0.9:
            return b"x" * (64 * 1024 + self.rng.randint(0, 100))
        if r < 0.91:          # the reads then wait GARBAGE_WAIT on both servers: rare
            return self.at.pick(INCOMPLETE)
        return b"*1\r\n$70000\r\n" + b"y" * 70000 + b"\r\n"

    def pipe(self, conn=None):
        n = self.rng.choice([1, 2, 3, 4, 6, 10, 20])
        cmds = []
        for _ in range(n):
            if self.rng.random() < 0.25:
                args = [self.at.case(b"GET"), b"v"]
            else:
                args = self.command()
            cmds.append((self.enc(args), args))
        g = self.garbage() if self.rng.random() < 0.35 else b""
        for k, (_, args) in enumerate(cmds):
            if args[0].upper() == b"QUIT":
                # nothing after QUIT: a server closing on unread input resets the connection,
                # and a reset can throw away replies the client has not read yet (noise)
                cmds, g = cmds[:k + 1], b""
                break
        return ("pipe", conn or self.conn(), cmds, g)

    # --- scenarios --------------------------------------------------------------------
    def transaction(self):
        at, rng = self.at, self.rng
        steps = []
        a = "A" if rng.random() < 0.7 else "B"
        b = "B" if a == "A" else "A"
        watched = at.keys(1, 3)
        if rng.random() < 0.5:      # a key only these scenarios use: mostly absent when watched
            watched.insert(0, b"w")
        if rng.random() < 0.75:
            steps.append(("cmd", a, "m", [b"WATCH"] + watched))
        ops = []          # what happens before MULTI: a flush, then a write of a watched key, ...
        if rng.random() < 0.6:
            args = [at.case(at.pick([b"FLUSHDB", b"FLUSHALL"]))]
            if rng.random() < 0.5:
                args.append(at.case(at.pick([b"ASYNC", b"SYNC"])))
            ops.append(args)
        if rng.random() < 0.7:
            k = watched[0] if rng.random() < 0.5 else at.pick(watched)
            ops.append(at.pick([[b"SET", k, at.value()], [b"DEL", k], [b"INCR", k], [b"APPEND", k, b"x"],
                                [b"EXPIRE", k, b"0"], [b"SWAPDB", b"0", b"1"], [b"RENAME", at.key(), k]]))
        if rng.random() < 0.4:      # ... and anything else, anywhere among them
            ops.insert(rng.randint(0, len(ops)), self.command())
        for args in ops:            # mostly from the other connection
            steps.append(("cmd", b if rng.random() < 0.85 else a, self.enc(args), args))
        body = [[b"MULTI"]]
        for _ in range(rng.randint(0, 4)):
            body.append(self.command() if rng.random() < 0.8 else
                        [b"CONFIG", at.case(b"NOPE")] if rng.random() < 0.5 else [b"GET"])
        body.append([at.pick([b"EXEC"] * 6 + [b"DISCARD"])])
        if rng.random() < 0.3:
            steps.append(("pipe", a, [(self.enc(x), x) for x in body], b""))
        else:
            steps += [("cmd", a, self.enc(x), x) for x in body]
        return steps

    def expire_soon(self):
        self.expiring = True
        k = self.at.key()
        ms = b"%d" % self.rng.randint(1, 10)
        args = [b"PEXPIRE", k, ms] if self.rng.random() < 0.5 else [b"SET", k, self.at.value(), b"PX", ms]
        return [("cmd", self.conn(), "m", args), ("sleep", 25)]

    def sequence(self, length=None):
        rng = self.rng
        length = length or rng.randint(10, 60)
        self.expiring = False
        steps = []
        for c in "AB":
            if rng.random() < 0.4:
                steps.append(("cmd", c, "m", [b"HELLO", b"3"]))
        if rng.random() < 0.3:
            steps.append(("cmd", self.conn(), "m", [b"SET", b"v", self.at.big()]))
        while len(steps) < length:
            r = rng.random()
            if r < 0.62:
                steps.append(self.one())
                seen = self.observers.get(steps[-1][3][0].upper())
                if seen and rng.random() < 0.5:
                    steps.append(("cmd", steps[-1][1], "m", seen))
            elif r < 0.8:
                steps.append(self.pipe())
            elif r < 0.92:
                steps += self.transaction()
            elif r < 0.96:
                steps.append(("pipe", self.conn(), [], self.garbage()))
            else:
                steps += self.expire_soon()
        return steps
