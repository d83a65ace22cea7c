"""Slow and stuck clients do not stop the others from being served (over real sockets).

At the same time: a client that pipelines big replies and never reads them,
one that sends its request one byte a second, and 1,000 idle connections.
Meanwhile a well-behaved client runs its commands and gets every reply
right.  The assertions are functional, with generous waits, never timed;
`python -m bench.abuse` measures the others' throughput with and without
these clients.
"""
import socket
import threading
import time

from test_server_raw import bulk, cmd, connect, expect, roundtrip


def test_stuck_trickling_and_idle_clients_do_not_stop_others(mako):
    value = b"s" * 100_000
    with connect(mako) as setup:
        roundtrip(setup, cmd(b"SET", b"slowbig", value), b"+OK\r\n")
    idle = [socket.create_connection((mako.host, mako.port), timeout=30) for _ in range(1000)]
    stuck = connect(mako)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    trickle = connect(mako)
    trickled = {}

    def trickler():
        try:
            for b in cmd("SET", "trickled", "yes"):
                trickle.sendall(bytes([b]))
                time.sleep(1.0 if b == 10 else 0.05)       # one second at every line end
            trickled["reply"] = trickle.recv(100)
        except OSError as e:
            trickled["error"] = repr(e)

    try:
        stuck.sendall(cmd("GET", "slowbig") * 200)           # 20 MB of replies nobody reads
        t = threading.Thread(target=trickler)
        t.start()
        with connect(mako) as good:
            for i in range(300):
                roundtrip(good, cmd("SET", f"good:{i}", i) + cmd("GET", f"good:{i}"),
                          b"+OK\r\n" + bulk(str(i).encode()))
            t.join(120)
            assert not t.is_alive()
            assert trickled == {"reply": b"+OK\r\n"}
            roundtrip(good, cmd("GET", "trickled"), bulk(b"yes"))
            # the idle connections are all still open and answer
            for s in idle[::100]:
                roundtrip(s, b"PING\r\n", b"+PONG\r\n")
            roundtrip(good, cmd("DEL", *[f"good:{i}" for i in range(300)], "trickled"), b":301\r\n")
            # the stuck client still gets its replies in full once it reads
            want = bulk(value)
            for _ in range(200):
                expect(stuck, want)
            roundtrip(good, cmd("DEL", "slowbig"), b":1\r\n")
    finally:
        for s in idle + [stuck, trickle]:
            s.close()
