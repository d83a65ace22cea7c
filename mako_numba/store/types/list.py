"""The list type: the seam's per-type answers (store/types/__init__.py) for a list value.

A list is one value of listpack entries (listblob.py).  Redis 7.0 keeps every
list as a quicklist, so OBJECT ENCODING answers "quicklist" whatever its
size.  DEBUG OBJECT's serializedlength is what rdbSaveObject writes for it:
the node count, then each node's container type and listpack, nodes cut as
list-max-listpack-size cuts them (`nodes`), never compressed (mako_numba
writes its nodes plain).  MEMORY USAGE is our own accounting, as for strings:
the record's block and its index slot.
"""
from mako_numba.store.types import pyview
from mako_numba.store.types.string import INDEX_SLOT_BYTES, rdb_len_size, rdb_string_length

RDB_TYPE_LIST = 1                   # rdb.h: a linked list of strings (loaded, never written)
RDB_TYPE_LIST_ZIPLIST = 10
RDB_TYPE_LIST_QUICKLIST = 14        # nodes are ziplists
RDB_TYPE_LIST_QUICKLIST_2 = 18      # nodes are listpacks, each PLAIN (1) or PACKED (2)
QUICKLIST_NODE_CONTAINER_PLAIN = 1
QUICKLIST_NODE_CONTAINER_PACKED = 2

# quicklist.c: optimization_level[] for negative fills; a node holds at most this many bytes
NODE_BYTES = (4096, 8192, 16384, 32768, 65536)
SIZE_SAFETY_LIMIT = 8192
PACKED_THRESHOLD = 1 << 30          # a larger element is a PLAIN node of its own


def encoding(value, flags=0):
    return "quicklist"


def refcount_shared(value, flags):
    return False


def nodes(entries, fill):
    """The quicklist nodes Redis would hold for these entries ([(entry bytes, element)],
    head first), filled by _quicklistNodeAllowInsert's rules: with fill < 0 a node takes
    entries while its listpack stays within NODE_BYTES[-fill - 1]; with fill > 0 up to fill
    entries, and never more than SIZE_SAFETY_LIMIT bytes unless it holds one entry."""
    out = []
    cur, size = [], 7
    for entry in entries:
        new = size + len(entry[0])
        if cur and not _allowed(new, len(cur) + 1, fill):
            out.append(cur)
            cur, new = [], 7 + len(entry[0])
        cur.append(entry)
        size = new
    if cur:
        out.append(cur)
    return out


def _allowed(new_size, count, fill):
    if fill >= 0:
        if new_size > SIZE_SAFETY_LIMIT:
            return False
        return count <= max(fill, 1)
    return new_size <= NODE_BYTES[min(-fill, len(NODE_BYTES)) - 1]


def node_listpack(node):
    """A node's listpack bytes: header, its entries as they are, end byte."""
    body = b"".join(entry for entry, elem in node) + b"\xff"
    import struct
    return struct.pack("<IH", 6 + len(body), min(len(node), 65535)) + body


def serialized_length(value, flags, fill=-2):
    ns = nodes(pyview.list_entries(value), fill)
    return rdb_len_size(len(ns)) + sum(
        rdb_len_size(QUICKLIST_NODE_CONTAINER_PACKED) + rdb_string_length(node_listpack(n), False)
        for n in ns)


def memory_usage(found):
    return found[2] + INDEX_SLOT_BYTES
