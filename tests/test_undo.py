"""Undo and keep without Textual: each action reverted on real children and real settings files, the
refusals, the confirmation when a value changed since, and the sysctl.d file written and read back.

The flows run under the scripted host of ``test_tuning_flows``; the kernel is asked afterwards (``sysctl
-n``, ``cat``, ``/proc``). Every setting changed is restored in ``finally``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from perftop.probes.cpulist import parse_cpu_list
from perftop.probes.fs import FS
from perftop.probes.processes import parse_pid_stat
from perftop.tui import tuning
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.system_tuning import Setting, SettingResult, read_setting
from perftop.tui.tuning import IoPriority, Target, TuningResult
from perftop.tui.tuning_flows import (
    AffinityChoice,
    AskConfirm,
    AskPath,
    IoChoice,
    SchedulingChoice,
    TuningFlows,
)
from perftop.tui.undo import SUGGESTED_CONF, sysctl_conf
from tests import test_tuning_flows
from tests.test_tuning_flows import ScriptedHost, nice_of
from tests.unprivileged import run_as_nobody

# machine: changes sysctls and block queue settings of this machine (and puts them back).
pytestmark = [pytest.mark.live, pytest.mark.machine]

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (settings, RT policies, lowering nice)")
ONLINE = tuning.online_cpus() or frozenset()

#: The fixture that starts ``sleep 60`` children, killed at teardown.
sleepers = test_tuning_flows.sleepers

SWAPPINESS = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")


def sysctl_n(key: str) -> str:
    return subprocess.run(["sysctl", "-n", key], check=True, capture_output=True, text=True).stdout.strip()


def cat(path: str) -> str:
    return subprocess.run(["cat", path], check=True, capture_output=True, text=True).stdout.strip()


def restore(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value + "\n")


# --- process actions ---------------------------------------------------------------------------------


async def test_undo_sets_nice_back_as_another_action(sleepers: Callable[[], Subject], tmp_path: Path) -> None:
    subject = sleepers()
    pid = subject.target.pid
    script = tmp_path / "tuning.sh"
    host = ScriptedHost(5)
    flows = TuningFlows(host, FS(), log_actions=script)
    await flows.renice([subject])
    assert nice_of(pid) == 5
    [done] = host.records
    assert done.undo_command == f"renice -n 0 -p {pid}"
    undone = await flows.revert(done)
    assert nice_of(pid) == 0
    assert undone is not None and host.records[-1] is undone  # recorded like any action
    assert (undone.what, undone.old, undone.new, undone.command) == (
        "nice",
        "5",
        "0",
        f"renice -n 0 -p {pid}",
    )
    assert undone.undo_command == f"renice -n 5 -p {pid}"  # an undo is undone in turn
    assert host.notices[-1] == (f"nice of {pid}: 5 -> 0  [renice -n 0 -p {pid}]", "information")
    lines = script.read_text().splitlines()
    assert lines[-2:] == [f"renice -n 0 -p {pid}", f"# undo: renice -n 5 -p {pid}"]
    assert await flows.revert(undone) is not None and nice_of(pid) == 5


@needs_root
async def test_undo_sets_policy_and_rt_priority_back(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    pid = subject.target.pid
    tuning.set_policy(subject.target, os.SCHED_FIFO, 10)
    # RR 20 asks for confirmation when the child may run on every CPU: yes.
    host = ScriptedHost(SchedulingChoice(os.SCHED_RR, 20, reset_on_fork=False, all_threads=True), True, True)
    flows = TuningFlows(host, FS())
    await flows.scheduling([subject])
    assert (os.sched_getscheduler(pid), os.sched_getparam(pid).sched_priority) == (os.SCHED_RR, 20)
    [done] = host.records
    assert done.undo_command == f"chrt -a -f -p 10 {pid}"
    undone = await flows.revert(done)
    assert undone is not None and undone.ok
    assert (os.sched_getscheduler(pid), os.sched_getparam(pid).sched_priority) == (os.SCHED_FIFO, 10)
    assert subprocess.run(["chrt", "-p", str(pid)], capture_output=True, text=True).stdout.count("SCHED_FIFO")
    # Back to a real-time policy is checked as Y checks it: the same confirmation when it applies.
    asked = [type(q).__name__ for q in host.asked]
    assert asked[0] == "AskScheduling" and asked.count("AskConfirm") == 2 * (_affinity(pid) >= ONLINE)


def _affinity(pid: int) -> frozenset[int]:
    return frozenset(os.sched_getaffinity(pid))


@pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")
async def test_undo_sets_affinity_back(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    pid = subject.target.pid
    before = _affinity(pid)
    host = ScriptedHost(AffinityChoice(frozenset({min(ONLINE)}), all_threads=True))
    flows = TuningFlows(host, FS())
    await flows.affinity([subject], [])
    assert _affinity(pid) == {min(ONLINE)}
    await flows.revert(host.records[0])
    assert _affinity(pid) == before
    out = subprocess.run(["taskset", "-p", "-c", str(pid)], capture_output=True, text=True).stdout
    assert parse_cpu_list(out.rsplit(":", 1)[1]) == before


async def test_undo_sets_io_priority_back(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    pid = subject.target.pid
    before = tuning.read_ionice(pid)
    host = ScriptedHost(IoChoice("idle", None, all_threads=True))
    flows = TuningFlows(host, FS())
    await flows.ionice([subject])
    assert tuning.read_ionice(pid) == IoPriority("idle")
    undone = await flows.revert(host.records[0])
    assert undone is not None and undone.ok
    assert tuning.read_ionice(pid) == before
    assert undone.command.startswith("ionice -c ")


async def test_undo_sets_the_oom_score_adjustment_back(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    pid = subject.target.pid
    host = ScriptedHost(300)
    flows = TuningFlows(host, FS())
    await flows.oom_score_adj([subject])
    assert Path(f"/proc/{pid}/oom_score_adj").read_text().strip() == "300"
    assert host.records[0].undo_command == f"echo 0 > /proc/{pid}/oom_score_adj"
    await flows.revert(host.records[0])
    assert cat(f"/proc/{pid}/oom_score_adj") == "0"  # lowering back to the old value: root may


# --- refusals ----------------------------------------------------------------------------------------


async def test_a_signal_cannot_be_undone(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    host = ScriptedHost("STOP")
    flows = TuningFlows(host, FS())
    await flows.send_signal([subject])
    try:
        [sent] = host.records
        assert sent.undo_command is None and sent.no_undo is not None
        assert await flows.revert(sent) is None
        message, severity = host.notices[-1]
        assert "a signal cannot be undone: SIGSTOP was delivered" in message and severity == "error"
        assert len(host.records) == 1  # nothing applied, nothing recorded
    finally:
        os.kill(subject.target.pid, signal.SIGCONT)


async def test_an_action_that_was_not_applied_cannot_be_undone(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    os.setpriority(os.PRIO_PROCESS, subject.target.pid, 19)
    host = ScriptedHost()
    flows = TuningFlows(host, FS())
    await flows.nice_step([subject], 1)  # refused: 20 is out of range
    assert await flows.revert(host.records[0]) is None
    assert "nothing was applied" in host.notices[-1][0]


async def test_a_process_that_exited_is_refused(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    host = ScriptedHost(4)
    flows = TuningFlows(host, FS())
    await flows.renice([subject])
    os.kill(subject.target.pid, signal.SIGKILL)
    os.waitpid(subject.target.pid, 0)
    assert await flows.revert(host.records[0]) is None
    message, severity = host.notices[-1]
    assert f"process {subject.target.pid} has exited; nothing was changed" in message and severity == "error"
    assert len(host.records) == 1 and len(host.asked) == 1  # no confirmation asked


async def test_a_reused_pid_is_refused(sleepers: Callable[[], Subject]) -> None:
    """The record's process started at another tick than the one holding its PID now: not the same."""
    other = sleepers()
    pid, began = other.target.pid, other.target.start_time
    gone = Subject(Target(pid, began - 1), "sleep", "sleep 60")
    applied = TuningResult(gone.target, "nice", 0, 5, f"renice -n 5 -p {pid}", (pid,), undo_command="renice")
    record = ActionRecord.of(0.0, gone, "nice", applied, None)
    os.setpriority(os.PRIO_PROCESS, pid, 5)
    host = ScriptedHost()
    assert await TuningFlows(host, FS()).revert(record) is None
    assert "PID was reused by another process" in host.notices[-1][0]
    assert nice_of(pid) == 5 and host.records == []


