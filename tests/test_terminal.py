"""perftop in a real terminal (tmux), as a person runs it: it starts, shows live data, and quits on q."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testbed.tmux import Tmux, private_tmux, wait_for_screen

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def _wait_for(tmux: Tmux, shown: Callable[[str], bool], timeout: float = 15.0) -> str:
    return wait_for_screen(tmux, shown, "the expected screen", seconds=timeout, poll=0.2)


def _wait_gone(pid: int, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return
        if state == "Z":  # exited, not yet reaped by tmux
            return
        time.sleep(0.05)
    raise AssertionError(f"perftop (pid {pid}) still runs {timeout:g} s after q")


@contextmanager
def _perftop(width: int, height: int, args: str = "") -> Iterator[tuple[Tmux, int]]:
    """perftop alone in a pane of a tmux server of its own (sharing the default server raced: a
    server still exiting after the last test's session made the next new-session fail)."""
    with private_tmux("perftop-term") as tmux:
        pid = tmux.start(
            [sys.executable, "-m", "perftop.tui.cli", *shlex.split(args)], width, height, str(ROOT)
        )
        yield tmux, pid


@pytest.mark.parametrize(("width", "height"), [(80, 24), (200, 50)])
def test_runs_in_tmux_and_quits(width: int, height: int) -> None:
    with _perftop(width, height, "--interval 0.5") as (tmux, pid):
        screen = _wait_for(tmux, lambda s: "PID" in s and "COMMAND" in s and "Mem" in s and "%" in s)
        lines = screen.splitlines()
        assert len(lines) <= height and all(len(line) <= width for line in lines)
        # This test's own tmux server is a process perftop must list (found by the filter: on a busy
        # machine the rows on screen may all be others).
        tmux.run("send-keys", "-t", "bench", "F4", "tmux", "Enter")
        # The box closed: its line above the status line no longer shows the text typed. (Not "its
        # placeholder gone", which is true from the first letter typed: a q sent while the box was
        # still open went into the filter, and perftop rightly did not quit.)
        _wait_for(tmux, lambda s: "tmux -L" in s and s.splitlines()[-2].strip() != "tmux")
        tmux.run("send-keys", "-t", "bench", "q")
        _wait_gone(pid)


def test_keys_sent_in_one_write_keep_the_filter_and_then_quit() -> None:
    """F4, the text, Enter and q in one send-keys, as a paste, a macro or a slow link delivers them: the
    text goes into the box, Enter keeps the filter and closes it, and q quits (the q went into the box,
    and perftop kept running, before keys were applied in arrival order)."""
    with _perftop(120, 30, "--interval 0.5") as (tmux, pid):
        _wait_for(tmux, lambda s: "PID" in s and "COMMAND" in s and "%" in s)
        tmux.run("send-keys", "-t", "bench", "F4", "tmux", "Enter", "q")
        _wait_gone(pid, timeout=5)


def test_changed_cell_updates_leave_the_screen_a_full_redraw_would_draw() -> None:
    """perftop writes only changed cells; after many such updates on a busy machine the terminal must
    hold exactly what a full redraw of the same (frozen) data gives, colours included."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        with _perftop(160, 40, "--interval 0.25") as (tmux, _):
            _wait_for(tmux, lambda s: "PID" in s and "COMMAND" in s)
            time.sleep(4)  # ~16 partial updates, rows moving as the busy child and the others change
            tmux.run("send-keys", "-t", "bench", "Z")
            _wait_for(tmux, lambda s: "FROZEN" in s)
            time.sleep(1)
            partial = tmux.run("capture-pane", "-p", "-e", "-t", "bench")
            # A size change and back makes Textual repaint every cell of the frozen screen. The height
            # stays: a shorter table would scroll to keep the selected row in view, and stay scrolled.
            tmux.run("resize-window", "-t", "bench", "-x", "120", "-y", "40")
            time.sleep(1)
            tmux.run("resize-window", "-t", "bench", "-x", "160", "-y", "40")
            time.sleep(1.5)
            full = tmux.run("capture-pane", "-p", "-e", "-t", "bench")
            assert partial.splitlines() == full.splitlines()
    finally:
        busy.kill()
        busy.wait()


def test_a_machine_where_nothing_changes_costs_almost_no_bytes(tmp_path: Path) -> None:
    """On a fixture tree whose counters never move, each refresh must write (nearly) nothing: only
    what changed goes to the terminal."""
    from testbed.fixture_tree import make_tree

    make_tree(tmp_path, cpus=4, processes=40)
    out = tmp_path / "out.bin"
    args = f"--procfs {tmp_path / 'proc'} --sysfs {tmp_path / 'sys'} --interval 0.25"
    with _perftop(200, 50, args) as (tmux, _):
        _wait_for(tmux, lambda s: "PID" in s and "COMMAND" in s)
        time.sleep(2)  # the first rates and the graph's first columns are drawn
        tmux.pipe_to(out)
        time.sleep(3)  # ~12 refreshes
        tmux.pipe_to(None)
        written = out.read_bytes() if out.exists() else b""
        assert len(written) < 12 * 16, written[:400]


def test_low_bandwidth_flag_starts_without_the_graph() -> None:
    with _perftop(120, 30, "--low-bandwidth --interval 0.5") as (tmux, _):
        screen = _wait_for(tmux, lambda s: "PID" in s and "low-bandwidth" in s)
        assert "100%" not in screen and "avg" not in screen  # the history graph's scale and figures
        tmux.run("send-keys", "-t", "bench", "b")
        screen = _wait_for(tmux, lambda s: "low-bandwidth" not in s and "avg" in s)
        assert "100%" in screen


def _voluntary_switches(pid: int) -> dict[int, int]:
    """Each thread's voluntary context switches so far: how often it slept and woke."""
    switches = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                switches[int(task.name)] = int(line.split()[1])
    return switches


def test_an_idle_perftop_sleeps_and_still_answers_keys() -> None:
    """With nothing to refresh, no thread wakes on its own (Textual's input thread woke ten times a
    second); a lone Escape after a long idle still closes a dialog, and q still quits at once."""
    with _perftop(120, 30, "--interval 3600") as (tmux, python):
        _wait_for(tmux, lambda s: "PID" in s and "COMMAND" in s)
        time.sleep(2)  # past the second of polling that follows input
        before = _voluntary_switches(python)
        time.sleep(3)
        after = _voluntary_switches(python)
        woke = {tid: after[tid] - before[tid] for tid in before if tid in after}
        assert max(woke.values()) <= 3, woke
        tmux.run("send-keys", "-t", "bench", "F1")
        _wait_for(tmux, lambda s: "perftop keys" in s)
        time.sleep(1.5)
        tmux.run("send-keys", "-t", "bench", "Escape")
        _wait_for(tmux, lambda s: "perftop keys" not in s, timeout=3)
        tmux.run("send-keys", "-t", "bench", "q")
        _wait_gone(python)


#: The pane's terminal modes perftop turns on: the alternate screen and mouse reporting (every motion, in
#: SGR form; tmux reports the mode 1000 Textual sets first as replaced by 1003).
PANE_MODES = "#{alternate_on} #{mouse_all_flag} #{mouse_any_flag} #{mouse_sgr_flag}"


def _pane_modes(tmux: Tmux) -> list[str]:
    return tmux.run("display-message", "-p", "-t", "bench", PANE_MODES).split()


def _child_of(pid: int) -> int:
    """The one child of process ``pid`` (perftop, run by the pane's shell)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise AssertionError(f"process {pid} started no child")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_ends_perftop_and_leaves_the_terminal_as_it_was(signum: int) -> None:
    """Killed from outside (a service manager, a dropped SSH connection, kill -INT), perftop exits with
    128 + the signal, as a shell reports it, and the shell that ran it gets its terminal back: line mode
    and echo on, the normal screen, no mouse reporting."""
    shell = (
        f"{shlex.quote(sys.executable)} -m perftop.tui.cli --interval 0.5; "
        "echo status=$?; stty -a; echo done; sleep 60"
    )
    with private_tmux("perftop-signal") as tmux:
        shell_pid = tmux.start(["sh", "-c", shell], 200, 40, str(ROOT))
        _wait_for(tmux, lambda s: "PID" in s and "COMMAND" in s and "%" in s)
        assert _pane_modes(tmux) == ["1"] * 4
        os.kill(_child_of(shell_pid), signum)
        screen = _wait_for(tmux, lambda s: "done" in s.split(), timeout=10)
        assert f"status={128 + signum}" in screen.split(), screen
        modes = screen.replace(";", " ").split()
        assert "icanon" in modes and "echo" in modes, screen
        assert _pane_modes(tmux) == ["0"] * 4


def test_perftop_ends_when_its_terminal_is_gone_even_with_sighup_ignored() -> None:
    """The terminal closed under it (here its tmux pane) while SIGHUP is ignored (nohup, trap '' HUP):
    reading the terminal fails, and perftop ends instead of running on with no one to see it."""
    shell = f"trap '' HUP; exec {shlex.quote(sys.executable)} -m perftop.tui.cli --interval 0.5"
    with private_tmux("perftop-hangup") as tmux:
        pid = tmux.start(["sh", "-c", shell], 120, 30, str(ROOT))  # exec: the pane's process is perftop
        _wait_for(tmux, lambda s: "PID" in s and "COMMAND" in s)
        tmux.run("kill-pane", "-t", "bench")
        _wait_gone(pid, timeout=5)


def test_a_sigcont_with_no_stop_before_it_starts_nothing_again() -> None:
    """Textual takes every SIGCONT for the end of a ctrl+z; one from kill -CONT, or the one the kernel sends
    with the SIGHUP of a terminal hanging up, started its input and output threads a second time, and the
    second input thread kept perftop alive after q."""
    with _perftop(120, 30, "--interval 0.5") as (tmux, pid):
        _wait_for(tmux, lambda s: "PID" in s and "COMMAND" in s)
        threads = len(os.listdir(f"/proc/{pid}/task"))
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.5)
        assert len(os.listdir(f"/proc/{pid}/task")) == threads
        tmux.run("send-keys", "-t", "bench", "q")
        _wait_gone(pid)


CRASHING = """
import sys
from perftop.probes.sampler import Sampler
from perftop.tui.cli import main

calls = 0
sample = Sampler.sample


def failing(self, *args, **kwargs):
    global calls
    calls += 1
    if calls == 4:  # the baseline, the first frame's, then one of the App's own
        raise RuntimeError("injected failure")
    return sample(self, *args, **kwargs)


Sampler.sample = failing
sys.exit(main(["--interval", "0.25"]))
"""


def test_a_crash_exits_non_zero_with_one_line_and_the_traceback_in_a_file(tmp_path: Path) -> None:
    script = tmp_path / "crashing.py"
    script.write_text(CRASHING)
    shell = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}; echo status=$?; sleep 60"
    with private_tmux("perftop-crash") as tmux:  # its HOME is a temporary directory
        tmux.start(["sh", "-c", shell], 250, 30, str(ROOT))  # wide: the message is one line
        screen = _wait_for(tmux, lambda s: "status=" in s)
        lines = [line for line in screen.splitlines() if line.strip()]
        assert lines[-1] == "status=1", screen
        message = lines[-2]
        assert message.startswith("perftop: crashed (RuntimeError: injected failure); the traceback is in ")
        assert len(lines) == 2, screen  # nothing else: no traceback over the screen, no interface left on it
        saved = Path(message.rsplit(" ", 1)[1])
        assert saved.parent == Path(tmux.env["HOME"]) / ".local" / "state" / "perftop"
        assert "RuntimeError: injected failure" in saved.read_text()
        assert saved.stat().st_mode & 0o777 == 0o600
