"""RDB records encoded by a kernel, straight from the arena's records.

`encode_records` turns rows of (record address, key length, value length,
expire ms) from snapshot.dump_rows into the bytes RdbWriter would write for
them, a few thousand records per call: Python's per-key work was most of a
snapshot's time (SAVE of 1,000,000 keys: 5.3 s against Redis's 0.6 s).

Each value is saved as Redis 7.0's rdbSaveObject saves it (rdb.c):
- a string: one RDB string;
- a compact hash (blob.py's KIND_COMPACT, Redis's listpack encoding):
  RDB_TYPE_HASH_LISTPACK, the listpack Redis would hold (listpack.py) as
  one RDB string;
- a hash table (KIND_TABLE): RDB_TYPE_HASH, the count, then each live
  field and value as RDB strings, in the index's order;
- an intset (intset.py, Redis's byte for byte): RDB_TYPE_SET_INTSET, the
  intset as one RDB string;
- a set table: RDB_TYPE_SET, the count, then each member;
- a list (listblob.py): RDB_TYPE_LIST_QUICKLIST_2, the node count, then
  per node its container (PACKED) and its listpack as one RDB string (a
  header, the node's entries as the value holds them, the end byte), the
  nodes cut by list-max-listpack-size (`fill`) as Redis cuts a list that
  RPUSH built (`_node_end`: store/types/list.py's `nodes`, as a kernel).
  Redis would keep an element of 1 GB or more as a PLAIN node; it is a
  PACKED node of its own here, which Redis loads alike;
- a sorted set's listpack (zsetlp.py, Redis's byte for byte):
  RDB_TYPE_ZSET_LISTPACK, the listpack as one RDB string;
- a skiplist (zsl.py): RDB_TYPE_ZSET_2, the count, then from the tail
  (the highest score) back each member as an RDB string and its score as
  8 little-endian bytes (rdbSaveBinaryDoubleValue), as rdbSaveObject walks
  Redis's skiplist.

Rules: every RDB string is written as rdb.RdbWriter.encode_string writes
it (rdbSaveRawString): a canonical integer of at most 11 bytes that fits 32
bits as INT8/16/32, else LZF when compression is on, the string is over 20
bytes and the result saves 4 bytes, else raw.  The LZF hash table and its
base are the writer's Compressor's, passed in and handed back, so the
bytes are the same as the Python writer's (tests compare them).  The
caller sizes `out` and `tmp` by `worst_case` (a listpack is built in
`tmp`; LZF compresses straight into `out`).
"""
import numpy as np

from mako_numba.base.jit import copy_bytes, i64view, kernel, move_bytes, u8view, unowned
from mako_numba.base.lzf import lzf_compress
from mako_numba.persistence import listpack
from mako_numba.persistence.rdbfields import decimal_len
from mako_numba.persistence.rdbscan import (
    ENC_INT8, ENC_INT16, ENC_INT32, ENC_LZF, LEN_32, LEN_64, OP_EXPIRETIME_MS, TYPE_HASH,
    TYPE_HASH_LISTPACK, TYPE_LIST_QUICKLIST_2, TYPE_SET, TYPE_SET_INTSET, TYPE_ZSET_2,
    TYPE_ZSET_LISTPACK,
)
from mako_numba.store.arena import REC_HDR, rec_type
from mako_numba.store.types import (
    OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_STRING, OBJ_ZSET, blob, intset, listblob, lp, zsl,
)
from mako_numba.store.types.list import (
    EMPTY_LISTPACK, NODE_BYTES, PACKED_THRESHOLD, QUICKLIST_NODE_CONTAINER_PACKED,
    SIZE_ESTIMATE_OVERHEAD, SIZE_SAFETY_LIMIT,
)
from mako_numba.store.types.string import RDB_TYPE as RDB_TYPE_STRING

STRING_ROOM = 19        # the longest header of an RDB string: LZF mark and two 64-bit lengths
RECORD_ROOM = 9 + 1 + STRING_ROOM + 9     # expiry, type, the key's header, a count
NODE_ROOM = 1 + STRING_ROOM + EMPTY_LISTPACK     # a list node beyond its entries: container,
                                                # string header, listpack header and end
