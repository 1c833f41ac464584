"""What perftop does when it fails: one line on stderr and a non-zero exit, the traceback in a file that
line names, never over the user's screen.

The file goes to ``$XDG_STATE_HOME/perftop/`` (``~/.local/state/perftop/`` when unset), else to the temp
dir; it is readable by its owner only, since a traceback holds values (command lines among them).
"""

from __future__ import annotations

import errno
import io
import os
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from perftop.widgets.safe_text import escaped, escaped_lines

if TYPE_CHECKING:
    from rich.console import Console

#: The exit status of a crash.
CRASH_STATUS = 1


def crash_dirs() -> list[Path]:
    """Where a crash report may go, best first."""
    state = os.environ.get("XDG_STATE_HOME", "")
    base = Path(state) if Path(state).is_absolute() else Path.home() / ".local" / "state"
    return [base / "perftop", Path(tempfile.gettempdir()) / f"perftop-{os.getuid()}"]


def save_report(text: str) -> Path:
    """Write ``text`` to a new file in the first of :func:`crash_dirs` that takes it; ``OSError`` when
    none does."""
    name = time.strftime("crash-%Y%m%d-%H%M%S", time.localtime()) + f"-{os.getpid()}.txt"
    error: OSError | None = None
    for folder in crash_dirs():
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            _check_private(folder)
            path = folder / name
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as f:
                f.write(text)
            return path
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


def _check_private(folder: Path) -> None:
    """``OSError`` unless ``folder`` is a directory of ours that no one else may write: in the shared temp
    dir another user could have made it first, or a link to elsewhere, for the report to land in."""
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise OSError(errno.EPERM, "not a private directory of this user", str(folder))


def summary(traceback_text: str) -> str:
    """The last line of a traceback (``RuntimeError: the probe broke``), at most 200 characters."""
    lines = [line.strip() for line in traceback_text.splitlines() if line.strip()]
    last = lines[-1] if lines else "unknown error"
    return last if len(last) <= 200 else last[:199] + "…"


def report(traceback_text: str, stderr: TextIO | None = None) -> int:
    """Save ``traceback_text``, say in one line where it went, and return :data:`CRASH_STATUS`. When no
    file can be written, the traceback follows that line instead: it is all there is to go on."""
    stderr = stderr or sys.stderr
    what = escaped(summary(traceback_text))  # an exception's message may quote a process name
    try:
        path = save_report(traceback_text)
    except OSError as exc:
        print(f"perftop: crashed ({what}); could not save the traceback ({exc}):", file=stderr)
        print(escaped_lines(traceback_text), file=stderr)
    else:
        print(f"perftop: crashed ({what}); the traceback is in {path}", file=stderr)
    return CRASH_STATUS


def capture_console() -> tuple[Console, io.StringIO]:
    """A Rich console writing plain text into a buffer, for an App's ``error_console``: Textual prints an
    unhandled error's traceback there once the terminal is restored."""
    from rich.console import Console  # with Textual, not before the first sample

    buffer = io.StringIO()
    return Console(file=buffer, width=120, color_system=None, markup=False, highlight=False), buffer
