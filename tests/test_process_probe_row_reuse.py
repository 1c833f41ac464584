"""process_infos with ``last_rows``: an idle process keeps its row object, and the result is always the
same as building every row anew."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from perftop.probes.processes import (
    ProcessScanner,
    ProcIo,
    ProcStat,
    ProcStatus,
    RawProcess,
    SteadyRows,
    process_infos,
)
from perftop.probes.snapshot import ProcessInfo, ProcessNuma
from testbed.fixture_tree import make_tree

PIDS = (1, 2, 3)


def reading(
    pid: int,
    ticks: int = 100,
    start_time: int = 5000,
    rss_pages: int = 10,
    processor: int = 0,
    status: ProcStatus | None = None,
    io: ProcIo | None = None,
) -> RawProcess:
    st_ = ProcStat(pid, "p", "S", 1, ticks, 7, 20, 0, 1, start_time, rss_pages, processor, 0, 0)
    return RawProcess(st_, status, 0, "root", "p", False, io)


def rows_by_pid(rows: tuple[ProcessInfo, ...]) -> dict[int, ProcessInfo]:
    return {p.pid: p for p in rows}


def infos(prev, cur, elapsed=1.0, mem=8 << 30, cpu_node=None, placements=None, last_rows=None):
    return process_infos(prev, cur, elapsed, 100, 4096, mem, cpu_node, placements, last_rows)


# --- examples -----------------------------------------------------------------------------------------


def test_idle_process_keeps_its_row_object_from_the_third_sample() -> None:
    idle = reading(1, status=ProcStatus((0, 1), 5, 1, 0), io=ProcIo(10, 20))
    first = infos(None, {1: idle}, elapsed=None)
    second = infos({1: idle}, {1: idle}, last_rows=rows_by_pid(first))
    # The first row had no rates (no baseline): the second is built anew, with rates of 0.
    assert second[0] is not first[0] and second[0].cpu_percent == 0.0
    assert second[0].voluntary_ctxt_switches_per_s == 0.0 and second[0].io_read_bytes_per_s == 0.0
    third = infos({1: idle}, {1: idle}, last_rows=rows_by_pid(second))
    assert third[0] is second[0]


def test_a_changed_or_new_reading_is_never_reused() -> None:
    idle = reading(1)
    rows = rows_by_pid(infos({1: idle}, {1: idle}))
    # Equal values but another object (read again): built anew, equal.
    again = infos({1: reading(1)}, {1: reading(1)}, last_rows=rows)
    assert again[0] is not rows[1] and again[0] == rows[1]
    busier = reading(1, ticks=150)
    assert infos({1: idle}, {1: busier}, last_rows=rows)[0].cpu_percent == 50.0


def test_rows_follow_what_changed_around_an_unchanged_reading() -> None:
    idle = reading(1, processor=1, rss_pages=1000)
    last = rows_by_pid(infos({1: idle}, {1: idle}, cpu_node={0: 0, 1: 0}))
    moved_node = infos({1: idle}, {1: idle}, cpu_node={0: 0, 1: 1}, last_rows=last)
    assert moved_node[0].node == 1
    more_memory = infos({1: idle}, {1: idle}, mem=16 << 30, cpu_node={0: 0, 1: 0}, last_rows=last)
    assert more_memory[0].mem_percent == 1000 * 4096 / (16 << 30) * 100
    placement = ProcessNuma(1, {0: 1000, 1: 3000}, 4000, (0, 1))
    with_numa = infos({1: idle}, {1: idle}, cpu_node={0: 0, 1: 0}, placements={1: placement}, last_rows=last)
    assert with_numa[0].remote_percent == 75.0
    no_elapsed = infos({1: idle}, {1: idle}, elapsed=None, cpu_node={0: 0, 1: 0}, last_rows=last)
    assert no_elapsed[0].cpu_percent is None


def test_rate_falls_to_zero_the_tick_after_a_change() -> None:
    a, b = reading(1, ticks=100), reading(1, ticks=130)
    first = rows_by_pid(infos({1: a}, {1: b}))
    assert first[1].cpu_percent == 30.0
    # b again, unchanged: the last row has a rate of 30, the new one 0.
    second = infos({1: b}, {1: b}, last_rows=first)
    assert second[0].cpu_percent == 0.0 and second[0] is not first[1]


def test_scanner_and_rows_reuse_on_a_fixture_tree(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    scanner = ProcessScanner(fs)
    prev = scanner.scan([655, 2001])
    last: dict[int, ProcessInfo] = {}
    for _ in range(3):
        cur = scanner.scan([655, 2001])
        rows = infos(prev, cur, last_rows=last)
        assert rows == infos(prev, cur)
        fresh = rows_by_pid(rows)
        if last:
            # (sd-pam) never runs: its stat and status are unchanged, so its reading and row are reused.
            assert cur[655] is prev[655] and fresh[655] is last[655]
        last, prev = fresh, cur
    scanner.close()


# --- property: the same result as building every row -------------------------------------------------

counters = st.one_of(st.none(), st.integers(0, 1))
statuses = st.one_of(st.none(), st.builds(ProcStatus, st.just((0, 1)), counters, counters, st.just(0)))
ios = st.one_of(st.none(), st.builds(ProcIo, counters, counters))
new_reading = st.builds(
    dict,
    ticks=st.integers(0, 1),
    start_time=st.sampled_from([5000, 6000]),
    rss_pages=st.sampled_from([0, 10]),
    processor=st.sampled_from([0, 1]),
    status=statuses,
    io=ios,
)
#: Per PID and tick: gone; the very object of the last tick; the last reading with one counter bumped
#: (a change a rate shows, then not the tick after); or a new reading (maybe equal in value).
BUMPS = ("ticks", "vcsw", "nvcsw", "io_read", "io_write", "start_time")
step = st.sampled_from(["gone", "same", "same", "same", "bump", "new"]).flatmap(
    lambda kind: (
        new_reading
        if kind == "new"
        else st.sampled_from(BUMPS).map(lambda field: ("bump", field))
        if kind == "bump"
        else st.just(kind)
    )
)
#: What else a row depends on; it changes now and then (None: the same as the last tick).
context = st.fixed_dictionaries(
    {
        "mem": st.sampled_from([None, 8 << 30, 8 << 30, 16 << 30]),
        "cpu_node": st.sampled_from([None, {0: 0, 1: 1}, {0: 0, 1: 1}, {0: 0, 1: 1}, {0: 1, 1: 1}]),
        "numa": st.sampled_from([None, {}, {2: ProcessNuma(2, {0: 5, 1: 15}, 20, None)}]),
        "clk_tck": st.sampled_from([100, 100, 100, 250]),
        "page": st.sampled_from([4096, 4096, 4096, 16384]),
    }
)
tick = st.tuples(
    st.fixed_dictionaries({pid: step for pid in PIDS}),
    st.sampled_from([None, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0]),
    st.one_of(st.just(None), st.just(None), st.just(None), context),
)
FIRST_CONTEXT = {"mem": 8 << 30, "cpu_node": {0: 0, 1: 1}, "numa": None, "clk_tck": 100, "page": 4096}


def bumped(raw: RawProcess, field: str) -> RawProcess:
    """``raw`` read again with one counter one higher (a status or io it lacks: one made up)."""
    st_, status, io = raw.stat, raw.status or ProcStatus((0, 1), 0, 0, 0), raw.io or ProcIo(0, 0)
    if field == "ticks":
        st_ = replace(st_, utime=st_.utime + 1)
    elif field == "start_time":
        st_ = replace(st_, start_time=st_.start_time + 1)
    elif field in ("vcsw", "nvcsw"):
        name = "voluntary_ctxt_switches" if field == "vcsw" else "nonvoluntary_ctxt_switches"
        status = replace(status, **{name: (getattr(status, name) or 0) + 1})
    else:
        name = "read_bytes" if field == "io_read" else "write_bytes"
        io = replace(io, **{name: (getattr(io, name) or 0) + 1})
    return replace(
        raw,
        stat=st_,
        status=status if raw.status or field in ("vcsw", "nvcsw") else None,
        io=io if raw.io or field.startswith("io") else None,
    )


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.lists(tick, min_size=2, max_size=10))
def test_reused_rows_equal_rows_built_anew(ticks: list) -> None:
    prev: dict[int, RawProcess] | None = None
    last: dict[int, ProcessInfo] | None = None
    # The same with the memo of steady rows, as the sampler calls it: its own chain of last rows.
    steady, last_steady = SteadyRows(), None
    ctx = FIRST_CONTEXT
    for steps, elapsed, new_ctx in ticks:
        ctx = new_ctx or ctx
        cur: dict[int, RawProcess] = {}
        for pid, what in steps.items():
            before = None if prev is None else prev.get(pid)
            if what == "same":
                if before is not None:
                    cur[pid] = before
            elif isinstance(what, tuple):
                if before is not None:
                    cur[pid] = bumped(before, what[1])
            elif what != "gone":
                cur[pid] = reading(pid, **what)
        args = (
            prev,
            cur,
            elapsed,
            ctx["clk_tck"],
            ctx["page"],
            ctx["mem"],
            ctx["cpu_node"],
            ctx["numa"],
        )
        built = process_infos(*args)
        reused = process_infos(*args, last_rows=last)
        assert reused == built
        known = set(steady.pids) if last_steady is not None else set()
        memoized = process_infos(*args, last_rows=last_steady, steady=steady)
        assert memoized == built
        # Reused rows are the very objects of the last rows, never a row of another process.
        for row in reused:
            if last is not None and row is last.get(row.pid):
                event("reused")
                assert prev is not None and cur[row.pid] is prev[row.pid]
        for row in memoized:
            if last_steady is not None and row is last_steady.get(row.pid):
                event("reused as steady" if row.pid in known else "reused after a look")
                assert prev is not None and cur[row.pid] is prev[row.pid]
        prev, last, last_steady = cur, rows_by_pid(reused), rows_by_pid(memoized)


@pytest.mark.parametrize("field", BUMPS)
@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({}, {}),
        ({}, {"clk_tck": 250}),
        ({}, {"page": 16384}),
        ({"mem": None}, {"mem": None, "page": 16384}),  # no mem_percent to tell the page size change
        ({}, {"mem": 16 << 30}),
        ({}, {"cpu_node": {0: 1, 1: 1}}),
        ({}, {"numa": {1: ProcessNuma(1, {0: 5, 1: 15}, 20, None)}}),
    ],
    ids=lambda change: ",".join(change) or "-",
)
def test_each_counter_change_then_idle_ticks(field: str, before: dict, after: dict) -> None:
    """Idle, one counter changes, idle again (the rate falls to 0), with the context changing or not."""
    idle = reading(1, status=ProcStatus((0, 1), 5, 1, 0), io=ProcIo(10, 20))
    changed = bumped(idle, field)
    first, later = {**FIRST_CONTEXT, **before}, {**FIRST_CONTEXT, **after}
    sequence = [(idle, first), (idle, first), (idle, first), (changed, first)]
    sequence += [(changed, first), (changed, later), (changed, later)]
    prev: dict[int, RawProcess] | None = None
    last: dict[int, ProcessInfo] | None = None
    last_steady: dict[int, ProcessInfo] | None = None
    steady = SteadyRows()
    reused = reused_steady = 0
    for raw, ctx in sequence:
        args = (prev, {1: raw}, 1.0, ctx["clk_tck"], ctx["page"], ctx["mem"], ctx["cpu_node"], ctx["numa"])
        rows = process_infos(*args, last_rows=last)
        assert rows == process_infos(*args)
        reused += last is not None and rows[0] is last[1]
        memoized = process_infos(*args, last_rows=last_steady, steady=steady)
        assert memoized == rows
        reused_steady += last_steady is not None and memoized[0] is last_steady[1]
        prev, last, last_steady = {1: raw}, rows_by_pid(rows), rows_by_pid(memoized)
    assert reused >= 2  # the third idle tick, and the last
    assert reused_steady == reused


def test_steady_rows_are_returned_without_a_look_and_forgotten_when_the_context_moves() -> None:
    idle = reading(1, status=ProcStatus((0, 1), 5, 1, 0), io=ProcIo(10, 20), processor=1)
    busy = reading(2)
    steady = SteadyRows()
    prev = {1: idle, 2: busy}
    last = rows_by_pid(process_infos(None, prev, None, 100, 4096, 8 << 30, {0: 0, 1: 0}, steady=steady))
    assert steady.pids == set()  # no rates yet: nothing steady
    for ticks in (101, 102):
        cur = {1: idle, 2: reading(2, ticks=ticks)}
        rows = rows_by_pid(
            process_infos(prev, cur, 1.0, 100, 4096, 8 << 30, {0: 0, 1: 0}, last_rows=last, steady=steady)
        )
        assert steady.pids == {1}
        prev, last = cur, rows
    held = last[1]
    cur = {1: idle, 2: reading(2, ticks=103)}
    rows = rows_by_pid(
        process_infos(prev, cur, 1.0, 100, 4096, 8 << 30, {0: 0, 1: 0}, last_rows=last, steady=steady)
    )
    assert rows[1] is held
    # CPU 1 moves to node 1: the row is looked at again, and shows the new node.
    moved = rows_by_pid(
        process_infos(cur, cur, 1.0, 100, 4096, 8 << 30, {0: 0, 1: 1}, last_rows=rows, steady=steady)
    )
    assert moved[1] is not held and moved[1].node == 1 and moved[1].cpu_percent == 0.0
    # A PID whose numa_maps is read is never taken as steady (its REMOTE% follows the placement).
    placement = ProcessNuma(1, {0: 1000, 1: 3000}, 4000, (0, 1))
    numa = process_infos(
        cur, cur, 1.0, 100, 4096, 8 << 30, {0: 0, 1: 1}, {1: placement}, moved, steady=steady
    )
    assert numa[0].remote_percent == 25.0 and 1 not in steady.pids
