"""Undo and keep: what reverting a logged action takes, and the session's settings as a sysctl.d file.

Undo is another action: :func:`plan_revert` turns an :class:`~perftop.tui.action_records.ActionRecord`
into the action that sets its old value again (a :class:`ProcessRevert` run through the tuning module, or a
:class:`SettingRevert` written as any setting is), with the same checks as any action. It refuses, raising
:class:`~perftop.tui.tuning.TuningError` with the reason, what cannot be undone (a signal, an action that
was not applied, a SCHED_DEADLINE policy) and a process that has exited or whose PID was
reused; and it says why to ask first when the value was changed since by someone else. The flows
(:meth:`perftop.tui.tuning_flows.TuningFlows.revert`) ask, apply and record.

:func:`sysctl_conf` is the text of a ``sysctl.d`` file holding the session's final value of each sysctl it
changed (settings outside ``/proc/sys``, which sysctl.d cannot hold, as commented commands), and
:func:`write_conf` writes it to a path the user chose, with :func:`explain_write_error` saying why not.
perftop never picks a path under ``/etc`` itself.

Plain Python, no Textual. Layers: the flows build on this module; it builds on the action records and the
tuning modules.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.system_tuning import Setting, SettingResult, read_setting
from perftop.tui.tuning import (
    IoPriority,
    Scheduling,
    TuningError,
    TuningResult,
    Value,
    check_identity,
    format_value,
    read_value,
    renice,
    restore_threads,
    set_affinity,
    set_ionice,
    set_oom_score_adj,
    set_policy,
)
from perftop.widgets.safe_text import escaped

#: Where ``w`` suggests writing the sysctl.d file: the working directory, never ``/etc``.
SUGGESTED_CONF = "./perftop-sysctl.conf"


@dataclass(frozen=True, slots=True)
class ProcessRevert:
    """Set ``what`` of ``subject`` back to ``old``, to every thread or the main one as the action did.
    ``changed`` is why to ask first (the value was changed since by someone else), ``None`` when not."""

    subject: Subject
    what: str
    old: Value
    all_threads: bool
    changed: str | None = None
    #: Each thread's own old value, ``(tid, value)``, when the threads had different ones.
    threads: tuple[tuple[int, Value], ...] = ()

    def apply(self, subject: Subject) -> TuningResult:
        """Apply the old value through the tuning module (which checks the identity again)."""
        target, old = subject.target, self.old
        if self.threads:
            return restore_threads(target, self.what, self.threads)
        if self.what == "nice" and isinstance(old, int):
            return renice(target, old, self.all_threads)
        if self.what == "policy" and isinstance(old, Scheduling):
            return set_policy(target, old.policy, old.priority, old.reset_on_fork, self.all_threads)
        if self.what == "affinity" and isinstance(old, frozenset):
            return set_affinity(target, old, self.all_threads)
        if self.what == "ionice" and isinstance(old, IoPriority):
            return set_ionice(target, old.ioclass, old.level, self.all_threads)
        if self.what == "oom_score_adj" and isinstance(old, int):
            return set_oom_score_adj(target, old)
        raise TuningError(f"perftop cannot undo {self.what} ({format_value(old)})")

    @property
    def question(self) -> str:
        """The confirmation's question."""
        old = "each thread's own" if self.threads else format_value(self.old)
        return f"Set the {self.what} of {self.subject.label} back to {old}?"


@dataclass(frozen=True, slots=True)
class SettingRevert:
    """Write ``value`` (the old one) to ``setting`` again; ``changed`` as for :class:`ProcessRevert`."""

    setting: Setting
    value: str
    changed: str | None = None

    @property
    def question(self) -> str:
        """The confirmation's question."""
        return f"Set {self.setting.label} back to {escaped(self.value)}?"


Revert = ProcessRevert | SettingRevert


