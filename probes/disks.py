"""Block devices: ``/proc/diskstats``, ``/sys/block/DEV/queue/*`` and the figures of ``iostat -x``.

:func:`parse_diskstats` is pure (``text -> data``) and reads every layout the kernel has written; the
readers take an :class:`~perftop.probes.fs.FS` and give ``None`` for whatever is missing or unreadable.
:func:`disk_rates` turns two samples into exactly the per-device figures ``iostat -x`` prints (sysstat's
formulas: deltas over the interval, awaits and merge percentages over the requests completed in it).

The sampler keeps the previous counters and, once per sample, calls::

    counters = read_diskstats(fs)
    disks = disk_rates(prev_counters, counters, elapsed, read_disks_info(fs, counters or ()))

Sectors in ``/proc/diskstats`` are always 512 bytes, whatever the device's logical block size.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Final

from perftop.probes.fs import FS, TextReader, parse_named_lines, read_parsed, read_text
from perftop.probes.kernel_numbers import all_u64, u64
from perftop.probes.snapshot import DiskStats

#: Bytes per sector of ``/proc/diskstats`` (the kernel's fixed unit, not the device's block size).
SECTOR_BYTES = 512

# Field counts of a /proc/diskstats line, major, minor and name included.
_OLD_PARTITION_FIELDS = 7  # partitions before 2.6.25: reads, read sectors, writes, written sectors
_BASE_FIELDS = 14  # 11 counters, every kernel since 2.6.25 (and the fewest a line needs to be read)
_DISCARD_FIELDS = 18  # + 4 discard counters, since 4.18
_FLUSH_FIELDS = 20  # + 2 flush counters, since 5.5


# ---------------------------------------------------------------------------------------------------------
# Raw readings (what the sampler keeps between two samples)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiskCounters:
    """One ``/proc/diskstats`` line in the kernel's units (sectors, milliseconds).

    Fields the line's layout does not have are ``None``: old partition lines (7 fields) carry only the
    four read/write counts, lines of 14 to 17 fields no discard or flush counters, of 18 or 19 no flush
    ones.
    """

    major: int
    minor: int
    name: str
    reads_completed: int
    reads_merged: int | None
    read_sectors: int
    read_time_ms: int | None
    writes_completed: int
    writes_merged: int | None
    written_sectors: int
    write_time_ms: int | None
    in_flight: int | None
    io_time_ms: int | None
    weighted_io_time_ms: int | None
    discards_completed: int | None = None
    discards_merged: int | None = None
    discarded_sectors: int | None = None
    discard_time_ms: int | None = None
    flushes_completed: int | None = None
    flush_time_ms: int | None = None


@dataclass(frozen=True, slots=True)
class DiskInfo:
    """A device's ``queue/`` settings in sysfs and whether it is a partition. ``None`` where unreadable."""

    scheduler: str | None
    schedulers: tuple[str, ...] | None
    rotational: bool | None
    read_ahead_kb: int | None
    nr_requests: int | None
    is_partition: bool


_NO_INFO = DiskInfo(None, None, None, None, None, False)

# ---------------------------------------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------------------------------------


def _diskstats_line(line: str) -> DiskCounters | None:
    """One line, or ``None`` when it lacks the 11 classic counters (8-13 fields: cut short) or is garbled.

    Any line with those counters is read, whatever follows them: the discard counters only where all four
    are there (18 fields and more), the flush counters where both are (20 and more). Real captures hold
    15- to 17-field lines, of kernels or drivers that write part of a layout.
    """
    columns = line.split()
    count = len(columns)
    if count >= _FLUSH_FIELDS:
        width = _FLUSH_FIELDS
    elif count >= _DISCARD_FIELDS:
        width = _DISCARD_FIELDS
    elif count >= _BASE_FIELDS or count == _OLD_PARTITION_FIELDS:
        width = min(count, _BASE_FIELDS)
    else:
        return None
    name = columns[2]
    try:
        numbers = [int(n) for n in (columns[0], columns[1], *columns[3:width])]
    except ValueError:
        return None
    if not all_u64(numbers):
        return None  # the kernel's counters are unsigned 64-bit numbers
    if count == _OLD_PARTITION_FIELDS:
        major, minor, reads, read_sectors, writes, written_sectors = numbers
        return DiskCounters(
            major, minor, name, reads, None, read_sectors, None, writes, None, written_sectors,
            None, None, None, None,
        )  # fmt: skip
    # Layouts without discard or flush counters leave them None (those fields' default).
    return DiskCounters(numbers[0], numbers[1], name, *numbers[2:])


