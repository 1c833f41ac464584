"""Pixels of each tuning dialog and picker, over the deterministic demo machine, at 100x32 and at 80x24
(the smallest size every dialog is made to fit, its buttons included).

The demo machine's procfs is a fixture, so the App is read-only there and its tuning keys would only say
so: the dialogs are pushed directly, with fixed subjects and current values, so no real PID reaches a
picture; the pickers (F2, F6, u) are opened by their keys. The affinity dialog's NUMA groups come from the
snapshot of a demo tree given two nodes. Accept a change only after looking at it:
``pytest tests/test_dialog_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import Screen

from perftop.probes.tunables import CATALOGUE, TunableValue, device_tunables
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.app import PerftopApp
from perftop.tui.dialogs import (
    AffinityDialog,
    ConfirmDialog,
    IoPriorityDialog,
    NiceDialog,
    OomScoreDialog,
    PathDialog,
    RtPriorityDialog,
    SchedulingDialog,
    TunableDialog,
    dialog_for,
)
from perftop.tui.system_tuning import Setting, SettingResult
from perftop.tui.tuning import Target, TuningResult
from perftop.tui.tuning_flows import AskSignal
from testbed.demo import DemoMachine

SUBJECT = "process 1290: /usr/bin/postgres -D /var/lib/postgresql/16/main"
TAGGED = "2 tagged processes: 1290 (postgres), 1377 (java)"


def _two_nodes(root: Path) -> None:
    for node, cpus in ((0, "0-1"), (1, "2-3")):
        path = root / "sys" / "devices" / "system" / "node" / f"node{node}"
        path.mkdir(parents=True, exist_ok=True)
        (path / "cpulist").write_text(cpus + "\n")


def _nice() -> Screen:
    return NiceDialog(SUBJECT, "now: nice 0", 0)


def _scheduling() -> Screen:
    return SchedulingDialog(TAGGED, "now: policy 1290: SCHED_OTHER, 1377: mixed", os.SCHED_FIFO, 10)


def _rt_priority() -> Screen:
    return RtPriorityDialog(SUBJECT, "now: policy SCHED_FIFO 10", os.SCHED_FIFO, 10)


def _ionice() -> Screen:
    return IoPriorityDialog(SUBJECT, "now: IO priority best-effort 4", "best-effort", 4)


def _oom() -> Screen:
    return OomScoreDialog(SUBJECT, "now: OOM score adjustment 0", 0)


def _signal() -> Screen:
    return dialog_for(AskSignal(SUBJECT))


def _confirm() -> Screen:
    return ConfirmDialog(
        "Real-time scheduling",
        "Set SCHED_FIFO priority 60 on " + SUBJECT + "?",
        "priority 60 is at or above the kernel's interrupt threads (50): a busy task there delays "
        "interrupts and can starve its CPU",
    )


def _tunable_numbers() -> Screen:
    tcp_rmem = next(t for t in CATALOGUE if t.key == "net.ipv4.tcp_rmem")
    return TunableDialog(TunableValue(tcp_rmem, "/proc/sys/net/ipv4/tcp_rmem", "4096 131072 6291456", True))


def _tunable_choice() -> Screen:
    scheduler = device_tunables("nvme0n1")[0]
    choices = ("none", "mq-deadline", "kyber", "bfq")
    return TunableDialog(
        TunableValue(scheduler, "/sys/block/nvme0n1/queue/scheduler", "mq-deadline", True, choices)
    )


def _path() -> Screen:
    return PathDialog(
        "Write a sysctl.d file",
        "The session's sysctl changes in sysctl.d(5) format: vm.swappiness = 10, vm.dirty_ratio = 40",
        "/nowhere/perftop.conf",
        "cannot write /nowhere/perftop.conf: there is no directory /nowhere",
    )


DIALOGS: dict[str, Callable[[], Screen]] = {
    "nice": _nice,
    "scheduling": _scheduling,
    "rt_priority": _rt_priority,
    "ionice": _ionice,
    "oom": _oom,
    "signal": _signal,
    "confirm": _confirm,
    "tunable_numbers": _tunable_numbers,
    "tunable_choice": _tunable_choice,
    "path": _path,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DIALOGS))
def test_dialog(snap_compare, tmp_path: Path, name: str) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 5)
        app.push_screen(DIALOGS[name]())
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(DIALOGS))
def test_dialog_at_80x24(snap_compare, tmp_path: Path, name: str) -> None:
    """Every dialog whole at the smallest size perftop is made for: its buttons included."""
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 5)
        app.push_screen(DIALOGS[name]())
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def _affinity_run_before(machine: DemoMachine, app: PerftopApp) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await machine.drive(app, 5)
        assert app.snapshot is not None
        nodes = [(n.node, n.cpus or ()) for n in app.snapshot.numa.nodes]
        assert nodes == [(0, (0, 1)), (1, (2, 3))]
        app.push_screen(AffinityDialog(SUBJECT, "now: CPUs 0-3", range(4), nodes, {0, 1, 2, 3}))
        await pilot.pause()
        await pilot.click("#group-1-none")  # node 1 cleared: the field follows
        # Past the button's pressed look (Textual shows it for 0.2 s): the picture must not depend on
        # how fast the machine got here.
        await pilot.pause(0.5)

    return run_before


@pytest.mark.slow
def test_affinity_dialog(snap_compare, tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    _two_nodes(tmp_path)
    app = machine.app()
    assert snap_compare(app, terminal_size=(100, 36), run_before=_affinity_run_before(machine, app))


@pytest.mark.slow
def test_affinity_dialog_at_80x24(snap_compare, tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    _two_nodes(tmp_path)
    app = machine.app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=_affinity_run_before(machine, app))


@pytest.mark.slow
@pytest.mark.parametrize("key", ["f2", "f6", "u"])
def test_picker_at_80x24(snap_compare, tmp_path: Path, key: str) -> None:
    """The column, sort and user pickers, opened by their keys: the setting in force is marked."""
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot: Pilot) -> None:
        await machine.drive(app, 5)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.slow
def test_bad_input_in_a_dialog(snap_compare, tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot) -> None:
        await machine.drive(app, 5)
        app.push_screen(NiceDialog(SUBJECT, "now: nice 0"))
        await pilot.pause()
        await pilot.press(*"99", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


def _log_records() -> list[ActionRecord]:
    """A session: a renice, a signal, a refused action, a sysctl and a device's scheduler (at fixed times)."""
    s = Subject(Target(1290, 5000), "postgres", "/usr/bin/postgres -D /var/lib/postgresql/16/main")
    nice = TuningResult(
        s.target, "nice", 0, 5, "renice -n 5 -p 1290", (1290,), undo_command="renice -n 0 -p 1290"
    )
    stop = TuningResult(s.target, "signal", None, "SIGSTOP", "kill -STOP 1290", (1290,), all_threads=False)
    swappiness = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")
    scheduler = Setting("file", "sda queue/scheduler", "/sys/block/sda/queue/scheduler", "device")

    def setting(setting: Setting, old: str, new: str) -> SettingResult:
        return SettingResult(setting, old, new, setting.command(new), setting.command(old))

    return [
        ActionRecord.of(1_700_000_000, s, "nice", nice, None),
        ActionRecord.of(1_700_000_060, s, "signal", stop, None),
        ActionRecord.of(1_700_000_120, s, "nice", None, "process 1290 has exited; nothing was changed"),
        ActionRecord.of(1_700_000_180, swappiness, "sysctl", setting(swappiness, "60", "10"), None),
        ActionRecord.of(1_700_000_240, scheduler, "device", setting(scheduler, "mq-deadline", "none"), None),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("size", [(80, 24), (100, 32)], ids=["80x24", "100x32"])
@pytest.mark.usefixtures("utc")
def test_action_log(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """The action log (L), opened at its newest entry, each with its undo command or why there is none."""
    machine = DemoMachine(tmp_path)
    app = machine.app()

    async def run_before(pilot: Pilot) -> None:
        await machine.drive(app, 5)
        app.action_log.extend(_log_records())
        await pilot.press("L")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
