"""Pixels: SVG snapshots of the main screen on the deterministic demo machine.

Accept a change only after looking at it: ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets.data_table import ColumnKey

from perftop.widgets.tunables_pane import TunablesPane
from testbed.demo import DemoMachine

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_main_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 30)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
@pytest.mark.parametrize("cpus", [2, 16, 64, 256])
def test_main_screen_cpu_meters(snap_compare, tmp_path: Path, cpus: int, size: tuple[int, int]) -> None:
    # Bars in 1, 2, 4 or 8 columns where they fit half the screen, else a grid of one CPU a cell, or two.
    machine = DemoMachine(tmp_path, cpus=cpus)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 10)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_cpu_pane(snap_compare, tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path, cpus=16)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 40)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


@pytest.mark.parametrize(
    ("cpus", "size"),
    [(2, (200, 50)), (16, (200, 50)), (64, (200, 50)), (256, (200, 50)), (256, (80, 24))],
    ids=["2-200x50", "16-200x50", "64-200x50", "256-200x50", "256-80x24"],
)
def test_cpu_pane_histories(snap_compare, tmp_path: Path, cpus: int, size: tuple[int, int]) -> None:
    # The CPUs get the room: graphs of several lines in one or two columns while they are few, sparklines
    # in up to eight columns when many; at 80x24, 256 CPUs do not fit and the last line says so.
    machine = DemoMachine(tmp_path, cpus=cpus)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 40)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("pane", ["3", "4", "5"])
def test_panes_at_80x24(snap_compare, tmp_path: Path, pane: str) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 20)
        await pilot.press(pane)
        await app.workers.wait_for_complete()
        await machine.drive(app, 1)  # a pane may read more once shown (socket tables)
        await app.refresh_pane_details(force=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_memory_pane(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 90)  # histories long enough to read
        await pilot.press("6")
        await machine.drive(app, 2)  # its details are read once shown; their rates a sample later
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_tunables_pane(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    # The File column holds the paths of the tree's files: a relative root keeps its width (and so the
    # horizontal scrollbar) the same whatever tmp_path is (the user, the run's number, the xdist worker).
    monkeypatch.chdir(tmp_path)
    machine = DemoMachine(Path("demo"))
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 5)
        await pilot.press("8")
        await app.workers.wait_for_complete()
        await app.refresh_pane_details(force=True)
        await pilot.pause()
        # The DataTable sizes its columns to their cells when it is next idle: on a loaded machine that can
        # come after one pause, and the picture then has every column at its header's width.
        table = app.query_one(TunablesPane).table
        for _ in range(100):
            if table.columns[ColumnKey("key")].content_width > len("Tunable"):
                break
            await pilot.pause(0.02)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_tree_view(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    # The tree (t) with kthreadd's children collapsed (+N) and the login shell's children tagged (c).
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 20)
        await pilot.press("t")
        app.table.select_pid(2)
        await pilot.press("x")
        app.table.select_pid(700)
        await pilot.press("c")
        app.table.select_pid(2250)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
def test_detail_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    # The java process of the demo runs in a Docker container whose CPU quota throttles it.
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 5)
        app.table.select_pid(1290)
        await pilot.press("enter")
        for _ in range(10):  # each sample is read again by the screen: run delay gets a history
            await app.workers.wait_for_complete()
            await machine.drive(app, 1)
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize(
    ("cpus", "size"),
    [(4, (80, 24)), (4, (200, 50)), (256, (80, 24)), (256, (200, 50))],
    ids=["4-80x24", "4-200x50", "256-80x24", "256-200x50"],
)
def test_interrupts_pane(snap_compare, tmp_path: Path, cpus: int, size: tuple[int, int]) -> None:
    # Busiest IRQs first; 256 CPUs summed in columns of consecutive CPUs that fit the width.
    machine = DemoMachine(tmp_path, cpus=cpus)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 2)
        await pilot.press("7")
        await machine.drive(app, 2)
        await pilot.press("down")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
@pytest.mark.parametrize("tree", [False, True], ids=["flat", "tree"])
def test_thread_view(snap_compare, tmp_path: Path, size: tuple[int, int], tree: bool) -> None:
    # H: the threads of jackd, pulseaudio, Web Content and java as green rows under their process, a
    # worker of Web Content selected; in the tree view as each process's first children.
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 5)
        if tree:
            await pilot.press("t")
        await pilot.press("H")
        await machine.drive(app, 2)
        app.table.select_pid(4_000_000 + 64 * 1024 + 2)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 40)], ids=["80x24", "160x40"])
def test_open_files_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    # l on the demo's java process: its files, a socket among them.
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 2)
        app.table.select_pid(1290)
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
