"""Hash, set, list and sorted-set values built from an RDB file's records, as Redis 7.0 does.

rdbload.insert_records stores a hash, set, list or sorted-set key in two
steps, around the record's creation (which may need memory Python supplies
first):
`plan` checks and measures the value and chooses its encoding and size,
changing nothing; `fill` writes the value into the zeroed record.

The encodings follow rdb.c's rdbLoadObject (lim: the server's limits):
- RDB_TYPE_HASH (a count, then fields and values): a listpack (our compact
  blob) when it has at most hash-max-listpack-entries fields and none of
  its strings is longer than hash-max-listpack-value, else a table;
- RDB_TYPE_SET: an intset when it has at most set-max-intset-entries
  members (at most 2**30) and every member is an integer
  (isSdsRepresentableAsLongLong), else a table;
- RDB_TYPE_HASH_LISTPACK and _ZIPLIST: compact, unless more fields than
  hash-max-listpack-entries (Redis looks at the count alone here);
  RDB_TYPE_HASH_ZIPMAP: also a table when a string is too long;
- RDB_TYPE_SET_INTSET: the intset as it is, unless longer than
  set-max-intset-entries.
A compact value keeps the file's order; an empty hash or set is skipped
(B_EMPTY), as Redis skips it.

A list (any of RDB_TYPE_LIST, _ZIPLIST, _QUICKLIST, _QUICKLIST_2) becomes
our one list value (store/types/listblob.py), its entries in the file's
order (V_LIST): a quicklist 2's PACKED node gives its listpack's entries as
they are (Redis keeps the listpack); an element from anywhere else (a
string of RDB_TYPE_LIST, a ziplist's entry, a PLAIN node's one string) is
written as lpAppend writes it (store/types/lp.py), as Redis's push does.
Empty nodes are skipped, and a list left empty is (B_EMPTY), as in
rdbLoadObject.  `plan` walks the whole list once to check it and measure
it, `fill` a second time to write it.

A sorted set becomes a listpack (store/types/zsetlp.py) or a skiplist
(store/types/zsl.py), as rdbLoadObject decides:
- RDB_TYPE_ZSET / _ZSET_2 (members and scores, Redis writes them highest
  first): a listpack when it has at most zset-max-listpack-entries members,
  none longer than zset-max-listpack-value and all within lpSafeToAdd's
  1 GB, its pairs in score order as zsetConvert writes them (V_ZSET_LP:
  zsetlp.insert, each pair where it belongs, a score as zzlInsertAt stores
  it), else a skiplist (V_ZSET_ZSL: zsl.insert, which sorts too, and for a
  file's order highest first stops at the head);
- RDB_TYPE_ZSET_LISTPACK: the listpack as it is (V_ZSET_LP_COPY), and
  RDB_TYPE_ZSET_ZIPLIST: its entries as lpAppend writes them (V_ZSET_LP_ZL),
  unless more members than zset-max-listpack-entries (Redis looks at the
  count alone here): then a skiplist of its pairs, as zsetConvert builds one
  with zslInsert.  One whose pairs are out of order (by score, then member)
  is built anew in order (V_ZSET_LP), where Redis keeps it as it is: our
  skiplist kernels trust a listpack's order when the commands convert it
  (zsetkey.to_skiplist), and a node out of place could not be unlinked.
A score read as text (RDB_TYPE_ZSET) is read as glibc's sscanf("%lg")
reads it: libc strtod (zscore.strtod_n), and nothing where strtod takes
the "0" of a "0x" that scanf takes for a hex number's start
(`_scanf_hex_prefix`); a length byte of 253, 254, 255 is NaN, +inf, -inf.  An
empty sorted set is skipped (B_EMPTY).  `plan` walks the pairs to check
them and measure the value (for a skiplist the members' hashes give its
nodes' levels), `fill` a second time to write it.

Refusals, as Redis's: a listpack, ziplist, zipmap or intset that fails its
integrity check (Redis checks a listpack's entries only with
sanitize-dump-payload; we always do, since a kernel must never read past
a value), a duplicated field or member where Redis finds one (a table, an
intset; in a ziplist or zipmap always), bad LZF data.  `fill` finds
duplicates only as it writes; the caller then deletes the half-made key.
A list's node that fails its check is refused (B_CORRUPT: a ziplist by the
deep check Redis always makes, a listpack by the deep one it makes with
sanitize-dump-payload, as for hashes), and so are a container other than
PLAIN or PACKED and an empty PLAIN node (B_QUICKLIST); `plan` says where
the fault lies, so the message names that node's offset.  A sorted set is
refused for a NaN score (B_NAN) or a text score sscanf cannot read
(B_CORRUPT), naming the score's offset (a NaN in a listpack or ziplist,
the value's: Redis takes that one, and no skiplist could hold it); for a
member twice (B_DUPLICATE,
found by `fill`: Redis's dict of a ZSET_2, the dups check of a listpack
that sanitize-dump-payload makes and we always make, a ziplist's always);
for a listpack or ziplist that fails its check or has an odd number of
entries (B_CORRUPT).

Rules: kernels; no allocation.  Strings that must be decoded (integers,
LZF) go to two scratch slots of `tmp` (a field and its value; a list's
element or node, a sorted set's member: the first), each `slot_room`
bytes.  The hash seeds are the process's: an index is always
rebuilt, never read from a file.
"""
import numpy as np

