"""`python -m bench all|throughput|startup|compile|growth|persistence|durability|stats|churn|guarded|collections|lists|scripts [options]` (see bench/README.md)."""
import argparse
import functools
import signal
import sys

from . import (churn, collections, compile, durability, growth, guarded, lists, persistence, scripts,
               startup, statscost, suite)


def _help(mod):
    return mod.__doc__.split("\n\n")[0]


# name: (what it does, add_arguments, main)
SUBCOMMANDS = {
    "all": ("the whole suite: load cases, scale and memory, start-up; CSV, chart, summary",
            suite.add_arguments, suite.main),
    "throughput": ("only the load cases of the suite (all --parts load)",
                   functools.partial(suite.add_arguments, parts=("load",)), suite.main),
    "startup": (_help(startup), startup.add_arguments, startup.main),
    "compile": (_help(compile), compile.add_arguments, compile.main),
    "growth": (_help(growth), growth.add_arguments, growth.main),
    "durability": (_help(durability), durability.add_arguments, durability.main),
    "persistence": (_help(persistence), persistence.add_arguments, persistence.main),
    "stats": (_help(statscost), statscost.add_arguments, statscost.main),
    "churn": (_help(churn), churn.add_arguments, churn.main),
    "guarded": (_help(guarded), guarded.add_arguments, guarded.main),
    "collections": (_help(collections), collections.add_arguments, collections.main),
    "lists": (_help(lists), lists.add_arguments, lists.main),
    "scripts": (_help(scripts), scripts.add_arguments, scripts.main),
}


def _terminate(signum, frame):
    # SIGTERM unwinds like Ctrl-C, so every `with` block stops its server.
    raise KeyboardInterrupt


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench",
                                description="mako_numba side by side with redis-server")
    sub = p.add_subparsers(dest="cmd", metavar="SUBCOMMAND")
    sub.required = True
    for name, (help_, add_arguments, _) in SUBCOMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_, description=help_))
    opts = p.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return SUBCOMMANDS[opts.cmd][2](opts)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    except RuntimeError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
