"""The propagation stream, kernel side: each effect on the data set as RESP in one byte buffer.

Every consumer of effects (the append-only file; later replicas, keyspace
notifications, MONITOR's view of writes) reads this one stream, so the
store writes each effect once and knows none of them.  The buffer's
address, size and fill sit in the key space's meta array (tm[T_PROP_*]), so
every kernel that changes keys can write to it without more arguments.
Python (propagation.py) owns the buffer and hands its bytes to the attached
consumers after each batch.  The stream is off while tm[T_PROP_ADDR] is 0
(no consumer): one load and branch per request.

What a command writes is commands/propagate.py's (Redis 7.0's rewrite rules:
absolute times, DEL for a key that went, SET for GETSET ...); these are the
writers.  Rules of the stream itself:
- An effect is written in the database it happened in: a SELECT goes first
  when that is not the stream's current database (tm[T_PROP_DB]; -1 forces
  one, as when a consumer attaches or the AOF opens a new file).
- Inside EXEC the effects are wrapped in MULTI ... EXEC: the MULTI goes in
  before the first effect (tm[T_PROP_TX] 1 -> 2), Python writes the EXEC
  when the transaction ends, and only if a MULTI went in.
- The store deletes keys by itself (expiry, eviction): it calls
  `propagate_del`, which writes `DEL key` in the key's database.
- Room: before a request runs, the executor checks that the buffer can take
  the worst case of its effects (`effect_room`); otherwise the request is
  deferred and Python hands the buffer to the consumers (or grows it)
  before the next turn.  An eviction that finds no room for its DEL defers
  the same way (`del_room_or_need`).  An expired key's DEL that finds no
  room is skipped and counted: its absolute time is in the stream already,
  so a replay expires it all the same.
- Kernels never allocate: the words are constant arrays, the buffer Python's.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import (
    Q_ARGC, Q_END, Q_START, T_PROP_ADDR, T_PROP_CAP, T_PROP_DB, T_PROP_HELD, T_PROP_NEED,
    T_PROP_SKIPPED, T_PROP_TX, T_PROP_WR,
)
from mako_numba.protocol.replies import w_arr_hdr, w_bulk, w_bulk_int

_W_SET = np.frombuffer(b"SET", np.uint8)
W_DEL = np.frombuffer(b"DEL", np.uint8)
W_SREM = np.frombuffer(b"SREM", np.uint8)
_W_PXAT = np.frombuffer(b"PXAT", np.uint8)
_W_PEXPIREAT = np.frombuffer(b"PEXPIREAT", np.uint8)
W_PERSIST = np.frombuffer(b"PERSIST", np.uint8)
_W_SELECT = np.frombuffer(b"SELECT", np.uint8)
_W_MULTI = np.frombuffer(b"MULTI", np.uint8)
EFFECT_SLACK = 256      # SELECT, MULTI and a rewrite's extra words, per request


@kernel(inline=True)
def propagating(tm):
    """Is any consumer attached (the stream on)?"""
    return tm[T_PROP_ADDR] != 0


@kernel(inline=True)
def effect_room(tm, q, k):
    """Can the buffer take request k's effects, whatever form they take?  Records the need if not."""
    need = 2 * (q[k, Q_END] - q[k, Q_START]) + 64 * q[k, Q_ARGC] + EFFECT_SLACK
    if tm[T_PROP_CAP] - tm[T_PROP_WR] >= need:
        tm[T_PROP_HELD] = need
        return True
    tm[T_PROP_NEED] = need
    return False


@kernel
def _w_word(out, pos, word):
    """A constant word (under 10 letters) as a bulk string."""
    out[pos] = 36
    out[pos + 1] = 48 + word.shape[0]
    out[pos + 2] = 13
    out[pos + 3] = 10
    pos += 4
    for i in range(word.shape[0]):
        out[pos + i] = word[i]
    pos += word.shape[0]
    out[pos] = 13
    out[pos + 1] = 10
    return pos + 2


@kernel
def _begin(tm, db, argc):
    """Start an effect of argc words in database db: MULTI and SELECT first if due."""
    out = u8view(tm[T_PROP_ADDR], tm[T_PROP_CAP])
    pos = tm[T_PROP_WR]
    if tm[T_PROP_TX] == 1:
        pos = w_arr_hdr(out, pos, 1)
        pos = _w_word(out, pos, _W_MULTI)
        tm[T_PROP_TX] = 2
    if tm[T_PROP_DB] != db:
        pos = w_arr_hdr(out, pos, 2)
        pos = _w_word(out, pos, _W_SELECT)
        pos = w_bulk_int(out, pos, db)
        tm[T_PROP_DB] = db
    return out, w_arr_hdr(out, pos, argc)


@kernel
def effect_begin(tm, db, argc, word):
    """Start an effect `WORD ...` of argc words whose other words the caller writes:
    (buffer, position after WORD); the caller ends with tm[T_PROP_WR] = its position."""
    out, pos = _begin(tm, db, argc)
    return out, _w_word(out, pos, word)


@kernel(inline=True)
def effect_free(tm):
    """Bytes the buffer has free (a command that writes effects of its own checks them)."""
    return tm[T_PROP_CAP] - tm[T_PROP_WR]


@kernel
def effect_args(tm, db, args, a0, argc):
    """The request as it was sent."""
    out, pos = _begin(tm, db, argc)
    for i in range(a0, a0 + argc):
        pos = w_bulk(out, pos, args[i, 0], args[i, 1])
    tm[T_PROP_WR] = pos


@kernel
def effect_key(tm, db, word, kaddr, klen):
    """WORD key (DEL, PERSIST)."""
    out, pos = _begin(tm, db, 2)
    pos = _w_word(out, pos, word)
    tm[T_PROP_WR] = w_bulk(out, pos, kaddr, klen)


@kernel
def effect_pexpireat(tm, db, kaddr, klen, when):
    """PEXPIREAT key when."""
    out, pos = _begin(tm, db, 3)
    pos = _w_word(out, pos, _W_PEXPIREAT)
    pos = w_bulk(out, pos, kaddr, klen)
    tm[T_PROP_WR] = w_bulk_int(out, pos, when)


@kernel
def effect_set(tm, db, args, k, v, when):
    """SET key value [PXAT when] (when 0: no time)."""
    out, pos = _begin(tm, db, 5 if when else 3)
    pos = _w_word(out, pos, _W_SET)
    pos = w_bulk(out, pos, args[k, 0], args[k, 1])
    pos = w_bulk(out, pos, args[v, 0], args[v, 1])
    if when:
        pos = _w_word(out, pos, _W_PXAT)
        pos = w_bulk_int(out, pos, when)
    tm[T_PROP_WR] = pos


@kernel(inline=True)
def del_room(tm, klen):
    """Room for one DEL of a klen-byte key beside what the running request was promised."""
    return tm[T_PROP_CAP] - tm[T_PROP_WR] - tm[T_PROP_HELD] >= klen + EFFECT_SLACK


@kernel(inline=True)
def del_room_or_need(tm, klen):
    """del_room; when there is none, record the room wanted (the caller defers)."""
    if del_room(tm, klen):
        return True
    tm[T_PROP_NEED] = klen + EFFECT_SLACK + tm[T_PROP_HELD]
    return False


@kernel
def propagate_del(T, pdb, kaddr, klen):
    """DEL of a key the store deleted by itself (physical database pdb), if the buffer has room."""
    tm, dbk = T[0], T[5]
    if not del_room(tm, klen):
        tm[T_PROP_SKIPPED] += 1
        return
    db = 0
    for i in range(dbk.shape[0]):
        if dbk[i, 2] == pdb:
            db = i
    effect_key(tm, db, W_DEL, kaddr, klen)
