"""Numba set-up shared by every kernel: the decorator, the cache and raw views.

Rules:
- Every kernel is decorated with `kernel` (nopython; internal, entry or
  inlined as linking.py explains).  Import this
  module before any module that defines kernels: it points Numba's cache at a
  user directory (never the package, which may be installed read-only), one
  subdirectory per kernel module keyed by the content of everything that
  module imports (cachekey.py): an edit recompiles only the kernels that
  depend on it.
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
import time

import numba
import numpy as np

from mako_numba.config import settings as config
from mako_numba.base import cachekey, linking


def _configure_cache():
    base = cachekey.install(config.cache_dir_base())
    if base is not None:
        cachekey.prune(base, config.CACHE_KEEP_DAYS)
    return base


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


def kernel(fn=None, entry=False, inline=False, allocates=False, **kw):
    """`@kernel`: nopython, one compiled version per argument types.

    Internal by default (see linking.py): no wrappers, no cache of its own,
    compiled into the entry kernels that call it.  `entry=True` for what
    Python calls in the server (cached, wrapped).  `inline=True` for hot
    helpers LLVM must inline.  `allocates=True` for a kernel that makes a
    temporary array (np.empty): it keeps Numba's reference counting, which
    frees it; no other kernel has any (linking.py).
    """
    if fn is None:
        return lambda f: kernel(f, entry=entry, inline=inline, allocates=allocates, **kw)
    if JIT_DISABLED:
        return numba.njit(**kw)(fn)
    if inline:
        linking.always_inline(fn)
    if allocates:
        linking.refcounted(fn)

    def as_entry():
        return linking.entry(_one_version_per_type(numba.njit(cache=True, nogil=True, **kw)(fn)))
    if entry:
        return as_entry()
    disp = numba.njit(nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **kw)(fn)
    return linking.internal(_one_version_per_type(disp), as_entry)


if JIT_DISABLED:
    _PY_ENTRIES = {}

    def unowned(a):
        return a

    def entry_address(disp, argtypes):
        _PY_ENTRIES[id(disp)] = getattr(disp, "py_func", disp)
        return id(disp)

    def call_entry(addr, a, b):
        return _PY_ENTRIES[addr](a, b)

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

    def u32uview(addr, n):
        if n <= 0:
            return np.zeros(0, np.uint32)
        return np.ctypeslib.as_array((ctypes.c_uint32 * int(n)).from_address(int(addr)))

    def i64uview(addr, n):
        return i64view(addr, n)
else:
    from numba import types
    from numba.extending import intrinsic

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

    @intrinsic
    def call_entry(typingctx, addr, a, b):
        """Call the entry kernel at `addr` (entry_address) with two int64s; its int64 result.

        How kernels compiled and cached apart call each other: the caller
        holds only an address (a table filled at start), so neither is
        compiled into the other.  An indirect call of a few nanoseconds.
        """
        sig = types.int64(types.int64, types.int64, types.int64)

        def codegen(context, builder, signature, args):
            from llvmlite import ir
            i64 = ir.IntType(64)
            fn = builder.inttoptr(args[0], ir.FunctionType(i64, [i64, i64]).as_pointer())
            return builder.call(fn, [args[1], args[2]])
        return sig, codegen

    def entry_address(disp, argtypes):
        """Compile (or load from the cache) disp for argtypes; the address of its C entry point.

        Numba gives every entry kernel a C-ABI wrapper besides its Python
        one; call_entry calls that wrapper.  The function must return int64
        and take (int64, int64).
        """
        disp.compile(argtypes)
        cres = disp.overloads[tuple(argtypes)]
        return cres.library.get_pointer_to_function(cres.fndesc.llvm_cfunc_wrapper_name)

    def _make_view(context, builder, aryty, addr, shape):
        """A C-contiguous aryty array over address addr (intp) with extents `shape`, no owner.

        Built field by field: numba.carray gives the same array but compiles
        a general shape check with it, which inlined at every use was a
        large share of the kernels' code.
        """
        from numba.np import arrayobj       # (at compile time only: a warm start never needs it)
        intp = context.get_value_type(types.intp)
        ary = arrayobj.make_array(aryty)(context, builder)
        itemsize = context.get_abi_sizeof(context.get_data_type(aryty.dtype))
        data = builder.inttoptr(addr, context.get_value_type(types.CPointer(aryty.dtype)))
        strides = [intp(itemsize)]
        for extent in reversed(shape[1:]):
            strides.insert(0, builder.mul(strides[0], extent))
        arrayobj.populate_array(ary, data=data, shape=shape, strides=strides,
                                itemsize=intp(itemsize), meminfo=None)
        return ary._getvalue()

    def _view_intrinsic(dtype, ndim, aligned=True):
        """An intrinsic view(addr, n) (ndim 1) or view(addr, n0, n1) (ndim 2) over raw memory;
        aligned=False for memory at any address (loads and stores then assume no alignment)."""
        aryty = types.Array(dtype, ndim, "C", aligned=aligned)

        def codegen(context, builder, signature, args):
            vals = [context.cast(builder, v, t, types.intp) for v, t in zip(args, signature.args)]
            return _make_view(context, builder, aryty, vals[0], vals[1:])

        if ndim == 1:
            @intrinsic
            def view(typingctx, addr, n):
                if isinstance(addr, types.Integer) and isinstance(n, types.Integer):
                    return aryty(addr, n), codegen
        else:
            @intrinsic
            def view(typingctx, addr, n0, n1):
                if all(isinstance(t, types.Integer) for t in (addr, n0, n1)):
                    return aryty(addr, n0, n1), codegen
        return view

    u8view = _view_intrinsic(types.uint8, 1)
    i64view = _view_intrinsic(types.int64, 1)
    i64view2 = _view_intrinsic(types.int64, 2)
    # over values at any byte offset (the collections' blobs, store/types/blob.py)
    u32uview = _view_intrinsic(types.uint32, 1, aligned=False)
    i64uview = _view_intrinsic(types.int64, 1, aligned=False)

    @intrinsic
    def unowned(typingctx, a):
        """The same memory as array a (C-contiguous), without its owner.

        Entry kernels re-wrap their array arguments with this, so nothing
        inside refers to Python's arrays' owners (Python keeps them alive).
        """
        if not isinstance(a, types.Array) or a.layout != "C":
            return None
        aryty = types.Array(a.dtype, a.ndim, "C")

        def codegen(context, builder, signature, args):
            from numba.np import arrayobj
            src = arrayobj.make_array(signature.args[0])(context, builder, value=args[0])
            ary = arrayobj.make_array(aryty)(context, builder)
            arrayobj.populate_array(ary, data=src.data, shape=src.shape, strides=src.strides,
                                    itemsize=src.itemsize, meminfo=None)
            return ary._getvalue()
        return aryty(a), codegen


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
