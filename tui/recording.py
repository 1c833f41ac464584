"""Recordings: the JSON contract's snapshots and the tuning actions between them, in an append-only file.

The format (version 1; all integers little-endian):

- a file header: the magic ``PERFTOP-REC\\n``, the format version (u16), the length of the header's JSON
  (u32), its CRC-32 (u32), then that JSON (``{"format", "version", "created", "hostname", "interval",
  "keyframe_every", "session", "segment"}``);
- frames, each a 24-byte head: ``PF``, its kind (``K`` a keyframe, ``D`` a delta), a flags byte (0), the
  sample's time (f64, epoch seconds), the payload's length (u32) and CRC-32 (u32), and the CRC-32 of the
  head's first 20 bytes (u32); then the payload: a zstandard frame holding the JSON
  ``{"time", "snapshot" | "delta", "actions"}``. A keyframe's ``snapshot`` is the whole ``--json``
  snapshot (every section, ``tunables`` included); a delta's ``delta`` is what changed since the previous
  frame (:func:`diff`). ``actions`` are the tuning actions applied since the previous frame
  (:func:`action_to_dict`).

Every frame is checked on its own, so a torn tail (``kill -9``, a power cut) costs the frame being written
and a damaged frame costs the frames up to the next keyframe; the reader names each. The writer appends: a
recording opened again continues with a keyframe. Rotation keeps one older segment beside the file
(``FILE.1``), so the two stay within the size limit. Plain Python, no Textual.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import errno
import json
import math
import mmap
import operator
import os
import re
import stat
import struct
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard

from perftop.probes.snapshot import ProcessInfo, Snapshot
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.json_lines import snapshot_to_dict
from perftop.tui.snapshot_codec import ProcessRows, SnapshotDataError, snapshot_from_dict
from perftop.tui.system_tuning import Setting
from perftop.tui.tuning import Target
from perftop.widgets.safe_text import escaped

MAGIC = b"PERFTOP-REC\n"
#: The format this module writes, and the newest it reads.
VERSION = 1
_FILE_HEAD = struct.Struct("<12sHII")
_FRAME_HEAD = struct.Struct("<2sccdII")
_FRAME_HEAD_CRC = struct.Struct("<I")
FRAME_HEAD_BYTES = _FRAME_HEAD.size + _FRAME_HEAD_CRC.size
KEYFRAME = b"K"
DELTA = b"D"
#: A frame's payload larger than this is damage, not data (a keyframe of 100,000 processes is ~10 MB).
MAX_PAYLOAD_BYTES = 256 * 1024 * 1024
#: A header larger than this is damage, not data.
MAX_HEADER_BYTES = 1024 * 1024
#: A full snapshot every this many frames by default: what a damaged frame can cost, and what a jump
#: replays at most.
KEYFRAME_EVERY = 300
#: zstandard's level: its fastest levels already shrink the JSON ~10 times.
ZSTD_LEVEL = 3


class RecordingError(Exception):
    """A recording cannot be read or written; the message is one line saying why."""

    @property
    def status(self) -> int:
        """The exit status it calls for: 1 when the system refused (``__cause__`` an ``OSError``: a missing
        or unreadable file), 2 when the file is not a recording perftop reads."""
        return 1 if isinstance(self.__cause__, OSError) else 2


# -- actions ---------------------------------------------------------------------------------------------


def action_to_dict(record: ActionRecord) -> dict[str, Any]:
    """An action as a frame holds it: its time, target (a process or thread, or a setting), what it
    changed, the values as shown, the command, the undo command and the result."""
    subject = record.subject
    data: dict[str, Any] = {"time": record.time, "what": record.what}
    if isinstance(subject, Setting):
        data["setting"] = {
            "kind": subject.kind,
            "key": subject.key,
            "path": subject.path,
            "what": subject.what,
        }
    else:
        t = subject.target
        data["process"] = {
            "pid": t.pid,
            "start_time": t.start_time,
            "tgid": t.tgid,
            "comm": subject.comm,
            "cmdline": subject.cmdline,
        }
    data |= {
        "old": record.old,
        "new": record.new,
        "command": record.command,
        "undo": record.undo_command,
        "result": record.result,
    }
    return data


@dataclass(frozen=True, slots=True)
class RecordedAction:
    """An action read from a recording: the record as the action log shows it, and its undo command."""

    record: ActionRecord
    undo_command: str | None


def action_from_dict(data: Mapping[str, Any]) -> RecordedAction:
    """The action :func:`action_to_dict` wrote. Raises ``KeyError``/``TypeError`` on other data."""
    subject: Subject | Setting
    if "setting" in data:
        s = data["setting"]
        subject = Setting(s["kind"], str(s["key"]), str(s["path"]), str(s["what"]))
    else:
        p = data["process"]
        tgid = p.get("tgid")
        target = Target(int(p["pid"]), int(p["start_time"]), None if tgid is None else int(tgid))
        subject = Subject(target, str(p["comm"]), str(p["cmdline"]))
    record = ActionRecord(
        float(data["time"]),
        subject,
        str(data["what"]),
        str(data["old"]),
        str(data["new"]),
        str(data["command"]),
        str(data["result"]),
    )
    undo = data.get("undo")
    return RecordedAction(record, None if undo is None else str(undo))


# -- deltas ----------------------------------------------------------------------------------------------

#: The keys that name an entry of a list of objects (a process, a disk, a CPU), most specific first: such a
#: list's delta holds only the entries that changed.
ENTRY_KEYS: tuple[str, ...] = ("pid", "tid", "irq", "cpu", "node", "key", "name")
#: The JSON types that hold no other value.
_SCALARS = frozenset({int, float, str, bool, type(None)})
#: Lists shorter than this are replaced whole when they change.
_KEYED_MIN = 4


def diff(old: Any, new: Any) -> Any:
    """What turns JSON value ``old`` into ``new`` (``None``: nothing), for :func:`patch`.

    A changed object is ``["D", changes, removed]`` (``changes``: its changed keys' deltas; ``removed``, when
    any: the keys it lost); a changed list
    of objects that each name themselves by one of :data:`ENTRY_KEYS` is ``["L", key, order, changes,
    added]`` (``changes``: ``[name, delta]`` pairs; ``added``: whole new entries, in the new list's order;
    ``order``: ``null`` when the names are in the same order, ``{"-": removed names, "+": the new list's
    indexes of the added entries}`` when the entries that stayed kept their order (processes that ended
    and began), else every name in the new order); anything else is ``["=", value]``.
    """
    if old is new:
        return None
    if isinstance(old, dict) and isinstance(new, dict):
        changes: dict[str, Any] = {}
        for key, value in new.items():
            if key in old:
                was = old[key]
                # An unchanged number or word without a call: most fields of a process that ran.
                if was is value or (type(value) in _SCALARS and type(was) is type(value) and was == value):
                    continue
                change = diff(was, value)
                if change is not None:
                    changes[key] = change
            else:
                changes[key] = ["=", value]
        removed = [key for key in old if key not in new]
        if not changes and not removed:
            return None
        return ["D", changes, removed] if removed else ["D", changes]
    if isinstance(old, list) and isinstance(new, list):
        keyed = _entry_key(old, new)
        if keyed is not None:
            return _diff_entries(*keyed, old, new)
    if old == new and type(old) is type(new):
        return None
    return ["=", new]


def _entry_key(old: list[Any], new: list[Any]) -> tuple[str, list[Any], list[Any]] | None:
    """The key naming the entries of both lists, with the old and new names; ``None`` when there is none
    or a new name is not unique."""
    if len(new) < _KEYED_MIN or not isinstance(new[0], dict):
        return None
    for key in ENTRY_KEYS:
        if key in new[0]:
            names = _names(key, new)
            old_names = _names(key, old)
            if names is None or old_names is None:
                return None
            try:
                unique = len(set(names)) == len(names)
            except TypeError:  # a name that is a list or an object
                unique = len(set(map(_hashable, names))) == len(names)
            return (key, old_names, names) if unique else None
    return None


def _names(key: str, entries: list[Any]) -> list[Any] | None:
    """Each entry's ``key``; ``None`` when one is not an object holding it."""
    try:
        return [e[key] for e in entries]
    except (KeyError, TypeError, IndexError):
        return None


