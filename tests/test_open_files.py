"""What stays open after an App ends: nothing of the tree it sampled. Each test counts, in its own scope,
the descriptors of this process that point into its own fixture tree."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

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
