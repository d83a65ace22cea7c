"""DEBUG OBJECT and MEMORY USAGE of an expired key not deleted yet, against a real Redis 7.0.15.

Both look in the database's dict itself (dictFind), so they still see a key
whose time has passed until something deletes it; OBJECT looks it up
(objectCommandLookup), which deletes it.
"""
import time

from test_slowpath_args import Conn
from test_tx_refcount import _normal, debug_redis  # noqa: F401  (debug_redis is a fixture)


def test_expired_keys_are_still_seen_by_debug_object_and_memory_usage(mako, debug_redis):
    conns = [Conn(mako.port), Conn(debug_redis.port)]
    try:
        for c in conns:
            c("FLUSHALL")
            assert c("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"     # no sweep meanwhile
            assert c("SET", "k", "-49.5", "PX", "1") == b"+OK\r\n"
            assert c("SET", "n", "16", "PX", "1") == b"+OK\r\n"
        time.sleep(0.05)
        for key in ("k", "n"):
            ours, theirs = (_normal(c("DEBUG", "OBJECT", key)) for c in conns)
            assert ours == theirs and ours.startswith(b"+refcount:"), (ours, theirs)
            assert all(c("MEMORY", "USAGE", key).startswith(b":") for c in conns)
        assert [c("DBSIZE") for c in conns] == [b":2\r\n"] * 2
        assert [c("OBJECT", "REFCOUNT", "k") for c in conns] == [b"$-1\r\n"] * 2    # deleted now
        assert [c("DBSIZE") for c in conns] == [b":1\r\n"] * 2
    finally:
        for c in conns:
            c("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            c("FLUSHALL")
            c.close()
