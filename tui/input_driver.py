"""The terminal's side of the App: Textual's Linux driver with an input thread that sleeps while nothing
happens and ends perftop when the terminal goes away, and the signals that end perftop with the terminal
restored.

Textual's input thread wakes every 0.1 s whether or not a key came (to notice the exit and to time out a lone
Escape): on an idle terminal, a good share of what perftop may cost in all. This one blocks until input
arrives or the App exits, and polls at Textual's pace only for a second after input (long enough for the
Escape timeout). It reads keys with Textual's own parser, which only the fence may touch: without the fence
installed, ``driver_class()`` returns Textual's own driver.

A terminal that is gone (its window closed, the SSH connection dropped) reads as the end of input or
EIO. Textual's thread then spins or ends the App with a traceback; this one ends perftop as a hangup
does, even when SIGHUP is ignored (``nohup``, ``trap '' HUP``), and writes nothing more to the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import signal
import time
from codecs import getincrementaldecoder
from typing import Any

from textual.app import App
from textual.driver import Driver

from perftop.widgets import textual_fence

#: Seconds between wake-ups while input is recent (Textual's own pace) and how long input stays recent.
POLL_SECONDS = 0.1
RECENT_SECONDS = 1.0
#: The signals that end perftop the way ``q`` does, so that Textual leaves the terminal as it found it
#: (raw mode, the alternate screen and mouse reporting off). Those ignored when perftop started stay so.
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
#: perftop's exit status after one of them, as a shell reports a process the signal killed; a terminal
#: that went away ends it as SIGHUP does.
SIGNAL_STATUSES = frozenset(128 + signum for signum in EXIT_SIGNALS)

try:
    from textual.drivers.linux_driver import LinuxDriver
except ImportError:  # another platform
    LinuxDriver = None  # type: ignore[assignment,misc]


def driver_class(default: type[Driver]) -> type[Driver]:
    """The quiet driver where Textual would use its Linux driver and the fence is installed, else
    ``default``."""
    if QuietLinuxDriver is None or default is not LinuxDriver or not textual_fence.installed():
        return default
    return QuietLinuxDriver


def exit_on_signals(app: App[Any]) -> None:
    """End ``app`` on SIGTERM, SIGHUP and SIGINT, with status 128 + the signal's number, unless perftop
    was started with the signal ignored. The handlers go with the App's event loop (and do nothing for an
    App run off the main thread, where Python takes no signal handlers)."""
    loop = asyncio.get_running_loop()
    for signum in EXIT_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            with contextlib.suppress(RuntimeError):
                loop.add_signal_handler(signum, app.exit, None, 128 + signum)


def _make_quiet_driver() -> type[Driver] | None:
    if LinuxDriver is None:
        return None

    class QuietLinuxDriver(LinuxDriver):  # type: ignore[misc,valid-type]
        """Textual's Linux driver whose input thread sleeps until input or the exit, and that ends the
        App when the terminal is gone."""

        def __init__(self, app: App[Any], **options: Any) -> None:
            super().__init__(app, **options)
            self.perftop_app = app
            #: The pipe that wakes the input thread for the exit, while it runs.
            self.wake_pipe: tuple[int, int] | None = None
            #: Set once reading the terminal failed: nothing more is written to it.
            self.terminal_gone = False
            #: Set while the terminal is handed back (ctrl+z, ``App.suspend``).
            self.suspended = False

        def write(self, data: str) -> None:
            if not self.terminal_gone:  # writes to a terminal that is gone kill Textual's writer thread
                super().write(data)

        def suspend_application_mode(self) -> None:
            super().suspend_application_mode()
            self.suspended = True

        def resume_application_mode(self) -> None:
            # Textual resumes on every SIGCONT, which also comes with no stop before it: from kill -CONT,
            # and with the SIGHUP of a terminal that hangs up. Starting again then would start a second
            # input thread, which on a terminal that is gone outlives the App and keeps perftop running.
            if self.suspended and not self.terminal_gone:
                self.suspended = False
                super().resume_application_mode()

        def run_input_thread(self) -> None:
            self.wake_pipe = wake_read, _wake_write = os.pipe()
            selector = selectors.DefaultSelector()
            selector.register(self.fileno, selectors.EVENT_READ, "input")
            selector.register(wake_read, selectors.EVENT_READ, "wake")
            parser = textual_fence.input_parser(self)
            decode = getincrementaldecoder("utf-8")().decode
            recent_until = time.monotonic() + RECENT_SECONDS
            try:
                while not self.exit_event.is_set():
                    timeout = POLL_SECONDS if time.monotonic() < recent_until else None
                    for key, _mask in selector.select(timeout):
                        if key.data == "wake":
                            os.read(wake_read, 64)
                        elif raw := self._read():
                            for event in parser.feed(decode(raw)):
                                self.process_message(event)
                        else:  # the terminal is gone: stop watching it, and end the App
                            selector.unregister(self.fileno)
                            self._end_app()
                        recent_until = time.monotonic() + RECENT_SECONDS
                    for event in parser.tick():
                        self.process_message(event)
            finally:
                selector.close()

        def _read(self) -> bytes:
            """What the terminal has sent; empty when it is gone (end of input, or EIO on a hung-up
            terminal)."""
            try:
                return os.read(self.fileno, 4096)
            except OSError:
                return b""

        def _end_app(self) -> None:
            self.terminal_gone = True
            app = self.perftop_app
            app.call_later(app.exit, None, 128 + signal.SIGHUP)  # call_later is safe from this thread

        def disable_input(self) -> None:
            # Wake the sleeping thread: it then polls, and sees the exit Textual is about to signal
            # (and waits for). The pipe is closed once the thread is gone.
            wake, self.wake_pipe = self.wake_pipe, None
            if wake is not None:
                os.write(wake[1], b"x")
            try:
                super().disable_input()
            finally:
                if wake is not None:
                    os.close(wake[0])
                    os.close(wake[1])

    return QuietLinuxDriver


QuietLinuxDriver = _make_quiet_driver()
