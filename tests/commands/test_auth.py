"""Access control: requirepass, AUTH, HELLO ... AUTH, protected mode, rename-command.

Every test drives real servers over real sockets: mako_numba and a real
redis-server 7 started with the same options, and compares the bytes they
answer (client ids and times, which differ by nature, are blanked).
"""
import re
import socket
import subprocess
import time

import pytest
import redis

from mako_numba.commands import registry as commands
from mako_numba.protocol import errors
from mako_numba.engine.core import Core

from conftest import need_tool, start_mako, start_pair, start_redis
from drive import cmd_bytes as cmd, raw, roundtrip

PW = b"s3cret"


@pytest.fixture(scope="module")
def pw_pair(tmp_path_factory):
    """mako_numba and Redis, both with --requirepass."""
    m, r = start_pair(tmp_path_factory, "--requirepass", PW.decode())
    yield m, r
    m.stop()
    r.stop()


def blank(data):
    """Client ids (HELLO's map) and MONITOR times blanked."""
    data = re.sub(rb"(\$2\r\nid\r\n):\d+", rb"\1:ID", data)
    return data


def both(pair, data, **kw):
    """The replies of (mako, redis) to `data` on a fresh connection each."""
    return [blank(raw("127.0.0.1", p.port, data, **kw)[0]) for p in pair]


def same(pair, data, **kw):
    ours, theirs = both(pair, data, **kw)
    assert ours == theirs, data
    return ours


A = cmd("AUTH", PW)
NOAUTH = b"-NOAUTH Authentication required.\r\n"

UNAUTHENTICATED = [
    cmd("GET", "k"), cmd("SET", "a", "b"), cmd("PING"), b"PING\r\n", cmd("ECHO", "x"),
    cmd("INCRBYFLOAT", "x", "1"), cmd("MULTI"), cmd("EXEC"), cmd("DISCARD"), cmd("WATCH", "x"),
    cmd("UNWATCH"), cmd("COMMAND"), cmd("CLIENT", "ID"), cmd("CLIENT", "LIST", "x", "y"),
    cmd("INFO"), cmd("SELECT", "1"), cmd("CONFIG", "GET", "requirepass"), cmd("DBSIZE"),
    cmd("MONITOR"), cmd("SLOWLOG", "GET"),
    # checked before NOAUTH, as Redis does
    cmd("FOO"), cmd("GET"), cmd("CLIENT", "FOO"), cmd("CONFIG", "GET"), cmd("AUTH"),
    # no-auth commands
    cmd("QUIT"), cmd("RESET"),
]

AUTH_CASES = [
    cmd("AUTH", "a", "b", "c"), cmd("AUTH", "wrong"), A, cmd("AUTH", "default", PW),
    cmd("AUTH", "someone", "x"), cmd("AUTH", "someone", PW), cmd("AUTH", "default", "wrong"),
    cmd("auth", PW) + cmd("GET", "k"), cmd("AUTH", "bad") + cmd("GET", "k"),
    A + cmd("AUTH", "bad") + cmd("GET", "k"),               # a failed AUTH keeps the login
    A + cmd("RESET") + cmd("GET", "k"),                      # RESET logs out
    cmd("GET", "k") + cmd("PING") + A + cmd("GET", "k") + cmd("PING"),   # one batch, both paths
    b"GET k\r\nAUTH " + PW + b"\r\nGET k\r\n",
    A + cmd("MULTI") + cmd("AUTH", PW) + cmd("AUTH", "bad") + cmd("EXEC"),
    A + cmd("MULTI") + cmd("SET", "tx", "1") + cmd("EXEC") + cmd("GET", "tx"),
]

