"""The perftop App: wires the sampler to the panes, owns the bindings and the refresh loop."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.driver import Driver
from textual.notifications import SeverityLevel
from textual.widget import AwaitMount, Widget
from textual.widgets import ContentSwitcher, Input, Static

from perftop.probes.sampler import NUMA_MAPS_SECONDS, Sampler
from perftop.probes.snapshot import POLICY_CLASS, Snapshot
from perftop.tui import input_driver, partial_updates
from perftop.tui.bindings import APP_KEYS, app_bindings
from perftop.tui.cli import INTERVALS
from perftop.tui.sampling import SamplingThread
from perftop.tui.tuning_ui import TuningActions
from perftop.widgets import process_columns
from perftop.widgets.cpu_meters import CpuMeters
from perftop.widgets.io_pane import IoPane
from perftop.widgets.load_history import LoadHistory
from perftop.widgets.numa_pane import NumaPane
from perftop.widgets.process_table import ProcessTable
from perftop.widgets.safe_text import escaped, escaped_lines
from perftop.widgets.sockets_pane import SocketsPane
from perftop.widgets.summary import SummaryLine

PANES: dict[int, str] = {1: "pane-overview", 2: "pane-cpu", 3: "pane-numa", 4: "pane-io", 5: "pane-sockets"}
#: Seconds to "sample now" through the timer (soon, not at once: after the key that asked is handled).
SOON = 0.01
#: Low-bandwidth mode: refreshes between two sorts of the process table (values change every refresh).
LOW_BANDWIDTH_SORT_EVERY = 5
#: Seconds between socket-owner scans while the sockets pane is shown (each walks every /proc/PID/fd).
SOCKET_SCAN_SECONDS = 5.0
#: Action names of APP_KEYS, disabled while a modal screen is open.
APP_ACTIONS = frozenset(k.action.split("(", 1)[0] for k in APP_KEYS)
#: Rows above and below the screen whose status is read too, so a short scroll shows no gaps.
STATUS_MARGIN_ROWS = 10
#: What each optional column shows, for the F2 picker.
OPTIONAL_COLUMN_HELP: Mapping[str, str] = MappingProxyType(
    {
        "remote": f"resident memory on nodes other than NODE (numa_maps of the rows on screen, "
        f"every {NUMA_MAPS_SECONDS:g} s)",
        "io_read": "bytes per second read from storage (/proc/PID/io read_bytes)",
        "io_write": "bytes per second written to storage (/proc/PID/io write_bytes)",
    }
)


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
    #: The first rates rest on a baseline this short, so real data shows fast (cold start).
    first_delay: float = 0.2


class PerftopApp(TuningActions, App[None]):
    """htop-like overview of CPUs and processes; more panes come with their issues."""

    CSS_PATH = "perftop.tcss"
    TITLE = "perftop"
    BINDINGS = app_bindings()

    def __init__(
        self, sampler: Sampler, options: AppOptions | None = None, snapshot: Snapshot | None = None
    ) -> None:
        """``snapshot``: a sample with rates to show on the first frame (the CLI takes it while Textual
        starts); without one the App's first refresh samples."""
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
        #: (monotonic time, pid) of the last socket-owner scan, so it runs every few seconds at most.
        self._socket_scan: tuple[float, int | None] | None = None
        #: The state the status line was last made with (it is made again only when that changes).
        self._status_parts: list[str] | None = None
        self._init_tuning()
        #: The renderer writes only changed cells and scrolls lines that moved (if this Textual allows).
        self._renders_changes = partial_updates.install()
        if not self.options.read_only and not sampler.fs.is_own_proc():
            # Not perftop's own /proc: its PIDs are not ours to change, whatever the options said. (The
            # rule of tuning.tuning_allowed, which read_only_reason words: that module loads on the first
            # tuning key, not before the first frame.)
            self.options = replace(self.options, read_only=True)
        # The detail panes exist from the start, so they record their histories every tick, but are
        # mounted only when first shown: mounting them (DataTable and all) cost ~50 ms of the start.
        self.numa_pane = NumaPane(id=PANES[3])
        self.io_pane = IoPane(id=PANES[4])
        self.sockets_pane = SocketsPane(id=PANES[5])
        # The mounts begun of what the first frame leaves out (pane 2, the search and filter boxes),
        # so a key pressed again while one is under way waits for it rather than mounting twice.
        self._first_mounts: dict[Widget, AwaitMount] = {}
        #: The pane the last pane key asked for: a pane mounted on first use shows only if no later key
        #: asked for another meanwhile.
        self._pane_wanted = 1

    def compose(self) -> ComposeResult:
        # The widgets each sample updates are kept at hand: a DOM query per refresh matched selectors
        # against every node (~1 ms a refresh).
        self.meters = CpuMeters(id="meters")
        self.table = ProcessTable(id="processes")
        self.table.scrolls_allowed = self._renders_changes
        self.summaries = (SummaryLine(id="summary"), SummaryLine(id="cpu-summary"))
        self.histories = (LoadHistory(id="history"), LoadHistory(id="cpu-history", per_cpu=True))
        if self._renders_changes:
            painter = partial_updates.ChangedCellsPainter(self)
            for widget in (self.meters, self.table, *self.summaries, *self.histories):
                widget.paint_changes = painter
        self.status_line = Static(id="status")
        # Pane 2 and the search and filter boxes are mounted when first shown (styling, laying out and
        # painting them cost ~15 ms of CPU before the first frame); pane 2's widgets exist from the
        # start all the same, so its history records every tick.
        self.cpu_pane = Vertical(self.summaries[1], self.histories[1], id=PANES[2])
        self.search_box = Input(id="search", placeholder="search (Enter: keep, F3: next, Esc: close)")
        self.filter_box = Input(
            id="filter", placeholder="filter by command or user (Enter: keep, Esc: clear)"
        )
        header = Horizontal(self.meters, self.summaries[0], id="header")
        overview = Vertical(header, self.histories[0], self.table, id=PANES[1])
        self.switcher = ContentSwitcher(overview, initial=PANES[1], id="panes")
        yield self.switcher
        yield self.status_line

    def on_mount(self) -> None:
        table = self.table
        if self.options.sort:
            table.set_sort(self.options.sort)
        if self.options.user:
            table.set_user_filter(self.options.user)
        if self.options.pids:
            table.set_pid_filter(frozenset(self.options.pids))
        self._set_low_bandwidth(self.options.low_bandwidth)
        self._focus_now(table)
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
        snapshot = await asyncio.to_thread(self.sampler.sample, **self._sample_request())
        self._apply(snapshot)
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
        return {
            "status_pids": status_pids,
            # /proc/PID/io only while a column or the sort shows it (a column just shown has its rates
            # one refresh later, as any newly read counter).
            "io_pids": status_pids if table.needs_io() else (),
            "sockets": self.pane == 5,
            "numa_pids": table.needs_numa_pids(),
        }

    def _publish_request(self) -> None:
        """Let the sampling thread's next sample read what the screen shows now."""
        if self.options.autorefresh:
            self._request = self._sample_request()

    def _take_sample(self) -> Snapshot:
        # On the sampling thread: the request is a dict the event loop replaces, never changes.
        return self.sampler.sample(**self._request)  # type: ignore[arg-type]

    def _delay_after(self, snapshot: Snapshot) -> float:
        # On the sampling thread: seconds from this sample to the next.
        return self.options.first_delay if snapshot.interval is None else self.interval

    def _sampled(self, snapshot: Snapshot) -> None:
        """A snapshot from the sampling thread: show it, then let the thread take the next."""
        if self._exit or not self.is_running or self._sampling is None:
            return
        try:
            self._apply(snapshot)
        except Exception as error:  # as a Textual timer does: the App ends with the traceback
            self._fail(error)
            return
        if self.pane in (3, 5):
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
        """The number of the pane on screen (1-5)."""
        current = self.switcher.current
        return next(number for number, ident in PANES.items() if ident == current)

    async def refresh_pane_details(self, *, force: bool = False) -> None:
        """The costly reads only the pane on screen needs, for the process selected in the table."""
        snapshot = self.snapshot
        if snapshot is None or self.frozen:
            return
        pid = self.table.selected_pid
        fs = self.sampler.fs
        if self.pane == 3:
            # Imported with the first visit to pane 3 or 5 (its dataclasses cost ~2 ms of the start).
            from perftop.tui.pane_details import read_placement

            shown = await asyncio.to_thread(read_placement, fs, snapshot, pid)
            self.numa_pane.show_process(shown.pid, shown.comm, shown.placement, shown.cpu_node)
        elif self.pane == 5:
            now = asyncio.get_running_loop().time()
            last = self._socket_scan
            if force or last is None or last[1] != pid or now - last[0] >= SOCKET_SCAN_SECONDS:
                self._socket_scan = (now, pid)
                from perftop.tui.pane_details import read_socket_views

                views = await asyncio.to_thread(read_socket_views, fs, snapshot, pid)
                sockets = self.sockets_pane
                sockets.show_listening(views.listening)
                sockets.show_connections(views.pid, views.comm, views.connections)

    def _sample_in(self, delay: float) -> None:
        """Take the next sample ``delay`` seconds from now (or once the one under way is shown)."""
        if self._sampling is not None:
            self._sampling.schedule(delay)

    def _apply(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.prune_tags(snapshot)
        # History is kept while frozen or hidden so graphs have no gaps; only drawing stops.
        if snapshot.interval is not None:
            for history in self.histories:
                history.push(snapshot.cpu)
        # The panes keep their own histories and draw only while on screen.
        self.numa_pane.update_snapshot(snapshot.numa)
        self.io_pane.update_snapshot(snapshot.disks)
        self.sockets_pane.update_snapshot(snapshot.net)
        if not self.frozen:
            self._show(snapshot)

    def _show(self, snapshot: Snapshot) -> None:
        self.meters.update_snapshot(snapshot.cpu, snapshot.memory)
        for summary in self.summaries:
            summary.update_snapshot(snapshot)
        table = self.table
        table.set_processes(snapshot.processes)
        if self.options.pids and not self._selected_initial_pid:
            self._selected_initial_pid = table.select_pid(self.options.pids[0])
        self._update_status()

    # -- status line ------------------------------------------------------------------------------------

    def _update_status(self) -> None:
        table = self.table
        column = process_columns.COLUMN_BY_KEY[table.sort_key]
        parts = [f"{self.interval:g}s", f"sort {column.title}{'▼' if table.sort_reverse else '▲'}"]
        if table.filter_text:
            parts.append(f"filter '{escaped(table.filter_text)}'")
        if table.user_filter:
            parts.append(f"user {escaped(table.user_filter)}")
        if table.pid_filter:
            parts.append("pid " + ",".join(map(str, sorted(table.pid_filter))))
        if table.hide_kernel_threads:
            parts.append("no kthreads")
        if self.options.read_only:
            parts.append("read-only")
        if self.has_class("-low-bandwidth"):
            parts.append("low-bandwidth")
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

    # -- actions ----------------------------------------------------------------------------------------

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
        # A dialog or picker on top owns the keyboard: q, +, digits... must not act behind it.
        return not (len(self.screen_stack) > 1 and action in APP_ACTIONS)

    def action_help(self) -> None:
        from perftop.tui.screens import HelpScreen  # on first use: the first frame needs no screen of it

        rows = [(k.shown, k.help) for k in APP_KEYS]
        rows += [(b.key_display or b.key, b.description) for b in ProcessTable.BINDINGS]
        costly = ", ".join(c.title for c in process_columns.COLUMNS if c.needs_status)
        notes = [
            "Mouse: click a row to select it, double-click for its command line, click a column "
            "header to sort by it (again to invert), the wheel scrolls.",
            f"Sorting by {costly} reads /proc/PID/status (and io) for every process each refresh "
            "(otherwise only for the rows on screen): it costs more.",
            "REMOTE% (F2) reads /proc/PID/numa_maps only for the rows on screen, each at most every "
            f"{NUMA_MAPS_SECONDS:g} s: sorting by it orders only the rows that have a value.",
        ]
        if self.options.read_only:
            notes.append("Read-only: tuning actions are disabled.")
        self.push_screen(HelpScreen(rows, notes))

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
                f"{OPTIONAL_COLUMN_HELP.get(key, '')}",
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
        for history in self.histories:
            history.frozen = self.frozen
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

    async def action_pane(self, number: int) -> None:
        switcher = self.switcher
        detail = {3: self.numa_pane, 4: self.io_pane, 5: self.sockets_pane}.get(number)
        self._pane_wanted = number
        if number != 1:
            await self._mount_on_first_use(detail or self.cpu_pane, switcher)
            if self._pane_wanted != number:
                return  # another pane key came while this pane was mounting: that one wins
        switcher.current = PANES[number]
        self._publish_request()  # the socket tables are read only while pane 5 is shown
        if detail is not None:
            detail.focus()  # the pane's own: it hands the focus to its table
            if number == 5 and self.snapshot is not None and self.snapshot.net.tcp_states is None:
                # The socket tables are read only while this pane is shown: sample now, not next tick,
                # by moving the thread's next sample forward (never a second sample beside it).
                self._sample_in(SOON)
            else:
                self.run_worker(self.refresh_pane_details(force=True), group="pane-details")
        if number == 1:
            self._focus_now(self.table)

    def action_toggle_all_devices(self) -> None:
        io = self.io_pane
        io.show_all(not io.showing_all)
        self.notify("All block devices shown." if io.showing_all else "Partitions and idle devices hidden.")

    async def action_search(self) -> None:
        search = self.search_box
        await self._mount_on_first_use(search, self.status_line.screen, before=self.status_line)
        if search.display and search.value:
            self._search(search.value, skip_current=True)
            return
        search.display = True
        self._focus_now(search)

    async def action_filter(self) -> None:
        box = self.filter_box
        await self._mount_on_first_use(box, self.status_line.screen, before=self.status_line)
        box.value = self.table.filter_text
        box.display = True
        self._focus_now(box)

    def _focus_now(self, widget: Widget) -> None:
        # Not widget.focus(), which moves the focus only after the events already queued: the keys
        # typed right after this one (in one burst over SSH, or a paste) would go where it was.
        self.screen.set_focus(widget)

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
        self._focus_now(self.table)

    def on_key(self, event: events.Key) -> None:
        focused = self.focused
        if not isinstance(focused, Input):
            return
        if event.key == "escape":
            if focused.id == "filter":
                focused.value = ""
                self.table.set_filter("")
                self._after_view_change()
            focused.display = False
            self._focus_now(self.table)
            event.stop()
        elif event.is_printable:
            # An Input keeps the characters typed in it: this one was typed right after the key that
            # opened the box (F4 and the text in one burst over SSH, or a paste), and Textual sent it
            # where the focus was then. It is the box's.
            event.stop()
            focused.post_message(events.Key(event.key, event.character))

    def on_process_table_command_line_requested(self, message: ProcessTable.CommandLineRequested) -> None:
        from perftop.tui.screens import TextScreen

        proc = next((p for p in self.table.rows() if p.pid == message.pid), None)
        if proc is None:
            return
        policy = POLICY_CLASS.get(proc.policy or "", "-")
        body = (
            f"{escaped(proc.cmdline or '[' + proc.comm + ']')}\n\n"
            f"pid {proc.pid}  ppid {proc.ppid}  user {escaped(proc.user or '-')}  "
            f"state {escaped(proc.state)}\n"
            f"policy {proc.policy or '-'} ({policy})  rtprio {proc.rtprio}  nice {proc.nice}  "
            f"priority {proc.priority}\nstart time {proc.start_time} ticks after boot"
        )
        self.push_screen(TextScreen(f"Process {proc.pid} ({escaped(proc.comm)})", body))

    def on_process_table_sort_changed(self, message: ProcessTable.SortChanged) -> None:
        self._after_view_change()

    def _after_view_change(self) -> None:
        self._update_status()
        self._publish_request()


def _sort_cost(column: process_columns.Column) -> str:
    """What sorting by ``column`` costs or leaves out, for the F6 picker."""
    if column.needs_status:
        return "  (reads status for all: costs more)"
    if column.needs_numa:
        return "  (orders only the rows on screen)"
    return ""
