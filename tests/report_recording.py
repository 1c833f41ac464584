"""A small deterministic recording for the report and chart-screen tests: one sample of the demo tree (a
hostile process among the others) repeated :data:`FRAMES` times a second apart from :data:`START`, its
machine and process figures set by :func:`figures` so tests know every value, and two tuning actions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from perftop.probes.snapshot import Snapshot
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.recording import Recorder
from perftop.tui.system_tuning import Setting
from perftop.tui.tuning import Target
from testbed.demo import DemoMachine
from testbed.fixture_tree import FakeProcess

#: The first frame's time: 2025-01-01 12:00:00 UTC.
START = 1_735_732_800.0
FRAMES = 30
#: A process whose name would retitle the terminal and ask it to answer, were it written raw.
HOSTILE_PID = 4242
HOSTILE_COMM = "\x1b]2;pw\x07\x1b[6n"
#: A process that starts at this frame (its charts begin with a gap).
LATE_PID = 4343
LATE_FROM = 12
#: The frames after which each action was applied (its mark lies between this frame and the next).
RENICE_AFTER = 9
SYSCTL_AFTER = 19
GIB = 1 << 30


def renice_record(when: float) -> ActionRecord:
    """The renice of the hostile process, as the action log records it."""
    subject = Subject(Target(HOSTILE_PID, 5000), HOSTILE_COMM, "spin --x")
    return ActionRecord(when, subject, "nice", "0", "5", f"renice -n 5 -p {HOSTILE_PID}", "ok")


def sysctl_record(when: float) -> ActionRecord:
    """A change of vm.swappiness, as the action log records it."""
    setting = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")
    return ActionRecord(when, setting, "sysctl", "60", "10", "sysctl -w vm.swappiness=10", "ok")


def figures(i: int) -> dict[str, float]:
    """Frame ``i``'s figures: the hostile process busy until the renice, then half as busy; memory used
    growing by 64 MiB a frame; the disk busier after the sysctl."""
    after_renice = i > RENICE_AFTER
    return {
        "user": 40.0 - 20.0 * after_renice,
        "system": 10.0,
        "iowait": 5.0 + 10.0 * (i > SYSCTL_AFTER),
        "used": 4 * GIB + i * 64 * (1 << 20),
        "util": 30.0 + 40.0 * (i > SYSCTL_AFTER),
        "hostile_cpu": 80.0 - 40.0 * after_renice,
        "late_cpu": 25.0,
    }


def _frame(base: Snapshot, i: int) -> Snapshot:
    f = figures(i)
    total = base.cpu.total
    assert total is not None
    idle = 100.0 - f["user"] - f["system"] - f["iowait"]
    total = dataclasses.replace(
        total,
        user=f["user"],
        nice=0.0,
        system=f["system"],
        idle=idle,
        iowait=f["iowait"],
        irq=0.0,
        softirq=0.0,
    )
    memory = dataclasses.replace(base.memory, used_bytes=int(f["used"]))
    disks = tuple(
        dataclasses.replace(d, util_percent=f["util"] if d.name == "nvme1n1" else 5.0) for d in base.disks
    )
    processes = []
    for p in base.processes:
        if p.pid == HOSTILE_PID:
            p = dataclasses.replace(p, cpu_percent=f["hostile_cpu"], nice=5 if i > RENICE_AFTER else 0)
        elif p.pid == LATE_PID:
            if i < LATE_FROM:
                continue
            p = dataclasses.replace(p, cpu_percent=f["late_cpu"])
        processes.append(p)
    return dataclasses.replace(
        base,
        time=START + i,
        cpu=dataclasses.replace(base.cpu, total=total),
        memory=memory,
        disks=disks,
        processes=tuple(processes),
    )


def make_recording(folder: Path, name: str = "demo.rec") -> Path:
    """Write the recording in ``folder`` and return its path."""
    machine = DemoMachine(folder / "tree", cpus=4, processes=25)
    machine.extra = [
        FakeProcess(
            pid=HOSTILE_PID, comm=HOSTILE_COMM, cmdline=("spin", "--x"), utime_rate=60, start_time=5000
        ),
        FakeProcess(pid=LATE_PID, comm="late", cmdline=("late",), utime_rate=25, start_time=6000),
    ]
    try:
        machine.sampler.sample()
        machine.advance()
        base = machine.sampler.sample(sched_pids=None)
    finally:
        machine.close()
    path = folder / name
    recorder = Recorder(path, interval=1.0, hostname="demo\x1b[2J", clock=lambda: START)
    try:
        for i in range(FRAMES):
            actions = []
            if i == RENICE_AFTER + 1:
                actions.append(renice_record(START + RENICE_AFTER + 0.5))
            if i == SYSCTL_AFTER + 1:
                actions.append(sysctl_record(START + SYSCTL_AFTER + 0.5))
            recorder.add(_frame(base, i), actions=actions)
    finally:
        recorder.close()
    return path
