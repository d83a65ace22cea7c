"""DEBUG RELOAD and DEBUG LOADAOF: the data set emptied and loaded again while serving.

A mixin of Admin, after Redis 7.0's debugCommand (debug.c):
- DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the RDB file (unless
  NOSAVE), empty the data set (unless NOFLUSH), load the file back.  With
  NOFLUSH the file's keys join the ones in memory; MERGE lets a file's key
  replace one of the same name (Redis's RDBFLAGS_ALLOW_DUP).  A failed save
  answers `-ERR`, a failed load "Error trying to load the RDB dump" (the data
  set stays emptied, as in Redis).
- DEBUG LOADAOF: write what the AOF buffer holds, empty the data set and
  replay the AOF files of the manifest on disk (even with appendonly no, as
  Redis does).  Inside EXEC, the transaction's own writes are not on disk
  yet (Redis propagates them when EXEC ends), so the replay lacks them.  When there are none, or they cannot be loaded, Redis's
  loader exits the process with status 1 without a reply; so do we.

Rules:
- Neither is propagated to the AOF: the change counter is put back as it
  was.  DEBUG RELOAD's save sets rdb_changes_since_last_save to 0 (NOSAVE
  keeps it); LOADAOF sets it to 0, as Redis zeroes server.dirty.
- Watchers of keys that existed are touched (Redis's emptyData signals the
  flushed databases).
- LOADAOF replays the log through the Core's batches while a batch is
  running (this command is one of its slow-path requests): `own_batch`
  gives the replay fresh queue, argument, scratch and result arrays and puts
  the running batch's back afterwards.
"""
import contextlib
import logging
import os

import numpy as np

from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.persistence.aofload import AofError
from mako_numba.base.jit import addr_of
from mako_numba.base.layout import B_BATCHES, B_NEXT_ID, B_NFIELDS, B_SCRATCH_ADDR, T_DIRTY
from mako_numba.persistence.rdb import RdbError
from mako_numba.persistence.loadfile import load_file
from mako_numba.commands.slowpath import lower_arg

log = logging.getLogger("mako_numba")


@contextlib.contextmanager
def own_batch(core):
    """Batches run inside a slow-path command keep off the running batch's arrays."""
    saved = (core.q, core.args, core.bm, core.scratch, core.slowq, core.ready, core.res,
             core.h, core._tx, core._tx_depth)
    bm = np.zeros(B_NFIELDS, np.int64)
    scratch = np.zeros_like(core.scratch)
    bm[B_SCRATCH_ADDR] = addr_of(scratch)
    bm[B_NEXT_ID], bm[B_BATCHES] = core.bm[B_NEXT_ID], core.bm[B_BATCHES]
    core.q, core.args = np.zeros_like(core.q), np.zeros_like(core.args)
    core.bm, core.scratch = bm, scratch
    core.slowq, core.ready, core.res = (np.zeros_like(core.slowq), np.zeros_like(core.ready),
                                        np.zeros_like(core.res))
    core.h = core._handles(core.ready, core.q, core.bm, core.scratch, core.res)
    core._tx, core._tx_depth = [], 0
    try:
        yield
    finally:
        next_id, batches = int(core.bm[B_NEXT_ID]), int(core.bm[B_BATCHES])
        (core.q, core.args, core.bm, core.scratch, core.slowq, core.ready, core.res,
         core.h, core._tx, core._tx_depth) = saved
        core.bm[B_NEXT_ID], core.bm[B_BATCHES] = next_id, batches


class ReloadCommands:
    def _empty_data(self):
        """Redis's emptyData(-1): every key gone, watchers of existing keys touched."""
        self.core.watches.flushing()
        self.core.ks.reset()

    def debug_reload(self, call):
        core = self.core
        merge, flush, save = False, True, True
        for a in call.args[2:]:
            opt = lower_arg(a.split(b"\0", 1)[0])
            if opt == "merge":
                merge = True
            elif opt == "noflush":
                flush = False
            elif opt == "nosave":
                save = False
            else:
                return resp.error(errors.DEBUG_RELOAD_OPTION)
        snap = core.snapshots
        if save and not snap.save():
            return resp.error(errors.GENERIC_ERR)
        dirty = int(core.ks.tm[T_DIRTY])
        if flush:
            self._empty_data()
        try:
            snap.loaded, snap.load_expired = load_file(core, snap.path, merge=merge)
        except (OSError, RdbError) as e:
            log.warning("Error loading %s: %s", snap.path, e)
            return resp.error(errors.DEBUG_RELOAD_LOAD)
        finally:
            core.ks.tm[T_DIRTY] = dirty
        log.warning("DB reloaded by DEBUG RELOAD")
        return resp.simple("OK")

    def debug_loadaof(self, call):
        core = self.core
        aof = core.aof
        dirty = int(core.ks.tm[T_DIRTY])
        self._empty_data()
        in_exec = self.in_exec
        try:
            with own_batch(core):
                found = aof.reload()
        except (AofError, OSError) as e:
            log.warning("%s", e)
            found = False
        finally:
            self.in_exec = in_exec
        if not found:
            logging.shutdown()
            os._exit(1)
        core.ks.tm[T_DIRTY] = core.snapshots.dirty_at_save = dirty     # no changes since a save
        log.warning("Append Only File loaded by DEBUG LOADAOF")
        return resp.simple("OK")
