"""The scheduler's per-task files: parsers on kernel texts, and run delay measured on a real CPU hog."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from perftop.probes.sched_stats import SchedStat, parse_sched, parse_schedstat, run_delay_ms_per_s

# /proc/PID/sched of a 6.x kernel with schedstats on (the stats.* lines) and of one with them off.
SCHED_ON = """\
sshd (812, #threads: 1)
-------------------------------------------------------------------
se.exec_start                                :      12472938.532525
se.vruntime                                  :         31129.081586
se.sum_exec_runtime                          :           200.502317
se.nr_migrations                             :                   37
stats.sum_sleep_runtime                      :       1234567.000001
stats.wait_start                             :             0.000000
stats.wait_max                               :             4.250000
stats.wait_count                             :                  650
stats.wait_sum                               :            16.304356
nr_switches                                  :                  614
nr_voluntary_switches                        :                  600
nr_involuntary_switches                      :                   14
se.load.weight                               :              1048576
policy                                       :                    0
prio                                         :                  120
current_node=0, numa_group_id=0
"""
SCHED_OLD = """\
bash (1, #threads: 1)
---------------------------------------------------------
se.sum_exec_runtime                :          10.500000
se.statistics.wait_sum             :           2.000000
se.statistics.wait_max             :           1.000000
se.statistics.wait_count           :                  3
se.nr_migrations                   :                  1
nr_switches                        :                  5
"""


def test_schedstat_three_numbers() -> None:
    assert parse_schedstat("200502317 16304356 614\n") == SchedStat(200502317, 16304356, 614)


@pytest.mark.parametrize("text", ["", "1 2", "1 2 3 4", "1 -2 3", "a b c", "1 2 99999999999999999999999"])
def test_schedstat_garbled_is_none(text: str) -> None:
    assert parse_schedstat(text) is None


def test_sched_with_schedstats_on() -> None:
    parsed = parse_sched(SCHED_ON)
    assert parsed is not None and parsed.schedstats_on
    switches = (parsed.nr_switches, parsed.nr_voluntary_switches, parsed.nr_involuntary_switches)
    assert switches == (614, 600, 14)
    assert parsed.nr_migrations == 37
    assert parsed.sum_exec_runtime_ms == pytest.approx(200.502317)
    waits = (parsed.wait_sum_ms, parsed.wait_max_ms, parsed.wait_count)
    assert waits == (pytest.approx(16.304356), 4.25, 650)


def test_sched_of_an_older_kernel_and_with_schedstats_off() -> None:
    old = parse_sched(SCHED_OLD)
    assert old is not None and old.wait_sum_ms == 2.0 and old.wait_count == 3 and old.nr_switches == 5
    off = parse_sched("\n".join(line for line in SCHED_ON.splitlines() if "stats." not in line))
    assert off is not None and not off.schedstats_on and off.wait_max_ms is None and off.nr_switches == 614


def test_sched_garbled() -> None:
    assert parse_sched("") is None
    assert parse_sched("nonsense\n: 3\nnr_switches : x\n") is None
    truncated = parse_sched(SCHED_ON[: SCHED_ON.index("nr_voluntary")])
    assert truncated is not None and truncated.nr_switches == 614 and truncated.nr_voluntary_switches is None


def test_run_delay_rate() -> None:
    assert run_delay_ms_per_s(SchedStat(0, 1_000_000, 1), SchedStat(0, 3_000_000, 2), 2.0) == 1.0
    assert run_delay_ms_per_s(SchedStat(0, 5, 1), SchedStat(0, 4, 1), 1.0) is None
    assert run_delay_ms_per_s(SchedStat(0, 5, 1), SchedStat(0, 6, 1), 0.0) is None


def _read_schedstat(pid: int) -> SchedStat:
    with open(f"/proc/{pid}/schedstat", encoding="ascii") as f:
        parsed = parse_schedstat(f.read())
    assert parsed is not None
    return parsed


@pytest.mark.skipif(not os.path.exists("/proc/self/schedstat"), reason="kernel without CONFIG_SCHED_INFO")
def test_a_child_sharing_one_cpu_with_a_hog_waits_on_the_run_queue() -> None:
    spin = [sys.executable, "-c", "while True: pass"]
    hog = subprocess.Popen(["taskset", "-c", "0", *spin])
    child = subprocess.Popen(["taskset", "-c", "0", *spin])
    try:
        time.sleep(0.3)
        before, t0 = _read_schedstat(child.pid), time.monotonic()
        time.sleep(1.0)
        after, t1 = _read_schedstat(child.pid), time.monotonic()
        rate = run_delay_ms_per_s(before, after, t1 - t0)
        assert rate is not None and rate > 100  # two spinners on one CPU: each waits about half the time
        assert after.run_delay_ns - before.run_delay_ns == pytest.approx(rate * 1e6 * (t1 - t0))
    finally:
        for p in (hog, child):
            p.kill()
            p.wait()
