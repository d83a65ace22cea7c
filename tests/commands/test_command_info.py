"""COMMAND GETKEYS, GETKEYSANDFLAGS, LIST FILTERBY and INFO/DOCS of subcommands, against Redis 7.0.15.

Every command of our table (and every subcommand the metadata has) is asked
for its keys with generated argument vectors, over RESP2 and RESP3, and the
replies are compared byte for byte with a real Redis.  Redis has more
commands than we do, so listings are compared on the commands we have.
"""
import random
import socket

import pytest

from drive import cmd_bytes
from mako_numba.commands import registry as commands


def reply_end(buf, i=0):
    """Where the RESP2/RESP3 reply starting at buf[i] ends, or None while it is incomplete."""
    end = buf.find(b"\r\n", i)
    if end < 0:
        return None
    kind, head = buf[i:i + 1], buf[i + 1:end]
    i = end + 2
    if kind in b"$=!" and head != b"-1":
        i += int(head) + 2
        return i if i <= len(buf) else None
    if kind in b"*~%>" and head != b"-1":
        n = int(head) * (2 if kind == b"%" else 1)
        for _ in range(n):
            i = reply_end(buf, i)
            if i is None:
                return None
    return i


class Wire:
    """A connection that pipelines requests and splits the replies."""

    def __init__(self, port, resp3=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        if resp3:
            assert self.run([cmd_bytes("HELLO", "3")])[0].startswith(b"%")

    def run(self, requests):
        self.sock.sendall(b"".join(requests))
        out = []
        while len(out) < len(requests):
            end = reply_end(self.buf) if self.buf else None
            if end is None:
                chunk = self.sock.recv(1 << 20)
                assert chunk, "connection closed"
                self.buf += chunk
                continue
            out.append(self.buf[:end])
            self.buf = self.buf[end:]
        return out

    def close(self):
        self.sock.close()


def both(pair, requests, resp3=False):
    got = []
    for proc in pair:
        w = Wire(proc.port, resp3)
        got.append(w.run(requests))
        w.close()
    return got


def _ours():
    """Every name we know: commands, and "container|sub" of the metadata."""
    meta = commands.redis_metadata()["commands"]
    return set(commands.NAMES) | {k for k in meta if k.split("|")[0] in commands.INDEX and "|" in k}


TOKENS = [b"k1", b"k2", b"k3", b"GET", b"get", b"EX", b"10", b"KEYS", b"0", b"-1", b"NX", b"x"]


def _vectors():
    rnd = random.Random(7)
    meta = commands.redis_metadata()["commands"]
    out = []
    for name in sorted(_ours()):
        words = [w.encode() for w in name.split("|")]
        arity = abs(meta[name]["arity"])
        for extra in range(0, arity + 4):
            for _ in range(2):
                args = words + [rnd.choice(TOKENS) for _ in range(max(extra - len(words) + 1, 0))]
                out.append(args)
        out.append([w.upper() for w in words] + [b"a", b"b"])
    out += [[b"nosuch", b"k"], [b"config", b"nosuch", b"k"], [b"get|x", b"k"], [b"config|get", b"x"],
            [b"set", b"k", b"v", b"GET\0x"], [b"set", b"k", b"v", b"ge"], [b"mset", b"a", b"1", b"b"]]
    return out


@pytest.mark.parametrize("resp3", [False, True])
def test_getkeys_of_every_command_like_redis(pair, resp3):
    vectors = _vectors()
    reqs = [cmd_bytes("COMMAND", sub, *v) for v in vectors for sub in ("GETKEYS", "GETKEYSANDFLAGS")]
    ours, theirs = both(pair, reqs, resp3)
    bad = [(r, a, b) for r, a, b in zip(reqs, ours, theirs) if a != b]
    assert not bad, bad[:5]
    assert len(set(ours)) > 40        # the vectors reach keys, flags and each error


def test_key_specs_of_our_commands():
    """The expected bytes, without a server: one of each kind of reply."""
    from mako_numba.commands.keyspecs import find_keys, has_keys
    assert find_keys("mset", [b"mset", b"a", b"1", b"b", b"2"]) == [(1, ("OW", "update")), (3, ("OW", "update"))]
    assert find_keys("set", [b"set", b"k", b"v", b"GET"]) == [(1, ("RW", "access", "update"))]
    assert find_keys("object|encoding", [b"object", b"encoding", b"k"]) == [(2, ("RO",))]
    assert not has_keys("ping") and has_keys("set")


def test_getkeys_expected_bytes(pair):
    reqs = [b"COMMAND GETKEYS mset a 1 b 2\r\n", b"COMMAND GETKEYSANDFLAGS set k v get\r\n",
            b"COMMAND GETKEYS nosuch a\r\n", b"COMMAND GETKEYS ping x\r\n", b"COMMAND GETKEYS get a b\r\n",
            b"COMMAND GETKEYS memory usage k\r\n", b"COMMAND GETKEYS mset a 1 b\r\n"]
    ours, theirs = both(pair, reqs)
    assert ours == theirs == [
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
        b"*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n",
        b"-ERR Invalid command specified\r\n",
        b"-ERR The command has no key arguments\r\n",
        b"-ERR Invalid number of arguments specified for command\r\n",
        b"*1\r\n$1\r\nk\r\n",
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    ]


KEY_TOKENS = TOKENS + [b"2", b"1", b"3", b"STREAMS", b"STORE", b"BY", b"WEIGHTS", b"AUTH", b"5"]


def resp_array(items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def test_key_spec_walk_on_every_redis_command(pair):
    """The generic walk (index|keyword, range|keynum) on the key specs of all of Redis's
    commands, movable ones included: wherever it finds keys, Redis finds the same."""
    from mako_numba.commands import keyspecs
    _, r = pair
    w = Wire(r.port)
    entries, _ = keyspecs.parse(w.run([b"COMMAND INFO\r\n"])[0])
    entries += [sub for e in entries for sub in e[9]]
    rnd = random.Random(11)
    cases = []
    for e in entries:
        sp = keyspecs.spec_dicts(e[8])
        if any("variable_flags" in s["flags"] for s in sp):
            continue                    # Redis asks the command's own procedure
        words = [x.encode() for x in e[0].split("|")]
        for n in range(len(words), abs(e[1]) + 6):
            for _ in range(4):
                argv = words + [rnd.choice(KEY_TOKENS) for _ in range(n - len(words))]
                if (e[1] > 0 and e[1] != len(argv)) or len(argv) < -e[1]:
                    continue
                found = keyspecs.walk(sp, argv)
                if found is not None and found:
                    cases.append((argv, found))
    replies = w.run([cmd_bytes("COMMAND", "GETKEYSANDFLAGS", *argv) for argv, _ in cases])
    w.close()
    movable = 0
    for (argv, found), reply in zip(cases, replies):
        want = resp_array([resp_array([b"$%d\r\n%s\r\n" % (len(argv[i]), argv[i]),
                                       resp_array([b"+%s\r\n" % f.encode() for f in fl])]) for i, fl in found])
        assert reply == want, argv
        movable += argv[0] in (b"zunionstore", b"migrate", b"xread", b"lmpop", b"eval")
    assert len(cases) > 1000 and movable > 20


def _listing(reply):
    """The names of an array-of-bulk-strings reply."""
    parts = reply.split(b"\r\n")
    return sorted(p.decode() for p in parts[2::2])


@pytest.mark.parametrize("tail", [
    [], ["FILTERBY", "PATTERN", "c*"], ["FILTERBY", "PATTERN", "config|*"], ["filterby", "pattern", "*|GET"],
    ["FILTERBY", "PATTERN", "[a-f]*"], ["FILTERBY", "PATTERN", "GET"], ["FILTERBY", "ACLCAT", "read"],
    ["FILTERBY", "ACLCAT", "ADMIN"], ["FILTERBY", "ACLCAT", "nosuch"], ["FILTERBY", "aclcat", "connection"],
    ["FILTERBY", "MODULE", "foo"],
])
def test_command_list_filterby(pair, tail):
    ours, theirs = both(pair, [cmd_bytes("COMMAND", "LIST", *tail)])
    known = _ours()
    assert ours[0].startswith(b"*")
    assert _listing(ours[0]) == [n for n in _listing(theirs[0]) if n in known]
    if tail and tail[1].lower() != "module":
        assert len(_listing(ours[0])) < len(known)


@pytest.mark.parametrize("tail", [
    ["FILTERBY"], ["FILTERBY", "PATTERN"], ["FILTERBY", "FOO", "x"], ["FILTERBY", "PATTERN", "a", "b"],
    ["BAD"], ["FILTERBY", "PATTERN", "a", "FILTERBY", "PATTERN", "b"],
])
def test_command_list_syntax_errors(pair, tail):
    ours, theirs = both(pair, [cmd_bytes("COMMAND", "LIST", *tail)])
    assert ours == theirs == [b"-ERR syntax error\r\n"]


@pytest.mark.parametrize("resp3", [False, True])
def test_command_info_and_docs_of_subcommands_and_unknown_names(pair, resp3):
    names = ["config|get", "CONFIG|GET", "client|list", "object|encoding", "memory|usage", "get",
             "nosuch", "get|x", "config|get|x", "config|", "|get", "config|nosuch", "", "command|getkeys"]
    reqs = [cmd_bytes("COMMAND", "INFO", n) for n in names] + [cmd_bytes("COMMAND", "DOCS", n) for n in names]
    reqs += [cmd_bytes("COMMAND", "INFO", *names), cmd_bytes("COMMAND", "DOCS", "get", "nosuch", "config|set")]
    ours, theirs = both(pair, reqs, resp3)
    assert ours == theirs
    null = b"_\r\n" if resp3 else b"$-1\r\n"
    assert ours[names.index("nosuch")] == b"*1\r\n" + null
    assert ours[names.index("config|get")].startswith(b"*1\r\n*10\r\n$10\r\nconfig|get\r\n")


def test_command_count_is_the_top_level_commands(pair):
    ours, _ = both(pair, [b"COMMAND COUNT\r\n", b"COMMAND LIST\r\n"])
    assert ours[0] == b":%d\r\n" % len(commands.NAMES)
    assert len(_listing(ours[1])) == len(_ours())
