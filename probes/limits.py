"""Resource limits of a process: the soft ``RLIMIT_NICE`` and ``RLIMIT_RTPRIO`` of ``/proc/PID/limits``.

The kernel checks the target's own limits when perftop changes its nice value or policy, so the tuning
module reads them to say what would allow a refused change.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

from perftop.probes.detail_data import Limit
from perftop.probes.fs import FS, read_text
from perftop.probes.kernel_numbers import is_decimal

_NICE = "Max nice priority"
_RTPRIO = "Max realtime priority"


@dataclass(frozen=True, slots=True)
class SoftLimits:
    """Soft limits from ``/proc/PID/limits`` the scheduler checks (``resource.RLIM_INFINITY``: unlimited;
    ``None``: the line is missing or malformed)."""

    nice: int | None
    rtprio: int | None


def parse_pid_limits(text: str) -> SoftLimits:
    """Parse ``/proc/PID/limits``; a missing or malformed line leaves its limit ``None``."""
    found: dict[str, int | None] = {_NICE: None, _RTPRIO: None}
    for line in text.splitlines():
        for name in found:
            if line.startswith(name):
                fields = line[len(name) :].split()
                if fields and fields[0] == "unlimited":
                    found[name] = resource.RLIM_INFINITY
                elif fields and is_decimal(fields[0]):
                    found[name] = int(fields[0])
    return SoftLimits(found[_NICE], found[_RTPRIO])


def read_pid_limits(fs: FS, pid: int) -> SoftLimits | None:
    """The soft limits of process ``pid``, or ``None`` when its ``limits`` file cannot be read."""
    text = read_text(fs.proc(pid, "limits"))
    return None if text is None else parse_pid_limits(text)


#: The ``/proc/PID/limits`` lines that govern tuning, by the name ``prlimit`` gives them.
TUNING_LIMITS: tuple[tuple[str, str], ...] = (
    ("NICE", "Max nice priority"),
    ("RTPRIO", "Max realtime priority"),
    ("RTTIME", "Max realtime timeout"),
    ("MEMLOCK", "Max locked memory"),
    ("NOFILE", "Max open files"),
)


def _limit_value(text: str) -> int | None:
    if text == "unlimited":
        return resource.RLIM_INFINITY
    return int(text) if is_decimal(text) else None


def parse_tuning_limits(text: str) -> dict[str, Limit]:
    """The limits of :data:`TUNING_LIMITS` in ``/proc/PID/limits`` text, by name (``NICE``...); a missing
    line is left out."""
    found: dict[str, Limit] = {}
    for line in text.splitlines():
        for name, title in TUNING_LIMITS:
            if line.startswith(title + " "):
                fields = line[len(title) :].split()
                if len(fields) >= 2:
                    unit = fields[2] if len(fields) > 2 else ""
                    found[name] = Limit(_limit_value(fields[0]), _limit_value(fields[1]), unit)
    return found
