"""The fixture-tree generator: deterministic, advancing with ``tick``, readable at 64 CPUs and 3000 PIDs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from perftop.probes.cpulist import parse_cpu_list, parse_cpu_mask
from perftop.probes.processes import ProcessScanner, parse_pid_status, process_infos, task_counts
from testbed.fixture_tree import (
    DEMO_ARGS,
    HOSTNAME,
    MEM_TOTAL_KB,
    USER_HZ,
    FakeProcess,
    main,
    make_tree,
    processes_for,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tests" / "fixtures" / "demo"


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def cpu_lines(root: Path) -> dict[str, list[int]]:
    """``/proc/stat``'s cpu lines: name -> the 8 state counters (guest columns dropped)."""
    out = {}
    for line in (root / "proc" / "stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu"):
            out[name] = [int(v) for v in values[:8]]
    return out


def test_committed_demo_tree_matches_the_generator(tmp_path: Path) -> None:
    main([str(tmp_path), *DEMO_ARGS])
    committed = files(DEMO)
    assert committed, f"{DEMO} is missing: regenerate it with python -m testbed.fixture_tree"
    assert files(tmp_path) == committed
    assert len(committed) < 200


def test_demo_tree_holds_a_stat_only_directory() -> None:
    stat_only = [d for d in (DEMO / "proc").iterdir() if d.name.isdigit() and not (d / "status").exists()]
    assert [sorted(p.name for p in d.iterdir()) for d in stat_only] == [["stat"]]


def test_same_arguments_give_identical_trees(tmp_path: Path) -> None:
    make_tree(tmp_path / "a", processes=60, seed=3, tick=5)
    make_tree(tmp_path / "b", processes=60, seed=3, tick=5)
    make_tree(tmp_path / "c", processes=60, seed=4, tick=5)
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")  # the seed shapes the plain processes


def test_tick_advances_every_cpu_by_one_second(tmp_path: Path) -> None:
    make_tree(tmp_path, cpus=4, tick=7)
    before = cpu_lines(tmp_path)
    deltas = []
    for tick in (8, 9, 10):
        make_tree(tmp_path, cpus=4, tick=tick)
        after = cpu_lines(tmp_path)
        delta = {name: [a - b for a, b in zip(after[name], before[name], strict=True)] for name in after}
        for cpu in range(4):
            assert sum(delta[f"cpu{cpu}"]) == USER_HZ  # one tick is one second at USER_HZ
            assert min(delta[f"cpu{cpu}"]) >= 0
        assert after["cpu"] == [sum(col) for col in zip(*(after[f"cpu{c}"] for c in range(4)), strict=True)]
        deltas.append(delta)
        before = after
    # Graphs are not flat: CPUs differ within a tick, and one CPU differs across ticks.
    assert len({d["cpu3"][0] for d in deltas}) > 1
    assert len({deltas[0][f"cpu{c}"][0] for c in range(4)}) > 1
    uptime = float((tmp_path / "proc" / "uptime").read_text().split()[0])
    make_tree(tmp_path, cpus=4, tick=11)
    assert float((tmp_path / "proc" / "uptime").read_text().split()[0]) == uptime + 1


def test_system_files(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=6, processes=30)
    proc = tmp_path / "proc"
    assert (proc / "sys" / "kernel" / "hostname").read_text() == HOSTNAME + "\n"
    assert f"MemTotal:       {MEM_TOTAL_KB} kB" in (proc / "meminfo").read_text()
    for name in ("present", "online", "possible"):
        assert parse_cpu_list(Path(fs.sys("devices", "system", "cpu", name)).read_text()) == set(range(6))
    for name in ("cpu", "io", "memory"):
        lines = (proc / "pressure" / name).read_text().splitlines()
        assert [line.split()[0] for line in lines] == ["some", "full"]
    stat = (proc / "stat").read_text()
    procs = processes_for(6, 30, 0, ())
    assert f"procs_running {sum(p.state == 'R' for p in procs)}\n" in stat
    assert f"procs_blocked {sum(p.state == 'D' for p in procs)}\n" in stat
    loadavg = (proc / "loadavg").read_text().split()
    assert loadavg[4] == str(max(p.pid for p in procs))
    assert not (proc / "self").exists()  # never mistaken for perftop's own /proc


def test_sixty_four_cpus(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=64, processes=25)
    assert sorted(int(n[3:]) for n in cpu_lines(tmp_path) if n != "cpu") == list(range(64))
    status = (tmp_path / "proc" / "1" / "status").read_text()
    assert "Cpus_allowed:\tffffffff,ffffffff\n" in status  # the kernel's 32-bit groups
    scanned = ProcessScanner(fs).scan(None)
    assert scanned[1].status is not None and scanned[1].status.cpus_allowed == tuple(range(64))
    assert scanned[15].status is not None and scanned[15].status.cpus_allowed == (0,)
    assert scanned[2100].status is not None and scanned[2100].status.cpus_allowed == (63,)
    assert scanned[2100].stat.processor == 63


