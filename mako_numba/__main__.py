"""`python -m mako_numba`: start the server.

Options use redis-server's names and syntax (`--port 6381 --bind 127.0.0.1
--loglevel verbose`).  A bad option or a port in use is one line on stderr and
exit status 1; Ctrl-C and SIGTERM stop the server cleanly with status 0.
"""
import argparse
import logging
import gc
import os
import signal
import sys
import time

from mako_numba.config import settings as config
from mako_numba.base.cnum import string2ll
from mako_numba.persistence.snapshots import REDIS_DEFAULT_SAVE

LOGLEVELS = {"debug": logging.DEBUG, "verbose": logging.DEBUG, "notice": logging.INFO,
             "warning": logging.WARNING, "nothing": logging.CRITICAL + 10}


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"mako_numba: {message} (see --help)\n")
        sys.exit(1)


def _int(text):
    """A redis.conf integer: string2ll's strict decimal."""
    v = string2ll(text)
    if v is None:
        raise ValueError(text)
    return v


def _positive(text):
    v = _int(text)
    if v <= 0:
        raise ValueError(text)
    return v


def _nonnegative(text):
    v = _int(text)
    if not 0 <= v < 2**31:
        raise ValueError(text)
    return v


def _memory(text):
    """A redis.conf memory value (100mb, 1gb, 4096): its bytes, as a string."""
    from mako_numba.commands.server.config import _memory_param, _normalise
    if _memory_param(text):
        raise ValueError(text)
    return _normalise("maxmemory", text)


def _buffer_size(text):
    """proto-max-bulk-len, client-query-buffer-limit: a memory value of at least 1mb, in bytes."""
    from mako_numba.commands.server.config import buffer_size_param, _normalise
    if buffer_size_param(text):
        raise ValueError(text)
    return int(_normalise("proto-max-bulk-len", text))


def _int_range(lo, hi):
    """An integer option within [lo, hi], kept as its decimal text."""
    def check(text):
        v = _int(text)
        if not lo <= v <= hi:
            raise ValueError(text)
        return str(v)
    check.__name__ = "integer %d-%d" % (lo, hi)
    return check


def _port(text):
    v = _int(text)
    if not 0 <= v <= 65535:
        raise ValueError(text)
    return v


