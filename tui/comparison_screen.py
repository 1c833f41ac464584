"""The before/after comparison of one tuning action (Enter in the action log, ``L``).

A table of the action's target process and of the machine: each figure's mean over a window before the
action and one after it, and the change in percent, with notes where a window holds too few samples or the
target is absent. ``[`` and ``]`` (or ``<`` and ``>``) narrow and widen the windows; live, the figures are
computed again as samples arrive (:meth:`ComparisonScreen.update_figures`), so the after window fills.

The screen reads its samples from any :class:`~perftop.tui.compare.SampleSource` it is given: live the
App's recent samples, in replay the recording.

Layers: the App's tuning keys open this screen; it builds on the comparison (:mod:`perftop.tui.compare`)
and the action records, never on the App.
"""

from __future__ import annotations

import io
import time
from typing import ClassVar

from rich.console import Console
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from perftop.probes.snapshot import ProcessInfo
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.compare import DEFAULT_WINDOW_S, WINDOW_STEPS_S, Comparison, SampleSource, compare
from perftop.widgets.formatting import UNKNOWN, format_bytes_per_s
from perftop.widgets.safe_text import escaped

#: What the keys line says.
KEYS_LINE = "[ ] < > window 10 s..10 min · ↑ ↓ scroll · Esc close"


def figure(metric: str, value: float | None) -> str:
    """A mean as the table shows it: bytes per second in binary units, other figures with two decimals
    (fewer when large)."""
    if value is None:
        return UNKNOWN
    if "bytes/s" in metric:
        return format_bytes_per_s(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def change(value: float | None) -> str:
    """A change in percent with its sign, ``-`` when unknown (before was 0 or unknown)."""
    return UNKNOWN if value is None else f"{value:+.1f}%"


def comparison_table(comparison: Comparison) -> Table:
    """The figures as a table: metric, before, after, change %; a caption row per group."""
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=False, header_style="bold")
    table.add_column("metric", no_wrap=True)
    table.add_column("before", justify="right", no_wrap=True)
    table.add_column("after", justify="right", no_wrap=True)
    table.add_column("change", justify="right", no_wrap=True)
    subject = comparison.action.subject
    group = ""
    for row in comparison.rows:
        if row.group != group:
            group = row.group
            caption = subject.label if group == "process" and isinstance(subject, Subject) else "machine"
            table.add_row(Text(caption, style="bold cyan"), "", "", "")
        # No colour for better or worse: whether more is better depends on the figure and the goal.
        table.add_row(
            Text("  " + row.metric),
            Text(figure(row.metric, row.before)),
            Text(figure(row.metric, row.after)),
            Text(change(row.change_percent)),
        )
    return table


class ComparisonScreen(ModalScreen[None]):
    """Before and after ``record``, from the samples of ``source``, over ``window_s`` seconds each side."""

    CSS_PATH = "screens.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss", "close", show=False),
        Binding("left_square_bracket,less_than_sign", "window(-1)", "narrower windows", show=False),
        Binding("right_square_bracket,greater_than_sign", "window(1)", "wider windows", show=False),
    ]

    def __init__(
        self, source: SampleSource, record: ActionRecord, window_s: float = DEFAULT_WINDOW_S
    ) -> None:
        super().__init__()
        self.source = source
        self.record = record
        self.window_s = window_s
        #: The target's row in each sample, by the sample's time: found once, not at every update.
        self._found: dict[float, ProcessInfo | None] = {}
        self.comparison = compare(source, record, window_s, self._found)

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-frame"):
            yield Static(self._title(), id="compare-title")
            with VerticalScroll(id="compare-scroll"):
                yield Static(id="compare-table")
            yield Static(id="compare-notes")
            yield Static(Text(KEYS_LINE, style="dim"), id="compare-keys")

    def on_mount(self) -> None:
        self._show()
        self.query_one("#compare-scroll").focus()

    def _title(self) -> Text:
        record = self.record
        stamp = time.strftime("%H:%M:%S", time.localtime(record.time))
        text = Text("Before/after ", style="bold")
        text.append(f"{stamp}  {record.subject.label}  {escaped(record.what)}: {record.old} -> {record.new}")
        text.append(f"\n{escaped(record.command)}", style="dim")
        return text

    def _show(self) -> None:
        comparison = self.comparison
        self.query_one("#compare-table", Static).update(comparison_table(comparison))
        window = f"{comparison.window_s:g} s"
        notes = Text(
            f"Means over {window} before ({comparison.before_samples} samples) and {window} after "
            f"({comparison.after_samples} samples).",
            style="dim",
        )
        for note in comparison.notes:
            notes.append("\n" + note, style="yellow")
        self.query_one("#compare-notes", Static).update(notes)

    def update_figures(self) -> None:
        """Compute the figures again from the source (a new sample arrived, or the windows changed)."""
        self.comparison = compare(self.source, self.record, self.window_s, self._found)
        if self.is_mounted:
            self._show()

    def action_window(self, step: int) -> None:
        """The next narrower (``-1``) or wider (``1``) windows of :data:`WINDOW_STEPS_S`."""
        steps = WINDOW_STEPS_S
        current = min(range(len(steps)), key=lambda i: abs(steps[i] - self.window_s))
        self.window_s = steps[max(0, min(len(steps) - 1, current + step))]
        self.update_figures()

    @property
    def text(self) -> str:
        """The table as plain text at a width of 200 (tests)."""
        console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
        console.print(comparison_table(self.comparison))
        return console.export_text()