def _hashable(value: Any) -> Any:
    return value if not isinstance(value, list | dict) else json.dumps(value)


def _diff_entries(
    key: str, old_names: list[Any], order: list[Any], old: list[Any], new: list[Any]
) -> list[Any] | None:
    # Called at every sample on the process list, where nearly every entry is the object of the last
    # sample: the common cases run as list operations, not a Python call per entry.
    changes: list[list[Any]] = []
    if old_names == order:
        for name, was, entry in zip(order, old, new, strict=True):
            if was is not entry and (change := diff(was, entry)) is not None:
                changes.append([name, change])
        return ["L", key, None, changes, []] if changes else None
    try:
        before = dict(zip(old_names, old, strict=True))
        hash(tuple(order))
        names = order
    except TypeError:  # a name that is a list or an object
        before = {_hashable(n): e for n, e in zip(old_names, old, strict=True)}
        names = [_hashable(n) for n in order]
    if len(before) != len(old):
        return ["=", new]
    added: list[Any] = []
    for name, entry in zip(names, new, strict=True):
        was = before.get(name)
        if was is None:
            added.append(entry)
        elif was is not entry and (change := diff(was, entry)) is not None:
            changes.append([entry[key], change])
    if names is order:
        return ["L", key, _order_change(old_names, order, before), changes, added]
    return ["L", key, order, changes, added]