def parse_diskstats(text: str, lines: dict[str, DiskCounters] | None = None) -> dict[str, DiskCounters]:
    """Parse ``/proc/diskstats``: 7-field lines (old partitions) and every line of 14 fields or more (see
    ``_diskstats_line``; fields beyond the 20 of the newest layout are ignored).

    Cut or garbled lines are skipped; a name seen twice keeps its first line. Devices are in the kernel's
    order.

    ``lines``: the caller's memo of :func:`~perftop.probes.fs.parse_named_lines`; an idle device's line
    gives its last object again, so :func:`disk_rates` knows it idle at a glance.
    """
    return parse_named_lines(text, _diskstats_line, lines)


def parse_scheduler(text: str) -> tuple[str | None, tuple[str, ...]]:
    """The active and the available schedulers of ``queue/scheduler``: ``"none [mq-deadline] kyber"``
    gives ``("mq-deadline", ("none", "mq-deadline", "kyber"))``. A lone name without brackets is active.
    """
    words = text.split()
    available = tuple(w.strip("[]") for w in words)
    active = [w[1:-1] for w in words if len(w) > 2 and w.startswith("[") and w.endswith("]")]
    if len(active) == 1:
        return active[0], available
    if len(words) == 1 and not active:
        return available[0], available
    return None, available


# ---------------------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------------------


def sysfs_name(name: str) -> str:
    """The sysfs directory name of a ``/proc/diskstats`` name (``cciss/c0d0`` is ``cciss!c0d0``)."""
    return name.replace("/", "!")


def _int_file(path: str, read: TextReader = read_text) -> int | None:
    text = read(path)
    if text is None:
        return None
    try:
        return u64(int(text.strip()))
    except ValueError:
        return None


def read_diskstats(
    fs: FS, read: TextReader = read_text, lines: dict[str, DiskCounters] | None = None
) -> dict[str, DiskCounters] | None:
    """``/proc/diskstats`` parsed, or ``None`` when it cannot be read (``read``: see
    :data:`~perftop.probes.fs.TextReader`; ``lines``: see :func:`parse_diskstats`)."""
    return read_parsed(read, fs.proc("diskstats"), parse_diskstats, lines)


def is_partition(fs: FS, name: str) -> bool:
    """True when the block device ``name`` is a partition (its ``/sys/class/block/NAME/partition`` exists)."""
    return os.path.exists(fs.sys("class", "block", sysfs_name(name), "partition"))


def _queue_dir(fs: FS, name: str, partition: bool) -> str:
    """The ``queue/`` directory serving ``name``: its own, or for a partition its disk's."""
    if partition:
        # /sys/class/block/sda1 links to .../block/sda/sda1: the parent directory is the disk.
        disk = os.path.basename(os.path.dirname(os.path.realpath(fs.sys("class", "block", sysfs_name(name)))))
        return fs.sys("block", disk, "queue")
    return fs.sys("block", sysfs_name(name), "queue")


def read_disk_info(fs: FS, name: str, read: TextReader = read_text) -> DiskInfo:
    """The ``queue/{scheduler,rotational,read_ahead_kb,nr_requests}`` settings of one device (``read``:
    see :data:`~perftop.probes.fs.TextReader`).

    A device without ``queue/scheduler`` (zram, some device-mapper targets) has scheduler ``None``.
    """
    partition = is_partition(fs, name)
    queue = _queue_dir(fs, name, partition) + "/"
    scheduler_text = read(queue + "scheduler")
    scheduler, schedulers = (None, None) if scheduler_text is None else parse_scheduler(scheduler_text)
    rotational = _int_file(queue + "rotational", read)
    return DiskInfo(
        scheduler=scheduler,
        schedulers=schedulers or None,
        rotational=None if rotational is None else rotational != 0,
        read_ahead_kb=_int_file(queue + "read_ahead_kb", read),
        nr_requests=_int_file(queue + "nr_requests", read),
        is_partition=partition,
    )


def read_disks_info(fs: FS, names: Iterable[str], read: TextReader = read_text) -> dict[str, DiskInfo]:
    """:func:`read_disk_info` for each name (the queue settings can be changed at any time: the sampler
    reads them again every few seconds, through files it keeps open)."""
    return {name: read_disk_info(fs, name, read) for name in names}


