"""The hash type: the seam's per-type answers (store/types/__init__.py) for a hash value.

A hash is one blob in its record's value (blob.py): compact, which Redis
names "listpack", or a table, "hashtable".  OBJECT ENCODING, DEBUG OBJECT's
serializedlength (what rdbSaveObject writes: the listpack as one RDB string,
or the fields and values one by one) and MEMORY USAGE (our own accounting,
as for strings: the record's block and its index slot).
"""
from mako_numba.store.types import pyview
from mako_numba.store.types.string import INDEX_SLOT_BYTES, rdb_len_size, rdb_string_length

RDB_TYPE_HASH = 4                   # rdb.h
RDB_TYPE_HASH_LISTPACK = 16


def encoding(value, flags=0):
    return "listpack" if pyview.kind(value) == pyview.KIND_COMPACT else "hashtable"


def refcount_shared(value, flags):
    return False


def serialized_length(value, flags):
    items = pyview.hash_items(value)
    if encoding(value) == "listpack":
        flat = [s for pair in items for s in pair]
        return rdb_string_length(pyview.listpack(flat), False)
    return rdb_len_size(len(items)) + sum(
        rdb_string_length(f, False) + rdb_string_length(v, False) for f, v in items)


def memory_usage(found):
    return found[2] + INDEX_SLOT_BYTES
