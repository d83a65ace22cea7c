"""bench: mako_numba measured against a real redis-server, on this machine.

Run through `./dev bench SUBCOMMAND` (= `python -m bench SUBCOMMAND`):
  all         the whole suite, one command: load cases (redis-benchmark and
              our own load generator), scale and memory, start-up; a CSV per
              part, a summary against the targets (markdown) and a PNG chart
              in bench/results/; --smoke, --quick (default) or --long
  throughput  only the load cases of `all`
  startup     launch to first PONG, cold (empty kernel cache) and warm
  growth      load N keys while timing PINGs: the worst stall of a growing table
  durability  SET with the append-only file on; persistence: SAVE/BGSAVE/load
  stats       what latency tracking and the dashboard's polling cost
  churn       memory and fragmentation after long overwrite/delete churn
  collections hashes and sets: throughput, big replies, SINTER, memory, stalls
  lists       lists, sorted sets and blocking pops: throughput, a BRPOP job
              queue, 10,000 blocked clients, bytes per element

Modules:
  profiles    what smoke, quick and long measure (the cases, runs, sizes)
  suite       the `all` command: runs the parts, writes the files
  throughput  the load part: preload, calibrate, alternate the servers
  runs        one measured run of one case (redis-benchmark or loadgen)
  loadgen     our load generator: many pipelined non-blocking connections
  wire        request bytes built in bulk, replies counted (Numba)
  scale       cost per request and bytes per key as keys grow
  growth      the PING prober (worst pause) and the `growth` command
  startup     launch to first PONG
  report      medians, spreads, ratios, CSV, markdown tables
  summary     the targets and their verdicts; the summary text
  chart       the PNG
  servers     start/stop mako_numba and redis-server; CPU and RSS from
              /proc; the pipelined key loader
  machine     load average and other processes' CPU during a run
  flood       hash flooding: crafted colliding keys vs random (`python -m bench.flood`)
  abuse       others' throughput beside slow and stuck clients (`python -m bench.abuse`)

Every server is stopped when a command ends, by error or Ctrl-C too, and dies
with the bench process if that is killed.  Servers listen on 127.0.0.1 only.
"""
