"""``perftop --record`` in a real terminal (tmux): REC on the status line, the file whole after q or a signal,
one line said at the end."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import sys
from pathlib import Path

import pytest

from perftop.tui.recording import Recording
from testbed.tmux import private_tmux, wait_for_screen

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def child_of(pid: int) -> int:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert children, f"process {pid} started no child"
    return int(children[0])


@pytest.mark.parametrize("end", ["q", "SIGTERM"])
def test_the_interface_records_until_it_ends(tmp_path: Path, end: str) -> None:
    path = tmp_path / "session.rec"
    shell = (
        f"{shlex.quote(sys.executable)} -m perftop.tui.cli --interval 0.3 --record {shlex.quote(str(path))}; "
        "echo status=$?; sleep 60"
    )
    with private_tmux("perftop-record") as tmux:
        shell_pid = tmux.start(["sh", "-c", shell], 160, 40, str(ROOT))
        screen = wait_for_screen(tmux, lambda s: "REC" in s and "PID" in s, "REC", seconds=20, poll=0.2)
        assert "REC" in screen.splitlines()[-1]
        wait_for_screen(tmux, lambda _: len(Recording(path)) >= 4, "4 frames", seconds=20, poll=0.2)
        if end == "q":
            tmux.run("send-keys", "-t", "bench", end)
        else:
            os.kill(child_of(shell_pid), signal.SIGTERM)
        screen = wait_for_screen(tmux, lambda s: "status=" in s, "the end", seconds=20, poll=0.2)
    assert ("status=0" if end == "q" else "status=143") in screen
    said = re.search(r"perftop: recorded (\d+) frames \((\d+\.\d\d) MB\) to (\S+)", screen.replace("\n", ""))
    assert said is not None, screen
    recording = Recording(path)
    assert recording.problems == []
    assert int(said.group(1)) == len(recording) >= 4
    last = recording.data(len(recording) - 1)
    assert last["net"]["tcp_states"] is not None and last["interrupts"] is not None
