"""The header widgets (CPU meters, load history, summary) driven inside a small test App."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from itertools import pairwise
from math import floor

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.containers import Container
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from perftop.probes.net import NetReading, net_snapshot
from perftop.probes.snapshot import (
    CpuSnapshot,
    CpuUsage,
    MemorySnapshot,
    NumaSnapshot,
    Pressure,
    Snapshot,
    TaskCounts,
)
from perftop.widgets.colours import ThemeColours
from perftop.widgets.cpu_meters import (
    BAR_CHAR,
    BAR_STATES,
    GRID_IDLE,
    GRID_OFFLINE,
    RECENT_LINES,
    CpuMeters,
    MeterLayout,
    bar_cells,
    cpu_layout,
    grid_cells,
    grid_layout,
    label_width,
    meter_segments,
    meters_layout,
)
from perftop.widgets.formatting import format_bytes, format_count, format_uptime, spark_cell
from perftop.widgets.load_history import (
    MOVE_CELLS,
    CpuHistoryLayout,
    GraphRows,
    LoadHistory,
    SparkRow,
    band,
    braille_graph,
    braille_pair,
    per_cpu_layout,
)
from perftop.widgets.summary import SummaryLine, SummaryRow, plain, wrap_row

GIB = 1024**3
MIB = 1024**2
FULL = "⣿"
RIGHT_COLUMN = "⢸"
LEFT_COLUMN = "⡇"


def usage(cpu: int, **states: float) -> CpuUsage:
    """An online CPU with the given state percents; idle takes the rest."""
    values = {state: float(states.get(state, 0.0)) for state in BAR_STATES}
    idle = 100.0 - sum(values.values())
    return CpuUsage(cpu=cpu, online=True, idle=idle, seconds=None, **values)


def offline(cpu: int) -> CpuUsage:
    return CpuUsage(cpu, False, None, None, None, None, None, None, None, None, None)


def no_baseline(cpu: int) -> CpuUsage:
    return CpuUsage(cpu, True, None, None, None, None, None, None, None, None, None)


def cpu_snapshot(
    per_cpu: tuple[CpuUsage, ...], total: CpuUsage | None = None, **fields: object
) -> CpuSnapshot:
    base = {
        "context_switches": 10_000,
        "context_switches_per_s": 1234.0,
        "interrupts": 5_000,
        "interrupts_per_s": 567.0,
        "forks": 100,
        "forks_per_s": 3.0,
        "procs_running": 2,
        "procs_blocked": 0,
        "loadavg": (0.52, 0.40, 0.31),
        "pressure": None,
    }
    base.update(fields)
    return CpuSnapshot(per_cpu=per_cpu, total=total, **base)  # type: ignore[arg-type]


def memory(**fields: int | None) -> MemorySnapshot:
    base: dict[str, int | None] = {
        "total_bytes": round(15.6 * GIB),
        "free_bytes": 2 * GIB,
        "available_bytes": 10 * GIB,
        "used_bytes": round(3.2 * GIB),
        "buffers_bytes": 0,
        "cached_bytes": 0,
        "shared_bytes": 0,
        "swap_total_bytes": 2 * GIB,
        "swap_free_bytes": 2 * GIB - 512 * MIB,
        "swap_used_bytes": 512 * MIB,
    }
    base.update(fields)
    return MemorySnapshot(**base)


def tasks() -> TaskCounts:
    # 123 processes of which 78 kernel threads; 456 tasks in all: htop shows 45 processes, 333 threads.
    return TaskCounts(processes=123, threads=456, kernel_threads=78, running=2, sleeping=100, zombie=0)


class HeaderApp(ThemeColours, App[None]):
    """Holds the widgets under test, nothing else."""

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self._widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self._widgets


def styled_runs(strip: Strip) -> list[tuple[str, object]]:
    """The strip's segments as (text, style), empty segments dropped."""
    return [(segment.text, segment.style) for segment in strip if segment.text]


def shown_text(widget: Widget) -> list[str]:
    """The widget's lines as the compositor gets them (through Textual's line cache)."""
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    return [strip.text for strip in widget.render_lines(region)]


def cells_in_style(strip: Strip, style: object) -> int:
    return sum(len(segment.text) for segment in strip if segment.style == style)


# --- CPU meters: pure parts ---------------------------------------------------------------------------


def test_bar_cells_exact_shares() -> None:
    assert bar_cells([50.0], 100.0, 40) == [20]
    assert bar_cells([10.0, 20.0, 30.0], 100.0, 40) == [4, 8, 12]
    assert bar_cells([None, 25.0], 100.0, 40) == [0, 10]
    assert bar_cells([100.0], 100.0, 0) == [0]
    # Counters overshooting 100% by a tick never draw past the bar.
    assert bar_cells([60.0, 50.0], 100.0, 40) == [24, 16]
    assert bar_cells([1.0], 0.0, 40) == [0]


@given(
    parts=st.lists(st.floats(min_value=0.0, max_value=100.0), min_size=1, max_size=8),
    cells=st.integers(min_value=1, max_value=200),
)
def test_bar_cells_never_overflow_and_track_exact_share(parts: list[float], cells: int) -> None:
    counts = bar_cells(parts, 100.0, cells)
    assert all(count >= 0 for count in counts)
    assert sum(counts) <= cells
    running = 0.0
    drawn = 0
    for part, count in zip(parts, counts, strict=True):
        running = min(100.0, running + part)
        drawn += count
        # Each boundary sits within half a cell of the exact one.
        assert abs(drawn - running / 100.0 * cells) <= 0.5 + 1e-9


def test_cpu_layout_by_count_and_width() -> None:
    assert cpu_layout(2, 80) == (1, 2)
    assert cpu_layout(2, 160) == (1, 2)
    assert cpu_layout(8, 80) == (2, 4)
    assert cpu_layout(8, 160) == (2, 4)
    assert cpu_layout(16, 80) == (4, 4)
    assert cpu_layout(64, 80) == (4, 16)
    assert cpu_layout(64, 160) == (8, 8)
    assert cpu_layout(0, 80) == (1, 0)
    # Too narrow for two columns: one long column rather than unreadable bars.
    assert cpu_layout(8, 20) == (1, 8)
    # 1000 CPUs need four-digit labels, which widen the cells.
    assert cpu_layout(1000, 127, label_cells=4) == (4, 250)
    assert cpu_layout(1000, 135, label_cells=4) == (8, 125)


