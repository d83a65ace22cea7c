"""Bit commands on string values (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT.

Same calling convention as string/kernels.py (`K, R, args, a0`, then what
else each uses; respond.py), returning X_DONE or X_DEFER.  Bits are numbered from the most
significant bit of the first byte, as in Redis.  SETBIT grows the value with
zero bytes; a bit set to the value it already had is not a change (WATCH).
"""
import numpy as np

from mako_numba.config import settings as config
from mako_numba.protocol.errors import LIT_BIT_OFFSET, LIT_BIT_VALUE, LIT_NOT_INT, LIT_ONE, LIT_SYNTAX, LIT_ZERO
from mako_numba.base.jit import kernel, u8view
from mako_numba.base.layout import S_HITS, S_MISSES
from mako_numba.commands.respond import (
    X_DEFER, arg_int, arg_word, clamp_range, read_or_reply, reply_int, reply_lit, reserve, word, write_or_reply,
)
from mako_numba.store.types import OBJ_STRING, WRONGTYPE
from mako_numba.store.arena import ENC_RAW, OK
from mako_numba.store.index import touch_hash
from mako_numba.store.table import lookup, resize_value, set_enc_flags, store, value_of

W_BIT = word("bit")
W_BYTE = word("byte")
POPCOUNT = np.array([bin(i).count("1") for i in range(256)], np.int64)


@kernel
def bit_offset(args, i, lim):
    """(ok, offset) as getBitOffsetFromArgument: a non-negative integer within proto-max-bulk-len bytes."""
    ok, off = arg_int(args, i)
    if not ok or off < 0 or (off >> 3) >= lim[config.L_MAX_BULK]:
        return False, 0
    return True, off


@kernel
def x_setbit(K, R, args, a0):
    """SETBIT key offset 0|1: the bit's previous value."""
    T, lim, db, now = K
    conn, c, lim, lits = R
    ok, off = bit_offset(args, a0 + 2, lim)
    if not ok:
        return reply_lit(conn, c, lim, lits, LIT_BIT_OFFSET)
    ok, on = arg_int(args, a0 + 3)
    if not ok or (on & ~1) != 0:
        return reply_lit(conn, c, lim, lits, LIT_BIT_VALUE)
    if not reserve(conn, c, lim, 4):
        return X_DEFER
    k = a0 + 1
    byte = off >> 3
    st, h, which, pos = write_or_reply(K, R, args, k, OBJ_STRING)
    if which == WRONGTYPE:
        return st
    if which == 0:
        if store(T, lim, db, h, which, pos, args[k, 0], args[k, 1], 0, byte + 1, 0) != OK:
            return X_DEFER
        h, which, pos = lookup(T, lim, db, args[k, 0], args[k, 1], now)
        vaddr = value_of(T, which, pos)[0]
    else:
        vaddr, n = value_of(T, which, pos)
        if byte >= n:
            st, vaddr = resize_value(T, lim, which, pos, byte + 1)
            if st != OK:
                return X_DEFER
            h, which, pos = lookup(T, lim, db, args[k, 0], args[k, 1], now)
    set_enc_flags(T, which, pos, ENC_RAW)       # Redis unshares the value: raw from now on
    b = u8view(vaddr + byte, 1)
    mask = 1 << (7 - (off & 7))
    was = 1 if b[0] & mask else 0
    if was != on:
        b[0] = (b[0] & ~mask) | (mask if on else 0)
        touch_hash(T[0], db, h)
    return reply_lit(conn, c, lim, lits, LIT_ONE if was else LIT_ZERO)


@kernel
def x_getbit(K, R, args, a0, stats):
    """GETBIT key offset"""
    T = K[0]
    conn, c, lim, lits = R
    ok, off = bit_offset(args, a0 + 2, lim)
    if not ok:
        return reply_lit(conn, c, lim, lits, LIT_BIT_OFFSET)
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_STRING, 0)
    if which == WRONGTYPE:
        return st
    if which == 0:
        stats[S_MISSES] += 1
        return reply_lit(conn, c, lim, lits, LIT_ZERO)
    stats[S_HITS] += 1
    vaddr, n = value_of(T, which, pos)
    byte = off >> 3
    if byte >= n:
        return reply_lit(conn, c, lim, lits, LIT_ZERO)
    bit = u8view(vaddr + byte, 1)[0] & (1 << (7 - (off & 7)))
    return reply_lit(conn, c, lim, lits, LIT_ONE if bit else LIT_ZERO)


@kernel
def popcount(addr, n):
    v = u8view(addr, n)
    total = 0
    for i in range(n):
        total += POPCOUNT[v[i]]
    return total


@kernel
def x_bitcount(K, R, args, a0, argc, stats):
    """BITCOUNT key [start end [BYTE|BIT]], in bitcountCommand's order of checks."""
    T = K[0]
    conn, c, lim, lits = R
    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_STRING, 0)
    if which == WRONGTYPE:
        return st
    if which == 0:
        stats[S_MISSES] += 1
        return reply_lit(conn, c, lim, lits, LIT_ZERO)
    stats[S_HITS] += 1
    vaddr, n = value_of(T, which, pos)
    first_mask = 0
    last_mask = 0
    if argc == 4 or argc == 5:
        ok, start = arg_int(args, a0 + 2)
        if not ok:
            return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
        ok, end = arg_int(args, a0 + 3)
        if not ok:
            return reply_lit(conn, c, lim, lits, LIT_NOT_INT)
        if start < 0 and end < 0 and start > end:
            return reply_lit(conn, c, lim, lits, LIT_ZERO)
        isbit = False
        if argc == 5:
            w = arg_word(args, a0 + 4)
            if w == W_BIT:
                isbit = True
            elif w != W_BYTE:
                return reply_lit(conn, c, lim, lits, LIT_SYNTAX)
        start, end = clamp_range(start, end, n * 8 if isbit else n)
        if isbit and start <= end:
            first_mask = ~((1 << (8 - (start & 7))) - 1) & 0xFF
            last_mask = (1 << (7 - (end & 7))) - 1
            start >>= 3
            end >>= 3
    elif argc == 2:
        start = 0
        end = n - 1
    else:
        return reply_lit(conn, c, lim, lits, LIT_SYNTAX)
    if start > end:
        return reply_lit(conn, c, lim, lits, LIT_ZERO)
    count = popcount(vaddr + start, end - start + 1)
    v = u8view(vaddr, n)
    if first_mask != 0:
        count -= POPCOUNT[v[start] & first_mask]
    if last_mask != 0:
        count -= POPCOUNT[v[end] & last_mask]
    return reply_int(conn, c, lim, count)
