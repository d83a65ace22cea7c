"""SLOWLOG, LATENCY, MONITOR, INFO latencystats and the batch counters.

Layers: the histogram arithmetic against the HdrHistogram reference
implementation (hdrh), the core fed bytes, and both servers over real
sockets, where every reply that does not carry a time is compared with
Redis's bytes.
"""
import re
import socket
import time

import numpy as np
import pytest
import redis
from hdrh.histogram import HdrHistogram
from hdrh.iterators import LogIterator

from mako_numba.observe import latency
from mako_numba.engine.core import Core

from drive import raw, roundtrip

# --- the histogram arithmetic --------------------------------------------------------


def _values(seed, n):
    rng = np.random.default_rng(seed)
    return [int(v) for v in np.exp(rng.uniform(0, np.log(2e9), n))] + [0, 1, 255, 256, 1024,
                                                                     10**9, 2 * 10**9]


def test_histogram_matches_hdr_reference():
    ref = HdrHistogram(1, 1_000_000_000, 2)
    counts = np.zeros(latency.HDR_LEN, np.int64)
    for v in _values(1, 5000):
        clamped = min(max(v, 1), 10**9)
        ref.record_value(clamped)
        i = latency.index_of(v)
        assert i == ref._counts_index_for(clamped)
        assert latency.value_at(i) == ref.get_lowest_equivalent_value(clamped)
        assert latency.highest_equivalent(clamped) == ref.get_highest_equivalent_value(clamped)
        counts[i] += 1
    for p in (0.0, 1, 50, 90, 99, 99.9, 99.99, 100):
        assert latency.value_at_percentile(counts, p) == ref.get_value_at_percentile(p), p
    want = [(ref.get_highest_equivalent_value(it.value_iterated_to) // 1000,
             it.total_count_to_this_value) for it in LogIterator(ref, 1024, 2)]
    got = latency.cdf(counts)
    # Redis lists a level only when its cumulative count grew
    assert got == [w for i, w in enumerate(want) if i == 0 or w[1] > want[i - 1][1]]


def test_kernel_index_matches_python():
    for v in _values(2, 2000):
        v = min(max(v, 1), 10**9)
        assert latency.hdr_index(v) == latency.index_of(v)


def test_percentile_names_as_redis():
    assert [latency.percentile_name(p) for p in (50, 99, 99.9, 0, 12.5)] == \
        ["50", "99", "99.9", "0", "12.5"]


# --- the core ----------------------------------------------------------------------------