def test_meters_layout_keeps_bars_while_they_fit_the_lines_allowed() -> None:
    # htop's bars while their lines fit: 64 CPUs in 4 columns of 16 at 100 cells, in 18 lines or more.
    assert meters_layout(64, 100, 3, 18) == MeterLayout(4, 16)
    assert meters_layout(4, 40, 3, 5) == MeterLayout(1, 4)
    assert meters_layout(2, 40, 3, 1) == MeterLayout(2, 1)
    # Else a grid of one CPU a cell: 8-cell groups, as many as fit rounded down to a power of two.
    assert meters_layout(64, 100, 3, 15) == MeterLayout(1, 1, 1, 64)
    assert meters_layout(256, 100, 3, 18) == MeterLayout(1, 4, 1, 64)
    assert meters_layout(16, 40, 3, 5) == MeterLayout(1, 1, 1, 32)
    # Two a cell where one a cell needs too many lines: 256 CPUs in 40 cells and 5 lines.
    assert meters_layout(256, 40, 3, 5) == MeterLayout(1, 4, 2, 64)
    # A screen too small for the CPUs at all: the two-a-cell grid, whatever its lines.
    assert meters_layout(256, 20, 3, 2) == MeterLayout(1, 16, 2, 16)


def test_grid_layout_rows_start_at_round_cpu_numbers() -> None:
    # 4 label cells (3 and a blank), then groups of 8 cells and a blank: 10 groups fit in 100 cells, 8 used.
    assert grid_layout(256, 100, 3, 1) == (64, 4)
    assert grid_layout(256, 100, 3, 2) == (128, 2)
    assert grid_layout(256, 39, 3, 1) == (32, 8)
    assert grid_layout(256, 38, 3, 1) == (16, 16)  # three groups fit: two are used
    assert grid_layout(3, 5, 3, 1) == (8, 1)  # one group at least
    assert grid_layout(1000, 100, 4, 1) == (64, 16)


def test_grid_cells_are_eighth_blocks_or_braille_pairs_in_load_colours() -> None:
    cpus = [usage(0, user=100.0), usage(1), no_baseline(2), offline(3), usage(4, user=50.0)]
    cpus += [usage(i, system=5.0) for i in range(5, 9)]
    assert grid_cells(cpus, 1) == (
        ("█", "high"),
        (GRID_IDLE, "shadow"),
        (" ", "low"),
        (GRID_OFFLINE, "offline"),
        ("▄", "mid"),
        ("▁", "low"),
        ("▁", "low"),
        ("▁", "low"),
        (" ", ""),  # a blank after every eight cells
        ("▁", "low"),
    )
    # Two a cell: left and right dot columns; the busier CPU colours the cell; the ninth CPU alone on the
    # left of the last cell.
    assert grid_cells(cpus, 2) == (
        ("⡇", "high"),  # 100% and idle: the left column full
        (" ", "low"),  # no baseline and offline: nothing known, nothing lit
        ("⣄", "mid"),  # 50% and 5%: two dots on the left, one on the right
        ("⣀", "low"),
        ("⡀", "low"),
    )
    assert grid_cells([offline(0), offline(1), usage(2), usage(3)], 2) == (
        (GRID_OFFLINE, "offline"),
        (GRID_IDLE, "shadow"),
    )
    assert len(grid_cells([usage(i) for i in range(64)], 2)) == 32 + 3  # four groups of eight cells


async def test_meters_take_half_the_screen_less_the_reserved_rows_and_show_every_cpu() -> None:
    for count, size, reserved, kind in (
        # The meters' widths beside the summary in a 200x50 and an 80x24 terminal.
        (64, (100, 50), 5, "bars"),
        (256, (100, 50), 5, "grid"),
        (16, (40, 24), 5, "grid"),
        (256, (40, 24), 5, "braille"),
        (16, (40, 24), 0, "bars"),
    ):
        meters = CpuMeters(reserved_rows=reserved)
        async with HeaderApp(meters).run_test(size=size) as pilot:
            per_cpu = tuple(usage(i, user=float(i % 100)) for i in range(count))
            meters.update_snapshot(cpu_snapshot(per_cpu), memory())
            await pilot.pause()
            lines = shown_text(meters)
            assert len(lines) == meters.size.height <= size[1] // 2 - reserved, (count, size)
            assert lines[-2].startswith("Mem[") and lines[-1].startswith("Swp[")
            cpu_lines = lines[:-2]
            if kind == "bars":
                shown = [int(label) for line in cpu_lines for label in re.findall(r"(\d+)\[", line)]
                assert sorted(shown) == list(range(count))
                continue
            # A grid: each line starts with the number of its first CPU, and holds a cell for every CPU.
            per_cell = 2 if kind == "braille" else 1
            cells = [line[4:].replace(" ", "") for line in cpu_lines]
            starts = [int(line[:3]) for line in cpu_lines]
            assert starts == [sum(len(c) for c in cells[:i]) * per_cell for i in range(len(cells))]
            assert sum(len(c) for c in cells) * per_cell == count


async def test_the_grid_comes_and_goes_with_the_screen_height() -> None:
    meters = CpuMeters(reserved_rows=5)
    async with HeaderApp(meters).run_test(size=(100, 60)) as pilot:
        meters.update_snapshot(cpu_snapshot(tuple(usage(i, user=30.0) for i in range(64))), memory())
        await pilot.pause()
        assert meters.size.height == 16 + 2 and "63[" in shown_text(meters)[15]  # bars: 4 columns of 16
        await pilot.resize_terminal(100, 40)
        await pilot.pause()
        lines = shown_text(meters)
        assert meters.size.height == 1 + 2 and lines[0].startswith("  0 " + "▂" * 8 + " ")
        assert all(meters.render_line(y).cell_length == 100 for y in range(3))
        await pilot.resize_terminal(100, 60)
        await pilot.pause()
        assert meters.size.height == 16 + 2


def test_label_width_follows_largest_cpu_number() -> None:
    assert label_width([0, 1]) == 3
    assert label_width(range(1024)) == 4


def test_meter_text_is_dropped_not_cut_when_the_bar_is_too_narrow() -> None:
    user = Style(color="green")
    shadow = Style(dim=True)
    assert meter_segments([(3, user)], 6, "100.0%", shadow) == [Segment("100", user), Segment(".0%", shadow)]
    assert meter_segments([(3, user)], 5, "100.0%", shadow) == [Segment("|||", user), Segment("  ", shadow)]
    assert meter_segments([], 0, "-", shadow) == []


@given(
    counts=st.lists(st.integers(0, 30), max_size=7),
    spare=st.integers(0, 30),
    text=st.sampled_from(["", "-", "5.0%", "100.0%", "offline", "512M/2.0G"]),
)
def test_meter_segments_cell_by_cell(counts: list[int], spare: int, text: str) -> None:
    styles = [Style(color=f"color({n})") for n in range(len(counts))]
    shadow = Style(dim=True)
    cells = sum(counts) + spare
    segments = meter_segments(list(zip(counts, styles, strict=True)), cells, text, shadow)
    # Cell by cell: each part's run of bar characters, then blanks, with the text (when it fits)
    # over the right end in the style of whatever is beneath it.
    fill = [(BAR_CHAR, style) for count, style in zip(counts, styles, strict=True) for _ in range(count)]
    fill += [(" ", shadow)] * spare
    shown = text if len(text) <= cells else ""
    for i, char in enumerate(shown):
        x = cells - len(shown) + i
        fill[x] = (char, fill[x][1])
    assert [(char, segment.style) for segment in segments for char in segment.text] == fill
    assert all(segment.text for segment in segments)


