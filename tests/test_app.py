"""The App driven as a user drives it (Pilot), on a deterministic fixture machine."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input

from perftop.probes.snapshot import Snapshot
from perftop.tui import crash
from perftop.tui.app import LOW_BANDWIDTH_SORT_EVERY, AppOptions, PerftopApp
from perftop.tui.bindings import APP_KEYS, LOG_KEYS, TABLE_KEYS
from perftop.tui.detail_screen import DetailScreen
from perftop.tui.panes import PANES
from perftop.tui.screens import HelpScreen, PickerScreen
from perftop.widgets import process_columns
from perftop.widgets.load_history import LoadHistory
from perftop.widgets.process_table import ProcessTable
from perftop.widgets.summary import SummaryLine
from testbed.demo import DemoMachine
from testbed.fixture_tree import FakeProcess


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[DemoMachine]:
    machine = DemoMachine(tmp_path)
    yield machine
    machine.close()


async def started(machine: DemoMachine, app: PerftopApp, pilot, ticks: int = 2) -> None:
    await machine.drive(app, ticks)
    await pilot.pause()


def pids(app: PerftopApp) -> list[int]:
    return [p.pid for p in app.table.rows()]


async def test_sort_keys_reorder_rows(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(160, 50)) as pilot:
        await started(machine, app, pilot)
        rows = app.table.rows
        cpu = [p.cpu_percent or 0 for p in rows()]
        assert cpu == sorted(cpu, reverse=True) and cpu[0] > cpu[-1]
        await pilot.press("M")
        mem = [p.mem_percent or 0 for p in rows()]
        assert mem == sorted(mem, reverse=True) and mem[0] > mem[-1]
        await pilot.press("T")
        times = [p.cpu_time_seconds or 0 for p in rows()]
        assert times == sorted(times, reverse=True)
        await pilot.press("I")
        assert [p.cpu_time_seconds or 0 for p in rows()] == sorted(times)
        await pilot.press("P")
        assert app.table.sort_key == "cpu"
        await pilot.press("greater_than_sign")
        assert app.table.sort_key == "mem"
        await pilot.press("less_than_sign", "less_than_sign")
        assert app.table.sort_key == "nice"
        nices = [p.nice for p in rows()]
        assert nices == sorted(nices, reverse=app.table.sort_reverse)


async def test_f6_picks_a_sort_column(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        await pilot.press("f6")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("home", "enter")  # the first column: PID
        assert not isinstance(app.screen, PickerScreen)
        assert app.table.sort_key == "pid"
        got = pids(app)
        assert got == sorted(got, reverse=app.table.sort_reverse)


async def test_header_click_sorts(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(160, 50)) as pilot:
        await started(machine, app, pilot)
        table = app.query_one(ProcessTable)
        await pilot.click(ProcessTable, offset=(2, 0))  # the PID header cell
        assert table.sort_key == "pid"
        assert "sort PID" in str(app.query_one("#status").render())


async def test_cursor_stays_on_the_same_process_across_refreshes(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        await pilot.press("down", "down", "down")
        chosen = app.table.selected_pid
        row = pids(app).index(chosen)
        # Two busy processes start: once they have a baseline they sort above the chosen one.
        machine.extra = [
            FakeProcess(4000 + i, f"burner{i}", utime_rate=400, start_time=machine.tick * 100)
            for i in range(2)
        ]
        for _ in range(3):
            await machine.drive(app, 1)
            await pilot.pause()
            assert app.table.selected_pid == chosen
        assert pids(app)[:2] == [4000, 4001] or pids(app)[:2] == [4001, 4000]
        assert pids(app).index(chosen) == row + 2
        assert app.table.cursor_row == row + 2


@pytest.mark.slow
async def test_search_jumps_to_matches(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        await pilot.press("slash", *"kworker")
        first = app.table.selected_pid
        proc = next(p for p in app.table.rows() if p.pid == first)
        assert "kworker" in proc.comm
        await pilot.press("f3")
        second = app.table.selected_pid
        assert second != first
        assert "kworker" in next(p for p in app.table.rows() if p.pid == second).comm
        await pilot.press("escape")
        assert app.focused is app.table
        assert len(app.table.rows()) == machine.processes  # search does not filter


@pytest.mark.slow
async def test_filter_filters_and_escape_clears(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        everyone = len(app.table.rows())
        await pilot.press("backslash", *"java")
        rows = app.table.rows()
        assert 0 < len(rows) < everyone
        assert all("java" in (p.cmdline or p.comm) for p in rows)
        await pilot.press("enter")
        assert app.table.filter_text == "java"
        await machine.drive(app, 1)
        assert len(app.table.rows()) == len(rows)  # the filter survives a refresh
        await pilot.press("f4", "escape")
        assert app.table.filter_text == ""
        assert len(app.table.rows()) == everyone


def _taking_turns(machine: DemoMachine) -> tuple[int, int]:
    """Two processes, tidal-a and tidal-b, that take turns being the busiest: they swap the top two rows
    at every refresh."""
    first, second = 4100, 4101
    machine.extra = [
        FakeProcess(pid, f"tidal-{name}", cmdline=(f"tidal-{name}",), start_time=100 * pid, utime_rate=1)
        for pid, name in ((first, "a"), (second, "b"))
    ]
    sample = machine.sampler.sample

    def swapping(*args: object, **kwargs: object) -> Snapshot:
        snapshot = sample(*args, **kwargs)  # type: ignore[arg-type]
        busy = first + machine.tick % 2
        procs = tuple(
            replace(p, cpu_percent=990.0 if p.pid == busy else 980.0) if p.pid in (first, second) else p
            for p in snapshot.processes
        )
        return replace(snapshot, processes=procs)

    machine.sampler.sample = swapping  # type: ignore[method-assign]
    return first, second


async def _keeps_choosing(machine: DemoMachine, app: PerftopApp, pilot, chosen: int) -> None:
    """Through refreshes that swap the two, the cursor and every tuning key stay on ``chosen``."""
    lines = set()
    for _ in range(4):
        await machine.drive(app, 1)
        await pilot.pause()
        lines.add(app.table.cursor_row)
        assert app.table.selected_pid == chosen
        assert app._selected() is not None and app._selected().pid == chosen  # what a tuning key acts on
    assert lines == {0, 1}  # it did swap places


@pytest.mark.slow
async def test_a_search_that_finds_the_process_under_the_cursor_chooses_it(machine: DemoMachine) -> None:
    _taking_turns(machine)
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        assert app.table.cursor_row == 0  # nothing chosen yet: the cursor keeps its line
        on_line = app._selected()
        assert on_line is not None and on_line.comm.startswith("tidal-")
        await pilot.press("slash")
        await pilot.press(*on_line.comm, "enter")
        assert app.table.selected_pid == on_line.pid
        await _keeps_choosing(machine, app, pilot, on_line.pid)


@pytest.mark.slow
async def test_a_kept_filter_chooses_the_process_under_the_cursor(machine: DemoMachine) -> None:
    _taking_turns(machine)
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        await pilot.press("backslash")
        await pilot.press(*"tidal", "enter")
        assert {p.comm for p in app.table.rows()} == {"tidal-a", "tidal-b"}
        chosen = app.table.selected_pid
        assert chosen is not None
        await _keeps_choosing(machine, app, pilot, chosen)


@pytest.mark.slow
async def test_user_picker_and_kernel_thread_toggle(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        everyone = app.table.rows()
        assert any(p.kernel_thread for p in everyone)
        await pilot.press("K")
        assert app.table.rows() and not any(p.kernel_thread for p in app.table.rows())
        await pilot.press("K")
        assert len(app.table.rows()) == len(everyone)
        await pilot.press("u")
        assert isinstance(app.screen, PickerScreen)
        users = sorted({p.user for p in everyone if p.user})
        # Choices: "all users", then users in order: pick the last one.
        await pilot.press("end", "enter")
        assert app.table.user_filter == users[-1]
        assert {p.user for p in app.table.rows()} == {users[-1]}
        await pilot.press("u", "home", "enter")
        assert app.table.user_filter is None
        assert len(app.table.rows()) == len(everyone)


async def test_freeze_keeps_the_display_but_not_the_history(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        await pilot.press("Z")
        shown = app.table.rows()
        history = app.query_one("#history", LoadHistory)
        before = len(history.total_history)
        await machine.drive(app, 3)
        assert app.table.rows() == shown
        assert len(history.total_history) == before + 3
        assert "FROZEN" in str(app.query_one("#status").render())
        await pilot.press("Z")
        assert app.table.rows() != shown


@pytest.mark.slow
async def test_freeze_holds_the_graph_even_when_it_is_redrawn(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot, ticks=4)
        history = app.query_one("#history", LoadHistory)
        await pilot.press("Z")
        await pilot.pause()
        drawn = [history.render_line(y).text for y in range(history.size.height)]
        await machine.drive(app, 3)
        history.refresh()  # as a resize would
        await pilot.pause()
        assert [history.render_line(y).text for y in range(history.size.height)] == drawn
        await pilot.press("Z")
        await pilot.pause()
        assert [history.render_line(y).text for y in range(history.size.height)] != drawn


async def test_low_bandwidth_hides_the_overview_graph_and_gives_its_rows_to_the_table(
    machine: DemoMachine,
) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        history = app.query_one("#history", LoadHistory)
        rows_before = app.table.size.height
        assert history.display and history.size.height == 4
        await pilot.press("b")
        await pilot.pause()
        assert not history.is_on_screen
        assert app.table.size.height == rows_before + 4
        assert "low-bandwidth" in str(app.query_one("#status").render())
        assert app.table.order_hold == LOW_BANDWIDTH_SORT_EVERY
        await machine.drive(app, 2)  # the graph still records while hidden
        await pilot.press("b")
        await pilot.pause()
        assert history.is_on_screen and app.table.size.height == rows_before
        assert "low-bandwidth" not in str(app.query_one("#status").render())
        assert app.table.order_hold == 0


async def test_low_bandwidth_option_starts_in_that_mode(machine: DemoMachine) -> None:
    app = machine.app(low_bandwidth=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        assert not app.query_one("#history", LoadHistory).is_on_screen
        assert "low-bandwidth" in str(app.query_one("#status").render())


async def test_a_snapshot_given_at_start_is_the_first_frame(machine: DemoMachine) -> None:
    machine.sampler.sample(None)
    machine.advance()
    first = machine.sampler.sample(None)
    assert first.interval is not None
    app = PerftopApp(machine.sampler, AppOptions(autorefresh=False), first)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.snapshot is first
        assert {p.pid for p in app.table.rows()} == {p.pid for p in first.processes}
        assert any(p.cpu_percent for p in app.table.rows())


async def test_interval_steps(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test() as pilot:
        assert app.interval == 1.0
        await pilot.press("plus")
        assert app.interval == 2.0
        await pilot.press("plus", "plus", "plus", "plus")
        assert app.interval == 10.0
        for _ in range(7):
            await pilot.press("minus")
        assert app.interval == 0.25
        assert "0.25s" in str(app.query_one("#status").render())


@pytest.mark.slow
async def test_help_lists_every_binding(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text
        for key in APP_KEYS:
            assert key.shown in text and key.help in text
        for shown, help_text in (*TABLE_KEYS, *LOG_KEYS):
            assert shown in text and help_text in text
        assert "costs more" in text
        # Only perftop's keys, said as the README says them: no Textual binding names ("up Up").
        lines = [line.strip() for line in text.splitlines()]
        for binding in ProcessTable.BINDINGS:
            assert not any(line.startswith(f"{binding.key} ") for line in lines), binding.key
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


def test_the_help_says_every_key_of_the_table() -> None:
    """Each of the table's bindings is in a row of TABLE_KEYS, by the name the README gives it."""
    said = {"up": "↑", "down": "↓", "pageup": "PgUp", "pagedown": "PgDn", "left": "←", "right": "→"}
    shown = " ".join(keys for keys, _ in TABLE_KEYS).split()
    for binding in ProcessTable.BINDINGS:
        assert said.get(binding.key, binding.key.capitalize()) in shown, binding.key


