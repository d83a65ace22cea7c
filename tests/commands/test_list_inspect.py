"""What INFO and DEBUG OBJECT say about lists and list commands, beside Redis 7.0.15.

DEBUG OBJECT of a list built by pushes carries Redis's quicklist fields
(ql_nodes, ql_avg_node, ql_listpack_max, ql_compressed, ql_uncompressed_size)
and serializedlength, for small and big lists, big elements and other
list-max-listpack-size settings; INFO errorstats counts WRONGTYPE (and
CLIENT UNBLOCK's UNBLOCKED) apart from ERR, as Redis does.
"""
import re
import socket
import time

import pytest
import redis

from conftest import start_pair


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    m, r = start_pair(tmp_path_factory, redis_opts=("--enable-debug-command", "yes"))
    yield m, r
    m.stop()
    r.stop()


def _fields(line):
    return {k: v for k, v in re.findall(r"(\w+):(\S+)", line)
            if k.startswith("ql_") or k in ("encoding", "serializedlength", "refcount")}


SHAPES = [
    ("small", -2, [b"a", b"1", b"-7", b"x" * 70]),
    ("thousand", -2, [b"item:%d" % i for i in range(1000)]),
    ("big_elements", -2, [b"s", b"y" * 9000, b"t", b"z" * 5000, b"u"]),
    ("ints", -2, [b"%d" % (i * 104729 - 10 ** 9) for i in range(3000)]),
    ("fill_5", 5, [b"e%d" % i for i in range(23)]),
    ("fill_minus_1", -1, [b"v" * 100 for i in range(200)]),
]


@pytest.mark.parametrize("fill,items", [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_debug_object_of_a_list(pair, fill, items):
    got = []
    for proc in pair:
        r = redis.Redis(port=proc.port)
        r.flushall()
        r.config_set("list-max-listpack-size", fill)
        for i in range(0, len(items), 500):
            r.rpush("l", *items[i:i + 500])
        got.append(_fields(r.execute_command("DEBUG", "OBJECT", "l").decode()))
        r.config_set("list-max-listpack-size", -2)
        r.close()
    assert got[0] == got[1]
    assert "ql_nodes" in got[0]


def test_errorstats_count_wrongtype_and_unblocked_apart(pair):
    got = []
    for proc in pair:
        r = redis.Redis(port=proc.port)
        r.flushall()
        r.config_resetstat()
        r.set("s", "v")
        r.rpush("l", "a")
        for cmd in (("LPUSH", "s", "x"), ("GET", "l"), ("HGET", "s", "f"), ("LINDEX", "l", "x"),
                    ("LPOP", "l", "-1"), ("BLPOP", "s", "0")):
            with pytest.raises(redis.ResponseError):
                r.execute_command(*cmd)
        cid = r.client_id()
        s = socket.create_connection(("127.0.0.1", proc.port))
        s.sendall(b"*3\r\n$5\r\nBLPOP\r\n$4\r\nnone\r\n$1\r\n0\r\n")
        deadline = time.monotonic() + 10
        while r.info("clients")["blocked_clients"] != 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        blocked = [c["id"] for c in r.client_list() if c["id"] != str(cid) and c["cmd"] == "blpop"]
        r.execute_command("CLIENT", "UNBLOCK", blocked[0], "ERROR")
        s.settimeout(5)
        assert s.recv(100).startswith(b"-UNBLOCKED")
        s.close()
        got.append(r.info("errorstats"))       # on this connection: no new client's CLIENT SETINFO
        r.close()
    assert got[0] == got[1]
    assert got[0]["errorstat_WRONGTYPE"] == {"count": 4}
