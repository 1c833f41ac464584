"""The sampling thread: samples off the event loop at its own cadence, each handed over on the loop and
taken only once the last is shown; and the App's request that tells it what to read."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from perftop.probes.snapshot import Snapshot
from perftop.tui.app import STATUS_MARGIN_ROWS, AppOptions, PerftopApp
from perftop.tui.sampling import SamplingThread
from testbed.demo import DemoMachine


class Recorder:
    """``take``/``deliver``/``fail`` of a SamplingThread, recording threads and values."""

    def __init__(self, results: list[object] | None = None) -> None:
        self.results = results
        self.taken_on: list[threading.Thread] = []
        self.taken_at: list[float] = []
        self.delivered: list[object] = []
        self.delivered_on: list[threading.Thread] = []
        self.failed: list[Exception] = []
        self.event = asyncio.Event()
        self.gate = threading.Event()
        self.gate.set()

    def take(self) -> object:
        self.taken_on.append(threading.current_thread())
        self.taken_at.append(time.monotonic())
        self.gate.wait(5)
        if self.results is not None:
            value = self.results.pop(0)
            if isinstance(value, Exception):
                raise value
            return value
        return len(self.taken_on)

    def deliver(self, value: object) -> None:
        self.delivered.append(value)
        self.delivered_on.append(threading.current_thread())
        self.event.set()

    def fail(self, error: Exception) -> None:
        self.failed.append(error)
        self.event.set()

    async def next(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()


async def wait_for(predicate: Callable[[], bool]) -> None:
    for _ in range(250):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_samples_come_from_the_thread_each_once_the_last_is_shown() -> None:
    loop = asyncio.get_running_loop()
    rec = Recorder()
    sampling = SamplingThread(rec.take, rec.deliver, rec.fail, lambda _: 0.1, loop)
    try:
        sampling.schedule(0.05)
        await rec.next()
        assert rec.delivered == [1]
        assert rec.taken_on[0].name == "perftop-sampler"
        assert rec.taken_on[0] is not threading.current_thread()
        assert rec.delivered_on == [threading.current_thread()]
        # The next is due 0.1 s after the first, but the first is not shown yet: none is taken.
        await asyncio.sleep(0.3)
        assert rec.delivered == [1]
        sampling.shown()  # past due: taken at once
        await rec.next()
        assert rec.delivered == [1, 2]
        sampling.shown()  # before due: taken 0.1 s after the last, not sooner
        await rec.next()
        assert rec.delivered == [1, 2, 3]
        gaps = [b - a for a, b in pairwise(rec.taken_at)]
        assert gaps[0] >= 0.3 and 0.1 <= gaps[1] < 0.3
    finally:
        sampling.stop()


async def test_a_schedule_moves_the_next_sample_and_none_is_taken_unasked() -> None:
    loop = asyncio.get_running_loop()
    rec = Recorder()
    sampling = SamplingThread(rec.take, rec.deliver, rec.fail, lambda _: 30.0, loop)
    try:
        await asyncio.sleep(0.2)
        assert rec.taken_on == []  # nothing asked yet
        sampling.schedule(0.01)
        await rec.next()
        sampling.shown()
        await asyncio.sleep(0.2)
        assert rec.delivered == [1]  # the next is 30 s away
        sampling.schedule(0.01)  # sooner
        await rec.next()
        assert rec.delivered == [1, 2]
        # Asked while a sample is under way: taken once that one is shown.
        rec.gate.clear()
        sampling.shown()
        sampling.schedule(0)
        await wait_for(lambda: len(rec.taken_on) == 3)
        sampling.schedule(0)
        rec.gate.set()
        await rec.next()
        await asyncio.sleep(0.2)
        assert rec.delivered == [1, 2, 3]
        sampling.shown()
        await rec.next()
        assert rec.delivered == [1, 2, 3, 4]
    finally:
        sampling.stop()


async def test_stop_ends_the_thread_waiting_or_mid_sample() -> None:
    loop = asyncio.get_running_loop()
    rec = Recorder()
    idle = SamplingThread(rec.take, rec.deliver, rec.fail, lambda _: 1.0, loop)
    idle.stop()
    assert not idle._thread.is_alive()

    rec.gate.clear()  # the sample blocks until released
    busy = SamplingThread(rec.take, rec.deliver, rec.fail, lambda _: 1.0, loop)
    busy.schedule(0)
    for _ in range(100):
        if rec.taken_on:
            break
        await asyncio.sleep(0.01)
    threading.Timer(0.1, rec.gate.set).start()
    busy.stop()  # waits for the sample under way, then the thread ends without another
    assert not busy._thread.is_alive()
    assert len(rec.taken_on) == 1


async def test_an_error_goes_to_fail_and_ends_the_thread() -> None:
    loop = asyncio.get_running_loop()
    rec = Recorder(results=[RuntimeError("broken probe")])
    sampling = SamplingThread(rec.take, rec.deliver, rec.fail, lambda _: 1.0, loop)
    sampling.schedule(0)
    await rec.next()
    assert [str(e) for e in rec.failed] == ["broken probe"] and rec.delivered == []
    sampling._thread.join(2)
    assert not sampling._thread.is_alive()


def test_a_closed_loop_ends_the_thread_quietly() -> None:
    loop = asyncio.new_event_loop()
    rec = Recorder()
    loop.close()
    sampling = SamplingThread(rec.take, rec.deliver, rec.fail, lambda _: 1.0, loop)
    sampling.schedule(0)
    sampling._thread.join(2)
    assert not sampling._thread.is_alive() and len(rec.taken_on) == 1


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[DemoMachine]:
    machine = DemoMachine(tmp_path, processes=120)
    yield machine
    machine.close()


def recording_sampler(machine: DemoMachine) -> list[tuple[str, dict[str, object]]]:
    """Make the machine's sampler record the thread and arguments of each sample, and tick the tree."""
    calls: list[tuple[str, dict[str, object]]] = []
    sample = machine.sampler.sample

    def recording(*args: object, **kwargs: object) -> Snapshot:
        calls.append((threading.current_thread().name, kwargs))
        machine.advance()
        return sample(*args, **kwargs)  # type: ignore[arg-type]

    machine.sampler.sample = recording  # type: ignore[method-assign]
    return calls


