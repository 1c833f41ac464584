"""The process scanner's open files: kept between scans, read again with pread, closed when a process goes.

Real child processes check what the kernel does with a held ``/proc/PID/stat`` (exit, reuse of the PID,
setuid); fixture trees check the budget, the closing, and the regular-file case (a file removed or
replaced under an open descriptor).
"""

from __future__ import annotations

import os
import pwd
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from perftop.probes.fs import FS
from perftop.probes.processes import FD_RESERVE, ProcessScanner, ProcIo, process_infos
from testbed.fixture_tree import FakeProcess, make_tree, processes_for
from tests.children import spawn_with_pid

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs a Linux /proc")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def open_fds() -> int:
    """Descriptors open in this process now (the listing's own descriptor included, always one)."""
    return len(os.listdir("/proc/self/fd"))


def _stat_of(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rpartition(")")[2].split()


@contextmanager
def spawned(argv: list[str], comm: str | None = None, **popen: object) -> Iterator[subprocess.Popen[bytes]]:
    """A child running ``argv``, waited for until its comm is ``comm``; killed and reaped at the end."""
    child = subprocess.Popen(argv, **popen)  # type: ignore[call-overload]
    try:
        deadline = time.monotonic() + 10
        while comm is not None and Path(f"/proc/{child.pid}/comm").read_text().strip() != comm:
            assert time.monotonic() < deadline, f"pid {child.pid} never became {comm!r}"
            time.sleep(0.01)
        yield child
    finally:
        child.kill()
        child.wait()


def _needs_budget(scanner: ProcessScanner, processes: int) -> None:
    if scanner.fd_budget() < 2 * processes + 8:
        scanner.close()  # the skip leaves the test before its own close: a machine of many processes
        pytest.skip("RLIMIT_NOFILE too low to hold every process open")


# --- a process that exits -------------------------------------------------------------------------------


@pytest.mark.live
@needs_proc
def test_pread_through_a_held_stat_fails_once_the_process_is_reaped() -> None:
    """The kernel fact the scanner relies on: a held ``stat`` never reads another process."""
    with spawned(["sleep", "60"], "sleep") as child:
        fd = os.open(f"/proc/{child.pid}/stat", os.O_RDONLY)
        try:
            assert os.pread(fd, 4096, 0).startswith(f"{child.pid} (sleep) ".encode())
            child.kill()
            child.wait()
            try:
                gone = os.pread(fd, 4096, 0)
            except OSError:
                gone = b""
            assert gone == b""
        finally:
            os.close(fd)


@pytest.mark.live
@needs_proc
def test_exited_and_reaped_process_is_dropped_and_its_files_closed() -> None:
    baseline = open_fds()
    scanner = ProcessScanner(FS())
    with spawned(["sleep", "60"], "sleep") as child:
        first = scanner.scan(())
        _needs_budget(scanner, len(first))
        assert child.pid in first
        assert scanner.held_fds == 2 * len(first)  # each process's directory and stat
        assert open_fds() == baseline + scanner.held_fds
    # Killed and reaped by the context manager.
    second = scanner.scan(())
    assert child.pid not in second
    assert child.pid not in {pid for pid, _ in scanner.cached_identities()}
    assert scanner.held_fds == 2 * len(second)
    assert open_fds() == baseline + scanner.held_fds  # nothing leaked
    scanner.close()
    assert open_fds() == baseline


class _ReapingScanner(ProcessScanner):
    """Kills and reaps a child after listing the PIDs: it exits mid-scan, with its files held open."""

    def __init__(self, fs: FS, victim: subprocess.Popen[bytes]) -> None:
        super().__init__(fs)
        self.victim: subprocess.Popen[bytes] | None = None
        self._child = victim
        self.listed: list[int] = []

    def list_pids(self) -> list[int]:
        self.listed = super().list_pids()
        if self.victim is not None:
            self.victim.kill()
            self.victim.wait()
        return self.listed


@pytest.mark.live
@needs_proc
def test_process_reaped_between_listing_and_reading_is_left_out() -> None:
    baseline = open_fds()
    with spawned(["sleep", "60"], "sleep") as child:
        scanner = _ReapingScanner(FS(), child)
        assert child.pid in scanner.scan(())
        _needs_budget(scanner, len(scanner.listed))
        scanner.victim = child
        scanned = scanner.scan(())
        assert child.pid in scanner.listed and child.pid not in scanned
        assert open_fds() == baseline + scanner.held_fds
        scanner.close()


# --- fresh values through the same descriptor --------------------------------------------------------


@pytest.mark.live
@needs_proc
def test_held_stat_gives_fresh_values_without_opening_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    with spawned([sys.executable, "-c", "while True: pass"]) as busy:
        scanner = ProcessScanner(FS())
        first = scanner.scan(())
        _needs_budget(scanner, len(first))
        deadline = time.monotonic() + 10
        opened: list[str] = []
        real_open = os.open

        def counting_open(path: str, *args: object, **kwargs: object) -> int:
            opened.append(str(path))
            return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

        ticks = first[busy.pid].stat.utime + first[busy.pid].stat.stime
        while True:
            time.sleep(0.2)
            monkeypatch.setattr(os, "open", counting_open)
            later = scanner.scan(())
            monkeypatch.setattr(os, "open", real_open)
            if later[busy.pid].stat.utime + later[busy.pid].stat.stime > ticks:
                break
            assert time.monotonic() < deadline, "the busy child's CPU time never grew"
        assert not [p for p in opened if f"/{busy.pid}" in p]  # read through the held descriptor
        scanner.close()


# --- a PID used again ---------------------------------------------------------------------------------


@pytest.mark.machine  # sets the next PID
@pytest.mark.live
@needs_proc
@needs_root
def test_reused_pid_is_read_as_the_new_process() -> None:
    scanner = ProcessScanner(FS())
    with spawned(["sleep", "60"], "sleep") as old:
        pid = old.pid
        first = scanner.scan(())
        _needs_budget(scanner, len(first))
        old_start = first[pid].stat.start_time
    time.sleep(0.05)  # a later start time, in clock ticks
    new = spawn_with_pid(pid, ["sleep", "61"])
    if new is None:
        pytest.skip("could not get the same PID again (ns_last_pid)")
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}/cmdline").read_bytes() != b"sleep\x0061\x00":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        second = scanner.scan(())
        new_start = int(_stat_of(pid)[19])
        assert new_start > old_start
        assert second[pid].stat.start_time == new_start
        assert second[pid].cmdline == "sleep 61"  # same comm, new identity: cmdline read again
        assert (pid, new_start) in scanner.cached_identities()
        assert (pid, old_start) not in scanner.cached_identities()
    finally:
        new.kill()
        new.wait()
        scanner.close()


