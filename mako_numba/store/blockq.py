"""The blocked-keys table: which clients wait on which keys, in order, kept by the kernels.

A blocking command that found nothing to serve it (commands/blocking.py)
is registered here by the batch that ran it (engine/batch.py), and a write
to one of its keys puts that key in the ready ring; the batch then runs the
first client in line again before its next request, as Redis serves
blocked clients before the next command.  Nothing here needs Python while
clients block and are served; Python only allocates a bigger table when a
block finds no room (T_BQ_GROW) and keeps the deadlines of blocks with a
timeout (engine/blocking.py).

One int64 array at tm[T_BQ_ADDR] of tm[T_BQ_LEN] words:
- a header (BQ_*);
- kcap key entries of K_SIZE (open addressing on the key's SipHash, as the
  watch table: K_HASH, K_PDB, K_STATE empty / live / gone, K_HEAD and K_TAIL
  of its line of nodes, K_READY while in the ring);
- ncap nodes of N_SIZE, node 0 unused (0 means none): one per (client,
  key): N_SLOT, N_ENTRY, N_NEXT and N_PREV in the key's line, N_SIB the
  client's next node; free nodes are chained by N_NEXT from BQ_FREE;
- a ring of kcap entry numbers: the ready keys, oldest first (each at most once: K_READY).

Rules: a client is registered once (C_BLOCK_NODE), and stays where it is in
line when it is tried again and blocks on; a key with nobody left in line
becomes a gone entry (reused by the same key, dropped by the next resize).
"""
import numpy as np

from mako_numba.base.jit import i64view, kernel
from mako_numba.base.layout import (
    C_BLOCK_NODE, C_BLOCK_SERIAL, T_BLOCK_READY, T_BQ_ADDR, T_BQ_GROW, T_BQ_KEYS, T_BQ_LEN,
)

BQ_KCAP = 0         # key entries (a power of two)
BQ_KUSED = 1        # entries not empty (live or gone)
BQ_NCAP = 2         # nodes (node 0 included)
BQ_FREE = 3         # first free node (0: none)
BQ_NFREE = 4        # free nodes
BQ_RHEAD = 5        # ready ring: first position
BQ_RN = 6           #   entries in it
BQ_SERIAL = 7       # blocks registered so far
BQ_CLIENTS = 8      # clients registered now
BQ_HDR = 16

K_HASH = 0
K_PDB = 1
K_STATE = 2         # KS_*
K_HEAD = 3
K_TAIL = 4
K_READY = 5
K_SIZE = 6
KS_EMPTY = 0
KS_LIVE = 1
KS_GONE = 2

N_SLOT = 0
N_ENTRY = 1
N_NEXT = 2
N_PREV = 3
N_SIB = 4
N_SIZE = 5


def table_len(kcap, ncap):
    return BQ_HDR + kcap * K_SIZE + ncap * N_SIZE + kcap


def new_table(kcap, ncap):
    """An empty table (Python allocates; the kernels fill it)."""
    bq = np.zeros(table_len(kcap, ncap), np.int64)
    bq[BQ_KCAP] = kcap
    bq[BQ_NCAP] = ncap
    _chain_free(bq, 1, ncap)
    return bq


@kernel
def _chain_free(bq, first, ncap):
    """Nodes first..ncap-1 onto the free list."""
    nb = BQ_HDR + bq[BQ_KCAP] * K_SIZE
    for n in range(ncap - 1, first - 1, -1):
        bq[nb + n * N_SIZE + N_NEXT] = bq[BQ_FREE]
        bq[BQ_FREE] = n
        bq[BQ_NFREE] += 1


@kernel(inline=True)
def _kbase(bq, e):
    return BQ_HDR + e * K_SIZE


@kernel(inline=True)
def _nbase(bq, n):
    return BQ_HDR + bq[BQ_KCAP] * K_SIZE + n * N_SIZE


@kernel(inline=True)
def _ring(bq):
    return BQ_HDR + bq[BQ_KCAP] * K_SIZE + bq[BQ_NCAP] * N_SIZE


@kernel
def bq_view(tm):
    return i64view(tm[T_BQ_ADDR], tm[T_BQ_LEN])


@kernel
def bq_find(bq, s, pdb):
    """The entry of key hash s in physical database pdb (live or gone), or -1."""
    mask = bq[BQ_KCAP] - 1
    pos = s & mask
    while True:
        b = _kbase(bq, pos)
        st = bq[b + K_STATE]
        if st == KS_EMPTY:
            return -1
        if bq[b + K_HASH] == s and bq[b + K_PDB] == pdb:
            return pos
        pos = (pos + 1) & mask


