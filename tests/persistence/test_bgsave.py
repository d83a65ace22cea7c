"""BGSAVE over real processes: fork time and copy-on-write in INFO, a killed child, kill -9.

- The fork and copy-on-write figures are checked the same way on mako_numba
  and on a real redis-server 7: INFO stats `latest_fork_usec` and
  `total_forks`, INFO persistence `rdb_last_cow_size`.  The copy-on-write
  grows when the parent overwrites every key while the child saves; the
  child is held with SIGSTOP while the parent writes, so the save is still
  running when the writes end, whatever the machine's speed.
- kill -9 of the BGSAVE child: the server goes on, reports the failure,
  keeps the old file and removes the child's temp-<pid>.rdb; both servers.
- Crashes: mako_numba with save points, steady writers and BGSAVEs, killed
  with SIGKILL at random moments (the server alone, its BGSAVE child
  orphaned, or the server and a saving child at once).  After each kill the
  RDB file is absent or whole (redis-check-rdb accepts it, a restarted
  mako_numba loads it) and holds one moment of what was written: for every
  writer connection a prefix of its writes, nothing else.  MAKO_CRASH_RUNS
  sets the number of kills (default 6), MAKO_CRASH_SEED the random seed.
"""
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import redis

from conftest import need_tool, start_mako
from test_rdb_format import start_redis

BASE = 200_000                  # keys in the data set
CRASH_RUNS = int(os.environ.get("MAKO_CRASH_RUNS", "6"))
CRASH_SEED = int(os.environ.get("MAKO_CRASH_SEED", str(int(time.time()))))
WRITERS = 3
SLOTS = 2000                    # keys per writer; its write s goes to key s % SLOTS
MIB = 1 << 20


# --- helpers --------------------------------------------------------------------------------
def set_all(port, pairs, batch=10_000):
    """SET every (key, value) of pairs in order over one connection, pipelined."""
    ok = b"+OK\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        for i in range(0, len(pairs), batch):
            chunk = pairs[i:i + batch]
            s.sendall(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                               % (len(k), k, len(v), v) for k, v in chunk))
            want, got = len(ok) * len(chunk), b""
            while len(got) < want:
                data = s.recv(1 << 20)
                assert data, "the server closed the connection"
                got += data
            assert got == ok * len(chunk), got[:200]


def base_pairs(lo=0, hi=BASE, tag=b"v"):
    return [(b"base:%07d" % i, tag + b"%07d" % i) for i in range(lo, hi)]


def proc_stat(pid):
    """(state, ppid, pgrp) of a process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def processes(which, value):
    """Live pids whose ppid (which=1) or process group (which=2) is value."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st and st[which] == value and st[0] != "Z":
                out.append(int(name))
    return out


def the_child(server_pid):
    (pid,) = processes(1, server_pid)
    return pid


def stop(pid):
    """SIGSTOP pid; True once it is stopped, False if it ended first."""
    os.kill(pid, signal.SIGSTOP)
    deadline = time.time() + 10
    while time.time() < deadline:
        st = proc_stat(pid)
        if st is None or st[0] == "Z":
            return False
        if st[0] in "Tt":
            return True
        time.sleep(0.001)
    raise AssertionError(f"{pid} did not stop")


def wait_saved(r, timeout=120):
    deadline = time.time() + timeout
    while r.info("persistence")["rdb_bgsave_in_progress"]:
        assert time.time() < deadline, "BGSAVE did not end"
        time.sleep(0.02)


@pytest.fixture(params=["mako", "redis"])
def server(request, tmp_path_factory):
    """A server of either kind with --save "" in a directory of its own, and that directory."""
    d = tmp_path_factory.mktemp(request.param)
    if request.param == "mako":
        proc = start_mako(tmp_path_factory, "--dir", str(d), "--save", "")
    else:
        need_tool("redis-server")
        proc = start_redis(d)
    proc.kind, proc.dir = request.param, d
    proc.pid = proc.popen.pid
    yield proc
    proc.stop()


def slow_down(proc, r):
    """Both save 200k keys in ~0.1 s; the testing knob rdb-key-save-delay gives us time to act.

    -100 sleeps 1 us after one key in a hundred.
    """
    r.config_set("rdb-key-save-delay", -100)


