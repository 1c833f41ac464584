"""The tuning module on real child processes: each action changes what the kernel reports, or nothing.

Children are ``sleep 60`` and a Python child with three extra threads, killed by the fixtures. Refusals
are real: the action runs in a child process that dropped to uid/gid 65534 (``nobody``), on a child of
its own or on one of root's, and the kernel's answer must come back as the explaining message.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perftop.probes.cgroup import read_rt_budget
from perftop.probes.cpulist import format_cpu_list, format_cpu_mask
from perftop.probes.fs import FS
from perftop.probes.processes import parse_pid_stat
from perftop.tui import tuning
from perftop.tui.tuning import (
    MIXED,
    IoPriority,
    Scheduling,
    Target,
    TuningError,
    TuningResult,
    describe_nice_limit,
    needs_rt_confirmation,
    parse_cpu_spec,
    parse_io_level,
    parse_nice,
    parse_oom_score_adj,
    parse_rt_priority,
    renice,
    send_signal,
    set_affinity,
    set_ionice,
    set_oom_score_adj,
    set_policy,
    thread_values,
    tuning_allowed,
)
from tests import unprivileged
from tests.children import wait_until
from tests.unprivileged import NOBODY

ROOT = Path(__file__).resolve().parents[1]
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root")
ONLINE = tuning.online_cpus() or frozenset()
needs_two_cpus = pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")

THREADED_CHILD = """
import threading, time
for _ in range(3):
    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
print("ready", flush=True)
time.sleep(60)
"""


# --- helpers and fixtures ---------------------------------------------------------------------------


def target_of(pid: int) -> Target:
    return Target(pid, parse_pid_stat(Path(f"/proc/{pid}/stat").read_text()).start_time)


def tids_of(pid: int) -> list[int]:
    return sorted(int(n) for n in os.listdir(f"/proc/{pid}/task"))


def nice_of(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


def policy_of(tid: int) -> tuple[int, int]:
    return os.sched_getscheduler(tid), os.sched_getparam(tid).sched_priority


def affinity_of(tid: int) -> frozenset[int]:
    return frozenset(os.sched_getaffinity(tid))


def ionice_of(tid: int) -> tuple[int, int]:
    ioclass, level = psutil.Process(tid).ionice()
    return int(ioclass), level


def oom_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/oom_score_adj").read_text())


def state_of(pid: int) -> str:
    return parse_pid_stat(Path(f"/proc/{pid}/stat").read_text()).state


def has_capability(bit: int) -> bool:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> bit & 1)
    return False


def stop(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start children; every one is killed and reaped at teardown."""
    started: list[subprocess.Popen[str]] = []

    def start(argv: list[str], **kwargs: object) -> subprocess.Popen[str]:
        proc = subprocess.Popen(argv, text=True, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        return proc

    yield start
    for proc in started:
        stop(proc)


@pytest.fixture
def sleeper(spawn: Callable[..., subprocess.Popen[str]]) -> Target:
    proc = spawn(["sleep", "60"])
    assert wait_until(lambda: Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"sleep"))
    assert wait_until(lambda: state_of(proc.pid) == "S")  # asleep, so later state checks are exact
    return target_of(proc.pid)


