"""The NUMA probe: parsers on small texts, readers on sysfs trees of 1 to 8 nodes, rates and ratios over two
samples, the one-node fallback, the real captures, and this machine against ``numastat``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perftop.probes.fs import FS, HeldFiles
from perftop.probes.numa import (
    NUMA_COUNTERS,
    NodeCounters,
    NodeList,
    NodeMemory,
    NodeReading,
    NumaReading,
    cpu_nodes,
    node_numbers,
    numa_snapshot,
    parse_distance,
    parse_mems_allowed,
    parse_node_cpulist,
    parse_node_meminfo,
    parse_node_numastat,
    parse_numa_maps,
    process_numa,
    read_numa,
    read_numa_balancing,
)
from perftop.probes.snapshot import ProcessNuma

MiB = 1024 * 1024
SHARED_PROCFS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "procfs"


# ---------------------------------------------------------------------------------------------------------
# Fixture trees
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FakeNode:
    """One ``node<N>`` directory. ``None`` for ``cpulist``, ``counters`` or ``distance`` leaves that file out.

    ``counters`` are the six numastat values in :data:`NUMA_COUNTERS` order, in pages.
    """

    node: int
    cpulist: str | None
    mem_total_kb: int
    mem_free_kb: int
    counters: tuple[int, int, int, int, int, int] | None
    distance: tuple[int, ...] | None
    file_kb: int = 0
    anon_kb: int = 0
    hugepages_total: int = 0
    hugepages_free: int = 0


def _node_meminfo(n: FakeNode) -> str:
    """The file as the kernel writes it: every line, not only those perftop reads."""
    kb_lines = [
        ("MemTotal", n.mem_total_kb),
        ("MemFree", n.mem_free_kb),
        ("MemUsed", n.mem_total_kb - n.mem_free_kb),
        ("SwapCached", 0),
        ("Active", n.file_kb // 2),
        ("Inactive", n.anon_kb),
        ("Dirty", 12),
        ("FilePages", n.file_kb),
        ("Mapped", n.file_kb // 4),
        ("AnonPages", n.anon_kb),
        ("Shmem", 88),
        ("KernelStack", 1636),
        ("AnonHugePages", 0),
    ]
    lines = [f"Node {n.node} {key + ':':<16}{value:>10} kB" for key, value in kb_lines]
    for key, value in (
        ("HugePages_Total", n.hugepages_total),
        ("HugePages_Free", n.hugepages_free),
        ("HugePages_Surp", 0),
    ):
        lines.append(f"Node {n.node} {key + ':':<16}{value:>7}")
    return "\n".join(lines) + "\n"


def write_nodes(root: Path, nodes: Sequence[FakeNode], numa_balancing: str | None = "1\n") -> FS:
    """Write ``root/sys/devices/system/node`` as the kernel lays it out, plus ``numa_balancing``.

    Called again on the same root, it rewrites the files in place (a later sample).
    """
    sysfs = root / "sys"
    base = sysfs / "devices" / "system" / "node"
    base.mkdir(parents=True, exist_ok=True)
    # The siblings of the node directories, which the reader must not take for nodes.
    every = ",".join(str(n.node) for n in nodes)
    for name in ("online", "possible", "has_memory", "has_normal_memory"):
        (base / name).write_text(every + "\n")
    (base / "has_cpu").write_text(",".join(str(n.node) for n in nodes if n.cpulist) + "\n")
    (base / "power").mkdir(exist_ok=True)
    (base / "uevent").write_text("")
    for n in nodes:
        d = base / f"node{n.node}"
        d.mkdir(exist_ok=True)
        (d / "memory0").mkdir(exist_ok=True)
        (d / "vmstat").write_text("nr_free_pages 1\n")
        (d / "meminfo").write_text(_node_meminfo(n))
        for name, content in (
            ("cpulist", None if n.cpulist is None else n.cpulist + "\n"),
            ("distance", None if n.distance is None else " ".join(map(str, n.distance)) + "\n"),
            (
                "numastat",
                None
                if n.counters is None
                else "".join(f"{k} {v}\n" for k, v in zip(NUMA_COUNTERS, n.counters, strict=True)),
            ),
        ):
            path = d / name
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(content)
    sysctl = root / "proc" / "sys" / "kernel"
    sysctl.mkdir(parents=True, exist_ok=True)
    if numa_balancing is None:
        (sysctl / "numa_balancing").unlink(missing_ok=True)
    else:
        (sysctl / "numa_balancing").write_text(numa_balancing)
    return FS(procfs=root / "proc", sysfs=sysfs)


def _counters(node: int, tick: int) -> tuple[int, int, int, int, int, int]:
    """Counters that grow by a different, known amount per node and tick."""
    hit = 1_000_000 * (node + 1) + tick * (900 + node)
    miss = 5_000 * node + tick * (10 * node)
    foreign = 3_000 * node + tick * (5 * node)
    interleave = 1_115 + tick * node
    other = 2_000 * node + tick * (3 * node)
    local = hit + miss - other
    return (hit, miss, foreign, interleave, local, other)


#: Node distance matrices: 2 nodes symmetric, 4 and 8 asymmetric (as some SLITs are: d[i][j] != d[j][i]).
DISTANCES: dict[int, tuple[tuple[int, ...], ...]] = {
    1: ((10,),),
    2: ((10, 21), (21, 10)),
    4: (
        (10, 16, 32, 32),
        (17, 10, 32, 32),
        (32, 32, 10, 16),
        (32, 33, 16, 10),
    ),
    8: tuple(
        tuple(10 if i == j else 12 + 4 * abs(i - j) + (1 if i > j else 0) for j in range(8)) for i in range(8)
    ),
}


def topology(count: int, tick: int = 0) -> list[FakeNode]:
    """``count`` nodes of 2 CPUs each. In the 4-node tree node 3 is memory-only (no CPUs); in the 8-node
    tree node 5 has no ``distance`` file (as in some containers)."""
    nodes = []
    for i in range(count):
        cpulist = f"{2 * i}-{2 * i + 1}"
        if count == 4 and i == 3:
            cpulist = ""
        distance: tuple[int, ...] | None = DISTANCES[count][i]
        if count == 8 and i == 5:
            distance = None
        nodes.append(
            FakeNode(
                node=i,
                cpulist=cpulist,
                mem_total_kb=8 * 1024 * 1024 * (i + 1),
                mem_free_kb=1024 * 1024 * (i + 1),
                counters=_counters(i, tick),
                distance=distance,
                file_kb=1000 * (i + 1),
                anon_kb=2000 * (i + 1),
                hugepages_total=16 * i,
                hugepages_free=8 * i,
            )
        )
    return nodes


# ---------------------------------------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------------------------------------


def test_parse_node_meminfo_bytes_and_raw_hugepage_counts() -> None:
    text = (
        "Node 12 MemTotal:       16384 kB\n"
        "Node 12 MemFree:         4096 kB\n"
        "Node 12 MemUsed:        12288 kB\n"
        "Node 12 FilePages:       1000 kB\n"
        "Node 12 AnonPages:       2000 kB\n"
        "Node 12 HugePages_Total:    64\n"
        "Node 12 HugePages_Free:     60\n"
        "Node 12 HugePages_Surp:      0\n"
    )
    assert parse_node_meminfo(text) == NodeMemory(
        total_bytes=16384 * 1024,
        free_bytes=4096 * 1024,
        used_bytes=12288 * 1024,
        file_pages_bytes=1000 * 1024,
        anon_pages_bytes=2000 * 1024,
        hugepages_total=64,
        hugepages_free=60,
    )


def test_parse_node_meminfo_skips_garbled_lines_and_computes_missing_used() -> None:
    text = (
        "Node 0 MemTotal:  1000 kB\n"
        "Node 0 MemFree:   abc kB\n"  # garbled value
        "Node 0 MemFree:    400 kB\n"
        "Node x AnonPages:  7 kB\n"  # not a node number
        "Node 0 FilePages 9 kB\n"  # no colon
        "Node 0 HugePages_Total:\n"  # cut line
        "garbage\n"
    )
    memory = parse_node_meminfo(text)
    assert memory.total_bytes == 1000 * 1024
    assert memory.free_bytes == 400 * 1024
    assert memory.used_bytes == 600 * 1024
    assert memory.anon_pages_bytes is None
    assert memory.file_pages_bytes is None
    assert memory.hugepages_total is None


def _node_meminfo_by_lines(text: str) -> NodeMemory:
    """What parse_node_meminfo must give, read the plain way: each line split into its columns."""
    values: dict[str, int] = {}
    for line in text.split("\n"):
        columns = [c for c in line.split(" ") if c]
        if len(columns) not in (4, 5) or columns[0] != "Node" or not columns[2].endswith(":"):
            continue
        if not all(c.isascii() and c.isdigit() for c in (columns[1], columns[3])):
            continue
        if len(columns[3]) > 20:  # wider than a 64-bit counter: garbled
            continue
        if len(columns) == 4 or columns[4] == "kB":
            values.setdefault(columns[2][:-1], int(columns[3]) * (1024 if len(columns) == 5 else 1))
    total, free, used = values.get("MemTotal"), values.get("MemFree"), values.get("MemUsed")
    if used is None and total is not None and free is not None and free <= total:
        used = total - free
    return NodeMemory(
        total, free, used, values.get("FilePages"), values.get("AnonPages"),
        values.get("HugePages_Total"), values.get("HugePages_Free"),
    )  # fmt: skip


_node_meminfo_line = st.one_of(
    st.builds(
        lambda node, key, pad, value, unit: f"Node {node} {key}:{' ' * pad}{value}{unit}",
        st.integers(0, 1024),
        st.sampled_from(["MemTotal", "MemFree", "MemUsed", "FilePages", "AnonPages", "HugePages_Free"]),
        st.integers(0, 12),
        st.integers(0, 2**70),
        st.sampled_from([" kB", "", " MB"]),
    ),
    st.text(alphabet="Node MemFre:0123456789kB", max_size=30),
)


@pytest.mark.slow
@given(st.lists(_node_meminfo_line, max_size=12))
@settings(max_examples=300, deadline=None)
def test_parse_node_meminfo_equals_a_line_by_line_reading(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert parse_node_meminfo(text) == _node_meminfo_by_lines(text)


def test_parse_node_meminfo_of_this_machine_equals_a_line_by_line_reading() -> None:
    path = Path("/sys/devices/system/node/node0/meminfo")
    if not path.exists():
        pytest.skip("no NUMA node directory here")
    text = path.read_text()
    assert parse_node_meminfo(text) == _node_meminfo_by_lines(text)
    assert parse_node_meminfo(text).total_bytes is not None


def test_parse_node_meminfo_empty_is_all_unknown() -> None:
    assert parse_node_meminfo("") == NodeMemory(None, None, None, None, None, None, None)


def test_parse_node_numastat() -> None:
    text = (
        "numa_hit 1906801\nnuma_miss 12\nnuma_foreign 7\n"
        "interleave_hit 1115\nlocal_node 1906790\nother_node 23\n"
    )
    assert parse_node_numastat(text) == NodeCounters(1906801, 12, 7, 1115, 1906790, 23)


def test_parse_node_numastat_missing_unknown_and_garbled_lines() -> None:
    text = "numa_hit 5\nnuma_miss x\nfuture_counter 9\nlocal_node -3\nother_node\n"
    assert parse_node_numastat(text) == NodeCounters(5, None, None, None, None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10 21 21 31\n", (10, 21, 21, 31)), ("10\n", (10,)), ("", None), ("\n", None), ("10 2x\n", None)],
)
def test_parse_distance(text: str, expected: tuple[int, ...] | None) -> None:
    assert parse_distance(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0-3,8\n", frozenset({0, 1, 2, 3, 8})), ("\n", frozenset()), ("0-a\n", None)],
)
def test_parse_node_cpulist(text: str, expected: frozenset[int] | None) -> None:
    assert parse_node_cpulist(text) == expected


def test_parse_numa_maps_sums_pages_times_each_mappings_page_size() -> None:
    text = (
        "55c5ead42000 default file=/usr/bin/head mapped=2 N0=2 kernelpagesize_kB=4\n"
        "55c5ead4d000 default file=/usr/bin/head anon=3 dirty=3 active=0 N0=1 N1=2 kernelpagesize_kB=4\n"
        "7f0000000000 bind:1 file=/dev/hugepages/x huge dirty=3 N1=3 kernelpagesize_kB=2048\n"
        "7f1000000000 interleave:0-1 anon=5 dirty=5 N0=2 N3=3 kernelpagesize_kB=64\n"
        # Old kernels write no page size: 4 kB.
        "7f2000000000 default anon=7 dirty=7 N2=7\n"
        # A mapping with nothing resident has no N= tokens.
        "7ffd00000000 default stack anon=0\n"
        "\n"
    )
    assert parse_numa_maps(text) == {
        0: (2 + 1) * 4096 + 2 * 64 * 1024,
        1: 2 * 4096 + 3 * 2048 * 1024,
        2: 7 * 4096,
        3: 3 * 64 * 1024,
    }
    assert list(parse_numa_maps(text)) == [0, 1, 2, 3]


def test_parse_numa_maps_ignores_escaped_file_names_and_garbled_tokens() -> None:
    # The kernel escapes space and '=' in file names (\040, \075), so a name cannot pose as a count.
    text = (
        r"7f00 default file=/tmp/a\040N1\0755 mapped=1 N0=1 kernelpagesize_kB=4" + "\n"
        "7f01 default anon=1 N0=x Nfoo=2 N1= kernelpagesize_kB=k N2=1\n"
    )
    assert parse_numa_maps(text) == {0: 4096, 2: 4096}


def test_parse_numa_maps_empty_is_nothing() -> None:
    assert parse_numa_maps("") == {}


def test_parse_mems_allowed() -> None:
    status = (
        "Name:\tx\nCpus_allowed_list:\t0-7\nMems_allowed:\t00000000,0000000b\nMems_allowed_list:\t0-1,3\n"
    )
    assert parse_mems_allowed(status) == (0, 1, 3)
    assert parse_mems_allowed("Name:\tx\nMems_allowed:\t1\n") is None
    assert parse_mems_allowed("Mems_allowed_list:\t0-x\n") is None


# ---------------------------------------------------------------------------------------------------------
# Readers on fixture trees
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 4, 8])
def test_read_numa_trees(tmp_path: Path, count: int) -> None:
    nodes = topology(count, tick=3)
    fs = write_nodes(tmp_path, nodes)
    reading = read_numa(fs)
    assert [n.node for n in reading.nodes] == list(range(count))
    assert reading.numa_balancing == 1
    snapshot = numa_snapshot(None, reading, None)
    for fake, got in zip(nodes, snapshot.nodes, strict=True):
        assert got.node == fake.node
        assert got.cpus == tuple(sorted(parse_node_cpulist(fake.cpulist or "") or ()))
        assert got.mem_total_bytes == fake.mem_total_kb * 1024
        assert got.mem_free_bytes == fake.mem_free_kb * 1024
        assert got.mem_used_bytes == (fake.mem_total_kb - fake.mem_free_kb) * 1024
        assert got.file_pages_bytes == fake.file_kb * 1024
        assert got.anon_pages_bytes == fake.anon_kb * 1024
        assert (got.hugepages_total, got.hugepages_free) == (fake.hugepages_total, fake.hugepages_free)
        assert fake.counters is not None
        assert tuple(getattr(got, name) for name in NUMA_COUNTERS) == fake.counters
        hit, miss = fake.counters[0], fake.counters[1]
        assert got.miss_ratio_since_boot == pytest.approx(miss / (hit + miss))
    expected = [None if n.distance is None else n.distance for n in nodes]
    assert snapshot.distances is not None
    assert list(snapshot.distances) == expected


def test_asymmetric_distances_keep_each_rows_own_values(tmp_path: Path) -> None:
    snapshot = numa_snapshot(None, read_numa(write_nodes(tmp_path, topology(4))), None)
    assert snapshot.distances is not None
    matrix = snapshot.distances
    assert matrix[0] is not None and matrix[1] is not None
    assert (matrix[0][1], matrix[1][0]) == (16, 17)
    assert matrix[3] == (32, 33, 16, 10)


def test_node_without_cpus_has_an_empty_cpu_list(tmp_path: Path) -> None:
    snapshot = numa_snapshot(None, read_numa(write_nodes(tmp_path, topology(4))), None)
    assert snapshot.nodes[3].cpus == ()
    assert snapshot.nodes[3].mem_total_bytes == 32 * 1024 * 1024 * 1024
    assert cpu_nodes(snapshot.nodes) == {0: 0, 1: 0, 2: 1, 3: 1, 4: 2, 5: 2}


def test_node_without_distance_has_a_null_row(tmp_path: Path) -> None:
    snapshot = numa_snapshot(None, read_numa(write_nodes(tmp_path, topology(8))), None)
    assert snapshot.distances is not None
    assert snapshot.distances[5] is None
    assert snapshot.distances[4] == DISTANCES[8][4]
    assert snapshot.distances[6] == DISTANCES[8][6]


def test_no_distance_file_at_all_gives_null_matrix(tmp_path: Path) -> None:
    nodes = [replace(n, distance=None) for n in topology(2)]
    snapshot = numa_snapshot(None, read_numa(write_nodes(tmp_path, nodes)), None)
    assert snapshot.distances is None


def test_missing_files_give_nulls_for_their_values_only(tmp_path: Path) -> None:
    nodes = topology(2)
    nodes[1] = replace(nodes[1], counters=None, cpulist=None)
    fs = write_nodes(tmp_path, nodes)
    (tmp_path / "sys/devices/system/node/node0/meminfo").unlink()
    snapshot = numa_snapshot(None, read_numa(fs), None)
    zero, one = snapshot.nodes
    assert zero.mem_total_bytes is None and zero.mem_used_bytes is None and zero.hugepages_total is None
    assert zero.numa_hit == _counters(0, 0)[0]
    assert zero.cpus == (0, 1)
    assert one.cpus is None
    assert one.mem_total_bytes == nodes[1].mem_total_kb * 1024
    assert all(getattr(one, name) is None for name in NUMA_COUNTERS)
    assert one.miss_ratio_since_boot is None


def test_node_directories_sort_numerically_and_siblings_are_ignored(tmp_path: Path) -> None:
    # Sparse node numbers exist (POWER machines number nodes 0, 8, ...); node10 sorts after node2.
    nodes = [
        replace(n, node=number, distance=None) for n, number in zip(topology(4), (0, 2, 10, 1), strict=True)
    ]
    fs = write_nodes(tmp_path, nodes)
    (tmp_path / "sys/devices/system/node/nodeX").mkdir()
    assert node_numbers(fs) == (0, 1, 2, 10)
    assert [n.node for n in read_numa(fs).nodes] == [0, 1, 2, 10]


# A sampler's NodeList: the node directories listed again only when they may have changed.


def _counting_listings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the listings of the node directories (calls of ``node_numbers`` in ``perftop.probes.numa``)."""
    import perftop.probes.numa

    calls: list[int] = []
    real = perftop.probes.numa.node_numbers
    monkeypatch.setattr(perftop.probes.numa, "node_numbers", lambda fs: calls.append(1) or real(fs))
    return calls