def _order_change(old_names: list[Any], order: list[Any], before: Mapping[Any, Any]) -> Any:
    """The names removed and where the added ones go, when the names that stayed kept their order (a
    process list where some processes ended and others began: a few names, not thousands); else
    ``order``."""
    now = set(order)
    if [n for n in old_names if n in now] != [n for n in order if n in before]:
        return order
    removed = [n for n in old_names if n not in now]
    positions = [i for i, n in enumerate(order) if n not in before]
    if len(removed) + len(positions) >= len(order):
        return order
    return {"-": removed, "+": positions}


def patch(old: Any, change: Any) -> Any:
    """``old`` with :func:`diff`'s ``change`` applied; ``old`` itself is left as it was (what did not
    change is shared with it). Raises ``ValueError`` on a change of another shape."""
    if change is None:
        return old
    if isinstance(change, list) and change and change[0] == "D" and isinstance(old, dict):
        out = dict(old)
        for key in change[2] if len(change) == 3 else ():
            out.pop(key, None)
        for key, value in change[1].items():
            out[key] = patch(old.get(key), value)
        return out
    if isinstance(change, list) and change and change[0] == "=" and len(change) == 2:
        return change[1]
    if isinstance(change, list) and len(change) == 5 and change[0] == "L" and isinstance(old, list):
        _, key, order, changes, added = change
        entries = {_hashable(e[key]): e for e in old}
        for entry in added:
            entries[_hashable(entry[key])] = entry
        for name, entry_change in changes:
            h = _hashable(name)
            entries[h] = patch(entries[h], entry_change)
        if order is None:
            return [entries[_hashable(e[key])] for e in old]
        if isinstance(order, dict):
            gone = {_hashable(name) for name in order["-"]}
            out = [entries[h] for e in old if (h := _hashable(e[key])) not in gone]
            for at, entry in zip(order["+"], added, strict=True):
                out.insert(at, entries[_hashable(entry[key])])
            return out
        return [entries[_hashable(name)] for name in order]
    raise ValueError("not a change perftop writes")


# -- snapshots as frames ---------------------------------------------------------------------------------


