"""The fuzzing loop: generate, replay on both servers, minimise, deduplicate.

`fuzz(pair, seconds, seed, log)` draws sequence after sequence (sequence i
from seed `seed * 1_000_003 + i`, so any one replays on its own) until the
time is up.  At a difference the sequence up to the differing step is
replayed once more (a difference that does not come back is counted as
flaky and dropped), minimised and filed under its signature
(minimise.signature; a signature already filed only counts again); then
the sequence is replayed without that step, up to MAX_DIFFS_PER_SEQUENCE
times, so a frequent difference early on does not hide later ones.

A difference's point (point(): the request, the bytes before the first
differing byte, the reply kinds) groups findings in the report.  Once a
point has been minimised three times, further differences at it are
minimised with probability 0.15 only (the rest are counted), so a frequent
known difference does not eat the budget and its variants still show.

A server that dies (driver.ServerDied) is restarted (Servers.revive), the
sequence that killed it is minimised with a restart after every attempt
that kills it again, and filed with the end of the dead server's log.

`Servers` starts a reference Redis and mako_numba the way
tests/conftest.py does (the Redis with DEBUG allowed from local
connections, as mako_numba has it, for the reset).
"""
import itertools
import os
import random
import re
import socket
import subprocess
import tempfile
import time

from .driver import ServerDied
from .generator import Generator
from .minimise import describe, minimise, signature

MAX_DIFFS_PER_SEQUENCE = 20
REDIS_OPTS = ("--enable-debug-command", "local")      # mako_numba's default


class Finding:
    def __init__(self, sig, steps, diff, seed, found_at, minimised_at, note=""):
        self.sig, self.steps, self.diff, self.seed, self.note = sig, steps, diff, seed, note
        self.point = point(diff) if diff else "%s exited" % note.split(":")[0]
        self.found_at, self.minimised_at, self.count = found_at, minimised_at, 1

    def report(self):
        return ("== %s\n   seed %d, first found after %.1f s (minimised by %.1f s), seen %d time(s)\n%s"
                % (self.sig, self.seed, self.found_at, self.minimised_at, self.count,
                   describe(self.steps, self.diff))) + ("\n  " + self.note if self.note else "")


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


KNOWN_SUBCOMMANDS = {b"GET", b"SET", b"RESETSTAT", b"REWRITE", b"HELP", b"LIST", b"INFO", b"KILL",
                     b"ID", b"GETNAME", b"SETNAME", b"NO-EVICT", b"ENCODING", b"REFCOUNT",
                     b"IDLETIME", b"FREQ", b"USAGE", b"OBJECT", b"DOCS", b"COUNT"}


def point(diff):
    """Where a difference shows: the request's name (and subcommand, or ? for an unknown
    one), up to 12 bytes of Redis's reply before the first differing byte (digits as #),
    both replies' kinds."""
    req = diff.request
    name = req[0].upper()
    if name in (b"CLIENT", b"CONFIG", b"OBJECT", b"COMMAND", b"MEMORY", b"DEBUG") and len(req) > 1:
        name += b" " + (req[1].upper() if req[1].upper() in KNOWN_SUBCOMMANDS else b"?")
    k = next((i for i, (x, y) in enumerate(zip(diff.ref, diff.mako)) if x != y),
             min(len(diff.ref), len(diff.mako)))
    ctx = re.sub(rb"[0-9]", b"#", diff.ref[max(0, k - 12):k])
    return "%s @ %r [redis %s / mako %s]" % (name.decode("latin-1"), ctx.decode("latin-1"),
                                             diff.ref[:1].decode("latin-1"), diff.mako[:1].decode("latin-1"))


def grouped(findings):
    """The findings' report lines, grouped by the point where they differ."""
    groups = {}
    for f in findings:
        groups.setdefault(f.point, []).append(f)
    out = []
    for p, fs in groups.items():
        out.append("  %s" % p)
        out += ["      %6.1f s  %s" % (f.found_at, f.sig) for f in fs]
    return out