async def test_threads_that_had_their_own_values_get_each_its_own_back(spawn_threaded: int) -> None:
    pid = spawn_threaded
    tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    os.setpriority(os.PRIO_PROCESS, tids[1], 3)  # one thread differs
    began = parse_pid_stat(Path(f"/proc/{pid}/stat").read_text()).start_time
    subject = Subject(Target(pid, began), "python3", "python3")
    host = ScriptedHost(6)
    flows = TuningFlows(host, FS())
    await flows.renice([subject])
    assert {nice_of(t) for t in tids} == {6}
    [done] = host.records
    assert done.old == "mixed" and done.no_undo is None
    others = " ".join(str(t) for t in tids if t != tids[1])
    assert done.undo_command == f"renice -n 0 -p {others}; renice -n 3 -p {tids[1]}"
    undone = await flows.revert(done)
    assert [nice_of(t) for t in tids] == [3 if t == tids[1] else 0 for t in tids]
    assert undone is not None and undone.ok and undone.command == done.undo_command
    assert undone.undo_command == f"renice -n 6 -p {' '.join(map(str, tids))}"  # all alike again


@needs_root
@pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")
async def test_each_threads_own_policy_and_affinity_come_back(spawn_threaded: int) -> None:
    pid = spawn_threaded
    tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    os.sched_setscheduler(tids[1], os.SCHED_FIFO, os.sched_param(7))
    os.sched_setaffinity(tids[2], {max(ONLINE)})
    began = parse_pid_stat(Path(f"/proc/{pid}/stat").read_text()).start_time
    subject = Subject(Target(pid, began), "python3", "python3")
    host = ScriptedHost(
        SchedulingChoice(os.SCHED_BATCH, 0, reset_on_fork=False, all_threads=True),
        AffinityChoice(frozenset({min(ONLINE)}), all_threads=True),
        True,  # a thread back to SCHED_FIFO, the process on every CPU: Y would ask, and so does undo
    )
    flows = TuningFlows(host, FS())
    await flows.scheduling([subject])
    await flows.affinity([subject], [])
    assert {os.sched_getscheduler(t) for t in tids} == {os.SCHED_BATCH}
    policy, affinity = host.records
    assert f"chrt -f -p 7 {tids[1]}" in (policy.undo_command or "")
    await flows.revert(affinity)
    await flows.revert(policy)
    assert [os.sched_getscheduler(t) for t in tids] == [
        os.SCHED_FIFO if t == tids[1] else os.SCHED_OTHER for t in tids
    ]
    assert os.sched_getparam(tids[1]).sched_priority == 7
    assert isinstance(host.asked[-1], AskConfirm) and "SCHED_FIFO priority 7" in host.asked[-1].question
    assert _affinity(tids[2]) == {max(ONLINE)} and _affinity(tids[0]) == ONLINE


