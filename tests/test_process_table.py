"""The process table widget, driven through a small App with Pilot.

Micro check (not asserted): on the 2-core dev machine, ``set_processes`` with 2001 processes takes about
1 ms and a full repaint of a 120x32 table (``render_lines``, 32 lines) about 3.5 ms, measured with
``time.perf_counter`` over 50 refreshes.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual import events
from textual._compositor import ChopsUpdate, Compositor
from textual.app import App, ComposeResult
from textual.message import Message

from perftop.probes.snapshot import ProcessInfo
from perftop.widgets import textual_fence
from perftop.widgets.process_columns import COLUMN_BY_KEY, DROP_ORDER, table_columns
from perftop.widgets.process_table import COMMAND_SCROLL_STEP, ProcessTable
from tests.factories import make_proc
from tests.terminal_model import CONSOLE, Terminal

#: Keys of the columns shown by default (the optional ones hidden), left to right.
DEFAULT_KEYS = [c.key for c in table_columns()]


def many(count: int, start: int = 100) -> list[ProcessInfo]:
    """``count`` processes whose CPU% falls as the PID rises (so the default sort keeps PID order)."""
    return [make_proc(start + i, cpu_percent=float(count - i), mem_percent=float(i)) for i in range(count)]


class TableApp(App[None]):
    """Just the table, fed with ``procs`` on mount; records the table's messages."""

    def __init__(self, procs: list[ProcessInfo], **table_args: object) -> None:
        super().__init__()
        self.procs = procs
        self.table_args = table_args
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield ProcessTable(**self.table_args)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query_one(ProcessTable).set_processes(self.procs)

    def on_process_table_selection_changed(self, message: ProcessTable.SelectionChanged) -> None:
        self.messages.append(message)

    def on_process_table_sort_changed(self, message: ProcessTable.SortChanged) -> None:
        self.messages.append(message)

    def on_process_table_sort_requested(self, message: ProcessTable.SortRequested) -> None:
        self.messages.append(message)

    def on_process_table_command_line_requested(self, message: ProcessTable.CommandLineRequested) -> None:
        self.messages.append(message)

    def of(self, kind: type[Message]) -> list[Message]:
        return [m for m in self.messages if isinstance(m, kind)]


def pids(table: ProcessTable) -> list[int]:
    return [p.pid for p in table.rows()]


def screen_lines(table: ProcessTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.scrollable_size.height)]


def pid_on_line(line: str) -> int | None:
    first = line.split()[0] if line.split() else ""
    return int(first) if first.isdigit() else None


async def test_default_sort_is_cpu_descending_and_sorting_reorders_rows() -> None:
    procs = [
        make_proc(1, cpu_percent=5.0, mem_percent=9.0, user="carol"),
        make_proc(2, cpu_percent=80.0, mem_percent=1.0, user="alice"),
        make_proc(3, cpu_percent=None, mem_percent=5.0, user="bob"),
        make_proc(4, cpu_percent=20.0, mem_percent=None, user="alice"),
    ]
    app = TableApp(procs)
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(ProcessTable)
        assert (table.sort_key, table.sort_reverse) == ("cpu", True)
        assert pids(table) == [2, 4, 1, 3]

        table.set_sort("MEM%")
        assert (table.sort_key, table.sort_reverse) == ("mem", True)
        assert pids(table) == [1, 3, 2, 4]

        table.invert_sort()
        assert pids(table) == [2, 3, 1, 4]  # unknown stays last

        table.set_sort("user")  # text columns start ascending
        assert (table.sort_key, table.sort_reverse, pids(table)) == ("user", False, [2, 4, 3, 1])
        await pilot.pause()
        changes = [(m.key, m.reverse) for m in app.of(ProcessTable.SortChanged)]  # type: ignore[attr-defined]
        assert changes == [("mem", True), ("mem", False), ("user", False)]
        assert "USER▲" in table.render_line(0).text


async def test_sort_key_given_to_the_constructor() -> None:
    app = TableApp(many(5), sort_key="PID")
    async with app.run_test(size=(120, 20)):
        table = app.query_one(ProcessTable)
        assert (table.sort_key, table.sort_reverse) == ("pid", False)
        assert pids(table) == [100, 101, 102, 103, 104]


async def test_filters_really_filter() -> None:
    procs = [
        make_proc(1, user="root", comm="systemd", cmdline="/sbin/init splash"),
        make_proc(2, user="root", comm="kthreadd", cmdline="", kernel_thread=True),
        make_proc(10, user="root", comm="kworker/0:1-events", cmdline="", kernel_thread=True),
        make_proc(300, user="alice", comm="python3", cmdline="python3 /srv/Serve.py"),
        make_proc(301, user="bob", comm="python3", cmdline="python3 batch.py"),
    ]
    app = TableApp(procs, sort_key="pid")
    async with app.run_test(size=(120, 20)):
        table = app.query_one(ProcessTable)
        table.set_filter("serve")
        assert pids(table) == [300]
        table.set_filter("PYTHON")
        assert pids(table) == [300, 301]
        table.set_user_filter("bob")
        assert pids(table) == [301]
        table.set_filter("")
        table.set_user_filter("root")
        assert pids(table) == [1, 2, 10]
        table.set_hide_kernel_threads(True)
        assert pids(table) == [1]
        table.set_user_filter(None)
        assert pids(table) == [1, 300, 301]
        table.set_pid_filter(frozenset({2, 301, 999}))
        assert pids(table) == [301]  # 2 is a kernel thread, still hidden
        table.set_hide_kernel_threads(False)
        assert pids(table) == [2, 301]
        table.set_pid_filter(None)
        assert pids(table) == [1, 2, 10, 300, 301]
        assert (table.filter_text, table.user_filter, table.pid_filter, table.hide_kernel_threads) == (
            "",
            None,
            None,
            False,
        )


