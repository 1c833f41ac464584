"""What each tuning key does once pressed: read the current values, ask, apply, record, re-read, report.

Plain Python, no Textual. A flow gets the subjects captured when its key was pressed and reaches the App
only through a :class:`Host`: ask a :class:`Question` (the App opens the matching dialog) and await the
answer, notify, record the actions, re-read the rows. So the flows run the same under a test's host as
under the App. Current values are read through the App's :class:`~perftop.probes.fs.FS` (tuning is allowed
only when it is this machine's own ``/proc``); the changes are the tuning module's, made off the event
loop, one action at a time.

Layers: the App's tuning keys (:mod:`perftop.tui.tuning_ui`) and the dialogs build on this module; it
builds on the action records and the tuning module only. Loaded with the first tuning key, with the tuning
module and psutil: the first frame needs none of them.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Literal, Protocol, TypeVar

import psutil

from perftop.probes.cpulist import format_cpu_list
from perftop.probes.fs import FS, read_text
from perftop.probes.kernel_numbers import is_decimal
from perftop.probes.snapshot import POLICY_NAMES
from perftop.probes.tunable_files import queue_device, read_tunable
from perftop.probes.tunables import Tunable, TunableValue, device_tunables
from perftop.tui.action_records import ActionRecord, Subject, append_script
from perftop.tui.irq_tuning import affinity_error, effective_note, irq_setting, irq_state, irqbalance_warning
from perftop.tui.system_tuning import Setting, SettingResult, change_setting, parse_tunable, tunable_setting
from perftop.tui.tuning import (
    IO_CLASSES,
    MIXED,
    RT_POLICIES,
    Scheduling,
    TuningError,
    TuningResult,
    format_value,
    needs_rt_confirmation,
    online_cpus,
    read_ionice,
    read_scheduling,
    renice,
    rt_refusal,
    send_signal,
    set_affinity,
    set_ionice,
    set_oom_score_adj,
    set_policy,
    thread_values,
)
from perftop.tui.undo import (
    SUGGESTED_CONF,
    ProcessRevert,
    SettingRevert,
    explain_write_error,
    plan_revert,
    sysctl_conf,
    write_conf,
)
from perftop.widgets.safe_text import escaped

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)

#: How a notification looks: Textual's severities.
Severity = Literal["information", "warning", "error"]


# --- what a flow asks -----------------------------------------------------------------------------------


class Question(Generic[_T_co]):
    """Something a flow asks the user, answered with a ``_T_co`` (``None``: cancelled). Most questions
    carry ``subjects`` (whom it is about, as :func:`describe_subjects` says it) and ``current`` (their
    current values, as shown)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class AskNice(Question[int]):
    """A nice value -20..19; ``initial`` fills the field (``None``: the threads differ, or several)."""

    subjects: str
    current: str
    initial: int | None = None


@dataclass(frozen=True, slots=True)
class AskOomScore(Question[int]):
    """An OOM score adjustment -1000..1000; ``initial`` fills the field (``None``: several subjects)."""

    subjects: str
    current: str
    initial: int | None = None


@dataclass(frozen=True, slots=True)
class AskRtPriority(Question[int]):
    """An RT priority for ``policy`` (``os.SCHED_FIFO`` or ``os.SCHED_RR``), the policy kept."""

    subjects: str
    current: str
    policy: int
    initial: int | None = None


@dataclass(frozen=True, slots=True)
class SchedulingChoice:
    """The answer to :class:`AskScheduling`: ``os.SCHED_*`` policy, RT priority (0 for the others)."""

    policy: int
    priority: int
    reset_on_fork: bool
    all_threads: bool


@dataclass(frozen=True, slots=True)
class AskScheduling(Question[SchedulingChoice]):
    """A policy, its RT priority, reset-on-fork and all threads or the main one; the fields start at the
    first subject's setting."""

    subjects: str
    current: str
    policy: int = os.SCHED_OTHER
    priority: int | None = None
    reset_on_fork: bool = False


@dataclass(frozen=True, slots=True)
class AffinityChoice:
    """The answer to :class:`AskAffinity`: a non-empty set of online CPUs."""

    cpus: frozenset[int]
    all_threads: bool


