"""Names and typed text from outside perftop are data, never terminal controls or markup.

Real children name themselves with escape sequences, markup and bidi marks (``/proc/self/comm`` and their
command line); the App is driven through every place that shows them, on a driver that keeps the bytes
written to the terminal, and those bytes are read.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.screen import Screen

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.action_log import ActionLogScreen
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.detail_screen import DetailScreen
from perftop.tui.dialogs import (
    AffinityDialog,
    IoPriorityDialog,
    NiceDialog,
    OomScoreDialog,
    SchedulingDialog,
)
from perftop.tui.screens import HelpScreen, PickerScreen
from perftop.widgets.safe_text import escaped, escaped_lines, printable
from testbed.demo import DemoMachine
from testbed.fixture_tree import FakeProcess
from tests.capture_driver import capture_driver, foreign_controls

#: A window title, the alternate screen switched off, a terminal reset, a status report request (the
#: terminal would answer into perftop's input), the C1 form of CSI, BEL, line breaks, a tab, a
#: right-to-left override, a zero-width space, wide characters, and markup of every kind Textual knows.
HOSTILE_ARG = (
    "X\x1b]2;pwned\x07\x1b[?1049l\x1bc\x1b[6n\x9b31m\x07 [red]R[/] [/]\n\r\tY\u202eZ\u200b"
    "漢字 [@click=app.quit]Q [link=https://example.invalid]L[/link] [b]"
)
#: Process names (comm holds 15 bytes): an OSC title sequence, and the markup that crashed notices.
HOSTILE_COMMS = ("\x1b]2;pw\x07\x1b[6n", "[/]x")

CHILD = """
import sys, time
with open("/proc/self/comm", "w") as f:
    f.write(sys.argv[1])
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def hostile_children() -> Iterator[list[subprocess.Popen[str]]]:
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, comm, HOSTILE_ARG], stdout=subprocess.PIPE, text=True)
        for comm in HOSTILE_COMMS
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield children
    finally:
        for child in children:
            child.kill()
            child.wait()
            if child.stdout is not None:
                child.stdout.close()


async def _screen(pilot: Pilot, kind: type[Screen]) -> Screen:
    for _ in range(200):
        if isinstance(pilot.app.screen, kind):
            return pilot.app.screen
        await pilot.pause(0.01)
    raise AssertionError(f"{kind.__name__} did not open; the screen is {pilot.app.screen!r}")


async def _closed(pilot: Pilot) -> None:
    await pilot.press("escape")
    for _ in range(200):
        if len(pilot.app.screen_stack) == 1:
            return
        await pilot.pause(0.01)
    raise AssertionError(f"{pilot.app.screen!r} did not close")


async def _focused(pilot: Pilot, ident: str) -> None:
    for _ in range(200):
        if pilot.app.focused is not None and pilot.app.focused.id == ident:
            return
        await pilot.pause(0.01)
    raise AssertionError(f"#{ident} did not take the focus")


async def _settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _check_written(written: list[str]) -> str:
    text = "".join(written)
    assert text, "nothing was written: the capture driver is not in use"
    assert foreign_controls(text) == []
    return text


