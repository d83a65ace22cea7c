"""Command families: per command, a generator of argument vectors.

Each module here holds one family as data: `COMMANDS`, a dict from a
command name to a function of an `atoms.Atoms` returning the arguments
after the name (a list of bytes), and `WEIGHT`, how often the family is
drawn; optionally `OBSERVERS`, per command a request that shows its effect
(sent next, often, on the same connection).  A new family (a new data
type, a new group of admin commands) plugs
in by adding a module and listing it in FAMILIES below; the generator
applies the generic mutations (random case of the name, wrong arity, junk
and repeated options) to every family alike.
"""
from . import connection, keyspace, lists, server, strings, transactions, zsets

FAMILIES = [strings, keyspace, connection, server, transactions, lists, zsets]


def observers():
    """{command name: a request showing its effect}, from every family's OBSERVERS."""
    out = {}
    for fam in FAMILIES:
        out.update(getattr(fam, "OBSERVERS", {}))
    return out


def table():
    """[(weight, name, argument function)] over every family."""
    rows = []
    for fam in FAMILIES:
        w = fam.WEIGHT / len(fam.COMMANDS)
        rows += [(w, name, fn) for name, fn in fam.COMMANDS.items()]
    return rows