from mako_numba.base.jit import copy_bytes, kernel, u32uview, u8view
from mako_numba.config import settings as config
from mako_numba.persistence import listpack, ziplist
from mako_numba.persistence.rdbfields import INT_MAX_DIGITS, decimal, decode
from mako_numba.persistence.rdbscan import (
    F_ELEMS, F_INT, R_BYTES, R_INTS, R_LONGEST, R_VAL, TYPE_HASH, TYPE_HASH_LISTPACK,
    TYPE_HASH_ZIPLIST, TYPE_HASH_ZIPMAP, TYPE_LIST, TYPE_LIST_QUICKLIST, TYPE_LIST_QUICKLIST_2,
    TYPE_LIST_ZIPLIST, TYPE_SET, TYPE_SET_INTSET, TYPE_ZSET, TYPE_ZSET_2, TYPE_ZSET_LISTPACK,
    TYPE_ZSET_ZIPLIST, length_at, string_at,
)
from mako_numba.store.types import (
    OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_ZSET, blob, intset, listblob, lp, zsetlp, zsl,
)
from mako_numba.store.types.blob import HDR, KIND_COMPACT, KIND_TABLE
from mako_numba.store.types.coll import intset_text_bytes, seeds_of
from mako_numba.store.types.list import (
    QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_CONTAINER_PLAIN,
)
from mako_numba.store.types.zscore import load_f64, lp_score, stack_bytes, strtod_n
from mako_numba.store.types.zsetkey import LISTPACK_SAFETY, member_text

B_OK = 0
B_EMPTY = 1         # no field or member: the key is skipped
B_CORRUPT = 2       # fails its integrity check
B_DUPLICATE = 3     # a field or member twice
B_BAD_LZF = 4       # a string's LZF data is bad (at: its offset, detail: its promised length)
B_QUICKLIST = 5     # a quicklist node's container is neither PLAIN nor PACKED, or a PLAIN node
                    # is empty
B_NAN = 6           # a sorted set's score is NaN

V_COMPACT = 1       # a compact hash blob
V_TABLE = 2         # a hash or set table blob
V_INTSET = 3        # an intset built from the members
V_INTSET_COPY = 4   # the file's intset as it is
V_LIST = 5          # a list value
V_ZSET_LP = 6       # a sorted set's listpack, built from its pairs in score order
V_ZSET_LP_COPY = 7  # the file's listpack as it is
V_ZSET_LP_ZL = 8    # the file's ziplist's entries as lpAppend writes them
V_ZSET_ZSL = 9      # a skiplist (count, then node and member entry bytes for zsl.shape)

MAX_INTSET = 1 << 30


