"""The tuning dialogs: the modal screens that answer the questions of the tuning keys' flows.

Each dialog asks for a value, checks it, and dismisses with it (``None``: Esc). It checks what was typed
with the tuning module's parsers before it closes: bad input stays in the dialog with the reason under the
fields, so nothing is applied. The dialogs know nothing of processes beyond the text they are given (who
the targets are, their current values). :func:`dialog_for` is the dialog that answers a flow's
:class:`~perftop.tui.tuning_flows.Question`.

Layers: the App's tuning keys (:mod:`perftop.tui.tuning_ui`) open these; they use the flows' question and
answer types (:mod:`perftop.tui.tuning_flows`) and the tuning module's parsers, never the App. Imported on
the first tuning key that asks: the first frame needs none of them.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from typing import Any, ClassVar, TypeVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Static

from perftop.probes.cpulist import format_cpu_list, format_cpu_mask
from perftop.probes.snapshot import POLICY_NAMES
from perftop.probes.tunables import TunableValue
from perftop.tui.screens import PickerScreen
from perftop.tui.system_tuning import parse_tunable
from perftop.tui.tuning import (
    CHRT_OPTIONS,
    IO_CLASSES,
    IO_CLASSES_WITH_LEVEL,
    IO_LEVEL_MAX,
    NICE_MAX,
    NICE_MIN,
    OOM_SCORE_ADJ_MAX,
    OOM_SCORE_ADJ_MIN,
    RT_POLICIES,
    SIGNALS,
    TuningError,
    parse_cpu_spec,
    parse_io_level,
    parse_nice,
    parse_oom_score_adj,
    parse_rt_priority,
    rt_priority_range,
)
from perftop.tui.tuning_flows import (
    AffinityChoice,
    AskAffinity,
    AskConfirm,
    AskIoPriority,
    AskNice,
    AskOomScore,
    AskPath,
    AskPick,
    AskRtPriority,
    AskScheduling,
    AskSignal,
    AskTunable,
    IoChoice,
    Question,
    SchedulingChoice,
)
from perftop.widgets.safe_text import escaped, escaped_lines

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


def signal_choices() -> list[tuple[str, str]]:
    """``(id, label)`` pairs for a picker of :data:`perftop.tui.tuning.SIGNALS`, TERM first."""
    return [
        (s.name.removeprefix("SIG"), f"{s.value:>2} {s.name:<8} {_SIGNAL_HELP.get(s.name, '')}")
        for s in SIGNALS
    ]


class Tick(Checkbox, inherit_bindings=False):
    """A checkbox whose box is empty when off: Textual's shows an X either way, told apart only by colour
    (``NO_COLOR``, a 16-colour terminal and a screen reader see none). Space toggles it; Enter is left to
    the dialog, which applies."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_button", "toggle", show=False)]

    @property  # type: ignore[override]  # Textual's class attribute, made to follow the value
    def BUTTON_INNER(self) -> str:
        return "X" if self.value else " "


