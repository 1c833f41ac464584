"""The memory pane: its lines from snapshots built here, inside a small App, and inside perftop on the demo
machine (what is sampled while it is shown and hidden)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.widgets import ContentSwitcher

from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import MemorySnapshot
from perftop.widgets.memory_pane import (
    HISTORIES,
    SIDE_BY_SIDE_CELLS,
    MemoryPane,
    history_lines,
    pane_lines,
    swap_bar,
    usage_bar,
)
from perftop.widgets.summary import plain
from testbed.demo import DemoMachine
from testbed.fixture_tree import SteppingClock, make_tree, write_memory
from tests.pane_app import PaneApp, line_starting, screen_lines

GIB = 1024**3
MIB = 1024**2


def snapshots(tmp_path: Path, count: int) -> list:
    """``count`` snapshots of a tree one second apart, with every memory figure."""
    fs = make_tree(tmp_path, cpus=2, processes=3, tick=0)
    write_memory(tmp_path, tick=0)
    sampler = Sampler(fs, clock=SteppingClock())
    out = [sampler.sample(frozenset())]
    for tick in range(1, count):
        make_tree(tmp_path, cpus=2, processes=3, tick=tick)
        write_memory(tmp_path, tick=tick)
        out.append(sampler.sample(frozenset()))
    return out


def text(lines) -> str:
    return "\n".join(plain(line) for line in lines)


def test_bars_fill_their_cells() -> None:
    memory = MemorySnapshot(
        16 * GIB, 8 * GIB, 10 * GIB, 4 * GIB, 1 * GIB, 3 * GIB, 0, 4 * GIB, 3 * GIB, 1 * GIB
    )
    bar = plain(usage_bar(memory, 18))
    assert bar == "[" + "|" * 8 + " " * 8 + "]"  # 4+1+3 of 16 GiB in 16 cells
    roles = [role for _, role in usage_bar(memory, 18)]
    assert roles == ["bracket", "mem-used", "mem-buffers", "mem-cache", "shadow", "bracket"]
    assert plain(swap_bar(memory, 6)) == "[|   ]"
    unknown = MemorySnapshot(None, None, None, None, None, None, None, None, None, None)
    assert plain(usage_bar(unknown, 6)) == "[    ]" and plain(swap_bar(unknown, 6)) == "[    ]"


def test_lines_show_every_figure_and_unknowns_as_dashes(tmp_path: Path) -> None:
    snaps = snapshots(tmp_path, 3)
    lines = text(pane_lines(snaps[-1], {}, 80))
    for caption in (
        "used",
        "available",
        "slab",
        "reclaimable",
        "dirty",
        "writeback",
        "swap used",
        "huge pages",
    ):
        assert caption in lines
    assert "THP       enabled madvise  defrag madvise  in use 400M" in lines
    assert "OOM kills 0  since boot 1" in lines
    assert "PAGING per second" in lines and "HISTORY" in lines
    # Nothing read (the pane before any sample, or a tree without the files): dashes, never made up.
    bare = dataclasses.replace(snaps[-1], memory=MemorySnapshot(*[None] * 10))
    bare_text = text(pane_lines(bare, {}, 80))
    assert "faults      all -  major -" in bare_text and "dirty          -" in bare_text
    assert text(pane_lines(None, {}, 80)) == "waiting for the first memory sample"


def test_every_line_fits_80_cells_and_wide_panes_go_side_by_side(tmp_path: Path) -> None:
    snap = snapshots(tmp_path, 3)[-1]
    narrow = [plain(line) for line in pane_lines(snap, {}, 80)]
    assert all(len(line) <= 80 for line in narrow), max(narrow, key=len)
    wide = [plain(line) for line in pane_lines(snap, {}, SIDE_BY_SIDE_CELLS + 50)]
    assert len(wide) < len(narrow)
    assert wide[0].startswith("MEMORY") and "PAGING per second" in wide[0]


def test_history_lines_scale_each_to_its_peak_and_warn() -> None:
    histories = {h.key: [None, 0.0, 5.0, 20.0] for h in HISTORIES}
    lines = [plain(line) for line in history_lines(histories, 80, 1.0)]
    assert lines[0].startswith("HISTORY last")
    some = line_starting(lines, " PSI some avg10")
    assert some.endswith("20.00% peak 20.00%") and "█" in some and "·" in some
    roles = dict((t.strip(), r) for t, r in history_lines(histories, 80, 1.0)[1])
    assert roles["20.00%"] == "warn"  # memory PSI some from 10% up
    narrow = [plain(line) for line in history_lines(histories, 40, 1.0)]
    assert "█" not in "".join(narrow)  # no room for sparklines: figures only


async def test_pane_records_while_hidden_and_draws_when_shown(tmp_path: Path) -> None:
    snaps = snapshots(tmp_path, 5)
    pane = MemoryPane(id="pane-memory")
    app = PaneApp(pane, switcher=True)
    async with app.run_test(size=(80, 30)) as pilot:
        for snap in snaps:
            pane.record(snap)
        await pilot.pause()
        assert len(pane.history("majflt")) == 5 and pane.history("majflt")[0] is None
        assert pane.history("psi_some")[-1] == snaps[-1].cpu.pressure["memory"].some_avg10
        app.query_one(ContentSwitcher).current = "pane"
        await pilot.pause()
        lines = screen_lines(pane)
        assert lines[0].startswith("MEMORY total 16.0G")
        assert line_starting(lines, " dirty").split()[1] == "124K"


@pytest.mark.slow
async def test_the_app_reads_the_details_only_while_the_pane_is_shown(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await machine.drive(app, 2)
        assert app.snapshot is not None
        hidden = app.snapshot.memory
        assert hidden.dirty_bytes is None and hidden.pgfault is None  # pane hidden: not read
        assert hidden.pgmajfault_per_s is not None  # a history's counter: read all the same
        await pilot.press("6")
        await machine.drive(app, 2)
        shown = app.snapshot.memory
        assert shown.dirty_bytes is not None and shown.pgfault_per_s is not None
        pane = app.query_one("#pane-memory", MemoryPane)
        assert pane.display and len(pane.history("majflt")) == 5
        lines = screen_lines(pane)
        assert "faults      all 75000  major 50" in line_starting(lines, " faults")
        await pilot.press("1")
        await machine.drive(app, 1)
        assert app.snapshot.memory.dirty_bytes is None
        assert len(pane.history("majflt")) == 6


@pytest.mark.slow
async def test_oom_columns_in_the_app_for_a_real_child() -> None:
    import subprocess
    import sys

    from perftop.probes.fs import FS
    from perftop.tui.app import AppOptions, PerftopApp

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        Path(f"/proc/{child.pid}/oom_score_adj").write_text("300\n")
        app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(child.pid,)))
        async with app.run_test(size=(200, 30)) as pilot:
            await app.sample_now()
            assert app.table.needs_oom_pids() == set()
            row = next(p for p in app.table.rows() if p.pid == child.pid)
            assert row.oom_score_adj is None  # hidden: never read
            app.table.toggle_column("oom_adj")
            app.table.toggle_column("oom_score")
            assert child.pid in (app.table.needs_oom_pids() or ())
            await app.sample_now()
            await pilot.pause()
            row = next(p for p in app.table.rows() if p.pid == child.pid)
            assert row.oom_score_adj == 300 and row.oom_score is not None and row.oom_score >= 300
            header = app.table.render_line(0).text.split()
            assert "OOM_SCORE" in header and "OOM_ADJ" in header
            line = next(
                app.table.render_line(y).text
                for y in range(1, 10)
                if app.table.render_line(y).text.split()[:1] == [str(child.pid)]
            )
            assert " 300 " in line
            app.table.set_sort("oom_score")
            assert app.table.needs_oom_pids() is None  # sorted by it: every process
    finally:
        child.kill()
        child.wait()


def test_tall_panes_draw_graphs_and_wide_ones_pair_them() -> None:
    histories = {h.key: [float(i % 7) for i in range(200)] for h in HISTORIES}
    short = history_lines(histories, 80, 1.0, rows=1)
    assert len(short) == 1 + len(HISTORIES)
    tall = [plain(line) for line in history_lines(histories, 80, 1.0, rows=4)]
    assert len(tall) == 1 + 4 * len(HISTORIES)
    assert tall[0].startswith("HISTORY last 3 min")  # 78 cells of two samples each
    assert any(ch in tall[2] for ch in "⣿⣀⡇") and tall[1].startswith(" PSI some avg10")
    paired = [plain(line) for line in history_lines(histories, 200, 1.0, rows=4, columns=2)]
    assert len(paired) == 1 + 4 * 3
    assert "PSI full avg10" in paired[1] and paired[1].startswith(" PSI some avg10")
