"""The action log (``L``): every tuning action since start, one entry each, to read, undo and keep.

A list of entries, oldest first, opened at the newest; ↑ ↓ PgUp PgDn Home End move the selection. ``r``
undoes the selected action and ``w`` writes the session's settings as a sysctl.d file: the screen only asks
its owner to (``on_revert``, ``on_write``), which runs the flow and adds the new records here with
:meth:`ActionLogScreen.add_records`. Enter on an entry asks the owner for its before/after comparison
(``on_compare``).

Layers: the App's tuning keys open this screen; it builds on the action records only (never the flows or
the App).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.console import Console
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from perftop.tui.action_records import ActionRecord
from perftop.widgets.safe_text import escaped

EMPTY = "No tuning action yet."


def entry_text(record: ActionRecord) -> Text:
    """One entry's lines after its time: target, what, old -> new; the command; the result; the undo
    command."""
    text = Text()
    text.append(record.subject.label, style="bold")
    text.append(f"  {escaped(record.what)}: {record.old} -> {record.new}")
    text.append(f"\n{escaped(record.command)}")
    text.append(f"\n{escaped(record.result)}", style=None if record.ok else "red")
    text.append(f"\nundo: {escaped(record.undo_line)}", style="dim")
    return text


def entry(record: ActionRecord) -> Table:
    """One entry of the log: its time, and beside it :func:`entry_text`, whose long lines wrap in their
    own column."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(Text(time.strftime("%H:%M:%S", time.localtime(record.time))), entry_text(record))
    return grid


class ActionLogScreen(ModalScreen[None]):
    """The action log: ``records`` oldest first (a copy: the owner adds new ones with :meth:`add_records`);
    ``note`` follows the keys' line (where ``--log-actions`` writes); ``title`` heads it (a replay's names
    the recording's actions)."""

    CSS_PATH = "screens.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "close", show=False),
        Binding("r", "revert", "undo the selected action", show=False),
        Binding("w", "write", "write the sysctl.d file", show=False),
    ]

    def __init__(
        self,
        records: Sequence[ActionRecord],
        *,
        on_revert: Callable[[ActionRecord], None],
        on_write: Callable[[], None],
        on_compare: Callable[[ActionRecord], None] | None = None,
        note: str = "",
        title: str = "Tuning actions since start",
    ) -> None:
        super().__init__()
        self._title = title
        self._records = list(records)
        self._on_revert = on_revert
        self._on_write = on_write
        self._on_compare = on_compare
        self._note = note
        #: The entries' list once the screen has mounted and filled it: records added before then (an
        #: action finishing while the log opens) are in ``_records`` and shown with the others at mount.
        self._entries: OptionList | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="log-frame"):
            yield Static(Text(self._title, style="bold"), id="log-title")
            yield OptionList(id="log-entries")
            yield Static(Text(EMPTY), id="log-empty")
            keys = (
                "Enter compares before with after, r undoes the selected action, w writes the session's "
                "sysctl changes to a file, Esc closes."
            )
            footer = Text(keys + (f"\n{escaped(self._note)}" if self._note else ""), style="dim")
            yield Static(footer, id="log-keys")

    def on_mount(self) -> None:
        entries = self.query_one("#log-entries", OptionList)
        entries.add_options(self._options(self._records))
        self._entries = entries
        entries.focus()
        self._show_empty()
        if self._records:
            entries.highlighted = len(self._records) - 1
            entries.scroll_end(animate=False)

    @staticmethod
    def _options(records: Sequence[ActionRecord]) -> list[Option]:
        return [Option(entry(r)) for r in records]

    def _show_empty(self) -> None:
        self.query_one("#log-empty").display = not self._records
        self.query_one("#log-entries").display = bool(self._records)

    @property
    def records(self) -> list[ActionRecord]:
        """The entries shown, oldest first."""
        return self._records

    @property
    def text(self) -> str:
        """Every entry as plain text, as the screen shows it at a width of 1000."""
        console = Console(width=1000, file=io.StringIO(), record=True, color_system=None)
        entries = self.query_one("#log-entries", OptionList)
        for index in range(entries.option_count):
            console.print(entries.get_option_at_index(index).prompt)
        return console.export_text()

    @property
    def selected(self) -> ActionRecord | None:
        """The record under the selection, or ``None`` when the log is empty."""
        index = self.query_one("#log-entries", OptionList).highlighted
        return None if index is None or not 0 <= index < len(self._records) else self._records[index]

    def add_records(self, records: Sequence[ActionRecord]) -> None:
        """Append ``records`` (new actions, an undo among them) at the end; the selection stays."""
        entries = self._entries
        first = not self._records
        self._records.extend(records)
        if entries is None:
            return  # not mounted yet: on_mount shows every record
        entries.add_options(self._options(records))
        self._show_empty()
        if first and self._records:
            entries.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter (or a click) on an entry: its before/after comparison (its owner opens it)."""
        event.stop()
        index = event.option_index
        if self._on_compare is not None and 0 <= index < len(self._records):
            self._on_compare(self._records[index])

    def action_revert(self) -> None:
        """Undo the selected action (its owner runs the flow)."""
        record = self.selected
        if record is not None:
            self._on_revert(record)

    def action_write(self) -> None:
        """Write the session's settings as a sysctl.d file (its owner asks where)."""
        self._on_write()
