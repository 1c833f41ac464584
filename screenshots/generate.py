"""Regenerate every SVG in screenshots/ from the deterministic demo machine.

    python screenshots/generate.py

The pictures come from the same fixture tree and key presses as the snapshot tests, so the README's
pictures never drift from the code. Any user can run it: the demo machine's process owners do not depend
on who wrote its tree.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from testbed.demo import DemoMachine, demo_renice  # noqa: E402

#: name -> (terminal size, CPUs of the demo machine, keys pressed before the picture)
SHOTS: dict[str, tuple[tuple[int, int], int, tuple[str, ...]]] = {
    "main-80x24": ((80, 24), 4, ()),
    "main-low-bandwidth-80x24": ((80, 24), 4, ("b",)),
    "main-160x50": ((160, 50), 4, ()),
    "main-256-cpus-200x50": ((200, 50), 256, ()),
    "cpu-pane-120x30": ((120, 30), 16, ("2",)),
    "help-100x40": ((100, 40), 4, ("question_mark",)),
    "numa-pane-100x30": ((100, 30), 4, ("3",)),
    "io-pane-100x30": ((100, 30), 4, ("4",)),
    "sockets-pane-100x40": ((100, 40), 4, ("5",)),
    "memory-pane-80x24": ((80, 24), 4, ("6",)),
    "memory-pane-200x50": ((200, 50), 4, ("6",)),
    "interrupts-pane-80x24": ((80, 24), 4, ("7",)),
    "interrupts-pane-256-cpus-200x50": ((200, 50), 256, ("7",)),
    "tunables-pane-80x24": ((80, 24), 4, ("8",)),
    "tunables-pane-200x50": ((200, 50), 4, ("8",)),
    "tree-80x24": ((80, 24), 4, ("t",)),
    "tree-200x50": ((200, 50), 4, ("t",)),
    # H: threads as rows under their process (flat), and in the tree view.
    "threads-80x24": ((80, 24), 4, ("H",)),
    "threads-tree-200x50": ((200, 50), 4, ("t", "H")),
    # The java process, found with /, in a Docker container whose CPU quota throttles it.
    "detail-80x24": ((80, 24), 4, ("slash", "j", "a", "v", "a", "enter", "enter")),
    "detail-200x50": ((200, 50), 4, ("slash", "j", "a", "v", "a", "enter", "enter")),
    # l on the same java process: its descriptors, the listening socket among them.
    "open-files-80x24": ((80, 24), 4, ("slash", "j", "a", "v", "a", "enter", "l")),
    "open-files-160x40": ((160, 40), 4, ("slash", "j", "a", "v", "a", "enter", "l")),
    # A renice of the busiest process 12 samples before the picture: its markers on the CPU pane's graphs,
    # and its before/after comparison (Enter in L).
    "marker-cpu-pane-120x30": ((120, 30), 4, ("2",)),
    "compare-80x24": ((80, 24), 4, ("L", "enter")),
    "compare-120x40": ((120, 40), 4, ("L", "enter")),
}

#: The shots with a tuning action in the log (see ``shoot``).
MARKED = frozenset({"marker-cpu-pane-120x30", "compare-80x24", "compare-120x40"})

#: Samples taken after the keys, for the shots that need more than one: the memory pane reads its details
#: once shown, and their rates need a second sample.
#: The thread view reads threads from the sample after H on, and their rates need a second one.
SAMPLES_AFTER: dict[str, int] = {
    "memory-pane-80x24": 2,
    "memory-pane-200x50": 2,
    "threads-80x24": 2,
    "threads-tree-200x50": 2,
}

#: Replay (``perftop --replay``) of a 40-sample demo recording with a renice at sample 9 and a sysctl at 26:
#: name -> (terminal size, keys pressed after opening it at sample 29).
REPLAY_SHOTS: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "replay-80x24": ((80, 24), ("full_stop", "full_stop", "plus")),
    "replay-160x40": ((160, 40), ("full_stop", "full_stop", "plus")),
    "replay-actions-100x30": ((100, 30), ("L",)),
}


async def shoot(name: str, size: tuple[int, int], cpus: int, keys: tuple[str, ...]) -> Path:
    """Run the demo App at ``size``, press ``keys``, and save the screen as ``name``.svg."""
    with tempfile.TemporaryDirectory() as tmp:
        marked = name in MARKED
        machine = DemoMachine(Path(tmp), cpus=cpus, ticking=marked)
        app = machine.app()
        async with app.run_test(size=size) as pilot:
            if marked:
                # Samples whose time advances, a renice in the log between two of them, and more after.
                await machine.drive(app, 18)
                assert app.snapshot is not None
                app.record_actions([demo_renice(app.snapshot)])
                await machine.drive(app, 11)
            else:
                await machine.drive(app, 30)
            await pilot.press(*keys)
            await app.workers.wait_for_complete()
            # A pane may read more once shown (socket tables, the memory details).
            await machine.drive(app, SAMPLES_AFTER.get(name, 1))
            if app.snapshot is not None and app.snapshot.interrupts is not None:
                await machine.drive(app, 1)  # its first read once shown is the baseline of its rates
            await app.refresh_pane_details(force=True)
            await pilot.pause()
            path = HERE / f"{name}.svg"
            path.write_text(app.export_screenshot(title=f"perftop {size[0]}x{size[1]}"))
    return path


async def shoot_replay(name: str, size: tuple[int, int], keys: tuple[str, ...]) -> Path:
    """Replay a demo recording at ``size``, press ``keys``, and save the screen as ``name``.svg (times in
    UTC, so the picture is the same everywhere)."""
    from perftop.tui.recording import Recording
    from perftop.tui.replay_app import ReplayApp
    from tests.replay_recordings import record_demo

    os.environ["TZ"] = "UTC"
    time.tzset()
    with tempfile.TemporaryDirectory() as tmp:
        # A relative path, so the action log's note names the same file at every run.
        cwd = Path.cwd()
        os.chdir(tmp)
        try:
            path = Path("demo.perftop")
            record_demo(Path("tree"), path, 40, actions_at={8: "renice", 25: "sysctl"})
            app = ReplayApp(Recording(path), start=28)
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.press(*keys)
                await app.workers.wait_for_complete()
                await pilot.pause()
                out = HERE / f"{name}.svg"
                out.write_text(app.export_screenshot(title=f"perftop --replay {size[0]}x{size[1]}"))
        finally:
            os.chdir(cwd)
    return out


async def main(names: list[str]) -> None:
    for name, (size, cpus, keys) in SHOTS.items():
        if names and name not in names:
            continue
        print(await shoot(name, size, cpus, keys))
    for name, (size, keys) in REPLAY_SHOTS.items():
        if names and name not in names:
            continue
        print(await shoot_replay(name, size, keys))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
