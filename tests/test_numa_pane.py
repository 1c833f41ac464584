"""The NUMA pane driven inside a small test App, on NumaSnapshots built here for 1, 2, 4 and 8 nodes."""

from __future__ import annotations

import dataclasses
from math import floor

import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual import events
from textual.widgets import ContentSwitcher

from perftop.probes.snapshot import NumaNode, NumaSnapshot, ProcessNuma
from perftop.widgets.formatting import SPARK_ZERO, format_ratio, sparkline
from perftop.widgets.numa_pane import (
    MAX_SHARE_CELLS,
    NumaPane,
    balancing_text,
    memory_bar,
    node_lines,
    remote_percent,
    shared_scale,
)
from perftop.widgets.summary import plain
from tests.pane_app import PaneApp, line_starting, screen_lines

GIB = 1024**3
MIB = 1024**2


def make_node(number: int, cpus_per_node: int = 4, **fields: object) -> NumaNode:
    """A node with 16 GiB, 4 GiB used, and distinct figures for each counter."""
    base: dict[str, object] = {
        "node": number,
        "cpus": tuple(range(number * cpus_per_node, (number + 1) * cpus_per_node)),
        "mem_total_bytes": 16 * GIB,
        "mem_free_bytes": 12 * GIB,
        "mem_used_bytes": 4 * GIB,
        "numa_hit": 1_000_000,
        "numa_hit_per_s": 1234.0,
        "numa_miss": 10_000,
        "numa_miss_per_s": 56.0,
        "numa_foreign": 7_000,
        "numa_foreign_per_s": 7.5,
        "interleave_hit": 300,
        "interleave_hit_per_s": 0.0,
        "local_node": 990_000,
        "local_node_per_s": 1200.0,
        "other_node": 20_000,
        "other_node_per_s": 90.0,
        "miss_ratio": 0.0435,
        "miss_ratio_since_boot": 0.0099,
        "file_pages_bytes": GIB,
        "anon_pages_bytes": 2 * GIB,
        "hugepages_total": 0,
        "hugepages_free": 0,
    }
    base.update(fields)
    return NumaNode(**base)  # type: ignore[arg-type]


def unknown_node(number: int) -> NumaNode:
    """A node of which nothing could be read."""
    names = [f.name for f in dataclasses.fields(NumaNode) if f.name != "node"]
    return NumaNode(node=number, **dict.fromkeys(names))  # type: ignore[arg-type]


def distances(count: int) -> tuple[tuple[int, ...], ...]:
    """A ring: 10 to itself, 21 to a neighbour, 31 further away."""
    rows = []
    for i in range(count):
        rows.append(tuple(10 if i == j else 21 if abs(i - j) in (1, count - 1) else 31 for j in range(count)))
    return tuple(rows)


def make_numa(count: int, balancing: int | None = 1, **node_fields: object) -> NumaSnapshot:
    nodes = tuple(make_node(i, **node_fields) for i in range(count))
    return NumaSnapshot(nodes=nodes, distances=distances(count), numa_balancing=balancing)


def with_miss_rates(numa: NumaSnapshot, rates: list[float | None]) -> NumaSnapshot:
    nodes = tuple(
        dataclasses.replace(node, numa_miss_per_s=rate) for node, rate in zip(numa.nodes, rates, strict=True)
    )
    return dataclasses.replace(numa, nodes=nodes)


def column_end(header: str, title: str) -> int:
    """Where a right-aligned column ends: the cell after its title."""
    return header.index(title) + len(title)


def style_at(pane: NumaPane, y: int, text: str) -> Style:
    """The style of the first cell of ``text`` on screen line ``y``."""
    strip = pane.render_line(y)
    x = strip.text.index(text)
    for segment in strip:
        if x < len(segment.text):
            assert segment.style is not None
            return segment.style
        x -= len(segment.text)
    raise AssertionError(f"{text!r} not on line {y}")


# --- pure parts -------------------------------------------------------------------------------------------


def test_format_ratio_fits_six_cells() -> None:
    assert format_ratio(None) == "-"
    assert format_ratio(0.0) == "0%"
    assert format_ratio(0.0042) == "0.42%"
    assert format_ratio(0.0435) == "4.3%"
    assert format_ratio(0.125) == "12.5%"
    assert format_ratio(1.0) == "100%"
    assert format_ratio(0.99999) == "100%"
    assert all(len(format_ratio(r / 1000)) <= 6 for r in range(1001))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (0, "off (0)"),
        (1, "normal (1)"),
        (2, "memory tiering (2)"),
        (3, "normal + memory tiering (3)"),
        (7, "unknown mode (7)"),
    ],
)
def test_balancing_text(value: int | None, text: str) -> None:
    assert balancing_text(value) == text


