"""The interrupts pane: the heat table's layout at 2 and 256 CPUs, its keys, the App's sampling of it,
and ``a`` on an IRQ row (the affinity dialog; a real change as root, restored after)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from textual.widgets import Input

from perftop.probes.cpulist import format_cpu_list, parse_cpu_list
from perftop.probes.fs import FS, read_text
from perftop.probes.interrupts import parse_interrupts
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import InterruptsSnapshot, IrqStats, SoftirqStats
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.dialogs import AffinityDialog
from perftop.tui.tuning import online_cpus
from perftop.widgets.interrupts_pane import (
    InterruptsPane,
    View,
    auto_group_size,
    cpu_groups,
    group_label,
    group_rates,
    heat_role,
    pane_lines,
)
from perftop.widgets.summary import plain
from testbed.demo import DemoMachine
from tests.pane_app import PaneApp, line_starting, screen_lines


def irq(
    number: str, rates: tuple[float | None, ...] | None, name: str = "dev", total: float | None = None
) -> IrqStats:
    known = rates is not None and all(r is not None for r in rates)
    total_rate = total if total is not None else (sum(r or 0.0 for r in rates or ()) if known else None)
    return IrqStats(
        irq=number,
        name=name,
        chip="PCI-MSI",
        counts=None if rates is None else tuple(0 for _ in rates),
        counts_per_s=rates,
        total=0,
        total_per_s=total_rate,
        smp_affinity_list=(0, 1),
        effective_affinity_list=(1,),
    )


def section(cpus: int, irqs: tuple[IrqStats, ...]) -> InterruptsSnapshot:
    soft = SoftirqStats(
        "NET_RX", (0,) * cpus, tuple(float(c) for c in range(cpus)), 0, float(sum(range(cpus)))
    )
    return InterruptsSnapshot(tuple(range(cpus)), irqs, tuple(range(cpus)), (soft,))


def test_groups_fit_the_width() -> None:
    assert cpu_groups([0, 1, 2, 3, 4], 2) == [(0, 1), (2, 3), (4,)]
    assert auto_group_size(2, 36) == 1
    assert auto_group_size(256, 36) == 64  # 80 columns: four columns of 64 CPUs
    assert auto_group_size(256, 156) == 16  # 200 columns
    assert auto_group_size(16, 36) == 4
    assert group_label((3,)) == "CPU3" and group_label(tuple(range(64, 128))) == "64-127"
    assert group_rates([1.0, 2.0, None, 4.0], [0, 1, 2, 3], [(0, 1), (2, 3), (4,)]) == [3.0, None, None]


def test_heat_by_decades_of_the_busiest_cell() -> None:
    assert [heat_role(v, 1000.0) for v in (None, 0.0, 1.0, 10.0, 100.0, 500.0)] == [
        "dim",
        "dim",
        "heat1",
        "heat2",
        "heat3",
        "heat4",
    ]


def test_two_cpus_one_a_column_with_names_affinity_and_softirqs() -> None:
    lines = [
        plain(line) for line in pane_lines(section(2, (irq("24", (2500.0, 0.0), "eth0-TxRx-0"),)), View(), 80)
    ]
    assert lines[0].startswith("INTERRUPTS 1 sources 2500/s on 2 CPUs, one a column")
    assert lines[1].split() == ["IRQ", "NAME", "SMP", "EFF", "TOTAL/s", "CPU0", "CPU1"]
    assert lines[2].split() == ["24", "eth0-TxRx-0", "0-1", "1", "2500", "2500", "·"]
    assert line_starting(lines, "SOFTIRQ").split()[-2:] == ["CPU0", "CPU1"]
    assert line_starting(lines, "NET_RX").split() == ["NET_RX", "1", "·", "1"]
    assert all(len(line) <= 80 for line in lines)


def test_256_cpus_are_summed_in_columns_that_fit_and_scroll_sideways() -> None:
    rates = tuple(float(c) for c in range(256))
    data = section(256, (irq("LOC", rates, "Local timer interrupts"), irq("ERR", None, "", total=0.0)))
    lines = [plain(line) for line in pane_lines(data, View(), 80)]
    assert "on 256 CPUs, 64 a column" in lines[0]
    assert lines[1].split()[-4:] == ["0-63", "64-127", "128-191", "192-255"]
    loc = line_starting([line.strip() for line in lines], "LOC").split()
    assert loc[-4:] == ["2016", "6112", "10208", "14304"]  # each column the sum of its 64 CPUs
    assert line_starting([line.strip() for line in lines], "ERR").split() == ["ERR", "0-1", "1", "·"]
    # One CPU a column: 4 fit, scrolled to the 9th.
    lines = [plain(line) for line in pane_lines(data, View(group_size=1, first_column=8), 80)]
    assert "one a column; columns 9-12 of 256 ← →" in lines[0]
    assert lines[1].split()[-4:] == [f"CPU{c}" for c in range(8, 12)]
    assert all(len(line) <= 80 for line in lines)


async def test_keys_select_irqs_group_and_scroll_columns() -> None:
    pane = InterruptsPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        rates = tuple(float(c) for c in range(16))
        pane.update_snapshot(
            section(16, (irq("LOC", rates), irq("24", (1.0,) * 16), irq("[b]x\x1b", (0.0,) * 16)))
        )
        pane.focus()
        await pilot.pause()
        assert pane.view.selected is None and pane.selected_irq().irq == "LOC"  # type: ignore[union-attr]
        await pilot.press("down")
        assert pane.selected_irq() is not None and pane.selected_irq().irq == "24"  # type: ignore[union-attr]
        await pilot.press("end")
        assert pane.view.selected == "[b]x\x1b"
        shown = screen_lines(pane)
        assert line_starting([s.strip() for s in shown], "[b]x?")  # literal, its control character a ?
        assert "4 a column" in shown[0]  # 16 CPUs in 4 columns of 8 cells
        assert pane.group(-1) == "2 CPUs a column."
        assert pane.group(-1) == "One CPU a column."
        assert pane.group(-1) == "One CPU a column."
        await pilot.pause()
        assert screen_lines(pane)[1].split()[5] == "CPU0"
        await pilot.press("right")  # half the 4 columns in view
        assert pane.view.first_column == 2
        assert screen_lines(pane)[1].split()[5] == "CPU2"
        await pilot.press("left")
        assert pane.view.first_column == 0
        assert pane.group(1) == "2 CPUs a column."
        assert pane.group(1) == "4 CPUs a column."
        assert pane.group(1) == "8 CPUs a column."
        assert pane.group(1) == "16 CPUs a column."
        assert pane.group(1) == "16 CPUs a column."  # all in one


@pytest.mark.slow
async def test_the_app_samples_interrupts_only_while_the_pane_is_shown(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 2)
        assert app.snapshot is not None and app.snapshot.interrupts is None
        await pilot.press("7")
        assert app.pane == 7
        await machine.drive(app, 2)
        assert app.snapshot.interrupts is not None
        pane = app.query_one("#pane-interrupts", InterruptsPane)
        lines = screen_lines(pane)
        assert lines[0].startswith("INTERRUPTS") and "one a column" in lines[0]
        assert lines[2].split()[1] == "eth0-TxRx-0"  # the busiest first
        assert pane.nodes == ((0, (0, 1)), (1, (2, 3)))
        await pilot.press("G")
        assert any(n.message == "One CPU a column." for n in app._notifications)
        await pilot.press("a")  # a fixture tree is not this machine's: no IRQ is perftop's to move
        assert not isinstance(app.screen, AffinityDialog)
        assert any("read-only" in n.message for n in app._notifications)
        await pilot.press("1")
        await machine.drive(app, 1)
        assert app.snapshot.interrupts is None  # hidden: not read


def _movable_irq() -> str | None:
    parsed = parse_interrupts(read_text("/proc/interrupts") or "")
    online = online_cpus() or frozenset()
    for row in sorted((r for r in parsed.rows if r.numbered), key=lambda r: r.total) if parsed else ():
        path = f"/proc/irq/{row.irq}/smp_affinity_list"
        try:
            writable = os.stat(path).st_mode & stat.S_IWUSR
        except OSError:
            continue
        if writable and len(parse_cpu_list(Path(path).read_text()) & online) >= 2:
            return row.irq
    return None


@pytest.mark.machine  # moves an IRQ
@pytest.mark.live
@pytest.mark.slow
async def test_a_on_an_irq_row_opens_the_cpu_dialog_refuses_an_offline_cpu_and_writes() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to change an IRQ's affinity")
    number = _movable_irq()
    if number is None:
        pytest.skip("no IRQ here whose affinity may change and spans two CPUs")
    path = Path(f"/proc/irq/{number}/smp_affinity_list")
    before = path.read_text()
    online = online_cpus() or frozenset()
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False))
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await app.sample_now()
            await pilot.press("a")  # on the overview: the process's affinity (its dialog has the threads box)
            await pilot.pause(0.3)
            assert isinstance(app.screen, AffinityDialog) and app.screen.query("#all-threads")
            await pilot.press("escape")
            await pilot.pause(0.2)
            await pilot.press("7")
            await app.sample_now()
            pane = app.query_one("#pane-interrupts", InterruptsPane)
            keys = [i.irq for i in pane.interrupts.irqs or ()]  # type: ignore[union-attr]
            await pilot.press(*["down"] * keys.index(number))
            assert pane.view.selected == number
            await pilot.press("a")
            await pilot.pause(0.3)
            dialog = app.screen
            assert isinstance(dialog, AffinityDialog) and not dialog.query("#all-threads")
            field = dialog.query_one("#cpus", Input)
            field.value = str(max(online) + 1)  # an offline (absent) CPU: refused in the dialog
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is dialog and f"CPU {max(online) + 1} is not online" in dialog.error
            assert path.read_text() == before
            target = min(online)
            field.value = str(target)
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert parse_cpu_list(path.read_text()) == {target}
            record = app.action_log[-1]
            assert record.ok and record.command == f"echo {target} > /proc/irq/{number}/smp_affinity_list"
            await app.sample_now()  # the pane shows the new affinity at once, not after its cache's 5 s
            shown = pane.selected_irq()
            assert shown is not None and shown.irq == number and shown.smp_affinity_list == (target,)
    finally:
        path.write_text(format_cpu_list(parse_cpu_list(before)) + "\n")
    assert path.read_text() == before


async def test_the_titles_stay_while_the_rows_scroll_under_them() -> None:
    pane = InterruptsPane()
    async with PaneApp(pane).run_test(size=(80, 24)) as pilot:
        many = tuple(irq(str(n), (float(100 - n), 0.0)) for n in range(60))
        pane.update_snapshot(section(2, many))
        pane.focus()
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        shown = screen_lines(pane)
        assert shown[0].startswith("INTERRUPTS 60 sources")
        assert shown[1].split()[:2] == ["IRQ", "NAME"]
        assert any(line.split()[:1] == ["59"] for line in shown[2:])  # the last row, selected, in view
        assert not any(line.split()[:1] == ["0"] for line in shown[2:])
        await pilot.press("home")
        await pilot.pause()
        shown = screen_lines(pane)
        assert shown[2].split()[0] == "0" and pane.view.selected == "0"
        await pilot.press("pagedown")
        await pilot.pause()
        index = int(pane.view.selected or 0)
        assert index == 22  # the 22 rows under the titles at 24 lines
        assert any(line.split()[:1] == [str(index)] for line in screen_lines(pane)[2:])


@pytest.mark.machine  # reads the IRQ affinities
@pytest.mark.live
async def test_read_only_refuses_the_irq_affinity_key() -> None:
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, read_only=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        await pilot.press("7")
        await app.sample_now()
        pane = app.query_one("#pane-interrupts", InterruptsPane)
        assert pane.selected_irq() is not None
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, AffinityDialog)
        assert any("--read-only" in n.message for n in app._notifications)
