"""The differential fuzzer (tests/difffuzz) on a short budget: mako_numba against a real Redis.

Random sequences of requests (every command family in difffuzz/families,
adversarial arguments, two connections in lockstep and pipelines, RESP2 and
RESP3, inline and multibulk, protocol garbage, transactions with WATCH and
flushes from the other connection) go to both servers; any difference
fails the test with every distinct minimised reproducer.

- MAKO_DIFFFUZZ_SECONDS: the budget (default 75 s); MAKO_DIFFFUZZ_SEED: the
  seed (default random, but CI_SEED under CI, so CI replays one stream of
  sequences that ran clean and a red CI is a regression, not a new draw;
  new draws come from every developer's run and from tools/difffuzz.py's
  long runs; the seed is printed, and in the failure message, so a failure
  reproduces: tools/difffuzz.py --seed N runs the same sequences longer).
- test_redis_against_redis is the fuzzer's own check: two Redis servers
  must show no difference, or the normalising masks too little.
"""
import os

import pytest

from difffuzz.driver import Pair
from difffuzz.runner import Servers, fuzz, seed_from_env

SECONDS = float(os.environ.get("MAKO_DIFFFUZZ_SECONDS", "75"))
CI_SEED = 20261207


def _run(tmp_path_factory, seconds, twin=False):
    seed = seed_from_env(CI_SEED if os.environ.get("CI") else None)
    print(f"difffuzz seed {seed} ({seconds:.0f} s); reproduce with MAKO_DIFFFUZZ_SEED={seed}")
    procs = Servers(tmp_path_factory, twin=twin)
    try:
        pair = Pair(*procs.ports(), revive=procs.revive)
        findings, stats = fuzz(pair, seconds, seed, log=lambda s: print(s, flush=True),
                               minimise_seconds=20)
        pair.close()
    finally:
        procs.stop()
    print(stats.line())
    assert stats.sequences > 0
    return seed, findings, stats


def _failure(seed, findings, stats):
    return "\n".join([f"seed {seed}: {len(findings)} distinct difference(s); {stats.line()}"] +
                     [f.report() for f in findings])


def test_redis_against_redis(tmp_path_factory):
    seed, findings, stats = _run(tmp_path_factory, min(SECONDS, 10), twin=True)
    assert not findings, _failure(seed, findings, stats)


def test_mako_against_redis(tmp_path_factory):
    seed, findings, stats = _run(tmp_path_factory, SECONDS)
    if findings:
        pytest.fail(_failure(seed, findings, stats), pytrace=False)
