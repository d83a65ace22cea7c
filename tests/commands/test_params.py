"""config/params.py: every parameter of the table, against a real Redis 7.0.15.

Each one appears in CONFIG GET * (or, hidden, when named) with its default
(Redis's, unless the row says why ours differs), CONFIG SET takes its value
back where it is mutable and refuses it with Redis's reason where it is not,
and the command line accepts each one as an option.
"""
import re

import pytest

from mako_numba.__main__ import build_parser
from mako_numba.config import params
from test_slowpath_args import Conn, pair, same  # noqa: F401  (pair is a fixture)

# Set by the test servers' command lines or by where they run (conftest's start_pair)
STARTED_WITH = {"port", "dir", "save"}


def _map(reply):
    """The (name, value) pairs of a RESP2 CONFIG GET reply."""
    parts = re.findall(rb"\$(\d+)\r\n", reply)
    items, pos = [], reply.index(b"\r\n") + 2
    for n in parts:
        pos = reply.index(b"\r\n", pos) + 2
        items.append(reply[pos:pos + int(n)])
        pos += int(n) + 2
    return dict(zip(items[::2], items[1::2]))


def test_config_get_lists_every_parameter_with_its_default(pair):
    ours = _map(pair[0]("CONFIG", "GET", "*"))
    theirs = _map(pair[1]("CONFIG", "GET", "*"))
    listed = {p.name.encode() for p in params.PARAMS if not p.hidden}
    aliases = {a.encode(): p.name.encode() for p in params.PARAMS for a in p.aliases}
    assert set(ours) == listed | set(aliases)       # Redis 7.0 lists an alias under its own name
    for alias, name in aliases.items():
        assert ours[alias] == ours[name] and theirs[alias] == theirs[name]
    for p in params.PARAMS:
        name = p.name.encode()
        if p.hidden:
            assert name not in ours
            assert _map(pair[0]("CONFIG", "GET", p.name)) == {name: p.default.encode()}
            continue
        if p.name in STARTED_WITH:
            continue
        assert ours[name] == p.default.encode(), p.name
        if not p.ours:                          # Redis's default, unless the row says why not
            assert theirs[name] == ours[name], (p.name, theirs[name], ours[name])


@pytest.mark.parametrize("param", [p for p in params.PARAMS if p.name not in ("port", "bind")],
                         ids=lambda p: p.name)
def test_config_set_round_trips_or_refuses(pair, param):
    """A mutable parameter takes its current value back (CONFIG GET shows it unchanged); an
    immutable one answers Redis's reason.  The same bytes as Redis's, both ways."""
    value = _map(pair[0]("CONFIG", "GET", param.name))[param.name.encode()]
    reply = pair[0]("CONFIG", "SET", param.name, value)
    if param.mutable:
        assert reply == b"+OK\r\n"
        assert _map(pair[0]("CONFIG", "GET", param.name)) == {param.name.encode(): value}
    else:
        assert reply == b"-ERR CONFIG SET failed (possibly related to argument '%s') - %s\r\n" % (
            param.name.encode(), param.refuse.encode())
    if param.name not in STARTED_WITH and not param.ours:
        assert same(pair, "CONFIG", "SET", param.name, value) == reply


def test_a_bad_value_gets_the_rows_reason(pair):
    for name, bad in (("hz", "x"), ("maxmemory", "12q"), ("appendonly", "maybe"),
                      ("maxmemory-policy", "some"), ("maxmemory-eviction-tenacity", "101"),
                      ("save", "1"), ("latency-tracking-info-percentiles", "101")):
        reply = same(pair, "CONFIG", "SET", name, bad)
        assert reply == b"-ERR CONFIG SET failed (possibly related to argument '%s') - %s\r\n" % (
            name.encode(), params.BY_NAME[name].check(bad).encode())


@pytest.mark.parametrize("param", [p for p in params.PARAMS if p.cli], ids=lambda p: p.name)
def test_the_command_line_accepts_each_parameter(param):
    opts = build_parser().parse_args(["--" + param.name, param.default])
    got = getattr(opts, param.name.replace("-", "_"))
    if param.name == "save":
        assert got == [[param.default]]
    elif param.name == "client-output-buffer-limit":
        assert got == params.OBUF_DEFAULT
    else:
        assert str(got) == param.default


def test_every_parameter_but_the_fixed_backlog_is_an_option():
    assert [p.name for p in params.PARAMS if not p.cli] == ["tcp-backlog"]
