"""Cold start: import time, and time to the first frame that shows real data.

Run from the repository root with the project's virtualenv::

    python -m bench.cold_start               # 5 runs of each measurement
    python -m bench.cold_start --runs 10 --size 80x24

It reports:

- ``python -X importtime -c "import perftop.tui.cli"``: what the command line imports before its baseline
  sample (Textual comes after it), the costliest top-level imports, and the wall time of that command
  (interpreter start included). ``perftop --version`` timed this until it came to name the rendering
  the Textual fence chooses, which imports Textual;
- the time to ``import perftop.tui.app`` in a fresh interpreter;
- first frame in a terminal: perftop started in a tmux pane, its screen polled every 10 ms until the
  process table's CPU% column shows a number (a rate from a real second sample; the baseline shows
  ``-``). Measured from just before ``tmux new-session``, so interpreter start and imports are in it.
  perftop takes its baseline sample before it imports Textual, so the App's first sample has rates.
  Also the CPU time perftop had used by then (its threads' ``schedstat``): other jobs on the machine
  stretch the wall time much more than they change this;
- the floor of that measurement: the same interpreter printing a finished table at once (interpreter
  start, tmux and the polling; what no change to perftop can remove);
- first frame headless: ``PerftopApp`` driven by ``run_test`` in this (warm) process, from creating the
  App until the first snapshot with rates has been applied and painted (imports not included): once
  with a fresh sampler (the App takes the baseline, then waits ``first_delay``), once with a sampler
  that already holds a baseline, as perftop's command line hands it over (the App's start alone).

Issue 6's target: under 0.6 s to the first frame showing real data.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.overhead import REPO
from testbed.tmux import private_tmux, shows_real_cpu_percent

PYTHON = sys.executable
#: What the command line imports before its baseline sample.
CLI_IMPORT = ("-c", "import perftop.tui.cli")
#: A program that shows a process table with a real CPU% at once, then waits: the tmux measurement's floor.
FLOOR_PROGRAM = (
    "print('    PID USER      PRI  NI CPU%  COMMAND')\n"
    "print('      1 root       20   0  0.0  init')\n"
    "import time\n"
    "time.sleep(30)\n"
)


@dataclass(frozen=True, slots=True)
class ImportLine:
    """One line of ``-X importtime``: microseconds in the module itself and with what it imported."""

    module: str
    depth: int
    self_us: int
    cumulative_us: int


def parse_importtime(stderr: str) -> list[ImportLine]:
    """The ``import time:`` lines of ``python -X importtime`` output (other lines are skipped).

    ``depth`` is 0 for a top-level import, 1 for what that imported, and so on (CPython indents the
    name by two spaces per level).
    """
    lines = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        name = parts[2].rstrip()[1:]  # one space follows the bar
        stripped = name.lstrip(" ")
        lines.append(
            ImportLine(stripped, (len(name) - len(stripped)) // 2, int(parts[0]), int(parts[1].strip()))
        )
    return lines


def import_total_us(lines: Sequence[ImportLine]) -> int:
    """Total import time: the cumulative times of the top-level imports."""
    return sum(line.cumulative_us for line in lines if line.depth == 0)


def cumulative_us(lines: Sequence[ImportLine], module: str) -> int | None:
    """The cumulative import time of ``module``, or ``None`` when it was not imported."""
    return next((line.cumulative_us for line in lines if line.module == module), None)


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, check=True)


def importtime(argv: Sequence[str]) -> tuple[list[ImportLine], float]:
    """``python -X importtime ARGV``: its import lines and the command's wall time in seconds."""
    start = time.perf_counter()
    done = _run([PYTHON, "-X", "importtime", *argv])
    return parse_importtime(done.stderr), time.perf_counter() - start


def wall_time(argv: Sequence[str]) -> float:
    """Seconds ``python ARGV`` takes, interpreter start to exit."""
    start = time.perf_counter()
    _run([PYTHON, *argv])
    return time.perf_counter() - start


def import_app_seconds() -> float:
    """Seconds to ``import perftop.tui.app`` in a fresh interpreter (measured inside it)."""
    code = "import time; t = time.perf_counter(); import perftop.tui.app; print(time.perf_counter() - t)"
    return float(_run([PYTHON, "-c", code]).stdout)


def cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid``'s live threads so far, from their ``schedstat`` (nanoseconds on a CPU;
    the tick-based ``utime`` is too coarse for this)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
    return total / 1e9


def first_frame_tmux(
    width: int, height: int, timeout: float = 10.0, argv: Sequence[str] = (PYTHON, "-m", "perftop.tui.cli")
) -> float | None:
    """Seconds from starting ``argv`` (perftop) in a tmux pane until its table shows real CPU%; None on
    timeout."""
    times = first_frame_tmux_times(width, height, timeout, argv)
    return None if times is None else times[0]