async def test_cursor_follows_its_pid_across_refreshes() -> None:
    procs = many(10)
    app = TableApp(procs)
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(ProcessTable)
        assert table.select_pid(103)
        assert table.cursor_row == 3
        # PID 103 becomes the busiest process: it moves to the top, the cursor goes with it.
        table.set_processes([replace(p, cpu_percent=99.0) if p.pid == 103 else p for p in procs])
        assert pids(table)[0] == 103
        assert (table.selected_pid, table.cursor_row) == (103, 0)
        assert not table.select_pid(4242)
        assert table.selected_pid == 103
        await pilot.pause()
        selected = [m.pid for m in app.of(ProcessTable.SelectionChanged)]  # type: ignore[attr-defined]
        assert selected == [100, 103]  # the first row on mount, then the select; reordering posts nothing


async def test_the_cursor_keeps_its_line_until_the_user_chooses_a_process() -> None:
    """Before any key, click or select the cursor stays on its line as the order changes, as in htop: the
    process first on top (often perftop itself, busy starting) sinking to its place among the idle ones
    takes neither the cursor nor the view with it. Once the user moves the cursor, it follows its process,
    the view too."""
    procs = many(60)
    app = TableApp(procs)
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(ProcessTable)
        await pilot.pause()
        assert (table.cursor_row, table.selected_pid) == (0, 100)
        sunk = [replace(p, cpu_percent=0.0) if p.pid == 100 else p for p in procs]
        table.set_processes(sunk)
        assert pids(table)[-1] == 100
        assert (table.cursor_row, table.selected_pid, table.scroll_offset.y) == (0, 101, 0)
        table.set_processes(procs)  # back on top: the cursor's line shows it again
        assert (table.cursor_row, table.selected_pid) == (0, 100)
        await pilot.press("down")
        assert table.selected_pid == 101
        table.set_processes([replace(p, cpu_percent=0.0) if p.pid == 101 else p for p in procs])
        assert (table.selected_pid, table.cursor_row) == (101, 59)
        assert table.scroll_offset.y > 0  # the view went with it
        await pilot.pause()
        selected = [m.pid for m in app.of(ProcessTable.SelectionChanged)]  # type: ignore[attr-defined]
        assert selected == [100, 101, 100, 101]


async def test_cursor_keeps_its_row_when_the_selected_pid_vanishes() -> None:
    procs = many(10)
    app = TableApp(procs)
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(ProcessTable)
        table.select_pid(104)
        table.set_processes([p for p in procs if p.pid != 104])
        assert (table.cursor_row, table.selected_pid) == (4, 105)
        table.select_pid(109)  # the last row
        table.set_processes([p for p in procs if p.pid not in (104, 109)])
        assert (table.cursor_row, table.selected_pid) == (7, 108)
        table.set_processes([])
        assert (table.cursor_row, table.selected_pid) == (0, None)
        table.set_processes(procs[:3])
        assert table.selected_pid == 100
        await pilot.pause()
        selected = [m.pid for m in app.of(ProcessTable.SelectionChanged)]  # type: ignore[attr-defined]
        assert selected == [100, 104, 105, 109, 108, None, 100]


async def test_filtering_out_the_selected_pid_keeps_the_row_index() -> None:
    """The chosen process hidden by a filter: the cursor keeps its row (on a process nobody chose, which
    the table says), and finds the chosen one again once the filter no longer hides it."""
    app = TableApp(many(6), sort_key="pid")
    async with app.run_test(size=(120, 20)):
        table = app.query_one(ProcessTable)
        table.select_pid(102)
        assert table.lost_choice is None
        table.set_pid_filter(frozenset({100, 101, 104, 105}))
        assert (table.cursor_row, table.selected_pid, table.lost_choice) == (2, 104, 102)
        table.set_pid_filter(None)
        assert (table.cursor_row, table.selected_pid, table.lost_choice) == (2, 102, None)


async def test_search_next_wraps_and_goes_backwards() -> None:
    procs = [make_proc(i, comm="bash", cmdline="-bash") for i in range(1, 8)]
    procs[1] = make_proc(2, comm="postgres", cmdline="postgres: checkpointer")
    procs[5] = make_proc(6, comm="postgres", cmdline="postgres -D /var/lib/pg")
    app = TableApp(procs, sort_key="pid")
    async with app.run_test(size=(120, 20)):
        table = app.query_one(ProcessTable)
        assert table.selected_pid == 1
        assert table.search_next("POSTGRES")
        assert table.selected_pid == 2
        assert table.search_next("postgres")
        assert table.selected_pid == 6
        assert table.search_next("postgres")  # wraps past the end
        assert table.selected_pid == 2
        assert table.search_next("postgres", backwards=True)  # wraps past the start
        assert table.selected_pid == 6
        assert table.search_next("checkpointer")
        assert table.selected_pid == 2
        assert table.search_next("checkpointer")  # the only match is the cursor row: stays
        assert table.selected_pid == 2
        assert not table.search_next("nginx")
        assert not table.search_next("")
        assert table.selected_pid == 2


async def test_keys_move_the_cursor_and_keep_it_on_screen() -> None:
    app = TableApp(many(100))
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(ProcessTable)
        body = table.scrollable_size.height - 1
        await pilot.press("down", "down")
        assert table.selected_pid == 102
        await pilot.press("up")
        assert table.selected_pid == 101
        await pilot.press("pagedown")
        assert table.cursor_row == 1 + body
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 99
        assert pid_on_line(screen_lines(table)[-1]) == 199
        assert table.scroll_offset.y == 100 - body
        await pilot.press("pageup")
        assert table.cursor_row == 99 - body
        await pilot.press("home")
        await pilot.pause()
        assert (table.cursor_row, table.scroll_offset.y) == (0, 0)
        await pilot.press("up")
        assert table.cursor_row == 0
        await pilot.press("enter")
        await pilot.pause()
        requested = app.of(ProcessTable.CommandLineRequested)
        assert [m.pid for m in requested] == [100]  # type: ignore[attr-defined]