async def test_no_two_bindings_share_a_key() -> None:
    # A pane's key that acts only while its pane is shown may be one of the App's keys elsewhere (the
    # interrupts pane's a); no two such keys of one pane share a key.
    shown_only = {f"pane_key({p.number},{i})" for p in PANES for i, k in enumerate(p.keys) if k.shown_only}
    keys = [k for binding in APP_KEYS if binding.action not in shown_only for k in binding.keys.split(",")]
    keys += [b.key for b in ProcessTable.BINDINGS]
    assert len(keys) == len(set(keys))
    for p in PANES:
        own = [k for key in p.keys for k in key.keys.split(",")]
        assert len(own) == len(set(own)), p.title


@pytest.mark.slow
async def test_panes_and_command_line(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        await pilot.press("2")
        assert app.query_one("#panes").current == "pane-cpu"
        cpu_history = app.query_one("#cpu-history", LoadHistory)
        await machine.drive(app, 1)
        assert cpu_history.total_history[-1] is not None
        for key, pane in (("3", "pane-numa"), ("4", "pane-io"), ("5", "pane-sockets")):
            await pilot.press(key)
            assert app.query_one("#panes").current == pane
            assert app.pane == int(key)
        await pilot.press("1", "enter")
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, DetailScreen)


async def test_pid_and_user_options(machine: DemoMachine) -> None:
    app = machine.app(pids=(1290, 1), user=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        assert sorted(pids(app)) == [1, 1290]
        assert app.table.selected_pid == 1290
    app = machine.app(user="root", sort="pid")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        assert {p.user for p in app.table.rows()} == {"root"}
        assert app.table.sort_key == "pid"


async def test_quit(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test() as pilot:
        await pilot.press("q")
    assert app.return_code == 0


def test_readme_documents_every_key() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    keys_section = readme.split("## Keys", 1)[1].split("\n## ", 1)[0]
    for key in APP_KEYS:
        for token in key.shown.split():
            assert token in keys_section, f"README's Keys section lacks {token!r} ({key.help})"


@pytest.mark.slow
async def test_status_is_read_for_rows_on_screen_unless_the_sort_needs_it(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path, processes=300)
    app = machine.app()
    async with app.run_test(size=(100, 24)) as pilot:
        await started(machine, app, pilot)
        table = app.table
        near = table.visible_pids(margin=10)
        assert 0 < len(near) < 100
        await machine.drive(app, 1)
        rows = {p.pid: p for p in table.rows()}
        assert all(rows[pid].affinity is not None for pid in table.visible_pids())
        far = [p for pid, p in rows.items() if pid not in table.visible_pids(margin=10)]
        idle_far = [p for p in far if p.cpu_percent == 0.0]
        assert idle_far and all(p.affinity is None and p.voluntary_ctxt_switches is None for p in idle_far)
        # Those that ran are read too: a sort by CPU% can bring them into view with this very sample.
        assert all(p.affinity is not None for p in far if p.cpu_percent)
        assert table.rows()[0].cpu_percent is not None  # stat is still read for everyone
        await pilot.press("f6")
        choices = [c.key for c in process_columns.COLUMNS]
        await pilot.press("home", *(["down"] * choices.index("affinity")), "enter")
        assert table.sort_key == "affinity" and table.needs_status_for_all()
        await machine.drive(app, 1)
        assert all(p.affinity is not None for p in table.rows())


@pytest.mark.slow
async def test_app_keys_do_not_act_behind_a_dialog(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        await pilot.press("f6")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("q", "plus", "K", "2")
        assert app.is_running and isinstance(app.screen, PickerScreen)
        assert app.interval == 1.0 and not app.table.hide_kernel_threads
        assert app.query_one("#panes").current == "pane-overview"
        await pilot.press("escape", "plus")
        assert app.interval == 2.0


@pytest.mark.slow
async def test_pane_2_and_the_boxes_are_mounted_on_first_use_and_work_from_the_first_key(
    machine: DemoMachine,
) -> None:
    # The first frame leaves them out (start-up time); the keys must work as soon as the App is up,
    # before any sample, and pane 2's history must hold the samples taken while it was not mounted.
    machine.sampler.sample(None)
    machine.advance()
    first = machine.sampler.sample(None)
    app = PerftopApp(machine.sampler, AppOptions(autorefresh=False), first)
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.query("#search") and not app.query("#filter") and not app.query("#pane-cpu")
        await pilot.press("2")
        assert app.pane == 2 and app.query_one("#pane-cpu").display
        assert not app.query_one("#pane-overview").display
        cpu_history = app.query_one("#cpu-history", LoadHistory)
        assert len(cpu_history.total_history) == 1  # the first frame's sample, pushed before the mount
        await pilot.pause()
        assert "Tasks" in app.query_one("#cpu-summary", SummaryLine).text
        await pilot.press("1", "slash")
        assert app.focused is app.query_one("#search", Input)
        await pilot.press(*"kworker")
        assert "kworker" in next(p for p in app.table.rows() if p.pid == app.table.selected_pid).comm
        await pilot.press("escape", "backslash", *"java", "enter")
        assert app.table.filter_text == "java"
        assert all("java" in (p.cmdline or p.comm) for p in app.table.rows())
        # Mounted once, above the status line as composed boxes were (the dock order draws them there).
        assert len(app.query(Input)) == 2
        children = list(app.screen.children)
        assert children.index(app.query_one("#search")) < children.index(app.query_one("#status"))
        await machine.drive(app, 2)
        assert len(cpu_history.total_history) == 3


async def test_keys_repeated_while_a_pane_or_box_is_mounting_mount_it_once(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        # Two requests in flight at once (a key repeated while the first mount is under way).
        await asyncio.gather(app.action_pane(2), app.action_pane(2), app.action_search(), app.action_search())
        await pilot.pause()
        assert app.pane == 2
        assert len(app.query("#pane-cpu")) == 1 and len(app.query("#search")) == 1
        assert app.focused is app.query_one("#search", Input)
        # A later pane key wins over an earlier one still mounting its pane.
        await asyncio.gather(app.action_pane(4), app.action_pane(3))
        await pilot.pause()
        assert app.pane == 3
        assert app.query_one("#pane-numa").display and not app.query_one("#pane-io").display
        await pilot.press("4")
        assert app.pane == 4 and app.query_one("#pane-io").display


@pytest.mark.live
def test_importing_the_app_leaves_out_what_the_first_frame_does_not_need() -> None:
    # Each is imported when first used (a key, a pane): before the first frame it was start-up time.
    later = (
        "textual.widgets._data_table",  # the IO pane's table (~6 ms)
        "perftop.tui.screens",  # help, pickers, the command line screen
        "perftop.tui.pane_details",  # the reads behind panes 3 and 5
        "perftop.tui.dialogs",  # the tuning dialogs
        "perftop.tui.tuning_flows",  # the tuning keys' flows, with perftop.tui.tuning and psutil
        "perftop.tui.action_records",
        "perftop.tui.tuning",
        "psutil",
    )
    code = f"import sys, perftop.tui.app; print(' '.join(m for m in {later!r} if m in sys.modules))"
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.split() == []


@pytest.mark.slow
async def test_an_error_while_sampling_ends_the_app_with_its_traceback(machine: DemoMachine) -> None:
    """The refresh timer's sample fails: the App exits with the error (as Textual does for its own
    timers), rather than going on showing a screen that no longer refreshes."""
    calls = 0
    sample = machine.sampler.sample

    def failing(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("the probe broke")
        machine.advance()
        return sample(*args, **kwargs)

    machine.sampler.sample = failing  # type: ignore[method-assign]
    app = PerftopApp(machine.sampler, AppOptions(interval=0.1, first_delay=0.1))
    app.error_console, printed = crash.capture_console()
    async with app.run_test(size=(100, 30)):
        for _ in range(100):
            await asyncio.sleep(0.05)
            if calls >= 3:
                break
        await asyncio.sleep(0.2)
        assert app._exit
    assert calls == 3 and app.return_code == 1
    app._print_error_renderables()  # as App.run does once the terminal is restored
    assert "RuntimeError: the probe broke" in printed.getvalue()