def build_parser():
    p = _Parser(prog="python -m mako_numba",
                description="A Redis-compatible key-value server whose hot path is compiled with Numba.")
    p.add_argument("--port", type=_port, default=config.DEFAULT_PORT,
                   help=f"TCP port to listen on (default {config.DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--bind", default=config.DEFAULT_BIND,
                   help=f"address to listen on (default {config.DEFAULT_BIND})")
    p.add_argument("--loglevel", default="notice", choices=sorted(LOGLEVELS),
                   help="debug, verbose, notice (default), warning or nothing")
    p.add_argument("--databases", type=_positive, default=config.DEFAULT_DATABASES,
                   help=f"number of databases (default {config.DEFAULT_DATABASES})")
    p.add_argument("--maxclients", type=_positive, default=config.DEFAULT_MAXCLIENTS,
                   help=f"most simultaneous clients (default {config.DEFAULT_MAXCLIENTS})")
    p.add_argument("--proto-max-bulk-len", type=_buffer_size, default=config.PROTO_MAX_BULK_LEN,
                   help="largest bulk string a client may send (default 512mb, at least 1mb)")
    p.add_argument("--client-query-buffer-limit", type=_buffer_size,
                   default=config.CLIENT_QUERY_BUFFER_LIMIT,
                   help="largest unfinished argument of one client (default 1gb, at least 1mb)")
    _limit_options(p)
    p.add_argument("--save", action="append", nargs="*", metavar="SECONDS CHANGES",
                   help='snapshot after SECONDS if at least CHANGES writes happened; pairs, '
                        'repeatable; --save "" disables snapshots (default "%s")' % REDIS_DEFAULT_SAVE)
    p.add_argument("--dir", default=".", help="directory of the RDB file (default: the current one)")
    p.add_argument("--dbfilename", default="dump.rdb", help="name of the RDB file (default dump.rdb)")
    p.add_argument("--rdbcompression", default="yes", choices=("yes", "no"),
                   help="LZF-compress long strings in snapshots (default yes)")
    p.add_argument("--rdbchecksum", default="yes", choices=("yes", "no"),
                   help="end snapshots with a CRC-64 checksum (default yes)")
    p.add_argument("--appendonly", default="no", choices=("yes", "no"),
                   help="log every write to the append-only file (default no)")
    p.add_argument("--appendfsync", default="everysec", choices=("always", "everysec", "no"),
                   help="fsync the append-only file after every batch, every second, or never "
                        "(default everysec)")
    p.add_argument("--appendfilename", default="appendonly.aof",
                   help="base name of the append-only files (default appendonly.aof)")
    p.add_argument("--appenddirname", default="appendonlydir",
                   help="directory of the append-only files, inside --dir (default appendonlydir)")
    p.add_argument("--requirepass", default="", metavar="PASSWORD",
                   help="password of the default user: clients must AUTH before other commands "
                        "(default: none)")
    p.add_argument("--protected-mode", default="yes", choices=("yes", "no"),
                   help="without a password, refuse clients that do not come from loopback "
                        "(default yes)")
    p.add_argument("--rename-command", action="append", nargs=2, default=[],
                   metavar=("NAME", "NEWNAME"),
                   help='give command NAME the name NEWNAME ("" disables it); repeatable')
    p.add_argument("--maxmemory", type=_memory, default="0",
                   help="memory limit in bytes or with a unit (100mb, 1gb); 0, the default: none")
    p.add_argument("--maxmemory-policy", default="noeviction", type=str.lower,
                   choices=("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                            "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
                   help="what goes when maxmemory is reached (default noeviction: writes fail)")
    p.add_argument("--maxmemory-samples", type=_int_range(1, 2**31 - 1), default="5",
                   help="keys sampled per eviction round (default 5)")
    p.add_argument("--maxmemory-eviction-tenacity", type=_int_range(0, 100), default="10",
                   help="how long one command may spend evicting: 0-100 (default 10: 500 us)")
    p.add_argument("--lfu-log-factor", type=_int_range(0, 2**31 - 1), default="10",
                   help="LFU counter's logarithm factor (default 10)")
    p.add_argument("--lfu-decay-time", type=_int_range(0, 2**31 - 1), default="1",
                   help="minutes for the LFU counter to decay by one (default 1; 0: never)")
    p.add_argument("--dashboard", action="store_true",
                   help="serve, and show the live dashboard in this terminal (`python -m "
                        "mako_numba top --help` watches a running server)")
    p.add_argument("--version", action="version", version=f"mako_numba {config.VERSION} "
                   f"(Redis {config.REDIS_VERSION} compatible)")
    return p


def _obuf_option(v):
    from mako_numba.server.netlimits import merge_obuf, parse_obuf
    problem = parse_obuf(v)
    if isinstance(problem, str):
        raise argparse.ArgumentTypeError(problem)
    return merge_obuf(None, v)


def _limit_options(p):
    """--timeout, --tcp-keepalive, --client-output-buffer-limit (netlimits.py)."""
    p.add_argument("--timeout", type=_nonnegative, default=0,
                   help="close a client idle for more than N seconds (default 0: never)")
    p.add_argument("--tcp-keepalive", type=_nonnegative, default=300,
                   help="TCP keepalive probes after N idle seconds (default 300, 0: off)")
    p.add_argument("--client-output-buffer-limit", type=_obuf_option, metavar="'normal HARD SOFT SECONDS'",
                   default=_obuf_option("normal 0 0 0"),
                   help="close a client whose unsent replies pass HARD bytes, or SOFT for SECONDS "
                        "(default normal 0 0 0: unlimited)")


class _RedisFormatter(logging.Formatter):
    """Redis's log line: `pid:M 25 Nov 2026 18:00:00.123 * message`."""
    MARKS = {logging.DEBUG: ".", logging.INFO: "*", logging.WARNING: "#", logging.ERROR: "#"}

    def format(self, record):
        t = time.localtime(record.created)
        stamp = time.strftime("%d %b %Y %H:%M:%S", t) + ".%03d" % record.msecs
        return f"{os.getpid()}:M {stamp} {self.MARKS.get(record.levelno, '#')} {record.getMessage()}"


class _Stop(Exception):
    """A signal arrived before the loop was running (during warm-up)."""


def _early_stop(signum, frame):
    raise _Stop(signum)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["top"]:                         # the dashboard of a running server
        from mako_numba.dashboard.top import main as top
        return top(argv[1:])
    if "--dashboard" in argv:                       # serve from a child, show its dashboard
        from mako_numba.dashboard.launch import main as dashboard
        return dashboard([a for a in argv if a != "--dashboard"])
    opts = build_parser().parse_args(argv)
    problem = _check_persistence(opts)
    if problem:
        sys.stderr.write(f"mako_numba: {problem}\n")
        return 1
    signal.signal(signal.SIGTERM, _early_stop)
    signal.signal(signal.SIGINT, _early_stop)
    try:
        return _serve(opts)
    except _Stop as e:
        logging.getLogger("mako_numba").info(
            "Received %s before serving; exiting", signal.Signals(e.args[0]).name)
        return 0


def _check_persistence(opts):
    """Normalise --save, --dir and --dbfilename as Redis reads them; a problem's text or None."""
    if opts.save is None:
        opts.save = REDIS_DEFAULT_SAVE
    else:
        words = " ".join(w for group in opts.save for w in group).split()
        if len(words) % 2 or not all(w.isdigit() for w in words):
            return "Invalid save parameters"
        opts.save = " ".join(words)
    if not os.path.isdir(opts.dir):
        return "Can't chdir to '%s': No such file or directory" % opts.dir
    opts.dir = os.path.abspath(opts.dir)
    if "/" in opts.dbfilename:
        return "dbfilename can't be a path, just a filename"
    if "/" in opts.appendfilename:
        return "appendfilename can't be a path, just a filename"
    if "/" in opts.appenddirname:
        return "appenddirname can't be a path, just a dirname"
    return _check_renames(opts)


def _check_renames(opts):
    """--rename-command pairs as {name: new name}, as redis.conf's rename-command reads them."""
    from mako_numba.commands.registry import INDEX
    renames = {}
    for old, new in opts.rename_command:
        old, new = old.lower(), new.lower()
        if old not in INDEX:
            return "No such command in rename-command"
        if new and (new in INDEX and new not in renames or new in renames.values()):
            return "Target command name already exists"
        renames[old] = new
    opts.rename_command = renames
    return None


def _serve(opts):
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_RedisFormatter())
    log = logging.getLogger("mako_numba")
    log.addHandler(handler)
    log.setLevel(LOGLEVELS[opts.loglevel])
    log.propagate = False

    from mako_numba.engine.core import Core
    from mako_numba.persistence.aof import AofError
    from mako_numba.persistence.snapshots import RdbError
    from mako_numba.server.loop import Server
    from mako_numba.server.maxclients import RESERVED_FDS, adjust_open_files
    from mako_numba.engine.warmup import warm_up

    log.info("mako_numba %s starting (Redis %s compatible), pid=%d",
             config.VERSION, config.REDIS_VERSION, os.getpid())
    seconds, cached = warm_up()
    settings = {"bind": opts.bind, "loglevel": opts.loglevel, "save": opts.save, "dir": opts.dir,
                "dbfilename": opts.dbfilename, "rdbcompression": opts.rdbcompression,
                "rdbchecksum": opts.rdbchecksum, "appendonly": opts.appendonly,
                "appendfsync": opts.appendfsync, "appendfilename": opts.appendfilename,
                "appenddirname": opts.appenddirname, "requirepass": opts.requirepass,
                "protected-mode": opts.protected_mode, "timeout": str(opts.timeout),
                "tcp-keepalive": str(opts.tcp_keepalive),
                "client-output-buffer-limit": opts.client_output_buffer_limit,
                "maxmemory": opts.maxmemory, "maxmemory-policy": opts.maxmemory_policy,
                "maxmemory-samples": opts.maxmemory_samples,
                "maxmemory-eviction-tenacity": opts.maxmemory_eviction_tenacity,
                "lfu-log-factor": opts.lfu_log_factor, "lfu-decay-time": opts.lfu_decay_time}
    for name, value in settings.items():    # the argument's bytes, as CONFIG SET keeps them
        if isinstance(value, str) and name not in ("dir", "dbfilename", "appendfilename",
                                                   "appenddirname"):
            settings[name] = os.fsencode(value).decode("latin-1")
    maxclients = adjust_open_files(opts.maxclients)
    if maxclients != opts.maxclients:
        if maxclients < 1:
            log.critical("Your current 'ulimit -n' is not enough for the server to start. "
                         "Exiting.")
            return 1
        log.warning("You requested maxclients of %d requiring at least %d max file descriptors.",
                    opts.maxclients, opts.maxclients + RESERVED_FDS)
        log.warning("Current maximum open files is %d. maxclients has been reduced to %d to "
                    "compensate for low ulimit. If you need higher maxclients increase "
                    "'ulimit -n'.", maxclients + RESERVED_FDS, maxclients)
    core = Core(databases=opts.databases, maxclients=maxclients, settings=settings,
                renames=opts.rename_command,
                proto_max_bulk_len=opts.proto_max_bulk_len,
                client_query_buffer_limit=opts.client_query_buffer_limit)
    core.compile_seconds = seconds
    try:
        if opts.appendonly == "yes":
            core.aof.load()                 # the AOF, not the RDB file, as Redis
        else:
            core.snapshots.load()
    except AofError as e:
        log.critical("%s. Exiting.", e)
        return 1
    except (RdbError, OSError) as e:
        log.critical("Fatal error loading the DB (%s): %s. Exiting.", core.snapshots.path, e)
        return 1
    try:
        server = Server(core, opts.bind, opts.port)
    except (OSError, OverflowError) as e:
        sys.stderr.write(f"Could not create server TCP listening socket {opts.bind}:{opts.port}: "
                         f"{e.strerror or e}\n")
        return 1
    server.install_signals()
    server.on_stop = lambda: log.info("Received signal, scheduling shutdown...")

    def on_shutdown():
        if core.admin.prepare_shutdown():
            return True
        log.warning("Signal received but errors trying to shut down the server, "
                    "check the logs for more information")
        return False
    server.on_shutdown = on_shutdown
    # The ~100,000 objects of the compiler and the kernels live as long as the
    # process: keep them out of garbage collection, so a full collection
    # (46 ms with them) never pauses every client.
    gc.collect()
    gc.freeze()
    how = "loaded from cache" if cached else "compiled"
    log.info("Ready to accept connections tcp on %s:%d (mako_numba %s; kernels %s in %.2f s)",
             server.host, server.port, config.VERSION, how, seconds)
    sys.stdout.flush()
    server.serve_forever()
    log.info("mako_numba is now ready to exit, bye bye...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
