"""`python -m bench lists --smoke`: the list benchmarks' machinery, on tiny sizes.

One short run per server of every part: redis-benchmark's list tests and
the sorted-set custom commands, the same at P=1 and P=16 from our load generator,
the BRPOP job queue, 200 clients blocked in
BLPOP beside GET/SET and woken by one pipeline of LPUSHes, and the memory
cases at a thousandth.  Checked: the run ends well, summary.md is written
and holds every table, every row has figures for both servers, a ratio is
mako's figure over redis's, and every queued job was delivered.  No timing
is asserted.  Skips when redis-server or redis-benchmark is missing, unless
MAKO_TEST_REQUIRE_REDIS=1, where that fails.
"""
import subprocess
import sys

import pytest

from conftest import ROOT, need_tool


def number(cell):
    """The median of a cell ("1,234" or "1,234 (1,000-1,500)", maybe followed by a verdict)."""
    return float(cell.split()[0].replace(",", ""))


def section(text, title):
    """The table rows (cells) under the heading that starts with `title`."""
    part = text.split("## " + title, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in part.splitlines() if line.startswith("| ") and "---" not in line]
    return [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    need_tool("redis-server")
    need_tool("redis-benchmark")
    out = tmp_path_factory.mktemp("bench-lists")
    proc = subprocess.run([sys.executable, "-m", "bench", "lists", "--smoke", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (summary,) = out.glob("*-lists/summary.md")
    text = summary.read_text()
    assert text.strip() in proc.stdout
    return text


def test_throughput_rows(smoke):
    head, *rows = section(smoke, "Throughput")
    assert head[:4] == ["case", "mako ops/s", "redis ops/s", "mako/redis"]
    names = [r[0] for r in rows]
    for test in ("LPUSH", "RPOP", "LRANGE_100"):
        for p in (1, 16):
            assert f"{test} (-t {test.lower()}) c50 P{p}" in names
    zsets = "skipped" not in smoke.split("## Job queue")[0]
    assert len(rows) == (12 if zsets else 6)
    for r in rows:
        mako, redis, ratio = number(r[1]), number(r[2]), number(r[3])
        assert mako > 0 and redis > 0, r
        assert ratio == pytest.approx(mako / redis, rel=0.02, abs=0.01), r
        assert r[5] in ("met", "not met"), r       # one run: no spread to cross


def test_generator_rows(smoke):
    """The cases at P=1 and P=16 from our load generator: both servers' figures, the ratio,
    the target of its depth, the generator's busy share and ceiling."""
    head, *rows = section(smoke, "P=1 and P=16 from our load generator")
    assert head[:5] == ["case (c50)", "P", "mako ops/s", "redis ops/s", "mako/redis"]
    zsets = "skipped" not in smoke.split("## Job queue")[0]
    names = ["LPUSH mylist xxx", "RPOP mylist", "LRANGE mylist 0 99"] + (
        ["ZADD z:N S mN", "ZSCORE z:N m3", "ZRANGE z 0 99 WITHSCORES"] if zsets else [])
    assert [(r[0], r[1]) for r in rows] == [(n, p) for p in ("1", "16") for n in names]
    for r in rows:
        mako, redis, ratio = number(r[2]), number(r[3]), number(r[4])
        assert mako > 0 and redis > 0, r
        assert ratio == pytest.approx(mako / redis, rel=0.02, abs=0.01), r
        assert r[5] == (">= 1" if r[1] == "1" else ">= 1.5"), r
        assert r[6] in ("met", "not met"), r
        assert 0 < float(r[7].rstrip("%")) <= 100 and number(r[8]) > 0, r


def test_queue_rows(smoke):
    head, *rows = section(smoke, "Job queue")
    assert len(rows) == 2
    for r in rows:
        assert number(r[1]) > 0 and number(r[2]) > 0, r
        assert number(r[3]) == pytest.approx(number(r[1]) / number(r[2]), rel=0.02, abs=0.01), r
        assert 0 < number(r[4]) <= number(r[6]) and 0 < number(r[5]) <= number(r[7]), r   # p50 <= p99
        assert r[-1] == "0, 0", "jobs pushed but never delivered: " + str(r)


def test_blocked_rows(smoke):
    rows = section(smoke, "GET/SET beside")
    cases = [r for r in rows if r[0].startswith(("SET", "GET"))]
    assert [r[0] for r in cases] == ["SET c50 P1", "GET c50 P1", "SET c50 P16", "GET c50 P16"]
    for r in cases:
        for i in (1, 2, 4, 5):
            assert number(r[i]) > 0, r
        assert number(r[3]) == pytest.approx(number(r[2]) / number(r[1]), rel=0.02, abs=0.01), r
    (wake,) = [r for r in rows if r[0].startswith("wake all")]
    assert number(wake[1]) > 0 and number(wake[2]) > 0


def test_memory_rows(smoke):
    head, *rows = section(smoke, "Memory per item")
    assert len(rows) == 4
    for r in rows:
        if "skipped" in r[1]:
            assert "sorted set" in r[0]
            continue
        assert number(r[1]) > 0 and number(r[2]) > 0, r