# --- the owner after setuid ---------------------------------------------------------------------------

_SETUID_CHILD = """
import ctypes, os, sys
print("ready", flush=True)
sys.stdin.readline()
os.setuid(65534)
if sys.argv[1] == "dumpable":
    ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: its files go back to their owner
print("done", flush=True)
sys.stdin.readline()
"""


def _name_of(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@pytest.mark.live
@needs_proc
@needs_root
@pytest.mark.parametrize("dumpable", ["dumpable", "not-dumpable"])
@pytest.mark.parametrize("max_held_fds", [None, 0], ids=["held", "reopened"])
def test_owner_follows_setuid(dumpable: str, max_held_fds: int | None) -> None:
    argv = [sys.executable, "-c", _SETUID_CHILD, dumpable]
    with spawned(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline() == b"ready\n"
        scanner = ProcessScanner(FS(), max_held_fds=max_held_fds)
        before = scanner.scan(())[child.pid]
        assert (before.uid, before.user) == (0, "root")
        child.stdin.write(b"go\n")
        child.stdin.flush()
        assert child.stdout.readline() == b"done\n"
        # Nothing here looks the child's /proc path up before the scan (a lookup refreshes the owners
        # of its files, and would hide a stale held descriptor).
        after = scanner.scan(())[child.pid]
        assert (after.uid, after.user) == (65534, _name_of(65534))
        assert after.cmdline == before.cmdline and after.stat.start_time == before.stat.start_time
        # What ps shows (the effective uid), and htop (the owner of /proc/PID).
        ps = subprocess.run(["ps", "-o", "euid=", "-p", str(child.pid)], capture_output=True, text=True)
        assert int(ps.stdout) == psutil.Process(child.pid).uids().effective == after.uid
        assert os.stat(f"/proc/{child.pid}").st_uid == after.uid
        if dumpable == "not-dumpable":
            # The kernel gives a non-dumpable task's files to root: they are not where the owner is.
            assert os.stat(f"/proc/{child.pid}/stat").st_uid == 0
        scanner.close()


# --- the descriptor budget ---------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> FS:
    """25 processes, with an io file for PIDs 1, 402 and 700 (the generator writes none)."""
    fs = make_tree(tmp_path, processes=25)
    for pid in (1, 402, 700):
        Path(fs.proc(pid, "io")).write_text(f"read_bytes: {pid}\nwrite_bytes: 0\n")
    return fs


def _comparable(scanned: dict) -> dict:
    return {
        pid: (raw.stat, raw.status, raw.io, raw.uid, raw.user, raw.cmdline) for pid, raw in scanned.items()
    }


@pytest.mark.parametrize("cap", [0, 1, 2, 5, 31])
def test_budget_caps_held_files_and_the_rest_is_read_by_path(tmp_path: Path, cap: int) -> None:
    fs = make_tree(tmp_path, processes=25)
    capped, free = ProcessScanner(fs, max_held_fds=cap), ProcessScanner(fs)
    asked = [1, 402, 700, 2001]
    for tick in range(3):
        make_tree(tmp_path, processes=25, tick=tick)
        got, expected = capped.scan(asked), free.scan(asked)
        assert _comparable(got) == _comparable(expected)
        assert capped.held_fds <= cap
    # Directory and stat of each, and status of the 4 asked (the tree has no io files).
    assert free.held_fds == 2 * 25 + len(asked)
    # Pairs (directory and stat) while they fit; a status only beside a held pair.
    assert max(cap - 1, 0) <= capped.held_fds <= cap


def test_budget_is_the_soft_nofile_limit_minus_the_reserve(tree: FS) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    scanner = ProcessScanner(tree)
    low = open_fds() + FD_RESERVE + 20
    if low > soft:
        pytest.skip("too many descriptors open to lower the limit")
    before = open_fds()
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
        assert scanner.fd_budget() == low - FD_RESERVE
        assert len(scanner.scan(None)) == 25
        assert scanner.held_fds <= low - FD_RESERVE
        # Other opens still work: the reserve is left free.
        assert [Path(tree.proc(1, "stat")).read_text() for _ in range(10)]
        # Lowered again below what is held: the next scan closes the excess first.
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_fds() + FD_RESERVE - 10, hard))
        assert len(scanner.scan(())) == 25
        assert scanner.held_fds <= scanner.fd_budget()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert ProcessScanner(tree, max_held_fds=7).fd_budget() == 7
    scanner.close()
    assert open_fds() == before


