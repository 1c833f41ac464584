"""What a process's control group allows it and how hard it presses: CPU quota, weight, cpuset, memory
limits, throttling and pressure, from cgroup v2 or the v1 controllers (hybrid hierarchies mix both).

Sources: ``/proc/PID/cgroup`` (the group in each hierarchy), ``/proc/self/mountinfo`` (where each
hierarchy is mounted; a mount point under ``/sys`` is read under ``fs.sysfs`` so a fixture tree stands in),
and the group's files: v2 ``cpu.max``, ``cpu.weight``, ``cpuset.cpus.effective``, ``cpuset.mems.effective``,
``memory.max``, ``memory.high``, ``memory.current``, ``cpu.stat``, ``*.pressure``; v1 ``cpu.cfs_quota_us`` and
``cpu.cfs_period_us``, ``cpu.shares``, ``cpu.rt_runtime_us``, ``cpuset.effective_cpus`` (``cpuset.cpus``),
``memory.limit_in_bytes``, ``memory.soft_limit_in_bytes``, ``memory.usage_in_bytes`` and ``cpu.stat``.
A v2 file is used where the v2 group has it (its controller enabled), else the v1 one; a file missing on
this kernel or controller gives ``None``.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, replace

from perftop.probes.cgroup import group_directory
from perftop.probes.containers import ProcessCgroups, parse_pid_cgroup, process_container
from perftop.probes.cpu import parse_pressure
from perftop.probes.cpulist import parse_cpu_list
from perftop.probes.detail_data import UNLIMITED, CgroupStats, CpuStat
from perftop.probes.fs import FS, read_text
from perftop.probes.kernel_numbers import U64_MAX, is_decimal
from perftop.probes.snapshot import Pressure, ProcessInfo

#: v1 writes "no memory limit" as ``LONG_MAX`` rounded down to a page: anything this large is unlimited.
_V1_NO_LIMIT = 1 << 62


@dataclass(frozen=True, slots=True)
class CgroupMount:
    """One mounted hierarchy: ``version`` 1 or 2, its ``controllers`` (v1; ``name=systemd`` for a named
    one), the ``root`` of the mount inside the hierarchy and the ``point`` where it is mounted."""

    version: int
    controllers: tuple[str, ...]
    root: str
    point: str


def parse_cgroup_mounts(mountinfo_text: str) -> tuple[CgroupMount, ...]:
    """The cgroup mounts of ``/proc/PID/mountinfo`` text, in its order."""
    mounts: list[CgroupMount] = []
    for line in mountinfo_text.splitlines():
        before, sep, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not sep or len(fields) < 5 or len(tail) < 2:
            continue
        if tail[0] == "cgroup2":
            mounts.append(CgroupMount(2, (), fields[3], fields[4]))
        elif tail[0] == "cgroup" and len(tail) >= 3:
            # The super options: the controllers, and flags (xattr, noprefix) no group path is named after.
            options = tuple(o for o in tail[2].split(",") if o not in ("rw", "ro"))
            mounts.append(CgroupMount(1, options, fields[3], fields[4]))
    return tuple(mounts)


def parse_cpu_stat(text: str) -> CpuStat:
    """v2 ``cpu.stat`` (``throttled_usec``) or v1 (``throttled_time`` in nanoseconds, made microseconds)."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        value = value.strip()
        if is_decimal(value) and int(value) <= U64_MAX:
            values[key] = int(value)
    usec = values.get("throttled_usec")
    if usec is None and "throttled_time" in values:
        usec = values["throttled_time"] // 1000
    return CpuStat(values.get("nr_periods"), values.get("nr_throttled"), usec)


def parse_cpu_max(text: str) -> tuple[int | None, int | None]:
    """v2 ``cpu.max`` (``QUOTA PERIOD``, ``max`` for no quota) as ``(quota_us, period_us)``;
    :data:`UNLIMITED` for ``max``; ``(None, None)`` when garbled."""
    fields = text.split()
    if len(fields) != 2 or not is_decimal(fields[1]):
        return None, None
    if fields[0] == "max":
        return UNLIMITED, int(fields[1])
    return (int(fields[0]) if is_decimal(fields[0]) else None), int(fields[1])


