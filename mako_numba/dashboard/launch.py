"""`python -m mako_numba --dashboard [server options]`: serve, and watch it in this terminal.

The server runs as a child process, `python -m mako_numba` with the same
options minus `--dashboard`, so it never runs any UI code: the dashboard can
slow it only by its INFO polls.  This process is the UI (top.run):

- The child's stdout and stderr come through one pipe, read without
  blocking in the UI's select loop; its lines fill the log panel.  Its ready
  line (`Ready to accept connections tcp on HOST:PORT ...`) says where to
  poll, so `--port 0` works; until then the banner says it is starting (a
  first start compiles the kernels for about a minute).
- The child has a session of its own, so Ctrl-C in the terminal reaches only
  the UI; and on Linux it gets SIGTERM if this process dies, so it is never
  left behind.
- `q` or Ctrl-C (or SIGTERM or SIGHUP to this process): the UI closes, the
  child gets SIGTERM (it saves, as it does on any SIGTERM) and is waited
  for, its last lines are printed, and the exit status is the child's.  A
  second Ctrl-C while waiting kills it.  If the
  child exits by itself (SHUTDOWN, a fatal error), the UI closes and its
  last lines are printed.
- Options are checked here first, with the server's own parser, so a bad
  one is its usual one-line error before the screen is taken over.
"""
import os
import re
import select
import signal
import subprocess
import sys

from .model import Model
from .infoclient import InfoClient
from .top import INTERVAL, Poller, need_terminal, run

READY = re.compile(r"Ready to accept connections tcp on (\S+):(\d+)")
TAIL = 20
LOCAL = {"0.0.0.0": "127.0.0.1", "::": "::1", "*": "127.0.0.1"}


def main(args):
    from mako_numba.__main__ import build_parser
    build_parser().parse_args(args)                 # exits 1 with one line on a bad option
    if not need_terminal("--dashboard"):
        return 1
    child = ServerChild(args)
    model = Model("server starting", interval=INTERVAL)
    for signum in (signal.SIGTERM, signal.SIGHUP):  # stopped from outside: as Ctrl-C
        signal.signal(signum, _interrupt)
    try:
        run(model, ChildPoller(child), INTERVAL, child=child)
    except KeyboardInterrupt:
        pass
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)   # from here on the child's stop is awaited
        seen = child.lines
        by_itself = child.popen.poll() is not None
        status = child.stop(model)
        new = child.lines - seen                    # what it said while stopping
        lines = list(model.log)
        try:
            for line in lines[-TAIL:] if by_itself else lines[-new:] if new else []:
                print(line)
        except OSError:                             # the terminal is gone
            pass
    return status


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class ServerChild:
    """The server process and the pipe of its output, read without blocking."""

    def __init__(self, args):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "mako_numba", *args], stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            start_new_session=True, preexec_fn=_die_with_parent())
        self.fd = self.popen.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.partial = b""
        self.eof = False
        self.lines = 0
        self.address = None

    def fileno(self):
        return None if self.eof else self.fd

    def pump(self, model):
        """Move the output that arrived into the model's log; True once the child has exited."""
        while not self.eof:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                self.eof = True
                chunk = b"\n" if self.partial else b""
            *done, self.partial = (self.partial + chunk).split(b"\n")
            for raw in done:
                self._line(model, raw.decode("utf-8", "replace"))
        return self.popen.poll() is not None

    def _line(self, model, line):
        model.add_log(line)
        self.lines += 1
        m = READY.search(line) if self.address is None else None
        if m:
            self.address = (LOCAL.get(m.group(1), m.group(1)), int(m.group(2)))

    def stop(self, model):
        """SIGTERM (if still running), wait, collect the last output; the exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self._wait(model)
            except KeyboardInterrupt:
                print(f"killing the server (pid {self.popen.pid})", file=sys.stderr)
                self.popen.kill()
        self.popen.wait()
        self.pump(model)
        self.popen.stdout.close()
        code = self.popen.returncode
        return 128 - code if code < 0 else code

    def _wait(self, model):
        while self.popen.poll() is None:
            fd = self.fileno()
            select.select([fd] if fd is not None else [], [], [], 0.1)
            self.pump(model)


class ChildPoller:
    """Waits for the child's ready line, then polls the address it names."""

    def __init__(self, child):
        self.child = child
        self.poller = None

    def poll(self, model, t):
        if self.poller is None and self.child.address is not None:
            host, port = self.child.address
            self.poller = Poller(InfoClient(host, port))
            model.target = self.poller.client.target
        if self.poller is None:
            model.down("starting", "waiting for the server to be ready "
                       "(a first start compiles the kernels, about a minute)…", t)
        else:
            self.poller.poll(model, t)


def _die_with_parent():
    """A preexec function asking Linux to SIGTERM the child when this process dies."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    PR_SET_PDEATHSIG = 1
    return lambda: prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
