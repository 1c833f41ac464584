"""The tree order (a pure function) and the table view's tree state, on plain data."""

from __future__ import annotations

from perftop.probes.snapshot import ProcessInfo
from perftop.widgets.process_columns import filter_processes, sort_processes
from perftop.widgets.process_tree import tree_order
from perftop.widgets.table_view import TableView
from tests.factories import make_proc


def proc(pid: int, ppid: int | None, cpu: float = 0.0, **fields: object) -> ProcessInfo:
    return make_proc(pid, ppid=ppid, cpu_percent=cpu, **fields)


def drawn(rows: list[ProcessInfo], collapsed: set[tuple[int, int]] | None = None, **kw: object) -> list[str]:
    """Each row of the tree as its guide then its PID."""
    tree = tree_order(rows, collapsed or set(), **kw)  # type: ignore[arg-type]
    return [prefix + str(rows[i].pid) for i, prefix in zip(tree.order, tree.prefixes, strict=True)]


# A small machine: init with two daemons, one with a child that forked a grandchild; kthreadd and two
# kernel threads.
MACHINE = [
    proc(1, 0),
    proc(2, 0, kernel_thread=True),
    proc(10, 2, kernel_thread=True),
    proc(11, 2, kernel_thread=True),
    proc(100, 1),
    proc(200, 1),
    proc(201, 200),
    proc(202, 201),
]


def test_children_hang_under_their_parent_with_htops_guides() -> None:
    assert drawn(MACHINE) == [
        "1",
        "├─ 100",
        "└─ 200",
        "   └─ 201",
        "      └─ 202",
        "2",
        "├─ 10",
        "└─ 11",
    ]


def test_a_vertical_line_continues_while_a_level_has_more_children() -> None:
    rows = [proc(1, 0), proc(5, 1), proc(6, 5), proc(7, 1)]
    assert drawn(rows) == ["1", "├─ 5", "│  └─ 6", "└─ 7"]


def test_siblings_follow_the_active_sort() -> None:
    rows = [proc(1, 0), proc(100, 1, cpu=1.0), proc(200, 1, cpu=9.0), proc(300, 1, cpu=5.0), proc(201, 200)]
    by_cpu = sort_processes(rows, "cpu", reverse=True)
    assert drawn(by_cpu) == ["1", "├─ 200", "│  └─ 201", "├─ 300", "└─ 100"]
    by_pid = sort_processes(rows, "pid")
    assert drawn(by_pid) == ["1", "├─ 100", "├─ 200", "│  └─ 201", "└─ 300"]
    assert drawn(sort_processes(rows, "cpu")) == ["1", "├─ 100", "├─ 300", "└─ 200", "   └─ 201"]


def test_orphans_and_processes_of_another_namespace_are_roots() -> None:
    # 50's parent exited between two reads (not re-parented yet), 60's lives outside the namespace
    # (ppid 0), 70's is unknown; 80 was re-parented to a subreaper (1000), which the kernel shows as ppid.
    rows = [proc(1, 0), proc(50, 49), proc(60, 0), proc(70, None), proc(1000, 1), proc(80, 1000)]
    assert drawn(sort_processes(rows, "pid")) == ["1", "└─ 1000", "   └─ 80", "50", "60", "70"]


def test_cycles_are_cut_and_every_process_shows_once() -> None:
    # A reused PID between two reads: 30 says its parent is 31, and 31 that its parent is 30. And a process
    # that names itself as parent.
    rows = [proc(1, 0), proc(30, 31), proc(31, 30), proc(32, 31), proc(40, 40)]
    lines = drawn(sort_processes(rows, "pid"))
    assert sorted(int(line.split()[-1]) for line in lines) == [1, 30, 31, 32, 40]
    assert lines == ["1", "40", "30", "└─ 31", "   └─ 32"]


def test_a_collapsed_process_hides_its_descendants_and_counts_them() -> None:
    identity = (200, make_proc(200).start_time)
    assert drawn(MACHINE, {identity}) == ["1", "├─ 100", "└─ +2 200", "2", "├─ 10", "└─ 11"]
    root = (1, make_proc(1).start_time)
    assert drawn(MACHINE, {root})[0] == "+4 1"
    # A leaf cannot collapse: nothing to hide.
    assert drawn(MACHINE, {(100, make_proc(100).start_time)}) == drawn(MACHINE)
    # A reused PID is another process: its children show.
    assert drawn(MACHINE, {(200, 1)}) == drawn(MACHINE)


