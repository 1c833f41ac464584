"""Modal screens of the App: help, the full command line, and a list picker (sort column, user).

Layers: the App, its tuning keys and the dialogs build on these; they import no other module of tui.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from perftop.widgets.safe_text import escaped, escaped_lines, printable


class HelpScreen(ModalScreen[None]):
    """Every key of perftop with what it does, then notes. Esc, q, ? or F1 closes it."""

    CSS_PATH = "screens.tcss"

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "close")]

    def __init__(self, rows: Sequence[tuple[str, str]], notes: Sequence[str]) -> None:
        super().__init__()
        self._rows = rows
        self._notes = notes

    def compose(self) -> ComposeResult:
        # A grid, so that a long help line wraps under its own column, not under the keys.
        keys = Table.grid(padding=(0, 2))
        keys.add_column(style="bold", no_wrap=True)
        keys.add_column()
        for shown, help_text in self._rows:
            keys.add_row(Text(shown), Text(help_text))
        notes = Text("\n".join(self._notes))
        notes.append("\n\nEsc, q or ? closes this screen.", style="dim")
        body = Group(Text("perftop keys\n", style="bold"), Padding(keys, (0, 0, 1, 2)), notes)
        with VerticalScroll(id="help-body"):
            yield Static(body, id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    @property
    def text(self) -> str:
        """What the screen shows, as plain text with every help line on one line."""
        console = Console(width=1000, file=io.StringIO(), record=True, color_system=None)
        console.print(self.query_one("#help-text", Static).content)
        return console.export_text()


class TextScreen(ModalScreen[None]):
    """A block of plain text (the full command line and identity of a process, the action log).

    Title and body are shown as they are, never as markup; control characters in them are spelled out
    (``\\e``), the body's line breaks kept. Callers escape foreign values themselves too (with
    :func:`~perftop.widgets.safe_text.escaped`), so that a line break inside a name cannot pass for one of
    theirs.
    """

    CSS_PATH = "screens.tcss"

    BINDINGS = [Binding("escape,q,enter", "dismiss", "close")]

    def __init__(self, title: str, body: str, *, at_end: bool = False) -> None:
        """``at_end``: open scrolled to the end (the newest lines of a log)."""
        super().__init__()
        self._title = title
        self._body = body
        self._at_end = at_end

    def compose(self) -> ComposeResult:
        text = Text(escaped(self._title) + "\n\n", style="bold")
        text.append(escaped_lines(self._body))
        text.append("\n\nEsc closes.", style="dim")
        with VerticalScroll(id="text-body"):
            yield Static(text)

    def on_mount(self) -> None:
        body = self.query_one("#text-body", VerticalScroll)
        body.focus()
        if self._at_end:
            body.scroll_end(animate=False)  # deferred by Textual until the body has its height


class PickerScreen(ModalScreen[str | None]):
    """Pick one entry from a list; returns its id, or None on Esc. Title and labels are plain text.

    ``current`` is the id of the setting in force: the list opens on it, and a ``●`` marks it (a
    character, so that it shows without colour too); without one the list opens on its first entry.
    """

    CSS_PATH = "screens.tcss"

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], current: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-frame"):
            yield Static(Text(escaped(self._title), style="bold"), id="picker-title")
            marked = any(ident == self._current for ident, _ in self._choices)
            options = (
                Option(Text(_mark(marked, ident == self._current) + printable(label)), id=ident)
                for ident, label in self._choices
            )
            yield OptionList(*options, id="picker")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [ident for ident, _ in self._choices]
        options.highlighted = ids.index(self._current) if self._current in ids else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _mark(marked: bool, current: bool) -> str:
    """The column that marks the setting in force (none when the list has no such entry)."""
    if not marked:
        return ""
    return "● " if current else "  "
