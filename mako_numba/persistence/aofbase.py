"""An AOF base in command form: the key space written as the commands that rebuild it.

With `aof-use-rdb-preamble no` a rewrite (aofrewrite.py) and the base a
server start or `CONFIG SET appendonly yes` writes (aof.py) are this, not
an RDB file, as Redis 7.0's rewriteAppendOnlyFileRio writes it:
    SELECT n                    per database that has keys, its logical number
    SET key value               a string
    HMSET key f v ...           a hash, at most 64 field-value pairs a command
    SADD key m ...              a set, at most 64 members a command (an intset's
                                integers as their decimal text)
    RPUSH key e ...             a list, head first, at most 64 elements a command
    ZADD key score member ...   a sorted set, lowest score first, at most 64 pairs a
                                command, each score as "%.17g" (rioWriteBulkDouble)
    PEXPIREAT key ms            after the key's commands, when it has an expire time
in Redis's RESP framing (`*N\\r\\n`, `$len\\r\\n`), a key whose time is up
included (loading keeps it until the whole log is in).  An empty key space
is an empty file.

Rules:
- The keys are snapkernels.dump_rows's rows, the ones the RDB writer walks,
  in the same order.  `encode_commands` (a kernel) writes the strings' commands
  a batch of rows at a time and stops at a row of another type; the hashes,
  sets and lists are decoded in Python (store/types/pyview.py), the sorted
  sets too (store/types/zset.py), and written per key.
  A million small string keys take about 0.15 s.
- A file is written to `temp-rewriteaof-<pid>.aof` beside the target, flushed
  and fsynced, then renamed over it, as Redis's rewriteAppendOnlyFile does.
- rdb-key-save-delay slows it down per key, as it does Redis's.
- The kernel writes its own RESP bytes (not protocol/replies.py's, whose
  module reaches the reply literals): an edit there does not recompile it.
"""
import ctypes
import os

import numpy as np

from mako_numba.base.jit import copy_bytes, i64view, kernel, u8view
from mako_numba.persistence.snapkernels import dump_rows
from mako_numba.store.arena import REC_HDR, TYPE_MAX, TYPE_SHIFT, rec_type
from mako_numba.store.types import OBJ_HASH, OBJ_LIST, OBJ_SET, OBJ_STRING, OBJ_ZSET
from mako_numba.store.types import pyview, zset as zset_type
from mako_numba.store.types.zscore import format_score

ITEMS_PER_CMD = 64              # AOF_REWRITE_ITEMS_PER_CMD
DUMP_ROWS = 4096                # keys per dump_rows call (the RDB writer's batch)
WRITE_BUFFER = 1 << 20
ROW_SLACK = 160                 # bytes of a string's commands beyond its key (twice) and value

SET_CMD = np.frombuffer(b"*3\r\n$3\r\nSET\r\n", np.uint8).copy()
PEXPIREAT_CMD = np.frombuffer(b"*3\r\n$9\r\nPEXPIREAT\r\n", np.uint8).copy()


# --- the strings' commands, by a kernel --------------------------------------------------
@kernel
def _lit(out, pos, lit):
    for j in range(lit.shape[0]):
        out[pos + j] = lit[j]
    return pos + lit.shape[0]


@kernel
def _digits(out, pos, v):
    """The decimal digits of v >= 0."""
    n = 1
    t = v
    while t >= 10:
        t //= 10
        n += 1
    for j in range(n - 1, -1, -1):
        out[pos + j] = 48 + v % 10
        v //= 10
    return pos + n


@kernel
def _num(out, pos, v):
    """ll2string: v's decimal text (any int64)."""
    if v >= 0:
        return _digits(out, pos, v)
    out[pos] = 45
    if v == -9223372036854775808:       # -v overflows: the head, then the last digit
        _digits(out, pos + 1, 922337203685477580)
        out[pos + 19] = 56
        return pos + 20
    return _digits(out, pos + 1, -v)


@kernel
def _crlf(out, pos):
    out[pos] = 13
    out[pos + 1] = 10
    return pos + 2


@kernel
def _bulk(out, pos, addr, n):
    """$n\\r\\n, the n bytes at addr, \\r\\n (rioWriteBulkString)."""
    out[pos] = 36
    pos = _crlf(out, _num(out, pos + 1, n))
    copy_bytes(out.ctypes.data + pos, addr, n)
    return _crlf(out, pos + n)


@kernel
def _bulk_int(out, pos, v):
    """v's decimal text as a bulk string (rioWriteBulkLongLong)."""
    n = _num(out, pos, v) - pos         # its length: written once to count, then in place
    out[pos] = 36
    pos = _crlf(out, _num(out, pos + 1, n))
    return _crlf(out, _num(out, pos, v))


