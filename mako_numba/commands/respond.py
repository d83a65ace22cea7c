"""Check-then-reply helpers shared by every kernel command.

A command handler's arguments say what it may touch (its family's entry kernel builds
them once per request, commands/frame.py):
- `K = (T, lim, db, now)`, the key context: the table, the limits, the
  client's physical database (store/table.db_of) and the batch's clock (ms);
  what a handler needs to read and write keys.
- `R = (conn, c, lim, lits)`, the client: its row `c` of the connection table,
  where its reply is written and how (the limits, the literal replies).
  Only what changes the client itself (QUIT, MULTI) writes its flags.
- `args, a0, argc`: the request's argument rows, the first one's row, their count.
- only if it needs them: `ci, cmdt` (the command's index and the command
  table: arity errors and errors naming the command) and `stats` (keyspace
  hits and misses).  What needs more takes exactly that (SWAPDB the whole
  table, COPY and MOVE the client's database number, TIME the clock in us).

Rules (Redis's "...OrReply" habit):
- `reply_*` reserve room for the whole reply before writing; they return
  X_DONE, or X_DEFER when the output buffer lacks room (the engine then
  rewinds the request; see engine.py).  A handler must not change the key
  space before its last possible X_DEFER.
- Argument helpers read arguments straight from their (address, length)
  rows: `arg_word` packs a short argument, lower-cased, into an int so an
  option can be matched against a constant from `word()`; `arg_int` parses
  a strict Redis integer.
- `read_or_reply` / `write_or_reply` find a command's key wanting one type
  (store/types): a key of another type gets Redis's WRONGTYPE error, written
  here and nowhere else, so a body only checks `which == WRONGTYPE`.
"""
from mako_numba.config import settings as config
from mako_numba.protocol.errors import (
    LIT_ARITY_PRE, LIT_ARITY_SUF, LIT_CRLF, LIT_P_BIG_BULK, LIT_P_BIG_INLINE, LIT_P_BIG_MBULK,
    LIT_P_BULK, LIT_P_DOLLAR_PRE, LIT_P_DOLLAR_SUF, LIT_P_MULTIBULK, LIT_P_UNBALANCED, LIT_WRONGTYPE,
)
from mako_numba.base.jit import copy_bytes, kernel, u8view
from mako_numba.base.layout import (
    C_HQ, C_HQ_AT, C_NEXEC, C_OUT_ADDR, C_OUT_CAP, C_OUT_NEED, C_OUT_SENT, C_OUT_WR, C_PROTO,
    PE_BIG_BULK, PE_BIG_INLINE, PE_BIG_MBULK, PE_BULK, PE_DOLLAR, PE_MULTIBULK, S_HITS, S_MISSES,
)
from mako_numba.protocol.parsebase import string2ll
from mako_numba.protocol.replies import bulk_size, int_size, lit_len, w_agg_hdr, w_bulk, w_int, w_lit, w_nil
from mako_numba.store.types import WRONGTYPE, lookup_read, lookup_write

X_DONE = 0
X_DEFER = 1
X_SLOW = 2


def word(text):
    """The int `arg_word` gives for `text` (an option name, any case)."""
    v = 0
    for i, ch in enumerate(text.lower().encode()):
        v |= ch << (8 * i)
    return v


# option words and int64 bounds more than one command module uses
W_NX = word("nx")
W_XX = word("xx")
INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808


@kernel
def arg_word(args, i):
    """Argument i lower-cased and packed into an int (-1 if longer than 7 bytes)."""
    n = args[i, 1]
    if n > 7:
        return -1
    b = u8view(args[i, 0], n)
    v = 0
    for j in range(n):
        ch = b[j]
        if 65 <= ch <= 90:
            ch += 32
        v |= ch << (8 * j)
    return v


@kernel
def arg_int(args, i):
    """(ok, value) of argument i as a strict Redis integer (string2ll)."""
    n = args[i, 1]
    if n == 0:
        return False, 0
    return string2ll(u8view(args[i, 0], n), 0, n)


@kernel
def arg_int32(args, i):
    """(ok, value) of argument i as a C int (getIntFromObjectOrReply)."""
    ok, v = arg_int(args, i)
    return ok and -2147483648 <= v <= 2147483647, v


