"""Write only the dirty cells of a partial screen update, not each line from its widget's left edge.

Textual (8.x) turns the regions widgets mark dirty into spans per screen line, but writes every span
from the left edge of the widget under it ("TODO: crop to x extents" in ``ChopsUpdate``): a changed
CPU% in the middle of a 200-cell process row rewrites the row's first 50 cells too. Over SSH that is
most of perftop's output, and every segment is written as style + text + reset, so the style costs more
bytes than the text. ``install()`` replaces ``ChopsUpdate.render_segments`` with one that crops each
piece to its span and writes a style only where it changes; everything else (full updates, inline mode,
the order of pieces) is Textual's.

Textual also renders every line of every widget that meets the bounding box of the dirty regions (and
then uses the dirty lines only): a changed cell in the top meters and one in the last table row render
the whole screen. ``install()`` replaces ``Compositor.render_partial_update`` too, with one that asks
each widget only for its lines that a dirty span crosses.

A line widget may hand over scrolls of its lines (``ChangedCells.take_scrolls``): lines whose items moved
together, already moved in what the widget believes is on the terminal. Where its lines are whole screen
lines that nothing covers, the update starts with them (a scroll region, insert or delete lines, the
region reset: ~20 bytes for a row that moved, instead of the row); anywhere else those lines are redrawn.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from perftop.widgets.changed_cells import Scroll, one_cell_each

_ORIGINAL = ChopsUpdate.render_segments
_ORIGINAL_PARTIAL = Compositor.render_partial_update
#: The terminal's style is not known at the start of an update.
_UNKNOWN = object()


class ScrollingUpdate(ChopsUpdate):
    """A partial update whose changed cells assume lines of the screen scrolled first."""

    def __init__(
        self,
        chops: list[dict[int, Strip | None]],
        spans: list[tuple[int, int, int]],
        chop_ends: list[list[int]],
        scrolls: list[Scroll],
    ) -> None:
        super().__init__(chops, spans, chop_ends)
        #: In screen lines, in order.
        self.scrolls = scrolls


def _scroll_sequence(scrolls: list[Scroll]) -> str:
    """Each scroll as a scroll region, the cursor on its top line, lines inserted (the lines move down)
    or deleted (up); then the whole screen as the region again. The blank lines take the default
    background, and are drawn whole by the update."""
    parts = ["\x1b[0m"]
    for top, bottom, shift in scrolls:
        parts.append(
            f"\x1b[{top + 1};{bottom + 1}r\x1b[{top + 1};1H\x1b[{abs(shift)}{'L' if shift > 0 else 'M'}"
        )
    parts.append("\x1b[r")
    return "".join(parts)


def _render_cropped_segments(self: ChopsUpdate, console: Console) -> str:
    """Like Textual's, but each piece starts at its span's first cell, not at its widget's edge, and a
    style is written only where it changes (Textual restates it, and resets, around every segment)."""
    color_system = console._color_system or ColorSystem.TRUECOLOR
    sequences: list[str] = []
    append = sequences.append
    if isinstance(self, ScrollingUpdate) and self.scrolls:
        append(_scroll_sequence(self.scrolls))
    chops = self.chops
    chop_ends = self.chop_ends
    current: object = _UNKNOWN
    # A line crossed by several spans is measured once.
    measured: dict[int, _Measured] = {}
    for y, x1, x2 in self.spans:
        line = chops[y]
        for end, (x, strip) in zip(chop_ends[y], line.items(), strict=False):
            if strip is None:
                continue
            start, stop = max(x, x1), min(end, x2)
            if start >= stop:
                continue
            pieces = measured.get(id(strip))
            if pieces is None:
                pieces = measured[id(strip)] = _measure(strip)
            if start > x and _inside_wide_character(pieces, start - x):
                start -= 1  # writing the right half of a wide character would blank its left half
            append(f"\x1b[{y + 1};{start + 1}H")  # Control.move_to's sequence, without its objects
            for text, style in _cropped(pieces, start - x, stop - x):
                if style is not None and style._link:
                    # Hyperlinks keep Textual's own rendering, which states its style without a reset
                    # before and resets after: start it from a clean state.
                    if current is not None:
                        append("\x1b[0m")
                    append(Strip.render_style(style, text, color_system))
                    current = None
                    continue
                if style is not current and style != current:
                    ansi = Strip.render_ansi(style, color_system) if style is not None else ""
                    append(f"\x1b[0;{ansi}m" if ansi else "\x1b[0m")
                    current = style
                append(text)
    if current is not None:
        append("\x1b[0m")
    return "".join(sequences)


def _render_dirty_lines(self: Compositor) -> ChopsUpdate | None:
    """Like Textual's partial update, but a widget renders only its lines where a dirty span meets one
    of its cuts that no widget in front of it filled, not every line it has inside the dirty regions'
    bounding box.

    Which widget's piece lands in each cut is decided as Textual does: front to back, the first wins.
    The containers behind the widgets are rarely asked for anything."""
    regions = self._dirty_regions.copy()
    self._dirty_regions.clear()
    if not regions:
        return None
    scrolls = _take_scrolls(self, regions)
    spans = list(self._regions_to_spans(regions))
    cuts = self.cuts
    # Per dirty line, the cuts (as start -> end) that a dirty span meets and no widget has filled yet.
    wanted: dict[int, dict[int, int]] = {}
    for y, x1, x2 in spans:
        line_cuts = cuts[y]
        line_wanted = wanted.setdefault(y, {})
        for start, end in pairwise(line_cuts):
            if start < x2 and end > x1:
                line_wanted[start] = end
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(line_cuts[:-1]) for line_cuts in cuts]
    for widget, (region, clip) in self.visible_widgets.items():
        if not wanted:
            break
        x, top, width, height = region.intersection(clip)
        if not width or not height:
            continue
        right = x + width
        lines = [
            y
            for y in range(top, top + height)
            if (line_wanted := wanted.get(y)) and any(x <= cut < right for cut in line_wanted)
        ]
        if not lines:
            continue
        # One call from the first to the last line wanted: the lines between come from the widget's
        # line cache, cheaper than a call per run of lines.
        first = lines[0]
        strips = widget.render_lines(Region(x - region.x, first - region.y, width, lines[-1] - first + 1))
        for y in lines:
            strip = strips[y - first]
            chops_line = chops[y]
            line_wanted = wanted[y]
            line_cuts = [cut for cut in cuts[y] if x <= cut <= right]
            pieces = strip.divide([cut - x for cut in line_cuts[1:]]) if len(line_cuts) > 2 else [strip]
            for cut, piece in zip(line_cuts, pieces, strict=False):
                if chops_line.get(cut) is None:
                    chops_line[cut] = piece
                    line_wanted.pop(cut, None)
            if not line_wanted:
                del wanted[y]
    chop_ends = [line_cuts[1:] for line_cuts in cuts]
    if scrolls:
        return ScrollingUpdate(chops, spans, chop_ends, scrolls)
    return ChopsUpdate(chops, spans, chop_ends)


def _take_scrolls(compositor: Compositor, regions: set[Region]) -> list[Scroll]:
    """The visible widgets' scrolls, in screen lines, where they can be sent; the lines of the others
    added to ``regions``, to be drawn whole.

    A widget's scrolls are sent all or none: each was planned on the lines the ones before it left."""
    screen_scrolls: list[Scroll] = []
    width = compositor.size.width
    in_front: list[Region] = []
    for widget, (region, clip) in compositor.visible_widgets.items():
        take = getattr(widget, "take_scrolls", None)
        scrolls = take() if take is not None else None
        if scrolls:
            shown = region.intersection(clip)
            y = region.y
            bands = [Region(0, y + top, width, bottom - top + 1) for top, bottom, _ in scrolls]
            if shown.width == width and all(
                shown.y <= band.y
                and band.bottom <= shown.bottom
                and not any(band.overlaps(front) for front in in_front)
                for band in bands
            ):
                screen_scrolls.extend((y + top, y + bottom, shift) for top, bottom, shift in scrolls)
            else:
                regions.update(band.intersection(shown) for band in bands)
        in_front.append(region.intersection(clip))
    return screen_scrolls


