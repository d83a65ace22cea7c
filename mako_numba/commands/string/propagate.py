"""The string family's propagation rules (Redis 7.0's, see commands/propagate.py).

- SET ... EX/PX/EXAT and SETEX/PSETEX become `SET key value PXAT ms`: relative
  and second-based times become absolute milliseconds.
- GETEX with a time becomes `PEXPIREAT key ms` (`DEL key` if the time had
  passed and the key went); GETEX PERSIST is `PERSIST key`.
- GETDEL is `DEL key`; GETSET is `SET key value`.
- Everything else goes as it was sent.
"""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_DB
from mako_numba.commands.propagate import absolute_expire, as_sent, key_expire
from mako_numba.commands.string.family import (
    OP_GETDEL, OP_GETEX, OP_GETSET, OP_PSETEX, OP_SET, OP_SETEX,
)
from mako_numba.commands.string.kernels import SET_EX, SET_EXAT, SET_PERSIST, SET_PX, parse_set_options
from mako_numba.store.effects import W_DEL, W_PERSIST, effect_key, effect_set


@kernel
def propagate(o, K, R, args, a0, argc):
    """String request o (it ran and changed the data set): its effect into the stream."""
    tm = K[0][0]
    conn, c, lim, lits = R
    db = conn[c, C_DB]
    key = a0 + 1
    if o == OP_GETDEL:
        effect_key(tm, db, W_DEL, args[key, 0], args[key, 1])
        return
    if o == OP_GETSET:
        effect_set(tm, db, args, key, a0 + 2, 0)
        return
    if o == OP_GETEX:
        flags, _ = parse_set_options(args, a0, argc, True)
        if flags & SET_PERSIST:
            effect_key(tm, db, W_PERSIST, args[key, 0], args[key, 1])
        else:
            absolute_expire(K, R, args, key)
        return
    timed = o == OP_SETEX or o == OP_PSETEX
    if o == OP_SET:
        flags, _ = parse_set_options(args, a0, argc, False)
        timed = (flags & (SET_EX | SET_PX | SET_EXAT)) != 0
    if timed:
        when = key_expire(K[0], db, args[key, 0], args[key, 1])
        if when > 0:
            effect_set(tm, db, args, key, a0 + (3 if o != OP_SET else 2), when)
            return
    as_sent(K, R, args, a0, argc)
