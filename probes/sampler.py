"""The sampler: runs every reader once, keeps the previous raw counters, and returns a Snapshot.

``Sampler.sample`` does blocking file IO: the App calls it from a thread of its own, never on the event loop.
"""

from __future__ import annotations

import os
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from types import EllipsisType

from perftop.probes.cgroup_stats import CgroupCache
from perftop.probes.cpu import (
    StatCounters,
    cpu_snapshot,
    read_loadavg,
    read_pressure,
    read_stat,
    read_uptime,
    user_hz,
)
from perftop.probes.disks import DiskCounters, DiskInfo, disk_rates, read_disks_info, read_diskstats
from perftop.probes.fs import FS, HeldFiles, read_parsed, read_text
from perftop.probes.interrupts import (
    InterruptCounters,
    IrqAffinity,
    IrqLines,
    SoftirqCounters,
    interrupts_snapshot,
    read_affinities,
    read_interrupts,
    read_softirqs,
)
from perftop.probes.kernel_numbers import is_decimal
from perftop.probes.memory import memory_snapshot, read_meminfo, read_meminfo_used, read_thp, read_vmstat
from perftop.probes.net import InterfaceCounters, NetReading, net_snapshot, read_net
from perftop.probes.numa import NodeList, NumaReading, cpu_nodes, numa_snapshot, process_numa, read_numa
from perftop.probes.processes import (
    ProcessScanner,
    RawProcess,
    SteadyRows,
    TaskScanner,
    parse_pid_io,
    parse_pid_stat,
    parse_pid_status,
    process_infos,
    task_counts,
    thread_infos,
)
from perftop.probes.run_delay import RunDelayCache, ThrottleCache
from perftop.probes.snapshot import (
    DiskStats,
    InterfaceStats,
    InterruptsSnapshot,
    NetSnapshot,
    ProcessInfo,
    ProcessNuma,
    Snapshot,
    ThreadInfo,
)

#: Seconds a process's ``numa_maps`` reading is reused before it is read again: to write that file the
#: kernel walks every page table of the process, and where its pages live changes slowly.
NUMA_MAPS_SECONDS = 5.0
#: Seconds between reads of each disk's queue settings (scheduler, rotational, ...): four sysfs files per
#: disk, a large part of a sample on a machine with many disks, for values that change only when an
#: administrator changes them.
DISK_INFO_SECONDS = 10.0
#: Seconds between reads of every IRQ's affinity files (two files an IRQ under /proc/irq), which change
#: only when someone (perftop, irqbalance, an administrator) changes them.
IRQ_AFFINITY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _NumaMapsEntry:
    """One cached ``numa_maps`` reading: whose it is (PID and start time), when it was read (the sampler's
    clock), and what it gave (``None``: gone or unreadable, kept so it is not retried every tick)."""

    start_time: int
    read_at: float
    placement: ProcessNuma | None