def test_status_and_io_stay_open_only_for_pids_asked_by_name(tree: FS) -> None:
    scanner = ProcessScanner(tree)
    both = scanner.scan([1, 402])
    assert scanner.held_fds == 2 * 25 + 4
    assert (both[1].io, both[402].io, both[700].io) == (ProcIo(1, 0), ProcIo(402, 0), None)
    status_only = scanner.scan([1], io_pids=())
    assert scanner.held_fds == 2 * 25 + 1
    assert status_only[1].status is not None and status_only[1].io is None
    io_only = scanner.scan((), io_pids=[402, 700])
    assert scanner.held_fds == 2 * 25 + 2
    assert io_only[700].status is None and io_only[700].io == ProcIo(700, 0)
    # Every process: read by path; only what was held stays open.
    every = scanner.scan(None)
    assert all(raw.status is not None for raw in every.values())
    assert {pid for pid, raw in every.items() if raw.io is not None} == {1, 402, 700}
    assert scanner.held_fds == 2 * 25 + 2
    scanner.scan(())
    assert scanner.held_fds == 2 * 25
    scanner.close()


def test_files_of_pids_gone_from_the_listing_are_closed(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    before = open_fds()
    scanner = ProcessScanner(fs)
    scanner.scan([1290, 1])
    assert open_fds() == before + scanner.held_fds == before + 2 * 25 + 2  # + status of both
    shutil.rmtree(fs.proc(1290))
    make_tree(tmp_path, processes=12)  # 13 exit; 1290 comes back as a new directory
    scanned = scanner.scan([1290, 1])
    assert set(scanned) == {p.pid for p in processes_for(4, 12, 0, ())} and 1290 in scanned
    assert open_fds() == before + scanner.held_fds == before + 2 * 12 + 2


def test_close_is_idempotent_and_a_later_scan_opens_again(tree: FS) -> None:
    before = open_fds()
    scanner = ProcessScanner(tree)
    first = scanner.scan([1])
    scanner.close()
    assert scanner.held_fds == 0 and open_fds() == before
    scanner.close()
    assert scanner.held_fds == 0 and open_fds() == before
    again = scanner.scan([1])
    assert _comparable(again) == _comparable(first)
    assert again[655] is first[655]  # the cache outlives close(): unchanged readings are kept
    assert scanner.held_fds == 2 * 25 + 2  # + status and io of PID 1
    del scanner  # dropped without close(): its descriptors are closed with it
    assert open_fds() == before


# --- fixture trees: regular files under an open descriptor -------------------------------------------


def test_rewritten_fixture_files_are_read_fresh(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    before = scanner.scan([2001])
    make_tree(tmp_path, processes=25, tick=1)  # rewrites stat and status in place
    after = scanner.scan([2001])
    infos = {p.pid: p for p in process_infos(before, after, 1.0, 100, 4096, None)}
    busy = next(p for p in processes_for(4, 25, 0, ()) if p.pid == 2001)
    assert infos[2001].cpu_percent == pytest.approx(busy.utime_rate + busy.stime_rate)
    assert infos[2001].voluntary_ctxt_switches_per_s == pytest.approx(busy.vcsw_rate)


def test_replaced_or_removed_fixture_files_are_opened_again(tree: FS, tmp_path: Path) -> None:
    fs = tree
    scanner = ProcessScanner(fs)
    scanner.scan([700])
    # A new stat renamed over the old one (the held descriptor still reads the old file).
    stat_path = Path(fs.proc(700, "stat"))
    new = stat_path.with_name("stat.new")
    new.write_text(stat_path.read_text().replace("(bash)", "(zsh)"))
    new.replace(stat_path)
    io_path = Path(fs.proc(700, "io"))
    io_path.unlink()
    io_path.write_text("read_bytes: 512\nwrite_bytes: 1024\n")
    Path(fs.proc(700, "status")).unlink()
    got = scanner.scan([700])[700]
    assert got.stat.comm == "zsh"
    assert got.status is None
    assert got.io == ProcIo(512, 1024)
    # A directory removed and made again: a new process with the same PID.
    shutil.rmtree(fs.proc(700))
    reused = replace(
        next(p for p in processes_for(4, 25, 0, ()) if p.pid == 700), start_time=999_999, cmdline=("sh",)
    )
    make_tree(tmp_path, processes=25, extra=[reused])
    again = scanner.scan([700])[700]
    assert (again.stat.start_time, again.cmdline) == (999_999, "sh")


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a directory's owner needs root")
def test_owner_of_a_fixture_process_is_its_directory(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=3, extra=[FakeProcess(4000, "svc", uid=0, cmdline=("svc",))])
    scanner = ProcessScanner(fs)
    assert scanner.scan(())[4000].uid == 0
    os.chown(fs.proc(4000), 65534, 65534)  # through the held directory, without a new lookup
    assert scanner.scan(())[4000].uid == 65534