@kernel(inline=True)
def is_list(t):
    return (t == TYPE_LIST or t == TYPE_LIST_ZIPLIST or t == TYPE_LIST_QUICKLIST
            or t == TYPE_LIST_QUICKLIST_2)


@kernel(inline=True)
def is_zset(t):
    return (t == TYPE_ZSET or t == TYPE_ZSET_2 or t == TYPE_ZSET_ZIPLIST
            or t == TYPE_ZSET_LISTPACK)


@kernel(inline=True)
def object_type(t):
    """The key's type (OBJ_*) for an RDB type this loader builds."""
    if is_list(t):
        return OBJ_LIST
    if is_zset(t):
        return OBJ_ZSET
    return OBJ_SET if t == TYPE_SET or t == TYPE_SET_INTSET else OBJ_HASH


@kernel(inline=True)
def _refused(st):
    """plan's answer for a value it refuses, the fault not placed (the value as a whole)."""
    return st, 0, 0, -1, 0, 0


@kernel(inline=True)
def slot_room(rows, i):
    """Bytes of each of the two scratch slots row i's strings need."""
    if rows[i, R_VAL] == F_ELEMS:
        return max(INT_MAX_DIGITS, rows[i, R_LONGEST])
    return INT_MAX_DIGITS


@kernel(inline=True)
def _first(t, rows, i):
    if t == TYPE_HASH or t == TYPE_SET:
        return rows[i, R_VAL + 1]
    if t == TYPE_HASH_LISTPACK:
        return listpack.LP_HDR
    if t == TYPE_HASH_ZIPLIST:
        return ziplist.ZL_HDR
    return ziplist.ZM_HDR


@kernel(inline=True)
def _element(t, buf, src, at, k, tmp, slot):
    """String k of the value (at offset at): (next offset, address, length, and where bad LZF
    data lies and the length it promised); length -1 for bad LZF.  Integers and LZF are
    decoded into tmp[slot:]."""
    if t == TYPE_HASH or t == TYPE_SET:
        q, enc, a, b, c = string_at(buf, at)
        addr, n = decode(buf, enc, a, b, c, tmp, slot)
        return q, addr, n, a, c
    if t == TYPE_HASH_LISTPACK:
        q, addr, n, isint, v = listpack.element(src, at)
    elif t == TYPE_HASH_ZIPLIST:
        q, addr, n, isint, v = ziplist.ziplist_element(src, at)
    else:
        q, addr, n, isint, v = ziplist.zipmap_element(src, at, k & 1 == 1)
    if isint:
        return q, tmp.ctypes.data + slot, decimal(v, tmp, slot), 0, 0
    return q, addr, n, 0, 0


@kernel
def _packed_strings(t, src, n):
    if t == TYPE_HASH_LISTPACK:
        return listpack.check(src, n)
    if t == TYPE_HASH_ZIPLIST:
        return ziplist.check_ziplist(src, n)
    return ziplist.check_zipmap(src, n)


@kernel
def _intset_ok(src, n):
    """intsetValidateIntegrity (not deep): a known width, the size it implies, not empty."""
    if n < intset.IHDR:
        return False
    h = u32uview(src, 2)
    w = np.int64(h[0])
    return (w == 2 or w == 4 or w == 8) and intset.IHDR + w * np.int64(h[1]) == n and h[1] != 0


@kernel(inline=True)
def _table(nbytes, count):
    log = blob.table_shape(nbytes, count)[1]
    return V_TABLE, blob.blob_size(KIND_TABLE, nbytes, log), count, nbytes, log


