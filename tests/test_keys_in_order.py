"""Keys that arrive together (a paste, a macro, a slow SSH link) are applied in the order they were typed,
each by what has the focus once the keys before it are done (issue 15 item 8).

The keys are posted to the App at once, as the driver posts what it read from one write: nothing waits
for one key to be handled before the next arrives.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual import events
from textual._xterm_parser import XTermParser
from textual.pilot import Pilot

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.app import AppOptions, PerftopApp
from testbed.demo import DemoMachine

F8 = "\x1b[19~"
CTRL_U = "\x15"
BACKSPACE = "\x7f"


def typed(app: PerftopApp, data: str) -> None:
    """``data`` as the terminal sends it in one write: parsed into events and posted to the App at once."""
    for event in XTermParser(False).feed(data):
        app.post_message(event)


async def settled(pilot: Pilot[None]) -> None:
    await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def machine(tmp_path: Path) -> DemoMachine:
    return DemoMachine(tmp_path)


async def test_keys_typed_together_into_a_box_are_applied_in_order(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 2)
        await pilot.press("backslash")
        typed(app, f"ba{BACKSPACE}c")
        await settled(pilot)
        assert app.filter_box.value == "bc"
        assert app.table.filter_text == "bc"
        await pilot.press("escape", "slash")
        typed(app, f"xy{BACKSPACE}{BACKSPACE}ja{BACKSPACE}av")
        await settled(pilot)
        assert app.search_box.value == "jav"


async def test_keys_after_enter_go_where_the_focus_is_after_it(machine: DemoMachine) -> None:
    """The box takes the text, Enter keeps the filter and closes the box, and q quits."""
    app = machine.app()
    async with app.run_test(size=(120, 40)):
        await machine.drive(app, 2)
        typed(app, "\\java\rq")
        for _ in range(200):
            if app.return_code is not None:
                break
            await asyncio.sleep(0.01)
        assert app.table.filter_text == "java"
        assert app.return_code == 0  # quit by the q


@pytest.fixture
def sleepers() -> Iterator[tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]]:
    children = (subprocess.Popen(["sleep", "60"]), subprocess.Popen(["sleep", "61"]))
    try:
        for child in children:
            for _ in range(500):
                if Path(f"/proc/{child.pid}/cmdline").read_bytes().startswith(b"sleep"):
                    break
        yield children
    finally:
        for child in children:
            child.kill()
            child.wait()


@pytest.mark.live
async def test_a_filter_kept_and_f8_in_one_write_renice_the_process_filtered_to(
    sleepers: tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]],
) -> None:
    """``\\``, ctrl+u, the text, Enter and F8 in one write: the box is emptied before the text goes in, Enter
    keeps the filter and chooses the one process left, and F8 renices that process, not the one the cursor
    was on."""
    first, second = sleepers
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(first.pid, second.pid)))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        await pilot.press("backslash", *"sleep", "enter")  # a filter both match; the first is chosen
        assert app.table.selected_pid == first.pid
        typed(app, f"\\{CTRL_U}61\r{F8}")
        await settled(pilot)
        for _ in range(200):
            if os.getpriority(os.PRIO_PROCESS, second.pid) != 0:
                break
            await asyncio.sleep(0.01)
        assert app.table.filter_text == "61"
        assert app.table.selected_pid == second.pid
        assert os.getpriority(os.PRIO_PROCESS, second.pid) == 1
        assert os.getpriority(os.PRIO_PROCESS, first.pid) == 0


@pytest.mark.live
async def test_keys_typed_right_after_a_dialog_key_go_to_its_dialog(
    sleepers: tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]],
) -> None:
    """``n``, ``7`` and Enter in one write: the dialog opens only once the current nice is read (in a
    thread), and the ``7`` and Enter typed before that are its, not the table's (Enter there would open
    the detail screen, a ``5`` show pane 5)."""
    first, _ = sleepers
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(first.pid,)))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        await pilot.pause()
        typed(app, "n7\r")
        for _ in range(300):
            if os.getpriority(os.PRIO_PROCESS, first.pid) == 7:
                break
            await asyncio.sleep(0.01)
        assert os.getpriority(os.PRIO_PROCESS, first.pid) == 7
        assert len(app.screen_stack) == 1  # the dialog closed, and nothing else opened
        assert app.pane == 1
        await settled(pilot)
        typed(app, "o")
        app.post_message(events.Key("escape", None))  # at once: Esc typed with the key cancels its dialog
        await settled(pilot)
        assert len(app.screen_stack) == 1 and not app.awaiting_dialog
