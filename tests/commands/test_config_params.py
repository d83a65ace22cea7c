"""CONFIG parameters against a real Redis 7.0.15, byte for byte.

maxmemory-clients (a memory or percent value; recorded, no client
eviction), maxclients (its range, the open file limit, the table growing up
to it, the refusal past it), port and bind (listening anew), names answered as the client wrote them,
latency-tracking-info-percentiles refusing leading white space, and values
as the bytes they were given (CONFIG SET and the command line).
"""
import socket

from drive import cmd_bytes
from conftest import free_port, start_pair
from test_slowpath_args import Conn, pair, same  # noqa: F401  (pair is a fixture)

MAXCLIENTS_REACHED = b"-ERR max number of clients reached\r\n"


def test_maxmemory_clients_takes_memory_or_percent(pair):
    """Item: maxmemory-clients is settable, validated as Redis's memory-or-percent ssize_t."""
    assert same(pair, "CONFIG", "set", "MAXMEMORY-CLIENTS", "1e3") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - "
        b"argument must be a memory or percent value\r\n")
    try:
        assert same(pair, "CONFIG", "SET", "maxmemory-clients", "") == b"+OK\r\n"
        # no small byte counts: Redis would start evicting the test's own client
        for value in (b"10%", b"100%", b"0%", b"1gb", b"2GB", b"18446744073709551615", b"0",
                      b"9223372036854775807", b"101%", b"-1", b"-5%", b"1%%", b"%", b"5 %", b"abc",
                      b"1_000", b"\xff", b"yes no", b"+-1", b"0x10", b"9223372036854775808",
                      b"18446744073709551516", b"99999999999999999999%", b"7%", b"00"):
            same(pair, "CONFIG", "SET", "maxmemory-clients", value)
            same(pair, "CONFIG", "GET", "maxmemory-clients")
        assert same(pair, "CONFIG", "SET", "maxmemory-clients", "18446744073709551615") == b"+OK\r\n"
        assert same(pair, "CONFIG", "GET", "maxmemory-clients") == (
            b"*2\r\n$17\r\nmaxmemory-clients\r\n$2\r\n1%\r\n")
    finally:
        for c in pair:
            c("CONFIG", "SET", "maxmemory-clients", "0")


def test_maxclients_values(pair):
    """Item: maxclients is an unsigned int from 1; more than the open file limit allows is
    refused with the number that fits (the limit is raised first, as far as it goes)."""
    try:
        for value in (b"", b"abc", b"-5", b"1_000", b"\xff", b"yes no", b"1e3", b"+-1", b"0x10",
                      b"0", b"4294967296", b"-4294967295", b"2000000", b"4294967295", b"50000",
                      b"12", b"010"):
            same(pair, "CONFIG", "SET", "maxclients", value)
            same(pair, "CONFIG", "GET", "maxclients")
        assert same(pair, "CONFIG", "SET", "maxclients", "0") == (
            b"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
            b"argument must be between 1 and 4294967295 inclusive\r\n")
        assert same(pair, "CONFIG", "SET", "maxclients", "4294967295") == b"+OK\r\n"
    finally:
        for c in pair:
            c("CONFIG", "SET", "maxclients", "10000")
    assert same(pair, "CONFIG", "GET", "MAXCLIENTS") == b"*2\r\n$10\r\nMAXCLIENTS\r\n$5\r\n10000\r\n"


def _connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(cmd_bytes("PING"))
    got = b""
    while not got.endswith(b"\r\n"):
        chunk = s.recv(1024)
        if not chunk:
            break
        got += chunk
    return s, got


def test_maxclients_limits_and_grows(tmp_path_factory):
    """Item: CONFIG SET maxclients above the starting table grows it; the limit holds after."""
    servers = start_pair(tmp_path_factory, "--maxclients", "2")
    socks = []
    try:
        conns = [Conn(p.port) for p in servers]
        assert same(conns, "CONFIG", "GET", "maxclients") == b"*2\r\n$10\r\nmaxclients\r\n$1\r\n2\r\n"
        for p in servers:
            s, got = _connect(p.port)
            socks.append(s)
            assert got == b"+PONG\r\n"
            s, got = _connect(p.port)
            socks.append(s)
            assert got == MAXCLIENTS_REACHED
        assert same(conns, "CONFIG", "SET", "maxclients", "6") == b"+OK\r\n"
        for p in servers:
            for _ in range(4):
                s, got = _connect(p.port)
                socks.append(s)
                assert got == b"+PONG\r\n"
            s, got = _connect(p.port)
            socks.append(s)
            assert got == MAXCLIENTS_REACHED
        assert same(conns, "CONFIG", "SET", "maxclients", "1") == b"+OK\r\n"    # closes nobody
        assert same(conns, "PING") == b"+PONG\r\n"
        assert [c("CLIENT", "LIST").count(b"id=") for c in conns] == [6, 6]
    finally:
        for s in socks:
            s.close()
        for p in servers:
            p.stop()


