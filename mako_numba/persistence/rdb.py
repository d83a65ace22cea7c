"""Redis 7.0's RDB file format (version 10), strings to sorted sets: a sans-IO codec.

`RdbWriter` turns a data set into bytes, a piece per call, so a dump of
millions of keys is written as it is produced and never held whole.
`RdbReader` takes bytes in chunks of any size and hands back
(db, key, value, expire_ms) records; `parse(data)` does both at once.  No
file or socket is touched here: the caller moves the bytes.
(rdbscan.py describes the format itself.)

Rules:
- Strings are written as Redis's rdbSaveRawString writes them: an integer
  encoding for a canonical integer that fits 32 bits (at most 11 bytes,
  exactly its own decimal form: "007", "+1", "-0" and "1.0" stay strings),
  else LZF when compression is on, the string is longer than 20 bytes and
  compressing saves at least 4 bytes, else raw.  So for the same data our
  records are Redis's, byte for byte (lzf.py tells the one rare exception).
- The writer keeps the running CRC-64 and ends the file with it (or with
  zeros when checksums are off, as Redis's rdbchecksum no).
- Hashes and sets are written as Redis 7.0 writes them: a listpack hash
  as RDB_TYPE_HASH_LISTPACK, an intset as RDB_TYPE_SET_INTSET (each one
  string), a hashtable hash or set as RDB_TYPE_HASH / RDB_TYPE_SET (a
  count, then the strings).  A list is written as RDB_TYPE_LIST_QUICKLIST_2:
  its nodes (cut by list-max-listpack-size, `fill`), each PACKED, its
  listpack one string.  A sorted set is written as RDB_TYPE_ZSET_LISTPACK
  (its listpack, one string) or RDB_TYPE_ZSET_2 (a count, then from the
  highest score down each member and its score as a binary double).
  rdbcoll.py has the encodings and the Python values (`Hash`, `Set`,
  `List`, `Zset`) the reader returns for them.
- The reader accepts what Redis 7.0 writes for strings, hashes, sets, lists
  and sorted sets, and the older encodings it still loads (hash ziplist and
  zipmap; a list of strings, one ziplist, a quicklist of ziplists; a
  quicklist 2's PLAIN nodes; a sorted set's ziplist, or its scores as text):
  every string encoding, EXPIRETIME_MS and the old EXPIRETIME, SELECTDB,
  RESIZEDB, AUX, LRU/LFU data (ignored); versions 1..10.  An empty hash,
  set, list or sorted set (empty list nodes are skipped) is skipped, as
  Redis skips it.  Anything else is refused with `RdbError`: another type
  (a stream or a module's, naming the key and the type), module or function
  data, a newer version, corruption (naming the byte offset: a list's, its
  faulty node's; a sorted set's, its faulty score's), a checksum mismatch,
  a file that ends early.
  A stored checksum of zero means "not computed" and is accepted, as
  Redis does.
- The checksum is known only at the end.  `feed` hands out records as they
  are parsed, so a loader must treat them as provisional until `close()`
  returns; `parse` returns nothing unless the whole file was good.
- Keys are returned whatever their expiry: dropping keys already expired
  (as a Redis master does when loading) is the loader's decision.
"""
import math
import struct
import time
from collections import namedtuple

import numpy as np