HELLO_CASES = [
    cmd("HELLO"), cmd("HELLO", "3"), cmd("HELLO", "2"), cmd("HELLO", "3", "SETNAME", "n"),
    cmd("HELLO", "3", "AUTH", "default", PW), cmd("HELLO", "2", "AUTH", "default", "bad"),
    cmd("HELLO", "2", "AUTH", "x", PW), cmd("HELLO", "4"), cmd("HELLO", "x"),
    cmd("HELLO", "3", "AUTH", "default"), cmd("HELLO", "AUTH", "default", PW),
    cmd("HELLO", "3", "AUTH", "default", PW) + cmd("GET", "k"),
    cmd("HELLO", "3", "AUTH", "default", PW, "FOO") + cmd("GET", "k"),     # logged in, then the error
    cmd("HELLO", "3", "SETNAME", "a b", "AUTH", "default", PW) + cmd("GET", "k"),
    cmd("HELLO", "2", "AUTH", "default", "bad", "SETNAME", "a b"),
    cmd("HELLO", "3", "AUTH", "default", "bad", "AUTH", "default", PW) + cmd("GET", "k"),
    cmd("HELLO", "2", "AUTH", "default", PW, "SETNAME", "nm") + cmd("CLIENT", "GETNAME"),
    A + cmd("HELLO", "3") + cmd("GET", "k"),
]


@pytest.mark.parametrize("data", UNAUTHENTICATED)
def test_unauthenticated_requests(pw_pair, data):
    same(pw_pair, data)


def test_noauth_text_and_no_auth_commands(pw_pair):
    assert raw("127.0.0.1", pw_pair[0].port, cmd("GET", "k"))[0] == NOAUTH
    flagged = {n for n in commands.NAMES
               if "no_auth" in commands.redis_metadata()["commands"][n]["flags"]}
    assert flagged == {"auth", "hello", "quit", "reset"}


@pytest.mark.parametrize("data", AUTH_CASES)
def test_auth(pw_pair, data):
    same(pw_pair, data)


@pytest.mark.parametrize("data", HELLO_CASES)
def test_hello(pw_pair, data):
    same(pw_pair, data)


def test_quit_closes_before_auth(pw_pair):
    for p in pw_pair:
        assert raw("127.0.0.1", p.port, cmd("QUIT"), expect_close=True) == (b"+OK\r\n", True)


def _stat_lines(port, section):
    text = raw("127.0.0.1", port, A + cmd("INFO", section))[0].split(b"\r\n", 2)[2]
    text = re.sub(rb"usec=\d+,usec_per_call=[\d.]+", b"usec", text)
    return sorted(line for line in text.decode().splitlines() if line.startswith(("cmdstat", "errorstat")))


def test_rejected_calls_and_errorstats(pw_pair):
    for p in pw_pair:
        raw("127.0.0.1", p.port, A + cmd("CONFIG", "RESETSTAT"))
    same(pw_pair, cmd("GET", "k") + cmd("SET", "k", "v") + cmd("MULTI") + cmd("EXEC") + cmd("INFO")
         + cmd("CLIENT", "LIST") + cmd("AUTH", "x") + cmd("AUTH", "u", "p") + cmd("AUTH")
         + cmd("HELLO", "3") + cmd("PING") + b"PING\r\n")
    for section in ("commandstats", "errorstats"):
        ours, theirs = (_stat_lines(p.port, section) for p in pw_pair)
        assert ours == theirs


def test_stats_count_noauth_like_redis(pw_pair):
    for p in pw_pair:
        raw("127.0.0.1", p.port, A + cmd("CONFIG", "RESETSTAT"))
        raw("127.0.0.1", p.port, cmd("GET", "k") + cmd("PING"))
    ours, theirs = (raw("127.0.0.1", p.port, A + cmd("INFO", "stats"))[0] for p in pw_pair)
    for field in (b"total_commands_processed", b"total_error_replies"):
        pick = [re.search(field + rb":(\d+)", t).group(1) for t in (ours, theirs)]
        assert pick[0] == pick[1], field


