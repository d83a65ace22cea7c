"""Hashes, sets, lists and sorted sets in the RDB file, in plain Python: what rdb.py handles.

rdb.RdbReader hands a hash back as a `Hash` (a dict, its fields in the
file's order), a set as a `Set` (a frozenset that remembers the file's
order), a list as a `List` (a list of its elements) and a sorted set as a
`Zset` (a list of (member, score) pairs, lowest score first, ties in the
members' byte order, as zslInsert sorts them: a listpack's pairs out of
order are put in order, as the loader does); each
says which encoding the file gave it (`encoding`: "listpack", "intset",
"hashtable", "quicklist" or "skiplist", Redis's OBJECT ENCODING names for
what the RDB type says).  RdbWriter writes them back, choosing the RDB
type from that encoding, or for a plain dict or set as Redis would hold it
after the commands that built it (under the default limits: at most 512
fields of at most 64 bytes is a listpack; at most 512 members, all
integers, an intset; at most 128 members of at most 64 bytes, a sorted
set's listpack).  A list is written as Redis 7.0 writes one, a quicklist
of listpacks (`quicklist_nodes`: the nodes store/types/list.py cuts); a
sorted set's listpack holds its scores as zzlInsertAt writes them
(`score_text`), a skiplist is written highest score first, the scores as
binary doubles (rdbSaveObject's walk from the tail).

The formats, as Redis 7.0 writes (listpack, intset) or still reads
(ziplist of Redis 3.2 .. 6.2, zipmap of Redis 2.x) them, are decoded here
by slow, plain functions; the kernels (listpack.py, ziplist.py,
rdbbuild.py) are checked against them.  A decoder raises ValueError for
bytes that fail Redis's integrity checks.

Rules: this is the reference and the test suite's tool, never the server's
load path (loadfile.py); clarity over speed.
"""
import ctypes
import math
import struct

from mako_numba.config.settings import (     # Redis 7.0's defaults, as the server's
    HASH_MAX_LISTPACK_ENTRIES, HASH_MAX_LISTPACK_VALUE, LIST_MAX_LISTPACK_SIZE,
    SET_MAX_INTSET_ENTRIES, ZSET_MAX_LISTPACK_ENTRIES, ZSET_MAX_LISTPACK_VALUE,
)
from mako_numba.store.types import list as list_type
from mako_numba.store.types.zscore import format_score
from mako_numba.store.types.pyview import (  # noqa: F401 (re-exported)
    as_int, listpack, lp_backlen, lp_entries,
)


class Hash(dict):
    """A hash read from a file (fields in the file's order) and its encoding there."""

    def __init__(self, pairs=(), encoding=None):
        super().__init__(pairs)
        self.encoding = encoding or hash_encoding(self)


class Set(frozenset):
    """A set read from a file, its members' order there (`order`) and its encoding."""

    def __new__(cls, members=(), encoding=None):
        members = list(members)
        self = super().__new__(cls, members)
        self.order = members
        self.encoding = encoding or set_encoding(members)
        return self


class List(list):
    """A list read from a file (its elements, head first) and its encoding there."""

    def __init__(self, items=(), encoding="quicklist"):
        super().__init__(items)
        self.encoding = encoding


class Zset(list):
    """A sorted set read from a file: its (member, score) pairs, lowest score first, and its
    encoding there ("listpack" or "skiplist")."""

    def __init__(self, pairs=(), encoding=None):
        super().__init__(pairs)
        self.encoding = encoding or zset_encoding(self)


def quicklist_nodes(items, fill=LIST_MAX_LISTPACK_SIZE):
    """The listpacks of the nodes Redis 7.0 holds for a list RPUSH built of these elements,
    under list-max-listpack-size fill."""
    entries = lp_entries(listpack(list(items))[6:-1])
    return [list_type.node_listpack(node) for node in list_type.nodes(entries, fill)]


def hash_encoding(pairs):
    small = len(pairs) <= HASH_MAX_LISTPACK_ENTRIES and all(
        len(f) <= HASH_MAX_LISTPACK_VALUE and len(v) <= HASH_MAX_LISTPACK_VALUE
        for f, v in pairs.items())
    return "listpack" if small else "hashtable"


def set_encoding(members):
    small = len(members) <= SET_MAX_INTSET_ENTRIES
    return "intset" if small and all(as_int(m) is not None for m in members) else "hashtable"


