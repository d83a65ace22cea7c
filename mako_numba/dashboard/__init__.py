"""The live dashboard: `python -m mako_numba top` and `python -m mako_numba --dashboard`.

Any Redis-compatible server (a real Redis too) is watched by polling `INFO
everything`; nothing here runs inside the server.  Layout, sans-IO first:

- infoparse.py: INFO text -> sections and fields.
- model.py: successive samples -> rates, ratios, a minute of history.
- widgets.py, panels.py, frame.py: `render(model, width, height)`, a pure
  function from the model and the screen size to a rich renderable.
- infoclient.py: the one socket (AUTH, INFO); top.py: the terminal loop and
  the `top` command line; launch.py: `--dashboard`, the server as a child.

This package sits outside the kernel cache's digest (jit.py hashes the
top-level modules only), so editing the dashboard never recompiles kernels.
"""
