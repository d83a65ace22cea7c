"""The RDB format's grammar, and the jitted scanner that splits a file into records.

After the 9-byte header ("REDIS" and four version digits) an RDB file is a
sequence of opcodes, each one byte:
  0xFA AUX           string name, string value
  0xFB RESIZEDB      length db_size, length expires_size (a sizing hint)
  0xFC EXPIRETIME_MS int64 little-endian: the expiry of the next key
  0xFD EXPIRETIME    int32 little-endian seconds: the same, old form
  0xF8 IDLE / 0xF9 FREQ   a length / one byte: LRU or LFU data of the next key
  0xFE SELECTDB      length: the database of the keys that follow
  0xFF EOF           then (version >= 5) the CRC-64 of everything before, LE
  0xF7 MODULE_AUX, 0xF5/0xF6 FUNCTION   module and function data (refused)
  0..19 (not 8)      an object: that type, a key string, the value
A *length* is 00xxxxxx (6 bits), 01xxxxxx xxxxxxxx (14 bits), 0x80 + 4 bytes
or 0x81 + 8 bytes (big-endian).  A *string* is a length and that many bytes,
or 11xxxxxx: an integer (INT8/16/32, little-endian, the string is its
decimal form) or LZF (compressed length, original length, data).

Rules:
- The scanner does no allocation and no decoding: a record is integers in a
  row (the R_* columns below): where its key and value lie in the buffer
  and how they are encoded.  rdb.py turns rows into bytes.  A hash or set
  saved as a count and strings (TYPE_HASH, TYPE_SET) is walked whole, so
  its row also says how long its strings are decoded (R_BYTES, R_LONGEST)
  and whether a set's are all integers (R_INTS): what the loader needs to
  choose the value's encoding and size before writing any of it.  A list
  saved as a count and strings (TYPE_LIST: its elements; the quicklists:
  its nodes, each after its container for TYPE_LIST_QUICKLIST_2) is walked
  whole too; its row says how much of it LZF hides (R_LONGEST), the
  scratch the loader needs to look inside.  A value saved as one string
  (the listpack, ziplist, zipmap or intset of a hash or set, a list's
  ziplist, a sorted set's ziplist or listpack) is a string here; the
  loader checks it.  A sorted set saved as a count and pairs (TYPE_ZSET:
  each member and its score as text, a length byte of 253..255 standing
  for NaN, +inf and -inf; TYPE_ZSET_2: each member and its score as 8
  bytes) is walked whole: its row says how long its members are decoded
  (R_BYTES, R_LONGEST), what Redis's choice of encoding looks at.
- Each opcode is parsed whole or not at all.  The state it changes (current
  database, pending expiry) lives in `state` and is written only when an
  opcode is complete, so a scan that stops on an incomplete opcode resumes at
  that opcode with nothing lost.  The stop row says how many bytes must be
  buffered before trying again, so a 1 GB value is not rescanned per chunk.
- A RESIZEDB hint is a row too (K_RESIZE), so a loader can size its index
  before the keys arrive, as Redis's dictExpand does.
- Lengths are checked against `maxstr` as they are read: a corrupt length
  fails at once instead of waiting for a gigabyte that never comes.
- The scanner never raises; errors are codes in the stop row.
"""
import numpy as np

from mako_numba.base.jit import kernel
from mako_numba.protocol.parsebase import string2ll
from mako_numba.protocol.replies import digits
from mako_numba.store.types import (
    hash as hash_type, list as list_type, set as set_type, zset as zset_type,
)
from mako_numba.store.types.blob import len_size
from mako_numba.store.types.intset import value_width
from mako_numba.store.types.string import RDB_TYPE as RDB_TYPE_STRING

RDB_VERSION = 10                    # what Redis 7.0 writes, the newest we read

