"""bench: mako_numba measured against a real redis-server, on this machine.

Run through `./dev bench SUBCOMMAND` (= `python -m bench SUBCOMMAND`):
  throughput  redis-benchmark GET/SET at pipeline 1 and 16, both servers,
              alternating runs; medians, ratios, server CPU per request; a CSV
              in bench/results/
  startup     launch to first PONG, cold (empty kernel cache) and warm
  growth      load N keys while timing PINGs: the worst stall of a growing table

Modules:
  servers     start/stop mako_numba and redis-server; CPU and RSS from /proc;
              a pipelined key loader
  machine     load average and other processes' CPU during a run
  throughput, startup, growth   one subcommand each

Every server is stopped when a command ends, by error or Ctrl-C too, and dies
with the bench process if that is killed.  Servers listen on 127.0.0.1 only.
"""
