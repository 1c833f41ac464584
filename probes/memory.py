"""System memory from ``/proc/meminfo``, with ``used`` computed as ``free(1)`` from procps-ng 4 does."""

from __future__ import annotations

import re

from perftop.probes.fs import FS, TextReader, read_parsed, read_text
from perftop.probes.kernel_numbers import U64_DIGITS
from perftop.probes.snapshot import MemorySnapshot

#: A ``Key: N kB`` or ``Key: N`` line, the only two shapes the kernel writes; any other line is garbled, and
#: so is a number wider than a 64-bit counter.
_NUMBER = f"([0-9]{{1,{U64_DIGITS}}})"
_LINE = re.compile(r"^([^:\n]+):[ \t]*" + _NUMBER + r"(?:[ \t]+(kB))?[ \t]*$", re.MULTILINE)

#: The ``/proc/meminfo`` keys perftop uses: :func:`memory_snapshot`'s, and those of the node that stands for
#: a machine without NUMA (:mod:`perftop.probes.numa`).
MEMINFO_KEYS: tuple[str, ...] = (
    "MemTotal",
    "MemFree",
    "MemAvailable",
    "Buffers",
    "Cached",
    "SReclaimable",
    "Shmem",
    "SwapTotal",
    "SwapFree",
    "SwapCached",
    "AnonPages",
    "HugePages_Total",
    "HugePages_Free",
)
#: :data:`_LINE` for those keys only.
_USED_LINE = re.compile(
    r"^(" + "|".join(MEMINFO_KEYS) + r"):[ \t]*" + _NUMBER + r"(?:[ \t]+(kB))?[ \t]*$", re.MULTILINE
)


def parse_meminfo(text: str) -> dict[str, int]:
    """Every ``Key: N kB`` line of ``/proc/meminfo`` as bytes; lines without a unit keep the raw number.

    ``HugePages_Total`` and its siblings are page counts, not kB, so they stay as written. Garbled lines
    are skipped; of a key written twice the last line counts.
    """
    # One regular expression over the whole text: this file changes at every sample, and a loop of
    # splits over its ~55 lines costs more.
    return {key: int(number) * 1024 if kb else int(number) for key, number, kb in _LINE.findall(text)}


def parse_meminfo_used(text: str) -> dict[str, int]:
    """:func:`parse_meminfo` restricted to :data:`MEMINFO_KEYS`: the same value for each of them.

    The sampler reads meminfo at every sample and uses a quarter of its lines: matching only those lines
    costs much less than building all of them.
    """
    return {key: int(number) * 1024 if kb else int(number) for key, number, kb in _USED_LINE.findall(text)}


def _minus(total: int | None, *parts: int | None) -> int | None:
    """``total`` minus every part, or ``None`` when any of them is unknown."""
    if total is None or any(p is None for p in parts):
        return None
    return total - sum(p for p in parts if p is not None)


def _size(value: int | None) -> int | None:
    """``value``, or ``None`` when it is negative: parts larger than their whole make a garbled file."""
    return None if value is None or value < 0 else value


def _used(meminfo: dict[str, int]) -> int | None:
    """Used memory as procps-ng 4 computes it for ``free``."""
    total = mem_total(meminfo)
    free = meminfo.get("MemFree")
    available = meminfo.get("MemAvailable")
    if available is None:
        # Kernels before 3.14 have no MemAvailable: what is neither free nor cache is used.
        used = _minus(total, free, meminfo.get("Buffers"), meminfo.get("Cached"), meminfo.get("SReclaimable"))
    else:
        used = _minus(total, available)
    if used is not None and used < 0:
        # Inside some containers (lxcfs) MemAvailable is the host's, above MemTotal: procps then counts
        # only free memory as available, i.e. used is MemTotal - MemFree.
        used = _minus(total, free)
    return _size(used)


def mem_total(meminfo: dict[str, int]) -> int | None:
    """``MemTotal``, or ``None`` when it is absent or 0: a machine has memory, so 0 is a garbled file."""
    return meminfo.get("MemTotal") or None


def memory_snapshot(meminfo: dict[str, int] | None) -> MemorySnapshot:
    """The ``memory`` section from parsed meminfo; every missing key gives ``None``, never a guess."""
    if meminfo is None:
        return MemorySnapshot(None, None, None, None, None, None, None, None, None, None)
    cached = meminfo.get("Cached")
    reclaimable = meminfo.get("SReclaimable")
    swap_total = meminfo.get("SwapTotal")
    swap_free = meminfo.get("SwapFree")
    return MemorySnapshot(
        total_bytes=mem_total(meminfo),
        free_bytes=meminfo.get("MemFree"),
        available_bytes=meminfo.get("MemAvailable"),
        used_bytes=_used(meminfo),
        buffers_bytes=meminfo.get("Buffers"),
        # free's "cache" column: the page cache plus reclaimable slab.
        cached_bytes=None if cached is None or reclaimable is None else cached + reclaimable,
        shared_bytes=meminfo.get("Shmem"),
        swap_total_bytes=swap_total,
        swap_free_bytes=swap_free,
        swap_used_bytes=_size(_minus(swap_total, swap_free)),
    )


def read_meminfo(fs: FS, read: TextReader = read_text) -> dict[str, int] | None:
    """``/proc/meminfo`` parsed, or ``None`` when it cannot be read (``read``: see
    :data:`~perftop.probes.fs.TextReader`)."""
    return read_parsed(read, fs.proc("meminfo"), parse_meminfo)


def read_meminfo_used(fs: FS, read: TextReader = read_text) -> dict[str, int] | None:
    """``/proc/meminfo`` parsed by :func:`parse_meminfo_used`, or ``None`` when it cannot be read."""
    return read_parsed(read, fs.proc("meminfo"), parse_meminfo_used)
