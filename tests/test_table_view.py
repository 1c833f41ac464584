"""The process table's view state: sort, filters, shown columns, tags and the cursor, on plain data (no
Textual)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perftop.probes.snapshot import ProcessInfo
from perftop.widgets.table_view import TableView, optional_column
from tests.factories import make_proc


def busy(*cpu: float | None, start: int = 100) -> list[ProcessInfo]:
    """Processes ``start``, ``start + 1``, ... with these CPU% figures."""
    return [make_proc(start + i, cpu_percent=value) for i, value in enumerate(cpu)]


def pids(view: TableView) -> list[int]:
    return [p.pid for p in view.rows]


def test_a_new_view_is_empty_and_sorted_by_cpu_high_first() -> None:
    view = TableView()
    assert (view.sort_key, view.sort_reverse, view.rows, view.cursor, view.selected_pid) == (
        "cpu",
        True,
        [],
        0,
        None,
    )
    view.set_processes(busy(5.0, None, 80.0, 20.0))
    assert pids(view) == [102, 103, 100, 101]  # unknown last
    assert view.selected_pid == 102


def test_sort_directions() -> None:
    view = TableView("PID")
    assert (view.sort_key, view.sort_reverse) == ("pid", False)
    view.set_processes(busy(1.0, 2.0, 3.0))
    assert pids(view) == [100, 101, 102]
    assert view.set_sort("pid", True) and pids(view) == [102, 101, 100]
    assert not view.set_sort("pid")  # the direction kept: nothing to do
    assert view.set_sort("CPU%") and view.sort_reverse  # a new column starts in its own direction
    assert not view.set_sort("cpu", True)
    with pytest.raises(ValueError, match="unknown column"):
        view.set_sort("nope")
    assert TableView("time", sort_reverse=False).sort_reverse is False


def test_until_the_user_chooses_a_process_the_cursor_stays_on_its_line() -> None:
    view = TableView()
    view.set_processes(busy(3.0, 2.0, 1.0))
    assert (view.cursor, view.selected_pid) == (0, 100)
    view.set_processes(busy(1.0, 2.0, 3.0))  # the order turns over
    assert (view.cursor, view.selected_pid) == (0, 102)


def test_once_chosen_the_cursor_follows_its_process() -> None:
    view = TableView()
    view.set_processes(busy(3.0, 2.0, 1.0))
    view.move_cursor(1)
    assert view.selected_pid == 101
    view.set_processes(busy(1.0, 3.0, 2.0))
    assert (view.cursor, view.selected_pid) == (0, 101)
    # Gone: the cursor stays on its row, and the process it lands on is not chosen (nobody chose it): the
    # cursor keeps its line, as before any choice, until the user chooses again.
    view.set_processes([make_proc(100, cpu_percent=1.0), make_proc(102, cpu_percent=2.0)])
    assert (view.cursor, view.selected_pid) == (0, 102)
    view.set_processes(busy(3.0, 9.0, 2.0))
    assert (view.cursor, view.selected_pid) == (0, 101)
    view.move_cursor(2)  # chosen again: followed again
    view.set_processes(busy(3.0, 1.0, 9.0))
    assert (view.cursor, view.selected_pid) == (0, 102)


def test_choose_selected_starts_following_the_process_under_the_cursor() -> None:
    view = TableView()
    view.choose_selected()  # no rows: nothing chosen
    view.set_processes(busy(3.0, 2.0))
    view.set_processes(busy(2.0, 3.0))
    assert view.selected_pid == 101
    view.choose_selected()
    view.set_processes(busy(3.0, 2.0))
    assert view.selected_pid == 101


def test_move_cursor_clamps_and_does_nothing_without_rows() -> None:
    view = TableView()
    view.move_cursor(5)
    assert (view.cursor, view.selected_pid) == (0, None)
    view.set_processes(busy(3.0, 2.0, 1.0))
    view.set_processes(busy(1.0, 2.0, 3.0))  # the move above chose nothing: still on line 0
    assert view.selected_pid == 102
    view.move_cursor(99)
    assert (view.cursor, view.selected_pid) == (2, 100)
    view.move_cursor(-3)
    assert (view.cursor, view.selected_pid) == (0, 102)


def test_a_shrinking_list_keeps_the_cursor_on_the_last_row() -> None:
    view = TableView()
    view.set_processes(busy(5.0, 4.0, 3.0, 2.0))
    view.move_cursor(3)
    view.set_processes(busy(5.0, 4.0))
    assert (view.cursor, view.selected_pid) == (1, 101)
    view.set_processes([])
    assert (view.cursor, view.selected_pid) == (0, None)


@given(
    samples=st.lists(st.permutations(range(6)), min_size=1, max_size=8),
    chosen_at=st.integers(0, 7),
    row=st.integers(0, 5),
)
def test_the_chosen_process_stays_selected_whatever_the_order(
    samples: list[list[int]], chosen_at: int, row: int
) -> None:
    """Processes that swap places at every sample: before a choice the cursor stays on its line, after it
    on its process."""
    view = TableView()
    chosen: int | None = None
    for index, order in enumerate(samples):
        view.set_processes([make_proc(100 + i, cpu_percent=float(order[i])) for i in range(6)])
        if chosen is None:
            assert view.cursor == 0
        else:
            assert view.selected_pid == chosen
        if index == chosen_at:
            view.move_cursor(row)
            chosen = view.selected_pid
            assert chosen == view.rows[row].pid


def test_filters_report_whether_they_changed_anything() -> None:
    procs = [
        make_proc(1, user="root", comm="systemd", cmdline="/sbin/init"),
        make_proc(2, user="root", comm="kthreadd", cmdline="", kernel_thread=True),
        make_proc(300, user="alice", comm="python3", cmdline="python3 /srv/Serve.py"),
        make_proc(301, user="bob", comm="python3", cmdline="python3 batch.py"),
    ]
    view = TableView("pid")
    view.set_processes(procs)
    assert view.set_filter("SERVE") and pids(view) == [300] and view.filter_text == "SERVE"
    assert not view.set_filter("SERVE")
    assert view.set_filter("") and pids(view) == [1, 2, 300, 301]
    assert view.set_user_filter("root") and pids(view) == [1, 2] and view.user_filter == "root"
    assert not view.set_user_filter("root")
    assert view.set_hide_kernel_threads(True) and pids(view) == [1] and view.hide_kernel_threads
    assert not view.set_hide_kernel_threads(True)
    assert view.set_user_filter(None) and view.set_pid_filter(frozenset({2, 301}))
    assert pids(view) == [301] and view.pid_filter == frozenset({2, 301})
    assert not view.set_pid_filter(frozenset({2, 301}))


def test_search_wraps_and_tries_the_cursor_row_last() -> None:
    view = TableView("pid")
    view.set_processes([make_proc(1, comm="bash"), make_proc(2, comm="vim"), make_proc(3, comm="bash")])
    assert view.search("bash") == 2
    view.move_cursor(2)
    assert view.search("bash") == 0
    assert view.search("bash", backwards=True) == 0
    assert view.search("vim", backwards=True) == 1
    view.move_cursor(1)
    assert view.search("vim") == 1  # only the cursor row matches
    assert view.search("nothing") is None and view.search("") is None
    assert view.index_of(3) == 2 and view.index_of(99) is None


def test_sorting_by_a_hidden_optional_column_shows_it_and_hiding_the_sort_column_sorts_by_cpu() -> None:
    view = TableView()
    assert view.shown_optional == frozenset()
    assert view.set_sort("IO_W/s")
    assert view.shown_optional == {"io_write"} and view.needs_io()
    assert not view.toggle_column("io_write")
    assert (view.sort_key, view.sort_reverse, view.shown_optional) == ("cpu", True, frozenset())
    assert not view.needs_io()
    assert view.toggle_column("REMOTE%") and view.shown_optional == {"remote"} and view.needs_numa()
    assert view.sort_key == "cpu"  # showing a column leaves the order alone
    optional = "REMOTE%, IO_R/s, IO_W/s, OOM_SCORE, OOM_ADJ"
    with pytest.raises(ValueError, match=f"always shown; the optional ones are {optional}"):
        view.toggle_column("pid")


def test_the_constructor_resolves_optional_names_and_shows_an_optional_sort_column() -> None:
    view = TableView("io_r", shown_optional=("REMOTE%",))
    assert view.sort_key == "io_read" and view.shown_optional == {"io_read", "remote"}
    with pytest.raises(ValueError, match="always shown"):
        TableView(shown_optional=("cpu",))
    assert optional_column("io_w").key == "io_write"


def test_what_the_order_and_the_shown_columns_need_read() -> None:
    view = TableView()
    assert not (view.needs_status_for_all() or view.needs_io() or view.needs_numa())
    view.set_sort("VCSW/s")
    assert view.needs_status_for_all() and not view.needs_io()
    view.set_sort("io_read")
    assert view.needs_status_for_all() and view.needs_io()
    view.set_sort("rss")
    assert not view.needs_status_for_all() and view.needs_io()  # IO_R/s stays shown


def test_order_hold_keeps_the_rows_in_place_between_sorts() -> None:
    view = TableView()
    view.order_hold = 3
    view.set_processes(busy(3.0, 2.0, 1.0))
    assert pids(view) == [100, 101, 102]  # the first sample is sorted
    view.set_processes([*busy(1.0, 2.0, 3.0), *busy(5.0, 9.0, start=200)])
    assert pids(view) == [100, 101, 102, 201, 200]  # held; new processes last, sorted among themselves
    view.set_processes(busy(1.0, 2.0, 3.0))
    assert pids(view) == [100, 101, 102]
    view.set_processes(busy(1.0, 2.0, 3.0))
    assert pids(view) == [102, 101, 100]  # every third sample sorts
    view.set_processes(busy(3.0, 2.0, 1.0))
    assert pids(view) == [102, 101, 100]
    view.order_hold = 0
    view.set_processes(busy(3.0, 2.0, 1.0))
    assert pids(view) == [100, 101, 102]
    view.order_hold = -4
    assert view.order_hold == 0


def test_a_change_of_sort_sorts_at_once_under_order_hold() -> None:
    view = TableView()
    view.order_hold = 5
    view.set_processes(busy(3.0, 2.0, 1.0))
    view.set_processes(busy(1.0, 2.0, 3.0))
    assert pids(view) == [100, 101, 102]
    view.set_sort("pid", True)
    assert pids(view) == [102, 101, 100]


def test_replace_processes_takes_the_new_rows_of_the_same_processes_only() -> None:
    view = TableView()
    procs = busy(3.0, 2.0, 1.0)
    view.set_processes(procs)
    assert not view.replace_processes([])
    reused = make_proc(101, start_time=1, cpu_percent=99.0)  # the PID of another process
    assert view.replace_processes([replace(procs[2], cpu_percent=50.0), reused, make_proc(999)])
    assert pids(view) == [102, 100, 101]
    assert [p.cpu_percent for p in view.rows] == [50.0, 3.0, 2.0]


def test_tags_are_the_owners_set() -> None:
    view = TableView()
    view.tagged.add(5)
    assert view.tagged == {5}
