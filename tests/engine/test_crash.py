"""Crash tests: kill -9 under write load, restart, and check what the append-only file kept.

Several clients write keys no one else writes (each records a key as
acknowledged only after the reply), while another asks for BGREWRITEAOF and
BGSAVE now and then; at a random moment the server is killed with SIGKILL.
After a restart:
- with appendfsync always, every acknowledged key is there with its value;
- with everysec, only keys acknowledged in the last seconds may be missing;
- in both, every key there was sent by a client (nothing invented), and the
  files load (a write cut in half by the kill is trimmed).
MAKO_CRASH_RUNS sets the rounds per policy (default 3 here; more for a soak).
"""
import os
import random
import signal
import threading
import time

import pytest
import redis

from conftest import start_mako

ROUNDS = int(os.environ.get("MAKO_CRASH_RUNS", "3"))
WRITERS = 4


class Writer(threading.Thread):
    """Writes items no one else writes: keys (SET), or, with `collections`, fields of hashes and
    members of sets (HSET then SADD, GROUP items per key, so values grow past the listpack and
    intset limits and change encoding while the server is killed)."""
    GROUP = 600

    def __init__(self, port, name, stop, collections=False):
        super().__init__(daemon=True)
        self.r = redis.Redis(port=port, socket_timeout=5)
        self.name_ = name
        self.stop = stop
        self.collections = collections
        self.sent = set()
        self.acked = {}             # item -> time acknowledged

    def write(self, n):
        """The item written (a key, or ('h'|'s', key, field or member))."""
        if not self.collections:
            key = "%s:%d" % (self.name_, n)
            self.sent.add(key)
            self.r.set(key, key)
            return key
        kind = "h" if n % 2 == 0 else "s"
        item = (kind, "%s:%s:%d" % (kind, self.name_, n // (2 * self.GROUP)), str(n))
        self.sent.add(item)
        if kind == "h":
            self.r.hset(item[1], item[2], item[2])
        else:
            self.r.sadd(item[1], item[2])
        return item

    def run(self):
        n = 0
        while not self.stop.is_set():
            try:
                item = self.write(n)
            except (redis.ConnectionError, redis.TimeoutError):
                return
            self.acked[item] = time.monotonic()
            n += 1


class Chores(threading.Thread):
    """BGREWRITEAOF and BGSAVE at random moments (their children may be running at the kill)."""

    def __init__(self, port, stop, rng):
        super().__init__(daemon=True)
        self.r = redis.Redis(port=port, socket_timeout=5)
        self.stop = stop
        self.rng = rng

    def run(self):
        while not self.stop.is_set():
            time.sleep(self.rng.uniform(0.05, 0.3))
            try:
                self.r.execute_command(self.rng.choice(["BGREWRITEAOF", "BGSAVE"]))
            except redis.ResponseError:
                pass                    # one already running
            except (redis.ConnectionError, redis.TimeoutError):
                return


def kill_under_load(tmp_path_factory, opts, rng, nap, sent, acked, collections=False):
    """One round: a server, writers and chores for a random `nap` (lo, hi) seconds, then
    SIGKILL; what the writers sent and had acknowledged goes into sent / acked.  Returns when
    the kill was."""
    mako = start_mako(tmp_path_factory, *opts)
    stop = threading.Event()
    writers = [Writer(mako.port, "w%d-%d" % (i, rng.randrange(1 << 30)), stop, collections=collections)
               for i in range(WRITERS)]
    chores = Chores(mako.port, stop, rng)
    for t in writers + [chores]:
        t.start()
    time.sleep(rng.uniform(*nap))
    os.kill(mako.popen.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    mako.popen.wait(30)
    stop.set()
    for t in writers + [chores]:
        t.join(10)
    for w in writers:
        sent |= w.sent
        acked.update(w.acked)
    return killed_at


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_kill_9_under_load(tmp_path_factory, policy):
    rng = random.Random(1234)
    d = tmp_path_factory.mktemp("crash-" + policy)
    opts = ["--dir", str(d), "--save", "", "--appendonly", "yes", "--appendfsync", policy]
    sent, acked = set(), {}
    lost_recent = 0
    for _ in range(ROUNDS):
        killed_at = kill_under_load(tmp_path_factory, opts, rng, (0.3, 1.2), sent, acked)
        again = start_mako(tmp_path_factory, *opts)      # loads what the files hold
        try:
            r = redis.Redis(port=again.port)
            present = {k.decode() for k in r.scan_iter(count=10000)}
            assert present <= sent, "keys no client sent: %r" % sorted(present - sent)[:5]
            values = r.mget(sorted(present)) if present else []
            assert all(v.decode() == k for k, v in zip(sorted(present), values))
            missing = [k for k in acked if k not in present]
            if policy == "always":
                assert not missing, "%d acknowledged writes lost, e.g. %s" % (len(missing), missing[:3])
            else:
                late = [k for k in missing if killed_at - acked[k] > 2.5]
                assert not late, "writes acknowledged over 2.5 s before the kill were lost: %s" % late[:3]
                lost_recent += len(missing)
                for k in missing:               # they are gone for good: not acknowledged any more
                    del acked[k]
        finally:
            again.popen.send_signal(signal.SIGKILL)      # the next round starts from the files
            again.popen.wait(30)
    assert len(acked) > 100
    print(f"\n{policy}: {ROUNDS} kills, {len(acked)} acknowledged writes present, "
          f"{lost_recent} lost from the last 2.5 s before a kill")


def test_kill_9_under_hash_and_set_writes_loses_nothing_acknowledged(tmp_path_factory):
    """appendfsync always, with BGREWRITEAOF and BGSAVE at random moments: every acknowledged
    field and member is there after each kill, and nothing no client sent."""
    rng = random.Random(4321)
    d = tmp_path_factory.mktemp("crash-collections")
    opts = ["--dir", str(d), "--save", "", "--appendonly", "yes", "--appendfsync", "always"]
    sent, acked = set(), {}
    for _ in range(ROUNDS):
        kill_under_load(tmp_path_factory, opts, rng, (0.5, 1.5), sent, acked, collections=True)
        again = start_mako(tmp_path_factory, *opts)
        try:
            r = redis.Redis(port=again.port)
            present = set()
            for key in r.scan_iter(count=10000):
                if r.type(key) == b"hash":
                    present |= {("h", key.decode(), f.decode()) for f, v in r.hgetall(key).items()
                                if f == v}
                else:
                    present |= {("s", key.decode(), m.decode()) for m in r.smembers(key)}
            assert present <= sent, "items no client sent: %r" % sorted(present - sent)[:5]
            missing = [item for item in acked if item not in present]
            assert not missing, "%d acknowledged writes lost, e.g. %s" % (len(missing), missing[:3])
        finally:
            again.popen.send_signal(signal.SIGKILL)
            again.popen.wait(30)
    assert len(acked) > 100
