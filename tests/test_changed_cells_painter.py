"""The App paints what its line widgets found changed in one compositor pass, without Textual's messages
per widget, and the terminal still ends up holding what a full redraw draws: over a dialog, across
pane switches, resizes and a frozen display."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual import messages
from textual._compositor import Compositor
from textual.app import App
from textual.message_pump import MessagePump

from perftop.tui.screens import PickerScreen
from perftop.widgets import textual_fence
from perftop.widgets.changed_cells import ChangedCells
from testbed.demo import DemoMachine
from testbed.fixture_tree import FakeProcess
from tests.terminal_model import CONSOLE, Terminal


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[DemoMachine]:
    machine = DemoMachine(tmp_path)
    yield machine
    machine.close()


def _full(app: App[None], render_update=Compositor.render_update) -> Terminal:
    terminal = Terminal(*app.size)
    update = render_update(app.screen._compositor, full=True, screen_stack=app._background_screens)
    terminal.feed(update.render_segments(CONSOLE))
    return terminal


async def test_each_sample_is_painted_once_with_no_update_message_per_widget(
    machine: DemoMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[bool] = []
    updates: list[object] = []
    render_update = Compositor.render_update
    post_message = MessagePump.post_message

    def counted_render(compositor: Compositor, *args: object, **kwargs: object) -> object:
        update = render_update(compositor, *args, **kwargs)
        renders.append(update is not None)
        return update

    def counted_post(pump: MessagePump, message: object) -> bool:
        if isinstance(message, messages.Update) and isinstance(message.widget, ChangedCells):
            updates.append(message.widget)
        return post_message(pump, message)

    app = machine.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await machine.drive(app, 2)
        await pilot.pause()
        assert app.table.paint_changes is not None
        monkeypatch.setattr(Compositor, "render_update", counted_render)
        monkeypatch.setattr(MessagePump, "post_message", counted_post)
        for _ in range(5):
            await machine.drive(app, 1)
            await pilot.pause()
        assert updates == []
        # One render a sample (the status line may add one of its own at most).
        assert 5 <= renders.count(True) <= 6


@pytest.mark.slow
async def test_the_terminal_holds_a_full_redraw_after_samples_dialogs_panes_resizes_and_freezes(
    machine: DemoMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal: list[Terminal] = []
    render_update = Compositor.render_update

    def written(compositor: Compositor, *args: object, **kwargs: object) -> object:
        update = render_update(compositor, *args, **kwargs)
        if terminal and update is not None:
            terminal[0].feed(update.render_segments(CONSOLE))
        return update

    async def check() -> None:
        await pilot.pause()
        await pilot.pause()
        assert terminal[0].text() == _full(app, render_update).text()
        assert terminal[0].lines == _full(app, render_update).lines

    # Busy processes come and go, so the rows below them move up and down across samples.
    busy = [FakeProcess(pid=900 + i, comm=f"busy{i}", utime_rate=5 + 7 * i) for i in range(8)]
    app = machine.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await machine.drive(app, 2)
        await pilot.pause()
        assert textual_fence.install()
        monkeypatch.setattr(Compositor, "render_update", written)
        terminal.append(_full(app, render_update))
        for tick in range(12):
            machine.extra = [process for i, process in enumerate(busy) if (i + tick) % 3]
            await machine.drive(app, 1)
            await check()
        # Samples shown while a dialog is on top go Textual's way, and the screen under it follows.
        await pilot.press("f6")
        assert isinstance(app.screen, PickerScreen)
        await check()
        await machine.drive(app, 2)
        await check()
        await pilot.press("escape")
        await check()
        await machine.drive(app, 1)
        await check()
        # Another pane and back, a resize, a freeze.
        await pilot.press("2")
        await machine.drive(app, 1)
        await check()
        await pilot.press("1")
        await machine.drive(app, 1)
        await check()
        await pilot.resize_terminal(110, 28)
        terminal[0] = _full(app, render_update)
        await machine.drive(app, 1)
        await check()
        await pilot.press("Z")
        await machine.drive(app, 1)
        await check()
        await pilot.press("Z")
        await machine.drive(app, 1)
        await check()
        # A batch of updates begun between a sample and its paint: the widgets go Textual's way, which
        # paints them once the batch ends.
        await machine.drive(app, 1)
        with app.batch_update():
            await pilot.pause()
        await check()
