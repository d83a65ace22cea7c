"""What a request puts in the propagation stream: Redis 7.0's propagation rules.

store/effects.py has the stream's writers and rules; this module picks, for a
request the kernels ran and that changed the data set (tm[T_DIRTY] moved),
the form its effect takes, so that replaying the stream later (the AOF, a
replica) gives the same data set:
- Relative and second-based times become absolute milliseconds: SET ...
  EX/PX/EXAT and SETEX/PSETEX become `SET key value PXAT ms`; EXPIRE,
  PEXPIRE, EXPIREAT, PEXPIREAT and GETEX with a time become `PEXPIREAT key
  ms` (`DEL key` if the time had passed and the key went).
- GETEX PERSIST is `PERSIST key`; GETDEL is `DEL key`; GETSET is `SET key value`.
- Everything else goes as it was sent.
"""
from mako_numba.store.effects import (
    W_DEL, W_PERSIST, effect_args, effect_key, effect_pexpireat, effect_set,
)
from mako_numba.commands.keys.family import OP_EXPIRE, OP_EXPIREAT, OP_PEXPIRE, OP_PEXPIREAT
from mako_numba.commands.string.family import OP_GETDEL, OP_GETEX, OP_GETSET, OP_PSETEX, OP_SET, OP_SETEX
from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_DB, Q_ARG0, Q_ARGC, Q_CMD, Q_CONN
from mako_numba.commands.string.kernels import SET_EX, SET_EXAT, SET_PERSIST, SET_PX, parse_set_options
from mako_numba.store.index import find, key_hash
from mako_numba.store.table import db_of, expire_of


@kernel
def _key_expire(T, db, kaddr, klen):
    """The key's expire time (0: none), -1 when it is gone; never deletes or touches it."""
    pdb = db_of(T, db)
    which, pos = find(T, key_hash(T[0], pdb, kaddr, klen), pdb, kaddr, klen)
    if which == 0:
        return -1
    return expire_of(T, which, pos)


@kernel
def propagate_request(T, conn, q, k, args, op):
    """Request k (a command the kernels ran) changed the data set: its effect into the stream."""
    tm = T[0]
    o = op[q[k, Q_CMD]]
    db = conn[q[k, Q_CONN], C_DB]
    a0 = q[k, Q_ARG0]
    argc = q[k, Q_ARGC]
    key = a0 + 1
    if o == OP_GETDEL:
        effect_key(tm, db, W_DEL, args[key, 0], args[key, 1])
        return
    if o == OP_GETSET:
        effect_set(tm, db, args, key, a0 + 2, 0)
        return
    timed = False
    if o == OP_SET:
        flags, _ = parse_set_options(args, a0, argc, False)
        timed = (flags & (SET_EX | SET_PX | SET_EXAT)) != 0
    elif o == OP_SETEX or o == OP_PSETEX:
        timed = True
    if timed:
        when = _key_expire(T, db, args[key, 0], args[key, 1])
        if when > 0:
            effect_set(tm, db, args, key, a0 + (3 if o != OP_SET else 2), when)
            return
    elif o == OP_GETEX or o == OP_EXPIRE or o == OP_PEXPIRE or o == OP_EXPIREAT or o == OP_PEXPIREAT:
        if o == OP_GETEX:
            flags, _ = parse_set_options(args, a0, argc, True)
            if flags & SET_PERSIST:
                effect_key(tm, db, W_PERSIST, args[key, 0], args[key, 1])
                return
        when = _key_expire(T, db, args[key, 0], args[key, 1])
        if when > 0:
            effect_pexpireat(tm, db, args[key, 0], args[key, 1], when)
        else:
            effect_key(tm, db, W_DEL, args[key, 0], args[key, 1])
        return
    effect_args(tm, db, args, a0, argc)
