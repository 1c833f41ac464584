"""What the command line refuses before it starts, and how ``--json`` ends when its output fails: one line
on stderr and a non-zero exit, never a traceback, a hang or a screen drawn where nobody sees it."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tests" / "fixtures" / "demo"
DEMO_ARGS = ("--procfs", str(DEMO / "proc"), "--sysfs", str(DEMO / "sys"))
#: The streams of a perftop run in a terminal, by file descriptor.
STREAMS = ("stdin", "stdout", "stderr")


def _read_all(fd: int) -> bytes:
    """What the terminal side of a pty holds once its other side is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (the side a test reads, the side perftop gets as its terminal)."""
    reader, tty = pty.openpty()
    try:
        yield reader, tty
    finally:
        for fd in (reader, tty):
            with contextlib.suppress(OSError):
                os.close(fd)


def run_in_terminal(
    terminal: tuple[int, int],
    *args: str,
    term: str = "xterm-256color",
    **not_a_terminal: int | IO[bytes],
) -> tuple[int, str]:
    """Run perftop with every stream on a terminal but those given (``stdout=...``), wait at most 20 s
    (killing it then) and return its exit status and what it wrote to the terminal."""
    reader, tty = terminal
    streams = {name: not_a_terminal.get(name, tty) for name in STREAMS}
    env = {**os.environ, "TERM": term}
    child = subprocess.Popen([sys.executable, "-m", "perftop.tui.cli", *args], cwd=ROOT, env=env, **streams)
    try:
        status = child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        status = -9
    os.close(tty)
    return status, _read_all(reader).decode(errors="replace")


def test_stdin_not_a_terminal_is_one_line_and_status_1(terminal: tuple[int, int]) -> None:
    status, shown = run_in_terminal(terminal, *DEMO_ARGS, stdin=subprocess.DEVNULL)
    assert status == 1
    assert shown.strip() == (
        "perftop: standard input is not a terminal: the interface reads its keys there (or use --json)"
    )


def test_stdout_not_a_terminal_hints_at_json(terminal: tuple[int, int], tmp_path: Path) -> None:
    with open(tmp_path / "out", "wb") as out:
        status, shown = run_in_terminal(terminal, *DEMO_ARGS, stdout=out)
    assert status == 1
    assert shown.strip() == (
        "perftop: standard output is not a terminal: use --json to write snapshots to a pipe or a file"
    )
    assert (tmp_path / "out").read_bytes() == b""


def test_stderr_not_a_terminal_is_refused_as_the_screen_goes_there(
    terminal: tuple[int, int], tmp_path: Path
) -> None:
    with open(tmp_path / "err", "wb") as err:
        status, shown = run_in_terminal(terminal, *DEMO_ARGS, stderr=err)
    assert status == 1 and shown == ""
    assert (tmp_path / "err").read_text() == (
        "perftop: standard error is not a terminal: the interface draws its screen there (or use --json)\n"
    )


def test_a_dumb_terminal_gets_a_clear_message(terminal: tuple[int, int]) -> None:
    status, shown = run_in_terminal(terminal, *DEMO_ARGS, term="dumb")
    assert status == 1
    assert shown.strip().startswith("perftop: TERM=dumb: this terminal cannot move the cursor")
    assert "\x1b" not in shown  # nothing drawn


def test_json_runs_without_any_terminal(tmp_path: Path) -> None:
    with open(tmp_path / "out", "wb") as out:
        done = subprocess.run(
            [sys.executable, "-m", "perftop.tui.cli", *DEMO_ARGS, "--json"],
            cwd=ROOT,
            env={**os.environ, "TERM": "dumb"},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            timeout=30,
        )
    assert done.returncode == 0 and done.stderr == b""
    assert json.loads((tmp_path / "out").read_text())["processes"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_json_into_a_full_disk_is_one_line_and_status_1() -> None:
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "perftop.tui.cli", *DEMO_ARGS, "--json", "--pid", "1"],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1
    assert done.stderr == "perftop: cannot write the JSON lines: No space left on device\n"


def test_json_into_a_closed_pipe_ends_quietly() -> None:
    reader = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    done = subprocess.run(
        [sys.executable, "-m", "perftop.tui.cli", *DEMO_ARGS, "--json", "--count", "5", "--interval", "0.1"],
        cwd=ROOT,
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
        timeout=30,
    )
    reader.stdin.close()
    reader.wait()
    assert (done.returncode, done.stderr) == (0, "")


def perftop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perftop.tui.cli", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("where", "reason"),
    [("missing/actions.sh", "No such file or directory"), ("a-directory", "Is a directory")],
)
def test_a_log_file_that_cannot_be_appended_to_is_an_argument_error(
    tmp_path: Path, where: str, reason: str
) -> None:
    (tmp_path / "a-directory").mkdir()
    path = tmp_path / where
    done = perftop(*DEMO_ARGS, "--log-actions", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        f"perftop: error: argument --log-actions: cannot append to {path}: {reason}"
    )


def test_a_fifo_without_a_reader_as_the_log_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    done = perftop(*DEMO_ARGS, "--log-actions", str(tmp_path / "fifo"))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith("No such device or address")


def test_the_log_file_is_opened_before_the_terminal_is_asked_for(tmp_path: Path) -> None:
    log = tmp_path / "actions.sh"
    log.write_text("#!/bin/sh\necho kept\n")
    done = perftop(*DEMO_ARGS, "--log-actions", str(log))
    assert done.returncode == 1 and "standard input is not a terminal" in done.stderr
    assert log.read_text() == "#!/bin/sh\necho kept\n"  # opened to append: nothing lost
    fresh = tmp_path / "new.sh"
    perftop(*DEMO_ARGS, "--log-actions", str(fresh))
    assert fresh.exists()


@pytest.mark.parametrize("mode", [(), ("--json",)])
def test_pid_of_no_process_is_an_argument_error(mode: tuple[str, ...]) -> None:
    done = perftop(*DEMO_ARGS, *mode, "--pid", "1,99999")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        f"perftop: error: argument --pid: no process 99999 in {DEMO / 'proc'}"
    )


def test_pid_of_a_thread_names_its_process() -> None:
    import threading

    started = threading.Event()
    stop = threading.Event()
    tids: list[int] = []

    def run() -> None:
        tids.append(threading.get_native_id())
        started.set()
        stop.wait(30)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        started.wait(5)
        done = perftop("--json", "--pid", str(tids[0]))
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 2
    thread_of = f"{tids[0]} is a thread of process {os.getpid()}: give the process's PID"
    assert done.stderr.splitlines()[-1] == f"perftop: error: argument --pid: {thread_of}"


def test_pid_of_a_live_process_still_works() -> None:
    done = perftop("--json", "--pid", str(os.getpid()))
    assert done.returncode == 0, done.stderr
    assert [p["pid"] for p in json.loads(done.stdout)["processes"]] == [os.getpid()]
