"""``status`` read again only when ``schedstat`` or ``sched_getaffinity`` says it may have changed.

Real child processes check what the kernel does (an idle process keeps both signs, a woken one moves its
``schedstat``, ``taskset -p`` moves its affinity, a reused PID is read afresh); fixture trees and a faked
sysfs check where the shortcut must not be taken.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from perftop.probes.cpulist import parse_cpu_list
from perftop.probes.fs import FS
from perftop.probes.processes import ProcessScanner, parse_pid_status, process_infos
from testbed.fixture_tree import make_tree
from tests.children import spawn_with_pid

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs a Linux /proc")
needs_schedstat = pytest.mark.skipif(
    not Path("/proc/self/schedstat").exists(), reason="needs /proc/PID/schedstat (CONFIG_SCHED_INFO)"
)
needs_two_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to move between")

# A child that sleeps until a line arrives on stdin, then answers it: each line wakes it (context switches).
_ECHO = "import sys\nfor line in sys.stdin:\n    print(line.strip(), flush=True)\n"


@contextmanager
def echo_child() -> Iterator[subprocess.Popen[str]]:
    """A sleeping child that wakes for each line written to it; killed and reaped at the end."""
    child = subprocess.Popen(
        [sys.executable, "-c", _ECHO], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("ready\n")
        child.stdin.flush()
        assert child.stdout.readline() == "ready\n"
        yield child
    finally:
        child.kill()
        child.wait()


def wake(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write("ping\n")
    child.stdin.flush()
    assert child.stdout.readline() == "ping\n"


def wait_until_idle(pid: int) -> None:
    """Until the child's ``schedstat`` holds still for 200 ms: it sleeps, and so it will in the next scans
    (on a loaded machine a child still on its way to sleep can hold still for one short look)."""
    path = Path(f"/proc/{pid}/schedstat")
    deadline = time.monotonic() + 10
    last = path.read_bytes()
    still = 0
    while still < 4:
        time.sleep(0.05)
        now = path.read_bytes()
        still = still + 1 if now == last else 0
        assert still or time.monotonic() < deadline, f"pid {pid} never went idle"
        last = now


class ReadSpy:
    """Records the path of every descriptor ``os.pread`` and ``os.read`` read (``/proc/self/fd`` links)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real_pread, real_read = os.pread, os.read

        def pread(fd: int, size: int, offset: int) -> bytes:
            self.paths.append(os.readlink(f"/proc/self/fd/{fd}"))
            return real_pread(fd, size, offset)

        def read(fd: int, size: int) -> bytes:
            self.paths.append(os.readlink(f"/proc/self/fd/{fd}"))
            return real_read(fd, size)

        monkeypatch.setattr(os, "pread", pread)
        monkeypatch.setattr(os, "read", read)

    def reads_of(self, pid: int, name: str) -> int:
        self_path = f"/proc/{pid}/{name}"
        return sum(path == self_path for path in self.paths)

    def clear(self) -> None:
        self.paths.clear()


def status_now(pid: int) -> tuple[tuple[int, ...] | None, int | None, int | None]:
    status = parse_pid_status(Path(f"/proc/{pid}/status").read_text())
    return status.cpus_allowed, status.voluntary_ctxt_switches, status.nonvoluntary_ctxt_switches


def shown(raw: object) -> tuple[tuple[int, ...] | None, int | None, int | None]:
    status = raw.status  # type: ignore[attr-defined]
    assert status is not None
    return status.cpus_allowed, status.voluntary_ctxt_switches, status.nonvoluntary_ctxt_switches


def _needs_the_shortcut(scanner: ProcessScanner) -> None:
    if not scanner._status_signs_usable(scanner.fd_budget()):
        pytest.skip("not every possible CPU is online here: the scanner reads status every time")


# --- an idle process: status not read, the same reading and row kept ---------------------------------


