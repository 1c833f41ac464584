"""Text from outside perftop (process names, command lines, user names, typed text, file contents) made
safe to show: no character of it can move the cursor, change the terminal's state or reorder what follows.

Two forms: :func:`printable` keeps one cell per character (``?`` for each unprintable one), for table
cells whose widths are fixed; :func:`escaped` spells them out (``\\e``, ``\\n``, ``\\x9b``, ``\\u202e``),
for the places that show a value whole (the detail screen, dialogs, notifications, the action log and its
script). Neither is markup: callers put the result in ``rich.text.Text`` or Textual ``Content``, never
through ``Text.from_markup`` or ``notify(markup=True)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: C0 and C1 controls, DEL, and the format characters that reorder text or hide it (bidi marks,
#: overrides and isolates, zero-width spaces and joiners, word joiner and invisible operators, BOM,
#: soft hyphen).
UNSAFE_CODEPOINTS: frozenset[int] = frozenset(
    (
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        0xAD,
        0x061C,
        *range(0x200B, 0x2010),
        *range(0x2028, 0x202F),
        *range(0x2060, 0x2070),
        0xFEFF,
    )
)

_AS_QUESTION_MARK: Mapping[int, str] = MappingProxyType(dict.fromkeys(UNSAFE_CODEPOINTS, "?"))

_NAMED = {0x1B: "\\e", 0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x00: "\\0"}


def _spelled(cp: int) -> str:
    if cp in _NAMED:
        return _NAMED[cp]
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


_SPELLED_OUT: Mapping[int, str] = MappingProxyType({cp: _spelled(cp) for cp in UNSAFE_CODEPOINTS})


def printable(text: str) -> str:
    """``text`` with each control, bidi and zero-width character replaced by ``?``."""
    if text.isprintable():  # the common case, one C call (it is False for every unsafe code point)
        return text
    return text.translate(_AS_QUESTION_MARK)


def escaped(text: str) -> str:
    """``text`` with each control, bidi and zero-width character spelled out: ``\\e`` for ESC, ``\\n``,
    ``\\t``, ``\\a``, ``\\x9b``, ``\\u202e``. The result is one line of printable characters."""
    if text.isprintable():
        return text
    return text.translate(_SPELLED_OUT)


def escaped_lines(text: str) -> str:
    """:func:`escaped` for each line of ``text``, keeping its line breaks (``\\n``): for perftop's own
    multi-line messages, whose foreign parts were escaped when they were put in."""
    if text.isprintable():
        return text
    return "\n".join(escaped(line) for line in text.split("\n"))