@pytest.fixture
def threaded(spawn: Callable[..., subprocess.Popen[str]]) -> Target:
    """A Python child with its main thread and three sleeping threads (4 tasks)."""
    proc = spawn([sys.executable, "-c", THREADED_CHILD], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    assert len(tids_of(proc.pid)) == 4
    return target_of(proc.pid)


@pytest.fixture
def gone(spawn: Callable[..., subprocess.Popen[str]]) -> Target:
    """The identity of a child that has exited and been reaped."""
    proc = spawn(["sleep", "60"])
    target = target_of(proc.pid)
    stop(proc)
    return target


@pytest.fixture
def zombie(spawn: Callable[..., subprocess.Popen[str]]) -> Target:
    """A child killed but not reaped: its /proc entry is still there, state Z."""
    proc = spawn(["sleep", "60"])
    target = target_of(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    assert wait_until(lambda: state_of(proc.pid) == "Z")
    return target


@pytest.fixture
def nobody_sleeper(spawn: Callable[..., subprocess.Popen[str]]) -> Target:
    if not IS_ROOT:
        pytest.skip("needs root to start a child as another user")
    proc = spawn(["sleep", "60"], user=NOBODY, group=NOBODY, extra_groups=[])
    assert wait_until(lambda: Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"sleep"))
    return target_of(proc.pid)


def run_as_nobody(
    action: Callable[[Target], TuningResult], read: Callable[[int], object], target: Target | None = None
) -> dict[str, Any]:
    """``action`` run by uid 65534 (see :func:`tests.unprivileged.run_as_nobody`), on ``target`` or else
    on a sleep child of its own, which inherits its limits: ``read`` of the target before and after, and
    the result (``done``) or the refusal (``refused``)."""

    def work() -> dict[str, Any]:
        child = None
        nonlocal target
        if target is None:
            child = subprocess.Popen(["sleep", "60"])
            assert wait_until(lambda: Path(f"/proc/{child.pid}/cmdline").read_bytes().startswith(b"sleep"))
            target = target_of(child.pid)
        try:
            out: dict[str, Any] = {"before": read(target.pid)}
            try:
                out["done"] = action(target).describe()
            except TuningError as exc:
                out["refused"] = str(exc)
            out["after"] = read(target.pid)
            return out
        finally:
            if child is not None:
                stop(child)

    return unprivileged.run_as_nobody(work)


# --- one process: each action changes the kernel's view ---------------------------------------------


@pytest.mark.live
def test_renice_sets_nice_and_reads_it_back(sleeper: Target) -> None:
    result = renice(sleeper, 5)
    assert nice_of(sleeper.pid) == 5
    assert (result.what, result.old, result.new) == ("nice", 0, 5)
    assert result.command == f"renice -n 5 -p {sleeper.pid}"
    assert result.ok and result.tids == (sleeper.pid,)
    assert renice(sleeper, 12).old == 5
    assert nice_of(sleeper.pid) == 12


@pytest.mark.live
@needs_root
def test_renice_lowers_nice_as_root(sleeper: Target) -> None:
    result = renice(sleeper, -5)
    assert nice_of(sleeper.pid) == -5
    assert result.new == -5


@pytest.mark.live
@needs_root
def test_set_policy_fifo_main_thread(sleeper: Target) -> None:
    result = set_policy(sleeper, os.SCHED_FIFO, 50, all_threads=False)
    assert policy_of(sleeper.pid) == (os.SCHED_FIFO, 50)
    assert result.old == Scheduling(os.SCHED_OTHER, 0)
    assert result.new == Scheduling(os.SCHED_FIFO, 50)
    assert result.command == f"chrt -f -p 50 {sleeper.pid}"


@pytest.mark.live
@needs_root
def test_set_policy_rr_with_reset_on_fork(sleeper: Target) -> None:
    result = set_policy(sleeper, os.SCHED_RR, 10, reset_on_fork=True)
    assert policy_of(sleeper.pid) == (os.SCHED_RR | os.SCHED_RESET_ON_FORK, 10)
    assert result.new == Scheduling(os.SCHED_RR, 10, reset_on_fork=True)
    assert result.command == f"chrt -a -R -r -p 10 {sleeper.pid}"
    back = set_policy(sleeper, os.SCHED_OTHER, 0)
    assert policy_of(sleeper.pid) == (os.SCHED_OTHER, 0)
    assert back.old == Scheduling(os.SCHED_RR, 10, reset_on_fork=True)
    assert back.command == f"chrt -a -o -p 0 {sleeper.pid}"


@pytest.mark.live
@pytest.mark.parametrize(("policy", "option"), [(os.SCHED_BATCH, "-b"), (os.SCHED_IDLE, "-i")])
def test_set_policy_batch_and_idle(sleeper: Target, policy: int, option: str) -> None:
    result = set_policy(sleeper, policy)
    assert policy_of(sleeper.pid) == (policy, 0)
    assert result.new == Scheduling(policy, 0)
    assert result.command == f"chrt -a {option} -p 0 {sleeper.pid}"


@pytest.mark.live
@needs_two_cpus
@pytest.mark.parametrize("all_threads", [True, False])
def test_set_affinity_one_cpu(sleeper: Target, all_threads: bool) -> None:
    cpu = max(ONLINE)
    before = affinity_of(sleeper.pid)
    result = set_affinity(sleeper, {cpu}, all_threads=all_threads)
    assert affinity_of(sleeper.pid) == {cpu}
    assert (result.old, result.new, result.note) == (before, frozenset({cpu}), None)
    flag = "-a " if all_threads else ""
    assert result.command == f"taskset {flag}-p -c {cpu} {sleeper.pid}"


@pytest.mark.live
def test_set_affinity_back_to_every_online_cpu(sleeper: Target) -> None:
    set_affinity(sleeper, {min(ONLINE)})
    result = set_affinity(sleeper, ONLINE)
    assert affinity_of(sleeper.pid) == ONLINE
    assert result.command == f"taskset -a -p -c {format_cpu_list(ONLINE)} {sleeper.pid}"


@pytest.mark.live
@pytest.mark.parametrize(
    ("ioclass", "level", "expected", "option"),
    [
        ("best-effort", 4, (psutil.IOPRIO_CLASS_BE, 4), "-c 2 -n 4"),
        ("best-effort", 0, (psutil.IOPRIO_CLASS_BE, 0), "-c 2 -n 0"),
        ("idle", None, (psutil.IOPRIO_CLASS_IDLE, 0), "-c 3"),
        pytest.param(
            "realtime", 3, (psutil.IOPRIO_CLASS_RT, 3), "-c 1 -n 3", marks=needs_root, id="realtime-3"
        ),
    ],
)
def test_set_ionice(
    sleeper: Target, ioclass: str, level: int | None, expected: tuple[int, int], option: str
) -> None:
    result = set_ionice(sleeper, ioclass, level)
    assert ionice_of(sleeper.pid) == expected
    assert result.new == IoPriority(ioclass, level)
    assert result.command == f"ionice {option} -p {sleeper.pid}"


@pytest.mark.live
def test_set_ionice_back_to_none(sleeper: Target) -> None:
    set_ionice(sleeper, "idle")
    result = set_ionice(sleeper, "none")
    assert ionice_of(sleeper.pid)[0] == psutil.IOPRIO_CLASS_NONE
    assert (result.old, result.new) == (IoPriority("idle"), IoPriority("none"))
    assert result.command == f"ionice -c 0 -p {sleeper.pid}"


@pytest.mark.live
def test_set_oom_score_adj_raises_it(sleeper: Target) -> None:
    result = set_oom_score_adj(sleeper, 500)
    assert oom_of(sleeper.pid) == 500
    assert (result.old, result.new) == (0, 500)
    assert result.command == f"echo 500 > /proc/{sleeper.pid}/oom_score_adj"
    # Back down to the floor needs no capability.
    assert set_oom_score_adj(sleeper, 0).new == 0
    assert oom_of(sleeper.pid) == 0


@pytest.mark.live
@pytest.mark.skipif(not has_capability(24), reason="needs CAP_SYS_RESOURCE (containers drop it)")
def test_set_oom_score_adj_lowers_it_with_cap_sys_resource(sleeper: Target) -> None:
    result = set_oom_score_adj(sleeper, -500)
    assert oom_of(sleeper.pid) == -500
    assert result.new == -500


@pytest.mark.live
@pytest.mark.skipif(has_capability(24), reason="this caller has CAP_SYS_RESOURCE")
def test_set_oom_score_adj_below_floor_refused_without_cap_sys_resource(sleeper: Target) -> None:
    with pytest.raises(TuningError, match="CAP_SYS_RESOURCE"):
        set_oom_score_adj(sleeper, -500)
    assert oom_of(sleeper.pid) == 0


@pytest.mark.live
def test_send_signal_term(spawn: Callable[..., subprocess.Popen[str]]) -> None:
    proc = spawn(["sleep", "60"])
    target = target_of(proc.pid)
    result = send_signal(target, "TERM")
    assert proc.wait(timeout=5) == -signal.SIGTERM
    assert result.command == f"kill -TERM {proc.pid}"
    assert result.new == "SIGTERM"


@pytest.mark.live
def test_send_signal_stop_and_cont(sleeper: Target) -> None:
    assert send_signal(sleeper, signal.SIGSTOP).command == f"kill -STOP {sleeper.pid}"
    assert wait_until(lambda: state_of(sleeper.pid) == "T")
    send_signal(sleeper, int(signal.SIGCONT))
    assert wait_until(lambda: state_of(sleeper.pid) == "S")


# --- every thread, or the main thread only ----------------------------------------------------------


PerThread = tuple[Callable[[Target, bool], TuningResult], Callable[[int], object], object]
PER_THREAD: dict[str, PerThread] = {
    "nice": (lambda t, a: renice(t, 7, all_threads=a), nice_of, 7),
    "batch": (lambda t, a: set_policy(t, os.SCHED_BATCH, all_threads=a), policy_of, (os.SCHED_BATCH, 0)),
    "ionice": (lambda t, a: set_ionice(t, "best-effort", 6, all_threads=a), ionice_of, (2, 6)),
    "affinity": (lambda t, a: set_affinity(t, {max(ONLINE)}, all_threads=a), affinity_of, {max(ONLINE)}),
    "rr": (lambda t, a: set_policy(t, os.SCHED_RR, 20, all_threads=a), policy_of, (os.SCHED_RR, 20)),
}


def _per_thread_case(name: str) -> object:
    marks = []
    if name == "rr":
        marks.append(needs_root)
    if name == "affinity":
        marks.append(needs_two_cpus)
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.live
@pytest.mark.parametrize("name", [_per_thread_case(n) for n in PER_THREAD])
def test_action_applies_to_every_thread(threaded: Target, name: str) -> None:
    action, read, expected = PER_THREAD[name]
    tids = tids_of(threaded.pid)
    assert read(threaded.pid) != expected
    result = action(threaded, True)
    assert {tid: read(tid) for tid in tids} == dict.fromkeys(tids, expected)
    assert result.tids == tuple(tids)
    assert result.ok and not result.mixed_before and not result.mixed_after


@pytest.mark.live
@pytest.mark.parametrize("name", [_per_thread_case(n) for n in PER_THREAD])
def test_action_on_main_thread_only(threaded: Target, name: str) -> None:
    action, read, expected = PER_THREAD[name]
    tids = tids_of(threaded.pid)
    before = {tid: read(tid) for tid in tids}
    result = action(threaded, False)
    assert read(threaded.pid) == expected
    assert {tid: read(tid) for tid in tids if tid != threaded.pid} == {
        tid: value for tid, value in before.items() if tid != threaded.pid
    }
    assert result.tids == (threaded.pid,)
    assert result.mixed_after and not result.mixed_before


@pytest.mark.live
def test_renice_command_names_every_thread(threaded: Target) -> None:
    # renice has no all-threads option: the exact equivalent lists every task.
    tids = tids_of(threaded.pid)
    assert renice(threaded, 3).command == "renice -n 3 -p " + " ".join(map(str, tids))
    assert set_ionice(threaded, "idle").command == "ionice -c 3 -p " + " ".join(map(str, tids))
    assert set_policy(threaded, os.SCHED_BATCH).command == f"chrt -a -b -p 0 {threaded.pid}"


@pytest.mark.live
def test_thread_values_show_mixed_where_threads_differ(threaded: Target) -> None:
    values = thread_values(threaded.pid)
    assert values is not None
    assert [t.tid for t in values.threads] == tids_of(threaded.pid)
    assert (values.nice, values.policy, values.rt_priority) == (0, "SCHED_OTHER", 0)
    assert values.affinity == affinity_of(threaded.pid)

    renice(threaded, 4, all_threads=False)
    set_policy(threaded, os.SCHED_IDLE, all_threads=False)
    values = thread_values(threaded.pid)
    assert values is not None
    assert (values.nice, values.policy, values.rt_priority) == (MIXED, MIXED, 0)
    by_tid = {t.tid: t for t in values.threads}
    assert (by_tid[threaded.pid].nice, by_tid[threaded.pid].policy) == (4, os.SCHED_IDLE)

    result = renice(threaded, 4)
    assert result.mixed_before and not result.mixed_after
    values = thread_values(threaded.pid)
    assert values is not None and values.nice == 4


@pytest.mark.live
def test_thread_values_of_a_gone_process(gone: Target) -> None:
    assert thread_values(gone.pid) is None


def _stat_line(tid: int, nice: int, policy: int, rtprio: int) -> str:
    # Fields 3..52 of /proc/PID/stat; man 5 proc numbers them from 1.
    fields = ["0"] * 50
    fields[0] = "S"
    fields[16] = str(nice)  # field 19
    fields[17] = "4"  # field 20, num_threads
    fields[19] = "5000"  # field 22, start_time
    fields[37] = str(rtprio)  # field 40
    fields[38] = str(policy)  # field 41
    return f"{tid} (worker) " + " ".join(fields) + "\n"


def test_thread_values_on_a_fixture_tree(tmp_path: Path) -> None:
    threads = {100: (0, 0, 0, "0-3"), 101: (5, 0, 0, "0-3"), 102: (0, 1, 10, "2")}
    for tid, (nice, policy, rtprio, cpus) in threads.items():
        task = tmp_path / "100" / "task" / str(tid)
        task.mkdir(parents=True)
        (task / "stat").write_text(_stat_line(tid, nice, policy, rtprio))
        (task / "status").write_text(f"Name:\tworker\nCpus_allowed_list:\t{cpus}\n")
    values = thread_values(100, FS(procfs=tmp_path))
    assert values is not None
    assert [t.tid for t in values.threads] == [100, 101, 102]
    assert (values.nice, values.policy, values.rt_priority, values.affinity) == (MIXED, MIXED, MIXED, MIXED)
    assert values.threads[2].affinity == frozenset({2})
    assert values.threads[2].policy == os.SCHED_FIFO
    assert thread_values(999, FS(procfs=tmp_path)) is None


# --- invalid values raise and change nothing --------------------------------------------------------


@pytest.mark.live
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (20, "-20 to 19"),
        (-21, "-20 to 19"),
        (30, "out of range"),
        (True, "whole number"),
        ("5", "whole number"),
    ],
)
def test_renice_rejects_out_of_range(sleeper: Target, value: object, message: str) -> None:
    with pytest.raises(TuningError, match=message):
        renice(sleeper, value)  # type: ignore[arg-type]
    assert nice_of(sleeper.pid) == 0


