"""The append-only log, kernel side: each effective write as RESP in a byte buffer.

What each request logs is propagate.py's; these are the writers.  Python
(aof.py) owns the buffer and writes it to the file after the batch;
its address, size and fill sit in the key space's meta array (tm[T_AOF_*]),
so every kernel that changes keys can log without more arguments.  Logging
is off while tm[T_AOF_ADDR] is 0: one load and branch per request.

Rules (Redis 7.0's propagation, for the commands we have):
- A request is logged when it changed the data set (tm[T_DIRTY] moved), in
  the client's database (a SELECT is logged first when that changes).
- Relative and second-based times become absolute milliseconds, so replaying
  the log later gives the same expiry: SET ... EX/PX/EXAT and SETEX/PSETEX
  become `SET key value PXAT ms`; EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT and
  GETEX with a time become `PEXPIREAT key ms` (`DEL key` if the time had
  passed and the key went); GETEX PERSIST is `PERSIST key`; GETDEL is
  `DEL key`; GETSET is `SET key value`.  Everything else is logged as sent.
- A key deleted because its time was up is logged as `DEL key`.
- Inside EXEC the logged commands are wrapped in MULTI ... EXEC (Python
  writes the EXEC when the transaction ends).
- Room: before a request runs, the executor checks that the buffer can take
  the worst case of its log (`log_room`); otherwise the request is deferred
  and Python writes the buffer out (or grows it) before the next turn.  An
  expired key's DEL that finds no room is skipped and counted: its absolute
  time is in the log already, so a replay expires it all the same.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import (
    Q_ARGC, Q_END, Q_START, T_AOF_ADDR, T_AOF_CAP, T_AOF_DB, T_AOF_NEED, T_AOF_SKIPPED, T_AOF_HELD,
    T_AOF_TX, T_AOF_WR,
)
from mako_numba.protocol.replies import w_arr_hdr, w_bulk, w_bulk_int

_W_SET = np.frombuffer(b"SET", np.uint8)
W_DEL = np.frombuffer(b"DEL", np.uint8)
_W_PXAT = np.frombuffer(b"PXAT", np.uint8)
_W_PEXPIREAT = np.frombuffer(b"PEXPIREAT", np.uint8)
W_PERSIST = np.frombuffer(b"PERSIST", np.uint8)
_W_SELECT = np.frombuffer(b"SELECT", np.uint8)
_W_MULTI = np.frombuffer(b"MULTI", np.uint8)
LOG_SLACK = 256         # SELECT, MULTI and a rewrite's extra words, per request


@kernel(inline=True)
def logging_on(tm):
    return tm[T_AOF_ADDR] != 0


@kernel(inline=True)
def log_room(tm, q, k):
    """Can the buffer take request k's log, whatever form it takes?  Records the need if not."""
    need = 2 * (q[k, Q_END] - q[k, Q_START]) + 64 * q[k, Q_ARGC] + LOG_SLACK
    if tm[T_AOF_CAP] - tm[T_AOF_WR] >= need:
        tm[T_AOF_HELD] = need
        return True
    tm[T_AOF_NEED] = need
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
    """Start a logged command of argc words in database db: MULTI and SELECT first if due."""
    out = u8view(tm[T_AOF_ADDR], tm[T_AOF_CAP])
    pos = tm[T_AOF_WR]
    if tm[T_AOF_TX] == 1:
        pos = w_arr_hdr(out, pos, 1)
        pos = _w_word(out, pos, _W_MULTI)
        tm[T_AOF_TX] = 2
    if tm[T_AOF_DB] != db:
        pos = w_arr_hdr(out, pos, 2)
        pos = _w_word(out, pos, _W_SELECT)
        pos = w_bulk_int(out, pos, db)
        tm[T_AOF_DB] = db
    return out, w_arr_hdr(out, pos, argc)


@kernel
def log_args(tm, db, args, a0, argc):
    """The request as it was sent."""
    out, pos = _begin(tm, db, argc)
    for i in range(a0, a0 + argc):
        pos = w_bulk(out, pos, args[i, 0], args[i, 1])
    tm[T_AOF_WR] = pos


@kernel
def log_key(tm, db, word, kaddr, klen):
    """WORD key (DEL, PERSIST)."""
    out, pos = _begin(tm, db, 2)
    pos = _w_word(out, pos, word)
    tm[T_AOF_WR] = w_bulk(out, pos, kaddr, klen)


@kernel
def log_pexpireat(tm, db, kaddr, klen, when):
    out, pos = _begin(tm, db, 3)
    pos = _w_word(out, pos, _W_PEXPIREAT)
    pos = w_bulk(out, pos, kaddr, klen)
    tm[T_AOF_WR] = w_bulk_int(out, pos, when)


@kernel
def log_set(tm, db, args, k, v, when):
    """SET key value [PXAT when] (when 0: no time)."""
    out, pos = _begin(tm, db, 5 if when else 3)
    pos = _w_word(out, pos, _W_SET)
    pos = w_bulk(out, pos, args[k, 0], args[k, 1])
    pos = w_bulk(out, pos, args[v, 0], args[v, 1])
    if when:
        pos = _w_word(out, pos, _W_PXAT)
        pos = w_bulk_int(out, pos, when)
    tm[T_AOF_WR] = pos


@kernel(inline=True)
def del_room(tm, klen):
    """Room for one DEL of a klen-byte key beside what the running request was promised."""
    return tm[T_AOF_CAP] - tm[T_AOF_WR] - tm[T_AOF_HELD] >= klen + LOG_SLACK


@kernel
def log_expired(T, pdb, kaddr, klen):
    """DEL of a key whose time was up (physical database pdb), if the buffer has room."""
    tm, dbk = T[0], T[5]
    if not del_room(tm, klen):
        tm[T_AOF_SKIPPED] += 1
        return
    db = 0
    for i in range(dbk.shape[0]):
        if dbk[i, 2] == pdb:
            db = i
    log_key(tm, db, W_DEL, kaddr, klen)
