"""Prepared kernels shipped in the package (./dev wheel) seed the user's cache, and only when they fit.

A copy of the package gets `_kernels/` with one unit compiled for a generic
x86-64 CPU, as tools/build_wheel.py does for all of them.  Started with an
empty user cache, that unit is then loaded, not compiled; started with
another CPU chosen, it is a miss (Numba's index keys every entry by CPU
name and features) and compiles, never loading the generic code wrongly.
"""
import json
import os
import shutil
import subprocess
import sys

from mako_numba.base import cachekey

PROBE = ("import sys, json; sys.path.insert(0, sys.argv[1]); import mako_numba.server.prepare as p; "
         "import numba; print(json.dumps({'missing': p.missing(), 'cpu': numba.config.CPU_NAME}))")


def _run(site, env, *args):
    out = subprocess.run([sys.executable, *args], cwd=site, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_shipped_kernels_load_where_they_fit_and_compile_where_not(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(os.path.dirname(cachekey.ROOT) + "/mako_numba", site / "mako_numba",
                    ignore=shutil.ignore_patterns("__pycache__", "_kernels"))
    base = dict(os.environ, PYTHONPATH=str(site))
    for k in ("MAKO_NUMBA_CACHE_DIR", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"):
        base.pop(k, None)
    shipped = site / "mako_numba" / "_kernels"
    _run(site, dict(base, NUMBA_CPU_NAME="generic", MAKO_NUMBA_CACHE_DIR=str(shipped)),
         "-m", "mako_numba.server.prepare", "transactions")
    assert any(f.endswith(".nbi") for _, _, files in os.walk(shipped) for f in files)

    fresh = dict(base, XDG_CACHE_HOME=str(tmp_path / "user1"))
    seen = json.loads(_run(site, fresh, "-c", PROBE, str(site)))
    assert seen["cpu"] == "generic"
    assert "transactions" not in seen["missing"] and "string" in seen["missing"]
    assert (tmp_path / "user1" / "mako_numba").is_dir()         # seeded from the shipped directory

    other = dict(base, XDG_CACHE_HOME=str(tmp_path / "user2"), NUMBA_CPU_NAME="x86-64-v2")
    seen = json.loads(_run(site, other, "-c", PROBE, str(site)))
    assert seen["cpu"] == "x86-64-v2" and "transactions" in seen["missing"]
    out = _run(site, other, "-m", "mako_numba.server.prepare", "transactions")
    assert out.split()[0] == "transactions"                     # compiled for that CPU instead
    seen = json.loads(_run(site, other, "-c", PROBE, str(site)))
    assert "transactions" not in seen["missing"]
