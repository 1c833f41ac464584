"""What a monitor costs the machine it watches: perftop side by side with htop, btop and glances.

Each monitor runs alone in a tmux pane of a fixed size at a 1 s refresh, with N extra idle processes
(``sleep`` children in a process group this script owns, killed afterwards). After a warm-up, over a
window of ``--duration`` seconds, it measures:

- CPU% of one core: utime + stime (``/proc/PID/stat``) of the monitor and every descendant, plus what
  reaped children left in cutime + cstime, over the window;
- peak RSS: the highest ``VmHWM`` of the monitor's processes at the end of the window;
- terminal bytes/s: what the monitor wrote to the pane (tmux ``pipe-pane -o``) over the window.

Run from the repository root with the project's virtualenv::

    python -m bench.overhead                                   # every installed monitor, ~70 and +2000
    python -m bench.overhead --extra 0,2000 --size 200x50 --size 80x24 --duration 20
    python -m bench.overhead --monitors perftop,htop --extra 2000 --json bench/results/overhead.json

Nothing leaves the machine: glances runs with ``--disable-check-update`` and a config that disables the
default-gateway ping, the public-IP lookup and the cloud-metadata plugin. Every monitor gets a fresh
``HOME`` (default settings, no user config; btop's is written there with ``update_ms = 1000``) and
tmux runs on a private socket, killed at the end with everything in it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from testbed.tmux import Tmux

REPO = Path(__file__).resolve().parent.parent
#: The interpreter that runs perftop: this one (the project's virtualenv).
PYTHON = sys.executable

GLANCES_CONFIG = """\
[global]
check_update=false
[ports]
port_default_gateway=False
[ip]
public_disabled=True
[cloud]
disable=True
"""

#: Where the ``perftop-record`` monitor records (removed at the end of each measurement).
RECORD_FILE = Path(tempfile.gettempdir()) / f"perftop-overhead-{os.getpid()}.rec"

BTOP_CONFIG = 'update_ms = 1000\ncolor_theme = "Default"\n'


@dataclass(frozen=True, slots=True)
class Monitor:
    """How to start one monitor at a 1 s refresh: its argv and the files its fresh HOME needs."""

    name: str
    argv: tuple[str, ...]
    config_files: tuple[tuple[str, str], ...] = ()


def monitors(interval: float = 1.0, glances: str | None = None) -> dict[str, Monitor]:
    """Every monitor this script knows, by name (installed or not)."""
    tenths = str(max(1, round(interval * 10)))
    table = {
        "perftop": Monitor("perftop", (PYTHON, "-m", "perftop.tui.cli", "--interval", f"{interval:g}")),
        "perftop-lowbw": Monitor(
            "perftop-lowbw",
            (PYTHON, "-m", "perftop.tui.cli", "--interval", f"{interval:g}", "--low-bandwidth"),
        ),
        "perftop-tree": Monitor(
            "perftop-tree", (PYTHON, "-m", "perftop.tui.cli", "--interval", f"{interval:g}", "--tree")
        ),
        "perftop-threads": Monitor(
            "perftop-threads", (PYTHON, "-m", "perftop.tui.cli", "--interval", f"{interval:g}", "--threads")
        ),
        # The interface recording every sample (and so sampling every section) to a scratch file.
        "perftop-record": Monitor(
            "perftop-record",
            (PYTHON, "-m", "perftop.tui.cli", "--interval", f"{interval:g}", "--record", str(RECORD_FILE)),
        ),
        "htop": Monitor("htop", ("htop", "-d", tenths)),
        "btop": Monitor(
            "btop",
            ("btop",),
            ((".config/btop/btop.conf", BTOP_CONFIG.replace("1000", str(round(interval * 1000)))),),
        ),
    }
    glances = glances or shutil.which("glances")
    if glances:
        table["glances"] = Monitor(
            "glances",
            (
                glances,
                "--disable-check-update",
                "--disable-plugin",
                "cloud",
                "-C",
                "glances.conf",
                "-t",
                f"{interval:g}",
            ),
            (("glances.conf", GLANCES_CONFIG),),
        )
    return table


def installed(monitor: Monitor) -> bool:
    """True when the monitor's program can be run."""
    program = monitor.argv[0]
    if os.path.isabs(program):
        return os.access(program, os.X_OK)
    return shutil.which(program) is not None


# -- process accounting -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcTimes:
    """The CPU fields of one ``/proc/PID/stat``, in clock ticks, and its parent."""

    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int
    start_time: int


def parse_stat_times(text: str) -> ProcTimes:
    """The PID, parent and CPU times of one ``/proc/PID/stat`` line (comm may hold spaces and ``)``)."""
    head, _, rest = text.rpartition(")")
    f = rest.split()
    return ProcTimes(
        int(head.split(" (", 1)[0]), int(f[1]), int(f[11]), int(f[12]), int(f[13]), int(f[14]), int(f[19])
    )


