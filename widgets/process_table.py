"""The process table: a line-API ``ScrollView`` that keeps processes in a list and draws only the rows on
screen, under a sticky header.

A ``DataTable`` holding every row costs much more per refresh with thousands of processes than a line-API
view: here a refresh is one filter + sort over plain dataclasses and a repaint draws only the lines on
screen (most of its cost is Textual's own per-line work).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import call, ne
from typing import Any, ClassVar

from rich.cells import cell_len, get_character_cell_size, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from perftop.probes.snapshot import ProcessInfo, ThreadInfo
from perftop.widgets.changed_cells import ChangedCells
from perftop.widgets.process_columns import SEPARATOR_WIDTH, command_text, fit, is_realtime
from perftop.widgets.table_layout import COMMAND_SCROLL_STEP, FROZEN, Layout, TableLayout, marker_width
from perftop.widgets.table_view import TableView

__all__ = ["COMMAND_SCROLL_STEP", "ProcessTable"]

#: Rows the virtual height grows by: a changed height costs a layout and a full repaint of the table.
VIRTUAL_STEP = 64

#: Columns coloured with ``process-table--realtime`` on FIFO/RR/DEADLINE rows.
_SCHEDULING_KEYS = frozenset({"policy", "rtprio", "priority"})

_SEPARATOR = " " * SEPARATOR_WIDTH

#: Drawn in the header just right of PID while the full-width row is scrolled: columns are hidden there.
_HIDDEN_LEFT = "«"


@dataclass(frozen=True, slots=True)
class _Row:
    """A row as drawn: for which process, with or without the cursor and the tag, with which tree guides
    (``""`` in the flat view), its line, and, for each span of the layout it was drawn with, the column's
    inputs and text."""

    process: ProcessInfo
    is_cursor: bool
    tagged: bool
    prefix: str
    strip: Strip
    inputs: list[Any]
    cells: list[str]


@dataclass(frozen=True, slots=True)
class _Palette:
    """The styles of one repaint, from the component classes."""

    base: Style
    header: Style
    header_sorted: Style
    cursor: Style
    kernel_thread: Style
    thread: Style
    realtime: Style
    zombie: Style
    running: Style
    uninterruptible: Style
    tagged: Style


@dataclass(frozen=True, slots=True)
class _Frame:
    """What one repaint draws with: the layout, the styles, and the row on line 1 (``scroll_y``)."""

    layout: Layout
    palette: _Palette
    top: int


class _LineBuilder:
    """Builds a line from cells, joining neighbouring cells of the same style into one segment."""

    __slots__ = ("_parts", "_segments", "_style")

    def __init__(self) -> None:
        self._segments: list[Segment] = []
        self._parts: list[str] = []
        self._style: Style | None = None

    def add(self, text: str, style: Style) -> None:
        """Append ``text`` drawn in ``style``."""
        # Identity first: nearly every cell reuses the row's style object, and Style.__ne__ hashes.
        if style is not self._style and style != self._style:
            self._flush()
            self._style = style
        self._parts.append(text)

    def strip(self, cell_length: int) -> Strip:
        """The line so far; ``cell_length`` is its width, known from the layout."""
        self._flush()
        return Strip(self._segments, cell_length)

    def _flush(self) -> None:
        if self._parts:
            self._segments.append(Segment("".join(self._parts), self._style))
            self._parts = []


def _skip_cells(text: str, cells: int) -> str:
    """``text`` without its first ``cells`` cells (a wide character cut in half is dropped whole)."""
    if cells <= 0:
        return text
    if text.isascii():
        return text[cells:]
    skipped = 0
    for index, char in enumerate(text):
        if skipped >= cells:
            return text[index:]
        skipped += get_character_cell_size(char)
    return ""


def _virtual_height(lines: int, current: int) -> int:
    """The virtual height for ``lines`` lines of content: ``current`` while it holds them with less than
    ``2 * VIRTUAL_STEP`` to spare, else ``lines`` rounded up to a multiple of ``VIRTUAL_STEP``."""
    if lines <= current < lines + 2 * VIRTUAL_STEP:
        return current
    return -(-lines // VIRTUAL_STEP) * VIRTUAL_STEP


class _TableMessage(Message):
    """A message from a ProcessTable; ``control`` names it, so ``@on(..., "#id")`` selectors work."""

    def __init__(self, process_table: ProcessTable) -> None:
        super().__init__()
        self.process_table = process_table

    @property
    def control(self) -> ProcessTable:
        return self.process_table


def _blank_key(frame: _Frame) -> tuple[int, Style]:
    """What a line below the last row is drawn from: blank cells, as wide as the layout, in the base style."""
    return frame.layout.width, frame.palette.base


class ProcessTable(ChangedCells, ScrollView, can_focus=True):
    """A sortable, filterable table of processes that renders only the lines on screen.

    Line 0 is the header and does not scroll; line ``1 + i`` shows ``rows()[scroll_y + i]``.

    State (set through the methods, each re-applies filter and sort at once and keeps the cursor on the
    same PID once the user has chosen a process; the rules are those of
    :class:`~perftop.widgets.table_view.TableView`): ``sort_key`` (default ``"cpu"``), ``sort_reverse``
    (default: the column's natural direction, descending for load figures as htop), ``filter_text``,
    ``user_filter``, ``pid_filter``, ``hide_kernel_threads``, ``shown_optional`` (the optional columns
    shown: REMOTE%, IO_R/s, IO_W/s), ``order_hold``, ``tree`` and ``collapsed`` (the tree view: each
    process under its parent, the COMMAND cell starting with the guides; a click on the guides of a
    process with children collapses or expands it), and ``h_offset``: how many cells the line is scrolled
    left.

    Horizontal scrolling (``right``/``left``) is :mod:`perftop.widgets.table_layout`'s: when every column
    fits it scrolls the COMMAND text and the header shows ``COMMAND «n``; when columns were dropped for
    width it scrolls the full-width row one column at a time with PID frozen at the left edge, and the
    header shows ``«`` right of PID.

    ``tagged`` is the set of PIDs to mark; while it is non-empty a one-cell marker column (``*``) is
    drawn first. The widget does not change it; the owner mutates it and calls ``refresh()``.

    | Class | Description |
    | :- | :- |
    | `process-table--header` | The header line. |
    | `process-table--header-sorted` | The header cell of the sort column (with ▲/▼). |
    | `process-table--cursor` | The selected row (brighter while the table has focus). |
    | `process-table--kernel-thread` | Rows of kernel threads. |
    | `process-table--thread` | Rows of threads under their process (``H``), in htop's colour for them. |
    | `process-table--realtime` | POL, RTPRIO and PRI cells of FIFO, RR and DEADLINE processes. |
    | `process-table--zombie` | Rows of zombie processes (state Z). |
    | `process-table--running` | The S cell of running processes (R). |
    | `process-table--uninterruptible` | The S cell of processes in uninterruptible sleep (D). |
    | `process-table--tagged` | Rows whose PID is in ``tagged``. |
    """

    ALLOW_SELECT = False

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home", "cursor_first", "First process", show=False),
        Binding("end", "cursor_last", "Last process", show=False),
        Binding("left", "scroll_sideways(-1)", "Scroll left: back towards the normal layout", show=False),
        Binding("right", "scroll_sideways(1)", "Scroll right: hidden columns, then the command", show=False),
        Binding("enter", "show_command_line", "Command line"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "process-table--header",
        "process-table--header-sorted",
        "process-table--cursor",
        "process-table--kernel-thread",
        "process-table--thread",
        "process-table--realtime",
        "process-table--zombie",
        "process-table--running",
        "process-table--uninterruptible",
        "process-table--tagged",
    }

    # Structure (header, cursor, dimmed kernel threads) follows the theme; the meaning colours are ANSI
    # colours so a 16-colour terminal shows them as such whatever the theme (theme colours can collapse
    # to one grey there). Bold/underline/italic keep the sorted header, cursor and zombies apart with
    # NO_COLOR too.
    DEFAULT_CSS = """
    ProcessTable {
        height: 1fr;
        width: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        /* As in htop: no scrollbar, and no gutter kept for one. Its thumb would move with every
           process started or gone, and the virtual height is kept in steps (see _apply) so that those
           changes need no layout. */
        scrollbar-visibility: hidden;
        scrollbar-size-vertical: 0;
        & > .process-table--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .process-table--header-sorted {
            background: $primary;
            color: $text;
            text-style: bold underline;
        }
        & > .process-table--cursor {
            background: $block-cursor-blurred-background;
            color: $foreground;
            text-style: bold;
        }
        &:focus > .process-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .process-table--kernel-thread {
            color: $text-muted;
        }
        & > .process-table--thread {
            color: ansi_green;
        }
        & > .process-table--realtime {
            color: ansi_magenta;
            text-style: bold;
        }
        & > .process-table--zombie {
            color: ansi_yellow;
            text-style: italic;
        }
        & > .process-table--running {
            color: ansi_green;
            text-style: bold;
        }
        & > .process-table--uninterruptible {
            color: ansi_red;
            text-style: bold;
        }
        & > .process-table--tagged {
            color: ansi_cyan;
            text-style: bold;
        }
    }
    """

    class SelectionChanged(_TableMessage):
        """The cursor moved to another process (``pid`` is ``None`` when the table is empty)."""

        def __init__(self, process_table: ProcessTable, pid: int | None) -> None:
            super().__init__(process_table)
            self.pid = pid

    class SortChanged(_TableMessage):
        """The sort column or direction changed."""

        def __init__(self, process_table: ProcessTable, key: str, reverse: bool) -> None:
            super().__init__(process_table)
            self.key = key
            self.reverse = reverse

    class SortRequested(_TableMessage):
        """A header cell was clicked (the table has already applied the sort)."""

        def __init__(self, process_table: ProcessTable, key: str) -> None:
            super().__init__(process_table)
            self.key = key

    class CommandLineRequested(_TableMessage):
        """``enter`` (or a double click) on a row: the owner should show the full command line."""

        def __init__(self, process_table: ProcessTable, pid: int) -> None:
            super().__init__(process_table)
            self.pid = pid

    def __init__(
        self,
        *,
        sort_key: str = "cpu",
        sort_reverse: bool | None = None,
        shown_optional: Iterable[str] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create an empty table sorted by ``sort_key`` (any name ``find_column`` accepts).

        ``sort_reverse`` ``None`` takes the column's natural direction. ``shown_optional``: names of the
        optional columns to show (``ValueError`` for a column that is not optional).
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._state = TableView(sort_key, sort_reverse, shown_optional)
        self._columns = TableLayout()
        # The PID last announced with SelectionChanged.
        self._selected_pid: int | None = None
        self._frame: _Frame | None = None
        # render_lines sets it: the first line it paints keeps its frame in _frame for the others. Lines
        # refresh_changed rendered ahead need no frame, so a repaint of only those looks nothing up.
        self._repainting = False
        # Set while _show_rows scrolls the cursor into view: the refresh that follows draws the scroll.
        self._scrolling_to_cursor = False
        # The styles of the component classes, until the styles change (notify_style_update).
        self._palette_now: _Palette | None = None
        # Rows drawn lately, by PID, for the layout and palette they were drawn with: a row whose
        # process, cursor and tag did not change is not built again (most rows, on an idle machine), and
        # a row built again keeps the cell texts whose fields (Column.reads) did not change.
        self._row_cache: dict[int, _Row] = {}
        self._row_cache_for: tuple[Layout, _Palette] | None = None

    # State, read-only; change it with the methods below.

    @property
    def tagged(self) -> set[int]:
        """PIDs marked by the owner (the App tags and untags; the table only draws the marker)."""
        return self._state.tagged

    @tagged.setter
    def tagged(self, pids: set[int]) -> None:
        self._state.tagged = pids

    @property
    def sort_key(self) -> str:
        """Key of the sort column."""
        return self._state.sort_key

    @property
    def sort_reverse(self) -> bool:
        """True when sorted high to low."""
        return self._state.sort_reverse

    @property
    def filter_text(self) -> str:
        """htop's filter: a case-insensitive substring of command line, comm or user."""
        return self._state.filter_text

    @property
    def user_filter(self) -> str | None:
        """Only processes of this user, or ``None``."""
        return self._state.user_filter

    @property
    def pid_filter(self) -> frozenset[int] | None:
        """Only these PIDs, or ``None``."""
        return self._state.pid_filter

    @property
    def hide_kernel_threads(self) -> bool:
        """True when kernel threads are hidden."""
        return self._state.hide_kernel_threads

    @property
    def shown_optional(self) -> frozenset[str]:
        """Keys of the optional columns shown."""
        return self._state.shown_optional

    @property
    def h_offset(self) -> int:
        """Cells scrolled to the left: of the COMMAND text when every column fits, else of the
        full-width row right of PID (0: the narrow layout)."""
        # Through the layout: a resize into the other case resets the offset when the layout is rebuilt.
        return self._get_layout().h_offset

    @property
    def cursor_row(self) -> int:
        """Index of the cursor in ``rows()`` (0 when empty)."""
        return self._state.cursor

    @property
    def selected_pid(self) -> int | None:
        """PID under the cursor, or ``None`` when the table is empty."""
        return self._state.selected_pid

    @property
    def lost_choice(self) -> int | None:
        """The PID the user chose when it is not under the cursor now (exited, or filtered out), else
        ``None`` (see :attr:`~perftop.widgets.table_view.TableView.lost_choice`)."""
        return self._state.lost_choice

    @property
    def order_hold(self) -> int:
        """Refreshes between two sorts by ``set_processes``; 0 or 1 sorts every time. Rows moving on
        every refresh are most of what a sorted table writes to the terminal (low-bandwidth mode)."""
        return self._state.order_hold

    @order_hold.setter
    def order_hold(self, refreshes: int) -> None:
        self._state.order_hold = refreshes

    # Changing the state.

    def set_processes(self, procs: Sequence[ProcessInfo], threads: Sequence[ThreadInfo] = ()) -> None:
        """Show a new list of processes, keeping the cursor on the same PID (or row, if it is gone) once
        the user has chosen a process; until then, on the same row. ``threads``: thread rows, shown under
        their processes while :attr:`threads` is on.

        With ``order_hold`` set, the rows keep their order (new processes go last) for that many
        calls between two sorts.
        """
        self._state.set_processes(procs, threads)
        self._show_rows()

    @property
    def threads(self) -> bool:
        """True while threads are shown as rows under their process (``H``)."""
        return self._state.threads

    def set_threads(self, on: bool) -> None:
        """Show threads as rows under their process, or not; the cursor stays on its process."""
        if self._state.set_threads(on):
            self._show_rows()

    def has_thread_rows(self) -> bool:
        """True when threads are shown and the last sample gave some."""
        return self._state.has_thread_rows()

    def thread_pids(self) -> set[int]:
        """The processes whose threads the next sample should read (none while threads are not shown)."""
        return self._state.thread_pids()

    def replace_processes(self, updated: Collection[ProcessInfo]) -> None:
        """Replace the rows of the same processes (same PID and start time) with ``updated`` and re-apply
        filter and sort, keeping the cursor: an action changed them between two samples. The others
        stay as they are; a process not in the table is ignored."""
        if self._state.replace_processes(updated):
            self._show_rows()

    def set_sort(self, key: str, reverse: bool | None = None) -> None:
        """Sort by a column (key or name, case-insensitive; ``ValueError`` if unknown).

        ``reverse`` ``None`` keeps the direction when the column is already the sort column, else takes
        the column's natural direction.
        """
        state = self._state
        shown = state.shown_optional
        if not state.set_sort(key, reverse):
            return
        self._columns_shown(shown)
        self._show_rows()
        self.post_message(self.SortChanged(self, state.sort_key, state.sort_reverse))

    def invert_sort(self) -> None:
        """Flip the sort direction (htop's ``I``)."""
        self.set_sort(self.sort_key, not self.sort_reverse)

    def toggle_column(self, key: str) -> bool:
        """Show or hide an optional column (key or name; ``ValueError`` for one that is not optional).
        Returns True when it is shown now. Hiding the sort column sorts by CPU% instead."""
        state = self._state
        before = (state.shown_optional, state.sort_key, state.sort_reverse)
        shown = state.toggle_column(key)
        self._columns_shown(before[0])
        if (state.sort_key, state.sort_reverse) != before[1:]:
            self._show_rows()
            self.post_message(self.SortChanged(self, state.sort_key, state.sort_reverse))
        return shown

    def set_filter(self, text: str) -> None:
        """Show only processes whose command line, comm or user contains ``text``; ``""`` shows all."""
        if self._state.set_filter(text):
            self._show_rows()

    def set_user_filter(self, user: str | None) -> None:
        """Show only processes of ``user`` (exact name), or all with ``None``."""
        if self._state.set_user_filter(user):
            self._show_rows()

    def set_pid_filter(self, pids: frozenset[int] | None) -> None:
        """Show only these PIDs (``--pid``), or all with ``None``."""
        if self._state.set_pid_filter(pids):
            self._show_rows()

    def set_hide_kernel_threads(self, hide: bool) -> None:
        """Hide or show kernel threads."""
        if self._state.set_hide_kernel_threads(hide):
            self._show_rows()

    @property
    def tree(self) -> bool:
        """True in the tree view: each process under its parent, with htop's guides before the command."""
        return self._state.tree

    @property
    def collapsed(self) -> frozenset[tuple[int, int]]:
        """Identities ``(pid, start_time)`` of the collapsed processes of the tree."""
        return self._state.collapsed

    def set_tree(self, on: bool) -> None:
        """Show the tree view (or the flat one); the cursor stays on its process."""
        if self._state.set_tree(on):
            self._show_rows()

    def toggle_collapsed(self, index: int | None = None) -> bool:
        """In the tree view, collapse row ``index`` (default: the cursor's), or expand it if collapsed;
        False when it has no children (or in the flat view). The cursor stays on its process."""
        if self._state.toggle_collapsed(self._state.cursor if index is None else index):
            self._show_rows()
            return True
        return False

    def toggle_all_collapsed(self) -> bool:
        """Expand every collapsed process if there is one, else collapse every process with children.
        Returns True when the tree is collapsed now."""
        collapsed = self._state.toggle_all_collapsed()
        self._show_rows()
        return collapsed

    def set_h_offset(self, cells: int) -> None:
        """Scroll ``cells`` to the left (see ``h_offset``), no further than the end of the longest
        command on screen."""
        limit = self._get_layout().h_limit(self._longest_command())
        if self._columns.set_h_offset(max(0, min(cells, limit))):
            self.refresh()

    def select_pid(self, pid: int) -> bool:
        """Move the cursor to ``pid``; False (cursor unchanged) when it is not in the table."""
        index = self._state.index_of(pid)
        if index is None:
            return False
        self._move_cursor(index)
        return True

    def choose_selected(self) -> None:
        """The user chose the process under the cursor (a search found it there, a filter was kept): from
        now on the cursor follows it, as after a key or a click."""
        self._state.choose_selected()
        self._selection_moved()

    def stop_following(self) -> None:
        """Forget the process chosen: the cursor keeps its line across refreshes and sorts from now on."""
        self._state.stop_following()

    def search_next(self, text: str, backwards: bool = False) -> bool:
        """htop's F3: move to the next row after the cursor (before it with ``backwards``) that
        ``matches`` ``text``, wrapping around; the cursor row itself is tried last. False if none."""
        index = self._state.search(text, backwards)
        if index is None:
            return False
        self._move_cursor(index)
        return True

    # Reading the state.

    def rows(self) -> list[ProcessInfo]:
        """The processes in display order, after filter and sort."""
        return list(self._state.rows)

    def column_keys(self) -> list[str]:
        """Keys of the columns on screen at the current width and horizontal offset, left to right."""
        return [span.column.key for span in self._get_layout().spans]

    def visible_pids(self, margin: int = 0) -> set[int]:
        """PIDs of the rows on screen now, plus ``margin`` rows above and below.

        The App reads ``/proc/PID/status`` only for these; a margin keeps a short scroll from showing
        rows whose status was not read yet.
        """
        top = max(0, self.scroll_offset.y - margin)
        return {p.pid for p in self._state.rows[top : self.scroll_offset.y + self._body_height + margin]}

    def needs_status_for_all(self) -> bool:
        """True when the order depends on a ``/proc/PID/status`` value, so every process needs it.

        The filters look only at command line, comm and user, which never come from that file this tick.
        """
        return self._state.needs_status_for_all()

    def needs_io(self) -> bool:
        """True when a column on screen, or the sort, shows ``/proc/PID/io`` values."""
        return self._state.needs_io()

    def needs_cgroup(self) -> bool:
        """True when a column on screen, or the sort, shows ``/proc/PID/cgroup`` values."""
        return self._state.needs_cgroup()

    def needs_run_delay(self) -> bool:
        """True when RUN-DELAY/s is on screen or the sort: the owner reads ``schedstat`` for the rows."""
        return self._state.needs_run_delay()

    def needs_throttle(self) -> bool:
        """True when THROTTLED% is on screen or the sort: the owner reads the rows' groups' ``cpu.stat``."""
        return self._state.needs_throttle()

    def needs_numa_pids(self) -> set[int]:
        """PIDs whose ``numa_maps`` the owner should read: the rows on screen while a column that needs it
        (REMOTE%) is shown, else none. Sorting by REMOTE% therefore orders only the rows with a value."""
        return self.visible_pids() if self._state.needs_numa() else set()

    def needs_oom_pids(self) -> set[int] | None:
        """PIDs whose ``oom_score`` and ``oom_score_adj`` the owner should read: every process (``None``)
        while the table is sorted by one, the rows on screen while OOM_SCORE or OOM_ADJ is shown, else
        none."""
        if self._state.needs_oom_for_all():
            return None
        return self.visible_pids() if self._state.needs_oom() else set()

    # Internals.

    def _columns_shown(self, before: frozenset[str]) -> None:
        """Redraw if the shown optional columns are no longer ``before``."""
        if self._state.shown_optional != before:
            # Columns moved: an offset into the old row would land mid-column in the new one.
            self._columns.reset_offset()
            self.refresh()

    @property
    def _body_height(self) -> int:
        return max(0, self.scrollable_size.height - 1)

    def _longest_command(self) -> int:
        """Cells of the longest command line on screen (with its tree guides)."""
        top = self.scroll_offset.y
        end = top + self._body_height
        on_screen = self._state.rows[top:end]
        prefixes = self._state.prefixes
        guides = repeat("") if prefixes is None else prefixes[top:end]
        return max(
            (cell_len(g + command_text(p)) for p, g in zip(on_screen, guides, strict=False)), default=0
        )

    def _show_rows(self) -> None:
        """Show the view's rows as they are now: size, scroll, changed lines, selection."""
        rows = self._state.rows
        virtual = self.virtual_size
        height = _virtual_height(len(rows) + 1, virtual.height)
        if height != virtual.height:
            # A new virtual size lays the screen out and repaints the whole table, so it changes in
            # steps, not with every process started or gone; scrolling stops at the last row anyway
            # (validate_scroll_y). The width is the ScrollView's to set.
            self.virtual_size = Size(virtual.width, height)
        size = self.scrollable_size  # Textual finds it through the screen: once for both uses
        self._scrolling_to_cursor = True
        try:
            self._scroll_cursor_into_view(max(0, size.height - 1))
        finally:
            self._scrolling_to_cursor = False
        self._refresh_changed(size)
        self._selection_moved()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # Textual repaints the whole table when the view scrolls, which it does whenever the selected
        # process climbs or sinks out of view (several times a minute on an idle machine): the rows
        # moved are line scrolls and changed cells instead, as for rows moved by the sort.
        # (The scrollbar is hidden here: moving its thumb would repaint it, through a screen update that
        # lays the whole screen's map out again, for nothing to see.)
        if self.show_vertical_scrollbar and self.styles.scrollbar_size_vertical:
            self.vertical_scrollbar.position = new_value
        if round(old_value) != round(new_value) and not self._scrolling_to_cursor:
            self.refresh_changed()  # (in _show_rows, its own refresh_changed follows)

    def _max_top(self) -> int:
        """The largest useful scroll offset: the last row at the bottom of the screen."""
        return max(0, len(self._state.rows) - self._body_height)

    def validate_scroll_y(self, value: float) -> float:
        return min(super().validate_scroll_y(value), self._max_top())

    def validate_scroll_target_y(self, value: float) -> float:
        return min(super().validate_scroll_target_y(value), self._max_top())

    def _move_cursor(self, index: int) -> None:
        state = self._state
        if not state.rows:
            return
        previous = state.cursor
        state.move_cursor(index)
        if state.cursor != previous:
            # Content line 1 + i is row i: ScrollView maps it to the screen through scroll_y.
            self.refresh_lines(1 + previous)
            self.refresh_lines(1 + state.cursor)
        self._scroll_cursor_into_view()
        self._selection_moved()

    def _selection_moved(self) -> None:
        pid = self.selected_pid
        if pid != self._selected_pid:
            self._selected_pid = pid
            self.post_message(self.SelectionChanged(self, pid))

    def _scroll_cursor_into_view(self, body: int | None = None) -> None:
        """Scroll so that the cursor row is among the ``body`` rows on screen (default: as many as fit)."""
        if body is None:
            body = self._body_height
        if body == 0:
            return
        top = self.scroll_offset.y
        cursor = self._state.cursor
        highest = max(0, len(self._state.rows) - body)
        target = min(top, highest)
        if cursor < target:
            target = cursor
        elif cursor >= target + body:
            target = cursor - body + 1
        if target != top:
            self.scroll_to(y=target, animate=False, force=True)

    def _get_layout(self, width: int | None = None) -> Layout:
        """The layout at ``width`` (default: the width lines are drawn at now)."""
        if width is None:
            # scrollable_size leaves out the vertical scrollbar, which ``size`` includes.
            width = self.scrollable_size.width
        return self._columns.at(width, bool(self.tagged), self._state.shown_optional)

    def on_resize(self, event: events.Resize) -> None:
        self._scroll_cursor_into_view()

    def render_lines(self, crop: Region) -> list[Strip]:
        # Look the styles and the layout up once per repaint rather than once per line, and only if a
        # line is painted: after refresh_changed, the lines to draw were mostly rendered ahead.
        self._repainting = True
        try:
            return super().render_lines(crop)
        finally:
            self._repainting = False
            self._frame = None

    def refresh_changed(self) -> None:
        self._refresh_changed()

    def _refresh_changed(self, size: Size | None = None) -> None:
        """``refresh_changed`` with the layout for ``size`` (default: ``scrollable_size``)."""
        if not self.is_attached:
            return  # removed (the App closing while a sample was on its way): no styles to draw with
        self._frame = self._new_frame(size)
        try:
            super().refresh_changed()
        finally:
            self._frame = None

    def paint_line(self, y: int) -> Strip:
        """Line 0 is the header; line ``y`` shows row ``scroll_y + y - 1``."""
        frame = self._frame
        if frame is None:
            frame = self._new_frame()
            if self._repainting:
                self._frame = frame
        if y == 0:
            return self._render_header(frame.layout, frame.palette)
        index = frame.top + y - 1
        rows = self._state.rows
        if not 0 <= index < len(rows):
            key = _blank_key(frame)
            kept = self.kept_line(y, key)
            return kept if kept is not None else self.keep_line(y, key, Strip.blank(*key))
        prefixes = self._state.prefixes
        prefix = "" if prefixes is None else prefixes[index]
        return self._render_row(frame.layout, frame.palette, rows[index], index == self._state.cursor, prefix)

    def line_key(self, y: int) -> int | None:
        """The PID of the row line ``y`` shows: rows that moved together (a process climbed the sort
        order, or left it) are scrolled on the terminal, not rewritten."""
        index = self._top() + y - 1
        rows = self._state.rows
        return rows[index].pid if y and 0 <= index < len(rows) else None

    def line_keys(self, height: int) -> list[Hashable | None]:
        """``line_key`` of lines 0 to ``height - 1``, from one slice of the rows."""
        top = self._top()
        keys: list[Hashable | None] = [None, *(p.pid for p in self._state.rows[top : top + height - 1])]
        return keys + [None] * (height - len(keys))

    def _top(self) -> int:
        """The row on line 1: the repaint's, or the view's now."""
        frame = self._frame
        return self.view_offset.y if frame is None else frame.top

    def stale_lines(self, painted: Mapping[int, Strip]) -> list[int]:
        """Every line of ``painted`` but those showing a row still drawn as it was painted there: the very
        process object of then (the sampler hands over an unchanged process as the same object), the same
        cursor and tag, in a row kept for the layout and styles of now; and the blank lines below the last
        row still blank. That is most rows on screen at each refresh, which are then neither drawn again
        nor compared."""
        frame = self._frame
        if frame is None:
            return list(painted)
        state = self._state
        rows, kept, cursor, tagged = state.rows, self._row_cache, state.cursor, state.tagged
        prefixes = state.prefixes
        count = len(rows)
        blank = _blank_key(frame)
        stale = []
        for y, strip in painted.items():
            index = frame.top + y - 1
            if y and not 0 <= index < count:
                if strip is self.kept_line(y, blank):
                    continue  # a blank line below the last row (a short list: a filter, K, --pid)
            elif y:
                p = rows[index]
                row = kept.get(p.pid)
                if (
                    row is not None
                    and row.strip is strip
                    and row.process is p
                    and row.is_cursor is (index == cursor)
                    and row.tagged is (p.pid in tagged)
                    and row.prefix == ("" if prefixes is None else prefixes[index])
                ):
                    continue
            stale.append(y)
        return stale

    def _new_frame(self, size: Size | None = None) -> _Frame:
        """What to draw lines with now (``size``: ``scrollable_size``, if known); rows drawn with another
        layout or palette are forgotten."""
        if size is None:
            size = self.scrollable_size  # Textual finds it through the screen: once, not once per use
        layout, palette = self._get_layout(size.width), self._palette()
        if self._row_cache_for != (layout, palette) or len(self._row_cache) > 4 * size.height:
            self._row_cache.clear()
            self._row_cache_for = (layout, palette)
        return _Frame(layout, palette, self.view_offset.y)

    def notify_style_update(self) -> None:
        self._palette_now = None
        super().notify_style_update()

    def _palette(self) -> _Palette:
        """The styles to draw with, kept until the styles change (a theme, focus, a CSS change)."""
        palette = self._palette_now
        if palette is None:
            palette = self._palette_now = self._new_palette()
        return palette

    def _new_palette(self) -> _Palette:
        def component(name: str) -> Style:
            # The full style, not the partial one: only the full style blends translucent colours (the
            # muted text, the blurred cursor) over the background. component_style keeps it until the
            # styles change.
            return self.component_style(f"process-table--{name}")

        return _Palette(
            base=self.component_style(""),  # its own style, kept as the components are
            header=component("header"),
            header_sorted=component("header-sorted"),
            cursor=component("cursor"),
            kernel_thread=component("kernel-thread"),
            thread=component("thread"),
            realtime=component("realtime"),
            zombie=component("zombie"),
            running=component("running"),
            uninterruptible=component("uninterruptible"),
            tagged=component("tagged"),
        )

    def _render_header(self, layout: Layout, palette: _Palette) -> Strip:
        key = (layout, palette, self._state.sort_key, self._state.sort_reverse)
        kept = self.kept_line(0, key)
        return kept if kept is not None else self.keep_line(0, key, self._build_header(layout, palette))

    def _build_header(self, layout: Layout, palette: _Palette) -> Strip:
        sort_key = self._state.sort_key
        arrow = "▼" if self._state.sort_reverse else "▲"
        line = _LineBuilder()
        x = 0
        if layout.marker:
            line.add(" " + _SEPARATOR, palette.header)
            x = marker_width(True)
        for span in layout.spans:
            if span.x > x:
                line.add(" " * (span.x - x), palette.header)
            column = span.column
            title = column.title
            if column.flexible and layout.command_skip:
                title = f"{title} «{layout.command_skip}"
            if column.key == sort_key:
                title = title[: span.width - 1] + arrow if len(title) >= span.width else title + arrow
                line.add(fit(title, span.width, column.align), palette.header_sorted)
            else:
                line.add(fit(title, span.width, column.align), palette.header)
            x = span.x + span.width
            if layout.shifted and column is FROZEN and x < layout.width:
                line.add(_HIDDEN_LEFT, palette.header)
                x += 1
        if x < layout.cell_length:
            line.add(" " * (layout.cell_length - x), palette.header)
        return line.strip(layout.cell_length).adjust_cell_length(layout.width, palette.header)

    def _render_row(
        self, layout: Layout, palette: _Palette, p: ProcessInfo, is_cursor: bool, prefix: str = ""
    ) -> Strip:
        cache = self._row_cache
        tagged = p.pid in self.tagged
        cached = cache.get(p.pid)
        if cached is not None and cached.prefix != prefix:
            cached = None  # other guides: the command cell is another text
        if (
            cached is not None
            and cached.is_cursor is is_cursor
            and cached.tagged is tagged
            and cached.process is p  # (an equal process in another object keeps its cells, not its line)
        ):
            return cached.strip
        inputs = list(map(call, layout.inputs, repeat(p)))
        cells = self._row_cells(layout, p, inputs, cached, prefix)
        strip = self._build_row(layout, palette, p, is_cursor, tagged, cells)
        cache[p.pid] = _Row(p, is_cursor, tagged, prefix, strip, inputs, cells)
        return strip

    def _row_cells(
        self, layout: Layout, p: ProcessInfo, inputs: list[Any], previous: _Row | None, prefix: str = ""
    ) -> list[str]:
        """The text of each span of ``layout`` for ``p``, whose columns' inputs are ``inputs``: that of
        ``previous`` (drawn with this layout and ``prefix``) where they are equal. ``prefix``: the tree
        guides, drawn before the command."""
        spans = layout.spans
        if previous is None:
            cells = [""] * len(spans)
            changed: Iterable[int] = range(len(spans))
        else:
            cells = list(previous.cells)
            changed = compress(range(len(spans)), map(ne, previous.inputs, inputs))
        for index in changed:
            span = spans[index]
            column = span.column
            if column.flexible:
                text = prefix + command_text(p) if prefix else command_text(p)
                cells[index] = set_cell_size(_skip_cells(text, layout.command_skip), span.width)
            else:
                cells[index] = fit(column.text(p), span.width, column.align)
        return cells

    def _build_row(
        self,
        layout: Layout,
        palette: _Palette,
        p: ProcessInfo,
        is_cursor: bool,
        tagged: bool,
        cells: list[str],
    ) -> Strip:
        """The line of ``p`` whose spans show ``cells``."""
        row_style = palette.base
        if p.kernel_thread:
            row_style += palette.kernel_thread
        elif type(p) is ThreadInfo:
            row_style += palette.thread
        if p.state == "Z":
            row_style += palette.zombie
        if tagged:
            row_style += palette.tagged
        # The cursor row is one uniform bar, as in htop: its colours win over every cell colour.
        line_style = row_style + palette.cursor if is_cursor else row_style
        # Cells in a style of their own, by column key; every other cell is in line_style, so most rows
        # are one segment.
        own: dict[str, Style] = {}
        if not is_cursor:
            if is_realtime(p):
                own = dict.fromkeys(_SCHEDULING_KEYS, row_style + palette.realtime)
            if p.state in ("R", "D"):
                own["state"] = row_style + (palette.running if p.state == "R" else palette.uninterruptible)
        # Blank cells and spans alternate: span i is texts[2 * i + 1].
        texts = [*chain.from_iterable(zip(layout.gaps, cells, strict=True)), layout.tail]
        if layout.marker:
            texts[0] = ("*" if tagged else " ") + _SEPARATOR + texts[0]
        segments = []
        start = 0
        for index, span in enumerate(layout.spans if own else ()):
            style = own.get(span.column.key)
            if style is not None and style != line_style:
                before = "".join(texts[start : 2 * index + 1])
                if before:
                    segments.append(Segment(before, line_style))
                segments.append(Segment(texts[2 * index + 1], style))
                start = 2 * index + 2
        rest = "".join(texts[start:])
        if rest or not segments:
            segments.append(Segment(rest, line_style))
        return Strip(segments, layout.cell_length).adjust_cell_length(layout.width, line_style)

    # Keys and mouse.

    def action_cursor_up(self) -> None:
        """Select the row above."""
        self._move_cursor(self._state.cursor - 1)

    def action_cursor_down(self) -> None:
        """Select the row below."""
        self._move_cursor(self._state.cursor + 1)

    def action_cursor_page_up(self) -> None:
        """Scroll and move the cursor one screen up."""
        self._page(-1)

    def action_cursor_page_down(self) -> None:
        """Scroll and move the cursor one screen down."""
        self._page(1)

    def action_cursor_first(self) -> None:
        """Select the first row."""
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        """Select the last row."""
        self._move_cursor(len(self._state.rows) - 1)

    def action_scroll_sideways(self, direction: int) -> None:
        """Scroll right (1) or left (-1): the COMMAND text by ``COMMAND_SCROLL_STEP`` cells when every
        column fits, else the full-width row to the next or previous column edge (``Layout.h_stops``)."""
        layout = self._get_layout()
        target = layout.sideways(direction, self._longest_command())
        if target != layout.h_offset:
            self.set_h_offset(target)

    def action_show_command_line(self) -> None:
        """Ask the owner to show the selected process's full command line."""
        pid = self.selected_pid
        if pid is not None:
            self.post_message(self.CommandLineRequested(self, pid))

    def _page(self, direction: int) -> None:
        page = max(1, self._body_height)
        self.scroll_to(y=self.scroll_offset.y + direction * page, animate=False, force=True)
        self._move_cursor(self._state.cursor + direction * page)

    def on_click(self, event: events.Click) -> None:
        """A header click sorts by that column (inverting when already sorted); a row click selects it,
        and in the tree view a click on the guides of a process with children collapses or expands it."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            key = self._get_layout().column_at(offset.x)
            if key is None:
                return
            self.post_message(self.SortRequested(self, key))
            if key == self._state.sort_key:
                self.invert_sort()
            else:
                self.set_sort(key)
            return
        index = self.scroll_offset.y + offset.y - 1
        if index < len(self._state.rows):
            self._move_cursor(index)
            if self._on_guide(index, offset.x):
                self.toggle_collapsed(index)
            elif event.chain == 2:
                self.action_show_command_line()

    def _on_guide(self, index: int, x: int) -> bool:
        """True when cell ``x`` of row ``index`` is on the tree guides of a process with children."""
        prefixes = self._state.prefixes
        if prefixes is None or not self._state.is_branch(index):
            return False
        layout = self._get_layout()
        span = next((s for s in layout.spans if s.column.flexible), None)
        if span is None or not span.x <= x < span.x + span.width:
            return False
        cell = x - span.x + layout.command_skip
        # The guides and the collapsed marker (an expanded root has none: a click on its command selects it).
        return cell < len(prefixes[index])