@pytest.mark.live
@pytest.mark.parametrize(
    ("policy", "priority", "message"),
    [
        (os.SCHED_FIFO, 0, "from 1 to 99"),
        (os.SCHED_RR, 100, "from 1 to 99"),
        (os.SCHED_OTHER, 5, "from 0 to 0"),
        (os.SCHED_IDLE, 1, "from 0 to 0"),
        (tuning.SCHED_DEADLINE, 0, "does not set SCHED_DEADLINE"),
        (4, 0, "unknown scheduling policy"),
    ],
)
def test_set_policy_rejects_invalid(sleeper: Target, policy: int, priority: int, message: str) -> None:
    with pytest.raises(TuningError, match=message):
        set_policy(sleeper, policy, priority)
    assert policy_of(sleeper.pid) == (os.SCHED_OTHER, 0)


@pytest.mark.live
@pytest.mark.parametrize(
    ("cpus", "message"),
    [
        (set(), "empty CPU set"),
        ({max(ONLINE, default=0) + 1}, "not online"),
        ({0, 4096}, "not online"),
        ({-1}, "not online"),
        ({"0"}, "whole numbers"),
    ],
)
def test_set_affinity_rejects_invalid(sleeper: Target, cpus: set[object], message: str) -> None:
    before = affinity_of(sleeper.pid)
    with pytest.raises(TuningError, match=message):
        set_affinity(sleeper, cpus)  # type: ignore[arg-type]
    assert affinity_of(sleeper.pid) == before