#: A strip's pieces of text: their first cells, and ``(text, style, one cell per character)`` of each.
_Measured = tuple[list[int], list[tuple[str, "Style | None", bool]]]


def _measure(strip: Strip) -> _Measured:
    starts: list[int] = []
    pieces: list[tuple[str, Style | None, bool]] = []
    x = 0
    for text, style, control in strip:
        if control:
            continue
        one_cell = one_cell_each(text)
        starts.append(x)
        pieces.append((text, style, one_cell))
        x += len(text) if one_cell else cell_len(text)
    starts.append(x)
    return starts, pieces


def _cropped(measured: _Measured, start: int, stop: int) -> Iterator[tuple[str, Style | None]]:
    """The text and style of the cells ``start`` to ``stop`` of a measured strip, without building
    strips (``Strip.crop`` made a third of this renderer's cost)."""
    starts, pieces = measured
    for index in range(max(0, bisect_right(starts, start) - 1), len(pieces)):
        x, end = starts[index], starts[index + 1]
        if x >= stop:
            return
        if end <= start:
            continue
        text, style, one_cell = pieces[index]
        if start <= x and end <= stop:
            yield text, style
        elif one_cell:
            yield text[max(0, start - x) : stop - x], style
        else:  # a wide character may straddle an edge: Textual's crop knows what to do
            for segment in Strip([Segment(text, style)]).crop(max(0, start - x), stop - x):
                yield segment.text, segment.style