def test_format_bytes_as_htop() -> None:
    assert format_bytes(round(3.2 * GIB)) == "3.2G"
    assert format_bytes(round(15.6 * GIB)) == "15.6G"
    assert format_bytes(512 * MIB) == "512M"
    assert format_bytes(768 * 1024) == "768K"
    assert format_bytes(0) == "0"  # the table's rule, as ps and htop's columns show nothing
    assert format_bytes(None) == "-"
    assert format_bytes(2 * 1024**4) == "2.0T"


# --- CPU meters: the widget ---------------------------------------------------------------------------


async def test_user_half_is_half_the_bar_in_user_style() -> None:
    meters = CpuMeters()
    # 3 label cells + "[" + 40 bar cells + "]".
    async with HeaderApp(meters).run_test(size=(45, 10)) as pilot:
        meters.update_snapshot(cpu_snapshot((usage(0, user=50.0),)), memory())
        await pilot.pause()
        line = meters.render_line(0)
        assert line.cell_length == 45
        assert line.text == "  0[" + "|" * 20 + " " * 15 + "50.0%]"
        user = meters.get_component_rich_style("cpu-meters--user")
        assert cells_in_style(line, user) == 20
        assert styled_runs(line)[2] == ("|" * 20, user)
        assert cells_in_style(line, meters.get_component_rich_style("cpu-meters--system")) == 0


async def test_states_stack_in_htop_order_and_iowait_is_not_busy() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(45, 10)) as pilot:
        cpu = usage(0, nice=10.0, user=20.0, system=30.0, irq=5.0, iowait=10.0)
        meters.update_snapshot(cpu_snapshot((cpu,)), memory())
        await pilot.pause()
        line = meters.render_line(0)
        runs = styled_runs(line)[2:-1]
        expected = [("nice", 4), ("user", 8), ("system", 12), ("irq", 2), ("iowait", 4)]
        assert [(style, len(text)) for text, style in runs[:-1]] == [
            (meters.get_component_rich_style(f"cpu-meters--{state}"), n) for state, n in expected
        ]
        # busy excludes iowait: 100 - idle(25) - iowait(10).
        assert line.text.endswith("65.0%]")


async def test_offline_and_baseline_less_cpus() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(45, 10)) as pilot:
        meters.update_snapshot(cpu_snapshot((usage(0, user=10.0), offline(1), no_baseline(2))), memory())
        await pilot.pause()
        assert meters.render_line(1).text == "  1[" + " " * 33 + "offline]"
        assert meters.render_line(2).text == "  2[" + " " * 39 + "-]"
        assert "|" not in meters.render_line(1).text + meters.render_line(2).text


async def test_layout_line_counts_follow_cpus_and_width() -> None:
    for width in (80, 160):
        for count, rows in ((2, 2), (8, 4), (64, 16 if width == 80 else 8)):
            meters = CpuMeters()
            async with HeaderApp(meters).run_test(size=(width, 40)) as pilot:
                per_cpu = tuple(usage(i, user=float(i % 100)) for i in range(count))
                meters.update_snapshot(cpu_snapshot(per_cpu), memory())
                await pilot.pause()
                assert meters.size.height == rows + 2, (width, count)
                lines = shown_text(meters)
                assert lines[rows].startswith("Mem[") and lines[rows + 1].startswith("Swp[")
                # Column-major, as htop: the last CPU ends the last row.
                assert f"{count - 1}[" in lines[rows - 1]
                assert all(len(line) == width for line in lines)


async def test_height_follows_a_cpu_coming_into_view() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(80, 30)) as pilot:
        meters.update_snapshot(cpu_snapshot((usage(0), usage(1))), memory())
        await pilot.pause()
        assert meters.size.height == 4
        meters.update_snapshot(cpu_snapshot(tuple(usage(i) for i in range(3))), memory())
        await pilot.pause()
        assert meters.size.height == 5


async def test_memory_and_swap_meters() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(45, 10)) as pilot:
        mem = memory(total_bytes=16 * GIB, used_bytes=4 * GIB, buffers_bytes=2 * GIB, cached_bytes=4 * GIB)
        meters.update_snapshot(cpu_snapshot((usage(0),)), mem)
        await pilot.pause()
        mem_line = meters.render_line(1)
        assert mem_line.text.startswith("Mem[||||||||||") and mem_line.text.endswith("   4.0G/16.0G]")
        # 40 cells: used a quarter (10), buffers an eighth (5), cache a quarter (10).
        for part, cells in (("mem-used", 10), ("mem-buffers", 5), ("mem-cache", 10)):
            assert cells_in_style(mem_line, meters.get_component_rich_style(f"cpu-meters--{part}")) == cells
        swap_line = meters.render_line(2)
        assert swap_line.text.endswith("512M/2.0G]")
        assert cells_in_style(swap_line, meters.get_component_rich_style("cpu-meters--swap-used")) == 10


async def test_memory_text_matches_htop_form_and_swap_total_zero() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(45, 10)) as pilot:
        mem = memory(swap_total_bytes=0, swap_free_bytes=0, swap_used_bytes=0)
        meters.update_snapshot(cpu_snapshot((usage(0),)), mem)
        await pilot.pause()
        assert meters.render_line(1).text.endswith("3.2G/15.6G]")
        # 3.2 / 15.6 of 40 cells.
        used = meters.get_component_rich_style("cpu-meters--mem-used")
        assert cells_in_style(meters.render_line(1), used) == floor(3.2 / 15.6 * 40 + 0.5)
        assert meters.render_line(2).text == "Swp[" + " " * 37 + "0/0]"


async def test_unknown_memory_prints_dashes() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(45, 10)) as pilot:
        mem = memory(total_bytes=None, used_bytes=None, swap_total_bytes=None, swap_used_bytes=None)
        meters.update_snapshot(cpu_snapshot((usage(0),)), mem)
        await pilot.pause()
        assert meters.render_line(1).text.endswith(" -/-]")
        assert "|" not in meters.render_line(1).text + meters.render_line(2).text


async def test_state_colours_stay_distinct_on_16_colour_terminals() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(45, 10)):
        ansi = set()
        for state in BAR_STATES:
            color = meters.get_component_rich_style(f"cpu-meters--{state}").color
            assert color is not None
            ansi.add(color.downgrade(ColorSystem.STANDARD).number)
        assert len(ansi) == len(BAR_STATES)


