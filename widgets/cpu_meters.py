"""htop's header meters: one stacked bar per CPU, then the Mem and Swp bars, drawn in one widget."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import groupby
from math import ceil, floor
from operator import attrgetter, itemgetter
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from perftop.probes.snapshot import CpuSnapshot, CpuUsage, MemorySnapshot
from perftop.widgets.changed_cells import ChangedCells, filled_line
from perftop.widgets.formatting import format_bytes, format_share, spark_cell
from perftop.widgets.load_history import band, braille_pair

#: CPU states in the order htop stacks them; iowait last, as it is not counted as busy.
BAR_STATES: tuple[str, ...] = ("nice", "user", "system", "irq", "softirq", "steal", "iowait")

#: Column counts to choose from, as htop's "All CPUs", "2", "4" and "8 columns" layouts.
LAYOUT_COLUMNS: tuple[int, ...] = (1, 2, 4, 8)

#: More columns are used only while the rows would exceed this (and the columns still fit).
PREFERRED_MAX_ROWS = 4

#: Narrowest bar interior kept readable: room for ``100.0%`` or ``offline`` and a few bar cells.
MIN_BAR_CELLS = 10

#: Width of the caption before ``[``; three cells so ``Mem`` and ``Swp`` line up with the CPU numbers.
MIN_LABEL_CELLS = 3

BAR_CHAR = "|"

#: Cells of a group of the CPU grid (eight or sixteen CPUs); a blank cell separates groups.
GRID_GROUP_CELLS = 8

#: Grid cells of an idle CPU (two in a braille cell) and of an offline one (two offline in one).
GRID_IDLE = "·"
GRID_OFFLINE = "×"

#: Lines kept per line of the widget, by the figures they show. A CPU's percents move in steps of a
#: clock tick, so at a steady load the same few bars come back; one kept is handed over, not drawn again.
RECENT_LINES = 16


def label_width(cpus: Sequence[int]) -> int:
    """Cells for the caption column: the widest CPU number, and at least ``MIN_LABEL_CELLS``."""
    widest = max((len(str(cpu)) for cpu in cpus), default=1)
    return max(MIN_LABEL_CELLS, widest)


def cpu_layout(
    cpu_count: int, width: int, label_cells: int = MIN_LABEL_CELLS, preferred_rows: int = PREFERRED_MAX_ROWS
) -> tuple[int, int]:
    """Choose ``(columns, rows)`` for ``cpu_count`` CPU bars in ``width`` cells.

    Few CPUs get one column; more CPUs get 2, 4 or 8 columns (as htop's layouts) once one column would
    need more than ``preferred_rows`` rows, but only as many columns as keep each bar at least
    ``MIN_BAR_CELLS`` wide. Columns are separated by one blank cell.
    """
    if cpu_count <= 0:
        return 1, 0
    cell = label_cells + 2 + MIN_BAR_CELLS
    fitting = [c for c in LAYOUT_COLUMNS if c == 1 or c * cell + (c - 1) <= width]
    for columns in fitting:
        if ceil(cpu_count / columns) <= preferred_rows:
            break
    else:
        columns = fitting[-1]
    columns = min(columns, cpu_count)
    return columns, ceil(cpu_count / columns)


def grid_layout(cpu_count: int, width: int, label_cells: int, per_cell: int) -> tuple[int, int]:
    """``(CPUs a row, rows)`` of the CPU grid at ``per_cell`` CPUs a cell: after the row's label, groups of
    ``GRID_GROUP_CELLS`` cells with a blank between them, as many groups as fit rounded down to a power
    of two (so that rows start at round CPU numbers), one group at least."""
    groups = max(1, (width - label_cells) // (GRID_GROUP_CELLS + 1))
    per_row = (1 << (groups.bit_length() - 1)) * GRID_GROUP_CELLS * per_cell
    return per_row, ceil(max(0, cpu_count) / per_row)


@dataclass(frozen=True, slots=True)
class MeterLayout:
    """Where the CPUs go: ``rows`` lines of ``columns`` htop bars each, or, when ``per_cell`` is not 0, of
    a grid of one-cell gauges holding ``per_cell`` CPUs each, ``per_row`` CPUs a line."""

    columns: int
    rows: int
    per_cell: int = 0
    per_row: int = 0


def meters_layout(cpu_count: int, width: int, label_cells: int, max_rows: int) -> MeterLayout:
    """The layout of ``cpu_count`` CPUs in ``width`` cells and at most ``max_rows`` lines: htop's bars
    (see `cpu_layout`) where they fit; else a grid of one cell a CPU, or of two (a braille cell's two
    dot columns) where one a cell would not fit either. Only the two-a-cell grid may need more lines
    than ``max_rows`` (a screen too small for the CPUs at all)."""
    columns, rows = cpu_layout(cpu_count, width, label_cells, min(PREFERRED_MAX_ROWS, max_rows))
    if rows <= max_rows:
        return MeterLayout(columns, rows)
    per_row, rows = grid_layout(cpu_count, width, label_cells, 1)
    if rows > max_rows:
        per_row, rows = grid_layout(cpu_count, width, label_cells, 2)
        return MeterLayout(1, rows, 2, per_row)
    return MeterLayout(1, rows, 1, per_row)


def bar_cells(parts: Sequence[float | None], full: float, cells: int) -> list[int]:
    """Cells for each stacked part of a bar ``cells`` wide whose 100% is ``full``.

    Boundaries are rounded on the running sum, so rounding never adds up past the bar and a part's cells
    differ from its exact share by less than one. ``None`` parts count as zero; the sum is capped at
    ``full``, as the kernel's counters can overshoot by a tick.
    """
    if cells <= 0 or full <= 0:
        return [0] * len(parts)
    counts: list[int] = []
    running = 0.0
    previous = 0
    for part in parts:
        if part is None or not part > 0:  # (NaN too) most states of most CPUs: the boundary stays put
            counts.append(0)
            continue
        running = min(full, running + part)
        boundary = min(cells, floor(running / full * cells + 0.5))
        counts.append(boundary - previous)
        previous = boundary
    return counts


def cpu_text(usage: CpuUsage) -> str:
    """The text at the right end of a CPU bar: busy percent, ``offline``, or ``-`` without a baseline."""
    if not usage.online:
        return "offline"
    return format_share(usage.busy)


def grid_cells(usages: Sequence[CpuUsage], per_cell: int) -> tuple[tuple[str, str], ...]:
    """One line of the CPU grid as ``(character, role)`` cells, a blank after every ``GRID_GROUP_CELLS``.

    One CPU a cell: an eighth block as high as its busy percent, ``GRID_IDLE`` when idle, blank without
    a baseline, ``GRID_OFFLINE`` when offline. Two a cell: a braille cell whose left and right dot
    columns are the two CPUs (an offline one lights none). The role is the load band of the busiest
    (``low``, ``mid``, ``high``), ``shadow`` for an idle cell, ``offline`` when all of its CPUs are.
    """
    cells: list[tuple[str, str]] = []
    for start in range(0, len(usages), per_cell):
        if start and start % (GRID_GROUP_CELLS * per_cell) == 0:
            cells.append((" ", ""))
        pair = usages[start : start + per_cell]
        if not any(usage.online for usage in pair):
            cells.append((GRID_OFFLINE, "offline"))
            continue
        busy = [usage.busy if usage.online else None for usage in pair]
        known = [value for value in busy if value is not None]
        # The last cell of two may hold one CPU: in its left dot column.
        char = spark_cell(busy[0]) if per_cell == 1 else braille_pair(busy[0], busy[1] if busy[1:] else None)
        if char == " " and known:
            cells.append((GRID_IDLE, "shadow"))
        else:
            cells.append((char, band(max(known, default=None))))
    return tuple(cells)


#: What one bar is drawn from: its caption, the cells of each stacked part (``None`` for an offline
#: CPU) and the text at its right end.
Face = tuple[str, tuple[int, ...] | None, str]

#: Component names of the Mem and Swp bars' parts, in stacking order.
MEM_PARTS: tuple[str, ...] = ("mem-used", "mem-buffers", "mem-cache")
SWAP_PARTS: tuple[str, ...] = ("swap-used",)

_state_values = attrgetter(*BAR_STATES)
_cpu_number = attrgetter("cpu")


def cpu_face(usage: CpuUsage, cells: int) -> Face:
    """The bar of one CPU ``cells`` wide inside its brackets."""
    text = cpu_text(usage)
    if not usage.online:
        return str(usage.cpu), None, text
    return str(usage.cpu), tuple(bar_cells(_state_values(usage), 100.0, cells)), text


def memory_face(memory: MemorySnapshot | None, cells: int, *, swap: bool) -> Face:
    """The Mem bar (used, buffers, cache of the total) or the Swp bar, ``cells`` wide inside."""
    if memory is None:
        total = used = None
        values: list[int | None] = [None] if swap else [None, None, None]
    elif swap:
        total, used = memory.swap_total_bytes, memory.swap_used_bytes
        values = [used]
    else:
        total, used = memory.total_bytes, memory.used_bytes
        values = [used, memory.buffers_bytes, memory.cached_bytes]
    counts = bar_cells([None if v is None else float(v) for v in values], float(total or 0), cells)
    return ("Swp" if swap else "Mem"), tuple(counts), f"{format_bytes(used)}/{format_bytes(total)}"


def meter_segments(parts: Sequence[tuple[int, Style]], cells: int, text: str, shadow: Style) -> list[Segment]:
    """The inside of one bar: ``parts`` as ``(cells, style)`` runs of ``|``, blanks after them, and ``text``
    right-aligned over the end (taking the style of the run beneath it, as htop does). Text that does not
    fit is left out rather than cut, since a cut ``100.0%`` would read as another number."""
    if len(text) > cells:
        text = ""
    text_start = cells - len(text)
    segments: list[Segment] = []
    position = 0
    runs = [*parts, (cells - sum(n for n, _ in parts), shadow)]
    last = len(runs) - 1
    for index, (count, style) in enumerate(runs):
        if count <= 0:
            continue
        end = position + count
        # The run's fill up to where the text starts, then the text's share of the run.
        filled = max(0, min(end, text_start) - position)
        run = (" " if index == last else BAR_CHAR) * filled
        if filled < count:
            run += text[position + filled - text_start : end - text_start]
        segments.append(Segment(run, style))
        position = end
    return segments


class CpuMeters(ChangedCells, Widget):
    """CPU bars, one per CPU and stacked by state in htop's colours, then the Mem and Swp bars.

    Many CPUs are laid out in 2, 4 or 8 columns (see `cpu_layout`); the widget's height follows the
    number of rows. An offline CPU reads ``offline``; a CPU without a baseline yet has an empty bar
    and ``-``. The meters take at most half the screen's height less ``reserved_rows`` (the screen's
    other lines that are not the process table below them: a graph, the status line), so that the
    table keeps at least half: CPUs whose bars would need more lines are drawn as a grid of one-cell
    gauges instead, one CPU a cell, or two (see `meters_layout`), each line labelled with the number
    of its first CPU.

    | Class | Description |
    | :- | :- |
    | `cpu-meters--label` | CPU numbers and the ``Mem`` / ``Swp`` captions. |
    | `cpu-meters--bracket` | The ``[`` and ``]`` around each bar. |
    | `cpu-meters--shadow` | The empty part of a bar and the text over it. |
    | `cpu-meters--offline` | The ``offline`` text of an offline CPU. |
    | `cpu-meters--nice` | Time in user mode at positive nice (low priority). |
    | `cpu-meters--user` | Time in user mode at nice 0 or below. |
    | `cpu-meters--system` | Time in the kernel. |
    | `cpu-meters--irq` | Time serving hardware interrupts. |
    | `cpu-meters--softirq` | Time serving soft interrupts. |
    | `cpu-meters--steal` | Time the hypervisor gave to another guest. |
    | `cpu-meters--iowait` | Idle time with IO outstanding (drawn, not counted as busy). |
    | `cpu-meters--low` | A grid cell below 40% busy. |
    | `cpu-meters--mid` | A grid cell from 40% to 70% busy. |
    | `cpu-meters--high` | A grid cell from 70% busy. |
    | `cpu-meters--mem-used` | Memory used by processes and the kernel. |
    | `cpu-meters--mem-buffers` | Memory in buffers. |
    | `cpu-meters--mem-cache` | Memory in the page cache. |
    | `cpu-meters--swap-used` | Swap in use. |

    The default colours are chosen so that each state keeps a distinct ANSI colour on a 16-colour
    terminal; with no colour at all the bars still read by their ``|`` fill.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "cpu-meters--label",
        "cpu-meters--bracket",
        "cpu-meters--shadow",
        "cpu-meters--offline",
        *(f"cpu-meters--{state}" for state in BAR_STATES),
        "cpu-meters--low",
        "cpu-meters--mid",
        "cpu-meters--high",
        "cpu-meters--mem-used",
        "cpu-meters--mem-buffers",
        "cpu-meters--mem-cache",
        "cpu-meters--swap-used",
    }

    DEFAULT_CSS = """
    CpuMeters {
        height: auto;
    }
    CpuMeters > .cpu-meters--label { color: $perftop-cyan; }
    CpuMeters > .cpu-meters--bracket { color: $foreground; text-style: bold; }
    CpuMeters > .cpu-meters--shadow { color: $text-muted; }
    CpuMeters > .cpu-meters--offline { color: $text-muted; text-style: italic; }
    CpuMeters > .cpu-meters--nice { color: $perftop-blue; }
    CpuMeters > .cpu-meters--user { color: $perftop-green; }
    CpuMeters > .cpu-meters--system { color: $perftop-warning; }
    CpuMeters > .cpu-meters--irq { color: $perftop-yellow; }
    CpuMeters > .cpu-meters--softirq { color: $perftop-magenta; }
    CpuMeters > .cpu-meters--steal { color: $perftop-teal; }
    CpuMeters > .cpu-meters--iowait { color: $perftop-grey; }
    CpuMeters > .cpu-meters--low { color: $perftop-green; }
    CpuMeters > .cpu-meters--mid { color: $perftop-yellow; }
    CpuMeters > .cpu-meters--high { color: $perftop-warning; }
    CpuMeters > .cpu-meters--mem-used { color: $perftop-green; }
    CpuMeters > .cpu-meters--mem-buffers { color: $perftop-blue; }
    CpuMeters > .cpu-meters--mem-cache { color: $perftop-yellow; }
    CpuMeters > .cpu-meters--swap-used { color: $perftop-warning; }
    """

    def __init__(
        self,
        *,
        reserved_rows: int = 0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """``reserved_rows``: the screen's lines that are neither the meters nor the table they leave
        half the screen to (see the class docstring)."""
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._reserved_rows = reserved_rows
        self._cpus: tuple[CpuUsage, ...] = ()
        self._numbers: tuple[int, ...] = ()
        self._label_cells = MIN_LABEL_CELLS
        self._memory: MemorySnapshot | None = None
        #: CPU lines the screen's height allows, as the last layout pass found.
        self._max_rows = 1
        #: ``((width, CPU count, label cells, max rows), layout)`` of the last layout asked for.
        self._layout: tuple[tuple[int, int, int, int], MeterLayout] | None = None

    def update_snapshot(self, cpu: CpuSnapshot, memory: MemorySnapshot) -> None:
        """Show a new sample; re-layout only when the set of CPUs changed."""
        cpus = tuple(sorted(cpu.per_cpu, key=_cpu_number))
        numbers = tuple(map(_cpu_number, cpus))
        self._cpus = cpus
        self._memory = memory
        if numbers != self._numbers:
            self._numbers = numbers
            self._label_cells = label_width(numbers)
            self.refresh(layout=True)
        else:
            self.refresh_changed()

    def layout_for(self, width: int) -> MeterLayout:
        """The layout of the CPUs shown now at ``width`` cells (made again only when the width, the
        CPUs or the screen's height changed)."""
        key = (width, len(self._cpus), self._label_cells, self._max_rows)
        if self._layout is None or self._layout[0] != key:
            self._layout = (key, meters_layout(key[1], width, key[2], key[3]))
        return self._layout[1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """CPU rows plus the Mem and Swp lines, in at most half the screen's height less the reserved
        rows (one CPU line at least)."""
        self._max_rows = max(1, viewport.height // 2 - self._reserved_rows - 2)
        return self.layout_for(width).rows + 2

    def paint_line(self, y: int) -> Strip:
        """Draw CPU row ``y``, or the Mem / Swp line after the last CPU row."""
        width = self.view_size.width
        label_cells = self._label_cells
        layout = self.layout_for(width)
        rows = layout.rows
        if y < rows and layout.per_cell:
            usages = self._cpus[y * layout.per_row : (y + 1) * layout.per_row]
            label = str(usages[0].cpu) if usages else ""
            cells = grid_cells(usages, layout.per_cell)
            key: Hashable = (width, label_cells, label, cells)
        elif y < rows:
            columns = layout.columns
            cell_width = (width - (columns - 1)) // columns
            bar = max(0, cell_width - label_cells - 2)
            # Column-major: row y holds CPUs y, y + rows, y + 2 * rows ...
            faces: tuple[Face, ...] = tuple(
                cpu_face(usage, bar) for usage in self._cpus[y : columns * rows : rows]
            )
            key = (width, label_cells, cell_width, faces)
        elif y < rows + 2:
            bar = max(0, width - label_cells - 2)
            face = memory_face(self._memory, bar, swap=y > rows)
            key = (width, label_cells, face)
        else:
            key = (width,)
        kept = self.recent_line(key)  # each line's key names its CPUs or its bar (blank lines are alike)
        if kept is not None:
            return kept
        base = self.component_style("")
        if y < rows and layout.per_cell:
            pieces = [Segment(f"{label:>{label_cells}} ", self._style("label"))]
            for role, run in groupby(cells, key=itemgetter(1)):
                pieces.append(Segment("".join(char for char, _ in run), self._style(role) if role else base))
            strip = filled_line(pieces, width, base)  # one cell a character
        elif y < rows:
            states = self._state_styles()
            pieces = []
            for face in faces:
                if pieces:
                    pieces.append(Segment(" ", base))
                pieces.extend(self._cpu_cell(face, label_cells, bar, states))
            strip = filled_line(pieces, width, base)  # ASCII: one cell a character
        elif y < rows + 2:
            strip = filled_line(self._memory_cell(face, label_cells, bar), width, base)
        else:
            strip = Strip.blank(width, base)
        return self.remember_line(key, strip, RECENT_LINES * (rows + 2))

    def _style(self, part: str) -> Style:
        return self.component_style(f"cpu-meters--{part}")

    def _state_styles(self) -> list[Style]:
        return [self._style(state) for state in BAR_STATES]

    def _frame(self, label: str, label_cells: int, inside: list[Segment]) -> list[Segment]:
        bracket = self._style("bracket")
        return [
            Segment(label.rjust(label_cells), self._style("label")),
            Segment("[", bracket),
            *inside,
            Segment("]", bracket),
        ]

    def _cpu_cell(self, face: Face, label_cells: int, cells: int, states: list[Style]) -> list[Segment]:
        label, counts, text = face
        if counts is None:
            inside = meter_segments([], cells, text, self._style("offline"))
        else:
            parts = list(zip(counts, states, strict=True))
            inside = meter_segments(parts, cells, text, self._style("shadow"))
        return self._frame(label, label_cells, inside)

    def _memory_cell(self, face: Face, label_cells: int, cells: int) -> list[Segment]:
        label, counts, text = face
        names = SWAP_PARTS if label == "Swp" else MEM_PARTS
        parts = [(n, self._style(name)) for n, name in zip(counts or (), names, strict=True)]
        return self._frame(label, label_cells, meter_segments(parts, cells, text, self._style("shadow")))