def _inside_wide_character(measured: _Measured, cell: int) -> bool:
    """True when ``cell`` is the second cell of a wide character of a measured strip."""
    starts, pieces = measured
    index = bisect_right(starts, cell) - 1
    if not 0 <= index < len(pieces):
        return False
    text, _style, one_cell = pieces[index]
    if one_cell:
        return False
    x = starts[index]
    for char in text:
        width = cell_len(char)
        if x < cell < x + width:
            return True
        x += width
        if x >= cell:
            return False
    return False


class ChangedCellsPainter:
    """Paints the cells that line widgets found changed, all in one compositor pass right after the
    code that found them (the sample being shown) returns to the event loop.

    Textual's ``refresh`` prompts the widget, whose idle handler sends the screen an update, whose idle
    handler resumes a timer, whose tick renders: four messages and a timer for each widget at each
    sample (~1 ms of CPU a sample here). Where that path is needed (the widget not on the screen on top,
    a batch, a layout or scroll pending) the painter declines or has the widget refreshed Textual's way;
    so it does for good if this Textual's internals are not the ones it was written against.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._widgets: set[Widget] = set()
        self._scheduled = False
        self._enabled = True

    def __call__(self, widget: Widget, regions: list[Region]) -> bool:
        """Mark ``regions`` of ``widget`` dirty and paint them soon; False (nothing done) if it cannot."""
        app = self._app
        if not self._enabled or not app.screen_stack or widget.screen is not app.screen:
            return False
        try:
            if app._batch_count:
                return False
            widget._set_dirty(*regions)
        except AttributeError:
            self._enabled = False
            return False
        self._widgets.add(widget)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._paint)
        return True

    def _paint(self) -> None:
        self._scheduled = False
        widgets, self._widgets = self._widgets, set()
        app = self._app
        shown: set[Widget] = set()
        try:
            screen = app.screen if app.screen_stack else None
            if screen is not None and not (
                app._batch_count
                or screen._layout_required
                or screen._scroll_required
                or screen._repaint_required
            ):
                visible = screen._compositor.visible_widgets
                shown = {widget for widget in widgets if widget in visible and widget.screen is screen}
            if shown:
                screen._dirty_widgets.update(shown)
                screen._compositor.update_widgets(screen._dirty_widgets)
                screen._compositor_refresh()
        except AttributeError:
            self._enabled = False
            shown = set()
        for widget in widgets - shown:
            widget.refresh()  # Textual's way, the whole widget: rare (a batch or a layout came between)


def install() -> bool:
    """Use the cropping renderer and the dirty-lines update; ``True`` when both are in place (so scrolls
    handed over are written), ``False`` if this Textual's update differs (its own kept where it does)."""
    if not all(hasattr(ChopsUpdate, name) for name in ("render_segments", "__init__")):
        return False
    try:
        probe = ChopsUpdate([{}], [(0, 0, 0)], [[]])
    except TypeError:
        return False
    if not all(hasattr(probe, name) for name in ("chops", "spans", "chop_ends")):
        return False
    ChopsUpdate.render_segments = _render_cropped_segments  # type: ignore[method-assign]
    if not all(hasattr(Compositor, name) for name in ("_regions_to_spans", "cuts", "visible_widgets")):
        return False
    Compositor.render_partial_update = _render_dirty_lines  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """Back to Textual's renderer (tests)."""
    ChopsUpdate.render_segments = _ORIGINAL  # type: ignore[method-assign]
    Compositor.render_partial_update = _ORIGINAL_PARTIAL  # type: ignore[method-assign]
