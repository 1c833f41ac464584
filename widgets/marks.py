"""Markers of tuning actions on the history graphs: which cells of a graph hold a marked sample, and the
pieces of a graph line with those cells drawn as the marker.

Every history widget keeps a ``deque[bool]`` beside its series (same ``maxlen``, appended with each
sample): ``True`` for a sample during which a tuning action was applied. The marks are aligned with the
newest samples, so one deque serves every series of a widget, even a series that began later. A marked
cell shows :data:`MARK` in the ``mark`` role (its own colour); the glyph keeps it visible without colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: The glyph of a marker: atop a graph of several lines, or in place of a sparkline's cell.
MARK = "▼"
#: The role (component class suffix) of a marker cell.
MARK_ROLE = "mark"


def marked_cells(marks: Sequence[bool], cells: int, per_cell: int = 1, pad: int = 0) -> frozenset[int]:
    """The cells (0 = leftmost) of a graph ``cells`` wide, newest sample at the right edge and ``per_cell``
    samples a cell, that hold a marked sample; ``pad`` empty sample slots follow the newest (a graph that
    moves several cells at a time). ``marks`` are oldest first, the last one the newest sample's."""
    found: set[int] = set()
    count = len(marks)
    if not cells or not count:
        return frozenset()
    reach = min(count, cells * per_cell - pad)
    for back in range(reach):
        if marks[count - 1 - back]:
            found.add(cells - 1 - (back + pad) // per_cell)
    return frozenset(found)


def with_marks(pieces: Iterable[tuple[str, str]], cells: frozenset[int]) -> list[tuple[str, str]]:
    """``(text, role)`` pieces of one graph line (one cell a character), with the characters at
    ``cells`` (counted from the first piece's start) replaced by :data:`MARK` in the ``mark`` role."""
    if not cells:
        return list(pieces)
    out: list[tuple[str, str]] = []
    at = 0
    for text, role in pieces:
        start = 0
        for index in range(len(text)):
            if at + index in cells:
                if index > start:
                    out.append((text[start:index], role))
                out.append((MARK, MARK_ROLE))
                start = index + 1
        if start < len(text):
            out.append((text[start:], role))
        at += len(text)
    return out
