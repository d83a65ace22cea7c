"""The append-only file, in Redis 7's multi-part layout: a base, incremental logs, a manifest.

In `dir/appenddirname` (default `appendonlydir`), with Redis 7.0's names:
    appendonly.aof.1.base.rdb   the data set when the log began (RDB format)
    appendonly.aof.1.incr.aof   every effective write since, as RESP commands
    appendonly.aof.manifest     the files in order: `file NAME seq N type b|i`
so a real redis-server 7 loads the directory, and we load Redis's.  With
`aof-use-rdb-preamble no` a new base is `appendonly.aof.N.base.aof`, the
commands that rebuild the data set (aofbase.py), as Redis writes it; the
setting applies from the next base written (a rewrite, a start without a
manifest, CONFIG SET appendonly yes).

Rules:
- The AOF is one consumer of the propagation stream (store/effects.py,
  store/propagation.py, commands/propagate.py): attached while the incr file
  is open, it gets each batch's effects in `feed`, after the batch and
  before any reply of the batch is sent, and appends them to the incr file;
  with `appendfsync always` it then fsyncs: a write is acknowledged only
  once it is on disk, and durability costs one write and one fsync per
  batch, not per command.  `everysec` fsyncs from cron at most once a
  second (in the loop, not a thread: an fsync stalls clients for its
  duration); `no` leaves it to the OS.
- A new incr file begins with a SELECT (`reselect` when it is opened).
- `flush` drains the stream (to every consumer), so what was propagated is
  in the file: before a rewrite opens a new incr file, at shutdown.
- Loading replays the incr files through a client slot of the Core whose
  replies are off, with propagation paused; aofload.py has it, and its rules.
- A new manifest is written to a temporary file and renamed over the old.
- Rewrites (BGREWRITEAOF) are aofrewrite.py's.
"""
import logging
import os
import time

from mako_numba.persistence import aofbase
from mako_numba.persistence.aofload import AofError, AofLoad
from mako_numba.persistence.aofrewrite import AofRewrite
from mako_numba.persistence.snapshots import fsync_dir, save_file

log = logging.getLogger("mako_numba")

FSYNC_POLICIES = ("always", "everysec", "no")