async def test_meters_redraw_the_bars_whose_figures_changed_and_keep_the_others() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(45, 10)) as pilot:
        meters.update_snapshot(cpu_snapshot((usage(0, user=50.0), usage(1, user=10.0))), memory())
        await pilot.pause()
        before = [meters.render_line(y) for y in range(4)]
        # CPU 1 goes offline and memory use grows; CPU 0 and swap stay as they were.
        mem = memory(used_bytes=4 * GIB)
        meters.update_snapshot(cpu_snapshot((usage(0, user=50.0), offline(1))), mem)
        await pilot.pause()
        after = [meters.render_line(y) for y in range(4)]
        assert after[1].text == "  1[" + " " * 33 + "offline]"
        assert after[2].text.endswith(" 4.0G/15.6G]")
        # Lines drawn from the same figures are the very same strips: the diff passes over them at once.
        assert after[0] is before[0] and after[3] is before[3]
        meters.update_snapshot(cpu_snapshot((usage(0, user=50.0), usage(1, system=25.0))), mem)
        await pilot.pause()
        line = meters.render_line(1)
        assert line.text == "  1[" + "|" * 10 + " " * 25 + "25.0%]"
        assert cells_in_style(line, meters.get_component_rich_style("cpu-meters--system")) == 10


async def test_lines_kept_between_samples_take_the_new_theme() -> None:
    meters, history, summary = CpuMeters(), LoadHistory(), SummaryLine()
    app = HeaderApp(meters, history, summary)
    async with app.run_test(size=(80, 30)) as pilot:
        cpu = cpu_snapshot((usage(0, user=50.0),), total=usage(-1, user=50.0))
        meters.update_snapshot(cpu, memory())
        summary.update_snapshot(snapshot(cpu))
        for _ in range(8):
            history.push(cpu)
        await pilot.pause()
        parts = ((meters, "cpu-meters--bracket"), (summary, "summary-line--value"))
        parts += ((history, "load-history--value"),)
        dark = [widget.get_component_rich_style(name) for widget, name in parts]
        app.theme = "textual-light"
        await pilot.pause()
        light = [widget.get_component_rich_style(name) for widget, name in parts]
        assert all(old != new for old, new in zip(dark, light, strict=True))
        # The same figures, drawn in the new theme's styles.
        assert styled_runs(meters.render_line(0))[1] == ("[", light[0])
        assert ("45", light[1]) in styled_runs(summary.render_line(0))
        assert (" 50.0%", light[2]) in styled_runs(history.render_line(0))


async def test_meters_hand_over_a_bar_drawn_a_few_samples_ago() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(45, 10)) as pilot:

        def show(percent: float) -> Strip:
            meters.update_snapshot(cpu_snapshot((usage(0, user=percent),)), memory())
            return meters.render_line(0)

        first = show(50.0)
        await pilot.pause()
        # A CPU's figures come in clock ticks: the same bar comes back, and is the strip drawn then.
        assert show(10.0).text.endswith("10.0%]")
        again = show(50.0)
        assert again is first and again.text == "  0[" + "|" * 20 + " " * 15 + "50.0%]"
        # Only the last few are kept: after many other figures the bar is drawn anew, the same.
        for step in range(RECENT_LINES * 3):
            show(step / 10)
        assert len(meters._lines().recent) <= RECENT_LINES * 3  # one CPU row, Mem and Swp
        anew = show(50.0)
        assert anew is not first and anew == first


async def test_meters_layout_follows_the_width() -> None:
    meters = CpuMeters()
    async with HeaderApp(meters).run_test(size=(80, 30)) as pilot:
        meters.update_snapshot(cpu_snapshot(tuple(usage(i, user=10.0 * i) for i in range(8))), memory())
        await pilot.pause()
        # Two columns of four rows, then one of eight when two no longer fit, then two again; at 81 and
        # 82 cells the bars are as wide (the spare cell goes to the line's end).
        for width, rows in ((80, 4), (20, 8), (81, 4), (82, 4)):
            await pilot.resize_terminal(width, 30)
            await pilot.pause()
            lines = shown_text(meters)
            assert meters.size.height == rows + 2 and len(lines) == rows + 2
            assert lines[rows - 1].lstrip().startswith(f"{rows - 1}[") and "7[" in lines[rows - 1]
            assert lines[rows].startswith("Mem[") and all(len(line) == width for line in lines)
            assert all(meters.render_line(y).cell_length == width for y in range(rows + 2))


# --- Load history -------------------------------------------------------------------------------------


def total_only(percent: float | None, cpus: int = 2) -> CpuSnapshot:
    total = no_baseline(-1) if percent is None else usage(-1, user=percent)
    return cpu_snapshot(tuple(usage(i, user=percent or 0.0) for i in range(cpus)), total=total)


def test_braille_graph_levels_and_alignment() -> None:
    # One row is four dots: 50% lights the bottom two dots of the column.
    assert braille_graph([50.0, 0.0], 1, 1) == ["⡄"]
    assert braille_graph([0.0, 100.0], 1, 2) == [RIGHT_COLUMN, RIGHT_COLUMN]
    # Fewer samples than cells: newest on the right, older cells blank.
    assert braille_graph([100.0], 3, 1) == ["  " + RIGHT_COLUMN]
    assert braille_graph([100.0] * 10, 3, 2) == [FULL * 3] * 2
    assert braille_graph([0.0] * 10, 3, 2) == ["   "] * 2
    assert braille_graph([None, None], 1, 1) == [" "]
    # A small but non-zero load still shows one dot.
    assert braille_graph([0.0, 1.0], 1, 4)[-1] == "⢀"


# Steps of the graph's life: push a sample (None: unknown), draw, toggle the freeze, or resize (new
# width and height). Pushes and drawings come most often, so the rows are mostly updated, not redrawn.
PUSH = st.tuples(st.just("push"), st.one_of(st.none(), st.floats(min_value=0.0, max_value=100.0)))
DRAW = st.tuples(st.just("draw"), st.none())
GRAPH_STEPS = st.one_of(
    PUSH,
    PUSH,
    PUSH,
    DRAW,
    DRAW,
    st.tuples(st.just("freeze"), st.none()),
    st.tuples(st.just("resize"), st.tuples(st.integers(1, 12), st.integers(1, 3))),
)


def drawings(
    maxlen: int, steps: list[tuple[str, object]]
) -> Iterator[tuple[list[float | None], int, int, tuple[int, int]]]:
    """``steps`` (of ``GRAPH_STEPS``) played on a history keeping ``maxlen`` samples: at each drawing, the
    series kept, the number of its first sample, the samples to draw (all but those held since a
    freeze) and the size drawn at."""
    pushed: list[float | None] = []
    frozen, held = False, 0
    size = (10, 2)
    for action, argument in steps:
        if action == "push":
            pushed.append(argument)  # type: ignore[arg-type]
            held += frozen
        elif action == "freeze":
            frozen, held = not frozen, 0
        else:
            if action == "resize":
                size = argument  # type: ignore[assignment]
            series = pushed[-maxlen:]
            yield series, len(pushed) - len(series), len(pushed) - held, size