class Sampler:
    """Turns two reads of the kernel's counters into rates over a monotonic clock.

    ``status_pids`` names the processes whose ``/proc/PID/status`` is read this time (the rows on screen;
    ``ran`` adds those that ran since the last sample); ``None`` reads it for every process, as ``--json``
    does. ``io_pids`` does the same for ``/proc/PID/io`` (by default the same PIDs as ``status_pids``).
    ``numa_pids`` names the processes whose ``numa_maps`` gives ``remote_percent``, each read at most every
    :data:`NUMA_MAPS_SECONDS`.
    Every row gets ``node``, the NUMA node of its last CPU.

    The process scanner keeps procfs files open between samples, and so does the sampler for the system
    files it reads every time (``/proc/stat``, ``/proc/meminfo``, the NUMA nodes' files, ...: see
    :class:`~perftop.probes.fs.HeldFiles`) and for the disks' queue settings; :meth:`close` closes them. A
    file whose bytes did not change since the last sample is not parsed again, and rows and snapshots that
    nothing changed (an idle process, disk or network) are the objects of the last sample.

    ``owners``: uids that stand in for the owners of some process directories of a fixture tree (see
    :class:`~perftop.probes.processes.ProcessScanner`).
    """

    def __init__(
        self,
        fs: FS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        owners: Mapping[int, int] | None = None,
    ) -> None:
        self.fs = fs
        self._clock = clock
        self._wall_clock = wall_clock
        self._scanner = ProcessScanner(fs, owners=owners)
        self._files = HeldFiles()
        # The disks' queue settings: read every DISK_INFO_SECONDS, four sysfs files a disk, kept open.
        self._disk_files = HeldFiles()
        self._user_hz = user_hz()
        self._own_proc = fs.is_own_proc()
        self._page_size = os.sysconf("SC_PAGE_SIZE")
        self._prev_time: float | None = None
        self._prev_stat: StatCounters | None = None
        self._prev_procs: dict[int, RawProcess] | None = None
        self._prev_numa: NumaReading | None = None
        self._nodes = NodeList()
        self._prev_disks: dict[str, DiskCounters] | None = None
        self._disk_info: tuple[float, dict[str, DiskInfo]] | None = None
        #: The lines of the last ``/proc/diskstats`` parse and their counters (see ``parse_diskstats``).
        self._disk_lines: dict[str, DiskCounters] = {}
        #: The rows of the disks that did no IO over the last interval (see ``disk_rates``).
        self._idle_disk_rows: dict[str, tuple[DiskCounters, DiskInfo, DiskStats]] = {}
        self._prev_net: NetReading | None = None
        self._prev_vmstat: dict[str, int] | None = None
        #: The lines of the last ``/proc/net/dev`` parse and their counters (see ``parse_net_dev``).
        self._net_lines: dict[str, InterfaceCounters] = {}
        #: The rows of the interfaces that moved nothing over the last interval (see ``net_snapshot``).
        self._idle_net_rows: dict[str, tuple[InterfaceCounters, InterfaceStats]] = {}
        #: A reading of an idle network and the snapshot made from it twice (see ``_net_rates``).
        self._steady_net: tuple[NetReading, NetSnapshot] | None = None
        #: The rows of the last sample by PID, and its MemTotal: what ``reread`` updates.
        self._last_rows: dict[int, ProcessInfo] = {}
        #: Which of those rows are the rows of an idle process (see ``process_infos``).
        self._steady_rows = SteadyRows()
        self._mem_total: int | None = None
        #: CPU -> NUMA node, of the last sample.
        self._cpu_node: dict[int, int] = {}
        #: PID -> its last ``numa_maps`` reading; entries of gone processes are dropped each sample.
        self._numa_maps: dict[int, _NumaMapsEntry] = {}
        #: PIDs whose last rows carry OOM figures (see ``_with_oom``).
        self._oom_rows: set[int] = set()
        #: The last readings of /proc/interrupts and /proc/softirqs (``None``: not read by the last sample).
        self._prev_interrupts: tuple[InterruptCounters | None, SoftirqCounters | None] | None = None
        #: The lines of the last /proc/interrupts parse and their rows (see ``parse_interrupts``).
        self._irq_lines = IrqLines()
        #: When the IRQs' affinity files were last read, what they gave, and the settings epoch then.
        self._irq_affinities: tuple[float, dict[str, IrqAffinity], int] | None = None
        #: Bumped by :meth:`settings_changed`: cached settings of an older epoch are read again.
        self._settings_epoch = 0
        # Samples are taken from worker threads; two must never interleave their prev/cur bookkeeping.
        self._lock = threading.Lock()
        #: The cgroup path and container of the processes asked for (see ``sample``'s ``cgroup_pids``).
        self._cgroups = CgroupCache()
        #: The threads read by the last sample, by TID (``None``: that sample read none).
        self._prev_tasks: dict[int, RawProcess] | None = None
        #: The thread rows of the last sample by TID: what ``reread`` updates for a thread.
        self._last_thread_rows: dict[int, ThreadInfo] = {}
        self._tasks = TaskScanner(fs)
        #: TID -> the row ``process_infos`` made of the thread last time, and its thread row.
        self._thread_pairs: dict[int, tuple[ProcessInfo, ThreadInfo]] = {}
        self._task_steady = SteadyRows()
        #: RUN-DELAY/s and THROTTLED% of the processes asked for (``sample``'s ``sched_pids``,
        #: ``throttle_pids``).
        self._run_delays = RunDelayCache()
        self._throttles = ThrottleCache(self.fs)

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock the rates are taken over (a fixture's clock for a fixture tree)."""
        return self._clock

    def sample(
        self,
        status_pids: Collection[int] | None = None,
        *,
        io_pids: Collection[int] | EllipsisType | None = ...,
        sockets: bool = True,
        memory: bool = True,
        numa_pids: Collection[int] = (),
        oom_pids: Collection[int] | None = (),
        ran: bool = False,
        cgroup_pids: Collection[int] | None = (),
        interrupts: bool = True,
        threads: Collection[int] | None = (),
        thread_status: Collection[int] | None = None,
        sched_pids: Collection[int] | None = (),
        throttle_pids: Collection[int] | None = (),
    ) -> Snapshot:
        """Read everything once and return the rates since the previous call (None on the first).

        ``io_pids``: whose ``io`` is read (``None``: every process; the default ``...``: ``status_pids``).
        ``ran``: also read ``status`` and ``io`` of every process that ran since the last sample (see
        :meth:`~perftop.probes.processes.ProcessScanner.scan`).
        ``sockets=False`` skips the socket tables (``net.tcp_states`` and ``net.udp_sockets`` are None).
        ``memory=False`` reads of ``/proc/meminfo`` only what the header and the process table use, and of
        ``/proc/vmstat`` only the counters of the memory pane's histories (the other ``memory`` figures are
        None).
        ``numa_pids``: the processes that get ``remote_percent`` (the others keep ``None``).
        ``oom_pids``: the processes whose ``oom_score`` and ``oom_score_adj`` are read (``None``: every
        process; the others keep ``None``).
        ``cgroup_pids``: whose ``cgroup`` is read for ``cgroup`` and ``container`` (``None``: every process;
        by default none); a reading is kept for :data:`CGROUP_SECONDS` and shown for the process it was
        read for, asked for or not.
        ``sched_pids``: whose ``schedstat`` is read for ``run_delay_ms_per_s`` (``None``: every process; by
        default none). ``throttle_pids``: whose group's ``cpu.stat`` is read for ``throttled_percent`` (same;
        each group read once).
        ``interrupts=False`` skips ``/proc/interrupts``, ``/proc/softirqs`` and the IRQs' affinity
        (``interrupts`` is None; the first sample that reads them again has no rates).
        ``threads``: the processes whose threads are read (``/proc/PID/task``) into ``thread_rows``
        (``None``: every process; by default none, and nothing under ``task`` is opened). A thread's rates
        run from the last sample that read it (same TID and start time). ``thread_status``: the TIDs whose
        ``status`` is read (affinity, context switches; ``None``: every thread's).
        """
        with self._lock:
            fs, read = self.fs, self._files
            now = self._clock()
            elapsed = None if self._prev_time is None else now - self._prev_time
            stat = read_stat(fs, read)
            vmstat = read_vmstat(fs, read, every=memory)
            memory_now = memory_snapshot(
                read_meminfo(fs, read) if memory else read_meminfo_used(fs, read),
                full=memory,
                vmstat=vmstat,
                prev_vmstat=self._prev_vmstat,
                elapsed=elapsed,
                thp=read_thp(fs, read) if memory else (None, None),
            )
            forks = None if stat is None else stat.forks
            procs = self._scanner.scan(status_pids, io_pids, forks=forks, ran=ran)
            cpu = cpu_snapshot(
                self._prev_stat,
                stat,
                elapsed,
                self._user_hz,
                read_loadavg(fs, read),
                read_pressure(fs, read),
            )
            numa = read_numa(fs, read, self._nodes)
            numa_now = numa_snapshot(self._prev_numa, numa, elapsed)
            cpu_node = cpu_nodes(numa_now.nodes)
            processes = process_infos(
                self._prev_procs,
                procs,
                elapsed,
                self._user_hz,
                self._page_size,
                memory_now.total_bytes,
                cpu_node,
                self._placements(procs, numa_pids, now),
                self._last_rows,
                steady=self._steady_rows,
            )
            processes = self._cgroups.apply(fs, processes, cgroup_pids, now)
            processes = self._run_delays.apply(fs, processes, sched_pids, now)
            processes = self._throttles.apply(fs, processes, throttle_pids, now)
            disks = read_diskstats(fs, read, self._disk_lines)
            disks_info = self._disks_info(disks or {}, now)
            disks_now = disk_rates(self._prev_disks, disks, elapsed, disks_info, self._idle_disk_rows)
            net = read_net(fs, tables=sockets, read=read, lines=self._net_lines)
            net_now = self._net_rates(net, elapsed)
            thread_rows = self._threads(
                procs, threads, elapsed, memory_now.total_bytes, cpu_node, thread_status
            )
            irqs = self._interrupts(elapsed, now) if interrupts else None
            if not interrupts:
                self._prev_interrupts = self._irq_affinities = None
            self._prev_time, self._prev_stat, self._prev_procs = now, stat, procs
            self._prev_numa, self._prev_disks, self._prev_net = numa, disks, net
            self._prev_vmstat = vmstat
            processes = self._with_oom(processes, oom_pids)
            self._last_rows = {p.pid: p for p in processes}
            self._mem_total = memory_now.total_bytes
            self._cpu_node = cpu_node
            if self._own_proc:
                # What /proc/sys/kernel/hostname gives us (our UTS namespace's name), without a read.
                hostname: str | None = os.uname().nodename
            else:
                hostname = read_parsed(read, fs.proc("sys", "kernel", "hostname"), _hostname)
            uptime = read_uptime(fs, read)
            # Files no longer read (a node that went away) are closed.
            self._files.sweep()
            return Snapshot(
                time=self._wall_clock(),
                interval=elapsed,
                hostname=hostname,
                uptime_seconds=uptime,
                cpu=cpu,
                memory=memory_now,
                tasks=task_counts(procs),
                processes=processes,
                numa=numa_now,
                disks=disks_now,
                net=net_now,
                interrupts=irqs,
                thread_rows=thread_rows,
            )

    def _threads(
        self,
        procs: Mapping[int, RawProcess],
        pids: Collection[int] | None,
        elapsed: float | None,
        mem_total: int | None,
        cpu_node: Mapping[int, int],
        status_tids: Collection[int] | None,
    ) -> tuple[ThreadInfo, ...]:
        """The threads of ``pids`` (``None``: all) that are in ``procs``, with rates against the last
        sample's reading of each; ``status`` only for ``status_tids`` (``None``: all). Kernel threads and
        single-threaded processes have no task but their own: the main thread's row (made from the
        process's stat, no ``task`` read) stands for them."""
        if pids is not None and not pids:
            self._prev_tasks = None
            self._last_thread_rows = {}
            self._thread_pairs = {}
            self._tasks.forget()
            return ()
        cur: dict[int, RawProcess] = {}
        tgid_of: dict[int, int] = {}
        scanned: list[RawProcess] = []
        for pid in sorted(procs if pids is None else pids):
            raw = procs.get(pid)
            if raw is None:
                continue
            if raw.kernel_thread or raw.stat.num_threads <= 1:
                cur[pid] = replace(raw, cmdline=raw.stat.comm, io=None)
                tgid_of[pid] = pid
            else:
                scanned.append(raw)
        tasks, task_tgids = self._tasks.scan(scanned, status_tids)
        cur.update(tasks)
        tgid_of.update(task_tgids)
        prev = self._prev_tasks
        last_rows = {tid: pair[0] for tid, pair in self._thread_pairs.items()}
        rows = process_infos(
            prev,
            cur,
            elapsed,
            self._user_hz,
            self._page_size,
            mem_total,
            cpu_node,
            None,
            last_rows,
            steady=self._task_steady,
        )
        self._prev_tasks = cur
        threads = thread_infos(rows, tgid_of, self._thread_pairs)
        self._thread_pairs = {t.pid: (row, t) for row, t in zip(rows, threads, strict=True)}
        ordered = tuple(sorted(threads, key=_thread_order))
        self._last_thread_rows = {t.pid: t for t in ordered}
        return ordered

    def close(self) -> None:
        """Close the files the sampler and its process scanner hold open (idempotent; a later sample opens
        them again)."""
        with self._lock:
            self._scanner.close()
            self._files.close()
            self._disk_files.close()

    def _net_rates(self, net: NetReading, elapsed: float | None) -> NetSnapshot:
        """``net_snapshot`` against the last reading. When nothing changed (the held files gave the very
        parse of the last sample) every rate is 0 whatever the elapsed time, so the snapshot made the
        first time is returned again while that lasts."""
        prev = self._prev_net
        if prev is None or elapsed is None or elapsed <= 0 or not _same_net(prev, net):
            self._steady_net = None
            return net_snapshot(prev, net, elapsed, self._idle_net_rows)
        steady = self._steady_net
        if steady is not None and _same_net(steady[0], net):
            return steady[1]
        snapshot = net_snapshot(prev, net, elapsed, self._idle_net_rows)
        self._steady_net = (net, snapshot)
        return snapshot

    def _interrupts(self, elapsed: float | None, now: float) -> InterruptsSnapshot:
        """Both interrupt files against their last reading, with each IRQ's affinity (read again every
        IRQ_AFFINITY_SECONDS or when the IRQs change)."""
        counters = read_interrupts(self.fs, self._files, self._irq_lines)
        reading = (counters, read_softirqs(self.fs, self._files))
        cached = self._irq_affinities
        irqs = {r.irq for r in counters.rows if r.numbered} if counters is not None else set()
        epoch = self._settings_epoch
        if (
            cached is None
            or now - cached[0] >= IRQ_AFFINITY_SECONDS
            or cached[2] != epoch
            or not irqs <= cached[1].keys()
        ):
            cached = self._irq_affinities = (now, read_affinities(self.fs, counters), epoch)
        snapshot = interrupts_snapshot(self._prev_interrupts, reading, elapsed, cached[1])
        self._prev_interrupts = reading
        return snapshot

    def settings_changed(self) -> None:
        """A setting of the machine was changed (an IRQ's affinity): the next sample reads the settings it
        caches again, however recent. Safe to call from any thread, while a sample runs too."""
        self._settings_epoch += 1

    def _disks_info(self, disks: Mapping[str, DiskCounters], now: float) -> dict[str, DiskInfo]:
        """Each disk's queue settings, read again every DISK_INFO_SECONDS or when the disks change."""
        cached = self._disk_info
        if cached is None or cached[1].keys() != disks.keys() or now - cached[0] >= DISK_INFO_SECONDS:
            cached = self._disk_info = (now, read_disks_info(self.fs, disks, self._disk_files))
            # The files of disks gone since the last read are closed.
            self._disk_files.sweep()
        return cached[1]

    def _with_oom(
        self, processes: tuple[ProcessInfo, ...], oom_pids: Collection[int] | None
    ) -> tuple[ProcessInfo, ...]:
        """``processes`` with ``oom_score`` and ``oom_score_adj`` read for ``oom_pids`` (``None``: all), and
        cleared on rows that carried them from the last sample (an idle process's row is its last row)."""
        if oom_pids is not None and not oom_pids and not self._oom_rows:
            return processes
        rows = list(processes)
        filled: set[int] = set()
        wanted = range(len(rows)) if oom_pids is None else _indexes(rows, set(oom_pids) | self._oom_rows)
        for index in wanted:
            row = rows[index]
            score = adj = None
            if oom_pids is None or row.pid in oom_pids:
                score, adj = read_oom(self.fs, row.pid)
                filled.add(row.pid)
            if (score, adj) != (row.oom_score, row.oom_score_adj):
                rows[index] = replace(row, oom_score=score, oom_score_adj=adj)
        self._oom_rows = filled
        return tuple(rows)

    def reread(self, pids: Collection[int]) -> dict[int, ProcessInfo]:
        """Read ``stat`` and ``status`` of ``pids`` again now, as rows of the last sample (after an action).

        Every value comes from this read (nice, policy, RT priority, affinity, threads, counters, io); the
        rates stay those of the last sample, since a rate over the few milliseconds since would be noise,
        and the next sample's rates still run from the last sample's counters. ``node`` follows the CPU
        read now, and ``remote_percent`` (where the last sample had one) is recomputed for that node from
        the cached ``numa_maps`` reading. A PID the last sample did not show, whose start time changed
        since (a reused PID), or that is gone now, is left out.
        """
        with self._lock:
            out: dict[int, ProcessInfo] = {}
            for pid in pids:
                thread = self._last_thread_rows.get(pid)
                if thread is not None and pid not in self._last_rows:
                    fresh_thread = self._reread_thread(thread)
                    if fresh_thread is not None:
                        out[pid] = fresh_thread
                    continue
                before = self._last_rows.get(pid)
                text = read_text(self.fs.proc(pid, "stat"))
                if before is None or text is None:
                    continue
                try:
                    stat = parse_pid_stat(text)
                except ValueError:
                    continue
                if stat.start_time != before.start_time:
                    continue
                status_text = read_text(self.fs.proc(pid, "status"))
                status = None if status_text is None else parse_pid_status(status_text)
                io_text = read_text(self.fs.proc(pid, "io"))
                io = None if io_text is None else parse_pid_io(io_text)
                raw = RawProcess(
                    stat, status, before.uid, before.user, before.cmdline, before.kernel_thread, io
                )
                cached = self._numa_maps.get(pid)
                # REMOTE% only where the row had it: the placement is kept, the node may have changed.
                shown = before.remote_percent is not None and cached is not None
                (fresh,) = process_infos(
                    None,
                    {pid: raw},
                    None,
                    self._user_hz,
                    self._page_size,
                    self._mem_total,
                    self._cpu_node,
                    {pid: cached.placement} if shown and cached is not None else None,
                )
                if before.oom_score is not None or before.oom_score_adj is not None:
                    # The OOM columns are shown: the value just set (``o``) shows now.
                    score, adj = read_oom(self.fs, pid)
                    fresh = replace(fresh, oom_score=score, oom_score_adj=adj)
                out[pid] = replace(
                    fresh,
                    cpu_percent=before.cpu_percent,
                    voluntary_ctxt_switches_per_s=before.voluntary_ctxt_switches_per_s,
                    nonvoluntary_ctxt_switches_per_s=before.nonvoluntary_ctxt_switches_per_s,
                    io_read_bytes_per_s=before.io_read_bytes_per_s,
                    io_write_bytes_per_s=before.io_write_bytes_per_s,
                )
            return out

    def _reread_thread(self, before: ThreadInfo) -> ThreadInfo | None:
        """A thread row of the last sample read again now (see :meth:`reread`), or None when it is gone."""
        process = self._last_rows.get(before.tgid)
        if process is None:
            return None
        task = self.fs.proc(before.tgid, "task", before.pid)
        text = read_text(task + "/stat")
        try:
            stat = None if text is None else parse_pid_stat(text)
        except ValueError:
            stat = None
        if stat is None or stat.start_time != before.start_time:
            return None
        status_text = read_text(task + "/status")
        status = None if status_text is None else parse_pid_status(status_text)
        raw = RawProcess(stat, status, process.uid, process.user, stat.comm, False)
        rows = process_infos(
            None, {before.pid: raw}, None, self._user_hz, self._page_size, self._mem_total, self._cpu_node
        )
        (fresh,) = thread_infos(rows, {before.pid: before.tgid})
        return replace(
            fresh,
            cpu_percent=before.cpu_percent,
            voluntary_ctxt_switches_per_s=before.voluntary_ctxt_switches_per_s,
            nonvoluntary_ctxt_switches_per_s=before.nonvoluntary_ctxt_switches_per_s,
        )

    def _placements(
        self, procs: Mapping[int, RawProcess], numa_pids: Collection[int], now: float
    ) -> dict[int, ProcessNuma | None]:
        """The ``numa_maps`` reading of each of ``numa_pids`` that is still there: cached, or read again
        when its entry is :data:`NUMA_MAPS_SECONDS` old. Entries of gone processes and reused PIDs are
        dropped."""
        cache = {
            pid: entry
            for pid, entry in self._numa_maps.items()
            if (raw := procs.get(pid)) is not None and raw.stat.start_time == entry.start_time
        }
        out: dict[int, ProcessNuma | None] = {}
        for pid in numa_pids:
            raw = procs.get(pid)
            if raw is None:
                continue
            entry = cache.get(pid)
            if entry is None or now - entry.read_at >= NUMA_MAPS_SECONDS:
                entry = cache[pid] = _NumaMapsEntry(raw.stat.start_time, now, process_numa(self.fs, pid))
            out[pid] = entry.placement
        self._numa_maps = cache
        return out


def _same_net(a: NetReading, b: NetReading) -> bool:
    """True when two readings hold the same counters: the same parsed objects of the counter files (see
    :meth:`~perftop.probes.fs.HeldFiles.parsed`), and equal socket figures."""
    return (
        a.interfaces is b.interfaces
        and a.snmp is b.snmp
        and a.sockstat == b.sockstat
        and a.tcp_states == b.tcp_states
        and a.udp_sockets == b.udp_sockets
    )


def _indexes(rows: list[ProcessInfo], pids: Collection[int]) -> list[int]:
    """The indexes of ``pids`` in ``rows`` (in PID order, as ``process_infos`` makes them)."""
    out = []
    for pid in pids:
        index = bisect_left(rows, pid, key=_pid_of)
        if index < len(rows) and rows[index].pid == pid:
            out.append(index)
    return out


def _thread_order(row: ThreadInfo) -> tuple[int, int]:
    return row.tgid, row.pid


def _pid_of(row: ProcessInfo) -> int:
    return row.pid


def read_oom(fs: FS, pid: int) -> tuple[int | None, int | None]:
    """``/proc/PID/oom_score`` and ``oom_score_adj``, each ``None`` when missing, unreadable or garbled."""
    return _oom_number(read_text(fs.proc(pid, "oom_score"))), _oom_number(
        read_text(fs.proc(pid, "oom_score_adj"))
    )


def _oom_number(text: str | None) -> int | None:
    if text is None:
        return None
    value = text.strip()
    digits = value[1:] if value.startswith("-") else value
    # oom_score is 0..2000 and oom_score_adj -1000..1000 (oom_adj's -17..15 for old kernels' file aside).
    if not is_decimal(digits) or len(digits) > 5:
        return None
    return int(value)


def _hostname(text: str) -> str | None:
    return text.strip() if text else None


def check_procfs(fs: FS) -> str | None:
    """A one-line reason why ``fs`` is not a usable procfs root, or None when it is."""
    stat = read_stat(fs)
    if stat is None or stat.total is None:
        return f"{fs.procfs} is not a procfs root: it has no readable 'stat' file with a 'cpu ' line"
    return None
