"""The data of the process detail screen: plain frozen dataclasses with no reader, so that widgets may
render them (the readers are :mod:`perftop.probes.cgroup_stats` and :mod:`perftop.probes.process_detail`)."""

from __future__ import annotations

from dataclasses import dataclass

from perftop.probes.containers import Container, ProcessCgroups
from perftop.probes.sched_stats import SchedDebug, SchedStat
from perftop.probes.snapshot import Pressure, ProcessNuma

#: A limit written as ``max`` (v2), or v1's ``-1`` or page-rounded ``LONG_MAX``: none.
UNLIMITED = -1


@dataclass(frozen=True, slots=True)
class CpuStat:
    """``cpu.stat`` throttling: periods with a quota, periods throttled, microseconds throttled."""

    nr_periods: int | None
    nr_throttled: int | None
    throttled_usec: int | None


@dataclass(frozen=True, slots=True)
class CgroupStats:
    """The figures of a process's group. ``files`` maps each figure's name (``cpu_quota``, ``cpu_weight``,
        ``cpuset_cpus``, ``cpuset_mems``, ``memory_max``, ``memory_high``, ``memory_current``, ``cpu_stat``,
        ``rt_runtime``, ``cpu_pressure``...) to the file it was read from (under ``/sys`` as the machine names
    it, also for a fixture tree), so the screen and the tuning errors
        can name it. Limits are :data:`UNLIMITED` when there is none; a value is ``None`` when its file is
        absent (a kernel or controller without it)."""

    path: str | None
    cgroups: ProcessCgroups | None
    cpu_quota_us: int | None
    cpu_period_us: int | None
    #: v2 ``cpu.weight`` (1..10000, 100 by default) or v1 ``cpu.shares`` (1024 by default): see ``files``.
    cpu_weight: int | None
    cpuset_cpus: frozenset[int] | None
    cpuset_mems: frozenset[int] | None
    memory_max_bytes: int | None
    memory_high_bytes: int | None
    memory_current_bytes: int | None
    cpu_stat: CpuStat | None
    rt_runtime_us: int | None
    pressure: dict[str, Pressure]
    files: dict[str, str]

    @property
    def quota_cpus(self) -> float | None:
        """The CPU quota in CPUs (``cpu.max`` 50000 100000 is 0.5); ``None`` without a quota."""
        quota, period = self.cpu_quota_us, self.cpu_period_us
        if quota is None or quota == UNLIMITED or not period:
            return None
        return quota / period


@dataclass(frozen=True, slots=True)
class Limit:
    """One resource limit: soft and hard (``resource.RLIM_INFINITY``: unlimited; ``None``: malformed), and
    its unit as ``/proc/PID/limits`` writes it (``us``, ``bytes``, ``files`` or empty)."""

    soft: int | None
    hard: int | None
    unit: str


@dataclass(frozen=True, slots=True)
class Scheduling:
    """From ``/proc/PID/stat``: the parent, the policy (the JSON contract's name), RT priority, nice, the
    priority field as ``top`` shows it, and the CPU it last ran on."""

    ppid: int
    policy: str | None
    rtprio: int | None
    nice: int
    priority: int
    processor: int | None


@dataclass(frozen=True, slots=True)
class StatusDetail:
    """The lines of ``/proc/PID/status`` the detail screen shows (``None`` where absent or garbled)."""

    state: str | None
    threads: int | None
    capabilities: tuple[str, ...] | None
    #: The effective uid (second column of ``Uid:``).
    uid: int | None
    cpus_allowed_list: str | None
    mems_allowed_list: str | None
    voluntary_ctxt_switches: int | None
    nonvoluntary_ctxt_switches: int | None
    seccomp: str | None
    no_new_privs: bool | None


@dataclass(frozen=True, slots=True)
class Descriptors:
    """Open descriptors of a process and how many are sockets; ``more`` when counting stopped early."""

    open: int
    sockets: int
    more: bool


@dataclass(frozen=True, slots=True)
class ProcessDetail:
    """One reading of one process for the detail screen. ``gone``: the process exited (or its PID names
    another process now); then every other field is ``None``."""

    pid: int
    start_time: int
    gone: bool
    comm: str | None = None
    scheduling: Scheduling | None = None
    cmdline: str | None = None
    #: ``None`` when unreadable (another user's process without root; a kernel thread's is empty).
    environ: tuple[str, ...] | None = None
    schedstat: SchedStat | None = None
    sched: SchedDebug | None = None
    #: ``kernel.sched_schedstats`` (0 or 1), ``None`` without the file.
    schedstats_enabled: bool | None = None
    status: StatusDetail | None = None
    limits: dict[str, Limit] | None = None
    oom_score: int | None = None
    oom_score_adj: int | None = None
    io: dict[str, int] | None = None
    numa: ProcessNuma | None = None
    descriptors: Descriptors | None = None
    cgroup: CgroupStats | None = None
    container: Container | None = None


@dataclass(frozen=True, slots=True)
class DetailReading:
    """What the detail screen draws: the latest reading of the process still there (``detail``), whether it
    has exited since (``gone``: the last values stay), rates over the previous reading, the history of run
    delay per second (oldest first) and the IO priority (``ionice``'s words, ``None`` when unknown)."""

    detail: ProcessDetail | None
    gone: bool
    run_delay_ms_per_s: float | None
    run_delay_history: tuple[float | None, ...]
    throttled_per_s: float | None
    throttled_ms_per_s: float | None
    ionice: str | None
