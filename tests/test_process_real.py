"""The process probe on this machine's /proc, checked against ps, chrt and taskset."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from perftop.probes.cpulist import parse_cpu_list
from perftop.probes.fs import FS
from perftop.probes.processes import ProcessScanner, process_infos, task_counts
from perftop.probes.snapshot import POLICY_CLASS, ProcessInfo

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs a Linux /proc")


def _wait_for_exec(child: subprocess.Popen[bytes], comm: str, timeout: float = 10.0) -> None:
    """chrt and taskset exec their command: wait until the child really is ``comm``."""
    deadline = time.monotonic() + timeout
    path = Path(f"/proc/{child.pid}/comm")
    while path.read_text().strip() != comm:
        if time.monotonic() > deadline:
            raise TimeoutError(f"pid {child.pid} never became {comm!r}")
        time.sleep(0.01)


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def children() -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Sleeping children tuned by nice, chrt (root only) and taskset; killed however the test ends."""
    spawned: dict[str, subprocess.Popen[bytes]] = {}
    try:
        spawned["nice"] = subprocess.Popen(["sleep", "60"], preexec_fn=lambda: os.nice(7))
        if shutil.which("taskset"):
            spawned["taskset"] = subprocess.Popen(["taskset", "-c", "0", "sleep", "60"])
        if os.geteuid() == 0 and shutil.which("chrt"):
            spawned["chrt"] = subprocess.Popen(["chrt", "-r", "12", "sleep", "60"])
        for child in spawned.values():
            _wait_for_exec(child, "sleep")
        yield spawned
    finally:
        for child in spawned.values():
            child.kill()
            child.wait()


def _infos(pids: list[int]) -> dict[int, ProcessInfo]:
    scanned = ProcessScanner(FS()).scan(pids)
    return {p.pid: p for p in process_infos(None, scanned, None, 100, os.sysconf("SC_PAGE_SIZE"), None)}


def _chrt(pid: int) -> tuple[str, int]:
    """(policy, priority) as ``chrt -p`` prints them."""
    policy = priority = None
    for line in _run("chrt", "-p", str(pid)).splitlines():
        value = line.rsplit(":", 1)[1].strip()
        if "scheduling policy" in line:
            policy = value.split("|")[0]  # e.g. SCHED_OTHER|SCHED_RESET_ON_FORK
        elif "scheduling priority" in line:
            priority = int(value)
    assert policy is not None and priority is not None
    return policy, priority


@pytest.mark.live
def test_scheduling_fields_match_ps_chrt_and_taskset(children: dict[str, subprocess.Popen[bytes]]) -> None:
    if not shutil.which("ps"):
        pytest.skip("ps (procps) is not installed")
    infos = _infos([c.pid for c in children.values()])
    for name, child in children.items():
        info = infos[child.pid]
        assert (info.comm, info.cmdline, info.ppid) == ("sleep", "sleep 60", os.getpid()), name
        ni, pri, cls, rtprio = _run("ps", "-o", "ni=,pri=,cls=,rtprio=", "-p", str(child.pid)).split()
        assert POLICY_CLASS[info.policy] == cls, name
        assert info.priority == 39 - int(pri), name  # ps -o pri is 39 minus the stat field
        assert info.rtprio == (0 if rtprio == "-" else int(rtprio)), name
        if ni != "-":  # ps hides the nice of RT tasks; the kernel keeps it
            assert info.nice == int(ni), name
        if shutil.which("chrt"):
            assert _chrt(child.pid) == (info.policy, info.rtprio), name
        if shutil.which("taskset"):
            listed = _run("taskset", "-pc", str(child.pid)).rsplit(":", 1)[1]
            assert info.affinity is not None and set(info.affinity) == parse_cpu_list(listed), name
    nice = infos[children["nice"].pid]
    assert (nice.policy, nice.nice, nice.priority, nice.rtprio) == ("SCHED_OTHER", 7, 27, 0)
    if "taskset" in children:
        assert infos[children["taskset"].pid].affinity == (0,)
    if "chrt" in children:
        rr = infos[children["chrt"].pid]
        assert (rr.policy, rr.rtprio, rr.priority) == ("SCHED_RR", 12, -13)


