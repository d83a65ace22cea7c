"""Others' throughput with and without slow and stuck clients.

    python -m bench.abuse [--seconds 3] [--runs 3] [--clients 10] [--pipeline 16] [--redis]

Starts a mako_numba (and with --redis a redis-server), then alternates two
conditions, each measured with bench.loadgen (`clients` connections, GET/SET
mix, pipelines of `pipeline`): "alone", and "abused", where at the same time
1,000 idle connections are open, one client has pipelined 200 GETs of a
100 KB value and never reads, and one sends a request one byte a second.
Prints requests per second for each run and the median ratio abused/alone.
"""
import argparse
import socket
import statistics
import threading
import time

from . import loadgen
from .servers import HOST, start_mako, start_redis


def _cmd(*args):
    args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Abusers:
    """1,000 idle connections, a non-reader with 20 MB of replies due, a one-byte-a-second sender."""

    def __init__(self, port):
        self.port = port
        self.socks = []
        self.stop = threading.Event()
        self.thread = None

    def __enter__(self):
        with socket.create_connection((HOST, self.port)) as s:
            s.sendall(_cmd("SET", "abuse:big", b"x" * 100_000))
            s.recv(100)
        self.socks = [socket.create_connection((HOST, self.port)) for _ in range(1000)]
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        stuck.connect((HOST, self.port))
        stuck.sendall(_cmd("GET", "abuse:big") * 200)
        self.socks.append(stuck)
        trickle = socket.create_connection((HOST, self.port))
        self.socks.append(trickle)

        def trickler():
            data = _cmd("SET", "abuse:trickled", "1") * 1000
            for b in data:
                if self.stop.wait(1.0):
                    return
                trickle.sendall(bytes([b]))
        self.thread = threading.Thread(target=trickler, daemon=True)
        self.thread.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()
        time.sleep(0.5)                 # let the server close them before the next run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--pipeline", type=int, default=16)
    ap.add_argument("--redis", action="store_true", help="measure redis-server too")
    a = ap.parse_args(argv)
    servers = [start_mako()] + ([start_redis()] if a.redis else [])
    try:
        for server in servers:
            res = {"alone": [], "abused": []}
            for _ in range(a.runs):
                for cond in ("alone", "abused"):
                    run = lambda: loadgen.run(HOST, server.port, clients=a.clients, pipeline=a.pipeline,  # noqa: E731
                                              seconds=a.seconds, keyspace=10_000)
                    if cond == "abused":
                        with Abusers(server.port):
                            r = run()
                    else:
                        r = run()
                    res[cond].append(r["ops_per_sec"])
            for cond, v in res.items():
                print("%-6s %-7s %s req/s (median %.0f)" % (server.name, cond, ", ".join("%.0f" % x for x in v),
                                                          statistics.median(v)))
            print("%-6s abused/alone: %.2f" % (server.name, statistics.median(res["abused"])
                                                / statistics.median(res["alone"])))
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
