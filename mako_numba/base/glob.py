"""Redis's glob matching (util.c stringmatchlen), for CONFIG GET and friends.

Supports `*`, `?`, `[abc]`, `[^abc]`, `[a-z]` and backslash escapes, with
Redis's exact edge cases (an unclosed `[` matches up to the pattern's end,
ranges may be reversed).  Works on bytes.
"""


def _lower(b):
    return b + 32 if 65 <= b <= 90 else b


def match(pattern: bytes, string: bytes, nocase=False) -> bool:
    return _match(pattern, 0, string, 0, nocase, 0)


def _match(p, pi, s, si, nocase, depth):
    if depth > 1000:
        return False
    plen, slen = len(p), len(s)
    while pi < plen and si < slen:
        c = p[pi]
        if c == 42:  # '*'
            while pi + 1 < plen and p[pi + 1] == 42:
                pi += 1
            if pi + 1 == plen:
                return True
            for k in range(si, slen):
                if _match(p, pi + 1, s, k, nocase, depth + 1):
                    return True
            return False
        if c == 63:  # '?'
            si += 1
        elif c == 91:  # '['
            pi += 1
            negate = pi < plen and p[pi] == 94
            if negate:
                pi += 1
            hit = False
            while True:
                if pi < plen and p[pi] == 92 and pi + 2 <= plen - 1 + 1 and pi + 1 < plen:
                    pi += 1
                    if p[pi] == s[si]:
                        hit = True
                elif pi >= plen or p[pi] == 93:
                    break
                elif pi + 2 < plen and p[pi + 1] == 45:
                    start, end = p[pi], p[pi + 2]
                    if start > end:
                        start, end = end, start
                    ch = s[si]
                    if nocase:
                        start, end, ch = _lower(start), _lower(end), _lower(ch)
                    pi += 2
                    if start <= ch <= end:
                        hit = True
                else:
                    a, b = p[pi], s[si]
                    if (_lower(a) == _lower(b)) if nocase else a == b:
                        hit = True
                pi += 1
            if pi >= plen:
                pi = plen - 1
            if negate:
                hit = not hit
            if not hit:
                return False
            si += 1
        else:
            if c == 92 and pi + 1 < plen:  # '\\'
                pi += 1
                c = p[pi]
            b = s[si]
            if (_lower(c) != _lower(b)) if nocase else c != b:
                return False
            si += 1
        pi += 1
        if si >= slen:
            while pi < plen and p[pi] == 42:
                pi += 1
            break
    return pi >= plen and si >= slen
