"""The set type: the seam's per-type answers (store/types/__init__.py) for a set value.

A set is an intset (intset.py, Redis's own bytes) or a table blob (blob.py),
"intset" and "hashtable" as Redis 7.0 names them (it has no set listpack).
OBJECT ENCODING, DEBUG OBJECT's serializedlength (the intset as one RDB
string, or the members one by one) and MEMORY USAGE (our own accounting).
"""
from mako_numba.store.types import pyview
from mako_numba.store.types.string import INDEX_SLOT_BYTES, rdb_len_size, rdb_string_length

RDB_TYPE_SET = 2                    # rdb.h
RDB_TYPE_SET_INTSET = 11


def encoding(value, flags=0):
    return "intset" if pyview.is_intset(value) else "hashtable"


def refcount_shared(value, flags):
    return False


def serialized_length(value, flags):
    if pyview.is_intset(value):
        return rdb_string_length(bytes(value), False)
    members = pyview.set_members(value)
    return rdb_len_size(len(members)) + sum(rdb_string_length(m, False) for m in members)


def memory_usage(found):
    return found[2] + INDEX_SLOT_BYTES