from mako_numba.config import settings as config
from mako_numba.base import lzf
from mako_numba.base.crc64 import crc64
from mako_numba.persistence import rdbcoll
from mako_numba.persistence.rdbcoll import Hash, List, Set, Zset
from mako_numba.persistence.rdbscan import (
    E_BAD_LENGTH, E_BAD_STRING, E_FUNCTION, E_MODULE_AUX, E_TOO_BIG, E_UNKNOWN_OP,
    E_UNSUPPORTED, ENC_INT8, ENC_INT16, ENC_INT32, ENC_LZF, F_ELEMS, F_INT, F_RAW, K_AUX,
    K_KEY, LEN_32, LEN_64, NCOLS, OP_AUX, OP_EOF, OP_EXPIRETIME_MS, OP_RESIZEDB, OP_SELECTDB,
    R_AT, R_CODE, R_DB, R_DETAIL, R_END, R_KEY, R_KIND, R_RECORD, R_START, R_TYPE,
    RDB_VERSION, S_EOF, S_ERROR, S_FULL, S_NEED, TYPE_HASH, TYPE_HASH_LISTPACK,
    TYPE_HASH_ZIPLIST, TYPE_HASH_ZIPMAP, TYPE_LIST, TYPE_LIST_QUICKLIST, TYPE_LIST_QUICKLIST_2,
    TYPE_LIST_ZIPLIST, TYPE_NAMES, TYPE_SET, TYPE_SET_INTSET, TYPE_STRING, TYPE_ZSET,
    TYPE_ZSET_2, TYPE_ZSET_LISTPACK, TYPE_ZSET_ZIPLIST, scan_records,
)
from mako_numba.store.types.list import (
    QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_CONTAINER_PLAIN,
)

MAGIC = b"REDIS"
CRC_FLUSH = 256 * 1024          # the writer checksums its output in pieces this big
_LEN6 = [bytes((n,)) for n in range(64)]    # the one-byte lengths, made once
_INT_FIRST = frozenset(b"-0123456789")
_TYPE_STRING = bytes((TYPE_STRING,))
_EXPIRE = struct.Struct("<Bq")
_DOUBLE = struct.Struct("<d")
# a text score (RDB_TYPE_ZSET) that sscanf reads nothing from: Redis's load stops with "Short
# read or OOM loading DB", naming nothing; ours names it
ZSET_SCORE_TEXT = "Zset score that is not a number"


class RdbError(Exception):
    """The RDB data was refused: unsupported content, corruption, or a bad checksum."""


# --- writing ----------------------------------------------------------------------
def encode_length(n):
    """rdbSaveLen: 6, 14, 32 or 64 bits, the first byte saying which."""
    if n < 1 << 6:
        return bytes((n,))
    if n < 1 << 14:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return bytes((LEN_32,)) + n.to_bytes(4, "big")
    return bytes((LEN_64,)) + n.to_bytes(8, "big")


def encode_integer(s):
    """rdbTryIntegerEncoding: the INT8/16/32 form of s, or None if s is not a canonical int32."""
    if not 0 < len(s) <= 11 or s[0] not in _INT_FIRST:
        return None
    try:
        v = int(s)
    except ValueError:
        return None
    if b"%d" % v != s:      # "007", "+1", "-0", " 1", "1_0" are not integers to Redis
        return None
    if -128 <= v <= 127:
        return struct.pack("<Bb", ENC_INT8, v)
    if -32768 <= v <= 32767:
        return struct.pack("<Bh", ENC_INT16, v)
    if -2**31 <= v < 2**31:
        return struct.pack("<Bi", ENC_INT32, v)
    return None


