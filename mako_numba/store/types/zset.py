"""The sorted-set type: the seam's per-type answers (store/types/__init__.py) for a sorted set.

A sorted set is one value: Redis's listpack (zsetlp.py), which Redis names
"listpack", or a skiplist with its member index (zsl.py), "skiplist".
OBJECT ENCODING, DEBUG OBJECT's serializedlength (what rdbSaveObject writes:
the listpack as one RDB string, or RDB_TYPE_ZSET_2's members and binary
scores one by one) and MEMORY USAGE (our own accounting, as for strings:
the record's block and its index slot).  `items` decodes a value in Python
(member bytes, score) in score order, for these and for tests; kernels
never use this module.
"""
import struct

from mako_numba.store.types.string import INDEX_SLOT_BYTES, rdb_len_size, rdb_string_length

RDB_TYPE_ZSET = 3                   # rdb.h: scores as text (loaded, never written)
RDB_TYPE_ZSET_2 = 5                 # scores as binary doubles
RDB_TYPE_ZSET_ZIPLIST = 12
RDB_TYPE_ZSET_LISTPACK = 17

# zsl.py's layout
_HDR_WORDS = 16 + 4 * 32
_HDR = 8 * _HDR_WORDS
_F_COUNT, _F_NCAP = 1, 4


def is_skiplist(value):
    return len(value) >= 8 and struct.unpack_from("<q", value)[0] == 0


def encoding(value, flags=0):
    return "skiplist" if is_skiplist(value) else "listpack"


def refcount_shared(value, flags):
    return False


def listpack_bytes(value):
    """A listpack value's listpack (the value may have room after it)."""
    return bytes(value[:struct.unpack_from("<I", value)[0]])


def _lp_entries(lp):
    """The elements of a listpack: bytes, or int for an integer entry."""
    out = []
    at = 6
    end = len(lp) - 1
    while at < end:
        e = lp[at]
        if e < 0x80:
            out.append(e)
            at += 2
            continue
        if e & 0xC0 == 0x80:
            n = e & 0x3F
            out.append(bytes(lp[at + 1:at + 1 + n]))
            size = 1 + n
        elif e & 0xF0 == 0xE0:
            n = ((e & 0xF) << 8) | lp[at + 1]
            out.append(bytes(lp[at + 2:at + 2 + n]))
            size = 2 + n
        elif e == 0xF0:
            n = struct.unpack_from("<I", lp, at + 1)[0]
            out.append(bytes(lp[at + 5:at + 5 + n]))
            size = 5 + n
        elif e & 0xE0 == 0xC0:
            u = ((e & 0x1F) << 8) | lp[at + 1]
            out.append(u - (1 << 13) if u >= 1 << 12 else u)
            at += 3
            continue
        else:
            k = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[e]
            out.append(int.from_bytes(lp[at + 1:at + 1 + k], "little", signed=True))
            at += 2 + k
            continue
        at += size + (1 if size <= 127 else 2 if size < 16383 else 3 if size < 2097151
                      else 4 if size < 268435455 else 5)
    return out


def _score_of(x):
    if isinstance(x, int):
        return float(x)
    return float(x[:127].decode("latin-1"))


def items(value):
    """[(member, score)] of a sorted-set value, lowest score first."""
    value = bytes(value)
    if not is_skiplist(value):
        flat = _lp_entries(listpack_bytes(value))
        return [(m if isinstance(m, bytes) else b"%d" % m, _score_of(s))
                for m, s in zip(flat[0::2], flat[1::2])]
    ncap = struct.unpack_from("<q", value, 8 * _F_NCAP)[0]
    nodes = _HDR
    members = _HDR + ncap
    out = []
    x = struct.unpack_from("<I", value, nodes + 20)[0]      # the head node's level-0 forward
    while x:
        at = nodes + x
        score, moff = struct.unpack_from("<dI", value, at)
        m = members + moff + 4
        n = value[m]
        if n < 128:
            member = value[m + 1:m + 1 + n]
        else:
            n = struct.unpack_from("<I", value, m + 1)[0]
            member = value[m + 5:m + 5 + n]
        out.append((member, score))
        x = struct.unpack_from("<I", value, at + 20)[0]
    return out


def serialized_length(value, flags):
    if not is_skiplist(value):
        return rdb_string_length(listpack_bytes(value), False)
    pairs = items(value)
    return rdb_len_size(len(pairs)) + sum(rdb_string_length(m, False) + 8 for m, s in pairs)


def memory_usage(found):
    return found[2] + INDEX_SLOT_BYTES