OP_FUNCTION2 = 0xF5
OP_FUNCTION_PRE_GA = 0xF6
OP_MODULE_AUX = 0xF7
OP_IDLE = 0xF8
OP_FREQ = 0xF9
OP_AUX = 0xFA
OP_RESIZEDB = 0xFB
OP_EXPIRETIME_MS = 0xFC
OP_EXPIRETIME = 0xFD
OP_SELECTDB = 0xFE
OP_EOF = 0xFF

TYPE_STRING = RDB_TYPE_STRING   # store/types/string.py
TYPE_SET = set_type.RDB_TYPE_SET                # a count, then the members
TYPE_HASH = hash_type.RDB_TYPE_HASH             # a count, then each field and its value
TYPE_HASH_ZIPMAP = 9            # one string each, holding the whole value in Redis's
TYPE_SET_INTSET = set_type.RDB_TYPE_SET_INTSET  # encoding of it: Redis 2.x's zipmap, the
TYPE_HASH_ZIPLIST = 13          # intset, the ziplist of Redis 3.2 .. 6.2, Redis 7.0's listpack
TYPE_HASH_LISTPACK = hash_type.RDB_TYPE_HASH_LISTPACK
TYPE_LIST = list_type.RDB_TYPE_LIST                     # a count, then the elements
TYPE_LIST_ZIPLIST = list_type.RDB_TYPE_LIST_ZIPLIST     # one string: a ziplist
TYPE_LIST_QUICKLIST = list_type.RDB_TYPE_LIST_QUICKLIST     # a count, then each node's ziplist
TYPE_LIST_QUICKLIST_2 = list_type.RDB_TYPE_LIST_QUICKLIST_2     # a count, then each node's
                                                # container and its listpack or plain element
TYPE_ZSET = zset_type.RDB_TYPE_ZSET                     # a count, then each member and its
                                                # score as text (a length byte, the text)
TYPE_ZSET_2 = zset_type.RDB_TYPE_ZSET_2                 # ... its score as a binary double
TYPE_ZSET_ZIPLIST = zset_type.RDB_TYPE_ZSET_ZIPLIST     # one string: a ziplist of pairs
TYPE_ZSET_LISTPACK = zset_type.RDB_TYPE_ZSET_LISTPACK   # one string: Redis 7.0's listpack
# The types this loader decodes; any other (streams, modules) stops the load (E_UNSUPPORTED),
# naming the key and its type.
ENC_INT8 = 0xC0
ENC_INT16 = 0xC1
ENC_INT32 = 0xC2
ENC_LZF = 0xC3
LEN_32 = 0x80
LEN_64 = 0x81

# Redis's object types (rdb.h) by name, for messages; 8 was never used.
TYPE_NAMES = {
    0: "string", 1: "list", 2: "set", 3: "zset", 4: "hash", 5: "zset", 6: "module",
    7: "module", 9: "hash", 10: "list", 11: "set", 12: "zset", 13: "hash", 14: "list",
    15: "stream", 16: "hash", 17: "zset", 18: "list", 19: "stream",
}

# --- the rows the scanner fills --------------------------------------------------
R_KIND = 0          # K_* for a record, S_* for the stop row
R_DB = 1
R_EXPIRE = 2        # ms, -1 none
R_KEY = 3           # four columns each: F_* encoding, a, b, c (see F_*)
R_VAL = 7
R_RECORD = 11       # a record is the columns before this one
R_START = 11        # offset of the record's type byte; for S_NEED where to resume
R_END = 12          # offset after the record (S_FULL: where to resume; S_EOF: after 0xFF)
R_CODE = 13         # S_ERROR: E_*
R_AT = 14           # S_ERROR: offset of the fault; S_NEED: bytes needed up to here
R_DETAIL = 15       # S_ERROR: the byte or number at fault
R_TYPE = 16         # K_KEY: the value's RDB type (TYPE_*)
R_BYTES = 17        # F_ELEMS: the strings' bytes as blob entries (store/types/blob.py), decoded
                    # (a sorted set's: its members' decoded bytes, Redis's totelelen)
R_LONGEST = 18      # F_ELEMS: the longest string, decoded (a list's: the longest LZF string,
                    # decoded, 0 when none is)