@pytest.mark.live
@pytest.mark.parametrize(
    ("ioclass", "level", "message"),
    [
        ("bulk", None, "unknown IO class"),
        ("best-effort", 8, "from 0 to 7"),
        ("realtime", -1, "from 0 to 7"),
        ("best-effort", None, "needs a level"),
        ("idle", 3, "takes no level"),
        ("none", 0, "takes no level"),
    ],
)
def test_set_ionice_rejects_invalid(sleeper: Target, ioclass: str, level: int | None, message: str) -> None:
    before = ionice_of(sleeper.pid)
    with pytest.raises(TuningError, match=message):
        set_ionice(sleeper, ioclass, level)
    assert ionice_of(sleeper.pid) == before


@pytest.mark.live
@pytest.mark.parametrize("value", [1001, -1001, 5000])
def test_set_oom_score_adj_rejects_out_of_range(sleeper: Target, value: int) -> None:
    with pytest.raises(TuningError, match="-1000 to 1000"):
        set_oom_score_adj(sleeper, value)
    assert oom_of(sleeper.pid) == 0


@pytest.mark.live
@pytest.mark.parametrize("sig", ["FOO", 0, 99, "SIGSEGV", True])
def test_send_signal_rejects_unknown(sleeper: Target, sig: object) -> None:
    with pytest.raises(TuningError, match="unknown signal"):
        send_signal(sleeper, sig)  # type: ignore[arg-type]
    assert state_of(sleeper.pid) == "S"


# --- the identity check: gone, zombie, reused -------------------------------------------------------


ACTIONS: dict[str, Callable[[Target], TuningResult]] = {
    "renice": lambda t: renice(t, 5),
    "policy": lambda t: set_policy(t, os.SCHED_BATCH),
    "affinity": lambda t: set_affinity(t, {min(ONLINE)}),
    "ionice": lambda t: set_ionice(t, "idle"),
    "oom": lambda t: set_oom_score_adj(t, 100),
    "signal": lambda t: send_signal(t, "TERM"),
}


@pytest.mark.live
@pytest.mark.parametrize("action", ACTIONS)
def test_exited_process_is_refused(gone: Target, action: str) -> None:
    with pytest.raises(TuningError, match="has exited"):
        ACTIONS[action](gone)


@pytest.mark.live
@pytest.mark.parametrize("action", ACTIONS)
def test_zombie_is_refused(zombie: Target, action: str) -> None:
    with pytest.raises(TuningError, match="has exited"):
        ACTIONS[action](zombie)


