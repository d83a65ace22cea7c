"""A real terminal for tests: a detached tmux session on a private socket.

`Tmux(tmp_path)` runs one command in a pane of a given size; `screen()` is
what a person would see (capture-pane), `wait_for(pred)` polls the screen
until pred(text) holds, `resize`, `keys`, and `wait_exit()` gives the
command's exit status once it has exited: a shell runs it, then prints
`[exited N]` and waits, so the pane and its last screen stay.  (Had the pane
closed with the command, the last output could be lost: the terminal may
report its end before everything written to it was read, and tmux 3.3a then
sometimes never learns the exit status.)  `kill()` ends the tmux server and
with it the waiting shell; use it in a finally.  Skips when tmux is not
installed.
"""
import os
import re
import shutil
import subprocess
import time

import pytest

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
