"""The tuning dialogs, and the flows of the tuning keys that open them.

The dialogs are modal screens that ask for a value, check it, and dismiss with it (``None``: Esc). Each
checks what was typed with the tuning module's parsers before it closes: bad input stays in the dialog with
the reason under the fields, so nothing is applied. The dialogs know nothing of processes beyond the text
they are given (who the targets are, their current values).

The flows (``*_flow``) are what a tuning key of :class:`~perftop.tui.tuning_ui.TuningActions` does with the
subjects captured when it was pressed: read their current values in a thread, open the dialog, apply the
returned value to exactly those subjects off the UI thread, then log, re-read the rows and notify. This module
is imported on the first tuning key, with the tuning module and psutil: the first frame needs none of them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

import psutil
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, RadioButton, RadioSet, Static

from perftop.probes.cpulist import format_cpu_list, format_cpu_mask
from perftop.probes.fs import read_text
from perftop.probes.snapshot import POLICY_NAMES, ProcessInfo
from perftop.tui.screens import PickerScreen
from perftop.tui.tuning import (
    CHRT_OPTIONS,
    IO_CLASSES,
    IO_CLASSES_WITH_LEVEL,
    IO_LEVEL_MAX,
    MIXED,
    NICE_MAX,
    NICE_MIN,
    OOM_SCORE_ADJ_MAX,
    OOM_SCORE_ADJ_MIN,
    RT_POLICIES,
    SIGNALS,
    TuningError,
    TuningResult,
    format_value,
    needs_rt_confirmation,
    online_cpus,
    parse_cpu_spec,
    parse_io_level,
    parse_nice,
    parse_oom_score_adj,
    parse_rt_priority,
    renice,
    rt_priority_range,
    send_signal,
    set_affinity,
    set_ionice,
    set_oom_score_adj,
    set_policy,
    thread_values,
)
from perftop.tui.tuning_ui import ActionRecord, Subject
from perftop.widgets.safe_text import escaped_lines

if TYPE_CHECKING:
    from perftop.tui.app import PerftopApp

_T = TypeVar("_T")

#: The scheduling dialog's policies, in its order (OTHER, BATCH, IDLE, FIFO, RR).
POLICIES: tuple[int, ...] = tuple(CHRT_OPTIONS)

_POLICY_HELP: dict[int, str] = {
    os.SCHED_OTHER: "normal time sharing",
    os.SCHED_BATCH: "CPU-bound batch work, fewer preemptions",
    os.SCHED_IDLE: "runs only when nothing else wants the CPU",
    os.SCHED_FIFO: "real time, runs until it blocks or yields",
    os.SCHED_RR: "real time, round robin among equal priorities",
}

_IO_HELP: dict[str, str] = {
    "none": "follows the nice value",
    "realtime": "served first; levels 0 (highest) to 7",
    "best-effort": "the default class; levels 0 (highest) to 7",
    "idle": "served only when no one else uses the disk",
}

_SIGNAL_HELP: dict[str, str] = {
    "SIGTERM": "terminate: ask the process to exit",
    "SIGINT": "interrupt, as Ctrl-C",
    "SIGHUP": "hang up; many daemons reload their configuration",
    "SIGQUIT": "quit with a core dump",
    "SIGKILL": "kill at once: cannot be caught or ignored",
    "SIGSTOP": "stop (pause): cannot be caught",
    "SIGCONT": "continue a stopped process",
    "SIGTSTP": "stop from the terminal, as Ctrl-Z",
    "SIGUSR1": "user-defined 1",
    "SIGUSR2": "user-defined 2",
    "SIGALRM": "alarm clock",
    "SIGWINCH": "window size changed",
    "SIGABRT": "abort with a core dump",
}


@dataclass(frozen=True, slots=True)
class SchedulingChoice:
    """What the scheduling dialog returns: ``os.SCHED_*`` policy, RT priority (0 for the others)."""

    policy: int
    priority: int
    reset_on_fork: bool
    all_threads: bool


@dataclass(frozen=True, slots=True)
class AffinityChoice:
    """What the affinity dialog returns: a non-empty set of online CPUs."""

    cpus: frozenset[int]
    all_threads: bool


@dataclass(frozen=True, slots=True)
class IoChoice:
    """What the IO priority dialog returns: one of ``IO_CLASSES`` and its level (``None``: no level)."""

    ioclass: str
    level: int | None
    all_threads: bool


def signal_choices() -> list[tuple[str, str]]:
    """``(id, label)`` pairs for a picker of :data:`perftop.tui.tuning.SIGNALS`, TERM first."""
    return [
        (s.name.removeprefix("SIG"), f"{s.value:>2} {s.name:<8} {_SIGNAL_HELP.get(s.name, '')}")
        for s in SIGNALS
    ]


class TuningDialog(ModalScreen[_T | None]):
    """The frame every tuning dialog shares: a title, who it acts on, their current value, the fields,
    an error line and Apply/Cancel. Enter in a field applies, Esc cancels.

    Subclasses yield their fields from :meth:`compose_fields` and turn them into a value in
    :meth:`value`, raising :class:`TuningError` for bad input (shown in ``#dialog-error``).
    """

    CSS_PATH = "dialogs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel", show=False)]

    def __init__(self, title: str, subject: str, current: str) -> None:
        super().__init__(classes="tuning-dialog")
        self._title = title
        self._subject = subject
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-frame"):
            yield Static(Text(self._title, style="bold"), classes="dialog-title")
            yield Static(Text(escaped_lines(self._subject)), classes="dialog-subject")
            yield Static(Text(escaped_lines(self._current)), id="dialog-current", classes="dialog-current")
            yield from self.compose_fields()
            yield Static(id="dialog-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    def compose_fields(self) -> ComposeResult:
        """The dialog's own fields."""
        yield from ()

    def value(self) -> _T:
        """The value the fields hold; raises :class:`TuningError` when it is not acceptable."""
        raise NotImplementedError

    @property
    def error(self) -> str:
        """The message on the error line ("" when none)."""
        return str(self.query_one("#dialog-error", Static).render())

    def show_error(self, message: str) -> None:
        """Put ``message`` on the error line."""
        self.query_one("#dialog-error", Static).update(Text(escaped_lines(message)))

    def action_apply(self) -> None:
        """Dismiss with the value, or stay open showing why it is refused."""
        try:
            chosen = self.value()
        except TuningError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_key(self, event: events.Key) -> None:
        # Stop Esc here: the App's own Esc handler (closing its search box) must not see it.
        if event.key == "escape":
            event.stop()
            self.action_cancel()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        # Textual also calls this for a subclass's own buttons: act on Apply and Cancel only.
        if event.button.id == "apply":
            event.stop()
            self.action_apply()
        elif event.button.id == "cancel":
            event.stop()
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Stopped so the App's handler (which hides its search box) never sees a dialog's field.
        event.stop()
        self.action_apply()


class _NumberDialog(TuningDialog[int]):
    """One whole number typed in a field."""

    def __init__(self, title: str, subject: str, current: str, hint: str, initial: str) -> None:
        super().__init__(title, subject, current)
        self._hint = hint
        self._initial = initial

    def compose_fields(self) -> ComposeResult:
        yield Static(Text(self._hint, style="dim"), classes="dialog-hint")
        yield Input(self._initial, id="value", classes="dialog-input", compact=True)

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    def value(self) -> int:
        return self.parse(self.query_one("#value", Input).value)

    def parse(self, text: str) -> int:
        """The number ``text`` stands for."""
        raise NotImplementedError


class NiceDialog(_NumberDialog):
    """renice: a nice value -20..19 for every thread of the targets."""

    def __init__(self, subject: str, current: str, initial: int | None = None) -> None:
        super().__init__(
            "Renice",
            subject,
            current,
            f"nice {NICE_MIN} (most CPU) .. {NICE_MAX} (least); lowering needs root or CAP_SYS_NICE",
            "" if initial is None else str(initial),
        )

    def parse(self, text: str) -> int:
        return parse_nice(text)


class OomScoreDialog(_NumberDialog):
    """The OOM score adjustment, -1000..1000."""

    def __init__(self, subject: str, current: str, initial: int | None = None) -> None:
        super().__init__(
            "OOM score adjustment",
            subject,
            current,
            f"{OOM_SCORE_ADJ_MIN} (never killed) .. {OOM_SCORE_ADJ_MAX} (killed first); "
            "lowering needs CAP_SYS_RESOURCE",
            "" if initial is None else str(initial),
        )

    def parse(self, text: str) -> int:
        return parse_oom_score_adj(text)


class RtPriorityDialog(_NumberDialog):
    """The RT priority of a FIFO/RR process, its policy kept."""

    def __init__(self, subject: str, current: str, policy: int, initial: int | None = None) -> None:
        lo, hi = rt_priority_range(policy)
        self._policy = policy
        super().__init__(
            "Real-time priority",
            subject,
            current,
            f"{POLICY_NAMES[policy]} priority {lo} (lowest) .. {hi} (highest); the policy stays",
            "" if initial is None else str(initial),
        )

    def parse(self, text: str) -> int:
        return parse_rt_priority(text, self._policy)


class SchedulingDialog(TuningDialog[SchedulingChoice]):
    """chrt: a policy, the RT priority (FIFO and RR only), reset-on-fork, all threads or the main one."""

    def __init__(
        self,
        subject: str,
        current: str,
        policy: int = os.SCHED_OTHER,
        priority: int | None = None,
        reset_on_fork: bool = False,
    ) -> None:
        super().__init__("Scheduling policy", subject, current)
        self._policy = policy if policy in POLICIES else os.SCHED_OTHER
        self._priority = priority
        self._reset_on_fork = reset_on_fork

    def compose_fields(self) -> ComposeResult:
        with RadioSet(id="policy"):
            for policy in POLICIES:
                label = f"{POLICY_NAMES[policy]:<12} {_POLICY_HELP[policy]}"
                yield RadioButton(label, value=policy == self._policy)
        yield Static(id="priority-range", classes="dialog-hint")
        initial = "" if self._priority is None or self._policy not in RT_POLICIES else str(self._priority)
        yield Input(initial, id="priority", placeholder="RT priority", classes="dialog-input", compact=True)
        yield Checkbox(
            "reset on fork (children start as SCHED_OTHER)", self._reset_on_fork, id="reset-on-fork"
        )
        yield Checkbox("all threads (off: the main thread only)", True, id="all-threads", compact=True)

    def on_mount(self) -> None:
        self._policy_changed()
        self.query_one("#policy", RadioSet).focus()

    @property
    def policy(self) -> int:
        """The policy chosen now."""
        index = self.query_one("#policy", RadioSet).pressed_index
        return POLICIES[index] if index >= 0 else self._policy

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._policy_changed()

    def _policy_changed(self) -> None:
        policy = self.policy
        field = self.query_one("#priority", Input)
        label = self.query_one("#priority-range", Static)
        if policy in RT_POLICIES:
            lo, hi = rt_priority_range(policy)
            field.disabled = False
            label.update(Text(f"RT priority {lo} (lowest) .. {hi} (highest) for {POLICY_NAMES[policy]}"))
        else:
            field.disabled = True
            label.update(Text(f"no RT priority for {POLICY_NAMES[policy]} (only FIFO and RR take one)"))
        self.show_error("")

    def value(self) -> SchedulingChoice:
        policy = self.policy
        priority = 0
        if policy in RT_POLICIES:
            priority = parse_rt_priority(self.query_one("#priority", Input).value, policy)
        return SchedulingChoice(
            policy,
            priority,
            self.query_one("#reset-on-fork", Checkbox).value,
            self.query_one("#all-threads", Checkbox).value,
        )


class IoPriorityDialog(TuningDialog[IoChoice]):
    """ionice: a class (none, realtime, best-effort, idle) and a level 0..7 for the two that take one."""

    def __init__(self, subject: str, current: str, ioclass: str = "none", level: int | None = None) -> None:
        super().__init__("IO priority", subject, current)
        self._ioclass = ioclass if ioclass in IO_CLASSES else "none"
        self._level = level

    def compose_fields(self) -> ComposeResult:
        with RadioSet(id="ioclass"):
            for number, name in enumerate(IO_CLASSES):
                yield RadioButton(f"{number} {name:<12} {_IO_HELP[name]}", value=name == self._ioclass)
        yield Static(id="level-range", classes="dialog-hint")
        initial = "" if self._level is None else str(self._level)
        yield Input(initial, id="level", placeholder="level", classes="dialog-input", compact=True)
        yield Checkbox("all threads (off: the main thread only)", True, id="all-threads", compact=True)

    def on_mount(self) -> None:
        self._class_changed()
        self.query_one("#ioclass", RadioSet).focus()

    @property
    def ioclass(self) -> str:
        """The class chosen now."""
        index = self.query_one("#ioclass", RadioSet).pressed_index
        return IO_CLASSES[index] if index >= 0 else self._ioclass

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self._class_changed()

    def _class_changed(self) -> None:
        ioclass = self.ioclass
        takes_level = ioclass in IO_CLASSES_WITH_LEVEL
        self.query_one("#level", Input).disabled = not takes_level
        text = f"level 0 (highest) .. {IO_LEVEL_MAX} (lowest)" if takes_level else f"no level for {ioclass}"
        self.query_one("#level-range", Static).update(Text(text))
        self.show_error("")

    def value(self) -> IoChoice:
        ioclass = self.ioclass
        level = None
        if ioclass in IO_CLASSES_WITH_LEVEL:
            level = parse_io_level(self.query_one("#level", Input).value, ioclass)
        return IoChoice(ioclass, level, self.query_one("#all-threads", Checkbox).value)


class AffinityDialog(TuningDialog[AffinityChoice]):
    """taskset: one checkbox per online CPU grouped by NUMA node (all/none per node), and a field taking
    a list (``0-2,7``) or a hex mask (``0x5``). The field and the boxes follow each other: ticking a box
    rewrites the field as a list, typing a valid list or mask ticks the boxes."""

    def __init__(
        self,
        subject: str,
        current: str,
        online: Collection[int],
        nodes: Sequence[tuple[int, Sequence[int]]],
        initial: Collection[int] | None = None,
    ) -> None:
        super().__init__("CPU affinity", subject, current)
        self._online = frozenset(online)
        groups: list[tuple[str, tuple[int, ...]]] = []
        placed: set[int] = set()
        for node, cpus in nodes:
            mine = tuple(sorted(c for c in cpus if c in self._online and c not in placed))
            if mine:
                groups.append((f"node {node}", mine))
                placed.update(mine)
        rest = tuple(sorted(self._online - placed))
        if rest:
            groups.append(("no node" if groups else "CPUs", rest))
        self._groups = groups
        self._initial = frozenset(initial) & self._online if initial is not None else self._online

    def compose_fields(self) -> ComposeResult:
        with VerticalScroll(id="cpu-groups"):
            for index, (name, cpus) in enumerate(self._groups):
                with Horizontal(classes="cpu-group-head"):
                    yield Static(Text(f"{name}: {format_cpu_list(cpus)}", style="bold"), classes="cpu-group")
                    yield Button("all", id=f"group-{index}-all", classes="group-button", compact=True)
                    yield Button("none", id=f"group-{index}-none", classes="group-button", compact=True)
                with Grid(classes="cpu-grid"):
                    for cpu in cpus:
                        yield Checkbox(str(cpu), cpu in self._initial, id=f"cpu-{cpu}", compact=True)
        yield Static(
            Text("CPUs: a list such as 0-2,7 or a hex mask such as 0x5", style="dim"), classes="dialog-hint"
        )
        yield Input(format_cpu_list(self._initial), id="cpus", classes="dialog-input", compact=True)
        yield Static(id="cpu-forms", classes="dialog-hint")
        yield Checkbox("all threads (off: the main thread only)", True, id="all-threads", compact=True)

    def on_mount(self) -> None:
        self._show_forms(self._initial)
        self.query_one("#cpus", Input).focus()

    def checked(self) -> frozenset[int]:
        """The CPUs whose box is ticked."""
        return frozenset(c for _, cpus in self._groups for c in cpus if self._box(c).value)

    def _box(self, cpu: int) -> Checkbox:
        return self.query_one(f"#cpu-{cpu}", Checkbox)

    def _show_forms(self, cpus: frozenset[int]) -> None:
        text = f"= list {format_cpu_list(cpus)} = mask {format_cpu_mask(cpus)}" if cpus else "= no CPU"
        self.query_one("#cpu-forms", Static).update(Text(text))

    def _tick(self, cpus: frozenset[int]) -> None:
        for _, group in self._groups:
            for cpu in group:
                box = self._box(cpu)
                if box.value != (cpu in cpus):
                    # Silently: the field already says this; a Changed would rewrite what was typed.
                    with box.prevent(Checkbox.Changed):
                        box.value = cpu in cpus

    def _boxes_changed(self) -> None:
        cpus = self.checked()
        field = self.query_one("#cpus", Input)
        with field.prevent(Input.Changed):
            field.value = format_cpu_list(cpus)
        self._show_forms(cpus)
        self.show_error("" if cpus else "no CPU ticked: a process needs at least one")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if event.checkbox.id and event.checkbox.id.startswith("cpu-"):
            self._boxes_changed()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.input.id != "cpus":
            return
        try:
            cpus = parse_cpu_spec(event.value, self._online)
        except TuningError as exc:
            self.show_error(str(exc))
            return
        self.show_error("")
        self._tick(cpus)
        self._show_forms(cpus)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        ident = event.button.id or ""
        if not ident.startswith("group-"):
            return
        event.stop()
        _, index, which = ident.split("-")
        for cpu in self._groups[int(index)][1]:
            box = self._box(cpu)
            with box.prevent(Checkbox.Changed):
                box.value = which == "all"
        self._boxes_changed()

    def value(self) -> AffinityChoice:
        cpus = parse_cpu_spec(self.query_one("#cpus", Input).value, self._online)
        return AffinityChoice(cpus, self.query_one("#all-threads", Checkbox).value)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question with the reason it is asked: ``y`` or Apply says yes, ``n`` or Esc says no."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "yes", show=False),
        Binding("n", "answer(False)", "no", show=False),
    ]

    def __init__(self, title: str, question: str, reason: str) -> None:
        super().__init__(classes="tuning-dialog")
        self._title = title
        self._question = question
        self._reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-frame"):
            yield Static(Text(self._title, style="bold"), classes="dialog-title")
            yield Static(Text(escaped_lines(self._question)), classes="dialog-subject")
            yield Static(Text("Why ask: " + self._reason), id="confirm-reason", classes="dialog-warning")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (y)", variant="warning", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")