@kernel(inline=True)
def clamp_range(start, end, total):
    """GETRANGE's and BITCOUNT's index rules: negatives count from the end, then clip to [0, total)."""
    if start < 0:
        start = total + start
    if end < 0:
        end = total + end
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    return start, end


@kernel(inline=True)
def count_lookup(stats, which):
    """keyspace_hits / keyspace_misses of one read lookup (Redis counts them in lookupKeyRead*)."""
    stats[S_HITS if which != 0 else S_MISSES] += 1


@kernel(inline=True)
def reserve(conn, c, lim, need):
    """Room for `need` reply bytes?  If not, record what is missing."""
    wr = conn[c, C_OUT_WR]
    pending = wr - conn[c, C_OUT_SENT]
    if conn[c, C_NEXEC] > 0 and pending > lim[config.L_OUT_SOFT]:
        return False
    if conn[c, C_OUT_CAP] - wr < need:
        conn[c, C_OUT_NEED] = pending + need
        return False
    return True


@kernel(inline=True)
def out_of(conn, c):
    return u8view(conn[c, C_OUT_ADDR], conn[c, C_OUT_CAP])


@kernel(inline=True)
def reply_lit(conn, c, lim, lits, which):
    if not reserve(conn, c, lim, lit_len(lits, which)):
        return X_DEFER
    conn[c, C_OUT_WR] = w_lit(out_of(conn, c), conn[c, C_OUT_WR], lits, which)
    return X_DONE


@kernel(inline=True)
def known_hash(conn, c, db, k):
    """The hash of argument row k's key in physical db when the batch computed it already
    (the running request's first key: C_HQ, set by dispatch.execute), else 0."""
    if conn[c, C_HQ_AT] == (k | (db << 32)):
        return conn[c, C_HQ]
    return 0


@kernel(inline=True)
def read_or_reply(K, R, stats, args, k, want, hq):
    """Redis's lookupKeyReadOrReply + checkType for argument k's key in the client's database:
    (X_*, hash, which, slot), as store/types.lookup_read.

    which WRONGTYPE: the key holds another type than `want`; the WRONGTYPE
    error is written (a keyspace hit, as Redis counts it) and X_* is the
    command's status.  Otherwise X_DONE, and the reply is the caller's.
    """
    T, lim, db, now = K
    conn, c, rlim, lits = R
    if hq == 0:
        hq = known_hash(conn, c, db, k)
    h, which, pos = lookup_read(T, lim, db, args[k, 0], args[k, 1], now, want, hq)
    st = X_DONE
    if which == WRONGTYPE:
        st = reply_lit(conn, c, rlim, lits, LIT_WRONGTYPE)
        if st == X_DONE:
            stats[S_HITS] += 1
    return st, h, which, pos


@kernel(inline=True)
def write_or_reply(K, R, args, k, want):
    """Redis's lookupKeyWrite + checkType for argument k's key in the client's database:
    (X_*, hash, which, slot), as store/types.lookup_write; which WRONGTYPE: the
    WRONGTYPE error is written and X_* is the command's status."""
    T, lim, db, now = K
    conn, c, rlim, lits = R
    h, which, pos = lookup_write(T, lim, db, args[k, 0], args[k, 1], now, want,
                                 known_hash(conn, c, db, k))
    st = X_DONE
    if which == WRONGTYPE:
        st = reply_lit(conn, c, rlim, lits, LIT_WRONGTYPE)
    return st, h, which, pos


@kernel
def reply_int(conn, c, lim, v):
    if not reserve(conn, c, lim, int_size(v)):
        return X_DEFER
    conn[c, C_OUT_WR] = w_int(out_of(conn, c), conn[c, C_OUT_WR], v)
    return X_DONE


@kernel(inline=True)
def reply_bulk(conn, c, lim, addr, n):
    if not reserve(conn, c, lim, bulk_size(n)):
        return X_DEFER
    conn[c, C_OUT_WR] = w_bulk(out_of(conn, c), conn[c, C_OUT_WR], addr, n)
    return X_DONE


@kernel(inline=True)
def reply_nil(conn, c, lim, lits):
    if not reserve(conn, c, lim, 5):
        return X_DEFER
    conn[c, C_OUT_WR] = w_nil(out_of(conn, c), conn[c, C_OUT_WR], lits, conn[c, C_PROTO])
    return X_DONE


