"""Write only the dirty cells of a partial screen update, not each line from its widget's left edge.

Textual (8.x) turns the regions widgets mark dirty into spans per screen line, but writes every span
from the left edge of the widget under it ("TODO: crop to x extents" in ``ChopsUpdate``): a changed
CPU% in the middle of a 200-cell process row rewrites the row's first 50 cells too. Over SSH that is
most of perftop's output, and every segment is written as style + text + reset, so the style costs more
bytes than the text. ``install()`` replaces ``ChopsUpdate.render_segments`` with one that crops each
piece to its span and writes a style only where it changes; everything else (full updates, inline mode,
the order of pieces) is Textual's.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.control import Control
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

_ORIGINAL = ChopsUpdate.render_segments
#: The terminal's style is not known at the start of an update.
_UNKNOWN = object()


def _render_cropped_segments(self: ChopsUpdate, console: Console) -> str:
    """Like Textual's, but each piece starts at its span's first cell, not at its widget's edge, and a
    style is written only where it changes (Textual restates it, and resets, around every segment)."""
    color_system = console._color_system or ColorSystem.TRUECOLOR
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    chops = self.chops
    chop_ends = self.chop_ends
    current: object = _UNKNOWN
    for y, x1, x2 in self.spans:
        line = chops[y]
        for end, (x, strip) in zip(chop_ends[y], line.items(), strict=False):
            if strip is None:
                continue
            start, stop = max(x, x1), min(end, x2)
            if start >= stop:
                continue
            if start > x and _inside_wide_character(strip, start - x):
                start -= 1  # writing the right half of a wide character would blank its left half
            append(move_to(start, y).segment.text)
            for text, style in _cropped(strip, start - x, stop - x):
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


def _cropped(strip: Strip, start: int, stop: int) -> Iterator[tuple[str, Style | None]]:
    """The text and style of the cells ``start`` to ``stop`` of ``strip``, without building strips
    (``Strip.crop`` made a third of this renderer's cost)."""
    x = 0
    for text, style, control in strip:
        if control:
            continue
        ascii_text = text.isascii()
        end = x + (len(text) if ascii_text else cell_len(text))
        if end > start:
            if x >= stop:
                return
            if start <= x and end <= stop:
                yield text, style
            elif ascii_text:
                yield text[max(0, start - x) : stop - x], style
            else:  # a wide character may straddle an edge: Textual's crop knows what to do
                for segment in Strip([Segment(text, style)]).crop(max(0, start - x), stop - x):
                    yield segment.text, segment.style
        x = end


def _inside_wide_character(strip: Strip, cell: int) -> bool:
    """True when ``cell`` is the second cell of a wide character of ``strip``."""
    x = 0
    for text, _style, control in strip:
        if control:
            continue
        if text.isascii():
            x += len(text)
        else:
            for char in text:
                width = cell_len(char)
                if x < cell < x + width:
                    return True
                x += width
        if x >= cell:
            return False
    return False


def install() -> bool:
    """Use the cropping renderer; ``False`` (Textual's own kept) if this Textual's update differs."""
    if not all(hasattr(ChopsUpdate, name) for name in ("render_segments", "__init__")):
        return False
    try:
        probe = ChopsUpdate([{}], [(0, 0, 0)], [[]])
    except TypeError:
        return False
    if not all(hasattr(probe, name) for name in ("chops", "spans", "chop_ends")):
        return False
    ChopsUpdate.render_segments = _render_cropped_segments  # type: ignore[method-assign]
    return True


def uninstall() -> None:
    """Back to Textual's renderer (tests)."""
    ChopsUpdate.render_segments = _ORIGINAL  # type: ignore[method-assign]
