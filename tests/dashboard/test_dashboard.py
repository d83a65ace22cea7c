"""The live dashboard as a person sees it: frames as text, and the real thing in tmux.

- Frames are printed to a recording rich Console and read back as text:
  from canned INFO replies (rates, resets, the unreachable banner, missing
  Mako fields, every screen size fits), and from real servers after known
  traffic (a mako_numba and a redis-server 7: the keys, the hit ratio, the
  per-command rows; the Mako panel only for mako_numba).
- The client against real servers: AUTH refused and required, `INFO
  everything` refused (an ACL allowing only `INFO all`) falls back.
- In tmux: `top` draws, redraws at a new width, quits on `q` and leaves the
  terminal's settings as they were; `--dashboard` serves and shows it, and
  `q`, Ctrl-C or a SIGTERM to it stops the server child (which saves), or
  the child's own SHUTDOWN ends it; `top` on a closed port says so and
  reconnects when a server appears there.
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import time

import pytest
import redis

from conftest import ROOT, free_port, need_tool
from dashdrive import Tmux, frame, info, mako_lines, two_samples
from drive import raw
from mako_numba.dashboard.model import Model
from mako_numba.dashboard.widgets import spark_lines
from mako_numba.dashboard.infoclient import InfoClient
from mako_numba.dashboard.infoparse import fields, parse_info
from mako_numba.dashboard.top import Poller

PY = shlex.quote(sys.executable)


# --- INFO text and the model ----------------------------------------------------------------------
def test_parse_info_sections_fields_and_colons():
    got = parse_info("# Server\r\nredis_version:7.0.15\r\nexecutable:/a:b\r\n\r\n"
                     "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n")
    assert got["server"] == {"redis_version": "7.0.15", "executable": "/a:b"}
    assert fields(got["keyspace"]["db0"]) == {"keys": "3", "expires": "1", "avg_ttl": "0"}
    assert parse_info("") == {}


def test_rates_hit_ratio_and_keys_from_two_samples():
    model = two_samples(info(total=100, hits=10, misses=10, get=20, set_=30, keys=5),
                        info(total=300, hits=70, misses=30, get=100, set_=130, keys=105, expired=4))
    assert model.rate("stats", "total_commands_processed") == 100
    assert model.cmd_rate("get") == 40 and model.cmd_rate("set") == 50
    assert model.hit_ratio() == (0.75, 0.7)
    assert model.rate("stats", "expired_keys") == 2
    text = frame(model)
    assert "ops/s 100" in text and "instantaneous 42" in text and "total 300" in text
    assert re.search(r"db0\s+105\s+2", text)
    assert "75.0% now" in text and "70.0% overall" in text
    assert re.search(r"get\s+100\s+40", text) and re.search(r"set\s+130\s+50", text)
    assert "expired 4 (2/s)" in text
    assert "Redis 7.0.15" in text and "master" in text and "up 1h 02m" in text
    assert "Mako" not in text                       # not a mako_numba
    assert "Latency" not in text                    # no latencystats lines


def test_counter_going_down_gives_no_rate():
    model = two_samples(info(total=500, get=50), info(total=10, get=2))
    assert model.rate("stats", "total_commands_processed") is None
    assert model.cmd_rate("get") is None
    text = frame(model)
    assert "ops/s -" in text and "-1" not in text


def test_restart_is_a_new_baseline():
    model = two_samples(info(total=100, run_id="a" * 40), info(total=150, run_id="b" * 40))
    assert model.rate("stats", "total_commands_processed") is None


def test_unreachable_banner_keeps_the_history():
    model = two_samples(info(total=100, keys=5), info(total=300, keys=6))
    model.down("unreachable", "cannot reach 127.0.0.1:6380: Connection refused, retrying…", 1003.0)
    model.down("unreachable", "cannot reach 127.0.0.1:6380: Connection refused, retrying…", 1005.0)
    text = frame(model)
    assert "cannot reach 127.0.0.1:6380: Connection refused, retrying… (2s)" in text
    assert re.search(r"db0\s+6", text)              # the last data stays on screen
    model.add(info(total=500, keys=7), 1006.0)
    text = frame(model)
    assert "cannot reach" not in text
    assert len(model.points("ops")) == 2            # 1000-1002 and 1002-1006
    assert model.rate("stats", "total_commands_processed") == 50


def test_latency_panel_from_latencystats():
    lat = ("latency_percentiles_usec_get:p50=1.003,p99=3.007,p99.9=5.023\r\n"
           "latency_percentiles_usec_set:p50=2.001,p99=4.015,p99.9=1500\r\n")
    model = two_samples(info(get=1, latency=lat), info(get=9, set_=1, latency=lat))
    text = frame(model, 160, 50)
    assert "Latency percentiles" in text
    assert re.search(r"get\s+1\.0\s+3\.0\s+5\.0", text)
    assert re.search(r"set\s+2\.0\s+4\.0\s+1\.50k", text)


def test_persistence_panel_states():
    busy = info()
    busy["persistence"].update(rdb_bgsave_in_progress="1", rdb_last_bgsave_status="err",
                               aof_enabled="1", aof_rewrite_in_progress="1",
                               aof_last_write_status="err")
    text = frame(two_samples(info(), busy), 160, 50)
    assert "saving (BGSAVE in progress)" in text
    assert re.search(r"last bgsave\s+err", text)
    assert "on, rewriting, last write err" in text
    assert re.search(r"changes\s+7 since last save", text)
    assert "aof         off" in frame(two_samples(info(), info()), 160, 50)


def test_banner_counts_blocked_clients():
    waiting = info()
    waiting["clients"]["blocked_clients"] = "2"
    assert "3 clients (2 blocked)" in frame(two_samples(info(), waiting), 160, 50)
    assert "blocked" not in frame(two_samples(info(), info()), 160, 50)


def test_mako_panel_kernel_times_and_batch_sizes():
    model = two_samples(info(mako=mako_lines(10, 5, 5, 1000, 45)),
                        info(mako=mako_lines(110, 55, 55, 1500, 1045)))
    assert model.kernel_times() == (5.0, 500.0)     # 500 us / 100 batches; 500 us / 1000 requests
    text = frame(model, 160, 50)
    assert "mako_numba 0.1.0 (Redis 7.0.15)" in text
    assert re.search(r"batches\s+110   50/s", text)
    assert re.search(r"kernel/batch\s+5.0 µs \(10 requests\)", text)
    assert re.search(r"kernel/req\s+500 ns", text)
    assert re.search(r"slow path\s+3 \(1.25%\)", text)
    assert re.search(r"compile\s+0.37 s", text)
    bars = {m.group(1): m.group(2) for m in re.finditer(r"(≤\d+)\s+(█*)", text)}
    assert set(bars) == {"≤1", "≤2", "≤4", "≤8"}    # up to the largest size seen
    assert bars["≤1"] and len(bars["≤1"]) == len(bars["≤8"]) and not bars["≤2"]


def test_mako_panel_with_fields_missing_shows_dashes():
    model = two_samples(info(mako=["batches:1"]), info(mako=["batches:3"]))
    text = frame(model, 160, 50)
    assert re.search(r"batches\s+3   1/s", text)
    for label in ("slow path", "deferred", "compile", "kernel/req"):
        assert re.search(label + r"\s+-", text), label
    assert re.search(r"kernel/batch\s+- µs \(- requests\)", text)
    assert "batches by size" not in text


@pytest.mark.parametrize("width,height", [(80, 24), (160, 50), (100, 30), (40, 12), (20, 5)])
def test_every_frame_fits_the_screen(width, height):
    model = two_samples(info(total=10, get=5, keys=3, mako=mako_lines(1, 1, 0, 10, 1)),
                        info(total=9999, get=5000, keys=12345, mako=mako_lines(90, 60, 30, 900, 500)))
    for i in range(40):
        model.add_log(f"{i}:M 26 Nov 2026 05:43:40.931 * a log line that is longer than some screens")
    model.down("unreachable", "cannot reach 127.0.0.1:6380: Connection refused, retrying…", 1003.0)
    lines = frame(model, width, height).splitlines()
    assert len(lines) <= height
    assert max(len(line) for line in lines) <= width
    if width >= 80:
        text = "\n".join(lines)
        assert "cannot reach" in text and "Throughput" in text and "Commands" in text
        assert "Keyspace" in text and "Mako" in text and "Server log" in text


def test_sparkline_cells_follow_time_not_samples():
    points = [(0, 10, 1.0), (10, 20, 4.0), (30, 40, 0.0)]   # nothing known for 20-30
    assert spark_lines(points, 0, 40, 4) == ["▂█ ▁"]
    assert spark_lines(points, 0, 40, 8) == ["▂▂██  ▁▁"]
    assert spark_lines(points, 0, 40, 4, rows=2) == [" █  ", "▄█ ▁"]
    assert spark_lines([], 0, 40, 3) == ["   "]


# --- real servers ----------------------------------------------------------------------------------
def known_traffic(port):
    """100 SETs, 50 GETs that hit, 25 that miss; the INFO replies before and after."""
    client = InfoClient("127.0.0.1", port)
    r = redis.Redis(port=port)
    r.flushall()
    before = parse_info(client.info())
    for i in range(100):
        r.set(f"key:{i}", i)
    for i in range(50):
        r.get(f"key:{i}")
    for i in range(25):
        r.get(f"nokey:{i}")
    after = parse_info(client.info())
    r.close()
    client.close()
    return two_samples(before, after, dt=1.0, target=f"127.0.0.1:{port}")


def assert_traffic_shown(text):
    assert re.search(r"db0\s+100\s+0", text)
    assert "66.7% now" in text
    assert re.search(r"set\s+[\d,]+\s+100\s", text)     # 100 calls in the 1 s between samples
    assert re.search(r"get\s+[\d,]+\s+75\s", text)


def test_frame_from_a_mako_server(mako):
    model = known_traffic(mako.port)
    text = frame(model, 160, 50)
    print(text)
    assert_traffic_shown(text)
    assert "mako_numba 0.1.0" in text and "Mako" in text and "batches" in text
    assert f"pid {mako.popen.pid}" in text and f"127.0.0.1:{mako.port}" in text


def test_frame_from_redis_has_no_mako_panel(redis_ref):
    model = known_traffic(redis_ref.port)
    text = frame(model, 160, 50)
    assert_traffic_shown(text)
    assert "Redis 7." in text and "mako_numba" not in text
    assert "Mako" not in text and "batches" not in text
    assert "Latency percentiles" in text and re.search(r"get\s+[\d.]+\s+[\d.]+\s+[\d.]+", text)


@pytest.fixture
def redis_with_password(tmp_path):
    exe = need_tool("redis-server")
    port = free_port()
    popen = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--requirepass", "sesame", "--dir", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 10
        while True:
            try:
                redis.Redis(port=port, password="sesame").ping()
                break
            except redis.ConnectionError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        popen.terminate()
        popen.wait(10)


def poll_once(port, **auth):
    model = Model(f"127.0.0.1:{port}")
    poller = Poller(InfoClient("127.0.0.1", port, **auth))
    poller.poll(model, 1000.0)
    poller.client.close()
    return model


def test_auth_required_wrong_and_right(redis_with_password):
    port = redis_with_password
    text = frame(poll_once(port))
    assert "authentication required (NOAUTH Authentication required.)" in text
    text = frame(poll_once(port, password="wrong"))
    assert f"authentication failed at 127.0.0.1:{port}: WRONGPASS" in text
    text = frame(poll_once(port, password="sesame"))
    assert "authentication" not in text and "Redis 7." in text


def test_info_everything_refused_falls_back_to_all(redis_with_password):
    r = redis.Redis(port=redis_with_password, password="sesame")
    r.execute_command("ACL", "SETUSER", "watcher", "on", ">pw", "-@all", "+info|all")
    client = InfoClient("127.0.0.1", redis_with_password, password="pw", user="watcher")
    assert "# Keyspace" in client.info() and client.section == "all"
    assert "# Keyspace" in client.info()
    client.close()


def test_auth_against_a_server_without_it_shows_its_error(mako):
    text = frame(poll_once(mako.port, password="x"))
    assert "authentication failed" in text and "ERR" in text


# --- the command lines ----------------------------------------------------------------------------
def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "mako_numba", *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)


def test_top_help_and_one_line_errors():
    res = run_cli("top", "--help")
    assert res.returncode == 0 and "-h HOST" in res.stdout and "--interval" in res.stdout
    for args in (["top", "--interval", "x"], ["top", "-p"], ["top", "--nosuch"],
                 ["--dashboard", "--port", "abc"], ["top"], ["--dashboard", "--port", "0"]):
        res = run_cli(*args)                        # the last two: stdout is not a terminal
        assert res.returncode == 1, (args, res)
        assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr, (args, res.stderr)
    assert "needs a terminal" in res.stderr


def test_server_help_lists_dashboard():
    assert "--dashboard" in run_cli("--help").stdout


# --- in a real terminal ----------------------------------------------------------------------------
def top_command(port, *extra):
    return f"PYTHONPATH={shlex.quote(ROOT)} {PY} -m mako_numba top -p {port} " + " ".join(extra)


def keeping_tty_settings(command, tmp_path):
    """The command, with the terminal's settings saved before and after it (to compare)."""
    return (f"(stty -g > {tmp_path}/tty.before; {command}; status=$?; "
            f"stty -g > {tmp_path}/tty.after; exit $status)")