class SnapshotEncoder:
    """Makes each snapshot's ``--json`` data, reusing the data of every process whose row object is the one
    of the previous sample (the sampler keeps an idle process's row), so :func:`diff` skips it at once."""

    def __init__(self) -> None:
        # Row data by the row's id(); the rows are held, so no id is reused while it is a key here.
        self._by_id: dict[int, dict[str, Any]] = {}
        self._held: tuple[ProcessInfo, ...] = ()

    def data(self, snapshot: Snapshot, tunables: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The snapshot's JSON data (with ``tunables`` when given), as :func:`snapshot_to_dict` makes it."""
        data = snapshot_to_dict(dataclasses.replace(snapshot, processes=()))
        rows = snapshot.processes
        ids = list(map(id, rows))
        known = self._by_id.get
        # A comprehension, not a loop: this runs over every process at every sample.
        processes = [known(i) or _row_dict(row) for i, row in zip(ids, rows, strict=True)]
        self._by_id = dict(zip(ids, processes, strict=True))
        self._held = rows
        data["processes"] = processes
        if tunables is not None:
            data["tunables"] = tunables
        return data


_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(ProcessInfo))


_ROW_VALUES = operator.attrgetter(*_ROW_FIELDS)


def _row_dict(row: ProcessInfo) -> dict[str, Any]:
    data = dict(zip(_ROW_FIELDS, _ROW_VALUES(row), strict=True))
    if row.affinity is not None:
        data["affinity"] = list(row.affinity)
    for name, value in data.items():
        if type(value) is float and not math.isfinite(value):
            data[name] = None
    return data


# -- writing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordingHeader:
    """What a recording says about itself."""

    version: int
    created: float
    hostname: str | None
    interval: float | None
    keyframe_every: int
    session: str
    segment: int

    def to_json(self) -> bytes:
        """The header's JSON, as the file holds it."""
        data = {"format": "perftop-recording"} | dataclasses.asdict(self)
        return json.dumps(data, separators=(",", ":")).encode()


def _file_head(header: RecordingHeader) -> bytes:
    body = header.to_json()
    return _FILE_HEAD.pack(MAGIC, header.version, len(body), zlib.crc32(body)) + body


def frame_bytes(kind: bytes, when: float, payload: bytes) -> bytes:
    """One frame: its head (with both checksums) and ``payload``."""
    head = _FRAME_HEAD.pack(b"PF", kind, b"\0", when, len(payload), zlib.crc32(payload))
    return head + _FRAME_HEAD_CRC.pack(zlib.crc32(head)) + payload