async def test_visible_pids_are_the_rows_drawn_on_screen() -> None:
    app = TableApp(many(60))
    async with app.run_test(size=(120, 15)) as pilot:
        table = app.query_one(ProcessTable)
        for keys in ([], ["pagedown"], ["pagedown", "pagedown"], ["end"]):
            await pilot.press(*keys)
            await pilot.pause()
            lines = screen_lines(table)
            assert "PID" in lines[0]  # the header stays on top whatever the scroll
            drawn = {pid_on_line(line) for line in lines[1:]}
            assert table.visible_pids() == drawn
            top = table.scroll_offset.y
            assert drawn == {p.pid for p in table.rows()[top : top + len(lines) - 1]}
            assert len(drawn) == len(lines) - 1
        table.set_filter("proc15")  # of proc100..proc159, proc150..proc159 match
        await pilot.pause()
        assert table.visible_pids() == set(range(150, 160))


async def test_mouse_wheel_scrolls_without_moving_the_cursor() -> None:
    app = TableApp(many(60))
    async with app.run_test(size=(120, 15)) as pilot:
        table = app.query_one(ProcessTable)
        for _ in range(2):
            wheel = events.MouseScrollDown(
                table, 10, 5, 0, 1, 0, False, False, False, screen_x=10, screen_y=5
            )
            table.post_message(wheel)
            await pilot.pause()
        assert table.scroll_offset.y > 0
        assert table.selected_pid == 100
        assert pid_on_line(screen_lines(table)[1]) == 100 + table.scroll_offset.y


async def test_eighty_columns_drop_columns_in_the_documented_order() -> None:
    app = TableApp(many(60))
    async with app.run_test(size=(200, 20)) as pilot:
        table = app.query_one(ProcessTable)
        assert table.column_keys() == DEFAULT_KEYS
        await pilot.resize_terminal(80, 20)
        await pilot.pause()
        keys = table.column_keys()
        dropped = [k for k in DEFAULT_KEYS if k not in keys]
        assert sorted(dropped, key=DROP_ORDER.index) == list(DROP_ORDER[: len(dropped)])
        assert dropped == ["node", "affinity", "vcsw", "nvcsw", "time"]
        assert {"pid", "policy", "priority", "nice", "cpu", "command"} <= set(keys)
        header = table.render_line(0).text
        titles = [COLUMN_BY_KEY[k].title for k in keys]
        assert header.split() == [t + "▼" if t == "CPU%" else t for t in titles]
        row = screen_lines(table)[1]
        assert len(row) == table.scrollable_size.width == 80  # no scrollbar, no gutter kept for one
        command_x = header.index("COMMAND")
        assert row[command_x:] == "/usr/bin/proc100 --serve"[: 80 - command_x]
        assert 80 - command_x >= 12


async def test_header_click_sorts_and_inverts() -> None:
    app = TableApp(many(8))
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(ProcessTable)
        x = table.render_line(0).text.index("MEM%")
        assert await pilot.click(ProcessTable, offset=(x + 1, 0))
        assert (table.sort_key, table.sort_reverse) == ("mem", True)
        assert pids(table) == list(range(107, 99, -1))
        assert await pilot.click(ProcessTable, offset=(x + 1, 0))
        assert (table.sort_key, table.sort_reverse) == ("mem", False)
        assert pids(table) == list(range(100, 108))
        await pilot.pause()
        assert [m.key for m in app.of(ProcessTable.SortRequested)] == ["mem", "mem"]  # type: ignore[attr-defined]
        assert "MEM%▲" in table.render_line(0).text


async def test_row_click_selects_and_double_click_asks_for_the_command_line() -> None:
    app = TableApp(many(20))
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(ProcessTable)
        await pilot.press("end")
        top = table.scroll_offset.y
        assert await pilot.click(ProcessTable, offset=(3, 2))
        assert table.selected_pid == table.rows()[top + 1].pid
        assert await pilot.double_click(ProcessTable, offset=(3, 4))
        await pilot.pause()
        expected = table.rows()[top + 3].pid
        assert table.selected_pid == expected
        assert [m.pid for m in app.of(ProcessTable.CommandLineRequested)] == [expected]  # type: ignore[attr-defined]


async def test_process_names_render_literally_never_as_markup() -> None:
    procs = [
        make_proc(10, comm="kworker/0:1-events", cmdline="", kernel_thread=True, user="root"),
        make_proc(11, comm="x", cmdline="[bold]not bold[/bold] --opt=[red]", user="[b]mallory"),
        make_proc(12, comm="esc", cmdline="evil\x1b[31m red"),
    ]
    app = TableApp(procs, sort_key="pid")
    async with app.run_test(size=(160, 10)):
        table = app.query_one(ProcessTable)
        lines = screen_lines(table)
        assert lines[1].split()[-1] == "[kworker/0:1-events]"
        assert "[bold]not bold[/bold] --opt=[red]" in lines[2]
        assert "[b]mallo+" in lines[2]
        assert "evil?[31m red" in lines[3]
        assert all("\x1b" not in segment.text for segment in table.render_line(3))


@pytest.mark.slow
async def test_when_every_column_fits_right_and_left_scroll_the_command_text_only() -> None:
    long = "/opt/app/bin/server --config /etc/app/a-very-long-configuration-file.yaml --verbose"
    app = TableApp([make_proc(1, cmdline=long), make_proc(2)], sort_key="pid")
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(ProcessTable)
        assert table.column_keys() == DEFAULT_KEYS  # nothing dropped at this width
        before = screen_lines(table)[1]
        command_x = table.render_line(0).text.index("COMMAND")
        await pilot.press("right")
        await pilot.pause()
        after = screen_lines(table)[1]
        assert table.h_offset == COMMAND_SCROLL_STEP
        assert after[:command_x] == before[:command_x]  # the other columns stay put
        assert after[command_x:].startswith(long[COMMAND_SCROLL_STEP:][: len(after) - command_x])
        assert f"COMMAND «{COMMAND_SCROLL_STEP}" in table.render_line(0).text
        for _ in range(30):  # cannot scroll past the longest command on screen
            await pilot.press("right")
        assert table.h_offset <= len(long)
        assert long[-8:] in screen_lines(table)[1]
        for _ in range(30):
            await pilot.press("left")
        await pilot.pause()
        assert table.h_offset == 0
        assert screen_lines(table)[1] == before


