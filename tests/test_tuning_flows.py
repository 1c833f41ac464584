"""The tuning keys' flows without Textual: a host that answers their questions, on real children.

Each flow runs under :class:`ScriptedHost`, which answers each question with the next scripted answer and
keeps what the flow told it (notices, records, re-read PIDs). The flows act on real ``sleep`` children
through the tuning module, and the kernel is asked afterwards; current values are read through the FS the
flows were given, as a fixture tree shows.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from perftop.probes.fs import FS
from perftop.probes.processes import parse_pid_stat
from perftop.tui import tuning
from perftop.tui.action_records import SCRIPT_HEADER, Subject
from perftop.tui.tuning import Target
from perftop.tui.tuning_flows import (
    AffinityChoice,
    AskAffinity,
    AskIoPriority,
    AskNice,
    AskOomScore,
    AskScheduling,
    AskSignal,
    IoChoice,
    SchedulingChoice,
    TuningFlows,
    current_value,
)
from tests.scripted_host import ScriptedHost
from tests.unprivileged import NOBODY, run_as_nobody

pytestmark = pytest.mark.live

ONLINE = tuning.online_cpus() or frozenset()


@pytest.fixture
def sleepers() -> Iterator[Callable[..., Subject]]:
    """Starts ``sleep 60`` children (``Popen`` options given: ``user=``...), killed at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(**options: Any) -> Subject:
        proc = subprocess.Popen(["sleep", "60"], **options)
        started.append(proc)
        # The exec is done once /proc shows sleep's own command line.
        for _ in range(1000):
            if Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"sleep"):
                break
            time.sleep(0.005)
        stat = parse_pid_stat(Path(f"/proc/{proc.pid}/stat").read_text())
        return Subject(Target(proc.pid, stat.start_time), "sleep", "sleep 60")

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def nice_of(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


async def test_renice_asks_applies_records_rereads_and_reports(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    pid = subject.target.pid
    host = ScriptedHost(7)
    await TuningFlows(host, FS()).renice([subject])
    assert host.asked == [AskNice(f"process {pid}: sleep 60", "now: nice 0", 0)]
    assert nice_of(pid) == 7
    [record] = host.records
    assert (record.what, record.old, record.new, record.command, record.result) == (
        "nice",
        "0",
        "7",
        f"renice -n 7 -p {pid}",
        "ok",
    )
    # The record keeps the kernel's typed values (what undo needs), not only their text.
    assert record.applied is not None and (record.applied.old, record.applied.new) == (0, 7)
    assert record.subject == subject and record.ok
    assert host.reread_pids == [[pid]]
    assert host.notices == [(f"nice of {pid}: 0 -> 7  [renice -n 7 -p {pid}]", "information")]


async def test_a_cancelled_question_changes_nothing(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    host = ScriptedHost(None, None)
    flows = TuningFlows(host, FS())
    await flows.renice([subject])
    await flows.oom_score_adj([subject])
    assert [type(q) for q in host.asked] == [AskNice, AskOomScore]
    assert nice_of(subject.target.pid) == 0
    assert host.records == [] and host.notices == [] and host.reread_pids == []


async def test_the_signal_dialog_of_a_thread_row_names_the_process_it_signals() -> None:
    # A signal goes to the whole process: the dialog must not say "thread N ... only".
    thread = Subject(Target(4321, 99, tgid=4320), "worker", "server --port 80")
    host = ScriptedHost(None)
    await TuningFlows(host, FS()).send_signal([thread])
    (asked,) = host.asked
    assert isinstance(asked, AskSignal)
    assert asked.subjects == "process 4320, the whole process of thread 4321: server --port 80"
    assert host.records == []


async def test_tagged_subjects_each_get_a_record(sleepers: Callable[[], Subject]) -> None:
    a, b = sleepers(), sleepers()
    host = ScriptedHost(300)
    await TuningFlows(host, FS()).oom_score_adj([a, b])
    [question] = host.asked
    assert question == AskOomScore(
        f"2 tagged processes: {a.label}, {b.label}",
        f"now: OOM score adjustment {a.target.pid}: 0, {b.target.pid}: 0",
    )
    for s in (a, b):
        assert Path(f"/proc/{s.target.pid}/oom_score_adj").read_text().strip() == "300"
    assert [(r.subject, r.new) for r in host.records] == [(a, "300"), (b, "300")]
    assert host.reread_pids == [[a.target.pid, b.target.pid]]


async def test_an_exited_subject_is_refused_and_reported(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    os.kill(subject.target.pid, signal.SIGKILL)
    os.waitpid(subject.target.pid, 0)
    host = ScriptedHost()
    await TuningFlows(host, FS()).nice_step([subject], 1)
    [record] = host.records
    assert record.applied is None and not record.ok
    assert (record.old, record.new, record.command) == ("-", "-", "-")
    assert "has exited" in record.result
    [(message, severity)] = host.notices
    assert message == f"{subject.label}: {record.result}" and severity == "error"


async def test_nice_steps_pressed_together_apply_one_after_the_other(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    host = ScriptedHost()
    flows = TuningFlows(host, FS())
    await asyncio.gather(*(flows.nice_step([subject], 1) for _ in range(5)))
    assert nice_of(subject.target.pid) == 5
    assert [r.new for r in host.records] == ["1", "2", "3", "4", "5"]


async def test_scheduling_starts_at_the_current_policy_and_sets_batch(
    sleepers: Callable[[], Subject],
) -> None:
    subject = sleepers()
    pid = subject.target.pid
    host = ScriptedHost(SchedulingChoice(os.SCHED_BATCH, 0, reset_on_fork=False, all_threads=True))
    await TuningFlows(host, FS()).scheduling([subject])
    [question] = host.asked
    assert isinstance(question, AskScheduling)
    assert (question.current, question.policy, question.priority) == (
        "now: policy SCHED_OTHER",
        os.SCHED_OTHER,
        0,
    )
    assert os.sched_getscheduler(pid) == os.SCHED_BATCH
    assert host.records[0].command == f"chrt -a -b -p 0 {pid}"


async def test_rt_priority_of_a_normal_process_says_why_without_asking(
    sleepers: Callable[[], Subject],
) -> None:
    subject = sleepers()
    host = ScriptedHost()
    await TuningFlows(host, FS()).rt_priority([subject])
    assert host.asked == [] and host.records == []
    [(message, severity)] = host.notices
    assert "is SCHED_OTHER" in message and "press Y" in message and severity == "warning"


@pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")
async def test_affinity_asks_with_the_nodes_given_and_sets_it(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    pid = subject.target.pid
    host = ScriptedHost(AffinityChoice(frozenset({min(ONLINE)}), all_threads=True))
    await TuningFlows(host, FS()).affinity([subject], [(0, sorted(ONLINE))])
    [question] = host.asked
    assert isinstance(question, AskAffinity)
    assert question.online == ONLINE and question.initial == ONLINE
    assert question.nodes == ((0, tuple(sorted(ONLINE))),)
    assert os.sched_getaffinity(pid) == {min(ONLINE)}


async def test_ionice_asks_from_the_current_class(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    pid = subject.target.pid
    host = ScriptedHost(IoChoice("idle", None, all_threads=True))
    await TuningFlows(host, FS()).ionice([subject])
    [question] = host.asked
    assert isinstance(question, AskIoPriority) and question.current.startswith("now: IO priority ")
    assert int(psutil.Process(pid).ionice()[0]) == 3  # idle


async def test_send_signal_sends_the_answer(sleepers: Callable[[], Subject]) -> None:
    subject = sleepers()
    host = ScriptedHost("TERM")
    await TuningFlows(host, FS()).send_signal([subject])
    assert host.asked == [AskSignal(f"process {subject.target.pid}: sleep 60")]
    assert host.records[0].command == f"kill -TERM {subject.target.pid}"
    for _ in range(500):
        if (
            not psutil.pid_exists(subject.target.pid)
            or psutil.Process(subject.target.pid).status() == "zombie"
        ):
            break
        await asyncio.sleep(0.01)
    assert psutil.Process(subject.target.pid).status() == "zombie"  # terminated, not yet reaped


async def test_applied_commands_go_to_the_log_actions_script(
    sleepers: Callable[[], Subject], tmp_path: Path
) -> None:
    subject = sleepers()
    script = tmp_path / "tuning.sh"
    host = ScriptedHost(4)
    flows = TuningFlows(host, FS(), log_actions=script)
    await flows.renice([subject])
    os.kill(subject.target.pid, signal.SIGKILL)
    os.waitpid(subject.target.pid, 0)
    await flows.nice_step([subject], 1)  # refused: nothing to append
    pid, began = subject.target.pid, subject.target.start_time
    lines = script.read_text().splitlines()
    assert script.read_text().startswith(SCRIPT_HEADER)
    assert lines[-3].endswith(f"pid {pid} start time {began}: sleep 60")
    assert lines[-2] == f"renice -n 4 -p {pid}"
    assert lines[-1] == f"# undo: renice -n 0 -p {pid}"  # the undo beside it, a comment: replaying skips it
    assert len(host.records) == 2


async def test_an_unwritable_log_actions_script_is_reported(
    sleepers: Callable[[], Subject], tmp_path: Path
) -> None:
    subject = sleepers()
    host = ScriptedHost(3)
    await TuningFlows(host, FS(), log_actions=tmp_path / "missing" / "tuning.sh").renice([subject])
    assert nice_of(subject.target.pid) == 3 and len(host.records) == 1
    assert any(m.startswith("Cannot append to ") and s == "error" for m, s in host.notices)


# --- a real-time policy the user may not set is refused before any confirmation ------------------------


def _as_nobody(answer: object, flow: Callable[[TuningFlows], Any], pid: int) -> dict[str, Any]:
    """``flow`` run by uid 65534 (see :func:`tests.unprivileged.run_as_nobody`) under a host that answers
    ``answer`` and then yes to any confirmation: what it was asked and told, and the policy of ``pid``."""

    def work() -> dict[str, Any]:
        host = ScriptedHost(answer, True)
        asyncio.run(flow(TuningFlows(host, FS())))
        return {
            "asked": [type(q).__name__ for q in host.asked],
            "notices": host.notices,
            "results": [r.result for r in host.records],
            "policy": [os.sched_getscheduler(pid), os.sched_getparam(pid).sched_priority],
        }

    return run_as_nobody(work)


@pytest.fixture
def nobody_sleeper(sleepers: Callable[..., Subject]) -> Subject:
    if os.geteuid() != 0:
        pytest.skip("needs root to start a child as another user and drop to it")
    return sleepers(user=NOBODY, group=NOBODY, extra_groups=[])


def test_a_refused_real_time_policy_is_told_before_the_confirmation(nobody_sleeper: Subject) -> None:
    """Y, SCHED_FIFO 60 (a priority that asks for confirmation) by a user without CAP_SYS_NICE or
    RLIMIT_RTPRIO: the refusal is told and recorded, and no confirmation is asked."""
    choice = SchedulingChoice(os.SCHED_FIFO, 60, reset_on_fork=False, all_threads=True)
    out = _as_nobody(choice, lambda flows: flows.scheduling([nobody_sleeper]), nobody_sleeper.target.pid)
    assert out["asked"] == ["AskScheduling"]
    [result] = out["results"]
    assert "would be refused" in result and "RLIMIT_RTPRIO of at least 60" in result
    [(message, severity)] = out["notices"]
    assert "would be refused" in message and severity == "error"
    assert out["policy"] == [os.SCHED_OTHER, 0]


def test_a_refused_rt_priority_is_told_before_the_confirmation(nobody_sleeper: Subject) -> None:
    """R on a SCHED_FIFO 5 process of the same user, raising it to 60 past RLIMIT_RTPRIO 0."""
    tuning.set_policy(nobody_sleeper.target, os.SCHED_FIFO, 5)
    out = _as_nobody(60, lambda flows: flows.rt_priority([nobody_sleeper]), nobody_sleeper.target.pid)
    assert out["asked"] == ["AskRtPriority"]
    [result] = out["results"]
    assert "would be refused" in result and "RLIMIT_RTPRIO of at least 60" in result
    assert out["policy"] == [os.SCHED_FIFO, 5]


def test_current_values_are_read_through_the_fs(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    task = proc / "42" / "task" / "42"
    task.mkdir(parents=True)
    (proc / "42" / "oom_score_adj").write_text("123\n")
    fields = ["0"] * 50  # fields 3..52 of /proc/PID/stat
    fields[0], fields[16] = "S", "-5"  # state, nice (field 19)
    (task / "stat").write_text(f"42 (fake) {' '.join(fields)}\n")
    (task / "status").write_text("Name:\tfake\nCpus_allowed_list:\t0-3\n")
    fs = FS(procfs=proc, sysfs=tmp_path / "sys")
    assert current_value(fs, 42, "oom") == "123"
    assert current_value(fs, 42, "nice") == "-5"
    assert current_value(fs, 42, "affinity") == "0-3"
    assert current_value(fs, 43, "oom") == "exited"


def test_the_flows_module_loads_no_textual() -> None:
    code = (
        "import sys, perftop.tui.tuning_flows\n"
        "print(sorted(m for m in sys.modules if m.startswith(('textual', 'rich'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
