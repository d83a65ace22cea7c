"""What else the machine is doing: load average and CPU time not ours.

A benchmark on a shared 2-core machine is only as good as its quiet.  Two
checks:
- `load_warning()`: before starting, the 1-minute load average; above
  LOAD_WARN runnable tasks something else is busy.
- `CpuWatch`: during a run, the machine's busy CPU seconds (/proc/stat)
  minus those of the processes we account for (the server under test and
  the benchmark client).  What remains was used by someone else while we
  measured; `other_share()` gives it as a fraction of one core.
"""
import os
import resource
import time

LOAD_WARN = 0.5          # runnable tasks (1-minute average) before we start
OTHER_WARN = 0.15        # share of one core used by others during a run
_TICK = os.sysconf("SC_CLK_TCK")


def ncpu():
    return os.cpu_count() or 1


def busy_seconds():
    """CPU seconds all cores spent on anything but idle and iowait, since boot."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    vals = [int(x) for x in fields]
    user, nice, system, idle, iowait, irq, softirq = vals[:7]
    steal = vals[7] if len(vals) > 7 else 0
    return (user + nice + system + irq + softirq + steal) / _TICK


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def self_cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def load_warning():
    """A warning line if the load average says other work is running, else None."""
    load1, load5, _ = os.getloadavg()
    if load1 > LOAD_WARN:
        return (f"warning: load average {load1:.2f} (1 min), {load5:.2f} (5 min) on "
                f"{ncpu()} cores: other processes are using CPU; numbers will be noisy")
    return None


class CpuWatch:
    """Measure the CPU others used between start() and stop().

    `ours` are callables returning CPU seconds of processes we account for;
    waited-for children (redis-benchmark) and this process are added too.
    """

    def __init__(self, *ours):
        self.ours = ours

    def _ours(self):
        return sum(f() for f in self.ours) + children_cpu() + self_cpu()

    def start(self):
        self.t0 = time.monotonic()
        self.busy0 = busy_seconds()
        self.ours0 = self._ours()
        return self

    def stop(self):
        self.wall = time.monotonic() - self.t0
        busy = busy_seconds() - self.busy0
        ours = self._ours() - self.ours0
        self.other = max(0.0, busy - ours)
        return self

    def other_share(self):
        """CPU used by others, as a fraction of one core over the run."""
        return self.other / self.wall if self.wall > 0 else 0.0
