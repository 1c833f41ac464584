"""The pane registry: a pane registered in a test gets its key, its help and its samples like the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Static

from perftop.probes.fs import FS
from perftop.probes.snapshot import Snapshot
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.bindings import app_bindings
from perftop.tui.panes import PANES, SOCKET_TABLES, Details, Pane, PaneKey
from perftop.tui.screens import HelpScreen, PickerScreen
from testbed.demo import DemoMachine


class CountingPane(Static):
    """A pane that keeps what reached it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.recorded: list[Snapshot] = []
        self.shown: list[Snapshot] = []
        self.frozen: list[bool] = []
        self.details: list[int | None] = []

    def show(self, snapshot: Snapshot) -> None:
        self.shown.append(snapshot)
        self.update(Text(f"{len(snapshot.processes)} processes"))


def _selected_pid(fs: FS, snapshot: Snapshot, pid: int | None) -> int | None:
    return pid


# Above the digits the registry uses.
TEST_PANE: Pane[CountingPane] = Pane(
    number=9,
    title="test",
    detail="counts the samples that reach it",
    widget=CountingPane,
    record=lambda pane, snapshot, marked: pane.recorded.append(snapshot),
    show=CountingPane.show,
    freeze=lambda pane, frozen: pane.frozen.append(frozen),
    sampled=(SOCKET_TABLES,),
    details=Details(_selected_pid, lambda pane, pid: pane.details.append(pid)),
    keys=(
        PaneKey(
            "exclamation_mark", "!", "say how many samples it has", lambda p: f"{len(p.recorded)} samples"
        ),
    ),
)


class AppWithTestPane(PerftopApp):
    PANES = (*PANES, TEST_PANE)
    BINDINGS = app_bindings(PANES)


def counting_pane_of(app: PerftopApp) -> CountingPane:
    widget = app._panes[TEST_PANE.number][1]
    assert isinstance(widget, CountingPane)
    return widget


@pytest.mark.slow
async def test_a_registered_pane_gets_its_key_help_samples_and_details(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = AppWithTestPane(machine.sampler, AppOptions(autorefresh=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 2)
        widget = counting_pane_of(app)
        # Not mounted until first shown, but every sample reached it: its history has no gap.
        assert not app.query("#pane-test")
        assert len(widget.recorded) == 3 and len(widget.shown) == 3
        # What it needs sampled is not read while another pane is shown.
        assert app.snapshot is not None and app.snapshot.net.tcp_states is None
        assert widget.details == []

        await pilot.press("9")
        assert app.pane == 9 and app.query_one("#pane-test").display
        assert not app.query_one("#pane-overview").display
        await machine.drive(app, 1)
        assert app.snapshot.net.tcp_states is not None  # sampled while shown
        assert widget.details and widget.details[-1] == app.table.selected_pid
        assert "processes" in str(widget.render())

        await pilot.press("exclamation_mark")
        assert any(n.message == "4 samples" for n in app._notifications)

        await pilot.press("Z")  # frozen: still recorded, no longer shown
        await machine.drive(app, 1)
        assert widget.frozen == [True] and len(widget.recorded) == 5 and len(widget.shown) == 4
        await pilot.press("Z")
        assert widget.frozen == [True, False] and len(widget.shown) == 5  # unfreezing shows the latest

        await pilot.press("1")
        await machine.drive(app, 1)
        assert app.pane == 1 and app.snapshot.net.tcp_states is None  # hidden: not sampled any more
        assert len(widget.recorded) == 6  # but recorded still
        details = len(widget.details)
        await machine.drive(app, 1)
        assert len(widget.details) == details  # its reads only while shown

        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.text
        assert "test pane: counts the samples that reach it" in help_text
        assert "test pane: say how many samples it has" in help_text


async def test_a_registered_pane_key_does_not_act_behind_a_dialog(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = AppWithTestPane(machine.sampler, AppOptions(autorefresh=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 1)
        await pilot.press("f6")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("9", "exclamation_mark")
        assert app.pane == 1 and not app._notifications


def test_the_registry_numbers_and_names_panes_once() -> None:
    assert [p.number for p in PANES] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert [p.ident for p in PANES] == [
        "pane-overview",
        "pane-cpu",
        "pane-numa",
        "pane-io",
        "pane-sockets",
        "pane-memory",
        "pane-interrupts",
        "pane-tunables",
    ]
    assert len({p.title for p in PANES}) == len(PANES)