# --- sorted sets (t_zset.c) -------------------------------------------------------------------
TWO_62 = float(2**62)       # double2ll's bound, (double)(LLONG_MAX / 2)
LP_STRTOD_MAX = 127         # zzlStrtod reads at most this many bytes of a listpack's score

_libc = ctypes.CDLL(None)
_libc.strtod.restype = ctypes.c_double
_libc.strtod.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]


def strtod(text):
    """libc strtod over text as a C string (a NUL ends it): (value, bytes it took)."""
    buf = ctypes.create_string_buffer(bytes(text))
    end = ctypes.c_void_p()
    value = _libc.strtod(buf, ctypes.byref(end))
    return value, (end.value or ctypes.addressof(buf)) - ctypes.addressof(buf)


def zset_encoding(pairs):
    small = len(pairs) <= ZSET_MAX_LISTPACK_ENTRIES and all(
        len(m) <= ZSET_MAX_LISTPACK_VALUE for m, s in pairs)
    return "listpack" if small else "skiplist"


def zset_order(pairs):
    """(member, score) pairs in a sorted set's order: by score, then by member's bytes."""
    return sorted(pairs, key=lambda p: (p[1], p[0]))


def score_text(v):
    """What zzlInsertAt stores for score v: an integer's digits when double2ll takes it (the
    listpack then holds an integer), else "%.17g" (d2string's for a non-integer)."""
    if not math.isnan(v) and -TWO_62 <= v <= TWO_62 and float(int(v)) == v:
        return b"%d" % int(v)
    return format_score(v)


def zset_listpack(pairs):
    """The listpack Redis holds for these (member, score) pairs, in their order."""
    return listpack([x for m, v in pairs for x in (m, score_text(v))])


def listpack_score(text):
    """zzlStrtod: the score a listpack's string (or an integer's digits) spells."""
    return strtod(bytes(text[:LP_STRTOD_MAX]))[0]


def text_score(text):
    """rdbLoadDoubleValue's sscanf("%lg") of a score saved as text (libc's own, on a C string:
    a NUL ends it); None when it reads none."""
    value = ctypes.c_double()
    got = _libc.sscanf(ctypes.create_string_buffer(bytes(text)), b"%lg", ctypes.byref(value))
    return value.value if got == 1 else None


def zset_pairs(strings):
    """The (member, score) pairs of a sorted set's listpack or ziplist strings, in the file's
    order; ValueError for an odd number of strings (lpPairsValidateIntegrityAndDups)."""
    if len(strings) % 2:
        raise ValueError("odd")
    return [(m, listpack_score(v)) for m, v in zip(strings[0::2], strings[1::2])]


# --- listpack (listpack.c): built by store/types/pyview.py, read here -----------------------
def listpack_items(data):
    """The strings of a listpack (integers as their decimal text); ValueError if corrupt."""
    if len(data) < 7 or struct.unpack_from("<I", data)[0] != len(data) or data[-1] != 0xFF:
        raise ValueError("listpack header or end")
    out, at, last = [], 6, len(data) - 1
    while at < last:
        e = data[at]
        if e < 0x80:
            size, val = 1, e
        elif e & 0xC0 == 0x80:
            size, val = 1 + (e & 0x3F), data[at + 1:at + 1 + (e & 0x3F)]
        elif e & 0xE0 == 0xC0:
            u = (e & 0x1F) << 8 | data[at + 1]
            size, val = 2, u - 8192 if u >= 4096 else u
        elif e & 0xF0 == 0xE0:
            n = (e & 0xF) << 8 | data[at + 1]
            size, val = 2 + n, data[at + 2:at + 2 + n]
        elif e == 0xF0:
            n = struct.unpack_from("<I", data, at + 1)[0]
            size, val = 5 + n, data[at + 5:at + 5 + n]
        elif e in (0xF1, 0xF2, 0xF3, 0xF4):
            k = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[e]
            size, val = 1 + k, int.from_bytes(data[at + 1:at + 1 + k], "little", signed=True)
        else:
            raise ValueError("listpack entry encoding 0x%02x" % e)
        back = lp_backlen(size)
        if at + size + len(back) > last or data[at + size:at + size + len(back)] != back:
            raise ValueError("listpack entry size")
        out.append(b"%d" % val if isinstance(val, int) else bytes(val))
        at += size + len(back)
    numele = struct.unpack_from("<H", data, 4)[0]
    if numele != 65535 and numele != len(out):
        raise ValueError("listpack count")
    return out