# --- the flows of the tuning keys ------------------------------------------------------------------------


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


def _describe_subjects(subjects: Sequence[Subject]) -> str:
    if len(subjects) == 1:
        s = subjects[0]
        return f"process {s.target.pid}: {s.shown_cmdline}"
    shown = ", ".join(s.label for s in subjects[:6])
    more = f" and {len(subjects) - 6} more" if len(subjects) > 6 else ""
    return f"{len(subjects)} tagged processes: {shown}{more}"


# Current values, read in a thread when a dialog opens.


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


# The flows: each runs in a worker of the App, for the subjects captured when its key was pressed.


async def nice_step_flow(app: PerftopApp, subjects: list[Subject], step: int) -> None:
    """F7/F8: nice one step down or up, at once."""

    def apply(s: Subject) -> TuningResult:
        try:
            now = os.getpriority(os.PRIO_PROCESS, s.target.pid)
        except OSError:
            raise TuningError(f"process {s.target.pid} has exited; nothing was changed") from None
        return renice(s.target, now + step)

    await run_action(app, "nice", subjects, apply)


async def renice_flow(app: PerftopApp, subjects: list[Subject]) -> None:
    """n: type a nice value."""
    current = await asyncio.to_thread(_current_line, subjects, "nice", "nice")
    initial = None
    if len(subjects) == 1:
        now = await asyncio.to_thread(current_value, subjects[0].target.pid, "nice")
        initial = int(now) if now.lstrip("-").isdigit() else None
    nice = await app.push_screen_wait(NiceDialog(_describe_subjects(subjects), current, initial))
    if nice is not None:
        await run_action(app, "nice", subjects, lambda s: renice(s.target, nice))


