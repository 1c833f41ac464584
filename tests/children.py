"""Real child processes for the tests that need one with a given PID."""

from __future__ import annotations

import subprocess
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
