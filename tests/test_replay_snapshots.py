"""Pixels of the replay screen: a recording of the demo machine with two actions, at 80x24 and wide.

Accept a change only after looking at it: ``pytest tests/test_replay_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from perftop.tui.recording import Recording
from perftop.tui.replay_app import ReplayApp
from tests.replay_recordings import record_demo

#: Clock times read the same everywhere.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("utc")]


@pytest.mark.parametrize("size", [(80, 24), (160, 40)], ids=["80x24", "160x40"])
def test_replay_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    path = tmp_path / "demo.perftop"
    record_demo(tmp_path / "tree", path, 40, actions_at={8: "renice", 25: "sysctl"})
    app = ReplayApp(Recording(path), start=28)

    async def run_before(pilot) -> None:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("full_stop", "full_stop", "plus")
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