def test_sans_io_core_every_way_of_splitting():
    """The kernel's F_NOAUTH test, fed whole, byte by byte and in small chunks."""
    data = (cmd("GET", "k") + cmd("SET", "k", "v") + cmd("AUTH", PW) + cmd("SET", "k", "v")
            + cmd("GET", "k") + cmd("RESET") + cmd("GET", "k") + b"PING\r\n")
    want = (NOAUTH * 2 + b"+OK\r\n+OK\r\n$1\r\nv\r\n+RESET\r\n" + NOAUTH * 2)
    for chunks in (None, 1, 7):
        core = Core(maxclients=4, seed=1, settings={"requirepass": PW.decode()})
        slot = core.open()
        assert roundtrip(core, slot, data, chunks) == want
    core = Core(maxclients=4, seed=1)       # no password: nothing is refused
    assert roundtrip(core, core.open(), cmd("GET", "k")) == b"$-1\r\n"


# --- secrets stay out of MONITOR and SLOWLOG ---------------------------------------------------

SECRET_TRAFFIC = (cmd("AUTH", PW) + cmd("AUTH", "default", PW) + cmd("AUTH", "bad") + cmd("GET", "z")
                  + cmd("HELLO", "2", "AUTH", "default", PW)
                  + cmd("CONFIG", "SET", "requirepass", PW) + cmd("GET", "k"))


def _monitor_lines(port):
    m = socket.create_connection(("127.0.0.1", port))
    try:
        m.sendall(A + cmd("MONITOR"))
        time.sleep(0.2)
        m.recv(100)
        raw("127.0.0.1", port, SECRET_TRAFFIC)
        time.sleep(0.3)
        m.settimeout(1)
        data = m.recv(65536)
    finally:
        m.close()
    return [re.sub(r"^\+[\d.]+ \[0 127\.0\.0\.1:\d+\] ", "", line)
            for line in data.decode().splitlines()]


def test_monitor_redacts_passwords(pw_pair):
    ours, theirs = (_monitor_lines(p.port) for p in pw_pair)
    assert ours == theirs
    assert '"AUTH" "(redacted)" "(redacted)"' in ours and PW.decode() not in "".join(ours)


def test_slowlog_redacts_passwords(pw_pair):
    got = []
    for p in pw_pair:
        r = redis.Redis(port=p.port, password=PW.decode())
        r.config_set("slowlog-log-slower-than", 0)
        r.slowlog_reset()
        raw("127.0.0.1", p.port, SECRET_TRAFFIC)
        entries = r.execute_command("SLOWLOG", "GET", "100")
        r.config_set("slowlog-log-slower-than", 10000)
        got.append([e[3] for e in reversed(entries)][1:])     # after SLOWLOG RESET's own entry
        r.close()
    assert got[0] == got[1]
    assert [b"CONFIG", b"SET", b"requirepass", b"(redacted)"] in got[0]
    assert PW not in b"".join(a for e in got[0] for a in e)


def test_client_list_and_log_never_show_the_password(pw_pair):
    m = pw_pair[0]
    listing = raw("127.0.0.1", m.port, A + cmd("CLIENT", "LIST"))[0]
    assert b"cmd=client|list" in listing and PW not in listing
    assert PW.decode() not in m.log()


# --- clients -----------------------------------------------------------------------------------

def test_redis_py_with_password(pw_pair):
    for p in pw_pair:
        r = redis.Redis(port=p.port, password=PW.decode())
        assert r.set("py", "1") and r.get("py") == b"1"
        r3 = redis.Redis(port=p.port, username="default", password=PW.decode(), protocol=3)
        assert r3.get("py") == b"1"
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=p.port).get("py")
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=p.port, password="nope").get("py")
        for c in (r, r3):
            c.close()


def test_redis_cli_with_password(pw_pair):
    exe = need_tool("redis-cli")
    outs = []
    for p in pw_pair:
        ok = subprocess.run([exe, "-p", str(p.port), "-a", PW.decode(), "--no-auth-warning", "PING"],
                            capture_output=True, timeout=20)
        bad = subprocess.run([exe, "-p", str(p.port), "GET", "k"], capture_output=True, timeout=20)
        outs.append((ok.stdout, bad.stdout))
    assert outs[0] == outs[1]
    assert outs[0][0] == b"PONG\n" and outs[0][1].startswith(b"NOAUTH Authentication required.")


# --- no password: AUTH, CONFIG SET requirepass at run time ---------------------------------------

