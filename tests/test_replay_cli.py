"""``perftop --replay FILE --json [--from T] [--to T]``: the recorded snapshots back as JSON lines (the
round trip), the time options, damaged frames, and bad input (one line, status 2; unreadable: 1)."""

from __future__ import annotations

import json
import os
import struct
import zlib
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.snapshot import Snapshot
from perftop.probes.tunable_files import read_tunables
from perftop.tui.cli import main
from perftop.tui.json_lines import snapshot_to_dict, tunables_to_list
from perftop.tui.recording import MAGIC, Recording
from tests.replay_recordings import START, record_demo

#: Clock times read the same everywhere.
pytestmark = pytest.mark.usefixtures("utc")

FRAMES = 12


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Snapshot], list[dict]]:
    """A recording of 12 demo frames (a renice at 5), its snapshots and the tunables recorded."""
    root = tmp_path_factory.mktemp("replay-cli")
    path = root / "demo.perftop"
    snapshots = record_demo(root / "tree", path, FRAMES, actions_at={5: "renice"}, keyframe_every=4)
    return path, snapshots, tunables_to_list(read_tunables(FS(root / "tree" / "proc", root / "tree" / "sys")))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], list[str]]:
    """perftop's status, the JSON lines it printed and its stderr lines."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, [json.loads(line) for line in out.splitlines()], err.splitlines()


def test_the_json_lines_are_the_recorded_snapshots(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, list[Snapshot], list[dict]]
) -> None:
    path, snapshots, tunables = recorded
    status, lines, err = run(capsys, "--replay", str(path), "--json")
    assert (status, err) == (0, [])
    assert len(lines) == FRAMES
    for line, snapshot in zip(lines, snapshots, strict=True):
        actions = line.pop("actions")
        expected = json.loads(json.dumps(snapshot_to_dict(snapshot) | {"tunables": tunables}))
        for section in expected:
            assert line[section] == expected[section], section
        assert line.keys() == expected.keys()
        assert (actions != []) == (snapshot.time == START + 5)
    status, (frame,), _ = run(capsys, "--replay", str(path), "--json", "--from", "+5s", "--to", "-6s")
    (action,) = frame["actions"]
    assert action["what"] == "nice" and action["command"].startswith("renice -n 5 -p ")
    assert action["process"]["pid"] == int(action["command"].rsplit(" ", 1)[1])


@pytest.mark.parametrize(
    ("start", "end", "times"),
    [
        ("+3s", None, range(3, FRAMES)),
        (None, "-8s", range(0, 4)),
        ("16:00:03", "16:00:05", range(2, 5)),
        ("16:00:03.5", None, None),  # not a time
        (str(START + 2), str(START + 2), range(2, 3)),
        ("2025-11-24T16:00:10", None, range(9, FRAMES)),
    ],
)
def test_from_and_to_choose_the_frames(
    capsys: pytest.CaptureFixture[str],
    recorded: tuple[Path, list[Snapshot], list[dict]],
    start: str | None,
    end: str | None,
    times: range | None,
) -> None:
    argv = ["--replay", str(recorded[0]), "--json"]
    argv += ["--from", start] if start is not None else []
    argv += ["--to", end] if end is not None else []
    status, lines, err = run(capsys, *argv)
    if times is None:
        assert status == 2 and len(err) == 1 and "is not a time" in err[0]
        return
    assert status == 0, err
    assert [line["time"] for line in lines] == [START + i for i in times]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--from", "+5s", "--to", "+2s"], "comes after --to"),
        (["--from", "+1h"], "outside the recording"),
        (["--to", "15:00"], "outside the recording"),
        (["--to=-1h"], "outside the recording"),
        (["--from", "tomorrow"], "is not a time"),
    ],
)
def test_bad_times_are_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str],
    recorded: tuple[Path, list[Snapshot], list[dict]],
    argv: list[str],
    said: str,
) -> None:
    status, lines, err = run(capsys, "--replay", str(recorded[0]), "--json", *argv)
    assert (status, lines) == (2, [])
    assert len(err) == 1 and err[0].startswith("perftop: ") and said in err[0]


def test_bad_files_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a recording\n")
    newer = tmp_path / "newer.perftop"
    body = b'{"format":"perftop-recording","version":9}'
    newer.write_bytes(struct.pack("<12sHII", MAGIC, 9, len(body), zlib.crc32(body)) + body)
    empty = tmp_path / "empty.perftop"
    empty.write_bytes(b"")
    fifo = tmp_path / "fifo.perftop"
    os.mkfifo(fifo)  # refused, not waited on
    for path, status_wanted, said in (
        (text, 2, "is not a perftop recording"),
        (newer, 2, "newer than this perftop reads"),
        (empty, 2, "empty.perftop"),
        (fifo, 2, "not a regular file"),
        (tmp_path / "missing.perftop", 1, "cannot read"),
        (tmp_path, 2, "not a regular file"),
    ):
        status, lines, err = run(capsys, "--replay", str(path), "--json")
        assert (status, lines) == (status_wanted, []), path
        assert len(err) == 1 and said in err[0], (path, err)


def test_options_that_do_not_go_with_replay(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, list[Snapshot], list[dict]]
) -> None:
    for argv, said in (
        (["--from", "+1s", "--json"], "--from and --to go with --replay FILE"),
        (["--replay", str(recorded[0]), "--to", "+1s"], "--to goes with --replay FILE --json"),
        (["--replay", str(recorded[0]), "--json", "--count", "3"], "--count does not go with --replay"),
    ):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        assert said in capsys.readouterr().err


def test_damaged_frames_are_named_and_the_good_ones_printed(
    capsys: pytest.CaptureFixture[str], recorded: tuple[Path, list[Snapshot], list[dict]], tmp_path: Path
) -> None:
    path = tmp_path / "damaged.perftop"
    data = bytearray(recorded[0].read_bytes())
    frames = Recording(recorded[0]).frames
    data[frames[6].offset + 10] ^= 0xFF  # a delta's payload: frames 6 and 7 are lost, 8 is a keyframe
    path.write_bytes(bytes(data[: frames[-1].offset + 5]))  # and the last frame torn
    status, lines, err = run(capsys, "--replay", str(path), "--json")
    assert status == 0
    assert [line["time"] for line in lines] == [START + i for i in (0, 1, 2, 3, 4, 5, 8, 9, 10)]
    assert len(err) == 3 and all(line.startswith("perftop: ") for line in err)
    assert "frame 7 " in err[0] and "damaged" in err[0]
    assert "frame 8 " in err[1] and "follows a damaged frame" in err[1]
    assert "frame 12 " in err[2] and "cut short" in err[2]
