"""The thread view (H) and per-thread tuning (issue 17 item 2) and ``--json --threads`` (item 7).

Pure parts on fixture trees written by the test (testbed.fixture_tree with ``tasks=True``); the tuning on a
real child of four threads, with ``chrt -p TID`` and ``taskset -p TID`` as oracles (root only: an RT policy
needs it); the App through Pilot on the demo machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import ThreadInfo
from perftop.tui import tuning
from perftop.tui.action_records import ActionRecord, subject_of
from perftop.tui.cli import main
from perftop.tui.json_lines import TASK_FIELDS, snapshot_to_dict
from perftop.tui.tuning import Target, TuningError, send_signal, set_affinity, set_oom_score_adj, set_policy
from perftop.tui.undo import plan_revert
from perftop.widgets.process_tree import ELBOW, TEE
from perftop.widgets.table_view import TableView
from testbed.demo import DemoMachine
from testbed.fixture_tree import TID_BASE, SteppingClock, make_tree

IS_ROOT = os.geteuid() == 0
ONLINE = sorted(tuning.online_cpus() or ())

#: A child of four tasks: the main thread and three named workers, asleep until killed.
FOUR_THREADS = """
import ctypes, threading, time
libc = ctypes.CDLL(None)
def work(name):
    libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME: the thread's own comm
    time.sleep(120)
for i in range(3):
    threading.Thread(target=work, args=(f"worker-{i}",), daemon=True).start()
