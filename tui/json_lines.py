"""``perftop --json``: snapshots as JSON lines, the contract of design.md (keys are the dataclass fields)."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import time
from collections.abc import Callable
from typing import IO, Any

from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import ProcessInfo, Snapshot
from perftop.probes.tunable_files import read_tunables
from perftop.probes.tunables import TunableValue

#: The fields of a thread in a process's ``tasks`` list (``--json --threads``), after ``tid``: the ones the
#: kernel keeps per thread.
TASK_FIELDS: tuple[str, ...] = (
    "comm",
    "state",
    "policy",
    "rtprio",
    "nice",
    "priority",
    "processor",
    "node",
    "affinity",
    "start_time",
    "cpu_percent",
    "cpu_time_seconds",
    "voluntary_ctxt_switches",
    "nonvoluntary_ctxt_switches",
    "voluntary_ctxt_switches_per_s",
    "nonvoluntary_ctxt_switches_per_s",
)


def snapshot_to_dict(snapshot: Snapshot, *, threads: bool = False) -> dict[str, Any]:
    """The snapshot as plain JSON-ready data; tuples become lists, NaN/inf (never expected) become null.

    ``threads``: each process gets ``tasks``, its threads from ``thread_rows`` (``tid`` and
    :data:`TASK_FIELDS`), in TID order; an empty list when its ``task`` directory could not be read.
    ``thread_rows`` itself is never a key.
    """
    rows = snapshot.thread_rows
    data = plain(dataclasses.replace(snapshot, thread_rows=()))
    del data["thread_rows"]
    if threads:
        tasks: dict[int, list[dict[str, Any]]] = {}
        for t in rows:
            entry = {"tid": t.pid} | {name: getattr(t, name) for name in TASK_FIELDS}
            tasks.setdefault(t.tgid, []).append(plain(entry))
        for process in data["processes"]:
            process["tasks"] = tasks.get(process["pid"], [])
    return data


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: a dataclass as an object of its fields, tuples as lists, NaN and
    infinities (never expected) as null. (``dataclasses.asdict`` copies every value deeply first: this is
    several times faster, which a recording pays every sample.)"""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int or kind is str or kind is bool or value is None:
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@functools.cache
def _field_names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass, ``None`` for another type."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple(f.name for f in dataclasses.fields(kind))


def tunables_to_list(values: tuple[TunableValue, ...]) -> list[dict[str, Any]]:
    """The ``tunables`` key: ``{key, path, value}`` per tunable, ``value`` a number, a list of numbers or the
    chosen word (``null``: absent, unreadable or garbled)."""
    return [{"key": v.key, "path": v.path, "value": v.typed()} for v in values]


class OutputError(Exception):
    """The JSON lines could not be written: a full disk, a file over its size limit, an IO error. The
    message is the system's (``No space left on device``); ``__cause__`` is the ``OSError``."""


def write_json_lines(
    sampler: Sampler,
    out: IO[str],
    *,
    count: int,
    interval: float,
    select: Callable[[tuple[ProcessInfo, ...]], list[ProcessInfo]] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    threads: bool = False,
) -> None:
    """Take a baseline, then print ``count`` snapshots one ``interval`` apart, one JSON object per line.

    Samples start on a fixed cadence (the time a sample takes is not added to the interval). A failed
    write raises :class:`OutputError` (``BrokenPipeError`` itself when the reader went away).
    ``threads``: every process's threads are read too and listed in its ``tasks`` (see
    :func:`snapshot_to_dict`).
    """
    wanted: dict[str, Any] = {"threads": None} if threads else {}
    due = clock()
    # Every process's cgroup, run delay and group throttling too (the TUI reads them only for the rows on
    # screen).
    every: dict[str, Any] = {"cgroup_pids": None, "sched_pids": None, "throttle_pids": None, **wanted}
    sampler.sample(**every)
    for _ in range(count):
        due += interval
        sleep(max(0.0, due - clock()))
        snapshot = sampler.sample(**every)
        if clock() - due > interval:
            due = clock()  # after a stall (Ctrl-Z, suspend) keep the cadence instead of catching up
        if select is not None:
            snapshot = dataclasses.replace(snapshot, processes=tuple(select(snapshot.processes)))
        data = snapshot_to_dict(snapshot, threads=threads)
        data["tunables"] = tunables_to_list(read_tunables(sampler.fs))
        line = json.dumps(data, separators=(",", ":")) + "\n"
        try:
            out.write(line)
            out.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(error.strerror or str(error)) from error
