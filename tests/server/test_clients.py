"""Real clients against a running mako_numba: redis-py, redis-cli, redis-benchmark.

redis-py 8 defaults to RESP3: it sends HELLO 3, CLIENT MAINT_NOTIFICATIONS and
CLIENT SETINFO on connect (see /tmp/research/handshakes.md); protocol=2 skips
HELLO.  redis-cli is run both non-interactively and interactively through a
pseudo-terminal; redis-benchmark runs plain and pipelined.
"""
import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest
import redis

from conftest import need_tool

PROTOCOLS = [None, 2, 3]
PROTO_IDS = ["default", "resp2", "resp3"]


@pytest.fixture(params=PROTOCOLS, ids=PROTO_IDS)
def r(request, mako):
    kwargs = {} if request.param is None else {"protocol": request.param}
    client = redis.Redis(port=mako.port, **kwargs)
    client.flushall()
    yield client
    client.close()


# --- redis-py --------------------------------------------------------------------------------
def test_redis_py_basic_commands(r):
    assert r.ping() is True
    assert r.set("a", "b") is True
    assert r.get("a") == b"b"
    assert r.get("missing") is None
    assert r.echo("hello world") == b"hello world"
    assert r.exists("a", "missing", "a") == 2
    assert r.dbsize() == 1
    assert r.set("n", 12345) is True
    assert r.get("n") == b"12345"
    assert r.dbsize() == 2
    assert r.delete("a", "n", "missing") == 2
    assert r.get("a") is None
    assert r.exists("a") == 0
    assert r.dbsize() == 0


def test_redis_py_protocol_is_negotiated(r, request):
    proto = request.node.callspec.params["r"]
    hello = r.execute_command("HELLO")
    if isinstance(hello, list):                    # RESP2 flat array
        hello = dict(zip(hello[::2], hello[1::2]))
    hello = {(k.decode() if isinstance(k, bytes) else k): v for k, v in hello.items()}
    assert hello["version"] in (b"7.0.15", "7.0.15")
    assert hello["proto"] == (2 if proto == 2 else 3)
    assert hello["server"] in (b"redis", "redis")


def test_redis_py_binary_values(r):
    key = b"k\x00\r\n\xff"
    value = bytes(range(256)) * 64 + b"\r\n\x00"
    assert r.set(key, value) is True
    assert r.get(key) == value
    assert r.exists(key) == 1
    assert r.get(b"k\x00") is None
    big = os.urandom(3 * 1024 * 1024)
    assert r.set("big", big) is True
    assert r.get("big") == big
    assert r.set(b"", b"") is True
    assert r.get(b"") == b""
    assert r.delete(key, "big", b"") == 3


