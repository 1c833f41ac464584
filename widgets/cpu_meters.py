"""htop's header meters: one stacked bar per CPU, then the Mem and Swp bars, drawn in one widget."""

from __future__ import annotations

from collections.abc import Sequence
from math import ceil, floor
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from probes.snapshot import CpuSnapshot, CpuUsage, MemorySnapshot
from widgets.changed_cells import ChangedCells

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


def label_width(cpus: Sequence[int]) -> int:
    """Cells for the caption column: the widest CPU number, and at least ``MIN_LABEL_CELLS``."""
    widest = max((len(str(cpu)) for cpu in cpus), default=1)
    return max(MIN_LABEL_CELLS, widest)


def cpu_layout(cpu_count: int, width: int, label_cells: int = MIN_LABEL_CELLS) -> tuple[int, int]:
    """Choose ``(columns, rows)`` for ``cpu_count`` CPU bars in ``width`` cells.

    Few CPUs get one column; more CPUs get 2, 4 or 8 columns (as htop's layouts) once one column would
    need more than ``PREFERRED_MAX_ROWS`` rows, but only as many columns as keep each bar at least
    ``MIN_BAR_CELLS`` wide. Columns are separated by one blank cell.
    """
    if cpu_count <= 0:
        return 1, 0
    cell = label_cells + 2 + MIN_BAR_CELLS
    fitting = [c for c in LAYOUT_COLUMNS if c == 1 or c * cell + (c - 1) <= width]
    for columns in fitting:
        if ceil(cpu_count / columns) <= PREFERRED_MAX_ROWS:
            break
    else:
        columns = fitting[-1]
    columns = min(columns, cpu_count)
    return columns, ceil(cpu_count / columns)


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
        running = min(full, running + max(0.0, part or 0.0))
        boundary = min(cells, floor(running / full * cells + 0.5))
        counts.append(boundary - previous)
        previous = boundary
    return counts


def format_bytes(value: int | None) -> str:
    """Bytes in htop's meter form with binary units: ``3.2G``, ``512M``, ``768K``; ``-`` when unknown."""
    if value is None:
        return "-"
    amount = value / 1024
    unit = "K"
    for bigger in ("M", "G", "T", "P"):
        if amount < 1024:
            break
        amount /= 1024
        unit = bigger
    if unit == "K" or amount >= 100:
        return f"{amount:.0f}{unit}"
    return f"{amount:.1f}{unit}"


def cpu_text(usage: CpuUsage) -> str:
    """The text at the right end of a CPU bar: busy percent, ``offline``, or ``-`` without a baseline."""
    if not usage.online:
        return "offline"
    busy = usage.busy
    return "-" if busy is None else f"{busy:.1f}%"


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
    for index, (count, style) in enumerate(runs):
        if count <= 0:
            continue
        fill = " " if index == len(runs) - 1 else BAR_CHAR
        chars = [text[i - text_start] if i >= text_start else fill for i in range(position, position + count)]
        segments.append(Segment("".join(chars), style))
        position += count
    return segments