def whole_disk_of(fs: FS, st_dev: int) -> str | None:
    """The ``/proc/diskstats`` name of the whole disk holding a file with this ``st_dev``.

    A partition resolves to its parent disk (``8:1`` -> ``sda``). ``None`` when the number is no block
    device (tmpfs, overlay, btrfs subvolumes and other anonymous devices have major 0).
    """
    link = fs.sys("dev", "block", f"{os.major(st_dev)}:{os.minor(st_dev)}")
    if not os.path.exists(link):
        return None
    device = os.path.realpath(link)
    if os.path.exists(os.path.join(device, "partition")):
        device = os.path.dirname(device)
    return os.path.basename(device).replace("!", "/")


# ---------------------------------------------------------------------------------------------------------
# Rates: iostat -x
# ---------------------------------------------------------------------------------------------------------


# The counters of a DiskCounters, in field order after major, minor and name, and how to read them at once.
_COUNTERS = tuple(f.name for f in fields(DiskCounters) if f.name not in ("major", "minor", "name"))
_counter_values = attrgetter(*_COUNTERS)
# Positions in that tuple (iostat's inputs). in_flight (a gauge) is the only one that may fall.
(
    _READS, _READS_MERGED, _READ_SECTORS, _READ_TIME, _WRITES, _WRITES_MERGED, _WRITTEN_SECTORS, _WRITE_TIME,
    _IN_FLIGHT, _IO_TIME, _WEIGHTED_IO_TIME, _DISCARDS, _DISCARDS_MERGED, _DISCARDED_SECTORS, _DISCARD_TIME,
    _FLUSHES, _FLUSH_TIME,
) = range(len(_COUNTERS))  # fmt: skip

#: The number of iostat figures of DiskStats (``r_per_s`` to ``f_await_ms``), and their types.
_RATE_COUNT: Final = 22
_Rate = float | None
_Rates = tuple[
    _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate,
    _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate, _Rate,
]  # fmt: skip
_NO_RATES: _Rates = (None,) * _RATE_COUNT


def _deltas(prev: DiskCounters | None, cur: DiskCounters, elapsed: float | None) -> list[int | None] | None:
    """Each counter's change over the interval (``None`` where either sample lacks it), or ``None`` without
    a usable baseline: no previous sample or elapsed time, another device number, or any cumulative
    counter smaller than before (the device was unregistered and registered again)."""
    if prev is None or elapsed is None or elapsed <= 0 or (prev.major, prev.minor) != (cur.major, cur.minor):
        return None
    deltas: list[int | None] = []
    for index, (before, after) in enumerate(zip(_counter_values(prev), _counter_values(cur), strict=True)):
        if before is None or after is None:
            deltas.append(None)
        elif after < before and index != _IN_FLIGHT:
            return None
        else:
            deltas.append(after - before)
    return deltas


def _bytes(sectors: int | None) -> int | None:
    return None if sectors is None else sectors * SECTOR_BYTES


def _per_s(delta: int | None, elapsed: float, scale: int = 1) -> float | None:
    return None if delta is None else delta * scale / elapsed


def _per_request(delta: int | None, requests: int | None, scale: int = 1) -> float | None:
    """``delta / requests``: 0.0 over an interval without requests, as iostat prints."""
    if delta is None or requests is None:
        return None
    return delta * scale / requests if requests else 0.0


def _merged_percent(merged: int | None, completed: int | None) -> float | None:
    """Percent of requests merged before reaching the device (iostat's %rrqm)."""
    if merged is None or completed is None:
        return None
    return merged / (merged + completed) * 100.0 if merged + completed else 0.0


