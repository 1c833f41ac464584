"""The scanner lists ``/proc`` only when the fork counter of ``/proc/stat`` moved since its last scan.

No process directory appears without a fork (``processes`` counts every task the kernel ever made), so
with the counter unchanged the processes of the last scan are all there is; those gone since fail their
read. Real child processes check the kernel's side; fixture trees, where directories come and go with no
counter, are always listed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from perftop.probes.cpu import read_stat
from perftop.probes.fs import FS
from perftop.probes.processes import ProcessScanner
from perftop.probes.sampler import Sampler
from testbed.fixture_tree import make_tree, processes_for

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs a Linux /proc")


def forks_now(fs: FS) -> int:
    stat = read_stat(fs)
    assert stat is not None and stat.forks is not None
    return stat.forks


class ListingSpy:
    """Counts the listings of the procfs root."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.count = 0
        real = os.listdir

        def listdir(path: str | os.PathLike[str] = ".") -> list[str]:
            if Path(path) == root:
                self.count += 1
            return real(path)

        monkeypatch.setattr(os, "listdir", listdir)


@pytest.mark.live
@needs_proc
def test_unchanged_counter_skips_the_listing_and_drops_the_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    fs = FS()
    scanner = ProcessScanner(fs)
    child = subprocess.Popen(["sleep", "60"])
    try:
        forks = forks_now(fs)  # after the fork: the child is listed by the next scan
        first = scanner.scan((), forks=forks)
        assert child.pid in first
        spy = ListingSpy(monkeypatch, fs.procfs)
        again = scanner.scan((), forks=forks)
        assert spy.count == 0
        assert set(again) <= set(first) and child.pid in again
        assert again[child.pid] is first[child.pid]
    finally:
        child.kill()
        child.wait()  # exit and reaping fork nothing
    gone = scanner.scan((), forks=forks)
    assert spy.count == 0
    assert child.pid not in gone and set(gone) <= set(first)
    assert child.pid not in {pid for pid, _ in scanner.cached_identities()}
    scanner.close()


@pytest.mark.live
@needs_proc
def test_a_fork_since_the_last_scan_brings_a_listing() -> None:
    fs = FS()
    scanner = ProcessScanner(fs)
    scanner.scan((), forks=forks_now(fs))
    child = subprocess.Popen(["sleep", "60"])
    try:
        later = scanner.scan((), forks=forks_now(fs))
        assert child.pid in later
    finally:
        child.kill()
        child.wait()
        scanner.close()


@pytest.mark.live
@needs_proc
def test_sampler_finds_a_new_child_and_drops_a_reaped_one() -> None:
    sampler = Sampler(FS())
    sampler.sample(())
    child = subprocess.Popen(["sleep", "60"])
    try:
        assert child.pid in {p.pid for p in sampler.sample(()).processes}
    finally:
        child.kill()
        child.wait()
    assert child.pid not in {p.pid for p in sampler.sample(()).processes}
    sampler.close()


@needs_proc
def test_without_a_counter_or_after_a_failed_scan_the_root_is_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    fs = FS()
    scanner = ProcessScanner(fs)
    forks = forks_now(fs)
    scanner.scan((), forks=forks)
    spy = ListingSpy(monkeypatch, fs.procfs)
    scanner.scan(())  # no counter given
    assert spy.count == 1
    scanner.scan((), forks=forks)
    assert spy.count == 2  # the last scan had no counter to compare with
    scanner.scan((), forks=forks)
    assert spy.count == 2

    def failing(*args: object) -> None:
        raise RuntimeError("a scan cut short")

    with monkeypatch.context() as m:
        m.setattr(scanner, "_raw", failing)
        m.setattr(scanner, "_entries", {})  # every stat is new, so _raw runs for the first process
        with pytest.raises(RuntimeError):
            scanner.scan((), forks=forks + 1)
    assert spy.count == 3
    # The failed scan kept only part of the processes: the next one lists again, whatever the counter.
    full = scanner.scan((), forks=forks)
    assert spy.count == 4 and os.getpid() in full
    scanner.close()


def test_fixture_tree_is_listed_at_every_scan(tmp_path: Path) -> None:
    """A fixture's directories come and go with no fork counter behind them."""
    fs = make_tree(tmp_path, processes=12)
    scanner = ProcessScanner(fs)
    forks = forks_now(fs)
    assert set(scanner.scan((), forks=forks)) == {p.pid for p in processes_for(4, 12, 0, ())}
    make_tree(tmp_path, processes=25)
    assert set(scanner.scan((), forks=forks)) == {p.pid for p in processes_for(4, 25, 0, ())}
    gone = max(scanner.scan((), forks=forks))
    shutil.rmtree(fs.proc(gone))
    assert gone not in scanner.scan((), forks=forks)
    scanner.close()
