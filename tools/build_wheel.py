"""Build a wheel that ships its kernels prepared: `./dev wheel [--out DIR]`.

    .venv/bin/python tools/build_wheel.py --out dist

A copy of the package is staged in a temporary directory, its kernels are
compiled there for a generic x86-64 CPU (NUMBA_CPU_NAME=generic, so they run
on any x86-64 machine; `./dev bench compile` and the closing notes give the
speed cost, which was within noise) into `mako_numba/_kernels/`, and the
wheel is built from that copy.  Installed, the package seeds the user's
kernel cache from `_kernels/` (base/cachekey.py), so its first start loads
instead of compiling.  The kernels are keyed by the sources and by the
Numba, NumPy and Python versions they were built with: installed next to
other versions, or on another CPU architecture, they are a cache miss and
compile as usual.  The source tree is not touched.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(out):
    stage = tempfile.mkdtemp(prefix="mako-wheel-")
    try:
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(os.path.join(ROOT, name), stage)
        shutil.copytree(os.path.join(ROOT, "mako_numba"), os.path.join(stage, "mako_numba"),
                        ignore=shutil.ignore_patterns("__pycache__", "_kernels"))
        kernels = os.path.join(stage, "mako_numba", "_kernels")
        env = dict(os.environ, NUMBA_CPU_NAME="generic", MAKO_NUMBA_CACHE_DIR=kernels, PYTHONPATH=stage)
        env.pop("NUMBA_CPU_FEATURES", None)
        subprocess.run([sys.executable, "-m", "mako_numba", "--compile-only"], cwd=stage, env=env,
                       check=True)
        files = sum(len(f) for _, _, f in os.walk(kernels))
        print(f"prepared kernels: {files} files in {len(os.listdir(kernels))} directories", flush=True)
        os.makedirs(out, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--no-build-isolation", "-w", os.path.abspath(out), stage], check=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    wheels = sorted(f for f in os.listdir(out) if f.endswith(".whl"))
    print("built " + ", ".join(os.path.join(out, w) for w in wheels))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="./dev wheel", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(ROOT, "dist"), help="where the wheel goes (dist/)")
    return build(p.parse_args(argv).out)


if __name__ == "__main__":
    sys.exit(main())
