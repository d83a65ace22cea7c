"""OBJECT, MEMORY and DEBUG: looking at one key or at the server.

A mixin of Admin.  Keys are read through Core.key_info (a kernel lookup:
OBJECT removes an expired key first, as any access does; DEBUG OBJECT and
MEMORY USAGE look in the dict directly, as Redis's do, and see it).  Encodings,
refcounts and serialized lengths follow Redis 7.0's rules for strings,
including the length LZF would compress a value to.
"""
import math
import time

from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.store.arena import ENC_KIND, ENC_NOINT, ENC_RAW, ENC_TX, ENC_TX_SHIFT
from mako_numba.base.cnum import atoi, strtod
from mako_numba.base.layout import C_DB, S_HITS, S_MISSES, T_LFU_DECAY, T_TX_SERIAL
from mako_numba.store.lfu import lfu_decayed, lfu_minutes
from mako_numba.observe.info import lru_clock
from mako_numba.commands.connection.client import _is_local
from mako_numba.commands.slowpath import _cstr, _int_or_none, _lower

SHARED_REFCOUNT = 2147483647        # OBJ_SHARED_REFCOUNT (INT_MAX)
SHARED_INTEGERS = 10000             # OBJ_SHARED_INTEGERS: 0..9999 are shared objects
EMBSTR_LIMIT = 44                   # OBJ_ENCODING_EMBSTR_SIZE_LIMIT
INDEX_SLOT_BYTES = 8                # one int64 slot of the hash index per key
DEBUG_HELP = [                      # Redis's lines for the DEBUG subcommands we have
    b"OBJECT <key>",
    b"    Show low level info about `key` and associated value.",
    b"SET-ACTIVE-EXPIRE <0|1>",
    b"    Setting it to 0 disables expiring keys in background when they are not",
    b"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    b"    default.",
    b"SLEEP <seconds>",
    b"    Stop the server for <seconds>. Decimals allowed.",
]


