"""What a recording costs: megabytes per hour and CPU per sample, with 2000 extra idle processes.

The live machine is sampled as ``perftop --json`` samples it (every section, every process's cgroup, run
delay and throttling, the tunables) every ``--interval`` seconds for ``--duration`` seconds, with
``--extra`` idle ``sleep`` processes started (and killed) by this script. Each sample goes to one
:class:`~perftop.tui.recording.Recorder` per ``--keyframe-every`` value, each writing its own file.

- Size per hour. A recording of ``--duration`` seconds holds fewer keyframes than an hour does, so the
  hour is computed from the means measured: ``3600 / interval * (delta + (keyframe - delta) /
  keyframe_every)`` bytes, where ``delta`` and ``keyframe`` are the mean frame sizes (the header, under
  300 bytes, is left out). The plain extrapolation of the file (its size times 3600 / duration) is shown
  beside it.
- Cost per sample: the CPU time (``time.thread_time``) of ``Recorder.add`` on the recording thread, live
  at each sample, then again in ``--rounds`` rounds over the same snapshots kept in memory, into a fresh
  file each round (the median round is given: the live figure moves with whatever else the machine
  does). Keyframes are counted at their share (one in ``keyframe_every``). As a percentage of one core
  at the interval: ``ms per sample / interval / 10``. The sampler's own CPU time per sample is shown
  for scale.
- atop, when installed: ``atop -w FILE INTERVAL COUNT`` runs over the same period with the same
  processes, and its raw file's size per hour is shown beside perftop's.

Run from the repository root with the project's virtualenv::

    python -m bench.bench_recording                          # +2000 processes, 6 minutes, 1 s
    python -m bench.bench_recording --duration 60 --keyframe-every 300,60 --no-atop
    python -m bench.bench_recording --json bench/results/recording.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.overhead import idle_processes, number_list
from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.probes.snapshot import Snapshot
from perftop.probes.tunable_files import read_tunables
from perftop.tui.json_lines import tunables_to_list
from perftop.tui.recording import FRAME_HEAD_BYTES, KEYFRAME, Recorder, Recording

#: What ``perftop --json`` reads at each sample beyond what the interface reads (see ``write_json_lines``).
EVERY_SECTION: dict[str, Any] = {"cgroup_pids": None, "sched_pids": None, "throttle_pids": None}


@dataclass(frozen=True, slots=True)
class SizeResult:
    """One ``keyframe_every`` variant: its file and what an hour of it takes."""

    keyframe_every: int
    frames: int
    keyframes: int
    file_bytes: int
    keyframe_mean_bytes: float
    delta_mean_bytes: float
    mb_per_hour: float
    mb_per_hour_extrapolated: float
    add_ms_live: float
    add_ms_loop: float | None
    core_percent: float


@dataclass(frozen=True, slots=True)
class Result:
    """The whole run."""

    extra: int
    processes: int
    interval: float
    seconds: float
    samples: int
    sampler_ms: float
    sizes: list[SizeResult]
    atop_mb_per_hour: float | None
    atop_note: str


def frame_sizes(path: Path) -> tuple[list[int], list[int]]:
    """The whole sizes (head included) of a recording's keyframes and of its deltas."""
    keys: list[int] = []
    deltas: list[int] = []
    for info in Recording(path).frames:
        (keys if info.kind == KEYFRAME else deltas).append(FRAME_HEAD_BYTES + info.length)
    return keys, deltas


def bytes_per_hour(keyframe: float, delta: float, keyframe_every: int, interval: float) -> float:
    """An hour of frames: one keyframe in ``keyframe_every``, deltas between."""
    return 3600 / interval * (delta + (keyframe - delta) / keyframe_every)


def amortized(key_ms: Sequence[float], delta_ms: Sequence[float], keyframe_every: int) -> float:
    """Mean cost of a sample when one in ``keyframe_every`` is a keyframe."""
    key = statistics.mean(key_ms) if key_ms else 0.0
    delta = statistics.mean(delta_ms) if delta_ms else key
    return delta + (key - delta) / keyframe_every


