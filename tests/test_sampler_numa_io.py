"""The sampler's per-process NUMA fields (``node``, ``remote_percent`` and its ``numa_maps`` cadence) and
the ``/proc/PID/io`` rates, on fixture trees with two NUMA nodes (CPUs 0-1 on node 0, 2-3 on node 1)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.sampler import DISK_INFO_SECONDS, NUMA_MAPS_SECONDS, Sampler
from perftop.probes.snapshot import ProcessInfo, Snapshot
from perftop.tui.json_lines import write_json_lines
from testbed.fixture_tree import FakeProcess, make_tree, write_disks, write_numa

#: Pinned to CPUs 0-1 (node 0) and to CPU 3 (node 1) in the generated tree; 2 is a kernel thread.
ON_NODE0, ON_NODE1, KTHREAD = 1024, 2100, 2


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Machine:
    """A 4-CPU, 2-node fixture tree with a sampler on a hand-moved clock."""

    def __init__(self, root: Path, *, nodes: int = 2) -> None:
        self.root = root
        self.nodes = nodes
        self.tick = 0
        self.extra: list[FakeProcess] = []
        self.clock = Clock()
        self.fs = self._write()
        self.sampler = Sampler(self.fs, clock=self.clock, wall_clock=lambda: 0.0)

    def _write(self) -> FS:
        fs = make_tree(self.root, cpus=4, processes=12, tick=self.tick, extra=self.extra)
        write_numa(self.root, nodes=self.nodes, cpus=4, tick=self.tick)
        return fs

    def advance(self, seconds: float) -> None:
        """``seconds`` pass on the sampler's clock; the tree moves one tick."""
        self.tick += 1
        self.clock.now += seconds
        self._write()

    def numa_maps(self, pid: int, node0_pages: int, node1_pages: int) -> None:
        """Give ``pid`` a ``numa_maps`` with a heap of 4 KiB pages and a 2 MiB huge page mapping."""
        text = (
            f"55d0c0a00000 default heap anon=40 dirty=40 N0={node0_pages} N1={node1_pages} "
            "kernelpagesize_kB=4\n"
            "7f3a40000000 default file=/dev/hugepages/x huge dirty=0 kernelpagesize_kB=2048\n"
        )
        (self.root / "proc" / str(pid) / "numa_maps").write_text(text)

    def io(self, pid: int, read_bytes: int, write_bytes: int) -> None:
        (self.root / "proc" / str(pid) / "io").write_text(
            f"rchar: {read_bytes * 3}\nwchar: {write_bytes * 2}\nsyscr: 10\nsyscw: 20\n"
            f"read_bytes: {read_bytes}\nwrite_bytes: {write_bytes}\ncancelled_write_bytes: 0\n"
        )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def rows(snapshot: Snapshot) -> dict[int, ProcessInfo]:
    return {p.pid: p for p in snapshot.processes}


def test_every_process_gets_the_node_of_its_last_cpu(machine: Machine) -> None:
    for _ in range(3):  # processes move between CPUs from tick to tick
        snapshot = machine.sampler.sample(status_pids=())
        assert len(snapshot.processes) == 12
        for p in snapshot.processes:
            assert p.processor is not None
            assert p.node == (0 if p.processor < 2 else 1), p
            assert p.remote_percent is None  # nobody asked
        machine.advance(1.0)
    assert {p.node for p in snapshot.processes} == {0, 1}
    assert rows(snapshot)[ON_NODE0].node == 0 and rows(snapshot)[ON_NODE1].node == 1


def test_without_numa_directories_every_process_is_on_node_0(tmp_path: Path) -> None:
    machine = Machine(tmp_path, nodes=0)
    snapshot = machine.sampler.sample()
    assert {p.node for p in snapshot.processes} == {0}