time.sleep(0.2)
print("ready", flush=True)
time.sleep(120)
"""


def tid(pid: int, k: int) -> int:
    return TID_BASE + 64 * pid + k


# --- the probe ----------------------------------------------------------------------------------------


def fixture_sampler(root: Path) -> tuple[Sampler, FS]:
    fs = make_tree(root, processes=25, tasks=True)
    return Sampler(fs, clock=SteppingClock()), fs


def test_threads_are_read_only_for_the_processes_asked(tmp_path: Path) -> None:
    sampler, _ = fixture_sampler(tmp_path)
    assert sampler.sample().thread_rows == ()  # by default none
    snapshot = sampler.sample(threads={1024, 402})
    rows = snapshot.thread_rows
    assert {t.tgid for t in rows} == {402, 1024}
    web = [t for t in rows if t.tgid == 1024]
    # The main thread first, then the workers in TID order; the tree writes 8 of its 28.
    assert [t.pid for t in web] == [1024, *(tid(1024, k) for k in range(1, 8))]
    first = web[1]
    assert isinstance(first, ThreadInfo)
    assert (first.comm, first.cmdline, first.ppid, first.threads) == (
        "Web Content-w1",
        "Web Content-w1",
        1024,
        28,
    )
    assert first.affinity == (1,)  # its own, not the process's
    assert web[2].nice == web[0].nice + 1
    assert web[0].user == first.user is not None


def test_thread_rates_run_from_the_last_reading_of_the_same_thread(tmp_path: Path) -> None:
    sampler, _ = fixture_sampler(tmp_path)
    assert all(t.cpu_percent is None for t in sampler.sample(threads={1290}).thread_rows)
    make_tree(tmp_path, processes=25, tasks=True, tick=1)
    rows = {t.pid: t for t in sampler.sample(threads={1290}).thread_rows}
    # The fixture's w1 runs as fast as the process's main thread (120 ticks a second: 120 %), the others not.
    assert rows[tid(1290, 1)].cpu_percent == pytest.approx(120.0)
    assert rows[tid(1290, 2)].cpu_percent == 0.0
    assert rows[tid(1290, 3)].voluntary_ctxt_switches_per_s == 3.0
    # A sample without threads forgets them: the next one has no rates again.
    sampler.sample()
    assert all(t.cpu_percent is None for t in sampler.sample(threads={1290}).thread_rows)


def test_an_unreadable_task_directory_gives_no_rows_and_no_error(tmp_path: Path) -> None:
    sampler, _ = fixture_sampler(tmp_path)
    task = tmp_path / "proc" / "402" / "task"
    shutil.rmtree(task)
    task.write_text("not a directory\n")
    rows = sampler.sample(threads={402, 517, 99999}).thread_rows
    assert {t.tgid for t in rows} == {517}


def test_json_tasks_per_process_only_with_threads(tmp_path: Path) -> None:
    sampler, _ = fixture_sampler(tmp_path)
    snapshot = sampler.sample(threads=None)
    plain = snapshot_to_dict(snapshot)
    assert "thread_rows" not in plain and all("tasks" not in p for p in plain["processes"])
    data = json.loads(json.dumps(snapshot_to_dict(snapshot, threads=True)))
    by_pid = {p["pid"]: p for p in data["processes"]}
    web = by_pid[1024]
    assert web["threads"] == 28  # the count stays the kernel's
    assert [t["tid"] for t in web["tasks"]] == [1024, *(tid(1024, k) for k in range(1, 8))]
    assert list(web["tasks"][1]) == ["tid", *TASK_FIELDS]
    assert web["tasks"][1]["comm"] == "Web Content-w1" and web["tasks"][1]["affinity"] == [1]
    # A single-threaded process lists its one task; a kernel thread too.
    assert [t["tid"] for t in by_pid[2]["tasks"]] == [2]


async def test_threads_option_starts_with_threads_shown(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app(threads=True)
    async with app.run_test(size=(100, 30)):
        await machine.drive(app, 1)
        assert app.table.threads
        assert any(isinstance(p, ThreadInfo) for p in app.table.rows())
    machine.close()


@pytest.mark.slow
def test_json_threads_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "--threads", "--interval", "0.2", "--pid", str(os.getpid())]) == 0
    (process,) = json.loads(capsys.readouterr().out)["processes"]
    assert os.getpid() in [t["tid"] for t in process["tasks"]]
    assert len(process["tasks"]) == len(os.listdir(f"/proc/{os.getpid()}/task"))


# --- the table ------------------------------------------------------------------------------------------


def view_rows(tmp_path: Path, tree: bool) -> tuple[TableView, Sampler]:
    sampler, _ = fixture_sampler(tmp_path)
    snapshot = sampler.sample(threads={402, 517})
    view = TableView(sort_key="pid", sort_reverse=False)
    view.set_tree(tree)
    view.set_processes(snapshot.processes, snapshot.thread_rows)
    return view, sampler


def test_flat_view_shows_threads_only_with_h_right_under_their_process(tmp_path: Path) -> None:
    view, _ = view_rows(tmp_path, tree=False)
    assert not any(isinstance(p, ThreadInfo) for p in view.rows)
    assert view.thread_pids() == set()
    assert view.set_threads(True)
    pids = [p.pid for p in view.rows]
    jack = pids.index(402)
    # The main thread's row is the process's: five of jackd's six tasks follow it, then the next process.
    assert pids[jack + 1 : jack + 7] == [*(tid(402, k) for k in range(1, 6)), pids[jack + 6]]
    assert pids[jack + 6] > 402 and not isinstance(view.rows[jack + 6], ThreadInfo)
    prefixes = view.prefixes
    assert prefixes is not None
    assert prefixes[jack] == "" and prefixes[jack + 1] == TEE and prefixes[jack + 5] == ELBOW
    assert view.thread_pids() == {402, 517, 1024, 1290}  # the shown processes with threads
    # A filter that hides the process hides its threads.
    view.set_filter("pulseaudio")
    assert [p.pid for p in view.rows] == [517, tid(517, 1), tid(517, 2)]
    view.set_filter("")
    assert view.set_threads(False)
    assert not any(isinstance(p, ThreadInfo) for p in view.rows)


def test_threads_sort_among_themselves(tmp_path: Path) -> None:
    view, _ = view_rows(tmp_path, tree=False)
    view.set_threads(True)
    view.set_sort("pid", reverse=True)
    pids = [p.pid for p in view.rows]
    jack = pids.index(402)
    assert pids[jack + 1 : jack + 6] == [tid(402, k) for k in range(5, 0, -1)]


def test_tree_view_shows_threads_as_first_children_and_a_collapse_hides_them(tmp_path: Path) -> None:
    view, _ = view_rows(tmp_path, tree=True)
    view.set_threads(True)
    rows, prefixes = view.rows, view.prefixes
    assert prefixes is not None
    jack = next(i for i, p in enumerate(rows) if p.pid == 402)
    below = prefixes[jack].replace(TEE, "│  ").replace(ELBOW, "   ")
    assert [p.pid for p in rows[jack + 1 : jack + 6]] == [tid(402, k) for k in range(1, 6)]
    assert prefixes[jack + 1] == below + TEE and prefixes[jack + 5] == below + ELBOW
    # init's children are collapsed with it: its threads and processes go.
    init = next(i for i, p in enumerate(rows) if p.pid == 1)
    assert view.toggle_collapsed(init)
    assert [p.pid for p in view.rows if isinstance(p, ThreadInfo)] == []


def test_the_cursor_on_a_thread_row_goes_to_its_process_when_threads_are_hidden(tmp_path: Path) -> None:
    view, _ = view_rows(tmp_path, tree=False)
    view.set_threads(True)
    view.move_cursor([p.pid for p in view.rows].index(tid(402, 3)))
    assert view.selected_pid == tid(402, 3)
    view.set_threads(False)
    assert view.selected_pid == 402


# --- per-thread tuning on a real child ------------------------------------------------------------------


@pytest.fixture
def four_threads() -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen([sys.executable, "-c", FOUR_THREADS], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert len(os.listdir(f"/proc/{child.pid}/task")) == 4
        yield child
    finally:
        child.kill()
        child.wait()


def thread_rows_of(pid: int) -> tuple[ThreadInfo, list[ThreadInfo]]:
    """The main thread's row and the other rows of ``pid``, as the thread view gets them."""
    sampler = Sampler(FS())
    try:
        rows = sampler.sample(threads={pid}).thread_rows
    finally:
        sampler.close()
    main_row = next(t for t in rows if t.pid == pid)
    return main_row, [t for t in rows if t.pid != pid]


def chrt_of(tid: int) -> str:
    return subprocess.run(["chrt", "-p", str(tid)], capture_output=True, text=True, check=True).stdout


def taskset_of(tid: int) -> str:
    out = subprocess.run(["taskset", "-p", str(tid)], capture_output=True, text=True, check=True).stdout
    return out.rsplit(":", 1)[1].strip()


@pytest.mark.skipif(not IS_ROOT, reason="needs root (an RT policy)")
@pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")
def test_each_thread_gets_its_own_rt_priority_and_affinity_through_its_row(
    four_threads: subprocess.Popen[str],
) -> None:
    pid = four_threads.pid
    main_row, workers = thread_rows_of(pid)
    assert sorted(t.comm for t in workers) == ["worker-0", "worker-1", "worker-2"]
    before_main = (chrt_of(pid), taskset_of(pid))
    for k, row in enumerate(workers):
        subject = subject_of(row)
        assert subject.target == Target(row.pid, row.start_time, pid)
        # "all threads" is asked for and ignored: a thread row is that thread alone.
        result = set_policy(subject.target, os.SCHED_FIFO, 10 + k, all_threads=True)
        assert result.command == f"chrt -f -p {10 + k} {row.pid}"
        assert result.tids == (row.pid,) and not result.mixed_before
        assert f"policy of thread {row.pid} only (of {pid})" in result.describe()
        cpu = ONLINE[k % len(ONLINE)]
        result = set_affinity(subject.target, {cpu}, all_threads=True)
        assert result.command == f"taskset -p -c {cpu} {row.pid}"
    for k, row in enumerate(workers):
        assert "SCHED_FIFO" in chrt_of(row.pid)
        assert f"priority: {10 + k}" in chrt_of(row.pid)
        assert int(taskset_of(row.pid), 16) == 1 << ONLINE[k % len(ONLINE)]
    # The main thread kept its own.
    assert (chrt_of(pid), taskset_of(pid)) == before_main
    assert "SCHED_OTHER" in chrt_of(pid)
    # The main thread through the process row, main thread only, leaves the workers alone.
    process = Target(pid, main_row.start_time)
    set_policy(process, os.SCHED_RR, 30, all_threads=False)
    assert "SCHED_RR" in chrt_of(pid) and f"priority: {10}" in chrt_of(workers[0].pid)


@pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")
def test_undo_of_a_thread_action_restores_that_thread_only(four_threads: subprocess.Popen[str]) -> None:
    pid = four_threads.pid
    _, workers = thread_rows_of(pid)
    first, second = workers[0], workers[1]
    everyone = frozenset(os.sched_getaffinity(pid))
    applied = set_affinity(subject_of(first).target, {ONLINE[0]})
    set_affinity(subject_of(second).target, {ONLINE[1]})
    record = ActionRecord.of(time.time(), subject_of(first), "affinity", applied, None)
    assert record.undo_command == f"taskset -p -c {tuning.format_value(everyone)} {first.pid}"
    plan_revert(record).apply(subject_of(first))
    assert frozenset(os.sched_getaffinity(first.pid)) == everyone
    assert os.sched_getaffinity(second.pid) == {ONLINE[1]}  # the other thread keeps its own
    assert frozenset(os.sched_getaffinity(pid)) == everyone


def test_a_thread_that_exited_is_refused(four_threads: subprocess.Popen[str]) -> None:
    pid = four_threads.pid
    _, workers = thread_rows_of(pid)
    row = workers[0]
    # Another start time: the TID now names another thread (a reused TID).
    with pytest.raises(TuningError, match=f"thread {row.pid} of process {pid} has exited"):
        set_affinity(Target(row.pid, row.start_time + 1, pid), {ONLINE[0]})
    # A TID that is not this process's thread (here: the test's own PID).
    mine = Target(os.getpid(), 0, pid)
    with pytest.raises(TuningError, match="has exited; nothing was changed"):
        tuning.renice(mine, 5)


def test_oom_is_refused_on_a_thread_and_a_signal_goes_to_its_process(
    four_threads: subprocess.Popen[str],
) -> None:
    pid = four_threads.pid
    _, workers = thread_rows_of(pid)
    target = subject_of(workers[1]).target
    with pytest.raises(TuningError, match=f"per process.*row of process {pid}"):
        set_oom_score_adj(target, 100)
    result = send_signal(target, "STOP")
    try:
        assert result.command == f"kill -STOP {pid}"
        assert f"to process {pid} (from the row of its thread {workers[1].pid})" in result.describe()
        deadline = time.monotonic() + 5
        while Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "T" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "T"
    finally:
        os.kill(pid, signal.SIGCONT)


# --- the App ------------------------------------------------------------------------------------------


async def test_h_shows_threads_under_their_process_and_the_status_says_so(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 2)
        assert not any(isinstance(p, ThreadInfo) for p in app.table.rows())
        await pilot.press("H")
        await machine.drive(app, 2)
        assert app.table.threads and "threads" in app._status_parts
        rows = app.table.rows()
        web = next(i for i, p in enumerate(rows) if p.pid == 1024)
        thread = rows[web + 1]
        assert isinstance(thread, ThreadInfo) and thread.tgid == 1024 and thread.comm == "Web Content-w1"
        assert thread.cpu_percent is not None  # rates from the second sample with threads
        # The tuning keys' subject on a thread row is that thread (the demo tree is read-only: the
        # subject is what the keys would act on).
        app.table.select_pid(thread.pid)
        selected = app._selected()
        assert selected is thread
        subject = subject_of(selected)
        assert subject.target == Target(thread.pid, thread.start_time, 1024)
        assert subject.label == f"thread {thread.pid} of 1024 (Web Content-w1)"
        await pilot.press("H")
        assert not any(isinstance(p, ThreadInfo) for p in app.table.rows())
        assert app.table.selected_pid == 1024
    machine.close()


async def test_enter_on_a_thread_row_opens_its_process_and_a_tagged_thread_stays_tagged(
    tmp_path: Path,
) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app(threads=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 2)
        worker = tid(1024, 3)
        assert app.table.select_pid(worker)
        await pilot.press("space")  # tag it
        await machine.drive(app, 1)
        assert app.table.tagged == {worker}
        app.table.select_pid(worker)
        await pilot.press("enter")
        await pilot.pause()
        assert app.detail_screen is not None and app.detail_subject is not None
        assert app.detail_subject.target.pid == 1024 and app.detail_subject.target.tgid is None
        await pilot.press("escape")
        await pilot.pause()
        # With threads hidden the thread is no longer read: its tag goes at the next sample.
        await pilot.press("H")
        await machine.drive(app, 1)
        assert app.table.tagged == set()
    machine.close()


def test_ten_thousand_threads_in_one_process(tmp_path: Path) -> None:
    # Rows as thread_infos makes them: the thread view groups and sorts them in one pass each.
    from perftop.probes.processes import thread_infos
    from tests.factories import make_proc

    process = make_proc(100, threads=10_001, cpu_percent=50.0)
    other = make_proc(200, cpu_percent=10.0)
    tasks = tuple(make_proc(100_000 + k, cpu_percent=float(k % 7), start_time=k) for k in range(10_000))
    threads = thread_infos(tasks, dict.fromkeys((t.pid for t in tasks), 100))
    view = TableView(sort_key="cpu")
    view.set_threads(True)
    started = time.perf_counter()
    view.set_processes([process, other], threads)
    took = time.perf_counter() - started
    rows = view.rows
    assert [p.pid for p in rows[:1]] == [100] and rows[-1].pid == 200
    cpu = [p.cpu_percent or 0.0 for p in rows[1:-1]]
    assert len(cpu) == 10_000 and cpu == sorted(cpu, reverse=True)
    assert took < 5.0  # (about 50 ms here; the bound only catches a quadratic grouping)


@pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")
def test_dialogs_show_the_threads_own_value_and_name_it(four_threads: subprocess.Popen[str]) -> None:
    from perftop.tui.tuning_flows import current_value, describe_subjects

    pid = four_threads.pid
    _, workers = thread_rows_of(pid)
    subject = subject_of(workers[0])
    set_affinity(subject.target, {ONLINE[1]})
    # The process's threads differ now; the thread's own value is one set.
    assert current_value(FS(), pid, "affinity") == "mixed"
    assert current_value(FS(), workers[0].pid, "affinity", pid) == str(ONLINE[1])
    assert current_value(FS(), workers[1].pid, "affinity", pid) == tuning.format_value(frozenset(ONLINE))
    assert describe_subjects([subject]) == f"thread {workers[0].pid} of process {pid} only: worker-0"


@pytest.mark.skipif(not IS_ROOT, reason="needs root (an RT policy)")
@pytest.mark.skipif(len(ONLINE) < 2, reason="needs two online CPUs")
async def test_y_and_a_on_thread_rows_of_the_app(four_threads: subprocess.Popen[str]) -> None:
    from perftop.tui.dialogs import AffinityDialog, ConfirmDialog, SchedulingDialog
    from tests.test_tuning_ui import choose, live_app, notices, screen_of, settle, start, type_into

    pid = four_threads.pid
    app = live_app(pid, threads=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await start(app, pilot)
        await start(app, pilot)  # the threads of the process shown by the first sample
        workers = [p for p in app.table.rows() if isinstance(p, ThreadInfo)]
        assert sorted(t.comm for t in workers) == ["worker-0", "worker-1", "worker-2"]
        for k, row in enumerate(workers):
            assert app.table.select_pid(row.pid)
            await pilot.press("Y")
            dialog = await screen_of(pilot, SchedulingDialog)
            await choose(pilot, dialog, "#policy", 3)  # SCHED_FIFO
            await type_into(pilot, dialog, "#priority", str(10 + k))
            await pilot.press("enter")
            await screen_of(pilot, ConfirmDialog)  # may run on every online CPU
            await pilot.press("y")
            await settle(pilot)
            assert any(f"chrt -f -p {10 + k} {row.pid}" in n for n in notices(app))
            # The row shows the new value at once (read again after the action, not a refresh later).
            shown = next(p for p in app.table.rows() if p.pid == row.pid)
            assert (shown.policy, shown.rtprio) == ("SCHED_FIFO", 10 + k)
            app.table.select_pid(row.pid)
            await pilot.press("a")
            dialog = await screen_of(pilot, AffinityDialog)
            cpu = ONLINE[k % len(ONLINE)]
            await type_into(pilot, dialog, "#cpus", str(cpu))
            await pilot.click("#apply")
            await settle(pilot)
            assert any(f"taskset -p -c {cpu} {row.pid}" in n for n in notices(app))
        for k, row in enumerate(workers):
            assert f"priority: {10 + k}" in chrt_of(row.pid)
            assert int(taskset_of(row.pid), 16) == 1 << ONLINE[k % len(ONLINE)]
        assert "SCHED_OTHER" in chrt_of(pid)
        assert int(taskset_of(pid), 16) == sum(1 << c for c in ONLINE)
        # The log names each thread, and an undo restores that thread alone.
        assert [r.subject.target.tgid for r in app.action_log] == [pid] * 6
