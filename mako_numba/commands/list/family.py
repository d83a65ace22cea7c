"""The list family's declaration: its commands and its kernel dispatch (kernels.py).

Lists live in the key space as one value each (store/types/listblob.py);
the commands are Redis 7.0's t_list.c.  See commands/family.py for what a
family declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.family import CF_FAST, CF_READONLY, CF_WRITE, family_literal, op_numbers
from mako_numba.commands.list import kernels as lk
from mako_numba.commands.list.blocking import x_blmove, x_blmpop, x_blpop
from mako_numba.commands.list.kernels import (
    x_lindex, x_linsert, x_llen,
    x_lmove, x_lmove_args, x_lmpop, x_lpos, x_lrange, x_lrem, x_lset, x_ltrim, x_pop, x_push,
)
from mako_numba.commands.respond import X_SLOW, reply_arity
from mako_numba.protocol import errors

NAME = "list"
ID = 10
_op = op_numbers(ID)
OP_LPUSH = _op()
OP_RPUSH = _op()
OP_LPUSHX = _op()
OP_RPUSHX = _op()
OP_LPOP = _op()
OP_RPOP = _op()
OP_LLEN = _op()
OP_LINDEX = _op()
OP_LSET = _op()
OP_LRANGE = _op()
OP_LTRIM = _op()
OP_LREM = _op()
OP_LINSERT = _op()
OP_LPOS = _op()
OP_LMOVE = _op()
OP_RPOPLPUSH = _op()
OP_LMPOP = _op()
OP_BLPOP = _op()
OP_BRPOP = _op()
OP_BLMOVE = _op()
OP_BRPOPLPUSH = _op()
OP_BLMPOP = _op()

# the kernels take the first literal's id (LIT0) and add their offsets (kernels.LIT_*)
LIT0 = family_literal(ID, 0)
LIT_NULL_ARRAY = LIT0 + lk.LIT_NULL_ARRAY
LIT_EMPTY_ARRAY = LIT0 + lk.LIT_EMPTY_ARRAY
LIT_INDEX_RANGE = LIT0 + lk.LIT_INDEX_RANGE
LIT_MUST_POSITIVE = LIT0 + lk.LIT_MUST_POSITIVE
LIT_RANK_ZERO = LIT0 + lk.LIT_RANK_ZERO
LIT_COUNT_NEG = LIT0 + lk.LIT_COUNT_NEG
LIT_MAXLEN_NEG = LIT0 + lk.LIT_MAXLEN_NEG
LIT_NUMKEYS = LIT0 + lk.LIT_NUMKEYS
LIT_COUNT_POS = LIT0 + lk.LIT_COUNT_POS


def _err(text):
    return ("-" + text + "\r\n").encode()


LITERALS = [
    ("LIT_NULL_ARRAY", LIT_NULL_ARRAY, b"*-1\r\n"),
    ("LIT_EMPTY_ARRAY", LIT_EMPTY_ARRAY, b"*0\r\n"),
    ("LIT_INDEX_RANGE", LIT_INDEX_RANGE, _err(errors.INDEX_OUT_OF_RANGE)),
    ("LIT_MUST_POSITIVE", LIT_MUST_POSITIVE, _err(errors.MUST_BE_POSITIVE)),
    ("LIT_RANK_ZERO", LIT_RANK_ZERO, _err(errors.LPOS_RANK_ZERO)),
    ("LIT_COUNT_NEG", LIT_COUNT_NEG, _err(errors.LPOS_COUNT_NEGATIVE)),
    ("LIT_MAXLEN_NEG", LIT_MAXLEN_NEG, _err(errors.LPOS_MAXLEN_NEGATIVE)),
    ("LIT_NUMKEYS", LIT_NUMKEYS, _err(errors.NUMKEYS_POSITIVE)),
    ("LIT_COUNT_POS", LIT_COUNT_POS, _err(errors.COUNT_POSITIVE)),
]

#        name           arity  op              flags
ROWS = [
    ("lpush",           -3,    OP_LPUSH,       CF_WRITE | CF_FAST),
    ("rpush",           -3,    OP_RPUSH,       CF_WRITE | CF_FAST),
    ("lpushx",          -3,    OP_LPUSHX,      CF_WRITE | CF_FAST),
    ("rpushx",          -3,    OP_RPUSHX,      CF_WRITE | CF_FAST),
    ("lpop",            -2,    OP_LPOP,        CF_WRITE | CF_FAST),
    ("rpop",            -2,    OP_RPOP,        CF_WRITE | CF_FAST),
    ("llen",            2,     OP_LLEN,        CF_READONLY | CF_FAST),
    ("lindex",          3,     OP_LINDEX,      CF_READONLY),
    ("lset",            4,     OP_LSET,        CF_WRITE),
    ("lrange",          4,     OP_LRANGE,      CF_READONLY),
    ("ltrim",           4,     OP_LTRIM,       CF_WRITE),
    ("lrem",            4,     OP_LREM,        CF_WRITE),
    ("linsert",         5,     OP_LINSERT,     CF_WRITE),
    ("lpos",            -3,    OP_LPOS,        CF_READONLY),
    ("lmove",           5,     OP_LMOVE,       CF_WRITE),
    ("rpoplpush",       3,     OP_RPOPLPUSH,   CF_WRITE),
    ("lmpop",           -4,    OP_LMPOP,       CF_WRITE),
    ("blpop",           -3,    OP_BLPOP,       CF_WRITE),
    ("brpop",           -3,    OP_BRPOP,       CF_WRITE),
    ("blmove",          6,     OP_BLMOVE,      CF_WRITE),
    ("brpoplpush",      4,     OP_BRPOPLPUSH,  CF_WRITE),
    ("blmpop",          -5,    OP_BLMPOP,      CF_WRITE),
]

# the ops that write their own effect (the entry kernel propagates the others as sent)
OWN_EFFECT_FIRST = OP_LMPOP


@kernel(inline=True)
def dispatch(o, K, R, args, a0, argc, ci, cmdt, stats):
    """Run list op `o`; X_DONE, X_DEFER or X_SLOW."""
    if o == OP_LPUSH or o == OP_RPUSH or o == OP_LPUSHX or o == OP_RPUSHX:
        return x_push(K, R, args, a0, argc, o == OP_LPUSH or o == OP_LPUSHX,
                      o == OP_LPUSHX or o == OP_RPUSHX)
    if o == OP_LPOP or o == OP_RPOP:
        if argc > 3:
            conn, c, rl, lits = R
            return reply_arity(conn, c, rl, lits, cmdt, ci)
        return x_pop(K, R, args, a0, argc, o == OP_LPOP, LIT0)
    if o == OP_LLEN:
        return x_llen(K, R, args, a0, stats)
    if o == OP_LINDEX:
        return x_lindex(K, R, args, a0, stats)
    if o == OP_LSET:
        return x_lset(K, R, args, a0, LIT0)
    if o == OP_LRANGE:
        return x_lrange(K, R, args, a0, stats, LIT0)
    if o == OP_LTRIM:
        return x_ltrim(K, R, args, a0)
    if o == OP_LREM:
        return x_lrem(K, R, args, a0)
    if o == OP_LINSERT:
        return x_linsert(K, R, args, a0)
    if o == OP_LPOS:
        return x_lpos(K, R, args, a0, argc, stats, LIT0)
    if o == OP_LMOVE:
        ok, fl, tl, st = x_lmove_args(R, args, a0)
        if not ok:
            return st
        return x_lmove(K, R, args, a0, fl, tl)
    if o == OP_RPOPLPUSH:
        return x_lmove(K, R, args, a0, False, True)
    if o == OP_LMPOP:
        return x_lmpop(K, R, args, a0, argc, LIT0)
    if o == OP_BLPOP or o == OP_BRPOP:
        return x_blpop(K, R, args, a0, argc, o == OP_BLPOP)
    if o == OP_BLMOVE:
        ok, fl, tl, st = x_lmove_args(R, args, a0)
        if not ok:
            return st
        return x_blmove(K, R, args, a0, fl, tl, 5, False)
    if o == OP_BRPOPLPUSH:
        return x_blmove(K, R, args, a0, False, True, 3, True)
    if o == OP_BLMPOP:
        return x_blmpop(K, R, args, a0, argc, LIT0)
    return X_SLOW


def slow_handlers(admin):
    return {}


def subcommands(admin):
    return {}
