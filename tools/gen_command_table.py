#!/usr/bin/env python3
"""Generate mako_numba/data/redis_commands.json from a real, running Redis.

The command metadata that mako_numba serves (COMMAND INFO / COMMAND DOCS
replies, arity, flags, key positions, ACL categories) is *generated from a
real Redis server*, not hand-written.  This script connects to a live
redis-server (7.0.15 is the reference) over raw sockets -- no client library
parsing, because we need the exact reply bytes -- and for every requested
command name records:

  info_resp2 / info_resp3   the single entry of ``COMMAND INFO <name>``
                            (the outer ``*1\\r\\n`` array header stripped),
                            over a RESP2 connection and over a connection
                            switched with ``HELLO 3``;
  docs_resp2 / docs_resp3   the doc value of ``COMMAND DOCS <name>`` (the
                            outer array/map header and the leading bulk-string
                            command name stripped);
  arity, flags, first_key, last_key, step, acl_categories
                            decoded from the RESP2 info entry.

Raw bytes are stored as latin-1-decoded strings, so
``b'*1\\r\\n' + info_resp2.encode('latin-1')`` is byte-for-byte the reply
Redis sent for ``COMMAND INFO name``.

Container commands (e.g. ``command``, ``config``, ``client``): their info
entry already contains all subcommand entries at position 10 and their docs
entry contains a ``subcommands`` map; both are kept whole.  In addition every
subcommand is stored as its own entry under the name Redis uses for it
(``container|sub``, e.g. ``client|list``), fetched with
``COMMAND INFO client|list`` / ``COMMAND DOCS client|list``.  Keys containing
``|`` are therefore subcommands, not top-level commands.

Subcommand order: Redis lists a container's subcommands (info position 10,
docs "subcommands") in its internal dict order, which depends on a random
per-process hash seed and, right after startup, on how far an incremental
rehash has progressed (each subcommand lookup advances it).  The script first
makes that order settle, then captures it, so the stored bytes are exactly
what this server process returns.  Another process may list the subcommands
in a different order; any order is valid, and ``--check`` ignores it.

Usage:
  python tools/gen_command_table.py [--host H] [--port P] [-o FILE] [names...]
  python tools/gen_command_table.py --check [--host H] [--port P] [names...]

``--check`` regenerates the table in memory from the live server and compares
it with the file; it exits with status 1 (printing the differences) if they
differ, 0 if identical (apart from subcommand order), 2 on other errors.
"""

import argparse
import json
import os
import socket
import sys

DEFAULT_NAMES = (
    "get set ping echo quit del exists dbsize flushdb flushall hello "
    "command config client info select auth reset "
    "setnx setex psetex getset getdel getex mget mset msetnx append strlen incr decr incrby decrby "
    "getrange substr setrange expire pexpire expireat pexpireat ttl pttl expiretime "
    "pexpiretime persist unlink type touch rename renamenx copy move keys scan randomkey "
    "time swapdb object memory debug multi exec discard watch unwatch "
    "incrbyfloat lcs setbit getbit bitcount save bgsave lastsave shutdown bgrewriteaof "
    "slowlog latency monitor "
    "hset hsetnx hmset hget hmget hdel hlen hstrlen hexists hkeys hvals hgetall hincrby "
    "hincrbyfloat hrandfield hscan "
    "sadd srem scard sismember smismember smembers srandmember spop smove sinter sintercard "
    "sinterstore sunion sunionstore sdiff sdiffstore sscan "
    "lpush rpush lpushx rpushx lpop rpop llen lindex lset lrange ltrim lrem linsert lpos lmove "
    "rpoplpush lmpop blpop brpop blmove brpoplpush blmpop "
    "zadd zincrby zrem zcard zscore zmscore zrank zrevrank zcount zlexcount zrange zrangestore "
    "zrevrange zrangebyscore zrevrangebyscore zrangebylex zrevrangebylex zremrangebyrank "
    "zremrangebyscore zremrangebylex zpopmin zpopmax zmpop zunion zinter zdiff zunionstore "
    "zinterstore zdiffstore zintercard zrandmember zscan bzpopmin bzpopmax bzmpop sort sort_ro"
).split()

DEFAULT_OUTPUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "mako_numba", "data", "redis_commands.json",
)

# --------------------------------------------------------------------------
# Minimal RESP2/RESP3 reader that works on byte spans.
# --------------------------------------------------------------------------

LINE_TYPES = frozenset(b"+-:_,#(")      # value is the rest of the line
BULK_TYPES = frozenset(b"$!=")          # <len>\r\n<bytes>\r\n
AGG_TYPES = {ord("*"): 1, ord("~"): 1, ord(">"): 1,   # n children
             ord("%"): 2, ord("|"): 2}                # n key/value pairs


class Incomplete(Exception):
    """The buffer does not (yet) hold a complete RESP value."""