class Aof(AofRewrite, AofLoad):
    """The AOF of one server: its files, the fsync policy; a consumer of the propagation stream."""

    def __init__(self, core):
        self.core = core
        s = core.settings
        s.setdefault("appendonly", "no")
        s.setdefault("appendfsync", "everysec")
        s.setdefault("appendfilename", "appendonly.aof")
        s.setdefault("appenddirname", "appendonlydir")
        s.setdefault("auto-aof-rewrite-percentage", "100")
        s.setdefault("auto-aof-rewrite-min-size", str(64 << 20))
        s.setdefault("aof-use-rdb-preamble", "yes")
        self.fd = -1
        self.base = None            # (name, seq)
        self.incrs = []             # [(name, seq)]
        self.last_fsync = time.monotonic()
        self.unsynced = False
        self.last_write_ok = True
        self.loading = False
        self.current_size = 0
        self.base_size = 0
        self.rewrite_base_size = 0      # the size after the last rewrite (auto rewrite's reference)
        self.child = None               # (pid, started, index of the first incr file to keep)
        self.forked = None              # its forkchild.Child: the report pipe
        self.last_cow = 0               # aof_last_cow_size
        self.scheduled = False
        self.last_rewrite_ok = True
        self.last_rewrite_secs = -1
        self.rewrites = 0

    # --- names -------------------------------------------------------------------
    @property
    def dir(self):
        s = self.core.settings
        return os.path.join(s["dir"], s["appenddirname"])

    def _name(self, seq, kind):
        return "%s.%d.%s" % (self.core.settings["appendfilename"], seq, kind)

    @property
    def manifest_path(self):
        return os.path.join(self.dir, self.core.settings["appendfilename"] + ".manifest")

    def enabled(self):
        return self.core.settings["appendonly"] == "yes"

    def base_kind(self):
        """The name's ending of a base written now: "base.rdb", or "base.aof" (command form)
        under aof-use-rdb-preamble no (getNewBaseFileNameAndMarkPreAsHistory)."""
        return "base.rdb" if self.core.settings["aof-use-rdb-preamble"] == "yes" else "base.aof"

    def write_base(self, path, kind, progress=None):
        """Write the data set to path as a base of this kind; returns the number of keys."""
        if kind == "base.rdb":
            return save_file(self.core, path, progress=progress)
        keys = aofbase.save_base(self.core, path, progress=progress)
        fsync_dir(os.path.dirname(path))
        return keys

    # --- the manifest -----------------------------------------------------------------
    def _read_manifest(self):
        base, incrs = None, []
        with open(self.manifest_path, "r", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                words = line.split()
                if not words or words[0].startswith("#"):
                    continue
                fields = dict(zip(words[::2], words[1::2]))
                try:
                    entry = (fields["file"], int(fields["seq"]))
                    kind = fields["type"]
                except (KeyError, ValueError):
                    raise AofError("Invalid AOF manifest file format (line %d of %s)"
                                   % (n, self.manifest_path)) from None
                if kind == "b":
                    base = entry
                elif kind == "i":
                    incrs.append(entry)
        return base, incrs

    def _write_manifest(self):
        lines = []
        if self.base:
            lines.append("file %s seq %d type b\n" % self.base)
        for entry in self.incrs:
            lines.append("file %s seq %d type i\n" % entry)
        tmp = os.path.join(self.dir, "temp-" + os.path.basename(self.manifest_path))
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.manifest_path)
        fsync_dir(self.dir)

    # --- start -----------------------------------------------------------------------------
    def load(self):
        """Load the AOF at start-up (appendonly yes), creating it when absent; True if loaded."""
        if not os.path.exists(self.manifest_path):
            os.makedirs(self.dir, exist_ok=True)
            self._new_base()
            self._open_incr()
            return False
        self.base, self.incrs = self._read_manifest()
        self._load_files()
        if not self.incrs:
            self._new_incr()
        self._open_incr()
        return True

    def _new_base(self):
        """A base file holding the data set now, a fresh incr file, and their manifest."""
        seq = self.base[1] + 1 if self.base else 1
        kind = self.base_kind()
        name = self._name(seq, kind)
        log.info("Creating AOF base file %s on server start", name)
        self.write_base(os.path.join(self.dir, name), kind)
        self.base = (name, seq)
        self.base_size = self.current_size = os.path.getsize(os.path.join(self.dir, name))
        self.incrs = []
        self._new_incr()

    def _new_incr(self):
        seq = self.incrs[-1][1] + 1 if self.incrs else 1
        name = self._name(seq, "incr.aof")
        log.info("Creating AOF incr file %s on server start", name)
        open(os.path.join(self.dir, name), "ab").close()
        self.incrs.append((name, seq))
        self._write_manifest()

    def _open_incr(self):
        path = os.path.join(self.dir, self.incrs[-1][0])
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.core.propagation.attach(self)      # the file's first effect comes after a SELECT

    # --- writing ---------------------------------------------------------------------------
    def feed(self, data):
        """The stream's effects (a memoryview): appended to the incr file, fsync'd under `always`."""
        if self.fd < 0:
            return
        n = len(data)
        view = data
        while len(view):
            try:
                k = os.write(self.fd, view)
            except OSError as e:
                if self.last_write_ok:
                    log.warning("Error writing to the AOF file: %s", e.strerror)
                self.last_write_ok = False
                raise
            view = view[k:]
        self.current_size += n
        self.last_write_ok = True
        self.unsynced = True
        if self.core.settings["appendfsync"] == "always":
            os.fdatasync(self.fd)
            self.unsynced = False
            self.last_fsync = time.monotonic()

    def flush(self):
        """Drain the propagation stream: what was propagated is written (and fsync'd under `always`)."""
        self.core.propagation.drain()

    def flush_due(self):
        """flush, if the kernels propagated anything or asked for a bigger buffer."""
        self.core.propagation.drain_due()

    def cron(self):
        """Reap a rewrite child, start a scheduled or due rewrite; everysec's fsync.

        The Core drains the stream just before, so the fsync covers the effects so far.
        """
        self.reap()
        if self.child is None and not self.core.snapshots.in_progress():
            if self.scheduled:
                self.scheduled = False
                self.bgrewrite()
            elif self.fd >= 0 and self._growth_due():
                log.info("Starting automatic rewriting of AOF on %d%% growth",
                         self.current_size * 100 // max(self.rewrite_base_size, 1) - 100)
                self.bgrewrite()
        if self.fd < 0:
            return
        if self.unsynced and self.core.settings["appendfsync"] == "everysec" and \
                time.monotonic() - self.last_fsync >= 1.0:
            os.fdatasync(self.fd)
            self.unsynced = False
            self.last_fsync = time.monotonic()

    def stop(self):
        """Flush, fsync and close (shutdown, CONFIG SET appendonly no)."""
        if self.fd < 0:
            return
        self.flush()
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        self.core.propagation.detach(self)

    def start(self):
        """CONFIG SET appendonly yes: a base from the data set now (written here, blocking), then log."""
        os.makedirs(self.dir, exist_ok=True)
        if os.path.exists(self.manifest_path):
            self.base, self.incrs = self._read_manifest()
        self._new_base()
        self._open_incr()

    # --- INFO ----------------------------------------------------------------------------------
    def info_fields(self):
        on = self.fd >= 0
        fields = {
            "aof_enabled": int(on),
            "aof_rewrite_in_progress": int(self.child is not None),
            "aof_rewrite_scheduled": int(self.scheduled),
            "aof_last_rewrite_time_sec": self.last_rewrite_secs,
            "aof_current_rewrite_time_sec": int(time.time() - self.child[1]) if self.child else -1,
            "aof_last_bgrewrite_status": "ok" if self.last_rewrite_ok else "err",
            "aof_rewrites": self.rewrites,
            "aof_last_write_status": "ok" if self.last_write_ok else "err",
            "aof_last_cow_size": self.last_cow,
        }
        if on:
            fields.update({
                "aof_current_size": self.current_size, "aof_base_size": self.base_size,
                "aof_pending_rewrite": 0,
                "aof_buffer_length": self.core.propagation.pending(),
                "aof_pending_bio_fsync": 0, "aof_delayed_fsync": 0,
            })
        return fields

