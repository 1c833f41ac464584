"""The recording format (tui/recording.py): deltas, round trips from a fixture tree, torn tails, damaged
frames, rotation, appending, headers and the times the command line takes."""

from __future__ import annotations

import json
import os
import struct
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perftop.probes.sampler import Sampler
from perftop.probes.tunable_files import read_tunables
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.json_lines import snapshot_to_dict, tunables_to_list
from perftop.tui.recording import (
    FRAME_HEAD_BYTES,
    MAGIC,
    Recorder,
    Recording,
    RecordingError,
    action_from_dict,
    action_to_dict,
    diff,
    parse_when,
    patch,
    read_header,
    segment_path,
)
from perftop.tui.snapshot_codec import snapshot_from_dict
from perftop.tui.system_tuning import Setting, SettingResult
from perftop.tui.tuning import Target
from testbed.fixture_tree import SteppingClock, make_tree
from tests.factories import make_proc

FRAMES = 12
KEY_EVERY = 5


class WallClock:
    """Epoch seconds moving one second per reading, from a fixed start."""

    def __init__(self) -> None:
        self.now = 1_765_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _record(tmp_path: Path, path: Path, frames: int = FRAMES, **recorder: Any) -> list[dict[str, Any]]:
    """Record ``frames`` samples of a changing fixture tree; return the ``--json`` data of each."""
    tree = tmp_path / "tree"
    fs = make_tree(tree, cpus=4, processes=14, tick=0)
    sampler = Sampler(fs, clock=SteppingClock(), wall_clock=WallClock())
    every: dict[str, Any] = {"cgroup_pids": None, "sched_pids": None, "throttle_pids": None}
    sampler.sample(**every)
    options: dict[str, Any] = {"interval": 1.0, "hostname": "fixture", "keyframe_every": KEY_EVERY} | recorder
    out = []
    recording = Recorder(path, **options)
    try:
        for tick in range(1, frames + 1):
            # Processes come and go, so the deltas add and remove entries too.
            make_tree(tree, cpus=4, processes=14 + tick % 3, tick=tick)
            snapshot = sampler.sample(**every)
            tunables = tunables_to_list(read_tunables(fs))
            recording.add(snapshot, tunables=tunables)
            data = snapshot_to_dict(snapshot) | {"tunables": tunables}
            out.append(json.loads(json.dumps(data)))
    finally:
        recording.close()
        sampler.close()
    return out


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("rec")
    path = tmp / "fixture.perftop"
    return path, _record(tmp, path)


def _frames_of(recording: Recording) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(recording.data(i))) for i in range(len(recording))]


def _by_time(data: list[dict[str, Any]]) -> dict[float, dict[str, Any]]:
    return {d["time"]: d for d in data}


# -- round trip ------------------------------------------------------------------------------------------


def test_round_trip_gives_back_every_section(recorded: tuple[Path, list[dict[str, Any]]]) -> None:
    path, want = recorded
    recording = Recording(path)
    assert recording.problems == []
    assert len(recording) == FRAMES
    assert [f.kind for f in recording.frames] == [b"K" if i % KEY_EVERY == 0 else b"D" for i in range(FRAMES)]
    lines = list(recording.lines())
    assert [line.pop("actions") for line in lines] == [[]] * FRAMES
    for got, expected in zip(lines, want, strict=True):
        got = json.loads(json.dumps(got))
        assert got.keys() == expected.keys()
        for section in expected:
            assert got[section] == expected[section], section


def test_snapshots_read_back_are_the_recorded_ones(recorded: tuple[Path, list[dict[str, Any]]]) -> None:
    path, want = recorded
    recording = Recording(path)
    # Backwards too: a step back replays from the keyframe before.
    for i in reversed(range(FRAMES)):
        snapshot = recording.snapshot(i)
        expected = dict(want[i])
        del expected["tunables"]
        assert json.loads(json.dumps(snapshot_to_dict(snapshot))) == expected
    assert recording.index_at(want[7]["time"]) == 7
    assert recording.index_at(want[7]["time"] + 0.5) == 7
    assert recording.index_at(0.0) == 0


def test_deltas_are_smaller_than_keyframes(recorded: tuple[Path, list[dict[str, Any]]]) -> None:
    recording = Recording(recorded[0])
    keys = [f.length for f in recording.frames if f.kind == b"K"]
    deltas = [f.length for f in recording.frames if f.kind == b"D"]
    assert max(deltas) < min(keys)


