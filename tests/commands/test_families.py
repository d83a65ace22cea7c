"""Each command family's declaration is complete and consistent (commands/family.py)."""
import inspect

from mako_numba.base import cachekey
from mako_numba.commands import registry
from mako_numba.engine import kernels
from mako_numba.commands.family import FAMILY_LITS_BASE, FAMILY_SHIFT, family_literal
from mako_numba.protocol.parsebase import OP_SLOW
from mako_numba.engine.core import Core
from mako_numba.protocol import errors


def _source(fn):
    return inspect.getsource(getattr(fn, "py_func", fn))


def _op_names(family):
    """op -> the names of the family's OP_* constants with that value."""
    names = {}
    for name, value in vars(family).items():
        if name.startswith("OP_") and name != "OP_SLOW":
            names.setdefault(value, []).append(name)
    return names


def test_no_two_families_claim_a_command_and_every_command_is_claimed():
    claimed = {}
    for family in registry.FAMILIES:
        for name, *_ in family.ROWS:
            assert name not in claimed, (name, claimed.get(name), family.NAME)
            claimed[name] = family.NAME
    assert sorted(claimed) == sorted(registry.NAMES)
    meta = registry.redis_metadata()["commands"]
    assert all(name in meta for name in claimed)
    ids = [f.ID for f in registry.FAMILIES]
    assert len(set(ids)) == len(ids)
    assert len({f.NAME for f in registry.FAMILIES}) == len(ids)


def test_every_kernel_row_is_handled_by_its_familys_dispatch():
    seen = {}
    for family in registry.FAMILIES:
        ops = _op_names(family)
        for value, names in ops.items():
            assert value >> FAMILY_SHIFT == family.ID, names
            assert value not in seen, (names, seen.get(value))
            seen[value] = names
        kernel_rows = [row for row in family.ROWS if row[2] != OP_SLOW]
        if not kernel_rows:
            assert family.dispatch is None, family.NAME
            continue
        source = _source(family.dispatch)
        for name, arity, op, flags in kernel_rows:
            assert op in ops, (family.NAME, name)
            assert any(n in source for n in ops[op]), (family.NAME, name, ops[op])
        for value, names in ops.items():        # and no op is declared for nothing
            assert any(row[2] == value for row in kernel_rows), names


def _family_package(family):
    return family.__name__.rsplit(".", 1)[0]


def test_every_family_with_kernel_ops_has_an_entry_kernel_compiled_alone():
    """A family's kernels are reached only through its entry kernel, called by address: the
    batch kernel imports no family, and no family imports another, so each compiles alone."""
    table = kernels.family_table()
    packages = [_family_package(f) for f in registry.FAMILIES]
    batch = cachekey.closure("mako_numba.engine.batch")
    assert not [m for m in batch if any(m == p or m.startswith(p + ".") for p in packages)]
    for family in registry.FAMILIES:
        if family.dispatch is None:
            assert kernels.entry_module_name(family) is None and table[family.ID] == 0
            continue
        name = kernels.entry_module_name(family)
        assert name == _family_package(family) + ".entry"
        assert "dispatch(" in _source(kernels.entry_kernel(name)), family.NAME
        assert table[family.ID] != 0, family.NAME
        others = [p for p in packages if p != _family_package(family)]
        deps = cachekey.closure(name)
        assert not [m for m in deps if any(m == p or m.startswith(p + ".") for p in others)], family.NAME
    # GET and SET stay on the shortest path: the first branches of the first family
    strings = _source(registry.string_family.dispatch)
    assert strings.index("o == OP_GET:") < strings.index("o == OP_SET:") < strings.index("o == OP_SETNX")
    assert registry.TABLE[0][0] == "get" and registry.TABLE[1][0] == "set"


def test_every_slow_row_has_a_handler_of_its_own_family():
    admin = Core(maxclients=2, queue_size=16, args_size=64, scratch_size=1024, seed=1).admin
    containers = registry.containers()
    for family in registry.FAMILIES:
        slow = {row[0] for row in family.ROWS if row[2] == OP_SLOW}
        handlers = family.slow_handlers(admin)
        assert set(handlers) == slow, family.NAME
        assert all(callable(h) for h in handlers.values())
        subs = family.subcommands(admin)
        assert set(subs) == slow & containers, family.NAME
        meta = registry.redis_metadata()["commands"]
        for container, table in subs.items():
            for sub, handler in table.items():
                assert callable(handler)
                assert f"{container}|{sub}" in meta or sub == "setinfo", (container, sub)
    assert set(admin.handlers) == {n for n, a, op, f in registry.TABLE if op == OP_SLOW}


def test_literal_names_agree_with_their_ids():
    for i, (name, data) in enumerate(errors.KERNEL_LITERALS):
        assert getattr(errors, name) == i, name
        assert data
    assert len(errors.KERNEL_LITERALS) <= FAMILY_LITS_BASE
    blob, offs = registry.lit_tables()
    seen = set()
    for family in registry.FAMILIES:
        for k, (name, lit, data) in enumerate(family.LITERALS):
            assert getattr(family, name) == lit == family_literal(family.ID, k), name
            assert not hasattr(errors, name), name      # declared once
            assert lit not in seen
            seen.add(lit)
            assert bytes(blob[offs[lit]:offs[lit + 1]]) == data
    for i, (name, data) in enumerate(errors.KERNEL_LITERALS):
        assert bytes(blob[offs[i]:offs[i + 1]]) == data
