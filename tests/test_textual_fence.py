"""The Textual fence installs every patch or none, and perftop shows the same screen either way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import textual.constants
from textual._compositor import ChopsUpdate, Compositor
from textual.drivers.linux_driver import LinuxDriver
from textual.widgets import Static

from perftop.tui import cli, input_driver
from perftop.widgets import textual_fence
from testbed.demo import DemoMachine
from testbed.fixture_tree import FakeProcess
from tests.capture_driver import capture_driver
from tests.terminal_model import Terminal

#: What the terminal model leaves out: DEC private modes (cursor, synchronized output) and OSC sequences.
_NOT_MODELLED = re.compile(r"\x1b\[\?[0-9;]*[hl]|\x1b\][^\x07]*\x07")


@pytest.fixture
def textuals_own() -> Iterator[tuple[object, object]]:
    """The fence uninstalled, with Textual's own methods; installed again afterwards if it was."""
    was_installed = textual_fence.installed()
    textual_fence.uninstall()
    yield ChopsUpdate.render_segments, Compositor.render_partial_update
    textual_fence.uninstall()
    if was_installed:
        textual_fence.install()


def _refusing(monkeypatch: pytest.MonkeyPatch, failing: int) -> str:
    """Make check number ``failing`` fail, as on a Textual without what it checks; returns its words."""
    checks = list(textual_fence.CHECKS)
    what, _check = checks[failing]
    checks[failing] = (what, lambda: False)
    monkeypatch.setattr(textual_fence, "CHECKS", tuple(checks))
    return what


def _nothing_installed(textuals: tuple[object, object]) -> None:
    assert not textual_fence.installed()
    assert (ChopsUpdate.render_segments, Compositor.render_partial_update) == textuals
    assert input_driver.driver_class(LinuxDriver) is LinuxDriver
    widget = Static()
    assert textual_fence.plain_line_cache(widget, True) is None
    assert not isinstance(widget._styles_cache, textual_fence.PlainLines)
    assert textual_fence.styles_key(widget) is None


def test_on_this_textual_every_patch_is_installed(textuals_own: tuple[object, object]) -> None:
    assert textual_fence.refusal() is None
    assert textual_fence.install()
    assert textual_fence.installed()
    assert ChopsUpdate.render_segments is not textuals_own[0]
    assert Compositor.render_partial_update is not textuals_own[1]
    assert input_driver.driver_class(LinuxDriver) is input_driver.QuietLinuxDriver
    widget = Static()
    assert isinstance(textual_fence.plain_line_cache(widget, True), textual_fence.PlainLines)
    assert textual_fence.styles_key(widget) is not None
    assert textual_fence.install()  # a second App: nothing more to do


@pytest.mark.parametrize("failing", range(len(textual_fence.CHECKS)))
def test_a_failed_check_installs_nothing(
    textuals_own: tuple[object, object], monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    what = _refusing(monkeypatch, failing)
    assert textual_fence.refusal() == f"this Textual differs in {what}"
    assert not textual_fence.install()
    _nothing_installed(textuals_own)


def test_a_compositor_that_differs_leaves_the_chops_update_alone(
    textuals_own: tuple[object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks come before any patch: a Textual whose ChopsUpdate is as expected but whose Compositor
    is not gets neither patched (the fence used to patch the first, then give up)."""
    monkeypatch.delattr(Compositor, "_regions_to_spans")
    assert "Compositor" in (textual_fence.refusal() or "")
    assert not textual_fence.install()
    _nothing_installed(textuals_own)


def test_version_names_textual_and_the_rendering_perftop_uses_on_it(
    textuals_own: tuple[object, object], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit):
        cli.main(["--version"])
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("perftop ")
    assert second.startswith(f"Textual {version('textual')}: perftop's renderer and quiet input")
    what = _refusing(monkeypatch, 2)
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    second = capsys.readouterr().out.splitlines()[1]
    own = f"Textual {version('textual')}: Textual's own rendering and input"
    assert second == f"{own}, as this Textual differs in {what}"


_Cells = list[list[tuple[str, frozenset[object]]]]


async def _screens(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[_Cells]:
    """The cells of the terminal perftop writes to (what it wrote, fed to a terminal model): after each of
    samples that move rows up and down, a pane switch and back, and a search."""
    # In 256 colours, as the other tests' terminal model: Rich keeps a style's codes for the first colour
    # system it is rendered in, whatever the console, so one in "standard" would leak into later tests.
    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "256")
    machine = DemoMachine(root)
    busy = [FakeProcess(pid=900 + i, comm=f"busy{i}", utime_rate=5 + 7 * i) for i in range(6)]
    driver = capture_driver()
    app = machine.app()
    app.driver_class = driver
    screens: list[_Cells] = []
    async with app.run_test(headless=False, size=(120, 32)) as pilot:
        terminal = Terminal(*app.size)

        async def shown() -> None:
            await pilot.pause()
            await pilot.pause()
            terminal.feed(_NOT_MODELLED.sub("", "".join(driver.written)))
            driver.written.clear()
            screens.append([list(line) for line in terminal.lines])

        await machine.drive(app, 2)
        for tick in range(6):
            machine.extra = [process for i, process in enumerate(busy) if (i + tick) % 3]
            await machine.drive(app, 1)
            await shown()
        await pilot.press("2")
        await machine.drive(app, 1)
        await shown()
        await pilot.press("1", "slash", *"busy", "escape")
        await machine.drive(app, 1)
        await shown()
    return screens


@pytest.mark.slow
async def test_the_app_shows_the_same_screen_with_the_fence_refusing(
    tmp_path: Path, textuals_own: tuple[object, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    fenced = await _screens(tmp_path / "fenced", monkeypatch)
    assert textual_fence.installed()
    textual_fence.uninstall()
    _refusing(monkeypatch, 0)  # as on a Textual that moved its private modules
    unfenced = await _screens(tmp_path / "unfenced", monkeypatch)
    _nothing_installed(textuals_own)
    assert len(unfenced) == len(fenced) == 8
    for step, (theirs, ours) in enumerate(zip(unfenced, fenced, strict=True)):
        assert _text(theirs) == _text(ours), step
        assert theirs == ours, step  # colours and attributes too


def _text(cells: _Cells) -> list[str]:
    return ["".join(char for char, _ in line) for line in cells]
