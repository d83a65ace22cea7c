"""The string type: what the rest of the server asks of a string value beyond its bytes.

A string is the record's value bytes, nothing more; its ENC_* flags
(arena.py) remember how Redis would have built the object (int, embstr or
raw; shared integer or not).  The kernels that read and write strings are
commands/string/ and commands/bitops/kernels.py; this module answers the per-type
questions of the seam (store/types/__init__.py) for strings, in Python:
OBJECT ENCODING and REFCOUNT, DEBUG OBJECT's serializedlength, MEMORY USAGE.
RDB_TYPE is the byte RDB files mark a string with (rdb.h RDB_TYPE_STRING).
"""
from mako_numba.base.cnum import string2ll
from mako_numba.store.arena import ENC_KIND, ENC_NOINT, ENC_RAW

RDB_TYPE = 0                        # RDB_TYPE_STRING
SHARED_INTEGERS = 10000             # OBJ_SHARED_INTEGERS: 0..9999 are shared objects
EMBSTR_LIMIT = 44                   # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
INDEX_SLOT_BYTES = 8                # one int64 slot of the hash index per key


def _int_or_none(b):
    """Redis's string2ll acceptance: the int64 or None."""
    return string2ll(b)


def encoding(value, flags=0):
    """OBJECT ENCODING of a string: int, embstr or raw (string_encoding)."""
    return string_encoding(value, flags)


def refcount_shared(value, flags):
    """Is the value one of Redis's shared objects (OBJECT REFCOUNT 2147483647)?"""
    return _is_shared_int(value, flags)


def serialized_length(value, flags):
    """DEBUG OBJECT's serializedlength: what rdbSaveObject writes for the value."""
    return rdb_string_length(value, string_encoding(value, flags) == "int")


def memory_usage(found):
    """MEMORY USAGE of a key found by Core.key_info: our own accounting, not Redis's.

    The record's allocated block (header, key and value in the arena,
    rounded to its size class) plus its slot in the hash index.
    """
    return found[2] + INDEX_SLOT_BYTES


def _is_shared_int(value, flags):
    """Is the value one of Redis's shared integer objects?  0..9999 as SET, INCR or a load
    made it (tryObjectEncoding, createStringObjectFromLongLongForValue); not one that COPY,
    INCRBYFLOAT, APPEND or SETRANGE built, nor one written under an LRU/LFU maxmemory policy."""
    n = _int_or_none(value)
    return not flags & ENC_KIND and n is not None and 0 <= n < SHARED_INTEGERS


def string_encoding(value, flags=0):
    """Redis's encoding of a string value.

    What tryObjectEncoding gives a value SET stores, unless the value was
    built in place (APPEND to an existing key, SETRANGE, SETBIT: always raw)
    or by INCRBYFLOAT (createStringObject: embstr or raw, never int).
    """
    if flags & ENC_RAW:
        return "raw"
    if not flags & ENC_NOINT and len(value) <= 20 and _int_or_none(value) is not None:
        return "int"
    return "embstr" if len(value) <= EMBSTR_LIMIT else "raw"


def rdb_len_size(n):
    """Bytes rdbSaveLen writes for a length."""
    if n < 64:
        return 1
    if n < 16384:
        return 2
    return 5 if n <= 0xFFFFFFFF else 9


def _rdb_int_size(v):
    """Bytes rdbEncodeInteger writes, 0 when the value needs more than 32 bits."""
    if -(1 << 7) <= v < (1 << 7):
        return 2
    if -(1 << 15) <= v < (1 << 15):
        return 3
    if -(1 << 31) <= v < (1 << 31):
        return 5
    return 0


def rdb_string_length(value, int_encoded):
    """DEBUG OBJECT's serializedlength of a string: what rdbSaveStringObject writes.

    Integers as 1-, 2- or 4-byte RDB integers when they fit, strings over 20
    bytes LZF-compressed when that saves at least 4 bytes (rdbcompression yes).
    """
    n = len(value)
    if int_encoded or n <= 11:
        v = _int_or_none(value)
        if v is not None and str(v).encode() == value:
            size = _rdb_int_size(v)
            if size:
                return size
            if int_encoded:
                return rdb_len_size(n) + n
    if n > 20:
        comp = lzf_compress_len(value, n - 4)
        if comp:
            return 1 + rdb_len_size(comp) + rdb_len_size(n) + comp
    return rdb_len_size(n) + n


def lzf_compress_len(data, out_len):
    """Length of liblzf's lzf_compress output (as Redis builds it), 0 if over out_len.

    A transcription of lzf_c.c with Redis's lzfP.h settings (HLOG 16,
    VERY_FAST, a hash table starting empty); only the length is kept.
    """
    in_len = len(data)
    if not in_len or not out_len:
        return 0
    hsize = 1 << 16
    htab = {}
    ip = 0
    op = 1                      # start run
    lit = 0
    in_end = in_len
    hval = (data[0] << 8) | data[1] if in_len > 1 else data[0] << 8
    while ip < in_end - 2:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
        slot = (((hval >> 8) - hval * 5) & (hsize - 1))
        ref = htab.get(slot, 0)
        htab[slot] = ip
        off = ip - ref - 1
        if (ref < ip and off < 8192 and ref > 0 and data[ref + 2] == data[ip + 2]
                and data[ref] == data[ip] and data[ref + 1] == data[ip + 1]):
            length = 2
            maxlen = min(in_end - ip - length, 264)
            if op + 4 >= out_len and op - (0 if lit else 1) + 4 >= out_len:
                return 0
            op -= 0 if lit else 1     # undo run if length is zero
            stop = False
            if maxlen > 16:
                for _ in range(16):
                    length += 1
                    if data[ref + length] != data[ip + length]:
                        stop = True
                        break
            if not stop:
                while True:
                    length += 1
                    if not (length < maxlen and data[ref + length] == data[ip + length]):
                        break
            length -= 2
            ip += 1
            op += 2 if length < 7 else 3
            lit = 0
            op += 1                 # start run
            ip += length + 1
            if ip >= in_end - 2:
                break
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[(((hval >> 8) - hval * 5) & (hsize - 1))] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[(((hval >> 8) - hval * 5) & (hsize - 1))] = ip
            ip += 1
        else:
            if op >= out_len:
                return 0
            lit += 1
            op += 1
            ip += 1
            if lit == 32:
                lit = 0
                op += 1
    if op + 3 > out_len:
        return 0
    while ip < in_end:
        lit += 1
        op += 1
        ip += 1
        if lit == 32:
            lit = 0
            op += 1
    op -= 0 if lit else 1
    return op