@given(maxlen=st.integers(1, 30), steps=st.lists(GRAPH_STEPS, max_size=150))
def test_graph_rows_kept_between_drawings_equal_the_graph_drawn_anew(
    maxlen: int, steps: list[tuple[str, object]]
) -> None:
    # Pushes between drawings (none, one, many), moves, samples dropped from a full series, freezes
    # and sizes: the rows updated cell by cell are always those of the whole graph drawn again.
    rows = GraphRows()
    drawing: tuple[tuple[int, int, int], list[str]] | None = None
    for series, first, drawn, (width, height) in drawings(maxlen, steps):
        # Drawn again only for other samples or another size: while frozen, samples dropped from the
        # series' start leave the graph as it was.
        if drawing is None or drawing[0] != (drawn, width, height):
            held = first + len(series) - drawn
            shown = series[: max(0, len(series) - held)] + [None] * (-drawn % (2 * MOVE_CELLS))
            drawing = ((drawn, width, height), braille_graph(shown[-2 * width :], width, height))
        assert rows.rows(series, first, drawn, width, height) == drawing[1]


def test_graph_rows_follow_a_full_series_sample_by_sample() -> None:
    # As the history draws between samples: one new sample each time, the graph moving every
    # 2 * MOVE_CELLS samples, and (the series being shorter than the graph) its oldest sample dropped.
    rows = GraphRows()
    pushed: list[float | None] = []
    for number in range(40):
        pushed.append(None if number % 7 == 3 else float(number * 37 % 101))
        series = pushed[-9:]
        expected = braille_graph(series + [None] * (-len(pushed) % (2 * MOVE_CELLS)), 6, 2)
        assert rows.rows(series, len(pushed) - len(series), len(pushed), 6, 2) == expected, number


def test_graph_rows_drawn_again_for_fewer_samples() -> None:
    rows = GraphRows()
    series = [100.0, 100.0, 100.0]
    assert rows.rows(series, 0, 3, 2, 1) == [FULL + LEFT_COLUMN]
    # Not a case the history makes (its samples drawn never decrease), but the rows must still follow.
    assert rows.rows(series, 0, 2, 2, 1) == [FULL + " "]


def test_braille_pair_is_a_one_cell_graph_of_two_samples() -> None:
    for left in (None, 0.0, 1.0, 30.0, 50.0, 80.0, 100.0):
        for right in (None, 0.0, 12.4, 12.6, 62.0, 100.0):
            assert braille_pair(left, right) == braille_graph([left, right], 1, 1)[0]


@given(maxlen=st.integers(1, 30), steps=st.lists(GRAPH_STEPS, max_size=150))
def test_spark_rows_kept_between_drawings_equal_the_sparkline_drawn_anew(
    maxlen: int, steps: list[tuple[str, object]]
) -> None:
    # As the graph rows above: the cells updated one by one are always those of the whole sparkline
    # drawn again (here samples dropped from a full series leave blanks at once, even while frozen).
    row = SparkRow()
    for series, first, drawn, (cells, _) in drawings(maxlen, steps):
        end = drawn + (-drawn % (2 * MOVE_CELLS))
        values = [series[n - first] if first <= n < drawn else None for n in range(end - cells, end)]
        runs = row.runs(series, first, drawn, cells)
        assert "".join(text for text, _ in runs) == "".join(spark_cell(v) for v in values)
        roles = [role for text, role in runs for _ in text]
        assert roles == [band(v) if spark_cell(v) != " " else "" for v in values]
        assert all(a[1] != b[1] for a, b in pairwise(runs))  # runs are whole


def test_spark_chars() -> None:
    assert spark_cell(None) == " "
    assert spark_cell(0.0) == " "
    assert spark_cell(100.0) == "█"
    assert spark_cell(50.0) == "▄"
    assert spark_cell(0.1) == "▁"


async def test_history_is_bounded() -> None:
    history = LoadHistory(maxlen=300)
    async with HeaderApp(history).run_test(size=(80, 10)):
        for i in range(350):
            history.push(total_only(float(i % 101)))
        assert len(history.total_history) == 300
        assert history.total_history[0] == 50.0
        assert history.total_history[-1] == float(349 % 101)
        assert len(history.cpu_history(0)) == 300


class CountingHistory(LoadHistory):
    """Counts line renders, lines drawn and redraws asked for, to tell whether a hidden widget draws."""

    renders = 0
    paints = 0

    def render_line(self, y: int) -> Strip:
        self.renders += 1
        return super().render_line(y)

    def paint_line(self, y: int) -> Strip:
        self.paints += 1
        return super().paint_line(y)

    def refresh_changed(self) -> None:
        self.paints += 1
        super().refresh_changed()


async def test_keeps_recording_while_hidden_and_draws_it_when_shown() -> None:
    history = CountingHistory()
    # Hidden through its pane, as a toggled-off panel would be: the widget itself is never touched.
    pane = Container(history)
    async with HeaderApp(pane).run_test(size=(40, 10)) as pilot:
        history.push(total_only(0.0))
        await pilot.pause()
        pane.display = False
        await pilot.pause()
        drawn, painted = history.renders, history.paints
        for _ in range(20):
            history.push(total_only(0.0))
        history.push(total_only(100.0))
        assert history.paints == painted  # recorded, not drawn (nor a redraw asked for)
        await pilot.pause()
        assert len(history.total_history) == 22
        assert history.renders == drawn
        pane.display = True
        await pilot.pause()
        assert history.renders > drawn
        # The sample pushed while hidden is what the screen shows now.
        assert "now 100.0%" in shown_text(history)[0]
        assert shown_text(history)[0].endswith("now 100.0%")
        # On screen again, each sample is drawn as it comes.
        painted = history.paints
        history.push(total_only(50.0))
        assert history.paints > painted
        await pilot.pause()
        assert shown_text(history)[0].endswith("now  50.0%")


async def test_history_mounted_after_recording_a_while_draws_all_it_recorded() -> None:
    # As pane 2's history, shown for the first time after recording a minute unmounted.
    history = LoadHistory()
    percents = [float(n * 37 % 101) for n in range(60)]
    for percent in percents:
        history.push(total_only(percent))
    app = HeaderApp(Container(id="holder"))
    async with app.run_test(size=(40, 10)) as pilot:
        await app.query_one("#holder").mount(history)
        await pilot.pause()
        assert history.total_history == tuple(percents)
        lines = shown_text(history)
        assert lines[0].endswith(f"now {percents[-1]:5.1f}%")
        graph_width = 40 - 5 - 11
        samples = percents + [None] * (-len(percents) % (2 * MOVE_CELLS))
        assert [line[5:-11] for line in lines] == braille_graph(samples[-2 * graph_width :], graph_width, 5)


