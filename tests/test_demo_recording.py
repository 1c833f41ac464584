"""The demo recording in the repository (screenshots/demo.perftop) opens, moves and holds its actions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from perftop.tui.recording import Recording

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "screenshots" / "demo.perftop"
SCRIPT = REPO / "screenshots" / "make_demo_recording.py"


def test_the_demo_recording_is_small_whole_and_long_enough() -> None:
    assert DEMO.stat().st_size < 2 * 1024 * 1024
    recording = Recording(DEMO)
    assert recording.problems == []
    assert len(recording) > 100
    assert recording.header.hostname == "demo" and recording.header.interval == 1.0
    assert 100 < recording.end - recording.start < 600
    first, last = recording.snapshot(0), recording.snapshot(len(recording) - 1)
    assert first.hostname == last.hostname == "demo"
    assert last.cpu.total is not None


def test_the_demo_shows_its_load_busy_and_its_actions_in_order() -> None:
    recording = Recording(DEMO)
    middle = recording.snapshot(len(recording) // 2)
    by_comm = {p.comm: p for p in middle.processes}
    assert {"demo-hog", "demo-rt", "demo-writer", "demo-server", "demo-client"} <= set(by_comm)
    assert (by_comm["demo-hog"].cpu_percent or 0) > 10
    assert by_comm["demo-rt"].policy in ("SCHED_FIFO", "SCHED_RR")
    actions = recording.actions()
    whats = [a.record.what for _, a in actions]
    assert whats == ["nice", "affinity", "policy", "ionice", "sysctl", "sysctl"]
    assert all(a.record.result == "ok" and a.undo_command for _, a in actions)
    assert [i for i, _ in actions] == sorted(i for i, _ in actions)
    swappiness = [a.record for _, a in actions if a.record.what == "sysctl"]
    assert swappiness[0].command == "sysctl -w vm.swappiness=10"
    assert swappiness[1].new == swappiness[0].old  # set back at the end
    # Each action is in the first frame after it was applied.
    for index, action in actions:
        assert recording.frames[index - 1].time <= action.record.time <= recording.frames[index].time


def test_the_demo_holds_no_path_of_the_machine_that_made_it() -> None:
    recording = Recording(DEMO)
    for index in (0, len(recording) - 1):
        for row in recording.snapshot(index).processes:
            assert row.ppid == 2 or row.pid == 2 or row.comm.startswith("demo-"), row
            assert "/work/" not in (row.cmdline or "") and row.cgroup is None


@pytest.mark.slow
@pytest.mark.live
@pytest.mark.machine
@pytest.mark.skipif(os.geteuid() != 0, reason="the demo script sets vm.swappiness and an RT policy")
def test_the_script_records_a_short_demo_and_sets_back_what_it_changed(tmp_path: Path) -> None:
    """Changes vm.swappiness machine-wide for a few seconds (and sets it back)."""
    before = Path("/proc/sys/vm/swappiness").read_text()
    out = tmp_path / "short.perftop"
    script = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--duration", "12", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = script.communicate(timeout=120)
    assert script.returncode == 0, err
    assert Path("/proc/sys/vm/swappiness").read_text() == before
    recording = Recording(out)
    assert len(recording) == 12 and len(recording.actions()) == 6
    assert not list(tmp_path.glob("*.partial"))
    left = subprocess.run(["pgrep", "-f", f"[-]-parent {script.pid}"], capture_output=True, text=True)
    assert left.stdout == ""


def test_the_script_refuses_a_duration_too_short_or_a_user_not_root(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--duration", "3", "--out", str(tmp_path / "x.perftop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert not (tmp_path / "x.perftop").exists()
