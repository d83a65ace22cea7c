#!/usr/bin/env python3
"""Run redis-py's own test suite against mako_numba and a real Redis, side by side.

redis-py ships its tests in its source distribution.  This script downloads
the sdist of the redis-py version installed here (pip download, cached under
~/.cache/mako_numba/), starts mako_numba and a reference redis-server on free
ports (bench/servers.py), runs the selected tests against each, and prints
the tests that pass on Redis but fail on mako_numba, with the first line of
each failure.  A failure whose reason is an unknown command is a command we
do not implement yet (other data types, ACL, DUMP/RESTORE, MONITOR ...);
anything else is a difference to fix.

Usage:
  python tools/redis_py_suite.py [-k EXPR] [--all] [--timeout S]

Without -k it runs tests/test_commands.py and tests/test_pipeline.py
(`--all`: the whole suite, long).  Exit status 1 when a test that passes on
Redis fails on mako_numba for a reason other than an unknown command.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.servers import start_mako, start_redis  # noqa: E402

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                     "mako_numba", "redis-py-tests")
FAILED_RE = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$")


def suite_dir():
    """The extracted redis-py sdist matching the installed client."""
    import redis
    version = redis.__version__
    target = os.path.join(CACHE, f"redis-{version}")
    if os.path.isdir(os.path.join(target, "tests")):
        return target
    os.makedirs(CACHE, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    f"redis=={version}", "-d", CACHE, "-q"], check=True)
    archive = glob.glob(os.path.join(CACHE, f"redis-{version}.tar.gz"))[0]
    with tarfile.open(archive) as tf:
        tf.extractall(CACHE)
    return target


def run(where, port, files, kexpr, timeout):
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files,
           f"--redis-url=redis://127.0.0.1:{port}", "-rfE", "-W", "ignore", "--timeout", str(timeout),
           "--tb=no"]
    if kexpr:
        cmd += ["-k", kexpr]
    env = dict(os.environ, COLUMNS="1000")     # pytest cuts failure reasons to the terminal width
    out = subprocess.run(cmd, cwd=where, capture_output=True, text=True, env=env).stdout
    failed = {}
    summary = ""
    for line in out.splitlines():
        m = FAILED_RE.match(line)
        if m:
            failed[m.group(2)] = (m.group(3) or "").strip()
        elif " passed" in line or " failed" in line:
            summary = line.strip("= ")
    return failed, summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-k", default=None, help="pytest -k expression")
    ap.add_argument("--all", action="store_true", help="the whole suite, not just commands and pipelines")
    ap.add_argument("--timeout", type=int, default=5, help="seconds per test")
    args = ap.parse_args()
    where = suite_dir()
    files = ["tests"] if args.all else ["tests/test_commands.py", "tests/test_pipeline.py"]
    with start_redis() as ref, start_mako() as mako:
        ref_failed, ref_summary = run(where, ref.port, files, args.k, args.timeout)
        mk_failed, mk_summary = run(where, mako.port, files, args.k, args.timeout)
    print(f"redis-server: {ref_summary}")
    print(f"mako_numba:   {mk_summary}")
    ours = {t: why for t, why in mk_failed.items() if t not in ref_failed}
    missing = {t: why for t, why in ours.items() if "unknown command" in why or "unknown subcommand" in why}
    other = {t: why for t, why in ours.items() if t not in missing}
    print(f"\nfail only on mako_numba: {len(ours)} ({len(missing)} for a command not implemented yet)")
    names = sorted({re.search(r"unknown (?:sub)?command '([^']*)'", w).group(1).upper()
                    for w in missing.values() if re.search(r"unknown (?:sub)?command '([^']*)'", w)})
    print("  commands they need: " + ", ".join(names))
    print(f"\nother differences: {len(other)}")
    for t, why in sorted(other.items()):
        print(f"  {t}\n      {why[:200]}")
    return 1 if other else 0


if __name__ == "__main__":
    sys.exit(main())
