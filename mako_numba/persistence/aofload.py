"""Loading the AOF: its base and incr files replayed into the key space.

A mixin of aof.Aof: at start-up (`Aof.load`) and for DEBUG LOADAOF
(`reload`, reload.py).

Rules:
- A base that begins as an RDB file ("REDIS") is loaded as one, keeping
  keys whose time is up (a later command of the log may PERSIST them); any
  other base (`.base.aof`, written under aof-use-rdb-preamble no) and the
  incr files are replayed through a client slot of the Core whose replies
  are off, with propagation paused (nothing replayed reaches the stream's
  consumers, as Redis's loading).  The content decides, not the name, as
  in Redis's loadSingleAppendOnlyFile.
- A last command cut short (a crash mid-write) is cut off the file, as
  Redis's `aof-load-truncated yes`; anything else malformed stops with the
  file and the byte offset, and a command we do not have (another data
  type's) stops naming the command, as Redis's loader does.
- Nothing expires while loading (tm[T_LOADING]), on whichever meta array
  the key space has when the log is in (a FLUSHALL in the log replaces it).
"""
import logging
import os
import time

from mako_numba.base.layout import (
    C_FLAGS, C_OUT_SENT, C_OUT_WR, C_RD, C_TX_START, C_WR, F_CLOSE_AFTER, F_CLOSE_NOW, F_MULTI,
    F_REPLY_OFF, T_LOADING,
)
from mako_numba.persistence.aofbase import is_rdb
from mako_numba.persistence.loadfile import load_file
from mako_numba.persistence.rdb import RdbError
from mako_numba.protocol import resp

log = logging.getLogger("mako_numba")

READ_CHUNK = 1 << 20


class AofError(Exception):
    """The append-only files cannot be loaded (the message names the file and offset)."""


class AofLoad:
    def reload(self):
        """DEBUG LOADAOF: the data set again from the files on disk, with propagation paused
        (the caller emptied it); False when there are none (Redis's loader then exits).

        Inside EXEC, the transaction's effects so far stay in the stream: Redis
        propagates them when EXEC ends, so the replay does not see them.
        """
        self.core.propagation.drain_before_tx()
        if not os.path.exists(self.manifest_path):
            return False
        self.base, self.incrs = self._read_manifest()
        self._load_files()
        return True

    def _load_files(self):
        """Replay the base and incr files of the manifest into the key space."""
        t0 = time.perf_counter()
        self.loading = True
        tm = self.core.ks.tm
        tm[T_LOADING] = 1               # nothing expires until the whole log is in (Redis's loading)
        with self.core.propagation.paused():
            try:
                if self.base:
                    path = os.path.join(self.dir, self.base[0])
                    if is_rdb(path):
                        log.info("Reading RDB base file on AOF loading...")
                        try:
                            load_file(self.core, path, keep_expired=True)
                        except RdbError as e:
                            raise AofError("%s: %s" % (path, e)) from None
                    else:
                        self._replay(path, last=not self.incrs)
                    self.base_size = os.path.getsize(path)
                for i, (name, _) in enumerate(self.incrs):
                    self._replay(os.path.join(self.dir, name), last=i == len(self.incrs) - 1)
            finally:
                self.loading = False
                self.core.ks.tm[T_LOADING] = 0      # a FLUSHALL in the log replaced tm
        self.current_size = self.base_size + sum(
            os.path.getsize(os.path.join(self.dir, n)) for n, _ in self.incrs)
        self.rewrite_base_size = self.current_size
        log.info("DB loaded from append only file: %.3f seconds", time.perf_counter() - t0)

    def _replay(self, path, last):
        """Run the commands of one AOF file through a client slot with replies off."""
        core = self.core
        core.await_kernels()            # every family: its commands run through the kernels
        slot = core.open(peer=("aof", 0))
        conn = core.conn
        conn[slot, C_FLAGS] |= F_REPLY_OFF
        core.admin.last_unknown = None
        fed = 0
        try:
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(READ_CHUNK)
                    if not chunk:
                        break
                    core.feed(slot, chunk)
                    fed += len(chunk)
                    again = core.run([slot])
                    while again:
                        again = core.run(again)
                    conn[slot, C_OUT_SENT] = conn[slot, C_OUT_WR] = 0
                    if core.admin.last_unknown is not None:     # another data type's command
                        raise AofError("Unknown command '%s' reading the append only file %s"
                                       % (core.admin.last_unknown.decode("latin-1")[:128], path))
                    if conn[slot, C_FLAGS] & (F_CLOSE_AFTER | F_CLOSE_NOW):
                        at = fed - int(conn[slot, C_WR]) + int(conn[slot, C_RD])
                        raise AofError("Bad file format reading the append only file %s at offset "
                                       "%d: make a backup of your AOF file, then use "
                                       "./redis-check-aof --fix <filename.manifest>" % (path, at))
            start = fed - int(conn[slot, C_WR])         # file offset of the buffer's first byte
            valid = start + int(conn[slot, C_RD])
            if conn[slot, C_FLAGS] & F_MULTI:
                valid = min(valid, start + int(conn[slot, C_TX_START]) - len(resp.bulk_array([b"MULTI"])))
                log.warning("Revert incomplete MULTI/EXEC transaction in AOF file %s", path)
            if valid < fed:
                if not last:
                    raise AofError("Unexpected end of file reading the append only file %s "
                                   "(offset %d), which is not the last one" % (path, valid))
                log.warning("!!! Warning: short read while loading the AOF file %s!!!", path)
                log.warning("!!! Truncating the AOF %s at offset %d !!!", path, valid)
                os.truncate(path, valid)
                log.warning("AOF %s loaded anyway because aof-load-truncated is enabled", path)
        finally:
            core.close(slot)
