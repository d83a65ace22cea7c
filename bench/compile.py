"""`python -m bench compile`: what preparing the kernels costs, and what it grows with.

Runs `python -m mako_numba --compile-only` on a copy of the package (so
nothing here touches the tree or the user's cache) and reads the seconds
from its log:
1. cold: an empty cache, every unit compiled (a first start);
2. warm: the same cache again (every later start);
3. edit: one line added to a rarely used family's kernels (bitops), so only
   what imports it recompiles;
4. +family: a synthetic family of 30 commands (each its own kernel: a
   lookup, a little arithmetic, a reply) added to the copy's registry, with
   the cache of step 1: only the new unit compiles;
5. cold +family: the copy with the synthetic family from an empty cache,
   to compare with step 1: the growth a family of 30 commands brings;
6. first start, and first start +family: the server itself from an empty
   cache (it answers before every family is compiled): the seconds to the
   ready line, the first PONG, the first GET (the string family), the first
   SYN0 (the synthetic one) and every kernel ready.
Each step prints the wall time, the units compiled and each one's time.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from . import machine
from .servers import HOST, Server, launch_mako, wait_all_kernels, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNIT_RE = re.compile(r"Compiled the (\w+) kernels in ([\d.]+) s")
DONE_RE = re.compile(r"Kernels (compiled|loaded from cache) in ([\d.]+) s")
SYNTH_COMMANDS = 30
SYNTH_ID = 15


def compile_only(tree, cache):
    """(wall seconds, ready-line seconds, {unit: seconds}) of one --compile-only run."""
    env = dict(os.environ, MAKO_NUMBA_CACHE_DIR=cache, PYTHONPATH=tree)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "mako_numba", "--compile-only"], cwd=tree, env=env,
                         capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError("--compile-only failed:\n" + out.stdout[-2000:] + out.stderr[-2000:])
    units = {m.group(1): float(m.group(2)) for m in UNIT_RE.finditer(out.stdout)}
    done = DONE_RE.search(out.stdout)
    return wall, float(done.group(2)), units


def synthetic_family(tree, n=SYNTH_COMMANDS):
    """Add commands/synthetic/ (n commands SYN0..SYNn-1) to the copy at `tree`, registered last."""
    pkg = os.path.join(tree, "mako_numba", "commands", "synthetic")
    os.makedirs(pkg)
    open(os.path.join(pkg, "__init__.py"), "w").write('"""A synthetic family (bench/compile.py)."""\n')
    kernels = ['"""SYNi key: the length of the string at key, times i + 1, plus i."""',
               "from mako_numba.base.jit import kernel",
               "from mako_numba.commands.respond import X_DEFER, count_lookup, read_or_reply, reply_int, reserve",
               "from mako_numba.store.table import value_of",
               "from mako_numba.store.types import OBJ_STRING, WRONGTYPE", ""]
    for i in range(n):
        kernels += ["", "@kernel", f"def x_syn{i}(K, R, args, a0, stats):",
                    "    conn, c, lim, lits = R",
                    "    if not reserve(conn, c, lim, 24):",
                    "        return X_DEFER",
                    "    st, h, which, pos = read_or_reply(K, R, stats, args, a0 + 1, OBJ_STRING, 0)",
                    "    if which == WRONGTYPE:",
                    "        return st",
                    "    count_lookup(stats, which)",
                    "    n = 0 if which == 0 else value_of(K[0], which, pos)[1]",
                    f"    return reply_int(conn, c, lim, n * {i + 1} + {i})", ""]
    open(os.path.join(pkg, "kernels.py"), "w").write("\n".join(kernels))
    family = ['"""A synthetic family of %d commands (bench/compile.py)."""' % n,
              "from mako_numba.base.jit import kernel",
              "from mako_numba.commands.family import CF_READONLY, op_numbers",
              "from mako_numba.commands.respond import X_SLOW",
              "from mako_numba.commands.synthetic import kernels as k", "",
              'NAME = "synthetic"', f"ID = {SYNTH_ID}", "_op = op_numbers(ID)"]
    family += [f"OP_SYN{i} = _op()" for i in range(n)]
    family += ["ROWS = ["] + [f'    ("syn{i}", 2, OP_SYN{i}, CF_READONLY),' for i in range(n)] + ["]"]
    family += ["LITERALS = []", "", "", "@kernel(inline=True)", "def dispatch(o, K, R, args, a0, stats):"]
    for i in range(n):
        family += [f"    if o == OP_SYN{i}:", f"        return k.x_syn{i}(K, R, args, a0, stats)"]
    family += ["    return X_SLOW", "", "", "def slow_handlers(admin):", "    return {}", "", "",
               "def subcommands(admin):", "    return {}", ""]
    open(os.path.join(pkg, "family.py"), "w").write("\n".join(family))
    entry = ['"""The synthetic family\'s entry kernel."""',
             "from mako_numba.base.jit import kernel",
             "from mako_numba.commands.frame import changed, dirty, request",
             "from mako_numba.commands.propagate import as_sent",
             "from mako_numba.commands.synthetic.family import dispatch", "", "",
             "@kernel(entry=True)", "def run(h, k):",
             "    o, K, R, args, a0, argc, ci, cmdt, stats, bm, q = request(h, k)",
             "    d0 = dirty(K)", "    st = dispatch(o, K, R, args, a0, stats)",
             "    if changed(K, st, d0):", "        as_sent(K, R, args, a0, argc)", "    return st", ""]
    open(os.path.join(pkg, "entry.py"), "w").write("\n".join(entry))
    reg = os.path.join(tree, "mako_numba", "commands", "registry.py")
    src = open(reg).read()
    src = src.replace("from mako_numba.protocol import errors\n",
                      "from mako_numba.protocol import errors\n"
                      "from mako_numba.commands.synthetic import family as synthetic_family\n")
    src = src.replace("    persistence_family,\n]", "    persistence_family,\n    synthetic_family,\n]")
    open(reg, "w").write(src)


