"""Column and field numbers of the arrays shared by the parser, executor and loop.

Rules: these are layouts, not tunables (those live in config/settings.py).
Every array here is int64; a 2-D table has one row per connection or request.
Each array's fields are handed out by a `Fields`, block by block, each block
declared by its owner: numbers are consecutive and never typed by hand, so a
field added to one block moves the others instead of colliding with them
(kernels get the numbers at compile time).  `Fields.check` runs at import:
no two fields of an array share a number, and its size covers them all.

conn  [maxclients, C_NFIELDS]   one row per connection slot
q     [QUEUE_SIZE, Q_NFIELDS]   the request queue of one batch
args  [ARGS_SIZE, 2]            (address, length) of every argument
bm    [B_NFIELDS]               batch counters that persist across batches
stats [S_NFIELDS + ncommands]   counters read by INFO
tm    [T_NFIELDS]               the key space's meta, by owner (index, rehash, arena, ...)
"""


class Fields:
    """Field numbers of one array: `take` hands out the next ones, `owner` opens a block.

    `place` records a field whose number is fixed elsewhere (it may collide;
    `check` says so).  `blocks` maps each owner to its [start, stop).
    """

    def __init__(self, array):
        self.array = array
        self.next = 0
        self.current = None
        self.fields = []            # (start, width, owner)
        self.blocks = {}

    def owner(self, name):
        """The fields taken from now on belong to `name` (one block per owner)."""
        if name in self.blocks:
            raise AssertionError(f"{self.array}: a second block for {name}")
        self.current = name
        self.blocks[name] = (self.next, self.next)

    def take(self, width=1):
        """The next free number; `width` numbers are reserved from it."""
        n = self.next
        self.place(n, width)
        self.next = n + width
        return n

    def place(self, number, width=1):
        """A field at a number given by hand (e.g. by another layout)."""
        self.fields.append((number, width, self.current))
        if self.current is not None:
            start, stop = self.blocks[self.current]
            self.blocks[self.current] = (min(start, number), max(stop, number + width))
        return number

    def check(self, size=None):
        """The array's size (at least `size`): fails if two fields share a number or one lies outside."""
        end = max((n + w for n, w, _ in self.fields), default=0)
        size = end if size is None else size
        seen = {}
        for n, w, who in self.fields:
            for i in range(n, n + w):
                if i in seen:
                    raise AssertionError(f"{self.array}[{i}]: {seen[i]} and {who} overlap")
                seen[i] = who
            if n < 0 or n + w > size:
                raise AssertionError(f"{self.array}[{n}:{n + w}] ({who}) outside its size {size}")
        return size


# --- connection table ------------------------------------------------------
CONN = Fields("conn")
C_IN_ADDR = CONN.take()     # input buffer address / capacity
C_IN_CAP = CONN.take()
C_RD = CONN.take()          # parse position (bytes before it are consumed)
C_WR = CONN.take()          # end of received bytes
C_OUT_ADDR = CONN.take()    # output buffer address / capacity
C_OUT_CAP = CONN.take()
C_OUT_WR = CONN.take()      # end of reply bytes
C_OUT_SENT = CONN.take()    # bytes of [0, C_OUT_WR) already sent
C_DB = CONN.take()          # selected database
C_PROTO = CONN.take()       # 2 or 3
C_FLAGS = CONN.take()       # F_* bits
C_PS_ARGC = CONN.take()     # resumable multibulk: argument count (0 = at a request start)
C_PS_ARGI = CONN.take()     # arguments complete so far
C_PS_POS = CONN.take()      # where to continue scanning
C_PS_BULK = CONN.take()     # pending bulk length, -1 when reading a header
C_IN_NEED = CONN.take()     # bytes the unfinished request needs in the buffer
C_OUT_NEED = CONN.take()    # bytes of output space a deferred request needs
C_NEXEC = CONN.take()       # requests executed for this connection in this batch
C_ID = CONN.take()          # client id (CLIENT ID)
C_TX_START = CONN.take()    # MULTI: input offset of the first queued request (kept unparsed-over)
C_TX_N = CONN.take()        # MULTI: requests queued so far (none once F_TX_DIRTY is set, as Redis)
C_LASTCMD = CONN.take()     # the last command looked up (CLIENT LIST cmd=): its index, CMD_UNKNOWN for
                            # none, or from NCOMMANDS on a subcommand the slow path names (slowpath.py)
