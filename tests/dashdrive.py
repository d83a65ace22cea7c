"""Helpers for the dashboard's tests: frames as text, canned INFO replies, a real terminal.

- `frame(model, w, h)` prints render()'s frame to a recording rich Console
  and returns its text; `info(...)` is a canned INFO reply (parsed) with the
  given counters, a mako_numba's when given Mako lines; `two_samples` makes
  a Model of two of them some seconds apart.
- `Tmux(tmp_path, name)`: a real terminal, a detached tmux session on a
  private socket.  `start` runs one command in a pane of a given size;
  `screen()` is what a person would see (capture-pane), `wait_for(pred)`
  polls the screen until pred(text) holds, `resize`, `keys`, and
  `wait_exit()` gives the command's exit status once it has exited: a shell
  runs it, then prints `[exited N]` and waits, so the pane and its last
  screen stay.  (Had the pane closed with the command, the last output could
  be lost: the terminal may report its end before everything written to it
  was read, and tmux 3.3a then sometimes never learns the exit status.)
  `kill()` ends the tmux server, the waiting shell with it, and removes the
  socket file; use it in a finally.  Skips when tmux is not installed.
"""
import io
import os
import re
import shutil
import subprocess
import time

import pytest
from rich.console import Console

from mako_numba.dashboard.frame import render
from mako_numba.dashboard.model import Model
from mako_numba.dashboard.infoparse import parse_info

TMUX = "/usr/bin/tmux"
EXITED = re.compile(r"\[exited (\d+)\]")


class Tmux:
    def __init__(self, tmp_path, name):
        if not os.path.exists(TMUX) and shutil.which("tmux") is None:
            pytest.skip("tmux not installed")
        self.exe = TMUX if os.path.exists(TMUX) else shutil.which("tmux")
        self.socket = f"mako-{name}-{os.getpid()}"
        self.conf = tmp_path / "tmux.conf"
        self.conf.write_text("set -g status off\n")

    def tmux(self, *args, check=True):
        return subprocess.run([self.exe, "-L", self.socket, "-f", str(self.conf), *args],
                              capture_output=True, text=True, check=check, timeout=10)

    def start(self, command, width, height, cwd):
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height),
                  "-c", str(cwd), f"{command}; echo \"[exited $?]\"; read line")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t").stdout

    def wait_for(self, pred, timeout=15, what="the screen"):
        deadline = time.time() + timeout
        text = ""
        while time.time() < deadline:
            text = self.screen()
            if pred(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"{what} never appeared; the screen was:\n{text}")

    def resize(self, width, height):
        self.tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t", *keys)

    def wait_exit(self, timeout=15):
        """The command's exit status, as the shell after it prints it (`[exited N]`)."""
        screen = self.wait_for(lambda s: EXITED.search(s), timeout, what="the command's exit")
        return int(EXITED.search(screen).group(1))

    def kill(self):
        """End the tmux server and everything in it, and remove its socket file."""
        path = self.tmux("display-message", "-p", "#{socket_path}", check=False).stdout.strip()
        self.tmux("kill-server", check=False)
        if path.endswith(self.socket) and os.path.exists(path):
            os.unlink(path)


def frame(model, width=120, height=40):
    """The frame render() draws for the model, as the text a person would read."""
    console = Console(record=True, width=width, height=height, file=io.StringIO())
    console.print(render(model, width, height))
    return console.export_text()


def info(total=0, hits=0, misses=0, get=0, set_=0, keys=0, expired=0, run_id="a" * 40,
         mako=None, latency=""):
    """A canned INFO reply: a mako_numba's if `mako` (the Mako section's lines) is given."""
    server = "# Server\r\nredis_version:7.0.15\r\n"
    if mako is not None:
        server += "mako_numba_version:0.1.0\r\n"
    text = (server + f"run_id:{run_id}\r\nprocess_id:4242\r\nuptime_in_seconds:3725\r\n"
            "executable:/usr/bin/python3:odd\r\n\r\n"
            "# Clients\r\nconnected_clients:3\r\n\r\n"
            "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n"
            "used_memory_rss:8388608\r\nused_memory_rss_human:8.00M\r\nmaxmemory:0\r\n\r\n"
            "# Persistence\r\nrdb_changes_since_last_save:7\r\nrdb_bgsave_in_progress:0\r\n"
            "rdb_last_save_time:1700000000\r\nrdb_last_bgsave_status:ok\r\naof_enabled:0\r\n\r\n"
            f"# Stats\r\ntotal_commands_processed:{total}\r\ninstantaneous_ops_per_sec:42\r\n"
            f"expired_keys:{expired}\r\nevicted_keys:0\r\n"
            f"keyspace_hits:{hits}\r\nkeyspace_misses:{misses}\r\n\r\n"
            "# Replication\r\nrole:master\r\n\r\n"
            "# Commandstats\r\n"
            f"cmdstat_get:calls={get},usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n"
            f"cmdstat_set:calls={set_},usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n"
            "\r\n# Latencystats\r\n" + latency +
            f"\r\n# Keyspace\r\ndb0:keys={keys},expires=2,avg_ttl=0\r\n")
    if mako is not None:
        text += "\r\n# Mako\r\n" + "".join(line + "\r\n" for line in mako)
    return parse_info(text)


def two_samples(first, second, dt=2.0, target="127.0.0.1:6380"):
    model = Model(target)
    model.add(first, 1000.0)
    model.add(second, 1000.0 + dt)
    return model


MAKO_FULL = ["batches:{b}", "slow_path_requests:3", "deferred_requests:0",
             "kernel_compile_seconds:0.370", "batch_sizes:1={b1},2=0,4=0,8={b8},16=0,32=0",
             "kernel_usec:{us}", "requests_in_batches:{r}", "slow_path_share:0.0125"]


def mako_lines(b, b1, b8, us, r):
    """A Mako section: b batches (b1 of one request, b8 of 5-8), us kernel usec, r requests."""
    return [line.format(b=b, b1=b1, b8=b8, us=us, r=r) for line in MAKO_FULL]
