"""Start and stop the servers under test, and read what they cost.

Rules:
- Every server is started by `start_mako` / `start_redis` and used inside a
  `with` block (or stopped in a `finally`), so an error or Ctrl-C stops it.
  As a second line of defence each child asks the kernel for SIGTERM when the
  bench process dies (prctl PR_SET_PDEATHSIG), so not even `kill -9` of the
  bench leaves a server running.
- Servers listen on 127.0.0.1 only.  mako_numba is started exactly as a user
  starts it, `python -m mako_numba --port 0`, and its port is read from the
  ready line; redis-server gets a free port and no persistence.
- CPU cost is read from /proc/PID/stat (user + system ticks) so it is the
  server's own time, not the machine's.
"""
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from . import wire

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
READY_RE = re.compile(rb"Ready to accept connections tcp on [\d.]+:(\d+)(.*)")
KERNELS_RE = re.compile(rb"kernels (loaded from cache|compiled) in ([\d.]+) s")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn: SIGTERM this child when the bench process goes away."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_times(pid):
    """(user, system) CPU seconds a process (all its threads) has used so far, from /proc."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    fields = data[data.rindex(b")") + 2:].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK   # utime, stime (fields 14, 15)


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far."""
    return sum(cpu_times(pid))


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class Server:
    """A running server process: name, host, port, pid; `stop()` ends it."""

    def __init__(self, name, popen, port, workdir, info=""):
        self.name = name
        self.popen = popen
        self.pid = popen.pid
        self.host = HOST
        self.port = port
        self.workdir = workdir
        self.info = info

    def cpu_seconds(self):
        return cpu_seconds(self.pid)

    def cpu_times(self):
        return cpu_times(self.pid)

    def rss_bytes(self):
        return rss_bytes(self.pid)

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.workdir, "server.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def launch_mako(extra=(), env=None):
    """Start `python -m mako_numba --port 0`; return (Popen, workdir).  Not yet ready."""
    workdir = tempfile.mkdtemp(prefix="bench-mako-")
    out = open(os.path.join(workdir, "server.log"), "wb")
    try:
        # no snapshots, like the redis-server it is compared with (--save "")
        popen = subprocess.Popen([sys.executable, "-m", "mako_numba", "--port", "0", "--save", "",
                                  *extra],
                                 stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 cwd=workdir, env=env, preexec_fn=die_with_parent)
    finally:
        out.close()
    return popen, workdir


def wait_ready(popen, workdir, timeout):
    """Wait for mako's ready line; return (port, the rest of that line)."""
    path = os.path.join(workdir, "server.log")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as f:
            m = READY_RE.search(f.read())
        if m:
            return int(m.group(1)), m.group(2).decode("utf-8", "replace").strip()
        if popen.poll() is not None:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            raise RuntimeError(f"mako_numba exited with status {popen.returncode}:\n{text}")
        time.sleep(0.005)
    raise RuntimeError(f"mako_numba was not ready within {timeout} s")


def wait_all_kernels(popen, workdir, timeout):
    """After a ready line that says kernels are still compiling: wait until all are loaded."""
    path = os.path.join(workdir, "server.log")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as f:
            if b"All kernels ready" in f.read():
                return
        if popen.poll() is not None:
            raise RuntimeError(f"mako_numba exited with status {popen.returncode}")
        time.sleep(0.02)
    raise RuntimeError(f"mako_numba's kernels were not all ready within {timeout} s")


def start_mako(extra=(), env=None, timeout=900):
    """A ready mako_numba server with every kernel loaded (a cold kernel cache may compile for
    minutes; a measurement never runs beside the compiler)."""
    popen, workdir = launch_mako(extra, env)
    server = Server("mako", popen, 0, workdir)
    try:
        server.port, server.info = wait_ready(popen, workdir, timeout)
        if "still compiling" in server.info:
            wait_all_kernels(popen, workdir, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def redis_server_path():
    path = shutil.which("redis-server")
    if path is None:
        raise RuntimeError("redis-server not found (./dev bench installs it when run as root)")
    return path


def launch_redis(extra=()):
    """Start redis-server on a free port; return (Popen, port, workdir).  Not yet ready.

    `extra` options come last, so they override ours (`--dir` elsewhere).
    """
    exe = redis_server_path()
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    port = free_port()
    popen = subprocess.Popen([exe, "--port", str(port), "--bind", HOST, "--save", "",
                              "--appendonly", "no", "--dir", workdir, "--daemonize", "no",
                              "--logfile", os.path.join(workdir, "server.log"), *extra],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
    return popen, port, workdir


def start_redis(timeout=20, extra=()):
    """A ready redis-server on a free port, without persistence unless `extra` asks for it."""
    exe = redis_server_path()
    popen, port, workdir = launch_redis(extra)
    server = Server("redis", popen, port, workdir)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if popen.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{server.log()}")
            if ping(HOST, port, 0.5):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer PING")
            time.sleep(0.02)
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
        server.info = out.stdout.strip()
    except BaseException:
        server.stop()
        raise
    return server


def ping(host, port, timeout=1.0):
    """True if the server answers PING with +PONG (or -NOAUTH: it runs, with a password)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def command(server, *args, timeout=30.0):
    """Send one command; return the raw reply bytes (enough for INFO and DBSIZE)."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        s.sendall(b"".join(parts))
        buf = b""
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                return buf
            buf += chunk
            if _complete(buf):
                return buf


def _complete(buf):
    """Is buf one whole reply (simple, integer, error or bulk/verbatim string)?"""
    if not buf.endswith(b"\r\n"):
        return False
    if buf[:1] in (b"$", b"="):
        head, _, rest = buf.partition(b"\r\n")
        n = int(head[1:])
        return n < 0 or len(rest) >= n + 2
    return True


def info_fields(server, section):
    """INFO <section> as a dict of strings."""
    raw = command(server, "INFO", section)
    text = raw.decode("utf-8", "replace")
    fields = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith(("#", "$", "=")):
            k, _, v = line.partition(":")
            fields[k.strip()] = v.strip()
    return fields


def load_keys(server, hi, value_size=8, lo=0, batch=10_000, progress=None):
    """SET key:lo .. key:hi-1 (wire's keys, value_size bytes each) over one connection.

    `batch` commands per send, built by numpy (wire.sets), two sends in flight
    so the server never waits for the client.  `progress(keys_done)` is called
    after each batch's replies arrive.  Returns the wall seconds it took.
    """
    ok = b"+OK\r\n"
    wire.warm_up()              # load the Numba routines before the clock starts
    t0 = time.perf_counter()
    with socket.create_connection((server.host, server.port), timeout=60) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        inflight = []           # replies expected per batch sent, oldest first
        pending = b""
        nxt = done = lo
        while done < hi:
            while nxt < hi and len(inflight) < 2:
                end = min(hi, nxt + batch)
                s.sendall(wire.sets(nxt, end, value_size))
                inflight.append(end - nxt)
                nxt = end
            want = inflight[0] * len(ok)
            while len(pending) < want:
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise RuntimeError(f"{server.name} closed the connection while loading")
                pending += chunk
            got, pending = pending[:want], pending[want:]
            if got != ok * inflight[0]:
                raise RuntimeError(f"{server.name} answered a SET with {got[:80]!r}")
            done += inflight.pop(0)
            if progress is not None:
                progress(done)
    return time.perf_counter() - t0
