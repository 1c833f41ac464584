"""``perftop --record``: the App writes each sample with the actions applied since the previous one, shows
REC, and goes on without the recording when a write fails."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.recorder_loop import LiveRecording, Tunables, open_recorder
from perftop.tui.recording import Recording
from perftop.tui.tuning import Target
from testbed.demo import DemoMachine


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    with subprocess.Popen(["sleep", "60"]) as proc:
        deadline = time.monotonic() + 5
        while not Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"sleep"):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        try:
            yield proc
        finally:
            proc.kill()


def recording_app(path: Path, *pids: int) -> tuple[PerftopApp, LiveRecording]:
    fs = FS()
    recording = LiveRecording(open_recorder(path, interval=1.0), Tunables(fs))
    app = PerftopApp(Sampler(fs), AppOptions(autorefresh=False, pids=pids, recording=recording))
    return app, recording


def status_of(app: PerftopApp) -> str:
    return str(app.status_line.render())


async def test_an_action_appears_in_the_frame_after_it(
    tmp_path: Path, child: subprocess.Popen[bytes]
) -> None:
    path = tmp_path / "session.rec"
    app, recording = recording_app(path, child.pid)
    before = os.getpriority(os.PRIO_PROCESS, child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        await app.sample_now()
        await pilot.pause()
        assert "REC" in status_of(app)
        await pilot.press("f8")  # nice +1, no dialog
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert os.getpriority(os.PRIO_PROCESS, child.pid) == before + 1
        await app.sample_now()
        await app.sample_now()
    recording.close()
    read = Recording(path)
    assert len(read) == 4 and read.problems == []
    actions = read.actions()
    assert [index for index, _ in actions] == [2]  # the frame sampled after it, that one only
    action = actions[0][1].record
    assert action.subject.target.pid == child.pid
    assert action.command == f"renice -n {before + 1} -p {child.pid}"
    assert actions[0][1].undo_command == f"renice -n {before} -p {child.pid}"
    # The frames show the process before and after, and every section was sampled (the interface shows
    # the process pane only).
    nice = [next(p["nice"] for p in read.data(i)["processes"] if p["pid"] == child.pid) for i in range(4)]
    assert nice[1] == before and nice[2] == before + 1
    lines = list(read.lines())
    assert [len(line["actions"]) for line in lines] == [0, 0, 1, 0]
    last = lines[-1]
    assert last["net"]["tcp_states"] is not None and last["interrupts"] is not None
    assert last["memory"]["dirty_bytes"] is not None
    # The processes' figures are what the interface read: the rows on screen (the child) have them.
    shown = next(p for p in last["processes"] if p["pid"] == child.pid)
    assert shown["voluntary_ctxt_switches"] is not None and shown["affinity"] is not None


async def test_a_failed_write_stops_the_recording_and_the_app_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "session.rec"
    app, recording = recording_app(path, os.getpid())
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        await pilot.pause()
        assert "REC" in status_of(app)
        # The disk fills: every write to /dev/full fails with ENOSPC.
        full = os.open("/dev/full", os.O_WRONLY)
        os.dup2(full, recording.recorder._fd)
        os.close(full)
        await app.sample_now()
        await pilot.pause()
        assert "REC" not in status_of(app)
        messages = [n.message for n in app._notifications]
        assert any("No space left on device" in m and "keeps the 1 frames" in m for m in messages), messages
        await app.sample_now()  # sampling goes on, the recording does not
        assert app.is_running
    recording.close()
    assert recording.frames == 1
    assert len(Recording(path)) == 1


def test_actions_go_into_the_first_frame_sampled_after_them(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path / "tree")
    path = tmp_path / "r.rec"
    recording = LiveRecording(open_recorder(path, interval=1.0), Tunables(machine.fs))
    try:
        machine.sampler.sample()
        machine.advance()
        first = machine.sampler.sample()
        t = first.time
        subject = Subject(Target(3000, 42, None), "sleep", "sleep 60")
        records = [
            ActionRecord(when, subject, "nice", "0", "1", "renice -n 1 -p 3000", "ok")
            for when in (t - 1, t + 1)
        ]
        recording.add_actions(records)
        recording.write(first)  # the action of t + 1 was applied after this sample: not in its frame
        recording.write(replace(first, time=t + 2))
        recording.write(replace(first, time=t + 3))
    finally:
        recording.close()
        machine.close()
    read = Recording(path)
    assert [(index, action.record.time) for index, action in read.actions()] == [(0, t - 1), (1, t + 1)]
    recording.write(replace(first, time=t + 4))  # closed: nothing more is written
    assert len(Recording(path)) == 3
