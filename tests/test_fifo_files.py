"""A FIFO or a device where a procfs or sysfs file should be (a fixture or a container's tree may hold
anything) reads as a missing file: no reader blocks on it, no reader reads it forever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from perftop.probes import fs as fs_module
from perftop.probes.fs import FS, HeldFiles, read_bytes, read_text
from perftop.probes.processes import ProcessScanner
from perftop.widgets.cpu_meters import CpuMeters
from testbed.demo import DemoMachine
from testbed.fixture_tree import make_tree

ROOT = Path(__file__).resolve().parents[1]
#: Seconds a reader may wait on a FIFO before the watchdog lets it go (and the test fails).
GRACE = 2.0


class Fifos:
    """Makes FIFOs, and a watchdog that releases any reader blocked opening or reading one after
    :data:`GRACE` seconds (by opening it for writing and closing it: the reader sees an end of file), so
    code that blocks fails its test rather than hanging it. ``blocked`` names the FIFOs it had to release."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.blocked: set[Path] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def make(self, path: Path) -> Path:
        """Replace ``path`` (if it is there) with a FIFO."""
        path.unlink(missing_ok=True)
        os.mkfifo(path)
        self.paths.append(path)
        return path

    def _watch(self) -> None:
        while not self._stop.wait(GRACE / 4):
            for path in list(self.paths):
                try:
                    # Succeeds only while a reader has it open: that reader is waiting on it.
                    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    continue
                if self._stop.wait(GRACE):
                    os.close(fd)
                    return
                self.blocked.add(path)
                os.close(fd)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def fifos() -> Iterator[Fifos]:
    watchdog = Fifos()
    yield watchdog
    watchdog.stop()


def test_plain_reads_of_a_fifo_or_a_device_give_none(tmp_path: Path, fifos: Fifos) -> None:
    fifo = fifos.make(tmp_path / "meminfo")
    (tmp_path / "zero").symlink_to("/dev/zero")
    start = time.monotonic()
    assert read_bytes(str(fifo)) is None
    assert read_text(str(tmp_path / "zero")) is None
    assert time.monotonic() - start < GRACE and not fifos.blocked


def test_held_files_give_none_for_a_fifo_even_in_place_of_a_held_file(tmp_path: Path, fifos: Fifos) -> None:
    held = HeldFiles()
    regular = tmp_path / "stat"
    regular.write_text("cpu  1 2 3 4\n")
    assert held.read_text(str(regular)) == "cpu  1 2 3 4\n"
    fifos.make(regular)  # replaced under the held descriptor
    assert held.read_text(str(regular)) is None
    assert held.read_text(str(fifos.make(tmp_path / "loadavg"))) is None
    assert held.held == 0 and not fifos.blocked
    held.close()


@pytest.mark.parametrize("budget", [None, 0], ids=["held", "over the descriptor budget"])
def test_process_files_that_are_fifos_read_as_missing(
    tmp_path: Path, fifos: Fifos, budget: int | None
) -> None:
    fs = make_tree(tmp_path, processes=25)
    fifos.make(Path(fs.proc(402, "stat")))
    fifos.make(Path(fs.proc(517, "status")))
    fifos.make(Path(fs.proc(517, "io")))
    fifos.make(Path(fs.proc(1, "cmdline")))
    scanner = ProcessScanner(fs, max_held_fds=budget)
    try:
        first = scanner.scan(None)
        again = scanner.scan({517, 1})
    finally:
        scanner.close()
    for scan in (first, again):
        assert 402 not in scan  # no stat: no process, as when it vanished
        assert scan[517].status is None and scan[517].io is None
        assert scan[1].cmdline is None and scan[1].status is not None
    assert not fifos.blocked


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[DemoMachine]:
    """The demo machine; the files its sampler holds are closed after the test."""
    machine = DemoMachine(tmp_path)
    yield machine
    machine.sampler.close()


def put_fifos(machine: DemoMachine, fifos: Fifos) -> FS:
    """One tick later, a FIFO in place of a system file of each kind and of a process's status: what the
    sampler reads every time, by held descriptor or by path."""
    machine.advance()
    proc, node = machine.root / "proc", machine.root / "sys" / "devices" / "system" / "node" / "node0"
    for path in (
        proc / "meminfo",
        proc / "loadavg",
        proc / "uptime",
        proc / "diskstats",
        proc / "net" / "dev",
    ):
        fifos.make(path)
    fifos.make(proc / "517" / "status")
    fifos.make(node / "numastat")
    return machine.fs


def test_the_sampler_reads_a_tree_of_fifos_as_missing_files(machine: DemoMachine, fifos: Fifos) -> None:
    put_fifos(machine, fifos)
    sampler = machine.sampler
    sampler.sample(None)
    snapshot = sampler.sample(None)
    assert snapshot.memory.total_bytes is None and snapshot.cpu.loadavg is None
    assert snapshot.uptime_seconds is None and snapshot.disks == () and snapshot.net.interfaces == ()
    rows = {p.pid: p for p in snapshot.processes}
    assert rows[517].affinity is None and rows[1].affinity is not None
    assert snapshot.cpu.per_cpu and not fifos.blocked


@pytest.mark.live
def test_json_on_a_tree_of_fifos(machine: DemoMachine, fifos: Fifos) -> None:
    fs = put_fifos(machine, fifos)
    roots = ("--procfs", str(fs.procfs), "--sysfs", str(fs.sysfs))
    done = subprocess.run(
        [sys.executable, "-m", "perftop.tui.cli", *roots, "--json", "--interval", "0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["memory"]["total_bytes"] is None and doc["cpu"]["loadavg"] is None
    assert {p["pid"]: p for p in doc["processes"]}[517]["affinity"] is None
    assert not fifos.blocked


async def test_the_app_on_a_tree_of_fifos(machine: DemoMachine, fifos: Fifos) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 1)
        put_fifos(machine, fifos)
        start = time.monotonic()
        await app.sample_now()
        await pilot.pause()
        assert time.monotonic() - start < GRACE and not fifos.blocked
        gauges = app.query_one(CpuMeters)
        meters = [gauges.render_line(y).text for y in range(gauges.size.height)]
    assert any(line.startswith("Mem[") and line.split("]")[0].endswith("-/-") for line in meters)


def test_a_file_larger_than_any_kernel_file_reads_as_missing(tmp_path: Path) -> None:
    """A sparse file of 200 MiB where ``loadavg`` should be (a foreign tree may hold one of any size) is
    refused at once, not read into memory."""
    huge = tmp_path / "loadavg"
    with open(huge, "wb") as f:
        f.truncate(200 << 20)
    start = time.monotonic()
    assert read_bytes(str(huge)) is None and read_text(str(huge)) is None
    held = HeldFiles()
    try:
        assert held.read_bytes(str(huge)) is None
    finally:
        held.close()
    assert time.monotonic() - start < 1.0  # refused by its size, not read


def test_a_procfs_file_that_runs_past_the_limit_reads_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """procfs files show size 0: the limit is also kept while reading (here lowered below the size of
    ``/proc/self/maps``), plainly and through held files."""
    path = "/proc/self/maps"
    assert len(read_bytes(path) or b"") > 4096
    monkeypatch.setattr(fs_module, "MAX_FILE_BYTES", 4096)
    assert read_bytes(path) is None
    held = HeldFiles()
    try:
        assert held.read_bytes(path) is None
    finally:
        held.close()
