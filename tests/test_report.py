"""``perftop report``: a recording's charts, their metrics, the marks of its actions, --save, bad input."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path
from typing import Any

import pytest

from perftop.tui import cli, report
from perftop.tui.recording import Recording
from tests.report_recording import (
    FRAMES,
    GIB,
    HOSTILE_PID,
    LATE_FROM,
    LATE_PID,
    RENICE_AFTER,
    START,
    figures,
    make_recording,
)
from tests.unprivileged import run_as_nobody

#: Clock times read the same everywhere.
pytestmark = pytest.mark.usefixtures("utc")

GOLDEN = Path(__file__).parent / "fixtures" / "report" / "demo_100x30.txt"
#: Set to rewrite the golden file from the current drawing (then look at it, and commit it).
UPDATE_GOLDEN = "PERFTOP_UPDATE_GOLDEN"
HOSTILE_SHOWN = "\\e]2;pw\\a\\e[6n"


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_recording(tmp_path_factory.mktemp("report"))


def run(*args: str) -> tuple[int, str, str]:
    """``perftop report ARGS`` in this process: its status, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(["report", *args])
        except SystemExit as exit:
            status = int(exit.code or 0)
    return status, out.getvalue(), err.getvalue()


def chart_lines(text: str, title: str) -> list[str]:
    """The lines of the chart titled ``title`` (from its title to its frame's bottom line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if title in line)
    end = next(i for i in range(start, len(lines)) if lines[i].lstrip().startswith("└"))
    return lines[start : end + 1]


def test_the_chart_at_a_fixed_size_is_the_golden_one(recording: Path) -> None:
    """The whole drawing, no colour, at 100x30: header, charts on one time axis, marks and their list."""
    status, out, err = run(str(recording), "--size", "100x30")
    assert (status, err) == (0, "")
    if os.environ.get(UPDATE_GOLDEN):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(out, encoding="utf-8")
    assert out == GOLDEN.read_text(encoding="utf-8")
    lines = out.splitlines()
    assert len(lines) == 30 and max(len(line) for line in lines) <= 100


def test_without_a_terminal_the_chart_is_plain_at_80x24(recording: Path) -> None:
    status, out, _ = run(str(recording))
    assert status == 0
    assert "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert lines[0].startswith("demo\\e[2J: 2025-01-01 12:00:00 to 12:00:29, 30 samples")


def test_collect_reads_every_frame_as_recorded(recording: Path) -> None:
    rec = Recording(recording)
    metrics = ["cpu", "cpu-states", "memory", "proc-cpu"]
    data = report.collect(rec, metrics, 0, len(rec) - 1, pid=HOSTILE_PID)
    assert data.times == tuple(START + i for i in range(FRAMES))
    cpu, states, memory, process = data.charts
    expected = [figures(i) for i in range(FRAMES)]
    assert cpu.names == ("busy", "iowait")
    assert cpu.values == (
        tuple(f["user"] + f["system"] for f in expected),
        tuple(f["iowait"] for f in expected),
    )
    assert states.names == ("user", "system", "irq", "steal")
    assert states.values[0] == tuple(f["user"] for f in expected)
    assert states.values[1] == tuple(f["system"] for f in expected)
    assert memory.values[0] == tuple(float(f["used"]) for f in expected)
    assert process.values[0] == tuple(f["hostile_cpu"] for f in expected)
    assert process.title == f"PID {HOSTILE_PID} ({HOSTILE_SHOWN}) CPU % (100 = one core)"
    late = report.collect(rec, ["proc-cpu"], 0, len(rec) - 1, pid=LATE_PID).charts[0]
    assert late.values[0] == (None,) * LATE_FROM + (25.0,) * (FRAMES - LATE_FROM)


def test_the_busiest_disk_is_charted_unless_one_is_named(recording: Path) -> None:
    rec = Recording(recording)
    busiest = report.collect(rec, ["disk-util"], 0, len(rec) - 1).charts[0]
    assert busiest.title == "Disk util % of nvme1n1"
    assert busiest.values[0][0] == 30.0 and busiest.values[0][-1] == 70.0
    named = report.collect(rec, ["disk-util"], 0, len(rec) - 1, device="nvme0n1").charts[0]
    assert named.title == "Disk util % of nvme0n1" and set(named.values[0]) == {5.0}


def test_metrics_are_chosen_by_name(recording: Path) -> None:
    status, out, _ = run(str(recording), "--metric", "load,cswitch", "--size", "100x30")
    assert status == 0
    assert "Load average" in out and "Context switches/s" in out
    assert "CPU" not in out and "Memory" not in out
    for ask in (["--metric", "list"], ["--list-metrics"], ["--metric=list"]):
        status, out, _ = run(*ask)
        assert status == 0
        assert [line.split()[0] for line in out.splitlines()] == list(report.METRIC_NAMES)


def test_a_process_is_charted_with_its_name_escaped(recording: Path) -> None:
    status, out, _ = run(str(recording), "--pid", str(HOSTILE_PID), "--size", "100x40")
    assert status == 0
    assert "\x1b" not in out and "\x07" not in out
    for title in ("CPU % (100 = one core)", "RSS (bytes)", "Run delay", "Context switches/s"):
        assert f"PID {HOSTILE_PID} ({HOSTILE_SHOWN}) {title}" in out


def test_each_action_is_a_labelled_line_on_every_chart(recording: Path) -> None:
    status, out, _ = run(str(recording), "--metric", "cpu,memory", "--size", "100x30")
    assert status == 0
    cpu, memory = chart_lines(out, "CPU busy %"), chart_lines(out, "Memory")
    # The first chart carries the labels, at the top of their lines...
    label_row = next(line for line in cpu if "1 nice 5 -> 4242" in line)
    assert "2 sysctl vm.swappiness=10" in label_row
    first, second = label_row.index("1 nice"), label_row.index("2 sysctl")
    # ...and every chart's frame is crossed by both lines at the same columns.
    for chart in (cpu, memory):
        top = chart[1]
        assert top[first] == "┬" and top[second] == "┬"
        assert [i for i, c in enumerate(top) if c == "┬"] == [first, second]
    # The renice came half-way between two frames: its line sits about a third of the way along.
    assert abs(first / len(label_row) - (RENICE_AFTER + 0.5) / (FRAMES - 1)) < 0.05
    footer = out.splitlines()[-2:]
    assert footer[0] == f"1 12:00:09 nice 5 -> 4242  4242 ({HOSTILE_SHOWN}): renice -n 5 -p 4242"
    assert footer[1].startswith("2 12:00:19 sysctl vm.swappiness=10  /proc/sys/vm/swappiness: sysctl -w")


def test_from_and_to_narrow_the_charts_and_their_marks(recording: Path) -> None:
    status, out, _ = run(str(recording), "--from", "+10s", "--to", "12:00:25", "--size", "100x30")
    assert status == 0
    assert out.splitlines()[0].startswith("demo\\e[2J: 2025-01-01 12:00:10 to 12:00:25, 16 samples")
    # The renice (12:00:09.5) is before the range; the sysctl is in it, now the first mark.
    assert "nice 5 -> 4242" not in out
    assert "1 sysctl vm.swappiness=10" in out


def test_save_writes_a_plain_text_file_whole(recording: Path, tmp_path: Path) -> None:
    target = tmp_path / "chart.txt"
    target.write_text("an older chart, much longer than the new one " * 1000)
    status, out, err = run(str(recording), "--size", "100x30", "--save", str(target))
    assert (status, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8") == GOLDEN.read_text(encoding="utf-8")
    assert os.listdir(tmp_path) == ["chart.txt"]  # no temporary file left behind


def test_save_html_keeps_colours_and_escapes_every_character(recording: Path, tmp_path: Path) -> None:
    target = tmp_path / "chart.html"
    status, _, _ = run(str(recording), "--pid", str(HOSTILE_PID), "--save", str(target))
    assert status == 0
    html = target.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "nice 5 -&gt; 4242" in html
    assert f"PID {HOSTILE_PID} ({HOSTILE_SHOWN})" in html
    assert "\x1b" not in html and "\x07" not in html
    assert "color: #" in html  # the series and marks in colour


def test_a_failed_save_leaves_the_old_file_and_no_temporary_one(
    recording: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "chart.txt"
    target.write_text("the old chart")

    def full_disk(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report.os, "replace", full_disk)
    status, out, err = run(str(recording), "--save", str(target))
    assert (status, out) == (1, "")
    assert err == f"perftop report: cannot save {target}: No space left on device\n"
    assert target.read_text() == "the old chart"
    assert os.listdir(tmp_path) == ["chart.txt"]


def test_a_folder_that_cannot_be_written_is_refused_before_reading(recording: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="perftop-report-"))
    try:
        folder.chmod(0o755)  # nobody may look, not write

        def work() -> dict[str, Any]:
            status, out, err = run("no-such-recording", "--save", str(folder / "chart.txt"))
            return {"status": status, "out": out, "err": err}

        result = run_as_nobody(work)
        assert result["status"] == 2 and result["out"] == ""
        assert result["err"].splitlines()[-1].endswith(f"cannot write in {folder}: permission denied")
        assert os.listdir(folder) == []
    finally:
        folder.rmdir()


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--metric", "cpu,bogus"], 2, "unknown metric 'bogus'; choose from cpu, cpu-states, load"),
        (["--metric", "proc-cpu"], 2, "a process metric needs --pid"),
        (["--pid", "999999"], 2, "process 999999 is not in the recording between"),
        (["--pid", "12x"], 2, "not a PID: '12x'"),
        (["--device", "sdz"], 2, "no disk 'sdz' in the recording"),
        (["--from", "+20s", "--to", "+10s"], 2, "--from is after --to"),
        (["--from", "+1h"], 2, "no sample between"),
        (["--from", "soon"], 2, "'soon' is not a time"),
        (["--size", "10x10"], 2, "out of range"),
        (["--size", "wide"], 2, "not a size: 'wide'"),
        (["--save", "chart.png"], 2, "save to a .html (in colour) or .txt file"),
        (["--save", "/no/such/folder/chart.txt"], 2, "no folder /no/such/folder"),
    ],
)
def test_bad_arguments_are_one_line_and_status_2(
    recording: Path, args: list[str], status: int, message: str
) -> None:
    code, out, err = run(str(recording), *args)
    assert code == status
    assert out == ""
    assert err.splitlines()[-1].startswith("perftop report: error: ")
    assert message in err.splitlines()[-1]


def test_a_file_that_is_not_a_recording(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    assert run(str(other)) == (2, "", f"perftop report: {other} is not a perftop recording\n")
    missing = tmp_path / "gone.rec"
    status, out, err = run(str(missing))
    assert (status, out) == (1, "")
    assert err == f"perftop report: cannot read {missing}: No such file or directory\n"


def test_a_damaged_frame_is_named_and_the_others_are_charted(recording: Path, tmp_path: Path) -> None:
    rec = Recording(recording)
    frame = rec.frames[FRAMES // 2]
    damaged = tmp_path / "damaged.rec"
    data = bytearray(recording.read_bytes())
    data[frame.offset + frame.length // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    status, out, err = run(str(damaged), "--size", "100x30")
    assert status == 0
    assert f"frame {frame.number} at byte" in err and "damaged (checksum mismatch)" in err
    # The deltas after it change a snapshot no longer known, up to the next keyframe (none here).
    assert "follows a damaged frame" in err
    assert out.splitlines()[0].startswith(
        f"demo\\e[2J: 2025-01-01 12:00:00 to 12:00:14, {FRAMES // 2} samples"
    )


def test_value_ticks_are_round_and_short() -> None:
    assert report._value_ticks(100.0, "percent", 4) == [
        (0.0, "0%"),
        (25.0, "25%"),
        (50.0, "50%"),
        (75.0, "75%"),
        (100.0, "100%"),
    ]
    assert report._value_ticks(5 * GIB, "bytes", 3)[-1] == (6 * GIB, "6G")
    assert report._value_ticks(1234.0, "count", 2) == [(0.0, "0"), (1000.0, "1k"), (2000.0, "2k")]
    assert report._value_ticks(0.0, "count", 3)[-1][0] == 1.0


def _perftop_report(*args: str, env: dict[str, str], stdout: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "perftop.tui.cli", "report", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, "TZ": "UTC", **env},
    )


@pytest.mark.live
@pytest.mark.parametrize(("env", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False)])
def test_on_a_terminal_the_chart_is_in_colour_at_its_size(
    recording: Path, env: dict[str, str], coloured: bool
) -> None:
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 35, 110, 0, 0))
    child = _perftop_report(str(recording), env={"TERM": "xterm-256color", **env}, stdout=terminal)
    os.close(terminal)
    chunks = []
    with contextlib.suppress(OSError):  # EIO once the child closed its side
        while chunk := os.read(controller, 65536):
            chunks.append(chunk)
    os.close(controller)
    assert child.wait(timeout=30) == 0
    out = b"".join(chunks).decode()
    assert ("\x1b[38;5;" in out) is coloured
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out).replace("\r\n", "\n")
    lines = plain.splitlines()
    assert len(lines) == 34  # the terminal's rows, less one for the prompt
    assert max(len(line) for line in lines) == 110


@pytest.mark.live
def test_a_reader_that_goes_away_ends_it_quietly(recording: Path) -> None:
    """A chart larger than the pipe holds (some 2 MB): the write fails with EPIPE, which ends it with 0."""
    child = _perftop_report(str(recording), "--size", "300x1000", env={}, stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.readline()
    child.stdout.close()
    assert child.wait(timeout=30) == 0
    assert child.stderr.read() == b""
