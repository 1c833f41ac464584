"""A private tmux server for running perftop (or another monitor) in a real terminal, and reading what its
pane shows: used by the terminal and CLI tests and by the benchmarks (``bench.overhead``,
``bench.cold_start``)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


class Tmux:
    """A private tmux server (its own socket and config) holding one detached session."""

    def __init__(self, socket: str, env: dict[str, str], config: Path, term: str) -> None:
        self.socket = socket
        # No status line (the pane gets every row) and the same TERM for every monitor. No client ever
        # attaches, so the size given to new-session stays (window-size manual in a config file makes
        # tmux 3.3a exit).
        config.write_text(f'set-option -g default-terminal "{term}"\nset-option -g status off\n')
        self.config = str(config)
        #: The whole environment of the server, hence of the pane: nothing of ours leaks in.
        self.env = env

    def run(self, *args: str, check: bool = True) -> str:
        """One tmux command (or several, separated by ``";"``) on this server; its stdout."""
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", self.config, *args],
            capture_output=True,
            text=True,
            check=False,
            env=self.env,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, argv: Sequence[str], width: int, height: int, cwd: str) -> int:
        """Start ``argv`` alone in a ``width`` x ``height`` pane; return its PID (the program itself:
        tmux runs a command given as several words without a shell)."""
        size = ("-x", str(width), "-y", str(height))
        self.run("new-session", "-d", "-s", "bench", *size, "-c", cwd, "--", *argv)
        return int(self.run("display-message", "-p", "-t", "bench", "#{pane_pid}").strip())

    def size(self) -> tuple[int, int]:
        """The pane's size in cells."""
        w, h = self.run("display-message", "-p", "-t", "bench", "#{pane_width} #{pane_height}").split()
        return int(w), int(h)

    def pipe_to(self, path: Path | None) -> None:
        """Append what the program writes to the pane to ``path`` from now on (``None``: stop)."""
        if path is None:
            self.run("pipe-pane", "-t", "bench")
        else:
            self.run("pipe-pane", "-o", "-t", "bench", f"cat >> {path}")

    def capture(self) -> str:
        """The pane's text as shown now."""
        return self.run("capture-pane", "-p", "-t", "bench", check=False)

    def kill(self) -> None:
        """Stop the server and everything it runs: the panes' programs too, since one that ignores
        the hangup tmux sends (glances did) would outlive the server and skew the next measurement."""
        pane_pids = [int(p) for p in self.run("list-panes", "-a", "-F", "#{pane_pid}", check=False).split()]
        self.run("kill-server", check=False)
        for pid in pane_pids:  # each pane's program leads its own process group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


@contextmanager
def private_tmux(name: str, term: str = "tmux-256color") -> Iterator[Tmux]:
    """A :class:`Tmux` whose socket, config and ``HOME`` live in a temporary directory of its own (a
    server still shutting down never answers the next), with a bare environment; killed on exit."""
    with tempfile.TemporaryDirectory(prefix=f"{name}.") as tmp:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "LANG": "C.UTF-8",
            "TMUX_TMPDIR": tmp,
        }
        tmux = Tmux(f"{name}-{os.getpid()}", env, Path(tmp) / "tmux.conf", term)
        try:
            yield tmux
        finally:
            tmux.kill()


def wait_for_screen(tmux: Tmux, shown: Callable[[str], bool], what: str, seconds: float, poll: float) -> str:
    """The pane's text once ``shown`` holds for it, checked every ``poll`` seconds; AssertionError naming
    ``what``, with the last screen, when it does not within ``seconds``."""
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux.capture()
        if shown(screen):
            return screen
        time.sleep(poll)
    raise AssertionError(f"{what} not shown within {seconds:g} s; the screen was:\n{screen}")


_NUMBER = re.compile(r"\d+(\.\d+)?")


def shows_real_cpu_percent(screen: str) -> bool:
    """True when the process table on ``screen`` has a number in its CPU% column.

    Cells of the columns left of CPU% (PID, USER, POL, RTPRIO, PRI, NI) never hold spaces, so the
    column is found by its word position in the header line. Before the second sample every cell
    there is ``-``.
    """
    lines = screen.splitlines()
    for i, line in enumerate(lines):
        titles = line.split()
        if "PID" not in titles:
            continue
        column = next((n for n, title in enumerate(titles) if title.startswith("CPU%")), None)
        if column is None:
            return False
        for row in lines[i + 1 :]:
            cells = row.split()
            if len(cells) > column and _NUMBER.fullmatch(cells[column]):
                return True
        return False
    return False
