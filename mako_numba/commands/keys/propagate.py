"""The keys family's propagation rules (Redis 7.0's, see commands/propagate.py).

EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT become `PEXPIREAT key ms` (`DEL key`
if the time had passed and the key went); everything else goes as it was sent.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.keys.family import OP_EXPIRE, OP_EXPIREAT, OP_PEXPIRE, OP_PEXPIREAT
from mako_numba.commands.propagate import absolute_expire, as_sent


@kernel
def propagate(o, K, R, args, a0, argc):
    """Keys request o (it ran and changed the data set): its effect into the stream."""
    if o == OP_EXPIRE or o == OP_PEXPIRE or o == OP_EXPIREAT or o == OP_PEXPIREAT:
        absolute_expire(K, R, args, a0 + 1)
    else:
        as_sent(K, R, args, a0, argc)