def header_cells(table: ProcessTable) -> dict[str, tuple[int, int]]:
    """Each header title on screen (sort arrow and ``«`` left off) -> its first and past-last cell."""
    header = table.render_line(0).text
    cells: dict[str, tuple[int, int]] = {}
    x = 0
    for word in header.split(" "):
        title = word.replace("▼", "").replace("▲", "").split("«")[-1]
        if title:
            start = x + len(word) - len(word.split("«")[-1]) if "«" in word else x
            cells[title] = (start, start + len(title))
        x += len(word) + 1
    return cells


@pytest.mark.slow
async def test_at_eighty_columns_right_reveals_the_dropped_columns_with_pid_frozen() -> None:
    procs = many(30)
    app = TableApp(procs)
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(ProcessTable)
        narrow = screen_lines(table)
        narrow_keys = table.column_keys()
        assert {"affinity", "vcsw", "nvcsw", "time"}.isdisjoint(narrow_keys)
        await pilot.press("down", "down", "down")  # cursor and scroll must not care about the offset
        selected = table.selected_pid

        # One column at a time: each press scrolls the next column after PID out of view.
        after_pid = [key for key in DEFAULT_KEYS if key != "pid"]
        seen: set[str] = set()
        for step in range(1, 7):
            await pilot.press("right")
            await pilot.pause()
            keys = table.column_keys()
            assert keys[0] == "pid" and keys[1] == after_pid[step]
            seen.update(keys)
            header = table.render_line(0).text
            assert header.startswith("    PID«")
            lines = screen_lines(table)
            top = table.scroll_offset.y
            for index, line in enumerate(lines[1:]):
                assert line[:7] == f"{table.rows()[top + index].pid:>7}"  # PID stays at the left edge
            assert len(lines[1]) == 80
        assert table.h_offset == sum(COLUMN_BY_KEY[k].width + 1 for k in after_pid[:6])
        assert {"affinity", "vcsw", "nvcsw", "time"} <= seen
        header = table.render_line(0).text
        assert "TIME+" in header and "AFFINITY" in header and "VCSW/s" in header
        # The values sit under their titles: right-aligned TIME+ ends where its title ends.
        cells = header_cells(table)
        row = screen_lines(table)[1]
        _, end = cells["TIME+"]
        assert row[end - COLUMN_BY_KEY["time"].width - 1 : end] == "   0:01.00"
        start, end = cells["AFFINITY"]
        assert row[start:end] == "0-1     "
        assert table.selected_pid == selected
        assert table.visible_pids() == {p.pid for p in table.rows()[: table.scrollable_size.height - 1]}

        for _ in range(6):
            await pilot.press("left")
        await pilot.pause()
        assert table.h_offset == 0
        assert table.column_keys() == narrow_keys
        assert screen_lines(table)[0] == narrow[0]
        await pilot.press("left")  # already at the narrow layout: stays
        assert table.h_offset == 0


@pytest.mark.slow
async def test_scrolled_row_blanks_a_column_cut_at_the_right_edge_then_scrolls_the_command() -> None:
    long = "/opt/app/bin/server --config /etc/app/a-very-long-configuration-file.yaml --verbose"
    app = TableApp([make_proc(1, cmdline=long, cpu_time_seconds=4000.0), make_proc(2)], sort_key="pid")
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(ProcessTable)
        # USER, POL and RTPRIO scrolled out: TIME+ would be cut at the edge.
        await pilot.press("right", "right", "right")
        await pilot.pause()
        assert "time" not in table.column_keys()
        assert "TIME" not in table.render_line(0).text
        assert "1h06" not in screen_lines(table)[1]
        line = screen_lines(table)[1]
        assert len(line) == table.scrollable_size.width and line.rstrip().endswith(" 0.0 S")  # TIME+ blank
        # Every column, then COMMAND next to PID, then the command text in steps, up to its end.
        for _ in range(40):
            await pilot.press("right")
        await pilot.pause()
        assert table.column_keys() == ["pid", "command"]
        line = screen_lines(table)[1]
        assert line.startswith("      1 ") and line.endswith(long[-10:])  # the end of the command
        view = table.scrollable_size.width - 8  # right of PID and its separator
        assert f"COMMAND «{len(long) - view}" in table.render_line(0).text
        assert screen_lines(table)[2].startswith("      2 ")
        for _ in range(40):
            await pilot.press("left")
        await pilot.pause()
        assert table.h_offset == 0
        assert "USER" in table.render_line(0).text


async def test_header_click_under_an_offset_sorts_by_the_column_shown_there() -> None:
    app = TableApp(many(8))
    async with app.run_test(size=(80, 12)) as pilot:
        table = app.query_one(ProcessTable)
        for _ in range(10):  # scroll until TIME+ comes into view, with columns cut on the left
            await pilot.press("right")
            await pilot.pause()
            if "TIME+" in header_cells(table):
                break
        assert table.h_offset > 0
        start, _ = header_cells(table)["TIME+"]
        assert await pilot.click(ProcessTable, offset=(start + 1, 0))
        assert (table.sort_key, table.sort_reverse) == ("time", True)
        start, _ = header_cells(table)["AFFINITY"]
        assert await pilot.click(ProcessTable, offset=(start + 1, 0))
        assert table.sort_key == "affinity"
        assert await pilot.click(ProcessTable, offset=(7, 0))  # the « cell belongs to no column
        assert table.sort_key == "affinity"
        assert await pilot.click(ProcessTable, offset=(3, 0))  # the frozen PID header
        assert table.sort_key == "pid"
        await pilot.pause()
        requested = [m.key for m in app.of(ProcessTable.SortRequested)]  # type: ignore[attr-defined]
        assert requested == ["time", "affinity", "pid"]
        assert table.h_offset > 0  # sorting keeps the horizontal position
        assert "PID▲«" in table.render_line(0).text