@dataclass(frozen=True, slots=True)
class AskAffinity(Question[AffinityChoice]):
    """CPUs among ``online``, grouped by NUMA node (``(node, cpus)``); ``initial`` ticked (``None``: all).
    ``threads``: whether to ask for all threads or the main one (not for an IRQ)."""

    subjects: str
    current: str
    online: frozenset[int]
    nodes: tuple[tuple[int, tuple[int, ...]], ...]
    initial: frozenset[int] | None = None
    threads: bool = True


@dataclass(frozen=True, slots=True)
class IoChoice:
    """The answer to :class:`AskIoPriority`: one of ``IO_CLASSES`` and its level (``None``: no level)."""

    ioclass: str
    level: int | None
    all_threads: bool


@dataclass(frozen=True, slots=True)
class AskIoPriority(Question[IoChoice]):
    """An IO class and level, starting at ``ioclass`` and ``level``."""

    subjects: str
    current: str
    ioclass: str = "none"
    level: int | None = None


@dataclass(frozen=True, slots=True)
class AskSignal(Question[str]):
    """A signal name (``TERM``) to send, TERM offered first."""

    subjects: str


@dataclass(frozen=True, slots=True)
class AskConfirm(Question[bool]):
    """Yes or no to ``question``, with the ``reason`` it is asked."""

    title: str
    question: str
    reason: str


@dataclass(frozen=True, slots=True)
class AskTunable(Question[str]):
    """A new value for a tunable, as it was read (``current``): checked against its type, range or choices
    before the dialog closes; the answer is the value to write, in the kernel's form."""

    current: TunableValue


@dataclass(frozen=True, slots=True)
class AskPick(Question[str]):
    """One of ``choices`` (``(id, label)``), ``current`` marked; the answer is its id."""

    title: str
    choices: tuple[tuple[str, str], ...]
    current: str | None = None


@dataclass(frozen=True, slots=True)
class AskPath(Question[str]):
    """A file's path, typed; the field starts at ``initial``, and ``error`` (if any) says why the last one
    typed was refused."""

    title: str
    subject: str
    initial: str
    error: str | None = None


class Host(Protocol):
    """What a flow needs of the App."""

    async def ask(self, question: Question[_T]) -> _T | None:
        """Open the dialog for ``question`` and return its answer (``None``: cancelled)."""
        ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Severity = "information",
        timeout: float | None = None,
    ) -> None:
        """Show ``message`` (plain text, never markup)."""
        ...

    def record_actions(self, records: Sequence[ActionRecord]) -> None:
        """Add ``records`` to the action log (``L``)."""
        ...

    async def reread(self, pids: Sequence[int]) -> None:
        """Read these processes' rows again and show them (the values just changed)."""
        ...


# --- current values, read in a thread before a dialog opens -------------------------------------------


def describe_subjects(subjects: Sequence[Subject]) -> str:
    """Whom an action is for, as a dialog's subject line."""
    if len(subjects) == 1:
        s = subjects[0]
        if s.target.tgid is not None:
            return f"{s.target.label} only: {s.shown_cmdline}"
        return f"process {s.target.pid}: {s.shown_cmdline}"
    shown = ", ".join(s.label for s in subjects[:6])
    more = f" and {len(subjects) - 6} more" if len(subjects) > 6 else ""
    return f"{len(subjects)} tagged processes: {shown}{more}"


def current_value(fs: FS, pid: int, what: str, tgid: int | None = None) -> str:
    """The process's current ``what`` (nice, policy, affinity, ionice, oom) as the dialogs show it:
    ``mixed`` where its threads differ, ``exited`` when it is gone. With ``tgid``, ``pid`` is a thread of
    process ``tgid`` and the value is that thread's (the OOM score adjustment: its process's)."""
    if what == "oom":
        text = read_text(fs.proc(pid if tgid is None else tgid, "oom_score_adj"))
        return "exited" if text is None else text.strip()
    if tgid is not None:
        pid, only = tgid, pid
    else:
        only = None
    if what == "ionice":
        try:
            if only is not None:
                tids = [only]
            else:
                tids = sorted(int(n) for n in os.listdir(fs.proc(pid, "task")) if is_decimal(n))
            values = set()
            for tid in tids:
                try:
                    values.add(str(read_ionice(tid)))
                except psutil.NoSuchProcess:
                    continue
        except (OSError, psutil.Error):
            return "exited"
        if not values:
            return "exited"
        return MIXED if len(values) > 1 else values.pop()
    threads = thread_values(pid, fs, only)
    if threads is None:
        return "exited"
    if what == "nice":
        return format_value(threads.nice)
    if what == "affinity":
        return format_value(threads.affinity)
    policy, rtprio = threads.policy, threads.rt_priority
    if policy in ("SCHED_FIFO", "SCHED_RR") or policy == MIXED:
        return f"{policy} {format_value(rtprio)}"
    return format_value(policy)


def _current_line(fs: FS, subjects: Sequence[Subject], what: str, name: str) -> str:
    values = [current_value(fs, s.target.pid, what, s.target.tgid) for s in subjects]
    if len(subjects) == 1:
        return f"now: {name} {values[0]}" + ("  (the threads differ)" if values[0] == MIXED else "")
    return f"now: {name} " + ", ".join(f"{s.target.pid}: {v}" for s, v in zip(subjects, values, strict=True))


def _scheduling_of(pid: int) -> Scheduling | None:
    try:
        return read_scheduling(pid)
    except OSError:
        return None


def _affinity_union(fs: FS, subjects: Sequence[Subject]) -> frozenset[int]:
    cpus: set[int] = set()
    for s in subjects:
        t = s.target
        threads = thread_values(t.pid, fs) if t.tgid is None else thread_values(t.tgid, fs, t.pid)
        for t in threads.threads if threads is not None else ():
            cpus.update(t.affinity or ())
    return frozenset(cpus)


# --- applying -------------------------------------------------------------------------------------------

#: A tuning call for one subject (it raises :class:`TuningError` when refused).
Apply = Callable[[Subject], TuningResult]


def _apply_each(
    subjects: Sequence[Subject], apply: Apply
) -> list[tuple[Subject, TuningResult | None, str | None]]:
    outcomes: list[tuple[Subject, TuningResult | None, str | None]] = []
    for s in subjects:
        try:
            outcomes.append((s, apply(s), None))
        except TuningError as exc:
            outcomes.append((s, None, str(exc)))
    return outcomes