@pytest.mark.live
async def test_hostile_names_reach_the_terminal_only_as_visible_text(
    hostile_children: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    escapes, markup = hostile_children
    log = tmp_path / "actions.sh"
    driver = capture_driver()
    app = PerftopApp(
        Sampler(FS()),
        AppOptions(autorefresh=False, pids=(escapes.pid, markup.pid), log_actions=log),
    )
    app.driver_class = driver
    keys_and_screens: list[tuple[str, type[Screen]]] = [
        ("enter", DetailScreen),
        ("n", NiceDialog),
        ("o", OomScoreDialog),
        ("Y", SchedulingDialog),
        ("a", AffinityDialog),
        ("i", IoPriorityDialog),
        ("k", PickerScreen),
    ]
    notices: set[str] = set()
    async with app.run_test(headless=False, size=(160, 50)) as pilot:
        await app.sample_now()
        await app.sample_now()
        await pilot.pause()
        for pid in (escapes.pid, markup.pid):
            assert app.table.select_pid(pid)
            await pilot.pause()
            for key, kind in keys_and_screens:
                await pilot.press(key)
                await _screen(pilot, kind)
                await pilot.pause()
                await _closed(pilot)
                await _settle(pilot)
            # R on a process that is not real-time, and F8: notices naming the process.
            for key in ("R", "f8"):
                await pilot.press(key)
                await _settle(pilot)
                notices.update(n.message for n in app._notifications)
        await pilot.press("L")
        await _screen(pilot, ActionLogScreen)
        await pilot.pause()
        await _closed(pilot)
        await pilot.press("question_mark")
        await _screen(pilot, HelpScreen)
        await _closed(pilot)
        # Markup typed into the search box (no process matches it: a notice quotes it) and the filter.
        # A paste goes past the keys' filter: its control characters must not reach the box or the screen.
        await pilot.press("backslash")
        await _focused(pilot, "filter")
        app.post_message(events.Paste("ab\x1b]2;pwned\x07\x9b31mcd\nsecond line"))
        await pilot.pause()
        assert app.filter_box.value == "ab?]2;pwned??31mcd" and app.filter_box.value.isprintable()
        await pilot.press("escape")
        for key, text in (("slash", "[/zz"), ("slash", "[red]x[/]"), ("backslash", "[@click=app.quit]")):
            await pilot.press(key)
            await _focused(pilot, "search" if key == "slash" else "filter")
            await pilot.press(*text, "enter")
            await pilot.pause()
            notices.update(n.message for n in app._notifications)
        assert app.is_running and app.return_code is None
        written = _check_written(driver.written)
    # Shown, and shown for what it is: spelled out on the detail screen, the markup as its own text.
    assert "\\e]2;pwned\\a\\e[?1049l" in written
    assert "[red]R[/]" in written and "[@click=app.quit]" in written
    assert any(f"{markup.pid} ([/]x) is SCHED_OTHER" in n for n in notices)
    assert any(f"{escapes.pid} (\\e]2;pw\\a\\e[6n) is SCHED_OTHER" in n for n in notices)
    assert any("No process matches '[/z'" in n for n in notices)
    assert all(n == escaped_lines(n) for n in notices)
    script = log.read_text()
    assert "\\e]2;pwned\\a" in script and "X\x1b" not in script
    comments = [line for line in script.splitlines() if line.startswith("# ") and "pid" in line]
    assert len(comments) == 2 and all(line.isprintable() for line in comments)
    # Every other line of the script is a command perftop wrote: no line of a command line got out.
    assert [line for line in script.splitlines() if not line.startswith(("#", "renice "))] == []


@pytest.mark.slow
async def test_hostile_names_on_a_foreign_tree_reach_the_terminal_only_as_visible_text(
    tmp_path: Path,
) -> None:
    """A procfs root that is not ours (a container's, a copy) may hold anything: every pane is drawn."""
    machine = DemoMachine(tmp_path)
    machine.extra = [
        FakeProcess(
            pid=4242,
            comm="\x1b]2;pw\x07\x1b[6n",
            cmdline=(HOSTILE_ARG, "--x"),
            utime_rate=90,
            start_time=5000,
        )
    ]
    driver = capture_driver()
    app = machine.app()
    app.driver_class = driver
    async with app.run_test(headless=False, size=(200, 50)) as pilot:
        await machine.drive(app, 2)
        await pilot.pause()
        assert app.table.select_pid(4242)
        for key in ("1", "2", "3", "4", "5", "1"):
            await pilot.press(key)
            await machine.drive(app, 1)
            await pilot.pause()
        await pilot.press("enter")
        await _screen(pilot, DetailScreen)
        await pilot.pause()
        written = _check_written(driver.written)
    assert "?]2;pwned??[?1049l" in written  # the table's form: one ? per control character
    assert "\\e]2;pwned\\a" in written  # the detail screen's


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain ✓ 日本", "plain ✓ 日本"),
        ("a\x1b[2Jb", "a\\e[2Jb"),
        ("bell\x07 tab\t nl\n cr\r nul\x00", "bell\\a tab\\t nl\\n cr\\r nul\\0"),
        ("c1\x9b31m del\x7f", "c1\\x9b31m del\\x7f"),
        ("rtl\u202eabc zw\u200bx bom\ufeff", "rtl\\u202eabc zw\\u200bx bom\\ufeff"),
    ],
)
def test_escaped_spells_out_every_control(text: str, shown: str) -> None:
    assert escaped(text) == shown
    assert escaped(shown) == shown  # nothing left to escape: escaping twice changes nothing
    assert printable(text).isprintable() and len(printable(text)) == len(text)


def test_escaped_lines_keeps_only_its_own_line_breaks() -> None:
    assert escaped_lines("one\x1b[31m\ntwo\tthree") == "one\\e[31m\ntwo\\tthree"


@pytest.mark.slow
async def test_hostile_names_in_a_recording_reach_the_terminal_only_as_visible_text(tmp_path: Path) -> None:
    """A recording is somebody else's file: its names, command lines and actions are data in a replay too
    (the table, the action log, the before/after comparison)."""
    from dataclasses import replace

    from perftop.tui.action_records import ActionRecord, Subject
    from perftop.tui.comparison_screen import ComparisonScreen
    from perftop.tui.recording import Recorder, Recording
    from perftop.tui.replay_app import ReplayApp
    from perftop.tui.tuning import Target
    from testbed.fixture_tree import SteppingClock, make_tree
    from tests.factories import make_proc

    fs = make_tree(tmp_path / "tree", cpus=2, processes=4)
    sampler = Sampler(fs, clock=SteppingClock())
    sampler.sample()
    base = sampler.sample()
    sampler.close()
    rows = tuple(
        make_proc(100 + k, comm=HOSTILE_COMMS[k % 2], cmdline=HOSTILE_ARG, cpu_percent=float(k))
        for k in range(6)
    )
    subject = Subject(Target(100, rows[0].start_time), HOSTILE_COMMS[0], HOSTILE_ARG)
    action = ActionRecord(base.time + 2.5, subject, "nice", "0", "5", "renice -n 5 -p 100", "ok")
    path = tmp_path / "hostile.perftop"
    recorder = Recorder(path, interval=1.0, hostname=HOSTILE_COMMS[0])
    for k in range(6):
        recorder.add(replace(base, time=base.time + k, processes=rows), actions=[action] if k == 3 else [])
    recorder.close()
    driver = capture_driver()
    app = ReplayApp(Recording(path), options=AppOptions(pids=(100,)))
    app.driver_class = driver
    async with app.run_test(headless=False, size=(160, 50)) as pilot:
        for _ in range(20):
            await pilot.pause(0.05)
            if app.action_log:
                break
        for key in (".", ".", ".", "L"):
            await pilot.press(key)
            await pilot.pause(0.1)
        assert isinstance(app.screen, ActionLogScreen)
        await pilot.press("enter")
        await _screen(pilot, ComparisonScreen)
        await pilot.pause(0.1)
    written = "".join(driver.written)
    assert "\x1b]2;pw" not in written
    assert foreign_controls(written) == []
    assert escaped(HOSTILE_COMMS[0]) in written or printable(HOSTILE_COMMS[0]) in written
