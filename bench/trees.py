"""Generated procfs/sysfs trees for the benchmarks, built once and cached between runs and pyperf workers.

Process trees come from ``tests.fixture_tree.make_tree`` (10k processes take seconds to write), so each
``(processes, cpus, tick)`` tree is written once under the cache directory and reused by every pyperf
worker and later run. The cache key includes a hash of the generator's source, so a changed generator
never serves stale trees. ``PERFTOP_BENCH_TREES`` overrides the cache directory.

NUMA nodes and disks are written here (the process generator has neither): ``write_numa`` lays out
``sys/devices/system/node`` with 8 nodes of 32 CPUs by default, ``write_disks`` a ``/proc/diskstats``
and ``/sys/block`` for 64 disks, ready for the disk probe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from probes.cpulist import format_cpu_list
from probes.fs import FS
from tests import fixture_tree

#: File written last into a finished tree; a tree without it (an interrupted build) is rebuilt.
_DONE = ".complete"

#: The node counters of ``/sys/devices/system/node/nodeN/numastat``, in the kernel's order.
_NUMASTAT_KEYS = ("numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node")


def cache_dir() -> Path:
    """Where finished trees are kept (``$PERFTOP_BENCH_TREES`` or ``$TMPDIR/perftop-bench-trees``)."""
    override = os.environ.get("PERFTOP_BENCH_TREES")
    return Path(override) if override else Path(tempfile.gettempdir()) / "perftop-bench-trees"


def _generator_hash() -> str:
    source = Path(fixture_tree.__file__).read_bytes() + Path(__file__).read_bytes()
    return hashlib.sha256(source).hexdigest()[:12]


def tree(processes: int, cpus: int = 256, tick: int = 0, numa_nodes: int = 8, disks: int = 64) -> FS:
    """The FS of a cached tree of ``processes`` processes on ``cpus`` CPUs at ``tick``; built if missing.

    Also holds ``numa_nodes`` NUMA nodes (the CPUs split evenly) and ``disks`` disks.
    """
    key = f"p{processes}-c{cpus}-n{numa_nodes}-d{disks}-t{tick}-{_generator_hash()}"
    root = cache_dir() / key
    if not (root / _DONE).exists():
        # Build beside the final place and rename, so a reader never sees half a tree.
        root.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=key + ".", dir=root.parent))
        try:
            fixture_tree.make_tree(building, cpus=cpus, processes=processes, tick=tick)
            write_numa(building, nodes=numa_nodes, cpus=cpus, tick=tick)
            write_disks(building, disks=disks, tick=tick)
            (building / _DONE).write_text("")
            # Another run may have finished the same tree first: then keep theirs.
            with contextlib.suppress(OSError):
                building.rename(root)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return FS(procfs=root / "proc", sysfs=root / "sys")


def write_numa(root: Path, *, nodes: int, cpus: int, tick: int) -> None:
    """Write ``nodes`` NUMA nodes under ``root/sys/devices/system/node``, the CPUs split evenly.

    Every counter grows with ``tick`` by a per-node amount, so two ticks give real rates. Zero nodes
    writes nothing (a machine without NUMA).
    """
    if nodes <= 0:
        return
    base = root / "sys" / "devices" / "system" / "node"
    base.mkdir(parents=True, exist_ok=True)
    every = format_cpu_list(range(nodes)) + "\n"
    for name in ("online", "possible", "has_cpu", "has_memory", "has_normal_memory"):
        (base / name).write_text(every)
    per_node = max(1, cpus // nodes)
    for node in range(nodes):
        d = base / f"node{node}"
        d.mkdir(exist_ok=True)
        first = node * per_node
        (d / "cpulist").write_text(format_cpu_list(range(first, min(cpus, first + per_node))) + "\n")
        distance = " ".join(str(10 if node == o else 16 + 4 * abs(node - o)) for o in range(nodes))
        (d / "distance").write_text(distance + "\n")
        total_kb = 64 * 1024 * 1024
        free_kb = 8 * 1024 * 1024 + 1024 * ((tick + node) % 7)
        meminfo = [
            ("MemTotal", total_kb),
            ("MemFree", free_kb),
            ("MemUsed", total_kb - free_kb),
            ("Active", 20 * 1024 * 1024),
            ("Inactive", 10 * 1024 * 1024),
            ("FilePages", 12 * 1024 * 1024),
            ("AnonPages", 30 * 1024 * 1024),
            ("Shmem", 1024),
        ]
        text = "".join(f"Node {node} {k + ':':<16}{v:>10} kB\n" for k, v in meminfo)
        text += "".join(f"Node {node} {k + ':':<16}{0:>7}\n" for k in ("HugePages_Total", "HugePages_Free"))
        (d / "meminfo").write_text(text)
        hit = 10_000_000 * (node + 1) + tick * (50_000 + node)
        miss = 1_000 * node + tick * 17 * node
        other = 2_000 * node + tick * 11 * node
        values = (hit, miss, 500 * node + tick * node, 1_000 + tick, hit + miss - other, other)
        numastat = "".join(f"{k} {v}\n" for k, v in zip(_NUMASTAT_KEYS, values, strict=True))
        (d / "numastat").write_text(numastat)
    sysctl = root / "proc" / "sys" / "kernel"
    sysctl.mkdir(parents=True, exist_ok=True)
    (sysctl / "numa_balancing").write_text("1\n")


def write_disks(root: Path, *, disks: int, tick: int) -> None:
    """Write ``root/proc/diskstats`` (20-field lines, one whole disk and one partition each) and
    ``root/sys/block/NAME/{queue/scheduler,stat}`` for ``disks`` NVMe disks; counters grow with ``tick``."""
    lines = []
    block = root / "sys" / "block"
    for i in range(disks):
        name = f"nvme{i}n1"
        reads = 1_000_000 + i * 1_000 + tick * (100 + i)
        writes = 2_000_000 + i * 2_000 + tick * (200 + i)
        fields = (
            reads, 10 * i, reads * 8, reads // 2,  # reads, merged, sectors, ms
            writes, 20 * i, writes * 16, writes // 3,  # writes, merged, sectors, ms
            i % 3, 1_000_000 + tick * 600, writes // 3 + reads // 2,  # in flight, io ms, weighted ms
            0, 0, 0, 0,  # discards
            10_000 + tick, 5_000 + tick,  # flushes, flush ms
        )  # fmt: skip
        stat = " ".join(map(str, fields))
        lines.append(f"{259:>4} {2 * i:>7} {name} {stat}")
        lines.append(f"{259:>4} {2 * i + 1:>7} {name}p1 {stat}")
        queue = block / name / "queue"
        queue.mkdir(parents=True, exist_ok=True)
        (queue / "scheduler").write_text("[none] mq-deadline kyber\n")
        (block / name / "stat").write_text(stat + "\n")
    proc = root / "proc"
    proc.mkdir(parents=True, exist_ok=True)
    (proc / "diskstats").write_text("\n".join(lines) + "\n" if lines else "")
