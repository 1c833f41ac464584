"""Waiting for what perftop shows in a tmux pane (the terminal and CLI tests)."""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.overhead import Tmux


def wait_for_screen(tmux: Tmux, shown: Callable[[str], bool], what: str, seconds: float, poll: float) -> str:
    """The pane's text once ``shown`` holds for it, checked every ``poll`` seconds; AssertionError naming
    ``what``, with the last screen, when it does not within ``seconds``."""
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux.capture()
        if shown(screen):
            return screen
        time.sleep(poll)
    raise AssertionError(f"{what} not shown within {seconds:g} s; the screen was:\n{screen}")