def parent_pid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rpartition(")")[2].split()[1])


def frame_width(screen):
    """The width the frame was drawn at: its widest line (borders reach the right edge)."""
    return max(len(line) for line in screen.splitlines())


def test_top_in_a_terminal_draws_resizes_and_quits(mako, tmp_path):
    r = redis.Redis(port=mako.port)
    r.flushall()
    r.mset({f"t:{i}": i for i in range(42)})
    r.close()
    term = Tmux(tmp_path, "top")
    try:
        term.start(keeping_tty_settings(top_command(mako.port, "--interval", "0.2"), tmp_path),
                   120, 40, tmp_path)
        screen = term.wait_for(lambda s: "mako_numba 0.1.0" in s and re.search(r"db0\s+42", s))
        assert f"127.0.0.1:{mako.port}" in screen and "Mako" in screen
        assert frame_width(screen) == 120
        term.resize(90, 30)
        screen = term.wait_for(lambda s: frame_width(s) == 90 and "╮" in s, what="a 90-wide frame")
        assert all(len(line) <= 90 for line in screen.splitlines())
        term.resize(150, 45)
        term.wait_for(lambda s: frame_width(s) == 150 and re.search(r"db0\s+42", s),
                      what="a 150-wide frame")
        term.keys("q")
        assert term.wait_exit() == 0
        assert "Throughput" not in term.screen()      # the alternate screen is gone
        assert (tmp_path / "tty.before").read_text() == (tmp_path / "tty.after").read_text()
    finally:
        term.kill()