class RdbWriter:
    """Encodes an RDB file piece by piece: header, then per database select_db and
    its keys (string), then footer.  Each call returns the bytes to append."""

    def __init__(self, compress=True, checksum=True):
        self.compress = compress            # Redis's rdbcompression
        self.checksum = checksum            # Redis's rdbchecksum
        self.bytes_written = 0
        self._lzf = lzf.Compressor()
        self._crc = 0
        self._pending = []                  # pieces not yet in _crc
        self._pending_size = 0
        self._started = False
        self._finished = False

    def _emit(self, piece):
        if self._finished:
            raise ValueError("the RDB file is already finished (footer written)")
        self.bytes_written += len(piece)
        if self.checksum:
            self._pending.append(piece)
            self._pending_size += len(piece)
            if self._pending_size >= CRC_FLUSH:
                self._flush_crc()
        return piece

    def _flush_crc(self):
        if self._pending:
            self._crc = crc64(b"".join(self._pending), self._crc)
            self._pending = []
            self._pending_size = 0

    def encode_string(self, s):
        """rdbSaveRawString: s (bytes-like) as an RDB string."""
        if type(s) is not bytes:
            s = bytes(s)
        n = len(s)
        if n <= 11 and n and s[0] in _INT_FIRST:
            enc = encode_integer(s)
            if enc is not None:
                return enc
        if self.compress and n > 20:
            packed = self._lzf.compress(s, n - 4)
            if packed is not None:
                return b"".join((bytes((ENC_LZF,)), encode_length(len(packed)),
                                 encode_length(n), packed))
        return (_LEN6[n] if n < 64 else encode_length(n)) + s

    def header(self, aux=None):
        """The magic, the version and the AUX fields, in the order Redis 7.0 writes them.

        aux overrides or adds fields (name -> str, int or bytes); defaults:
        redis-ver, redis-bits 64, ctime now, used-mem 0, aof-base 0.  Fields
        other than those five go before aof-base, where Redis puts its
        replication fields.
        """
        if self._started:
            raise ValueError("the RDB header was already written")
        self._started = True
        fields = {"redis-ver": config.REDIS_VERSION, "redis-bits": 64,
                  "ctime": int(time.time()), "used-mem": 0}
        fields.update(aux or {})
        fields["aof-base"] = fields.pop("aof-base", 0)
        parts = [MAGIC, b"%04d" % RDB_VERSION]
        for name, value in fields.items():
            if isinstance(value, int):
                value = b"%d" % value
            elif isinstance(value, str):
                value = value.encode()
            name = name.encode() if isinstance(name, str) else name
            parts += [bytes((OP_AUX,)), self.encode_string(name), self.encode_string(value)]
        return self._emit(b"".join(parts))

    def select_db(self, db, db_size, expires_size):
        """SELECTDB db, then RESIZEDB with the number of keys and of keys with an expiry."""
        self._check_started()
        return self._emit(b"".join((bytes((OP_SELECTDB,)), encode_length(db), bytes((OP_RESIZEDB,)),
                                    encode_length(db_size), encode_length(expires_size))))

    def string(self, key, value, expire_ms=-1):
        """One string key: [EXPIRETIME_MS t] 0 key value; expire_ms < 0 means no expiry."""
        self._check_started()
        head = _EXPIRE.pack(OP_EXPIRETIME_MS, expire_ms) if expire_ms >= 0 else b""
        return self._emit(b"".join((head, _TYPE_STRING, self.encode_string(key),
                                    self.encode_string(value))))

    def hash(self, key, pairs, expire_ms=-1):
        """One hash key (a dict, or a Hash whose encoding says how it is saved)."""
        self._check_started()
        enc = getattr(pairs, "encoding", None) or rdbcoll.hash_encoding(pairs)
        if enc == "listpack":
            value = self.encode_string(rdbcoll.listpack([x for kv in pairs.items() for x in kv]))
            return self.encoded(TYPE_HASH_LISTPACK, key, value, expire_ms)
        value = [encode_length(len(pairs))]
        for f, v in pairs.items():
            value += [self.encode_string(f), self.encode_string(v)]
        return self.encoded(TYPE_HASH, key, b"".join(value), expire_ms)

    def set(self, key, members, expire_ms=-1):
        """One set key (a set, or a Set whose encoding and order say how it is saved)."""
        self._check_started()
        order = getattr(members, "order", None) or list(members)
        enc = getattr(members, "encoding", None) or rdbcoll.set_encoding(order)
        if enc == "intset":
            value = self.encode_string(rdbcoll.intset([int(m) for m in order]))
            return self.encoded(TYPE_SET_INTSET, key, value, expire_ms)
        value = b"".join([encode_length(len(order))] + [self.encode_string(m) for m in order])
        return self.encoded(TYPE_SET, key, value, expire_ms)

    def list(self, key, items, expire_ms=-1, fill=config.LIST_MAX_LISTPACK_SIZE):
        """One list key (its elements, head first) as RDB_TYPE_LIST_QUICKLIST_2: the nodes
        Redis would hold under list-max-listpack-size fill, each PACKED."""
        self._check_started()
        nodes = rdbcoll.quicklist_nodes(items, fill)
        value = [encode_length(len(nodes))]
        for lp in nodes:
            value += [encode_length(QUICKLIST_NODE_CONTAINER_PACKED), self.encode_string(lp)]
        return self.encoded(TYPE_LIST_QUICKLIST_2, key, b"".join(value), expire_ms)

    def zset(self, key, pairs, expire_ms=-1):
        """One sorted-set key: a Zset (its pairs in its order, its encoding saying how it is
        saved), or a dict member -> score or (member, score) pairs, saved as Redis would hold
        them after ZADD: RDB_TYPE_ZSET_LISTPACK or RDB_TYPE_ZSET_2."""
        self._check_started()
        if isinstance(pairs, Zset):
            order = list(pairs)
        else:
            order = rdbcoll.zset_order(pairs.items() if isinstance(pairs, dict) else pairs)
        enc = getattr(pairs, "encoding", None) or rdbcoll.zset_encoding(order)
        if enc == "listpack":
            value = self.encode_string(rdbcoll.zset_listpack(order))
            return self.encoded(TYPE_ZSET_LISTPACK, key, value, expire_ms)
        value = [encode_length(len(order))]
        for m, v in reversed(order):
            value += [self.encode_string(m), _DOUBLE.pack(v)]
        return self.encoded(TYPE_ZSET_2, key, b"".join(value), expire_ms)

    def key(self, key, value, expire_ms=-1):
        """One key of any type the reader returns: bytes, a dict (hash), a set, a list or a
        Zset."""
        if isinstance(value, Zset):
            return self.zset(key, value, expire_ms)
        if isinstance(value, dict):
            return self.hash(key, value, expire_ms)
        if isinstance(value, (set, frozenset)):
            return self.set(key, value, expire_ms)
        if isinstance(value, list):
            return self.list(key, value, expire_ms)
        return self.string(key, value, expire_ms)

    def encoded(self, rdb_type, key, value, expire_ms=-1):
        """One key whose value is already in its RDB form (value: the bytes after the key)."""
        self._check_started()
        head = _EXPIRE.pack(OP_EXPIRETIME_MS, expire_ms) if expire_ms >= 0 else b""
        return self._emit(b"".join((head, bytes((rdb_type,)), self.encode_string(key), value)))

    def records(self, data):
        """Records encoded elsewhere (rdbdump.encode_records, with this writer's LZF state):
        a uint8 array, checksummed where it lies and returned to be written."""
        self._check_started()
        if self._finished:
            raise ValueError("the RDB file is already finished (footer written)")
        if self.checksum:
            self._flush_crc()
            self._crc = crc64(data, self._crc)
        self.bytes_written += len(data)
        return data

    def lzf_state(self):
        """The Compressor whose hash table and base encode_records must share (.htab, .base)."""
        return self._lzf

    def footer(self):
        """EOF and the CRC-64 of the whole file (little-endian; zeros if checksums are off)."""
        self._check_started()
        self._emit(bytes((OP_EOF,)))
        self._flush_crc()
        self._finished = True
        tail = struct.pack("<Q", self._crc if self.checksum else 0)
        self.bytes_written += len(tail)
        return bytes((OP_EOF,)) + tail

    def _check_started(self):
        if not self._started:
            raise ValueError("write the RDB header first")