def test_own_process_and_kernel_threads() -> None:
    me = os.getpid()
    scanned = ProcessScanner(FS()).scan([me])
    own = scanned[me]
    assert own.uid == os.geteuid() and own.user == pwd.getpwuid(os.geteuid()).pw_name
    assert own.stat.ppid == os.getppid()
    assert own.status is not None and set(own.status.cpus_allowed or ()) == os.sched_getaffinity(0)
    with open(f"/proc/{me}/cmdline", "rb") as f:
        assert own.cmdline == f.read().replace(b"\0", b" ").decode().strip()
    assert not own.kernel_thread
    if 2 in scanned and scanned[2].stat.comm == "kthreadd":  # absent inside a PID namespace
        assert scanned[2].kernel_thread and scanned[2].cmdline == ""
    counts = task_counts(scanned)
    assert counts.processes == len(scanned) and counts.threads >= counts.processes
    assert counts.running >= 1  # this test is running


@pytest.mark.live
def test_every_listed_pid_matches_ps() -> None:
    if not shutil.which("ps"):
        pytest.skip("ps (procps) is not installed")
    before = set(map(int, _run("ps", "-e", "-o", "pid=").split()))
    scanned = ProcessScanner(FS()).scan(())
    after = set(map(int, _run("ps", "-e", "-o", "pid=").split()))
    # Processes may come and go between the reads; those present throughout must all be there.
    assert (before & after) - {os.getpid()} <= set(scanned)


@pytest.mark.live
def test_busy_child_cpu_percent_agrees_with_psutil() -> None:
    # Not a threshold: on a loaded 2-core CI machine a busy loop may get well under a core. Compare
    # with psutil's independent reading of the same child over the same window instead.
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        child = psutil.Process(busy.pid)
        scanner = ProcessScanner(FS())
        clk_tck = os.sysconf("SC_CLK_TCK")
        time.sleep(0.2)
        c0, first, t0 = child.cpu_times(), scanner.scan(()), time.monotonic()
        time.sleep(0.5)
        c1, second, t1 = child.cpu_times(), scanner.scan(()), time.monotonic()
        infos = {p.pid: p for p in process_infos(first, second, t1 - t0, clk_tck, 4096, None)}
        expected = (c1.user + c1.system - c0.user - c0.system) / (t1 - t0) * 100
        measured = infos[busy.pid].cpu_percent
        assert measured is not None and measured > 5
        # A tick is 1/CLK_TCK s: over 0.5 s each read may be off by a tick or two at each end.
        assert measured == pytest.approx(expected, abs=8)
        assert measured < 120  # one thread cannot use much more than one core
    finally:
        busy.kill()
        busy.wait()


@pytest.mark.live
def test_io_write_bytes_of_a_child_that_writes_and_fsyncs(tmp_path: Path) -> None:
    size = 4 << 20
    target = tmp_path / "written"
    script = (
        "import os, sys, time\n"
        f"fd = os.open({str(target)!r}, os.O_WRONLY | os.O_CREAT)\n"
        f"os.write(fd, b'x' * {size}); os.fsync(fd); os.close(fd)\n"
        "print('done', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "done"
        raw = ProcessScanner(FS()).scan([child.pid])[child.pid]
        if raw.io is None:
            pytest.skip("/proc/PID/io is not readable here")
        if raw.io.write_bytes == 0:
            pytest.skip(f"{tmp_path} is on tmpfs or overlay: no storage writes are counted")
        assert raw.io.write_bytes >= size
        assert raw.io.read_bytes is not None
    finally:
        child.kill()
        child.wait()