class Recorder:
    """Appends snapshots to a recording: a keyframe every ``keyframe_every`` frames (and first in each
    file), deltas between. ``max_size``: bytes the file and its older segment ``FILE.1`` may take together;
    past half of it the file becomes ``FILE.1`` (replacing the one before) and a new file begins.

    An existing recording is appended to; any other existing file is refused. A failed write (a full disk)
    cuts the file back to its last whole frame and raises :class:`RecordingError`.
    """

    def __init__(
        self,
        path: Path,
        *,
        interval: float | None,
        hostname: str | None,
        keyframe_every: int = KEYFRAME_EVERY,
        max_size: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if keyframe_every < 1:
            raise ValueError("keyframe_every must be at least 1")
        self.path = path
        self.max_size = max_size
        self._keyframe_every = keyframe_every
        self._encoder = SnapshotEncoder()
        self._compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        self._previous: dict[str, Any] | None = None
        self._since_keyframe = 0
        self.frames_written = 0
        header = RecordingHeader(
            VERSION, clock(), hostname, interval, keyframe_every, uuid.uuid4().hex, segment=0
        )
        self._header = header
        #: The file's size: where the next frame goes.
        self.size = 0
        self._fd = self._open(path, header)

    def _open(self, path: Path, header: RecordingHeader) -> int:
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                raise RecordingError(f"{_shown(path)} is not a regular file")
        except FileNotFoundError:
            pass  # made below
        except OSError as error:
            raise RecordingError(f"cannot write {_shown(path)}: {error.strerror}") from error
        try:
            # Non-blocking: a FIFO put there meanwhile must not hang the recorder (it is refused below).
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
        except OSError as error:
            raise RecordingError(f"cannot write {_shown(path)}: {error.strerror}") from error
        try:
            if not _is_regular(fd):
                raise RecordingError(f"{_shown(path)} is not a regular file")
            size = os.fstat(fd).st_size
            if size == 0:
                self._write(fd, _file_head(header), 0)
                self.size = os.fstat(fd).st_size
            else:
                existing = read_header(path)  # raises RecordingError when it is not a recording
                if existing.version != VERSION:
                    raise RecordingError(
                        f"{_shown(path)} is a recording of format version {existing.version}; "
                        f"this perftop appends only to version {VERSION}"
                    )
                self._header = existing
                self.size = size
        except BaseException:
            os.close(fd)
            raise
        return fd

    def add(
        self,
        snapshot: Snapshot,
        *,
        actions: Sequence[ActionRecord] = (),
        tunables: list[dict[str, Any]] | None = None,
    ) -> int:
        """Append ``snapshot`` and the actions applied since the last one; returns the bytes written."""
        data = self._encoder.data(snapshot, tunables)
        key = self._previous is None or self._since_keyframe >= self._keyframe_every
        body: dict[str, Any] = {"time": snapshot.time}
        if key:
            body["snapshot"] = data
        else:
            body["delta"] = diff(self._previous, data)
        body["actions"] = [action_to_dict(a) for a in actions]
        payload = self._compressor.compress(json.dumps(body, separators=(",", ":")).encode())
        frame = frame_bytes(KEYFRAME if key else DELTA, snapshot.time, payload)
        if self.max_size is not None and self.frames_written and self.size + len(frame) > self.max_size // 2:
            self._rotate()
            return self.add(snapshot, actions=actions, tunables=tunables)
        self._write(self._fd, frame, self.size)
        self.size += len(frame)
        self.frames_written += 1
        self._previous = data
        self._since_keyframe = 1 if key else self._since_keyframe + 1
        return len(frame)

    def _rotate(self) -> None:
        """The file becomes ``FILE.1`` (the older one goes); the next frame begins a new file."""
        os.close(self._fd)
        self._fd = -1
        try:
            os.replace(self.path, segment_path(self.path))
        except OSError as error:
            raise RecordingError(f"cannot rotate {_shown(self.path)}: {error.strerror}") from error
        header = dataclasses.replace(self._header, created=time.time(), segment=self._header.segment + 1)
        self._header = header
        self._fd = self._open(self.path, header)
        self._previous = None
        self.frames_written = 0

    def _write(self, fd: int, data: bytes, size_before: int) -> None:
        try:
            # A short write (a disk filling, a file size limit) is followed by another, which fails with
            # the reason (ENOSPC, EFBIG) the message then gives.
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                if written <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[written:]
        except OSError as error:
            # Nothing half-written: the file ends with its last whole frame.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size_before)
            where = _shown(self.path)
            raise RecordingError(
                f"recording stopped: cannot write {where}: {error.strerror or error}; "
                f"it keeps the {self.frames_written} frames written before"
            ) from error

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def segment_path(path: Path) -> Path:
    """Where rotation keeps the older segment of ``path``."""
    return path.with_name(path.name + ".1")


def _is_regular(fd: int) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)


def _shown(path: Path) -> str:
    return escaped(str(path))


# -- reading ---------------------------------------------------------------------------------------------


