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