def test_remote_percent_is_the_share_off_the_running_node() -> None:
    placement = ProcessNuma(pid=1, node_bytes={0: 3 * GIB, 1: GIB}, total_bytes=4 * GIB, mems_allowed=(0, 1))
    assert remote_percent(placement, 0) == 25.0
    assert remote_percent(placement, 1) == 75.0
    # Running on a node that holds none of its pages: all of it is remote.
    assert remote_percent(placement, 2) == 100.0
    assert remote_percent(placement, None) is None
    assert remote_percent(None, 0) is None
    assert remote_percent(ProcessNuma(pid=1, node_bytes={}, total_bytes=0, mems_allowed=None), 0) is None


def test_sparkline_levels_zero_and_unknown() -> None:
    assert sparkline([0.0, 10.0, 20.0, 40.0, 80.0], 5, 80.0) == SPARK_ZERO + "▁▂▄█"
    # Newest at the right; a short history leaves the left blank; unknown samples are blank too.
    assert sparkline([80.0, None, 80.0], 6, 80.0) == "   █ █"
    # Only the newest cells are drawn.
    assert sparkline([80.0, 0.0, 0.0], 2, 80.0) == SPARK_ZERO * 2
    # The smallest miss still shows; a sample above the scale is capped.
    assert sparkline([0.001, 500.0], 2, 80.0) == "▁█"
    assert sparkline([5.0], 0, 80.0) == ""


def test_shared_scale_spans_every_node_over_the_drawn_window() -> None:
    assert shared_scale([[1.0, 9.0], [3.0, None]], 2) == 9.0
    # A peak scrolled out of the window no longer sets the scale.
    assert shared_scale([[100.0, 1.0, 2.0], [None, 3.0, 0.0]], 2) == 3.0
    assert shared_scale([[None], []], 5) == 0.0


def test_memory_bar_fills_the_used_share_under_its_figures() -> None:
    pieces = memory_bar(4 * GIB, None, 16 * GIB, 22)
    assert plain(pieces) == "[|||||     4.0G/16.0G]"
    assert [role for _, role in pieces] == ["bracket", "mem-used", "shadow", "bracket"]
    # The figures take the colour of the part beneath them.
    full = memory_bar(16 * GIB, None, 16 * GIB, 22)
    assert plain(full) == "[||||||||||16.0G/16.0G]"[:1] + "|" * 9 + "16.0G/16.0G]"
    assert [role for _, role in full] == ["bracket", "mem-used", "bracket"]
    assert plain(memory_bar(None, None, None, 22)) == "[" + " " * 17 + "-/-]"
    assert plain(memory_bar(4 * GIB, None, 16 * GIB, 8)) == "[||    ]"


def test_memory_bar_draws_the_page_cache_it_holds_apart() -> None:
    # 12 GiB used of 16, of which 8 GiB page cache: 15 of 20 cells used, the last 10 of them cache.
    pieces = memory_bar(12 * GIB, 8 * GIB, 16 * GIB, 22)
    assert plain(pieces) == "[" + "|" * 4 + "|" * 5 + "12.0G/16.0G]"
    cells = [role for text, role in pieces for _ in text]
    assert cells == ["bracket"] + ["mem-used"] * 5 + ["mem-cache"] * 10 + ["shadow"] * 5 + ["bracket"]
    # More cache than used (the two read at different moments) is all of the used part, never more.
    assert [role for _, role in memory_bar(GIB, 2 * GIB, 16 * GIB, 22)] == [
        "bracket",
        "mem-cache",
        "shadow",
        "bracket",
    ]


# --- the pane ---------------------------------------------------------------------------------------------