# --- fork time and copy-on-write -------------------------------------------------------------
def test_fork_time_and_cow_size_are_reported(server):
    r = redis.Redis(port=server.port)
    set_all(server.port, base_pairs())
    st = r.info("stats")
    assert (st["latest_fork_usec"], st["total_forks"]) == (0, 0)
    slow_down(server, r)
    cows = []
    for n in (1, 2):                    # the first after the load may still meet a rehash
        r.bgsave()
        wait_saved(r)
        st, pe = r.info("stats"), r.info("persistence")
        assert st["total_forks"] == n and st["latest_fork_usec"] > 0
        assert pe["rdb_last_bgsave_status"] == "ok"
        assert isinstance(pe["rdb_last_cow_size"], int) and pe["rdb_last_cow_size"] >= 0
        cows.append(pe["rdb_last_cow_size"])
        if server.kind == "mako":
            while r.info("mako")["table_rehashing"]:
                time.sleep(0.05)
    quiet = cows[-1]
    r.bgsave()
    child = the_child(server.pid)
    try:
        assert stop(child), "the child ended before it could be stopped"
        pe = r.info("persistence")
        assert pe["rdb_bgsave_in_progress"] == 1 and pe["current_save_keys_total"] == BASE
        set_all(server.port, base_pairs(tag=b"w"))          # every key, changed
        assert r.info("persistence")["rdb_bgsave_in_progress"] == 1
    finally:
        os.kill(child, signal.SIGCONT)
    wait_saved(r)
    pe = r.info("persistence")
    assert r.info("stats")["total_forks"] == 3 and pe["rdb_last_bgsave_status"] == "ok"
    heavy = pe["rdb_last_cow_size"]
    assert heavy >= quiet + 2 * MIB, (quiet, heavy)
    assert pe["current_cow_size"] == pe["current_save_keys_total"] == 0     # no child now
    assert re.search(r"Fork CoW for RDB: current \d+ MB, peak \d+ MB, average \d+ MB", server.log())


def test_current_fields_while_a_child_saves(server):
    """A child reports as soon as it starts, then at most once a second; the parent shows it."""
    r = redis.Redis(port=server.port)
    set_all(server.port, base_pairs())
    r.config_set("rdb-key-save-delay", -10)             # ~2 s: Redis reads reports once a second
    r.bgsave()
    child = the_child(server.pid)
    deadline = time.time() + 60
    while True:
        pe = r.info("persistence")
        assert pe["rdb_bgsave_in_progress"] == 1, "the child ended before a report was read"
        if pe["current_save_keys_processed"]:
            break
        assert time.time() < deadline
        time.sleep(0.01)
    try:
        assert stop(child)
        pe = r.info("persistence")
    finally:
        os.kill(child, signal.SIGCONT)
    done, total = pe["current_save_keys_processed"], pe["current_save_keys_total"]
    assert 0 < done <= total == BASE
    assert pe["current_fork_perc"] == pytest.approx(done * 100 / total, abs=0.01)
    assert pe["current_cow_peak"] >= pe["current_cow_size"] >= 0
    assert pe["current_cow_size_age"] >= 0
    if server.kind == "mako":                           # the child interpreter's own writes
        assert pe["current_cow_size"] > 0
    wait_saved(r)
    assert r.info("persistence")["rdb_last_cow_size"] >= pe["current_cow_peak"]


