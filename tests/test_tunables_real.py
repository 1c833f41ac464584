"""Changing tunables on this machine for real: through the tuning module, the tunables pane's dialog and the
IO pane's ``e``, each read back by ``sysctl -n`` or ``cat`` and restored in ``finally``; bad input refused
with nothing written; the kernel's refusals (non-root: EACCES; a read-only bind mount: EROFS) explained.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.probes.tunable_files import read_tunable
from perftop.probes.tunables import CATALOGUE, device_tunables
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.dialogs import Choices, TunableDialog
from perftop.tui.screens import PickerScreen
from perftop.tui.system_tuning import set_tunable
from perftop.tui.tuning import TuningError
from perftop.widgets.io_pane import IoPane
from perftop.widgets.tunables_pane import TunablesPane
from tests.unprivileged import run_as_nobody

# machine: changes sysctls and block queue settings of this machine (and puts them back).
pytestmark = [pytest.mark.live, pytest.mark.machine]

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root to change the kernel's settings")
SWAPPINESS = next(t for t in CATALOGUE if t.key == "vm.swappiness")
SWAPPINESS_FILE = Path("/proc/sys/vm/swappiness")


def sysctl_n(key: str) -> str:
    return subprocess.run(["sysctl", "-n", key], check=True, capture_output=True, text=True).stdout.strip()


def cat(path: str) -> str:
    return subprocess.run(["cat", path], check=True, capture_output=True, text=True).stdout.strip()


def chosen(text: str) -> str:
    """The bracketed word of a choice file's text."""
    return next(w.strip("[]") for w in text.split() if w.startswith("["))


def a_disk() -> str | None:
    """A whole device whose scheduler offers two choices or more (vda here), else None."""
    for name in sorted(os.listdir("/sys/block")):
        path = Path("/sys/block", name, "queue", "scheduler")
        if path.exists() and len(path.read_text().split()) >= 2 and not name.startswith(("loop", "zram")):
            return name
    return None


DISK = a_disk()
needs_disk = pytest.mark.skipif(DISK is None, reason="no block device with two schedulers")


@pytest.fixture
def swappiness() -> Iterator[str]:
    """The current vm.swappiness, put back at teardown."""
    before = sysctl_n("vm.swappiness")
    try:
        yield before
    finally:
        subprocess.run(["sysctl", "-q", "-w", f"vm.swappiness={before}"], check=True)


@pytest.fixture
def disk_queue() -> Iterator[tuple[str, str, str]]:
    """A disk, its scheduler and read_ahead_kb, put back at teardown."""
    assert DISK is not None
    queue = f"/sys/block/{DISK}/queue/"
    scheduler, read_ahead = chosen(cat(queue + "scheduler")), cat(queue + "read_ahead_kb")
    try:
        yield DISK, scheduler, read_ahead
    finally:
        Path(queue + "scheduler").write_text(scheduler)
        Path(queue + "read_ahead_kb").write_text(read_ahead)


def other_than(value: str, *candidates: str) -> str:
    return next(c for c in candidates if c != value)


# --- through the tuning module -----------------------------------------------------------------------


@needs_root
def test_swappiness_through_the_module(swappiness: str) -> None:
    new = other_than(swappiness, "17", "23")
    result = set_tunable(read_tunable(FS(), SWAPPINESS), new)
    assert sysctl_n("vm.swappiness") == new
    assert (result.old, result.new) == (swappiness, new)
    assert result.command == f"sysctl -w vm.swappiness={new}"
    assert result.undo_command == f"sysctl -w vm.swappiness={swappiness}"
    assert result.what == "sysctl" and result.note is None


@needs_root
@needs_disk
def test_read_ahead_and_scheduler_through_the_module(disk_queue: tuple[str, str, str]) -> None:
    disk, scheduler, read_ahead = disk_queue
    scheduler_tunable, read_ahead_tunable, _ = device_tunables(disk)
    kb = other_than(read_ahead, "256", "512")
    result = set_tunable(read_tunable(FS(), read_ahead_tunable), kb)
    assert cat(f"/sys/block/{disk}/queue/read_ahead_kb") == kb
    assert result.command == f"echo {kb} > /sys/block/{disk}/queue/read_ahead_kb"
    now = read_tunable(FS(), scheduler_tunable)
    assert now.choices is not None
    other = other_than(scheduler, *now.choices)
    result = set_tunable(now, other)
    assert chosen(cat(f"/sys/block/{disk}/queue/scheduler")) == other
    assert result.undo_command == f"echo {scheduler} > /sys/block/{disk}/queue/scheduler"


@needs_root
@needs_disk
@pytest.mark.parametrize("typed", ["sixty", "201", "", "1 2"])
def test_bad_values_are_refused_by_the_module_with_nothing_written(swappiness: str, typed: str) -> None:
    with pytest.raises(TuningError):
        set_tunable(read_tunable(FS(), SWAPPINESS), typed)
    assert sysctl_n("vm.swappiness") == swappiness