def test_redis_py_pipeline_10000(r):
    n = 10000
    with r.pipeline(transaction=False) as p:
        for i in range(n):
            p.set(f"pk:{i}", f"pv:{i}")
        res = p.execute()
    assert res == [True] * n
    assert r.dbsize() == n
    with r.pipeline(transaction=False) as p:
        for i in range(n):
            p.get(f"pk:{i}")
        res = p.execute()
    assert res == [f"pv:{i}".encode() for i in range(n)]
    with r.pipeline(transaction=False) as p:
        for i in range(0, n, 2):
            p.delete(f"pk:{i}")
        p.exists(*[f"pk:{i}" for i in range(100)])
        p.dbsize()
        p.ping()
        p.echo("end")
        res = p.execute()
    assert res[:n // 2] == [1] * (n // 2)
    assert res[n // 2:] == [50, n // 2, True, b"end"]


def test_redis_py_info_and_config(r):
    r.set("x", "y")
    info = r.info()
    assert info["redis_version"] == "7.0.15"
    assert isinstance(info["connected_clients"], int) and info["connected_clients"] >= 1
    assert isinstance(info["used_memory"], int) and info["used_memory"] > 0
    assert isinstance(info["total_commands_processed"], int) and info["total_commands_processed"] > 0
    before = info["total_commands_processed"]
    for _ in range(5):
        r.ping()
    assert r.info()["total_commands_processed"] >= before + 5
    assert r.config_get("save") == {"save": ""}
    assert r.config_get("appendonly") == {"appendonly": "no"}


def test_redis_py_many_connections(mako):
    clients = [redis.Redis(port=mako.port, protocol=p) for p in (2, 3) for _ in range(10)]
    try:
        for i, c in enumerate(clients):
            assert c.set(f"mc:{i}", i) is True
        for i, c in enumerate(clients):
            assert c.get(f"mc:{len(clients) - 1 - i}") == str(len(clients) - 1 - i).encode()
        assert clients[0].info()["connected_clients"] >= len(clients)
    finally:
        for c in clients:
            c.close()


# --- redis-cli ---------------------------------------------------------------------------------
def cli(mako, *args, timeout=20):
    exe = need_tool("redis-cli")
    return subprocess.run([exe, "-p", str(mako.port), *args], capture_output=True, timeout=timeout)


def test_redis_cli_non_interactive(mako):
    res = cli(mako, "set", "a", "b")
    assert res.returncode == 0
    assert res.stdout == b"OK\n"
    res = cli(mako, "get", "a")
    assert res.returncode == 0
    assert res.stdout == b"b\n"
    res = cli(mako, "--no-raw", "get", "a")
    assert res.stdout == b'"b"\n'
    res = cli(mako, "--no-raw", "get", "nosuchkey")
    assert res.stdout == b"(nil)\n"
    res = cli(mako, "--no-raw", "exists", "a", "a", "nosuchkey")
    assert res.stdout == b"(integer) 2\n"
    res = cli(mako, "--no-raw", "nosuchcmd", "x")
    assert res.stdout == b"(error) ERR unknown command 'nosuchcmd', with args beginning with: 'x' \n"
    res = cli(mako, "-3", "--no-raw", "get", "nosuchkey")
    assert res.returncode == 0
    assert res.stdout == b"(nil)\n"
    res = cli(mako, "ping")
    assert res.stdout == b"PONG\n"
    res = cli(mako, "del", "a")
    assert res.stdout == b"1\n"


def test_redis_cli_stdin_pipe(mako):
    exe = need_tool("redis-cli")
    res = subprocess.run([exe, "-p", str(mako.port)], input=b"set piped 1\nget piped\ndel piped\n",
                         capture_output=True, timeout=20)
    assert res.returncode == 0
    assert res.stdout == b"OK\n1\n1\n"


class Pty:
    """A program on a pseudo-terminal: type lines, wait for output."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["TERM"] = "dumb"
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        self.out = b""

    def expect(self, pattern, timeout=20.0):
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.out)
            if m:
                self.out = self.out[m.end():]
                return m
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"{pattern!r} not seen; output so far: {self.out[-2000:]!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise AssertionError(f"program ended before {pattern!r}: {self.out[-2000:]!r}")
                self.out += data

    def send(self, text):
        os.write(self.fd, text)

    def wait(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:                        # keep the pty drained
                if select.select([self.fd], [], [], 0.05)[0]:
                    os.read(self.fd, 65536)
            except OSError:
                time.sleep(0.05)
        return None

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)


def test_redis_cli_interactive(mako):
    exe = need_tool("redis-cli")
    term = Pty([exe, "-p", str(mako.port)])
    try:
        prompt = rb"127\.0\.0\.1:%d> " % mako.port
        term.expect(prompt)
        term.send(b"SET mykey myvalue\r")
        term.expect(rb"\r\nOK\r\n")
        term.expect(prompt)
        term.send(b"GET mykey\r")
        term.expect(rb'\r\n"myvalue"\r\n')
        term.expect(prompt)
        term.send(b"GET nosuchkey\r")
        term.expect(rb"\r\n\(nil\)\r\n")
        term.expect(prompt)
        term.send(b"EXISTS mykey\r")
        term.expect(rb"\r\n\(integer\) 1\r\n")
        term.expect(prompt)
        term.send(b"quit\r")
        assert term.wait() == 0
    finally:
        term.close()
    r = redis.Redis(port=mako.port, protocol=2)
    try:
        assert r.get("mykey") == b"myvalue"
        r.delete("mykey")
    finally:
        r.close()


# --- redis-benchmark ------------------------------------------------------------------------------
@pytest.mark.parametrize("pipeline", [1, 16, 64])
def test_redis_benchmark(mako, pipeline):
    exe = need_tool("redis-benchmark")
    r = redis.Redis(port=mako.port, protocol=2)
    r.flushall()
    r.close()
    res = subprocess.run([exe, "-p", str(mako.port), "-t", "get,set", "-n", "20000", "-c", "10",
                          "-P", str(pipeline), "-r", "1000", "-q"],
                         capture_output=True, timeout=240)
    out = res.stdout.decode(errors="replace")
    assert res.returncode == 0, out + res.stderr.decode(errors="replace")
    rates = {}
    for name, rate in re.findall(r"(?:^|\r|\n)(SET|GET): ([\d.]+) requests per second", out):
        rates[name] = float(rate)
    assert set(rates) == {"SET", "GET"}, out
    assert rates["SET"] > 0 and rates["GET"] > 0
    assert "WARNING" not in out and "ERROR" not in out.upper(), out
    r = redis.Redis(port=mako.port, protocol=2)
    try:
        assert r.ping() is True
        n = r.dbsize()
        assert 0 < n <= 1000          # -r 1000: keys key:000000000000 .. key:000000000999
        assert r.exists(*[f"key:{i:012d}" for i in range(1000)]) == n
    finally:
        r.close()
