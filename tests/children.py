"""Real child processes for the tests that need one with a given PID."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def spawn_with_pid(pid: int, argv: list[str]) -> subprocess.Popen[bytes] | None:
    """A child with PID ``pid``, by setting the namespace's last PID just below it (root only)."""
    for _ in range(50):
        try:
            Path("/proc/sys/kernel/ns_last_pid").write_text(str(pid - 1))
        except OSError:
            return None
        child = subprocess.Popen(argv)
        if child.pid == pid:
            return child
        child.kill()
        child.wait()
    return None


def wait_until(predicate: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether ``predicate`` came true within ``seconds`` (a child's state settling, a file appearing)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