def read_header(path: Path) -> RecordingHeader:
    """The header of the recording ``path``; :class:`RecordingError` when it is not one perftop reads."""
    with _mapped(path) as data:
        return _read_header(data, path)[0]


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[bytes | mmap.mmap]:
    """The bytes of the regular file ``path``, mapped rather than read (a recording may be large); a FIFO
    or a device is refused rather than waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise RecordingError(f"cannot read {_shown(path)}: {error.strerror}") from error
    try:
        if not _is_regular(fd):
            raise RecordingError(f"{_shown(path)} is not a regular file, so not a perftop recording")
        if os.fstat(fd).st_size == 0:
            yield b""
            return
        try:
            mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            raise RecordingError(f"cannot read {_shown(path)}: {error}") from error
        with mapped:
            yield mapped
    finally:
        os.close(fd)


def _read_header(data: bytes | mmap.mmap, path: Path) -> tuple[RecordingHeader, int]:
    where = _shown(path)
    if not data:
        raise RecordingError(f"{where} is empty: not a perftop recording")
    if len(data) < _FILE_HEAD.size or data[: len(MAGIC)] != MAGIC:
        if len(data) < len(MAGIC) and MAGIC.startswith(data[:]):
            raise RecordingError(f"{where} is a recording cut short inside its header")
        raise RecordingError(f"{where} is not a perftop recording")
    _, version, length, crc = _FILE_HEAD.unpack_from(data)
    if version > VERSION:
        raise RecordingError(
            f"{where} is a recording of format version {version}, newer than this perftop reads ({VERSION}): "
            "replay it with a newer perftop"
        )
    body = data[_FILE_HEAD.size : _FILE_HEAD.size + length]
    if length > MAX_HEADER_BYTES or len(body) < length:
        raise RecordingError(f"{where} is a recording cut short inside its header")
    if zlib.crc32(body) != crc:
        raise RecordingError(f"{where} is a perftop recording with a damaged header (checksum mismatch)")
    try:
        raw = json.loads(body)
        header = RecordingHeader(
            int(raw["version"]),
            float(raw["created"]),
            raw.get("hostname"),
            None if raw.get("interval") is None else float(raw["interval"]),
            int(raw["keyframe_every"]),
            str(raw["session"]),
            int(raw["segment"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise RecordingError(f"{where} is a perftop recording with a garbled header") from error
    return header, _FILE_HEAD.size + length


@dataclass(frozen=True, slots=True)
class FrameInfo:
    """Where one good frame lies: its file, offset of its payload and length, kind and time."""

    path: Path
    offset: int
    length: int
    kind: bytes
    time: float
    #: The frame's number in its file (1 is the first), to name it in messages.
    number: int


_TORN = "cut short (an interrupted write)"
_DAMAGED = "damaged (checksum mismatch)"


@dataclass(slots=True)
class _Scan:
    frames: list[FrameInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _scan(path: Path, data: bytes | mmap.mmap, start: int, scan: _Scan) -> None:
    """Index the good frames of ``data`` from ``start``; name each damaged stretch in ``scan.problems``.

    After a damaged frame the scan looks for the next good frame head; the deltas after a damaged frame
    are unusable up to the next keyframe (they change a snapshot the reader does not have)."""
    where = _shown(path)
    offset, number, broken = start, 0, False
    end = len(data)
    while offset < end:
        number += 1
        head = data[offset : offset + FRAME_HEAD_BYTES]
        if len(head) < FRAME_HEAD_BYTES:
            scan.problems.append(
                f"{where}: frame {number} at byte {offset} is cut short (an interrupted write)"
            )
            return
        magic, kind, _flags, when, length, crc = _FRAME_HEAD.unpack_from(head)
        (head_crc,) = _FRAME_HEAD_CRC.unpack_from(head, _FRAME_HEAD.size)
        good_head = (
            magic == b"PF" and zlib.crc32(head[: _FRAME_HEAD.size]) == head_crc and kind in (KEYFRAME, DELTA)
        )
        if not good_head or length > MAX_PAYLOAD_BYTES:
            found = _next_frame(data, offset + 1)
            what = "cut short" if found is None and _looks_torn(data, offset) else "damaged"
            scan.problems.append(f"{where}: frame {number} at byte {offset} is {what}; skipped")
            if found is None:
                return
            offset, broken = found, True
            continue
        payload_at = offset + FRAME_HEAD_BYTES
        if payload_at + length > end:
            scan.problems.append(
                f"{where}: frame {number} at byte {offset} is cut short (an interrupted write)"
            )
            return
        if zlib.crc32(data[payload_at : payload_at + length]) != crc:
            scan.problems.append(
                f"{where}: frame {number} at byte {offset} is damaged (checksum mismatch); skipped"
            )
            offset, broken = payload_at + length, True
            continue
        if broken and kind == DELTA:
            scan.problems.append(f"{where}: frame {number} at byte {offset} follows a damaged frame; skipped")
            offset = payload_at + length
            continue
        broken = False
        scan.frames.append(FrameInfo(path, payload_at, length, kind, when, number))
        offset = payload_at + length


def _looks_torn(data: bytes | mmap.mmap, offset: int) -> bool:
    return len(data) - offset < FRAME_HEAD_BYTES + 64


def _next_frame(data: bytes | mmap.mmap, start: int) -> int | None:
    """The offset of the next frame head whose own checksum holds, after ``start``."""
    at = start
    while (at := data.find(b"PF", at)) >= 0:
        head = data[at : at + FRAME_HEAD_BYTES]
        if len(head) == FRAME_HEAD_BYTES:
            (head_crc,) = _FRAME_HEAD_CRC.unpack_from(head, _FRAME_HEAD.size)
            if zlib.crc32(head[: _FRAME_HEAD.size]) == head_crc:
                return at
        at += 1
    return None


class Recording:
    """A recording opened for reading: an index of its good frames (its older segment's first, when
    rotation left one of the same session) and what was wrong with the others (:attr:`problems`).

    Frames are decoded on demand; stepping forward applies one delta, a jump replays from the keyframe
    before it. Raises :class:`RecordingError` when the file is not a recording perftop reads or holds no
    good frame.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        scan = _Scan()
        header = self._scan_file(path, scan)
        older = segment_path(path)
        if header.segment > 0 and older.is_file():
            older_scan = _Scan()
            try:
                older_header = self._scan_file(older, older_scan)
            except RecordingError as error:
                scan.problems.insert(0, f"older segment left out: {error}")
            else:
                if older_header.session == header.session and older_header.segment == header.segment - 1:
                    scan.frames[:0] = older_scan.frames
                    scan.problems[:0] = older_scan.problems
        self.header = header
        self.frames: list[FrameInfo] = scan.frames
        self.problems: list[str] = scan.problems
        if not self.frames:
            detail = f" ({self.problems[0]})" if self.problems else ""
            raise RecordingError(f"{_shown(path)} holds no whole frame to replay{detail}")
        self._times = [f.time for f in self.frames]
        self._decompressor = zstandard.ZstdDecompressor()
        self._body_cache: tuple[int, dict[str, Any]] | None = None
        self._data: dict[int, dict[str, Any]] = {}
        self._last: tuple[int, dict[str, Any]] | None = None
        self._snapshots: dict[int, Snapshot] = {}
        self._rows = ProcessRows()
        self._actions: list[tuple[int, RecordedAction]] | None = None

    def _scan_file(self, path: Path, scan: _Scan) -> RecordingHeader:
        with _mapped(path) as data:
            header, start = _read_header(data, path)
            _scan(path, data, start, scan)
        return header

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def start(self) -> float:
        """The first frame's time."""
        return self.frames[0].time

    @property
    def end(self) -> float:
        """The last frame's time."""
        return self.frames[-1].time

    def index_at(self, when: float) -> int:
        """The last frame at or before ``when`` (the first one when ``when`` is before it)."""
        return max(0, bisect.bisect_right(self._times, when) - 1)

    def _body(self, index: int) -> dict[str, Any]:
        cached = self._body_cache
        if cached is not None and cached[0] == index:
            return cached[1]
        info = self.frames[index]
        try:
            with open(info.path, "rb") as f:
                f.seek(info.offset)
                payload = f.read(info.length)
            body = json.loads(self._decompressor.decompress(payload))
        except (OSError, zstandard.ZstdError, ValueError) as error:
            raise RecordingError(
                f"{_shown(info.path)}: frame {info.number} cannot be decoded: {error}"
            ) from error
        if not isinstance(body, dict):
            raise RecordingError(f"{_shown(info.path)}: frame {info.number} is not a frame")
        self._body_cache = (index, body)
        return body

    def data(self, index: int) -> dict[str, Any]:
        """Frame ``index``'s snapshot as ``--json`` data (every section, ``tunables`` included)."""
        last = self._last
        if last is not None and last[0] == index:
            return last[1]
        if last is not None and last[0] == index - 1 and self.frames[index].kind == DELTA:
            data = self._apply(last[1], index)
        else:
            key = index
            while self.frames[key].kind != KEYFRAME:
                key -= 1
            data = self._keyframe(key)
            for i in range(key + 1, index + 1):
                data = self._apply(data, i)
        self._last = (index, data)
        return data

    def _keyframe(self, index: int) -> dict[str, Any]:
        found = self._data.get(index)
        if found is None:
            snapshot = self._body(index).get("snapshot")
            if not isinstance(snapshot, dict):
                raise RecordingError(f"{self._name(index)} is a keyframe without a snapshot")
            if len(self._data) >= 4:
                self._data.pop(next(iter(self._data)))
            found = self._data[index] = snapshot
        return found

    def _apply(self, data: dict[str, Any], index: int) -> dict[str, Any]:
        try:
            out = patch(data, self._body(index).get("delta"))
        except (ValueError, KeyError, TypeError) as error:
            raise RecordingError(f"{self._name(index)} holds a change perftop cannot apply") from error
        if not isinstance(out, dict):
            raise RecordingError(f"{self._name(index)} holds a change perftop cannot apply")
        return out

    def _name(self, index: int) -> str:
        info = self.frames[index]
        return f"{_shown(info.path)}: frame {info.number}"

    def snapshot(self, index: int) -> Snapshot:
        """Frame ``index``'s snapshot, for the panes."""
        found = self._snapshots.get(index)
        if found is None:
            try:
                found = snapshot_from_dict(self.data(index), self._rows)
            except SnapshotDataError as error:
                raise RecordingError(f"{self._name(index)}: {error}") from error
            if len(self._snapshots) >= 8:
                self._snapshots.pop(next(iter(self._snapshots)))
            self._snapshots[index] = found
        return found

    def actions(self) -> list[tuple[int, RecordedAction]]:
        """Every recorded action with the index of the frame that holds it (the first sample after it)."""
        if self._actions is None:
            found: list[tuple[int, RecordedAction]] = []
            for index in range(len(self.frames)):
                for raw in self._body(index).get("actions") or ():
                    try:
                        found.append((index, action_from_dict(raw)))
                    except (KeyError, TypeError, ValueError):
                        self.problems.append(f"{self._name(index)}: an action perftop cannot read; left out")
            self._actions = found
        return self._actions

    def lines(self, first: int = 0, last: int | None = None) -> Iterator[dict[str, Any]]:
        """The frames ``first``..``last`` as ``--json`` lines: each snapshot with its ``actions``."""
        stop = len(self.frames) - 1 if last is None else last
        for index in range(first, stop + 1):
            data = self.data(index)
            yield data | {"actions": self._body(index).get("actions") or []}