class TuningFlows:
    """The flows of one App's tuning keys. Each runs in a worker of the App, for the subjects captured when
    its key was pressed; ``log_actions`` is the ``--log-actions`` script applied commands are appended to."""

    def __init__(self, host: Host, fs: FS, log_actions: Path | None = None) -> None:
        self._host = host
        self._fs = fs
        self._log_actions = log_actions
        #: Held while an action applies: F7 pressed fast never interleaves two.
        self._lock = asyncio.Lock()

    async def _current(self, subjects: Sequence[Subject], what: str, name: str) -> str:
        return await asyncio.to_thread(_current_line, self._fs, subjects, what, name)

    async def _initial(self, subjects: Sequence[Subject], what: str) -> int | None:
        """The one subject's current ``what`` as a number to start a dialog's field from (``None``: several
        subjects, or its threads differ)."""
        if len(subjects) != 1:
            return None
        target = subjects[0].target
        now = await asyncio.to_thread(current_value, self._fs, target.pid, what, target.tgid)
        return int(now) if is_decimal(now.removeprefix("-")) else None

    async def nice_step(self, subjects: Sequence[Subject], step: int) -> None:
        """F7/F8: nice one step down or up, at once."""

        def apply(s: Subject) -> TuningResult:
            try:
                now = os.getpriority(os.PRIO_PROCESS, s.target.pid)
            except OSError:
                raise TuningError(f"process {s.target.pid} has exited; nothing was changed") from None
            return renice(s.target, now + step)

        await self.run("nice", subjects, apply)

    async def renice(self, subjects: Sequence[Subject]) -> None:
        """n: type a nice value."""
        current = await self._current(subjects, "nice", "nice")
        initial = await self._initial(subjects, "nice")
        nice = await self._host.ask(AskNice(describe_subjects(subjects), current, initial))
        if nice is not None:
            await self.run("nice", subjects, lambda s: renice(s.target, nice))

    async def oom_score_adj(self, subjects: Sequence[Subject]) -> None:
        """o: type an OOM score adjustment."""
        current = await self._current(subjects, "oom", "OOM score adjustment")
        initial = await self._initial(subjects, "oom")
        value = await self._host.ask(AskOomScore(describe_subjects(subjects), current, initial))
        if value is not None:
            await self.run("oom_score_adj", subjects, lambda s: set_oom_score_adj(s.target, value))

    async def scheduling(self, subjects: Sequence[Subject]) -> None:
        """Y: policy, RT priority, reset-on-fork, all threads."""
        current = await self._current(subjects, "policy", "policy")
        now = await asyncio.to_thread(_scheduling_of, subjects[0].target.pid) or Scheduling(os.SCHED_OTHER, 0)
        question = AskScheduling(
            describe_subjects(subjects), current, now.policy, now.priority, now.reset_on_fork
        )
        choice = await self._host.ask(question)
        if choice is None:
            return
        allowed, refused = await self._rt_refusals(subjects, lambda _: choice.policy, choice.priority)
        if allowed and not await self._confirm_rt(allowed, choice.policy, choice.priority):
            return

        def apply(s: Subject) -> TuningResult:
            return set_policy(
                s.target, choice.policy, choice.priority, choice.reset_on_fork, choice.all_threads
            )

        await self.run("policy", allowed, apply, refused)

    async def rt_priority(self, subjects: Sequence[Subject]) -> None:
        """R: the RT priority of FIFO/RR processes, each keeping its policy."""
        policies = await asyncio.to_thread(lambda: [_scheduling_of(s.target.pid) for s in subjects])
        realtime = [(s, p) for s, p in zip(subjects, policies, strict=True) if p and p.policy in RT_POLICIES]
        if not realtime:
            first = policies[0]
            name = "exited" if first is None else POLICY_NAMES.get(first.policy, str(first.policy))
            self._host.notify(
                f"{subjects[0].label} is {name}: R changes the priority of a SCHED_FIFO or SCHED_RR "
                "process; press Y to choose a policy.",
                title="Not real-time",
                severity="warning",
            )
            return
        chosen = [s for s, _ in realtime]
        schedules = {s.target.pid: p for s, p in realtime}
        current = await self._current(chosen, "policy", "policy")
        policy, priority = realtime[0][1].policy, realtime[0][1].priority
        value = await self._host.ask(AskRtPriority(describe_subjects(chosen), current, policy, priority))
        if value is None:
            return
        allowed, refused = await self._rt_refusals(chosen, lambda s: schedules[s.target.pid].policy, value)
        if allowed and not await self._confirm_rt(allowed, policy, value):
            return

        def apply(s: Subject) -> TuningResult:
            own = schedules[s.target.pid]
            # Only the main thread, whose policy was read: "all threads" would make every thread real-time,
            # including ones that were SCHED_OTHER.
            return set_policy(s.target, own.policy, value, own.reset_on_fork, all_threads=False)

        skipped = [(s, "not SCHED_FIFO/RR: left alone") for s in subjects if s not in chosen]
        await self.run("policy", allowed, apply, refused + skipped)

    async def affinity(self, subjects: Sequence[Subject], nodes: Sequence[tuple[int, Sequence[int]]]) -> None:
        """a: CPU affinity by NUMA node (``nodes``: each node's CPUs), list or mask."""
        current = await self._current(subjects, "affinity", "CPUs")
        online = await asyncio.to_thread(online_cpus, self._fs)
        if not online:
            self._host.notify("Cannot tell which CPUs are online.", severity="error")
            return
        first = subjects[0].target
        if first.tgid is None:
            initial = await asyncio.to_thread(thread_values, first.pid, self._fs)
        else:
            initial = await asyncio.to_thread(thread_values, first.tgid, self._fs, first.pid)
        cpus = None if initial is None or not isinstance(initial.affinity, frozenset) else initial.affinity
        groups = tuple((node, tuple(node_cpus)) for node, node_cpus in nodes)
        # "All threads or the main one" means nothing for a thread's row: not asked when every subject is one.
        question = AskAffinity(
            describe_subjects(subjects),
            current,
            online,
            groups,
            cpus,
            threads=any(s.target.tgid is None for s in subjects),
        )
        choice = await self._host.ask(question)
        if choice is not None:
            await self.run(
                "affinity", subjects, lambda s: set_affinity(s.target, choice.cpus, choice.all_threads)
            )

    async def irq_affinity(self, irq: str, name: str, nodes: Sequence[tuple[int, Sequence[int]]]) -> None:
        """a on the interrupts pane: IRQ ``irq``'s CPUs (``smp_affinity_list``), by NUMA node, list or mask.
        Refused up front when the kernel fixes its affinity; warns when irqbalance runs."""
        fs = self._fs
        state = await asyncio.to_thread(irq_state, fs, irq)
        if state.fixed is not None:
            self._host.notify(state.fixed, title="IRQ affinity", severity="error")
            return
        online = await asyncio.to_thread(online_cpus, fs)
        if not online:
            self._host.notify("Cannot tell which CPUs are online.", severity="error")
            return
        smp = state.affinity.smp_affinity_list
        groups = tuple((node, tuple(node_cpus)) for node, node_cpus in nodes)
        question = AskAffinity(
            f"IRQ {irq}: {name}" if name else f"IRQ {irq}",
            state.current(),
            online,
            groups,
            None if smp is None else frozenset(smp),
            threads=False,
        )
        choice = await self._host.ask(question)
        if choice is None:
            return
        cpus = choice.cpus
        await self.apply_setting(
            irq_setting(fs, irq),
            format_cpu_list(cpus),
            explain=affinity_error(irq, cpus),
            check=lambda result: effective_note(result, fs, irq, cpus),
        )
        warning = irqbalance_warning(state.irqbalance)
        if warning is not None:
            self._host.notify(warning, title="irqbalance", severity="warning", timeout=8)

    async def ionice(self, subjects: Sequence[Subject]) -> None:
        """i: IO class and level."""
        current = await self._current(subjects, "ionice", "IO priority")
        first = subjects[0].target
        now = (await asyncio.to_thread(current_value, self._fs, first.pid, "ionice", first.tgid)).split()
        ioclass = now[0] if now and now[0] in IO_CLASSES else "none"
        level = int(now[1]) if len(now) > 1 else None
        choice = await self._host.ask(AskIoPriority(describe_subjects(subjects), current, ioclass, level))
        if choice is not None:
            await self.run(
                "ionice",
                subjects,
                lambda s: set_ionice(s.target, choice.ioclass, choice.level, choice.all_threads),
            )

    async def send_signal(self, subjects: Sequence[Subject]) -> None:
        """k/F9: a signal from the common ones, TERM first."""
        described = describe_subjects(subjects)
        if len(subjects) == 1 and subjects[0].target.tgid is not None:
            # Not "thread N only": a signal goes to the whole process (send_signal signals the TGID).
            t = subjects[0].target
            described = f"process {t.tgid}, the whole process of thread {t.pid}: {subjects[0].shown_cmdline}"
        elif any(s.target.tgid is not None for s in subjects):
            described += "; a thread's row signals its whole process"
        name = await self._host.ask(AskSignal(described))
        if name is not None:
            await self.run("signal", subjects, lambda s: send_signal(s.target, name))

    async def _rt_refusals(
        self, subjects: Sequence[Subject], policy_of: Callable[[Subject], int], priority: int
    ) -> tuple[list[Subject], list[tuple[Subject, str]]]:
        """The subjects that may take ``policy_of(subject)`` at ``priority``, and those the kernel will
        refuse, each with why: read before the confirmation, so that nobody confirms what cannot happen."""

        def check() -> tuple[list[Subject], list[tuple[Subject, str]]]:
            allowed: list[Subject] = []
            refused: list[tuple[Subject, str]] = []
            for s in subjects:
                why = rt_refusal(s.target, policy_of(s), priority)
                if why is None:
                    allowed.append(s)
                else:
                    refused.append((s, why))
            return allowed, refused

        return await asyncio.to_thread(check)

    async def _confirm_rt(self, subjects: Sequence[Subject], policy: int, priority: int) -> bool:
        if policy not in RT_POLICIES:
            return True
        union = await asyncio.to_thread(_affinity_union, self._fs, subjects)
        online = await asyncio.to_thread(online_cpus, self._fs) or frozenset()
        reason = needs_rt_confirmation(policy, priority, union, online)
        if reason is None:
            return True
        question = f"Set {POLICY_NAMES[policy]} priority {priority} on {describe_subjects(subjects)}?"
        return bool(await self._host.ask(AskConfirm("Real-time scheduling", question, reason)))

    async def run(
        self,
        what: str,
        subjects: Sequence[Subject],
        apply: Apply,
        skipped: Sequence[tuple[Subject, str]] = (),
    ) -> list[ActionRecord]:
        """Apply to each subject in a thread, then record (the log, ``--log-actions``), re-read the rows and
        notify. ``skipped`` are subjects left alone, with why. Returns the records."""
        async with self._lock:
            outcomes = await asyncio.to_thread(_apply_each, subjects, apply)
            when = time.time()
            records = [ActionRecord.of(when, s, what, result, error) for s, result, error in outcomes]
            records += [ActionRecord.of(when, s, what, None, why) for s, why in skipped]
            await self._log(records)
            await self._host.reread([s.target.pid for s in subjects])
        self._report(what, records)
        return records

    async def apply_setting(
        self,
        setting: Setting,
        value: str,
        *,
        explain: Callable[[OSError], str | None] | None = None,
        check: Callable[[SettingResult], SettingResult] | None = None,
    ) -> ActionRecord:
        """Write ``value`` (validated by the caller) to ``setting`` in a thread, then record it (the log,
        ``--log-actions``) and notify. Returns the record; a refused change is recorded with its reason.
        ``check(result)``, run in the same thread after the write, may add to the result (a note on what
        else the kernel read back)."""
        async with self._lock:

            def apply() -> SettingResult:
                result = change_setting(setting, value, fs=self._fs, explain=explain)
                return result if check is None else check(result)

            try:
                result: SettingResult | None = await asyncio.to_thread(apply)
                error = None
            except TuningError as exc:
                result, error = None, str(exc)
            record = ActionRecord.of(time.time(), setting, setting.what, result, error)
            await self._log([record])
        self._report(setting.what, [record])
        return record

    async def edit_tunable(self, tunable: Tunable) -> ActionRecord | None:
        """Enter on the tunables pane: read the tunable, ask for its new value (typed and checked as it
        takes), write it and read it back. A tunable this kernel lacks, or that cannot be read, is said so
        and not asked for. Returns the record (``None``: nothing was asked or it was cancelled)."""
        now = await asyncio.to_thread(read_tunable, self._fs, tunable)
        if now.value is None:
            why = "cannot be read" if now.present else "is absent: this kernel has no such setting"
            self._host.notify(f"{now.path} {why}.", title=tunable.key, severity="warning")
            return None
        text = await self._host.ask(AskTunable(now))
        if text is None:
            return None
        try:
            # The dialog checked it against what it was shown: checked again, not trusted.
            value = parse_tunable(tunable, text, now.choices)
        except TuningError as exc:
            self._host.notify(str(exc), title=tunable.key, severity="error")
            return None
        return await self.apply_setting(tunable_setting(tunable, now.path), value)

    async def edit_device(self, device: str) -> ActionRecord | None:
        """e on the IO pane: choose one of the device's queue settings (scheduler, read_ahead_kb,
        nr_requests; a partition's are its disk's), then edit it as :meth:`edit_tunable` does."""
        disk = await asyncio.to_thread(queue_device, self._fs, device)
        values = await asyncio.to_thread(lambda: [read_tunable(self._fs, t) for t in device_tunables(disk)])
        if not any(v.present for v in values):
            self._host.notify(f"{device} has no queue settings.", title="Queue settings", severity="warning")
            return None
        choices = tuple(
            (
                v.key,
                f"{v.key.split('/', 1)[1]:<14} {v.value or 'absent':<12} {v.tunable.range_text(v.choices)}",
            )
            for v in values
        )
        whose = disk if disk == device else f"{disk} (the disk of {device})"
        key = await self._host.ask(AskPick(f"Queue setting of {whose} to change", choices))
        chosen = next((v for v in values if v.key == key), None)
        if chosen is None:
            return None
        return await self.edit_tunable(chosen.tunable)

    async def revert(self, record: ActionRecord) -> ActionRecord | None:
        """r in the log: set the old value of ``record`` again, as another action (recorded, scripted,
        reported), with the same checks as any; a value changed since by someone else asks first. Returns
        the new record, ``None`` when refused or cancelled (the refusal is notified with its reason)."""
        try:
            plan = await asyncio.to_thread(plan_revert, record)
        except TuningError as exc:
            self._host.notify(str(exc), title="Cannot undo", severity="error", timeout=10)
            return None
        if plan.changed is not None:
            question = AskConfirm("Undo: changed since", plan.question, plan.changed)
            if not await self._host.ask(question):
                return None
        if isinstance(plan, SettingRevert):
            return await self.apply_setting(plan.setting, plan.value)
        return await self._revert_process(plan)

    async def _revert_process(self, plan: ProcessRevert) -> ActionRecord | None:
        allowed: list[Subject] = [plan.subject]
        refused: list[tuple[Subject, str]] = []
        old = plan.old
        # Threads given their own policy back: the strongest real-time one among them is what is checked.
        realtime = [v for _, v in plan.threads if isinstance(v, Scheduling) and v.policy in RT_POLICIES]
        if realtime:
            old = max(realtime, key=lambda v: v.priority)
        if isinstance(old, Scheduling):
            # Back to a real-time policy: refused up front, or confirmed, as Y would.
            allowed, refused = await self._rt_refusals(allowed, lambda _: old.policy, old.priority)
            if allowed and not await self._confirm_rt(allowed, old.policy, old.priority):
                return None
        records = await self.run(plan.what, allowed, plan.apply, refused)
        return records[0]

    async def write_sysctl_conf(self, records: Sequence[ActionRecord]) -> Path | None:
        """w in the log: write the session's settings as a sysctl.d file to a path the user types (the
        field suggests one in the working directory, never under /etc). A path that cannot be written
        opens the dialog again with the reason; an existing file is replaced only when confirmed."""
        text = sysctl_conf(records)
        if text is None:
            self._host.notify(
                "No setting of the machine was changed in this session: there is nothing to write.",
                title="Nothing to keep",
                severity="warning",
            )
            return None
        kept = [line for line in text.splitlines() if line and not line.startswith("#")]
        subject = f"The session's sysctl changes in sysctl.d(5) format: {', '.join(kept) or 'none'}"
        typed, error = SUGGESTED_CONF, None
        while True:
            answer = await self._host.ask(AskPath("Write a sysctl.d file", subject, typed, error))
            if answer is None:
                return None
            typed = answer
            path = Path(answer).expanduser()
            try:
                try:
                    await asyncio.to_thread(write_conf, path, text)
                except FileExistsError:
                    question = AskConfirm(
                        "Replace the file?", f"Replace {escaped(answer)}?", "a file of that name exists"
                    )
                    if not await self._host.ask(question):
                        error = f"{escaped(answer)} exists: type another name, or confirm replacing it"
                        continue
                    await asyncio.to_thread(write_conf, path, text, replace=True)
            except OSError as exc:
                error = explain_write_error(path, exc)
                continue
            shown = escaped(os.path.abspath(path))
            self._host.notify(
                f"Wrote {shown}; apply it with: sysctl -p {shlex.quote(shown)}", title="Kept", timeout=10
            )
            return path

    async def _log(self, records: Sequence[ActionRecord]) -> None:
        """Add ``records`` to the action log and append them to the ``--log-actions`` script."""
        self._host.record_actions(records)
        path = self._log_actions
        if path is not None:
            try:
                await asyncio.to_thread(append_script, path, records)
            except OSError as exc:
                self._host.notify(f"Cannot append to {path}: {exc.strerror}", severity="error")

    def _report(self, what: str, records: Sequence[ActionRecord]) -> None:
        failed = [r for r in records if not r.ok]
        severity: Severity = (
            "information" if not failed else "error" if len(failed) == len(records) else "warning"
        )
        self._host.notify("\n".join(r.line() for r in records), title=what, severity=severity, timeout=8)
