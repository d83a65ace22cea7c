"""Request bytes built in bulk with numpy, and replies counted by a small Numba routine.

Rules:
- Keys are redis-benchmark's: `key:` and 12 zero-padded digits (what `-r N`
  makes of `key:__rand_int__`), so keys we load are the keys it draws.
- Every request of one kind has the same length (fixed-width keys, one value
  size per batch), so a batch is a template per kind, the key digits of all
  requests computed at once by numpy, and one Numba loop that copies both
  into place.  No Python code runs per request.
- `count_replies` parses whole RESP2 replies of the kinds GET and SET give
  (`+OK`, `$n` bulk, `$-1`, `-ERR`, `:n`), and flat arrays of them (LRANGE,
  ZRANGE), and stops at the first incomplete one; the caller keeps the
  unparsed tail.
- `requests` makes the same stream of any given requests (the list and
  sorted-set benchmarks).
- The Numba routines are compiled once and cached next to this file
  (`warm_up` compiles them before worker processes fork).
"""
import numpy as np
from numba import njit

KEY_PREFIX = b"key:"
KEY_DIGITS = 12
KEY_LEN = len(KEY_PREFIX) + KEY_DIGITS
GET, SET = 0, 1
_POW10 = 10 ** np.arange(KEY_DIGITS - 1, -1, -1, dtype=np.int64)


def value_bytes(size):
    """The value our SETs write: `size` bytes of a fixed pattern."""
    return (b"0123456789abcdefghijklmnopqrstuvwxyz" * (size // 36 + 1))[:size]


def templates(value_size):
    """(GET template, SET template, offset of the key digits in both) as uint8 arrays."""
    key = KEY_PREFIX + b"0" * KEY_DIGITS
    get = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (KEY_LEN, key)
    value = value_bytes(value_size)
    set_ = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (KEY_LEN, key, len(value), value)
    digits_at = get.index(key) + len(KEY_PREFIX)
    assert set_.index(key) + len(KEY_PREFIX) == digits_at
    return (np.frombuffer(get, np.uint8), np.frombuffer(set_, np.uint8), digits_at)


def build(ops, keys, value_size):
    """The requests (ops[i] GET or SET of key keys[i]) as one uint8 array, and their offsets.

    offsets has len(ops) + 1 entries: request i is buf[offsets[i]:offsets[i + 1]].
    """
    ops = np.ascontiguousarray(ops, dtype=np.int8)
    keys = np.asarray(keys, dtype=np.int64)
    tget, tset, digits_at = templates(value_size)
    lengths = np.where(ops == SET, len(tset), len(tget))
    offsets = np.zeros(len(ops) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    buf = np.empty(int(offsets[-1]), dtype=np.uint8)
    digits = ((keys[:, None] // _POW10) % 10 + ord("0")).astype(np.uint8)
    _fill(buf, offsets, ops, tget, tset, digits, digits_at)
    return buf, offsets


@njit(cache=True, nogil=True)
def _fill(buf, offsets, ops, tget, tset, digits, digits_at):
    """Copy each request's template into place, then its key digits."""
    for i in range(len(ops)):
        o = offsets[i]
        if ops[i] == SET:
            buf[o:o + len(tset)] = tset
        else:
            buf[o:o + len(tget)] = tget
        buf[o + digits_at:o + digits_at + digits.shape[1]] = digits[i]


def sets(lo, hi, value_size):
    """SET key:lo .. key:hi-1 (each to value_bytes(value_size)) as one bytes object."""
    n = hi - lo
    buf, _ = build(np.full(n, SET, np.int8), np.arange(lo, hi, dtype=np.int64), value_size)
    return buf.tobytes()


def resp(*args):
    """One command in RESP; each argument bytes, or anything str() spells (str, int)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def requests(reqs, count):
    """`count` requests cycling through `reqs` (bytes each) as one uint8 array, and their offsets."""
    reqs = [bytes(r) for r in reqs]
    seq = (reqs * (count // len(reqs) + 1))[:count]
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum([len(r) for r in seq], out=offsets[1:])
    return np.frombuffer(b"".join(seq), np.uint8).copy(), offsets


@njit(cache=True, nogil=True)
def _scalar(buf, i, end):
    """(end of the non-array reply at i, 1 if an error): end -1 when incomplete, -2 unknown."""
    c = buf[i]
    j = i + 1
    while j < end and buf[j] != 13:
        j += 1
    if j + 1 >= end:
        return -1, 0                    # header line not complete yet
    nxt = j + 2
    if c == 36:                         # '$' bulk string
        k = i + 1
        if buf[k] == 45:
            return nxt, 0               # $-1
        length = 0
        while k < j:
            length = length * 10 + (buf[k] - 48)
            k += 1
        nxt += length + 2
        if nxt > end:
            return -1, 0
        return nxt, 0
    if c == 45:                         # '-' error
        return nxt, 1
    if c != 43 and c != 58:             # not '+' or ':'
        return -2, 0
    return nxt, 0


@njit(cache=True, nogil=True)
def count_replies(buf, start, end):
    """Whole replies in buf[start:end]: (replies, error replies, end of the last whole one).

    A byte that starts no known reply kind gives replies = -1 (a protocol
    error on the client's side of the bench; the caller stops).
    """
    i = start
    n = 0
    errors = 0
    while i < end:
        if buf[i] == 42:                # '*' a flat array: its elements, then it counts once
            j = i + 1
            while j < end and buf[j] != 13:
                j += 1
            if j + 1 >= end:
                break
            k = i + 1
            neg = buf[k] == 45
            cnt = 0
            while k < j and not neg:
                cnt = cnt * 10 + (buf[k] - 48)
                k += 1
            nxt = j + 2
            for _ in range(cnt):
                if nxt >= end:
                    nxt = -1
                    break
                nxt, e = _scalar(buf, nxt, end)
                if nxt < 0:
                    break
            if nxt == -2:
                return -1, errors, i
            if nxt < 0:
                break
        else:
            nxt, e = _scalar(buf, i, end)
            if nxt == -2:
                return -1, errors, i
            if nxt < 0:
                break
            errors += e
        n += 1
        i = nxt
    return n, errors, i


def warm_up():
    """Compile (or load) the Numba routines now, before worker processes fork."""
    build([GET, SET], [1, 2], 8)
    probe = np.frombuffer(b"+OK\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n*0\r\n*-1\r\n", np.uint8)
    assert count_replies(probe, 0, len(probe)) == (6, 0, len(probe))
    assert count_replies(probe, 0, len(probe) - 14) == (3, 0, 19)     # an array cut short waits
