"""maxmemory: evicting keys by sampling, as Redis 7.0's evict.c does.

`perform_evictions` runs before every command while maxmemory is set (the
engine's one branch on tm[T_MAXMEM]); a command flagged denyoom is refused
with -OOM when it reports EVICT_FAIL.

Rules and theory:
- Used memory is what INFO's used_memory says: the key space's bytes the
  kernels see (live blocks, tm[T_MEM], plus both indexes) and tm[T_MEM_REST],
  the rest (client buffers, fixed arrays), which Python refreshes each cron.
- While over the limit, one key at a time is chosen and deleted.  The
  random policies take a random live key (volatile-random: with an expire
  time).  The others keep Redis's eviction pool: POOL_SIZE candidates in tm,
  sorted by score (higher is evicted first: LRU idle ms, 255 - LFU counter,
  or "expires soonest" for volatile-ttl); each round samples tm[T_SAMPLES]
  keys from a random index position (Redis's dictGetSomeKeys) and merges
  them in, then evicts the best candidate still in place.  We sample the one
  index that holds every database, where Redis samples each database's dict.
- A pool entry remembers its index (1 idx, 2 oidx), slot and slot value; it
  is used only while that slot still holds that value, so a key deleted or
  moved since it was sampled is never touched (a freed record is never read).
- An evicted key is deleted as an expired one is (a DEL propagated, WATCH touched,
  key counts), counted in tm[T_EVICTED], and is not a change (dirty).
- A call stops early, as Redis's does, once it has run longer than
  maxmemory-eviction-tenacity allows (50 us per step up to 10, then 15%
  more per step, unlimited at 100), checked every 16 keys against the cycle
  counter (tm[T_EVICT_LIMIT] ticks, which Python computes): the command is
  let through (EVICT_RUNNING), and the next command, or the cron while
  memory stays over the limit (Redis's evictionTimeProc), evicts more.
  EVICT_FAIL means nothing could be evicted.
- An eviction is never made without its DEL in the propagation stream
  (effects.py; or an AOF restart would bring the key back): when the
  stream's buffer has no room for it, EVICT_NO_LOG, and the command is
  deferred until Python has drained the stream, as a write that finds no
  room is.
- Nothing is evicted while the AOF is loaded (tm[T_LOADING]), as Redis
  never evicts from its loader.
"""
from dataclasses import dataclass
import time

from mako_numba.observe import latency
from mako_numba.base.jit import cycles, kernel, prefetch
from mako_numba.store.effects import del_room_or_need, propagate_del, propagating
from mako_numba.base.layout import (
    LRU_CLOCK_MAX, POOL_SIZE, POOL_W, T_DIRTY,
    T_EVICT_LIMIT, T_EVICT_OVER, T_EVICTED, T_LIVE, T_LOADING, T_LOGCAP, T_MAXMEM, T_MEM, T_MEM_REST, T_MIG,
    T_LFU_DECAY, T_LFU_LOG, T_MIGPOS, T_OLOGCAP, T_POLICY, T_POOL, T_POOL_N, T_LRU, T_SAMPLES, T_VOLATILE,
)
from mako_numba.store.lfu import (
    FLAG_ALLKEYS, FLAG_LFU, FLAG_LRU, POLICIES, POLICY_NOEVICTION, POLICY_VOLATILE_TTL, lfu_counter,
    new_key_clock, rand63,
)
from mako_numba.store.arena import REC_HDR, rec_hdr, rec_klen, rec_db, rec_lru, ref_addr
from mako_numba.store.index import TOMB, slot_ref
from mako_numba.store.table import unlink_slot

EVICT_OK = 0
EVICT_RUNNING = 1
EVICT_FAIL = 2
EVICT_NO_LOG = 3        # the stream has no room for the DEL: defer, Python drains it


@kernel(inline=True)
def used_memory(T):
    """INFO's used_memory, as the kernels know it."""
    tm = T[0]
    return tm[T_MEM] + 8 * (T[1].shape[0] + T[2].shape[0]) + tm[T_MEM_REST]


