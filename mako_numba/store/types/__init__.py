"""The typed key space: value types, the typed lookups, and the per-type seam.

Every record carries its value's type in its header (arena.TYPE_BITS, bits
59..62 of word 1), as Redis's robj carries `type`.  The numbers are Redis's
(server.h OBJ_*).  Strings (string.py), hashes (hash.py) and sets (set.py)
exist; a record is written as a string unless something sets its type
(store/types/coll.py `create` does for a collection).

Rules:
- A command that reads or writes a value of one type finds its key with
  `lookup_read` or `lookup_write`, saying once which type it wants.  A key
  of another type comes back as `which == WRONGTYPE`, and the command
  answers Redis's WRONGTYPE error, written in one place
  (commands/respond.read_or_reply and write_or_reply: lookupKeyReadOrReply
  and lookupKeyWrite + checkType).  OBJ_ANY asks for no check: a write that
  replaces whatever is there (SET, MSET; SETNX and MSETNX only ask whether
  the key exists).
- Generic key commands (DEL, EXISTS, EXPIRE, TTL, TYPE, RENAME, COPY, MOVE,
  TOUCH, OBJECT, SCAN, KEYS, RANDOMKEY) stay type-agnostic: table.lookup and
  table.peek.
- A new type plugs in by adding its module beside string.py and its case at
  each place below; the commands that consult them do not change.

The seam, one place per concern:
  TYPE's reply, SCAN ... TYPE      type_of, TYPE_WORDS / TYPE_LENS, type_named (here)
  RENAME, COPY, MOVE               copy_record (here)
  OBJECT ENCODING / REFCOUNT,      python_type(flags): the type's module, with
    DEBUG OBJECT, MEMORY USAGE       encoding, refcount_shared, serialized_length,
                                     memory_usage (string.py for strings)
  RDB save, AOF rewrite            persistence/rdbdump.py `_rdb_type`, `_save_value` (a rewrite
                                     writes an RDB preamble: the same code)
  RDB load                         persistence/rdbscan.py: the RDB type bytes it
                                     decodes (string.py's, hash.py's, set.py's,
                                     list.py's, zset.py's), then persistence/rdbbuild.py
                                     builds a hash, set, list or sorted set; any other
                                     type (a stream) stops the load with "unsupported type"
  eviction sampling, expiry        type-agnostic: they score and free records by
                                     their header (store/evict.py, table.unlink_slot)
docs/adding-a-data-type.md walks through adding a type.
"""
import numpy as np

from mako_numba.base.jit import kernel
from mako_numba.store.arena import OK, TYPE_BITS, TYPE_SHIFT, rec_hdr, rec_type
from mako_numba.store.table import (
    expire_of, lookup, lookup_hashed, set_enc_flags, slot_record, store, value_of,
)
from mako_numba.store.types import string

# Redis's object types (server.h)
OBJ_STRING = 0
OBJ_LIST = 1
OBJ_SET = 2
OBJ_ZSET = 3
OBJ_HASH = 4
OBJ_STREAM = 6
OBJ_ANY = -1            # lookup_write: no type check (the write replaces any value)
WRONGTYPE = -1          # `which` of a typed lookup when the key holds another type (table.lookup_hashed)

# TYPE's names (getObjectTypeByName), by type number; 5 (modules) has none here
TYPE_NAMES = {OBJ_STRING: "string", OBJ_LIST: "list", OBJ_SET: "set", OBJ_ZSET: "zset",
              OBJ_HASH: "hash", OBJ_STREAM: "stream"}


def _packed(text):
    """The name's bytes packed little-endian into an int (commands/respond.arg_word's form)."""
    return int.from_bytes(text.encode(), "little")


# the same names for kernels: packed bytes and lengths, indexed by type (constants)
TYPE_WORDS = np.array([_packed(TYPE_NAMES.get(t, "")) for t in range(8)], np.int64)
TYPE_LENS = np.array([len(TYPE_NAMES.get(t, "")) for t in range(8)], np.int64)


