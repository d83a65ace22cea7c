"""A request of a family still compiling waits for it, and nothing else does (engine/core.py).

At a first start the server answers before every family is compiled
(server/prepare.py); the batch kernel defers a request whose family's entry
is not loaded (F_WAITS_KERNELS), and the Core parks its connection until
the family is loaded.  Here the Core is real and the string family really
is unloaded from the table; `_Compiling` stands in for the worker processes
that would be compiling it.
"""
import pytest

from mako_numba.base.layout import C_FLAGS, F_WAITS_KERNELS
from mako_numba.commands.family import FN_EVICT
from mako_numba.commands.string import family as string_family
from mako_numba.engine.core import Core
from tests.drive import roundtrip


class _Compiling:
    """prepare.Background's interface for one unit (its slot of the table): loaded when
    `finished` is set (poll) or on wait."""

    def __init__(self, fams, slot=string_family.ID, unit="string"):
        self.fams, self.slot, self.unit = fams, slot, unit
        self.addr = int(fams[slot])
        fams[slot] = 0
        self.pending = {unit}
        self.finished = False
        self.waits = 0

    def _load(self):
        self.fams[self.slot] = self.addr
        self.pending.clear()

    def poll(self):
        if self.finished and self.pending:
            self._load()
            return [self.unit]
        return []

    def wait(self, unit=None):
        self.waits += 1
        self._load()


@pytest.fixture
def compiling():
    core = Core(maxclients=8, seed=1)
    bg = _Compiling(core.fams)          # the process's table: restored whatever happens
    core.background = bg
    try:
        yield core, bg
    finally:
        core.fams[bg.slot] = bg.addr


def test_a_parked_connection_resumes_in_order_and_others_run_meanwhile(compiling):
    core, bg = compiling
    a, b = core.open(), core.open()
    assert roundtrip(core, a, b"PING\r\nSET k v\r\nGET k\r\nPING\r\n") == b"+PONG\r\n"
    assert core.parked == {a} and core.conn[a, C_FLAGS] & F_WAITS_KERNELS
    assert roundtrip(core, b, b"PING\r\nDBSIZE\r\n") == b"+PONG\r\n:0\r\n"
    assert core.poll_kernels() == []                  # still compiling: nothing to run again
    assert roundtrip(core, a, b"") == b""             # new input (none here) parks it again
    bg.finished = True
    assert core.poll_kernels() == [a] and core.background is None and not core.parked
    assert not core.conn[a, C_FLAGS] & F_WAITS_KERNELS
    assert roundtrip(core, a, b"") == b"+OK\r\n$1\r\nv\r\n+PONG\r\n"
    assert roundtrip(core, b, b"GET k\r\n") == b"$1\r\nv\r\n"


def test_exec_waits_for_the_family_and_runs_whole(compiling):
    core, bg = compiling
    a = core.open()
    out = roundtrip(core, a, b"MULTI\r\nSET k v\r\nGET k\r\nEXEC\r\n")
    assert out == b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n$1\r\nv\r\n"
    assert bg.waits == 1 and core.background is None and not core.parked


def test_a_closed_parked_connection_is_forgotten(compiling):
    core, bg = compiling
    a = core.open()
    roundtrip(core, a, b"GET k\r\n")
    assert core.parked == {a}
    core.close(a)
    bg.finished = True
    assert core.poll_kernels() == []


def test_a_command_under_maxmemory_waits_for_the_eviction_kernel():
    core = Core(maxclients=8, seed=1)
    a = core.open()
    assert roundtrip(core, a, b"CONFIG SET maxmemory 1\r\n") == b"+OK\r\n"
    bg = core.background = _Compiling(core.fams, FN_EVICT, "slowpath")
    try:
        assert roundtrip(core, a, b"PING\r\nSET k v\r\n") == b""        # PING waits too: eviction runs first
        assert core.parked == {a}
        bg.finished = True
        assert core.poll_kernels() == [a]
        oom = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        assert roundtrip(core, a, b"") == b"+PONG\r\n" + oom
    finally:
        core.fams[bg.slot] = bg.addr
