"""RUN-DELAY/s and THROTTLED%: the throttling share on counter pairs, the caches on a fixture tree (read only
for the PIDs asked, by identity, each group once), and real processes: a child sharing a pinned CPU with a
hog waits on the run queue as its schedstat says, and a child in a quota cgroup is throttled."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perftop.probes.detail_data import CpuStat
from perftop.probes.fs import FS
from perftop.probes.processes import parse_pid_stat
from perftop.probes.run_delay import RunDelayCache, ThrottleCache, throttled_percent
from perftop.probes.sampler import Sampler
from perftop.probes.sched_stats import parse_schedstat
from tests.factories import make_proc

BUSY = "while True: pass"


def test_throttled_percent() -> None:
    assert throttled_percent(CpuStat(10, 2, 0), CpuStat(20, 7, 0)) == 50.0
    assert throttled_percent(CpuStat(10, 2, 0), CpuStat(10, 2, 0)) == 0.0  # no period: not throttled
    assert throttled_percent(CpuStat(10, 2, 0), CpuStat(5, 2, 0)) is None  # the group was made again
    assert throttled_percent(CpuStat(None, None, 0), CpuStat(None, None, 0)) is None  # no quota
    assert throttled_percent(CpuStat(10, 2, 0), CpuStat(11, 9, 0)) is None  # garbled


def _tree(root: Path, pids: dict[int, str]) -> FS:
    for pid, group in pids.items():
        (root / "proc" / str(pid)).mkdir(parents=True)
        (root / "proc" / str(pid) / "cgroup").write_text(f"0::{group}\n")
    (root / "proc" / "self").mkdir()
    (root / "proc" / "self" / "mountinfo").write_text(
        "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
    )
    return FS(procfs=str(root / "proc"), sysfs=str(root / "sys"))


def test_run_delay_for_the_pids_asked_by_identity(tmp_path: Path) -> None:
    fs = _tree(tmp_path, {10: "/a", 11: "/a"})
    for pid in (10, 11):
        (tmp_path / "proc" / str(pid) / "schedstat").write_text("1000 5000000 3\n")
    rows = (make_proc(10, start_time=1), make_proc(11, start_time=1))
    cache = RunDelayCache()
    assert cache.apply(fs, rows, (), 0.0) is rows  # nothing asked: no read
    first = cache.apply(fs, rows, {10}, 0.0)
    assert [r.run_delay_ms_per_s for r in first] == [None, None]  # first reading: no rate
    (tmp_path / "proc" / "10" / "schedstat").write_text("1000 25000000 9\n")
    second = cache.apply(fs, rows, {10}, 2.0)
    assert [r.run_delay_ms_per_s for r in second] == [10.0, None]  # 20 ms over 2 s
    # The PID taken by another process: no rate over the old one's counter.
    reused = (make_proc(10, start_time=2), rows[1])
    assert cache.apply(fs, reused, {10}, 3.0)[0].run_delay_ms_per_s is None
    # Garbled: no value, never an exception.
    (tmp_path / "proc" / "10" / "schedstat").write_text("1 x 3\n")
    assert cache.apply(fs, reused, {10}, 4.0)[0].run_delay_ms_per_s is None


def test_throttled_for_the_pids_asked_each_group_read_once(tmp_path: Path) -> None:
    fs = _tree(tmp_path, {10: "/a", 11: "/a", 12: "/b"})
    for group, text in (("a", "nr_periods 100\nnr_throttled 10\n"), ("b", "usage_usec 5\n")):
        (tmp_path / "sys" / "fs" / "cgroup" / group).mkdir(parents=True)
        (tmp_path / "sys" / "fs" / "cgroup" / group / "cpu.stat").write_text(text)
    rows = tuple(make_proc(pid, start_time=1) for pid in (10, 11, 12))
    cache = ThrottleCache(fs)
    assert all(r.throttled_percent is None for r in cache.apply(fs, rows, {10, 11, 12}, 0.0))
    stat = tmp_path / "sys" / "fs" / "cgroup" / "a" / "cpu.stat"
    stat.write_text("nr_periods 120\nnr_throttled 15\n")
    out = cache.apply(fs, rows, {10, 11, 12}, 1.0)
    # 5 of 20 periods; /b has no quota (no nr_periods): unknown.
    assert [r.throttled_percent for r in out] == [25.0, 25.0, None]
    out = cache.apply(fs, rows, {11}, 2.0)
    assert [r.throttled_percent for r in out] == [None, 0.0, None]


def _start_time(pid: int) -> int:
    return parse_pid_stat(Path(f"/proc/{pid}/stat").read_text()).start_time


def _run_delay_ns(pid: int) -> int:
    reading = parse_schedstat(Path(f"/proc/{pid}/schedstat").read_text())
    assert reading is not None
    return reading.run_delay_ns


@pytest.mark.live
def test_a_child_sharing_a_pinned_cpu_with_a_hog_waits(tmp_path: Path) -> None:
    if not Path("/proc/self/schedstat").exists():
        pytest.skip("no schedstat on this kernel (CONFIG_SCHED_INFO)")
    cpu = min(os.sched_getaffinity(0))
    procs = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(2)]
    try:
        for proc in procs:
            os.sched_setaffinity(proc.pid, {cpu})
        child = procs[0]
        time.sleep(0.2)
        rows = (make_proc(child.pid, start_time=_start_time(child.pid)),)
        cache = RunDelayCache()
        before_first = _run_delay_ns(child.pid)
        cache.apply(FS(), rows, {child.pid}, 0.0)
        after_first = _run_delay_ns(child.pid)
        time.sleep(0.5)
        before_second = _run_delay_ns(child.pid)
        value = cache.apply(FS(), rows, {child.pid}, 1.0)[0].run_delay_ms_per_s
        after_second = _run_delay_ns(child.pid)
        # Over a "1 s" interval the rate is the delta of the two readings, bracketed by ours.
        assert value is not None and value > 0
        assert (before_second - after_first) / 1e6 <= value <= (after_second - before_first) / 1e6
        # Two hogs on one CPU: each waits about half the time (100 ms of the 500 at least).
        assert value > 100
        # Through the sampler, as the table gets it.
        sampler = Sampler(FS())
        sampler.sample((), sched_pids=[child.pid])
        time.sleep(0.3)
        row = next(p for p in sampler.sample((), sched_pids=[child.pid]).processes if p.pid == child.pid)
        assert row.run_delay_ms_per_s is not None and row.run_delay_ms_per_s > 100
        other = next(p for p in sampler.sample((), sched_pids=[child.pid]).processes if p.pid == procs[1].pid)
        assert other.run_delay_ms_per_s is None  # not asked for
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


@pytest.mark.live
@pytest.mark.skipif(os.geteuid() != 0, reason="making cgroups needs root")
def test_a_child_in_a_quota_cgroup_is_throttled() -> None:
    from tests.test_cgroup_real import new_group

    child = subprocess.Popen([sys.executable, "-c", BUSY])
    settings = {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "10000", "cpu.max": "10000 100000"}
    with new_group("cpu", child, settings):
        sampler = Sampler(FS())
        sampler.sample((), throttle_pids=[child.pid])
        time.sleep(0.6)
        rows = sampler.sample((), throttle_pids=[child.pid]).processes
        row = next(p for p in rows if p.pid == child.pid)
        # A busy loop under 10% of a CPU is throttled in (nearly) every period it runs.
        assert row.throttled_percent is not None and row.throttled_percent > 50
        assert all(p.throttled_percent is None for p in rows if p.pid != child.pid)


async def test_the_columns_on_the_demo_machine_for_the_rows_on_screen(tmp_path: Path) -> None:
    from testbed.demo import DemoMachine

    machine = DemoMachine(tmp_path)
    app = machine.app(sort="pid")
    async with app.run_test(size=(230, 40)) as pilot:
        await machine.drive(app, 2)
        # Column hidden: schedstat is read for the selected process alone (the before of a tuning action's
        # comparison).
        selected = app.table.selected_pid
        rows = app.snapshot.processes  # type: ignore[union-attr]
        assert all(p.run_delay_ms_per_s is None for p in rows if p.pid != selected)
        app.table.toggle_column("run_delay")
        app.table.toggle_column("throttled")
        app._after_view_change()
        await machine.drive(app, 2)
        await pilot.pause()
        java = next(p for p in app.table.rows() if p.pid == 1290)
        assert java.run_delay_ms_per_s is not None and java.run_delay_ms_per_s > 0
        assert java.throttled_percent is not None and java.throttled_percent > 0
        lines = [app.table.render_line(y).text for y in range(app.table.size.height)]
        assert "RUN-DELAY/s" in lines[0] and "THROTTLED%" in lines[0]
        row = next(line for line in lines if line.lstrip().startswith("1290 "))
        assert f"{java.run_delay_ms_per_s:.1f}" in row and f"{java.throttled_percent:.1f}" in row
