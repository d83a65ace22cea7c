"""OBJECT, MEMORY and DEBUG: looking at one key or at the server.

A mixin of Admin.  Keys are read through Core.key_info (a kernel lookup:
OBJECT removes an expired key first, as any access does; DEBUG OBJECT and
MEMORY USAGE look in the dict directly, as Redis's do, and see it).  Encodings,
shared objects, serialized lengths and memory usage are the key's type's to
say (store/types.python_type: store/types/string.py for strings, following
Redis 7.0's rules, including the length LZF would compress a value to).
"""
import math
import time

from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.store.arena import ENC_TX, ENC_TX_SHIFT
from mako_numba.config import settings as config
from mako_numba.store.types import OBJ_LIST, list as list_type, python_type, pyview, type_number
from mako_numba.base.cnum import atoi, strtod
from mako_numba.base.layout import C_DB, S_HITS, S_MISSES, T_LFU_DECAY, T_LRU, T_TX_SERIAL
from mako_numba.store.lfu import lfu_decayed, lfu_minutes
from mako_numba.observe.info import lru_clock
from mako_numba.commands.connection.client import is_local
from mako_numba.commands.slowpath import cstr, int_or_none, lower_arg

SHARED_REFCOUNT = 2147483647        # OBJ_SHARED_REFCOUNT (INT_MAX)
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
        """The value's encoding, as its type says (a string's: int, embstr or raw)."""
        found = self._key(call, call.args[2], read=True)
        if found is None:
            return resp.null(call.proto)
        return resp.bulk(python_type(found[4]).encoding(found[0], found[4]))

    def object_refcount(self, call):
        found = self._key(call, call.args[2], read=True)
        if found is None:
            return resp.null(call.proto)
        return resp.integer(self._refcount(found))

    def _refcount(self, found):
        """2147483647 (OBJ_SHARED_REFCOUNT) for Redis's shared integers 0..9999; in EXEC, 2 for
        a value a queued command of this EXEC stored from its argument (3 if the AOF was on:
        txcmds.py); else 1."""
        if python_type(found[4]).refcount_shared(found[0], found[4]):
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
        return resp.integer(idle_seconds(found[3], self.core))

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

        The key's type counts it (a string: its record's allocated block
        plus its slot in the hash index).  Redis counts robj + sds +
        dictEntry, so numbers differ.  SAMPLES is validated like Redis and
        otherwise unused (strings only).
        """
        args = call.args
        j = 3
        while j < len(args):
            if lower_arg(args[j]) == "samples" and j + 1 < len(args):
                n = int_or_none(args[j + 1])
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
        return resp.integer(python_type(found[4]).memory_usage(found))

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
        if mode == "no" or (mode == "local" and info is not None and not is_local(info.peer[0])):
            return resp.error(errors.DEBUG_NOT_ALLOWED)
        sub = lower_arg(args[1])
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
        return resp.error(errors.DEBUG_SUBCOMMAND % (cstr(args[1])[:128].decode("latin-1"),
                                                      cstr(args[0]).decode("latin-1").upper()))

    def debug_object(self, call):
        """Redis's line; `Value at` is a Python id."""
        found = self._key(call, call.args[2])
        if found is None:
            return resp.error(errors.NO_SUCH_KEY)
        value = found[0]
        kind = python_type(found[4])
        enc = kind.encoding(value, found[4])
        refcount = self._refcount(found)
        if type_number(found[4]) == OBJ_LIST:       # cut into nodes by the server's setting
            length = kind.serialized_length(value, found[4], self._list_fill())
        else:
            length = kind.serialized_length(value, found[4])
        return resp.simple(
            f"Value at:0x{id(value):x} refcount:{refcount} encoding:{enc} "
            f"serializedlength:{length} "
            f"lru:{found[3]} lru_seconds_idle:{idle_seconds(found[3], self.core)}{self._quicklist(found)}")

    def _list_fill(self):
        return list_type.clamp_fill(self.core.settings.get("list-max-listpack-size",
                                                           config.LIST_MAX_LISTPACK_SIZE))

    def _quicklist(self, found):
        """debug.c's quicklist fields of a list: its nodes as Redis would cut them under the
        server's list-max-listpack-size (list.nodes), their mean fill, the settings, and the
        nodes' listpack bytes."""
        if type_number(found[4]) != OBJ_LIST:
            return ""
        settings = self.core.settings
        fill = self._list_fill()
        ns = list_type.nodes(pyview.list_entries(found[0]), fill)
        count = sum(len(n) for n in ns)
        size = sum(len(list_type.node_listpack(n)) for n in ns)
        compressed = 1 if int(settings.get("list-compress-depth", 0)) != 0 else 0
        return (f" ql_nodes:{len(ns)} ql_avg_node:{count / len(ns):.2f} ql_listpack_max:{fill}"
                f" ql_compressed:{compressed} ql_uncompressed_size:{size}")


def _lfu(core):
    return core.settings["maxmemory-policy"] in ("allkeys-lfu", "volatile-lfu")


def idle_seconds(lru, core):
    """Redis's estimateObjectIdleTime, in seconds (the 24-bit clock wraps).

    "Now" is the clock the kernels stamped accesses with in the batch just run
    (tm[T_LRU]), as Redis reads its cached server.lruclock for both: a key
    touched by the request before is idle 0 even when a second turned since.
    Under an LFU policy that field holds the LFU clock, and the wall clock is used."""
    now = lru_clock() if _lfu(core) else int(core.ks.tm[T_LRU])
    return now - lru if now >= lru else now + ((1 << 24) - 1 - lru)
