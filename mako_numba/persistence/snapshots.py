"""Snapshots: the key space written as an RDB file, loaded from one, and saved on schedule.

`Snapshots` owns everything about the RDB file: where it lives (`dir`,
`dbfilename`), the save points (`save "3600 1 300 100 60 10000"`), SAVE,
BGSAVE in a forked child, and loading at start-up.  rdb.py has the format
(header, footer, decoding); snapkernels.py's kernel walks the key space,
rdbdump.py's encodes the records (a list's nodes cut by the server's
list-max-listpack-size), and loadfile.py loads a file.

Rules:
- A file is written as Redis writes it: to `temp-<pid>.rdb` in the same
  directory, flushed and fsynced, then renamed over the target and the
  directory fsynced.  A crash at any moment leaves the previous snapshot
  whole.
- BGSAVE forks.  The child writes from its copy-on-write view of the arrays
  and leaves with os._exit, never returning into the event loop; the parent
  keeps serving and notices the end in `cron` (waitpid, WNOHANG).
- Changes are counted by the kernels (tm[T_DIRTY], Redis's server.dirty);
  `rdb_changes_since_last_save` is that count minus its value when the last
  successful save began.
- Loading is all or nothing: any RdbError (unsupported type, corruption,
  bad checksum, a duplicated key) raises, and the server does not start.
  Keys already expired are skipped, as a Redis master skips them.
- Save points, BGSAVE retries after a failure (after 5 s, as Redis's
  CONFIG_BGSAVE_RETRY_DELAY) and a scheduled BGSAVE run from `cron`.
- The fork is timed and the child reports its copy-on-write memory over a
  pipe (forkchild.py): `latest_fork_usec`, `total_forks`, `rdb_last_cow_size`
  and the `current_*` fields of INFO persistence, as Redis reports them.
- A child that dies by a signal (kill -9, or SIGUSR1 from `kill_child`)
  leaves its `temp-<pid>.rdb`; the parent removes it when it reaps the child,
  as Redis's backgroundSaveDoneHandler does.
"""
import logging
import os
import time

import numpy as np

from mako_numba.config import params
from mako_numba.config import settings as config
from mako_numba.persistence import forkchild
from mako_numba.persistence.info import info_persistence
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.rdb import RdbError, RdbWriter
from mako_numba.persistence.rdbdump import encode_records, worst_case
from mako_numba.persistence.snapkernels import dump_rows
from mako_numba.store.types import list as list_type
from mako_numba.base.layout import T_DIRTY

log = logging.getLogger("mako_numba")

REDIS_DEFAULT_SAVE = params.REDIS_DEFAULT_SAVE
BGSAVE_RETRY_DELAY = 5          # seconds after a failed BGSAVE before save points try again
WRITE_BUFFER = 1 << 20
DUMP_ROWS = 4096                # keys per kernel call: more (32768) was slower, `out` left L2


def save_points(text):
    """`save` as [(seconds, changes)], [] when it is "" (no snapshots)."""
    parts = text.split()
    return [(int(parts[i]), int(parts[i + 1])) for i in range(0, len(parts) - 1, 2)]


def write_rdb(core, f, compress=True, checksum=True, progress=None):
    """Write the whole key space to the binary file f; returns the number of keys.

    progress(keys written so far), if given, is called after every batch of keys.
    """
    ks = core.ks
    T = ks.T
    w = RdbWriter(compress=compress, checksum=checksum)
    f.write(w.header({"used-mem": ks.used_bytes()}))
    rows = np.zeros((DUMP_ROWS, 4), np.int64)
    out = np.zeros(1 << 20, np.uint8)
    tmp = np.zeros(64, np.uint8)
    lzf = w.lzf_state()
    delay = int(core.settings.get("rdb-key-save-delay", "0"))
    fill = list_type.clamp_fill(core.settings.get("list-max-listpack-size",
                                                  config.LIST_MAX_LISTPACK_SIZE))
    keys = 0
    for logical in range(ks.databases):
        pdb = int(ks.dbk[logical, 2])
        nkeys = int(ks.dbk[pdb, 0])
        if nkeys == 0:
            continue
        f.write(w.select_db(logical, nkeys, int(ks.dbk[pdb, 1])))
        for which, ix in ((1, T[1]), (2, T[2])):
            pos, size = 0, ix.shape[0]
            while pos < size:
                n, pos = dump_rows(T, which, pos, pdb, rows)
                if n == 0:
                    continue
                need, scratch = worst_case(rows, n, fill)
                if need > out.shape[0]:
                    out = np.zeros(1 << (need - 1).bit_length(), np.uint8)
                if scratch > tmp.shape[0]:
                    tmp = np.zeros(1 << (scratch - 1).bit_length(), np.uint8)
                m, lzf.base = encode_records(rows, n, out, tmp, lzf.htab, lzf.base, w.compress,
                                             fill)
                f.write(w.records(out[:m]))
                keys += n
                if delay:
                    key_save_delay(delay, n)
                if progress is not None:
                    progress(keys)
    f.write(w.footer())
    return keys