@needs_root
@needs_disk
def test_an_unknown_scheduler_is_refused_with_nothing_written(disk_queue: tuple[str, str, str]) -> None:
    disk, scheduler, _ = disk_queue
    with pytest.raises(TuningError, match="takes one of"):
        set_tunable(read_tunable(FS(), device_tunables(disk)[0]), "no-such-scheduler")
    assert chosen(cat(f"/sys/block/{disk}/queue/scheduler")) == scheduler


@needs_root
def test_a_value_the_kernel_refuses_is_explained() -> None:
    # kernel.sched_rt_runtime_us above sched_rt_period_us is in the type's range but refused: EINVAL.
    runtime = next(t for t in CATALOGUE if t.key == "kernel.sched_rt_runtime_us")
    before = sysctl_n("kernel.sched_rt_runtime_us")
    period = int(sysctl_n("kernel.sched_rt_period_us"))
    try:
        with pytest.raises(TuningError, match="EINVAL"):
            set_tunable(read_tunable(FS(), runtime), str(period + 1))
    finally:
        assert sysctl_n("kernel.sched_rt_runtime_us") == before


# --- through the panes ---------------------------------------------------------------------------------


def live_app(**options: object) -> PerftopApp:
    return PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, **options))  # type: ignore[arg-type]


async def open_pane(app: PerftopApp, pilot: Pilot) -> TunablesPane:
    await app.sample_now()
    await pilot.press("8")
    await app.workers.wait_for_complete()
    await pilot.pause()
    pane = app.query_one(TunablesPane)
    assert pane.values, "the pane read no tunables"
    return pane


async def edit(app: PerftopApp, pilot: Pilot, pane: TunablesPane, key: str) -> TunableDialog:
    pane.select(key)
    await pilot.pause()
    assert pane.selected is not None and pane.selected.key == key
    await pilot.press("enter")
    for _ in range(200):
        if isinstance(app.screen, TunableDialog):
            return app.screen
        await pilot.pause(0.01)
    raise AssertionError(f"no dialog; notices: {notices(app)}")


async def type_value(pilot: Pilot, dialog: TunableDialog, text: str) -> None:
    field = dialog.query_one("#value", Input)
    field.value = ""
    field.focus()
    await pilot.pause()
    if text:
        await pilot.press(*("space" if c == " " else c for c in text))
    assert field.value == text
    await pilot.press("enter")
    await pilot.pause()


def notices(app: PerftopApp) -> list[str]:
    return [n.message for n in app._notifications]


@needs_root
async def test_swappiness_through_the_dialog(swappiness: str, tmp_path: Path) -> None:
    new = other_than(swappiness, "17", "23")
    script = tmp_path / "actions.sh"
    app = live_app(log_actions=script)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await open_pane(app, pilot)
        dialog = await edit(app, pilot, pane, "vm.swappiness")
        assert dialog.query_one("#value", Input).value == swappiness  # opened at the current value
        await type_value(pilot, dialog, new)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, TunableDialog)
        assert sysctl_n("vm.swappiness") == new
        assert any(f"sysctl -w vm.swappiness={new}" in n for n in notices(app)), notices(app)
        assert app.action_log[-1].command == f"sysctl -w vm.swappiness={new}"
        # The pane shows the value read back.
        assert pane.selected is not None and pane.selected.value == new
    assert f"sysctl -w vm.swappiness={new}" in script.read_text()


@needs_root
@pytest.mark.parametrize(
    ("key", "typed", "said"),
    [
        ("vm.swappiness", "201", "out of range: it must be from 0 to 200"),
        ("vm.swappiness", "abc", "must be a whole number"),
        ("vm.swappiness", "", "type a value"),
        ("vm.overcommit_memory", "3", "out of range: it must be from 0 to 2"),
        ("net.ipv4.tcp_rmem", "4096 131072", "takes 3 numbers (min default max), not 2"),
    ],
)
async def test_bad_input_stays_in_the_dialog_with_nothing_written(key: str, typed: str, said: str) -> None:
    before = sysctl_n(key)
    app = live_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(app, pilot)
        dialog = await edit(app, pilot, pane, key)
        await type_value(pilot, dialog, typed)
        assert app.screen is dialog and said in dialog.error, dialog.error
        await pilot.press("escape")
        await app.workers.wait_for_complete()
    assert sysctl_n(key) == before
    assert not app.action_log


@needs_root
@needs_disk
async def test_read_ahead_and_scheduler_through_the_dialog(disk_queue: tuple[str, str, str]) -> None:
    disk, scheduler, read_ahead = disk_queue
    kb = other_than(read_ahead, "256", "512")
    app = live_app()
    async with app.run_test(size=(200, 50)) as pilot:
        pane = await open_pane(app, pilot)
        dialog = await edit(app, pilot, pane, f"{disk} queue/read_ahead_kb")
        await type_value(pilot, dialog, kb)
        await app.workers.wait_for_complete()
        assert cat(f"/sys/block/{disk}/queue/read_ahead_kb") == kb
        assert any(f"echo {kb} > /sys/block/{disk}/queue/read_ahead_kb" in n for n in notices(app))

        dialog = await edit(app, pilot, pane, f"{disk} queue/scheduler")
        choices = dialog.query_one("#choice", Choices)
        offered = read_tunable(FS(), device_tunables(disk)[0]).choices or ()
        assert offered[choices.index] == scheduler  # opened at the current one
        await pilot.press("down")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        wanted = offered[(offered.index(scheduler) + 1) % len(offered)]
        assert chosen(cat(f"/sys/block/{disk}/queue/scheduler")) == wanted
        assert pane.selected is not None and pane.selected.value == wanted


