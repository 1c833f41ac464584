"""The App's tuning keys: the tags they act on, the action log, and where each key's flow starts.

``TuningActions`` is a mixin of :class:`~perftop.tui.app.PerftopApp`. An action works on the tagged processes,
else on the selected one; their identities ``(pid, start_time)`` are captured when the key is pressed, so a
process that exits (or whose PID is reused) while its dialog is open is refused by the tuning module, never
confused with another. What a key does next (read the current values, ask, apply, report) is its flow in
:mod:`perftop.tui.dialogs`.

This module is imported before the first frame, which needs none of tuning: it imports neither the tuning
module, psutil, nor the dialogs (~30 ms together). Each key imports what it needs when first pressed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from perftop.widgets.safe_text import escaped

if TYPE_CHECKING:
    from perftop.probes.snapshot import ProcessInfo, Snapshot
    from perftop.tui.app import PerftopApp
    from perftop.tui.tuning import Target

#: A key's flow (in :mod:`perftop.tui.dialogs`): ``flow(app, subjects, *args)``.
Flow = Callable[..., Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Subject:
    """A process an action is for: its identity and how to name it to the user."""

    target: Target
    comm: str
    cmdline: str

    @property
    def label(self) -> str:
        """``1234 (sleep)``, the name's control characters spelled out."""
        return f"{self.target.pid} ({escaped(self.comm)})"

    @property
    def shown_cmdline(self) -> str:
        """The command line on one line, its control characters spelled out."""
        return escaped(self.cmdline)


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


def subject_of(p: ProcessInfo) -> Subject:
    """The subject of an action on ``p``, its identity taken now."""
    from perftop.tui.tuning import Target

    return Subject(Target(p.pid, p.start_time), p.comm, p.cmdline or f"[{p.comm}]")


class TuningActions:
    """The tuning keys of :class:`~perftop.tui.app.PerftopApp` (a mixin; the App calls
    :meth:`_init_tuning`)."""

    def _init_tuning(self: PerftopApp) -> None:
        self.action_log: list[ActionRecord] = []
        self._tags: dict[int, Subject] = {}
        #: Held while an action applies (in :func:`perftop.tui.dialogs.run_action`): F7 pressed fast never
        #: interleaves two.
        self._tuning_lock = asyncio.Lock()
        #: True from a dialog key until its flow ends, so dialogs never stack.
        self._dialog_pending = False

    @property
    def read_only_reason(self: PerftopApp) -> str | None:
        """Why the App may not act (``--read-only``, or a procfs root that is not this machine's), or None."""
        from perftop.tui.tuning import tuning_allowed

        why = tuning_allowed(self.sampler.fs)
        if why is None and self.options.read_only:
            why = "read-only: perftop was started with --read-only"
        return why

    # -- tagging ------------------------------------------------------------------------------------------

    def _sync_tags(self: PerftopApp) -> None:
        table = self.table
        table.tagged.clear()
        table.tagged.update(self._tags)
        table.refresh()

    def prune_tags(self: PerftopApp, snapshot: Snapshot) -> None:
        """Untag processes that exited (a PID now naming another process is not the one tagged)."""
        if not self._tags:
            return
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
            self._tags[proc.pid] = subject_of(proc)
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
            if p.pid not in self._tags:
                self._tags[p.pid] = subject_of(p)
            stack.extend(children.get(p.pid, ()))
        self._sync_tags()

    def action_untag_all(self: PerftopApp) -> None:
        """Untag every process (htop's U)."""
        self._tags.clear()
        self._sync_tags()

    # -- the action log ----------------------------------------------------------------------------------

    def action_action_log(self: PerftopApp) -> None:
        """Show every action since start: time, target, old and new value, command, result."""
        from perftop.tui.screens import TextScreen

        lines = []
        for r in self.action_log:
            stamp = time.strftime("%H:%M:%S", time.localtime(r.time))
            lines.append(
                f"{stamp}  {r.subject.label}  {r.what}: {r.old} -> {r.new}\n"
                f"          {escaped(r.command)}\n          {escaped(r.result)}"
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
        why = self.read_only_reason
        if why is not None:
            self.notify(why, title="Read-only", severity="warning")
            return None
        if self._tags:
            return list(self._tags.values())
        proc = self._selected()
        if proc is None:
            self.notify("No process selected.", severity="warning")
            return None
        return [subject_of(proc)]

    def _start(self: PerftopApp, flow: Flow, *args: object, dialog: bool = True) -> None:
        """Run ``flow(app, subjects, *args)`` in a worker for the subjects of this key press."""
        subjects = self._subjects()
        if subjects is None:
            return
        if not dialog:
            self.run_worker(flow(self, subjects, *args), group="tuning")
            return

        async def guarded() -> None:
            # Current values are read in a thread before the dialog opens: until the flow ends, a second
            # key must not start a second dialog on top.
            self._dialog_pending = True
            try:
                await flow(self, subjects, *args)
            finally:
                self._dialog_pending = False

        self.run_worker(guarded(), group="tuning")

    # Each key imports its flow (perftop.tui.dialogs, and with it the tuning module and psutil) when pressed.

    def action_nice_step(self: PerftopApp, step: int) -> None:
        """F7/F8: nice one step down or up, at once."""
        from perftop.tui.dialogs import nice_step_flow

        self._start(nice_step_flow, step, dialog=False)

    def action_renice(self: PerftopApp) -> None:
        """n: type a nice value."""
        from perftop.tui.dialogs import renice_flow

        self._start(renice_flow)

    def action_oom_score_adj(self: PerftopApp) -> None:
        """o: type an OOM score adjustment."""
        from perftop.tui.dialogs import oom_score_adj_flow

        self._start(oom_score_adj_flow)

    def action_scheduling(self: PerftopApp) -> None:
        """Y: policy, RT priority, reset-on-fork, all threads."""
        from perftop.tui.dialogs import scheduling_flow

        self._start(scheduling_flow)

    def action_rt_priority(self: PerftopApp) -> None:
        """R: the RT priority of FIFO/RR processes, each keeping its policy."""
        from perftop.tui.dialogs import rt_priority_flow

        self._start(rt_priority_flow)

    def action_affinity(self: PerftopApp) -> None:
        """a: CPU affinity by NUMA node, list or mask."""
        from perftop.tui.dialogs import affinity_flow

        self._start(affinity_flow)

    def action_ionice(self: PerftopApp) -> None:
        """i: IO class and level."""
        from perftop.tui.dialogs import ionice_flow

        self._start(ionice_flow)

    def action_send_signal(self: PerftopApp) -> None:
        """k/F9: a signal from the common ones, TERM first."""
        from perftop.tui.dialogs import send_signal_flow

        self._start(send_signal_flow)
