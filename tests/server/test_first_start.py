"""A first start answers before every family is compiled, and a client of a family still
compiling gets its replies, in order, once that family is loaded (server/prepare.py).

The server runs with a kernel cache that lacks two families (keys and
bitops): the real worker processes compile them while the server answers.
Everything else comes from the cache the test session prepared.
"""
import os
import socket
import subprocess
import sys
import threading
import time

from mako_numba.base import cachekey
from mako_numba.base.jit import CACHE_DIR
from tests.conftest import free_port

MISSING = ("commands.keys.entry", "commands.bitops.entry")


def _partial_cache(tmp_path):
    """A cache of every current kernel directory (links) except the MISSING families'."""
    base = tmp_path / "cache"
    base.mkdir()
    for name in os.listdir(CACHE_DIR):
        module, _, digest = name.rpartition("-")
        if not module or module in MISSING:
            continue
        if cachekey.module_path("mako_numba." + module) and cachekey.digest("mako_numba." + module) == digest:
            os.symlink(os.path.join(CACHE_DIR, name), base / name)
    return base


def _reply(sock, want, timeout):
    sock.settimeout(timeout)
    got = b""
    while len(got) < len(want):
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def test_ready_before_the_families_compile_and_their_clients_wait_in_order(tmp_path):
    port = free_port()
    env = dict(os.environ, MAKO_NUMBA_CACHE_DIR=str(_partial_cache(tmp_path)))
    p = subprocess.Popen([sys.executable, "-m", "mako_numba", "--port", str(port)], cwd=tmp_path,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    threading.Thread(target=lambda: lines.extend(l.decode() for l in p.stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not any("Ready to accept" in l for l in lines):
            assert p.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        ready = next(l for l in lines if "Ready to accept" in l)
        assert "still compiling: bitops, keys (their commands wait for them)" in ready
        waiting = socket.create_connection(("127.0.0.1", port))
        waiting.sendall(b"PING\r\nSET k v\r\nEXPIRE k 100\r\nTTL k\r\nSETBIT b 1 1\r\nGET k\r\n"
                        b"MULTI\r\nEXISTS k\r\nEXEC\r\n")
        first = b"+PONG\r\n+OK\r\n"
        assert _reply(waiting, first, 10) == first      # before the families are loaded
        other = socket.create_connection(("127.0.0.1", port))
        other.sendall(b"PING\r\nGET k\r\nCONFIG GET maxmemory\r\n")
        want = b"+PONG\r\n$1\r\nv\r\n*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
        assert _reply(other, want, 10) == want
        assert not any("All kernels ready" in l for l in lines)
        rest = b":1\r\n:100\r\n:0\r\n$1\r\nv\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n"
        assert _reply(waiting, rest, 300) == rest
        deadline = time.monotonic() + 60
        while not any("All kernels ready" in l for l in lines):
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        assert sum("Compiled the" in l for l in lines) == 2
        waiting.close()
        other.close()
    finally:
        p.terminate()
        p.wait(timeout=60)