C_QB_ALLOC = CONN.take()    # Redis's query buffer allocation for this client, as modelled (querybuf.py)
C_RD_MAX = CONN.take()      # the most bytes the next read may bring (0: no bound), set each batch
C_QB_PEAK = CONN.take()     # ... the buffer's peak length since the last cron (Redis's querybuf_peak)
C_QB_LEN = CONN.take()      # ... bytes pending at the end of the last batch (-1: nothing to model)
C_BLOCK_KEY0 = CONN.take()  # a blocking command that blocked (F_BLOCKED): the argument row of its first
C_BLOCK_NKEYS = CONN.take() #   key, how many keys it waits on, and its timeout in ms (0: none); Python
C_BLOCK_MS = CONN.take()    #   reads them once, when it registers the block (engine/blocking.py)
C_BLOCK_NODE = CONN.take()  # its first node in the blocked-keys table (store/blockq.py), 0: not registered
C_BLOCK_SERIAL = CONN.take()    # the block's number (a timeout in Python's heap names it)
C_BATCH_STAMP = CONN.take()     # the batch (bm[B_BATCHES] + 1) whose rows hold this client's requests
C_BLOCK_ROW = CONN.take()   #   ... and that batch's row of its blocked request (-1: none)
C_HQ = CONN.take()          # the running request's first key's hash (its Q_HASH, 0: none), for the
C_HQ_AT = CONN.take()       #   lookup of argument row (C_HQ_AT & 0xFFFFFFFF) in physical db (>> 32);
                            #   set by dispatch.execute around its family's call, -1 otherwise
C_NFIELDS = CONN.check()

# connection flags
F_CLOSE_AFTER = 1   # close once the output is sent (QUIT, protocol error)
F_SLOW = 2          # parsing stopped at a slow-path request; resume next turn
F_PENDING = 4       # unparsed complete input remains (queue full, deferral)
F_DEFERRED = 8      # the executor deferred a request this batch
F_CLOSE_NOW = 16    # drop without reply (query buffer limit)
F_MULTI = 512       # inside MULTI: requests are queued, their bytes kept in the input buffer
F_TX_DIRTY = 1024   # a request was rejected while queuing: EXEC answers EXECABORT
F_REPLY_OFF = 2048  # CLIENT REPLY OFF: replies are dropped
F_REPLY_SKIP = 4096         # the current request's reply is dropped (CLIENT REPLY SKIP)
F_REPLY_SKIP_NEXT = 8192    # ... and that starts with the next request
F_MONITOR = 16384   # a MONITOR client: keyspace commands get the replica error
F_NOAUTH = 32768    # not authenticated while a password is set: only no-auth commands run
F_TX_DENYOOM = 65536    # a denyoom command is queued: EXEC is refused when memory is full
F_TX_CAS = 131072   # a watched key changed (Redis's CLIENT_DIRTY_CAS): nothing more is counted queued
F_WAITS_KERNELS = 262144    # deferred: its request's family is still compiling (server/prepare.py)
F_BLOCKED = 1 << 19         # deferred: a blocking command waits for its keys (engine/blocking.py)
F_DENY_BLOCK = 1 << 20      # blocking commands answer at once (inside EXEC: Redis's CLIENT_DENY_BLOCKING)
F_UNBLOCK_TIMEOUT = 1 << 21     # the blocked command is to answer its timeout reply now (timeout, CLIENT UNBLOCK)
F_UNBLOCK_ERROR = 1 << 22       # ... or -UNBLOCKED (CLIENT UNBLOCK ... ERROR)
F_UNBLOCKED = 1 << 23       # a blocked command answered this batch (the batch unlinks it, store/blockq.py)
F_BLOCK_TIMED = 1 << 24     # a block with a timeout was just registered: Python notes its deadline
F_BLOCK_NOW = 1 << 25       # its last run ended blocked (not deferred for memory): it waits in line, and
                            # its result row asks nothing of Python

# attention bits in a result row (beside the F_* flags above)
A_GROW_IN = 64      # the unfinished request needs a bigger input buffer
A_SHRINK_IN = 128   # a grown input buffer is empty again
A_BIG_OUT = 256     # the output buffer grew; shrink it once drained

# --- per-slot results of a batch (one row per ready slot, in ready order) --
RES = Fields("res")
R_SENT = RES.take()         # output bytes already sent
R_WR = RES.take()           # output bytes written
R_ATT = RES.take()          # 0, or F_* | A_* bits asking Python to look closer
R_NFIELDS = RES.check()

