"""The tunables pane in a small test App, on values written in the tests: groups, cells, Enter."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from perftop.probes.tunables import CATALOGUE, TunableValue, device_tunables
from perftop.widgets.tunables_pane import (
    ABSENT,
    UNREADABLE,
    TunablesPane,
    grouped,
    tunable_cells,
    value_text,
)
from testbed.demo import DemoMachine
from tests.pane_app import PaneApp

BY_KEY = {t.key: t for t in CATALOGUE}


def value(
    key: str, text: str | None, present: bool = True, choices: tuple[str, ...] | None = None
) -> TunableValue:
    tunable = BY_KEY.get(key) or next(t for t in device_tunables(key.split()[0]) if t.key == key)
    return TunableValue(tunable, "/proc/sys/" + key.replace(".", "/"), text, present, choices)


VALUES = (
    value("net.ipv4.tcp_rmem", "4096 131072 6291456"),
    value("vm.swappiness", "60"),
    value("kernel.sched_autogroup_enabled", None, present=False),
    value("vm.dirty_ratio", None, present=True),
    value("sda queue/scheduler", "mq-deadline", choices=("none", "mq-deadline")),
)


def test_values_read_absent_or_unreadable() -> None:
    assert value_text(VALUES[1]) == "60"
    assert value_text(VALUES[2]) == ABSENT
    assert value_text(VALUES[3]) == UNREADABLE


def test_cells_hold_key_value_range_meaning_and_file() -> None:
    key, shown, range_, meaning, path = tunable_cells(VALUES[0])
    assert (key, shown, range_) == ("net.ipv4.tcp_rmem", "4096 131072 6291456", "min default max, each >= 1")
    assert meaning.startswith("TCP receive buffer") and path == "/proc/sys/net/ipv4/tcp_rmem"
    assert tunable_cells(VALUES[4])[2] == "none | mq-deadline"


def test_kernel_text_is_made_printable() -> None:
    hostile = TunableValue(BY_KEY["vm.swappiness"], "/tmp/\x1b[31mred", "6\x070", True)
    cells = tunable_cells(hostile)
    assert not any("\x1b" in c or "\x07" in c for c in cells)


def test_groups_come_in_the_panes_order() -> None:
    assert [g for g, _ in grouped(VALUES)] == ["memory", "kernel", "network", "block"]
    assert [v.key for v in grouped(VALUES)[0][1]] == ["vm.swappiness", "vm.dirty_ratio"]


def rows_of(pane: TunablesPane) -> list[str]:
    return [str(r.key.value) for r in pane.table.ordered_rows]


async def test_rows_are_grouped_under_title_rows_and_enter_asks_to_edit() -> None:
    asked: list[TunableValue] = []

    class Catching(PaneApp):
        def on_tunables_pane_edit_requested(self, message: TunablesPane.EditRequested) -> None:
            asked.append(message.current)

    pane = TunablesPane()
    app: App[None] = Catching(pane)
    async with app.run_test(size=(120, 30)) as pilot:
        pane.show_tunables(VALUES)
        await pilot.pause()
        assert rows_of(pane) == [
            "group:memory",
            "vm.swappiness",
            "vm.dirty_ratio",
            "group:kernel",
            "kernel.sched_autogroup_enabled",
            "group:network",
            "net.ipv4.tcp_rmem",
            "group:block",
            "sda queue/scheduler",
        ]
        # The cursor starts on the first tunable, not on a title.
        assert pane.selected is not None and pane.selected.key == "vm.swappiness"
        pane.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert [v.key for v in asked] == ["vm.dirty_ratio"]
        assert "absent" in pane.table.get_row("kernel.sched_autogroup_enabled")[1].plain
        # A title row edits nothing.
        await pilot.press("down", "enter")
        await pilot.pause()
        assert pane.selected is None and len(asked) == 1
        caption = str(pane.query_one("#tunables-caption").render())
        assert caption.startswith("3 tunables, 1 absent, 1 unreadable. Enter changes the selected one")


async def test_a_new_value_rewrites_its_cell_and_a_new_device_keeps_the_cursor() -> None:
    pane = TunablesPane()
    async with PaneApp(pane).run_test(size=(120, 30)) as pilot:
        pane.show_tunables(VALUES)
        await pilot.pause()
        pane.select("net.ipv4.tcp_rmem")
        changed = (VALUES[0], value("vm.swappiness", "10"), *VALUES[2:])
        pane.show_tunables(changed)
        await pilot.pause()
        assert pane.table.get_row("vm.swappiness")[1].plain == "10"
        assert pane.selected is not None and pane.selected.key == "net.ipv4.tcp_rmem"
        more = (*changed, value("sdb queue/scheduler", "none", choices=("none",)))
        pane.show_tunables(more)
        await pilot.pause()
        assert rows_of(pane)[-1] == "sdb queue/scheduler"
        assert pane.selected is not None and pane.selected.key == "net.ipv4.tcp_rmem"


async def test_a_foreign_root_shows_the_tunables_and_refuses_to_change_them(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    swappiness = tmp_path / "proc" / "sys" / "vm" / "swappiness"
    async with app.run_test(size=(80, 24)) as pilot:
        await machine.drive(app, 1)
        await pilot.press("8")
        await app.workers.wait_for_complete()
        await pilot.pause()
        pane = app.query_one(TunablesPane)
        assert pane.selected is not None and pane.selected.key == "vm.swappiness"
        assert pane.selected.path == str(swappiness)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.screen_stack) == 1
        assert any("read-only" in str(n.message) for n in app._notifications)
        # e on the IO pane too.
        await pilot.press("4", "e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.screen_stack) == 1
    assert swappiness.read_text() == "60\n"