async def test_offset_resets_when_a_resize_lets_every_column_fit() -> None:
    app = TableApp(many(5), sort_key="pid")
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(ProcessTable)
        await pilot.press("right", "right")
        assert table.h_offset > 0
        await pilot.resize_terminal(90, 10)  # still too narrow: the offset stays
        await pilot.pause()
        assert table.h_offset > 0 and table.column_keys()[1] != "user"
        await pilot.resize_terminal(200, 10)
        await pilot.pause()
        assert table.h_offset == 0
        assert table.column_keys() == DEFAULT_KEYS
        assert "«" not in table.render_line(0).text


async def test_tag_marker_stays_left_of_the_frozen_pid() -> None:
    app = TableApp(many(3), sort_key="pid")
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(ProcessTable)
        table.tagged.add(101)
        table.refresh()
        await pilot.press("right")
        await pilot.pause()
        lines = screen_lines(table)
        assert lines[0].startswith("     PID▲«POL")
        assert lines[2].startswith("*     101 TS")
        assert lines[1].startswith("      100 TS")


async def test_needs_status_for_all_follows_the_sort_column() -> None:
    app = TableApp(many(3))
    async with app.run_test(size=(120, 10)):
        table = app.query_one(ProcessTable)
        assert not table.needs_status_for_all()
        table.set_sort("VCSW/s")
        assert table.needs_status_for_all()
        table.set_sort("affinity")
        assert table.needs_status_for_all()
        table.set_filter("proc")
        table.set_sort("rss")
        assert not table.needs_status_for_all()


def style_at(table: ProcessTable, y: int, text: str) -> Style:
    """The style of the cell where ``text`` (leading spaces skipped) first appears on line ``y``."""
    strip = table.render_line(y)
    x = strip.text.index(text) + len(text) - len(text.lstrip())
    for segment in strip:
        if x < len(segment.text):
            assert segment.style is not None
            return segment.style
        x -= len(segment.text)
    raise AssertionError(f"{text!r} not on line {y}")


async def test_rows_use_their_component_styles() -> None:
    procs = [
        make_proc(1, cpu_percent=9.0),
        make_proc(2, comm="kthreadd", cmdline="", kernel_thread=True, cpu_percent=8.0),
        make_proc(3, policy="SCHED_FIFO", rtprio=50, priority=-51, cpu_percent=7.0),
        make_proc(4, state="Z", cmdline="", cpu_percent=6.0),
        make_proc(5, state="R", cpu_percent=5.0),
        make_proc(6, state="D", cpu_percent=4.0),
    ]
    app = TableApp(procs)
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(ProcessTable)
        await pilot.press("down")  # the cursor leaves row 1, so that row shows its own style

        def component(name: str) -> Style:
            return table.get_component_rich_style(f"process-table--{name}")

        assert style_at(table, 0, "PID").bgcolor == component("header").bgcolor
        assert style_at(table, 0, "CPU%▼").bgcolor == component("header-sorted").bgcolor
        assert style_at(table, 1, "/usr/bin/pro").color == table.rich_style.color
        assert style_at(table, 2, "[kthreadd]").bgcolor == component("cursor").bgcolor
        await pilot.press("up")
        assert style_at(table, 2, "[kthreadd]").color == component("kernel-thread").color
        assert style_at(table, 3, "FF ").color == component("realtime").color
        assert style_at(table, 3, "-51").color == component("realtime").color
        assert style_at(table, 3, "/usr/bin/pro").color == table.rich_style.color
        assert style_at(table, 4, "[proc4]").color == component("zombie").color
        assert style_at(table, 5, " R ").color == component("running").color
        assert style_at(table, 6, " D ").color == component("uninterruptible").color
        assert style_at(table, 1, "/usr/bin/pro").bgcolor == component("cursor").bgcolor


async def test_styles_stay_distinct_on_a_16_colour_terminal() -> None:
    app = TableApp(many(3))
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(ProcessTable)

        def ansi(style: Style) -> tuple[int | None, int | None]:
            fg = style.color.downgrade(ColorSystem.STANDARD).number if style.color else None
            bg = style.bgcolor.downgrade(ColorSystem.STANDARD).number if style.bgcolor else None
            return fg, bg

        def component(name: str) -> Style:
            return table.get_component_rich_style(f"process-table--{name}")

        base_fg, base_bg = ansi(table.rich_style)
        assert ansi(component("cursor"))[1] != base_bg
        assert ansi(component("header"))[1] != base_bg
        assert ansi(component("header-sorted"))[1] not in (base_bg, ansi(component("header"))[1])
        meanings = ["kernel-thread", "realtime", "zombie", "running", "uninterruptible", "tagged"]
        colours = [ansi(component(name))[0] for name in meanings]
        assert base_fg not in colours
        assert len(set(colours)) == len(colours)
        table.blur()
        await pilot.pause()
        assert ansi(component("cursor"))[1] != base_bg  # still visible without focus


async def test_tagged_pids_get_a_marker_column() -> None:
    app = TableApp(many(3), sort_key="pid")
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(ProcessTable)
        assert screen_lines(table)[1].startswith("    100")
        table.tagged.add(101)
        table.refresh()
        await pilot.pause()
        lines = screen_lines(table)
        assert lines[1].startswith("      100")
        assert lines[2].startswith("*     101")
        assert lines[0].startswith("     PID▲ USER")
        assert table.column_keys()[0] == "pid"


