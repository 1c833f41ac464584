"""Where procfs and sysfs live, and the one safe way to read a file from them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FS:
    """The roots of procfs and sysfs (``--procfs`` / ``--sysfs``).

    Every probe reads through one, so it runs unchanged on a fixture tree or a container's ``/host/proc``.
    """

    procfs: Path = Path("/proc")
    sysfs: Path = Path("/sys")

    def proc(self, *parts: str | int) -> str:
        """Path of a file under the procfs root, e.g. ``fs.proc(1234, "stat")``."""
        return os.path.join(self.procfs, *map(str, parts))

    def sys(self, *parts: str) -> str:
        """Path of a file under the sysfs root."""
        return os.path.join(self.sysfs, *parts)

    def is_own_proc(self) -> bool:
        """True when the procfs root is this process's own ``/proc`` (its ``self`` link names our PID).

        Only then may perftop act on the PIDs it shows; on a fixture, a container's ``/host/proc`` or a
        recording the PIDs are not ours to signal.
        """
        try:
            return os.readlink(self.proc("self")) == str(os.getpid())
        except OSError:
            return False


def read_text(path: str) -> str | None:
    """The whole file as text, or ``None`` when it is missing, unreadable or vanished mid-read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except (OSError, ValueError):
        return None


def read_bytes(path: str) -> bytes | None:
    """The whole file as bytes, or ``None`` when it is missing, unreadable or vanished mid-read."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None
