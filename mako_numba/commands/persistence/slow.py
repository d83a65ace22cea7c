"""SAVE, BGSAVE, LASTSAVE and SHUTDOWN: the commands of persist.py's snapshots.

A mixin of Admin.  Replies and their order of checks follow Redis 7.0's
saveCommand, bgsaveCommand, lastsaveCommand and shutdownCommand (rdb.c,
server.c).  A SHUTDOWN that succeeds writes no reply: it saves (when save
points are set, or with SAVE), sets `core.shutdown_requested`, and the event
loop closes every connection and stops after the turn.
"""
import logging

from mako_numba.protocol import errors
from mako_numba.protocol import resp
from mako_numba.persistence.snapshots import save_points
from mako_numba.commands.slowpath import lower_arg
from mako_numba.base.layout import T_DIRTY

log = logging.getLogger("mako_numba")


class PersistCommands:
    in_exec = False             # set by EXEC while it runs its queued commands

    def save(self, call):
        snap = self.core.snapshots
        if snap.in_progress():
            return resp.error(errors.BGSAVE_IN_PROGRESS)
        return resp.simple("OK") if snap.save() else resp.error(errors.SAVE_FAILED)

    def bgsave(self, call):
        schedule = False
        if len(call.args) > 1:
            if len(call.args) == 2 and lower_arg(call.args[1]) == "schedule":
                schedule = True
            else:
                return resp.error(errors.SYNTAX)
        snap = self.core.snapshots
        if snap.in_progress():
            return resp.error(errors.BGSAVE_IN_PROGRESS)
        if self.core.aof.rewriting() or self.in_exec:   # Redis never forks inside EXEC
            if not (schedule or self.in_exec):
                return resp.error(errors.BGSAVE_OTHER_CHILD)
            snap.scheduled = True
            return resp.simple("Background saving scheduled")
        if snap.bgsave():
            return resp.simple("Background saving started")
        return resp.error(errors.SAVE_FAILED)

    def bgrewriteaof(self, call):
        aof = self.core.aof
        if aof.rewriting():
            return resp.error(errors.AOF_REWRITE_IN_PROGRESS)
        if self.core.snapshots.in_progress() or self.in_exec:
            aof.scheduled = True
            return resp.simple("Background append only file rewriting scheduled")
        if aof.bgrewrite():
            return resp.simple("Background append only file rewriting started")
        return resp.error(errors.AOF_REWRITE_FAILED)

    def lastsave(self, call):
        return resp.integer(self.core.snapshots.lastsave)

    def shutdown(self, call):
        flags = set()
        for a in call.args[1:]:
            word = lower_arg(a)
            if word not in ("nosave", "save", "now", "force", "abort"):
                return resp.error(errors.SYNTAX)
            flags.add(word)
        if ("abort" in flags and len(flags) > 1) or {"save", "nosave"} <= flags:
            return resp.error(errors.SYNTAX)
        if "abort" in flags:
            return resp.error(errors.SHUTDOWN_NOT_IN_PROGRESS)
        if "now" not in flags and self.in_exec:
            return resp.error(errors.SHUTDOWN_DENY_BLOCKING)
        if not self.prepare_shutdown(nosave="nosave" in flags, save="save" in flags,
                                     force="force" in flags):
            return resp.error(errors.SHUTDOWN_FAILED)
        return b""

    def prepare_shutdown(self, nosave=False, save=False, force=False):
        """Redis's prepareForShutdown: stop a BGSAVE, save if due; True when the server may exit."""
        core = self.core
        snap = core.snapshots
        log.warning("User requested shutdown...")
        if core.aof.rewriting():
            log.warning("There is a child rewriting the AOF. Killing it!")
            core.aof.kill_child()
        core.propagation.drain_due()        # every consumer gets the last effects
        if core.aof.fd >= 0:
            log.info("Calling fsync() on the AOF file.")
            core.aof.stop()
        if snap.in_progress():
            log.warning("There is a child saving an .rdb. Killing it!")
            snap.kill_child()
        if (save_points(core.settings.get("save", "")) and not nosave) or save:
            log.info("Saving the final RDB snapshot before exiting.")
            if not snap.save():
                if not force:
                    log.warning("Error trying to save the DB, can't exit.")
                    log.warning("Errors trying to shut down the server. Check the logs for more information.")
                    return False
                log.warning("Error trying to save the DB. Exit anyway.")
        core.shutdown_requested = True
        return True

    def after_flushall(self):
        """FLUSHALL with save points set saves the empty data set, as Redis does; one more change."""
        core = self.core
        snap = core.snapshots
        snap.kill_child()
        if save_points(core.settings.get("save", "")) and not core.aof.loading:
            snap.save()
        core.ks.tm[T_DIRTY] += 1
