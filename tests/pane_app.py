"""A bare App around one detail pane, for the pane tests (NUMA, IO, sockets)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from perftop.widgets.colours import ThemeColours


class PaneApp(ThemeColours, App[None]):
    """Just the pane, optionally behind another pane in a ContentSwitcher (to hide it): the switcher is
    ``#panes``, its panes ``other`` and ``pane``."""

    def __init__(self, pane: Widget, switcher: bool = False) -> None:
        super().__init__()
        self.pane = pane
        self.switcher = switcher

    def compose(self) -> ComposeResult:
        if self.switcher:
            with ContentSwitcher(initial="other", id="panes"):
                yield Static("another pane", id="other")
                with Vertical(id="pane"):
                    yield self.pane
        else:
            yield self.pane


def screen_lines(pane: Widget) -> list[str]:
    """What the pane draws at its current scroll position, one string per screen line."""
    return [pane.render_line(y).text for y in range(pane.scrollable_size.height)]


def line_starting(lines: list[str], start: str) -> str:
    """The first of ``lines`` that starts with ``start`` (the test fails if none does)."""
    found = [line for line in lines if line.startswith(start)]
    assert found, f"no line starts with {start!r} in {lines}"
    return found[0]
