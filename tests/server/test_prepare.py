"""Kernel preparation (server/prepare.py): units, their grouping, and nothing left to compile after.

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


def test_there_is_a_unit_per_family_with_kernel_ops_and_three_more():
    names = list(prepare.units())
    assert sorted(names) == sorted(["batch", "store", "persistence"] + [f.NAME for f, m in kernels.entries()])


def test_groups_cover_every_unit_once_and_keep_the_families_together():
    names = list(prepare.units())
    for n in range(1, 2 * len(names)):
        groups = prepare.groups(names, n)
        assert 1 <= len(groups) <= n
        flat = [u for g in groups for u in g]
        assert sorted(flat) == sorted(names)
    two = prepare.groups(names, 2)
    fams = {f.NAME for f, m in kernels.entries()}
    assert any(set(g) == fams for g in two) and any(set(g) == {"batch", "store", "persistence"} for g in two)


def test_prepare_reports_each_unit_it_compiles(tmp_path, monkeypatch):
    seen = []
    monkeypatch.setattr(prepare, "missing", lambda index=None: ["server", "connection"])
    seconds, compiled = prepare.prepare(lambda *a: seen.append(a), workers=0)
    assert compiled == ["server", "connection"]
    assert seen[0][0] is None and seen[0][2] == 2
    assert [s[:3] for s in seen[1:]] == [("server", 1, 2), ("connection", 2, 2)]


def test_a_worker_that_fails_is_an_error_naming_its_output():
    with pytest.raises(prepare.CompileError) as err:
        list(prepare._in_workers(["no-such-unit"], 1))
    assert "no-such-unit" in str(err.value) and "KeyError" in str(err.value)