@pytest.mark.slow
async def test_the_app_samples_on_its_thread_one_at_a_time_until_it_exits(machine: DemoMachine) -> None:
    calls = recording_sampler(machine)
    app = PerftopApp(machine.sampler, AppOptions(interval=0.1, first_delay=0.05))
    shown: list[Snapshot] = []
    apply = app._apply
    app._apply = lambda snapshot: (shown.append(snapshot), apply(snapshot))[1]  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)):
        await wait_for(lambda: len(shown) >= 5)
        thread = app._sampling._thread  # type: ignore[union-attr]
    assert not thread.is_alive()
    assert {name for name, _ in calls} == {"perftop-sampler"}
    # Each sample was shown before the next was taken: ticks 1, 2, 3 ... one fixture second apart.
    assert [s.interval for s in shown[1:5]] == [1.0, 1.0, 1.0, 1.0]
    assert len(calls) - len(shown) <= 1


@pytest.mark.slow
async def test_the_next_sample_reads_what_the_screen_shows_now(machine: DemoMachine) -> None:
    """The event loop keeps the thread's request current as the view changes between samples: a
    scroll, a sort by a status column, pane 5 shown and left."""
    calls = recording_sampler(machine)
    app = PerftopApp(machine.sampler, AppOptions(interval=3600, first_delay=0.05))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(lambda: len(calls) == 2 and app.snapshot is not None and app.snapshot.interval)
        await pilot.pause()
        table = app.table
        shown = table.visible_pids(margin=STATUS_MARGIN_ROWS)
        assert app._request["status_pids"] == shown and len(shown) < 120
        assert app._request["sockets"] is False

        app.action_sort("voluntary_ctxt_switches_per_s")  # a status column: every process's status
        assert app._request["status_pids"] is None
        app.action_sort("cpu")
        assert app._request["status_pids"] == table.visible_pids(margin=STATUS_MARGIN_ROWS)

        await pilot.resize_terminal(120, 50)  # taller: more rows on screen, no scroll
        await pilot.pause()
        taller = table.visible_pids(margin=STATUS_MARGIN_ROWS)
        assert len(taller) > len(shown) and app._request["status_pids"] == taller

        table.scroll_to(y=60, animate=False)
        await pilot.pause()
        scrolled = table.visible_pids(margin=STATUS_MARGIN_ROWS)
        assert scrolled != shown and app._request["status_pids"] == scrolled

        await pilot.press("5")  # no socket tables yet: sampled at once, with them
        await wait_for(lambda: len(calls) == 3)
        assert calls[-1][1]["sockets"] is True
        await pilot.press("1")
        assert app._request["sockets"] is False
        assert len(calls) == 3
