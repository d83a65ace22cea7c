"""Random blocking scenarios against a real Redis: who is served, with what, in what order.

Four waiter connections issue BLPOP, BRPOP, BLMOVE and BLMPOP (timeout 0)
on one or two of three keys; a producer connection pushes, moves, deletes
and pushes inside MULTI/EXEC.  Both servers get the same steps from the
same seed; every reply each connection receives, and the lists at the end,
must be the same bytes.  A waiter's request is known blocked (INFO
blocked_clients) before the next step, so the order clients blocked in is
the same on both.  (One known difference is kept out: a client waiting on
two keys that both get elements in one command pops from its first key
here, and from the key written first in Redis; so a transaction pushes to
one key only.)
"""
import random

import pytest

from tests.commands.test_blocking import Clients, _read

KEYS = ("a", "b", "c")
WAITERS = (1, 2, 3, 4)


def _waiter_cmd(rnd):
    keys = rnd.sample(KEYS, rnd.choice((1, 1, 2)))
    kind = rnd.choice(("blpop", "brpop", "blmove", "blmpop"))
    if kind in ("blpop", "brpop"):
        return [kind, *keys, "0"]
    if kind == "blmove":
        return ["blmove", keys[0], rnd.choice(KEYS), rnd.choice(("left", "right")),
                rnd.choice(("left", "right")), "0"]
    return ["blmpop", "0", str(len(keys)), *keys, rnd.choice(("left", "right")), "count",
            str(rnd.choice((1, 2)))]


def _producer_cmds(rnd, step, waited):
    k = rnd.choice(sorted(waited)) if waited and rnd.random() < 0.8 else rnd.choice(KEYS)
    r = rnd.random()
    vals = [f"v{step}.{j}" for j in range(rnd.choice((1, 1, 2, 3)))]
    if r < 0.45:
        return [[rnd.choice(("lpush", "rpush")), k, *vals]]
    if r < 0.6:
        return [["lmove", k, rnd.choice(KEYS), rnd.choice(("left", "right")),
                 rnd.choice(("left", "right"))]]
    if r < 0.85:
        return [["del", k]]
    return [["multi"], ["rpush", k, *vals], ["lpush", k, f"m{step}"], ["exec"]]


def _scenario(seed, steps):
    def run(cl):
        rnd = random.Random(seed)
        blocked = {}                # waiter -> the keys it waits on
        for step in range(steps):
            free = [i for i in WAITERS if i not in blocked]
            if free and rnd.random() < 0.5:
                i = rnd.choice(free)
                cmd = _waiter_cmd(rnd)
                cl.send(i, *cmd)
                got = _read(cl.c[i], 0.1)
                if got:
                    cl.log.append((step, i, got))
                else:
                    blocked[i] = [k for k in cmd if k in KEYS]
                    cl.blocked(len(blocked))
                    cl.log.append((step, i, "blocked"))
                continue
            waited = {k for keys in blocked.values() for k in keys}
            for cmd in _producer_cmds(rnd, step, waited):
                cl.send(0, *cmd)
            cl.got(0)
            for i in sorted(blocked):  # (a copy: served ones leave)
                got = _read(cl.c[i], 0.08)
                if got:
                    del blocked[i]
                    cl.log.append(("woken", step, i, got))
        for k in KEYS:
            cl.send(0, "lrange", k, "0", "-1")
            cl.got(0)
        cl.log.append(("still blocked", sorted(blocked)))
    return run


@pytest.mark.parametrize("seed", [1, 4, 5])     # seeds whose steps wake 8 to 11 waiters
def test_random_blocking_matches_redis(pair, seed):
    logs = []
    for proc in pair:
        cl = Clients(proc.port, n=5)
        try:
            cl.send(0, "flushall")
            cl.got(0)
            _scenario(seed, 30)(cl)
        finally:
            cl.close()
        logs.append(cl.log)
    mako, redis = logs
    assert mako == redis
    woken = [e for e in mako if e[0] == "woken"]
    assert len(woken) >= 3, "few blocked waiters were ever woken: the scenario tested little"
