"""Slow, obviously correct references the kernels are checked against.

- `ref_parse(data)`: Redis's request parsing (networking.c processMultibulkBuffer
  and processInlineBuffer, sds.c sdssplitargs) plus the seed line format,
  written as plainly as possible.  Returns (events, consumed) where an event
  is ("req", [arg bytes...]) or ("err", PE_code, byte).
- `RefTable`: the key space as a dict of (db, key) -> value.
"""
from mako_numba.config import settings as config
from mako_numba.base.layout import (
    PE_BIG_BULK, PE_BIG_INLINE, PE_BIG_MBULK, PE_BULK, PE_DOLLAR, PE_MULTIBULK, PE_UNBALANCED,
)

INLINE_MAX = config.PROTO_INLINE_MAX_SIZE
MAX_BULK = config.PROTO_MAX_BULK_LEN


def string2ll(s):
    if not s or len(s) >= 21:
        return None
    if s == b"0":
        return 0
    neg = s[:1] == b"-"
    digits = s[1:] if neg else s
    if not digits or not (49 <= digits[0] <= 57) or not all(48 <= d <= 57 for d in digits):
        return None
    v = -int(digits) if neg else int(digits)
    return v if -(1 << 63) <= v < (1 << 63) else None


def strchr(data, start, ch):
    """C strchr: stops at NUL."""
    for i in range(start, len(data)):
        if data[i] == ch:
            return i
        if data[i] == 0:
            return -1
    return -1


def sdssplitargs(line):
    """Returns the list of args, or None for unbalanced quotes."""
    args = []
    p = 0
    n = len(line)

    def at(i):
        return line[i] if i < n else 0

    while True:
        while p < n and line[p] in b" \t\n\v\f\r":
            p += 1
        if p >= n:
            return args
        cur = bytearray()
        inq = insq = done = False
        while not done:
            ch = at(p)
            if inq:
                if ch == 92 and at(p + 1) == 120 and bytes([at(p + 2)]) in b"0123456789abcdefABCDEF" \
                        and at(p + 2) and at(p + 3) and bytes([at(p + 3)]) in b"0123456789abcdefABCDEF":
                    cur.append(int(bytes([at(p + 2), at(p + 3)]), 16))
                    p += 3
                elif ch == 92 and at(p + 1):
                    p += 1
                    cur.append({110: 10, 114: 13, 116: 9, 98: 8, 97: 7}.get(at(p), at(p)))
                elif ch == 34:
                    if at(p + 1) and at(p + 1) not in b" \t\n\v\f\r":
                        return None
                    done = True
                elif not ch:
                    return None
                else:
                    cur.append(ch)
            elif insq:
                if ch == 92 and at(p + 1) == 39:
                    p += 1
                    cur.append(39)
                elif ch == 39:
                    if at(p + 1) and at(p + 1) not in b" \t\n\v\f\r":
                        return None
                    done = True
                elif not ch:
                    return None
                else:
                    cur.append(ch)
            else:
                if ch in (32, 10, 13, 9, 0):
                    done = True
                elif ch == 34:
                    inq = True
                elif ch == 39:
                    insq = True
                else:
                    cur.append(ch)
            if p < n:
                p += 1
        args.append(bytes(cur))


def seed_args(line):
    """The seed format `op:key:value` (op get/set, any case), or None if not one."""
    if len(line) < 4 or line[3:4] != b":" or line[:3].lower() not in (b"get", b"set"):
        return None
    args = [line[:3]]
    p = 4
    key = bytearray()
    while p < len(line) and line[p] != 58:
        if line[p] == 92 and p + 1 < len(line):
            p += 1
        key.append(line[p])
        p += 1
    args.append(bytes(key))
    if p < len(line):
        rest = line[p + 1:]
        if line[:1].lower() == b"s" or rest:
            args.append(rest)
    return args


