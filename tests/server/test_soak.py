"""Soak: a bounded-time mixed workload against one server, checked against a model.

Many clients at once (threads, each with its own connection and its own
keys, so each keeps an exact model of its keys even while the others run),
every kind of string, key and expiry command, transactions, background
saves and AOF rewrites, admin commands from another client, and eviction
switched on for the second half.  Every reply that the model can predict is
checked as it comes back; at the end every key is compared.  A key may be
missing only when it had a deadline that passed or when evictions
happened; a value is never wrong.  Then: the server restarts on its AOF
and should hold the same data (this found two defects: evicted keys'
DELs dropped when the AOF buffer was full, and a PX key PERSISTed being
expired by the replay); FLUSHALL brings used_memory back near where it
started, and the server's file descriptors back to their count before the
clients came.

MAKO_SOAK_SECONDS (default 20) sets the length; MAKO_SOAK_CLIENTS (default
8) the writers.  The long run: `MAKO_SOAK_SECONDS=600 pytest -s tests/server/test_soak.py`.
"""
import os
import random
import threading
import time

import pytest
import redis

from conftest import start_mako
from drive import contents, wait_info

SECONDS = float(os.environ.get("MAKO_SOAK_SECONDS", "20"))
CLIENTS = int(os.environ.get("MAKO_SOAK_CLIENTS", "8"))
KEYS_PER_CLIENT = 200
pytestmark = pytest.mark.timeout(300 + 3 * SECONDS)


def _fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Writer(threading.Thread):
    """One client: random commands over its own keys, each reply checked against `model`."""

    def __init__(self, port, n, deadline, evicting):
        super().__init__(daemon=True)
        self.r = redis.Redis(port=port, socket_timeout=30)
        self.rng = random.Random(n)
        self.keys = [b"w%d:k%d" % (n, i) for i in range(KEYS_PER_CLIENT)]
        self.model = {}             # key -> value
        self.volatile = {}          # key -> deadline (s) for keys that may expire
        self.deadline = deadline
        self.evicting = evicting    # an Event: from now on keys may be evicted
        self.ops = 0
        self.refused = 0            # writes refused with -OOM while evicting
        self.error = None

    def _maybe_gone(self, key):
        dl = self.volatile.get(key)
        return self.evicting.is_set() or (dl is not None and time.time() >= dl - 0.05)

    def check(self, key, got):
        want = self.model.get(key)
        if got == want:
            return
        if got is None and self._maybe_gone(key):
            self.model.pop(key, None)
            self.volatile.pop(key, None)
            return
        raise AssertionError(f"{key!r}: server has {got!r}, model {want!r}")

    def run(self):
        try:
            while time.time() < self.deadline:
                try:
                    self.step()
                except redis.ResponseError as e:
                    # under eviction a write may be refused whole (OOM; EXECABORT in MULTI)
                    refused = isinstance(e, redis.exceptions.OutOfMemoryError) or "EXECABORT" in str(e)
                    if not (self.evicting.is_set() and refused):
                        raise
                    self.refused += 1
                self.ops += 1
        except Exception as e:          # reported by the test
            self.error = e
        finally:
            self.r.close()

    def step(self):
        r, rng = self.r, self.rng
        key = rng.choice(self.keys)
        op = rng.random()
        if op < 0.25:
            self.check(key, r.get(key))
        elif op < 0.45:
            value = b"v%d" % rng.randrange(10**6) * rng.choice((1, 4, 64))
            r.set(key, value)
            self.model[key] = value
            self.volatile.pop(key, None)
        elif op < 0.52:
            before = r.get(key)
            self.check(key, before)
            try:
                got = r.incr(key)
            except redis.ResponseError as e:
                if "not an integer" not in str(e):
                    raise
                return
            start = self.model.get(key, b"0")
            start = int(start) if start.lstrip(b"-").isdigit() else None    # gone while we asked
            assert (start is not None and got == start + 1) or (got == 1 and self._maybe_gone(key)), \
                (key, got, start)
            self.model[key] = str(got).encode()
        elif op < 0.58:
            got = r.append(key, b"+a")
            want = self.model.get(key, b"") + b"+a"
            if got != len(want):
                assert got == 2 and self._maybe_gone(key), (key, got, want)
                want = b"+a"
            self.model[key] = want
        elif op < 0.64:
            n = r.delete(key)
            assert n == (1 if key in self.model else 0) or self._maybe_gone(key)
            self.model.pop(key, None)
            self.volatile.pop(key, None)
        elif op < 0.70:
            if key in self.model and r.expire(key, 3600):
                self.volatile[key] = time.time() + 3600
        elif op < 0.74:
            value = b"short"
            r.set(key, value, px=rng.randrange(20, 300))
            self.model[key] = value
            self.volatile[key] = time.time() + 0.02
        elif op < 0.82:
            batch = rng.sample(self.keys, 4)
            values = {k: b"m%d" % rng.randrange(1000) for k in batch}
            with r.pipeline(transaction=True) as p:
                p.mset(values)
                p.get(batch[0])
                res = p.execute()
            assert res == [True, values[batch[0]]]
            for k in batch:
                self.model[k] = values[k]
                self.volatile.pop(k, None)
        elif op < 0.88:
            batch = rng.sample(self.keys, 6)
            for k, got in zip(batch, r.mget(batch)):
                self.check(k, got)
        elif op < 0.92:
            got = r.getdel(key)
            self.check(key, got)
            self.model.pop(key, None)
            self.volatile.pop(key, None)
        elif op < 0.96:
            if key in self.model and r.persist(key):
                self.volatile.pop(key, None)
        else:
            got = r.getset(key, b"gs")
            self.check(key, got)
            self.model[key] = b"gs"
            self.volatile.pop(key, None)


