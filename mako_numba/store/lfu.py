"""Redis's maxmemory policies as numbers, and its LFU counter (evict.c's LFU half).

Rules:
- A record's 24-bit access field (arena.rec_lru) holds, under an LRU or
  random policy, the LRU clock in seconds; under an LFU policy (bit
  FLAG_LFU of tm[T_POLICY]) it holds Redis's `ldt << 8 | counter`: the last
  decrement time in minutes (16 bits) and a logarithmic access counter
  (8 bits, new keys start at LFU_INIT_VAL).
- Under LFU, run_batch and Core.cron put the value a new key starts with
  (`minutes << 8 | LFU_INIT_VAL`) into tm[T_LRU], so the writers that stamp
  tm[T_LRU] into new records need no branch; only an access (table's
  lookup with touch) branches on the policy, to `lfu_touched`.
- lfu-log-factor and lfu-decay-time live in tm[T_LFU_LOG] and tm[T_LFU_DECAY]
  (Redis's defaults 10 and 1; CONFIG SET changes them).
- The random numbers come from a xorshift state in tm[T_RAND]; kernels
  never allocate and keep no global state.
"""
import numpy as np

from mako_numba.base.jit import kernel
from mako_numba.base.layout import T_LFU_DECAY, T_LFU_LOG, T_LRU, T_RAND

# Redis's MAXMEMORY_* values (server.h): flags in the low bits, an id above
FLAG_LRU = 1
FLAG_LFU = 2
FLAG_ALLKEYS = 4
POLICY_VOLATILE_LRU = (0 << 8) | FLAG_LRU
POLICY_VOLATILE_LFU = (1 << 8) | FLAG_LFU
POLICY_VOLATILE_TTL = 2 << 8
POLICY_VOLATILE_RANDOM = 3 << 8
POLICY_ALLKEYS_LRU = (4 << 8) | FLAG_LRU | FLAG_ALLKEYS
POLICY_ALLKEYS_LFU = (5 << 8) | FLAG_LFU | FLAG_ALLKEYS
POLICY_ALLKEYS_RANDOM = (6 << 8) | FLAG_ALLKEYS
POLICY_NOEVICTION = 7 << 8

POLICIES = {
    "volatile-lru": POLICY_VOLATILE_LRU, "volatile-lfu": POLICY_VOLATILE_LFU,
    "volatile-random": POLICY_VOLATILE_RANDOM, "volatile-ttl": POLICY_VOLATILE_TTL,
    "allkeys-lru": POLICY_ALLKEYS_LRU, "allkeys-lfu": POLICY_ALLKEYS_LFU,
    "allkeys-random": POLICY_ALLKEYS_RANDOM, "noeviction": POLICY_NOEVICTION,
}

LFU_INIT_VAL = 5
LFU_LOG_FACTOR = 10
LFU_DECAY_TIME = 1
XORSHIFT_SEED = np.uint64(0x9E3779B97F4A7C15)


def lfu_minutes(unix_seconds):
    """Redis's LFUGetTimeInMinutes."""
    return (int(unix_seconds) // 60) & 0xFFFF


def new_key_clock(unix_seconds):
    """What tm[T_LRU] holds under an LFU policy: the access field of a new key."""
    return (lfu_minutes(unix_seconds) << 8) | LFU_INIT_VAL


def lfu_decayed(field, now_minutes, decay_time=LFU_DECAY_TIME):
    """Redis's LFUDecrAndReturn, in Python (OBJECT FREQ)."""
    ldt, counter = field >> 8, field & 255
    elapsed = now_minutes - ldt if now_minutes >= ldt else 65535 - ldt + now_minutes
    periods = elapsed // decay_time if decay_time else 0
    return 0 if periods > counter else counter - periods


@kernel(inline=True)
def rand63(tm):
    """A non-negative 63-bit random number (xorshift64 on tm[T_RAND])."""
    x = np.uint64(tm[T_RAND])
    if x == 0:
        x = XORSHIFT_SEED
    x ^= x << np.uint64(13)
    x ^= x >> np.uint64(7)
    x ^= x << np.uint64(17)
    tm[T_RAND] = np.int64(x)
    return np.int64(x >> np.uint64(1))


@kernel(inline=True)
def lfu_counter(tm, field):
    """The counter of access field `field` after decay (Redis's LFUDecrAndReturn)."""
    ldt = field >> 8
    counter = field & 255
    now = tm[T_LRU] >> 8
    elapsed = now - ldt if now >= ldt else 65535 - ldt + now
    decay = tm[T_LFU_DECAY]
    periods = elapsed // decay if decay > 0 else 0
    return 0 if periods > counter else counter - periods


@kernel
def lfu_touched(tm, field):
    """The access field after one access (Redis's updateLFU: decay, then LFULogIncr)."""
    counter = lfu_counter(tm, field)
    if counter < 255:
        r = (rand63(tm) & 0xFFFFFF) / 16777216.0
        base = counter - LFU_INIT_VAL
        if base < 0:
            base = 0
        if r < 1.0 / (base * tm[T_LFU_LOG] + 1):
            counter += 1
    return (tm[T_LRU] & ~255) | counter