@kernel
def reply_nothing(conn, c, lim, lits, counted, agg):
    """Nothing to return from a random pick (SRANDMEMBER, SPOP, HRANDFIELD): nil for the
    one-member form, an empty aggregate (type byte `agg`: '*' or RESP3's '~') for the counted one."""
    if not counted:
        return reply_nil(conn, c, lim, lits)
    if not reserve(conn, c, lim, 4):
        return X_DEFER
    conn[c, C_OUT_WR] = w_agg_hdr(out_of(conn, c), conn[c, C_OUT_WR], agg, 0)
    return X_DONE


@kernel
def reply_bulk_or_nil(conn, c, lim, lits, addr, n):
    """A value (n >= 0) or nil (n < 0)."""
    if n < 0:
        return reply_nil(conn, c, lim, lits)
    return reply_bulk(conn, c, lim, addr, n)


@kernel
def reply_named(conn, c, lim, lits, cmdt, ci, pre, suf):
    """An error naming the command: pre + '<name>' + suf (arity, expire time)."""
    names, noff, nlen, arity, op, flags, htab = cmdt
    n = nlen[ci]
    if not reserve(conn, c, lim, lit_len(lits, pre) + n + lit_len(lits, suf)):
        return X_DEFER
    out = out_of(conn, c)
    pos = w_lit(out, conn[c, C_OUT_WR], lits, pre)
    copy_bytes(out.ctypes.data + pos, names.ctypes.data + noff[ci], n)
    conn[c, C_OUT_WR] = w_lit(out, pos + n, lits, suf)
    return X_DONE


@kernel
def reply_arity(conn, c, lim, lits, cmdt, ci):
    """-ERR wrong number of arguments for '<name>' command"""
    return reply_named(conn, c, lim, lits, cmdt, ci, LIT_ARITY_PRE, LIT_ARITY_SUF)


@kernel
def reply_error_arg(conn, c, lim, lits, pre, args, i):
    """pre + argument i, as addReplyErrorFormat's "%s" prints it: up to a NUL, CR and LF at
    its end trimmed (the text ends with it), the others turned into spaces."""
    b = u8view(args[i, 0], args[i, 1])
    n = 0
    while n < b.shape[0] and b[n] != 0:
        n += 1
    while n > 0 and (b[n - 1] == 13 or b[n - 1] == 10):
        n -= 1
    if not reserve(conn, c, lim, lit_len(lits, pre) + n + 2):
        return X_DEFER
    out = out_of(conn, c)
    pos = w_lit(out, conn[c, C_OUT_WR], lits, pre)
    for j in range(n):
        ch = b[j]
        out[pos + j] = 32 if ch == 13 or ch == 10 else ch
    conn[c, C_OUT_WR] = w_lit(out, pos + n, lits, LIT_CRLF)
    return X_DONE


@kernel
def reply_proto_error(conn, c, lim, lits, err, errarg):
    if err == PE_DOLLAR:
        if not reserve(conn, c, lim, lit_len(lits, LIT_P_DOLLAR_PRE) + 1 + lit_len(lits, LIT_P_DOLLAR_SUF)):
            return X_DEFER
        out = out_of(conn, c)
        pos = w_lit(out, conn[c, C_OUT_WR], lits, LIT_P_DOLLAR_PRE)
        # addReplyErrorFormat turns CR and LF into spaces
        out[pos] = 32 if errarg == 13 or errarg == 10 else errarg
        conn[c, C_OUT_WR] = w_lit(out, pos + 1, lits, LIT_P_DOLLAR_SUF)
        return X_DONE
    which = LIT_P_MULTIBULK
    if err == PE_BULK:
        which = LIT_P_BULK
    elif err == PE_BIG_INLINE:
        which = LIT_P_BIG_INLINE
    elif err == PE_BIG_MBULK:
        which = LIT_P_BIG_MBULK
    elif err == PE_BIG_BULK:
        which = LIT_P_BIG_BULK
    elif err != PE_MULTIBULK:
        which = LIT_P_UNBALANCED
    return reply_lit(conn, c, lim, lits, which)

