"""Memory of the before/after comparison's ring of recent samples (``tui.compare.RecentSamples``).

Fills a ring with ``--samples`` real samples of this machine (the sampler as the App asks it for the
overview: the rows on screen's status, every process's stat), with ``--extra`` idle processes started
for the run, then measures with tracemalloc what the ring holds beyond the newest sample: the memory it
frees when it is emptied. Idle processes keep their ``ProcessInfo`` objects from one sample to the next,
so most of a sample's cost is its tuple of references.

    python -m bench.recent_samples --extra 2000 --samples 600 --interval 0.05 [--whole S]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Sequence

from bench.overhead import idle_processes
from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler
from perftop.tui.compare import RecentSamples


def measure(samples: int, interval: float, whole_s: float) -> tuple[int, int, float]:
    """(processes per sample, bytes the ring holds beyond its newest sample, seconds per sample). Samples
    older than ``whole_s`` keep the selected process only, as the App's do."""
    sampler = Sampler(FS())
    try:
        sampler.sample()
        ring = RecentSamples(span_s=float("inf"), max_samples=samples, whole_s=whole_s)
        tracemalloc.start()
        start = time.perf_counter()
        for _ in range(samples):
            time.sleep(interval)
            # As the App asks for the overview: status for a screenful of rows, stat for all.
            ring.add(sampler.sample(status_pids=set(range(1, 60)), ran=True), keep={1})
        took = (time.perf_counter() - start) / samples - interval
        gc.collect()
        full = tracemalloc.get_traced_memory()[0]
        newest = ring.between(float("-inf"), float("inf"))[-1]
        ring = RecentSamples()
        ring.add(newest)
        gc.collect()
        held = full - tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return len(newest.processes), held, took
    finally:
        sampler.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extra", type=int, default=2000, help="extra idle processes (2000)")
    parser.add_argument("--samples", type=int, default=600, help="samples in the ring (600: 10 min at 1 s)")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between samples (0.05)")
    parser.add_argument(
        "--whole",
        type=float,
        default=None,
        help="seconds of samples kept whole (default: a fifth of the run, as 2 of the App's 10 minutes)",
    )
    args = parser.parse_args(argv)
    whole_s = args.whole if args.whole is not None else args.samples * args.interval / 5
    with idle_processes(args.extra):
        processes, held, took = measure(args.samples, args.interval, whole_s)
    print(
        f"{args.samples} samples of {processes} processes (+{args.extra} idle): the ring holds "
        f"{held / 2**20:.1f} MiB beyond its newest sample, {held / args.samples / 1024:.1f} KiB a sample "
        f"({held / args.samples / processes:.1f} bytes a process); a sample took {took * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