async def test_two_nodes_at_eighty_columns_show_every_value_in_its_column() -> None:
    pane = NumaPane()
    numa = make_numa(2)
    numa = dataclasses.replace(
        numa,
        nodes=(
            numa.nodes[0],
            make_node(
                1,
                mem_used_bytes=12 * GIB,
                numa_hit_per_s=250_000.0,
                numa_miss_per_s=0.0,
                miss_ratio=0.0,
                miss_ratio_since_boot=0.25,
            ),
        ),
    )
    app = PaneApp(pane)
    async with app.run_test(size=(80, 40)) as pilot:
        pane.update_snapshot(numa)
        await pilot.pause()
        lines = screen_lines(pane)
        header = lines[0]
        assert header.startswith("NODE CPUS MEM used+cache/total    MISS%  BOOT% MISS/S HISTORY")
        # The node's figure is MemUsed, page cache in: said so, as the overview's Mem leaves it out.
        assert line_starting(lines, "MEM the node's MemUsed: page cache included")
        row0 = line_starting(lines, "   0 0-3  ")
        row1 = line_starting(lines, "   1 4-7  ")
        assert "[|||||     4.0G/16.0G]" in row0
        assert "[|||||||||||||12.0G/16.0G]"[:1] in row1 and "12.0G/16.0G]" in row1
        assert row0[: column_end(header, "MISS%")].endswith(" 4.3%")
        assert row0[: column_end(header, "BOOT%")].endswith(" 0.99%")
        assert row1[: column_end(header, "MISS%")].endswith("   0%")
        assert row1[: column_end(header, "BOOT%")].endswith(" 25.0%")

        rates_header = line_starting(lines, "NODE     HIT/S")
        rates0 = lines[lines.index(rates_header) + 1]
        rates1 = lines[lines.index(rates_header) + 2]
        expected0 = {"HIT/S": "1234", "MISS/S": "56", "FOREIGN/S": "7.5", "INTLV/S": "0", "LOCAL/S": "1200"}
        for title, value in {**expected0, "OTHER/S": "90"}.items():
            assert rates0[: column_end(rates_header, title)].endswith(" " + value), title
        assert rates1[: column_end(rates_header, "HIT/S")].endswith(" 250k")
        assert rates1[: column_end(rates_header, "MISS/S")].endswith(" 0")
        assert all(len(line) == pane.scrollable_size.width for line in lines)


async def test_a_wide_pane_puts_every_column_of_a_node_on_one_line() -> None:
    pane = NumaPane()
    app = PaneApp(pane)
    async with app.run_test(size=(160, 30)) as pilot:
        pane.update_snapshot(make_numa(2))
        await pilot.pause()
        lines = screen_lines(pane)
        header = lines[0]
        for title in (
            "NODE",
            "CPUS",
            "MEM used+cache/total",
            "HIT/S",
            "MISS/S",
            "FOREIGN/S",
            "LOCAL/S",
            "OTHER/S",
            "BOOT%",
        ):
            assert title in header
        row = line_starting(lines, "   1 4-7")
        assert row[: column_end(header, "HIT/S")].endswith(" 1234")
        assert row[: column_end(header, "OTHER/S")].endswith(" 90")
        assert row[: column_end(header, "MISS%")].endswith(" 4.3%")
        # No second table of rates.
        assert not any(line.startswith("NODE     HIT/S") for line in lines)


async def test_unknown_values_print_a_dash() -> None:
    pane = NumaPane()
    numa = NumaSnapshot(nodes=(make_node(0), unknown_node(1)), distances=None, numa_balancing=None)
    app = PaneApp(pane)
    async with app.run_test(size=(80, 40)) as pilot:
        pane.update_snapshot(numa)
        await pilot.pause()
        lines = screen_lines(pane)
        header = lines[0]
        row = line_starting(lines, "   1 -   ")
        assert "-/-]" in row
        assert row[: column_end(header, "MISS%")].endswith(" -")
        assert row[: column_end(header, "BOOT%")].endswith(" -")
        rates_header = line_starting(lines, "NODE     HIT/S")
        rates = line_starting(lines[lines.index(rates_header) :], "   1 ")
        assert rates.split() == ["1", "-", "-", "-", "-", "-", "-"]
        assert line_starting(lines, "DISTANCE").split()[:2] == ["DISTANCE", "-"]
        assert line_starting(lines, "NUMA balancing").split() == ["NUMA", "balancing", "-"]
        assert (
            style_at(pane, lines.index(row), "-/-").color
            == pane.get_component_rich_style("numa-pane--shadow").color
        )


async def test_a_node_without_cpus_reads_none() -> None:
    pane = NumaPane()
    numa = NumaSnapshot(nodes=(make_node(0), make_node(1, cpus=())), distances=distances(2), numa_balancing=0)
    async with PaneApp(pane).run_test(size=(80, 30)) as pilot:
        pane.update_snapshot(numa)
        await pilot.pause()
        assert line_starting(screen_lines(pane), "   1 none ")


