"""Kernel preparation (server/prepare.py): units, their chains, workers, and nothing left to compile after.

The test session prepares every kernel at its start (tests/conftest.py), in
worker processes where the cache lacked them; these tests check what that
left behind.
"""
import pytest
from numba.core import event

from mako_numba.engine import kernels
from mako_numba.server import prepare, warmup


class _Count(event.Listener):
    def __init__(self):
        self.compiles = []

    def on_start(self, ev):
        self.compiles.append(ev.data["dispatcher"].py_func.__qualname__)

    def on_end(self, ev):
        pass


def test_every_unit_is_cached_and_the_warm_up_compiles_nothing():
    assert prepare.missing() == []
    count = _Count()
    with event.install_listener("numba:compile", count):
        warmup.run_once()
    assert count.compiles == []


def test_there_is_a_unit_per_family_with_kernel_ops_and_four_more():
    names = list(prepare.units())
    core = ["batch", "store", "slowpath", "persistence"]
    assert sorted(names) == sorted(core + [f.NAME for f, m in kernels.entries()])


def test_chains_cover_every_unit_once_and_start_with_what_a_start_waits_for():
    names = list(prepare.units())
    for n in range(1, 2 * len(names)):
        chains = prepare.chains(names, n)
        flat = [u for c in chains for u in c]
        assert sorted(flat) == sorted(names)
    two = prepare.chains(names, 2)
    assert two[0] == ["batch", "store", "connection", "server", "transactions"] and two[1] == ["string"]
    assert set(two[0] + two[1]) >= set(prepare.FIRST)
    assert all(len(c) == 1 for c in two[2:])
    assert all(len(c) == 1 for c in prepare.chains(names, len(names)))
    assert prepare.chains(["keys", "slowpath", "bitops"], 2) == [["slowpath"], ["keys"], ["bitops"]]


def test_prepare_reports_each_unit_it_compiles(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(prepare, "missing", lambda index=None: ["server", "connection"])
    seconds, compiled, background = prepare.prepare(lambda *a: seen.append(a), workers=0)
    assert compiled == ["server", "connection"] and background is None
    assert seen[0][0] is None and seen[0][2] == 2
    assert [s[:3] for s in seen[1:]] == [("server", 1, 2), ("connection", 2, 2)]


def test_workers_take_chains_and_report_each_unit():
    pool = prepare._Pool(["connection", "transactions", "server"], 2)
    try:
        got = sorted(pool.results.get(timeout=300)[0] for _ in range(3))
    finally:
        pool.close()
    assert got == ["connection", "server", "transactions"]


def test_a_worker_that_fails_is_an_error_naming_its_output():
    pool = prepare._Pool(["no-such-unit"], 1)
    try:
        err = pool.results.get(timeout=300)
    finally:
        pool.close()
    assert isinstance(err, prepare.CompileError)
    assert "no-such-unit" in str(err) and "KeyError" in str(err)
