"""The notebooks in notebooks/, executed top to bottom on a fresh kernel.

Each runs with nbclient on the `python3` kernel (the one ipykernel installs
into this interpreter's environment), with notebooks/ as the working
directory, quick parameters (MAKO_NB_LONG=1 in the environment runs the long
ones), a timeout per cell; an error in any cell fails the test.  Then the
`NB_RESULT {json}` line that each notebook's last cell prints is checked:
the kernel ran this interpreter, mako_numba's figures are positive, and
Redis's are there when redis-server is installed.  MAKO_TEST_REQUIRE_REDIS=1
makes a missing redis-server or redis-benchmark a failure instead of a skip
(without redis-server the notebooks still run, on mako alone).  Afterwards
the work tree must hold no new files.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REQUIRE_REDIS, ROOT, need_tool

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = os.path.join(ROOT, "notebooks")
LONG = os.environ.get("MAKO_NB_LONG") == "1"
CELL_TIMEOUT = 3600 if LONG else 600
pytestmark = pytest.mark.timeout(3 * CELL_TIMEOUT if LONG else 300)


def redis_expected():
    """True if redis-server is installed; fails instead when it must be and is not."""
    if shutil.which("redis-server"):
        return True
    if REQUIRE_REDIS:
        pytest.fail("redis-server is required here (MAKO_TEST_REQUIRE_REDIS=1) but not installed")
    return False


def untracked():
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                         capture_output=True, text=True)
    return set(out.stdout.splitlines()) if out.returncode == 0 else set()


def execute(name):
    """Run notebooks/<name> on a fresh kernel; return its NB_RESULT object."""
    before = untracked()
    nb = nbformat.read(os.path.join(NOTEBOOKS, name), as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        f"{name} is committed with outputs"
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": NOTEBOOKS}})
    client.execute()            # raises CellExecutionError on the first failing cell
    assert untracked() == before, "the notebook left files in the work tree"
    lines = [line for cell in nb.cells if cell.cell_type == "code"
             for out in cell.get("outputs", []) if out.get("output_type") == "stream"
             for line in out.get("text", "").splitlines() if line.startswith("NB_RESULT ")]
    assert len(lines) == 1, f"{name} printed {len(lines)} NB_RESULT lines"
    result = json.loads(lines[0][len("NB_RESULT "):])
    assert result["python"] == sys.executable, "the notebook ran another interpreter"
    return result


def test_01_throughput():
    need_tool("redis-benchmark")
    with_redis = redis_expected()
    r = execute("01-throughput.ipynb")
    assert r["servers"] == (["mako", "redis"] if with_redis else ["mako"])
    assert r["points"] and r["mako_best_ops"] > 0
    for p in r["points"]:
        assert p["mako_ops"] > 0 and p["mako_p99_us"] > 0
        if with_redis:
            assert p["redis_ops"] > 0 and p["redis_p99_us"] > 0 and p["ratio"] > 0
    assert {p["test"] for p in r["points"]} == {"get", "set"}


def test_02_inside_the_batch():
    need_tool("redis-benchmark")
    r = execute("02-inside-the-batch.ipynb")
    assert r["loads"] and all(x["ops_per_sec"] > 0 and x["avg_batch"] >= 0.9 for x in r["loads"])
    # more clients and deeper pipelines make bigger batches
    assert r["loads"][-1]["avg_batch"] > 4 * r["loads"][0]["avg_batch"]
    # this tree's server reports # Mako's batch_sizes and kernel_usec (older ones: averages only)
    assert r["histogram"] and r["kernel_usec"]
    assert all(x["kernel_ns_per_request"] > 0 for x in r["loads"])
    costs = r["kernel_ns_per_request"]
    assert costs and all(v > 0 for v in costs.values())
    assert costs["1 connection × b b=1"] > costs["1 connection × b b=1024"]
    assert all(v > 0 for v in r["parser_gb_per_s"].values())
    assert {t["what"] for t in r["table"]} >= {"table", "dict loop"}
    assert all(t["lookups_per_s"] > 0 for t in r["table"])


def test_batch_counters_with_and_without_the_histogram_fields():
    """notebooks/nbsupport.py reads `# Mako` as today's servers and as the coming ones report it."""
    sys.path.insert(0, NOTEBOOKS)
    try:
        import nbsupport
    finally:
        sys.path.remove(NOTEBOOKS)
    assert nbsupport.histogram("1=5,2=0,4=7,") == {1: 5, 2: 0, 4: 7}
    assert nbsupport.histogram("le1=5") is None
    old = nbsupport.batch_delta({"batches": 10, "commands": 100}, {"batches": 30, "commands": 500})
    assert old == {"batches": 20, "commands": 400, "requests": 400, "avg_batch": 20.0}
    before = {"batches": 10, "commands": 100, "requests_in_batches": 90, "kernel_usec": 50,
              "batch_sizes": {1: 4, 2: 6}}
    after = {"batches": 30, "commands": 500, "requests_in_batches": 480, "kernel_usec": 128,
             "batch_sizes": {1: 4, 2: 10, 32: 16}}
    new = nbsupport.batch_delta(before, after)
    assert new["requests"] == 390 and new["avg_batch"] == 390 / 20
    assert new["kernel_ns_per_request"] == 78 * 1000 / 390
    assert new["histogram"] == {1: 0, 2: 4, 32: 16}


def test_03_memory():
    with_redis = redis_expected()
    r = execute("03-memory.ipynb")
    assert r["servers"] == (["mako", "redis"] if with_redis else ["mako"])
    assert r["points"]
    for p in r["points"]:
        assert p["mako_used"] > p["value"]          # at least the value itself per key
        if with_redis:
            assert p["redis_used"] > p["value"]
