"""Files whose bytes did not change since the last sample are not parsed again, and an idle network keeps
its snapshot: what comes back must always be what a fresh read and parse give."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perftop.probes.disks import parse_diskstats, read_disks_info
from perftop.probes.fs import HeldFiles, read_parsed, read_text
from perftop.probes.net import net_snapshot, read_net
from perftop.probes.numa import parse_distance, parse_node_cpulist
from perftop.probes.sampler import DISK_INFO_SECONDS, Sampler
from testbed.fixture_tree import SteppingClock, make_tree, write_devices, write_net


class CountingParse:
    """A parser that counts its calls (and gives the text's words, a new list each time)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str, *args: object) -> list[str]:
        self.calls += 1
        return text.split()


# --- HeldFiles.parsed ----------------------------------------------------------------------------------


def test_unchanged_bytes_give_the_very_last_result_without_a_parse(tmp_path: Path) -> None:
    path = tmp_path / "numastat"
    path.write_text("numa_hit 1\n")
    files, parse = HeldFiles(), CountingParse()
    first = files.parsed(str(path), parse)
    assert first == ["numa_hit", "1"] and parse.calls == 1
    assert files.parsed(str(path), parse) is first and parse.calls == 1
    with open(path, "w") as f:  # rewritten in place, as procfs changes under an open file
        f.write("numa_hit 2\n")
    changed = files.parsed(str(path), parse)
    assert changed == ["numa_hit", "2"] and parse.calls == 2
    # Back to the first bytes: a new parse (only the last result is kept), equal to the first.
    path.write_text("numa_hit 1\n")
    assert files.parsed(str(path), parse) == first and parse.calls == 3
    files.close()


def test_another_parser_of_the_same_file_gets_its_own_parse(tmp_path: Path) -> None:
    path = tmp_path / "distance"
    path.write_text("10 21\n")
    files = HeldFiles()
    assert files.parsed(str(path), parse_distance) == (10, 21)
    assert files.parsed(str(path), parse_node_cpulist) is None  # "10 21" is no CPU list
    assert files.parsed(str(path), parse_distance) == (10, 21)
    files.close()


def test_removed_replaced_and_unreadable_files(tmp_path: Path) -> None:
    path = tmp_path / "cpulist"
    path.write_text("0-3\n")
    files, parse = HeldFiles(), CountingParse()
    assert files.parsed(str(path), parse) == ["0-3"]
    replacement = tmp_path / "cpulist.new"
    replacement.write_text("0-3\n")
    replacement.rename(path)  # equal bytes in a new file: read through a new descriptor, parsed again
    assert files.parsed(str(path), parse) == ["0-3"] and parse.calls == 2
    path.unlink()
    assert files.parsed(str(path), parse) is None and files.held == 0
    assert files.parsed(str(tmp_path / "missing"), parse) is None
    assert files.parsed(str(tmp_path), parse) is None  # a directory: unreadable
    assert parse.calls == 2
    files.close()


def test_read_parsed_through_a_plain_reader_parses_every_time(tmp_path: Path) -> None:
    path = tmp_path / "loadavg"
    path.write_text("0.10 0.20 0.30 1/99 1234\n")
    parse = CountingParse()
    assert read_parsed(read_text, str(path), parse) == read_parsed(read_text, str(path), parse)
    assert parse.calls == 2
    assert read_parsed(read_text, str(tmp_path / "missing"), parse) is None
    files = HeldFiles()
    assert read_parsed(files, str(path), parse) is read_parsed(files, str(path), parse)
    assert parse.calls == 3
    files.close()


def test_diskstats_unchanged_gives_the_last_counters_themselves(tmp_path: Path) -> None:
    """The line memo only lends unchanged objects: with the same bytes the whole last parse is the
    answer."""
    path = tmp_path / "diskstats"
    path.write_text("   8       0 sda 1 2 3 4 5 6 7 8 0 10 11\n   8      16 sdb 1 2 3 4 5 6 7 8 0 10 11\n")
    files = HeldFiles()
    lines: dict = {}
    first = files.parsed(str(path), parse_diskstats, lines)
    assert files.parsed(str(path), parse_diskstats, lines) is first
    path.write_text("   8       0 sda 1 2 3 4 5 6 7 8 0 10 11\n   8      16 sdb 2 2 3 4 5 6 7 8 0 10 11\n")
    second = files.parsed(str(path), parse_diskstats, lines)
    assert second is not None and second == parse_diskstats(path.read_text())
    assert second["sda"] is first["sda"] and second["sdb"] is not first["sdb"]
    files.close()


# --- the sampler -----------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    make_tree(tmp_path, cpus=4, processes=6, tick=0)
    write_devices(tmp_path, cpus=4, tick=0)
    return tmp_path


def test_an_idle_network_keeps_its_snapshot_and_a_change_is_seen(tree: Path) -> None:
    fs = make_tree(tree, cpus=4, processes=6, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample(frozenset(), sockets=False)
    second = sampler.sample(frozenset(), sockets=False)
    third = sampler.sample(frozenset(), sockets=False)
    fresh = read_net(fs, tables=False)
    assert second.net == third.net == net_snapshot(fresh, fresh, 1.0)
    assert third.net is second.net  # nothing changed: the same snapshot
    assert all(i.rx_bytes_per_s == 0.0 for i in third.net.interfaces)
    write_net(tree, tick=1)  # eth0 receives 1.25 MB, lo 2 kB
    moved = sampler.sample(frozenset(), sockets=False)
    assert moved.net is not third.net
    assert {i.name: i.rx_bytes_per_s for i in moved.net.interfaces} == {"lo": 2000.0, "eth0": 1_250_000.0}
    assert moved.net.tcp_retrans_segs_per_s == 0.0
    idle_again = sampler.sample(frozenset(), sockets=False)
    assert {i.name: i.rx_bytes_per_s for i in idle_again.net.interfaces} == {"lo": 0.0, "eth0": 0.0}
    assert sampler.sample(frozenset(), sockets=False).net is idle_again.net
    # The socket tables (pane 5), counted anew each time: equal counts keep the snapshot too, from the
    # second sample with them (the first has counts where the last had none).
    with_tables = sampler.sample(frozenset(), sockets=True)
    assert with_tables.net.tcp_states is not None and with_tables.net.tcp_states["ESTABLISHED"] == 3
    steady = sampler.sample(frozenset(), sockets=True).net
    assert steady == with_tables.net and steady is not with_tables.net
    assert sampler.sample(frozenset(), sockets=True).net is steady
    sampler.close()


def test_static_node_files_are_parsed_once(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fs = make_tree(tree, cpus=4, processes=6, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    first = sampler.sample(frozenset())
    calls: list[str] = []
    import perftop.probes.numa

    real = perftop.probes.numa.parse_cpu_list
    monkeypatch.setattr(perftop.probes.numa, "parse_cpu_list", lambda text: calls.append(text) or real(text))
    second = sampler.sample(frozenset())
    assert calls == []  # cpulist unchanged: its last parse
    assert [n.cpus for n in second.numa.nodes] == [n.cpus for n in first.numa.nodes]
    node1 = Path(fs.sys("devices", "system", "node", "node1", "cpulist"))
    node1.write_text("2\n")  # CPU 3 offlined from node 1
    third = sampler.sample(frozenset())
    assert calls == ["2\n"]
    assert third.numa.nodes[1].cpus == (2,)
    sampler.close()


def test_disk_settings_read_through_held_files_follow_changes_and_removals(tree: Path) -> None:
    fs = make_tree(tree, cpus=4, processes=6, tick=0)
    now = [0.0]
    sampler = Sampler(fs, clock=lambda: now[0])
    first = sampler.sample(frozenset())
    assert {d.name: d.scheduler for d in first.disks} == {
        name: info.scheduler for name, info in read_disks_info(fs, [d.name for d in first.disks]).items()
    }
    held = sampler._disk_files.held
    assert held > 0
    disk = next(d.name for d in first.disks if not d.is_partition)
    scheduler = Path(fs.sys("block", disk, "queue", "scheduler"))
    with open(scheduler, "w") as f:
        f.write("none [mq-deadline] kyber\n")
    now[0] = DISK_INFO_SECONDS - 1
    assert {d.name: d.scheduler for d in sampler.sample(frozenset()).disks}[disk] == "none"
    now[0] = DISK_INFO_SECONDS
    assert {d.name: d.scheduler for d in sampler.sample(frozenset()).disks}[disk] == "mq-deadline"
    assert sampler._disk_files.held == held  # read again through the same files
    # Every disk gone from /proc/diskstats: their settings' files are closed at the next read.
    Path(fs.proc("diskstats")).write_text("")
    assert sampler.sample(frozenset()).disks == ()
    assert sampler._disk_files.held == 0
    before = len(os.listdir("/proc/self/fd"))
    sampler.close()
    assert len(os.listdir("/proc/self/fd")) <= before
