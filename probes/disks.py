"""Block devices: ``/proc/diskstats``, ``/sys/block/DEV/queue/*`` and the figures of ``iostat -x``.

:func:`parse_diskstats` is pure (``text -> data``) and reads every layout the kernel has written; the
readers take an :class:`~probes.fs.FS` and give ``None`` for whatever is missing or unreadable.
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

from probes.fs import FS, read_text
from probes.snapshot import DiskStats

#: Bytes per sector of ``/proc/diskstats`` (the kernel's fixed unit, not the device's block size).
SECTOR_BYTES = 512

# Field counts of a /proc/diskstats line, major, minor and name included.
_OLD_PARTITION_FIELDS = 7  # partitions before 2.6.25: reads, read sectors, writes, written sectors
_BASE_FIELDS = 14  # 11 counters, every kernel since 2.6.25
_DISCARD_FIELDS = 18  # + 4 discard counters, since 4.18
_FLUSH_FIELDS = 20  # + 2 flush counters, since 5.5



# ---------------------------------------------------------------------------------------------------------
# Raw readings (what the sampler keeps between two samples)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiskCounters:
    """One ``/proc/diskstats`` line in the kernel's units (sectors, milliseconds).

    Fields the line's layout does not have are ``None``: old partition lines (7 fields) carry only the
    four read/write counts, 14-field lines no discard or flush counters, 18-field lines no flush ones.
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

# Counters that only grow while a device stays registered (in_flight is a gauge and may fall).
_CUMULATIVE = tuple(
    f.name for f in fields(DiskCounters) if f.name not in ("major", "minor", "name", "in_flight")
)


# ---------------------------------------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------------------------------------


def _diskstats_line(line: str) -> DiskCounters | None:
    """One line, or ``None`` when it is cut short, garbled or of a layout no kernel writes."""
    columns = line.split()
    count = len(columns)
    if count not in (_OLD_PARTITION_FIELDS, _BASE_FIELDS, _DISCARD_FIELDS) and count < _FLUSH_FIELDS:
        # 8-13, 15-17 and 19 fields: a line cut off mid-write, not a layout.
        return None
    major, minor, name, *rest = columns
    try:
        numbers = [int(n) for n in (major, minor, *rest[: _FLUSH_FIELDS - 3])]
    except ValueError:
        return None
    if any(n < 0 for n in numbers):
        return None  # the kernel's counters are unsigned
    major_number, minor_number, *values = numbers
    if count == _OLD_PARTITION_FIELDS:
        reads, read_sectors, writes, written_sectors = values
        return DiskCounters(
            major_number, minor_number, name, reads, None, read_sectors, None, writes, None,
            written_sectors, None, None, None, None,
        )  # fmt: skip
    return DiskCounters(major_number, minor_number, name, *values)


def parse_diskstats(text: str) -> dict[str, DiskCounters]:
    """Parse ``/proc/diskstats`` (7-, 14-, 18- and 20-field lines, more fields from newer kernels ignored).

    Cut or garbled lines are skipped; a name seen twice keeps its first line. Devices are in the kernel's
    order.
    """
    disks: dict[str, DiskCounters] = {}
    for line in text.splitlines():
        counters = _diskstats_line(line)
        if counters is not None and counters.name not in disks:
            disks[counters.name] = counters
    return disks


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


def _int_file(path: str) -> int | None:
    text = read_text(path)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def read_diskstats(fs: FS) -> dict[str, DiskCounters] | None:
    """``/proc/diskstats`` parsed, or ``None`` when it cannot be read."""
    text = read_text(fs.proc("diskstats"))
    return None if text is None else parse_diskstats(text)


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