async def oom_score_adj_flow(app: PerftopApp, subjects: list[Subject]) -> None:
    """o: type an OOM score adjustment."""
    current = await asyncio.to_thread(_current_line, subjects, "oom", "OOM score adjustment")
    value = await app.push_screen_wait(OomScoreDialog(_describe_subjects(subjects), current))
    if value is not None:
        await run_action(app, "oom_score_adj", subjects, lambda s: set_oom_score_adj(s.target, value))


async def scheduling_flow(app: PerftopApp, subjects: list[Subject]) -> None:
    """Y: policy, RT priority, reset-on-fork, all threads."""
    current = await asyncio.to_thread(_current_line, subjects, "policy", "policy")
    now = await asyncio.to_thread(_scheduling_of, subjects[0].target.pid)
    policy, priority, reset = now if now is not None else (os.SCHED_OTHER, 0, False)
    dialog = SchedulingDialog(_describe_subjects(subjects), current, policy, priority, reset)
    choice: SchedulingChoice | None = await app.push_screen_wait(dialog)
    if choice is None or not await _confirm_rt(app, subjects, choice.policy, choice.priority):
        return

    def apply(s: Subject) -> TuningResult:
        return set_policy(s.target, choice.policy, choice.priority, choice.reset_on_fork, choice.all_threads)

    await run_action(app, "policy", subjects, apply)