@kernel
def plan(lim, t, buf, rows, i, src, srclen, tmp, slot, seeds):
    """Check and measure row i's value (for a one-string encoding: the srclen bytes at src):
    (B_*, V_* form, value length, count, entry bytes, index log); a skiplist's are (count,
    node bytes, member entry bytes).  A refusal is (B_*, 0, 0, where, detail, 0): where the
    fault lies in buf (-1: the value as a whole) and, for B_BAD_LZF, the length its data
    promised.  seeds: the process's hash seeds (a skiplist node's level is its member's)."""
    if is_zset(t):
        return _zset_plan(lim, t, buf, rows, i, src, srclen, tmp, slot, seeds)
    if is_list(t):
        st, nbytes, count, at, detail = _list_walk(t, buf, rows, i, src, srclen, tmp, slot, 0, 0)
        if st != B_OK:
            return st, 0, 0, at, detail, 0
        if count == 0:
            return B_EMPTY, 0, 0, 0, 0, 0
        return B_OK, V_LIST, listblob.HDR + nbytes, count, nbytes, 0
    max_entries = lim[config.L_HASH_LP_ENTRIES]
    max_value = lim[config.L_HASH_LP_VALUE]
    max_ints = min(lim[config.L_SET_INTSET], MAX_INTSET)
    if t == TYPE_HASH or t == TYPE_SET:
        count = rows[i, R_VAL + 3]
        nbytes = rows[i, R_BYTES]
        if count == 0:
            return B_EMPTY, 0, 0, 0, 0, 0
        if t == TYPE_HASH and count <= max_entries and rows[i, R_LONGEST] <= max_value:
            return B_OK, V_COMPACT, HDR + nbytes, count, nbytes, 0
        if t == TYPE_SET and count <= max_ints and rows[i, R_INTS] != 0:
            return B_OK, V_INTSET, intset.size_of(rows[i, R_INTS], count), count, 0, 0
        form, vlen, count, nbytes, log = _table(nbytes, count)
        return B_OK, form, vlen, count, nbytes, log
    if t == TYPE_SET_INTSET:
        if not _intset_ok(src, srclen):
            return _refused(B_CORRUPT)
        count = intset.length(src)
        if count <= lim[config.L_SET_INTSET]:
            return B_OK, V_INTSET_COPY, srclen, count, 0, 0
        form, vlen, count, nbytes, log = _table(intset_text_bytes(src), count)
        return B_OK, form, vlen, count, nbytes, log
    strings = _packed_strings(t, src, srclen)
    if strings < 0 or strings % 2 != 0:
        return _refused(B_CORRUPT)
    if strings == 0:
        return B_EMPTY, 0, 0, 0, 0, 0
    at = _first(t, rows, i)
    nbytes = 0
    longest = 0
    for k in range(strings):
        at, addr, n, ea, ec = _element(t, buf, src, at, k, tmp, slot)
        nbytes += blob.len_size(n) + n
        longest = max(longest, n)
    count = strings // 2
    if count <= max_entries and (t != TYPE_HASH_ZIPMAP or longest <= max_value):
        return B_OK, V_COMPACT, HDR + nbytes, count, nbytes, 0
    form, vlen, count, nbytes, log = _table(nbytes, count)
    return B_OK, form, vlen, count, nbytes, log