R_INTS = 19         # F_ELEMS of a set: the intset width every member fits (2, 4 or 8); 0 when
                    # a member is not an integer (Redis's isSdsRepresentableAsLongLong)
NCOLS = 20

F_RAW = 0           # a = offset, b = length
F_INT = 1           # a = the integer
F_LZF = 2           # a = offset of the compressed bytes, b = their length, c = original length
F_ELEMS = 3         # a = offset of the first of the value's strings, b = how many, c = the
                    # collection's count (TYPE_HASH: fields, two strings each; TYPE_SET: members;
                    # a list: its strings, a quicklist's first after its container's length;
                    # a sorted set: its members, each followed by its score)

K_KEY = 1           # a string key and its value
K_AUX = 2           # an AUX field (name in the key columns)
K_RESIZE = 3        # a RESIZEDB hint: R_KEY + 1 = keys, R_VAL + 1 = keys with an expiry (F_INT)
S_FULL = 10         # rows are full; scan again from R_END
S_NEED = 11         # the opcode at R_START is incomplete; need bytes up to R_AT
S_EOF = 12          # the EOF opcode; the checksum follows at R_END
S_ERROR = 13

E_UNSUPPORTED = 1   # an object of a type not loaded here (R_DETAIL); key columns filled
E_UNKNOWN_OP = 2    # a byte that is no opcode and no type
E_BAD_LENGTH = 3    # a length byte of no known form
E_BAD_STRING = 4    # a string encoding other than INT8/16/32 and LZF
E_TOO_BIG = 5       # a length above maxstr
E_MODULE_AUX = 6
E_FUNCTION = 7


@kernel(inline=True)
def _need(row, upto):
    row[R_KIND] = S_NEED
    row[R_AT] = upto
    return -1


@kernel(inline=True)
def _error(row, code, at, detail):
    row[R_KIND] = S_ERROR
    row[R_CODE] = code
    row[R_AT] = at
    row[R_DETAIL] = detail
    return -1


@kernel(inline=True)
def _le(buf, p, nbytes):
    """The signed little-endian integer of nbytes (1, 2, 4 or 8) bytes at p."""
    v = np.int64(0)
    for j in range(nbytes - 1):
        v |= np.int64(buf[p + j]) << (8 * j)
    top = np.int64(buf[p + nbytes - 1])
    if top >= 128:
        top -= 256
    return v + top * (np.int64(1) << (8 * (nbytes - 1)))


@kernel
def _length(buf, p, end, row):
    """(next offset, value, encoded) of the length at p; next is -1 when the row says why.

    `encoded` is 1 for the 11xxxxxx form (value: the encoding, 0..63).
    """
    if p >= end:
        return _need(row, p + 1), 0, 0
    b = np.int64(buf[p])
    kind = b >> 6
    if kind == 0:
        return p + 1, b & 0x3F, 0
    if kind == 1:
        if p + 2 > end:
            return _need(row, p + 2), 0, 0
        return p + 2, ((b & 0x3F) << 8) | np.int64(buf[p + 1]), 0
    if kind == 3:
        return p + 1, b & 0x3F, 1
    nbytes = 4 if b == LEN_32 else 8
    if b != LEN_32 and b != LEN_64:
        return _error(row, E_BAD_LENGTH, p, b), 0, 0
    if p + 1 + nbytes > end:
        return _need(row, p + 1 + nbytes), 0, 0
    if nbytes == 8 and buf[p + 1] >= 128:       # above 2^63: no length of ours
        return _error(row, E_BAD_LENGTH, p, b), 0, 0
    v = np.int64(0)
    for j in range(nbytes):
        v = (v << 8) | np.int64(buf[p + 1 + j])
    return p + 1 + nbytes, v, 0


@kernel
def _plain_length(buf, p, end, row):
    """A length that must not be of the encoded form: (next, value), next -1 on failure."""
    q, v, enc = _length(buf, p, end, row)
    if q >= 0 and enc:
        return _error(row, E_BAD_LENGTH, p, buf[p]), 0
    return q, v


