"""`python -m mako_numba top`: the live dashboard of a running server, in this terminal.

    python -m mako_numba top [-h HOST] [-p PORT] [-a PASSWORD] [--user USER] [--interval SECONDS]

Options follow redis-cli's (`-h` is the host, so help is `--help` only).  It
works with any Redis-compatible server (mako_numba, redis-server 7 ...).

This module is the only place the dashboard touches the terminal and the
network (with launch.py, which adds a server child): `run` polls INFO
every `interval` seconds through an InfoClient, feeds the Model and draws
`dashboard.render(model, width, height)` at the console's current size with
rich's Live on the alternate screen.  Between polls it waits in `select` on
stdin (put in cbreak mode, restored in a `finally`), a self-pipe that
SIGWINCH writes to (so a resize redraws at once), and the server child's
output when there is one; it redraws at least every REDRAW seconds.  `q`
or Ctrl-C ends it.  An unreachable server is a banner and a retry every
max(interval, 1) seconds; the history is kept.
"""
import argparse
import os
import select
import signal
import sys
import termios
import time
import tty
from contextlib import contextmanager

from mako_numba.config import settings as config
from .frame import render
from .model import Model
from .infoclient import AuthError, InfoClient, ServerError
from .infoparse import parse_info

INTERVAL = 0.5
REDRAW = 0.25
RETRY = 1.0


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"mako_numba top: {message} (see --help)\n")
        sys.exit(1)


def _interval(text):
    v = float(text)
    if not 0.05 <= v <= 3600:
        raise ValueError(text)
    return v


def build_parser():
    p = _Parser(prog="python -m mako_numba top", add_help=False,
                description="Live dashboard of a running mako_numba or Redis server.")
    p.add_argument("--help", action="help", help="show this help and exit")
    p.add_argument("-h", dest="host", default="127.0.0.1", help="server host (default 127.0.0.1)")
    p.add_argument("-p", dest="port", type=int, default=config.DEFAULT_PORT,
                   help=f"server port (default {config.DEFAULT_PORT})")
    p.add_argument("-a", dest="password", default=None, help="password for AUTH")
    p.add_argument("--user", default=None, help="user name for AUTH (with -a)")
    p.add_argument("--interval", type=_interval, default=INTERVAL,
                   help=f"seconds between polls (default {INTERVAL})")
    return p


def main(argv):
    opts = build_parser().parse_args(argv)
    if not need_terminal("top"):
        return 1
    client = InfoClient(opts.host, opts.port, opts.password, opts.user)
    model = Model(client.target, interval=opts.interval)
    try:
        run(model, Poller(client), opts.interval)
    except KeyboardInterrupt:
        pass
    finally:
        client.close()
    return 0


def need_terminal(what):
    """True when stdout is a terminal; else one line on stderr (the caller exits 1)."""
    if sys.stdout.isatty():
        return True
    sys.stderr.write(f"mako_numba {what}: the dashboard needs a terminal (stdout is not one)\n")
    return False


class Poller:
    """Polls one client into the model; a failure becomes the model's banner."""

    def __init__(self, client):
        self.client = client

    def poll(self, model, t):
        target = self.client.target
        try:
            text = self.client.info()
        except AuthError as e:
            if str(e).startswith("NOAUTH"):
                model.down("auth", f"authentication required ({e}): give the password with -a", t)
            else:
                model.down("auth", f"authentication failed at {target}: {e}", t)
        except ServerError as e:
            model.down("error", f"{target} refused INFO: {e}", t)
        except OSError as e:
            model.down("unreachable", f"cannot reach {target}: {e.strerror or e}, retrying…", t)
        else:
            model.add(parse_info(text), t)


def run(model, poller, interval, child=None):
    """Poll and draw until `q`, Ctrl-C (KeyboardInterrupt) or the child exits."""
    from rich.console import Console
    from rich.live import Live
    console = Console()
    with _wakeup_on_resize() as wake, _cbreak(sys.stdin) as keys, \
            Live(console=console, screen=True, auto_refresh=False, redirect_stdout=False,
                 redirect_stderr=False) as live:
        due = 0.0
        while True:
            if child is not None and child.pump(model):
                return
            if time.monotonic() >= due:
                poller.poll(model, time.time())
                wait = interval if model.problem is None else max(interval, RETRY)
                due = time.monotonic() + wait
            width, height = console.size = _terminal_size(console)
            live.update(render(model, width, height), refresh=True)
            fds = [wake] + ([keys] if keys is not None else []) + child_fds(child)
            timeout = max(0.0, min(due - time.monotonic(), REDRAW))
            ready, _, _ = select.select(fds, [], [], timeout)
            if wake in ready:
                _drain(wake)
            if keys is not None and keys in ready:
                data = _read_keys(keys)
                if data is None:                    # the terminal is gone: stop reading it
                    keys = None
                elif b"q" in data.lower() or b"\x03" in data or b"\x04" in data:
                    return


def _terminal_size(console):
    """The terminal's size now (rich would keep using $COLUMNS/$LINES when they are set)."""
    for stream in (sys.stdout, sys.stdin):
        try:
            size = os.get_terminal_size(stream.fileno())
            return size.columns, size.lines
        except (OSError, ValueError, AttributeError):
            continue
    return tuple(console.size)


def child_fds(child):
    fd = child.fileno() if child is not None else None
    return [] if fd is None else [fd]


def _read_keys(fd):
    """The keys typed since the last read, or None at end of input."""
    try:
        return os.read(fd, 1024) or None
    except OSError:
        return None


def _drain(fd):
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, OSError):
        pass


@contextmanager
def _cbreak(stream):
    """Keys arrive one at a time, unechoed; the terminal's settings come back on the way out.

    Yields the file descriptor to read keys from, or None when stdin is not a terminal."""
    try:
        fd = stream.fileno()
        saved = termios.tcgetattr(fd)
    except (OSError, ValueError, termios.error):
        yield None
        return
    try:
        tty.setcbreak(fd)
        yield fd
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextmanager
def _wakeup_on_resize():
    """A pipe that SIGWINCH writes a byte to, so `select` returns and the frame is redrawn."""
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)

    def poke(signum, frame):
        try:
            os.write(w, b"x")
        except OSError:
            pass
    old = signal.signal(signal.SIGWINCH, poke)
    try:
        yield r
    finally:
        signal.signal(signal.SIGWINCH, old)
        os.close(r)
        os.close(w)