NOPASS_CASES = [
    cmd("AUTH", "x"), cmd("AUTH", "default", "x"), cmd("AUTH", "foo", "x"), cmd("AUTH", "a", "b", "c"),
    cmd("HELLO", "3", "AUTH", "default", "whatever"), cmd("HELLO", "2", "AUTH", "foo", "x"),
    cmd("GET", "k"), cmd("CONFIG", "GET", "requirepass"), cmd("CONFIG", "GET", "protected-mode"),
]


@pytest.mark.parametrize("data", NOPASS_CASES)
def test_without_a_password(mako, redis_ref, data):
    same((mako, redis_ref), data)


class Conn:
    """One long-lived connection; `say` sends and returns what came back."""
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))

    def say(self, data):
        self.s.sendall(data)
        self.s.settimeout(0.3)
        out = b""
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        return blank(out)


def _set_password_at_run_time(port):
    log = []
    old = Conn(port)                # connected before the password: stays logged in
    try:
        log.append(old.say(cmd("CONFIG", "SET", "requirepass", "pw2")))
        log.append(old.say(cmd("PING") + cmd("CONFIG", "GET", "requirepass")))
        new = Conn(port)
        log.append(new.say(cmd("PING") + cmd("AUTH", "pw2") + cmd("PING")))
        late = Conn(port)           # never authenticates
        log.append(late.say(cmd("GET", "k")))
        log.append(old.say(cmd("CONFIG", "SET", "requirepass", "")))
        log.append(late.say(cmd("GET", "k") + cmd("MULTI") + cmd("SET", "q", "1")))
        log.append(old.say(cmd("CONFIG", "SET", "requirepass", "pw3")))
        # inside MULTI again unauthenticated: kernel and slow-path commands, then EXEC
        log.append(late.say(cmd("GET", "k") + cmd("INFO") + cmd("EXEC") + cmd("GET", "k")))
        log.append(new.say(cmd("PING")))
        log.append(old.say(cmd("CONFIG", "SET", "requirepass", "")))
        for info in ("commandstats", "errorstats"):
            text = old.say(cmd("INFO", info))
            log.append(re.sub(rb"usec=\d+,usec_per_call=[\d.]+", b"usec", text.split(b"\r\n", 1)[1]))
    finally:
        old.say(cmd("CONFIG", "SET", "requirepass", ""))
    return log


def test_config_set_requirepass(mako, redis_ref):
    for p in (mako, redis_ref):
        raw("127.0.0.1", p.port, cmd("CONFIG", "RESETSTAT"))
    ours, theirs = (_set_password_at_run_time(p.port) for p in (mako, redis_ref))
    for a, b in zip(ours[:-2], theirs[:-2]):
        assert a == b

    def rows(text):                 # the commands this test ran, whatever order INFO lists them
        return sorted(t for t in text.split(b"\r\n") if t)
    assert rows(ours[-2]) == rows(theirs[-2]) and rows(ours[-1]) == rows(theirs[-1])


# --- protected mode ---------------------------------------------------------------------------------