@kernel
def _string(buf, p, end, row, col, maxstr):
    """Parse the string at p into row[col:col + 4]; the next offset, or -1 (row says why)."""
    q, v, enc = _length(buf, p, end, row)
    if q < 0:
        return q
    if enc:
        if v == 0 or v == 1 or v == 2:
            nbytes = 1 << v
            if q + nbytes > end:
                return _need(row, q + nbytes)
            row[col] = F_INT
            row[col + 1] = _le(buf, q, nbytes)
            return q + nbytes
        if v != 3:
            return _error(row, E_BAD_STRING, p, v)
        q, clen = _plain_length(buf, q, end, row)
        if q < 0:
            return q
        q2, ulen = _plain_length(buf, q, end, row)
        if q2 < 0:
            return q2
        if clen > maxstr:
            return _error(row, E_TOO_BIG, p, clen)
        if ulen > maxstr:
            return _error(row, E_TOO_BIG, q, ulen)
        if q2 + clen > end:
            return _need(row, q2 + clen)
        row[col] = F_LZF
        row[col + 1] = q2
        row[col + 2] = clen
        row[col + 3] = ulen
        return q2 + clen
    if v > maxstr:
        return _error(row, E_TOO_BIG, p, v)
    if q + v > end:
        return _need(row, q + v)
    row[col] = F_RAW
    row[col + 1] = q
    row[col + 2] = v
    return q + v


@kernel
def string_at(buf, p):
    """(next offset, F_*, a, b, c) of a string at p that a scan has already parsed whole (the
    strings of an F_ELEMS value): no checks."""
    first = np.int64(buf[p])
    kind = first >> 6
    if kind == 3:
        v = first & 0x3F
        if v < 3:
            nbytes = 1 << v
            return p + 1 + nbytes, F_INT, _le(buf, p + 1, nbytes), 0, 0
        q, clen = _trusted_length(buf, p + 1)
        q, ulen = _trusted_length(buf, q)
        return q + clen, F_LZF, q, clen, ulen
    q, n = _trusted_length(buf, p)
    return q + n, F_RAW, q, n, 0


@kernel(inline=True)
def length_at(buf, p):
    """(next offset, value) of a length that a scan has already parsed (a quicklist node's
    container): no checks."""
    return _trusted_length(buf, p)


@kernel(inline=True)
def _trusted_length(buf, p):
    b = np.int64(buf[p])
    if b >> 6 == 0:
        return p + 1, b & 0x3F
    if b >> 6 == 1:
        return p + 2, ((b & 0x3F) << 8) | np.int64(buf[p + 1])
    nbytes = 4 if b == LEN_32 else 8
    v = np.int64(0)
    for j in range(nbytes):
        v = (v << 8) | np.int64(buf[p + 1 + j])
    return p + 1 + nbytes, v


@kernel(inline=True)
def _one_string(op):
    """Is op a key type whose value is one RDB string?"""
    return (op == TYPE_STRING or op == TYPE_HASH_LISTPACK or op == TYPE_SET_INTSET
            or op == TYPE_HASH_ZIPLIST or op == TYPE_HASH_ZIPMAP or op == TYPE_LIST_ZIPLIST
            or op == TYPE_ZSET_ZIPLIST or op == TYPE_ZSET_LISTPACK)


@kernel(inline=True)
def _list_of_strings(op):
    """Is op a list type saved as a count and strings?"""
    return op == TYPE_LIST or op == TYPE_LIST_QUICKLIST or op == TYPE_LIST_QUICKLIST_2


