"""Resource limits of a process: the soft ``RLIMIT_NICE`` and ``RLIMIT_RTPRIO`` of ``/proc/PID/limits``.

The kernel checks the target's own limits when perftop changes its nice value or policy, so the tuning
module reads them to say what would allow a refused change.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

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
