"""The chart screen (``G`` in replay): ``perftop report``'s charts for the selected process or device, over
the minutes of the recording up to the replay's position, sized to the terminal.

The frames are read in a thread from a :class:`~perftop.tui.recording.Recording` of its own (the replay's
keeps its caches and its position; a recording's reader is not shared between threads), then drawn again
at each resize from what was read. plotext's ANSI colours become Rich styles (``Text.from_ansi``); every
text from the recording was escaped before plotext saw it (:func:`perftop.tui.report.chart_text`), so no
escape sequence from a process name reaches the terminal.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from perftop.tui.recording import Recording, RecordingError
from perftop.tui.report import ReportData, ReportError, collect, default_metrics, draw
from perftop.widgets.safe_text import escaped

#: Seconds of recording the screen charts, up to the replay's position.
WINDOW_S = 300.0


def chart_screen_for(recording: Recording, position: int, pid: int | None, device: str | None) -> ChartScreen:
    """The chart of ``pid``'s figures (else ``device``'s, else the machine's) over the :data:`WINDOW_S`
    seconds of ``recording`` up to frame ``position``."""
    return ChartScreen(recording.path, recording.frames[position].time, pid=pid, device=device)


class ChartScreen(ModalScreen[None]):
    """The charts of a recording up to a time; Esc closes."""

    BINDINGS = [Binding("escape,q,G", "dismiss", "close")]

    DEFAULT_CSS = """
    ChartScreen {
        align: center middle;
    }
    #chart-frame {
        width: 100%;
        height: 100%;
        border: round $accent;
        background: $surface;
    }
    #chart-body {
        height: 1fr;
    }
    #chart-keys {
        height: 1;
    }
    """

    def __init__(
        self, path: Path, until: float, *, pid: int | None, device: str | None, window_s: float = WINDOW_S
    ) -> None:
        super().__init__()
        self.path = path
        self.until = until
        self.pid = pid
        self.device = device
        self.window_s = window_s
        #: What was read (``None`` until then, or when it could not be): tests look at it.
        self.data: ReportData | None = None
        #: Why there is no chart, in one line, ``None`` when there is one (or it is being read).
        self.problem: str | None = None
        #: The text last drawn, without its colours (tests look at it).
        self.drawn = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="chart-frame"):
            yield Static(Text("reading the recording..."), id="chart-body")
            yield Static(Text.assemble(("Esc", "bold reverse"), " Back"), id="chart-keys")

    def on_mount(self) -> None:
        self.run_worker(self.load(), group="chart", exit_on_error=False)

    async def load(self) -> None:
        """Read the frames in a thread, then draw them (or say why there is nothing to draw)."""
        try:
            self.data = await asyncio.to_thread(self._collect)
        except (ReportError, RecordingError) as error:
            self.problem = str(error)
            self.query_one("#chart-body", Static).update(Text(escaped(self.problem)))
            return
        self.redraw()

    def _collect(self) -> ReportData:
        recording = Recording(self.path)
        last = recording.index_at(self.until)
        first = recording.index_at(self.until - self.window_s)
        if recording.frames[first].time < self.until - self.window_s:
            first = min(first + 1, last)
        metrics = default_metrics(self.pid, self.device)
        return collect(recording, metrics, first, last, pid=self.pid, device=self.device, optional=metrics)

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw what was read at the body's size."""
        if self.data is None or not self.is_attached:
            return
        body = self.query_one("#chart-body", Static)
        width, height = body.content_size
        if width <= 0 or height <= 0:
            self.call_after_refresh(self.redraw)
            return
        text = Text.from_ansi(draw(self.data, width, height, colour=True), no_wrap=True, overflow="crop")
        self.drawn = text.plain
        body.update(text)