class Choices(Widget, can_focus=True):
    """One of several options, one a line; the chosen one is marked ``▐●▌``, the others ``▐ ▌``, so that
    they differ without colour too. The arrow keys and a click choose (as a radio group does); Enter is
    left to the dialog, which applies. ``index`` is the chosen option; changing it posts :class:`Changed`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,left", "step(-1)", "previous option", show=False),
        Binding("down,right", "step(1)", "next option", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"choices--button", "choices--button-on", "choices--chosen"}

    DEFAULT_CSS = """
    Choices {
        height: auto;
        width: 1fr;
        background: $surface;
        pointer: pointer;
        & > .choices--button { color: $panel-darken-2; background: $panel; }
        & > .choices--button-on { color: $text-success; background: $panel; text-style: bold; }
        & > .choices--chosen { background: $block-cursor-blurred-background; }
        &:focus > .choices--chosen {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
    }
    """

    index: reactive[int] = reactive(0)

    class Changed(Message):
        """The chosen option changed to ``index``."""

        def __init__(self, choices: Choices, index: int) -> None:
            super().__init__()
            self.choices = choices
            self.index = index

        @property
        def control(self) -> Choices:
            return self.choices

    def __init__(self, labels: Sequence[str], index: int = 0, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._labels = tuple(labels)
        with self.prevent(self.Changed):
            self.index = index if 0 <= index < len(self._labels) else 0

    def watch_index(self, index: int) -> None:
        self.post_message(self.Changed(self, index))

    def action_step(self, step: int) -> None:
        """Choose the option ``step`` lines down (up when negative), wrapping round."""
        self.index = (self.index + step) % len(self._labels)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and 0 <= offset.y < len(self._labels):
            self.index = offset.y
        self.focus()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._labels)

    def render(self) -> Text:
        button = self.get_component_rich_style("choices--button")
        button_on = self.get_component_rich_style("choices--button-on")
        chosen = self.get_component_rich_style("choices--chosen")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        for number, label in enumerate(self._labels):
            on = number == self.index
            inner = button_on if on else button
            # The half blocks frame the mark in its own background colour, as Textual's toggle buttons do.
            side = Style(color=inner.bgcolor, bgcolor=self.rich_style.bgcolor)
            text.append("\n" if number else "")
            text.append("▐", side).append("●" if on else " ", inner).append("▌", side)
            text.append(f" {label} ", chosen if on else None)
        return text


class TuningDialog(ModalScreen[_T | None]):
    """The frame every tuning dialog shares: a title, who it acts on, their current value, the fields,
    an error line and Apply/Cancel. Enter applies from any field (Tab moves between them), Esc cancels.

    The title and the buttons keep their place at the top and bottom of the frame, and what lies between
    scrolls when the terminal is too short for it (80x24 is the size every dialog is made to fit).
    Subclasses yield their fields from :meth:`compose_fields` and turn them into a value in
    :meth:`value`, raising :class:`TuningError` for bad input (shown in ``#dialog-error``).
    """

    CSS_PATH = "dialogs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", show=False),
        Binding("enter", "apply", "apply", show=False),
    ]

    def __init__(self, title: str, subject: str, current: str) -> None:
        super().__init__(classes="tuning-dialog")
        self._title = title
        self._subject = subject
        self._current = current

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog-frame", can_focus=False):
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
        labels = [f"{POLICY_NAMES[policy]:<12} {_POLICY_HELP[policy]}" for policy in POLICIES]
        yield Choices(labels, POLICIES.index(self._policy), id="policy")
        yield Static(id="priority-range", classes="dialog-hint")
        initial = "" if self._priority is None or self._policy not in RT_POLICIES else str(self._priority)
        yield Input(initial, id="priority", placeholder="RT priority", classes="dialog-input", compact=True)
        reset = "reset on fork (children start as SCHED_OTHER)"
        yield Tick(reset, self._reset_on_fork, id="reset-on-fork", compact=True)
        yield Tick("all threads (off: the main thread only)", True, id="all-threads", compact=True)

    def on_mount(self) -> None:
        self._policy_changed()
        self.query_one("#policy", Choices).focus()

    @property
    def policy(self) -> int:
        """The policy chosen now."""
        return POLICIES[self.query_one("#policy", Choices).index]

    def on_choices_changed(self, event: Choices.Changed) -> None:
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
            self.query_one("#reset-on-fork", Tick).value,
            self.query_one("#all-threads", Tick).value,
        )


class IoPriorityDialog(TuningDialog[IoChoice]):
    """ionice: a class (none, realtime, best-effort, idle) and a level 0..7 for the two that take one."""

    def __init__(self, subject: str, current: str, ioclass: str = "none", level: int | None = None) -> None:
        super().__init__("IO priority", subject, current)
        self._ioclass = ioclass if ioclass in IO_CLASSES else "none"
        self._level = level

    def compose_fields(self) -> ComposeResult:
        labels = [f"{number} {name:<12} {_IO_HELP[name]}" for number, name in enumerate(IO_CLASSES)]
        yield Choices(labels, IO_CLASSES.index(self._ioclass), id="ioclass")
        yield Static(id="level-range", classes="dialog-hint")
        initial = "" if self._level is None else str(self._level)
        yield Input(initial, id="level", placeholder="level", classes="dialog-input", compact=True)
        yield Tick("all threads (off: the main thread only)", True, id="all-threads", compact=True)

    def on_mount(self) -> None:
        self._class_changed()
        self.query_one("#ioclass", Choices).focus()

    @property
    def ioclass(self) -> str:
        """The class chosen now."""
        return IO_CLASSES[self.query_one("#ioclass", Choices).index]

    def on_choices_changed(self, event: Choices.Changed) -> None:
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
        return IoChoice(ioclass, level, self.query_one("#all-threads", Tick).value)


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
        threads: bool = True,
    ) -> None:
        super().__init__("CPU affinity", subject, current)
        #: Whether the "all threads" box is offered (not for an IRQ).
        self._threads = threads
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
                        yield Tick(str(cpu), cpu in self._initial, id=f"cpu-{cpu}", compact=True)
        yield Static(
            Text("CPUs: a list such as 0-2,7 or a hex mask such as 0x5", style="dim"), classes="dialog-hint"
        )
        yield Input(format_cpu_list(self._initial), id="cpus", classes="dialog-input", compact=True)
        yield Static(id="cpu-forms", classes="dialog-hint")
        if self._threads:
            yield Tick("all threads (off: the main thread only)", True, id="all-threads", compact=True)

    def on_mount(self) -> None:
        self._show_forms(self._initial)
        self.query_one("#cpus", Input).focus()

    def checked(self) -> frozenset[int]:
        """The CPUs whose box is ticked."""
        return frozenset(c for _, cpus in self._groups for c in cpus if self._box(c).value)

    def _box(self, cpu: int) -> Tick:
        return self.query_one(f"#cpu-{cpu}", Tick)

    def _show_forms(self, cpus: frozenset[int] | None) -> None:
        """The summary line: ``cpus`` as a list and a mask (``None``: the field holds no CPU set)."""
        if cpus is None:
            text = "= no CPU set: see the error below"
        elif cpus:
            text = f"= list {format_cpu_list(cpus)} = mask {format_cpu_mask(cpus)}"
        else:
            text = "= no CPU"
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
            # The field's value now, not the event's: a box ticked since rewrote it.
            cpus = parse_cpu_spec(event.input.value, self._online)
        except TuningError as exc:
            self.show_error(str(exc))
            self._show_forms(None)
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
        return AffinityChoice(cpus, not self._threads or self.query_one("#all-threads", Tick).value)


class TunableDialog(TuningDialog[str]):
    """A new value for one tunable: its meaning, file, valid range or choices and current value shown; a
    field for numbers (one, or several separated by spaces as ``tcp_rmem`` takes them), a list for a
    choice. The value is checked as the tunable takes it before the dialog closes."""

    def __init__(self, current: TunableValue) -> None:
        tunable = current.tunable
        subject = f"{tunable.explained}\n{current.path}"
        super().__init__(f"Change {escaped(tunable.key)}", subject, f"now: {current.value or '-'}")
        self._tunable = current

    def compose_fields(self) -> ComposeResult:
        current = self._tunable
        hint = "takes " + escaped(current.tunable.range_text(current.choices))
        yield Static(Text(hint, style="dim"), classes="dialog-hint")
        if current.tunable.kind == "choice":
            choices = current.choices or ()
            index = choices.index(current.value) if current.value in choices else 0
            yield Choices([escaped(c) for c in choices], index, id="choice")
        else:
            yield Input(current.value or "", id="value", classes="dialog-input", compact=True)

    def on_mount(self) -> None:
        if self._tunable.tunable.kind == "choice":
            self.query_one("#choice", Choices).focus()
        else:
            self.query_one("#value", Input).focus()

    def on_choices_changed(self, event: Choices.Changed) -> None:
        event.stop()
        self.show_error("")

    def value(self) -> str:
        current = self._tunable
        if current.tunable.kind == "choice":
            choices = current.choices or ()
            index = self.query_one("#choice", Choices).index
            text = choices[index] if 0 <= index < len(choices) else ""
        else:
            text = self.query_one("#value", Input).value
        return parse_tunable(current.tunable, text, current.choices)


class PathDialog(TuningDialog[str]):
    """A file's path to write, the field starting at a suggestion; ``error`` shows why the path typed
    before was refused (the flow writes the file and opens this again when it cannot)."""

    def __init__(self, title: str, subject: str, initial: str, error: str | None = None) -> None:
        super().__init__(title, subject, "")
        self._initial = initial
        self._error = error

    def compose_fields(self) -> ComposeResult:
        yield Static(
            Text("a new file's path (~ is your home); perftop never picks one under /etc", style="dim"),
            classes="dialog-hint",
        )
        yield Input(self._initial, id="path", classes="dialog-input", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()
        if self._error:
            self.show_error(self._error)

    def value(self) -> str:
        typed = self.query_one("#path", Input).value.strip()
        if not typed:
            raise TuningError("type a path, such as ./perftop-sysctl.conf")
        if "\0" in typed:
            raise TuningError("a path cannot hold a NUL character")
        return typed


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
        with VerticalScroll(classes="dialog-frame", can_focus=False):
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


def dialog_for(question: Question[Any]) -> ModalScreen[Any]:
    """The dialog that answers ``question``."""
    match question:
        case AskNice():
            return NiceDialog(question.subjects, question.current, question.initial)
        case AskOomScore():
            return OomScoreDialog(question.subjects, question.current, question.initial)
        case AskRtPriority():
            return RtPriorityDialog(question.subjects, question.current, question.policy, question.initial)
        case AskScheduling():
            return SchedulingDialog(
                question.subjects,
                question.current,
                question.policy,
                question.priority,
                question.reset_on_fork,
            )
        case AskAffinity():
            return AffinityDialog(
                question.subjects,
                question.current,
                question.online,
                question.nodes,
                question.initial,
                question.threads,
            )
        case AskIoPriority():
            return IoPriorityDialog(question.subjects, question.current, question.ioclass, question.level)
        case AskSignal():
            return PickerScreen("Send a signal to " + question.subjects, signal_choices())
        case AskConfirm():
            return ConfirmDialog(question.title, question.question, question.reason)
        case AskTunable():
            return TunableDialog(question.current)
        case AskPick():
            return PickerScreen(question.title, list(question.choices), question.current)
        case AskPath():
            return PathDialog(question.title, question.subject, question.initial, question.error)
    raise TypeError(f"no dialog answers {question!r}")
