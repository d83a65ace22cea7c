"""What the terminal shows while the kernels compile: how far along, and what.

server/prepare.py reports each unit of kernels as it is compiled; this
turns the reports into a rich progress bar when standard output is a
terminal, and into log lines otherwise (a service's log, CI).  Nothing is
shown when every kernel comes from the cache.
"""
import sys
import time


class CompileProgress:
    """report(unit, done, total, seconds) for server.prepare; close() when it returns."""

    def __init__(self, log, tty=None):
        self.log = log
        self.tty = sys.stdout.isatty() if tty is None else tty
        self.bar = None
        self.t0 = time.perf_counter()

    def __call__(self, unit, done, total, seconds):
        if unit is None:                # the start: `seconds` is the number of worker processes
            workers = int(seconds)
            how = "on %d worker processes" % workers if workers > 1 else "in this process"
            self.log.info("Compiling kernels: %d units %s (a first start, or their sources changed)",
                          total, how)
            if self.tty:
                self._start_bar(total)
            return
        if self.bar is not None:
            progress, task = self.bar
            progress.update(task, completed=done, description="kernels: %s done" % unit)
        else:
            self.log.info("Compiled the %s kernels in %.1f s (%d/%d, %.1f s so far)",
                          unit, seconds, done, total, time.perf_counter() - self.t0)

    def _start_bar(self, total):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn)
        progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
        progress.start()
        self.bar = (progress, progress.add_task("compiling kernels", total=total))

    def close(self):
        if self.bar is not None:
            self.bar[0].stop()
            self.bar = None
