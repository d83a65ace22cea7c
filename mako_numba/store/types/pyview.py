"""Hash and set values read from Python: the slow path's view of blob.py and intset.py bytes.

OBJECT ENCODING, DEBUG OBJECT, MEMORY USAGE and the slow-path commands get a
key's value bytes (Core.key_info); these functions decode them.  Kernels
never use this module.
"""
import struct

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