@pytest.mark.live
@needs_proc
@needs_schedstat
def test_idle_process_keeps_its_status_without_reading_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with echo_child() as child:
        scanner = ProcessScanner(FS())
        _needs_the_shortcut(scanner)
        wait_until_idle(child.pid)
        first = scanner.scan([child.pid])
        spy = ReadSpy(monkeypatch)
        second = scanner.scan([child.pid])
        monkeypatch.undo()
        assert spy.reads_of(child.pid, "status") == 0
        assert spy.reads_of(child.pid, "schedstat") == 1
        assert spy.reads_of(child.pid, "stat") == 1
        assert second[child.pid] is first[child.pid]  # so its row is reused too
        assert shown(second[child.pid]) == status_now(child.pid)
        rows = process_infos(first, second, 1.0, 100, 4096, None)
        row = next(p for p in rows if p.pid == child.pid)
        assert (row.voluntary_ctxt_switches_per_s, row.nonvoluntary_ctxt_switches_per_s) == (0.0, 0.0)
        scanner.close()


@pytest.mark.live
@needs_proc
@needs_schedstat
def test_a_held_schedstat_that_fails_a_read_is_opened_again_through_the_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The held ``schedstat`` is read inline for speed; a read that fails there goes the long way (close,
    open again through the held directory), so an idle process still needs no ``status`` read."""
    with echo_child() as child:
        scanner = ProcessScanner(FS())
        _needs_the_shortcut(scanner)
        wait_until_idle(child.pid)
        first = scanner.scan([child.pid])
        schedstat = f"/proc/{child.pid}/schedstat"
        failed: list[int] = []
        real_pread = os.pread

        def pread(fd: int, size: int, offset: int) -> bytes:
            if not failed and os.readlink(f"/proc/self/fd/{fd}") == schedstat:
                failed.append(fd)
                raise ProcessLookupError(3, "No such process")
            return real_pread(fd, size, offset)

        monkeypatch.setattr(os, "pread", pread)
        spy = ReadSpy(monkeypatch)  # over the failing pread: records the reads that went through
        second = scanner.scan([child.pid])
        monkeypatch.undo()
        assert failed, "the held schedstat was not read"
        assert spy.reads_of(child.pid, "schedstat") == 2  # the failed read, then the reopened file
        assert spy.reads_of(child.pid, "status") == 0
        assert second[child.pid] is first[child.pid]
        scanner.close()


# --- a woken process: its context switches are seen -------------------------------------------------


@pytest.mark.live
@needs_proc
@needs_schedstat
def test_woken_process_is_read_again_and_its_switches_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    with echo_child() as child:
        scanner = ProcessScanner(FS())
        _needs_the_shortcut(scanner)
        wait_until_idle(child.pid)
        first = scanner.scan([child.pid])
        for _ in range(3):
            wake(child)
        wait_until_idle(child.pid)
        spy = ReadSpy(monkeypatch)
        second = scanner.scan([child.pid])
        monkeypatch.undo()
        assert spy.reads_of(child.pid, "status") == 1
        assert shown(second[child.pid]) == status_now(child.pid)
        before, after = shown(first[child.pid]), shown(second[child.pid])
        # Each wake ends in a sleep (a voluntary switch); how many the kernel counts is its own business.
        assert after[1] is not None and before[1] is not None and after[1] > before[1]
        rows = {p.pid: p for p in process_infos(first, second, 2.0, 100, 4096, None)}
        rate = rows[child.pid].voluntary_ctxt_switches_per_s
        assert rate == (after[1] - before[1]) / 2.0 and rate > 0
        scanner.close()


# --- affinity changed from outside while the process sleeps ------------------------------------------


@pytest.mark.live
@needs_proc
@needs_schedstat
@needs_two_cpus
@pytest.mark.parametrize("held", [True, False], ids=["rows-on-screen", "every-process"])
def test_affinity_set_from_outside_is_seen_though_the_process_slept(held: bool) -> None:
    with echo_child() as child:
        scanner = ProcessScanner(FS())
        _needs_the_shortcut(scanner)
        asked = [child.pid] if held else None
        wait_until_idle(child.pid)
        scanner.scan(asked)
        cpus = sorted(os.sched_getaffinity(child.pid))
        signs = Path(f"/proc/{child.pid}/schedstat").read_bytes()
        if shutil.which("taskset"):
            subprocess.run(["taskset", "-pc", str(cpus[-1]), str(child.pid)], check=True, capture_output=True)
        else:
            os.sched_setaffinity(child.pid, {cpus[-1]})
        # The child did not run: only sched_getaffinity can tell.
        assert Path(f"/proc/{child.pid}/schedstat").read_bytes() == signs
        after = scanner.scan(asked)[child.pid]
        assert shown(after)[0] == (cpus[-1],) == status_now(child.pid)[0]
        if shutil.which("taskset"):
            listed = subprocess.run(
                ["taskset", "-pc", str(child.pid)], check=True, capture_output=True, text=True
            ).stdout
            assert set(shown(after)[0] or ()) == parse_cpu_list(listed.rsplit(":", 1)[1])
        scanner.close()


# --- a process that goes away -----------------------------------------------------------------------


@pytest.mark.live
@needs_proc
@needs_schedstat
def test_process_gone_between_affinity_and_schedstat_lends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reaped right after ``sched_getaffinity`` answered: the schedstat read through its held directory
    fails, so the answer is not used, and the status is unknown (``None``), never an exception."""
    with echo_child() as child:
        scanner = ProcessScanner(FS())
        _needs_the_shortcut(scanner)
        wait_until_idle(child.pid)
        scanner.scan([child.pid])
        real = os.sched_getaffinity

        def affinity_then_reap(pid: int) -> set[int]:
            answer = real(pid)
            if pid == child.pid:
                child.kill()
                child.wait()
                return {99}  # whatever a new process with this PID could have
            return answer

        monkeypatch.setattr(os, "sched_getaffinity", affinity_then_reap)
        gone = scanner.scan([child.pid])
        monkeypatch.undo()
        assert child.pid not in gone or gone[child.pid].status is None
        assert child.pid not in scanner.scan([child.pid])
        scanner.close()