@needs_root
@needs_disk
async def test_the_io_pane_key_edits_the_selected_device(disk_queue: tuple[str, str, str]) -> None:
    disk, _, read_ahead = disk_queue
    kb = other_than(read_ahead, "256", "512")
    app = live_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        # The IO pane's own key only while it is shown: elsewhere e is the environment of the process.
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, PickerScreen)
        assert not any("device" in n for n in notices(app))
        if len(app.screen_stack) > 1:
            await pilot.press("escape")
        await pilot.press("4")
        await app.sample_now()
        await pilot.pause()
        io = app.query_one(IoPane)
        rows = [r.key.value for r in io.table.ordered_rows]
        io.table.move_cursor(row=rows.index(disk))
        await pilot.pause()
        assert io.selected_device == disk
        await pilot.press("e")
        for _ in range(200):
            if isinstance(app.screen, PickerScreen):
                break
            await pilot.pause(0.01)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("down", "enter")  # scheduler, read_ahead_kb, nr_requests
        for _ in range(200):
            if isinstance(app.screen, TunableDialog):
                break
            await pilot.pause(0.01)
        dialog = app.screen
        assert isinstance(dialog, TunableDialog)
        await type_value(pilot, dialog, kb)
        await app.workers.wait_for_complete()
    assert cat(f"/sys/block/{disk}/queue/read_ahead_kb") == kb


async def test_read_only_refuses_the_dialog() -> None:
    swappiness = sysctl_n("vm.swappiness")
    app = live_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(app, pilot)
        pane.select("vm.swappiness")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, TunableDialog)
        assert any("--read-only" in n for n in notices(app))
    assert sysctl_n("vm.swappiness") == swappiness


# --- the kernel's refusals -----------------------------------------------------------------------------


async def _dialog_writes_swappiness() -> list[str]:
    app = live_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pane(app, pilot)
        dialog = await edit(app, pilot, pane, "vm.swappiness")
        await type_value(pilot, dialog, "1" if sysctl_n("vm.swappiness") != "1" else "2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        return notices(app)


def test_a_non_root_write_is_explained() -> None:
    """As uid 65534 the kernel refuses the write (EACCES): the module and the dialog both say why."""
    before = SWAPPINESS_FILE.read_text()

    def work() -> dict[str, object]:
        import asyncio

        try:
            set_tunable(read_tunable(FS(), SWAPPINESS), "1" if before.strip() != "1" else "2")
            module = "written"
        except TuningError as exc:
            module = str(exc)
        return {"module": module, "shown": asyncio.run(_dialog_writes_swappiness())}

    out = run_as_nobody(work)
    assert "only root may change it" in str(out["module"]), out
    assert any("only root may change it" in n for n in out["shown"]), out  # type: ignore[union-attr]
    assert SWAPPINESS_FILE.read_text() == before


EROFS_CHILD = """
import asyncio, json, sys
from perftop.probes.fs import FS
from perftop.probes.tunable_files import read_tunable
from perftop.probes.tunables import CATALOGUE
from perftop.tui.system_tuning import set_tunable
from perftop.tui.tuning import TuningError
sys.path.insert(0, sys.argv[1])
from tests.test_tunables_real import _dialog_writes_swappiness

swappiness = next(t for t in CATALOGUE if t.key == "vm.swappiness")
try:
    now = read_tunable(FS(), swappiness)
    set_tunable(now, "1" if now.value != "1" else "2")
    module = "written"
except TuningError as exc:
    module = str(exc)
print(json.dumps({"module": module, "shown": asyncio.run(_dialog_writes_swappiness())}))
"""


@needs_root
def test_a_read_only_file_is_explained() -> None:
    """vm.swappiness bind-mounted read-only in a private mount namespace: EROFS, explained."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare")
    import json

    before = SWAPPINESS_FILE.read_text()
    root = str(Path(__file__).resolve().parents[1])
    script = textwrap.dedent(
        f"""
        set -e
        mount --bind {SWAPPINESS_FILE} {SWAPPINESS_FILE}
        mount -o remount,bind,ro {SWAPPINESS_FILE}
        exec "$0" -c "$1" {root}
        """
    )
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, sys.executable, EROFS_CHILD],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip(f"no private mount namespace here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "EROFS" in out["module"] and "read-only" in out["module"], out
    assert any("EROFS" in n for n in out["shown"]), out
    assert SWAPPINESS_FILE.read_text() == before
