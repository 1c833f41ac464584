"""Every key binding of the App in one table: it drives both ``BINDINGS`` and the help screen.

The pane keys (the digits and each pane's own keys) come from the pane registry. Layers: the App builds on
this module; it builds on :mod:`perftop.tui.panes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding

from perftop.tui.panes import PANES, Pane


@dataclass(frozen=True, slots=True)
class Key:
    """One App binding: Textual key names, how the help screen writes them, the action and its help."""

    keys: str
    shown: str
    action: str
    help: str


#: The App's keys before the pane keys, htop's where htop has one, btop's where htop has none.
VIEW_KEYS: tuple[Key, ...] = (
    Key("question_mark,f1", "? F1", "help", "this help"),
    Key("q,f10", "q F10", "quit", "quit"),
    Key("slash,f3", "/ F3", "search", "search command/user; again for the next match"),
    Key("backslash,f4", "\\ F4", "filter", "filter by command, user or cgroup substring (Esc clears)"),
    Key(
        "f2",
        "F2",
        "pick_columns",
        "show/hide the optional columns REMOTE%, IO_R/s, IO_W/s, OOM_SCORE, OOM_ADJ, CGROUP, CONTAINER, "
        "RUN-DELAY/s, THROTTLED%",
    ),
    Key("f6", "F6", "pick_sort", "choose the sort column"),
    Key("less_than_sign", "<", "sort_step(-1)", "sort by the column to the left"),
    Key("greater_than_sign", ">", "sort_step(1)", "sort by the column to the right"),
    Key("P", "P", "sort('cpu')", "sort by CPU%"),
    Key("M", "M", "sort('mem')", "sort by MEM%"),
    Key("T", "T", "sort('time')", "sort by TIME+"),
    Key("D", "D", "sort_io", "sort by disk IO: IO_W/s, again for IO_R/s (shows the column)"),
    Key("I", "I", "invert_sort", "invert the sort order"),
    Key("u", "u", "pick_user", "show one user's processes (or all)"),
    Key("K", "K", "toggle_kernel", "hide/show kernel threads"),
    Key("t,f5", "t F5", "tree", "tree view: each process under its parent, or the flat list again"),
    Key(
        "H",
        "H",
        "threads",
        "show/hide threads as rows under their process; tuning keys on a thread row act on that thread",
    ),
    Key("x", "x", "tree_collapse", "tree view: collapse/expand the selected process's children"),
    Key(
        "asterisk", "*", "tree_collapse_all", "tree view: collapse every process with children, or expand all"
    ),
    Key("Z", "Z", "freeze", "freeze/unfreeze the display (sampling goes on)"),
    Key("b", "b", "low_bandwidth", "low bandwidth (SSH): no overview graph, rows sorted every 5 refreshes"),
    Key("plus", "+", "interval_step(1)", "slower refresh: 0.25 0.5 1 2 5 10 s"),
    Key("minus", "-", "interval_step(-1)", "faster refresh"),
)

#: htop's inspection keys on the selected process (the detail screen's while it is open), after the pane keys.
INSPECT_KEYS: tuple[Key, ...] = (
    Key("l", "l", "open_files", "open files and sockets of the process: fd, type, position, flags, name"),
    Key("e", "e", "environment", "environment of the process (where readable)"),
    Key("s", "s", "strace", "system calls of the process, live, through strace -p (Esc stops strace)"),
    Key("F", "F", "follow", "follow the selected process whatever the sort (status: follow); F or Esc stops"),
)

#: The tuning keys, after the inspection keys.
TUNING_KEYS: tuple[Key, ...] = (
    Key("space", "space", "tag", "tag/untag the process and move down; actions apply to all tagged"),
    Key("c", "c", "tag_tree", "tag the process and its children"),
    Key("U", "U", "untag_all", "untag all"),
    Key("f7,right_square_bracket", "F7 ]", "nice_step(-1)", "nice -1 (more CPU; needs root or CAP_SYS_NICE)"),
    Key("f8,left_square_bracket", "F8 [", "nice_step(1)", "nice +1 (less CPU)"),
    Key("n", "n", "renice", "renice: type a nice value -20..19"),
    Key("Y", "Y", "scheduling", "scheduling policy, RT priority, reset-on-fork (chrt)"),
    Key("R", "R", "rt_priority", "RT priority of a FIFO/RR process, policy kept"),
    Key("a", "a", "affinity", "CPU affinity by NUMA node, list or mask (taskset)"),
    Key("i", "i", "ionice", "IO priority class and level (ionice)"),
    Key("o", "o", "oom_score_adj", "OOM score adjustment -1000..1000"),
    Key("k,f9", "k F9", "send_signal", "send a signal, TERM first (kill)"),
    Key("L", "L", "action_log", "log of the tuning actions since start (↑ ↓ PgUp PgDn choose an entry)"),
)

#: The keys of a replay (``perftop --replay FILE``): ``Z``, ``+`` and ``-`` play there instead; the others
#: are the replay's own (``g`` and ``G`` are the interrupts pane's while it is shown).
REPLAY_KEYS: tuple[Key, ...] = (
    Key("full_stop", ".", "replay_step(1)", "in replay: the next sample"),
    Key("comma", ",", "replay_step(-1)", "in replay: the previous sample"),
    Key("g", "g", "replay_go_to", "in replay: go to a time (14:05, -10m, +30s, 2026-12-07T14:05)"),
    Key("G", "G", "replay_chart", "in replay: chart of the selected process (or IO device) over time"),
)
#: How the help screen and the README say the keys that act otherwise in replay.
REPLAY_CHANGED_KEYS: tuple[tuple[str, str], ...] = (
    ("Z", "in replay: play/pause at the recorded pace"),
    ("+ -", "in replay: play faster/slower: x0.25 x0.5 x1 x2 x4 x8 x16"),
)


#: The action log's own keys (:class:`~perftop.tui.action_log.ActionLogScreen`), as the help screen and
#: the README say them.
LOG_KEYS: tuple[tuple[str, str], ...] = (
    (
        "Enter",
        "in the action log (L): before/after comparison of the selected action (means over 30 s each side)",
    ),
    ("r", "in the action log (L): undo the selected action (its old value set again, as a new action)"),
    ("w", "in the action log (L): write the session's sysctl changes to a sysctl.d file you name"),
)


#: The before/after comparison's own keys (:class:`~perftop.tui.comparison_screen.ComparisonScreen`).
COMPARISON_KEYS: tuple[tuple[str, str], ...] = (
    ("[ ] < >", "in the comparison (Enter in L): narrower or wider windows before and after (10 s..10 min)"),
)

#: The process table's own keys (its ``BINDINGS``), as the help screen and the README say them.
TABLE_KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓ PgUp PgDn", "move the selection; the tuning keys act on the process selected"),
    ("Home End", "select the first or the last process"),
    ("← →", "scroll sideways: the columns dropped at narrow widths, then the command line"),
    (
        "Enter",
        "the detail screen of the selected process (or double-click): scheduler, limits, cgroup...; Esc back",
    ),
)


def pane_keys(panes: Sequence[Pane[Any]]) -> tuple[Key, ...]:
    """The keys of ``panes``: each one's digit, then each one's own keys."""
    digits = tuple(Key(str(p.number), str(p.number), f"pane({p.number})", p.help) for p in panes)
    own = tuple(
        Key(k.keys, k.shown, f"pane_key({p.number},{i})", f"{p.title} pane: {k.help}")
        for p in panes
        for i, k in enumerate(p.keys)
    )
    return digits + own


def app_keys(panes: Sequence[Pane[Any]] = PANES) -> tuple[Key, ...]:
    """The App's keys with ``panes``, in the help screen's order. The process table adds its own navigation
    keys (:data:`TABLE_KEYS`)."""
    return (*VIEW_KEYS, *pane_keys(panes), *INSPECT_KEYS, *TUNING_KEYS)


#: The App's keys with the registry's panes.
APP_KEYS: tuple[Key, ...] = app_keys()


def app_bindings(panes: Sequence[Pane[Any]] = PANES) -> list[Binding]:
    """``BINDINGS`` for the App with ``panes``."""
    return [Binding(k.keys, k.action, k.help, show=False) for k in app_keys(panes)]
