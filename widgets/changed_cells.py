"""Repaint only the cells that changed: less work for the compositor and fewer bytes to the terminal.

A line-API widget that mixes in ``ChangedCells`` calls ``refresh_changed()`` instead of ``refresh()``
when its data changed but its size did not. Every line on screen is rendered again, compared with what
``render_line`` last returned for that line, and only the spans of differing cells are marked dirty.
Textual then re-renders just those lines and (with ``tui.partial_updates`` installed) writes just those
cells. Anything else (resize, scroll, a style change) still goes through a full ``refresh()``, whose
repaint records the new lines as painted.
"""

from __future__ import annotations

from rich.cells import get_character_cell_size
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip

#: Equal cells between two changed runs that are written again rather than skipped: a cursor move
#: plus restating the style costs about as many bytes.
JOIN_GAP = 8

_Cell = tuple[str, Style | None]


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
    if old == new:
        return []
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


def _whole_characters(span: tuple[int, int], a: list[_Cell], b: list[_Cell]) -> tuple[int, int]:
    start, end = span
    while start > 0 and (a[start][0] == "" or b[start][0] == ""):
        start -= 1
    while end < len(a) and (a[end][0] == "" or b[end][0] == ""):
        end += 1
    return start, end


class ChangedCells:
    """Mixin for a line-API ``Widget`` whose ``render_line(y)`` is ``paint_line(y)``'s result.

    Subclasses implement ``paint_line`` (the line as it should look now) and leave ``render_line`` to
    this class, which remembers what was painted.
    """

    _painted: dict[int, Strip]

    def paint_line(self, y: int) -> Strip:
        """Line ``y`` of the widget's content as it should look now."""
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        strip = self.paint_line(y)
        self._painted_lines()[y] = strip
        return strip

    def refresh_changed(self) -> None:
        """Mark dirty only the cells of the lines on screen that differ from what was painted."""
        painted = self._painted_lines()
        height = self.size.height  # type: ignore[attr-defined]
        if not painted:
            self.refresh()  # type: ignore[attr-defined]
            return
        regions = []
        for y in list(painted):
            if y >= height:
                del painted[y]  # the widget shrank since that paint
                continue
            spans = changed_spans(painted[y], self.paint_line(y))
            regions.extend(Region(x, y, end - x, 1) for x, end in spans)
        if regions:
            self.refresh(*regions)  # type: ignore[attr-defined]

    def _painted_lines(self) -> dict[int, Strip]:
        try:
            return self._painted
        except AttributeError:
            self._painted = {}
            return self._painted
