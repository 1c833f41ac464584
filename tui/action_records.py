"""Tuning actions as records: whom or what an action was for, what it changed, and the shell line that
redoes it.

One :class:`ActionRecord` per process (or setting of the machine) and action is the record every consumer
shares: the action log (``L``), ``--log-actions`` (:func:`append_script`), undo (:mod:`perftop.tui.undo`),
and later recordings and the exporter. Plain Python, no Textual. Layers: undo, the flows and the App's
tuning keys build on this module; it builds on the tuning modules only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from perftop.probes.snapshot import ThreadInfo
from perftop.tui.system_tuning import Setting, SettingResult
from perftop.tui.tuning import CHRT_OPTIONS, MIXED, Scheduling, Target, TuningResult, format_value
from perftop.widgets.safe_text import escaped

if TYPE_CHECKING:
    from perftop.probes.snapshot import ProcessInfo


@dataclass(frozen=True, slots=True)
class Subject:
    """A process an action is for: its identity and how to name it to the user."""

    target: Target
    comm: str
    cmdline: str

    @property
    def label(self) -> str:
        """``1234 (sleep)``, or ``thread 1240 of 1234 (worker)``, the name's control characters spelled
        out."""
        t = self.target
        who = t.pid if t.tgid is None else f"thread {t.pid} of {t.tgid}"
        return f"{who} ({escaped(self.comm)})"

    @property
    def shown_cmdline(self) -> str:
        """The command line on one line, its control characters spelled out."""
        return escaped(self.cmdline)


def subject_of(p: ProcessInfo) -> Subject:
    """The subject of an action on ``p``, its identity taken now: a thread row's is that thread alone."""
    if isinstance(p, ThreadInfo):
        return Subject(Target(p.pid, p.start_time, p.tgid), p.comm, p.comm)
    return Subject(Target(p.pid, p.start_time), p.comm, p.cmdline or f"[{p.comm}]")


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One action on one process or one setting of the machine.

    ``time`` is epoch seconds; ``subject`` the process (:class:`Subject`) or the setting
    (:class:`~perftop.tui.system_tuning.Setting`); ``what`` names the action (``nice``, ``policy``,
    ``affinity``, ``ionice``, ``oom_score_adj``, ``signal``, or the setting's ``what``); ``old`` and ``new``
    are the values as shown (``mixed`` where the threads differ, ``-`` when nothing was applied);
    ``command`` is the equivalent shell command (``-`` when nothing was applied); ``result`` is ``ok`` or why
    the action failed. ``applied`` is what the tuning module read back from the kernel (typed old and new
    values, the threads), ``None`` when nothing was applied.
    """

    time: float
    subject: Subject | Setting
    what: str
    old: str
    new: str
    command: str
    result: str
    applied: TuningResult | SettingResult | None = None

    @classmethod
    def of(
        cls,
        when: float,
        subject: Subject | Setting,
        what: str,
        applied: TuningResult | SettingResult | None,
        error: str | None,
    ) -> ActionRecord:
        """The record of ``what`` on ``subject``: the tuning module's result, or the error that refused it."""
        if applied is None:
            return cls(when, subject, what, "-", "-", "-", error or "not applied")
        if isinstance(applied, SettingResult):
            old, new = escaped(applied.old or "-"), escaped(applied.new or "-")
            return cls(when, subject, what, old, new, applied.command, "ok", applied)
        old = MIXED if applied.mixed_before else format_value(applied.old)
        new = format_value(applied.new) + (f" ({MIXED})" if applied.mixed_after else "")
        result = "ok" if applied.ok else "; ".join(f.message for f in applied.failed)
        return cls(when, subject, what, old, new, applied.command, result, applied)

    @property
    def ok(self) -> bool:
        """True when the action was applied to every thread."""
        return self.applied is not None and self.applied.ok

    @property
    def undo_command(self) -> str | None:
        """The shell command that sets the old value again, ``None`` when there is none (see
        :attr:`no_undo`)."""
        return None if self.applied is None else self.applied.undo_command

    @property
    def no_undo(self) -> str | None:
        """Why this action cannot be undone, ``None`` when it can."""
        applied = self.applied
        if applied is None:
            return "nothing was applied, so there is nothing to undo"
        if applied.undo_command is not None:
            return None
        if applied.what == "signal":
            return f"a signal cannot be undone: {self.new} was delivered"
        if isinstance(applied, SettingResult):
            return "its old value was unreadable, so perftop cannot tell what to set again"
        if any(isinstance(v, Scheduling) and v.policy not in CHRT_OPTIONS for _, v in applied.thread_values):
            return "one of its threads was SCHED_DEADLINE before, which perftop does not set"
        if isinstance(applied.old, Scheduling) and applied.old.policy not in CHRT_OPTIONS:
            return f"its old policy was {applied.old}, which perftop does not set"
        return "its old value could not be read, so perftop cannot tell what to set again"

    @property
    def undo_line(self) -> str:
        """The undo command, or ``none:`` and why, as the log and the script show it."""
        command = self.undo_command
        return command if command is not None else f"none: {self.no_undo}"

    def line(self) -> str:
        """One line of the notification that reports the action."""
        if self.applied is not None:
            return self.applied.describe()
        return f"{self.subject.label}: {self.result}"


SCRIPT_HEADER = (
    "#!/bin/sh\n"
    "# perftop action log: the commands perftop applied, each after its target's command line and\n"
    "# start time (clock ticks after boot), each followed by the command that undoes it. The PIDs are those\n"
    "# of that boot.\n"
)


def append_script(path: Path, records: Sequence[ActionRecord]) -> None:
    """Append the applied commands of ``records`` to the shell script ``path`` (its header when new)."""
    lines = []
    for r in records:
        if r.applied is None:
            continue
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.time))
        subject = r.subject
        if isinstance(subject, Setting):
            lines.append(f"# {stamp} {subject.label} ({escaped(subject.path)}), was {r.old}\n")
        else:
            t = subject.target
            # Escaped: a line break would turn the rest of the command line into commands, and an escape
            # sequence would act on the terminal of whoever reads the script.
            who = f"pid {t.pid}" if t.tgid is None else f"thread {t.pid} of pid {t.tgid}"
            lines.append(f"# {stamp} {who} start time {t.start_time}: {subject.shown_cmdline}\n")
        lines.append(r.command + "\n")
        # Escaped, as the comment above: a line break in a device's name would end the comment.
        lines.append(f"# undo: {escaped(r.undo_line)}\n")
    if not lines:
        return
    with open(path, "a", encoding="utf-8") as f:
        if f.tell() == 0:
            f.write(SCRIPT_HEADER)
        f.writelines(lines)