@kernel
def fill(T, b, t, form, count, nbytes, log, buf, rows, i, src, tmp, slot, room):
    """Write row i's value, planned as (form, count, nbytes, log), into the zeroed value at b:
    (B_OK or B_DUPLICATE or B_BAD_LZF, where the bad LZF lies, its promised length)."""
    if form == V_LIST:
        listblob.init(b, nbytes, 0)
        srclen = u32uview(src, 1)[0] if t == TYPE_LIST_ZIPLIST else 0     # (checked by plan)
        st, used, n, at, detail = _list_walk(t, buf, rows, i, src, srclen, tmp, slot,
                                             listblob.data(b), nbytes)
        h = listblob.hdr(b)
        h[listblob.F_TAIL] = used
        h[listblob.F_COUNT] = n
        return st, at, detail
    seeds = seeds_of(T)
    if is_zset(t):
        return _zset_fill(b, t, form, count, nbytes, log, buf, rows, i, src, tmp, slot, seeds)
    if form == V_INTSET_COPY:
        copy_bytes(b, src, intset.size_of(intset.width(src), count))
        return B_OK, 0, 0
    if form == V_INTSET:
        h = u32uview(b, 2)
        h[0] = rows[i, R_INTS]
        h[1] = 0
    else:
        blob.init(b, KIND_COMPACT if form == V_COMPACT else KIND_TABLE, nbytes, log)
    pairs = object_type(t) == OBJ_HASH
    check = form == V_TABLE or t == TYPE_HASH_ZIPLIST or t == TYPE_HASH_ZIPMAP
    at = _first(t, rows, i)
    for k in range(count):
        if t == TYPE_SET_INTSET:
            a1 = tmp.ctypes.data + slot
            n1 = decimal(intset.get(src, k), tmp, slot)
        else:
            at, a1, n1, ea, ec = _element(t, buf, src, at, 2 * k if pairs else k, tmp, slot)
            if n1 < 0:
                return B_BAD_LZF, ea, ec
        a2 = 0
        n2 = 0
        if pairs:
            at, a2, n2, ea, ec = _element(t, buf, src, at, 2 * k + 1, tmp, slot + room)
            if n2 < 0:
                return B_BAD_LZF, ea, ec
        if form == V_INTSET:
            v = intset.as_int(a1, n1)[1]
            if intset.search(b, v)[0]:
                return B_DUPLICATE, 0, 0
            intset.insert(b, v)
            continue
        if check and blob.find(b, seeds, a1, n1, pairs)[0] >= 0:
            return B_DUPLICATE, 0, 0
        blob.add(b, seeds, a1, n1, a2, n2, pairs)
    return B_OK, 0, 0


# --- lists ------------------------------------------------------------------------------------
@kernel(inline=True)
def _int_entry_size(v):
    """Bytes of the listpack entry of the integer v, backlen included (lp.put_int's)."""
    if 0 <= v <= 127:
        return 2
    if -4096 <= v <= 4095:
        return 3
    if -32768 <= v <= 32767:
        return 4
    if -8388608 <= v <= 8388607:
        return 5
    if -2147483648 <= v <= 2147483647:
        return 6
    return 10


@kernel(inline=True)
def _put_string(d, p, a, n, write):
    """The string (a, n) as lpAppend writes it, at d[p:] when write; the offset after it."""
    if write:
        return lp.put(d, p, a, n)
    return p + lp.entry_size(a, n)


@kernel(inline=True)
def _put_int(d, p, v, write):
    if write:
        return lp.put_int(d, p, v)
    return p + _int_entry_size(v)


@kernel
def _ziplist_entries(z, zn, d, p, write):
    """The entries of the checked ziplist of zn strings at z, as lpAppend writes them (an
    integer entry as an integer, a string as a string that may be one: _ziplistEntryConvert):
    the offset after them."""
    at = ziplist.ZL_HDR
    for k in range(zn):
        at, a, n, isint, v = ziplist.ziplist_element(z, at)
        if isint:
            p = _put_int(d, p, v, write)
        else:
            p = _put_string(d, p, a, n, write)
    return p


