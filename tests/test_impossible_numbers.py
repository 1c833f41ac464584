"""Numbers no kernel writes (a counter wider than 64 bits, past what a float holds; a negative count;
MemTotal 0; NaN) and a CPU's counters going backwards as a whole: each reads as unknown (null, ``-``),
never a crash or a made-up figure. Parsers first, then the sampler, ``--json`` and the App on a tree that
has them all."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widget import Widget

from perftop.probes.cpu import parse_loadavg, parse_pressure, parse_stat, parse_uptime
from perftop.probes.disks import parse_diskstats
from perftop.probes.fs import FS
from perftop.probes.kernel_numbers import U64_MAX
from perftop.probes.memory import memory_snapshot, parse_meminfo, parse_meminfo_used
from perftop.probes.net import parse_net_dev, parse_snmp, parse_socket_table, parse_sockstat, socket_owners
from perftop.probes.numa import parse_node_meminfo, parse_node_numastat, parse_numa_maps
from perftop.probes.processes import (
    RawProcess,
    parse_pid_io,
    parse_pid_stat,
    parse_pid_status,
    process_infos,
)
from perftop.probes.sampler import Sampler
from perftop.widgets.cpu_meters import CpuMeters, memory_face
from testbed.demo import DemoMachine
from testbed.fixture_tree import make_tree

ROOT = Path(__file__).resolve().parents[1]
#: Past what a float holds (about 1.8e308): dividing it as a float raises OverflowError.
HUGE = "1" + "0" * 400
#: One more than the widest counter the kernel writes.
WIDE = str(U64_MAX + 1)

# Fields 3..52 of a real /proc/PID/stat line: utime 150 (field 14), start time 98765 (22), rss 256 (24),
# rt_priority 50 (40), policy 1 (41), flags 4194560 (9).
REST = (
    "R 1 4242 4242 0 -1 4194560 10 0 0 0 150 50 0 0 -51 0 3 0 98765 1000000 256 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 50 1 0 0 0 0 0 0 0 0 0 0 0\n"
)


def with_field(number: int, value: str) -> str:
    """The stat line with field ``number`` (man 5 proc's numbering, from 1) set to ``value``."""
    fields = REST.split()
    fields[number - 3] = value
    return "4242 (worker) " + " ".join(fields) + "\n"


# --- /proc/PID/stat, status, io -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [HUGE, WIDE, "-4"])
def test_stat_fields_the_kernel_writes_unsigned_are_unknown_when_they_cannot_be(value: str) -> None:
    assert parse_pid_stat(with_field(24, value)).rss_pages is None
    assert parse_pid_stat(with_field(14, value)).utime is None
    assert parse_pid_stat(with_field(15, value)).stime is None
    assert parse_pid_stat(with_field(40, value)).rt_priority is None
    assert parse_pid_stat(with_field(41, value)).policy is None
    assert parse_pid_stat(with_field(9, value)).flags is None
    kept = parse_pid_stat(with_field(24, value))
    assert (kept.utime, kept.start_time, kept.policy, kept.nice) == (150, 98765, 1, 0)
    with pytest.raises(ValueError, match="garbled"):
        parse_pid_stat(with_field(22, value))  # the start time: the process's identity


def test_the_widest_counters_the_kernel_writes_are_kept() -> None:
    assert parse_pid_stat(with_field(24, str(U64_MAX))).rss_pages == U64_MAX
    assert parse_pid_stat(with_field(18, "-100")).priority == -100  # signed in the kernel: kept


def test_status_and_io_counts_that_cannot_be_are_unknown() -> None:
    status = parse_pid_status(
        f"Uid:\t0\t-1\t0\t0\nvoluntary_ctxt_switches:\t{HUGE}\nnonvoluntary_ctxt_switches:\t-3\n"
    )
    assert (status.uid, status.voluntary_ctxt_switches, status.nonvoluntary_ctxt_switches) == (
        None,
        None,
        None,
    )
    io = parse_pid_io(f"read_bytes: {WIDE}\nwrite_bytes: -1\n")
    assert (io.read_bytes, io.write_bytes) == (None, None)


def test_rows_with_unknown_fields_show_unknown_not_a_crash() -> None:
    prev = {4242: raw(with_field(14, "100"))}
    cur = {4242: raw(with_field(24, "-1").replace(" 150 50 ", f" {HUGE} 50 "))}
    (row,) = process_infos(prev, cur, 1.0, 100, 4096, 8 << 30)
    assert (row.rss_bytes, row.mem_percent, row.cpu_percent, row.cpu_time_seconds) == (None, None, None, None)
    (later,) = process_infos(cur, {4242: raw(with_field(14, "300"))}, 1.0, 100, 4096, 8 << 30)
    assert later.cpu_percent is None and later.cpu_time_seconds == pytest.approx(3.5)


def raw(stat_text: str) -> RawProcess:
    return RawProcess(parse_pid_stat(stat_text), None, 0, "root", "worker", False)


# --- /proc/stat, loadavg, pressure, uptime ------------------------------------------------------------


def test_cpu_lines_and_counters_that_cannot_be_are_left_out() -> None:
    stat = parse_stat(
        f"cpu  1 2 3 4\ncpu0 1 {HUGE} 3 4\ncpu1 1 2 3 4\nctxt {HUGE}\nprocesses -5\nintr {WIDE} 1\n"
    )
    assert stat.total is not None and list(stat.cpus) == [1]
    assert (stat.context_switches, stat.forks, stat.interrupts) == (None, None, None)


@pytest.mark.parametrize("value", ["nan", "inf", "-1.5", "1e999"])
def test_averages_that_cannot_be_are_unknown(value: str) -> None:
    assert parse_loadavg(f"{value} 0.5 0.25 1/100 42\n") is None
    assert parse_uptime(f"{value} 99.0\n") is None
    pressure = parse_pressure(f"some avg10={value} avg60=0 avg300=0 total={HUGE}\n")
    assert (pressure.some_avg10, pressure.some_total_us) == (None, None)


# --- /proc/meminfo and the NUMA nodes' files ----------------------------------------------------------


def test_mem_total_0_gives_unknown_total_and_used_not_a_negative_figure() -> None:
    meminfo = {"MemTotal": 0, "MemFree": 400 << 10, "MemAvailable": 500 << 10, "SwapTotal": 0, "SwapFree": 0}
    snap = memory_snapshot(meminfo)
    assert (snap.total_bytes, snap.used_bytes) == (None, None)
    assert (snap.free_bytes, snap.swap_used_bytes) == (400 << 10, 0)  # the rest as read
    assert memory_face(snap, 30, swap=False)[2] == "-/-"  # the Mem meter: unknown, not "-23639716K/0K"


def test_parts_larger_than_their_whole_give_unknown_used() -> None:
    snap = memory_snapshot(
        {"MemTotal": 1000, "MemFree": 2000, "MemAvailable": 3000, "SwapTotal": 10, "SwapFree": 20}
    )
    assert (snap.used_bytes, snap.swap_used_bytes) == (None, None)


def test_meminfo_numbers_wider_than_a_counter_are_garbled_lines() -> None:
    text = f"MemTotal: {HUGE} kB\nMemFree: {U64_MAX} kB\nBuffers: 12 kB\n"
    assert (
        parse_meminfo(text) == parse_meminfo_used(text) == {"MemFree": U64_MAX * 1024, "Buffers": 12 * 1024}
    )
    node = parse_node_meminfo(f"Node 0 MemTotal: {HUGE} kB\nNode 0 MemFree: 5 kB\n")
    assert (node.total_bytes, node.used_bytes, node.free_bytes) == (None, None, 5 * 1024)
    assert parse_node_meminfo("Node 0 MemTotal: 4 kB\nNode 0 MemFree: 5 kB\n").used_bytes is None
    maps = parse_numa_maps(f"7f00 default anon=3 N0={HUGE} N1=2 kernelpagesize_kB=4\n")
    assert maps == {1: 2 * 4096}
    counters = parse_node_numastat(f"numa_hit {HUGE}\nnuma_miss -1\nnuma_foreign 7\n")
    assert (counters.numa_hit, counters.numa_miss, counters.numa_foreign) == (None, None, 7)


# --- disks and network --------------------------------------------------------------------------------


def test_disk_and_interface_lines_with_counters_that_cannot_be_are_left_out() -> None:
    good = "   8       0 sda 1 2 3 4 5 6 7 8 0 10 11"
    assert list(parse_diskstats(f"{good}\n   8  16 sdb 1 2 {HUGE} 4 5 6 7 8 0 10 11\n")) == ["sda"]
    header = "Inter-|   Receive\n face |bytes\n"
    counters = " 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
    dev = f"{header}  eth0: 1{counters}  eth1: {HUGE}{counters}"
    assert list(parse_net_dev(dev)) == ["eth0"]
    snmp = parse_snmp(f"Tcp: ActiveOpens PassiveOpens RetransSegs\nTcp: {HUGE} -1 7\n")
    assert (snmp.tcp_active_opens, snmp.tcp_passive_opens, snmp.tcp_retrans_segs) == (None, None, 7)
    sockstat = parse_sockstat(f"sockets: used {HUGE}\nTCP: inuse 3 orphan -1 tw 0 alloc 4 mem 1\n")
    assert (sockstat.sockets_used, sockstat.tcp_inuse, sockstat.tcp_orphan) == (None, 3, None)


# --- a whole tree: sampler, --json, App ---------------------------------------------------------------


def _edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text()
    new = re.sub(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert new != text, (path, pattern)
    path.write_text(new)


def garble(fs_root: Path) -> None:
    """Write into the tree at ``fs_root`` every number that cannot be, as the next tick's files."""
    proc = fs_root / "proc"
    _edit(proc / "meminfo", r"^(MemTotal:\s+)\d+", r"\g<1>0")
    _edit(proc / "stat", r"^(ctxt )\d+", rf"\g<1>{HUGE}")
    _edit(proc / "loadavg", r"^\S+", "nan")
    _edit(proc / "1" / "stat", r"^(1 \(systemd\) S(?: \S+){20} )\d+", r"\g<1>-1")  # RSS -1 page
    _edit(proc / "402" / "stat", r"^(402 \(jackd\) S(?: \S+){10} )\d+", rf"\g<1>{HUGE}")  # utime
    _edit(proc / "517" / "status", r"^(voluntary_ctxt_switches:\s+)\d+", rf"\g<1>{HUGE}")
    _edit(proc / "diskstats", r"^(\s*\d+\s+\d+\s+\S+\s+)\d+", rf"\g<1>{HUGE}")
    _edit(proc / "net" / "dev", r"^(\s*\w+:\s*)\d+", rf"\g<1>{HUGE}")


def rewind_cpu0(fs_root: Path) -> None:
    """CPU 0's counters all go backwards (a reset, or another tree), the other CPUs' go on."""
    _edit(fs_root / "proc" / "stat", r"^cpu0 .*$", "cpu0 1 0 1 10 0 0 0 0 0 0")


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[DemoMachine]:
    """The demo machine; the files its sampler holds are closed after the test."""
    machine = DemoMachine(tmp_path)
    yield machine
    machine.sampler.close()


def test_the_sampler_on_a_garbled_tree(tmp_path: Path, machine: DemoMachine) -> None:
    machine.sampler.sample(None)
    machine.advance()
    garble(tmp_path)
    rewind_cpu0(tmp_path)
    snapshot = machine.sampler.sample(None)
    assert (snapshot.memory.total_bytes, snapshot.memory.used_bytes) == (None, None)
    assert snapshot.cpu.context_switches is None and snapshot.cpu.loadavg is None
    cpu0, cpu1 = snapshot.cpu.per_cpu[:2]
    assert cpu0.online and cpu0.user is None and cpu0.idle is None and cpu0.busy is None
    assert cpu1.busy is not None
    rows = {p.pid: p for p in snapshot.processes}
    assert rows[1].rss_bytes is None and rows[1].mem_percent is None
    assert rows[402].cpu_percent is None and rows[402].cpu_time_seconds is None
    assert rows[517].voluntary_ctxt_switches is None and rows[517].voluntary_ctxt_switches_per_s is None
    assert all(p.mem_percent is None for p in snapshot.processes)  # no MemTotal to divide by
    disks = [d.name for d in snapshot.disks]  # the garbled line left out, the others read
    assert "nvme0n1" not in disks and "nvme0n1p1" in disks
    interfaces = [i.name for i in snapshot.net.interfaces]
    assert "lo" not in interfaces and "eth0" in interfaces


@pytest.mark.live
def test_json_on_a_garbled_tree(tmp_path: Path, machine: DemoMachine) -> None:
    roots = ("--procfs", str(machine.fs.procfs), "--sysfs", str(machine.fs.sysfs))
    child = subprocess.Popen(
        [sys.executable, "-m", "perftop.tui.cli", *roots, "--json", "--count", "2", "--interval", "0.5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    first = json.loads(child.stdout.readline())  # the first snapshot is out: the next is 0.5 s away
    garble(tmp_path)
    rewind_cpu0(tmp_path)
    second = json.loads(child.stdout.readline())
    assert child.wait(timeout=30) == 0, child.stderr.read()
    assert first["memory"]["total_bytes"] > 0 and first["cpu"]["per_cpu"][0]["user"] is not None
    assert (second["memory"]["total_bytes"], second["memory"]["used_bytes"]) == (None, None)
    cpu0 = second["cpu"]["per_cpu"][0]
    assert cpu0["online"] is True and {cpu0[s] for s in ("user", "system", "idle", "iowait")} == {None}
    assert cpu0["seconds"]["user"] == pytest.approx(0.01)  # the counters as read
    assert second["cpu"]["context_switches"] is None and second["cpu"]["loadavg"] is None
    procs = {p["pid"]: p for p in second["processes"]}
    assert procs[1]["rss_bytes"] is None and procs[402]["cpu_time_seconds"] is None
    assert procs[517]["voluntary_ctxt_switches"] is None


def widget_lines(widget: Widget) -> list[str]:
    """What a line widget draws, one string per line."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_the_app_on_a_garbled_tree(tmp_path: Path, machine: DemoMachine) -> None:
    app = machine.app(pids=(1, 402, 517))
    async with app.run_test(size=(160, 30)) as pilot:
        await machine.drive(app, 1)
        machine.advance()
        garble(tmp_path)
        rewind_cpu0(tmp_path)
        await app.sample_now()
        await pilot.pause()
        meters = widget_lines(app.query_one(CpuMeters))
        table = widget_lines(app.table)
    mem = next(line for line in meters if line.startswith("Mem["))
    assert mem.split("]")[0].endswith("-/-")  # not "-23639716K/0K"
    cpu0 = next(line for line in meters if line.lstrip().startswith("0["))
    assert cpu0.split("]")[0].endswith("-")  # CPU 0's bar: unknown, not 100% idle
    header = table[0].split()
    rows = {int(line.split()[0]): line.split() for line in table[1:] if line.split()}
    rss, cpu, mem_column = header.index("RSS"), header.index("CPU%▼"), header.index("MEM%")
    assert rows[1][rss] == "-" and rows[1][mem_column] == "-"
    assert rows[402][cpu] == "-" and rows[517][cpu] != "-"


def test_names_with_digits_of_other_scripts_are_not_pids(tmp_path: Path) -> None:
    """``"²".isdigit()`` and ``"٣".isdigit()`` are true but no PID: a foreign tree holding such names (and
    a socket link in one) neither crashes the scanner nor the socket-owner scan."""
    make_tree(tmp_path, cpus=2, processes=10)
    fs = FS(procfs=tmp_path / "proc", sysfs=tmp_path / "sys")
    for name in ("²", "٣"):
        fd_dir = tmp_path / "proc" / name / "fd"
        fd_dir.mkdir(parents=True)
        (fd_dir / "3").symlink_to("socket:[777]")
        (tmp_path / "proc" / name / "stat").write_text("1 (x) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0")
    sampler = Sampler(fs)
    try:
        pids = {p.pid for p in sampler.sample().processes}
    finally:
        sampler.close()
    assert pids and all(isinstance(pid, int) for pid in pids)
    assert socket_owners(fs, {777}) == {}


SOCKET_HEADER = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
)
SOCKET_LINE = (
    "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1"
)


@pytest.mark.parametrize(
    ("field", "garbled"),
    [
        ("0100007F:0050", "0100007F:" + "1" * 5000),  # a port: the kernel writes 4 hex digits
        ("00000000:00000000", "F" * 40 + ":00000000"),  # a queue wider than 64 bits
        ("1234", "9" * 30),  # an inode wider than 64 bits
    ],
)
def test_socket_lines_with_numbers_no_kernel_writes_are_left_out(field: str, garbled: str) -> None:
    bad = SOCKET_LINE.replace(field, garbled, 1)
    assert bad != SOCKET_LINE
    entries = parse_socket_table(f"{SOCKET_HEADER}\n{SOCKET_LINE}\n{bad}\n", "tcp")
    assert [(e.local_port, e.inode) for e in entries] == [(80, 1234)]
