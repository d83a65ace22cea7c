"""Helpers to drive a Core (sans-IO) or a server (raw socket) with bytes."""
import socket
import time


def roundtrip(core, slot, data, chunks=None):
    """Feed `data` (whole, or split at the given chunk size) and collect every reply byte."""
    out = bytearray()
    pieces = [data] if not chunks else [data[i:i + chunks] for i in range(0, len(data), chunks)]
    for piece in pieces:
        core.feed(slot, piece)
        again = core.run([slot])
        while again:
            again = core.run(again)
        view = core.output(slot)
        out += view
        core.sent(slot, len(view))
    return bytes(out)


def cmd_bytes(*args):
    """A command as RESP bytes (an array of bulk strings); str and int arguments are encoded."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def contents(port):
    """{(db, key): [value, pexpiretime]} of every database of the server on port."""
    import redis
    got = {}
    for db in range(16):
        r = redis.Redis(port=port, db=db)
        for key in r.scan_iter(count=1000):
            got[(db, key)] = [r.get(key), r.pexpiretime(key)]
        r.close()
    return got


def wait_info(r, field, value, section="persistence", timeout=30):
    """Poll INFO until field equals value (a background save or rewrite ends)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if str(r.info(section)[field]) == str(value):
            return
        time.sleep(0.05)
    raise AssertionError(f"{field} never became {value}: {r.info(section)}")


def raw(host, port, data, expect_close=False, timeout=2.0, want=None):
    """Send bytes on a fresh connection; read until `want` bytes, close, or a quiet spell."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        buf = bytearray()
        s.settimeout(0.3 if want is None else timeout)
        deadline = time.time() + timeout
        closed = False
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                if want is None or len(buf) >= want:
                    break
                continue
            if not chunk:
                closed = True
                break
            buf += chunk
            if want is not None and len(buf) >= want and not expect_close:
                break
        return bytes(buf), closed
