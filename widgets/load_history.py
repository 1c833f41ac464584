"""A scrolling history of CPU load: the total as a braille graph (as btop draws it), per-CPU sparklines."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from functools import lru_cache
from math import ceil, floor
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from perftop.probes.snapshot import CpuSnapshot
from perftop.widgets.changed_cells import ChangedCells, filled_line
from perftop.widgets.formatting import format_share, spark_cell
from perftop.widgets.series import record

#: Samples kept per series: five minutes at the default one-second interval.
DEFAULT_MAXLEN = 300

#: Braille dot bits of the left and right dot columns, from the bottom dot up.
_LEFT_DOTS = (0x40, 0x04, 0x02, 0x01)
_RIGHT_DOTS = (0x80, 0x20, 0x10, 0x08)

#: Fewest rows the total graph keeps when per-CPU rows compete for the height.
MIN_GRAPH_ROWS = 2

#: Left gutter for the scale (``100%``), right column for ``now``/``avg``/``max``.
_SCALE_CELLS = 5
_STATS_CELLS = 11

#: Narrowest per-CPU sparkline worth drawing.
_MIN_SPARK_CELLS = 10

#: Cells the graph moves at a time (every ``2 * MOVE_CELLS`` samples, two samples to a cell).
MOVE_CELLS = 2

#: Graph lines kept per line of the graph, by what they show: the rows of a low load stay blank while
#: ``now`` comes back to the same few figures (a CPU's time is counted in clock ticks), so most such lines
#: are handed over rather than drawn again.
RECENT_LINES = 16

#: Load bands for colour: below mid is low, from high up is high.
MID_PERCENT = 40.0
HIGH_PERCENT = 70.0


def _dots(value: float | None, dot_rows: int) -> int:
    """Dots lit for ``value`` percent in a column ``dot_rows`` dots tall; any load above zero lights one."""
    if value is None or value <= 0:
        return 0
    lit = floor(min(value, 100.0) / 100.0 * dot_rows + 0.5)
    return max(1, lit)


def braille_graph(samples: Sequence[float | None], width: int, height: int) -> list[str]:
    """Rows (top first) of a filled braille graph, two samples per cell, newest at the right edge.

    ``samples`` are percents, oldest first; only the newest ``2 * width`` are drawn and fewer leave the
    left side blank. ``None`` (no data) draws nothing. Cells with no dot are spaces.
    """
    if width <= 0 or height <= 0:
        return []
    shown = list(samples[-2 * width :])
    shown = [None] * (2 * width - len(shown)) + shown
    dot_rows = 4 * height
    levels = [_dots(value, dot_rows) for value in shown]
    columns = [_braille_column(levels[i], levels[i + 1], height) for i in range(0, 2 * width, 2)]
    return ["".join(row) for row in zip(*columns, strict=True)]


@lru_cache(maxsize=4096)
def _braille_column(left: int, right: int, height: int) -> tuple[str, ...]:
    """The ``height`` cells (top first) of one graph column whose two dot columns light ``left`` and
    ``right`` dots from the bottom: there are few such pairs, and every refresh draws the same ones."""
    cells = []
    for row in range(height):
        floor_dots = 4 * (height - 1 - row)
        bits = 0
        for level, dots in ((left, _LEFT_DOTS), (right, _RIGHT_DOTS)):
            for bit in dots[: min(4, max(0, level - floor_dots))]:
                bits |= bit
        cells.append(chr(0x2800 + bits) if bits else " ")
    return tuple(cells)


class GraphRows:
    """The rows of a `braille_graph` of a series' newest samples, kept from one drawing to the next and
    changed only in the cells whose samples changed: a new sample fills in one cell, a move shifts the
    rows by ``MOVE_CELLS``, a sample dropped from the start of a full series leaves a gap. (Converting
    every sample anew cost ~0.4 ms a refresh here with a full history.)"""

    def __init__(self) -> None:
        #: ``(drawn, width, height)`` of the rows kept, with the number of the series' first sample then.
        self._key: tuple[int, int, int] | None = None
        self._first = 0
        self._rows: list[str] = []

    def rows(
        self, series: Sequence[float | None], first: int, drawn: int, width: int, height: int
    ) -> list[str]:
        """The graph ``width`` by ``height`` cells of the samples numbered ``first`` (``series[0]``) up to
        ``drawn`` (exclusive; later ones are left out, as while frozen), followed by gaps up to the next
        multiple of ``2 * MOVE_CELLS`` samples: the graph moves ``MOVE_CELLS`` cells at a time."""
        key = (drawn, width, height)
        if key == self._key:
            return self._rows
        end = drawn + (-drawn % (2 * MOVE_CELLS))
        start = end - 2 * width  # the number of the sample in the first cell's left dot column

        def value(number: int) -> float | None:
            return series[number - first] if first <= number < drawn else None

        old = self._key
        old_drawn = drawn if old is None else old[0]
        # Cells the rows kept move left by; samples whose value changed since: the new and the dropped.
        shift = (end - (old_drawn + (-old_drawn % (2 * MOVE_CELLS)))) // 2
        new, dropped = range(old_drawn, drawn), range(self._first, first)
        if (
            old is None
            or old[1:] != key[1:]
            or drawn < old_drawn
            or not 0 <= shift < width
            or len(new) + len(dropped) > width
        ):
            rows = braille_graph([value(number) for number in range(start, end)], width, height)
        else:
            # Cells moved in at the right edge are blank unless a new sample is in them (redrawn below).
            rows = [row[shift:] + " " * shift for row in self._rows] if shift else list(self._rows)
            dot_rows = 4 * height
            for cell in {(number - start) // 2 for number in (*new, *dropped) if start <= number < end}:
                left = start + 2 * cell
                column = _braille_column(
                    _dots(value(left), dot_rows), _dots(value(left + 1), dot_rows), height
                )
                for y, char in enumerate(column):
                    if rows[y][cell] != char:  # most rows of a low load stay blank
                        rows[y] = rows[y][:cell] + char + rows[y][cell + 1 :]
        self._key, self._first, self._rows = key, first, rows
        return rows


def band(value: float | None) -> str:
    """``low``, ``mid`` or ``high``: the colour band of a load percent."""
    if value is None or value < MID_PERCENT:
        return "low"
    return "mid" if value < HIGH_PERCENT else "high"


def per_cpu_layout(cpu_count: int, width: int, label_cells: int) -> tuple[int, int]:
    """``(columns, rows)`` for per-CPU sparklines: as many columns as keep a useful sparkline."""
    if cpu_count <= 0:
        return 1, 0
    entry = label_cells + 1 + _MIN_SPARK_CELLS + 5
    columns = max(1, min(cpu_count, (width + 1) // (entry + 1)))
    return columns, ceil(cpu_count / columns)


def _merge(pieces: Iterable[tuple[str, Style]]) -> list[Segment]:
    """Segments from ``(text, style)`` pieces, neighbours of one style joined."""
    segments: list[Segment] = []
    for text, style in pieces:
        if segments and segments[-1].style == style:
            segments[-1] = Segment(segments[-1].text + text, style)
        else:
            segments.append(Segment(text, style))
    return segments


class LoadHistory(ChangedCells, Widget):
    """History of total CPU load as a multi-row braille graph, with optional per-CPU sparklines.

    `push` records a sample into bounded ring buffers whether or not the widget is shown; drawing
    happens only while it is on screen. The graph takes the widget's height: small in the main screen,
    taller in a detail pane. The scale is fixed at 0-100% so heights compare across time.

    | Class | Description |
    | :- | :- |
    | `load-history--scale` | The ``100%`` / ``0%`` scale and per-CPU labels. |
    | `load-history--value` | The ``now`` / ``avg`` / ``max`` figures. |
    | `load-history--low` | Graph rows and sparkline cells below 40%. |
    | `load-history--mid` | Graph rows and sparkline cells from 40% to 70%. |
    | `load-history--high` | Graph rows and sparkline cells from 70%. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "load-history--scale",
        "load-history--value",
        "load-history--low",
        "load-history--mid",
        "load-history--high",
    }

    DEFAULT_CSS = """
    LoadHistory {
        height: 5;
    }
    LoadHistory > .load-history--scale { color: $text-muted; }
    LoadHistory > .load-history--value { color: $foreground; text-style: bold; }
    LoadHistory > .load-history--low { color: $perftop-green; }
    LoadHistory > .load-history--mid { color: $perftop-yellow; }
    LoadHistory > .load-history--high { color: $perftop-warning; }
    """

    per_cpu: reactive[bool] = reactive(False)
    """Draw one sparkline row per CPU below the total graph."""

    def __init__(
        self,
        maxlen: int = DEFAULT_MAXLEN,
        *,
        per_cpu: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._maxlen = maxlen
        self._total: deque[float | None] = deque(maxlen=maxlen)
        self._per_cpu: dict[int, deque[float | None]] = {}
        # The CPU order and label width change only when a CPU is first seen.
        self._cpus: tuple[int, ...] = ()
        self._label_cells = 3
        # Set when samples arrived while off screen, so the next Show redraws them.
        self._stale = False
        # Whether the widget is laid out on its screen, as Textual's Show and Hide events say: asking
        # is_on_screen at every sample cost ~40 µs (pane 2's widgets are not even mounted at first).
        self._shown = False
        # While frozen: the samples recorded since the freeze, left out of the drawing.
        self._frozen = False
        self._held = 0
        # Samples pushed so far: the number of the next one, to tell the graph which samples are new.
        self._pushed = 0
        self._graph_rows = GraphRows()
        #: ``(key, rows, figures)`` of the last `_drawing`.
        self._drawing_cache: tuple[tuple[int, ...], list[str], tuple[tuple[str, str], ...]] | None = None
        self.set_reactive(LoadHistory.per_cpu, per_cpu)

    @property
    def maxlen(self) -> int:
        """Samples kept per series."""
        return self._maxlen

    @property
    def total_history(self) -> tuple[float | None, ...]:
        """Busy percent of all CPUs together, oldest first (``None`` where unknown)."""
        return tuple(self._total)

    def cpu_history(self, cpu: int) -> tuple[float | None, ...]:
        """Busy percent of one CPU, oldest first; empty for a CPU never seen."""
        return tuple(self._per_cpu.get(cpu, ()))

    @property
    def cpus(self) -> tuple[int, ...]:
        """Every CPU seen so far, in order."""
        return self._cpus

    def push(self, cpu: CpuSnapshot) -> None:
        """Record one sample; redraw only if the widget is on screen and not frozen."""
        self._pushed += 1
        self._total.append(cpu.total.busy if cpu.total is not None else None)
        # A CPU missing from this sample keeps its place in time with a gap.
        record(self._per_cpu, ((usage.cpu, usage.busy) for usage in cpu.per_cpu), self._maxlen)
        if len(self._per_cpu) != len(self._cpus):  # a CPU seen for the first time
            self._cpus = tuple(sorted(self._per_cpu))
            self._label_cells = max(3, *(len(str(number)) for number in self._cpus))
        if self._frozen:
            self._held += 1
        elif self._shown:
            self.refresh_changed()
        else:
            self._stale = True

    @property
    def frozen(self) -> bool:
        """While frozen, samples are recorded but the graph keeps showing those before the freeze,
        even when redrawn (a resize); unfreezing draws them all. Only ``maxlen`` samples are kept, so a
        freeze longer than ``maxlen`` less the graph's width leaves the oldest part of a redraw blank."""
        return self._frozen

    @frozen.setter
    def frozen(self, frozen: bool) -> None:
        if frozen != self._frozen:
            self._frozen = frozen
            self._held = 0
            if not frozen:
                self.refresh()

    def on_show(self) -> None:
        """Draw what arrived while the widget was hidden."""
        self._shown = True
        if self._stale:
            self._stale = False
            self.refresh()

    def on_hide(self) -> None:
        self._shown = False

    def _drawn(self, series: deque[float | None]) -> list[float | None]:
        """The samples of ``series`` to draw: all but those held since a freeze."""
        samples = list(series)
        return samples[: max(0, len(samples) - self._held)] if self._held else samples

    def _style(self, part: str) -> Style:
        return self.component_style(f"load-history--{part}")

    def _rows(self, width: int, height: int) -> tuple[int, int, int, int]:
        """``(graph rows, per-CPU rows shown, per-CPU columns, per-CPU rows in the layout)``."""
        if not self.per_cpu or not self._per_cpu:
            return height, 0, 1, 0
        columns, rows = per_cpu_layout(len(self._per_cpu), width, self._label_cells)
        graph = max(min(height, MIN_GRAPH_ROWS), height - rows)
        return graph, height - graph, columns, rows

    def paint_line(self, y: int) -> Strip:
        """Draw graph row ``y``, or a row of per-CPU sparklines below the graph."""
        width, height = self.view_size
        graph_rows, cpu_rows, columns, layout_rows = self._rows(width, height)
        if y < graph_rows:
            return self._graph_line(y, graph_rows, width)
        segments = (
            self._cpu_line(y - graph_rows, columns, layout_rows, width) if y - graph_rows < cpu_rows else []
        )
        return filled_line(segments, width, self.component_style(""))  # one cell a character

    def _graph_line(self, y: int, height: int, width: int) -> Strip:
        scale = _SCALE_CELLS if width >= _SCALE_CELLS + 10 else 0
        stats = _STATS_CELLS if width >= scale + _STATS_CELLS + 10 else 0
        graph_width = width - scale - stats
        rows, figures = self._drawing(graph_width, height)
        row_text = rows[y]
        figure = figures[y] if stats and y < len(figures) else None
        # Between moves the graph changes only in its newest cells, and not at all in its blank rows.
        key = (y, width, height, row_text, figure)
        kept = self.recent_line(key)
        if kept is not None:
            return kept
        base = self.component_style("")
        bottom = 100.0 * (height - 1 - y) / height
        pieces: list[tuple[str, Style]] = []
        if scale:
            label = "100%" if y == 0 else "  0%" if y == height - 1 else ""
            pieces.append((label.ljust(scale), self._style("scale")))
        pieces.append((row_text, self._style(band(bottom))))
        if figure is not None:
            name, value = figure
            pieces.append((f" {name} ", self._style("scale")))
            pieces.append((value.rjust(_STATS_CELLS - 5), self._style("value")))
        segments = _merge((text, style if text.strip() else base) for text, style in pieces)
        # Braille: one cell each.
        return self.remember_line(key, filled_line(segments, width, base), RECENT_LINES * height)

    def _drawing(self, graph_width: int, height: int) -> tuple[list[str], tuple[tuple[str, str], ...]]:
        """The graph's rows and the ``now``, ``avg`` and ``max`` of the samples it shows (for its first
        three rows), made once for all the lines drawn from them."""
        total = self._total
        # The samples drawn are those from the first kept to the last not held back.
        drawn, first = self._pushed - self._held, self._pushed - len(total)
        key = (drawn, first, graph_width, height)
        if self._drawing_cache is None or self._drawing_cache[0] != key:
            rows = self._graph_rows.rows(total, first, drawn, graph_width, height)
            samples = self._drawn(total)
            window = samples[-2 * graph_width :]
            known = window if None not in window else [v for v in window if v is not None]
            figures = (
                ("now", format_share(samples[-1] if samples else None)),
                ("avg", format_share(sum(known) / len(known) if known else None)),
                ("max", format_share(max(known) if known else None)),
            )
            self._drawing_cache = (key, rows, figures)
        return self._drawing_cache[1], self._drawing_cache[2]

    def _cpu_line(self, row: int, columns: int, rows: int, width: int) -> list[Segment]:
        label_cells = self._label_cells
        entry_width = (width - (columns - 1)) // columns
        spark_cells = max(0, entry_width - label_cells - 1 - 5)
        cpus = self._cpus
        base = self.component_style("")
        bands = {name: self._style(name) for name in ("low", "mid", "high")}
        label_style, value_style = self._style("scale"), self._style("value")
        pieces: list[tuple[str, Style]] = []
        for column in range(columns):
            index = column * rows + row
            if index >= len(cpus):
                break
            if column:
                pieces.append((" ", base))
            series = self._drawn(self._per_cpu[cpus[index]])
            history = series[-spark_cells:] if spark_cells else []
            history = [None] * (spark_cells - len(history)) + history
            newest = series[-1] if series else None
            pieces.append((f"{cpus[index]:>{label_cells}} ", label_style))
            pieces.extend((spark_cell(v), bands[band(v)] if v else base) for v in history)
            pieces.append(("   - " if newest is None else f"{newest:4.0f}%", value_style))
        return _merge(pieces)