# run_batch's fixed arrays, as jit.handles() lays them out: (address, rows, columns) each
HANDLES = Fields("handles")
H_LIM = HANDLES.take(3)
H_CONN = HANDLES.take(3)
H_READY = HANDLES.take(3)
H_Q = HANDLES.take(3)
H_BM = HANDLES.take(3)
H_SCRATCH = HANDLES.take(3)
H_CMDT = HANDLES.take(7 * 3)    # the seven arrays of commands.kernel_tables(), 3 fields each
H_LITS = HANDLES.take(2 * 3)    # the two of commands.registry.lit_tables()
H_STATS = HANDLES.take(3)
H_SLOWQ = HANDLES.take(3)
H_RES = HANDLES.take(3)
H_LAT = HANDLES.take(3)         # latency histograms, latency.py's layout: one row per command
H_FAMS = HANDLES.take(3)        # address of each family's entry kernel, by family id (0: none)
H_NFIELDS = HANDLES.check()

# run_batch's result: what Python must do after the batch (0: nothing but sending)
M_SLOW = 1          # slow-path requests wait in slowq (B_NSLOW)
M_ARGS = 2          # a request needs more argument rows (B_NEED_ARGS)
M_KEYSPACE = 4      # the key space wants memory, a chunk released or a resize
M_ATTEND = 8        # some result row has attention bits (R_ATT)
M_PROP = 16         # the propagation stream has effects for its consumers (tm[T_PROP_WR]) or wants room
M_TRACE = 32        # rows to show MONITOR or log as slow: the input buffers are not compacted yet

# --- request queue -----------------------------------------------------------
QUEUE = Fields("q")
Q_ID = QUEUE.take()         # unique, increasing request id
Q_CONN = QUEUE.take()       # connection slot
Q_CMD = QUEUE.take()        # command index; CMD_UNKNOWN or CMD_PROTO_ERR
Q_ARGC = QUEUE.take()
Q_ARG0 = QUEUE.take()       # row of the first argument in `args`
Q_START = QUEUE.take()      # request's first byte in the connection's input buffer
Q_END = QUEUE.take()        # one past its last byte
Q_STATUS = QUEUE.take()     # QS_*
Q_ERR = QUEUE.take()        # protocol error: which (PE_*)
Q_ERRARG = QUEUE.take()     # protocol error: the offending byte
Q_HASH = QUEUE.take()       # the key's hash (argument 1), set by the batch's prefetch pass
Q_NS = QUEUE.take()         # 0: not run (queued, rejected, slow path); else 1 + its run time in ns
Q_NFIELDS = QUEUE.check()

CMD_UNKNOWN = -1
CMD_PROTO_ERR = -2

QS_NEW = 0
QS_DONE = 1
QS_SLOW = 2         # Python runs it after the batch
QS_DEFERRED = 3     # not run; the connection re-parses from its start

# protocol errors (the reply is errors.LIT_P_*)
PE_MULTIBULK = 1
PE_BULK = 2
PE_DOLLAR = 3
PE_UNBALANCED = 4
PE_BIG_INLINE = 5
PE_BIG_MBULK = 6
PE_BIG_BULK = 7

# --- batch meta ------------------------------------------------------------------
BATCH = Fields("bm")
B_QN = BATCH.take()         # requests queued this batch
B_AN = BATCH.take()         # arguments used
B_SN = BATCH.take()         # scratch bytes used
B_NEXT_ID = BATCH.take()    # next request id (persists)
B_SCRATCH_ADDR = BATCH.take()
B_NEED_ARGS = BATCH.take()  # a request needs this many argument rows
B_NSLOW = BATCH.take()      # requests left for the slow path
B_NOW_MS = BATCH.take()     # wall clock of this batch, ms
B_BATCHES = BATCH.take()    # batches run (persists)
B_NOW_US = BATCH.take()     # wall clock of this batch, us (TIME)
B_NREADY = BATCH.take()     # connections of the batch's result rows: the ready ones, then woken blocked clients
B_TRACED = BATCH.take()     # rows of this batch slower than slowlog-log-slower-than / the latency monitor
B_FRAME = BATCH.take(7 * 3) # the key space's six arrays and args, (address, rows, columns) each: what a
                            # family's entry kernel rebuilds them from (commands/frame.py)
B_NFIELDS = BATCH.check(48)

