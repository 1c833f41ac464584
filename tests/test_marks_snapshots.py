"""Pixels: a tuning action's marker on the history graphs, and its before/after comparison screen, on the
deterministic demo machine (no root: the action is a record in the App's log, as replay fills it).

Accept a change only after looking at it: ``pytest tests/test_marks_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from perftop.tui.app import PerftopApp
from testbed.demo import DemoMachine, demo_renice

pytestmark = pytest.mark.slow


async def marked_run(machine: DemoMachine, app: PerftopApp, before: int = 40, after: int = 12) -> None:
    await machine.drive(app, before)
    assert app.snapshot is not None
    app.record_actions([demo_renice(app.snapshot)])
    await machine.drive(app, after)


def test_marker_on_the_cpu_pane(snap_compare, tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path, ticking=True)
    app = machine.app()

    async def run_before(pilot) -> None:
        await marked_run(machine, app)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_comparison_screen(snap_compare, tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path, ticking=True)
    app = machine.app()

    async def run_before(pilot) -> None:
        await marked_run(machine, app)
        await pilot.press("L")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