# --- reading ----------------------------------------------------------------------
RdbContents = namedtuple("RdbContents", "version aux records checksum")

_HEADER, _BODY, _CHECKSUM, _DONE = range(4)
_CORRUPT = {
    E_UNKNOWN_OP: "unknown opcode or type 0x%02x",
    E_BAD_LENGTH: "invalid length encoding (first byte 0x%02x)",
    E_BAD_STRING: "unknown string encoding %d",
    E_TOO_BIG: "a length of %d bytes, above the limit of %d",
}


def _quote(key):
    return "'" + key.decode("utf-8", "backslashreplace").replace("'", "\\'") + "'"


# --- why a file is refused (the reader's and snapshots' loader's messages) ------------
def corrupt(at, what):
    return RdbError("corrupt RDB file at offset %d: %s" % (at, what))


def header_version(head):
    """The version of the 9-byte header head; RdbError unless it is one we read."""
    if head[:5] != MAGIC:
        raise RdbError("not an RDB file: it does not start with 'REDIS'")
    if not head[5:].isdigit():
        raise corrupt(5, "the version is not 4 digits: %r" % head[5:])
    version = int(head[5:])
    if version > RDB_VERSION:
        raise RdbError("RDB format version %d is newer than mako_numba reads (versions "
                       "up to %d, as Redis 7.0 writes)" % (version, RDB_VERSION))
    if version < 1:
        raise corrupt(5, "RDB format version %d does not exist" % version)
    return version


