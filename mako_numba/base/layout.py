"""Column and field numbers of the arrays shared by the parser, executor and loop.

Rules: these are layouts, not tunables (those live in config.py).  Every array
here is int64; a 2-D table has one row per connection or request.

conn  [maxclients, C_NFIELDS]   one row per connection slot
q     [QUEUE_SIZE, Q_NFIELDS]   the request queue of one batch
args  [ARGS_SIZE, 2]            (address, length) of every argument
bm    [B_NFIELDS]               batch counters that persist across batches
stats [S_NFIELDS + ncommands]   counters read by INFO
"""

# --- connection table ------------------------------------------------------
C_IN_ADDR = 0       # input buffer address / capacity
C_IN_CAP = 1
C_RD = 2            # parse position (bytes before it are consumed)
C_WR = 3            # end of received bytes
C_OUT_ADDR = 4      # output buffer address / capacity
C_OUT_CAP = 5
C_OUT_WR = 6        # end of reply bytes
C_OUT_SENT = 7      # bytes of [0, C_OUT_WR) already sent
C_DB = 8            # selected database
C_PROTO = 9         # 2 or 3
C_FLAGS = 10        # F_* bits
C_PS_ARGC = 11      # resumable multibulk: argument count (0 = at a request start)
C_PS_ARGI = 12      # arguments complete so far
C_PS_POS = 13       # where to continue scanning
C_PS_BULK = 14      # pending bulk length, -1 when reading a header
C_IN_NEED = 15      # bytes the unfinished request needs in the buffer
C_OUT_NEED = 16     # bytes of output space a deferred request needs
C_NEXEC = 17        # requests executed for this connection in this batch
C_ID = 18           # client id (CLIENT ID)
C_TX_START = 19     # MULTI: input offset of the first queued request (kept unparsed-over)
C_TX_N = 20         # MULTI: requests queued so far (none once F_TX_DIRTY is set, as Redis)
C_LASTCMD = 21      # the last command looked up (CLIENT LIST cmd=): its index, CMD_UNKNOWN for
                    # none, or from NCOMMANDS on a subcommand the slow path names (slowpath.py)
C_QB_ALLOC = 22     # Redis's query buffer allocation for this client, as modelled (querybuf.py)
C_RD_MAX = 23       # the most bytes the next read may bring (0: no bound), set each batch
C_QB_PEAK = 24      # ... the buffer's peak length since the last cron (Redis's querybuf_peak)
C_QB_LEN = 25       # ... bytes pending at the end of the last batch (-1: nothing to model)
C_NFIELDS = 26

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

# attention bits in a result row (beside the F_* flags above)
A_GROW_IN = 64      # the unfinished request needs a bigger input buffer
A_SHRINK_IN = 128   # a grown input buffer is empty again
A_BIG_OUT = 256     # the output buffer grew; shrink it once drained

# --- per-slot results of a batch (one row per ready slot, in ready order) --
R_SENT = 0          # output bytes already sent
R_WR = 1            # output bytes written
R_ATT = 2           # 0, or F_* | A_* bits asking Python to look closer
R_NFIELDS = 3

# run_batch's fixed arrays, as jit.handles() lays them out: (address, rows, columns) each
H_LIM = 0
H_CONN = 3
H_READY = 6
H_Q = 9
H_BM = 12
H_SCRATCH = 15
H_CMDT = 18         # the seven arrays of commands.kernel_tables(), 3 fields each
H_LITS = 39         # the two of errors.lit_tables()
H_STATS = 45
H_SLOWQ = 48
H_RES = 51
H_LAT = 54          # latency histograms, latency.py's layout: one row per command
H_NFIELDS = 57

# run_batch's result: what Python must do after the batch (0: nothing but sending)
M_SLOW = 1          # slow-path requests wait in slowq (B_NSLOW)
M_ARGS = 2          # a request needs more argument rows (B_NEED_ARGS)
M_KEYSPACE = 4      # the key space wants memory, a chunk released or a resize
M_ATTEND = 8        # some result row has attention bits (R_ATT)
M_PROP = 16         # the propagation stream has effects for its consumers (tm[T_PROP_WR]) or wants room
M_TRACE = 32        # rows to show MONITOR or log as slow: the input buffers are not compacted yet

# --- request queue -----------------------------------------------------------
Q_ID = 0            # unique, increasing request id
Q_CONN = 1          # connection slot
Q_CMD = 2           # command index; CMD_UNKNOWN or CMD_PROTO_ERR
Q_ARGC = 3
Q_ARG0 = 4          # row of the first argument in `args`
Q_START = 5         # request's first byte in the connection's input buffer
Q_END = 6           # one past its last byte
Q_STATUS = 7        # QS_*
Q_ERR = 8           # protocol error: which (PE_*)
Q_ERRARG = 9        # protocol error: the offending byte
Q_HASH = 10         # the key's hash (argument 1), set by the batch's prefetch pass
Q_NS = 11           # 0: not run (queued, rejected, slow path); else 1 + its run time in ns
Q_NFIELDS = 12

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
B_QN = 0            # requests queued this batch
B_AN = 1            # arguments used
B_SN = 2            # scratch bytes used
B_NEXT_ID = 3       # next request id (persists)
B_SCRATCH_ADDR = 4
B_NEED_ARGS = 5     # a request needs this many argument rows
B_NSLOW = 6         # requests left for the slow path
B_NOW_MS = 7        # wall clock of this batch, ms
B_BATCHES = 8       # batches run (persists)
B_NOW_US = 9        # wall clock of this batch, us (TIME)
B_TRACED = 10       # rows of this batch slower than slowlog-log-slower-than / the latency monitor
B_NFIELDS = 16

