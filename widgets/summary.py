"""htop's right-hand header text: tasks, load average, uptime, scheduler rates and pressure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from perftop.probes.snapshot import Snapshot
from perftop.widgets.changed_cells import ChangedCells, filled_line
from perftop.widgets.formatting import UNKNOWN, format_count, format_uptime

#: A run of text and the role that picks its style (``""`` is the widget's own style).
Piece = tuple[str, str]

#: Roles a piece may have; each is a component class ``summary-line--<role>``.
ROLES: tuple[str, ...] = ("label", "value", "running", "zombie", "dim")


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """One logical line: chunks that never break inside, joined by ``separator``.

    Wrapped continuation lines start ``indent`` cells in, under the first value.
    """

    chunks: tuple[tuple[Piece, ...], ...]
    separator: str = " "
    indent: int = 0


def _chunk_width(chunk: tuple[Piece, ...]) -> int:
    return sum(len(text) for text, _ in chunk)


def wrap_row(row: SummaryRow, width: int) -> list[tuple[Piece, ...]]:
    """Lay ``row`` out in lines of at most ``width`` cells, breaking only between chunks.

    A chunk wider than a whole line is left to be cropped by the caller.
    """
    lines: list[list[Piece]] = []
    current: list[Piece] = []
    used = 0
    for chunk in row.chunks:
        size = _chunk_width(chunk)
        if current and used + len(row.separator) + size > width:
            lines.append(current)
            current = [(" " * row.indent, "")] if row.indent and row.indent + size <= width else []
            used = _chunk_width(tuple(current))
        elif current:
            current.append((row.separator, ""))
            used += len(row.separator)
        current.extend(chunk)
        used += size
    if current:
        lines.append(current)
    return [tuple(line) for line in lines]


def plain(line: Iterable[Piece]) -> str:
    """The text of a line without styles."""
    return "".join(text for text, _ in line)


def summary_rows(snapshot: Snapshot) -> list[SummaryRow]:
    """The logical lines for ``snapshot``; the PSI line only when the kernel reports pressure."""
    tasks = snapshot.tasks
    cpu = snapshot.cpu
    # As htop counts: user processes, their extra threads, and kernel threads, each once.
    user_processes = tasks.processes - tasks.kernel_threads
    user_threads = max(0, tasks.threads - tasks.processes)
    rows = [
        SummaryRow(
            (
                (("Tasks:", "label"), (" ", ""), (str(user_processes), "value"), (",", "")),
                ((str(user_threads), "value"), (" thr,", "")),
                ((str(tasks.kernel_threads), "value"), (" kthr;", "")),
                ((str(tasks.running), "running"), (" running,", "")),
                ((str(tasks.zombie), "zombie" if tasks.zombie else "value"), (" zombie", "")),
            ),
            indent=len("Tasks: "),
        )
    ]
    load = cpu.loadavg
    load_text = (UNKNOWN,) * 3 if load is None else tuple(f"{value:.2f}" for value in load)
    rows.append(
        SummaryRow(
            (
                (("Load average:", "label"),),
                ((load_text[0], "value"),),
                ((load_text[1], ""),),
                ((load_text[2], "dim"),),
            ),
            indent=len("Load average: "),
        )
    )
    rows.append(
        SummaryRow(
            (
                (("Uptime:", "label"),),
                *(((part, "value"),) for part in format_uptime(snapshot.uptime_seconds)),
            ),
            indent=len("Uptime: "),
        )
    )
    rows.append(
        SummaryRow(
            (
                (("ctxsw/s ", "label"), (format_count(cpu.context_switches_per_s), "value")),
                (("intr/s ", "label"), (format_count(cpu.interrupts_per_s), "value")),
                (("forks/s ", "label"), (format_count(cpu.forks_per_s), "value")),
                (
                    ("run ", "label"),
                    (format_count(cpu.procs_running), "running"),
                    (" blk ", "label"),
                    (format_count(cpu.procs_blocked), "value"),
                ),
            ),
            separator="  ",
        )
    )
    if cpu.pressure is not None:
        chunks: list[tuple[Piece, ...]] = [(("PSI some", "label"),)]
        for key, short in (("cpu", "cpu"), ("io", "io"), ("memory", "mem")):
            entry = cpu.pressure.get(key)
            value = entry.some_avg10 if entry is not None else None
            chunks.append(((f"{short} ", "label"), (UNKNOWN if value is None else f"{value:.2f}", "value")))
        rows.append(SummaryRow(tuple(chunks), indent=len("PSI some ")))
    return rows


class SummaryLine(ChangedCells, Widget):
    """The header text beside (or below) the CPU meters, as htop's right-hand meters.

    Lines: tasks, load average, uptime, context switches / interrupts / forks per second with the run
    queue, and PSI ``some avg10`` when the kernel has ``/proc/pressure``. Unknown values print ``-``.
    Each line fits 40 cells for usual figures and wraps between items (never inside one) when narrower.

    | Class | Description |
    | :- | :- |
    | `summary-line--label` | Captions: ``Tasks:``, ``Load average:``, ``ctxsw/s`` ... |
    | `summary-line--value` | Figures. |
    | `summary-line--running` | The running task counts. |
    | `summary-line--zombie` | The zombie count when it is not zero. |
    | `summary-line--dim` | The 15-minute load average. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"summary-line--{role}" for role in ROLES}

    DEFAULT_CSS = """
    SummaryLine {
        height: auto;
    }
    SummaryLine > .summary-line--label { color: $perftop-cyan; }
    SummaryLine > .summary-line--value { color: $foreground; text-style: bold; }
    SummaryLine > .summary-line--running { color: $perftop-green; text-style: bold; }
    SummaryLine > .summary-line--zombie { color: $perftop-warning; text-style: bold; }
    SummaryLine > .summary-line--dim { color: $text-muted; }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._snapshot: Snapshot | None = None
        #: The rows of ``_snapshot``, made when first drawn (a hidden summary never makes them).
        self._rows: list[SummaryRow] | None = []
        self._wrapped: tuple[int, list[tuple[Piece, ...]]] | None = None

    def update_snapshot(self, snapshot: Snapshot) -> None:
        """Show a new sample; re-layout only when the number of wrapped lines changed."""
        if not self.is_mounted:
            # Pane 2's summary until the pane is first shown: the layout that mounts it measures the
            # lines. (Told apart here, as size and is_on_screen raise and catch an exception to say so.)
            self._snapshot, self._rows, self._wrapped = snapshot, None, None
            return
        width = self.size.width
        before = len(self.lines_for(width)) if width else None
        self._snapshot, self._rows = snapshot, None
        self._wrapped = None
        if before is None:
            # Not laid out yet, or hidden with its pane: the layout that shows it measures the lines.
            if not self.display or not self.is_on_screen:
                return
            self.refresh(layout=True)
        elif len(self.lines_for(width)) != before:
            self.refresh(layout=True)
        else:
            self.refresh_changed()

    def lines_for(self, width: int) -> list[tuple[Piece, ...]]:
        """The wrapped lines at ``width`` cells (cached for the last width asked)."""
        if self._wrapped is None or self._wrapped[0] != width:
            if self._rows is None:
                self._rows = summary_rows(self._snapshot) if self._snapshot is not None else []
            lines = [line for row in self._rows for line in wrap_row(row, max(1, width))]
            self._wrapped = (width, lines)
        return self._wrapped[1]

    @property
    def text(self) -> str:
        """The lines as plain text at the current width, one per line."""
        return "\n".join(plain(line) for line in self.lines_for(self.size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One cell per wrapped line."""
        return len(self.lines_for(width))

    def paint_line(self, y: int) -> Strip:
        """Draw wrapped line ``y``."""
        width = self.view_size.width
        lines = self.lines_for(width)
        line = lines[y] if y < len(lines) else ()
        # Most lines (tasks, load, pressure) change far less often than once a refresh.
        kept = self.kept_line(y, (width, line))
        if kept is not None:
            return kept
        base = self.component_style("")
        segments = [Segment(text, self._style(role) if role else base) for text, role in line]
        # One cell a character, as wrap_row measures it.
        return self.keep_line(y, (width, line), filled_line(segments, width, base))

    def _style(self, role: str) -> Style:
        return self.component_style(f"summary-line--{role}")