def plan_revert(record: ActionRecord) -> Revert:
    """The action that undoes ``record``; raises :class:`TuningError` saying why it cannot be undone.

    Reads the kernel (the process's identity and current value, the setting's file): run it off the event
    loop.
    """
    subject = record.subject
    why = record.no_undo
    if why is not None:
        raise TuningError(f"cannot undo the {record.what} of {subject.label}: {why}")
    applied = record.applied
    if isinstance(applied, SettingResult) and isinstance(subject, Setting):
        assert applied.old is not None  # no_undo says so otherwise
        now = read_setting(subject)
        changed = None
        if now is not None and applied.new is not None and now != applied.new:
            changed = (
                f"{subject.label} is {escaped(now)} now, not the {escaped(applied.new)} perftop set: "
                "it was changed since by someone else, and undoing overwrites that"
            )
        return SettingRevert(subject, applied.old, changed)
    if not isinstance(applied, TuningResult) or not isinstance(subject, Subject) or applied.old is None:
        raise TuningError(f"cannot undo the {record.what} of {subject.label}: its old value is unknown")
    try:
        check_identity(subject.target)
    except TuningError as exc:
        raise TuningError(f"cannot undo the {record.what} of {subject.label}: {exc}") from None
    current = read_value(applied.what, subject.target.pid)
    changed = None
    if current is not None and applied.new is not None and current != applied.new:
        changed = (
            f"the {applied.what} of {subject.label} is {format_value(current)} now, not the "
            f"{format_value(applied.new)} perftop set: it was changed since by someone else, and undoing "
            "overwrites that"
        )
    return ProcessRevert(
        subject, applied.what, applied.old, applied.all_threads, changed, applied.thread_values
    )


# --- keep: the session's settings as a sysctl.d file ----------------------------------------------------


def sysctl_conf(records: Sequence[ActionRecord], written: float | None = None) -> str | None:
    """The text of a ``sysctl.d`` file holding the last value each changed sysctl was given, in the order
    they were first changed; ``None`` when no setting was changed.

    A setting set back to its value before the session (by an undo, or by hand through perftop) is left
    out, with a comment. Settings sysctl.d cannot hold (a device's queue, an IRQ's affinity) follow as
    commented commands to run at boot some other way.
    """
    first: dict[Setting, str | None] = {}
    last: dict[Setting, str] = {}
    times: list[float] = []
    for r in records:
        applied = r.applied
        if not isinstance(applied, SettingResult) or applied.new is None:
            continue
        setting = applied.setting
        first.setdefault(setting, applied.old)
        last[setting] = applied.new
        times.append(r.time)
    if not last:
        return None
    when = time.time() if written is None else written
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    began = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(min(times)))
    lines = [
        f"# perftop: the kernel settings changed since {began}, written {stamp}.",
        "# sysctl.d(5) format: apply now with `sysctl -p FILE`; at boot, copy it to /etc/sysctl.d/ (for",
        "# example as 90-perftop.conf). perftop does not install it.",
    ]
    sysctls = [s for s in last if s.kind == "sysctl"]
    others = [s for s in last if s.kind != "sysctl"]
    if sysctls:
        lines.append("")
    for s in sysctls:
        value = last[s]
        if first[s] == value:
            lines.append(f"# {s.label} = {escaped(value)}: back to its value before the session, left out")
        else:
            lines.append(f"{s.label} = {escaped(value)}")
    if others:
        lines += ["", "# Not sysctls, so sysctl.d cannot hold them: run these at boot (a udev rule, a unit):"]
    for s in others:
        value = last[s]
        note = ": set back to its value before the session" if first[s] == value else ""
        lines.append(f"# {escaped(s.command(value))}{note}")
    return "\n".join(lines) + "\n"


def write_conf(path: Path, text: str, *, replace: bool = False) -> None:
    """Write ``text`` to ``path``: a new file, or over an existing one only when ``replace`` (otherwise
    ``FileExistsError``). ``OSError`` when it cannot be written (see :func:`explain_write_error`)."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    with open(path, "w" if replace else "x", encoding="utf-8") as f:
        f.write(text)


def explain_write_error(path: Path, exc: OSError) -> str:
    """Why ``path`` cannot be written, and what would allow it."""
    shown = escaped(str(path))
    where = escaped(str(path.parent))
    code = exc.errno
    if code == errno.ENOENT:
        return f"cannot write {shown}: there is no directory {where}"
    if code == errno.ENOTDIR:
        return f"cannot write {shown}: a part of {where} is a file, not a directory"
    if code == errno.EISDIR:
        return f"cannot write {shown}: it is a directory; type a file name in it"
    if code in (errno.EACCES, errno.EPERM):
        return f"cannot write {shown}: perftop (uid {os.geteuid()}) may not write there; choose another place"
    if code == errno.EROFS:
        return f"cannot write {shown}: the file system is read-only there; choose another place"
    if code == errno.ENOSPC:
        return f"cannot write {shown}: the file system is full"
    return f"cannot write {shown}: {exc.strerror or exc}"