# --- statistics ------------------------------------------------------------------
STATS = Fields("stats")
S_COMMANDS = STATS.take()   # total commands processed
S_HITS = STATS.take()
S_MISSES = STATS.take()
S_PROTO_ERRORS = STATS.take()
S_SLOW = STATS.take()       # requests run by the Python slow path
S_DEFERRALS = STATS.take()
S_ERRORS = STATS.take()     # error replies written by kernels ("-ERR ..." unless counted below)
S_BATCH_CYCLES = STATS.take() # cycle-counter ticks spent inside run_batch
S_BATCH_REQS = STATS.take() # requests queued by batches
S_BATCH_HIST_N = 15         # batches by requests: [S_BATCH_HIST + i] counts 2**(i-1) < n <= 2**i
S_BATCH_HIST = STATS.take(S_BATCH_HIST_N)   # (QUEUE_SIZE is 2**14)
S_OOM = STATS.take()        # -OOM replies (maxmemory reached): errorstat_OOM, not ERR
S_NOAUTH = STATS.take()     # NOAUTH replies written by kernels (not in S_ERRORS: their code is NOAUTH)
S_ERR_WRONGTYPE = STATS.take()  # of S_ERRORS: -WRONGTYPE replies (errorstat_WRONGTYPE)
S_ERR_UNBLOCKED = STATS.take()  # of S_ERRORS: -UNBLOCKED replies (CLIENT UNBLOCK ... ERROR)
S_NFIELDS = STATS.check(32) # per-command counters follow: calls at S_NFIELDS + cmd, then
                            # failed calls (+ ncommands), rejected calls (+ 2 * ncommands)
                            # and run time in ns (+ 3 * ncommands, when timed)

# --- key-space meta (the int64 array `tm`, first of the table's tuple) --------------
# One block per owner; numbers are handed out in this order (kernels get them at compile time).
TM = Fields("tm")
TM.owner("index")           # store/table.py: the open-addressing index
T_LOGCAP = TM.take()        # log2 of idx size
T_LIVE = TM.take()          # live keys, all databases
T_FILLED = TM.take()        # live + tombstone slots in idx
T_SEED0 = TM.take()         # the hash seed (SipHash), per process
T_SEED1 = TM.take()
T_HARD_PPM = TM.take()      # hard load limit, parts per million
T_INITLOG = TM.take()       # log2 of the index size the key space starts with (never shrinks below)
T_DIRTY = TM.take()         # key changes ever made (Redis's server.dirty; expiry is not a change)
LRU_CLOCK_MAX = (1 << 24) - 1     # Redis's LRU clock: seconds, 24 bits
T_LRU = TM.take()           # Redis's LRU clock (seconds, 24 bits), set every batch and by cron

TM.owner("rehash")          # store/table.py: the incremental move from the old index
T_MIG = TM.take()           # 1 while rehashing from oidx
T_MIGPOS = TM.take()        # next oidx slot to move
T_OLOGCAP = TM.take()       # log2 of oidx size

TM.owner("arena")           # store/arena.py: chunks and blocks of records
T_CUR = TM.take()           # chunk id bump-allocated from (0 none)
T_BUMP = TM.take()          # offset of the next free byte in T_CUR
T_SPARE = TM.take()         # chunk id of a ready, unused general chunk (0 none)
T_NEED = TM.take()          # NEED_* of the last failed call
T_NEED_BYTES = TM.take()    # bytes that call wanted (large chunks)
T_MEM = TM.take()           # bytes in live blocks
T_RELEASE = TM.take()       # large chunks waiting to be handed back
T_WASTE = TM.take()         # tail bytes left unused in full chunks
T_NEED_CID = TM.take()      # NEED_GROW: the large block's chunk to grow (to T_NEED_BYTES)

TM.owner("expiry")          # store/expire.py
T_EXPIRED = TM.take()       # keys removed because their time was up
T_AE_POS = TM.take()        # active expiry: next index slot to look at
T_VOLATILE = TM.take()      # keys with an expire time, all databases

TM.owner("watch")           # store/watch.py: WATCH's table, Python-built
T_WATCH_ADDR = TM.take()    # address of the watch table (int64, W_* layout), 0 none
T_WATCH_MASK = TM.take()    #   its entry count - 1 (a power of two)
T_WATCHING = TM.take()      #   watched keys in it (0: writes skip the check)
T_TOUCHED = TM.take()       #   entries marked since Python last settled them

