"""Lines whose items moved are scrolled on the terminal (scroll region + insert/delete line) rather than
rewritten, and the terminal then holds what a full redraw would draw: checked on a small terminal model
fed the bytes the renderer writes."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.segment import Segment
from rich.style import Style
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from perftop.probes.snapshot import ProcessInfo
from perftop.widgets import textual_fence
from perftop.widgets.changed_cells import MIN_SCROLL_GAIN, ChangedCells, plan_scrolls, scrolled
from perftop.widgets.process_table import ProcessTable
from tests.factories import make_proc
from tests.terminal_model import CONSOLE, REGION, SCROLL, Terminal

# -- planning ---------------------------------------------------------------------------------------------


def test_a_row_that_climbed_is_one_scroll_of_the_rows_it_passed() -> None:
    old = [None, 1, 2, 3, 4, 5, 6, 7, 8]
    new = [None, 1, 7, 2, 3, 4, 5, 6, 8]  # 7 climbed from line 7 to line 2
    scrolls, moved = plan_scrolls(old, new)
    # Lines 2-7 move down one: line 2 is left blank (7 is drawn there), line 7's old 7 is pushed out.
    assert scrolls == [(2, 7, 1)]
    assert moved == [None, 1, None, 2, 3, 4, 5, 6, 8]


def test_a_row_that_left_is_one_scroll_up_of_the_rows_below() -> None:
    old = [None, 1, 2, 3, 4, 5, 6, 7]
    new = [None, 1, 2, 4, 5, 6, 7, 9]
    scrolls, moved = plan_scrolls(old, new)
    assert scrolls == [(3, 7, -1)]
    assert moved == [None, 1, 2, 4, 5, 6, 7, None]


def test_lines_in_place_or_too_few_moving_are_not_scrolled() -> None:
    assert plan_scrolls([None, 1, 2, 3], [None, 1, 2, 3]) == ([], [None, 1, 2, 3])
    # Two rows swapping: a scroll would blank as many lines as it spares.
    assert plan_scrolls([None, 1, 2, 3, 4], [None, 1, 3, 2, 4])[0] == []


@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=30, unique=True),
    st.lists(st.integers(0, 30), min_size=1, max_size=30, unique=True),
    st.integers(0, 3),
)
def test_the_planned_scrolls_lead_to_the_lines_reported_each_sparing_lines(
    a: list[int], b: list[int], header: int
) -> None:
    height = max(len(a), len(b)) + header
    old = [None] * header + a + [None] * (height - header - len(a))
    new = [None] * header + b + [None] * (height - header - len(b))
    scrolls, moved = plan_scrolls(old, new)
    lines: list[int | None] = list(old)
    for scroll in scrolls:
        top, bottom, shift = scroll
        assert 0 <= top <= bottom < height and 0 < abs(shift) <= bottom - top
        assert top >= header  # the header's lines (no key) are never in a scroll
        lines = scrolled(lines, scroll, None)
    assert lines == moved
    assert not any(moved[y] is not None for y in range(header))

    def in_place(keys: list[int | None]) -> int:
        return sum(k is not None and k == n for k, n in zip(keys, new, strict=True))

    assert in_place(moved) >= in_place(old) + MIN_SCROLL_GAIN * len(scrolls)


# -- on a terminal ----------------------------------------------------------------------------------------


class Rows(ChangedCells, Widget):
    """A header line, then one line per item: its name and value, the style following the item."""

    DEFAULT_CSS = "Rows { height: 14; }"

    def __init__(self, items: list[str], **kwargs: str) -> None:
        super().__init__(**kwargs)
        self.items = items
        self.values = {item: 0 for item in items}
        self.scrolls_allowed = True

    def paint_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return Strip([Segment("NAME      VALUE", Style(bold=True))]).adjust_cell_length(width)
        if y - 1 >= len(self.items):
            return Strip.blank(width)
        item = self.items[y - 1]
        style = Style(color=f"color({sum(map(ord, item)) % 200 + 16})")
        text = f"{item:<10}{self.values.get(item, 0):>5}"
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def line_key(self, y: int) -> str | None:
        return self.items[y - 1] if 1 <= y <= len(self.items) else None


class RowsApp(App[None]):
    CSS = """
    #cover { layer: above; offset: 10 8; width: 12; height: 3; background: red; }
    #half { width: 1fr; }
    """

    def __init__(self, layout: str) -> None:
        super().__init__()
        self.layout = layout

    def compose(self) -> ComposeResult:
        yield Static("meters", id="meters")
        items = [f"p{i}" for i in range(20)]
        if self.layout == "half":
            with Horizontal(id="split"):
                yield Rows(items, id="half")
                yield Static("beside")
        else:
            yield Rows(items, id="rows")
        if self.layout == "covered":
            yield Static("a dialog", id="cover")


def _full(app: App[None]) -> Terminal:
    terminal = Terminal(*app.size)
    terminal.feed(app.screen._compositor.render_update(full=True).render_segments(CONSOLE))
    return terminal


async def _started(pilot: Pilot[None]) -> tuple[App[None], Rows, Terminal]:
    """The App, its rows and a terminal holding its first full redraw, perftop's renderer installed."""
    await pilot.pause()
    app = pilot.app
    assert textual_fence.install()
    return app, app.query_one(Rows), _full(app)