def read_disk_info(fs: FS, name: str) -> DiskInfo:
    """The ``queue/{scheduler,rotational,read_ahead_kb,nr_requests}`` settings of one device.

    A device without ``queue/scheduler`` (zram, some device-mapper targets) has scheduler ``None``.
    """
    partition = is_partition(fs, name)
    queue = _queue_dir(fs, name, partition)
    scheduler_text = read_text(os.path.join(queue, "scheduler"))
    scheduler, schedulers = (None, None) if scheduler_text is None else parse_scheduler(scheduler_text)
    rotational = _int_file(os.path.join(queue, "rotational"))
    return DiskInfo(
        scheduler=scheduler,
        schedulers=schedulers or None,
        rotational=None if rotational is None else rotational != 0,
        read_ahead_kb=_int_file(os.path.join(queue, "read_ahead_kb")),
        nr_requests=_int_file(os.path.join(queue, "nr_requests")),
        is_partition=partition,
    )


def read_disks_info(fs: FS, names: Iterable[str]) -> dict[str, DiskInfo]:
    """:func:`read_disk_info` for each name (the queue settings can be changed at any time: read each
    sample)."""
    return {name: read_disk_info(fs, name) for name in names}


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


def _went_backwards(prev: DiskCounters, cur: DiskCounters) -> bool:
    """True when ``cur`` cannot follow ``prev``: another device number, or any counter smaller."""
    if (prev.major, prev.minor) != (cur.major, cur.minor):
        return True
    for name in _CUMULATIVE:
        before, after = getattr(prev, name), getattr(cur, name)
        if before is not None and after is not None and after < before:
            return True
    return False


def _deltas(prev: DiskCounters | None, cur: DiskCounters, elapsed: float | None) -> _Deltas | None:
    """The deltas of one device, or ``None`` without a usable baseline."""
    if prev is None or elapsed is None or elapsed <= 0 or _went_backwards(prev, cur):
        return None
    return _Deltas(prev, cur, elapsed)


def _bytes(sectors: int | None) -> int | None:
    return None if sectors is None else sectors * SECTOR_BYTES


class _Deltas:
    """Differences between two samples of one device, and iostat's ways of combining them."""

    __slots__ = ("cur", "elapsed", "prev")

    def __init__(self, prev: DiskCounters, cur: DiskCounters, elapsed: float) -> None:
        self.prev, self.cur, self.elapsed = prev, cur, elapsed

    def delta(self, name: str) -> int | None:
        before, after = getattr(self.prev, name), getattr(self.cur, name)
        return None if before is None or after is None else after - before

    def per_s(self, name: str, scale: int = 1) -> float | None:
        d = self.delta(name)
        return None if d is None else d * scale / self.elapsed

    def per_request(self, name: str, requests: str, scale: int = 1) -> float | None:
        """``delta(name) / delta(requests)``: 0.0 over an interval without requests, as iostat prints."""
        d, n = self.delta(name), self.delta(requests)
        if d is None or n is None:
            return None
        return d * scale / n if n else 0.0

    def merged_percent(self, merged: str, completed: str) -> float | None:
        """Percent of requests merged before reaching the device (iostat's %rrqm)."""
        m, n = self.delta(merged), self.delta(completed)
        if m is None or n is None:
            return None
        return m / (m + n) * 100.0 if m + n else 0.0

    def per_elapsed_ms(self, name: str) -> float | None:
        """Milliseconds counted per millisecond elapsed (aqu-sz; times 100 it is %util)."""
        d = self.delta(name)
        return None if d is None else d / (self.elapsed * 1000.0)


# The iostat figures of DiskStats, in field order.
_RATE_NAMES = (
    "r_per_s", "w_per_s", "read_bytes_per_s", "written_bytes_per_s", "rrqm_per_s", "wrqm_per_s",
    "rrqm_percent", "wrqm_percent", "r_await_ms", "w_await_ms", "r_areq_bytes", "w_areq_bytes", "aqu_sz",
    "util_percent", "d_per_s", "discarded_bytes_per_s", "drqm_per_s", "drqm_percent", "d_await_ms",
    "d_areq_bytes", "f_per_s", "f_await_ms",
)  # fmt: skip


