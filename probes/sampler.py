"""The sampler: runs every reader once, keeps the previous raw counters, and returns a Snapshot.

``Sampler.sample`` does blocking file IO: the App calls it from a thread worker, never on the event loop.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection

from probes.cpu import (
    StatCounters,
    cpu_snapshot,
    read_loadavg,
    read_pressure,
    read_stat,
    read_uptime,
    user_hz,
)
from probes.fs import FS, read_text
from probes.memory import memory_snapshot, read_meminfo
from probes.numa import NumaReading, numa_snapshot, read_numa
from probes.processes import ProcessScanner, RawProcess, process_infos, task_counts
from probes.snapshot import Snapshot


class Sampler:
    """Turns two reads of the kernel's counters into rates over a monotonic clock.

    ``status_pids`` names the processes whose ``/proc/PID/status`` is read this time (the rows on screen);
    ``None`` reads it for every process, as ``--json`` does.
    """

    def __init__(
        self,
        fs: FS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.fs = fs
        self._clock = clock
        self._wall_clock = wall_clock
        self._scanner = ProcessScanner(fs)
        self._user_hz = user_hz()
        self._page_size = os.sysconf("SC_PAGE_SIZE")
        self._prev_time: float | None = None
        self._prev_stat: StatCounters | None = None
        self._prev_procs: dict[int, RawProcess] | None = None
        self._prev_numa: NumaReading | None = None
        # Samples are taken from worker threads; two must never interleave their prev/cur bookkeeping.
        self._lock = threading.Lock()

    def sample(self, status_pids: Collection[int] | None = None) -> Snapshot:
        """Read everything once and return the rates since the previous call (None on the first)."""
        with self._lock:
            now = self._clock()
            elapsed = None if self._prev_time is None else now - self._prev_time
            stat = read_stat(self.fs)
            memory = memory_snapshot(read_meminfo(self.fs))
            procs = self._scanner.scan(status_pids)
            cpu = cpu_snapshot(
                self._prev_stat,
                stat,
                elapsed,
                self._user_hz,
                read_loadavg(self.fs),
                read_pressure(self.fs),
            )
            processes = process_infos(
                self._prev_procs, procs, elapsed, self._user_hz, self._page_size, memory.total_bytes
            )
            numa = read_numa(self.fs)
            numa_now = numa_snapshot(self._prev_numa, numa, elapsed)
            self._prev_time, self._prev_stat, self._prev_procs, self._prev_numa = now, stat, procs, numa
            hostname = read_text(self.fs.proc("sys", "kernel", "hostname"))
            return Snapshot(
                time=self._wall_clock(),
                interval=elapsed,
                hostname=hostname.strip() if hostname else None,
                uptime_seconds=read_uptime(self.fs),
                cpu=cpu,
                memory=memory,
                tasks=task_counts(procs),
                processes=processes,
                numa=numa_now,
            )


def check_procfs(fs: FS) -> str | None:
    """A one-line reason why ``fs`` is not a usable procfs root, or None when it is."""
    stat = read_stat(fs)
    if stat is None or stat.total is None:
        return f"{fs.procfs} is not a procfs root: it has no readable 'stat' file with a 'cpu ' line"
    return None
