"""The optional process-table columns in the App: F2 chooses them, REMOTE% reads ``numa_maps`` for the rows
on screen, IO_R/s and IO_W/s sort the process doing the IO to the top (fixture machine and the real one)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Collection
from pathlib import Path

import pytest
from textual.widgets import OptionList

from perftop.probes.fs import FS
from perftop.probes.processes import parse_pid_io
from perftop.probes.sampler import Sampler
from perftop.tui.app import STATUS_MARGIN_ROWS, AppOptions, PerftopApp
from perftop.tui.screens import HelpScreen, PickerScreen
from testbed.demo import DemoMachine


def header(app: PerftopApp) -> list[str]:
    return app.table.render_line(0).text.split()


def picker_lines(app: PerftopApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def write_io(machine: DemoMachine, *, skip: Collection[int] = ()) -> None:
    """A ``/proc/PID/io`` for every process but ``skip``: PID x reads x KiB and writes 2x KiB per tick."""
    proc = machine.root / "proc"
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        path = entry / "io"
        if pid in skip:
            path.unlink(missing_ok=True)
            continue
        done = machine.tick * pid * 1024
        path.write_text(
            f"rchar: {done * 4}\nwchar: {done * 5}\nsyscr: 1\nsyscw: 1\n"
            f"read_bytes: {done}\nwrite_bytes: {2 * done}\ncancelled_write_bytes: 0\n"
        )


def write_numa_maps(machine: DemoMachine, node0_pages: int, node1_pages: int) -> None:
    for entry in (machine.root / "proc").iterdir():
        if entry.name.isdigit():
            (entry / "numa_maps").write_text(
                f"5600 default heap anon=9 dirty=9 N0={node0_pages} N1={node1_pages} kernelpagesize_kB=4\n"
            )


@pytest.mark.slow
async def test_f2_toggles_optional_columns_into_the_header(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(200, 40)) as pilot:
        await machine.drive(app, 1)
        await pilot.pause()
        assert "NODE" in header(app)
        assert not {"REMOTE%", "IO_R/s", "IO_W/s"} & set(header(app))
        await pilot.press("f2")
        assert isinstance(app.screen, PickerScreen)
        lines = picker_lines(app)
        assert [line.split()[:3] for line in lines] == [
            ["[", "]", "REMOTE%"],
            ["[", "]", "IO_R/s"],
            ["[", "]", "IO_W/s"],
            ["[", "]", "OOM_SCORE"],
            ["[", "]", "OOM_ADJ"],
            ["[", "]", "CGROUP"],
            ["[", "]", "CONTAINER"],
            ["[", "]", "RUN-DELAY/s"],
            ["[", "]", "THROTTLED%"],
        ]
        assert lines == [
            "[ ] REMOTE%  resident memory on nodes other than NODE"
            " (numa_maps of the rows on screen, every 5 s)",
            "[ ] IO_R/s   bytes per second read from storage, children it reaped included"
            " (/proc/PID/io read_bytes)",
            "[ ] IO_W/s   bytes per second written to storage, children it reaped included"
            " (/proc/PID/io write_bytes)",
            "[ ] OOM_SCORE the kernel's OOM badness, 0-2000: the highest is killed first when memory runs out"
            " (/proc/PID/oom_score of the rows on screen)",
            "[ ] OOM_ADJ  oom_score_adj, -1000 (never killed) to 1000, as the o key sets it"
            " (/proc/PID/oom_score_adj of the rows on screen)",
            "[ ] CGROUP   last component of the process's cgroup path (F4 matches the whole path)"
            " (/proc/PID/cgroup of the rows on screen)",
            "[ ] CONTAINER Docker, containerd/Kubernetes, CRI-O, Podman or LXC container (short ID), or "
            "systemd unit (/proc/PID/cgroup of the rows on screen)",
            "[ ] RUN-DELAY/s milliseconds a second spent waiting for a CPU on a run queue (atop's RDELAY)"
            " (/proc/PID/schedstat of the rows on screen)",
            "[ ] THROTTLED% share of its cgroup's CPU quota periods that were throttled (nr_throttled /"
            " nr_periods) (cpu.stat of the rows' cgroups, each once a refresh)",
        ]
        await pilot.press("enter")  # the first line: REMOTE%
        assert not isinstance(app.screen, PickerScreen)
        assert "REMOTE%" in header(app)
        await pilot.press("f2")
        assert picker_lines(app)[0].startswith("[x] REMOTE%")
        assert picker_lines(app)[1].startswith("[ ] IO_R/s")
        await pilot.press("down", "enter")
        assert "IO_R/s" in header(app) and "REMOTE%" in header(app)
        assert app.table.shown_optional == {"remote", "io_read"}
        await pilot.press("f2", "escape")  # Esc changes nothing
        assert app.table.shown_optional == {"remote", "io_read"}
        await pilot.press("f2", "enter")
        assert "REMOTE%" not in header(app) and "IO_R/s" in header(app)
        assert "F2" in str(app.query_one("#status").render())


@pytest.mark.slow
async def test_remote_percent_is_read_for_the_rows_on_screen(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path, processes=300)
    app = machine.app()
    async with app.run_test(size=(200, 30)) as pilot:
        write_numa_maps(machine, 3, 6)  # a third on node 0, two thirds on node 1
        await machine.drive(app, 1)
        await pilot.pause()
        assert all(p.remote_percent is None for p in app.table.rows())  # not shown: never read
        app.table.toggle_column("remote")
        await machine.drive(app, 1)
        await pilot.pause()
        on_screen = app.table.visible_pids()
        assert 0 < len(on_screen) < 100
        for p in app.table.rows():
            if p.pid not in on_screen:
                assert p.remote_percent is None
            elif p.node is not None:
                expected = 200 / 3 if p.node == 0 else 100 / 3
                assert p.remote_percent == pytest.approx(expected), p
        line = app.table.render_line(1).text
        assert "66.7" in line or "33.3" in line


@pytest.mark.slow
async def test_sorting_by_io_reads_io_for_every_process(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path, processes=300)
    app = machine.app()
    async with app.run_test(size=(160, 24)) as pilot:
        write_io(machine)
        await machine.drive(app, 1)
        await pilot.pause()
        table = app.table
        assert all(p.io_read_bytes is None for p in table.rows())  # no IO column shown: not read
        assert any(p.voluntary_ctxt_switches is not None for p in table.rows())  # status is
        table.toggle_column("io_write")
        machine.advance()
        write_io(machine)
        near = table.visible_pids(margin=STATUS_MARGIN_ROWS)
        await app.sample_now()
        read = {p.pid for p in table.rows() if p.io_read_bytes is not None}
        ran = {p.pid for p in table.rows() if p.cpu_percent}
        # io goes with status: only the rows near the screen and those that ran, not every process.
        assert read and read <= near | ran and len(read) < len(table.rows())
        table.toggle_column("io_write")
        assert not table.needs_status_for_all()
        await pilot.press("f6")
        choices = [line.split()[0] for line in picker_lines(app)]
        assert (
            "IO_R/s" in choices
            and "(reads status for all: costs more)" in picker_lines(app)[choices.index("IO_R/s")]
        )
        await pilot.press("home", *(["down"] * choices.index("IO_R/s")), "enter")
        assert table.sort_key == "io_read" and table.needs_status_for_all()
        assert "IO_R/s▼" in header(app)
        unreadable = {p.pid for p in table.rows()[::7]}
        for _ in range(2):  # the first sample gives every row its counters, the second its rates
            machine.advance()
            write_io(machine, skip=unreadable)
            await app.sample_now()
        await pilot.pause()
        rows = table.rows()
        assert len(rows) == 300
        for p in rows:
            if p.pid in unreadable:
                assert p.io_read_bytes is None and p.io_read_bytes_per_s is None
            else:
                assert p.io_read_bytes == machine.tick * p.pid * 1024
                assert p.io_read_bytes_per_s == p.pid * 1024  # one fake second per tick
        rates = [p.io_read_bytes_per_s for p in rows if p.io_read_bytes_per_s is not None]
        assert rates == sorted(rates, reverse=True)
        assert rows[: len(rates)] == [p for p in rows if p.io_read_bytes_per_s is not None]  # unknown last
        assert rows[0].pid == max(p.pid for p in rows if p.pid not in unreadable)


@pytest.mark.slow
async def test_d_sorts_by_io_writes_then_reads(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(200, 40)) as pilot:
        write_io(machine)
        await machine.drive(app, 1)
        await pilot.press("D")
        assert app.table.sort_key == "io_write" and "IO_W/s▼" in header(app)
        assert "sort IO_W/s" in str(app.query_one("#status").render())
        await pilot.press("D")
        assert app.table.sort_key == "io_read" and "IO_R/s▼" in header(app)
        assert "IO_W/s" in header(app)  # sorting showed both
        await pilot.press("D")
        assert app.table.sort_key == "io_write"
        # < and > step through the columns on screen, the shown optional ones included.
        await pilot.press("less_than_sign")
        assert app.table.sort_key == "io_read"
        await pilot.press("f2", "down", "down", "enter")  # hide IO_W/s
        await pilot.press("greater_than_sign")
        assert app.table.sort_key == "state"


async def test_help_says_what_remote_sorting_leaves_out(tmp_path: Path) -> None:
    app = DemoMachine(tmp_path).app()
    async with app.run_test(size=(120, 60)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text
        assert "IO_R/s" in text and "IO_W/s" in text
        assert "orders only the rows that have a value" in text


async def test_help_and_f2_say_a_parent_io_includes_its_reaped_children(tmp_path: Path) -> None:
    app = DemoMachine(tmp_path).app()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.press("f2")
        io_lines = [line for line in picker_lines(app) if "IO_" in line]
        assert len(io_lines) == 2 and all("children it reaped included" in line for line in io_lines)
        await pilot.press("escape", "f1")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(app.screen.text.split())
        assert "IO_R/s and IO_W/s (F2) of a parent include the IO of the children it reaped" in text


@pytest.mark.live
def test_the_kernel_adds_a_reaped_childs_io_to_its_parent(tmp_path: Path) -> None:
    # What the help says, on this kernel: this process's own counters take in its child's writes.
    if not _tmp_holds_real_writes(str(tmp_path)):
        pytest.skip(f"{tmp_path} is on tmpfs or overlay: write_bytes stays 0 there")
    own_io = Path("/proc/self/io")
    if not own_io.exists():
        pytest.skip("the kernel has no per-process IO accounting (/proc/PID/io)")
    before = parse_pid_io(own_io.read_text()).write_bytes
    write = "import os, sys; f = open(sys.argv[1], 'wb'); f.write(os.urandom(4 << 20)); os.fsync(f.fileno())"
    subprocess.run([sys.executable, "-c", write, str(tmp_path / "w.bin")], check=True)  # run() reaps it
    after = parse_pid_io(own_io.read_text()).write_bytes
    assert before is not None and after is not None
    assert after - before >= 4 << 20


# The real machine: a child that writes and fsyncs sorts first by IO_W/s.

_WRITER = """
import os, sys, time
path = sys.argv[1]
block = os.urandom(4 << 20)
end = time.monotonic() + float(sys.argv[2])
with open(path, "wb") as f:
    while time.monotonic() < end:
        f.seek(0)
        f.write(block)
        f.flush()
        os.fsync(f.fileno())
        time.sleep(0.2)