class RespError(ValueError):
    """Malformed RESP."""


def _header(buf, pos):
    """Return (type_byte, header_bytes, index after the header's CRLF)."""
    if pos >= len(buf):
        raise Incomplete
    eol = buf.find(b"\r\n", pos + 1)
    if eol < 0:
        raise Incomplete
    return buf[pos], bytes(buf[pos + 1:eol]), eol + 2


def value_end(buf, pos=0):
    """Return the index just past the one RESP value starting at buf[pos].

    The span buf[pos:value_end(buf, pos)] is the exact bytes of that value.
    Raises Incomplete if more data is needed, RespError if malformed.
    """
    t, head, nxt = _header(buf, pos)
    if t in LINE_TYPES:
        return nxt
    if t in BULK_TYPES:
        n = int(head)
        if n < 0:                       # RESP2 null bulk string $-1
            return nxt
        end = nxt + n + 2
        if len(buf) < end:
            raise Incomplete
        if buf[end - 2:end] != b"\r\n":
            raise RespError("bulk string not terminated by CRLF at %d" % pos)
        return end
    if t in AGG_TYPES:
        n = int(head)
        if n < 0:                       # RESP2 null array *-1
            return nxt
        for _ in range(n * AGG_TYPES[t]):
            nxt = value_end(buf, nxt)
        if t == ord("|"):               # attribute: the real value follows
            nxt = value_end(buf, nxt)
        return nxt
    raise RespError("unknown RESP type byte %r at %d" % (chr(t), pos))


def children(buf, pos=0):
    """For an aggregate at buf[pos], return (header_end, [(start, end), ...]).

    Maps yield their keys and values as consecutive children.
    """
    t, head, nxt = _header(buf, pos)
    if t not in AGG_TYPES or t == ord("|"):
        raise RespError("not an aggregate at %d: %r" % (pos, chr(t)))
    n = int(head)
    spans = []
    cur = nxt
    for _ in range(max(n, 0) * AGG_TYPES[t]):
        end = value_end(buf, cur)
        spans.append((cur, end))
        cur = end
    return nxt, spans


def decode(buf, pos=0):
    """Decode the RESP value at buf[pos] into Python objects -> (value, end).

    Strings stay bytes, errors become RespError instances, arrays/sets/pushes
    become lists, maps become lists of (key, value) pairs, nulls become None.
    """
    t, head, nxt = _header(buf, pos)
    c = chr(t)
    if c in "+(":
        return head, nxt
    if c == "-":
        return RespError(head.decode("latin-1")), nxt
    if c == ":":
        return int(head), nxt
    if c == "_":
        return None, nxt
    if c == "#":
        return head == b"t", nxt
    if c == ",":
        return float(head), nxt
    if t in BULK_TYPES:
        end = value_end(buf, pos)
        if int(head) < 0:
            return None, end
        return bytes(buf[nxt:end - 2]), end
    if t in AGG_TYPES:
        n = int(head)
        if n < 0:
            return None, nxt
        items = []
        cur = nxt
        for _ in range(n * AGG_TYPES[t]):
            v, cur = decode(buf, cur)
            items.append(v)
        if c == "|":
            return decode(buf, cur)     # drop attributes
        if AGG_TYPES[t] == 2:
            items = list(zip(items[0::2], items[1::2]))
        return items, cur
    raise RespError("unknown RESP type byte %r at %d" % (c, pos))


# --------------------------------------------------------------------------
# Raw connection
# --------------------------------------------------------------------------

def encode_command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode("latin-1")
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawConnection:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()

    def read_reply(self):
        """Return the exact bytes of the next complete reply."""
        while True:
            try:
                end = value_end(self.buf, 0)
            except Incomplete:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("server closed the connection")
                self.buf += chunk
                continue
            raw = bytes(self.buf[:end])
            del self.buf[:end]
            return raw

    def call(self, *args):
        self.sock.sendall(encode_command(*args))
        return self.read_reply()

    def pipeline(self, commands):
        self.sock.sendall(b"".join(encode_command(*c) for c in commands))
        return [self.read_reply() for _ in commands]

    def close(self):
        self.sock.close()


# --------------------------------------------------------------------------
# Table generation
# --------------------------------------------------------------------------

def strip_info(raw, name):
    """COMMAND INFO reply -> the single entry (outer *1 header removed)."""
    hdr_end, spans = children(raw)
    if raw[:hdr_end] != b"*1\r\n" or len(spans) != 1 or spans[0][1] != len(raw):
        raise RespError("unexpected COMMAND INFO %s reply: %r" % (name, raw[:80]))
    entry = raw[spans[0][0]:spans[0][1]]
    if entry in (b"$-1\r\n", b"*-1\r\n", b"_\r\n"):   # unknown command
        raise KeyError("unknown command %r" % name)
    return entry


