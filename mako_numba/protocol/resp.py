"""RESP2/RESP3 encoding for the Python slow path (kernels use replies.py).

Each function returns the bytes of one reply.  Aggregates take already
encoded elements, so nesting is plain concatenation.  Where RESP2 and RESP3
differ (null, map, set, double, verbatim string) the caller passes the
connection's protocol, and the RESP2 form is what Redis sends to a RESP2
client.
"""


def simple(s):
    return b"+" + (s.encode() if isinstance(s, str) else s) + b"\r\n"


def error(msg):
    """An error reply, as addReplyErrorFormat sends it: CR and LF trimmed from both ends of
    the text, the others turned into spaces.

    Error texts are bytes: a str (errors.py's texts with arguments decoded as latin-1, as
    the slow path decodes them) is encoded back as latin-1, so each byte a client sent is
    echoed as that byte.
    """
    raw = msg.encode("latin-1") if isinstance(msg, str) else bytes(msg)
    raw = raw.strip(b"\r\n")
    return b"-" + raw.replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n"


def integer(n):
    return b":%d\r\n" % n


def bulk(b):
    if isinstance(b, str):
        b = b.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def null(proto):
    return b"_\r\n" if proto == 3 else b"$-1\r\n"


def null_array(proto):
    return b"_\r\n" if proto == 3 else b"*-1\r\n"


def array(items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def bulk_array(words):
    """An array of bulk strings: a command as clients send it (and as the AOF logs it)."""
    return array([bulk(w) for w in words])


def map_(pairs, proto):
    """pairs: list of (encoded key, encoded value)."""
    head = b"%%%d\r\n" % len(pairs) if proto == 3 else b"*%d\r\n" % (2 * len(pairs))
    return head + b"".join(k + v for k, v in pairs)


def set_(items, proto):
    return (b"~%d\r\n" % len(items) if proto == 3 else b"*%d\r\n" % len(items)) + b"".join(items)


def verbatim(text, proto, fmt=b"txt"):
    if isinstance(text, str):
        text = text.encode()
    if proto == 3:
        return b"=%d\r\n%s:%s\r\n" % (len(text) + 4, fmt, text)
    return bulk(text)


def bulk_map(d, proto):
    """A map of str -> str/int, as CONFIG GET and HELLO send it."""
    pairs = []
    for k, v in d.items():
        pairs.append((bulk(k), integer(v) if isinstance(v, int) else bulk(v)))
    return map_(pairs, proto)
