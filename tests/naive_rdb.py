"""Slow, plainly written references for the RDB codec's kernels and reader.

- `crc64_ref`: Redis's CRC-64 a bit at a time (src/crc64.c's crc64 before crcspeed).
- `lzf_compress_ref` / `lzf_decompress_ref`: liblzf 3.6 (Redis's build: HLOG 16,
  VERY_FAST) with the hash table as a dict, output built run by run.
- `ref_records(data)`: an RDB walker for string-only files that also returns
  each key's record bytes as they sit in the file.
- `ziplist(strings)` / `zipmap(pairs)`: the hash encodings of Redis 3.2 .. 6.2 and
  2.x, as their ziplist.c / zipmap.c built them (Redis 7.0 only reads them).
"""
import struct

POLY = 0xAD93D23594C935A9


def _reflect64(x):
    return int(format(x, "064b")[::-1], 2)


def crc64_ref(data, crc=0):
    """Bit by bit, reflected input and output, as Redis's _crc64 does it."""
    poly = _reflect64(POLY)
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


# --- LZF ---------------------------------------------------------------------------
def _slot(data, i):
    h = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]
    return ((h >> 8) - h * 5) & 0xFFFF


def _match_len(data, ref, ip, maxlen):
    """How many bytes liblzf's match loop claims (its first 16 compares are unrolled,
    which lets a match run past maxlen by up to 2 when maxlen is 17)."""
    k = 3
    if maxlen > 16:
        while k <= 18:
            if data[ref + k] != data[ip + k]:
                return k
            k += 1
    while k < maxlen and data[ref + k] == data[ip + k]:
        k += 1
    return k


def lzf_compress_ref(data, out_limit):
    """bytes, or None when liblzf would give up (output above out_limit)."""
    n = len(data)
    if n == 0:
        return b""
    if out_limit == 0:
        return None
    out = bytearray()
    lits = bytearray()          # the open literal run (its header is not in out yet)
    table = {}

    def op():                   # liblzf's output pointer: out + run header + literals
        return len(out) + 1 + len(lits)

    ip = 0
    while ip < n - 2:
        slot = _slot(data, ip)
        ref = table.get(slot)
        table[slot] = ip
        if (ref is not None and ref > 0 and ip - ref - 1 < 8192
                and data[ref:ref + 3] == data[ip:ip + 3]):
            if op() - (0 if lits else 1) + 4 >= out_limit:
                return None
            if lits:
                out += bytes([len(lits) - 1]) + lits
                lits = bytearray()
            matched = _match_len(data, ref, ip, min(n - ip - 2, 264))
            off = ip - ref - 1
            length = matched - 2
            if length < 7:
                out += bytes([(off >> 8) + (length << 5), off & 0xFF])
            else:
                out += bytes([(off >> 8) + (7 << 5), length - 7, off & 0xFF])
            ip += matched
            if ip >= n - 2:
                break
            for j in (ip - 2, ip - 1):
                table[_slot(data, j)] = j
        else:
            if op() >= out_limit:
                return None
            lits.append(data[ip])
            ip += 1
            if len(lits) == 32:
                out += bytes([31]) + lits
                lits = bytearray()
    if op() + 3 > out_limit:
        return None
    for b in data[ip:]:
        lits.append(b)
        if len(lits) == 32:
            out += bytes([31]) + lits
            lits = bytearray()
    if lits:
        out += bytes([len(lits) - 1]) + lits
    return bytes(out)


def lzf_decompress_ref(data, out_len):
    """(bytes, 0) or (None, -1 output too small / -2 corrupt)."""
    out = bytearray()
    i = 0
    while i < len(data):
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            run = data[i:i + ctrl + 1]
            if len(out) + ctrl + 1 > out_len:
                return None, -1
            if len(run) < ctrl + 1:
                return None, -2
            out += run
            i += ctrl + 1
        else:
            length = ctrl >> 5
            if i >= len(data):
                return None, -2
            if length == 7:
                length += data[i]
                i += 1
                if i >= len(data):
                    return None, -2
            back = ((ctrl & 0x1F) << 8) + data[i] + 1
            i += 1
            if len(out) + length + 2 > out_len:
                return None, -1
            if back > len(out):
                return None, -2
            for _ in range(length + 2):
                out.append(out[-back])
    return bytes(out), 0


# --- RDB -----------------------------------------------------------------------------
class _Cursor:
    def __init__(self, data, pos):
        self.data = data
        self.pos = pos

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("truncated at %d" % self.pos)
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def length(self):
        """(value, is_encoded)"""
        b = self.take(1)[0]
        if b >> 6 == 0:
            return b & 0x3F, False
        if b >> 6 == 1:
            return ((b & 0x3F) << 8) | self.take(1)[0], False
        if b >> 6 == 3:
            return b & 0x3F, True
        if b == 0x80:
            return int.from_bytes(self.take(4), "big"), False
        if b == 0x81:
            return int.from_bytes(self.take(8), "big"), False
        raise ValueError("bad length byte %#x" % b)

    def string(self):
        n, encoded = self.length()
        if not encoded:
            return self.take(n)
        if n in (0, 1, 2):
            return b"%d" % int.from_bytes(self.take(1 << n), "little", signed=True)
        assert n == 3, n
        clen, _ = self.length()
        ulen, _ = self.length()
        value, status = lzf_decompress_ref(self.take(clen), ulen)
        assert status == 0 and len(value) == ulen
        return value


def ref_records(data):
    """(version, aux, [(db, key, value, expire_ms, record bytes)]) of a string-only RDB file."""
    assert data[:5] == b"REDIS"
    version = int(data[5:9])
    c = _Cursor(data, 9)
    aux, records = {}, []
    db, expire, start = 0, -1, None
    while True:
        at = c.pos
        op = c.take(1)[0]
        if op == 0xFF:
            if version >= 5:
                stored = struct.unpack("<Q", c.take(8))[0]
                assert stored in (0, crc64_ref(data[:at + 1]))
            return version, aux, records
        if op == 0xFA:
            k = c.string()
            aux[k.decode()] = c.string().decode()
        elif op == 0xFE:
            db = c.length()[0]
        elif op == 0xFB:
            c.length()
            c.length()
        elif op == 0xFC:
            expire = struct.unpack("<q", c.take(8))[0]
            start = at
        elif op == 0xFD:
            expire = struct.unpack("<i", c.take(4))[0] * 1000
            start = at
        elif op == 0xF9:
            c.take(1)
        elif op == 0xF8:
            c.length()
        elif op == 0:
            key = c.string()
            value = c.string()
            records.append((db, key, value, expire, data[at if start is None else start:c.pos]))
            expire, start = -1, None
        else:
            raise ValueError("opcode %d at %d" % (op, at))


# --- the old hash encodings ----------------------------------------------------------------
def _zl_int(s):
    """zipTryEncoding: the integer a ziplist stores s as, or None."""
    if not 0 < len(s) < 32 or s[:1] not in b"-0123456789":
        return None
    try:
        v = int(s)
    except ValueError:
        return None
    return v if b"%d" % v == s and -2**63 <= v < 2**63 else None


def _zl_entry(prevlen, s):
    head = bytes((prevlen,)) if prevlen < 254 else b"\xfe" + struct.pack("<I", prevlen)
    v = _zl_int(s)
    if v is None:
        n = len(s)
        if n <= 63:
            enc = bytes((n,))
        elif n <= 16383:
            enc = bytes((0x40 | n >> 8, n & 0xFF))
        else:
            enc = b"\x80" + struct.pack(">I", n)
        return head + enc + s
    if 0 <= v <= 12:
        return head + bytes((0xF1 + v,))
    for mark, k in ((0xFE, 1), (0xC0, 2), (0xF0, 3), (0xD0, 4), (0xE0, 8)):
        if -(1 << (8 * k - 1)) <= v < 1 << (8 * k - 1):
            return head + bytes((mark,)) + v.to_bytes(k, "little", signed=True)


def ziplist(strings):
    entries, prev, tail = [], 0, 10
    for s in strings:
        e = _zl_entry(prev, s)
        tail = 10 + sum(map(len, entries))
        entries.append(e)
        prev = len(e)
    body = b"".join(entries)
    return struct.pack("<IIH", 11 + len(body), tail, min(len(strings), 65535)) + body + b"\xff"


def zipmap(pairs):
    def length(n):
        return bytes((n,)) if n < 254 else b"\xfe" + struct.pack("<I", n)
    body = b"".join(length(len(f)) + f + length(len(v)) + b"\x00" + v for f, v in pairs)
    return bytes((min(len(pairs), 254),)) + body + b"\xff"