SMALLEST_NODE = NODE_BYTES[0]


@kernel
def _length(out, pos, n):
    """rdbSaveLen: 6, 14, 32 or 64 bits."""
    if n < 64:
        out[pos] = n
        return pos + 1
    if n < 16384:
        out[pos] = 0x40 | (n >> 8)
        out[pos + 1] = n & 0xFF
        return pos + 2
    if n <= 0xFFFFFFFF:
        out[pos] = LEN_32
        for i in range(4):
            out[pos + 1 + i] = (n >> (8 * (3 - i))) & 0xFF
        return pos + 5
    out[pos] = LEN_64
    for i in range(8):
        out[pos + 1 + i] = (n >> (8 * (7 - i))) & 0xFF
    return pos + 9


@kernel
def _canonical_int(s, n):
    """(True, v) when s[:n] is a canonical decimal integer (rdbTryIntegerEncoding's test)."""
    i = 0
    neg = s[0] == 45
    if neg:
        i = 1
    if i >= n or s[i] < 48 or s[i] > 57 or (s[i] == 48 and n > i + 1) or (neg and s[i] == 48):
        return False, 0
    v = 0
    for j in range(i, n):
        d = s[j] - 48
        if d < 0 or d > 9:
            return False, 0
        v = v * 10 + d
    return True, -v if neg else v


@kernel
def _string(out, pos, addr, n, htab, base, compress):
    """The n bytes at addr as rdbSaveRawString writes them, at out[pos:]; returns (new pos,
    new LZF base).  LZF output goes straight into out, past the longest header a compressed
    string can have, and moves back behind its header: out needs STRING_ROOM + n bytes."""
    s = u8view(addr, n)
    if 0 < n <= 11:
        ok, v = _canonical_int(s, n)
        if ok and -2147483648 <= v <= 2147483647:
            if -128 <= v <= 127:
                out[pos] = ENC_INT8
                out[pos + 1] = v & 0xFF
                return pos + 2, base
            k = 2 if -32768 <= v <= 32767 else 4
            out[pos] = ENC_INT16 if k == 2 else ENC_INT32
            for i in range(k):
                out[pos + 1 + i] = (v >> (8 * i)) & 0xFF
            return pos + 1 + k, base
    if compress and n > 20:
        dst = u8view(out.ctypes.data + pos + STRING_ROOM, n)
        k = lzf_compress(s, n, dst, n - 4, htab, base)
        base += n + 1
        if k >= 0:
            out[pos] = ENC_LZF
            p = _length(out, pos + 1, k)
            p = _length(out, p, n)
            move_bytes(out.ctypes.data + p, out.ctypes.data + pos + STRING_ROOM, k)
            return p + k, base
    pos = _length(out, pos, n)
    copy_bytes(out.ctypes.data + pos, addr, n)
    return pos + n, base


@kernel(entry=True)
def encode_records(rows, n, out, tmp, htab, base, compress, fill):
    """RDB records of rows[:n] (address, key length, value length, expire ms or 0) into out;
    lists cut into nodes by `fill` (list-max-listpack-size, store/types/list.clamp_fill'ed).

    Returns (bytes written, the LZF base to keep).  The arrays are re-wrapped
    without their owners (jit.unowned): each helper call would otherwise
    count references to them atomically.
    """
    rows, htab = unowned(rows), unowned(htab)
    out, tmp = u8view(out.ctypes.data, out.shape[0]), u8view(tmp.ctypes.data, tmp.shape[0])
    pos = 0
    for i in range(n):
        addr = rows[i, 0]
        klen = rows[i, 1]
        exp = rows[i, 3]
        if exp != 0:
            out[pos] = OP_EXPIRETIME_MS
            for b in range(8):
                out[pos + 1 + b] = (exp >> (8 * b)) & 0xFF
            pos += 9
        t = rec_type(i64view(addr, 3))
        vaddr = addr + REC_HDR + klen
        out[pos] = _rdb_type(t, vaddr)
        pos, base = _string(out, pos + 1, addr + REC_HDR, klen, htab, base, compress)
        pos, base = _save_value(out, pos, t, vaddr, rows[i, 2], tmp, htab, base, compress, fill)
    return pos, base


