"""Recording samples to a file: ``perftop record`` (headless, on a fixed cadence) and the App's ``--record``.

Both write through :class:`~perftop.tui.recording.Recorder` (the format is documented there). Textual-free:
the headless loop runs without a terminal, and the App calls :class:`LiveRecording` from its sampling
thread, so no write ever waits on the event loop.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zstandard

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import Snapshot
from perftop.probes.tunable_files import read_tunables
from perftop.tui.action_records import ActionRecord
from perftop.tui.json_lines import tunables_to_list
from perftop.tui.recording import (
    FRAME_HEAD_BYTES,
    KEYFRAME_EVERY,
    ZSTD_LEVEL,
    Recorder,
    RecordingError,
    SnapshotEncoder,
    read_header,
    segment_path,
)
from perftop.widgets.safe_text import escaped

#: ``Sampler.sample``'s arguments for every section of the machine (the socket tables, the memory details,
#: the interrupt tables), which the interface reads only while their pane is shown. They cost little.
SECTIONS: dict[str, Any] = {"sockets": True, "memory": True, "interrupts": True}

#: ``Sampler.sample``'s arguments for ``perftop record``: every section, and for every process what
#: ``--json`` reads (status and io, cgroup, run delay, group throttling), so a replay has every pane and
#: column. The per-process reads are most of a sample's cost (see the README's Performance section).
EVERY_SECTION: dict[str, Any] = {
    **SECTIONS,
    "status_pids": None,
    "io_pids": None,
    "cgroup_pids": None,
    "sched_pids": None,
    "throttle_pids": None,
}

#: Seconds between reads of the tunables: they change rarely (and a change perftop makes is an action of
#: the frame anyway); between reads every frame holds the same list, which the delta skips at once.
TUNABLES_EVERY_SECONDS = 10.0

#: ``--max-size`` must leave room for this many keyframes in each of the two files rotation keeps: a smaller
#: limit would rotate at every few frames and keep next to nothing.
MIN_KEYFRAMES_PER_SEGMENT = 2

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)?$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kmgt])?b?$", re.IGNORECASE)
_SIZE_UNITS = {None: 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``10m``, ``2h`` or ``1d``; ``ValueError`` with a message otherwise."""
    m = _DURATION.match(text.strip())
    seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2)] if m else 0.0
    if not seconds > 0:
        raise ValueError(f"not a duration: {text!r} (use 90, 90s, 10m, 2h or 1d)")
    return seconds


def parse_size(text: str) -> int:
    """Bytes in ``500000``, ``500k``, ``100M``, ``2G`` (binary units: k is 1024); ``ValueError`` otherwise."""
    m = _SIZE.match(text.strip())
    size = int(float(m.group(1)) * _SIZE_UNITS[m.group(2) and m.group(2).lower()]) if m else 0
    if size < 1:
        raise ValueError(f"not a size: {text!r} (use bytes, or 500k, 100M, 2G)")
    return size


def shown_size(size: int) -> str:
    """``size`` bytes in MB with two decimals (as the end-of-recording line says it)."""
    return f"{size / 1e6:.2f} MB"


