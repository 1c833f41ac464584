"""A cgroup's figures for the detail screen, v2 and v1 shapes: parsers on fixture texts, the reader on
fixture trees (hybrid and v2-only), and the per-process cache behind the CGROUP and CONTAINER columns."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

from perftop.probes.cgroup_stats import (
    CGROUP_SECONDS,
    UNLIMITED,
    CgroupCache,
    CgroupMount,
    CgroupReader,
    parse_cgroup_mounts,
    parse_cpu_max,
    parse_cpu_stat,
    parse_limit,
    read_cpuset,
)
from perftop.probes.fs import FS
from perftop.tui.json_lines import write_json_lines
from testbed.demo import DemoMachine
from testbed.fixture_tree import DEMO_CONTAINER_ID
from tests.factories import make_proc

HYBRID = """\
24 31 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,noprefix
35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
"""
V2 = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n"


def test_mounts_of_a_hybrid_and_a_unified_hierarchy() -> None:
    mounts = parse_cgroup_mounts(HYBRID)
    assert [m.version for m in mounts] == [1, 1, 1, 1, 2]
    assert mounts[0] == CgroupMount(1, ("cpu", "cpuacct"), "/", "/sys/fs/cgroup/cpu,cpuacct")
    assert "cpuset" in mounts[1].controllers and mounts[2].root == "/docker/abc"
    assert "name=systemd" in mounts[3].controllers
    assert parse_cgroup_mounts(V2) == (CgroupMount(2, (), "/", "/sys/fs/cgroup"),)
    assert parse_cgroup_mounts("garbage\n12 1 0:1 / /x - cgroup\n") == ()


def test_cpu_max_limits_and_cpu_stat_of_both_versions() -> None:
    assert parse_cpu_max("max 100000\n") == (UNLIMITED, 100000)
    assert parse_cpu_max("50000 100000\n") == (50000, 100000)
    assert parse_cpu_max("50000\n") == (None, None) and parse_cpu_max("x y") == (None, None)
    assert parse_limit("max\n") == UNLIMITED and parse_limit("-1\n") == UNLIMITED
    assert parse_limit("9223372036854771712\n") == UNLIMITED  # v1's "no limit"
    assert parse_limit("1073741824\n") == 1 << 30 and parse_limit("lots") is None
    v2 = parse_cpu_stat("usage_usec 100\nnr_periods 40\nnr_throttled 7\nthrottled_usec 12345\n")
    assert (v2.nr_periods, v2.nr_throttled, v2.throttled_usec) == (40, 7, 12345)
    v1 = parse_cpu_stat("nr_periods 40\nnr_throttled 7\nthrottled_time 12345678\n")
    assert (v1.nr_periods, v1.nr_throttled, v1.throttled_usec) == (40, 7, 12345)
    assert parse_cpu_stat("nr_periods -1\n").nr_periods is None


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_v2_group_is_read_and_missing_files_are_absent(tmp_path: Path) -> None:
    group = "sys/fs/cgroup/system.slice/docker-" + "a" * 64 + ".scope/"
    _write(
        tmp_path,
        {
            "proc/self/mountinfo": V2,
            "proc/7/cgroup": "0::/system.slice/docker-" + "a" * 64 + ".scope\n",
            group + "cpu.max": "50000 100000\n",
            group + "cpu.weight": "100\n",
            group + "cpuset.cpus.effective": "0-1\n",
            group + "memory.max": "max\n",
            group + "memory.current": "4096\n",
            group + "cpu.stat": "nr_periods 10\nnr_throttled 3\nthrottled_usec 900\n",
            group + "cpu.pressure": "some avg10=1.50 avg60=0 avg300=0 total=10\nfull avg10=0.50 total=5\n",
        },
    )
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    stats = CgroupReader(fs).read(7)
    assert stats is not None and stats.path == "/system.slice/docker-" + "a" * 64 + ".scope"
    assert (stats.cpu_quota_us, stats.cpu_period_us, stats.quota_cpus) == (50000, 100000, 0.5)
    assert stats.cpu_weight == 100 and stats.cpuset_cpus == frozenset({0, 1})
    assert stats.memory_max_bytes == UNLIMITED and stats.memory_current_bytes == 4096
    assert stats.memory_high_bytes is None and stats.cpuset_mems is None  # absent files
    assert stats.cpu_stat is not None and stats.cpu_stat.nr_throttled == 3
    assert stats.pressure["cpu"].some_avg10 == 1.5 and set(stats.pressure) == {"cpu"}
    # Named as the machine names them, under /sys, not under the fixture's root.
    assert stats.files["cpu_quota"] == "/" + group + "cpu.max"
    assert read_cpuset(fs, 7) == ("/" + group + "cpuset.cpus.effective", frozenset({0, 1}))
    assert CgroupReader(fs).read(8) is None  # no such process


def test_a_hybrid_machine_reads_the_v1_controllers(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "proc/self/mountinfo": HYBRID,
            "proc/7/cgroup": "12:cpu,cpuacct:/batch\n4:cpuset:/pinned\n3:memory:/docker/abc/web\n"
            "1:name=systemd:/system.slice/web.service\n0::/\n",
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_quota_us": "20000\n",
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_period_us": "100000\n",
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.shares": "512\n",
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.rt_runtime_us": "0\n",
            "sys/fs/cgroup/cpu,cpuacct/batch/cpu.stat": "nr_periods 5\nnr_throttled 2\n"
            "throttled_time 3000000\n",
            "sys/fs/cgroup/cpuset/pinned/cpuset.effective_cpus": "0\n",
            "sys/fs/cgroup/cpuset/pinned/cpuset.cpus": "0-3\n",
            # The memory mount's root is /docker/abc: the group is /web below its mount point.
            "sys/fs/cgroup/memory/web/memory.limit_in_bytes": "9223372036854771712\n",
            "sys/fs/cgroup/memory/web/memory.usage_in_bytes": "8192\n",
            "sys/fs/cgroup/unified/cpu.pressure": "some avg10=0.00 avg60=0 avg300=0 total=1\n",
        },
    )
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    stats = CgroupReader(fs).read(7)
    assert stats is not None and stats.path == "/system.slice/web.service"
    assert (stats.cpu_quota_us, stats.cpu_period_us) == (20000, 100000)
    assert stats.files["cpu_quota"] == "/sys/fs/cgroup/cpu,cpuacct/batch/cpu.cfs_quota_us"
    assert stats.cpu_weight == 512 and stats.files["cpu_weight"].endswith("cpu.shares")
    assert stats.rt_runtime_us == 0
    assert stats.cpuset_cpus == frozenset({0})  # the effective set, not the configured one
    assert stats.memory_max_bytes == UNLIMITED and stats.memory_current_bytes == 8192
    assert stats.cpu_stat is not None and stats.cpu_stat.throttled_usec == 3000
    assert "cpu" in stats.pressure


def test_the_column_cache_reads_the_rows_asked_for_and_keeps_them(tmp_path: Path) -> None:
    for pid, text in ((1, "0::/init.scope\n"), (2, "0::/system.slice/docker-" + "b" * 64 + ".scope\n")):
        _write(tmp_path, {f"proc/{pid}/cgroup": text})
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    rows = (make_proc(1, start_time=10), make_proc(2, start_time=20), make_proc(3, start_time=30))
    cache = CgroupCache()
    assert cache.apply(fs, rows, (), 0.0) is rows  # nothing asked: nothing read, the same rows
    out = cache.apply(fs, rows, {2}, 0.0)
    assert [(p.cgroup, p.container) for p in out] == [
        (None, None),
        ("/system.slice/docker-" + "b" * 64 + ".scope", "docker:bbbbbbbbbbbb"),
        (None, None),
    ]
    # Kept while not asked for; read again only when old.
    _write(tmp_path, {"proc/2/cgroup": "0::/moved\n"})
    assert cache.apply(fs, rows, (), 1.0)[1].cgroup.startswith("/system.slice/")  # type: ignore[union-attr]
    assert cache.apply(fs, rows, {2}, CGROUP_SECONDS + 1)[1].cgroup == "/moved"
    assert cache.apply(fs, rows, None, CGROUP_SECONDS + 1)[0].container == "systemd:init.scope"
    # A reused PID is another process: its reading is dropped.
    reused = (rows[0], dataclasses.replace(rows[1], start_time=99), rows[2])
    assert cache.apply(fs, reused, (), CGROUP_SECONDS + 2)[1].cgroup is None


def test_json_gives_every_process_its_cgroup_and_container(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    out = io.StringIO()
    write_json_lines(machine.sampler, out, count=1, interval=1.0, sleep=lambda _: None, clock=machine.clock)
    processes = {p["pid"]: p for p in json.loads(out.getvalue())["processes"]}
    assert processes[1290]["cgroup"] == f"/system.slice/docker-{DEMO_CONTAINER_ID}.scope"
    assert processes[1290]["container"] == f"docker:{DEMO_CONTAINER_ID[:12]}"
    assert (processes[640]["cgroup"], processes[640]["container"]) == (
        "/system.slice/ssh.service",
        "systemd:ssh.service",
    )
    assert (processes[2]["cgroup"], processes[2]["container"]) == ("/", None)  # a kernel thread