def _partial(app: App[None], terminal: Terminal, rows: Rows) -> str:
    """Hand the rows' changes to the compositor and feed its partial update to ``terminal``."""
    rows.refresh_changed()
    compositor = app.screen._compositor
    compositor.update_widgets({rows})
    update = compositor.render_update()
    written = "" if update is None else update.render_segments(CONSOLE)
    terminal.feed(written)
    return written


def _change(rows: Rows, rng: random.Random) -> None:
    """What a sample does to a sorted table: a row climbs or sinks, one appears, one goes, values move."""
    items = rows.items
    kind = rng.choice(["climb", "sink", "new", "gone", "values"])
    if kind in ("climb", "sink") and len(items) > 3:
        item = items.pop(rng.randrange(len(items)))
        items.insert(rng.randrange(len(items) + 1), item)
    elif kind == "new":
        items.insert(rng.randrange(len(items) + 1), f"n{rng.randrange(10_000)}")
    elif kind == "gone" and len(items) > 3:
        items.pop(rng.randrange(len(items)))
    for item in rng.sample(items, k=min(3, len(items))):
        rows.values[item] = rng.randrange(1000)


async def test_moved_rows_are_scrolled_and_the_terminal_shows_what_a_full_redraw_draws() -> None:
    async with RowsApp("full").run_test(size=(40, 16)) as pilot:
        app, rows, terminal = await _started(pilot)
        rng = random.Random(7)
        scrolled_updates = 0
        for _ in range(60):
            _change(rows, rng)
            written = _partial(app, terminal, rows)
            scrolled_updates += bool(SCROLL.search(written))
            assert terminal.lines == _full(app).lines, "\n".join(terminal.text())
        assert scrolled_updates >= 10


async def test_a_climbing_row_costs_a_scroll_and_one_row_not_every_row_it_passed() -> None:
    async with RowsApp("full").run_test(size=(40, 16)) as pilot:
        app, rows, terminal = await _started(pilot)
        rows.items.insert(1, rows.items.pop(10))  # p10 climbs to the second row
        written = _partial(app, terminal, rows)
        assert terminal.lines == _full(app).lines
        assert SCROLL.search(written)
        # The row drawn whole is p10's, on line 3 of the screen (under the meters and the header).
        assert "p10" in written and "p1 " not in written and "p9" not in written
        rows.scrolls_allowed = False
        rows.items.insert(1, rows.items.pop(10))
        rewritten = _partial(app, terminal, rows)
        assert terminal.lines == _full(app).lines
        assert not SCROLL.search(rewritten) and len(rewritten) > 3 * len(written)


async def test_rows_under_another_widget_or_beside_one_are_redrawn_not_scrolled() -> None:
    for layout in ("covered", "half"):
        async with RowsApp(layout).run_test(size=(40, 16)) as pilot:
            app, rows, terminal = await _started(pilot)
            rng = random.Random(3)
            redrawn = 0
            for _ in range(60):
                _change(rows, rng)
                rows.refresh_changed()
                planned = len(rows._lines().scrolls)
                written = _partial(app, terminal, rows)  # (nothing more changed for it to find)
                assert terminal.lines == _full(app).lines, layout
                regions = [(int(top) - 1, int(bottom) - 1) for top, bottom in REGION.findall(written)]
                # No region beside the "beside" widget; none over the cover's lines, 8 to 10.
                assert layout == "covered" or not regions
                assert not any(top <= 10 and bottom >= 8 for top, bottom in regions), layout
                redrawn += planned - len(regions)
            assert redrawn >= 5, layout


