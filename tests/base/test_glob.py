"""Both glob matchers (the jitted one for KEYS/SCAN, the Python one for CONFIG
GET) against a line-by-line transcription of Redis's stringmatchlen."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mako_numba.base import glob as pyglob
from mako_numba.commands.cursor import glob_match
from naive import stringmatchlen

ALPHABET = b"ab*?[]^-\\c"
_pat = st.binary(max_size=8).map(lambda b: bytes(ALPHABET[x % len(ALPHABET)] for x in b))
_str = st.binary(max_size=8).map(lambda b: bytes(b"abc*?[]\\-"[x % 9] for x in b))


def kernel_match(p, s):
    pa = np.frombuffer(p + b"\0", np.uint8)
    sa = np.frombuffer(s + b"\0", np.uint8)
    return bool(glob_match(pa, len(p), sa, len(s)))


CASES = [(b"*", b"abc", True), (b"a*c", b"abc", True), (b"a?c", b"ac", False),
         (b"[a-c]x", b"bx", True), (b"[^a]x", b"ax", False), (b"[c-a]", b"b", True),
         (b"\\*", b"*", True), (b"\\*", b"a", False), (b"a\\", b"a\\", True),
         (b"[abc", b"b", True), (b"*[", b"a[", False), (b"?*", b"", False), (b"", b"", True),
         (b"**a", b"ba", True), (b"[\\]]", b"]", True), (b"[]a]", b"a", False)]


def test_known_cases():
    for p, s, want in CASES:
        assert stringmatchlen(p, s) == want, (p, s)
        assert kernel_match(p, s) == want, (p, s)
        assert pyglob.match(p, s) == want, (p, s)


@settings(max_examples=3000, deadline=None)
@given(_pat, _str)
def test_matchers_agree_with_redis(p, s):
    want = stringmatchlen(p, s)
    assert kernel_match(p, s) == want
    assert pyglob.match(p, s) == want
