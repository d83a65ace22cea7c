"""Shared fixtures: a sans-IO core, a real mako_numba server process, a real Redis.

- `core`: a fresh Core (no sockets) for feeding bytes and reading replies.
- `mako`: a mako_numba server started as `python -m mako_numba --port 0
  --save ""` in a subprocess (the real thing, as users start it, with the
  reference Redis's settings), shared by a test module.
- `redis_ref`: a real redis-server on a free port, for differential tests.  It
  skips when redis-server is not installed, unless MAKO_TEST_REQUIRE_REDIS=1
  (set by CI), where a missing reference Redis is a failure.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from difftest import flushall
from mako_numba.engine.core import Core

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIRE_REDIS = os.environ.get("MAKO_TEST_REQUIRE_REDIS") == "1"


def pytest_sessionstart(session):
    """Prepare every kernel once, before any test: what the cache lacks is compiled now (in
    parallel processes), so the servers the tests start and the cores they make load it."""
    from mako_numba.server.warmup import warm_up
    seconds, cached = warm_up()
    sys.stderr.write("kernels %s in %.1f s\n" % ("loaded from cache" if cached else "compiled", seconds))


def need_tool(name):
    path = shutil.which(name)
    if path is None:
        if REQUIRE_REDIS:
            pytest.fail(f"{name} is required here (MAKO_TEST_REQUIRE_REDIS=1) but not installed")
        pytest.skip(f"{name} not installed")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    def __init__(self, popen, port, log_path):
        self.popen = popen
        self.port = port
        self.host = "127.0.0.1"
        self.log_path = log_path

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_mako(tmp_path_factory, *extra, ready_timeout=300):
    """Start `python -m mako_numba` on a free port; wait for its ready line.

    It runs in a directory of its own, where its RDB file (if any) goes.
    """
    log_path = tmp_path_factory.mktemp("mako") / "server.log"
    out = open(log_path, "w")
    popen = subprocess.Popen([sys.executable, "-m", "mako_numba", "--port", "0", *extra],
                             stdout=out, stderr=subprocess.STDOUT, cwd=log_path.parent)
    deadline = time.time() + ready_timeout
    while time.time() < deadline:
        text = open(log_path, encoding="utf-8", errors="replace").read()
        m = re.search(r"Ready to accept connections tcp on [\d.]+:(\d+)", text)
        if m:
            return Proc(popen, int(m.group(1)), log_path)
        if popen.poll() is not None:
            raise RuntimeError("mako_numba exited before ready:\n" + text)
        time.sleep(0.05)
    popen.kill()
    raise RuntimeError("mako_numba did not become ready")


def start_redis(tmp_path_factory, *extra):
    exe = need_tool("redis-server")
    port = free_port()
    d = tmp_path_factory.mktemp("redis")
    popen = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(d), "--daemonize", "no",
                              "--logfile", str(d / "redis.log"), *extra],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith((b"+PONG", b"-NOAUTH")):     # ready (with requirepass: NOAUTH)
                    return Proc(popen, port, d / "redis.log")
        except OSError:
            time.sleep(0.05)
    popen.kill()
    raise RuntimeError("redis-server did not start")


def start_pair(tmp_path_factory, *opts, redis_opts=()):
    """mako_numba and a reference Redis started with the same options (both stopped on failure);
    `redis_opts` go to Redis alone (e.g. --enable-debug-command, which mako allows by default)."""
    r = start_redis(tmp_path_factory, *redis_opts, *opts)
    try:
        return start_mako(tmp_path_factory, "--save", "", *opts), r
    except Exception:
        r.stop()
        raise


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(mako_numba, reference Redis) with default options, for one test module
    (a module that needs other options defines its own `pair`)."""
    m, r = start_pair(tmp_path_factory)
    yield m, r
    m.stop()
    r.stop()


@pytest.fixture
def core():
    return Core(maxclients=16, seed=12345)


@pytest.fixture(scope="module")
def mako(tmp_path_factory):
    # snapshots off, as the reference Redis runs (--save ""): the tests compare CONFIG too
    proc = start_mako(tmp_path_factory, "--save", "")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def redis_ref(tmp_path_factory):
    proc = start_redis(tmp_path_factory)
    yield proc
    proc.stop()


# --- the differential harness's servers (tests/difftest.py) ---

@pytest.fixture(scope="module")
def mako_box(mako):
    """The module's mako server, replaced by a fresh one if a case killed it.

    A crash is a failure of the case that caused it (see test_same_reply);
    restarting keeps it from turning every later case into a failure too.
    """
    box = {"proc": mako, "extra": []}
    yield box
    for proc in box["extra"]:
        proc.stop()


def _alive(proc):
    if proc.popen.poll() is not None:
        return False
    try:
        flushall(proc.port)
        return True
    except (OSError, AssertionError):
        try:
            proc.popen.wait(5)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait()
        return False


@pytest.fixture
def mk(mako_box, tmp_path_factory):
    proc = mako_box["proc"]
    if not _alive(proc):
        proc = start_mako(tmp_path_factory)
        mako_box["proc"] = proc
        mako_box["extra"].append(proc)
    return proc
