"""Fixtures shared by several test modules, and the suite's limit on open files."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bench.bench_probes import TreeSet

#: The soft limit on open files most systems give a user. The suite runs at it (or below, if the shell gave
#: less) whatever it was started with, so a test that leaves files open fails on a CI machine running as
#: root with a high limit just as it would for a contributor.
OPEN_FILES_LIMIT = 1024


def _hold_open_files_limit() -> int:
    """Lower the soft limit on open files to :data:`OPEN_FILES_LIMIT` if it is higher (a test may have
    raised it: ``perftop.tui.cli.main`` does); the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft > OPEN_FILES_LIMIT:
        resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES_LIMIT, hard))
        return OPEN_FILES_LIMIT
    return soft


def pytest_configure(config: pytest.Config) -> None:
    _hold_open_files_limit()


#: The xdist group of the tests marked ``machine``: pytest-xdist (``--dist loadgroup``) runs a group's tests
#: one after another on one worker, so no two of them change or read a setting of the machine at once.
MACHINE_GROUP = "machine"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups, in the same hook
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put every test marked ``machine`` (by itself, its class or its module) in one xdist group."""
    for item in items:
        if item.get_closest_marker("machine") is not None:
            item.add_marker(pytest.mark.xdist_group(MACHINE_GROUP))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """After each test's fixtures are torn down: stop the run, naming the test, while this process holds
    more than half its limit of open files, rather than dying later with EMFILE in some other test (or in
    pytest itself). Whatever a test opens (an App and its sampler, a scanner, a file, a child's pipes)
    must be closed by then."""
    try:
        yield
    finally:
        _stop_if_files_are_left_open(item)


def _stop_if_files_are_left_open(item: pytest.Item) -> None:
    limit = _hold_open_files_limit()
    try:
        held: int | None = len(os.listdir("/proc/self/fd"))
    except OSError:  # EMFILE: not one left
        held = None
    if held is None or held > limit // 2:
        message = (
            f"{'all' if held is None else held} files are open after {item.nodeid}, more than half the limit "
            f"of {limit}: this test, or one before it, left an App, a sampler, a scanner, a file or a "
            "child's pipes open"
        )
        if hasattr(item.config, "workerinput"):
            # In a pytest-xdist worker pytest.exit ends the worker mid-test, and the controller reports an
            # internal error without the message: the test's teardown fails with it instead, and the
            # worker stops after it, which stops the run ("Interrupted: " and the message).
            item.session.shouldstop = message
            pytest.fail(message, pytrace=False)
        pytest.exit(message, returncode=3)


@pytest.fixture
def small_trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TreeSet:
    """The benchmarks' generated trees at their smallest: 100 processes, 8 CPUs, 2 nodes, 3 disks (for the
    tests of the benchmarks; nothing else here imports them)."""
    from bench import bench_probes

    monkeypatch.setenv("PERFTOP_BENCH_TREES", str(tmp_path / "trees"))
    monkeypatch.setattr(bench_probes, "CPUS", 8)
    monkeypatch.setattr(bench_probes, "NUMA_NODES", 2)
    monkeypatch.setattr(bench_probes, "DISKS", 3)
    return bench_probes.tree_set(100)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Generator[None]:
    """Local time is UTC for the test (clock times in recordings, charts and the action log read the same
    everywhere); the machine's zone again after it."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
