"""What the process table shows and where its cursor is: sort, filters, shown optional columns, tags, and
the process the cursor follows.

Pure Python (no Textual): the process table keeps one :class:`TableView`, changes it on keys and samples,
and draws its ``rows``; tests check the rules on plain data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from operator import attrgetter

from perftop.probes.snapshot import ProcessInfo, ThreadInfo
from perftop.widgets.process_columns import (
    CGROUP_KEYS,
    COLUMN_BY_KEY,
    IO_KEYS,
    OOM_KEYS,
    OPTIONAL_KEYS,
    Column,
    filter_processes,
    matches,
    resolve_column,
    sort_processes,
)
from perftop.widgets.process_tree import BLANK, ELBOW, PIPE, TEE, TreeOrder, tree_order

#: What the tree order of a row depends on, besides its place in the sort.
_LINK = attrgetter("pid", "ppid", "start_time")
_PARENT = attrgetter("pid", "ppid")


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

    Thread rows (:class:`~perftop.probes.snapshot.ThreadInfo`, given with the processes while the thread
    view is on) are filtered and sorted as processes are, then shown right under their process: in the flat
    view after it, in the tree view as its first children (before its child processes); a thread whose
    process is not shown is not shown either.

    In the tree view (``tree``) the rows are in :func:`~perftop.widgets.process_tree.tree_order` of the
    filtered, sorted processes; ``prefixes`` holds each row's guides. The tree is built again only when
    the rows, their order, their parents or the collapsed processes changed. Switching views keeps the
    process under the cursor.
    """

    __slots__ = (
        "_all",
        "_collapsed",
        "_cursor",
        "_filter_text",
        "_follow",
        "_followed",
        "_held_for",
        "_hide_kernel_threads",
        "_order_hold",
        "_pid_filter",
        "_procs",
        "_rows",
        "_shown",
        "_shown_optional",
        "_sort_key",
        "_sort_reverse",
        "_thread_rows",
        "_threads_on",
        "_tree",
        "_tree_built",
        "_tree_key",
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
        self._procs: Sequence[ProcessInfo] = ()
        self._thread_rows: Sequence[ThreadInfo] = ()
        self._threads_on = False
        self._rows: list[ProcessInfo] = []
        self._cursor = 0
        self._follow = False
        #: (PID, start time) of the process the cursor follows: a PID alone may be reused meanwhile.
        self._followed: tuple[int, int | None] | None = None
        self._order_hold = 0
        self._held_for = 0
        self.tagged: set[int] = set()
        """PIDs marked by the owner (the App tags and untags)."""
        self._tree = False
        #: Identities (pid, start_time) of the collapsed processes of the tree.
        self._collapsed: set[tuple[int, int]] = set()
        #: The last tree built, and what it was built from.
        self._tree_built: TreeOrder | None = None
        self._tree_key: tuple[object, ...] | None = None
        #: With thread rows: each row's guides and whether it is a tree branch (aligned with ``_rows``).
        self._shown: tuple[list[str], list[bool]] | None = None

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
    def tree(self) -> bool:
        """True in the tree view."""
        return self._tree

    @property
    def prefixes(self) -> Sequence[str] | None:
        """In the tree view, the guides drawn before each row's command (aligned with ``rows``), else
        ``None``."""
        if self._shown is not None:
            return self._shown[0]
        return self._tree_built.prefixes if self._tree and self._tree_built is not None else None

    @property
    def collapsed(self) -> frozenset[tuple[int, int]]:
        """Identities ``(pid, start_time)`` of the collapsed processes of the tree."""
        return frozenset(self._collapsed)

    def is_branch(self, index: int) -> bool:
        """True when row ``index`` of the tree has children (shown or collapsed)."""
        built = self._tree_built
        branches = self._shown[1] if self._shown is not None else built.branches if built is not None else []
        return self._tree and built is not None and 0 <= index < len(branches) and branches[index]

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

    def needs_run_delay(self) -> bool:
        """True when RUN-DELAY/s is shown or sorted by."""
        return "run_delay" in self._shown_optional or self._sort_key == "run_delay"

    def needs_throttle(self) -> bool:
        """True when THROTTLED% is shown or sorted by."""
        return "throttled" in self._shown_optional or self._sort_key == "throttled"

    def needs_numa(self) -> bool:
        """True when a shown column needs ``numa_maps`` (REMOTE%)."""
        return any(COLUMN_BY_KEY[key].needs_numa for key in self._shown_optional)

    def needs_oom(self) -> bool:
        """True when a shown column, or the sort, needs ``oom_score`` or ``oom_score_adj``."""
        return bool(OOM_KEYS & self._shown_optional)

    def needs_oom_for_all(self) -> bool:
        """True when the order depends on an OOM figure, so every process needs it."""
        return self._sort_key in OOM_KEYS

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

    @property
    def threads(self) -> bool:
        """True while the thread rows given to :meth:`set_processes` are shown (``H``)."""
        return self._threads_on

    def thread_pids(self) -> set[int]:
        """The processes whose threads the next sample should read: while threads are shown, the shown
        processes that have more than one (the main thread's row is the process's)."""
        if not self._threads_on:
            return set()
        return {p.pid for p in self._rows if type(p) is not ThreadInfo and (p.threads or 0) > 1}

    def has_thread_rows(self) -> bool:
        """True when threads are shown and the last sample gave some (False just after ``H``)."""
        return self._threads_on and bool(self._thread_rows)

    def set_processes(self, procs: Sequence[ProcessInfo], threads: Sequence[ThreadInfo] = ()) -> None:
        """Show a new sample's processes (sorted, or in the held order: see ``order_hold``), and under them
        ``threads`` (all but each process's main thread) while the thread view is on."""
        self._procs, self._thread_rows = procs, threads
        self._all = self._merged()
        self._held_for += 1
        self._apply(keep_order=self._held_for < self._order_hold)

    def _merged(self) -> Sequence[ProcessInfo]:
        """The processes, with the thread rows (the main ones left out) while they are shown."""
        if not self._threads_on or not self._thread_rows:
            return self._procs
        return [*self._procs, *(t for t in self._thread_rows if t.pid != t.tgid)]

    def set_threads(self, on: bool) -> bool:
        """Show the thread rows under their processes (or not), the cursor on the same row's process or
        thread; a thread row under the cursor leaves it on its process."""
        if on == self._threads_on:
            return False
        under = self._under_cursor()
        if under is not None and not on:
            p = self._rows[self._cursor]
            if isinstance(p, ThreadInfo):
                owner = next((q for q in self._procs if q.pid == p.tgid), None)
                under = None if owner is None else (owner.pid, owner.start_time)
        self._threads_on = on
        self._all = self._merged()
        self._apply()
        found = None if under is None else self._find(under)
        if found is not None:
            self._cursor = found
            self._followed = under
        return True

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

    def set_tree(self, on: bool) -> bool:
        """Show the tree view (or the flat one), the cursor on the same process."""
        if on == self._tree:
            return False
        under = self._under_cursor()
        self._tree = on
        self._apply()
        self._keep(under)
        self._to_shown_ancestor(under)  # a collapsed ancestor hides it in the tree
        return True

    def toggle_collapsed(self, index: int) -> bool:
        """Collapse row ``index`` of the tree (hide its descendants), or expand it if collapsed; False
        when it has no children. The cursor stays on its process, or on the row that hides it now."""
        if not self.is_branch(index):
            return False
        p = self._rows[index]
        self._collapsed ^= {(p.pid, p.start_time)}
        self._relayout()
        return True

    def toggle_all_collapsed(self) -> bool:
        """Expand every collapsed process if there is one, else collapse every process with children
        (htop's ``*``). Returns True when the tree is collapsed now."""
        if self._collapsed:
            self._collapsed.clear()
        else:
            built = self._tree_built
            if self._tree and built is not None:
                branches = self._shown[1] if self._shown is not None else built.branches
                self._collapsed = {
                    (p.pid, p.start_time) for p, branch in zip(self._rows, branches, strict=True) if branch
                }
        self._relayout()
        return bool(self._collapsed)

    def _relayout(self) -> None:
        """Re-apply after the collapsed set changed: the process under the cursor stays there, or, if a
        collapse hid it, the row that hides it takes the cursor (and is followed if it was)."""
        under = self._under_cursor()
        self._apply()
        self._to_shown_ancestor(under)

    def _to_shown_ancestor(self, under: tuple[int, int | None] | None) -> None:
        """When ``under``, the process the cursor was on, is not shown now (a collapse hid it), move the
        cursor to its nearest shown ancestor, followed if ``under`` was."""
        if under is None or self._find(under) is not None:
            return
        parents = dict(map(_PARENT, self._all))
        pid: int | None = under[0]
        for _ in range(len(parents)):
            pid = parents.get(pid) if pid else None
            if not pid:
                return
            index = self.index_of(pid)
            if index is not None:
                self._cursor = index
                if not self._follow or self._followed == under:
                    self._followed = self._under_cursor()
                return

    def _find(self, identity: tuple[int, int | None]) -> int | None:
        """The row of the process with this identity, or ``None``."""
        pid, start_time = identity
        return next(
            (i for i, p in enumerate(self._rows) if p.pid == pid and p.start_time == start_time), None
        )

    def _keep(self, under: tuple[int, int | None] | None) -> None:
        """Put the cursor back on ``under`` (the process it was on) when the user chose none."""
        if self._follow or under is None:
            return
        found = self._find(under)
        if found is not None:
            self._cursor = found
            self._followed = under

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

    def stop_following(self) -> None:
        """Forget the process chosen: the cursor keeps its line from now on, as before any choice (``F``
        again or Esc after ``F``)."""
        self._follow = False
        self._followed = self._under_cursor()

    def _apply(self, *, keep_order: bool = False) -> None:
        pids = self._pid_filter
        if pids is not None and self._threads_on and self._thread_rows:
            # --pid names processes: their threads are shown with them.
            pids = pids | {t.pid for t in self._thread_rows if t.tgid in pids}
        chosen = filter_processes(
            self._all,
            self._filter_text,
            self._user_filter,
            pids,
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
        threads = [p for p in rows if type(p) is ThreadInfo]
        if threads:
            rows = [p for p in rows if type(p) is not ThreadInfo]
        self._shown = None
        if self._tree:
            rows = self._tree_rows(rows, len(chosen) != len(self._all))
        if threads:
            rows = self._with_threads(rows, threads)
        self._rows = rows
        found = None
        if self._follow and self._followed is not None:
            found = self._find(self._followed)
        self._cursor = max(0, found if found is not None else min(self._cursor, len(rows) - 1))
        # A chosen process stays chosen while it is not in the rows (exited, or a filter hides it): the
        # cursor keeps its line meanwhile, follows no process nobody chose, and finds it again if it comes
        # back (the filter cleared). See lost_choice.
        if not self._follow:
            self._followed = self._under_cursor()

    def _with_threads(self, rows: list[ProcessInfo], threads: list[ThreadInfo]) -> list[ProcessInfo]:
        """``rows`` (processes in display order) with each one's ``threads`` (in sort order) right under it,
        drawn with guides, as its first children in the tree view; none under a collapsed process. Sets
        ``_shown``: the guides and branch flags aligned with the result."""
        under: dict[int, list[ThreadInfo]] = {}
        for t in threads:
            under.setdefault(t.tgid, []).append(t)
        built = self._tree_built if self._tree else None
        out: list[ProcessInfo] = []
        prefixes: list[str] = []
        branches: list[bool] = []
        for index, p in enumerate(rows):
            prefix = built.prefixes[index] if built is not None else ""
            branch = built.branches[index] if built is not None else False
            out.append(p)
            prefixes.append(prefix)
            branches.append(branch)
            own = under.get(p.pid)
            if not own or (built is not None and built.hidden[index]):
                continue
            # The process's own guide continues as a line (more siblings below) or blanks (the last one).
            below = prefix.replace(TEE, PIPE).replace(ELBOW, BLANK)
            last = len(own) - 1
            for position, t in enumerate(own):
                out.append(t)
                prefixes.append(below + (TEE if branch or position < last else ELBOW))
                branches.append(False)
        self._shown = (prefixes, branches)
        return out

    def _tree_rows(self, rows: list[ProcessInfo], filtered: bool) -> list[ProcessInfo]:
        """``rows`` (filtered and sorted) in tree order; the tree is built again only when the rows, their
        order, their parents or the collapsed processes changed."""
        # With a filter, the parents of the processes not shown place the shown ones too.
        key = (
            list(map(_LINK, rows)),
            frozenset(self._collapsed),
            list(map(_PARENT, self._all)) if filtered else None,
        )
        built = self._tree_built
        if built is None or key != self._tree_key:
            if self._collapsed:
                # Forget the collapsed processes that exited (a reused PID is another process).
                self._collapsed &= set(map(attrgetter("pid", "start_time"), self._all))
            links = dict(map(_PARENT, self._all)) if filtered else None
            built = self._tree_built = tree_order(rows, self._collapsed, links)
            self._tree_key = (key[0], frozenset(self._collapsed), key[2])
        return list(map(rows.__getitem__, built.order))
