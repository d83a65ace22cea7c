"""What a request puts in the propagation stream: Redis 7.0's propagation rules, the shared part.

store/effects.py has the stream's writers and rules.  A family's entry
kernel (commands/frame.py), for a request it ran that changed the data set
(tm[T_DIRTY] moved) while the stream is on, picks the form its effect
takes, so that replaying the stream later (the AOF, a replica) gives the
same data set.  Most commands go as they were sent (`as_sent`); the
families whose commands are rewritten keep their rules next to their
commands (string/propagate.py: SET with a time, SETEX, GETEX, GETDEL,
GETSET; keys/propagate.py: the EXPIRE family), built from the helpers here.
"""
from mako_numba.base.jit import kernel
from mako_numba.base.layout import C_DB
from mako_numba.store.effects import W_DEL, effect_args, effect_key, effect_pexpireat
from mako_numba.store.index import find, key_hash
from mako_numba.store.table import db_of, expire_of


@kernel
def key_expire(T, db, kaddr, klen):
    """The key's expire time (0: none), -1 when it is gone; never deletes or touches it."""
    pdb = db_of(T, db)
    which, pos = find(T, key_hash(T[0], pdb, kaddr, klen), pdb, kaddr, klen)
    if which == 0:
        return -1
    return expire_of(T, which, pos)


@kernel
def as_sent(K, R, args, a0, argc):
    """The request as it was sent, in the client's database."""
    conn, c, lim, lits = R
    effect_args(K[0][0], conn[c, C_DB], args, a0, argc)


@kernel
def absolute_expire(K, R, args, key):
    """The key's expiry as it now is: `PEXPIREAT key ms`, or `DEL key` if the time passed and it went."""
    T = K[0]
    conn, c, lim, lits = R
    db = conn[c, C_DB]
    when = key_expire(T, db, args[key, 0], args[key, 1])
    if when > 0:
        effect_pexpireat(T[0], db, args[key, 0], args[key, 1], when)
    else:
        effect_key(T[0], db, W_DEL, args[key, 0], args[key, 1])
