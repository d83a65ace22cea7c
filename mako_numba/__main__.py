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

from mako_numba.config import params
from mako_numba.config import settings as config

LOGLEVELS = {"debug": logging.DEBUG, "verbose": logging.DEBUG, "notice": logging.INFO,
             "warning": logging.WARNING, "nothing": logging.CRITICAL + 10}


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"mako_numba: {message} (see --help)\n")
        sys.exit(1)


def _option_type(param):
    """argparse's type for a parameter: its check (params.py), then the value CONFIG GET shows."""
    def check(text):
        if param.check(text):
            raise ValueError(text)
        return param.shown(text)
    check.__name__ = param.kind
    return check


def _obuf_option(v):
    from mako_numba.server.netlimits import merge_obuf, parse_obuf
    problem = parse_obuf(v)
    if isinstance(problem, str):
        raise argparse.ArgumentTypeError(problem)
    return merge_obuf(None, v)


def _add_param(p, param):
    """One option per parameter, as redis-server's command line: --name value."""
    flag = "--" + param.name
    default_text = param.default or '""'
    helptext = f"{param.help} (default {default_text})"
    if param.name == "save":
        p.add_argument(flag, action="append", nargs="*", metavar="SECONDS CHANGES", help=helptext)
    elif param.name == "client-output-buffer-limit":
        p.add_argument(flag, type=_obuf_option, metavar="'normal HARD SOFT SECONDS'",
                       default=_obuf_option("normal 0 0 0"),
                       help=f"{param.help} (default normal 0 0 0: unlimited)")
    elif param.name == "loglevel":          # Redis 7.2's "nothing" too
        p.add_argument(flag, default=param.default, choices=sorted(LOGLEVELS), help=helptext)
    elif param.kind in ("bool", "enum"):
        choices = ("yes", "no") if param.kind == "bool" else param.choices
        p.add_argument(flag, default=param.default, type=str.lower, choices=choices, help=helptext)
    elif param.kind == "string" or param.name == "bind":
        p.add_argument(flag, default=param.default, help=helptext,
                       metavar="PASSWORD" if param.name == "requirepass" else None)
    else:
        p.add_argument(flag, *("--" + a for a in param.aliases), type=_option_type(param),
                       default=param.default, help=helptext)


def build_parser():
    p = _Parser(prog="python -m mako_numba",
                description="A Redis-compatible key-value server whose hot path is compiled with Numba.")
    for param in params.PARAMS:
        if param.cli:
            _add_param(p, param)
    p.add_argument("--rename-command", action="append", nargs=2, default=[],
                   metavar=("NAME", "NEWNAME"),
                   help='give command NAME the name NEWNAME ("" disables it); repeatable')
    p.add_argument("--dashboard", action="store_true",
                   help="serve, and show the live dashboard in this terminal (`python -m "
                        "mako_numba top --help` watches a running server)")
    p.add_argument("--compile-only", action="store_true",
                   help="prepare the kernels (compile what the cache lacks), then exit: for images and CI")
    p.add_argument("--version", action="version", version=f"mako_numba {config.VERSION} "
                   f"(Redis {config.REDIS_VERSION} compatible)")
    return p


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
        opts.save = params.REDIS_DEFAULT_SAVE
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
    from mako_numba.persistence.aofload import AofError
    from mako_numba.persistence.rdb import RdbError
    from mako_numba.server.loop import Server
    from mako_numba.server.maxclients import RESERVED_FDS, adjust_open_files
    from mako_numba.server.warmup import start_up, warm_up
    from mako_numba.server.compileprogress import CompileProgress

    log.info("mako_numba %s starting (Redis %s compatible), pid=%d",
             config.VERSION, config.REDIS_VERSION, os.getpid())
    progress = CompileProgress(log)
    t_start = time.perf_counter()
    background = None

    def all_ready():
        log.info("All kernels ready: %.2f s after the start", time.perf_counter() - t_start)
    try:
        if opts.compile_only:
            seconds, cached = warm_up(progress)
        else:
            seconds, cached, background = start_up(progress, all_ready)
    finally:
        progress.close()
    if opts.compile_only:
        log.info("Kernels %s in %.2f s; not serving (--compile-only)",
                 "loaded from cache" if cached else "compiled", seconds)
        return 0
    settings = {p.name: getattr(opts, p.name.replace("-", "_")) for p in params.PARAMS
                if p.cli and p.value is None and p.name != "port"}
    for name, value in settings.items():    # the argument's bytes, as CONFIG SET keeps them
        if isinstance(value, str) and name not in ("dir", "dbfilename", "appendfilename",
                                                   "appenddirname"):
            settings[name] = os.fsencode(value).decode("latin-1")
    opts.maxclients = int(opts.maxclients)
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
    core = Core(databases=int(opts.databases), maxclients=maxclients, settings=settings,
                renames=opts.rename_command,
                proto_max_bulk_len=int(opts.proto_max_bulk_len),
                client_query_buffer_limit=int(opts.client_query_buffer_limit),
                hash_max_listpack_entries=int(opts.hash_max_listpack_entries),
                hash_max_listpack_value=int(opts.hash_max_listpack_value),
                set_max_intset_entries=int(opts.set_max_intset_entries),
                zset_max_listpack_entries=int(opts.zset_max_listpack_entries),
                zset_max_listpack_value=int(opts.zset_max_listpack_value))
    core.compile_seconds = seconds
    core.background = background
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
        server = Server(core, opts.bind, int(opts.port))
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
    later = ""
    if core.background is not None:
        later = "; still compiling: %s (their commands wait for them)" % ", ".join(
            sorted(core.background.pending))
    log.info("Ready to accept connections tcp on %s:%d (mako_numba %s; kernels %s in %.2f s%s)",
             server.host, server.port, config.VERSION, how, seconds, later)
    sys.stdout.flush()
    server.serve_forever()
    log.info("mako_numba is now ready to exit, bye bye...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