# --- the per-type seam of RDB saving (and of AOF rewrites, which write an RDB preamble) ----
@kernel(inline=True)
def _rdb_type(t, vaddr):
    """rdbSaveObjectType: the byte that marks a value of type t (OBJ_*, store/types) at vaddr."""
    if t == OBJ_STRING:
        return RDB_TYPE_STRING
    if t == OBJ_HASH:
        return TYPE_HASH if blob.is_table(vaddr) else TYPE_HASH_LISTPACK
    if t == OBJ_SET:
        return TYPE_SET_INTSET if intset.is_intset(vaddr) else TYPE_SET
    if t == OBJ_LIST:
        return TYPE_LIST_QUICKLIST_2
    if t == OBJ_ZSET:
        return TYPE_ZSET_2 if zsl.is_zsl(vaddr) else TYPE_ZSET_LISTPACK
    raise ValueError("a record of a type with no RDB encoding")


@kernel(inline=True)
def _save_value(out, pos, t, vaddr, vlen, tmp, htab, base, compress, fill):
    """rdbSaveObject: a value of type t as its type saves it; (position after it, LZF base).

    A new type adds its case here, and its bytes to worst_case."""
    if t == OBJ_STRING:
        return _string(out, pos, vaddr, vlen, htab, base, compress)
    if t == OBJ_LIST:
        return _save_list(out, pos, vaddr, tmp, htab, base, compress, fill)
    if t == OBJ_ZSET:
        if zsl.is_zsl(vaddr):
            return _save_skiplist(out, pos, vaddr, htab, base, compress)
        return _string(out, pos, vaddr, lp.total_bytes(vaddr), htab, base, compress)
    if t == OBJ_HASH and not blob.is_table(vaddr):
        n = listpack.write_blob(tmp, vaddr, True)
        return _string(out, pos, tmp.ctypes.data, n, htab, base, compress)
    if t == OBJ_SET and intset.is_intset(vaddr):
        return _string(out, pos, vaddr, intset.size_of(intset.width(vaddr), intset.length(vaddr)),
                       htab, base, compress)
    if t == OBJ_HASH or t == OBJ_SET:
        return _save_members(out, pos, vaddr, t == OBJ_HASH, htab, base, compress)
    raise ValueError("a record of a type with no RDB encoding")


@kernel
def _save_members(out, pos, b, pairs, htab, base, compress):
    """A hash or set blob as RDB_TYPE_HASH / RDB_TYPE_SET: its count, then its live entries'
    strings (field and value for a hash)."""
    pos = _length(out, pos, blob.count(b))
    off, cur = blob.walk_next(b, 0, pairs)
    while off >= 0:
        a1, n1, a2, n2, nxt = blob.entry_at(b, off, pairs)
        pos, base = _string(out, pos, a1, n1, htab, base, compress)
        if pairs:
            pos, base = _string(out, pos, a2, n2, htab, base, compress)
        off, cur = blob.walk_next(b, cur, pairs)
    return pos, base


@kernel
def _save_skiplist(out, pos, b, htab, base, compress):
    """A skiplist as RDB_TYPE_ZSET_2: its count, then from the tail back each member and its
    score's 8 bytes, as they lie in the node (little-endian: rdbSaveBinaryDoubleValue)."""
    pos = _length(out, pos, zsl.count(b))
    x = zsl.last(b)
    while x != zsl.NONE:
        a, n = zsl.member(b, x)
        pos, base = _string(out, pos, a, n, htab, base, compress)
        copy_bytes(out.ctypes.data + pos, zsl.node_addr(b, x), 8)
        pos += 8
        x = zsl.backward(b, x)
    return pos, base