# --- intset (intset.c) --------------------------------------------------------------------
def intset(values):
    values = sorted(set(values))
    width = max([2] + [2 if -2**15 <= v < 2**15 else 4 if -2**31 <= v < 2**31 else 8 for v in values])
    return struct.pack("<II", width, len(values)) + b"".join(
        v.to_bytes(width, "little", signed=True) for v in values)


def intset_items(data):
    """The members of an intset, as decimal strings; ValueError if corrupt (intsetValidateIntegrity)."""
    if len(data) < 8:
        raise ValueError("intset header")
    width, n = struct.unpack_from("<II", data)
    if width not in (2, 4, 8) or 8 + width * n != len(data) or n == 0:
        raise ValueError("intset size")
    return [b"%d" % int.from_bytes(data[8 + width * i:8 + width * (i + 1)], "little", signed=True)
            for i in range(n)]


# --- ziplist (ziplist.c, RDB_TYPE_HASH_ZIPLIST) -----------------------------------------------
_ZL_INTS = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}


def ziplist_items(data):
    """The strings of a ziplist; ValueError if corrupt (ziplistValidateIntegrity, deep)."""
    if len(data) < 11:
        raise ValueError("ziplist header")
    zlbytes, tail, count = struct.unpack_from("<IIH", data)
    if zlbytes != len(data) or data[-1] != 0xFF or tail > len(data) - 1:
        raise ValueError("ziplist header")
    out, at, last, prev, prev_at = [], 10, len(data) - 1, 0, None
    while at < last:
        if data[at] < 254:
            prevlen, head = data[at], 1
        else:
            prevlen, head = struct.unpack_from("<I", data, at + 1)[0], 5
        if prevlen != prev:
            raise ValueError("ziplist prevlen")
        e = data[at + head]
        if e >> 6 == 0:
            n, lensize = e & 0x3F, 1
        elif e >> 6 == 1:
            n, lensize = (e & 0x3F) << 8 | data[at + head + 1], 2
        elif e >> 6 == 2:
            n, lensize = struct.unpack_from(">I", data, at + head + 1)[0], 5
        elif e in _ZL_INTS:
            n, lensize = _ZL_INTS[e], 1
        elif 0xF1 <= e <= 0xFD:
            n, lensize = 0, 1
        else:
            raise ValueError("ziplist encoding 0x%02x" % e)
        start = at + head + lensize
        if start + n > last:
            raise ValueError("ziplist entry size")
        body = data[start:start + n]
        if e >> 6 < 3:
            out.append(bytes(body))
        elif 0xF1 <= e <= 0xFD:
            out.append(b"%d" % ((e & 0x0F) - 1))
        else:
            out.append(b"%d" % int.from_bytes(body, "little", signed=True))
        prev, prev_at, at = head + lensize + n, at, start + n
    if at != last or (prev_at is not None and prev_at != tail) or (count != 65535 and count != len(out)):
        raise ValueError("ziplist end, tail or count")
    return out


# --- zipmap (zipmap.c, RDB_TYPE_HASH_ZIPMAP) --------------------------------------------------
def zipmap_items(data):
    """Field, value, field, value ... of a zipmap; ValueError if corrupt."""
    if len(data) < 2 or data[-1] != 0xFF:
        raise ValueError("zipmap end")
    out, at, last = [], 1, len(data) - 1

    def length(at):
        if at >= last:
            raise ValueError("zipmap length")
        if data[at] < 254:
            return data[at], at + 1
        if at + 5 > last:
            raise ValueError("zipmap length")
        return struct.unpack_from("<I", data, at + 1)[0], at + 5

    while at < last:
        n, at = length(at)
        field, at = data[at:at + n], at + n
        n, at = length(at)
        if at >= last:
            raise ValueError("zipmap free byte")
        free = data[at]
        value, at = data[at + 1:at + 1 + n], at + 1 + n + free
        if at > last:
            raise ValueError("zipmap entry size")
        out += [bytes(field), bytes(value)]
    if not out or (data[0] != 254 and data[0] != len(out) // 2):
        raise ValueError("zipmap count")
    return out
