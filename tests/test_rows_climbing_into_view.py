"""A process that becomes busy climbs from far below into view in one refresh: its AFFINITY, VCSW/s,
NVCSW/s and IO columns are read with that very sample, since ``status`` and ``io`` are read for every
process that ran, not only for the rows that were near the screen."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.processes import ProcessScanner, cpu_ticks_of
from perftop.probes.snapshot import ProcessInfo
from perftop.tui.app import STATUS_MARGIN_ROWS
from testbed.demo import DemoMachine
from testbed.fixture_tree import FakeProcess, make_tree

#: Idle until it climbs: no CPU time at all before.
WAKING = FakeProcess(9000, "waking", cmdline=("waking",), affinity=(1,), start_time=2_000_000, vcsw_rate=7)
#: Ran a little before it climbs (1% of a core, among the hundreds of processes that do).
GROWING = FakeProcess(
    9001, "growing", cmdline=("growing",), affinity=(2, 3), start_time=2_000_000, utime_rate=1
)


def write_io(machine: DemoMachine, pids: tuple[int, ...]) -> None:
    """``/proc/PID/io`` of ``pids``: PID x has read x KiB and written 2x KiB per tick."""
    for pid in pids:
        done = machine.tick * pid * 1024
        (machine.root / "proc" / str(pid) / "io").write_text(f"read_bytes: {done}\nwrite_bytes: {2 * done}\n")


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[DemoMachine]:
    """A demo machine of 300 processes; the files its sampler holds are closed after the test."""
    machine = DemoMachine(tmp_path, processes=300)
    yield machine
    machine.sampler.close()


@pytest.mark.slow
async def test_a_process_climbing_into_view_shows_its_status_and_io_columns_at_once(
    machine: DemoMachine,
) -> None:
    machine.extra = [WAKING, GROWING]
    app = machine.app()
    async with app.run_test(size=(160, 24)) as pilot:
        table = app.table
        table.toggle_column("io_read")
        for _ in range(3):
            await machine.drive(app, 1)
            write_io(machine, (WAKING.pid, GROWING.pid))
        await pilot.pause()
        near = table.visible_pids(margin=STATUS_MARGIN_ROWS)
        assert WAKING.pid not in near and GROWING.pid not in near  # far below

        machine.extra = [replace(WAKING, utime_rate=90), replace(GROWING, utime_rate=90)]
        await machine.drive(app, 1)
        write_io(machine, (WAKING.pid, GROWING.pid))
        await pilot.pause()
        on_screen = table.visible_pids()
        assert {WAKING.pid, GROWING.pid} <= on_screen  # climbed in one refresh
        rows: dict[int, ProcessInfo] = {p.pid: p for p in table.rows()}
        waking, growing = rows[WAKING.pid], rows[GROWING.pid]
        assert waking.affinity == (1,) and growing.affinity == (2, 3)
        # A rate needs the counter at the last sample too: read then, as the process ran then.
        assert (
            growing.voluntary_ctxt_switches_per_s == 1.0 and growing.nonvoluntary_ctxt_switches_per_s == 0.0
        )
        assert growing.io_read_bytes_per_s == GROWING.pid * 1024
        # One that did not run at all before has none at its first busy sample; the next one has them.
        assert waking.voluntary_ctxt_switches is not None and waking.voluntary_ctxt_switches_per_s is None
        header, *lines = (table.render_line(y).text.split() for y in range(24))
        cells = dict(
            zip(header, next(line for line in lines if line[:1] == [str(GROWING.pid)]), strict=False)
        )
        assert [cells[title] for title in ("AFFINITY", "VCSW/s", "NVCSW/s", "IO_R/s")] == [
            "2-3",
            "1.0",
            "0.0",
            "8.8M",
        ]

        await machine.drive(app, 1)
        waking = next(p for p in table.rows() if p.pid == WAKING.pid)
        assert waking.voluntary_ctxt_switches_per_s == 7.0 and waking.io_read_bytes_per_s == WAKING.pid * 1024


def test_the_scanner_reads_status_and_io_of_the_processes_that_ran(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=40)
    scanner = ProcessScanner(fs)
    try:
        _scans_read_what_ran(tmp_path, fs, scanner)
    finally:
        scanner.close()


def _scans_read_what_ran(tmp_path: Path, fs: FS, scanner: ProcessScanner) -> None:
    first = scanner.scan((), ran=True)
    assert all(raw.status is None for raw in first.values())  # the first scan: nothing ran since one
    newcomer = FakeProcess(9100, "new", cmdline=("new",), start_time=2_000_000)
    make_tree(tmp_path, processes=40, tick=1, extra=[newcomer])
    for pid in (1, 402, 655, newcomer.pid):
        Path(fs.proc(pid, "io")).write_text("read_bytes: 1\nwrite_bytes: 2\n")
    second = scanner.scan({655}, ran=True)
    ran = {pid for pid, raw in first.items() if cpu_ticks_of(raw.stat) != cpu_ticks_of(second[pid].stat)}
    assert 0 < len(ran) < len(first) and 655 not in ran  # (sd-pam) never runs
    assert {pid for pid, raw in second.items() if raw.status is not None} == ran | {655, newcomer.pid}
    assert {pid for pid, raw in second.items() if raw.io is not None} == ({1, 402} & ran) | {
        655,
        newcomer.pid,
    }
    make_tree(tmp_path, processes=40, tick=2, extra=[newcomer])
    third = scanner.scan({655}, io_pids=(), ran=True)  # io not wanted at all: not for those that ran either
    assert all(raw.io is None for raw in third.values())
    assert {pid for pid, raw in third.items() if raw.status is not None} == ran | {655}