def parse_limit(text: str) -> int | None:
    """A byte count or quota: ``max`` and v1's ``-1`` or page-rounded ``LONG_MAX`` are :data:`UNLIMITED`."""
    value = text.strip()
    if value in ("max", "-1"):
        return UNLIMITED
    if not is_decimal(value) or int(value) > U64_MAX:
        return None
    return UNLIMITED if int(value) >= _V1_NO_LIMIT else int(value)


def _number(text: str) -> int | None:
    value = text.strip()
    return int(value) if is_decimal(value) and int(value) <= U64_MAX else None


def _cpus(text: str) -> frozenset[int] | None:
    try:
        return parse_cpu_list(text)
    except ValueError:
        return None


class CgroupReader:
    """Reads the group of one process at a time (the detail screen's), keeping the mount table: it is read
    once per reader, as mounts rarely change while a screen is open."""

    def __init__(self, fs: FS) -> None:
        self.fs = fs
        self._mounts: tuple[CgroupMount, ...] | None = None

    def mounts(self) -> tuple[CgroupMount, ...]:
        """The cgroup mounts perftop sees (``/proc/self/mountinfo``), read on first use."""
        if self._mounts is None:
            text = read_text(self.fs.proc("self", "mountinfo"))
            self._mounts = () if text is None else parse_cgroup_mounts(text)
        return self._mounts

    def machine_path(self, path: str) -> str:
        """``path`` as the machine names it: a file read under a fixture's sysfs root is named under
        ``/sys`` (on the machine itself that is the path read)."""
        root = self.fs.sys("")
        return "/sys/" + path[len(root) :] if root != "/sys/" and path.startswith(root) else path

    def directories(self, cgroups: ProcessCgroups) -> tuple[str | None, dict[str, str]]:
        """The group's v2 directory, and its v1 directory per controller, for the mounted hierarchies."""
        v2_dir = None
        v1_dirs: dict[str, str] = {}
        for mount in self.mounts():
            if mount.version == 2 and cgroups.v2 is not None and v2_dir is None:
                v2_dir = group_directory(self.fs, mount.root, mount.point, cgroups.v2)
            elif mount.version == 1:
                for controller in mount.controllers:
                    path = cgroups.v1.get(controller)
                    if path is not None and controller not in v1_dirs:
                        v1_dirs[controller] = group_directory(self.fs, mount.root, mount.point, path)
        return v2_dir, v1_dirs

    def read(self, pid: int) -> CgroupStats | None:
        """The group figures of process ``pid``; ``None`` when its ``cgroup`` file cannot be read."""
        text = read_text(self.fs.proc(pid, "cgroup"))
        cgroups = None if text is None else parse_pid_cgroup(text)
        if cgroups is None:
            return None
        v2_dir, v1_dirs = self.directories(cgroups)
        files: dict[str, str] = {}

        def first(name: str, *candidates: tuple[str | None, str]) -> str | None:
            """The text of the first candidate ``(directory, file)`` that reads; records which one."""
            for directory, file in candidates:
                if directory is None:
                    continue
                path = os.path.join(directory, file)
                found = read_text(path)
                if found is not None:
                    files[name] = self.machine_path(path)
                    return found
            return None

        cpu, cpuset, memory = v1_dirs.get("cpu"), v1_dirs.get("cpuset"), v1_dirs.get("memory")
        quota = period = None
        cpu_max = first("cpu_quota", (v2_dir, "cpu.max"))
        if cpu_max is not None:
            quota, period = parse_cpu_max(cpu_max)
        else:
            quota_text = first("cpu_quota", (cpu, "cpu.cfs_quota_us"))
            period_text = read_text(os.path.join(cpu, "cpu.cfs_period_us")) if cpu is not None else None
            quota = None if quota_text is None else parse_limit(quota_text)
            period = None if period_text is None else _number(period_text)
        weight = first("cpu_weight", (v2_dir, "cpu.weight"), (cpu, "cpu.shares"))
        cpus = first(
            "cpuset_cpus",
            (v2_dir, "cpuset.cpus.effective"),
            (cpuset, "cpuset.effective_cpus"),
            (cpuset, "cpuset.cpus"),
        )
        mems = first(
            "cpuset_mems",
            (v2_dir, "cpuset.mems.effective"),
            (cpuset, "cpuset.effective_mems"),
            (cpuset, "cpuset.mems"),
        )
        mem_max = first("memory_max", (v2_dir, "memory.max"), (memory, "memory.limit_in_bytes"))
        mem_high = first("memory_high", (v2_dir, "memory.high"), (memory, "memory.soft_limit_in_bytes"))
        mem_current = first("memory_current", (v2_dir, "memory.current"), (memory, "memory.usage_in_bytes"))
        # v2's cpu.stat exists without the cpu controller (usage only): prefer the one with throttling.
        v2_cpu = v2_dir if cpu_max is not None else None
        stat_text = first("cpu_stat", (v2_cpu, "cpu.stat"), (cpu, "cpu.stat"))
        rt = first("rt_runtime", (cpu, "cpu.rt_runtime_us"))
        pressure: dict[str, Pressure] = {}
        for kind in ("cpu", "memory", "io"):
            found = first(f"{kind}_pressure", (v2_dir, f"{kind}.pressure"))
            if found is not None:
                pressure[kind] = parse_pressure(found)
        return CgroupStats(
            path=cgroups.path,
            cgroups=cgroups,
            cpu_quota_us=quota,
            cpu_period_us=period,
            cpu_weight=None if weight is None else _number(weight),
            cpuset_cpus=None if cpus is None else _cpus(cpus),
            cpuset_mems=None if mems is None else _cpus(mems),
            memory_max_bytes=None if mem_max is None else parse_limit(mem_max),
            memory_high_bytes=None if mem_high is None else parse_limit(mem_high),
            memory_current_bytes=None if mem_current is None else _number(mem_current),
            cpu_stat=None if stat_text is None else parse_cpu_stat(stat_text),
            rt_runtime_us=None if rt is None else parse_limit(rt),
            pressure=pressure,
            files=files,
        )