def _rates(d: _Deltas | None) -> dict[str, float | None]:
    """The iostat figures of one device, all ``None`` without usable deltas."""
    if d is None:
        return dict.fromkeys(_RATE_NAMES)
    util = d.per_elapsed_ms("io_time_ms")
    return {
        "r_per_s": d.per_s("reads_completed"),
        "w_per_s": d.per_s("writes_completed"),
        "read_bytes_per_s": d.per_s("read_sectors", SECTOR_BYTES),
        "written_bytes_per_s": d.per_s("written_sectors", SECTOR_BYTES),
        "rrqm_per_s": d.per_s("reads_merged"),
        "wrqm_per_s": d.per_s("writes_merged"),
        "rrqm_percent": d.merged_percent("reads_merged", "reads_completed"),
        "wrqm_percent": d.merged_percent("writes_merged", "writes_completed"),
        "r_await_ms": d.per_request("read_time_ms", "reads_completed"),
        "w_await_ms": d.per_request("write_time_ms", "writes_completed"),
        "r_areq_bytes": d.per_request("read_sectors", "reads_completed", SECTOR_BYTES),
        "w_areq_bytes": d.per_request("written_sectors", "writes_completed", SECTOR_BYTES),
        "aqu_sz": d.per_elapsed_ms("weighted_io_time_ms"),
        "util_percent": None if util is None else util * 100.0,
        "d_per_s": d.per_s("discards_completed"),
        "discarded_bytes_per_s": d.per_s("discarded_sectors", SECTOR_BYTES),
        "drqm_per_s": d.per_s("discards_merged"),
        "drqm_percent": d.merged_percent("discards_merged", "discards_completed"),
        "d_await_ms": d.per_request("discard_time_ms", "discards_completed"),
        "d_areq_bytes": d.per_request("discarded_sectors", "discards_completed", SECTOR_BYTES),
        "f_per_s": d.per_s("flushes_completed"),
        "f_await_ms": d.per_request("flush_time_ms", "flushes_completed"),
    }


def _stats(cur: DiskCounters, deltas: _Deltas | None, info: DiskInfo) -> DiskStats:
    """One device's row; ``deltas`` ``None`` leaves every rate ``None``."""
    return DiskStats(
        name=cur.name,
        major=cur.major,
        minor=cur.minor,
        reads_completed=cur.reads_completed,
        reads_merged=cur.reads_merged,
        read_bytes=cur.read_sectors * SECTOR_BYTES,
        read_time_ms=cur.read_time_ms,
        writes_completed=cur.writes_completed,
        writes_merged=cur.writes_merged,
        written_bytes=cur.written_sectors * SECTOR_BYTES,
        write_time_ms=cur.write_time_ms,
        in_flight=cur.in_flight,
        io_time_ms=cur.io_time_ms,
        weighted_io_time_ms=cur.weighted_io_time_ms,
        discards_completed=cur.discards_completed,
        discards_merged=cur.discards_merged,
        discarded_bytes=_bytes(cur.discarded_sectors),
        discard_time_ms=cur.discard_time_ms,
        flushes_completed=cur.flushes_completed,
        flush_time_ms=cur.flush_time_ms,
        **_rates(deltas),
        scheduler=info.scheduler,
        schedulers=info.schedulers,
        rotational=info.rotational,
        read_ahead_kb=info.read_ahead_kb,
        nr_requests=info.nr_requests,
        is_partition=info.is_partition,
    )


def disk_rates(
    prev: Mapping[str, DiskCounters] | None,
    cur: Mapping[str, DiskCounters] | None,
    elapsed: float | None,
    info: Mapping[str, DiskInfo] | None = None,
) -> tuple[DiskStats, ...]:
    """Every device of ``cur`` with the ``iostat -x`` figures over the ``elapsed`` seconds since ``prev``.

    A device new in ``cur``, one whose counters went backwards or changed device number (unregistered and
    registered again), and every device when ``prev`` or ``elapsed`` is missing, get ``None`` rates.
    ``info`` adds the sysfs queue settings; a device absent from it has ``None`` settings.
    """
    stats: list[DiskStats] = []
    for name, counters in (cur or {}).items():
        before = prev.get(name) if prev is not None else None
        stats.append(_stats(counters, _deltas(before, counters, elapsed), (info or {}).get(name, _NO_INFO)))
    return tuple(stats)