@kernel
def _list_walk(t, buf, rows, i, src, srclen, tmp, slot, dst, cap):
    """Every element of row i's list, in order, checked and measured (dst 0) or written into
    the cap bytes at dst: (B_*, entry bytes, elements, where a fault lies, its detail).
    Strings that must be decoded (integers, LZF) go to tmp[slot:]."""
    write = dst != 0
    d = u8view(dst, cap)
    p = 0
    count = 0
    if t == TYPE_LIST_ZIPLIST:
        zn = ziplist.check_ziplist(src, srclen)
        if zn < 0:
            return B_CORRUPT, 0, 0, -1, 0
        return B_OK, _ziplist_entries(src, zn, d, 0, write), zn, 0, 0
    at = rows[i, R_VAL + 1]
    for k in range(rows[i, R_VAL + 2]):
        container = QUICKLIST_NODE_CONTAINER_PACKED
        if t == TYPE_LIST_QUICKLIST_2:
            start = at
            at, container = length_at(buf, at)
            if container != QUICKLIST_NODE_CONTAINER_PACKED and \
                    container != QUICKLIST_NODE_CONTAINER_PLAIN:
                return B_QUICKLIST, 0, 0, start, 0
        start = at
        at, enc, a, b, c = string_at(buf, at)
        where = start if enc == F_INT else a       # where the string's bytes lie
        addr, n = decode(buf, enc, a, b, c, tmp, slot)
        if n < 0:
            return B_BAD_LZF, 0, 0, a, c
        if t == TYPE_LIST or container == QUICKLIST_NODE_CONTAINER_PLAIN:
            if n == 0 and container == QUICKLIST_NODE_CONTAINER_PLAIN:
                return B_QUICKLIST, 0, 0, where, 0
            p = _put_string(d, p, addr, n, write)
            count += 1
        elif t == TYPE_LIST_QUICKLIST:
            zn = ziplist.check_ziplist(addr, n)     # (checked again when written: its count)
            if zn < 0:
                return B_CORRUPT, 0, 0, where, 0
            p = _ziplist_entries(addr, zn, d, p, write)
            count += zn
        else:
            ln = listpack.check(addr, n)
            if ln < 0:
                return B_CORRUPT, 0, 0, where, 0
            m = n - listpack.LP_HDR - 1
            if write:
                copy_bytes(dst + p, addr + listpack.LP_HDR, m)
            p += m
            count += ln
    return B_OK, p, count, 0, 0


# --- sorted sets ------------------------------------------------------------------------------
@kernel
def _score(t, buf, at):
    """(next offset, score, readable) of the score at buf[at:] of a TYPE_ZSET_2 value (8 bytes)
    or a TYPE_ZSET one (rdbLoadDoubleValue: a length byte, 255 -inf, 254 +inf, 253 NaN, else
    that much text read by sscanf "%lg": libc strtod, which must take something)."""
    if t == TYPE_ZSET_2:
        return at + 8, load_f64(buf.ctypes.data + at), True
    n = np.int64(buf[at])
    if n == 255:
        return at + 1, -np.inf, True
    if n == 254:
        return at + 1, np.inf, True
    if n == 253:
        return at + 1, np.nan, True
    if n == 0:
        return at + 1, 0.0, False
    v, used, err = strtod_n(buf.ctypes.data + at + 1, n)
    return at + 1 + n, v, used > 0 and not _scanf_hex_prefix(buf, at + 1, n, used)


@kernel(inline=True)
def _space(c):
    return c == 32 or 9 <= c <= 13


@kernel
def _scanf_hex_prefix(buf, p, n, used):
    """Where glibc's sscanf("%lg") reads nothing but strtod reads a "0": the text's number is a
    lone "0" (after spaces and a sign) followed by "x" or "X" and no "." (scanf took "0x" as a
    hex number's start and found no digit), e.g. "0x", "-0xg"."""
    if used >= n or (buf[p + used] != 120 and buf[p + used] != 88) or buf[p + used - 1] != 48:
        return False
    if used >= 2 and not (buf[p + used - 2] == 43 or buf[p + used - 2] == 45
                          or _space(buf[p + used - 2])):
        return False
    return not (used + 1 < n and buf[p + used + 1] == 46)


@kernel
def _zset_pair(t, buf, at, tmp, slot):
    """The pair at `at` of a TYPE_ZSET / TYPE_ZSET_2 value: (B_* , next offset, member address,
    member length, score, where a fault lies, its detail).  The member is decoded into
    tmp[slot:] if need be."""
    at, enc, a, b, c = string_at(buf, at)
    addr, n = decode(buf, enc, a, b, c, tmp, slot)
    if n < 0:
        return B_BAD_LZF, 0, 0, 0, 0.0, a, c
    where = at
    at, v, ok = _score(t, buf, at)
    if not ok:
        return B_CORRUPT, 0, 0, 0, 0.0, where, 0
    if v != v:
        return B_NAN, 0, 0, 0, 0.0, where, 0
    return B_OK, at, addr, n, v, 0, 0