def strip_docs(raw, name):
    """COMMAND DOCS reply -> the doc value (outer header and name removed)."""
    hdr_end, spans = children(raw)
    if raw[:hdr_end] not in (b"*2\r\n", b"%1\r\n") or len(spans) != 2:
        if raw[:hdr_end] in (b"*0\r\n", b"%0\r\n"):
            raise KeyError("unknown command %r" % name)
        raise RespError("unexpected COMMAND DOCS %s reply: %r" % (name, raw[:80]))
    key, _ = decode(raw, spans[0][0])
    if key.decode("latin-1").lower() != name.lower():
        raise RespError("COMMAND DOCS %s returned name %r" % (name, key))
    if spans[1][1] != len(raw):
        raise RespError("trailing bytes in COMMAND DOCS %s reply" % name)
    return raw[spans[1][0]:spans[1][1]]


def _strs(items):
    return [x.decode("latin-1") for x in items]


def parse_info_entry(entry):
    """Decode the interesting fields of a RESP2 COMMAND INFO entry."""
    v, _ = decode(entry)
    return {
        "arity": v[1],
        "flags": _strs(v[2]),
        "first_key": v[3],
        "last_key": v[4],
        "step": v[5],
        "acl_categories": _strs(v[6]),
    }, v


def server_version(conn):
    raw = conn.call("INFO", "server")
    text, _ = decode(raw)
    for line in text.decode("latin-1").splitlines():
        if line.startswith("redis_version:"):
            return line.split(":", 1)[1].strip()
    raise RespError("no redis_version in INFO server")


def settle_subcommand_order(conn, name, max_rounds=20):
    """Make the subcommand order of container `name` stable before capturing.

    Redis keeps each container's subcommands in a dict that can be left in
    the middle of an incremental rehash at startup; every lookup of a
    subcommand (e.g. ``COMMAND INFO config|get``) performs one rehash step,
    which changes the order in which ``COMMAND INFO config`` / ``COMMAND DOCS
    config`` list the subcommands.  Once the rehash is complete the order no
    longer changes for the lifetime of the process (but it still differs
    between processes: the hash seed is random).  So: look the subcommands
    up until two consecutive container replies are identical.
    """
    prev = None
    for _ in range(max_rounds):
        raw = conn.call("COMMAND", "INFO", name)
        entry = strip_info(raw, name)
        _, decoded = parse_info_entry(entry)
        subs = [x[0] for x in decoded[9]] if len(decoded) > 9 and decoded[9] else []
        if not subs or raw == prev:
            return
        prev = raw
        conn.pipeline([("COMMAND", "INFO", sub) for sub in subs for _ in range(8)])
    raise RespError("subcommand order of %r does not settle" % name)


def _sorted_aggregate(buf, start, end, pair):
    """Rebuild the aggregate buf[start:end] with its children (or key/value
    pairs, if pair) sorted by their bytes."""
    hdr_end, spans = children(buf, start)
    items = [buf[a:b] for a, b in spans]
    if pair:
        items = [items[i] + items[i + 1] for i in range(0, len(items), 2)]
    return buf[start:hdr_end] + b"".join(sorted(items))


def canonical_info(entry):
    """COMMAND INFO entry with the subcommand list (position 10) sorted."""
    hdr_end, spans = children(entry)
    if len(spans) < 10:
        return entry
    a, b = spans[9]
    return entry[:a] + _sorted_aggregate(entry, a, b, pair=False) + entry[b:]


def canonical_docs(value):
    """COMMAND DOCS value with its "subcommands" map/array sorted by name."""
    hdr_end, spans = children(value)
    for i in range(0, len(spans) - 1, 2):
        k = decode(value, spans[i][0])[0]
        if k == b"subcommands":
            a, b = spans[i + 1]
            return value[:a] + _sorted_aggregate(value, a, b, pair=True) + value[b:]
    return value


def canonical_record(rec):
    """A record with subcommand order normalised (used by --check)."""
    out = dict(rec)
    for k, fn in (("info_resp2", canonical_info), ("info_resp3", canonical_info),
                  ("docs_resp2", canonical_docs), ("docs_resp3", canonical_docs)):
        if k in out:
            out[k] = fn(out[k].encode("latin-1")).decode("latin-1")
    return out


