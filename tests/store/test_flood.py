"""Hash flooding: keys crafted to collide under an unkeyed SipHash do not lengthen our probes.

bench/flood.py crafts keys whose SipHash-1-3 under the all-zero key share
their top bits, so in a table keyed with zeros they all start probing at one
slot.  The facts checked are structural, never timed: after loading, every
occupied slot's displacement from its home slot (how many slots a lookup of
that key visits, minus one) is read from the index.  Under the zero key the
crafted keys pile up (the attack works against an unkeyed table); under the
table's random per-process seed they are displaced no more than random keys.
`python -m bench.flood` measures GET throughput for both key sets.
"""
import numpy as np
import pytest

from bench.flood import craft_keys, random_keys
from mako_numba.store import index, table
from mako_numba.base.layout import T_LOGCAP, T_MIG
from test_table import Keys, make, t_get, t_set

N = 1000
BITS = 12           # the loaded index has 2**12 slots: one shared home slot under the zero key


@pytest.fixture(scope="module")
def crafted():
    return craft_keys(N, BITS)


def displacements(seed, keys):
    ks, lim = make(logcap=4, chunk=1 << 20, large=1 << 16, databases=1, seed=seed)
    addr = Keys()
    for k in keys:
        t_set(ks, lim, addr, 0, k, b"v")
    for _ in range(1000):
        if not ks.tm[T_MIG]:
            break
        table.migrate(ks.T, 1 << 16)
    assert not ks.tm[T_MIG]
    for k in keys:
        assert t_get(ks, addr, 0, k) == b"v"
    logcap = int(ks.tm[T_LOGCAP])
    assert logcap <= BITS
    mask = (1 << logcap) - 1
    out = []
    for i, s in enumerate(ks.idx):
        if s > table.TOMB:
            h = int(index._slot_hash(ks.tm, ks.chunks, int(s))) & ((1 << 64) - 1)
            out.append((i - (h >> (64 - logcap))) & mask)
    assert len(out) == len(keys)
    return np.array(out)


def test_crafted_keys_collide_without_a_seed(crafted):
    d = displacements(0, crafted)
    assert d.mean() > N / 4             # one probe chain: the i-th key visits ~i slots


def test_crafted_keys_spread_under_the_random_seed(crafted):
    base = displacements(None, random_keys(N))
    for _ in range(2):                  # two fresh random seeds
        d = displacements(None, crafted)
        assert d.mean() <= 2 * base.mean() + 1
        assert d.max() <= max(4 * base.max(), 32)
