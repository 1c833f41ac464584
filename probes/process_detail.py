"""Everything the detail screen shows of one process, read from its ``/proc/PID`` files in one call.

Costly next to a table row (a dozen files, an ``fd`` walk, ``numa_maps``), so it is read only for the one
process on the detail screen. The environment is read only where the kernel lets perftop read it; it is
returned for display, never logged.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from perftop.probes.capabilities import capability_names, parse_effective_capabilities
from perftop.probes.cgroup_stats import CgroupReader
from perftop.probes.containers import process_container
from perftop.probes.detail_data import Descriptors, DetailReading, ProcessDetail, Scheduling, StatusDetail
from perftop.probes.fs import FS, read_bytes, read_text
from perftop.probes.kernel_numbers import U64_MAX, is_decimal
from perftop.probes.limits import parse_tuning_limits
from perftop.probes.numa import process_numa
from perftop.probes.processes import parse_cmdline, read_stat_of
from perftop.probes.rates import rate
from perftop.probes.sched_stats import parse_sched, parse_schedstat, run_delay_ms_per_s
from perftop.probes.snapshot import POLICY_NAMES

#: ``Seccomp:`` of ``status`` -> its mode's name.
SECCOMP_MODES = {"0": "disabled", "1": "strict", "2": "filter"}
#: Samples of run delay per second the detail screen keeps (its sparkline).
HISTORY_SAMPLES = 120
#: Seconds between two ``numa_maps`` reads of the process shown (the kernel walks its page tables).
NUMA_SECONDS = 5.0
#: Most descriptors counted in ``/proc/PID/fd``: a process with more shows this many and a ``+``.
MAX_FDS_COUNTED = 100_000


def _status_lines(text: str) -> dict[str, str]:
    lines: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            lines[key] = value.strip()
    return lines


def _count(value: str | None) -> int | None:
    return int(value) if value is not None and is_decimal(value) and int(value) <= U64_MAX else None


def parse_status_detail(text: str) -> StatusDetail:
    """The detail screen's lines of ``/proc/PID/status`` text."""
    lines = _status_lines(text)
    caps = parse_effective_capabilities(text)
    nnp = lines.get("NoNewPrivs")
    seccomp = lines.get("Seccomp")
    uids = lines.get("Uid", "").split()
    return StatusDetail(
        state=lines.get("State"),
        threads=_count(lines.get("Threads")),
        capabilities=None if caps is None else capability_names(caps),
        uid=_count(uids[1]) if len(uids) > 1 else None,
        cpus_allowed_list=lines.get("Cpus_allowed_list"),
        mems_allowed_list=lines.get("Mems_allowed_list"),
        voluntary_ctxt_switches=_count(lines.get("voluntary_ctxt_switches")),
        nonvoluntary_ctxt_switches=_count(lines.get("nonvoluntary_ctxt_switches")),
        seccomp=None if seccomp is None else SECCOMP_MODES.get(seccomp, seccomp),
        no_new_privs=None if nnp not in ("0", "1") else nnp == "1",
    )


def parse_io_counters(text: str) -> dict[str, int]:
    """Every ``key: number`` line of ``/proc/PID/io`` (``rchar``, ``wchar``, ``syscr``, ``syscw``,
    ``read_bytes``, ``write_bytes``, ``cancelled_write_bytes``)."""
    return {k: n for k, v in _status_lines(text).items() if (n := _count(v)) is not None}


def parse_environ(data: bytes) -> tuple[str, ...]:
    """``/proc/PID/environ``: its NUL-separated ``NAME=value`` entries, decoded leniently."""
    return tuple(e.decode("utf-8", "replace") for e in data.split(b"\0") if e)


def count_descriptors(fs: FS, pid: int, limit: int = MAX_FDS_COUNTED) -> Descriptors | None:
    """Count ``/proc/PID/fd`` entries and the sockets among them; ``None`` when it cannot be listed (gone,
    or another user's process without root)."""
    directory = fs.proc(pid, "fd")
    opened = sockets = 0
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if opened >= limit:
                    return Descriptors(opened, sockets, True)
                opened += 1
                try:
                    if os.readlink(entry.path).startswith("socket:"):
                        sockets += 1
                except OSError:
                    continue  # closed between the listing and the link
    except OSError:
        return None
    return Descriptors(opened, sockets, False)


def _signed(text: str | None) -> int | None:
    if text is None:
        return None
    value = text.strip()
    return int(value) if is_decimal(value.removeprefix("-")) and len(value) < 20 else None


def _flag(text: str | None) -> bool | None:
    value = None if text is None else text.strip()
    return None if value not in ("0", "1") else value == "1"


