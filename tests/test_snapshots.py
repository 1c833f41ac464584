"""Pixels: SVG snapshots of the main screen on the deterministic demo machine.

Accept a change only after looking at it: ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.demo import DemoMachine

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_main_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 30)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_cpu_pane(snap_compare, tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path, cpus=16)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 40)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


@pytest.mark.parametrize("pane", ["3", "4", "5"])
def test_panes_at_80x24(snap_compare, tmp_path: Path, pane: str) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 20)
        await pilot.press(pane)
        await app.workers.wait_for_complete()
        await machine.drive(app, 1)  # a pane may read more once shown (socket tables)
        await app.refresh_pane_details(force=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