async def test_distance_matrix_with_an_asymmetric_matrix_and_a_null_row() -> None:
    pane = NumaPane()
    numa = dataclasses.replace(
        make_numa(4), distances=((10, 21, 31, 21), (21, 10, 21, 31), None, (24, 31, 21, 10))
    )
    async with PaneApp(pane).run_test(size=(80, 50)) as pilot:
        pane.update_snapshot(numa)
        await pilot.pause()
        lines = screen_lines(pane)
        top = lines.index(line_starting(lines, "DISTANCE"))
        assert lines[top].split() == ["DISTANCE", "0", "1", "2", "3"]
        assert [line.split() for line in lines[top + 1 : top + 5]] == [
            ["node", "0", "10", "21", "31", "21"],
            ["node", "1", "21", "10", "21", "31"],
            ["node", "2", "-", "-", "-", "-"],
            ["node", "3", "24", "31", "21", "10"],
        ]
        # Every figure sits under its column title.
        for row in lines[top + 1 : top + 5]:
            assert len(row.rstrip()) == len(lines[top].rstrip())
        # The diagonal is dimmed, other distances are not.
        dim = pane.get_component_rich_style("numa-pane--dim")
        assert style_at(pane, top + 4, "10").color == dim.color
        assert style_at(pane, top + 4, "24").color != dim.color


@pytest.mark.parametrize(
    ("value", "text"), [(0, "off (0)"), (1, "normal (1)"), (2, "memory tiering (2)"), (None, "-")]
)
async def test_balancing_state_is_shown(value: int | None, text: str) -> None:
    pane = NumaPane()
    async with PaneApp(pane).run_test(size=(80, 40)) as pilot:
        pane.update_snapshot(make_numa(1, balancing=value))
        await pilot.pause()
        assert line_starting(screen_lines(pane), "NUMA balancing").rstrip() == f"NUMA balancing  {text}"


async def test_history_keeps_recording_while_hidden_and_is_drawn_when_shown() -> None:
    pane = NumaPane(maxlen=6)
    app = PaneApp(pane, switcher=True)
    async with app.run_test(size=(80, 30)) as pilot:
        assert not pane.is_on_screen
        base = make_numa(2)
        samples = [None, 0.0, 10.0, 20.0, 40.0, 80.0, 40.0]
        for sample in samples:
            pane.update_snapshot(with_miss_rates(base, [sample, 0.0]))
        await pilot.pause()
        # The deque is bounded: the oldest sample fell out.
        assert pane.history(0) == (0.0, 10.0, 20.0, 40.0, 80.0, 40.0)
        assert pane.history(1) == (0.0,) * 6
        assert pane.history(5) == ()

        app.query_one("#panes", ContentSwitcher).current = "pane"
        await pilot.pause()
        assert pane.is_on_screen
        lines = screen_lines(pane)
        assert "MISS/S HISTORY 0-80" in lines[0]
        # One scale for both nodes: node 1's zeros are dots, node 0 climbs to the top of it.
        assert line_starting(lines, "   0 ").endswith(SPARK_ZERO + "▁▂▄█▄")
        assert line_starting(lines, "   1 ").endswith(" " + SPARK_ZERO * 6)

        # Hidden again, a node vanishes from the samples: its history gets a gap, not a stale value.
        app.query_one("#panes", ContentSwitcher).current = "other"
        await pilot.pause()
        pane.update_snapshot(NumaSnapshot(nodes=(base.nodes[1],), distances=None, numa_balancing=1))
        assert pane.history(0)[-1] is None
        app.query_one("#panes", ContentSwitcher).current = "pane"
        await pilot.pause()
        assert not any(line.startswith("   0 ") for line in screen_lines(pane))