# --- lists: quicklist nodes ---------------------------------------------------------------------
@kernel
def _node_end(b, off, end, fill):
    """The quicklist node Redis would start at data offset off of the list b (entries up to
    end) had RPUSH built it: (the offset after its last entry, its entries).  An entry joins
    while _quicklistNodeAllowInsert allows it (store/types/list.py's allow_insert: a size
    estimated from the node's listpack and the element's string length)."""
    size = np.int64(EMPTY_LISTPACK)
    k = 0
    large = False
    while off < end:
        nxt, a, ln, isint, v = listblob.element(b, off)
        n = decimal_len(v) if isint else ln
        if k > 0:
            if large or n >= PACKED_THRESHOLD:
                break
            new_size = size + n + SIZE_ESTIMATE_OVERHEAD
            if fill < 0:
                if new_size > SMALLEST_NODE << (-fill - 1):
                    break
            elif new_size > SIZE_SAFETY_LIMIT or k >= fill:
                break
        large = n >= PACKED_THRESHOLD
        size += nxt - off
        k += 1
        off = nxt
    return off, k


@kernel
def _list_nodes(b, fill):
    """(nodes, the largest node's listpack bytes) of the list b cut by fill."""
    h = listblob.hdr(b)
    end = h[listblob.F_TAIL]
    off = h[listblob.F_HEAD]
    nodes = 0
    largest = 0
    while off < end:
        nxt, k = _node_end(b, off, end, fill)
        nodes += 1
        largest = max(largest, EMPTY_LISTPACK + nxt - off)
        off = nxt
    return nodes, largest


@kernel
def _save_list(out, pos, b, tmp, htab, base, compress, fill):
    """A list as RDB_TYPE_LIST_QUICKLIST_2: its node count, then per node the container
    (PACKED) and the node's listpack, built in tmp, as an RDB string."""
    h = listblob.hdr(b)
    end = h[listblob.F_TAIL]
    off = h[listblob.F_HEAD]
    pos = _length(out, pos, _list_nodes(b, fill)[0])
    while off < end:
        nxt, k = _node_end(b, off, end, fill)
        pos = _length(out, pos, QUICKLIST_NODE_CONTAINER_PACKED)
        m = nxt - off
        copy_bytes(tmp.ctypes.data + listpack.LP_HDR, listblob.data(b) + off, m)
        total = listpack.LP_HDR + m + 1
        tmp[total - 1] = listpack.LP_EOF
        listpack.put_le(tmp, 0, total, 4)
        listpack.put_le(tmp, 4, min(k, listpack.NUMELE_UNKNOWN), 2)
        pos, base = _string(out, pos, tmp.ctypes.data, total, htab, base, compress)
        off = nxt
    return pos, base


@kernel(entry=True)
def worst_case(rows, n, fill):
    """(bytes `out` must hold, bytes `tmp` must hold) to encode rows[:n], read from the
    records' headers and their blobs' headers (a list's: its nodes, cut by fill; a sorted
    set's: its listpack's length, or its skiplist's count and live member bytes)."""
    rows = unowned(rows)
    need = 0
    scratch = 64
    for i in range(n):
        addr = rows[i, 0]
        klen = rows[i, 1]
        vaddr = addr + REC_HDR + klen
        t = rec_type(i64view(addr, 3))
        need += RECORD_ROOM + klen
        if t == OBJ_LIST:
            nodes, largest = _list_nodes(vaddr, fill)
            need += listblob.used(vaddr) + NODE_ROOM * nodes
            scratch = max(scratch, largest)
        elif t == OBJ_ZSET and zsl.is_zsl(vaddr):
            h = zsl.hdr(vaddr)          # the live member entries hold every member's bytes
            need += h[zsl.F_MUSED] - h[zsl.F_MDEAD] + (STRING_ROOM + 8) * h[zsl.F_COUNT]
        elif t == OBJ_ZSET:
            need += STRING_ROOM + lp.total_bytes(vaddr)
        elif t == OBJ_HASH and not blob.is_table(vaddr):
            size = listpack.bound(vaddr, True)
            need += STRING_ROOM + size
            scratch = max(scratch, size)
        elif (t == OBJ_HASH or t == OBJ_SET) and not intset.is_intset(vaddr):
            strings = blob.count(vaddr) * (2 if t == OBJ_HASH else 1)
            need += blob.live_bytes(vaddr) + STRING_ROOM * (strings + 1)
        else:
            need += STRING_ROOM + rows[i, 2]
    return need, scratch


__all__ = ["encode_records", "worst_case", "np"]
