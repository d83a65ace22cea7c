"""Kernel caches are keyed by the content of what a kernel's module imports (base/cachekey.py).

An edit recompiles only the kernels whose modules import the edited one:
checked here on a copy of the package, by editing one family's kernels and
comparing every unit's cache key before and after.
"""
import os
import shutil
import subprocess
import sys

from mako_numba.base import cachekey

KEYS = ("import sys, json; sys.path.insert(0, sys.argv[1]); from mako_numba.base import cachekey; "
        "from mako_numba.engine import kernels; "
        "mods = ['mako_numba.engine.batch', 'mako_numba.store.evict'] + [m for f, m in kernels.entries()]; "
        "print(json.dumps({m: cachekey.digest(m) for m in mods}))")


def test_closure_follows_imports_and_stays_inside_its_family():
    deps = cachekey.closure("mako_numba.commands.bitops.entry")
    for needed in ("mako_numba.commands.bitops.family", "mako_numba.commands.bitops.kernels",
                   "mako_numba.commands.frame", "mako_numba.base.layout", "mako_numba.config.settings",
                   "mako_numba.store.table", "mako_numba.commands"):
        assert needed in deps, needed
    assert not [m for m in deps if m.startswith("mako_numba.commands.string")]
    assert not [m for m in deps if m.startswith("mako_numba.server") or m.startswith("mako_numba.engine")]
    assert cachekey.digest("mako_numba.commands.bitops.entry") != cachekey.digest("mako_numba.commands.keys.entry")


def _keys(root):
    out = subprocess.run([sys.executable, "-c", KEYS, str(root)], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=""), check=True)
    import json
    return json.loads(out.stdout)


def test_an_edit_changes_only_the_keys_of_what_imports_it(tmp_path):
    shutil.copytree(os.path.dirname(cachekey.ROOT) + "/mako_numba", tmp_path / "mako_numba",
                    ignore=shutil.ignore_patterns("__pycache__"))
    before = _keys(tmp_path)
    with open(tmp_path / "mako_numba" / "commands" / "bitops" / "kernels.py", "a") as f:
        f.write("\n# an edit\n")
    after = _keys(tmp_path)
    changed = sorted(m for m in before if before[m] != after[m])
    assert changed == ["mako_numba.commands.bitops.entry"]
    with open(tmp_path / "mako_numba" / "base" / "layout.py", "a") as f:
        f.write("\n# an edit everything depends on\n")
    assert all(after[m] != v for m, v in _keys(tmp_path).items())


def test_sources_edited_after_import_are_never_cached_under_their_digest(tmp_path):
    """A process that imported the package, then saw a source change, must not store kernels
    under the new digest (they were compiled from what it imported)."""
    shutil.copytree(os.path.dirname(cachekey.ROOT) + "/mako_numba", tmp_path / "mako_numba",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = ("import sys, os, time; sys.path.insert(0, sys.argv[1]); "
              "from mako_numba.base import cachekey; "
              "m = 'mako_numba.commands.bitops.entry'; print(cachekey.edited_since_import(m)); "
              "cachekey.edited_since_import.cache_clear(); time.sleep(0.05); "
              "open(os.path.join(sys.argv[1], 'mako_numba', 'base', 'layout.py'), 'a').write('\\n# edit\\n'); "
              "print(cachekey.edited_since_import(m), cachekey.edited_since_import('mako_numba.base.humanize'))")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=""), check=True)
    assert out.stdout.split() == ["False", "True", "False"]
