"""A forked child: the fork timed, and its copy-on-write figures sent to the parent.

As Redis's redisFork (server.c) and childinfo.c:
- `fork(core)` times os.fork() in the parent: `latest_fork_usec` (the
  microseconds the parent spent in it, last fork) and `total_forks` (INFO
  stats) are set on the core.  Any kind of child (a BGSAVE; an AOF rewrite
  may use it too) counts.
- Before forking, a pipe is opened, both ends non-blocking.  The child
  writes fixed-size records into it (one `write` each, smaller than
  PIPE_BUF, so never interleaved or split): a CURRENT report at most once a
  second while it works (`progress`), and a final one (`done`) just before
  it exits after success.  Each carries the child's private dirty memory:
  the Private_Dirty of /proc/self/smaps_rollup (the sum over
  /proc/self/smaps where there is no rollup), which is the memory that has
  stopped being shared since the fork, whichever side wrote it.
- The parent reads whatever whole records are there (`receive`, never
  blocking) from cron and when it reaps the child.  `current_cow_size` and
  `current_save_keys_processed` are the latest report, `current_cow_peak`
  the largest; the final report sets the last COW size to that peak, as
  Redis sets rdb_last_cow_size.  A child killed or failing sends no final
  report, and the last COW size keeps its previous value, as in Redis.
- A child that cannot write into the pipe (the parent gone or not reading)
  drops the report and goes on: the numbers are for INFO, not worth a save.
  Redis's child exits instead.
- Where /proc is missing the sizes are 0.
- `run_in_child` is the child's whole life (its work, then os._exit: it
  never returns into the event loop); `outcome` is the parent's waitpid,
  telling success, a stop on purpose (SIGUSR1, from `stop`: not a failure,
  as in Redis) and a failure apart.
"""
from dataclasses import dataclass
import logging
import os
import signal
import struct
import time

log = logging.getLogger("mako_numba")

INFO_CURRENT = 0            # Redis's CHILD_INFO_TYPE_CURRENT_INFO: while it works
INFO_DONE = 1               # CHILD_INFO_TYPE_RDB_COW_SIZE: finished with success
RECORD = struct.Struct("<qqqq")     # kind, keys processed, COW bytes, when (monotonic us)
REPORT_EVERY = 1.0          # seconds between CURRENT reports (Redis: 1000 ms)


@dataclass(slots=True)
class ForkStats:
    """Forks of this process (INFO stats latest_fork_usec, total_forks): core.forks."""
    latest_usec: int = 0        # the parent's time in fork()
    total: int = 0



def private_dirty():
    """Bytes of this process's private dirty memory (Redis's zmalloc_get_private_dirty)."""
    for path in ("/proc/self/smaps_rollup", "/proc/self/smaps"):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        total = 0
        for line in data.split(b"\n"):
            if line.startswith(b"Private_Dirty:"):
                total += int(line.split()[1])
        return total * 1024
    return 0


def _now_us():
    return time.monotonic_ns() // 1000


