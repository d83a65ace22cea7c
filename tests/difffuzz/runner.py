"""The fuzzing loop: generate, replay on both servers, minimise, deduplicate.

`fuzz(pair, seconds, seed, log)` draws sequence after sequence (sequence i
from seed `seed * 1_000_003 + i`, so any one replays on its own) until the
time is up.  At the first difference a sequence is cut after the differing
step, replayed once more (a difference that does not come back is counted
as flaky and dropped), minimised and filed under its signature
(minimise.signature); a signature already filed only counts again.  Once
one kind of first difference (the command at the step that differs and
the first 16 bytes of both replies) has been minimised three times, more
of it are counted, not minimised again, so a frequent known difference
does not eat the budget.

`servers(tmpdir)` starts a reference Redis and mako_numba the way
tests/conftest.py does (the Redis with DEBUG allowed from local
connections, as mako_numba has it, for the reset).
"""
import itertools
import os
import tempfile
import time

from .driver import Pair
from .generator import Generator
from .minimise import describe, minimise, signature

REDIS_OPTS = ("--enable-debug-command", "local")      # mako_numba's default


class Finding:
    def __init__(self, sig, steps, diff, seed, found_at, minimised_at):
        self.sig, self.steps, self.diff, self.seed = sig, steps, diff, seed
        self.found_at, self.minimised_at, self.count = found_at, minimised_at, 1

    def report(self):
        return ("== %s\n   seed %d, first found after %.1f s (minimised by %.1f s), seen %d time(s)\n%s"
                % (self.sig, self.seed, self.found_at, self.minimised_at, self.count,
                   describe(self.steps, self.diff)))


class Stats:
    def __init__(self):
        self.sequences = self.flaky = self.skipped = self.errors = 0
        self.seconds = self.fuzz_seconds = 0.0
        self.commands = 0

    def line(self):
        fs = max(self.fuzz_seconds, 1e-9)
        return ("%d sequences, %d commands in %.1f s (%.1f sequences/s, %.0f commands/s while "
                "fuzzing, minimising excluded); %d flaky, %d repeats not minimised"
                % (self.sequences, self.commands, self.seconds, self.sequences / fs,
                   self.commands / fs, self.flaky, self.skipped))


def _first_kind(steps, diff):
    return (diff.request[0].upper(), diff.ref[:16], diff.mako[:16])


def fuzz(pair, seconds, seed, log=print, minimise_seconds=60):
    """Fuzz for `seconds`; returns ([Finding] in order found, Stats)."""
    start = time.monotonic()
    end = start + seconds
    findings, kinds, stats = {}, {}, Stats()
    for i in itertools.count():
        if time.monotonic() >= end:
            break
        s = seed * 1_000_003 + i
        steps = Generator(s).sequence()
        t0 = time.monotonic()
        c0 = pair.commands
        try:
            pair.reset()
            diff = pair.run(steps)
        except OSError as e:
            stats.errors += 1
            log("seed %d: %r (servers alive: %s)" % (s, e, pair.alive()))
            if stats.errors >= 3:
                raise
            continue
        stats.fuzz_seconds += time.monotonic() - t0
        stats.sequences += 1
        if diff is None:
            stats.commands += pair.commands - c0
            continue
        stats.commands += pair.commands - c0
        found_at = time.monotonic() - start
        kind = _first_kind(steps, diff)
        if kinds.get(kind, 0) >= 3:
            stats.skipped += 1
            continue
        steps = steps[:diff.index + 1]
        pair.reset()
        if pair.run(steps) is None:
            stats.flaky += 1
            log("seed %d: a difference that did not come back (flaky)" % s)
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        small, d = minimise(pair, steps, min(minimise_seconds, max(5.0, end - time.monotonic())))
        if d is None:
            stats.flaky += 1
            continue
        sig = signature(small, d)
        if sig in findings:
            findings[sig].count += 1
            continue
        f = findings[sig] = Finding(sig, small, d, s, found_at, time.monotonic() - start)
        log(f.report())
    stats.seconds = time.monotonic() - start
    return list(findings.values()), stats


class _Dirs:
    """tmp_path_factory's mktemp, for starting servers outside pytest."""

    def __init__(self, root):
        self.root = root

    def mktemp(self, name):
        from pathlib import Path
        return Path(tempfile.mkdtemp(prefix=name, dir=self.root))


def servers(factory=None, twin=False):
    """(redis Proc, mako Proc), started like conftest's start_redis / start_mako.

    twin: a second Redis in mako_numba's place (the fuzzer's self-check: a
    Redis against a Redis must show no difference at all).
    """
    from conftest import start_mako, start_redis
    factory = factory or _Dirs(tempfile.mkdtemp(prefix="difffuzz-"))
    r = start_redis(factory, *REDIS_OPTS)
    try:
        return r, (start_redis(factory, *REDIS_OPTS) if twin else start_mako(factory, "--save", ""))
    except Exception:
        r.stop()
        raise


def seed_from_env(default=None):
    v = os.environ.get("MAKO_DIFFFUZZ_SEED")
    return int(v) if v else (default if default is not None else int.from_bytes(os.urandom(3), "big"))