async def rt_priority_flow(app: PerftopApp, subjects: list[Subject]) -> None:
    """R: the RT priority of FIFO/RR processes, each keeping its policy."""
    policies = await asyncio.to_thread(lambda: [_scheduling_of(s.target.pid) for s in subjects])
    realtime = [(s, p) for s, p in zip(subjects, policies, strict=True) if p and p[0] in RT_POLICIES]
    if not realtime:
        first = policies[0]
        name = "exited" if first is None else POLICY_NAMES.get(first[0], str(first[0]))
        app.notify(
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
    value = await app.push_screen_wait(dialog)
    if value is None or not await _confirm_rt(app, chosen, policy, value):
        return

    def apply(s: Subject) -> TuningResult:
        own_policy, _, reset = schedules[s.target.pid]
        # Only the main thread, whose policy was read: "all threads" would make every thread real-time,
        # including ones that were SCHED_OTHER.
        return set_policy(s.target, own_policy, value, reset, all_threads=False)

    skipped = [s for s in subjects if s not in chosen]
    await run_action(
        app, "policy", chosen, apply, [Outcome(s, None, "not SCHED_FIFO/RR: left alone") for s in skipped]
    )


async def affinity_flow(app: PerftopApp, subjects: list[Subject]) -> None:
    """a: CPU affinity by NUMA node, list or mask."""
    current = await asyncio.to_thread(_current_line, subjects, "affinity", "CPUs")
    online = await asyncio.to_thread(online_cpus)
    if not online:
        app.notify("Cannot tell which CPUs are online.", severity="error")
        return
    nodes = [] if app.snapshot is None else [(n.node, n.cpus or ()) for n in app.snapshot.numa.nodes]
    initial = await asyncio.to_thread(lambda: thread_values(subjects[0].target.pid))
    cpus = None if initial is None or not isinstance(initial.affinity, frozenset) else initial.affinity
    dialog = AffinityDialog(_describe_subjects(subjects), current, online, nodes, cpus)
    choice: AffinityChoice | None = await app.push_screen_wait(dialog)
    if choice is not None:
        await run_action(
            app, "affinity", subjects, lambda s: set_affinity(s.target, choice.cpus, choice.all_threads)
        )


async def ionice_flow(app: PerftopApp, subjects: list[Subject]) -> None:
    """i: IO class and level."""
    current = await asyncio.to_thread(_current_line, subjects, "ionice", "IO priority")
    now = (await asyncio.to_thread(current_value, subjects[0].target.pid, "ionice")).split()
    ioclass = now[0] if now and now[0] in IO_CLASSES else "none"
    level = int(now[1]) if len(now) > 1 else None
    dialog = IoPriorityDialog(_describe_subjects(subjects), current, ioclass, level)
    choice: IoChoice | None = await app.push_screen_wait(dialog)
    if choice is not None:
        await run_action(
            app,
            "ionice",
            subjects,
            lambda s: set_ionice(s.target, choice.ioclass, choice.level, choice.all_threads),
        )


async def send_signal_flow(app: PerftopApp, subjects: list[Subject]) -> None:
    """k/F9: a signal from the common ones, TERM first."""
    title = "Send a signal to " + _describe_subjects(subjects)
    name = await app.push_screen_wait(PickerScreen(title, signal_choices(), "TERM"))
    if name is not None:
        await run_action(app, "signal", subjects, lambda s: send_signal(s.target, name))


# Applying.


async def _confirm_rt(app: PerftopApp, subjects: Sequence[Subject], policy: int, priority: int) -> bool:
    if policy not in RT_POLICIES:
        return True
    union = await asyncio.to_thread(_affinity_union, subjects)
    online = await asyncio.to_thread(online_cpus) or frozenset()
    reason = needs_rt_confirmation(policy, priority, union, online)
    if reason is None:
        return True
    question = f"Set {POLICY_NAMES[policy]} priority {priority} on {_describe_subjects(subjects)}?"
    return bool(await app.push_screen_wait(ConfirmDialog("Real-time scheduling", question, reason)))


def _apply_each(subjects: Sequence[Subject], apply: Callable[[Subject], TuningResult]) -> list[Outcome]:
    outcomes = []
    for s in subjects:
        try:
            outcomes.append(Outcome(s, apply(s), None))
        except TuningError as exc:
            outcomes.append(Outcome(s, None, str(exc)))
    return outcomes


async def run_action(
    app: PerftopApp,
    what: str,
    subjects: Sequence[Subject],
    apply: Callable[[Subject], TuningResult],
    skipped: Sequence[Outcome] = (),
) -> list[Outcome]:
    """Apply to each subject in a thread, then log, re-read the rows and notify."""
    async with app._tuning_lock:
        outcomes = await asyncio.to_thread(_apply_each, subjects, apply)
        outcomes += skipped
        when = time.time()
        for o in outcomes:
            r = o.result
            app.action_log.append(
                ActionRecord(
                    when,
                    o.subject,
                    what,
                    "-" if r is None else (MIXED if r.mixed_before else format_value(r.old)),
                    "-" if r is None else format_value(r.new) + (f" ({MIXED})" if r.mixed_after else ""),
                    "-" if r is None else r.command,
                    "ok" if r is not None and r.ok else (o.error or "; ".join(f.message for f in r.failed)),
                )
            )
        path = app.options.log_actions
        if path is not None:
            try:
                await asyncio.to_thread(append_script, path, outcomes, when)
            except OSError as exc:
                app.notify(f"Cannot append to {path}: {exc.strerror}", severity="error")
        rows = await asyncio.to_thread(app.sampler.reread, [s.target.pid for s in subjects])
        _show_reread(app, rows)
    failed = [o for o in outcomes if o.result is None or not o.result.ok]
    severity = "information" if not failed else "error" if len(failed) == len(outcomes) else "warning"
    app.notify("\n".join(o.line() for o in outcomes), title=what, severity=severity, timeout=8)
    return outcomes


def _show_reread(app: PerftopApp, rows: dict[int, ProcessInfo]) -> None:
    if not rows:
        return
    app.table.replace_processes(list(rows.values()))
    snapshot = app.snapshot
    if snapshot is not None:
        # So unfreezing (Z) shows the new values, not the sample taken before the action.
        procs = tuple(
            rows[p.pid] if p.pid in rows and rows[p.pid].start_time == p.start_time else p
            for p in snapshot.processes
        )
        app.snapshot = replace(snapshot, processes=procs)


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
        # Escaped: a line break would turn the rest of the command line into commands, and an escape
        # sequence would act on the terminal of whoever reads the script.
        lines.append(f"# {stamp} pid {t.pid} start time {t.start_time}: {o.subject.shown_cmdline}\n")
        lines.append(o.result.command + "\n")
    with open(path, "a", encoding="utf-8") as f:
        if f.tell() == 0:
            f.write(SCRIPT_HEADER)
        f.writelines(lines)