# --- statistics ------------------------------------------------------------------
S_COMMANDS = 0      # total commands processed
S_HITS = 1
S_MISSES = 2
S_PROTO_ERRORS = 3
S_SLOW = 4          # requests run by the Python slow path
S_DEFERRALS = 5
S_ERRORS = 6        # error replies written by kernels (all of them "-ERR ...")
S_BATCH_CYCLES = 7  # cycle-counter ticks spent inside run_batch
S_BATCH_REQS = 8    # requests queued by batches
S_BATCH_HIST = 9    # batches by requests: [S_BATCH_HIST + i] counts 2**(i-1) < n <= 2**i
S_BATCH_HIST_N = 15 #   (QUEUE_SIZE is 2**14)
S_NOAUTH = 25       # NOAUTH replies written by kernels (not in S_ERRORS: their code is NOAUTH)
S_OOM = 24          # -OOM replies (maxmemory reached): errorstat_OOM, not ERR
S_NFIELDS = 32      # per-command counters follow: calls at S_NFIELDS + cmd, then
                    # failed calls (+ ncommands), rejected calls (+ 2 * ncommands)
                    # and run time in ns (+ 3 * ncommands, when timed)

# --- key-space meta (the int64 array `tm`, first of the table's tuple) --------------
T_LOGCAP = 0        # log2 of idx size
T_LIVE = 1          # live keys, all databases
T_FILLED = 2        # live + tombstone slots in idx
T_MIG = 3           # 1 while rehashing from oidx
T_MIGPOS = 4        # next oidx slot to move
T_OLOGCAP = 5       # log2 of oidx size
T_SEED0 = 6
T_SEED1 = 7
T_CUR = 8           # chunk id bump-allocated from (0 none)
T_BUMP = 9          # offset of the next free byte in T_CUR
T_SPARE = 10        # chunk id of a ready, unused general chunk (0 none)
T_NEED = 11         # NEED_* of the last failed call
T_NEED_BYTES = 12   # bytes that call wanted (large chunks)
T_MEM = 13          # bytes in live blocks
T_RELEASE = 14      # large chunks waiting to be handed back
T_WASTE = 15        # tail bytes left unused in full chunks
T_HARD_PPM = 16     # hard load limit, parts per million
T_EXPIRED = 17      # keys removed because their time was up
T_AE_POS = 18       # active expiry: next index slot to look at
T_VOLATILE = 19     # keys with an expire time, all databases
T_WATCH_ADDR = 20   # WATCH: address of the watch table (int64, W_* layout), 0 none
T_WATCH_MASK = 21   #   its entry count - 1 (a power of two)
T_WATCHING = 22     #   watched keys in it (0: writes skip the check)
T_TOUCHED = 23      #   entries marked since Python last settled them
LRU_CLOCK_MAX = (1 << 24) - 1     # Redis's LRU clock: seconds, 24 bits
T_LRU = 24          # Redis's LRU clock (seconds, 24 bits), set every batch and by cron
T_INITLOG = 25      # log2 of the index size the key space starts with (never shrinks below)
T_DIRTY = 26        # key changes ever made (Redis's server.dirty; expiry is not a change)
T_PROP_ADDR = 27    # the propagation stream (store/effects.py): its buffer (uint8, Python-owned), 0: off
T_PROP_CAP = 28     #   its size
T_PROP_WR = 29      #   bytes of effects written, not yet handed to the consumers
T_PROP_DB = 30      #   database of the last SELECT in the stream (-1: none yet)
T_PROP_TX = 31      #   EXEC: 1 while its MULTI is not in the stream yet, 2 once it is, 0 outside EXEC
T_PROP_NEED = 32    #   room a deferred request wanted in the buffer
T_PROP_SKIPPED = 33 #   DELs of expired keys left out for want of room (their PXAT is in the stream)
T_MAXMEM = 34       # maxmemory in bytes, 0: no limit (evict.py; Python sets it)
T_MEM_REST = 35     #   used_memory the kernels cannot see (client buffers, fixed arrays); Python, each cron
T_POLICY = 36       #   maxmemory-policy, Redis's MAXMEMORY_* value (evict.py's POLICY_*)
T_EVICTED = 37      #   keys evicted (INFO evicted_keys)
T_RAND = 38         #   xorshift state for sampling and the LFU counter
T_SAMPLES = 39      #   maxmemory-samples
T_POOL_N = 40       #   eviction pool: entries in use, then POOL_SIZE entries of POOL_W from T_POOL
T_EVICT_OVER = 41   #   1 while the last eviction call ended over the limit (Redis's exceeded time)
T_LOADING = 42      # 1 while the AOF is replayed: nothing expires (Redis's server.loading)
T_PROP_HELD = 43    # the stream: room effect_room promised the running request (a DEL on the way may not take it)
T_POOL = 44
POOL_SIZE = 16      #   Redis's EVPOOL_SIZE
POOL_W = 4          #   (score, which index, slot, slot value when sampled)

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
T_LFU_LOG = T_POOL + POOL_SIZE * POOL_W     # lfu-log-factor
T_LFU_DECAY = T_LFU_LOG + 1                 # lfu-decay-time (minutes; 0: no decay)
T_EVICT_LIMIT = T_LFU_LOG + 2               # maxmemory-eviction-tenacity as cycle-counter ticks per call
T_TX_SERIAL = T_LFU_LOG + 3                 # EXEC: this transaction's number (txcmds.py); its
                                            # commands stamp it on values stored from an argument
T_TX_STAMP = T_LFU_LOG + 4                  #   the stamp while such a command runs in EXEC, else 0
T_TX_STAMPED = T_LFU_LOG + 5                #   1 once an EXEC ran such a command (next: a new number)
T_NFIELDS = T_LFU_LOG + 6
