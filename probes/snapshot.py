"""The frozen data a sample produces. Field names are the keys of the ``--json`` contract.

Widgets import only this module (and ``perftop.probes.cpulist``) from ``probes``. Every value that could
not be read is ``None``; nothing here is made up.
"""

from __future__ import annotations

import re
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
    """The ``memory`` section, from ``/proc/meminfo`` (in bytes) and ``/proc/vmstat``. ``used`` is as
    ``free`` computes it. A figure not read this sample, or unknown, is ``None``."""

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
    #: The rest of ``/proc/meminfo`` and the THP settings: read only while the memory pane is shown and
    #: by ``--json`` (``None`` otherwise). ``hugepages_*`` are page counts, as the kernel writes them.
    swap_cached_bytes: int | None = None
    active_bytes: int | None = None
    inactive_bytes: int | None = None
    anon_bytes: int | None = None
    mapped_bytes: int | None = None
    slab_reclaimable_bytes: int | None = None
    slab_unreclaimable_bytes: int | None = None
    kernel_stack_bytes: int | None = None
    page_tables_bytes: int | None = None
    dirty_bytes: int | None = None
    writeback_bytes: int | None = None
    commit_limit_bytes: int | None = None
    committed_as_bytes: int | None = None
    anon_huge_pages_bytes: int | None = None
    hugepages_total: int | None = None
    hugepages_free: int | None = None
    hugepages_rsvd: int | None = None
    hugepages_surp: int | None = None
    hugepage_size_bytes: int | None = None
    hugetlb_bytes: int | None = None
    #: ``/sys/kernel/mm/transparent_hugepage/{enabled,defrag}``: the chosen mode (``madvise``).
    thp_enabled: str | None = None
    thp_defrag: str | None = None
    #: ``/proc/vmstat`` counters since boot (kernel units: ``pgpgin``/``pgpgout`` in KiB, the rest in pages
    #: or events) and their rates, the figures of ``sar -B`` and ``sar -W``. Those feeding the memory pane's
    #: histories (``pgmajfault``, ``pgscan_*``, ``pswpin``, ``pswpout``) are read every sample, the others
    #: with the rest of meminfo. A per-zone kernel's counters are summed over its zones.
    pgfault: int | None = None
    pgfault_per_s: float | None = None
    pgmajfault: int | None = None
    pgmajfault_per_s: float | None = None
    pgpgin: int | None = None
    pgpgin_per_s: float | None = None
    pgpgout: int | None = None
    pgpgout_per_s: float | None = None
    pswpin: int | None = None
    pswpin_per_s: float | None = None
    pswpout: int | None = None
    pswpout_per_s: float | None = None
    pgfree: int | None = None
    pgfree_per_s: float | None = None
    pgscan_kswapd: int | None = None
    pgscan_kswapd_per_s: float | None = None
    pgscan_direct: int | None = None
    pgscan_direct_per_s: float | None = None
    pgsteal_kswapd: int | None = None
    pgsteal_kswapd_per_s: float | None = None
    pgsteal_direct: int | None = None
    pgsteal_direct_per_s: float | None = None
    allocstall: int | None = None
    allocstall_per_s: float | None = None
    compact_stall: int | None = None
    compact_stall_per_s: float | None = None
    oom_kill: int | None = None
    oom_kill_per_s: float | None = None
    thp_fault_alloc: int | None = None
    thp_fault_alloc_per_s: float | None = None
    thp_fault_fallback: int | None = None
    thp_fault_fallback_per_s: float | None = None
    thp_collapse_alloc: int | None = None
    thp_collapse_alloc_per_s: float | None = None
    thp_collapse_alloc_failed: int | None = None
    thp_collapse_alloc_failed_per_s: float | None = None
    #: ``sar -B`` %vmeff: pages stolen per page scanned over the interval (``None`` when none was scanned).
    vmeff_percent: float | None = None

    @property
    def pgscan_per_s(self) -> float | None:
        """Pages scanned per second by kswapd and direct reclaim together, ``None`` when either is."""
        if self.pgscan_kswapd_per_s is None or self.pgscan_direct_per_s is None:
            return None
        return self.pgscan_kswapd_per_s + self.pgscan_direct_per_s

    @property
    def pswp_per_s(self) -> float | None:
        """Pages swapped in and out per second together, ``None`` when either is unknown."""
        if self.pswpin_per_s is None or self.pswpout_per_s is None:
            return None
        return self.pswpin_per_s + self.pswpout_per_s


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """One process (thread group leader) as the table and ``--json`` show it.

    Fields read from ``/proc/PID/status`` (``user`` aside, which is cached) are ``None`` when that file was
    not read this tick (the TUI reads it for the rows on screen and the processes that ran), missing or
    unreadable.
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
    #: ``/proc/PID/io`` ``read_bytes`` / ``write_bytes`` (storage IO), read with ``status``.
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None
    io_read_bytes_per_s: float | None = None
    io_write_bytes_per_s: float | None = None
    #: The NUMA node of ``processor`` (the node the process last ran on), from the nodes' ``cpulist``.
    node: int | None = None
    #: :meth:`ProcessNuma.remote_percent` for ``node``: filled only for the PIDs the caller asks for (the
    #: TUI: rows on screen while REMOTE% is shown), since ``numa_maps`` is costly; ``None`` otherwise.
    remote_percent: float | None = None
    #: ``/proc/PID/oom_score`` (the kernel's badness, 0-2000: the highest is killed first) and
    #: ``oom_score_adj`` (-1000..1000): filled only for the PIDs the caller asks for (the TUI: rows on
    #: screen while OOM_SCORE or OOM_ADJ is shown, every process while the table is sorted by one); ``None``
    #: otherwise and where unreadable.
    oom_score: int | None = None
    oom_score_adj: int | None = None
    #: The cgroup path that stands for the process (``ProcessCgroups.path``) and the container or systemd unit
    #: it names (``runtime:name``): read only for the PIDs the caller asks for (the TUI: rows on screen
    #: while CGROUP or CONTAINER is shown, every process while a filter is typed), cached per process.
    cgroup: str | None = None
    container: str | None = None
    #: Milliseconds a second spent waiting on a run queue (``schedstat``, atop's RDELAY) since the previous
    #: reading of the process, and the percent of its group's CFS periods that were throttled (``cpu.stat``
    #: ``nr_throttled / nr_periods``) since the previous reading of the group: read only for the PIDs the
    #: caller asks for (the TUI: rows on screen while RUN-DELAY/s or THROTTLED% is shown); ``None`` otherwise,
    #: on the first reading, and where unreadable (no quota: no ``nr_periods``).
    run_delay_ms_per_s: float | None = None
    throttled_percent: float | None = None


@dataclass(frozen=True, slots=True)
class ThreadInfo(ProcessInfo):
    """One thread of a process (``/proc/PID/task/TID``), as the thread view (``H``) and ``--json --threads``
    show it: ``pid`` is the thread's TID, ``tgid`` its process's PID, ``comm`` the thread's own name
    (``cmdline`` too, so the COMMAND column shows it). Scheduling fields, ``processor``, ``affinity``, the
    CPU and switch figures are the thread's own; ``ppid`` is ``tgid`` (the tree hangs a thread under its
    process), and ``user``, ``uid`` and ``threads`` are the process's.
    """

    tgid: int = 0


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

    def remote_percent(self, home_node: int | None) -> float | None:
        """Percent of the resident bytes on nodes other than ``home_node`` (the node it runs on).

        ``None`` when the node is unknown or the process has no resident pages.
        """
        if home_node is None or self.total_bytes <= 0:
            return None
        remote = sum(size for node, size in self.node_bytes.items() if node != home_node)
        return remote / self.total_bytes * 100.0


# Devices that exist on most machines whether used or not; all-zero ones are noise in the default view.
_VIRTUAL_DEVICE = re.compile(r"(loop|ram|zram)[0-9]+")


@dataclass(frozen=True, slots=True)
class DiskStats:
    """One block device as the IO pane and ``--json`` show it: the counters since boot (bytes and ms) and
    the ``iostat -x`` figures over the last interval.

    Rates are ``None`` without a baseline, when the device's counters went backwards (it was unregistered
    and registered again) and, for the fields an old kernel's layout lacks, always. Awaits, request sizes
    and merge percentages are ``0.0`` over an interval with no request of that kind, as ``iostat`` shows.
    ``scheduler`` is the active IO scheduler (``None`` for a device without one, such as zram);
    a partition shows its disk's queue settings.
    """

    name: str
    major: int
    minor: int
    reads_completed: int
    reads_merged: int | None
    read_bytes: int
    read_time_ms: int | None
    writes_completed: int
    writes_merged: int | None
    written_bytes: int
    write_time_ms: int | None
    in_flight: int | None
    io_time_ms: int | None
    weighted_io_time_ms: int | None
    discards_completed: int | None
    discards_merged: int | None
    discarded_bytes: int | None
    discard_time_ms: int | None
    flushes_completed: int | None
    flush_time_ms: int | None
    #: iostat r/s, w/s, rkB/s and wkB/s (here in bytes), rrqm/s, wrqm/s, %rrqm, %wrqm.
    r_per_s: float | None
    w_per_s: float | None
    read_bytes_per_s: float | None
    written_bytes_per_s: float | None
    rrqm_per_s: float | None
    wrqm_per_s: float | None
    rrqm_percent: float | None
    wrqm_percent: float | None
    #: iostat r_await, w_await (ms per request), rareq-sz and wareq-sz (here in bytes), aqu-sz, %util.
    r_await_ms: float | None
    w_await_ms: float | None
    r_areq_bytes: float | None
    w_areq_bytes: float | None
    aqu_sz: float | None
    util_percent: float | None
    #: iostat d/s, dkB/s (here in bytes), drqm/s, %drqm, d_await, dareq-sz, f/s, f_await.
    d_per_s: float | None
    discarded_bytes_per_s: float | None
    drqm_per_s: float | None
    drqm_percent: float | None
    d_await_ms: float | None
    d_areq_bytes: float | None
    f_per_s: float | None
    f_await_ms: float | None
    #: ``queue/`` settings from sysfs.
    scheduler: str | None
    schedulers: tuple[str, ...] | None
    rotational: bool | None
    read_ahead_kb: int | None
    nr_requests: int | None
    is_partition: bool

    @property
    def hidden_by_default(self) -> bool:
        """True for rows the IO pane hides until toggled: partitions, and loop/ram/zram devices that
        never did any IO."""
        if self.is_partition:
            return True
        if _VIRTUAL_DEVICE.fullmatch(self.name) is None:
            return False
        activity = (self.reads_completed, self.writes_completed, self.discards_completed, self.in_flight)
        return not any(activity)


@dataclass(frozen=True, slots=True)
class InterfaceStats:
    """One network interface: the ``/proc/net/dev`` counters since it was created, and their rates (the
    figures of ``sar -n DEV`` and ``sar -n EDEV``). A rate is ``None`` without a baseline or when its
    counter went backwards."""

    name: str
    rx_bytes: int
    rx_packets: int
    rx_errors: int
    rx_dropped: int
    rx_fifo: int
    rx_frame: int
    rx_compressed: int
    rx_multicast: int
    tx_bytes: int
    tx_packets: int
    tx_errors: int
    tx_dropped: int
    tx_fifo: int
    tx_collisions: int
    tx_carrier: int
    tx_compressed: int
    rx_bytes_per_s: float | None
    rx_packets_per_s: float | None
    rx_errors_per_s: float | None
    rx_dropped_per_s: float | None
    rx_fifo_per_s: float | None
    rx_frame_per_s: float | None
    rx_compressed_per_s: float | None
    rx_multicast_per_s: float | None
    tx_bytes_per_s: float | None
    tx_packets_per_s: float | None
    tx_errors_per_s: float | None
    tx_dropped_per_s: float | None
    tx_fifo_per_s: float | None
    tx_collisions_per_s: float | None
    tx_carrier_per_s: float | None
    tx_compressed_per_s: float | None


@dataclass(frozen=True, slots=True)
class Sockstat:
    """``/proc/net/sockstat`` and ``sockstat6``: the figures ``ss -s`` prints. ``None`` where a line or
    file is missing. ``*_mem_pages`` count pages; ``frag*_memory_bytes`` bytes."""

    sockets_used: int | None
    tcp_inuse: int | None
    tcp_orphan: int | None
    tcp_tw: int | None
    tcp_alloc: int | None
    tcp_mem_pages: int | None
    udp_inuse: int | None
    udp_mem_pages: int | None
    udplite_inuse: int | None
    raw_inuse: int | None
    frag_inuse: int | None
    frag_memory_bytes: int | None
    tcp6_inuse: int | None
    udp6_inuse: int | None
    udplite6_inuse: int | None
    raw6_inuse: int | None
    frag6_inuse: int | None
    frag6_memory_bytes: int | None


@dataclass(frozen=True, slots=True)
class NetSnapshot:
    """The ``net`` section: interfaces, the socket summary, TCP states and the ``/proc/net/snmp`` counters
    (``sar -n TCP,ETCP,UDP``) with their rates.

    ``tcp_states`` maps every name of :data:`TCP_STATES` to its count over ``tcp`` and ``tcp6`` (0 where
    none); it is ``None`` when neither file could be read. ``udp_sockets`` counts the entries of ``udp``
    and ``udp6``. ``tcp_curr_estab`` is a gauge (no rate).
    """

    interfaces: tuple[InterfaceStats, ...]
    sockstat: Sockstat | None
    tcp_states: dict[str, int] | None
    udp_sockets: int | None
    tcp_curr_estab: int | None
    tcp_active_opens: int | None
    tcp_active_opens_per_s: float | None
    tcp_passive_opens: int | None
    tcp_passive_opens_per_s: float | None
    tcp_attempt_fails: int | None
    tcp_attempt_fails_per_s: float | None
    tcp_estab_resets: int | None
    tcp_estab_resets_per_s: float | None
    tcp_in_segs: int | None
    tcp_in_segs_per_s: float | None
    tcp_out_segs: int | None
    tcp_out_segs_per_s: float | None
    tcp_retrans_segs: int | None
    tcp_retrans_segs_per_s: float | None
    tcp_in_errs: int | None
    tcp_in_errs_per_s: float | None
    tcp_out_rsts: int | None
    tcp_out_rsts_per_s: float | None
    udp_in_datagrams: int | None
    udp_in_datagrams_per_s: float | None
    udp_out_datagrams: int | None
    udp_out_datagrams_per_s: float | None
    udp_no_ports: int | None
    udp_no_ports_per_s: float | None
    udp_in_errors: int | None
    udp_in_errors_per_s: float | None
    udp_rcvbuf_errors: int | None
    udp_rcvbuf_errors_per_s: float | None
    udp_sndbuf_errors: int | None
    udp_sndbuf_errors_per_s: float | None


@dataclass(frozen=True, slots=True)
class SocketEntry:
    """One line of ``/proc/net/{tcp,tcp6,udp,udp6}``.

    Addresses are text (``127.0.0.1``, ``::1``, ``::ffff:10.0.0.5``). ``state`` is a :data:`TCP_STATES`
    name (UDP uses the same numbers: ``CLOSE`` unconnected, ``ESTABLISHED`` connected); for a listening
    TCP socket ``rx_queue`` is the accept queue and ``tx_queue`` is 0 (the backlog limit that
    ``ss -lnt`` shows comes over netlink, not from this file). ``inode`` 0 means the socket has no file
    any more (TIME_WAIT, a request socket).
    """

    protocol: str
    local_address: str
    local_port: int
    remote_address: str
    remote_port: int
    state: str
    tx_queue: int
    rx_queue: int
    uid: int
    inode: int


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
class IrqStats:
    """One row of ``/proc/interrupts`` over the last interval: an IRQ (``irq`` ``24``) or an architecture
    row (``LOC``, ``NMI``). ``counts`` are per CPU, in the order of :attr:`InterruptsSnapshot.cpus`, and
    ``None`` for a row of one machine-wide count (``ERR``, ``MIS``); ``counts_per_s`` their rates (each
    ``None`` without a baseline, for a CPU absent from it, or when the 32-bit count wrapped). ``total`` is
    the sum, ``total_per_s`` its rate (``None`` when any CPU's is). ``name`` is the handlers' names (an
    architecture row's description), ``chip`` the interrupt chip (``IO-APIC``, ``PCI-MSIX-0000:00:02.0``;
    ``None`` for an architecture row). The affinity lists are the CPUs of ``/proc/irq/N/smp_affinity_list``
    and ``effective_affinity_list``, ``None`` where not read (the TUI reads them only while the
    interrupts pane is shown), absent or unreadable."""

    irq: str
    name: str
    chip: str | None
    counts: tuple[int, ...] | None
    counts_per_s: tuple[float | None, ...] | None
    total: int
    total_per_s: float | None
    smp_affinity_list: tuple[int, ...] | None
    effective_affinity_list: tuple[int, ...] | None


@dataclass(frozen=True, slots=True)
class SoftirqStats:
    """One softirq type of ``/proc/softirqs`` (``NET_RX``, ``TIMER``): counts per CPU in the order of
    :attr:`InterruptsSnapshot.softirq_cpus`, their rates, the total and its rate."""

    name: str
    counts: tuple[int, ...]
    counts_per_s: tuple[float | None, ...]
    total: int
    total_per_s: float | None


@dataclass(frozen=True, slots=True)
class InterruptsSnapshot:
    """The ``interrupts`` section. ``cpus`` are the CPUs of ``/proc/interrupts``'s columns (the online
    ones), ``irqs`` its rows busiest first; ``softirq_cpus`` the CPUs of ``/proc/softirqs`` (every
    possible one), ``softirqs`` its rows in the kernel's order. ``None`` where a file could not be read."""

    cpus: tuple[int, ...] | None
    irqs: tuple[IrqStats, ...] | None
    softirq_cpus: tuple[int, ...] | None
    softirqs: tuple[SoftirqStats, ...] | None


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
    disks: tuple[DiskStats, ...]
    net: NetSnapshot
    #: ``/proc/interrupts`` and ``/proc/softirqs``; ``None`` when not sampled (the TUI reads them only while
    #: the interrupts pane is shown).
    interrupts: InterruptsSnapshot | None = None
    #: The threads of the processes the sampler was asked for (see ``Sampler.sample``'s ``threads``), the main
    #: one (TID = PID) included, by process then TID; empty when none were asked for.
    thread_rows: tuple[ThreadInfo, ...] = ()
