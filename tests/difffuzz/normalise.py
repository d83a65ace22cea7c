"""Masks what is truly random in a reply, nothing else.

The accepted list: client ids (CLIENT ID, HELLO's id) and the id, addr,
laddr, fd, age, idle and memory fields of CLIENT LIST / CLIENT INFO; times
(TIME, LASTSAVE, OBJECT IDLETIME; positive TTL, PTTL, EXPIRETIME and
PEXPIRETIME keep only their number of digits); INFO bodies; RANDOMKEY's
choice; the order of KEYS (hash table order, and Redis seeds its hash per
process); SCAN cursor values and page sizes (the driver compares full walks
instead; NUL bytes inside a SCAN cursor are accepted either way); CONFIG
GET pattern order; OBJECT FREQ (a probabilistic counter); DEBUG OBJECT's
address and LRU fields; MEMORY USAGE and COMMAND COUNT numbers; how many
clients CLIENT KILL killed when some were (stale connections may linger).
One known difference is accepted too: the ql_* fields DEBUG OBJECT adds for a
list (its quicklist's nodes, fill and sizes) are masked on both lines:
mako_numba keeps a list as one run of listpack entries and prints the nodes a
list pushed in its order would have, while Redis's nodes keep the shape
edits in the middle (LINSERT, LSET, LREM) gave them.
Errors (but for SCAN's NUL cursor), EOF and timeouts are never masked.
EXEC's reply is normalised element by element with the commands it ran.
"""
import re

MASK = b"<masked>"
_CLIENT_FIELDS = re.compile(rb"\b(id|addr|laddr|fd|age|idle|qbuf|qbuf-free|argv-mem|multi-mem|"
                            rb"rbs|rbp|obl|oll|omem|tot-mem)=\S*")
_DEBUG_FIELDS = re.compile(rb"(at:|lru:|lru_seconds_idle:)\S*")
_DEBUG_QUICKLIST = re.compile(rb" ql_[a-z_]+:\S*")


def _lower(b):
    return bytes(b).lower()


def _int(tree):
    return (tree[0], MASK) if tree[0] == ord(":") else tree


def _digits(tree):
    if tree[0] == ord(":") and not tree[1].startswith(b"-"):
        return (tree[0], b"~%d" % len(tree[1]))
    return tree


def _bulk(tree, fn):
    if tree[0] in b"$=" and tree[1] is not None:
        return (tree[0], fn(tree[1]))
    return tree


def _flat_id(tree):
    if tree[0] not in b"*%" or not tree[1]:
        return tree
    items = list(tree[1])
    for i in range(0, len(items) - 1, 2):
        if items[i][1] == b"id":
            items[i + 1] = _int(items[i + 1])
    return (tree[0], items)


def _config_get(tree):
    if tree[0] not in b"*%" or not tree[1]:
        return tree
    items = tree[1]
    pairs = sorted(zip(items[0::2], items[1::2]), key=lambda p: repr(p))
    return (tree[0], [x for p in pairs for x in p])


def _scan(args, tree):
    """One page: cursor and keys masked (a full walk, led by +<full walk>, is kept)."""
    if tree[0] == ord("*") and tree[1] and len(tree[1]) == 2 and tree[1][0][0] == ord("$"):
        return (tree[0], [(ord("$"), MASK), (ord("*"), [])])
    return tree


def normalise(args, tree, queued=None):
    """The reply tree of the request args, with the random parts masked."""
    t = tree[0]
    if isinstance(t, str) or not args:
        return tree
    if args[0].lower() == b"scan" and len(args) > 1 and b"\x00" in args[1]:
        return (ord("$"), MASK)         # Redis reads the cursor up to its first NUL: accepted
    if t in b"-!":
        return tree
    name = _lower(args[0])
    sub = _lower(args[1]) if len(args) > 1 else b""
    if name == b"exec" and t == ord("*") and tree[1] is not None and queued is not None \
            and len(queued) == len(tree[1]):
        return (t, [normalise(q, x) for q, x in zip(queued, tree[1])])
    if name == b"time" and t == ord("*") and tree[1]:
        return (t, [(x[0], MASK) for x in tree[1]])
    if name == b"lastsave" or (name == b"client" and sub == b"id") or name == b"memory":
        return _int(tree)
    if name == b"object" and sub in (b"idletime", b"freq"):
        return _int(tree)
    if name in (b"ttl", b"pttl", b"expiretime", b"pexpiretime"):
        return _digits(tree)
    if name == b"info":
        return _bulk(tree, lambda b: MASK)
    if name == b"client" and sub in (b"list", b"info"):
        return _bulk(tree, lambda b: _CLIENT_FIELDS.sub(rb"\1=*", b))
    if name == b"client" and sub == b"kill" and t == ord(":") and tree[1] != b"0":
        return _int(tree)
    if name == b"hello":
        return _flat_id(tree)
    if name == b"keys" and t == ord("*") and tree[1]:
        return (t, sorted(tree[1], key=repr))
    if name == b"randomkey":
        return _bulk(tree, lambda b: MASK)
    if name == b"scan":
        return _scan(args, tree)
    if name == b"config" and sub == b"get":
        return _config_get(tree)
    if name == b"command" and sub == b"count":
        return _int(tree)
    if name == b"debug" and sub == b"object":
        def fields(b):
            return _DEBUG_QUICKLIST.sub(b"", _DEBUG_FIELDS.sub(rb"\1*", b))
        return _bulk(tree, fields) if t != ord("+") else (t, fields(tree[1]))
    return tree