@pytest.mark.parametrize("stop", ["q", "ctrl-c", "sigterm", "shutdown"])
def test_dashboard_serves_and_stops_with_its_server(mako, tmp_path, stop):
    # `mako` first: its start compiled the kernels, so the child loads them from the cache
    term = Tmux(tmp_path, "dash-" + stop)
    save = "''" if stop == "q" else "'3600 1'"
    try:
        command = (f"PYTHONPATH={shlex.quote(ROOT)} {PY} -m mako_numba --dashboard "
                   f"--port 0 --save {save}")
        term.start(keeping_tty_settings(command, tmp_path), 130, 40, tmp_path)
        screen = term.wait_for(lambda s: "Ready to accept connections" in s and "batches" in s
                               and "Server log" in s, timeout=60)
        pid = int(re.search(r"starting \(Redis [\d.]+ compatible\), pid=(\d+)", screen).group(1))
        port = int(re.search(r"Ready to accept connections tcp on [\d.]+:(\d+)", screen).group(1))
        assert f"pid {pid}" in screen and f"127.0.0.1:{port}" in screen
        with redis.Redis(port=port) as r:
            r.set("written", "before the stop")
        if stop == "shutdown":                          # the server ends; the dashboard follows
            raw("127.0.0.1", port, b"SHUTDOWN NOSAVE\r\n", expect_close=True)
        elif stop == "sigterm":                         # to the dashboard, the server's parent
            os.kill(parent_pid(pid), signal.SIGTERM)
        else:
            term.keys("q" if stop == "q" else "C-c")
        assert term.wait_exit() == 0                    # the server's own status
        screen = term.screen()
        assert "ready to exit" in screen                # its last lines, printed on the way out
        assert subprocess.run(["ps", "-o", "pid=", "-p", str(pid)], capture_output=True).stdout == b""
        # SIGTERM saves as on any stop when save points are set; --save "" and NOSAVE do not
        assert os.path.exists(tmp_path / "dump.rdb") == (stop in ("ctrl-c", "sigterm"))
        assert (tmp_path / "tty.before").read_text() == (tmp_path / "tty.after").read_text()
    finally:
        term.kill()


def test_top_says_unreachable_then_reconnects(mako, tmp_path):
    # `mako` first: the server started below then loads its kernels from the cache
    port = free_port()
    term = Tmux(tmp_path, "reach")
    server = None
    try:
        term.start(top_command(port, "--interval", "0.2"), 120, 30, tmp_path)
        term.wait_for(lambda s: f"cannot reach 127.0.0.1:{port}: Connection refused, retrying…" in s)
        server = subprocess.Popen([sys.executable, "-m", "mako_numba", "--port", str(port),
                                   "--save", ""], cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.STDOUT)
        screen = term.wait_for(lambda s: "mako_numba 0.1.0" in s and "cannot reach" not in s,
                               timeout=60, what="the reconnected dashboard")
        assert f"pid {server.pid}" in screen
        term.keys("q")
        assert term.wait_exit() == 0
    finally:
        term.kill()
        if server is not None:
            server.terminate()
            server.wait(10)
