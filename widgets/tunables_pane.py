"""The tunables pane: the kernel settings a tuner reaches for (vm, kernel and IPC, network, transparent huge
pages, each block device's queue), with their current value, valid range or choices, meaning and file.

The rows come in groups, each under a title row. Enter on a tunable asks the App to edit it
(:class:`TunablesPane.EditRequested`): the pane itself never reads or writes a file; it shows the values it
is given (:meth:`TunablesPane.show_tunables`), which the App reads only while the pane is on screen. Cell
texts come from a pure function (:func:`tunable_cells`) so the layout is testable without a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from perftop.widgets.safe_text import printable

if TYPE_CHECKING:
    # Imported where used: the pane is mounted on first show, the first frame needs neither the table
    # nor the catalogue.
    from textual.widgets import DataTable

    from perftop.probes.tunables import TunableValue

#: The columns: key, title.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("key", "Tunable"),
    ("value", "Value"),
    ("range", "Range or choices"),
    ("meaning", "Meaning"),
    ("path", "File"),
)

#: What the value column shows for a tunable whose file this kernel lacks, and for one it cannot read.
ABSENT = "absent"
UNREADABLE = "unreadable"

#: The caption under the table, after the counts.
CAPTION = "Enter changes the selected one; ← → scroll"

_GROUP_ROW = "group:"


def value_text(value: TunableValue) -> str:
    """The value as shown: the file's value, ``absent`` (no such file here) or ``unreadable``."""
    if value.value is not None:
        return value.value
    return UNREADABLE if value.present else ABSENT


def tunable_cells(value: TunableValue) -> tuple[str, ...]:
    """The texts of a tunable's row, in :data:`COLUMNS` order (kernel text made printable)."""
    tunable = value.tunable
    return (
        printable(tunable.key),
        printable(value_text(value)),
        printable(tunable.range_text(value.choices)),
        tunable.explained,
        printable(value.path),
    )


def caption_counts(values: Sequence[TunableValue]) -> str:
    """How many tunables have a value, are absent here, cannot be read: ``45 tunables, 1 absent``."""
    absent = sum(1 for v in values if v.value is None and not v.present)
    unreadable = sum(1 for v in values if v.value is None and v.present)
    text = f"{len(values) - absent - unreadable} tunables"
    text += f", {absent} absent" if absent else ""
    return text + (f", {unreadable} unreadable" if unreadable else "")


def grouped(values: Sequence[TunableValue]) -> list[tuple[str, list[TunableValue]]]:
    """The values by group in the catalogue's order of groups (empty groups left out), each in the order
    given."""
    from perftop.probes.tunables import GROUPS

    groups: list[tuple[str, list[TunableValue]]] = []
    for group in GROUPS:
        members = [v for v in values if v.tunable.group == group]
        if members:
            groups.append((group, members))
    return groups