def test_core_batch_counters_and_latency(core):
    s = core.open()
    roundtrip(core, s, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    before = int(core.stats[8])
    out = roundtrip(core, s, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" * 100)
    assert out == b"$1\r\nv\r\n" * 100
    text = roundtrip(core, s, b"INFO mako\r\n").decode()
    fields = dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
    assert int(fields["requests_in_batches"]) - before >= 100
    sizes = dict(kv.split("=") for kv in fields["batch_sizes"].split(","))
    assert int(sizes["128"]) == 1           # the 100 GETs were one batch
    assert int(fields["kernel_usec"]) >= 0
    assert float(fields["kernel_nsec_per_request"]) > 0
    lat = roundtrip(core, s, b"INFO latencystats\r\n").decode()
    assert re.search(r"latency_percentiles_usec_get:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n", lat)
    assert core.lat[0].sum() == 100         # row 0 is GET
    cs = roundtrip(core, s, b"INFO commandstats\r\n").decode()
    usec = int(re.search(r"cmdstat_get:calls=100,usec=(\d+),", cs).group(1))
    assert usec == int(core.stats[32 + 3 * core.lat.shape[0]]) // 1000 and usec >= 0


def test_core_monitor_sees_rows_before_input_moves(core):
    """A traced batch keeps its input in place until the rows are read (a request is cut)."""
    m, c = core.open(), core.open()
    assert roundtrip(core, m, b"MONITOR\r\n") == b"+OK\r\n"
    core.observe.woken.clear()
    core.feed(c, b"*3\r\n$3\r\nSET\r\n$3\r\nabc\r\n$3\r\nxyz\r\n*2\r\n$3\r\nGET\r\n$3\r\nab")
    core.run([c])
    assert bytes(core.output(c)) == b"+OK\r\n"
    core.sent(c, 5)
    core.feed(c, b"c\r\n")
    core.run([c])
    assert bytes(core.output(c)) == b"$3\r\nxyz\r\n"
    lines = bytes(core.output(m)).decode().split("\r\n")
    assert [ln.split("] ", 1)[1] for ln in lines if ln] == ['"SET" "abc" "xyz"', '"GET" "abc"']


# --- both servers -------------------------------------------------------------------------

def _conn(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _read_until(s, pred, timeout=5.0):
    buf = b""
    deadline = time.time() + timeout
    s.settimeout(0.2)
    while time.time() < deadline and not pred(buf):
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        buf += chunk
    return buf


MONITOR_SCRIPT = [
    b"MULTI\r\n", b"SET a 1\r\n", b"INCR a\r\n", b"EXEC\r\n", b"GET a\r\n",
    b"CONFIG GET maxmemory\r\n",
    b'*3\r\n$3\r\nSET\r\n$3\r\nx y\r\n$5\r\nq"\n\x01\xff\r\n',
    b"SELECT 3\r\n", b"GET b\r\n", b"FOO bar\r\n", b"GET\r\n", b"SET 12345 1\r\n",
    b"HELLO 2 AUTH default secret\r\n", b"DEBUG SLEEP 0\r\n", b"PING\r\n", b"SELECT 0\r\n",
    b"SLOWLOG LEN\r\n", b"LATENCY LATEST\r\n",
]


def _monitor_lines(port):
    mon = _conn(port)
    mon.sendall(b"MONITOR\r\n")
    assert _read_until(mon, lambda b: b.endswith(b"\r\n")) == b"+OK\r\n"
    c = _conn(port)
    for req in MONITOR_SCRIPT:          # one at a time: both servers see the same batches
        c.sendall(req)
        _read_until(c, lambda b: b.endswith(b"\r\n") and not b.startswith(b"*") or b.count(b"\r\n") > 8,
                    timeout=1.0)
    c.close()
    data = _read_until(mon, lambda b: b'"LATENCY" "LATEST"' in b)
    own = []
    mon.sendall(b"PING\r\nGET a\r\nMONITOR\r\nDBSIZE\r\nECHO hi\r\n")
    own = _read_until(mon, lambda b: b'"ECHO"' in b)
    mon.close()
    norm = []
    for line in data.split(b"\r\n"):
        if line:
            norm.append(re.sub(rb"^\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]", rb"+T [\1 PEER]", line))
    own = re.sub(rb"\+\d+\.\d{6} \[(\d+) 127\.0\.0\.1:\d+\]", rb"+T [\1 PEER]", own)
    return norm, own


def test_monitor_matches_redis(mako, redis_ref):
    ours, our_own = _monitor_lines(mako.port)
    theirs, their_own = _monitor_lines(redis_ref.port)
    assert ours == theirs
    assert b'"AUTH" "(redacted)" "(redacted)"' in b"".join(ours)
    assert our_own == their_own
    assert b"-ERR Replica can't interact with the keyspace\r\n" in our_own


def test_monitor_refused_inside_exec_and_ends_with_reset(mako, redis_ref):
    for port in (mako.port, redis_ref.port):
        out, _ = raw("127.0.0.1", port, b"MULTI\r\nMONITOR\r\nEXEC\r\n")
        assert out == b"+OK\r\n+QUEUED\r\n*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
        out, _ = raw("127.0.0.1", port, b"MONITOR\r\nRESET\r\nGET nokey\r\n")
        assert out == b"+OK\r\n+RESET\r\n$-1\r\n"


def _slowlog_entries(port):
    r = redis.Redis(port=port)
    r.config_set("slowlog-log-slower-than", 0)
    r.slowlog_reset()
    r.client_setname("observer")
    r.set("k", "v" * 200)
    r.execute_command("MSET", *[f"k{i}" for i in range(40)])
    r.get("k")
    with r.pipeline() as p:
        p.incr("n").get("n").execute()
    r.execute_command("SLOWLOG", "LEN")
    entries = r.execute_command("SLOWLOG", "GET", -1)
    length = r.execute_command("SLOWLOG", "LEN")
    r.config_set("slowlog-max-len", 2)
    trimmed = r.execute_command("SLOWLOG", "LEN")
    r.config_set("slowlog-max-len", 128)
    r.config_set("slowlog-log-slower-than", 10000)
    r.close()
    shape = [(e[3], re.sub(rb":\d+$", b":P", e[4]), e[5]) for e in entries]
    ids = [e[0] for e in entries]
    assert ids == sorted(ids, reverse=True)
    assert all(isinstance(e[2], int) and e[2] >= 0 for e in entries)
    return shape, length, trimmed


def test_slowlog_matches_redis(mako, redis_ref):
    ours = _slowlog_entries(mako.port)
    theirs = _slowlog_entries(redis_ref.port)
    assert ours == theirs
    shape = ours[0]
    assert [b"SET", b"k", b"v" * 128 + b"... (72 more bytes)"] in [s[0] for s in shape]
    mset = [s[0] for s in shape if s[0][0] == b"MSET"][0]
    assert len(mset) == 32 and mset[-1] == b"... (10 more arguments)"
    assert b"EXEC" not in [s[0][0] for s in shape]      # skip_slowlog, its commands are logged


ERROR_PROBES = (b"SLOWLOG GET 1 2\r\nSLOWLOG\r\nSLOWLOG FOO\r\nSLOWLOG LEN x\r\nSLOWLOG GET -2\r\n"
                b"SLOWLOG GET x\r\nLATENCY\r\nLATENCY HISTORY\r\nLATENCY RESET\r\nLATENCY LATEST\r\n"
                b"LATENCY HISTORY command\r\nLATENCY DOCTOR\r\nLATENCY GRAPH command\r\n"
                b"LATENCY HISTOGRAM nosuchcommand\r\nLATENCY HELP\r\nSLOWLOG HELP\r\n"
                b"CONFIG SET slowlog-log-slower-than -2\r\nCONFIG SET latency-tracking maybe\r\n"
                b"CONFIG SET latency-tracking-info-percentiles \"50 x\"\r\n"
                b"CONFIG SET latency-tracking-info-percentiles \"50 101\"\r\n"
                b"CONFIG GET slowlog-max-len\r\nCONFIG GET slowlog-log-slower-than\r\n"
                b"CONFIG GET latency-tracking\r\nCONFIG GET latency-tracking-info-percentiles\r\n")


def test_slowlog_and_latency_replies_match_redis(mako, redis_ref):
    ours, _ = raw("127.0.0.1", mako.port, ERROR_PROBES)
    theirs, _ = raw("127.0.0.1", redis_ref.port, ERROR_PROBES)
    assert ours == theirs


def _latency_view(port):
    r = redis.Redis(port=port, protocol=2)
    r.config_resetstat()
    for i in range(20):
        r.set(f"x{i}", i)
    for i in range(30):
        r.get(f"x{i}")
    r.config_get("maxmemory")
    hist = r.execute_command("LATENCY", "HISTOGRAM", "set", "get", "config|get", "nosuch")
    info = r.info("latencystats")
    r.config_set("latency-tracking-info-percentiles", "50 99.999 0")
    info2 = r.info("latencystats")["latency_percentiles_usec_get"]
    r.config_set("latency-tracking-info-percentiles", "50 99 99.9")
    r.config_set("latency-tracking", "no")
    r.get("x1")
    calls_off = r.execute_command("LATENCY", "HISTOGRAM", "get")
    r.config_set("latency-tracking", "yes")
    r.close()
    pairs = dict(zip(hist[::2], hist[1::2]))
    shape = {}
    for name, body in pairs.items():
        body = dict(zip(body[::2], body[1::2]))
        buckets = body[b"histogram_usec"]
        cum = buckets[1::2]
        assert cum == sorted(cum) and cum[-1] == body[b"calls"]
        assert all(b > 0 and (b & (b - 1) == 0 or b in (33, 66, 132)) or b > 100
                   for b in buckets[::2])
        shape[name] = body[b"calls"]
    assert list(info2) == ["p50", "p99.999", "p0"]
    assert info2["p0"] <= info2["p50"] <= info2["p99.999"]
    names = sorted(k for k in info if k.startswith("latency_percentiles_usec_"))
    get_calls = dict(zip(calls_off[1][::2], calls_off[1][1::2]))[b"calls"]
    return shape, names, get_calls


def test_latency_histogram_and_info_like_redis(mako, redis_ref):
    ours = _latency_view(mako.port)
    theirs = _latency_view(redis_ref.port)
    assert ours == theirs
    assert ours[0] == {b"set": 20, b"get": 30, b"config|get": 1}
    assert ours[2] == 30                # latency-tracking no: GET x1 was not recorded


def test_resp3_latency_histogram_is_a_map(mako, redis_ref):
    probe = b"HELLO 3\r\nCONFIG RESETSTAT\r\nPING\r\nLATENCY HISTOGRAM ping\r\n"
    ours, _ = raw("127.0.0.1", mako.port, probe)
    theirs, _ = raw("127.0.0.1", redis_ref.port, probe)
    tail = rb"%1\r\n\$4\r\nping\r\n%2\r\n\$5\r\ncalls\r\n:1\r\n\$14\r\nhistogram_usec\r\n%1\r\n:\d+\r\n:1\r\n$"
    assert re.search(tail, ours) and re.search(tail, theirs)


def test_instantaneous_ops_and_kbps(mako):
    r = redis.Redis(port=mako.port)
    deadline = time.time() + 1.5
    n = 0
    while time.time() < deadline:
        with r.pipeline(transaction=False) as p:
            for i in range(50):
                p.get("inst")
            p.execute()
        n += 50
    info = r.info("stats")
    r.close()
    assert info["instantaneous_ops_per_sec"] > 0
    assert info["instantaneous_input_kbps"] > 0 and info["instantaneous_output_kbps"] > 0
    # the rate is an average of the last 16 samples (1.6 s), it cannot exceed what we sent
    assert info["instantaneous_ops_per_sec"] < 3 * n


def test_resetstat_clears_latency_and_batches_keep_counting(mako):
    r = redis.Redis(port=mako.port)
    r.get("a")
    assert "latency_percentiles_usec_get" in r.info("latencystats")
    r.config_resetstat()
    assert "latency_percentiles_usec_get" not in r.info("latencystats")
    mk = r.info("mako")
    assert mk["requests_in_batches"] >= 1 and mk["batches"] >= 1
    r.close()


def test_slowlog_threshold_traces_only_slow_commands():
    c = Core(maxclients=4, seed=3, settings={"slowlog-log-slower-than": "1000000"})
    s = c.open()
    roundtrip(c, s, b"SET a 1\r\nGET a\r\n")
    assert c.observe.slowlog == []
    roundtrip(c, s, b"CONFIG SET slowlog-log-slower-than 0\r\n")
    out = roundtrip(c, s, b"GET a\r\nSLOWLOG LEN\r\n")
    assert out.endswith(b":2\r\n")          # CONFIG SET and GET (SLOWLOG LEN runs after)


def test_client_list_marks_monitors(mako, redis_ref):
    for port in (mako.port, redis_ref.port):
        mon = _conn(port)
        mon.sendall(b"CLIENT SETNAME watcher\r\nMONITOR\r\n")
        assert _read_until(mon, lambda b: b.count(b"\r\n") == 2) == b"+OK\r\n+OK\r\n"
        r = redis.Redis(port=port)
        line = [c for c in r.client_list() if c["name"] == "watcher"][0]
        assert line["flags"] == "O", port
        r.close()
        mon.close()


def test_allocator_fields_count_the_arena(core):
    """allocator_active is what the arena holds (live or free); after deletes the free part shows."""
    s = core.open()
    roundtrip(core, s, b"".join(b"SET k%d %s\r\n" % (i, b"x" * (i % 700)) for i in range(3000)))

    def mem():
        text = roundtrip(core, s, b"INFO memory\r\n").decode()
        return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)
    full = mem()
    roundtrip(core, s, b"".join(b"DEL k%d\r\n" % i for i in range(0, 3000, 2)))
    half = mem()
    assert int(full["allocator_active"]) >= int(full["allocator_allocated"])
    assert int(half["allocator_allocated"]) < int(full["allocator_allocated"])
    # the chunks stay (buffers may differ a little between the two INFO calls)
    assert abs(int(half["allocator_active"]) - int(full["allocator_active"])) < 65536
    assert int(half["allocator_frag_bytes"]) == int(half["allocator_active"]) - int(half["allocator_allocated"])
    assert float(half["allocator_frag_ratio"]) > float(full["allocator_frag_ratio"])
