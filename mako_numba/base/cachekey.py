"""Where a compiled kernel is cached, keyed by the content of what it was compiled from.

A cached kernel holds the machine code of everything it calls, and the
constants of every module it reads, so it is stale as soon as any module
it depends on changes.  Numba keys its cache on the defining file alone;
here each entry kernel's cache directory is named by a digest of its
module's *import closure*: the source of that module and of every module of
the package it imports, directly or not (found by reading the import
statements, not by importing).  So:
- editing a module recompiles only the kernels whose modules import it
  (a family's edit recompiles that family; an edit of base/layout.py,
  which everything imports, recompiles everything);
- the key is content, not paths or modification times: a copy of the cache
  made elsewhere (an image, a wheel) is valid wherever the sources are the
  same;
- the Numba and NumPy versions, the Python version and NUMBA_BOUNDSCHECK
  are part of the key (a bounds-checked build never shares the normal one);
  the CPU is part of Numba's own index key (CPU name and features), so a
  cache made on another machine is never loaded wrongly: it is a miss and
  is compiled again.

Rules:
- A kernel may only depend on what its module imports (a module-level
  import of a package module, absolute: `from mako_numba.x import y`).
  Kernels reach other kernels and constants only through such imports, so
  the closure is sound.
- Directories not used for CACHE_KEEP_DAYS are pruned.
- A built wheel ships prepared kernels in the package (`_kernels/`, made by
  `./dev wheel` for a generic x86-64 CPU, so they run on any).  When they
  are there, kernels are compiled for that generic CPU too, and `install`
  copies each shipped directory the user cache lacks into it: a first start
  then loads instead of compiling, wherever the sources and versions match
  (a mismatch is simply a miss, and that kernel compiles).
"""
import functools
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time

import numba
import numpy as np
from numba.core import caching

PACKAGE = "mako_numba"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # the package directory
SHIPPED = os.path.join(ROOT, "_kernels")        # prepared kernels a wheel carries (./dev wheel)


def module_path(name):
    """The source file of package module `name`, or None if it is not one."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    rel = name.split(".")[1:]
    base = os.path.join(ROOT, *rel)
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(path):
            return path
    return None


_FROM = re.compile(r"^from[ \t]+(%s(?:\.\w+)*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)" % PACKAGE, re.M)
_IMPORT = re.compile(r"^import[ \t]+([^\n]*)", re.M)


@functools.lru_cache(maxsize=None)
def _direct_imports(name):
    """The package modules `name` imports at module level (and its parent packages).

    Read with two patterns over the lines that start at column 0 (an import
    inside a function is no kernel's dependency): a full parse of ~70
    modules would cost a warm start a tenth of a second.
    """
    with open(module_path(name), encoding="utf-8") as f:
        text = f.read()
    found = set()
    parts = name.split(".")
    for i in range(2, len(parts)):
        found.add(".".join(parts[:i]))          # importing a.b.c runs a/__init__ and a/b/__init__
    for module, names in _FROM.findall(text):
        found.add(module)
        for item in re.sub(r"#[^\n]*", "", names).strip("()").split(","):
            item = item.split(" as ")[0].strip()
            if item:
                found.add(module + "." + item)
    for names in _IMPORT.findall(text):
        found.update(item.split(" as ")[0].strip() for item in names.split("#")[0].split(","))
    return frozenset(m for m in found if module_path(m) is not None and m != name)


@functools.lru_cache(maxsize=None)
def closure(name):
    """`name` and every package module it imports, directly or not, sorted."""
    seen, todo = {name}, [name]
    while todo:
        for dep in _direct_imports(todo.pop()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return tuple(sorted(seen))


@functools.lru_cache(maxsize=None)
def digest(name):
    """A digest of everything a kernel of module `name` is compiled from."""
    h = hashlib.sha256()
    h.update(("numba %s numpy %s python %s boundscheck %r opt %r" % (
        numba.__version__, np.__version__, sys.version_info[:2], numba.config.BOUNDSCHECK,
        numba.config.OPT)).encode())
    for dep in closure(name):
        with open(module_path(dep), "rb") as f:
            h.update(dep.encode() + b"\0" + f.read() + b"\0")
    return h.hexdigest()[:20]


_IMPORTED_AT = time.time()     # before any kernel module: the sources this process runs are older


@functools.lru_cache(maxsize=None)
def edited_since_import(name):
    """Did a source in `name`'s closure change after this process loaded the package?  Then
    the digest (read from the files now) may not be what was imported and compiled, and a
    kernel cached under it would carry the old code: an edit made while a server or a test
    run was starting once left such a kernel in the cache, and it crashed later runs."""
    for dep in closure(name):
        try:
            if os.stat(module_path(dep)).st_mtime > _IMPORTED_AT:
                return True
        except OSError:
            return True
    return False


class ContentLocator(caching._CacheLocator):
    """Numba cache locator: BASE/<module>-<closure digest>/, stamped with the digest.

    A module whose sources changed after this process imported them is cached in a
    directory of this process's own (under the system's temporary directory), never in
    BASE."""

    base = None             # set by install()

    def __init__(self, py_func):
        self._name = py_func.__module__
        self._digest = digest(self._name)
        self._lineno = py_func.__code__.co_firstlineno
        base = self.base
        if edited_since_import(self._name):
            base = os.path.join(tempfile.gettempdir(), "mako_numba-edited-%d" % os.getpid())
        self._path = os.path.join(base, "%s-%s" % (self._name[len(PACKAGE) + 1:], self._digest))

    def get_cache_path(self):
        return self._path

    def get_source_stamp(self):
        return self._digest

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if cls.base is None or module_path(getattr(py_func, "__module__", "") or "") is None:
            return None
        self = cls(py_func)
        try:
            self.ensure_cache_path()
            os.utime(self._path)            # marks this version as in use (pruning)
        except OSError:
            return None                     # not writable: Numba tries its other locators
        return self


def install(base):
    """Cache every package kernel under `base`, seeded with the shipped kernels if there are any."""
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        return None
    if os.path.isdir(SHIPPED):
        use_generic_cpu()
        _seed(base)
    ContentLocator.base = base
    if ContentLocator not in caching.CacheImpl._locator_classes:
        caching.CacheImpl._locator_classes.insert(0, ContentLocator)
    return base


def use_generic_cpu():
    """Compile for a generic x86-64 CPU (the shipped kernels' target), unless the user chose one."""
    if "NUMBA_CPU_NAME" not in os.environ:
        numba.config.CPU_NAME = "generic"
        numba.config.CPU_FEATURES = ""


def _seed(base):
    """Copy each shipped kernel directory the user cache lacks (named by the same digests)."""
    for name in os.listdir(SHIPPED):
        dest = os.path.join(base, name)
        if not os.path.exists(dest):
            tmp = dest + ".tmp%d" % os.getpid()
            try:
                shutil.copytree(os.path.join(SHIPPED, name), tmp)
                os.utime(tmp)                       # in use from now (copytree keeps the wheel's
                                                    # times, which `prune` would find too old)
                os.replace(tmp, dest)               # whole or not at all (another process may race)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)


def prune(base, keep_days):
    """Remove cache directories not used for keep_days (other source versions)."""
    cutoff = time.time() - keep_days * 86400
    try:
        entries = os.listdir(base)
    except OSError:
        return
    for name in entries:
        path = os.path.join(base, name)
        try:
            if os.path.isdir(path) and os.path.getmtime(path) < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass
