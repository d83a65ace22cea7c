"""Adversarial argument atoms, drawn from one random.Random.

`Atoms(rng)` hands out the pieces every command family builds its argument
vectors from: keys from a small key space (so commands meet each other's
keys), values (sometimes 16-70 KiB, sometimes binary), edge integers in
every spelling (signs, underscores, spaces, leading zeros, overflow),
floats (inf, nan, exponents), option words in random case, junk words and
bytes 0-255.  Everything returned is bytes.
"""
KEYS = [b"a", b"b", b"c", b"v", b"k:1", b"{t}x", b"\xffk", b"empty", b"n"]
INTS = [b"0", b"1", b"-1", b"2", b"10", b"100", b"15", b"16", b"255", b"256", b"4096",
        b"65535", b"2147483647", b"2147483648", b"-2147483648", b"-2147483649",
        b"4294967295", b"4294967296", b"9223372036854775807", b"-9223372036854775808",
        b"9223372036854775808", b"-9223372036854775809", b"18446744073709551615",
        b"99999999999999999999", b"1_0", b"1_000", b"_1", b"1_", b"+1", b"+0", b"-0",
        b"01", b"007", b"00", b" 1", b"1 ", b"\t1", b"1\r", b"1\n", b"", b"1.0", b"1e3",
        b"0x10", b"1a", b"-", b"+", b"--1", b"\xef\xbc\x91", b"1\x00", b"536870912",
        b"536870913", b"1048576", b"3600"]
FLOATS = [b"0", b"1.5", b"-1.5", b"0.1", b"1e3", b"1E-3", b"-0.0", b"inf", b"-inf", b"+inf",
          b"Inf", b"INFINITY", b"nan", b"NaN", b"-nan", b"1e308", b"1e309", b"-1e309",
          b"5e-324", b"1.", b".5", b"1_0.5", b" 1.5", b"1.5 ", b"0x1p3", b"1e", b"e1",
          b"3.0000000000000001", b"10.50", b"1.7976931348623157e308", b"", b"abc"]
WORDS = [b"NX", b"XX", b"GT", b"LT", b"EX", b"PX", b"EXAT", b"PXAT", b"KEEPTTL", b"GET",
         b"PERSIST", b"MATCH", b"COUNT", b"TYPE", b"REPLACE", b"DB", b"ASYNC", b"SYNC",
         b"BYTE", b"BIT", b"LEN", b"IDX", b"MINMATCHLEN", b"WITHMATCHLEN", b"AUTH",
         b"SETNAME", b"ID", b"ADDR", b"LADDR", b"SKIPME", b"USER", b"HELP", b"string",
         b"none", b"yes", b"no", b"on", b"off"]
BINARY = [b"", b" ", b"a b", b"\x00", b"\x00\x01\x02", b"\r\n", b"x\r\n", b"\r", b"\n",
          b'"', b"'", b"\\", b"\\x41", b"\xff\xfe", b"\xc3\xa9", b"\x80abc", b"caf\xe9",
          b"*1\r\n$4\r\nPING\r\n", b"$-1", b"\t", b"\x7f"]
TIMES_REL = [b"0", b"-1", b"-100", b"100000", b"3600000", b"9223372036854775807",
             b"9223372036854775", b"9223372036854776", b"1_000", b"abc", b""]
TIMES_ABS = [b"1", b"1000000000", b"4102444800", b"4102444800000", b"0", b"-1",
             b"9223372036854775807", b"17179869184000"]


class Atoms:
    def __init__(self, rng):
        self.rng = rng

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(seq)

    def case(self, word):
        """An option word in random case."""
        r = self.rng.random()
        if r < 0.5:
            return word.upper()
        if r < 0.75:
            return word.lower()
        return bytes(c ^ 0x20 if 0x61 <= (c | 0x20) <= 0x7a and self.chance(0.5) else c
                     for c in word)

    def key(self):
        return self.pick(KEYS) if self.chance(0.97) else self.binary()

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.rng.randint(lo, hi))]

    def int(self):
        r = self.rng.random()
        if r < 0.35:
            return b"%d" % self.rng.randint(-5, 20)
        if r < 0.9:
            return self.pick(INTS)
        return b"%d" % self.rng.randint(-2**64, 2**64)

    def float(self):
        r = self.rng.random()
        if r < 0.3:
            return b"%g" % (self.rng.randint(-1000, 1000) / 8)
        if r < 0.85:
            return self.pick(FLOATS)
        return self.int()

    def offset(self):
        """An int() that never asks for a huge allocation (SETBIT/SETRANGE offsets)."""
        v = self.int()
        try:
            n = int(v)
        except ValueError:
            return v
        return b"100000" if 2**20 < n < 2**33 else v

    def number(self):
        return self.int() if self.chance(0.7) else self.float()

    def value(self):
        r = self.rng.random()
        if r < 0.3:
            return self.int()
        if r < 0.45:
            return self.float()
        if r < 0.6:
            return self.binary()
        if r < 0.66:
            return self.big()
        return self.pick([b"1", b"hello", b"x", b"abc", b"", b"foobar", b"10"])

    def big(self):
        """A value of 16-70 KiB (replies larger than one output buffer)."""
        n = self.rng.randint(16 * 1024, 70 * 1024)
        return bytes([self.rng.randint(0x61, 0x7a)]) * n

    def binary(self):
        r = self.rng.random()
        if r < 0.6:
            return self.pick(BINARY)
        n = self.rng.randint(0, 8)
        return bytes(self.rng.randint(0, 255) for _ in range(n))

    def junk(self):
        r = self.rng.random()
        if r < 0.4:
            return self.case(self.pick(WORDS))
        if r < 0.7:
            return self.number()
        return self.binary()

    def ttl_rel(self):
        if self.chance(0.9):
            return self.pick(TIMES_REL)
        v = self.int()
        if v.isdigit() and 0 < int(v) < 5000:
            # a few ms (or s) would expire between two steps by the clock, not by a command:
            # which server sees it gone then depends on speed (expire_soon sleeps on purpose)
            return b"100000"
        return v

    def ttl_abs(self):
        return self.pick(TIMES_ABS) if self.chance(0.9) else self.int()

    def db(self):
        return self.pick([b"0", b"1", b"2", b"1", b"0"]) if self.chance(0.85) else self.int()

    def pattern(self):
        return self.pick([b"*", b"a*", b"?", b"[a-c]", b"k:*", b"*x", b"[^a]*", b"\\*", b"",
                          b"[", b"{t}*", b"*\xff*", b"[z-a]"])