async def test_process_placement_per_node_and_remote_share() -> None:
    pane = NumaPane()
    placement = ProcessNuma(
        pid=4321,
        node_bytes={0: 3 * GIB, 1: 512 * MIB, 3: 512 * MIB},
        total_bytes=4 * GIB,
        mems_allowed=(0, 1, 3),
    )
    async with PaneApp(pane).run_test(size=(80, 60)) as pilot:
        pane.update_snapshot(make_numa(4))
        pane.show_process(4321, "[kworker/0:1-events]", placement, 0)
        await pilot.pause()
        lines = screen_lines(pane)
        top = lines.index(line_starting(lines, "PROCESS"))
        # The name is literal text, never markup.
        assert lines[top].rstrip() == "PROCESS 4321 [kworker/0:1-events]"
        assert lines[top + 1].split() == [
            "runs", "on", "node", "0", "mems", "allowed", "0-1,3", "remote", "25.0%", "resident", "4.0G",
        ]  # fmt: skip
        assert lines[top + 2].split() == ["NODE", "BYTES", "SHARE"]
        rows = [line.split() for line in lines[top + 3 : top + 7]]
        assert rows[0][:3] == ["0", "3.0G", "75.0%"] and rows[0][-1] == "local"
        assert rows[1][:3] == ["1", "512M", "12.5%"]
        # A node holding none of its pages is listed with zero, without a bar.
        assert rows[2] == ["2", "0", "0.0%"]
        assert rows[3][:3] == ["3", "512M", "12.5%"]
        bars = [row[3] for row in rows if len(row) > 3 and row[3].startswith("|")]
        assert [len(bar) for bar in bars] == [
            floor(share * MAX_SHARE_CELLS + 0.5) for share in (0.75, 0.125, 0.125)
        ]

        pane.show_process(4321, "evil\x1b[2J\u202ename", placement, 0)
        await pilot.pause()
        assert line_starting(screen_lines(pane), "PROCESS").rstrip() == "PROCESS 4321 evil?[2J?name"

        # It moved to node 1: remote share follows.
        pane.show_process(4321, "[kworker/0:1-events]", placement, 1)
        await pilot.pause()
        lines = screen_lines(pane)
        assert "remote 87.5%" in line_starting(lines, "  runs on node 1")


async def test_process_without_selection_or_placement() -> None:
    pane = NumaPane()
    async with PaneApp(pane).run_test(size=(80, 40)) as pilot:
        pane.update_snapshot(make_numa(1))
        await pilot.pause()
        lines = screen_lines(pane)
        top = lines.index(line_starting(lines, "PROCESS"))
        assert lines[top + 1].strip() == "no process selected"

        pane.show_process(77, "gone", None, None)
        await pilot.pause()
        lines = screen_lines(pane)
        assert line_starting(lines, "PROCESS").rstrip() == "PROCESS 77 gone"
        assert line_starting(lines, "  runs on node").split() == [
            "runs", "on", "node", "-", "memory", "placement", "not", "readable",
        ]  # fmt: skip

        placement = ProcessNuma(pid=77, node_bytes={0: 8 * MIB}, total_bytes=8 * MIB, mems_allowed=None)
        pane.show_process(77, "gone", placement, None)
        await pilot.pause()
        assert "mems allowed -   remote -   resident 8.0M" in line_starting(screen_lines(pane), "  runs on")


@pytest.mark.slow
@pytest.mark.parametrize("count", [1, 2, 4, 8])
async def test_every_node_count_is_usable_at_80x24_and_scrolls_to_the_end(count: int) -> None:
    pane = NumaPane()
    placement = ProcessNuma(
        pid=9, node_bytes={count - 1: GIB}, total_bytes=GIB, mems_allowed=tuple(range(count))
    )
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        pane.update_snapshot(make_numa(count))
        pane.show_process(9, "worker", placement, 0)
        pane.focus()
        await pilot.pause()
        lines = screen_lines(pane)
        assert len(lines) == 24
        # The first screen holds every node's row of the first table, in the 80-column layout.
        assert [line.split()[0] for line in lines[1 : count + 1]] == [str(n) for n in range(count)]
        assert line_starting(lines, f"{count - 1:>4} ").split()[1] == f"{4 * (count - 1)}-{4 * count - 1}"
        last = f"{count - 1:>6}" if count > 1 else "     0"
        content = pane.text.splitlines()
        assert content[-1].startswith(last)
        if len(content) <= 24:
            return
        # Taller than the screen: the end is out of view until scrolled to.
        assert not any(line.startswith(last) for line in lines[count + 1 :])
        await pilot.press("end")
        await pilot.pause()
        lines = screen_lines(pane)
        assert line_starting(lines, "PROCESS 9 worker")
        assert lines[-1].rstrip() == content[-1].rstrip()
        await pilot.press("home")
        await pilot.pause()
        assert screen_lines(pane)[0].startswith("NODE CPUS")


def one_line_threshold(numa: NumaSnapshot) -> int:
    """The narrowest width that puts each node on one line (a header, the nodes, two lines of notes)."""
    return next(w for w in range(60, 300) if len(node_lines(numa.nodes, {}, w)) == len(numa.nodes) + 3)


