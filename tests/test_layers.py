"""The package's import direction, checked: each subpackage imports only those below it.

From the bottom: config, base, protocol, store, observe, commands, engine,
persistence, server, and on top the command line (`__main__`) and the
dashboard.  An import that goes up is an edge in the architecture that
nobody drew; the ones that exist are listed in KNOWN_UP with the reason
they are still there, so a new one fails this test and a removed one must
be struck from the list (the list stays true).  Imports made inside a
function count too: they are the same dependency, only later.

Also checked: no module imports another module's private (`_name`) names;
the exceptions are listed the same way.
"""
import ast
import os

from conftest import ROOT

PKG = os.path.join(ROOT, "mako_numba")
ORDER = ["config", "base", "protocol", "store", "observe", "scripting", "commands", "engine", "persistence",
         "server", "dashboard", "__main__"]
RANK = {name: i for i, name in enumerate(ORDER)}

# (importing module, imported module): why it still goes up (the closing note of the
# reshape lists them as what is left)
KNOWN_UP = {
    # slow-path handlers reach the services they command (a call context could hand them over)
    ("mako_numba.commands.admin", "mako_numba.persistence.reload"): "DEBUG RELOAD/LOADAOF",
    ("mako_numba.commands.persistence.slow", "mako_numba.persistence.snapshots"): "SAVE, BGSAVE",
    ("mako_numba.commands.connection.client", "mako_numba.server.netlimits"): "CLIENT LIST's omem",
    ("mako_numba.commands.server.config", "mako_numba.server.maxclients"): "CONFIG SET maxclients",
    ("mako_numba.commands.server.config", "mako_numba.server.netlimits"): "CONFIG's buffer limits",
    # the parameter table names each parameter's parser and owner
    ("mako_numba.config.params", "mako_numba.base.cnum"): "Redis's number parsing",
    ("mako_numba.config.params", "mako_numba.observe.latency"): "latency-tracking percentiles",
    ("mako_numba.config.params", "mako_numba.protocol"): "error texts",
    ("mako_numba.config.params", "mako_numba.server.listeners"): "bind",
    ("mako_numba.config.params", "mako_numba.server.netlimits"): "client-output-buffer-limit",
    # Core builds the persistence and server-side owners it drives
    ("mako_numba.engine.core", "mako_numba.persistence.aof"): "Core owns the Aof consumer",
    ("mako_numba.engine.core", "mako_numba.persistence.forkchild"): "ForkStats",
    ("mako_numba.engine.core", "mako_numba.persistence.snapshots"): "Core owns Snapshots",
    ("mako_numba.engine.core", "mako_numba.server.maxclients"): "the connection table's growth",
    ("mako_numba.engine.core", "mako_numba.server.netlimits"): "NetStats",
    # observing needs the command table's names
    ("mako_numba.observe.cmdstats", "mako_numba.commands"): "commandstats by name",
    ("mako_numba.observe.tracing", "mako_numba.commands"): "SLOWLOG/MONITOR by name",
    ("mako_numba.observe.tracing", "mako_numba.commands.slowpath"): "argument helpers",
    # eviction reads INFO's used_memory and times itself
    ("mako_numba.store.evict", "mako_numba.observe"): "eviction latency",
    ("mako_numba.store.evict", "mako_numba.observe.memstats"): "used_memory",
    # the dashboard's launcher reuses the command line
    ("mako_numba.dashboard.launch", "mako_numba.__main__"): "build_parser",
}

KNOWN_PRIVATE = {}


def _modules():
    for dirpath, dirnames, filenames in os.walk(PKG):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                yield rel.removesuffix(".__init__"), path


def _layer(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports():
    """(module, imported module, [names]) for every `from mako_numba... import` in the package."""
    for module, path in _modules():
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] == "mako_numba":
                yield module, node.module, [a.name for a in node.names]


def test_imports_go_down():
    up = set()
    for module, target, names in _imports():
        src, dst = _layer(module), _layer(target)
        if src == "__init__" or dst == "__init__" or src == dst:
            continue
        if RANK[dst] > RANK[src]:
            up.add((module, target))
    new = sorted(up - set(KNOWN_UP))
    gone = sorted(set(KNOWN_UP) - up)
    assert not new, "imports that go up the layers (move the code, or list them with a reason):\n" + \
        "\n".join("%s -> %s" % e for e in new)
    assert not gone, "edges listed in KNOWN_UP that no longer exist (strike them):\n" + \
        "\n".join("%s -> %s" % e for e in gone)


def test_no_private_names_across_modules():
    found = set()
    for module, target, names in _imports():
        for name in names:
            if name.startswith("_") and target != module:
                found.add((module, target, name))
    new = sorted(found - set(KNOWN_PRIVATE))
    gone = sorted(set(KNOWN_PRIVATE) - found)
    assert not new, "private names imported from another module:\n" + "\n".join("%s <- %s.%s" % (m, t, n) for m, t, n in new)
    assert not gone, "KNOWN_PRIVATE lists imports that are gone:\n" + "\n".join("%s <- %s.%s" % e for e in gone)


def test_every_layer_is_placed():
    layers = {_layer(m) for m, _ in _modules()} - {"__init__"}
    assert layers <= set(ORDER), sorted(layers - set(ORDER))
