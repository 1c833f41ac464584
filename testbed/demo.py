"""A deterministic perftop on a generated fixture tree: for App tests, SVG snapshots and screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from perftop.probes.sampler import Sampler
from perftop.tui.app import AppOptions, PerftopApp
from testbed.fixture_tree import (
    FakeProcess,
    make_tree,
    processes_for,
    write_details,
    write_devices,
    write_interrupts,
)

if TYPE_CHECKING:
    from perftop.probes.snapshot import Snapshot
    from perftop.tui.action_records import ActionRecord

#: Queues of the demo machine's NVMe drive and NIC (an IRQ each): up to one per CPU, at most this many, so
#: a demo of 256 CPUs writes a /proc/interrupts of tens of rows, not hundreds.
DEMO_QUEUES = 8

#: Wall-clock time every demo snapshot carries (the fixture's own clock is its tick count).
DEMO_TIME = 1_764_000_000.0


class TickClock:
    """A monotonic clock that advances one second per fixture tick, so every rate is exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class DemoMachine:
    """A fixture tree plus a sampler whose clock follows the tree's ticks.

    The process owners are the tree's own (root, nobody) for every user running it: only root can give
    the directories away, so the sampler is told each process's owner instead (``owners``).
    """

    def __init__(self, root: Path, *, cpus: int = 4, processes: int = 25, ticking: bool = False) -> None:
        """``ticking``: the snapshots' wall-clock ``time`` advances with the ticks from ``DEMO_TIME`` (as
        it must for markers and before/after comparisons), rather than staying at ``DEMO_TIME``."""
        self.root = root
        self.cpus = cpus
        self.processes = processes
        self.tick = 0
        #: Processes added to (or replacing some of) the generated ones from the next tick on.
        self.extra: list[FakeProcess] = []
        self.clock = TickClock()
        self.fs = make_tree(root, cpus=cpus, processes=processes, tick=0, tasks=True)
        write_devices(root, cpus=cpus, tick=0)
        write_details(root, cpus=cpus, processes=processes, tick=0)
        write_interrupts(root, cpus=cpus, tick=0, queues=min(cpus, DEMO_QUEUES))
        #: PID -> uid of every process in the tree now (the sampler reads it at each sample).
        self.owners: dict[int, int] = {}
        self._set_owners()
        wall_clock = (lambda: DEMO_TIME + self.clock.now) if ticking else (lambda: DEMO_TIME)
        self.sampler = Sampler(self.fs, clock=self.clock, wall_clock=wall_clock, owners=self.owners)

    def _set_owners(self) -> None:
        self.owners.clear()
        self.owners.update((p.pid, p.uid) for p in processes_for(self.cpus, self.processes, 0, self.extra))

    def advance(self) -> None:
        """One second passes on the fake machine."""
        self.tick += 1
        self.clock.now = float(self.tick)
        make_tree(
            self.root, cpus=self.cpus, processes=self.processes, tick=self.tick, extra=self.extra, tasks=True
        )
        write_devices(self.root, cpus=self.cpus, tick=self.tick)
        write_details(self.root, cpus=self.cpus, processes=self.processes, tick=self.tick, extra=self.extra)
        write_interrupts(self.root, cpus=self.cpus, tick=self.tick, queues=min(self.cpus, DEMO_QUEUES))
        self._set_owners()

    def close(self) -> None:
        """Close the files the sampler holds open (an App on this machine closes them when it ends)."""
        self.sampler.close()

    def app(self, **options: object) -> PerftopApp:
        """A PerftopApp on this machine that samples only when told (``drive``)."""
        return PerftopApp(self.sampler, AppOptions(autorefresh=False, **options))  # type: ignore[arg-type]

    async def drive(self, app: PerftopApp, ticks: int) -> None:
        """Baseline, then ``ticks`` samples one fake second apart, each shown by the App."""
        if self.tick == 0 and app.snapshot is None:
            await app.sample_now()
        for _ in range(ticks):
            self.advance()
            await app.sample_now()


def demo_renice(snapshot: Snapshot) -> ActionRecord:
    """The record of a renice (0 -> 5) of ``snapshot``'s busiest process half a second after it, as the
    action log holds one: the screenshots and snapshot tests show its markers and its before/after
    comparison without changing anything (the demo machine's processes are not real)."""
    from perftop.tui.action_records import ActionRecord, Subject
    from perftop.tui.tuning import Target

    proc = max(snapshot.processes, key=lambda p: p.cpu_percent or 0.0)
    subject = Subject(Target(proc.pid, proc.start_time), proc.comm, proc.cmdline or "")
    command = f"renice -n 5 -p {proc.pid}"
    return ActionRecord(snapshot.time + 0.5, subject, "nice", "0", "5", command, "ok")
