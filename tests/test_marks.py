"""Markers of tuning actions on every history graph: the cells they fall in, and each graph kind drawing
one in the column of the marked sample."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.compare import applied_between
from perftop.tui.tuning import Target
from perftop.widgets import io_pane, memory_pane, numa_pane, sockets_pane
from perftop.widgets.line_pane import Line
from perftop.widgets.load_history import MOVE_CELLS, LoadHistory
from perftop.widgets.marks import MARK, marked_cells, with_marks
from perftop.widgets.summary import plain
from testbed.demo import DemoMachine
from tests.test_header_widgets import HeaderApp, cpu_snapshot, total_only, usage
from tests.test_io_pane import machine as io_machine
from tests.test_numa_pane import make_node
from tests.test_sockets_pane import server_net


def test_marked_cells_count_from_the_newest_sample_at_the_right_edge() -> None:
    marks = [False] * 10
    marks[-1] = True  # the newest: the last cell
    assert marked_cells(marks, 5) == {4}
    assert marked_cells(marks, 5, per_cell=2) == {4}
    marks[-3] = True  # third newest: two cells back, or one back at two samples a cell
    assert marked_cells(marks, 5) == {4, 2}
    assert marked_cells(marks, 5, per_cell=2) == {4, 3}
    # Two empty slots after the newest (a graph that moves several cells at a time).
    assert marked_cells(marks, 5, pad=2) == {2, 0}
    # Older than the graph shows: left out; nothing marked, or no cells: none.
    assert marked_cells([True] + [False] * 9, 5) == frozenset()
    assert marked_cells([], 5) == frozenset()
    assert marked_cells([True], 0) == frozenset()


def test_with_marks_replaces_the_marked_cells_across_pieces() -> None:
    pieces = [("ab", "x"), ("cd", "y")]
    assert with_marks(pieces, frozenset()) == pieces
    assert with_marks(pieces, frozenset({1, 2})) == [("a", "x"), (MARK, "mark"), (MARK, "mark"), ("d", "y")]
    assert with_marks(pieces, frozenset({0, 3})) == [(MARK, "mark"), ("b", "x"), ("c", "y"), (MARK, "mark")]


def record(when: float, command: str = "renice -n 5 -p 42") -> ActionRecord:
    subject = Subject(Target(42, 1000), "worker", "/bin/worker")
    return ActionRecord(when, subject, "nice", "0", "5", command, "ok")


def test_a_sample_is_marked_by_the_actions_applied_since_the_previous_one() -> None:
    log = [record(10.0), record(20.0, command="-"), record(30.0)]
    assert applied_between(log, 5.0, 10.0)  # (5, 10]: the action at 10
    assert not applied_between(log, 10.0, 15.0)  # the action at 10 marked the sample before
    assert not applied_between(log, 15.0, 25.0)  # failed: nothing applied, no marker
    assert applied_between(log, 25.0, 31.0)
    assert applied_between(log, None, 10.0)  # the first sample: every action up to it
    assert not applied_between(log, None, 9.0)
    assert not applied_between([], None, 100.0)


def graph_columns(lines: Sequence[str], glyph: str = MARK) -> list[int]:
    """The columns of ``glyph`` in each of ``lines``."""
    return [x for line in lines for x, char in enumerate(line) if char == glyph]


async def test_load_history_marks_the_column_of_the_marked_sample() -> None:
    history = LoadHistory()
    async with HeaderApp(history).run_test(size=(60, 10)) as pilot:
        for n in range(30):
            history.push(total_only(20.0), marked=n == 25)
        await pilot.pause()
        lines = [history.render_line(y).text for y in range(history.size.height)]
        graph_width = 60 - 5 - 11
        # 30 samples and two empty slots (the graph moves MOVE_CELLS cells at a time): the 26th sample is
        # six slots from the right edge, in the third cell from the right.
        pad = -30 % (2 * MOVE_CELLS)
        cell = graph_width - 1 - (4 + pad) // 2
        assert graph_columns(lines[:1]) == [5 + cell]
        assert graph_columns(lines[1:]) == []  # atop the graph only
        assert history.marks == tuple(n == 25 for n in range(30))
        style = history.get_component_rich_style("load-history--mark")
        assert any(s.text == MARK and s.style == style for s in history.render_line(0))
        # New samples move the marker left with its sample.
        for _ in range(4):
            history.push(total_only(20.0))
        await pilot.pause()
        assert graph_columns([history.render_line(0).text]) == [5 + cell - 2]


async def test_per_cpu_sparklines_and_graphs_carry_the_marker() -> None:
    history = LoadHistory(per_cpu=True)
    async with HeaderApp(history).run_test(size=(40, 10)) as pilot:
        for n in range(8):
            history.push(cpu_snapshot(tuple(usage(i, user=50.0) for i in range(40))), marked=n == 7)
        await pilot.pause()
        # Sparklines of one line: the marker takes the newest sample's cell (its slot, then the padding).
        lines = [history.render_line(y).text for y in range(2, 4)]
        assert all(MARK in line for line in lines)
        assert lines[0].split() == ["0", "▄" * 7 + MARK, "50%", "2", "▄" * 7 + MARK, "50%"]
    tall = LoadHistory(per_cpu=True)
    tall.styles.height = 20
    async with HeaderApp(tall).run_test(size=(60, 30)) as pilot:
        for n in range(10):
            tall.push(cpu_snapshot((usage(0, user=50.0), usage(1, user=50.0))), marked=n == 9)
        await pilot.pause()
        layout = tall.layout(60, 20)
        assert layout.entry_rows > 1
        lines = [tall.render_line(y).text for y in range(20)]
        first = layout.graph_rows  # CPU 0's first line: the marker on it, none on its other lines
        cell = layout.graph_cells - 1 - (0 + (-10 % (2 * MOVE_CELLS))) // 2
        assert graph_columns([lines[first]]) == [4 + cell]
        assert graph_columns(lines[first + 1 : first + layout.entry_rows]) == []


def texts(lines: Sequence[Line]) -> list[str]:
    return [plain(line) for line in lines]


def test_io_history_marks_both_graphs() -> None:
    throughputs = [1000.0] * 20
    marks = [n == 15 for n in range(20)]
    lines = texts(io_pane.history_lines("sda", throughputs, [50.0] * 20, 30, 8, marks))
    # Captions on lines 0 and 4, the graphs under each: the marker atop each graph, two samples a cell.
    cell = 30 - 1 - 4 // 2
    assert graph_columns(lines) == [cell, cell]
    assert lines[1][cell] == MARK and lines[5][cell] == MARK
    assert all(MARK not in lines[y] for y in (0, 2, 3, 4, 6, 7))
    # Aligned with the newest samples: a device seen later (a shorter series) still gets it.
    assert graph_columns(texts(io_pane.history_lines("sda", throughputs[-6:], [50.0] * 6, 30, 8, marks))) == [
        cell,
        cell,
    ]


async def test_io_pane_keeps_a_mark_per_sample() -> None:
    pane = io_pane.IoPane()
    for n in range(5):
        pane.update_snapshot(io_machine(), marked=n == 3)
    assert pane.marks == (False, False, False, True, False)


def test_numa_miss_history_marks_the_sample() -> None:
    nodes = (make_node(0, numa_miss_per_s=5.0),)
    histories = {0: [5.0] * 40}
    marks = [n == 37 for n in range(40)]
    lines = texts(numa_pane.node_lines(nodes, histories, 160, marks))
    node_line = lines[1]
    assert node_line.count(MARK) == 1
    # The sparkline ends at the line's end: the marked sample is the third from the newest.
    assert node_line.endswith("█" * 37 + MARK + "██")
    assert MARK not in "".join(texts(numa_pane.node_lines(nodes, histories, 160)))


def test_sockets_interface_history_marks_the_sample() -> None:
    interfaces = server_net().interfaces
    histories = {i.name: [100.0] * 30 for i in interfaces}
    marks = [n == 29 for n in range(30)]
    lines = texts(sockets_pane.interface_lines(interfaces, histories, 160, marks))
    line = lines[1]
    assert line.count(MARK) == 1
    # The newest sample's cell is the sparkline's last, before the peak figure.
    spark = line[: line.rindex(MARK) + 1]
    assert spark.endswith("█" + MARK)


def test_memory_histories_mark_sparklines_and_graphs() -> None:
    history = memory_pane.HISTORIES[2]  # major faults/s
    samples = [3.0] * 50
    marks = [n == 49 for n in range(50)]
    spark = texts(memory_pane.history_block(history, samples, 80, 1, marks))
    assert len(spark) == 1 and spark[0].count(MARK) == 1
    tall = texts(memory_pane.history_block(history, samples, 80, 5, marks))
    # A caption line, then a graph of four lines: the marker atop it, in the last cell.
    assert graph_columns(tall) == [2 + 78 - 1]
    assert tall[1][-1] == MARK


@pytest.fixture
def machine(tmp_path: Path):
    machine = DemoMachine(tmp_path, ticking=True)
    yield machine
    machine.close()


async def test_the_app_marks_every_history_from_its_action_log(machine: DemoMachine) -> None:
    # As replay does: the log holds an action, the samples come through the App's _apply.
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 3)
        app.action_log.append(record(app.snapshot.time + 0.5))  # type: ignore[union-attr]
        await machine.drive(app, 3)
        await pilot.pause()
        expected = (False, False, False, True, False, False)
        panes = {p.number: w for p, w in app._panes.values()}
        assert panes[1].history.marks == expected
        assert panes[2].history.marks == expected
        # The panes that keep a mark for the baseline sample too.
        for number in (3, 4, 5, 6):
            assert panes[number].marks == (False, *expected), number
        # Drawn on the overview's graph.
        lines = [panes[1].history.render_line(y).text for y in range(panes[1].history.size.height)]
        assert "".join(lines).count(MARK) == 1