async def test_optional_columns_are_hidden_until_toggled() -> None:
    procs = [
        make_proc(1, io_read_bytes_per_s=3 * 1024 * 1024.0, io_write_bytes_per_s=None, node=1),
        make_proc(2, io_read_bytes_per_s=0.0, io_write_bytes_per_s=2048.0, node=0, remote_percent=25.0),
    ]
    app = TableApp(procs, sort_key="pid")
    async with app.run_test(size=(200, 10)) as pilot:
        table = app.query_one(ProcessTable)
        header = table.render_line(0).text.split()
        assert "NODE" in header and not {"REMOTE%", "IO_R/s", "IO_W/s"} & set(header)
        assert table.shown_optional == frozenset()
        assert table.toggle_column("IO_R/s") is True
        assert table.toggle_column("remote") is True
        await pilot.pause()
        header = table.render_line(0).text.split()
        assert header[header.index("CPU") :][:4] == ["CPU", "NODE", "REMOTE%", "AFFINITY"]
        assert "IO_R/s" in header and "IO_W/s" not in header
        keys = table.column_keys()
        assert keys == [c.key for c in table_columns({"remote", "io_read"})]
        assert keys[keys.index("nvcsw") + 1] == "io_read"
        cells = header_cells(table)
        start, end = cells["IO_R/s"]
        assert screen_lines(table)[1][start:end] == "  3.0M"
        assert screen_lines(table)[2][start:end] == "     0"
        start, end = cells["REMOTE%"]
        assert screen_lines(table)[1][start:end].strip() == "-"
        assert screen_lines(table)[2][start:end] == "   25.0"
        assert table.toggle_column("IO_R/s") is False
        await pilot.pause()
        assert "IO_R/s" not in table.render_line(0).text
        assert table.shown_optional == {"remote"}
        with pytest.raises(ValueError, match="always shown"):
            table.toggle_column("NODE")
        with pytest.raises(ValueError, match="unknown column"):
            table.toggle_column("bogus")


async def test_sorting_by_a_hidden_optional_column_shows_it_and_hiding_it_sorts_by_cpu() -> None:
    procs = [
        make_proc(1, io_write_bytes_per_s=10.0, cpu_percent=1.0),
        make_proc(2, io_write_bytes_per_s=None, cpu_percent=50.0),
        make_proc(3, io_write_bytes_per_s=9000.0, cpu_percent=2.0),
    ]
    app = TableApp(procs)
    async with app.run_test(size=(200, 10)) as pilot:
        table = app.query_one(ProcessTable)
        table.set_sort("io_write")
        await pilot.pause()
        assert table.shown_optional == {"io_write"}
        assert (table.sort_key, table.sort_reverse) == ("io_write", True)
        assert pids(table) == [3, 1, 2]  # unknown last
        assert "IO_W/s▼" in table.render_line(0).text
        assert table.needs_status_for_all()
        table.toggle_column("io_write")
        await pilot.pause()
        assert (table.sort_key, table.sort_reverse) == ("cpu", True)
        assert pids(table) == [2, 3, 1]
        assert not table.needs_status_for_all()
        assert [m.key for m in app.of(ProcessTable.SortChanged)] == ["io_write", "cpu"]  # type: ignore[attr-defined]
    app = TableApp(procs, sort_key="IO_R/s", shown_optional=("remote",))
    async with app.run_test(size=(200, 10)):
        table = app.query_one(ProcessTable)
        assert table.shown_optional == {"remote", "io_read"}


async def test_numa_pids_are_the_rows_on_screen_only_while_remote_is_shown() -> None:
    app = TableApp(many(40))
    async with app.run_test(size=(200, 12)) as pilot:
        table = app.query_one(ProcessTable)
        assert table.needs_numa_pids() == set()
        table.toggle_column("io_write")
        assert table.needs_numa_pids() == set()
        table.toggle_column("REMOTE%")
        on_screen = table.visible_pids()
        assert table.needs_numa_pids() == on_screen and 0 < len(on_screen) < 40
        await pilot.press("pagedown")
        assert table.needs_numa_pids() == table.visible_pids() != on_screen
        table.set_sort("remote")  # sorting by it reads no more rows than are on screen
        assert not table.needs_status_for_all()
        assert len(table.needs_numa_pids()) == len(on_screen)


@pytest.mark.slow
async def test_toggling_a_column_while_scrolled_returns_to_the_narrow_layout() -> None:
    app = TableApp(many(5), sort_key="pid")
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(ProcessTable)
        narrow = table.column_keys()
        for _ in range(3):
            await pilot.press("right")
        assert table.h_offset > 0
        table.toggle_column("io_write")
        await pilot.pause()
        assert table.h_offset == 0
        keys = table.column_keys()
        assert "io_write" in keys and keys != narrow
        # The full-width row now holds IO_W/s: scrolling right reaches every column and the command.
        seen = set(keys)
        for _ in range(40):
            await pilot.press("right")
            seen.update(table.column_keys())
        assert set(DEFAULT_KEYS) | {"io_write"} == seen


async def test_order_hold_keeps_the_rows_in_place_between_sorts() -> None:
    first = [make_proc(pid, cpu_percent=float(10 - pid)) for pid in range(1, 6)]  # 1 busiest
    app = TableApp(first)
    async with app.run_test(size=(120, 12)):
        table = app.query_one(ProcessTable)
        table.order_hold = 3
        assert [p.pid for p in table.rows()] == [1, 2, 3, 4, 5]
        # 5 becomes the busiest, 1 is gone, 6 is new: the order holds, the new row goes last.
        second = [make_proc(pid, cpu_percent=float(pid)) for pid in range(2, 7)]
        table.set_processes(second)
        assert [p.pid for p in table.rows()] == [2, 3, 4, 5, 6]
        assert table.rows()[3].cpu_percent == 5.0  # the values are this refresh's
        table.set_processes(second)
        assert [p.pid for p in table.rows()] == [2, 3, 4, 5, 6]
        table.set_processes(second)  # the third refresh sorts
        assert [p.pid for p in table.rows()] == [6, 5, 4, 3, 2]
        table.set_processes(first)
        assert [p.pid for p in table.rows()] == [5, 4, 3, 2, 1]
        table.set_sort("pid", reverse=False)  # a change the user asked for sorts at once
        assert [p.pid for p in table.rows()] == [1, 2, 3, 4, 5]
        table.order_hold = 0
        table.set_processes(second)
        assert [p.pid for p in table.rows()] == [2, 3, 4, 5, 6]
        table.set_sort("cpu", reverse=True)
        table.set_processes(first)
        assert [p.pid for p in table.rows()] == [1, 2, 3, 4, 5]


