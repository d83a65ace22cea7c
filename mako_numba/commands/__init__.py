"""Commands: the registry (metadata generated from a real Redis), dispatch, the shared
reply helpers, and one subpackage per command family.

Imports `store`, `protocol`, `base`, `config`, `observe`; the engine calls into it, never
the reverse (tests/test_layers.py lists the edges that still go up).

Every family is a subpackage whose `family.py` declares it (commands/family.py says
what a declaration holds); its handlers sit beside it:
  string        kernels.py, ranges.py (kernels); slow.py, lcs.py (INCRBYFLOAT, LCS)
  bitops        kernels.py
  keys          generic.py (DEL, EXPIRE, RENAME ...), scan.py (KEYS, SCAN, RANDOMKEY)
  connection    PING ECHO QUIT in the kernels; auth.py, client.py, admin.py's SELECT/HELLO/RESET
  transactions  MULTI in the kernels (queuing: dispatch.queue_request); slow.py (EXEC, WATCH ...)
  server        DBSIZE TIME SWAPDB in the kernels; config.py, command.py, inspect.py,
                admin.py's INFO and FLUSH*, observe/tracing.py's SLOWLOG/LATENCY/MONITOR
  persistence   slow.py (SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF, SHUTDOWN)
A hash family would be commands/hash/ (family.py, kernels.py), its value code
store/types/hash.py (docs/adding-a-data-type.md).

How to add a command (say HSTRLEN to a hash family):
1. Write its handler where its family keeps them: a kernel `x_hstrlen(K, R, args, a0)`
   returning X_DONE or X_DEFER, whose arguments are what it may touch (respond.py:
   K the key context, R the client and its reply, the request's arguments; `argc`,
   `ci, cmdt`, `stats` only if it uses them), or a slow-path method
   `hstrlen(self, call)` returning the reply bytes (on the family's mixin of Admin).
2. In the family's declaration: a kernel command gets `OP_HSTRLEN = _op()` and a
   branch in the family's `dispatch` (which passes on what the handler takes); a
   slow-path one an entry in `slow_handlers` (and, with subcommands, in
   `subcommands`).  Then its row in ROWS: name, arity
   and flags as the metadata of Redis 7.0 gives them (data/redis_commands.json;
   tests/commands/test_commands.py checks them), op (OP_HSTRLEN or OP_SLOW).  Fixed replies
   only it writes go in the family's LITERALS (ids from family_literal).
3. Tests beside the family's: a differential test against redis-server, and
   tests/commands/test_families.py checks the declaration is complete.
Nothing central changes.  A new family is a new declaration module with an
unused ID, one line in registry.FAMILIES and, if it has kernel ops, its entry
kernel in entry.py (commands/frame.py), which the batch calls by address.
"""