# --- kill -9 of the child ----------------------------------------------------------------------
def test_a_killed_child_fails_the_bgsave_and_leaves_no_temp_file(server):
    need_tool("redis-check-rdb")
    r = redis.Redis(port=server.port)
    set_all(server.port, base_pairs())
    r.save()
    dump = server.dir / "dump.rdb"
    before = dump.read_bytes()
    set_all(server.port, base_pairs(0, 1000, tag=b"x"))
    slow_down(server, r)
    r.bgsave()
    child = the_child(server.pid)
    temp = server.dir / f"temp-{child}.rdb"
    deadline = time.time() + 30
    while not temp.exists():
        assert time.time() < deadline and proc_stat(child)[0] != "Z", "no temporary file seen"
        time.sleep(0.001)
    os.kill(child, signal.SIGKILL)
    wait_saved(r)
    assert r.ping()
    pe = r.info("persistence")
    assert pe["rdb_last_bgsave_status"] == "err" and pe["rdb_last_cow_size"] == 0
    assert dump.read_bytes() == before
    assert not temp.exists()
    assert "Background saving terminated by signal 9" in server.log()
    r.config_set("rdb-key-save-delay", 0)
    r.bgsave()
    wait_saved(r)
    pe = r.info("persistence")
    assert pe["rdb_last_bgsave_status"] == "ok" and r.info("stats")["total_forks"] == 2
    assert sorted(p.name for p in server.dir.iterdir() if p.suffix == ".rdb") == ["dump.rdb"]
    assert dump.read_bytes() != before
    check = subprocess.run([need_tool("redis-check-rdb"), str(dump)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


# --- kill -9 at random moments ---------------------------------------------------------------------
class Writer(threading.Thread):
    """Writes `it:c:s` to w<it>:<c>:<s % SLOTS>, s = 0, 1, ..., 50 per send, until the server dies.

    `sent` is the number of writes handed to the socket so far: no write s >= sent exists.
    """

    def __init__(self, port, it, c):
        super().__init__(daemon=True)
        self.port, self.it, self.c = port, it, c
        self.sent = 0

    def run(self):
        ok = b"+OK\r\n" * 50
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
                while True:
                    cmds = []
                    for q in range(self.sent, self.sent + 50):
                        k = b"w%d:%d:%d" % (self.it, self.c, q % SLOTS)
                        v = b"%d:%d:%d" % (self.it, self.c, q)
                        cmds.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                                    % (len(k), k, len(v), v))
                    self.sent += 50
                    s.sendall(b"".join(cmds))
                    got = b""
                    while len(got) < len(ok):
                        data = s.recv(4096)
                        if not data:
                            return
                        got += data
        except OSError:
            return


def start_crashable(d, log_path):
    """mako_numba with save points, in its own process group (killpg reaches its child too)."""
    with open(log_path, "w") as out:
        popen = subprocess.Popen([sys.executable, "-m", "mako_numba", "--port", "0", "--dir",
                                  str(d), "--save", "1 1000"], stdout=out, stderr=subprocess.STDOUT,
                                 cwd=d, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        text = log_path.read_text(errors="replace")
        m = re.search(r"Ready to accept connections tcp on [\d.]+:(\d+)", text)
        if m:
            return popen, int(m.group(1))
        assert popen.poll() is None, "mako_numba did not start on the file:\n" + text
        time.sleep(0.05)
    os.killpg(popen.pid, signal.SIGKILL)
    raise AssertionError("mako_numba did not become ready")


def check_contents(port, sent, why):
    """The server holds one moment of the writes: a prefix of each connection's, nothing else.

    Returns (base keys held, {writer: writes held}).
    """
    r = redis.Redis(port=port)
    keys = r.keys("*")
    values = {}
    for i in range(0, len(keys), 10_000):
        values.update(zip(keys[i:i + 10_000], r.mget(keys[i:i + 10_000])))
    base = sorted(int(k[5:]) for k in values if k.startswith(b"base:"))
    assert base == list(range(len(base))), why + ": base keys are not a prefix"
    seen = {}
    for k, v in values.items():
        if k.startswith(b"base:"):
            assert v == b"v" + k[5:], (why, k, v)
            continue
        m = re.fullmatch(rb"w(\d+):(\d+):(\d+)", k)
        assert m, (why, "a key nobody wrote", k)
        it, c, slot = map(int, m.groups())
        vi, vc, s = map(int, v.split(b":"))
        assert (vi, vc) == (it, c) and s % SLOTS == slot and s < sent[(it, c)], (why, k, v)
        seen.setdefault((it, c), {})[slot] = s
    cuts = {}
    for (it, c), slots in seen.items():
        cut = cuts[(it, c)] = max(slots.values()) + 1
        want = {k: k + SLOTS * ((cut - 1 - k) // SLOTS) for k in range(min(cut, SLOTS))}
        assert slots == want, f"{why}: writer {it}:{c} is not a prefix of its writes"
    return len(base), cuts


def test_kill_9_at_random_moments_leaves_a_whole_file(tmp_path):
    checker = need_tool("redis-check-rdb")
    rng = random.Random(CRASH_SEED)
    d = tmp_path / "data"
    d.mkdir()
    dump = d / "dump.rdb"
    sent = {}
    files = with_child = 0
    for it in range(CRASH_RUNS + 1):
        why = f"seed {CRASH_SEED}, run {it}"
        popen, port = start_crashable(d, tmp_path / f"server-{it}.log")
        try:
            have, cuts = check_contents(port, sent, why)
            print(f"{why}: {have} base keys, writes held {sorted(cuts.items())}")
            if it == CRASH_RUNS:
                break
            set_all(port, base_pairs(have))                 # the rest of the base, in order
            # a save of these keys takes ~0.05 s: slow it so kills land during one
            redis.Redis(port=port).config_set("rdb-key-save-delay", -20)
            writers = [Writer(port, it, c) for c in range(WRITERS)]
            for w in writers:
                w.start()
            alone = it % 2 == 0
            if alone:                                       # anywhere; a child may be orphaned
                time.sleep(rng.uniform(0.2, 2.5))
                os.kill(popen.pid, signal.SIGKILL)
            else:                                           # the server and a saving child at once
                time.sleep(rng.uniform(0.1, 1.0))
                try:
                    redis.Redis(port=port).bgsave()
                except redis.ResponseError:                 # one is running already
                    pass
                deadline = time.time() + 10
                while not processes(1, popen.pid) and time.time() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.5))
                with_child += bool(processes(1, popen.pid))
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(30)
            for w in writers:
                w.join(30)
                sent[(it, w.c)] = w.sent
            deadline = time.time() + 120                    # an orphaned child finishes its save
            while processes(2, popen.pid):
                assert time.time() < deadline, "a BGSAVE child never ended"
                time.sleep(0.05)
        finally:
            if popen.poll() is None:
                os.killpg(popen.pid, signal.SIGKILL)
                popen.wait()
        if dump.exists():
            files += 1
            check = subprocess.run([checker, str(dump)], capture_output=True, text=True)
            assert check.returncode == 0, f"{why}: {check.stdout}{check.stderr}"
    print(f"crash test, seed {CRASH_SEED}: {CRASH_RUNS} kills, a file after {files}, "
          f"{with_child} with a BGSAVE child running")
    assert files >= 1 and with_child >= 1