#: One field of a process on screen changes, in turn: a cell of its own, or the style of its row.
FIELD_CHANGES: list[dict[str, object]] = [
    {"cpu_percent": 27.5},  # keeps its place in the order: the cell changes
    {"cpu_percent": 27.51},  # shows the same: nothing to draw
    {"mem_percent": 3.3},
    {"rss_bytes": 900 * 1024 * 1024},
    {"processor": 1},
    {"state": "R"},
    {"state": "Z"},
    {"cpu_time_seconds": 4000.0},
    {"voluntary_ctxt_switches_per_s": 12.5},
    {"nonvoluntary_ctxt_switches_per_s": 2.0},
    {"affinity": (1,)},
    {"user": "bob"},
    {"user": None},  # the UID shows instead
    {"uid": 0},
    {"policy": "SCHED_FIFO", "rtprio": 10, "priority": -11},
    {"rtprio": 20},
    {"policy": "SCHED_RR"},
    {"nice": 5},
    {"comm": "renamed", "cmdline": ""},
    {"kernel_thread": True},
    {"cmdline": "/usr/bin/other --flag"},
]


class LiveApp(App[None]):
    """One table that lives through a sequence of changes, unfocused (a new table is drawn unfocused)."""

    AUTO_FOCUS = None
    CSS = "ProcessTable { height: 14; }"

    def compose(self) -> ComposeResult:
        yield ProcessTable(id="live")


async def assert_drawn_as_new(pilot: object, table: ProcessTable, procs: list[ProcessInfo]) -> None:
    """``table`` (after Textual repainted it) shows, line by line and style by style, what a table mounted
    now and given the same state draws: whatever ``table`` kept from earlier refreshes is up to date."""
    app = table.app
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    fresh = ProcessTable(
        sort_key=table.sort_key, sort_reverse=table.sort_reverse, shown_optional=table.shown_optional
    )
    fresh.tagged = set(table.tagged)
    await app.mount(fresh)
    try:
        fresh.set_filter(table.filter_text)
        fresh.set_processes(procs)
        if table.selected_pid is not None:
            assert fresh.select_pid(table.selected_pid)
        fresh.scroll_to(y=table.scroll_offset.y, animate=False, force=True)
        await pilot.pause()  # type: ignore[attr-defined]
        fresh.set_h_offset(table.h_offset)
        await pilot.pause()  # type: ignore[attr-defined]
        assert fresh.size == table.size and fresh.scroll_offset == table.scroll_offset
        for y in range(table.size.height):
            assert list(table.render_line(y)) == list(fresh.render_line(y)), (y, table.render_line(y).text)
        # And the lines on screen (the widgets' line caches, which only lines found changed replace) are
        # those: no line that changed was taken for unchanged.
        shown, expected = table.render_lines(table.size.region), fresh.render_lines(fresh.size.region)
        for y, (line, line_expected) in enumerate(zip(shown, expected, strict=True)):
            assert list(line) == list(line_expected), (y, line.text)
    finally:
        await fresh.remove()


@pytest.mark.slow
async def test_a_table_that_lived_through_changes_draws_what_a_new_one_draws() -> None:
    """Rows, cells and the header are kept between refreshes: each change below must still be drawn."""
    procs = many(30)
    procs[0] = replace(procs[0], cmdline="/opt/server --config " + "/etc/long" * 20)
    app = LiveApp()
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.query_one("#live", ProcessTable)
        table.set_processes(procs)
        await assert_drawn_as_new(pilot, table, procs)
        for fields in FIELD_CHANGES:
            procs[3] = replace(procs[3], **fields)  # type: ignore[arg-type]
            table.set_processes(procs)
            await assert_drawn_as_new(pilot, table, procs)
        # A process climbs to the top: the rows it passed move down a line.
        procs[10] = replace(procs[10], cpu_percent=99.0)
        table.set_processes(procs)
        await assert_drawn_as_new(pilot, table, procs)
        # The PID is reused by another process.
        procs[5] = make_proc(procs[5].pid, start_time=9999, comm="new", cmdline="/bin/new", user="root")
        table.set_processes(procs)
        await assert_drawn_as_new(pilot, table, procs)
        table.action_cursor_down()
        table.action_cursor_down()
        await assert_drawn_as_new(pilot, table, procs)
        table.tagged.add(procs[2].pid)
        table.refresh()
        await assert_drawn_as_new(pilot, table, procs)
        table.tagged.add(procs[4].pid)
        table.set_processes(procs)  # a tag seen on the next sample, without refresh()
        await assert_drawn_as_new(pilot, table, procs)
        table.tagged.clear()
        table.refresh()
        await assert_drawn_as_new(pilot, table, procs)
        table.set_sort("mem")
        await assert_drawn_as_new(pilot, table, procs)
        table.invert_sort()
        await assert_drawn_as_new(pilot, table, procs)
        table.set_filter("proc11")
        await assert_drawn_as_new(pilot, table, procs)
        # The selected process ends: the cursor lands on the row above, otherwise drawn as it was.
        table.action_cursor_last()
        gone = [p for p in procs if p.pid != table.selected_pid]
        table.set_processes(gone)
        await assert_drawn_as_new(pilot, table, gone)
        table.set_processes(procs)
        table.set_filter("")
        table.toggle_column("io_read")
        await assert_drawn_as_new(pilot, table, procs)
        assert table.select_pid(procs[0].pid)  # its long command on screen
        table.action_scroll_sideways(1)
        assert table.h_offset > 0
        await assert_drawn_as_new(pilot, table, procs)
        await pilot.resize_terminal(80, 40)
        await assert_drawn_as_new(pilot, table, procs)
        table.action_scroll_sideways(1)  # columns dropped for width: the full-width row, scrolled
        await assert_drawn_as_new(pilot, table, procs)
        table.toggle_column("io_read")
        await assert_drawn_as_new(pilot, table, procs)
        table.action_cursor_page_down()  # the view scrolls
        await assert_drawn_as_new(pilot, table, procs)
        assert table.scroll_offset.y > 0
        assert pid_on_line(screen_lines(table)[1]) == table.rows()[table.scroll_offset.y].pid
        before = table.render_line(0)
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await assert_drawn_as_new(pilot, table, procs)
        assert list(table.render_line(0)) != list(before)