@kernel
def _entry_for(bq, tm, s, pdb):
    """The key's entry, made live (the caller checked there is room)."""
    e = bq_find(bq, s, pdb)
    if e < 0:
        mask = bq[BQ_KCAP] - 1
        e = s & mask
        while bq[_kbase(bq, e) + K_STATE] == KS_LIVE or bq[_kbase(bq, e) + K_READY] != 0:
            e = (e + 1) & mask
        # an empty entry, or a gone one not in the ring (it stays in the probe chains, as the new key's)
        b = _kbase(bq, e)
        if bq[b + K_STATE] == KS_EMPTY:
            bq[BQ_KUSED] += 1
        bq[b + K_HASH] = s
        bq[b + K_PDB] = pdb
        bq[b + K_STATE] = KS_GONE
        bq[b + K_HEAD] = 0
        bq[b + K_TAIL] = 0
    b = _kbase(bq, e)
    if bq[b + K_STATE] != KS_LIVE:
        bq[b + K_STATE] = KS_LIVE
        tm[T_BQ_KEYS] += 1
    return e


@kernel
def bq_room(tm, nkeys):
    """Is there room to register a client on nkeys more keys?  If not, asks Python (T_BQ_GROW)."""
    if tm[T_BQ_ADDR] == 0:
        tm[T_BQ_GROW] = nkeys
        return False
    bq = bq_view(tm)
    if bq[BQ_NFREE] < nkeys or 2 * (bq[BQ_KUSED] + nkeys) > bq[BQ_KCAP]:
        tm[T_BQ_GROW] = max(tm[T_BQ_GROW], nkeys)
        return False
    return True


@kernel
def bq_add(tm, conn, c, s, pdb):
    """Client c waits on key (s, pdb) too, after those already waiting (once per key)."""
    bq = bq_view(tm)
    e = _entry_for(bq, tm, s, pdb)
    n = conn[c, C_BLOCK_NODE]
    last = 0
    while n != 0:               # (BLPOP k k 0: once)
        nb = _nbase(bq, n)
        if bq[nb + N_ENTRY] == e:
            return
        last = n
        n = bq[nb + N_SIB]
    n = bq[BQ_FREE]
    nb = _nbase(bq, n)
    bq[BQ_FREE] = bq[nb + N_NEXT]
    bq[BQ_NFREE] -= 1
    kb = _kbase(bq, e)
    tail = bq[kb + K_TAIL]
    bq[nb + N_SLOT] = c
    bq[nb + N_ENTRY] = e
    bq[nb + N_NEXT] = 0
    bq[nb + N_PREV] = tail
    bq[nb + N_SIB] = 0
    if tail != 0:
        bq[_nbase(bq, tail) + N_NEXT] = n
    else:
        bq[kb + K_HEAD] = n
    bq[kb + K_TAIL] = n
    if last != 0:
        bq[_nbase(bq, last) + N_SIB] = n
    else:
        conn[c, C_BLOCK_NODE] = n
        bq[BQ_SERIAL] += 1
        bq[BQ_CLIENTS] += 1
        conn[c, C_BLOCK_SERIAL] = bq[BQ_SERIAL]


@kernel
def bq_unlink(tm, conn, c, served):
    """Client c waits no more: out of every key's line.  When it was `served` while waiting
    on several keys, those keys are tried again for the next in line (it took from one of
    them, maybe not the one that was written)."""
    n = conn[c, C_BLOCK_NODE]
    if n == 0:
        return
    conn[c, C_BLOCK_NODE] = 0
    bq = bq_view(tm)
    bq[BQ_CLIENTS] -= 1
    several = served and bq[_nbase(bq, n) + N_SIB] != 0
    while n != 0:
        nb = _nbase(bq, n)
        e = bq[nb + N_ENTRY]
        kb = _kbase(bq, e)
        prev = bq[nb + N_PREV]
        nxt = bq[nb + N_NEXT]
        if prev != 0:
            bq[_nbase(bq, prev) + N_NEXT] = nxt
        else:
            bq[kb + K_HEAD] = nxt
        if nxt != 0:
            bq[_nbase(bq, nxt) + N_PREV] = prev
        else:
            bq[kb + K_TAIL] = prev
        if bq[kb + K_HEAD] == 0 and bq[kb + K_STATE] == KS_LIVE:
            bq[kb + K_STATE] = KS_GONE
            tm[T_BQ_KEYS] -= 1
        elif several:
            _ready(tm, bq, e)
        sib = bq[nb + N_SIB]
        bq[nb + N_NEXT] = bq[BQ_FREE]
        bq[BQ_FREE] = n
        bq[BQ_NFREE] += 1
        n = sib


@kernel
def _ready(tm, bq, e):
    kb = _kbase(bq, e)
    if bq[kb + K_HEAD] == 0 or bq[kb + K_READY] != 0:
        return
    bq[kb + K_READY] = 1
    bq[_ring(bq) + (bq[BQ_RHEAD] + bq[BQ_RN]) % bq[BQ_KCAP]] = e
    bq[BQ_RN] += 1
    tm[T_BLOCK_READY] = bq[BQ_RN]


