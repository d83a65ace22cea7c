"""The generic key-space family's declaration (Redis's db.c and expire.c).

Kernels are in generic.py (DEL, EXPIRE, TTL, RENAME, COPY, MOVE ...) and
scan.py (KEYS, SCAN, RANDOMKEY).  See commands/family.py for what a family
declares.
"""
from mako_numba.base.jit import kernel
from mako_numba.commands.family import CF_FAST, CF_READONLY, CF_WRITE, op_numbers
from mako_numba.commands.keys.generic import (
    x_copy, x_del_exists, x_expire, x_move, x_persist, x_rename, x_touch, x_ttl, x_type,
)
from mako_numba.commands.keys.scan import x_keys, x_randomkey, x_scan
from mako_numba.commands.respond import X_SLOW

NAME = "keys"
ID = 3
_op = op_numbers(ID)
OP_DEL = _op()
OP_EXISTS = _op()
OP_EXPIRE = _op()
OP_PEXPIRE = _op()
OP_EXPIREAT = _op()
OP_PEXPIREAT = _op()
OP_TTL = _op()
OP_PTTL = _op()
OP_EXPIRETIME = _op()
OP_PEXPIRETIME = _op()
OP_PERSIST = _op()
OP_TYPE = _op()
OP_TOUCH = _op()
OP_RENAME = _op()
OP_RENAMENX = _op()
OP_COPY = _op()
OP_MOVE = _op()
OP_KEYS = _op()
OP_SCAN = _op()
OP_RANDOMKEY = _op()

#        name           arity  op              flags
ROWS = [
    ("del",             -2,    OP_DEL,         CF_WRITE),
    ("exists",          -2,    OP_EXISTS,      CF_READONLY | CF_FAST),
    ("expire",          -3,    OP_EXPIRE,      CF_WRITE | CF_FAST),
    ("pexpire",         -3,    OP_PEXPIRE,     CF_WRITE | CF_FAST),
    ("expireat",        -3,    OP_EXPIREAT,    CF_WRITE | CF_FAST),
    ("pexpireat",       -3,    OP_PEXPIREAT,   CF_WRITE | CF_FAST),
    ("ttl",             2,     OP_TTL,         CF_READONLY | CF_FAST),
    ("pttl",            2,     OP_PTTL,        CF_READONLY | CF_FAST),
    ("expiretime",      2,     OP_EXPIRETIME,  CF_READONLY | CF_FAST),
    ("pexpiretime",     2,     OP_PEXPIRETIME, CF_READONLY | CF_FAST),
    ("persist",         2,     OP_PERSIST,     CF_WRITE | CF_FAST),
    ("unlink",          -2,    OP_DEL,         CF_WRITE | CF_FAST),
    ("type",            2,     OP_TYPE,        CF_READONLY | CF_FAST),
    ("touch",           -2,    OP_TOUCH,       CF_READONLY | CF_FAST),
    ("rename",          3,     OP_RENAME,      CF_WRITE),
    ("renamenx",        3,     OP_RENAMENX,    CF_WRITE | CF_FAST),
    ("copy",            -3,    OP_COPY,        CF_WRITE),
    ("move",            3,     OP_MOVE,        CF_WRITE | CF_FAST),
    ("keys",            2,     OP_KEYS,        CF_READONLY),
    ("scan",            -2,    OP_SCAN,        CF_READONLY),
    ("randomkey",       1,     OP_RANDOMKEY,   CF_READONLY),
]

LITERALS = []


@kernel(inline=True)
def dispatch(o, K, R, args, a0, argc, ci, cmdt, stats, sel):
    """Run key-space op `o`; X_DONE, X_DEFER or X_SLOW.  sel: the client's database number."""
    if o == OP_DEL or o == OP_EXISTS:
        return x_del_exists(K, R, args, a0, argc, stats, 1 if o == OP_DEL else 0)
    if o == OP_EXPIRE or o == OP_PEXPIRE or o == OP_EXPIREAT or o == OP_PEXPIREAT:
        return x_expire(K, R, args, a0, argc, ci, cmdt, o == OP_EXPIRE or o == OP_EXPIREAT,
                        o == OP_EXPIRE or o == OP_PEXPIRE)
    if o == OP_TTL or o == OP_PTTL or o == OP_EXPIRETIME or o == OP_PEXPIRETIME:
        return x_ttl(K, R, args, a0, stats, o == OP_PTTL or o == OP_PEXPIRETIME,
                     o == OP_EXPIRETIME or o == OP_PEXPIRETIME)
    if o == OP_PERSIST:
        return x_persist(K, R, args, a0)
    if o == OP_TYPE:
        return x_type(K, R, args, a0, stats)
    if o == OP_TOUCH:
        return x_touch(K, R, args, a0, argc, stats)
    if o == OP_RENAME or o == OP_RENAMENX:
        return x_rename(K, R, args, a0, o == OP_RENAMENX)
    if o == OP_COPY:
        return x_copy(K, R, args, a0, argc, stats, sel)
    if o == OP_MOVE:
        return x_move(K, R, args, a0, stats, sel)
    if o == OP_KEYS:
        return x_keys(K, R, args, a0)
    if o == OP_SCAN:
        return x_scan(K, R, args, a0, argc, stats)
    if o == OP_RANDOMKEY:
        return x_randomkey(K, R)
    return X_SLOW


def slow_handlers(admin):
    return {}


def subcommands(admin):
    return {}