def _online(fs: FS, text: str) -> None:
    Path(fs.sys("devices", "system", "node", "online")).write_text(text)


def test_node_list_keeps_a_listing_that_matches_online_until_online_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fs = write_nodes(tmp_path, topology(4)[:2])
    listings = _counting_listings(monkeypatch)
    nodes, files = NodeList(), HeldFiles()
    for _ in range(3):
        assert [n.node for n in read_numa(fs, files, nodes).nodes] == [0, 1]
    assert len(listings) == 1
    # Hotplug: node 2 appears and the kernel sets it online.
    write_nodes(tmp_path, topology(4)[:3])
    assert [n.node for n in read_numa(fs, files, nodes).nodes] == [0, 1, 2]
    assert len(listings) == 2
    # Going away: the kernel clears it in online first.
    _online(fs, "0-1\n")
    shutil.rmtree(fs.sys("devices", "system", "node", "node2"))
    assert [n.node for n in read_numa(fs, files, nodes).nodes] == [0, 1]
    assert read_numa(fs, files, nodes) == read_numa(fs)
    files.close()


def test_node_list_lists_again_while_the_directories_disagree_with_online(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read between the kernel setting node 2 online and registering its directory.
    fs = write_nodes(tmp_path, topology(4)[:2])
    _online(fs, "0-2\n")
    listings = _counting_listings(monkeypatch)
    nodes, files = NodeList(), HeldFiles()
    assert [n.node for n in read_numa(fs, files, nodes).nodes] == [0, 1]
    write_nodes(tmp_path, topology(4)[:3])  # online unchanged: "0-2"
    assert [n.node for n in read_numa(fs, files, nodes).nodes] == [0, 1, 2]
    assert len(listings) == 2
    assert read_numa(fs, files, nodes) == read_numa(fs)
    files.close()


def test_node_list_lists_again_when_a_kept_node_is_gone(tmp_path: Path) -> None:
    # A fixture tree may remove a directory with online unchanged: the node must not linger.
    fs = write_nodes(tmp_path, topology(4)[:3])
    nodes, files = NodeList(), HeldFiles()
    assert [n.node for n in read_numa(fs, files, nodes).nodes] == [0, 1, 2]
    shutil.rmtree(fs.sys("devices", "system", "node", "node1"))
    assert [n.node for n in read_numa(fs, files, nodes).nodes] == [0, 2]
    assert read_numa(fs, files, nodes) == read_numa(fs)
    files.close()


def test_node_list_without_online_lists_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fs = write_nodes(tmp_path, topology(4)[:2])
    os.unlink(fs.sys("devices", "system", "node", "online"))
    listings = _counting_listings(monkeypatch)
    nodes = NodeList()
    assert [n.node for n in read_numa(fs, nodes=nodes).nodes] == [0, 1]
    write_nodes(tmp_path, topology(4)[:3])
    os.unlink(fs.sys("devices", "system", "node", "online"))
    assert [n.node for n in read_numa(fs, nodes=nodes).nodes] == [0, 1, 2]
    assert len(listings) == 2


@pytest.mark.parametrize(
    ("text", "expected"), [("0\n", 0), ("2\n", 2), ("3", 3), ("on\n", None), (None, None)]
)
def test_numa_balancing(tmp_path: Path, text: str | None, expected: int | None) -> None:
    fs = write_nodes(tmp_path, topology(1), numa_balancing=text)
    assert read_numa_balancing(fs) == expected
    assert read_numa(fs).numa_balancing == expected


# ---------------------------------------------------------------------------------------------------------
# A machine without node directories: one node
# ---------------------------------------------------------------------------------------------------------

_MEMINFO = (
    "MemTotal:        4024532 kB\n"
    "MemFree:         3446064 kB\n"
    "MemAvailable:    3600000 kB\n"
    "Buffers:            1000 kB\n"
    "Cached:           300000 kB\n"
    "SwapCached:           16 kB\n"
    "AnonPages:         89636 kB\n"
    "HugePages_Total:       4\n"
    "HugePages_Free:        3\n"
)


def _flat_machine(root: Path, online: str | None, stat: str | None) -> FS:
    (root / "proc").mkdir()
    (root / "proc" / "meminfo").write_text(_MEMINFO)
    if stat is not None:
        (root / "proc" / "stat").write_text(stat)
    cpu = root / "sys" / "devices" / "system" / "cpu"
    cpu.mkdir(parents=True)
    if online is not None:
        (cpu / "online").write_text(online)
    return FS(procfs=root / "proc", sysfs=root / "sys")


def test_no_node_directory_is_one_node_with_all_cpus_and_memory(tmp_path: Path) -> None:
    fs = _flat_machine(tmp_path, online="0-3\n", stat=None)
    snapshot = numa_snapshot(None, read_numa(fs), None)
    (node,) = snapshot.nodes
    assert node.node == 0
    assert node.cpus == (0, 1, 2, 3)
    assert node.mem_total_bytes == 4024532 * 1024
    assert node.mem_free_bytes == 3446064 * 1024
    assert node.mem_used_bytes == (4024532 - 3446064) * 1024
    assert node.file_pages_bytes == (300000 + 16 + 1000) * 1024
    assert node.anon_pages_bytes == 89636 * 1024
    assert (node.hugepages_total, node.hugepages_free) == (4, 3)
    assert all(getattr(node, name) is None for name in NUMA_COUNTERS)
    assert all(getattr(node, name + "_per_s") is None for name in NUMA_COUNTERS)
    assert node.miss_ratio is None and node.miss_ratio_since_boot is None
    assert snapshot.distances is None
    assert snapshot.numa_balancing is None


def test_no_node_directory_takes_cpus_from_proc_stat_without_sysfs_online(tmp_path: Path) -> None:
    stat = "cpu  1 2 3 4\ncpu0 1 0 0 1\ncpu2 0 1 0 1\ncpu3 0 0 1 1\nintr 5\nctxt 9\n"
    fs = _flat_machine(tmp_path, online=None, stat=stat)
    (node,) = read_numa(fs).nodes
    assert node.cpus == frozenset({0, 2, 3})


def test_empty_node_directory_is_treated_as_no_numa(tmp_path: Path) -> None:
    fs = _flat_machine(tmp_path, online="0-1\n", stat=None)
    (tmp_path / "sys/devices/system/node").mkdir()
    (node,) = read_numa(fs).nodes
    assert node.node == 0 and node.cpus == frozenset({0, 1})


def test_nothing_readable_gives_one_unknown_node(tmp_path: Path) -> None:
    reading = read_numa(FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys"))
    assert reading == NumaReading(
        nodes=(NodeReading(node=0, cpus=None, memory=None, counters=None, distance=None),),
        numa_balancing=None,
    )
    (node,) = numa_snapshot(None, reading, 1.0).nodes
    assert node.cpus is None and node.mem_total_bytes is None and node.numa_hit_per_s is None


# ---------------------------------------------------------------------------------------------------------
# Rates and ratios over two samples
# ---------------------------------------------------------------------------------------------------------


def test_rates_and_miss_ratios_over_two_samples_of_a_tree(tmp_path: Path) -> None:
    fs = write_nodes(tmp_path, topology(4, tick=10))
    first = read_numa(fs)
    write_nodes(tmp_path, topology(4, tick=12))
    second = read_numa(fs)
    baseline = numa_snapshot(None, first, None)
    assert all(getattr(n, name + "_per_s") is None for n in baseline.nodes for name in NUMA_COUNTERS)
    assert all(n.miss_ratio is None for n in baseline.nodes)
    snapshot = numa_snapshot(first, second, 2.0)
    for node in snapshot.nodes:
        before, after = _counters(node.node, 10), _counters(node.node, 12)
        for i, name in enumerate(NUMA_COUNTERS):
            assert getattr(node, name) == after[i]
            assert getattr(node, name + "_per_s") == pytest.approx((after[i] - before[i]) / 2.0)
        d_hit, d_miss = after[0] - before[0], after[1] - before[1]
        assert node.miss_ratio == pytest.approx(d_miss / (d_hit + d_miss))
        assert node.miss_ratio_since_boot == pytest.approx(after[1] / (after[0] + after[1]))
    # Node 0 never misses (its miss counter stays at 0): a ratio of 0, not None.
    assert snapshot.nodes[0].miss_ratio == 0.0
    assert snapshot.nodes[2].numa_miss_per_s == pytest.approx(20 * 2 / 2.0)


def _reading(*nodes: tuple[int, NodeCounters | None]) -> NumaReading:
    return NumaReading(
        nodes=tuple(NodeReading(n, frozenset(), None, c, None) for n, c in nodes), numa_balancing=None
    )


def test_counter_that_went_backwards_gives_null_rate_for_that_counter_only() -> None:
    prev = _reading((0, NodeCounters(1000, 100, 50, 10, 900, 200)))
    # numa_foreign went backwards (a reset); the others moved forward.
    cur = _reading((0, NodeCounters(1300, 160, 40, 12, 1100, 260)))
    (node,) = numa_snapshot(prev, cur, 2.0).nodes
    assert node.numa_foreign_per_s is None
    assert node.numa_foreign == 40
    assert node.numa_hit_per_s == 150.0
    assert node.numa_miss_per_s == 30.0
    assert node.interleave_hit_per_s == 1.0
    assert node.local_node_per_s == 100.0
    assert node.other_node_per_s == 30.0
    assert node.miss_ratio == pytest.approx(60 / 360)
    assert node.miss_ratio_since_boot == pytest.approx(160 / 1460)


def test_hit_counter_backwards_gives_null_interval_ratio() -> None:
    prev = _reading((0, NodeCounters(1000, 100, 0, 0, 0, 0)))
    cur = _reading((0, NodeCounters(10, 110, 0, 0, 0, 0)))
    (node,) = numa_snapshot(prev, cur, 1.0).nodes
    assert node.numa_hit_per_s is None
    assert node.numa_miss_per_s == 10.0
    assert node.miss_ratio is None
    assert node.miss_ratio_since_boot == pytest.approx(110 / 120)


def test_idle_interval_and_unused_node_have_null_ratios() -> None:
    prev = _reading((0, NodeCounters(500, 5, 0, 0, 500, 5)), (1, NodeCounters(0, 0, 0, 0, 0, 0)))
    cur = _reading((0, NodeCounters(500, 5, 0, 0, 500, 5)), (1, NodeCounters(0, 0, 0, 0, 0, 0)))
    zero, one = numa_snapshot(prev, cur, 1.0).nodes
    assert zero.numa_hit_per_s == 0.0
    assert zero.miss_ratio is None  # nothing allocated over the interval: 0/0
    assert zero.miss_ratio_since_boot == pytest.approx(5 / 505)
    assert one.miss_ratio is None and one.miss_ratio_since_boot is None


@pytest.mark.parametrize("elapsed", [0.0, -1.0, None])
def test_non_positive_or_unknown_elapsed_gives_null_rates(elapsed: float | None) -> None:
    prev = _reading((0, NodeCounters(1, 1, 1, 1, 1, 1)))
    cur = _reading((0, NodeCounters(3, 2, 1, 1, 1, 1)))
    (node,) = numa_snapshot(prev, cur, elapsed).nodes
    assert all(getattr(node, name + "_per_s") is None for name in NUMA_COUNTERS)
    # The ratio needs no clock: it is the share of misses among the interval's allocations.
    assert node.miss_ratio == pytest.approx(1 / 3)


def test_nodes_match_by_number_and_a_new_node_has_no_rates() -> None:
    prev = _reading((0, NodeCounters(100, 0, 0, 0, 100, 0)))
    cur = _reading((0, NodeCounters(150, 0, 0, 0, 150, 0)), (1, NodeCounters(40, 2, 0, 0, 40, 2)))
    zero, one = numa_snapshot(prev, cur, 1.0).nodes
    assert zero.numa_hit_per_s == 50.0
    assert one.numa_hit == 40 and one.numa_hit_per_s is None and one.miss_ratio is None


def test_counters_missing_in_previous_sample_give_null_rates() -> None:
    prev = _reading((0, None))
    cur = _reading((0, NodeCounters(150, 3, 0, 0, 150, 0)))
    (node,) = numa_snapshot(prev, cur, 1.0).nodes
    assert node.numa_hit == 150 and node.numa_hit_per_s is None and node.miss_ratio is None


# ---------------------------------------------------------------------------------------------------------
# Per-process placement
# ---------------------------------------------------------------------------------------------------------


def _write_process(root: Path, pid: int, numa_maps: str | None, status: str | None) -> FS:
    d = root / "proc" / str(pid)
    d.mkdir(parents=True)
    if numa_maps is not None:
        (d / "numa_maps").write_text(numa_maps)
    if status is not None:
        (d / "status").write_text(status)
    return FS(procfs=root / "proc", sysfs=root / "sys")


def test_process_numa_bytes_per_node_and_allowed_nodes(tmp_path: Path) -> None:
    maps = (
        "00400000 default file=/usr/bin/app mapped=10 N0=10 kernelpagesize_kB=4\n"
        "7f0000000000 default anon=300 dirty=300 N0=100 N1=200 kernelpagesize_kB=4\n"
        "7f4000000000 default file=/dev/hugepages/db huge dirty=2 N1=2 kernelpagesize_kB=2048\n"
    )
    fs = _write_process(tmp_path, 4242, maps, "Name:\tapp\nMems_allowed_list:\t0-1\n")
    placement = process_numa(fs, 4242)
    assert placement is not None
    assert placement.pid == 4242
    assert placement.node_bytes == {0: 110 * 4096, 1: 200 * 4096 + 2 * 2 * MiB}
    assert placement.total_bytes == 310 * 4096 + 4 * MiB
    assert placement.mems_allowed == (0, 1)


def test_process_numa_gone_or_unreadable_is_none(tmp_path: Path) -> None:
    fs = _write_process(tmp_path, 10, None, "Name:\tx\nMems_allowed_list:\t0\n")
    assert process_numa(fs, 10) is None  # no numa_maps
    assert process_numa(fs, 11) is None  # no such process
    # A read error (here a directory; for real, EACCES without ptrace access) is unreadable, not a crash.
    (tmp_path / "proc" / "12" / "numa_maps").mkdir(parents=True)
    assert process_numa(fs, 12) is None


def test_process_numa_kernel_thread_and_missing_status(tmp_path: Path) -> None:
    fs = _write_process(tmp_path, 2, "", None)
    placement = process_numa(fs, 2)
    assert placement is not None
    assert placement.node_bytes == {} and placement.total_bytes == 0 and placement.mems_allowed is None


def test_remote_percent() -> None:
    def placed(node_bytes: dict[int, int]) -> ProcessNuma:
        total = sum(node_bytes.values())
        return ProcessNuma(pid=1, node_bytes=node_bytes, total_bytes=total, mems_allowed=None)

    assert placed({0: 300, 1: 100}).remote_percent(0) == 25.0
    assert placed({0: 300, 1: 100}).remote_percent(1) == 75.0
    assert placed({0: 300}).remote_percent(2) == 100.0
    assert placed({0: 300}).remote_percent(None) is None
    assert placed({}).remote_percent(0) is None


# ---------------------------------------------------------------------------------------------------------
# Real captures (../shared/fixtures/procfs): two node directories holding only vmstat
# ---------------------------------------------------------------------------------------------------------

needs_shared = pytest.mark.skipif(not SHARED_PROCFS.is_dir(), reason="../shared/fixtures/procfs is absent")


@needs_shared
def test_real_capture_nodes() -> None:
    fs = FS(procfs=SHARED_PROCFS / "proc", sysfs=SHARED_PROCFS / "sys")
    node_dir = SHARED_PROCFS / "sys/devices/system/node"
    on_disk = sorted(int(p.name[4:]) for p in node_dir.iterdir() if re.fullmatch(r"node\d+", p.name))
    assert node_numbers(fs) == tuple(on_disk)
    reading = read_numa(fs)
    snapshot = numa_snapshot(reading, reading, 1.0)
    assert [n.node for n in snapshot.nodes] == on_disk
    for node in snapshot.nodes:
        files = {p.name for p in (node_dir / f"node{node.node}").iterdir()}
        # The capture has only vmstat in each node: every value perftop reads is then unknown.
        assert (node.cpus is None) == ("cpulist" not in files)
        assert (node.mem_total_bytes is None) == ("meminfo" not in files)
        assert (node.numa_hit is None) == ("numastat" not in files)
    has_distance = any((node_dir / f"node{n}" / "distance").exists() for n in on_disk)
    assert (snapshot.distances is None) == (not has_distance)
    assert (snapshot.numa_balancing is None) == (
        not (SHARED_PROCFS / "proc/sys/kernel/numa_balancing").exists()
    )


@needs_shared
def test_real_capture_process_status() -> None:
    fs = FS(procfs=SHARED_PROCFS / "proc", sysfs=SHARED_PROCFS / "sys")
    status = (SHARED_PROCFS / "proc/26231/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("Mems_allowed_list:"))
    assert parse_mems_allowed(status) == tuple(sorted(parse_node_cpulist(line.split(":", 1)[1]) or ()))
    assert parse_mems_allowed(status) == (0,)
    has_maps = (SHARED_PROCFS / "proc/26231/numa_maps").exists()
    assert (process_numa(fs, 26231) is None) == (not has_maps)


# ---------------------------------------------------------------------------------------------------------
# This machine against numastat (Debian package numactl)
# ---------------------------------------------------------------------------------------------------------

needs_numastat = pytest.mark.skipif(
    shutil.which("numastat") is None or not Path("/sys/devices/system/node/node0").is_dir(),
    reason="numastat (numactl) is not installed, or the kernel has no NUMA nodes",
)


def _run_numastat(*args: str) -> str:
    # Off a terminal numastat does not fold wide tables; the variable makes that explicit.
    env = {**os.environ, "NUMASTAT_WIDTH": "1000000"}
    result = subprocess.run(
        ["numastat", *args], capture_output=True, text=True, env=env, timeout=30, check=True
    )
    return result.stdout


def _parse_numastat_pages(out: str) -> dict[int, dict[str, int]]:
    """numastat's default table (pages): a ``node0 node1 ...`` header, then one row per counter."""
    columns: list[int] = []
    table: dict[int, dict[str, int]] = {}
    for line in out.splitlines():
        words = line.split()
        if words and all(re.fullmatch(r"node\d+", w) for w in words):
            columns = [int(w[4:]) for w in words]
        elif words and words[0] in NUMA_COUNTERS:
            for node, value in zip(columns, words[1:], strict=True):
                table.setdefault(node, {})[words[0]] = int(value)
    return table


def _parse_numastat_process_mb(out: str) -> dict[int, float]:
    """``numastat -p PID``: the ``Total`` row in MB per ``Node N`` column (the last column is the total)."""
    columns: list[int] = []
    totals: dict[int, float] = {}
    for line in out.splitlines():
        if "Node " in line:
            columns = [int(n) for n in re.findall(r"Node (\d+)", line)]
        elif line.split()[:1] == ["Total"]:
            values = [float(v) for v in line.split()[1:]]
            totals.update(zip(columns, values[: len(columns)], strict=True))
    return totals


@pytest.mark.live
@needs_numastat
def test_counters_agree_with_numastat() -> None:
    fs = FS()
    before = numa_snapshot(None, read_numa(fs), None)
    table = _parse_numastat_pages(_run_numastat())
    after = numa_snapshot(None, read_numa(fs), None)
    assert sorted(table) == [n.node for n in before.nodes] == [n.node for n in after.nodes]
    for first, second in zip(before.nodes, after.nodes, strict=True):
        for name in NUMA_COUNTERS:
            low, high = getattr(first, name), getattr(second, name)
            assert low is not None and high is not None
            assert low <= table[first.node][name] <= high, (first.node, name)


CHILD = """
import sys
data = b"\\x01" * (50 << 20)  # 50 MiB, every page written
sys.stdout.write("ready\\n")
sys.stdout.flush()
sys.stdin.read()
"""


@pytest.mark.live
@needs_numastat
def test_process_placement_agrees_with_numastat_p() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        fs = FS()
        before = process_numa(fs, child.pid)
        tool = _parse_numastat_process_mb(_run_numastat("-p", str(child.pid)))
        after = process_numa(fs, child.pid)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)
    assert before is not None and after is not None
    assert before.total_bytes >= 50 * MiB
    nodes = {n.node for n in read_numa(fs).nodes}
    assert tool and set(tool) <= nodes
    for node, mb in tool.items():
        low = min(before.node_bytes.get(node, 0), after.node_bytes.get(node, 0)) / MiB
        high = max(before.node_bytes.get(node, 0), after.node_bytes.get(node, 0)) / MiB
        assert low - 1.0 <= mb <= high + 1.0, (node, mb, low, high)
    assert after.mems_allowed is not None and set(after.mems_allowed) <= nodes
    assert after.mems_allowed
