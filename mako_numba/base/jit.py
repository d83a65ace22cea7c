"""Numba set-up shared by every kernel: the decorator, the cache and raw views.

Rules:
- Every kernel is decorated with `kernel` (nopython; internal, entry or
  inlined as linking.py explains).  Import this
  module before any module that defines kernels: it points Numba's cache at a
  user directory keyed by a hash of the package's top-level sources.  Numba
  keys its cache on the defining file only, so a constant changed in another
  module would otherwise leave a stale kernel behind; keying the directory on
  all of them makes any edit a clean recompile.  Subpackages (the dashboard)
  hold no kernels and are left out.  NUMBA_BOUNDSCHECK is part of the key:
  a bounds-checked build (the fuzz tests') never shares the normal cache.  It also keeps the cache out of the
  package, which may be installed read-only.
- Buffers owned by Python (connection buffers, arena chunks) reach kernels as
  integer addresses in int64 tables; `u8view` / `i64view` turn an address into
  a non-owning array.  Passing numba typed Lists instead costs ~2.5 us per call
  in unboxing, more than a whole small batch.  The owner (Python) keeps the
  numpy array alive for as long as its address sits in a table.
- Bytes move with `copy_bytes` / `move_bytes` (LLVM memcpy / memmove over
  addresses); `prefetch` is a cache hint; `cycles` reads the cycle counter.
- NUMBA_DISABLE_JIT=1 still imports (kernels become plain Python over ctypes
  views) but is not a supported way to run: some kernels rely on
  fixed-width integer arithmetic.
"""
import ctypes
import hashlib
import os
import shutil
import time

import numba
import numpy as np

from mako_numba.config import settings as config
from mako_numba.base import linking


