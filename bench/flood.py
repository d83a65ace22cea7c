"""Hash flooding: keys that collide under an unkeyed SipHash, against the keyed table.

An attacker who knew the table's hash could pick keys that all start their
probe at one slot, so n inserts cost O(n^2) probes.  mako_numba keys its
SipHash-1-3 with a random per-process seed (siphash.py), so keys crafted
against a known key (here the all-zero key, what an unkeyed table would
use) only collide there.  This module crafts such keys and measures:

    python -m bench.flood [--keys 2000] [--bits 12] [--rounds 5]

It starts a mako_numba (`--port 0`), loads the crafted keys and as many
random ones with pipelined SETs, then times pipelined GETs of each set,
alternating, and prints requests per second for both (the two should be
about equal; tests/store/test_flood.py checks the probe lengths structurally).
"""
import argparse
import random
import socket
import time

import numpy as np

_C = [np.uint64(x) for x in (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573)]


def _rotl(x, b):
    return (x << np.uint64(b)) | (x >> np.uint64(64 - b))


def _round(v0, v1, v2, v3):
    v0 = v0 + v1
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = v2 + v3
    v3 = _rotl(v3, 16) ^ v2
    v0 = v0 + v3
    v3 = _rotl(v3, 21) ^ v0
    v2 = v2 + v1
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def sip13_8byte(words, k0=0, k1=0):
    """SipHash-1-3 of many 8-byte keys at once (little-endian uint64 words), as uint64."""
    with np.errstate(over="ignore"):
        k0, k1 = np.uint64(k0), np.uint64(k1)
        n = len(words)
        v0 = np.full(n, k0 ^ _C[0], np.uint64)
        v1 = np.full(n, k1 ^ _C[1], np.uint64)
        v2 = np.full(n, k0 ^ _C[2], np.uint64)
        v3 = np.full(n, k1 ^ _C[3], np.uint64)
        for m in (words, np.full(n, np.uint64(8 << 56), np.uint64)):
            v3 = v3 ^ m
            v0, v1, v2, v3 = _round(v0, v1, v2, v3)
            v0 = v0 ^ m
        v2 = v2 ^ np.uint64(0xFF)
        for _ in range(3):
            v0, v1, v2, v3 = _round(v0, v1, v2, v3)
        return v0 ^ v1 ^ v2 ^ v3


def _keys(start, n):
    """8-byte ASCII keys b'f%07x' for start..start+n, as bytes rows and uint64 words."""
    i = np.arange(start, start + n, dtype=np.uint64)
    raw = np.empty((n, 8), np.uint8)
    raw[:, 0] = ord("f")
    hexd = np.frombuffer(b"0123456789abcdef", np.uint8)
    for d in range(7):
        raw[:, 7 - d] = hexd[(i >> np.uint64(4 * d)) & np.uint64(15)]
    return raw, raw.view("<u8").ravel()


def craft_keys(n, bits, batch=1 << 20):
    """n distinct 8-byte keys whose zero-key SipHash-1-3 share their top `bits` bits.

    Under the all-zero key they all start probing at one slot of any index of
    2**bits slots or fewer.
    """
    want = None
    out = []
    start = 0
    shift = np.uint64(64 - bits)
    while len(out) < n:
        raw, words = _keys(start, batch)
        top = sip13_8byte(words) >> shift
        if want is None:
            want = top[0]
        for row in raw[top == want]:
            out.append(row.tobytes())
        start += batch
    return out[:n]


def random_keys(n, seed=1):
    rng = random.Random(seed)
    return [b"r%07x" % rng.randrange(1 << 28) for _ in range(n)]


# --- the measurement ------------------------------------------------------------------
def _cmd(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _run(sock, payload, replies):
    """Send a pipeline, read until `replies` CRLF-terminated replies of known shape arrived."""
    sock.sendall(payload)
    got = b""
    need = replies
    while need > 0:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed")
        got += chunk
        need = replies - got.count(b"\r\n")
    return got


def measure(port, keys, rounds):
    """GETs of every key, pipelined 1000 at a time: requests per second (best of rounds)."""
    sock = socket.create_connection(("127.0.0.1", port))
    pipes = [b"".join(_cmd(b"GET", k) for k in keys[i:i + 1000]) for i in range(0, len(keys), 1000)]
    counts = [len(keys[i:i + 1000]) for i in range(0, len(keys), 1000)]
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        for p, c in zip(pipes, counts):
            _run(sock, p, 2 * c)            # "$1\r\nv\r\n": two CRLFs per reply
        best = max(best, len(keys) / (time.perf_counter() - t))
    sock.close()
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=2000)
    ap.add_argument("--bits", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args(argv)
    t = time.perf_counter()
    crafted = craft_keys(a.keys, a.bits)
    print("crafted %d keys colliding in their top %d bits (zero key) in %.1f s"
          % (len(crafted), a.bits, time.perf_counter() - t))
    rand = random_keys(a.keys)
    from .servers import start_mako
    server = start_mako()
    try:
        port = server.port
        sock = socket.create_connection(("127.0.0.1", port))
        for ks in (crafted, rand):
            for i in range(0, len(ks), 1000):
                _run(sock, b"".join(_cmd(b"SET", k, b"v") for k in ks[i:i + 1000]), len(ks[i:i + 1000]))
        sock.close()
        res = {"crafted": [], "random": []}
        for _ in range(3):
            res["crafted"].append(measure(port, crafted, a.rounds))
            res["random"].append(measure(port, rand, a.rounds))
        for name, v in res.items():
            print("%-8s GET, pipelines of 1000: best %.0f req/s (runs: %s)"
                  % (name, max(v), ", ".join("%.0f" % x for x in v)))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