@kernel
def _packed_pair(t, src, at, tmp, slot):
    """The pair at `at` of a checked listpack (TYPE_ZSET_LISTPACK) or ziplist: (next offset,
    member address, member length, score); an integer member is written out at tmp[slot:], a
    score read as zzlGetScore reads it (an integer, or zzlStrtod of the text)."""
    if t == TYPE_ZSET_LISTPACK:
        q, addr, n, isint, v = lp.element(src, at)
    else:
        q, addr, n, isint, v = ziplist.ziplist_element(src, at)
    if isint:
        addr = tmp.ctypes.data + slot
        n = decimal(v, tmp, slot)
    if t == TYPE_ZSET_LISTPACK:
        q, sa, sn, sint, sv = lp.element(src, q)
    else:
        q, sa, sn, sint, sv = ziplist.ziplist_element(src, q)
    score = np.float64(sv) if sint else lp_score(sa, sn)
    return q, addr, n, score


@kernel(inline=True)
def _packed_first(t):
    return listpack.LP_HDR if t == TYPE_ZSET_LISTPACK else ziplist.ZL_HDR


@kernel(inline=True)
def _node_bytes(seeds, a, n):
    return zsl.node_size(zsl.level_of(blob.member_hash(seeds, a, n)))


@kernel
def _zset_plan(lim, t, buf, rows, i, src, srclen, tmp, slot, seeds):
    """plan's part for a sorted set (see the module's text)."""
    max_entries = lim[config.L_ZSET_LP_ENTRIES]
    if t == TYPE_ZSET_LISTPACK or t == TYPE_ZSET_ZIPLIST:
        if t == TYPE_ZSET_LISTPACK:
            strings = listpack.check(src, srclen)
        else:
            strings = ziplist.check_ziplist(src, srclen)
        if strings < 0 or strings % 2 != 0:
            return _refused(B_CORRUPT)
        if strings == 0:
            return B_EMPTY, 0, 0, 0, 0, 0
        count = strings // 2
        small = count <= max_entries
        nan, ordered, total, nodes, members = _packed_walk(t, src, count, tmp, slot, seeds,
                                                           not small)
        if nan:
            return _refused(B_NAN)
        if not small:
            return B_OK, V_ZSET_ZSL, _zsl_size(nodes, members, count), count, nodes, members
        if not ordered:
            return B_OK, V_ZSET_LP, total, count, total, 0
        if t == TYPE_ZSET_LISTPACK:
            return B_OK, V_ZSET_LP_COPY, srclen, count, srclen, 0
        body = _ziplist_entries(src, strings, u8view(0, 0), 0, False)
        return B_OK, V_ZSET_LP_ZL, lp.EMPTY_SIZE + body, count, body, 0
    count = rows[i, R_VAL + 3]
    if count == 0:
        return B_EMPTY, 0, 0, 0, 0, 0
    small = (count <= max_entries and rows[i, R_LONGEST] <= lim[config.L_ZSET_LP_VALUE]
             and rows[i, R_BYTES] <= LISTPACK_SAFETY)
    total = lp.EMPTY_SIZE
    nodes = 0
    members = 0
    at = rows[i, R_VAL + 1]
    for k in range(count):
        st, at, a, n, v, where, detail = _zset_pair(t, buf, at, tmp, slot)
        if st != B_OK:
            return st, 0, 0, where, detail, 0
        if small:
            total += zsetlp.pair_size(a, n, v)
        else:
            nodes += _node_bytes(seeds, a, n)
            members += zsl.entry_size(n)
    if small:
        return B_OK, V_ZSET_LP, total, count, total, 0
    return B_OK, V_ZSET_ZSL, _zsl_size(nodes, members, count), count, nodes, members