@kernel
def _list_strings(buf, p, end, row, maxstr, containers):
    """Parse a TYPE_LIST or quicklist value at p (a count, then its strings, each after a
    container's length when `containers`) into the row's F_ELEMS columns; the next offset,
    or -1.  What the strings hold is the loader's to check (rdbbuild.py)."""
    q, count = _plain_length(buf, p, end, row)
    if q < 0:
        return q
    if count > maxstr:
        return _error(row, E_TOO_BIG, p, count)
    first = q
    longest = 0
    for j in range(count):
        if containers:
            q, c = _plain_length(buf, q, end, row)
            if q < 0:
                return q
        q = _string(buf, q, end, row, R_VAL, maxstr)
        if q < 0:
            return q
        if row[R_VAL] == F_LZF:
            longest = max(longest, row[R_VAL + 3])
    row[R_VAL] = F_ELEMS
    row[R_VAL + 1] = first
    row[R_VAL + 2] = count
    row[R_VAL + 3] = count
    row[R_BYTES] = 0
    row[R_LONGEST] = longest
    row[R_INTS] = 0
    return q


@kernel
def _zset_pairs(buf, p, end, row, maxstr, binary):
    """Parse a TYPE_ZSET / TYPE_ZSET_2 value at p (a count, then each member and its score:
    8 bytes when `binary`, else a length byte and that much text, none for 253..255) into the
    row's F_ELEMS columns, measuring the members decoded; the next offset, or -1.  Whether a
    score is a number (and not NaN) is the loader's to check (rdbbuild.py)."""
    q, count = _plain_length(buf, p, end, row)
    if q < 0:
        return q
    if count > maxstr:
        return _error(row, E_TOO_BIG, p, count)
    first = q
    total = 0
    longest = 0
    for j in range(count):
        q = _string(buf, q, end, row, R_VAL, maxstr)
        if q < 0:
            return q
        enc = row[R_VAL]
        if enc == F_INT:
            v = row[R_VAL + 1]
            ln = digits(-v if v < 0 else v) + (1 if v < 0 else 0)
        elif enc == F_LZF:
            ln = row[R_VAL + 3]
        else:
            ln = row[R_VAL + 2]
        total += ln
        longest = max(longest, ln)
        if binary:
            if q + 8 > end:
                return _need(row, q + 8)
            q += 8
        else:
            if q + 1 > end:
                return _need(row, q + 1)
            n = np.int64(buf[q])
            q += 1
            if n < 253:
                if q + n > end:
                    return _need(row, q + n)
                q += n
    row[R_VAL] = F_ELEMS
    row[R_VAL + 1] = first
    row[R_VAL + 2] = count
    row[R_VAL + 3] = count
    row[R_BYTES] = total
    row[R_LONGEST] = longest
    row[R_INTS] = 0
    return q


@kernel
def _elements(buf, p, end, row, maxstr, pairs):
    """Parse a TYPE_HASH / TYPE_SET value at p (a count, then its strings) into the row's
    F_ELEMS columns, measuring its strings on the way; the next offset, or -1."""
    q, count = _plain_length(buf, p, end, row)
    if q < 0:
        return q
    if count > maxstr:
        return _error(row, E_TOO_BIG, p, count)
    strings = count * 2 if pairs else count
    first = q
    total = 0
    longest = 0
    width = 2
    for j in range(strings):
        q = _string(buf, q, end, row, R_VAL, maxstr)
        if q < 0:
            return q
        enc = row[R_VAL]
        isint = False
        v = 0
        if enc == F_INT:
            v = row[R_VAL + 1]
            ln = digits(-v if v < 0 else v) + (1 if v < 0 else 0)
            isint = True
        elif enc == F_LZF:
            ln = row[R_VAL + 3]         # (Redis compresses only strings over 20 bytes)
        else:
            ln = row[R_VAL + 2]
            if width != 0 and not pairs:
                isint, v = string2ll(buf, row[R_VAL + 1], row[R_VAL + 1] + ln)
        width = max(width, value_width(v)) if isint and width != 0 else 0
        total += len_size(ln) + ln
        longest = max(longest, ln)
    row[R_VAL] = F_ELEMS
    row[R_VAL + 1] = first
    row[R_VAL + 2] = strings
    row[R_VAL + 3] = count
    row[R_BYTES] = total
    row[R_LONGEST] = longest
    row[R_INTS] = 0 if pairs else width
    return q


