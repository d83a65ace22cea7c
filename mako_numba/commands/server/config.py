"""CONFIG GET/SET/RESETSTAT: the parameters the server has, as Redis names them.

A mixin of Admin.  The parameters, their checks, defaults and mutability are
config/params.py's table; CONFIG SET validates each value with its row (the
way Redis's config.c does, numbers through cnum.py) and answers with Redis's
error texts; an immutable row is refused with its reason (immutable,
protected), any other name is unknown.  Applying a change is the owner's:
each row names a hook, run here in APPLY_ORDER.
maxmemory-clients is validated and recorded only (no client eviction).
Values are kept as the latin-1 text of their bytes and sent back as those
bytes; the file names are kept as the file system's text.
"""
import os

from mako_numba.config import params
from mako_numba.config import settings as config
from mako_numba.protocol import errors
from mako_numba.store import evict
from mako_numba.protocol import resp
from mako_numba.server.netlimits import merge_obuf
from mako_numba.base.glob import match
from mako_numba.base.cnum import c_int
from mako_numba.server.maxclients import adjust_open_files
from mako_numba.commands.slowpath import cstr, lower_arg


class ConfigCommands:
    # --- CONFIG ----------------------------------------------------------------------------
    def config(self, call):
        return self._subcommand(call, "config")

    def config_get(self, call):
        """CONFIG GET name-or-pattern ...: a name without [*? is looked up and answered as the
        client wrote it; a pattern answers the canonical names it matches (not hidden ones).
        A parameter is answered once (names compare case-insensitively, as C strings)."""
        found = {}
        values = config_params(self.core)
        for pat in call.args[2:]:
            if not any(ch in cstr(pat) for ch in b"[*?"):
                name = lower_arg(pat)
                if name in values and lower_arg(cstr(pat)) not in found:
                    found[lower_arg(cstr(pat))] = (pat, values[name])
                continue
            for name, value in values.items():
                if name in HIDDEN_PARAMS or name in found:
                    continue
                if match(cstr(pat), name.encode(), nocase=True):
                    found[name] = (name.encode(), value)
        return resp.map_([(resp.bulk(k), resp.bulk(_wire(k, v))) for k, v in found.values()],
                         call.proto)

    def config_set(self, call):
        """CONFIG SET name value [name value ...], as Redis 7.0's configSetCommand.

        Names are looked up first (unknown, immutable, protected, duplicate:
        the first problem is the answer, naming the argument as written),
        then every value is parsed (the first bad one is the answer, naming
        the parameter); only then is anything applied.  If applying fails
        (appendonly yes cannot start the AOF), every parameter gets its old
        value back and is applied again.
        """
        args = call.args
        if len(args) % 2:
            return resp.error(errors.SYNTAX)
        names = []
        unknown = bad = None
        for i in range(2, len(args), 2):
            name = lower_arg(args[i])
            param = params.BY_NAME.get(name)
            if param is None:
                if bad is None and unknown is None:
                    unknown = args[i]
                continue
            if bad is not None or unknown is not None:
                continue
            name = param.name
            if not param.mutable:
                bad = (args[i], param.refuse)
            elif name in names:
                bad = (args[i], "duplicate parameter")
            names.append(name)
        if unknown is not None:
            return resp.error(errors.CONFIG_UNKNOWN_PARAM % cstr(unknown).decode("latin-1"))
        if bad is not None:
            return resp.error(errors.CONFIG_SET_FAILED % (cstr(bad[0]).decode("latin-1"), bad[1]))
        settings = self.core.settings
        updates = {}
        for name, i in zip(names, range(3, len(args), 2)):
            value = args[i].decode("latin-1")
            param = params.BY_NAME[name]
            problem = param.check(value)
            if problem:
                return resp.error(errors.CONFIG_SET_FAILED % (name, problem))
            if name == "client-output-buffer-limit":    # the classes not named keep their limits
                value = merge_obuf(settings.get(name), value)
            updates[name] = param.shown(value)
        old = {name: settings[name] for name in updates if name in settings}
        old_lim = self.core.lim.copy()
        settings.update(updates)
        failed = self._apply_config(updates)
        if failed:                          # Redis's restoreBackupConfig
            for name in updates:
                if name in old:
                    settings[name] = old[name]
                else:
                    settings.pop(name, None)
            self.core.lim[:] = old_lim
            self._apply_config(updates)
            return resp.error(errors.CONFIG_SET_FAILED % failed)
        return resp.simple("OK")

    def _apply_config(self, changed):
        """Make the server follow the settings just changed; (name, reason) if one cannot be.

        Each parameter names its owner's hook (params.py's `apply`); the hooks run
        in APPLY_ORDER, the first failure is the answer.  The slow log's and the
        eviction's hooks re-read all their settings and run on every CONFIG SET.
        """
        hooks = {params.BY_NAME[name].apply for name in changed} | ALWAYS_APPLIED
        failed = None
        for hook in APPLY_ORDER:
            if hook in hooks:
                failed = failed or getattr(self, "_apply_" + hook)(changed)
        return failed

    def _apply_aof(self, changed):
        aof = self.core.aof
        on = self.core.settings.get("appendonly") == "yes"
        if on != (aof.fd >= 0):
            if on:
                try:
                    aof.start()             # a base written now (blocking), then the log
                except OSError:
                    return ("appendonly", errors.AOF_START_FAILED)
            else:
                aof.stop()
        return None

    def _apply_observe(self, changed):
        self.core.observe.configure()

    def _apply_auth(self, changed):
        self.auth_refresh()                 # who must AUTH now (authcmds.py)

    def _apply_limits(self, changed):
        core = self.core
        for name, field in LIMIT_PARAMS:
            if name in changed and name in core.settings:   # the kernels read these from lim
                core.lim[field] = int(core.settings[name])

    def _apply_eviction(self, changed):
        evict.apply_settings(self.core)

    def _apply_maxclients(self, changed):   # updateMaxclients
        core = self.core
        n = int(core.settings.get("maxclients", core.maxclients))
        allowed = adjust_open_files(n)
        if allowed != n:
            return ("maxclients", errors.MAXCLIENTS_OS % c_int(allowed))
        core.maxclients = n
        return None

    def _apply_listeners(self, changed):
        core = self.core
        moved = [name for name in changed if name in ("port", "bind")]
        if core.relisten is not None and not core.relisten("bind" in changed):
            return (moved[0], errors.LISTEN_PORT_FAILED if moved[0] == "port" else errors.BIND_FAILED)
        return None

    def config_rewrite(self, call):
        """There is never a config file to rewrite (options come from the command line)."""
        return resp.error(errors.NO_CONFIG_FILE)

    def config_resetstat(self, call):
        self.core.stats[:] = 0
        evict.reset_stats(self.core)
        self.core.observe.reset_stats()
        self.cmdstats.clear()
        self.errorstats.clear()
        return resp.simple("OK")