"""

_IDLE = "import time; time.sleep(float(__import__('sys').argv[2]))"


def _tmp_holds_real_writes(path: str) -> bool:
    """False on tmpfs and overlay, where a process's io write_bytes stays 0."""
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return False
    best: tuple[int, str] = (-1, "")
    target = os.path.realpath(path)
    for line in mounts:
        left, _, right = line.partition(" - ")
        mount_point = left.split()[4]
        fs_type = right.split()[0] if right else ""
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) > best[0]:
            best = (len(mount_point), fs_type)
    return best[1] not in ("", "tmpfs", "overlay", "ramfs")


@pytest.mark.live
async def test_real_writer_sorts_first_by_io_writes() -> None:
    directory = tempfile.gettempdir()
    if not _tmp_holds_real_writes(directory):
        pytest.skip(f"{directory} is on tmpfs or overlay: write_bytes stays 0 there")
    if not Path("/proc/self/io").exists():
        pytest.skip("the kernel has no per-process IO accounting (/proc/PID/io)")
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        seconds = "6"
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, os.path.join(tmp, "w.bin"), seconds])
        idle = [subprocess.Popen([sys.executable, "-c", _IDLE, "x", seconds]) for _ in range(3)]
        children = [writer, *idle]
        try:
            await asyncio.sleep(0.3)  # let the writer get going
            app = PerftopApp(
                Sampler(FS()), AppOptions(autorefresh=False, pids=tuple(c.pid for c in children))
            )
            async with app.run_test(size=(160, 30)) as pilot:
                await app.sample_now()
                await pilot.press("f2", "home", "down", "down", "enter")  # show IO_W/s
                assert "IO_W/s" in header(app)
                await app.sample_now()  # io is read from now on: this sample is the rates' baseline
                await asyncio.sleep(0.5)
                await app.sample_now()
                await pilot.pause()
                rows = {p.pid: p for p in app.table.rows()}
                assert set(rows) == {c.pid for c in children}
                assert rows[writer.pid].io_write_bytes_per_s is not None
                assert rows[writer.pid].io_write_bytes_per_s > 0
                await pilot.press("D")
                assert app.table.sort_key == "io_write"
                assert app.table.rows()[0].pid == writer.pid
                assert all((rows[c.pid].io_write_bytes_per_s or 0) == 0 for c in idle)
                line = app.table.render_line(1).text
                assert line.split()[0] == str(writer.pid)
        finally:
            for child in children:
                child.kill()
                child.wait()
