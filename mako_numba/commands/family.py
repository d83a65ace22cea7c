"""What a command family declares, and the numbers and flag bits its rows use.

A family is one module (string/family.py, keys/family.py, connection/family.py,
server/family.py, bitops/family.py, transactions/family.py,
persistence/family.py) that declares, at module level:
- NAME and ID: its name and its number (1..MAX_FAMILY; registry.FAMILIES checks
  that no two families share one).
- OP_*: its kernel operations, numbered by `op_numbers(ID)`: the family id in
  the high bits, the op within the family in the low bits (`op_in_family`).
- ROWS: (name, arity, op, flags), one per command.  op is one of its OP_* or
  OP_SLOW (the Python slow path); arity and flags follow the metadata generated
  from a real Redis (tests/test_commands.py checks them).
- dispatch(o, ...): a @kernel(inline=True) if-chain over its own ops,
  returning X_DONE, X_DEFER or X_SLOW; only a family with kernel ops has
  one, and its entry kernel (entry.py next to family.py, `run`; see
  commands/frame.py) calls it, compiled on its own; the batch calls the
  entry by address when family_of(o) is its ID.  After
  `o` it takes only what its handlers use, from what execute has at hand
  (respond.py says what each is): the key context K = (T, lim, db, now),
  the client R = (conn, c, lim, lits), the request's `args, a0, argc`, and
  `ci, cmdt`, `stats`, the client's database number `sel`, the clock in
  microseconds `now_us` or the first key's hash `hsh` (GET, SET).  The
  string family's is (o, K, R, args, a0, argc, ci, cmdt, stats, hsh); the
  transactions family's only (o, R).
- slow_handlers(admin) and subcommands(admin): name -> handler (bound methods of
  the slow path's Admin) for its OP_SLOW rows, and name -> {sub: handler} for
  those with subcommands in the metadata.
- LITERALS: (name, id, bytes) of fixed replies only its kernels write, with
  ids from `family_literal(ID, k)`; protocol/errors.py assembles the kernels'
  blob from its own and all of these.

Rules:
- A family module imports kernels, respond.py and this module, never the
  registry (the registry imports the families), and nothing outside its
  package imports its kernels: so each family compiles and caches alone
  (base/cachekey.py keys a cache on what its module imports).
- Op and literal numbers are plain module constants: Numba freezes them into
  the kernels, so nothing here is computed at run time.
"""
from mako_numba.base.jit import kernel

FAMILY_SHIFT = 8        # op = family id << FAMILY_SHIFT | op within the family
OP_MASK = (1 << FAMILY_SHIFT) - 1
MAX_FAMILY = 15
# the table of entry addresses the batch calls (engine/kernels.py): one per family id, then two
# store kernels called by address so the batch kernel is compiled without them (engine/storecalls.py)
FN_EVICT = MAX_FAMILY + 1       # perform_evictions (the slowpath unit)
FN_MIGRATE = MAX_FAMILY + 2     # an incremental rehash step (the store unit)
FN_SLOTS = MAX_FAMILY + 3

# flag bits (the registry adds CF_CONTAINER, CF_KEY1, CF_NO_AUTH, CF_DENYOOM from the metadata);
# 2048 is the parser's CF_LAST_PARSED, and op 0 its OP_SLOW (protocol/parsebase.py: what the
# parser reads of the command table is declared there, below the commands)
CF_WRITE = 1
CF_READONLY = 2
CF_FAST = 4
CF_ADMIN = 8
CF_NO_QUEUE = 16    # runs at once inside MULTI (Redis: exec, discard, multi, watch, quit, reset)
CF_KEY1 = 32        # argument 1 is a key (Redis's first_key 1): the batch prefetches it
CF_NO_MULTI = 64    # refused inside MULTI, and the transaction aborts (Redis's no-multi)
CF_NO_AUTH = 128    # runs before AUTH (Redis's no-auth: auth, hello, quit, reset); from the metadata
CF_DENYOOM = 256    # refused with -OOM when maxmemory is reached (Redis's denyoom)
CF_CONTAINER = 512  # has subcommands in the metadata (CONFIG, CLIENT ...): the slow path checks them
CF_REMAPS_DBS = 1024    # changes which data a database number names (SWAPDB): the batch forgets
                        # the key hashes it prefetched for the requests after it
CF_STORES_ARG = 4096    # stores its own argument object as the value (t_string.c's setKey or dbAdd
                        # of c->argv[i]): inside EXEC it is stamped (OBJECT REFCOUNT, dispatch.py)


# literal ids: errors.py's own are below FAMILY_LITS_BASE; family f's k-th is
# FAMILY_LITS_BASE + f * FAMILY_LITS + k
FAMILY_LITS_BASE = 128
FAMILY_LITS = 16


def op_numbers(family_id):
    """A function giving the family's next op number at each call (1, 2 ... in the low bits)."""
    assert 1 <= family_id <= MAX_FAMILY
    count = [0]

    def next_op():
        count[0] += 1
        assert count[0] <= OP_MASK
        return (family_id << FAMILY_SHIFT) | count[0]
    return next_op


def family_literal(family_id, k):
    """The id of family `family_id`'s k-th literal."""
    assert 1 <= family_id <= MAX_FAMILY and 0 <= k < FAMILY_LITS
    return FAMILY_LITS_BASE + family_id * FAMILY_LITS + k


@kernel(inline=True)
def family_of(op):
    return op >> FAMILY_SHIFT


@kernel(inline=True)
def op_in_family(op):
    return op & OP_MASK
