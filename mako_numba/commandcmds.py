"""COMMAND [COUNT|INFO|DOCS|LIST|HELP]: the command table as Redis describes it.

A mixin of Admin.  The bytes of COMMAND INFO and COMMAND DOCS are Redis's own,
from the generated metadata (commands.redis_metadata()).  With rename-command
(Core.renames), COMMAND INFO and DOCS find a command by its new name and show
its own name, as Redis keeps cmd->fullname; a command renamed to "" is gone
from every listing and from COMMAND COUNT.
"""
from . import commands, resp
from .slowpath import _lower


class CommandCommands:
    def _by_wire_name(self):
        renames = self.core.renames
        return {renames.get(n, n): n for n in commands.NAMES if renames.get(n, n)}

    def _listed(self):
        renames = self.core.renames
        return [n for n in commands.NAMES if renames.get(n, n)]

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
            m = meta.get(n)
            items.append(m[key].encode("latin-1") if m and n in commands.INDEX else resp.null(proto))
        return resp.array(items)

    def _asked(self, call):
        """COMMAND INFO|DOCS's names as the commands' own (None: unknown), or every command."""
        if len(call.args) == 2:
            return self._listed()
        wire = self._by_wire_name()
        return [wire.get(_lower(a)) for a in call.args[2:]]

    def command_count(self, call):
        return resp.integer(len(self._listed()))

    def command_info(self, call):
        return self._infos(self._asked(call), call.proto)

    def command_docs(self, call):
        meta = commands.redis_metadata()["commands"]
        key = "docs_resp3" if call.proto == 3 else "docs_resp2"
        pairs = [(resp.bulk(n), meta[n][key].encode("latin-1"))
                 for n in self._asked(call) if n in commands.INDEX and n in meta]
        return resp.map_(pairs, call.proto)

    def command_list(self, call):
        return resp.array([resp.bulk(n) for n in self._listed()])