def truncated(end, in_header, in_checksum, record_at):
    """A file that ends at offset end: in the header, the checksum or the record at record_at."""
    if in_header:
        return RdbError("RDB file truncated: %d bytes, shorter than the header" % end)
    what = "the checksum" if in_checksum else "the record at offset %d" % record_at
    return RdbError("RDB file truncated: it ends at offset %d, inside %s" % (end, what))


def checksum_mismatch(stored, crc):
    return RdbError("RDB checksum mismatch: the file says %016x, its contents give "
                    "%016x (the file is corrupt)" % (stored, crc))


def field_bytes(buf, base, enc, a, b, c):
    """The bytes of a string of a scanner row (F_*, a, b, c) over buf (file offset base)."""
    if enc == F_RAW:
        return bytes(buf[a:a + b])
    if enc == F_INT:
        return b"%d" % a
    value = lzf.decompress(buf[a:a + b], c)
    if value is None:
        raise corrupt(base + a, "LZF data that does not expand to %d bytes" % c)
    return value


def _string_at(buf, base, at):
    """(bytes, next offset) of the RDB string at buf[at:], already checked by the scanner."""
    first = buf[at]
    kind = first >> 6
    if kind == 3:
        enc = first & 0x3F
        if enc < 3:
            k = 1 << enc
            return b"%d" % int.from_bytes(buf[at + 1:at + 1 + k], "little", signed=True), at + 1 + k
        clen, q = _length_at(buf, at + 1)
        ulen, q = _length_at(buf, q)
        return field_bytes(buf, base, 2, q, clen, ulen), q + clen
    n, q = _length_at(buf, at)
    return bytes(buf[q:q + n]), q + n


def _node_at(buf, base, at):
    """(bytes, offset of its bytes in the file, next offset) of the RDB string at buf[at:]
    (an integer's offset is the string's own; LZF's, its compressed bytes')."""
    first = buf[at]
    value, nxt = _string_at(buf, base, at)
    if first >> 6 == 3:
        if first & 0x3F < 3:
            return value, base + at, nxt
        clen, q = _length_at(buf, at + 1)
        return value, base + _length_at(buf, q)[1], nxt
    return value, base + _length_at(buf, at)[1], nxt


def _length_at(buf, at):
    first = buf[at]
    if first >> 6 == 0:
        return first & 0x3F, at + 1
    if first >> 6 == 1:
        return (first & 0x3F) << 8 | buf[at + 1], at + 2
    k = 4 if first == LEN_32 else 8
    return int.from_bytes(buf[at + 1:at + 1 + k], "big"), at + 1 + k


def elements_value(buf, base, rdb_type, at, strings):
    """The Hash, Set, List or Zset of a value saved as a count and strings (TYPE_HASH,
    TYPE_SET, a list's, a sorted set's pairs) whose strings start at buf[at:]."""
    if rdb_type == TYPE_LIST_QUICKLIST or rdb_type == TYPE_LIST_QUICKLIST_2:
        return quicklist_value(buf, base, rdb_type, at, strings)
    if rdb_type == TYPE_ZSET or rdb_type == TYPE_ZSET_2:
        return zset_value(buf, base, rdb_type, at, strings)
    items = []
    for _ in range(strings):
        item, at = _string_at(buf, base, at)
        items.append(item)
    if rdb_type == TYPE_HASH:
        return Hash(zip(items[::2], items[1::2]), "hashtable")
    if rdb_type == TYPE_LIST:
        return List(items)
    return Set(items, "hashtable")


