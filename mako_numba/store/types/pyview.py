"""Hash and set values read from Python: the slow path's view of blob.py and intset.py bytes.

OBJECT ENCODING, DEBUG OBJECT, MEMORY USAGE and the slow-path commands get a
key's value bytes (Core.key_info); these functions decode them.  Kernels
never use this module.  `listpack` builds the bytes Redis's listpack.c would
hold for the same entries (DEBUG OBJECT's serializedlength of a listpack).
"""
import struct

from mako_numba.base.cnum import string2ll

KIND_COMPACT = 16
KIND_TABLE = 17
HDR = 28


def is_intset(value):
    return len(value) >= 8 and struct.unpack_from("<I", value)[0] in (2, 4, 8)


def intset_members(value):
    enc, n = struct.unpack_from("<II", value)
    fmt = {2: "h", 4: "i", 8: "q"}[enc]
    return list(struct.unpack_from("<%d%s" % (n, fmt), value, 8))


def kind(value):
    return struct.unpack_from("<I", value)[0]


def _entries(value, pairs):
    """The live entries of a blob, in its order: [member] or [(field, value)]."""
    k, count, used, ecap, log, fill, dead = struct.unpack_from("<7I", value)
    area = value[HDR:HDR + used]

    def read(off):
        n = area[off]
        if n < 128:
            return area[off + 1:off + 1 + n], off + 1 + n
        n = struct.unpack_from("<I", area, off + 1)[0]
        return area[off + 5:off + 5 + n], off + 5 + n

    live = None
    if k == KIND_TABLE:
        slots = struct.unpack_from("<%dq" % (1 << log), value, HDR + ecap)
        live = {(s & 0xFFFFFFFF) - 1 for s in slots if s != 0 and s & 0xFFFFFFFF != 0xFFFFFFFF}
    out = []
    off = 0
    while off < used:
        start = off
        a, off = read(off)
        if pairs:
            b, off = read(off)
        if live is None or start in live:
            out.append((bytes(a), bytes(b)) if pairs else bytes(a))
    return out


def hash_items(value):
    """[(field, value)] of a hash value, in its order."""
    return _entries(value, True)


def set_members(value):
    """[member bytes] of a set value, in its order (an intset's sorted)."""
    if is_intset(value):
        return [str(v).encode() for v in intset_members(value)]
    return _entries(value, False)


# --- Redis's listpack bytes (listpack.c lpAppend), for serializedlength -----------------
def _lp_entry(s):
    """One listpack entry: its encoding (integer when the string is one, lpStringToInt64) and
    back-length."""
    v = string2ll(s) if len(s) <= 20 else None
    if v is not None:
        if 0 <= v <= 127:
            body = bytes([v])
        elif -4096 <= v <= 4095:
            u = v & 0x1FFF
            body = bytes([0xC0 | (u >> 8), u & 0xFF])
        elif -32768 <= v <= 32767:
            body = b"\xf1" + struct.pack("<h", v)
        elif -(1 << 23) <= v < (1 << 23):
            body = b"\xf2" + (v & 0xFFFFFF).to_bytes(3, "little")
        elif -(1 << 31) <= v < (1 << 31):
            body = b"\xf3" + struct.pack("<i", v)
        else:
            body = b"\xf4" + struct.pack("<q", v)
    else:
        n = len(s)
        if n < 64:
            body = bytes([0x80 | n]) + s
        elif n < 4096:
            body = bytes([0xE0 | (n >> 8), n & 0xFF]) + s
        else:
            body = b"\xf0" + struct.pack("<I", n) + s
    return body + _backlen(len(body))


def _backlen(n):
    """lpEncodeBacklen: the high 7-bit group first, every later one flagged with 128."""
    if n <= 127:
        return bytes([n])
    parts = []
    while n:
        parts.append(n & 127)
        n >>= 7
    parts.reverse()
    return bytes([parts[0]] + [p | 128 for p in parts[1:]])


def listpack(strings):
    """The listpack Redis builds by appending these strings."""
    body = b"".join(_lp_entry(s) for s in strings)
    total = 6 + len(body) + 1
    n = len(strings)
    return struct.pack("<IH", total, n if n < 65535 else 65535) + body + b"\xff"