def read_cpuset(fs: FS, pid: int) -> tuple[str, frozenset[int]] | None:
    """The CPUs the cpuset of ``pid``'s group allows and the file that says so (as the machine names it);
    ``None`` when unknown."""
    stats = CgroupReader(fs).read(pid)
    if stats is None or stats.cpuset_cpus is None or "cpuset_cpus" not in stats.files:
        return None
    return stats.files["cpuset_cpus"], stats.cpuset_cpus


#: Seconds a process's cgroup path is kept before it is read again (a process rarely changes group).
CGROUP_SECONDS = 5.0


def read_process_cgroup(fs: FS, pid: int) -> tuple[str | None, str | None]:
    """The cgroup path that stands for ``pid`` and its container (``runtime:name``), each ``None`` when
    unknown."""
    text = read_text(fs.proc(pid, "cgroup"))
    cgroups = None if text is None else parse_pid_cgroup(text)
    if cgroups is None:
        return None, None
    container = process_container(cgroups)
    return cgroups.path, None if container is None else str(container)


class CgroupCache:
    """The CGROUP and CONTAINER values of the processes asked for, by identity ``(pid, start_time)``, each
    read again after :data:`CGROUP_SECONDS`; a process not asked for keeps the value read for it."""

    def __init__(self) -> None:
        #: PID -> (start_time, time read, path, container).
        self._entries: dict[int, tuple[int, float, str | None, str | None]] = {}

    def apply(
        self, fs: FS, rows: tuple[ProcessInfo, ...], pids: Collection[int] | None, now: float
    ) -> tuple[ProcessInfo, ...]:
        """``rows`` with ``cgroup`` and ``container`` filled where known; ``pids`` (``None``: all) are
        read when their reading is missing or old."""
        if pids is not None and not pids and not self._entries:
            return rows  # nothing asked, nothing known: no cost
        alive = {p.pid: p.start_time for p in rows}
        entries = {pid: e for pid, e in self._entries.items() if alive.get(pid) == e[0]}
        for pid in alive if pids is None else pids:
            start = alive.get(pid)
            if start is None:
                continue
            entry = entries.get(pid)
            if entry is None or now - entry[1] >= CGROUP_SECONDS:
                entries[pid] = (start, now, *read_process_cgroup(fs, pid))
        self._entries = entries
        if not entries:
            return rows
        out: list[ProcessInfo] = []
        changed = False
        for row in rows:
            entry = entries.get(row.pid)
            if entry is not None and (row.cgroup != entry[2] or row.container != entry[3]):
                row = replace(row, cgroup=entry[2], container=entry[3])
                changed = True
            out.append(row)
        return tuple(out) if changed else rows