def quicklist_value(buf, base, rdb_type, at, nodes):
    """The List of a quicklist value whose nodes start at buf[at:], checked as rdbLoadObject
    checks them: a container PLAIN or PACKED (quicklist 2), a PLAIN node not empty, a PACKED
    node's listpack (a quicklist's ziplist) whole; empty nodes skipped."""
    items = []
    for _ in range(nodes):
        container = QUICKLIST_NODE_CONTAINER_PACKED
        if rdb_type == TYPE_LIST_QUICKLIST_2:
            container, nxt = _length_at(buf, at)
            if container not in (QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_CONTAINER_PLAIN):
                raise corrupt(base + at, "Quicklist integrity check failed")
            at = nxt
        data, where, at = _node_at(buf, base, at)
        if container == QUICKLIST_NODE_CONTAINER_PLAIN:
            if not data:
                raise corrupt(where, "Quicklist integrity check failed")
            items.append(data)
            continue
        try:
            if rdb_type == TYPE_LIST_QUICKLIST_2:
                items += rdbcoll.listpack_items(data)
            else:
                items += rdbcoll.ziplist_items(data)
        except (ValueError, IndexError, struct.error):
            raise corrupt(where, "Listpack integrity check failed" if rdb_type == TYPE_LIST_QUICKLIST_2
                          else "Ziplist integrity check failed") from None
    return List(items)


def zset_value(buf, base, rdb_type, at, count):
    """The Zset of a TYPE_ZSET / TYPE_ZSET_2 value whose pairs start at buf[at:], checked as
    rdbLoadObject checks them (every score readable and not NaN, naming its offset; then no
    member twice, naming the value's)."""
    first = at
    pairs = []
    for _ in range(count):
        member, at = _string_at(buf, base, at)
        where = base + at
        if rdb_type == TYPE_ZSET_2:
            score = _DOUBLE.unpack_from(buf, at)[0]
            at += 8
        else:
            n = buf[at]
            at += 1
            if n >= 253:
                score = (math.nan, math.inf, -math.inf)[n - 253]
            else:
                score = rdbcoll.text_score(bytes(buf[at:at + n])) if n else None
                at += n
                if score is None:
                    raise corrupt(where, ZSET_SCORE_TEXT)
        if math.isnan(score):
            raise corrupt(where, "Zset with NAN score detected")
        pairs.append((member, score))
    if len({m for m, v in pairs}) != len(pairs):
        raise corrupt(base + first, "Duplicate zset fields detected")
    return Zset(rdbcoll.zset_order(pairs), "skiplist")


_PACKED = {
    TYPE_HASH_LISTPACK: ("hash", "listpack", rdbcoll.listpack_items, "Hash listpack integrity check failed"),
    TYPE_HASH_ZIPLIST: ("hash", "ziplist", rdbcoll.ziplist_items, "Hash ziplist integrity check failed"),
    TYPE_HASH_ZIPMAP: ("hash", "zipmap", rdbcoll.zipmap_items, "Zipmap integrity check failed"),
    TYPE_SET_INTSET: ("set", "intset", rdbcoll.intset_items, "Intset integrity check failed"),
    TYPE_LIST_ZIPLIST: ("list", "quicklist", rdbcoll.ziplist_items,
                        "List ziplist integrity check failed"),
    TYPE_ZSET_LISTPACK: ("zset", "listpack", rdbcoll.listpack_items,
                         "Zset listpack integrity check failed"),
    TYPE_ZSET_ZIPLIST: ("zset", "listpack", rdbcoll.ziplist_items,
                        "Zset ziplist integrity check failed"),
}


