"""Anonymous memory mappings that grow without copying (Linux mremap).

A large block (a list, a string or a collection above LARGE_BLOCK) lives in a
mapping of its own.  When it grows, mremap moves the mapping's page tables to
a larger range (or extends it where it is): no byte is copied, so a value can
grow by a small step each time and carry little unused room.  Where mremap is
missing (not Linux), the mapping is replaced by a new one and the bytes are
copied, which is correct and only slower.

Rules: a Mapping owns its pages until `close()` (or the object dies); its
address changes when it grows, and the caller (store/keyspace.py) writes the
new one where the kernels look for it.  Pages are mapped lazily: untouched
room costs address space, not memory.
"""
import ctypes
import ctypes.util
import mmap

PAGE = mmap.PAGESIZE
_PROT = mmap.PROT_READ | mmap.PROT_WRITE
_FLAGS = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
_MREMAP_MAYMOVE = 1
_FAILED = ctypes.c_void_p(-1).value

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_mmap = _libc.mmap
_mmap.restype = ctypes.c_void_p
_mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                  ctypes.c_long)
_munmap = _libc.munmap
_munmap.restype = ctypes.c_int
_munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_mremap = getattr(_libc, "mremap", None)
if _mremap is not None:
    _mremap.restype = ctypes.c_void_p
    _mremap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int)


def page_round(n):
    return -(-max(int(n), 1) // PAGE) * PAGE


def _map(n):
    addr = _mmap(None, n, _PROT, _FLAGS, -1, 0)
    if addr in (None, _FAILED):
        raise MemoryError(f"mmap of {n} bytes failed (errno {ctypes.get_errno()})")
    return addr


class Mapping:
    """`nbytes` (a whole number of pages) of zeroed memory at `addr`."""

    __slots__ = ("addr", "nbytes")

    def __init__(self, size):
        self.nbytes = page_round(size)
        self.addr = _map(self.nbytes)

    def resize(self, size):
        """Make it `size` bytes (rounded up to pages), keeping the bytes both sizes hold;
        returns the new address."""
        new = page_round(size)
        if new == self.nbytes:
            return self.addr
        if _mremap is not None:
            addr = _mremap(self.addr, self.nbytes, new, _MREMAP_MAYMOVE)
            if addr in (None, _FAILED):
                raise MemoryError(f"mremap to {new} bytes failed (errno {ctypes.get_errno()})")
        else:
            addr = _map(new)
            ctypes.memmove(addr, self.addr, min(new, self.nbytes))
            _munmap(self.addr, self.nbytes)
        self.addr, self.nbytes = addr, new
        return addr

    def close(self):
        if self.addr:
            _munmap(self.addr, self.nbytes)
            self.addr = 0

    def __del__(self):
        self.close()
