"""What RUN-DELAY/s and THROTTLED% add to a sample on this machine's ``/proc``, for the rows on screen.

    python -m bench.row_columns [--rows 60] [--samples 50]

Prints the mean time of ``Sampler.sample`` without them, and what each adds when asked for ``--rows``
processes (schedstat per row; per row's group one ``cpu.stat``, the group found again every 5 s).
"""

from __future__ import annotations

import argparse
import time

from perftop.probes.fs import FS
from perftop.probes.sampler import Sampler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    sampler = Sampler(FS())
    pids = [p.pid for p in sampler.sample().processes][: args.rows]

    def mean_ms(**asked: object) -> float:
        sampler.sample((), **asked)  # type: ignore[arg-type]
        start = time.perf_counter()
        for _ in range(args.samples):
            sampler.sample((), **asked)  # type: ignore[arg-type]
        return (time.perf_counter() - start) / args.samples * 1000

    base = mean_ms()
    delay = mean_ms(sched_pids=pids) - base
    throttle = mean_ms(throttle_pids=pids) - base
    both = mean_ms(sched_pids=pids, throttle_pids=pids) - base
    print(
        f"{len(pids)} rows: sample {base:.2f} ms; RUN-DELAY/s +{delay:.2f} ms; "
        f"THROTTLED% +{throttle:.2f} ms; both +{both:.2f} ms"
    )


if __name__ == "__main__":
    main()
