"""The bench scripts import and run their smallest case, so they do not rot. No timing is asserted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import bench_probes, cold_start, overhead, trees
from perftop.probes.processes import ProcessScanner
from testbed.tmux import shows_real_cpu_percent

REPO = Path(__file__).resolve().parents[1]


def test_trees_are_cached_complete_and_hold_numa_nodes_and_disks(small_trees: bench_probes.TreeSet) -> None:
    fs = small_trees.tick0
    assert len(ProcessScanner(fs).list_pids()) == 100
    assert (Path(fs.procfs).parent / ".complete").exists()
    nodes = sorted(p.name for p in Path(fs.sys("devices", "system", "node")).glob("node*"))
    assert nodes == ["node0", "node1"]
    assert Path(fs.sys("devices", "system", "node", "node1", "cpulist")).read_text() == "4-7\n"
    diskstats = Path(fs.proc("diskstats")).read_text().splitlines()
    assert len(diskstats) == 6 and all(len(line.split()) == 20 for line in diskstats)
    # Same arguments: the cached tree is served, not rebuilt.
    again = trees.tree(100, 8, 0, 2, 3)
    assert again == fs


def test_the_tree_cache_is_kept_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In the user's cache directory, not one shared path in the temp directory (which only the user
    who made it first may write)."""
    monkeypatch.delenv("PERFTOP_BENCH_TREES", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert trees.cache_dir() == tmp_path / "cache" / "perftop" / "bench-trees"
    for unset in ("", "relative/cache"):  # a relative XDG_CACHE_HOME is ignored, as the spec says
        monkeypatch.setenv("XDG_CACHE_HOME", unset)
        assert trees.cache_dir() == tmp_path / "home" / ".cache" / "perftop" / "bench-trees"
    monkeypatch.setenv("PERFTOP_BENCH_TREES", str(tmp_path / "chosen"))
    assert trees.cache_dir() == tmp_path / "chosen"


def test_every_case_runs_one_loop_on_a_small_tree(small_trees: bench_probes.TreeSet) -> None:
    cases = bench_probes.cases([100])
    names = [c.name for c in cases]
    assert "refresh/100" in names and "scan/status-all/100" in names and "real/refresh" in names
    assert "real/sample-app-like" in names
    for case in cases:
        elapsed = case(1)
        case.close()
        assert isinstance(elapsed, float) and elapsed >= 0, case.name


def test_flipper_alternates_between_ticks(small_trees: bench_probes.TreeSet) -> None:
    flipper = bench_probes.Flipper(small_trees.tick0, small_trees.tick1)
    first = Path(flipper.fs.proc("uptime")).read_text()
    flipper.flip()
    second = Path(flipper.fs.proc("uptime")).read_text()
    flipper.flip()
    assert first != second
    assert Path(flipper.fs.proc("uptime")).read_text() == first


def test_refresh_renders_the_screen_rows_sorted_by_cpu(small_trees: bench_probes.TreeSet) -> None:
    rows = bench_probes.real_rows(small_trees)
    lines = bench_probes.table_refresh(rows, "cpu")
    assert len(lines) == min(len(rows), bench_probes.SCREEN_ROWS)
    assert all(line.cell_length == bench_probes.SCREEN_WIDTH for line in lines)
    busiest = max(rows, key=lambda p: p.cpu_percent or 0.0)
    assert lines[0].text.split()[0] == str(busiest.pid)


def test_summary_reports_per_process_cost_and_scaling() -> None:
    results = [
        bench_probes.Result("scan/stat-only/1000", 0.010, 0.001, 1000),
        bench_probes.Result("scan/stat-only/10000", 0.120, 0.002, 10000),
        bench_probes.Result("memory", 0.0001, 0.0, None),
    ]
    text = bench_probes.summary(results)
    assert "10.00" in text and "12.00" in text  # µs per process
    assert "cost(10000)/cost(1000) = 12.00" in text


def test_default_output_is_added_only_when_none_is_named() -> None:
    argv = bench_probes._default_output(["prog"])
    assert argv[1] == "--output" and argv[2].endswith(".json")
    assert bench_probes._default_output(["prog", "-o", "x.json"]) == ["prog", "-o", "x.json"]
    assert bench_probes._default_output(["prog", "--worker"]) == ["prog", "--worker"]


@pytest.mark.live
def test_pyperf_runs_one_benchmark_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    env = {**os.environ, "PERFTOP_BENCH_TREES": str(tmp_path / "trees")}
    argv = ["-m", "bench.bench_probes", "--debug-single-value", "--sizes", "50", "--only", "memory"]
    done = subprocess.run(
        [sys.executable, *argv, "-o", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert out.exists() and '"memory"' in out.read_text()


# -- overhead.py ------------------------------------------------------------------------------------------


def test_parse_stat_times_with_a_hostile_comm() -> None:
    text = "4242 (a) (b c) S 1 4242 4242 0 -1 4194560 10 0 0 0 7 3 5 2 20 0 1 0 9999 1000 10 0\n"
    t = overhead.parse_stat_times(text)
    assert (t.pid, t.ppid, t.utime, t.stime, t.cutime, t.cstime, t.start_time) == (4242, 1, 7, 3, 5, 2, 9999)


def test_cpu_percent_counts_new_processes_whole_and_uses_one_core_scale() -> None:
    hz = os.sysconf("SC_CLK_TCK")
    before = {(10, 1): 100}
    after = {(10, 1): 100 + hz // 2, (11, 5): hz // 2}
    assert overhead.cpu_percent(before, after, 2.0) == pytest.approx(50.0)


@pytest.mark.live
def test_idle_processes_are_started_in_one_group_and_killed() -> None:
    with overhead.idle_processes(3) as procs:
        pids = [p.pid for p in procs]
        assert len(pids) == 3
        assert {os.getpgid(pid) for pid in pids} == {pids[0]}
        assert set(pids) <= set(overhead.descendants(os.getpid()))
    assert all(p.returncode is not None for p in procs)
    assert not set(pids) & set(overhead.descendants(os.getpid()))


def test_peak_rss_and_ticks_of_this_process() -> None:
    rss = overhead.peak_rss_bytes(os.getpid())
    assert rss is not None and rss > 1 << 20
    assert any(pid == os.getpid() for pid, _ in overhead.tree_ticks(os.getpid()))


def test_table_lists_each_measurement() -> None:
    rows = [
        overhead.Measurement("perftop", "80x24", 0, 90, 5.0, 1.5, 40.0, 1234.0, True),
        overhead.Measurement("htop", "80x24", 0, 90, 5.0, 0.4, None, 900.0, False),
    ]
    text = overhead.table(rows)
    assert "perftop" in text and "1.50%" in text and "40.0MiB" in text and "exited early" in text


@pytest.mark.live
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_overhead_measures_perftop_in_tmux_for_a_few_seconds() -> None:
    monitor = overhead.monitors()["perftop"]
    # Long enough for a few clock ticks of CPU: perftop costs ~10 ms a second, a tick is 10 ms.
    m = overhead.measure(monitor, 80, 24, 0, warmup=1.5, duration=4.0, term="tmux-256color")
    assert m.alive and m.size == "80x24"
    assert m.cpu_percent > 0 and m.peak_rss_mib is not None and m.bytes_per_s > 0


# -- cold_start.py ----------------------------------------------------------------------------------------


def test_parse_importtime() -> None:
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       100 |        100 |   _io\n"
        "import time:       300 |        450 | encodings\n"
        "import time:        50 |         50 |     encodings.aliases\n"
        "perftop 0.1.0\n"
        "import time:      1000 |       2000 | perftop.tui.cli\n"
    )
    lines = cold_start.parse_importtime(stderr)
    assert [(x.module, x.depth) for x in lines] == [
        ("_io", 1),
        ("encodings", 0),
        ("encodings.aliases", 2),
        ("perftop.tui.cli", 0),
    ]
    assert cold_start.import_total_us(lines) == 2450
    assert cold_start.cumulative_us(lines, "perftop.tui.cli") == 2000
    assert cold_start.cumulative_us(lines, "textual") is None


def test_real_cpu_percent_is_told_from_the_baseline() -> None:
    header = "    PID USER      POL RTPRIO  PRI  NI CPU%▼  MEM%    RSS CPU S COMMAND"
    baseline = "      1 root      TS       -   20   0     -   0.1  12.0M   0 S /sbin/init"
    real = "      1 root      TS       -   20   0   0.0   0.1  12.0M   0 S /sbin/init"
    assert not shows_real_cpu_percent(f"meters\n{header}\n{baseline}\n")
    assert shows_real_cpu_percent(f"meters\n{header}\n{baseline}\n{real}\n")
    assert not shows_real_cpu_percent("no table yet\n")


async def test_first_frame_headless_returns_once_rates_are_shown() -> None:
    seconds = await cold_start.first_frame_headless(100, 30)
    assert seconds is not None and seconds > 0


async def test_first_frame_headless_with_a_held_baseline_returns_once_rates_are_shown() -> None:
    seconds = await cold_start.first_frame_headless(100, 30, baseline=True)
    assert seconds is not None and seconds > 0


@pytest.mark.live
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_tmux_floor_program_is_seen_as_a_real_frame() -> None:
    argv = (sys.executable, "-c", cold_start.FLOOR_PROGRAM)
    assert cold_start.first_frame_tmux(80, 24, timeout=10, argv=argv) is not None


def test_the_interrupts_benchmark_runs_one_loop_of_each_case() -> None:
    from bench import bench_interrupts

    for case in bench_interrupts.cases((2,)):
        elapsed = case(1)
        assert isinstance(elapsed, float) and elapsed >= 0, case.name


def test_bench_recording_records_measures_and_prints_a_row_per_keyframe_interval(tmp_path: Path) -> None:
    from bench import bench_recording

    result = bench_recording.run(
        extra=3, duration=2, interval=0.5, keyframe_every=[2, 300], rounds=1, atop=False, workdir=tmp_path
    )
    assert result.samples == 4 and [s.keyframe_every for s in result.sizes] == [2, 300]
    assert result.sizes[0].keyframes == 2 and result.sizes[1].keyframes == 1
    assert all(s.mb_per_hour > 0 and s.add_ms_loop is not None for s in result.sizes)
    assert "atop left out" in bench_recording.table(result)
