"""AOF rewrites: a new base written by a forked child while the log goes on.

A mixin of aof.Aof.

Rules:
- BGREWRITEAOF (and the automatic rewrite when the files grew by
  auto-aof-rewrite-percentage past auto-aof-rewrite-min-size) opens a new
  incr file first and lists it in the manifest, then forks a child that
  writes the data set as the next base.  When the child succeeds the
  manifest becomes the new base plus the incr files opened since, and the
  old files are removed; when it fails nothing changes.  A crash at any
  moment leaves a manifest whose files hold every logged write.
- The child writes the base as an RDB file (`N.base.rdb`) or, under
  `aof-use-rdb-preamble no`, as commands (`N.base.aof`, aofbase.py): the
  setting when it forks decides the content and the name.
- The child is forkchild's: timed, reporting its copy-on-write
  (aof_last_cow_size), stopped on purpose by shutdown without counting as a
  failure, as in Redis.  A failed or stopped child's temporary files are
  removed (aofRemoveTempFile).
"""
import logging
import os
import time

from mako_numba.persistence import aofbase, forkchild

log = logging.getLogger("mako_numba")


class AofRewrite:
    def _growth_due(self):
        s = self.core.settings
        pct = int(s["auto-aof-rewrite-percentage"])
        if not pct or self.current_size < int(s["auto-aof-rewrite-min-size"]):
            return False
        return self.current_size * 100 // max(self.rewrite_base_size, 1) - 100 >= pct

    def rewriting(self):
        return self.child is not None

    def _temp(self, pid):
        return os.path.join(self.dir, "temp-rewriteaof-bg-%d.aof" % pid)

    def bgrewrite(self):
        """Start a rewrite: a new incr file now, a child writing the next base; True if forked."""
        try:
            os.makedirs(self.dir, exist_ok=True)
            if self.fd >= 0:
                self.flush()
                os.fsync(self.fd)
                os.close(self.fd)
                self.fd = -1
                self._new_incr()            # the writes from now on: kept after the rewrite
                self._open_incr()
            keep = len(self.incrs) - 1 if self.fd >= 0 else len(self.incrs)
            kind = self.base_kind()
            started = time.time()
            forked = forkchild.fork(self.core, "AOF rewrite", self.core.ks.keys())
        except OSError as e:
            log.warning("Can't rewrite append only file in background: %s", e.strerror or e)
            self.last_rewrite_ok = False
            return False
        if forked.pid == 0:                 # the child: write the base, leave without returning
            def work():
                forked.done(self.write_base(self._temp(os.getpid()), kind, progress=forked.progress))
            forkchild.run_in_child(work, "Write error writing append only file on disk: %s")
        log.info("Background append only file rewriting started by pid %d", forked.pid)
        self.child = (forked.pid, started, keep, kind)
        self.forked = forked
        return True

    def reap(self, block=False):
        """Notice a finished rewrite child: install its base, or forget it."""
        if self.child is None:
            return
        pid, started, keep, kind = self.child
        ended = self.forked.reap(block)
        if ended is None:
            return
        (result, _), forked = ended, self.forked
        self.child = self.forked = None
        self.last_rewrite_secs = int(time.time() - started)
        tmp = self._temp(pid)
        if result != forkchild.OK:
            if result == forkchild.FAILED:
                log.warning("Background AOF rewrite terminated with error")
                self.last_rewrite_ok = False
            for path in (tmp, aofbase.temp_path(self.dir, pid),
                         os.path.join(self.dir, "temp-%d.rdb" % pid)):
                _unlink(path)
            return
        if forked.final_cow is not None:
            self.last_cow = forked.final_cow
        seq = self.base[1] + 1 if self.base else 1
        name = self._name(seq, kind)
        os.replace(tmp, os.path.join(self.dir, name))
        log.info("Successfully renamed the temporary AOF base file %s into %s",
                 os.path.basename(tmp), name)
        history = ([self.base] if self.base else []) + self.incrs[:keep]
        self.base = (name, seq)
        self.incrs = self.incrs[keep:]
        self._write_manifest()
        for old, _ in history:
            log.info("Removing the history file %s in the background", old)
            _unlink(os.path.join(self.dir, old))
        self.base_size = os.path.getsize(os.path.join(self.dir, name))
        self.current_size = self.base_size + sum(
            os.path.getsize(os.path.join(self.dir, n)) for n, _ in self.incrs)
        self.rewrite_base_size = self.current_size
        self.last_rewrite_ok = True
        self.rewrites += 1
        log.info("Background AOF rewrite terminated with success")

    def kill_child(self):
        """Stop a running rewrite (shutdown) and remove its temporary file."""
        if self.child is None:
            return
        forkchild.stop(self.child[0])
        self.reap(block=True)



def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass
