"""NUMA: per-node memory, the kernel's allocation counters, distances, and where a process's pages live.

Sources: ``/sys/devices/system/node/node<N>/`` (``cpulist``, ``meminfo``, ``numastat``, ``distance``),
``/proc/sys/kernel/numa_balancing``, and per process ``/proc/PID/numa_maps`` and the
``Mems_allowed_list`` line of ``/proc/PID/status``. Parsers are pure (``text -> data``); readers take an
:class:`~perftop.probes.fs.FS` and give ``None`` for whatever is missing or unreadable. :func:`numa_snapshot`
turns two readings into rates and miss ratios, as :func:`~perftop.probes.cpu.cpu_snapshot` does for
``/proc/stat``.

A machine whose sysfs has no node directories (a kernel built without NUMA, some containers) is reported
as one node, node 0, holding every online CPU and all of ``/proc/meminfo``, with null counters.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from perftop.probes.cpulist import parse_cpu_list
from perftop.probes.fs import FS, TextReader, read_parsed, read_text
from perftop.probes.kernel_numbers import U64_DIGITS, u64
from perftop.probes.memory import mem_total, read_meminfo_used
from perftop.probes.rates import rate
from perftop.probes.snapshot import NumaNode, NumaSnapshot, ProcessNuma

#: The counters of ``node<N>/numastat``, in the kernel's order. All count pages.
NUMA_COUNTERS: tuple[str, ...] = (
    "numa_hit",
    "numa_miss",
    "numa_foreign",
    "interleave_hit",
    "local_node",
    "other_node",
)

#: Page size of a ``numa_maps`` line without ``kernelpagesize_kB`` (older kernels do not write it).
DEFAULT_PAGE_KB = 4

_NODE_DIR = re.compile(r"node([0-9]+)")
# Counts no wider than a 64-bit counter: a wider token is garbled and skipped.
_NODE_PAGES = re.compile(rf"N([0-9]+)=([0-9]{{1,{U64_DIGITS}}})")
_PAGE_SIZE = re.compile(rf"kernelpagesize_kB=([0-9]{{1,{U64_DIGITS}}})")
_CPU_LINE = re.compile(r"cpu([0-9]+)")
#: A ``node<N>/meminfo`` line of a key :func:`parse_node_meminfo` uses: "Node", the number, "Key:", the
#: value, and "kB" except on the HugePages_* page counts. Only those keys: the file changes at every sample,
#: and matching a quarter of its lines costs much less than building all of them.
_NODE_MEMINFO_LINE = re.compile(
    r"^Node[ \t]+[0-9]+[ \t]+(MemTotal|MemFree|MemUsed|FilePages|AnonPages|HugePages_Total|HugePages_Free):"
    rf"[ \t]+([0-9]{{1,{U64_DIGITS}}})(?:[ \t]+(kB))?[ \t]*$",
    re.MULTILINE,
)

_T = TypeVar("_T")


# ---------------------------------------------------------------------------------------------------------
# Raw readings (what the sampler keeps between two samples)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeMemory:
    """The part of ``node<N>/meminfo`` perftop shows: bytes, except the ``hugepages_*`` page counts.

    Every field is ``None`` when its line is missing or garbled.
    """

    total_bytes: int | None
    free_bytes: int | None
    used_bytes: int | None
    file_pages_bytes: int | None
    anon_pages_bytes: int | None
    hugepages_total: int | None
    hugepages_free: int | None


@dataclass(frozen=True, slots=True)
class NodeCounters:
    """``node<N>/numastat``: allocation counters in pages since boot, ``None`` where a line is missing."""

    numa_hit: int | None
    numa_miss: int | None
    numa_foreign: int | None
    interleave_hit: int | None
    local_node: int | None
    other_node: int | None


@dataclass(frozen=True, slots=True)
class NodeReading:
    """One read of a node's files; each part is ``None`` when its file is missing or unreadable."""

    node: int
    cpus: frozenset[int] | None
    memory: NodeMemory | None
    counters: NodeCounters | None
    distance: tuple[int, ...] | None


@dataclass(frozen=True, slots=True)
class NumaReading:
    """One read of every node, in node order, and the ``numa_balancing`` sysctl."""

    nodes: tuple[NodeReading, ...]
    numa_balancing: int | None


# ---------------------------------------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------------------------------------


def parse_node_meminfo(text: str) -> NodeMemory:
    """Parse ``node<N>/meminfo`` (``Node 0 MemTotal:   16384 kB`` lines). Garbled lines are skipped."""
    values: dict[str, int] = {}
    # One regular expression over the whole text: the file changes at every sample (MemFree).
    for key, number, kb in _NODE_MEMINFO_LINE.findall(text):
        values.setdefault(key, int(number) * 1024 if kb else int(number))
    total = values.get("MemTotal")
    free = values.get("MemFree")
    used = values.get("MemUsed")
    if used is None and total is not None and free is not None and free <= total:
        used = total - free
    return NodeMemory(
        total_bytes=total,
        free_bytes=free,
        used_bytes=used,
        file_pages_bytes=values.get("FilePages"),
        anon_pages_bytes=values.get("AnonPages"),
        hugepages_total=values.get("HugePages_Total"),
        hugepages_free=values.get("HugePages_Free"),
    )


def parse_node_numastat(text: str) -> NodeCounters:
    """Parse ``node<N>/numastat`` (``numa_hit 1906801`` lines). Unknown and garbled lines are skipped."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        columns = line.split()
        if len(columns) != 2 or columns[0] not in NUMA_COUNTERS or columns[0] in values:
            continue
        try:
            number = u64(int(columns[1]))
        except ValueError:
            continue
        if number is not None:
            values[columns[0]] = number
    return NodeCounters(*(values.get(name) for name in NUMA_COUNTERS))


def parse_distance(text: str) -> tuple[int, ...] | None:
    """Parse ``node<N>/distance`` (``10 21 21``: this node to every online node), ``None`` when garbled."""
    try:
        row = tuple(int(column) for column in text.split())
    except ValueError:
        return None
    return row or None


def parse_node_cpulist(text: str) -> frozenset[int] | None:
    """Parse ``node<N>/cpulist``; empty for a node without CPUs, ``None`` when garbled."""
    try:
        return parse_cpu_list(text)
    except ValueError:
        return None


def parse_numa_maps(text: str) -> dict[int, int]:
    """Bytes per node of ``/proc/PID/numa_maps``, ordered by node.

    Each line's ``N<node>=<pages>`` counts are multiplied by that line's ``kernelpagesize_kB`` (2048 or
    1048576 for huge pages), or :data:`DEFAULT_PAGE_KB` when the kernel did not write one. The kernel
    escapes spaces and ``=`` in file names, so splitting on whitespace is safe.
    """
    totals: dict[int, int] = {}
    for line in text.splitlines():
        page_kb = DEFAULT_PAGE_KB
        pages: list[tuple[int, int]] = []
        for token in line.split()[1:]:
            if match := _NODE_PAGES.fullmatch(token):
                pages.append((int(match[1]), int(match[2])))
            elif match := _PAGE_SIZE.fullmatch(token):
                page_kb = int(match[1])
        for node, count in pages:
            totals[node] = totals.get(node, 0) + count * page_kb * 1024
    return dict(sorted(totals.items()))


def parse_mems_allowed(status_text: str) -> tuple[int, ...] | None:
    """The ``Mems_allowed_list`` of ``/proc/PID/status`` as sorted node numbers, ``None`` when absent."""
    for line in status_text.splitlines():
        key, colon, value = line.partition(":")
        if colon and key == "Mems_allowed_list":
            try:
                return tuple(sorted(parse_cpu_list(value)))
            except ValueError:
                return None
    return None


def _parse_int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------------------


def _parsed(path: str, parse: Callable[[str], _T], read: TextReader = read_text) -> _T | None:
    """The file parsed, or ``None`` when it cannot be read."""
    return read_parsed(read, path, parse)


def node_numbers(fs: FS) -> tuple[int, ...] | None:
    """The ``node<N>`` directories of sysfs, sorted numerically; ``None`` when sysfs has no node directory."""
    try:
        entries = os.listdir(fs.sys("devices", "system", "node"))
    except OSError:
        return None
    numbers = [int(match[1]) for name in entries if (match := _NODE_DIR.fullmatch(name))]
    return tuple(sorted(numbers)) or None


class NodeList:
    """The node numbers of :func:`node_numbers`, listed again only when they may have changed.

    A sampler keeps one (its state is the last listing). Listing ``/sys/devices/system/node`` costs more
    than all of a node's files, for a set that changes only on node hotplug, when the kernel sets the node
    in ``node/online`` before it registers the directory and clears it before it removes it. So the last
    listing is kept while it named exactly the nodes of ``online`` and that file still names them; a
    listing made between the two steps disagrees with ``online`` and is not kept. :func:`read_numa` calls
    :meth:`forget` when a kept node's directory is gone (a fixture tree need not follow the kernel's
    order).
    """

    __slots__ = ("_numbers", "_online")

    def __init__(self) -> None:
        #: The ``online`` mask the kept listing matched (None: nothing kept), and that listing.
        self._online: frozenset[int] | None = None
        self._numbers: tuple[int, ...] | None = None

    def numbers(self, fs: FS, read: TextReader = read_text) -> tuple[int, ...] | None:
        """The node numbers, as :func:`node_numbers` gives them."""
        online = _parsed(fs.sys("devices", "system", "node", "online"), parse_node_cpulist, read)
        if online is not None and online == self._online:
            return self._numbers
        numbers = node_numbers(fs)
        agrees = online is not None and numbers is not None and online == frozenset(numbers)
        self._online, self._numbers = (online, numbers) if agrees else (None, None)
        return numbers

    def forget(self) -> None:
        """Drop the kept listing: the next call lists the directories again."""
        self._online = self._numbers = None


def _gone(node: NodeReading) -> bool:
    """True when none of the node's files could be read: its directory is gone (or holds none of them)."""
    return node.cpus is None and node.memory is None and node.counters is None and node.distance is None


def read_node(fs: FS, node: int, read: TextReader = read_text) -> NodeReading:
    """Read one ``node<N>`` directory; a missing file leaves its part ``None`` (``read``: see
    :data:`~perftop.probes.fs.TextReader`, as in the readers below)."""
    base = fs.sys("devices", "system", "node", f"node{node}")
    return NodeReading(
        node=node,
        cpus=_parsed(base + "/cpulist", parse_node_cpulist, read),
        memory=_parsed(base + "/meminfo", parse_node_meminfo, read),
        counters=_parsed(base + "/numastat", parse_node_numastat, read),
        distance=_parsed(base + "/distance", parse_distance, read),
    )


def _online_cpus(fs: FS, read: TextReader) -> frozenset[int] | None:
    """Online CPUs from sysfs, or from the ``cpuN`` lines of ``/proc/stat`` when sysfs lacks them."""
    online = _parsed(fs.sys("devices", "system", "cpu", "online"), parse_node_cpulist, read)
    if online is not None:
        return online
    stat = read(fs.proc("stat"))
    if stat is None:
        return None
    keys = (line.split(maxsplit=1)[0] for line in stat.splitlines() if line.strip())
    return frozenset(int(match[1]) for key in keys if (match := _CPU_LINE.fullmatch(key)))


def _sum(values: Iterable[int | None]) -> int | None:
    """The sum, or ``None`` when any value is unknown."""
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _whole_machine_node(fs: FS, read: TextReader) -> NodeReading:
    """Node 0 standing for a machine without NUMA: every online CPU and all of ``/proc/meminfo``."""
    meminfo = read_meminfo_used(fs, read)
    memory = None
    if meminfo is not None:
        total = mem_total(meminfo)
        free = meminfo.get("MemFree")
        memory = NodeMemory(
            total_bytes=total,
            free_bytes=free,
            # A node's MemUsed is MemTotal - MemFree (not free(1)'s used), so the fallback matches it.
            used_bytes=None if total is None or free is None or free > total else total - free,
            # /proc/meminfo's Cached leaves out swap cache and buffers; a node's FilePages counts all three.
            file_pages_bytes=_sum(meminfo.get(key) for key in ("Cached", "SwapCached", "Buffers")),
            anon_pages_bytes=meminfo.get("AnonPages"),
            hugepages_total=meminfo.get("HugePages_Total"),
            hugepages_free=meminfo.get("HugePages_Free"),
        )
    return NodeReading(node=0, cpus=_online_cpus(fs, read), memory=memory, counters=None, distance=None)


def read_numa_balancing(fs: FS, read: TextReader = read_text) -> int | None:
    """``/proc/sys/kernel/numa_balancing``, or ``None`` when absent (no NUMA balancing in the kernel)."""
    return _parsed(fs.proc("sys", "kernel", "numa_balancing"), _parse_int, read)


def read_numa(fs: FS, read: TextReader = read_text, nodes: NodeList | None = None) -> NumaReading:
    """Read every node and the balancing sysctl. Without node directories: one node for the machine.

    ``nodes`` (a sampler's :class:`NodeList`) spares listing the node directories at every sample.
    """
    numbers = node_numbers(fs) if nodes is None else nodes.numbers(fs, read)
    readings = _read_nodes(fs, numbers, read)
    if nodes is not None and numbers is not None and any(_gone(node) for node in readings):
        # A kept node may have gone away: list again, and read again if the listing changed.
        nodes.forget()
        if (listed := nodes.numbers(fs, read)) != numbers:
            readings = _read_nodes(fs, listed, read)
    return NumaReading(nodes=readings, numa_balancing=read_numa_balancing(fs, read))


def _read_nodes(fs: FS, numbers: tuple[int, ...] | None, read: TextReader) -> tuple[NodeReading, ...]:
    if numbers is None:
        return (_whole_machine_node(fs, read),)
    return tuple(read_node(fs, node, read) for node in numbers)


def process_numa(fs: FS, pid: int) -> ProcessNuma | None:
    """Bytes per node of one process and its allowed memory nodes; ``None`` when it is gone or unreadable.

    Expensive: to write ``numa_maps`` the kernel walks every page table of the process, so the cost grows
    with its mapped memory. Call it only for the rows on screen or the selected process, on a slower
    cadence than the process scan. Reading another user's ``numa_maps`` needs ptrace access (root).
    """
    maps = read_text(fs.proc(pid, "numa_maps"))
    if maps is None:
        return None
    node_bytes = parse_numa_maps(maps)
    status = read_text(fs.proc(pid, "status"))
    return ProcessNuma(
        pid=pid,
        node_bytes=node_bytes,
        total_bytes=sum(node_bytes.values()),
        mems_allowed=None if status is None else parse_mems_allowed(status),
    )


# ---------------------------------------------------------------------------------------------------------
# Rates, ratios and per-process derived values (pure)
# ---------------------------------------------------------------------------------------------------------


def _ratio(miss: int | None, hit: int | None) -> float | None:
    if miss is None or hit is None or miss + hit == 0:
        return None
    return miss / (hit + miss)


def _delta(prev: int | None, cur: int | None) -> int | None:
    if prev is None or cur is None or cur < prev:
        return None
    return cur - prev


_NO_COUNTERS = NodeCounters(None, None, None, None, None, None)
_NO_MEMORY = NodeMemory(None, None, None, None, None, None, None)


def _node(prev: NodeReading | None, cur: NodeReading, elapsed: float | None) -> NumaNode:
    counters = cur.counters or _NO_COUNTERS
    before = (prev.counters if prev is not None else None) or _NO_COUNTERS
    memory = cur.memory or _NO_MEMORY
    return NumaNode(
        node=cur.node,
        cpus=None if cur.cpus is None else tuple(sorted(cur.cpus)),
        mem_total_bytes=memory.total_bytes,
        mem_free_bytes=memory.free_bytes,
        mem_used_bytes=memory.used_bytes,
        numa_hit=counters.numa_hit,
        numa_hit_per_s=rate(before.numa_hit, counters.numa_hit, elapsed),
        numa_miss=counters.numa_miss,
        numa_miss_per_s=rate(before.numa_miss, counters.numa_miss, elapsed),
        numa_foreign=counters.numa_foreign,
        numa_foreign_per_s=rate(before.numa_foreign, counters.numa_foreign, elapsed),
        interleave_hit=counters.interleave_hit,
        interleave_hit_per_s=rate(before.interleave_hit, counters.interleave_hit, elapsed),
        local_node=counters.local_node,
        local_node_per_s=rate(before.local_node, counters.local_node, elapsed),
        other_node=counters.other_node,
        other_node_per_s=rate(before.other_node, counters.other_node, elapsed),
        # The interval's ratio needs no elapsed time, only both counters moving forward.
        miss_ratio=_ratio(
            _delta(before.numa_miss, counters.numa_miss), _delta(before.numa_hit, counters.numa_hit)
        ),
        miss_ratio_since_boot=_ratio(counters.numa_miss, counters.numa_hit),
        file_pages_bytes=memory.file_pages_bytes,
        anon_pages_bytes=memory.anon_pages_bytes,
        hugepages_total=memory.hugepages_total,
        hugepages_free=memory.hugepages_free,
    )


def numa_snapshot(prev: NumaReading | None, cur: NumaReading, elapsed: float | None) -> NumaSnapshot:
    """The ``numa`` section from two readings taken ``elapsed`` seconds apart.

    ``prev`` is ``None`` for the first sample: rates and interval ratios are then ``None``. Nodes are
    matched by number, so a node that appeared since ``prev`` (memory hotplug) has no rates yet.
    """
    before = {} if prev is None else {node.node: node for node in prev.nodes}
    rows = tuple(node.distance for node in cur.nodes)
    return NumaSnapshot(
        nodes=tuple(_node(before.get(node.node), node, elapsed) for node in cur.nodes),
        distances=rows if any(row is not None for row in rows) else None,
        numa_balancing=cur.numa_balancing,
    )


def cpu_nodes(nodes: Iterable[NumaNode]) -> dict[int, int]:
    """CPU number -> the node it belongs to, for the NODE column (the node of a process's last CPU)."""
    return {cpu: node.node for node in nodes for cpu in node.cpus or ()}
