"""A process's effective capabilities: the ``CapEff`` line of ``/proc/PID/status``.

The tuning module reads perftop's own (``/proc/self/status``) to say which limit refused an action: with
CAP_SYS_NICE a refused real-time policy is a cgroup budget, not a missing privilege.
"""

from __future__ import annotations

from perftop.probes.fs import FS, read_text

#: CAP_SYS_NICE's bit in the capability sets (linux/capability.h).
CAP_SYS_NICE = 23


def parse_effective_capabilities(status_text: str) -> int | None:
    """The ``CapEff`` mask of ``/proc/PID/status`` text (bit N set: capability N held), or ``None`` when
    the line is missing or malformed."""
    for line in status_text.splitlines():
        if line.startswith("CapEff:"):
            fields = line.split()
            try:
                return int(fields[1], 16)
            except (IndexError, ValueError):
                return None
    return None


def read_effective_capabilities(fs: FS, pid: int | str = "self") -> int | None:
    """The effective capabilities of process ``pid`` (default: the reader itself), or ``None`` when its
    ``status`` cannot be read or has no ``CapEff`` line."""
    text = read_text(fs.proc(pid, "status"))
    return None if text is None else parse_effective_capabilities(text)