def _rates(d: list[int | None] | None, elapsed: float) -> _Rates:
    """The iostat figures of one device in DiskStats' field order, all ``None`` without deltas."""
    if d is None:
        return _NO_RATES
    io_ms = elapsed * 1000.0  # aqu-sz and %util: milliseconds counted per millisecond elapsed
    io_time, weighted = d[_IO_TIME], d[_WEIGHTED_IO_TIME]
    return (
        _per_s(d[_READS], elapsed),
        _per_s(d[_WRITES], elapsed),
        _per_s(d[_READ_SECTORS], elapsed, SECTOR_BYTES),
        _per_s(d[_WRITTEN_SECTORS], elapsed, SECTOR_BYTES),
        _per_s(d[_READS_MERGED], elapsed),
        _per_s(d[_WRITES_MERGED], elapsed),
        _merged_percent(d[_READS_MERGED], d[_READS]),
        _merged_percent(d[_WRITES_MERGED], d[_WRITES]),
        _per_request(d[_READ_TIME], d[_READS]),
        _per_request(d[_WRITE_TIME], d[_WRITES]),
        _per_request(d[_READ_SECTORS], d[_READS], SECTOR_BYTES),
        _per_request(d[_WRITTEN_SECTORS], d[_WRITES], SECTOR_BYTES),
        None if weighted is None else weighted / io_ms,
        None if io_time is None else io_time / io_ms * 100.0,
        _per_s(d[_DISCARDS], elapsed),
        _per_s(d[_DISCARDED_SECTORS], elapsed, SECTOR_BYTES),
        _per_s(d[_DISCARDS_MERGED], elapsed),
        _merged_percent(d[_DISCARDS_MERGED], d[_DISCARDS]),
        _per_request(d[_DISCARD_TIME], d[_DISCARDS]),
        _per_request(d[_DISCARDED_SECTORS], d[_DISCARDS], SECTOR_BYTES),
        _per_s(d[_FLUSHES], elapsed),
        _per_request(d[_FLUSH_TIME], d[_FLUSHES]),
    )


def _stats(cur: DiskCounters, deltas: list[int | None] | None, elapsed: float, info: DiskInfo) -> DiskStats:
    """One device's row; ``deltas`` ``None`` leaves every rate ``None``."""
    # Positional, in DiskStats' field order: a row per device per sample, and keywords cost more.
    return DiskStats(
        cur.name, cur.major, cur.minor, cur.reads_completed, cur.reads_merged,
        cur.read_sectors * SECTOR_BYTES, cur.read_time_ms, cur.writes_completed, cur.writes_merged,
        cur.written_sectors * SECTOR_BYTES, cur.write_time_ms, cur.in_flight, cur.io_time_ms,
        cur.weighted_io_time_ms, cur.discards_completed, cur.discards_merged, _bytes(cur.discarded_sectors),
        cur.discard_time_ms, cur.flushes_completed, cur.flush_time_ms,
        *_rates(deltas, elapsed),
        info.scheduler, info.schedulers, info.rotational, info.read_ahead_kb, info.nr_requests,
        info.is_partition,
    )  # fmt: skip


def disk_rates(
    prev: Mapping[str, DiskCounters] | None,
    cur: Mapping[str, DiskCounters] | None,
    elapsed: float | None,
    info: Mapping[str, DiskInfo] | None = None,
    idle_rows: dict[str, tuple[DiskCounters, DiskInfo, DiskStats]] | None = None,
) -> tuple[DiskStats, ...]:
    """Every device of ``cur`` with the ``iostat -x`` figures over the ``elapsed`` seconds since ``prev``.

    A device new in ``cur``, one whose counters went backwards or changed device number (unregistered and
    registered again), and every device when ``prev`` or ``elapsed`` is missing, get ``None`` rates.
    ``info`` adds the sysfs queue settings; a device absent from it has ``None`` settings.

    ``idle_rows`` is the caller's memo between calls (empty at first): a device whose counters are the very
    object of ``prev`` (see :func:`parse_diskstats`'s ``lines``) did no IO, and its row is kept there and
    returned again while its counters and settings stay the same objects. The result is the same with or
    without it.
    """
    stats: list[DiskStats] = []
    info = info or {}
    cur = cur or {}
    for name, counters in cur.items():
        before = prev.get(name) if prev is not None else None
        settings = info.get(name, _NO_INFO)
        if idle_rows is not None and before is counters and elapsed is not None and elapsed > 0:
            # No IO over the interval: every figure is 0.0 (or None where the layout lacks it) whatever the
            # elapsed time, so the row depends on the counters and settings alone.
            memo = idle_rows.get(name)
            if memo is None or memo[0] is not counters or memo[1] is not settings:
                row = _stats(counters, _deltas(before, counters, elapsed), elapsed, settings)
                memo = idle_rows[name] = (counters, settings, row)
            stats.append(memo[2])
            continue
        stats.append(_stats(counters, _deltas(before, counters, elapsed), elapsed or 0.0, settings))
    if idle_rows is not None:
        for name in [name for name, memo in idle_rows.items() if cur.get(name) is not memo[0]]:
            del idle_rows[name]
    return tuple(stats)
