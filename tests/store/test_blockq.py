"""The blocked-keys table (store/blockq.py) against a plain-Python model.

Random clients block on one to three of a few keys, leave (served or gone),
keys are written and the ring is served, and the table is moved into a
bigger one whenever a block finds no room, as engine/blocking.py does: after
every step each key's line, the ring's order and the counts match the model.
"""
import random

import numpy as np
import pytest

from mako_numba.base.jit import addr_of
from mako_numba.base.layout import (
    C_BLOCK_NODE, C_NFIELDS, T_BLOCK_READY, T_BQ_ADDR, T_BQ_GROW, T_BQ_KEYS, T_BQ_LEN, T_NFIELDS,
)
from mako_numba.store.blockq import (
    BQ_CLIENTS, BQ_KCAP, BQ_NCAP, BQ_NFREE, K_HEAD, K_SIZE, KS_LIVE, K_STATE, N_NEXT, N_SLOT,
    BQ_HDR, N_SIZE, bq_add, bq_find, bq_first, bq_heads, bq_mark, bq_move, bq_pop, bq_room,
    bq_swapdb, bq_unlink, new_table,
)

KEYS = [(s, pdb) for s in (11, 27, 43, 1 << 40, 59) for pdb in (0, 1)]


class Table:
    def __init__(self, kcap=8, ncap=4):
        self.tm = np.zeros(T_NFIELDS, np.int64)
        self.conn = np.zeros((64, C_NFIELDS), np.int64)
        self.set(new_table(kcap, ncap))

    def set(self, bq):
        self.bq = bq
        self.tm[T_BQ_ADDR] = addr_of(bq)
        self.tm[T_BQ_LEN] = len(bq)

    def grow(self):
        need = int(self.tm[T_BQ_GROW])
        self.tm[T_BQ_GROW] = 0
        old = self.bq
        kcap, ncap = int(old[BQ_KCAP]), int(old[BQ_NCAP])
        while 2 * (int(self.tm[T_BQ_KEYS]) + need) >= kcap:
            kcap *= 2
        while ncap - int(old[BQ_NCAP]) + int(old[BQ_NFREE]) < need:
            ncap *= 2
        new = new_table(kcap, ncap)
        bq_move(old, new)
        self.set(new)

    def line(self, key):
        e = bq_find(self.bq, *key)
        if e < 0:
            return []
        out = []
        n = self.bq[BQ_HDR + e * K_SIZE + K_HEAD]
        nodes = BQ_HDR + self.bq[BQ_KCAP] * K_SIZE
        while n:
            out.append(int(self.bq[nodes + n * N_SIZE + N_SLOT]))
            n = self.bq[nodes + n * N_SIZE + N_NEXT]
        return out

    def live_keys(self):
        states = self.bq[BQ_HDR:BQ_HDR + self.bq[BQ_KCAP] * K_SIZE][K_STATE::K_SIZE]
        return int(np.count_nonzero(states == KS_LIVE))


@pytest.mark.parametrize("seed", range(6))
def test_lines_and_ring_follow_the_model(seed):
    rnd = random.Random(seed)
    t = Table()
    lines = {k: [] for k in KEYS}         # the model: key -> slots in order
    waits = {}                              # slot -> its keys
    ring = []                               # ready keys, oldest first
    for step in range(600):
        op = rnd.random()
        free = [c for c in range(1, 64) if c not in waits]
        if op < 0.4 and free:
            c = rnd.choice(free)
            keys = rnd.sample(KEYS, rnd.randint(1, 3))
            keys = keys + keys[:1]          # a key named twice waits once
            while not bq_room(t.tm, len(keys)):
                t.grow()
                ring = [k for k in ring if lines[k]]    # (a move drops keys nobody waits on)
            for s, pdb in keys:
                bq_add(t.tm, t.conn, c, s, pdb)
            waits[c] = list(dict.fromkeys(keys))
            for k in waits[c]:
                lines[k].append(c)
        elif op < 0.6 and waits:
            c = rnd.choice(sorted(waits))
            served = rnd.random() < 0.5
            bq_unlink(t.tm, t.conn, c, served)
            keys = waits.pop(c)
            for k in keys:
                lines[k].remove(c)
            if served and len(keys) > 1:
                for k in keys:
                    if lines[k] and k not in ring:
                        ring.append(k)
            assert t.conn[c, C_BLOCK_NODE] == 0
        elif op < 0.8:
            k = rnd.choice(KEYS)
            bq_mark(t.tm, *k)
            if lines[k] and k not in ring:
                ring.append(k)
        elif op < 0.95:
            while ring and not lines[ring[0]]:
                ring.pop(0)
            want = lines[ring[0]][0] if ring else -1
            assert bq_first(t.tm) == want
            if ring:
                heads = np.zeros(16, np.int64)
                n = bq_heads(t.tm, heads)
                assert heads[:n].tolist() == [lines[k][0] for k in ring if lines[k]]
                bq_pop(t.tm)
                ring.pop(0)
        else:
            bq_swapdb(t.tm, 0, 1)
            lines = {(s, 1 - pdb): v for (s, pdb), v in lines.items()}
            waits = {c: [(s, 1 - pdb) for s, pdb in ks] for c, ks in waits.items()}
            ring = [(s, 1 - pdb) for s, pdb in ring]
            # every key waited on is tried again, in the table's order
            for k in sorted((k for k in KEYS if lines[k]), key=lambda k: bq_find(t.bq, *k)):
                if k not in ring:
                    ring.append(k)
        for k in KEYS:
            assert t.line(k) == lines[k], (step, k)
        assert int(t.bq[BQ_CLIENTS]) == len(waits)
        assert int(t.tm[T_BQ_KEYS]) == sum(1 for v in lines.values() if v) == t.live_keys()
        assert t.tm[T_BLOCK_READY] >= len([k for k in ring if lines[k]])
