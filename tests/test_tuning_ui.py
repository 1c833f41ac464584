"""The tuning keys and dialogs driven with Pilot on the real ``/proc``, against real child processes.

Each test starts its own children (``sleep 60``, or a Python child with three extra threads), shows only
them (``--pid``), drives the dialogs with keys and typed text, and checks what the kernel reports
afterwards. Every child is killed and reaped at teardown.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Checkbox, Input, OptionList, Static

from perftop.probes.fs import FS
from perftop.probes.processes import parse_pid_stat
from perftop.probes.sampler import Sampler
from perftop.tui import tuning
from perftop.tui.action_log import ActionLogScreen
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.cli import build_parser
from perftop.tui.dialogs import (
    AffinityDialog,
    Choices,
    ConfirmDialog,
    IoPriorityDialog,
    NiceDialog,
    OomScoreDialog,
    RtPriorityDialog,
    SchedulingDialog,
    TuningDialog,
)
from perftop.tui.screens import PickerScreen
from testbed.demo import DemoMachine
from tests.children import wait_until
from tests.unprivileged import run_as_nobody

#: Every test here starts processes of its own (children to tune, or perftop as another user).
pytestmark = pytest.mark.live

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (RT policies, negative nice, setuid)")
ONLINE = tuning.online_cpus() or frozenset()
needs_two_cpus = pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")

THREADED_CHILD = """
import threading, time
for _ in range(3):
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
print("ready", flush=True)
time.sleep(60)
"""


# --- children -----------------------------------------------------------------------------------------


def start_time_of(pid: int) -> int:
    return parse_pid_stat(Path(f"/proc/{pid}/stat").read_text()).start_time


def tids_of(pid: int) -> list[int]:
    return sorted(int(n) for n in os.listdir(f"/proc/{pid}/task"))


def nice_of(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


def policy_of(tid: int) -> tuple[int, int]:
    return os.sched_getscheduler(tid), os.sched_getparam(tid).sched_priority


def affinity_of(tid: int) -> frozenset[int]:
    return frozenset(os.sched_getaffinity(tid))


def oom_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/oom_score_adj").read_text())


def stop(proc: subprocess.Popen[str]) -> None:
    with proc:  # then its pipes are closed and it is reaped
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(argv: list[str], **kwargs: object) -> subprocess.Popen[str]:
        proc = subprocess.Popen(argv, text=True, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        return proc

    yield start
    for proc in started:
        stop(proc)


def sleep_child(spawn: Callable[..., subprocess.Popen[str]]) -> subprocess.Popen[str]:
    proc = spawn(["sleep", "60"])
    assert wait_until(lambda: Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"sleep"))
    return proc


@pytest.fixture
def child(spawn: Callable[..., subprocess.Popen[str]]) -> subprocess.Popen[str]:
    return sleep_child(spawn)


@pytest.fixture
def two_children(spawn: Callable[..., subprocess.Popen[str]]) -> list[subprocess.Popen[str]]:
    return [sleep_child(spawn), sleep_child(spawn)]


@pytest.fixture
def threaded(spawn: Callable[..., subprocess.Popen[str]]) -> subprocess.Popen[str]:
    proc = spawn([sys.executable, "-c", THREADED_CHILD], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    assert len(tids_of(proc.pid)) == 4
    return proc


# --- driving the App ----------------------------------------------------------------------------------


def live_app(*pids: int, **options: object) -> PerftopApp:
    return PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=pids, **options))  # type: ignore[arg-type]


async def start(app: PerftopApp, pilot: Pilot) -> None:
    await app.sample_now()
    await pilot.pause()


async def screen_of(pilot: Pilot, kind: type[Screen]) -> Screen:
    """Wait for the worker that opens a dialog to push it."""
    for _ in range(100):
        if isinstance(pilot.app.screen, kind):
            return pilot.app.screen
        await pilot.pause(0.01)
    raise AssertionError(f"{kind.__name__} did not open; the screen is {pilot.app.screen!r}")


async def settle(pilot: Pilot) -> None:
    """Let the action's worker finish (apply, log, re-read, notify)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_into(pilot: Pilot, dialog: Screen, selector: str, text: str) -> None:
    field = dialog.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.pause()
    if text:
        await pilot.press(*text)


async def choose(pilot: Pilot, dialog: Screen, selector: str, index: int) -> None:
    """Choose option ``index`` with the arrow keys, as a user does."""
    choices = dialog.query_one(selector, Choices)
    choices.focus()
    await pilot.pause()
    while choices.index != index:
        await pilot.press("down" if choices.index < index else "up")


