"""perftop's colours are theme variables: set once, changed by a theme, the same by default."""

from __future__ import annotations

import dataclasses
import re

from rich.color import Color
from textual.app import App, ComposeResult
from textual.theme import BUILTIN_THEMES
from textual.widget import Widget

from perftop.widgets.colours import THEME_COLOURS, ThemeColours
from perftop.widgets.cpu_meters import CpuMeters
from perftop.widgets.io_pane import DeviceHistory, IoPane
from perftop.widgets.load_history import LoadHistory
from perftop.widgets.numa_pane import NumaPane
from perftop.widgets.sockets_pane import SocketsPane
from perftop.widgets.summary import SummaryLine

WIDGETS: tuple[type[Widget], ...] = (
    CpuMeters,
    LoadHistory,
    SummaryLine,
    IoPane,
    DeviceHistory,
    NumaPane,
    SocketsPane,
)

#: A component class in the warning colour, of each widget that has one.
WARNINGS = (
    (CpuMeters, "cpu-meters--system"),
    (LoadHistory, "load-history--high"),
    (SummaryLine, "summary-line--zombie"),
    (IoPane, "io-pane--warn"),
    (NumaPane, "numa-pane--warn"),
    (SocketsPane, "sockets-pane--warn"),
)


def test_stylesheets_name_theme_variables_not_colours() -> None:
    for widget in WIDGETS:
        css = widget.DEFAULT_CSS
        assert not re.findall(r"#[0-9a-fA-F]{3,8}\b", css), widget.__name__
        assert set(re.findall(r"\$(perftop-[a-z-]+)", css)) <= set(THEME_COLOURS), widget.__name__
    used = {name for widget in WIDGETS for name in re.findall(r"\$(perftop-[a-z-]+)", widget.DEFAULT_CSS)}
    assert used == set(THEME_COLOURS)  # none defined for nothing


class WarningsApp(ThemeColours, App[None]):
    def compose(self) -> ComposeResult:
        for widget, _ in WARNINGS:
            yield widget()


async def test_a_theme_sets_the_warning_colour_of_every_widget() -> None:
    app = WarningsApp()
    orange = dataclasses.replace(
        BUILTIN_THEMES["textual-dark"], name="orange-warnings", variables={"perftop-warning": "#ff8700"}
    )
    app.register_theme(orange)
    async with app.run_test(size=(120, 80)) as pilot:

        def colours() -> set[Color | None]:
            return {app.query_one(widget).get_component_rich_style(name).color for widget, name in WARNINGS}

        assert colours() == {Color.parse(THEME_COLOURS["perftop-warning"])}
        app.theme = "orange-warnings"
        await pilot.pause()
        assert colours() == {Color.parse("#ff8700")}
        app.theme = "textual-light"  # a theme without the variable: the default again
        await pilot.pause()
        assert colours() == {Color.parse("#e5484d")}