def read_process_detail(
    fs: FS, pid: int, start_time: int, cgroups: CgroupReader, *, numa: bool = True
) -> ProcessDetail:
    """Read the detail of process ``(pid, start_time)``; ``numa=False`` skips ``numa_maps`` (costly: the
    caller reads it less often)."""
    stat = read_stat_of(fs, pid, start_time)
    if stat is None:
        return ProcessDetail(pid, start_time, gone=True)
    status_text = read_text(fs.proc(pid, "status"))
    limits_text = read_text(fs.proc(pid, "limits"))
    schedstat_text = read_text(fs.proc(pid, "schedstat"))
    sched_text = read_text(fs.proc(pid, "sched"))
    io_text = read_text(fs.proc(pid, "io"))
    cmdline = read_bytes(fs.proc(pid, "cmdline"))
    environ = read_bytes(fs.proc(pid, "environ"))
    comm = read_text(fs.proc(pid, "comm"))
    setting = read_text(fs.proc("sys", "kernel", "sched_schedstats"))
    group = cgroups.read(pid)
    container = None if group is None or group.cgroups is None else process_container(group.cgroups)
    detail = ProcessDetail(
        pid=pid,
        start_time=start_time,
        gone=False,
        comm=None if comm is None else comm.rstrip("\n"),
        scheduling=Scheduling(
            ppid=stat.ppid,
            policy=None if stat.policy is None else POLICY_NAMES.get(stat.policy),
            rtprio=stat.rt_priority,
            nice=stat.nice,
            priority=stat.priority,
            processor=stat.processor,
        ),
        cmdline=None if cmdline is None else parse_cmdline(cmdline),
        environ=None if environ is None else parse_environ(environ),
        schedstat=None if schedstat_text is None else parse_schedstat(schedstat_text),
        sched=None if sched_text is None else parse_sched(sched_text),
        schedstats_enabled=_flag(setting),
        status=None if status_text is None else parse_status_detail(status_text),
        limits=None if limits_text is None else parse_tuning_limits(limits_text),
        oom_score=_signed(read_text(fs.proc(pid, "oom_score"))),
        oom_score_adj=_signed(read_text(fs.proc(pid, "oom_score_adj"))),
        io=None if io_text is None else parse_io_counters(io_text),
        numa=process_numa(fs, pid) if numa else None,
        descriptors=count_descriptors(fs, pid),
        cgroup=group,
        container=container,
    )
    # Read to the end: a process that exited meanwhile left a mix of its files and absences.
    if read_stat_of(fs, pid, start_time) is None:
        return ProcessDetail(pid, start_time, gone=True)
    return detail


class DetailSampler:
    """Reads the detail of one process again and again (the detail screen's, each sample while it is open):
    rates over the previous reading, a history of run delay per second, ``numa_maps`` every
    :data:`NUMA_SECONDS`. Once the process has gone, the last values are kept and marked gone.

    ``ionice(pid)`` gives its IO priority in words (a syscall: the caller's, since probes make none).
    """

    def __init__(
        self,
        fs: FS,
        pid: int,
        start_time: int,
        ionice: Callable[[int], str | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fs, self.pid, self.start_time = fs, pid, start_time
        self._ionice = ionice
        self._clock = clock
        self._cgroups = CgroupReader(fs)
        self._last: ProcessDetail | None = None
        self._last_time: float | None = None
        self._numa_time: float | None = None
        self._history: deque[float | None] = deque(maxlen=HISTORY_SAMPLES)
        self._reading: DetailReading | None = None

    def read(self) -> DetailReading:
        """Read the process once more (blocking: call it in a thread)."""
        previous = self._reading
        if previous is not None and previous.gone:
            return previous
        now = self._clock()
        if previous is not None and now == self._last_time:
            return previous  # no time has passed: a second read would have no rates
        numa_due = self._numa_time is None or now - self._numa_time >= NUMA_SECONDS
        detail = read_process_detail(self.fs, self.pid, self.start_time, self._cgroups, numa=numa_due)
        if detail.gone:
            last = self._last
            self._reading = DetailReading(last, True, None, tuple(self._history), None, None, None)
            return self._reading
        if numa_due:
            self._numa_time = now
        elif self._last is not None:
            detail = _with_numa(detail, self._last)
        last, elapsed = self._last, None if self._last_time is None else now - self._last_time
        delay = throttled = throttled_ms = None
        if last is not None and elapsed is not None:
            if last.schedstat is not None and detail.schedstat is not None:
                delay = run_delay_ms_per_s(last.schedstat, detail.schedstat, elapsed)
            before = None if last.cgroup is None else last.cgroup.cpu_stat
            after = None if detail.cgroup is None else detail.cgroup.cpu_stat
            if before is not None and after is not None:
                throttled = rate(before.nr_throttled, after.nr_throttled, elapsed)
                usec = rate(before.throttled_usec, after.throttled_usec, elapsed)
                throttled_ms = None if usec is None else usec / 1000
            self._history.append(delay)
        self._last, self._last_time = detail, now
        ionice = None if self._ionice is None else self._ionice(self.pid)
        history = tuple(self._history)
        self._reading = DetailReading(detail, False, delay, history, throttled, throttled_ms, ionice)
        return self._reading


def _with_numa(detail: ProcessDetail, last: ProcessDetail) -> ProcessDetail:
    return replace(detail, numa=last.numa)
