"""`python -m bench scripts`: the scripting benchmark's machinery, on a short run.

One run per server of EVALSHA (a GET and a SET) at P=1 and P=16 from our load
generator, and the cost of one redis.call from scripts looping 0 and 5,000 times.
Checked: the run ends well, both servers have figures, a ratio is mako's figure over
redis's.  No timing is asserted.
"""
import subprocess
import sys

import pytest

from conftest import ROOT, need_tool


def number(cell):
    return float(cell.split()[0].replace(",", ""))


def test_scripts_bench_runs():
    need_tool("redis-server")
    proc = subprocess.run([sys.executable, "-m", "bench", "scripts", "--runs", "1", "--seconds", "0.3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in proc.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    evals = [r for r in rows if r[0].startswith("EVALSHA get+set P")]
    assert [r[0] for r in evals] == ["EVALSHA get+set P1", "EVALSHA get+set P16"]
    calls = [r for r in rows if r[0] == "cost per call"]
    assert len(calls) == 1
    for r in evals + calls:
        mako, redis, ratio = number(r[1]), number(r[2]), number(r[3])
        assert mako > 0 and redis > 0, r
        assert ratio == pytest.approx(mako / redis, rel=0.05, abs=0.01), r
