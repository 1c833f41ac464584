"""The JSON contract read back: a snapshot's plain data (as :func:`~perftop.tui.json_lines.snapshot_to_dict`
writes it) made into the :class:`~perftop.probes.snapshot.Snapshot` the panes draw.

The conversion follows the dataclasses' type hints, so a field added to a snapshot dataclass is read back
without a change here. A key the dataclass lacks is ignored (a newer recorder's); a field the data lacks
takes its default, or ``None`` (an older recorder's: unknown). Lists become tuples, as the probes make them.
Plain Python, no Textual.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from perftop.probes.snapshot import ProcessInfo, Snapshot, ThreadInfo

_Convert = Callable[[Any], Any]


class SnapshotDataError(ValueError):
    """The data does not have the shape of a snapshot (a section of the wrong type)."""


def snapshot_from_dict(data: Mapping[str, Any], processes: ProcessRows | None = None) -> Snapshot:
    """The snapshot ``data`` holds; its processes' ``tasks`` lists (``--json --threads``) become
    ``thread_rows``. ``processes``: the rows read back from earlier data, to reuse. Raises
    :class:`SnapshotDataError` when ``data`` is not shaped as a snapshot."""
    try:
        if processes is None:
            snapshot: Snapshot = _converter(Snapshot)(data)
        else:
            snapshot = _converter(Snapshot)({**data, "processes": ()})
            snapshot = dataclasses.replace(snapshot, processes=processes.read(data.get("processes") or ()))
        rows = _thread_rows(data.get("processes") or ())
    except (TypeError, AttributeError, KeyError, ValueError) as error:
        raise SnapshotDataError(f"not a snapshot: {error}") from error
    return dataclasses.replace(snapshot, thread_rows=rows) if rows else snapshot


class ProcessRows:
    """Processes read back, each reused while its data is the very object read before: a recording's
    frames share the data of a process that did not change, so stepping through one reads only the rows
    that changed (and the panes, as live, get an idle process's row object again)."""

    def __init__(self) -> None:
        self._rows: dict[Any, tuple[Mapping[str, Any], ProcessInfo]] = {}

    def read(self, processes: Any) -> tuple[ProcessInfo, ...]:
        """The rows of ``processes`` (the ``processes`` list of a snapshot's data)."""
        known = self._rows
        rows: dict[Any, tuple[Mapping[str, Any], ProcessInfo]] = {}
        out = []
        for data in processes:
            hit = known.get(data.get("pid"))
            if hit is None or hit[0] is not data:
                hit = (data, process_from_dict(data))
            rows[data.get("pid")] = hit
            out.append(hit[1])
        self._rows = rows
        return tuple(out)


def process_from_dict(data: Mapping[str, Any]) -> ProcessInfo:
    """One process of the ``processes`` list."""
    process: ProcessInfo = _converter(ProcessInfo)(data)
    return process


def _thread_rows(processes: Any) -> tuple[ThreadInfo, ...]:
    convert = _converter(ThreadInfo)
    rows: list[ThreadInfo] = []
    for process in processes:
        for task in process.get("tasks") or ():
            # A task lists only what the kernel keeps per thread: the rest comes from its process.
            merged = {**process, **task, "pid": task.get("tid"), "tgid": process.get("pid")}
            rows.append(convert(merged))
    return tuple(rows)


@functools.cache
def _converter(hint: Any) -> _Convert:
    """A function turning JSON data into a value of ``hint`` (made once per type)."""
    return _make(hint)


def _same(value: Any) -> Any:
    return value


def _make(hint: Any) -> _Convert:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass_converter(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            convert = _converter(inner[0])
            return lambda value: None if value is None else convert(value)
        return _same  # unions of plain types: JSON already holds the value
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])
            if item is _same:
                return lambda value: tuple(value)
            return lambda value: tuple(item(v) for v in value)
        items = [_converter(a) for a in args]
        return lambda value: tuple(convert(v) for convert, v in zip(items, value, strict=True))
    if origin is dict:
        key_hint, value_hint = args
        value_convert = _converter(value_hint)
        # JSON object keys are text: a dict keyed by numbers gets them back as numbers.
        key_convert: _Convert = int if key_hint is int else _same
        return lambda value: {key_convert(k): value_convert(v) for k, v in value.items()}
    if hint is float:
        return lambda value: float(value)
    return _same


def _dataclass_converter(cls: type) -> _Convert:
    hints = typing.get_type_hints(cls)
    fields = []
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            default: Any = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = None
        fields.append((field.name, _converter(hints[field.name]), default))

    def convert(data: Mapping[str, Any]) -> Any:
        values = {}
        for name, convert_field, default in fields:
            value = data.get(name, default)
            values[name] = None if value is None else convert_field(value)
        return cls(**values)

    return convert
