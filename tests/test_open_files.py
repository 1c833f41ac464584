"""Open files: nothing of the tree an App sampled stays open after it ends (each test counts, in its own
scope, the descriptors of this process that point into its own fixture tree), and the suite's guard
(conftest) runs it at 1024 open files and stops it at a test that leaves half of them open."""

from __future__ import annotations

import asyncio
import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from perftop.probes.sampler import Sampler
from perftop.tui.app import AppOptions, PerftopApp
from testbed.demo import DemoMachine
from testbed.fixture_tree import make_tree, write_devices


def open_under(root: Path) -> list[str]:
    """The files and directories under ``root`` this process holds open now."""
    inside = os.path.join(os.path.realpath(root), "")
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the descriptor listdir itself used, closed by now
        if target.startswith(inside):
            found.append(target)
    return found


async def test_an_app_closes_the_files_its_sampler_held_when_it_ends(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test():
        await machine.drive(app, 2)
        # The scanner holds each process's directory and stat, the sampler the system files.
        assert len(open_under(tmp_path)) > 2 * machine.processes
    assert open_under(tmp_path) == []
    # The machine (and its sampler) live on: a later App on it samples again.
    app = machine.app()
    async with app.run_test():
        await machine.drive(app, 1)
        assert app.snapshot is not None and len(app.snapshot.processes) == machine.processes
    assert open_under(tmp_path) == []


async def test_an_app_sampling_on_its_thread_closes_them_too(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=40)
    write_devices(tmp_path, cpus=4, tick=0)
    app = PerftopApp(Sampler(fs), AppOptions(interval=0.25, first_delay=0.05))
    async with app.run_test() as pilot:
        for _ in range(200):
            if app.snapshot is not None and app.snapshot.interval is not None:
                break
            await asyncio.sleep(0.02)
        assert app.snapshot is not None and app.snapshot.interval is not None
        assert len(open_under(tmp_path)) > 2 * 40
        await pilot.press("q")
    assert open_under(tmp_path) == []


LEAKY_SUITE = """
import os
import resource

held = []


def test_raises_its_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def test_runs_at_the_suites_limit():
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == 1024


def test_leaves_files_open():
    held.extend(os.open(os.devnull, os.O_RDONLY) for _ in range(600))


def test_never_runs():
    pass
"""


@pytest.mark.live
@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["one-process", "xdist"])
def test_the_suite_runs_at_1024_open_files_and_stops_at_a_test_that_leaves_half_of_them_open(
    tmp_path: Path, workers: list[str]
) -> None:
    """The conftest's guard, on a suite of its own (a child pytest, started at the hard limit), in one
    process and in a pytest-xdist worker (where the test's teardown fails and the run is interrupted)."""
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_leaky.py").write_text(LEAKY_SUITE)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *workers, "test_leaky.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,  # a loaded machine, and pytest clearing old basetemp folders at start
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)),
    )
    out = done.stdout + done.stderr
    assert done.returncode == (2 if workers else 3), out  # interrupted, or pytest.exit's code
    if workers:
        assert "ERROR at teardown of test_leaves_files_open" in out and "Interrupted: " in out
    passed = {name for line in out.splitlines() if "PASSED" in line for name in re.findall(r"test_\w+", line)}
    assert {"test_raises_its_limit", "test_runs_at_the_suites_limit"} <= passed, out
    assert "open after test_leaky.py::test_leaves_files_open, more than half the limit of 1024" in out
    assert "test_never_runs" not in out
