"""``perftop record``: what it writes is what ``--json`` gives for the same samples; rotation, signals, a full
disk and bad arguments."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import Snapshot
from perftop.tui import cli
from perftop.tui.json_lines import snapshot_to_dict
from perftop.tui.recorder_loop import (
    EVERY_SECTION,
    Tunables,
    file_problem,
    frame_size,
    max_size_problem,
    open_recorder,
    parse_duration,
    parse_size,
    record,
)
from perftop.tui.recording import MAGIC, Recording, RecordingError, segment_path
from testbed.demo import DemoMachine
from testbed.fixture_tree import SteppingClock, make_tree
from tests.unprivileged import run_as_nobody

IS_ROOT = os.geteuid() == 0
ENDED = re.compile(r"^perftop: recorded (\d+) frames \((\d+\.\d\d) MB\) to (.+)\n$")


# -- parsing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1.5m", 90)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5", "10x", "m", "1e3", "ten"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"),
    [("500000", 500000), ("500k", 512000), ("100M", 100 << 20), ("2G", 2 << 30), ("1mb", 1 << 20)],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "0k", "-1M", "5X", "big"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


# -- what is recorded ----------------------------------------------------------------------------------


def expected_line(snapshot: Snapshot, tunables: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``--json`` prints for ``snapshot``, through JSON as a reader gets it."""
    data = snapshot_to_dict(snapshot) | {"tunables": tunables}
    out: dict[str, Any] = json.loads(json.dumps(data))
    return out