@kernel
def bq_mark(tm, s, pdb):
    """Key (s, pdb) was written: if clients wait on it, it joins the ready ring."""
    bq = bq_view(tm)
    e = bq_find(bq, s, pdb)
    if e >= 0:
        _ready(tm, bq, e)


@kernel
def bq_pop(tm):
    """The oldest ready key leaves the ring (a write puts it back)."""
    bq = bq_view(tm)
    e = bq[_ring(bq) + bq[BQ_RHEAD]]
    bq[BQ_RHEAD] = (bq[BQ_RHEAD] + 1) % bq[BQ_KCAP]
    bq[BQ_RN] -= 1
    tm[T_BLOCK_READY] = bq[BQ_RN]
    bq[_kbase(bq, e) + K_READY] = 0


@kernel
def bq_first(tm):
    """The first client in line on the oldest ready key, or -1 when the ring is empty
    (keys nobody waits on any more leave the ring on the way)."""
    bq = bq_view(tm)
    while bq[BQ_RN] > 0:
        e = bq[_ring(bq) + bq[BQ_RHEAD]]
        n = bq[_kbase(bq, e) + K_HEAD]
        if n != 0:
            return bq[_nbase(bq, n) + N_SLOT]
        bq_pop(tm)
    return -1


@kernel
def bq_heads(tm, out):
    """The first client in line on each ready key, oldest first, into out; how many."""
    if tm[T_BQ_ADDR] == 0:
        return 0
    bq = bq_view(tm)
    r = _ring(bq)
    k = 0
    for i in range(bq[BQ_RN]):
        e = bq[r + (bq[BQ_RHEAD] + i) % bq[BQ_KCAP]]
        n = bq[_kbase(bq, e) + K_HEAD]
        if n != 0 and k < out.shape[0]:
            out[k] = bq[_nbase(bq, n) + N_SLOT]
            k += 1
    return k


@kernel
def bq_swapdb(tm, p1, p2):
    """SWAPDB: the keys waited on follow their database; each of them is tried again
    (Redis's scanDatabaseForReadyKeys)."""
    if tm[T_BQ_ADDR] == 0 or tm[T_BQ_KEYS] == 0:
        return
    bq = bq_view(tm)
    for e in range(bq[BQ_KCAP]):
        kb = _kbase(bq, e)
        if bq[kb + K_STATE] == KS_EMPTY:
            continue
        pdb = bq[kb + K_PDB]
        if pdb == p1 or pdb == p2:
            bq[kb + K_PDB] = p2 if pdb == p1 else p1
            _ready(tm, bq, e)


@kernel
def bq_move(old, new):
    """Copy the table into a bigger one: live keys rehashed, nodes and the ring kept in order."""
    ncap_old = old[BQ_NCAP]
    ncap = new[BQ_NCAP]
    kmask = new[BQ_KCAP] - 1
    remap = np.full(old[BQ_KCAP], -1, np.int64)
    for e in range(old[BQ_KCAP]):
        ob = _kbase(old, e)
        if old[ob + K_STATE] != KS_LIVE:
            continue
        pos = old[ob + K_HASH] & kmask
        while new[_kbase(new, pos) + K_STATE] != KS_EMPTY:
            pos = (pos + 1) & kmask
        nbk = _kbase(new, pos)
        for j in range(K_SIZE):
            new[nbk + j] = old[ob + j]
        new[BQ_KUSED] += 1
        remap[e] = pos
    for n in range(1, ncap_old):
        ob = _nbase(old, n)
        nb = _nbase(new, n)
        for j in range(N_SIZE):
            new[nb + j] = old[ob + j]
        e = old[ob + N_ENTRY]
        if 0 <= e < remap.shape[0] and remap[e] >= 0:   # (a free node's is stale)
            new[nb + N_ENTRY] = remap[e]
    # the free list: the old free nodes, then the new ones
    new[BQ_FREE] = old[BQ_FREE]
    new[BQ_NFREE] = old[BQ_NFREE]
    for n in range(ncap - 1, ncap_old - 1, -1):
        new[_nbase(new, n) + N_NEXT] = new[BQ_FREE]
        new[BQ_FREE] = n
        new[BQ_NFREE] += 1
    ro = _ring(old)
    rn = _ring(new)
    k = 0
    for i in range(old[BQ_RN]):             # (keys nobody waits on are dropped)
        e = remap[old[ro + (old[BQ_RHEAD] + i) % old[BQ_KCAP]]]
        if e >= 0:
            new[rn + k] = e
            k += 1
    new[BQ_RHEAD] = 0
    new[BQ_RN] = k
    for e in range(new[BQ_KCAP]):          # the ring's flags are the ring's keys
        kb = _kbase(new, e)
        if new[kb + K_STATE] != KS_EMPTY:
            new[kb + K_READY] = 0
    for i in range(k):
        new[_kbase(new, new[rn + i]) + K_READY] = 1
    new[BQ_SERIAL] = old[BQ_SERIAL]
    new[BQ_CLIENTS] = old[BQ_CLIENTS]