@pytest.mark.live
@pytest.mark.parametrize("action", ACTIONS)
def test_reused_pid_is_refused_and_nothing_changes(sleeper: Target, action: str) -> None:
    stale = Target(sleeper.pid, sleeper.start_time - 1)
    before = (nice_of(sleeper.pid), policy_of(sleeper.pid), affinity_of(sleeper.pid), ionice_of(sleeper.pid))
    with pytest.raises(TuningError, match="PID was reused"):
        ACTIONS[action](stale)
    assert state_of(sleeper.pid) == "S"
    after = (nice_of(sleeper.pid), policy_of(sleeper.pid), affinity_of(sleeper.pid), ionice_of(sleeper.pid))
    assert after == before
    assert oom_of(sleeper.pid) == 0


@pytest.mark.parametrize("pid", [0, -1, -os.getpgrp()])
@pytest.mark.parametrize("action", ACTIONS)
def test_non_pids_are_refused(pid: int, action: str) -> None:
    # 0 and negative numbers mean "myself" or "a process group" to the syscalls.
    with pytest.raises(TuningError, match="not a process ID"):
        ACTIONS[action](Target(pid, 0))


# --- SCHED_DEADLINE ---------------------------------------------------------------------------------


@pytest.fixture
def deadline_task(spawn: Callable[..., subprocess.Popen[str]]) -> Target:
    if not IS_ROOT:
        pytest.skip("needs root to start a SCHED_DEADLINE task")
    argv = ["chrt", "-d", "-T", "1000000", "-D", "10000000", "-P", "10000000", "0", "sleep", "60"]
    proc = spawn(argv, stderr=subprocess.DEVNULL)
    running = wait_until(
        lambda: proc.poll() is None and os.sched_getscheduler(proc.pid) == tuning.SCHED_DEADLINE
    )
    if not running:
        pytest.skip("this kernel refused SCHED_DEADLINE")
    return target_of(proc.pid)


@pytest.mark.live
def test_deadline_task_policy_is_not_changed(deadline_task: Target) -> None:
    with pytest.raises(TuningError, match="runs SCHED_DEADLINE") as info:
        set_policy(deadline_task, os.SCHED_FIFO, 10)
    assert "IO priority" in str(info.value) and "signals" in str(info.value)
    assert os.sched_getscheduler(deadline_task.pid) == tuning.SCHED_DEADLINE


@pytest.mark.live
@needs_two_cpus
def test_deadline_task_affinity_ebusy_is_explained(deadline_task: Target) -> None:
    before = affinity_of(deadline_task.pid)
    with pytest.raises(TuningError, match=r"SCHED_DEADLINE.*root domain"):
        set_affinity(deadline_task, {min(ONLINE)})
    assert affinity_of(deadline_task.pid) == before


@pytest.mark.live
def test_deadline_task_still_takes_ionice_and_oom(deadline_task: Target) -> None:
    set_ionice(deadline_task, "best-effort", 2)
    set_oom_score_adj(deadline_task, 200)
    assert ionice_of(deadline_task.pid) == (psutil.IOPRIO_CLASS_BE, 2)
    assert oom_of(deadline_task.pid) == 200


# --- real refusals, as an unprivileged user ---------------------------------------------------------


@pytest.mark.live
def test_unprivileged_lowering_nice_names_cap_sys_nice_and_rlimit_nice() -> None:
    out = run_as_nobody(lambda t: renice(t, -5), nice_of)
    message = out["refused"]
    assert isinstance(message, str)
    assert "CAP_SYS_NICE" in message and "RLIMIT_NICE" in message
    assert "is 0, so without CAP_SYS_NICE its nice value can only be raised" in message
    assert out["before"] == out["after"] == 0


@pytest.mark.live
def test_unprivileged_raising_own_nice_is_allowed() -> None:
    out = run_as_nobody(lambda t: renice(t, 5), nice_of)
    assert "done" in out, out
    assert (out["before"], out["after"]) == (0, 5)


@pytest.mark.live
def test_unprivileged_renice_of_another_users_process(sleeper: Target) -> None:
    out = run_as_nobody(lambda t: renice(t, 5), nice_of, sleeper)
    message = out["refused"]
    assert isinstance(message, str)
    assert "belongs to uid 0" in message and "CAP_SYS_NICE" in message
    assert nice_of(sleeper.pid) == 0


@pytest.mark.live
def test_unprivileged_rt_policy_names_rlimit_rtprio_and_cap_sys_nice() -> None:
    out = run_as_nobody(lambda t: set_policy(t, os.SCHED_FIFO, 10), os.sched_getscheduler)
    message = out["refused"]
    assert isinstance(message, str)
    assert "RLIMIT_RTPRIO" in message and "CAP_SYS_NICE" in message and "is 0" in message
    assert out["before"] == out["after"] == os.SCHED_OTHER


def _rt_refusal_told(policy: int, priority: int) -> Callable[[Target], TuningResult]:
    """What :func:`tuning.rt_refusal` says, as the refusal a run as nobody reports (``allowed``: nothing)."""

    def action(target: Target) -> TuningResult:
        raise TuningError(tuning.rt_refusal(target, policy, priority) or "allowed")

    return action


@pytest.mark.live
def test_unprivileged_rt_policy_is_known_refused_up_front() -> None:
    out = run_as_nobody(_rt_refusal_told(os.SCHED_FIFO, 10), os.sched_getscheduler)
    message = str(out["refused"])
    assert "would be refused" in message
    assert "RLIMIT_RTPRIO of at least 10" in message and "is 0" in message and "CAP_SYS_NICE" in message
    assert out["before"] == out["after"] == os.SCHED_OTHER


