"""Command checks around transactions: Redis 7.0.15 vs mako_numba.

- Subcommands: an unknown subcommand or a subcommand's wrong arity is
  refused before anything else, inside MULTI too (the transaction aborts),
  for every container command of the generated metadata.
- `EXEC x` is refused with EXECABORT and ends the transaction (and its
  WATCHes) in MULTI or not; `DISCARD x` and `MULTI x` only flag it.

Each case runs on both servers over raw sockets and the replies are
compared; a few replies are also checked against their exact bytes.
"""
import re

import pytest

from mako_numba import commands
from test_differential import flushall, mako_box, mask_ids, mk  # noqa: F401 (fixtures)
from test_strings_differential import C, Conn, check_case, cmds

CONTAINERS = sorted(commands.containers())


def _container_case(name):
    up, low = name.upper(), name.lower()
    alone = commands.TABLE[commands.INDEX[name]][1] != -1     # COMMAND alone lists every command
    return cmds("MULTI", "SET a 1", f"{up} nope x", "GET a", "EXEC", "GET a",
                "MULTI", f"{low} HELP x", "EXEC",
                *(["MULTI", up, "EXEC", up] if alone else []),
                f"{up} nope", f"{low} HELP x", f"{up} {'y' * 200}",
                [up, "a\r\nb"], [up, "a\x00b"], [low.capitalize(), "\xe9t\xe9"])


SUBCOMMAND_CASES = [("container_" + n, _container_case(n)) for n in CONTAINERS] + [
    ("config_get_alone", cmds("MULTI", "CONFIG GET", "SET a 1", "EXEC", "GET a", "CONFIG GET")),
    ("client_getname_arity", cmds("MULTI", "CLIENT GETNAME x", "EXEC", "CLIENT GETNAME x")),
    ("object_nope", cmds("SET k v", "MULTI", "OBJECT nope a", "EXEC", "OBJECT nope a")),
    ("valid_subcommands_queue", cmds("SET k 12", "MULTI", "OBJECT ENCODING k", "CONFIG GET maxmemory",
                                     "CLIENT GETNAME", "COMMAND INFO get", "SLOWLOG LEN", "EXEC")),
    ("slow_arity_inside", cmds("MULTI", "SELECT", "INFO", "EXEC", "SELECT", "FLUSHALL x y")),
]

EXEC_CASES = [
    ("exec_arity_in_multi", cmds("MULTI", "SET a 1", "EXEC x", "EXEC", "GET a")),
    ("exec_arity_outside", cmds("EXEC x", "EXEC x y", "EXEC")),
    ("exec_arity_unwatches", cmds("SET w 1", "WATCH w", "EXEC x", "SET w 2", "MULTI", "GET w", "EXEC")),
    ("discard_multi_arity", cmds("DISCARD x", "MULTI x", "MULTI", "SET a 1", "DISCARD x", "MULTI x",
                                 "EXEC", "GET a", "MULTI", "SET a 2", "DISCARD x", "DISCARD", "GET a")),
    ("exec_arity_then_multi", cmds("MULTI", "EXEC x", "MULTI", "SET a 3", "EXEC", "GET a")),
]

CASES = SUBCOMMAND_CASES + EXEC_CASES


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("body", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_same_replies(redis_ref, mk, body, resp3):
    check_case(redis_ref, mk, body, resp3)


def test_exact_bytes(mk):
    m = Conn(mk.port)
    got = m.pipeline([C("MULTI"), C("OBJECT nope a"), C("EXEC"),
                      C("MULTI"), C("CONFIG GET"), C("CLIENT GETNAME x"), C("EXEC"),
                      [b"config", b"a\r\nb"],
                      C("MULTI"), C("SET a 1"), C("EXEC x"), C("EXEC"), C("DISCARD x")])
    m.close()
    assert got == [
        b"+OK\r\n", b"-ERR unknown subcommand 'nope'. Try OBJECT HELP.\r\n",
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
        b"+OK\r\n", b"-ERR wrong number of arguments for 'config|get' command\r\n",
        b"-ERR wrong number of arguments for 'client|getname' command\r\n",
        b"-EXECABORT Transaction discarded because of previous errors.\r\n",
        b"-ERR unknown subcommand 'a  b'. Try CONFIG HELP.\r\n",
        b"+OK\r\n", b"+QUEUED\r\n",
        b"-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n",
        b"-ERR EXEC without MULTI\r\n",
        b"-ERR wrong number of arguments for 'discard' command\r\n",
    ]


STAT = re.compile(rb"(cmdstat_\S+|errorstat_\S+):(?:calls=(\d+),usec=\d+,usec_per_call=[\d.]+,"
                  rb"rejected_calls=(\d+),failed_calls=(\d+)|count=(\d+))")


def _stats(port, body):
    c = Conn(port)
    c.pipeline([C("CONFIG RESETSTAT")] + body)
    info = c.pipeline([C("INFO commandstats"), C("INFO errorstats")])
    c.close()
    return sorted(m.groups() for m in STAT.finditer(b"".join(info)))


def test_rejections_are_counted_alike(redis_ref, mk):
    """Rejected calls (container|sub, exec) and error codes (ERR, EXECABORT) as Redis counts them."""
    body = cmds("MULTI", "CONFIG GET", "OBJECT nope", "EXEC", "EXEC x", "MULTI", "EXEC x",
                "CONFIG", "CLIENT GETNAME x", "SELECT", "CLIENT ID")
    assert _stats(mk.port, body) == _stats(redis_ref.port, body)