def ref_parse(data):
    """Parse a whole byte string as Redis would; stop at an error or incomplete input."""
    events = []
    pos = 0
    while pos < len(data):
        if data[pos] == 42:  # '*'
            r = strchr(data, pos, 13)
            if r < 0:
                if len(data) - pos > INLINE_MAX:
                    events.append(("err", PE_BIG_MBULK, 0))
                return events, pos
            if r + 1 >= len(data):
                return events, pos
            ll = string2ll(data[pos + 1:r])
            if ll is None or ll > config.MAX_MULTIBULK_LEN:
                events.append(("err", PE_MULTIBULK, 0))
                return events, pos
            p = r + 2
            if ll <= 0:
                pos = p
                continue
            args = []
            for _ in range(ll):
                r = strchr(data, p, 13)
                if r < 0:
                    if len(data) - p > INLINE_MAX:
                        events.append(("err", PE_BIG_BULK, 0))
                    return events, pos
                if r + 1 >= len(data):
                    return events, pos
                if data[p] != 36:
                    events.append(("err", PE_DOLLAR, data[p]))
                    return events, pos
                bl = string2ll(data[p + 1:r])
                if bl is None or bl < 0 or bl > MAX_BULK:
                    events.append(("err", PE_BULK, 0))
                    return events, pos
                p = r + 2
                if len(data) - p < bl + 2:
                    return events, pos
                args.append(data[p:p + bl])
                p += bl + 2
            events.append(("req", args))
            pos = p
        else:
            nl = strchr(data, pos, 10)
            if nl < 0:
                if len(data) - pos > INLINE_MAX:
                    events.append(("err", PE_BIG_INLINE, 0))
                return events, pos
            end = nl - 1 if nl > pos and data[nl - 1] == 13 else nl
            line = data[pos:end]
            args = seed_args(line)
            if args is None:
                args = sdssplitargs(line)
            if args is None:
                events.append(("err", PE_UNBALANCED, 0))
                return events, pos
            if args:
                events.append(("req", args))
            pos = nl + 1
    return events, pos


class RefTable:
    """The key space, as plainly as possible."""

    def __init__(self):
        self.d = {}

    def set(self, db, k, v):
        self.d[(db, k)] = v

    def get(self, db, k):
        return self.d.get((db, k))

    def delete(self, db, k):
        return 1 if self.d.pop((db, k), None) is not None else 0

    def dbsize(self, db):
        return sum(1 for (d, _) in self.d if d == db)


def stringmatchlen(p, s, nocase=False):
    """Redis util.c stringmatchlen, transcribed line by line (recursive on '*')."""
    def low(b):
        return b + 32 if 65 <= b <= 90 else b

    def impl(p, s):
        pi, si = 0, 0
        plen, slen = len(p), len(s)
        at = lambda i: p[i] if i < plen else 0      # the C string's NUL
        while plen - pi and slen - si:
            ch = p[pi]
            if ch == 42:                            # '*'
                while plen - pi and at(pi + 1) == 42:
                    pi += 1
                if plen - pi == 1:
                    return True
                while slen - si:
                    if impl(p[pi + 1:], s[si:]):
                        return True
                    si += 1
                return False
            elif ch == 63:                          # '?'
                si += 1
            elif ch == 91:                          # '['
                pi += 1
                negate = at(pi) == 94
                if negate:
                    pi += 1
                match = False
                while True:
                    if at(pi) == 92 and plen - pi >= 2:
                        pi += 1
                        if p[pi] == s[si]:
                            match = True
                    elif at(pi) == 93:
                        break
                    elif plen - pi == 0:
                        pi -= 1
                        break
                    elif plen - pi >= 3 and p[pi + 1] == 45:
                        start, end, c = p[pi], p[pi + 2], s[si]
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, c = low(start), low(end), low(c)
                        pi += 2
                        if start <= c <= end:
                            match = True
                    else:
                        if (low(p[pi]) == low(s[si])) if nocase else p[pi] == s[si]:
                            match = True
                    pi += 1
                if negate:
                    match = not match
                if not match:
                    return False
                si += 1
            else:
                if ch == 92 and plen - pi >= 2:     # '\\'
                    pi += 1
                if (low(p[pi]) != low(s[si])) if nocase else p[pi] != s[si]:
                    return False
                si += 1
            pi += 1
            if slen - si == 0:
                while at(pi) == 42:
                    pi += 1
                break
        return plen - pi == 0 and slen - si == 0

    return impl(bytes(p), bytes(s))