@kernel
def _packed_walk(t, src, count, tmp, slot, seeds, skiplist):
    """The pairs of a checked listpack or ziplist: (a score is NaN, they are in the sorted
    set's order (by score, then member: zslInsert's), bytes of the listpack zsetlp.insert
    would build of them, and when `skiplist` its node and member entry bytes).  An integer
    member is written out in one of two scratch slots in turn (the one before is compared)."""
    ordered = True
    total = lp.EMPTY_SIZE
    nodes = 0
    members = 0
    pa = 0
    pn = 0
    pv = 0.0
    at = _packed_first(t)
    for k in range(count):
        at, a, n, v = _packed_pair(t, src, at, tmp, slot + (k & 1) * INT_MAX_DIGITS)
        if v != v:
            return True, False, 0, 0, 0
        if k > 0 and (v < pv or (v == pv and zsetlp.cmp_bytes(pa, pn, a, n) >= 0)):
            ordered = False
        pa = a
        pn = n
        pv = v
        total += zsetlp.pair_size(a, n, v)
        if skiplist:
            nodes += _node_bytes(seeds, a, n)
            members += zsl.entry_size(n)
    return False, ordered, total, nodes, members


@kernel(inline=True)
def _zsl_shape(nodes, members, count):
    """A new skiplist's shape for count members (zsetkey.create_skiplist's)."""
    return zsl.shape(zsl.HEAD + nodes, members, count)


@kernel(inline=True)
def _zsl_size(nodes, members, count):
    ncap, mcap, log = _zsl_shape(nodes, members, count)
    return zsl.value_size(ncap, mcap, log)


@kernel
def _listpack_dups(b):
    """Does a member of the sorted-set listpack at b come twice (lpPairsValidateIntegrityAndDups,
    ziplistPairsConvertAndValidateIntegrity: members compared as strings)?"""
    buf = stack_bytes()
    e = zsetlp.first(b)
    while e >= 0:
        a, n, isint, v = zsetlp.member_at(b, e)
        s, m = member_text(a, n, isint, v, buf)
        if zsetlp.find(b, s, m)[0] != e:
            return True
        e = zsetlp.next_pos(b, e)
    return False


@kernel
def _zsl_add(b, seeds, a, n, v):
    """zslInsert and dictAdd of one member into the skiplist at b: False when it is there
    already."""
    hv = blob.member_hash(seeds, a, n)
    if zsl.find_hashed(b, hv, a, n)[0] != zsl.NONE:
        return False
    zsl.insert(b, hv, v, a, n)
    return True


@kernel
def _zset_fill(b, t, form, count, nbytes, log, buf, rows, i, src, tmp, slot, seeds):
    """fill's part for a sorted set planned as (form, count, nbytes, log): (B_OK or B_DUPLICATE
    or B_BAD_LZF, 0, 0)."""
    if form == V_ZSET_LP_COPY:
        copy_bytes(b, src, nbytes)
        return B_DUPLICATE if _listpack_dups(b) else B_OK, 0, 0
    if form == V_ZSET_LP_ZL:
        d = u8view(b, lp.EMPTY_SIZE + nbytes)
        _ziplist_entries(src, 2 * count, d, listpack.LP_HDR, True)
        lp.put_le(d, 0, lp.EMPTY_SIZE + nbytes, 4)
        lp.put_le(d, 4, min(2 * count, lp.NUMELE_UNKNOWN), 2)
        d[lp.EMPTY_SIZE + nbytes - 1] = lp.LP_EOF
        return B_DUPLICATE if _listpack_dups(b) else B_OK, 0, 0
    if form == V_ZSET_LP:
        lp.init(b)
    else:
        ncap, mcap, zlog = _zsl_shape(nbytes, log, count)
        zsl.init(b, ncap, mcap, zlog)
    packed = t == TYPE_ZSET_LISTPACK or t == TYPE_ZSET_ZIPLIST
    at = _packed_first(t) if packed else rows[i, R_VAL + 1]
    for k in range(count):
        if packed:
            at, a, n, v = _packed_pair(t, src, at, tmp, slot)
        else:
            st, at, a, n, v, where, detail = _zset_pair(t, buf, at, tmp, slot)
            if st != B_OK:
                return st, where, detail
        if form == V_ZSET_LP:
            if zsetlp.find(b, a, n)[0] >= 0:
                return B_DUPLICATE, 0, 0
            zsetlp.insert(b, a, n, v)
        elif not _zsl_add(b, seeds, a, n, v):
            return B_DUPLICATE, 0, 0
    return B_OK, 0, 0
