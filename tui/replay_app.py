"""``perftop --replay FILE``: the App on a recording instead of this machine.

:class:`ReplayApp` is the App with its sampler swapped for the recording (design item 7): every recorded
snapshot goes through :meth:`~perftop.tui.app.PerftopApp.show_snapshot`, so every pane, sort, filter,
search and the tree work as live. Stepping forward records one sample in the histories; a jump or a step
back starts them afresh from the frames before the new position. The recording is read in a thread (a jump
decodes up to a history's length of frames), one move at a time in the order of the keys.

Nothing of this machine is read or changed: the stand-in sampler's roots name no directory, every tuning
key and undo is refused with :data:`~perftop.tui.replay.REFUSED`, and what a pane reads live for the selected
process is shown from the frame (the tunables) or said to be not recorded (NUMA placement, sockets'
owners).

Layers: the command line starts this App; it builds on the App, the replay module and the recording.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Input, Static

from perftop.probes.fs import FS
from perftop.probes.snapshot import Snapshot
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.bindings import REPLAY_KEYS
from perftop.tui.dialogs import TuningDialog
from perftop.tui.recording import Recording, RecordingError
from perftop.tui.replay import (
    REFUSED,
    RecordingSamples,
    ReplayCursor,
    history_snapshot,
    recorded_tunables,
    replayed,
    span_text,
)
from perftop.widgets.io_pane import IoPane
from perftop.widgets.numa_pane import NumaPane
from perftop.widgets.safe_text import escaped
from perftop.widgets.sockets_pane import SocketsPane
from perftop.widgets.time_bar import TimeBar, TimeBarState
from perftop.widgets.tunables_pane import TunablesPane

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from perftop.probes.sampler import Sampler
    from perftop.tui.action_records import ActionRecord
    from perftop.widgets.process_table import ProcessTable

#: The roots the stand-in sampler names: no directory, so nothing of this machine is ever read for a
#: recorded PID (and the App is read-only, as on any root that is not its own /proc).
NOWHERE = Path("/nonexistent/perftop-replay")
#: Samples a jump records into the histories before its position at most (the longest history's length).
HISTORY_FRAMES = 300
#: What the panes whose details are read live say in replay.
NOT_RECORDED = {
    3: "replay: a process's NUMA placement (numa_maps) is not recorded; the nodes' figures are",
    5: "replay: the socket lists and their owners are not recorded; the summary and interfaces are",
}
_T = TypeVar("_T")

#: Actions of the replay's own keys, refused while a dialog or screen is on top.
REPLAY_ACTIONS = frozenset(k.action.split("(", 1)[0] for k in REPLAY_KEYS)
#: The Textual key names of each of them.
REPLAY_KEY_NAMES = {k.action.split("(", 1)[0]: set(k.keys.split(",")) for k in REPLAY_KEYS}


class ReplaySampler:
    """Stands in for the sampler: it takes no sample and reads no file (its roots name no directory)."""

    def __init__(self) -> None:
        self.fs = FS(procfs=NOWHERE / "proc", sysfs=NOWHERE / "sys")
        self.clock: Callable[[], float] = time.monotonic

    def sample(self, *_args: object, **_kwargs: object) -> Snapshot:
        raise RuntimeError("a replay takes no sample")

    def reread(self, _pids: object) -> dict[int, Any]:
        return {}

    def settings_changed(self) -> None:
        """Nothing cached: nothing to read again."""

    def close(self) -> None:
        """No file held."""


class GoToDialog(TuningDialog[int]):
    """``g``: a time to go to; a time that is not one or lies outside the recording keeps the dialog open
    with the reason."""

    def __init__(self, cursor: ReplayCursor) -> None:
        super().__init__(
            "Go to a time",
            f"recording {span_text(cursor.recording)}, {len(cursor.recording)} samples",
            f"now at {time.strftime('%H:%M:%S', time.localtime(cursor.time))}",
        )
        self._cursor = cursor

    def compose_fields(self) -> ComposeResult:
        from rich.text import Text

        yield Static(
            Text("14:05 or 14:05:30 (that day), -10m or +30s (from here), 2026-12-07T14:05", style="dim"),
            classes="dialog-hint",
        )
        yield Input(id="when", classes="dialog-input", compact=True)

    def on_mount(self) -> None:
        self.query_one("#when", Input).focus()

    def value(self) -> int:
        from perftop.tui.tuning import TuningError

        try:
            return self._cursor.index_of(self.query_one("#when", Input).value)
        except ValueError as error:
            raise TuningError(str(error)) from None


class ReplayApp(PerftopApp):
    """The App on ``recording``, shown from frame ``start`` (see the module's docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(k.keys, k.action, k.help, show=False) for k in REPLAY_KEYS
    ]

    table: ProcessTable

    def __init__(self, recording: Recording, *, start: int = 0, options: AppOptions | None = None) -> None:
        options = options or AppOptions()
        sampler: Sampler = ReplaySampler()  # type: ignore[assignment]
        super().__init__(sampler, replace(options, autorefresh=False, read_only=True))
        self.recording = recording
        self.cursor = ReplayCursor(recording, max(0, min(len(recording) - 1, start)))
        #: Held while the recording is read (by the moves' thread, and by the comparison's samples).
        self._reading = threading.Lock()
        self.samples = RecordingSamples(recording, self._reading)
        # Enter in L compares before with after over the recorded samples.
        self.comparison_source = self.samples
        #: One move at a time, in the order of the keys that asked.
        self._moving = asyncio.Lock()
        self._shown_index: int | None = None
        self._play_timer: Timer | None = None
        self._said: set[int] = set()
        #: The times of the recorded actions (the time bar's marks), read at start.
        self._marks: tuple[float, ...] = ()
        self.time_bar = TimeBar(id="time-bar")

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if widget is self.status_line:
                yield self.time_bar
            yield widget

    def on_mount(self) -> None:
        # Textual calls the App's own on_mount after this one: the replay starts once that has run.
        self.call_later(self._start_replay)

    def _start_replay(self) -> None:
        self.move_to(self.cursor.index, jump=True)
        self.run_worker(self._read_actions(), group="replay-actions")

    async def _read_actions(self) -> None:
        """The recorded actions into the log and onto the time bar (every frame is read: in a thread), then
        the recording's problems said."""
        try:
            actions = await asyncio.to_thread(self._locked, self.recording.actions)
        except RecordingError as error:
            actions = []
            self.recording.problems.append(str(error))
        self.record_actions([replayed(a) for _, a in actions])
        self._marks = tuple(a.record.time for _, a in actions)
        self._update_bar()
        problems = self.recording.problems
        if problems:
            shown = problems[:5]
            if len(problems) > 5:
                shown.append(f"... and {len(problems) - 5} more (F1 lists them all)")
            self.notify("\n".join(shown), title="Damaged recording", severity="warning", timeout=10)

    def _locked(self, read: Callable[[], _T]) -> _T:
        with self._reading:
            return read()

    # -- moving -----------------------------------------------------------------------------------------

    def move_to(self, index: int | Callable[[int], int], *, jump: bool = False) -> None:
        """Show frame ``index`` (or ``index(current)``, worked out when the move's turn comes), in a
        worker; ``jump``: start the histories afresh even if it is the next frame."""
        self.run_worker(self._move(index, jump), group="replay-move")

    async def _move(self, index: int | Callable[[int], int], jump: bool) -> None:
        async with self._moving:
            target = self.cursor.clamp(index(self.cursor.index) if callable(index) else index)
            step = not jump and self._shown_index is not None and target == self._shown_index + 1
            if not jump and target == self._shown_index:
                return
            first = target if step else max(0, target - HISTORY_FRAMES)
            try:
                snapshots = await asyncio.to_thread(self._read, first, target)
            except RecordingError as error:
                self.stop_playing()
                self.notify(str(error), title="Replay", severity="error")
                return
            self.cursor.index = self._shown_index = target
            self.show_snapshot(snapshots[-1], history=None if step else snapshots[:-1])
            self._update_bar()
            await self.refresh_pane_details(force=True)

    def _read(self, first: int, last: int) -> list[Snapshot]:
        """Frames ``first``..``last``: the last whole, those before it for the histories only."""

        def read() -> list[Snapshot]:
            recording = self.recording
            return [*(history_snapshot(recording, i) for i in range(first, last)), recording.snapshot(last)]

        return self._locked(read)

    def _update_bar(self) -> None:
        cursor = self.cursor
        self.time_bar.show(
            TimeBarState(
                self.recording.start,
                self.recording.end,
                cursor.time,
                self._marks,
                cursor.playing,
                cursor.speed,
            )
        )
        self._update_status()

    def _status_timing(self) -> str:
        cursor = self.cursor
        state = "▶" if cursor.playing else "‖"
        return f"REPLAY {cursor.index + 1}/{len(self.recording)} {state}x{cursor.speed:g}"

    # -- the replay's keys ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in REPLAY_ACTIONS:
            if len(self.screen_stack) > 1:
                return False
            # A key of the pane on screen's own (the interrupts pane's g and G) stays the pane's there.
            pane = self._on_screen()[0]
            keys = REPLAY_KEY_NAMES[action]
            if any(keys & set(k.keys.split(",")) for k in pane.keys if k.shown_only):
                return False
        return super().check_action(action, parameters)

    def action_replay_step(self, step: int) -> None:
        """``.`` and ``,``: the next or the previous sample."""
        self.stop_playing()
        self.move_to(lambda current: current + step)

    def action_replay_go_to(self) -> None:
        """``g``: ask for a time and go there."""

        def chosen(index: int | None) -> None:
            if index is not None:
                self.stop_playing()
                self.move_to(index, jump=True)

        self.push_screen(GoToDialog(self.cursor), chosen)

    def action_freeze(self) -> None:
        """``Z``: play from here at the recorded pace (times the speed), or pause."""
        if self.cursor.playing:
            self.stop_playing()
            return
        if self.cursor.index >= self.cursor.last:
            self.notify("replay: at the end of the recording (, or g goes back)", timeout=3)
            return
        self.cursor.playing = True
        self._play_next()
        self._update_bar()

    def stop_playing(self) -> None:
        """Pause (nothing when paused already)."""
        if self._play_timer is not None:
            self._play_timer.stop()
            self._play_timer = None
        if self.cursor.playing:
            self.cursor.playing = False
            self._update_bar()

    def _play_next(self) -> None:
        delay = self.cursor.play_delay()
        if delay is None:
            self.stop_playing()
            self.notify("replay: the end of the recording", timeout=3)
            return
        self._play_timer = self.set_timer(delay, self._played)

    async def _played(self) -> None:
        self._play_timer = None
        if not self.cursor.playing:
            return
        await self._move(lambda current: current + 1, False)
        if self.cursor.playing:
            self._play_next()

    def action_interval_step(self, step: int) -> None:
        """``+`` and ``-``: play faster or slower."""
        self.cursor.speed_step(step)
        self._update_bar()

    def action_replay_chart(self) -> None:
        """``G``: the chart of the selected process (or the IO pane's device) over the recording."""
        try:
            from perftop.tui.chart_screen import chart_screen_for
        except ImportError:
            self.notify("replay: charts are not in this build (perftop.tui.chart_screen)", severity="warning")
            return
        widget = self._on_screen()[1]
        device = widget.selected_device if isinstance(widget, IoPane) else None
        self.push_screen(chart_screen_for(self.recording, self.cursor.index, self.table.selected_pid, device))

    # -- what replay refuses ----------------------------------------------------------------------------

    @property
    def read_only_reason(self) -> str | None:
        return REFUSED

    def start_system(self, flow: Any, *, dialog: bool = True) -> None:
        self.notify(REFUSED, title="Replay", severity="warning")

    ACTION_LOG_TITLE = "Tuning actions in the recording"

    def _action_log_note(self) -> str:
        # The log screen spells out the control characters of its note.
        return f"Replay: the actions recorded in {self.recording.path}; Enter compares, r and w are refused."

    def revert_action(self, record: ActionRecord) -> None:
        self.notify(
            "replay: a recorded action cannot be undone from a replay; its undo command is in the log",
            title="Replay",
            severity="warning",
        )

    def write_sysctl_conf(self) -> None:
        self.notify("replay: the sysctl.d file is written from a live session's actions", title="Replay")

    def _refuse_inspection(self, what: str) -> None:
        self.notify(f"replay: {what} of a process is read live; a recording does not hold it", title="Replay")

    def action_open_files(self) -> None:
        self._refuse_inspection("the open files")

    def action_environment(self) -> None:
        self._refuse_inspection("the environment")

    def action_strace(self) -> None:
        self._refuse_inspection("tracing the system calls")

    def on_process_table_command_line_requested(self, message: Any) -> None:
        # Not the App's handler: its detail screen reads /proc of a live process.
        message.prevent_default()
        self._refuse_inspection("the detail screen (scheduler, limits, cgroup...)")

    # -- what panes read live -----------------------------------------------------------------------------

    async def action_pane(self, number: int) -> None:
        await super().action_pane(number)
        note = NOT_RECORDED.get(number)
        if note is not None and number not in self._said:
            self._said.add(number)
            self.notify(note, title="Replay", timeout=4)

    async def refresh_pane_details(self, *, force: bool = False) -> None:
        """What the pane on screen reads live for the selected process, from the frame shown instead."""
        snapshot = self.snapshot
        if snapshot is None:
            return
        widget = self._on_screen()[1]
        pid = self.table.selected_pid
        proc = next((p for p in snapshot.processes if p.pid == pid), None)
        comm = None if proc is None else proc.comm
        if isinstance(widget, TunablesPane):
            index = self.cursor.index
            data = await asyncio.to_thread(self._locked, lambda: self.recording.data(index))
            widget.show_tunables(recorded_tunables(data) or ())
        elif isinstance(widget, NumaPane):
            node = None if proc is None else proc.node
            widget.show_process(
                None if proc is None else pid, comm, None, node, "memory placement not recorded"
            )
        elif isinstance(widget, SocketsPane):
            widget.pending_text = "not recorded"
            widget.show_listening(None)
            widget.show_connections(None if proc is None else pid, comm, None)

    def _more_help_notes(self) -> list[str]:
        notes = [
            f"Replay of {escaped(str(self.recording.path))} ({span_text(self.recording)}): . and , step, "
            "g goes to a time, Z plays, + and - change the speed; tuning keys are refused; L lists the "
            "recorded "
            "actions, marked on the time bar above the status line."
        ]
        return notes + [f"Recording problem: {p}" for p in self.recording.problems]
