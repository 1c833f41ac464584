"""The sampler and the process files: ``io`` read apart from ``status``, rows of idle processes reused,
and the files it holds open closed by ``close``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perftop.probes.cpu import user_hz
from perftop.probes.fs import FS
from perftop.probes.numa import cpu_nodes
from perftop.probes.processes import ProcessScanner, process_infos
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import ProcessInfo, Snapshot
from testbed.fixture_tree import SteppingClock, make_tree

BASH, JACKD = 700, 402


def rows(snapshot: Snapshot) -> dict[int, ProcessInfo]:
    return {p.pid: p for p in snapshot.processes}


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def fs(tmp_path: Path) -> FS:
    tree = make_tree(tmp_path, cpus=4, processes=25)
    for pid in (BASH, JACKD):
        Path(tree.proc(pid, "io")).write_text(f"read_bytes: {pid * 10}\nwrite_bytes: {pid}\n")
    return tree


def test_io_is_read_for_io_pids_and_status_for_status_pids(fs: FS) -> None:
    sampler = Sampler(fs, clock=SteppingClock())
    default = rows(sampler.sample({BASH}))  # io follows status_pids by default
    assert default[BASH].affinity is not None and default[BASH].io_read_bytes == BASH * 10
    assert default[JACKD].affinity is None and default[JACKD].io_read_bytes is None
    status_only = rows(sampler.sample({BASH, JACKD}, io_pids=()))
    assert status_only[JACKD].affinity is not None
    assert (status_only[BASH].io_read_bytes, status_only[JACKD].io_read_bytes) == (None, None)
    io_only = rows(sampler.sample((), io_pids={JACKD}))
    assert io_only[JACKD].affinity is None and io_only[JACKD].io_write_bytes == JACKD
    io_for_all = rows(sampler.sample((), io_pids=None))
    assert {pid for pid, row in io_for_all.items() if row.io_read_bytes is not None} == {BASH, JACKD}
    assert all(row.affinity is None for row in io_for_all.values())
    sampler.close()


def test_io_rate_needs_io_in_both_samples(fs: FS) -> None:
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample({BASH}, io_pids=())
    Path(fs.proc(BASH, "io")).write_text("read_bytes: 9000\nwrite_bytes: 700\n")
    assert rows(sampler.sample({BASH}, io_pids={BASH}))[BASH].io_read_bytes_per_s is None
    Path(fs.proc(BASH, "io")).write_text("read_bytes: 9500\nwrite_bytes: 700\n")
    again = rows(sampler.sample({BASH}, io_pids={BASH}))[BASH]
    assert (again.io_read_bytes_per_s, again.io_write_bytes_per_s) == (500.0, 0.0)
    sampler.close()


def test_rows_of_unchanged_processes_are_reused_and_equal_to_new_ones(fs: FS, tmp_path: Path) -> None:
    sampler = Sampler(fs, clock=SteppingClock())
    first = sampler.sample({BASH})
    second = sampler.sample({BASH})
    third = sampler.sample({BASH})
    # Nothing changed in the tree: from the third sample on, every row is the last one again.
    assert all(a is b for a, b in zip(second.processes, third.processes, strict=True))
    assert all(a is not b for a, b in zip(first.processes, second.processes, strict=True))
    # One second later the busy processes' rows are new; the idle ones are kept.
    scanner = ProcessScanner(fs)
    base = scanner.scan({BASH})
    make_tree(tmp_path, cpus=4, processes=25, tick=1)
    fourth = sampler.sample({BASH})
    kept = {b.pid for a, b in zip(third.processes, fourth.processes, strict=True) if a is b}
    assert 655 in kept and 2001 not in kept  # (sd-pam) never runs; 2001 is busy
    # Kept or new, every row is what building them all from the same two readings gives.
    now = scanner.scan({BASH})
    page = os.sysconf("SC_PAGE_SIZE")
    nodes = cpu_nodes(fourth.numa.nodes)
    assert fourth.processes == process_infos(
        base, now, 1.0, user_hz(), page, fourth.memory.total_bytes, nodes
    )
    scanner.close()
    sampler.close()


def test_close_closes_the_held_files_and_is_idempotent(fs: FS) -> None:
    before = open_fds()
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample({BASH})
    assert open_fds() >= before + 2 * 25  # each process's directory and stat stay open
    sampler.close()
    assert open_fds() == before
    sampler.close()
    assert open_fds() == before
    # A later sample opens them again and still has its baseline (rates, not None).
    again = rows(sampler.sample({BASH}))
    assert again[BASH].cpu_percent == 0.0
    sampler.close()
    assert open_fds() == before
