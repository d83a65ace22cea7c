"""The command table, assembled from the command families.

Rules:
- A command is declared once, in its family's ROWS (commands/family.py says
  what a family declares); FAMILIES below lists the families, and adding a
  family is one line there (plus its entry kernel, entry.py, when it has
  kernel ops: engine/kernels.py finds it).  The table's order (family by family, rows in order) gives
  the command indices the parser stores in the queue; arity drives the
  "wrong number of arguments" check (the kernels' for their commands, the
  slow path's for OP_SLOW ones, whose subcommands' arities come from the
  metadata); `op` says which family's kernel branch runs it (OP_SLOW: the
  Python slow path in admin.py, through the family's slow_handlers).
- Arity follows Redis: n > 0 means exactly n arguments (the name included),
  -n means at least n.  tests/commands/test_commands.py checks every row against the
  metadata generated from a real Redis (mako_numba/data/redis_commands.json),
  which also supplies the exact bytes of COMMAND INFO and COMMAND DOCS, and
  checks that each family's declaration is complete and consistent.
- Commands of data types we do not implement are absent, so they get Redis's
  unknown-command error and COMMAND does not list them.
"""
import functools
import json
import os

import numpy as np

from mako_numba.commands.bitops import family as bitops_family
from mako_numba.commands.persistence import family as persistence_family
from mako_numba.commands.scripting import family as scripting_family
from mako_numba.commands.transactions import family as transactions_family
from mako_numba.commands.connection import family as connection_family
from mako_numba.commands.family import (
    CF_CONTAINER, CF_DENYOOM, CF_KEY1, CF_NO_AUTH, FAMILY_LITS_BASE, FAMILY_SHIFT,
)
from mako_numba.protocol.parsebase import HASH_SIZE, HTAB_SHIFT, OP_SLOW
from mako_numba.commands.hash import family as hash_family
from mako_numba.commands.keys import family as keys_family
from mako_numba.commands.list import family as list_family
from mako_numba.commands.server import family as server_family
from mako_numba.commands.set import family as set_family
from mako_numba.commands.sort import family as sort_family
from mako_numba.commands.string import family as string_family
from mako_numba.commands.zset import family as zset_family
from mako_numba.protocol import errors

# the command families, in table order (string first: GET and SET are its first rows)
FAMILIES = [
    string_family,
    bitops_family,
    keys_family,
    connection_family,
    transactions_family,
    server_family,
    persistence_family,
    hash_family,
    set_family,
    list_family,
    zset_family,
    sort_family,
    scripting_family,
]


def _assemble():
    ids = [f.ID for f in FAMILIES]
    assert len(set(ids)) == len(ids), "two families share an id"
    table, owner = [], {}
    for f in FAMILIES:
        for row in f.ROWS:
            name, arity, op, flags = row
            assert name not in owner, (name, owner.get(name), f.NAME)
            assert op == OP_SLOW or op >> FAMILY_SHIFT == f.ID, (name, f.NAME)
            owner[name] = f
            table.append(row)
    return table, owner


TABLE, COMMAND_FAMILY = _assemble()     # COMMAND_FAMILY: command name -> its family module
NAMES = [row[0] for row in TABLE]
INDEX = {name: i for i, name in enumerate(NAMES)}
NCOMMANDS = len(TABLE)


def name_hash(lower_name: bytes) -> int:
    """FNV-1a of a lower-case name, as the parser computes it."""
    h = 0xCBF29CE484222325
    for b in lower_name:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def kernel_tables(renames=None):
    """The table as the arrays the parser and executor receive (a tuple).

    names/noff/nlen hold each command's own name (error replies print it);
    htab maps a name hash to `ci | entry << HTAB_SHIFT`, where entry is the
    names/noff/nlen row the parser compares with.  `renames` (redis.conf's
    rename-command, {name: new name}) appends rows for the new names, so the
    parser knows a renamed command by its new name only; a new name "" leaves
    it unreachable.  The command keeps its index (statistics, handlers) and
    its own name in replies, as Redis's does.
    """
    renames = renames or {}
    wire = list(NAMES) + [renames[n] for n in NAMES if renames.get(n, n) not in ("", n)]
    blob = b"".join(n.encode() for n in wire)
    noff = np.zeros(len(wire), np.int64)
    nlen = np.zeros(len(wire), np.int64)
    pos = 0
    for i, n in enumerate(wire):
        noff[i], nlen[i] = pos, len(n)
        pos += len(n)
    arity = np.array([r[1] for r in TABLE], np.int64)
    op = np.array([r[2] for r in TABLE], np.int64)
    flags = np.array([r[3] for r in TABLE], np.int64)
    meta = redis_metadata()["commands"]
    for i, n in enumerate(NAMES):
        if n in containers():
            flags[i] |= CF_CONTAINER
        if meta.get(n, {}).get("first_key") == 1:
            flags[i] |= CF_KEY1
        if "no_auth" in meta.get(n, {}).get("flags", ()):
            flags[i] |= CF_NO_AUTH
        if "denyoom" in meta.get(n, {}).get("flags", ()):
            flags[i] |= CF_DENYOOM
    htab = np.full(HASH_SIZE, -1, np.int64)
    extra = NCOMMANDS
    for i, n in enumerate(NAMES):
        w = renames.get(n, n)
        if not w:
            continue
        entry = i
        if w != n:
            entry = extra
            extra += 1
        p = name_hash(w.encode()) & (HASH_SIZE - 1)
        while htab[p] >= 0:
            p = (p + 1) & (HASH_SIZE - 1)
        htab[p] = i | (entry << HTAB_SHIFT)
    names = np.frombuffer(blob, np.uint8).copy()
    return names, noff, nlen, arity, op, flags, htab



def kernel_literals():
    """(name, id, bytes) of every family's own kernel literals."""
    return [lit for f in FAMILIES for lit in f.LITERALS]


def lit_tables():
    """(blob uint8, offsets int64[n + 1]) for the kernels: literal i is blob[offs[i]:offs[i + 1]].

    Ids are protocol/errors.py's shared literals (0 ...) then the families' own
    (family.family_literal); ids no literal has are empty.
    """
    assert len(errors.KERNEL_LITERALS) <= FAMILY_LITS_BASE
    data = {i: d for i, (_, d) in enumerate(errors.KERNEL_LITERALS)}
    for _, i, d in kernel_literals():
        assert i >= FAMILY_LITS_BASE and i not in data
        data[i] = d
    n = max(data) + 1
    offs = np.zeros(n + 1, np.int64)
    pos = 0
    for i in range(n):
        offs[i] = pos
        pos += len(data.get(i, b""))
    offs[n] = pos
    blob = b"".join(data.get(i, b"") for i in range(n))
    return np.frombuffer(blob, np.uint8).copy(), offs


@functools.lru_cache(maxsize=1)
def redis_metadata():
    """The metadata generated from a real Redis (COMMAND INFO/DOCS/HELP bytes)."""
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "redis_commands.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@functools.lru_cache(maxsize=1)
def containers():
    """The commands of ours that Redis gives subcommands (`name|sub` rows in the metadata)."""
    return frozenset(n.split("|")[0] for n in redis_metadata()["commands"] if "|" in n) & set(NAMES)