def test_remote_percent_only_for_the_pids_asked(machine: Machine) -> None:
    machine.numa_maps(ON_NODE0, 10, 30)
    machine.numa_maps(ON_NODE1, 10, 30)
    machine.numa_maps(1, 10, 30)
    got = rows(machine.sampler.sample(numa_pids={ON_NODE0, ON_NODE1, KTHREAD, 99999}))
    # 30 of 40 pages are on node 1: 75% remote from node 0, 25% from node 1.
    assert got[ON_NODE0].remote_percent == pytest.approx(75.0)
    assert got[ON_NODE1].remote_percent == pytest.approx(25.0)
    assert got[KTHREAD].remote_percent is None  # no numa_maps in the tree (a kernel thread's is empty)
    assert got[1].remote_percent is None  # has a numa_maps but was not asked for
    assert 99999 not in got


def test_numa_maps_is_read_again_only_after_numa_maps_seconds(machine: Machine) -> None:
    assert NUMA_MAPS_SECONDS == 5.0
    machine.numa_maps(ON_NODE0, 10, 30)
    sample = machine.sampler.sample
    assert rows(sample(numa_pids={ON_NODE0}))[ON_NODE0].remote_percent == pytest.approx(75.0)
    machine.numa_maps(ON_NODE0, 40, 0)  # the memory moved home
    for _ in range(4):
        machine.advance(1.2)  # 4.8 s since the read
        assert rows(sample(numa_pids={ON_NODE0}))[ON_NODE0].remote_percent == pytest.approx(75.0)
    machine.advance(0.2)  # 5.0 s
    assert rows(sample(numa_pids={ON_NODE0}))[ON_NODE0].remote_percent == 0.0
    machine.numa_maps(ON_NODE0, 0, 40)
    machine.advance(1.0)
    # Not asked this time: no value, and the cached reading is not refreshed by the skipped sample.
    assert rows(sample())[ON_NODE0].remote_percent is None
    assert rows(sample(numa_pids={ON_NODE0}))[ON_NODE0].remote_percent == 0.0
    machine.advance(4.0)
    assert rows(sample(numa_pids={ON_NODE0}))[ON_NODE0].remote_percent == 100.0


def test_a_reused_pid_is_read_at_once_and_gone_pids_leave_the_cache(machine: Machine) -> None:
    machine.numa_maps(ON_NODE1, 10, 30)
    assert rows(machine.sampler.sample(numa_pids={ON_NODE1}))[ON_NODE1].remote_percent == pytest.approx(25.0)
    # Another process gets PID 2100 a second later, pinned to node 1 and with all its pages on node 0.
    machine.extra = [FakeProcess(ON_NODE1, "newcomer", affinity=(3,), start_time=90_000, utime_rate=1)]
    machine.advance(1.0)
    machine.numa_maps(ON_NODE1, 8, 0)
    got = rows(machine.sampler.sample(numa_pids={ON_NODE1}))[ON_NODE1]
    assert got.comm == "newcomer" and got.remote_percent == 100.0
    # When the asked-for process is gone, nothing of it stays behind.
    shutil.rmtree(machine.root / "proc" / str(ON_NODE1))
    machine.clock.now += 1.0
    got_rows = rows(machine.sampler.sample(numa_pids={ON_NODE1}))
    assert ON_NODE1 not in got_rows
    assert ON_NODE1 not in machine.sampler._numa_maps  # the cache is bounded by the live processes


def test_unreadable_numa_maps_is_none_and_not_retried_every_tick(machine: Machine) -> None:
    got = rows(machine.sampler.sample(numa_pids={ON_NODE0}))
    assert got[ON_NODE0].remote_percent is None  # no numa_maps file (another user's process, not root)
    machine.numa_maps(ON_NODE0, 10, 30)
    machine.advance(1.0)
    assert rows(machine.sampler.sample(numa_pids={ON_NODE0}))[ON_NODE0].remote_percent is None
    machine.advance(NUMA_MAPS_SECONDS)
    assert rows(machine.sampler.sample(numa_pids={ON_NODE0}))[ON_NODE0].remote_percent == pytest.approx(75.0)