def assert_same_lines(recorded: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert len(recorded) == len(expected)
    for index, (got, want) in enumerate(zip(recorded, expected, strict=True)):
        assert got.pop("actions") == []
        assert sorted(got) == sorted(want), index
        for section in want:  # one section at a time, so a failure names it
            assert got[section] == want[section], (index, section)


def record_frames(
    sampler: Sampler,
    path: Path,
    frames: int,
    *,
    interval: float = 0.01,
    between: Callable[[], None] = lambda: None,
    **recorder_options: Any,
) -> list[dict[str, Any]]:
    """Record ``frames`` frames (``between`` runs after each); the ``--json`` lines of what was recorded."""
    expected: list[dict[str, Any]] = []
    stop = threading.Event()

    def observe(snapshot: Snapshot, tunables: list[dict[str, Any]]) -> None:
        expected.append(expected_line(snapshot, tunables))
        if len(expected) == frames:
            stop.set()
        between()

    recorder = open_recorder(path, interval=interval, **recorder_options)
    try:
        result = record(sampler, recorder, interval=interval, duration=None, stop=stop, observe=observe)
    finally:
        recorder.close()
    assert result.error is None
    assert result.frames == frames
    return expected


def test_a_fixture_tree_recorded_reads_back_as_json_lines(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path / "tree")
    try:
        machine.sampler.sample(**EVERY_SECTION)
        machine.advance()
        path = tmp_path / "demo.rec"
        expected = record_frames(machine.sampler, path, 6, between=machine.advance, keyframe_every=4)
    finally:
        machine.close()
    recording = Recording(path)
    assert recording.problems == []
    assert [f.kind for f in recording.frames] == [b"K", b"D", b"D", b"D", b"K", b"D"]
    lines = list(recording.lines())
    assert_same_lines(lines, expected)
    # Every section is there, with rates (the baseline came first) and every process's figures.
    last = expected[-1]
    assert last["interrupts"] is not None and last["net"]["tcp_states"] is not None
    assert last["memory"]["dirty_bytes"] is not None
    assert all(p["voluntary_ctxt_switches"] is not None for p in last["processes"] if p["state"] != "Z")


def test_the_live_machine_recorded_reads_back_as_json_lines(tmp_path: Path) -> None:
    sampler = Sampler(FS())
    try:
        sampler.sample(**EVERY_SECTION)
        path = tmp_path / "live.rec"
        expected = record_frames(sampler, path, 3, interval=0.2)
    finally:
        sampler.close()
    recording = Recording(path)
    assert recording.problems == []
    assert recording.header.hostname == os.uname().nodename
    assert_same_lines(list(recording.lines()), expected)
    assert len(expected[-1]["processes"]) > 1


def test_tunables_are_read_again_only_after_their_period(tmp_path: Path) -> None:
    now = [0.0]
    fs = make_tree(tmp_path)
    tunables = Tunables(fs, every=10.0, clock=lambda: now[0])
    first = tunables.current()
    now[0] = 9.0
    assert tunables.current() is first  # the same list: the recorder's delta skips it at once
    now[0] = 10.0
    assert tunables.current() is first  # read again, unchanged: still the same list
    tunables.expire()
    assert tunables.current() is first


def test_rotation_keeps_the_newest_frames_within_the_size(tmp_path: Path) -> None:
    tick = [0]
    root = tmp_path / "tree"
    fs = make_tree(root, processes=12)

    def advance() -> None:
        tick[0] += 1
        make_tree(root, processes=12, tick=tick[0])

    sampler = Sampler(fs, clock=SteppingClock())
    try:
        baseline = sampler.sample(**EVERY_SECTION)
        keyframe = frame_size(baseline, Tunables(fs).current())
        max_size = 6 * keyframe
        assert max_size_problem(max_size, keyframe) is None
        advance()
        path = tmp_path / "ring.rec"
        expected = record_frames(sampler, path, 30, between=advance, keyframe_every=3, max_size=max_size)
    finally:
        sampler.close()
    assert path.stat().st_size + segment_path(path).stat().st_size <= max_size
    recording = Recording(path)
    assert recording.problems == []
    assert 5 < len(recording) < 30
    # The newest frames, the last one last, with nothing missing between them.
    assert_same_lines(list(recording.lines()), expected[-len(recording) :])


def test_a_max_size_without_room_for_frames_is_refused() -> None:
    assert max_size_problem(100_000, 30_000) is not None
    assert "at least 120000 bytes" in (max_size_problem(100_000, 30_000) or "")
    assert max_size_problem(120_000, 30_000) is None


# -- the command ---------------------------------------------------------------------------------------


def fixture_args(root: Path) -> list[str]:
    make_tree(root, processes=200)
    return ["--procfs", str(root / "proc"), "--sysfs", str(root / "sys")]


def perftop(*args: str, **options: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "perftop.tui.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def frames_in(path: Path) -> int:
    try:
        return len(Recording(path))
    except RecordingError:
        return 0


def test_duration_ends_the_recording_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "r.rec"
    proc = perftop("record", str(path), "--interval", "0.1", "--duration", "0.5", *fixture_args(tmp_path))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out == ""  # headless: standard output is left alone
    m = ENDED.match(err)
    assert m is not None, err
    assert int(m.group(1)) == len(Recording(path)) == 5
    assert m.group(3) == str(path)
    # Appended to when run again: a keyframe begins the new run.
    proc = perftop("record", str(path), "--interval", "0.1", "--duration", "0.2", *fixture_args(tmp_path))
    assert proc.wait(timeout=30) == 0
    recording = Recording(path)
    assert len(recording) == 7 and recording.frames[5].kind == b"K" and recording.problems == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_end_the_recording_with_the_file_whole(tmp_path: Path, signum: int) -> None:
    path = tmp_path / "r.rec"
    proc = perftop("record", str(path), "--interval", "0.05", *fixture_args(tmp_path))
    deadline = time.monotonic() + 30
    while frames_in(path) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    m = ENDED.match(err)
    assert m is not None, err
    recording = Recording(path)
    assert recording.problems == []
    assert int(m.group(1)) == len(recording) >= 3


def test_an_ignored_sighup_stays_ignored(tmp_path: Path) -> None:
    """``nohup perftop record``: the terminal going away does not end the recording."""
    path = tmp_path / "r.rec"

    def nohup() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    proc = perftop("record", str(path), "--interval", "0.05", *fixture_args(tmp_path), preexec_fn=nohup)
    deadline = time.monotonic() + 30
    while frames_in(path) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGHUP)
    seen = frames_in(path)
    while frames_in(path) < seen + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and ENDED.match(err), err
    assert Recording(path).problems == []


def check_full_disk_result(returncode: int, err: str, copy: Path) -> None:
    assert returncode == 1, err
    assert err.count("\n") == 1 and err.startswith("perftop: recording stopped: cannot write "), err
    recording = Recording(copy)
    assert recording.problems == []  # cut back to the last whole frame
    kept = re.search(r"keeps the (\d+) frames", err)
    assert kept is not None and int(kept.group(1)) == len(recording) > 0


@pytest.mark.slow
@pytest.mark.skipif(not IS_ROOT or shutil.which("unshare") is None, reason="needs root and unshare")
def test_a_full_disk_stops_the_recording_and_keeps_what_was_written(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    copy = tmp_path / "kept.rec"
    command = (
        f"mount -t tmpfs -o size=256k perftop-test {disk} || exit 99; "
        f"{sys.executable} -m perftop.tui.cli record {disk}/r.rec --interval 0.05 --keyframe-every 1 "
        + " ".join(fixture_args(tmp_path / "tree"))
        + f"; status=$?; cp {disk}/r.rec {copy}; exit $status"
    )
    # A private mount namespace: the small tmpfs is seen by this child alone and goes with it.
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert "No space left on device" in proc.stderr
    check_full_disk_result(proc.returncode, proc.stderr, copy)


def test_a_file_size_limit_stops_the_recording_and_keeps_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "r.rec"

    def limited() -> None:  # in the child: writes past 200 kB fail with EFBIG instead of killing it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    args = fixture_args(tmp_path / "tree")
    proc = perftop(
        "record", str(path), "--interval", "0.05", "--keyframe-every", "1", *args, preexec_fn=limited
    )
    _, err = proc.communicate(timeout=120)
    assert "File too large" in err
    check_full_disk_result(proc.returncode, err, path)
    assert path.stat().st_size <= 200_000


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        status = cli.main(args)
    except SystemExit as end:
        status = int(end.code or 0)
    return status, capsys.readouterr().err


def test_a_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, err = run_main(["record", str(tmp_path), "--duration", "1"], capsys)
    assert status == 2
    assert "is a directory" in err.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


def test_another_file_is_refused_and_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes\n")
    status, err = run_main(["record", str(path), "--duration", "1"], capsys)
    assert status == 2
    assert "is not a perftop recording" in err.splitlines()[-1]
    assert path.read_text() == "my notes\n"
    status, err = run_main(["--record", str(path)], capsys)
    assert status == 2 and "is not a perftop recording" in err.splitlines()[-1]
    assert file_problem(Path("/dev/null")) is not None


def test_an_unwritable_path_fails_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "missing" / "r.rec"
    status, err = run_main(["record", str(path), "--duration", "1", *fixture_args(tmp_path)], capsys)
    assert status == 1
    assert err == f"perftop: cannot write {path}: No such file or directory\n"
    assert not path.parent.exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["record"], "the following arguments are required: FILE"),
        (["record", "r.rec", "--duration", "soon"], "not a duration"),
        (["record", "r.rec", "--max-size", "lots"], "not a size"),
        (["record", "r.rec", "--interval", "0"], "interval must be between"),
        (["record", "r.rec", "--keyframe-every", "0"], "at least 1"),
        (["--record", "r.rec", "--json"], "perftop record FILE"),
        (["--max-size", "1M"], "--max-size goes with --record"),
    ],
)
def test_bad_arguments(
    args: list[str],
    said: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    status, err = run_main(args, capsys)
    assert status == 2
    assert said in err.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


def test_record_and_replay_together_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not any("--replay" in a.option_strings for a in cli.build_parser()._actions):
        pytest.skip("no --replay in this build")
    status, err = run_main(["--record", str(tmp_path / "r.rec"), "--replay", str(tmp_path / "x")], capsys)
    assert status == 2 and "--record and --replay" in err
    assert list(tmp_path.iterdir()) == []


def test_a_max_size_too_small_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.rec"
    status, err = run_main(["record", str(path), "--max-size", "10k", *fixture_args(tmp_path)], capsys)
    assert status == 2
    assert "leave no room" in err.splitlines()[-1] and "give at least" in err
    assert not path.exists()


def test_a_recording_of_a_newer_format_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "new.rec"
    body = b'{"format":"perftop-recording","version":9}'
    path.write_bytes(struct.pack("<12sHII", MAGIC, 9, len(body), zlib.crc32(body)) + body)
    before = path.read_bytes()
    status, err = run_main(["record", str(path), "--duration", "1"], capsys)
    assert status == 2
    assert "format version 9, newer than this perftop reads" in err.splitlines()[-1]
    assert path.read_bytes() == before


def test_a_directory_the_user_cannot_write_fails_with_one_line(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o755)

    def work() -> dict[str, Any]:
        try:
            open_recorder(closed / "r.rec", interval=1.0)
        except RecordingError as error:
            return {"error_line": str(error)}
        return {"error_line": None}

    out = run_as_nobody(work)
    assert out["error_line"] == f"cannot write {closed / 'r.rec'}: Permission denied"
    assert list(closed.iterdir()) == []
