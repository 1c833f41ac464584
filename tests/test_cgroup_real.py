"""Real cgroups on this machine (root): a child under a CPU quota shows the quota and rising throttling on
the detail screen, and a child in a cpuset of CPU 0 gets an explaining error when pinned to CPU 1.

The group is made under whichever hierarchy mounts the controller (a v1 controller of a hybrid machine,
else cgroup v2 where the controller is enabled below the mount), and removed at the end; the tests skip
when neither is writable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from perftop.probes.cgroup_stats import CgroupReader, parse_cgroup_mounts
from perftop.probes.fs import FS
from perftop.probes.processes import parse_pid_stat
from perftop.probes.sampler import Sampler
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.detail_screen import DetailScreen
from perftop.tui.tuning import Target, TuningError, set_affinity
from perftop.widgets.process_detail_view import detail_sections

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.geteuid() != 0, reason="making cgroups needs root"),
]

BUSY = "while True: pass"


def _wait(predicate: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return bool(predicate())  # type: ignore[operator]


@contextmanager
def new_group(controller: str, child: subprocess.Popen[bytes], settings: dict[str, str]) -> Iterator[Path]:
    """A new group with ``controller`` holding ``child``, its files set to ``settings`` (the caller names
    the files of both hierarchies: those the group has are written, in order); removed after the child is
    killed."""
    mountinfo = Path("/proc/self/mountinfo").read_text()
    mounts = parse_cgroup_mounts(mountinfo)
    base: Path | None = None
    for mount in mounts:
        if mount.version == 1 and controller in mount.controllers:
            base = Path(mount.point)
            break
    if base is None:
        for mount in mounts:
            point = Path(mount.point)
            if mount.version == 2 and controller in _words(point / "cgroup.subtree_control"):
                base = point
                break
    if base is None:
        pytest.skip(f"no writable cgroup hierarchy with the {controller} controller")
    group = base / f"perftop-detail-test-{os.getpid()}"
    try:
        group.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot create a {controller} cgroup: {exc}")
    try:
        for name, value in settings.items():
            if (group / name).exists():  # the files of the hierarchy used
                (group / name).write_text(value)
        (group / "cgroup.procs").write_text(str(child.pid))
        yield group
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        _wait(lambda: not (group / "cgroup.procs").read_text().strip())
        group.rmdir()


def _words(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []


def _start_time(pid: int) -> int:
    return parse_pid_stat(Path(f"/proc/{pid}/stat").read_text()).start_time


async def test_a_cpu_quota_shows_on_the_detail_screen_with_rising_throttling() -> None:
    child = subprocess.Popen([sys.executable, "-c", BUSY])
    settings = {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "10000", "cpu.max": "10000 100000"}
    with new_group("cpu", child, settings) as group:
        app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(child.pid,)))
        async with app.run_test(size=(120, 40)) as pilot:
            await app.sample_now()
            assert app.table.select_pid(child.pid)
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, DetailScreen) and screen.pid == child.pid
            first = await screen.read_now()
            time.sleep(0.6)
            reading = await screen.read_now()
            detail = reading.detail
            assert detail is not None and detail.cgroup is not None and first.detail is not None
            stats = detail.cgroup
            assert (stats.cpu_quota_us, stats.cpu_period_us) == (10000, 100000)
            assert stats.files["cpu_quota"].startswith(str(group) + "/")
            before = first.detail.cgroup.cpu_stat  # type: ignore[union-attr]
            assert before is not None and stats.cpu_stat is not None
            assert (stats.cpu_stat.nr_throttled or 0) > (before.nr_throttled or 0)
            assert reading.throttled_per_s is not None and reading.throttled_per_s > 0
            text = "\n".join(body.plain for _, body in detail_sections(reading))
            assert "10000 100000 (0.1 CPU)" in text
            assert f"throttled: {group}/" in text and "allows 0.1 CPU per period" in text
            await pilot.press("escape")
            assert not isinstance(app.screen, DetailScreen)


def test_pinning_outside_the_cpuset_names_the_cgroup_file() -> None:
    if len(os.sched_getaffinity(0)) < 2 or 1 not in os.sched_getaffinity(0):
        pytest.skip("needs CPUs 0 and 1")
    child = subprocess.Popen(["sleep", "60"])
    settings = {"cpuset.cpus": "0", "cpuset.mems": "0"}
    with new_group("cpuset", child, settings) as group:
        assert _wait(lambda: os.sched_getaffinity(child.pid) == {0})
        stats = CgroupReader(FS()).read(child.pid)
        assert stats is not None and stats.cpuset_cpus == frozenset({0})
        with pytest.raises(TuningError) as info:
            set_affinity(Target(child.pid, _start_time(child.pid)), {1})
        message = str(info.value)
        assert "allows only CPUs 0" in message
        assert f"({group}/cpuset." in message  # cpuset.effective_cpus (v1) or cpuset.cpus.effective (v2)
        assert os.sched_getaffinity(child.pid) == {0}
