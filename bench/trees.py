"""Generated procfs/sysfs trees for the benchmarks, built once and cached between runs and pyperf workers.

Process trees come from ``testbed.fixture_tree.make_tree`` (10k processes take seconds to write), so each
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

from perftop.probes.fs import FS
from testbed import fixture_tree

#: File written last into a finished tree; a tree without it (an interrupted build) is rebuilt.
_DONE = ".complete"


def cache_dir() -> Path:
    """Where finished trees are kept: ``$PERFTOP_BENCH_TREES``, else ``perftop/bench-trees`` in the user's
    cache directory (``$XDG_CACHE_HOME``, by default ``~/.cache``). Per user: one shared path in the temp
    directory belongs to whoever made it first, and is refused to everyone else."""
    override = os.environ.get("PERFTOP_BENCH_TREES")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # relative: ignored, as XDG says
    return base / "perftop" / "bench-trees"


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
            fixture_tree.write_numa(building, nodes=numa_nodes, cpus=cpus, tick=tick)
            fixture_tree.write_disks(building, disks=disks, tick=tick)
            (building / _DONE).write_text("")
            # Another run may have finished the same tree first: then keep theirs.
            with contextlib.suppress(OSError):
                building.rename(root)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return FS(procfs=root / "proc", sysfs=root / "sys")