async def test_history_hands_over_a_line_drawn_a_few_samples_ago() -> None:
    history = LoadHistory()
    async with HeaderApp(history).run_test(size=(60, 10)) as pilot:
        history.push(total_only(0.0))
        await pilot.pause()
        idle = history.render_line(0)
        history.push(total_only(50.0))
        await pilot.pause()
        assert history.render_line(0).text.endswith(" now  50.0%")
        # The top row is still blank and ``now`` is back at 0.0%: the line drawn two samples ago.
        history.push(total_only(0.0))
        await pilot.pause()
        assert history.render_line(0) is idle


async def test_newest_value_at_the_right_edge() -> None:
    history = LoadHistory()
    async with HeaderApp(history).run_test(size=(60, 10)) as pilot:
        for _ in range(29):
            history.push(total_only(0.0))
        history.push(total_only(100.0))
        await pilot.pause()
        lines = [history.render_line(y).text for y in range(history.size.height)]
        assert history.size.height == 5
        graph = [line[5:-11] for line in lines]
        # Four samples to two cells, always the same four: the 29th and 30th share the cell before
        # the last, which the next two fill.
        assert all(row == " " * (len(row) - 2) + RIGHT_COLUMN + " " for row in graph)
        assert lines[0].startswith("100%") and lines[-1].startswith("  0%")
        assert lines[0].endswith(" now 100.0%")
        assert lines[1].endswith(" avg   3.3%")
        assert lines[2].endswith(" max 100.0%")
        history.push(total_only(100.0))
        await pilot.pause()
        graph = [history.render_line(y).text[5:-11] for y in range(history.size.height)]
        assert all(row == " " * (len(row) - 2) + RIGHT_COLUMN + LEFT_COLUMN for row in graph)
        # The 33rd sample moves the graph two cells at once (MOVE_CELLS), to fill in from the right.
        history.push(total_only(100.0))
        history.push(total_only(100.0))
        await pilot.pause()
        graph = [history.render_line(y).text[5:-11] for y in range(history.size.height)]
        assert all(row == " " * (len(row) - 4) + RIGHT_COLUMN + FULL + LEFT_COLUMN + " " for row in graph)


async def test_figures_change_while_the_graph_rows_do_not() -> None:
    history = LoadHistory()
    async with HeaderApp(history).run_test(size=(60, 10)) as pilot:
        history.push(total_only(100.0))
        await pilot.pause()
        rows = [history.render_line(y).text[:-11] for y in range(3)]
        # An idle sample lights no dot and moves nothing: only the figures change.
        history.push(total_only(0.0))
        await pilot.pause()
        lines = [history.render_line(y).text for y in range(3)]
        assert [line[:-11] for line in lines] == rows
        assert [line[-11:] for line in lines] == [" now   0.0%", " avg  50.0%", " max 100.0%"]


async def test_graph_rows_follow_the_size_when_their_texts_do_not() -> None:
    history = LoadHistory()
    app = HeaderApp(history)
    async with app.run_test(size=(30, 10)) as pilot:
        for percent in (100.0,) * 20 + (0.0,) * 20:
            history.push(total_only(percent, cpus=1))
        await pilot.pause()
        # A 14-cell graph shows the last 28 samples: 8 busy ones, then 20 idle.
        assert history.render_line(1).text.endswith(" avg  28.6%")
        assert history.render_line(3).text == "     " + FULL * 4 + " " * 10 + " " * 11
        # At 19 cells the graph is 14 cells wide again, without the figures: the same row texts.
        await pilot.resize_terminal(19, 10)
        await pilot.pause()
        assert [history.render_line(y).cell_length for y in range(5)] == [19] * 5
        assert history.render_line(3).text == "     " + FULL * 4 + " " * 10
        # At 26 cells the figures are back, over the 20 samples of a 10-cell graph: all idle.
        await pilot.resize_terminal(26, 10)
        await pilot.pause()
        assert history.render_line(1).text.endswith(" avg   0.0%")
        # Two rows of graph (a quarter of the height, two at least) over the per-CPU history: the bottom
        # graph row is now row 1.
        history.per_cpu = True
        await pilot.pause()
        assert history.render_line(1).text.startswith("  0%")


async def test_graph_rows_follow_the_height_given_to_the_graph() -> None:
    history = LoadHistory()
    async with HeaderApp(history).run_test(size=(30, 10)) as pilot:
        percents = [float(n * 37 % 101) for n in range(40)]
        for percent in percents:
            history.push(total_only(percent, cpus=1))
        await pilot.pause()
        # Five rows of graph, then two over the per-CPU history, then five again.
        for per_cpu, rows in ((False, 5), (True, 2), (False, 5)):
            history.per_cpu = per_cpu
            await pilot.pause()
            graph = [history.render_line(y).text[5:-11] for y in range(rows)]
            assert graph == braille_graph(percents[-28:], 14, rows)


async def test_figures_redrawn_while_frozen_leave_out_the_samples_dropped_since() -> None:
    history = LoadHistory(maxlen=10)
    async with HeaderApp(history).run_test(size=(60, 10)) as pilot:
        for percent in (0.0,) * 5 + (100.0,) * 5:
            history.push(total_only(percent))
        await pilot.pause()
        assert history.render_line(1).text.endswith(" avg  50.0%")
        history.frozen = True
        for _ in range(3):
            history.push(total_only(100.0))
        history.refresh()  # as a theme change would
        await pilot.pause()
        # Of the ten samples kept, three came while frozen; the three they pushed out were idle.
        assert history.render_line(0).text.endswith(" now 100.0%")
        assert history.render_line(1).text.endswith(" avg  71.4%")


async def test_idle_and_saturated_series() -> None:
    for percent, cell in ((0.0, " "), (100.0, FULL)):
        history = LoadHistory()
        async with HeaderApp(history).run_test(size=(60, 10)) as pilot:
            for _ in range(200):
                history.push(total_only(percent))
            await pilot.pause()
            rows = [history.render_line(y).text[5:-11] for y in range(5)]
            assert rows == [cell * 44] * 5
            high = history.get_component_rich_style("load-history--high")
            low = history.get_component_rich_style("load-history--low")
            if percent:
                # Top rows draw in the high band, bottom rows in the low band.
                assert any(s.style == high for s in history.render_line(0) if s.text == FULL * 44)
                assert any(s.style == low for s in history.render_line(4) if s.text == FULL * 44)


