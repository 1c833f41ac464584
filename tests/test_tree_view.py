"""The tree view in the App: keys, mouse, search, tags, and real processes on this machine."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.app import AppOptions, PerftopApp
from perftop.widgets.process_table import ProcessTable
from testbed.demo import DemoMachine

#: The demo machine's login shell and its children (testbed/fixture_tree.py).
BASH = 700
BASH_CHILDREN = {2203, 2250, 2301, 2342}


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[DemoMachine]:
    machine = DemoMachine(tmp_path)
    yield machine
    machine.close()


async def started(machine: DemoMachine, app: PerftopApp, pilot, ticks: int = 2) -> None:
    await machine.drive(app, ticks)
    await pilot.pause()


def pids(table: ProcessTable) -> list[int]:
    return [p.pid for p in table.rows()]


def status(app: PerftopApp) -> str:
    return str(app.status_line.render())


def guide_of(table: ProcessTable, pid: int) -> str:
    """The guides the table draws before ``pid``'s command."""
    index = pids(table).index(pid)
    prefixes = table._state.prefixes
    assert prefixes is not None
    return prefixes[index]


async def test_t_and_f5_toggle_the_tree_and_the_selection_keeps_its_process(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        table = app.table
        table.select_pid(2250)
        flat = pids(table)
        await pilot.press("t")
        assert table.tree and "tree" in status(app)
        assert table.selected_pid == 2250
        tree = pids(table)
        assert sorted(tree) == sorted(flat) and tree != flat
        # Children right under their parent, in the sort's order (CPU%: stress-ng first).
        at = tree.index(BASH)
        children = tree[at + 1 : at + 1 + len(BASH_CHILDREN)]
        assert set(children) == BASH_CHILDREN and children[0] == 2203
        assert guide_of(table, 2203).endswith("├─ ") and guide_of(table, children[-1]).endswith("└─ ")
        await machine.drive(app, 1)  # a refresh keeps the tree and the selection
        assert table.tree and table.selected_pid == 2250
        await pilot.press("f5")
        assert not table.tree and "tree" not in status(app)
        assert table.selected_pid == 2250 and pids(table) == flat
        await pilot.press("1")  # another pane and back: still the same process
        await pilot.press("f5")
        assert table.selected_pid == 2250


async def test_collapse_and_expand_keep_the_selection(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        table = app.table
        await pilot.press("t")
        table.select_pid(BASH)
        count = len(pids(table))
        await pilot.press("x")
        assert table.selected_pid == BASH
        assert not BASH_CHILDREN & set(pids(table)) and len(pids(table)) == count - len(BASH_CHILDREN)
        assert guide_of(table, BASH).endswith(f"+{len(BASH_CHILDREN)} ")
        await machine.drive(app, 1)
        assert table.selected_pid == BASH and not BASH_CHILDREN & set(pids(table))
        await pilot.press("x")
        assert table.selected_pid == BASH and set(pids(table)) >= BASH_CHILDREN
        # A leaf has nothing to collapse: the rows stay, a notice says why.
        table.select_pid(2203)
        await pilot.press("x")
        assert len(pids(table)) == count and table.selected_pid == 2203
        # *: everything collapses to the roots, the selection to its root; * again expands all.
        await pilot.press("asterisk")
        assert pids(table) == sorted(pids(table), key=lambda pid: pid not in (1, 2)) and len(pids(table)) < 5
        assert table.selected_pid == 1
        await pilot.press("asterisk")
        assert len(pids(table)) == count and table.selected_pid == 1


async def test_x_outside_the_tree_changes_nothing(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        before = pids(app.table)
        await pilot.press("x", "asterisk")
        assert pids(app.table) == before and not app.table.collapsed


async def test_a_click_on_the_guides_collapses_and_expands(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(160, 50)) as pilot:
        await started(machine, app, pilot)
        table = app.table
        await pilot.press("t")
        # Bring bash to the top of the table's rows, so its line is on screen.
        table.select_pid(BASH)
        await pilot.pause()
        line = 1 + pids(table).index(BASH) - table.scroll_offset.y
        layout = table._get_layout()
        command = next(s for s in layout.spans if s.column.flexible)
        # A click on the command text selects, and leaves the tree as it was.
        guide = len(guide_of(table, BASH))
        await pilot.click(ProcessTable, offset=(command.x + guide + 2, line))
        assert set(pids(table)) >= BASH_CHILDREN
        await pilot.pause(0.6)  # not a double click
        await pilot.click(ProcessTable, offset=(command.x + guide - 2, line))
        assert table.selected_pid == BASH and not BASH_CHILDREN & set(pids(table))
        await pilot.pause(0.6)
        guide = len(guide_of(table, BASH))
        await pilot.click(ProcessTable, offset=(command.x + guide - 1, line))
        assert table.selected_pid == BASH and set(pids(table)) >= BASH_CHILDREN


async def test_search_and_filter_in_the_tree(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        table = app.table
        await pilot.press("t", "slash", *"stress")
        assert table.selected_pid == 2203
        await pilot.press("enter")
        # A filter keeps the matches only, each under its nearest matching ancestor.
        await pilot.press("backslash", *"bash")
        assert table.tree and BASH in pids(table)
        await pilot.press("escape")
        await pilot.press("backslash", *"dd")
        assert 2250 in pids(table) and BASH not in pids(table)
        assert guide_of(table, 2250) == ""  # its parent does not match: a root


async def test_c_tags_the_subtree_in_the_tree(machine: DemoMachine) -> None:
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        table = app.table
        await pilot.press("t")
        table.select_pid(BASH)
        await pilot.press("c")
        assert table.tagged == {BASH, *BASH_CHILDREN}
        # The tagged subtree shows its marker in the tree.
        assert table.render_line(1 + pids(table).index(BASH) - table.scroll_offset.y).text.startswith("*")


async def test_tree_option_starts_in_the_tree(machine: DemoMachine) -> None:
    app = machine.app(tree=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(machine, app, pilot)
        assert app.table.tree and "tree" in status(app)


# --- real processes ---------------------------------------------------------------------------------


def wait_until(condition, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(word) for word in text.split()]


async def test_a_real_child_that_forks_shows_its_grandchild_under_it() -> None:
    # The child forks a grandchild, and both sleep; the test process is the child's parent.
    code = "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nelse:\n    time.sleep(60)\n"
    child = subprocess.Popen([sys.executable, "-c", code, "perftop-tree-test"])
    grandchild: int | None = None
    try:
        assert wait_until(lambda: len(children_of(child.pid)) == 1)
        grandchild = children_of(child.pid)[0]
        app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, tree=True))
        async with app.run_test(size=(200, 50)) as pilot:
            await app.sample_now()
            await pilot.pause()
            table = app.table
            rows = pids(table)
            at = rows.index(child.pid)
            assert rows[at + 1] == grandchild
            assert rows.index(os.getpid()) < at  # under this test's process
            guide = guide_of(table, child.pid)
            assert guide_of(table, grandchild) == guide[:-3] + ("│  " if "├" in guide[-3:] else "   ") + "└─ "
            # Collapse and expand keep the selection, across refreshes too.
            table.select_pid(child.pid)
            await pilot.press("x")
            await app.sample_now()
            assert table.selected_pid == child.pid and grandchild not in pids(table)
            await pilot.press("x")
            await app.sample_now()
            assert (
                table.selected_pid == child.pid
                and pids(table)[pids(table).index(child.pid) + 1] == grandchild
            )
            # The filter shows only the two, the grandchild still under the child.
            await pilot.press("backslash", *"perftop-tree-test")
            assert pids(table) == [child.pid, grandchild]
            assert [guide_of(table, pid) for pid in (child.pid, grandchild)] == ["", "└─ "]
            # The child exits: the grandchild, an orphan, is re-parented (to 1 or a subreaper) and shows as
            # a root of the filtered tree.
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            assert wait_until(lambda: not Path(f"/proc/{child.pid}").exists())
            await app.sample_now()
            assert pids(table) == [grandchild] and guide_of(table, grandchild) == ""
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if grandchild is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(grandchild, signal.SIGKILL)
