"""Where the process table's columns sit on a line: the layout for a width, and sideways scrolling.

Pure Python (no Textual): the process table draws what a :class:`Layout` says, and tests check the layouts
on plain numbers.

Sideways scrolling works in one of two ways, depending on whether every column fits:

- Every column fits: the offset scrolls the COMMAND text only, :data:`COMMAND_SCROLL_STEP` cells a step
  (``command_skip``); the other columns stay put.
- Some columns dropped for width (``dropped``): offset 0 is that narrow layout. Above 0 the line shows the
  full-width row instead (every column at its own width, COMMAND last) scrolled ``h_offset`` cells left,
  with PID frozen at the left edge so that each row still names its process (``shifted``). The offsets to
  step through (:meth:`Layout.h_stops`) are each column's left edge, so a value is never cut at the left
  edge, then every :data:`COMMAND_SCROLL_STEP` cells of command text. A column only partly in view at the
  right edge is left out (drawn blank) rather than cut.

:class:`TableLayout` holds the offset and goes back to 0 when the width switches from one case to the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from perftop.probes.snapshot import ProcessInfo
from perftop.widgets.process_columns import (
    COLUMN_BY_KEY,
    COMMAND_MIN_WIDTH,
    SEPARATOR_WIDTH,
    Column,
    table_columns,
    visible_columns,
)

#: Cells the COMMAND text moves per sideways step.
COMMAND_SCROLL_STEP = 8

#: The column that stays at the left edge while the full-width row is scrolled, as a frozen first column.
FROZEN = COLUMN_BY_KEY["pid"]

#: A column of the full-width row with the cell where it starts, right of the frozen PID.
Placed = tuple[Column, int]


def marker_width(marker: bool) -> int:
    """Cells the tag marker column takes with its separator (0 without the marker)."""
    return 1 + SEPARATOR_WIDTH if marker else 0


def scrolled_row(columns: Iterable[Column]) -> tuple[Placed, ...]:
    """The columns right of PID in the full-width row, each with the cell where it starts in that row
    (0 is the first cell right of PID). COMMAND comes last and runs to the end of the longest command."""
    placed: list[Placed] = []
    x = 0
    for column in columns:
        if column is not FROZEN:
            placed.append((column, x))
            x += column.width + SEPARATOR_WIDTH
    return tuple(placed)


def command_row_x(scrolled: tuple[Placed, ...]) -> int:
    """Where COMMAND starts in the full-width row."""
    return next(x for column, x in scrolled if column.flexible)


@dataclass(frozen=True, slots=True)
class Span:
    """Where a column sits on a line, in cells from the widget's left edge."""

    column: Column
    x: int
    width: int


def shifted_spans(width: int, left: int, offset: int, scrolled: tuple[Placed, ...]) -> tuple[list[Span], int]:
    """The full-width row ``scrolled`` shifted ``offset`` cells to the left with PID frozen at ``left``:
    the spans in view (a fixed column only partly in view is left out) and the cells of command text
    scrolled out."""
    spans = [Span(FROZEN, left, FROZEN.width)]
    start = left + FROZEN.width + SEPARATOR_WIDTH
    command_skip = 0
    for column, row_x in scrolled:
        x = start + row_x - offset
        if column.flexible:
            command_skip = max(0, offset - row_x)
            x = max(x, start)
            if x < width:
                spans.append(Span(column, x, width - x))
        elif x >= start and x + column.width <= width:
            spans.append(Span(column, x, column.width))
    return spans, command_skip


