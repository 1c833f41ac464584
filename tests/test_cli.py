"""The command line: argument errors, bad roots, and ``--json`` against the contract and real tools."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from perftop.probes.cpulist import parse_cpu_list
from perftop.tui import cli, crash
from perftop.tui.cli import first_status_pids
from testbed.fixture_tree import make_tree
from testbed.tmux import Tmux, private_tmux, shows_real_cpu_percent, wait_for_screen

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tests" / "fixtures" / "demo"

CPU_KEYS = {
    "per_cpu",
    "context_switches",
    "context_switches_per_s",
    "interrupts",
    "interrupts_per_s",
    "forks",
    "forks_per_s",
    "procs_running",
    "procs_blocked",
    "loadavg",
    "pressure",
}
PER_CPU_KEYS = {
    "cpu",
    "online",
    "user",
    "nice",
    "system",
    "idle",
    "iowait",
    "irq",
    "softirq",
    "steal",
    "seconds",
}
NUMA_NODE_KEYS = {
    "node",
    "cpus",
    "mem_total_bytes",
    "mem_free_bytes",
    "mem_used_bytes",
    "numa_hit",
    "numa_miss",
    "numa_foreign",
    "interleave_hit",
    "local_node",
    "other_node",
    "numa_hit_per_s",
    "numa_miss_per_s",
    "numa_foreign_per_s",
    "interleave_hit_per_s",
    "local_node_per_s",
    "other_node_per_s",
}
DISK_KEYS = {
    "name",
    "reads_completed",
    "writes_completed",
    "read_bytes",
    "written_bytes",
    "read_time_ms",
    "write_time_ms",
    "io_time_ms",
    "in_flight",
    "r_per_s",
    "w_per_s",
    "read_bytes_per_s",
    "written_bytes_per_s",
    "r_await_ms",
    "w_await_ms",
    "aqu_sz",
    "util_percent",
    "scheduler",
}
NET_KEYS = {"interfaces", "sockstat", "tcp_states", "tcp_retrans_segs", "tcp_retrans_segs_per_s"}
PROCESS_KEYS = {
    "pid",
    "ppid",
    "user",
    "comm",
    "cmdline",
    "state",
    "policy",
    "rtprio",
    "nice",
    "priority",
    "processor",
    "affinity",
    "threads",
    "start_time",
    "cpu_percent",
    "rss_bytes",
    "voluntary_ctxt_switches",
    "nonvoluntary_ctxt_switches",
    "voluntary_ctxt_switches_per_s",
    "nonvoluntary_ctxt_switches_per_s",
}


def perftop(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perftop.tui.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.live
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0"], "interval must be between"),
        (["--interval", "x"], "not a number"),
        (["--pid", "12,abc"], "bad PID 'abc'"),
        (["--sort", "nonsense"], "unknown column 'nonsense'"),
        (["--count", "2"], "--count goes with --json"),
        (["--json", "--count", "0"], "at least 1"),
        (["--user", "no-such-user-here"], "no such user"),
        (["--frobnicate"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    result = perftop(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.live
def test_version() -> None:
    result = perftop("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("perftop ")


@pytest.mark.live
def test_root_without_stat_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "stat").write_text("intr 1\nctxt 2\n")
    result = perftop("--procfs", str(tmp_path / "proc"), "--json")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "no readable 'stat' file with a 'cpu ' line" in result.stderr


@pytest.mark.live
def test_json_on_this_machine_has_the_contract_keys() -> None:
    result = perftop("--json", "--count", "2", "--interval", "0.5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        doc = json.loads(line)
        assert {"time", "interval", "cpu", "processes", "numa"} <= doc.keys()
        assert doc["numa"]["nodes"] and doc["numa"]["nodes"][0].keys() >= NUMA_NODE_KEYS
        assert doc["interval"] == pytest.approx(0.5, abs=0.25)
        assert doc["cpu"].keys() >= CPU_KEYS
        online = parse_cpu_list(Path("/sys/devices/system/cpu/online").read_text())
        assert [c["cpu"] for c in doc["cpu"]["per_cpu"]] == sorted(online)
        for entry in doc["cpu"]["per_cpu"]:
            assert entry.keys() >= PER_CPU_KEYS
            assert entry["online"] is True
            assert sum(
                entry[s] for s in ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
            ) == pytest.approx(100, abs=0.5)
        assert len(doc["cpu"]["loadavg"]) == 3
        pids = {p["pid"] for p in doc["processes"]}
        assert 1 in pids
        for proc in doc["processes"]:
            assert proc.keys() >= PROCESS_KEYS
    # perftop itself: this test's child (another perftop on the machine, a benchmark's, is not it).
    me = next(p for p in json.loads(lines[-1])["processes"] if p["ppid"] == os.getpid())
    assert "perftop.tui.cli" in me["cmdline"]
    assert me["rss_bytes"] > 0 and me["user"] and me["affinity"]
    # Read for every process in --json: a rate from the second sample.
    assert me["run_delay_ms_per_s"] is not None and me["run_delay_ms_per_s"] >= 0
    assert "throttled_percent" in me


@pytest.mark.live
def test_json_on_the_demo_fixture() -> None:
    result = perftop("--procfs", str(DEMO / "proc"), "--sysfs", str(DEMO / "sys"), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    # A static tree: the second read equals the first, so rates are zero, not null or made up.
    assert doc["cpu"]["context_switches_per_s"] == 0
    procs = {p["pid"]: p for p in doc["processes"]}
    stat_only = [p for p in procs.values() if p["affinity"] is None and p["voluntary_ctxt_switches"] is None]
    assert stat_only, "the demo tree has a process directory holding only a stat file"
    assert all(p["state"] and p["start_time"] is not None for p in stat_only)
    assert procs[1]["comm"] and procs[1]["affinity"]
    # This tree has no schedstat nor cgroup files: null, never made up.
    assert procs[1290]["run_delay_ms_per_s"] is None and procs[1290]["throttled_percent"] is None


@pytest.mark.live
def test_json_pid_filter_and_sort(tmp_path: Path) -> None:
    make_tree(tmp_path, cpus=4, processes=40)
    args = ["--procfs", str(tmp_path / "proc"), "--sysfs", str(tmp_path / "sys"), "--json"]
    result = perftop(*args, "--pid", "1,2")
    assert sorted(p["pid"] for p in json.loads(result.stdout)["processes"]) == [1, 2]
    result = perftop(*args, "--sort", "pid")
    pids = [p["pid"] for p in json.loads(result.stdout)["processes"]]
    assert pids == sorted(pids)  # PID sorts ascending, as in htop
    result = perftop(*args, "--sort", "RSS")
    rss = [p["rss_bytes"] for p in json.loads(result.stdout)["processes"]]
    assert rss == sorted(rss, reverse=True) and rss[0] > rss[-1]


@pytest.fixture
def tuned_children() -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        children["nice"] = subprocess.Popen(["nice", "-n", "7", "sleep", "60"])
        if shutil.which("taskset"):
            children["taskset"] = subprocess.Popen(["taskset", "-c", "0", "sleep", "60"])
        if os.geteuid() == 0 and shutil.which("chrt"):
            children["chrt"] = subprocess.Popen(["chrt", "-r", "12", "sleep", "60"])
        yield children
    finally:
        for child in children.values():
            child.kill()
            child.wait()


def _tool_output(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


@pytest.mark.live
def test_json_agrees_with_ps_chrt_and_taskset(tuned_children: dict[str, subprocess.Popen[bytes]]) -> None:
    if not shutil.which("ps"):
        pytest.skip("ps (procps) is not installed")
    pids = ",".join(str(c.pid) for c in tuned_children.values())
    result = perftop("--json", "--interval", "0.2", "--pid", pids)
    assert result.returncode == 0, result.stderr
    procs = {p["pid"]: p for p in json.loads(result.stdout)["processes"]}
    for child in tuned_children.values():
        proc = procs[child.pid]
        ni, pri, cls, rtprio = _tool_output("ps", "-o", "ni=,pri=,cls=,rtprio=", "-p", str(child.pid)).split()
        # ps prints '-' for the nice of RT tasks; perftop keeps the kernel's stat field.
        if ni != "-":
            assert proc["nice"] == int(ni)
        assert 39 - int(pri) == proc["priority"]  # ps -o pri is 39 minus the stat field
        assert {"TS": "SCHED_OTHER", "RR": "SCHED_RR", "FF": "SCHED_FIFO"}[cls] == proc["policy"]
        assert proc["rtprio"] == (0 if rtprio == "-" else int(rtprio))
        if shutil.which("taskset"):
            listed = _tool_output("taskset", "-pc", str(child.pid)).rsplit(":", 1)[1].strip()
            assert set(proc["affinity"]) == parse_cpu_list(listed)
    assert procs[tuned_children["nice"].pid]["nice"] == 7
    if "taskset" in tuned_children:
        assert procs[tuned_children["taskset"].pid]["affinity"] == [0]
    if "chrt" in tuned_children:
        chrt = procs[tuned_children["chrt"].pid]
        assert (chrt["policy"], chrt["rtprio"], chrt["priority"]) == ("SCHED_RR", 12, -13)
        out = _tool_output("chrt", "-p", str(tuned_children["chrt"].pid))
        assert "SCHED_RR" in out and "priority: 12" in out


@pytest.mark.parametrize(
    ("sort", "pids", "expected"),
    [
        (None, None, frozenset()),
        ("cpu", (5, 7), frozenset({5, 7})),
        ("rss", None, frozenset()),
        ("vcsw", None, None),  # sorted by a status value: every process's status is read
        ("affinity", (5,), None),
        ("io_write", None, None),
    ],
)
def test_first_status_pids_match_what_the_app_reads_first(
    sort: str | None, pids: tuple[int, ...] | None, expected: frozenset[int] | None
) -> None:
    assert first_status_pids(sort, pids) == expected


def _table_rows(screen: str) -> list[str]:
    lines = screen.splitlines()
    header = next((i for i, line in enumerate(lines) if "PID" in line.split()), None)
    if header is None:
        return []
    return [line for line in lines[header + 1 :] if line.split() and line.split()[0].isdigit()]


def _rows_drawn_past_cpu_percent(screen: str) -> list[str]:
    """The table rows whose cells are on screen up to the one after CPU% (a capture can catch a frame
    still being written, a row cut after its first cells)."""
    header = next((line.split() for line in screen.splitlines() if "PID" in line.split()), [])
    column = next((n for n, title in enumerate(header) if title.startswith("CPU%")), None)
    if column is None:
        return []
    return [row for row in _table_rows(screen) if len(row.split()) > column + 1]


@pytest.mark.live
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_first_rows_in_a_terminal_already_show_rates() -> None:
    # The baseline sample is taken before Textual is imported, so the App's first sample has rates: no
    # frame shows the table filled with the baseline's '-' in CPU% (before, one did for 0.2 s).
    with private_tmux("perftop-first") as tmux:
        tmux.start([sys.executable, "-m", "perftop.tui.cli"], 160, 40, str(ROOT))
        deadline = time.monotonic() + 20
        screen = ""
        while time.monotonic() < deadline:
            screen = tmux.capture()
            if _rows_drawn_past_cpu_percent(screen):
                break
            time.sleep(0.01)
        assert _rows_drawn_past_cpu_percent(screen), f"no process row within 20 s; the screen was:\n{screen}"
        assert shows_real_cpu_percent(screen), f"the first rows show no CPU% rate:\n{screen}"


def _wait_for(tmux: Tmux, shown: Callable[[str], bool], what: str) -> str:
    return wait_for_screen(tmux, shown, what, seconds=20, poll=0.02)


@pytest.mark.live
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_keys_typed_before_the_first_frame_show_what_the_first_frame_left_out() -> None:
    # Pane 2 and the search box are mounted on first use, not with the first frame: a key typed while
    # perftop is still starting must show them all the same.
    with private_tmux("perftop-keys") as tmux:
        tmux.start([sys.executable, "-m", "perftop.tui.cli"], 160, 40, str(ROOT))
        tmux.run("send-keys", "-t", "bench", "2")  # perftop is still importing Textual
        # The first frame may show pane 1 before the key is read; then pane 2 replaces it.
        _wait_for(tmux, lambda s: "F1Help" in s and "Tasks:" in s and not _table_rows(s), "pane 2")
        tmux.run("send-keys", "-t", "bench", "1", "/")
        _wait_for(tmux, lambda s: "search (Enter: keep" in s and bool(_table_rows(s)), "the search box")
        tmux.run("send-keys", "-t", "bench", "zzqq")
        _wait_for(tmux, lambda s: "zzqq" in s, "the search text")


def test_an_error_outside_the_interface_exits_1_with_one_line_and_a_saved_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise OSError("the \x1b[31mdisk\x1b[0m is gone")

    monkeypatch.setattr(cli, "Sampler", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert cli.main(["--json"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err
    assert err.startswith("perftop: crashed (OSError: the \\e[31mdisk\\e[0m is gone); the traceback is in ")
    saved = Path(err.strip().rsplit(" ", 1)[1])
    assert saved.parent == tmp_path / "state" / "perftop" and "Traceback" in saved.read_text()


def test_a_crash_report_goes_to_the_temp_dir_when_the_state_dir_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)
    path = crash.save_report("Traceback ...\nValueError: x\n")
    assert path.parent == tmp_path / "tmp" / f"perftop-{os.getuid()}"
    assert path.read_text().endswith("ValueError: x\n")
    assert crash.summary(path.read_text()) == "ValueError: x"


def test_a_crash_report_never_follows_a_link_planted_in_the_temp_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another user may make /tmp/perftop-UID first, as a link to a folder of theirs: the report is not
    written there, and with nowhere to go it is printed, its control characters spelled out."""
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / f"perftop-{os.getuid()}").symlink_to(elsewhere)
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)
    with pytest.raises(OSError):
        crash.save_report("Traceback ...\nValueError: x\n")
    assert list(elsewhere.iterdir()) == []
    assert crash.report("Traceback ...\nValueError: name \x1b]2;pwned\x07\n") == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "name \\e]2;pwned\\a" in err
    assert err.startswith("perftop: crashed (ValueError: name \\e]2;pwned\\a); could not save the traceback")


def test_ctrl_c_before_the_interface_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "Sampler", interrupted)
    assert cli.main(["--json"]) == 130