class TunablesPane(Widget):
    """The tunables, grouped, one row each; Enter asks to edit the one under the cursor.

    | Class | Description |
    | :- | :- |
    | `tunables-pane--dim` | Absent or unreadable values, and the caption. |
    | `tunables-pane--group` | The title row of a group. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"tunables-pane--dim", "tunables-pane--group"}

    # Before the table's own Enter (select the row): the pane's edit.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "edit", "change the tunable", show=False, priority=True),
    ]

    DEFAULT_CSS = """
    TunablesPane {
        height: 1fr;
        width: 1fr;
        layout: vertical;
        & > DataTable { height: 1fr; }
        & > #tunables-caption { height: 1; color: $text-muted; }
        & > .tunables-pane--dim { color: $text-muted; }
        & > .tunables-pane--group { text-style: bold; color: $accent; }
    }
    """

    class EditRequested(Message):
        """Enter on a tunable: the App asks for its new value (``current``: as shown)."""

        def __init__(self, current: TunableValue) -> None:
            super().__init__()
            self.current = current

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._values: tuple[TunableValue, ...] = ()
        # The cells each table row holds (by key), to rewrite only those that changed.
        self._rows: dict[str, tuple[str, ...]] = {}
        self._by_key: dict[str, TunableValue] = {}

    def compose(self) -> ComposeResult:
        from textual.widgets import DataTable

        table: DataTable[Text] = DataTable(cursor_type="row", fixed_columns=1, id="tunables-table")
        for key, title in COLUMNS:
            table.add_column(Text(title), key=key)
        yield table
        yield Static(Text("reading the tunables..."), id="tunables-caption")

    @property
    def table(self) -> DataTable[Text]:
        """The tunables table (focus it to move the cursor)."""
        from textual.widgets import DataTable

        return self.query_one("#tunables-table", DataTable)

    def focus(self, scroll_visible: bool = True) -> TunablesPane:
        """Focus the table (the pane itself takes no focus)."""
        self.table.focus(scroll_visible)
        return self

    @property
    def values(self) -> tuple[TunableValue, ...]:
        """The values last shown."""
        return self._values

    @property
    def selected(self) -> TunableValue | None:
        """The tunable under the cursor (``None``: a group's title row, or no row)."""
        table = self.table
        if table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), table.row_count - 1)
        key = table.ordered_rows[row].key.value or ""
        return self._by_key.get(key)

    def select(self, key: str) -> None:
        """Put the cursor on the tunable ``key`` (nothing when it is not shown)."""
        table = self.table
        if key in self._rows:
            table.move_cursor(row=table.get_row_index(key), animate=False)

    def show_tunables(self, values: tuple[TunableValue, ...]) -> None:
        """Show ``values`` (read while the pane is on screen)."""
        self._values = values
        self._by_key = {v.key: v for v in values}
        if self.is_mounted:
            self._sync()

    def on_mount(self) -> None:
        if self._values:
            self._sync()

    def action_edit(self) -> None:
        """Ask the App to edit the tunable under the cursor."""
        selected = self.selected
        if selected is not None:
            self.post_message(self.EditRequested(selected))

    def _text(self, text: str, role: str | None) -> Text:
        style = self.get_component_rich_style(f"tunables-pane--{role}", partial=True) if role else ""
        return Text(text, style=style, no_wrap=True)

    def _row(self, key: str, cells: tuple[str, ...]) -> list[Text]:
        if key.startswith(_GROUP_ROW):
            return [self._text(cells[0], "group"), *(Text("") for _ in cells[1:])]
        dim = "dim" if self._by_key[key].value is None else None
        return [self._text(c, dim if i == 1 else None) for i, c in enumerate(cells)]

    def _sync(self) -> None:
        """Make the table match the values: rewrite the cells that changed, or rebuild it when the rows
        did (a device came or went), keeping the cursor on the same tunable."""
        from perftop.probes.tunables import GROUP_TITLES

        table = self.table
        rows: dict[str, tuple[str, ...]] = {}
        for group, members in grouped(self._values):
            rows[_GROUP_ROW + group] = (GROUP_TITLES.get(group, group), "", "", "", "")
            for value in members:
                rows[value.key] = tunable_cells(value)
        with self.app.batch_update():
            if list(rows) == list(self._rows):
                for key, cells in rows.items():
                    for (column, _), new, before, text in zip(
                        COLUMNS, cells, self._rows[key], self._row(key, cells), strict=True
                    ):
                        if new != before:
                            table.update_cell(key, column, text)
            else:
                cursor = table.ordered_rows[table.cursor_row].key.value if table.row_count else None
                table.clear()
                for key, cells in rows.items():
                    table.add_row(*self._row(key, cells), key=key)
                self._rows = rows
                if cursor in rows:
                    self.select(cursor or "")
                else:
                    # On the first tunable, not on a group's title.
                    first = next((k for k in rows if not k.startswith(_GROUP_ROW)), None)
                    if first is not None:
                        self.select(first)
            self._rows = rows
            note = caption_counts(self._values)
            self.query_one("#tunables-caption", Static).update(Text(f"{note}. {CAPTION}"))
