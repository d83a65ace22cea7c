"""The C library's socket calls, callable from kernels: recv, send, epoll_wait and errno.

Why: at one request per round trip (50 clients, P=1) a request costs two
system calls and a few microseconds of Python around them (a bound method
call, a memoryview slice, an exception for EAGAIN).  netio.py's kernels
make those calls for every ready connection of a turn in one jitted call,
so the Python cost is paid per turn, not per request.

How: each function is an LLVM declaration of the C symbol, called
directly.  The symbol is resolved by name when the kernel is loaded, so
kernels calling them stay cacheable (a ctypes function pointer would be
an address baked into the code, which Numba refuses to cache).  Arguments
are int64 (file descriptors and flags are passed in 64-bit registers on
the 64-bit ABIs we run on); recv/send return ssize_t; epoll_wait's int
result is sign-extended from 32 bits.  `errno_now` reads the calling
thread's errno through glibc's `__errno_location`; `clock_us` is
clock_gettime in microseconds (CLOCK_REALTIME: time.time(); CLOCK_MONOTONIC:
time.monotonic()), through the vDSO, no system call.

Rules: only server/ imports this (the core never touches sockets).  With
NUMBA_DISABLE_JIT=1 the same names are ctypes calls, so the kernels still
run as Python.
"""
import ctypes
import errno as _errno

from mako_numba.base.jit import JIT_DISABLED

EAGAIN = _errno.EAGAIN
EWOULDBLOCK = _errno.EWOULDBLOCK
EINTR = _errno.EINTR
MSG_NOSIGNAL = 0x4000           # Linux: a peer that went away is EPIPE, not SIGPIPE
CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1

if JIT_DISABLED:
    _libc = ctypes.CDLL(None, use_errno=True)
    _c = {}
    for _name, _res in (("recv", ctypes.c_ssize_t), ("send", ctypes.c_ssize_t),
                        ("epoll_wait", ctypes.c_int)):
        _f = getattr(_libc, _name)
        _f.restype = _res
        _f.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        _c[_name] = _f

    def sys_recv(fd, addr, n, flags):
        return _c["recv"](int(fd), int(addr), int(n), int(flags))

    def sys_send(fd, addr, n, flags):
        return _c["send"](int(fd), int(addr), int(n), int(flags))

    def sys_epoll_wait(epfd, addr, maxevents, timeout_ms):
        return _c["epoll_wait"](int(epfd), int(addr), int(maxevents), int(timeout_ms))

    def errno_now():
        return ctypes.get_errno()

    def clock_us(clock_id):
        import time
        return time.clock_gettime_ns(clock_id) // 1000
else:
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    def _c_call(name, result_bits):
        """An intrinsic f(a, b, c, d) -> int64 calling the C function `name` with four int64s."""
        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            vals = [context.cast(builder, v, t, types.int64) for v, t in zip(args, signature.args)]
            fnty = ir.FunctionType(ir.IntType(result_bits), [i64] * 4)
            got = builder.call(cgutils.get_or_insert_function(builder.module, fnty, name), vals)
            return got if result_bits == 64 else builder.sext(got, i64)

        @intrinsic
        def call(typingctx, a, b, c, d):
            if all(isinstance(t, types.Integer) for t in (a, b, c, d)):
                return types.int64(a, b, c, d), codegen
        return call

    sys_recv = _c_call("recv", 64)
    sys_send = _c_call("send", 64)
    sys_epoll_wait = _c_call("epoll_wait", 32)

    @intrinsic
    def errno_now(typingctx):
        """The calling thread's errno, right after a call that returned -1."""
        def codegen(context, builder, signature, args):
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(i32.as_pointer(), [])
            where = builder.call(cgutils.get_or_insert_function(builder.module, fnty,
                                                                "__errno_location"), [])
            return builder.sext(builder.load(where), ir.IntType(64))
        return types.int64(), codegen

    @intrinsic
    def clock_us(typingctx, clock_id):
        """clock_gettime(clock_id) in microseconds."""
        if not isinstance(clock_id, types.Integer):
            return None

        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            i32 = ir.IntType(32)
            ts = cgutils.alloca_once(builder, ir.LiteralStructType([i64, i64]))
            clk = builder.trunc(context.cast(builder, args[0], signature.args[0], types.int64), i32)
            fnty = ir.FunctionType(i32, [i32, ts.type])
            builder.call(cgutils.get_or_insert_function(builder.module, fnty, "clock_gettime"), [clk, ts])
            sec = builder.load(cgutils.gep_inbounds(builder, ts, 0, 0))
            nsec = builder.load(cgutils.gep_inbounds(builder, ts, 0, 1))
            return builder.add(builder.mul(sec, i64(1_000_000)), builder.sdiv(nsec, i64(1000)))
        return types.int64(clock_id), codegen
