"""The tuning dialogs on their own, at 80x24: Apply in reach, Enter applying from any field, options
opening on the current setting, and marks that read without colour.

Each dialog is pushed on a bare App with the values a flow would give it (no process is touched: what a
dialog answers is checked, and the tests of the flows and the keys check what the answers do).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input

from perftop.tui.dialogs import (
    AffinityDialog,
    Choices,
    ConfirmDialog,
    IoPriorityDialog,
    NiceDialog,
    OomScoreDialog,
    RtPriorityDialog,
    SchedulingDialog,
    Tick,
)
from perftop.tui.screens import PickerScreen
from perftop.tui.tuning_flows import AffinityChoice, IoChoice, SchedulingChoice
from tests.capture_driver import capture_driver
from tests.terminal_model import Terminal

SIZE = (80, 24)
#: A subject as long as real ones get: two tagged processes with their command lines.
SUBJECT = "2 tagged processes: 1290 (postgres), 1377 (java -Xmx2g -jar /opt/app/service.jar --port 8080)"
NODES = [(0, tuple(range(0, 32))), (1, tuple(range(32, 64)))]

DIALOGS: dict[str, Callable[[], ModalScreen[Any]]] = {
    "nice": lambda: NiceDialog(SUBJECT, "now: nice 5", 5),
    "oom": lambda: OomScoreDialog(SUBJECT, "now: OOM score adjustment 1290: 0, 1377: 0", 0),
    "rt_priority": lambda: RtPriorityDialog(SUBJECT, "now: policy SCHED_FIFO 10", os.SCHED_FIFO, 10),
    "scheduling": lambda: SchedulingDialog(
        SUBJECT, "now: policy 1290: SCHED_OTHER, 1377: mixed", os.SCHED_RR, 7
    ),
    "ionice": lambda: IoPriorityDialog(SUBJECT, "now: IO priority best-effort 4", "best-effort", 4),
    "affinity": lambda: AffinityDialog(SUBJECT, "now: CPUs 0-63", range(64), NODES, range(8)),
    "confirm": lambda: ConfirmDialog(
        "Real-time scheduling",
        f"Set SCHED_FIFO priority 60 on {SUBJECT}?",
        "priority 60 is at or above the kernel's interrupt threads (50): a busy task there delays "
        "interrupts and can starve its CPU; the targets may run on every online CPU (0-63): busy "
        "real-time tasks can starve all of them, the shell you would stop them from included",
    ),
}

#: What Enter answers in each tuning dialog as it opens (its fields as the flows fill them).
ANSWERS: dict[str, object] = {
    "nice": 5,
    "oom": 0,
    "rt_priority": 10,
    "scheduling": SchedulingChoice(os.SCHED_RR, 7, reset_on_fork=False, all_threads=True),
    "ionice": IoChoice("best-effort", 4, all_threads=True),
    "affinity": AffinityChoice(frozenset(range(8)), all_threads=True),
}

_NOTHING = object()


class DialogApp(App[None]):
    """Shows one dialog and keeps what it was dismissed with."""

    def __init__(self, dialog: ModalScreen[Any]) -> None:
        super().__init__()
        self.dialog = dialog
        self.answer: object = _NOTHING

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self._answered)

    def _answered(self, answer: object) -> None:
        self.answer = answer


def _fields(dialog: ModalScreen[Any]) -> list[Widget]:
    """The dialog's fields: what takes the focus, its buttons aside."""
    return [w for w in dialog.query("*") if w.focusable and not isinstance(w, Button)]


def _fully_shown(pilot: Pilot, widget: Widget) -> bool:
    """Every cell of ``widget`` is on the screen and it is the widget drawn there."""
    region = widget.region
    screen = pilot.app.screen
    if region.area == 0 or not screen.region.contains_region(region):
        return False
    corners = [(region.x, region.y), (region.right - 1, region.bottom - 1)]
    return all(screen.get_widget_at(x, y)[0] is widget for x, y in corners)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DIALOGS))
async def test_tab_reaches_apply_and_it_is_on_screen_at_80x24(name: str) -> None:
    app = DialogApp(DIALOGS[name]())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = app.screen
        apply = dialog.query_one("#apply" if name != "confirm" else "#yes", Button)
        cancel = dialog.query_one("#cancel" if name != "confirm" else "#no", Button)
        for _ in range(len(_fields(dialog)) + 3):
            if app.focused is apply:
                break
            await pilot.press("tab")
        assert app.focused is apply
        await pilot.pause()
        assert _fully_shown(pilot, apply) and _fully_shown(pilot, cancel)
        await pilot.press("enter")
        await pilot.pause()
        assert app.answer is not _NOTHING and app.answer is not None  # applied (confirm: yes)


def _kinds(dialog: ModalScreen[Any]) -> list[Widget]:
    """One field of each kind (of 64 CPU boxes, the first)."""
    seen: set[tuple[type, type]] = set()
    kinds = []
    for field in _fields(dialog):
        kind = (type(field), type(field.parent))
        if kind not in seen:
            seen.add(kind)
            kinds.append(field)
    return kinds


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ANSWERS))
async def test_enter_applies_from_every_field(name: str) -> None:
    """Option lists and checkboxes included: Enter neither toggles nor moves, it applies what is shown."""
    app = DialogApp(DIALOGS[name]())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        count = len(_kinds(app.screen))
        assert count >= 2 if name not in ("nice", "oom", "rt_priority") else count == 1
        for index in range(count):
            if index:  # a fresh dialog for each field
                app.answer = _NOTHING
                await app.push_screen(DIALOGS[name](), app._answered)
                await pilot.pause()
            field = _kinds(app.screen)[index]
            field.focus()
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert app.answer == ANSWERS[name], f"Enter in {field!r}"


