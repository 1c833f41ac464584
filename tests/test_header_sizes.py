"""2 to 256 CPUs at several terminal sizes: on the overview the CPU meters never take the process table's
half of the screen, and every CPU is still shown; on the CPU pane the per-CPU histories get the room."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perftop.tui.app import PerftopApp
from perftop.widgets.cpu_meters import CpuMeters
from perftop.widgets.load_history import LoadHistory
from testbed.demo import DemoMachine

SIZES = [(80, 24), (100, 30), (120, 40), (160, 50), (200, 50), (250, 60)]


def cpus_shown(app: PerftopApp) -> list[int]:
    """The CPUs the meters show: the numbers on their bars, or those of each grid line's cells."""
    meters = app.query_one(CpuMeters)
    layout = meters.layout_for(meters.size.width)
    lines = [meters.render_line(y).text for y in range(layout.rows)]
    if not layout.per_cell:
        return sorted(int(number) for line in lines for number in re.findall(r"(\d+)\[", line))
    shown = []
    for line in lines:
        first, cells = int(line[:4]), line[4:].replace(" ", "")
        shown += range(first, first + len(cells) * layout.per_cell)
    return shown


@pytest.mark.slow
@pytest.mark.parametrize("cpus", [2, 16, 64, 256])
async def test_the_table_keeps_half_the_screen_and_every_cpu_is_shown(tmp_path: Path, cpus: int) -> None:
    machine = DemoMachine(tmp_path, cpus=cpus)
    app = machine.app()
    async with app.run_test(size=SIZES[0]) as pilot:
        await machine.drive(app, 1)
        for low_bandwidth in (False, True):
            for width, height in SIZES:
                await pilot.resize_terminal(width, height)
                await pilot.pause()
                where = (width, height, low_bandwidth)
                assert 2 * app.table.size.height >= height, where
                shown = cpus_shown(app)
                # A grid's last cell may hold one CPU of two: its other half counts past the last CPU.
                assert shown[:cpus] == list(range(cpus)) and len(shown) <= cpus + 1, where
            await pilot.press("b")


@pytest.mark.slow
@pytest.mark.parametrize("cpus", [2, 16, 64, 256])
async def test_the_cpu_pane_gives_the_per_cpu_histories_the_room(tmp_path: Path, cpus: int) -> None:
    machine = DemoMachine(tmp_path, cpus=cpus)
    app = machine.app()
    async with app.run_test(size=(200, 50)) as pilot:
        await machine.drive(app, 3)
        await pilot.press("2")
        await pilot.pause()
        history = app.query_one("#cpu-history", LoadHistory)
        lines = [history.render_line(y).text for y in range(history.size.height)]
        # The total graph (100% to 0%) takes a quarter of the height at most; each CPU's history below
        # starts with its number and ends its first line with its figure.
        graph_rows = next(y for y, line in enumerate(lines) if line.startswith("  0%")) + 1
        assert graph_rows <= history.size.height // 4
        numbers = [int(n) for line in lines[graph_rows:] for n in re.findall(r"(\d+) [^\d]*?\d+%", line)]
        assert sorted(numbers) == list(range(cpus))
        # Several lines each while the CPUs are few: from CPU 0's first line to CPU 1's.
        first = [y for y, line in enumerate(lines) if line.startswith(("  0 ", "  1 "))]
        assert first[1] - first[0] == {2: 18, 16: 4}.get(cpus, 1)