def packed_value(rdb_type, value, at):
    """The Hash, Set or List a collection's value decodes to (value: the string of a
    one-string encoding, or elements_value's result); `at`: the value's file offset, for
    errors."""
    if rdb_type not in _PACKED:
        return value
    kind, encoding, items, message = _PACKED[rdb_type]
    try:
        items = items(value)
        if kind == "hash" and len(items) % 2:
            raise ValueError("odd")
        if kind == "zset":
            pairs = rdbcoll.zset_pairs(items)
    except (ValueError, IndexError, struct.error):
        raise corrupt(at, message) from None
    if kind == "zset":
        # a NaN score: Redis takes it here (the loader does not: no skiplist could hold it);
        # then a member twice; pairs out of order are put in order, as the loader does
        if any(math.isnan(v) for m, v in pairs):
            raise corrupt(at, "Zset with NAN score detected")
        if len({m for m, v in pairs}) != len(pairs):
            raise corrupt(at, message)
        return Zset(rdbcoll.zset_order(pairs), encoding)
    if kind == "set":
        return Set(items, "intset")
    if kind == "list":
        return List(items)
    pairs = list(zip(items[::2], items[1::2]))
    if rdb_type != TYPE_HASH_LISTPACK and len(dict(pairs)) != len(pairs):
        raise corrupt(at, "Hash zipmap with dup elements" if rdb_type == TYPE_HASH_ZIPMAP else message)
    return Hash(pairs, "listpack")


def stop_error(stop, base, key, max_string):
    """The RdbError of a scanner's S_ERROR row (offsets from base); key: the bytes of the key
    of an unsupported type (E_UNSUPPORTED)."""
    code, at, detail = stop[R_CODE], base + stop[R_AT], stop[R_DETAIL]
    if code == E_UNSUPPORTED:
        return RdbError("key %s has type %s, which mako_numba does not support (db %d, "
                        "offset %d)" % (_quote(key), TYPE_NAMES[detail], stop[R_DB], at))
    if code == E_MODULE_AUX:
        return RdbError("the RDB file holds module data (MODULE_AUX at offset %d), which "
                        "mako_numba does not support" % at)
    if code == E_FUNCTION:
        return RdbError("the RDB file holds Redis functions (FUNCTION at offset %d), which "
                        "mako_numba does not support" % at)
    if code == E_TOO_BIG:
        return corrupt(at, _CORRUPT[code] % (detail, max_string))
    return corrupt(at, _CORRUPT[code] % detail)


