"""How kernels are compiled and linked: one optimized module per entry kernel.

Numba compiles every jitted function into its own library and, by default,
optimizes that library at -O3 and turns it into machine code, callees
linked in.  A helper three calls deep is therefore optimized and
code-generated once for every kernel above it, and every library gets
Python and C wrappers: most of a cold start went there.  Here:

- An *internal* kernel (the default; `jit.kernel`) has no wrappers, is not
  cached, and its library stays LLVM IR: it is linked into its callers and
  never optimized or code-generated on its own.
- An *entry* kernel (`jit.kernel(entry=True)`, what Python calls every
  turn) is an ordinary cached Numba function; its library, with every
  internal kernel it reaches linked in, is optimized once at -O3.
- Python may still call an internal kernel (tests, rare paths): the call
  goes to a twin compiled as an entry on first use.
- No reference counting: Numba counts references to every array that
  passes between functions (a call per array at each use, inlined or not);
  our kernels only see arrays Python owns for the length of the call or
  views without an owner, so the counting is dead weight, a fifth of the
  compile time.  It is left out of every package kernel except those
  marked `allocates=True` (the few that make a temporary array with
  np.empty: they must free it, and they never hand it to a caller).
- `inline=True` marks a kernel `alwaysinline` for LLVM: Numba passes each
  array argument as about seven scalars, so calling a helper with the
  key-space tuples copies a kilobyte of arguments; hot helpers must not be
  calls.  (Numba-level inlining would retype the body at every call site.)

Everything here wraps four Numba methods (CPUContext.post_lowering and
get_executable, JITCodeLibrary.finalize, NRTContext._call_incref_decref);
jit.py installs it once unless
NUMBA_DISABLE_JIT is set.  It relies on Numba internals, so pyproject.toml
pins the Numba minor version it was checked against.
"""
import numba
from numba._dynfunc import make_function as _make_function
from numba.core import codegen, cpu
from numba.core.compiler_lock import require_global_compiler_lock
from numba.core.runtime import context as nrt_context

_ALWAYS_INLINE = set()      # mangled-name prefixes of kernels LLVM must inline
_INTERNAL = set()           # mangled-name prefixes of internal kernels
_REFCOUNTED = set()         # mangled-name prefixes of kernels that allocate (keep reference counting)
PACKAGE_PREFIX = "_ZN10mako_numba"      # every package function's mangled name starts so


def mangled_prefix(fn):
    """The start of Numba's mangled name for fn: _ZN<len><part>... of module.qualname."""
    parts = (fn.__module__ + "." + fn.__qualname__).split(".")
    return "_ZN" + "".join("%d%s" % (len(p), p) for p in parts)


def _matches(name, prefixes):
    for prefix in prefixes:
        if name.startswith(prefix) and name[len(prefix):len(prefix) + 1] in ("B", "E"):
            return True
    return False


def _post_lowering_hook(original):
    def post_lowering(self, mod, library):
        original(self, mod, library)
        for f in mod.functions:
            if not f.is_declaration and _matches(f.name, _ALWAYS_INLINE):
                f.attributes.add("alwaysinline")
    return post_lowering


def _ir_only(library):
    """Is this the library of an internal kernel (its function, no Python wrapper)?"""
    internal = False
    for f in library._final_module.functions:
        if f.is_declaration:
            continue
        if f.name.startswith("_ZN7cpython"):
            return False            # an entry kernel, or an internal kernel's twin
        internal = internal or _matches(f.name, _INTERNAL)
    return internal


def _finalize_hook(original):
    def finalize(self):
        self._mako_ir_only = _ir_only(self)
        if not self._mako_ir_only:
            return original(self)
        # IR only: link the callees in, nothing else; the entry kernel that
        # links this library optimizes and code-generates the whole.
        require_global_compiler_lock()
        self._raise_if_finalized()
        seen = set()
        for library in self._linking_libraries:
            if library not in seen:
                self._reload_init.update(library._reload_init)
                seen.add(library)
                self._final_module.link_in(library._get_module_for_linking(), preserve=True)
        self._finalize_dynamic_globals()
        self._finalized = True
    return finalize


def _get_executable_hook(original):
    def get_executable(self, library, fndesc, env):
        library._ensure_finalized()
        if not getattr(library, "_mako_ir_only", False):
            return original(self, library, fndesc, env)
        # no machine code: a placeholder with a null address, as Numba makes
        # for any function without a Python wrapper (never called from Python)
        return _make_function(fndesc.lookup_module(), fndesc.qualname.split(".")[-1],
                              "internal kernel %r" % (fndesc.qualname,), 0, env, (library,))
    return get_executable


def _incref_decref_hook(original):
    def call_incref_decref(self, builder, typ, value, funcname):
        name = builder.function.name
        if name.startswith(PACKAGE_PREFIX) and not _matches(name, _REFCOUNTED):
            return
        return original(self, builder, typ, value, funcname)
    return call_incref_decref


def install():
    cpu.CPUContext.post_lowering = _post_lowering_hook(cpu.CPUContext.post_lowering)
    cpu.CPUContext.get_executable = _get_executable_hook(cpu.CPUContext.get_executable)
    codegen.JITCodeLibrary.finalize = _finalize_hook(codegen.JITCodeLibrary.finalize)
    nrt_context.NRTContext._call_incref_decref = _incref_decref_hook(
        nrt_context.NRTContext._call_incref_decref)


DEMAND = []     # [demand(disp)] while kernels compile in the background (server/prepare.py)


class _EntryDispatcher(numba.core.registry.CPUDispatcher):
    """An entry kernel.  Before compiling a version in this process, it lets a
    background preparation finish the unit that holds it (DEMAND), so a
    Python call never compiles what a worker is compiling already."""

    def compile(self, sig):
        if DEMAND:
            DEMAND[0](self)
        return super().compile(sig)


def entry(disp):
    """Mark a dispatcher compiled with entry options as an entry kernel."""
    disp.__class__ = _EntryDispatcher
    return disp


class _InternalDispatcher(numba.core.registry.CPUDispatcher):
    """An internal kernel; Python calls go to an entry twin compiled on first use."""

    def __call__(self, *args, **kws):
        return entry_of(self)(*args, **kws)


def entry_of(disp):
    """What Python calls for disp: an internal kernel's entry twin (made on first use), else disp."""
    if not isinstance(disp, _InternalDispatcher):
        return disp
    twin = disp.__dict__.get("_mako_twin")
    if twin is None:
        twin = disp.__dict__["_mako_twin"] = disp._mako_make_twin()
    return twin


def internal(disp, make_twin):
    """Turn a dispatcher compiled with internal options into an internal kernel."""
    _INTERNAL.add(mangled_prefix(disp.py_func))
    disp.__class__ = _InternalDispatcher
    disp._mako_make_twin = make_twin
    return disp


def always_inline(fn):
    _ALWAYS_INLINE.add(mangled_prefix(fn))


def refcounted(fn):
    _REFCOUNTED.add(mangled_prefix(fn))