def build_table(host, port, names):
    c2 = RawConnection(host, port)
    c3 = RawConnection(host, port)
    try:
        hello = c3.call("HELLO", "3")
        if not hello.startswith(b"%"):
            raise RespError("HELLO 3 failed: %r" % hello[:200])
        version = server_version(c2)
        commands = {}
        todo = [n.lower() for n in names]
        seen = set()
        while todo:
            name = todo.pop(0)
            if name in seen:
                continue
            seen.add(name)
            settle_subcommand_order(c2, name)
            info2_raw = c2.call("COMMAND", "INFO", name)
            info3_raw = c3.call("COMMAND", "INFO", name)
            docs2_raw = c2.call("COMMAND", "DOCS", name)
            docs3_raw = c3.call("COMMAND", "DOCS", name)
            info2 = strip_info(info2_raw, name)
            rec, decoded = parse_info_entry(info2)
            rec["info_resp2"] = info2.decode("latin-1")
            rec["info_resp3"] = strip_info(info3_raw, name).decode("latin-1")
            rec["docs_resp2"] = strip_docs(docs2_raw, name).decode("latin-1")
            rec["docs_resp3"] = strip_docs(docs3_raw, name).decode("latin-1")
            if len(decoded) > 9 and decoded[9]:
                # a container: keep its HELP text too (an array of simple strings)
                rec["help_resp2"] = c2.call(name.upper(), "HELP").decode("latin-1")
                rec["help_resp3"] = c3.call(name.upper(), "HELP").decode("latin-1")
            commands[name] = rec
            # Position 10 of a container's info entry lists its subcommands;
            # store each one under the name Redis gives it ("client|list").
            if len(decoded) > 9 and decoded[9]:
                for sub in decoded[9]:
                    todo.append(sub[0].decode("latin-1").lower())
        return {"redis_version": version, "commands": commands}
    finally:
        c2.close()
        c3.close()


def verify_roundtrip(host, port, table):
    """Check that stored bytes reassemble into the live raw replies."""
    c2 = RawConnection(host, port)
    c3 = RawConnection(host, port)
    bad = []
    try:
        c3.call("HELLO", "3")
        for name, rec in table["commands"].items():
            pairs = [
                (c2.call("COMMAND", "INFO", name),
                 b"*1\r\n" + rec["info_resp2"].encode("latin-1")),
                (c3.call("COMMAND", "INFO", name),
                 b"*1\r\n" + rec["info_resp3"].encode("latin-1")),
                (c2.call("COMMAND", "DOCS", name),
                 b"*2\r\n"
                 + b"$%d\r\n%s\r\n" % (len(name), name.encode("latin-1"))
                 + rec["docs_resp2"].encode("latin-1")),
                (c3.call("COMMAND", "DOCS", name),
                 b"%1\r\n"
                 + b"$%d\r\n%s\r\n" % (len(name), name.encode("latin-1"))
                 + rec["docs_resp3"].encode("latin-1")),
            ]
            for i, (live, stored) in enumerate(pairs):
                if live != stored:
                    bad.append((name, ("info2", "info3", "docs2", "docs3")[i]))
    finally:
        c2.close()
        c3.close()
    return bad


def dump(table):
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("-o", "--output", default=DEFAULT_OUTPUT)
    ap.add_argument("--check", action="store_true",
                    help="compare the file with the live server; exit 1 on difference")
    ap.add_argument("names", nargs="*", default=DEFAULT_NAMES,
                    help="command names (default: %(default)s)")
    args = ap.parse_args(argv)

    try:
        table = build_table(args.host, args.port, args.names)
    except KeyError as e:
        print("error: %s" % e.args[0], file=sys.stderr)
        return 2
    bad = verify_roundtrip(args.host, args.port, table)
    if bad:
        print("internal error: stored bytes do not reassemble for %r" % bad,
              file=sys.stderr)
        return 2

    if args.check:
        try:
            with open(args.output, encoding="ascii") as f:
                on_disk = json.load(f)
        except (OSError, ValueError) as e:
            print("cannot read %s: %s" % (args.output, e), file=sys.stderr)
            return 1
        diffs = []
        if on_disk.get("redis_version") != table["redis_version"]:
            diffs.append("redis_version: file %r, server %r"
                         % (on_disk.get("redis_version"), table["redis_version"]))
        fc = on_disk.get("commands", {})
        for name in sorted(set(fc) | set(table["commands"])):
            if name not in fc:
                diffs.append("%s: missing from file" % name)
            elif name not in table["commands"]:
                diffs.append("%s: in file but not requested/generated" % name)
            else:
                # Subcommand order inside container entries depends on the
                # server process's random hash seed, so compare it sorted.
                a = canonical_record(fc[name])
                b = canonical_record(table["commands"][name])
                for k in sorted(set(a) | set(b)):
                    if a.get(k) != b.get(k):
                        diffs.append("%s.%s differs" % (name, k))
        if diffs:
            print("%s is out of date with %s:%d:" % (args.output, args.host, args.port))
            for d in diffs:
                print("  " + d)
            return 1
        print("%s matches %s:%d (%d entries)"
              % (args.output, args.host, args.port, len(fc)))
        return 0

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="ascii") as f:
        f.write(dump(table))
    print("wrote %s: redis %s, %d entries"
          % (args.output, table["redis_version"], len(table["commands"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