def outside_address():
    """This machine's address that is not loopback (None if it has none)."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for a in out.split():
        if "." in a and not a.startswith("127."):
            return a
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            a = s.getsockname()[0]
            return None if a.startswith("127.") else a
    except OSError:
        return None


def test_protected_mode(tmp_path_factory):
    ip = outside_address()
    if ip is None:
        pytest.skip("no address but loopback")
    r = start_redis(tmp_path_factory, "--bind", "0.0.0.0")
    m = None
    try:
        m = start_mako(tmp_path_factory, "--save", "", "--bind", "0.0.0.0")

        def ids():
            """(CLIENT ID, total_connections_received) of a new loopback client, each server."""
            out = []
            for p in (m, r):
                t = raw("127.0.0.1", p.port, cmd("CLIENT", "ID") + cmd("INFO", "stats"))[0]
                out.append((int(t[1:t.index(b"\r")]),
                            int(re.search(rb"total_connections_received:(\d+)", t).group(1))))
            return out
        before = ids()
        # nothing sent: the refusal comes at once (unread input would make the close a reset)
        outside = [raw(ip, p.port, b"", expect_close=True) for p in (m, r)]
        assert outside[0] == outside[1] == (errors.reply(errors.DENIED_PROTECTED), True)
        # the refused one took a client id, but is not counted as a connection received
        assert [(a[0] - b[0], a[1] - b[1]) for a, b in zip(ids(), before)] == [(2, 1)] * 2
        inside = [raw("127.0.0.1", p.port, b"PING\r\n")[0] for p in (m, r)]
        assert inside == [b"+PONG\r\n"] * 2
        for p in (m, r):            # a password lifts it: NOAUTH instead
            raw("127.0.0.1", p.port, cmd("CONFIG", "SET", "requirepass", "x"))
        assert [raw(ip, p.port, b"PING\r\n")[0] for p in (m, r)] == [NOAUTH] * 2
        for p in (m, r):
            raw("127.0.0.1", p.port, cmd("AUTH", "x") + cmd("CONFIG", "SET", "requirepass", "")
                + cmd("CONFIG", "SET", "protected-mode", "no"))
        assert [raw(ip, p.port, b"PING\r\n")[0] for p in (m, r)] == [b"+PONG\r\n"] * 2
    finally:
        r.stop()
        if m is not None:
            m.stop()


def test_protected_mode_no_option(tmp_path_factory):
    ip = outside_address()
    if ip is None:
        pytest.skip("no address but loopback")
    m = start_mako(tmp_path_factory, "--save", "", "--bind", "0.0.0.0", "--protected-mode", "no")
    try:
        assert raw(ip, m.port, b"PING\r\n")[0] == b"+PONG\r\n"
        assert raw("127.0.0.1", m.port, cmd("CONFIG", "GET", "protected-mode"))[0] == \
            b"*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n"
    finally:
        m.stop()


# --- rename-command ---------------------------------------------------------------------------------

RENAMES = ("--rename-command", "config", "myconfig", "--rename-command", "FLUSHALL", "")

RENAME_CASES = [
    cmd("CONFIG", "GET", "maxmemory"), cmd("myconfig", "GET", "maxmemory"),
    cmd("MYCONFIG", "RESETSTAT") + cmd("myconfig"), cmd("myconfig", "foo"), cmd("FLUSHALL"),
    cmd("MULTI") + cmd("CONFIG", "GET", "x") + cmd("EXEC"),
    cmd("MULTI") + cmd("myconfig", "GET", "maxmemory") + cmd("EXEC"),
]


@pytest.fixture(scope="module")
def renamed_pair(tmp_path_factory):
    m, r = start_pair(tmp_path_factory, *RENAMES)
    yield m, r
    m.stop()
    r.stop()


@pytest.mark.parametrize("data", RENAME_CASES)
def test_rename_command(renamed_pair, data):
    same(renamed_pair, data)


def test_renamed_command_info_and_docs(renamed_pair):
    """Found by the new name, shown by the old; Redis lists subcommands in its dict's order."""
    meta = commands.redis_metadata()["commands"]
    ours, theirs = both(renamed_pair, cmd("COMMAND", "INFO", "config", "myconfig", "flushall", "get"))
    assert ours == (b"*4\r\n$-1\r\n" + meta["config"]["info_resp2"].encode() + b"$-1\r\n"
                    + meta["get"]["info_resp2"].encode())
    assert len(ours) == len(theirs) and theirs.startswith(b"*4\r\n$-1\r\n*10\r\n$6\r\nconfig\r\n")
    ours, theirs = both(renamed_pair, cmd("COMMAND", "DOCS", "myconfig", "config"))
    assert ours == b"*2\r\n$6\r\nconfig\r\n" + meta["config"]["docs_resp2"].encode()
    assert len(ours) == len(theirs) and theirs.startswith(b"*2\r\n$6\r\nconfig\r\n")


