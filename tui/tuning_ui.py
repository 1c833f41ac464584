"""The App's tuning actions: tagging, the dialogs' flows, applying off the UI thread, feedback and the log.

``TuningActions`` is a mixin of :class:`tui.app.PerftopApp`. An action works on the tagged processes, else
on the selected one; their identities ``(pid, start_time)`` are captured when the key is pressed, so a
process that exits (or whose PID is reused) while its dialog is open is refused by the tuning module, never
confused with another. Every syscall and ``/proc`` read runs in a thread (``asyncio.to_thread``); one lock
keeps two actions (F7 pressed fast) from interleaving. After an action the rows are re-read through the
sampler and shown at once, even while the display is frozen.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from probes.fs import read_text
from probes.snapshot import POLICY_NAMES, ProcessInfo, Snapshot
from tui.screens import PickerScreen, TextScreen
from tui.tuning import (
    IO_CLASSES,
    IO_CLASSES_WITH_LEVEL,
    MIXED,
    RT_POLICIES,
    Target,
    TuningError,
    TuningResult,
    format_value,
    needs_rt_confirmation,
    online_cpus,
    renice,
    send_signal,
    set_affinity,
    set_ionice,
    set_oom_score_adj,
    set_policy,
    thread_values,
    tuning_allowed,
)

if TYPE_CHECKING:
    from tui.app import PerftopApp
    from tui.dialogs import AffinityChoice, IoChoice, SchedulingChoice

# tui.dialogs (its Textual form widgets) is imported by each flow when its key is pressed: it costs
# ~15 ms that the first frame does not need.


@dataclass(frozen=True, slots=True)
class Subject:
    """A process an action is for: its identity and how to name it to the user."""

    target: Target
    comm: str
    cmdline: str

    @property
    def label(self) -> str:
        """``1234 (sleep)``."""
        return f"{self.target.pid} ({self.comm})"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one action did to one process: a result, or the error that refused it."""

    subject: Subject
    result: TuningResult | None
    error: str | None

    def line(self) -> str:
        """One line of the notification."""
        if self.result is not None:
            return self.result.describe()
        return f"{self.subject.label}: {self.error}"


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One entry of the action log (``L``): ``time`` is epoch seconds, ``result`` ``ok`` or the error."""

    time: float
    subject: Subject
    what: str
    old: str
    new: str
    command: str
    result: str


def read_only_reason(app: PerftopApp) -> str | None:
    """Why the App may not act (``--read-only``, or a procfs root that is not this machine's), or None."""
    why = tuning_allowed(app.sampler.fs)
    if why is None and app.options.read_only:
        why = "read-only: perftop was started with --read-only"
    return why


def _subject_of(p: ProcessInfo) -> Subject:
    return Subject(Target(p.pid, p.start_time), p.comm, p.cmdline or f"[{p.comm}]")


def _describe_subjects(subjects: Sequence[Subject]) -> str:
    if len(subjects) == 1:
        s = subjects[0]
        return f"process {s.target.pid}: {s.cmdline}"
    shown = ", ".join(s.label for s in subjects[:6])
    more = f" and {len(subjects) - 6} more" if len(subjects) > 6 else ""
    return f"{len(subjects)} tagged processes: {shown}{more}"


# --- current values, read in a thread when a dialog opens -------------------------------------------


def _io_of(tid: int) -> str:
    ioclass, level = psutil.Process(tid).ionice()
    name = IO_CLASSES[int(ioclass)]
    return f"{name} {level}" if name in IO_CLASSES_WITH_LEVEL else name


def current_value(pid: int, what: str) -> str:
    """The process's current ``what`` (nice, policy, affinity, ionice, oom) as the dialogs show it:
    ``mixed`` where its threads differ, ``exited`` when it is gone."""
    if what == "oom":
        text = read_text(f"/proc/{pid}/oom_score_adj")
        return "exited" if text is None else text.strip()
    if what == "ionice":
        try:
            tids = sorted(int(n) for n in os.listdir(f"/proc/{pid}/task") if n.isdigit())
            values = set()
            for tid in tids:
                try:
                    values.add(_io_of(tid))
                except psutil.NoSuchProcess:
                    continue
        except (OSError, psutil.Error):
            return "exited"
        if not values:
            return "exited"
        return MIXED if len(values) > 1 else values.pop()
    threads = thread_values(pid)
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


def _current_line(subjects: Sequence[Subject], what: str, name: str) -> str:
    values = [current_value(s.target.pid, what) for s in subjects]
    if len(subjects) == 1:
        return f"now: {name} {values[0]}" + ("  (the threads differ)" if values[0] == MIXED else "")
    return f"now: {name} " + ", ".join(f"{s.target.pid}: {v}" for s, v in zip(subjects, values, strict=True))


def _scheduling_of(pid: int) -> tuple[int, int, bool] | None:
    try:
        raw = os.sched_getscheduler(pid)
        priority = os.sched_getparam(pid).sched_priority
    except OSError:
        return None
    return raw & ~os.SCHED_RESET_ON_FORK, priority, bool(raw & os.SCHED_RESET_ON_FORK)


def _affinity_union(subjects: Sequence[Subject]) -> frozenset[int]:
    cpus: set[int] = set()
    for s in subjects:
        threads = thread_values(s.target.pid)
        for t in threads.threads if threads is not None else ():
            cpus.update(t.affinity or ())
    return frozenset(cpus)


def _apply_each(subjects: Sequence[Subject], apply: Callable[[Subject], TuningResult]) -> list[Outcome]:
    outcomes = []
    for s in subjects:
        try:
            outcomes.append(Outcome(s, apply(s), None))
        except TuningError as exc:
            outcomes.append(Outcome(s, None, str(exc)))
    return outcomes


SCRIPT_HEADER = (
    "#!/bin/sh\n"
    "# perftop action log: the commands perftop applied, each after its target's command line and\n"
    "# start time (clock ticks after boot). The PIDs are those of that boot.\n"
)


def append_script(path: Path, outcomes: Sequence[Outcome], when: float) -> None:
    """Append the applied commands of ``outcomes`` to the shell script ``path`` (header when new)."""
    applied = [o for o in outcomes if o.result is not None]
    if not applied:
        return
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    lines = []
    for o in applied:
        assert o.result is not None
        t = o.subject.target
        lines.append(f"# {stamp} pid {t.pid} start time {t.start_time}: {_one_line(o.subject.cmdline)}\n")
        lines.append(o.result.command + "\n")
    with open(path, "a", encoding="utf-8") as f:
        if f.tell() == 0:
            f.write(SCRIPT_HEADER)
        f.writelines(lines)


def _one_line(text: str) -> str:
    # A command line may hold newlines; inside a comment they would turn the rest into commands.
    return text.replace("\n", " ").replace("\r", " ")


class TuningActions:
    """The tuning keys of :class:`tui.app.PerftopApp` (a mixin; the App calls :meth:`_init_tuning`)."""

    def _init_tuning(self: PerftopApp) -> None:
        self.action_log: list[ActionRecord] = []
        self.read_only_reason = read_only_reason(self)
        self._tags: dict[int, Subject] = {}
        self._tuning_lock = asyncio.Lock()
        #: True from a dialog key until its flow ends, so dialogs never stack.
        self._dialog_pending = False

    # -- tagging ------------------------------------------------------------------------------------------

    def _sync_tags(self: PerftopApp) -> None:
        table = self.table
        table.tagged.clear()
        table.tagged.update(self._tags)
        table.refresh()

    def prune_tags(self: PerftopApp, snapshot: Snapshot) -> None:
        """Untag processes that exited (a PID now naming another process is not the one tagged)."""
        alive = {(p.pid, p.start_time) for p in snapshot.processes}
        gone = [pid for pid, s in self._tags.items() if (pid, s.target.start_time) not in alive]
        for pid in gone:
            del self._tags[pid]
        if gone:
            self._sync_tags()

    def _selected(self: PerftopApp) -> ProcessInfo | None:
        pid = self.table.selected_pid
        return next((p for p in self.table.rows() if p.pid == pid), None)

    def action_tag(self: PerftopApp) -> None:
        """Tag or untag the selected process, then select the next one (htop's space)."""
        proc = self._selected()
        if proc is None:
            return
        if proc.pid in self._tags:
            del self._tags[proc.pid]
        else:
            self._tags[proc.pid] = _subject_of(proc)
        self._sync_tags()
        self.table.action_cursor_down()

    def action_tag_tree(self: PerftopApp) -> None:
        """Tag the selected process and all its descendants (htop's c)."""
        proc = self._selected()
        if proc is None or self.snapshot is None:
            return
        children: dict[int, list[ProcessInfo]] = {}
        for p in self.snapshot.processes:
            if p.ppid is not None:
                children.setdefault(p.ppid, []).append(p)
        stack = [proc]
        seen: set[int] = set()
        while stack:
            p = stack.pop()
            if p.pid in seen:
                continue
            seen.add(p.pid)
            # Descend under tagged processes too: a tagged child may have untagged children.
            self._tags.setdefault(p.pid, _subject_of(p))
            stack.extend(children.get(p.pid, ()))
        self._sync_tags()

    def action_untag_all(self: PerftopApp) -> None:
        """Untag every process (htop's U)."""
        self._tags.clear()
        self._sync_tags()

    # -- the action log ----------------------------------------------------------------------------------

    def action_action_log(self: PerftopApp) -> None:
        """Show every action since start: time, target, old and new value, command, result."""
        lines = []
        for r in self.action_log:
            stamp = time.strftime("%H:%M:%S", time.localtime(r.time))
            lines.append(
                f"{stamp}  {r.subject.label}  {r.what}: {r.old} -> {r.new}\n"
                f"          {r.command}\n          {r.result}"
            )
        body = "\n".join(lines) or "No tuning action yet."
        if self.options.log_actions is not None:
            body += f"\n\nApplied commands are appended to {self.options.log_actions}."
        self.push_screen(TextScreen("Tuning actions since start", body))

    # -- starting an action ------------------------------------------------------------------------------

    def _subjects(self: PerftopApp) -> list[Subject] | None:
        """The tagged processes, else the selected one; None (with a notice) when none or not allowed."""
        if self._dialog_pending:
            return None  # a dialog is being prepared: one at a time
        if self.read_only_reason is not None:
            self.notify(self.read_only_reason, title="Read-only", severity="warning")
            return None
        if self._tags:
            return list(self._tags.values())
        proc = self._selected()
        if proc is None:
            self.notify("No process selected.", severity="warning")
            return None
        return [_subject_of(proc)]

    def _start(self: PerftopApp, flow: Callable[[list[Subject]], object], *, dialog: bool = True) -> None:
        subjects = self._subjects()
        if subjects is None:
            return
        if not dialog:
            self.run_worker(flow(subjects), group="tuning")  # type: ignore[arg-type]
            return

        async def guarded() -> None:
            # Current values are read in a thread before the dialog opens: until the flow ends, a second
            # key must not start a second dialog on top.
            self._dialog_pending = True
            try:
                await flow(subjects)  # type: ignore[misc]
            finally:
                self._dialog_pending = False

        self.run_worker(guarded(), group="tuning")

    def action_nice_step(self: PerftopApp, step: int) -> None:
        """F7/F8: nice one step down or up, at once."""

        async def flow(subjects: list[Subject]) -> None:
            def apply(s: Subject) -> TuningResult:
                try:
                    now = os.getpriority(os.PRIO_PROCESS, s.target.pid)
                except OSError:
                    raise TuningError(f"process {s.target.pid} has exited; nothing was changed") from None
                return renice(s.target, now + step)

            await self._run("nice", subjects, apply)

        self._start(flow, dialog=False)

    def action_renice(self: PerftopApp) -> None:
        """n: type a nice value."""

        async def flow(subjects: list[Subject]) -> None:
            from tui.dialogs import NiceDialog

            current = await asyncio.to_thread(_current_line, subjects, "nice", "nice")
            initial = None
            if len(subjects) == 1:
                now = await asyncio.to_thread(current_value, subjects[0].target.pid, "nice")
                initial = int(now) if now.lstrip("-").isdigit() else None
            nice = await self.push_screen_wait(NiceDialog(_describe_subjects(subjects), current, initial))
            if nice is not None:
                await self._run("nice", subjects, lambda s: renice(s.target, nice))

        self._start(flow)

    def action_oom_score_adj(self: PerftopApp) -> None:
        """o: type an OOM score adjustment."""

        async def flow(subjects: list[Subject]) -> None:
            from tui.dialogs import OomScoreDialog

            current = await asyncio.to_thread(_current_line, subjects, "oom", "OOM score adjustment")
            value = await self.push_screen_wait(OomScoreDialog(_describe_subjects(subjects), current))
            if value is not None:
                await self._run("oom_score_adj", subjects, lambda s: set_oom_score_adj(s.target, value))

        self._start(flow)

    def action_scheduling(self: PerftopApp) -> None:
        """Y: policy, RT priority, reset-on-fork, all threads."""

        async def flow(subjects: list[Subject]) -> None:
            from tui.dialogs import SchedulingDialog

            current = await asyncio.to_thread(_current_line, subjects, "policy", "policy")
            now = await asyncio.to_thread(_scheduling_of, subjects[0].target.pid)
            policy, priority, reset = now if now is not None else (os.SCHED_OTHER, 0, False)
            dialog = SchedulingDialog(_describe_subjects(subjects), current, policy, priority, reset)
            choice: SchedulingChoice | None = await self.push_screen_wait(dialog)
            if choice is None or not await self._confirm_rt(subjects, choice.policy, choice.priority):
                return

            def apply(s: Subject) -> TuningResult:
                return set_policy(
                    s.target, choice.policy, choice.priority, choice.reset_on_fork, choice.all_threads
                )

            await self._run("policy", subjects, apply)

        self._start(flow)

    def action_rt_priority(self: PerftopApp) -> None:
        """R: the RT priority of FIFO/RR processes, each keeping its policy."""

        async def flow(subjects: list[Subject]) -> None:
            from tui.dialogs import RtPriorityDialog

            policies = await asyncio.to_thread(lambda: [_scheduling_of(s.target.pid) for s in subjects])
            realtime = [(s, p) for s, p in zip(subjects, policies, strict=True) if p and p[0] in RT_POLICIES]
            if not realtime:
                first = policies[0]
                name = "exited" if first is None else POLICY_NAMES.get(first[0], str(first[0]))
                self.notify(
                    f"{subjects[0].label} is {name}: R changes the priority of a SCHED_FIFO or SCHED_RR "
                    "process; press Y to choose a policy.",
                    title="Not real-time",
                    severity="warning",
                )
                return
            chosen = [s for s, _ in realtime]
            schedules = {s.target.pid: p for s, p in realtime}
            current = await asyncio.to_thread(_current_line, chosen, "policy", "policy")
            policy, priority, _ = realtime[0][1]
            dialog = RtPriorityDialog(_describe_subjects(chosen), current, policy, priority)
            value = await self.push_screen_wait(dialog)
            if value is None or not await self._confirm_rt(chosen, policy, value):
                return

            def apply(s: Subject) -> TuningResult:
                own_policy, _, reset = schedules[s.target.pid]
                # Only the main thread, whose policy was read: "all threads" would make every thread
                # real-time, including ones that were SCHED_OTHER.
                return set_policy(s.target, own_policy, value, reset, all_threads=False)

            skipped = [s for s in subjects if s not in chosen]
            await self._run(
                "policy", chosen, apply, [Outcome(s, None, "not SCHED_FIFO/RR: left alone") for s in skipped]
            )

        self._start(flow)

    def action_affinity(self: PerftopApp) -> None:
        """a: CPU affinity by NUMA node, list or mask."""

        async def flow(subjects: list[Subject]) -> None:
            from tui.dialogs import AffinityDialog

            current = await asyncio.to_thread(_current_line, subjects, "affinity", "CPUs")
            online = await asyncio.to_thread(online_cpus)
            if not online:
                self.notify("Cannot tell which CPUs are online.", severity="error")
                return
            nodes = (
                [] if self.snapshot is None else [(n.node, n.cpus or ()) for n in self.snapshot.numa.nodes]
            )
            initial = await asyncio.to_thread(lambda: thread_values(subjects[0].target.pid))
            cpus = (
                None if initial is None or not isinstance(initial.affinity, frozenset) else initial.affinity
            )
            dialog = AffinityDialog(_describe_subjects(subjects), current, online, nodes, cpus)
            choice: AffinityChoice | None = await self.push_screen_wait(dialog)
            if choice is not None:
                await self._run(
                    "affinity", subjects, lambda s: set_affinity(s.target, choice.cpus, choice.all_threads)
                )

        self._start(flow)

    def action_ionice(self: PerftopApp) -> None:
        """i: IO class and level."""

        async def flow(subjects: list[Subject]) -> None:
            from tui.dialogs import IoPriorityDialog

            current = await asyncio.to_thread(_current_line, subjects, "ionice", "IO priority")
            now = (await asyncio.to_thread(current_value, subjects[0].target.pid, "ionice")).split()
            ioclass = now[0] if now and now[0] in IO_CLASSES else "none"
            level = int(now[1]) if len(now) > 1 else None
            dialog = IoPriorityDialog(_describe_subjects(subjects), current, ioclass, level)
            choice: IoChoice | None = await self.push_screen_wait(dialog)
            if choice is not None:
                await self._run(
                    "ionice",
                    subjects,
                    lambda s: set_ionice(s.target, choice.ioclass, choice.level, choice.all_threads),
                )

        self._start(flow)

    def action_send_signal(self: PerftopApp) -> None:
        """k/F9: a signal from the common ones, TERM first."""

        async def flow(subjects: list[Subject]) -> None:
            from tui.dialogs import signal_choices

            title = "Send a signal to " + _describe_subjects(subjects)
            name = await self.push_screen_wait(PickerScreen(title, signal_choices(), "TERM"))
            if name is not None:
                await self._run("signal", subjects, lambda s: send_signal(s.target, name))

        self._start(flow)

    # -- applying ---------------------------------------------------------------------------------------

    async def _confirm_rt(self: PerftopApp, subjects: Sequence[Subject], policy: int, priority: int) -> bool:
        if policy not in RT_POLICIES:
            return True
        from tui.dialogs import ConfirmDialog

        union = await asyncio.to_thread(_affinity_union, subjects)
        online = await asyncio.to_thread(online_cpus) or frozenset()
        reason = needs_rt_confirmation(policy, priority, union, online)
        if reason is None:
            return True
        question = f"Set {POLICY_NAMES[policy]} priority {priority} on {_describe_subjects(subjects)}?"
        return bool(await self.push_screen_wait(ConfirmDialog("Real-time scheduling", question, reason)))

    async def _run(
        self: PerftopApp,
        what: str,
        subjects: Sequence[Subject],
        apply: Callable[[Subject], TuningResult],
        skipped: Sequence[Outcome] = (),
    ) -> list[Outcome]:
        """Apply to each subject in a thread, then log, re-read the rows and notify."""
        async with self._tuning_lock:
            outcomes = await asyncio.to_thread(_apply_each, subjects, apply)
            outcomes += skipped
            when = time.time()
            for o in outcomes:
                r = o.result
                self.action_log.append(
                    ActionRecord(
                        when,
                        o.subject,
                        what,
                        "-" if r is None else (MIXED if r.mixed_before else format_value(r.old)),
                        "-" if r is None else format_value(r.new) + (f" ({MIXED})" if r.mixed_after else ""),
                        "-" if r is None else r.command,
                        "ok"
                        if r is not None and r.ok
                        else (o.error or "; ".join(f.message for f in r.failed)),
                    )
                )
            path = self.options.log_actions
            if path is not None:
                try:
                    await asyncio.to_thread(append_script, path, outcomes, when)
                except OSError as exc:
                    self.notify(f"Cannot append to {path}: {exc.strerror}", severity="error")
            rows = await asyncio.to_thread(self.sampler.reread, [s.target.pid for s in subjects])
            self._show_reread(rows)
        failed = [o for o in outcomes if o.result is None or not o.result.ok]
        severity = "information" if not failed else "error" if len(failed) == len(outcomes) else "warning"
        self.notify("\n".join(o.line() for o in outcomes), title=what, severity=severity, timeout=8)
        return outcomes

    def _show_reread(self: PerftopApp, rows: dict[int, ProcessInfo]) -> None:
        if not rows:
            return
        self.table.replace_processes(list(rows.values()))
        snapshot = self.snapshot
        if snapshot is not None:
            # So unfreezing (Z) shows the new values, not the sample taken before the action.
            procs = tuple(
                rows[p.pid] if p.pid in rows and rows[p.pid].start_time == p.start_time else p
                for p in snapshot.processes
            )
            self.snapshot = replace(snapshot, processes=procs)
