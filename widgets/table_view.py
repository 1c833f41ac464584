"""What the process table shows and where its cursor is: sort, filters, shown optional columns, tags, and
the process the cursor follows.

Pure Python (no Textual): the process table keeps one :class:`TableView`, changes it on keys and samples,
and draws its ``rows``; tests check the rules on plain data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from perftop.probes.snapshot import ProcessInfo
from perftop.widgets.process_columns import (
    CGROUP_KEYS,
    COLUMN_BY_KEY,
    IO_KEYS,
    OPTIONAL_KEYS,
    Column,
    filter_processes,
    matches,
    resolve_column,
    sort_processes,
)


def optional_column(name: str) -> Column:
    """The optional column ``name`` means; ``ValueError`` for an unknown or an always-shown one."""
    column = resolve_column(name)
    if not column.optional:
        optional = ", ".join(COLUMN_BY_KEY[key].title for key in OPTIONAL_KEYS)
        raise ValueError(f"column {column.title} is always shown; the optional ones are {optional}")
    return column


class TableView:
    """The processes in display order after filter and sort, and the cursor among them.

    Each change re-applies filter and sort at once (its method returns True when it did) and keeps the
    cursor: on the same process once the user has chosen one (a key, a click, a search, a kept filter,
    ``--pid``: :meth:`move_cursor`, :meth:`choose_selected`), on the same row until then, as in htop. A
    cursor that followed the process first on top (often perftop itself, busy starting) took the whole
    view with it as that process sank to its place among the idle ones and climbed back, every second.
    A process that is gone leaves the cursor on its row.

    Sorting by a hidden optional column shows it; hiding the sort column sorts by CPU% again, so the order
    always follows a column that can be shown.
    """

    __slots__ = (
        "_all",
        "_cursor",
        "_filter_text",
        "_follow",
        "_followed",
        "_held_for",
        "_hide_kernel_threads",
        "_order_hold",
        "_pid_filter",
        "_rows",
        "_shown_optional",
        "_sort_key",
        "_sort_reverse",
        "_user_filter",
        "tagged",
    )

    def __init__(
        self, sort_key: str = "cpu", sort_reverse: bool | None = None, shown_optional: Iterable[str] = ()
    ) -> None:
        """Sorted by ``sort_key`` (any name ``find_column`` accepts), in the column's natural direction
        when ``sort_reverse`` is ``None``; ``shown_optional``: names of the optional columns to show
        (``ValueError`` for a column that is not optional)."""
        column = resolve_column(sort_key)
        shown = {optional_column(name).key for name in shown_optional}
        if column.optional:
            shown.add(column.key)
        self._shown_optional = frozenset(shown)
        self._sort_key = column.key
        self._sort_reverse = column.descending if sort_reverse is None else sort_reverse
        self._filter_text = ""
        self._user_filter: str | None = None
        self._pid_filter: frozenset[int] | None = None
        self._hide_kernel_threads = False
        self._all: Sequence[ProcessInfo] = ()
        self._rows: list[ProcessInfo] = []
        self._cursor = 0
        self._follow = False
        #: (PID, start time) of the process the cursor follows: a PID alone may be reused meanwhile.
        self._followed: tuple[int, int | None] | None = None
        self._order_hold = 0
        self._held_for = 0
        self.tagged: set[int] = set()
        """PIDs marked by the owner (the App tags and untags)."""

    # Reading.

    @property
    def sort_key(self) -> str:
        """Key of the sort column."""
        return self._sort_key

    @property
    def sort_reverse(self) -> bool:
        """True when sorted high to low."""
        return self._sort_reverse

    @property
    def filter_text(self) -> str:
        """htop's filter: a case-insensitive substring of command line, comm or user."""
        return self._filter_text

    @property
    def user_filter(self) -> str | None:
        """Only processes of this user, or ``None``."""
        return self._user_filter

    @property
    def pid_filter(self) -> frozenset[int] | None:
        """Only these PIDs, or ``None``."""
        return self._pid_filter

    @property
    def hide_kernel_threads(self) -> bool:
        """True when kernel threads are hidden."""
        return self._hide_kernel_threads

    @property
    def shown_optional(self) -> frozenset[str]:
        """Keys of the optional columns shown."""
        return self._shown_optional

    @property
    def rows(self) -> Sequence[ProcessInfo]:
        """The processes in display order (the view's own list: do not change it)."""
        return self._rows

    @property
    def cursor(self) -> int:
        """Index of the cursor in ``rows`` (0 when empty)."""
        return self._cursor

    @property
    def selected_pid(self) -> int | None:
        """PID under the cursor, or ``None`` when there are no rows."""
        return self._rows[self._cursor].pid if self._rows else None

    @property
    def lost_choice(self) -> int | None:
        """The PID the user chose when it is not under the cursor now (it exited, or a filter hides it),
        else ``None``: until the user chooses again, no process under the cursor is theirs."""
        if self._follow and self._followed is not None and self._followed != self._under_cursor():
            return self._followed[0]
        return None

    def _under_cursor(self) -> tuple[int, int | None] | None:
        if not self._rows:
            return None
        p = self._rows[self._cursor]
        return p.pid, p.start_time

    @property
    def order_hold(self) -> int:
        """Samples between two sorts by :meth:`set_processes`; 0 or 1 sorts every time. In between, rows
        keep their order and new processes go last (low-bandwidth mode: rows moving on every refresh are
        most of what a sorted table writes to the terminal)."""
        return self._order_hold

    @order_hold.setter
    def order_hold(self, samples: int) -> None:
        self._order_hold = max(0, samples)
        self._held_for = 0

    def needs_status_for_all(self) -> bool:
        """True when the order depends on a ``/proc/PID/status`` value, so every process needs it.

        The filters look only at command line, comm and user, which never come from that file this tick.
        """
        return COLUMN_BY_KEY[self._sort_key].needs_status

    def needs_io(self) -> bool:
        """True when a shown column, or the sort, shows ``/proc/PID/io`` values."""
        return bool(IO_KEYS & self._shown_optional) or self._sort_key in IO_KEYS

    def needs_cgroup(self) -> bool:
        """True when a shown column, or the sort, shows ``/proc/PID/cgroup`` values."""
        return bool(CGROUP_KEYS & self._shown_optional) or self._sort_key in CGROUP_KEYS

    def needs_numa(self) -> bool:
        """True when a shown column needs ``numa_maps`` (REMOTE%)."""
        return any(COLUMN_BY_KEY[key].needs_numa for key in self._shown_optional)

    def index_of(self, pid: int) -> int | None:
        """The row of ``pid``, or ``None`` when it is not shown."""
        return next((index for index, p in enumerate(self._rows) if p.pid == pid), None)

    def search(self, text: str, backwards: bool = False) -> int | None:
        """htop's F3: the next row after the cursor (before it with ``backwards``) that ``matches`` ``text``,
        wrapping around, the cursor row itself last; ``None`` if none."""
        count = len(self._rows)
        if not text or not count:
            return None
        step = -1 if backwards else 1
        for distance in range(1, count + 1):
            index = (self._cursor + step * distance) % count
            if matches(self._rows[index], text):
                return index
        return None

    # Changing.

    def set_processes(self, procs: Sequence[ProcessInfo]) -> None:
        """Show a new sample's processes (sorted, or in the held order: see ``order_hold``)."""
        self._all = procs
        self._held_for += 1
        self._apply(keep_order=self._held_for < self._order_hold)

    def replace_processes(self, updated: Collection[ProcessInfo]) -> bool:
        """Replace the rows of the same processes (same PID and start time) with ``updated`` and re-apply
        filter and sort: an action changed them between two samples. The others stay as they are; a
        process not shown is ignored."""
        by_pid = {p.pid: p for p in updated}
        if not by_pid:
            return False
        rows = []
        for p in self._all:
            new = by_pid.get(p.pid)
            rows.append(new if new is not None and new.start_time == p.start_time else p)
        self._all = rows
        self._apply()
        return True

    def set_sort(self, key: str, reverse: bool | None = None) -> bool:
        """Sort by a column (key or name, case-insensitive; ``ValueError`` if unknown), showing it if it
        is a hidden optional column.

        ``reverse`` ``None`` keeps the direction when the column is already the sort column, else takes
        the column's natural direction.
        """
        column = resolve_column(key)
        if reverse is None:
            reverse = self._sort_reverse if column.key == self._sort_key else column.descending
        if (column.key, reverse) == (self._sort_key, self._sort_reverse):
            return False
        if column.optional:
            self._shown_optional |= {column.key}
        self._sort_key, self._sort_reverse = column.key, reverse
        self._apply()
        return True

    def toggle_column(self, key: str) -> bool:
        """Show or hide an optional column (key or name; ``ValueError`` for one that is not optional).
        Returns True when it is shown now. Hiding the sort column sorts by CPU% instead."""
        column = optional_column(key)
        if column.key in self._shown_optional:
            self._shown_optional -= {column.key}
            if column.key == self._sort_key:
                self.set_sort("cpu")
            return False
        self._shown_optional |= {column.key}
        return True

    def set_filter(self, text: str) -> bool:
        """Show only processes whose command line, comm or user contains ``text``; ``""`` shows all."""
        if text == self._filter_text:
            return False
        self._filter_text = text
        self._apply()
        return True

    def set_user_filter(self, user: str | None) -> bool:
        """Show only processes of ``user`` (exact name), or all with ``None``."""
        if user == self._user_filter:
            return False
        self._user_filter = user
        self._apply()
        return True

    def set_pid_filter(self, pids: frozenset[int] | None) -> bool:
        """Show only these PIDs (``--pid``), or all with ``None``."""
        if pids == self._pid_filter:
            return False
        self._pid_filter = pids
        self._apply()
        return True

    def set_hide_kernel_threads(self, hide: bool) -> bool:
        """Hide or show kernel threads."""
        if hide == self._hide_kernel_threads:
            return False
        self._hide_kernel_threads = hide
        self._apply()
        return True

    def move_cursor(self, index: int) -> None:
        """The user chose row ``index`` (clamped to the rows): the cursor goes there and from now on
        follows its process. Nothing happens without rows."""
        if not self._rows:
            return
        self._follow = True
        self._cursor = max(0, min(index, len(self._rows) - 1))
        self._followed = self._under_cursor()

    def choose_selected(self) -> None:
        """The user chose the process under the cursor (a search found it there, a filter was kept): from
        now on the cursor follows it, as after :meth:`move_cursor`."""
        if self._rows:
            self._follow = True
            self._followed = self._under_cursor()

    def _apply(self, *, keep_order: bool = False) -> None:
        chosen = filter_processes(
            self._all,
            self._filter_text,
            self._user_filter,
            self._pid_filter,
            self._hide_kernel_threads,
        )
        if keep_order and self._rows:
            place = {p.pid: i for i, p in enumerate(self._rows)}
            kept = sorted((p for p in chosen if p.pid in place), key=lambda p: place[p.pid])
            new = sort_processes(
                [p for p in chosen if p.pid not in place], self._sort_key, self._sort_reverse
            )
            rows = kept + new
        else:
            self._held_for = 0
            rows = sort_processes(chosen, self._sort_key, self._sort_reverse)
        self._rows = rows
        found = None
        if self._follow and self._followed is not None:
            pid, start_time = self._followed
            found = next((i for i, p in enumerate(rows) if p.pid == pid and p.start_time == start_time), None)
        self._cursor = max(0, found if found is not None else min(self._cursor, len(rows) - 1))
        # A chosen process stays chosen while it is not in the rows (exited, or a filter hides it): the
        # cursor keeps its line meanwhile, follows no process nobody chose, and finds it again if it comes
        # back (the filter cleared). See lost_choice.
        if not self._follow:
            self._followed = self._under_cursor()
