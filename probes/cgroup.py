"""Control groups: where a process's cgroup v1 ``cpu`` controller lives, and the real-time budget that
governs it.

Sources: ``/proc/PID/cgroup`` (the process's group in each hierarchy), ``/proc/self/mountinfo`` (where each
hierarchy is mounted), the group's ``cpu.rt_runtime_us`` and ``/proc/sys/kernel/sched_rt_runtime_us``.
"""

from __future__ import annotations

import os

from perftop.probes.fs import FS, read_text
from perftop.probes.kernel_numbers import is_decimal


def cgroup_v1_cpu_path(cgroup_text: str) -> str | None:
    """The path of the cgroup v1 ``cpu`` controller in ``/proc/PID/cgroup`` text, if it is mounted."""
    for line in cgroup_text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and "cpu" in parts[1].split(","):
            return parts[2]
    return None


def cgroup_v1_cpu_mount(mountinfo_text: str) -> tuple[str, str] | None:
    """``(root, mount point)`` of the cgroup v1 hierarchy holding the ``cpu`` controller, from
    ``/proc/PID/mountinfo`` text."""
    for line in mountinfo_text.splitlines():
        before, sep, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        is_cgroup_v1 = sep and len(fields) >= 5 and len(tail) >= 3 and tail[0] == "cgroup"
        if is_cgroup_v1 and "cpu" in tail[2].split(","):
            return fields[3], fields[4]
    return None


def group_directory(fs: FS, root: str, point: str, path: str) -> str:
    """The directory of group ``path`` (as ``/proc/PID/cgroup`` writes it) in the hierarchy whose ``root``
    is mounted at ``point`` (a mount point under ``/sys`` is read under ``fs.sysfs``)."""
    if root != "/" and (path == root or path.startswith(root + "/")):
        path = path[len(root) :]
    if point == "/sys" or point.startswith("/sys/"):
        point = fs.sys(point[len("/sys/") :])
    return os.path.join(point, path.lstrip("/")).rstrip("/")


def read_rt_budget(fs: FS, pid: int) -> tuple[str, int] | None:
    """The real-time budget that governs ``pid``: ``(file, microseconds per period)``, -1 = unlimited;
    ``None`` when no budget file can be read.

    That is ``cpu.rt_runtime_us`` of its cgroup v1 ``cpu`` controller (the kernel refuses RT policies
    in a group whose budget is 0, even to root), else ``/proc/sys/kernel/sched_rt_runtime_us``. A mount
    point under ``/sys`` is read under ``fs.sysfs``, so a fixture tree stands in for the machine.
    """
    cgroup_text = read_text(fs.proc(pid, "cgroup"))
    mountinfo = read_text(fs.proc("self", "mountinfo"))
    path = None if cgroup_text is None else cgroup_v1_cpu_path(cgroup_text)
    mount = None if mountinfo is None else cgroup_v1_cpu_mount(mountinfo)
    candidates: list[str] = []
    if path is not None and mount is not None:
        candidates.append(os.path.join(group_directory(fs, *mount, path), "cpu.rt_runtime_us"))
    candidates.append(fs.proc("sys", "kernel", "sched_rt_runtime_us"))
    for file in candidates:
        text = read_text(file)
        if text is not None and is_decimal(text.strip().removeprefix("-")):
            return file, int(text)
    return None