class RdbReader:
    """Sans-IO RDB reader: feed() it bytes, it returns the records complete so far."""

    def __init__(self, max_string=config.PROTO_MAX_BULK_LEN, batch=4096):
        self.version = None
        self.aux = {}                   # AUX fields, name -> value (str)
        self.checksum = None            # as stored; 0: the writer did not compute one
        self.done = False               # EOF and checksum read and verified
        self.unused = b""               # bytes after the checksum
        self.max_string = max_string
        # Offsets below are in the buffer being parsed: _buf plus what was
        # fed, or (when _buf is empty) the fed bytes themselves, uncopied.
        self._buf = bytearray()         # bytes kept from earlier feeds
        self._base = 0                  # file offset of the buffer's first byte
        self._pos = 0                   # parsed up to here
        self._crc = 0                   # CRC of the file up to _crc_pos (<= _pos)
        self._crc_pos = 0
        self._need = len(MAGIC) + 4     # try again when the buffer holds this much
        self._phase = _HEADER
        self._state = np.array([0, -1], np.int64)
        self._rows = np.zeros((batch + 1, NCOLS), np.int64)
        self._failed = None

    def feed(self, data):
        """Take more bytes; returns a list of new (db, key, value, expire_ms) records."""
        if self._failed is not None:
            raise RdbError(self._failed)
        if self.done:
            self.unused += bytes(data)
            return []
        if self._buf:
            self._buf += data
            buf = self._buf
        else:
            buf = data
        out = []
        try:
            for phase, step in ((_HEADER, self._header), (_BODY, self._body),
                                (_CHECKSUM, self._trailer)):
                if self._phase == phase and len(buf) >= self._need:
                    step(buf, out)
        except RdbError as e:
            self._failed = str(e)
            raise
        self._keep(buf)
        return out

    def close(self):
        """Raise RdbError unless the file was complete."""
        if self._failed is not None:
            raise RdbError(self._failed)
        if not self.done:
            end = self._base + len(self._buf)     # _keep kept every unparsed byte
            raise truncated(end, self._phase == _HEADER, self._phase == _CHECKSUM,
                            self._base + self._pos)

    def _header(self, buf, out):
        version = header_version(bytes(buf[:9]))
        self.version = version
        self._pos = 9
        self._phase = _BODY

    def _body(self, buf, out):
        arr = np.frombuffer(buf, np.uint8)
        mv = memoryview(buf)
        rows = self._rows
        try:
            while True:
                n = scan_records(arr, self._pos, arr.shape[0], self._state, self.max_string, rows)
                # the hot loop of a load: one pass, raw strings sliced inline
                for (kind, db, expire, ke, ka, kb, kc, ve, va, vb, vc), rdb_type, start in zip(
                        rows[:n, :R_RECORD].tolist(), rows[:n, R_TYPE].tolist(),
                        rows[:n, R_START].tolist()):
                    key = (mv[ka:ka + kb].tobytes() if ke == F_RAW
                           else field_bytes(mv, self._base, ke, ka, kb, kc))
                    if ve == F_ELEMS:
                        value = elements_value(mv, self._base, rdb_type, va, vb)
                    else:
                        value = (mv[va:va + vb].tobytes() if ve == F_RAW else b"%d" % va
                                 if ve == F_INT else field_bytes(mv, self._base, ve, va, vb, vc))
                    if kind == K_KEY and rdb_type != TYPE_STRING:
                        value = packed_value(rdb_type, value, self._base + (start if ve == F_INT else va))
                    if kind == K_KEY and (rdb_type == TYPE_STRING or len(value)):   # empty: skipped
                        out.append((db, key, value, expire))
                    elif kind == K_AUX:
                        self.aux[key.decode("utf-8", "backslashreplace")] = \
                            value.decode("utf-8", "backslashreplace")
                stop = rows[n].tolist()
                kind = stop[R_KIND]
                if kind == S_ERROR:
                    raise self._error(mv, stop)
                self._pos = stop[R_START] if kind == S_NEED else stop[R_END]
                self._crc = int(crc64(arr[self._crc_pos:self._pos], self._crc))
                self._crc_pos = self._pos
                if kind == S_NEED:
                    self._need = stop[R_AT]
                    return
                if kind == S_EOF:
                    self._phase = _CHECKSUM
                    self._need = self._pos + (8 if self.version >= 5 else 0)
                    return
                assert kind == S_FULL
        finally:
            mv.release()
            del arr

    def _error(self, mv, stop):
        key = (field_bytes(mv, self._base, *stop[R_KEY:R_KEY + 4])
               if stop[R_CODE] == E_UNSUPPORTED else b"")
        return stop_error(stop, self._base, key, self.max_string)

    def _trailer(self, buf, out):
        if self.version >= 5:
            stored = struct.unpack_from("<Q", buf, self._pos)[0]
            if stored != 0 and stored != self._crc:
                raise checksum_mismatch(stored, self._crc)
            self.checksum = stored
            self._pos += 8
        self.unused = bytes(buf[self._pos:])
        self._pos = self._crc_pos = len(buf)
        self._phase = _DONE
        self.done = True

    def _keep(self, buf):
        """Keep in _buf what is not yet checksummed (a copy, if buf was the caller's).

        _buf drops its parsed bytes only once they are most of it, so a
        value arriving in many small pieces is not copied again per piece.
        """
        drop = self._crc_pos
        if buf is self._buf:
            if drop <= 65536 or drop * 2 <= len(buf):
                return
            del self._buf[:drop]
        else:
            self._buf = bytearray(memoryview(buf)[drop:])
        self._base += drop
        self._pos -= drop
        self._need -= drop
        self._crc_pos = 0


def parse(data, max_string=config.PROTO_MAX_BULK_LEN):
    """A whole RDB file -> RdbContents(version, aux, records, checksum); raises RdbError."""
    reader = RdbReader(max_string)
    records = reader.feed(data)
    reader.close()
    return RdbContents(reader.version, reader.aux, records, reader.checksum)