def may_lower_nice_to(value: int) -> bool:
    """Whether our children's nice may be lowered to ``value``: as root, or within the RLIMIT_NICE they
    inherit from us (its floor is 20 - limit; the kernel checks the target's)."""
    return IS_ROOT or 20 - resource.getrlimit(resource.RLIMIT_NICE)[0] <= value


def notices(app: PerftopApp) -> list[str]:
    return [n.message for n in app._notifications]


def log_text(screen: Screen) -> str:
    """Every entry of the action log screen, as plain text."""
    assert isinstance(screen, ActionLogScreen)
    return screen.text


def row_of(app: PerftopApp, pid: int):
    return next(p for p in app.table.rows() if p.pid == pid)


# --- each dialog changes the kernel's view ------------------------------------------------------------


async def test_renice_dialog_and_nice_steps(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("n")
        dialog = await screen_of(pilot, NiceDialog)
        assert "now: nice 0" in str(dialog.query_one("#dialog-current").render())
        await type_into(pilot, dialog, "#value", "5")
        await pilot.press("enter")
        await settle(pilot)
        assert nice_of(child.pid) == 5
        assert row_of(app, child.pid).nice == 5  # re-read at once, before any sample
        assert any(f"renice -n 5 -p {child.pid}" in n for n in notices(app))
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert nice_of(child.pid) == 7
        await pilot.press("right_square_bracket")
        await settle(pilot)
        if may_lower_nice_to(6):
            assert nice_of(child.pid) == 6
        else:  # refused, and told why
            assert nice_of(child.pid) == 7
            assert "CAP_SYS_NICE" in notices(app)[-1] and "RLIMIT_NICE" in notices(app)[-1]
        if IS_ROOT:
            await pilot.press("f7")
            await settle(pilot)
            assert nice_of(child.pid) == 5
        assert row_of(app, child.pid).nice == nice_of(child.pid)


async def test_nice_step_past_the_end_is_refused(child: subprocess.Popen[str]) -> None:
    os.setpriority(os.PRIO_PROCESS, child.pid, 19)
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert nice_of(child.pid) == 19
        assert any("nice value 20 is out of range" in n for n in notices(app))


@needs_root
@needs_two_cpus
async def test_scheduling_dialog_sets_fifo_after_confirmation(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("Y")
        dialog = await screen_of(pilot, SchedulingDialog)
        assert dialog.query_one("#priority", Input).disabled  # SCHED_OTHER takes no priority
        await choose(pilot, dialog, "#policy", 3)  # SCHED_FIFO
        assert not dialog.query_one("#priority", Input).disabled
        assert "1 (lowest) .. 99 (highest)" in str(dialog.query_one("#priority-range").render())
        await type_into(pilot, dialog, "#priority", "10")
        await pilot.press("enter")
        # The child may run on every online CPU: a busy FIFO task could starve them all.
        confirm = await screen_of(pilot, ConfirmDialog)
        assert "every online CPU" in str(confirm.query_one("#confirm-reason").render())
        await pilot.press("n")
        await settle(pilot)
        assert policy_of(child.pid) == (os.SCHED_OTHER, 0)
        await pilot.press("Y")
        dialog = await screen_of(pilot, SchedulingDialog)
        await choose(pilot, dialog, "#policy", 4)  # SCHED_RR
        await type_into(pilot, dialog, "#priority", "10")
        await pilot.press("enter")
        await screen_of(pilot, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert policy_of(child.pid) == (os.SCHED_RR, 10)
        assert row_of(app, child.pid).policy == "SCHED_RR"
        assert any(f"chrt -a -r -p 10 {child.pid}" in n for n in notices(app))


@needs_root
@needs_two_cpus
async def test_rt_priority_key_keeps_the_policy(child: subprocess.Popen[str]) -> None:
    os.sched_setaffinity(child.pid, {0})  # one CPU of two, low priority: no confirmation needed
    tuning.set_policy(tuning.Target(child.pid, start_time_of(child.pid)), os.SCHED_FIFO, 5)
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("R")
        dialog = await screen_of(pilot, RtPriorityDialog)
        assert "SCHED_FIFO 5" in str(dialog.query_one("#dialog-current").render())
        await type_into(pilot, dialog, "#value", "20")
        await pilot.press("enter")
        await settle(pilot)
        assert policy_of(child.pid) == (os.SCHED_FIFO, 20)
        assert row_of(app, child.pid).rtprio == 20


async def test_rt_priority_key_on_a_normal_process_says_why(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("R")
        await settle(pilot)
        assert not isinstance(app.screen, TuningDialog)
        assert any("SCHED_OTHER" in n and "press Y" in n for n in notices(app))


async def test_scheduling_dialog_batch_on_the_main_thread_only(threaded: subprocess.Popen[str]) -> None:
    app = live_app(threaded.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("Y")
        dialog = await screen_of(pilot, SchedulingDialog)
        await choose(pilot, dialog, "#policy", 1)  # SCHED_BATCH
        dialog.query_one("#all-threads", Checkbox).value = False
        await pilot.click("#apply")
        await settle(pilot)
        tids = tids_of(threaded.pid)
        assert policy_of(threaded.pid) == (os.SCHED_BATCH, 0)
        assert all(policy_of(t) == (os.SCHED_OTHER, 0) for t in tids if t != threaded.pid)
        await pilot.press("Y")
        dialog = await screen_of(pilot, SchedulingDialog)
        assert "mixed" in str(dialog.query_one("#dialog-current").render())


@needs_two_cpus
async def test_affinity_dialog_boxes_and_field_follow_each_other(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("a")
        dialog = await screen_of(pilot, AffinityDialog)
        assert all(dialog.query_one(f"#cpu-{c}", Checkbox).value for c in ONLINE)
        await type_into(pilot, dialog, "#cpus", "0x1")
        assert dialog.query_one("#cpu-0", Checkbox).value
        assert not dialog.query_one("#cpu-1", Checkbox).value
        assert "list 0 = mask 0x1" in str(dialog.query_one("#cpu-forms").render())
        await pilot.click("#cpu-1")
        assert dialog.query_one("#cpus", Input).value == "0-1"
        await pilot.click("#group-0-none")
        assert dialog.query_one("#cpus", Input).value == ""
        assert "no CPU" in dialog.error
        await pilot.click("#cpu-1")
        assert dialog.query_one("#cpus", Input).value == "1"
        await pilot.click("#apply")
        await settle(pilot)
        assert affinity_of(child.pid) == {1}
        assert row_of(app, child.pid).affinity == (1,)
        assert any(f"taskset -a -p -c 1 {child.pid}" in n for n in notices(app))


@needs_root
async def test_ionice_dialog(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("i")
        dialog = await screen_of(pilot, IoPriorityDialog)
        assert dialog.query_one("#level", Input).disabled
        await choose(pilot, dialog, "#ioclass", 2)  # best-effort
        await type_into(pilot, dialog, "#level", "4")
        await pilot.press("enter")
        await settle(pilot)
        ioclass, level = psutil.Process(child.pid).ionice()
        assert (int(ioclass), level) == (2, 4)
        await pilot.press("i")
        dialog = await screen_of(pilot, IoPriorityDialog)
        assert "best-effort 4" in str(dialog.query_one("#dialog-current").render())
        await choose(pilot, dialog, "#ioclass", 3)  # idle
        await pilot.click("#apply")
        await settle(pilot)
        assert int(psutil.Process(child.pid).ionice()[0]) == 3


async def test_oom_score_dialog(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("o")
        dialog = await screen_of(pilot, OomScoreDialog)
        await type_into(pilot, dialog, "#value", "500")
        await pilot.press("enter")
        await settle(pilot)
        assert oom_of(child.pid) == 500
        assert any(f"echo 500 > /proc/{child.pid}/oom_score_adj" in n for n in notices(app))


async def test_the_oom_dialog_opens_with_the_current_value(child: subprocess.Popen[str]) -> None:
    Path(f"/proc/{child.pid}/oom_score_adj").write_text("250")
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("o")
        dialog = await screen_of(pilot, OomScoreDialog)
        assert dialog.query_one("#value", Input).value == "250"


async def test_enter_in_an_option_list_applies_the_current_setting(child: subprocess.Popen[str]) -> None:
    """Y and i open on the process's policy and IO class; Enter there applies them as they are (it
    applied the first option before, or only moved the mark)."""
    os.sched_setscheduler(child.pid, os.SCHED_BATCH, os.sched_param(0))
    psutil.Process(child.pid).ionice(psutil.IOPRIO_CLASS_IDLE)
    app = live_app(child.pid)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(app, pilot)
        await pilot.press("Y")
        dialog = await screen_of(pilot, SchedulingDialog)
        assert app.focused is dialog.query_one("#policy", Choices)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, TuningDialog)
        await settle(pilot)
        assert policy_of(child.pid) == (os.SCHED_BATCH, 0)
        assert any(f"chrt -a -b -p 0 {child.pid}" in n for n in notices(app))
        await pilot.press("i")
        dialog = await screen_of(pilot, IoPriorityDialog)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, TuningDialog)
        await settle(pilot)
        assert int(psutil.Process(child.pid).ionice()[0]) == psutil.IOPRIO_CLASS_IDLE
        assert any(f"ionice -c 3 -p {child.pid}" in n for n in notices(app))


async def test_signal_picker_sends_term_first(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("k")
        await screen_of(pilot, PickerScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert child.wait(timeout=5) == -signal.SIGTERM
        assert any(f"kill -TERM {child.pid}" in n for n in notices(app))


async def test_f9_sends_the_chosen_signal(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("f9")
        await screen_of(pilot, PickerScreen)
        await pilot.press("down", "down", "down", "down", "enter")  # TERM INT HUP QUIT KILL
        await settle(pilot)
        assert child.wait(timeout=5) == -signal.SIGKILL


# --- tagging: actions apply to every tagged process ---------------------------------------------------


async def test_a_tuning_key_refuses_when_the_chosen_process_has_gone(
    two_children: list[subprocess.Popen[str]],
) -> None:
    """The user chose a process, which then exits: the one that takes its row is nobody's choice, and F8
    says so rather than renice it; once the user chooses again, F8 acts."""
    gone, other = two_children
    app = live_app(gone.pid, other.pid, sort="pid")
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        assert app.table.select_pid(gone.pid)
        stop(gone)
        await app.sample_now()
        await pilot.pause()
        assert app.table.selected_pid == other.pid and app.table.lost_choice == gone.pid
        await pilot.press("f8")
        await settle(pilot)
        assert nice_of(other.pid) == 0
        assert any(
            f"Process {gone.pid}, the one you chose, is no longer in the table" in n for n in notices(app)
        )
        await pilot.press("home")  # chosen again
        await pilot.press("f8")
        await settle(pilot)
        assert nice_of(other.pid) == 1


async def test_tagged_processes_all_take_the_action(two_children: list[subprocess.Popen[str]]) -> None:
    a, b = two_children
    app = live_app(a.pid, b.pid, sort="pid")
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        first = app.table.selected_pid
        await pilot.press("space")
        assert app.table.tagged == {first}
        assert app.table.selected_pid != first  # space moves down, as in htop
        await pilot.press("space")
        assert app.table.tagged == {a.pid, b.pid}
        await pilot.press("o")
        dialog = await screen_of(pilot, OomScoreDialog)
        assert "2 tagged processes" in str(dialog.query(".dialog-subject").first().render())
        await type_into(pilot, dialog, "#value", "300")
        await pilot.press("enter")
        await settle(pilot)
        assert oom_of(a.pid) == oom_of(b.pid) == 300
        await pilot.press("n")
        dialog = await screen_of(pilot, NiceDialog)
        await type_into(pilot, dialog, "#value", "4")
        await pilot.press("enter")
        await settle(pilot)
        assert nice_of(a.pid) == nice_of(b.pid) == 4
        assert {p.nice for p in app.table.rows()} == {4}
        assert len(app.action_log) == 4  # one record per process and action
        await pilot.press("U")
        assert app.table.tagged == set()
        await pilot.press("right_square_bracket")  # now the selected process only
        await settle(pilot)
        selected = app.table.selected_pid
        other = b.pid if selected == a.pid else a.pid
        if IS_ROOT:
            assert nice_of(selected) == 3 and nice_of(other) == 4


@needs_two_cpus
async def test_affinity_of_two_tagged_processes(two_children: list[subprocess.Popen[str]]) -> None:
    app = live_app(*(c.pid for c in two_children))
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("space", "space", "a")
        dialog = await screen_of(pilot, AffinityDialog)
        await type_into(pilot, dialog, "#cpus", "0")
        await pilot.press("enter")
        await settle(pilot)
        assert all(affinity_of(c.pid) == {0} for c in two_children)


async def test_c_tags_a_process_and_its_children(spawn: Callable[..., subprocess.Popen[str]]) -> None:
    parent = spawn(["sh", "-c", "sleep 60 & sleep 60 & wait"])
    assert wait_until(lambda: len(psutil.Process(parent.pid).children()) == 2)
    kids = [p.pid for p in psutil.Process(parent.pid).children()]
    app = live_app(parent.pid, *kids)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await start(app, pilot)
            app.table.select_pid(parent.pid)
            await pilot.press("c")
            assert app.table.tagged == {parent.pid, *kids}
            await pilot.press("o")
            dialog = await screen_of(pilot, OomScoreDialog)
            await type_into(pilot, dialog, "#value", "200")
            await pilot.press("enter")
            await settle(pilot)
            assert [oom_of(p) for p in (parent.pid, *kids)] == [200, 200, 200]
    finally:
        for pid in kids:
            os.kill(pid, signal.SIGKILL)


# --- every thread of a multi-threaded process ---------------------------------------------------------


@needs_two_cpus
async def test_actions_reach_every_thread(threaded: subprocess.Popen[str]) -> None:
    pid = threaded.pid
    app = live_app(pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("n")
        dialog = await screen_of(pilot, NiceDialog)
        await type_into(pilot, dialog, "#value", "6")
        await pilot.press("enter")
        await settle(pilot)
        assert {nice_of(t) for t in tids_of(pid)} == {6}
        await pilot.press("a")
        dialog = await screen_of(pilot, AffinityDialog)
        await type_into(pilot, dialog, "#cpus", "0x2")
        await pilot.press("enter")
        await settle(pilot)
        assert {affinity_of(t) for t in tids_of(pid)} == {frozenset({1})}


async def test_mixed_threads_show_in_the_dialog(threaded: subprocess.Popen[str]) -> None:
    os.setpriority(os.PRIO_PROCESS, tids_of(threaded.pid)[-1], 9)
    app = live_app(threaded.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("n")
        dialog = await screen_of(pilot, NiceDialog)
        current = str(dialog.query_one("#dialog-current").render())
        assert "nice mixed" in current and "threads differ" in current
        assert dialog.query_one("#value", Input).value == ""  # no single value to start from


# --- bad input is refused in the dialog ---------------------------------------------------------------

BAD_INPUTS = [
    ("n", NiceDialog, "#value", "abc", "whole number"),
    ("n", NiceDialog, "#value", "99", "out of range"),
    ("n", NiceDialog, "#value", "-21", "out of range"),
    ("n", NiceDialog, "#value", "", "whole number"),
    ("n", NiceDialog, "#value", "1_0", "whole number"),  # int() reads 10
    ("o", OomScoreDialog, "#value", "\u0663", "whole number"),  # an Arabic-Indic three: int() reads 3
    ("o", OomScoreDialog, "#value", "abc", "whole number"),
    ("o", OomScoreDialog, "#value", "1001", "out of range"),
    ("a", AffinityDialog, "#cpus", "0-", "not a CPU list"),
    ("a", AffinityDialog, "#cpus", "0x", "not a hex CPU mask"),
    ("a", AffinityDialog, "#cpus", "abc", "not a CPU list"),
    ("a", AffinityDialog, "#cpus", str(max(ONLINE, default=0) + 1), "not online"),
    ("a", AffinityDialog, "#cpus", "0x0", "names no CPU"),
    ("a", AffinityDialog, "#cpus", "", "no CPUs given"),
    ("a", AffinityDialog, "#cpus", "\u0660", "not a CPU list"),  # an Arabic-Indic zero
]


@pytest.mark.parametrize(("key", "kind", "field", "text", "message"), BAD_INPUTS)
async def test_bad_input_is_refused_in_the_dialog(
    child: subprocess.Popen[str], key: str, kind: type[TuningDialog], field: str, text: str, message: str
) -> None:
    before = (nice_of(child.pid), oom_of(child.pid), affinity_of(child.pid))
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press(key)
        dialog = await screen_of(pilot, kind)
        await type_into(pilot, dialog, field, text)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog  # still open, showing why
        assert message in dialog.error
        assert app.interval == 1.0  # the '-' typed went to the field, not to the App's key
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, TuningDialog)
    assert (nice_of(child.pid), oom_of(child.pid), affinity_of(child.pid)) == before
    assert app.action_log == []


@pytest.mark.parametrize(
    ("choice", "field", "text", "message"),
    [
        (3, "#priority", "abc", "whole number"),
        (3, "#priority", "0", "out of range"),
        (4, "#priority", "100", "out of range"),
        (3, "#priority", "\uff11\uff10", "whole number"),  # fullwidth 10
    ],
)
async def test_bad_rt_priority_is_refused(
    child: subprocess.Popen[str], choice: int, field: str, text: str, message: str
) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("Y")
        dialog = await screen_of(pilot, SchedulingDialog)
        await choose(pilot, dialog, "#policy", choice)
        await type_into(pilot, dialog, field, text)
        await pilot.press("enter")
        assert app.screen is dialog and message in dialog.error
    assert policy_of(child.pid) == (os.SCHED_OTHER, 0)


async def test_bad_io_level_is_refused(child: subprocess.Popen[str]) -> None:
    before = psutil.Process(child.pid).ionice()
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("i")
        dialog = await screen_of(pilot, IoPriorityDialog)
        await choose(pilot, dialog, "#ioclass", 1)  # realtime
        await type_into(pilot, dialog, "#level", "9")
        await pilot.press("enter")
        assert app.screen is dialog and "out of range" in dialog.error
    assert psutil.Process(child.pid).ionice() == before


# --- the target's identity is kept --------------------------------------------------------------------


async def test_a_process_that_exits_while_the_dialog_is_open_is_refused(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("n")
        dialog = await screen_of(pilot, NiceDialog)
        stop(child)
        await type_into(pilot, dialog, "#value", "5")
        await pilot.press("enter")
        await settle(pilot)
        assert any(f"process {child.pid} has exited; nothing was changed" in n for n in notices(app))
        assert app.action_log[-1].command == "-"
        assert "has exited" in app.action_log[-1].result


async def test_a_reused_pid_is_refused(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("space")
        # The tag holds the identity; make it name an older process that had this PID.
        subject = app._tags[child.pid]
        old = tuning.Target(child.pid, subject.target.start_time - 1)
        app._tags[child.pid] = type(subject)(old, subject.comm, subject.cmdline)
        await pilot.press("o")
        dialog = await screen_of(pilot, OomScoreDialog)
        await type_into(pilot, dialog, "#value", "700")
        await pilot.press("enter")
        await settle(pilot)
        assert any("PID was reused" in n for n in notices(app))
    assert oom_of(child.pid) == 0


# --- a refusal from the kernel, obtained for real -----------------------------------------------------


async def _unprivileged_nice_step(pid: int) -> list[str]:
    app = live_app(pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("f7")
        await settle(pilot)
        return notices(app)


async def _unprivileged_fifo(pid: int) -> list[str]:
    """Y, SCHED_FIFO, priority 60, Enter: what is shown, and no confirmation asked."""
    app = live_app(pid)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(app, pilot)
        await pilot.press("Y")
        dialog = await screen_of(pilot, SchedulingDialog)
        await choose(pilot, dialog, "#policy", 3)
        await pilot.press("tab", "6", "0", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, (SchedulingDialog, ConfirmDialog)), app.screen
        await settle(pilot)
        return notices(app)


def _as_nobody(drive: Callable[[int], Coroutine[Any, Any, list[str]]], read: Callable[[int], object]) -> dict:
    """perftop run by uid 65534 (see :func:`tests.unprivileged.run_as_nobody`) on a sleep child of its
    own, driven by ``drive``: what it showed, and ``read`` of the child before and after."""

    def work() -> dict[str, Any]:
        import asyncio

        sleeper = subprocess.Popen(["sleep", "60"])
        try:
            wait_until(lambda: Path(f"/proc/{sleeper.pid}/cmdline").read_bytes().startswith(b"sleep"))
            before = read(sleeper.pid)
            shown = asyncio.run(drive(sleeper.pid))
            return {"shown": shown, "before": before, "after": read(sleeper.pid)}
        finally:
            stop(sleeper)

    return run_as_nobody(work)


def test_kernel_refusal_is_explained_in_the_ui() -> None:
    """F7 as an unprivileged user must explain the kernel's EACCES."""
    out = _as_nobody(_unprivileged_nice_step, nice_of)
    assert out["before"] == out["after"] == 0
    message = "\n".join(out["shown"])
    assert "CAP_SYS_NICE" in message and "RLIMIT_NICE" in message


def test_a_refused_real_time_policy_is_told_before_any_confirmation() -> None:
    """SCHED_FIFO 60 asks for a confirmation; a user who may not set it is told why instead."""
    out = _as_nobody(_unprivileged_fifo, lambda pid: list(policy_of(pid)))
    assert out["before"] == out["after"] == [os.SCHED_OTHER, 0]
    message = "\n".join(out["shown"])
    assert "would be refused" in message and "RLIMIT_RTPRIO of at least 60" in message


# --- read-only ----------------------------------------------------------------------------------------

ACTION_KEYS = [
    "f7",
    "right_square_bracket",
    "f8",
    "left_square_bracket",
    "n",
    "Y",
    "R",
    "a",
    "i",
    "o",
    "k",
    "f9",
]


async def test_read_only_blocks_every_action(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        for key in ACTION_KEYS:
            await pilot.press(key)
            await settle(pilot)
            assert len(app.screen_stack) == 1, key
        assert len(notices(app)) == len(ACTION_KEYS)
        assert all("--read-only" in n for n in notices(app))
        assert "read-only" in str(app.query_one("#status").render())
    assert nice_of(child.pid) == 0 and oom_of(child.pid) == 0
    assert child.poll() is None
    assert app.action_log == []


async def test_a_fixture_root_is_read_only(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    assert app.options.read_only
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 1)
        await pilot.press("space", "n")
        await settle(pilot)
        assert len(app.screen_stack) == 1
        assert any("not this machine's own /proc" in n for n in notices(app))
        assert app.table.tagged  # tagging itself changes nothing and stays allowed


# --- feedback: frozen display, action log, --log-actions -----------------------------------------------


async def test_rows_show_new_values_while_frozen(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("Z")
        await app.sample_now()
        await pilot.press("f8")
        await settle(pilot)
        assert app.frozen
        assert row_of(app, child.pid).nice == 1
        await pilot.press("Z")  # unfreezing shows the latest data, which has the change too
        assert row_of(app, child.pid).nice == 1


async def test_action_log_lists_actions(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(120, 50)) as pilot:
        await start(app, pilot)
        await pilot.press("L")
        assert isinstance(app.screen, ActionLogScreen)
        assert app.screen.query_one("#log-empty").display
        assert "No tuning action yet" in str(app.screen.query_one("#log-empty", Static).render())
        await pilot.press("escape", "f8")
        await settle(pilot)
        await pilot.press("o")
        dialog = await screen_of(pilot, OomScoreDialog)
        await type_into(pilot, dialog, "#value", "abc")  # refused in the dialog: no action, no record
        await pilot.press("enter")
        await type_into(pilot, dialog, "#value", "100")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("L")
        screen = await screen_of(pilot, ActionLogScreen)
        text = log_text(screen)
        assert f"{child.pid} (sleep)  nice: 0 -> 1" in text
        assert f"renice -n 1 -p {child.pid}" in text
        assert f"undo: renice -n 0 -p {child.pid}" in text
        assert f"{child.pid} (sleep)  oom_score_adj: 0 -> 100" in text
        assert f"undo: echo 0 > /proc/{child.pid}/oom_score_adj" in text
        assert text.count("ok") >= 2
        assert [(r.what, r.old, r.new) for r in app.action_log] == [
            ("nice", "0", "1"),
            ("oom_score_adj", "0", "100"),
        ]


async def test_the_action_log_opens_at_the_newest_entry_uncovered(child: subprocess.Popen[str]) -> None:
    app = live_app(child.pid)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(app, pilot)
        for _ in range(10):  # 30 lines of log: more than the screen holds
            await pilot.press("f8")
            await settle(pilot)
        assert nice_of(child.pid) == 10 and notices(app)
        await pilot.press("L")
        screen = await screen_of(pilot, ActionLogScreen)
        await pilot.pause()
        entries = screen.query_one("#log-entries", OptionList)
        assert entries.max_scroll_y > 0 and entries.scroll_y == entries.max_scroll_y
        assert notices(app) == []  # the notifications would cover the newest lines; the log holds them
        assert entries.highlighted == 9 and log_text(screen).splitlines()[-4].endswith("nice: 9 -> 10")
        # The newest entry, all four of its lines, in view at the bottom.
        assert entries.max_scroll_y + entries.scrollable_content_region.height == entries.virtual_size.height


async def test_log_actions_writes_a_replayable_script(child: subprocess.Popen[str], tmp_path: Path) -> None:
    script = tmp_path / "tuning.sh"
    app = live_app(child.pid, log_actions=script)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("n")
        dialog = await screen_of(pilot, NiceDialog)
        await type_into(pilot, dialog, "#value", "8")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("o")
        dialog = await screen_of(pilot, OomScoreDialog)
        await type_into(pilot, dialog, "#value", "250")
        await pilot.press("enter")
        await settle(pilot)
    text = script.read_text()
    lines = text.splitlines()
    assert lines[0] == "#!/bin/sh"
    began = start_time_of(child.pid)
    comments = [line for line in lines if line.startswith("# ") and f"pid {child.pid}" in line]
    assert len(comments) == 2
    assert all(f"start time {began}: sleep 60" in c for c in comments)
    assert f"renice -n 8 -p {child.pid}" in lines and f"echo 250 > /proc/{child.pid}/oom_score_adj" in lines
    # Undo by hand, then replay the script: the kernel shows perftop's values again. (Lowering nice needs
    # root or RLIMIT_NICE: without them it stays 8, and the replay must leave it so.)
    if may_lower_nice_to(0):
        os.setpriority(os.PRIO_PROCESS, child.pid, 0)
    Path(f"/proc/{child.pid}/oom_score_adj").write_text("0")
    subprocess.run(["sh", str(script)], check=True, capture_output=True)
    assert nice_of(child.pid) == 8 and oom_of(child.pid) == 250


def test_cli_takes_log_actions() -> None:
    args = build_parser().parse_args(["--log-actions", "/tmp/x.sh"])
    assert args.log_actions == Path("/tmp/x.sh")
    assert build_parser().parse_args([]).log_actions is None


# --- the sampler's re-read ----------------------------------------------------------------------------


def test_sampler_reread_reads_values_and_keeps_rates(child: subprocess.Popen[str]) -> None:
    sampler = Sampler(FS())
    sampler.sample()
    snapshot = sampler.sample([child.pid])
    before = next(p for p in snapshot.processes if p.pid == child.pid)
    os.setpriority(os.PRIO_PROCESS, child.pid, 11)
    os.sched_setaffinity(child.pid, {min(ONLINE)})
    rows = sampler.reread([child.pid, 999_999_999])
    assert set(rows) == {child.pid}  # a PID the last sample did not show is left out
    row = rows[child.pid]
    assert row.nice == 11 and row.priority == 31
    assert row.affinity == (min(ONLINE),)
    assert row.cpu_percent == before.cpu_percent
    assert row.voluntary_ctxt_switches_per_s == before.voluntary_ctxt_switches_per_s
    # The next sample's rates still run from the last sample's counters.
    later = next(p for p in sampler.sample([child.pid]).processes if p.pid == child.pid)
    assert later.nice == 11 and later.cpu_percent is not None


def test_sampler_reread_leaves_out_exited_and_reused(child: subprocess.Popen[str]) -> None:
    sampler = Sampler(FS())
    sampler.sample()
    stop(child)
    assert sampler.reread([child.pid]) == {}


@needs_root
@needs_two_cpus
async def test_rt_priority_key_leaves_other_threads_alone(threaded: subprocess.Popen[str]) -> None:
    main, *others = sorted(tids_of(threaded.pid))
    assert main == threaded.pid
    for tid in (main, *others):
        os.sched_setaffinity(tid, {0})  # one CPU of two, low priority: no confirmation needed
    tuning.set_policy(tuning.Target(main, start_time_of(main)), os.SCHED_FIFO, 5, all_threads=False)
    app = live_app(threaded.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("R")
        dialog = await screen_of(pilot, RtPriorityDialog)
        await type_into(pilot, dialog, "#value", "20")
        await pilot.press("enter")
        await settle(pilot)
    assert policy_of(main) == (os.SCHED_FIFO, 20)
    assert all(policy_of(tid) == (os.SCHED_OTHER, 0) for tid in others)  # not made real-time


async def test_c_descends_under_processes_already_tagged(spawn: Callable[..., subprocess.Popen[str]]) -> None:
    parent = spawn(["sh", "-c", "sleep 60 & sleep 60 & wait"])
    assert wait_until(lambda: len(psutil.Process(parent.pid).children()) == 2)
    kids = [p.pid for p in psutil.Process(parent.pid).children()]
    app = live_app(parent.pid, *kids)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await start(app, pilot)
            app.table.select_pid(kids[0])
            await pilot.press("space")
            app.table.select_pid(parent.pid)
            await pilot.press("space")  # the parent is tagged first: c must still reach its children
            app.table.select_pid(parent.pid)
            await pilot.press("c")
            assert app.table.tagged == {parent.pid, *kids}
    finally:
        for pid in kids:
            os.kill(pid, signal.SIGKILL)


async def test_a_second_dialog_key_does_not_stack_dialogs(
    child: subprocess.Popen[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import perftop.tui.tuning_flows

    slow = perftop.tui.tuning_flows._current_line

    def slowly(*args: object) -> str:
        time.sleep(0.3)  # many tagged processes make this read slow for real
        return slow(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(perftop.tui.tuning_flows, "_current_line", slowly)
    app = live_app(child.pid)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(app, pilot)
        await pilot.press("n", "o")
        await screen_of(pilot, NiceDialog)
        await pilot.pause(0.5)
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["NiceDialog"]