def _admin(port, deadline, errors):
    r = redis.Redis(port=port, socket_timeout=30)
    rng = random.Random(99)
    try:
        while time.time() < deadline:
            choice = rng.random()
            if choice < 0.1:
                try:
                    r.bgsave()
                except redis.ResponseError:
                    pass                    # one already running
            elif choice < 0.2:
                try:
                    r.bgrewriteaof()
                except redis.ResponseError:
                    pass
            elif choice < 0.6:
                r.info("everything")
            elif choice < 0.8:
                r.client_list()
            else:
                r.execute_command("SLOWLOG", "GET", 5)
            time.sleep(0.05)
    except Exception as e:
        errors.append(e)
    finally:
        r.close()


def test_soak_against_a_model(tmp_path_factory):
    srv = start_mako(tmp_path_factory, "--appendonly", "yes", "--appendfsync", "everysec",
                     "--save", "", "--maxmemory-policy", "allkeys-lru")
    try:
        r = redis.Redis(port=srv.port)
        base_fds = _fds(srv.popen.pid)
        base_mem = r.info("memory")["used_memory"]
        deadline = time.time() + SECONDS
        evicting = threading.Event()
        writers = [Writer(srv.port, n, deadline, evicting) for n in range(CLIENTS)]
        errors = []
        admin = threading.Thread(target=_admin, args=(srv.port, deadline, errors), daemon=True)
        for t in writers + [admin]:
            t.start()
        time.sleep(SECONDS / 2)
        # second half: a limit below what is used, so writes evict
        evicting.set()
        used = r.info("memory")["used_memory"]
        r.config_set("maxmemory", used - 64 * 1024)
        for t in writers + [admin]:
            t.join(SECONDS + 120)
        assert not errors, errors
        for w in writers:
            assert w.error is None, w.error
        evicted = r.info("stats")["evicted_keys"]
        r.config_set("maxmemory", 0)
        time.sleep(0.4)                 # every short expiry (PX <= 300) has passed
        # every key against its writer's model
        present = 0
        for w in writers:
            got = dict(zip(w.keys, r.mget(w.keys)))
            for key in w.keys:
                w.check(key, got[key])
                present += got[key] is not None
        assert r.dbsize() == present
        assert evicted > 0
        total_ops = sum(w.ops for w in writers)
        print(f"\nsoak: {SECONDS:.0f} s, {CLIENTS} writers, {total_ops} checked commands, "
              f"{evicted} keys evicted, {sum(w.refused for w in writers)} writes refused (OOM), "
              f"{present} keys at the end")
        # the AOF holds the same data after a restart
        wait_info(r, "aof_rewrite_in_progress", 0)
        wait_info(r, "rdb_bgsave_in_progress", 0)
        before = contents(srv.port)
        r.close()
        workdir = srv.log_path.parent
        srv.stop()
        srv = start_mako(tmp_path_factory, "--appendonly", "yes", "--dir", str(workdir), "--save", "")
        after = contents(srv.port)
        aof_diff = {k: (before.get(k, (None,))[0], after.get(k, (None,))[0])
                    for k in set(before) | set(after)
                    if before.get(k, (None,))[0] != after.get(k, (None,))[0]}
        aof_diff = dict(list(aof_diff.items())[:10])
        r = redis.Redis(port=srv.port)
        r.flushall()
        time.sleep(0.5)
        mem = r.info("memory")["used_memory"]
        assert mem < base_mem + 4 * 1024 * 1024, (mem, base_mem)
        r.close()
        deadline = time.time() + 10
        while _fds(srv.popen.pid) > base_fds + 2 and time.time() < deadline:
            time.sleep(0.1)             # closed connections leave the loop's table
        assert _fds(srv.popen.pid) <= base_fds + 2
    finally:
        srv.stop()
    assert not aof_diff, "after the AOF restart (key: before, after): %r" % aof_diff