class Child:
    """One forked child seen from either side: its pid (0 in the child) and its reports."""

    def __init__(self, name, keys_total):
        self.name = name                # "RDB": the log line's "Fork CoW for RDB"
        self.keys_total = keys_total    # current_save_keys_total
        self.pid = 0
        self.rfd, self.wfd = os.pipe()
        os.set_blocking(self.rfd, False)
        os.set_blocking(self.wfd, False)
        # parent's view, from the reports
        self.cow = self.cow_peak = self.keys = 0
        self.cow_updated = 0            # monotonic us of the latest report, 0 none yet
        self.final_cow = None           # the peak when the final report came
        self._pending = b""
        # child's own bookkeeping
        self._sum = self._count = 0
        self._last = 0.0

    def close(self):
        for fd in (self.rfd, self.wfd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.rfd = self.wfd = -1

    # --- the child's side ------------------------------------------------------------------
    def progress(self, keys):
        """A CURRENT report if the last was REPORT_EVERY seconds ago (called per batch of keys)."""
        now = time.monotonic()
        if now - self._last >= REPORT_EVERY:
            self._last = now
            self._send(INFO_CURRENT, keys)

    def done(self, keys):
        """The final report, after success; logs the COW as Redis's child does."""
        self._send(INFO_DONE, keys)

    def _send(self, kind, keys):
        cow = private_dirty()
        self.cow_peak = max(self.cow_peak, cow)
        self._sum += cow
        self._count += 1
        if kind == INFO_DONE or cow:
            (log.info if kind == INFO_DONE else log.debug)(
                "Fork CoW for %s: current %d MB, peak %d MB, average %d MB", self.name,
                cow >> 20, self.cow_peak >> 20, (self._sum // self._count) >> 20)
        try:
            os.write(self.wfd, RECORD.pack(kind, keys, cow, _now_us()))
        except OSError:
            pass

    # --- the parent's side ------------------------------------------------------------------
    def receive(self):
        """Read every whole report waiting in the pipe, without blocking."""
        while self.rfd >= 0:
            try:
                data = os.read(self.rfd, 64 * RECORD.size)
            except BlockingIOError:
                return
            except OSError:
                return
            if not data:
                return
            self._pending += data
            whole = len(self._pending) - len(self._pending) % RECORD.size
            for kind, keys, cow, when in RECORD.iter_unpack(self._pending[:whole]):
                self.cow, self.cow_updated, self.keys = cow, when, keys
                self.cow_peak = max(self.cow_peak, cow)
                if kind == INFO_DONE:
                    self.final_cow = self.cow_peak
            self._pending = self._pending[whole:]

    def reap(self, block=False):
        """The parent: None while the child runs (its reports read); else (outcome, status).

        Once it ended, its last reports are read and the pipe closed.
        """
        result, status = outcome(self.pid, block)
        self.receive()
        if result is not None:
            self.close()
            return result, status
        return None

    def info_fields(self):
        """The `current_*` fields of INFO persistence while this child runs."""
        age = (_now_us() - self.cow_updated) // 1_000_000 if self.cow else 0
        perc = self.keys * 100 / self.keys_total if self.keys_total else 0.0
        return {"current_cow_peak": self.cow_peak, "current_cow_size": self.cow,
                "current_cow_size_age": age, "current_fork_perc": "%.2f" % perc,
                "current_save_keys_processed": self.keys,
                "current_save_keys_total": self.keys_total}


IDLE_FIELDS = {"current_cow_peak": 0, "current_cow_size": 0, "current_cow_size_age": 0,
               "current_fork_perc": "0.00", "current_save_keys_processed": 0,
               "current_save_keys_total": 0}


def fork(core, name, keys_total=0):
    """os.fork with the report pipe, timed; returns the Child (pid 0 in the child).

    Raises OSError as os.fork does (the pipe is closed then).
    """
    child = Child(name, keys_total)
    t0 = time.perf_counter_ns()
    try:
        pid = os.fork()
    except OSError:
        child.close()
        raise
    if pid == 0:
        os.close(child.rfd)
        child.rfd = -1
        return child
    core.forks.latest_usec = (time.perf_counter_ns() - t0) // 1000
    core.forks.total += 1
    os.close(child.wfd)
    child.wfd = -1
    child.pid = pid
    return child


def run_in_child(work, failure):
    """In the child: work(), then leave with os._exit, status 0 on success; never returns.

    `failure` is the log line's format for the exception (one %s).
    """
    code = 1
    try:
        work()
        code = 0
    except BaseException as e:          # noqa: B036  (any failure is the child's exit status)
        log.warning(failure, e)
    finally:
        os._exit(code)


OK, STOPPED, FAILED = "ok", "stopped", "failed"


def outcome(pid, block=False):
    """(None, 0) while the child runs; else (OK | STOPPED | FAILED, its wait status)."""
    try:
        got, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        return FAILED, 1 << 8
    if got == 0:
        return None, 0
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return OK, status
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGUSR1:
        return STOPPED, status
    return FAILED, status


def stop(pid):
    """Ask a child to stop on purpose (its outcome is STOPPED, not a failure)."""
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        pass


__all__ = ["Child", "fork", "private_dirty", "IDLE_FIELDS", "run_in_child", "outcome", "stop"]
