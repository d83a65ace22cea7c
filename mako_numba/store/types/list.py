"""The list type: the seam's per-type answers (store/types/__init__.py) for a list value.

A list is one value of listpack entries (listblob.py).  Redis 7.0 keeps every
list as a quicklist, so OBJECT ENCODING answers "quicklist" whatever its
size.  DEBUG OBJECT's serializedlength is what rdbSaveObject writes for it:
the node count, then each node's container type and listpack (as an RDB
string: LZF-compressed when that saves 4 bytes, as rdbcompression yes),
nodes cut by list-max-listpack-size `fill` as Redis cuts a list built by
RPUSH (`nodes`), never compressed in memory (list-compress-depth is
recorded only).  DEBUG OBJECT (commands/server/inspect.py) passes the
server's list-max-listpack-size, and so does the RDB writer
(persistence/snapshots.py).  MEMORY USAGE is our own accounting, as for
strings: the record's block and its index slot.

`nodes` is quicklist.c's _quicklistNodeAllowInsert, in Python; the RDB
writer's kernel (persistence/rdbdump.py) cuts nodes by the same rule, and
the tests hold the two to the same bytes.  The RDB bytes of lists are
declared here (rdbscan.py reads all four, rdbdump.py writes the last).
"""
import struct

from mako_numba.config import settings as config
from mako_numba.store.types import pyview
from mako_numba.store.types.string import INDEX_SLOT_BYTES, rdb_len_size, rdb_string_length

RDB_TYPE_LIST = 1                   # rdb.h: a linked list of strings (loaded, never written)
RDB_TYPE_LIST_ZIPLIST = 10          # one ziplist (loaded)
RDB_TYPE_LIST_QUICKLIST = 14        # nodes are ziplists (loaded)
RDB_TYPE_LIST_QUICKLIST_2 = 18      # nodes are listpacks, each PLAIN (1) or PACKED (2)
QUICKLIST_NODE_CONTAINER_PLAIN = 1
QUICKLIST_NODE_CONTAINER_PACKED = 2

# quicklist.c: optimization_level[] for negative fills; a node holds at most this many bytes
NODE_BYTES = (4096, 8192, 16384, 32768, 65536)
SIZE_SAFETY_LIMIT = 8192            # a positive fill's node stays within this, unless one entry
SIZE_ESTIMATE_OVERHEAD = 8          # what an entry is estimated to add beyond its string
PACKED_THRESHOLD = 1 << 30          # a larger element is a node of its own (PLAIN in Redis)
FILL_MAX = (1 << 15) - 1            # quicklistSetFill's bounds
FILL_MIN = -len(NODE_BYTES)
EMPTY_LISTPACK = 7                  # lpNew: header and end byte


def encoding(value, flags=0):
    return "quicklist"


def refcount_shared(value, flags):
    return False


def clamp_fill(fill):
    """quicklistSetFill: list-max-listpack-size as a quicklist uses it (-5 .. 32767)."""
    return max(FILL_MIN, min(int(fill), FILL_MAX))


def allow_insert(node_bytes, node_count, size, fill):
    """_quicklistNodeAllowInsert: may an element of `size` bytes (its string's length) join a
    node whose listpack is node_bytes long and holds node_count entries?"""
    if size >= PACKED_THRESHOLD:
        return False
    new_size = node_bytes + size + SIZE_ESTIMATE_OVERHEAD
    if fill < 0:
        return new_size <= NODE_BYTES[-fill - 1]
    return new_size <= SIZE_SAFETY_LIMIT and node_count < fill


def nodes(entries, fill):
    """The quicklist nodes Redis would hold for these entries ([(entry bytes, element)],
    head first) had RPUSH added them one by one: each joins the last node while
    allow_insert lets it (a node holding an element of PACKED_THRESHOLD bytes or more takes
    no other), else starts a node."""
    fill = clamp_fill(fill)
    out = []
    cur, size, large = [], EMPTY_LISTPACK, False
    for entry in entries:
        n = len(entry[1])
        if not cur or large or not allow_insert(size, len(cur), n, fill):
            if cur:
                out.append(cur)
            cur, size = [], EMPTY_LISTPACK
        cur.append(entry)
        size += len(entry[0])
        large = n >= PACKED_THRESHOLD
    if cur:
        out.append(cur)
    return out


def node_listpack(node):
    """A node's listpack bytes: header, its entries as they are, end byte."""
    body = b"".join(entry for entry, elem in node) + b"\xff"
    return struct.pack("<IH", 6 + len(body), min(len(node), 65535)) + body


def serialized_length(value, flags, fill=config.LIST_MAX_LISTPACK_SIZE):
    """What rdbSaveObject writes for the list under list-max-listpack-size `fill` (the
    server's setting when the caller has it, else the default)."""
    ns = nodes(pyview.list_entries(value), fill)
    return rdb_len_size(len(ns)) + sum(
        rdb_len_size(QUICKLIST_NODE_CONTAINER_PACKED) + rdb_string_length(node_listpack(n), False)
        for n in ns)


def memory_usage(found):
    return found[2] + INDEX_SLOT_BYTES
