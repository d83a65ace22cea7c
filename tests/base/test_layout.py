"""base/layout.py: field numbers handed out by owner, and the overlap check.

The arrays' numbers are never typed by hand; `Fields.check` (run at import)
refuses two fields on one number and a size that does not cover them.
"""
import pytest

from mako_numba.base import layout
from mako_numba.base.layout import Fields


def test_take_hands_out_consecutive_numbers_per_block():
    f = Fields("demo")
    f.owner("a")
    assert (f.take(), f.take()) == (0, 1)
    f.owner("b")
    assert f.take(4) == 2
    assert f.take() == 6
    assert f.check() == 7
    assert f.blocks == {"a": (0, 2), "b": (2, 7)}


def test_overlap_is_refused():
    f = Fields("demo")
    f.owner("a")
    f.take(3)
    f.owner("b")
    f.place(2)                  # a deliberate overlap with a's last field
    with pytest.raises(AssertionError, match=r"demo\[2\]: a and b overlap"):
        f.check()


def test_size_must_cover_every_field():
    f = Fields("demo")
    f.take(5)
    assert f.check(8) == 8
    with pytest.raises(AssertionError, match="outside its size 4"):
        f.check(4)


def test_an_owner_has_one_block():
    f = Fields("demo")
    f.owner("a")
    with pytest.raises(AssertionError):
        f.owner("a")


@pytest.mark.parametrize("fields, size", [
    (layout.TM, layout.T_NFIELDS), (layout.CONN, layout.C_NFIELDS), (layout.QUEUE, layout.Q_NFIELDS),
    (layout.BATCH, layout.B_NFIELDS), (layout.STATS, layout.S_NFIELDS), (layout.RES, layout.R_NFIELDS),
    (layout.HANDLES, layout.H_NFIELDS),
])
def test_the_package_layouts_hold(fields, size):
    assert fields.check(size) == size


def test_tm_blocks_by_owner():
    blocks = layout.TM.blocks
    for owner in ("index", "rehash", "arena", "expiry", "watch", "propagation", "eviction", "lfu",
                  "loading", "transactions"):
        assert owner in blocks
    start, stop = blocks["propagation"]     # contiguous: FLUSHALL keeps its first part
    assert (layout.T_PROP_ADDR, layout.T_PROP_HELD + 1) == (start, stop)
    assert blocks["eviction"][1] == layout.T_POOL + layout.POOL_SIZE * layout.POOL_W
    # names no two fields share: every T_* constant is a distinct number below T_NFIELDS
    names = [n for n in dir(layout) if n.startswith("T_") and n != "T_NFIELDS"]
    values = [getattr(layout, n) for n in names]
    assert len(set(values)) == len(values) and max(values) < layout.T_NFIELDS
