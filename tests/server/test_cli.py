"""The command line: `python -m mako_numba [options]`.

Redis-style options; a bad option or an unusable port is one line on stderr
and exit status 1 (never a traceback); the ready line names the address, the
version and how long the kernels took; SIGTERM and SIGINT stop it with 0.
"""
import re
import signal
import socket
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT, start_mako
from mako_numba import VERSION

SERVER = [sys.executable, "-m", "mako_numba"]


def run(*args, timeout=300):
    return subprocess.run([*SERVER, *args], capture_output=True, timeout=timeout, cwd=tempfile.mkdtemp())


def assert_one_line_error(res):
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 1, (res.returncode, err)
    assert "Traceback" not in err and "Traceback" not in res.stdout.decode(errors="replace")
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert err.strip()
    return err


def test_help_lists_options():
    res = run("--help")
    assert res.returncode == 0
    out = res.stdout.decode()
    for opt in ("--port", "--bind", "--loglevel"):
        assert opt in out
    assert res.stderr == b""


def test_version_option():
    res = run("--version")
    assert res.returncode == 0
    assert VERSION in res.stdout.decode()


@pytest.mark.parametrize("args", [
    ["--port", "abc"],
    ["--nosuch"],
    ["--port"],
    ["--loglevel", "loud"],
    ["stray-argument"],
    ["--port", "70000"],
    ["--port", "-1"],
], ids=["port_abc", "nosuch", "port_missing_value", "bad_loglevel", "stray", "port_70000", "port_minus1"])
def test_bad_option_is_one_line_and_exit_1(args):
    res = run(*args)
    assert_one_line_error(res)


def test_bad_option_names_the_problem():
    err = assert_one_line_error(run("--port", "abc"))
    assert "--port" in err and "abc" in err
    err = assert_one_line_error(run("--nosuch"))
    assert "--nosuch" in err


def test_port_in_use_is_one_line_and_exit_1():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        res = run("--port", str(port))
    err = assert_one_line_error(res)
    assert str(port) in err
    assert "in use" in err.lower()


def test_bad_bind_address_is_one_line_and_exit_1():
    assert_one_line_error(run("--bind", "999.1.1.1", "--port", "0"))


def test_ready_line(tmp_path_factory):
    proc = start_mako(tmp_path_factory)
    try:
        log = proc.log()
        m = re.search(r"Ready to accept connections tcp on 127\.0\.0\.1:(\d+)(.*)", log)
        assert m, log
        assert int(m.group(1)) == proc.port > 0
        rest = m.group(2)
        assert VERSION in rest
        t = re.search(r"kernels .* in (\d+(?:\.\d+)?) s", rest)
        assert t, rest
        assert float(t.group(1)) >= 0
        with socket.create_connection(("127.0.0.1", proc.port), timeout=10) as s:
            s.sendall(b"PING\r\n")
            assert s.recv(16) == b"+PONG\r\n"
    finally:
        proc.stop()


def test_bind_and_loglevel_options(tmp_path_factory):
    proc = start_mako(tmp_path_factory, "--bind", "127.0.0.1", "--loglevel", "verbose")
    try:
        with socket.create_connection(("127.0.0.1", proc.port), timeout=10) as s:
            s.sendall(b"CONFIG GET bind\r\n")
            want = b"*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n"
            got = b""
            while len(got) < len(want):
                chunk = s.recv(1024)
                assert chunk
                got += chunk
            assert got == want
    finally:
        proc.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_with_status_0(tmp_path_factory, sig):
    proc = start_mako(tmp_path_factory)
    idle = socket.create_connection(("127.0.0.1", proc.port), timeout=10)
    try:
        idle.sendall(b"SET k v\r\n")
        assert idle.recv(16) == b"+OK\r\n"
        proc.popen.send_signal(sig)
        try:
            rc = proc.popen.wait(10)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait()
            pytest.fail(f"server did not stop within 10 s of {sig.name}")
        assert rc == 0, proc.log()
        assert "Traceback" not in proc.log()
        idle.settimeout(5)
        try:
            assert idle.recv(16) == b""            # the client's connection was closed
        except ConnectionResetError:
            pass
    finally:
        idle.close()
        proc.stop()
