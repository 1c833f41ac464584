"""The process detail screen: Enter opens it on the selected process, its sections are drawn from the demo
machine's files, Esc goes back; the tuning keys act on the process shown (not the table's cursor, not the
tags); a process that exits keeps its last values and is refused."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.detail_screen import DetailScreen
from perftop.widgets.process_detail_view import ProcessDetailView, detail_sections
from testbed.demo import DemoMachine
from testbed.fixture_tree import DEMO_CONTAINER_ID

SECTIONS = [
    "Scheduler",
    "Status",
    "Limits (soft / hard)",
    "OOM, IO and files",
    "NUMA",
    "Cgroup",
    "Command line and environment",
]


async def open_detail(machine: DemoMachine, app: PerftopApp, pilot, pid: int) -> DetailScreen:
    await machine.drive(app, 1)
    assert app.table.select_pid(pid)
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, DetailScreen)
    await app.workers.wait_for_complete()
    return screen


def screen_text(screen: DetailScreen) -> str:
    """The screen's headline and sections, each run of blanks made one (the label column's width varies)."""
    view = screen.query_one(ProcessDetailView)
    head = view.query_one("#detail-head", Static).render()
    assert screen.reading is not None
    sections = "\n".join(f"{t}\n{b.plain}" for t, b in detail_sections(screen.reading))
    return " ".join(f"{head}\n{sections}".split())


async def test_enter_opens_the_sections_of_the_selected_process_and_esc_goes_back(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_detail(machine, app, pilot, 1290)
        assert screen.pid == 1290 and app.detail_screen is screen
        for _ in range(3):
            await machine.drive(app, 1)
            await app.workers.wait_for_complete()
        reading = screen.reading
        assert reading is not None and not reading.gone and reading.detail is not None
        assert [title for title, _ in detail_sections(reading)] == SECTIONS
        text = screen_text(screen)
        assert "Process 1290 (java)" in text and f"docker:{DEMO_CONTAINER_ID[:12]}" in text
        assert "ppid 1 uid 65534 SCHED_OTHER (TS) nice 0 priority 20" in text
        assert "150000 100000 (1.5 CPU) (cpu.max)" in text
        assert "throttled: /sys/fs/cgroup/system.slice/docker-" in text  # the file that decides
        assert "oom_score_adj -900" in text
        assert "RLIMIT_NOFILE 1024 / 524288 files" in text
        assert "open files 4, 1 sockets" in text
        assert "java -Xmx2g -jar /srv/app.jar" in text and "LANG=C.UTF-8" in text
        # One fake second a tick: the run delay and throttling rates are exact.
        assert reading.throttled_per_s == 2.0 and reading.throttled_ms_per_s == 40.0
        assert reading.run_delay_ms_per_s is not None and reading.run_delay_ms_per_s > 0
        assert len(reading.run_delay_history) == 3
        await pilot.press("q")  # the App's keys stay behind the screen
        assert app.is_running and isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)
        assert app.detail_screen is None and app.detail_subject is None


async def test_a_process_without_readable_files_shows_them_absent(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_detail(machine, app, pilot, 2)  # kthreadd, in the root group
        # As a kernel without the files, or a controller not enabled, leaves them.
        for name in ("cpu.max", "memory.max", "cpu.stat"):
            (tmp_path / "sys" / "fs" / "cgroup" / name).unlink()
        (tmp_path / "proc" / "2" / "limits").unlink()
        machine.clock.now += 0.5
        await screen.read_now()
        text = screen_text(screen)
        assert "cpu quota absent" in text and "throttling absent" in text
        assert "Limits (soft / hard) unreadable" in text
        assert "wait_sum/max" in text  # the demo's sched has no schedstats


async def test_the_demo_screen_is_read_only(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(machine, app, pilot, 1290)
        await pilot.press("f8")
        await pilot.pause()
        assert any("read-only" in n.message.lower() for n in app._notifications)


# --- live processes: the tuning keys act on the process shown ----------------------------------------


@pytest.fixture
def sleepers() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [subprocess.Popen(["sleep", "60"]) for _ in range(2)]
    for proc in procs:
        deadline = time.monotonic() + 5
        while not Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"sleep"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
    yield procs
    for proc in procs:
        proc.kill()
        proc.wait()


async def test_a_tuning_key_acts_on_the_process_shown(sleepers: list[subprocess.Popen[bytes]]) -> None:
    shown, other = sleepers
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(shown.pid, other.pid), sort="pid"))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        assert app.table.select_pid(other.pid)
        await pilot.press("space")  # tag the other one: the screen's process still wins
        assert app.table.select_pid(shown.pid)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.pid == shown.pid
        app.table.select_pid(other.pid)  # the table's cursor moves behind the screen
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert os.getpriority(os.PRIO_PROCESS, shown.pid) == 1
        assert os.getpriority(os.PRIO_PROCESS, other.pid) == 0
        assert app.action_log[-1].subject.target.pid == shown.pid
        after = await screen.read_now()
        assert after.detail is not None and after.detail.scheduling is not None
        assert after.detail.scheduling.nice == 1 and "nice 1 priority 21" in screen_text(screen)
        # It exits while the screen is open: the last values stay, the screen says so, tuning is refused.
        await screen.read_now()
        shown.kill()
        shown.wait()
        reading = await screen.read_now()
        assert reading.gone and reading.detail is not None and reading.detail.pid == shown.pid
        assert "has exited" in screen_text(screen)
        await pilot.press("f8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any(f"{shown.pid}" in n.message and "exited" in n.message for n in app._notifications)
        assert os.getpriority(os.PRIO_PROCESS, other.pid) == 0
        await pilot.press("escape")
        assert app.detail_subject is None


# --- the CGROUP and CONTAINER columns, and the filter on cgroup paths ----------------------------------


async def test_cgroup_columns_and_the_filter_match_the_group(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app(sort="pid")
    async with app.run_test(size=(200, 40)) as pilot:
        await machine.drive(app, 1)
        assert all(p.cgroup is None for p in app.snapshot.processes)  # type: ignore[union-attr]
        # F4 matches the cgroup path: every process's is read while a filter is typed, none shown.
        app.table.set_filter("system.slice/docker")
        app._after_view_change()
        await machine.drive(app, 1)
        assert [p.pid for p in app.table.rows()] == [1290]
        app.table.set_filter("")
        app.table.toggle_column("cgroup")
        app.table.toggle_column("container")
        app._after_view_change()
        await machine.drive(app, 1)
        await pilot.pause()
        lines = [app.table.render_line(y).text for y in range(app.table.size.height)]
        assert "CGROUP" in lines[0] and "CONTAINER" in lines[0]
        row = next(line for line in lines if line.lstrip().startswith("640 "))
        assert "ssh.service" in row and "systemd:ssh.service" in row
        row = next(line for line in lines if line.lstrip().startswith("1290 "))
        assert f"docker:{DEMO_CONTAINER_ID[:12]}" in row
