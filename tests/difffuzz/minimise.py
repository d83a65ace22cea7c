"""Shrinks a failing sequence to a short reproducer, and prints it.

`minimise(pair, steps)` runs delta debugging (ddmin) over the steps, then
over the requests inside each pipelined step, then drops the garbage of a
pipeline where that still fails, then halves long arguments while it
still fails; every attempt is a full replay on both servers after
Pair.reset().  A candidate "fails" when the replay shows any
difference (not necessarily the same one: minimising may slide onto
another difference, which is still a real one).  `describe(steps, diff)`
prints the reproducer as redis-cli-like lines, the raw bytes of each step
and both servers' replies at the first difference.
"""
import time

from .driver import encode


def _ddmin(items, fails, budget):
    n = 2
    while len(items) >= 2 and time.monotonic() < budget:
        size = max(1, len(items) // n)
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        for k in range(len(chunks)):
            rest = [x for j, c in enumerate(chunks) if j != k for x in c]
            if fails(rest):
                items, n = rest, max(n - 1, 2)
                break
        else:
            if n >= len(items):
                break
            n = min(len(items), n * 2)
    return items


def _with_arg(st, k, j, value):
    """Step st with argument j of its k-th request (k = 0 for a single request) replaced."""
    if st[0] == "cmd":
        return st[:3] + (st[3][:j] + [value] + st[3][j + 1:],)
    cmds = list(st[2])
    enc, args = cmds[k]
    cmds[k] = (enc, args[:j] + [value] + args[j + 1:])
    return st[:2] + (cmds,) + st[3:]


def _shrink_values(steps, fails, budget):
    """Halve every long argument while the sequence still fails (readable reproducers)."""
    for i in range(len(steps)):
        st = steps[i]
        reqs = [st[3]] if st[0] == "cmd" else [a for _, a in st[2]] if st[0] == "pipe" else []
        for k, args in enumerate(reqs):
            for j in range(len(args)):
                while len(args[j]) > 64 and time.monotonic() < budget:
                    cand = _with_arg(steps[i], k, j, args[j][:len(args[j]) // 2])
                    if not fails(steps[:i] + [cand] + steps[i + 1:]):
                        break
                    steps = steps[:i] + [cand] + steps[i + 1:]
                    args = cand[3] if cand[0] == "cmd" else cand[2][k][1]
    return steps


def minimise(pair, steps, seconds=60, fails=None):
    """The shortest failing sequence found within `seconds`, and its difference.

    fails: the test of a candidate (default: replaying it shows a difference);
    with a test of its own the difference returned is None."""
    budget = time.monotonic() + seconds
    own = fails is not None

    def differs(cand):
        pair.reset()
        return pair.run(cand) is not None

    fails = fails or differs

    steps = _ddmin(list(steps), fails, budget)
    for i, st in enumerate(steps):
        if st[0] != "pipe" or time.monotonic() > budget:
            continue
        cmds = _ddmin(list(st[2]), lambda c: fails(steps[:i] + [st[:2] + (c, st[3])] + steps[i + 1:]),
                      budget)
        steps[i] = st = st[:2] + (cmds, st[3])
        if st[3] and fails(steps[:i] + [st[:3] + (b"",)] + steps[i + 1:]):
            steps[i] = st[:3] + (b"",)
    steps = _shrink_values(steps, fails, budget)
    if own:
        return steps, None
    pair.reset()
    return steps, pair.run(steps)


def _show(a, limit=60):
    if len(a) > limit:
        return repr(a[:limit // 2])[2:-1] + "...<%d bytes>" % len(a)
    s = repr(a)[2:-1]
    return s if a and all(33 <= c < 127 and c not in b"\"'\\" for c in a) else '"%s"' % s


def line(st):
    if st[0] == "sleep":
        return "   (sleep %d ms)" % st[1]
    if st[0] == "cmd":
        return "%s> %s%s" % (st[1], " ".join(_show(a) for a in st[3]), " (inline)" if st[2] == "i" else "")
    reqs = " | ".join(" ".join(_show(a) for a in args) for _, args in st[2])
    return "%s> [one write] %s%s" % (st[1], reqs, (" | garbage " + _show(st[3])) if st[3] else "")


def raw(st):
    if st[0] == "sleep":
        return None
    if st[0] == "cmd":
        data = encode(st[2], st[3])
    else:
        data = b"".join(encode(e, a) for e, a in st[2]) + st[3]
    return _show(data, 300)


def describe(steps, diff):
    out = [line(st) for st in steps]
    out.append("  raw bytes per step:")
    out += ["    %s: %s" % (st[1], raw(st)) for st in steps if st[0] != "sleep"]
    if diff is not None:
        out.append("  first difference at step %d (%s):" % (diff.index + 1, _show(b" ".join(diff.request), 80)))
        out.append("    redis: %s" % _show(diff.ref, 1200))
        out.append("    mako:  %s" % _show(diff.mako, 1200))
    return "\n".join(out)


def signature(steps, diff):
    """What a finding is deduplicated by: the reproducer's command names, the replies' kinds."""
    names = []
    for st in steps:
        if st[0] == "cmd":
            names.append(st[3][0].upper().decode("latin-1"))
        elif st[0] == "pipe":
            names += [a[0].upper().decode("latin-1") for _, a in st[2]] + (["<garbage>"] if st[3] else [])
    if diff is None:
        return " ".join(names) + "  [a server exited]"
    return " ".join(names) + "  [redis %s / mako %s]" % (diff.ref[:1].decode("latin-1"),
                                                       diff.mako[:1].decode("latin-1"))
