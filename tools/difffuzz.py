"""Long runs of the differential fuzzer (tests/difffuzz) against a real Redis.

    .venv/bin/python tools/difffuzz.py --seconds 600 --seed 7
    .venv/bin/python tools/difffuzz.py --ref-port 6379 --mako-port 6380   # servers already up
    .venv/bin/python tools/difffuzz.py --twin --seconds 60     # Redis against Redis: must find nothing

Starts redis-server (--save '' --appendonly no --enable-debug-command yes)
and mako_numba on free ports unless ports are given, fuzzes for --seconds,
prints every distinct minimised finding as it is found, then the
throughput and the list of findings.  Exit status 1 if anything differed.
"""
import argparse
import os
import signal
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from difffuzz.driver import Pair                      # noqa: E402
from difffuzz.runner import Servers, fuzz, grouped, seed_from_env  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--minimise-seconds", type=float, default=60)
    ap.add_argument("--twin", action="store_true",
                    help="a second redis-server in mako_numba's place (checks the normalising)")
    ap.add_argument("--ref-port", type=int)
    ap.add_argument("--mako-port", type=int)
    a = ap.parse_args(argv)
    seed = a.seed if a.seed is not None else seed_from_env()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # stop the servers on the way out
    procs = None
    if a.ref_port and a.mako_port:
        ports, revive = (a.ref_port, a.mako_port), None
    else:
        procs = Servers(twin=a.twin)
        ports, revive = procs.ports(), procs.revive
    print("difffuzz: seed %d, %.0f s, redis on %d, mako_numba on %d" % (seed, a.seconds, *ports),
          flush=True)
    try:
        pair = Pair(*ports, revive=revive)
        findings, stats = fuzz(pair, a.seconds, seed, log=lambda s: print(s, flush=True),
                               minimise_seconds=a.minimise_seconds)
        pair.close()
    finally:
        if procs:
            procs.stop()
    print("\n" + stats.line())
    print("%d distinct finding(s), by where they differ (found after, signature):" % len(findings))
    print("\n".join(grouped(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