@pytest.mark.live
@needs_proc
@needs_schedstat
@needs_two_cpus
@pytest.mark.machine  # sets the next PID
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (ns_last_pid)")
def test_reused_pid_gets_its_own_status() -> None:
    scanner = ProcessScanner(FS())
    _needs_the_shortcut(scanner)
    cpus = sorted(os.sched_getaffinity(0))
    old = subprocess.Popen(["sleep", "60"])
    pid = old.pid
    try:
        wait_until_idle(pid)
        assert shown(scanner.scan([pid])[pid])[0] == tuple(cpus)
        scanner.scan([pid])  # signs kept: the next status would be skipped for the same process
    finally:
        old.kill()
        old.wait()
    # Same PID, pinned to one CPU before it exec's sleep.
    new = spawn_with_pid(pid, ["taskset", "-c", str(cpus[0]), "sleep", "61"])
    if new is None:
        pytest.skip("could not get the same PID again (ns_last_pid)")
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}/cmdline").read_bytes() != b"sleep\x0061\x00":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        wait_until_idle(pid)
        assert shown(scanner.scan([pid])[pid]) == status_now(pid)
        assert status_now(pid)[0] == (cpus[0],)
    finally:
        new.kill()
        new.wait()
        scanner.close()


# --- where the shortcut is not taken ------------------------------------------------------------------


