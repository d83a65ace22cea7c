"""The command table agrees with the metadata generated from a real Redis 7.0."""
from mako_numba.commands import family, registry as commands


def test_every_command_has_redis_metadata_with_the_same_arity():
    meta = commands.redis_metadata()["commands"]
    for name, arity, op, flags in commands.TABLE:
        assert name in meta, name
        assert meta[name]["arity"] == arity, name


def test_flags_agree_with_redis():
    meta = commands.redis_metadata()["commands"]
    for name, arity, op, flags in commands.TABLE:
        redis_flags = set(meta[name]["flags"])
        assert bool(flags & family.CF_WRITE) == ("write" in redis_flags), name
        assert bool(flags & family.CF_READONLY) == ("readonly" in redis_flags), name


def test_names_are_unique_and_lowercase():
    assert len(set(commands.NAMES)) == len(commands.NAMES)
    assert all(n == n.lower() for n in commands.NAMES)
