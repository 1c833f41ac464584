"""How figures are written: one formatting module for every widget (boundaries, zero, negatives, None)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perftop.probes.snapshot import MemorySnapshot
from perftop.widgets.cpu_meters import memory_face
from perftop.widgets.formatting import (
    SPARK_LEVELS,
    SPARK_ZERO,
    UNKNOWN,
    format_byte_rate,
    format_bytes,
    format_bytes_per_s,
    format_count,
    format_figure,
    format_percent,
    format_rate,
    format_ratio,
    format_share,
    format_time,
    format_uptime,
    spark_cell,
    sparkline,
)
from perftop.widgets.numa_pane import memory_bar
from perftop.widgets.summary import plain

KIB, MIB, GIB = 1024, 1024**2, 1024**3

#: Every formatter of a single value, each with a value it shows as a figure.
FORMATTERS = [
    (format_percent, 12.3),
    (format_share, 12.3),
    (format_ratio, 0.5),
    (format_rate, 12.3),
    (format_count, 12.0),
    (lambda value: format_figure(value, 6), 1.25),
    (format_bytes, 4096),
    (format_byte_rate, 4096.0),
    (format_bytes_per_s, 4096.0),
    (format_time, 61.0),
    (lambda value: format_uptime(value)[0], 61.0),
]


@pytest.mark.parametrize(("formatter", "figure"), FORMATTERS)
def test_unknown_and_negative_values_show_as_unknown(formatter: Callable[[Any], str], figure: float) -> None:
    assert formatter(None) == UNKNOWN
    assert formatter(-figure) == UNKNOWN
    assert formatter(figure) != UNKNOWN


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (1, "0.0K"),
        (4 * KIB, "4.0K"),
        (99 * KIB, "99.0K"),
        (100 * KIB, "100K"),
        (999 * KIB, "999K"),
        (round(999.4 * KIB), "999K"),
        (round(999.6 * KIB), "1.0M"),  # never a fourth digit: 999.9K is 1.0M
        (1023 * KIB, "1.0M"),
        (MIB, "1.0M"),
        (round(99.94 * MIB), "99.9M"),
        (round(99.96 * MIB), "100M"),
        (1000 * MIB, "1.0G"),
        (round(15.6 * GIB), "15.6G"),
        (2 * 1024**4, "2.0T"),
        (5000 * 1024**5, "5000P"),  # the last unit takes anything larger
    ],
)
def test_format_bytes_boundaries(value: int, text: str) -> None:
    assert format_bytes(value) == text


@given(st.integers(min_value=0, max_value=999 * 1024**5))
def test_bytes_never_take_more_than_five_cells(value: int) -> None:
    assert len(format_bytes(value)) <= 5


@given(st.integers(min_value=1000, max_value=2**49))
def test_bytes_per_second_follow_the_rule_of_bytes(value: int) -> None:
    assert format_bytes_per_s(value) == format_bytes(value) + "/s"
    assert format_bytes_per_s(value, suffix="") == format_bytes(value)


def test_bytes_per_second_start_at_bytes() -> None:
    assert format_bytes_per_s(0) == "0B/s"
    assert format_bytes_per_s(999.4) == "999B/s"
    assert format_bytes_per_s(999.6) == "1.0K/s"
    assert format_bytes_per_s(1536, suffix="") == "1.5K"


def test_byte_rates_in_a_column_are_bytes_rounded() -> None:
    assert format_byte_rate(0.4) == "0"
    assert format_byte_rate(100.0) == "0.1K"
    assert format_byte_rate(999.6 * KIB) == "1.0M"


def test_the_meters_and_the_numa_pane_write_bytes_as_the_table_does() -> None:
    """One rule for bytes: the Mem and Swp meters and the NUMA memory bar move up a unit at 1000 as the
    RSS column does (they wrote ``1000M`` and ``0K`` before)."""
    fields = dict.fromkeys(MemorySnapshot.__dataclass_fields__, 0)
    memory = MemorySnapshot(**{**fields, "total_bytes": 16 * GIB, "used_bytes": 1000 * MIB})
    assert memory_face(memory, 40, swap=False)[2] == "1.0G/16.0G"
    assert memory_face(memory, 40, swap=True)[2] == "0/0"
    assert plain(memory_bar(1000 * MIB, None, 16 * GIB, 22)).endswith("1.0G/16.0G]")


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0.0"), (999.94, "999.9"), (999.96, "1000"), (2400.4, "2400")],
)
def test_format_percent_boundaries(value: float, text: str) -> None:
    assert format_percent(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "0.0"), (999.94, "999.9"), (999.96, "1000"), (9_999_999.4, "9999999"), (9_999_999.6, "10M")],
)
def test_format_rate_boundaries(value: float, text: str) -> None:
    assert format_rate(value) == text


COUNTS = [(0, "0"), (2.5, "2.5"), (2.02, "2"), (10.5, "10"), (99_999, "99999"), (99_999.5, "100k")]
COUNTS += [(100_000, "100k"), (999_499, "999k"), (999_500, "1.0M"), (999_949, "1.0M"), (12_345_678, "12.3M")]


@pytest.mark.parametrize(("value", "text"), COUNTS)
def test_format_count_boundaries(value: float, text: str) -> None:
    assert format_count(value) == text


def test_format_ratio_and_share() -> None:
    ratios = [format_ratio(r) for r in (0.0, 0.0042, 0.125, 0.9996, 1.0)]
    assert ratios == ["0%", "0.42%", "12.5%", "100%", "100%"]
    assert [format_share(v) for v in (0.0, 12.34, 100.0)] == ["0.0%", "12.3%", "100.0%"]


def test_durations() -> None:
    assert format_time(0.0) == "0:00.00"
    assert format_time(3599.99) == "59:59.99"
    assert format_time(3600.0) == "1h00:00"
    assert format_uptime(0) == ("00:00:00",)
    assert format_uptime(86400 + 3661) == ("1 day,", "01:01:01")


def test_spark_cells() -> None:
    assert spark_cell(None) == " "
    assert spark_cell(0.0) == " "  # the per-CPU histories draw an idle CPU blank
    assert spark_cell(0.0, 10.0, SPARK_ZERO) == SPARK_ZERO
    assert spark_cell(5.0, 0.0, SPARK_ZERO) == SPARK_ZERO  # no scale yet
    assert spark_cell(0.001) == SPARK_LEVELS[0]  # anything at all lights the lowest level
    assert spark_cell(500.0, 80.0) == SPARK_LEVELS[-1]  # capped


@given(st.lists(st.one_of(st.none(), st.floats(0, 1e9)), max_size=50), st.integers(0, 40))
def test_a_sparkline_is_as_wide_as_asked_and_newest_at_the_right(
    samples: list[float | None], cells: int
) -> None:
    scale = max((s for s in samples if s is not None), default=0.0)
    line = sparkline(samples, cells, scale)
    assert len(line) == cells
    if cells and samples:
        assert line[-1] == spark_cell(samples[-1], scale, SPARK_ZERO)
