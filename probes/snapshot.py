"""The frozen data a sample produces. Field names are the keys of the ``--json`` contract.

Widgets import only this module (and ``probes.cpulist``) from ``probes``. Every value that could not be
read is ``None``; nothing here is made up.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The CPU states of ``/proc/stat``, in the kernel's column order (guest time is already inside user).
CPU_STATES: tuple[str, ...] = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")

#: The ``cpu`` number of the aggregate ``cpu`` line (:attr:`CpuSnapshot.total`).
TOTAL_CPU = -1

#: ``/proc/PID/stat`` field 41 -> the policy name of the JSON contract.
POLICY_NAMES: dict[int, str] = {
    0: "SCHED_OTHER",
    1: "SCHED_FIFO",
    2: "SCHED_RR",
    3: "SCHED_BATCH",
    5: "SCHED_IDLE",
    6: "SCHED_DEADLINE",
}

#: Policy name -> the class column of ``ps -o cls``.
POLICY_CLASS: dict[str, str] = {
    "SCHED_OTHER": "TS",
    "SCHED_FIFO": "FF",
    "SCHED_RR": "RR",
    "SCHED_BATCH": "B",
    "SCHED_IDLE": "IDL",
    "SCHED_DEADLINE": "DLN",
}


@dataclass(frozen=True, slots=True)
class CpuSeconds:
    """Cumulative time a CPU spent in each state since boot, in seconds."""

    user: float
    nice: float
    system: float
    idle: float
    iowait: float
    irq: float
    softirq: float
    steal: float


@dataclass(frozen=True, slots=True)
class CpuUsage:
    """One CPU over the last interval: percent per state (``None`` when offline or without a baseline)."""

    cpu: int
    online: bool
    user: float | None
    nice: float | None
    system: float | None
    idle: float | None
    iowait: float | None
    irq: float | None
    softirq: float | None
    steal: float | None
    seconds: CpuSeconds | None

    @property
    def busy(self) -> float | None:
        """Percent not idle and not waiting for IO, or ``None`` when unknown."""
        if self.idle is None or self.iowait is None:
            return None
        return max(0.0, 100.0 - self.idle - self.iowait)


@dataclass(frozen=True, slots=True)
class Pressure:
    """One ``/proc/pressure/*`` file. ``full`` is ``None`` where the kernel has no full line (cpu, older)."""

    some_avg10: float | None
    some_total_us: int | None
    full_avg10: float | None
    full_total_us: int | None


@dataclass(frozen=True, slots=True)
class CpuSnapshot:
    """The ``cpu`` section: per-CPU usage, the ``sar -w`` and ``sar -q`` figures, and pressure."""

    per_cpu: tuple[CpuUsage, ...]
    total: CpuUsage | None
    context_switches: int | None
    context_switches_per_s: float | None
    interrupts: int | None
    interrupts_per_s: float | None
    forks: int | None
    forks_per_s: float | None
    procs_running: int | None
    procs_blocked: int | None
    loadavg: tuple[float, float, float] | None
    pressure: dict[str, Pressure] | None


@dataclass(frozen=True, slots=True)
class MemorySnapshot:
    """The ``memory`` section, from ``/proc/meminfo``, in bytes. ``used`` is as ``free`` computes it."""

    total_bytes: int | None
    free_bytes: int | None
    available_bytes: int | None
    used_bytes: int | None
    buffers_bytes: int | None
    cached_bytes: int | None
    shared_bytes: int | None
    swap_total_bytes: int | None
    swap_free_bytes: int | None
    swap_used_bytes: int | None


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """One process (thread group leader) as the table and ``--json`` show it.

    Fields read from ``/proc/PID/status`` (``user`` aside, which is cached) are ``None`` when that file was
    not read this tick (the TUI reads it only for rows on screen), missing or unreadable.
    """

    pid: int
    ppid: int | None
    user: str | None
    uid: int | None
    comm: str
    cmdline: str | None
    state: str
    policy: str | None
    rtprio: int | None
    nice: int | None
    priority: int | None
    processor: int | None
    affinity: tuple[int, ...] | None
    threads: int | None
    start_time: int
    cpu_percent: float | None
    cpu_time_seconds: float | None
    rss_bytes: int | None
    mem_percent: float | None
    voluntary_ctxt_switches: int | None
    nonvoluntary_ctxt_switches: int | None
    voluntary_ctxt_switches_per_s: float | None
    nonvoluntary_ctxt_switches_per_s: float | None
    kernel_thread: bool


@dataclass(frozen=True, slots=True)
class NumaNode:
    """One NUMA node over the last interval. Counters are pages since boot; rates are pages per second.

    ``cpus`` is empty for a node without CPUs (memory-only, CXL) and ``None`` when ``cpulist`` could not be
    read. Rates are ``None`` without a baseline or when the counter went backwards. ``miss_ratio`` is
    ``numa_miss / (numa_hit + numa_miss)`` over the interval, ``miss_ratio_since_boot`` the same of the
    totals; both ``None`` when unknown or when the node allocated nothing. ``hugepages_*`` are page counts.
    """

    node: int
    cpus: tuple[int, ...] | None
    mem_total_bytes: int | None
    mem_free_bytes: int | None
    mem_used_bytes: int | None
    numa_hit: int | None
    numa_hit_per_s: float | None
    numa_miss: int | None
    numa_miss_per_s: float | None
    numa_foreign: int | None
    numa_foreign_per_s: float | None
    interleave_hit: int | None
    interleave_hit_per_s: float | None
    local_node: int | None
    local_node_per_s: float | None
    other_node: int | None
    other_node_per_s: float | None
    miss_ratio: float | None
    miss_ratio_since_boot: float | None
    file_pages_bytes: int | None
    anon_pages_bytes: int | None
    hugepages_total: int | None
    hugepages_free: int | None


@dataclass(frozen=True, slots=True)
class NumaSnapshot:
    """The ``numa`` section.

    ``distances`` has one row per node, in the order of ``nodes``, each as the node's ``distance`` file
    wrote it (one column per online node); a row is ``None`` for a node without a readable ``distance``,
    and the whole matrix is ``None`` when no node has one. ``numa_balancing`` is the sysctl's value
    (0 off, 1 on, 2 memory tiering, 3 both), ``None`` when absent.
    """

    nodes: tuple[NumaNode, ...]
    distances: tuple[tuple[int, ...] | None, ...] | None
    numa_balancing: int | None


@dataclass(frozen=True, slots=True)
class ProcessNuma:
    """Where one process's memory lives: bytes per node from ``numa_maps``, and the nodes it may use.

    ``node_bytes`` maps node -> bytes, ordered by node, holding only nodes with pages of this process.
    ``mems_allowed`` is ``None`` when ``/proc/PID/status`` has no readable ``Mems_allowed_list``.
    """

    pid: int
    node_bytes: dict[int, int]
    total_bytes: int
    mems_allowed: tuple[int, ...] | None


@dataclass(frozen=True, slots=True)
class TaskCounts:
    """htop's Tasks line: processes, threads (all tasks), running and zombie, counted from the scan."""

    processes: int
    threads: int
    kernel_threads: int
    running: int
    sleeping: int
    zombie: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one sample produced. ``time`` is epoch seconds, ``interval`` the measured seconds since
    the previous sample (monotonic clock), ``None`` for a baseline-only first sample."""

    time: float
    interval: float | None
    hostname: str | None
    uptime_seconds: float | None
    cpu: CpuSnapshot
    memory: MemorySnapshot
    tasks: TaskCounts
    processes: tuple[ProcessInfo, ...]
    numa: NumaSnapshot