# -- times on the command line and in replay -------------------------------------------------------------

_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)(s|m|h|d)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_when(text: str, *, plus_from: float, minus_from: float, day_of: float) -> float:
    """The epoch time ``text`` names: ``+30s``/``+2m`` after ``plus_from``, ``-10m`` before ``minus_from``,
    ``14:05`` or ``14:05:30`` on the local day of ``day_of``, ``2026-12-07T14:05[:30]`` or epoch seconds.
    Raises ``ValueError`` with a message for anything else."""
    text = text.strip()
    if m := _RELATIVE.match(text):
        seconds = float(m.group(2)) * _UNIT_SECONDS[m.group(3)]
        return plus_from + seconds if m.group(1) == "+" else minus_from - seconds
    if m := _CLOCK.match(text):
        hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(f"{text!r} is not a time of day")
        day = time.localtime(day_of)
        return time.mktime((day.tm_year, day.tm_mon, day.tm_mday, hour, minute, second, 0, 0, -1))
    for pattern in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return time.mktime(time.strptime(text, pattern))
        except ValueError:
            continue
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value == value and value > 0:
        return value
    raise ValueError(
        f"{escaped(text)!r} is not a time: use 14:05, 14:05:30, -10m, +30s, 2026-12-07T14:05 or epoch seconds"
    )
