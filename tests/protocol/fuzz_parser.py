"""Coverage-guided fuzzing of the request parser with atheris (libFuzzer for Python).

atheris instruments Python bytecode and cannot see inside Numba's machine
code, so the fuzzing process runs the parser as Python: NUMBA_DISABLE_JIT=1
turns every kernel into its plain function (jit.py), and only the parser's
modules (mako_numba/protocol/parser.py, inline.py, parsebase.py) are instrumented.
Each input is turned into a request stream by fuzzkit.build (garbage,
valid, truncated or mutated RESP / inline / seed lines), fed in the chunks
fuzzkit.cuts_of picks, on tight buffers, and compared with the reference parser (tests/naive.py); a disagreement or an
exception is a crash, which libFuzzer saves as crash-<sha1>.

Then `--replay` feeds every input the fuzzer kept (its corpus directory)
and every crash file through the real jitted kernels, compared with the
reference again.  test_fuzz.py's test_coverage_guided runs both for a small
fixed number of runs.  A long run (from the repository root):

    mkdir -p /tmp/mako-corpus
    NUMBA_DISABLE_JIT=1 PYTHONPATH=.:tests:tests/protocol python tests/protocol/fuzz_parser.py /tmp/mako-corpus -max_total_time=3600
    PYTHONPATH=.:tests:tests/protocol python tests/protocol/fuzz_parser.py --replay /tmp/mako-corpus

(`--seed-corpus DIR` writes test_protocol.py's cases into DIR first.)
"""
import os
import sys

fuzzkit = None      # imported by main(), after atheris.Setup (see there)


def _load():
    global fuzzkit
    import fuzzkit as kit
    fuzzkit = kit


class _Reusable:
    """One parser reused for every input (a Core per input costs more than parsing it)."""

    def __init__(self):
        self.p = fuzzkit.TightParser()

    def run(self, data, cuts):
        p = self.p
        p.core.close(p.slot)
        p.slot = p.core.open()
        p.events, p.failed = [], False
        prev = 0
        for cut in sorted(set(cuts)) + [len(data)]:
            if prev < cut <= len(data):
                p.feed(data[prev:cut])
                prev = cut
        ref_events, consumed = fuzzkit.ref_parse(data)
        if p.events != ref_events or (not p.failed and p.buffered() != len(data) - consumed):
            raise AssertionError("parser and reference disagree on %r cut at %r:\n  kernel %r\n  ref    %r"
                                 % (data, cuts, p.events, ref_events))


def one_input(raw, runner):
    data = fuzzkit.build(raw)
    runner.run(data, fuzzkit.cuts_of(raw, len(data)))


def seed_corpus(path):
    from test_protocol import CASES
    os.makedirs(path, exist_ok=True)
    for i, (data, _) in enumerate(CASES):
        with open(os.path.join(path, "seed-%02d" % i), "wb") as f:
            f.write(b"\x00" + data)             # mode 0: the bytes as they are


def replay(paths):
    """Every file in the given directories (or files), through the jitted kernels."""
    _load()
    n = 0
    runner = _Reusable()
    for path in paths:
        files = [os.path.join(path, f) for f in sorted(os.listdir(path))] if os.path.isdir(path) else [path]
        for name in files:
            with open(name, "rb") as f:
                raw = f.read()
            one_input(raw, runner)
            fuzzkit.check(raw)                  # the raw bytes as garbage too
            n += 1
    return n


def main(argv):
    if argv[1:2] == ["--replay"]:
        print("replayed %d inputs through the jitted kernels" % replay(argv[2:]))
        return
    if argv[1:2] == ["--seed-corpus"]:
        seed_corpus(argv[2])
        argv = argv[:1] + argv[2:]
    import atheris
    if not os.environ.get("NUMBA_DISABLE_JIT"):
        sys.exit("run with NUMBA_DISABLE_JIT=1: atheris cannot see inside jitted code")
    state = {}
    atheris.Setup(argv, lambda raw: one_input(raw, state["runner"]))
    # Numba (llvmlite's LLVM) imported before Setup leaves libFuzzer blind to
    # coverage, so the parser is imported now and instrumented function by function.
    _load()
    import types
    from mako_numba.protocol import inline
    from mako_numba.protocol import parsebase
    from mako_numba.protocol import parser as protocol
    for module in (parsebase, inline, protocol):
        for name, fn in list(vars(module).items()):
            if isinstance(fn, types.FunctionType) and fn.__module__ == module.__name__:
                setattr(module, name, atheris.instrument_func(fn))
    from test_protocol import KernelParser
    KernelParser.parse_conn = staticmethod(protocol.parse_conn)
    state["runner"] = _Reusable()
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