def timed_adds(
    recorder: Recorder, samples: Sequence[tuple[Snapshot, list[dict[str, Any]]]], every: int
) -> tuple[list[float], list[float]]:
    """CPU milliseconds of each ``add`` of ``samples``, split into keyframes (one in ``every``, the
    recorder's keyframe interval) and deltas."""
    keys: list[float] = []
    deltas: list[float] = []
    for i, (snapshot, tunables) in enumerate(samples):
        start = time.thread_time()
        recorder.add(snapshot, tunables=tunables)
        (keys if i % every == 0 else deltas).append((time.thread_time() - start) * 1e3)
    return keys, deltas


def start_atop(path: Path, interval: float, count: int) -> subprocess.Popen[bytes] | None:
    """``atop -w path interval count`` in the background, or ``None`` when atop is not installed."""
    atop = shutil.which("atop")
    if atop is None:
        return None
    return subprocess.Popen(
        [atop, "-w", str(path), str(max(1, round(interval))), str(count)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop_atop(proc: subprocess.Popen[bytes], timeout: float) -> str:
    """Wait for atop to finish its samples (or stop it); its complaint, if any."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate()
    return err.decode(errors="replace").strip()


def run(
    extra: int,
    duration: float,
    interval: float,
    keyframe_every: Sequence[int],
    rounds: int,
    atop: bool,
    workdir: Path,
) -> Result:
    """Record the live machine with ``extra`` idle processes and measure each variant."""
    count = max(2, round(duration / interval))
    with ExitStack() as stack:
        stack.enter_context(idle_processes(extra))
        fs = FS()
        sampler = Sampler(fs)
        stack.callback(sampler.close)
        sampler.sample(**EVERY_SECTION)
        hostname = os.uname().nodename
        recorders = {
            k: Recorder(workdir / f"k{k}.perftop", interval=interval, hostname=hostname, keyframe_every=k)
            for k in keyframe_every
        }
        for recorder in recorders.values():
            stack.callback(recorder.close)
        atop_path = workdir / "atop.raw"
        atop_proc = start_atop(atop_path, interval, count) if atop else None
        live: dict[int, tuple[list[float], list[float]]] = {k: ([], []) for k in recorders}
        samples: list[tuple[Snapshot, list[dict[str, Any]]]] = []
        sampler_ms: list[float] = []
        started = due = time.monotonic()
        for i in range(count):
            due += interval
            time.sleep(max(0.0, due - time.monotonic()))
            cpu = time.thread_time()
            snapshot = sampler.sample(**EVERY_SECTION)
            tunables = tunables_to_list(read_tunables(fs))
            sampler_ms.append((time.thread_time() - cpu) * 1e3)
            samples.append((snapshot, tunables))
            for k, recorder in recorders.items():
                cpu = time.thread_time()
                recorder.add(snapshot, tunables=tunables)
                live[k][0 if i % k == 0 else 1].append((time.thread_time() - cpu) * 1e3)
            if (i + 1) % 60 == 0:
                print(f"  {i + 1}/{count} samples", file=sys.stderr)
        seconds = time.monotonic() - started
        processes = len(samples[-1][0].processes)
        atop_note = "atop not installed" if atop else "atop left out (--no-atop)"
        atop_mb = None
        if atop_proc is not None:
            complaint = stop_atop(atop_proc, timeout=interval * 5 + 10)
            if atop_path.exists() and atop_path.stat().st_size:
                atop_mb = atop_path.stat().st_size / seconds * 3600 / 1e6
                atop_note = "atop -w, same period and processes"
            else:
                atop_note = f"atop wrote nothing: {complaint[:200]}"
    for recorder in recorders.values():
        recorder.close()
    loop: dict[int, float] = {}
    for k in recorders:
        per_round = []
        for r in range(rounds):
            path = workdir / f"loop-{k}-{r}.perftop"
            recorder = Recorder(path, interval=interval, hostname=hostname, keyframe_every=k)
            try:
                keys, deltas = timed_adds(recorder, samples, k)
            finally:
                recorder.close()
                path.unlink()
            per_round.append(amortized(keys, deltas, k))
        if per_round:
            loop[k] = statistics.median(per_round)
    sizes = []
    for k in recorders:
        path = workdir / f"k{k}.perftop"
        keys, deltas = frame_sizes(path)
        key_mean = statistics.mean(keys)
        delta_mean = statistics.mean(deltas) if deltas else key_mean
        live_ms = amortized(*live[k], k)
        ms = loop.get(k, live_ms)
        sizes.append(
            SizeResult(
                keyframe_every=k,
                frames=len(keys) + len(deltas),
                keyframes=len(keys),
                file_bytes=path.stat().st_size,
                keyframe_mean_bytes=round(key_mean),
                delta_mean_bytes=round(delta_mean),
                mb_per_hour=round(bytes_per_hour(key_mean, delta_mean, k, interval) / 1e6, 2),
                mb_per_hour_extrapolated=round(path.stat().st_size / seconds * 3600 / 1e6, 2),
                add_ms_live=round(live_ms, 3),
                add_ms_loop=None if k not in loop else round(loop[k], 3),
                core_percent=round(ms / interval / 10, 3),
            )
        )
    return Result(
        extra=extra,
        processes=processes,
        interval=interval,
        seconds=round(seconds, 1),
        samples=count,
        sampler_ms=round(statistics.mean(sampler_ms), 2),
        sizes=sizes,
        atop_mb_per_hour=None if atop_mb is None else round(atop_mb, 2),
        atop_note=atop_note,
    )


def table(result: Result) -> str:
    """The run as a table, one line per keyframe interval."""
    lines = [
        f"{result.processes} processes (+{result.extra} idle), {result.samples} samples at "
        f"{result.interval:g} s over {result.seconds:g} s; the sampler took {result.sampler_ms:.2f} ms "
        f"of CPU a sample ({result.sampler_ms / result.interval / 10:.2f}% of a core)",
        f"{'keyframe every':>14} {'frames':>6} {'keyframe B':>10} {'delta B':>8} {'MB/hour':>8} "
        f"{'(file x)':>8} {'add ms live':>11} {'add ms loop':>11} {'% core (loop)':>13}",
    ]
    for s in result.sizes:
        loop = "-" if s.add_ms_loop is None else f"{s.add_ms_loop:.3f}"
        lines.append(
            f"{s.keyframe_every:>14} {s.frames:>6} {s.keyframe_mean_bytes:>10.0f} {s.delta_mean_bytes:>8.0f} "
            f"{s.mb_per_hour:>8.2f} {s.mb_per_hour_extrapolated:>8.2f} {s.add_ms_live:>11.3f} {loop:>11} "
            f"{s.core_percent:>12.3f}%"
        )
    if result.atop_mb_per_hour is not None:
        lines.append(f"atop -w: {result.atop_mb_per_hour:.2f} MB/hour ({result.atop_note})")
    else:
        lines.append(f"atop: {result.atop_note}")
    return "\n".join(lines)


def _keyframes(text: str) -> list[int]:
    return number_list(text, least=1, example="300,60")


def build_parser() -> argparse.ArgumentParser:
    """Options of ``python -m bench.bench_recording``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_recording", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--extra", type=int, default=2000, help="extra idle processes (default 2000)")
    parser.add_argument(
        "--duration", type=float, default=360.0, help="seconds recorded (default 360: one keyframe period)"
    )
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples (default 1)")
    parser.add_argument(
        "--keyframe-every",
        type=_keyframes,
        default=[300, 60, 1000],
        help="keyframe intervals compared, comma-separated (default 300,60,1000; the first is perftop's)",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="timing rounds over the kept samples (default 5; 0: none)"
    )
    parser.add_argument("--no-atop", dest="atop", action="store_false", help="do not run atop -w beside")
    parser.add_argument("--json", type=Path, help="also write the result to this JSON file")
    parser.add_argument("--keep", type=Path, help="keep the recordings in this directory")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Record, measure and print the table."""
    args = build_parser().parse_args(argv)
    if args.extra < 0 or args.duration <= 0 or args.interval <= 0 or args.rounds < 0:
        print(
            "bench_recording: --extra, --duration, --interval and --rounds must be positive", file=sys.stderr
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="perftop-bench-recording.") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        result = run(
            args.extra, args.duration, args.interval, args.keyframe_every, args.rounds, args.atop, workdir
        )
    print(table(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
