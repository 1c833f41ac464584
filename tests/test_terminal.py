"""perftop in a real terminal (tmux), as a person runs it: it starts, shows live data, and quits on q."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def _wait_for(session: str, predicate, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if predicate(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"timed out; the screen was:\n{screen}")


@pytest.mark.parametrize(("width", "height"), [(80, 24), (200, 50)])
def test_runs_in_tmux_and_quits(width: int, height: int) -> None:
    session = f"perftop-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TERM": "xterm-256color"}
    command = (
        f"cd {shlex.quote(str(ROOT))} && {shlex.quote(sys.executable)} -m tui.cli --interval 0.5; sleep 30"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command],
        check=True,
        env=env,
    )
    try:
        screen = _wait_for(session, lambda s: "PID" in s and "COMMAND" in s and "Mem" in s and "%" in s)
        lines = screen.splitlines()
        assert len(lines) <= height and all(len(line) <= width for line in lines)
        # This test's own tmux server is a process perftop must list.
        _wait_for(session, lambda s: "tmux" in s or "python" in s)
        _tmux("send-keys", "-t", session, "q")
        _wait_for(session, lambda s: "PID" not in s)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def _start(session: str, width: int, height: int, args: str) -> None:
    env = {**os.environ, "TERM": "xterm-256color"}
    command = f"cd {shlex.quote(str(ROOT))} && {shlex.quote(sys.executable)} -m tui.cli {args}; sleep 30"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), command],
        check=True,
        env=env,
    )


def test_changed_cell_updates_leave_the_screen_a_full_redraw_would_draw() -> None:
    """perftop writes only changed cells; after many such updates on a busy machine the terminal must
    hold exactly what a full redraw of the same (frozen) data gives, colours included."""
    session = f"perftop-test-{uuid.uuid4().hex[:8]}"
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        _start(session, 160, 40, "--interval 0.25")
        _wait_for(session, lambda s: "PID" in s and "COMMAND" in s)
        time.sleep(4)  # ~16 partial updates, rows moving as the busy child and the others change
        _tmux("send-keys", "-t", session, "Z")
        _wait_for(session, lambda s: "FROZEN" in s)
        time.sleep(1)
        partial = _tmux("capture-pane", "-p", "-e", "-t", session)
        # A size change and back makes Textual repaint every cell of the frozen screen.
        _tmux("resize-window", "-t", session, "-x", "120", "-y", "30")
        time.sleep(1)
        _tmux("resize-window", "-t", session, "-x", "160", "-y", "40")
        time.sleep(1.5)
        full = _tmux("capture-pane", "-p", "-e", "-t", session)
        assert partial.splitlines() == full.splitlines()
    finally:
        busy.kill()
        busy.wait()
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_a_machine_where_nothing_changes_costs_almost_no_bytes(tmp_path: Path) -> None:
    """On a fixture tree whose counters never move, each refresh must write (nearly) nothing: only
    what changed goes to the terminal."""
    from tests.fixture_tree import make_tree

    make_tree(tmp_path, cpus=4, processes=40)
    session = f"perftop-test-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "out.bin"
    _start(session, 200, 50, f"--procfs {tmp_path / 'proc'} --sysfs {tmp_path / 'sys'} --interval 0.25")
    try:
        _wait_for(session, lambda s: "PID" in s and "COMMAND" in s)
        time.sleep(2)  # the first rates and the graph's first columns are drawn
        _tmux("pipe-pane", "-t", session, f"cat >> {shlex.quote(str(out))}")
        time.sleep(3)  # ~12 refreshes
        _tmux("pipe-pane", "-t", session)
        written = out.read_bytes() if out.exists() else b""
        assert len(written) < 12 * 16, written[:400]
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_low_bandwidth_flag_starts_without_the_graph() -> None:
    session = f"perftop-test-{uuid.uuid4().hex[:8]}"
    _start(session, 120, 30, "--low-bandwidth --interval 0.5")
    try:
        screen = _wait_for(session, lambda s: "PID" in s and "low-bandwidth" in s)
        assert "100%" not in screen and "avg" not in screen  # the history graph's scale and figures
        _tmux("send-keys", "-t", session, "b")
        screen = _wait_for(session, lambda s: "low-bandwidth" not in s and "avg" in s)
        assert "100%" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def _voluntary_switches(pid: int) -> dict[int, int]:
    """Each thread's voluntary context switches so far: how often it slept and woke."""
    switches = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                switches[int(task.name)] = int(line.split()[1])
    return switches


def test_an_idle_perftop_sleeps_and_still_answers_keys() -> None:
    """With nothing to refresh, no thread wakes on its own (Textual's input thread woke ten times a
    second); a lone Escape after a long idle still closes a dialog, and q still quits at once."""
    session = f"perftop-test-{uuid.uuid4().hex[:8]}"
    _start(session, 120, 30, "--interval 3600")
    try:
        _wait_for(session, lambda s: "PID" in s and "COMMAND" in s)
        pid = int(_tmux("list-panes", "-t", session, "-F", "#{pane_pid}").split()[0])
        python = int(subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout)
        time.sleep(2)  # past the second of polling that follows input
        before = _voluntary_switches(python)
        time.sleep(3)
        after = _voluntary_switches(python)
        woke = {tid: after[tid] - before[tid] for tid in before if tid in after}
        assert max(woke.values()) <= 3, woke
        _tmux("send-keys", "-t", session, "F1")
        _wait_for(session, lambda s: "perftop keys" in s)
        time.sleep(1.5)
        _tmux("send-keys", "-t", session, "Escape")
        _wait_for(session, lambda s: "perftop keys" not in s, timeout=3)
        _tmux("send-keys", "-t", session, "q")
        _wait_for(session, lambda s: "PID" not in s, timeout=3)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