class Tunables:
    """The ``tunables`` of each frame: read again every ``every`` seconds, the same list object between
    reads (the recorder's delta then skips it without comparing its entries)."""

    def __init__(
        self, fs: FS, *, every: float = TUNABLES_EVERY_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fs = fs
        self._every = every
        self._clock = clock
        self._read_at: float | None = None
        self._value: list[dict[str, Any]] = []

    def current(self) -> list[dict[str, Any]]:
        """The tunables, read when the last read is ``every`` seconds old (or never happened)."""
        now = self._clock()
        if self._read_at is None or now - self._read_at >= self._every:
            value = tunables_to_list(read_tunables(self._fs))
            if value != self._value:
                self._value = value
            self._read_at = now
        return self._value

    def expire(self) -> None:
        """Read them again at the next frame (a setting was changed)."""
        self._read_at = None


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be recorded to, said before anything is sampled or written: a directory, a file
    of another kind, or one that is not a perftop recording (a recording is appended to). None otherwise
    (a missing file is created; a permission error shows when it is opened)."""
    shown = escaped(str(path))
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISDIR(mode):
        return f"{shown} is a directory: give a file name to record to"
    if not stat.S_ISREG(mode):
        return f"{shown} is not a regular file"
    try:
        if path.stat().st_size == 0:
            return None
        read_header(path)
    except RecordingError as error:
        if "not a perftop recording" in str(error):
            return f"{shown} exists and is not a perftop recording: give another file name"
        return str(error)
    return None


def open_recorder(
    path: Path,
    *,
    interval: float | None,
    keyframe_every: int = KEYFRAME_EVERY,
    max_size: int | None = None,
) -> Recorder:
    """A :class:`Recorder` on ``path`` (created, or appended to when it is a recording); raises
    :class:`RecordingError` with one line when it cannot be (a directory, another kind of file, no
    permission). Nothing is written to a file that is refused."""
    problem = file_problem(path)
    if problem is not None:
        raise RecordingError(problem)
    return Recorder(
        path,
        interval=interval,
        hostname=socket.gethostname(),
        keyframe_every=keyframe_every,
        max_size=max_size,
    )


def frame_size(snapshot: Snapshot, tunables: list[dict[str, Any]]) -> int:
    """The bytes of a keyframe of ``snapshot`` (what ``--max-size`` must leave room for)."""
    body = {"time": snapshot.time, "snapshot": SnapshotEncoder().data(snapshot, tunables), "actions": []}
    payload = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(
        json.dumps(body, separators=(",", ":")).encode()
    )
    return FRAME_HEAD_BYTES + len(payload)


def max_size_problem(max_size: int, keyframe_bytes: int) -> str | None:
    """Why ``max_size`` is too small for keyframes of ``keyframe_bytes``, or None. Each of the two files
    rotation keeps (half the limit each) must hold a keyframe and the deltas after it: room for
    :data:`MIN_KEYFRAMES_PER_SEGMENT` keyframes."""
    needed = 2 * MIN_KEYFRAMES_PER_SEGMENT * keyframe_bytes
    if max_size < needed:
        return (
            f"{max_size} bytes leave no room: a full frame of this machine takes {keyframe_bytes} bytes and "
            f"each of the two files rotation keeps needs room for {MIN_KEYFRAMES_PER_SEGMENT}; "
            f"give at least {needed} bytes ({shown_size(needed)})"
        )
    return None


@dataclass(frozen=True, slots=True)
class RecordResult:
    """How a headless recording ended: frames and bytes written, and the write error that stopped it."""

    frames: int
    size: int
    error: str | None = None


def record(
    sampler: Sampler,
    recorder: Recorder,
    *,
    interval: float,
    duration: float | None,
    stop: threading.Event,
    tunables: Tunables | None = None,
    observe: Callable[[Snapshot, list[dict[str, Any]]], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RecordResult:
    """Write a frame every ``interval`` seconds on a fixed cadence (from now: the caller has taken the
    sampler's baseline, with :data:`EVERY_SECTION`) until ``duration`` seconds have passed or ``stop`` is set
    (a signal handler sets it; the frame under way is finished).

    ``observe(snapshot, tunables)``: told of each frame written (tests compare the file with it). A failed
    write ends the recording: the file keeps its whole frames and the result carries the one-line error.
    """
    tunables = tunables or Tunables(sampler.fs)
    start = clock()
    end = None if duration is None else start + duration
    frames = 0
    due = start
    while True:
        due += interval
        if end is not None and due > end + interval / 2:
            break
        if stop.wait(max(0.0, due - clock())):
            break
        snapshot = sampler.sample(**EVERY_SECTION)
        if clock() - due > interval:
            due = clock()  # after a stall (Ctrl-Z, suspend) keep the cadence instead of catching up
        values = tunables.current()
        try:
            recorder.add(snapshot, tunables=values)
        except RecordingError as error:
            return RecordResult(frames, _total_size(recorder), str(error))
        frames += 1
        if observe is not None:
            observe(snapshot, values)
    return RecordResult(frames, _total_size(recorder))


def _total_size(recorder: Recorder) -> int:
    """The recording's bytes on disk: the file and the older segment rotation kept."""
    older = segment_path(recorder.path)
    size = recorder.size
    if recorder.max_size is not None:
        with contextlib.suppress(OSError):
            size += older.stat().st_size
    return size


class LiveRecording:
    """The App's ``--record``: each sample the App takes is written, on its sampling thread, with the
    actions applied since the previous frame.

    The event loop hands actions over with :meth:`add_actions`; the sampling thread takes them in
    :meth:`write`. The first write error ends the recording (:attr:`error` says why, once).
    """

    def __init__(self, recorder: Recorder, tunables: Tunables) -> None:
        self.recorder = recorder
        self._tunables = tunables
        self._lock = threading.Lock()
        self._pending: list[ActionRecord] = []
        #: Held by a write and by close, so the file is never closed under a write.
        self._write_lock = threading.Lock()
        self._closed = False
        #: Sampler.sample's arguments while recording, added to what the screen needs: every section, so a
        #: replay has every pane. Not every process's figures: reading them all costs the interface several
        #: times its usual CPU (README, Performance), so the processes' rows are what the interface read.
        self.sample_arguments = SECTIONS
        #: Set (once) by the write that failed; then nothing more is written.
        self.error: str | None = None
        self.frames = 0

    def add_actions(self, records: Sequence[ActionRecord]) -> None:
        """Actions just applied (on the event loop): they go into the first frame sampled after them."""
        if not records:
            return
        with self._lock:
            self._pending.extend(records)
        self._tunables.expire()  # a setting may have changed: the next frame shows its new value

    def write(self, snapshot: Snapshot) -> None:
        """Write ``snapshot`` and the actions applied up to its time (on the sampling thread)."""
        if self.error is not None:
            return
        with self._lock:
            due = [r for r in self._pending if r.time <= snapshot.time]
            if due:
                self._pending = [r for r in self._pending if r.time > snapshot.time]
        # Not under self._lock: the event loop takes that one, and must never wait on a write.
        with self._write_lock:
            if self._closed:
                return
            try:
                self.recorder.add(snapshot, actions=due, tunables=self._tunables.current())
            except (RecordingError, OSError) as error:
                self.error = (
                    str(error) if isinstance(error, RecordingError) else f"recording stopped: {error}"
                )
                self.recorder.close()
                return
            self.frames += 1

    def close(self) -> None:
        """Close the file once the write under way (if any) is done; nothing is written after (idempotent)."""
        with self._write_lock:
            self._closed = True
            self.recorder.close()

    def summary(self) -> str:
        """The one line said at the end: frames, size and file."""
        return recorded_line(self.frames, _total_size(self.recorder), self.recorder.path)


def recorded_line(frames: int, size: int, path: Path) -> str:
    """``perftop: recorded N frames (X MB) to FILE``."""
    return f"perftop: recorded {frames} frames ({shown_size(size)}) to {escaped(str(path))}"