@kernel(entry=True)
def encode_commands(rows, i, n, out):
    """The commands of the string records rows[i:n] (address, key length, value length, expire
    ms or 0) into out: SET, then PEXPIREAT for one with an expire time.  Stops before the first
    record of another type; returns (bytes written, the row it stopped at).  The caller sizes
    `out` for twice each key, each value and ROW_SLACK a row."""
    out = u8view(out.ctypes.data, out.shape[0])
    pos = 0
    while i < n:
        addr = rows[i, 0]
        if rec_type(i64view(addr, 3)) != OBJ_STRING:
            break
        klen = rows[i, 1]
        exp = rows[i, 3]
        pos = _lit(out, pos, SET_CMD)
        pos = _bulk(out, pos, addr + REC_HDR, klen)
        pos = _bulk(out, pos, addr + REC_HDR + klen, rows[i, 2])
        if exp != 0:
            pos = _lit(out, pos, PEXPIREAT_CMD)
            pos = _bulk(out, pos, addr + REC_HDR, klen)
            pos = _bulk_int(out, pos, exp)
        i += 1
    return pos, i


# --- hashes, sets, lists and sorted sets, in Python ---------------------------------------------
def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def select_command(db):
    return b"*2\r\n$6\r\nSELECT\r\n" + bulk(b"%d" % db)


def collection_commands(name, key, items, per_item):
    """`name key item ...` commands of at most ITEMS_PER_CMD items each (rewriteHashObject,
    rewriteSetObject, rewriteListObject, rewriteSortedSetObject); per_item is the bulk
    strings an item is (2 for a hash's pairs, a sorted set's score and member)."""
    head = bulk(name) + bulk(key)
    parts = []
    for start in range(0, len(items), ITEMS_PER_CMD):
        chunk = items[start:start + ITEMS_PER_CMD]
        parts.append(b"*%d\r\n" % (2 + len(chunk) * per_item))
        parts.append(head)
        if per_item == 2:
            parts.extend(bulk(f) + bulk(v) for f, v in chunk)
        else:
            parts.extend(bulk(m) for m in chunk)
    return b"".join(parts)


def record_commands(addr, klen, vlen, exp):
    """The commands of one hash, set, list or sorted-set record at addr."""
    t = (ctypes.c_int64.from_address(addr + 8).value >> TYPE_SHIFT) & TYPE_MAX
    key = ctypes.string_at(addr + REC_HDR, klen)
    value = ctypes.string_at(addr + REC_HDR + klen, vlen)
    if t == OBJ_HASH:
        out = collection_commands(b"HMSET", key, pyview.hash_items(value), 2)
    elif t == OBJ_SET:
        out = collection_commands(b"SADD", key, pyview.set_members(value), 1)
    elif t == OBJ_LIST:
        out = collection_commands(b"RPUSH", key, pyview.list_items(value), 1)
    elif t == OBJ_ZSET:
        out = collection_commands(b"ZADD", key, [(format_score(v), m) for m, v
                                                 in zset_type.items(value)], 2)
    else:
        raise ValueError("a record of a type with no AOF rewrite")
    if exp:
        out += b"*3\r\n$9\r\nPEXPIREAT\r\n" + bulk(key) + bulk(b"%d" % exp)
    return out


# --- the file ------------------------------------------------------------------------------------
def write_commands(core, f, progress=None):
    """Write the whole key space to the binary file f as commands; returns the number of keys.

    progress(keys written so far), if given, is called after every batch of keys.
    """
    # imported here: the kernel's cache then does not depend on the RDB writer
    from mako_numba.persistence.snapshots import key_save_delay
    ks = core.ks
    T = ks.T
    rows = np.zeros((DUMP_ROWS, 4), np.int64)
    out = np.zeros(1 << 20, np.uint8)
    delay = int(core.settings.get("rdb-key-save-delay", "0"))
    keys = 0
    for logical in range(ks.databases):
        pdb = int(ks.dbk[logical, 2])
        if int(ks.dbk[pdb, 0]) == 0:
            continue
        f.write(select_command(logical))
        for which in (1, 2):
            pos, size = 0, T[which].shape[0]
            while pos < size:
                n, pos = dump_rows(T, which, pos, pdb, rows)
                if n == 0:
                    continue
                need = int(2 * rows[:n, 1].sum() + rows[:n, 2].sum()) + ROW_SLACK * n
                if need > out.shape[0]:
                    out = np.zeros(1 << (need - 1).bit_length(), np.uint8)
                i = 0
                while i < n:
                    m, i = encode_commands(rows, i, n, out)
                    if m:
                        f.write(memoryview(out)[:m])
                    if i < n:
                        f.write(record_commands(*(int(x) for x in rows[i])))
                        i += 1
                keys += n
                if delay:
                    key_save_delay(delay, n)
                if progress is not None:
                    progress(keys)
    return keys


def save_base(core, path, progress=None):
    """Write the command-form base to path through a temporary file; returns the number of keys."""
    directory = os.path.dirname(path) or "."
    tmp = temp_path(directory, os.getpid())
    try:
        with open(tmp, "wb", buffering=WRITE_BUFFER) as f:
            keys = write_commands(core, f, progress)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return keys


def temp_path(directory, pid):
    """Where process pid writes a command-form base before renaming it (Redis's name)."""
    return os.path.join(directory, "temp-rewriteaof-%d.aof" % pid)


def is_rdb(path):
    """Does the file begin as an RDB file ("REDIS"), whatever its name (Redis's loader's test)?"""
    with open(path, "rb") as f:
        return f.read(5) == b"REDIS"


__all__ = ["encode_commands", "write_commands", "save_base", "temp_path", "is_rdb",
           "select_command", "collection_commands", "ITEMS_PER_CMD"]
