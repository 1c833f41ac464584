"""pyperf benchmarks of the interrupts pane's per-sample cost: ``/proc/interrupts`` at 2, 64 and 256 CPUs.

Run from the repository root (about a minute)::

    python -m bench.bench_interrupts                 # writes bench/results/interrupts-<date>-<time>.json
    python -m bench.bench_interrupts --cpus 256 --only changed

The texts are generated (``testbed.fixture_tree.interrupts_text``): an x86 machine with an NVMe drive and
a NIC of one queue per CPU, so 2, 64 and 256 CPUs give 38, 160 and 544 rows (2 KB, 117 KB and 1.5 MB).
Each loop takes the next tick's text, as samples a second apart give them (a busy line's
counts grew, an idle one's did not; the generating is not timed). Benchmarks:

``parse-all/N``      :func:`parse_interrupts` of every line (no memo: a first sample, or every IRQ busy).
``parse-changed/N``  the same with the sampler's memo of the last text's lines: only the lines whose bytes
                     changed are parsed (the numbered IRQs that fired, and the architecture rows).
``sample/N``         what a sample of the shown pane costs after the read: the parse with the memo, and
                     the rates of every IRQ and softirq against the last reading (``interrupts_snapshot``).
``read/N``           the sampler's read of the file it holds open (``HeldFiles``), its bytes changed each
                     loop (the rewrite of the file between loops is not timed), plus ``sample/N``.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from perftop.probes.fs import FS, HeldFiles
from perftop.probes.interrupts import (
    IrqLines,
    interrupts_snapshot,
    parse_interrupts,
    parse_softirqs,
    read_interrupts,
    read_softirqs,
)
from testbed.fixture_tree import interrupts_text, softirqs_text

CPUS: tuple[int, ...] = (2, 64, 256)
RESULTS = Path(__file__).resolve().parent / "results"


class Case:
    """One benchmark: ``setup()`` returns ``(prepare, body)``; each loop runs ``prepare`` (not timed) then
    ``body``. Set up on first use, so unselected cases cost nothing."""

    def __init__(
        self, name: str, setup: Callable[[], tuple[Callable[[], object], Callable[[], object]]]
    ) -> None:
        self.name = name
        self._setup = setup
        self._work: tuple[Callable[[], object], Callable[[], object]] | None = None

    def __call__(self, loops: int) -> float:
        """pyperf's time function: seconds for ``loops`` runs of the body."""
        if self._work is None:
            self._work = self._setup()
        prepare, body = self._work
        total = 0.0
        for _ in range(loops):
            prepare()
            start = time.perf_counter()
            body()
            total += time.perf_counter() - start
        return total


class Ticks:
    """The texts of a machine of ``cpus`` CPUs one second apart: each :meth:`flip` moves to the next
    tick, so counters grow as a running machine's do (never backwards)."""

    def __init__(self, cpus: int) -> None:
        self.cpus = cpus
        self.tick = 0
        self.text = interrupts_text(cpus, 0)
        self.soft = softirqs_text(cpus, 0)

    def flip(self) -> None:
        self.tick += 1
        self.text = interrupts_text(self.cpus, self.tick)
        self.soft = softirqs_text(self.cpus, self.tick)


def _parse_all(cpus: int) -> tuple[Callable[[], object], Callable[[], object]]:
    ticks = Ticks(cpus)
    return ticks.flip, lambda: parse_interrupts(ticks.text)


def _parse_changed(cpus: int) -> tuple[Callable[[], object], Callable[[], object]]:
    ticks = Ticks(cpus)
    lines = IrqLines()
    parse_interrupts(ticks.text, lines)
    return ticks.flip, lambda: parse_interrupts(ticks.text, lines)


def _sample(cpus: int) -> tuple[Callable[[], object], Callable[[], object]]:
    ticks = Ticks(cpus)
    lines = IrqLines()
    state: dict[str, object] = {"prev": (parse_interrupts(ticks.text, lines), parse_softirqs(ticks.soft))}

    def body() -> object:
        reading = (parse_interrupts(ticks.text, lines), parse_softirqs(ticks.soft))
        snapshot = interrupts_snapshot(state["prev"], reading, 1.0)  # type: ignore[arg-type]
        state["prev"] = reading
        return snapshot

    return ticks.flip, body


def _read(cpus: int) -> tuple[Callable[[], object], Callable[[], object]]:
    ticks = Ticks(cpus)
    root = Path(tempfile.mkdtemp(prefix="perftop-bench-irq-"))
    atexit.register(shutil.rmtree, root, True)
    (root / "proc").mkdir()
    fs = FS(procfs=root / "proc", sysfs=root / "sys")
    held = HeldFiles()
    lines = IrqLines()

    def write() -> None:
        ticks.flip()
        # In place, as procfs changes under an open file.
        with open(fs.proc("interrupts"), "r+" if Path(fs.proc("interrupts")).exists() else "w") as f:
            f.write(ticks.text)
            f.truncate()
        with open(fs.proc("softirqs"), "w") as f:
            f.write(ticks.soft)

    write()
    state: dict[str, object] = {"prev": (read_interrupts(fs, held, lines), read_softirqs(fs, held))}

    def body() -> object:
        reading = (read_interrupts(fs, held, lines), read_softirqs(fs, held))
        snapshot = interrupts_snapshot(state["prev"], reading, 1.0)  # type: ignore[arg-type]
        state["prev"] = reading
        return snapshot

    return write, body


def cases(cpus: tuple[int, ...] = CPUS) -> list[Case]:
    """Every benchmark, for machines of ``cpus`` CPUs."""
    out = []
    for n in cpus:
        out += [
            Case(f"parse-all/{n}", lambda n=n: _parse_all(n)),  # type: ignore[misc]
            Case(f"parse-changed/{n}", lambda n=n: _parse_changed(n)),  # type: ignore[misc]
            Case(f"sample/{n}", lambda n=n: _sample(n)),  # type: ignore[misc]
            Case(f"read/{n}", lambda n=n: _read(n)),  # type: ignore[misc]
        ]
    return out


def _add_cmdline_args(cmd: list[str], args: object) -> None:
    cmd += ["--cpus", args.cpus, "--only", args.only]


def main() -> None:
    """Run the benchmarks (pyperf's command line, plus ``--cpus`` and ``--only``)."""
    import pyperf

    if "-o" not in sys.argv and "--output" not in sys.argv and "--worker" not in sys.argv:
        RESULTS.mkdir(exist_ok=True)
        sys.argv += ["-o", str(RESULTS / time.strftime("interrupts-%Y%m%d-%H%M%S.json"))]
    runner = pyperf.Runner(
        processes=4,
        values=3,
        program_args=("-m", "bench.bench_interrupts"),
        add_cmdline_args=_add_cmdline_args,
    )
    runner.argparser.add_argument(
        "--cpus", default=",".join(map(str, CPUS)), help="CPU counts (default 2,64,256)"
    )
    runner.argparser.add_argument("--only", default="", help="run only benchmarks whose name contains this")
    args = runner.parse_args()
    chosen = tuple(int(c) for c in args.cpus.split(",") if c)
    means = []
    for case in cases(chosen):
        if args.only not in case.name:
            continue
        bench = runner.bench_time_func(case.name, case)
        if bench is not None and not args.worker:
            means.append((case.name, bench.mean()))
    if means:
        print()
        for name, mean in means:
            print(f"{name:<20} {mean * 1e6:10.1f} µs per sample")


if __name__ == "__main__":
    main()
