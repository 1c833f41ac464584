"""System memory from ``/proc/meminfo``, with ``used`` computed as ``free(1)`` from procps-ng 4 does, and
paging from ``/proc/vmstat`` (the counters of ``sar -B`` and ``sar -W``) with their rates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from perftop.probes.fs import FS, TextReader, read_parsed, read_text
from perftop.probes.kernel_numbers import U64_DIGITS, u64
from perftop.probes.rates import rate
from perftop.probes.settings import setting_value
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


def memory_snapshot(
    meminfo: dict[str, int] | None,
    *,
    full: bool = False,
    vmstat: Mapping[str, int] | None = None,
    prev_vmstat: Mapping[str, int] | None = None,
    elapsed: float | None = None,
    thp: tuple[str | None, str | None] = (None, None),
) -> MemorySnapshot:
    """The ``memory`` section from parsed meminfo; every missing key gives ``None``, never a guess.

    ``full``: also the rest of meminfo (:data:`MEMINFO_DETAILS`) and the THP settings ``thp`` (enabled,
    defrag). ``vmstat`` (parsed ``/proc/vmstat``, every counter or only :data:`HISTORY_COUNTERS`) gives
    the paging counters (without ``full``: those of :data:`HISTORY_COUNTERS` only), with rates against
    ``prev_vmstat`` taken ``elapsed`` seconds before.
    """
    figures: dict[str, Any] = {}
    if full and meminfo is not None:
        figures.update((field, meminfo.get(key)) for field, key in MEMINFO_DETAILS)
        figures["thp_enabled"], figures["thp_defrag"] = thp
    if vmstat is not None:
        # Hidden, the pane's histories need only their counters: looking for the others costs more.
        figures.update(
            paging_figures(prev_vmstat, vmstat, elapsed, VMSTAT_COUNTERS if full else HISTORY_COUNTERS)
        )
    if meminfo is None:
        return MemorySnapshot(None, None, None, None, None, None, None, None, None, None, **figures)
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
        **figures,
    )


def read_meminfo(fs: FS, read: TextReader = read_text) -> dict[str, int] | None:
    """``/proc/meminfo`` parsed, or ``None`` when it cannot be read (``read``: see
    :data:`~perftop.probes.fs.TextReader`)."""
    return read_parsed(read, fs.proc("meminfo"), parse_meminfo)


def read_meminfo_used(fs: FS, read: TextReader = read_text) -> dict[str, int] | None:
    """``/proc/meminfo`` parsed by :func:`parse_meminfo_used`, or ``None`` when it cannot be read."""
    return read_parsed(read, fs.proc("meminfo"), parse_meminfo_used)


# ---------------------------------------------------------------------------------------------------------
# The rest of meminfo, /proc/vmstat and the THP settings: the memory pane and --json
# ---------------------------------------------------------------------------------------------------------

#: ``MemorySnapshot`` field -> the ``/proc/meminfo`` key it holds, for the figures beyond ``free``'s.
MEMINFO_DETAILS: tuple[tuple[str, str], ...] = (
    ("swap_cached_bytes", "SwapCached"),
    ("active_bytes", "Active"),
    ("inactive_bytes", "Inactive"),
    ("anon_bytes", "AnonPages"),
    ("mapped_bytes", "Mapped"),
    ("slab_reclaimable_bytes", "SReclaimable"),
    ("slab_unreclaimable_bytes", "SUnreclaim"),
    ("kernel_stack_bytes", "KernelStack"),
    ("page_tables_bytes", "PageTables"),
    ("dirty_bytes", "Dirty"),
    ("writeback_bytes", "Writeback"),
    ("commit_limit_bytes", "CommitLimit"),
    ("committed_as_bytes", "Committed_AS"),
    ("anon_huge_pages_bytes", "AnonHugePages"),
    ("hugepages_total", "HugePages_Total"),
    ("hugepages_free", "HugePages_Free"),
    ("hugepages_rsvd", "HugePages_Rsvd"),
    ("hugepages_surp", "HugePages_Surp"),
    ("hugepage_size_bytes", "Hugepagesize"),
    ("hugetlb_bytes", "Hugetlb"),
)

#: The ``/proc/vmstat`` counters of ``MemorySnapshot`` (each also has a ``_per_s`` rate), as the kernel
#: names them. Kernels before 4.8 (reclaim) and 4.10 (``allocstall``) keep some per memory zone
#: (``pgscan_kswapd_normal``): those are summed over :data:`ZONES`.
VMSTAT_COUNTERS: tuple[str, ...] = (
    "pgfault",
    "pgmajfault",
    "pgpgin",
    "pgpgout",
    "pswpin",
    "pswpout",
    "pgfree",
    "pgscan_kswapd",
    "pgscan_direct",
    "pgsteal_kswapd",
    "pgsteal_direct",
    "allocstall",
    "compact_stall",
    "oom_kill",
    "thp_fault_alloc",
    "thp_fault_fallback",
    "thp_collapse_alloc",
    "thp_collapse_alloc_failed",
)

#: The counters the memory pane keeps histories of, read at every sample, pane shown or not.
HISTORY_COUNTERS: tuple[str, ...] = ("pgmajfault", "pgscan_kswapd", "pgscan_direct", "pswpin", "pswpout")

#: Memory zones of the per-zone counters of older kernels.
ZONES: tuple[str, ...] = ("dma", "dma32", "normal", "high", "highmem", "movable", "device")

# A "name value" line; the value no wider than a u64 (checked after) and the name the kernel's lowercase.
_VMSTAT_LINE = re.compile(r"^([a-z0-9_]+)[ \t]+([0-9]{1," + str(U64_DIGITS) + r"})[ \t]*$", re.MULTILINE)
# The same for the history counters only (and their per-zone forms).
_HISTORY_LINE = re.compile(
    r"^((?:"
    + "|".join(HISTORY_COUNTERS)
    + r")(?:_[a-z0-9]+)?)[ \t]+([0-9]{1,"
    + str(U64_DIGITS)
    + r"})[ \t]*$",
    re.MULTILINE,
)


def parse_vmstat(text: str) -> dict[str, int]:
    """Every ``name value`` line of ``/proc/vmstat`` (or a node's ``vmstat``). Garbled lines, and values
    wider than a 64-bit counter, are skipped; of a name written twice the last line counts."""
    return {
        name: value for name, number in _VMSTAT_LINE.findall(text) if (value := u64(int(number))) is not None
    }


def parse_vmstat_history(text: str) -> dict[str, int]:
    """:func:`parse_vmstat` restricted to :data:`HISTORY_COUNTERS` (and their per-zone forms): what the
    sampler reads at every sample while the memory pane is hidden. The same value for each of them."""
    return {
        name: value for name, number in _HISTORY_LINE.findall(text) if (value := u64(int(number))) is not None
    }


def vmstat_counter(vmstat: Mapping[str, int], name: str) -> int | None:
    """Counter ``name``: its own line, else the sum of its per-zone lines (``name_normal``...), else
    ``None``."""
    value = vmstat.get(name)
    if value is not None:
        return value
    zoned = [v for zone in ZONES if (v := vmstat.get(f"{name}_{zone}")) is not None]
    return sum(zoned) if zoned else None


def paging_figures(
    prev: Mapping[str, int] | None,
    cur: Mapping[str, int],
    elapsed: float | None,
    names: tuple[str, ...] = VMSTAT_COUNTERS,
) -> dict[str, int | float | None]:
    """The ``MemorySnapshot`` fields of ``names`` (of :data:`VMSTAT_COUNTERS`) found in ``cur``: each counter
    and its rate against ``prev`` (``None`` without one, or when the counter went backwards), and %vmeff."""
    out: dict[str, int | float | None] = {}
    for name in names:
        value = vmstat_counter(cur, name)
        if value is None:
            continue
        out[name] = value
        out[name + "_per_s"] = None if prev is None else rate(vmstat_counter(prev, name), value, elapsed)
    out["vmeff_percent"] = _vmeff(out)
    return out


def _vmeff(figures: Mapping[str, int | float | None]) -> float | None:
    """sar's %vmeff: pages stolen over pages scanned in the interval, ``None`` when nothing was scanned."""
    rates = [
        figures.get(f"{kind}_{who}_per_s") for kind in ("pgscan", "pgsteal") for who in ("kswapd", "direct")
    ]
    if any(r is None for r in rates):
        return None
    scanned_kswapd, scanned_direct, stolen_kswapd, stolen_direct = (float(r or 0.0) for r in rates)
    scanned = scanned_kswapd + scanned_direct
    if scanned <= 0:
        return None
    return (stolen_kswapd + stolen_direct) / scanned * 100.0


def read_vmstat(fs: FS, read: TextReader = read_text, *, every: bool = True) -> dict[str, int] | None:
    """``/proc/vmstat`` parsed (``every=False``: only :data:`HISTORY_COUNTERS`), or ``None`` when it cannot
    be read."""
    return read_parsed(read, fs.proc("vmstat"), parse_vmstat if every else parse_vmstat_history)


def _setting(text: str) -> str | None:
    return setting_value(text) or None


def read_thp(fs: FS, read: TextReader = read_text) -> tuple[str | None, str | None]:
    """The transparent huge page mode and defrag setting (``madvise``), each ``None`` where unreadable."""
    base = ("kernel", "mm", "transparent_hugepage")
    return (
        read_parsed(read, fs.sys(*base, "enabled"), _setting),
        read_parsed(read, fs.sys(*base, "defrag"), _setting),
    )