TM.owner("propagation")     # store/effects.py: the propagation stream's buffer (store/propagation.py owns it)
T_PROP_ADDR = TM.take()     # the buffer (uint8, Python-owned), 0: off (no consumer attached)
T_PROP_CAP = TM.take()      #   its size
T_PROP_WR = TM.take()       #   bytes of effects written, not yet handed to the consumers
T_PROP_DB = TM.take()       #   database of the last SELECT in the stream (-1: none yet)
T_PROP_TX = TM.take()       #   EXEC: 1 while its MULTI is not in the stream yet, 2 once it is, 0 outside EXEC
T_PROP_NEED = TM.take()     #   room a deferred request wanted in the buffer
T_PROP_SKIPPED = TM.take()  #   DELs of expired keys left out for want of room (their PXAT is in the stream)
T_PROP_HELD = TM.take()     #   room effect_room promised the running request (a DEL on the way may not
                            #   take it); last: FLUSHALL keeps [T_PROP_ADDR, T_PROP_SKIPPED], not this

TM.owner("eviction")        # store/evict.py: maxmemory (Python sets the settings)
T_MAXMEM = TM.take()        # maxmemory in bytes, 0: no limit
T_MEM_REST = TM.take()      #   used_memory the kernels cannot see (client buffers, fixed arrays); Python, each cron
T_POLICY = TM.take()        #   maxmemory-policy, Redis's MAXMEMORY_* value (evict.py's POLICY_*)
T_EVICTED = TM.take()       #   keys evicted (INFO evicted_keys)
T_RAND = TM.take()          #   xorshift state for sampling and the LFU counter
T_SAMPLES = TM.take()       #   maxmemory-samples
T_EVICT_LIMIT = TM.take()   #   maxmemory-eviction-tenacity as cycle-counter ticks per call
T_EVICT_OVER = TM.take()    #   1 while the last eviction call ended over the limit (Redis's exceeded time)
T_POOL_N = TM.take()        #   eviction pool: entries in use, then POOL_SIZE entries of POOL_W from T_POOL
POOL_SIZE = 16              #   Redis's EVPOOL_SIZE
POOL_W = 4                  #   (score, which index, slot, slot value when sampled)
T_POOL = TM.take(POOL_SIZE * POOL_W)

TM.owner("lfu")             # store/evict.py: the LFU counter's settings
T_LFU_LOG = TM.take()       # lfu-log-factor
T_LFU_DECAY = TM.take()     # lfu-decay-time (minutes; 0: no decay)

TM.owner("loading")         # persistence/aofload.py
T_LOADING = TM.take()       # 1 while the AOF is replayed: nothing expires (Redis's server.loading)

TM.owner("transactions")    # commands/transactions/slow.py: values stored in EXEC
T_TX_SERIAL = TM.take()     # this transaction's number (txcmds.py); its commands
                            # stamp it on values stored from an argument
T_TX_STAMP = TM.take()      #   the stamp while such a command runs in EXEC, else 0
T_TX_STAMPED = TM.take()    #   1 once an EXEC ran such a command (next: a new number)

TM.owner("blocking")        # store/blockq.py: the blocked-keys table, kernel-kept (Python allocates it)
T_BQ_ADDR = TM.take()       # its address (int64, BQ_* layout), 0: none yet
T_BQ_LEN = TM.take()        #   its length in int64s
T_BQ_KEYS = TM.take()       #   keys with clients blocked on them (0: writes skip the check)
T_BQ_GROW = TM.take()       #   a block found no room for this many keys: Python gives a bigger table
T_BLOCK_READY = TM.take()   #   keys in the ready ring: written while clients wait on them, to serve
T_NFIELDS = TM.check()

# --- the watch table: entries of W_SIZE int64 at T_WATCH_ADDR, Python-built ------------
W_HASH = 0          # SipHash of the key (without the database)
W_PDB = 1           # physical database
W_STATE = 2         # WS_*
W_OTHER = 3         # SWAPDB: the other database number (as clients see it)
W_SIZE = 4
WS_EMPTY = 0
WS_CLEAN = 1        # an entry's state: WS_CLEAN or'ed with the marks since WATCH below
WS_WRITTEN = 2      # written (created, overwritten, modified) since WATCH
WS_DELETED = 4      # deleted (DEL, expiry, eviction, FLUSHDB) since WATCH
WS_SWAPPED = 8      # its database took part in SWAPDB (dirty if the key exists in either)