async def test_per_cpu_rows() -> None:
    history = LoadHistory()
    async with HeaderApp(history).run_test(size=(80, 10)) as pilot:
        for _ in range(5):
            history.push(
                cpu_snapshot((usage(0, user=100.0), usage(1), offline(2)), total=usage(-1, user=33.0))
            )
        await pilot.pause()
        assert "█" not in "".join(history.render_line(y).text for y in range(5))
        history.per_cpu = True
        await pilot.pause()
        lines = [history.render_line(y).text for y in range(5)]
        # The graph keeps two rows, a quarter of the height at least; three CPUs take a sparkline each
        # below it, 80 cells less the number and the figure wide, moving four cells at a time as the graph:
        # five samples, then three blank cells.
        assert lines[0].startswith("100%") and lines[1].startswith("  0%")
        assert lines[2] == "  0 " + " " * 63 + "█████" + " " * 3 + " 100%"
        assert lines[3] == "  1 " + " " * 71 + "   0%"
        assert lines[4] == "  2 " + " " * 71 + "   - "


def test_per_cpu_layout_gives_the_cpus_the_room() -> None:
    # 200x50's CPU pane: 44 lines. The total graph takes a quarter, 8 at most; the CPUs the rest.
    # Two CPUs: one column of graphs 17 lines high, each with a blank line under it.
    assert per_cpu_layout(2, 200, 44, 3) == CpuHistoryLayout(8, 1, 2, 17, 191, 2)
    # Sixteen: two columns of eight, 3 lines each, 90 cells (three minutes of samples).
    assert per_cpu_layout(16, 200, 44, 3) == CpuHistoryLayout(8, 2, 8, 3, 90, 16)
    # Sixty-four: graphs of two lines would be 15 cells wide; sparklines in two columns are 90.
    assert per_cpu_layout(64, 200, 44, 3) == CpuHistoryLayout(8, 2, 32, 1, 90, 64)
    # 256: eight columns of 32 sparklines, 15 cells each.
    assert per_cpu_layout(256, 200, 44, 3) == CpuHistoryLayout(8, 8, 32, 1, 15, 256)
    # The total graph gives up rows for the CPUs' sparklines to fit, down to two.
    assert per_cpu_layout(64, 80, 36, 3) == CpuHistoryLayout(4, 2, 32, 1, 30, 64)
    # Too many for the space: as many columns as fit, the last line for the note.
    assert per_cpu_layout(256, 80, 18, 3) == CpuHistoryLayout(2, 4, 15, 1, 10, 60)
    assert per_cpu_layout(0, 80, 18, 3) == CpuHistoryLayout(18)
    assert per_cpu_layout(4, 10, 18, 3) == CpuHistoryLayout(18)  # no room for a sparkline at all


async def test_per_cpu_graphs_of_several_lines() -> None:
    history = LoadHistory(per_cpu=True)
    history.styles.height = 20
    percents = [float(n * 37 % 101) for n in range(50)]
    async with HeaderApp(history).run_test(size=(60, 30)) as pilot:
        for percent in percents:
            history.push(cpu_snapshot((usage(0, user=percent), usage(1, user=100.0 - percent))))
        await pilot.pause()
        layout = history.layout(60, 20)
        assert layout == CpuHistoryLayout(5, 1, 2, 6, 51, 2)
        lines = [history.render_line(y).text for y in range(20)]
        # Each CPU: its number and newest figure on its first line, a braille graph of its samples six
        # lines high between them, then a blank line.
        for cpu, first in ((0, 5), (1, 12)):
            samples = [p if cpu == 0 else 100.0 - p for p in percents] + [None] * (-50 % (2 * MOVE_CELLS))
            rows = braille_graph(samples[-102:], 51, 6)
            assert lines[first] == f"  {cpu} " + rows[0] + f"{samples[49]:4.0f}%"
            assert lines[first + 1 : first + 6] == ["    " + row + " " * 5 for row in rows[1:]]
            assert lines[first + 6] == " " * 60
        # Rows of a graph are coloured by the load they stand for, as the total graph's.
        top, bottom = history.render_line(5), history.render_line(10)
        high = history.get_component_rich_style("load-history--high")
        low = history.get_component_rich_style("load-history--low")
        assert any(s.style == high for s in top if s.text.strip() and s.text[0] in lines[5][4:55])
        assert any(s.style == low for s in bottom if s.text.strip() and s.text[0] in lines[10][4:55])


async def test_per_cpu_histories_that_do_not_fit_are_counted_on_the_last_line() -> None:
    history = LoadHistory(per_cpu=True)
    async with HeaderApp(history).run_test(size=(40, 10)) as pilot:
        history.push(cpu_snapshot(tuple(usage(i, user=50.0) for i in range(40))))
        await pilot.pause()
        # Five lines: two of graph, two of sparklines in two columns (four CPUs), the note.
        lines = [history.render_line(y).text for y in range(5)]
        assert lines[2].split() == ["0", "▄", "50%", "2", "▄", "50%"]
        assert lines[3].split() == ["1", "▄", "50%", "3", "▄", "50%"]
        assert lines[4].startswith("+36 CPUs not shown (terminal too small;")


async def test_cpu_missing_from_a_sample_gets_a_gap() -> None:
    history = LoadHistory()
    async with HeaderApp(history).run_test(size=(40, 10)):
        history.push(cpu_snapshot((usage(0, user=10.0), usage(1, user=20.0))))
        history.push(cpu_snapshot((usage(0, user=30.0),)))
        assert history.cpus == (0, 1)
        assert history.cpu_history(0) == (10.0, 30.0)
        assert history.cpu_history(1) == (20.0, None)
        assert history.total_history == (None, None)
        assert history.cpu_history(7) == ()


# --- Summary ------------------------------------------------------------------------------------------


def snapshot(cpu: CpuSnapshot, uptime: float | None = 3 * 86400 + 4 * 3600 + 5 * 60 + 6) -> Snapshot:
    return Snapshot(
        time=1_700_000_000.0,
        interval=1.0,
        hostname="box",
        uptime_seconds=uptime,
        cpu=cpu,
        memory=memory(),
        tasks=tasks(),
        processes=(),
        numa=NumaSnapshot(nodes=(), distances=None, numa_balancing=None),
        disks=(),
        net=net_snapshot(None, NetReading(None, None, None, None, None), None),
    )


PRESSURE = {
    "cpu": Pressure(0.12, 100, None, None),
    "io": Pressure(0.0, 5, 0.0, 5),
    "memory": Pressure(1.5, 7, 0.25, 3),
}


