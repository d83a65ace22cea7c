"""COMMAND [COUNT|INFO|DOCS|LIST|GETKEYS|GETKEYSANDFLAGS|HELP]: the command table as Redis describes it.

A mixin of Admin.  The bytes of COMMAND INFO and COMMAND DOCS are Redis's own,
from the generated metadata (commands.redis_metadata()).  With rename-command
(Core.renames), COMMAND INFO and DOCS find a command by its new name and show
its own name, as Redis keeps cmd->fullname; a command renamed to "" is gone
from every listing and from COMMAND COUNT.

Rules:
- A subcommand is known by its full name (`config|get`), as Redis's
  lookupCommandBySds finds it, when the metadata has it; COMMAND LIST lists
  the subcommands after their container, as Redis walks its command dicts.
- COMMAND GETKEYS finds the command as Redis's lookupCommand does (a
  container's second word is its subcommand) and its keys with keyspecs.py.
"""
from mako_numba.commands import registry as commands
from mako_numba.protocol import errors
from mako_numba.base import glob
from mako_numba.commands import keyspecs
from mako_numba.protocol import resp
from mako_numba.commands.slowpath import lower_arg


def _subcommands(name):
    """The metadata's subcommands of a container, as "name|sub"."""
    meta = commands.redis_metadata()["commands"]
    return sorted(k for k in meta if k.startswith(name + "|"))


class CommandCommands:
    def _by_wire_name(self):
        renames = self.core.renames
        return {renames.get(n, n): n for n in commands.NAMES if renames.get(n, n)}

    def _listed(self):
        renames = self.core.renames
        return [n for n in commands.NAMES if renames.get(n, n)]

    def _lookup(self, word):
        """Redis's lookupCommandBySds: "name" or "container|sub" -> the metadata's name, or None."""
        parts = lower_arg(word).split("|")
        base = self._by_wire_name().get(parts[0])
        if base is None or len(parts) > 2:
            return None
        if len(parts) == 1:
            return base
        full = base + "|" + parts[1]
        return full if full in commands.redis_metadata()["commands"] else None

    def command(self, call):
        if len(call.args) == 1:
            return self._infos(self._listed(), call.proto)
        return self._subcommand(call, "command")

    @staticmethod
    def _infos(names, proto):
        meta = commands.redis_metadata()["commands"]
        key = "info_resp3" if proto == 3 else "info_resp2"
        items = []
        for n in names:
            m = meta.get(n) if n is not None else None
            items.append(m[key].encode("latin-1") if m else resp.null(proto))
        return resp.array(items)

    def _asked(self, call):
        """COMMAND INFO|DOCS's names as the commands' own (None: unknown), or every command."""
        if len(call.args) == 2:
            return self._listed()
        return [self._lookup(a) for a in call.args[2:]]

    def command_count(self, call):
        return resp.integer(len(self._listed()))

    def command_info(self, call):
        return self._infos(self._asked(call), call.proto)

    def command_docs(self, call):
        meta = commands.redis_metadata()["commands"]
        key = "docs_resp3" if call.proto == 3 else "docs_resp2"
        pairs = [(resp.bulk(n), meta[n][key].encode("latin-1"))
                 for n in self._asked(call) if n is not None and n in meta]
        return resp.map_(pairs, call.proto)

    def command_list(self, call):
        """COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]."""
        args = call.args
        keep = None
        i = 2
        while i < len(args):
            kind = lower_arg(args[i + 1]) if len(args) - 1 - i == 2 else None
            if lower_arg(args[i]) != "filterby" or kind not in ("module", "aclcat", "pattern"):
                return resp.error(errors.SYNTAX)
            keep = self._filter(kind, args[i + 2])
            i += 3
        names = []
        for n in self._listed():
            names += [n] + _subcommands(n)
        if keep is not None:
            names = [n for n in names if keep(n)]
        return resp.bulk_array(names)

    @staticmethod
    def _filter(kind, arg):
        meta = commands.redis_metadata()["commands"]
        if kind == "module":
            return lambda n: False              # no module commands here
        if kind == "aclcat":
            cat = "@" + arg.split(b"\0", 1)[0].decode("latin-1").lower()
            return lambda n: cat in meta[n]["acl_categories"]
        return lambda n: glob.match(arg, n.encode(), nocase=True)

    def command_getkeys(self, call):
        return self._getkeys(call, False)

    def command_getkeysandflags(self, call):
        return self._getkeys(call, True)

    def _getkeys(self, call, with_flags):
        """Redis's getKeysSubcommandImpl."""
        argv = call.args[2:]
        meta = commands.redis_metadata()["commands"]
        name = self._by_wire_name().get(lower_arg(argv[0]))
        if name is not None and len(argv) > 1 and _subcommands(name):
            full = name + "|" + lower_arg(argv[1])
            name = full if full in meta else None
        if name is None:
            return resp.error(errors.GETKEYS_INVALID_COMMAND)
        if not keyspecs.has_keys(name):
            return resp.error(errors.GETKEYS_NO_KEYS)
        arity = meta[name]["arity"]
        if (arity > 0 and arity != len(argv)) or len(argv) < -arity:
            return resp.error(errors.GETKEYS_ARITY)
        found = keyspecs.find_keys(name, argv)
        if not found:           # Redis: no keys is as bad as invalid ones, unless keys are optional
            if "no_mandatory_keys" in meta[name]["flags"]:
                return resp.array([])
            return resp.error(errors.GETKEYS_INVALID_ARGS)
        if not with_flags:
            return resp.array([resp.bulk(argv[i]) for i, _ in found])
        return resp.array([resp.array([resp.bulk(argv[i]), resp.set_([resp.simple(f) for f in fl], call.proto)])
                           for i, fl in found])