def read_times(pid: int, procfs: str = "/proc") -> ProcTimes | None:
    """``parse_stat_times`` of a live process, or ``None`` once it is gone."""
    try:
        with open(f"{procfs}/{pid}/stat") as f:
            return parse_stat_times(f.read())
    except (OSError, ValueError, IndexError):
        return None


def descendants(root: int, procfs: str = "/proc") -> list[int]:
    """``root`` and every live process below it (one pass over ``/proc``)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir(procfs):
        if name.isdigit():
            times = read_times(int(name), procfs)
            if times is not None:
                children.setdefault(times.ppid, []).append(times.pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


#: CPU ticks used so far, per process identity ``(pid, start_time)``.
Ticks = dict[tuple[int, int], int]


def tree_ticks(root: int, procfs: str = "/proc") -> Ticks:
    """CPU ticks used so far by ``root`` and its descendants, keyed by process identity (pid, start).

    Each process counts its own utime + stime plus the cutime + cstime of children it reaped, so work
    of a short-lived child is still counted after it exited.
    """
    ticks = {}
    for pid in descendants(root, procfs):
        t = read_times(pid, procfs)
        if t is not None:
            ticks[(t.pid, t.start_time)] = t.utime + t.stime + t.cutime + t.cstime
    return ticks


def cpu_percent(before: Ticks, after: Ticks, seconds: float) -> float:
    """Percent of one core used between two ``tree_ticks`` readings ``seconds`` apart.

    A process present only in ``after`` started during the window: all its ticks count.
    """
    used = sum(ticks - before.get(key, 0) for key, ticks in after.items())
    return used / os.sysconf("SC_CLK_TCK") / seconds * 100.0


def peak_rss_bytes(root: int, procfs: str = "/proc") -> int | None:
    """The highest ``VmHWM`` among ``root`` and its descendants, in bytes (``None``: none readable)."""
    peak = None
    for pid in descendants(root, procfs):
        try:
            with open(f"{procfs}/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        value = int(line.split()[1]) * 1024
                        peak = value if peak is None else max(peak, value)
        except (OSError, ValueError, IndexError):
            continue
    return peak


# -- the idle processes -----------------------------------------------------------------------------------


@contextmanager
def idle_processes(count: int) -> Iterator[list[subprocess.Popen]]:
    """``count`` sleeping processes in one new process group owned by this script; all killed on exit."""
    procs: list[subprocess.Popen] = []
    try:
        for _ in range(count):
            group = procs[0].pid if procs else 0
            procs.append(
                subprocess.Popen(
                    ["sleep", "86400"],
                    process_group=group,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        yield procs
    finally:
        if procs:
            with suppress(ProcessLookupError):
                os.killpg(procs[0].pid, signal.SIGKILL)
            for p in procs:
                p.kill()  # no-op for the dead; covers any that left the group
                p.wait()


@contextmanager
def thread_process(threads: int) -> Iterator[subprocess.Popen | None]:
    """One Python process holding ``threads`` sleeping threads (none for 0); killed on exit."""
    if threads <= 0:
        yield None
        return
    code = (
        "import threading, time\n"
        "threading.stack_size(65536)\n"
        f"for _ in range({threads}):\n"
        "    threading.Thread(target=time.sleep, args=(86400,), daemon=True).start()\n"
        "print('ready', flush=True)\n"
        "time.sleep(86400)\n"
    )
    proc = subprocess.Popen([PYTHON, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        yield proc
    finally:
        proc.kill()
        proc.wait()


# -- one measurement --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measurement:
    """One monitor, one size, one process count."""

    monitor: str
    size: str
    extra: int
    processes: int
    seconds: float
    cpu_percent: float
    peak_rss_mib: float | None
    bytes_per_s: float
    alive: bool


def measure(
    monitor: Monitor, width: int, height: int, extra: int, warmup: float, duration: float, term: str
) -> Measurement:
    """Run ``monitor`` alone in tmux and measure it over ``duration`` seconds after ``warmup``."""
    with tempfile.TemporaryDirectory(prefix=f"perftop-overhead-{monitor.name}.") as tmp:
        home = Path(tmp) / "home"
        for rel, text in monitor.config_files:
            path = home / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        home.mkdir(exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "LANG": "C.UTF-8",
            "TMUX_TMPDIR": tmp,
        }
        # glances reads its config relative to the working directory given with -C.
        cwd = str(REPO) if monitor.name.startswith("perftop") else str(home)
        tmux = Tmux(f"perftop-bench-{os.getpid()}", env, Path(tmp) / "tmux.conf", term)
        out = Path(tmp) / "pane.out"
        try:
            pid = tmux.start(monitor.argv, width, height, cwd)
            if tmux.size() != (width, height):
                print(f"warning: the pane is {tmux.size()}, not {(width, height)}", file=sys.stderr)
            time.sleep(warmup)
            out.write_bytes(b"")
            tmux.pipe_to(out)
            start = time.monotonic()
            before = tree_ticks(pid)
            time.sleep(duration)
            after = tree_ticks(pid)
            seconds = time.monotonic() - start
            tmux.pipe_to(None)
            rss = peak_rss_bytes(pid)
            alive = read_times(pid) is not None
            if not alive:
                print(f"warning: {monitor.name} exited early: {tmux.capture()[-400:]!r}", file=sys.stderr)
        finally:
            tmux.kill()
            RECORD_FILE.unlink(missing_ok=True)
        return Measurement(
            monitor=monitor.name,
            size=f"{width}x{height}",
            extra=extra,
            processes=sum(1 for n in os.listdir("/proc") if n.isdigit()),
            seconds=round(seconds, 2),
            cpu_percent=round(cpu_percent(before, after, seconds), 2),
            peak_rss_mib=None if rss is None else round(rss / 2**20, 1),
            bytes_per_s=round(out.stat().st_size / seconds, 1),
            alive=alive,
        )


def table(rows: Sequence[Measurement]) -> str:
    """The measurements side by side: one line per monitor, size and process count."""
    lines = [
        f"{'monitor':<9} {'size':>7} {'extra':>6} {'procs':>6} {'CPU% 1 core':>11} {'peak RSS':>9} "
        f"{'term B/s':>9}"
    ]
    for r in rows:
        rss = "-" if r.peak_rss_mib is None else f"{r.peak_rss_mib:.1f}MiB"
        flag = "" if r.alive else "  (exited early)"
        lines.append(
            f"{r.monitor:<9} {r.size:>7} {'+' + str(r.extra):>6} {r.processes:>6} {r.cpu_percent:>10.2f}% "
            f"{rss:>9} {r.bytes_per_s:>9.0f}{flag}"
        )
    return "\n".join(lines)


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 20 or int(h) < 5:
        raise argparse.ArgumentTypeError(f"size must look like 200x50, not {text!r}")
    return int(w), int(h)


def number_list(text: str, *, least: int, example: str) -> list[int]:
    """A comma-separated option of whole numbers, each at least ``least`` (argparse's error otherwise)."""
    try:
        numbers = [int(c) for c in text.split(",") if c]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like {example}, not {text!r}") from None
    if not numbers or min(numbers) < least:
        raise argparse.ArgumentTypeError(f"expected numbers like {example}, not {text!r}")
    return numbers


def _counts(text: str) -> list[int]:
    return number_list(text, least=0, example="0,2000")


def build_parser() -> argparse.ArgumentParser:
    """Options of ``python -m bench.overhead``."""
    parser = argparse.ArgumentParser(prog="python -m bench.overhead", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--monitors",
        default="perftop,perftop-lowbw,htop,btop,glances",
        help="comma-separated; missing ones are skipped",
    )
    parser.add_argument(
        "--extra", type=_counts, default=[0, 2000], help="extra idle processes, comma-separated (0,2000)"
    )
    parser.add_argument(
        "--size", type=_size, action="append", help="pane size, repeatable (default 200x50 and 80x24)"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured (default 20)")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds before measuring (default 4)")
    parser.add_argument("--interval", type=float, default=1.0, help="refresh interval of every monitor")
    parser.add_argument(
        "--term", default="tmux-256color", help="TERM inside the pane (default tmux-256color)"
    )
    parser.add_argument("--glances", help="path of the glances program (default: glances on PATH)")
    parser.add_argument("--json", type=Path, help="also write the measurements to this JSON file")
    parser.add_argument(
        "--thread-process",
        type=int,
        default=0,
        metavar="N",
        help="also run one process holding N sleeping threads (the thread view's worst case)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every chosen monitor at every size and process count, then print the table."""
    args = build_parser().parse_args(argv)
    if shutil.which("tmux") is None:
        print("overhead: tmux is needed (apt-get install tmux)", file=sys.stderr)
        return 1
    known = monitors(args.interval, args.glances)
    chosen = []
    for name in args.monitors.split(","):
        monitor = known.get(name)
        if monitor is None or not installed(monitor):
            print(f"overhead: {name} is not installed, skipped", file=sys.stderr)
        else:
            chosen.append(monitor)
    sizes = args.size or [(200, 50), (80, 24)]
    rows: list[Measurement] = []
    for extra in args.extra:
        with idle_processes(extra), thread_process(args.thread_process):
            for width, height in sizes:
                for monitor in chosen:
                    print(
                        f"measuring {monitor.name} {width}x{height} +{extra} ...", file=sys.stderr, flush=True
                    )
                    rows.append(measure(monitor, width, height, extra, args.warmup, args.duration, args.term))
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
