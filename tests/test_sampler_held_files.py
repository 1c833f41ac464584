"""Files kept open between samples (``perftop.probes.fs.HeldFiles``) and rows reused for idle disks: what a
held file or a reused row gives must be what a fresh read gives, changes, removals and all."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perftop.probes.cpu import read_loadavg, read_pressure, read_stat, read_uptime
from perftop.probes.disks import DiskCounters, DiskInfo, disk_rates, parse_diskstats, read_diskstats
from perftop.probes.fs import FS, HeldFiles, read_text
from perftop.probes.memory import memory_snapshot, read_meminfo, read_thp, read_vmstat
from perftop.probes.net import InterfaceCounters, NetReading, net_snapshot, parse_net_dev, read_net_dev
from perftop.probes.numa import read_numa
from perftop.probes.sampler import Sampler
from testbed.fixture_tree import SteppingClock, make_tree, write_devices


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# --- HeldFiles on regular files ---------------------------------------------------------------------------


def test_a_file_rewritten_in_place_is_read_anew_through_the_same_descriptor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "loadavg"
    path.write_text("0.10 0.20 0.30 1/99 1234\n")
    files = HeldFiles()
    assert files.read_text(str(path)) == "0.10 0.20 0.30 1/99 1234\n"
    assert files.held == 1
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: opened.append(p) or real_open(p, *a, **k))
    with open(path, "w") as f:  # truncate and write: the same inode, as procfs changes under an open file
        f.write("2.50 1.00 0.75 3/120 4321\n")
    assert files.read_text(str(path)) == "2.50 1.00 0.75 3/120 4321\n"
    path.write_text("short\n")  # shorter than before: nothing of the old text is left
    assert files.read_text(str(path)) == "short\n"
    assert opened == []
    files.close()


def test_a_replaced_file_is_opened_again_and_a_removed_one_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "numastat"
    path.write_text("numa_hit 1\n")
    files = HeldFiles()
    assert files.read_text(str(path)) == "numa_hit 1\n"
    replacement = tmp_path / "numastat.new"
    replacement.write_text("numa_hit 2\n")
    replacement.rename(path)  # a new inode: the held descriptor still reads the old one
    assert files.read_text(str(path)) == "numa_hit 2\n"
    assert files.held == 1
    path.unlink()
    assert files.read_text(str(path)) is None
    assert files.held == 0  # the descriptor of the removed file was dropped
    path.write_text("numa_hit 3\n")
    assert files.read_text(str(path)) == "numa_hit 3\n"
    files.close()


def test_an_emptied_then_replaced_file_is_not_read_through_the_old_descriptor(tmp_path: Path) -> None:
    path = tmp_path / "hostname"
    path.write_text("")
    files = HeldFiles()
    assert files.read_text(str(path)) == ""
    new = tmp_path / "hostname.new"
    new.write_text("box\n")
    new.rename(path)
    assert files.read_text(str(path)) == "box\n"
    files.close()


def test_missing_unreadable_and_odd_paths_give_none_and_hold_nothing(tmp_path: Path) -> None:
    files = HeldFiles()
    assert files.read_text(str(tmp_path / "absent")) is None
    assert files.read_text(str(tmp_path)) is None  # a directory opens, but reading it fails
    assert files.read_text(str(tmp_path / "a\0b")) is None
    assert files.held == 0


@pytest.mark.parametrize("size", [0, 1, 8191, 8192, 8193, 3 * 8192 + 17, (1 << 20) + 5])
def test_files_of_any_length_are_read_whole_every_time(tmp_path: Path, size: int) -> None:
    data = bytes((i * 7 + i // 251) % 256 for i in range(size))
    path = tmp_path / "big"
    path.write_bytes(data)
    files = HeldFiles()
    assert files.read_bytes(str(path)) == data
    assert files.read_bytes(str(path)) == data  # the second read uses the grown read size
    with open(path, "wb") as f:
        f.write(data[: size // 2] + b"!")
    assert files.read_bytes(str(path)) == data[: size // 2] + b"!"
    files.close()


def test_sweep_closes_the_files_not_read_since_the_last_sweep_and_close_closes_all(tmp_path: Path) -> None:
    for name in "abc":
        (tmp_path / name).write_text(name)
    before = open_fds()
    files = HeldFiles()
    for name in "abc":
        files.read_text(str(tmp_path / name))
    assert (files.held, open_fds()) == (3, before + 3)
    files.sweep()  # all three were read since the start
    assert files.held == 3
    files.read_text(str(tmp_path / "a"))
    files.sweep()
    assert (files.held, open_fds()) == (1, before + 1)
    files.close()
    files.close()
    assert (files.held, open_fds()) == (0, before)
    assert files.read_text(str(tmp_path / "b")) == "b"  # a later read opens it again
    files.close()


# --- HeldFiles on procfs ----------------------------------------------------------------------------------


@pytest.mark.live
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs a Linux /proc")
def test_procfs_files_read_through_a_held_descriptor_as_a_fresh_open_reads_them() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        time.sleep(0.05)
        files = HeldFiles()
        for name in ("stat", "status", "cmdline"):
            path = f"/proc/{child.pid}/{name}"
            assert files.read_text(path) == read_text(path)
            assert files.read_text(path) == read_text(path)  # again, through the held descriptor
        # A multi-record file longer than one kernel buffer (a page) comes whole.
        maps = f"/proc/{child.pid}/smaps"
        assert len(read_text(maps) or "") > 4096
        assert files.read_text(maps) == read_text(maps)
        assert files.read_text(maps) == read_text(maps)
        # A counter that moves is seen moving through the held descriptor.
        first = float((files.read_text("/proc/uptime") or "").split()[0])
        time.sleep(0.05)
        assert float((files.read_text("/proc/uptime") or "").split()[0]) > first
        child.kill()
        child.wait()
        # The process is gone: its held files fail (ESRCH), are dropped, and read as None.
        for name in ("stat", "status", "cmdline", "smaps"):
            assert files.read_text(f"/proc/{child.pid}/{name}") is None
        assert files.held == 1  # only /proc/uptime
        files.close()
    finally:
        child.kill()
        child.wait()


# --- the sampler holds its system files -------------------------------------------------------------------


def test_sampler_sees_every_system_file_change_and_survives_removals(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=4, processes=6, tick=0)
    write_devices(tmp_path, cpus=4, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample(frozenset())
    first = sampler.sample(frozenset())
    held = sampler._files.held
    assert held >= 15  # stat, meminfo, loadavg, pressure x3, node files, diskstats, net files, ...
    make_tree(tmp_path, cpus=4, processes=6, tick=1)  # rewritten in place, as procfs changes
    write_devices(tmp_path, cpus=4, tick=1)
    Path(fs.proc("sys", "kernel", "hostname")).write_text("renamed\n")
    second = sampler.sample(frozenset())
    # Every value equals a fresh read of the files now, and differs from the first sample's.
    stat = read_stat(fs)
    assert stat is not None
    assert second.cpu.context_switches == stat.context_switches != first.cpu.context_switches
    fresh = memory_snapshot(read_meminfo(fs), full=True, thp=read_thp(fs), vmstat=read_vmstat(fs))
    counters = {k: v for k, v in asdict(second.memory).items() if not k.endswith(("_per_s", "_percent"))}
    assert counters == {k: v for k, v in asdict(fresh).items() if not k.endswith(("_per_s", "_percent"))}
    assert second.memory.pgfault is not None and second.memory.pgfault != first.memory.pgfault
    assert second.cpu.loadavg == read_loadavg(fs)
    assert second.cpu.pressure == read_pressure(fs) != first.cpu.pressure
    assert second.uptime_seconds == read_uptime(fs) != first.uptime_seconds
    assert second.hostname == "renamed" != first.hostname
    numa = [n.counters.numa_hit if n.counters else None for n in read_numa(fs).nodes]
    assert [n.numa_hit for n in second.numa.nodes] == numa != [n.numa_hit for n in first.numa.nodes]
    disks = {name: c.reads_completed for name, c in (read_diskstats(fs) or {}).items()}
    assert {d.name: d.reads_completed for d in second.disks} == disks
    assert disks != {d.name: d.reads_completed for d in first.disks}
    net = {name: c.rx_bytes for name, c in (read_net_dev(fs) or {}).items()}
    assert {i.name: i.rx_bytes for i in second.net.interfaces} == net
    assert net != {i.name: i.rx_bytes for i in first.net.interfaces}

    # A NUMA node that goes away and a diskstats that vanishes: no exception, their files are dropped.
    shutil.rmtree(fs.sys("devices", "system", "node", "node1"))
    os.unlink(fs.proc("diskstats"))
    third = sampler.sample(frozenset())
    assert [n.node for n in third.numa.nodes] == [0]
    assert third.disks == ()
    assert sampler._files.held == held - 5  # node1's cpulist, meminfo, numastat, distance; diskstats
    sampler.close()
    assert sampler._files.held == 0


def test_sampler_on_its_own_proc_takes_the_hostname_from_uname() -> None:
    # The same name /proc/sys/kernel/hostname gives (this UTS namespace's), without holding that file.
    sampler = Sampler(FS(), clock=SteppingClock())
    try:
        snapshot = sampler.sample(frozenset())
        assert snapshot.hostname == Path("/proc/sys/kernel/hostname").read_text().strip()
        assert "/proc/sys/kernel/hostname" not in sampler._files._files
    finally:
        sampler.close()


def test_sampler_close_leaves_no_descriptor_open(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=4)
    write_devices(tmp_path, cpus=2, tick=0)
    before = open_fds()
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample(frozenset())
    assert open_fds() > before
    sampler.close()
    assert open_fds() == before


# --- idle disks: reused counters and rows -----------------------------------------------------------------

SDA = "   8       0 sda 1001 22 30003 404 5005 66 70007 808 3 9009 10010 1 2 3 4 5 6"
SDB = "   8      16 sdb 1 2 3 4 5 6 7 8 0 10 11"
SDA1 = "   8       1 sda1 100 200 300 400"


_counter = st.one_of(st.none(), st.integers(0, 50))


@st.composite
def disk_samples(draw: st.DrawFn) -> list[tuple[dict[str, DiskCounters], float | None]]:
    """A few samples of two devices, each sample changing some counters (or none: an idle interval),
    sometimes backwards, sometimes with no elapsed time."""
    samples = []
    values = {name: [draw(st.integers(0, 1000)) for _ in range(17)] for name in ("sda", "zram0")}
    for _ in range(draw(st.integers(2, 6))):
        disks = {}
        for name, numbers in values.items():
            if draw(st.booleans()):
                i = draw(st.integers(0, 16))
                numbers[i] = max(0, numbers[i] + draw(st.integers(-3, 40)))
            layout = 14 if name == "zram0" else 20
            counters = numbers[: layout - 3] + [None] * (20 - layout)
            disks[name] = DiskCounters(8, 0 if name == "sda" else 16, name, *counters)
        samples.append((disks, draw(st.sampled_from([1.0, 0.5, 2.0, None]))))
    return samples


@pytest.mark.slow
@given(disk_samples())
@settings(max_examples=200, deadline=None)
def test_reused_idle_rows_equal_rows_computed_anew(samples: list) -> None:
    info = {"sda": DiskInfo("none", ("none",), False, 128, 64, False)}
    idle: dict = {}
    lines: dict = {}
    prev_plain = prev_reused = None
    for disks, elapsed in samples:
        text = "\n".join(
            f"8 {c.minor} {c.name} " + " ".join(str(v) for v in (c.reads_completed, *_tail(c)))
            for c in disks.values()
        )
        plain = parse_diskstats(text)
        reused = parse_diskstats(text, lines)
        assert reused == plain
        assert disk_rates(prev_reused, reused, elapsed, info, idle) == disk_rates(
            prev_plain, plain, elapsed, info
        )
        assert set(idle) <= set(reused)
        prev_plain, prev_reused = plain, reused


def _tail(c: DiskCounters) -> list[int]:
    """The counters after reads_completed as a diskstats line writes them (its layout's length)."""
    values = [
        c.reads_merged, c.read_sectors, c.read_time_ms, c.writes_completed, c.writes_merged,
        c.written_sectors, c.write_time_ms, c.in_flight, c.io_time_ms, c.weighted_io_time_ms,
        c.discards_completed, c.discards_merged, c.discarded_sectors, c.discard_time_ms,
        c.flushes_completed, c.flush_time_ms,
    ]  # fmt: skip
    return [v for v in values if v is not None]


def test_an_idle_disk_gets_the_very_row_of_the_last_sample_and_zero_rates(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=2, processes=4)
    write_devices(tmp_path, cpus=2, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample(frozenset())
    second = {d.name: d for d in sampler.sample(frozenset()).disks}
    third = {d.name: d for d in sampler.sample(frozenset()).disks}  # nothing changed: every disk idle
    assert third.keys() == second.keys() and third
    for name, row in third.items():
        assert row is second[name]
        assert row.r_per_s == 0.0 and row.util_percent == 0.0
    make_tree(tmp_path, cpus=2, processes=4, tick=1)
    write_devices(tmp_path, cpus=2, tick=1)
    fourth = {d.name: d for d in sampler.sample(frozenset()).disks}
    busy = [name for name, row in fourth.items() if row.r_per_s]
    assert busy and all(fourth[name] is not third[name] for name in busy)
    sampler.close()


# --- line memos: an unchanged line of diskstats or net/dev is not split again ---------------------------


def _lines_of(text: str) -> set[str]:
    return set(text.splitlines())


def test_diskstats_line_memo_reuses_unchanged_lines_only_and_holds_only_the_last_lines() -> None:
    lines: dict[str, DiskCounters] = {}
    text = "\n".join([SDA, SDB, SDA1, "garbled line", "   8 32 sdc 1 2"])
    first = parse_diskstats(text, lines)
    assert first == parse_diskstats(text)
    assert set(lines) == {SDA, SDB, SDA1}  # the well-formed lines only
    changed_sdb = SDB.replace(" 1 2 3 ", " 7 2 3 ")
    sdd = "   8      48 sdd 5 0 5 0 0 0 0 0 0 1 1"
    text2 = "\n".join([SDA, changed_sdb, sdd])  # sdb changed, sda1 gone, sdd new
    second = parse_diskstats(text2, lines)
    assert second == parse_diskstats(text2)
    assert second["sda"] is first["sda"]
    assert second["sdb"] is not first["sdb"] and second["sdb"].reads_completed == 7
    assert set(lines) == {SDA, changed_sdb, sdd}  # sda1's and the old sdb's lines are dropped
    # A name seen twice keeps its first line, memo or not.
    twice = "\n".join([SDA, SDA.replace(" 1001 ", " 2002 ")])
    assert parse_diskstats(twice, lines)["sda"].reads_completed == 1001


def test_net_dev_line_memo_reuses_unchanged_lines_only_and_holds_only_the_last_lines() -> None:
    header = "Inter-|   Receive\n face |bytes    packets"
    lo = "    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0"
    eth0 = "  eth0: 5000 40 0 0 0 0 0 0 3000 30 0 0 0 0 0 0"
    lines: dict[str, InterfaceCounters] = {}
    text = "\n".join([header, lo, eth0, "  bad0: 1 2 x"])
    first = parse_net_dev(text, lines)
    assert first == parse_net_dev(text)
    assert set(lines) == {lo, eth0}
    eth0_moved = eth0.replace("5000 40", "5600 44")
    wlan0 = " wlan0: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0"
    second = parse_net_dev("\n".join([header, eth0_moved, wlan0]), lines)
    assert second == parse_net_dev("\n".join([header, eth0_moved, wlan0]))
    assert "lo" not in second
    assert second["eth0"] is not first["eth0"] and second["eth0"].rx_bytes == 5600
    assert set(lines) == {eth0_moved, wlan0}
    third = parse_net_dev("\n".join([header, lo, eth0_moved, wlan0]), lines)
    assert third["eth0"] is second["eth0"] and third["wlan0"] is second["wlan0"]
    assert third["lo"] == first["lo"]


@st.composite
def net_dev_texts(draw: st.DrawFn) -> list[tuple[str, float | None]]:
    """A few ``/proc/net/dev`` texts of up to three interfaces, each sample moving some counters (or none),
    sometimes backwards, an interface sometimes absent, sometimes no elapsed time."""
    values = {name: [draw(st.integers(0, 1000)) for _ in range(16)] for name in ("lo", "eth0", "wg0")}
    samples = []
    for _ in range(draw(st.integers(2, 7))):
        lines = []
        for name, numbers in values.items():
            if draw(st.booleans()):
                i = draw(st.integers(0, 15))
                numbers[i] = max(0, numbers[i] + draw(st.integers(-3, 40)))
            if draw(st.integers(0, 5)):  # mostly present
                lines.append(f"{name:>6}: " + " ".join(map(str, numbers)))
        samples.append(("\n".join(lines), draw(st.sampled_from([1.0, 0.5, None, 0.0]))))
    return samples


def _net(interfaces: dict[str, InterfaceCounters]) -> NetReading:
    return NetReading(interfaces, None, None, None, None)


@pytest.mark.slow
@given(net_dev_texts())
@settings(max_examples=200, deadline=None)
def test_memoized_net_dev_lines_and_idle_rows_equal_a_plain_parse_and_rows_computed_anew(
    samples: list,
) -> None:
    lines: dict[str, InterfaceCounters] = {}
    idle: dict = {}
    prev_plain = prev_memo = None
    for text, elapsed in samples:
        plain = _net(parse_net_dev(text))
        memo = _net(parse_net_dev(text, lines))
        assert memo == plain
        assert net_snapshot(prev_memo, memo, elapsed, idle) == net_snapshot(prev_plain, plain, elapsed)
        assert set(idle) <= set(memo.interfaces or {})
        prev_plain, prev_memo = plain, memo


def test_an_idle_interface_gets_the_very_row_of_the_last_snapshot() -> None:
    lo = "    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0"
    eth0 = "  eth0: 5000 40 0 0 0 0 0 0 3000 30 0 0 0 0 0 0"
    lines: dict[str, InterfaceCounters] = {}
    idle: dict = {}
    first = _net(parse_net_dev(f"{lo}\n{eth0}", lines))
    second = _net(parse_net_dev(f"{lo}\n{eth0}", lines))
    third = _net(parse_net_dev(f"{lo}\n{eth0.replace('5000 40', '5100 41')}", lines))
    rows2 = {row.name: row for row in net_snapshot(first, second, 1.0, idle).interfaces}
    rows3 = {row.name: row for row in net_snapshot(second, third, 1.0, idle).interfaces}
    assert rows3["lo"] is rows2["lo"] and rows3["lo"].rx_bytes_per_s == 0.0
    assert rows3["eth0"] is not rows2["eth0"] and rows3["eth0"].rx_bytes_per_s == 100.0
    assert set(idle) == {"lo"}  # eth0 moved: its memo is dropped
    fourth = _net(parse_net_dev(eth0, lines))  # lo gone
    net_snapshot(third, fourth, 1.0, idle)
    assert set(idle) == set()
    # A memo kept from other readings: an idle lo with other counters gets a row of its own counters.
    other = _net(parse_net_dev(lo.replace(" 100 2 ", " 900 9 "), None))
    stale = _net(parse_net_dev(lo, None))
    idle = {}
    net_snapshot(stale, stale, 1.0, idle)
    (row,) = net_snapshot(other, other, 1.0, idle).interfaces
    assert row.rx_bytes == 900


def test_sampler_sees_a_changed_disk_and_interface_line(tmp_path: Path) -> None:
    """Through the sampler's memos: a line that changed gives its new counters, an unchanged one the same
    row as before."""
    fs = make_tree(tmp_path, cpus=2, processes=4)
    write_devices(tmp_path, cpus=2, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample(frozenset())
    before = sampler.sample(frozenset())
    diskstats = tmp_path / "proc" / "diskstats"
    net_dev = tmp_path / "proc" / "net" / "dev"
    first_disk = before.disks[0]
    first_nic = before.net.interfaces[0]
    disk_text = diskstats.read_text().splitlines()
    columns = disk_text[0].split()
    columns[3] = str(int(columns[3]) + 10)  # reads completed
    diskstats.write_text("\n".join([" ".join(columns), *disk_text[1:]]) + "\n")
    dev_text = net_dev.read_text().splitlines()
    index = next(i for i, line in enumerate(dev_text) if line.strip().startswith(first_nic.name + ":"))
    name, _, rest = dev_text[index].partition(":")
    numbers = rest.split()
    numbers[0] = str(int(numbers[0]) + 500)  # rx bytes
    dev_text[index] = f"{name}: {' '.join(numbers)}"
    net_dev.write_text("\n".join(dev_text) + "\n")
    after = sampler.sample(frozenset())
    disk = next(d for d in after.disks if d.name == first_disk.name)
    assert disk.reads_completed == first_disk.reads_completed + 10 and disk.r_per_s == 10.0
    nic = next(n for n in after.net.interfaces if n.name == first_nic.name)
    assert nic.rx_bytes == first_nic.rx_bytes + 500 and nic.rx_bytes_per_s == 500.0
    assert all(d is b for d, b in zip(after.disks[1:], before.disks[1:], strict=True))
    others = [
        (n, b) for n, b in zip(after.net.interfaces, before.net.interfaces, strict=True) if n is not nic
    ]
    assert others and all(n is b for n, b in others)
    sampler.close()
