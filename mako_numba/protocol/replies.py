"""Reply writers: RESP bytes into a connection's output buffer.

Rules:
- Each writer takes the output array and a write position and returns the
  new position.  None checks for room: the executor reserves the whole reply
  first (`reserve` in respond.py), before any side effect, and defers the
  request if the room is not there.  `*_size` functions give those sizes.
- Fixed replies come from the literal blob built in errors.py (`lits`), so the
  bytes on the wire have a single source.
- RESP2 and RESP3 differ here in null (`$-1` vs `_`) and in the aggregate
  headers of maps and sets (`w_agg_hdr`); the caller passes the connection's
  protocol or the header's byte.
"""
from mako_numba.protocol.errors import LIT_NIL2, LIT_NIL3
from mako_numba.base.jit import copy_bytes, kernel, u8view


@kernel(inline=True)
def digits(v):
    """Decimal digits of v >= 0."""
    n = 1
    while v >= 10:
        v //= 10
        n += 1
    return n


@kernel(inline=True)
def int_size(v):
    """Bytes of `:v\\r\\n` (or of a `$v\\r\\n` header)."""
    if v < 0:
        if v == -9223372036854775808:
            return 23
        return digits(-v) + 4
    return digits(v) + 3


@kernel(inline=True)
def bulk_size(n):
    return int_size(n) + n + 2


@kernel(inline=True)
def w_lit(out, pos, lits, which):
    blob, offs = lits
    a = offs[which]
    n = offs[which + 1] - a
    copy_bytes(out.ctypes.data + pos, blob.ctypes.data + a, n)     # (a slice copy would compile a shape check)
    return pos + n


@kernel
def lit_len(lits, which):
    return lits[1][which + 1] - lits[1][which]


@kernel
def _w_digits(out, pos, v):
    n = digits(v)
    for i in range(n - 1, -1, -1):
        out[pos + i] = 48 + v % 10
        v //= 10
    return pos + n


@kernel
def w_num(out, pos, v):
    """The decimal digits of v (any int64)."""
    if v >= 0:
        return _w_digits(out, pos, v)
    out[pos] = 45
    if v == -9223372036854775808:
        # -v overflows: the head, then the last digit
        out[pos + 19] = 56
        _w_digits(out, pos + 1, 922337203685477580)
        return pos + 20
    return _w_digits(out, pos + 1, -v)


@kernel
def w_crlf(out, pos):
    out[pos] = 13
    out[pos + 1] = 10
    return pos + 2


@kernel
def w_int(out, pos, v):
    out[pos] = 58
    return w_crlf(out, w_num(out, pos + 1, v))


@kernel
def w_bulk_hdr(out, pos, n):
    out[pos] = 36
    return w_crlf(out, w_num(out, pos + 1, n))


@kernel
def w_arr_hdr(out, pos, n):
    """*<n>\r\n: the header of an array reply."""
    out[pos] = 42
    return w_crlf(out, w_num(out, pos + 1, n))


@kernel
def w_agg_hdr(out, pos, ch, n):
    """<ch><n>\r\n: an aggregate's header (ord('*') array, '%' RESP3 map, '~' RESP3 set)."""
    out[pos] = ch
    return w_crlf(out, w_num(out, pos + 1, n))


@kernel(inline=True)
def w_bytes(out, pos, addr, n):
    copy_bytes(out.ctypes.data + pos, addr, n)
    return pos + n


@kernel(inline=True)
def w_bulk(out, pos, addr, n):
    pos = w_bulk_hdr(out, pos, n)
    pos = w_bytes(out, pos, addr, n)
    return w_crlf(out, pos)


@kernel(inline=True)
def w_bulk_short(out, pos, addr, n):
    """w_bulk for the elements of a big reply (HGETALL, SMEMBERS): a length under 100 is
    written without a call, a body of up to 16 bytes without memcpy."""
    if n >= 100:
        return w_bulk(out, pos, addr, n)
    out[pos] = 36
    if n < 10:
        out[pos + 1] = 48 + n
        pos += 2
    else:
        out[pos + 1] = 48 + n // 10
        out[pos + 2] = 48 + n % 10
        pos += 3
    out[pos] = 13
    out[pos + 1] = 10
    pos += 2
    if n <= 16:
        src = u8view(addr, n)
        for i in range(n):
            out[pos + i] = src[i]
    else:
        copy_bytes(out.ctypes.data + pos, addr, n)
    pos += n
    out[pos] = 13
    out[pos + 1] = 10
    return pos + 2


@kernel(inline=True)
def w_nil(out, pos, lits, proto):
    return w_lit(out, pos, lits, LIT_NIL3 if proto == 3 else LIT_NIL2)


@kernel
def w_bulk_int(out, pos, v):
    """An integer as a bulk string: $<digits>\r\n<v>\r\n."""
    pos = w_bulk_hdr(out, pos, int_size(v) - 3)
    return w_crlf(out, w_num(out, pos, v))
