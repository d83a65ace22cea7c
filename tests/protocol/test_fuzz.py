"""Fuzzing the request parser: it never crashes, never reads past its input, and agrees with ref_parse.

Every input is parsed on *tight* buffers (tests/protocol/fuzzkit.py): before each
parse pass the unparsed bytes sit in a buffer exactly their length, followed
by poison bytes that would change the outcome if the parser looked past its
write position.  Inputs are valid, truncated, mutated and garbage RESP,
inline (with quotes and escapes) and seed-format lines, fed in random
chunkings; the plain-Python reference parser (tests/naive.py) is the oracle.

Budgets are short for CI; MAKO_FUZZ_EXAMPLES=N raises every property's
example count (e.g. 20000 for a long run).  `test_bounds_checked_build`
runs this file again in a subprocess with NUMBA_BOUNDSCHECK=1 and no poison
padding, so any read past the data raises IndexError (one bounds-checked
compile, ~60-90 s, cached apart from the normal build: see jit.py).
The coverage-guided fuzzer is tests/protocol/fuzz_parser.py (atheris).
"""
import os
import subprocess
import sys

import numba
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzkit import POISON, check
from mako_numba.config import settings as config

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = int(os.environ.get("MAKO_FUZZ_EXAMPLES", "0"))
PAD = 0 if numba.config.BOUNDSCHECK else len(POISON)


def budget(n):
    return settings(max_examples=EXAMPLES or n, deadline=None, derandomize=not EXAMPLES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- pieces ---------------------------------------------------------------------------
_bytes = st.binary(max_size=10)
_special = st.sampled_from([b"\r\n", b"\n", b"\r", b"\x00", b" ", b"\t", b'"', b"'", b"\\", b"\\x",
                            b"\\x4", b"\\xzz", b":", b"\\:", b"\\\\", b"*", b"$", b"-"])
_text = st.lists(st.one_of(_bytes, _special), max_size=5).map(b"".join)
_number = st.one_of(
    st.integers(-3, 20),
    st.sampled_from([2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1,
                     config.PROTO_MAX_BULK_LEN, config.PROTO_MAX_BULK_LEN + 1, 65536, 10**20]),
).map(lambda n: b"%d" % n)
_number_text = st.one_of(_number, st.sampled_from([b"", b"+1", b"01", b"-0", b"1x", b" 1", b"1 "]))


@st.composite
def resp_request(draw):
    args = draw(st.lists(_text, min_size=0, max_size=4))
    out = b"*%d\r\n" % len(args)
    for a in args:
        n = len(a)
        if draw(st.integers(0, 9)) == 0:            # a wrong or odd length
            out += b"$" + draw(_number_text) + b"\r\n" + a + b"\r\n"
        else:
            out += b"$%d\r\n%s\r\n" % (n, a)
    if draw(st.integers(0, 9)) == 0:
        out = b"*" + draw(_number_text) + b"\r\n" + out[out.index(b"\n") + 1:]
    return out


@st.composite
def inline_request(draw):
    words = draw(st.lists(_text, min_size=0, max_size=4))
    quote = draw(st.sampled_from([b"", b'"', b"'"]))
    line = b" ".join(quote + w.replace(b"\n", b"") + quote for w in words)
    return line + draw(st.sampled_from([b"\r\n", b"\n"]))


@st.composite
def seed_request(draw):
    op = draw(st.sampled_from([b"get", b"set", b"GET", b"Set", b"gEt"]))
    key = draw(_text).replace(b"\n", b"")
    value = draw(_text).replace(b"\n", b"")
    sep = draw(st.sampled_from([b":", b"", b"::"]))
    return op + b":" + key + sep + value + draw(st.sampled_from([b"\r\n", b"\n"]))


_request = st.one_of(resp_request(), inline_request(), seed_request(),
                     st.sampled_from([b"\r\n", b"*0\r\n", b"*-1\r\n", b"   \n", b"\n"]))
streams = st.lists(_request, min_size=1, max_size=6).map(b"".join)


def cuts(data):
    return st.lists(st.integers(0, max(len(data), 1)), max_size=6)


# --- properties -----------------------------------------------------------------------
@budget(120)
@given(streams, st.data())
def test_streams_any_chunking(data, draw):
    check(data, draw.draw(cuts(data)), pad=PAD)


@budget(120)
@given(streams, st.data())
def test_truncated_streams(data, draw):
    data = data[:draw.draw(st.integers(0, len(data)))]
    check(data, draw.draw(cuts(data)), pad=PAD)


@budget(120)
@given(streams, st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.binary(max_size=3)),
                         min_size=1, max_size=4), st.data())
def test_mutated_streams(data, edits, draw):
    b = bytearray(data)
    for how, at, what in edits:
        at = at % (len(b) + 1)
        if how == 0:
            b[at:at] = what                                  # insert
        elif how == 1:
            del b[at:at + len(what) + 1]                     # delete
        else:
            b[at:at + len(what)] = what                      # overwrite
    data = bytes(b)
    check(data, draw.draw(cuts(data)), pad=PAD)


@budget(150)
@given(st.binary(max_size=80), st.data())
def test_garbage(data, draw):
    check(data, draw.draw(cuts(data)), pad=PAD)


def test_long_lines_at_the_limits():
    lim = config.PROTO_INLINE_MAX_SIZE
    for data in (b"a" * lim, b"a" * (lim + 1), b"*" + b"1" * lim, b"*1\r\n" + b"1" * (lim + 1),
                 b"set:" + b"k" * lim, b"*1\r\n$3\r\nabc", b'"' + b"\\x4" * 100):
        check(data, [len(data) // 2, len(data) - 1], pad=PAD)


def test_coverage_guided(tmp_path):
    """atheris on the parser as Python for a fixed number of runs, then its corpus through the kernels.

    MAKO_FUZZ_RUNS raises the run count; fuzz_parser.py's docstring has the long-run command.
    """
    pytest.importorskip("atheris")
    import fuzz_parser
    corpus = tmp_path / "corpus"
    fuzz_parser.seed_corpus(str(corpus))
    runs = int(os.environ.get("MAKO_FUZZ_RUNS", "5000"))
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore",
               PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests"), HERE, os.environ.get("PYTHONPATH", "")]))
    r = subprocess.run([sys.executable, os.path.join(HERE, "fuzz_parser.py"), str(corpus),
                        "-runs=%d" % runs, "-seed=1", "-max_len=512", "-artifact_prefix=%s/" % tmp_path],
                       cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    crashes = [str(p) for p in tmp_path.iterdir() if p.name.startswith("crash-")]
    assert r.returncode == 0 and not crashes, r.stderr[-4000:]
    assert "cov:" in r.stderr                   # coverage was seen (see fuzz_parser.main)
    assert fuzz_parser.replay([str(corpus)]) > 33


@pytest.mark.timeout(900)
@pytest.mark.skipif(bool(numba.config.BOUNDSCHECK), reason="already bounds-checked")
@pytest.mark.skipif(os.environ.get("MAKO_FUZZ_NO_BOUNDSCHECK") == "1", reason="MAKO_FUZZ_NO_BOUNDSCHECK=1")
def test_bounds_checked_build():
    """This file again with NUMBA_BOUNDSCHECK=1: an out-of-bounds read raises instead of passing silently."""
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                        "-o", "addopts=", "--timeout=600", os.path.abspath(__file__)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout
