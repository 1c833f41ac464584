"""The perftop App: wires the sampler to the panes of the registry, owns the bindings and the refresh loop.

Layers: the command line starts the App; the App builds on its key table and its tuning keys
(:mod:`perftop.tui.bindings`, :mod:`perftop.tui.tuning_ui`), the pane registry (:mod:`perftop.tui.panes`),
the screens and the sampling thread, and never imports the command line.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.widget import AwaitMount, Widget
from textual.widgets import ContentSwitcher, Input, Static

from perftop.probes.sampler import NUMA_MAPS_SECONDS, Sampler
from perftop.probes.snapshot import Snapshot, ThreadInfo
from perftop.tui import input_driver
from perftop.tui.bindings import (
    APP_KEYS,
    COMPARISON_KEYS,
    INSPECT_KEYS,
    LOG_KEYS,
    REPLAY_CHANGED_KEYS,
    REPLAY_KEYS,
    TABLE_KEYS,
    TUNING_KEYS,
    app_bindings,
    app_keys,
)
from perftop.tui.compare import MAX_WINDOW_S, RecentSamples, applied_between, recent_targets
from perftop.tui.inspect_ui import InspectActions
from perftop.tui.panes import PANES, Pane
from perftop.tui.sampling import SamplingThread
from perftop.tui.tuning_ui import TuningActions
from perftop.widgets import process_columns, textual_fence
from perftop.widgets.changed_cells import ChangedCells
from perftop.widgets.colours import ThemeColours
from perftop.widgets.process_table import ProcessTable
from perftop.widgets.safe_text import escaped, escaped_lines

if TYPE_CHECKING:
    from perftop.tui.action_records import ActionRecord
    from perftop.tui.detail_screen import DetailScreen
    from perftop.tui.recorder_loop import LiveRecording

#: The refresh intervals ``+`` and ``-`` step through, in seconds (btop's keys).
INTERVALS: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
#: Seconds to "sample now" through the timer (soon, not at once: after the key that asked is handled).
SOON = 0.01
#: Low-bandwidth mode: refreshes between two sorts of the process table (values change every refresh).
LOW_BANDWIDTH_SORT_EVERY = 5
#: Action names of APP_KEYS, disabled while a modal screen is open.
APP_ACTIONS = frozenset(k.action.split("(", 1)[0] for k in APP_KEYS)
#: Action names of the tuning keys that act on the detail screen's process while it is open (tagging and
#: untagging stay with the table).
DETAIL_ACTIONS = frozenset(
    k.action.split("(", 1)[0]
    for k in (*INSPECT_KEYS, *TUNING_KEYS)
    if not k.action.startswith(("tag", "untag", "follow"))
)
#: Rows above and below the screen whose status is read too, so a short scroll shows no gaps.
STATUS_MARGIN_ROWS = 10


@dataclass(frozen=True, slots=True)
class AppOptions:
    """What the command line decided. ``autorefresh=False`` leaves sampling to the caller (tests)."""

    interval: float = 1.0
    pids: tuple[int, ...] | None = None
    user: str | None = None
    sort: str | None = None
    read_only: bool = False
    #: ``--log-actions``: the shell script each applied tuning command is appended to.
    log_actions: Path | None = None
    autorefresh: bool = True
    #: ``--low-bandwidth``: no history graph on the overview pane (``b`` toggles it).
    low_bandwidth: bool = False
    #: ``--tree``: start in the tree view (``t`` toggles it).
    tree: bool = False
    #: ``--threads``: start with threads shown under their process (``H`` toggles it).
    threads: bool = False
    #: The first rates rest on a baseline this short, so real data shows fast (cold start).
    first_delay: float = 0.2
    #: ``--record``: every sample is also written there, with the actions applied since the last one.
    recording: LiveRecording | None = None


class PerftopApp(textual_fence.KeysInOrder, TuningActions, InspectActions, ThemeColours, App[None]):
    """htop-like overview of CPUs and processes, and the other panes of the registry."""

    # Absolute, so a subclass (with other panes) in another folder finds it too.
    CSS_PATH = Path(__file__).with_name("perftop.tcss")
    TITLE = "perftop"
    #: The panes, from the registry (a subclass with other panes sets ``BINDINGS = app_bindings(PANES)``).
    PANES: ClassVar[tuple[Pane[Any], ...]] = PANES
    BINDINGS = app_bindings(PANES)

    def __init__(
        self, sampler: Sampler, options: AppOptions | None = None, snapshot: Snapshot | None = None
    ) -> None:
        """``snapshot``: a sample with rates to show on the first frame (the CLI takes it while Textual
        starts); without one the App's first refresh samples."""
        # Before Textual's own __init__, which picks the driver: the quiet one comes with the fence.
        renders_changes = textual_fence.install()
        super().__init__()
        self._first_snapshot = snapshot
        self.sampler = sampler
        self.options = options or AppOptions()
        self.interval = self.options.interval
        self.frozen = False
        self.snapshot: Snapshot | None = None
        #: The thread taking the samples (``autorefresh``), and what it is to read at its next sample
        #: (``Sampler.sample``'s arguments), kept current by the event loop as the view changes.
        self._sampling: SamplingThread[Snapshot] | None = None
        self._request: dict[str, object] = {}
        self._selected_initial_pid = False
        #: (monotonic time, pid) of each pane's last read of details, so it runs as often as it may.
        self._details_read: dict[int, tuple[float, int | None]] = {}
        #: The state the status line was last made with (it is made again only when that changes).
        self._status_parts: list[str] | None = None
        #: ``--record``'s recording until a write fails (written on the sampling thread).
        self._recording = self.options.recording
        #: The recent samples, for the before/after comparison of a tuning action (Enter in ``L``).
        self.recent_samples = RecentSamples()
        #: The ``time`` of the last sample applied: the actions after it mark the next one.
        self._applied_time: float | None = None
        self._init_tuning()
        #: The detail screen while it is open (Enter on a row).
        self.detail_screen: DetailScreen | None = None
        #: The renderer writes only changed cells and scrolls lines that moved (if this Textual allows).
        self._renders_changes = renders_changes
        if not self.options.read_only and not sampler.fs.is_own_proc():
            # Not perftop's own /proc: its PIDs are not ours to change, whatever the options said. (The
            # rule of tuning.tuning_allowed, which read_only_reason words: that module loads on the first
            # tuning key, not before the first frame.)
            self.options = replace(self.options, read_only=True)
        # Every pane's widget exists from the start, so it records its history every tick; all but the
        # first are mounted only when first shown: mounting them (DataTable and all) is a large part of
        # the start-up cost.
        self._panes: dict[int, tuple[Pane[Any], Widget]] = {
            p.number: (p, p.widget(id=p.ident)) for p in self.PANES
        }
        self._pane_by_ident = {p.ident: p.number for p in self.PANES}
        #: What ``Sampler.sample`` reads only for the panes that need it while shown.
        self._sampled_while_shown = {s for p in self.PANES for s in p.sampled}
        # The mounts begun of what the first frame leaves out (the other panes, the search and filter
        # boxes), so a key pressed again while one is under way waits for it rather than mounting twice.
        self._first_mounts: dict[Widget, AwaitMount] = {}
        #: The pane the last pane key asked for: a pane mounted on first use shows only if no later key
        #: asked for another meanwhile.
        self._pane_wanted = self.PANES[0].number
        #: Set at mount when the renderer writes only changed cells: it paints them for the line widgets.
        self._painter: textual_fence.ChangedCellsPainter | None = None

    def compose(self) -> ComposeResult:
        self.status_line = Static(id="status")
        # The other panes and the search and filter boxes are mounted when first shown (styling, laying
        # out and painting them would delay the first frame).
        self.search_box = Input(id="search", placeholder="search (Enter: keep, F3: next, Esc: close)")
        self.filter_box = Input(
            id="filter", placeholder="filter by command, user or cgroup (Enter: keep, Esc: clear)"
        )
        first = self.PANES[0]
        self.switcher = ContentSwitcher(self._panes[first.number][1], initial=first.ident, id="panes")
        yield self.switcher
        yield self.status_line

    def on_load(self) -> None:
        input_driver.exit_on_signals(self)  # before the driver takes the terminal

    def on_mount(self) -> None:
        # The process table the App acts on, whatever pane is shown (the overview pane holds it), kept at
        # hand: a DOM query per refresh would match selectors against every node.
        self.table = table = self.query_one(ProcessTable)
        table.scrolls_allowed = self._renders_changes
        if self._renders_changes:
            self._painter = textual_fence.ChangedCellsPainter(self)
        self._paint_changes_in(self.switcher)
        if self.options.sort:
            table.set_sort(self.options.sort)
        if self.options.user:
            table.set_user_filter(self.options.user)
        if self.options.pids:
            table.set_pid_filter(frozenset(self.options.pids))
        if self.options.tree:
            table.set_tree(True)
        if self.options.threads:
            table.set_threads(True)
        self._set_low_bandwidth(self.options.low_bandwidth)
        table.focus()
        self._update_status()
        first, self._first_snapshot = self._first_snapshot, None
        if first is not None:
            self._apply(first)
        if self.options.autorefresh:
            self._publish_request()
            # A scroll or a new layout (a resize) shows other rows: the next sample reads their status.
            self.watch(self.table, "scroll_y", self._publish_request, init=False)
            self.screen.screen_layout_refresh_signal.subscribe(
                self, lambda _screen: self._publish_request(), immediate=True
            )
            loop = asyncio.get_running_loop()
            self._sampling = SamplingThread(
                self._take_sample, self._sampled, self._fail, self._delay_after, loop
            )
            self._sampling.schedule(0 if first is None else self.interval)

    def on_unmount(self) -> None:
        if self._sampling is not None:
            self._sampling.stop()
        # The sampler holds procfs files open between samples (two or more per process): they go with the
        # App, not with the sampler object whenever it is collected.
        self.sampler.close()

    # -- sampling ---------------------------------------------------------------------------------------

    async def sample_now(self) -> Snapshot:
        """Take one sample off the event loop and show it. Returns it (tests drive the App with this)."""
        snapshot = await asyncio.to_thread(self._sample_and_record, self._sample_request())
        self._apply(snapshot)
        self._check_recording()
        await self.refresh_pane_details()
        return snapshot

    def _sample_request(self) -> dict[str, object]:
        """``Sampler.sample``'s arguments for what the screen shows now."""
        table = self.table
        status_pids = None
        # Before the first sample no row is on screen to choose by: read every status once, so the
        # first frame already shows AFFINITY and the others.
        if self.snapshot is not None and not table.needs_status_for_all():
            # The --pid processes always: they are few, and may be off screen.
            status_pids = table.visible_pids(margin=STATUS_MARGIN_ROWS) | (table.pid_filter or frozenset())
        shown = self._on_screen()[0].sampled
        compared = self._compared_pids()
        return {
            "status_pids": status_pids,
            # /proc/PID/io only while a column or the sort shows it (a column just shown has its rates
            # one refresh later, as any newly read counter). Not for the before/after comparison's few:
            # any io_pids with ``ran`` reads the io of every process that ran.
            "io_pids": status_pids if table.needs_io() else (),
            # And both for every process that ran: it may climb into view with this very sample.
            "ran": True,
            "numa_pids": table.needs_numa_pids(),
            "oom_pids": table.needs_oom_pids(),
            # /proc/PID/cgroup for CGROUP and CONTAINER on screen, and for every process while a filter
            # is typed (it matches the cgroup path too); each read is kept a few seconds.
            "cgroup_pids": self._cgroup_pids(status_pids),
            # /proc/PID/task only while threads are shown, for the processes shown with more than one.
            "threads": table.thread_pids(),
            # And their status (affinity, switches) as the processes': the rows on screen; every thread's
            # the first time, when none is on screen yet to choose by.
            "thread_status": status_pids if table.has_thread_rows() else None,
            # schedstat (RUN-DELAY/s) and the groups' cpu.stat (THROTTLED%) for the rows on screen only, so
            # sorting by one orders the rows that have a value; schedstat for the comparison's few too.
            "sched_pids": (self._rows_on_screen() if table.needs_run_delay() else set()) | compared,
            "throttle_pids": self._rows_on_screen() if table.needs_throttle() else (),
            # The socket tables (and whatever else a pane needs) only while that pane is shown.
            **{s.argument: s in shown for s in self._sampled_while_shown},
            # While recording, every section and every process's figures: a replay shows every pane.
            **(self._recording.sample_arguments if self._recording is not None else {}),
        }

    def _compared_pids(self) -> set[int]:
        """Whose run delay the before/after comparison needs: the selected process (the next action's
        target, before it) and the targets of the actions of the widest window back."""
        pids = recent_targets(self.action_log, time.time() - MAX_WINDOW_S) if self.action_log else set()
        selected = self.table.selected_pid
        if selected is not None:
            pids.add(selected)
        return pids

    def _rows_on_screen(self) -> set[int]:
        """The PIDs of the rows on screen and a margin around them (none before the first sample)."""
        return self.table.visible_pids(margin=STATUS_MARGIN_ROWS) if self.snapshot is not None else set()

    def _cgroup_pids(self, status_pids: frozenset[int] | set[int] | None) -> frozenset[int] | set[int] | None:
        """Whose ``cgroup`` to read: every process while a filter is typed or the sort is by CGROUP or
        CONTAINER, the rows of ``status_pids`` while one of them is shown, else none."""
        table = self.table
        if table.filter_text or table.sort_key in process_columns.CGROUP_KEYS:
            return None
        return status_pids if table.needs_cgroup() else frozenset()

    def _publish_request(self) -> None:
        """Let the sampling thread's next sample read what the screen shows now."""
        if self.options.autorefresh:
            self._request = self._sample_request()

    def _take_sample(self) -> Snapshot:
        # On the sampling thread: the request is a dict the event loop replaces, never changes.
        return self._sample_and_record(self._request)

    def _sample_and_record(self, request: dict[str, object]) -> Snapshot:
        """A sample, written to the recording (off the event loop: on the sampling thread)."""
        snapshot = self.sampler.sample(**request)  # type: ignore[arg-type]
        recording = self._recording
        if recording is not None:
            recording.write(snapshot)  # a failure is kept in recording.error, for the loop to tell
        return snapshot

    def _check_recording(self) -> None:
        """On the event loop after each sample: a failed write ends the recording; perftop goes on."""
        recording = self._recording
        if recording is not None and recording.error is not None:
            self._recording = None
            self._publish_request()  # back to sampling only what the screen shows
            self.notify(recording.error, title="Recording stopped", severity="error", timeout=15)
            self._update_status()

    def record_actions(self, records: Sequence[ActionRecord]) -> None:
        """Add ``records`` to the action log, and hand them to the recording for its next frame."""
        super().record_actions(records)
        if self._recording is not None:
            self._recording.add_actions(records)

    def _delay_after(self, snapshot: Snapshot) -> float:
        # On the sampling thread: seconds from this sample to the next.
        return self.options.first_delay if snapshot.interval is None else self.interval

    def _sampled(self, snapshot: Snapshot) -> None:
        """A snapshot from the sampling thread: show it, then let the thread take the next."""
        if self.return_code is not None or not self.is_running or self._sampling is None:
            return
        try:
            self._apply(snapshot)
            self._check_recording()
        except Exception as error:  # as a Textual timer does: the App ends with the traceback
            self._fail(error)
            return
        if self._on_screen()[0].details is not None:
            # The selected process's details first, so their reads never overlap the next sample's.
            task = asyncio.create_task(self._details_then_shown())
            task.add_done_callback(self._task_done)
        else:
            self._shown()

    async def _details_then_shown(self) -> None:
        try:
            await self.refresh_pane_details()
        finally:
            self._shown()

    def _shown(self) -> None:
        if self._sampling is not None:
            self._publish_request()
            self._sampling.shown()

    def _task_done(self, task: asyncio.Task[None]) -> None:
        # As a Textual timer does: an error ends the App with its traceback, not a silent stop.
        if not task.cancelled() and isinstance(error := task.exception(), Exception):
            self._fail(error)

    def _fail(self, error: Exception) -> None:
        """End the App with ``error``'s traceback as its exit message and status 1, as Textual ends it on
        an error in a handler. (Textual's own path for that renders the exception being handled: from a
        thread's callback there is none, and the App stayed up, frozen.)"""
        trace = "".join(traceback.format_exception(error))
        self.exit(return_code=1, message=Text(trace))

    @property
    def pane(self) -> int:
        """The number (key) of the pane on screen."""
        return self._pane_by_ident[self.switcher.current or ""]

    def _on_screen(self) -> tuple[Pane[Any], Widget]:
        """The pane on screen and its widget."""
        return self._panes[self.pane]

    async def refresh_pane_details(self, *, force: bool = False) -> None:
        """The costly reads only the pane on screen needs, for the process selected in the table."""
        snapshot = self.snapshot
        if snapshot is None or self.frozen:
            return
        pane, widget = self._on_screen()
        details = pane.details
        if details is None:
            return
        pid = self.table.selected_pid
        now = asyncio.get_running_loop().time()
        last = self._details_read.get(pane.number)
        if force or last is None or last[1] != pid or now - last[0] >= details.every:
            self._details_read[pane.number] = (now, pid)
            shown = await asyncio.to_thread(details.read, self.sampler.fs, snapshot, pid)
            details.show(widget, shown)

    async def settings_changed(self) -> None:
        """A setting was written: the pane on screen reads what it shows again (the tunables pane)."""
        await self.refresh_pane_details(force=True)

    def _sample_in(self, delay: float) -> None:
        """Take the next sample ``delay`` seconds from now (or once the one under way is shown)."""
        if self._sampling is not None:
            self._sampling.schedule(delay)

    def show_snapshot(self, snapshot: Snapshot, *, history: Sequence[Snapshot] | None = None) -> None:
        """Show ``snapshot`` as the next sample (replay feeds recorded ones through this). ``history``: the
        panes' histories start afresh from these samples (oldest first) before it, as after a jump."""
        if history is not None:
            for _pane, widget in self._panes.values():
                # Each pane widget with histories clears them (a method of its own, not of the registry).
                clear = getattr(widget, "clear_history", None)
                if clear is not None:
                    clear()
            self._applied_time = None
            for past in history:
                marked = applied_between(self.action_log, self._applied_time, past.time)
                self._applied_time = past.time
                for pane, widget in self._panes.values():
                    pane.record(widget, past, marked)
        self._apply(snapshot)

    def _apply(self, snapshot: Snapshot) -> None:
        # A tuning action applied since the last sample marks this one on every history. From the action
        # log, not from the flows: replay fills the log with a recording's actions and feeds its frames here.
        previous, self._applied_time = self._applied_time, snapshot.time
        marked = applied_between(self.action_log, previous, snapshot.time)
        self.recent_samples.add(snapshot, keep=self._compared_pids())
        self.snapshot = snapshot
        self.prune_tags(snapshot)
        # Every pane keeps its history while frozen or hidden, so graphs have no gaps; only drawing stops.
        for pane, widget in self._panes.values():
            pane.record(widget, snapshot, marked)
        if self.comparison_screen is not None:
            self.comparison_screen.update_figures()
        if not self.frozen:
            self._show(snapshot)

    def _show(self, snapshot: Snapshot) -> None:
        for pane, widget in self._panes.values():
            if pane.show is not None:
                pane.show(widget, snapshot)
        if self.detail_screen is not None:
            self.detail_screen.refresh_detail()
        if self.options.pids and not self._selected_initial_pid:
            self._selected_initial_pid = self.table.select_pid(self.options.pids[0])
        self.check_followed()
        self._update_status()

    # -- status line ------------------------------------------------------------------------------------

    def _update_status(self) -> None:
        table = self.table
        column = process_columns.COLUMN_BY_KEY[table.sort_key]
        parts = [self._status_timing(), f"sort {column.title}{'▼' if table.sort_reverse else '▲'}"]
        if table.filter_text:
            parts.append(f"filter '{escaped(table.filter_text)}'")
        if table.user_filter:
            parts.append(f"user {escaped(table.user_filter)}")
        if table.pid_filter:
            parts.append("pid " + ",".join(map(str, sorted(table.pid_filter))))
        if table.tree:
            parts.append("tree")
        if table.threads:
            parts.append("threads")
        if table.hide_kernel_threads:
            parts.append("no kthreads")
        if self.options.read_only:
            parts.append("read-only")
        if self._recording is not None:
            parts.append("REC")
        if self.has_class("-low-bandwidth"):
            parts.append("low-bandwidth")
        if self.following:
            parts.append("follow")
        if self.frozen:
            parts.append("FROZEN")
        if parts == self._status_parts:
            return  # the same line: not made again (it is asked for at every refresh)
        self._status_parts = parts
        keys = Text.assemble(
            ("F1", "bold reverse"),
            "Help ",
            ("F2", "bold reverse"),
            "Columns ",
            ("F3", "bold reverse"),
            "Search ",
            ("F4", "bold reverse"),
            "Filter ",
            ("F6", "bold reverse"),
            "Sort ",
            ("F10", "bold reverse"),
            "Quit  ",
        )
        keys.append(" · ".join(parts), style="bold" if self.frozen else "")
        # Without a layout pass: the status line is always one row high.
        self.status_line.update(keys, layout=False)

    def _status_timing(self) -> str:
        """The status line's first part: the refresh interval (a replay says its position)."""
        return f"{self.interval:g}s"

    # -- actions ----------------------------------------------------------------------------------------

    def keys_held(self) -> bool:
        # Keys typed right after a dialog key wait for its dialog (see TuningActions.awaiting_dialog).
        return self.awaiting_dialog

    def dialog_ready(self) -> None:
        self.release_keys()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Textual's notification, never parsed as markup (``markup`` is ignored): messages carry process
        names and typed text. Control characters left in them are spelled out."""
        super().notify(
            escaped_lines(message), title=escaped(title), severity=severity, timeout=timeout, markup=False
        )

    def get_driver_class(self) -> type[Driver]:
        return input_driver.driver_class(super().get_driver_class())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A dialog or picker on top owns the keyboard: q, +, digits... must not act behind it. The detail
        # screen lets the tuning keys through: they act on its process.
        if self.screen is self.detail_screen and self.detail_screen is not None:
            return action in DETAIL_ACTIONS or action not in APP_ACTIONS
        if len(self.screen_stack) > 1 and action in APP_ACTIONS:
            return False
        if action == "pane_key" and len(parameters) == 2:
            # A key of a pane's own that acts only while it is shown: elsewhere the next binding of the key
            # (the App's own) takes it.
            number, index = parameters
            pane = self._panes[number][0] if isinstance(number, int) else None
            if pane is not None and isinstance(index, int) and pane.keys[index].shown_only:
                return self.pane == number
        return True

    def action_help(self) -> None:
        from perftop.tui.screens import HelpScreen  # on first use: the first frame needs no screen of it

        rows = [(k.shown, k.help) for k in app_keys(self.PANES)]
        rows += [*TABLE_KEYS, *LOG_KEYS, *COMPARISON_KEYS]
        rows += [(k.shown, k.help) for k in REPLAY_KEYS] + list(REPLAY_CHANGED_KEYS)
        costly = ", ".join(c.title for c in process_columns.COLUMNS if c.needs_status)
        notes = [
            "Mouse: click a row to select it, double-click for its detail screen, click a column "
            "header to sort by it (again to invert), the wheel scrolls; in the tree view, click the "
            "guides of a process to collapse or expand it.",
            "Tree view (t, F5): siblings follow the sort; x collapses or expands the selected process "
            "(+N: how many it hides), * collapses all or expands all (htop's + and - change the refresh "
            "interval here). A filter shows only the matching processes, each under its nearest "
            "matching ancestor.",
            f"Sorting by {costly} reads /proc/PID/status (and io) for every process each refresh "
            "(otherwise only for the rows on screen): it costs more.",
            "REMOTE% (F2) reads /proc/PID/numa_maps only for the rows on screen, each at most every "
            f"{NUMA_MAPS_SECONDS:g} s: sorting by it orders only the rows that have a value.",
            "OOM_SCORE and OOM_ADJ (F2) are read for the rows on screen, and for every process while the "
            "table is sorted by one.",
            "RUN-DELAY/s and THROTTLED% (F2) read schedstat and the groups' cpu.stat only for the rows on "
            "screen (each group once): sorting by one orders only the rows that have a value.",
            "IO_R/s and IO_W/s (F2) of a parent include the IO of the children it reaped: the kernel adds "
            "an exited child's counts to its parent's /proc/PID/io when the parent waits for it, so a shell "
            "shows a burst as a command it ran ends.",
            "In a tuning dialog: Tab moves between the fields, the arrow keys choose an option, space ticks "
            "a box, Enter applies from any field, Esc cancels.",
        ]
        if self.options.read_only:
            notes.append("Read-only: tuning actions are disabled.")
        self.push_screen(HelpScreen(rows, [*notes, *self._more_help_notes()]))

    def _more_help_notes(self) -> list[str]:
        """Notes of a mode of the App at the end of the help screen (a replay's)."""
        return []

    def action_sort(self, key: str) -> None:
        self.table.set_sort(key)
        self._after_view_change()

    def action_invert_sort(self) -> None:
        self.table.invert_sort()
        self._after_view_change()

    def action_sort_step(self, step: int) -> None:
        keys = [c.key for c in process_columns.table_columns(self.table.shown_optional)]
        index = keys.index(self.table.sort_key)
        self.action_sort(keys[(index + step) % len(keys)])

    def action_sort_io(self) -> None:
        self.action_sort("io_read" if self.table.sort_key == "io_write" else "io_write")

    def action_pick_columns(self) -> None:
        from perftop.tui.screens import PickerScreen

        shown = self.table.shown_optional
        choices = [
            (
                key,
                f"[{'x' if key in shown else ' '}] {process_columns.COLUMN_BY_KEY[key].title:<8} "
                f"{_column_help(process_columns.COLUMN_BY_KEY[key])}",
            )
            for key in process_columns.OPTIONAL_KEYS
        ]

        def chosen(key: str | None) -> None:
            if key is not None:
                self.table.toggle_column(key)
                self._after_view_change()

        self.push_screen(PickerScreen("Show columns (Enter toggles)", choices), chosen)

    def action_pick_sort(self) -> None:
        from perftop.tui.screens import PickerScreen

        choices = [(c.key, c.title + _sort_cost(c)) for c in process_columns.COLUMNS]

        def chosen(key: str | None) -> None:
            if key is not None:
                self.action_sort(key)

        self.push_screen(PickerScreen("Sort by", choices, self.table.sort_key), chosen)

    def action_pick_user(self) -> None:
        from perftop.tui.screens import PickerScreen

        users = sorted({p.user for p in (self.snapshot.processes if self.snapshot else ()) if p.user})
        choices = [("", "all users"), *((u, u) for u in users)]

        def chosen(user: str | None) -> None:
            if user is not None:
                self.table.set_user_filter(user or None)
                self._after_view_change()

        self.push_screen(PickerScreen("Show processes of", choices, self.table.user_filter or ""), chosen)

    def action_toggle_kernel(self) -> None:
        table = self.table
        table.set_hide_kernel_threads(not table.hide_kernel_threads)
        self._after_view_change()

    def action_tree(self) -> None:
        """The tree view, or the flat list again; the selection stays on its process."""
        self.table.set_tree(not self.table.tree)
        self._after_view_change()

    def action_threads(self) -> None:
        """Threads as rows under their process (read from the next sample on), or processes only again."""
        table = self.table
        table.set_threads(not table.threads)
        self._after_view_change()
        if table.threads:
            self._sample_in(0.0)  # the threads now, not a refresh later

    def action_tree_collapse(self) -> None:
        table = self.table
        if not table.tree:
            self.notify("Collapsing works in the tree view: press t first.", timeout=2)
        elif table.toggle_collapsed():
            self._publish_request()  # other rows on screen: their status is read at the next sample
        else:
            self.notify("This process has no children to collapse.", timeout=2)

    def action_tree_collapse_all(self) -> None:
        if not self.table.tree:
            self.notify("Collapsing works in the tree view: press t first.", timeout=2)
            return
        self.table.toggle_all_collapsed()
        self._publish_request()

    def action_low_bandwidth(self) -> None:
        """No history graph on the overview, and the table re-sorted every few refreshes (rows moving
        are most of what it writes); every other pane stays as it is. perftop writes only changed
        cells in either mode."""
        self._set_low_bandwidth(not self.has_class("-low-bandwidth"))
        self._update_status()

    def _set_low_bandwidth(self, on: bool) -> None:
        self.set_class(on, "-low-bandwidth")
        self.table.order_hold = LOW_BANDWIDTH_SORT_EVERY if on else 0

    def action_freeze(self) -> None:
        self.frozen = not self.frozen
        for pane, widget in self._panes.values():
            if pane.freeze is not None:
                pane.freeze(widget, self.frozen)
        if not self.frozen and self.snapshot is not None:
            self._show(self.snapshot)
        self._update_status()

    def action_interval_step(self, step: int) -> None:
        steps = list(INTERVALS)
        current = min(range(len(steps)), key=lambda i: abs(steps[i] - self.interval))
        self.interval = steps[max(0, min(len(steps) - 1, current + step))]
        self._sample_in(self.interval)
        self._update_status()

    async def _mount_on_first_use(self, widget: Widget, parent: Widget, before: Widget | None = None) -> None:
        """Mount ``widget`` (hidden) in ``parent`` on its first use; return once it is mounted. A call
        while an earlier one is still mounting it waits for that mount."""
        pending = self._first_mounts.get(widget)
        if pending is None:
            # Hidden until the caller shows it: a mounted pane would share the switcher with the pane
            # on screen for a frame.
            widget.display = False
            pending = self._first_mounts[widget] = parent.mount(widget, before=before)
        await pending

    def _paint_changes_in(self, widget: Widget) -> None:
        """Let the line widgets in ``widget`` have their changed cells painted, if the renderer can."""
        if self._painter is not None:
            for node in widget.walk_children(with_self=True):
                if isinstance(node, ChangedCells):
                    node.paint_changes = self._painter

    async def action_pane(self, number: int) -> None:
        switcher = self.switcher
        pane, widget = self._panes[number]
        self._pane_wanted = number
        if pane is not self.PANES[0]:
            mounted = widget in self._first_mounts
            await self._mount_on_first_use(widget, switcher)
            if not mounted:
                self._paint_changes_in(widget)
            if self._pane_wanted != number:
                return  # another pane key came while this pane was mounting: that one wins
        switcher.current = pane.ident
        self._publish_request()  # what a pane needs sampled is read only while it is shown
        if self.table in widget.walk_children():
            self.table.focus()
        else:
            widget.focus()  # the pane's own (it may hand the focus to its table)
        snapshot = self.snapshot
        if snapshot is not None and any(not s.present(snapshot) for s in pane.sampled):
            # What the pane needs sampled is read only while it is shown: sample now, not next tick, by
            # moving the thread's next sample forward (never a second sample beside it).
            self._sample_in(SOON)
        elif pane.details is not None:
            self.run_worker(self.refresh_pane_details(force=True), group="pane-details")

    def action_pane_key(self, number: int, index: int) -> None:
        """A key of pane ``number``'s own (its ``index``-th), whatever pane is shown (a ``shown_only`` key:
        while it is shown, see :meth:`check_action`)."""
        pane, widget = self._panes[number]
        done = pane.keys[index].run(widget)
        if isinstance(done, str):
            self.notify(done)
        elif done is not None:
            self.start_system(done)

    async def action_search(self) -> None:
        search = self.search_box
        await self._mount_on_first_use(search, self.status_line.screen, before=self.status_line)
        if search.display and search.value:
            self._search(search.value, skip_current=True)
            return
        search.display = True
        search.focus()

    async def action_filter(self) -> None:
        box = self.filter_box
        await self._mount_on_first_use(box, self.status_line.screen, before=self.status_line)
        box.value = self.table.filter_text
        box.display = True
        box.focus()

    def _search(self, text: str, *, skip_current: bool) -> None:
        if not text:
            return
        table = self.table
        current = next((p for p in table.rows() if p.pid == table.selected_pid), None)
        if not skip_current and current is not None and process_columns.matches(current, text):
            table.choose_selected()  # found where the cursor is: that process is the one chosen
            return
        if not table.search_next(text):
            self.notify(f"No process matches '{escaped(text)}'.", severity="warning", timeout=2)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self._search(event.value, skip_current=False)
        elif event.input.id == "filter":
            self.table.set_filter(event.value)
            self._after_view_change()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self.table.choose_selected()  # a kept filter chose the process the cursor is on
        event.input.display = False
        self.table.focus()

    def on_key(self, event: events.Key) -> None:
        focused = self.focused
        if event.key == "escape" and self.following and not isinstance(focused, Input):
            if len(self.screen_stack) == 1:
                self.stop_following()
                event.stop()
            return
        if not isinstance(focused, Input):
            return
        if event.key == "escape":
            if focused.id == "filter":
                focused.value = ""
                self.table.set_filter("")
                self._after_view_change()
            focused.display = False
            self.table.focus()
            event.stop()

    def on_process_table_command_line_requested(self, message: ProcessTable.CommandLineRequested) -> None:
        """Enter (or a double-click) on a row: the detail screen of that process."""
        from perftop.tui.action_records import subject_of
        from perftop.tui.detail_screen import DetailScreen

        rows = self.table.rows()
        proc = next((p for p in rows if p.pid == message.pid), None)
        if isinstance(proc, ThreadInfo):
            # A thread's row opens its process's screen (and the tuning keys there act on the process):
            # limits, cgroup, open files and memory are the process's, not a thread's.
            tgid = proc.tgid
            proc = next((p for p in rows if p.pid == tgid and not isinstance(p, ThreadInfo)), None)
        if proc is None or self.detail_screen is not None:
            return
        screen = DetailScreen(self.sampler.fs, proc.pid, proc.start_time, proc.comm, self.sampler.clock)
        self.detail_screen = screen
        self.detail_subject = subject_of(proc)

        def closed(_result: None) -> None:
            self.detail_screen = None
            self.detail_subject = None

        self.push_screen(screen, closed)

    def on_process_table_sort_changed(self, message: ProcessTable.SortChanged) -> None:
        self._after_view_change()

    def _after_view_change(self) -> None:
        self._update_status()
        self._publish_request()

    def _view_changed(self) -> None:
        self._after_view_change()


def _column_help(column: process_columns.Column) -> str:
    """What an optional column shows and reads, and how often for ``numa_maps``, for the F2 picker."""
    every = f", every {NUMA_MAPS_SECONDS:g} s" if column.needs_numa else ""
    return f"{column.help} ({column.source}{every})"


def _sort_cost(column: process_columns.Column) -> str:
    """What sorting by ``column`` costs or leaves out, for the F6 picker."""
    if column.needs_status:
        return "  (reads status for all: costs more)"
    if column.needs_numa:
        return "  (orders only the rows on screen)"
    if column.needs_oom:
        return "  (reads its file for all: costs more)"
    if column.key in process_columns.CGROUP_KEYS:
        return "  (reads cgroup for all, each every 5 s)"
    if column.key in process_columns.SCHED_KEYS:
        return "  (orders only the rows on screen)"
    return ""
