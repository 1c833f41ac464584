"""The one rate over a kernel counter that every probe uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perftop.probes.rates import rate

counters = st.integers(min_value=0, max_value=2**64 - 1)


def test_a_rate_is_the_change_per_second() -> None:
    assert rate(1000, 1250, 0.5) == 500.0
    assert rate(7, 7, 1.0) == 0.0
    assert rate(0, 3, 2.0) == 1.5


def test_a_counter_that_went_backwards_has_no_rate() -> None:
    assert rate(5000, 12, 1.0) is None  # reset (a device registered again, a reused PID)
    assert rate(2**32 - 10, 5, 1.0) is None  # a 32-bit counter wrapped
    assert rate(2**64 - 1, 0, 1.0) is None


@pytest.mark.parametrize(("prev", "cur"), [(None, 5), (5, None), (None, None)])
def test_a_missing_value_has_no_rate(prev: int | None, cur: int | None) -> None:
    assert rate(prev, cur, 1.0) is None


@pytest.mark.parametrize("elapsed", [None, 0, 0.0, -1.0])
def test_no_interval_has_no_rate(elapsed: float | None) -> None:
    assert rate(1, 2, elapsed) is None


@given(counters, counters, st.floats(min_value=1e-6, max_value=1e6))
def test_a_rate_is_never_negative(prev: int, cur: int, elapsed: float) -> None:
    value = rate(prev, cur, elapsed)
    assert (value is None) == (cur < prev)
    assert value is None or value == (cur - prev) / elapsed >= 0
