"""Deterministic recordings of the demo machine (testbed/demo.py) for the replay tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from perftop.probes.snapshot import Snapshot
from perftop.probes.tunable_files import read_tunables
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.json_lines import tunables_to_list
from perftop.tui.recording import Recorder
from perftop.tui.system_tuning import Setting, SettingResult
from perftop.tui.tuning import Target
from testbed.demo import DEMO_TIME, DemoMachine

#: The recorded frames' times: DEMO_TIME + the tick, one second apart.
START = DEMO_TIME + 1
SWAPPINESS = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")


def renice_record(when: float, snapshot: Snapshot) -> ActionRecord:
    """A recorded renice of the busiest process of ``snapshot`` (0 -> 5)."""
    proc = max(snapshot.processes, key=lambda p: p.cpu_percent or 0.0)
    subject = Subject(Target(proc.pid, proc.start_time), proc.comm, proc.cmdline or proc.comm)
    return ActionRecord(when, subject, "nice", "0", "5", f"renice -n 5 -p {proc.pid}", "ok")


def sysctl_record(when: float) -> ActionRecord:
    """A recorded ``vm.swappiness`` change 60 -> 10 with its undo."""
    result = SettingResult(SWAPPINESS, "60", "10", SWAPPINESS.command("10"), SWAPPINESS.command("60"))
    return ActionRecord.of(when, SWAPPINESS, SWAPPINESS.what, result, None)


def record_demo(
    root: Path,
    path: Path,
    frames: int = 20,
    *,
    actions_at: dict[int, str] | None = None,
    keyframe_every: int = 8,
    processes: int = 25,
) -> list[Snapshot]:
    """Record ``frames`` samples of a demo machine under ``root`` into ``path``, one fake second apart
    (frame i at ``START + i``), with an action in the frames of ``actions_at`` (index -> ``"renice"`` or
    ``"sysctl"``; by default a renice at 5 and a sysctl at 12). Returns the snapshots recorded."""
    if actions_at is None:
        actions_at = {5: "renice", 12: "sysctl"}
    machine = DemoMachine(root, processes=processes)
    recorder = Recorder(path, interval=1.0, hostname="demo", keyframe_every=keyframe_every)
    recorded: list[Snapshot] = []
    try:
        machine.sampler.sample()  # the baseline
        for index in range(frames):
            machine.advance()
            snapshot = dataclasses.replace(machine.sampler.sample(), time=START + index)
            kind = actions_at.get(index)
            actions = []
            if kind == "renice":
                actions = [renice_record(START + index - 0.5, snapshot)]
            elif kind == "sysctl":
                actions = [sysctl_record(START + index - 0.5)]
            recorder.add(snapshot, actions=actions, tunables=tunables_to_list(read_tunables(machine.fs)))
            recorded.append(snapshot)
    finally:
        recorder.close()
        machine.close()
    return recorded