def test_config_names_as_written(pair):
    """Item: CONFIG GET answers a plain name as written; CONFIG SET names what it refuses
    as written (name problems) or canonically (value problems)."""
    assert same(pair, "CONFIG", "GET", "MAXCLIENTS") == b"*2\r\n$10\r\nMAXCLIENTS\r\n$5\r\n10000\r\n"
    assert same(pair, "CONFIG", "SET", "aPpenDFIlenaME", "x") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'aPpenDFIlenaME') - "
        b"can't set immutable config\r\n")
    for name in (b"bind", b"requirePASS", b"MaxClients", b"MAXMEMORY-CLIENTS", b"Databases",
                 b"Save", b"HZ", b"Appendonly", b"appendFSYNC", b"Protected-Mode",
                 b"Latency-Tracking-Info-Percentiles", b"DBFILENAME", b"APPENDDIRNAME"):
        same(pair, "CONFIG", "GET", name)
        same(pair, "CONFIG", "GET", name, name.lower())
        if name not in (b"bind", b"requirePASS"):       # values these refuse
            same(pair, "CONFIG", "SET", name, b"\xff")


def test_percentiles_refuse_leading_space(pair):
    """Item: each percentile is string2d's: no white space before it, nothing after it."""
    bad = (b"-ERR CONFIG SET failed (possibly related to argument "
           b"'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles "
           b"parameters\r\n")
    try:
        for value in (b"\r", b"\t1", b"\n1", b"\x0b1", b"\x0c1", b" 1", b"1 ", b"1  2", b"1\r",
                      b"1\t", b"1\x00"):
            assert same(pair, "CONFIG", "SET", "latency-tracking-info-percentiles", value) == bad
        for value in (b"", b"1", b"0 100", b"1e1 5.5", b"99.999"):
            assert same(pair, "CONFIG", "SET", "latency-tracking-info-percentiles", value) == b"+OK\r\n"
            same(pair, "CONFIG", "GET", "latency-tracking-info-percentiles")
    finally:
        for c in pair:
            c("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")


def test_config_values_are_bytes(pair):
    """Item: CONFIG GET sends back the bytes CONFIG SET was given, not their UTF-8."""
    try:
        assert same(pair, "CONFIG", "SET", "requirepass", b"p\xcd") == b"+OK\r\n"
        assert same(pair, "CONFIG", "GET", "requirepass") == (
            b"*2\r\n$11\r\nrequirepass\r\n$2\r\np\xcd\r\n")
        same(pair, "CONFIG", "SET", "requirepass", b"\xc3\xa9\x00\xff")
        same(pair, "CONFIG", "GET", "requirepass")
    finally:
        for c in pair:
            c("CONFIG", "SET", "requirepass", "")


def test_command_line_values_are_bytes(tmp_path_factory):
    """Item: a password from the command line is its bytes: AUTH takes them, CONFIG GET
    sends them back."""
    pw = b"p\xcd\xc3\xa9"
    servers = start_pair(tmp_path_factory, "--requirepass", pw)
    try:
        conns = [Conn(p.port) for p in servers]
        assert same(conns, "AUTH", pw) == b"+OK\r\n"
        assert same(conns, "CONFIG", "GET", "requirepass") == (
            b"*2\r\n$11\r\nrequirepass\r\n$4\r\n" + pw + b"\r\n")
    finally:
        for p in servers:
            p.stop()


def _ping(port):
    s, got = _connect(port)
    s.close()
    return got