def first_frame_tmux_times(
    width: int, height: int, timeout: float = 10.0, argv: Sequence[str] = (PYTHON, "-m", "perftop.tui.cli")
) -> tuple[float, float] | None:
    """As :func:`first_frame_tmux`: the wall seconds, and the CPU seconds ``argv`` had used when its table
    was seen showing real CPU% (up to one poll after the frame); None on timeout."""
    with private_tmux("perftop-cold") as tmux:
        start = time.perf_counter()
        pid = tmux.start(list(argv), width, height, str(REPO))
        while time.perf_counter() - start < timeout:
            if shows_real_cpu_percent(tmux.capture()):
                wall = time.perf_counter() - start
                with contextlib.suppress(OSError):  # exited: no CPU figure, as on a timeout
                    return wall, cpu_seconds(pid)
                return None
            time.sleep(0.01)
        return None


async def first_frame_headless(
    width: int, height: int, *, baseline: bool = False, timeout: float = 10.0
) -> float | None:
    """Seconds from creating ``PerftopApp`` (run_test, this machine's /proc) until the first snapshot with
    rates is applied and the screen has been refreshed with it; None when none came within ``timeout``
    (an App that failed at start never gets one).

    ``baseline``: the sampler has taken its first sample before the clock starts (as ``perftop`` does
    before importing the App), so the App's own first sample already has rates.
    """
    from perftop.probes.fs import FS
    from perftop.probes.sampler import Sampler
    from perftop.tui.app import AppOptions, PerftopApp

    sampler = Sampler(FS())
    if baseline:
        sampler.sample(frozenset(), sockets=False)
    start = time.perf_counter()
    app = PerftopApp(sampler, AppOptions())
    async with app.run_test(size=(width, height)) as pilot:
        while app.snapshot is None or app.snapshot.interval is None:
            if time.perf_counter() - start > timeout:
                return None
            await asyncio.sleep(0.002)
        await pilot.pause()
        return time.perf_counter() - start


@dataclass(frozen=True, slots=True)
class Stats:
    """Median, minimum and maximum of some runs, in seconds."""

    median: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"median {self.median * 1e3:7.1f} ms   min {self.low * 1e3:7.1f}   max {self.high * 1e3:7.1f}"


def stats(values: Sequence[float]) -> Stats:
    """Median, minimum and maximum of ``values`` (at least one)."""
    return Stats(statistics.median(values), min(values), max(values))


def repeat(runs: int, measure: Callable[[], float | None]) -> Stats | None:
    """``measure`` run ``runs`` times; None when any run failed."""
    values = [measure() for _ in range(runs)]
    done = [v for v in values if v is not None]
    return stats(done) if len(done) == len(values) else None


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit():
        raise argparse.ArgumentTypeError(f"size must look like 200x50, not {text!r}")
    return int(w), int(h)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print every cold-start figure."""
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement (default 5)")
    parser.add_argument("--size", type=_size, default=(200, 50), help="terminal size (default 200x50)")
    parser.add_argument("--top", type=int, default=8, help="costliest top-level imports shown (default 8)")
    args = parser.parse_args(argv)
    width, height = args.size

    lines, _ = importtime(CLI_IMPORT)
    total = import_total_us(lines)
    print(f"imports of perftop.tui.cli (python -X importtime, one run): {total / 1e3:.1f} ms in total")
    top = sorted((line for line in lines if line.depth == 0), key=lambda line: -line.cumulative_us)
    for line in top[: args.top]:
        print(f"    {line.cumulative_us / 1e3:7.1f} ms  {line.module}")
    app_lines, _ = importtime(["-c", "import perftop.tui.app"])
    app_us = cumulative_us(app_lines, "perftop.tui.app")
    if app_us is not None:
        print(f"perftop.tui.app cumulative in -X importtime: {app_us / 1e3:.1f} ms")
        for name in (
            "textual.app",
            "rich",
            "psutil",
            "perftop.widgets.process_table",
            "perftop.probes.sampler",
        ):
            us = cumulative_us(app_lines, name)
            if us is not None:
                print(f"    {us / 1e3:7.1f} ms  {name} (first import, nested or not)")
    print()
    print(f"{'import perftop.tui.cli, wall time':<38}", repeat(args.runs, lambda: wall_time(CLI_IMPORT)))
    print(f"{'import perftop.tui.app, fresh interpreter':<38}", repeat(args.runs, import_app_seconds))
    frames = [first_frame_tmux_times(width, height) for _ in range(args.runs)]
    shown = [times for times in frames if times is not None]
    label = f"first real frame, tmux {width}x{height}"
    if len(shown) < len(frames):
        print(f"{label:<38}", "timed out (no CPU% shown in 10 s)")
    else:
        print(f"{label:<38}", stats([wall for wall, _ in shown]))
        print(f"{'  CPU perftop had used by then':<38}", stats([cpu for _, cpu in shown]))
    floor = repeat(args.runs, lambda: first_frame_tmux(width, height, argv=(PYTHON, "-c", FLOOR_PROGRAM)))
    print(f"{'  floor: python printing a table':<38}", floor or "timed out")
    headless = repeat(args.runs, lambda: asyncio.run(first_frame_headless(width, height)))
    print(f"{f'first real frame, run_test {width}x{height}':<38}", headless or "timed out")
    held = repeat(args.runs, lambda: asyncio.run(first_frame_headless(width, height, baseline=True)))
    print(f"{'  same, sampler holding a baseline':<38}", held or "timed out")
    print(
        "\nissue 6 target: first frame with real data under 600 ms (the first rates rest on a 0.2 s baseline)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
