"""Repaint only the cells that changed: less work for the compositor and fewer bytes to the terminal.

A line-API widget that mixes in ``ChangedCells`` calls ``refresh_changed()`` instead of ``refresh()``
when its data changed but its size did not. Every line on screen is rendered again, compared with what
``render_line`` last returned for that line, and only the spans of differing cells are marked dirty.
Textual then re-renders just those lines and (with ``perftop.widgets.textual_fence`` installed) writes
just those cells. Anything else (resize, scroll, a style change) still goes through a full ``refresh()``,
whose repaint records the new lines as painted.

Textual styles every repainted line through a general path (borders, padding, outline, tint, opacity, hatch),
at a cost for every line; these widgets use none of that, so while a widget's styles stay plain its lines skip
that path (the fence's ``PlainLines``), with Textual's own line cache and line filters kept.

A widget whose lines show items that move up or down together (the process table's rows, when a process
climbs or leaves the sort order) can name each line's item (``line_key``): lines that moved are then
scrolled on the terminal (a scroll region and insert/delete-line, as curses does for htop) instead of
rewritten, when the App's renderer can do it (``scrolls_allowed``, set by the App when the fence, which
writes them, is installed). Without the fence, these widgets draw through Textual's public API alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import ANSIToTruecolor, LineFilter
from textual.geometry import Offset, Region, Size, Spacing
from textual.strip import Strip

from perftop.widgets import textual_fence
from perftop.widgets.cell_widths import one_cell_each

#: Equal cells between two changed runs that are written again rather than skipped: a cursor move
#: plus restating the style costs about as many bytes.
JOIN_GAP = 8

_Cell = tuple[str, Style | None]
_T = TypeVar("_T")


def _cells(strip: Strip) -> list[_Cell]:
    """One ``(text, style)`` per cell; the second cell of a wide character has empty text."""
    cells: list[_Cell] = []
    extend, append = cells.extend, cells.append
    for text, style, control in strip:
        if control:
            continue
        if text.isascii():
            extend([(char, style) for char in text])
            continue
        for char in text:
            width = get_character_cell_size(char)
            if width == 0:
                if cells:  # a combining mark belongs to the cell before it
                    append((cells.pop()[0] + char, style))
                continue
            append((char, style))
            if width == 2:
                append(("", style))
    return cells


def changed_spans(old: Strip, new: Strip, join_gap: int = JOIN_GAP) -> list[tuple[int, int]]:
    """The ``(start, end)`` cell ranges where ``new`` differs from ``old``, nearby ranges joined.

    A range never starts or ends inside a wide character. Strips of different lengths differ from the
    first cell to the end of the longer one.
    """
    if old is new:
        return []
    if old.cell_length != new.cell_length:  # a line blanked by a scroll, or a widget resized
        return [(0, max(old.cell_length, new.cell_length))]
    if old == new:
        return []
    text_a, text_b = old.text, new.text
    if len(text_a) == len(text_b) and one_cell_each(text_a) and one_cell_each(text_b):
        # One cell per character: compare texts and style runs without a tuple per cell.
        ranges = _text_changes(text_a, text_b) + _style_changes(_runs(old), _runs(new))
        return _joined(sorted(ranges), join_gap)
    a, b = _cells(old), _cells(new)
    if len(a) != len(b):
        return [(0, max(len(a), len(b)))]
    spans: list[tuple[int, int]] = []
    start = end = -1
    for x, (cell_a, cell_b) in enumerate(zip(a, b, strict=True)):
        if cell_a == cell_b:
            continue
        if start >= 0 and x - end < join_gap:
            end = x + 1
            continue
        if start >= 0:
            spans.append((start, end))
        start, end = x, x + 1
    if start >= 0:
        spans.append((start, end))
    return [_whole_characters(span, a, b) for span in spans]


def filled_line(segments: list[Segment], width: int, style: Style | None) -> Strip:
    """``segments`` as a line ``width`` cells wide, blank-filled in ``style`` or cut, for text of one cell a
    character (the caller knows): Rich need not measure it a character at a time, slow for a braille row."""
    used = sum(len(segment.text) for segment in segments)
    if used < width:
        return Strip([*segments, Segment(" " * (width - used), style)], width)
    return Strip(segments, used).crop(0, width)


#: A run of equal bytes in the XOR of two texts.
_EQUAL_RUN = re.compile(rb"\x00+")


def _text_changes(a: str, b: str) -> list[tuple[int, int]]:
    """The ranges where two strings of one length differ: from the zero runs of their encodings' XOR,
    found by C code (a loop over characters in Python is slower, for every moved table row)."""
    if a.isascii() and b.isascii():
        bytes_a, bytes_b, unit = a.encode(), b.encode(), 1
    else:  # four bytes a character: equal characters are the aligned four-byte units of zeros
        bytes_a, bytes_b, unit = a.encode("utf-32-le"), b.encode("utf-32-le"), 4
    n = len(bytes_a)
    xor = (int.from_bytes(bytes_a, "big") ^ int.from_bytes(bytes_b, "big")).to_bytes(n, "big")
    first = n - len(xor.lstrip(b"\0"))
    if first == n:
        return []
    last = len(xor.rstrip(b"\0"))
    changes = []
    x = first // unit
    for equal in _EQUAL_RUN.finditer(xor, first, last):
        start, end = -(-equal.start() // unit), equal.end() // unit
        if start < end:
            changes.append((x, start))
            x = end
    changes.append((x, -(-last // unit)))
    return changes


def _runs(strip: Strip) -> list[tuple[int, Style | None]]:
    """``(end cell, style)`` of each run of text, for a strip of one-cell characters."""
    runs = []
    x = 0
    for text, style, control in strip:
        if text and not control:
            x += len(text)
            runs.append((x, style))
    return runs


def _style_changes(
    a: list[tuple[int, Style | None]], b: list[tuple[int, Style | None]]
) -> list[tuple[int, int]]:
    """The cell ranges where two lines of one length have different styles."""
    changes = []
    i = j = x = 0
    while i < len(a) and j < len(b):
        (end_a, style_a), (end_b, style_b) = a[i], b[j]
        end = min(end_a, end_b)
        if style_a is not style_b and style_a != style_b:
            changes.append((x, end))
        x = end
        i += end_a == end
        j += end_b == end
    return changes


def _joined(ranges: list[tuple[int, int]], join_gap: int) -> list[tuple[int, int]]:
    """Sorted ranges with those less than ``join_gap`` cells apart (or overlapping) made one."""
    spans: list[tuple[int, int]] = []
    for start, end in ranges:
        if spans and start - spans[-1][1] < join_gap:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _whole_characters(span: tuple[int, int], a: list[_Cell], b: list[_Cell]) -> tuple[int, int]:
    start, end = span
    while start > 0 and (a[start][0] == "" or b[start][0] == ""):
        start -= 1
    while end < len(a) and (a[end][0] == "" or b[end][0] == ""):
        end += 1
    return start, end


#: ``(top, bottom, shift)``: lines ``top`` to ``bottom`` (inclusive) move down by ``shift`` lines (up if
#: negative); the lines left behind are blank, those pushed past the edge are gone.
Scroll = tuple[int, int, int]
#: Scrolls per repaint at most: each costs ~20 bytes, and a few cover what moves between two samples.
MAX_SCROLLS = 4
#: Lines a scroll must spare from a rewrite, over the blank lines it leaves to be drawn whole.
MIN_SCROLL_GAIN = 2
#: What a scroll leaves on a line: differs from any line, so the line is drawn whole.
_BLANK = Strip([])


def plan_scrolls(
    old: Sequence[Hashable | None], new: Sequence[Hashable | None]
) -> tuple[list[Scroll], list[Hashable | None]]:
    """Scrolls that bring the items shown on lines ``old`` (one key per line, ``None``: no item) closer to
    ``new`` (as long), each chosen greedily as the one sparing most rewritten lines, and the keys on the
    lines once they are done (``None`` on the lines they blank)."""
    lines = list(old)
    scrolls: list[Scroll] = []
    if lines == new:
        return scrolls, lines  # nothing moved: the common case, spared a pass over the lines
    while len(scrolls) < MAX_SCROLLS:
        scroll = _best_scroll(lines, new)
        if scroll is None:
            break
        scrolls.append(scroll)
        lines = scrolled(lines, scroll, None)
    return scrolls, lines


def _best_scroll(old: Sequence[Hashable | None], new: Sequence[Hashable | None]) -> Scroll | None:
    """The scroll of the longest run of lines whose items all moved by the same number of lines."""
    where = {key: y for y, key in enumerate(old) if key is not None}
    best, best_gain = None, MIN_SCROLL_GAIN - 1
    y, height = 0, len(new)
    while y < height:
        source = where.get(new[y])
        if source is None or source == y:
            y += 1
            continue
        shift, start = y - source, y
        while y + 1 < height and where.get(new[y + 1]) == y + 1 - shift:
            y += 1
        # Keys are unique, so none of the run was in place already; the scroll blanks |shift| lines.
        gain = y - start + 1 - abs(shift)
        if gain > best_gain:
            best_gain = gain
            best = (source, y, shift) if shift > 0 else (start, y - shift, shift)
        y += 1
    return best


def scrolled(lines: Sequence[_T], scroll: Scroll, blank: _T) -> list[_T]:
    """``lines`` after ``scroll``, with ``blank`` on the lines it leaves behind."""
    top, bottom, shift = scroll
    block = list(lines[top : bottom + 1])
    block = [blank] * shift + block[:-shift] if shift > 0 else block[-shift:] + [blank] * -shift
    return [*lines[:top], *block, *lines[bottom + 1 :]]


class TruecolorWhereNeeded(LineFilter):
    """Textual's ANSI-to-truecolor line filter, applied only to the lines it would change.

    The App runs every repainted line through ``ANSIToTruecolor``, which builds the line again segment by
    segment, at every refresh, although these widgets' styles come from the theme in truecolor already. This
    filter hands such a line back as it is, and any other (a style with an ANSI or default color, or dim text)
    to the wrapped filter: the result is always the wrapped filter's.
    """

    #: Styles looked at are kept, up to this many, with whether the wrapped filter leaves them as they are.
    MAX_STYLES = 4096

    def __init__(self, inner: ANSIToTruecolor) -> None:
        super().__init__(enabled=inner.enabled)
        self.inner = inner
        self._kept: dict[Style, bool] = {}

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        kept = self._kept
        for _text, style, control in segments:
            if control is not None:
                return self.inner.apply(segments, background)
            if style is None:
                continue
            as_is = kept.get(style)
            if as_is is None:
                if len(kept) >= self.MAX_STYLES:
                    kept.clear()
                as_is = kept[style] = _truecolor_as_is(style)
            if not as_is:
                return self.inner.apply(segments, background)
        return segments


def _truecolor_as_is(style: Style) -> bool:
    """True when ``ANSIToTruecolor`` leaves ``style`` as it is: its colors are truecolor (or unset), and
    it is not dim text with a color (which the filter blends into the background)."""
    color, bgcolor = style.color, style.bgcolor
    return (
        (color is None or color.triplet is not None)
        and (bgcolor is None or bgcolor.triplet is not None)
        and not (style.dim and color is not None)
    )


#: The App's ``ANSIToTruecolor`` last seen, and its wrapper (a theme change makes the App a new filter).
_truecolor_filter: tuple[ANSIToTruecolor, TruecolorWhereNeeded] | None = None


def truecolor_where_needed(filters: Sequence[LineFilter]) -> list[LineFilter]:
    """``filters`` with its ``ANSIToTruecolor`` (if any) in a :class:`TruecolorWhereNeeded`."""
    global _truecolor_filter
    out: list[LineFilter] = []
    for line_filter in filters:
        if isinstance(line_filter, ANSIToTruecolor):
            held = _truecolor_filter
            if held is None or held[0] is not line_filter:
                held = _truecolor_filter = (line_filter, TruecolorWhereNeeded(line_filter))
            line_filter = held[1]
        out.append(line_filter)
    return out


def _plain(styles: Any) -> bool:
    """True when ``styles`` draw nothing around or over the content lines but left/right padding."""
    padding = styles.padding
    return (
        not padding.top
        and not padding.bottom
        and not any(edge for edge, _color in styles.border)
        and not any(edge for edge, _color in styles.outline)
        and not styles.tint.a
        and styles.text_opacity == 1.0
        and (not styles.has_rule("hatch") or styles.hatch == "none")
    )


_View = tuple[Size, Offset]


@dataclass(frozen=True, slots=True)
class _Looks:
    """What a line widget's styles and its ancestors' give it, for as long as Textual's counts of their
    updates (``key``) stay the same: whether its own are plain (see the fence's ``PlainLines``) and the
    opacity of it and its ancestors is 1, its background colours, its padding."""

    key: tuple[int, ...]
    plain: bool
    opaque: bool
    background_colors: tuple[Color, Color]
    padding: Spacing


class _Lines:
    """What a widget painted, and lines it rendered ahead for the next paint."""

    __slots__ = ("fresh", "kept", "keys", "looks", "painted", "recent", "scrolls", "styles", "view")

    def __init__(self) -> None:
        self.painted: dict[int, Strip] = {}
        #: y -> ``line_key(y)`` when line y was painted (only while scrolls are allowed).
        self.keys: dict[int, Hashable | None] = {}
        #: Scrolls ``painted`` went through that the terminal has not been sent yet.
        self.scrolls: list[Scroll] = []
        #: Component name ("" for the widget's own) -> its Rich style, until the CSS changes.
        self.styles: dict[str, Style] = {}
        #: y -> (what line y was drawn from, the line), until the CSS changes: see ``kept_line``.
        self.kept: dict[int, tuple[Hashable, Strip]] = {}
        #: Lines drawn lately, by what they were drawn from, oldest first (``remember_line``).
        self.recent: dict[Hashable, Strip] = {}
        #: y -> (view, strip): rendered by refresh_changed, taken by the paint that follows if the
        #: widget's view (size and scroll offset) is still the same.
        self.fresh: dict[int, tuple[_View, Strip]] = {}
        #: The view while ``render_lines`` or ``refresh_changed`` runs (looked up once, not per line).
        self.view: _View | None = None
        #: What the styles of the widget and its ancestors give, until one of them changes.
        self.looks: _Looks | None = None


class ChangedCells:
    """Mixin for a line-API ``Widget`` whose ``render_line(y)`` is ``paint_line(y)``'s result.

    Subclasses implement ``paint_line`` (the line as it should look now) and leave ``render_line`` to
    this class, which remembers what was painted. Lines ``refresh_changed`` found changed are kept for
    the paint that follows it, so they are not rendered twice; any other ``refresh`` drops them.
    """

    #: Set (by the App) when its renderer writes the scrolls ``take_scrolls`` hands it.
    scrolls_allowed = False
    #: Set by the App: marks the changed regions dirty and has them painted soon, in one compositor pass
    #: with the other widgets' (Textual's ``refresh`` sends each widget and the screen a chain of
    #: messages first); returns False when it cannot, and ``refresh`` is used.
    paint_changes: Callable[[Any, list[Region]], bool] | None = None

    def paint_line(self, y: int) -> Strip:
        """Line ``y`` of the widget's content as it should look now."""
        raise NotImplementedError

    def line_key(self, y: int) -> Hashable | None:
        """The item line ``y`` shows now, unique among the lines (``None``: none). Lines whose items moved
        together are scrolled rather than rewritten; the default never scrolls."""
        return None

    def line_keys(self, height: int) -> list[Hashable | None]:
        """``line_key`` of lines 0 to ``height - 1``: a widget that has them in a list says so at once."""
        return [self.line_key(y) for y in range(height)]

    def stale_lines(self, painted: Mapping[int, Strip]) -> Iterable[int]:
        """The lines of ``painted`` (what the terminal shows, by line) that may look otherwise now: all of
        them, unless the widget knows some are still the very lines it painted there."""
        return painted

    def render_line(self, y: int) -> Strip:
        lines = self._lines()
        fresh = lines.fresh.pop(y, None)
        view = lines.view or self._view()
        strip = fresh[1] if fresh is not None and fresh[0] == view else self.paint_line(y)
        lines.painted[y] = strip
        if self.scrolls_allowed:
            lines.keys[y] = self.line_key(y)
        return strip

    def take_scrolls(self) -> list[Scroll]:
        """The scrolls of lines (in content lines) to send the terminal before this repaint's changed
        cells, which assume them done. The caller must send them, or repaint those lines whole."""
        lines = self._lines()
        scrolls, lines.scrolls = lines.scrolls, []
        return scrolls

    def render_lines(self, crop: Region) -> list[Strip]:
        looks = self._looks()
        cache = textual_fence.plain_line_cache(self, looks.plain)  # type: ignore[arg-type]
        lines = self._lines()
        if lines.scrolls:
            # A render that did not take the scrolls first (a full update, a screenshot, the widget
            # drawn behind a dialog): whatever it is for, the scrolled lines are drawn whole next.
            width = self.size.width  # type: ignore[attr-defined]
            regions = [Region(0, top, width, bottom - top + 1) for top, bottom, _ in self.take_scrolls()]
            super().refresh(*regions)  # type: ignore[misc]
        lines.view = view = self._view()
        try:
            if cache is not None and looks.plain and looks.opaque and self._styled_as_lines():
                return textual_fence.render_plain_lines(
                    self, cache, crop, view[0], looks.padding, looks.background_colors
                )
            return super().render_lines(crop)  # type: ignore[misc]
        finally:
            lines.view = None

    def get_line_filters(self) -> Sequence[LineFilter]:
        return truecolor_where_needed(super().get_line_filters())  # type: ignore[misc]

    def _styled_as_lines(self) -> bool:
        """Nothing but the lines to draw: no border title, not blank, no link under the mouse."""
        widget: Any = self
        return (
            widget.border_title is None
            and widget.border_subtitle is None
            and not widget.BLANK
            and not (widget.auto_links and widget.hover_style.link_id)
        )

    def refresh(self, *regions: Region, **options: bool) -> Self:
        self._lines().fresh.clear()  # whatever changed, lines rendered ahead may be out of date
        return super().refresh(*regions, **options)  # type: ignore[misc]

    def refresh_changed(self) -> None:
        """Mark dirty only the cells of the lines on screen that differ from what was painted."""
        if not self.is_attached:  # type: ignore[attr-defined]
            return  # removed (the App closing while a sample was on its way): nothing to paint
        lines = self._lines()
        painted, fresh = lines.painted, lines.fresh
        if not painted:
            self.refresh()
            return
        fresh.clear()
        view = lines.view = self._view()
        height = view[0].height
        regions = []
        try:
            if self.scrolls_allowed and self._can_scroll():
                self._scroll_moved_lines(lines, height)
            for y in [y for y in painted if y >= height]:
                del painted[y]  # the widget shrank since that paint
            for y in self.stale_lines(painted):
                new = self.paint_line(y)
                spans = changed_spans(painted[y], new)
                if spans:
                    regions.extend(Region(x, y, end - x, 1) for x, end in spans)
                    fresh[y] = (view, new)
        finally:
            lines.view = None
        if regions:
            paint = self.paint_changes
            if paint is None or not paint(self, regions):
                super().refresh(*regions)  # type: ignore[misc]

    def _can_scroll(self) -> bool:
        """Content lines are screen lines (nothing drawn above them), shown on the screen on top (a
        widget out of sight would pile up scrolls for nothing: it is drawn whole when shown again)."""
        widget: Any = self
        return (
            textual_fence.has_plain_lines(widget)
            and widget.screen is widget.app.screen
            and widget.is_on_screen
        )

    def _scroll_moved_lines(self, lines: _Lines, height: int) -> None:
        """Plan scrolls of the lines whose items moved, and make ``painted`` what they will leave."""
        keys, painted = lines.keys, lines.painted
        scrolls, moved = plan_scrolls([keys.get(y) for y in range(height)], self.line_keys(height))
        if not scrolls:
            return
        # The line each line shows once the scrolls are done (None: one they blank).
        sources: list[int | None] = list(range(height))
        for scroll in scrolls:
            sources = scrolled(sources, scroll, None)
        shown = [painted.get(y) for y in range(height)]
        for y, (key, source) in enumerate(zip(moved, sources, strict=True)):
            keys[y] = key
            strip = None if source is None else shown[source]
            painted[y] = _BLANK if strip is None else strip  # a line never painted is not known either
        textual_fence.move_cached_lines(self, sources)  # type: ignore[arg-type]
        lines.scrolls.extend(scrolls)

    @property
    def view_size(self) -> Size:
        """``size``, looked up once per repaint (Textual finds it through the screen on every call)."""
        view = self._lines().view
        return view[0] if view is not None else self.size  # type: ignore[attr-defined]

    @property
    def view_offset(self) -> Offset:
        """``scroll_offset``, looked up once per repaint."""
        view = self._lines().view
        return view[1] if view is not None else self.scroll_offset  # type: ignore[attr-defined]

    def _view(self) -> _View:
        return self.size, self.scroll_offset  # type: ignore[attr-defined]

    def component_style(self, name: str) -> Style:
        """``get_component_rich_style(name)``, or ``visual_style.rich_style`` for ``""``, kept until the
        styles change: Textual's own cache is emptied by every ``refresh``, i.e. on every sample."""
        styles = self._lines().styles
        style = styles.get(name)
        if style is None:
            widget: Any = self
            # Only what is asked for: each look-up is costly the first time.
            style = widget.get_component_rich_style(name) if name else widget.visual_style.rich_style
            styles[name] = style
        return style

    @property
    def background_colors(self) -> tuple[Color, Color]:
        """Textual's ``background_colors``, kept while no style of the widget or its ancestors changes."""
        return self._looks().background_colors

    def _looks(self) -> _Looks:
        """See ``_Looks``. Each costs tens of style look-ups at every repaint, for values that change only
        with the styles."""
        widget: Any = self
        key = textual_fence.styles_key(widget)  # None without the fence: looked up every time
        looks = self._lines().looks
        if key is None or looks is None or looks.key != key:
            styles = widget.styles
            looks = _Looks(
                key or (),
                _plain(styles),
                widget.opacity == 1.0,
                super().background_colors,  # type: ignore[misc]
                styles.padding,
            )
            if key is not None:
                self._lines().looks = looks
        return looks

    def kept_line(self, y: int, key: Hashable) -> Strip | None:
        """The line ``y`` kept by ``keep_line`` if it was drawn from an equal ``key``, else None. A line
        drawn again from the same figures is then the very strip painted, which the diff passes at once."""
        kept = self._lines().kept.get(y)
        return kept[1] if kept is not None and kept[0] == key else None

    def keep_line(self, y: int, key: Hashable, strip: Strip) -> Strip:
        """Keep ``strip`` as line ``y`` drawn from ``key`` (everything it shows but the styles, which
        drop every kept line when they change); returns it."""
        self._lines().kept[y] = (key, strip)
        return strip

    def recent_line(self, key: Hashable) -> Strip | None:
        """A line drawn lately from an equal ``key`` (see ``remember_line``), else None: a line whose
        figures come back (a CPU's percent moves in clock-tick steps) is handed over, not drawn again."""
        return self._lines().recent.get(key)

    def remember_line(self, key: Hashable, strip: Strip, limit: int) -> Strip:
        """Keep ``strip`` as drawn from ``key`` among the ``limit`` lines drawn last (the oldest is dropped
        first; all are dropped when the styles change); returns it."""
        recent = self._lines().recent
        if len(recent) >= limit:
            del recent[next(iter(recent))]
        recent[key] = strip
        return strip

    def notify_style_update(self) -> None:
        lines = self._lines()
        lines.styles.clear()
        lines.kept.clear()
        lines.recent.clear()
        super().notify_style_update()  # type: ignore[misc]

    def _lines(self) -> _Lines:
        try:
            return self._changed_cells_lines
        except AttributeError:
            self._changed_cells_lines = _Lines()
            return self._changed_cells_lines