# -- deltas ----------------------------------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=3)


def _entries(key: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    entry = st.fixed_dictionaries({"v": _scalars, "w": st.lists(st.integers(0, 3), max_size=3)})
    return st.dictionaries(st.integers(0, 8), entry, max_size=7).map(
        lambda d: [{key: k} | v for k, v in d.items()]
    )


_json = st.recursive(
    _scalars | _entries("pid") | _entries("name"),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from("abc-"), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(old=_json, new=_json)
def test_patch_of_diff_gives_the_new_value_and_leaves_the_old(old: Any, new: Any) -> None:
    before = json.dumps(old)
    change = json.loads(json.dumps(diff(old, new)))  # as a frame holds it
    assert patch(old, change) == new
    assert json.dumps(old) == before
    if json.dumps(old) == json.dumps(new):
        assert change is None


def test_a_list_of_named_entries_keeps_only_the_changed_ones() -> None:
    old = [{"pid": p, "cpu": 0.0, "comm": f"p{p}"} for p in range(100)]
    new = [dict(e) for e in old[1:]] + [{"pid": 500, "cpu": 1.0, "comm": "new"}]
    new[10]["cpu"] = 50.0
    change = diff(old, new)
    assert change[0] == "L" and change[1] == "pid"
    assert change[3] == [[11, ["D", {"cpu": ["=", 50.0]}]]]
    assert change[4] == [{"pid": 500, "cpu": 1.0, "comm": "new"}]
    assert patch(old, change) == new


# -- torn tails and damage -------------------------------------------------------------------------------


def test_a_file_cut_anywhere_inside_its_last_frame_replays_every_earlier_frame(
    recorded: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    path, want = recorded
    data = path.read_bytes()
    last = Recording(path).frames[-1]
    last_start = last.offset - FRAME_HEAD_BYTES
    cut = tmp_path / "cut.perftop"
    for end in range(last_start, len(data)):
        cut.write_bytes(data[:end])
        recording = Recording(cut)
        assert len(recording) == FRAMES - 1, end
        if end == last_start:
            assert recording.problems == []
        else:
            assert len(recording.problems) == 1, end
            assert f"frame {FRAMES} at byte {last_start} is cut short" in recording.problems[0]
        assert json.loads(json.dumps(recording.data(FRAMES - 2))) == want[FRAMES - 2]


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1 :]


def test_a_flipped_byte_in_any_frame_is_named_and_the_rest_replays(
    recorded: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    path, want = recorded
    data = path.read_bytes()
    frames = Recording(path).frames
    by_time = _by_time(want)
    damaged = tmp_path / "damaged.perftop"
    for number, frame in enumerate(frames, start=1):
        start = frame.offset - FRAME_HEAD_BYTES
        # The head's magic, kind, time, length, payload checksum, head checksum; then the payload.
        spots = [start, start + 2, start + 6, start + 12, start + 16, start + 20]
        spots += [frame.offset, frame.offset + frame.length // 2, frame.offset + frame.length - 1]
        for at in spots:
            damaged.write_bytes(_flip(data, at))
            recording = Recording(damaged)
            assert any(f"frame {number} at byte {start}" in p for p in recording.problems), (number, at)
            kept = _frames_of(recording)
            # Every frame that replays is exactly the one recorded at its time, and every frame before the
            # damaged one replays.
            assert all(by_time[d["time"]] == d for d in kept)
            times = {d["time"] for d in kept}
            assert {d["time"] for d in want[: number - 1]} <= times
            assert want[number - 1]["time"] not in times
            # From the next keyframe on, everything replays again.
            next_key = (number - 1) // KEY_EVERY * KEY_EVERY + KEY_EVERY
            assert {d["time"] for d in want[next_key:]} <= times


def test_garbage_between_frames_is_skipped_and_named(
    recorded: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    path, want = recorded
    data = path.read_bytes()
    third = Recording(path).frames[KEY_EVERY].offset - FRAME_HEAD_BYTES
    spliced = tmp_path / "spliced.perftop"
    spliced.write_bytes(data[:third] + b"PF garbage \x00\x01" * 3 + data[third:])
    recording = Recording(spliced)
    assert len(recording) == FRAMES
    assert len(recording.problems) == 1 and "damaged" in recording.problems[0]
    assert _frames_of(recording) == want


# -- headers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a perftop recording"),
        (b"hello, world\n" * 10, "not a perftop recording"),
        (MAGIC[:5], "cut short inside its header"),
        (b"\x1b]0;pwned\x07" * 4, "not a perftop recording"),
    ],
)
def test_a_file_that_is_not_a_recording_is_refused_in_one_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "x\x1b[31m.perftop"
    path.write_bytes(content)
    with pytest.raises(RecordingError) as caught:
        Recording(path)
    text = str(caught.value)
    assert message in text and "\n" not in text and "\x1b" not in text


def test_a_newer_format_version_is_refused_by_name(
    recorded: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    data = bytearray(recorded[0].read_bytes())
    struct.pack_into("<H", data, len(MAGIC), 7)
    newer = tmp_path / "newer.perftop"
    newer.write_bytes(bytes(data))
    with pytest.raises(RecordingError, match="format version 7, newer than this perftop reads"):
        Recording(newer)
    with pytest.raises(RecordingError, match="newer than this perftop reads"):
        Recorder(newer, interval=1.0, hostname=None)
    assert newer.read_bytes() == bytes(data)


def test_a_damaged_header_is_named(recorded: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    data = recorded[0].read_bytes()
    bad = tmp_path / "bad.perftop"
    bad.write_bytes(_flip(data, len(MAGIC) + 12))
    with pytest.raises(RecordingError, match="damaged header"):
        Recording(bad)


def test_a_recording_with_only_a_header_has_nothing_to_replay(tmp_path: Path) -> None:
    path = tmp_path / "empty.perftop"
    Recorder(path, interval=1.0, hostname="h").close()
    assert read_header(path).hostname == "h"
    with pytest.raises(RecordingError, match="no whole frame"):
        Recording(path)


# -- writing: appending, refusing, rotating --------------------------------------------------------------


def test_another_file_is_never_written_over(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes\n")
    with pytest.raises(RecordingError, match="not a perftop recording"):
        Recorder(path, interval=1.0, hostname=None)
    assert path.read_text() == "my notes\n"
    with pytest.raises(RecordingError, match="is not a regular file"):
        Recorder(tmp_path, interval=1.0, hostname=None)
    with pytest.raises(RecordingError, match=r"cannot write .*No such file or directory"):
        Recorder(tmp_path / "missing" / "x.perftop", interval=1.0, hostname=None)


def test_a_recording_opened_again_continues_with_a_keyframe(tmp_path: Path) -> None:
    path = tmp_path / "two.perftop"
    first = _record(tmp_path / "a", path, frames=3)
    second = _record(tmp_path / "b", path, frames=3)
    recording = Recording(path)
    assert recording.problems == []
    assert [f.kind for f in recording.frames] == [b"K", b"D", b"D", b"K", b"D", b"D"]
    assert _frames_of(recording) == first + second


def test_rotation_keeps_the_newest_frames_within_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "rot.perftop"
    one = Recorder(path, interval=1.0, hostname="h")
    one.close()
    limit = 40_000
    want = _record(tmp_path, path.with_name("fresh.perftop"), frames=40, max_size=limit)
    fresh = path.with_name("fresh.perftop")
    older = segment_path(fresh)
    assert older.exists()
    assert fresh.stat().st_size + older.stat().st_size <= limit
    recording = Recording(fresh)
    kept = _frames_of(recording)
    assert kept[-1] == want[-1]
    # The newest frames, contiguous, the older segment's first.
    assert kept == want[len(want) - len(kept) :]
    assert len(kept) > 5
    assert read_header(fresh).segment > read_header(older).segment


def test_an_older_segment_of_another_session_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "rot.perftop"
    _record(tmp_path, path, frames=30, max_size=30_000)
    stranger = tmp_path / "other.perftop"
    _record(tmp_path / "o", stranger, frames=2)
    segment_path(path).write_bytes(stranger.read_bytes())
    recording = Recording(path)
    assert len(recording) < 30
    assert all(f.path == path for f in recording.frames)


# -- actions ---------------------------------------------------------------------------------------------


def test_actions_travel_with_the_frame_after_them(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    fs = make_tree(tree, cpus=2, processes=4, tick=0)
    sampler = Sampler(fs, clock=SteppingClock(), wall_clock=WallClock())
    sampler.sample()
    subject = Subject(Target(1234, 5678, None), "hog\x1b[2J", "/usr/bin/hog --fast")
    setting = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")
    result = SettingResult(setting, "60", "10", "sysctl -w vm.swappiness=10", "sysctl -w vm.swappiness=60")
    renice = ActionRecord(0.0, subject, "nice", "0", "5", "renice -n 5 -p 1234", "ok")
    sysctl = ActionRecord.of(0.0, setting, "sysctl", result, None)
    path = tmp_path / "actions.perftop"
    recorder = Recorder(path, interval=1.0, hostname=None)
    recorder.add(sampler.sample())
    recorder.add(sampler.sample(), actions=[renice, sysctl])
    recorder.add(sampler.sample())
    recorder.close()
    sampler.close()
    recording = Recording(path)
    found = recording.actions()
    assert [index for index, _ in found] == [1, 1]
    got_renice, got_sysctl = (a for _, a in found)
    assert got_renice.record.subject == subject
    assert (got_renice.record.what, got_renice.record.old, got_renice.record.new) == ("nice", "0", "5")
    assert got_renice.record.command == "renice -n 5 -p 1234" and got_renice.undo_command is None
    assert got_sysctl.record.subject == setting
    assert got_sysctl.undo_command == "sysctl -w vm.swappiness=60"
    assert [len(line["actions"]) for line in recording.lines()] == [0, 2, 0]


def test_an_action_round_trips_through_its_dict() -> None:
    subject = Subject(Target(7, 70, 5), "worker", "worker")
    record = ActionRecord(12.5, subject, "affinity", "0-3", "1", "taskset -p -c 1 7", "ok")
    back = action_from_dict(json.loads(json.dumps(action_to_dict(record))))
    assert back.record == record


# -- times -----------------------------------------------------------------------------------------------


def test_parse_when() -> None:
    start, end = 1_765_000_000.0, 1_765_003_600.0
    kw = {"plus_from": start, "minus_from": end, "day_of": start}
    assert parse_when("+30s", **kw) == start + 30
    assert parse_when("+2m", **kw) == start + 120
    assert parse_when("-10m", **kw) == end - 600
    assert parse_when("-1.5h", **kw) == end - 5400
    assert parse_when(str(start + 5), **kw) == start + 5
    day = time.localtime(start)
    at = parse_when("14:05", **kw)
    assert time.localtime(at)[:6] == (day.tm_year, day.tm_mon, day.tm_mday, 14, 5, 0)
    assert time.localtime(parse_when("2026-12-07T14:05:30", **kw))[:6] == (2026, 12, 7, 14, 5, 30)
    for bad in ("tomorrow", "25:00", "-", "+5x", "\x1b[31m", ""):
        with pytest.raises(ValueError, match="not a time") as caught:
            parse_when(bad, **kw)
        assert "\x1b" not in str(caught.value)


def test_snapshot_from_dict_ignores_unknown_keys_and_fills_missing_ones(
    recorded: tuple[Path, list[dict[str, Any]]],
) -> None:
    data = json.loads(json.dumps(recorded[1][0]))
    data["a_newer_section"] = {"x": 1}
    del data["processes"][0]["cgroup"]
    snapshot = snapshot_from_dict(data)
    assert snapshot.processes[0].cgroup is None
    assert snapshot.processes[1].pid == data["processes"][1]["pid"]


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.perftop"
    os.mkfifo(fifo)
    with pytest.raises(RecordingError, match="not a regular file"):
        Recording(fifo)
    with pytest.raises(RecordingError, match="not a regular file"):
        Recorder(fifo, interval=1.0, hostname=None)


def test_stepping_forward_reuses_the_rows_of_processes_that_did_not_change(
    recorded: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    # Every process of the fixture tree changes each tick: make one that does not, and one that does.
    base = Recording(recorded[0]).snapshot(0)
    idle, busy = make_proc(50), make_proc(51)
    others = tuple(make_proc(pid) for pid in range(60, 64))  # a list long enough to be sent entry by entry
    path = tmp_path / "rows.perftop"
    recorder = Recorder(path, interval=1.0, hostname=None)
    for k in range(3):
        busy_now = replace(busy, cpu_time_seconds=float(k))
        recorder.add(replace(base, time=base.time + k, processes=(idle, busy_now, *others)))
    recorder.close()
    recording = Recording(path)
    first, second = recording.snapshot(1), recording.snapshot(2)
    assert second.processes[0] == idle and second.processes[0] is first.processes[0]
    assert second.processes[1].cpu_time_seconds == 2.0 and first.processes[1].cpu_time_seconds == 1.0