@kernel(entry=True)
def scan_records(buf, pos, end, state, maxstr, rows):
    """Parse the opcodes of buf[pos:end] into rows; returns n, the records filled.

    rows[n] is then the stop row (S_*).  state = [current db, pending expiry
    ms or -1], carried from call to call.  rows has one row more than the
    records it may receive.
    """
    n = 0
    cap = rows.shape[0] - 1
    while True:
        row = rows[n]
        row[R_START] = pos
        row[R_END] = pos
        if n == cap:
            row[R_KIND] = S_FULL
            return n
        if pos >= end:
            _need(row, pos + 1)
            return n
        op = np.int64(buf[pos])
        p = pos + 1
        if op == OP_EXPIRETIME_MS or op == OP_EXPIRETIME:
            nbytes = 8 if op == OP_EXPIRETIME_MS else 4
            if p + nbytes > end:
                _need(row, p + nbytes)
                return n
            t = _le(buf, p, nbytes)
            state[1] = t if op == OP_EXPIRETIME_MS else t * 1000
            pos = p + nbytes
        elif op == OP_FREQ:
            if p + 1 > end:
                _need(row, p + 1)
                return n
            pos = p + 1
        elif op == OP_IDLE or op == OP_SELECTDB:
            q, v = _plain_length(buf, p, end, row)
            if q < 0:
                return n
            if op == OP_SELECTDB:
                state[0] = v
            pos = q
        elif op == OP_RESIZEDB:
            q, keys = _plain_length(buf, p, end, row)
            if q < 0:
                return n
            q, volatile = _plain_length(buf, q, end, row)
            if q < 0:
                return n
            row[R_KIND] = K_RESIZE
            row[R_DB] = state[0]
            row[R_EXPIRE] = -1
            row[R_KEY] = F_INT
            row[R_KEY + 1] = keys
            row[R_VAL] = F_INT
            row[R_VAL + 1] = volatile
            row[R_END] = q
            pos = q
            n += 1
        elif (op == OP_AUX or op == TYPE_HASH or op == TYPE_SET or _one_string(op)
              or _list_of_strings(op) or op == TYPE_ZSET or op == TYPE_ZSET_2):
            q = _string(buf, p, end, row, R_KEY, maxstr)
            if q < 0:
                return n
            if op == TYPE_HASH or op == TYPE_SET:
                q = _elements(buf, q, end, row, maxstr, op == TYPE_HASH)
            elif _list_of_strings(op):
                q = _list_strings(buf, q, end, row, maxstr, op == TYPE_LIST_QUICKLIST_2)
            elif op == TYPE_ZSET or op == TYPE_ZSET_2:
                q = _zset_pairs(buf, q, end, row, maxstr, op == TYPE_ZSET_2)
            else:
                q = _string(buf, q, end, row, R_VAL, maxstr)
            if q < 0:
                return n
            row[R_KIND] = K_AUX if op == OP_AUX else K_KEY
            row[R_TYPE] = op
            row[R_DB] = state[0]
            row[R_EXPIRE] = -1
            if op != OP_AUX:
                row[R_EXPIRE] = state[1]
                state[1] = -1
            row[R_END] = q
            pos = q
            n += 1
        elif op == OP_EOF:
            row[R_KIND] = S_EOF
            row[R_END] = p
            return n
        elif op == OP_MODULE_AUX:
            _error(row, E_MODULE_AUX, pos, op)
            return n
        elif op == OP_FUNCTION2 or op == OP_FUNCTION_PRE_GA:
            _error(row, E_FUNCTION, pos, op)
            return n
        elif op <= 19 and op != 8:
            # another type: read its key, to name it, and stop
            q = _string(buf, p, end, row, R_KEY, maxstr)
            if q >= 0:
                row[R_DB] = state[0]
                _error(row, E_UNSUPPORTED, pos, op)
            return n
        else:
            _error(row, E_UNKNOWN_OP, pos, op)
            return n
