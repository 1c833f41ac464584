"""A scrolling history of CPU load: the total as a braille graph (as btop draws it), and one per CPU."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from math import ceil, floor
from typing import ClassVar, TypeVar

from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from perftop.probes.snapshot import CpuSnapshot
from perftop.widgets.changed_cells import ChangedCells, filled_line
from perftop.widgets.formatting import format_share, spark_cell
from perftop.widgets.marks import marked_cells, with_marks
from perftop.widgets.series import record

#: Samples kept per series: five minutes at the default one-second interval.
DEFAULT_MAXLEN = 300

#: Braille dot bits of the left and right dot columns, from the bottom dot up.
_LEFT_DOTS = (0x40, 0x04, 0x02, 0x01)
_RIGHT_DOTS = (0x80, 0x20, 0x10, 0x08)

#: Rows the total graph keeps when per-CPU histories share the height: a quarter of it, within these.
MIN_GRAPH_ROWS = 2
MAX_GRAPH_ROWS = 8

#: Left gutter for the scale (``100%``), right column for ``now``/``avg``/``max``.
_SCALE_CELLS = 5
_STATS_CELLS = 11

#: Narrowest per-CPU sparkline worth drawing, and narrowest per-CPU graph of several rows (40 samples).
MIN_SPARK_CELLS = 10
MIN_TALL_CELLS = 20

#: Cells of a per-CPU history's figure after its graph (``100%``, a blank before it).
_NOW_CELLS = 5

#: Cells the graph moves at a time (every ``2 * MOVE_CELLS`` samples, two samples to a cell).
MOVE_CELLS = 2

#: Graph lines kept per line of the graph, by what they show: the rows of a low load stay blank while
#: ``now`` comes back to the same few figures (a CPU's time is counted in clock ticks), so most such lines
#: are handed over rather than drawn again.
RECENT_LINES = 16

#: A style, or the role naming one.
_S = TypeVar("_S", Style, str)

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


def braille_pair(left: float | None, right: float | None) -> str:
    """One braille cell whose left and right dot columns are two percents, four dots tall each (blank
    when neither lights a dot): ``braille_graph([left, right], 1, 1)``, without building a graph."""
    return _braille_column(_dots(left, 4), _dots(right, 4), 1)[0]


class GraphRows:
    """The rows of a `braille_graph` of a series' newest samples, kept from one drawing to the next and
    changed only in the cells whose samples changed: a new sample fills in one cell, a move shifts the
    rows by ``MOVE_CELLS``, a sample dropped from the start of a full series leaves a gap. (Converting
    every sample anew at each refresh is costly with a full history.)"""

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


#: A sparkline cell's band as one letter (``" "``: a blank cell, drawn in the widget's own style), so that
#: a line's runs of one band are found by a regular expression over a string.
_BAND_LETTERS = {"low": "l", "mid": "m", "high": "h"}
_LETTER_ROLES = {"l": "low", "m": "mid", "h": "high", " ": ""}
_LETTER_RUNS = re.compile(r"l+|m+|h+| +")


class SparkRow:
    """A sparkline of a series' newest samples, one a cell, kept from one drawing to the next. It moves
    ``2 * MOVE_CELLS`` cells at a time, as the total graph does, so that between moves only the cells of
    new samples change (on screen too); those are the only cells worked out again."""

    def __init__(self) -> None:
        #: The number of the sample in the first cell, the cells, the number of the series' first sample
        #: and the number after the last sample set, at the last drawing.
        self._start = self._cells = self._first = self._upto = 0
        self._chars: list[str] = []
        self._letters: list[str] = []

    def runs(
        self, series: Sequence[float | None], first: int, drawn: int, cells: int
    ) -> list[tuple[str, str]]:
        """``(text, role)`` runs (role ``low``, ``mid``, ``high`` or ``""``) of the sparkline ``cells``
        wide of the samples numbered ``first`` (``series[0]``) up to ``drawn`` (exclusive; later ones are
        left out, as while frozen), then blanks up to the next multiple of ``2 * MOVE_CELLS`` samples."""
        end = drawn + (-drawn % (2 * MOVE_CELLS))
        start = end - cells
        shift = start - self._start
        if cells != self._cells or drawn < self._upto or not 0 <= shift < cells:
            self._chars, self._letters = [" "] * cells, [" "] * cells
            self._cells, self._first, self._upto = cells, first, start
        elif shift:
            self._chars = self._chars[shift:] + [" "] * shift
            self._letters = self._letters[shift:] + [" "] * shift
        self._start = start
        chars, letters = self._chars, self._letters
        # Samples dropped from the start of a full series since the last drawing leave gaps.
        for number in range(max(self._first, start), min(first, end)):
            chars[number - start] = letters[number - start] = " "
        for number in range(max(self._upto, start, first), drawn):
            value = series[number - first]
            chars[number - start] = char = spark_cell(value)
            letters[number - start] = " " if char == " " else _BAND_LETTERS[band(value)]
        self._first, self._upto = first, drawn
        text, bands = "".join(chars), "".join(letters)
        runs = _LETTER_RUNS.finditer(bands)
        return [(text[run.start() : run.end()], _LETTER_ROLES[run.group()[0]]) for run in runs]


@dataclass(frozen=True, slots=True)
class CpuHistoryLayout:
    """How a `LoadHistory` with per-CPU histories splits its height.

    The total graph takes ``graph_rows``; below it, ``columns`` columns of per-CPU histories (CPU numbers
    running down each column) of ``per_column`` histories each, every one a graph ``entry_rows`` high
    (1: a sparkline) and ``graph_cells`` wide, with a blank line under it when taller than one.
    ``shown`` CPUs are drawn: all, unless the widget is too small for them, when its last line says so.
    """

    graph_rows: int
    columns: int = 1
    per_column: int = 0
    entry_rows: int = 1
    graph_cells: int = 0
    shown: int = 0

    @property
    def slot_rows(self) -> int:
        """Lines from one history's first to the next one's."""
        return self.entry_rows + (self.entry_rows > 1)


def per_cpu_layout(cpu_count: int, width: int, height: int, label_cells: int) -> CpuHistoryLayout:
    """Lay out the total graph and ``cpu_count`` per-CPU histories in ``width`` by ``height`` cells.

    The total graph gets a quarter of the height (within ``MIN_GRAPH_ROWS`` and ``MAX_GRAPH_ROWS``) and
    the CPUs the rest, in 1, 2, 4, 8 ... columns (as btop groups its cores): the fewest columns whose
    histories are graphs of two rows or more at least ``MIN_TALL_CELLS`` wide; else the fewest whose
    sparklines of one row, at least ``MIN_SPARK_CELLS`` wide, all fit (the total graph giving up rows
    for that, down to ``MIN_GRAPH_ROWS``, before the sparklines narrow); else as many columns as fit,
    and a last line for the note.
    """
    if cpu_count <= 0 or height <= MIN_GRAPH_ROWS:
        return CpuHistoryLayout(height)
    tallest = max(MIN_GRAPH_ROWS, min(MAX_GRAPH_ROWS, height // 4))

    def cells(columns: int) -> int:
        return (width - (columns - 1)) // columns - label_cells - 1 - _NOW_CELLS

    widths: dict[int, int] = {}
    columns = 1
    while columns <= cpu_count and cells(columns) >= MIN_SPARK_CELLS:
        widths[columns] = cells(columns)
        columns *= 2
    if not widths:
        return CpuHistoryLayout(height)
    room = height - tallest
    for columns, graph_cells in widths.items():
        per_column = ceil(cpu_count / columns)
        entry_rows = room // per_column - 1
        if entry_rows >= 2 and graph_cells >= MIN_TALL_CELLS:
            return CpuHistoryLayout(tallest, columns, per_column, entry_rows, graph_cells, cpu_count)
    for columns, graph_cells in widths.items():
        per_column = ceil(cpu_count / columns)
        graph_rows = max(MIN_GRAPH_ROWS, min(tallest, height - per_column))
        if per_column <= height - graph_rows:
            return CpuHistoryLayout(graph_rows, columns, per_column, 1, graph_cells, cpu_count)
    columns, graph_cells = max(widths.items())
    per_column = height - MIN_GRAPH_ROWS - 1
    return CpuHistoryLayout(MIN_GRAPH_ROWS, columns, per_column, 1, graph_cells, columns * per_column)


def _merge(pieces: Iterable[tuple[str, _S]]) -> list[tuple[str, _S]]:
    """``(text, style)`` pieces (or ``(text, role)``), neighbours of one style joined."""
    merged: list[tuple[str, _S]] = []
    for text, style in pieces:
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + text, style)
        else:
            merged.append((text, style))
    return merged


class LoadHistory(ChangedCells, Widget):
    """History of total CPU load as a multi-row braille graph, with optional per-CPU histories below it
    (braille graphs of several rows while the CPUs are few, sparklines when many: see `per_cpu_layout`).

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
    | `load-history--mark` | A tuning action's marker (``▼``): atop a graph, in place of a sparkline cell. |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "load-history--scale",
        "load-history--value",
        "load-history--low",
        "load-history--mid",
        "load-history--high",
        "load-history--mark",
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
    LoadHistory > .load-history--mark { color: $perftop-magenta; text-style: bold; }
    """

    per_cpu: reactive[bool] = reactive(False)
    """Draw a history per CPU below the total graph, which keeps a quarter of the height."""

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
        #: Beside the series: whether a tuning action was applied during each sample.
        self._marks: deque[bool] = deque(maxlen=maxlen)
        #: ``(drawn, cells, per_cell) -> cells marked`` of the samples drawn now (one entry per graph size).
        self._marked: dict[tuple[int, int, int], frozenset[int]] = {}
        # The CPU order and label width change only when a CPU is first seen.
        self._cpus: tuple[int, ...] = ()
        self._label_cells = 3
        # Set when samples arrived while off screen, so the next Show redraws them.
        self._stale = False
        # Whether the widget is laid out on its screen, as Textual's Show and Hide events say: asking
        # is_on_screen at every sample costs more (pane 2's widgets are not even mounted at first).
        self._shown = False
        # While frozen: the samples recorded since the freeze, left out of the drawing.
        self._frozen = False
        self._held = 0
        # Samples pushed so far: the number of the next one, to tell the graph which samples are new.
        self._pushed = 0
        self._graph_rows = GraphRows()
        #: Each CPU's history as braille rows (several lines high) or as a sparkline (one line).
        self._cpu_graphs: dict[int, GraphRows] = {}
        self._sparks: dict[int, SparkRow] = {}
        #: ``(key, layout)`` of the last `layout` made.
        self._layout: tuple[tuple[int, int, int, int], CpuHistoryLayout] | None = None
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

    @property
    def marks(self) -> tuple[bool, ...]:
        """Whether a tuning action was applied during each sample, oldest first."""
        return tuple(self._marks)

    def push(self, cpu: CpuSnapshot, marked: bool = False) -> None:
        """Record one sample, ``marked`` when a tuning action was applied during it; redraw only if the
        widget is on screen and not frozen."""
        self._pushed += 1
        self._marks.append(marked)
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

    def clear_history(self) -> None:
        """Forget every sample (a replay's jump records the samples before its new position again)."""
        self._total.clear()
        self._per_cpu.clear()
        self._marks.clear()
        self._marked.clear()
        self._held = 0
        # Sample numbers go on from where they were: the graphs' kept rows see the old samples as dropped.
        self._graph_rows = GraphRows()
        self._cpu_graphs.clear()
        self._sparks.clear()
        self._drawing_cache = None
        self.refresh()

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

    def _marked_cells(self, cells: int, per_cell: int) -> frozenset[int]:
        """The cells of a graph ``cells`` wide (``per_cell`` samples a cell, moving as `GraphRows` and
        `SparkRow` move) that hold a marked sample drawn now."""
        drawn = self._pushed - self._held
        key = (drawn, cells, per_cell)
        found = self._marked.get(key)
        if found is None:
            if self._marked and next(iter(self._marked))[0] != drawn:
                self._marked.clear()  # a new sample: the cells of every size move
            marks = self._marks
            end = len(marks) - self._held
            shown = list(islice(marks, max(0, end - cells * per_cell), max(0, end)))
            pad = -drawn % (2 * MOVE_CELLS)
            found = self._marked[key] = marked_cells(shown, cells, per_cell, pad)
        return found

    def _style(self, part: str) -> Style:
        return self.component_style(f"load-history--{part}")

    def layout(self, width: int, height: int) -> CpuHistoryLayout:
        """The split of ``width`` by ``height`` cells between the total graph and the per-CPU histories
        (made again only when the size or the CPUs seen change)."""
        if not self.per_cpu or not self._per_cpu:
            return CpuHistoryLayout(height)
        key = (width, height, len(self._cpus), self._label_cells)
        if self._layout is None or self._layout[0] != key:
            self._layout = (key, per_cpu_layout(key[2], width, height, key[3]))
        return self._layout[1]

    def paint_line(self, y: int) -> Strip:
        """Draw graph row ``y``, or a line of per-CPU histories below the graph."""
        width, height = self.view_size
        layout = self.layout(width, height)
        if y < layout.graph_rows:
            return self._graph_line(y, layout.graph_rows, width)
        return self._cpu_line(y - layout.graph_rows, layout, width)

    def _graph_line(self, y: int, height: int, width: int) -> Strip:
        scale = _SCALE_CELLS if width >= _SCALE_CELLS + 10 else 0
        stats = _STATS_CELLS if width >= scale + _STATS_CELLS + 10 else 0
        graph_width = width - scale - stats
        rows, figures = self._drawing(graph_width, height)
        row_text = rows[y]
        figure = figures[y] if stats and y < len(figures) else None
        # Markers atop the graph: its first row.
        marked = self._marked_cells(graph_width, 2) if y == 0 else frozenset()
        # Between moves the graph changes only in its newest cells, and not at all in its blank rows.
        key = (y, width, height, row_text, figure, marked)
        kept = self.recent_line(key)
        if kept is not None:
            return kept
        base = self.component_style("")
        bottom = 100.0 * (height - 1 - y) / height
        pieces: list[tuple[str, Style]] = []
        if scale:
            label = "100%" if y == 0 else "  0%" if y == height - 1 else ""
            pieces.append((label.ljust(scale), self._style("scale")))
        graph_style = self._style(band(bottom))
        for text, role in with_marks([(row_text, "")], marked):
            pieces.append((text, self._style(role) if role else graph_style))
        if figure is not None:
            name, value = figure
            pieces.append((f" {name} ", self._style("scale")))
            pieces.append((value.rjust(_STATS_CELLS - 5), self._style("value")))
        segments = [Segment(*piece) for piece in _merge((t, s if t.strip() else base) for t, s in pieces)]
        strip = filled_line(segments, width, base)  # braille: one cell each
        return self.remember_line(key, strip, RECENT_LINES * self.view_size.height)

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

    def _cpu_line(self, y: int, layout: CpuHistoryLayout, width: int) -> Strip:
        """Line ``y`` under the total graph: a line of each column's histories, a blank line between
        histories of several lines, or the note on CPUs left out."""
        entry, line = divmod(y, layout.slot_rows)
        pieces: list[tuple[str, str]] = []
        if entry < layout.per_column and line < layout.entry_rows:
            cpus = self._cpus
            for column in range(layout.columns):
                index = column * layout.per_column + entry
                if index >= layout.shown:
                    break
                if column:
                    pieces.append((" ", ""))
                pieces += self._cpu_pieces(cpus[index], line, layout)
        elif y == layout.per_column and layout.shown < len(self._cpus):
            hidden = len(self._cpus) - layout.shown
            note = f"+{hidden} CPUs not shown (terminal too small; the overview's meters show all)"
            pieces.append((note, "scale"))
        runs = tuple(_merge(pieces))
        key = (y, width, runs)
        kept = self.recent_line(key)
        if kept is not None:
            return kept
        base = self.component_style("")
        segments = [Segment(text, self._style(role) if role else base) for text, role in runs]
        strip = filled_line(segments, width, base)  # blocks and braille: one cell each
        return self.remember_line(key, strip, RECENT_LINES * self.view_size.height)

    def _cpu_pieces(self, cpu: int, line: int, layout: CpuHistoryLayout) -> list[tuple[str, str]]:
        """Line ``line`` of one CPU's history: its number and figure on the first line, the graph
        (a sparkline, or a braille graph of several lines) between them."""
        series = self._per_cpu[cpu]
        cells = layout.graph_cells
        drawn = len(series) - self._held
        gutter = f"{cpu:>{self._label_cells}} " if line == 0 else " " * (self._label_cells + 1)
        pieces = [(gutter, "scale")]
        pushed = self._pushed
        if layout.entry_rows == 1:
            spark = self._sparks.get(cpu)
            if spark is None:
                spark = self._sparks[cpu] = SparkRow()
            runs = spark.runs(series, pushed - len(series), pushed - self._held, cells)
            pieces += with_marks(runs, self._marked_cells(cells, 1))
        else:
            graph = self._cpu_graphs.get(cpu)
            if graph is None:
                graph = self._cpu_graphs[cpu] = GraphRows()
            rows = graph.rows(series, pushed - len(series), pushed - self._held, cells, layout.entry_rows)
            bottom = 100.0 * (layout.entry_rows - 1 - line) / layout.entry_rows
            row = [(rows[line], band(bottom) if rows[line].strip() else "")]
            pieces += with_marks(row, self._marked_cells(cells, 2)) if line == 0 else row
        if line:
            pieces.append((" " * _NOW_CELLS, ""))
        else:
            newest = series[drawn - 1] if drawn > 0 else None
            pieces.append(("   - " if newest is None else f"{newest:4.0f}%", "value"))
        return pieces
