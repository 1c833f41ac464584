"""perftop.probes.cgroup: the cgroup v1 cpu controller of a process and its real-time budget."""

from __future__ import annotations

from pathlib import Path

from perftop.probes.cgroup import cgroup_v1_cpu_mount, cgroup_v1_cpu_path, read_rt_budget
from perftop.probes.fs import FS

MOUNTINFO = (
    "25 1 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
    "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
    "31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
)


def test_cgroup_v1_cpu_path() -> None:
    assert cgroup_v1_cpu_path("5:memory:/x\n4:cpu,cpuacct:/batch/jobs\n0::/\n") == "/batch/jobs"
    assert cgroup_v1_cpu_path("4:cpuset:/a\n") is None  # cpuset is not cpu
    assert cgroup_v1_cpu_path("0::/user.slice\n") is None  # cgroup v2 only
    assert cgroup_v1_cpu_path("garbage\n\n4:cpu\n") is None


def test_cgroup_v1_cpu_mount() -> None:
    assert cgroup_v1_cpu_mount(MOUNTINFO) == ("/", "/sys/fs/cgroup/cpu,cpuacct")
    assert cgroup_v1_cpu_mount("30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n") is None
    assert cgroup_v1_cpu_mount("30 25 0:26 /\n - cgroup\n") is None  # truncated lines


def test_rt_budget_on_a_fixture_tree(tmp_path: Path) -> None:
    proc, sys_root = tmp_path / "proc", tmp_path / "sys"
    (proc / "42").mkdir(parents=True)
    (proc / "self").mkdir()
    (proc / "sys" / "kernel").mkdir(parents=True)
    (proc / "sys" / "kernel" / "sched_rt_runtime_us").write_text("950000\n")
    (proc / "42" / "cgroup").write_text("5:memory:/x\n4:cpu,cpuacct:/batch/jobs\n0::/\n")
    (proc / "self" / "mountinfo").write_text(MOUNTINFO)
    group = sys_root / "fs" / "cgroup" / "cpu,cpuacct" / "batch" / "jobs"
    group.mkdir(parents=True)
    (group / "cpu.rt_runtime_us").write_text("0\n")
    fs = FS(procfs=proc, sysfs=sys_root)
    assert read_rt_budget(fs, 42) == (str(group / "cpu.rt_runtime_us"), 0)
    # cgroup v2 only: no per-group budget, the system-wide one governs.
    (proc / "42" / "cgroup").write_text("0::/user.slice\n")
    assert read_rt_budget(fs, 42) == (str(proc / "sys" / "kernel" / "sched_rt_runtime_us"), 950000)
    (proc / "sys" / "kernel" / "sched_rt_runtime_us").write_text("-1\n")
    assert read_rt_budget(fs, 42) == (str(proc / "sys" / "kernel" / "sched_rt_runtime_us"), -1)
    (proc / "sys" / "kernel" / "sched_rt_runtime_us").write_text("garbled\n")
    assert read_rt_budget(fs, 42) is None
    assert read_rt_budget(FS(procfs=tmp_path / "empty"), 42) is None
