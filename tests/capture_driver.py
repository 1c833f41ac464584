"""A Textual driver for tests that keeps every byte the App writes to the terminal, and a check that those
bytes hold only the sequences Textual itself writes."""

from __future__ import annotations

import re

from textual.drivers.headless_driver import HeadlessDriver


class CaptureDriver(HeadlessDriver):
    """The headless driver, but not headless: the App renders as on a terminal, and what it writes is kept
    in ``written`` (one list per class: give each test a subclass of its own, see :func:`capture_driver`).
    """

    written: list[str]

    @property
    def is_headless(self) -> bool:
        return False

    def write(self, data: str) -> None:
        self.written.append(data)


def capture_driver() -> type[CaptureDriver]:
    """A :class:`CaptureDriver` class with a list of its own."""
    return type("Capture", (CaptureDriver,), {"written": []})


# What Textual writes on its own: CSI sequences for style (m), cursor moves (H, A-D, G), erasing (J, K),
# scroll regions (r), insert and delete line (L, M), and its DEC private modes for the cursor (25) and
# synchronized output (2026); and the OSC 22 pointer-shape sequence, ended by BEL.
_TEXTUAL_SEQUENCE = re.compile(
    r"\x1b\[[0-9;]*[mHABCDGJKrLM]|\x1b\[\?(?:25|2026)[hl]|\x1b\]22;[a-z-]*\x07|\n",
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def foreign_controls(written: str) -> list[str]:
    """The control and bidi characters in ``written`` outside the sequences Textual writes itself, each
    with a little context (empty when the output is clean)."""
    rest = _TEXTUAL_SEQUENCE.sub("", written)
    return [repr(rest[max(0, m.start() - 20) : m.end() + 20]) for m in _CONTROL.finditer(rest)]
