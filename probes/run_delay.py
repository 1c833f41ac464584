"""The RUN-DELAY/s and THROTTLED% columns: run-queue wait per second from ``/proc/PID/schedstat`` (atop's
RDELAY) and the share of its group's CFS periods that were throttled, from the group's ``cpu.stat``.

Both are read only for the processes the caller names (the TUI: the rows on screen while the column shows),
as the CGROUP column is. RUN-DELAY/s is a rate over the previous reading of the same process, by identity
``(pid, start_time)``; THROTTLED% is ``100 * Δnr_throttled / Δnr_periods`` over the previous reading of the
same group's ``cpu.stat`` (a group with a quota and no period elapsed was not throttled: 0), each group read
once a sample whatever number of its processes are on screen, its file found again after
:data:`~perftop.probes.cgroup_stats.CGROUP_SECONDS`.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import replace

from perftop.probes.cgroup_stats import CGROUP_SECONDS, CgroupReader, parse_cpu_stat
from perftop.probes.containers import parse_pid_cgroup
from perftop.probes.detail_data import CpuStat
from perftop.probes.fs import FS, read_text
from perftop.probes.sched_stats import SchedStat, parse_schedstat, run_delay_ms_per_s
from perftop.probes.snapshot import ProcessInfo


def throttled_percent(before: CpuStat, after: CpuStat) -> float | None:
    """Percent of the CFS periods between two readings of a group's ``cpu.stat`` in which it was throttled;
    0 when no period elapsed; ``None`` when a counter is unknown or went backwards (the group was made
    again)."""
    if None in (before.nr_periods, before.nr_throttled, after.nr_periods, after.nr_throttled):
        return None
    periods = after.nr_periods - before.nr_periods  # type: ignore[operator]
    throttled = after.nr_throttled - before.nr_throttled  # type: ignore[operator]
    if periods < 0 or throttled < 0 or throttled > periods:
        return None
    return 0.0 if periods == 0 else 100.0 * throttled / periods


class RunDelayCache:
    """RUN-DELAY/s of the processes asked for: each one's last ``schedstat`` reading by identity."""

    def __init__(self) -> None:
        #: PID -> (start_time, time read, reading).
        self._last: dict[int, tuple[int, float, SchedStat]] = {}

    def apply(
        self, fs: FS, rows: tuple[ProcessInfo, ...], pids: Collection[int] | None, now: float
    ) -> tuple[ProcessInfo, ...]:
        """``rows`` with ``run_delay_ms_per_s`` for ``pids`` (``None``: all) that have a previous reading."""
        if pids is not None and not pids and not self._last:
            return rows
        wanted = None if pids is None else set(pids)
        last: dict[int, tuple[int, float, SchedStat]] = {}
        out: list[ProcessInfo] = []
        changed = False
        for row in rows:
            value = None
            if wanted is None or row.pid in wanted:
                text = read_text(fs.proc(row.pid, "schedstat"))
                reading = None if text is None else parse_schedstat(text)
                if reading is not None:
                    previous = self._last.get(row.pid)
                    if previous is not None and previous[0] == row.start_time:
                        value = run_delay_ms_per_s(previous[2], reading, now - previous[1])
                    last[row.pid] = (row.start_time, now, reading)
            elif (kept := self._last.get(row.pid)) is not None and kept[0] == row.start_time:
                last[row.pid] = kept  # scrolled away: its next rate runs over the longer interval
            if value != row.run_delay_ms_per_s:
                row = replace(row, run_delay_ms_per_s=value)
                changed = True
            out.append(row)
        self._last = last
        return tuple(out) if changed else rows


class ThrottleCache:
    """THROTTLED% of the processes asked for: each one's ``cpu.stat`` file (found again after
    :data:`CGROUP_SECONDS`), and each file's last reading."""

    def __init__(self, fs: FS) -> None:
        self._reader = CgroupReader(fs)
        #: PID -> (start_time, time found, cpu.stat path or None).
        self._files: dict[int, tuple[int, float, str | None]] = {}
        #: cpu.stat path -> (reading, percent over the interval before it).
        self._stats: dict[str, tuple[CpuStat, float | None]] = {}

    def _cpu_stat_path(self, fs: FS, pid: int) -> str | None:
        """The ``cpu.stat`` of ``pid``'s group that counts throttling: v2 with the cpu controller, else v1's
        cpu controller."""
        text = read_text(fs.proc(pid, "cgroup"))
        cgroups = None if text is None else parse_pid_cgroup(text)
        if cgroups is None:
            return None
        v2_dir, v1_dirs = self._reader.directories(cgroups)
        for directory in (v2_dir, v1_dirs.get("cpu")):
            if directory is not None:
                path = os.path.join(directory, "cpu.stat")
                stat_text = read_text(path)
                if stat_text is not None and parse_cpu_stat(stat_text).nr_periods is not None:
                    return path
        return None

    def apply(
        self, fs: FS, rows: tuple[ProcessInfo, ...], pids: Collection[int] | None, now: float
    ) -> tuple[ProcessInfo, ...]:
        """``rows`` with ``throttled_percent`` for ``pids`` (``None``: all) whose group was read before."""
        if pids is not None and not pids and not self._files:
            return rows
        wanted = None if pids is None else set(pids)
        files: dict[int, tuple[int, float, str | None]] = {}
        stats: dict[str, tuple[CpuStat, float | None]] = {}
        out: list[ProcessInfo] = []
        changed = False
        for row in rows:
            value = None
            known = self._files.get(row.pid)
            if known is not None and known[0] != row.start_time:
                known = None
            if wanted is None or row.pid in wanted:
                if known is None or now - known[1] >= CGROUP_SECONDS:
                    known = (row.start_time, now, self._cpu_stat_path(fs, row.pid))
                path = known[2]
                if path is not None:
                    if path not in stats:
                        text = read_text(path)
                        if text is not None:
                            reading = parse_cpu_stat(text)
                            previous = self._stats.get(path)
                            percent = None if previous is None else throttled_percent(previous[0], reading)
                            stats[path] = (reading, percent)
                    if path in stats:
                        value = stats[path][1]
            if known is not None:
                files[row.pid] = known
            if value != row.throttled_percent:
                row = replace(row, throttled_percent=value)
                changed = True
            out.append(row)
        self._files = files
        # The groups of processes scrolled away keep their last reading (a ratio of counts: the next one
        # runs over the longer interval); a group no known process is in is dropped.
        paths = {f[2] for f in files.values() if f[2] is not None}
        self._stats = {
            p: stats[p] if p in stats else self._stats[p] for p in paths if p in stats or p in self._stats
        }
        return tuple(out) if changed else rows