@pytest.mark.live
@pytest.mark.parametrize(
    ("policy", "priority", "allowed"),
    [
        (os.SCHED_FIFO, 10, True),  # lowering its own real-time priority
        (os.SCHED_FIFO, 30, True),
        (os.SCHED_FIFO, 31, False),  # raising it past RLIMIT_RTPRIO 0
        (os.SCHED_RR, 10, False),  # another real-time policy, with RLIMIT_RTPRIO 0
        (os.SCHED_OTHER, 0, True),
    ],
)
def test_rt_refusal_agrees_with_the_kernel(
    nobody_sleeper: Target, policy: int, priority: int, allowed: bool
) -> None:
    """A process of uid 65534 made SCHED_FIFO 30 by root: that user, without CAP_SYS_NICE and with
    RLIMIT_RTPRIO 0, may only lower its priority. What perftop says up front is what the kernel does."""
    set_policy(nobody_sleeper, os.SCHED_FIFO, 30)
    told = run_as_nobody(_rt_refusal_told(policy, priority), policy_of, nobody_sleeper)["refused"]
    assert (told == "allowed") is allowed, told
    kernel = run_as_nobody(lambda t: set_policy(t, policy, priority), policy_of, nobody_sleeper)
    assert ("done" in kernel) is allowed, kernel
    assert policy_of(nobody_sleeper.pid) == ((policy, priority) if allowed else (os.SCHED_FIFO, 30))


@pytest.mark.live
def test_rt_refusal_lets_root_and_other_policies_pass(sleeper: Target) -> None:
    if not IS_ROOT:
        pytest.skip("needs root (CAP_SYS_NICE)")
    assert tuning.rt_refusal(sleeper, os.SCHED_FIFO, 99) is None
    assert tuning.rt_refusal(sleeper, os.SCHED_BATCH, 0) is None


