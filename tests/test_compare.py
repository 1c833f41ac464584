"""Before and after a tuning action: compare() on hand-made samples, the recent samples the App keeps,
and the comparison screen opened from the action log (on the demo machine, and live after a real renice)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import CpuUsage, ProcessInfo, Snapshot, ThreadInfo
from perftop.tui.action_log import ActionLogScreen
from perftop.tui.action_records import ActionRecord, Subject
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.compare import RecentSamples, Row, compare, recent_targets
from perftop.tui.comparison_screen import ComparisonScreen, figure
from perftop.tui.system_tuning import Setting
from perftop.tui.tuning import Target
from testbed.demo import DemoMachine
from tests.children import wait_until
from tests.factories import make_proc
from tests.test_header_widgets import cpu_snapshot, snapshot, usage
from tests.test_io_pane import machine as io_machine
from tests.test_numa_pane import make_node

T0 = 1_700_000_000.0
ACTION_AT = T0 + 30.5
TARGET = Subject(Target(42, 1042), "worker", "/bin/worker --fast")


def action(subject: Subject | Setting = TARGET, at: float = ACTION_AT) -> ActionRecord:
    return ActionRecord(at, subject, "nice", "0", "5", "renice -n 5 -p 42", "ok")


def total(user: float) -> CpuUsage:
    return CpuUsage(-1, True, user, 0.0, 5.0, 90.0 - user, 1.0, 0.5, 0.5, 3.0, None)


def sample(second: int, proc: ProcessInfo | None = None, *, user: float = 20.0, **machine: float) -> Snapshot:
    """The sample taken ``second`` seconds after T0 (interval 1 s), with the target row ``proc`` if any."""
    base = snapshot(
        cpu_snapshot(
            (usage(0, user=user),), total=total(user), context_switches_per_s=machine.get("cs", 1000.0)
        )
    )
    nodes = (
        make_node(0, numa_miss_per_s=machine.get("miss0", 10.0)),
        make_node(1, numa_miss_per_s=machine.get("miss1", 5.0)),
    )
    disks = tuple(
        replace(d, util_percent=machine.get("util", 10.0) if d.name == "sda" else 1.0) for d in io_machine()
    )
    return replace(
        base,
        time=T0 + second,
        processes=(make_proc(7),) + ((proc,) if proc is not None else ()),
        numa=replace(base.numa, nodes=nodes),
        disks=disks,
        net=replace(base.net, tcp_retrans_segs_per_s=machine.get("retrans", 2.0)),
    )


def target(**fields: object) -> ProcessInfo:
    return make_proc(42, start_time=1042, comm="worker", **fields)


class Samples:
    """A SampleSource over a list, as a recording's would be."""

    def __init__(self, samples: Sequence[Snapshot]) -> None:
        self.samples = list(samples)

    def between(self, start: float, end: float) -> Sequence[Snapshot]:
        return [s for s in self.samples if start <= s.time <= end]


def rows(comparison) -> dict[str, Row]:
    return {r.metric: r for r in comparison.rows}


def test_means_before_and_after_and_the_change() -> None:
    samples = [
        sample(
            s,
            target(cpu_percent=10.0 if s <= 30 else 25.0, io_read_bytes_per_s=1000.0, remote_percent=None),
            user=20.0 if s <= 30 else 40.0,
            cs=1000.0 if s <= 30 else 1500.0,
            util=50.0 if s <= 30 else 25.0,
        )
        for s in range(0, 70)
    ]
    comparison = compare(Samples(samples), action())
    # [t-30, t) holds the samples at 1..30 s; (t, t+30] those at 31..60.
    assert (comparison.before_samples, comparison.after_samples) == (30, 30)
    assert comparison.notes == ()
    found = rows(comparison)
    assert (found["CPU %"].before, found["CPU %"].after, found["CPU %"].change_percent) == (10.0, 25.0, 150.0)
    assert found["CPU user %"].change_percent == 100.0
    assert found["CPU idle %"].before == pytest.approx(70.0) and found["CPU idle %"].after == pytest.approx(
        50.0
    )
    assert found["context switches/s"].change_percent == 50.0
    assert found["NUMA misses/s"].before == 15.0  # summed over the nodes
    assert found["disk %util (busiest)"].before == 50.0 and found["disk %util (busiest)"].after == 25.0
    assert found["disk sda %util"].change_percent == -50.0
    assert found["TCP retransmits/s"].change_percent == 0.0
    assert found["IO read bytes/s"].change_percent == 0.0
    # Unknown in every sample (counters None): no mean, no change.
    assert found["NUMA remote %"].before is None and found["NUMA remote %"].change_percent is None
    assert found["run delay ms/s"].after is None
    # The process rows first, then the machine's.
    assert [r.group for r in comparison.rows][:8] == ["process"] * 8
    assert comparison.rows[8].group == "machine"


