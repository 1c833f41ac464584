"""Tuning the machine: the files under ``/proc/sys``, ``/sys`` and ``/proc/irq`` that hold its settings.

Plain functions, no Textual. :func:`change_setting` takes a :class:`Setting` (which file, and how a person
names it) and a value its caller has validated, reads the old value, writes the new one, reads it back and
returns a :class:`SettingResult` carrying the equivalent shell command and the command that undoes it.
Every failure raises :class:`~perftop.tui.tuning.TuningError`, whose message says why and what would allow
it. Settings are this machine's: a foreign procfs or sysfs root is refused, as for processes
(:func:`settings_allowed`).
"""

from __future__ import annotations

import errno
import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from perftop.probes.fs import FS, read_text
from perftop.probes.settings import setting_value
from perftop.probes.tunables import INT_MAX, Tunable, TunableValue
from perftop.tui.tuning import TuningError, tuning_allowed
from perftop.widgets.safe_text import escaped

#: How a setting's equivalent command is written: ``sysctl -w key=value`` for a file under ``/proc/sys``,
#: ``echo value > path`` for any other file.
SettingKind = Literal["sysctl", "file"]

#: The most a value written to a settings file may hold (the kernel takes a page at most).
MAX_VALUE_BYTES: Final = 4096

_LIVE: Final = FS()


@dataclass(frozen=True, slots=True)
class Setting:
    """One settings file: ``key`` as people know it (``vm.swappiness``, ``sda queue/scheduler``, ``IRQ 24
    smp_affinity_list``), ``path`` the file, ``kind`` how its command is written, ``what`` the action's name
    in the log (``sysctl``, ``device``, ``irq_affinity``)."""

    kind: SettingKind
    key: str
    path: str
    what: str = "sysctl"

    @property
    def label(self) -> str:
        """The key, its control characters spelled out (a device name comes from the kernel)."""
        return escaped(self.key)

    def command(self, value: str) -> str:
        """The shell command that sets ``value``."""
        if self.kind == "sysctl":
            return "sysctl -w " + shlex.quote(f"{self.key}={value}")
        return f"echo {shlex.quote(value)} > {shlex.quote(self.path)}"


@dataclass(frozen=True, slots=True)
class SettingResult:
    """What a change of a setting did: ``old`` and ``new`` as read from the file before and after (``None``:
    unreadable), the command that did it and the one that undoes it; ``note`` explains a read-back value
    that differs from the one asked for."""

    setting: Setting
    old: str | None
    new: str | None
    command: str
    undo_command: str | None
    note: str | None = None

    @property
    def what(self) -> str:
        """The action's name in the log."""
        return self.setting.what

    @property
    def ok(self) -> bool:
        """Always True: a refused change raises instead."""
        return True

    def describe(self) -> str:
        """One line for a notification or the action log."""
        old, new = escaped(self.old or "-"), escaped(self.new or "-")
        text = f"{self.setting.label}: {old} -> {new}  [{self.command}]"
        if self.note:
            text += f"; {self.note}"
        return text


def settings_allowed(fs: FS) -> str | None:
    """``None`` when perftop may change the settings ``fs`` shows, else why it is read-only: only this
    machine's own ``/proc`` and ``/sys`` are perftop's to change."""
    why = tuning_allowed(fs)
    if why is not None:
        return why
    if os.path.realpath(fs.sysfs) != "/sys":
        return f"read-only: {fs.sysfs} is not this machine's /sys: its settings are not perftop's to change"
    return None


def read_setting(setting: Setting) -> str | None:
    """The value the setting's file holds now (see :func:`~perftop.probes.settings.setting_value`), or
    ``None`` when it is missing or unreadable."""
    text = read_text(setting.path)
    return None if text is None else setting_value(text)


def explain_write_error(setting: Setting, value: str, exc: OSError) -> str:
    """Why the kernel refused to write ``value`` to the setting, and what would allow it."""
    where = f"{setting.label} ({setting.path})"
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        if os.geteuid() != 0:
            return f"{where}: only root may change it (run perftop as root, e.g. with sudo)"
        return (
            f"{where}: the kernel refused root ({errno.errorcode.get(code or 0, code)}): in a container or "
            "under a security module (SELinux, AppArmor) this setting belongs to the host"
        )
    if code == errno.EROFS:
        return (
            f"{where}: the file system is read-only here (EROFS); a container usually mounts /proc/sys and "
            "/sys read-only: change it on the host"
        )
    if code == errno.EINVAL:
        return f"{where}: the kernel refused {escaped(value)!r} (EINVAL): not a value it takes here"
    if code == errno.ENOENT:
        return f"{where}: this kernel has no such setting"
    if code == errno.EBUSY:
        return f"{where}: busy (EBUSY): the kernel cannot change it now; try again"
    return f"{where}: {exc.strerror or exc}"


def _write(path: str, value: str) -> None:
    # No O_CREAT: a setting this kernel lacks must not become a new file (a fixture tree, a typo).
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        data = (value + "\n").encode()
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(errno.EIO, f"the kernel took {written} of {len(data)} bytes")
    finally:
        os.close(fd)


