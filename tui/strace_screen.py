"""The ``s`` key's screen: ``strace -f -p PID`` of one process, its output streamed line by line until Esc.

strace runs as a subprocess read by a worker (never the event loop waiting on it); Esc, or closing the
screen any way, stops it (SIGTERM, which makes strace detach, then SIGKILL after :data:`STOP_SECONDS`). strace
ends by itself when the traced process exits; the screen says so and keeps the lines. A refused ptrace
(another user's process without root, ``kernel.yama.ptrace_scope``) is explained below strace's own words.

Layers: the inspection keys open it; it builds on the widgets only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import RichLog, Static

from perftop.widgets.safe_text import escaped, printable

#: Seconds strace has to detach after SIGTERM before it is killed.
STOP_SECONDS = 2.0
#: Lines the screen keeps (the oldest go first).
MAX_LINES = 5000


class StraceScreen(ModalScreen[None]):
    """strace's output for one process; Esc stops strace and closes."""

    BINDINGS = [Binding("escape,q", "close", "stop and close")]

    DEFAULT_CSS = """
    StraceScreen { align: center middle; }
    StraceScreen #strace-frame { width: 100%; height: 100%; background: $surface; }
    StraceScreen #strace-title { height: auto; text-style: bold; }
    StraceScreen #strace-log { height: 1fr; }
    StraceScreen #strace-state { height: auto; background: $panel; }
    """

    def __init__(self, argv: Sequence[str], title: str, refused_help: str) -> None:
        """``argv``: the strace command; ``refused_help``: what to say when ptrace is refused."""
        super().__init__()
        self.argv = list(argv)
        self._title = title
        self._refused_help = refused_help
        #: The strace process while it runs (tests look at it).
        self.process: asyncio.subprocess.Process | None = None
        #: True once strace has ended, by itself or stopped.
        self.ended = False
        self.refused = False
        # RichLog (not Log: its width is measured in a thread that outlives an App quitting meanwhile).
        self._lines: deque[str] = deque(maxlen=MAX_LINES)

    def compose(self) -> ComposeResult:
        with Vertical(id="strace-frame"):
            yield Static(Text(escaped(self._title)), id="strace-title")
            yield RichLog(max_lines=MAX_LINES, wrap=True, markup=False, highlight=False, id="strace-log")
            yield Static(Text("strace running  ·  Esc stops it and closes", style="dim"), id="strace-state")

    def on_mount(self) -> None:
        self.query_one(RichLog).focus()
        self.run_worker(self._run(), group="strace", exit_on_error=False)

    @property
    def lines(self) -> list[str]:
        """The lines shown so far."""
        return list(self._lines)

    def _write(self, text: str) -> None:
        self._lines.append(text)
        self.query_one(RichLog).write(Text(text))

    def _state(self, text: str, style: str = "dim") -> None:
        self.query_one("#strace-state", Static).update(Text(text, style=style))

    async def _run(self) -> None:
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as error:
            self.ended = True
            self._state(f"strace could not start: {error.strerror}", "bold red")
            return
        stream = self.process.stderr
        assert stream is not None
        while line := await stream.readline():
            text = printable(line.decode("utf-8", "replace").rstrip("\n"))
            if "ptrace(PTRACE_SEIZE" in text or "Operation not permitted" in text:
                self.refused = True
            if not self.is_attached:
                break  # the screen closed meanwhile: nothing to draw on
            self._write(text)
        code = await self.process.wait()
        self.ended = True
        if not self.is_attached:
            return
        if self.refused:
            self._write("")
            self._write(self._refused_help)
            self._state("ptrace refused  ·  Esc closes", "bold red")
        else:
            self._state(f"strace ended (status {code}): the process exited or was detached  ·  Esc closes")

    async def stop(self) -> None:
        """Stop strace if it runs: SIGTERM (it detaches), SIGKILL if it has not ended in time."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def action_close(self) -> None:
        await self.stop()
        self.dismiss()

    async def on_unmount(self) -> None:
        # Closed another way (the App quit): strace must not outlive the screen.
        await self.stop()
