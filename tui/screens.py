"""Modal screens of the App: help, the full command line, and a list picker (sort column, user).

Layers: the App, its tuning keys and the dialogs build on these; they import no other module of tui.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from perftop.widgets.safe_text import escaped, escaped_lines, printable


class HelpScreen(ModalScreen[None]):
    """Every key binding with what it does. Any key closes it."""

    CSS_PATH = "screens.tcss"

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "close")]

    def __init__(self, rows: Sequence[tuple[str, str]], notes: Sequence[str]) -> None:
        super().__init__()
        self._rows = rows
        self._notes = notes

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("perftop keys\n\n", style="bold")
        width = max(len(keys) for keys, _ in self._rows)
        for keys, help_text in self._rows:
            text.append(f"  {keys:<{width}}  ", style="bold")
            text.append(f"{help_text}\n")
        for note in self._notes:
            text.append(f"\n{note}")
        text.append("\n\nEsc, q or ? closes this screen.", style="dim")
        with VerticalScroll(id="help-body"):
            yield Static(text, id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()


class TextScreen(ModalScreen[None]):
    """A block of plain text (the full command line and identity of a process, the action log).

    Title and body are shown as they are, never as markup; control characters in them are spelled out
    (``\\e``), the body's line breaks kept. Callers escape foreign values themselves too (with
    :func:`~perftop.widgets.safe_text.escaped`), so that a line break inside a name cannot pass for one of
    theirs.
    """

    CSS_PATH = "screens.tcss"

    BINDINGS = [Binding("escape,q,enter", "dismiss", "close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._title = title
        self._body = body

    def compose(self) -> ComposeResult:
        text = Text(escaped(self._title) + "\n\n", style="bold")
        text.append(escaped_lines(self._body))
        text.append("\n\nEsc closes.", style="dim")
        with VerticalScroll(id="text-body"):
            yield Static(text)


class PickerScreen(ModalScreen[str | None]):
    """Pick one entry from a list; returns its id, or None on Esc. Title and labels are plain text."""

    CSS_PATH = "screens.tcss"

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]], current: str | None = None) -> None:
        super().__init__()
        self._title = title
        self._choices = choices
        self._current = current

    def compose(self) -> ComposeResult:
        yield Static(Text(escaped(self._title), style="bold"), id="picker-title")
        options = (Option(Text(printable(label)), id=ident) for ident, label in self._choices)
        yield OptionList(*options, id="picker")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [ident for ident, _ in self._choices]
        if self._current in ids:
            options.highlighted = ids.index(self._current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