@kernel
def _score(tm, hdr, policy, now_ms):
    """Redis's `idle` of a pool candidate: the higher, the sooner it goes."""
    if policy & FLAG_LRU:
        clock = (now_ms // 1000) & LRU_CLOCK_MAX
        lru = rec_lru(hdr)
        return (clock - lru if clock >= lru else clock + (LRU_CLOCK_MAX - lru)) * 1000
    if policy & FLAG_LFU:
        return 255 - lfu_counter(tm, rec_lru(hdr))
    return (1 << 62) - hdr[2]                    # volatile-ttl: the soonest expire time first


@kernel
def _pool_insert(tm, score, which, pos, s):
    """Merge one candidate into the sorted pool (Redis's evictionPoolPopulate)."""
    n = tm[T_POOL_N]
    for i in range(n):
        e = T_POOL + i * POOL_W
        if tm[e + 1] == which and tm[e + 2] == pos:
            return
    k = 0
    while k < n and tm[T_POOL + k * POOL_W] < score:
        k += 1
    if k == 0 and n == POOL_SIZE:
        return                                  # worse than every candidate of a full pool
    if n < POOL_SIZE:
        for i in range(n, k, -1):               # shift [k, n) right
            for w in range(POOL_W):
                tm[T_POOL + i * POOL_W + w] = tm[T_POOL + (i - 1) * POOL_W + w]
        tm[T_POOL_N] = n + 1
    else:
        k -= 1                                  # drop the worst (entry 0), shift [1, k] left
        for i in range(k):
            for w in range(POOL_W):
                tm[T_POOL + i * POOL_W + w] = tm[T_POOL + (i + 1) * POOL_W + w]
    e = T_POOL + k * POOL_W
    tm[e] = score
    tm[e + 1] = which
    tm[e + 2] = pos
    tm[e + 3] = s


@kernel
def _sample_start(T):
    """A random (which index, first slot) to walk from; oidx only while rehashing."""
    tm, idx, oidx = T[0], T[1], T[2]
    r = rand63(tm)
    if tm[T_MIG] and (r & 1) and oidx.shape[0] > tm[T_MIGPOS]:
        return 2, (r >> 1) & (oidx.shape[0] - 1)
    return 1, (r >> 1) & (idx.shape[0] - 1)


@kernel
def _populate(T, policy, now_ms):
    """Sample tm[T_SAMPLES] keys into the pool; returns how many were seen."""
    tm, idx, oidx, chunks = T[0], T[1], T[2], T[3]
    volatile_only = (policy & FLAG_ALLKEYS) == 0
    which, pos = _sample_start(T)
    ix = idx if which == 1 else oidx
    n = ix.shape[0]
    want = tm[T_SAMPLES]
    budget = want * 10
    if volatile_only and tm[T_VOLATILE] > 0:
        budget *= max(1, tm[T_LIVE] // tm[T_VOLATILE])
    budget = min(budget, n)
    p = pos                                     # first pass: start loading the records
    live = 0
    for _ in range(budget):
        s = ix[p]
        if s > TOMB:
            prefetch(ref_addr(chunks, slot_ref(s)))
            live += 1
            if live == want:
                break
        p = (p + 1) & (n - 1)
    got = 0
    for _ in range(budget):
        s = ix[pos]
        if s > TOMB:
            hdr = rec_hdr(chunks, slot_ref(s))
            if not volatile_only or hdr[2] != 0:
                _pool_insert(tm, _score(tm, hdr, policy, now_ms), which, pos, s)
                got += 1
                if got == want:
                    break
        pos = (pos + 1) & (n - 1)
    return got


@kernel
def _pool_pick(T, volatile_only):
    """Take the best candidate still in place out of the pool: (which, slot), or (0, -1)."""
    tm, idx, oidx, chunks = T[0], T[1], T[2], T[3]
    while tm[T_POOL_N] > 0:
        n = tm[T_POOL_N] - 1
        e = T_POOL + n * POOL_W
        which, pos, s = tm[e + 1], tm[e + 2], tm[e + 3]
        tm[T_POOL_N] = n
        ix = idx if which == 1 else oidx
        if pos < ix.shape[0] and ix[pos] == s and s > TOMB:
            if not volatile_only or rec_hdr(chunks, slot_ref(s))[2] != 0:
                return which, pos
    return 0, -1


@kernel
def _random_key(T, volatile_only):
    """A random live key (with an expire time when volatile_only): (which, slot), or (0, -1)."""
    tm, idx, oidx, chunks = T[0], T[1], T[2], T[3]
    which, pos = _sample_start(T)
    ix = idx if which == 1 else oidx
    n = ix.shape[0]
    for _ in range(n):
        s = ix[pos]
        if s > TOMB and (not volatile_only or rec_hdr(chunks, slot_ref(s))[2] != 0):
            return which, pos
        pos = (pos + 1) & (n - 1)
    return 0, -1


@kernel
def evict_slot(T, lim, which, pos):
    """Delete a key chosen for eviction: logged as a DEL, counted as evicted, not as a change.

    False (nothing done) when the propagation stream has no room for the DEL.
    """
    tm, chunks = T[0], T[3]
    ix = T[1] if which == 1 else T[2]
    ref = slot_ref(ix[pos])
    if propagating(tm):
        hdr = rec_hdr(chunks, ref)
        if not del_room_or_need(tm, rec_klen(hdr)):
            return False
        propagate_del(T, rec_db(hdr), ref_addr(chunks, ref) + REC_HDR, rec_klen(hdr))
    unlink_slot(T, lim, ix, tm[T_LOGCAP] if which == 1 else tm[T_OLOGCAP], which == 1, pos)
    tm[T_EVICTED] += 1
    tm[T_DIRTY] -= 1
    return True


@kernel
def perform_evictions(T, lim, now_ms):
    """Evict until used memory is within tm[T_MAXMEM]: EVICT_OK, EVICT_RUNNING, EVICT_FAIL or EVICT_NO_LOG."""
    tm = T[0]
    if used_memory(T) <= tm[T_MAXMEM] or tm[T_LOADING] != 0:
        tm[T_EVICT_OVER] = 0
        return EVICT_OK
    tm[T_EVICT_OVER] = 1
    policy = tm[T_POLICY]
    if policy == POLICY_NOEVICTION:
        return EVICT_FAIL
    volatile_only = (policy & FLAG_ALLKEYS) == 0
    pooled = (policy & (FLAG_LRU | FLAG_LFU)) != 0 or policy == POLICY_VOLATILE_TTL
    t0 = cycles()
    freed = 0
    while True:
        which = 0
        pos = -1
        for _round in range(64):
            if (tm[T_VOLATILE] if volatile_only else tm[T_LIVE]) == 0:
                return EVICT_FAIL
            if pooled:
                _populate(T, policy, now_ms)
                which, pos = _pool_pick(T, volatile_only)
            else:
                which, pos = _random_key(T, volatile_only)
            if which != 0:
                break
        if which == 0:
            return EVICT_FAIL
        if not evict_slot(T, lim, which, pos):
            return EVICT_NO_LOG
        if used_memory(T) <= tm[T_MAXMEM]:
            tm[T_EVICT_OVER] = 0
            return EVICT_OK
        freed += 1
        if freed % 16 == 0 and cycles() - t0 > tm[T_EVICT_LIMIT]:
            return EVICT_RUNNING


@kernel
def evict_now(T, lim, now_ms):
    """perform_evictions for Python (tests, and a shrunk maxmemory)."""
    return perform_evictions(T, lim, now_ms)


# --- the Python side: settings into tm, the rest of used_memory, exceeded time ----------
def evict_for_slow_path(core):
    """perform_evictions before a slow-path command or EXEC: EVICT_OK, EVICT_RUNNING or EVICT_FAIL.

    A full propagation stream (EVICT_NO_LOG) is drained and eviction goes on.
    """
    now = int(time.time() * 1000)
    ev = evict_now(core.ks.T, core.lim, now)
    while ev == EVICT_NO_LOG:
        core.propagation.drain()
        ev = evict_now(core.ks.T, core.lim, now)
    return ev


def apply_settings(core):
    """Push maxmemory, maxmemory-policy and maxmemory-samples into the key space's meta."""
    s = core.settings
    tm = core.ks.tm
    tm[T_MAXMEM] = min(int(s["maxmemory"]), 2**63 - 1)    # an unsigned long long in Redis
    was_lfu = tm[T_POLICY] & FLAG_LFU
    tm[T_POLICY] = POLICIES[s["maxmemory-policy"]]
    tm[T_SAMPLES] = int(s["maxmemory-samples"])
    tm[T_LFU_LOG] = int(s["lfu-log-factor"])
    tm[T_LFU_DECAY] = int(s["lfu-decay-time"])
    tm[T_EVICT_LIMIT] = tenacity_ticks(int(s["maxmemory-eviction-tenacity"]))
    tm[T_POOL_N] = 0
    if (tm[T_POLICY] & FLAG_LFU) != was_lfu:
        tm[T_LRU] = new_key_clock(time.time()) if tm[T_POLICY] & FLAG_LFU else lru_clock()
    refresh(core)


def tenacity_ticks(tenacity):
    """Redis's evictionTimeLimitUs, in cycle-counter ticks (no limit at 100)."""
    if tenacity >= 100:
        return 1 << 62
    us = 50 * tenacity if tenacity <= 10 else int(500.0 * 1.15 ** (tenacity - 10))
    per_tick = latency.ns_per_cycle()
    return int(us * 1000 / per_tick) if per_tick else 0


@dataclass(slots=True)
class EvictionStats:
    """Redis's eviction-exceeded time (INFO stats *_eviction_exceeded_time): core.eviction."""
    exceeded_since: float = 0.0     # monotonic time the server went over maxmemory, 0: not over
    exceeded_total: float = 0.0     # seconds over it before that


def refresh(core):
    """Each cron: the used_memory the kernels cannot see, and Redis's eviction-exceeded time."""
    from mako_numba.observe.memstats import used_memory as info_used_memory
    tm = core.ks.tm
    if tm[T_POLICY] & FLAG_LFU:
        tm[T_LRU] = new_key_clock(time.time())
    if tm[T_MAXMEM] == 0:
        tm[T_MEM_REST] = 0
        tm[T_EVICT_OVER] = 0
        over = False
    else:
        tm[T_MEM_REST] = info_used_memory(core) - core.ks.used_bytes()
        over = tm[T_EVICT_OVER] != 0
    now = time.monotonic()
    ex = core.eviction
    if over and not ex.exceeded_since:
        ex.exceeded_since = now
    elif not over and ex.exceeded_since:
        ex.exceeded_total += now - ex.exceeded_since
        ex.exceeded_since = 0.0


def reset_stats(core):
    """CONFIG RESETSTAT: evicted_keys and the exceeded times start again (Redis's resetServerStats)."""
    core.ks.tm[T_EVICTED] = 0
    ex = core.eviction
    ex.exceeded_total = 0.0
    if ex.exceeded_since:
        ex.exceeded_since = time.monotonic()


def exceeded_ms(core):
    """(total, current) milliseconds spent over maxmemory (INFO's *_eviction_exceeded_time)."""
    since = core.eviction.exceeded_since
    current = time.monotonic() - since if since else 0.0
    total = core.eviction.exceeded_total + current
    return int(total * 1000), int(current * 1000)


def lru_clock():
    return int(time.time()) & LRU_CLOCK_MAX