class InspectCommands:
    # --- OBJECT, MEMORY, DEBUG ----------------------------------------------------------
    def _key(self, call, key, read=False):
        """The key's info; `read` (OBJECT) counts a keyspace hit or miss and expires the key
        as lookupKeyRead does; DEBUG OBJECT and MEMORY USAGE do neither (dictFind)."""
        found = self.core.key_info(int(self.core.conn[call.slot, C_DB]), key, expire=read)
        if read:
            self.core.stats[S_HITS if found is not None else S_MISSES] += 1
        return found

    def object_(self, call):
        return self._subcommand(call, "object")

    def object_encoding(self, call):
        """int, embstr or raw: from the value and the record's ENC_* flags (string_encoding)."""
        found = self._key(call, call.args[2], read=True)
        if found is None:
            return resp.null(call.proto)
        return resp.bulk(string_encoding(found[0], found[4]))

    def object_refcount(self, call):
        found = self._key(call, call.args[2], read=True)
        if found is None:
            return resp.null(call.proto)
        return resp.integer(self._refcount(found))

    def _refcount(self, found):
        """2147483647 (OBJ_SHARED_REFCOUNT) for Redis's shared integers 0..9999; in EXEC, 2 for
        a value a queued command of this EXEC stored from its argument (3 if the AOF was on:
        txcmds.py); else 1."""
        if _is_shared_int(found[0], found[4]):
            return SHARED_REFCOUNT
        stamp = (found[4] & ENC_TX) >> ENC_TX_SHIFT
        if stamp and self.in_exec and stamp >> 1 == self.core.ks.tm[T_TX_SERIAL]:
            return 2 + (stamp & 1)
        return 1

    def object_idletime(self, call):
        """Seconds since the key was last accessed (its LRU clock; OBJECT itself does not touch it).

        Under an LFU policy the field holds the LFU counter: Redis's error (after the key check).
        """
        found = self._key(call, call.args[2], read=True)
        if found is None:
            return resp.null(call.proto)
        if _lfu(self.core):
            return resp.error(errors.OBJECT_IDLETIME_LFU)
        return resp.integer(idle_seconds(found[3]))

    def object_freq(self, call):
        """The key's LFU counter after decay; Redis's not-LFU error (after the key check) otherwise."""
        found = self._key(call, call.args[2], read=True)
        if found is None:
            return resp.null(call.proto)
        if not _lfu(self.core):
            return resp.error(errors.OBJECT_FREQ_NOT_LFU)
        return resp.integer(lfu_decayed(found[3], lfu_minutes(time.time()), int(self.core.ks.tm[T_LFU_DECAY])))

    def memory(self, call):
        return self._subcommand(call, "memory")

    def memory_usage(self, call):
        """MEMORY USAGE key [SAMPLES n]: our own accounting, not Redis's.

        The record's allocated block (header, key and value in the arena,
        rounded to its size class) plus 8 bytes for its slot in the hash
        index.  Redis counts robj + sds + dictEntry, so numbers differ.
        SAMPLES is validated like Redis and otherwise unused (strings only).
        """
        args = call.args
        j = 3
        while j < len(args):
            if _lower(args[j]) == "samples" and j + 1 < len(args):
                n = _int_or_none(args[j + 1])
                if n is None:
                    return resp.error(errors.NOT_INTEGER)
                if n < 0:
                    return resp.error(errors.SYNTAX)
                j += 2
            else:
                return resp.error(errors.SYNTAX)
        found = self._key(call, args[2])
        if found is None:
            return resp.null(call.proto)
        return resp.integer(found[2] + INDEX_SLOT_BYTES)

    def memory_purge(self, call):
        return resp.simple("OK")

    def memory_malloc_stats(self, call):
        """What Redis built without jemalloc replies (we allocate through numpy)."""
        return resp.bulk("Stats not supported for the current allocator")

    def debug(self, call):
        """DEBUG OBJECT | SLEEP | SET-ACTIVE-EXPIRE | RELOAD | LOADAOF (reload.py) | HELP;
        the rest is Redis's syntax error.

        Allowed as Redis's `enable-debug-command local` allows it: from
        loopback clients only (CONFIG GET enable-debug-command says so).
        """
        args = call.args
        info = self.core.clients.get(call.slot)
        mode = self.core.settings["enable-debug-command"]
        if mode == "no" or (mode == "local" and info is not None and not _is_local(info.peer[0])):
            return resp.error(errors.DEBUG_NOT_ALLOWED)
        sub = _lower(args[1])
        n = len(args)
        if sub == "help" and n == 2:
            lines = [b"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"]
            lines += DEBUG_HELP + [b"HELP", b"    Prints this help."]
            return resp.array([resp.simple(x) for x in lines])
        if sub == "object" and n == 3:
            return self.debug_object(call)
        if sub == "sleep" and n == 3:
            secs = strtod(args[2])[0]
            if secs > 0 and math.isfinite(secs):
                time.sleep(secs)
            return resp.simple("OK")
        if sub == "reload":
            return self.debug_reload(call)
        if sub == "loadaof":
            return self.debug_loadaof(call)
        if sub == "set-active-expire" and n == 3:
            self.core.settings["active-expire"] = "1" if atoi(args[2]) else "0"
            return resp.simple("OK")
        return resp.error(errors.DEBUG_SUBCOMMAND % (_cstr(args[1])[:128].decode("latin-1"),
                                                      _cstr(args[0]).decode("latin-1").upper()))

    def debug_object(self, call):
        """Redis's line; `Value at` is a Python id."""
        found = self._key(call, call.args[2])
        if found is None:
            return resp.error(errors.NO_SUCH_KEY)
        value = found[0]
        enc = string_encoding(value, found[4])
        refcount = self._refcount(found)
        return resp.simple(
            f"Value at:0x{id(value):x} refcount:{refcount} encoding:{enc} "
            f"serializedlength:{rdb_string_length(value, enc == 'int')} "
            f"lru:{found[3]} lru_seconds_idle:{idle_seconds(found[3])}")


def _lfu(core):
    return core.settings["maxmemory-policy"] in ("allkeys-lfu", "volatile-lfu")


def idle_seconds(lru):
    """Redis's estimateObjectIdleTime, in seconds (the 24-bit clock wraps)."""
    now = lru_clock()
    return now - lru if now >= lru else now + ((1 << 24) - 1 - lru)


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


def _rdb_len_size(n):
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
                return _rdb_len_size(n) + n
    if n > 20:
        comp = lzf_compress_len(value, n - 4)
        if comp:
            return 1 + _rdb_len_size(comp) + _rdb_len_size(n) + comp
    return _rdb_len_size(n) + n


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
