"""Replay of a recording, without Textual: the position and play speed, the recorded actions as the action
log shows them, the recorded tunables, the frames between two times, and ``--replay FILE --json``.

Layers: the replay App (:mod:`perftop.tui.replay_app`) and the command line build on this module; it builds
on the recording format and the action records.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from perftop.probes.snapshot import Snapshot
from perftop.probes.tunables import CATALOGUE, Tunable, TunableValue, device_tunables
from perftop.tui.action_records import ActionRecord
from perftop.tui.recording import RecordedAction, Recording, RecordingError, parse_when
from perftop.tui.snapshot_codec import SnapshotDataError, snapshot_from_dict

#: Play speeds ``+`` and ``-`` step through (times the recorded pace).
SPEEDS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
#: A pause in the recording longer than this (perftop was not running) plays as this many seconds.
MAX_PLAY_GAP_SECONDS = 5.0
#: What every tuning key says in replay.
REFUSED = "replay: a recording cannot be tuned (it shows what was, not this machine)"


@dataclass(frozen=True, slots=True)
class ReplayedRecord(ActionRecord):
    """A recorded action as the action log shows it: its result as recorded (``applied`` is not kept in a
    recording) and its recorded undo command."""

    recorded_undo: str | None = None

    @property
    def ok(self) -> bool:
        """True when the action was recorded as applied to every thread."""
        return self.result == "ok"

    @property
    def undo_command(self) -> str | None:
        """The undo command as recorded."""
        return self.recorded_undo

    @property
    def no_undo(self) -> str | None:
        """Why the recording holds no undo command, ``None`` when it holds one."""
        if self.recorded_undo is not None:
            return None
        return "nothing was applied" if self.command == "-" else "the recording holds no undo command for it"


def replayed(action: RecordedAction) -> ReplayedRecord:
    """``action`` as the replay's action log holds it."""
    r = action.record
    return ReplayedRecord(
        r.time, r.subject, r.what, r.old, r.new, r.command, r.result, None, action.undo_command
    )


def recorded_tunables(data: dict[str, Any]) -> tuple[TunableValue, ...] | None:
    """The ``tunables`` section of a frame's data as the tunables pane shows it (``None``: not recorded).
    Keys this perftop does not know are left out."""
    entries = data.get("tunables")
    if not isinstance(entries, list):
        return None
    known = {t.key: t for t in CATALOGUE}
    values: list[TunableValue] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            continue
        key = entry["key"]
        tunable = known.get(key) or _device_tunable(key)
        if tunable is None:
            continue
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, int | str | list | None):
            continue
        if isinstance(value, list):
            text: str | None = " ".join(str(v) for v in value)
        else:
            text = None if value is None else str(value)
        path = entry.get("path")
        values.append(TunableValue(tunable, path if isinstance(path, str) else "", text, text is not None))
    return tuple(values)


def _device_tunable(key: str) -> Tunable | None:
    device, _, setting = key.partition(" ")
    if not setting.startswith("queue/"):
        return None
    return next((t for t in device_tunables(device) if t.key == key), None)


def history_snapshot(recording: Recording, index: int) -> Snapshot:
    """Frame ``index``'s snapshot without its processes: what the panes' histories record (the machine's
    figures), at a small part of the cost of the whole (decoding 2000 processes' rows is most of it)."""
    try:
        return snapshot_from_dict({**recording.data(index), "processes": []})
    except SnapshotDataError as error:
        raise RecordingError(f"frame {index + 1} of the recording: {error}") from error


class RecordingSamples:
    """A recording's snapshots between two times (the before/after comparison's sample source). ``lock``:
    held while the recording is read, when another thread reads it too (the replay App's)."""

    def __init__(self, recording: Recording, lock: threading.Lock | None = None) -> None:
        self.recording = recording
        self._times = [f.time for f in recording.frames]
        self._lock = lock

    def between(self, start: float, end: float) -> list[Snapshot]:
        """The snapshots of the frames from ``start`` to ``end`` (epoch seconds, both included), oldest
        first; a frame that cannot be decoded is left out."""
        first = bisect.bisect_left(self._times, start)
        last = bisect.bisect_right(self._times, end)
        found: list[Snapshot] = []
        with self._lock or contextlib.nullcontext():
            for index in range(first, last):
                with contextlib.suppress(RecordingError):
                    found.append(self.recording.snapshot(index))
        return found