@pytest.mark.parametrize(
    ("make", "selector", "index", "count"),
    [
        (lambda: SchedulingDialog(SUBJECT, "now: policy SCHED_RR 7", os.SCHED_RR, 7), "#policy", 4, 5),
        (lambda: SchedulingDialog(SUBJECT, "now: policy SCHED_IDLE", os.SCHED_IDLE, 0), "#policy", 2, 5),
        (lambda: IoPriorityDialog(SUBJECT, "now: IO priority idle", "idle"), "#ioclass", 3, 4),
    ],
)
async def test_an_option_list_opens_on_the_current_setting(
    make: Callable[[], ModalScreen[Any]], selector: str, index: int, count: int
) -> None:
    app = DialogApp(make())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        choices = app.screen.query_one(selector, Choices)
        assert app.focused is choices and choices.index == index
        await pilot.press("down")  # the arrows choose at once, wrapping round
        assert choices.index == (index + 1) % count
        await pilot.press("up")
        assert choices.index == index


async def test_the_affinity_summary_never_shows_a_set_the_field_no_longer_holds() -> None:
    app = DialogApp(AffinityDialog(SUBJECT, "now: CPUs 0-3", range(4), [(0, (0, 1, 2, 3))], range(4)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = app.screen
        forms = dialog.query_one("#cpu-forms")
        assert "list 0-3 = mask 0xf" in str(forms.render())
        field = dialog.query_one("#cpus", Input)
        field.value = ""
        await pilot.press(*"0x1")
        await pilot.pause()
        assert "list 0 = mask 0x1" in str(forms.render())
        await pilot.press("backspace")  # "0x": no CPU set
        await pilot.pause()
        assert "list" not in str(forms.render()) and "mask 0x1" not in str(forms.render())
        assert "not a hex CPU mask" in dialog.error  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        assert app.answer is _NOTHING  # refused: nothing applied


# --- without colour: the chosen option and the ticked boxes differ by a character --------------------


async def _screen_text(dialog: ModalScreen[Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The screen as a terminal shows it with ``NO_COLOR`` set, one string a line."""
    monkeypatch.setenv("NO_COLOR", "1")
    driver = capture_driver()
    app = DialogApp(dialog)
    app.driver_class = driver
    async with app.run_test(headless=False, size=SIZE) as pilot:
        await pilot.pause()
        assert app.no_color
    terminal = Terminal(*SIZE)
    terminal.feed("".join(driver.written))
    return terminal.text()


def _marks(lines: list[str]) -> list[str]:
    """The lines that show a mark (``▐?▌``), from the mark on."""
    return [line[line.index("▐") :].rstrip(" │") for line in lines if "▐" in line]


async def test_without_colour_the_chosen_policy_and_the_ticks_are_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = SchedulingDialog(SUBJECT, "now: policy SCHED_FIFO 10", os.SCHED_FIFO, 10, reset_on_fork=False)
    marks = _marks(await _screen_text(dialog, monkeypatch))
    assert [line[:16] for line in marks] == [
        "▐ ▌ SCHED_OTHER ",
        "▐ ▌ SCHED_BATCH ",
        "▐ ▌ SCHED_IDLE  ",
        "▐●▌ SCHED_FIFO  ",
        "▐ ▌ SCHED_RR    ",
        "▐ ▌ reset on for",
        "▐X▌ all threads ",
    ]


async def test_without_colour_the_ticked_cpus_are_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = AffinityDialog(SUBJECT, "now: CPUs 1,3", range(4), [(0, (0, 1)), (1, (2, 3))], {1, 3})
    marks = [" ".join(line.split()) for line in _marks(await _screen_text(dialog, monkeypatch))]
    assert marks == ["▐ ▌ 0 ▐X▌ 1", "▐ ▌ 2 ▐X▌ 3", "▐X▌ all threads (off: the main thread only)"]


async def test_without_colour_a_picker_marks_the_setting_in_force(monkeypatch: pytest.MonkeyPatch) -> None:
    choices = [("cpu", "CPU%"), ("mem", "MEM%"), ("time", "TIME+")]
    lines = await _screen_text(PickerScreen("Sort by", choices, "mem"), monkeypatch)
    rows = [" ".join(line.split()) for line in lines if "%" in line or "TIME+" in line]
    assert [row.strip("▊▎ ") for row in rows] == ["CPU%", "● MEM%", "TIME+"]


async def test_a_tick_follows_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    app = DialogApp(SchedulingDialog(SUBJECT, "now: policy SCHED_OTHER"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tick = app.screen.query_one("#reset-on-fork", Tick)
        assert "▐ ▌" in tick.render().plain
        tick.focus()
        await pilot.press("space")
        assert tick.value and "▐X▌" in tick.render().plain
