"""Textual's Linux driver, with an input thread that sleeps while nothing happens.

Textual's input thread wakes every 0.1 s whether or not a key came (to notice the exit and to time out
a lone Escape): about 0.15% of a core on an idle terminal, a sixth of what perftop may cost in all.
This one blocks until input arrives or the App exits, and polls at Textual's pace only for a second
after input (long enough for the Escape timeout). If this Textual's driver is not the one it was
written against, ``driver_class()`` returns Textual's own.
"""

from __future__ import annotations

import os
import selectors
import time
from codecs import getincrementaldecoder

from textual.driver import Driver

#: Seconds between wake-ups while input is recent (Textual's own pace) and how long input stays recent.
POLL_SECONDS = 0.1
RECENT_SECONDS = 1.0

try:
    from textual._xterm_parser import XTermParser
    from textual.drivers.linux_driver import LinuxDriver
except ImportError:  # another platform, or a Textual that moved them
    LinuxDriver = None  # type: ignore[assignment,misc]


def driver_class(default: type[Driver]) -> type[Driver]:
    """The quiet driver where Textual would use its Linux driver, else ``default``."""
    if LinuxDriver is None or default is not LinuxDriver or _QuietLinuxDriver is None:
        return default
    return _QuietLinuxDriver


def _make_quiet_driver() -> type[Driver] | None:
    if LinuxDriver is None or not all(
        hasattr(LinuxDriver, name) for name in ("run_input_thread", "disable_input", "process_message")
    ):
        return None

    class QuietLinuxDriver(LinuxDriver):  # type: ignore[misc,valid-type]
        """Textual's Linux driver whose input thread sleeps until input or the exit."""

        _wake: tuple[int, int] | None = None

        def run_input_thread(self) -> None:
            self._wake = wake_read, _wake_write = os.pipe()
            selector = selectors.DefaultSelector()
            selector.register(self.fileno, selectors.EVENT_READ, "input")
            selector.register(wake_read, selectors.EVENT_READ, "wake")
            parser = XTermParser(self._debug)
            decode = getincrementaldecoder("utf-8")().decode
            recent_until = time.monotonic() + RECENT_SECONDS
            try:
                while not self.exit_event.is_set():
                    timeout = POLL_SECONDS if time.monotonic() < recent_until else None
                    for key, _mask in selector.select(timeout):
                        if key.data == "wake":
                            os.read(wake_read, 64)
                        elif raw := os.read(self.fileno, 4096):
                            for event in parser.feed(decode(raw)):
                                self.process_message(event)
                        else:  # end of input (a closed terminal): stop watching it, not spin on it
                            selector.unregister(self.fileno)
                        recent_until = time.monotonic() + RECENT_SECONDS
                    for event in parser.tick():
                        self.process_message(event)
            finally:
                selector.close()

        def disable_input(self) -> None:
            # Wake the sleeping thread: it then polls, and sees the exit Textual is about to signal
            # (and waits for). The pipe is closed once the thread is gone.
            wake, self._wake = self._wake, None
            if wake is not None:
                os.write(wake[1], b"x")
            try:
                super().disable_input()
            finally:
                if wake is not None:
                    os.close(wake[0])
                    os.close(wake[1])

    return QuietLinuxDriver


_QuietLinuxDriver = _make_quiet_driver()
