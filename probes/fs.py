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


#: First read size: more than any procfs or sysfs file perftop reads per process; bigger files (``numa_maps``,
#: ``net/tcp``) take a few reads, each twice the last.
_FIRST_READ = 8192
#: Largest single read, so a huge file does not allocate a huge buffer per call.
_MAX_READ = 1 << 20


def _read_fd(fd: int) -> bytes:
    """Everything from ``fd``'s offset to EOF (a read returning nothing)."""
    data = os.read(fd, _FIRST_READ)
    if not data:
        return data
    chunks = [data]
    size = _FIRST_READ
    while chunk := os.read(fd, size):
        chunks.append(chunk)
        size = min(size * 2, _MAX_READ)
    return b"".join(chunks)


def read_bytes(path: str) -> bytes | None:
    """The whole file as bytes, or ``None`` when it is missing, unreadable or vanished mid-read."""
    # os.open/os.read skip the buffered-file and text-wrapper objects of open(): procfs files are read
    # thousands of times a second, and that setup cost more than the kernel's work for small ones.
    try:
        fd = os.open(path, os.O_RDONLY)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    try:
        return _read_fd(fd)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_text(path: str) -> str | None:
    """The whole file as text (UTF-8, bad bytes replaced), or ``None`` when it is missing, unreadable or
    vanished mid-read."""
    data = read_bytes(path)
    return None if data is None else data.decode("utf-8", "replace")