def fuzz(pair, seconds, seed, log=print, minimise_seconds=60):
    """Fuzz for `seconds`; returns ([Finding] in order found, Stats)."""
    start = time.monotonic()
    end = start + seconds
    findings, points, stats = {}, {}, Stats()
    rng = random.Random(seed)
    for i in itertools.count():
        if time.monotonic() >= end:
            break
        s = seed * 1_000_003 + i
        steps = Generator(s).sequence()
        stats.sequences += 1
        for _ in range(MAX_DIFFS_PER_SEQUENCE):
            if time.monotonic() >= end:
                break
            t0, c0 = time.monotonic(), pair.commands
            try:
                pair.reset()
                diff = pair.run(steps)
                if diff is not None:
                    _file(pair, steps[:diff.index + 1], diff, s, start, end, findings, points, stats,
                          rng, log, minimise_seconds)
            except ServerDied as e:
                _crash(pair, e.args[0], s, start, end, findings, log, minimise_seconds)
                break
            except OSError as e:
                stats.errors += 1
                log("seed %d: %r (servers alive: %s)" % (s, e, pair.alive()))
                if stats.errors >= 3:
                    raise
                break
            stats.fuzz_seconds += time.monotonic() - t0
            stats.commands += pair.commands - c0
            if diff is None:
                break
            # go on without the step that differed, so one difference does not hide the rest
            steps = steps[:diff.index] + steps[diff.index + 1:]
    stats.seconds = time.monotonic() - start
    return list(findings.values()), stats


def _crash(pair, who, s, start, end, findings, log, minimise_seconds):
    """A server died during pair.last: restart it, minimise what kills it, file that."""
    steps, found_at = pair.last, time.monotonic() - start
    if pair.revive is None:
        raise ServerDied(who, "seed %d" % s)
    note = "%s: %s" % (who, pair.revive_servers())

    def kills(cand):
        try:
            pair.reset()
            pair.run(cand)
            pair.reset()
            return False
        except ServerDied:
            pair.revive_servers()
            return True

    if not kills(steps):
        log("seed %d: %s died, and not again on a replay (flaky)" % (s, who))
        return
    small, _ = minimise(pair, steps, min(minimise_seconds * 3, max(30.0, end - time.monotonic())),
                        fails=kills)
    sig = signature(small, None)
    if sig in findings:
        findings[sig].count += 1
        return
    f = findings[sig] = Finding(sig, small, None, s, found_at, time.monotonic() - start, note)
    log(f.report())


def _file(pair, steps, diff, s, start, end, findings, points, stats, rng, log, minimise_seconds):
    """Confirm, minimise and file one difference (or count it as a repeat)."""
    found_at = time.monotonic() - start
    p = point(diff)
    if points.get(p, 0) >= 3 and rng.random() > 0.15:
        stats.skipped += 1
        return
    pair.reset()
    if pair.run(steps) is None:
        stats.flaky += 1
        log("seed %d: a difference that did not come back (flaky)" % s)
        return
    points[p] = points.get(p, 0) + 1
    small, d = minimise(pair, steps, min(minimise_seconds, max(5.0, end - time.monotonic())))
    if d is None:
        stats.flaky += 1
        return
    sig = signature(small, d)
    if sig in findings:
        findings[sig].count += 1
        return
    f = findings[sig] = Finding(sig, small, d, s, found_at, time.monotonic() - start)
    log(f.report())


class _Dirs:
    """tmp_path_factory's mktemp, for starting servers outside pytest."""

    def __init__(self, root):
        self.root = root

    def mktemp(self, name):
        from pathlib import Path
        return Path(tempfile.mkdtemp(prefix=name, dir=self.root))


def _accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


class Servers:
    """A reference Redis and mako_numba (or a twin Redis), started like conftest's
    start_redis / start_mako; revive() restarts whichever has died.

    The mako_numba it starts imports this checkout's package (PYTHONPATH), as
    the tests' servers do.
    """

    def __init__(self, factory=None, twin=False):
        from conftest import ROOT
        os.environ["PYTHONPATH"] = os.pathsep.join([ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p])
        self.factory = factory or _Dirs(tempfile.mkdtemp(prefix="difffuzz-"))
        self.twin = twin
        self.ref = self._start(True)
        try:
            self.other = self._start(twin)
        except Exception:
            self.ref.stop()
            raise

    def _start(self, redis):
        from conftest import start_mako, start_redis
        if redis:
            return start_redis(self.factory, *REDIS_OPTS)
        return start_mako(self.factory, "--save", "")

    def ports(self):
        return self.ref.port, self.other.port

    def revive(self):
        text = []
        for attr, redis in (("ref", True), ("other", self.twin)):
            proc = getattr(self, attr)
            if _accepts(proc.port):
                continue
            try:
                proc.popen.wait(5)          # dying: let it finish its last words
            except subprocess.TimeoutExpired:
                proc.stop()                 # alive but deaf: a hang, also worth a report
            lines = [x for x in proc.log().splitlines() if x.strip()]
            text.append(" | ".join(lines[-3:]))
            setattr(self, attr, self._start(redis))
        return self.ref.port, self.other.port, " / ".join(text) or "(still running)"

    def stop(self):
        self.other.stop()
        self.ref.stop()


def seed_from_env(default=None):
    v = os.environ.get("MAKO_DIFFFUZZ_SEED")
    return int(v) if v else (default if default is not None else int.from_bytes(os.urandom(3), "big"))
