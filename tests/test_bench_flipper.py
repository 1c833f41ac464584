"""bench_probes.Flipper: a tree rewritten in place between two ticks, seen through held descriptors, and
benchmark cases whose untimed step is left out of the timing."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench import bench_probes
from perftop.probes.processes import ProcessScanner, process_infos


def test_a_held_scanner_sees_every_flip(small_trees: bench_probes.TreeSet) -> None:
    flipper = bench_probes.Flipper(small_trees.tick0, small_trees.tick1)
    scanner = ProcessScanner(flipper.fs)
    readings = [scanner.scan(())]
    for _ in range(3):
        flipper.flip()
        readings.append(scanner.scan(()))
    assert scanner.held_fds == 2 * 100  # read through the same descriptors all along
    tick0 = ProcessScanner(small_trees.tick0).scan(())
    tick1 = ProcessScanner(small_trees.tick1).scan(())
    stats = [{pid: raw.stat for pid, raw in r.items()} for r in readings]
    assert stats[0] == stats[2] == {pid: raw.stat for pid, raw in tick0.items()}
    assert stats[1] == stats[3] == {pid: raw.stat for pid, raw in tick1.items()}
    rates = process_infos(readings[0], readings[1], 1.0, 100, 4096, None)
    assert any(p.cpu_percent for p in rates)
    scanner.close()


def test_unchanged_files_are_links_and_owners_are_kept(small_trees: bench_probes.TreeSet) -> None:
    flipper = bench_probes.Flipper(small_trees.tick0, small_trees.tick1)
    source, copy = Path(small_trees.tick0.procfs), Path(flipper.fs.procfs)
    pid = ProcessScanner(small_trees.tick0).list_pids()[0]
    assert os.path.samefile(source / str(pid) / "cmdline", copy / str(pid) / "cmdline")
    assert not os.path.samefile(source / "stat", copy / "stat")  # changes every tick: a copy
    assert (copy / str(pid)).stat().st_uid == (source / str(pid)).stat().st_uid
    flipper.flip()
    assert (copy / "stat").read_bytes() == (Path(small_trees.tick1.procfs) / "stat").read_bytes()


def test_work_times_the_body_only() -> None:
    calls: list[str] = []

    def slow_prepare() -> None:
        calls.append("prepare")
        time.sleep(0.05)

    case = bench_probes.Case(
        "x", lambda: bench_probes.Work(body=lambda: calls.append("body"), prepare=slow_prepare)
    )
    elapsed = case(3)
    assert calls == ["prepare", "body"] * 3
    assert elapsed < 0.05
