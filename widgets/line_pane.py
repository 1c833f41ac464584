"""A scrolling pane drawn from lines of ``(text, role)`` pieces, computed only while it is on screen."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from perftop.widgets.formatting import UNKNOWN
from perftop.widgets.summary import Piece, plain

#: One drawn line: its pieces, each a text and the role naming its component class ("" for none).
Line = tuple[Piece, ...]


def merge(pieces: Iterable[Piece]) -> list[Piece]:
    """Neighbouring pieces of one role joined; empty pieces dropped."""
    merged: list[Piece] = []
    for text, role in pieces:
        if not text:
            continue
        if merged and merged[-1][1] == role:
            merged[-1] = (merged[-1][0] + text, role)
        else:
            merged.append((text, role))
    return merged


def fit(text: str, cells: int, right: bool = False) -> str:
    """``text`` padded to ``cells`` terminal cells; a longer one is cut with ``…`` (a wide character cut
    in half is left out whole)."""
    length = len(text) if text.isascii() else cell_len(text)
    if length > cells:
        return set_cell_size(text, cells - 1) + "…" if cells > 0 else ""
    pad = " " * (cells - length)
    return pad + text if right else text + pad


def figure(text: str, cells: int, role: str = "value") -> Piece:
    """A figure right-aligned in ``cells``, in ``role``, or dim when it is :data:`UNKNOWN`."""
    return (fit(text, cells, True), "dim" if text == UNKNOWN else role)


class LinePane(ScrollView, can_focus=True):
    """Base of the NUMA and sockets panes: a subclass builds its lines for a width (`build_lines`) and
    calls `changed` when its data changed; this class caches the lines per width, lays them out and
    draws them only while on screen (data that arrives while hidden is drawn on the next Show), and
    styles each piece with the component class ``{ROLE_PREFIX}--{role}``. A line made only of ``title``
    pieces is drawn as a bar across the pane. Lines are cut to the pane, never scrolled sideways.
    """

    #: The component-class prefix of the subclass, e.g. ``numa-pane``.
    ROLE_PREFIX: ClassVar[str] = ""
    #: The roles a subclass's pieces use; each is a component class ``{ROLE_PREFIX}--{role}``.
    ROLES: ClassVar[tuple[str, ...]] = ("title",)

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        # Set when data arrived while off screen, so the next Show lays out and draws it.
        self._stale = False
        self._lines: tuple[int, list[Line]] | None = None
        self._styles: dict[str, Style] | None = None

    def build_lines(self, width: int) -> list[Line]:
        """The pane's lines at ``width`` cells (subclasses)."""
        raise NotImplementedError

    def lines_for(self, width: int) -> list[Line]:
        """The pane's lines at ``width`` cells (cached until the data or the width change)."""
        if self._lines is None or self._lines[0] != width:
            self._lines = (width, self.build_lines(width))
        return self._lines[1]

    @property
    def text(self) -> str:
        """Every line as plain text at the current width (also the lines scrolled out of view)."""
        return "\n".join(plain(line) for line in self.lines_for(self.scrollable_size.width))

    def changed(self) -> None:
        """The data changed: redraw now when on screen, else on the next Show."""
        self._lines = None
        if self.is_on_screen:
            self._relayout()
            self.refresh()
        else:
            self._stale = True

    def _relayout(self) -> None:
        # Width 0: the lines are cut to the pane, never scrolled sideways.
        self.virtual_size = Size(0, len(self.lines_for(self.scrollable_size.width)))

    def on_show(self) -> None:
        """Lay out and draw what arrived while the pane was hidden."""
        if self._stale:
            self._stale = False
            self._relayout()
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def _role_styles(self) -> dict[str, Style]:
        return {role: self.get_component_rich_style(f"{self.ROLE_PREFIX}--{role}") for role in self.ROLES}

    def render_lines(self, crop: Region) -> list[Strip]:
        # Look the component styles up once per repaint rather than once per piece.
        self._styles = self._role_styles()
        if len(self.lines_for(self.scrollable_size.width)) != self.virtual_size.height:
            # The line count depends on the width (wrapping, side-by-side layouts); a scrollbar changed it.
            self.call_after_refresh(self._relayout)
        try:
            return super().render_lines(crop)
        finally:
            self._styles = None

    def line_index(self, y: int) -> int:
        """The line of the content drawn on row ``y`` of the pane (a subclass may hold some rows still)."""
        return self.scroll_offset.y + y

    def render_line(self, y: int) -> Strip:
        """Draw line :meth:`line_index` of the content."""
        width = self.scrollable_size.width
        base = self.rich_style
        lines = self.lines_for(width)
        index = self.line_index(y)
        if not 0 <= index < len(lines):
            return Strip.blank(width, base)
        styles = self._styles or self._role_styles()
        line = lines[index]
        segments = [Segment(text, styles[role] if role else base) for text, role in line]
        bar = bool(line) and all(role == "title" for _, role in line)
        return Strip(segments).crop(0, width).adjust_cell_length(width, styles["title"] if bar else base)