@pytest.mark.slow
async def test_scrollbar_at_the_one_line_threshold_keeps_content_and_scroll_in_step() -> None:
    numa = make_numa(2)
    threshold = one_line_threshold(numa)
    # The vertical scrollbar takes 2 cells: around the threshold it decides between the two layouts.
    for width in range(threshold - 1, threshold + 4):
        pane = NumaPane()
        async with PaneApp(pane).run_test(size=(width, 12)) as pilot:
            pane.update_snapshot(numa)
            pane.show_process(1, "x", None, 0)
            await pilot.pause()
            await pilot.pause()
            content = pane.text.splitlines()
            assert pane.virtual_size.height == len(content), width
            pane.scroll_end(animate=False, immediate=True)
            await pilot.pause()
            assert screen_lines(pane)[-1] == content[-1].ljust(pane.scrollable_size.width), width


async def test_eight_nodes_scroll_with_the_mouse_wheel_too() -> None:
    pane = NumaPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        pane.update_snapshot(make_numa(8))
        await pilot.pause()
        assert not any(line.startswith("node 7") for line in screen_lines(pane))
        for _ in range(10):
            pane.post_message(
                events.MouseScrollDown(pane, 10, 10, 0, 1, 0, False, False, False, screen_x=10, screen_y=10)
            )
            await pilot.pause()
        assert pane.scroll_offset.y > 0
        lines = screen_lines(pane)
        assert line_starting(lines, "DISTANCE").split() == ["DISTANCE", *map(str, range(8))]
        assert line_starting(lines, "node 7  ").split() == [
            "node",
            "7",
            "21",
            "31",
            "31",
            "31",
            "31",
            "31",
            "21",
            "10",
        ]


async def test_styles_stay_distinct_on_a_16_colour_terminal() -> None:
    pane = NumaPane()
    numa = with_miss_rates(make_numa(2, miss_ratio=0.2), [10.0, 0.0])
    async with PaneApp(pane).run_test(size=(80, 30)) as pilot:
        pane.update_snapshot(numa)
        await pilot.pause()

        def ansi(style: Style) -> int | None:
            return style.color.downgrade(ColorSystem.STANDARD).number if style.color else None

        def component(role: str) -> Style:
            return pane.get_component_rich_style(f"numa-pane--{role}")

        lines = screen_lines(pane)
        row = lines.index(line_starting(lines, "   0 "))
        assert style_at(pane, row, "20.0%") == component("warn")
        assert style_at(pane, row, "|||") == component("mem-used")
        assert style_at(pane, row, "█") == component("spark")
        assert style_at(pane, row + 1, SPARK_ZERO) == component("dim")
        assert style_at(pane, 0, "NODE").bgcolor == component("title").bgcolor != pane.rich_style.bgcolor
        colours = [ansi(component(role)) for role in ("label", "mem-used", "spark", "warn")]
        assert len(set(colours)) == len(colours)
        assert ansi(pane.rich_style) not in colours
        assert ansi(component("mem-cache")) not in (ansi(component("mem-used")), ansi(pane.rich_style))


async def test_pane_before_any_sample_waits() -> None:
    pane = NumaPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_lines(pane)
        assert lines[0].strip() == "waiting for the first NUMA sample"
        assert line_starting(lines, "  no process selected")


def test_snapshot_four_nodes(snap_compare) -> None:
    pane = NumaPane()
    numa = make_numa(4)
    numa = dataclasses.replace(
        numa,
        nodes=(
            numa.nodes[0],
            make_node(1, mem_used_bytes=15 * GIB, miss_ratio=0.21, miss_ratio_since_boot=0.08),
            make_node(2, cpus=(), mem_used_bytes=GIB, numa_hit_per_s=0.0, miss_ratio=None),
            numa.nodes[3],
        ),
        distances=((10, 21, 31, 21), (21, 10, 21, 31), None, (21, 31, 21, 10)),
    )
    placement = ProcessNuma(
        pid=4321,
        node_bytes={0: 3 * GIB, 1: 768 * MIB, 3: 256 * MIB},
        total_bytes=4 * GIB,
        mems_allowed=(0, 1, 3),
    )

    async def run_before(pilot) -> None:
        for step in range(60):
            rates = [float(step % 7), float(step * 10 % 400), 0.0, None if step % 10 == 0 else 25.0]
            pane.update_snapshot(with_miss_rates(numa, rates))
        pane.show_process(4321, "postgres", placement, 0)
        await pilot.pause()

    assert snap_compare(PaneApp(pane), terminal_size=(80, 24), run_before=run_before)