class ReplayCursor:
    """Where a replay is in its recording, whether it plays and how fast."""

    def __init__(self, recording: Recording, index: int = 0) -> None:
        self.recording = recording
        self.index = index
        self.playing = False
        self.speed = 1.0

    @property
    def time(self) -> float:
        """The time of the frame shown."""
        return self.recording.frames[self.index].time

    @property
    def last(self) -> int:
        """The index of the last frame."""
        return len(self.recording) - 1

    def clamp(self, index: int) -> int:
        """``index`` within the recording."""
        return max(0, min(self.last, index))

    def speed_step(self, step: int) -> float:
        """The next speed up (``step`` 1) or down (-1) of :data:`SPEEDS`, kept; returned."""
        current = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, current + step))]
        return self.speed

    def play_delay(self) -> float | None:
        """Seconds until the next frame at the play speed; ``None`` at the last frame."""
        if self.index >= self.last:
            return None
        frames = self.recording.frames
        gap = frames[self.index + 1].time - frames[self.index].time
        return max(0.0, min(gap, MAX_PLAY_GAP_SECONDS)) / self.speed

    def index_of(self, text: str) -> int:
        """The frame a time typed in ``g`` names: ``14:05`` on the recording's day, ``-10m``/``+30s`` from the
        position, ISO or epoch seconds. Raises ``ValueError`` with the reason for anything else or for a time
        outside the recording."""
        when = time_in(self.recording, text, plus_from=self.time, minus_from=self.time)
        return self.recording.index_at(when)


def clock_text(when: float) -> str:
    """``HH:MM:SS`` (local time) of epoch seconds ``when``."""
    return time.strftime("%H:%M:%S", time.localtime(when))


def span_text(recording: Recording) -> str:
    """``12:00:05..12:05:00``: the recording's span."""
    return f"{clock_text(recording.start)}..{clock_text(recording.end)}"


def time_in(recording: Recording, text: str, *, plus_from: float, minus_from: float) -> float:
    """The epoch time ``text`` names (see :func:`~perftop.tui.recording.parse_when`); ``ValueError`` with the
    reason when it is not a time or lies outside the recording (a second's slack either side)."""
    when = parse_when(text, plus_from=plus_from, minus_from=minus_from, day_of=recording.start)
    if not recording.start - 1 <= when <= recording.end + 1:
        raise ValueError(f"{clock_text(when)} is outside the recording ({span_text(recording)})")
    return when


def frame_range(recording: Recording, start: str | None, end: str | None) -> tuple[int, int]:
    """The first and last frame of ``--from start`` and ``--to end`` (``+30s`` from the recording's start,
    ``-10m`` before its end, ``14:05`` on its day); ``ValueError`` with the reason when a time is not one,
    lies outside the recording, or ``--from`` comes after ``--to``."""
    first, last = 0, len(recording) - 1
    times = [f.time for f in recording.frames]
    start_at = end_at = None
    if start is not None:
        start_at = _option_time(recording, "--from", start)
        first = bisect.bisect_left(times, start_at)
    if end is not None:
        end_at = _option_time(recording, "--to", end)
        last = bisect.bisect_right(times, end_at) - 1
    if start_at is not None and end_at is not None and start_at > end_at:
        raise ValueError(f"--from {clock_text(start_at)} comes after --to {clock_text(end_at)}")
    if first > last:
        raise ValueError(f"no frame between --from and --to in the recording ({span_text(recording)})")
    return first, last


def _option_time(recording: Recording, option: str, text: str) -> float:
    try:
        return time_in(recording, text, plus_from=recording.start, minus_from=recording.end)
    except ValueError as error:
        raise ValueError(f"argument {option}: {error}") from None


def frame_lines(recording: Recording, first: int, last: int) -> Iterator[dict[str, Any] | RecordingError]:
    """Frames ``first``..``last`` as ``--json`` lines, or the error of a frame that cannot be decoded."""
    for index in range(first, last + 1):
        try:
            yield next(recording.lines(index, index))
        except RecordingError as error:
            yield error


def write_frames(recording: Recording, out: IO[str], err: IO[str], first: int, last: int) -> int:
    """Print frames ``first``..``last`` as JSON lines to ``out`` and each damaged frame's problem as a line to
    ``err`` (the scan's first); returns how many frames were printed."""
    for problem in recording.problems:
        print(f"perftop: {problem}", file=err)
    printed = 0
    for line in frame_lines(recording, first, last):
        if isinstance(line, RecordingError):
            print(f"perftop: {line}", file=err)
            continue
        out.write(json.dumps(line, separators=(",", ":")) + "\n")
        printed += 1
    return printed