def test_a_filtered_process_hangs_under_its_nearest_shown_ancestor() -> None:
    # Decided: the filter shows the matching processes only, nested under their nearest matching
    # ancestor; the ancestors that do not match are not drawn.
    rows = [
        proc(1, 0, comm="init", cmdline="init"),
        proc(300, 1, comm="sshd", cmdline="sshd"),
        proc(301, 300, comm="bash", cmdline="bash"),
        proc(302, 301, comm="python", cmdline="python worker"),
        proc(303, 302, comm="python", cmdline="python child"),
        proc(400, 1, comm="python", cmdline="python other"),
    ]
    shown = filter_processes(rows, "python")
    links = {p.pid: p.ppid for p in rows}
    assert drawn(shown, links=links) == ["302", "└─ 303", "400"]
    # Without links, a process whose parent is not shown is a root.
    assert drawn([rows[0], rows[3], rows[4]]) == ["1", "302", "└─ 303"]


def test_kernel_threads_hang_under_kthreadd_and_k_hides_them_all() -> None:
    view = TableView(sort_key="pid")
    view.set_processes(MACHINE)
    view.set_tree(True)
    assert [p.pid for p in view.rows] == [1, 100, 200, 201, 202, 2, 10, 11]
    view.set_hide_kernel_threads(True)
    assert [p.pid for p in view.rows] == [1, 100, 200, 201, 202]
    assert view.prefixes == ["", "├─ ", "└─ ", "   └─ ", "      └─ "]


def test_the_view_keeps_the_process_under_the_cursor_across_views() -> None:
    view = TableView()  # CPU% descending: 202 on top in the flat view
    procs = [*MACHINE[:7], proc(202, 201, cpu=50.0)]
    view.set_processes(procs)
    assert view.selected_pid == 202
    view.set_tree(True)
    assert view.selected_pid == 202 and view.cursor == 4
    view.move_cursor(1)
    assert view.selected_pid == 100
    view.set_tree(False)
    assert view.selected_pid == 100
    view.set_processes(procs)
    assert view.selected_pid == 100


def test_collapse_keeps_the_selection_and_a_hidden_selection_moves_to_its_ancestor() -> None:
    view = TableView(sort_key="pid")
    view.set_processes(MACHINE)
    view.set_tree(True)
    view.move_cursor(view.index_of(200) or 0)
    assert view.toggle_collapsed(view.cursor)
    assert view.selected_pid == 200 and [p.pid for p in view.rows] == [1, 100, 200, 2, 10, 11]
    view.set_processes(MACHINE)  # a refresh keeps it collapsed
    assert [p.pid for p in view.rows] == [1, 100, 200, 2, 10, 11]
    assert view.toggle_collapsed(view.cursor)
    assert view.selected_pid == 200 and len(view.rows) == 8
    assert not view.toggle_collapsed(view.index_of(100) or 0)  # a leaf
    view.move_cursor(view.index_of(202) or 0)
    assert view.toggle_all_collapsed()
    assert [p.pid for p in view.rows] == [1, 2]
    assert view.selected_pid == 1  # 202 is hidden under 1: the cursor follows 1 now
    view.set_processes(MACHINE)
    assert view.selected_pid == 1
    assert not view.toggle_all_collapsed()
    assert len(view.rows) == 8 and view.selected_pid == 1


def test_the_tree_is_built_again_only_when_something_moved() -> None:
    view = TableView(sort_key="pid")
    view.set_processes(MACHINE)
    view.set_tree(True)
    built = view._tree_built
    view.set_processes([p for p in MACHINE])  # same rows, same order, same parents
    assert view._tree_built is built
    view.set_processes([*MACHINE, proc(203, 201)])
    assert view._tree_built is not built
    assert [p.pid for p in view.rows] == [1, 100, 200, 201, 202, 203, 2, 10, 11]


def test_search_finds_rows_in_tree_order() -> None:
    view = TableView(sort_key="pid")
    view.set_processes(MACHINE)
    view.set_tree(True)
    assert view.search("proc20") == view.index_of(200)
    view.move_cursor(view.index_of(200) or 0)
    assert view.search("proc20") == view.index_of(201)
    assert view.search("proc1", backwards=True) == view.index_of(100)


def test_switching_to_a_tree_that_hides_the_selection_selects_the_row_that_hides_it() -> None:
    view = TableView(sort_key="pid")
    view.set_processes(MACHINE)
    view.set_tree(True)
    view.toggle_collapsed(view.index_of(200) or 0)
    view.set_tree(False)
    view.move_cursor(view.index_of(202) or 0)
    view.set_tree(True)
    assert view.selected_pid == 200 and view.lost_choice is None
