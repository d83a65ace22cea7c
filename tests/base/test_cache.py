"""Kernels are cached on disk, and the cache works for a read-only install.

The package may be installed where it cannot write (a system site-packages,
a container layer).  The cache therefore always lives in a user directory
($MAKO_NUMBA_CACHE_DIR, else $XDG_CACHE_HOME/mako_numba), keyed by a digest of
the sources.  This test installs the package non-editable into a folder,
makes it read-only, and checks that a first start compiles into the user
cache and a second start loads from it.
"""
import os
import stat
import subprocess
import sys

import pytest

from conftest import ROOT

PROBE = ("import sys; sys.path.insert(0, sys.argv[1]); import mako_numba, mako_numba.server.warmup as w; "
         "assert mako_numba.__file__.startswith(sys.argv[1]), mako_numba.__file__; "
         "s, cached = w.warm_up(); print('CACHED' if cached else 'COMPILED', round(s, 2))")


def _read_only(path):
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames + dirnames:
            p = os.path.join(dirpath, name)
            os.chmod(p, os.stat(p).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    os.chmod(path, os.stat(path).st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.mark.slow
def test_read_only_install_caches_in_user_dir(tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(site), ROOT], check=True)
    _read_only(site)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    env.pop("MAKO_NUMBA_CACHE_DIR", None)
    env.pop("PYTHONPATH", None)
    try:
        first = subprocess.run([sys.executable, "-c", PROBE, str(site)], env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=600)
        assert first.returncode == 0, first.stderr
        assert first.stdout.startswith("COMPILED")
        second = subprocess.run([sys.executable, "-c", PROBE, str(site)], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=600)
        assert second.returncode == 0, second.stderr
        assert second.stdout.startswith("CACHED")
        cache_root = tmp_path / "xdg" / "mako_numba"
        assert any(f.endswith(".nbi") for _, _, files in os.walk(cache_root) for f in files)
        # nothing was written next to the installed package
        assert not any("__pycache__" not in d and f.endswith((".nbi", ".nbc"))
                       for d, _, files in os.walk(site) for f in files)
    finally:
        for dirpath, dirnames, filenames in os.walk(site):
            os.chmod(dirpath, 0o755)