def test_a_change_from_zero_has_no_percent() -> None:
    samples = [sample(s, target(cpu_percent=0.0 if s <= 30 else 5.0)) for s in range(0, 70)]
    found = rows(compare(Samples(samples), action()))
    assert found["CPU %"].before == 0.0 and found["CPU %"].after == 5.0
    assert found["CPU %"].change_percent is None
    assert figure("CPU %", None) == "-" and figure("IO read bytes/s", 2048.0) == "2.0K/s"


def test_last_cpu_changes_per_second() -> None:
    # Before: the CPU changes at every sample (1/s); after: at every other one (0.5/s).
    samples = [sample(s, target(processor=s % 2 if s <= 30 else (s // 2) % 2)) for s in range(0, 70)]
    found = rows(compare(Samples(samples), action()))
    assert found["last-CPU changes/s"].before == 1.0
    assert found["last-CPU changes/s"].after == pytest.approx(15 / 29)  # 29 intervals of 1 s in (t, t+30]


def test_too_few_samples_are_noted() -> None:
    # Two samples before (the App had just started), the after window still filling.
    samples = [sample(s, target()) for s in (29, 30, 31, 32, 33)]
    comparison = compare(Samples(samples), action())
    assert (comparison.before_samples, comparison.after_samples) == (2, 3)
    assert any(n.startswith("before: 2 of ~30 samples in 30 s, too few") for n in comparison.notes)
    assert any(n.startswith("after: 3 of ~30 samples") and "filling" in n for n in comparison.notes)
    # Under half the samples the window should hold, though three or more: noted too.
    sparse = [sample(s, target()) for s in range(0, 70, 3)]  # a sample every 3 s at an interval of 1 s
    notes = [n.split(",")[0] for n in compare(Samples(sparse), action()).notes]
    assert notes == ["before: 10 of ~30 samples in 30 s", "after: 10 of ~30 samples in 30 s"]
    # Every third second of a window of 30 s at an interval of 3 s is what it should hold: no note.
    assert compare(Samples([replace(s, interval=3.0) for s in sparse]), action()).notes == ()


def test_no_samples_at_all() -> None:
    comparison = compare(Samples([]), action())
    assert (comparison.before_samples, comparison.after_samples) == (0, 0)
    assert len(comparison.notes) == 2
    assert all(r.before is None and r.after is None and r.change_percent is None for r in comparison.rows)


def test_an_absent_target_is_noted() -> None:
    # The process exited at the action (a signal): absent after, its figures unknown there.
    samples = [sample(s, target(cpu_percent=50.0) if s <= 30 else None) for s in range(0, 70)]
    comparison = compare(Samples(samples), action())
    assert comparison.notes == ("after: 42 (worker) is absent from the samples",)
    found = rows(comparison)
    assert found["CPU %"].before == 50.0 and found["CPU %"].after is None
    # Another process under the same PID (a new start time) is not the target.
    reused = [sample(s, make_proc(42, start_time=9999, cpu_percent=1.0)) for s in range(0, 70)]
    assert len(compare(Samples(reused), action()).notes) == 2


def test_a_thread_target_is_found_among_the_thread_rows() -> None:
    thread = ThreadInfo(
        **{
            **{f: getattr(target(), f) for f in ProcessInfo.__dataclass_fields__},
            "pid": 43,
            "start_time": 1050,
            "cpu_percent": 30.0,
            "tgid": 42,
        }
    )
    subject = Subject(Target(43, 1050, 42), "worker", "worker")
    samples = [replace(sample(s, target()), thread_rows=(thread,)) for s in range(0, 70)]
    found = rows(compare(Samples(samples), action(subject)))
    assert found["CPU %"].before == 30.0
    # Without thread rows (threads not shown): absent, and the note says why.
    comparison = compare(Samples([sample(s, target()) for s in range(0, 70)]), action(subject))
    assert all("press H" not in n and "threads are shown" in n for n in comparison.notes)


def test_a_system_action_has_the_machine_rows_only() -> None:
    setting = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")
    samples = [sample(s, user=20.0 if s <= 30 else 10.0) for s in range(0, 70)]
    comparison = compare(Samples(samples), action(setting))
    assert {r.group for r in comparison.rows} == {"machine"}
    assert rows(comparison)["CPU user %"].change_percent == -50.0


def test_recent_samples_keep_a_bounded_span() -> None:
    recent = RecentSamples(span_s=10.0)
    recent.add(replace(sample(0), interval=None))  # the baseline: no rates
    for s in range(1, 30):
        recent.add(sample(s))
    recent.add(sample(29))  # the same sample again
    assert len(recent) == 11  # 19..29
    assert [s.time - T0 for s in recent.between(T0 + 20, T0 + 22)] == [20, 21, 22]
    assert recent.between(T0 + 40, T0 + 50) == []
    # At most max_samples, whatever the span (a short refresh interval).
    few = RecentSamples(span_s=600.0, max_samples=5)
    for s in range(1, 30):
        few.add(sample(s))
    assert [s.time - T0 for s in few.between(T0, T0 + 60)] == [25, 26, 27, 28, 29]


def test_recent_samples_keep_only_the_processes_to_compare_in_older_samples() -> None:
    recent = RecentSamples(span_s=600.0, whole_s=20.0)
    for s in range(1, 71):
        busy = 50.0 if s <= 30 else 25.0
        recent.add(sample(s, target(cpu_percent=busy)), keep={42})
    kept = recent.between(T0, T0 + 70)
    assert len(kept) == 70
    # Older than 20 s: the target alone (and whole machine figures); newer: every process.
    assert all([p.pid for p in s.processes] == [42] for s in kept if s.time < T0 + 50)
    assert all([p.pid for p in s.processes] == [7, 42] for s in kept if s.time >= T0 + 50)
    assert all(s.cpu.total is not None and s.disks for s in kept)
    comparison = compare(recent, action())
    assert rows(comparison)["CPU %"].before == 50.0 and rows(comparison)["CPU %"].after == 25.0
    assert rows(comparison)["CPU user %"].before == 20.0
    # Bounded by count too: the slim ones are counted as they leave.
    few = RecentSamples(span_s=600.0, max_samples=10, whole_s=3.0)
    for s in range(1, 40):
        few.add(sample(s, target()), keep=())
    assert [len(s.processes) for s in few.between(T0, T0 + 40)] == [0] * 6 + [2] * 4  # 30..35, 36..39


def test_recent_targets_are_the_processes_of_applied_actions() -> None:
    thread = Subject(Target(43, 1050, 42), "worker", "worker")
    setting = Setting("sysctl", "vm.swappiness", "/proc/sys/vm/swappiness")
    log = [
        action(at=100.0),
        ActionRecord(200.0, Subject(Target(50, 1), "x", "x"), "nice", "-", "-", "-", "refused"),
        action(thread, at=300.0),
        action(setting, at=400.0),
        action(Subject(Target(60, 1), "y", "y"), at=500.0),
    ]
    assert recent_targets(log, 0.0) == {42, 60}
    assert recent_targets(log, 450.0) == {60}
    assert recent_targets([], 0.0) == set()


# --- the screen ---------------------------------------------------------------------------------------


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[DemoMachine]:
    machine = DemoMachine(tmp_path, ticking=True)
    yield machine
    machine.close()


def demo_action(app: PerftopApp) -> ActionRecord:
    """A renice of the demo machine's first process, half a second after the newest sample."""
    assert app.snapshot is not None
    proc = next(p for p in app.snapshot.processes if p.pid > 1 and not p.kernel_thread)
    subject = Subject(Target(proc.pid, proc.start_time), proc.comm, proc.cmdline or "")
    return ActionRecord(
        app.snapshot.time + 0.5, subject, "nice", "0", "5", f"renice -n 5 -p {proc.pid}", "ok"
    )


async def test_enter_in_the_log_opens_the_comparison_and_the_keys_change_the_window(
    machine: DemoMachine,
) -> None:
    app = machine.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await machine.drive(app, 12)
        record = demo_action(app)
        app.record_actions([record])
        await machine.drive(app, 4)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, ActionLogScreen)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComparisonScreen) and screen.record is record
        assert (screen.comparison.before_samples, screen.comparison.after_samples) == (12, 4)
        # Live: the after window fills as samples arrive.
        await machine.drive(app, 2)
        assert screen.comparison.after_samples == 6
        await pilot.press("right_square_bracket")
        assert screen.window_s == 60.0
        await pilot.press("left_square_bracket", "left_square_bracket", "less_than_sign")
        assert screen.window_s == 10.0
        assert screen.comparison.before_samples == 10
        await pilot.press("greater_than_sign")
        assert screen.window_s == 20.0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ActionLogScreen) and app.comparison_screen is None


async def test_the_screen_reads_any_sample_source() -> None:
    # As replay passes one backed by the recording.
    samples = [sample(s, target(cpu_percent=10.0 if s <= 30 else 20.0)) for s in range(0, 70)]
    from textual.widgets import Static

    from tests.pane_app import PaneApp

    app = PaneApp(Static("behind"))
    async with app.run_test(size=(100, 40)) as pilot:
        screen = ComparisonScreen(Samples(samples), action())
        app.push_screen(screen)
        await pilot.pause()
        text = screen.text
        assert "42 (worker)" in text and "machine" in text
        line = next(line for line in text.splitlines() if line.strip().startswith("CPU %"))
        assert line.split() == ["CPU", "%", "10.00", "20.00", "+100.0%"]


def test_process_names_are_shown_as_literal_text() -> None:
    subject = Subject(Target(42, 1042), "[red]x\x1b[2J", "x")
    samples = [sample(s, target()) for s in range(0, 70)]
    import io

    from rich.console import Console

    from perftop.tui.comparison_screen import comparison_table

    console = Console(width=200, file=io.StringIO(), record=True, color_system=None)
    console.print(comparison_table(compare(Samples(samples), action(subject))))
    text = console.export_text()
    # Not markup, and the escape spelled out rather than sent to the terminal.
    assert "42 ([red]x\\e[2J)" in text
    assert "\x1b" not in text


# --- live: a real renice, then its comparison -----------------------------------------------------------


BUSY_CHILD = "import time\nwhile True:\n    time.sleep(0.001)\n"


def means(samples: Sequence[Snapshot], pid: int, field: str) -> float | None:
    values = [getattr(p, field) for s in samples for p in s.processes if p.pid == pid]
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


@pytest.mark.live
@pytest.mark.slow
async def test_live_renice_then_its_comparison_matches_the_recorded_samples() -> None:
    import sys

    child = subprocess.Popen([sys.executable, "-c", BUSY_CHILD])
    try:
        assert wait_until(lambda: Path(f"/proc/{child.pid}/stat").exists())
        app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(child.pid,)))
        async with app.run_test(size=(120, 40)) as pilot:
            await app.sample_now()
            for _ in range(4):
                await asyncio.sleep(0.2)
                await app.sample_now()
            await pilot.pause()
            await pilot.press("f8")  # nice +1: allowed without privileges
            await app.workers.wait_for_complete()
            await pilot.pause()
            record = app.action_log[-1]
            assert record.command == f"renice -n 1 -p {child.pid}"
            for _ in range(4):
                await asyncio.sleep(0.2)
                await app.sample_now()
            await pilot.press("L")
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ComparisonScreen)
            comparison = screen.comparison
            t = record.time
            kept = app.recent_samples.between(t - 30, t + 30)
            before = [s for s in kept if s.time < t]
            after = [s for s in kept if s.time > t]
            assert (comparison.before_samples, comparison.after_samples) == (len(before), len(after))
            assert len(before) >= 4 and len(after) == 4
            found = rows(comparison)
            for metric, field in (
                ("CPU %", "cpu_percent"),
                ("voluntary switches/s", "voluntary_ctxt_switches_per_s"),
                ("run delay ms/s", "run_delay_ms_per_s"),
            ):
                assert found[metric].before == pytest.approx(means(before, child.pid, field)), metric
                assert found[metric].after == pytest.approx(means(after, child.pid, field)), metric
            # Run delay is read for the selected process and the action's target: known on both sides
            # (where the kernel keeps schedstat).
            if Path(f"/proc/{child.pid}/schedstat").exists():
                assert (
                    found["run delay ms/s"].before is not None and found["run delay ms/s"].after is not None
                )
            # The sample after the action carries its marker on the overview's history.
            overview = app._panes[1][1]
            assert overview.history.marks.count(True) == 1
            # The screen's table shows these figures.
            assert f"{child.pid} (python" in screen.text
    finally:
        child.kill()
        child.wait()


