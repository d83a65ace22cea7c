"""Where a command's keys are: Redis's key specs, read from the command table's metadata.

COMMAND GETKEYS and GETKEYSANDFLAGS answer from here.  Each command's key
specs are the ones its COMMAND INFO entry shows (position 8 of the entry in
mako_numba/data/redis_commands.json), so nothing about keys is written twice.

Rules:
- `find_keys` is Redis 7.0's getKeysFromCommandWithSpecs: the generic walk of
  getKeysUsingKeySpecs (begin_search index|keyword, find_keys range|keynum,
  every quirk kept) when the specs are complete and their flags reliable,
  else the command's own getkeys procedure (GETKEYS_PROCS): SET's (setGetKeys:
  its flags depend on GET), SORT's (sortGetKeys: STORE's destination) and
  SORT_RO's;
  Redis's others (EVAL, MIGRATE, XREAD ...) belong to commands we do not
  have, which COMMAND GETKEYS answers as unknown, as Redis would.
- Key flags are reported in Redis's order (addReplyFlagsForKeyArgs).
"""
import functools

from mako_numba.commands import registry as commands
from mako_numba.commands.slowpath import int_or_none

KEY_FLAGS = ("RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
             "not_key", "incomplete", "variable_flags")


def parse(data, i=0):
    """One RESP2 value of data from offset i: (value, next offset).  Arrays become lists."""
    kind = data[i:i + 1]
    end = data.index(b"\r\n", i)
    head = data[i + 1:end]
    i = end + 2
    if kind == b"*":
        items = []
        for _ in range(int(head)):
            v, i = parse(data, i)
            items.append(v)
        return items, i
    if kind == b"$":
        n = int(head)
        return data[i:i + n].decode("latin-1"), i + n + 2
    if kind == b":":
        return int(head), i
    return head.decode("latin-1"), i


def _pairs(items):
    return dict(zip(items[::2], items[1::2]))


@functools.lru_cache(maxsize=None)
def specs(name):
    """The key specs of `name` ("set" or "object|encoding") as dicts, in Redis's order."""
    meta = commands.redis_metadata()["commands"][name]
    return spec_dicts(parse(meta["info_resp2"].encode("latin-1"))[0][8])


def spec_dicts(raws):
    """COMMAND INFO's key specs (position 8 of an entry, parsed) as dicts."""
    out = []
    for raw in raws:
        spec = _pairs(raw)
        spec["begin_search"] = _pairs(spec["begin_search"])
        spec["begin_search"]["spec"] = _pairs(spec["begin_search"]["spec"])
        spec["find_keys"] = _pairs(spec["find_keys"])
        spec["find_keys"]["spec"] = _pairs(spec["find_keys"]["spec"])
        spec["flags"] = tuple(spec["flags"])
        out.append(spec)
    return out


def has_keys(name):
    """Redis's doesCommandHaveKeys: a getkeys procedure, or a spec that is not `not_key`."""
    return name in GETKEYS_PROCS or any("not_key" not in s["flags"] for s in specs(name))


def find_keys(name, argv):
    """[(argument index, flags)] of argv's keys (argv[0] is the command), or None when
    the arguments do not say where the keys are (Redis: "Invalid arguments")."""
    sp = specs(name)
    has_keyspec = any("not_key" not in s["flags"] for s in sp)
    has_varflags = any("variable_flags" in s["flags"] for s in sp)
    if has_keyspec and not has_varflags:
        found = walk(sp, argv)
        if found is not None:
            return found
    proc = GETKEYS_PROCS.get(name)
    return proc(argv) if proc else None


def walk(sp, argv):
    """getKeysUsingKeySpecs without GET_KEYSPEC_RETURN_PARTIAL: None on an invalid spec."""
    argc = len(argv)
    keys = []
    for spec in sp:
        flags = spec["flags"]
        if "not_key" in flags:
            continue
        bs, fk = spec["begin_search"], spec["find_keys"]
        first = 0
        if bs["type"] == "index":
            first = bs["spec"]["index"]
        elif bs["type"] == "keyword":
            word, start = bs["spec"]["keyword"].lower(), bs["spec"]["startfrom"]
            begin = start if start > 0 else argc + start
            end = argc - 1 if start > 0 else 1
            i = begin
            while i != end:
                if i >= argc or i < 1:
                    break
                if argv[i].split(b"\0", 1)[0].decode("latin-1").lower() == word:
                    first = i + 1
                    break
                i = i + 1 if begin <= end else i - 1
            if not first:
                continue
        else:
            return None
        if fk["type"] == "range":
            step, lastkey, limit = fk["spec"]["keystep"], fk["spec"]["lastkey"], fk["spec"]["limit"]
            if lastkey >= 0:
                last = first + lastkey
            elif not limit:
                last = argc + lastkey
            else:
                last = first + ((argc - first) // limit + lastkey)
        elif fk["type"] == "keynum":
            step = fk["spec"]["keystep"]
            at = first + fk["spec"]["keynumidx"]
            if fk["spec"]["keynumidx"] >= argc or at >= argc:
                return None
            numkeys = int_or_none(argv[at])
            if numkeys is None or numkeys < 0:
                return None
            first += fk["spec"]["firstkey"]
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        keys += [(i, flags) for i in range(first, last + 1, step)]
        if "incomplete" in flags:
            return None
    return keys


def _set_keys(argv):
    """setGetKeys: the key is argument 1; GET among the options makes it read too."""
    for a in argv[3:]:
        if a[:3].lower() == b"get" and (len(a) == 3 or a[3] == 0):
            return [(1, ("RW", "access", "update"))]
    return [(1, ("OW", "update"))]


def _sort_keys(argv):
    """sortGetKeys: the key, then the last STORE's destination (LIMIT skips two arguments,
    GET and BY one; any other word none)."""
    keys = [(1, ("RO", "access"))]
    store = None
    i = 2
    while i < len(argv):
        word = argv[i].split(b"\0", 1)[0].lower()
        if word == b"limit":
            i += 2
        elif word in (b"get", b"by"):
            i += 1
        elif word == b"store" and i + 1 < len(argv):
            store = (i + 1, ("OW", "update"))
        i += 1
    return keys + [store] if store else keys


def _sort_ro_keys(argv):
    """sortROGetKeys: the key alone."""
    return [(1, ("RO", "access"))]


GETKEYS_PROCS = {"set": _set_keys, "sort": _sort_keys, "sort_ro": _sort_ro_keys}
