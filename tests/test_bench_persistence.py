"""`python -m bench persistence --keys 20000` (and `--case file`): the snapshot benchmarks, tiny.

Both servers are filled, saved (SAVE, BGSAVE quiet and while writing) and
restarted on their files.  Checked: the run ends well, the printed table
and the CSV have every figure for both servers, the ratios are mako over
redis, and the RDB files are within 1% in size (both write version 10 of the
same data).  Skips when redis-server is missing, unless
MAKO_TEST_REQUIRE_REDIS=1, where that fails.
"""
import csv
import subprocess
import sys

import pytest

from conftest import ROOT, need_tool


def test_persistence_smoke(tmp_path):
    need_tool("redis-server")
    proc = subprocess.run([sys.executable, "-m", "bench", "persistence", "--keys", "20000",
                           "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=280)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "| figure | unit | mako | redis | mako/redis |" in proc.stdout
    (path,) = tmp_path.glob("persistence-*-20000.csv")
    with open(path, newline="") as f:
        rows = {r["figure"]: r for r in csv.DictReader(f)}
    for name in ("save_sec", "fork_usec", "bgsave_sec", "cow_mb", "fork_usec_w", "cow_mb_w",
                 "writes_w", "rdb_mb", "load_log_sec", "start_file_sec", "start_empty_sec"):
        row = rows[name]
        mako, redis = float(row["mako"]), float(row["redis"])
        assert mako >= 0 and redis >= 0, row
        assert f"| {row['what']} |" in proc.stdout
        if redis:
            assert float(row["ratio_mako_redis"]) == pytest.approx(mako / redis, rel=1e-6)
    assert float(rows["fork_usec"]["mako"]) > 0 and float(rows["fork_usec"]["redis"]) > 0
    assert float(rows["writes_w"]["mako"]) > 0 and float(rows["writes_w"]["redis"]) > 0
    assert rows["keys"]["mako"] == rows["keys"]["redis"] == "20000"
    assert float(rows["rdb_mb"]["mako"]) == pytest.approx(float(rows["rdb_mb"]["redis"]), rel=0.01)


def test_persistence_file_case_smoke(tmp_path):
    """`--case file`: one file that redis-server wrote, loaded by both servers, then saved."""
    need_tool("redis-server")
    proc = subprocess.run([sys.executable, "-m", "bench", "persistence", "--case", "file",
                           "--keys", "20000", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (path,) = tmp_path.glob("persistence-file-*-20000.csv")
    with open(path, newline="") as f:
        rows = {r["figure"]: r for r in csv.DictReader(f)}
    assert rows["keys"]["mako"] == rows["keys"]["redis"] == "20000"
    for name in ("load_log_sec", "start_file_sec", "save_sec", "bgsave_sec", "child_sec"):
        row = rows[name]
        mako, redis = float(row["mako"]), float(row["redis"])
        assert mako >= 0 and redis > 0, row
        assert float(row["ratio_mako_redis"]) == pytest.approx(mako / redis, rel=1e-6)
        assert f"| {row['what']} |" in proc.stdout