def key_save_delay(usec, n):
    """Redis's rdb-key-save-delay (a testing knob) for n keys: usec > 0 sleeps usec per key;
    usec < 0 sleeps 1 us after every -usec keys (each sleep a system call, as Redis's usleep)."""
    if usec > 0:
        time.sleep(usec * n / 1e6)
    else:
        for _ in range(n // -usec):
            time.sleep(1e-6)


def save_file(core, path, compress=True, checksum=True, progress=None):
    """Write the snapshot to path through a temporary file; returns the number of keys."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, "temp-%d.rdb" % os.getpid())
    try:
        with open(tmp, "wb", buffering=WRITE_BUFFER) as f:
            keys = write_rdb(core, f, compress, checksum, progress)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)
    return keys


def fsync_dir(path):
    """fsync a directory, so a rename into it survives a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Snapshots:
    """The RDB file of one server, its save schedule and its BGSAVE child."""

    def __init__(self, core, directory=".", dbfilename="dump.rdb"):
        self.core = core
        core.info.register("persistence", info_persistence)
        s = core.settings
        s.setdefault("save", "")                # the server's command line gives Redis's default
        s.setdefault("dir", os.path.abspath(directory))
        s.setdefault("dbfilename", dbfilename)
        s.setdefault("rdbcompression", "yes")
        s.setdefault("rdbchecksum", "yes")
        self.dirty_at_save = 0          # tm[T_DIRTY] when the last good save began
        self.lastsave = int(time.time())
        self.last_try = 0               # when the last BGSAVE was tried
        self.last_status_ok = True
        self.last_bgsave_ok = True
        self.last_bgsave_secs = -1
        self.saves = 0
        self.child = None               # (pid, started, dirty when it forked)
        self.forked = None              # its forkchild.Child: the report pipe
        self.last_cow = 0               # rdb_last_cow_size
        self.scheduled = False
        self.loaded = self.load_expired = 0

    @property
    def path(self):
        s = self.core.settings
        return os.path.join(s["dir"], s["dbfilename"])

    def dirty(self):
        return int(self.core.ks.tm[T_DIRTY])

    def changes(self):
        return self.dirty() - self.dirty_at_save

    def _options(self):
        s = self.core.settings
        return s["rdbcompression"] == "yes", s["rdbchecksum"] == "yes"

    # --- saving ---------------------------------------------------------------------
    def save(self):
        """SAVE: write the snapshot now, in the foreground; True on success."""
        dirty = self.dirty()
        try:
            save_file(self.core, self.path, *self._options())
        except OSError as e:
            log.warning("Failed opening the temp RDB file temp-%d.rdb (in server root dir %s) "
                        "for saving: %s", os.getpid(), self.core.settings["dir"], e.strerror or e)
            self.last_status_ok = False
            return False
        log.info("DB saved on disk")
        self._saved(dirty)
        return True

    def _saved(self, dirty):
        self.dirty_at_save = dirty
        self.lastsave = int(time.time())
        self.last_status_ok = True
        self.saves += 1

    def bgsave(self):
        """Fork a child that writes the snapshot; True if it started."""
        self.last_try = time.time()
        dirty = self.dirty()
        try:
            forked = forkchild.fork(self.core, "RDB", self.core.ks.keys())
        except OSError as e:
            log.warning("Can't save in background: fork: %s", e.strerror)
            self.last_bgsave_ok = False
            return False
        pid = forked.pid
        if pid == 0:                    # the child: write, and leave without returning
            def work():
                keys = save_file(self.core, self.path, *self._options(), progress=forked.progress)
                log.info("DB saved on disk")
                forked.done(keys)
            forkchild.run_in_child(work, "Write error saving DB on disk: %s")
        log.info("Background saving started by pid %d", pid)
        self.child = (pid, time.time(), dirty)
        self.forked = forked
        return True

    def in_progress(self):
        return self.child is not None

    def current_secs(self):
        return int(time.time() - self.child[1]) if self.child else -1

    def reap(self, block=False):
        """Notice a finished BGSAVE child (waits for it when block)."""
        if self.child is None:
            return
        pid, started, dirty = self.child
        ended = self.forked.reap(block)
        if ended is None:
            return
        (result, status), forked = ended, self.forked
        self.child = self.forked = None
        self.last_bgsave_secs = int(time.time() - started)
        if os.WIFSIGNALED(status):      # the child's temporary file is left: remove it
            try:
                os.unlink(os.path.join(self.core.settings["dir"], "temp-%d.rdb" % pid))
            except OSError:
                pass
        if result == forkchild.OK:
            log.info("Background saving terminated with success")
            self.last_bgsave_ok = True
            if forked.final_cow is not None:
                self.last_cow = forked.final_cow
            self._saved(dirty)
        elif result == forkchild.FAILED:
            log.warning("Background saving %s", "error" if os.WIFEXITED(status)
                        else "terminated by signal %d" % os.WTERMSIG(status))
            self.last_bgsave_ok = False
            self.last_status_ok = False

    def kill_child(self):
        """Stop a running BGSAVE (FLUSHALL, shutdown); reap removes its temporary file."""
        if self.child is None:
            return
        forkchild.stop(self.child[0])
        self.reap(block=True)

    def cron(self):
        """Reap a finished child; start a scheduled BGSAVE or one a save point asks for."""
        self.reap()
        if self.child is not None or self.core.aof.rewriting():
            return
        if self.scheduled:
            self.scheduled = False
            self.bgsave()
            return
        changes = self.changes()
        if changes <= 0:
            return
        now = time.time()
        for seconds, need in save_points(self.core.settings["save"]):
            if changes >= need and now - self.lastsave > seconds and (
                    self.last_bgsave_ok or now - self.last_try > BGSAVE_RETRY_DELAY):
                log.info("%d changes in %d seconds. Saving...", need, seconds)
                self.bgsave()
                return

    # --- loading ------------------------------------------------------------------------
    def load(self):
        """Load the RDB file at start-up if there is one; True if one was loaded."""
        path = self.path
        if not os.path.exists(path):
            return False
        t0 = time.perf_counter()
        self.loaded, self.load_expired = load_file(self.core, path)
        self.dirty_at_save = self.dirty()
        log.info("Done loading RDB, keys loaded: %d, keys expired: %d.", self.loaded, self.load_expired)
        log.info("DB loaded from disk: %.3f seconds", time.perf_counter() - t0)
        return True

    # --- INFO persistence -------------------------------------------------------------------
    def info_fields(self):
        current = self.forked.info_fields() if self.forked is not None else forkchild.IDLE_FIELDS
        return {
            **current,
            "rdb_changes_since_last_save": self.changes(),
            "rdb_bgsave_in_progress": int(self.child is not None),
            "rdb_last_save_time": self.lastsave,
            "rdb_last_bgsave_status": "ok" if self.last_bgsave_ok else "err",
            "rdb_last_bgsave_time_sec": self.last_bgsave_secs,
            "rdb_current_bgsave_time_sec": self.current_secs(),
            "rdb_saves": self.saves,
            "rdb_last_cow_size": self.last_cow,
            "rdb_last_load_keys_expired": self.load_expired,
            "rdb_last_load_keys_loaded": self.loaded,
        }


__all__ = ["Snapshots", "RdbError", "save_points", "save_file", "config"]