@pytest.fixture
def spawn_threaded() -> Iterator[int]:
    code = (
        "import threading, time\n"
        "for _ in range(2):\n"
        "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc.pid
    proc.kill()
    proc.wait()
    proc.stdout.close()


async def test_a_value_changed_since_asks_first(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    pid = subject.target.pid
    host = ScriptedHost(5, False, True)
    flows = TuningFlows(host, FS())
    await flows.renice([subject])
    os.setpriority(os.PRIO_PROCESS, pid, 8)  # someone else, since
    assert await flows.revert(host.records[0]) is None  # asked, and told no
    question = host.asked[1]
    assert isinstance(question, AskConfirm)
    assert question.question == f"Set the nice of {pid} (sleep) back to 0?"
    assert "is 8 now, not the 5 perftop set" in question.reason
    assert nice_of(pid) == 8 and len(host.records) == 1
    undone = await flows.revert(host.records[0])  # asked again: yes
    assert undone is not None and (undone.old, undone.new) == ("8", "0") and nice_of(pid) == 0


# --- settings of the machine ---------------------------------------------------------------------------


@needs_root
async def test_undo_restores_vm_swappiness(tmp_path: Path) -> None:
    before = sysctl_n("vm.swappiness")
    new = "33" if before != "33" else "34"
    script = tmp_path / "tuning.sh"
    host = ScriptedHost()
    flows = TuningFlows(host, FS(), log_actions=script)
    try:
        done = await flows.apply_setting(SWAPPINESS, new)
        assert sysctl_n("vm.swappiness") == new
        assert done.undo_command == f"sysctl -w vm.swappiness={before}"
        undone = await flows.revert(done)
        assert sysctl_n("vm.swappiness") == before
        assert undone is not None and (undone.old, undone.new) == (new, before)
        assert host.records == [done, undone] and host.asked == []
        lines = script.read_text().splitlines()
        assert (
            f"sysctl -w vm.swappiness={new}" in lines and f"# undo: sysctl -w vm.swappiness={before}" in lines
        )
    finally:
        restore(SWAPPINESS.path, before)


@needs_root
async def test_a_setting_changed_since_asks_first() -> None:
    before = sysctl_n("vm.swappiness")
    host = ScriptedHost(True)
    flows = TuningFlows(host, FS())
    try:
        done = await flows.apply_setting(SWAPPINESS, "31")
        restore(SWAPPINESS.path, "32")  # someone else
        await flows.revert(done)
        [question] = host.asked
        assert isinstance(question, AskConfirm)
        assert question.question == f"Set vm.swappiness back to {before}?"
        assert "vm.swappiness is 32 now, not the 31 perftop set" in question.reason
        assert sysctl_n("vm.swappiness") == before
    finally:
        restore(SWAPPINESS.path, before)


def _loop_device() -> str | None:
    """A block device with a scheduler choice and read_ahead_kb (a loop device: idle, nobody's)."""
    for name in sorted(os.listdir("/sys/block"), reverse=True):
        queue = Path("/sys/block", name, "queue")
        if name.startswith("loop") and (queue / "scheduler").exists() and (queue / "read_ahead_kb").exists():
            choices = (queue / "scheduler").read_text().split()
            if len(choices) > 1:
                return name
    return None


@needs_root
async def test_undo_restores_a_devices_read_ahead_and_scheduler() -> None:
    name = _loop_device()
    if name is None:
        pytest.skip("no loop device with a choice of IO schedulers")
    queue = f"/sys/block/{name}/queue"
    ahead = Setting("file", f"{name} queue/read_ahead_kb", f"{queue}/read_ahead_kb", "device")
    scheduler = Setting("file", f"{name} queue/scheduler", f"{queue}/scheduler", "device")
    ahead_before = cat(ahead.path)
    scheduler_before = read_setting(scheduler)
    assert scheduler_before is not None
    other = next(c.strip("[]") for c in cat(scheduler.path).split() if not c.startswith("["))
    host = ScriptedHost()
    flows = TuningFlows(host, FS())
    try:
        set_ahead = await flows.apply_setting(ahead, "256" if ahead_before != "256" else "512")
        set_scheduler = await flows.apply_setting(scheduler, other)
        assert set_ahead.ok and set_scheduler.ok and f"[{other}]" in cat(scheduler.path)
        assert set_scheduler.undo_command == f"echo {scheduler_before} > {scheduler.path}"
        await flows.revert(set_scheduler)
        await flows.revert(set_ahead)
        assert cat(ahead.path) == ahead_before
        assert f"[{scheduler_before}]" in cat(scheduler.path)
        assert [r.result for r in host.records] == ["ok"] * 4
    finally:
        restore(ahead.path, ahead_before)
        restore(scheduler.path, scheduler_before)


# --- keep: the sysctl.d file ---------------------------------------------------------------------------


def _setting_record(when: float, setting: Setting, old: str, new: str) -> ActionRecord:
    result = SettingResult(setting, old, new, setting.command(new), setting.command(old))
    return ActionRecord.of(when, setting, setting.what, result, None)


DIRTY = Setting("sysctl", "vm.dirty_ratio", "/proc/sys/vm/dirty_ratio")
SDA = Setting("file", "sda queue/scheduler", "/sys/block/sda/queue/scheduler", "device")
SESSION = [
    _setting_record(1000.0, SWAPPINESS, "60", "10"),
    _setting_record(1001.0, DIRTY, "20", "40"),
    _setting_record(1002.0, SWAPPINESS, "10", "5"),
    _setting_record(1003.0, SDA, "mq-deadline", "none"),
    _setting_record(1004.0, DIRTY, "40", "20"),  # an undo: back where it was
]


def test_sysctl_conf_keeps_each_keys_final_value_in_order() -> None:
    text = sysctl_conf(SESSION, written=2000.0)
    assert text is not None
    lines = text.splitlines()
    assert lines[0].startswith("# perftop: the kernel settings changed since ")
    body = [line for line in lines if line and not line.startswith("#")]
    assert body == ["vm.swappiness = 5"]
    assert "# vm.dirty_ratio = 20: back to its value before the session, left out" in lines
    assert "# echo none > /sys/block/sda/queue/scheduler" in lines  # sysctl.d cannot hold it
    assert lines.index("vm.swappiness = 5") < lines.index("# echo none > /sys/block/sda/queue/scheduler")
    assert "/etc/sysctl.d/" in text and "sysctl -p" in text
    assert sysctl_conf([]) is None


async def test_w_writes_a_file_the_user_names(tmp_path: Path) -> None:
    path = tmp_path / "kept.conf"
    host = ScriptedHost(str(path))
    assert await TuningFlows(host, FS()).write_sysctl_conf(SESSION) == path
    [question] = host.asked
    assert isinstance(question, AskPath) and question.initial == SUGGESTED_CONF == "./perftop-sysctl.conf"
    assert "/etc" not in question.initial
    assert "vm.swappiness = 5\n" in path.read_text()
    # sysctl itself reads it back: the format is sysctl.d's.
    dry = subprocess.run(["sysctl", "-p", "--dry-run", str(path)], capture_output=True, text=True)
    if dry.returncode == 0:  # procps' --dry-run is recent
        assert dry.stdout.strip() == "vm.swappiness = 5"
    assert host.notices[-1][0].startswith(f"Wrote {path}")


async def test_a_path_that_cannot_be_written_is_explained_and_asked_again(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir.conf"
    exists = tmp_path / "exists.conf"
    exists.write_text("keep me\n")
    host = ScriptedHost(str(missing), str(tmp_path), str(exists), False, str(exists), True)
    path = await TuningFlows(host, FS()).write_sysctl_conf(SESSION)
    asked = host.asked
    assert [type(q).__name__ for q in asked] == [
        "AskPath",
        "AskPath",
        "AskPath",
        "AskConfirm",
        "AskPath",
        "AskConfirm",
    ]
    assert isinstance(asked[1], AskPath) and asked[1].initial == str(missing)
    assert asked[1].error == f"cannot write {missing}: there is no directory {missing.parent}"
    assert isinstance(asked[2], AskPath) and "it is a directory" in (asked[2].error or "")
    assert isinstance(asked[4], AskPath) and "exists" in (asked[4].error or "")  # not replaced: asked again
    assert path == exists and "vm.swappiness = 5" in exists.read_text()  # replaced once confirmed


def test_a_directory_perftop_may_not_write_is_explained(tmp_path: Path) -> None:
    if not IS_ROOT:
        pytest.skip("needs root to drop to another user")
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    os.chmod(tmp_path, 0o755)

    def work() -> dict[str, object]:
        import asyncio

        host = ScriptedHost(str(private / "x.conf"), None)
        asyncio.run(TuningFlows(host, FS()).write_sysctl_conf(SESSION))
        return {"refusal": getattr(host.asked[1], "error", None)}

    out = run_as_nobody(work)
    assert (
        out["refusal"]
        == f"cannot write {private}/x.conf: perftop (uid 65534) may not write there; choose another place"
    )


async def test_nothing_to_keep_asks_nothing() -> None:
    host = ScriptedHost()
    assert await TuningFlows(host, FS()).write_sysctl_conf([]) is None
    assert host.asked == [] and "nothing to write" in host.notices[-1][0]
