"""The process detail screen (Enter on a row): one process in sections, read again after every sample.

The App keeps the screen's process as the subject of its tuning keys while it is open (see
:meth:`~perftop.tui.tuning_ui.TuningActions._subjects`), so ``n``, ``F7``/``F8``, ``Y``, ``R``, ``a``,
``i``, ``o`` and ``k`` (and the inspection keys ``l``, ``e``, ``s``) act on the process shown, whatever
row the table has under its cursor. Reads run in a thread
(:class:`~perftop.probes.process_detail.DetailSampler`), one at a time.

Layers: the App opens it; it builds on the widgets and the probes, and on the tuning module (for the IO
priority, a syscall) on its first read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from perftop.probes.detail_data import DetailReading
from perftop.probes.fs import FS
from perftop.probes.process_detail import DetailSampler
from perftop.widgets.process_detail_view import ProcessDetailView


def _ionice(pid: int) -> str | None:
    """The IO class and level of ``pid`` as ``ionice -p`` words, ``None`` when unknown."""
    from perftop.tui.tuning import read_ionice

    try:
        return str(read_ionice(pid))
    except Exception:  # gone, or psutil refused: shown as unknown
        return None


class DetailScreen(Screen[None]):
    """One process in sections; Esc goes back to the table."""

    BINDINGS = [Binding("escape", "dismiss", "back")]

    DEFAULT_CSS = """
    DetailScreen #detail-keys { dock: bottom; height: 1; background: $panel; }
    """

    def __init__(
        self, fs: FS, pid: int, start_time: int, comm: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``clock``: the sampler's, so rates over a fixture tree follow its ticks."""
        super().__init__()
        self.pid = pid
        self.start_time = start_time
        self.comm = comm
        own = fs.is_own_proc()
        self.sampler = DetailSampler(fs, pid, start_time, _ionice if own else None, clock)
        self._reading_now = False
        #: The last reading shown (tests look at it).
        self.reading: DetailReading | None = None

    def compose(self) -> ComposeResult:
        yield ProcessDetailView(self.pid, self.comm, id="detail-view")
        keys = Text.assemble(
            ("Esc", "bold reverse"),
            "Back  ",
            ("n F7 F8 Y R a i o k", "bold reverse"),
            " act on this process  ",
            ("l e s", "bold reverse"),
            " files env strace  ",
            ("L", "bold reverse"),
            "Log",
        )
        yield Static(keys, id="detail-keys")

    def on_mount(self) -> None:
        self.query_one(ProcessDetailView).focus()
        self.refresh_detail()

    def refresh_detail(self) -> None:
        """Read the process again in a thread and draw it (skipped while a read is under way)."""
        if not self._reading_now:
            self._reading_now = True
            self.run_worker(self._read(), group="detail")

    async def read_now(self) -> DetailReading:
        """Read and draw at once; returns the reading (tests drive the screen with this)."""
        reading = await asyncio.to_thread(self.sampler.read)
        self._show(reading)
        return reading

    async def _read(self) -> None:
        try:
            await self.read_now()
        finally:
            self._reading_now = False

    def _show(self, reading: DetailReading) -> None:
        self.reading = reading
        if self.is_attached:
            self.query_one(ProcessDetailView).show(reading)

    @property
    def gone(self) -> bool:
        """True once the process shown has exited."""
        return self.reading is not None and self.reading.gone
