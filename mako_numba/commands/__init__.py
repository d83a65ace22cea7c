"""Commands: the registry (metadata generated from a real Redis), dispatch, the shared
reply helpers, and one module or subpackage per command family.

Imports `store`, `protocol`, `base`, `config`; the engine calls into it, never the reverse.

Families and where each declares itself (family.py says what a declaration holds):
  string        string/family.py          (kernels.py, ranges.py; slow.py, lcs.py)
  bitops        bitops_family.py          (bitops.py)
  keys          keys/family.py            (generic.py, scan.py)
  connection    connection/family.py      (PING ECHO QUIT; auth.py, client.py, admin.py)
  transactions  transactions_family.py    (MULTI; transactions.py)
  server        server/family.py          (DBSIZE TIME SWAPDB; config.py, command.py,
                                           inspect.py, admin.py, observe/tracing.py)
  persistence   persistence_family.py     (persistence.py)

How to add a command (say HSTRLEN to a hash family):
1. Write its handler where its family keeps them: a kernel `x_hstrlen(X, c, a0, argc,
   ci, now)` returning X_DONE or X_DEFER, or a slow-path method `hstrlen(self, call)`
   returning the reply bytes (on the family's mixin of Admin).
2. In the family's declaration: a kernel command gets `OP_HSTRLEN = _op()` and a
   branch in the family's `dispatch`; a slow-path one an entry in `slow_handlers`
   (and, with subcommands, in `subcommands`).  Then its row in ROWS: name, arity
   and flags as the metadata of Redis 7.0 gives them (data/redis_commands.json;
   tests/test_commands.py checks them), op (OP_HSTRLEN or OP_SLOW).  Fixed replies
   only it writes go in the family's LITERALS (ids from family_literal).
3. Tests beside the family's: a differential test against redis-server, and
   tests/test_families.py checks the declaration is complete.
Nothing central changes.  A new family is a new declaration module with an
unused ID, one line in registry.FAMILIES and, if it has kernel ops, one branch
in dispatch.execute (Numba inlines only the calls it can see).
"""