def test_reread_keeps_node_remote_and_io_rates(machine: Machine) -> None:
    machine.numa_maps(ON_NODE0, 10, 30)
    machine.io(ON_NODE0, 1_000, 2_000)
    machine.sampler.sample(status_pids={ON_NODE0}, numa_pids={ON_NODE0})
    machine.advance(2.0)
    machine.io(ON_NODE0, 5_000, 2_000 + 8 * 4096)
    last = rows(machine.sampler.sample(status_pids={ON_NODE0}, numa_pids={ON_NODE0}))[ON_NODE0]
    assert last.io_read_bytes_per_s == 2_000.0 and last.io_write_bytes_per_s == 4 * 4096
    fresh = machine.sampler.reread([ON_NODE0])[ON_NODE0]
    assert fresh.node == 0 and fresh.remote_percent == pytest.approx(75.0)
    assert fresh.io_read_bytes_per_s == 2_000.0 and fresh.io_write_bytes_per_s == 4 * 4096
    assert fresh.io_read_bytes == 5_000


def test_io_rates_come_for_status_pids_and_null_where_unreadable(machine: Machine) -> None:
    machine.io(ON_NODE0, 0, 0)
    machine.io(1, 4096, 0)
    machine.sampler.sample()
    machine.advance(0.5)
    machine.io(ON_NODE0, 3 * 1024 * 1024, 1024 * 1024)
    machine.io(1, 4096, 0)
    got = rows(machine.sampler.sample(status_pids={ON_NODE0, ON_NODE1}))
    assert got[ON_NODE0].io_read_bytes_per_s == 6 * 1024 * 1024
    assert got[ON_NODE0].io_write_bytes_per_s == 2 * 1024 * 1024
    assert got[ON_NODE1].io_read_bytes is None and got[ON_NODE1].io_read_bytes_per_s is None  # no io file
    assert got[1].io_read_bytes is None  # not asked for this time: io is read with status


def test_json_carries_node_and_a_null_remote_percent(machine: Machine) -> None:
    machine.numa_maps(ON_NODE0, 10, 30)
    out = io.StringIO()
    write_json_lines(machine.sampler, out, count=1, interval=1.0, sleep=lambda _: None, clock=machine.clock)
    processes = json.loads(out.getvalue())["processes"]
    assert len(processes) == 12
    for p in processes:
        assert p["node"] == (0 if p["processor"] < 2 else 1)
        assert p["remote_percent"] is None  # --json never reads numa_maps
        assert "io_read_bytes_per_s" in p and "io_write_bytes_per_s" in p


def test_disk_queue_settings_are_read_again_every_ten_seconds_or_when_disks_change(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=5)
    write_disks(tmp_path, disks=2, tick=0)
    now = [0.0]
    sampler = Sampler(fs, clock=lambda: now[0])

    def schedulers() -> dict[str, str | None]:
        return {d.name: d.scheduler for d in sampler.sample(()).disks if not d.is_partition}

    assert schedulers() == {"nvme0n1": "none", "nvme1n1": "none"}
    (tmp_path / "sys/block/nvme0n1/queue/scheduler").write_text("none [mq-deadline] kyber\n")
    now[0] = DISK_INFO_SECONDS - 1
    assert schedulers()["nvme0n1"] == "none"  # not read again yet
    now[0] = DISK_INFO_SECONDS
    assert schedulers()["nvme0n1"] == "mq-deadline"
    write_disks(tmp_path, disks=3, tick=1)  # a disk appears: read at once
    (tmp_path / "sys/block/nvme1n1/queue/scheduler").write_text("[kyber] none\n")
    now[0] += 1
    assert schedulers() == {"nvme0n1": "none", "nvme1n1": "kyber", "nvme2n1": "none"}
