"""What a start shows while kernels compile (server/compileprogress.py), and --compile-only.

The progress display is fed the reports server/prepare.py makes: log lines
when standard output is not a terminal (a service's log, CI), nothing at
all when every kernel came from the cache.
"""
import logging
import subprocess
import sys

from mako_numba.server.compileprogress import CompileProgress


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def _logger():
    log = logging.getLogger("test-compile-progress")
    log.propagate = False
    log.handlers[:] = [h := _Lines()]
    log.setLevel(logging.INFO)
    return log, h


def test_log_lines_name_each_unit_and_how_far_along():
    log, h = _logger()
    progress = CompileProgress(log, tty=False)
    progress(None, 0, 3, 2.0)
    progress("string", 1, 3, 12.5)
    progress("keys", 2, 3, 7.25)
    progress("server", 3, 3, 0.5)
    progress.close()
    assert h.lines[0] == ("Compiling kernels: 3 units on 2 worker processes "
                          "(a first start, or their sources changed)")
    assert h.lines[1].startswith("Compiled the string kernels in 12.5 s (1/3, ")
    assert h.lines[3].startswith("Compiled the server kernels in 0.5 s (3/3, ")
    assert len(h.lines) == 4


def test_in_one_process_it_says_so():
    log, h = _logger()
    CompileProgress(log, tty=False)(None, 0, 1, 0.0)
    assert h.lines == ["Compiling kernels: 1 units in this process (a first start, or their sources changed)"]


def test_compile_only_prepares_and_exits(tmp_path):
    # the test session has prepared every kernel, so this one loads them all from the cache
    out = subprocess.run([sys.executable, "-m", "mako_numba", "--compile-only"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300, env=None)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "Kernels loaded from cache in" in lines[-1] and "not serving (--compile-only)" in lines[-1]
    assert not any("Compiling kernels" in line for line in lines)
    assert not any("Ready to accept" in line for line in lines)
