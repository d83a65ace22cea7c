"""Hash and set values read from Python: the slow path's view of blob.py and intset.py bytes.

OBJECT ENCODING, DEBUG OBJECT, MEMORY USAGE and the slow-path commands get a
key's value bytes (Core.key_info); these functions decode them.  Kernels
never use this module.  `listpack` builds the bytes Redis's listpack.c holds
for the same strings (DEBUG OBJECT's serializedlength; persistence/rdbcoll.py,
the RDB reference, uses it too).
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


# --- Redis's listpack bytes, as lpAppend builds them (DEBUG OBJECT, the RDB reference) -----
def as_int(s):
    """Redis's string2ll (lpStringToInt64, isSdsRepresentableAsLongLong): the int, or None."""
    if not 0 < len(s) <= 20 or s[:1] not in b"-0123456789" or s == b"-":
        return None
    try:
        v = int(s)
    except ValueError:
        return None
    if b"%d" % v != s or not -2**63 <= v < 2**63:
        return None
    return v


def lp_backlen(n):
    """lpEncodeBacklen: 7 bits a byte, most significant first; all but that first byte have
    the top bit set (the reader walks backwards until a byte without it)."""
    k = 1 if n <= 127 else 2 if n < 16383 else 3 if n < 2097151 else 4 if n < 268435455 else 5
    return bytes(((n >> (7 * (k - 1 - j))) & 127) | (128 if j else 0) for j in range(k))


def _lp_entry(s):
    v = as_int(s)
    if v is None:
        n = len(s)
        if n < 64:
            head = bytes((0x80 | n,))
        elif n < 4096:
            head = bytes((0xE0 | n >> 8, n & 0xFF))
        else:
            head = b"\xf0" + struct.pack("<I", n)
        body = head + s
    elif 0 <= v <= 127:
        body = bytes((v,))
    elif -4096 <= v <= 4095:
        u = v & 0x1FFF
        body = bytes((0xC0 | u >> 8, u & 0xFF))
    else:
        for mark, k in ((0xF1, 2), (0xF2, 3), (0xF3, 4), (0xF4, 8)):
            if -(1 << (8 * k - 1)) <= v < 1 << (8 * k - 1):
                body = bytes((mark,)) + (v & ((1 << (8 * k)) - 1)).to_bytes(k, "little")
                break
    return body + lp_backlen(len(body))


def listpack(strings):
    """The listpack lpAppend builds from these strings, in order."""
    body = b"".join(_lp_entry(s) for s in strings) + b"\xff"
    return struct.pack("<IH", 6 + len(body), min(len(strings), 65535)) + body


# --- list values (listblob.py): a header, then listpack entries -----------------------------
LIST_HDR = 32


def lp_entries(body):
    """[(entry bytes, element bytes)] of a run of listpack entries."""
    out = []
    off = 0
    while off < len(body):
        e = body[off]
        if e < 0x80:
            size, elem = 1, b"%d" % e
        elif e & 0xC0 == 0x80:
            n = e & 0x3F
            size, elem = 1 + n, bytes(body[off + 1:off + 1 + n])
        elif e & 0xF0 == 0xE0:
            n = (e & 0xF) << 8 | body[off + 1]
            size, elem = 2 + n, bytes(body[off + 2:off + 2 + n])
        elif e == 0xF0:
            n = struct.unpack_from("<I", body, off + 1)[0]
            size, elem = 5 + n, bytes(body[off + 5:off + 5 + n])
        elif e & 0xE0 == 0xC0:
            u = (e & 0x1F) << 8 | body[off + 1]
            size, elem = 2, b"%d" % (u - 8192 if u >= 4096 else u)
        else:
            k = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[e]
            size, elem = 1 + k, b"%d" % int.from_bytes(body[off + 1:off + 1 + k], "little", signed=True)
        size += len(lp_backlen(size))
        out.append((bytes(body[off:off + size]), elem))
        off += size
    return out


def list_entries(value):
    """[(entry bytes, element bytes)] of a list value, head first."""
    head, tail, count, cap = struct.unpack_from("<4q", value)
    return lp_entries(value[LIST_HDR + head:LIST_HDR + tail])


def list_items(value):
    """[element bytes] of a list value, head first."""
    return [elem for entry, elem in list_entries(value)]


def list_value(items):
    """The value bytes of a list of these elements (listblob.py: header, then the entries)."""
    body = b"".join(_lp_entry(bytes(x)) for x in items)
    return struct.pack("<4q", 0, len(body), len(items), len(body)) + body