def change_setting(
    setting: Setting,
    value: str,
    *,
    fs: FS = _LIVE,
    explain: Callable[[OSError], str | None] | None = None,
) -> SettingResult:
    """Write ``value`` (already validated) to ``setting`` and read it back.

    ``explain(exc)`` may give a message of its own for a refused write (``None``: the usual one). Raises
    :class:`~perftop.tui.tuning.TuningError` when perftop may not change ``fs``'s settings, the file is
    missing, or the kernel refuses the value.
    """
    why = settings_allowed(fs)
    if why is not None:
        raise TuningError(why)
    if "\n" in value or len(value.encode()) > MAX_VALUE_BYTES:
        raise TuningError(f"{setting.label}: a value is one line of at most {MAX_VALUE_BYTES} bytes")
    old = read_setting(setting)
    if old is None and not os.path.exists(setting.path):
        raise TuningError(f"{setting.label} ({setting.path}): this kernel has no such setting")
    try:
        _write(setting.path, value)
    except OSError as exc:
        message = explain(exc) if explain is not None else None
        raise TuningError(message or explain_write_error(setting, value, exc)) from None
    new = read_setting(setting)
    note = None
    if new is not None and new != setting_value(value):
        note = f"the kernel keeps {escaped(new)}, not {escaped(value)}"
    undo = None if old is None else setting.command(old)
    return SettingResult(setting, old, new, setting.command(value), undo, note)


# --- the tunables of the catalogue ------------------------------------------------------------------------

_NUMBER: Final = re.compile(r"[+-]?[0-9]+")
#: More digits than any tunable's bound has: not converted, nor quoted whole.
_MAX_DIGITS: Final = 21


def _bounds_words(low: int, high: int) -> str:
    return f"at least {low}" if high >= INT_MAX else f"from {low} to {high}"


def _number(word: str, what: str, low: int, high: int) -> int:
    if _NUMBER.fullmatch(word) is None:
        raise TuningError(f"{what} must be a whole number {_bounds_words(low, high)}, not {escaped(word)!r}")
    if len(word) > _MAX_DIGITS:
        raise TuningError(f"{what} {word[:12]}... is out of range: it must be {_bounds_words(low, high)}")
    value = int(word)
    if not low <= value <= high:
        raise TuningError(f"{what} {value} is out of range: it must be {_bounds_words(low, high)}")
    return value


def parse_tunable(tunable: Tunable, text: str, choices: tuple[str, ...] | None = None) -> str:
    """The value to write for what the user typed for ``tunable``, in the kernel's form (``+05`` -> ``5``,
    numbers separated by one space); ``choices``: those the file offers now. Raises
    :class:`~perftop.tui.tuning.TuningError` saying what the tunable takes when ``text`` is empty, not its
    type, out of range, the wrong count of numbers, or not one of the choices."""
    label = escaped(tunable.key)
    words = text.split()
    if not words:
        raise TuningError(f"{label}: type a value ({tunable.range_text(choices)})")
    if tunable.kind == "choice":
        offered = choices or ()
        if len(words) != 1 or words[0] not in offered:
            shown = ", ".join(offered) if offered else "nothing (the file lists no choices)"
            raise TuningError(f"{label} takes one of {shown}; not {escaped(text.strip())!r}")
        return words[0]
    if len(words) != tunable.count:
        names = f" ({tunable.names})" if tunable.names else ""
        wanted = "one number" if tunable.count == 1 else f"{tunable.count} numbers{names}"
        raise TuningError(f"{label} takes {wanted}, not {len(words)}: {escaped(text.strip())!r}")
    numbers: list[int] = []
    name_list = tunable.names.split()
    for index, (word, (low, high)) in enumerate(zip(words, tunable.bounds, strict=True)):
        what = label if tunable.count == 1 else f"{label} {name_list[index] if name_list else index + 1}"
        numbers.append(_number(word, what, low, high))
    if tunable.ascending and numbers != sorted(numbers):
        raise TuningError(f"{label}: each number must be at least the one before ({tunable.names})")
    return " ".join(map(str, numbers))


#: The action's name in the log for a tunable of each group (the sysctls are ``sysctl``).
_WHAT_OF_GROUP: Final = {"block": "device", "thp": "thp"}


def tunable_setting(tunable: Tunable, path: str) -> Setting:
    """The :class:`Setting` of ``tunable``'s file at ``path``: a sysctl under ``/proc/sys``, else a file."""
    if tunable.root == "proc":
        return Setting("sysctl", tunable.key, path, "sysctl")
    return Setting("file", tunable.key, path, _WHAT_OF_GROUP.get(tunable.group, "sysfs"))


def set_tunable(
    current: TunableValue,
    text: str,
    *,
    fs: FS = _LIVE,
    explain: Callable[[OSError], str | None] | None = None,
) -> SettingResult:
    """Check ``text`` against ``current``'s tunable (its type, range, count, the choices its file offers)
    and write it (:func:`change_setting`). Bad input raises :class:`~perftop.tui.tuning.TuningError`
    before anything is written."""
    value = parse_tunable(current.tunable, text, current.choices)
    return change_setting(tunable_setting(current.tunable, current.path), value, fs=fs, explain=explain)
