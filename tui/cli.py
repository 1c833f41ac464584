"""The ``perftop`` command line.

The top of tui's layers (see ``pyproject.toml``): it starts the App, which never imports it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import pwd
import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from perftop.probes.fs import FS
from perftop.probes.kernel_numbers import is_decimal
from perftop.probes.processes import thread_group
from perftop.probes.sampler import Sampler, check_procfs
from perftop.tui import crash
from perftop.widgets import process_columns
from perftop.widgets.safe_text import escaped

#: Seconds between the exporter's samples: one sample reads every process's status, and a scrape every
#: 15 s (Prometheus's usual) gains nothing from a faster cadence.
EXPORT_INTERVAL = 5.0

#: ``perftop export --listen``'s default: loopback only, nothing exposed beyond this machine unless asked.
DEFAULT_LISTEN = "127.0.0.1:9787"

#: How many processes ``perftop export`` gives series by default (the busiest by CPU).
DEFAULT_TOP = 20

if TYPE_CHECKING:
    from perftop.probes.snapshot import Snapshot
    from perftop.tui.app import PerftopApp
    from perftop.tui.exporter import ListenAddress
    from perftop.tui.recorder_loop import LiveRecording

#: Open files perftop asks for at most (the scanner holds two per process).
MAX_OPEN_FILES = 1 << 20


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.05 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"interval must be between 0.05 and 3600 seconds, not {text}")
    return value


def _positive_int(text: str) -> int:
    if not is_decimal(text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def _pid_list(text: str) -> tuple[int, ...]:
    pids = []
    for part in text.split(","):
        part = part.strip()
        if not is_decimal(part) or int(part) < 1:
            raise argparse.ArgumentTypeError(f"bad PID {part!r} in {text!r}: give PIDs like 1234,5678")
        pids.append(int(part))
    return tuple(dict.fromkeys(pids))


def _user(text: str) -> str:
    try:
        pwd.getpwnam(text)
    except KeyError:
        if not is_decimal(text):
            raise argparse.ArgumentTypeError(f"no such user: {text!r}") from None
    return text


def _sort_column(text: str) -> str:
    column = process_columns.find_column(text)
    if column is None:
        names = ", ".join(c.title for c in process_columns.COLUMNS)
        raise argparse.ArgumentTypeError(f"unknown column {text!r}; choose one of {names}")
    return column.key


class _VersionAction(argparse.Action):
    """``--version``: perftop's, then Textual's and which rendering perftop uses on it (the fence's checks).
    Looked up only when asked: importlib.metadata and Textual are costly imports."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from perftop.widgets import textual_fence

        print(f"perftop {_version()}\n{textual_fence.describe()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("perftop")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (separate so tests and the help screen can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="perftop",
        description="A Linux performance monitor for the terminal, built for tuning.",
        epilog="perftop export [--listen ADDR:PORT] ...: serve Prometheus metrics (perftop export --help); "
        "perftop record FILE ...: record samples without the interface (perftop record --help)",
    )
    parser.add_argument(
        "--interval",
        type=_positive_float,
        default=1.0,
        metavar="S",
        help="seconds between refreshes (default 1.0)",
    )
    parser.add_argument(
        "--procfs",
        type=Path,
        default=Path("/proc"),
        metavar="P",
        help="procfs root to read (default /proc); any other root makes perftop read-only",
    )
    parser.add_argument(
        "--sysfs", type=Path, default=Path("/sys"), metavar="P", help="sysfs root to read (default /sys)"
    )
    parser.add_argument(
        "--pid",
        type=_pid_list,
        metavar="PID,...",
        help="show only these processes (like top -p); the first is selected",
    )
    parser.add_argument("--user", type=_user, metavar="NAME", help="show only this user's processes")
    parser.add_argument(
        "--sort",
        type=_sort_column,
        metavar="COLUMN",
        help="initial sort column, e.g. cpu, mem, time, pid, nvcsw/s",
    )
    parser.add_argument(
        "--json", action="store_true", help="print snapshots as JSON lines instead of starting the interface"
    )
    parser.add_argument(
        "--count",
        type=_positive_int,
        default=1,
        metavar="N",
        help="with --json: how many snapshots (default 1)",
    )
    parser.add_argument(
        "--threads",
        action="store_true",
        help="with --json: a 'tasks' list per process, one entry per thread; else start with threads shown "
        "under their process (H toggles them)",
    )
    parser.add_argument("--read-only", action="store_true", help="disable every tuning action")
    parser.add_argument(
        "--low-bandwidth",
        action="store_true",
        help="for slow links: no overview graph, the table sorted every 5 refreshes (b toggles it)",
    )
    parser.add_argument(
        "--tree",
        action="store_true",
        help="start in the tree view: each process under its parent (t toggles it)",
    )
    parser.add_argument(
        "--log-actions",
        type=Path,
        metavar="FILE",
        help="append each applied tuning command to FILE as a shell script, its target and undo in comments",
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="record every sample and tuning action to FILE while the interface runs (see perftop record)",
    )
    parser.add_argument(
        "--max-size",
        type=_size,
        metavar="SIZE",
        help="with --record: FILE and its older segment FILE.1 stay within SIZE bytes (500k, 100M, 2G)",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        metavar="FILE",
        help="replay a recording (perftop record) instead of this machine; with --json print its frames",
    )
    parser.add_argument(
        "--from",
        dest="replay_from",
        metavar="T",
        help="with --replay: start at T (14:05 on the recording's day, +30s from its start, -10m before its "
        "end, 2026-12-07T14:05 or epoch seconds)",
    )
    parser.add_argument(
        "--to", dest="replay_to", metavar="T", help="with --replay --json: stop at T (as --from)"
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version and exit")
    return parser


def _listen(text: str) -> ListenAddress:
    # Imported only for ``export``: prometheus_client would add tens of milliseconds to every start.
    from perftop.tui.exporter import parse_listen

    try:
        return parse_listen(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_export_parser() -> argparse.ArgumentParser:
    """The parser of ``perftop export`` (a subcommand of its own: the interface's flags stay as they are)."""
    parser = argparse.ArgumentParser(
        prog="perftop export",
        description="Serve the latest sample as Prometheus metrics (read-only: no tuning is reachable).",
    )
    parser.add_argument(
        "--listen",
        type=_listen,
        default=DEFAULT_LISTEN,
        metavar="ADDR:PORT",
        help=f"address and port to serve /metrics on (default {DEFAULT_LISTEN}; IPv6 as [::1]:9787)",
    )
    parser.add_argument(
        "--interval",
        type=_positive_float,
        default=EXPORT_INTERVAL,
        metavar="S",
        help=f"seconds between samples (default {EXPORT_INTERVAL:g}); a scrape serves the latest one",
    )
    parser.add_argument(
        "--top",
        type=_positive_int,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"export the N busiest processes by CPU (default {DEFAULT_TOP}), so series stay bounded",
    )
    parser.add_argument(
        "--procfs", type=Path, default=Path("/proc"), metavar="P", help="procfs root to read (default /proc)"
    )
    parser.add_argument(
        "--sysfs", type=Path, default=Path("/sys"), metavar="P", help="sysfs root to read (default /sys)"
    )
    parser.add_argument(
        "--read-only", action="store_true", help="accepted for symmetry: the exporter never tunes"
    )
    return parser


def _export_main(argv: list[str]) -> int:
    args = build_export_parser().parse_args(argv)
    fs = FS(procfs=args.procfs, sysfs=args.sysfs)
    problem = check_procfs(fs)
    if problem is not None:
        print(f"perftop: {problem}", file=sys.stderr)
        return 1
    from perftop.tui.exporter import run_exporter

    _allow_open_files()
    sampler = Sampler(fs)
    try:
        return run_exporter(sampler, args.listen, interval=args.interval, top=args.top)
    finally:
        sampler.close()


def _duration(text: str) -> float:
    from perftop.tui.recorder_loop import parse_duration

    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _size(text: str) -> int:
    from perftop.tui.recorder_loop import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_record_parser() -> argparse.ArgumentParser:
    """The parser of ``perftop record`` (headless: no terminal needed)."""
    parser = argparse.ArgumentParser(
        prog="perftop record",
        description="Record samples of every section (and every process) to FILE without the interface, "
        "until the duration ends or SIGINT, SIGTERM or SIGHUP; replay it with perftop --replay FILE. "
        "An existing recording is appended to. Read-only: recording never tunes.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the recording to write (or append to)")
    parser.add_argument(
        "--interval",
        type=_positive_float,
        default=1.0,
        metavar="S",
        help="seconds between samples (default 1.0)",
    )
    parser.add_argument(
        "--duration",
        type=_duration,
        metavar="D",
        help="stop after D: 90, 90s, 10m, 2h, 1d (default: until a signal)",
    )
    parser.add_argument(
        "--max-size",
        type=_size,
        metavar="SIZE",
        help="FILE and its older segment FILE.1 stay within SIZE bytes (500k, 100M, 2G): past half of it "
        "FILE becomes FILE.1 and a new FILE begins, so the newest samples are kept",
    )
    parser.add_argument(
        "--keyframe-every",
        type=_positive_int,
        default=None,
        metavar="N",
        help="a full snapshot every N frames, changes only between (default 300)",
    )
    parser.add_argument(
        "--procfs", type=Path, default=Path("/proc"), metavar="P", help="procfs root to read (default /proc)"
    )
    parser.add_argument(
        "--sysfs", type=Path, default=Path("/sys"), metavar="P", help="sysfs root to read (default /sys)"
    )
    return parser


def _record_main(argv: list[str]) -> int:
    from perftop.tui import recorder_loop as rl

    parser = build_record_parser()
    args = parser.parse_args(argv)
    if (problem := rl.file_problem(args.file)) is not None:
        parser.error(f"argument FILE: {problem}")
    fs = FS(procfs=args.procfs, sysfs=args.sysfs)
    if (problem := check_procfs(fs)) is not None:
        print(f"perftop: {problem}", file=sys.stderr)
        return 1
    _allow_open_files()
    sampler = Sampler(fs)
    stop = threading.Event()
    try:
        with _stop_on(stop, (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)):
            baseline = sampler.sample(**rl.EVERY_SECTION)
            tunables = rl.Tunables(fs)
            if args.max_size is not None:
                size_problem = rl.max_size_problem(args.max_size, rl.frame_size(baseline, tunables.current()))
                if size_problem is not None:
                    parser.error(f"argument --max-size: {size_problem}")
            if stop.is_set():  # a signal during the baseline: no file is made for nothing
                print("perftop: stopped before the first frame; nothing recorded", file=sys.stderr)
                return 0
            try:
                recorder = rl.open_recorder(
                    args.file,
                    interval=args.interval,
                    keyframe_every=args.keyframe_every or rl.KEYFRAME_EVERY,
                    max_size=args.max_size,
                )
            except rl.RecordingError as error:
                print(f"perftop: {error}", file=sys.stderr)
                return 1
            try:
                result = rl.record(
                    sampler,
                    recorder,
                    interval=args.interval,
                    duration=args.duration,
                    stop=stop,
                    tunables=tunables,
                )
            finally:
                recorder.close()
    finally:
        sampler.close()
    if result.error is not None:
        print(f"perftop: {result.error}", file=sys.stderr)
        return 1
    print(rl.recorded_line(result.frames, result.size, args.file), file=sys.stderr)
    return 0


@contextlib.contextmanager
def _stop_on(stop: threading.Event, signals: tuple[signal.Signals, ...]) -> Iterator[None]:
    """Set ``stop`` on each of ``signals`` (instead of their usual end) while inside; a signal ignored
    already stays ignored (``nohup perftop record`` goes on when its terminal goes away)."""

    def handler(_signum: int, _frame: object) -> None:
        stop.set()  # nothing more: the recording loop ends after the frame under way

    previous = {s: signal.signal(s, handler) for s in signals if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``perftop`` console script: its exit status (2 for bad arguments, 1 for an
    error, which is reported in one line with the traceback saved to a file)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130  # Ctrl-C before the interface took the terminal, as a shell reports it
    except Exception:
        return crash.report(traceback.format_exc())


def _main(argv: list[str] | None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["export"]:
        return _export_main(arguments[1:])
    if arguments[:1] == ["report"]:
        from perftop.tui.report import report_main

        return report_main(arguments[1:])
    if arguments[:1] == ["record"]:
        return _record_main(arguments[1:])
    parser = build_parser()
    args = parser.parse_args(_times_joined(arguments))
    if args.count != 1 and not args.json:
        parser.error("--count goes with --json")
    if args.record is not None:
        _check_record_arguments(parser, args)
    elif args.max_size is not None:
        parser.error("--max-size goes with --record (or perftop record)")
    if args.replay is not None or args.replay_from is not None or args.replay_to is not None:
        return _replay_main(parser, args)
    # Argument errors first (status 2), then what keeps perftop from running here (status 1).
    if args.log_actions is not None and not args.json and (log_problem := log_file_problem(args.log_actions)):
        parser.error(f"argument --log-actions: {log_problem}")
    fs = FS(procfs=args.procfs, sysfs=args.sysfs)
    problem = check_procfs(fs)
    if problem is None and args.pid and (pid_problem := pids_problem(fs, args.pid)):
        parser.error(f"argument --pid: {pid_problem}")
    if problem is None and not args.json:
        problem = terminal_problem(os.environ)
    if problem is not None:
        print(f"perftop: {problem}", file=sys.stderr)
        return 1
    _allow_open_files()
    sampler = Sampler(fs)
    try:
        return _run(args, sampler)
    finally:
        sampler.close()


def _check_record_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``--record``'s refusals (status 2): with ``--json`` or ``--replay``, or a FILE that cannot be one."""
    if args.json:
        parser.error("--record records while the interface runs; without it use: perftop record FILE")
    if args.replay is not None:
        parser.error("--record and --replay go one at a time: a replay is a recording already")
    from perftop.tui.recorder_loop import file_problem

    if (problem := file_problem(args.record)) is not None:
        parser.error(f"argument --record: {problem}")


def _times_joined(arguments: list[str]) -> list[str]:
    """``--from -10m`` as ``--from=-10m``: argparse takes a value that starts with ``-`` for an option."""
    out: list[str] = []
    it = iter(arguments)
    for argument in it:
        if argument in ("--from", "--to"):
            value = next(it, None)
            out.append(argument if value is None else f"{argument}={value}")
        else:
            out.append(argument)
    return out


def _replay_main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``--replay FILE``: the interface on the recording, or with ``--json`` its frames as JSON lines.
    Bad arguments, a file that is not a recording perftop reads and a time outside it: one line, status 2;
    a file that cannot be read: status 1."""
    if args.replay is None:
        parser.error("--from and --to go with --replay FILE")
    if args.replay_to is not None and not args.json:
        parser.error("--to goes with --replay FILE --json (the interface starts at --from)")
    if args.count != 1:
        parser.error("--count does not go with --replay: --from and --to choose the frames")
    from perftop.tui.recording import Recording, RecordingError
    from perftop.tui.replay import frame_range, write_frames

    try:
        # A FIFO or device given as the file is refused (status 2), never waited on; a missing or
        # unreadable one is status 1.
        recording = Recording(args.replay)
        first, last = frame_range(recording, args.replay_from, args.replay_to)
    except RecordingError as error:
        print(f"perftop: {error}", file=sys.stderr)
        return error.status
    except ValueError as error:
        print(f"perftop: {error}", file=sys.stderr)
        return 2
    if args.json:
        try:
            printed = write_frames(recording, sys.stdout, sys.stderr, first, last)
            sys.stdout.flush()
        except BrokenPipeError:
            return 0
        except OSError as error:
            print(f"perftop: cannot write the JSON lines: {error.strerror or error}", file=sys.stderr)
            return 1
        # Damaged frames were named on stderr; the good ones printed are the answer.
        return 0 if printed else 1
    problem = terminal_problem(os.environ)
    if problem is not None:
        print(f"perftop: {problem}", file=sys.stderr)
        return 1
    from perftop.tui import input_driver
    from perftop.tui.app import AppOptions
    from perftop.tui.replay_app import ReplayApp

    options = AppOptions(
        pids=args.pid, user=args.user, sort=args.sort, low_bandwidth=args.low_bandwidth, tree=args.tree
    )
    app = ReplayApp(recording, start=first, options=options)
    app.error_console, printed_error = crash.capture_console()
    app.run()
    if app.return_code in input_driver.SIGNAL_STATUSES:
        return app.return_code
    if app.return_code:
        return crash.report(printed_error.getvalue() or f"the interface ended with status {app.return_code}")
    return 0


def terminal_problem(environ: Mapping[str, str]) -> str | None:
    """Why the interface cannot run here, in one line, or None when it can. It reads keys from standard
    input and draws on standard error (as Textual does); standard output not being a terminal means the
    output was meant for a pipe or a file, which is what ``--json`` is for."""
    if not os.isatty(0):
        return "standard input is not a terminal: the interface reads its keys there (or use --json)"
    if not os.isatty(1):
        return "standard output is not a terminal: use --json to write snapshots to a pipe or a file"
    if not os.isatty(2):
        return "standard error is not a terminal: the interface draws its screen there (or use --json)"
    if environ.get("TERM") == "dumb":
        return (
            "TERM=dumb: this terminal cannot move the cursor, which the interface needs; "
            "run perftop in another terminal or set TERM (e.g. TERM=xterm-256color), or use --json"
        )
    return None


def log_file_problem(path: Path) -> str | None:
    """Open the ``--log-actions`` file for appending (creating it), as each action will: a path that cannot
    be written is refused at start, not found out after an action was applied and left unlogged. The reason
    in one line, or None when it opens."""
    try:
        # O_NONBLOCK: a FIFO without a reader is refused (ENXIO) rather than waited on.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
    except OSError as error:
        return f"cannot append to {escaped(str(path))}: {error.strerror}"
    os.close(fd)
    return None


def pids_problem(fs: FS, pids: tuple[int, ...]) -> str | None:
    """Why ``--pid`` cannot show these processes (one is not there, or is a thread of another), or None.

    Refused at start, as ``kill``, ``renice -p`` and ``ps -p`` do: a mistyped PID would otherwise show an
    empty table and nothing to act on. A process that exits later leaves the table as any process does.
    """
    for pid in pids:
        group = thread_group(fs, pid)
        if group is None:
            return f"no process {pid} in {escaped(str(fs.procfs))}"
        if group != pid:
            return f"{pid} is a thread of process {group}: give the process's PID"
    return None


def _allow_open_files() -> None:
    """Raise the soft limit on open files to the hard one: the process scanner keeps two files open per
    process between refreshes (re-reading them costs much less than opening them) within that limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(MAX_OPEN_FILES, MAX_OPEN_FILES if hard == resource.RLIM_INFINITY else hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):  # else the scanner keeps within the limit there is
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _run(args: argparse.Namespace, sampler: Sampler) -> int:
    if args.json:
        from perftop.tui.json_lines import OutputError, write_json_lines

        def select(procs):
            chosen = process_columns.filter_processes(procs, user=args.user, pids=args.pid)
            if args.sort:
                descending = process_columns.COLUMN_BY_KEY[args.sort].descending
                chosen = process_columns.sort_processes(chosen, args.sort, reverse=descending)
            return chosen

        try:
            write_json_lines(
                sampler,
                sys.stdout,
                count=args.count,
                interval=args.interval,
                select=select,
                threads=args.threads,
            )
        except (BrokenPipeError, KeyboardInterrupt):
            return 0
        except OutputError as error:
            print(f"perftop: cannot write the JSON lines: {error}", file=sys.stderr)
            return 1
        return 0

    # The start allocates many objects that live as long as perftop (modules, classes, the samples): the
    # cyclic collector walked them over and over, a noticeable part of the CPU before the first frame. It
    # stays off until the App runs; then they are frozen out of its sight for good, so neither the App's start
    # nor any later full collection walks them again. (The cycles the imports leave are never freed: the price
    # of skipping a full collection.)
    gc.disable()
    try:
        return _run_app(args, sampler)
    finally:
        gc.enable()


def _run_app(args: argparse.Namespace, sampler: Sampler) -> int:
    # The baseline the first rates rest on, taken before Textual is imported: its age overlaps the
    # imports and the App's start, so the App's first sample already shows real rates.
    baseline_at = time.monotonic()
    io_pids = None if args.sort in process_columns.IO_KEYS else ()  # io only for a sort by it
    # The OOM figures for every process only for a sort by one; the memory pane's details when it is shown.
    oom_pids = None if args.sort in process_columns.OOM_KEYS else ()
    # While recording, every section from the start, so the first frames have every rate.
    recorded = args.record is not None
    sampler.sample(
        first_status_pids(args.sort, args.pid),
        io_pids=io_pids,
        sockets=recorded,
        memory=recorded,
        oom_pids=oom_pids,
    )

    from perftop.tui.app import AppOptions, PerftopApp

    options = AppOptions(
        interval=args.interval,
        pids=args.pid,
        user=args.user,
        sort=args.sort,
        read_only=args.read_only,  # the App also goes read-only on a procfs root that is not ours
        low_bandwidth=args.low_bandwidth,
        tree=args.tree,
        threads=args.threads,
        log_actions=args.log_actions,
    )
    # Rates over a shorter baseline than first_delay are mostly noise; only a very fast start needs this.
    time.sleep(max(0.0, options.first_delay - (time.monotonic() - baseline_at)))
    # The first frame's sample, with rates over the imports, taken here rather than after the App's
    # first refresh: status for every process, as no row is on screen yet to choose by.
    first = sampler.sample(None, io_pids=io_pids, sockets=recorded, memory=recorded, oom_pids=oom_pids)
    recording: LiveRecording | None = None
    if recorded:
        recording, status = _start_recording(args, sampler, first)
        if recording is None:
            return status
        options = replace(options, recording=recording)
    try:
        return _run_textual(PerftopApp(sampler, options, first))
    finally:
        if recording is not None:
            recording.close()
            # One line: what was recorded, or why the recording stopped (the App went on without it).
            said = recording.summary() if recording.error is None else f"perftop: {recording.error}"
            print(said, file=sys.stderr)


def _start_recording(
    args: argparse.Namespace, sampler: Sampler, first: Snapshot
) -> tuple[LiveRecording | None, int]:
    """``--record``'s recording, its first frame written (``first``), or None and the exit status after
    saying why in one line (2: ``--max-size`` too small; 1: the file cannot be written)."""
    from perftop.tui import recorder_loop as rl

    tunables = rl.Tunables(sampler.fs)
    if args.max_size is not None:
        problem = rl.max_size_problem(args.max_size, rl.frame_size(first, tunables.current()))
        if problem is not None:
            print(f"perftop: argument --max-size: {problem}", file=sys.stderr)
            return None, 2
    try:
        recorder = rl.open_recorder(args.record, interval=args.interval, max_size=args.max_size)
    except rl.RecordingError as error:
        print(f"perftop: {error}", file=sys.stderr)
        return None, 1
    recording = rl.LiveRecording(recorder, tunables)
    recording.write(first)
    if recording.error is not None:
        print(f"perftop: {recording.error}", file=sys.stderr)
        return None, 1
    return recording, 0


def _run_textual(app: PerftopApp) -> int:
    from perftop.tui import input_driver

    # Textual prints an unhandled error's traceback once the terminal is restored: into a file instead.
    app.error_console, printed = crash.capture_console()
    gc.freeze()
    gc.enable()
    app.run()
    if app.return_code in input_driver.SIGNAL_STATUSES:
        return app.return_code  # a signal, or the terminal gone: the terminal is restored, nothing to say
    if app.return_code:
        return crash.report(printed.getvalue() or f"the interface ended with status {app.return_code}")
    return 0


def first_status_pids(sort: str | None, pids: tuple[int, ...] | None) -> frozenset[int] | None:
    """The processes whose ``/proc/PID/status`` the baseline reads (``None``: all of them): every process
    when the order depends on status, so the first frame is sorted by real rates, else only the
    ``--pid`` ones (the first frame's sample reads every status; rates of the others follow a refresh
    later, as for rows that scroll into view).
    """
    column = process_columns.COLUMN_BY_KEY.get(sort) if sort else None
    if column is not None and column.needs_status:
        return None
    return frozenset(pids or ())


if __name__ == "__main__":
    sys.exit(main())
