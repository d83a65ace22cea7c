"""The benchmark suite's machinery, on tiny settings: `python -m bench all --smoke`.

One short run per server of redis-benchmark GET and SET and of our load
generator's GET/SET mix, a small growth of both servers, one warm start;
the CSVs, the summary and the chart go to a temporary directory.  Checked:
the files exist, the run CSV has the seed's columns and ours, both servers
answered every case, and each case's ratios are mako's row over redis's.
Skips when redis-server or redis-benchmark is missing, unless
MAKO_TEST_REQUIRE_REDIS=1, where that fails.
"""
import csv
import os
import subprocess
import sys

import pytest

from conftest import ROOT, need_tool

SEED = ["server", "host", "port", "workload", "key_dist", "threads", "value_size", "duration_sec",
        "total_ops", "ops_per_sec", "ops_per_sec_per_thread", "p50_us", "p95_us", "p99_us"]
OURS = ["clients", "pipeline", "server_cpu_user_us_per_op", "server_cpu_sys_us_per_op",
        "ratio_ops_per_sec", "ratio_cpu_per_op", "ratio_p99", "client_ceiling_ops_per_sec",
        "other_cpu_share"]
RATIOS = {"ratio_ops_per_sec": "ops_per_sec", "ratio_cpu_per_op": "server_cpu_us_per_op",
          "ratio_p99": "p99_us"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    need_tool("redis-server")
    need_tool("redis-benchmark")
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, "-m", "bench", "all", "--smoke", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (run_dir,) = [out / d for d in os.listdir(out)]
    return run_dir, proc.stdout


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
        return rows, list(rows[0].keys()) if rows else []


def test_files_written(smoke):
    run_dir, _ = smoke
    for name in ("runs.csv", "scale.csv", "summary.md", "chart.png"):
        assert (run_dir / name).stat().st_size > 0, name
    assert (run_dir / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_rows_and_ratios(smoke):
    run_dir, _ = smoke
    rows, columns = read_csv(run_dir / "runs.csv")
    assert columns[:len(SEED)] == SEED
    assert set(OURS) <= set(columns)
    cases = {}
    for r in rows:
        key = (r["generator"], r["workload"], r["clients"], r["pipeline"], r["value_size"])
        cases.setdefault(key, {})[r["server"]] = r
        assert float(r["ops_per_sec"]) > 0 and float(r["p99_us"]) > 0
        total = float(r["server_cpu_user_us_per_op"]) + float(r["server_cpu_sys_us_per_op"])
        assert total == pytest.approx(float(r["server_cpu_us_per_op"]), abs=0.002)
    assert {k[1] for k in cases} == {"get", "set", "mix"}
    assert {k[0] for k in cases} == {"redis-benchmark", "loadgen"}
    for key, per in cases.items():
        assert set(per) == {"mako", "redis"}, key
        for ratio, col in RATIOS.items():
            want = float(per["mako"][col]) / float(per["redis"][col])
            assert float(per["mako"][ratio]) == pytest.approx(want, rel=1e-3), (key, ratio)
            assert per["redis"][ratio] == per["mako"][ratio]


def test_scale_and_summary(smoke):
    run_dir, stdout = smoke
    rows, _ = read_csv(run_dir / "scale.csv")
    assert {r["server"] for r in rows} == {"mako", "redis"}
    assert {r["value_size"] for r in rows} == {"8", "100"}
    assert all(float(r["bytes_per_key_used"]) > 0 for r in rows)
    summary = (run_dir / "summary.md").read_text()
    assert "## Targets" in summary and "| mako/redis |" in summary
    assert "GET and SET, 50 clients, P=16" in summary and "warm" in summary
    assert "generator ceiling ops/s" in summary
    assert summary.splitlines()[0] in stdout
