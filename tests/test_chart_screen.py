"""The chart screen (``G`` in replay): the report's charts in the App, up to the replay's position."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot

from perftop.tui.chart_screen import ChartScreen, chart_screen_for
from perftop.tui.recording import Recording
from tests.capture_driver import capture_driver, foreign_controls
from tests.report_recording import HOSTILE_PID, LATE_FROM, LATE_PID, make_recording

#: Clock times read the same everywhere.
pytestmark = pytest.mark.usefixtures("utc")

HOSTILE_SHOWN = "\\e]2;pw\\a\\e[6n"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_recording(tmp_path_factory.mktemp("chart"))


async def _shown(pilot: Pilot[None], screen: ChartScreen) -> None:
    """Open ``screen`` and wait until it drew its chart or said why it has none."""
    await pilot.app.push_screen(screen)
    for _ in range(100):
        await pilot.pause()
        if screen.drawn or screen.problem:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the chart screen drew nothing")


async def test_the_chart_of_a_process_up_to_the_position_with_its_marks(recording: Path) -> None:
    driver = capture_driver()
    app: App[None] = App()
    app.driver_class = driver
    rec = Recording(recording)
    async with app.run_test(headless=False, size=(100, 40)) as pilot:
        screen = chart_screen_for(rec, 25, HOSTILE_PID, None)
        await _shown(pilot, screen)
        await pilot.pause()
        drawn = screen.drawn
        assert drawn.splitlines()[0].startswith("demo\\e[2J: 2025-01-01 12:00:00 to 12:00:25, 26 samples")
        assert f"PID {HOSTILE_PID} ({HOSTILE_SHOWN}) CPU % (100 = one core)" in drawn
        assert "1 nice 5 -> 4242" in drawn and "2 sysctl vm.swapp" in drawn  # cut at the right edge
        assert drawn.splitlines()[-1].startswith("2 12:00:19 sysctl vm.swappiness=10  /proc/sys/vm/")
        # Sized to the screen: the frame's border and padding aside.
        assert max(len(line) for line in drawn.splitlines()) <= 98
        assert len(drawn.splitlines()) <= 37
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChartScreen)
    written = "".join(driver.written)
    assert "CPU % (100 = one core)" in written
    # The process's name reached the terminal only spelled out: no escape sequence of its own.
    assert HOSTILE_SHOWN in written
    assert foreign_controls(written) == []


async def test_the_chart_follows_the_terminal_size(recording: Path) -> None:
    app: App[None] = App()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = chart_screen_for(Recording(recording), 29, None, None)
        await _shown(pilot, screen)
        wide = max(len(line) for line in screen.drawn.splitlines())
        await pilot.resize_terminal(80, 30)
        await pilot.pause()
        await pilot.pause()
        narrow = max(len(line) for line in screen.drawn.splitlines())
        assert wide > 100 and narrow <= 78
        assert "CPU busy % (all CPUs)" in screen.drawn


async def test_a_process_not_yet_started_is_said_so(recording: Path) -> None:
    app: App[None] = App()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = chart_screen_for(Recording(recording), LATE_FROM - 2, LATE_PID, None)
        await _shown(pilot, screen)
        await pilot.pause()
        assert screen.problem is not None
        assert screen.problem.startswith(f"process {LATE_PID} is not in the recording between")
        assert screen.drawn == ""


async def test_a_device_is_charted(recording: Path) -> None:
    app: App[None] = App()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = chart_screen_for(Recording(recording), 29, None, "nvme0n1")
        await _shown(pilot, screen)
        assert "Disk util % of nvme0n1" in screen.drawn
        assert "Disk throughput (bytes/s) of nvme0n1" in screen.drawn