async def test_a_full_redraw_before_the_scroll_is_written_leaves_the_terminal_right() -> None:
    """A full update (a resize, a screenshot) between the sample and the next partial update draws the
    moved rows where they now are: the pending scroll must not move them again."""
    async with RowsApp("full").run_test(size=(40, 16)) as pilot:
        app, rows, terminal = await _started(pilot)
        rows.items.insert(1, rows.items.pop(10))
        rows.refresh_changed()
        terminal = _full(app)  # the full update, to the terminal
        compositor = app.screen._compositor
        compositor.update_widgets({rows})
        update = compositor.render_update()
        written = "" if update is None else update.render_segments(CONSOLE)
        terminal.feed(written)
        assert not SCROLL.search(written)
        assert terminal.lines == _full(app).lines


class TableApp(App[None]):
    def __init__(self, procs: list[ProcessInfo]) -> None:
        super().__init__()
        self.procs = procs

    def compose(self) -> ComposeResult:
        yield Static("meters", id="meters")
        table = ProcessTable()
        table.scrolls_allowed = True
        yield table

    def on_mount(self) -> None:
        self.query_one(ProcessTable).set_processes(self.procs)


async def test_the_process_table_scrolls_the_rows_a_climbing_process_passed() -> None:
    procs = [make_proc(100 + i, cpu_percent=float(30 - i)) for i in range(30)]
    async with TableApp(procs).run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        app = pilot.app
        assert textual_fence.install()
        table = app.query_one(ProcessTable)
        table.select_pid(100)  # chosen: the cursor moves down with its process
        await pilot.pause()
        terminal = _full(app)
        # PID 115 jumps to the top of the CPU% order; the rows it passed move down one line.
        procs[15] = replace(procs[15], cpu_percent=99.0)
        table.set_processes(procs)
        assert table._lines().scrolls == [(1, 16, 1)]
        compositor = app.screen._compositor
        compositor.update_widgets({table})
        written = compositor.render_update().render_segments(CONSOLE)
        terminal.feed(written)
        assert terminal.lines == _full(app).lines
        assert SCROLL.search(written) and written.count("proc") == 1  # only PID 115's row is written


async def test_rows_out_of_sight_plan_no_scrolls_and_are_drawn_whole_when_shown() -> None:
    async with RowsApp("full").run_test(size=(40, 16)) as pilot:
        await pilot.pause()
        app = pilot.app
        assert textual_fence.install()
        rows = app.query_one(Rows)
        rows.items.insert(1, rows.items.pop(10))
        rows.refresh_changed()
        assert rows._lines().scrolls  # on screen: planned
        rows.take_scrolls()
        rows.display = False
        await pilot.pause()
        for _ in range(3):
            rows.items.insert(1, rows.items.pop(10))
            rows.refresh_changed()
            assert not rows._lines().scrolls
        rows.display = True
        await pilot.pause()
        assert [line[:10].strip() for line in _full(app).text()[2:8]] == rows.items[:6]


async def test_a_widgets_scrolls_are_sent_all_or_none() -> None:
    """Each scroll was planned on the lines the ones before it left: when one cannot be sent (here the
    second crosses the cover, on screen lines 8 to 10), none is, and all their lines are redrawn."""
    async with RowsApp("covered").run_test(size=(40, 16)) as pilot:
        app, rows, _terminal = await _started(pilot)
        compositor = app.screen._compositor
        rows._lines().scrolls = [(2, 5, 1), (6, 12, -1)]  # screen lines 3-6, then 7-13
        regions: set[Region] = set()
        assert textual_fence.take_scrolls(compositor, regions) == []
        assert {(r.y, r.height) for r in regions} == {(3, 4), (7, 7)}
        rows._lines().scrolls = [(2, 5, 1)]
        assert textual_fence.take_scrolls(compositor, set()) == [(3, 6, 1)]


