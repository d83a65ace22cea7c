"""`python -m bench throughput|startup|growth [options]` (see bench/README.md)."""
import argparse
import signal
import sys

from . import growth, startup, throughput

SUBCOMMANDS = {
    "throughput": (throughput, "redis-benchmark GET/SET against mako_numba and redis-server"),
    "startup": (startup, "time from launch to first PONG, cold and warm kernel cache"),
    "growth": (growth, "worst PING stall while loading many keys"),
}


def _terminate(signum, frame):
    # SIGTERM unwinds like Ctrl-C, so every `with` block stops its server.
    raise KeyboardInterrupt


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench",
                                description="mako_numba side by side with redis-server")
    sub = p.add_subparsers(dest="cmd", metavar="SUBCOMMAND")
    sub.required = True
    for name, (mod, help_) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=mod.__doc__.split("\n\n")[0])
        mod.add_arguments(sp)
    opts = p.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return SUBCOMMANDS[opts.cmd][0].main(opts)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    except RuntimeError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