def _source_digest():
    """A digest of every module of the package: any edit gives a fresh cache directory."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    h = hashlib.sha1(numba.__version__.encode() + np.__version__.encode())
    h.update(b"boundscheck=%r" % (numba.config.BOUNDSCHECK,))
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in ("__pycache__", "dashboard")]
        files += [os.path.join(dirpath, n) for n in filenames if n.endswith(".py")]
    for path in sorted(files):
        with open(path, "rb") as f:
            h.update(os.path.relpath(path, root).encode() + b"\0" + f.read())
    return h.hexdigest()[:16]


def _prune_old_caches(base, keep):
    """Remove cache directories of other source versions unused for a month."""
    cutoff = time.time() - config.CACHE_KEEP_DAYS * 86400
    try:
        entries = os.listdir(base)
    except OSError:
        return
    for name in entries:
        path = os.path.join(base, name)
        if name != keep and len(name) == 16 and os.path.isdir(path):
            try:
                if os.path.getmtime(path) < cutoff:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass


def _configure_cache():
    base = config.cache_dir_base()
    digest = _source_digest()
    path = os.path.join(base, digest)
    try:
        os.makedirs(path, exist_ok=True)
        os.utime(path)                  # marks this version as in use
    except OSError:  # no writable home: Numba then warns and compiles each run
        return None
    _prune_old_caches(base, digest)
    numba.config.CACHE_DIR = path
    return path


CACHE_DIR = _configure_cache()
JIT_DISABLED = bool(numba.config.DISABLE_JIT)


def _one_version_per_type(disp):
    """Compile one version per argument *type*, not per constant value.

    Numba types a constant argument at a call site as a literal
    (Literal[int](6)) and compiles the callee once for each literal it sees;
    a helper called with seven error codes was compiled seven times.  Typing
    calls with the literal stripped halves the cold compile time; the
    constants are then ordinary arguments, which LLVM still folds.
    """
    original = disp.get_call_template

    def get_call_template(args, kws):
        return original(tuple(numba.types.unliteral(a) for a in args),
                        {k: numba.types.unliteral(v) for k, v in kws.items()})
    disp.get_call_template = get_call_template
    return disp


if not JIT_DISABLED:
    linking.install()


def kernel(fn=None, entry=False, inline=False, **kw):
    """`@kernel`: nopython, one compiled version per argument types.

    Internal by default (see linking.py): no wrappers, no cache of its own,
    compiled into the entry kernels that call it.  `entry=True` for what
    Python calls in the server (cached, wrapped).  `inline=True` for hot
    helpers LLVM must inline.
    """
    if fn is None:
        return lambda f: kernel(f, entry=entry, inline=inline, **kw)
    if JIT_DISABLED:
        return numba.njit(**kw)(fn)
    if inline:
        linking.always_inline(fn)

    def as_entry():
        return _one_version_per_type(numba.njit(cache=True, nogil=True, **kw)(fn))
    if entry:
        return as_entry()
    disp = numba.njit(nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **kw)(fn)
    return linking.internal(_one_version_per_type(disp), as_entry)


if JIT_DISABLED:
    def unowned(a):
        return a

    def copy_bytes(dst, src, n):
        if n > 0:
            ctypes.memmove(int(dst), int(src), int(n))

    move_bytes = copy_bytes

    def prefetch(addr):
        pass

    def cycles():
        return time.perf_counter_ns()

    def u8view(addr, n):
        if n <= 0:
            return np.zeros(0, np.uint8)
        return np.ctypeslib.as_array((ctypes.c_uint8 * int(n)).from_address(int(addr)))

    def i64view(addr, n):
        if n <= 0:
            return np.zeros(0, np.int64)
        return np.ctypeslib.as_array((ctypes.c_int64 * int(n)).from_address(int(addr)))

    def i64view2(addr, n0, n1):
        return i64view(addr, n0 * n1).reshape(n0, n1)
else:
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def _u8ptr(typingctx, addr):
        sig = types.CPointer(types.uint8)(types.int64)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(types.CPointer(types.uint8)))
        return sig, codegen

    @intrinsic
    def _i64ptr(typingctx, addr):
        sig = types.CPointer(types.int64)(types.int64)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(types.CPointer(types.int64)))
        return sig, codegen

    def _mem_intrinsic(raw):
        @intrinsic
        def mem(typingctx, dst, src, n):
            sig = types.void(types.int64, types.int64, types.int64)

            def codegen(context, builder, signature, args):
                i8p = context.get_value_type(types.CPointer(types.uint8))
                d, s, count = args
                raw(builder, builder.inttoptr(d, i8p), builder.inttoptr(s, i8p), count, 1)
                return context.get_dummy_value()
            return sig, codegen
        return mem

    from numba.core import cgutils
    _memcpy = _mem_intrinsic(cgutils.raw_memcpy)
    _memmove = _mem_intrinsic(cgutils.raw_memmove)

    @kernel(inline=True)
    def copy_bytes(dst, src, n):
        """memcpy of n bytes between raw addresses (ranges must not overlap).

        A slice assignment between two raw views compiles to a checked
        element loop (Numba cannot know the views do not overlap); this is
        LLVM's memcpy, which is what a 1 KB value needs.
        """
        if n > 0:
            _memcpy(dst, src, n)

    @kernel(inline=True)
    def move_bytes(dst, src, n):
        """memmove of n bytes between raw addresses (ranges may overlap)."""
        if n > 0:
            _memmove(dst, src, n)

    @intrinsic
    def prefetch(typingctx, addr):
        """Ask the CPU to start loading the cache line at addr (no fault, no effect on results)."""
        sig = types.void(types.int64)

        def codegen(context, builder, signature, args):
            from llvmlite import ir
            i32 = ir.IntType(32)
            ptr = builder.inttoptr(args[0], ir.IntType(8).as_pointer())
            fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
            builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
            return context.get_dummy_value()
        return sig, codegen

    @intrinsic
    def cycles(typingctx):
        """The CPU's cycle counter (x86 rdtsc, LLVM's readcyclecounter): ~25 cycles, no system call.

        Its rate is fixed on CPUs with constant_tsc; latency.ns_per_cycle()
        measures it against the clock once per process.
        """
        sig = types.int64()

        def codegen(context, builder, signature, args):
            from llvmlite import ir
            fnty = ir.FunctionType(ir.IntType(64), [])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.readcyclecounter")
            return builder.call(fn, [])
        return sig, codegen

    @kernel(inline=True)
    def u8view(addr, n):
        return numba.carray(_u8ptr(addr), (n,))

    @kernel(inline=True)
    def i64view(addr, n):
        return numba.carray(_i64ptr(addr), (n,))

    @kernel(inline=True)
    def i64view2(addr, n0, n1):
        return numba.carray(_i64ptr(addr), (n0, n1))

    @kernel(inline=True)
    def unowned(a):
        """The same memory as a C-contiguous int64 array, without its owner.

        Numba counts references to every array that passes between jitted
        functions (an atomic add on its owner, in a call that LLVM cannot
        remove); an array made from a raw address has no owner, so those
        calls return at once.  Entry kernels re-wrap their arguments with
        this; Python keeps the real arrays alive.
        """
        return numba.carray(_i64ptr(a.ctypes.data), a.shape)


def addr_of(arr):
    """The address of a numpy array's first byte (for the pointer tables)."""
    return arr.__array_interface__["data"][0]


def handles(arrays):
    """(address, rows, columns) of each array, flat: how run_batch receives arrays that never move.

    A jitted call unboxes every array argument (~0.1 us each, several times
    that cache-cold between requests); one int64 array of addresses costs
    one.  The caller keeps the arrays alive and never replaces them.
    """
    h = np.zeros(3 * len(arrays), np.int64)
    for i, a in enumerate(arrays):
        assert a.flags.c_contiguous and a.dtype in (np.int64, np.uint8) and a.ndim in (1, 2)
        h[3 * i] = addr_of(a)
        h[3 * i + 1] = a.shape[0]
        h[3 * i + 2] = a.shape[1] if a.ndim == 2 else 0
    return h