def test_the_comparison_keys_are_the_screens_bindings_and_documented() -> None:
    from textual.binding import Binding

    from perftop.tui.bindings import COMPARISON_KEYS

    names = {"left_square_bracket": "[", "right_square_bracket": "]", "less_than_sign": "<"}
    names["greater_than_sign"] = ">"
    keys = [b.key for b in ComparisonScreen.BINDINGS if isinstance(b, Binding)]
    own = {names.get(k, k) for key in keys for k in key.split(",")} - {"escape", "q"}
    assert {k for shown, _ in COMPARISON_KEYS for k in shown.split()} == own == {"[", "]", "<", ">"}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    keys_section = readme.split("## Keys", 1)[1].split("\n## ", 1)[0]
    assert "| `[` `]` `<` `>` (in the comparison) |" in keys_section


def test_rows_found_once_give_the_same_figures_and_are_forgotten_out_of_the_windows() -> None:
    samples = [sample(s, target(cpu_percent=float(s))) for s in range(0, 200)]
    found: dict[float, ProcessInfo | None] = {}
    first = compare(Samples(samples[:40]), action(), found=found)
    assert first == compare(Samples(samples[:40]), action())
    # More samples (the after window filling): the same figures as from scratch.
    assert compare(Samples(samples[:70]), action(), found=found) == compare(Samples(samples[:70]), action())
    wide = compare(Samples(samples), action(), window_s=120.0, found=found)
    assert wide == compare(Samples(samples), action(), window_s=120.0)
    compare(Samples(samples), action(), window_s=10.0, found=found)
    assert len(found) == 20  # the samples of [t-10, t+10]: 21..40 s
