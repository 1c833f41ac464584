"""Rates over the kernel's cumulative counters."""

from __future__ import annotations


def rate(prev: int | None, cur: int | None, elapsed: float | None) -> float | None:
    """``cur - prev`` per second over ``elapsed`` seconds.

    ``None`` when either value or the interval is unknown, the interval is not positive, or the counter
    went backwards (a reset, a wrap, a reused PID): a sample with no rate, never a negative one or a spike.
    """
    if prev is None or cur is None or elapsed is None or elapsed <= 0 or cur < prev:
        return None
    return (cur - prev) / elapsed
