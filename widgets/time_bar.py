"""The replay's time bar: the recording's span, the position shown and a mark at each tuning action.

One line: ``12:00:05 ━━━━━━●──┃───┃── 12:05:00  12:01:10 ▶ x2``: the start and end times, the track (drawn
part up to the position, a mark ``┃`` where a tuning action happened), and the position's time with the
play state and speed. Pure layout in :func:`bar_text`, so it is testable without a terminal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

#: Cells the track takes at least; a narrower terminal shows the times only.
MIN_TRACK_CELLS = 8
POSITION = "●"
MARK = "┃"
DONE = "━"
TODO = "─"


@dataclass(frozen=True, slots=True)
class TimeBarState:
    """What the bar shows: epoch seconds of the recording's ``start``, ``end`` and the ``position``, the
    times of the recorded actions (``marks``), whether it plays and at what speed."""

    start: float
    end: float
    position: float
    marks: tuple[float, ...] = ()
    playing: bool = False
    speed: float = 1.0


def clock_text(when: float, *, seconds: bool = True) -> str:
    """``HH:MM:SS`` (local time) of epoch seconds ``when``."""
    return time.strftime("%H:%M:%S" if seconds else "%H:%M", time.localtime(when))


def speed_text(speed: float) -> str:
    """``x0.25``, ``x1``, ``x16``."""
    return f"x{speed:g}"


def cell_of(when: float, start: float, end: float, cells: int) -> int:
    """The track cell (0..cells-1) of time ``when`` in a span from ``start`` to ``end``."""
    if cells <= 1 or end <= start:
        return 0
    share = (min(max(when, start), end) - start) / (end - start)
    return min(cells - 1, round(share * (cells - 1)))


def bar_text(state: TimeBarState, width: int) -> Text:
    """The bar as a ``width``-cell line."""
    where = f" {clock_text(state.position)} {'▶' if state.playing else '‖'} {speed_text(state.speed)}"
    left, right = clock_text(state.start) + " ", " " + clock_text(state.end)
    cells = width - len(left) - len(right) - len(where)
    text = Text(no_wrap=True, overflow="crop")
    if cells < MIN_TRACK_CELLS:
        text.append(f"{clock_text(state.start)}..{clock_text(state.end)}", style="dim")
        text.append(where, style="bold")
        return text
    position = cell_of(state.position, state.start, state.end, cells)
    marks = {cell_of(m, state.start, state.end, cells) for m in state.marks}
    text.append(left, style="dim")
    for cell in range(cells):
        if cell == position:
            text.append(POSITION, style="bold")
        elif cell in marks:
            text.append(MARK, style="bold yellow")
        else:
            text.append(DONE if cell < position else TODO, style="" if cell < position else "dim")
    text.append(right, style="dim")
    text.append(where, style="bold")
    return text


class TimeBar(Widget):
    """One line above the status line in replay: see the module's docstring."""

    DEFAULT_CSS = """
    TimeBar {
        height: 1;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: TimeBarState | None = None

    @property
    def state(self) -> TimeBarState | None:
        """What the bar shows (None before the first position)."""
        return self._state

    def show(self, state: TimeBarState) -> None:
        """Show ``state`` (redrawn only when it changed)."""
        if state != self._state:
            self._state = state
            self.refresh()

    def render(self) -> Text:
        if self._state is None:
            return Text("")
        return bar_text(self._state, self.size.width)

    @property
    def text(self) -> str:
        """The line as drawn at the widget's width (for tests)."""
        return "" if self._state is None else bar_text(self._state, self.size.width).plain