class CpuMeters(ChangedCells, Widget):
    """CPU bars, one per CPU and stacked by state in htop's colours, then the Mem and Swp bars.

    Many CPUs are laid out in 2, 4 or 8 columns (see `cpu_layout`); the widget's height follows the
    number of rows. An offline CPU reads ``offline``; a CPU without a baseline yet has an empty bar
    and ``-``.

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
        "cpu-meters--mem-used",
        "cpu-meters--mem-buffers",
        "cpu-meters--mem-cache",
        "cpu-meters--swap-used",
    }

    DEFAULT_CSS = """
    CpuMeters {
        height: auto;
    }
    CpuMeters > .cpu-meters--label { color: #29b8db; }
    CpuMeters > .cpu-meters--bracket { color: $foreground; text-style: bold; }
    CpuMeters > .cpu-meters--shadow { color: $text-muted; }
    CpuMeters > .cpu-meters--offline { color: $text-muted; text-style: italic; }
    CpuMeters > .cpu-meters--nice { color: #5c7cfa; }
    CpuMeters > .cpu-meters--user { color: #4ec94e; }
    CpuMeters > .cpu-meters--system { color: #e5484d; }
    CpuMeters > .cpu-meters--irq { color: #d7ba3d; }
    CpuMeters > .cpu-meters--softirq { color: #c678dd; }
    CpuMeters > .cpu-meters--steal { color: #2bc3d3; }
    CpuMeters > .cpu-meters--iowait { color: #7f7f7f; }
    CpuMeters > .cpu-meters--mem-used { color: #4ec94e; }
    CpuMeters > .cpu-meters--mem-buffers { color: #5c7cfa; }
    CpuMeters > .cpu-meters--mem-cache { color: #d7ba3d; }
    CpuMeters > .cpu-meters--swap-used { color: #e5484d; }
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
        self._cpus: tuple[CpuUsage, ...] = ()
        self._label_cells = MIN_LABEL_CELLS
        self._memory: MemorySnapshot | None = None

    def update_snapshot(self, cpu: CpuSnapshot, memory: MemorySnapshot) -> None:
        """Show a new sample; re-layout only when the set of CPUs changed."""
        cpus = tuple(sorted(cpu.per_cpu, key=lambda usage: usage.cpu))
        relayout = [u.cpu for u in cpus] != [u.cpu for u in self._cpus]
        self._cpus = cpus
        self._label_cells = label_width([u.cpu for u in cpus])
        self._memory = memory
        if relayout:
            self.refresh(layout=True)
        else:
            self.refresh_changed()

    def layout_for(self, width: int) -> tuple[int, int]:
        """``(columns, rows)`` of CPU bars at ``width`` cells for the CPUs shown now."""
        return cpu_layout(len(self._cpus), width, self._label_cells)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """CPU rows plus the Mem and Swp lines."""
        return self.layout_for(width)[1] + 2

    def paint_line(self, y: int) -> Strip:
        """Draw CPU row ``y``, or the Mem / Swp line after the last CPU row."""
        width = self.view_size.width
        base = self.component_style("")
        label_cells = self._label_cells
        columns, rows = self.layout_for(width)
        if y < rows:
            cell_width = (width - (columns - 1)) // columns
            states = self._state_styles()
            pieces: list[Segment] = []
            for column in range(columns):
                index = column * rows + y
                if index >= len(self._cpus):
                    break
                if column:
                    pieces.append(Segment(" ", base))
                pieces.extend(self._cpu_cell(self._cpus[index], label_cells, cell_width, states))
            return Strip(pieces).adjust_cell_length(width, base)
        if y == rows:
            return Strip(self._memory_cell(label_cells, width, swap=False)).adjust_cell_length(width, base)
        if y == rows + 1:
            return Strip(self._memory_cell(label_cells, width, swap=True)).adjust_cell_length(width, base)
        return Strip.blank(width, base)

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

    def _cpu_cell(
        self, usage: CpuUsage, label_cells: int, cell_width: int, states: list[Style]
    ) -> list[Segment]:
        cells = max(0, cell_width - label_cells - 2)
        if not usage.online:
            inside = meter_segments([], cells, cpu_text(usage), self._style("offline"))
        else:
            values = [getattr(usage, state) for state in BAR_STATES]
            counts = bar_cells(values, 100.0, cells)
            parts = list(zip(counts, states, strict=True))
            inside = meter_segments(parts, cells, cpu_text(usage), self._style("shadow"))
        return self._frame(str(usage.cpu), label_cells, inside)

    def _memory_cell(self, label_cells: int, width: int, *, swap: bool) -> list[Segment]:
        cells = max(0, width - label_cells - 2)
        memory = self._memory
        if swap:
            label = "Swp"
            total = memory.swap_total_bytes if memory else None
            used = memory.swap_used_bytes if memory else None
            values: list[int | None] = [used]
            names = ["swap-used"]
        else:
            label = "Mem"
            total = memory.total_bytes if memory else None
            used = memory.used_bytes if memory else None
            values = [used, memory.buffers_bytes if memory else None, memory.cached_bytes if memory else None]
            names = ["mem-used", "mem-buffers", "mem-cache"]
        counts = bar_cells([None if v is None else float(v) for v in values], float(total or 0), cells)
        parts = [(n, self._style(name)) for n, name in zip(counts, names, strict=True)]
        text = f"{format_bytes(used)}/{format_bytes(total)}"
        return self._frame(label, label_cells, meter_segments(parts, cells, text, self._style("shadow")))
