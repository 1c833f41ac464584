"""Tests for probes/cpu.py: parsers, the mpstat-style arithmetic, readers, real captures and this machine."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perftop.probes.cpu import (
    TOTAL_CPU,
    CpuTicks,
    StatCounters,
    cpu_snapshot,
    parse_loadavg,
    parse_pressure,
    parse_stat,
    parse_uptime,
    read_loadavg,
    read_pressure,
    read_stat,
    read_uptime,
    user_hz,
)
from perftop.probes.cpulist import parse_cpu_list
from perftop.probes.fs import FS, read_text
from perftop.probes.snapshot import CPU_STATES, CpuSeconds, CpuUsage, Pressure

CAPTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "procfs"


def percents(usage: CpuUsage) -> dict[str, float | None]:
    return {name: getattr(usage, name) for name in CPU_STATES}


def stat(cpus: dict[int, str], total: str | None = None, extra: str = "") -> StatCounters:
    """A StatCounters parsed from cpu lines given as their numeric columns."""
    lines = [f"cpu  {total}"] if total is not None else []
    lines += [f"cpu{n} {columns}" for n, columns in cpus.items()]
    return parse_stat("\n".join(lines) + "\n" + extra)


# --- parse_stat -------------------------------------------------------------------------------------------

CURRENT_STAT = """\
cpu  10132153 290696 3084719 46828483 16683 0 25195 0 175628 0
cpu0 1393280 32966 572056 13343292 6130 0 17875 0 23933 0
cpu1 1335898 39720 496218 13443491 2767 0 2341 11 21018 0
intr 199292 41 9 0 0 0 0 0 0 1 172
ctxt 38014093
btime 1418183276
processes 26442
procs_running 2
procs_blocked 1
softirq 5057579 250191 1481983 1647 211099 186066 0 1783454 622196 12499 508444
"""


def test_parse_stat_current_ten_columns() -> None:
    counters = parse_stat(CURRENT_STAT)
    assert counters.total == CpuTicks(10132153, 290696, 3084719, 46828483, 16683, 0, 25195, 0)
    assert list(counters.cpus) == [0, 1]
    # guest (175628) and guest_nice are inside user/nice already: they must not show up anywhere.
    assert counters.cpus[1] == CpuTicks(1335898, 39720, 496218, 13443491, 2767, 0, 2341, 11)
    assert counters.interrupts == 199292
    assert counters.context_switches == 38014093
    assert counters.boot_time == 1418183276
    assert counters.forks == 26442
    assert counters.procs_running == 2
    assert counters.procs_blocked == 1


def test_parse_stat_old_four_and_seven_column_kernels() -> None:
    four = parse_stat("cpu  100 2 30 400\ncpu0 100 2 30 400\nctxt 5\n")
    assert four.total == CpuTicks(user=100, nice=2, system=30, idle=400)
    assert four.cpus[0].iowait == four.cpus[0].irq == four.cpus[0].softirq == four.cpus[0].steal == 0
    assert four.context_switches == 5
    # 2.4 kernels have no procs_running/procs_blocked lines: unknown, not zero.
    assert four.procs_running is None and four.procs_blocked is None

    seven = parse_stat("cpu  1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n")
    assert seven.cpus[0] == CpuTicks(1, 2, 3, 4, 5, 6, 7, 0)


def test_parse_stat_skips_garbled_and_partial_lines() -> None:
    text = (
        "cpu  1 2 3 4 5 6 7 8 0 0\n"
        "cpu0 1 2 3 4 5 6 7 8 0 0\n"
        "cpu1 12 x 3 4 5 6 7 8\n"  # garbled number
        "cpu2 1 2\n"  # cut short
        "cpuX 1 2 3 4\n"  # not a CPU number
        "cpu3 -1 2 3 4\n"  # the kernel's counters are unsigned
        "\n"
        "intr\n"
        "ctxt many\n"
        "processes 12 extra\n"
        "procs_running\n"
        "procs_blocked 3"  # no trailing newline: still a whole line
    )
    counters = parse_stat(text)
    assert counters.total == CpuTicks(1, 2, 3, 4, 5, 6, 7, 8)
    assert list(counters.cpus) == [0]
    assert counters.interrupts is None
    assert counters.context_switches is None
    assert counters.forks == 12
    assert counters.procs_running is None
    assert counters.procs_blocked == 3
    assert counters.boot_time is None


def test_parse_stat_empty_and_offline_gaps() -> None:
    empty = parse_stat("")
    assert empty == StatCounters(None, {}, None, None, None, None, None, None)
    # CPU 1 offline: the kernel writes no cpu1 line; the numbers of the others are kept as written.
    gap = parse_stat("cpu2 1 1 1 1\ncpu0 1 1 1 1\n")
    assert list(gap.cpus) == [0, 2]
    assert gap.total is None


def test_cpu_ticks_follow_the_shared_state_order() -> None:
    assert tuple(f.name for f in dataclasses.fields(CpuTicks)) == CPU_STATES
    assert CpuTicks(1, 2, 3, 4, 5, 6, 7, 8).values() == (1, 2, 3, 4, 5, 6, 7, 8)


# --- small parsers ----------------------------------------------------------------------------------------


def test_parse_loadavg() -> None:
    assert parse_loadavg("0.02 0.04 0.05 1/497 11947\n") == (0.02, 0.04, 0.05)
    assert parse_loadavg("12.50 7.25 3.00 5/1000 42") == (12.5, 7.25, 3.0)
    assert parse_loadavg("") is None
    assert parse_loadavg("0.02 0.04") is None
    assert parse_loadavg("0.02 zero 0.05 1/2 3") is None


def test_parse_pressure_with_full_line() -> None:
    text = (
        "some avg10=1.25 avg60=0.81 avg300=0.51 total=3859790\n"
        "full avg10=0.50 avg60=0.00 avg300=0.00 total=1200\n"
    )
    assert parse_pressure(text) == Pressure(
        some_avg10=1.25, some_total_us=3859790, full_avg10=0.5, full_total_us=1200
    )


def test_parse_pressure_cpu_without_full_line() -> None:
    pressure = parse_pressure("some avg10=0.10 avg60=2.00 avg300=3.85 total=15\n")
    assert pressure == Pressure(some_avg10=0.1, some_total_us=15, full_avg10=None, full_total_us=None)


def test_parse_pressure_garbled_values_are_none() -> None:
    pressure = parse_pressure("some avg10=x avg60=0 total=12\nfull avg10=0.3 total=\nnoise\n")
    assert pressure == Pressure(some_avg10=None, some_total_us=12, full_avg10=0.3, full_total_us=None)
    assert parse_pressure("") == Pressure(None, None, None, None)


def test_parse_uptime() -> None:
    assert parse_uptime("350735.47 234388.90\n") == 350735.47
    assert parse_uptime("12") == 12.0
    assert parse_uptime("") is None
    assert parse_uptime("soon 1.0") is None


# --- cpu_snapshot -----------------------------------------------------------------------------------------


def test_cpu_snapshot_exact_percents_and_rates() -> None:
    prev = stat(
        {0: "100 0 50 800 50 0 0 0", 1: "10 0 10 10 0 0 0 0"},
        total="110 0 60 810 50 0 0 0",
        extra="intr 1000\nctxt 500\nprocesses 40\n",
    )
    cur = stat(
        {0: "130 10 70 920 60 5 5 0", 1: "60 0 10 60 0 0 0 0"},
        total="190 10 80 980 60 5 5 0",
        extra="intr 1600\nctxt 800\nprocesses 45\nprocs_running 3\nprocs_blocked 1\n",
    )
    snap = cpu_snapshot(prev, cur, 2.0, 100, (1.0, 0.5, 0.25), None)

    cpu0, cpu1 = snap.per_cpu
    assert (cpu0.cpu, cpu0.online, cpu1.cpu, cpu1.online) == (0, True, 1, True)
    # cpu0 deltas 30 10 20 120 10 5 5 0 over 200 ticks.
    assert percents(cpu0) == pytest.approx(
        {
            "user": 15.0,
            "nice": 5.0,
            "system": 10.0,
            "idle": 60.0,
            "iowait": 5.0,
            "irq": 2.5,
            "softirq": 2.5,
            "steal": 0.0,
        },
        abs=1e-9,
    )
    assert cpu0.busy == pytest.approx(35.0)
    assert cpu1.user == pytest.approx(50.0) and cpu1.idle == pytest.approx(50.0)
    assert cpu0.seconds == CpuSeconds(1.3, 0.1, 0.7, 9.2, 0.6, 0.05, 0.05, 0.0)

    assert snap.total is not None
    assert snap.total.cpu == TOTAL_CPU and snap.total.online
    # total deltas 80 10 20 170 10 5 5 0 over 300 ticks.
    assert snap.total.user == pytest.approx(80 / 3)
    assert snap.total.idle == pytest.approx(170 / 3)
    assert snap.total.seconds == CpuSeconds(1.9, 0.1, 0.8, 9.8, 0.6, 0.05, 0.05, 0.0)

    assert snap.interrupts == 1600 and snap.interrupts_per_s == pytest.approx(300.0)
    assert snap.context_switches == 800 and snap.context_switches_per_s == pytest.approx(150.0)
    assert snap.forks == 45 and snap.forks_per_s == pytest.approx(2.5)
    assert (snap.procs_running, snap.procs_blocked) == (3, 1)
    assert snap.loadavg == (1.0, 0.5, 0.25)
    assert snap.pressure is None


def test_iowait_going_backwards_counts_zero_and_keeps_other_states() -> None:
    prev = stat({0: "100 0 0 800 50 0 0 0"})
    cur = stat({0: "150 0 0 950 40 0 0 0"})  # iowait 50 -> 40, as tickless kernels do
    (cpu0,) = cpu_snapshot(prev, cur, 1.0, 100, None, None).per_cpu
    assert cpu0.iowait == 0.0
    assert cpu0.user == pytest.approx(25.0)
    assert cpu0.idle == pytest.approx(75.0)
    assert sum(v for v in percents(cpu0).values() if v is not None) == pytest.approx(100.0)
    assert min(v for v in percents(cpu0).values() if v is not None) >= 0.0
    # The cumulative seconds are the kernel's, not corrected.
    assert cpu0.seconds is not None and cpu0.seconds.iowait == pytest.approx(0.4)


def test_counters_going_backwards_as_a_whole_give_unknown_states() -> None:
    # A reset, or another tree read in place of the last one: nothing of the interval can be told.
    prev = stat(
        {0: "500 20 300 9000 40 5 6 0", 1: "500 20 300 9000 40 5 6 0"}, "1000 40 600 18000 80 10 12 0"
    )
    cur = stat({0: "10 0 5 200 1 0 0 0", 1: "600 20 350 9080 30 5 6 0"}, "610 20 355 9280 31 5 6 0")
    snap = cpu_snapshot(prev, cur, 1.0, 100, None, None)
    cpu0, cpu1 = snap.per_cpu
    assert cpu0.online and set(percents(cpu0).values()) == {None} and cpu0.busy is None
    assert cpu0.seconds is not None and cpu0.seconds.user == pytest.approx(0.1)  # the kernel's, as read
    assert snap.total is not None and set(percents(snap.total).values()) == {None}
    # Only iowait fell on CPU 1: counted 0, the other states kept.
    assert cpu1.iowait == 0.0 and cpu1.user == pytest.approx(100 / 2.3)
    # idle falling while iowait grows more (an idle period counted as iowait from now on): the sum grew.
    shifted = cpu_snapshot(
        stat({0: "5 0 5 900 10 0 0 0"}), stat({0: "5 0 5 880 130 0 0 0"}), 1, 100, None, None
    )
    assert shifted.per_cpu[0].idle == 0.0 and shifted.per_cpu[0].iowait == 100.0


def test_cpu_without_ticks_is_fully_idle() -> None:
    prev = stat({0: "5 0 5 100 0 0 0 0", 1: "5 0 5 100 0 0 0 0"})
    cur = stat({0: "5 0 5 100 0 0 0 0", 1: "6 0 5 199 0 0 0 0"})
    cpu0, cpu1 = cpu_snapshot(prev, cur, 1.0, 100, None, None).per_cpu
    assert cpu0.online
    assert percents(cpu0) == {name: (100.0 if name == "idle" else 0.0) for name in CPU_STATES}
    assert cpu1.idle == pytest.approx(99.0)
    # Only backward steps in the interval: nothing counted, so idle too.
    backwards = cpu_snapshot(
        stat({0: "5 0 5 100 9 0 0 0"}), stat({0: "5 0 5 100 3 0 0 0"}), 1.0, 100, None, None
    )
    assert backwards.per_cpu[0].idle == 100.0 and backwards.per_cpu[0].iowait == 0.0


def test_cpus_going_offline_and_coming_online() -> None:
    prev = stat({0: "10 0 10 80 0 0 0 0", 1: "10 0 10 80 0 0 0 0", 3: "1 1 1 1 0 0 0 0"})
    cur = stat({0: "20 0 20 160 0 0 0 0", 2: "50 0 50 100 0 0 0 0", 3: "2 2 2 2 0 0 0 0"})
    per_cpu = cpu_snapshot(prev, cur, 1.0, 100, None, None).per_cpu
    assert [u.cpu for u in per_cpu] == [0, 1, 2, 3]
    by_cpu = {u.cpu: u for u in per_cpu}

    offline = by_cpu[1]
    assert offline == CpuUsage(1, False, None, None, None, None, None, None, None, None, seconds=None)
    assert offline.busy is None

    came_online = by_cpu[2]
    assert came_online.online
    assert all(v is None for v in percents(came_online).values())
    assert came_online.seconds == CpuSeconds(0.5, 0.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0)

    assert by_cpu[0].user == pytest.approx(10.0)
    assert by_cpu[3].user == pytest.approx(25.0)


def test_counter_resets_and_unknown_intervals_give_none_rates() -> None:
    prev = stat({0: "1 1 1 1"}, extra="intr 1000\nctxt 500\nprocesses 40\n")
    reset = stat({0: "2 2 2 2"}, extra="intr 1100\nctxt 20\nprocesses 41\n")
    snap = cpu_snapshot(prev, reset, 1.0, 100, None, None)
    assert snap.context_switches == 20 and snap.context_switches_per_s is None
    assert snap.interrupts_per_s == pytest.approx(100.0)
    assert snap.forks_per_s == pytest.approx(1.0)

    for elapsed in (None, 0.0, -1.0):
        snap = cpu_snapshot(prev, reset, elapsed, 100, None, None)
        assert (snap.context_switches_per_s, snap.interrupts_per_s, snap.forks_per_s) == (None, None, None)
        # Percentages need only the ticks, not the wall clock.
        assert snap.per_cpu[0].user == pytest.approx(25.0)

    missing = stat({0: "2 2 2 2"}, extra="ctxt 600\n")
    snap = cpu_snapshot(prev, missing, 1.0, 100, None, None)
    assert snap.context_switches_per_s == pytest.approx(100.0)
    assert snap.interrupts is None and snap.interrupts_per_s is None
    assert snap.forks is None and snap.forks_per_s is None


def test_first_sample_has_seconds_but_no_percents_or_rates() -> None:
    cur = stat(
        {0: "250 0 50 700 0 0 0 0", 1: "100 0 0 900 0 0 0 0"},
        total="350 0 50 1600 0 0 0 0",
        extra="intr 1600\nctxt 800\nprocesses 45\n",
    )
    pressure = {"cpu": Pressure(0.1, 15, None, None)}
    snap = cpu_snapshot(None, cur, None, 250, None, pressure)
    assert [u.cpu for u in snap.per_cpu] == [0, 1]
    for usage in snap.per_cpu:
        assert usage.online
        assert all(v is None for v in percents(usage).values())
        assert usage.busy is None
    assert snap.per_cpu[0].seconds == CpuSeconds(1.0, 0.0, 0.2, 2.8, 0.0, 0.0, 0.0, 0.0)
    assert snap.total is not None and snap.total.user is None
    assert snap.total.seconds == CpuSeconds(1.4, 0.0, 0.2, 6.4, 0.0, 0.0, 0.0, 0.0)
    assert (snap.context_switches, snap.interrupts, snap.forks) == (800, 1600, 45)
    assert (snap.context_switches_per_s, snap.interrupts_per_s, snap.forks_per_s) == (None, None, None)
    assert snap.pressure == pressure


def test_total_is_none_without_an_aggregate_line() -> None:
    snap = cpu_snapshot(stat({0: "1 1 1 1"}), stat({0: "2 2 2 2"}), 1.0, 100, None, None)
    assert snap.total is None
    # An aggregate line only in cur: no baseline for it.
    snap = cpu_snapshot(stat({0: "1 1 1 1"}), stat({0: "2 2 2 2"}, total="2 2 2 2"), 1.0, 100, None, None)
    assert snap.total is not None and snap.total.user is None and snap.total.seconds is not None


def test_unreadable_stat_gives_no_cpus_and_no_counters() -> None:
    prev = stat({0: "1 1 1 1", 1: "1 1 1 1"}, total="2 2 2 2", extra="ctxt 5\n")
    snap = cpu_snapshot(prev, None, 1.0, 100, (0.5, 0.5, 0.5), None)
    # Not being able to read /proc/stat says nothing about the CPUs: none is reported offline.
    assert snap.per_cpu == ()
    assert snap.total is None
    assert (snap.context_switches, snap.context_switches_per_s, snap.procs_running) == (None, None, None)
    assert snap.loadavg == (0.5, 0.5, 0.5)


ticks = st.builds(CpuTicks, *[st.integers(0, 2**40)] * len(CPU_STATES))


@given(ticks, ticks)
def test_percents_always_sum_to_100_or_are_all_unknown(prev: CpuTicks, cur: CpuTicks) -> None:
    before = StatCounters(prev, {0: prev}, None, None, None, None, None, None)
    after = StatCounters(cur, {0: cur}, None, None, None, None, None, None)
    (usage,) = cpu_snapshot(before, after, 1.0, 100, None, None).per_cpu
    changes = [c - p for p, c in zip(prev.values(), cur.values(), strict=True)]
    fell = [d < 0 for name, d in zip(CPU_STATES, changes, strict=True) if name != "iowait"]
    if sum(changes) < 0 and any(fell):  # the counters went backwards as a whole
        assert set(percents(usage).values()) == {None}
        return
    values = [v for v in percents(usage).values() if v is not None]
    assert len(values) == len(CPU_STATES)
    assert all(0.0 <= v <= 100.0 for v in values)
    assert sum(values) == pytest.approx(100.0)


# --- readers on fixture trees -----------------------------------------------------------------------------


def make_tree(root: Path, files: dict[str, str]) -> FS:
    for name, text in files.items():
        path = root / "proc" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "proc").mkdir(exist_ok=True)
    return FS(procfs=root / "proc", sysfs=root / "sys")


def test_readers_on_a_fixture_tree(tmp_path: Path) -> None:
    fs = make_tree(
        tmp_path,
        {
            "stat": "cpu  4 0 4 8 0 0 0 0 0 0\ncpu0 2 0 2 4 0 0 0 0 0 0\ncpu1 2 0 2 4 0 0 0 0 0 0\nctxt 9\n",
            "loadavg": "1.50 1.00 0.50 2/300 4000\n",
            "uptime": "1234.56 2000.00\n",
            "pressure/cpu": "some avg10=3.00 avg60=2.00 avg300=1.00 total=777\n",
            "pressure/io": "some avg10=0.00 avg60=0.00 avg300=0.00 total=1\n"
            "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
        },
    )
    counters = read_stat(fs)
    assert counters is not None
    assert list(counters.cpus) == [0, 1] and counters.context_switches == 9
    assert read_loadavg(fs) == (1.5, 1.0, 0.5)
    assert read_uptime(fs) == 1234.56
    assert read_pressure(fs) == {
        "cpu": Pressure(3.0, 777, None, None),
        "io": Pressure(0.0, 1, 0.0, 0),
    }


def test_readers_return_none_for_missing_files(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, {})
    assert read_stat(fs) is None
    assert read_loadavg(fs) is None
    assert read_uptime(fs) is None
    assert read_pressure(fs) is None  # no /proc/pressure: a kernel without PSI


def test_readers_survive_unreadable_and_garbled_files(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, {"loadavg": "garbage\n", "uptime": "", "pressure/memory": "nothing here\n"})
    (tmp_path / "proc" / "stat").mkdir()  # a path that exists but cannot be read as a file
    assert read_stat(fs) is None
    assert read_loadavg(fs) is None
    assert read_uptime(fs) is None
    assert read_pressure(fs) is None  # present, but no file parses
    (tmp_path / "proc" / "pressure" / "cpu").write_text("some avg10=0.50 avg60=0.00 avg300=0.00 total=9\n")
    assert read_pressure(fs) == {"cpu": Pressure(0.5, 9, None, None)}


# --- real captures ----------------------------------------------------------------------------------------


@pytest.fixture
def captures() -> FS:
    if not (CAPTURES / "proc").is_dir():
        pytest.skip(f"no real captures at {CAPTURES}")
    return FS(procfs=CAPTURES / "proc", sysfs=CAPTURES / "sys")


def test_real_capture_stat(captures: FS) -> None:
    counters = read_stat(captures)
    assert counters is not None
    assert counters.total == CpuTicks(301854, 612, 111922, 8979004, 3552, 2, 3944, 0)
    assert list(counters.cpus) == list(range(8))
    assert counters.cpus[0] == CpuTicks(44490, 19, 21045, 1087069, 220, 1, 3410, 0)
    assert counters.cpus[7] == CpuTicks(29098, 268, 10164, 1139282, 555, 0, 31, 0)
    assert counters.interrupts == 73777505
    assert counters.context_switches == 38014093
    assert counters.boot_time == 1418183276
    assert counters.forks == 26442
    assert (counters.procs_running, counters.procs_blocked) == (2, 1)

    snap = cpu_snapshot(None, counters, None, 100, read_loadavg(captures), read_pressure(captures))
    assert snap.per_cpu[0].seconds == CpuSeconds(444.9, 0.19, 210.45, 10870.69, 2.2, 0.01, 34.1, 0.0)
    assert snap.loadavg == (0.02, 0.04, 0.05)


def test_real_capture_loadavg_pressure_uptime(captures: FS) -> None:
    assert read_loadavg(captures) == (0.02, 0.04, 0.05)
    assert read_pressure(captures) == {
        "cpu": Pressure(0.1, 15, None, None),
        "io": Pressure(0.1, 15, 0.2, 25),
        "memory": Pressure(0.1, 15, 0.2, 25),
    }
    assert read_uptime(captures) is None  # the capture has no /proc/uptime


# --- this machine -----------------------------------------------------------------------------------------


def test_real_stat_has_one_entry_per_online_cpu() -> None:
    online = read_text("/sys/devices/system/cpu/online")
    if online is None:
        pytest.skip("no /sys/devices/system/cpu/online")
    counters = read_stat(FS())
    assert counters is not None
    assert set(counters.cpus) == parse_cpu_list(online)
    assert counters.total is not None
    assert counters.context_switches and counters.interrupts and counters.forks and counters.boot_time


def test_real_two_samples_give_sane_percents_and_rates() -> None:
    fs = FS()
    first = read_stat(fs)
    started = time.monotonic()
    deadline = started + 0.3
    while time.monotonic() < deadline:  # burn a little CPU so the interval has ticks
        pass
    second = read_stat(fs)
    elapsed = time.monotonic() - started
    assert first is not None and second is not None
    snap = cpu_snapshot(first, second, elapsed, user_hz(), read_loadavg(fs), read_pressure(fs))
    assert [u.cpu for u in snap.per_cpu] == sorted(second.cpus)
    for usage in [*snap.per_cpu, snap.total]:
        assert usage is not None and usage.online
        values = [v for v in percents(usage).values() if v is not None]
        assert len(values) == len(CPU_STATES)
        assert sum(values) == pytest.approx(100.0)
    assert snap.context_switches_per_s is not None and snap.context_switches_per_s > 0
    assert snap.interrupts_per_s is not None and snap.interrupts_per_s > 0
    assert snap.loadavg is not None


@pytest.mark.live
def test_real_user_hz_matches_getconf() -> None:
    getconf = shutil.which("getconf")
    if getconf is None:
        pytest.skip("no getconf")
    out = subprocess.run([getconf, "CLK_TCK"], capture_output=True, text=True, check=True).stdout
    assert user_hz() == int(out)


def test_real_uptime_and_loadavg_match_the_kernel_clocks() -> None:
    uptime = read_uptime(FS())
    assert uptime is not None
    assert uptime == pytest.approx(time.clock_gettime(time.CLOCK_BOOTTIME), abs=1.0)
    loadavg = read_loadavg(FS())
    assert loadavg is not None
    # /proc/loadavg prints two decimals of the value sysinfo(2) returns; it moves every 5 s at most.
    assert loadavg == pytest.approx(os.getloadavg(), abs=0.5)


def test_real_pressure_when_psi_is_enabled() -> None:
    if read_text("/proc/pressure/cpu") is None:
        pytest.skip("kernel without PSI")
    pressure = read_pressure(FS())
    assert pressure is not None and "cpu" in pressure
    for resource in pressure.values():
        assert resource.some_avg10 is not None and resource.some_total_us is not None