async def test_the_cursor_row_follows_focus() -> None:
    """The cursor's style depends on focus: a table that kept its rows redraws the cursor row."""
    app = TableApp(many(5))
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(ProcessTable)
        focused = table.get_component_rich_style("process-table--cursor")
        assert style_at(table, 1, "/usr/bin/pro").bgcolor == focused.bgcolor
        table.blur()
        await pilot.pause()
        blurred = table.get_component_rich_style("process-table--cursor")
        assert blurred.bgcolor != focused.bgcolor
        assert style_at(table, 1, "/usr/bin/pro").bgcolor == blurred.bgcolor
        table.focus()
        await pilot.pause()
        assert style_at(table, 1, "/usr/bin/pro").bgcolor == focused.bgcolor


#: Textual's, kept before a test records what it writes.
_RENDER_UPDATE = Compositor.render_update


class PaintedApp(App[None]):
    """One table painted as perftop paints it: changed cells in one compositor pass, moved rows as line
    scrolls, each update fed to a terminal model."""

    AUTO_FOCUS = None
    CSS = "ProcessTable { height: 14; }"

    def __init__(self) -> None:
        super().__init__()
        self.terminal: Terminal | None = None

    def compose(self) -> ComposeResult:
        yield ProcessTable(id="painted")

    def on_mount(self) -> None:
        table = self.query_one(ProcessTable)
        table.scrolls_allowed = textual_fence.install()
        table.paint_changes = textual_fence.ChangedCellsPainter(self)

    def full_redraw(self) -> Terminal:
        terminal = Terminal(*self.size)
        update = _RENDER_UPDATE(self.screen._compositor, full=True, screen_stack=[])
        terminal.feed(update.render_segments(CONSOLE))
        return terminal


@pytest.mark.slow
async def test_the_terminal_holds_what_a_full_redraw_draws_after_each_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cells of the lines the table looks at again and finds changed, and the rows it scrolls, are all
    the terminal is sent: after each kind of change it holds a full redraw's cells (lines blanked by a
    scroll included)."""
    monkeypatch.setattr(ChopsUpdate, "render_segments", ChopsUpdate.render_segments)  # undone after
    monkeypatch.setattr(Compositor, "render_partial_update", Compositor.render_partial_update)

    def written(compositor: Compositor, *args: object, **kwargs: object) -> object:
        update = _RENDER_UPDATE(compositor, *args, **kwargs)
        if app.terminal is not None and update is not None:
            app.terminal.feed(update.render_segments(CONSOLE))
        return update

    procs = many(30)
    app = PaintedApp()
    async with app.run_test(size=(150, 16)) as pilot:
        table = app.query_one(ProcessTable)
        table.set_processes(procs)
        await pilot.pause()
        monkeypatch.setattr(Compositor, "render_update", written)
        app.terminal = app.full_redraw()

        async def check(what: object) -> None:
            await pilot.pause()
            await pilot.pause()
            assert app.terminal is not None
            assert app.terminal.lines == app.full_redraw().lines, what

        for fields in FIELD_CHANGES:
            procs[3] = replace(procs[3], **fields)  # type: ignore[arg-type]
            table.set_processes(procs)
            await check(fields)
        # Rows move: one climbs the order (the rows between move down a line), one swaps with its
        # neighbour, one leaves and another comes; then the same processes as new objects, unchanged.
        for changed in ([(20, 26.5)], [(1, 28.5), (2, 29.5)], [(6, None)], [(6, 23.5)]):
            for index, cpu in changed:
                procs[index] = replace(procs[index], cpu_percent=cpu)
            table.set_processes([p for p in procs if p.cpu_percent is not None])
            await check(changed)
        table.set_processes([replace(p) for p in procs])
        await check("new objects")
        procs[5] = make_proc(procs[5].pid, start_time=9999, comm="new", cmdline="/bin/new")  # PID reused
        table.set_processes(procs)
        await check("reused")
        table.action_cursor_down()
        table.set_processes(procs)
        await check("cursor")
        table.tagged.add(procs[7].pid)
        table.set_processes(procs)
        await check("tag")
        table.set_sort("mem")
        table.set_processes(procs)
        await check("sort")
        table.action_cursor_page_down()
        table.set_processes(procs)
        await check("view scrolled")


async def test_line_keys_are_the_pids_on_each_line() -> None:
    app = LiveApp()
    async with app.run_test(size=(150, 40)) as pilot:
        table = app.query_one("#live", ProcessTable)
        for count in (30, 5, 0):
            table.set_processes(many(count))
            await pilot.pause()
            height = table.size.height
            keys = table.line_keys(height)
            assert keys == [table.line_key(y) for y in range(height)]
            shown = pids(table)[table.scroll_offset.y :][: height - 1]
            assert keys == [None, *shown, *[None] * (height - 1 - len(shown))]
            if count == 30:
                table.action_cursor_last()  # scrolls the view
                await pilot.pause()
                assert table.scroll_offset.y > 0
                assert table.line_keys(height) == [table.line_key(y) for y in range(height)]
