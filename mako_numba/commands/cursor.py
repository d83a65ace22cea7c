"""What every SCAN-like command shares: the cursor's parsing and Redis's glob.

`glob_match` is Redis's stringmatchlen (util.c) without recursion: `*`,
`?`, `[...]` with `^`, ranges and escapes, `\\x`; an unclosed `[` runs to the
pattern's end; as in Redis an empty string matches only an empty pattern.
`parse_cursor` is parseScanCursorOrReply's strtoul.  SCAN, KEYS
(commands/keys/scan.py), HSCAN and SSCAN (commands/collscan.py) use them.
"""
import numpy as np

from mako_numba.base.jit import kernel, u8view
from mako_numba.commands.respond import arg_int, arg_word, word
from mako_numba.protocol.errors import LIT_NOT_INT, LIT_SYNTAX

W_MATCH = word("match")
W_COUNT = word("count")
W_TYPE = word("type")


@kernel
def _class_match(p, pi, plen, ch):
    """Match ch against the class starting after '['; (matched, index of its ']')."""
    negate = pi < plen and p[pi] == 94
    if negate:
        pi += 1
    hit = False
    while True:
        if pi < plen and p[pi] == 92 and plen - pi >= 2:
            pi += 1
            if p[pi] == ch:
                hit = True
        elif pi < plen and p[pi] == 93:
            break
        elif pi >= plen:
            pi -= 1
            break
        elif plen - pi >= 3 and p[pi + 1] == 45:
            lo = p[pi]
            hi = p[pi + 2]
            if lo > hi:
                lo, hi = hi, lo
            pi += 2
            if lo <= ch <= hi:
                hit = True
        elif p[pi] == ch:
            hit = True
        pi += 1
    return hit != negate, pi


@kernel
def glob_match(p, plen, s, slen):
    """Redis's glob: does pattern p[:plen] match s[:slen]?"""
    if slen == 0:
        return plen == 0
    pi = 0
    si = 0
    star = -1
    resume = 0
    while si < slen:
        if pi < plen and p[pi] == 42:
            while pi + 1 < plen and p[pi + 1] == 42:
                pi += 1
            if pi + 1 == plen:
                return True
            star = pi
            resume = si
            pi += 1
            continue
        ok = False
        nxt = pi + 1
        if pi < plen:
            t = p[pi]
            if t == 63:
                ok = True
            elif t == 91:
                ok, end = _class_match(p, pi + 1, plen, s[si])
                nxt = end + 1
            else:
                if t == 92 and plen - pi >= 2:
                    pi += 1
                    nxt = pi + 1
                ok = p[pi] == s[si]
        if ok:
            pi = nxt
            si += 1
        elif star >= 0:
            resume += 1
            si = resume
            pi = star + 1
        else:
            return False
    while pi < plen and p[pi] == 42:
        pi += 1
    return pi >= plen


@kernel
def parse_cursor(args, i):
    """strtoul as Redis's parseScanCursorOrReply uses it: (ok, cursor as uint64)."""
    n = args[i, 1]
    b = u8view(args[i, 0], n)
    j = 0
    neg = False
    if n > 0 and (b[0] == 32 or 9 <= b[0] <= 13):
        return False, np.uint64(0)
    if j < n and (b[j] == 43 or b[j] == 45):
        neg = b[j] == 45
        j += 1
    v = np.uint64(0)
    digits = 0
    while j < n and 48 <= b[j] <= 57:
        d = np.uint64(b[j] - 48)
        if v > (np.uint64(18446744073709551615) - d) // np.uint64(10):
            return False, np.uint64(0)
        v = v * np.uint64(10) + d
        digits += 1
        j += 1
    if j != n or (digits == 0 and n > 0):
        return False, np.uint64(0)
    if neg:
        v = np.uint64(0) - v
    return True, v


@kernel
def scan_options(args, first, end, cap, type_ok):
    """The options args[first:end] of a SCAN-like command (scanGenericCommand's parsing):
    (error literal or -1, COUNT (10 by default, at most cap), the row of MATCH's pattern or -1,
    the row of TYPE's argument or -1; TYPE only where type_ok, as for SCAN)."""
    count = 10
    pi = -1
    ti = -1
    j = first
    while j < end:
        w = arg_word(args, j)
        if j + 1 >= end:
            return LIT_SYNTAX, count, pi, ti
        if w == W_COUNT:
            ok, count = arg_int(args, j + 1)
            if not ok:
                return LIT_NOT_INT, count, pi, ti
            if count < 1:
                return LIT_SYNTAX, count, pi, ti
            count = min(count, cap)
        elif w == W_MATCH:
            pi = j + 1
        elif w == W_TYPE and type_ok:
            ti = j + 1
        else:
            return LIT_SYNTAX, count, pi, ti
        j += 2
    return -1, count, pi, ti


@kernel(inline=True)
def pattern(args, pi):
    """MATCH's pattern (a view, its length) and whether it filters at all (Redis skips `*`)."""
    plen = 0 if pi < 0 else args[pi, 1]
    pat = u8view(args[pi, 0] if pi >= 0 else 0, plen)
    return pat, plen, pi >= 0 and not (plen == 1 and pat[0] == 42)