@pytest.mark.parametrize("cpus", [1, 2, 4, 36, 64, 100])
def test_affinity_mask_agrees_with_the_list(tmp_path: Path, cpus: int) -> None:
    fs = make_tree(tmp_path, cpus=cpus, processes=25)
    for pid in (1, 15, 1024, 2100, 2203):
        lines = dict(line.split(":\t", 1) for line in Path(fs.proc(pid, "status")).read_text().splitlines())
        listed = parse_cpu_list(lines["Cpus_allowed_list"])
        assert parse_cpu_mask(lines["Cpus_allowed"]) == listed
        assert len(lines["Cpus_allowed"].replace(",", "")) == (cpus + 3) // 4  # nr_cpu_ids bits wide


@pytest.mark.slow
def test_three_thousand_processes(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, cpus=8, processes=3000, seed=1)
    scanner = ProcessScanner(fs)
    first = scanner.scan(())
    assert len(first) == 3000
    procs = processes_for(8, 3000, 1, ())
    counts = task_counts(first)
    assert (counts.processes, counts.threads) == (3000, sum(p.threads for p in procs))
    make_tree(tmp_path, cpus=8, processes=3000, seed=1, tick=1)
    second = scanner.scan(())
    infos = process_infos(first, second, 1.0, USER_HZ, 4096, MEM_TOTAL_KB * 1024)
    assert [i.cpu_percent for i in infos] == [float(p.utime_rate + p.stime_rate) for p in procs]
    assert len({p.comm for p in procs}) > 20 and len({p.nice for p in procs}) > 3


def test_stat_only_and_extra_processes(tmp_path: Path) -> None:
    extra = FakeProcess(4321, "added", uid=65534, cmdline=("added", "--flag"), threads=3)
    replaced = FakeProcess(700, "zsh", ppid=640, cmdline=("-zsh",))
    fs = make_tree(tmp_path, processes=25, stat_only_pids=(1024,), extra=[extra, replaced])
    assert sorted(os.listdir(fs.proc(1024))) == ["stat"]
    assert Path(fs.proc(4321, "cmdline")).read_bytes() == b"added\0--flag\0"
    assert parse_pid_status(Path(fs.proc(4321, "status")).read_text()).uid == 65534
    assert Path(fs.proc(700, "comm")).read_text() == "zsh\n"
    assert len([n for n in os.listdir(fs.procfs) if n.isdigit()]) == 26
    # A later call without the stat-only PID writes its other files again.
    make_tree(tmp_path, processes=25)
    assert sorted(os.listdir(fs.proc(1024))) == ["cmdline", "comm", "stat", "status"]
    with pytest.raises(ValueError, match="not in the tree"):
        make_tree(tmp_path, processes=25, stat_only_pids=(99_999,))


def test_smaller_tree_removes_exited_processes(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=40)
    make_tree(tmp_path, processes=12)
    assert sorted(int(n) for n in os.listdir(fs.procfs) if n.isdigit()) == sorted(
        p.pid for p in processes_for(4, 12, 0, ())
    )


def test_process_kinds_a_tuning_monitor_needs() -> None:
    procs = processes_for(4, 12, 0, ())
    assert len(procs) == 12
    assert {p.policy for p in procs} == {0, 1, 2, 3, 5, 6}
    assert {p.priority for p in procs if p.policy == 6} == {-101}
    assert any(p.policy == 1 and p.rtprio == 50 for p in procs)
    assert {1, 2} <= {p.pid for p in procs} and any(p.ppid == 2 for p in procs)
    assert any(p.state == "Z" for p in procs) and any(p.threads > 1 for p in procs)
    assert {p.uid for p in procs} == {0, 65534}


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give the directories their owners")
def test_directories_belong_to_the_effective_uid(tmp_path: Path) -> None:
    fs = make_tree(tmp_path, processes=25)
    for p in processes_for(4, 25, 0, ()):
        assert os.stat(fs.proc(p.pid)).st_uid == p.uid
        assert os.stat(fs.proc(p.pid, "stat")).st_uid == p.uid
    real, effective = Path(fs.proc(2342, "status")).read_text().split("Uid:\t")[1].split()[:2]
    assert (real, effective) == ("65534", "0")


@pytest.mark.live
def test_command_line_interface(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "testbed.fixture_tree", str(tmp_path), "--cpus", "2", "--processes", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "wrote" in result.stdout
    assert sorted(int(n) for n in os.listdir(tmp_path / "proc") if n.isdigit()) == [1, 2, 15, 60, 402]
    assert set(cpu_lines(tmp_path)) == {"cpu", "cpu0", "cpu1"}
