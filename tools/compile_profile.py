"""Where the kernels' compile time goes: per entry kernel, and inside the batch kernel.

    MAKO_NUMBA_CACHE_DIR=$(mktemp -d) .venv/bin/python tools/compile_profile.py

Use an empty cache directory, or everything is loaded rather than compiled.
It runs the server's warm-up once (server/warmup.py) and prints:
- the wall time of each top-level compile (the entry kernels Python calls;
  internal kernels are compiled inside them and counted there);
- for `run_batch`, Numba's own split: type inference (which types and
  lowers every internal kernel it reaches, recursively), native lowering, and
  the time spent holding the LLVM lock (optimizing and emitting machine code
  for all modules).
The listener adds a little time of its own; the ready line's figure is the
one users see.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from numba.core import event  # noqa: E402


class _Timer(event.Listener):
    def __init__(self):
        self.stack, self.done = [], []

    def on_start(self, ev):
        self.stack.append((ev.data["dispatcher"].py_func.__qualname__, time.perf_counter()))

    def on_end(self, ev):
        name, t0 = self.stack.pop()
        self.done.append((name, time.perf_counter() - t0, len(self.stack)))


def main():
    timer = _Timer()
    event.register("numba:compile", timer)
    from mako_numba.engine import batch
    from mako_numba.server import warmup
    t0 = time.perf_counter()
    seconds, cached = warmup.warm_up()
    print("warm-up %.1f s (%s), %d kernel compiles" % (time.perf_counter() - t0,
          "loaded from cache" if cached else "compiled", len(timer.done)))
    top = sorted(((d, n) for n, d, depth in timer.done if depth == 0), reverse=True)
    for d, n in top:
        print("%8.2f s  %s" % (d, n))
    if batch.run_batch.signatures:
        md = batch.run_batch.get_metadata(batch.run_batch.signatures[0])
        print("run_batch: " + ", ".join("%s %.1f s" % (k, v) for k, v in md.get("timers", {}).items()))
        for pipe, stages in md.get("pipeline_times", {}).items():
            items = sorted(((t.init + t.run + t.finalize, name) for name, t in stages.items()), reverse=True)
            print("  %s pipeline: " % pipe + ", ".join("%s %.1f s" % (n, d) for d, n in items[:3]))


if __name__ == "__main__":
    main()