@kernel
def type_named(w):
    """The type a lower-cased packed name (arg_word) names, or -1 (unknown: Redis's SCAN then
    matches no key, without an error)."""
    for t in range(TYPE_WORDS.shape[0]):
        if TYPE_LENS[t] != 0 and TYPE_WORDS[t] == w:
            return t
    return -1


@kernel(entry=True, inline=True)
def type_of(T, which, pos):
    """The type (OBJ_*) of a key found by a lookup."""
    return rec_type(rec_hdr(T[3], slot_record(T, which, pos)))


# --- the typed lookups ----------------------------------------------------------------
@kernel(inline=True)
def lookup_read(T, lim, db, kaddr, klen, now, want, hq):
    """Redis's lookupKeyRead + checkType: (hash, which, slot) of a live key of type `want`.

    which: 1 or 2 (found, as table.lookup), 0 (absent; an expired key is
    deleted on the way) or WRONGTYPE.  The access time is updated.  hq: the
    key's hash when known, else 0.  Hits and misses are the caller's to
    count (a WRONGTYPE key is a hit, as in Redis).
    """
    return lookup_hashed(T, lim, db, kaddr, klen, now, True, np.uint64(hq), want)


@kernel(inline=True)
def lookup_write(T, lim, db, kaddr, klen, now, want, hq):
    """Redis's lookupKeyWrite + checkType: as lookup_read, for a command about to write.

    which 0 leaves (hash, slot) ready for table.store to create the key;
    want OBJ_ANY skips the type check (the write replaces any value).
    """
    return lookup_hashed(T, lim, db, kaddr, klen, now, True, np.uint64(hq), want)


# --- RENAME, COPY, MOVE -----------------------------------------------------------------
@kernel
def copy_record(T, lim, which, pos, db, h, dwhich, dpos, kaddr, klen, obj):
    """Store the value at (which, pos) as key (kaddr, klen) of physical db, at the lookup result
    (h, dwhich, dpos), with its expire time; `obj` the object bits (type, ENC_*) the copy gets.

    OK or NEED_* (then nothing changed).  Every type so far keeps its whole
    value inside its record (strings; small encodings of collections will be
    compact blobs too), so the copy is the record's bytes.  A type whose
    value has structures of its own outside the record adds its case here.
    """
    vaddr, vlen = value_of(T, which, pos)
    st = store(T, lim, db, h, dwhich, dpos, kaddr, klen, vaddr, vlen, expire_of(T, which, pos))
    if st != OK:
        return st
    h2, dwhich, dpos = lookup(T, lim, db, kaddr, klen, 0)
    set_enc_flags(T, dwhich, dpos, obj)
    return OK


# --- Python's view of a type (OBJECT, DEBUG OBJECT, MEMORY USAGE) ----------------------
def type_number(flags):
    """The type in the object bits Core.key_info gives (table.enc_flags)."""
    return (flags & TYPE_BITS) >> TYPE_SHIFT


def _python_types():
    from mako_numba.store.types import hash as hash_type, list as list_type, set as set_type
    from mako_numba.store.types import zset as zset_type
    return {OBJ_STRING: string, OBJ_LIST: list_type, OBJ_HASH: hash_type, OBJ_SET: set_type,
            OBJ_ZSET: zset_type}


_PYTHON_TYPES = {}


def python_type(flags):
    """The module describing the type in these object bits (encoding, refcount_shared,
    serialized_length, memory_usage)."""
    if not _PYTHON_TYPES:
        _PYTHON_TYPES.update(_python_types())
    return _PYTHON_TYPES[type_number(flags)]


__all__ = ["OBJ_STRING", "OBJ_LIST", "OBJ_SET", "OBJ_ZSET", "OBJ_HASH", "OBJ_STREAM", "OBJ_ANY",
           "WRONGTYPE", "TYPE_NAMES", "TYPE_WORDS", "TYPE_LENS", "type_of", "type_named", "lookup_read",
           "lookup_write", "copy_record", "type_number", "python_type"]