def _per_cpu_kernel_thread() -> Target | None:
    """A ksoftirqd/N or migration/N thread: PF_NO_SETAFFINITY set in its stat flags."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = parse_pid_stat(Path(f"/proc/{name}/stat").read_text())
        except (OSError, ValueError):
            continue
        bound = stat.flags is not None and stat.flags & tuning.PF_NO_SETAFFINITY
        if bound and stat.comm.startswith(("ksoftirqd/", "migration/")):
            return Target(stat.pid, stat.start_time)
    return None


@needs_two_cpus
def test_a_per_cpu_kernel_thread_is_bound_to_its_cpu_by_the_kernel() -> None:
    """The kernel refuses any affinity for it (EINVAL, even to root): the reason is the thread, not a
    cpuset."""
    target = _per_cpu_kernel_thread()
    if target is None:
        pytest.skip("no per-CPU kernel thread (ksoftirqd/N, migration/N) is visible in this PID namespace")
    before = affinity_of(target.pid)
    elsewhere = ONLINE - before or ONLINE
    with pytest.raises(TuningError) as info:
        set_affinity(target, elsewhere, all_threads=False)
    message = str(info.value)
    assert f"process {target.pid} is bound to its CPU by the kernel" in message
    assert "cpuset" not in message
    assert affinity_of(target.pid) == before


@pytest.mark.live
def test_unprivileged_affinity_of_another_users_process(sleeper: Target) -> None:
    before = affinity_of(sleeper.pid)
    out = run_as_nobody(
        lambda t: set_affinity(t, {min(ONLINE)}), lambda pid: sorted(affinity_of(pid)), sleeper
    )
    assert "CAP_SYS_NICE" in str(out["refused"])
    assert affinity_of(sleeper.pid) == before


@pytest.mark.live
def test_unprivileged_realtime_io_class() -> None:
    out = run_as_nobody(lambda t: set_ionice(t, "realtime", 0), lambda pid: ionice_of(pid)[0])
    assert "CAP_SYS_ADMIN or CAP_SYS_NICE" in str(out["refused"])
    assert out["before"] == out["after"] == psutil.IOPRIO_CLASS_NONE


@pytest.mark.live
def test_unprivileged_negative_oom_score_adj_names_cap_sys_resource() -> None:
    out = run_as_nobody(lambda t: set_oom_score_adj(t, -500), oom_of)
    assert "CAP_SYS_RESOURCE" in str(out["refused"])
    assert out["before"] == out["after"] == 0


@pytest.mark.live
def test_unprivileged_oom_score_adj_of_another_users_process(sleeper: Target) -> None:
    out = run_as_nobody(lambda t: set_oom_score_adj(t, 500), oom_of, sleeper)
    assert "belongs to uid 0" in str(out["refused"])
    assert oom_of(sleeper.pid) == 0


@pytest.mark.live
def test_unprivileged_signal_to_another_users_process(sleeper: Target) -> None:
    out = run_as_nobody(lambda t: send_signal(t, "KILL"), state_of, sleeper)
    message = str(out["refused"])
    assert "belongs to uid 0" in message and "CAP_KILL" in message
    assert state_of(sleeper.pid) == "S"


@pytest.mark.live
def test_root_acts_on_another_users_process(nobody_sleeper: Target) -> None:
    renice(nobody_sleeper, -3)
    set_oom_score_adj(nobody_sleeper, 300)
    assert (nice_of(nobody_sleeper.pid), oom_of(nobody_sleeper.pid)) == (-3, 300)


# --- a real-time budget of 0 refuses RT even to root ------------------------------------------------


def _cpu_cgroup_mount() -> Path | None:
    for line in Path("/proc/self/mounts").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "cgroup" and "cpu" in fields[3].split(","):
            return Path(fields[1])
    return None


@pytest.fixture
def zero_budget_cgroup(spawn: Callable[..., subprocess.Popen[str]]) -> Iterator[tuple[Target, Path]]:
    """A sleeper in a fresh cgroup v1 ``cpu`` group (new groups start with ``cpu.rt_runtime_us`` 0)."""
    mount = _cpu_cgroup_mount()
    if not IS_ROOT or mount is None or not (mount / "cpu.rt_runtime_us").exists():
        pytest.skip("needs root and a cgroup v1 cpu controller with RT group scheduling")
    group = mount / f"perftop-test-{os.getpid()}"
    try:
        group.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot create a cpu cgroup: {exc}")
    proc = spawn(["sleep", "60"])
    try:
        (group / "cgroup.procs").write_text(str(proc.pid))
        assert (group / "cpu.rt_runtime_us").read_text().strip() == "0"
        yield target_of(proc.pid), group
    finally:
        stop(proc)
        wait_until(lambda: not (group / "cgroup.procs").read_text().strip())
        group.rmdir()


@pytest.mark.live
def test_rt_refused_to_root_by_a_zero_rt_budget(zero_budget_cgroup: tuple[Target, Path]) -> None:
    target, group = zero_budget_cgroup
    with pytest.raises(TuningError) as info:
        set_policy(target, os.SCHED_FIFO, 10)
    message = str(info.value)
    assert f"{group}/cpu.rt_runtime_us is 0" in message
    assert "even to root" in message and "RLIMIT_RTPRIO" in message and "CAP_SYS_NICE" in message
    assert policy_of(target.pid) == (os.SCHED_OTHER, 0)
    assert read_rt_budget(FS(), target.pid) == (f"{group}/cpu.rt_runtime_us", 0)


# --- guards and parsers -----------------------------------------------------------------------------


def test_tuning_allowed_only_on_own_proc(tmp_path: Path) -> None:
    assert tuning_allowed(FS()) is None
    reason = tuning_allowed(FS(procfs=tmp_path))
    assert reason is not None and "read-only" in reason and str(tmp_path) in reason


def test_a_tree_whose_self_link_names_perftop_is_still_not_its_proc(tmp_path: Path) -> None:
    """Whoever writes a tree can make its ``self`` name perftop's PID (and show fake names for real
    PIDs): it is still not the procfs perftop runs on."""
    (tmp_path / "self").symlink_to(str(os.getpid()))
    assert os.readlink(tmp_path / "self") == str(os.getpid())
    assert not FS(procfs=tmp_path).is_own_proc()
    assert tuning_allowed(FS(procfs=tmp_path)) is not None
    assert FS(procfs=Path("/proc/")).is_own_proc()  # the same mount, written another way


def test_needs_rt_confirmation() -> None:
    online = {0, 1}
    assert needs_rt_confirmation(os.SCHED_OTHER, 0, online, online) is None
    assert needs_rt_confirmation(os.SCHED_BATCH, 0, online, online) is None
    assert needs_rt_confirmation(os.SCHED_FIFO, 49, {0}, online) is None
    high = needs_rt_confirmation(os.SCHED_FIFO, 50, {0}, online)
    assert high is not None and "priority 50" in high and "every online CPU" not in high
    everywhere = needs_rt_confirmation(os.SCHED_RR, 10, {0, 1, 5}, online)
    assert everywhere is not None and "every online CPU (0-1)" in everywhere and "priority" not in everywhere
    both = needs_rt_confirmation(os.SCHED_RR, 99, online, online)
    assert both is not None and "priority 99" in both and "every online CPU" in both


@pytest.mark.parametrize(
    ("text", "cpus"),
    [
        ("0", {0}),
        ("1", {1}),
        ("0-1", {0, 1}),
        ("1,0", {0, 1}),
        (" 0-1 ", {0, 1}),
        ("0-1:2", {0}),
        ("0x1", {0}),
        ("0x2", {1}),
        ("0x3", {0, 1}),
        ("0X2", {1}),
    ],
)
def test_parse_cpu_spec_accepts_lists_and_masks(text: str, cpus: set[int]) -> None:
    assert parse_cpu_spec(text, {0, 1}) == cpus


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no CPUs given"),
        ("   ", "no CPUs given"),
        ("0-", "not a CPU list"),
        ("0x", "not a hex CPU mask"),
        ("0xg", "not a hex CPU mask"),
        ("abc", "not a CPU list"),
        ("1-0", "not a CPU list"),
        ("0,,1", "not a CPU list"),
        ("0x0", "names no CPU"),
        ("2", "CPU 2 is not online"),
        ("0-3", "not online"),
        ("0x4", "CPU 2 is not online"),
        ("0-4000000000", "not online"),
        ("\u0660", "not a CPU list"),
        ("0-\u0661", "not a CPU list"),
        ("0x\u0663", "not a hex CPU mask"),
        ("1_0", "not a CPU list"),
    ],
)
def test_parse_cpu_spec_rejects(text: str, message: str) -> None:
    with pytest.raises(TuningError, match=message):
        parse_cpu_spec(text, {0, 1})


def test_parse_cpu_spec_defaults_to_online_cpus() -> None:
    assert parse_cpu_spec(format_cpu_list(ONLINE)) == ONLINE
    with pytest.raises(TuningError, match="not online"):
        parse_cpu_spec(str(max(ONLINE) + 1))


@settings(max_examples=200, deadline=None)
@given(st.frozensets(st.integers(min_value=0, max_value=4095), min_size=1, max_size=64))
def test_cpu_spec_round_trips_through_list_and_mask(cpus: frozenset[int]) -> None:
    machine = range(4096)  # far beyond 64 CPUs: masks wider than one word
    from_list = parse_cpu_spec(format_cpu_list(cpus), machine)
    assert from_list == cpus
    assert parse_cpu_spec(format_cpu_mask(from_list), machine) == cpus


def _taskset(args: list[str]) -> frozenset[int] | None:
    code = "import os; print(sorted(os.sched_getaffinity(0)))"
    done = subprocess.run(["taskset", *args, sys.executable, "-c", code], capture_output=True, text=True)
    return frozenset(json.loads(done.stdout)) if done.returncode == 0 else None


@pytest.mark.live
@pytest.mark.skipif({0, 1} != ONLINE, reason="the cases are written for a machine with CPUs 0-1")
@pytest.mark.parametrize("text", ["0", "1", "0,1", "1,0", "0-1", "1-1", "0-1:2", "0x1", "0x2", "0x3"])
def test_parse_cpu_spec_agrees_with_taskset(text: str) -> None:
    args = [text] if text.startswith("0x") else ["-c", text]
    assert _taskset(args) == parse_cpu_spec(text)


@pytest.mark.live
@pytest.mark.parametrize("text", ["0-", "abc", "1-0", "0,,1", "0x", "0x0", "2", "0x4"])
def test_parse_cpu_spec_rejects_what_taskset_rejects(text: str) -> None:
    if {0, 1} != ONLINE:
        pytest.skip("the cases are written for a machine with CPUs 0-1")
    args = [text] if text.startswith("0x") else ["-c", text]
    assert _taskset(args) is None
    with pytest.raises(TuningError):
        parse_cpu_spec(text)


@pytest.mark.parametrize(("text", "value"), [("0", 0), (" -5 ", -5), ("19", 19), ("-20", -20), ("+5", 5)])
def test_parse_nice(text: str, value: int) -> None:
    assert parse_nice(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "whole number"),
        ("99", "out of range"),
        ("-21", "out of range"),
        ("", "whole number"),
        ("1.5", "whole number"),
        # Only ASCII digits with an optional sign: Python's int() takes all of these.
        ("1_0", "whole number"),
        ("\u0663", "whole number"),
        ("-\u0661", "whole number"),
        ("\uff11\uff10", "whole number"),
        ("\u00a05", "whole number"),
        ("--5", "whole number"),
        pytest.param("9" * 5000, "out of range", id="5000 digits"),
    ],
)
def test_parse_nice_rejects(text: str, message: str) -> None:
    with pytest.raises(TuningError, match=message):
        parse_nice(text)


def test_parse_oom_score_adj_and_rt_priority() -> None:
    assert parse_oom_score_adj("-1000") == -1000
    with pytest.raises(TuningError, match="-1000 to 1000"):
        parse_oom_score_adj("1001")
    assert parse_rt_priority("99", os.SCHED_FIFO) == 99
    assert parse_rt_priority("0", os.SCHED_OTHER) == 0
    with pytest.raises(TuningError, match="SCHED_RR priority 0 is out of range: it must be from 1 to 99"):
        parse_rt_priority("0", os.SCHED_RR)


@pytest.mark.parametrize(
    "parse",
    [
        parse_nice,
        parse_oom_score_adj,
        lambda text: parse_rt_priority(text, os.SCHED_FIFO),
        lambda text: parse_io_level(text, "best-effort"),
    ],
    ids=["nice", "oom", "rt_priority", "io_level"],
)
@pytest.mark.parametrize("text", ["1_0", "\u0663", "\u0967", "\uff13", "3\u0300"])
def test_every_number_field_takes_ascii_digits_only(parse: Callable[[str], int], text: str) -> None:
    with pytest.raises(TuningError, match="whole number"):
        parse(text)


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (0, "is 0, so without CAP_SYS_NICE its nice value can only be raised"),
        (25, "is 25, which allows nice values down to -5"),
        (40, "is 40, which allows any nice value"),
        (resource.RLIM_INFINITY, "is unlimited, which allows any nice value"),
    ],
)
def test_describe_nice_limit(limit: int, text: str) -> None:
    assert describe_nice_limit(limit) == f"its RLIMIT_NICE (ulimit -e) is {text.removeprefix('is ')}"


@pytest.mark.live
def test_result_describe(sleeper: Target) -> None:
    line = renice(sleeper, 6).describe()
    assert line == f"nice of {sleeper.pid}: 0 -> 6  [renice -n 6 -p {sleeper.pid}]"
    assert (
        set_affinity(sleeper, ONLINE)
        .describe()
        .endswith(f"[taskset -a -p -c {format_cpu_list(ONLINE)} {sleeper.pid}]")
    )


@pytest.mark.live
def test_a_thread_that_refuses_is_reported(threaded: Target) -> None:
    """One thread made SCHED_DEADLINE: the others change, that one is named with the reason."""
    if not IS_ROOT:
        pytest.skip("needs root to make a thread SCHED_DEADLINE")
    tids = tids_of(threaded.pid)
    deadline_tid = tids[-1]
    argv = ["chrt", "-d", "-T", "1000000", "-D", "10000000", "-P", "10000000", "-p", "0", str(deadline_tid)]
    if subprocess.run(argv, capture_output=True).returncode != 0:
        pytest.skip("this kernel refused SCHED_DEADLINE")

    result = set_policy(threaded, os.SCHED_BATCH)
    assert [f.tid for f in result.failed] == [deadline_tid]
    assert "runs SCHED_DEADLINE" in result.failed[0].message
    assert not result.ok and result.mixed_after
    assert {tid: os.sched_getscheduler(tid) for tid in tids} == {
        **dict.fromkeys(tids[:-1], os.SCHED_BATCH),
        deadline_tid: tuning.SCHED_DEADLINE,
    }
    assert f"failed on thread {deadline_tid}" in result.describe()

    if len(ONLINE) >= 2:
        before = affinity_of(deadline_tid)
        result = set_affinity(threaded, {min(ONLINE)})
        assert [f.tid for f in result.failed] == [deadline_tid]
        assert "EBUSY" in result.failed[0].message
        assert affinity_of(threaded.pid) == {min(ONLINE)} and affinity_of(deadline_tid) == before