HIDDEN_PARAMS = {p.name for p in params.PARAMS if p.hidden}
APPLY_ORDER = ("aof", "observe", "auth", "limits", "eviction", "maxclients", "listeners")
ALWAYS_APPLIED = {"observe", "eviction"}


_PATHS = ("dir", "dbfilename", "appendfilename", "appenddirname")


def _wire(name, value):
    """A value's bytes: settings hold the bytes as latin-1 text (CONFIG SET's and the command
    line's alike), except the file names, which are the file system's (os.fsencode)."""
    if name.decode("latin-1").lower() in _PATHS:
        return os.fsencode(value)
    return value.encode("latin-1")


# the parameters the kernels read from the limits array, and where
LIMIT_PARAMS = (("proto-max-bulk-len", config.L_MAX_BULK),
                ("client-query-buffer-limit", config.L_QUERY_LIMIT),
                ("hash-max-listpack-entries", config.L_HASH_LP_ENTRIES),
                ("hash-max-listpack-value", config.L_HASH_LP_VALUE),
                ("set-max-intset-entries", config.L_SET_INTSET),
                ("zset-max-listpack-entries", config.L_ZSET_LP_ENTRIES),
                ("zset-max-listpack-value", config.L_ZSET_LP_VALUE))


def config_params(core):
    """Every parameter CONFIG GET knows, as strings, like Redis prints them (params.py's order);
    an alias (hash-max-ziplist-entries) is listed under its own name too, as Redis 7.0 does."""
    out = {}
    for p in params.PARAMS:
        out[p.name] = p.current(core)
        for alias in p.aliases:
            out[alias] = out[p.name]
    return out