async def test_summary_text() -> None:
    summary = SummaryLine()
    async with HeaderApp(summary).run_test(size=(80, 10)) as pilot:
        summary.update_snapshot(snapshot(cpu_snapshot((usage(0),), pressure=PRESSURE)))
        await pilot.pause()
        assert summary.text.splitlines() == [
            "Tasks: 45, 333 thr, 78 kthr; 2 running, 0 zombie",
            "Load average: 0.52 0.40 0.31",
            "Uptime: 3 days, 04:05:06",
            "ctxsw/s 1234  intr/s 567  forks/s 3  run 2 blk 0",
            "PSI some cpu 0.12 io 0.00 mem 1.50",
        ]
        assert summary.size.height == 5
        assert [line.rstrip() for line in shown_text(summary)] == summary.text.splitlines()
        running = summary.get_component_rich_style("summary-line--running")
        assert ("2", running) in styled_runs(summary.render_line(0))


async def test_summary_nulls_print_dashes() -> None:
    summary = SummaryLine()
    async with HeaderApp(summary).run_test(size=(80, 10)) as pilot:
        cpu = cpu_snapshot(
            (usage(0),),
            loadavg=None,
            context_switches_per_s=None,
            interrupts_per_s=None,
            forks_per_s=None,
            procs_running=None,
            procs_blocked=None,
            pressure={"cpu": Pressure(None, None, None, None)},
        )
        summary.update_snapshot(snapshot(cpu, uptime=None))
        await pilot.pause()
        assert summary.text.splitlines()[1:] == [
            "Load average: - - -",
            "Uptime: -",
            "ctxsw/s -  intr/s -  forks/s -  run - blk -",
            "PSI some cpu - io - mem -",
        ]
        # Without /proc/pressure there is no PSI line at all.
        summary.update_snapshot(snapshot(cpu_snapshot((usage(0),), pressure=None)))
        await pilot.pause()
        assert len(summary.text.splitlines()) == 4
        assert summary.size.height == 4


async def test_summary_wraps_between_items_when_narrow() -> None:
    summary = SummaryLine()
    async with HeaderApp(summary).run_test(size=(30, 20)) as pilot:
        summary.update_snapshot(snapshot(cpu_snapshot((usage(0),), pressure=PRESSURE)))
        await pilot.pause()
        lines = summary.text.splitlines()
        assert [line.rstrip() for line in shown_text(summary)] == lines
        assert lines[:3] == [
            "Tasks: 45, 333 thr, 78 kthr;",
            "       2 running, 0 zombie",
            "Load average: 0.52 0.40 0.31",
        ]
        assert all(len(line) <= 30 for line in lines)
        assert summary.size.height == len(lines) == 8


async def test_zombies_are_highlighted() -> None:
    summary = SummaryLine()
    async with HeaderApp(summary).run_test(size=(80, 10)) as pilot:
        snap = dataclasses.replace(
            snapshot(cpu_snapshot((usage(0),))), tasks=dataclasses.replace(tasks(), zombie=3)
        )
        summary.update_snapshot(snap)
        await pilot.pause()
        zombie = summary.get_component_rich_style("summary-line--zombie")
        assert ("3", zombie) in styled_runs(summary.render_line(0))


async def test_summary_redraws_the_lines_whose_figures_changed_and_keeps_the_others() -> None:
    summary = SummaryLine()
    async with HeaderApp(summary).run_test(size=(80, 10)) as pilot:
        summary.update_snapshot(snapshot(cpu_snapshot((usage(0),))))
        await pilot.pause()
        before = [summary.render_line(y) for y in range(4)]
        summary.update_snapshot(snapshot(cpu_snapshot((usage(0),), loadavg=(1.0, 0.4, 0.31)), uptime=7.0))
        await pilot.pause()
        after = [summary.render_line(y) for y in range(4)]
        assert after[1].text.rstrip() == "Load average: 1.00 0.40 0.31"
        assert after[2].text.rstrip() == "Uptime: 00:00:07"
        # Lines drawn from the same pieces are the very same strips: the diff passes over them at once.
        assert after[0] is before[0] and after[3] is before[3]


async def test_summary_updated_before_it_is_mounted_shows_the_last_sample() -> None:
    # As pane 2's summary, which takes every sample but is mounted only when the pane is first shown.
    summary = SummaryLine()
    summary.update_snapshot(snapshot(cpu_snapshot((usage(0),))))
    assert "3 days," in summary.text.splitlines()  # at no width yet: one item a line
    summary.update_snapshot(snapshot(cpu_snapshot((usage(0),)), uptime=7.0))
    async with HeaderApp(summary).run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        assert shown_text(summary)[2].rstrip() == "Uptime: 00:00:07"


def test_wrap_row_keeps_chunks_whole() -> None:
    row = SummaryRow(((("aaaa", ""),), (("bb", ""), ("b", "value")), (("cccccc", ""),)), indent=2)
    assert [plain(line) for line in wrap_row(row, 9)] == ["aaaa bbb", "  cccccc"]
    assert [plain(line) for line in wrap_row(row, 100)] == ["aaaa bbb cccccc"]
    # A chunk too wide for the indent starts flush left; one wider than the line stays whole for cropping.
    assert [plain(line) for line in wrap_row(row, 6)] == ["aaaa", "  bbb", "cccccc"]
    assert [plain(line) for line in wrap_row(row, 3)] == ["aaaa", "bbb", "cccccc"]


def test_formatters() -> None:
    assert format_uptime(None) == ("-",)
    assert format_uptime(59.9) == ("00:00:59",)
    assert format_uptime(86400 + 3661) == ("1 day,", "01:01:01")
    assert format_uptime(3 * 86400 + 4 * 3600 + 5 * 60 + 6) == ("3 days,", "04:05:06")
    assert format_count(None) == "-"
    assert format_count(3.0) == "3"
    assert format_count(0.5) == "0.5"
    assert format_count(1234.4) == "1234"
    assert format_count(123_456.0) == "123k"
    assert format_count(2_345_678.0) == "2.3M"


async def test_every_widget_fills_its_width_at_any_terminal_size() -> None:
    meters, history, summary = CpuMeters(), LoadHistory(per_cpu=True), SummaryLine()
    async with HeaderApp(meters, history, summary).run_test(size=(80, 40)) as pilot:
        per_cpu = (
            usage(0, user=40.0),
            offline(1),
            no_baseline(2),
            *(usage(i, system=5.0) for i in range(3, 12)),
        )
        cpu = cpu_snapshot(per_cpu, total=usage(-1, user=20.0), pressure=PRESSURE)
        meters.update_snapshot(cpu, memory())
        summary.update_snapshot(snapshot(cpu))
        for _ in range(3):
            history.push(cpu)
        for width in (1, 4, 9, 15, 26, 33, 47, 120, 250):
            await pilot.resize_terminal(width, 40)
            await pilot.pause()
            for widget in (meters, history, summary):
                strips = [widget.render_line(y) for y in range(widget.size.height)]
                assert all(strip.cell_length == widget.size.width == width for strip in strips), (
                    widget,
                    width,
                )
                # The length the widget gives its strips is the one their text measures.
                assert all(cell_len(strip.text) == width for strip in strips), (widget, width)
