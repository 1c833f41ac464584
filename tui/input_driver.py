"""Textual's Linux driver, with an input thread that sleeps while nothing happens.

Textual's input thread wakes every 0.1 s whether or not a key came (to notice the exit and to time out
a lone Escape): about 0.15% of a core on an idle terminal, a sixth of what perftop may cost in all.
This one blocks until input arrives or the App exits, and polls at Textual's pace only for a second
after input (long enough for the Escape timeout). It reads keys with Textual's own parser, which only
the fence may touch: without the fence installed, ``driver_class()`` returns Textual's own driver.
"""

from __future__ import annotations

import os
import selectors
import time
from codecs import getincrementaldecoder

from textual.driver import Driver

from perftop.widgets import textual_fence

#: Seconds between wake-ups while input is recent (Textual's own pace) and how long input stays recent.
POLL_SECONDS = 0.1
RECENT_SECONDS = 1.0

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


def _make_quiet_driver() -> type[Driver] | None:
    if LinuxDriver is None:
        return None

    class QuietLinuxDriver(LinuxDriver):  # type: ignore[misc,valid-type]
        """Textual's Linux driver whose input thread sleeps until input or the exit."""

        #: The pipe that wakes the input thread for the exit, while it runs.
        wake_pipe: tuple[int, int] | None = None

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