def fitted_spans(width: int, left: int, columns: Iterable[Column]) -> list[Span]:
    """``columns`` side by side from cell ``left``, COMMAND taking what is left of ``width``."""
    spans = []
    x = left
    for column in columns:
        span_width = max(0, width - x) if column.flexible else column.width
        spans.append(Span(column, x, span_width))
        x += span_width + SEPARATOR_WIDTH
    return spans


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns on screen for one widget width, tag marker, horizontal offset and set of shown
    optional columns.

    ``spans`` are left to right; the cells between them (separators, and the cells of a column only partly
    in view while shifted) are drawn blank. ``cell_length`` is ``width``, or where the last span ends when
    even the columns that always stay do not fit (the line is then cut at ``width``).
    ``dropped``: some column gave way for width. ``shifted``: the full-width row is scrolled with PID
    frozen (``dropped`` and an offset above 0). ``command_skip``: cells of the command text scrolled out.
    ``scrolled``: the full-width row (see :func:`scrolled_row`) for the shown columns.

    Derived from those: ``gaps``, the blank cells before each span (the marker column before the first),
    and ``tail``, after the last one; ``inputs``, each span's ``Column.inputs``.
    """

    width: int
    marker: bool
    h_offset: int
    shown: frozenset[str]
    spans: tuple[Span, ...]
    cell_length: int
    dropped: bool
    shifted: bool
    command_skip: int
    scrolled: tuple[Placed, ...] = field(repr=False, compare=False)
    gaps: tuple[str, ...] = field(init=False, repr=False, compare=False)
    tail: str = field(init=False, repr=False, compare=False)
    inputs: tuple[Callable[[ProcessInfo], Any], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        gaps = []
        x = marker_width(self.marker)
        for span in self.spans:
            gaps.append(" " * (span.x - x))
            x = span.x + span.width
        object.__setattr__(self, "gaps", tuple(gaps))
        object.__setattr__(self, "tail", " " * (self.cell_length - x))
        object.__setattr__(self, "inputs", tuple(span.column.inputs for span in self.spans))

    def column_at(self, x: int) -> str | None:
        """Key of the column drawn at cell ``x``, or ``None`` (a separator, the marker, a blank cell)."""
        for span in self.spans:
            if span.x <= x < span.x + span.width:
                return span.column.key
        return None

    def h_limit(self, longest: int) -> int:
        """The largest useful offset when the longest command on screen is ``longest`` cells: its end at
        the right edge."""
        if self.dropped:
            view = self.width - (marker_width(self.marker) + FROZEN.width + SEPARATOR_WIDTH)
            return max(0, command_row_x(self.scrolled) + max(longest, COMMAND_MIN_WIDTH) - view)
        command = next((s for s in self.spans if s.column.flexible), None)
        return max(0, longest - (command.width if command is not None else 0))

    def h_stops(self, longest: int) -> list[int]:
        """The offsets sideways steps go through while columns are dropped: each column's left edge in the
        full-width row, then every :data:`COMMAND_SCROLL_STEP` cells of command, then the end."""
        limit = self.h_limit(longest)
        stops = [x for _, x in self.scrolled if x < limit]
        stops += range(command_row_x(self.scrolled) + COMMAND_SCROLL_STEP, limit, COMMAND_SCROLL_STEP)
        stops.append(limit)
        return stops

    def sideways(self, direction: int, longest: int) -> int:
        """The offset one step right (``direction`` 1) or left (-1) leads to: the COMMAND text moved by
        :data:`COMMAND_SCROLL_STEP` cells when every column fits (not clamped), else the next or previous
        of :meth:`h_stops` (this offset when there is none to the right, 0 to the left)."""
        current = self.h_offset
        if not self.dropped:
            return current + direction * COMMAND_SCROLL_STEP
        if direction > 0:
            return min((s for s in self.h_stops(longest) if s > current), default=current)
        return max((s for s in self.h_stops(longest) if s < current), default=0)


class TableLayout:
    """The layout the table draws with: the sideways offset, and the :class:`Layout` for a width, kept
    while the width, tag marker, offset and shown optional columns stay the same.

    The offset goes back to 0 when the layout switches between "every column fits" and "columns dropped"
    (it means another thing in the other case), and when the shown columns change (``reset_offset``).
    """

    __slots__ = ("_h_offset", "_layout", "_scrolled")

    def __init__(self) -> None:
        self._h_offset = 0
        self._layout: Layout | None = None
        self._scrolled: tuple[frozenset[str], tuple[Placed, ...]] | None = None

    @property
    def h_offset(self) -> int:
        """Cells scrolled to the left, as set (a layout built now may take it back to 0)."""
        return self._h_offset

    def set_h_offset(self, cells: int) -> bool:
        """Scroll to ``cells`` (the caller clamps it); True when that changed the offset."""
        if cells == self._h_offset:
            return False
        self._h_offset = cells
        return True

    def reset_offset(self) -> None:
        """Back to offset 0: the columns moved, and an offset into the old row would land mid-column."""
        self._h_offset = 0

    def at(self, width: int, marker: bool, shown: frozenset[str]) -> Layout:
        """The layout at ``width`` cells, with or without the tag marker, with the ``shown`` optional
        columns."""
        layout = self._layout
        if layout is not None and (layout.width, layout.marker, layout.h_offset, layout.shown) == (
            width,
            marker,
            self._h_offset,
            shown,
        ):
            return layout
        left = marker_width(marker)
        columns = visible_columns(width - left, shown)
        dropped = len(columns) < len(table_columns(shown))
        if layout is not None and layout.dropped != dropped:
            self._h_offset = 0
        scrolled = self._scrolled_row(shown)
        shifted = dropped and self._h_offset > 0
        if shifted:
            spans, command_skip = shifted_spans(width, left, self._h_offset, scrolled)
        else:
            spans = fitted_spans(width, left, columns)
            command_skip = 0 if dropped else self._h_offset
        end = max(width, spans[-1].x + spans[-1].width)
        layout = Layout(
            width, marker, self._h_offset, shown, tuple(spans), end, dropped, shifted, command_skip, scrolled
        )
        self._layout = layout
        return layout

    def _scrolled_row(self, shown: frozenset[str]) -> tuple[Placed, ...]:
        kept = self._scrolled
        if kept is None or kept[0] != shown:
            kept = self._scrolled = (shown, scrolled_row(table_columns(shown)))
        return kept[1]
