"""Which text takes one terminal cell a character: where characters and cells line up, a line's text can
be compared, cut and measured by index instead of a character at a time."""

from __future__ import annotations

import re

#: Characters of one cell each (ASCII, Latin-1, punctuation, arrows, box drawing, blocks, shapes,
#: braille): lines made only of them take the fast path (tests check each against Rich's widths).
ONE_CELL_RANGES = "[ -~\u00a1-\u00ac\u00ae-\u00ff\u2010-\u2027\u2190-\u21ff\u2500-\u25fc\u2800-\u28ff]"
_ONE_CELL_TEXT = re.compile(ONE_CELL_RANGES + "*")


def one_cell_each(text: str) -> bool:
    """True when every character of ``text`` takes one cell (so characters and cells line up)."""
    return (text.isascii() and text.isprintable()) or _ONE_CELL_TEXT.fullmatch(text) is not None