def test_renamed_command_in_listings(renamed_pair):
    m, r = renamed_pair
    listed = raw("127.0.0.1", m.port, cmd("COMMAND", "LIST"))[0]
    assert b"$6\r\nconfig\r\n" in listed and b"flushall" not in listed
    assert raw("127.0.0.1", m.port, cmd("COMMAND", "COUNT"))[0] == \
        b":%d\r\n" % (commands.NCOMMANDS - 1)
    for p in renamed_pair:
        raw("127.0.0.1", p.port, cmd("MYCONFIG", "RESETSTAT"))
        raw("127.0.0.1", p.port, cmd("myconfig") + cmd("myconfig", "GET", "port"))
    ours, theirs = (_stat_lines(p.port, "commandstats") for p in renamed_pair)
    assert [x for x in ours if "config" in x] == [x for x in theirs if "config" in x]


def test_bad_rename_is_one_line_and_exit_1(tmp_path_factory):
    for extra in (("nosuchcommand", "x"), ("get", "set")):
        with pytest.raises(RuntimeError, match="exited before ready"):
            start_mako(tmp_path_factory, "--rename-command", *extra)


def test_dashboard_with_a_password(pw_pair):
    """`python -m mako_numba top -a`'s poller against a password-protected mako_numba."""
    from dashdrive import frame
    from mako_numba.dashboard.infoclient import InfoClient
    from mako_numba.dashboard.model import Model
    from mako_numba.dashboard.top import Poller
    port = pw_pair[0].port

    def poll(**auth):
        model = Model(f"127.0.0.1:{port}")
        poller = Poller(InfoClient("127.0.0.1", port, **auth))
        poller.poll(model, 1000.0)
        poller.client.close()
        return frame(model)
    assert "authentication required (NOAUTH Authentication required.)" in poll()
    assert f"authentication failed at 127.0.0.1:{port}: WRONGPASS" in poll(password="wrong")
    text = poll(password=PW.decode())
    assert "authentication" not in text and "mako_numba" in text


# Redis redacts only what the command read as a secret (redactClientCommandArgument):
# AUTH with too many arguments is a syntax error before, a HELLO stops at its first bad option.
REDACT_EDGES = (cmd("AUTH", "a", "b", "c") + cmd("AUTH", "x", "y") + cmd("HELLO", "x", "AUTH", "default", PW)
                + cmd("HELLO", "2", "AUTH", "default", "bad", "AUTH", "default", PW)
                + cmd("HELLO", "2", "SETNAME", "a b", "AUTH", "default", PW)
                + cmd("HELLO", "2", "FOO", "AUTH", "default", PW) + cmd("HELLO", "2", "AUTH", "default")
                + cmd("HELLO", "2", "AUTH", "default", PW, "SETNAME", "auth"))


def _traffic_seen(port, traffic):
    """(MONITOR lines, SLOWLOG argument lists) that `traffic` leaves, times and peers cut."""
    r = redis.Redis(port=port, password=PW.decode())
    r.config_set("slowlog-log-slower-than", 0)
    r.slowlog_reset()
    m = socket.create_connection(("127.0.0.1", port))
    try:
        m.sendall(A + cmd("MONITOR"))
        time.sleep(0.2)
        m.recv(100)
        raw("127.0.0.1", port, traffic + cmd("ECHO", "end"))
        data = b""
        m.settimeout(5)
        while b'"ECHO" "end"' not in data:
            data += m.recv(65536)
    finally:
        m.close()
    entries = r.execute_command("SLOWLOG", "GET", "100")
    r.config_set("slowlog-log-slower-than", 10000)
    r.close()
    lines = [re.sub(r"^\+[\d.]+ \[0 127\.0\.0\.1:\d+\] ", "", line) for line in data.decode().splitlines()]
    return lines, [e[3] for e in reversed(entries)]


def test_redaction_follows_what_the_command_read(pw_pair):
    ours, theirs = (_traffic_seen(p.port, REDACT_EDGES) for p in pw_pair)
    assert ours == theirs
    lines = ours[0]
    assert '"AUTH" "a" "b" "c"' in lines
    assert '"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "AUTH" "default" "%s"' % PW.decode() in lines
    assert '"HELLO" "2" "SETNAME" "a b" "AUTH" "default" "%s"' % PW.decode() in lines