def first_start(tree, cache, synth=False):
    """{event: seconds from the spawn} of a server's first start from an empty `cache`."""
    env = dict(os.environ, MAKO_NUMBA_CACHE_DIR=cache, PYTHONPATH=tree)
    t0 = time.perf_counter()
    popen, workdir = launch_mako(env=env)
    server = Server("mako", popen, 0, workdir)
    seen = {}
    try:
        port, rest = wait_ready(popen, workdir, 1800)
        seen["ready line"] = time.perf_counter() - t0
        asks = [("PONG", b"PING\r\n"), ("GET", b"GET k\r\n")] + ([("SYN0", b"SYN0 k\r\n")] if synth else [])
        with socket.create_connection((HOST, port), timeout=1800) as s:
            for name, cmd in asks:
                s.sendall(cmd)
                s.recv(100)
                seen["first " + name] = time.perf_counter() - t0
        if "still compiling" in rest:
            wait_all_kernels(popen, workdir, 1800)
        seen["all kernels"] = time.perf_counter() - t0
    finally:
        server.stop()
    return seen


def _copy(dest):
    shutil.copytree(os.path.join(ROOT, "mako_numba"), os.path.join(dest, "mako_numba"),
                    ignore=shutil.ignore_patterns("__pycache__"))


def _show(label, res):
    wall, ready, units = res
    parts = ", ".join(f"{u} {s:.1f}" for u, s in units.items()) or "none"
    print(f"{label:<14} {wall:6.1f} s wall, kernels ready in {ready:6.2f} s; compiled: {parts}", flush=True)
    return res


def run():
    warn = machine.load_warning()
    if warn:
        print(warn, flush=True)
    work = tempfile.mkdtemp(prefix="bench-compile-")
    try:
        plain, synth = os.path.join(work, "plain"), os.path.join(work, "synth")
        _copy(plain)
        _copy(synth)
        synthetic_family(synth)
        cache, cache2 = os.path.join(work, "cache"), os.path.join(work, "cache2")
        cold = _show("cold", compile_only(plain, cache))
        _show("warm", compile_only(plain, cache))
        with open(os.path.join(plain, "mako_numba", "commands", "bitops", "kernels.py"), "a") as f:
            f.write("\n# an edit\n")
        _show("edit bitops", compile_only(plain, cache))
        plus = _show("+family", compile_only(synth, cache))
        cold2 = _show("cold +family", compile_only(synth, cache2))
        print(f"\na family of {SYNTH_COMMANDS} commands: {plus[2].get('synthetic', 0):.1f} s on its own "
              f"(nothing else recompiled: {sorted(plus[2]) == ['synthetic']}); everything compiled "
              f"{cold[1]:.1f} s -> {cold2[1]:.1f} s\n", flush=True)
        for label, tree, c, syn in (("first start", plain, "cache3", False),
                                    ("first start +family", synth, "cache4", True)):
            got = first_start(tree, os.path.join(work, c), syn)
            print(f"{label:<20} " + ", ".join(f"{k} {v:.1f} s" for k, v in got.items()), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def add_arguments(p):
    pass


def main(opts):
    return run()