@pytest.mark.live
@needs_proc
@needs_schedstat
def test_status_read_every_time_while_a_possible_cpu_is_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sched_getaffinity`` leaves out inactive CPUs that ``Cpus_allowed_list`` lists: a mask changed
    only there would go unseen, so with CPUs offline every asked ``status`` is read."""
    cpu = tmp_path / "devices" / "system" / "cpu"
    cpu.mkdir(parents=True)
    (cpu / "possible").write_text("0-7\n")
    (cpu / "online").write_text("0-1\n")
    with echo_child() as child:
        scanner = ProcessScanner(FS(Path("/proc"), tmp_path))
        assert not scanner._status_signs_usable(scanner.fd_budget())
        wait_until_idle(child.pid)
        scanner.scan([child.pid])
        spy = ReadSpy(monkeypatch)
        scanner.scan([child.pid])
        assert spy.reads_of(child.pid, "status") == 1
        assert spy.reads_of(child.pid, "schedstat") == 0
        monkeypatch.undo()
        # All online again: the shortcut is back.
        (cpu / "online").write_text("0-7\n")
        assert scanner._status_signs_usable(scanner.fd_budget())
        scanner.close()


@pytest.mark.live
@needs_proc
def test_a_kernel_without_scheduler_statistics_gets_status_read_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Such a kernel writes ``0 0 0`` for every task, the scanner's own too: nothing to go by."""
    real = __import__("perftop.probes.processes", fromlist=["read_bytes"]).read_bytes

    def zeros(path: str) -> bytes | None:
        return b"0 0 0\n" if path.endswith("/schedstat") else real(path)

    monkeypatch.setattr("perftop.probes.processes.read_bytes", zeros)
    with echo_child() as child:
        scanner = ProcessScanner(FS())
        assert not scanner._status_signs_usable(scanner.fd_budget())
        wait_until_idle(child.pid)
        scanner.scan([child.pid])
        spy = ReadSpy(monkeypatch)
        scanner.scan([child.pid])
        assert spy.reads_of(child.pid, "status") == 1
        assert spy.reads_of(child.pid, "schedstat") == 0
        scanner.close()


@needs_proc
@needs_schedstat
def test_task_without_run_time_keeps_its_files_and_status(monkeypatch: pytest.MonkeyPatch) -> None:
    """A task with no run time counted (``0 0 2``: early kernel threads, run before the clock was) is a
    sign like any other: stable, so its status is read once and its files stay open."""
    never = [
        int(path.parent.name)
        for path in Path("/proc").glob("[0-9]*/schedstat")
        if path.read_bytes().startswith(b"0 ")
    ]
    if not never:
        pytest.skip("no task here without run time")
    scanner = ProcessScanner(FS())
    _needs_the_shortcut(scanner)
    first = scanner.scan(never)
    held = scanner.held_fds
    spy = ReadSpy(monkeypatch)
    second = scanner.scan(never)
    monkeypatch.undo()
    still = [
        pid
        for pid in never
        if pid in second and Path(f"/proc/{pid}/schedstat").read_bytes().startswith(b"0 ")
    ]
    assert still
    for pid in still:
        assert spy.reads_of(pid, "status") == 0
        assert second[pid] is first[pid]
        assert shown(second[pid]) == status_now(pid)
    assert scanner.held_fds == held
    scanner.close()


def test_fixture_tree_status_is_read_every_time(tmp_path: Path) -> None:
    """On another root (a fixture, a container's /host/proc) the PIDs are not this kernel's to ask."""
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    assert not scanner._status_signs_usable(scanner.fd_budget())
    before = scanner.scan([2001])[2001]
    path = Path(fs.proc(2001, "status"))
    text = path.read_text()
    line = next(line for line in text.splitlines() if line.startswith("Cpus_allowed_list:"))
    path.write_text(text.replace(line, "Cpus_allowed_list:\t3"))
    after = scanner.scan([2001])[2001]
    assert after.status is not None and after.status.cpus_allowed == (3,)
    assert before.status is not None and before.status.cpus_allowed != (3,)
    assert scanner.held_fds == 2 * 25 + 1  # no schedstat held
    scanner.close()
