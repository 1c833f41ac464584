"""The App's tuning keys: the tags they act on, the action log, and the host their flows run in.

:class:`TuningActions` is the base of :class:`~perftop.tui.app.PerftopApp` that holds its tuning keys. An
action works on the tagged processes, else on the selected one; their identities ``(pid, start_time)`` are
captured when the key is pressed, so a process that exits (or whose PID is reused) while its dialog is open
is refused by the tuning module, never confused with another. What a key does next (read the current
values, ask, apply, report) is its flow in :mod:`perftop.tui.tuning_flows`, which reaches the App only
through the :class:`~perftop.tui.tuning_flows.Host` methods here: a question is answered by the dialog
:func:`perftop.tui.dialogs.dialog_for` gives for it.

Layers: the App builds on this module; this one on the dialogs and screens, the flows, the action records
and the tuning module, and never imports the App. It is imported before the first frame, which needs none
of tuning: it loads neither the tuning module, psutil, the flows nor the dialogs (a noticeable part of
the start-up together); each loads on the first tuning key that needs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from textual.app import App

if TYPE_CHECKING:
    from perftop.probes.sampler import Sampler
    from perftop.probes.snapshot import ProcessInfo, Snapshot
    from perftop.tui.action_records import ActionRecord, Subject
    from perftop.tui.compare import RecentSamples, SampleSource
    from perftop.tui.comparison_screen import ComparisonScreen
    from perftop.tui.tuning_flows import Question, TuningFlows
    from perftop.widgets.process_table import ProcessTable
    from perftop.widgets.tunables_pane import TunablesPane

_T = TypeVar("_T")

#: A key's flow: a method of :class:`~perftop.tui.tuning_flows.TuningFlows` bound to its arguments but the
#: subjects.
Flow = Callable[["TuningFlows", list["Subject"]], Coroutine[Any, Any, None]]
#: A flow with nothing captured from the table: one that changes a setting of the machine.
SystemFlow = Callable[["TuningFlows"], Coroutine[Any, Any, None]]


async def _discard(flow: Coroutine[Any, Any, object]) -> None:
    """Await ``flow`` for its effects, its result unused (a worker's flow returns None)."""
    await flow


class TuningOptions(Protocol):
    """The App's options the tuning keys read."""

    @property
    def read_only(self) -> bool: ...

    @property
    def log_actions(self) -> Path | None: ...


class TuningActions(App[None]):
    """The tuning keys of :class:`~perftop.tui.app.PerftopApp` (its base; the App calls
    :meth:`_init_tuning`), and the :class:`~perftop.tui.tuning_flows.Host` their flows run in."""

    #: The action log's heading (a replay's names the recording's actions).
    ACTION_LOG_TITLE = "Tuning actions since start"

    # What the App provides.
    table: ProcessTable
    snapshot: Snapshot | None
    sampler: Sampler
    options: TuningOptions
    recent_samples: RecentSamples

    def _init_tuning(self) -> None:
        self.action_log: list[ActionRecord] = []
        self._tags: dict[int, Subject] = {}
        #: True from a dialog key until its flow ends, so dialogs never stack.
        self._dialog_pending = False
        #: True from a dialog key until its dialog is on screen, and again between its dialogs and until its
        #: flow ends: the keys typed meanwhile (in one burst with the key, or a macro) are the dialog's, and
        #: wait for it rather than reach the table behind it.
        self.awaiting_dialog = False
        #: The process of the detail screen while it is open: the tuning keys act on it alone.
        self.detail_subject: Subject | None = None
        #: Made on the first tuning key (it loads the tuning module and psutil).
        self._flows: TuningFlows | None = None
        #: The samples the before/after comparisons read: live the App's recent ones (replay sets its own).
        self.comparison_source: SampleSource = self.recent_samples
        #: The comparison screen while it is open: its figures are computed again at each sample.
        self.comparison_screen: ComparisonScreen | None = None

    @property
    def read_only_reason(self) -> str | None:
        """Why the App may not act (``--read-only``, or a procfs root that is not this machine's), or None."""
        from perftop.tui.tuning import tuning_allowed

        why = tuning_allowed(self.sampler.fs)
        if why is None and self.options.read_only:
            why = "read-only: perftop was started with --read-only"
        return why

    # -- tagging ------------------------------------------------------------------------------------------

    def _sync_tags(self) -> None:
        table = self.table
        table.tagged.clear()
        table.tagged.update(self._tags)
        table.refresh()

    def prune_tags(self, snapshot: Snapshot) -> None:
        """Untag processes that exited (a PID now naming another process is not the one tagged)."""
        if not self._tags:
            return
        alive = {(p.pid, p.start_time) for p in snapshot.processes}
        # A tagged thread row lives as long as its thread (while threads are read: H).
        alive.update((t.pid, t.start_time) for t in snapshot.thread_rows)
        gone = [pid for pid, s in self._tags.items() if (pid, s.target.start_time) not in alive]
        for pid in gone:
            del self._tags[pid]
        if gone:
            self._sync_tags()

    def _selected(self) -> ProcessInfo | None:
        pid = self.table.selected_pid
        return next((p for p in self.table.rows() if p.pid == pid), None)

    def action_tag(self) -> None:
        """Tag or untag the selected process, then select the next one (htop's space)."""
        from perftop.tui.action_records import subject_of

        proc = self._selected()
        if proc is None:
            return
        if proc.pid in self._tags:
            del self._tags[proc.pid]
        else:
            self._tags[proc.pid] = subject_of(proc)
        self._sync_tags()
        self.table.action_cursor_down()

    def action_tag_tree(self) -> None:
        """Tag the selected process and all its descendants (htop's c)."""
        from perftop.tui.action_records import subject_of

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

    def action_untag_all(self) -> None:
        """Untag every process (htop's U)."""
        self._tags.clear()
        self._sync_tags()

    # -- the action log ----------------------------------------------------------------------------------

    def action_action_log(self) -> None:
        """Show every action since start, oldest first, opened at the newest: time, target, old and new
        value, command, result, undo command; ``r`` undoes the selected one, ``w`` keeps the session's
        settings in a sysctl.d file."""
        from perftop.tui.action_log import ActionLogScreen

        note = self._action_log_note()
        # The log says all that the notifications said, and they would cover its newest lines.
        self.clear_notifications()
        screen = ActionLogScreen(
            self.action_log,
            on_revert=self.revert_action,
            on_write=self.write_sysctl_conf,
            on_compare=self.open_comparison,
            note=note,
            title=self.ACTION_LOG_TITLE,
        )
        self.push_screen(screen)

    def _action_log_note(self) -> str:
        """The action log's last line: where ``--log-actions`` appends (a replay says what it lists)."""
        if self.options.log_actions is not None:
            return f"Applied commands and their undo are appended to {self.options.log_actions}."
        return ""

    def open_comparison(self, record: ActionRecord) -> None:
        """The before/after comparison of ``record``, from :attr:`comparison_source` (live: the App's
        recent samples; in replay: the recording); it is computed again as samples arrive."""
        from perftop.tui.comparison_screen import ComparisonScreen

        screen = ComparisonScreen(self.comparison_source, record)
        self.comparison_screen = screen

        def closed(_result: None) -> None:
            if self.comparison_screen is screen:
                self.comparison_screen = None

        self.push_screen(screen, closed)

    def revert_action(self, record: ActionRecord) -> None:
        """Undo ``record``: its old value applied as another action, through the flows (refused with a notice
        when perftop is read-only or a dialog is pending)."""
        self.start_system(lambda flows: _discard(flows.revert(record)))

    def write_sysctl_conf(self) -> None:
        """Ask for a path and write the session's settings there as a sysctl.d file (allowed read-only:
        it changes nothing on the machine)."""
        if self._dialog_pending:
            return
        records = list(self.action_log)
        self._run_flow(lambda flows: _discard(flows.write_sysctl_conf(records)), dialog=True)

    # -- the host of the flows ---------------------------------------------------------------------------

    async def ask(self, question: Question[_T]) -> _T | None:
        """Open the dialog that answers ``question`` and wait for its answer (``None``: cancelled)."""
        from perftop.tui.dialogs import dialog_for

        dismissed = self.push_screen(dialog_for(question), wait_for_dismiss=True)
        self.call_after_refresh(self._await_dialog, False)  # on screen, with its focus: keys go on to it
        try:
            answer: _T | None = await dismissed
        finally:
            self.awaiting_dialog = True  # keys wait again, for the flow's next dialog or its end
        return answer

    def _await_dialog(self, waiting: bool) -> None:
        self.awaiting_dialog = waiting
        if not waiting:
            self.dialog_ready()

    def dialog_ready(self) -> None:
        """The keys that waited for a dialog may go on (the App hands them out)."""

    def record_actions(self, records: Sequence[ActionRecord]) -> None:
        """Add ``records`` to the action log (``L``), and to its screen when it is open."""
        from perftop.tui.action_log import ActionLogScreen

        self.action_log.extend(records)
        for screen in self.screen_stack:
            if isinstance(screen, ActionLogScreen):
                screen.add_records(records)

    async def reread(self, pids: Sequence[int]) -> None:
        """Read the rows of ``pids`` again and show them at once, before the next sample."""
        rows = await asyncio.to_thread(self.sampler.reread, pids)
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

    # -- starting an action ------------------------------------------------------------------------------

    def _subjects(self) -> list[Subject] | None:
        """The detail screen's process while it is open, else the tagged processes, else the selected one;
        None (with a notice) when none or not allowed."""
        from perftop.tui.action_records import subject_of

        if self._dialog_pending:
            return None  # a dialog is being prepared: one at a time
        why = self.read_only_reason
        if why is not None:
            self.notify(why, title="Read-only", severity="warning")
            return None
        if self.detail_subject is not None:
            # Gone or not: the tuning module refuses a process that exited, with its reason.
            return [self.detail_subject]
        if self._tags:
            return list(self._tags.values())
        lost = self.table.lost_choice
        if lost is not None:
            # The process under the cursor took the chosen one's row: nobody chose it.
            self.notify(
                f"Process {lost}, the one you chose, is no longer in the table (it exited, or a filter "
                "hides it): choose a process (arrows, a click, / or \\) first.",
                title="No process chosen",
                severity="warning",
            )
            return None
        proc = self._selected()
        if proc is None:
            self.notify("No process selected.", severity="warning")
            return None
        return [subject_of(proc)]

    def _start(self, flow: Flow, *, dialog: bool = True) -> None:
        """Run ``flow(flows, subjects)`` in a worker for the subjects of this key press."""
        subjects = self._subjects()
        if subjects is None:
            return
        self._run_flow(lambda flows: flow(flows, subjects), dialog=dialog)

    def start_system(self, flow: SystemFlow, *, dialog: bool = True) -> None:
        """Run ``flow(flows)``, which changes a setting of the machine (a tunable, a device's queue, an IRQ's
        affinity), in a worker; refused with a notice when perftop is read-only or a dialog is pending."""
        from perftop.tui.system_tuning import settings_allowed

        if self._dialog_pending:
            return
        why = settings_allowed(self.sampler.fs)
        if why is None and self.options.read_only:
            why = "read-only: perftop was started with --read-only"
        if why is not None:
            self.notify(why, title="Read-only", severity="warning")
            return

        async def then_reread(flows: TuningFlows) -> None:
            try:
                await flow(flows)
            finally:
                # The sampler caches some settings for seconds, and the pane on screen may show them: both
                # read them again, so the change shows at once.
                self.sampler.settings_changed()
                await self.settings_changed()

        self._run_flow(then_reread, dialog=dialog)

    def _run_flow(self, flow: SystemFlow, *, dialog: bool) -> None:
        if self._flows is None:
            from perftop.tui.tuning_flows import TuningFlows

            self._flows = TuningFlows(self, self.sampler.fs, self.options.log_actions)
        flows = self._flows
        if not dialog:
            self.run_worker(flow(flows), group="tuning")
            return

        async def guarded() -> None:
            # Current values are read in a thread before the dialog opens: until the flow ends, a second
            # key must not start a second dialog on top.
            self._dialog_pending = True
            try:
                await flow(flows)
            finally:
                self._dialog_pending = False
                self._await_dialog(False)

        self.awaiting_dialog = True  # from this key on, not once the worker starts
        self.run_worker(guarded(), group="tuning")

    async def settings_changed(self) -> None:
        """A setting of the machine was written: what shows settings reads them again (the App's panes)."""

    def on_tunables_pane_edit_requested(self, message: TunablesPane.EditRequested) -> None:
        """Enter on the tunables pane: change the tunable under the cursor."""
        message.stop()
        tunable = message.current.tunable

        self.start_system(lambda flows: _discard(flows.edit_tunable(tunable)))

    def action_nice_step(self, step: int) -> None:
        """F7/F8: nice one step down or up, at once."""
        self._start(lambda flows, subjects: flows.nice_step(subjects, step), dialog=False)

    def action_renice(self) -> None:
        """n: type a nice value."""
        self._start(lambda flows, subjects: flows.renice(subjects))

    def action_oom_score_adj(self) -> None:
        """o: type an OOM score adjustment."""
        self._start(lambda flows, subjects: flows.oom_score_adj(subjects))

    def action_scheduling(self) -> None:
        """Y: policy, RT priority, reset-on-fork, all threads."""
        self._start(lambda flows, subjects: flows.scheduling(subjects))

    def action_rt_priority(self) -> None:
        """R: the RT priority of FIFO/RR processes, each keeping its policy."""
        self._start(lambda flows, subjects: flows.rt_priority(subjects))

    def action_affinity(self) -> None:
        """a: CPU affinity by NUMA node, list or mask."""
        nodes = [] if self.snapshot is None else [(n.node, n.cpus or ()) for n in self.snapshot.numa.nodes]
        self._start(lambda flows, subjects: flows.affinity(subjects, nodes))

    def action_ionice(self) -> None:
        """i: IO class and level."""
        self._start(lambda flows, subjects: flows.ionice(subjects))

    def action_send_signal(self) -> None:
        """k/F9: a signal from the common ones, TERM first."""
        self._start(lambda flows, subjects: flows.send_signal(subjects))
