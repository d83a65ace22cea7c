"""The append-only file, in Redis 7's multi-part layout: a base, incremental logs, a manifest.

In `dir/appenddirname` (default `appendonlydir`), with Redis 7.0's names:
    appendonly.aof.1.base.rdb   the data set when the log began (RDB format)
    appendonly.aof.1.incr.aof   every effective write since, as RESP commands
    appendonly.aof.manifest     the files in order: `file NAME seq N type b|i`
so a real redis-server 7 loads the directory, and we load Redis's.

Rules:
- The kernels log each effective write into a buffer (aoflog.py,
  propagate.py).  `flush` writes the buffer to the incr file after the batch,
  before any reply of the batch is sent; with `appendfsync always` it then
  fsyncs: a write is acknowledged only once it is on disk, and durability
  costs one write and one fsync per batch, not per command.  `everysec`
  fsyncs from cron at most once a second (in the loop, not a thread: an
  fsync stalls clients for its duration); `no` leaves it to the OS.
- Slow-path writes (FLUSHALL, INCRBYFLOAT ...) are logged from Python by
  `log_command`, with the same SELECT and MULTI bookkeeping the kernels keep
  in tm.
- Loading replays the incr files through a client slot of the Core whose
  replies are off, with logging off; aofload.py has it, and its rules.
- A new manifest is written to a temporary file and renamed over the old.
- Rewrites (BGREWRITEAOF) are aofrewrite.py's.
"""
import logging
import os
import time

import numpy as np

from mako_numba.base.jit import addr_of
from mako_numba.base.layout import T_AOF_ADDR, T_AOF_CAP, T_AOF_DB, T_AOF_NEED, T_AOF_TX, T_AOF_WR
from mako_numba.persistence.aofload import AofError, AofLoad, _resp
from mako_numba.persistence.aofrewrite import AofRewrite
from mako_numba.persistence.snapshots import fsync_dir, save_file

log = logging.getLogger("mako_numba")

BUFFER = 1 << 20                # the log buffer's first size
FSYNC_POLICIES = ("always", "everysec", "no")


class Aof(AofRewrite, AofLoad):
    """The AOF of one server: its files, the kernels' log buffer, the fsync policy."""

    def __init__(self, core):
        self.core = core
        s = core.settings
        s.setdefault("appendonly", "no")
        s.setdefault("appendfsync", "everysec")
        s.setdefault("appendfilename", "appendonly.aof")
        s.setdefault("appenddirname", "appendonlydir")
        s.setdefault("auto-aof-rewrite-percentage", "100")
        s.setdefault("auto-aof-rewrite-min-size", str(64 << 20))
        self.buf = None
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
        self.tx_from = 0                # where the running EXEC's log begins in the buffer
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
        name = self._name(seq, "base.rdb")
        log.info("Creating AOF base file %s on server start", name)
        save_file(self.core, os.path.join(self.dir, name))
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
        self.start_logging()

    def start_logging(self):
        tm = self.core.ks.tm
        if self.buf is None:
            self.buf = np.zeros(BUFFER, np.uint8)
        tm[T_AOF_ADDR] = addr_of(self.buf)
        tm[T_AOF_CAP] = self.buf.shape[0]
        tm[T_AOF_WR] = 0
        tm[T_AOF_DB] = -1               # the next command logs its SELECT
        tm[T_AOF_TX] = 0

    # --- writing ---------------------------------------------------------------------------
    def flush(self):
        """Write the logged bytes to the incr file (and fsync under `always`)."""
        tm = self.core.ks.tm
        n = int(tm[T_AOF_WR])
        if n and self.fd >= 0:
            view = memoryview(self.buf)[:n]
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
        tm[T_AOF_WR] = 0
        self.tx_from = 0                # a running EXEC's log now starts at the buffer's start
        need = int(tm[T_AOF_NEED])
        if need > self.buf.shape[0]:
            self.buf = np.zeros(1 << (need - 1).bit_length(), np.uint8)
            tm[T_AOF_ADDR] = addr_of(self.buf)
            tm[T_AOF_CAP] = self.buf.shape[0]
        tm[T_AOF_NEED] = 0

    def flush_due(self):
        """flush, if the kernels logged anything or asked for a bigger buffer."""
        tm = self.core.ks.tm
        if tm[T_AOF_WR] or tm[T_AOF_NEED]:
            self.flush()

    def cron(self):
        """Reap a rewrite child, start a scheduled or due rewrite; everysec's fsync."""
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
        self.flush_due()
        if self.unsynced and self.core.settings["appendfsync"] == "everysec" and \
                time.monotonic() - self.last_fsync >= 1.0:
            os.fdatasync(self.fd)
            self.unsynced = False
            self.last_fsync = time.monotonic()

    def log_command(self, db, args):
        """A slow-path write, as Redis propagates it (args: the command's words)."""
        tm = self.core.ks.tm
        if not tm[T_AOF_ADDR]:
            return
        data = b""
        if tm[T_AOF_TX] == 1:
            data += _resp([b"MULTI"])
            tm[T_AOF_TX] = 2
        if tm[T_AOF_DB] != db:
            data += _resp([b"SELECT", b"%d" % db])
            tm[T_AOF_DB] = db
        self.append(data + _resp(args))

    def append(self, data):
        tm = self.core.ks.tm
        wr = int(tm[T_AOF_WR])
        if wr + len(data) > self.buf.shape[0]:
            tm[T_AOF_NEED] = wr + len(data)
            self.flush()
            wr = 0
            if len(data) > self.buf.shape[0]:
                tm[T_AOF_NEED] = len(data)
                self.flush()
        self.buf[wr:wr + len(data)] = np.frombuffer(data, np.uint8)
        tm[T_AOF_WR] = wr + len(data)

    def exec_begin(self):
        if self.core.ks.tm[T_AOF_ADDR]:
            self.core.ks.tm[T_AOF_TX] = 1
            self.tx_from = int(self.core.ks.tm[T_AOF_WR])

    def exec_end(self):
        tm = self.core.ks.tm
        if tm[T_AOF_TX] == 2:
            self.append(_resp([b"EXEC"]))
        tm[T_AOF_TX] = 0

    def stop(self):
        """Flush, fsync and close (shutdown, CONFIG SET appendonly no)."""
        if self.fd < 0:
            return
        self.flush()
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        self.core.ks.tm[T_AOF_ADDR] = 0

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
                "aof_buffer_length": int(self.core.ks.tm[T_AOF_WR]),
                "aof_pending_bio_fsync": 0, "aof_delayed_fsync": 0,
            })
        return fields

