"""htop's inspection keys in the App: ``l`` lists the open files of the selected process, ``e`` shows its
environment (refused with the reason for another user's process when unprivileged), also from the detail
screen for its process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.app import AppOptions, PerftopApp
from perftop.tui.detail_screen import DetailScreen
from perftop.tui.inspect_ui import STRACE_MISSING
from perftop.tui.screens import TextScreen
from perftop.tui.strace_screen import StraceScreen
from testbed.demo import DemoMachine


def screen_body(app: PerftopApp) -> str:
    screen = app.screen
    assert isinstance(screen, TextScreen)
    return str(screen.query_one(Static).render())


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    held = tmp_path / "held.txt"
    # A line break in a file's name and in a variable's value: neither may pass for a line of its own.
    forged = tmp_path / "x\n3  REG  0  O_RDONLY  shadow"
    code = (
        "import sys, time; f = open(sys.argv[1], 'w'); g = open(sys.argv[2], 'w'); print(flush=True); "
        "time.sleep(60)"
    )
    env = {**os.environ, "PERFTOP_KNOWN": "yes\x1b[31m", "PERFTOP_FORGED": "a\nPERFTOP_FAKE=1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(held), str(forged)], env=env, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    yield proc, held
    proc.kill()
    proc.wait()


async def test_l_and_e_show_the_selected_process(holder: tuple[subprocess.Popen[bytes], Path]) -> None:
    proc, held = holder
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(proc.pid,)))
    async with app.run_test(size=(160, 40)) as pilot:
        await app.sample_now()
        assert app.table.select_pid(proc.pid)
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        body = screen_body(app)
        assert f"Open files of {proc.pid}" in body and str(held) in body and "O_WRONLY" in body
        assert "x\\n3  REG" in body and not any(line.startswith("3  REG") for line in body.splitlines())
        await pilot.press("escape")
        await pilot.press("e")
        await pilot.pause()
        body = screen_body(app)
        assert f"Environment of {proc.pid}" in body
        # The escape sequence in the value is spelled out, never sent to the terminal.
        assert "PERFTOP_KNOWN=yes\\e[31m" in body
        assert "PERFTOP_FORGED=a\\nPERFTOP_FAKE=1" in body and "\nPERFTOP_FAKE" not in body
        await pilot.press("escape")
        # From the detail screen: its process.
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("l")
        await pilot.pause()
        assert f"Open files of {proc.pid}" in screen_body(app)


async def test_a_process_that_exited_is_said_so(holder: tuple[subprocess.Popen[bytes], Path]) -> None:
    proc, _ = holder
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(proc.pid,)))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.sample_now()
        assert app.table.select_pid(proc.pid)
        proc.kill()
        proc.wait()
        for key in ("l", "e"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, TextScreen)
        assert sum(f"{proc.pid} has exited" in n.message for n in app._notifications) == 2


def test_environ_of_another_users_process_is_refused_as_nobody(
    holder: tuple[subprocess.Popen[bytes], Path],
) -> None:
    """As uid 65534 the kernel refuses root's child's environ: the key says why instead of a screen."""
    from tests.unprivileged import run_as_nobody

    proc, _ = holder

    def work() -> dict[str, object]:
        import asyncio

        async def run() -> dict[str, object]:
            app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(proc.pid,)))
            async with app.run_test(size=(120, 40)) as pilot:
                await app.sample_now()
                app.table.select_pid(proc.pid)
                await pilot.press("e")
                await pilot.pause()
                await pilot.press("l")
                await pilot.pause()
                return {
                    "screen": isinstance(app.screen, TextScreen),
                    "notes": [n.message for n in app._notifications],
                }

        return asyncio.run(run())

    out = run_as_nobody(work)
    assert out["screen"] is False
    notes = out["notes"]
    assert isinstance(notes, list)
    assert any("environment of this process cannot be read" in n for n in notes)
    assert any("cannot be listed" in n for n in notes)


async def test_l_on_the_demo_tree(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await machine.drive(app, 1)
        assert app.table.select_pid(1290)
        await pilot.press("l")
        await pilot.pause()
        body = screen_body(app)
        assert "Open files of 1290 (java)" in body and "SOCK" in body
        await pilot.press("escape")
        await pilot.press("e")
        await pilot.pause()
        assert "LANG=C.UTF-8" in screen_body(app)


def status_text(app: PerftopApp) -> str:
    return str(app.status_line.render())


async def test_f_follows_the_selected_process_across_sorts_until_f_or_esc(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(120, 16)) as pilot:
        await machine.drive(app, 1)
        # The last row: far from the top of most orders, so each sort must scroll to keep it in view.
        pid = app.table.rows()[-1].pid
        assert app.table.select_pid(pid)
        await pilot.press("F")
        await pilot.pause()
        assert app.following and "follow" in status_text(app)
        for key in ("M", "T", "P", "I", "less_than_sign", "t", "t"):
            await pilot.press(key)
            await machine.drive(app, 1)
            await pilot.pause()
            assert app.table.selected_pid == pid, key
            top = app.table.scroll_offset.y
            index = next(i for i, p in enumerate(app.table.rows()) if p.pid == pid)
            assert top <= index < top + app.table.size.height - 1, key  # on screen (line 0: header)
        await pilot.press("F")
        await pilot.pause()
        assert not app.following and "follow" not in status_text(app)
        await pilot.press("F")
        await pilot.pause()
        assert app.following
        await pilot.press("escape")
        await pilot.pause()
        assert not app.following and "follow" not in status_text(app)
        # Unfollowed, the cursor keeps its line whatever the sort.
        line = app.table.cursor_row
        for key in ("M", "P"):
            await pilot.press(key)
            await machine.drive(app, 1)
            await pilot.pause()
            assert app.table.cursor_row == line


async def test_a_followed_process_filtered_away_stops_the_follow(tmp_path: Path) -> None:
    machine = DemoMachine(tmp_path)
    app = machine.app()
    async with app.run_test(size=(120, 30)) as pilot:
        await machine.drive(app, 1)
        assert app.table.select_pid(1290)
        await pilot.press("F")
        app.table.set_filter("no-such-process-name")
        await machine.drive(app, 1)
        await pilot.pause()
        assert not app.following
        assert any("1290, followed" in n.message for n in app._notifications)


# --- s: strace -----------------------------------------------------------------------------------------

LOOP = "import os, time\nwhile True:\n    os.getppid()\n    time.sleep(0.05)\n"


async def _until(condition: Callable[[], bool], pilot: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


@pytest.fixture
def looper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", LOOP])
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.live
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
async def test_s_streams_the_syscalls_and_esc_stops_strace(looper: subprocess.Popen[bytes]) -> None:
    scope = Path("/proc/sys/kernel/yama/ptrace_scope")
    if os.geteuid() != 0 and scope.exists() and scope.read_text().strip() != "0":
        pytest.skip("ptrace of a sibling needs root here")
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(looper.pid,)))
    async with app.run_test(size=(120, 30)) as pilot:
        await app.sample_now()
        assert app.table.select_pid(looper.pid)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StraceScreen)
        await _until(lambda: any("getppid()" in line for line in screen.lines), pilot)
        assert screen.process is not None
        strace_pid = screen.process.pid
        assert Path(f"/proc/{strace_pid}").exists()
        await pilot.press("escape")
        await _until(lambda: not isinstance(app.screen, StraceScreen), pilot)
        # strace ended and was reaped; the traced process goes on, detached.
        assert screen.process.returncode is not None
        assert not Path(f"/proc/{strace_pid}").exists()
        assert looper.poll() is None
        status = Path(f"/proc/{looper.pid}/status").read_text()
        assert "TracerPid:\t0" in status


@pytest.mark.live
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
async def test_strace_ends_with_the_traced_process(looper: subprocess.Popen[bytes]) -> None:
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(looper.pid,)))
    async with app.run_test(size=(120, 30)) as pilot:
        await app.sample_now()
        assert app.table.select_pid(looper.pid)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StraceScreen)
        await _until(lambda: any("getppid()" in line for line in screen.lines), pilot)
        looper.kill()
        looper.wait()
        await _until(lambda: screen.ended, pilot)
        assert any("+++ killed by SIGKILL +++" in line for line in screen.lines)
        assert "strace ended" in str(screen.query_one("#strace-state", Static).render())
        await pilot.press("escape")


async def test_s_without_strace_says_so(
    looper: subprocess.Popen[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without strace
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(looper.pid,)))
    async with app.run_test(size=(120, 30)) as pilot:
        await app.sample_now()
        assert app.table.select_pid(looper.pid)
        await pilot.press("s")
        await pilot.pause()
        assert not isinstance(app.screen, StraceScreen)
        assert any(n.message == STRACE_MISSING for n in app._notifications)


@pytest.mark.live
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_strace_of_another_users_process_is_refused_with_the_reason(looper: subprocess.Popen[bytes]) -> None:
    from tests.unprivileged import run_as_nobody

    strace = shutil.which("strace")
    assert strace is not None

    def work() -> dict[str, object]:
        import asyncio

        async def run() -> dict[str, object]:
            app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(looper.pid,)))
            async with app.run_test(size=(120, 30)) as pilot:
                await app.sample_now()
                app.table.select_pid(looper.pid)
                await pilot.press("s")
                await pilot.pause()
                screen = app.screen
                if not isinstance(screen, StraceScreen):
                    return {"screen": False}
                await _until(lambda: screen.ended, pilot)
                return {"screen": True, "refused": screen.refused, "lines": screen.lines}

        return asyncio.run(run())

    out = run_as_nobody(work)
    assert out["screen"] is True and out["refused"] is True
    lines = out["lines"]
    assert isinstance(lines, list)
    assert any("Operation not permitted" in line for line in lines)
    assert any("tracing another user's process needs root" in line for line in lines)


@pytest.mark.live
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
async def test_strace_does_not_outlive_the_app(looper: subprocess.Popen[bytes]) -> None:
    app = PerftopApp(Sampler(FS()), AppOptions(autorefresh=False, pids=(looper.pid,)))
    async with app.run_test(size=(120, 30)) as pilot:
        await app.sample_now()
        assert app.table.select_pid(looper.pid)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StraceScreen)
        await _until(lambda: screen.process is not None and bool(screen.lines), pilot)
        assert screen.process is not None
        strace_pid = screen.process.pid
    # The App ended with the screen open: strace was stopped and reaped, the process detached.
    assert not Path(f"/proc/{strace_pid}").exists()
    assert "TracerPid:\t0" in Path(f"/proc/{looper.pid}/status").read_text()