def _refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_config_set_port_and_bind_move_the_listener(tmp_path_factory):
    """Item: CONFIG SET port and bind listen anew (changeListenPort, changeBindAddr); what
    cannot be listened on is refused and the old listener comes back; connections stay."""
    servers = start_pair(tmp_path_factory)
    try:
        conns = [Conn(p.port) for p in servers]
        for value in (b"", b"abc", b"-5", b"65536", b"1_000", b"0x10", b"\xff"):
            same(conns, "CONFIG", "SET", "port", value)
        same(conns, "CONFIG", "SET", "bind", " ".join(["127.0.0.1"] * 17))
        ports = [free_port(), free_port()]
        assert [c("CONFIG", "SET", "port", str(p)) for c, p in zip(conns, ports)] == [b"+OK\r\n"] * 2
        for c, p, old in zip(conns, ports, servers):
            assert c("PING") == b"+PONG\r\n"                    # connections stay
            assert c("CONFIG", "GET", "port") == b"*2\r\n$4\r\nport\r\n$%d\r\n%d\r\n" % (
                len(str(p)), p)
            assert _ping(p) == b"+PONG\r\n"
            assert _refused(old.port)
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        busy = holder.getsockname()[1]
        assert same(conns, "CONFIG", "SET", "port", str(busy)) == (
            b"-ERR CONFIG SET failed (possibly related to argument 'port') - "
            b"Unable to listen on this port. Check server logs.\r\n")
        holder.close()
        for p in ports:
            assert _ping(p) == b"+PONG\r\n"               # back on the old port
        assert same(conns, "CONFIG", "SET", "bind", "10.255.255.1") == (
            b"-ERR CONFIG SET failed (possibly related to argument 'bind') - "
            b"Failed to bind to specified addresses.\r\n")
        assert same(conns, "CONFIG", "SET", "bind", "-10.255.255.1 127.0.0.1 -::1") == b"+OK\r\n"
        same(conns, "CONFIG", "GET", "bind")
        for p in ports:
            assert _ping(p) == b"+PONG\r\n"
        assert same(conns, "CONFIG", "SET", "bind", "") == b"+OK\r\n"     # listens nowhere
        assert all(_refused(p) for p in ports)
        assert same(conns, "CONFIG", "SET", "bind", "*") == b"+OK\r\n"
        assert same(conns, "CONFIG", "SET", "port", "0") == b"+OK\r\n"    # no TCP listener
        assert all(_refused(p) for p in ports)
        assert [c("CONFIG", "SET", "port", str(p)) for c, p in zip(conns, ports)] == [b"+OK\r\n"] * 2
        for p in ports:
            assert _ping(p) == b"+PONG\r\n"
    finally:
        for p in servers:
            p.stop()


def test_config_rewrite_without_a_config_file(pair):
    """Fuzzer finding: CONFIG REWRITE is known; there is never a config file to rewrite."""
    assert same(pair, "CONFIG", "REWRITE") == (
        b"-ERR The server is running without a config file\r\n")
    same(pair, "CONFIG", "rewrite", "x")


def test_the_largest_maxclients_on_the_command_line(tmp_path_factory):
    """Item: --maxclients 4294967295 (its open files wrap around, as in C) starts and serves;
    the table starts small and grows."""
    servers = start_pair(tmp_path_factory, "--maxclients", "4294967295")
    try:
        conns = [Conn(p.port) for p in servers]
        assert same(conns, "CONFIG", "GET", "maxclients") == (
            b"*2\r\n$10\r\nmaxclients\r\n$10\r\n4294967295\r\n")
        assert same(conns, "PING") == b"+PONG\r\n"
    finally:
        for p in servers:
            p.stop()


def test_the_largest_slowlog_threshold(pair):
    """Fuzzer finding: a slowlog-log-slower-than whose nanoseconds pass 2**63 is taken (it
    killed the server); nothing is that slow."""
    try:
        for value in (b"1242298561896380343", b"9223372036854775807"):
            assert same(pair, "CONFIG", "SET", "slowlog-log-slower-than", value) == b"+OK\r\n"
            same(pair, "CONFIG", "GET", "slowlog-log-slower-than")
            assert same(pair, "PING") == b"+PONG\r\n"
    finally:
        for c in pair:
            c("CONFIG", "SET", "slowlog-log-slower-than", "10000")


def test_save_reads_its_parts_as_c_strings(pair):
    """Fuzzer finding: a lone NUL is the empty save setting (strcasecmp with ""), and each
    part is strtoll'd up to its NUL, as setConfigSaveOption reads them."""
    try:
        for value in (b"\x00", b"10\x00x 5", b"\x00 1", b"10 \x00"):
            same(pair, "CONFIG", "SET", "save", value)
            same(pair, "CONFIG", "GET", "save")
        assert same(pair, "CONFIG", "SET", "save", b"\x00") == b"+OK\r\n"
        assert same(pair, "CONFIG", "GET", "save") == b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
    finally:
        for c in pair:
            c("CONFIG", "SET", "save", "")
