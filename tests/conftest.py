"""Fixtures shared by several test modules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bench.bench_probes import TreeSet


@pytest.fixture
def small_trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TreeSet:
    """The benchmarks' generated trees at their smallest: 100 processes, 8 CPUs, 2 nodes, 3 disks (for the
    tests of the benchmarks; nothing else here imports them)."""
    from bench import bench_probes

    monkeypatch.setenv("PERFTOP_BENCH_TREES", str(tmp_path / "trees"))
    monkeypatch.setattr(bench_probes, "CPUS", 8)
    monkeypatch.setattr(bench_probes, "NUMA_NODES", 2)
    monkeypatch.setattr(bench_probes, "DISKS", 3)
    return bench_probes.tree_set(100)