@pytest.mark.slow
@pytest.mark.parametrize("count", [60, 8])
async def test_the_process_table_through_textuals_own_refreshes_keeps_the_terminal_right(
    monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """Processes climbing and sinking while the selection follows one of them (so the table scrolls its
    view too), each update as Textual itself renders it: the terminal holds a full redraw's cells. A short
    list (fewer rows than lines, as a filter or ``K`` makes it) also loses and gains processes."""
    terminal: list[Terminal] = []
    scrolled_updates = 0
    render_update = Compositor.render_update

    def written(compositor: Compositor, *args: object, **kwargs: object) -> object:
        nonlocal scrolled_updates
        update = render_update(compositor, *args, **kwargs)
        if terminal and update is not None:
            data = update.render_segments(CONSOLE)
            scrolled_updates += bool(SCROLL.search(data))
            terminal[0].feed(data)
        return update

    def full(app: App[None]) -> Terminal:
        redraw = Terminal(*app.size)
        redraw.feed(render_update(app.screen._compositor, full=True).render_segments(CONSOLE))
        return redraw

    monkeypatch.setattr(Compositor, "render_update", written)
    rng = random.Random(5)
    procs = [make_proc(100 + i, cpu_percent=float(rng.choice([0, 0, 0, 1, 2, 5, 50]))) for i in range(count)]
    async with TableApp(procs).run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        app = pilot.app
        assert textual_fence.install()
        table = app.query_one(ProcessTable)
        table.select_pid(100 + count // 2)
        await pilot.pause()
        terminal.append(full(app))
        for step in range(60):
            for _ in range(rng.randrange(1, 5)):
                i = rng.randrange(len(procs))
                procs[i] = replace(procs[i], cpu_percent=float(rng.choice([0, 0, 1, 2, 5, 50, 90])))
            if count < 19 and rng.random() < 0.4:
                if len(procs) > 1 and rng.random() < 0.5:
                    procs.pop(rng.randrange(len(procs)))
                elif len(procs) < 25:
                    procs.append(make_proc(200 + step, cpu_percent=float(rng.choice([0, 1, 50]))))
            table.set_processes(list(procs))
            await pilot.pause()
            await pilot.pause()
            assert terminal[0].lines == full(app).lines
    assert scrolled_updates >= 10 or count < 19


async def test_the_blank_lines_below_a_short_list_are_not_drawn_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With fewer processes than lines, a refresh that changed nothing looks at the header only: the blank
    lines below the last row are known to be still blank, as unchanged rows are known unchanged."""
    procs = [make_proc(100 + i) for i in range(5)]
    async with TableApp(procs).run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        table = pilot.app.query_one(ProcessTable)
        table.set_processes(list(procs))
        await pilot.pause()
        drawn: list[int] = []
        paint_line = table.paint_line
        monkeypatch.setattr(table, "paint_line", lambda y: drawn.append(y) or paint_line(y))
        table.set_processes(list(procs))
        assert drawn == [0]
        table.set_processes(procs[:3])  # two rows gone: their lines are drawn blank, then known blank
        assert sorted(drawn[1:]) == [0, 4, 5]
        await pilot.pause()
        drawn.clear()
        table.set_processes(procs[:3])
        assert drawn == [0]


async def test_following_the_selected_process_out_of_view_scrolls_rows_not_the_whole_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The selected process sinks below the last row on screen and the view follows it: the rows are
    scrolled on the terminal and the new ones drawn, not the whole table again (Textual's own reaction
    to a scroll), and the terminal still holds a full redraw's cells."""
    written: list[str] = []
    render_update = Compositor.render_update

    def recorded(compositor: Compositor, *args: object, **kwargs: object) -> object:
        update = render_update(compositor, *args, **kwargs)
        if update is not None:
            written.append(update.render_segments(CONSOLE))
        return update

    procs = [make_proc(100 + i, cpu_percent=float(90 - i)) for i in range(60)]
    async with TableApp(procs).run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        app = pilot.app
        assert textual_fence.install()
        table = app.query_one(ProcessTable)
        last = table.size.height - 2  # the index of the last row on screen (line 0 is the header)
        table.select_pid(100 + last)
        await pilot.pause()
        terminal = _full(app)
        monkeypatch.setattr(Compositor, "render_update", recorded)
        arranged: list[object] = []
        arrange_root = Compositor._arrange_root

        def arranging(compositor: Compositor, *args: object, **kwargs: object) -> object:
            arranged.append(args)
            return arrange_root(compositor, *args, **kwargs)

        monkeypatch.setattr(Compositor, "_arrange_root", arranging)
        procs[last] = replace(procs[last], cpu_percent=float(90 - last - 3.5))  # three places down
        table.set_processes(list(procs))
        await pilot.pause()
        await pilot.pause()
        assert table.scroll_offset.y == 3 and table.selected_pid == 100 + last
        assert arranged == []  # nothing laid out again (the hidden scrollbar's thumb once did)
        data = "".join(written)
        terminal.feed(data)
        assert terminal.lines == _full(app).lines
        assert SCROLL.search(data)
        whole_table = render_update(app.screen._compositor, full=True).render_segments(CONSOLE)
        assert len(data) < len(whole_table) / 3
